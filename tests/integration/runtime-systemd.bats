#!/usr/bin/env bats
# rongqi-runtime --systemd-cgroup against a real systemd. The test machines run no systemd, so
# each test boots one: systemd as PID 1 of a container that rongqi-runtime itself runs (the
# host's / bound read-only as its root, a private /run and /tmp, its own PID, mount, network,
# IPC, UTS and cgroup namespaces, the host's cgroup layout mounted writable at /sys/fs/cgroup
# below the test's own cgroup parent $CG), booted into an empty target. The runtime under test
# (and runc, the oracle) then run inside that systemd's mount and PID namespaces (nsenter), so
# /run/systemd/private is that systemd's and the pids they give it are its own.

load helpers
load runtime-helpers

setup() {
	require_root
	[ -x /lib/systemd/systemd ] || skip "systemd is not installed"
	command -v nsenter >/dev/null || skip "nsenter (util-linux) is missing"
	B="$BATS_TEST_TMPDIR/bundle"
	cp -a "$BUNDLE_TEMPLATE" "$B"
	ROOT="$BATS_TEST_TMPDIR/state"
	RUNC_ROOT="$BATS_TEST_TMPDIR/runc-state"
	IROOT="$BATS_TEST_TMPDIR/inner-state"
	IRUNC_ROOT="$BATS_TEST_TMPDIR/inner-runc-state"
	CG="rongqi-test-$$-$BATS_TEST_NUMBER"
	SD_PID=
	(cd "$B" && "$RT" spec)
	mkdir -p "$IROOT" "$IRUNC_ROOT"
}

teardown() {
	local id
	if [ -n "$SD_PID" ]; then
		for id in $(irt list -q 2>/dev/null); do
			irt delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(in_sd runc --root "$IRUNC_ROOT" list -q 2>/dev/null); do
			in_sd runc --systemd-cgroup --root "$IRUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	# systemd and everything it started go with its container (delete -f kills the cgroup).
	"$RT" --root "$ROOT" delete -f systemd >/dev/null 2>&1 || true
	umount "$BATS_TEST_TMPDIR/sd/rootfs" 2>/dev/null || true
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

# in_sd CMD...: run CMD in the test systemd's mount, PID and cgroup namespaces.
in_sd() { nsenter -t "$SD_PID" -m -p -C -- "$@"; }
# irt ARGS...: rongqi-runtime with the inner state root, inside the test systemd.
irt() { in_sd "$RT" --root "$IROOT" "$@"; }

# start_systemd [unified]: boot the test systemd and wait until it says it is running (20 s at
# most). It gets the host's layout (hybrid here: systemd's legacy mode, with the v1 controllers);
# with "unified" only the container's cgroup2 directory, so it runs in unified mode (cgroup v2,
# with whatever controllers the host's cgroup2 has).
start_systemd() {
	local sd="$BATS_TEST_TMPDIR/sd" caps state i cgmount
	cgmount='{destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
		options: ["nosuid", "noexec", "nodev", "rw"]}'
	if [ "${1:-}" = unified ]; then
		[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] ||
			skip "needs a hybrid host (a cgroup2 mount at /sys/fs/cgroup/unified)"
		cgmount='{destination: "/sys/fs/cgroup", type: "bind",
			source: ("/sys/fs/cgroup/unified" + $cg), options: ["rbind", "rw", "nosuid", "noexec", "nodev"]}'
	fi
	mkdir -p "$sd/rootfs" "$sd/units"
	mount --bind / "$sd/rootfs"
	mount --make-private "$sd/rootfs"
	# Nothing of the host's units: an empty target, so systemd starts nothing but itself.
	printf '[Unit]\nDescription=rongqi test target\nDefaultDependencies=no\n' \
		>"$sd/units/rongqi-test.target"
	caps=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' | tr a-z A-Z | jq -R . | jq -sc .)
	(cd "$sd" && "$RT" spec)
	jq --argjson caps "$caps" --arg cg "/$CG/sd" --arg sd "$sd" --arg b "$B" \
		--arg ir "$IROOT" --arg irr "$IRUNC_ROOT" --arg rtdir "$(dirname "$RT")" '
		.root = {path: ($sd + "/rootfs"), readonly: true} |
		.process.terminal = false |
		.process.args = ["/lib/systemd/systemd", "--unit=rongqi-test.target"] |
		.process.env += ["container=rongqi"] |
		.process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps} |
		.process.noNewPrivileges = false |
		.linux.cgroupsPath = $cg |
		.linux.namespaces += [{type: "cgroup"}] |
		.linux.maskedPaths = [] | .linux.readonlyPaths = [] |
		.mounts |= map(select(.type != "cgroup" and .type != "cgroup2")) |
		.mounts += [
			'"$cgmount"',
			{destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=755"]},
			{destination: "/run/systemd/system", type: "bind", source: ($sd + "/units"), options: ["bind", "rw"]},
			{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"]},
			{destination: $b, type: "bind", source: $b, options: ["bind", "rw"]},
			{destination: $ir, type: "bind", source: $ir, options: ["bind", "rw"]},
			{destination: $irr, type: "bind", source: $irr, options: ["bind", "rw"]},
			{destination: $rtdir, type: "bind", source: $rtdir, options: ["bind", "ro"]}]' \
		"$sd/config.json" >"$sd/config.new"
	mv "$sd/config.new" "$sd/config.json"
	"$RT" --root "$ROOT" run -d -b "$sd" systemd </dev/null >"$sd/out" 2>&1
	SD_PID=$("$RT" --root "$ROOT" state systemd | jq -r .pid)
	for i in $(seq 200); do
		state=$(in_sd systemctl is-system-running 2>/dev/null) || true
		case "$state" in
		running | degraded) return 0 ;;
		esac
		sleep 0.1
	done
	echo "systemd did not come up: '$state'" >&2
	cat "$sd/out" >&2
	return 1
}

