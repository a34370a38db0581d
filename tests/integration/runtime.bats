#!/usr/bin/env bats
# rongqi-runtime (the OCI runtime subset built so far): the runc command line against a busybox
# bundle, with runc as the oracle on the same bundle. Every test uses its own state roots and
# cgroup parent, and deletes what it made.

load helpers
bats_require_minimum_version 1.5.0

load runtime-helpers

@test "run: the program is PID 1 with the config's hostname, and its exit code is run's" {
	set_config ".process.args = $(args sh -c 'echo pid=$$; hostname; exit 3')"
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" c1
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = "pid=1" ]
	[ "${lines[1]}" = "rongqi" ]
	# run deletes the container after it exits
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
}

@test "oracle: ids, capabilities, no_new_privs, /dev, mounts and fds inside match runc's" {
	local probe='id; hostname; grep -E "^(Cap|NoNewPrivs|Seccomp:)" /proc/self/status; ls /dev | sort | tr "\n" " "; echo; awk "{print \$2}" /proc/self/mounts | sort; (echo x > /proc/sys/kernel/domainname) 2>/dev/null || echo ro; ls /proc/self/fd | tr "\n" " "'
	set_config ".process.args = $(args sh -c "$probe")"
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" o1
	[ "$status" -eq 0 ]
	local ours=$output
	run --separate-stderr runc --root "$RUNC_ROOT" run -b "$B" o1
	[ "$status" -eq 0 ]
	[ "$ours" = "$output" ] || { diff <(echo "$ours") <(echo "$output"); false; }
}

@test "create, start, state, kill, delete: the OCI state machine with runc's phrases" {
	set_config ".process.args = $(args sh -c 'echo started; exec sleep 60')"
	rt_detached create --pid-file "$B/pid" -b "$B" c2
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" state c2
	[ "$(echo "$output" | jq -r .status)" = created ]
	pid=$(echo "$output" | jq -r .pid)
	[ "$pid" = "$(cat "$B/pid")" ]
	[ "$(echo "$output" | jq -r .bundle)" = "$B" ]
	# created: the init waits, the program has not run
	[ "$(readlink /proc/$pid/exe)" != /bin/busybox ]
	run "$RT" --root "$ROOT" start c2
	[ "$status" -eq 0 ]
	wait_for grep -q started "$BATS_TEST_TMPDIR/ctr.out"
	run "$RT" --root "$ROOT" state c2
	[ "$(echo "$output" | jq -r .status)" = running ]
	run "$RT" --root "$ROOT" start c2
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start an already running container"* ]]
	run "$RT" --root "$ROOT" delete c2
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot delete container c2 that is not stopped: running"* ]]
	run "$RT" --root "$ROOT" kill c2 KILL
	[ "$status" -eq 0 ]
	wait_for sh -c "'$RT' --root '$ROOT' state c2 | jq -e '.status == \"stopped\"' >/dev/null"
	run "$RT" --root "$ROOT" kill c2
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	run "$RT" --root "$ROOT" delete c2
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" state c2
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
	[ ! -e "$ROOT/c2" ]
}

@test "delete -f of a running container kills every process in it" {
	set_config ".process.args = $(args sh -c 'sleep 60 & sleep 60 & exec sleep 61')"
	rt_detached run -d -b "$B" c3
	[ "$status" -eq 0 ]
	pid=$("$RT" --root "$ROOT" state c3 | jq -r .pid)
	wait_for sh -c "[ \$(pgrep -c -f '^sleep 6[01]') -ge 3 ]"
	run "$RT" --root "$ROOT" delete -f c3
	[ "$status" -eq 0 ]
	wait_for gone $pid
	[ ! -e "$ROOT/c3" ]
}

