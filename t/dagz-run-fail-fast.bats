#!/usr/bin/env bats
# Stopping early: --fail-fast and --max-fail N. After the Nth test that
# failed for good, no test starts: the others end NOT_RUN, the running
# ones finish; a pass on a retry and a DEP_FAILED do not count; NOT_RUN
# reaches the summary, JUnit and the store.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	dagzd_stop
}

# Ten tests t01..t10, each leaving ran.ID; t03 fails.
ten() {
	local i
	for i in 01 02 03 04 05 06 07 08 09 10; do
		if [ "$i" = 03 ]; then
			printf '{"id": "t%s", "sh": "touch ran.t%s; exit 1"}\n' "$i" "$i"
		else
			printf '{"id": "t%s", "sh": "touch ran.t%s"}\n' "$i" "$i"
		fi
	done | manifest
}

@test "--fail-fast: the 3rd of 10 fails, 7 are NOT_RUN and never start, exit 1" {
	m=$(ten)
	run -1 dagz_run -j 1 --fail-fast --manifest "$m" --events ev.ndjson \
	    --junit junit.xml
	out=$output
	echo "$out"
	[ "$(ls ran.* | tr '\n' ' ')" = "ran.t01 ran.t02 ran.t03 " ]
	run -0 jq -r 'select(.type == "result" and .final) |
	    [.test, .status, .attempt, .reason // "", .no_retry // ""] | @tsv' \
	    ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}") <<'EOF'
t01	OK	1		
t02	OK	1		
t03	FAILED	2	exit 1	no deferred retry with --fail-fast
t04	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
t05	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
t06	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
t07	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
t08	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
t09	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
t10	NOT_RUN	0	the job stopped after 1 failure (--fail-fast)	
EOF
	jq -s -e '.[-1] | .counts.NOT_RUN == 7 and .counts.OK == 2 and
	    .counts.FAILED == 1 and .exit == 1 and
	    .stopped == "the job stopped after 1 failure (--fail-fast)"' \
	    ev.ndjson
	diff -u - <(grep -E 'stopp|summary|did not pass|NOT_RUN' <<<"$out" |
	    sed 's/^[0-9:.]\{12\} //; s/ in [0-9.]*s / in Xs /;
	    s/ in [0-9.]*s ==/ in Xs ==/; s/(planned.*stolen:/(...):/') <<'EOF'
stopping early after 1 failure (--fail-fast): 7 not started, 0 still running
summary: 10 tests in Xs (...): 2 OK, 1 FAILED, 7 NOT_RUN
stopped early after 1 failure (--fail-fast): 7 not run
  stopped early after 1 failure (--fail-fast): 7 not run
== 1 of 10 did not pass: 2 OK, 1 FAILED, 7 NOT_RUN in Xs ==
EOF
	# CI sees them skipped, saying why.
	[ "$(xmllint --xpath 'string(/testsuites/@skipped)' junit.xml)" = 7 ]
	[ "$(xmllint --xpath 'string(/testsuites/@failures)' junit.xml)" = 1 ]
	[ "$(xmllint --xpath 'string(//testcase[@name="t10"]/skipped/@message)' junit.xml)" = \
	    "not run: the job stopped after 1 failure (--fail-fast)" ]
}

@test "--max-fail 2 stops at the second failure; a DEP_FAILED does not count" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "touch ran.a"}
{"id": "b", "sh": "touch ran.b; exit 1"}
{"id": "c", "needs": ["b"], "sh": "touch ran.c"}
{"id": "d", "sh": "touch ran.d"}
{"id": "e", "sh": "touch ran.e; exit 3"}
{"id": "f", "sh": "touch ran.f"}
{"id": "g", "sh": "touch ran.g"}
EOF
)
	run -1 dagz_run -j 1 --retries 0 --max-fail 2 --manifest "$m" \
	    --events ev.ndjson
	out=$output
	echo "$out"
	[ "$(ls ran.* | tr '\n' ' ')" = "ran.a ran.b ran.d ran.e " ]
	run -0 jq -r 'select(.type == "result") | [.test, .status] | @tsv' \
	    ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}" | sort) <<'EOF'
