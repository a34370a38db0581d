#!/bin/sh
# The config's "cgroup" mount (in `rongqi-runtime spec`'s default config) gives the container a
# read-only view of its own cgroup at /sys/fs/cgroup, as runc does: on v2 a bind of the
# container's cgroup (cgroup2 itself with a cgroup namespace), on v1 a tmpfs with one bind per
# hierarchy. With a cgroup namespace, the container's cgroup is "/" in /proc/self/cgroup.
. /vm/lib.sh

# with_cgroup_mount JQ_FILTER: set_config, then put the default spec's cgroup mount back.
with_cgroup_mount() {
	set_config "$1"' | .mounts += [{destination: "/sys/fs/cgroup", type: "cgroup",
		source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
}

t_view() {
	if [ "$MODE" = v2 ]; then file=memory.max; else file=memory/memory.limit_in_bytes; fi
	# Without a cgroup namespace (the default config has one on v2): the bind of the
	# container's own directory.
	with_cgroup_mount ".process.args = $(args cat /sys/fs/cgroup/$file) |
		.linux.resources.memory.limit = 33554432 |
		.linux.namespaces |= map(select(.type != \"cgroup\"))"
	expect_eq "/sys/fs/cgroup/$file in the container" 33554432 "$(rt run "$ID")"
}
run_test "the cgroup mount shows the container its own memory limit at /sys/fs/cgroup" t_view

t_ro() {
	if [ "$MODE" = v2 ]; then file=pids.max; else file=pids/pids.max; fi
	with_cgroup_mount ".process.args = $(args sh -c "echo started; echo 5 >/sys/fs/cgroup/$file && echo written")"
	out=$(rt run "$ID" 2>"$T/run.err") || true
	cat "$T/run.err"
	expect_eq "the container's output" started "$out"
}
run_test "the container's cgroup mount is read-only" t_ro

t_ns() {
	with_cgroup_mount '.process.args = ["cat", "/proc/self/cgroup"] |
		.linux.namespaces |= (map(select(.type != "cgroup")) + [{type: "cgroup"}])'
	out=$(rt run "$ID")
	bad=$(echo "$out" | grep -v ':/$' || true)
	expect_eq "lines of /proc/self/cgroup not at /" "" "$bad"
	[ -n "$out" ]
}
run_test "with a cgroup namespace the container's own cgroup is / in /proc/self/cgroup" t_ns

finish
