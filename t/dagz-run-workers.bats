#!/usr/bin/env bats
# Workers at work: a worker killed mid-test is replaced and the job
# completes; idle workers steal queued tests; locks and node-mutex keep
# tests apart; status lines and the stuck report say what each worker
# does.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "kill -9 of a worker mid-test: that test FAILED, the job completes" {
	mark="dagz-kill-$$-$RANDOM"
	{
		printf '{"id": "victim", "sh": "echo $PPID >worker.pid; sleep 60 & echo $! >child.pid; wait", "estimate": 5, "env": {"MARK": "%s"}}\n' "$mark"
		for i in $(seq 1 20); do
			printf '{"id": "q%02d", "sh": "sleep 0.05", "estimate": 0.1}\n' "$i"
		done
	} >suite.ndjson
	dagz run -j 2 --log-dir logs --manifest suite.ndjson --events ev.ndjson \
	    >out.txt 2>&1 3>&- &
	pid=$!
	for i in $(seq 100); do
		[ -s worker.pid ] && [ -s child.pid ] && break
		sleep 0.05
	done
	kill -9 "$(cat worker.pid)"
	rc=0
	wait "$pid" || rc=$?
	cat out.txt
	[ "$rc" -eq 1 ]
	[ "$(event_status ev.ndjson victim)" = FAILED ]
	[ "$(event_get ev.ndjson victim .reason)" = "worker died: killed by SIGKILL" ]
	[ "$(jq -s '[.[] | select(.test == "victim")] | length' ev.ndjson)" = 1 ]
	for i in $(seq -w 1 20); do
		[ "$(event_status ev.ndjson q$i)" = OK ]
	done
	jq -s -e '.[-1].counts.OK == 20 and .[-1].counts.FAILED == 1' ev.ndjson
	! kill -0 "$(cat child.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "an idle worker steals queued tests from a busy one" {
	# The plan thinks every test takes 1s; "slow" takes 2s and the
	# tests queued behind it are taken by the other worker.
	{
		printf '{"id": "slow", "sh": "sleep 2", "estimate": 1.0}\n'
		for i in 1 2 3 4 5 6; do
			printf '{"id": "t%d", "sh": "sleep 0.1", "estimate": 1.0}\n' "$i"
		done
	} >suite.ndjson
	run -0 dagz_run -j 2 --plan --manifest suite.ndjson
	planned0=$(jq -r 'select(.worker == 0 and .test != "slow") | .test' <<<"$output" | sort)
	[ -n "$planned0" ]
	[ "$(jq -r 'select(.test == "slow") | .worker' <<<"$output")" = 0 ]
	run -0 dagz_run -j 2 --manifest suite.ndjson --events ev.ndjson
	ran0=$(jq -r 'select(.worker == 0 and .test != "slow") | .test' ev.ndjson | sort)
	# What was planned behind "slow" ran on worker 1.
	[ -z "$(comm -12 <(echo "$planned0") <(echo "$ran0"))" ]
	jq -s -e '.[-1].stolen >= 1' ev.ndjson
	grep -qE 'CPU [0-9.]+s, [1-9][0-9]* stolen: 7 OK' <<<"$output"
}

# The [start, end] of each test, from stamp files.
stamp() {
	printf '{"id": "%s", "sh": "date +%%s.%%N >%s.start; sleep %s; date +%%s.%%N >%s.end"%s}\n' \
	    "$1" "$1" "$2" "$1" "${3:+, \"tags\": $3}"
}

# Fails if tests $1 and $2 ran at the same time.
apart() {
	awk -v s1="$(cat "$1.start")" -v e1="$(cat "$1.end")" \
	    -v s2="$(cat "$2.start")" -v e2="$(cat "$2.end")" \
	    'BEGIN { exit !(e1 <= s2 || e2 <= s1) }' || {
		echo "$1 and $2 overlap" >&2
		return 1
	}
}

@test "tests sharing a lock never overlap" {
	m=$(manifest <<EOF
$(stamp a 0.4 '["lock:db"]')
$(stamp b 0.4 '["lock:db"]')
$(stamp c 0.4 '["lock:db", "lock:net"]')
$(stamp d 0.4 '["lock:net"]')
EOF
)
	run -0 dagz_run -j 4 --manifest "$m"
	apart a b
	apart a c
	apart b c
	apart c d
}

@test "a node-mutex test runs alone on its node" {
	m=$(manifest <<EOF
$(stamp m 0.3 '["node-mutex"]')
$(stamp a 0.3)
$(stamp b 0.3)
$(stamp c 0.3)
$(stamp d 0.3)
EOF
)
	run -0 dagz_run -j 3 --manifest "$m"
	for t in a b c d; do
		apart m $t
	done
}

@test "status lines every --status-interval, one per worker, in seed format" {
	m=$(manifest <<'EOF'
{"id": "slowtest", "sh": "sleep 2.5", "estimate": 2}
{"id": "quick", "sh": "true", "estimate": 0.1}
EOF
)
	run -0 dagz_run -j 2 --status-interval 1s --manifest "$m"
	echo "$output"
	grep -qE '^[0-9:.]{12} Worker #0 \[Active\] progress=0\+1/1 actual_delta=\+0\.0s last_finished=[0-9]+\.[0-9]s q=Regular batch #1 time_left=[0-9]+\.[0-9]s stolen=0,0finished reconnects=0 slowtest$' <<<"$output"
	grep -qE '^[0-9:.]{12} Worker #1 \[Idle\] progress=1\+0/1 actual_delta=-0\.1s last_finished=[0-9]+\.[0-9]s q=Regular batch #1 time_left=0\.0s stolen=0,0finished reconnects=0$' <<<"$output"
}

@test "the stuck report names each worker's test, its time and queue" {
	m=$(manifest <<'EOF'
{"id": "hung", "sh": "sleep 2.5"}
EOF
)
	run -0 dagz_run -j 2 --stuck-after 1s --manifest "$m"
	echo "$output"
	grep -qE '^[0-9:.]{12} stuck\? no test has finished for 1\.[0-9]s$' <<<"$output"
	grep -qE '^[0-9:.]{12}   worker #0: running hung for 1\.[0-9]s, 0 queued$' <<<"$output"
	grep -qE '^[0-9:.]{12}   worker #1: Idle, 0 queued$' <<<"$output"
}
