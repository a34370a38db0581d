#!/usr/bin/env bats
# rongqi-runtime under its real callers: podman (through conmon) and containerd (through its
# runc v2 shim, driven by ctr). Every test has its own podman store or its own containerd (own
# root, state, socket, config), and a cgroup parent of its own; teardown removes the
# containers, stores, the containerd it started (by pid), mounts under its directory and the
# cgroups.

load helpers
bats_require_minimum_version 1.5.0

RT=${RONGQI_RUNTIME:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/rongqi-runtime}
# podman's default rlimits are above what this machine allows (no CAP_SYS_RESOURCE).
PODMAN_RUN_OPTS=(--network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)

# podman (4.3) and containerd (1.6) write a few host paths whatever their --root says: podman's
# are noted and removed by helpers.bash (podman_host_paths_note/remove), containerd's shim socket
# directory in teardown.

# A busybox image in a read-only store shared by the podman tests (podman import of a rootfs
# tarball), and the same image as an OCI archive (podman save, for ctr import).
setup_file() {
	command -v podman >/dev/null && [ "$(id -u)" -eq 0 ] || return 0
	podman_host_paths_note
	local r="$BATS_FILE_TMPDIR/rootfs"
	mkdir -p "$r"/{bin,etc,proc,dev,sys,tmp}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
	tar -C "$r" -cf "$BATS_FILE_TMPDIR/rootfs.tar" .
	local s="$BATS_FILE_TMPDIR/images"
	local pm=(podman --root "$s/root" --runroot "$s/runroot" --tmpdir "$s/tmp"
		--storage-driver vfs --events-backend file --cgroup-manager=cgroupfs)
	"${pm[@]}" import -q "$BATS_FILE_TMPDIR/rootfs.tar" localhost/busybox >/dev/null
	"${pm[@]}" save -q --format oci-archive -o "$BATS_FILE_TMPDIR/busybox.oci.tar" \
		localhost/busybox
}

teardown_file() {
	podman_host_paths_remove
}

setup() {
	require_root
	CG="rongqi-test-$$-$BATS_TEST_NUMBER"
	PM="$BATS_TEST_TMPDIR/podman"
	CTD="$BATS_TEST_TMPDIR/containerd"
	# the host's pids hierarchy (cgroup v1 or hybrid), or the unified one (v2)
	PIDS_CG=/sys/fs/cgroup/pids
	[ -d "$PIDS_CG" ] || PIDS_CG=/sys/fs/cgroup
	CTD_PID=
	RUN_CONTAINERD_EXISTED=
	[ -e /run/containerd ] && RUN_CONTAINERD_EXISTED=1 || true
}

