#!/usr/bin/env bats
# src/engine/storage/overlay.c through tests/helpers/rq-overlay: the merged view (topmost file,
# whiteouts, opaque dirs), read-only mounts, 1 / 2 / 500 layers, every kernel method (the
# fallbacks forced on this kernel), rootless in a user namespace, unmount errors. Layer dirs are
# made here directly (mknod 0/0, opaque xattr). Every mount happens in a private mount namespace
# (unshare -m), so nothing outlives a test.

load helpers
bats_require_minimum_version 1.5.0

RQO=${RQ_OVERLAY:-$BATS_TEST_DIRNAME/../../build/tests/helpers/rq-overlay}
METHODS="lowerdir-fd lowerdir-path classic short-links"

# The two-layer store (rq-overlay fixture): top has f, a whiteout for gone and an opaque d/;
# bottom has f, keep, gone and d/old.
# What the merged view at $M shows: f, keep, the entries of / and of d/.
VIEW='echo "$(cat "$M"/f) $(cat "$M"/keep) [$(ls -A "$M" | tr "\n" " ")] [$(ls -A "$M"/d)]"'
VIEW_WANT="top bottom [d f keep ] [new]"

setup() {
	require_root
	[ -x "$RQO" ] || skip "build tests/helpers/rq-overlay first (ninja -C build)"
	S=$BATS_TEST_TMPDIR/store
	M=$BATS_TEST_TMPDIR/merged
	mkdir -p "$S" "$M"
	export RQO S M VIEW
	"$RQO" fixture "$S" trusted.overlay.opaque
}

teardown() {
	[ -z "${U:-}" ] || rm -rf "$U"
}

# in_ns SCRIPT: run SCRIPT in bash in a private mount namespace of its own.
in_ns() {
	unshare -m --propagation private bash -c "$1"
}

# many_layers N: N layers with 64-hex-digit ids (as the store names them); layer i has n$i and
# top=i. LAYERS gets them topmost (N-1) first.
many_layers() {
	local i id dirs=()
	LAYERS=()
	for ((i = 0; i < $1; i++)); do
		id=$(printf '%064x' "$i")
		dirs+=("$S/layers/$id/diff")
		LAYERS=("layers/$id/diff" "${LAYERS[@]}")
	done
	mkdir -p "${dirs[@]}"
	for ((i = 0; i < $1; i++)); do
		echo "$i" >"${dirs[$i]}/n$i"
		echo "$i" >"${dirs[$i]}/top"
	done
}

@test "overlay: this kernel's method follows its version (lowerdir+ fds from 6.13, paths from 6.8)" {
	local v major minor want=classic
	v=$(uname -r)
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%[!0-9]*}
	if ((major > 6 || (major == 6 && minor >= 13))); then
		want=lowerdir-fd
	elif ((major == 6 && minor >= 8)); then
		want=lowerdir-path
	fi
	run -0 "$RQO" method
	[ "$output" = "$want" ]
}

