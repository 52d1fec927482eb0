#!/usr/bin/env bats
# Tests that run again after their first run: a stress job (dagz run
# --repeat N, --until-fail) runs every test over all workers and gives
# each test's failure rate; it is stored marked, feeds no baseline and no
# flaky statistics. --new-tests-repeat N runs each test no baseline knows
# N more times once it passed, and a new test that failed any run fails.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	dagzd_stop
}

# A test that counts its runs in ID.count ("/" as "_"), under a mkdir
# lock as runs on two workers may overlap, and fails the runs whose count
# n makes the test(1) expression $2 true.
counted() {
	local f=${1//\//_}
	printf '{"id": "%s", "sh": "while ! mkdir %s.lock 2>/dev/null; do :; done; n=$(cat %s.count 2>/dev/null || echo 0); n=$((n+1)); echo $n >%s.count; rmdir %s.lock; echo run $n; if [ %s ]; then exit 1; fi"}\n' \
	    "$1" "$f" "$f" "$f" "$f" "$2"
}

# The runs of TEST in the events file: "ATTEMPT WORKER STATUS", sorted.
runs() {
	jq -r --arg t "$2" 'select(.type=="result" and .test==$t and
	    .attempt > 0) | "\(.attempt) \(.worker) \(.status)"' "$1" | sort -n
}

@test "--repeat 20 over two workers gives each test's failure rate; the stress job is stored marked and feeds no baseline nor flaky statistics" {
	dagzd_start
	m=$(manifest <<EOF
$(counted t/flaky '$((n % 3)) -eq 0')
{"id": "t/steady", "cmd": ["true"]}
EOF
)
	# An ordinary job first: its baseline is the branch's latest.
	run -0 dagz_run -j 2 --manifest "$m"
	grep -q '^[0-9:.]* baseline: b1 ' <<<"$output"
	rm t_flaky.count

	run -1 dagz_run -j 2 --manifest "$m" --repeat 20 --events ev.ndjson
	echo "$output"
	[ "$(cat t_flaky.count)" = 20 ]
	[ "$(runs ev.ndjson t/steady | grep -c ' OK$')" = 20 ]
	grep -q '^[0-9:.]* stress: each test runs 20 times over 2 workers, not retried$' <<<"$output"
	grep -q '^[0-9:.]* stress: t/flaky: failed 6 of 20 runs (30%)$' <<<"$output"
	grep -q '^[0-9:.]* stress: 1 of 2 tests never failed in 20 runs$' <<<"$output"
	grep -q '^[0-9:.]*   FAILED     t/flaky (failed 6 of 20 runs)$' <<<"$output"
	! grep -q 'baseline:' <<<"$output"
	# Every run an attempt of its own, 1 to 20, none retried, over both
	# workers; the runs the count made a multiple of 3 failed.
	run -0 runs ev.ndjson t/flaky
	[ "${#lines[@]}" = 20 ]
	[ "$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ')" = "$(seq -s' ' 1 20) " ]
	[ "$(grep -c ' FAILED$' <<<"$output")" = 6 ]
	[ "$(cut -d' ' -f2 <<<"$output" | sort -u | tr '\n' ' ')" = "0 1 " ]
	[ "$(jq -r 'select(.type=="result" and .test=="t/flaky") | .retry // empty' ev.ndjson)" = "" ]
	jq -c 'select(.type=="result" and .final) | [.test, .status, .attempt, .reason]' ev.ndjson | sort >final
	diff -u - final <<'EOF'
["t/flaky","FAILED",0,"failed 6 of 20 runs"]
["t/steady","OK",0,"passed 20 of 20 runs"]
EOF

	# The store has it marked, every run as an attempt of the test.
	run -0 zb job j2 --json
	jq -e '.stress == {"repeat": 20, "until_fail": false}' <<<"$output"
	run -0 zb job j1 --json
	jq -e '.stress == null' <<<"$output"
	# So does the dashboard's page of the job.
	curl -sSf "$DAGZ_URL/jobs/j2" | grep -F '<dd id="stress">--repeat 20</dd>'
	! curl -sSf "$DAGZ_URL/jobs/j1" | grep -F 'id="stress"'
	run -0 zb tests j2 --json
	jq -se 'map(select(.test == "t/flaky"))[0] | .status == "FAILED" and .attempts == 20' <<<"$output"
	# OK in j1, FAILED in the stress job: no flip counts.
	run -0 zb flaky --json
	[ "$output" = "" ]
	# The next job selects against j1's baseline, not the stress job's.
	rm t_flaky.count
	run -0 dagz_run -j 2 --manifest "$m"
	grep -q 'against b1$' <<<"$output"
	# OK, then FAILED in the stress job (then DESELECTED): the test's
	# page counts one run and no flip.
	curl -sS "$DAGZ_URL/tests/t%2Fflaky" >page.html
	grep -q '(0 flaky, 0 flips over 1 runs)' page.html
}