@test "kill --all signals every process of the container, kill NAME and number forms work" {
	set_config ".process.args = $(args sh -c 'sleep 60 & sleep 61 & wait')"
	rt_detached run -d -b "$B" c4
	[ "$status" -eq 0 ]
	pid=$("$RT" --root "$ROOT" state c4 | jq -r .pid)
	wait_for sh -c "pgrep -P $pid >/dev/null"
	child=$(pgrep -P "$pid")
	run "$RT" --root "$ROOT" kill --all c4 SIGKILL
	[ "$status" -eq 0 ]
	wait_for gone $child
	run "$RT" --root "$ROOT" kill c4 NOSUCHSIGNAL
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown signal"* ]]
	rt_detached run -d -b "$B" c5
	run "$RT" --root "$ROOT" kill c5 9
	[ "$status" -eq 0 ]
	wait_for sh -c "'$RT' --root '$ROOT' state c5 | jq -e '.status == \"stopped\"' >/dev/null"
}

@test "a missing program fails create in runc's words and leaves no state or process" {
	set_config ".process.args = $(args no-such-program-rq)"
	rt_detached create -b "$B" c5
	[ "$status" -eq 1 ]
	[[ "$output" == *"exec no-such-program-rq: executable file not found in \$PATH"* ]]
	[ ! -e "$ROOT/c5" ]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
}

@test "--log FILE --log-format json: the error is a JSON line with level error, as containerd reads" {
	run "$RT" --root "$ROOT" --log "$B/log.json" --log-format json start nope
	[ "$status" -eq 1 ]
	line=$(tail -n1 "$B/log.json")
	[ "$(echo "$line" | jq -r .level)" = error ]
	[[ "$(echo "$line" | jq -r .msg)" == *"container does not exist: nope"* ]]
	echo "$line" | jq -e '.time | test("^[0-9]{4}-")'
	# and the person at the terminal still sees it
	[[ "$output" == *"container does not exist: nope"* ]]
}

@test "a user namespace from uidMappings: root inside is an unprivileged uid outside" {
	# Root of the user namespace is host uid 300000: the bundle's path must be searchable by it
	# (BATS_TEST_TMPDIR is not).
	local shared
	shared=$(mktemp -d /tmp/rq-runtime-userns.XXXXXX)
	chmod 755 "$shared"
	cp -a "$B" "$shared/bundle"
	B="$shared/bundle"
	set_config '.linux.namespaces += [{"type": "user"}] |
		.linux.uidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}] |
		.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map; sleep 0.5"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" u1
	[ "$status" -eq 0 ] || { echo "$stderr"; rm -rf "$shared"; false; }
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 300000 65536" ]
	rm -rf "$shared"
}

@test "invalid config.json: the error names the JSON path" {
	set_config '.process.rlimits = [{"type": "RLIMIT_FOO", "hard": 1, "soft": 1}]'
	run "$RT" --root "$ROOT" run -b "$B" bad
	[ "$status" -eq 1 ]
	[[ "$output" == *'process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"'* ]]
	[ ! -e "$ROOT/bad" ]
}

@test "spec writes a config.json runc accepts, and refuses to overwrite one" {
	run "$RT" spec -b "$B"
	[ "$status" -eq 1 ]
	[[ "$output" == *"file exists"* ]]
	set_config ".process.args = [\"true\"]"
	run runc --root "$RUNC_ROOT" run -b "$B" s1
	[ "$status" -eq 0 ]
	rm "$B/config.json"
	"$RT" spec --rootless -b "$B"
	jq -e '.linux.namespaces | map(.type) | index("user")' "$B/config.json"
}

@test "features prints JSON with the supported OCI versions and namespaces; --version names the spec" {
	run "$RT" features
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .ociVersionMax)" = 1.3.0 ]
	echo "$output" | jq -e '.linux.namespaces | index("pid")'
	run "$RT" --version
	[[ "${lines[0]}" == "rongqi-runtime version "* ]]
	[ "${lines[1]}" = "spec: 1.3.0" ]
}

