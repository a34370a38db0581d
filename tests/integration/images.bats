#!/usr/bin/env bats
# The engine's image side as a user checks it: images round-trip with podman, skopeo and umoci
# (same id, same mounted tree); hostile, corrupt, truncated archives, a full disk and a load
# killed half way leave the store consistent; the image commands print what docker and podman
# print. Every test has its own store (--root/--runroot under $BATS_TEST_TMPDIR); the podman
# store of the peer images is per file and removed with it.

load helpers
bats_require_minimum_version 1.5.0

MKTAR=${RQ_MKTAR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build/tests/helpers/rq-mktar}

# The layers of the peer round trips. Layer 2 whites out a file of layer 1, makes opq/ opaque
# (hiding opq/old), replaces a symlink by a directory and adds a file of another owner.
LAYER1='dir etc 0755
file etc/hostname 0644 base
file etc/gone 0644 gone
dir etc/gonedir 0755
file etc/gonedir/inner 0644 inner
dir opq 0755
file opq/old 0644 old
dir opq/olddir 0700
dir bin 0755
file bin/tool 0644 #!/bin/sh
hardlink bin/tool2 bin/tool
symlink bin/sh tool
symlink lib usr/lib
dir usr 0755
dir usr/lib 0755
file usr/lib/libx.so 0644 x
fifo run.fifo
xattr user.x hello
file etc/xa 0600 xattrfile
dir tmp 1777'
LAYER2='whiteout etc/gone
whiteout etc/gonedir
dir opq 0711
opaque opq
file opq/new 0644 new
whiteout lib
dir lib 0755
file lib/own 0644 own
owner 1000 1000
file home 0644 userfile
dir data 2750
hardlink data/h1 home
owner 0 0
symlink etc/abs /etc/hostname'

pm() {
	podman --root "$BATS_FILE_TMPDIR/pm/root" --runroot "$BATS_FILE_TMPDIR/pm/runroot" \
		--tmpdir "$BATS_FILE_TMPDIR/pm/tmp" --storage-driver vfs --events-backend file \
		--cgroup-manager=cgroupfs "$@"
}

# tree DIR: a listing of everything below DIR (type, mode, owner, size, link target, link
# count of non-directories), the files' checksums and every xattr, sorted.
tree() {
	(
		cd "$1" || exit 1
		find . -mindepth 1 \( -type d -printf '%p %y %m %U %G %l\n' \) -o \
			-printf '%p %y %m %U %G %s %l %n\n' | sort
		find . -mindepth 1 -type f -print0 | sort -z | xargs -0r sha256sum
		getfattr -R -P -d -m - --absolute-names . 2>/dev/null | grep -v '^$' || true
	)
}

# mklayer SPEC OUT [rq-mktar options]: the tar of a line spec
mklayer() {
	"$MKTAR" "${@:3}" <<<"$1" >"$2"
}

# mkarchive OUT REF SPEC...: a docker-archive (as docker save writes it) of one image whose
# layers are made from the specs (REF "" for none; a spec "@FILE" is that tar file).
# CONFIG_EXTRA (a jq object) is merged into the config; DIFF_IDS replaces the config's diff ids.
# Sets ARCHIVE_ID to the image id.
mkarchive() {
	local out=$1 ref=$2 d i=0 spec ids=() layers=()
	shift 2
	d=$(mktemp -d "$BATS_TEST_TMPDIR/arch.XXXXXX")
	for spec in "$@"; do
		if [[ "$spec" == @* ]]; then cp "${spec#@}" "$d/l$i.tar"; else mklayer "$spec" "$d/l$i.tar"; fi
		local h
		h=$(sha256sum "$d/l$i.tar" | cut -d' ' -f1)
		mv "$d/l$i.tar" "$d/$h.tar"
		ids+=("sha256:$h")
		layers+=("$h.tar")
		i=$((i + 1))
	done
	local diff_ids
	diff_ids=$(printf '%s\n' "${DIFF_IDS:-${ids[@]}}" | jq -R . | jq -sc .)
	jq -nc --argjson ids "$diff_ids" --argjson extra "${CONFIG_EXTRA:-{\}}" \
		'{architecture: "amd64", os: "linux", config: {Cmd: ["sh"]},
		  rootfs: {type: "layers", diff_ids: $ids},
		  history: [$ids[] | {created_by: ("layer " + .)}]} * $extra' >"$d/config.json"
	ARCHIVE_ID=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	mv "$d/config.json" "$d/$ARCHIVE_ID.json"
	jq -nc --arg c "$ARCHIVE_ID.json" --arg ref "$ref" \
		--argjson l "$(printf '%s\n' "${layers[@]}" | jq -R . | jq -sc .)" \
		'[{Config: $c, RepoTags: (if $ref == "" then [] else [$ref] end), Layers: $l}]' \
		>"$d/manifest.json"
	tar -C "$d" -cf "$out" manifest.json "$ARCHIVE_ID.json" "${layers[@]}"
	rm -rf "$d"
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	podman_host_paths_note
	local F=$BATS_FILE_TMPDIR
	BATS_TEST_TMPDIR=$F mkarchive "$F/multi.tar" localhost/multi:1 "$LAYER1" "$LAYER2"
	echo "$ARCHIVE_ID" >"$F/multi.id"
	command -v podman >/dev/null || return 0
	# podman's view of the image: its id, its tree, and its own archives of it
	pm load -q -i "$F/multi.tar" >/dev/null
	pm images -q --no-trunc localhost/multi:1 | sed 's/^sha256://' >"$F/pm.id"
	local m
	m=$(pm image mount localhost/multi:1)
	tree "$m" >"$F/pm.tree"
	pm image unmount localhost/multi:1 >/dev/null
	pm save -q --format docker-archive -o "$F/pm.docker.tar" localhost/multi:1
	pm save -q --format oci-archive -o "$F/pm.oci.tar" localhost/multi:1
}

