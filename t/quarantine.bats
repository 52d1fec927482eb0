#!/usr/bin/env bats
# The quarantine: zb quarantine add, list and remove against a real
# dagzd; a quarantined test still runs and keeps its status, but its
# failure does not fail the job, which the console, the report, the
# store and JUnit say; --auto-quarantine N quarantines a test flaky in N
# of the last jobs on main and releases it after 20 clean runs there;
# bad input to the routes and the flags gets one line.

load helpers

# One dagzd for the file; each test has a project of its own.
setup_file() {
	dagzd_file_start
}

setup() {
	dagzd_file_use
	export DAGZ_PROJECT="p$BATS_TEST_NUMBER" DAGZ_BRANCH=main
	cd "$BATS_TEST_TMPDIR"
}

teardown_file() {
	dagzd_file_stop
}

# Records COUNT finished jobs of the project on BRANCH through the
# store's API, as a scheduler sends them, with one result for each TEST
# given (as TEST:STATUS), in one curl; job UUIDs are numbered from FIRST.
seed_jobs() {
	local branch=$1 first=$2 count=$3 i uuid t
	shift 3
	for i in $(seq "$first" $((first + count - 1))); do
		uuid=$(printf '00000000-0000-4000-8000-%012d' "$i")
		printf -- '--next\n-X POST\n-o /dev/null\nurl = "%s"\n' \
		    "$DAGZ_URL/api/v1/jobs"
		printf 'data = "%s"\n' "{\\\"type\\\":\\\"job\\\",\\\"uuid\\\":\\\"$uuid\\\",\\\"project\\\":\\\"$DAGZ_PROJECT\\\",\\\"branch\\\":\\\"$branch\\\"}"
		printf -- '--next\n-X POST\n-o /dev/null\nurl = "%s"\ndata = "' \
		    "$DAGZ_URL/api/v1/jobs/$uuid/events"
		for t in "$@"; do
			printf '{\\"type\\":\\"result\\",\\"test\\":\\"%s\\",\\"status\\":\\"%s\\",\\"attempt\\":%d,\\"final\\":true}\\n' \
			    "${t%%:*}" "${t#*:}" $([ "${t#*:}" = OK ] && echo 1 || echo 2)
		done
		printf '{\\"type\\":\\"summary\\",\\"tests\\":%d,\\"exit\\":0,\\"end\\":%d}"\n' \
		    $# "$(date +%s)"
	done >seed.curl
	curl -sSf -K seed.curl
}

# The console's lines without their times.
untimed() {
	sed 's/^[0-9:.]* //' <<<"$output"
}

@test "zb quarantine adds, lists and removes a test of the project" {
	run -0 zb quarantine add db/query --reason 'ticket 12' --json
	run -0 jq -c '{project, test, reason, auto}' <<<"$output"
	[ "$output" = '{"project":"p1","test":"db/query","reason":"ticket 12","auto":false}' ]
	run -0 zb quarantine add net/dns
	# Another project's quarantine is its own.
	run -0 zb quarantine add --project other db/query
	run -0 zb quarantine list --json
	[ "$(jq -r '[.project, .test, .reason // "-"] | @tsv' <<<"$output")" = \
	    "$(printf 'p1\tdb/query\tticket 12\np1\tnet/dns\t-')" ]
	run -0 zb quarantine remove db/query
	[ "$(jq -r .test <<<"$output")" = db/query ]
	run -0 zb quarantine list
	[ "$(jq -r .test <<<"$output")" = net/dns ]
	# Not there: one line, exit 1.
	run -1 zb quarantine remove db/query
	[ "$output" = "zb: test 'db/query' is not quarantined in project 'p1'" ]
	run -0 zb quarantine list --project other --json
	[ "$(jq -r .test <<<"$output")" = db/query ]
	run -2 zb quarantine frob x
	[ "${lines[0]}" = "zb: quarantine: unknown subcommand 'frob'" ]
	run -2 zb quarantine remove
}

