#!/usr/bin/env bats
# rongqi-runtime terminals (exec -t, --console-socket, the foreground relay of run and exec)
# and --pidfd-socket. runc 1.1 is the oracle where it has the feature (not --pidfd-socket).
# The foreground relay is driven through script(1): the runtime's stdin and stdout are then a
# pty of a known size, and what script reads from its stdin is what "the user types".

load helpers
load runtime-helpers

RECVTTY=$(dirname "$RT")/tests/helpers/rq-recvtty

# in_pty ROWS COLS INPUT CMD: run CMD on a fresh pty sized ROWS x COLS, INPUT typed into it;
# status is CMD's, output what the pty showed (carriage returns removed).
in_pty() {
	local rows=$1 cols=$2 input=$3 cmd=$4
	status=0
	output=$(printf '%s' "$input" | timeout 30 script -qec "stty rows $rows cols $cols; $cmd" /dev/null) || status=$?
	output=$(printf '%s' "$output" | tr -d '\r')
}

# program_lines TEXT: the lines the container's program printed, without the terminal's echo
# of the typed input (where that echo lands depends on when the input arrives: before or after
# the runtime puts its terminal in raw mode), for comparing runs.
program_lines() {
	printf '%s\n' "$1" | grep -v -x -e hey -e hello || true
}

# A running container x (program: sleep) with no terminal of its own.
start_target_container() {
	set_config ".process.args = $(args sleep 100)"
	rt_detached run -d -b "$B" x
	[ "$status" -eq 0 ]
}

TTY_SCRIPT='tty; stty size; [ -t 0 ] && echo stdin-is-tty; read x; echo got:$x; exit 7'

@test "exec -d -t --console-socket: the process gets a pty of the container's devpts, input reaches it" {
	start_target_container
	sock="$BATS_TEST_TMPDIR/tty.sock"
	"$RECVTTY" "$sock" $'hello\n' >"$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	local rp=$!
	wait_for test -S "$sock"
	run "$RT" --root "$ROOT" exec -d -t --console-socket "$sock" x sh -c "$TTY_SCRIPT"
	[ "$status" -eq 0 ]
	wait "$rp"
	out=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	[[ "$out" == *"/dev/pts/0"* ]]
	[[ "$out" == *"stdin-is-tty"* ]]
	[[ "$out" == *"got:hello"* ]]
	# the pty is the container's: its devpts has exactly this one
	run "$RT" --root "$ROOT" exec x ls /dev/pts
	[ "$output" = ptmx ]
}

@test "exec -p process.json with terminal and consoleSize: the pty has that size, as with runc" {
	start_target_container
	jq -n '{args: ["sh", "-c", "stty size; [ -t 1 ] && echo stdout-is-tty"], cwd: "/",
		terminal: true, consoleSize: {height: 12, width: 34}, env: ["PATH=/bin"],
		user: {uid: 0, gid: 0}}' >"$BATS_TEST_TMPDIR/p.json"
	sock="$BATS_TEST_TMPDIR/tty.sock"
	"$RECVTTY" "$sock" >"$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	local rp=$!
	wait_for test -S "$sock"
	run "$RT" --root "$ROOT" exec -d -p "$BATS_TEST_TMPDIR/p.json" --console-socket "$sock" x
	[ "$status" -eq 0 ]
	wait "$rp"
	got=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	# runc on the same bundle and process
	set_config ".process.args = $(args sleep 100)"
	runc --root "$RUNC_ROOT" run -d -b "$B" rx </dev/null >/dev/null 2>&1
	rm -f "$sock"
	"$RECVTTY" "$sock" >"$BATS_TEST_TMPDIR/runc.out" 2>&1 &
	rp=$!
	wait_for test -S "$sock"
	runc --root "$RUNC_ROOT" exec -d -p "$BATS_TEST_TMPDIR/p.json" --console-socket "$sock" rx
	wait "$rp"
	want=$(tr -d '\r' <"$BATS_TEST_TMPDIR/runc.out")
	[ "$got" = "$want" ]
	[ "$got" = $'12 34\nstdout-is-tty' ]
}

