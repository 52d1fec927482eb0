#!/usr/bin/env bats
# The timeline's plan against what ran: a real dagz run on two workers
# records its plan in a real dagzd, and the Timeline tab draws it under
# each worker's attempts, each test on the worker dagz run --plan chose
# from the planned start its estimates give; a test another worker stole
# says so; a job that sent no plan draws as before; a bad plan record
# is refused.

load helpers

# One dagzd and one job for the file. The plan puts a (2 s) on worker 0
# and b, c, d (1 + 0.5 + 0.5 s) on worker 1; a ends at once and b takes
# far longer than its estimate, so worker 0 steals c and d.
setup_file() {
	dagzd_file_start
	cd "$BATS_FILE_TMPDIR"
	cat >plan.ndjson <<'EOF'
{"id": "a", "sh": "sleep 0.2", "estimate": 2}
{"id": "b", "sh": "sleep 1.2", "estimate": 1}
{"id": "c", "sh": "true", "estimate": 0.5}
{"id": "d", "sh": "true", "estimate": 0.5}
EOF
	DAGZ_NO_STORE=1 dagz run -j 2 --plan --manifest plan.ndjson >plan.out
	dagz run --log-dir logs --events events.ndjson -j 2 \
	    --manifest plan.ndjson >run.out 3>&-
	curl -sS -o timeline.html "$DAGZ_URL/jobs/j1?tab=timeline"
}

setup() {
	DAGZ_URL=$(cat "$BATS_FILE_TMPDIR/url")
	page=$BATS_FILE_TMPDIR/timeline.html
}

teardown_file() {
	dagzd_file_stop
}

# The planned bars of the page, a line each: worker test start estimate.
planned_bars() {
	awk '/^<g class="worker"/ {
		match($0, /data-worker="[0-9]+"/)
		w = substr($0, RSTART + 13, RLENGTH - 14)
	}
	/^<rect class="planned/ {
		match($0, /data-test="[^"]*"/); t = substr($0, RSTART + 11, RLENGTH - 12)
		match($0, /data-start="[^"]*"/); s = substr($0, RSTART + 12, RLENGTH - 13)
		match($0, /data-estimate="[^"]*"/); e = substr($0, RSTART + 15, RLENGTH - 16)
		print w, t, s, e
	}' "$page"
}

@test "each test is planned once, on the worker dagz run --plan chose, from the start its estimates give" {
	# From --plan: each worker's queue in order, a test's start the sum
	# of the estimates before it.
	jq -rs '[.[] | select(.type == "plan")] | group_by(.worker)[] |
	    sort_by(.order) | foreach .[] as $t ({s: 0};
	    {s: (.s + $t.estimate), line: "\($t.worker) \($t.test) \(.s) \($t.estimate)"};
	    .line)' "$BATS_FILE_TMPDIR/plan.out" |
	    awk '{ printf "%s %s %.3f %.3f\n", $1, $2, $3, $4 }' >"$BATS_TEST_TMPDIR/want"
	cat >"$BATS_TEST_TMPDIR/exact" <<'EOF'
0 a 0.000 2.000
1 b 0.000 1.000
1 c 1.000 0.500
1 d 1.500 0.500
EOF
	diff -u "$BATS_TEST_TMPDIR/exact" "$BATS_TEST_TMPDIR/want"
	planned_bars >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	grep -q '<title>planned: c, 0.5s at 0:01.0 (ran on #0)</title>' "$page"
	grep -q '<title>planned: a, 2.0s at 0:00.0</title>' "$page"
	# Under the attempts: each worker's row grows by the planned one.
	grep -q '<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1090 56"' "$page"
	grep -q '<defs><pattern id="plan-hatch"' "$page"
	grep -q '<p id="timeline-legend" class="legend">.*planned, under its worker.*planned, ran on another worker' "$page"
}

@test "a test another worker stole is planned on one row and ran on the other" {
	ev=$BATS_FILE_TMPDIR/events.ndjson
	grep -q 'summary: 4 tests .*, 2 stolen: 4 OK' "$BATS_FILE_TMPDIR/run.out"
	for t in c d; do
		[ "$(event_get "$ev" "$t" .worker)" = 0 ]
		# Its attempt in worker 0's row, its plan in worker 1's.
		awk -v t="$t" '/^<g class="worker"/ { w = $3 }
		    /^<rect/ && index($0, "data-test=\"" t "\"") { print w, $2 }' \
		    "$page" >"$BATS_TEST_TMPDIR/got"
		printf '%s\n' 'data-worker="0"><text class="attempt' \
		    'data-worker="1"><text class="planned' >"$BATS_TEST_TMPDIR/want"
		diff -u "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
		grep -q "^<rect class=\"planned moved\" [^>]* data-test=\"$t\" [^>]* data-ran-on=\"0\">" "$page"
	done
	# What ran where it was planned is not marked.
	[ "$(grep -c '^<rect class="planned moved"' "$page")" -eq 2 ]
	[ "$(grep -c '^<rect class="planned"' "$page")" -eq 2 ]
	[ "$(event_get "$ev" b .worker)" = 1 ]
}