@test "a quarantined failure keeps its status and fails no job, until it is removed" {
	m=$(manifest <<'EOF'
{"id": "ok", "sh": "true"}
{"id": "bad", "sh": "echo broken; exit 1"}
{"id": "after", "sh": "true", "needs": ["bad"]}
EOF
)
	run -1 dagz_run --all -j 1 --retries 1 --manifest "$m"
	run -0 zb quarantine add bad --reason 'ticket 7'

	run -0 dagz_run --all -j 1 --retries 1 --manifest "$m" \
	    --events ev.ndjson --junit junit.xml
	untimed >out
	# Retried as ever, said quarantined, and so is what needs it.
	grep -Fx 'dagz: 1 test quarantined: its failure fails no job' out
	grep -q '^FAILED bad .* worker #0: exit 1 (attempt 1; immediate retry follows) \[quarantined\]$' out
	grep -q '^FAILED bad .* worker #0: exit 1 (attempt 2) \[quarantined\]$' out
	grep -Fx 'DEP_FAILED after: needs '"'bad'"' which FAILED' out
	grep -q '^summary: .*: 1 OK, 1 FAILED (quarantined), 1 DEP_FAILED (quarantined)$' out
	grep -q '^== dagz job j[0-9]* PASSED: 1 OK, 1 FAILED (quarantined), 1 DEP_FAILED (quarantined) in ' out
	grep -Fx '  FAILED     bad (exit 1) [quarantined]' out
	run -0 jq -cs '[.[] | select(.type == "result" and .final) |
	    [.test, .status, .quarantined]] | sort[]' ev.ndjson
	[ "$output" = '["after","DEP_FAILED",true]
["bad","FAILED",true]
["ok","OK",null]' ]
	# The store keeps it, and zb tests says it.
	job=$(jq -r 'select(.type == "summary") | .job' ev.ndjson)
	# The dashboard tags it, among the errors and the tests.
	curl -sSf "$DAGZ_URL/jobs/$job?tab=errors" >errors.html
	grep -A3 'data-test="bad"' errors.html | grep -F '<span class="tag quarantined"'
	curl -sSf "$DAGZ_URL/jobs/$job?tab=tests" >tests.html
	[ "$(grep -c 'class="tag quarantined"' tests.html)" = 2 ]
	! grep 'data-test="ok"' tests.html | grep -F 'tag quarantined'
	run -0 zb tests "$job" --json
	[ "$(jq -r 'select(.test == "bad") | [.status, .quarantined] |
	    @tsv' <<<"$output")" = "$(printf 'FAILED\ttrue')" ]
	[ "$(jq -r 'select(.test == "ok") | .quarantined' <<<"$output")" = null ]
	# JUnit: skipped, which CI shows without failing, with why.
	grep -F '<testsuites name="dagz" tests="3" failures="0" errors="0" skipped="2"' junit.xml
	grep -A4 '<testcase name="bad"' junit.xml | grep -F '<skipped message="quarantined: FAILED: exit 1"/>'
	grep -A4 '<testcase name="bad"' junit.xml | grep -F '<property name="dagz.quarantined" value="true"/>'
	run -0 zb junit "$job"
	grep -F '<skipped message="quarantined: FAILED: exit 1"/>' <<<"$output"
	grep -F 'tests="3" failures="0" errors="0" skipped="2"' <<<"$output"

	# Nor does it count toward --fail-fast: what runs after it runs.
	m2=$(manifest <<'EOF'
{"id": "bad", "sh": "exit 1"}
{"id": "later", "sh": "true", "after": ["bad"]}
EOF
)
	run -0 dagz_run --all -j 1 --fail-fast --manifest "$m2" --events ev3.ndjson
	[ "$(event_status ev3.ndjson later)" = OK ]

	run -0 zb quarantine remove bad
	run -1 dagz_run --all -j 1 --fail-fast --manifest "$m2" --events ev4.ndjson
	[ "$(event_status ev4.ndjson later)" = NOT_RUN ]
	run -1 dagz_run --all -j 1 --retries 1 --manifest "$m" --events ev2.ndjson
	[ "$(event_get ev2.ndjson bad .quarantined)" = null ]
}

@test "JUnit counts no case of a quarantined test, which is one skipped testcase" {
	m=$(manifest <<'EOF'
{"id": "q.sh", "sh": "echo 1..3; echo ok 1; echo not ok 2; echo ok 3; exit 1", "format": "tap"}
{"id": "p.sh", "sh": "echo 1..2; echo ok 1; echo ok 2", "format": "tap"}
EOF
)
	run -0 zb quarantine add q.sh
	run -0 dagz_run --all -j 1 --retries 0 --manifest "$m" --events ev.ndjson \
	    --junit junit.xml
	# q.sh one skipped testcase, p.sh a testsuite of its two cases.
	grep -F '<testsuites name="dagz" tests="3" failures="0" errors="0" skipped="1"' junit.xml
	[ "$(grep -c '<testcase ' junit.xml)" = 3 ]
	job=$(jq -r 'select(.type == "summary") | .job' ev.ndjson)
	run -0 zb junit "$job"
	# Two tests and p.sh's two cases; q.sh's three are not written.
	grep -E '<testsuites name="j[0-9]+" tests="4" failures="0" errors="0" skipped="1"' <<<"$output"
	[ "$(grep -c '<testcase ' <<<"$output")" = 4 ]
}

@test "--auto-quarantine N quarantines a test flaky in N of the last jobs on main, and releases it after 20 clean runs there" {
	# flip fails its first attempt in every job and passes the retry.
	cat >flaky.ndjson <<'EOF'
{"id": "flip", "sh": "n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) >count; [ $((n % 2)) = 1 ]"}
{"id": "steady", "sh": "true"}
EOF
	for i in 1 2; do
		run -0 dagz_run --all -j 1 --manifest flaky.ndjson
		grep -q '^OK_FLAKY flip ' <(untimed)
	done
	# Jobs on another branch count for nothing; one by hand stays.
	seed_jobs topic 1 3 flip:OK_FLAKY elsewhere:OK_FLAKY
	run -0 zb quarantine add steady --reason 'by hand'

	run -0 dagz_run --all -j 1 --auto-quarantine 2 --manifest flaky.ndjson \
	    --events ev.ndjson
	untimed >out
	grep -Fx 'dagz: quarantined automatically: flip (flaky in 2 of the last 2 jobs on main)' out
	grep -Fx '  quarantined automatically: flip (flaky in 2 of the last 2 jobs on main)' out
	[ "$(event_get ev.ndjson flip .quarantined)" = true ]
	run -0 zb quarantine list --json
	[ "$(jq -r '[.test, .auto, .reason] | @tsv' <<<"$output")" = \
	    "$(printf 'flip\ttrue\tauto: flaky in 2 of the last 2 jobs on main\nsteady\tfalse\tby hand')" ]

	# 20 clean jobs on main, then a real one.
	seed_jobs main 10 20 flip:OK steady:OK
	run -0 dagz_run --all -j 1 --auto-quarantine 2 --manifest flaky.ndjson \
	    --events ev2.ndjson
	untimed >out
	grep -Fx 'dagz: released from quarantine: flip (20 clean runs on main)' out
	grep -Fx '  released from quarantine: flip (20 clean runs on main)' out
	[ "$(event_get ev2.ndjson flip .quarantined)" = null ]
	[ "$(event_get ev2.ndjson steady .quarantined)" = true ]
	run -0 zb quarantine list --json
	[ "$(jq -r .test <<<"$output")" = steady ]
}

@test "bad input to the quarantine's routes and flags gets one line" {
	q=$DAGZ_URL/api/v1/quarantine
	post() {
		curl -sS -o body -w '%{http_code}' -X POST "$q$1" --data-binary "$2"
	}
	[ "$(post '' '{"project":"p4"}')" = 400 ]
	[ "$(jq -r .error body)" = '"test" is required' ]
	[ "$(post '' "{\"project\":\"p4\",\"test\":\"$(printf 'x%.0s' $(seq 1025))\"}")" = 400 ]
	[ "$(jq -r .error body)" = '"test" must be a string of 1 to 1024 bytes' ]
	[ "$(post '' '{"project":"p4","test":"a\nb"}')" = 400 ]
	[ "$(post '' 'not json')" = 400 ]
	[ "$(jq -r .error body)" = 'the body must be a JSON object' ]
	[ "$(post /remove '{"project":"nobody","test":"t"}')" = 404 ]
	[ "$(jq -r .error body)" = "test 't' is not quarantined in project 'nobody'" ]
	[ "$(post /auto '{"project":"p4","branch":"main","threshold":0}')" = 400 ]
	[ "$(jq -r .error body)" = '"threshold" must be an integer from 1 to 20' ]
	[ "$(post /auto '{"project":"p4","threshold":3}')" = 400 ]
	[ "$(jq -r .error body)" = '"branch" is required' ]
	# An unknown project has an empty quarantine.
	[ "$(curl -sS "$q?project=nobody")" = "" ]

	echo '{"id": "t", "sh": "true"}' >m.ndjson
	run -2 dagz_run --auto-quarantine 21 --manifest m.ndjson
	[ "$output" = "dagz-run: --auto-quarantine: 21 is too large: a number of jobs from 1 to 20" ]
	run -2 dagz_run --auto-quarantine x --manifest m.ndjson
	[ "${#lines[@]}" = 1 ]
	mkdir .dagz
	printf 'auto_quarantine: 0\n' >.dagz/config.yaml
	run -2 dagz_run --manifest m.ndjson
	[ "$output" = "dagz-run: $PWD/.dagz/config.yaml:1: \"auto_quarantine\" must be a number of jobs from 1 to 20, not \"0\"" ]
	rm -r .dagz

	# A store that does not answer: the job runs without, and says so.
	DAGZ_URL=http://127.0.0.1:$(free_port) run -0 dagz-sched --log-dir logs \
	    --manifest m.ndjson 3>&-
	[ "$(grep -c 'quarantine' <<<"$output")" = 1 ]
	grep -q '^[0-9:.]* dagz: cannot get the quarantine: .*; this job runs without it$' <<<"$output"
}
