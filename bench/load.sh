#!/usr/bin/env bash
# Image load benchmark: `rongqi load` against `podman load` of the same large docker-archive,
# side by side, and the cost of mounting that image (`rongqi image mount` + `image unmount`).
#   bench/load.sh [--runs N]
# The archive: a Debian bookworm rootfs (`debootstrap --variant=minbase`, from the first Debian
# mirror the host's apt sources name), tarred, `podman import`ed into a scratch podman store and
# written by `podman save --format docker-archive`. It is built once and cached in
# $RQ_BENCH_CACHE (default /var/cache/rongqi-bench, outside the repository, shared by every
# worktree); delete that directory to rebuild it.
# Each timed run loads into a fresh store (hyperfine --prepare removes the previous one): rongqi,
# podman with the overlay driver (its default as root) and podman with vfs. Reported: medians,
# MB/s (archive size / median), ratio rongqi / podman, peak RSS (GNU time). Page caches are not
# dropped (one warm-up run reads the archive into memory). Writes its section of
# bench/RESULTS.md (between the load.sh markers; bench/run.sh calls this script). Needs root.
# Not a test: nothing fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
[ "${1:-}" = "--runs" ] && runs=$2

scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
R=$(pwd)/build/rongqi
out=bench/RESULTS.md
cache=${RQ_BENCH_CACHE:-/var/cache/rongqi-bench}
archive=$cache/debian-bookworm-minbase.docker.tar
name=localhost/rongqi-bench/debian:bookworm
tmp=$(mktemp -d /var/tmp/rongqi-bench-load.XXXXXX)
cleanup() {
	"$R" --root "$tmp/rq" --runroot "$tmp/rq-run" image unmount "$name" >/dev/null 2>&1 || true
	# podman's overlay driver may leave its own mounts under its root.
	grep -o " $tmp/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# The first Debian mirror of the apt sources (one-line .list files and deb822 .sources files).
mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" } /(^|\n)Suites:[^\n]*bookworm( |\n|$)/ {
			for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { split($i, u, " "); print u[2]; exit } }' "$f"
	done
}

# podman with a scratch store under $tmp/NAME: its own root, run root and temp dirs.
pm() {
	local store=$1 driver=$2
	shift 2
	mkdir -p "$tmp/$store-tmp"
	TMPDIR=$tmp/$store-tmp podman --root "$tmp/$store" --runroot "$tmp/$store-run" \
		--tmpdir "$tmp/$store-libpod" --storage-driver "$driver" --cgroup-manager cgroupfs \
		--events-backend none "$@"
}
pm_cmd() {
	echo "env TMPDIR=$tmp/$1-tmp podman --root $tmp/$1 --runroot $tmp/$1-run --tmpdir $tmp/$1-libpod" \
		"--storage-driver $2 --cgroup-manager cgroupfs --events-backend none"
}
# A fresh store directory: unmount what podman may have left mounted there, remove it.
fresh() { echo "sh -c 'grep -o \" $tmp/$1[^ ]*\" /proc/self/mounts | sort -r | xargs -r -n1 umount -l; rm -rf $tmp/$1 $tmp/$1-run $tmp/$1-tmp $tmp/$1-libpod; mkdir -p $tmp/$1-tmp'"; }

if [ ! -f "$archive" ]; then
	mkdir -p "$cache"
	m=$(mirror | head -n1)
	[ -n "$m" ] || {
		echo "no Debian mirror found in /etc/apt/sources.list{,.d/*}" >&2
		exit 1
	}
	echo "building $archive: debootstrap --variant=minbase bookworm from $m" >&2
	rm -rf "$cache/rootfs.tmp"
	debootstrap --variant=minbase bookworm "$cache/rootfs.tmp" "$m" >"$cache/debootstrap.log" 2>&1 || {
		tail -n 20 "$cache/debootstrap.log" >&2
		exit 1
	}
	tar -C "$cache/rootfs.tmp" --numeric-owner --xattrs -cf "$tmp/rootfs.tar" .
	rm -rf "$cache/rootfs.tmp"
	pm build overlay import -q "$tmp/rootfs.tar" "$name" >/dev/null
	pm build overlay save -q --format docker-archive -o "$archive.tmp" "$name"
	mv "$archive.tmp" "$archive"
	rm -f "$tmp/rootfs.tar"
fi
size=$(stat -c %s "$archive")
entries=$(tar -xOf "$archive" --wildcards '*.tar' | tar -t | wc -l)
echo "archive: $archive, $size bytes, $entries layer entries" >&2

