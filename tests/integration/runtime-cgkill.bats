#!/usr/bin/env bats
# rongqi-runtime and the container's processes through its cgroup: kill --all and delete -f reach
# every process of the cgroup (also ones that left the init's process tree, or that exec -d
# started), delete removes the cgroup only once it is empty, an OOM kill is reported, and
# features tells the host's cgroup mode. Every cgroup lives under the test's own parent ($CG).

load helpers
load runtime-helpers

# no_pidns: the container shares the host's PID namespace, so its processes do not die with
# its init: only the cgroup holds them all.
no_pidns='.linux.namespaces |= map(select(.type != "pid"))'
# the processes write their pids to the rootfs' /tmp
writable='.root.readonly = false'

# the container's directories left in any hierarchy
cg_left() { find /sys/fs/cgroup -maxdepth 4 -path "*/$CG/c" -type d 2>/dev/null; }

# wait_file FILE: until FILE exists and is not empty (up to 10 s)
wait_file() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "kill --all reaches a process that forked itself into the background, outside the init's tree" {
	set_config "$no_pidns | $writable"' | .process.args = ["sh", "-c", "(sleep 1001 & echo $! >/tmp/bg); exec sleep 1000"]'
	rt_detached run -d -b "$B" c
	[ "$status" -eq 0 ]
	wait_file "$B/rootfs/tmp/bg"
	bg=$(cat "$B/rootfs/tmp/bg")
	init=$("$RT" --root "$ROOT" state c | jq -r .pid)
	# its parent is no longer anything of the container
	[ "$(ps -o ppid= -p "$bg" | tr -d ' ')" != "$init" ]
	run "$RT" --root "$ROOT" kill --all c KILL
	[ "$status" -eq 0 ]
	for i in $(seq 50); do gone "$bg" "$init" && break; sleep 0.1; done
	gone "$bg" "$init"
	run "$RT" --root "$ROOT" delete c
	[ "$status" -eq 0 ]
	[ -z "$(cg_left)" ]
}

@test "kill --all with SIGTERM of a paused container signals every process and leaves it paused" {
	set_config "$writable"' | .process.args = ["sh", "-c", "(sleep 1001 & echo $! >/tmp/bg); exec sleep 1000"]'
	rt_detached run -d -b "$B" c
	[ "$status" -eq 0 ]
	wait_file "$B/rootfs/tmp/bg"
	run "$RT" --root "$ROOT" pause c
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" kill --all c TERM
	[ "$status" -eq 0 ]
	[ "$(cat /sys/fs/cgroup/freezer/$CG/c/freezer.state)" = FROZEN ]
	[ "$("$RT" --root "$ROOT" state c | jq -r .status)" = paused ]
	run "$RT" --root "$ROOT" resume c
	[ "$status" -eq 0 ]
	# the background sleep had SIGTERM pending and dies (a zombie of the init, out of
	# cgroup.procs); the init (PID 1 of its namespace, no handler) ignores it
	procs=/sys/fs/cgroup/pids/$CG/c/cgroup.procs
	for i in $(seq 50); do [ "$(wc -l <"$procs")" = 1 ] && break; sleep 0.1; done
	[ "$(wc -l <"$procs")" = 1 ]
}

@test "delete -f kills exec -d processes and removes the cgroup without \"still in use\"" {
	set_config "$no_pidns"' | .process.args = ["sleep", "1000"]'
	rt_detached run -d -b "$B" c
	[ "$status" -eq 0 ]
	for n in 1 2; do
		rt_detached exec -d c sh -c "(sleep 100$n &); exec sleep 200$n"
		[ "$status" -eq 0 ]
	done
	pids=$(cat /sys/fs/cgroup/pids/$CG/c/cgroup.procs)
	[ "$(echo "$pids" | wc -l)" -ge 5 ]
	run "$RT" --root "$ROOT" delete -f c
	[ "$status" -eq 0 ]
	[[ "$output" != *"still in use"* ]]
	[ -z "$(cg_left)" ]
	gone $pids
}

@test "delete of a stopped container kills what exec -d left in its cgroup, then removes it" {
	set_config "$no_pidns"' | .process.args = ["sleep", "1000"]'
	rt_detached run -d -b "$B" c
	[ "$status" -eq 0 ]
	rt_detached exec -d c sleep 2001
	[ "$status" -eq 0 ]
	pids=$(cat /sys/fs/cgroup/pids/$CG/c/cgroup.procs)
	kill -9 "$("$RT" --root "$ROOT" state c | jq -r .pid)"
	for i in $(seq 50); do [ "$("$RT" --root "$ROOT" state c | jq -r .status)" = stopped ] && break; sleep 0.1; done
	run "$RT" --root "$ROOT" delete c
	[ "$status" -eq 0 ]
	[ -z "$(cg_left)" ]
	gone $pids
}

@test "run in the foreground reports an OOM kill with the memory limit, exit 137" {
	local swap=
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && swap=', swap: 16777216'
	set_config '.linux.resources = {memory: {limit: 16777216'"$swap"'}} |
		.process.args = ["sh", "-c", "head -c 67108864 /dev/zero | tail"]'
	run "$RT" --root "$ROOT" run -b "$B" hog
	[ "$status" -eq 137 ]
	[[ "$output" == *"the container was killed by the kernel's OOM killer: memory limit 16777216 bytes"* ]]
	[ -z "$(cg_left)" ]
}

@test "run in the foreground says nothing of OOM for a container killed by someone else" {
	set_config '.linux.resources = {memory: {limit: 16777216}} |
		.process.args = '"$(args sh -c 'sh -c "kill -9 \$\$"; exit $?')"
	run "$RT" --root "$ROOT" run -b "$B" k
	[ "$status" -eq 137 ]
	[[ "$output" != *"OOM"* ]]
}

@test "features reports the host's cgroup mode and both cgroup backends" {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		want=v2
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		want=hybrid
	else
		want=v1
	fi
	run "$RT" features
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.annotations["io.github.rongqi.cgroup.mode"]')" = "$want" ]
	[ "$(echo "$output" | jq -c '.linux.cgroup')" = '{"v1":true,"v2":true,"systemd":true,"systemdUser":false,"rdma":true}' ]
}
