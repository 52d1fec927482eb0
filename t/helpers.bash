# t/helpers.bash: shared set-up for the bats suite. Tests run the built
# programs from the build tree; every test works in its own
# $BATS_TEST_TMPDIR and leaves no process behind.

bats_require_minimum_version 1.5.0

: "${DAGZ_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${DAGZ_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export DAGZ_BINDIR="$DAGZ_BUILDDIR"
# The language hooks, from the source tree.
export DAGZ_HOOKS_DIR="$DAGZ_SRCDIR/hooks"
export PATH="$DAGZ_BUILDDIR/scripts:$DAGZ_BUILDDIR:$PATH"
export NO_COLOR=1
export DAGZ_NO_STORE=1
unset DAGZ_URL DAGZ_TOKEN CI GITLAB_CI GITHUB_ACTIONS BUILDKITE CIRCLECI
unset CI_PIPELINE_ID CI_JOB_ID CI_JOB_NAME CI_NODE_INDEX CI_NODE_TOTAL
unset GITHUB_RUN_ID GITHUB_RUN_ATTEMPT BUILDKITE_RETRY_COUNT DAGZ_RUN_KEY
# Under --enable-asan, a dagz run inside a probed test has the probe
# preloaded before the sanitizer's runtime: let it be.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# The store's own tests start a dagzd each, with dagzd_start.
export DAGZ_HOME="$BATS_TEST_TMPDIR/home"

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
# One grep over every environ file: a loop of one per process takes seconds.
pids_with_env() {
	grep -l -s -z -x -F "$1=$2" /proc/[0-9]*/environ |
	    sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
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

# Starts a dagzd for this test alone: its home in $BATS_TEST_TMPDIR/home,
# listening on a port the kernel picks (or DAGZD_LISTEN), with the
# arguments given. Waits for its readiness line, then sets DAGZ_URL,
# DAGZD_PORT and DAGZD_PID and turns the store on for dagz run. Stop it
# with dagzd_stop (in teardown).
dagzd_start() {
	local out="$BATS_TEST_TMPDIR/dagzd.out" i
	mkdir -p "$DAGZ_HOME"
	: >"$out"
	dagzd -H "$DAGZ_HOME" -l "${DAGZD_LISTEN:-127.0.0.1:0}" "$@" \
	    >"$out" 2>>"$BATS_TEST_TMPDIR/dagzd.err" 3>&- &
	DAGZD_PID=$!
	for i in $(seq 200); do
		grep -q '^dagzd: listening on ' "$out" && break
		if ! kill -0 "$DAGZD_PID" 2>/dev/null; then
			cat "$BATS_TEST_TMPDIR/dagzd.err" >&2
			return 1
		fi
		sleep 0.05
	done
	DAGZ_URL=$(sed -n 's/^dagzd: listening on \([^ ]*\).*/\1/p' "$out")
	[ -n "$DAGZ_URL" ] || return 1
	DAGZD_PORT=${DAGZ_URL##*:}
	export DAGZ_URL DAGZD_PORT DAGZD_PID
	unset DAGZ_NO_STORE
}

# Stops the test's dagzd, if it runs, and checks it exited cleanly.
dagzd_stop() {
	[ -n "${DAGZD_PID:-}" ] || return 0
	kill -TERM "$DAGZD_PID" 2>/dev/null || return 0
	local rc=0
	wait "$DAGZD_PID" || rc=$?
	DAGZD_PID=
	return "$rc"
}

# PATH without the libexec directory bats puts first on it, so that a
# bats a test starts is the one a user would run.
user_bats_path() {
	PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/bats-core$' |
	    paste -sd :)
}

# One dagzd for every test of a file: dagzd_file_start in setup_file
# starts it as dagzd_start does, in $BATS_FILE_TMPDIR, its home (and
# DAGZ_HOME) $BATS_FILE_TMPDIR/home; dagzd_file_use in setup gives a
# test that DAGZ_HOME and its DAGZ_URL, the store on; dagzd_file_stop
# in teardown_file stops it.
dagzd_file_start() {
	export DAGZ_HOME="$BATS_FILE_TMPDIR/home"
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR dagzd_start "$@" || return 1
	echo "$DAGZD_PID" >"$BATS_FILE_TMPDIR/pid"
	echo "$DAGZ_URL" >"$BATS_FILE_TMPDIR/url"
}

dagzd_file_use() {
	export DAGZ_HOME="$BATS_FILE_TMPDIR/home"
	DAGZ_URL=$(cat "$BATS_FILE_TMPDIR/url")
	export DAGZ_URL
	unset DAGZ_NO_STORE
}

dagzd_file_stop() {
	DAGZD_PID=$(cat "$BATS_FILE_TMPDIR/pid")
	dagzd_stop
}

# A TCP port on 127.0.0.1 that nothing listens on, below the kernel's
# range of ports for outgoing connections: one of those may be taken by
# a client's connection between this choice and the bind.
free_port() {
	local p lo=32768 hi
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || :
	((lo > 11024)) || lo=32768
	for p in $(shuf -i 10000-$((lo - 1)) -n 50); do
		if ! (exec 5<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

# Runs zb init in the current directory, then checks that dagz run with
# no flags collects what the flags given here collect (ignoring which
# adapter said so); prints zb init's output on failure.
assert_zb_init_collects() {
	local out=$BATS_TEST_TMPDIR/zb-init
	zb init >"$out.txt" 2>&1 || { cat "$out.txt"; return 1; }
	dagz_run --list | jq -c 'del(.source)' >"$out.config"
	dagz_run --list "$@" | jq -c 'del(.source)' >"$out.flags"
	if [ ! -s "$out.flags" ] || ! diff -u "$out.flags" "$out.config"; then
		cat "$out.txt" .dagz/config.yaml
		return 1
	fi
}

# The tests that ran (not DESELECTED) in the events file $ev, sorted, on
# one line: what selection chose.
ran() {
	jq -r 'select(.type=="result" and .status!="DESELECTED") | .test' \
	    "$ev" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# Makes a private CA in $BATS_TEST_TMPDIR: NAME.pem and NAME.key.
tls_make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=$1" -days 2 -keyout "$BATS_TEST_TMPDIR/$1.key" \
	    -out "$BATS_TEST_TMPDIR/$1.pem" 2>/dev/null
}

# Makes NAME.pem and NAME.key in $BATS_TEST_TMPDIR, a server certificate
# signed by CA (made with tls_make_ca) for the subjectAltName SAN
# (default DNS:localhost,IP:127.0.0.1).
tls_make_cert() {
	local ca=$BATS_TEST_TMPDIR/$1 out=$BATS_TEST_TMPDIR/$2
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=$2" -keyout "$out.key" -out "$out.csr" 2>/dev/null &&
	    printf 'subjectAltName=%s\n' "${3:-DNS:localhost,IP:127.0.0.1}" \
	    >"$out.ext" &&
	    openssl x509 -req -in "$out.csr" -CA "$ca.pem" -CAkey "$ca.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	    -days 2 -extfile "$out.ext" -out "$out.pem" 2>/dev/null
}
