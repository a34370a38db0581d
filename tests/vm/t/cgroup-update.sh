#!/bin/sh
# update and events on the VM's pure cgroup host (v2 or v1, see tests/vm/init): a lowered memory
# limit lands in the cgroup and holds (OOM kill of an exec'd writer), events --stats reports
# the container's usage, and events streams an oom line. Runs inside the VM (busybox sh).
. /vm/lib.sh

# fill MIB: an exec'd dd writing MIB MiB to the container's /dev/shm (tmpfs pages are charged
# to the cgroup and, without swap, cannot be reclaimed); prints its exit status.
fill() {
	rc=0
	rt exec "$ID" dd if=/dev/zero of=/dev/shm/fill bs=1M count="$1" >/dev/null 2>&1 || rc=$?
	rt exec "$ID" rm -f /dev/shm/fill >/dev/null 2>&1 || true
	echo "$rc"
}

t_update_memory() {
	set_config ".process.args = $(args sleep 300) | .linux.resources.memory.limit = 67108864"
	rt_detached run -d "$ID"
	expect_eq "a 24 MiB writer under 64 MiB" 0 "$(fill 24)"
	rt update --memory 16m "$ID"
	if [ "$MODE" = v2 ]; then
		expect_eq memory.max 16777216 "$(cg_read memory memory.max)"
	else
		expect_eq memory.limit_in_bytes 16777216 "$(cg_read memory memory.limit_in_bytes)"
	fi
	expect_eq "the same writer under 16 MiB (SIGKILL)" 137 "$(fill 24)"
	rt update --pids-limit 5 "$ID"
	expect_eq pids.max 5 "$(cg_read pids pids.max)"
}
run_test "update --memory lowers a running container's memory limit and the new limit holds" t_update_memory

t_update_cpu() {
	set_config ".process.args = $(args sleep 300) |
		.linux.resources.cpu = {quota: 50000, period: 200000}"
	rt_detached run -d "$ID"
	rt update --cpu-quota 20000 "$ID"
	# the config's period stays: the merged resources are applied, not only the change
	if [ "$MODE" = v2 ]; then
		expect_eq cpu.max "20000 200000" "$(cg_read cpu cpu.max)"
		rc=0
		rt update --kernel-memory 16m "$ID" 2>"$T/err" || rc=$?
		expect_eq "exit status of a v1-only field on v2" 1 "$rc"
		grep -q 'memory.kernel.*cgroup v2' "$T/err" || fail "error: $(cat "$T/err")"
	else
		expect_eq cpu.cfs_quota_us 20000 "$(cg_read cpu cpu.cfs_quota_us)"
		expect_eq cpu.cfs_period_us 200000 "$(cg_read cpu cpu.cfs_period_us)"
	fi
}
run_test "update --cpu-quota keeps the config's period; a field the host lacks is named" t_update_cpu

t_stats() {
	set_config ".process.args = $(args sh -c 'while :; do :; done') |
		.linux.resources.memory.limit = 33554432 | .linux.resources.pids.limit = 20"
	rt_detached run -d "$ID"
	sleep 1
	rt events --stats "$ID" >"$T/s1"
	cat "$T/s1"
	jq -e '.type == "stats" and .data.memory.usage.usage > 0 and
		.data.memory.usage.limit == 33554432 and .data.pids.current >= 1 and
		.data.pids.limit == 20 and .data.cpu.usage.total > 0' "$T/s1" >/dev/null ||
		fail "unexpected stats"
	sleep 1
	t1=$(jq .data.cpu.usage.total "$T/s1")
	t2=$(rt events --stats "$ID" | jq .data.cpu.usage.total)
	[ "$t2" -gt "$t1" ] || fail "cpu.usage.total did not grow: $t1 then $t2"
}
run_test "events --stats reports the container's memory, pids and growing cpu usage" t_stats

t_oom_event() {
	set_config ".process.args = $(args sh -c 'sleep 2; dd if=/dev/zero of=/dev/shm/f bs=1M count=48; sleep 2') |
		.linux.resources.memory.limit = 16777216"
	rt_detached run -d "$ID"
	timeout 60 "$RT" --root "$ROOT" events --interval 1s "$ID" >"$T/ev"
	cat "$T/ev"
	expect_eq "oom lines" 1 "$(jq -s 'map(select(.type == "oom")) | length' "$T/ev")"
	[ "$(jq -s 'map(select(.type == "stats")) | length' "$T/ev")" -ge 1 ] || fail "no stats line"
}
run_test "events streams an oom line when the OOM killer takes a process, and ends with the container" t_oom_event

finish
