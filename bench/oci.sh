#!/usr/bin/env bash
# OCI runtime benchmark: rongqi-runtime against crun and runc, side by side in one run.
#   bench/oci.sh [--runs N]
# Two commands per runtime, from the bundle that `crun spec` writes (busybox rootfs, no
# terminal, /bin/true, a cgroupsPath under this script's own parent cgroup):
#   run /bin/true            create, start, wait, delete: the container start headline
#   exec /bin/true           one more process in a running container (sleep)
# Each in the same wrapper for every runtime: a private mount namespace without the hybrid
# cgroup2 mount, which crun 1.8 needs on this kind of host. Medians over hyperfine runs in two
# rounds of opposite order, ratios to crun and runc, peak RSS (GNU time's maximum resident set
# of the runtime's process tree). Writes its section of bench/RESULTS.md (between the oci.sh
# markers; bench/run.sh calls this script). Needs root. Not a test: nothing fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start 100 "$@"
RT=$(pwd)/build/rongqi-runtime
out=bench/RESULTS.md
tmp=$(mktemp -d)
CG=rongqi-bench-oci-$$
cleanup() {
	local r
	for r in rongqi crun runc; do
		wrapped "$r" delete -f sleeper >/dev/null 2>&1 || true
	done
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

bin_of() { case $1 in rongqi) echo "$RT" ;; *) echo "$1" ;; esac; }
# wrap RUNTIME ARGS...: the command line hyperfine runs (no shell of hyperfine's own).
wrap() {
	local r=$1
	shift
	echo "unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec $(bin_of "$r") --root $tmp/root-$r $*'"
}
wrapped() { eval "$(wrap "$@")"; }

