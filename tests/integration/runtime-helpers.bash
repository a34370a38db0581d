# Shared by the rongqi-runtime bats files: a busybox bundle template made once per file, a
# fresh bundle, state roots and a cgroup parent per test, and a teardown that deletes every
# container (ours and runc's) and the cgroup parent in every hierarchy.
# A file that loads this must `load helpers` first.

RT=${RONGQI_RUNTIME:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/rongqi-runtime}

setup_file() {
	export BUNDLE_TEMPLATE="$BATS_FILE_TMPDIR/template"
	mkdir -p "$BUNDLE_TEMPLATE"/rootfs/{bin,proc,dev,sys,tmp}
	cp /bin/busybox "$BUNDLE_TEMPLATE/rootfs/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$BUNDLE_TEMPLATE/rootfs/bin/$a"
	done
}

setup() {
	require_root
	B="$BATS_TEST_TMPDIR/bundle"
	cp -a "$BUNDLE_TEMPLATE" "$B"
	ROOT="$BATS_TEST_TMPDIR/state"
	RUNC_ROOT="$BATS_TEST_TMPDIR/runc-state"
	CG="rongqi-test-$$-$BATS_TEST_NUMBER"
	(cd "$B" && "$RT" spec)
}

teardown() {
	local id
	for id in $("$RT" --root "$ROOT" list -q 2>/dev/null); do
		"$RT" --root "$ROOT" delete -f "$id" >/dev/null 2>&1 || true
	done
	if [ -d "$RUNC_ROOT" ]; then
		for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
			runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	# runc made cgroups under our own parent only; remove the parent in every hierarchy.
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

# set_config JQ_FILTER: edit the bundle's config.json. Every config gets a cgroupsPath under
# the test's own parent (both runtimes create and remove it there) and no
# terminal, and loses the cgroup mount.
set_config() {
	jq --arg cg "/$CG/c" '.process.terminal = false | .linux.cgroupsPath = $cg |
		.mounts |= map(select(.type != "cgroup" and .type != "cgroup2")) | '"$1" \
		"$B/config.json" >"$B/config.new"
	mv "$B/config.new" "$B/config.json"
}

# rt_detached ARGS...: a rongqi-runtime command that leaves a container running (create,
# run -d): the container inherits stdio, so it gets files, not bats' capture pipe. Sets
# status and output (stderr of the command).
rt_detached() {
	status=0
	"$RT" --root "$ROOT" "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>"$BATS_TEST_TMPDIR/ctr.err" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/ctr.err")
}

# gone PID...: each process has exited (a zombie counts: its reaper is not ours to run).
gone() {
	local p s
	for p in "$@"; do
		s=$(ps -o stat= -p "$p" 2>/dev/null) || continue
		[[ "$s" == Z* ]] || return 1
	done
}

args() {
	# args WORD...: process.args as a JSON array (one word per line: no newlines in words)
	printf '%s\n' "$@" | jq -R . | jq -sc .
}

# cg CONTROLLER: the container's cgroup directory (cgroupsPath /$CG/c) in that hierarchy,
# e.g. cg memory -> /sys/fs/cgroup/memory/$CG/c
cg() { echo "/sys/fs/cgroup/$1/$CG/c"; }

# wait_exit ID: until the container has stopped (up to 20 s)
wait_exit() {
	local i
	for i in $(seq 200); do
		[ "$("$RT" --root "$ROOT" state "$1" | jq -r .status)" = stopped ] && return 0
		sleep 0.1
	done
	return 1
}