# inner_config CGROUPS_PATH [JQ_FILTER]: the busybox bundle for a container inside the test
# systemd: sleeping, with that linux.cgroupsPath.
inner_config() {
	set_config ".process.args = [\"sleep\", \"1000\"] | ${2:-.}"
	jq --arg p "$1" '.linux.cgroupsPath = $p' "$B/config.json" >"$B/config.new"
	mv "$B/config.new" "$B/config.json"
}

# irt_detached ARGS...: a detached inner rongqi-runtime command (stdio to files, as rt_detached).
irt_detached() {
	status=0
	irt "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>"$BATS_TEST_TMPDIR/ctr.err" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/ctr.err")
}

# scope_dirs UNIT: the scope's directories in every hierarchy inside the test systemd.
scope_dirs() { in_sd sh -c "ls -d /sys/fs/cgroup/*/machine.slice/$1 /sys/fs/cgroup/*/system.slice/$1 2>/dev/null" || true; }

@test "systemd driver: the container's cgroup is the scope prefix-name.scope in the slice of linux.cgroupsPath, delegated" {
	start_systemd
	inner_config "machine.slice:rongqi:c1"
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	pid=$(irt state c1 | jq -r .pid)
	run in_sd cat "/proc/$pid/cgroup"
	echo "$output"
	# every hierarchy: systemd's own, the controllers it manages and the ones it leaves to us
	for h in name=systemd memory pids freezer cpuset; do
		[[ "$output" == *":$h:/machine.slice/rongqi-c1.scope"* ]]
	done
	run in_sd systemctl show rongqi-c1.scope -p ActiveState -p Slice -p Delegate -p DefaultDependencies -p ControlGroup
	echo "$output"
	[[ "$output" == *"ActiveState=active"* ]]
	[[ "$output" == *"Slice=machine.slice"* ]]
	[[ "$output" == *"Delegate=yes"* ]]
	[[ "$output" == *"DefaultDependencies=no"* ]]
	[[ "$output" == *"ControlGroup=/machine.slice/rongqi-c1.scope"* ]]
	run in_sd systemctl status --no-pager rongqi-c1.scope
	echo "$output"
	[[ "$output" == *"rongqi container rongqi-c1"* ]]
	[[ "$output" == *"$pid sleep 1000"* ]]
}

