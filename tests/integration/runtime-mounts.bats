#!/usr/bin/env bats
# rongqi-runtime: tmpcopyup and id-mapped mounts, time namespaces, --no-pivot,
# --no-new-keyring and the LSM fields, against a busybox bundle (runc as the oracle where
# runc 1.1 has the feature). Every test uses its own state roots and cgroup parent, and deletes
# what it made.

load helpers
bats_require_minimum_version 1.5.0

load runtime-helpers

# The shared teardown, plus the util-linux namespace holders some tests start.
eval "$(declare -f teardown | sed '1s/teardown/runtime_teardown/')"
teardown() {
	stop_targets
	runtime_teardown
	[ -z "${HOSTDIR:-}" ] || rm -rf "$HOSTDIR"
	[ -z "${SHARED:-}" ] || rm -rf "$SHARED"
}

# ---- time namespaces -------------------------------------------------------------------

@test "timeOffsets: /proc/uptime is shifted by the boottime offset and timens_offsets shows both" {
	set_config '.linux.namespaces += [{"type": "time"}] |
		.linux.timeOffsets = {"boottime": {"secs": 86400}, "monotonic": {"secs": -100, "nanosecs": 5}} |
		.process.args = ["sh", "-c", "cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets"]'
	local host
	host=$(cut -d. -f1 /proc/uptime)
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" t1
	[ "$status" -eq 0 ]
	# a day ahead of the host's uptime, give or take the seconds the run took
	[ "${lines[0]}" -ge $((host + 86400)) ] && [ "${lines[0]}" -le $((host + 86400 + 30)) ]
	[[ "${lines[1]}" =~ ^monotonic\ +-100\ +5$ ]]
	[[ "${lines[2]}" =~ ^boottime\ +86400\ +0$ ]]
}

@test "timeOffsets: exec joins the container's time namespace, created or running" {
	set_config '.linux.namespaces += [{"type": "time"}] |
		.linux.timeOffsets = {"boottime": {"secs": 86400}} | .process.args = ["sleep", "100"]'
	rt_detached create -b "$B" t2
	[ "$status" -eq 0 ]
	# created: the init waits on the fifo, still in the host's time namespace
	run "$RT" --root "$ROOT" exec t2 cat /proc/self/timens_offsets
	[ "$status" -eq 0 ]
	[[ "$output" == *"boottime        86400"* ]]
	run "$RT" --root "$ROOT" start t2
	[ "$status" -eq 0 ]
	pid=$("$RT" --root "$ROOT" state t2 | jq -r .pid)
	run "$RT" --root "$ROOT" exec t2 sh -c 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/time)" ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/time)" ]
	[ "${lines[1]}" -ge $(($(cut -d. -f1 /proc/uptime) + 86400 - 5)) ]
}

@test "time namespace by path: the container joins it and sees its offsets" {
	start_target --time --boottime 5000
	set_config ".linux.namespaces += [{\"type\": \"time\", \"path\": \"/proc/$TARGET_PID/ns/time\"}] |
		.process.args = [\"sh\", \"-c\", \"readlink /proc/self/ns/time; cat /proc/self/timens_offsets\"]"
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" t3
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$TARGET_PID/ns/time)" ]
	[[ "${lines[2]}" =~ ^boottime\ +5000\ +0$ ]]
}

@test "timeOffsets while joining a time namespace by path is refused by name" {
	start_target --time
	set_config ".linux.namespaces += [{\"type\": \"time\", \"path\": \"/proc/$TARGET_PID/ns/time\"}] |
		.linux.timeOffsets = {\"boottime\": {\"secs\": 1}}"
	run "$RT" --root "$ROOT" run -b "$B" t4
	[ "$status" -ne 0 ]
	[[ "$output" == *"timeOffsets"*"cannot be set when joining the time namespace"* ]]
}

# ---- tmpcopyup --------------------------------------------------------------------------

@test "tmpcopyup: a tmpfs over /etc shows the image's files, modes, owners and links, and is writable" {
	mkdir -p "$B/rootfs/etc/sub"
	echo image >"$B/rootfs/etc/hello"
	chown 0:42 "$B/rootfs/etc/hello"
	chmod 640 "$B/rootfs/etc/hello"
	ln -s /proc/mounts "$B/rootfs/etc/mtab"
	set_config '.mounts += [{"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
			"options": ["tmpcopyup", "nosuid"]}] |
		.process.args = ["sh", "-c", "grep \" /etc \" /proc/mounts | cut -d\" \" -f3; stat -c \"%a %u %g %n\" /etc/hello /etc/sub; readlink /etc/mtab; cat /etc/hello; echo new >/etc/new && cat /etc/new"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" cu1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmpfs ]
	[ "${lines[1]}" = "640 0 42 /etc/hello" ]
	[ "${lines[2]}" = "755 0 0 /etc/sub" ]
	[ "${lines[3]}" = /proc/mounts ]
	[ "${lines[4]}" = image ]
	[ "${lines[5]}" = new ]
	# the write went to the tmpfs, not to the image
	[ ! -e "$B/rootfs/etc/new" ]
	# runc copies the same way
	run --separate-stderr runc --root "$RUNC_ROOT" run -b "$B" cu1
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "640 0 42 /etc/hello" ]
}

