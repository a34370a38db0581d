#!/usr/bin/env bats
# rongqi unshare against util-linux unshare (the oracle): the same command under both, comparing
# what a user checks — ps output, which namespaces are new, id maps, propagation, exit codes.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	PERSISTED=()
	# A directory the unprivileged test user can reach (BATS_TEST_TMPDIR is private to root).
	U=$(mktemp -d /tmp/rq-unshare-test.XXXXXX)
	chmod 755 "$U"
}

teardown() {
	local f
	for f in "${PERSISTED[@]}"; do
		umount "$f" 2>/dev/null || true
	done
	rm -rf "$U"
}

# ns_pattern: for each namespace type, "new" if it differs from this shell's, else "same".
# The command runs inside the namespaces; OUTER_* carry the outer inodes in.
NS_PATTERN='for t in cgroup ipc mnt net pid user uts time; do
	o=$(eval echo \$OUTER_$t); i=$(stat -L -c %i /proc/self/ns/$t)
	[ "$o" = "$i" ] && echo "$t same" || echo "$t new"; done'

outer_env() {
	local t
	for t in cgroup ipc mnt net pid user uts time; do
		printf 'OUTER_%s=%s ' "$t" "$(stat -L -c %i /proc/self/ns/$t)"
	done
}

# Both tools, same flags; the pattern of new namespaces must match.
compare_ns() {
	local env
	env=$(outer_env)
	run env $env unshare "$@" sh -c "$NS_PATTERN"
	[ "$status" -eq 0 ]
	local want=$output
	run env $env "$RONGQI" unshare "$@" sh -c "$NS_PATTERN"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ] || { echo "util-linux: $want"; echo "rongqi: $output"; false; }
}

@test "seed: unshare --pid --fork --mount-proc ps aux shows ps alone, as PID 1" {
	require_root
	run "$RONGQI" unshare --pid --fork --mount-proc ps -eo pid,user,args
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^\ *1\ root\ +ps\ -eo ]]
	run unshare --pid --fork --mount-proc ps -eo pid,user,args
	want=$output
	run "$RONGQI" unshare --pid --fork --mount-proc ps -eo pid,user,args
	[ "$output" = "$want" ]
}

@test "seed: in unshare --pid --fork --mount-proc bash, ps aux shows bash as PID 1 and ps as PID 2" {
	require_root
	run bash -c "echo 'ps -eo pid,args' | '$RONGQI' unshare --pid --fork --mount-proc bash"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" =~ ^\ *1\ bash$ ]]
	[[ "${lines[2]}" =~ ^\ *2\ ps\ -eo\ pid,args$ ]]
	want=$(echo 'ps -eo pid,args' | unshare --pid --fork --mount-proc bash)
	[ "$output" = "$want" ]
}

@test "seed (rootless): unshare --user --pid --fork --mount-proc ps aux shows nobody, as util-linux" {
	require_test_user
	run as_user "$RQ_BIN_DIR/rongqi" unshare --user --pid --fork --mount-proc ps -eo user,pid,args
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^nobody\ +1\ ps ]]
	want=$(as_user unshare --user --pid --fork --mount-proc ps -eo user,pid,args)
	[ "$output" = "$want" ]
}

@test "seed (rootless): with --map-root-user, ps aux shows root: a fake root" {
	require_test_user
	run as_user "$RQ_BIN_DIR/rongqi" unshare --user --pid --fork --map-root-user --mount-proc ps -eo user,pid,args
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^root\ +1\ ps ]]
	want=$(as_user unshare --user --pid --fork --map-root-user --mount-proc ps -eo user,pid,args)
	[ "$output" = "$want" ]
	# ... and it is a fake root: the host still sees the test user.
	run as_user "$RQ_BIN_DIR/rongqi" unshare -r sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $RQ_TEST_UID 1" ]
}

@test "each namespace flag makes exactly that namespace new, as util-linux" {
	require_root
	compare_ns --mount
	compare_ns --uts
	compare_ns --ipc
	compare_ns --net
	compare_ns --pid --fork
	compare_ns --user
	compare_ns --cgroup
	compare_ns --time
	compare_ns -m -u -i -n -p -f -U -C -T
	compare_ns --mount-proc
	compare_ns -r
}

