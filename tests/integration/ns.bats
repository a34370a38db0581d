#!/usr/bin/env bats
# rongqi ns: one process's namespaces, and --all checked against util-linux lsns as the oracle.

load helpers

setup() {
	NSFS_MOUNTS=()
}

teardown() {
	stop_targets
	local m
	for m in "${NSFS_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || true
	done
}

# The namespaces lsns --json lists. lsns nests a namespace under the line of its lowest process's
# parent ("children"); flatten that tree.
lsns_entries() {
	lsns --json | jq -c '[.. | objects | select(has("ns")) | del(.children)]'
}

rq_entries() {
	"$RONGQI" ns --all --json | jq -c '[.namespaces[] | {ns, type, nprocs, pid, user, command}]'
}

# cross_check_target: every namespace of TARGET_PID that differs from this shell's must appear
# in both listings with the same inode, type, nprocs, pid, user and command. Prints the count.
cross_check_target() {
	local ours theirs t ino a b n=0
	ours=$(rq_entries)
	theirs=$(lsns_entries)
	for t in cgroup ipc mnt net pid time user uts; do
		[ -e "/proc/$TARGET_PID/ns/$t" ] || continue
		ino=$(ns_inode "$TARGET_PID" "$t")
		[ "$ino" != "$(ns_inode $$ "$t")" ] || continue
		a=$(jq -S -c --argjson ns "$ino" '.[] | select(.ns == $ns)' <<<"$ours")
		b=$(jq -S -c --argjson ns "$ino" '.[] | select(.ns == $ns)' <<<"$theirs")
		if [ -z "$a" ] || [ "$a" != "$b" ]; then
			echo "$t namespace $ino: rongqi: ${a:-(missing)}" >&2
			echo "$t namespace $ino: lsns:   ${b:-(missing)}" >&2
			return 1
		fi
		n=$((n + 1))
	done
	echo "$n"
}

@test "ns --all: new net, uts and ipc namespaces made by unshare show the same inode, type, process count, lowest PID, user and command as lsns" {
	start_target --net --uts --ipc
	run cross_check_target
	[ "$status" -eq 0 ]
	[ "$output" -eq 3 ]
	# The target is alone in them: one process, itself.
	"$RONGQI" ns --all --json | jq -e --argjson ns "$(ns_inode "$TARGET_PID" net)" \
		--argjson pid "$TARGET_PID" \
		'.namespaces[] | select(.ns == $ns) | .type == "net" and .nprocs == 1 and .pid == $pid'
}

@test "ns --all: in a user+pid target the new user, pid, net namespaces agree with lsns, counting unshare's forking parent" {
	start_target --user --map-root-user --pid --fork --net
	run cross_check_target
	[ "$status" -eq 0 ]
	[ "$output" -eq 3 ]
	# unshare --fork stays in the new user and net namespaces, so they hold two processes.
	"$RONGQI" ns --all --json | jq -e --argjson ns "$(ns_inode "$TARGET_PID" user)" \
		'.namespaces[] | select(.ns == $ns) | .nprocs == 2'
}

@test "ns PID: a target in new net, uts and ipc namespaces is marked as differing in exactly those types" {
	start_target --net --uts --ipc
	run "$RONGQI" ns --json "$TARGET_PID"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.reference.pid' <<<"$output")" != null ]
	[ "$(jq -r '[.namespaces[] | select(.differs) | .type] | join(" ")' <<<"$output")" = "ipc net uts" ]
	[ "$(jq -r '[.namespaces[] | select(.differs == null)] | length' <<<"$output")" -eq 0 ]
	[ "$(jq -r --arg ino "$(ns_inode "$TARGET_PID" net)" \
		'.namespaces[] | select(.type == "net") | .ns == ($ino | tonumber)' <<<"$output")" = true ]

	run "$RONGQI" ns "$TARGET_PID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Namespaces of PID $TARGET_PID ("* ]]
	[[ "${lines[1]}" == "DIFFERS: compared with PID "[12]" "* ]]
	[[ "$output" =~ net\ +$(ns_inode "$TARGET_PID" net)\ yes ]]
	[[ "$output" =~ mnt\ +$(ns_inode "$TARGET_PID" mnt)\ no ]]
}

