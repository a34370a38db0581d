#!/bin/sh
# The container's processes through its cgroup on a pure v2 or v1 host: the init is born in its
# cgroup (v2: clone3 CLONE_INTO_CGROUP), kill --all reaches a double-forked process (v2
# cgroup.kill, v1 the frozen freezer cgroup's procs), delete -f waits for exec -d processes
# before removing the cgroup. (The cgroup namespace's "/" is checked in cgroup-mount.sh, the
# OOM report in cgroup-basics.sh.) Runs inside the VM (busybox sh); see lib.sh.
. /vm/lib.sh

no_pidns='.linux.namespaces |= map(select(.type != "pid")) | .root.readonly = false'

t_born() {
	# A prestart hook sees the init before it runs anything of the config: it is in its
	# cgroup already.
	cat >"$T/hook" <<HOOK
#!/bin/sh
pid=\$(jq -r .pid)
cat /proc/\$pid/cgroup >$T/hook.out
HOOK
	chmod +x "$T/hook"
	set_config ".process.args = $(args cat /proc/self/cgroup) |
		.linux.namespaces |= map(select(.type != \"cgroup\")) |
		.hooks.prestart = [{path: \"$T/hook\"}]"
	expect_eq "/proc/self/cgroup of the container" "0::$CGPATH" "$(rt --debug run "$ID" 2>"$T/err")"
	expect_eq "the init's cgroup at prestart" "0::$CGPATH" "$(cat "$T/hook.out")"
	grep -q "${WANT:-born in its cgroup (clone3 CLONE_INTO_CGROUP)}" "$T/err" ||
		fail "not what the runtime says it did: $(cat "$T/err")"
}
t_born_fallback() {
	export RQ_TEST_NO_CLONE_INTO_CGROUP=1
	WANT="moved into its cgroup by the runtime" t_born
}
if [ "$MODE" = v2 ]; then
	run_test "the container init is born in its cgroup (clone3), before anything of the config runs" t_born
	run_test "without CLONE_INTO_CGROUP the runtime moves the init into its cgroup before it runs" t_born_fallback
else
	skip_test "the container init is born in its cgroup (clone3), before anything of the config runs" "v2 only"
	skip_test "without CLONE_INTO_CGROUP the runtime moves the init into its cgroup before it runs" "v2 only"
fi

t_exec_born() {
	# with and without a cgroup namespace; the default config has one
	for ns in with without; do
		if [ $ns = with ]; then f='.'; want=0::/; else f='.linux.namespaces |= map(select(.type != "cgroup"))'; want="0::$CGPATH"; fi
		set_config "$f | .process.args = $(args sleep 1000)"
		rt_detached run -d "$ID"
		expect_eq "/proc/self/cgroup of exec ($ns a cgroup namespace)" "$want" \
			"$(rt --debug exec "$ID" cat /proc/self/cgroup 2>"$T/err")"
		[ "${WANT-x}" = "" ] || grep -q "${WANT:-is born in the container's cgroup}" "$T/err" ||
			fail "not what exec says it did: $(cat "$T/err")"
		rt delete -f "$ID"
	done
}
t_exec_fallback() {
	export RQ_TEST_NO_CLONE_INTO_CGROUP=1
	WANT="" t_exec_born
	grep -q "born in" "$T/err" && fail "clone3 used despite RQ_TEST_NO_CLONE_INTO_CGROUP"
	true
}

# A new user namespace: the init is born in its cgroup. One joined by path: a helper joins it
# and clones the init (spawn.c); as root, the cgroup (host root's) is not writable from there:
# the runtime moves the init.
t_userns_path() {
	set_config ".process.args = $(args sleep 1000) |
		.linux.namespaces += [{type: \"user\"}] |
		.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
		.linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]"
	rt_detached --debug run -d "$ID-a"
	# a user namespace made at the clone: the runtime (root) moves it by clone3
	grep -q "born in its cgroup" "$T/ctr.err" || fail "$(cat "$T/ctr.err")"
	a=$(init_pid "$ID-a")
	CGPATH=$CGPATH-b set_config ".process.args = $(args cat /proc/self/cgroup) |
		.linux.namespaces |= (map(select(.type != \"cgroup\" and .type != \"user\")) +
			[{type: \"user\", path: \"/proc/$a/ns/user\"}]) |
		.linux.uidMappings = [] | .linux.gidMappings = [] | del(.linux.uidMappings, .linux.gidMappings)"
	expect_eq "/proc/self/cgroup of the container in a joined user namespace" "0::$CGPATH-b" \
		"$(rt --debug run "$ID-b" 2>"$T/err")" || { cat "$T/err"; false; }
	grep -q "moved into its cgroup by the runtime" "$T/err" || fail "$(cat "$T/err")"
}
if [ "$MODE" = v2 ]; then
	run_test "exec's process is born in the container's cgroup (clone3), with or without a cgroup namespace" t_exec_born
	run_test "without CLONE_INTO_CGROUP exec's process joins the container's cgroup all the same" t_exec_fallback
	run_test "an init cloned in a user namespace joined by path is in its cgroup before it runs" t_userns_path
else
	for n in "exec's process is born in the container's cgroup (clone3), with or without a cgroup namespace" \
		"without CLONE_INTO_CGROUP exec's process joins the container's cgroup all the same" \
		"an init cloned in a user namespace joined by path is in its cgroup before it runs"; do
		skip_test "$n" "v2 only"
	done
fi

t_kill_all() {
	set_config "$no_pidns | .process.args = $(args sh -c '(sleep 1001 & echo $! >/tmp/bg); exec sleep 1000')"
	rt_detached run -d "$ID"
	wait_for test -s "$B/rootfs/tmp/bg"
	bg=$(cat "$B/rootfs/tmp/bg")
	init=$(init_pid "$ID")
	rt kill --all "$ID" KILL
	wait_for sh -c "! kill -0 $bg 2>/dev/null && ! kill -0 $init 2>/dev/null" ||
		fail "still alive after kill --all: $(ps | grep sleep)"
	rt delete "$ID"
	[ -z "$(cg_dirs_left)" ] || fail "cgroup left: $(cg_dirs_left)"
}
run_test "kill --all kills a double-forked process of a container without its own PID namespace" t_kill_all

t_delete_exec() {
	set_config "$no_pidns | .process.args = $(args sleep 1000)"
	rt_detached run -d "$ID"
	rt_detached exec -d "$ID" sh -c '(sleep 1002 &); exec sleep 2002'
	rt_detached exec -d "$ID" sleep 2003
	n=$(wc -l <"$(cg_dir pids)/cgroup.procs")
	[ "$n" -ge 4 ] || fail "only $n processes in the cgroup"
	rt delete -f "$ID" 2>"$T/del.err" || fail "delete -f: $(cat "$T/del.err")"
	[ -z "$(cg_dirs_left)" ] || fail "cgroup left: $(cg_dirs_left)"
}
run_test "delete -f kills exec -d processes and removes the cgroup" t_delete_exec

finish
