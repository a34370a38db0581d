#!/usr/bin/env bats
# rongqi nsenter, with util-linux nsenter as the oracle: the same command line runs under both,
# and what the program inside sees is compared (namespace inodes, ps, id, hostname, uid_map,
# exit status). Targets are made by util-linux unshare (start_target in helpers.bash).

load helpers

# What a program sees of its namespaces, on one line: "cgroup:[…] ipc:[…] … uts:[…]".
NSLIST='readlink /proc/self/ns/* | tr "\n" " "'

setup() {
	require_root
	FILE_BINDS=""
}

teardown() {
	stop_targets
	local f
	for f in $FILE_BINDS; do
		umount "$f" 2>/dev/null || true
	done
}

# both ARGS...: run util-linux "nsenter ARGS" and "rongqi nsenter ARGS". Sets ul/rq (stdout),
# ul_rc/rq_rc (exit status) and ul_err/rq_err (stderr).
both() {
	ul=$(nsenter "$@" 2>"$BATS_TEST_TMPDIR/ul.err") && ul_rc=0 || ul_rc=$?
	rq=$("$RONGQI" nsenter "$@" 2>"$BATS_TEST_TMPDIR/rq.err") && rq_rc=0 || rq_rc=$?
	ul_err=$(cat "$BATS_TEST_TMPDIR/ul.err")
	rq_err=$(cat "$BATS_TEST_TMPDIR/rq.err")
}

# same: both tools printed the same and exited the same way.
same() {
	if [ "$ul" != "$rq" ] || [ "$ul_rc" != "$rq_rc" ]; then
		printf 'util-linux (status %s):\n%s\n%s\n' "$ul_rc" "$ul" "$ul_err"
		printf 'rongqi (status %s):\n%s\n%s\n' "$rq_rc" "$rq" "$rq_err"
		return 1
	fi
}

# ns_line PID: the NSLIST line of process PID (0: of this shell's namespaces).
ns_line() {
	local f p=$1
	[ "$p" = 0 ] && p=self
	for f in /proc/self/ns/*; do
		printf '%s ' "$(readlink "/proc/$p/ns/${f##*/}")"
	done
}

# expect_only TYPE...: the NSLIST line of a process in our namespaces except these types (and
# their *_for_children links), which are the target's.
expect_only() {
	local f n t from
	for f in /proc/self/ns/*; do
		n=${f##*/}
		from=$f
		for t in "$@"; do
			[ "$n" = "$t" ] || [ "$n" = "${t}_for_children" ] && from=/proc/$TARGET_PID/ns/$n
		done
		printf '%s ' "$(readlink "$from")"
	done
}

# start_target_sh SCRIPT UNSHARE-FLAGS...: start_target, but SCRIPT runs in the new
# namespaces first (mounts, cd). Registered for stop_targets like start_target's.
start_target_sh() {
	local script=$1 marker="rq-target-$$-$RANDOM"
	shift
	unshare "$@" bash -c "$script; exec -a $marker sleep 1000" &
	TARGET_WRAPPER_PIDS="${TARGET_WRAPPER_PIDS:-} $!"
	wait_for pgrep -f "^$marker" >/dev/null
	TARGET_PID=$(pgrep -f "^$marker" | head -n1)
	TARGET_MARKERS="${TARGET_MARKERS:-} $marker"
}

# start_user_target UNSHARE-FLAGS...: start_target as the unprivileged test user.
start_user_target() {
	local marker="rq-target-$$-$RANDOM"
	as_user unshare "$@" bash -c "exec -a $marker sleep 1000" &
	TARGET_WRAPPER_PIDS="${TARGET_WRAPPER_PIDS:-} $!"
	wait_for pgrep -f "^$marker" >/dev/null
	TARGET_PID=$(pgrep -f "^$marker" | head -n1)
	TARGET_MARKERS="${TARGET_MARKERS:-} $marker"
}

# A target in a new namespace of every type, owned by a new user namespace.
start_full_target() {
	start_target --user --map-root-user --pid --fork --mount --uts --ipc --net --cgroup --time
}

@test "nsenter --target PID --uts hostname: shows the target's hostname (seed example)" {
	start_target --uts
	nsenter -t "$TARGET_PID" -u hostname rq-seed-uts
	both --target "$TARGET_PID" --uts hostname
	[ "$rq" = rq-seed-uts ]
	same
	[ "$(hostname)" != rq-seed-uts ]
}