@test "rootless: --user with other namespaces works unprivileged and makes them new" {
	require_test_user
	local env
	env=$(outer_env)
	run as_user env $env "$RQ_BIN_DIR/rongqi" unshare -r -m -u -i -n -p -f -C -T sh -c "$NS_PATTERN"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c new)" -eq 8 ]
}

@test "id maps and setgroups match util-linux for -r, -c, --map-user/--map-group, -S/-G" {
	require_root
	local cmd='id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
	for flags in "-r" "-c" "--map-user=5 --map-group=6" "--map-user=daemon" "-S 1 -G 1" \
		"--user" "--user --setgroups deny"; do
		want=$(unshare $flags sh -c "$cmd" 2>&1) || true
		run "$RONGQI" unshare $flags sh -c "$cmd"
		[ "$output" = "$want" ] || { echo "flags: $flags"; echo "want: $want"; echo "got: $output"; false; }
	done
	# util-linux 2.38 fails here (setgroups is denied after -r); being root inside, we go on.
	run "$RONGQI" unshare -r -S 0 -G 0 id -u
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "rootless: --map-auto and --map-users map /etc/subuid ranges through newuidmap, as util-linux" {
	require_test_user
	local cmd='cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
	local start
	start=$(awk -F: -v u="$RQ_TEST_USER" '$1 == u { print $2; exit }' /etc/subuid)
	for flags in "--map-auto" "-r --map-auto" "--map-users=$start,0,100 --map-groups=$start,0,100" \
		"--map-user=5 --map-users=$start,0,10"; do
		want=$(as_user unshare $flags sh -c "$cmd" 2>&1)
		run as_user "$RQ_BIN_DIR/rongqi" unshare $flags sh -c "$cmd"
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ] || { echo "flags: $flags"; echo "want: $want"; echo "got: $output"; false; }
	done
	# A mapped subordinate id really is usable: chown to inner uid 1 in a user-owned dir.
	mkdir -m 777 "$U/own"
	run as_user "$RQ_BIN_DIR/rongqi" unshare -r --map-auto sh -c "touch $U/own/f && chown 1:1 $U/own/f"
	[ "$status" -eq 0 ]
	[ "$(stat -c %u "$U/own/f")" = "$start" ]
}

@test "--map-users accepts util-linux 2.39's inner:outer:count form too" {
	require_root
	run "$RONGQI" unshare --map-users=0:100000:10 --map-groups=0:100000:10 cat /proc/self/uid_map
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 100000 10" ]
}

@test "--map-auto without an /etc/subuid line names the file and the line to add" {
	require_root
	grep -q '^root:' /etc/subuid 2>/dev/null && skip "root has an /etc/subuid line here"
	run "$RONGQI" unshare --map-auto true
	[ "$status" -eq 1 ]
	[[ "$output" == *"/etc/subuid has no line for root"* ]]
	[[ "$output" == *"root:100000:65536"* ]]
}

@test "mount propagation: slave, shared, private, unchanged give the mountinfo tags util-linux gives" {
	require_root
	# In a private mount namespace of our own whose / is shared, so every mode shows.
	cat >"$T/tag.sh" <<-'EOS'
		awk '$5 == "/" { t = ""; for (i = 7; $i != "-"; i++) { sub(/:.*/, "", $i); t = t $i } print (t == "" ? "private" : t); exit }' /proc/self/mountinfo
	EOS
	for p in slave shared private unchanged; do
		want=$(unshare -m sh -c "mount --make-rshared /; unshare -m --propagation $p sh $T/tag.sh")
		got=$(unshare -m sh -c "mount --make-rshared /; '$RONGQI' unshare -m --propagation $p sh $T/tag.sh")
		[ "$got" = "$want" ] || { echo "$p: want $want got $got"; false; }
	done
	[ "$(unshare -m sh -c "mount --make-rshared /; '$RONGQI' unshare -m sh $T/tag.sh")" = private ]
	[ "$(unshare -m sh -c "mount --make-rshared /; '$RONGQI' unshare -m --propagation slave sh $T/tag.sh")" = master ]
	[ "$(unshare -m sh -c "mount --make-rshared /; '$RONGQI' unshare -m --propagation shared sh $T/tag.sh")" = shared ]
}

