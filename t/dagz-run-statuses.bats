#!/usr/bin/env bats
# dagz run on one of each outcome: every status right in the console,
# --events and --junit, and no process of the run alive afterwards.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mark="dagz-statuses-$$-$RANDOM"
	m=$(manifest <<EOF
{"id": "pass", "sh": "echo out; echo err >&2; echo \$PPID >worker.pid; ps -o ppid= -p \$PPID >vassal.pid; exit 0", "env": {"MARK": "$mark"}}
{"id": "fail", "sh": "echo first line; echo going to fail >&2; exit 3", "env": {"MARK": "$mark"}}
{"id": "skip", "sh": "echo not here; exit 77", "env": {"MARK": "$mark"}}
{"id": "hang", "sh": "sleep 300 & echo \$! >hang-child.pid; echo \$\$ >hang.pid; wait", "timeout": 2, "env": {"MARK": "$mark"}}
{"id": "segv", "sh": "echo about to crash; kill -SEGV \$\$", "env": {"MARK": "$mark"}}
{"id": "leak", "sh": "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo \$! >leak.pid; exit 0", "env": {"MARK": "$mark"}}
EOF
)
}

@test "each outcome gets its status, the run exits 1 soon after the timeout" {
	SECONDS=0
	run -1 dagz_run -j 2 --grace 1 --retries 0 --manifest "$m" \
	    --events events.ndjson --junit junit.xml
	elapsed=$SECONDS
	echo "$output"
	[ "$elapsed" -lt 10 ]

	[ "$(event_status events.ndjson pass)" = OK ]
	[ "$(event_status events.ndjson fail)" = FAILED ]
	[ "$(event_status events.ndjson skip)" = SKIPPED ]
	[ "$(event_status events.ndjson hang)" = TIMEOUT ]
	[ "$(event_status events.ndjson segv)" = CRASHED ]
	[ "$(event_status events.ndjson leak)" = OK ]
	got=$(jq -c 'select(.type=="result") | [.test, .exit, .signal, .leaked]' \
	    events.ndjson | sort)
	want=$(sort <<'WANT'
["pass",0,null,0]
["fail",3,null,0]
["skip",77,null,0]
["hang",null,15,0]
["segv",null,11,0]
["leak",0,null,1]
WANT
)
	diff -u <(echo "$want") <(echo "$got")
	[ "$(event_get events.ndjson leak .reason)" = "leaked 1 process" ]
	[ "$(event_get events.ndjson segv .reason)" = SIGSEGV ]
	[ "$(event_get events.ndjson hang .reason)" = "timed out after 2s" ]
	jq -s -e '.[-1] | .type == "summary" and .counts.OK == 2
	    and .counts.FAILED == 1 and .counts.SKIPPED == 1
	    and .counts.TIMEOUT == 1 and .counts.CRASHED == 1 and .exit == 1' \
	    events.ndjson
}

@test "the console shows failures with their log tail and a red report" {
	run -1 dagz_run -j 2 --grace 1 --retries 0 --manifest "$m"
	echo "$output"
	# Every line starts with the elapsed time.
	! grep -vE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} ' <<<"$output"
	grep -E '^[0-9:.]{12} FAILED fail [0-9.]+s worker #[01]: exit 3$' <<<"$output"
	grep -E '^[0-9:.]{12}     \| going to fail$' <<<"$output"
	grep -E '^[0-9:.]{12} TIMEOUT hang [0-9.]+s worker #[01]: timed out after 2s$' <<<"$output"
	grep -E '^[0-9:.]{12} CRASHED segv [0-9.]+s worker #[01]: SIGSEGV$' <<<"$output"
	grep -E '^[0-9:.]{12} OK leak [0-9.]+s worker #[01]: leaked 1 process$' <<<"$output"
	grep -E 'summary: 6 tests in [0-9.]+s \(planned [0-9.]+s\), CPU [0-9.]+s, [0-9]+ stolen: 2 OK, 1 skipped, 1 FAILED, 1 TIMEOUT, 1 CRASHED$' <<<"$output"
	grep -E '== dagz job [0-9a-f-]{36} FAILED ==$' <<<"$output"
	grep -E '^[0-9:.]{12}   FAILED +fail \(exit 3\)$' <<<"$output"
	! grep -q $'\033' <<<"$output"
}

