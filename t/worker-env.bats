#!/usr/bin/env bats
# --worker-env NAME=TEMPLATE: each worker's own variable, with {suffix},
# {worker}, {node} and {job} expanded, for every test and all it starts;
# from the flags, else from .dagz/config.yaml.

load helpers

# Four tests that note, from a subprocess, what they were given.
suite() {
	local i
	for i in 1 2 3 4; do
		printf '{"id": "t%d", "sh": "sleep 0.2; sh -c '\''echo $DAGZ_WORKER_ID $DATABASE_URL $W'\'' >%s/got.t%d"}\n' \
		    "$i" "$BATS_TEST_TMPDIR" "$i"
	done >suite.ndjson
}

@test "each worker's tests and their subprocesses get its own expansion" {
	cd "$BATS_TEST_TMPDIR"
	suite
	run -0 dagz_run -j 2 --events ev.ndjson --manifest suite.ndjson \
	    --worker-env 'DATABASE_URL=postgresql:///app{suffix}?host=/tmp' \
	    --worker-env 'W={worker}/{node}/{job}/{suffix}'
	job=$(jq -r 'select(.type=="summary") | .job' ev.ndjson)
	for i in 1 2 3 4; do
		read -r w url rest <"got.t$i"
		[ "$url" = "postgresql:///app_jw0$w?host=/tmp" ]
		[ "$rest" = "$w/0/$job/_jw0$w" ]
	done
	# Both workers ran tests: two databases.
	[ "$(cut -d' ' -f2 got.t* | sort -u | wc -l)" -eq 2 ]
}

@test "from .dagz/config.yaml without flags; a flag replaces them" {
	cd "$BATS_TEST_TMPDIR"
	suite
	mkdir .dagz
	cat >.dagz/config.yaml <<'YAML'
worker_env:
  - DATABASE_URL=db{suffix}
  - W=w{worker}
YAML
	run -0 dagz_run -j 1 --manifest suite.ndjson
	[ "$(cat got.t1)" = "0 db_jw00 w0" ]
	run -0 dagz_run -j 1 --manifest suite.ndjson --worker-env 'W=flag'
	# The config's DATABASE_URL is gone with it.
	[ "$(cat got.t1)" = "0 flag" ]
}

@test "a template that is not NAME=TEMPLATE, or names what is not known: one line, exit 2" {
	cd "$BATS_TEST_TMPDIR"
	suite
	run -2 dagz_run --manifest suite.ndjson --worker-env 'W={sufix}'
	[ "$output" = "dagz-run: --worker-env 'W={sufix}': a '{' must start {suffix}, {worker}, {node} or {job}" ]
	run -2 dagz_run --manifest suite.ndjson --worker-env 'nothing'
	[ "$output" = "dagz-run: --worker-env 'nothing': expected NAME=TEMPLATE" ]
	run -2 dagz_run --manifest suite.ndjson --worker-env '1X=y'
	[ "$output" = "dagz-run: --worker-env '1X=y': the name must be letters, digits and _, not starting with a digit" ]
	mkdir .dagz
	printf 'worker_env:\n  - A=ok\n  - B={what}\n' >.dagz/config.yaml
	run -2 dagz_run --manifest suite.ndjson
	[ "$output" = "dagz-run: $PWD/.dagz/config.yaml:3: worker_env pattern \"B={what}\": a '{' must start {suffix}, {worker}, {node} or {job}" ]
	[ ! -e got.t1 ]
}

