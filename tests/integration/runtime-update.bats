#!/usr/bin/env bats
# rongqi-runtime update and events: new limits reach a running container's cgroup and hold
# (OOM kill, fork refusal), a stopped container is refused in runc's words, and events prints
# runc's statistics JSON (runc 1.1.5 as the oracle for the keys) and OOM events.
# Every cgroup lives under the test's own parent ($CG).

load helpers
load runtime-helpers

# the memory hog: 48 MiB held by tail (its status: 137 when the OOM killer takes it)
HOG='head -c 50331648 /dev/zero | tail >/dev/null'

@test "update --memory lowers a running container's memory limit: a hog fine under the old limit is OOM-killed under the new" {
	set_config '.linux.resources = {memory: {limit: 134217728}} | .process.args = ["sleep", "300"]'
	rt_detached run -d -b "$B" u
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" exec u sh -c "$HOG"
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg memory)/memory.oom_control" | awk '$1 == "oom_kill" {print $2}')" -eq 0 ]
	run "$RT" --root "$ROOT" update --memory 32m u
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" -eq 33554432 ]
	run "$RT" --root "$ROOT" exec u sh -c "$HOG"
	[ "$status" -ne 0 ]
	[ "$(awk '$1 == "oom_kill" {print $2}' "$(cg memory)/memory.oom_control")" -ge 1 ]
	# recorded: a later update starts from 32m, state still reports the container
	jq -e '.memory.limit == 33554432' "$ROOT/u/resources.json"
	run "$RT" --root "$ROOT" update --memory 1.5GiB u
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" -eq 1610612736 ]
	[ "$("$RT" --root "$ROOT" state u | jq -r .status)" = running ]
}

@test "update --pids-limit lowers pids.max so further forks of a running container fail" {
	set_config '.linux.resources = {pids: {limit: 100}} | .process.args = ["sleep", "300"]'
	rt_detached run -d -b "$B" p
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" update --pids-limit 3 p
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg pids)/pids.max")" = 3 ]
	# the init and the exec'd shell are 2 of 3: of 4 background sleeps at most one starts
	run "$RT" --root "$ROOT" exec p sh -c 'for i in 1 2 3 4; do sleep 1 & done; wait'
	[[ "$output" == *"fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
	[ "$(awk '{print $2}' "$(cg pids)/pids.events")" -gt 0 ]
	run "$RT" --root "$ROOT" update --pids-limit -1 p
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg pids)/pids.max")" = max ]
}

@test "update -r applies a linux.resources JSON file, and -r - reads it from stdin" {
	set_config '.linux.resources = {cpu: {quota: 20000, period: 100000}} | .process.args = ["sleep", "300"]'
	rt_detached run -d -b "$B" r
	[ "$status" -eq 0 ]
	echo '{"memory": {"limit": 50331648, "reservation": 16777216}, "pids": {"limit": 20}, "cpu": {"shares": 512}}' \
		>"$BATS_TEST_TMPDIR/res.json"
	run "$RT" --root "$ROOT" update -r "$BATS_TEST_TMPDIR/res.json" r
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg memory)/memory.limit_in_bytes")" -eq 50331648 ]
	[ "$(cat "$(cg memory)/memory.soft_limit_in_bytes")" -eq 16777216 ]
	[ "$(cat "$(cg pids)/pids.max")" = 20 ]
	[ "$(cat "$(cg cpu)/cpu.shares")" = 512 ]
	# the config's values not in the file stay
	[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 20000 ]
	run "$RT" --root "$ROOT" update -r - r <<<'{"cpu": {"quota": 50000}}'
	[ "$status" -eq 0 ]
	[ "$(cat "$(cg cpu)/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$(cg pids)/pids.max")" = 20 ]
}