@test "systemd driver: a dashed slice nests in its parents, and an empty cgroupsPath is :rongqi:ID in system.slice" {
	start_systemd
	inner_config "test-a.slice:p:c2"
	irt_detached --systemd-cgroup run -d -b "$B" c2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run in_sd cat "/proc/$(irt state c2 | jq -r .pid)/cgroup"
	[[ "$output" == *":memory:/test.slice/test-a.slice/p-c2.scope"* ]]
	inner_config ""
	irt_detached --systemd-cgroup run -d -b "$B" c3
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run in_sd cat "/proc/$(irt state c3 | jq -r .pid)/cgroup"
	[[ "$output" == *":name=systemd:/system.slice/rongqi-c3.scope"* ]]
	[[ "$output" == *":pids:/system.slice/rongqi-c3.scope"* ]]
}

@test "systemd driver: memory and pids limits are in the scope's cgroup, systemd knows them, the pids limit stops a fork, daemon-reload keeps them" {
	start_systemd
	inner_config "machine.slice:rongqi:c1" '.linux.resources.memory = {limit: 33554432} | .linux.resources.pids = {limit: 20}'
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(in_sd cat /sys/fs/cgroup/memory/machine.slice/rongqi-c1.scope/memory.limit_in_bytes)" = 33554432 ]
	[ "$(in_sd cat /sys/fs/cgroup/pids/machine.slice/rongqi-c1.scope/pids.max)" = 20 ]
	run in_sd systemctl show rongqi-c1.scope -p MemoryLimit -p TasksMax
	[[ "$output" == *"MemoryLimit=33554432"* ]]
	[[ "$output" == *"TasksMax=20"* ]]
	run irt exec c1 sh -c 'i=0; while [ $i -lt 30 ]; do sleep 100 & i=$((i+1)); done; echo started'
	echo "$output"
	[[ "$output" == *"can't fork"* ]]
	# systemd re-applying its view of the unit (daemon-reload) changes neither the limits nor
	# the device allowlist the runtime wrote
	devices=$(in_sd cat /sys/fs/cgroup/devices/machine.slice/rongqi-c1.scope/devices.list)
	[[ "$devices" == *"c 1:3 rwm"* ]]
	[[ "$devices" != *"a *:* rwm"* ]]
	in_sd systemctl daemon-reload
	[ "$(in_sd cat /sys/fs/cgroup/memory/machine.slice/rongqi-c1.scope/memory.limit_in_bytes)" = 33554432 ]
	[ "$(in_sd cat /sys/fs/cgroup/pids/machine.slice/rongqi-c1.scope/pids.max)" = 20 ]
	[ "$(in_sd cat /sys/fs/cgroup/devices/machine.slice/rongqi-c1.scope/devices.list)" = "$devices" ]
}

@test "systemd driver: delete stops the scope and removes its cgroup in every hierarchy" {
	start_systemd
	inner_config "machine.slice:rongqi:c1"
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -n "$(scope_dirs rongqi-c1.scope)" ]
	# no flag: the state says which driver made the cgroup
	run irt delete -f c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run in_sd systemctl status --no-pager rongqi-c1.scope
	[ "$status" -eq 4 ] # no such unit
	[ -z "$(scope_dirs rongqi-c1.scope)" ]
	[ -z "$(irt list -q)" ]
}

@test "systemd driver: a foreground run exits, and the scope and its cgroup are gone with the container" {
	start_systemd
	inner_config "machine.slice:rongqi:fg" '.process.args = ["sh", "-c", "exit 3"]'
	run irt --systemd-cgroup run -b "$B" fg </dev/null
	[ "$status" -eq 3 ]
	[ -z "$(irt list -q)" ]
	run in_sd systemctl status --no-pager rongqi-fg.scope
	[ "$status" -eq 4 ]
	[ -z "$(scope_dirs rongqi-fg.scope)" ]
}