teardown_file() {
	local p
	if [ -d "$BATS_FILE_TMPDIR/pm" ]; then
		pm image unmount -a >/dev/null 2>&1 || true
		pm rmi -a -f >/dev/null 2>&1 || true
		awk -v d="$BATS_FILE_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r p; do umount -l "$p" 2>/dev/null || true; done
		rm -rf "$BATS_FILE_TMPDIR/pm"
	fi
	podman_host_paths_remove
}

setup() {
	require_root
	ROOT=$BATS_TEST_TMPDIR/root
	RUNROOT=$BATS_TEST_TMPDIR/run
	KILL_PIDS=
	USER_HOME=
}

teardown() {
	local p
	for p in $KILL_PIDS; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	"$RONGQI" --root "$ROOT" --runroot "$RUNROOT" image unmount -a >/dev/null 2>&1 || true
	awk -v d="$BATS_TEST_TMPDIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r p; do umount -l "$p" 2>/dev/null || true; done
	if [ -n "$USER_HOME" ]; then rm -rf "$USER_HOME"; fi
}

require_podman() {
	[ -f "$BATS_FILE_TMPDIR/pm.id" ] || skip "podman is not installed (scripts/deps.sh installs it)"
}

rq() {
	"$RONGQI" --root "$ROOT" --runroot "$RUNROOT" "$@"
}

# mounted_tree IMAGE: the tree of rongqi's read-only mount of IMAGE (unmounted after)
mounted_tree() {
	local m
	m=$(rq image mount "$1") || return 1
	tree "$m"
	rq image unmount "$1" >/dev/null
}

# store_state: what the store holds on disk, besides the database
store_state() {
	(cd "$ROOT" && find tmp layers blobs l -mindepth 1 -maxdepth 2 2>/dev/null | sort)
}

# ---------------------------------------------------------------------------------------------
# Round trips with real peers

@test "an image from podman's docker-archive and oci-archive has podman's id and podman's tree" {
	require_podman
	local id
	id=$(cat "$BATS_FILE_TMPDIR/pm.id")
	# the hand-made archive and podman's docker-archive give one image with the id podman
	# computed; podman's OCI archive has the config converted to OCI's media type, its id is
	# that config's digest (podman's own load gives the same)
	local oci_id
	oci_id=$(tar -xOf "$BATS_FILE_TMPDIR/pm.oci.tar" index.json | jq -r '.manifests[0].digest | sub("sha256:"; "")')
	oci_id=$(tar -xOf "$BATS_FILE_TMPDIR/pm.oci.tar" "blobs/sha256/$oci_id" | jq -r '.config.digest | sub("sha256:"; "")')
	for a in multi.tar pm.docker.tar pm.oci.tar; do
		rm -rf "$ROOT" "$RUNROOT"
		run -0 rq load -q -i "$BATS_FILE_TMPDIR/$a"
		[ "$output" = "Loaded image: localhost/multi:1" ]
		[ "$a" = pm.oci.tar ] && id=$oci_id
		[ "$(rq images -q --no-trunc)" = "$id" ]
		run -0 mounted_tree "$id"
		diff -u "$BATS_FILE_TMPDIR/pm.tree" <(echo "$output")
	done
	# what the layers must show (not only "the same as podman")
	grep -q '^./etc/hostname f 644 0 0 5  1$' "$BATS_FILE_TMPDIR/pm.tree"
	! grep -q '^./etc/gone' "$BATS_FILE_TMPDIR/pm.tree"
	! grep -q '^./opq/old' "$BATS_FILE_TMPDIR/pm.tree"
	grep -q '^./opq d 711 0 0 $' "$BATS_FILE_TMPDIR/pm.tree"
	grep -q '^./data/h1 f 644 1000 1000 9  2$' "$BATS_FILE_TMPDIR/pm.tree"
	grep -q '^./bin/sh l 777 0 0 4 tool 1$' "$BATS_FILE_TMPDIR/pm.tree"
	grep -q '^./lib/own f 644 0 0 4  1$' "$BATS_FILE_TMPDIR/pm.tree"
	grep -q '^./tmp d 1777 0 0 $' "$BATS_FILE_TMPDIR/pm.tree"
	grep -q '^user.x="hello"$' "$BATS_FILE_TMPDIR/pm.tree"
}

@test "images copied by skopeo (OCI archive, OCI layout, zstd layers) load with skopeo's config digest as id" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	local src="docker-archive:$BATS_FILE_TMPDIR/multi.tar" want id ref
	skopeo copy -q "$src" "oci-archive:$BATS_TEST_TMPDIR/sk.tar:t1"
	skopeo copy -q "$src" "oci:$BATS_TEST_TMPDIR/skdir:t1"
	skopeo copy -q --dest-compress-format zstd "$src" "oci:$BATS_TEST_TMPDIR/skz:t1"
	# the zstd copy really has zstd layers
	skopeo inspect --raw "oci:$BATS_TEST_TMPDIR/skz:t1" | jq -e '.layers[0].mediaType | endswith("+zstd")'
	local first=
	for ref in "$BATS_TEST_TMPDIR/sk.tar" "$BATS_TEST_TMPDIR/skdir" "$BATS_TEST_TMPDIR/skz"; do
		rm -rf "$ROOT" "$RUNROOT"
		if [ -d "$ref" ]; then
			want=$(skopeo inspect --raw "oci:$ref:t1" | jq -r .config.digest)
		else
			want=$(skopeo inspect --raw "oci-archive:$ref:t1" | jq -r .config.digest)
		fi
		run -0 rq load -q -i "$ref"
		id=$(rq images -q --no-trunc)
		[ "sha256:$id" = "$want" ]
		run -0 mounted_tree "$id"
		if [ -z "$first" ]; then
			first=$output
			# a skopeo copy changes the config, not the tree
			[ ! -f "$BATS_FILE_TMPDIR/pm.tree" ] ||
				diff -u "$BATS_FILE_TMPDIR/pm.tree" <(echo "$output")
		else
			[ "$output" = "$first" ]
		fi
	done
}

