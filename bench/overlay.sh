#!/usr/bin/env bash
# Overlay mount + unmount cost per container: src/engine/storage/overlay.c through
# tests/helpers/rq-overlay --bench, for 1, 5 and 50 layers and every kernel method (the fallbacks
# forced on this kernel), with an upper and a work dir as a container root has, all paths named as
# the store names them (layers/<64 hex>/diff, containers/<64 hex>/{upper,work}).
#   bench/overlay.sh [--runs N]
# Prints three markdown tables (container root with an upper dir, the same volatile, read-only
# image mount) of medians
# in microseconds: one mount plus its unmount, and each alone; a classic mount that had to switch
# to short links (the option string exceeded a page) says so.
# The store is made under $TMPDIR (default /tmp, the disk here): with an upper dir most of the
# time is that file system's (work dir set-up at mount, syncfs at unmount); TMPDIR=/dev/shm puts it
# on tmpfs and leaves the overlay's own cost.
# Needs root; runs in a private mount namespace. Not a test: nothing fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=200
[ "${1:-}" = "--runs" ] && runs=$2

[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
RQO=$(pwd)/build/tests/helpers/rq-overlay
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

S=$tmp/store
C=containers/$(printf '%064x' 1)
mkdir -p "$S/$C/upper" "$S/$C/work" "$tmp/merged"
layers=()
for i in $(seq 1 50); do
	id=$(printf '%064x' "$i")
	mkdir -p "$S/layers/$id/diff"
	echo "$i" >"$S/layers/$id/diff/f$i"
	layers=("layers/$id/diff" "${layers[@]}")
done

methods="lowerdir-fd lowerdir-path classic short-links"
# table TITLE OPTIONS...: one row per layer count, one column per method.
table() {
	local title=$1 n m us mnt umnt used
	shift
	printf '\n%s\n\n| layers |' "$title"
	for m in $methods; do printf ' %s |' "$m"; done
	printf '\n|---:|'
	for m in $methods; do printf -- '---:|'; done
	echo
	for n in 1 5 50; do
		printf '| %d |' "$n"
		for m in $methods; do
			read -r us mnt umnt used < <(unshare -m --propagation private "$RQO" mount \
				--bench "$runs" --method "$m" "$@" "$S" "$tmp/merged" "${layers[@]:50-n}")
			[ "$used" = "$m" ] || mnt="$mnt, $used"
			printf ' %s (%s + %s) |' "$us" "$mnt" "$umnt"
		done
		echo
	done
}

echo "Overlay mount + unmount, median µs over $runs runs: total (mount + unmount)."
echo "Kernel $(uname -r), best method here: $("$RQO" method)."
table "Container root (upper and work dir, read-write):" --upper "$C/upper" --work "$C/work"
table "Container root, volatile (no syncfs of the upper file system at unmount):" --volatile \
	--upper "$C/upper" --work "$C/work"
table "Image mount (no upper dir, read-only):"