# The bundle: crun's default config, made runnable without a terminal and without the cgroup
# mount (crun 1.8's cgroup mount needs cgroup v2 here). ociVersion stays crun's.
B=$tmp/bundle
mkdir -p "$B"/rootfs/{bin,proc,dev,sys,tmp}
cp /bin/busybox "$B/rootfs/bin/busybox"
for a in true sleep sh; do ln -s busybox "$B/rootfs/bin/$a"; done
(cd "$B" && crun spec)
edit() { jq "$1" "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"; }
edit ".process.terminal = false | .process.args = [\"/bin/true\"] |
	.linux.cgroupsPath = \"/$CG/run\" |
	.mounts |= map(select(.type != \"cgroup\" and .type != \"cgroup2\"))"
# One more bundle per runtime on the same rootfs, for the long-running container exec goes into.
sleeper_bundle() {
	mkdir -p "$tmp/sleeper-$1"
	jq --arg r "$B/rootfs" --arg cg "/$CG/sleeper-$1" '.root.path = $r |
		.process.args = ["/bin/sleep", "100000"] | .linux.cgroupsPath = $cg' \
		"$B/config.json" >"$tmp/sleeper-$1/config.json"
}

half=$(((runs + 1) / 2))
median() { jq -s "[.[].results[] | select(.command == \"$1\") | .times[]] | sort |
	(if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end) * 1000" "$tmp"/r*.json; }
# side_by_side WHAT: hyperfine over the three runtimes' "WHAT" commands, both orders.
side_by_side() {
	local what=$1 fwd=() rev=() r
	for r in rongqi crun runc; do fwd+=(-n "$r" "$(wrap "$r" "$what")"); done
	for r in runc crun rongqi; do rev+=(-n "$r" "$(wrap "$r" "$what")"); done
	rm -f "$tmp"/r*.json
	hyperfine -N --warmup 10 --runs "$half" --export-json "$tmp/r1.json" "${fwd[@]}" >/dev/null
	hyperfine -N --warmup 10 --runs "$half" --export-json "$tmp/r2.json" "${rev[@]}" >/dev/null
}
# peak_rss RUNTIME WHAT: the largest maximum resident set (kB) of 10 runs.
peak_rss() {
	local r=$1 what=$2 max=0 kb i
	for i in $(seq 10); do
		kb=$(eval "/usr/bin/time -f %M $(wrap "$r" "$what")" 2>&1 >/dev/null | tail -n1)
		[ "$kb" -gt "$max" ] && max=$kb
	done
	echo "$max"
}
row() {
	local name=$1 a=$2 b=$3 c=$4 ra=$5 rb=$6 rc=$7
	awk -v n="$name" -v a="$a" -v b="$b" -v c="$c" -v ra="$ra" -v rb="$rb" -v rc="$rc" 'BEGIN {
		printf "| %s | %.2f ms | %.2f ms | %.2f ms | %.2f | %.2f | %.1f / %.1f / %.1f MB |", n, a, b, c, a / b, a / c, ra / 1024, rb / 1024, rc / 1024 }'
}

rows=()
side_by_side "run -b $B bench"
rss=()
for r in rongqi crun runc; do rss+=("$(peak_rss "$r" "run -b $B bench")"); done
rows+=("$(row "run /bin/true" "$(median rongqi)" "$(median crun)" "$(median runc)" "${rss[@]}")")
echo "${rows[-1]}"

for r in rongqi crun runc; do
	sleeper_bundle "$r"
	wrapped "$r" run -d -b "$tmp/sleeper-$r" sleeper </dev/null >/dev/null 2>&1
done
side_by_side "exec sleeper /bin/true"
rss=()
for r in rongqi crun runc; do rss+=("$(peak_rss "$r" "exec sleeper /bin/true")"); done
rows+=("$(row "exec /bin/true" "$(median rongqi)" "$(median crun)" "$(median runc)" "${rss[@]}")")
echo "${rows[-1]}"

# The wrapper alone, with /bin/true where the runtime would be: every row above pays it.
hyperfine -N --warmup 10 --runs "$runs" --export-json "$tmp/floor.json" \
	"unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec /bin/true'" >/dev/null
floor=$(jq '.results[0].median * 1000' "$tmp/floor.json")
net_rows=()
for i in 0 1; do
	net_rows+=("$(awk -F'|' -v f="$floor" '{ gsub(/ ms/, ""); n = $2; gsub(/^ +| +$/, "", n);
		a = $3 - f; b = $4 - f; c = $5 - f;
		printf "| %s, net of the wrapper | %.2f ms | %.2f ms | %.2f ms | %.2f | %.2f | |", n, a, b, c, a / b, a / c }' <<<"${rows[$i]}")")
done
echo "wrapper alone: $floor ms"

section=$(
	echo "<!-- oci.sh: begin -->"
	echo "## OCI runtime: run and exec (bench/oci.sh)"
	echo
	echo "Made on $(date -u +%Y-%m-%d); runc $(runc --version | head -n1 | cut -d" " -f3), crun $(crun --version | head -n1 | cut -d" " -f3)."
	echo "The bundle \`crun spec\` writes (busybox rootfs, \`/bin/true\`, no terminal, no cgroup"
	echo "mount), every command in the same wrapper (\`unshare -m\` + \`sh\` + \`umount\` of the"
	echo "hybrid cgroup2 mount, which every row pays). All three runtimes create, join and remove"
	echo "the container's cgroup in the 9 v1 hierarchies of this hybrid host. Medians of $runs runs"
	echo "(two rounds of opposite order); peak RSS: the largest maximum resident set of the"
	echo "runtime's process tree over 10 runs (GNU time)."
	echo
	echo "| command | rongqi-runtime | crun | runc | ratio to crun | ratio to runc | peak RSS rongqi / crun / runc |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	printf '%s\n' "${net_rows[@]}"
	echo
	echo "The wrapper alone (\`unshare -m\`, \`sh\`, the \`umount\`, then \`/bin/true\`): $(printf %.2f "$floor") ms"
	echo "median; the \"net\" rows subtract it."
	echo "<!-- oci.sh: end -->"
)
write_section oci.sh "$section" "$out"
echo "wrote the oci.sh section of $out"
