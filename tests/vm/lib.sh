# Sourced by the test scripts that run inside the VM (POSIX sh, busybox): TAP output, a fresh
# busybox bundle per test, the container's cgroup directories, cleanup. See docs/testing.md.
#
#   . /vm/lib.sh
#   t_memory() { set_config '.linux.resources.memory.limit = 33554432'; ...; }
#   run_test "a sentence stating the fact" t_memory
#   finish
#
# A test is a function run in a subshell under `set -e`; `fail MSG` (or any failing command)
# fails it, and its output then follows the "not ok" line as "# " diagnostics.

RT=${RT:-/usr/local/bin/rongqi-runtime}
ROOT=/run/rq-vm-state
CGROOT=/sys/fs/cgroup
MODE=${RQ_VM_MODE:-}
_n=0
_failed=0

fail() {
	echo "$*" >&2
	exit 1
}

# cgroup_mode: v2, v1 or hybrid, from what is mounted (not from what the VM was asked for).
cgroup_mode() {
	_v1=$(grep -c ' - cgroup ' /proc/self/mountinfo)
	_v2=$(grep -c ' - cgroup2 ' /proc/self/mountinfo)
	if [ "$_v1" -eq 0 ] && [ "$_v2" -gt 0 ]; then
		echo v2
	elif [ "$_v2" -eq 0 ] && [ "$_v1" -gt 0 ]; then
		echo v1
	else
		echo hybrid
	fi
}

# set_config JQ_FILTER: edit the bundle's config.json. Every config gets the test's cgroupsPath
# ($CGPATH) and no terminal, and loses the cgroup mount.
set_config() {
	jq --arg cg "$CGPATH" '.process.terminal = false | .linux.cgroupsPath = $cg |
		.mounts |= map(select(.type != "cgroup" and .type != "cgroup2")) | '"$1" \
		"$B/config.json" >"$B/config.new" || fail "set_config: jq failed on: $1"
	mv "$B/config.new" "$B/config.json"
}

# args WORD...: a JSON array of the words, for process.args.
args() {
	printf '%s\n' "$@" | jq -R . | jq -sc .
}

# rt ARGS...: the runtime with the test's state root.
rt() {
	"$RT" --root "$ROOT" "$@"
}

# rt_detached ARGS...: a command that leaves a container running (create, run -d), with its
# stdio on files rather than on the TAP port.
rt_detached() {
	"$RT" --root "$ROOT" "$@" </dev/null >"$T/ctr.out" 2>"$T/ctr.err" || {
		cat "$T/ctr.err" >&2
		return 1
	}
}

# init_pid ID: the pid of the container's init, from `state`.
init_pid() {
	rt state "$1" | jq -r .pid
}

# cg_dir CONTROLLER: the directory of the test's cgroup that holds CONTROLLER's files (on v1
# the hierarchy where CONTROLLER is mounted, through the co-mount links).
cg_dir() {
	if [ "$(cgroup_mode)" = v2 ]; then
		echo "$CGROOT$CGPATH"
	else
		echo "$CGROOT/$1$CGPATH"
	fi
}

# cg_read CONTROLLER FILE: one of the cgroup's files, for assertions.
cg_read() {
	cat "$(cg_dir "$1")/$2"
}

# cg_dirs_left: every directory of the test's cgroup that still exists, in any hierarchy.
cg_dirs_left() {
	find "$CGROOT" -path "*$CGPATH" -type d 2>/dev/null
}

# wait_for CMD...: retry a command for up to 20 s (emulation on a busy host is slow).
wait_for() {
	_i=0
	while [ $_i -lt 200 ]; do
		"$@" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	"$@"
}

# expect_eq WHAT WANT GOT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: want \"$2\", got \"$3\""
}

_teardown() {
	for _id in $("$RT" --root "$ROOT" list -q 2>/dev/null); do
		"$RT" --root "$ROOT" delete -f "$_id" >/dev/null 2>&1
	done
	# deepest first
	find "$CGROOT" -path "*/rq-vm-$_n" -type d 2>/dev/null | while read -r _d; do
		find "$_d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$T"
}

# run_test NAME FUNCTION: one TAP line. The function runs in a subshell with set -e, in a
# fresh bundle $B (config.json from `rongqi-runtime spec`), with a temp dir $T, a container
# id $ID and cgroupsPath $CGPATH of its own.
run_test() {
	_n=$((_n + 1))
	T=/tmp/rq-vm-test-$_n
	B=$T/bundle
	ID=c$_n
	CGPATH=/rq-vm-$_n/c
	rm -rf "$T"
	mkdir -p "$T"
	cp -a /vm/bundle "$B"
	(cd "$B" && "$RT" spec) >"$T/log" 2>&1
	_t0=$(cut -d' ' -f1 /proc/uptime)
	(
		set -e
		cd "$B"
		$2
	) >>"$T/log" 2>&1 </dev/null
	_rc=$?
	echo "rq-vm: test $_n took $(awk -v a="$_t0" '{ print $1 - a }' /proc/uptime) s" >&2
	if [ $_rc -eq 0 ]; then
		echo "ok $_n - $1"
	else
		_failed=$((_failed + 1))
		echo "not ok $_n - $1"
		sed 's/^/#   /' "$T/log" | tail -n 40
	fi
	_teardown
}

# skip_test NAME REASON
skip_test() {
	_n=$((_n + 1))
	echo "ok $_n - $1 # skip $2"
}

finish() {
	echo "1..$_n"
	[ $_failed -eq 0 ]
}
