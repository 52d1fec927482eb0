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