# median NAME in s, over both rounds' samples.
median() { jq -s "[.[].results[] | select(.command == \"$1\") | .times[]] | sort |
	(if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end)" "$tmp"/r*.json; }
rq_cmd="$R --root $tmp/rq --runroot $tmp/rq-run load -q -i $archive"
po_cmd="$(pm_cmd po overlay) load -q -i $archive"
pv_cmd="$(pm_cmd pv vfs) load -q -i $archive"
# Two rounds of opposite order (each run also leaves dirty pages that the next one's writes
# compete with), one warm-up each, $runs runs per command in all.
half=$(((runs + 1) / 2))
rm -f "$tmp"/r*.json
hyperfine -N --warmup 1 --runs "$half" --export-json "$tmp/r1.json" \
	--prepare "$(fresh rq)" -n rongqi "$rq_cmd" \
	--prepare "$(fresh po)" -n podman-overlay "$po_cmd" \
	--prepare "$(fresh pv)" -n podman-vfs "$pv_cmd" >/dev/null
hyperfine -N --warmup 1 --runs "$half" --export-json "$tmp/r2.json" \
	--prepare "$(fresh pv)" -n podman-vfs "$pv_cmd" \
	--prepare "$(fresh po)" -n podman-overlay "$po_cmd" \
	--prepare "$(fresh rq)" -n rongqi "$rq_cmd" >/dev/null
t_rq=$(median rongqi)
t_po=$(median podman-overlay)
t_pv=$(median podman-vfs)

# peak_rss STORE CMD: GNU time's maximum resident set (kB) of one load into a fresh store.
peak_rss() {
	eval "$(fresh "$1")"
	eval "/usr/bin/time -f %M $2" 2>&1 >/dev/null | tail -n1
}
rss_rq=$(peak_rss rq "$rq_cmd")
rss_po=$(peak_rss po "$po_cmd")
rss_pv=$(peak_rss pv "$pv_cmd")

# The loaded image mounted, and unmounted, each timed alone (the other one is hyperfine's
# --prepare); the rongqi store of the peak_rss run holds the image. `images` is the floor: the
# process start and the store open that every command pays.
rq="$R --root $tmp/rq --runroot $tmp/rq-run"
mnt_runs=$((runs * 10))
# mount_bench OUT CMD: medians in ms of "CMD image mount", "CMD image unmount" and "CMD images".
mount_bench() {
	hyperfine -N --warmup 3 --runs "$mnt_runs" --export-json "$tmp/$1.json" \
		--prepare "sh -c '$2 image unmount $name >/dev/null 2>&1 || true'" "$2 image mount $name" \
		--prepare "sh -c '$2 image mount $name >/dev/null'" "$2 image unmount $name" \
		--prepare true "$2 images" >/dev/null
	$2 image unmount "$name" >/dev/null 2>&1 || true
	jq -r '[.results[].median * 1000 | . * 100 | round / 100] | join(" ")' "$tmp/$1.json"
}
read -r m_rq u_rq f_rq < <(mount_bench mrq "$rq")
read -r m_po u_po f_po < <(mount_bench mpo "$(pm_cmd po overlay)")

row() {
	awk -v n="$1" -v t="$2" -v s="$size" -v base="$t_rq" -v kb="$3" 'BEGIN {
		printf "| %s | %.2f s | %.0f MB/s | %.2f× | %.1f MB |", n, t, s / t / 1e6, t / base, kb / 1024 }'
}
rows=("$(row "rongqi load" "$t_rq" "$rss_rq")"
	"$(row "podman load (overlay)" "$t_po" "$rss_po")"
	"$(row "podman load (vfs)" "$t_pv" "$rss_pv")")
printf '%s\n' "${rows[@]}"
mrows=("| rongqi | $m_rq ms | $u_rq ms | $f_rq ms |"
	"| podman (overlay) | $m_po ms | $u_po ms | $f_po ms |")
printf '%s\n' "${mrows[@]}"

section=$(
	echo "<!-- load.sh: begin -->"
	echo "## Image load (bench/load.sh)"
	echo
	echo "Made on $(date -u +%Y-%m-%d); $(podman --version). The archive: Debian bookworm"
	echo "\`debootstrap --variant=minbase\`, \`podman import\`ed and \`podman save --format"
	echo "docker-archive\`d: one uncompressed layer, $(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB,"
	echo "$entries tar entries. Each run loads it into a fresh store (removed by hyperfine"
	echo "--prepare); page cache warm (one warm-up), not dropped. Medians of $((half * 2)) runs (two"
	echo "rounds of opposite order; 2 cores shared with other work: single runs vary up to 2×, only"
	echo "medians and ratios mean something); MB/s = archive"
	echo "size / median; speed-up = that row's median / rongqi's (above 1: rongqi is faster);"
	echo "peak RSS: GNU time's maximum resident set of one run."
	echo
	echo "| command | median | throughput | rongqi's speed-up | peak RSS |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "Mounting the loaded image read-only (an overlay of its one layer, what a container"
	echo "root is made of) and unmounting it: \`image mount\` and \`image unmount\` each timed"
	echo "alone (medians of $mnt_runs runs), against \`images\` on the same store: the floor of"
	echo "process start and store open that every command pays."
	echo
	echo "| engine | image mount | image unmount | images (floor) |"
	echo "|---|---|---|---|"
	printf '%s\n' "${mrows[@]}"
	echo
	echo "The kernel's part alone, per layer count and method: bench/overlay.sh."
	echo "<!-- load.sh: end -->"
)
# Replace our section in RESULTS.md, or append it.
if [ -f "$out" ] && grep -q '^<!-- load.sh: begin -->' "$out"; then
	awk -v s="$section" '/^<!-- load.sh: begin -->/ { print s; skip = 1; next }
		/^<!-- load.sh: end -->/ { skip = 0; next } !skip' "$out" >"$tmp/results"
	cat "$tmp/results" >"$out"
else
	{ [ -f "$out" ] && cat "$out" && echo; echo "$section"; } >"$tmp/results"
	cat "$tmp/results" >"$out"
fi
echo "wrote the load.sh section of $out"
