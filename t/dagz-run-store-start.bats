#!/usr/bin/env bats
# Only a real run starts the store: dagz run --help, --version, a bad
# flag, a bad manifest, --list and --plan print or fail and start no
# dagzd; a run of tests starts one when none answers, before it asks for
# a --baseline.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	port=$(free_port)
	export DAGZ_URL=http://127.0.0.1:$port
	unset DAGZ_NO_STORE
	m=$(manifest <<<'{"id": "hello", "sh": "echo hello"}')
}

teardown() {
	zb daemon down --quiet 3>&- || :
}

# No dagzd was started for $DAGZ_HOME: none listens on the test's port,
# none runs with this home, and none logged a start there.
no_dagzd() {
	local p
	run -1 zb daemon status 3>&-
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = dagzd ] || continue
		! tr '\0' '\n' <"$p/environ" 2>/dev/null |
		    grep -qxF "DAGZ_HOME=$DAGZ_HOME" || return 1
	done
	[ ! -e "$DAGZ_HOME/dagzd.log" ]
}

@test "dagz run --help prints the usage on stdout, exits 0 and starts nothing" {
	run -0 --separate-stderr dagz run --help 3>&-
	[ "${lines[0]}" = "usage: dagz run [-v] [-j workers] [--all | --observe] [--baseline id]" ]
	[ "${lines[-1]}" = "                (none: those of .dagz/config.yaml)" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr dagz-sched -h 3>&-
	[ "${lines[0]}" = "usage: dagz run [-v] [-j workers] [--all | --observe] [--baseline id]" ]
	no_dagzd
}

@test "--version, bad usage, a bad manifest, --list and --plan start no dagzd" {
	run -0 --separate-stderr dagz run --version 3>&-
	[ "$output" = "dagz $(sed -n 's/^PACKAGE_VERSION = //p' "$DAGZ_BUILDDIR/Makefile")" ]
	run -2 --separate-stderr dagz run --bogus --manifest "$m" 3>&-
	[ "$output" = "" ]
	[ "$stderr" = "dagz-run: unknown option '--bogus'; see dagz(1)" ]
	run -2 --separate-stderr dagz run -j 0 --manifest "$m" 3>&-
	[ "$stderr" = "dagz-run: -j: workers is too small: 0" ]
	printf '{"id": "a", "sh": 1}\n' >bad.ndjson
	run -2 dagz_run --manifest bad.ndjson
	run -0 --separate-stderr dagz_run --list --manifest "$m"
	[ "$(jq -r .id <<<"$output")" = "hello" ]
	run -0 --separate-stderr dagz_run --plan --manifest "$m"
	[ "$(jq -r 'select(.type == "plan") | .test' <<<"$output")" = "hello" ]
	[ "$stderr" = "" ]
	no_dagzd
}

@test "a real run still starts a dagzd when none answers, and records the job" {
	run -0 dagz_run --manifest "$m"
	grep -qx "[0-9:.]* $DAGZ_URL/jobs/j1" <<<"$output"
	run -0 zb daemon status --json 3>&-
	[ "$(jq -r .store <<<"$output")" = "$DAGZ_HOME/store.db" ]
	# The command line the user typed, without what dagz added.
	[ "$(zb job j1 --json | jq -c '.argv[1:]')" = "[\"--log-dir\",\"$BATS_TEST_TMPDIR/logs\",\"--manifest\",\"$m\"]" ]
}

@test "--baseline with no dagzd running starts one first, and an unknown id records nothing" {
	git init -q
	run -2 --separate-stderr dagz_run --baseline b99 --manifest "$m"
	[ "$stderr" = "dagz-run: cannot fetch baseline 'b99': no baseline 'b99'" ]
	[ ! -e "$BATS_TEST_TMPDIR/logs" ] || [ -z "$(ls -A "$BATS_TEST_TMPDIR/logs")" ]
	run -0 zb jobs --json 3>&-
	[ "$output" = "" ]
	[ -z "$(ls -A "$DAGZ_HOME/spool" 2>/dev/null)" ]
}