@test "nsenter --pid --mount: ps inside a PID namespace shows the target as PID 1 (seed example)" {
	start_target --pid --fork --mount-proc
	run "$RONGQI" nsenter --target "$TARGET_PID" --pid --mount ps aux
	[ "$status" -eq 0 ]
	# Header, the target as PID 1, ps itself: nothing of the host.
	[ "${#lines[@]}" -eq 3 ]
	[[ "$(awk '$2 == 1' <<<"$output")" == *rq-target-* ]]
	# ps's own PID differs from run to run: compare the rest with util-linux.
	both -t "$TARGET_PID" -p -m ps -eo pid,comm --no-headers
	ul=$(grep -v ' ps$' <<<"$ul")
	rq=$(grep -v ' ps$' <<<"$rq")
	[ "$(echo $rq)" = "1 sleep" ]
	same
}

@test "nsenter --pid without --mount: a note says /proc still shows the outer system; the command is in the target's PID namespace" {
	start_target --pid --fork --mount-proc
	# exec: grep reads the status of the shell's own process, so NSpid is $$ seen from both sides.
	both -t "$TARGET_PID" --pid sh -c 'echo $$; readlink /proc/self/ns/pid; exec grep NSpid /proc/self/status'
	[ "$rq_rc" -eq 0 ]
	[[ "$rq_err" == *"note:"*"/proc still shows the outer system's processes"*"--mount"*"-a"* ]]
	[ "$(grep -c note: <<<"$rq_err")" -eq 1 ]
	[ -z "$ul_err" ]
	for out in "$ul" "$rq"; do
		local dollar ns nspid
		dollar=$(sed -n 1p <<<"$out")
		ns=$(sed -n 2p <<<"$out")
		nspid=$(sed -n 3p <<<"$out")
		[ "$ns" = "pid:[$(ns_inode "$TARGET_PID" pid)]" ]
		# NSpid: <pid on the host> <pid in the target's namespace, which is $$>
		[ "$(awk '{print NF}' <<<"$nspid")" -eq 3 ]
		[ "$(awk '{print $3}' <<<"$nspid")" = "$dollar" ]
		[ "$(awk '{print $2}' <<<"$nspid")" != "$dollar" ]
	done
	# -q silences notes.
	run "$RONGQI" nsenter -q -t "$TARGET_PID" --pid true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "nsenter -a: enters every namespace of the target, as util-linux -a" {
	start_target --pid --fork --mount-proc --uts --ipc --net --cgroup --time
	both -t "$TARGET_PID" -a sh -c "$NSLIST"
	[ "$rq" = "$(ns_line "$TARGET_PID")" ]
	same
	# The namespaces really are new ones, not ours.
	[ "$rq" != "$(ns_line 0)" ]
}

@test "nsenter -m: enters exactly the target's mount namespace" {
	start_full_target
	both -t "$TARGET_PID" -m sh -c "$NSLIST"
	[ "$rq" = "$(expect_only mnt)" ]
	same
}

@test "nsenter -u: enters exactly the target's UTS namespace" {
	start_full_target
	both -t "$TARGET_PID" -u sh -c "$NSLIST"
	[ "$rq" = "$(expect_only uts)" ]
	same
}

@test "nsenter -i: enters exactly the target's IPC namespace" {
	start_full_target
	both -t "$TARGET_PID" -i sh -c "$NSLIST"
	[ "$rq" = "$(expect_only ipc)" ]
	same
}

@test "nsenter -n: enters exactly the target's network namespace" {
	start_full_target
	both -t "$TARGET_PID" -n sh -c "$NSLIST"
	[ "$rq" = "$(expect_only net)" ]
	same
}

@test "nsenter -p: enters exactly the target's PID namespace (the forked program is inside)" {
	start_full_target
	both -t "$TARGET_PID" -p sh -c "$NSLIST"
	[ "$rq" = "$(expect_only pid)" ]
	same
}

@test "nsenter -C: enters exactly the target's cgroup namespace" {
	start_full_target
	both -t "$TARGET_PID" -C sh -c "$NSLIST"
	[ "$rq" = "$(expect_only cgroup)" ]
	same
}

@test "nsenter -T: enters exactly the target's time namespace" {
	start_full_target
	both -t "$TARGET_PID" -T sh -c "$NSLIST"
	[ "$rq" = "$(expect_only time)" ]
	same
}

@test "nsenter -U: enters exactly the target's user namespace, as uid 0 with its uid_map" {
	start_full_target
	both -t "$TARGET_PID" -U sh -c "$NSLIST"
	[ "$rq" = "$(expect_only user)" ]
	same
	both -t "$TARGET_PID" -U sh -c 'id; cat /proc/self/uid_map'
	[ "$(echo $rq)" = "uid=0(root) gid=0(root) groups=0(root) 0 0 1" ]
	same
}

@test "nsenter -T: the program itself runs in the target's time namespace, even with -F" {
	start_target --time --fork --boottime 1000000
	for f in "" -F; do
		both $f -t "$TARGET_PID" -T sh -c 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
		[ "$rq_rc" -eq 0 ]
		[ "$(sed -n 1p <<<"$rq")" = "time:[$(ns_inode "$TARGET_PID" time)]" ]
		[ "$(sed -n 1p <<<"$rq")" = "$(sed -n 1p <<<"$ul")" ]
		# CLOCK_BOOTTIME is shifted by a million seconds in there.
		[ "$(sed -n 2p <<<"$rq")" -ge 1000000 ]
	done
	[ "$(cut -d. -f1 /proc/uptime)" -lt 1000000 ]
}

@test "nsenter --uts=FILE and -uFILE: enter a namespace bind-mounted by unshare --uts=FILE" {
	local f=$BATS_TEST_TMPDIR/uts
	touch "$f"
	unshare --uts="$f" hostname rq-file-uts
	FILE_BINDS="$FILE_BINDS $f"
	both --uts="$f" hostname
	[ "$rq" = rq-file-uts ]
	same
	both -u"$f" hostname
	[ "$rq" = rq-file-uts ]
	same
	# FILE and target mix: the UTS namespace from FILE, the network namespace from the target.
	start_target --net
	both -t "$TARGET_PID" -n --uts="$f" sh -c 'hostname; readlink /proc/self/ns/net'
	[ "$rq" = "rq-file-uts"$'\n'"net:[$(ns_inode "$TARGET_PID" net)]" ]
	same
}

@test "nsenter --net=FILE: a namespace of the wrong type or a file that is no namespace is refused, naming the file" {
	local f=$BATS_TEST_TMPDIR/uts
	touch "$f"
	unshare --uts="$f" true
	FILE_BINDS="$FILE_BINDS $f"
	both --net="$f" true
	[ "$rq_rc" -eq 1 ]
	[ "$ul_rc" -ne 0 ]
	[[ "$rq_err" == *"$f is a uts namespace, not a net namespace"* ]]

	both --uts=/etc/hostname true
	[ "$rq_rc" -eq 1 ]
	[ "$ul_rc" -ne 0 ]
	[[ "$rq_err" == *"/etc/hostname is not a namespace file"* ]]
	[[ "$rq_err" == *"hint:"*"bind-mounted"* ]]

	both --uts="$BATS_TEST_TMPDIR/missing" true
	[ "$rq_rc" -eq 1 ]
	[[ "$rq_err" == *"$BATS_TEST_TMPDIR/missing: No such file or directory"* ]]
}

@test "nsenter -r -w: without DIR, the target's root (with its mounts) and working directory" {
	local d=$BATS_TEST_TMPDIR/rw
	mkdir "$d"
	# The tmpfs exists only in the target's mount namespace: the root taken from
	# /proc/PID/root reaches it even without -m.
	start_target_sh "mount -t tmpfs rq-tmpfs $d && mkdir $d/sub && touch $d/sub/rq-marker && cd $d/sub" \
		--mount --propagation private
	both -t "$TARGET_PID" -r -w sh -c 'pwd; ls'
	[ "$rq" = "$d/sub"$'\n'"rq-marker" ]
	same
	[ ! -e "$d/sub" ]
	# With DIR: that directory instead.
	both -t "$TARGET_PID" -m --wd=/usr pwd
	[ "$rq" = /usr ]
	same
}

@test "nsenter -S -G: the program runs with that uid and gid and no supplementary groups" {
	start_target --uts
	both -t "$TARGET_PID" -u -S 1234 -G 4321 id
	[ "$rq" = "uid=1234 gid=4321 groups=4321" ]
	same
}

@test "nsenter -U --preserve-credentials: keeps the ids; without it uid 0 is needed in the namespace" {
	# Inside, uid 1000 is root outside; uid 0 is not mapped.
	start_target --user --map-user=1000 --map-group=1000 --uts
	both -t "$TARGET_PID" -U --preserve-credentials sh -c 'id -u; id -g; cat /proc/self/uid_map'
	[ "$(echo $rq)" = "1000 1000 1000 0 1" ]
	same
	both -t "$TARGET_PID" -U id -u
	[ "$rq_rc" -eq 1 ]
	[ "$ul_rc" -ne 0 ]
	[[ "$rq_err" == *"set group id 0: Invalid argument"* ]]
	[[ "$rq_err" == *"hint:"*"not mapped"*"--preserve-credentials"* ]]
}

@test "nsenter -F -p: no fork, the program stays outside the PID namespace and its children are born inside" {
	start_target --pid --fork --mount-proc
	# readlink is the program itself: outside, with the namespace set for its children.
	both -F -t "$TARGET_PID" -p readlink /proc/self/ns/pid /proc/self/ns/pid_for_children
	[ "$rq" = "$(readlink /proc/self/ns/pid)"$'\n'"pid:[$(ns_inode "$TARGET_PID" pid)]" ]
	same
	# The shell's children (readlink, grep) are inside; the shell itself has only a host PID.
	both -F -t "$TARGET_PID" -p sh -c 'readlink /proc/self/ns/pid; grep NSpid /proc/$$/status'
	[ "$rq_rc" -eq 0 ]
	[ "$(sed -n 1p <<<"$rq")" = "pid:[$(ns_inode "$TARGET_PID" pid)]" ]
	[ "$(sed -n 2p <<<"$rq" | awk '{print NF}')" -eq 2 ]
	[ "$(sed -n 1p <<<"$ul")" = "$(sed -n 1p <<<"$rq")" ]
}

@test "nsenter: the program's exit status and death by signal pass through (7 -> 7, SIGTERM -> 143)" {
	start_target --pid --fork --mount-proc --uts
	# -p forks and waits; -u execs directly.
	for ns in -p -u; do
		both -t "$TARGET_PID" $ns sh -c 'exit 7'
		[ "$rq_rc" -eq 7 ]
		same
		both -t "$TARGET_PID" $ns sh -c 'kill -TERM $$'
		[ "$rq_rc" -eq 143 ]
		same
	done
}

@test "nsenter: a program that cannot be executed exits 127 (not found) or 126 (not executable)" {
	start_target --uts
	both -t "$TARGET_PID" -u /nonexistent/rq-program
	[ "$rq_rc" -eq 127 ]
	[[ "$rq_err" == *"failed to execute /nonexistent/rq-program"* ]]
	[ "$ul_rc" -eq "$rq_rc" ]
	printf 'not a program\n' >"$BATS_TEST_TMPDIR/data"
	chmod 644 "$BATS_TEST_TMPDIR/data"
	both -t "$TARGET_PID" -u "$BATS_TEST_TMPDIR/data"
	[ "$rq_rc" -eq 126 ]
	[[ "$rq_err" == *"failed to execute $BATS_TEST_TMPDIR/data: permission denied"* ]]
	[ "$ul_rc" -eq "$rq_rc" ]
}

@test "nsenter -t: a target that does not exist is named in the error" {
	sleep 0 &
	local gone=$!
	wait "$gone"
	run "$RONGQI" nsenter -t "$gone" -u true
	[ "$status" -eq 1 ]
	[[ "$output" == *"target process $gone: No such process"* ]]
}

@test "nsenter: a namespace without FILE and without -t, or nothing to enter, is a usage error that says what to add" {
	run "$RONGQI" nsenter --net ip link
	[ "$status" -eq 1 ]
	[[ "$output" == *"no target PID given"*"use -t PID or give --net=FILE"* ]]
	[[ "$output" == *"Try 'rongqi nsenter --help'"* ]]
	run "$RONGQI" nsenter -t 1 true
	[ "$status" -eq 1 ]
	[[ "$output" == *"no namespace to enter"* ]]
	run "$RONGQI" nsenter -t 1 -u --bogus
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	# util-linux refuses the first ("neither filename nor target pid supplied for ns/net");
	# 2.38 runs the second unchanged, newer versions say "no namespace specified".
	run nsenter --net true
	[ "$status" -ne 0 ]
}

@test "nsenter -a: a target in all of our namespaces leaves nothing to enter, and says so" {
	run "$RONGQI" nsenter -t $$ -a sh -c "$NSLIST"
	[ "$status" -eq 0 ]
	[[ "$output" == *"note: process $$ is in all of our namespaces"* ]]
	[[ "$output" == *"$(ns_line 0)"* ]]
}

@test "nsenter -U: re-entering one's own user namespace is refused with the reason" {
	run "$RONGQI" nsenter -t $$ -U true
	[ "$status" -eq 1 ]
	[[ "$output" == *"own user namespace already"* ]]
	[[ "$output" == *"hint:"*"drop -U"* ]]
	run nsenter -t $$ -U true
	[ "$status" -ne 0 ]
}

@test "nsenter -a: all namespaces are joined with one setns(pidfd) call; a FILE falls back to one setns per namespace" {
	command -v strace >/dev/null || skip "strace not installed"
	start_full_target
	run strace -f -e trace=setns -o "$BATS_TEST_TMPDIR/trace" "$RONGQI" nsenter -t "$TARGET_PID" -a true
	[ "$status" -eq 0 ]
	[ "$(grep -c 'setns(' "$BATS_TEST_TMPDIR/trace")" -eq 1 ]
	grep -q 'CLONE_NEWUSER' "$BATS_TEST_TMPDIR/trace"
	grep -q 'CLONE_NEWTIME' "$BATS_TEST_TMPDIR/trace"
	run strace -f -e trace=setns -o "$BATS_TEST_TMPDIR/trace" "$RONGQI" nsenter -t "$TARGET_PID" \
		-u --net="/proc/$TARGET_PID/ns/net" true
	[ "$status" -eq 0 ]
	[ "$(grep -c 'setns(' "$BATS_TEST_TMPDIR/trace")" -eq 2 ]
}

@test "nsenter: every namespace given as a FILE (one setns each, user namespace last for root) ends where -a does" {
	start_full_target
	local n args=() ns=/proc/$TARGET_PID/ns
	for n in mount:mnt uts:uts ipc:ipc net:net pid:pid user:user cgroup:cgroup time:time; do
		args+=("--${n%%:*}=$ns/${n#*:}")
	done
	both "${args[@]}" sh -c "$NSLIST; id -u"
	[ "$rq" = "$(ns_line "$TARGET_PID")0" ]
	same
	[ "$("$RONGQI" nsenter -t "$TARGET_PID" -a sh -c "$NSLIST; id -u")" = "$rq" ]
}

@test "rootless: nsenter -a into the test user's own user+pid+mount target runs as uid 0 there, as util-linux" {
	require_test_user
	start_user_target --user --map-root-user --pid --fork --mount-proc
	local cmd="$NSLIST; echo; id -u; cat /proc/self/uid_map; ps -o pid,comm --no-headers -p 1"
	run as_user "$RQ_BIN_DIR/rongqi" nsenter -t "$TARGET_PID" -a sh -c "$cmd"
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<<"$output")" = "$(expect_only user pid mnt)" ]
	[ "$(sed -n 2p <<<"$output")" = 0 ]
	[ "$(echo $(sed -n 3p <<<"$output"))" = "0 $RQ_TEST_UID 1" ]
	[ "$(echo $(sed -n 4p <<<"$output"))" = "1 sleep" ]
	# util-linux 2.38's -a also tries the host's own namespaces and fails here (EPERM), and
	# its setgroups fails under setgroups=deny: name the three namespaces, keep credentials.
	local ul_out
	ul_out=$(as_user nsenter --preserve-credentials -t "$TARGET_PID" -U -p -m sh -c "$cmd")
	[ "$output" = "$ul_out" ]
	# The same namespaces given as files are joined one by one: pass 1 fails without
	# capabilities, pass 2 enters the user namespace first and then the others.
	local fd_out ns=/proc/$TARGET_PID/ns
	fd_out=$(as_user "$RQ_BIN_DIR/rongqi" nsenter --mount=$ns/mnt --pid=$ns/pid --user=$ns/user \
		sh -c "$cmd")
	[ "$output" = "$fd_out" ]
}

