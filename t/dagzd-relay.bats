#!/usr/bin/env bats
# dagzd's relay: a scheduler listens for its job, vassals connect, and
# dagzd splices each vassal to the stream the scheduler accepts it on,
# with bounded buffers; refused requests get a 4xx and one line.

load helpers

setup() {
	dagzd_start -v
	cd "$BATS_TEST_TMPDIR"
	job=6b4e28ba-2fa1-4d2e-883f-0016d3cca427
	DAGZ_JOB_TOKEN=0123456789abcdef0123456789abcdef
	export DAGZ_JOB_TOKEN
	probe=$DAGZ_BUILDDIR/t/relay-probe
	pids=()
	# A rendezvous publishes the job and its token.
	curl -sS --max-time 10 -o /dev/null --data-binary \
	    '{"key": "gitlab/5/test", "node": 0, "total": 3}' \
	    "$DAGZ_URL/api/v1/rendezvous"
	curl -sS --max-time 10 -o /dev/null --fail --data-binary \
	    "{\"key\": \"gitlab/5/test\", \"node\": 0, \"job\": \"$job\", \"addresses\": [\"192.0.2.1:9\"], \"token\": \"$DAGZ_JOB_TOKEN\"}" \
	    "$DAGZ_URL/api/v1/rendezvous/publish"
}

teardown() {
	local p
	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null || :
	done
	dagzd_stop
}

# Starts the probe scheduler and waits until it listens.
scheduler() {
	"$probe" scheduler "$@" "$DAGZ_URL" "$job" >sched.out 2>sched.err 3>&- &
	sched=$!
	pids+=("$sched")
	wait_for 'grep -qx listening sched.out' || { cat sched.err; return 1; }
}