@test "exec: the process joins every namespace of the init and is born in its PID namespace" {
	set_config ".process.args = $(args sleep 60)"
	rt_detached run -d -b "$B" x1
	[ "$status" -eq 0 ]
	init=$("$RT" --root "$ROOT" state x1 | jq -r .pid)
	run "$RT" --root "$ROOT" exec x1 sh -c 'echo $$; hostname; for t in ipc mnt net pid uts; do readlink /proc/self/ns/$t; done; ls /proc/self/fd | tr "\n" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != 1 ]
	[ "${lines[1]}" = rongqi ]
	local i=2 t
	for t in ipc mnt net pid uts; do
		[ "${lines[$i]}" = "$(readlink /proc/$init/ns/$t)" ]
		i=$((i + 1))
	done
	[ "${lines[7]}" = "0 1 2 3 " ]
	run "$RT" --root "$ROOT" exec x1 sh -c 'exit 42'
	[ "$status" -eq 42 ]
}

@test "exec: -u, --cwd, -e, --cap and -p, with capabilities as runc gives them" {
	set_config ".process.args = $(args sleep 60)"
	rt_detached run -d -b "$B" x2
	run "$RT" --root "$ROOT" exec -u 1000:1001 --cwd /tmp -e FOO=bar -e PATH=/bin x2 sh -c 'id; pwd; echo $FOO'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000 gid=1001" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = bar ]
	run "$RT" --root "$ROOT" exec --cap CAP_SYS_ADMIN x2 grep CapBnd /proc/self/status
	[ "$(( 0x$(echo "$output" | awk '{print $2}') >> 21 & 1 ))" = 1 ]
	echo '{"args": ["sh", "-c", "echo from-process-file"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}' >"$BATS_TEST_TMPDIR/p.json"
	run "$RT" --root "$ROOT" exec -p "$BATS_TEST_TMPDIR/p.json" x2
	[ "$output" = from-process-file ] || { echo "got: $output"; false; }
	# capabilities of a root and a non-root exec: as runc's on the same bundle
	runc --root "$RUNC_ROOT" run -d -b "$B" r2 </dev/null >"$BATS_TEST_TMPDIR/r2.out" 2>&1
	for u in 0 1000; do
		want=$(runc --root "$RUNC_ROOT" exec -u $u r2 grep -E '^(Cap|NoNewPrivs)' /proc/self/status)
		got=$("$RT" --root "$ROOT" exec -u $u x2 grep -E '^(Cap|NoNewPrivs)' /proc/self/status)
		[ "$got" = "$want" ] || { echo "uid $u"; diff <(echo "$got") <(echo "$want"); false; }
	done
}

@test "exec: a missing program, a stopped container and a bad --user are refused in words" {
	set_config ".process.args = $(args sleep 60)"
	rt_detached run -d -b "$B" x3
	run "$RT" --root "$ROOT" exec x3 no-such-program-rq
	[ "$status" -eq 1 ]
	[[ "$output" == *"exec no-such-program-rq: executable file not found in \$PATH"* ]]
	run "$RT" --root "$ROOT" exec -u nobody-rq-x x3 true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--user nobody-rq-x: expected UID[:GID]"* ]]
	"$RT" --root "$ROOT" kill x3 KILL
	wait_for sh -c "'$RT' --root '$ROOT' state x3 | jq -e '.status == \"stopped\"' >/dev/null"
	run "$RT" --root "$ROOT" exec x3 true
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
}

@test "ps: the container's processes as a table from the host's ps, or their pids as JSON" {
	set_config ".process.args = $(args sh -c 'sleep 50 & exec sleep 60')"
	rt_detached run -d -b "$B" p1
	init=$("$RT" --root "$ROOT" state p1 | jq -r .pid)
	wait_for sh -c "[ \$('$RT' --root '$ROOT' ps --format json p1 | jq length) -eq 2 ]"
	run "$RT" --root "$ROOT" ps --format json p1
	[ "$(echo "$output" | jq -c 'map(tostring) | index("'"$init"'")')" != null ]
	run "$RT" --root "$ROOT" ps p1 -o pid,comm
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"$init sleep"* ]]
	run "$RT" --root "$ROOT" ps nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"container does not exist"* ]]
}