@test "a green run prints a green report only when colour is allowed" {
	m=$(manifest ok.ndjson <<'EOF'
{"id": "ok", "sh": "true"}
EOF
)
	run -0 env -u NO_COLOR dagz run -j 1 --color=always --manifest "$m"
	grep -q $'\033\[32m== dagz job .* PASSED: 1 OK in' <<<"$output"
	run -0 dagz run -j 1 --color=always --manifest "$m"
	! grep -q $'\033' <<<"$output"
	grep -qE '== dagz job [0-9a-f-]{36} PASSED: 1 OK in [0-9.]+s ==$' <<<"$output"
}

@test "the log keeps stdout and stderr in order" {
	run -1 dagz_run -j 2 --grace 1 --retries 0 --manifest "$m"
	diff -u - "$BATS_TEST_TMPDIR/logs/pass.1.log" <<'EOF'
out
err
EOF
}

@test "junit has a testcase per test with the right elements" {
	run -1 dagz_run -j 2 --grace 1 --retries 0 --manifest "$m" --junit junit.xml
	xmllint --noout junit.xml
	x() { xmllint --xpath "$1" junit.xml; echo; }
	[ "$(x 'string(/testsuites/@tests)')" = 6 ]
	[ "$(x 'string(/testsuites/@failures)')" = 3 ]
	[ "$(x 'string(/testsuites/@skipped)')" = 1 ]
	[ "$(x 'count(//testcase)')" = 6 ]
	[ "$(x 'count(//testcase[@name="pass"]/*[self::failure or self::skipped])')" = 0 ]
	[ "$(x 'string(//testcase[@name="fail"]/failure/@type)')" = FAILED ]
	[ "$(x 'string(//testcase[@name="fail"]/failure/@message)')" = "exit 3" ]
	x 'string(//testcase[@name="fail"]/failure)' | grep -qx 'going to fail'
	[ "$(x 'count(//testcase[@name="skip"]/skipped)')" = 1 ]
	[ "$(x 'string(//testcase[@name="hang"]/failure/@type)')" = TIMEOUT ]
	[ "$(x 'string(//testcase[@name="segv"]/failure/@type)')" = CRASHED ]
}

@test "no process of the run is alive afterwards" {
	run -1 dagz_run -j 2 --grace 1 --retries 0 --manifest "$m"
	for f in worker.pid vassal.pid hang.pid hang-child.pid leak.pid; do
		pid=$(tr -d ' ' <"$f")
		[ -n "$pid" ]
		if kill -0 "$pid" 2>/dev/null; then
			echo "$f: $pid is alive" >&2
			ps -o pid,ppid,args -p "$pid" >&2
			return 1
		fi
	done
	assert_no_process_with_env MARK "$mark"
}

@test "the test environment names job, test, worker and attempt" {
	m=$(manifest env.ndjson <<'EOF'
{"id": "env", "sh": "env | grep ^DAGZ_ | sort >env.out; echo $EXTRA >extra.out"}
EOF
)
	# The manifest's env reaches the test.
	jq -c '.env = {"EXTRA": "from-manifest"}' "$m" >"$m.tmp"
	mv "$m.tmp" "$m"
	run -0 dagz_run -j 1 --manifest "$m"
	grep -qx 'DAGZ_TEST_ID=env' env.out
	grep -qx 'DAGZ_WORKER_ID=0' env.out
	grep -qx 'DAGZ_WORKER_SUFFIX=_jw00' env.out
	grep -qx 'DAGZ_ATTEMPT=1' env.out
	grep -qE '^DAGZ_JOB_ID=[0-9a-f-]{36}$' env.out
	grep -qx 'from-manifest' extra.out
}

