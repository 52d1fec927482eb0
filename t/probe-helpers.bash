# t/probe-helpers.bash: running programs under libdagzprobe.so in the
# bats tests. Each test gets a project root ($root, its working
# directory) and an output directory ($out); trace prints what the probe
# recorded there, merged, as JSON (t/probe-dump), or a jq filter of it.

load helpers

PROBE=$DAGZ_BUILDDIR/probe/libdagzprobe.so

probe_setup() {
	root=$BATS_TEST_TMPDIR/proj
	out=$BATS_TEST_TMPDIR/out
	mkdir -p "$root" "$out"
	cd "$root"
}

# Runs a command under the probe, with the test's root and output.
probed() {
	env LD_PRELOAD="$PROBE" DAGZ_PROBE_ROOT="$root" \
	    DAGZ_PROBE_OUT="$out" "$@"
}

# Prints the merged trace, or the jq filter $1 of it, on one line.
trace() {
	"$DAGZ_BUILDDIR/t/probe-dump" "$out" | jq -c "${1:-.}"
}

# Compiles the C program on stdin into $1 (extra cc flags after it).
compile() {
	local exe=$1
	shift
	command -v "${CC:-cc}" >/dev/null || skip "no C compiler"
	cat >"$BATS_TEST_TMPDIR/${exe##*/}.c"
	"${CC:-cc}" -o "$exe" "$@" "$BATS_TEST_TMPDIR/${exe##*/}.c" -lpthread
}

# Fails unless the trace's list $1 (reads, lists, missing or writes)
# holds every path given after it.
trace_has() {
	local list=$1
	shift
	trace ".$list" | jq -e --args '. as $l | $ARGS.positional |
	    all(. as $p | $l | any(. == $p))' "$@" >/dev/null
}

# Fails if the trace's list $1 holds any path given after it.
trace_lacks() {
	local list=$1
	shift
	trace ".$list" | jq -e --args '. as $l | $ARGS.positional |
	    all(. as $p | $l | all(. != $p))' "$@" >/dev/null
}