@test "hooks: each kind runs at its moment, in its namespaces, with the state on stdin" {
	H="$BATS_TEST_TMPDIR/hooks"
	mkdir "$H"
	hook() { jq -cn --arg c "$1" '{path: "/bin/sh", args: ["sh", "-c", $c]}'; }
	set_config ".process.args = $(args sh -c 'cat /dev/shm/marker') | .hooks = {
		prestart: [$(hook "cat > $H/prestart.json")],
		createRuntime: [$(hook "cat > $H/createRuntime.json; readlink /proc/self/ns/mnt > $H/cr.mnt")],
		createContainer: [$(hook "cat > $H/createContainer.json; readlink /proc/self/ns/mnt > $H/cc.mnt")],
		startContainer: [$(hook "cat > /dev/shm/stdin; echo started-by-hook > /dev/shm/marker")],
		poststart: [$(hook "cat > $H/poststart.json")],
		poststop: [$(hook "cat > $H/poststop.json")]}"
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" h1
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	# startContainer ran inside the container, before the program
	[ "$output" = started-by-hook ]
	# the runtime's hooks: in our mount namespace, state "creating" with the init's pid
	[ "$(cat "$H/cr.mnt")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(jq -r .status "$H/createRuntime.json")" = creating ]
	[ "$(jq -r .id "$H/prestart.json")" = h1 ]
	[ "$(jq -r .pid "$H/createRuntime.json")" -gt 1 ]
	# createContainer: in the container's mount namespace
	[ "$(cat "$H/cc.mnt")" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(jq -r .pid "$H/createContainer.json")" = "$(jq -r .pid "$H/createRuntime.json")" ]
	[ "$(jq -r .status "$H/poststart.json")" = running ]
	[ "$(jq -r .status "$H/poststop.json")" = stopped ]
}

@test "hooks: a failing or hanging createRuntime hook fails create by name and leaves nothing" {
	set_config '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]}'
	rt_detached create -b "$B" h2
	[ "$status" -eq 1 ]
	[[ "$output" == *"hooks.createRuntime[0] (/bin/sh): exit status 3"* ]]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
	# A sleep under a name of this test's own, so no other process on the machine matches.
	ln -s /bin/sleep "$BATS_TEST_TMPDIR/rq-hook-sleep-$$"
	set_config '.hooks = {prestart: [{path: "'"$BATS_TEST_TMPDIR/rq-hook-sleep-$$"'", args: ["rq-hook-sleep-'$$'", "30"], timeout: 1}]}'
	rt_detached create -b "$B" h3
	[ "$status" -eq 1 ]
	[[ "$output" == *"hooks.prestart[0] ($BATS_TEST_TMPDIR/rq-hook-sleep-$$): timed out after 1 s, killed"* ]]
	[ ! -e "$ROOT/h3" ]
	! pgrep -f "^rq-hook-sleep-$$ 30\$"
}

@test "hooks: a failing poststart hook is a warning, the container runs" {
	set_config '.process.args = ["true"] | .hooks = {poststart: [{path: "/bin/false"}]}'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" h4
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: hooks.poststart[0] (/bin/false): exit status 1"* ]]
}

@test "terminal: the pty comes from the container's devpts and reaches --console-socket" {
	RECVTTY=$(dirname "$RT")/tests/helpers/rq-recvtty
	set_config '.process.terminal = true | .process.consoleSize = {height: 40, width: 100} |
		.process.args = ["sh", "-c", "tty; stty size; [ -t 0 ] && echo stdin-is-tty; read x; echo got:$x"]'
	jq '.process.terminal = true' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	sock="$BATS_TEST_TMPDIR/tty.sock"
	"$RECVTTY" "$sock" $'hello\n' >"$BATS_TEST_TMPDIR/tty.out" 2>&1 &
	local rp=$!
	wait_for test -S "$sock"
	run "$RT" --root "$ROOT" run -b "$B" --console-socket "$sock" t1
	[ "$status" -eq 0 ]
	wait "$rp"
	out=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	[[ "$out" == *"/dev/pts/0"* ]]
	[[ "$out" == *"40 100"* ]]
	[[ "$out" == *"stdin-is-tty"* ]]
	[[ "$out" == *"got:hello"* ]]
}