@test "an image made by umoci loads from its layout directory with the tree umoci unpacks" {
	command -v umoci >/dev/null || skip "umoci is not installed"
	local L=$BATS_TEST_TMPDIR/um B=$BATS_TEST_TMPDIR/bundle
	umoci init --layout "$L"
	umoci new --image "$L:base"
	umoci unpack --image "$L:base" "$B" >/dev/null
	mkdir -p "$B/rootfs/etc" "$B/rootfs/d/sub"
	echo hi >"$B/rootfs/etc/hi"
	echo keep >"$B/rootfs/etc/keep"
	echo deep >"$B/rootfs/d/sub/f"
	ln -s hi "$B/rootfs/etc/link"
	chown 7:8 "$B/rootfs/etc/keep"
	umoci repack --image "$L:v1" "$B"
	rm -rf "$B"
	umoci unpack --image "$L:v1" "$B" >/dev/null
	rm "$B/rootfs/etc/hi"
	rm -r "$B/rootfs/d/sub"
	echo two >"$B/rootfs/two"
	umoci repack --image "$L:v2" "$B"
	rm -rf "$B"
	umoci unpack --image "$L:v2" "$B" >/dev/null
	local want
	want=$(skopeo inspect --raw "oci:$L:v2" | jq -r .config.digest)
	# layers are gzip-compressed
	skopeo inspect --raw "oci:$L:v2" | jq -e '.layers | length == 2 and all(.mediaType | endswith("tar+gzip"))'
	run -0 rq load -q -i "$L"
	# every manifest of the index is an image
	[ "$(rq images -q | wc -l)" -eq 3 ]
	run -0 rq images -q --no-trunc
	[[ "$output" == *"${want#sha256:}"* ]]
	run -0 mounted_tree "${want#sha256:}"
	diff -u <(tree "$B/rootfs") <(echo "$output")
	[[ "$output" == *"./etc/keep f 644 7 8 5  1"* ]]
	[[ "$output" != *"./etc/hi "* ]]
	[[ "$output" != *"./d/sub"* ]]
	rm -rf "$B"
}

@test "rongqi save in both formats: podman loads the same id, skopeo sees the same layers" {
	require_podman
	local id
	id=$(cat "$BATS_FILE_TMPDIR/pm.id")
	run -0 rq load -q -i "$BATS_FILE_TMPDIR/multi.tar"
	rq save -o "$BATS_TEST_TMPDIR/d.tar" localhost/multi:1
	rq save --format oci-archive -o "$BATS_TEST_TMPDIR/o.tar" localhost/multi:1
	local want_layers
	want_layers=$(skopeo inspect --config "docker-archive:$BATS_FILE_TMPDIR/multi.tar" |
		jq -c .rootfs.diff_ids)
	# skopeo reads both archives: same config, same diff ids
	[ "$(skopeo inspect --config "docker-archive:$BATS_TEST_TMPDIR/d.tar" | jq -c .rootfs.diff_ids)" = "$want_layers" ]
	[ "$(skopeo inspect --config "oci-archive:$BATS_TEST_TMPDIR/o.tar" | jq -c .rootfs.diff_ids)" = "$want_layers" ]
	[ "$(skopeo inspect --raw "oci-archive:$BATS_TEST_TMPDIR/o.tar" | jq -r .config.digest)" = "sha256:$id" ]
	run -0 skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/d.tar"
	[ "$(jq -r '.Layers | length' <<<"$output")" -eq 2 ]
	# the docker-archive keeps the name; podman loads both into a fresh store with the same id
	local P=$BATS_TEST_TMPDIR/p2 a
	for a in d.tar o.tar; do
		rm -rf "$P"
		run -0 podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" \
			--storage-driver vfs --events-backend file --cgroup-manager=cgroupfs \
			load -q -i "$BATS_TEST_TMPDIR/$a"
		[ "$a" = o.tar ] || [[ "$output" == *"localhost/multi:1"* ]]
		run -0 podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" \
			--storage-driver vfs --events-backend file --cgroup-manager=cgroupfs \
			images -q --no-trunc
		[ "$output" = "sha256:$id" ]
		podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" \
			--storage-driver vfs --events-backend file --cgroup-manager=cgroupfs rmi -a -f >/dev/null
		rm -rf "$P"
	done
	# and rongqi loads its own archives back to the same image
	for a in d.tar o.tar; do
		rm -rf "$ROOT" "$RUNROOT"
		run -0 rq load -q -i "$BATS_TEST_TMPDIR/$a"
		[ "$(rq images -q --no-trunc)" = "$id" ]
	done
	# several images in one archive, written to a pipe
	mkarchive "$BATS_TEST_TMPDIR/b.tar" localhost/b:1 'file b 0644 b'
	local b=$ARCHIVE_ID
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/b.tar"
	rq save localhost/multi:1 localhost/b:1 | cat >"$BATS_TEST_TMPDIR/two.tar"
	[ "$(tar -xOf "$BATS_TEST_TMPDIR/two.tar" manifest.json | jq -c '[.[].RepoTags[0]]')" = '["localhost/multi:1","localhost/b:1"]' ]
	rm -rf "$ROOT" "$RUNROOT"
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/two.tar"
	[ "$(rq images -q --no-trunc | sort)" = "$(printf '%s\n' "$id" "$b" | sort)" ]
}

@test "load reads gzip and zstd compressed archives from a pipe; a name moves to the image loaded last" {
	gzip -c "$BATS_FILE_TMPDIR/multi.tar" | rq load -q
	local id
	id=$(cat "$BATS_FILE_TMPDIR/multi.id")
	[ "$(rq images -q --no-trunc)" = "$id" ]
	# a different image of the same name: the name moves, the old image stays unnamed
	CONFIG_EXTRA='{"config": {"Cmd": ["other"]}}' mkarchive "$BATS_TEST_TMPDIR/o.tar" localhost/multi:1 'file a 0644 a'
	local other=$ARCHIVE_ID
	zstd -q -c "$BATS_TEST_TMPDIR/o.tar" | rq load -q
	run -0 rq images --format json
	[ "$(jq -r '.[] | select(.Id == "'"$other"'") | .RepoTags[0]' <<<"$output")" = localhost/multi:1 ]
	[ "$(jq -r '.[] | select(.Id == "'"$id"'") | .RepoTags | length' <<<"$output")" -eq 0 ]
	# the same archive twice: one image, nothing stored twice
	local before
	before=$(store_state)
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/o.tar"
	[ "$output" = "Loaded image: localhost/multi:1" ]
	[ "$(store_state)" = "$before" ]
	[ "$(rq images -q | wc -l)" -eq 2 ]
}