@test "run in the foreground with process.terminal relays the pty: tty, outer size, input, exit code; as runc" {
	set_config ".process.terminal = true | .process.args = $(args sh -c "$TTY_SCRIPT")"
	jq '.process.terminal = true' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	in_pty 33 77 $'hello\n' "'$RT' --root '$ROOT' run -b '$B' f1"
	[ "$status" -eq 7 ]
	got=$output
	[[ "$got" == *$'/dev/pts/0\n33 77\nstdin-is-tty\n'* ]]
	[[ "$got" == *"got:hello"* ]]
	# nothing left: the foreground run deletes its container
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
	in_pty 33 77 $'hello\n' "runc --root '$RUNC_ROOT' run -b '$B' r1"
	[ "$status" -eq 7 ]
	[ "$(program_lines "$got")" = "$(program_lines "$output")" ]
}

@test "exec -t in the foreground relays the pty: tty, outer size, input, exit code; as runc" {
	start_target_container
	in_pty 21 55 $'hey\n' "'$RT' --root '$ROOT' exec -t x sh -c '$TTY_SCRIPT'"
	[ "$status" -eq 7 ]
	got=$output
	[[ "$got" == *$'/dev/pts/0\n21 55\nstdin-is-tty\n'* ]]
	[[ "$got" == *"got:hey"* ]]
	runc --root "$RUNC_ROOT" run -d -b "$B" rx </dev/null >/dev/null 2>&1
	in_pty 21 55 $'hey\n' "runc --root '$RUNC_ROOT' exec -t rx sh -c '$TTY_SCRIPT'"
	[ "$status" -eq 7 ]
	[ "$(program_lines "$got")" = "$(program_lines "$output")" ]
}

@test "foreground relay: the outer terminal's new size reaches the container (SIGWINCH)" {
	start_target_container
	# The container waits for the size that the test sets on the runtime's terminal.
	cmd="'$RT' --root '$ROOT' exec -t x sh -c 'echo ready; while [ \"\$(stty size)\" != \"50 60\" ]; do sleep 0.1; done; echo resized; exit 4'"
	(rc=0; timeout 30 script -qec "stty rows 10 cols 20; $cmd" /dev/null </dev/null >"$BATS_TEST_TMPDIR/w.out" || rc=$?; echo $rc >"$BATS_TEST_TMPDIR/w.rc") 3>&- &
	wait_for grep -q ready "$BATS_TEST_TMPDIR/w.out"
	rt=$(pgrep -o -f "^$RT --root $ROOT exec -t x")
	[ -n "$rt" ]
	stty -F "$(readlink "/proc/$rt/fd/0")" rows 50 cols 60
	wait_for test -s "$BATS_TEST_TMPDIR/w.rc"
	[ "$(cat "$BATS_TEST_TMPDIR/w.rc")" = 4 ]
	grep -q resized "$BATS_TEST_TMPDIR/w.out"
}

@test "foreground run: a signal to the runtime goes to the container process" {
	set_config ".process.terminal = true | .process.args = $(args sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done')"
	jq '.process.terminal = true' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	(rc=0; timeout 30 script -qec "'$RT' --root '$ROOT' run -b '$B' s1" /dev/null </dev/null >"$BATS_TEST_TMPDIR/s.out" || rc=$?; echo $rc >"$BATS_TEST_TMPDIR/s.rc") 3>&- &
	wait_for grep -q ready "$BATS_TEST_TMPDIR/s.out"
	rt=$(pgrep -o -f "^$RT --root $ROOT run -b $B s1")
	[ -n "$rt" ]
	kill -TERM "$rt"
	wait_for test -s "$BATS_TEST_TMPDIR/s.rc"
	[ "$(cat "$BATS_TEST_TMPDIR/s.rc")" = 3 ]
	grep -q got-term "$BATS_TEST_TMPDIR/s.out"
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
}