@test "ns PID: in a user+pid target the pid and user parent chains end in ours, and the new user namespace owns the new ones" {
	start_target --user --map-root-user --pid --fork
	local user pidns
	user=$(ns_inode "$TARGET_PID" user)
	pidns=$(ns_inode "$TARGET_PID" pid)
	run "$RONGQI" ns "$TARGET_PID" --json
	[ "$status" -eq 0 ]
	row() { jq -c ".namespaces[] | select(.type == \"$1\") | $2" <<<"$output"; }
	[ "$(row pid .chain)" = "[$pidns,$(ns_inode $$ pid)]" ]
	[ "$(row user .chain)" = "[$user,$(ns_inode $$ user)]" ]
	[ "$(row pid .owner)" = "$user" ]
	[ "$(row pid_for_children .owner)" = "$user" ]
	[ "$(row pid .owner_uid)" = "$(id -u)" ]
	# A user namespace's owner is its parent; namespaces it did not replace keep ours.
	[ "$(row user .owner)" = "$(row net .owner)" ]
	[ "$(row net .differs)" = false ]
	[ "$(row net .chain)" = null ]

	run "$RONGQI" ns "$TARGET_PID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ $pidns\ (→|->)\ $(ns_inode $$ pid) ]]
}

@test "ns PID: a process that unshared a PID namespace without forking shows pid_for_children as none" {
	start_target --pid
	run "$RONGQI" ns -t pid "$TARGET_PID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ pid_for_children\ +none:\ no\ process\ has\ been\ created\ in\ it\ yet ]]
	[[ "$output" =~ pid\ +$(ns_inode $$ pid)\ no ]]
	run "$RONGQI" ns -t pid -J "$TARGET_PID"
	[ "$status" -eq 0 ]
	jq -e '.namespaces[1] | .type == "pid_for_children" and .supported and .ns == null' <<<"$output"
}

@test "ns --all --json: a command line that is not UTF-8 still gives valid JSON, other bytes as '?'" {
	local marker="rq-target-$$-latin1"
	unshare --uts bash -c "exec -a '$marker'$'\xe9' sleep 1000" &
	TARGET_WRAPPER_PIDS="${TARGET_WRAPPER_PIDS:-} $!"
	TARGET_MARKERS="${TARGET_MARKERS:-} $marker"
	wait_for pgrep -f "^$marker" >/dev/null
	local pid
	pid=$(pgrep -f "^$marker" | head -n1)
	run "$RONGQI" ns --all --json
	[ "$status" -eq 0 ]
	[ "$(jq -r --argjson ns "$(ns_inode "$pid" uts)" '.namespaces[] | select(.ns == $ns) | .command' \
		<<<"$output")" = "$marker? 1000" ]
}

@test "ns --all: a uts namespace kept alive only by a bind mount is listed with NPROCS 0 and no PID" {
	local f="$BATS_TEST_TMPDIR/uts"
	touch "$f"
	unshare --uts="$f" true
	NSFS_MOUNTS+=("$f")
	local ino
	ino=$(stat -c %i "$f")
	run "$RONGQI" ns --all --json
	[ "$status" -eq 0 ]
	jq -e --argjson ns "$ino" --arg f "$f" '.namespaces[] | select(.ns == $ns) |
		.type == "uts" and .nprocs == 0 and .pid == null and .nsfs == [$f]' <<<"$output"

	run "$RONGQI" ns --all
	[ "$status" -eq 0 ]
	[[ "$output" =~ $ino\ uts\ +0\ +-\ +- ]]
	[[ "$output" == *"(bind mount: $f)"* ]]
}

@test "ns --all --type net: lists net namespaces only; --type mount is mnt" {
	start_target --net --uts
	run "$RONGQI" ns --all --type net --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.namespaces[].type] | unique | join(" ")' <<<"$output")" = net ]
	jq -e --argjson ns "$(ns_inode "$TARGET_PID" net)" 'any(.namespaces[]; .ns == $ns)' <<<"$output"

	run "$RONGQI" ns -a -t mount -t uts -J
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.namespaces[].type] | unique | join(" ")' <<<"$output")" = "mnt uts" ]
	jq -e --argjson ns "$(ns_inode "$TARGET_PID" uts)" 'any(.namespaces[]; .ns == $ns)' <<<"$output"
}