# ---------------------------------------------------------------------------------------------
# Hostile archives

# hostile_load ENTRY REASON SPEC...: load a docker-archive of the layer specs; it must fail
# naming ENTRY and REASON, write nothing outside the store, and leave the store as it was.
hostile_load() {
	local entry=$1 reason=$2
	shift 2
	mkdir -p "$BATS_TEST_TMPDIR/sentinel"
	echo untouched >"$BATS_TEST_TMPDIR/sentinel/file"
	run -0 rq images -q
	local before_images=$output before_store
	before_store=$(store_state)
	local before_host
	before_host=$(cd "$BATS_TEST_TMPDIR" && find sentinel -printf '%p %y %m %s %n %T@\n' | sort)
	mkarchive "$BATS_TEST_TMPDIR/bad.tar" localhost/bad:1 "$@"
	run -125 rq load -q -i "$BATS_TEST_TMPDIR/bad.tar"
	[[ "$output" == *"layer entry $entry: "*"$reason"* ]]
	[ "$(cd "$BATS_TEST_TMPDIR" && find sentinel -printf '%p %y %m %s %n %T@\n' | sort)" = "$before_host" ]
	[ "$(cat "$BATS_TEST_TMPDIR/sentinel/file")" = untouched ]
	[ -z "$(find "$BATS_TEST_TMPDIR" -name 'escaped*')" ]
	run -0 rq images -q
	[ "$output" = "$before_images" ]
	[ "$(store_state)" = "$before_store" ]
	[ -z "$(ls -A "$ROOT/tmp")" ]
}

# Every hostile load runs against a store that already holds an image, so "nothing new" means
# something.
hostile_setup() {
	run -0 rq load -q -i "$BATS_FILE_TMPDIR/multi.tar"
}

@test "load refuses a layer entry with a .. component, naming it" {
	hostile_setup
	hostile_load '../../../../escaped' 'a ".." component' 'file ../../../../escaped 0644 x'
	hostile_load 'a/../../escaped' 'a ".." component' 'dir a 0755
file a/../../escaped 0644 x'
}

@test "load refuses a layer entry with an absolute name, naming it" {
	hostile_setup
	hostile_load "$BATS_TEST_TMPDIR/escaped" 'an absolute name' "file $BATS_TEST_TMPDIR/escaped 0644 x"
}

@test "load refuses an entry below a symlink of the same layer; the link's target is untouched" {
	hostile_setup
	hostile_load 'evil/file' 'evil is a symlink in this layer' "symlink evil $BATS_TEST_TMPDIR/sentinel
file evil/file 0644 x"
}

@test "load refuses an entry below a symlink of an earlier layer; the link's target is untouched" {
	hostile_setup
	hostile_load 'evil/file' 'evil is a symlink in a lower layer' \
		"symlink evil $BATS_TEST_TMPDIR/sentinel" 'file evil/file 0644 x'
}

@test "load refuses a hard link to a file outside the layer, naming it" {
	hostile_setup
	hostile_load 'evil' 'outside the layer' "hardlink evil $BATS_TEST_TMPDIR/sentinel/file"
	hostile_load 'evil2' 'outside the layer' "hardlink evil2 ../../sentinel/file"
}

@test "load refuses a hard link through a symlink, naming it" {
	hostile_setup
	hostile_load 'evil' 'passes through a symlink' "symlink s $BATS_TEST_TMPDIR/sentinel
hardlink evil s/file"
}

@test "a docker-archive's layer may be a symlink inside the archive (docker's repeated layers), never out of it" {
	local d=$BATS_TEST_TMPDIR/legacy id
	id=$(cat "$BATS_FILE_TMPDIR/multi.id")
	mkdir -p "$d/a" "$d/b" "$d/c"
	tar -C "$d" -xf "$BATS_FILE_TMPDIR/multi.tar"
	local l1 l2
	l1=$(jq -r '.[0].Layers[0]' "$d/manifest.json")
	l2=$(jq -r '.[0].Layers[1]' "$d/manifest.json")
	mv "$d/$l1" "$d/a/layer.tar"
	mv "$d/$l2" "$d/b/layer.tar"
	ln -s ../b/layer.tar "$d/c/layer.tar"
	jq -c '.[0].Layers = ["a/layer.tar", "c/layer.tar"]' "$d/manifest.json" >"$d/m"
	mv "$d/m" "$d/manifest.json"
	(cd "$d" && tar -cf ../legacy.tar manifest.json "$id.json" a b c)
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/legacy.tar"
	[ "$(rq images -q --no-trunc)" = "$id" ]
	# a layer named by a path out of the archive, or a symlink out of it, names nothing (in a
	# store without those layers: a load reads only the layers it does not have)
	run -0 rq rmi "$id"
	local before
	before=$(store_state)
	for target in ../../../../etc/passwd /etc/passwd; do
		rm "$d/c/layer.tar"
		ln -s "$target" "$d/c/layer.tar"
		(cd "$d" && tar -cf ../legacy.tar manifest.json "$id.json" a b c)
		run -125 rq load -q -i "$BATS_TEST_TMPDIR/legacy.tar"
		[ "$output" = "rongqi load: layer c/layer.tar is missing from the archive" ]
	done
	jq -c '.[0].Layers[1] = "../../../../etc/passwd"' "$d/manifest.json" >"$d/m"
	mv "$d/m" "$d/manifest.json"
	(cd "$d" && tar -cf ../legacy.tar manifest.json "$id.json" a b c)
	run -125 rq load -q -i "$BATS_TEST_TMPDIR/legacy.tar"
	[ "$output" = "rongqi load: layer ../../../../etc/passwd is missing from the archive" ]
	[ "$(store_state)" = "$before" ]
}