@test "exec -d -t without --console-socket is refused in runc's words; a console socket needs -t" {
	start_target_container
	run "$RT" --root "$ROOT" exec -d -t x true
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot allocate tty if rongqi-runtime will detach without setting console socket"* ]]
	runc --root "$RUNC_ROOT" run -d -b "$B" rx </dev/null >/dev/null 2>&1
	run runc --root "$RUNC_ROOT" exec -d -t rx true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot allocate tty if runc will detach without setting console socket"* ]]
	run "$RT" --root "$ROOT" exec -d --console-socket "$BATS_TEST_TMPDIR/none.sock" x true
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot use console socket if rongqi-runtime will not allocate tty"* ]]
	# run -d is refused the same way, and leaves nothing
	set_config '.process.terminal = true'
	jq '.process.terminal = true' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	rt_detached run -d -b "$B" d2
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot allocate tty if rongqi-runtime will detach"* ]]
	[ "$("$RT" --root "$ROOT" list -q)" = x ]
}

@test "--pidfd-socket on create: the receiver gets a pidfd of the init (name standard), and can kill it" {
	set_config ".process.args = $(args sleep 100)"
	sock="$BATS_TEST_TMPDIR/pidfd.sock"
	"$RECVTTY" --pidfd "$sock" 9 >"$BATS_TEST_TMPDIR/pidfd.out" 2>&1 &
	local rp=$!
	wait_for test -S "$sock"
	rt_detached create --pid-file "$BATS_TEST_TMPDIR/init.pid" --pidfd-socket "$sock" -b "$B" p1
	[ "$status" -eq 0 ]
	wait "$rp"
	[ "$(cat "$BATS_TEST_TMPDIR/pidfd.out")" = "standard $(cat "$BATS_TEST_TMPDIR/init.pid")" ]
	# the receiver's SIGKILL through the pidfd stopped the container
	wait_for test "$("$RT" --root "$ROOT" state p1 | jq -r .status)" = stopped
}

@test "--pidfd-socket on run -d and exec -d: pidfds of the init and of the exec'd process (name setns)" {
	set_config ".process.args = $(args sleep 100)"
	sock="$BATS_TEST_TMPDIR/pidfd.sock"
	"$RECVTTY" --pidfd "$sock" >"$BATS_TEST_TMPDIR/pidfd.out" 2>&1 &
	wait_for test -S "$sock"
	rt_detached run -d --pidfd-socket "$sock" -b "$B" p2
	[ "$status" -eq 0 ]
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/pidfd.out")" = "standard $("$RT" --root "$ROOT" state p2 | jq .pid)" ]
	rm -f "$sock"
	"$RECVTTY" --pidfd "$sock" >"$BATS_TEST_TMPDIR/pidfd.out" 2>&1 &
	wait_for test -S "$sock"
	run "$RT" --root "$ROOT" exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" --pidfd-socket "$sock" p2 sleep 50
	[ "$status" -eq 0 ]
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/pidfd.out")" = "setns $(cat "$BATS_TEST_TMPDIR/exec.pid")" ]
	[ "$(cat "/proc/$(cat "$BATS_TEST_TMPDIR/exec.pid")/comm")" = sleep ]
}

@test "--pidfd-socket: a path nobody listens on is named in the error; no container, no process is left" {
	set_config ".process.args = $(args sleep 100)"
	rt_detached create --pidfd-socket "$BATS_TEST_TMPDIR/nobody.sock" -b "$B" p3
	[ "$status" -eq 1 ]
	[[ "$output" == *"--pidfd-socket $BATS_TEST_TMPDIR/nobody.sock: connect: No such file or directory"* ]]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
	[ ! -e "$ROOT/p3" ]
	rt_detached run -d -b "$B" p4
	[ "$status" -eq 0 ]
	before=$("$RT" --root "$ROOT" ps p4 | wc -l)
	run "$RT" --root "$ROOT" exec -d --pidfd-socket "$BATS_TEST_TMPDIR/nobody.sock" p4 sleep 50
	[ "$status" -eq 1 ]
	[[ "$output" == *"--pidfd-socket $BATS_TEST_TMPDIR/nobody.sock: connect"* ]]
	[ "$("$RT" --root "$ROOT" ps p4 | wc -l)" = "$before" ]
}
