#!/usr/bin/env bats
# needs: a test starts only after what it needs has passed; when that
# failed, it never starts and is DEP_FAILED, with the reason, everywhere.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# A test that records when it started and ended, then exits with $2.
stamped() {
	printf '{"id": "%s", "sh": "date +%%s.%%N >%s.start; sleep 0.3; date +%%s.%%N >%s.end; exit %s"%s}\n' \
	    "$1" "$1" "$1" "$2" "${3:+, \"needs\": $3}"
}

@test "a failed root makes its chain DEP_FAILED, never started" {
	m=$(manifest <<EOF
$(stamped build 1)
$(stamped unit 0 '["build"]')
$(stamped e2e 0 '["unit"]')
$(stamped other 0)
EOF
)
	run -1 dagz_run -j 2 --retries 0 --manifest "$m" --events ev.ndjson \
	    --junit junit.xml
	echo "$output"
	[ "$(event_status ev.ndjson build)" = FAILED ]
	[ "$(event_status ev.ndjson unit)" = DEP_FAILED ]
	[ "$(event_status ev.ndjson e2e)" = DEP_FAILED ]
	[ "$(event_status ev.ndjson other)" = OK ]
	[ "$(event_get ev.ndjson unit .reason)" = "needs 'build' which FAILED" ]
	[ "$(event_get ev.ndjson e2e .reason)" = "needs 'unit' which DEP_FAILED" ]
	[ "$(event_get ev.ndjson unit .attempt)" = 0 ]
	[ ! -e unit.start ] && [ ! -e e2e.start ]
	grep -qE "^[0-9:.]{12} DEP_FAILED unit: needs 'build' which FAILED$" <<<"$output"
	grep -qE "^[0-9:.]{12}   DEP_FAILED +e2e \(needs 'unit' which DEP_FAILED\)$" <<<"$output"
	[ "$(xmllint --xpath 'string(//testcase[@name="e2e"]/failure/@type)' junit.xml)" = DEP_FAILED ]
	[ "$(xmllint --xpath 'string(//testcase[@name="unit"]/failure/@message)' junit.xml)" = "needs 'build' which FAILED" ]
	jq -s -e '.[-1].counts.DEP_FAILED == 2' ev.ndjson
}

@test "a failed root of a diamond fails everything below it" {
	m=$(manifest <<EOF
$(stamped root 2)
$(stamped left 0 '["root"]')
$(stamped right 0 '["root"]')
$(stamped bottom 0 '["left", "right"]')
EOF
)
	run -1 dagz_run -j 2 --retries 0 --manifest "$m" --events ev.ndjson
	for t in left right bottom; do
		[ "$(event_status ev.ndjson $t)" = DEP_FAILED ]
		[ ! -e $t.start ]
	done
	[ "$(event_get ev.ndjson left .reason)" = "needs 'root' which FAILED" ]
	[ "$(jq -s '[.[] | select(.test == "bottom")] | length' ev.ndjson)" = 1 ]
}

# Fails unless test $2 started after test $1 ended.
after() {
	awk -v a="$(cat "$1.end")" -v b="$(cat "$2.start")" \
	    'BEGIN { exit !(b >= a) }' || {
		echo "$2 started at $(cat "$2.start") before $1 ended at $(cat "$1.end")" >&2
		return 1
	}
}

@test "when the root passes, each test starts after what it needs ended" {
	m=$(manifest <<EOF
$(stamped root 0)
$(stamped left 0 '["root"]')
$(stamped right 0 '["root"]')
$(stamped bottom 0 '["left", "right"]')
$(stamped c1 0)
$(stamped c2 0 '["c1"]')
$(stamped c3 0 '["c2"]')
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --events ev.ndjson
	after root left
	after root right
	after left bottom
	after right bottom
	after c1 c2
	after c2 c3
	jq -s -e '.[-1].counts.OK == 7' ev.ndjson
}

@test "a dependency that skipped itself does not fail its dependents" {
	m=$(manifest <<EOF
$(stamped gen 77)
$(stamped use 0 '["gen"]')
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --events ev.ndjson
	[ "$(event_status ev.ndjson use)" = OK ]
	after gen use
}