@test "an OCI layout directory whose blob or blobs/ is a symlink is refused, naming it" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	local L=$BATS_TEST_TMPDIR/lay blob
	skopeo copy -q "docker-archive:$BATS_FILE_TMPDIR/multi.tar" "oci:$L:t"
	cp -a "$L" "$BATS_TEST_TMPDIR/good"
	blob=$(skopeo inspect --raw "oci:$L:t" | jq -r '.layers[0].digest | sub("sha256:"; "")')
	rm "$L/blobs/sha256/$blob"
	ln -s "$BATS_TEST_TMPDIR/good/blobs/sha256/$blob" "$L/blobs/sha256/$blob"
	run -125 rq load -q -i "$L"
	[[ "$output" == *"blobs/sha256/$blob in the image layout"* ]]
	rm -rf "$L"
	mkdir "$L"
	cp -a "$BATS_TEST_TMPDIR/good/index.json" "$BATS_TEST_TMPDIR/good/oci-layout" "$L/"
	ln -s "$BATS_TEST_TMPDIR/good/blobs" "$L/blobs"
	run -125 rq load -q -i "$L"
	[[ "$output" == *"blobs/sha256/"*" in the image layout"* ]]
	[ -z "$(rq images -q)" ]
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/good"
}

# ---------------------------------------------------------------------------------------------
# Corrupt and incomplete archives

@test "load refuses an OCI layout whose layer blob does not match its digest, naming the blob" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	hostile_setup
	local before L blob
	before=$(store_state)
	# uncompressed layers: the changed byte (in the tar's zero end blocks) still parses, only
	# the digest tells; gzip layers: the decompressor or the digest tells
	for L in "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/gz"; do
		if [ "${L##*/}" = plain ]; then
			skopeo copy -q --dest-decompress "docker-archive:$BATS_FILE_TMPDIR/multi.tar" "oci:$L:t"
		else
			skopeo copy -q "docker-archive:$BATS_FILE_TMPDIR/multi.tar" "oci:$L:t"
		fi
		blob=$(skopeo inspect --raw "oci:$L:t" | jq -r '.layers[1].digest | sub("sha256:"; "")')
		local f=$L/blobs/sha256/$blob size
		size=$(stat -c %s "$f")
		printf 'X' | dd of="$f" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
		run -125 rq load -q -i "$L"
		echo "$output"
		[[ "$output" == *"$blob"* ]] || [[ "$output" == *"${blob:0:12}"* ]]
		[ "${L##*/}" = gz ] || [[ "$output" == *"digest"* ]]
		[ "$(rq images -q | wc -l)" -eq 1 ]
		[ "$(store_state)" = "$before" ]
	done
}

@test "load refuses a docker-archive whose layer does not match the config's diff id" {
	hostile_setup
	local before
	before=$(store_state)
	local wrong=sha256:0000000000000000000000000000000000000000000000000000000000000001
	DIFF_IDS=$wrong mkarchive "$BATS_TEST_TMPDIR/bad.tar" localhost/bad:1 'file a 0644 a'
	run -125 rq load -q -i "$BATS_TEST_TMPDIR/bad.tar"
	[[ "$output" == *"has diff id sha256:"*"but the image config says $wrong"* ]]
	[ "$(rq images -q | wc -l)" -eq 1 ]
	[ "$(store_state)" = "$before" ]
}

@test "load refuses truncated, non-archive and empty input with a clear error" {
	hostile_setup
	local before
	before=$(store_state)
	local size
	size=$(stat -c %s "$BATS_FILE_TMPDIR/multi.tar")
	head -c $((size / 2)) "$BATS_FILE_TMPDIR/multi.tar" >"$BATS_TEST_TMPDIR/trunc.tar"
	run -125 rq load -q -i "$BATS_TEST_TMPDIR/trunc.tar"
	echo "truncated: $output"
	[[ "$output" == *"rongqi load"* ]]
	echo 'this is not an archive' >"$BATS_TEST_TMPDIR/text"
	run -125 rq load -q -i "$BATS_TEST_TMPDIR/text"
	echo "text: $output"
	[[ "$output" == *"rongqi load"* ]]
	: >"$BATS_TEST_TMPDIR/empty"
	run -125 rq load -q -i "$BATS_TEST_TMPDIR/empty"
	echo "empty: $output"
	[[ "$output" == *"the input is empty"* ]]
	run -125 rq load -q <"$BATS_TEST_TMPDIR/empty"
	[[ "$output" == *"the input is empty"* ]]
	[ "$(rq images -q | wc -l)" -eq 1 ]
	[ "$(store_state)" = "$before" ]
}

# ---------------------------------------------------------------------------------------------
# Full disk, crash