teardown() {
	local id f p
	if [ -d "$PM" ]; then
		for id in $(podman_ ps -aq --no-trunc 2>/dev/null); do
			podman_ rm -f -t 0 "$id" >/dev/null 2>&1 || true
			# podman uses the runtime's default state root
			"$RT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	if [ -n "$CTD_PID" ]; then
		for id in $(ctr_ tasks ls -q 2>/dev/null); do
			ctr_ tasks kill -s KILL "$id" >/dev/null 2>&1 || true
			ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_ containers rm "$id" >/dev/null 2>&1 || true
		done
		# shims this containerd started that are still there (they exit with their task)
		for f in "$CTD"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
			[ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
		done
		kill "$CTD_PID" 2>/dev/null || true
		wait "$CTD_PID" 2>/dev/null || true
		for id in $("$RT" --root "$CTD/rt/default" list -q 2>/dev/null); do
			"$RT" --root "$CTD/rt/default" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	# what podman (the container's shm, storage) or containerd (rootfs) left mounted
	awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r p; do umount -l "$p" 2>/dev/null || true; done
	# podman's cleanup process (run by conmon when a container exits) may still be in the
	# conmon cgroup: wait for it to leave, then remove the cgroups.
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null | while read -r p; do
		find "$p" -depth -type d | while read -r d; do
			wait_for sh -c "! grep -q . '$d/cgroup.procs'" || true
			rmdir "$d" 2>/dev/null || true
		done
	done
	# containerd 1.6 puts its shims' sockets in /run/containerd/s whatever its state dir is
	[ -n "$CTD_PID" ] && [ -z "$RUN_CONTAINERD_EXISTED" ] &&
		rmdir /run/containerd/s /run/containerd 2>/dev/null || true
}

require_podman() {
	command -v podman >/dev/null && command -v conmon >/dev/null ||
		skip "podman or conmon is not installed (scripts/deps.sh installs them)"
}

require_containerd() {
	command -v containerd >/dev/null && command -v ctr >/dev/null &&
		command -v containerd-shim-runc-v2 >/dev/null ||
		skip "containerd, ctr or containerd-shim-runc-v2 is not installed (scripts/deps.sh installs them)"
	[ -f "$BATS_FILE_TMPDIR/busybox.oci.tar" ] || skip "no image archive: podman is not installed"
}

# podman_ ARGS...: podman on the test's own store (the busybox image comes from the shared
# read-only one), with rongqi-runtime as the OCI runtime.
podman_() {
	podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/tmp" --storage-driver vfs \
		--storage-opt "vfs.imagestore=$BATS_FILE_TMPDIR/images/root" --events-backend file \
		--cgroup-manager=cgroupfs --runtime "$RT" "$@"
}

podman_setup() {
	require_podman
	mkdir -p "$PM"
}

# ctr_ ARGS...: ctr on the test's containerd.
ctr_() {
	ctr -a "$CTD/ctd.sock" "$@"
}

# ctr_run ARGS...: ctr run with rongqi-runtime as the shim's runtime, its state root, fifos,
# and the container's cgroup /$CG/$CTR_ID under the test's parent (CTR_ID: the container id
# among ARGS). ctr_run_cmd sets CTR_RUN to that command without ARGS.
ctr_run_cmd() {
	CTR_RUN=(ctr -a "$CTD/ctd.sock" run --snapshotter native --fifo-dir "$CTD/fifo"
		--runc-binary "$RT" --runc-root "$CTD/rt" --cgroup "/$CG/$CTR_ID")
}

ctr_run() {
	ctr_run_cmd
	"${CTR_RUN[@]}" "$@"
}

# containerd on its own paths, with a config of its own (no CRI plugin: it would set up
# networking; no /opt plugin), and the busybox archive imported.
containerd_setup() {
	require_containerd
	mkdir -p "$CTD/fifo"
	cat >"$CTD/config.toml" <<-EOF
		version = 2
		root = "$CTD/root"
		state = "$CTD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.tracing.processor.v1.otlp"]
		[grpc]
		  address = "$CTD/ctd.sock"
		[ttrpc]
		  address = "$CTD/ctd.sock.ttrpc"
	EOF
	containerd -c "$CTD/config.toml" >"$CTD/log" 2>&1 3>&- &
	CTD_PID=$!
	wait_for ctr_ version >/dev/null 2>&1 || { cat "$CTD/log"; false; }
	ctr_ images import --snapshotter native "$BATS_FILE_TMPDIR/busybox.oci.tar" >/dev/null
}

@test "podman run -i: the container's stdin, output and exit status are podman's" {
	podman_setup
	run --separate-stderr podman_ run --rm -i --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" \
		localhost/busybox sh -c 'read l; echo "out $l"; echo err >&2; exit 3' <<<in
	[ "$status" -eq 3 ]
	[ "$output" = "out in" ]
	[ "$stderr" = err ]
	[ -z "$(podman_ ps -aq)" ]
}

@test "podman run: /sys/fs/cgroup shows the container's own cgroup read-only, under --cgroup-parent" {
	[ -d /sys/fs/cgroup/pids ] || skip "checks the cgroup v1 layout; this host has cgroup v2 only"
	podman_setup
	run podman_ run --rm --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox \
		sh -c 'grep -c "/'"$CG"'/libpod-" /proc/self/cgroup; cat /sys/fs/cgroup/pids/pids.max
		       grep -q "^$$\$" /sys/fs/cgroup/pids/cgroup.procs && echo mine
		       mkdir /sys/fs/cgroup/pids/x 2>/dev/null || echo ro'
	[ "$status" -eq 0 ]
	local n=${lines[0]}
	[ "$n" -ge 1 ]
	[ "${lines[1]}" = 2048 ] # podman's default --pids-limit, seen through the mount
	[ "${lines[2]}" = mine ]
	[ "${lines[3]}" = ro ]
}

@test "podman run -d, exec, pause, stop, rm: exec's status, stop's SIGTERM reaches the init, nothing is left" {
	podman_setup
	run podman_ run -d --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox \
		sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	local id=$output
	[ -d "$PIDS_CG/$CG/libpod-$id" ]
	run podman_ exec "$id" sh -c 'echo in; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = in ]
	run "$RT" state "$id"
	[ "$(echo "$output" | jq -r .status)" = running ]
	run podman_ pause "$id"
	[ "$status" -eq 0 ]
	[ "$("$RT" state "$id" | jq -r .status)" = paused ]
	run podman_ unpause "$id"
	[ "$status" -eq 0 ]
	[ "$("$RT" state "$id" | jq -r .status)" = running ]
	run podman_ stop -t 10 "$id"
	[ "$status" -eq 0 ]
	[ "$(podman_ inspect -f '{{.State.ExitCode}}' "$id")" = 42 ]
	run podman_ rm "$id"
	[ "$status" -eq 0 ]
	run "$RT" state "$id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
	[ ! -e "$PIDS_CG/$CG/libpod-$id" ]
}

