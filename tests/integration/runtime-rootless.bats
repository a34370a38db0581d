#!/usr/bin/env bats
# rongqi-runtime run by an unprivileged user (tests/run.sh makes "rqtest", with /etc/subuid and
# /etc/subgid lines 300000:65536, and copies the binaries into $RQ_BIN_DIR). Each test works in a
# directory the user owns: the bundle, an XDG_RUNTIME_DIR and a runc state root for the oracle.

load helpers
bats_require_minimum_version 1.5.0

load runtime-helpers

setup() {
	require_root
	require_test_user
	RTU="$RQ_BIN_DIR/rongqi-runtime"
	[ -x "$RTU" ] || skip "no rongqi-runtime in \$RQ_BIN_DIR"
	CG="rongqi-test-$$-$BATS_TEST_NUMBER"
	U=$(mktemp -d /tmp/rq-rootless.XXXXXX)
	B="$U/bundle"
	XDG="$U/xdg"
	cp -a "$BUNDLE_TEMPLATE" "$B"
	mkdir -m 700 "$XDG"
	chown -R "$RQ_TEST_UID:$RQ_TEST_GID" "$U"
	chmod 755 "$U"
	as_user "$RTU" spec --rootless -b "$B"
	uconfig '.process.args = ["true"]'
}

teardown() {
	local id
	if [ -n "${U:-}" ]; then
		for id in $(ru list -q 2>/dev/null); do
			ru delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(as_user runc --root "$XDG/runc" list -q 2>/dev/null); do
			as_user runc --root "$XDG/runc" delete -f "$id" >/dev/null 2>&1 || true
		done
		rm -rf "$U"
	fi
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

# ru ARGS...: rongqi-runtime as the test user, with its XDG_RUNTIME_DIR.
ru() {
	as_user env XDG_RUNTIME_DIR="$XDG" "$RTU" "$@"
}

# ru_detached ARGS...: a command that leaves a container running, stdio on files (see
# rt_detached); sets status and output (stderr).
ru_detached() {
	status=0
	ru "$@" </dev/null >"$U/ctr.out" 2>"$U/ctr.err" || status=$?
	output=$(cat "$U/ctr.err")
}

# uconfig JQ_FILTER: edit the bundle's config.json, keeping it the user's.
uconfig() {
	jq '.process.terminal = false | '"$1" "$B/config.json" >"$B/config.new"
	mv "$B/config.new" "$B/config.json"
	chown "$RQ_TEST_UID:$RQ_TEST_GID" "$B/config.json"
}

# no_user_processes: the test user has no process left but zombies (their reaper is not ours).
no_user_processes() {
	! ps -u "$RQ_TEST_UID" -o stat=,pid=,args= | grep -v '^Z'
}

# pid_of ID: the init's pid from the user's state.
pid_of() {
	ru state "$1" | jq -r .pid
}

@test "rootless: spec --rootless runs unchanged: root inside is the user outside, state under \$XDG_RUNTIME_DIR" {
	uconfig '.process.args = ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"]'
	run --separate-stderr ru run -b "$B" r1
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "$(echo ${lines[2]})" = "0 $RQ_TEST_UID 1" ]
	[ "$(echo ${lines[3]})" = "0 $RQ_TEST_GID 1" ]
	# runc 1.1.5, the same user, the same bundle: the same view
	run --separate-stderr as_user runc --root "$XDG/runc" run -b "$B" o1
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(echo ${lines[2]})" = "0 $RQ_TEST_UID 1" ]

	uconfig '.process.args = ["sleep", "100"]'
	ru_detached run -d -b "$B" r2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(stat -c '%a %u' "$XDG/rongqi-runtime")" = "700 $RQ_TEST_UID" ]
	[ "$(stat -c '%a %u' "$XDG/rongqi-runtime/r2")" = "700 $RQ_TEST_UID" ]
	pid=$(pid_of r2)
	[ "$(ps -o uid= -p "$pid" | tr -d ' ')" = "$RQ_TEST_UID" ]
}

