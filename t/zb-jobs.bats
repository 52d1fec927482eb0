#!/usr/bin/env bats
# A run becomes a job in the store, and zb shows it: jobs with short
# IDs and counts, logs, spans, the span-logs bundle, tests, JUnit; two
# runs at once stay apart; an unknown job or span is one line and exit 1.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start --allow-backdate
	m=$(manifest <<'EOF2'
{"id": "pass", "sh": "echo all good"}
{"id": "fail", "sh": "echo expected 4, got 5; echo on stderr >&2; exit 1", "env": {"API_TOKEN": "hunter2", "COLOR": "blue"}}
{"id": "skip", "sh": "exit 77"}
EOF2
)
}

teardown() {
	dagzd_stop
}

@test "zb jobs shows a run with its short ID and counts" {
	run -1 dagz_run -j 2 --manifest "$m"
	echo "$output"
	grep -q '^[0-9:.]* dagz: job j1: 3 tests from ' <<<"$output"
	grep -q "^[0-9:.]* == dagz job j1 FAILED ==$" <<<"$output"
	grep -qx "[0-9:.]* $DAGZ_URL/jobs/j1?spanTypes=failures" <<<"$output"
	run -0 zb jobs --json
	[ "${#lines[@]}" -eq 1 ]
	jq -e '.id == "j1" and .status == "failed" and .exit == 1 and .tests == 3
	    and .counts == {"OK": 1, "FAILED": 1, "SKIPPED": 1}
	    and .passed == 1 and .failed == 1 and .url == "/jobs/j1"' <<<"$output"
	# Piped, zb prints NDJSON without being asked.
	[ "$(zb jobs | jq -r .id)" = j1 ]
	run -0 zb job j1 --json
	[ "$(jq -r .uuid <<<"$output")" = "$(zb jobs --json | jq -r .uuid)" ]
	# The UUID names the same job.
	run -0 zb job "$(zb jobs --json | jq -r .uuid)" --json
	[ "$(jq -r .id <<<"$output")" = j1 ]
}

@test "zb logs prints the failing test's output, every attempt" {
	run -1 dagz_run -j 2 --manifest "$m" --events ev.ndjson
	n=$(jq -s '[.[] | select(.type == "result" and .test == "fail")] | length' ev.ndjson)
	[ "$n" -ge 1 ]
	want=$(for i in $(seq "$n"); do
		printf '==> fail (attempt %d: FAILED) <==\nexpected 4, got 5\non stderr\n' "$i"
	done)
	run -0 zb logs j1
	diff -u <(echo "$want") <(echo "$output")
	run -0 zb logs j1 pass
	diff -u <(printf '==> pass (attempt 1: OK) <==\nall good\n') <(echo "$output")
	run -0 zb logs j1 fail --json
	[ "${#lines[@]}" -eq "$n" ]
	jq -e '.log == "expected 4, got 5\non stderr\n" and .log_cut == 0' <<<"${lines[0]}"
}

@test "zb spans --type test lists every attempt; test.call spans hang under them" {
	run -1 dagz_run -j 2 --manifest "$m" --events ev.ndjson
	want=$(jq -r 'select(.type == "result") | "\(.test) \(.attempt) \(.status)"' ev.ndjson | sort)
	got=$(zb spans j1 --type test --json | jq -r '"\(.test) \(.attempt) \(.status)"' | sort)
	diff -u <(echo "$want") <(echo "$got")
	[ "$(zb spans j1 --type load --json | jq -s length)" -eq 1 ]
	# Each test span has exactly one test.call child.
	zb spans j1 --json | jq -s -e '
	    [.[] | select(.type == "test") | .span] as $tests |
	    [.[] | select(.type == "test.call") | .parent] | sort == ($tests | sort)'
}