@test "--uts=FILE keeps the namespace alive in FILE (created if missing); util-linux nsenter enters it" {
	require_root
	PERSISTED+=("$T/uts")
	run "$RONGQI" unshare --uts="$T/uts" hostname rq-persisted
	[ "$status" -eq 0 ]
	[ -f "$T/uts" ]
	run nsenter --uts="$T/uts" hostname
	[ "$output" = rq-persisted ]
	[ "$(hostname)" != rq-persisted ]
}

@test "--pid=FILE persists the new PID namespace (the children's), --mount=FILE the mount namespace" {
	require_root
	PERSISTED+=("$T/pid" "$T/mnt")
	mkdir "$T/dir"
	run "$RONGQI" unshare --pid="$T/pid" --mount="$T/mnt" --fork sh -c "mount -t tmpfs rqtmp '$T/dir'; readlink /proc/self/ns/pid"
	[ "$status" -eq 0 ]
	[ "$output" = "pid:[$(stat -L -c %i "$T/pid")]" ]
	run nsenter --mount="$T/mnt" findmnt -n -o SOURCE "$T/dir"
	[ "$output" = rqtmp ]
	run findmnt -n "$T/dir"
	[ "$status" -ne 0 ]
	umount "$T/mnt"
	umount "$T/pid"
	PERSISTED=()
}

@test "a persist file that cannot be bound is not left behind, and the error says why" {
	require_root
	run "$RONGQI" unshare --uts="$T/no/such/dir/uts" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"create namespace file $T/no/such/dir/uts"* ]]
	[ ! -e "$T/no/such/dir/uts" ]
}

@test "rootless: persisting a namespace needs root, and the message says so" {
	require_test_user
	mkdir -m 777 "$U/p"
	run as_user "$RQ_BIN_DIR/rongqi" unshare -r --uts="$U/p/uts" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs root"* ]]
	[ ! -e "$U/p/uts" ]
}

@test "--fork passes the exit code on, and death by a signal as that signal (shell sees 128+n)" {
	require_root
	run "$RONGQI" unshare --fork sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run bash -c "'$RONGQI' unshare --fork sh -c 'kill -TERM \$\$' 2>/dev/null; echo \$?"
	want=$(bash -c "unshare --fork sh -c 'kill -TERM \$\$' 2>/dev/null; echo \$?")
	[ "${lines[-1]}" = 143 ]
	[ "${lines[-1]}" = "${want##*$'\n'}" ]
}

@test "--kill-child=TERM: killing unshare sends TERM to the forked child" {
	require_root
	"$RONGQI" unshare --kill-child=TERM sh -c "trap 'echo got-term > $T/kc; exit 0' TERM; touch $T/ready; sleep 30 & wait" &
	local pid=$!
	wait_for test -e "$T/ready"
	kill -KILL "$pid"
	wait_for test -s "$T/kc"
	[ "$(cat "$T/kc")" = got-term ]
}

@test "-R and -w: the program runs in the new root and directory, and --mount-proc mounts there" {
	require_root
	mkdir -p "$T/root/bin" "$T/root/proc" "$T/root/work"
	cp /bin/busybox "$T/root/bin/busybox"
	for a in sh pwd ps ls cat; do ln -s busybox "$T/root/bin/$a"; done
	run "$RONGQI" unshare -R "$T/root" -w /work /bin/pwd
	[ "$output" = /work ]
	run "$RONGQI" unshare -R "$T/root" /bin/pwd
	[ "$output" = / ]
	run "$RONGQI" unshare -R "$T/root" --pid --fork --mount-proc /bin/ps -o pid,args
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^\ *1\ /bin/ps ]]
	[ "${#lines[@]}" -eq 2 ]
	# the host's view of the new root has no proc mounted
	[ -z "$(ls "$T/root/proc")" ]
}

