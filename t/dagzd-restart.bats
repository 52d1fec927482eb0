#!/usr/bin/env bats
# Nothing is lost: a dagzd killed with SIGKILL and restarted in the middle
# of a job, a dagzd that is not there at all, and a first run that finds
# no dagzd and starts one.

load helpers

teardown() {
	dagzd_stop
	zb daemon down --quiet 3>&- || :
}

@test "dagzd killed with SIGKILL mid-run and restarted 2s later: 100 results stored" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	for i in $(seq 1 100); do
		printf '{"id": "t%03d", "sh": "sleep 0.1; echo test %d"}\n' "$i" "$i"
	done >hundred.ndjson
	dagz run -j 2 --log-dir logs --manifest hundred.ndjson >run.out 2>run.err 3>&- &
	run_pid=$!
	sleep 1
	kill -KILL "$DAGZD_PID"
	wait "$DAGZD_PID" || :
	port=$DAGZD_PORT
	sleep 2
	DAGZD_LISTEN=127.0.0.1:$port dagzd_start
	rc=0
	wait "$run_pid" || rc=$?
	cat run.out run.err
	[ "$rc" -eq 0 ]
	grep -q '^[0-9:.]* dagz: job j1: 100 tests from ' run.out
	grep -q "store: cannot reach dagzd at http://127.0.0.1:$port" run.err
	zb job j1 --json | jq -e '.status == "passed" and .tests == 100
	    and .counts == {"OK": 100}'
	[ "$(zb tests j1 | jq -s 'map(select(.status == "OK")) | length')" -eq 100 ]
	[ "$(zb spans j1 --type test | jq -s 'map(.test) | unique | length')" -eq 100 ]
	[ "$(zb spans j1 --type test | jq -s length)" -eq 100 ]
	[ "$(zb logs j1 t057)" = "$(printf '==> t057 (attempt 1: OK) <==\ntest 57')" ]
	# Everything was acknowledged: no spool is left.
	[ -z "$(ls "$DAGZ_HOME/spool")" ]
}

@test "with no dagzd the run is unharmed; its spool is sent by the next job" {
	cd "$BATS_TEST_TMPDIR"
	port=$(free_port)
	m=$(manifest <<'EOF2'
{"id": "ok", "sh": "echo fine"}
{"id": "bad", "sh": "echo broken; exit 2"}
EOF2
)
	unset DAGZ_NO_STORE
	# dagz-sched itself: dagz run would start a dagzd.
	DAGZ_URL=http://127.0.0.1:$port run -1 --separate-stderr \
	    dagz-sched --retries 0 --log-dir logs --manifest "$m" 3>&-
	[ "${stderr_lines[0]}" = "dagz-run: store: cannot reach dagzd at http://127.0.0.1:$port: connection failed; the job's records are kept in '$DAGZ_HOME/spool/$(ls "$DAGZ_HOME/spool")' and sent when it answers" ]
	grep -q '== dagz job .* FAILED ==' <<<"$output"
	grep -q 'bad (exit 2)' <<<"$output"
	[ "$(ls "$DAGZ_HOME/spool" | wc -l)" -eq 1 ]
	lost=$(basename "$(ls "$DAGZ_HOME/spool")" .ndjson)

	DAGZD_LISTEN=127.0.0.1:$port dagzd_start
	run -1 dagz_run --retries 0 --manifest "$m"
	# The next job sent the orphan spool along with its own before it
	# ended, however short it was.
	[ -z "$(ls "$DAGZ_HOME/spool")" ]
	zb job "$lost" --json | jq -e '.status == "failed" and .counts == {"OK": 1, "FAILED": 1}'
	[ "$(zb logs "$lost")" = "$(printf '==> bad (attempt 1: FAILED) <==\nbroken')" ]
	[ "$(zb jobs | jq -s length)" -eq 2 ]
}

@test "dagz run starts a dagzd when none answers, so a first run needs no set-up" {
	cd "$BATS_TEST_TMPDIR"
	port=$(free_port)
	export DAGZ_URL=http://127.0.0.1:$port
	unset DAGZ_NO_STORE
	m=$(manifest <<<'{"id": "hello", "sh": "echo hello"}')
	run -0 dagz_run --manifest "$m"
	grep -q "dagz: job j1: 1 test from " <<<"$output"
	grep -qx "[0-9:.]* $DAGZ_URL/jobs/j1" <<<"$output"
	run -0 zb daemon status --json
	[ "$(jq -r .store <<<"$output")" = "$DAGZ_HOME/store.db" ]
	[ "$(zb job j1 --json | jq -r .status)" = passed ]
	# --no-store: no job recorded, and nothing started.
	run -0 dagz_run --no-store --manifest "$m"
	grep -q "dagz: job [0-9a-f-]\{36\}: 1 test from " <<<"$output"
	[ "$(zb jobs | jq -s length)" -eq 1 ]
	run -0 zb daemon down
}
