#!/usr/bin/env bats
# Retries (seed 000): an immediate retry on the same worker, then a
# deferred one at the end on another worker; a pass on a retry is
# OK_FLAKY; no retry for long tests or once too many tests failed.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# A test that fails until its attempt number $2, counting in a file.
flaky() {
	printf '{"id": "%s", "sh": "n=$(cat %s.count 2>/dev/null || echo 0); n=$((n+1)); echo $n >%s.count; echo attempt $n worker $DAGZ_WORKER_ID attempt-env $DAGZ_ATTEMPT; [ $n -ge %s ]"}\n' \
	    "$1" "$1" "$1" "$2"
}

@test "a test that passes on its second attempt is OK_FLAKY and the run passes" {
	m=$(manifest <<EOF
$(flaky flaky 2)
{"id": "steady", "sh": "true"}
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --events ev.ndjson --junit junit.xml
	out=$output
	echo "$out"
	[ "$(cat flaky.count)" = 2 ]
	run -0 jq -c 'select(.test == "flaky") | [.attempt, .status, .retry]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}") <<'EOF'
[1,"FAILED","immediate"]
[2,"OK_FLAKY",null]
EOF
	jq -s -e '.[-1].counts.OK_FLAKY == 1 and .[-1].exit == 0' ev.ndjson
	[ "$(xmllint --xpath 'count(//testcase[@name="flaky"]/flakyFailure)' junit.xml)" = 1 ]
	[ "$(xmllint --xpath 'count(//testcase[@name="flaky"]/failure)' junit.xml)" = 0 ]
	[ "$(xmllint --xpath 'string(/testsuites/@failures)' junit.xml)" = 0 ]
	grep -qE '^[0-9:.]{12} FAILED flaky [0-9.]+s worker #[01]: exit 1 \(attempt 1; immediate retry follows\)$' <<<"$out"
	grep -qE '^[0-9:.]{12} OK_FLAKY flaky [0-9.]+s worker #[01]: passed on attempt 2$' <<<"$out"
	# The test sees which attempt it is.
	grep -q 'attempt-env 2' logs/flaky.2.log
}

@test "an always failing test has three attempts, the last on another worker" {
	m=$(manifest <<EOF
$(flaky broken 99)
{"id": "s1", "sh": "sleep 0.3"}
{"id": "s2", "sh": "sleep 0.3"}
EOF
)
	run -1 dagz_run -j 2 --manifest "$m" --events ev.ndjson --junit junit.xml
	[ "$(cat broken.count)" = 3 ]
	run -0 jq -c 'select(.test == "broken") | [.attempt, .status, .retry]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}") <<'EOF'
[1,"FAILED","immediate"]
[2,"FAILED","deferred"]
[3,"FAILED",null]
EOF
	w1=$(jq -r 'select(.test == "broken" and .attempt == 1) | .worker' ev.ndjson)
	w2=$(jq -r 'select(.test == "broken" and .attempt == 2) | .worker' ev.ndjson)
	w3=$(jq -r 'select(.test == "broken" and .attempt == 3) | .worker' ev.ndjson)
	[ "$w1" = "$w2" ]
	[ "$w3" != "$w2" ]
	[ "$(xmllint --xpath 'count(//testcase[@name="broken"]/failure)' junit.xml)" = 1 ]
	[ "$(xmllint --xpath 'count(//testcase[@name="broken"]/rerunFailure)' junit.xml)" = 2 ]
	jq -s -e '.[-1].counts.FAILED == 1 and .[-1].exit == 1' ev.ndjson
}

@test "--retries caps the extra attempts; 0 disables them" {
	m=$(manifest <<EOF
$(flaky broken 99)
EOF
)
	run -1 dagz_run -j 1 --retries 1 --manifest "$m" --events ev.ndjson
	[ "$(cat broken.count)" = 2 ]
	rm broken.count
	run -1 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	[ "$(cat broken.count)" = 1 ]
}

@test "no retry once more than 10% of the tests have failed" {
	# On one worker, in plan order: f1 fails twice before f2 and f3 fail.
	{
		flaky f1 99 | jq -c '.estimate = 5'
		for i in 1 2 3 4 5 6 7; do
			printf '{"id": "ok%d", "sh": "true", "estimate": 2}\n' "$i"
		done
		flaky f2 99 | jq -c '.estimate = 1'
		flaky f3 99 | jq -c '.estimate = 1'
	} >suite.ndjson
	run -1 dagz_run -j 1 --manifest suite.ndjson --events ev.ndjson
	[ "$(cat f1.count)" = 3 ]
	[ "$(cat f2.count)" = 1 ]
	[ "$(cat f3.count)" = 1 ]
	[ "$(event_get ev.ndjson f2 .no_retry)" = "more than 10% of the tests failed" ]
	grep -qE '^[0-9:.]{12} FAILED f2 [0-9.]+s worker #0: exit 1 \(not retried: more than 10% of the tests failed\)$' <<<"$output"
}

@test "no retry of a test that took longer than the retry budget" {
	{
		echo '{"id": "long", "sh": "echo x >>long.count; sleep 1.2; exit 1"}'
		echo '{"id": "short", "sh": "echo x >>short.count; exit 1"}'
		for i in $(seq 1 20); do
			printf '{"id": "ok%d", "sh": "true"}\n' "$i"
		done
	} >suite.ndjson
	run -1 dagz_run -j 1 --retry-budget 1s --manifest suite.ndjson \
	    --events ev.ndjson
	[ "$(wc -l <long.count)" -eq 1 ]
	[ "$(wc -l <short.count)" -eq 3 ]
	[ "$(event_get ev.ndjson long .no_retry)" = "longer than the 1.0s retry budget" ]
}

@test "a crash is not retried" {
	m=$(manifest <<'EOF'
{"id": "segv", "sh": "echo x >>segv.count; kill -SEGV $$"}
EOF
)
	run -1 dagz_run -j 1 --manifest "$m" --events ev.ndjson
	[ "$(wc -l <segv.count)" -eq 1 ]
	[ "$(event_status ev.ndjson segv)" = CRASHED ]
}

@test "a command busy at start (ETXTBSY) is retried with backoff and labelled" {
	cp /bin/true prog
	# Holds the program open for writing, as a build writing it would,
	# until 0.2s after the test before it ran: "busy" starts at once
	# after "gate" on the one worker, however long dagz took to start.
	(exec 3>>prog
	 for _ in $(seq 500); do [ -e gate.ran ] && break; sleep 0.01; done
	 sleep 0.2) 3>&- &
	holder=$!
	m=$(manifest <<'EOF'
{"id": "gate", "sh": "touch gate.ran", "estimate": 10}
{"id": "busy", "cmd": ["./prog"], "estimate": 1}
EOF
)
	run -0 dagz_run -j 1 --manifest "$m" --events ev.ndjson
	wait "$holder"
	[ "$(event_status ev.ndjson busy)" = OK ]
	[[ "$(event_get ev.ndjson busy .reason)" =~ ^started\ after\ [0-9]+\ retr(y|ies)\ \(Text\ file\ busy\)$ ]]
}
