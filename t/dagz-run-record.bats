#!/usr/bin/env bats
# One record per result: the object the events file prints is the one
# the store is sent and keeps, and the one the console line is made of,
# for attempts that ran, failed, were retried or never started.

load helpers

teardown() {
	dagzd_stop
}

suite() {
	manifest <<'EOF'
{"id": "ok", "sh": "echo fine"}
{"id": "flaky", "sh": "[ -e flaky.once ] && exit 0; touch flaky.once; exit 1"}
{"id": "bad", "sh": "echo broken; exit 2"}
{"id": "tap", "format": "tap", "sh": "echo 1..3; echo ok 1 - a; echo 'not ok 2 - b'; echo 'ok 3 - c # SKIP no db'"}
{"id": "dep", "sh": "true", "needs": ["bad"]}
{"id": "skip", "sh": "exit 77"}
EOF
}

# The final results of the events file $1, in the columns the store
# answers with, cases counted; numbers as jq reads them.
final_results() {
	jq -cS 'select(.type == "result" and .final) |
	    def n(s): [.cases[] | select(.status | test(s))] | length;
	    {test, status, duration, reason, span, start, worker, exit, signal,
	     leaked, cpu, rss, cases: (if .cases then {total: (.cases | length),
	     failed: n("^FAILED$"), skipped: n("^SKIPPED$"), todo: n("^TODO")}
	     else null end)} + (if .selected and .span then {selected} else {}
	     end) | walk(if type == "number" then . + 0 else . end)' \
	    "$1" | sort
}

@test "the store is sent each result record as the events file has it, and keeps it" {
	cd "$BATS_TEST_TMPDIR"
	m=$(suite)
	printf 'sekrit-token-123\n' >token
	chmod 600 token
	dagzd_start --token-file token
	# Refused, the scheduler keeps in its spool what it would send.
	# dagz-sched itself: dagz run would start a dagzd.
	DAGZ_TOKEN=wrong-token run -1 dagz-sched -j 1 --retries 1 \
	    --log-dir logs --events ev.ndjson --manifest "$m" 3>&-
	spool=$(ls "$DAGZ_HOME"/spool/*.ndjson)
	grep '^{"type":"result",' ev.ndjson >ev.results
	grep '^{"type":"result",' "$spool" >spool.results
	diff -u ev.results spool.results
	run -0 jq -r '[.test, .status, .attempt, .final, .span != null,
	    .retry // .no_retry // ""] | @tsv' ev.results
	diff -u - <(printf '%s\n' "$output") <<'EOF'
ok	OK	1	true	true	
flaky	FAILED	1	false	true	immediate
flaky	OK_FLAKY	2	true	true	
bad	FAILED	1	true	true	more than 10% of the tests failed
dep	DEP_FAILED	0	true	false	
tap	FAILED	1	true	true	more than 10% of the tests failed
skip	SKIPPED	1	true	true	
EOF

	# The next job sends that spool, and dagzd keeps what it was sent.
	export DAGZ_TOKEN=sekrit-token-123
	echo '{"id": "next", "sh": "true"}' >next.ndjson
	run -0 dagz_run --manifest next.ndjson
	[ -z "$(ls "$DAGZ_HOME/spool")" ]
	job=$(basename "$spool" .ndjson)
	final_results ev.ndjson >ev.final
	zb tests "$job" --json | jq -cS 'del(.attempts) |
	    walk(if type == "number" then . + 0 else . end)' | sort >store.final
	diff -u ev.final store.final
	# The span a record names is its attempt's in the store.
	[ "$(zb spans "$job" --type test | jq -r 'select(.test == "flaky" and
	    .attempt == 1) | .span')" = "$(jq -r 'select(.test == "flaky") |
	    .span' ev.results | head -n 1)" ]
}

@test "the console line of a result is made of its record" {
	cd "$BATS_TEST_TMPDIR"
	run -1 dagz_run -j 1 --retries 1 --events ev.ndjson --manifest "$(suite)"
	sed -En 's/^[0-9:.]+ ((FAILED|OK_FLAKY|DEP_FAILED) .*)/\1/p' \
	    <<<"$output" >console
	jq -r 'select(.type == "result" and .status != "OK" and
	    .status != "SKIPPED") | [.status, .test, .duration, .worker,
	    .attempt, .reason // "", .retry // "", .no_retry // ""] | @tsv' \
	    ev.ndjson | awk -F '\t' '{
		if ($1 == "OK_FLAKY")
			why = ": passed on attempt " $5
		else
			why = ": " $6
		if ($7 != "")
			why = why " (attempt " $5 "; " $7 " retry follows)"
		else if ($8 != "")
			why = why " (not retried: " $8 ")"
		if ($4 < 0)
			print $1 " " $2 why
		else
			printf "%s %s %.3fs worker #%d%s\n", $1, $2, $3, $4, why
	    }' >expected
	[ "$(wc -l <expected)" -eq 5 ]
	diff -u expected console
}