@test "update refuses a stopped container (container not running), bad numbers, and a field this host cannot apply" {
	set_config '.process.args = ["true"]'
	rt_detached run -d -b "$B" s
	[ "$status" -eq 0 ]
	wait_exit s
	run "$RT" --root "$ROOT" update --memory 32m s
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	# the same words from runc
	mkdir -p "$RUNC_ROOT"
	runc --root "$RUNC_ROOT" run -d -b "$B" s </dev/null >/dev/null 2>&1
	sleep 0.5
	run runc --root "$RUNC_ROOT" update --memory 32m s
	[[ "$output" == *"container not running"* ]]

	set_config '.process.args = ["sleep", "300"]'
	rt_detached run -d -b "$B" s2
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" update --memory 12x s2
	[ "$status" -eq 1 ]
	[[ "$output" == *"--memory \"12x\": not a size"* ]]
	run "$RT" --root "$ROOT" update --cpu-quota lots s2
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cpu-quota \"lots\""* ]]
	# hybrid host: the cgroup2 mount has no memory controller
	run "$RT" --root "$ROOT" update -r - s2 <<<'{"unified": {"memory.high": "1000000"}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.resources.unified.memory.high"*"cgroup hybrid"* ]]
}

@test "events --stats prints one JSON line: memory usage > 0, pids current >= 1, cpu total grows" {
	set_config '.process.args = ["sh", "-c", "while :; do :; done"]'
	rt_detached run -d -b "$B" e
	[ "$status" -eq 0 ]
	sleep 0.3
	run "$RT" --root "$ROOT" events --stats e
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e '.type == "stats" and .id == "e" and .data.memory.usage.usage > 0 and
		.data.pids.current >= 1 and .data.cpu.usage.total > 0'
	t1=$(echo "$output" | jq .data.cpu.usage.total)
	sleep 0.3
	t2=$("$RT" --root "$ROOT" events --stats e | jq .data.cpu.usage.total)
	[ "$t2" -gt "$t1" ]
}

@test "events --stats has the JSON keys of runc 1.1.5's on the same container" {
	keys='[.data | paths | map(select(type == "string")) | join(".")] | unique | .[]'
	set_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}, cpu: {quota: 50000, period: 100000}} |
		.process.args = ["sh", "-c", "while :; do :; done"]'
	rt_detached run -d -b "$B" k
	[ "$status" -eq 0 ]
	mkdir -p "$RUNC_ROOT"
	runc --root "$RUNC_ROOT" run -d -b "$B" k </dev/null >/dev/null 2>&1
	sleep 1
	"$RT" --root "$ROOT" events --stats k | jq -r "$keys" | grep -v '^memory\.raw\.' >"$BATS_TEST_TMPDIR/rq"
	runc --root "$RUNC_ROOT" events --stats k | jq -r "$keys" | grep -v '^memory\.raw\.' >"$BATS_TEST_TMPDIR/runc"
	diff -u "$BATS_TEST_TMPDIR/runc" "$BATS_TEST_TMPDIR/rq"
	# memory.raw is memory.stat, whichever keys the kernel has
	[ "$("$RT" --root "$ROOT" events --stats k | jq '.data.memory.raw | length')" -eq \
		"$(wc -l <"$(cg memory)/memory.stat")" ]
}

@test "events streams stats lines every interval and an oom line when a hog is OOM-killed, and exits when the container stops" {
	set_config '.linux.resources = {memory: {limit: 33554432}} |
		.process.args = ["sh", "-c", "sleep 1.5; '"$HOG"'; sleep 1"]'
	rt_detached run -d -b "$B" o
	[ "$status" -eq 0 ]
	timeout 20 "$RT" --root "$ROOT" events --interval 1s o >"$BATS_TEST_TMPDIR/ev" 2>&1
	cat "$BATS_TEST_TMPDIR/ev"
	[ "$(jq -s 'map(select(.type == "stats")) | length' "$BATS_TEST_TMPDIR/ev")" -ge 2 ]
	[ "$(jq -s 'map(select(.type == "oom" and .id == "o")) | length' "$BATS_TEST_TMPDIR/ev")" -eq 1 ]
	[ "$("$RT" --root "$ROOT" state o | jq -r .status)" = stopped ]
}

@test "events --stats reports hugetlb usage per page size where the container has a hugetlb cgroup" {
	grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null ||
		[ -d /sys/fs/cgroup/hugetlb ] || skip "no hugetlb controller"
	set_config '.linux.resources = {hugepageLimits: [{pageSize: "2MB", limit: 4194304}]} |
		.process.args = ["sleep", "60"]'
	rt_detached run -d -b "$B" h
	[ "$status" -eq 0 ]
	run "$RT" --root "$ROOT" events --stats h
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.data.hugetlb["2MB"].failcnt == 0'
}
