#!/bin/sh
# bench/cgroup.sh's measurements inside the test VM (busybox sh, run by tests/vm/run.sh on a pure
# cgroup v2 or v1 host; rq-cgbench is put in the image by RQ_VM_EXTRA). Prints rq-cgbench's
# "ops ..." and "time ..." lines, which run.sh passes on as "# " lines, then one TAP line.
#   ops: the container cgroup's create, attach (v2 also clone3 CLONE_INTO_CGROUP), delete,
#        against a plain fork without a cgroup;
#   time: `rongqi-runtime run` of /bin/true, on v2 with CLONE_INTO_CGROUP (the default) and
#        with RQ_TEST_NO_CLONE_INTO_CGROUP=1 (the cgroup.procs fallback), taking turns.
# Emulated time is slow and noisy: only ratios within one VM mean something.
. /vm/lib.sh
ops_n=40
run_n=20

T=/tmp/rq-bench
B=$T/bundle
CGPATH=/rq-bench/run
rm -rf "$T"
mkdir -p "$T"
cp -a /vm/bundle "$B"
(cd "$B" && "$RT" spec) || fail "rongqi-runtime spec failed"
set_config '.process.args = ["/bin/true"]'

# One unmeasured run: the parent cgroup exists from then on, as on a host that ran containers.
rt run -b "$B" warm >/dev/null 2>&1 || fail "rongqi-runtime run failed"
ok=1
rq-cgbench ops -n "$ops_n" "$B/config.json" /rq-bench/ops || ok=0
rtc="$RT --root $ROOT run -b $B"
if [ "$MODE" = v2 ]; then
	rq-cgbench time -n "$run_n" "clone3=$rtc c1" \
		"procs=RQ_TEST_NO_CLONE_INTO_CGROUP=1 $rtc c2" || ok=0
else
	rq-cgbench time -n "$run_n" "procs=$rtc c1" || ok=0
fi
find "$CGROOT" -depth -type d -path '*/rq-bench*' -exec rmdir {} \; 2>/dev/null
if [ $ok = 1 ]; then
	echo "ok 1 - measured on cgroup $MODE"
else
	echo "not ok 1 - measured on cgroup $MODE"
fi
echo "1..1"
