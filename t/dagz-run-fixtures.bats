#!/usr/bin/env bats
# Fixtures: set up once on each worker that needs them, before the first
# test there, torn down when that worker needs them no more; a failed
# setup makes its tests on that worker DEP_FAILED with the setup's log.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "setup runs once per worker that needs it, and teardown runs" {
	m=$(manifest <<'EOF'
{"fixture": "db", "setup": "echo setup $DAGZ_WORKER_ID >>db.log; echo up >db.state", "teardown": ["sh", "-c", "echo teardown $DAGZ_WORKER_ID >>db.log; rm db.state"]}
{"id": "t1", "sh": "test -e db.state", "fixtures": ["db"], "estimate": 0.1}
{"id": "t2", "sh": "test -e db.state", "fixtures": ["db"], "estimate": 0.1}
{"id": "t3", "sh": "test -e db.state", "fixtures": ["db"], "estimate": 0.1}
{"id": "t4", "sh": "test -e db.state", "fixtures": ["db"], "estimate": 0.1}
{"id": "other", "sh": "sleep 0.5", "estimate": 0.5}
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --events ev.ndjson
	echo "$output"
	cat db.log
	# The group is kept together: one worker, one setup, one teardown.
	w=$(jq -r 'select(.test == "t1") | .worker' ev.ndjson)
	[ "$(jq -r 'select(.type == "result" and (.test | startswith("t"))) | .worker' ev.ndjson | sort -u)" = "$w" ]
	diff -u - db.log <<EOF
setup $w
teardown $w
EOF
	[ ! -e db.state ]
	run -0 jq -c 'select(.type == "fixture") | [.fixture, .phase, .status, .worker]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}") <<EOF
["db","setup","OK",$w]
["db","teardown","OK",$w]
EOF
	[ -s "logs/fixtures/db.setup.1.log" ] || [ -e "logs/fixtures/db.setup.1.log" ]
}

@test "a fixture split over two workers is set up on each" {
	m=$(manifest <<'EOF'
{"fixture": "db", "setup": "echo setup $DAGZ_WORKER_ID >>db.log", "teardown": "echo teardown $DAGZ_WORKER_ID >>db.log"}
{"id": "x", "sh": "sleep 0.3", "fixtures": ["db"], "estimate": 4}
{"id": "y", "sh": "sleep 0.3", "fixtures": ["db"], "estimate": 4}
EOF
)
	run -0 dagz_run -j 2 --manifest "$m"
	[ "$(grep -c '^setup' db.log)" -eq 2 ]
	[ "$(grep -c '^teardown' db.log)" -eq 2 ]
	[ "$(grep '^setup' db.log | sort -u | wc -l)" -eq 2 ]
}

@test "a failing setup makes the tests needing it DEP_FAILED with its log" {
	m=$(manifest <<'EOF'
{"fixture": "broken", "setup": "echo cannot reach the database; exit 3"}
{"id": "u1", "sh": "touch ran-u1", "fixtures": ["broken"]}
{"id": "u2", "sh": "touch ran-u2", "fixtures": ["broken"]}
{"id": "free", "sh": "true"}
EOF
)
	run -1 dagz_run -j 1 --manifest "$m" --events ev.ndjson --junit junit.xml
	echo "$output"
	[ "$(event_status ev.ndjson u1)" = DEP_FAILED ]
	[ "$(event_status ev.ndjson u2)" = DEP_FAILED ]
	[ "$(event_status ev.ndjson free)" = OK ]
	[ "$(event_get ev.ndjson u1 .reason)" = "fixture 'broken' setup FAILED: exit 3" ]
	[ ! -e ran-u1 ] && [ ! -e ran-u2 ]
	grep -qE "^[0-9:.]{12} FAILED fixture broken setup [0-9.]+s worker #0: exit 3$" <<<"$output"
	grep -qE "^[0-9:.]{12}     \| cannot reach the database$" <<<"$output"
	xmllint --xpath 'string(//testcase[@name="u1"]/failure)' junit.xml |
	    grep -qx 'cannot reach the database'
	# A fixture that never came up is not torn down.
	[ "$(jq -s '[.[] | select(.type == "fixture")] | length' ev.ndjson)" = 1 ]
}

@test "a deferred retry sets its fixtures up afresh" {
	m=$(manifest <<'EOF'
{"fixture": "db", "setup": "echo setup $DAGZ_WORKER_ID >>db.log", "teardown": "echo teardown $DAGZ_WORKER_ID >>db.log"}
{"id": "broken", "sh": "exit 1", "fixtures": ["db"]}
EOF
)
	run -1 dagz_run -j 1 --manifest "$m" --events ev.ndjson
	cat db.log
	# Attempts 1 and 2 share a setup; attempt 3 gets its own.
	diff -u - db.log <<'EOF'
setup 0
teardown 0
setup 0
teardown 0
EOF
}

@test "a failing setup is tried at most once per worker, however tests move" {
	{
		echo '{"fixture": "broken", "setup": "echo x >>setups; sleep 0.2; exit 1"}'
		for i in 1 2 3 4 5 6; do
			printf '{"id": "u%d", "sh": "true", "fixtures": ["broken"], "estimate": 1}\n' "$i"
		done
		for i in 1 2 3 4; do
			printf '{"id": "q%d", "sh": "sleep 0.1", "estimate": 0.5}\n' "$i"
		done
	} >suite.ndjson
	run -1 dagz_run -j 2 --manifest suite.ndjson --events ev.ndjson
	[ "$(wc -l <setups)" -le 2 ]
	for i in 1 2 3 4 5 6; do
		[ "$(event_status ev.ndjson u$i)" = DEP_FAILED ]
	done
	jq -s -e '.[-1].counts.DEP_FAILED == 6 and .[-1].counts.OK == 4' ev.ndjson
}
