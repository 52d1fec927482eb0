#!/usr/bin/env bats
# after: a test starts only once each test it runs after has ended,
# however it ended (FAILED, DEP_FAILED, SKIPPED...), and its fate never
# depends on theirs; the plan queues it behind them and says so.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# A test that records when it started and ended, then exits with $2;
# $3 is extra JSON keys.
stamped() {
	printf '{"id": "%s", "sh": "date +%%s.%%N >%s.start; sleep 0.3; date +%%s.%%N >%s.end; exit %s"%s}\n' \
	    "$1" "$1" "$1" "$2" "${3:+, $3}"
}

# Fails unless test $2 started after test $1 ended.
started_after() {
	awk -v a="$(cat "$1.end")" -v b="$(cat "$2.start")" \
	    'BEGIN { exit !(b >= a) }' || {
		echo "$2 started at $(cat "$2.start") before $1 ended at $(cat "$1.end")" >&2
		return 1
	}
}

@test "after waits for failed and DEP_FAILED tests, and runs anyway" {
	m=$(manifest <<EOF
$(stamped build 1)
$(stamped unit 0 '"needs": ["build"]')
$(stamped report 0 '"after": ["build", "unit"]')
$(stamped cleanup 0 '"after": ["report", "lint"]')
$(stamped lint 77)
$(stamped other 0)
EOF
)
	run -1 dagz_run -j 2 --retries 0 --manifest "$m" --events ev.ndjson
	echo "$output"
	[ "$(event_status ev.ndjson build)" = FAILED ]
	[ "$(event_status ev.ndjson unit)" = DEP_FAILED ]
	[ "$(event_status ev.ndjson lint)" = SKIPPED ]
	[ "$(event_status ev.ndjson report)" = OK ]
	[ "$(event_status ev.ndjson cleanup)" = OK ]
	[ "$(event_status ev.ndjson other)" = OK ]
	[ "$(event_get ev.ndjson report .reason)" = null ]
	[ ! -e unit.start ]
	started_after build report
	started_after report cleanup
	started_after lint cleanup
	# Both workers took part: the independent tests ran alongside.
	[ "$(jq -s '[.[] | select(.type == "result" and .worker >= 0) |
	    .worker] | unique | length' ev.ndjson)" = 2 ]
	jq -s -e '.[-1].counts | .OK == 3 and .FAILED == 1 and
	    .DEP_FAILED == 1 and .SKIPPED == 1' ev.ndjson
}

@test "a test left out by --filter is not waited for" {
	m=$(manifest <<EOF
$(stamped first 0)
$(stamped second 0 '"after": ["first"]')
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --filter '^second$' \
	    --events ev.ndjson
	[ "$(event_status ev.ndjson second)" = OK ]
	[ ! -e first.start ]
}

@test "--plan queues a test behind what it runs after, and says why" {
	m=$(manifest <<'EOF'
{"id": "setup", "sh": "true", "estimate": 1}
{"id": "big", "sh": "true", "estimate": 5, "after": ["setup"]}
{"id": "teardown", "sh": "true", "estimate": 9, "after": ["big", "setup"]}
{"id": "solo", "sh": "true", "estimate": 2}
EOF
)
	run -0 dagz_run -j 1 --plan --manifest "$m"
	diff -u - <(jq -r 'select(.type == "plan") | "\(.order) \(.test)"' \
	    <<<"$output") <<'EOF'
0 solo
1 setup
2 big
3 teardown
EOF
	jq -s -e '[.[] | select(.test == "big")][0].why ==
	    "longest first: worker #0 had the least planned (9.0s); runs after '"'setup'"' ends"' \
	    <<<"$output"
	jq -s -e '[.[] | select(.test == "teardown")][0].why ==
	    "longest first: worker #0 had the least planned (0.0s); runs after '"'big'"' and 1 more end"' \
	    <<<"$output"
}

@test "an after that names no test is bad input, with its line" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "true"}
{"id": "b", "sh": "true", "after": ["nope"]}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	[ "$stderr" = "dagz-run: $m:2: test 'b' runs after 'nope', which is not defined" ]
}

@test "after and needs together may not make a cycle" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "true", "after": ["b"]}
{"id": "b", "sh": "true", "needs": ["a"]}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	[ "$stderr" = "dagz-run: $m:1: needs cycle: a -> b -> a" ]
}