@test "terminal: create without --console-socket is refused in runc's words, with the fix" {
	set_config '.process.terminal = true'
	jq '.process.terminal = true' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	run "$RT" --root "$ROOT" create -b "$B" t2
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot allocate tty if rongqi-runtime will detach without setting console socket"* ]]
	[[ "$output" == *"give --console-socket"* ]]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
}

@test "security (CVE-2024-21626 class): no runtime fd reaches the container, its cwd is inside" {
	set_config ".process.args = $(args sh -c 'readlink /proc/self/cwd; ls /proc/self/fd | tr "\n" " "')"
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" s1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = / ]
	# 0-2 are stdio; 3 is ls's own directory: nothing of the runtime
	[ "${lines[1]}" = "0 1 2 3 " ]
	set_config ".process.args = $(args sleep 60)"
	rt_detached run -d -b "$B" s2
	run "$RT" --root "$ROOT" exec --cwd /tmp s2 sh -c 'readlink /proc/self/cwd; ls /proc/self/fd | wc -l'
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = 4 ]
}

# exe_attack ID: from inside container ID, race `exec`s of the runtime: a process in the
# container reads /proc/PID/exe of every other process and tries to open it for writing,
# while the host sends 30 execs in. Prints what the container saw (one line per exe it could
# read that is not a file of its own rootfs, and "wrote" for any successful write).
exe_attack() {
	local id=$1 i
	"$RT2" --root "$ROOT" exec -d "$id" sh -c 'cd /dev/shm; while [ ! -e stop ]; do
		for p in /proc/[0-9]*; do
			[ "$p" = /proc/$$ ] && continue
			t=$(readlink $p/exe 2>/dev/null) || continue
			case "$t" in /bin/*) ;; *) echo "$t" >>seen ;; esac
			(echo x >>$p/exe) 2>/dev/null && echo wrote >>seen
		done
	done; touch done' </dev/null >/dev/null 2>&1
	for i in $(seq 30); do "$RT2" --root "$ROOT" exec "$id" true; done
	"$RT2" --root "$ROOT" exec "$id" sh -c 'cd /dev/shm && touch stop || exit 1
		for i in $(seq 100); do [ -e done ] && break; sleep 0.1; done
		[ -e done ] || { echo "the attacking loop did not stop"; exit 1; }
		sort -u seen 2>/dev/null; true'
}

@test "security (CVE-2019-5736 class): the container cannot reach the runtime binary through /proc/PID/exe" {
	# A copy of the runtime, so that a breach could not damage the build.
	RT2="$BATS_TEST_TMPDIR/rongqi-runtime"
	cp "$RT" "$RT2"
	sum=$(sha256sum <"$RT2")
	set_config ".process.args = $(args sleep 60)"
	rt_detached create -b "$B" g1
	[ "$status" -eq 0 ]
	# The init waits for start as the runtime binary: not dumpable, so even root in the
	# container (no CAP_SYS_PTRACE) cannot read its exe link or open it.
	run "$RT2" --root "$ROOT" exec g1 sh -c 'readlink /proc/1/exe || echo refused; (echo x >>/proc/1/exe) 2>/dev/null || echo refused'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = refused ]
	[ "${lines[1]}" = refused ]
	run exe_attack g1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(sha256sum <"$RT2")" = "$sum" ]
	# With CAP_SYS_PTRACE in the host's user namespace, non-dumpable is not enough: the
	# runtime runs from a sealed memfd copy, which the container sees and cannot write.
	set_config '.process.args = ["sleep", "60"] | .process.capabilities |= map_values(. + ["CAP_SYS_PTRACE"])'
	rt_detached create -b "$B" g2
	[ "$status" -eq 0 ]
	run "$RT2" --root "$ROOT" exec g2 sh -c 'readlink /proc/1/exe; (echo x >>/proc/1/exe) 2>/dev/null || echo refused'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "/memfd:rongqi-runtime"* ]]
	[ "${lines[1]}" = refused ]
	run exe_attack g2
	[ "$status" -eq 0 ]
	! grep -v '^/memfd:rongqi-runtime' <<<"$output"
	[ "$(sha256sum <"$RT2")" = "$sum" ]
}

@test "security: a mount destination through a symlink in the image stays inside the rootfs" {
	local host_dir="$BATS_TEST_TMPDIR/host-target"
	mkdir -p "$host_dir" "$B/rootfs$host_dir"
	touch "$host_dir/untouched"
	ln -s "$host_dir" "$B/rootfs/evil"
	set_config '.mounts += [{destination: "/evil", type: "tmpfs", source: "tmpfs"}] |
		.process.args = ["sh", "-c", "touch /evil/made-inside && findmnt -n -o FSTYPE /evil 2>/dev/null || grep -c tmpfs /proc/self/mounts"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" m1
	[ "$status" -eq 0 ]
	[ -e "$host_dir/untouched" ]
	[ ! -e "$host_dir/made-inside" ]
	! findmnt -n "$host_dir"
	# a link that leads out of the root and exists nowhere inside is refused by name
	rm "$B/rootfs/evil"
	ln -s /nonexistent-rq/deeper "$B/rootfs/evil"
	run "$RT" --root "$ROOT" run -b "$B" m2
	[ "$status" -eq 1 ]
	[[ "$output" == *"mounts["*"(/evil)"*"is a symlink: refused"* ]]
}

@test "security: masked paths read nothing and read-only paths refuse even root" {
	set_config '.process.args = ["sh", "-c", "wc -c < /proc/timer_list; (echo 1 > /proc/sys/vm/overcommit_memory) 2>/dev/null && echo writable || echo refused; id -u"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" k1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = refused ]
	[ "${lines[2]}" = 0 ]
}

@test "security (2025 runc CVEs class): an image's /dev/null symlink is not used for masking" {
	# No /dev mount: the image's own /dev is used, and its null is a symlink to a file in it.
	echo secret >"$B/rootfs/victim"
	mkdir -p "$B/rootfs/dev"
	ln -s /victim "$B/rootfs/dev/null"
	set_config '.mounts |= map(select(.destination | startswith("/dev") | not)) |
		.linux.maskedPaths = ["/proc/timer_list"] |
		.process.args = ["sh", "-c", "wc -c < /proc/timer_list; cat /victim"]'
	run --separate-stderr "$RT" --root "$ROOT" run -b "$B" d1
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = secret ]
	[ "$(cat "$B/rootfs/victim")" = secret ]
}

@test "--preserve-fds N passes fds 3 .. 3+N-1 into the container (run and exec), no more" {
	set_config ".process.args = $(args sh -c 'echo to-three >&3; echo to-four >&4; ls /proc/self/fd | tr "\n" " "')"
	run bash -c "exec 3>'$BATS_TEST_TMPDIR/f3' 4>'$BATS_TEST_TMPDIR/f4'; '$RT' --root '$ROOT' run --preserve-fds 2 -b '$B' f1 2>/dev/null"
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 4 5 " ] || { echo "got: $output"; false; }
	[ "$(cat "$BATS_TEST_TMPDIR/f3")" = to-three ]
	[ "$(cat "$BATS_TEST_TMPDIR/f4")" = to-four ]
	run "$RT" --root "$ROOT" run --preserve-fds 9 -b "$B" f2
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 9: fd "*" is not open"* ]]
	set_config ".process.args = $(args sleep 60)"
	rt_detached run -d -b "$B" f3
	run bash -c "exec 3>'$BATS_TEST_TMPDIR/e3'; '$RT' --root '$ROOT' exec --preserve-fds 1 f3 sh -c 'echo via-exec >&3'"
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/e3")" = via-exec ]
}

@test "cgroups: memory, pids and cpu limits land in the container's own cgroup, removed at delete" {
	set_config '.linux.resources = {memory: {limit: 33554432}, pids: {limit: 8},
		cpu: {shares: 512, quota: 50000, period: 100000}} |
		.process.args = ["sleep", "60"]'
	rt_detached run -d -b "$B" g1
	[ "$status" -eq 0 ]
	pid=$("$RT" --root "$ROOT" state g1 | jq -r .pid)
	grep -q ":memory:/$CG/c$" /proc/$pid/cgroup
	grep -q ":pids:/$CG/c$" /proc/$pid/cgroup
	[ "$(cat /sys/fs/cgroup/memory/$CG/c/memory.limit_in_bytes)" = 33554432 ]
	[ "$(cat /sys/fs/cgroup/pids/$CG/c/pids.max)" = 8 ]
	[ "$(cat /sys/fs/cgroup/cpu/$CG/c/cpu.shares)" = 512 ]
	[ "$(cat /sys/fs/cgroup/cpu/$CG/c/cpu.cfs_quota_us)" = 50000 ]
	# exec'd processes are in the cgroup too, and the pids limit holds for them
	run "$RT" --root "$ROOT" exec g1 sh -c 'cat /proc/self/cgroup | grep -c "/'"$CG"'/c$"; for i in 1 2 3 4 5 6 7 8 9 10; do sleep 20 & done 2>/dev/null; echo forked'
	[ "${lines[0]}" -ge 9 ]
	[ "$(cat /sys/fs/cgroup/pids/$CG/c/pids.current)" -le 8 ]
	[ "$(awk '{print $2}' /sys/fs/cgroup/pids/$CG/c/pids.events)" -gt 0 ]
	run "$RT" --root "$ROOT" delete -f g1
	[ "$status" -eq 0 ]
	[ ! -e "/sys/fs/cgroup/memory/$CG/c" ]
	[ ! -e "/sys/fs/cgroup/pids/$CG/c" ]
	run "$RT" features
	[ "$(echo "$output" | jq .linux.cgroup.v1)" = true ]
}

@test "settings this version does not apply are refused by name, never silently dropped" {
	local f
	# (apparmorProfile, selinuxLabel and mountLabel: runtime-mounts.bats)
	for f in '.linux.intelRdt = {closID: "c"}'; do
		set_config "$f"
		run "$RT" --root "$ROOT" run -b "$B" z1
		[ "$status" -eq 1 ] || { echo "accepted: $f"; false; }
		[[ "$output" == *"set in config.json, but not applied by this version"* ]]
		[ -z "$("$RT" --root "$ROOT" list -q)" ]
	done
}

@test "pause freezes every process (a counter stops), resume thaws it, delete -f ends a paused one" {
	set_config '.process.args = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /dev/shm/n; sleep 0.05; done"]'
	rt_detached run -d -b "$B" z2
	pid=$("$RT" --root "$ROOT" state z2 | jq -r .pid)
	count() { cat /proc/$pid/root/dev/shm/n; }
	wait_for test -s /proc/$pid/root/dev/shm/n
	run "$RT" --root "$ROOT" pause z2
	[ "$status" -eq 0 ]
	[ "$("$RT" --root "$ROOT" state z2 | jq -r .status)" = paused ]
	[ "$(cat /sys/fs/cgroup/freezer/$CG/c/freezer.state)" = FROZEN ]
	a=$(count); sleep 0.4; b=$(count)
	[ "$a" = "$b" ]
	run "$RT" --root "$ROOT" pause z2
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot pause a paused container"* ]]
	run "$RT" --root "$ROOT" resume z2
	[ "$status" -eq 0 ]
	[ "$("$RT" --root "$ROOT" state z2 | jq -r .status)" = running ]
	sleep 0.4
	[ "$(count)" -gt "$b" ]
	"$RT" --root "$ROOT" pause z2
	run "$RT" --root "$ROOT" delete -f z2
	[ "$status" -eq 0 ]
	wait_for gone "$pid"
	[ ! -e "/sys/fs/cgroup/freezer/$CG/c" ]
}

@test "bad input: unknown command, missing id, unknown option, --systemd-cgroup without systemd" {
	run "$RT" frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
	run "$RT" --root "$ROOT" start
	[ "$status" -eq 1 ]
	[[ "$output" == *'"start" requires a container id'* ]]
	run "$RT" --root "$ROOT" delete --bogus x
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	run "$RT" --systemd-cgroup --root "$ROOT" list
	[ "$status" -eq 1 ]
	[[ "$output" == *"--systemd-cgroup"* ]]
}