a	OK
b	FAILED
c	DEP_FAILED
d	OK
e	FAILED
f	NOT_RUN
g	NOT_RUN
EOF
	[ "$(event_get ev.ndjson g .reason)" = \
	    "the job stopped after 2 failures (--max-fail 2)" ]
	grep -qE '^[0-9:.]{12} stopped early after 2 failures \(--max-fail 2\): 2 not run$' <<<"$out"
	# One failure under --max-fail 2: everything runs.
	rm ran.*
	sed -i '/"id": "e"/d' "$m"
	run -1 dagz_run -j 1 --retries 0 --max-fail 2 --manifest "$m" \
	    --events ev.ndjson
	[ "$(ls ran.* | tr '\n' ' ')" = "ran.a ran.b ran.d ran.f ran.g " ]
	jq -s -e '.[-1] | .counts.NOT_RUN == 0 and .stopped == null' ev.ndjson
	! grep -q 'stop' <<<"$output"
}

@test "-j 2: a test running on the other worker when the job stops finishes and is kept" {
	dagzd_start
	out=$BATS_TEST_TMPDIR/out
	# long ends only once the dashboard has shown the job stopped; fail
	# fails only once long runs, however late its worker came.
	m=$(manifest <<EOF
{"id": "long", "estimate": 30, "timeout": 30, "sh": "touch '$BATS_TEST_TMPDIR/long.started'; until [ -e '$BATS_TEST_TMPDIR/seen' ]; do sleep 0.02; done; touch long.done"}
{"id": "fail", "estimate": 2, "sh": "until [ -e '$BATS_TEST_TMPDIR/long.started' ]; do sleep 0.02; done; exit 1"}
{"id": "q1", "estimate": 1, "sh": "touch ran.q1"}
{"id": "q2", "estimate": 1, "sh": "touch ran.q2"}
{"id": "q3", "estimate": 1, "sh": "touch ran.q3"}
EOF
)
	dagz_run -j 2 --fail-fast --manifest "$m" --events ev.ndjson \
	    >"$out" 2>&1 &
	pid=$!
	# While long runs, the job's chips show the three not run, grey.
	for i in $(seq 300); do
		curl -sS "$DAGZ_URL/jobs/j1" >page.html || :
		[ "$(grep -o 'class="chip notrun" data-status="NOT_RUN"' \
		    page.html | wc -l)" = 3 ] && break
		sleep 0.02
	done
	touch seen
	rc=0
	wait "$pid" || rc=$?
	cat "$out"
	[ "$rc" = 1 ]
	[ "$(grep -o 'class="chip notrun" data-status="NOT_RUN"' page.html |
	    wc -l)" = 3 ]
	grep -q 'class="chip failed" data-status="FAILED" data-test="fail"' \
	    page.html
	[ -e long.done ]
	! ls ran.* 2>/dev/null
	run -0 jq -r 'select(.type == "result" and .final) | [.test, .status] |
	    @tsv' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}" | sort) <<'EOF'
fail	FAILED
long	OK
q1	NOT_RUN
q2	NOT_RUN
q3	NOT_RUN
EOF
	grep -qE '^[0-9:.]{12} stopping early after 1 failure \(--fail-fast\): 3 not started, 1 still running$' "$out"
	jq -s -e '[.[] | select(.test == "long")] | length == 1 and
	    .[0].attempt == 1 and .[0].exit == 0' ev.ndjson
}

@test "a test that fails and then passes on its retry does not stop the job" {
	m=$(manifest <<'EOF'
{"id": "flaky", "sh": "n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) >n; [ $n -ge 1 ]"}
{"id": "b", "sh": "touch ran.b"}
{"id": "c", "sh": "touch ran.c"}
EOF
)
	run -0 dagz_run -j 1 --fail-fast --manifest "$m" --events ev.ndjson
	echo "$output"
	[ "$(cat n)" = 2 ]
	[ -e ran.b ] && [ -e ran.c ]
	[ "$(event_status ev.ndjson flaky)" = OK_FLAKY ]
	jq -s -e '.[-1] | .counts.NOT_RUN == 0 and .counts.OK == 2 and
	    .exit == 0 and .stopped == null' ev.ndjson
	! grep -q 'stop' <<<"$output"
}