@test "podman: a missing program exits 127 and a non-executable one 126, the error naming it" {
	podman_setup
	run -127 podman_ run --rm --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox nosuch
	[[ "$output" == *'exec nosuch: executable file not found in $PATH'* ]]
	# podman's delete --force after the failed create finds nothing to delete, quietly
	[[ "$output" != *"container does not exist"* ]]
	run -126 podman_ run --rm --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox /etc/passwd
	[[ "$output" == *"exec /etc/passwd: permission denied"* ]]
	run podman_ run -d --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox sleep 100
	local id=$output
	run -127 podman_ exec "$id" nosuch
	[[ "$output" == *'exec nosuch: executable file not found in $PATH'* ]]
	run -126 podman_ exec "$id" /etc/passwd
}

@test "podman run -t: the program's stdio is a terminal made through --console-socket" {
	podman_setup
	run podman_ run --rm -t --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox \
		sh -c 'test -t 0 && test -t 1 && tty; exit 5' </dev/null
	[ "$status" -eq 5 ]
	[ "${output%$'\r'}" = /dev/pts/0 ]
}

@test "podman exec -t: the exec'd program gets a terminal" {
	"$RT" exec --help | grep -q -- --tty || skip "needs exec --tty (in progress)"
	podman_setup
	run podman_ run -d --cgroup-parent "/$CG" "${PODMAN_RUN_OPTS[@]}" localhost/busybox sleep 100
	local id=$output
	run podman_ exec -t "$id" sh -c 'test -t 0 && tty; exit 6' </dev/null
	[ "$status" -eq 6 ]
	[[ "$output" == /dev/pts/* ]]
}

@test "ctr run: output and exit status pass through containerd's runc shim" {
	containerd_setup
	CTR_ID=r1 run --separate-stderr ctr_run --rm localhost/busybox:latest r1 \
		sh -c 'echo out; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	# the shim called us with its own state root and JSON log, and delete left nothing there
	[ -z "$("$RT" --root "$CTD/rt/default" list -q)" ]
	[ ! -d "$PIDS_CG/$CG/r1" ]
}

@test "ctr run -t: the shim's --console-socket gives the program a terminal" {
	containerd_setup
	# ctr -t wants a terminal of its own: script(1) gives it one
	CTR_ID=y1 ctr_run_cmd
	local cmd=("${CTR_RUN[@]}" --rm -t localhost/busybox:latest y1 sh -c 'test -t 0 && tty; exit 3')
	run script -qec "$(printf '%q ' "${cmd[@]}")" /dev/null </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/pts/0"* ]]
}

@test "ctr task exec, kill, delete: exec's status, SIGTERM reaches the init, delete leaves nothing" {
	containerd_setup
	CTR_ID=t1 run ctr_run -d localhost/busybox:latest t1 \
		sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ]
	[ -d "$PIDS_CG/$CG/t1" ]
	run ctr_ task exec --fifo-dir "$CTD/fifo" --exec-id e1 t1 sh -c 'echo in; exit 9'
	[ "$status" -eq 9 ]
	[ "$output" = in ]
	run ctr_ task kill t1
	[ "$status" -eq 0 ]
	wait_for sh -c "ctr -a '$CTD/ctd.sock' task ls | grep -q '^t1 .*STOPPED'"
	run ctr_ task delete t1
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 42"* ]]
	run ctr_ containers rm t1
	[ "$status" -eq 0 ]
	[ -z "$("$RT" --root "$CTD/rt/default" list -q)" ]
	[ ! -d "$PIDS_CG/$CG/t1" ]
}

@test "ctr run and task exec of a missing program: ctr's error names it, from the runtime's JSON log" {
	containerd_setup
	CTR_ID=m1 run ctr_run --rm localhost/busybox:latest m1 nosuchprog
	[ "$status" -ne 0 ]
	[[ "$output" == *'OCI runtime create failed'*'exec nosuchprog: executable file not found in $PATH'* ]]
	[ -z "$("$RT" --root "$CTD/rt/default" list -q)" ]
	CTR_ID=m2 run ctr_run -d localhost/busybox:latest m2 sleep 100
	[ "$status" -eq 0 ]
	run ctr_ task exec --fifo-dir "$CTD/fifo" --exec-id e1 m2 nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *'OCI runtime exec failed'*'exec nosuch: executable file not found in $PATH'* ]]
}