@test "rootless: without XDG_RUNTIME_DIR the error says to give --root, which then works" {
	run as_user "$RTU" list
	[ "$status" -eq 1 ]
	[[ "$output" == *"no state root: XDG_RUNTIME_DIR is not set"* ]]
	[[ "$output" == *"give --root DIR"* ]]
	run as_user env XDG_RUNTIME_DIR=/tmp "$RTU" list
	[ "$status" -eq 1 ]
	[[ "$output" == *"XDG_RUNTIME_DIR=/tmp is not an absolute path of a directory that uid $RQ_TEST_UID owns"* ]]
	# spec needs no state root
	rm "$B/config.json"
	as_user "$RTU" spec --rootless -b "$B"
	uconfig '.process.args = ["echo", "ran"]'
	run as_user "$RTU" --root "$U/state" run -b "$B" r1
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	[ "$(stat -c '%a %u' "$U/state")" = "700 $RQ_TEST_UID" ]
}

@test "rootless lifecycle: create, start, state, list, exec, ps, kill, delete; pause needs a cgroup; nothing left behind" {
	uconfig '.process.args = ["sleep", "100"]'
	ru_detached create -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ru state c1 | jq -r .status)" = created ]
	run ru list
	[[ "${lines[1]}" == c1*created*"$RQ_TEST_USER" ]]
	ru start c1
	[ "$(ru state c1 | jq -r .status)" = running ]
	pid=$(pid_of c1)
	run ru exec c1 sh -c 'id -u; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "sleep 100 " ]
	run ru ps -f json c1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c .)" = "[$pid]" ]
	run ru pause c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"pause needs the container's cgroup, and this container has none"* ]]
	[ "$(ru state c1 | jq -r .status)" = running ]
	run ru delete c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"that is not stopped: running"* ]]
	ru kill c1 KILL
	wait_for gone "$pid"
	wait_for test "$(ru state c1 | jq -r .status)" = stopped
	ru delete c1
	[ ! -e "$XDG/rongqi-runtime/c1" ]

	# delete -f of a running one, started with run -d
	ru_detached run -d -b "$B" c2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid=$(pid_of c2)
	ru delete -f c2
	gone "$pid"
	[ -z "$(ru list -q)" ]
	wait_for no_user_processes
	# nothing the user cannot remove, no mount of theirs on the host
	[ -z "$(find "$XDG" ! -user "$RQ_TEST_UID")" ]
	as_user rm -r "$XDG/rongqi-runtime"
	! grep -q " $U" /proc/self/mountinfo
}

@test "rootless: two uid ranges (own uid + subuid block) go through newuidmap and newgidmap" {
	uconfig '.root.readonly = false | .process.capabilities[] += ["CAP_CHOWN"] |
		.linux.uidMappings = [{containerID: 0, hostID: '"$RQ_TEST_UID"', size: 1},
			{containerID: 1, hostID: 300000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: '"$RQ_TEST_GID"', size: 1},
			{containerID: 1, hostID: 300000, size: 65536}] |
		.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/f; chown 1000:1000 /tmp/f"]'
	run --separate-stderr ru run -b "$B" m1
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(echo ${lines[0]})" = "0 $RQ_TEST_UID 1" ]
	[ "$(echo ${lines[1]})" = "1 300000 65536" ]
	[ "$(echo ${lines[2]})" = "0 $RQ_TEST_GID 1" ]
	[ "$(echo ${lines[3]})" = "1 300000 65536" ]
	# container uid 1000 is subuid 300999 on the host
	[ "$(stat -c '%u %g' "$B/rootfs/tmp/f")" = "300999 300999" ]
	# a process of uid 1000 is 300999 on the host
	uconfig '.process.user = {uid: 1000, gid: 1000} | .process.args = ["sleep", "100"]'
	ru_detached run -d -b "$B" m2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ps -o uid=,gid= -p "$(pid_of m2)" | xargs)" = "300999 300999" ]
	run ru exec m2 id -u
	[ "$output" = 1000 ]
	# runc: the same maps
	uconfig '.process.user = {uid: 0, gid: 0} | .process.args = ["cat", "/proc/self/uid_map"]'
	run --separate-stderr as_user runc --root "$XDG/runc" run -b "$B" o1
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "$(echo ${lines[1]})" = "1 300000 65536" ]
}

