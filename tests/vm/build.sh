#!/usr/bin/env bash
# Prepare the test VM for tests/vm/run.sh (see docs/testing.md):
#   - the kernel: Debian's cloud kernel package (the one linux-image-cloud-amd64 depends on),
#     fetched with apt-get download and unpacked with dpkg-deb (never installed), cached under
#     $RQ_VM_CACHE/kernel/PACKAGE_VERSION with the few modules the VM loads;
#   - the initramfs: busybox, the built rongqi binaries and jq with their shared libraries, a
#     busybox bundle rootfs for containers, tests/vm/init and tests/vm/lib.sh. Rebuilt on every
#     call (about a second): it must hold the binaries just built.
# Writes $RQ_VM_CACHE/vmlinuz (a link) and $RQ_VM_CACHE/initramfs.cpio.gz.
#
#   RQ_VM_CACHE       cache directory (default build/vm-cache)
#   RQ_VM_BUILD       the meson build directory holding the binaries (default build)
#   RQ_VM_KERNEL_PKG  a kernel package to use instead of linux-image-cloud-amd64's
#   RQ_VM_MODULES     modules to load at boot, in order (default "overlay veth")
#   RQ_VM_EXTRA       more programs for /usr/local/bin, with their libraries (bench/cgroup.sh
#                     adds its helper)
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=${RQ_VM_CACHE:-build/vm-cache}
bdir=${RQ_VM_BUILD:-build}
modules=${RQ_VM_MODULES-overlay veth}

die() {
	echo "tests/vm/build.sh: $*" >&2
	exit 1
}

for t in qemu-system-x86_64 cpio gzip apt-get apt-cache dpkg-deb ldd jq; do
	command -v "$t" >/dev/null ||
		die "$t not found; run scripts/deps.sh (it installs qemu-system-x86, cpio, jq)"
done
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx switch_root ||
	die "/bin/busybox (package busybox-static) not found"
for b in rongqi rongqi-runtime; do
	[ -x "$bdir/$b" ] || die "$bdir/$b not built (meson setup $bdir && ninja -C $bdir)"
done
mkdir -p "$cache/kernel"

# The kernel package: name and candidate version from apt's lists.
resolve_kernel() {
	pkg=${RQ_VM_KERNEL_PKG:-}
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-.*-cloud-amd64\)$/\1/p' | head -n 1)
		[ -n "$pkg" ] && pkg=$pkg-unsigned
	fi
	ver=
	[ -n "$pkg" ] && ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ]
}
if ! resolve_kernel && [ "$(id -u)" -eq 0 ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	resolve_kernel || true
fi
cached=
for d in "$cache"/kernel/*_*; do [ -f "$d/vmlinuz" ] && cached=$d; done
if [ -n "$ver" ]; then
	kdir=$cache/kernel/${pkg}_$ver
elif [ -n "$cached" ]; then
	kdir=$cached
	echo "tests/vm/build.sh: apt knows no cloud kernel package; using the cached $kdir" >&2
else
	die "no Debian cloud kernel package in apt's lists (apt-cache depends linux-image-cloud-amd64)" \
		"and none cached in $cache/kernel; run apt-get update"
fi

if [ ! -f "$kdir/vmlinuz" ]; then
	echo "tests/vm/build.sh: fetching $pkg $ver" >&2
	tmp=$(mktemp -d /tmp/rongqi-vmk.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	sandbox=()
	[ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
	(cd "$tmp" && apt-get download -qq "${sandbox[@]}" "$pkg=$ver") ||
		die "apt-get download $pkg=$ver failed"
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	mkdir -p "$tmp/k/modules"
	cp "$tmp"/x/boot/vmlinuz-* "$tmp/k/vmlinuz"
	cp "$tmp"/x/boot/config-* "$tmp/k/config"
	for m in $modules; do
		ko=$(find "$tmp/x/lib/modules" -name "$m.ko*" | head -n 1)
		[ -n "$ko" ] || die "module $m is not in $pkg"
		cp "$ko" "$tmp/k/modules/"
	done
	rm -rf "${kdir:?}" "$kdir.new"
	mv "$tmp/k" "$kdir.new" && mv "$kdir.new" "$kdir"
	rm -rf "$tmp"
	trap - EXIT
	# Older versions are of no further use.
	for old in "$cache"/kernel/*_*; do
		[ "$old" = "$kdir" ] || rm -rf "$old"
	done
fi
ln -sfn "kernel/${kdir##*/}/vmlinuz" "$cache/vmlinuz"

# The initramfs.
tmp=$(mktemp -d /tmp/rongqi-vmi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,proc,sys,dev,tmp,run,vm/tests,vm/modules}

# copy_bin FILE DEST: FILE and every shared library ldd lists for it (with the loader), at
# the paths ldd prints.
copy_bin() {
	cp -L "$1" "$r$2"
	local lib
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		[ -e "$r$lib" ] && continue
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
}
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list-full); do
	[ "$a" = bin/busybox ] || [ -e "$r/$a" ] || ln -s /bin/busybox "$r/$a"
done
copy_bin "$bdir/rongqi" /usr/local/bin/rongqi
# Libraries rongqi dlopen()s (src/engine/archive-dl.c, digest.c, db.c; the runtime's libsystemd is not
# needed in the VM), with what they link: ldd does not list them.
for lib in libarchive.so.13 libcrypto.so.3 libsqlite3.so.0; do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !p { p = $NF } END { print p }')
	[ -n "$path" ] || die "$lib is not installed (scripts/deps.sh installs it)"
	mkdir -p "$r$(dirname "$path")"
	copy_bin "$path" "$path"
done
copy_bin "$bdir/rongqi-runtime" /usr/local/bin/rongqi-runtime
for x in ${RQ_VM_EXTRA:-}; do
	[ -x "$x" ] || die "RQ_VM_EXTRA: $x is not an executable"
	copy_bin "$x" "/usr/local/bin/${x##*/}"
done
copy_bin "$(command -v jq)" /usr/bin/jq
# The overlay test helper (tests/vm/t/overlay.sh), when built.
if [ -x "$bdir/tests/helpers/rq-overlay" ]; then
	copy_bin "$bdir/tests/helpers/rq-overlay" /usr/local/bin/rq-overlay
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"

# The bundle template's rootfs: busybox with its applet links (config.json is made per test).
mkdir -p "$r"/vm/bundle/rootfs/{bin,proc,dev,sys,tmp}
cp /bin/busybox "$r/vm/bundle/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$r/vm/bundle/rootfs/bin/$a"
done

install -m 0755 tests/vm/init "$r/init"
install -m 0644 tests/vm/lib.sh "$r/vm/lib.sh"
for m in $modules; do
	cp "$kdir"/modules/"$m".ko* "$r/vm/modules/"
	echo "$m" >>"$r/vm/modules/order"
done

(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$tmp/initramfs"
mv "$tmp/initramfs" "$cache/initramfs.cpio.gz"
echo "tests/vm/build.sh: $cache/vmlinuz -> ${kdir##*/} ($(du -hL "$cache/vmlinuz" | cut -f1)), " \
	"initramfs $(du -h "$cache/initramfs.cpio.gz" | cut -f1)" >&2