@test "NOT_RUN reaches the store: zb tests lists it, zb job counts it" {
	dagzd_start
	m=$(ten)
	run -1 dagz_run -j 1 --fail-fast --manifest "$m"
	run -0 zb tests j1 --json
	run -0 jq -r '[.test, .status, .reason // ""] | @tsv' <<<"$output"
	diff -u - <(printf '%s\n' "${lines[@]}" | sort) <<'EOF'
t01	OK	
t02	OK	
t03	FAILED	exit 1
t04	NOT_RUN	the job stopped after 1 failure (--fail-fast)
t05	NOT_RUN	the job stopped after 1 failure (--fail-fast)
t06	NOT_RUN	the job stopped after 1 failure (--fail-fast)
t07	NOT_RUN	the job stopped after 1 failure (--fail-fast)
t08	NOT_RUN	the job stopped after 1 failure (--fail-fast)
t09	NOT_RUN	the job stopped after 1 failure (--fail-fast)
t10	NOT_RUN	the job stopped after 1 failure (--fail-fast)
EOF
	run -0 zb job j1 --json
	jq -e '.counts == {"OK": 2, "FAILED": 1, "NOT_RUN": 7} and
	    .passed == 2 and .failed == 1' <<<"$output"
	run -0 zb junit j1
	[ "$(xmllint --xpath 'count(//testcase/skipped[@message="not run: the job stopped after 1 failure (--fail-fast)"])' - <<<"$output")" = 7 ]
	# The dashboard lists them with their glyph and counts them.
	curl -sS "$DAGZ_URL/jobs/j1?tab=tests" >tests.html
	[ "$(grep -o '<td class="status st-NOT_RUN" data-status="NOT_RUN">' \
	    tests.html | wc -l)" = 7 ]
	grep -q '<p class="summary" id="summary">.*: 1 FAILED, 2 OK, 7 NOT_RUN in ' tests.html
}

@test "a CI rerun of a job that stopped early runs what failed and what did not run" {
	dagzd_start
	export GITLAB_CI=true CI_PIPELINE_ID=4242 CI_JOB_NAME=unit
	export CI_PROJECT_PATH=group/project
	m=$(manifest <<'EOF'
{"id": "a", "sh": "echo a >>ran"}
{"id": "b", "sh": "echo b >>ran; test -e fixed"}
{"id": "c", "sh": "echo c >>ran"}
{"id": "d", "sh": "echo d >>ran"}
EOF
)
	CI_JOB_ID=1001 run -1 dagz_run -j 1 --fail-fast --manifest "$m"
	[ "$(sort ran | tr '\n' ' ')" = "a b b " ]
	rm ran
	touch fixed
	CI_JOB_ID=1002 run -0 dagz_run -j 1 --fail-fast --manifest "$m"
	echo "$output"
	[ "$(sort ran | tr '\n' ' ')" = "b c d " ]
	zb job j2 --json | jq -e '.rerun_of == "j1" and
	    .counts == {"OK": 3, "REDUNDANT": 1}'
}

@test "bad --max-fail values are one line and exit 2, nothing run" {
	m=$(ten)
	for v in 0 -1 x 1.5 1000001 ''; do
		run -2 --separate-stderr dagz_run --max-fail "$v" --manifest "$m"
		[ "${#stderr_lines[@]}" = 1 ]
		[[ "${stderr_lines[0]}" == "dagz-run: --max-fail: $v is "* ]]
	done
	run -2 --separate-stderr dagz_run --manifest "$m" --max-fail
	[ "$stderr" = "dagz-run: option '--max-fail' needs an argument; see dagz(1)" ]
	run -2 --separate-stderr dagz_run --fail-fast=yes --manifest "$m"
	[ "${#stderr_lines[@]}" = 1 ]
	! ls ran.* 2>/dev/null
}
