#!/usr/bin/env bats
# dagzd itself: readiness, one daemon per address, the token, bad
# requests answered with a JSON error while the daemon keeps serving,
# clean shutdown, and jobs whose scheduler vanished.

load helpers

teardown() {
	dagzd_stop
}

# curl that prints the body and then the status on a line of its own.
http() {
	curl -sS -w '\n%{http_code}\n' "$@"
}

@test "dagzd prints one readiness line, answers, and writes its url file" {
	dagzd_start
	run cat "$BATS_TEST_TMPDIR/dagzd.out"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^dagzd:\ listening\ on\ http://127\.0\.0\.1:[0-9]+\ \(pid\ [0-9]+,\ store\ .*/home/store\.db\)$ ]]
	[ "$(cat "$DAGZ_HOME/local.env/url")" = "$DAGZ_URL" ]
	run http "$DAGZ_URL/api/v1/ping"
	[ "${lines[1]}" = 200 ]
	jq -e --argjson pid "$DAGZD_PID" '.dagzd and .pid == $pid' <<<"${lines[0]}"
	run zb daemon status --json
	[ "$status" -eq 0 ]
	jq -e '.dagzd' <<<"$output"
	# The database is WAL and versioned.
	[ "$(sqlite3 "$DAGZ_HOME/store.db" 'PRAGMA journal_mode; PRAGMA user_version')" = "$(printf 'wal\n8')" ]
}

@test "a second dagzd on the same address, or the same home, refuses to start" {
	dagzd_start
	run -3 dagzd -H "$BATS_TEST_TMPDIR/other" -l "127.0.0.1:$DAGZD_PORT" 3>&-
	[ "$output" = "dagzd: another dagzd (pid $DAGZD_PID) already answers at http://127.0.0.1:$DAGZD_PORT" ]
	run -3 dagzd -H "$DAGZ_HOME" -l 127.0.0.1:0 3>&-
	[ "$output" = "dagzd: another dagzd uses '$DAGZ_HOME'" ]
	run http "$DAGZ_URL/api/v1/ping"
	[ "${lines[1]}" = 200 ]
}

@test "a non-loopback address needs a token file, then every request the token" {
	run -2 dagzd -H "$DAGZ_HOME" -l 0.0.0.0:0 3>&-
	[ "$output" = "dagzd: listening on '0.0.0.0:0' needs --token-file: it is not a loopback address" ]

	printf 'sekrit-token-123\n' >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	DAGZD_LISTEN=0.0.0.0:0 dagzd_start --token-file "$BATS_TEST_TMPDIR/token"
	run http "$DAGZ_URL/api/v1/jobs"
	[ "${lines[1]}" = 401 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "missing or wrong token: set DAGZ_TOKEN" ]
	run http -H 'Authorization: Bearer wrong-token-000' "$DAGZ_URL/api/v1/jobs"
	[ "${lines[1]}" = 401 ]
	run http -H 'Authorization: Bearer sekrit-token-123' "$DAGZ_URL/api/v1/jobs"
	[ "${lines[-1]}" = 200 ]
	# zb sends DAGZ_TOKEN; without it, it says why.
	run -3 zb jobs
	[ "$output" = "zb: dagzd at $DAGZ_URL: missing or wrong token: set DAGZ_TOKEN" ]
	DAGZ_TOKEN=sekrit-token-123 run -0 zb jobs
}

@test "loopback without a token file needs no token" {
	dagzd_start
	run http "$DAGZ_URL/api/v1/jobs"
	[ "${lines[-1]}" = 200 ]
	run -0 zb jobs
}

