#!/usr/bin/env bats
# dagz run on tests that report cases (TAP on stdout, JUnit XML in
# $DAGZ_JUNIT) and on the result keys of a manifest: will_fail,
# skip_code, pass_regex, fail_regex, transient_code. Most tests read the
# events of one run of one suite, made once for the file.

load helpers

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	touch present.py
	cat >suite.ndjson <<'EOF'
{"id": "tap-fail", "format": "tap", "sh": "echo 1..4; echo ok 1 - first; echo 'not ok 2 - second one'; echo '# it broke' >&2; echo 'ok 3 - third # SKIP no db'; echo 'not ok 4 - fourth # TODO later'; exit 0"}
{"id": "tap-pass", "format": "tap", "sh": "printf '1..2\\nok 1 - a\\nnot ok 2 - b # TODO someday\\n'"}
{"id": "tap-exit", "format": "tap", "sh": "echo 1..1; echo ok 1 - a; exit 3"}
{"id": "tap-plan", "format": "tap", "sh": "echo 1..5; for i in 1 2 3 4; do echo ok $i; done"}
{"id": "tap-bail", "format": "tap", "sh": "echo 1..3; echo ok 1 - a; echo 'Bail out! no database'"}
{"id": "tap-skip-all", "format": "tap", "sh": "echo '1..0 # SKIP no python here'"}
{"id": "junit", "sh": "printf '<testsuite><testcase classname=\"s\" name=\"a\" time=\"0.5\"/><testcase classname=\"s\" name=\"b\"><failure message=\"boom\">trace</failure></testcase></testsuite>\\n' >\"$DAGZ_JUNIT\""}
{"id": "junit-tap", "format": "tap", "sh": "echo 1..1; echo ok 1 - from tap; echo '<testsuite><testcase name=\"from junit\"/></testsuite>' >\"$DAGZ_JUNIT\""}
{"id": "junit-bad", "sh": "echo '<testsuite><testcase>' >\"$DAGZ_JUNIT\""}
{"id": "will-fail-ok", "sh": "exit 1", "will_fail": true}
{"id": "will-fail-bad", "sh": "exit 0", "will_fail": true}
{"id": "skip-code", "sh": "exit 5", "skip_code": 5, "skip_reason": "no gpu"}
{"id": "skip-code-bare", "sh": "exit 5", "skip_code": 5}
{"id": "skip-code-other", "sh": "exit 6", "skip_code": 5}
{"id": "pass-regex", "sh": "echo first; echo all good; exit 1", "pass_regex": ["^nothing$", "^all (good|fine)$"]}
{"id": "pass-regex-miss", "sh": "echo not all good", "pass_regex": ["^all good$"]}
{"id": "fail-regex", "sh": "echo 'found ERROR42 here'", "fail_regex": ["ERROR[0-9]+"]}
{"id": "fail-regex-miss", "sh": "echo fine", "fail_regex": ["ERROR[0-9]+"]}
{"id": "transient", "sh": "echo run; [ -e transient.state ] && exit 0; touch transient.state; exit 4", "transient_code": 4, "transient_file": "present.py"}
{"id": "transient-stuck", "sh": "echo run; exit 4", "transient_code": 4, "transient_file": "present.py"}
{"id": "transient-gone", "sh": "echo run >>gone.runs; exit 4", "transient_code": 4, "transient_file": "absent.py"}
EOF
	dagz run --log-dir "$BATS_FILE_TMPDIR/logs" -j 4 --retries 0 \
	    --manifest suite.ndjson --events events.ndjson \
	    >console.out 2>&1 3>&- || echo $? >status
}

setup() {
	cd "$BATS_FILE_TMPDIR"
	ev=$BATS_FILE_TMPDIR/events.ndjson
}

# Prints [status, reason] of TEST's result, as one compact line.
outcome() {
	jq -c --arg t "$1" 'select(.type == "result" and .test == $t) |
	    [.status, .reason]' "$ev"
}