@test "zb span-logs writes a tar.gz bundle with secrets masked" {
	export MY_SECRET_VALUE=xyzzy-plugh
	run -1 dagz_run -j 2 --manifest "$m"
	span=$(zb tests j1 --status FAILED --json | jq -r .span)
	run -0 zb span-logs "$span" -o bundle.tar.gz
	[ "$output" = bundle.tar.gz ]
	run -0 tar tzf bundle.tar.gz
	d="dagz-j1-$span"
	diff -u <(printf '%s\n' "$d/README.md" "$d/log.txt" "$d/command.txt" \
	    "$d/env.txt" "$d/history.ndjson" "$d/summary.json" "$d/span.json") \
	    <(echo "$output")
	mkdir x && tar xzf bundle.tar.gz -C x
	[ "$(cat "x/$d/log.txt")" = "$(printf 'expected 4, got 5\non stderr')" ]
	grep -qx 'API_TOKEN=\*\*\*' "x/$d/env.txt"
	grep -qx 'MY_SECRET_VALUE=\*\*\*' "x/$d/env.txt"
	grep -qx 'COLOR=blue' "x/$d/env.txt"
	grep -qx "DAGZ_TEST_ID=fail" "x/$d/env.txt"
	! grep -rq -e hunter2 -e xyzzy-plugh x
	[ "$(tail -n 1 "x/$d/command.txt")" = "/bin/sh -c 'echo expected 4, got 5; echo on stderr >&2; exit 1'" ]
	jq -e '.job == "j1" and .status == "FAILED"' "x/$d/history.ndjson"
	jq -e '.summary.counts.FAILED == 1 and .job.id == "j1"' "x/$d/summary.json"
	jq -e --arg s "$span" '.span == $s and .type == "test" and .test == "fail"' "x/$d/span.json"
	grep -q '^| env.txt |' "x/$d/README.md"
}

@test "an unknown job, test or span is one line and exit status 1" {
	run -1 zb logs j99
	[ "$output" = "zb: unknown job 'j99'" ]
	run -1 zb job j0101.7
	[ "$output" = "zb: unknown job 'j0101.7'" ]
	run -1 zb spans 00000000-0000-4000-8000-000000000000
	[ "$output" = "zb: unknown job '00000000-0000-4000-8000-000000000000'" ]
	run -1 zb span-logs 0123456789abcdef -o x.tar.gz
	[ "$output" = "zb: unknown span '0123456789abcdef'" ]
	[ ! -e x.tar.gz ]
	run -1 dagz_run --manifest "$m"
	run -1 zb logs j1 nosuch
	[ "$output" = "zb: unknown test 'nosuch' in job 'j1'" ]
	run -2 zb tests j1 --status BOGUS
	[ "$output" = "zb: unknown status 'BOGUS'" ]
	run -2 zb frobnicate
	[ "${lines[0]}" = "zb: unknown command 'frobnicate'" ]
}

@test "short IDs: the 3rd job today is j3, a job of another day jMMDD.N; both resolve" {
	one=$(manifest one.ndjson <<<'{"id": "t", "sh": "true"}')
	# (not $i: bats' run sets it)
	for n in 1 2 3; do
		run -0 dagz_run --manifest "$one"
		grep -q "dagz: job j$n: 1 test from " <<<"$output"
	done
	# A job of three days ago, recorded by an API client.
	created=$(($(date +%s) - 3 * 86400))
	mmdd=$(date -d "@$created" +%m%d)
	uuid=3b4e28ba-2fa1-4d2e-883f-0016d3cca427
	curl -sS -d "{\"uuid\": \"$uuid\", \"created\": $created}" "$DAGZ_URL/api/v1/jobs" >/dev/null
	run -0 zb jobs --json
	diff -u <(printf '%s\n' "j$mmdd.1" j3 j2 j1) <(jq -r .id <<<"$output")
	[ "$(zb job "j$mmdd.1" --json | jq -r .uuid)" = "$uuid" ]
	[ "$(zb job j3 --json | jq -r .id)" = j3 ]
	[ "$(zb job j3 --json | jq -r .uuid)" = "$(zb jobs --json | sed -n 2p | jq -r .uuid)" ]
	# --since leaves out the old one.
	[ "$(zb jobs --since 1d --json | jq -s length)" -eq 3 ]
	[ "$(zb jobs --limit 2 --json | jq -s length)" -eq 2 ]
}

