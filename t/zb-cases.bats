#!/usr/bin/env bats
# The cases TAP tests report are shown everywhere: the failure line and
# the report of dagz run, --events, and, through a real dagzd, zb tests,
# zb cases, zb spans --type case and zb junit, hostile names included.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	mkdir t
	# Two failed cases, one with markup and a control byte in its name.
	cat >t/init.sh <<'EOF'
#!/bin/sh
echo 1..4
echo 'ok 1 - init'
echo 'not ok 2 - init --bare'
echo '# expected 0, got 1'
printf 'not ok 3 - weird <&"> \001 name\n'
echo 'ok 4 - needs network # SKIP offline'
EOF
	cat >t/pass.sh <<'EOF'
#!/bin/sh
echo 1..2
echo 'ok 1 - a'
echo 'ok 2 - b'
EOF
	cat >t/many.sh <<'EOF'
#!/bin/sh
echo 1..8
for i in 1 2 3 4 5 6 7; do echo "not ok $i - c$i"; done
echo 'ok 8 - c8'
EOF
	printf '#!/bin/sh\necho "1..0 # SKIP no database"\n' >t/skip.sh
	chmod +x t/*.sh
	m=$(manifest <<'EOF'
{"id": "t/init.sh", "cmd": ["t/init.sh"], "format": "tap"}
{"id": "t/pass.sh", "cmd": ["t/pass.sh"], "format": "tap"}
{"id": "t/many.sh", "cmd": ["t/many.sh"], "format": "tap"}
{"id": "t/skip.sh", "cmd": ["t/skip.sh"], "format": "tap"}
{"id": "plain", "sh": "exit 0"}
EOF
)
}

teardown() {
	dagzd_stop
}

# The run every test looks at: job j1.
run_suite() {
	run -1 dagz_run -j 2 --retries 0 --manifest "$m" --events ev.ndjson
}

@test "dagz run names the failed cases on the failure line and lists them in the report" {
	run_suite
	echo "$output"
	# Timestamps and durations vary; the rest is exact.
	got=$(sed -n 's/^[0-9:.]* //; /^FAILED /s/ [0-9.]*s worker #[0-9]*:/:/p' \
	    <<<"$output" | sort)
	want=$(printf '%s\n' \
	    'FAILED t/init.sh: 2 of 4 cases failed: init --bare, weird <&"> \x01 name' \
	    'FAILED t/many.sh: 7 of 8 cases failed: c1, c2, c3, c4, c5, c6, c7')
	diff -u <(echo "$want") <(echo "$got")
	diff -u - <(sed -n 's/^[0-9:.]* //; s/ in [0-9.]*s ==$/ in Xs ==/
	    /^== dagz job/,/^== /p' <<<"$output") <<'EOF'
== dagz job j1 FAILED ==
  FAILED     t/init.sh (2 of 4 cases failed: init --bare, weird <&"> \x01 name)
             - init --bare: # expected 0, got 1
             - weird <&"> \x01 name
  FAILED     t/many.sh (7 of 8 cases failed: c1, c2, c3, c4, c5, c6, c7)
             - c1
             - c2
             - c3
             - c4
             - c5
             - and 2 more
== 2 of 5 did not pass: 2 OK, 1 skipped, 2 FAILED in Xs ==
EOF
	# No line of dagz's own carries a raw control byte (the log's tail may).
	! grep -v '^[0-9:.]*     | ' <<<"$output" | grep -q $'\001'
}

@test "--events results carry each attempt's cases, without their output" {
	run_suite
	diff -u - <(jq -c 'select(.type == "result" and .test == "t/init.sh") | .cases' ev.ndjson) <<'EOF'
[{"name":"init","status":"OK","duration":null,"reason":null},{"name":"init --bare","status":"FAILED","duration":null,"reason":null},{"name":"weird <&\"> \u0001 name","status":"FAILED","duration":null,"reason":null},{"name":"needs network","status":"SKIPPED","duration":null,"reason":"offline"}]
EOF
	[ "$(event_get ev.ndjson plain '.cases')" = null ]
	[ "$(event_get ev.ndjson t/skip.sh '[.status, .cases, .skip_all] | tostring')" = '["SKIPPED",[],"no database"]' ]
	[ "$(event_get ev.ndjson t/pass.sh '.cases | length')" = 2 ]
}

@test "zb tests counts the cases; zb cases lists them, by test and status" {
	run_suite
	diff -u - <(zb tests j1 | jq -c '[.test, .cases]') <<'EOF'
["plain",null]
["t/init.sh",{"total":4,"failed":2,"skipped":1,"todo":0}]
["t/many.sh",{"total":8,"failed":7,"skipped":0,"todo":0}]
["t/pass.sh",{"total":2,"failed":0,"skipped":0,"todo":0}]
["t/skip.sh",{"total":0,"failed":0,"skipped":0,"todo":0}]
EOF
	# On a terminal, a CASES column.
	run -0 script -qec 'zb tests j1' /dev/null
	diff -u - <(tr -d '\r' <<<"$output" | awk '
	    NR == 1 { c = index($0, "CASES"); n = index($0, "SPAN") - c }
	    { s = substr($0, c, n); sub(/ +$/, "", s); print $1 ": " s }') <<'EOF'
TEST: CASES
plain: -
t/init.sh: 2/4 failed
t/many.sh: 7/8 failed
t/pass.sh: 2 passed
t/skip.sh: 0
EOF
	run -0 zb cases j1 t/init.sh --json
	diff -u - <(jq -c '[.test, .case, .status, .reason, .attempt]' <<<"$output") <<'EOF'
["t/init.sh","init","OK",null,1]
["t/init.sh","init --bare","FAILED",null,1]
["t/init.sh","weird <&\"> \u0001 name","FAILED",null,1]
["t/init.sh","needs network","SKIPPED","offline",1]
EOF
	run -0 zb cases j1 t/init.sh --status FAILED
	diff -u - <(jq -c .case <<<"$output") <<'EOF'
"init --bare"
"weird <&\"> \u0001 name"
EOF
	[ "$(zb cases j1 --status FAILED | jq -s length)" = 9 ]
	[ "$(zb cases j1 | jq -s length)" = 14 ]
	# On a terminal, names are escaped.
	run -0 script -qec 'zb cases j1 t/init.sh --status FAILED' /dev/null
	diff -u - <(tr -d '\r' <<<"$output") <<'EOF'
TEST       CASE                  STATUS  DURATION  REASON
t/init.sh  init --bare           FAILED  -         -
t/init.sh  weird <&"> \x01 name  FAILED  -         -
EOF
	run -2 zb cases j1 --status BROKEN
	[ "$output" = "zb: unknown case status 'BROKEN': expected OK, FAILED, SKIPPED, TODO, TODO_OK or DESELECTED" ]
	run -1 zb cases j1 t/none.sh
	[ "$output" = "zb: unknown test 't/none.sh' in job 'j1'" ]
	run -2 zb cases
}

@test "each case is a span under its attempt's test span, its output the span's log" {
	run_suite
	zb spans j1 --json | jq -s -e '
	    [.[] | select(.type == "test" and .test == "t/init.sh") | .span] as $t |
	    [.[] | select(.type == "case" and .test == "t/init.sh")] |
	    length == 4 and all(.parent == $t[0]) and
	    (map(.name) == ["init", "init --bare", "weird <&\"> \u0001 name",
	        "needs network"]) and
	    (map(.status) == ["OK", "FAILED", "FAILED", "SKIPPED"]) and
	    (map(.attrs.index) == [0, 1, 2, 3])'
	[ "$(zb spans j1 --type case | jq -s length)" = 14 ]
	span=$(zb cases j1 t/init.sh --json | jq -r 'select(.case == "init --bare") | .span')
	run -0 curl -sf "$DAGZ_URL/api/v1/spans/$span/context"
	[ "$(jq -r .log <<<"$output")" = "# expected 0, got 1" ]
}

@test "zb junit adds a testsuite per test with cases, well-formed with hostile names" {
	run_suite
	zb junit j1 -o j.xml
	xmllint --noout j.xml
	x() { xmllint --xpath "$1" j.xml; echo; }
	[ "$(x 'string(/testsuites/@tests)')" = 19 ]
	[ "$(x 'string(/testsuites/@failures)')" = 11 ]
	[ "$(x 'count(/testsuites/testsuite)')" = 4 ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/@tests)')" = 4 ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/@failures)')" = 2 ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/@skipped)')" = 1 ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/testcase[2]/@name)')" = "init --bare" ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/testcase[2]/@classname)')" = t/init.sh ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/testcase[2]/failure)')" = "# expected 0, got 1" ]
	# The control byte is replaced, the markup escaped.
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/testcase[3]/@name)')" = $'weird <&"> \uFFFD name' ]
	[ "$(x 'string(//testsuite[@name="t/init.sh"]/testcase[4]/skipped/@message)')" = offline ]
	# No testsuite for a test without cases, or with none to report.
	[ "$(x 'count(//testsuite[@name="plain" or @name="t/skip.sh"])')" = 0 ]
}