@test "rootless: entering a root-owned target's network namespace fails with a permission message" {
	require_test_user
	start_target --net
	run as_user "$RQ_BIN_DIR/rongqi" nsenter -t "$TARGET_PID" -n true
	[ "$status" -eq 1 ]
	[[ "$output" == *"/proc/$TARGET_PID/ns/net: Permission denied"* ]]
	[[ "$output" == *"hint:"*"run as root"* ]]
	run as_user nsenter -t "$TARGET_PID" -n true
	[ "$status" -ne 0 ]
}

@test "rootless: the user's own target's network namespace needs -U first; the error names CAP_SYS_ADMIN and -U" {
	require_test_user
	start_user_target --user --map-root-user --net
	run as_user "$RQ_BIN_DIR/rongqi" nsenter -t "$TARGET_PID" -n true
	[ "$status" -eq 1 ]
	[[ "$output" == *"enter the net namespace of process $TARGET_PID"*"Operation not permitted"* ]]
	[[ "$output" == *"hint:"*"CAP_SYS_ADMIN in the user namespace that owns it"*"add -U"* ]]
	run as_user "$RQ_BIN_DIR/rongqi" nsenter -t "$TARGET_PID" -U -n readlink /proc/self/ns/net
	[ "$status" -eq 0 ]
	[ "$output" = "net:[$(ns_inode "$TARGET_PID" net)]" ]
}