@test "--leak=fail turns a leaked process into a failure" {
	m=$(manifest leak.ndjson <<'EOF'
{"id": "leak", "sh": "sleep 300 & exit 0"}
EOF
)
	run -1 dagz_run -j 1 --leak=fail --manifest "$m" --events ev.ndjson
	[ "$(event_status ev.ndjson leak)" = FAILED ]
	[ "$(event_get ev.ndjson leak .reason)" = "leaked 1 process" ]
}

@test "a test over --mem-budget is killed and FAILED" {
	m=$(manifest mem.ndjson <<'EOF'
{"id": "hog", "sh": "x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo ${#x}"}
{"id": "small", "sh": "true"}
EOF
)
	run -1 dagz_run -j 1 --mem-budget 64M --manifest "$m" --events ev.ndjson
	[ "$(event_status ev.ndjson hog)" = FAILED ]
	[[ "$(event_get ev.ndjson hog .reason)" == "memory budget exceeded ("*" MiB > 64 MiB)" ]]
	[ "$(event_status ev.ndjson small)" = OK ]
}

@test "a command that does not exist fails at once, saying so" {
	m=$(manifest nocmd.ndjson <<'EOF'
{"id": "nocmd", "cmd": ["./no-such-program"]}
EOF
)
	run -1 dagz_run -j 1 --manifest "$m" --events ev.ndjson
	[ "$(event_get ev.ndjson nocmd .status)" = FAILED ]
	[ "$(event_get ev.ndjson nocmd .exit)" = 127 ]
	[ "$(event_get ev.ndjson nocmd .reason)" = "command not found: './no-such-program'" ]
}

@test "--exec runs each executable file matching the globs" {
	mkdir bin
	printf '#!/bin/sh\nexit 0\n' >bin/a.test
	printf '#!/bin/sh\nexit 77\n' >bin/b.test
	printf 'not executable\n' >bin/c.test
	chmod +x bin/a.test bin/b.test
	run -0 dagz_run -j 2 --exec 'bin/*.test' --events ev.ndjson
	[ "$(event_status ev.ndjson bin/a.test)" = OK ]
	[ "$(event_status ev.ndjson bin/b.test)" = SKIPPED ]
	[ "$(jq -s '[.[] | select(.type=="result")] | length' ev.ndjson)" = 2 ]
}

@test "a test running longer than --slow gets a still-running line" {
	m=$(manifest slow.ndjson <<'EOF2'
{"id": "slowpoke", "sh": "sleep 2.6"}
EOF2
)
	run -0 dagz_run -j 1 --slow 1s --manifest "$m"
	grep -qE '^[0-9:.]{12} still running: slowpoke \(1\.[0-9]s on worker #0\)$' <<<"$output"
	grep -qE '^[0-9:.]{12} still running: slowpoke \(2\.[0-9]s on worker #0\)$' <<<"$output"
	[ "$(grep -c 'still running' <<<"$output")" -eq 2 ]
}

@test "SIGINT stops the run, kills its tests and exits 3" {
	mark="dagz-int-$$-$RANDOM"
	m=$(manifest int.ndjson <<EOF2
{"id": "long1", "sh": "sleep 60", "env": {"MARK": "$mark"}}
{"id": "long2", "sh": "setsid sleep 60 & sleep 60", "env": {"MARK": "$mark"}}
EOF2
)
	# Started directly, not through a function, so that $! is dagz itself.
	dagz run -j 2 --manifest "$m" --events ev.ndjson >out.txt 2>&1 3>&- &
	pid=$!
	for i in $(seq 50); do
		[ "$(pids_with_env MARK "$mark" | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat out.txt
	[ "$rc" -eq 3 ]
	grep -q 'interrupted by SIGINT' out.txt
	[ "$(event_status ev.ndjson long1)" = DAGZ_ERROR ]
	[ "$(event_status ev.ndjson long2)" = DAGZ_ERROR ]
	grep -qE '== dagz job [0-9a-f-]{36} ERROR ==$' out.txt
	assert_no_process_with_env MARK "$mark"
}