@test "systemd driver: pause, resume, update and kill work from the state, without the flag" {
	start_systemd
	inner_config "machine.slice:rongqi:c1" '.linux.resources.pids = {limit: 20}'
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run irt pause c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(in_sd cat /sys/fs/cgroup/freezer/machine.slice/rongqi-c1.scope/freezer.state)" = FROZEN ]
	[ "$(irt state c1 | jq -r .status)" = paused ]
	run irt resume c1
	[ "$status" -eq 0 ]
	[ "$(in_sd cat /sys/fs/cgroup/freezer/machine.slice/rongqi-c1.scope/freezer.state)" = THAWED ]
	# update: systemd's property and the cgroup file agree
	run irt update --pids-limit 30 c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(in_sd cat /sys/fs/cgroup/pids/machine.slice/rongqi-c1.scope/pids.max)" = 30 ]
	[ "$(in_sd systemctl show rongqi-c1.scope -p TasksMax --value)" = 30 ]
	run irt kill --all c1 KILL
	[ "$status" -eq 0 ]
	for i in $(seq 100); do
		[ "$(irt state c1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(irt state c1 | jq -r .status)" = stopped ]
	run irt delete c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(scope_dirs rongqi-c1.scope)" ]
}

@test "systemd driver: on a unified (cgroup2) systemd the scope is the container's cgroup2 cgroup, with its device filter, pause and delete" {
	start_systemd unified
	in_sd systemctl status --no-pager | grep -v -q "Tainted: cgroupsv1"
	inner_config "machine.slice:rongqi:c1" '.process.capabilities |= map_values(. + ["CAP_MKNOD"])'
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run in_sd cat "/proc/$(irt state c1 | jq -r .pid)/cgroup"
	echo "$output"
	[[ "$output" == *"0::/machine.slice/rongqi-c1.scope"* ]]
	[ "$(in_sd systemctl show rongqi-c1.scope -p Delegate --value)" = yes ]
	# the device program is attached to the scope: /dev/null opens, a disk made there does not
	# (without the program: "No such device or address" or a byte, never EPERM)
	run irt exec c1 sh -c 'echo x >/dev/null && echo null-ok; mknod /dev/sda b 8 0 && head -c1 /dev/sda'
	echo "$output"
	[[ "$output" == *"null-ok"* ]]
	[[ "$output" == *"/dev/sda: Operation not permitted"* ]]
	run irt pause c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$(in_sd cat /sys/fs/cgroup/machine.slice/rongqi-c1.scope/cgroup.events)" == *"frozen 1"* ]]
	run irt delete -f c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run in_sd test -e /sys/fs/cgroup/machine.slice/rongqi-c1.scope
	[ "$status" -ne 0 ]
	run in_sd systemctl status --no-pager rongqi-c1.scope
	[ "$status" -eq 4 ]
}

@test "systemd driver: without systemd's private socket the runtime goes through the system bus" {
	command -v dbus-daemon >/dev/null || skip "no dbus-daemon"
	start_systemd
	in_sd systemctl start dbus.socket dbus.service
	inner_config "machine.slice:rongqi:c1"
	# /run/systemd/private unusable for this runtime alone (its own mount namespace)
	no_private="mount --bind /dev/null /run/systemd/private && exec \"\$@\""
	in_sd unshare -m sh -c "$no_private" sh "$RT" --debug --root "$IROOT" --systemd-cgroup \
		run -d -b "$B" c1 </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/bus.err" ||
		{ cat "$BATS_TEST_TMPDIR/bus.err"; false; }
	grep -q "private socket /run/systemd/private: .*; trying the system bus" "$BATS_TEST_TMPDIR/bus.err"
	run in_sd cat "/proc/$(irt state c1 | jq -r .pid)/cgroup"
	[[ "$output" == *":memory:/machine.slice/rongqi-c1.scope"* ]]
	[ "$(in_sd systemctl show rongqi-c1.scope -p ActiveState --value)" = active ]
	run in_sd unshare -m sh -c "$no_private" sh "$RT" --root "$IROOT" delete -f c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run in_sd systemctl status --no-pager rongqi-c1.scope
	[ "$status" -eq 4 ]
	[ -z "$(scope_dirs rongqi-c1.scope)" ]
}