@test "two runs at once against one dagzd: both complete, correct and separate" {
	for s in a b; do
		for i in $(seq 1 20); do
			rc=0
			[ "$s" = b ] && [ "$i" -eq 7 ] && rc=1
			printf '{"id": "%s-%02d", "sh": "sleep 0.05; echo %s %d; exit %d"}\n' \
			    "$s" "$i" "$s" "$i" "$rc"
		done >"$s.ndjson"
	done
	dagz run -j 2 --retries 0 --log-dir la --manifest a.ndjson >a.out 2>&1 3>&- &
	pa=$!
	dagz run -j 2 --retries 0 --log-dir lb --manifest b.ndjson >b.out 2>&1 3>&- &
	pb=$!
	rca=0 rcb=0
	wait "$pa" || rca=$?
	wait "$pb" || rcb=$?
	[ "$rca" -eq 0 ]
	[ "$rcb" -eq 1 ]
	ja=$(sed -n 's/.*dagz: job \(j[0-9]*\): .*/\1/p' a.out)
	jb=$(sed -n 's/.*dagz: job \(j[0-9]*\): .*/\1/p' b.out)
	[ -n "$ja" ] && [ -n "$jb" ] && [ "$ja" != "$jb" ]
	zb job "$ja" --json | jq -e '.status == "passed" and .counts == {"OK": 20}'
	zb job "$jb" --json | jq -e '.status == "failed" and .counts == {"OK": 19, "FAILED": 1}'
	diff -u <(seq -f 'a-%02g' 1 20) <(zb tests "$ja" | jq -r .test)
	diff -u <(seq -f 'b-%02g' 1 20) <(zb tests "$jb" | jq -r .test)
	[ "$(zb logs "$jb")" = "$(printf '==> b-07 (attempt 1: FAILED) <==\nb 7')" ]
	[ "$(zb spans "$ja" --type test | jq -s length)" -eq 20 ]
}

@test "recorded durations replace the manifest's estimates in the plan" {
	est=$(manifest est.ndjson <<<'{"id": "t", "sh": "true", "estimate": 100}')
	run -0 dagz_run -j 1 --manifest "$est"
	grep -q 'summary: 1 test in [0-9.]*s (planned 100.0s)' <<<"$output"
	run -0 dagz_run -j 1 --manifest "$est"
	grep -q 'summary: 1 test in [0-9.]*s (planned 0.0s)' <<<"$output"
}

@test "zb tests, junit and flaky read the store" {
	run -1 dagz_run --retries 0 --manifest "$m"
	run -0 zb tests j1 --json
	diff -u <(printf '%s\n' 'fail FAILED 1' 'pass OK 1' 'skip SKIPPED 1') \
	    <(jq -r '"\(.test) \(.status) \(.attempts)"' <<<"$output")
	[ "$(zb tests j1 --status failed | jq -r .test)" = fail ]
	zb junit j1 -o junit.xml
	xmllint --noout junit.xml
	uuid=$(zb job j1 --json | jq -r .uuid)
	sed -E -e 's/(time|timestamp)="[^"]*"/\1="X"/g' -e "s/$uuid/UUID/" \
	    junit.xml | diff -u - <(cat <<'EOF2'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="j1" tests="3" failures="1" errors="0" skipped="1" time="X" timestamp="X">
  <testsuite name="j1" tests="3" failures="1" errors="0" skipped="1" time="X" timestamp="X">
    <properties>
      <property name="dagz.job" value="UUID"/>
    </properties>
    <testcase name="fail" time="X">
      <failure type="FAILED" message="exit 1"/>
      <system-out>expected 4, got 5
on stderr
</system-out>
    </testcase>
    <testcase name="pass" time="X"/>
    <testcase name="skip" time="X">
      <skipped message="SKIPPED"/>
    </testcase>
  </testsuite>
</testsuites>
EOF2
)
	# fail flips to passing in the next job: a flaky candidate.
	sed -i 's/exit 1"/exit 0"/' "$m"
	run -0 dagz_run --retries 0 --manifest "$m"
	run -0 zb flaky --json
	jq -e '.test == "fail" and .runs == 2 and .flips == 1 and .rate == 0.5' <<<"$output"
}

@test "a long log is stored capped: its head, its tail, and a line saying what was cut" {
	big=$(manifest big.ndjson <<<'{"id": "big", "sh": "seq 1 100000; exit 1"}')
	run -1 dagz_run --retries 0 --manifest "$big"
	size=$(seq 1 100000 | wc -c)
	cut=$((size - 262144))
	run -0 zb logs j1 big --json
	jq -e --argjson size "$size" --argjson cut "$cut" \
	    '.log_size == $size and .log_cut == $cut' <<<"$output"
	log=$(jq -r .log <<<"$output")
	[ "$(head -n 3 <<<"$log")" = "$(printf '1\n2\n3')" ]
	[ "$(tail -n 1 <<<"$log")" = 100000 ]
	grep -qx "\[dagz: $cut bytes cut from the middle of this log of $size bytes\]" <<<"$log"
}
