#!/bin/sh
# src/engine/storage/overlay.c on the VM's Debian kernel (6.1: no lowerdir+, so the classic
# mount(2) string and its short links are the real thing here, not a forced fallback): the
# method probe, the merged view (topmost file, 0/0 whiteout, opaque dir), read-only mounts,
# 500 layers, and clear errors for what this kernel lacks. Runs inside the VM; see lib.sh.
. /vm/lib.sh
RQO=/usr/local/bin/rq-overlay
if [ ! -x "$RQO" ]; then
	skip_test "overlay mounts on the VM's kernel" "tests/helpers/rq-overlay was not built"
	finish
	exit
fi

# fixture: the two-layer store of overlay.bats at $T/s (rq-overlay fixture), a mount point $T/m.
fixture() {
	S=$T/s
	M=$T/m
	mkdir -p "$S" "$M"
	"$RQO" fixture "$S" trusted.overlay.opaque
}
view() {
	echo "$(cat "$M"/f) $(cat "$M"/keep) [$(ls -A "$M" | tr '\n' ' ')] [$(ls -A "$M"/d)]"
}
WANT="top bottom [d f keep ] [new]"

t_method() {
	major=$(uname -r | cut -d. -f1)
	minor=$(uname -r | cut -d. -f2)
	want=classic
	[ "$major" -eq 6 ] && [ "$minor" -ge 8 ] && want=lowerdir-path
	[ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 13 ]; } && want=lowerdir-fd
	expect_eq "method of kernel $(uname -r)" "$want" "$("$RQO" method)"
}
run_test "the overlay method probe picks what this kernel has" t_method

t_view() {
	fixture
	for m in classic short-links; do
		expect_eq "$m method used" "$m" "$("$RQO" mount --method "$m" --upper c/upper \
			--work c/work "$S" "$M" layers/top/diff layers/bottom/diff)"
		expect_eq "$m merged view" "$WANT" "$(view)"
		echo changed >"$M"/f
		rm "$M"/keep
		expect_eq "$m whiteout in upper" "character special file 0:0" \
			"$(stat -c '%F %t:%T' "$S"/c/upper/keep)"
		"$RQO" umount "$M"
		rm -rf "$S"/c/upper/* "$S"/c/work/*
	done
}
run_test "classic and short-link overlays: topmost file, whiteouts and opaque dirs, upper gets the changes" t_view

t_ro() {
	fixture
	"$RQO" mount "$S" "$M" layers/bottom/diff
	expect_eq "one-layer view" "bottom" "$(cat "$M"/keep)"
	if touch "$M"/x 2>"$T"/err; then fail "wrote to a read-only overlay"; fi
	grep -q "Read-only file system" "$T"/err || fail "$(cat "$T"/err)"
	"$RQO" umount "$M"
}
run_test "an overlay without an upper dir is read-only (EROFS), one layer included" t_ro

t_500() {
	fixture
	i=0
	layers=
	while [ $i -lt 500 ]; do
		d=layers/$(printf '%064x' $i)/diff
		mkdir -p "$S/$d"
		echo $i >"$S/$d/n$i"
		echo $i >"$S/$d/top"
		layers="$d $layers"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	expect_eq "method" short-links "$("$RQO" mount --upper c/upper --work c/work "$S" "$M" $layers)"
	expect_eq "topmost" 499 "$(cat "$M"/top)"
	expect_eq "bottom" 0 "$(cat "$M"/n0)"
	expect_eq "files" 500 "$(ls "$M" | grep -c '^n')"
	"$RQO" umount "$M"
}
run_test "500 layers of long paths mount through short links" t_500

t_missing() {
	fixture
	if "$RQO" mount --method lowerdir-fd "$S" "$M" layers/top/diff 2>"$T"/err; then
		fail "lowerdir+ by fd worked on $(uname -r)"
	fi
	grep -q "overlay: lowerdir+ layers/top/diff: " "$T"/err || fail "$(cat "$T"/err)"
	grep -q "hint: this kernel's overlay method is classic, not lowerdir-fd" "$T"/err ||
		fail "$(cat "$T"/err)"
	if "$RQO" mount --detached "$S" "$M" layers/top/diff 2>"$T"/err; then
		fail "a detached overlay worked on $(uname -r)"
	fi
	grep -q "a detached overlay mount needs lowerdir+" "$T"/err || fail "$(cat "$T"/err)"
}
run_test "without lowerdir+ the fd method and detached mounts fail with errors that say so" t_missing

t_rootless() {
	fixture
	chmod 755 "$T"
	chown -R 65534:65534 "$S" "$M"
	# tmpfs (the VM's /tmp) has user.* xattrs only from 6.6: no user.overlay.opaque here, so
	# the check is the top file and the 0/0 whiteouts, which an unprivileged user may create.
	cat >"$T"/inner.sh <<-INNER
		set -e
		mknod $S/layers/top/diff/gone2 c 0 0
		echo x >$S/layers/bottom/diff/gone2
		$RQO mount --upper c/upper --work c/work $S $M layers/top/diff layers/bottom/diff
		grep -c userxattr /proc/self/mountinfo
		cat $M/f
		ls $M
	INNER
	su -s /bin/sh nobody -c "unshare -U -r -m sh $T/inner.sh" >"$T"/out 2>&1 ||
		fail "$(cat "$T"/out)"
	expect_eq "rootless mount" "classic 1 top d f keep " "$(tr '\n' ' ' <"$T"/out)"
}
run_test "an unprivileged user in its own user and mount namespace mounts an overlay (userxattr)" t_rootless

finish