# Waits up to 10 s for the shell condition $1.
wait_for() {
	local i
	for i in $(seq 200); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

# GETs relay route $1 with curl's extra arguments; prints the body, then
# the status.
relay_get() {
	local route=$1
	shift
	curl -sS --max-time 10 -w '\n%{http_code}\n' "$@" \
	    "$DAGZ_URL/api/v1/relay/$route"
}

upgrade=(-H 'Connection: Upgrade' -H 'Upgrade: dagz-relay')

@test "three vassals at once, 2000 lines each, all echoed in order" {
	scheduler
	for n in 1 2 3; do
		"$probe" vassal "$DAGZ_URL" "$job" 2000 >"v$n.out" 2>"v$n.err" 3>&- &
		pids+=($!)
	done
	for n in 1 2 3; do
		wait "${pids[$n]}" || { cat "v$n.err"; false; }
		[ "$(cat "v$n.out")" = "ok 2000" ]
	done
	[ "$(grep -c '^accepted [0-9a-f]\{32\}$' sched.out)" -eq 3 ]
	# One line per relay opened and closed, with the bytes each way.
	wait_for "[ \$(grep -c 'relay 6b4e28ba [0-9a-f]*: closed' dagzd.err) -eq 3 ]"
	[ "$(grep -c 'relay 6b4e28ba [0-9a-f]*: opened$' dagzd.err)" -eq 3 ]
	grep -q 'relay 6b4e28ba [0-9a-f]*: closed by the vassal; 98893 bytes to the scheduler, 140893 to the vassal$' dagzd.err
	# The token is the job's secret: not in dagzd's log.
	! grep -q "$DAGZ_JOB_TOKEN" dagzd.err
}

@test "a vassal before any scheduler listens gets 503" {
	run -1 "$probe" vassal "$DAGZ_URL" "$job" 1
	[ "$output" = "relay-probe: relay: 503 no scheduler listening for job '$job'" ]
	run relay_get "connect?job=$job" "${upgrade[@]}" -H "X-Dagz-Job-Token: $DAGZ_JOB_TOKEN"
	[ "${lines[-1]}" = 503 ]
}

@test "refused: no upgrade, no job, unknown job, no or wrong token, unknown vassal" {
	scheduler
	tok=(-H "X-Dagz-Job-Token: $DAGZ_JOB_TOKEN")
	run relay_get "connect?job=$job" "${tok[@]}"
	[ "${lines[-1]}" = 400 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "a relay stream needs 'Connection: Upgrade' and 'Upgrade: dagz-relay'" ]
	run relay_get "connect?job=$job" -H 'Connection: Upgrade' -H 'Upgrade: websocket' "${tok[@]}"
	[ "${lines[-1]}" = 400 ]
	run relay_get "listen" "${upgrade[@]}" "${tok[@]}"
	[ "${lines[-1]}" = 400 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "missing query parameter 'job'" ]
	run relay_get "connect?job=00000000-0000-4000-8000-000000000000" "${upgrade[@]}" "${tok[@]}"
	[ "${lines[-1]}" = 404 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "no job '00000000-0000-4000-8000-000000000000' published by a rendezvous" ]
	run relay_get "connect?job=$job" "${upgrade[@]}"
	[ "${lines[-1]}" = 403 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "missing job token: send X-Dagz-Job-Token" ]
	run relay_get "listen?job=$job" "${upgrade[@]}" -H "X-Dagz-Job-Token: ${DAGZ_JOB_TOKEN}0"
	[ "${lines[-1]}" = 403 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "wrong job token for job '$job'" ]
	run relay_get "accept?job=$job&id=0123" "${upgrade[@]}" "${tok[@]}"
	[ "${lines[-1]}" = 404 ]
	[ "$(jq -r .error <<<"${lines[0]}")" = "no vassal '0123' waiting for job '$job'" ]
	run relay_get "accept?job=$job" "${upgrade[@]}" "${tok[@]}"
	[ "${lines[-1]}" = 400 ]
	# The probe's client says the same in one line.
	DAGZ_JOB_TOKEN=${DAGZ_JOB_TOKEN}0 run -1 "$probe" vassal "$DAGZ_URL" "$job" 1
	[ "$output" = "relay-probe: relay: 403 wrong job token for job '$job'" ]
	# None of it hurt dagzd or the relay.
	run -0 curl -sS --fail "$DAGZ_URL/api/v1/ping"
	run -0 "$probe" vassal "$DAGZ_URL" "$job" 3
	[ "$output" = "ok 3" ]
	! grep -q "$DAGZ_JOB_TOKEN" dagzd.err
}

@test "a vassal flooding a scheduler that does not read is held back, not buffered" {
	# Under AddressSanitizer, freed memory waits in a quarantine that
	# would count every byte passed through: keep it small.
	dagzd_stop
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 \
	    dagzd_start -v
	scheduler -s
	rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$DAGZD_PID/status"; }
	before=$(rss)
	[ "$before" -gt 0 ]
	# 64 MiB: more than the sockets on the way can hold, so that dagzd
	# must stop reading the vassal rather than queue it.
	"$probe" flood "$DAGZ_URL" "$job" $((64 << 20)) >flood.out 2>flood.err 3>&- &
	pids+=($!)
	wait_for 'grep -q . flood.out' || { cat flood.err; false; }
	after=$(rss)
	grep -q '^stalled after [0-9]*$' flood.out
	sent=$(sed -n 's/^stalled after //p' flood.out)
	[ "$sent" -lt $((64 << 20)) ]
	echo "rss $before -> $after kB, $sent bytes sent"
	[ $((after - before)) -lt $((6 << 10)) ]
	run -0 curl -sS --fail "$DAGZ_URL/api/v1/ping"
	[ "$(grep -c '^accepted ' sched.out)" -eq 1 ]
}

@test "killing the scheduler closes its vassals' streams" {
	scheduler
	v=()
	for n in 1 2; do
		"$probe" vassal -h "$DAGZ_URL" "$job" 10 >"v$n.out" 2>"v$n.err" 3>&- &
		v+=($!)
		pids+=($!)
	done
	wait_for '[ "$(cat v1.out v2.out)" = "ok 10
ok 10" ]'
	kill -9 "$sched"
	for n in 1 2; do
		rc=0
		wait "${v[$((n - 1))]}" || rc=$?
		[ "$rc" -eq 1 ]
		[ "$(cat "v$n.err")" = "relay-probe: the relay closed after 10 of 10 echoes: connection closed" ]
	done
	# The job is open for a new scheduler, and nothing else broke.
	run -1 "$probe" vassal "$DAGZ_URL" "$job" 1
	[ "$output" = "relay-probe: relay: 503 no scheduler listening for job '$job'" ]
	run -0 curl -sS --fail "$DAGZ_URL/api/v1/ping"
}

@test "a new listener replaces the old one" {
	scheduler -s
	first=$sched
	mv sched.out first.out
	mv sched.err first.err
	scheduler
	# The first scheduler's listener is closed: it exits.
	rc=0
	wait "$first" || rc=$?
	[ "$rc" -eq 1 ]
	[ "$(cat first.err)" = "relay-probe: the listener closed: connection closed" ]
	run -0 "$probe" vassal "$DAGZ_URL" "$job" 5
	[ "$output" = "ok 5" ]
	[ "$(grep -c '^accepted ' sched.out)" -eq 1 ]
	[ ! -s first.out ] || [ "$(cat first.out)" = listening ]
}

@test "a dagzd that requires a token: the store's token goes with the job's" {
	dagzd_stop
	printf 'st0re-t0ken\n' >token
	chmod 600 token
	dagzd_start -v --token-file token
	# The rendezvous of setup is kept across the restart.
	run -1 "$probe" scheduler "$DAGZ_URL" "$job"
	[ "$output" = "relay-probe: relay: 401 missing or wrong token: set DAGZ_TOKEN" ]
	export DAGZ_TOKEN=st0re-t0ken
	scheduler
	run -0 "$probe" vassal "$DAGZ_URL" "$job" 3
	[ "$output" = "ok 3" ]
	! grep -q st0re-t0ken dagzd.err
}
