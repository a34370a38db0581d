#!/usr/bin/env bash
# The cost of a container's cgroup: creating it, putting the init in it and removing it at
# delete, against the whole `rongqi-runtime run` of /bin/true, here (hybrid: 9 v1 hierarchies
# plus the cgroup2 mount) and in the test VM on a pure cgroup v2 and a pure v1 host, where on v2
# the init is born in its cgroup (clone3 CLONE_INTO_CGROUP) or, with
# RQ_TEST_NO_CLONE_INTO_CGROUP=1, moved there by a cgroup.procs write. Writes its section of
# bench/RESULTS.md (between the cgroup.sh markers; bench/run.sh calls this script).
#   bench/cgroup.sh [--runs N]
# The runtime has no way to run without a cgroup (as root), so the cgroup's part is timed through
# the library's own calls by build/bench/rq-cgbench (bench/rq-cgbench.c): the same create,
# attach, OOM read, kill, wait-for-empty and remove as `run`, against a plain fork and exit. crun
# can run without one (--cgroup-manager=disabled): its difference is measured end to end.
# The VM (tests/vm/, TCG emulation, its cached kernel) is skipped with a message when qemu or the
# kernel is not to be had; there only ratios within one VM mean something. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start 100 "$@"
RT=$(pwd)/build/rongqi-runtime
CGB=$(pwd)/build/bench/rq-cgbench
out=bench/RESULTS.md
tmp=$(mktemp -d)
CG=rongqi-bench-cg-$$
cleanup() {
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$CG" 2>/dev/null | while read -r d; do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The bundle: as bench/oci.sh's (crun's default config where crun is there, else ours), /bin/true.
B=$tmp/bundle
mkdir -p "$B"/rootfs/{bin,proc,dev,sys,tmp}
cp /bin/busybox "$B/rootfs/bin/busybox"
ln -s busybox "$B/rootfs/bin/true"
if command -v crun >/dev/null; then (cd "$B" && crun spec); else (cd "$B" && "$RT" spec); fi
jq ".process.terminal = false | .process.args = [\"/bin/true\"] |
	.linux.cgroupsPath = \"/$CG/run\" |
	.mounts |= map(select(.type != \"cgroup\" and .type != \"cgroup2\"))" \
	"$B/config.json" >"$tmp/c" && mv "$tmp/c" "$B/config.json"

# ms FILE WAY PHASE: rq-cgbench's median of one phase, in ms.
ms() { awk -v w="$2" -v p="$3" '$1 == "ops" && $2 == w && $3 == p { printf "%.3f", $4 / 1000 }' "$1"; }
# cost FILE WAY: the cgroup's part of a run: the round with it minus the plain fork and exit.
cost() { awk -v a="$(ms "$1" "$2" total)" -v b="$(ms "$1" no-cgroup total)" 'BEGIN { printf "%.3f", a - b }'; }
# phases FILE WAY WHERE: a row of the phase table, in ms.
phases() {
	local f=$1 w=$2 where=$3 p v=()
	for p in create spawn attach exit oom-read kill wait-empty remove total; do
		v+=("$(ms "$f" "$w" "$p")")
	done
	awk -v where="$where" -v w="$w" -v c="${v[0]}" -v s="${v[1]}" -v a="${v[2]}" -v e="${v[3]}" \
		-v o="${v[4]}" -v k="${v[5]}" -v we="${v[6]}" -v r="${v[7]}" -v t="${v[8]}" \
		-v fs="$(ms "$f" no-cgroup spawn)" -v fe="$(ms "$f" no-cgroup exit)" \
		-v ft="$(ms "$f" no-cgroup total)" 'BEGIN {
		printf "| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |", where, w, c,
			s + a + e - fs - fe, o, k, we, r, t - ft }'
}
# t FILE NAME: rq-cgbench time's median of NAME, in ms.
t() { awk -v n="$2" '$1 == "time" && $2 == n { printf "%.3f", $3 / 1000 }' "$1"; }

summary=()
phase_rows=()
load_before=$(cut -d' ' -f1 /proc/loadavg)

# ---- this host ----
# `run` of rongqi-runtime, and crun's with and without its cgroup in bench/oci.sh's wrapper (crun
# 1.8 needs the hybrid cgroup2 mount gone) with the wrapper alone, all taking turns (rq-cgbench
# time): neighbours' load then weighs on every command alike.
mode=$("$CGB" ops -n 1 "$B/config.json" "/$CG/probe" | awk '$2 == "mode" { print $3 }')
hier=$(grep -cE ' - cgroup2? ' /proc/self/mountinfo)
cmds=("rongqi=$RT --root $tmp/root run -b $B bench")
if command -v crun >/dev/null; then
	printf '#!/bin/sh\numount /sys/fs/cgroup/unified 2>/dev/null\nexec "$@"\n' >"$tmp/wrap"
	chmod +x "$tmp/wrap"
	w="unshare -m --propagation private $tmp/wrap"
	cmds+=("cgroupfs=$w crun --cgroup-manager=cgroupfs --root $tmp/crun run -b $B bench"
		"disabled=$w crun --cgroup-manager=disabled --root $tmp/crun run -b $B bench"
		"wrapper=$w /bin/true")
fi
"$CGB" time -n "$runs" "${cmds[@]}" >"$tmp/host.time"
"$CGB" ops -n "$runs" "$B/config.json" "/$CG/ops" >"$tmp/host.ops"
c=$(cost "$tmp/host.ops" cgroup.procs)
summary+=("$(awk -v m="$mode" -v h="$hier" -v r="$(t "$tmp/host.time" rongqi)" -v c="$c" 'BEGIN {
	printf "| this host (%s, %d hierarchies) | rongqi-runtime, cgroup.procs | %.2f ms | %.2f ms | %.0f %% |", m, h, r, c, 100 * c / r }')")
echo "${summary[-1]}"
phase_rows+=("$(phases "$tmp/host.ops" cgroup.procs "this host (ms)")")
if command -v crun >/dev/null; then
	summary+=("$(awk -v a="$(t "$tmp/host.time" cgroupfs)" -v b="$(t "$tmp/host.time" disabled)" \
		-v f="$(t "$tmp/host.time" wrapper)" -v h=$((hier - 1)) \
		-v v="$(crun --version | head -n1 | cut -d' ' -f3)" 'BEGIN {
		printf "| this host (v1 in the wrapper, %d hierarchies) | crun %s, cgroupfs against disabled | %.2f ms | %.2f ms | %.0f %% |", h, v, a - f, a - b, 100 * (a - b) / (a - f) }')")
	echo "${summary[-1]}"
fi

# ---- the VM ----
vm_note=
if ! command -v qemu-system-x86_64 >/dev/null; then
	vm_note="qemu-system-x86_64 not found (package qemu-system-x86)"
elif ! RQ_VM_EXTRA=$CGB tests/vm/build.sh >"$tmp/vmbuild.log" 2>&1; then
	vm_note=$(tail -n 1 "$tmp/vmbuild.log")
fi
for m in v2 v1; do
	[ -z "$vm_note" ] || break
	if ! tests/vm/run.sh "$m" bench/cgroup-vm.sh >"$tmp/vm-$m.tap"; then
		vm_note="the $m VM failed: $(grep -m1 '^not ok' "$tmp/vm-$m.tap" || tail -n 1 "$tmp/vm-$m.tap")"
		break
	fi
	sed -n 's/^# \(ops\|time\) /\1 /p' "$tmp/vm-$m.tap" >"$tmp/vm-$m.ops"
	procs=$(t "$tmp/vm-$m.ops" procs)
	c=$(cost "$tmp/vm-$m.ops" cgroup.procs)
	fb=$([ "$m" = v2 ] && echo " (RQ_TEST_NO_CLONE_INTO_CGROUP=1)" || true)
	summary+=("$(awk -v m="$m" -v fb="$fb" -v r="$procs" -v c="$c" 'BEGIN {
		printf "| VM, pure %s (TCG) | rongqi-runtime, cgroup.procs%s | %.1f ms | %.1f ms | %.0f %% |", m, fb, r, c, 100 * c / r }')")
	echo "${summary[-1]}"
	phase_rows+=("$(phases "$tmp/vm-$m.ops" cgroup.procs "VM $m (TCG ms)")")
	if [ "$m" = v2 ]; then
		into=$(t "$tmp/vm-$m.ops" clone3)
		c=$(cost "$tmp/vm-$m.ops" clone3-into)
		summary+=("$(awk -v r="$into" -v c="$c" -v p="$procs" 'BEGIN {
			printf "| VM, pure v2 (TCG) | rongqi-runtime, clone3 CLONE_INTO_CGROUP | %.1f ms (%.2f× the fallback) | %.1f ms | %.0f %% |", r, r / p, c, 100 * c / r }')")
		echo "${summary[-1]}"
		phase_rows+=("$(phases "$tmp/vm-$m.ops" clone3-into "VM v2 (TCG ms)")")
	fi
done
[ -z "$vm_note" ] || echo "the VM part is skipped: $vm_note" >&2

section=$(
	echo "<!-- cgroup.sh: begin -->"
	echo "## The container's cgroup (bench/cgroup.sh)"
	echo
	echo "Made on $(date -u +%Y-%m-%d). What the cgroup adds to \`run /bin/true\`: its creation (mkdir"
	echo "in every hierarchy, the default config's device rules), the init's move into it, and delete's"
	echo "kill, wait-for-empty and remove. The runtime cannot run without a cgroup, so that part is timed"
	echo "through the library's own calls (\`build/bench/rq-cgbench ops\`: the calls \`run\` makes,"
	echo "against a plain fork and exit; medians of $runs rounds here, 40 in the VM) and set against the"
	echo "median \`run\` ($runs runs, \`rq-cgbench time\`; 20 in the VM, timed inside it). crun runs"
	echo "with and without its cgroup (\`--cgroup-manager=disabled\`) in bench/oci.sh's wrapper, net of"
	echo "it; every command here takes turns with the others, run by run. The"
	echo "VM (tests/vm/, one emulated CPU) is slow and noisy: compare within it, not with this host."
	echo "Load average at the start and the end: $load_before, $(cut -d' ' -f1 /proc/loadavg) ($(nproc) cores)."
	echo
	echo "| where | runtime, how the init joins | run /bin/true | the cgroup's part | share |"
	echo "|---|---|---|---|---|"
	printf '%s\n' "${summary[@]}"
	[ -z "$vm_note" ] || printf '\nMissing VM rows: %s\n' "$vm_note"
	echo
	echo "The cgroup's part by phase (medians; \"fork, attach, exit\" is over a plain fork and exit):"
	echo
	echo "| where | how the init joins | create | fork, attach, exit | OOM read | kill | wait empty | remove | total |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${phase_rows[@]}"
	echo "<!-- cgroup.sh: end -->"
)
write_section cgroup.sh "$section" "$out"
echo "wrote the cgroup.sh section of $out"