@test "load onto a full disk fails with ENOSPC, leaves nothing half-written, and images still works" {
	local D=$BATS_TEST_TMPDIR/small
	mkdir -p "$D" "$BATS_TEST_TMPDIR/big"
	head -c 4M /dev/urandom >"$BATS_TEST_TMPDIR/big/blob"
	tar -C "$BATS_TEST_TMPDIR/big" -cf "$BATS_TEST_TMPDIR/big.layer" blob
	mkarchive "$BATS_TEST_TMPDIR/small.tar" localhost/small:1 'file a 0644 a'
	mkarchive "$BATS_TEST_TMPDIR/big.tar" localhost/big:1 'file b 0644 b' "@$BATS_TEST_TMPDIR/big.layer"
	# the tmpfs lives in a mount namespace of its own: it goes when the shell exits
	run -0 unshare -m --propagation private sh -c '
		mount -t tmpfs -o size=3M tmpfs "$1" || exit 99
		r="$2 --root $1/root --runroot $1/run"
		$r load -q -i "$3/small.tar" >/dev/null || exit 98
		$r load -q -i "$3/big.tar"; echo "rc=$?"
		$r import - imp:1 <"$3/big.layer"; echo "import rc=$?"
		$r images --format json | jq -r ".[].RepoTags[]"
		echo "tmp: $(ls -A "$1/root/tmp" | wc -l)"
		echo "layers: $(ls "$1/root/layers" | wc -l)"
		$r rmi localhost/small:1 >/dev/null || exit 97
		echo "after rmi: $(ls -A "$1/root/layers" "$1/root/blobs/sha256" | grep -c "^[0-9a-f]")"
	' sh "$D" "$RONGQI" "$BATS_TEST_TMPDIR"
	echo "$output"
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"rc=125"* ]]
	[[ "$output" == *"rongqi import: "*"No space left on device"* ]]
	[[ "$output" == *"import rc=125"* ]]
	[[ "$output" == *"localhost/small:1"* ]]
	[[ "$output" != *"localhost/big:1"* ]]
	[[ "$output" != *"imp:1"* ]]
	[[ "$output" == *"tmp: 0"* ]]
	# only the small image's layer: not the big image's first one, which did fit
	[[ "$output" == *"layers: 1"* ]]
	[[ "$output" == *"after rmi: 0"* ]]
	! findmnt "$D"
}

@test "a load killed half way leaves no image, and the next write cleans tmp/ and orphans" {
	# 20000 small files: unpacking takes long enough to be caught in the act
	seq 1 20000 | sed 's|.*|file d/f& 0644 some content|; 1i dir d 0755' >"$BATS_TEST_TMPDIR/spec"
	"$MKTAR" <"$BATS_TEST_TMPDIR/spec" >"$BATS_TEST_TMPDIR/big.layer"
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/big:1 'file x 0644 x' "@$BATS_TEST_TMPDIR/big.layer"
	run -0 rq load -q -i "$BATS_FILE_TMPDIR/multi.tar"
	local before
	before=$(store_state)
	# exec: $! must be rongqi itself, not a subshell around it
	(exec "$RONGQI" --root "$ROOT" --runroot "$RUNROOT" load -q -i "$BATS_TEST_TMPDIR/a.tar" \
		>/dev/null 2>&1) &
	local pid=$!
	KILL_PIDS=$pid
	# the big layer's directory is being filled under tmp/
	local i
	for i in $(seq 1 500); do
		[ -z "$(find "$ROOT/tmp" -mindepth 3 -name 'f*' -print -quit 2>/dev/null)" ] || break
		sleep 0.01
	done
	kill -KILL "$pid"
	wait "$pid" || true
	KILL_PIDS=
	[ -n "$(find "$ROOT/tmp" -mindepth 3 -name 'f*' -print -quit)" ]
	# nothing visible; a reader leaves the leftovers alone
	run -0 rq images -q
	[ "$output" = "$(cat "$BATS_FILE_TMPDIR/multi.id" | cut -c1-12)" ]
	# the next writer removes them, and the first layer that did get into place
	run -0 rq tag localhost/multi:1 other:1
	[ -z "$(ls -A "$ROOT/tmp")" ]
	diff -u <(echo "$before") <(store_state)
	# the interrupted image loads now
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/a.tar"
	[ "$(rq images -q | wc -l)" -eq 2 ]
	[ -z "$(ls -A "$ROOT/tmp")" ]
	run -0 rq rmi localhost/big:1
	[ "$(store_state)" = "$before" ]
}

# ---------------------------------------------------------------------------------------------
# The commands

@test "images lists ids, digests, JSON and filters by repository and tag" {
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/app:1 'file a 0644 a'
	local a=$ARCHIVE_ID
	mkarchive "$BATS_TEST_TMPDIR/b.tar" docker.io/library/other:2 'file b 0644 b'
	local b=$ARCHIVE_ID
	run -0 rq load -i "$BATS_TEST_TMPDIR/a.tar"
	# progress lines on a non-terminal
	[[ "$output" == *"Copying blob "* ]]
	[[ "$output" == *"Loaded image: localhost/app:1"* ]]
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/b.tar"
	[[ "$output" != *"Copying blob"* ]]
	run -0 rq images -q
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "${a:0:12}" "${b:0:12}" | sort)" ]
	run -0 rq images --no-trunc
	[ "${lines[0]:0:10}" = REPOSITORY ]
	[[ "$output" == *"localhost/app"*" 1 "*"$a"* ]]
	run -0 rq images --digests
	[[ "${lines[0]}" == *DIGEST* ]]
	[[ "$output" == *"sha256:"* ]]
	run -0 rq images --format json
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r '.[] | select(.Id == "'"$a"'") | .RepoTags[0]' <<<"$output")" = localhost/app:1 ]
	jq -e '.[] | select(.Id == "'"$b"'") | .RepoDigests[0] | startswith("docker.io/library/other@sha256:")' <<<"$output"
	# filters: a short name is normalised as a reference; a tag filters only when given
	run -0 rq images -q other
	[ "$output" = "${b:0:12}" ]
	run -0 rq images -q other:2
	[ "$output" = "${b:0:12}" ]
	run -0 rq images -q other:3
	[ -z "$output" ]
	run -0 rq images -q localhost/app
	[ "$output" = "${a:0:12}" ]
}

@test "tag names short names as podman does and refuses a digest" {
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/app:1 'file a 0644 a'
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/a.tar"
	run -0 rq tag localhost/app:1 myname:v2 quay.io/x/y
	run -0 rq image inspect --format '{{json .RepoTags}}' localhost/app:1
	jq -e 'sort == ["localhost/app:1", "localhost/myname:v2", "quay.io/x/y:latest"]' <<<"$output"
	run -125 rq tag localhost/app:1 "app@sha256:$(printf '%064d' 1)"
	[[ "$output" == *"digest"* ]]
	run -125 rq tag nosuch:1 x
	[[ "$output" == *"image not known"* ]]
}

