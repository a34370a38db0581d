#!/usr/bin/env bats
# rongqi-runtime's linux.resources on this host's cgroups: each limit's effect on the
# container where the host allows seeing it (OOM kill, fork limit, cpu throttling, cpuset,
# device rules), the file values otherwise (runc as the oracle where it applies them), and
# a clear error naming the field and the cgroup mode for what the host cannot apply.
# Every cgroup lives under the test's own parent ($CG).

load helpers
load runtime-helpers

@test "memory limit: a 64M hog in a 32M container is OOM-killed (exit 137, counted in the cgroup)" {
	local swap=
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && swap=', swap: 33554432'
	set_config '.linux.resources = {memory: {limit: 33554432'"$swap"'}} |
		.process.args = ["sh", "-c", "head -c 67108864 /dev/zero | tail"]'
	rt_detached run -d -b "$B" hog
	[ "$status" -eq 0 ]
	wait_exit hog
	grep -q '^oom_kill [1-9]' "$(cg memory)/memory.oom_control"
	# in the foreground, run exits as the killed process did: 128 + SIGKILL, as runc
	run "$RT" --root "$ROOT" run -b "$B" hog2
	[ "$status" -eq 137 ]
}

@test "pids limit: a fork loop stops at pids.max" {
	set_config '.linux.resources = {pids: {limit: 10}} | .process.args = ["sh", "-c",
		"(while :; do sleep 60 & done) 2>/dev/null; sleep 60"]'
	rt_detached run -d -b "$B" bomb
	[ "$status" -eq 0 ]
	sleep 1
	# the init, its looping subshell and 8 sleeps hit the limit; the subshell then gives up
	n=$(cat "$(cg pids)/pids.current")
	[ "$n" -le 10 ] && [ "$n" -ge 9 ]
	[ "$(awk '{print $2}' "$(cg pids)/pids.events")" -gt 0 ]
}

@test "cpu quota: a busy loop at 10% of a cpu is throttled (cpu.stat nr_throttled, cpuacct usage)" {
	set_config '.linux.resources = {cpu: {quota: 10000, period: 100000}} |
		.process.args = ["sh", "-c", "while :; do :; done"]'
	rt_detached run -d -b "$B" busy
	[ "$status" -eq 0 ]
	sleep 1.5
	[ "$(awk '$1 == "nr_throttled" {print $2}' "$(cg cpu)/cpu.stat")" -gt 0 ]
	# 1.5 s of wall time at 10%: well under half a second of cpu
	[ "$(cat "$(cg cpuacct)/cpuacct.usage")" -lt 500000000 ]
}

@test "cpuset: the container runs only on linux.resources.cpu.cpus" {
	[ "$(nproc)" -ge 2 ] || skip "one cpu"
	set_config '.linux.resources = {cpu: {cpus: "1", mems: "0"}} |
		.process.args = ["grep", "Cpus_allowed_list", "/proc/self/status"]'
	run "$RT" --root "$ROOT" run -b "$B" pin
	[ "$status" -eq 0 ]
	[[ "$output" =~ Cpus_allowed_list:[[:space:]]*1$ ]]
}

@test "devices: deny-all keeps the default devices usable, refuses others, and an explicit rule wins" {
	[ -b /dev/loop0 ] || skip "no /dev/loop0"
	set_config '.root.readonly = false |
		.process.capabilities |= with_entries(.value += ["CAP_MKNOD"]) |
		.process.args = ["sh", "-c",
		"mknod /tmp/loop b 7 0; echo x >/dev/null && echo null-ok; : </tmp/loop && echo loop-ok"]'
	run "$RT" --root "$ROOT" run -b "$B" d1
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *"can't open /tmp/loop: Operation not permitted"* ]]
	[[ "$output" != *loop-ok* ]]
	# allow loop0 for reading; deny writing /dev/null after the deny-all
	set_config '.linux.resources.devices += [{allow: true, type: "b", major: 7, minor: 0,
		access: "r"}, {allow: false, type: "c", major: 1, minor: 3, access: "w"}]'
	run "$RT" --root "$ROOT" run -b "$B" d2
	[[ "$output" == *loop-ok* ]]
	[[ "$output" == *"can't create /dev/null: Operation not permitted"* ]]
	[[ "$output" != *null-ok* ]]
}

