#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, build with gcc and (ASan+UBSan)
# with clang, run the unit tests in both builds, check formatting and the man pages, run the
# integration tests as root and (inside them) as an unprivileged user this script creates, then
# the VM tests (tests/vm: a pure cgroup v2 and a pure v1 kernel under qemu).
# Ends with one line: "N passed, M failed, K skipped". Exit status 0 only when nothing failed.
#
#   tests/run.sh [--quick]     --quick skips the dependency install and the sanitizer build
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0 failed=0 skipped=0
failures=()

# count_tap NAME < TAP: add the results of a TAP stream to the totals and echo it.
count_tap() {
	local name=$1 line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok "*)
			failed=$((failed + 1))
			failures+=("$name: ${line#not ok }")
			;;
		"ok "*"# skip"* | "ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

# step NAME CMD...: a check that is one test: passes when CMD exits 0.
step() {
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "not ok - $name"
		printf '%s\n' "$out" | sed 's/^/#   /' | tail -n 40
	fi
}

if [ $quick -eq 0 ]; then
	scripts/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

echo "# build (gcc)"
if [ ! -d build ]; then meson setup build >/dev/null || exit 1; fi
step "build with gcc, -Werror" ninja -C build
if [ $quick -eq 0 ]; then
	echo "# build (clang, ASan+UBSan)"
	if [ ! -d build-asan ]; then
		CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debug >/dev/null || exit 1
	fi
	step "build with clang + ASan/UBSan, -Werror" ninja -C build-asan
fi

run_units() {
	local dir=$1 label=$2 t
	for t in "$dir"/tests/unit/test-*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		case "$t" in *.p) continue ;; esac
		echo "# unit ($label): $(basename "$t")"
		local out rc
		out=$(CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=detect_leaks=1 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$t" 2>&1)
		rc=$?
		count_tap "unit/$label/$(basename "$t")" <<<"$out"
		# A sanitizer abort prints no "not ok": a non-zero exit is a failure of its own.
		if [ $rc -ne 0 ]; then
			failed=$((failed + 1))
			failures+=("unit/$label/$(basename "$t"): exit status $rc")
		fi
	done
}
run_units build gcc
[ $quick -eq 0 ] && run_units build-asan asan

echo "# style"
step "source tree is clang-formatted" bash -c \
	'clang-format --dry-run --Werror $(git ls-files "src/*.c" "src/*.h" "tests/unit/*.c" "tests/helpers/*.c")'
step "man pages render without warnings" bash -c \
	'for m in docs/man/*.1; do out=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null); [ -z "$out" ] || { echo "$m: $out"; exit 1; }; done'

# The unprivileged user for rootless tests, and a copy of the binary it can reach.
RQ_TEST_USER=rqtest
cleanup() {
	[ -n "${RQ_BIN_DIR:-}" ] && rm -rf "$RQ_BIN_DIR"
	if [ "${created_user:-0}" -eq 1 ]; then
		userdel "$RQ_TEST_USER" >/dev/null 2>&1
		sed -i "/^$RQ_TEST_USER:/d" /etc/subuid /etc/subgid 2>/dev/null
	fi
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then
	if ! id "$RQ_TEST_USER" >/dev/null 2>&1; then
		# No subordinate ids from useradd (Debian's allocates some): the tests use ours.
		useradd --no-create-home --shell /bin/sh --user-group -K SUB_UID_COUNT=0 \
			-K SUB_GID_COUNT=0 "$RQ_TEST_USER" && created_user=1
		sed -i "/^$RQ_TEST_USER:/d" /etc/subuid /etc/subgid 2>/dev/null
	fi
	grep -q "^$RQ_TEST_USER:" /etc/subuid 2>/dev/null || echo "$RQ_TEST_USER:300000:65536" >>/etc/subuid
	grep -q "^$RQ_TEST_USER:" /etc/subgid 2>/dev/null || echo "$RQ_TEST_USER:300000:65536" >>/etc/subgid
	RQ_TEST_UID=$(id -u "$RQ_TEST_USER")
	RQ_TEST_GID=$(id -g "$RQ_TEST_USER")
	RQ_BIN_DIR=$(mktemp -d /tmp/rongqi-bin.XXXXXX)
	chmod 755 "$RQ_BIN_DIR"
	cp build/rongqi build/rongqi-runtime "$RQ_BIN_DIR/"
	chmod 755 "$RQ_BIN_DIR/rongqi" "$RQ_BIN_DIR/rongqi-runtime"
	export RQ_TEST_USER RQ_TEST_UID RQ_TEST_GID RQ_BIN_DIR
fi
export RONGQI="$top/build/rongqi"

echo "# integration"
count_tap integration < <(bats --tap tests/integration)

# The cgroup tests again on a pure cgroup v2 and a pure v1 kernel, in an emulated VM (this
# host's hierarchy is whatever it is; see docs/testing.md). A missing qemu or kernel package is
# a failure, not a skip.
echo "# vm"
vm_before=$failed
step "the test VM's kernel and initramfs are prepared (tests/vm/build.sh)" tests/vm/build.sh
if [ "$failed" -eq "$vm_before" ]; then
	for mode in v2 v1; do
		count_tap "vm-$mode" < <(tests/vm/run.sh "$mode" tests/vm/t/*.sh)
	done
fi

# Nothing the suites made may stay behind: the runtime tests put their cgroups under parents
# named rongqi-test-*, and a container without a cgroupsPath goes under rongqi-runtime.
echo "# leftovers"
step "no cgroup made by the tests is left in any hierarchy" bash -c \
	'left=$(find /sys/fs/cgroup -maxdepth 3 -type d \( -name "rongqi-test-*" -o -name rongqi-runtime \) 2>/dev/null)
	[ -z "$left" ] || { echo "$left"; exit 1; }'

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "# failed:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
