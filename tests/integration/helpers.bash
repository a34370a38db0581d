# Shared by every bats file. The runner (tests/run.sh) exports:
#   RONGQI          the rongqi binary under test (default: build/rongqi of this checkout)
#   RQ_TEST_USER    an unprivileged user it created for rootless tests (with /etc/subuid and
#   RQ_TEST_UID     /etc/subgid lines), removed when the run ends
#   RQ_TEST_GID
#   RQ_BIN_DIR      a world-readable directory holding a copy of the binary for that user
# Tests that need the unprivileged user call require_test_user (skips when run without it).

RONGQI=${RONGQI:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/rongqi}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

require_test_user() {
	[ -n "${RQ_TEST_USER:-}" ] || skip "no unprivileged test user (run through tests/run.sh)"
}

# as_user CMD...: run CMD as the unprivileged test user, with a clean environment.
# "rongqi" in CMD is not rewritten: use "$RQ_BIN_DIR/rongqi".
as_user() {
	setpriv --reuid="$RQ_TEST_UID" --regid="$RQ_TEST_GID" --init-groups --reset-env -- \
		env PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/tmp SHELL=/bin/sh "$@"
}

# ns_inode PID TYPE: inode number of /proc/PID/ns/TYPE
ns_inode() {
	stat -L -c %i "/proc/$1/ns/$2"
}

# wait_for COND...: retry a command for up to 5 s
wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# start_target [unshare flags...]: start a long-running process in new namespaces made by
# util-linux unshare (the oracle, so nsenter and ns tests do not depend on rongqi unshare).
# Sets TARGET_PID to the innermost process (the one inside the namespaces). Killed by
# stop_targets, which every file using this must call in teardown.
start_target() {
	local marker="rq-target-$$-$RANDOM"
	unshare "$@" bash -c "exec -a $marker sleep 1000" &
	TARGET_WRAPPER_PIDS="${TARGET_WRAPPER_PIDS:-} $!"
	wait_for pgrep -f "^$marker" >/dev/null
	TARGET_PID=$(pgrep -f "^$marker" | head -n1)
	TARGET_MARKERS="${TARGET_MARKERS:-} $marker"
}

stop_targets() {
	local m p
	for m in ${TARGET_MARKERS:-}; do
		pkill -KILL -f "^$m" 2>/dev/null || true
	done
	for p in ${TARGET_WRAPPER_PIDS:-}; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	TARGET_MARKERS=
	TARGET_WRAPPER_PIDS=
}

# podman (4.3) writes a few host paths whatever its --root says: the SHM lock of podman,
# netavark's run directory, containers/image's blob info cache. A file using podman calls
# podman_host_paths_note in setup_file and podman_host_paths_remove in teardown_file: the
# paths that were not there before are removed.
PODMAN_HOST_PATHS=(/dev/shm/libpod_lock /run/containers/networks /run/containers
	/var/lib/containers/cache/blob-info-cache-v1.boltdb /var/lib/containers/cache
	/var/lib/containers)

podman_host_paths_note() {
	local p i=0
	for p in "${PODMAN_HOST_PATHS[@]}"; do
		[ -e "$p" ] || touch "$BATS_FILE_TMPDIR/podman-created-$i"
		i=$((i + 1))
	done
}

podman_host_paths_remove() {
	local p i=0
	for p in "${PODMAN_HOST_PATHS[@]}"; do
		if [ -e "$BATS_FILE_TMPDIR/podman-created-$i" ]; then
			if [ -d "$p" ]; then rmdir "$p"; else rm -f "$p"; fi 2>/dev/null || true
		fi
		i=$((i + 1))
	done
}
