#!/usr/bin/env bats
# Nothing finished is lost, whatever happens to the store's path: a
# scheduler killed right after it printed a result, a DAGZ_URL with a
# wrong path, a dagzd that refuses large requests, a full or unwritable
# DAGZ_HOME, a stopped dagzd; and dagzd stores each attempt once and
# refuses records that make no sense.

load helpers

teardown() {
	[ -z "${STOPPED_PID:-}" ] || kill -CONT "$STOPPED_PID" 2>/dev/null || :
	dagzd_stop
	if [ -n "${FULL_MNT:-}" ]; then
		umount "$FULL_MNT" 2>/dev/null || :
	fi
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
}

# The job's UUID in an events file.
event_job() {
	jq -r 'select(.type == "summary" or .type == "result") | .job // empty' \
	    "$1" | head -n 1
}

# The pids of the processes under $1, deepest first.
descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		descendants "$c"
		printf '%s\n' "$c"
	done
}

jobid_is_uuid() {
	[[ $1 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
}

# Each final result of job $1 in the store, "test status", sorted.
stored() {
	zb tests "$1" 3>&- | jq -r '"\(.test) \(.status)"' | sort
}

@test "a result on the console survives a SIGKILL of the scheduler right after it" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	cat >suite.ndjson <<-'EOF2'
	{"id": "a", "cmd": ["true"]}
	{"id": "b", "cmd": ["sleep", "30"], "env": {"MARK": "kill9-b"}}
	EOF2
	# The events file is a FIFO: the scheduler is stopped as soon as it
	# has written a's result, before any timer of its own fires, then
	# killed.
	mkfifo ev.fifo
	dagz-sched -j 2 --log-dir logs --events ev.fifo \
	    --manifest suite.ndjson >run.out 2>run.err 3>&- &
	pid=$!
	while read -r line; do
		case $line in
		'{"type":"result","test":"a","status":"OK"'*)
			kill -STOP "$pid"
			break
			;;
		esac
	done <ev.fifo
	vassal=$(pgrep -P "$pid")
	tree=$(descendants $vassal)
	kill -KILL "$pid"
	wait "$pid" || :
	job=$(basename "$DAGZ_HOME"/spool/*.ndjson .ndjson)
	jobid_is_uuid "$job"
	# The test still running is not this test's business: end it, and
	# with it the vassal and its workers.
	kill -KILL $tree 2>/dev/null || :
	for i in $(seq 500); do
		kill -0 $vassal 2>/dev/null || break
		sleep 0.01
	done
	! kill -0 $vassal 2>/dev/null
	for p in $tree; do
		! kill -0 "$p" 2>/dev/null
	done
	# The next job sends what the killed one left.
	printf '{"id": "c", "cmd": ["true"]}\n' >next.ndjson
	dagz_run --manifest next.ndjson >next.out 2>next.err
	[ "$(stored "$job")" = "a OK" ]
}

@test "a wrong URL keeps every spool, and a 413 splits the batch: all results stored" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start --max-request 512K
	url=$DAGZ_URL
	for i in 1 2 3 4 5 6; do
		printf '{"id": "big%d", "sh": "head -c 400000 /dev/urandom | base64"}\n' "$i"
	done >big.ndjson
	# Each test's log, incompressible, is a 256 KiB record: one batch of
	# 1 MiB is more than dagzd takes.
	DAGZ_URL=$url/wrong dagz_run -j 2 --manifest big.ndjson \
	    --events ev1.ndjson >run1.out 2>run1.err
	job1=$(event_job ev1.ndjson)
	grep -Fx "dagz-run: store: $url/wrong takes no records (is DAGZ_URL right?): unknown route 'POST /wrong/api/v1/jobs/$job1/events'; the records are kept in '$DAGZ_HOME/spool/$job1.ndjson'" run1.err
	[ -s "$DAGZ_HOME/spool/$job1.ndjson" ]
	# A second job with the wrong URL leaves the first one's spool alone.
	printf '{"id": "small", "cmd": ["true"]}\n' >small.ndjson
	DAGZ_URL=$url/wrong dagz_run --manifest small.ndjson \
	    --events ev2.ndjson >run2.out 2>run2.err
	job2=$(event_job ev2.ndjson)
	[ -s "$DAGZ_HOME/spool/$job1.ndjson" ]
	[ -s "$DAGZ_HOME/spool/$job2.ndjson" ]
	# With the right URL, everything arrives, in smaller batches.
	dagz_run --manifest small.ndjson >run3.out 2>run3.err || :
	cat run3.err
	[ "$(stored "$job1")" = "$(printf 'big%d OK\n' 1 2 3 4 5 6)" ]
	[ "$(stored "$job2")" = "small OK" ]
	[ "$(zb job "$job1" --json 3>&- | jq -r .status)" = passed ]
	[ -z "$(ls "$DAGZ_HOME/spool")" ]
}

@test "a full DAGZ_HOME: records sent from memory, counted; a partial spool is cut" {
	cd "$BATS_TEST_TMPDIR"
	FULL_MNT=$BATS_TEST_TMPDIR/full
	mkdir -p "$FULL_MNT"
	if ! err=$(mount -t tmpfs -o size=64k tmpfs "$FULL_MNT" 2>&1); then
		FULL_MNT=
		skip "mounting a tmpfs is denied: $err"
	fi
	dagzd_start
	home=$FULL_MNT/home
	mkdir -p "$home/spool"
	# An orphan whose last line was cut by a full disk.
	orphan=$(cat /proc/sys/kernel/random/uuid)
	{
		printf '{"type": "job", "uuid": "%s", "project": "p", "tests": 1}\n' "$orphan"
		printf '{"type": "result", "test": "o", "attempt": 1, "status": "OK"}\n'
		printf '{"type": "summary", "tests": 1, "ex'
	} >"$home/spool/$orphan.ndjson"
	dd if=/dev/zero of="$FULL_MNT/filler" bs=4k 2>/dev/null || :
	for i in $(seq 1 20); do
		printf '{"id": "t%02d", "sh": "echo test %d"}\n' "$i" "$i"
	done >suite.ndjson
	DAGZ_HOME=$home dagz_run -j 2 --manifest suite.ndjson \
	    --events ev.ndjson >run.out 2>run.err || { cat run.err; false; }
	job=$(event_job ev.ndjson)
	cat run.err
	grep -Fx "dagz-run: store: '$home/spool/$orphan.ndjson' ends in a partial record of 35 bytes: cut to its last whole line" run.err
	grep -Fx "dagz-run: store: cannot write '$home/spool/$job.ndjson'; the job's records are kept in memory from now on, and those dagzd does not have when the job ends are lost: No space left on device" run.err
	grep -Eqx "dagz-run: store: [0-9]+ of the job's records could not be kept on disk; dagzd has them all" run.err
	[ "$(stored "$job" | wc -l)" -eq 20 ]
	[ "$(stored "$job" | grep -vc ' OK$')" -eq 0 ]
	[ "$(zb job "$job" --json 3>&- | jq -r .status)" = passed ]
	[ "$(stored "$orphan")" = "o OK" ]
	[ -z "$(ls "$home/spool")" ]
}

@test "an unwritable DAGZ_HOME: the warning says the records do not outlive the job" {
	NOBODY_DIR=$(mktemp -d /tmp/dagz-store-faults.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	cd "$NOBODY_DIR"
	dagzd_start
	mkdir -m 755 home
	mkdir -m 1777 out
	printf '{"id": "a", "cmd": ["true"]}\n{"id": "b", "cmd": ["true"]}\n' \
	    >suite.ndjson
	run -0 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env DAGZ_HOME="$NOBODY_DIR/home" TMPDIR="$NOBODY_DIR/out" \
	    dagz-sched --log-dir out/logs --events out/ev.ndjson \
	    --manifest suite.ndjson 3>&-
	job=$(event_job out/ev.ndjson)
	echo "$output"
	grep -Fx "dagz-run: store: cannot create '$NOBODY_DIR/home/spool/$job.ndjson': Permission denied; the job's records are kept in an unnamed temporary file until dagzd has them, and those it does not have when the job ends are lost" <<<"$output"
	[ "$(stored "$job")" = "$(printf 'a OK\nb OK')" ]
}

@test "a stopped dagzd does not slow a job; its results arrive with the next job" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	for i in 1 2 3 4; do
		printf '{"id": "t%d", "cmd": ["true"]}\n' "$i"
	done >suite.ndjson
	kill -STOP "$DAGZD_PID"
	STOPPED_PID=$DAGZD_PID
	start=$(date +%s%N)
	dagz_run -j 2 --manifest suite.ndjson --events ev.ndjson \
	    >run.out 2>run.err
	took=$((($(date +%s%N) - start) / 1000000))
	kill -CONT "$DAGZD_PID"
	STOPPED_PID=
	job=$(event_job ev.ndjson)
	cat run.err
	echo "took $took ms"
	((took < 5000))
	grep -Fx "dagz-run: store: cannot reach dagzd at $DAGZ_URL: timed out; the job's records are kept in '$DAGZ_HOME/spool/$job.ndjson' and sent when it answers" run.err
	[ -s "$DAGZ_HOME/spool/$job.ndjson" ]
	printf '{"id": "n", "cmd": ["true"]}\n' >next.ndjson
	dagz_run --manifest next.ndjson >next.out 2>next.err
	[ "$(stored "$job")" = "$(printf 't%d OK\n' 1 2 3 4)" ]
}

# Posts NDJSON from stdin to job $1's events; prints the status and body.
post_events() {
	curl -sS -o body -w '%{http_code}\n' -H 'Content-Type: application/x-ndjson' \
	    --data-binary @- "$DAGZ_URL/api/v1/jobs/$1/events"
	cat body
	echo
}

@test "dagzd stores one final attempt per test, each attempt once, and refuses nonsense" {
	cd "$BATS_TEST_TMPDIR"
	dagzd_start
	u=$(cat /proc/sys/kernel/random/uuid)
	run -0 post_events "$u" <<-EOF2
	{"type": "job", "uuid": "$u", "project": "p", "tests": 2}
	{"type": "result", "test": "a", "attempt": 1, "final": true, "status": "FAILED"}
	{"type": "result", "test": "a", "attempt": 2, "final": true, "status": "OK"}
	{"type": "result", "test": "b", "attempt": 2, "final": true, "status": "OK"}
	{"type": "result", "test": "d", "attempt": 0, "final": true, "status": "DEP_FAILED", "worker": -1}
	EOF2
	[ "$output" = "$(printf '200\n{"stored":5}')" ]
	# Sent again, and an older attempt arriving late, marked final.
	run -0 post_events "$u" <<-EOF2
	{"type": "result", "test": "a", "attempt": 2, "final": true, "status": "OK"}
	{"type": "result", "test": "b", "attempt": 1, "final": true, "status": "FAILED"}
	EOF2
	[ "$output" = "$(printf '200\n{"stored":2}')" ]
	[ "$(stored "$u")" = "$(printf 'a OK\nb OK\nd DEP_FAILED')" ]
	[ "$(zb job "$u" --json 3>&- | jq -c -S .counts)" = '{"DEP_FAILED":1,"OK":2}' ]
	run -0 post_events "$u" <<-EOF2
	{"type": "summary", "tests": -5, "exit": 0, "counts": {"OK": 2}}
	EOF2
	[ "$output" = "$(printf '400\n{"error":"line 1: \\"tests\\" must be a non-negative integer"}')" ]
	run -0 post_events "$u" <<-EOF2
	{"type": "result", "test": "c", "attempt": 1, "status": "OK", "duration": -1}
	EOF2
	[ "$output" = "$(printf '400\n{"error":"line 1: \\"duration\\" must be a non-negative number"}')" ]
	run -0 post_events "$u" <<-EOF2
	{"type": "summary", "tests": 2, "exit": 0, "counts": {"OK": -2}}
	EOF2
	[ "$output" = "$(printf '400\n{"error":"line 1: \\"counts\\": \\"OK\\" must be a non-negative integer"}')" ]
	run -0 post_events "$u" <<-EOF2
	{"type": "result", "test": "e", "attempt": 1, "status": "OK", "worker": -2}
	EOF2
	[ "$output" = "$(printf '400\n{"error":"line 1: \\"worker\\" must be an integer of at least -1"}')" ]
	[ "$(zb job "$u" --json 3>&- | jq -c '[.status, .tests]')" = '["running",2]' ]
}
