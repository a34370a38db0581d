#!/usr/bin/env bash
# The main job for now: install, build, and show what namespaces do. A shell started by
# `rongqi unshare` in new user, PID, mount, UTS, IPC and network namespaces is PID 1 of its own
# PID namespace and root there, while outside it is still an ordinary user.
# Run as root, the demo itself runs as the unprivileged user "nobody", so the root inside is
# visibly a fake one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

bin=$(pwd)/build/rongqi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
run=()
if [ "$(id -u)" -eq 0 ]; then
	cp "$bin" "$dir/rongqi"
	bin=$dir/rongqi
	run=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
cat >"$dir/inside.sh" <<'EOS'
hostname rongqi-demo
echo "inside:  I am $(id -un) (uid $(id -u)) on host $(hostname), and my PID is $$;"
echo "         the kernel maps my uid 0 to uid $(awk '{print $2}' /proc/self/uid_map) outside"
echo
echo "ps aux in here sees only this PID namespace:"
ps aux
EOS
chmod 644 "$dir/inside.sh"

flags="--user --map-root-user --pid --fork --mount-proc --uts --ipc --net"
cd /
"${run[@]}" sh -c 'echo "outside: I am $(id -un) (uid $(id -u)) on host $(hostname)"'
echo "\$ rongqi unshare $flags sh inside.sh"
"${run[@]}" "$bin" unshare $flags sh "$dir/inside.sh"
