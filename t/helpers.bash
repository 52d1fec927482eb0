# t/helpers.bash: shared set-up for the bats suite. Tests run the built
# programs from the build tree; every test works in its own
# $BATS_TEST_TMPDIR and leaves no process behind.

bats_require_minimum_version 1.5.0

: "${DAGZ_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${DAGZ_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export DAGZ_BINDIR="$DAGZ_BUILDDIR"
export PATH="$DAGZ_BUILDDIR/scripts:$DAGZ_BUILDDIR:$PATH"
export NO_COLOR=1
export DAGZ_NO_STORE=1
unset DAGZ_URL DAGZ_TOKEN CI GITLAB_CI GITHUB_ACTIONS BUILDKITE CIRCLECI

# Writes a manifest from stdin into $BATS_TEST_TMPDIR/NAME (default
# suite.ndjson) and prints its path.
manifest() {
	local f="$BATS_TEST_TMPDIR/${1:-suite.ndjson}"
	cat >"$f"
	printf '%s\n' "$f"
}

# Runs dagz with the tests' defaults: a private log dir and events file.
dagz_run() {
	dagz run --log-dir "$BATS_TEST_TMPDIR/logs" "$@" 3>&-
}

# Prints the pids of live processes whose environment holds NAME=VALUE.
pids_with_env() {
	local name=$1 value=$2 p
	for p in /proc/[0-9]*; do
		tr '\0' '\n' 2>/dev/null <"$p/environ" |
		    grep -qx "$name=$value" && printf '%s\n' "${p#/proc/}"
	done
	return 0
}

# Fails if any process still carries the marker variable of this test.
assert_no_process_with_env() {
	local left
	left=$(pids_with_env "$1" "$2")
	if [ -n "$left" ]; then
		echo "processes left behind: $left" >&2
		ps -o pid,ppid,pgid,args -p "$(echo $left | tr ' ' ',')" >&2 || :
		return 1
	fi
}

# Status of TEST's last attempt in an events file.
event_status() {
	jq -r --arg t "$2" 'select(.type=="result" and .test==$t) | .status' \
	    "$1" | tail -n 1
}

# Prints EXPR (a jq filter) of TEST's last result in an events file.
event_get() {
	jq -r --arg t "$2" "select(.type==\"result\" and .test==\$t) | $3" \
	    "$1" | tail -n 1
}