@test "tmpcopyup: a symlink in the image does not make the copy read host files" {
	# /data leads to the host's /etc if followed on the host; inside the rootfs it is the
	# image's /etc, which has no passwd
	mkdir -p "$B/rootfs/etc"
	echo image >"$B/rootfs/etc/hello"
	ln -s ../../../../../../../../etc "$B/rootfs/data"
	mkdir "$B/rootfs/links"
	ln -s /etc/passwd "$B/rootfs/links/passwd"
	set_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]},
			{"destination": "/links", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro"]}] |
		.process.args = ["sh", "-c", "ls /etc; readlink /links/passwd; test -e /etc/passwd || echo no-passwd; touch /links/x 2>/dev/null || echo ro"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" cu2
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = /etc/passwd ]
	[ "${lines[2]}" = no-passwd ]
	[ "${lines[3]}" = ro ]
	[ ! -e "$B/rootfs/etc/passwd" ]
}

@test "tmpcopyup on a file system other than tmpfs is refused by name" {
	set_config '.mounts += [{"destination": "/mnt", "type": "proc", "source": "proc", "options": ["tmpcopyup"]}]'
	run "$RT" --root "$ROOT" run -b "$B" cu3
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"(/mnt): tmpcopyup is for tmpfs, not proc"* ]]
}

# ---- id-mapped mounts --------------------------------------------------------------------

# A host directory owned by uid/gid 1000 with one file, for bind mounts.
make_hostdir() {
	HOSTDIR=$(mktemp -d /tmp/rq-idmap.XXXXXX)
	touch "$HOSTDIR/f"
	chown -R 1000:1000 "$HOSTDIR"
}

# idmap_mount OPTIONS_JSON [EXTRA_FIELDS_JSON]: add a bind of $HOSTDIR on /mnt.
idmap_mount() {
	set_config ".mounts += [{\"destination\": \"/mnt\", \"type\": \"bind\", \"source\": \"$HOSTDIR\",
		\"options\": $1} + ${2:-{\}}] |
		.process.args = [\"sh\", \"-c\", \"stat -c '%u %g' /mnt/f; touch /mnt/new && stat -c '%u %g' /mnt/new\"]"
}

# A user namespace mapping 0 -> host 100000. Its root must be able to reach the bundle
# (BATS_TEST_TMPDIR is not searchable by others): it moves to a directory of its own.
userns_config() {
	SHARED=$(mktemp -d /tmp/rq-userns.XXXXXX)
	chmod 755 "$SHARED"
	cp -a "$B" "$SHARED/bundle"
	B="$SHARED/bundle"
	chown -R 100000:100000 "$B/rootfs"
	set_config '.linux.namespaces += [{"type": "user"}] |
		.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] |
		.mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "bind",
			"source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]} else . end)'
}

# idmap_shows_root OPTIONS HOST_ID NAME: the mount maps on-disk 1000 to HOST_ID (the
# container's root on the host): uid 1000's file shows as root, root's new file lands as 1000.
idmap_shows_root() {
	local m="[{\"containerID\": 1000, \"hostID\": $2, \"size\": 1}]"
	idmap_mount "$1" "{\"uidMappings\": $m, \"gidMappings\": $m}"
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" "$3"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0 0" ]
	[ "${lines[1]}" = "0 0" ]
	[ "$(stat -c '%u %g' "$HOSTDIR/new")" = "1000 1000" ]
}

@test "idmap without a user namespace: the mount's uidMappings show host uid 1000 as root, and root's new files land as 1000" {
	make_hostdir
	idmap_shows_root '["bind", "idmap"]' 0 id1
}

@test "ridmap in a user namespace: the mount's own mappings show uid 1000 as the container's root" {
	make_hostdir
	userns_config
	idmap_shows_root '["rbind", "ridmap"]' 100000 id2
}

@test "idmap in a user namespace without mappings of its own uses the container's: uid 1000 shows as 1000" {
	make_hostdir
	chmod 777 "$HOSTDIR"
	userns_config
	idmap_mount '["bind", "idmap"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" id3
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1000 1000" ]
	# the container's root (host uid 100000) writes through the mount as on-disk uid 0
	[ "${lines[1]}" = "0 0" ]
	[ "$(stat -c '%u %g' "$HOSTDIR/new")" = "0 0" ]
	# without idmap the same file shows as the overflow id
	set_config '.mounts[-1].options = ["bind"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" id3
	[ "${lines[0]}" = "65534 65534" ]
}