@test "ns --all --json: lsns' keys with numbers as numbers, plus owner and container" {
	run "$RONGQI" ns --all --json
	[ "$status" -eq 0 ]
	jq -e '(.namespaces | length) > 0 and all(.namespaces[];
		(.ns | type) == "number" and (.nprocs | type) == "number" and
		(.pid | type) == (if .nprocs > 0 then "number" else "null" end) and
		(.type | type) == "string" and has("user") and has("command") and
		has("owner") and .container == null)' <<<"$output"
	# Sorted by inode, like lsns.
	jq -e '[.namespaces[].ns] == ([.namespaces[].ns] | sort)' <<<"$output"
	# The text table has the same rows, header first, COMMAND last.
	local n
	n=$(jq '.namespaces | length' <<<"$output")
	run "$RONGQI" ns --all
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ +NS\ TYPE\ +NPROCS\ +PID\ USER\ +OWNER\ CONTAINER\ COMMAND$ ]]
	[ "${#lines[@]}" -ge $((n + 1)) ]
}

@test "ns PID --json: ten namespace files of this shell, each with its inode" {
	run "$RONGQI" ns --json $$
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.namespaces[].type] | join(" ")' <<<"$output")" = \
		"cgroup ipc mnt net pid pid_for_children time time_for_children user uts" ]
	[ "$(jq '.pid' <<<"$output")" -eq $$ ]
	local t
	for t in cgroup ipc mnt net pid user uts; do
		[ "$(jq --arg t "$t" '.namespaces[] | select(.type == $t) | .ns' <<<"$output")" = \
			"$(ns_inode $$ "$t")" ]
	done
}

@test "ns: a process that does not exist is an error naming its PID" {
	local pid=$(($(cat /proc/sys/kernel/pid_max) + 1))
	run "$RONGQI" ns "$pid"
	[ "$status" -eq 1 ]
	[[ "$output" == "rongqi ns: process $pid: No such process"* ]]
}

@test "ns: bad --type, bad PID, unknown options and --all with a PID are usage errors" {
	run "$RONGQI" ns --all --type bogus
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown namespace type 'bogus'"* ]]
	local t
	for t in mnt mount net ipc user pid uts cgroup time; do
		[[ "$output" == *"$t"* ]]
	done
	[[ "$output" == *"Try 'rongqi ns --help'"* ]]

	run "$RONGQI" ns --frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *"unrecognized option '--frobnicate'"* ]]

	run "$RONGQI" ns -x
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid option -- 'x'"* ]]

	run "$RONGQI" ns --type
	[ "$status" -eq 1 ]
	[[ "$output" == *"'--type' requires an argument"* ]]

	run "$RONGQI" ns abc
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid PID 'abc'"* ]]

	run "$RONGQI" ns --all $$
	[ "$status" -eq 1 ]
	[[ "$output" == *"takes no PID"* ]]
}

@test "ns --help: lists every option and exits 0" {
	run "$RONGQI" ns --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Usage: rongqi ns"* ]]
	local o
	for o in "-a, --all" "-t, --type" "-J, --json" "-h, --help"; do
		[[ "$output" == *"$o"* ]]
	done
}

@test "ns --all as an unprivileged user: lists its own namespaces, silently skips other users' processes" {
	require_test_user
	start_target --net
	run as_user "$RQ_BIN_DIR/rongqi" ns --all --json
	[ "$status" -eq 0 ]
	# rongqi itself runs as the user in this shell's net namespace: listed, with the user's
	# process as the lowest PID it may see. The root-owned target's namespace is not listed.
	jq -e --argjson ns "$(ns_inode $$ net)" --arg u "$RQ_TEST_USER" \
		'.namespaces[] | select(.ns == $ns) | .nprocs >= 1 and .user == $u' <<<"$output"
	jq -e --argjson ns "$(ns_inode "$TARGET_PID" net)" \
		'all(.namespaces[]; .ns != $ns)' <<<"$output"

	run as_user "$RQ_BIN_DIR/rongqi" ns --all
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"NS TYPE"* ]]
}

@test "ns as an unprivileged user: its own namespaces, '?' for DIFFERS and why; PID 1's are refused with a hint" {
	require_test_user
	run as_user "$RQ_BIN_DIR/rongqi" ns --json
	[ "$status" -eq 0 ]
	jq -e '.reference.pid == null and (.reference.note | test("not readable")) and
		all(.namespaces[]; .differs == null)' <<<"$output"
	run as_user "$RQ_BIN_DIR/rongqi" ns
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "DIFFERS: ? (nothing to compare with: /proc/1/ns is not readable:"* ]]

	run as_user "$RQ_BIN_DIR/rongqi" ns 1
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "rongqi ns: open /proc/1/ns/cgroup: Permission denied" ]]
	[[ "${lines[1]}" == "rongqi ns: hint: "*ptrace* ]]
}