@test "--until-fail stops starting runs at the first failure and lets the running one end" {
	m=$(manifest <<EOF
$(counted fifth '$n -eq 5')
EOF
)
	# Fails on its fifth run: at most one more was running by then.
	run -1 dagz_run -j 2 --manifest "$m" --until-fail --events ev.ndjson
	echo "$output"
	n=$(cat fifth.count)
	[ "$n" = 5 ] || [ "$n" = 6 ]
	run -0 runs ev.ndjson fifth
	[ "${#lines[@]}" = "$n" ]
	[ "$(grep -c ' FAILED$' <<<"$output")" = 1 ]
	[ "$(event_get ev.ndjson fifth .reason)" = "failed 1 of $n runs" ]
	[ "$(event_status ev.ndjson fifth)" = FAILED ]

	# With --repeat, at most that many runs; a test that never fails
	# passes after them.
	m=$(manifest <<EOF
$(counted never '0 -eq 1')
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --until-fail --repeat 3
	[ "$(cat never.count)" = 3 ]
	grep -q '^[0-9:.]* stress: 1 of 1 test never failed in 3 runs$' <<<"$output"

	# A test not started when the first run failed never starts: it is
	# NOT_RUN, and the summary says after what.
	m=$(manifest <<EOF
$(counted boom '$n -eq 1')
{"id": "later", "cmd": ["touch", "later.ran"], "after": ["boom"]}
EOF
)
	run -1 dagz_run -j 1 --manifest "$m" --until-fail --events ev2.ndjson
	echo "$output"
	[ ! -e later.ran ]
	[ "$(event_status ev2.ndjson later)" = NOT_RUN ]
	[ "$(event_get ev2.ndjson later .reason)" = "the job stopped after the first failed run (--until-fail)" ]
	grep -q 'stopped early after the first failed run (--until-fail): 1 not run$' <<<"$output"
}

@test "--new-tests-repeat 5 runs the tests new against the baseline 5 more times and catches a flaky one" {
	dagzd_start
	m=$(manifest <<EOF
$(counted old '0 -eq 1')
EOF
)
	run -0 dagz_run -j 2 --manifest "$m" --new-tests-repeat 5
	echo "$output"
	# No baseline yet: every test is new, and none runs again.
	grep -q '^[0-9:.]* new tests: no baseline to tell them from, so none runs again$' <<<"$output"
	[ "$(cat old.count)" = 1 ]

	m=$(manifest <<EOF
$(counted old '0 -eq 1')
$(counted new/flaky '$((n % 3)) -eq 0')
$(counted new/steady '0 -eq 1')
EOF
)
	run -1 dagz_run -j 2 --all --manifest "$m" --new-tests-repeat 5 --events ev.ndjson
	out=$output
	echo "$out"
	grep -q '^[0-9:.]* new tests: 2, each runs 5 more times once it passed$' <<<"$out"
	[ "$(cat old.count)" = 2 ]
	[ "$(cat new_flaky.count)" = 6 ]
	[ "$(cat new_steady.count)" = 6 ]
	run -0 runs ev.ndjson new/flaky
	[ "$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ')" = "1 2 3 4 5 6 " ]
	[ "$(event_status ev.ndjson new/flaky)" = FAILED ]
	[ "$(event_get ev.ndjson new/flaky .reason)" = "flaky: failed 2 of 6 runs" ]
	[ "$(event_status ev.ndjson new/steady)" = OK ]
	[ "$(runs ev.ndjson new/steady | grep -c ' OK$')" = 6 ]
	[ "$(runs ev.ndjson old)" = "1 $(event_get ev.ndjson old .worker) OK" ]
	grep -q '^[0-9:.]*   FAILED     new/flaky (flaky: failed 2 of 6 runs)$' <<<"$out"
	# The store keeps every run, the last one final.
	run -0 zb tests j2 --json
	jq -se 'map(select(.test == "new/flaky"))[0] | .status == "FAILED" and .attempts == 6' <<<"$output"

	# From the config now. What passed unchanged runs once; what failed
	# has not passed since it is new: a lucky run does not let it pass.
	mkdir .dagz
	printf 'new_tests_repeat: 5\n' >.dagz/config.yaml
	rm new_flaky.count
	run -1 dagz_run -j 2 --all --manifest "$m"
	echo "$output"
	grep -q '^[0-9:.]* new tests: 1, each runs 5 more times once it passed$' <<<"$output"
	[ "$(cat old.count)" = 3 ]
	[ "$(cat new_steady.count)" = 7 ]
	[ "$(cat new_flaky.count)" = 6 ]
}

@test "bad counts are refused with one line, exit 2" {
	m=$(manifest <<<'{"id": "t", "sh": "true"}')
	while IFS='|' read -r args want; do
		run -2 --separate-stderr dagz_run --manifest "$m" $args
		[ "$stderr" = "dagz-run: $want" ] ||
		    { printf '%s\n' "$stderr" >&2; return 1; }
		[ "$output" = "" ]
	done <<'EOF'
--repeat 1|--repeat: 1 is too small: 2 to 100000
--repeat many|--repeat: many is invalid: 2 to 100000
--new-tests-repeat 101|--new-tests-repeat: 101 is too large: 1 to 100
EOF
	mkdir .dagz
	printf 'new_tests_repeat: 200\n' >.dagz/config.yaml
	run -2 --separate-stderr dagz_run --manifest "$m"
	[ "$stderr" = "dagz-run: $PWD/.dagz/config.yaml:1: \"new_tests_repeat\": 200 is too large: 1 to 100" ]
}