@test "rootless: a memory limit fails naming the cgroup, EACCES and the fix; no state, no process" {
	uconfig '.linux.resources = {memory: {limit: 33554432}} | .process.args = ["sleep", "100"]'
	run ru run -d -b "$B" l1
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources: limits are set, but uid $RQ_TEST_UID cannot make the container's cgroup"* ]]
	[[ "$output" == *"cgroup /rongqi-runtime/l1"*"Permission denied"* ]]
	[[ "$output" == *"delegate a cgroup to this user"*"or remove the limits from linux.resources"* ]]
	[ -z "$(ls -A "$XDG/rongqi-runtime")" ]
	no_user_processes
	# runc refuses too
	run as_user runc --root "$XDG/runc" run -d -b "$B" o1
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot set memory limit"* ]]
	# without limits there is no cgroup, quietly (a debug line says so)
	uconfig 'del(.linux.resources) | .process.args = ["true"]'
	run --separate-stderr ru --debug run -b "$B" l2
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"no cgroup of its own"* ]]
	run --separate-stderr ru run -b "$B" l3
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "rootless with a cgroup delegated to the user: limits applied, pause and resume work, exec joins it, delete removes it" {
	local h
	for h in /sys/fs/cgroup/*/; do
		[ "$(stat -f -c %T "$h")" = cgroupfs ] || continue # v1 hierarchies only
		mkdir "$h$CG"
		[[ "$h" != */cpuset/ ]] || {
			cat "${h}cpuset.cpus" >"$h$CG/cpuset.cpus"
			cat "${h}cpuset.mems" >"$h$CG/cpuset.mems"
		}
		chown -R "$RQ_TEST_UID:$RQ_TEST_GID" "$h$CG"
	done
	[ -d "/sys/fs/cgroup/memory/$CG" ] || skip "no cgroup v1 memory hierarchy"
	uconfig '.linux.cgroupsPath = "/'"$CG"'/c" | .process.args = ["sleep", "100"] |
		.linux.resources = {memory: {limit: 33554432}, pids: {limit: 50}}'
	ru_detached run -d -b "$B" g1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(cat /sys/fs/cgroup/memory/$CG/c/memory.limit_in_bytes)" = 33554432 ]
	[ "$(cat /sys/fs/cgroup/pids/$CG/c/pids.max)" = 50 ]
	grep -qx "$(pid_of g1)" "/sys/fs/cgroup/memory/$CG/c/cgroup.procs"
	ru pause g1
	[ "$(ru state g1 | jq -r .status)" = paused ]
	[ "$(cat /sys/fs/cgroup/freezer/$CG/c/freezer.state)" = FROZEN ]
	ru resume g1
	[ "$(ru state g1 | jq -r .status)" = running ]
	run ru exec g1 cat /proc/self/cgroup
	[[ "$output" == *"memory:/$CG/c"* ]]
	ru delete -f g1
	[ ! -e "/sys/fs/cgroup/memory/$CG/c" ]
}

@test "rootless: a container joins the user and ipc namespaces of another of the user's containers by path" {
	uconfig '.process.args = ["sleep", "100"]'
	ru_detached run -d -b "$B" j1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid=$(pid_of j1)
	uconfig 'del(.linux.uidMappings, .linux.gidMappings) |
		.linux.namespaces = [{type: "user", path: "/proc/'"$pid"'/ns/user"},
			{type: "ipc", path: "/proc/'"$pid"'/ns/ipc"}, {type: "mount"}, {type: "pid"}, {type: "uts"}] |
		.process.args = ["sh", "-c", "readlink /proc/self/ns/user; readlink /proc/self/ns/ipc; id -u"]'
	run --separate-stderr ru run -b "$B" j2
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/user)" ]
	[ "${lines[1]}" = "$(readlink /proc/$pid/ns/ipc)" ]
	[ "${lines[2]}" = 0 ]
}

@test "rootless: hooks run as the user with the state on stdin; the terminal reaches --console-socket" {
	cp "$(dirname "$RT")/tests/helpers/rq-recvtty" "$U/recvtty"
	uconfig '.hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", "id -u >'"$U"'/hook.out; cat >>'"$U"'/hook.out"]}]} |
		.process.terminal = true | .process.args = ["sh", "-c", "tty; read x; echo got:$x"]'
	as_user "$U/recvtty" "$U/tty.sock" $'hello\n' >"$U/tty.out" 2>&1 &
	local rp=$!
	wait_for test -S "$U/tty.sock"
	run ru run -b "$B" --console-socket "$U/tty.sock" h1
	[ "$status" -eq 0 ]
	wait "$rp"
	out=$(tr -d '\r' <"$U/tty.out")
	[[ "$out" == *"/dev/pts/0"* ]]
	[[ "$out" == *"got:hello"* ]]
	[ "$(head -n1 "$U/hook.out")" = "$RQ_TEST_UID" ]
	[ "$(tail -n +2 "$U/hook.out" | jq -r .id)" = h1 ]
}