@test "systemd driver: runc --systemd-cgroup makes the same scope, in the same place, with the same properties" {
	start_systemd
	inner_config "machine.slice:rongqi:c1" '.linux.resources.memory = {limit: 33554432} | .linux.resources.pids = {limit: 20}'
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	jq '.linux.cgroupsPath = "machine.slice:runc:c1"' "$B/config.json" >"$B/config.new"
	mv "$B/config.new" "$B/config.json"
	in_sd runc --systemd-cgroup --root "$IRUNC_ROOT" run -d -b "$B" r1 </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/runc.err" ||
		{ cat "$BATS_TEST_TMPDIR/runc.err"; false; }
	ours=$(in_sd cat "/proc/$(irt state c1 | jq -r .pid)/cgroup" | sed 's/rongqi-c1/X/')
	theirs=$(in_sd cat "/proc/$(in_sd runc --root "$IRUNC_ROOT" state r1 | jq -r .pid)/cgroup" | sed 's/runc-c1/X/')
	echo "ours: $ours"
	echo "runc: $theirs"
	[ "$ours" = "$theirs" ]
	props="-p Slice -p Delegate -p DefaultDependencies -p MemoryLimit -p TasksMax -p MemoryAccounting -p TasksAccounting -p ActiveState"
	ours=$(in_sd systemctl show rongqi-c1.scope $props)
	theirs=$(in_sd systemctl show runc-c1.scope $props)
	echo "ours: $ours"
	echo "runc: $theirs"
	[ "$ours" = "$theirs" ]
	# and both go at delete
	irt delete -f c1
	in_sd runc --systemd-cgroup --root "$IRUNC_ROOT" delete -f r1
	[ -z "$(scope_dirs rongqi-c1.scope)" ]
	[ -z "$(scope_dirs runc-c1.scope)" ]
}

@test "systemd driver: a cgroupsPath not of the form slice:prefix:name is an error naming the field, the value and the form" {
	start_systemd
	inner_config "/not/a/scope"
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *'linux.cgroupsPath: "/not/a/scope" is not of the form'* ]]
	[[ "$output" == *'"slice:prefix:name"'* ]]
	[ -z "$(irt list -q)" ]
	inner_config "machine:rongqi:c1"
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *'"machine" is not a slice name'* ]]
	[ -z "$(irt list -q)" ]
}

@test "systemd driver: a limit that cannot be written stops the started scope and leaves no cgroup" {
	start_systemd
	# cgroup2 has no memory controller on a hybrid host: the write fails after systemd made the
	# scope
	[ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] || skip "needs a v1 or hybrid host"
	inner_config "machine.slice:rongqi:c1" '.linux.resources.unified = {"memory.max": "1000000"}'
	irt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 1 ]
	echo "$output"
	[[ "$output" == *"linux.resources.unified"* ]]
	[[ "$output" == *"systemd scope rongqi-c1.scope"* ]]
	[ -z "$(irt list -q)" ]
	run in_sd systemctl status --no-pager rongqi-c1.scope
	[ "$status" -eq 4 ]
	[ -z "$(scope_dirs rongqi-c1.scope)" ]
}

@test "--systemd-cgroup where systemd is not running: an error naming the option, the reason and the fix; features says the driver exists" {
	run "$RT" features
	[ "$(echo "$output" | jq -r .linux.cgroup.systemd)" = true ]
	[ ! -e /run/systemd/system ] || skip "systemd runs on this host"
	set_config '.process.args = ["true"]'
	rt_detached --systemd-cgroup run -d -b "$B" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"--systemd-cgroup: systemd is not running on this host (no /run/systemd/system)"* ]]
	[[ "$output" == *"drop the option to use the cgroupfs driver"* ]]
	[ ! -e "$ROOT/c1" ]
}
