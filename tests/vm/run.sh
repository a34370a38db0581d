#!/usr/bin/env bash
# Boot the test VM (made by tests/vm/build.sh) with a pure cgroup v2 or v1 host, run the given
# test scripts in it as root, and print their TAP on stdout: one stream, renumbered, each test
# named "SCRIPT: NAME", then "1..N". Emulated (TCG: no KVM needed), no network, nothing of the
# host's cgroups touched; temp files removed. See docs/testing.md.
#
#   tests/vm/run.sh v2|v1 SCRIPT...
#
# Exits 0 when every test passed. Whenever it exits non-zero it has printed at least one
# "not ok" line (a script that failed, crashed, timed out, or a VM that never reported, with
# the console's last lines as "# " diagnostics).
#
#   RQ_VM_CACHE     where build.sh put the kernel and initramfs (default build/vm-cache)
#   RQ_VM_BUILD     the build directory build.sh took the binaries from (default build)
#   RQ_VM_TIMEOUT   seconds for the whole VM run (default 240)
#   RQ_VM_TEST_TIMEOUT  seconds for each script inside the VM (default 120)
#   RQ_VM_MEM RQ_VM_SMP  guest memory (MiB, default 512) and CPUs (default 1: TCG is
#                   faster with one on a busy 2-core host)
#   RQ_VM_ACCEL     qemu accelerator (default tcg; kvm where it works: not on every host)
#   RQ_VM_CONSOLE   a file to keep the whole serial console in (per-test times, kernel log)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RQ_VM_CACHE:-$top/build/vm-cache}
vm_timeout=${RQ_VM_TIMEOUT:-240}
test_timeout=${RQ_VM_TEST_TIMEOUT:-120}
bdir=${RQ_VM_BUILD:-$top/build}
mode=${1:-}
label=vm-$mode

# die MESSAGE: the run is one failed test.
die() {
	echo "not ok 1 - $label: $*"
	echo "1..1"
	exit 1
}

case "$mode" in
v1 | v2) ;;
*)
	echo "usage: tests/vm/run.sh v1|v2 SCRIPT..." >&2
	exit 2
	;;
esac
shift
[ $# -gt 0 ] || die "no test script given"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found (package qemu-system-x86; scripts/deps.sh installs it)"
[ -e "$cache/vmlinuz" ] && [ -f "$cache/initramfs.cpio.gz" ] ||
	die "no VM image in $cache: run tests/vm/build.sh first"
for b in rongqi rongqi-runtime; do
	[ "$bdir/$b" -nt "$cache/initramfs.cpio.gz" ] &&
		die "$bdir/$b is newer than the VM image: run tests/vm/build.sh again"
done

tmp=$(mktemp -d /tmp/rongqi-vm.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# The scripts go in a second cpio archive, appended: the kernel unpacks both.
mkdir -p "$tmp/root/vm/tests"
i=0
for s in "$@"; do
	[ -f "$s" ] || die "no test script $s"
	i=$((i + 1))
	cp "$s" "$tmp/root/vm/tests/$(printf %02d "$i")-$(basename "$s")"
done
echo "$test_timeout" >"$tmp/root/vm/timeout"
(cd "$tmp/root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp/tests.cpio.gz" ||
	die "cpio of the test scripts failed"
cat "$cache/initramfs.cpio.gz" "$tmp/tests.cpio.gz" >"$tmp/initrd"

# ttyS0: the kernel's and init's console; ttyS1: only the scripts' stdout, so that kernel
# messages (an OOM kill, say) never land inside a TAP line.
start=$(date +%s)
timeout -k 5 "$vm_timeout" qemu-system-x86_64 -accel "${RQ_VM_ACCEL:-tcg}" -nodefaults -nic none \
	-m "${RQ_VM_MEM:-512}" -smp "${RQ_VM_SMP:-1}" -display none -no-reboot -monitor none \
	-kernel "$cache/vmlinuz" -initrd "$tmp/initrd" \
	-append "console=ttyS0 quiet panic=-1 rq.cgroup=$mode" \
	-serial "file:$tmp/console" -serial "file:$tmp/tap" </dev/null >"$tmp/qemu.out" 2>&1
qrc=$?
secs=$(($(date +%s) - start))
touch "$tmp/console" "$tmp/tap"
[ -n "${RQ_VM_CONSOLE:-}" ] && tr -d '\r' <"$tmp/console" >"$RQ_VM_CONSOLE"

# Renumber the scripts' TAP into one stream; account for scripts that ended badly.
tr -d '\r' <"$tmp/tap" | awk -v label="$label" -v qrc="$qrc" -v secs="$secs" -v vt="$vm_timeout" -v st="$test_timeout" '
function emit(ok, rest) {
	n++
	sub(/^[0-9]+ */, "", rest)
	sub(/^- */, "", rest)
	printf "%s %d - %s: %s\n", ok, n, script, rest
	if (ok == "not ok") bad++
}
/^RQ-VM-BEGIN / { script = $2; sub(/^[0-9]+-/, "", script); sub(/\.sh$/, "", script)
	open = 1; had = 0; failed_here = 0; next }
/^RQ-VM-END / {
	rc = $3; sub(/^rc=/, "", rc)
	if (rc != 0 && !failed_here)
		emit("not ok", "the script exited with status " rc (rc == 143 ? " (killed after " st " s)" : ""))
	else if (!had)
		emit("not ok", "the script reported no test")
	open = 0; next
}
/^RQ-VM-DONE$/ { done = 1; next }
/^not ok / { if (open) { had = 1; failed_here = 1; emit("not ok", substr($0, 8)) }; next }
/^ok / { if (open) { had = 1; emit("ok", substr($0, 4)) }; next }
/^1\.\.[0-9]+/ { next }
{ if (open) print (/^#/ ? $0 : "# " $0) }
END {
	if (open) emit("not ok", "did not finish")
	if (!done) {
		script = label
		why = qrc == 124 ? "the VM did not finish within " vt " s" : "the VM stopped without reporting (qemu exit status " qrc ")"
		emit("not ok", why)
	}
	printf "# %s: %d s to boot and run\n", label, secs
	printf "1..%d\n", n
	exit bad > 0 ? 1 : 0
}'
rc=$?
if [ $rc -ne 0 ]; then
	echo "# $label: last lines of the console:"
	tail -n 40 "$tmp/console" | tr -d '\r' | sed 's/^/#   /'
	[ -s "$tmp/qemu.out" ] && sed 's/^/#   qemu: /' "$tmp/qemu.out"
fi
exit $rc