# Prints the cases of TEST's result, [name, status] a line.
cases_of() {
	jq -c --arg t "$1" 'select(.type == "result" and .test == $t) |
	    .cases[] | [.name, .status]' "$ev"
}

@test "the run exits 1 and reports each test once, as attempt 1" {
	cat console.out
	[ "$(cat status)" = 1 ]
	run -0 jq -r 'select(.type == "result") | "\(.test) \(.attempt)"' "$ev"
	[ "${#lines[@]}" = 21 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" = 21 ]
	! grep -v ' 1$' <<<"$output"
}

@test "a TAP test that exits 0 with a failed case fails, naming it" {
	[ "$(outcome tap-fail)" = '["FAILED","1 of 3 cases failed: second one"]' ]
	diff -u - <(cases_of tap-fail) <<'EOF'
["first","OK"]
["second one","FAILED"]
["third","SKIPPED"]
["fourth","TODO"]
EOF
	[ "$(event_get "$ev" tap-fail '.cases[2].reason')" = "no db" ]
	[ "$(event_get "$ev" tap-fail .exit)" = 0 ]
	grep -E '^[0-9:.]{12} FAILED tap-fail [0-9.]+s worker #[0-3]: 1 of 3 cases failed: second one$' console.out
}

@test "the log keeps a TAP test's stdout and stderr" {
	# The worker copies stdout there as it reads it: in order, though
	# not to the byte with stderr, which goes to the log directly.
	diff -u - <(grep -v '^# it broke$' logs/tap-fail.1.log) <<'EOF'
1..4
ok 1 - first
not ok 2 - second one
ok 3 - third # SKIP no db
not ok 4 - fourth # TODO later
EOF
	[ "$(grep -c '^# it broke$' logs/tap-fail.1.log)" = 1 ]
}

@test "TODO cases do not fail a test; a non-zero exit still does" {
	[ "$(outcome tap-pass)" = '["OK",null]' ]
	diff -u - <(cases_of tap-pass) <<'EOF'
["a","OK"]
["b","TODO"]
EOF
	[ "$(outcome tap-exit)" = '["FAILED","exit 3"]' ]
	[ "$(cases_of tap-exit)" = '["a","OK"]' ]
}

@test "a plan the cases disagree with and Bail out! fail the test" {
	[ "$(outcome tap-plan)" = '["FAILED","planned 5 cases, ran 4"]' ]
	[ "$(cases_of tap-plan | wc -l)" = 4 ]
	[ "$(outcome tap-bail)" = '["FAILED","bail out: no database"]' ]
	[ "$(cases_of tap-bail)" = '["a","OK"]' ]
}

@test "a plan of 1..0 with a skip reason skips the test" {
	[ "$(outcome tap-skip-all)" = '["SKIPPED","no python here"]' ]
	[ "$(event_get "$ev" tap-skip-all '.cases | length')" = 0 ]
}

@test "a test's JUnit XML in \$DAGZ_JUNIT gives its cases, after TAP's" {
	[ "$(outcome junit)" = '["FAILED","1 of 2 cases failed: s.b"]' ]
	diff -u - <(cases_of junit) <<'EOF'
["s.a","OK"]
["s.b","FAILED"]
EOF
	[ "$(event_get "$ev" junit '.cases[1].reason')" = boom ]
	# Named like the log, and left for whoever looks into the run.
	xmllint --noout logs/junit/junit.1.xml
	[ "$(outcome junit-tap)" = '["OK",null]' ]
	diff -u - <(cases_of junit-tap) <<'EOF'
["from tap","OK"]
["from junit","OK"]
EOF
}

@test "JUnit XML that cannot be read fails the test" {
	run -0 outcome junit-bad
	[ "$output" = '["FAILED","bad JUnit XML in $DAGZ_JUNIT: line 2: no element found"]' ]
}

@test "will_fail passes a failing exit and fails exit 0" {
	[ "$(outcome will-fail-ok)" = '["OK",null]' ]
	[ "$(outcome will-fail-bad)" = '["FAILED","exit 0, expected to fail"]' ]
}

@test "skip_code skips, with skip_reason or the exit" {
	[ "$(outcome skip-code)" = '["SKIPPED","no gpu"]' ]
	[ "$(outcome skip-code-bare)" = '["SKIPPED","exit 5"]' ]
	[ "$(outcome skip-code-other)" = '["FAILED","exit 6"]' ]
}

@test "pass_regex decides instead of the exit; fail_regex fails" {
	[ "$(outcome pass-regex)" = '["OK",null]' ]
	[ "$(outcome pass-regex-miss)" = '["FAILED","output matches no pass_regex"]' ]
	[ "$(outcome fail-regex)" = '["FAILED","output matches fail_regex '"'ERROR[0-9]+'"'"]' ]
	[ "$(outcome fail-regex-miss)" = '["OK",null]' ]
}

@test "a transient exit while the file exists runs the test again, same attempt" {
	[ "$(outcome transient)" = '["OK","transient error (exit 4 while '"'present.py'"' exists), ran again 1 time"]' ]
	diff -u - logs/transient.1.log <<'EOF'
run
dagz: exit 4 while 'present.py' exists: running again in 0.5s
run
EOF
	[ "$(outcome transient-stuck)" = '["FAILED","exit 4, transient error (exit 4 while '"'present.py'"' exists), ran again 3 times"]' ]
	[ "$(grep -c '^run$' logs/transient-stuck.1.log)" = 4 ]
	# The pauses add up to 3.5 s: within the bound, over all tries.
	run -0 event_get "$ev" transient-stuck .duration
	awk -v d="$output" 'BEGIN { exit !(d >= 3.5 && d < 5) }'
}

@test "a transient exit whose file is missing fails at once" {
	[ "$(outcome transient-gone)" = '["FAILED","exit 4, '"'absent.py'"' is missing: No such file or directory"]' ]
	[ "$(cat gone.runs)" = run ]
}

@test "a bad pass_regex or fail_regex is refused with the manifest" {
	m=$(manifest bad.ndjson <<'EOF'
{"id": "fine", "sh": "true"}
{"id": "bad", "sh": "true", "fail_regex": ["ok", "a(b"]}
EOF
)
	run -2 dagz_run --manifest "$m"
	[ "${#lines[@]}" = 1 ]
	[[ ${lines[0]} == *"bad.ndjson:2: test 'bad': \"fail_regex\": bad regex 'a(b': "* ]]
}

@test "a TAP test's grandchild holding its stdout does not hang the run" {
	cd "$BATS_TEST_TMPDIR"
	m=$(manifest <<'EOF'
{"id": "hold", "format": "tap", "sh": "echo 1..1; echo ok 1 - a; (setsid sh -c 'echo $$ >hold.pid; exec sleep 300' &); while [ ! -s hold.pid ]; do :; done"}
EOF
)
	SECONDS=0
	run -0 timeout 60 dagz run --log-dir logs -j 1 --grace 1 --manifest "$m" \
	    --events ev.ndjson 3>&-
	[ "$SECONDS" -lt 5 ]
	[ "$(event_get ev.ndjson hold '[.status, .reason] | @tsv')" = \
	    "$(printf 'OK\tleaked 1 process')" ]
	[ "$(event_get ev.ndjson hold '.cases | map(.name) | join(",")')" = a ]
	! kill -0 "$(cat hold.pid)" 2>/dev/null
}

@test "the TAP pipe stays out of other descriptors, the test's and the worker's" {
	cd "$BATS_TEST_TMPDIR"
	# $PPID of the shell is the worker.
	m=$(manifest <<'EOF'
{"id": "w1", "sh": "ls /proc/$$/fd >w1.own; ls /proc/$PPID/fd >w1.worker"}
{"id": "w2", "format": "tap", "sh": "ls /proc/$$/fd >w2.own; echo 1..1; echo ok 1", "needs": ["w1"]}
{"id": "w3", "sh": "ls /proc/$PPID/fd >w3.worker", "needs": ["w2"]}
EOF
)
	run -0 dagz_run -j 1 --manifest "$m"
	diff -u w1.own w2.own
	diff -u w1.worker w3.worker
}
