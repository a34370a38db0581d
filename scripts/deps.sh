#!/usr/bin/env bash
# Install exactly what rongqi needs to build and test on Debian 12. Idempotent: quiet and quick
# when everything is there already.
set -euo pipefail

# libmnl: rtnetlink for the runtime's linux.netDevices. libarchive: image layers and archives;
# libsqlite3: the engine's records; libssl (libcrypto): SHA-256 of every blob; libsystemd
# (sd-bus): the runtime's --systemd-cgroup driver talks to systemd over D-Bus.
build_pkgs=(gcc clang meson ninja-build pkg-config libjansson-dev libcap-dev libcmocka-dev libseccomp-dev
	libmnl-dev libarchive-dev libsqlite3-dev libssl-dev libsystemd-dev)
# Tests: bats drives the binaries; util-linux and procps are the oracles (unshare, nsenter,
# lsns, ps); iproute2's ip makes the network namespaces and veth pairs of the netDevices tests;
# uidmap gives newuidmap/newgidmap for --map-auto; clang's runtime gives ASan+UBSan;
# clang-format checks the style; man-db renders the man pages; jq reads JSON output; strace
# checks which syscalls nsenter makes; runc is the OCI runtime oracle; podman (with conmon) and
# containerd (ctr, its runc v2 shim) are the runtime's real callers in clients.bats;
# qemu-system-x86 boots the pure cgroup v1 and v2 test VMs (tests/vm/), whose initramfs cpio
# packs and busybox-static fills; skopeo and umoci make and read images as peers of the image
# store's round-trip tests (attr's getfattr reads the xattrs they compare); systemd (booted in a
# container), dbus (its system bus) and libcap2-bin (capsh lists the capabilities it gets) for
# the --systemd-cgroup tests.
test_pkgs=(bats util-linux procps iproute2 uidmap libclang-rt-14-dev clang-format man-db jq passwd strace runc
	podman conmon containerd qemu-system-x86 cpio busybox-static skopeo umoci attr systemd dbus libcap2-bin)
# Benchmarks: hyperfine times the commands side by side; crun is a peer runtime; GNU time
# measures peak RSS; debootstrap builds the Debian rootfs of the image-load benchmark.
bench_pkgs=(hyperfine crun time debootstrap)

want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
