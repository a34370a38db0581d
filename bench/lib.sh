# Sourced by the bench/ scripts (bash).

# write_section NAME TEXT FILE: replace the lines between "<!-- NAME: begin -->" and
# "<!-- NAME: end -->" of FILE with TEXT (which carries the markers itself), or append TEXT.
write_section() {
	local name=$1 text=$2 file=$3 new
	new=$(mktemp)
	if [ -f "$file" ] && grep -q "^<!-- $name: begin -->" "$file"; then
		awk -v s="$text" -v b="<!-- $name: begin -->" -v e="<!-- $name: end -->" '
			$0 == b { print s; skip = 1; next }
			$0 == e { skip = 0; next } !skip' "$file" >"$new"
	else
		{ [ -f "$file" ] && cat "$file" && echo; echo "$text"; } >"$new"
	fi
	cat "$new" >"$file"
	rm -f "$new"
}

# bench_start DEFAULT_RUNS [--runs N]: sets $runs; installs what is missing (scripts/deps.sh)
# and builds.
bench_start() {
	runs=$1
	[ "${2:-}" = "--runs" ] && runs=$3
	scripts/deps.sh
	[ -d build ] || meson setup build >/dev/null
	ninja -C build >/dev/null
}