@test "blkio weight and throttles, memory and cpu details land in their v1 files with runc's values" {
	local dev f
	dev=$(cat /sys/block/vda/dev 2>/dev/null || cat /sys/block/loop0/dev)
	local maj=${dev%:*} min=${dev#*:}
	set_config '.linux.resources = {
		memory: {limit: 67108864, reservation: 33554432, swappiness: 10,
			disableOOMKiller: true},
		cpu: {shares: 256, quota: 20000, period: 50000, realtimePeriod: 1000000},
		pids: {limit: 42},
		blockIO: {weight: 500, throttleReadBpsDevice: [{major: '"$maj"', minor: '"$min"', rate: 1048576}],
			throttleWriteBpsDevice: [{major: '"$maj"', minor: '"$min"', rate: 2097152}],
			throttleReadIOPSDevice: [{major: '"$maj"', minor: '"$min"', rate: 100}],
			throttleWriteIOPSDevice: [{major: '"$maj"', minor: '"$min"', rate: 200}]}} |
		.process.args = ["sleep", "60"]'
	local files="memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes memory/memory.swappiness memory/memory.oom_control
		cpu/cpu.shares cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.rt_period_us pids/pids.max
		blkio/blkio.throttle.read_bps_device blkio/blkio.throttle.write_bps_device
		blkio/blkio.throttle.read_iops_device blkio/blkio.throttle.write_iops_device
		devices/devices.list"
	rt_detached run -d -b "$B" v
	[ "$status" -eq 0 ]
	# CFQ's blkio.weight, or BFQ's blkio.bfq.weight ("default 500")
	files+=" blkio/$(cd "$(cg blkio)" && ls blkio.weight blkio.bfq.weight 2>/dev/null | head -1)"
	grep -qw 500 "$(cg blkio)/${files##*/}"
	for f in $files; do
		sed '/^under_oom\|^oom_kill /d' "/sys/fs/cgroup/${f%%/*}/$CG/c/${f#*/}" >"$BATS_TEST_TMPDIR/rq.${f#*/}"
	done
	grep -qx "$maj:$min 1048576" "$(cg blkio)/blkio.throttle.read_bps_device"
	"$RT" --root "$ROOT" delete -f v
	runc --root "$RUNC_ROOT" run -d -b "$B" v </dev/null >/dev/null 2>&1
	for f in $files; do
		sed '/^under_oom\|^oom_kill /d' "/sys/fs/cgroup/${f%%/*}/$CG/c/${f#*/}" >"$BATS_TEST_TMPDIR/runc.${f#*/}"
		diff -u "$BATS_TEST_TMPDIR/runc.${f#*/}" "$BATS_TEST_TMPDIR/rq.${f#*/}"
	done
}

@test "hugepage limits go to the cgroup2 hugetlb controller of a hybrid host" {
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] || skip "not hybrid"
	grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers || skip "no cgroup2 hugetlb"
	set_config '.linux.resources = {hugepageLimits: [{pageSize: "2MB", limit: 4194304}]} |
		.process.args = ["sleep", "60"]'
	rt_detached run -d -b "$B" h
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg unified)/hugetlb.2MB.max")" = 4194304 ]
	pid=$("$RT" --root "$ROOT" state h | jq -r .pid)
	grep -qx "0::/$CG/c" /proc/$pid/cgroup
	run "$RT" --root "$ROOT" delete -f h
	[ "$status" -eq 0 ]
	[ ! -e "$(cg unified)" ]
}

@test "a value this host cannot apply fails create naming the field and the cgroup mode, leaving nothing" {
	local mode f
	mode=$([ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && echo hybrid || echo v1)
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && skip "a v2 host (the VM tests cover it)"
	for f in 'network: {classID: 1048577}|network.classID' \
		'network: {priorities: [{name: "lo", priority: 1}]}|network.priorities' \
		'rdma: {mlx5_1: {hcaHandles: 3}}|rdma'; do
		[ -n "$(find /sys/fs/cgroup -maxdepth 1 -name "*${f%%:*}*")" ] && continue
		set_config ".linux.resources = {${f%|*}}"
		run "$RT" --root "$ROOT" run -b "$B" x
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.${f#*|}"* ]]
		[[ "$output" == *"cgroup $mode"* ]]
		[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$CG/c")" ]
		[ -z "$("$RT" --root "$ROOT" list -q)" ]
	done
	if [ "$mode" = v1 ]; then
		set_config '.linux.resources = {unified: {"memory.high": "1000000"}}'
		run "$RT" --root "$ROOT" run -b "$B" x
		[[ "$output" == *"linux.resources.unified"* ]]
	fi
}

@test "delete removes the cgroup in every hierarchy after the init is SIGKILLed, and cgroups made below it" {
	set_config '.process.args = ["sleep", "60"]'
	rt_detached run -d -b "$B" k
	[ "$status" -eq 0 ]
	pid=$("$RT" --root "$ROOT" state k | jq -r .pid)
	mkdir "$(cg memory)/sub" "$(cg pids)/sub"
	kill -9 "$pid"
	run "$RT" --root "$ROOT" delete k
	[ "$status" -eq 0 ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$CG/c")" ]
}

@test "a runtime killed mid-create leaves a 'creating' container that delete -f removes: state, cgroup in every hierarchy, init" {
	set_config '.process.args = ["sleep", "100"] |
		.hooks = {createRuntime: [{path: "/bin/sleep", args: ["sleep", "5"]}]}'
	"$RT" --root "$ROOT" create -b "$B" mc </dev/null >/dev/null 2>&1 &
	local rt=$!
	# the container's cgroup exists once the hook runs
	wait_for test -d "/sys/fs/cgroup/memory/$CG/c"
	local init
	init=$(cat "/sys/fs/cgroup/memory/$CG/c/cgroup.procs" | head -n1)
	[ -n "$init" ]
	kill -KILL "$rt"
	wait "$rt" || true
	run "$RT" --root "$ROOT" state mc
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = creating ]
	run "$RT" --root "$ROOT" delete -f mc
	[ "$status" -eq 0 ]
	[ -z "$("$RT" --root "$ROOT" list -q)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path "*/$CG/c" -type d)" ]
	wait_for gone "$init"
}