@test "time namespace: --boottime shifts /proc/uptime inside; --monotonic without -T is refused" {
	require_root
	run "$RONGQI" unshare -T --boottime 86400 cat /proc/uptime
	[ "$status" -eq 0 ]
	inside=${output%%.*}
	host=$(cut -d. -f1 /proc/uptime)
	[ $((inside - host)) -ge 86390 ]
	[ $((inside - host)) -le 86410 ]
	run "$RONGQI" unshare --monotonic 5 true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--monotonic and --boottime require unsharing of a time namespace"* ]]
}

@test "rootless: --keep-caps puts the namespace's capabilities into the ambient set, as util-linux" {
	require_test_user
	run as_user "$RQ_BIN_DIR/rongqi" unshare -c --keep-caps grep CapAmb /proc/self/status
	[ "$status" -eq 0 ]
	want=$(as_user unshare -c --keep-caps grep CapAmb /proc/self/status)
	[ "$output" = "$want" ]
	[ "$output" != "$(printf 'CapAmb:\t0000000000000000')" ]
}

@test "--pid without --fork warns how the PID namespace will behave; -q silences it" {
	require_root
	run "$RONGQI" unshare --pid true
	[ "$status" -eq 0 ]
	[[ "$output" == *"note: --pid without --fork"* ]]
	run "$RONGQI" unshare -q --pid true
	[ -z "$output" ]
}

@test "no program runs \$SHELL, as util-linux" {
	require_root
	run bash -c "echo 'echo \$\$' | SHELL=/bin/sh '$RONGQI' unshare -fp"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "bad input: unknown option, missing argument, bad values — exit 1 with the reason" {
	run "$RONGQI" unshare --bogus true
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"unrecognized option '--bogus'" ]]
	[[ "${lines[1]}" == "Try 'rongqi unshare --help' for more information." ]]
	run "$RONGQI" unshare --propagation sideways true
	[ "$status" -eq 1 ]
	[[ "$output" == *"expected slave, shared, private or unchanged"* ]]
	run "$RONGQI" unshare --setgroups maybe true
	[[ "$output" == *"expected allow or deny"* ]]
	run "$RONGQI" unshare -r --setgroups allow true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--setgroups allow cannot go with a gid map written by the process itself"* ]]
	run "$RONGQI" unshare --map-users=1,2 true
	[[ "$output" == *"expected outer,inner,count"* ]]
	run "$RONGQI" unshare --kill-child=NOPE true
	[[ "$output" == *"unknown signal"* ]]
	run "$RONGQI" unshare --map-user=no-such-user-rq true
	[[ "$output" == *"no such user"* ]]
	run "$RONGQI" unshare -w
	[[ "$output" == *"option '-w' requires an argument"* ]]
}

@test "a missing program exits 127 with 'executable file not found', as runc words it" {
	require_root
	run -127 "$RONGQI" unshare --fork no-such-program-rq
	[[ "$output" == *"failed to execute no-such-program-rq: executable file not found"* ]]
}

@test "rootless: a namespace without --user is refused with a hint to add --user" {
	require_test_user
	run as_user "$RQ_BIN_DIR/rongqi" unshare --net true
	[ "$status" -eq 1 ]
	[[ "$output" == *"unshare(--net): Operation not permitted"* ]]
	[[ "$output" == *"add --user"* ]]
}

@test "user namespaces disabled: the error names the sysctl user.max_user_namespaces" {
	require_root
	# In a user namespace of our own, where lowering the limit touches nothing outside.
	run unshare -U -r sh -c "echo 0 > /proc/sys/user/max_user_namespaces && '$RONGQI' unshare -U true"
	[ "$status" -eq 1 ]
	[[ "$output" == *"user namespaces are disabled"* ]]
	[[ "$output" == *"user.max_user_namespaces"* ]]
}

@test "--help lists every util-linux option" {
	run "$RONGQI" unshare --help
	[ "$status" -eq 0 ]
	for o in --mount --uts --ipc --net --pid --user --cgroup --time --fork --map-user --map-group \
		--map-root-user --map-current-user --map-auto --map-users --map-groups --kill-child \
		--mount-proc --propagation --setgroups --keep-caps --root --wd --setuid --setgid \
		--monotonic --boottime; do
		[[ "$output" == *"$o"* ]] || { echo "missing $o"; false; }
	done
}