@test "the API gives the plan in each worker's order, with where each test ran" {
	curl -sS "$DAGZ_URL/api/v1/jobs/j1/plan" | jq -c 'del(.at)' >"$BATS_TEST_TMPDIR/got"
	diff -u - "$BATS_TEST_TMPDIR/got" <<'EOF'
{"test":"a","worker":0,"node":null,"order":0,"start":0,"estimate":2,"ran_on":0}
{"test":"b","worker":1,"node":null,"order":0,"start":0,"estimate":1,"ran_on":1}
{"test":"c","worker":1,"node":null,"order":1,"start":1,"estimate":0.5,"ran_on":0}
{"test":"d","worker":1,"node":null,"order":2,"start":1.5,"estimate":0.5,"ran_on":0}
EOF
	# Made when the job started, just before its first attempt.
	at=$(curl -sS "$DAGZ_URL/api/v1/jobs/j1/plan" | jq -s 'map(.at) | unique | .[]')
	first=$(curl -sS "$DAGZ_URL/api/v1/jobs/j1/tests" | jq -s 'map(.start) | min')
	jq -n --argjson at "$at" --argjson first "$first" \
	    '$at <= $first and $first - $at < 1' | grep -qx true
}

@test "a job whose scheduler sent no plan draws its attempts alone" {
	uuid=$(cat /proc/sys/kernel/random/uuid)
	now=$(date +%s)
	printf '%s\n' "{\"type\":\"job\",\"uuid\":\"$uuid\"}" \
	    "{\"type\":\"result\",\"test\":\"x\",\"attempt\":1,\"status\":\"OK\",\"worker\":0,\"start\":$now,\"duration\":1}" \
	    "{\"type\":\"result\",\"test\":\"y\",\"attempt\":1,\"status\":\"FAILED\",\"worker\":1,\"start\":$now,\"duration\":2}" \
	    >"$BATS_TEST_TMPDIR/old.ndjson"
	run curl -sS --data-binary "@$BATS_TEST_TMPDIR/old.ndjson" "$DAGZ_URL/api/v1/jobs/$uuid/events"
	[ "$output" = '{"stored":3}' ]
	curl -sS -o "$BATS_TEST_TMPDIR/b" "$DAGZ_URL/jobs/$uuid?tab=timeline"
	grep -q '<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1090 40"' "$BATS_TEST_TMPDIR/b"
	[ "$(grep -c '^<rect class="attempt' "$BATS_TEST_TMPDIR/b")" -eq 2 ]
	! grep -q 'planned\|plan-hatch' "$BATS_TEST_TMPDIR/b"
	[ -z "$(curl -sS "$DAGZ_URL/api/v1/jobs/$uuid/plan")" ]
	grep -q '<p id="timeline-legend" class="legend">.*a fixture</span></p>' "$BATS_TEST_TMPDIR/b"
}

@test "dagzd refuses a bad plan record with its line and keeps none of the batch" {
	uuid=$(cat /proc/sys/kernel/random/uuid)
	check() {
		printf '%s\n' "{\"type\":\"job\",\"uuid\":\"$uuid\"}" "$1" >"$BATS_TEST_TMPDIR/bad.ndjson"
		run curl -sS -w '\n%{http_code}' --data-binary "@$BATS_TEST_TMPDIR/bad.ndjson" \
		    "$DAGZ_URL/api/v1/jobs/$uuid/events"
		echo "$output"
		[ "${lines[1]}" = 400 ]
		[ "$(jq -r .error <<<"${lines[0]}")" = "$2" ]
	}
	check '{"type":"plan","tests":[]}' 'line 2: "start" must be a non-negative number'
	check '{"type":"plan","start":1,"tests":{}}' 'line 2: "tests" must be an array of at most 10000 objects'
	check '{"type":"plan","start":1,"tests":[{"test":"a","worker":0,"order":0,"start":0}]}' \
	    'line 2: "tests"[0]: must be an object with "test", "worker", "order", "start" and "estimate"'
	check '{"type":"plan","start":1,"tests":[{"test":"a","worker":-1,"order":0,"start":0,"estimate":1}]}' \
	    'line 2: "tests"[0]: "worker" must be a non-negative integer'
	check '{"type":"plan","start":1,"tests":[{"test":"a","worker":0,"order":0,"start":0,"estimate":-2}]}' \
	    'line 2: "tests"[0]: "estimate" must be a non-negative number'
	[ "$(curl -sS -o /dev/null -w '%{http_code}' "$DAGZ_URL/api/v1/jobs/$uuid")" = 404 ]
}