@test "--worker-init runs on each worker before its first test, with its env; --worker-cleanup after its last" {
	cd "$BATS_TEST_TMPDIR"
	d=$BATS_TEST_TMPDIR
	for i in 1 2 3 4; do
		printf '{"id": "t%d", "sh": "[ -e %s/ready$DAGZ_WORKER_ID ] && echo test $DAGZ_WORKER_ID >>%s/log"}\n' \
		    "$i" "$d" "$d"
	done >suite.ndjson
	run -0 dagz_run -j 2 --retries 0 --manifest suite.ndjson \
	    --worker-env 'DB=app{suffix}' \
	    --worker-init "echo init \$DAGZ_WORKER_ID \$DB >>$d/log; touch $d/ready\$DAGZ_WORKER_ID" \
	    --worker-cleanup "echo cleanup \$DAGZ_WORKER_ID >>$d/log"
	cat log; echo "$output"
	[ "$(grep -c '^test ' log)" -eq 4 ]
	for w in 0 1; do
		# Once, first, with the worker's own DB; cleanup last.
		[ "$(grep -c "^init $w app_jw0$w\$" log)" -eq 1 ]
		[ "$(grep -E "^(init|test|cleanup) $w" log | head -n 1)" = "init $w app_jw0$w" ]
		[ "$(grep -E "^(init|test|cleanup) $w" log | tail -n 1)" = "cleanup $w" ]
	done
}

@test "an init that fails retires its worker: the others run its tests" {
	cd "$BATS_TEST_TMPDIR"
	d=$BATS_TEST_TMPDIR
	for i in 1 2 3 4; do
		printf '{"id": "t%d", "sh": "echo test $DAGZ_WORKER_ID >>%s/log"}\n' "$i" "$d"
	done >suite.ndjson
	run -0 dagz_run -j 3 --retries 0 --manifest suite.ndjson \
	    --worker-init "echo init \$DAGZ_WORKER_ID >>$d/log; [ \$DAGZ_WORKER_ID != 1 ] || { echo no database for worker 1; exit 1; }"
	grep -q 'worker #1 retired: worker init FAILED on worker #1: exit 1' <<<"$output"
	grep -q 'no database for worker 1' <<<"$output"
	# Its tests ran on the others; it ran none and inited once.
	[ "$(grep -c '^test ' log)" -eq 4 ]
	! grep -q '^test 1$' log
	[ "$(grep -c '^init 1$' log)" -eq 1 ]
}

@test "a worker restarted after it died runs its init again" {
	cd "$BATS_TEST_TMPDIR"
	d=$BATS_TEST_TMPDIR
	# The longest first: it kills its worker; the replacement runs the rest.
	printf '{"id": "killer", "estimate": 5, "sh": "kill -9 $PPID"}\n' >suite.ndjson
	for i in 1 2; do
		printf '{"id": "t%d", "sh": "echo test $DAGZ_WORKER_ID >>%s/log"}\n' "$i" "$d"
	done >>suite.ndjson
	run -1 dagz_run -j 1 --retries 0 --manifest suite.ndjson \
	    --worker-init "echo init \$DAGZ_WORKER_ID >>$d/log"
	grep -q 'FAILED killer .*worker died: killed by SIGKILL' <<<"$output"
	# Once: the worker may die before it says the test started, but the
	# test it had taken died with it, and is not run again.
	[ "$(tr '\n' ' ' <log)" = "init 0 init 0 test 0 test 0 " ]
}

@test "when every worker's init fails, the tests are DEP_FAILED with its output" {
	cd "$BATS_TEST_TMPDIR"
	suite
	run -1 dagz_run -j 2 --retries 0 --events ev.ndjson \
	    --manifest suite.ndjson --worker-init 'echo cannot create the database; exit 3'
	[ "$(jq -r 'select(.type=="result") | .status' ev.ndjson | sort -u)" = DEP_FAILED ]
	grep -q 'cannot create the database' <<<"$output"
	[ ! -e got.t1 ]
	run -2 dagz_run --manifest suite.ndjson --worker-cleanup 'true'
	[ "$output" = "dagz-run: --worker-cleanup needs --worker-init" ]
	run -2 dagz_run --manifest suite.ndjson --worker-init ''
	[ "$output" = "dagz-run: --worker-init: an empty command" ]
	# The fixture's name is dagz's while --worker-init is given.
	printf '{"fixture": "worker-init", "setup": "true"}\n' >>suite.ndjson
	run -2 dagz_run --manifest suite.ndjson --worker-init 'true'
	[ "$output" = "dagz-run: fixture 'worker-init': the name is dagz's, for --worker-init" ]
}
