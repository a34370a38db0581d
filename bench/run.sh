#!/usr/bin/env bash
# Side-by-side benchmarks of rongqi against its peers, written to bench/RESULTS.md: the namespace
# tools against util-linux here, bench/overlay.sh (overlay mount cost), then bench/oci.sh
# (rongqi-runtime against crun and runc), bench/cgroup.sh (the container cgroup's part of a run,
# here and in the cgroup v1 and v2 VMs) and bench/load.sh (image load against podman).
#   bench/run.sh [--runs N]
# Needs root (namespaces other than user need CAP_SYS_ADMIN) and hyperfine. Builds rongqi first.
# Not a test: nothing fails on a number. Medians are reported; the ratio is rongqi / peer
# (below 1.0: rongqi is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=200
[ "${1:-}" = "--runs" ] && runs=$2

scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
R=$(pwd)/build/rongqi
out=bench/RESULTS.md
tmp=$(mktemp -d)
cleanup() {
	# runc and crun made cgroups under our own parent: remove it in every hierarchy.
	find /sys/fs/cgroup -maxdepth 3 -type d -name "rongqi-bench-$$" 2>/dev/null | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# util-linux unshare --fork ignores SIGTERM: the target and its child need SIGKILL.
	[ -n "${inner:-}" ] && kill -KILL "$inner" 2>/dev/null
	[ -n "${target:-}" ] && kill -KILL "$target" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# bench NAME RONGQI_CMD PEER_NAME PEER_CMD: one table row. hyperfine runs the pair twice, in
# both orders, and the medians are taken over the pooled samples: the kernel finishes some work
# after a process exits (network namespaces are torn down by a workqueue), and whichever command
# runs second would otherwise pay for the first one's backlog.
rows=()
median() { jq -s "[.[].results[] | select(.command == \"$1\") | .times[]] | sort |
	(if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end) * 1000" "$tmp"/r*.json; }
bench() {
	local name=$1 ours=$2 peer_name=$3 peer=$4 half=$(((runs + 1) / 2))
	rm -f "$tmp"/r*.json
	hyperfine -N --warmup 10 --runs "$half" --export-json "$tmp/r1.json" \
		-n rongqi "$ours" -n "$peer_name" "$peer" >/dev/null
	hyperfine -N --warmup 10 --runs "$half" --export-json "$tmp/r2.json" \
		-n "$peer_name" "$peer" -n rongqi "$ours" >/dev/null
	local m_ours m_peer
	m_ours=$(median rongqi)
	m_peer=$(median "$peer_name")
	rows+=("$(awk -v n="$name" -v p="$peer_name" -v a="$m_ours" -v b="$m_peer" \
		'BEGIN { printf "| %s | %.2f ms | %s | %.2f ms | %.2f |", n, a, p, b, a / b }')")
	echo "${rows[-1]}"
}

flags="--pid --fork --mount-proc --net --uts --ipc"
bench "unshare $flags /bin/true" "$R unshare $flags /bin/true" \
	"util-linux unshare" "unshare $flags /bin/true"
bench "unshare --pid --fork --mount-proc /bin/true (no net)" \
	"$R unshare --pid --fork --mount-proc /bin/true" \
	"util-linux unshare" "unshare --pid --fork --mount-proc /bin/true"
bench "unshare -r /bin/true (user namespace, fake root)" "$R unshare -r /bin/true" \
	"util-linux unshare" "unshare -r /bin/true"

# A target to enter: a process in new pid, mount, uts, ipc and net namespaces.
unshare --pid --fork --mount-proc --uts --ipc --net sleep 10000 &
target=$!
for _ in $(seq 50); do
	inner=$(pgrep -P "$target" sleep || true)
	[ -n "$inner" ] && break
	sleep 0.05
done
bench "nsenter -t PID -a /bin/true" "$R nsenter -t $inner -a /bin/true" \
	"util-linux nsenter" "nsenter -t $inner -a /bin/true"
bench "ns --all (every namespace on the system)" "$R ns --all" "util-linux lsns" "lsns"

# Where the time goes: rongqi unshare with one namespace type at a time, against a plain
# fork+exec of /bin/true through it.
breakdown=()
for f in "--fork" "--fork --uts" "--fork --ipc" "--fork --mount" "--fork --mount-proc" \
	"--fork --pid" "--fork --net" "--fork --cgroup" "--fork --time" "--fork --user"; do
	hyperfine -N --warmup 10 --runs "$runs" --export-json "$tmp/b.json" "$R unshare $f /bin/true" >/dev/null
	breakdown+=("$(jq -r --arg f "$f" '"| \($f) | \(.results[0].median * 1000 * 100 | round / 100) ms |"' "$tmp/b.json")")
	echo "${breakdown[-1]}"
done

# Overlay mount + unmount per container (storage/overlay.c alone), its tables as they are.
overlay=$(bench/overlay.sh --runs "$runs")

{
	echo "# Benchmark results"
	echo
	echo "Made by \`bench/run.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, kernel $(uname -r)," \
		"$(unshare --version | head -n1)); hyperfine, $runs runs of each command in two" \
		"rounds of opposite order, no shell (-N). Ratio = rongqi / peer: below 1.00 rongqi is faster."
	echo
	echo "| command | rongqi (median) | peer | peer (median) | ratio |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	# bench/oci.sh (run below) fills this section: the container start headline.
	echo "<!-- oci.sh: begin -->"
	echo "<!-- oci.sh: end -->"
	echo
	# bench/cgroup.sh fills this one: the container cgroup's cost.
	echo "<!-- cgroup.sh: begin -->"
	echo "<!-- cgroup.sh: end -->"
	echo
	# bench/load.sh (run below) fills this section: image load against podman, image mount.
	echo "<!-- load.sh: begin -->"
	echo "<!-- load.sh: end -->"
	echo
	echo "## Overlay mount cost per container (bench/overlay.sh)"
	echo
	echo "$overlay"
	echo
	echo "## Where the time goes"
	echo
	echo "\`rongqi unshare FLAGS /bin/true\`, one namespace type at a time (median of $runs runs);"
	echo "the first row is the floor: exec of rongqi, one fork, exec of /bin/true."
	echo
	echo "| flags | median |"
	echo "|---|---|"
	printf '%s\n' "${breakdown[@]}"
	echo
	if [ -f bench/NOTES.md ]; then cat bench/NOTES.md; fi
} >"$out"
echo "wrote $out"
bench/oci.sh --runs "$runs"
bench/cgroup.sh --runs "$runs"
# Loads take seconds each: load.sh keeps its own (small) number of runs.
bench/load.sh
