#!/usr/bin/env bats
# rongqi-runtime: linux.netDevices and linux.memoryPolicy against a busybox bundle. The machine's
# network is never touched: each netDevices test makes a network namespace of its own (removed
# in teardown) with a veth pair in it (this kernel has no dummy driver), and runs the runtime
# in that namespace, so the "host" interface is the pair's end.

load helpers
bats_require_minimum_version 1.5.0

load runtime-helpers

eval "$(declare -f teardown | sed '1s/teardown/runtime_teardown/')"
teardown() {
	runtime_teardown
	[ -z "${NS:-}" ] || ip netns del "$NS" 2>/dev/null || true
}

# A network namespace for this test, with rqv0 (10.9.8.7/24, fd00::7/64, up) paired to rqv1.
make_netns() {
	NS="rongqi-test-$$-$BATS_TEST_NUMBER"
	ip netns add "$NS"
	ip -n "$NS" link add rqv0 type veth peer name rqv1
	ip -n "$NS" addr add 10.9.8.7/24 dev rqv0
	ip -n "$NS" addr add fd00::7/64 dev rqv0
	ip -n "$NS" link set rqv0 up
}

# rt_ns ARGS...: rongqi-runtime in the test's network namespace (and nothing else of it).
rt_ns() {
	nsenter --net="/run/netns/$NS" "$RT" --root "$ROOT" "$@"
}

# nothing_left ID: no container, no state directory, no cgroup of it.
nothing_left() {
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
	[ ! -e "$ROOT/$1" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -path "*/$CG/c" 2>/dev/null)" ]
}

@test "netDevices: the interface moves in under its new name, keeps its permanent addresses, is up, and leaves the runtime's namespace" {
	make_netns
	set_config '.linux.netDevices = {rqv0: {name: "ctr0"}} | .process.args = ["sleep", "100"]'
	status=0
	nsenter --net="/run/netns/$NS" "$RT" --root "$ROOT" run -d -b "$B" n1 </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" || status=$?
	[ "$status" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/err"; false; }
	run ip -n "$NS" link show rqv0
	[ "$status" -ne 0 ]
	run "$RT" --root "$ROOT" exec n1 ip -o addr show dev ctr0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.9.8.7/24"* ]]
	[[ "$output" == *"inet6 fd00::7/64"* ]]
	run "$RT" --root "$ROOT" exec n1 ip -o link show ctr0
	[[ "$output" == *",UP"* ]]
}

@test "netDevices: without a name the interface keeps its host name; a %d template is numbered by the kernel" {
	make_netns
	ip -n "$NS" link add rqw0 type veth peer name rqw1
	set_config '.linux.netDevices = {rqv0: {}, rqw0: {name: "eth%d"}} | .process.args = ["ls", "/sys/class/net"]'
	run rt_ns run -b "$B" n2
	[ "$status" -eq 0 ]
	[[ "$output" == *rqv0* ]]
	[[ "$output" == *eth0* ]]
}

@test "netDevices: a missing interface is refused by name and leaves no container, state or cgroup" {
	make_netns
	set_config '.linux.netDevices = {rqnone: {}}'
	run rt_ns run -b "$B" n3
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.netDevices.rqnone: no network interface rqnone in the runtime's network namespace"* ]]
	nothing_left n3
}

@test "netDevices: a name the container's namespace already has is refused, and the interface stays on the host" {
	make_netns
	set_config '.linux.netDevices = {rqv0: {name: "lo"}}'
	run rt_ns run -b "$B" n4
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.netDevices.rqv0: the container's network namespace already has an interface named lo"* ]]
	ip -n "$NS" link show rqv0
	nothing_left n4
}

@test "netDevices: a network namespace given by path receives the interface; the runtime's own is refused" {
	make_netns
	ip netns add "$NS-c"
	set_config '(.linux.namespaces[] | select(.type == "network")).path = "/run/netns/'"$NS-c"'" |
		.linux.netDevices = {rqv0: {name: "ctr0"}} | .process.args = ["true"]'
	run rt_ns run -b "$B" n5
	local ok=$status in_c
	in_c=$(ip -n "$NS-c" -o addr show dev ctr0 2>&1) || true
	ip netns del "$NS-c"
	[ "$ok" -eq 0 ]
	[[ "$in_c" == *"inet 10.9.8.7/24"* ]]
	set_config '(.linux.namespaces[] | select(.type == "network")).path = "/run/netns/'"$NS"'"'
	ip -n "$NS" link add rqv0 type veth peer name rqv9
	run rt_ns run -b "$B" n6
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.netDevices: the container's network namespace is the runtime's own"* ]]
	ip -n "$NS" link show rqv0
}

@test "memoryPolicy: MPOL_BIND to node 0 binds the container's memory (numa_maps), in exec'd processes too" {
	set_config '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"} | .process.args = ["sleep", "100"]'
	rt_detached run -d -b "$B" m1
	[ "$status" -eq 0 ]
	pid=$("$RT" --root "$ROOT" state m1 | jq .pid)
	grep -q ' bind:0 ' /proc/$pid/numa_maps
	! grep -q ' default ' /proc/$pid/numa_maps
	run "$RT" --root "$ROOT" exec m1 cat /proc/self/numa_maps
	[ "$status" -eq 0 ]
	[[ "$output" == *" bind:0 "* ]]
}

@test "memoryPolicy: MPOL_INTERLEAVE and MPOL_LOCAL are what the container's numa_maps shows" {
	set_config '.linux.memoryPolicy = {mode: "MPOL_INTERLEAVE", nodes: "0"} | .process.args = ["cat", "/proc/self/numa_maps"]'
	run "$RT" --root "$ROOT" run -b "$B" m2
	[ "$status" -eq 0 ]
	[[ "$output" == *" interleave:0 "* ]]
	set_config '.linux.memoryPolicy = {mode: "MPOL_LOCAL"}'
	run "$RT" --root "$ROOT" run -b "$B" m3
	[ "$status" -eq 0 ]
	[[ "$output" == *" local "* ]]
}

@test "memoryPolicy: a node the host lacks is refused naming linux.memoryPolicy.nodes, nothing left" {
	set_config '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0,63"}'
	run "$RT" --root "$ROOT" run -b "$B" m4
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.memoryPolicy.nodes: this host has no memory node 63"* ]]
	nothing_left m4
}

@test "features: memoryPolicy lists every mode and flag, netDevices is enabled" {
	run "$RT" features
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c '.linux.memoryPolicy.modes | length')" = 7 ]
	[ "$(echo "$output" | jq -c '.linux.memoryPolicy.flags | sort')" = \
		'["MPOL_F_NUMA_BALANCING","MPOL_F_RELATIVE_NODES","MPOL_F_STATIC_NODES"]' ]
	[ "$(echo "$output" | jq '.linux.netDevices.enabled')" = true ]
}