@test "idmap on a file system that cannot be id-mapped names the mount and the file system" {
	set_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/proc/sys",
		"options": ["bind", "idmap"], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	run "$RT" --root "$ROOT" run -b "$B" id4
	[ "$status" -ne 0 ]
	[[ "$output" == *"(/mnt): id-map the mount of /proc/sys (file system proc)"* ]]
	[[ "$output" == *"the proc file system cannot be id-mapped"* ]]
}

@test "idmap is refused on a mount that is not a bind, and without any mapping to use" {
	set_config '.mounts += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	run "$RT" --root "$ROOT" run -b "$B" id5
	[ "$status" -ne 0 ]
	[[ "$output" == *"(/mnt): id-mapped mounts are only supported for bind mounts"* ]]
	set_config '.mounts[-1] = {"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["bind", "idmap"]}'
	run "$RT" --root "$ROOT" run -b "$B" id5
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs uidMappings and gidMappings, or a user namespace"* ]]
}

# ---- --no-pivot, --no-new-keyring --------------------------------------------------------

@test "--no-pivot: the container runs in its rootfs and cannot see the host's root, as with runc" {
	touch "$B/bundle-marker"
	set_config '.process.args = ["sh", "-c", "echo $(ls /) / $(ls /..); stat -c %i / /..; awk \"\\$5 == \\\"/\\\"\" /proc/self/mountinfo | wc -l"]'
	run --separate-stderr "$RT" --root "$ROOT" run --no-pivot -b "$B" np1
	[ "$status" -eq 0 ]
	local ours=$output
	[[ "$output" != *bundle-marker* && "$output" != *config.json* ]]
	local image
	image=$(echo $(ls "$B/rootfs"))
	[ "${lines[0]}" = "$image / $image" ]
	[ "${lines[1]}" = "${lines[2]}" ]
	[ "${lines[3]}" = 1 ]
	run --separate-stderr runc --root "$RUNC_ROOT" run --no-pivot -b "$B" np1
	[ "$status" -eq 0 ]
	[ "$ours" = "$output" ] || { echo "$ours"; echo "$output"; false; }
}

@test "session keyring: a new one named _ses.ID by default, the caller's with --no-new-keyring, as runc" {
	# Each run its own id: the kernel collects an unused keyring a moment later, so a
	# previous run's _ses.ID may still be listed.
	keys() { set_config '.linux.maskedPaths -= ["/proc/keys"] | .process.args = ["sh", "-c", "grep -c _ses.'"$1"' /proc/keys || true"]'; }
	keys k1
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" k1
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	keys k2
	run --separate-stderr "$RT" --root "$ROOT" run --no-new-keyring -b "$B" k2
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	keys k3
	run --separate-stderr runc --root "$RUNC_ROOT" run -b "$B" k3
	[ "$output" = 1 ]
	keys k4
	run --separate-stderr runc --root "$RUNC_ROOT" run --no-new-keyring -b "$B" k4
	[ "$output" = 0 ]
}

# ---- LSM fields (neither AppArmor nor SELinux is active on the test machines) -------------

@test "apparmorProfile, selinuxLabel, mountLabel without the LSM active: a clear error naming the field" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || [ -e /sys/fs/selinux/enforce ]; then
		skip "an LSM is active here"
	fi
	set_config '.process.apparmorProfile = "rq-test"'
	run "$RT" --root "$ROOT" run -b "$B" l1
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.apparmorProfile: set to "rq-test", but AppArmor is not active on this host'* ]]
	[ ! -e "$ROOT/l1" ]
	set_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	run "$RT" --root "$ROOT" run -b "$B" l1
	[[ "$output" == *'process.selinuxLabel: set to "system_u:system_r:container_t:s0", but SELinux is not active'* ]]
	set_config 'del(.process.selinuxLabel) | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	run "$RT" --root "$ROOT" run -b "$B" l1
	[[ "$output" == *'linux.mountLabel: set to "system_u:object_r:container_file_t:s0", but SELinux is not active'* ]]
	# exec with a profile is refused the same way
	set_config 'del(.linux.mountLabel) | .process.args = ["sleep", "100"]'
	rt_detached run -d -b "$B" l2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo '{"args": ["true"], "cwd": "/", "apparmorProfile": "rq-test"}' >"$BATS_TEST_TMPDIR/p.json"
	run "$RT" --root "$ROOT" exec -p "$BATS_TEST_TMPDIR/p.json" l2
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.apparmorProfile: set to "rq-test", but AppArmor is not active'* ]]
}
