#!/usr/bin/env bats
# rongqi-runtime and seccomp user notification: SCMP_ACT_NOTIFY rules, the listener fd sent to
# the agent at linux.seccomp.listenerPath with the container process state. The agent is
# tests/helpers/rq-seccomp-agent: it records what it receives and answers every notification
# the way it was told (errno:N, value:V or continue).

load helpers
bats_require_minimum_version 1.5.0

load runtime-helpers

AGENT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/tests/helpers/rq-seccomp-agent

# The file's teardown: the runtime helpers' one (containers, cgroups), then the agent.
eval "runtime_teardown()$(declare -f teardown | sed 1d)"
teardown() {
	runtime_teardown
	stop_agent
}

stop_agent() {
	if [ -n "${AGENT_PID:-}" ]; then
		kill "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		AGENT_PID=
	fi
	rm -f "$SOCK"
}

# start_agent ANSWER: an agent on $SOCK recording into $OUT (state.N, fd.N, notifications).
start_agent() {
	stop_agent
	OUT="$BATS_TEST_TMPDIR/agent-$1"
	mkdir -p "$OUT"
	"$AGENT" "$SOCK" "$OUT" "$1" >"$OUT/log" 2>&1 3>&- &
	AGENT_PID=$!
	wait_for test -S "$SOCK"
}

setup() {
	require_root
	[ -x "$AGENT" ] || skip "build tests/helpers/rq-seccomp-agent first (ninja -C build)"
	B="$BATS_TEST_TMPDIR/bundle"
	cp -a "$BUNDLE_TEMPLATE" "$B"
	ROOT="$BATS_TEST_TMPDIR/state"
	RUNC_ROOT="$BATS_TEST_TMPDIR/runc-state"
	CG="rongqi-test-$$-$BATS_TEST_NUMBER"
	SOCK="$BATS_TEST_TMPDIR/agent.sock"
	AGENT_PID=
	(cd "$B" && "$RT" spec)
}