@test "malformed bodies, oversized requests and unknown routes get a 4xx JSON error" {
	dagzd_start --max-request 64K
	uuid=1b4e28ba-2fa1-4d2e-883f-0016d3cca427
	check() {
		local want=$1 msg=$2
		shift 2
		run http "$@"
		echo "$output"
		[ "${lines[-1]}" = "$want" ]
		[ "$(jq -r .error <<<"${lines[0]}")" = "$msg" ]
	}
	check 404 "unknown route 'GET /nowhere'" "$DAGZ_URL/nowhere"
	check 404 "unknown route 'GET /api/v1/jobs/j1/nothing'" "$DAGZ_URL/api/v1/jobs/j1/nothing"
	check 405 "method DELETE not allowed on '/api/v1/jobs'" -X DELETE "$DAGZ_URL/api/v1/jobs"
	check 400 "invalid JSON: '[' or '{' expected near 'not'" -d 'not json' "$DAGZ_URL/api/v1/jobs"
	check 400 "invalid JSON: expected an object" -d '[1]' "$DAGZ_URL/api/v1/jobs"
	check 400 '"uuid" must be a UUID' -d '{"uuid": 7}' "$DAGZ_URL/api/v1/jobs"
	check 404 "unknown job 'j99'" "$DAGZ_URL/api/v1/jobs/j99"
	check 404 "unknown job 'nope'" "$DAGZ_URL/api/v1/jobs/nope/tests"
	check 404 "unknown span 'abc'" "$DAGZ_URL/api/v1/spans/abc/context"
	check 400 "limit: too large: '999999999'" "$DAGZ_URL/api/v1/jobs?limit=999999999"
	check 400 "since: expected seconds since the epoch, not 'yesterday'" \
	    "$DAGZ_URL/api/v1/jobs?since=yesterday"
	check 400 "jobs: too small: '0'" "$DAGZ_URL/api/v1/flaky?jobs=0"
	check 400 "limit: invalid: 'x'" "$DAGZ_URL/api/v1/flaky?limit=x"
	check 400 "since: expected seconds since the epoch, not ''" \
	    "$DAGZ_URL/api/v1/flaky?since="
	check 400 "'x' is not a job UUID" -d '{}' "$DAGZ_URL/api/v1/jobs/x/events"
	check 400 "line 1: unknown job '$uuid': send its \"job\" record first" \
	    -d '{"type":"result","test":"t","attempt":1,"status":"OK"}' \
	    "$DAGZ_URL/api/v1/jobs/$uuid/events"
	printf '{"type":"job","uuid":"%s"}\n{"type":"span"}\n' "$uuid" >"$BATS_TEST_TMPDIR/bad.ndjson"
	check 400 'line 2: "span" must be a string' --data-binary "@$BATS_TEST_TMPDIR/bad.ndjson" \
	    "$DAGZ_URL/api/v1/jobs/$uuid/events"
	# The batch was refused whole: the job record on line 1 is not kept.
	check 404 "unknown job '$uuid'" "$DAGZ_URL/api/v1/jobs/$uuid"
	head -c 100000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/big"
	check 413 "request body over 65536 bytes" --data-binary "@$BATS_TEST_TMPDIR/big" "$DAGZ_URL/api/v1/jobs"
	# Far over the limit, libevent closes the request itself; still 413.
	head -c 1000000 /dev/zero | tr '\0' x >"$BATS_TEST_TMPDIR/huge"
	run http --data-binary "@$BATS_TEST_TMPDIR/huge" "$DAGZ_URL/api/v1/jobs"
	[ "${lines[-1]}" = 413 ]
	# Garbage that is not HTTP at all.
	printf 'GARBAGE\r\n\r\n' | timeout 5 bash -c "exec 5<>/dev/tcp/127.0.0.1/$DAGZD_PORT; cat >&5; cat <&5" >/dev/null || :
	# Through all of that, the daemon kept serving.
	kill -0 "$DAGZD_PID"
	run http "$DAGZ_URL/api/v1/ping"
	[ "${lines[1]}" = 200 ]
	run http -d "{\"uuid\": \"$uuid\"}" "$DAGZ_URL/api/v1/jobs"
	[ "${lines[1]}" = 201 ]
	[ "$(jq -r .id <<<"${lines[0]}")" = j1 ]
}

@test "SIGTERM stops dagzd cleanly and removes its url file" {
	dagzd_start
	[ -e "$DAGZ_HOME/local.env/url" ]
	kill -TERM "$DAGZD_PID"
	rc=0
	wait "$DAGZD_PID" || rc=$?
	DAGZD_PID=
	[ "$rc" -eq 0 ]
	[ ! -e "$DAGZ_HOME/local.env/url" ]
	run -1 zb daemon status
	[ "$output" = "zb: no dagzd answers at http://localhost:29111" ] ||
	    [[ "$output" =~ ^zb:\ no\ dagzd\ answers\ at ]]
}

@test "a job whose scheduler vanished is marked so after --stale-after" {
	dagzd_start --stale-after 1s
	uuid=2b4e28ba-2fa1-4d2e-883f-0016d3cca427
	curl -sS -d "{\"uuid\": \"$uuid\"}" "$DAGZ_URL/api/v1/jobs" >/dev/null
	[ "$(zb job j1 --json | jq -r .status)" = running ]
	for i in $(seq 50); do
		[ "$(zb job j1 --json | jq -r .status)" = vanished ] && break
		sleep 0.1
	done
	[ "$(zb job j1 --json | jq -r .status)" = vanished ]
}

@test "zb daemon up --bg starts dagzd where DAGZ_URL says, and down stops it" {
	port=$(free_port)
	export DAGZ_URL="http://127.0.0.1:$port"
	run -0 zb daemon up --bg 3>&-
	[[ "$output" =~ ^dagzd:\ listening\ on\ http://127\.0\.0\.1:$port ]]
	run -0 zb daemon up --bg 3>&-
	[[ "$output" =~ ^dagzd\ already\ answers\ at\ http://127\.0\.0\.1:$port\ \(pid ]]
	run -0 zb daemon status --json
	pid=$(jq .pid <<<"$output")
	run -0 zb daemon down
	! kill -0 "$pid" 2>/dev/null
	run -1 zb daemon status
	[ "$output" = "zb: no dagzd answers at http://127.0.0.1:$port" ]
}