@test "overlay, every method: the merged view shows the topmost file and hides whiteouts and opaque dir contents" {
	local m
	for m in $METHODS; do
		run -0 in_ns "\"\$RQO\" mount --method $m --upper c/upper --work c/work \"\$S\" \"\$M\" \
			layers/top/diff layers/bottom/diff && $VIEW"
		[ "${lines[0]}" = "$m" ]
		[ "${lines[1]}" = "$VIEW_WANT" ]
		rm -rf "$S"/c/upper/* "$S"/c/work/*
	done
}

@test "overlay: writes land in the upper dir, a deleted lower file becomes a whiteout there, layers stay unchanged" {
	local m
	for m in $METHODS; do
		run -0 in_ns "\"\$RQO\" mount --method $m --upper c/upper --work c/work \"\$S\" \"\$M\" \
			layers/top/diff layers/bottom/diff >/dev/null &&
			echo changed >\"\$M\"/f && echo more >\"\$M\"/added && rm \"\$M\"/keep &&
			cat \"\$M\"/f && stat -c '%F %t:%T' \"\$S\"/c/upper/keep"
		[ "${lines[0]}" = changed ]
		[ "${lines[1]}" = "character special file 0:0" ]
		[ "$(cat "$S"/c/upper/added)" = more ]
		[ "$(cat "$S"/layers/top/diff/f)" = top ]
		[ "$(cat "$S"/layers/bottom/diff/keep)" = bottom ]
		rm -rf "$S"/c/upper/* "$S"/c/work/*
	done
}

@test "overlay without an upper dir is read-only (EROFS) with 1 and 2 layers, every method" {
	local m
	for m in $METHODS; do
		run -0 in_ns "\"\$RQO\" mount --method $m \"\$S\" \"\$M\" layers/bottom/diff &&
			cat \"\$M\"/keep && ls -A \"\$M\" | tr '\n' ' ' && echo &&
			{ touch \"\$M\"/x 2>&1 || true; }"
		[ "${lines[1]}" = bottom ]
		[ "${lines[2]}" = "d f gone keep " ]
		[[ "${lines[3]}" == *"Read-only file system"* ]]

		run -0 in_ns "\"\$RQO\" mount --method $m \"\$S\" \"\$M\" layers/top/diff \
			layers/bottom/diff && $VIEW && { rm \"\$M\"/f 2>&1 || true; }"
		[ "${lines[1]}" = "$VIEW_WANT" ]
		[[ "${lines[2]}" == *"Read-only file system"* ]]
	done
	# The one-layer mount's second lower is the store's empty directory.
	[ -d "$S"/l/.empty ]
	[ -z "$(ls -A "$S"/l/.empty)" ]
}

@test "overlay --ro with an upper dir: writes fail with EROFS" {
	run -0 in_ns "\"\$RQO\" mount --ro --upper c/upper --work c/work \"\$S\" \"\$M\" \
		layers/top/diff layers/bottom/diff >/dev/null && { echo x >\"\$M\"/new; } 2>&1 || true"
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$S"/c/upper/new ]
}

@test "overlay with 500 layers of long paths: every layer visible, the topmost wins; classic switches to short links" {
	many_layers 500
	local m want
	for m in $METHODS; do
		want=$m
		[ "$m" = classic ] && want=short-links
		run -0 in_ns "\"\$RQO\" mount --method $m --upper c/upper --work c/work \"\$S\" \"\$M\" \
			${LAYERS[*]} && cat \"\$M\"/top && cat \"\$M\"/n0 && ls \"\$M\" | grep -c '^n' &&
			echo w >\"\$M\"/written"
		[ "${lines[0]}" = "$want" ]
		[ "${lines[1]}" = 499 ]
		[ "${lines[2]}" = 0 ]
		[ "${lines[3]}" = 500 ]
		[ "$(cat "$S"/c/upper/written)" = w ]
		rm -rf "$S"/c/upper/* "$S"/c/work/*
	done
	# One short link per layer, each resolving (relative to l/) to its layer dir.
	[ "$(find "$S"/l -maxdepth 1 -type l | wc -l)" = 500 ]
	[ "$(find -L "$S"/l -maxdepth 1 -type d -name '??????' | wc -l)" = 500 ]
}

@test "overlay with 2 layers: the classic method keeps the plain option string (no short links)" {
	run -0 in_ns "\"\$RQO\" mount --method classic --upper c/upper --work c/work \"\$S\" \"\$M\" \
		layers/top/diff layers/bottom/diff && grep -o 'lowerdir=[^,]*' /proc/self/mountinfo"
	[ "${lines[0]}" = classic ]
	[ "${lines[1]}" = "lowerdir=layers/top/diff:layers/bottom/diff" ]
	[ ! -e "$S"/l ]
}

@test "overlay refuses 501 layers, naming the limit" {
	many_layers 501
	run -1 in_ns "\"\$RQO\" mount \"\$S\" \"\$M\" ${LAYERS[*]}"
	[[ "$output" == *"an overlay takes 1 to 500 layers, not 501"* ]]
}

@test "overlay refuses layer paths that leave the store, pass a symlink or hold ':' ','" {
	ln -s top "$S"/layers/link
	local l
	for l in ../store/layers/top/diff /etc layers/link/diff "layers/a:b" "layers/a,b"; do
		run -1 in_ns "\"\$RQO\" mount \"\$S\" \"\$M\" '$l' layers/bottom/diff"
		[[ "$output" == *"$l"* ]]
	done
	run -1 in_ns "\"\$RQO\" mount \"\$S\" \"\$M\" layers/link/diff layers/bottom/diff"
	[[ "$output" == *"Too many levels of symbolic links"* ]]
	run -1 in_ns "\"\$RQO\" mount \"\$S\" \"\$M\" layers/missing/diff"
	[[ "$output" == *"open layer layers/missing/diff in the store: No such file or directory"* ]]
}

@test "RQ_TEST_OVERLAY_METHOD forces a fallback method for the whole process" {
	local m
	for m in classic short-links lowerdir-path; do
		run -0 in_ns "RQ_TEST_OVERLAY_METHOD=$m \"\$RQO\" mount \"\$S\" \"\$M\" \
			layers/top/diff layers/bottom/diff"
		[ "$output" = "$m" ]
	done
}

@test "overlay as a detached mount (fsmount fd) attached with move_mount shows the same view" {
	run -0 in_ns "\"\$RQO\" mount --detached --upper c/upper --work c/work \"\$S\" \"\$M\" \
		layers/top/diff layers/bottom/diff && $VIEW"
	[ "${lines[1]}" = "$VIEW_WANT" ]
	run -1 in_ns "\"\$RQO\" mount --detached --method classic \"\$S\" \"\$M\" layers/top/diff"
	[[ "$output" == *"a detached overlay mount needs lowerdir+"* ]]
}

@test "overlay unmount: a busy mount names the process using it; --detach unmounts anyway" {
	run -0 in_ns "\"\$RQO\" mount \"\$S\" \"\$M\" layers/top/diff layers/bottom/diff >/dev/null
		(cd \"\$M\" && exec sleep 60) & pid=\$!
		\"\$RQO\" umount \"\$M\" 2>&1; echo rc=\$?
		\"\$RQO\" umount --detach \"\$M\" && echo detached
		kill \$pid
		\"\$RQO\" umount \"\$M\" 2>&1; true"
	[[ "${lines[0]}" == *"unmount $M: Device or resource busy"* ]]
	[[ "${lines[1]}" == "hint: process "*" (sleep) holds its cwd; stop it first, or detach lazily" ]]
	[ "${lines[2]}" = rc=1 ]
	[ "${lines[3]}" = detached ]
	[[ "${lines[4]}" == *"unmount $M: Invalid argument" ]]
	[ "${lines[5]}" = "hint: $M is not a mount point" ]
}

@test "short links of removed layers are pruned, the others stay" {
	run -0 in_ns "\"\$RQO\" mount --method short-links \"\$S\" \"\$M\" layers/top/diff \
		layers/bottom/diff"
	[ "$(find "$S"/l -maxdepth 1 -type l | wc -l)" = 2 ]
	rm -rf "$S"/layers/bottom
	run -0 "$RQO" prune "$S"
	[ "$output" = 1 ]
	[ "$(readlink "$S"/l/*)" = ../layers/top/diff ]
}

@test "rootless: an unprivileged user in its own user and mount namespace mounts an overlay (userxattr, user.overlay.opaque, 0/0 whiteouts)" {
	U=$(mktemp -d /tmp/rq-overlay-test.XXXXXX)
	chmod 755 "$U"
	mkdir "$U"/store "$U"/m
	chown -R nobody:nogroup "$U"/store "$U"/m
	local m
	for m in $METHODS; do
		# The user makes the layers inside its namespace, as the unpacker would.
		run -0 setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			env -i PATH=/usr/bin:/bin RQO="$RQO" S="$U/store" M="$U/m" METHOD=$m \
			unshare --user --map-root-user --mount --propagation private bash -c '
				rm -rf "$S"/* && "$RQO" fixture "$S" user.overlay.opaque &&
				"$RQO" mount --method $METHOD --upper c/upper --work c/work "$S" "$M" \
					layers/top/diff layers/bottom/diff &&
				grep -o ",userxattr" /proc/self/mountinfo | head -n1 &&
				echo "$(cat "$M"/f) $(cat "$M"/keep) [$(ls -A "$M" | tr "\n" " ")] [$(ls -A "$M"/d)]" &&
				rm "$M"/keep && stat -c "%F %t:%T" "$S"/c/upper/keep'
		[ "${lines[0]}" = "$m" ]
		[ "${lines[1]}" = ",userxattr" ]
		[ "${lines[2]}" = "$VIEW_WANT" ]
		[ "${lines[3]}" = "character special file 0:0" ]
	done
}

@test "overlay --volatile: the mount carries the volatile option, writes work, the pair does not mount twice" {
	local m
	for m in $METHODS; do
		run -0 in_ns "\"\$RQO\" mount --method $m --volatile --upper c/upper --work c/work \
			\"\$S\" \"\$M\" layers/top/diff layers/bottom/diff >/dev/null &&
			grep -c 'volatile' /proc/self/mountinfo && echo x >\"\$M\"/new && cat \"\$M\"/new"
		[ "${lines[0]}" = 1 ]
		[ "${lines[1]}" = x ]
		# The kernel keeps work/work/incompat/volatile and refuses that pair from then on.
		run -1 in_ns "\"\$RQO\" mount --method $m --upper c/upper --work c/work \"\$S\" \"\$M\" \
			layers/top/diff layers/bottom/diff"
		[[ "$output" == *"Invalid argument"* ]]
		[[ "$output" == *"volatile"* ]]
		rm -rf "$S"/c/upper/* "$S"/c/work/*
	done
}