# notify_config ARGS_JSON: that program, its mkdir and mkdirat notified to the agent at $SOCK.
notify_config() {
	set_config ".root.readonly = false | .process.args = $1 |
		.linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$SOCK\",
			listenerMetadata: \"rq-test meta\",
			syscalls: [{names: [\"mkdir\", \"mkdirat\"], action: \"SCMP_ACT_NOTIFY\"}]}"
}

@test "seccomp notify: the container's mkdir fails with the agent's errno and makes nothing" {
	start_agent errno:52
	notify_config "$(args sh -c 'mkdir /tmp/d; echo rc=$?')"
	run --separate-stderr timeout 30 "$RT" --root "$ROOT" run -b "$B" n1
	[ "$status" -eq 0 ]
	[ "$output" = rc=1 ]
	[[ "$stderr" == *"can't create directory '/tmp/d': Invalid exchange"* ]] # EBADE, 52
	[ ! -e "$B/rootfs/tmp/d" ]
	[ -s "$OUT/notifications" ]
}

@test "seccomp notify: the agent's success skips the mkdir, its continue lets the kernel do it" {
	start_agent value:0
	notify_config "$(args sh -c 'mkdir /tmp/d && echo made')"
	run --separate-stderr timeout 30 "$RT" --root "$ROOT" run -b "$B" n2
	[ "$status" -eq 0 ]
	[ "$output" = made ]
	[ ! -e "$B/rootfs/tmp/d" ]
	start_agent continue
	run --separate-stderr timeout 30 "$RT" --root "$ROOT" run -b "$B" n2b
	[ "$status" -eq 0 ]
	[ "$output" = made ]
	[ -d "$B/rootfs/tmp/d" ]
}

@test "seccomp notify: create gives the agent the listener, the metadata, the init's pid and the state; no fd of it in the container" {
	start_agent errno:52
	notify_config "$(args sh -c 'mkdir /tmp/d; echo rc=$?; ls -l /proc/$$/fd /proc/self/fd; echo listed; exec sleep 60')"
	rt_detached create --pid-file "$B/pid" -b "$B" n3
	[ "$status" -eq 0 ]
	pid=$(cat "$B/pid")
	# Sent during create, while the container is "creating".
	[ "$(cat "$OUT/fd.1")" = "anon_inode:seccomp notify" ]
	jq -e --argjson pid "$pid" --arg b "$B" '
		.ociVersion == "1.3.0" and .fds == ["seccompFd"] and .pid == $pid and
		.metadata == "rq-test meta" and .state.id == "n3" and .state.status == "creating" and
		.state.pid == $pid and .state.bundle == $b and .state.ociVersion == "1.3.0"' "$OUT/state.1"
	# The waiting init holds no copy of the listener.
	[ -n "$(ls -l "/proc/$pid/fd")" ]
	[[ "$(ls -l "/proc/$pid/fd")" != *seccomp* ]]
	run "$RT" --root "$ROOT" start n3
	[ "$status" -eq 0 ]
	wait_for grep -q '^listed$' "$BATS_TEST_TMPDIR/ctr.out"
	grep -q '^rc=1$' "$BATS_TEST_TMPDIR/ctr.out"
	grep -q "Invalid exchange" "$BATS_TEST_TMPDIR/ctr.err"
	# The fds of the program (PID 1) and of a process it starts: no listener among them.
	[ "$(grep -c ' 0 -> /dev/null$' "$BATS_TEST_TMPDIR/ctr.out")" -eq 2 ]
	[[ "$(cat "$BATS_TEST_TMPDIR/ctr.out")" != *seccomp* ]]
	[ ! -e "$OUT/state.2" ]
}

@test "seccomp notify: exec's process is filtered too, and the agent gets its pid and the running state" {
	start_agent errno:52
	notify_config "$(args sleep 60)"
	rt_detached run -d -b "$B" n4
	[ "$status" -eq 0 ]
	init=$("$RT" --root "$ROOT" state n4 | jq -r .pid)
	run --separate-stderr timeout 30 "$RT" --root "$ROOT" exec --pid-file "$B/xpid" n4 \
		sh -c 'mkdir /tmp/e; echo rc=$?; ls -l /proc/$$/fd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = rc=1 ]
	[[ "$stderr" == *"can't create directory '/tmp/e': Invalid exchange"* ]]
	[[ "$output" == *" 0 -> /dev/null"* && "$output" != *seccomp* ]]
	xpid=$(cat "$B/xpid")
	[ "$xpid" != "$init" ]
	[ "$(cat "$OUT/fd.2")" = "anon_inode:seccomp notify" ]
	jq -e --argjson pid "$xpid" --argjson init "$init" '
		.pid == $pid and .fds == ["seccompFd"] and .metadata == "rq-test meta" and
		.state.id == "n4" and .state.status == "running" and .state.pid == $init' "$OUT/state.2"
}

@test "seccomp notify: with the agent gone, notified syscalls fail with ENOSYS instead of hanging" {
	start_agent errno:52
	notify_config "$(args sh -c 'mkdir /tmp/d; echo rc=$?; exec sleep 60')"
	rt_detached create -b "$B" n5
	[ "$status" -eq 0 ]
	[ -f "$OUT/state.1" ]
	stop_agent
	run "$RT" --root "$ROOT" start n5
	[ "$status" -eq 0 ]
	wait_for grep -q '^rc=' "$BATS_TEST_TMPDIR/ctr.out"
	grep -q '^rc=1$' "$BATS_TEST_TMPDIR/ctr.out"
	grep -q "Function not implemented" "$BATS_TEST_TMPDIR/ctr.err"
	# exec needs the agent: refused, naming the path, the container keeps running.
	run "$RT" --root "$ROOT" exec n5 true
	[ "$status" -eq 1 ]
	[[ "$output" == *"exec in container n5: linux.seccomp.listenerPath: connect to the seccomp agent at $SOCK: No such file or directory"* ]]
	[ "$("$RT" --root "$ROOT" state n5 | jq -r .status)" = running ]
}

@test "seccomp notify: an unreachable listenerPath fails create by path and leaves no state, process or cgroup" {
	notify_config "$(args sleep 61)"
	rt_detached create -b "$B" n6
	[ "$status" -eq 1 ]
	[[ "$output" == *"create container n6: linux.seccomp.listenerPath: connect to the seccomp agent at $SOCK: No such file or directory"* ]]
	[[ "$output" == *"hint: start the seccomp agent"* ]]
	[ ! -e "$ROOT/n6" ]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -path "*/$CG/c" 2>/dev/null)" ]
	run ! pgrep -f "create -b $B n6"
	# A socket nobody listens on: refused the same way.
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
	rt_detached create -b "$B" n6
	[ "$status" -eq 1 ]
	[[ "$output" == *"connect to the seccomp agent at $SOCK: Connection refused"* ]]
	[ ! -e "$ROOT/n6" ]
}

@test "seccomp notify: SCMP_ACT_NOTIFY without listenerPath, a relative listenerPath and NOTIFY on sendmsg are refused by JSON path" {
	set_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getpid"], action: "SCMP_ACT_ERRNO"}, {names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}'
	rt_detached create -b "$B" n7
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs a listenerPath"* ]]
	set_config '.linux.seccomp.listenerPath = "agent.sock"'
	rt_detached create -b "$B" n7
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.seccomp.listenerPath: must be an absolute path"* ]]
	set_config ".linux.seccomp.listenerPath = \"$SOCK\" | .linux.seccomp.syscalls[1].names = [\"sendmsg\"]"
	rt_detached create -b "$B" n7
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.seccomp.syscalls[1].names[0]: SCMP_ACT_NOTIFY on sendmsg is refused"* ]]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
}

@test "features lists SCMP_ACT_NOTIFY among the seccomp actions" {
	run "$RT" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY")'
}

@test "oracle: runc's agent gets the same container process state keys and the container the same error" {
	start_agent errno:52
	notify_config "$(args sh -c 'mkdir /tmp/d; echo rc=$?')"
	run --separate-stderr timeout 30 runc --root "$RUNC_ROOT" run -b "$B" o1
	[ "$status" -eq 0 ]
	[ "$output" = rc=1 ]
	[[ "$stderr" == *"can't create directory '/tmp/d': Invalid exchange"* ]]
	runc_keys=$(jq -c '[keys, (.state | keys), .fds, .state.status]' "$OUT/state.1")
	run --separate-stderr timeout 30 "$RT" --root "$ROOT" run -b "$B" o2
	[ "$status" -eq 0 ]
	[ "$output" = rc=1 ]
	# runc's state has no "created" and "owner"; every key it sends, we send.
	jq -e --argjson r "$runc_keys" '([keys, (.state | keys), .fds, .state.status]) as $o |
		($r[0] - $o[0]) == [] and ($r[1] - $o[1]) == [] and $r[2] == $o[2] and $r[3] == $o[3]' "$OUT/state.2"
}
