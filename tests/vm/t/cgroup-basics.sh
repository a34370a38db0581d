#!/bin/sh
# The runtime's cgroup basics on the VM's pure cgroup host (v2 or v1, see tests/vm/init):
# limits land in the container's cgroup, hold (OOM kill, fork refusal), exec joins the cgroup,
# pause/resume freeze it, delete removes it. Runs inside the VM (busybox sh); see lib.sh.
. /vm/lib.sh

t_mode() {
	expect_eq "cgroup mode from /proc/self/mountinfo" "$MODE" "$(cgroup_mode)"
	if [ "$MODE" = v2 ]; then
		grep -qw memory "$CGROOT/cgroup.subtree_control" || fail "memory not delegated by the root"
	else
		[ -f "$CGROOT/memory/memory.limit_in_bytes" ] || fail "no v1 memory hierarchy"
		[ -f "$CGROOT/freezer/freezer.state" ] || [ -d "$CGROOT/freezer" ] || fail "no v1 freezer"
	fi
}
run_test "the VM's host has pure cgroup $MODE hierarchies, as asked" t_mode

t_exit() {
	set_config ".process.args = $(args sh -c 'exit 7')"
	rc=0
	rt run "$ID" || rc=$?
	expect_eq "exit status of run" 7 "$rc"
	[ -z "$(cg_dirs_left)" ] || fail "cgroup left after run: $(cg_dirs_left)"
}
run_test "run exits with the container's exit status and leaves no cgroup behind" t_exit

t_memory() {
	set_config ".process.args = $(args sleep 300) | .linux.resources.memory.limit = 33554432"
	rt_detached run -d "$ID"
	pid=$(init_pid "$ID")
	if [ "$MODE" = v2 ]; then
		expect_eq memory.max 33554432 "$(cg_read memory memory.max)"
	else
		expect_eq memory.limit_in_bytes 33554432 "$(cg_read memory memory.limit_in_bytes)"
	fi
	grep -qx "$pid" "$(cg_dir memory)/cgroup.procs" || fail "init $pid not in $(cg_dir memory)"
	rt delete -f "$ID"
	[ -z "$(cg_dirs_left)" ] || fail "cgroup left after delete: $(cg_dirs_left)"
}
run_test "memory.limit is the cgroup's memory limit while the container runs; delete removes the cgroup" t_memory

t_oom() {
	# /dev/shm (tmpfs, 64 MiB) pages are charged to the writer's cgroup and, without swap,
	# cannot be reclaimed: writing 48 MiB under a 16 MiB limit must end in an OOM kill.
	set_config ".process.args = $(args dd if=/dev/zero of=/dev/shm/fill bs=1M count=48) |
		.linux.resources.memory.limit = 16777216"
	rc=0
	rt run "$ID" 2>"$T/run.err" || rc=$?
	expect_eq "exit status of dd (SIGKILL)" 137 "$rc"
	grep -q "killed by the kernel's OOM killer: memory limit 16777216 bytes" "$T/run.err" ||
		fail "no OOM warning from run: $(cat "$T/run.err")"
}
run_test "a container writing past its memory limit is OOM-killed, and run says so" t_oom

t_pids() {
	# 20 background sleeps under pids.limit 10: the shell reports each fork it could not make.
	loop='n=0; f=0; while [ $n -lt 20 ]; do (sleep 300 &) 2>/dev/null || f=$((f + 1)); n=$((n + 1)); done'
	set_config ".process.args = $(args sh -c "$loop; echo failed \$f; sleep 300") |
		.linux.resources.pids.limit = 10"
	rt_detached run -d "$ID"
	wait_for grep -q '^failed ' "$T/ctr.out" || fail "the fork loop did not finish"
	failed=$(sed -n 's/^failed //p' "$T/ctr.out")
	expect_eq pids.max 10 "$(cg_read pids pids.max)"
	[ "$(cg_read pids pids.current)" -le 10 ] || fail "pids.current $(cg_read pids pids.current) > 10"
	[ "$failed" -ge 10 ] || fail "only $failed of 20 forks failed"
	echo "forks refused: $failed of 20; pids.events: $(cg_read pids pids.events)"
	grep -q '^max [1-9]' "$(cg_dir pids)/pids.events" || fail "pids.events counts no refusal"
}
run_test "a container with pids.limit 10 cannot fork 20 processes" t_pids

t_cpu() {
	set_config ".process.args = $(args sleep 300) |
		.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000}"
	rt_detached run -d "$ID"
	if [ "$MODE" = v2 ]; then
		expect_eq cpu.max "50000 100000" "$(cg_read cpu cpu.max)"
		# runc's conversion: 1 + (512 - 2) * 9999 / 262142
		expect_eq cpu.weight 20 "$(cg_read cpu cpu.weight)"
	else
		expect_eq cpu.cfs_quota_us 50000 "$(cg_read cpu cpu.cfs_quota_us)"
		expect_eq cpu.cfs_period_us 100000 "$(cg_read cpu cpu.cfs_period_us)"
		expect_eq cpu.shares 512 "$(cg_read cpu cpu.shares)"
	fi
}
run_test "cpu shares, quota and period are the cgroup's cpu settings" t_cpu

t_exec() {
	set_config ".process.args = $(args sleep 300)"
	rt_detached run -d "$ID"
	rt_detached exec -d --pid-file "$T/exec.pid" "$ID" sleep 301
	pid=$(cat "$T/exec.pid")
	# in every hierarchy the container's cgroup has (v1: one per controller)
	n=0
	for d in $(cg_dirs_left); do
		grep -qx "$pid" "$d/cgroup.procs" || fail "exec'd process $pid not in $d"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || fail "no cgroup for the container"
	echo "in $n hierarchies"
}
run_test "exec runs the new process in the container's cgroup" t_exec

# expect_frozen 1|0: the container's cgroup is frozen (1) or thawed (0).
expect_frozen() {
	if [ "$MODE" = v2 ]; then
		grep -qx "frozen $1" "$(cg_dir freezer)/cgroup.events" ||
			fail "cgroup.events: want \"frozen $1\", got: $(cat "$(cg_dir freezer)/cgroup.events")"
	else
		want=THAWED
		[ "$1" = 1 ] && want=FROZEN
		expect_eq freezer.state "$want" "$(cg_read freezer freezer.state)"
	fi
}

t_pause() {
	set_config ".process.args = $(args sleep 300)"
	rt_detached run -d "$ID"
	rt pause "$ID"
	expect_eq status paused "$(rt state "$ID" | jq -r .status)"
	expect_frozen 1
	rt resume "$ID"
	expect_eq status running "$(rt state "$ID" | jq -r .status)"
	expect_frozen 0
	rt delete -f "$ID"
	[ -z "$(cg_dirs_left)" ] || fail "cgroup left after delete: $(cg_dirs_left)"
}
run_test "pause freezes the container's cgroup and resume thaws it" t_pause

finish