@test "rmi untags one name of several, refuses an id with several names without -f, and refuses a mounted image" {
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/app:1 'file a 0644 a'
	local id=$ARCHIVE_ID
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/a.tar"
	run -0 rq tag app:1 app:2 app:3
	run -0 rq rmi app:2
	[ "$output" = "Untagged: localhost/app:2" ]
	[ "$(rq image inspect --format '{{json .RepoTags}}' "$id" | jq length)" -eq 2 ]
	run -125 rq rmi "${id:0:12}"
	[[ "$output" == *"2 names"* ]]
	[[ "$output" == *"--force"* ]]
	run -0 rq image mount "$id"
	local mnt=$output
	run -125 rq rmi -f "$id"
	[[ "$output" == *"$mnt"* ]] || [[ "$output" == *"mounted at $RUNROOT"* ]]
	[[ "$output" == *"rongqi image unmount"* ]]
	run -0 rq image unmount "$id"
	run -0 rq rmi -f "$id"
	[[ "$output" == *"Untagged: localhost/app:1"* ]]
	[[ "$output" == *"Deleted: sha256:$id"* ]]
	run -125 rq rmi "$id"
	[[ "$output" == *"image not known"* ]]
	run -125 rq rmi nosuch
	[[ "$output" == *"image not known"* ]]
	[ -z "$(ls -A "$ROOT/layers")" ]
	[ -z "$(ls -A "$ROOT/blobs/sha256")" ]
}

@test "history shows one row per layer with its size; inspect gives the id, the layers and JSON" {
	run -0 rq load -q -i "$BATS_FILE_TMPDIR/multi.tar"
	local id
	id=$(cat "$BATS_FILE_TMPDIR/multi.id")
	run -0 rq history localhost/multi:1
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == IMAGE* ]]
	[[ "${lines[0]}" == *SIZE* ]]
	[[ "${lines[1]}" == "${id:0:12}"* ]]
	[[ "$output" == *"layer sha256:"* ]]
	[[ "${lines[2]}" == "<missing> "* ]]
	# sizes as podman shows them for the same image
	if [ -f "$BATS_FILE_TMPDIR/pm.id" ]; then
		local k=1 size
		for size in $(pm history --format '{{.Size}}' localhost/multi:1 | tr ' ' _); do
			[[ "${lines[k]}" == *" ${size/_/ } "* ]]
			k=$((k + 1))
		done
		[ "$k" -eq 3 ]
	fi
	run -0 rq image inspect --format '{{.Id}}' localhost/multi:1
	[ "$output" = "sha256:$id" ] || [ "$output" = "$id" ]
	run -0 rq image inspect --format '{{json .RootFS.Layers}}' localhost/multi:1
	[ "$output" = "$(tar -xOf "$BATS_FILE_TMPDIR/multi.tar" "$id.json" | jq -c .rootfs.diff_ids)" ]
	run -0 rq image inspect localhost/multi:1 "${id:0:12}"
	jq -e 'type == "array" and length == 2 and .[0].Config.Cmd == ["sh"] and (.[0].RepoTags | index("localhost/multi:1"))' <<<"$output"
	run -125 rq image inspect nosuch
	[[ "$output" == *"image not known"* ]]
}

@test "image prune removes unnamed images, -a every image, and wants -f without a terminal" {
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/app:1 'file a 0644 a'
	local a=$ARCHIVE_ID
	mkarchive "$BATS_TEST_TMPDIR/b.tar" "" 'file b 0644 b'
	local b=$ARCHIVE_ID
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/a.tar"
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/b.tar"
	run -125 rq image prune </dev/null
	[[ "$output" == *"--force"* ]]
	[ "$(rq images -q | wc -l)" -eq 2 ]
	run -0 rq image prune -f
	[[ "$output" == *"deleted: sha256:$b"* ]]
	[[ "$output" == *"Total reclaimed space:"* ]]
	run -0 rq images -q --no-trunc
	[ "$output" = "$a" ]
	run -0 rq image prune -a -f
	[[ "$output" == *"deleted: sha256:$a"* ]]
	[ -z "$(rq images -q)" ]
	[ -z "$(ls -A "$ROOT/layers")" ]
	[ -z "$(ls -A "$ROOT/blobs/sha256")" ]
}

@test "import makes an image from a tarball file or gzip on stdin, with --change applied" {
	mklayer 'file hello 0644 hi' "$BATS_TEST_TMPDIR/root.tar"
	run -0 rq import "$BATS_TEST_TMPDIR/root.tar" imp:1
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]] || [[ "${lines[-1]}" =~ ^sha256:[0-9a-f]{64}$ ]]
	run -0 rq image inspect --format '{{json .RootFS.Layers}}' imp:1
	[ "$output" = "[\"sha256:$(sha256sum "$BATS_TEST_TMPDIR/root.tar" | cut -d' ' -f1)\"]" ]
	gzip -c "$BATS_TEST_TMPDIR/root.tar" |
		rq import --change 'CMD ["/bin/app", "-x"]' --change 'ENV A=b' --change 'WORKDIR /w' \
			-m 'from stdin' - imp:2
	run -0 rq image inspect imp:2
	jq -e '.[0].Config.Cmd == ["/bin/app", "-x"] and (.[0].Config.Env | index("A=b")) and .[0].Config.WorkingDir == "/w"' <<<"$output"
	run -0 rq history --no-trunc imp:2
	[[ "$output" == *"from stdin"* ]]
	run -0 mounted_tree imp:2
	[[ "$output" == *"./hello f 644 0 0 3  1"* ]]
	run -125 rq import --change 'BOGUS x' "$BATS_TEST_TMPDIR/root.tar" imp:3
	[[ "$output" == *"BOGUS"* ]]
	run -125 rq image inspect imp:3
}

@test "info prints the store root and the cgroup mode, also as JSON" {
	run -0 rq info
	[[ "$output" == *"root: $ROOT"* ]]
	[[ "$output" == *"cgroupMode: "* ]]
	run -0 rq info --format json
	[ "$(jq -r .store.root <<<"$output")" = "$ROOT" ]
	[ "$(jq -r .store.runRoot <<<"$output")" = "$RUNROOT" ]
	jq -e '.host.cgroup.mode | length > 0' <<<"$output"
}

@test "the built-in busybox image is made on first use, once, with the same id in every store" {
	[ -x /bin/busybox ] || skip "busybox-static is not installed"
	run --separate-stderr -0 rq image mount busybox
	[ "$(grep -c 'note: made the image docker.io/library/busybox:latest' <<<"$stderr")" -eq 1 ]
	# its root has a shell and a passwd
	[ -x "$output/bin/sh" ]
	grep -q '^root:' "$output/etc/passwd"
	run -0 rq image unmount busybox
	run --separate-stderr -0 rq image inspect --format '{{.Id}}' busybox
	[ -z "$stderr" ]
	local id1=$output
	# another fresh store makes the same image
	local R2=$BATS_TEST_TMPDIR/root2
	run --separate-stderr -0 "$RONGQI" --root "$R2" --runroot "$RUNROOT" image inspect --format '{{.Id}}' busybox
	[ "$output" = "$id1" ]
	[ "$(grep -c 'made the image' <<<"$stderr")" -eq 1 ]
	run --separate-stderr -0 "$RONGQI" --root "$R2" --runroot "$RUNROOT" image inspect --format '{{.Id}}' busybox
	[ -z "$stderr" ]
}

@test "--root must be absolute; RONGQI_ROOT is honoured" {
	run -125 "$RONGQI" --root relative/dir images
	[[ "$output" == *"not an absolute path"* ]]
	RONGQI_ROOT=relative run -125 "$RONGQI" --runroot "$RUNROOT" images
	[[ "$output" == *"'relative' is not an absolute path"* ]]
	[ ! -e relative ]
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/app:1 'file a 0644 a'
	RONGQI_ROOT=$ROOT run -0 "$RONGQI" --runroot "$RUNROOT" load -q -i "$BATS_TEST_TMPDIR/a.tar"
	[ -f "$ROOT/rongqi.db" ]
	run -0 rq images -q --no-trunc
	[ "$output" = "$ARCHIVE_ID" ]
	RONGQI_ROOT=$ROOT run -0 "$RONGQI" --runroot "$RUNROOT" info --format json
	[ "$(jq -r .store.root <<<"$output")" = "$ROOT" ]
}

# ---------------------------------------------------------------------------------------------
# Sharing

@test "two images sharing a base layer store it once; it goes with the last image using it" {
	local base='dir etc 0755
file etc/base 0644 base'
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/a:1 "$base" 'file a 0644 a'
	mkarchive "$BATS_TEST_TMPDIR/b.tar" localhost/b:1 "$base" 'file b 0644 b'
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/a.tar"
	run -0 rq load -q -i "$BATS_TEST_TMPDIR/b.tar"
	local base_id
	base_id=$(mklayer "$base" /dev/stdout | sha256sum | cut -d' ' -f1)
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 3 ]
	[ -d "$ROOT/layers/$base_id/diff" ]
	run -0 rq rmi localhost/a:1
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 2 ]
	[ -d "$ROOT/layers/$base_id/diff" ]
	run -0 mounted_tree localhost/b:1
	[[ "$output" == *"./etc/base f"* ]]
	run -0 rq rmi localhost/b:1
	[ -z "$(ls -A "$ROOT/layers")" ]
	[ -z "$(ls -A "$ROOT/blobs/sha256")" ]
	[ -z "$(ls -A "$ROOT/tmp")" ]
}

@test "loads running at once wait for each other and all succeed" {
	mkarchive "$BATS_TEST_TMPDIR/a.tar" localhost/a:1 'file a 0644 a'
	mkarchive "$BATS_TEST_TMPDIR/b.tar" localhost/b:1 'file b 0644 b'
	local pids=() p a
	for a in "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/b.tar" "$BATS_FILE_TMPDIR/multi.tar"; do
		(exec "$RONGQI" --root "$ROOT" --runroot "$RUNROOT" load -q -i "$a" >/dev/null 2>>"$BATS_TEST_TMPDIR/err") &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || { cat "$BATS_TEST_TMPDIR/err"; false; }; done
	[ "$(rq images -q | wc -l)" -eq 3 ]
	[ -z "$(ls -A "$ROOT/tmp")" ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 4 ]
}

@test "export before containers exist names the container and points at image mount and save" {
	run -125 rq export web
	[[ "$output" == *"web: no such container"* ]]
	[[ "$output" == *"rongqi image mount IMAGE"* ]]
}

@test "an unprivileged user's store is in XDG_DATA_HOME, and loading says rootless unpacking is not there yet" {
	require_test_user
	[ -x "$RQ_BIN_DIR/rongqi" ] || skip "no rongqi in \$RQ_BIN_DIR"
	# a directory the test user can reach (bats' own are root's, mode 0700)
	USER_HOME=$(mktemp -d /tmp/rq-images-user-XXXXXX)
	local home=$USER_HOME
	chmod 755 "$home"
	chown "$RQ_TEST_UID:$RQ_TEST_GID" "$home"
	cp "$BATS_FILE_TMPDIR/multi.tar" "$home/a.tar"
	chmod 644 "$home/a.tar"
	run -0 as_user env XDG_DATA_HOME="$home/data" "$RQ_BIN_DIR/rongqi" info --format '{{.store.root}}'
	[ "$output" = "$home/data/rongqi" ]
	run -125 as_user env XDG_DATA_HOME="$home/data" "$RQ_BIN_DIR/rongqi" load -i "$home/a.tar"
	[[ "$output" == *"unpacking image layers as an unprivileged user is not supported yet"* ]]
	[[ "$output" == *"hint: run it as root"* ]]
	[ -z "$(ls -A "$home/data/rongqi/tmp")" ]
	[ -z "$(ls -A "$home/data/rongqi/layers")" ]
}
