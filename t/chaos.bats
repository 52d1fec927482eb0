#!/usr/bin/env bats
# t/chaos.bats: jobs of short tests on 2 workers while a SIGKILL hits a
# worker, the vassal, dagzd (restarted on the same home and port) or the
# scheduler at a random moment. After each run the exit status is the
# documented one, no process of the job is left, and once the next job has
# sent the orphaned spools every result of the events file is in the store
# exactly once (a killed scheduler may have spooled one more than its
# events file shows: the spool is written first). DAGZ_CHAOS_RUNS runs
# (default 20); each prints its seed, and DAGZ_CHAOS_SEED=S replays run S
# alone.

load helpers

setup() {
	dagzd_start
	cd "$BATS_TEST_TMPDIR"
	# 12 short tests, one of them failing: a whole job takes ~0.7 s.
	local i
	for i in $(seq 12); do
		if [ "$i" -eq 5 ]; then
			printf '{"id": "t%02d", "sh": "sleep 0.03; exit 1"}\n' "$i"
		elif [ $((i % 3)) -eq 0 ]; then
			printf '{"id": "t%02d", "cmd": ["true"]}\n' "$i"
		else
			printf '{"id": "t%02d", "sh": "sleep 0.0%d"}\n' "$i" \
			    $((i % 10))
		fi
	done >suite.ndjson
	printf '%s\n' '{"id": "next", "cmd": ["true"]}' >next.ndjson
}

teardown() {
	dagzd_stop || :
}

# The job of a run: dagz run without --start-store, so that a job begun
# while dagzd is down does not start one of its own on the port the test
# restarts dagzd on; --all, as the baseline of the run before would
# deselect the tests that passed.
chaos_job() {
	dagz-sched --manifest suite.ndjson -j 2 --all \
	    --log-dir "$BATS_TEST_TMPDIR/logs" "$@" 3>&-
}

# Kills dagzd and starts it again on the same home and port.
chaos_restart_dagzd() {
	kill -KILL "$DAGZD_PID"
	wait "$DAGZD_PID" 2>/dev/null || :
	DAGZD_LISTEN=127.0.0.1:$DAGZD_PORT dagzd_start
}

# Sets CHAOS_PID to the pid of the job's process named $2 (one picked
# with $RANDOM when there are several), for the job marked $1; to nothing
# when none runs. Forks once (pids_with_env's grep), as a job is short.
chaos_pick() {
	local f comm pids=()

	CHAOS_PID=
	while read -r f; do
		f=${f#/proc/}
		f=${f%/environ}
		read -r comm 2>/dev/null <"/proc/$f/comm" || continue
		[ "$comm" = "$2" ] && pids+=("$f")
	done < <(grep -l -s -z -x -F "CHAOS_RUN=$1" /proc/[0-9]*/environ)
	[ ${#pids[@]} -gt 0 ] || return 0
	CHAOS_PID=${pids[RANDOM % ${#pids[@]}]}
}

# Waits up to 5 s for the processes of job $1 to end: after a SIGKILL of
# the scheduler, the vassal sees its socket close and stops its workers.
chaos_wait_gone() {
	local i
	for i in $(seq 100); do
		[ -z "$(pids_with_env CHAOS_RUN "$1")" ] && return 0
		sleep 0.05
	done
	assert_no_process_with_env CHAOS_RUN "$1"
}

# Test, attempt and status of each result of the events file $1, sorted.
chaos_events() {
	jq -r 'select(.type == "result") | "\(.test) \(.attempt) \(.status)"' \
	    "$1" | sort
}

# The same from the store, for the job whose command line names $1.
chaos_stored() {
	local uuid
	uuid=$(zb jobs --json --limit 5 | jq -r --arg ev "$1" \
	    'select(.argv | index($ev)) | .uuid')
	[ -n "$uuid" ] || return 0
	zb spans "$uuid" --type test --json |
	    jq -r '"\(.test) \(.attempt) \(.status)"' | sort
}

# One run: kills a random victim at a random moment of the job, then
# checks what is left. Prints one line; fails with the reason.
chaos_run() {
	local seed=$1 victims=(none dagz-worker dagz-vassal dagzd dagz-sched)
	local victim delay pid rc=0 ev=ev-$seed.ndjson want got
	local span=$((CHAOS_JOB_MS * 9 / 10))

	# Near seeds give near first numbers: spread them.
	RANDOM=$(((seed * 2654435761) % 2147483647))
	victim=${victims[RANDOM % ${#victims[@]}]}
	delay=$((RANDOM * 32768 + RANDOM))
	delay=$(printf '%d.%03d' $((delay % span / 1000)) $((delay % span % 1000)))
	CHAOS_RUN=$seed chaos_job --events "$ev" >"out-$seed.txt" 2>&1 &
	local job=$!
	sleep "$delay"
	pid=
	case $victim in
	dagzd)
		chaos_restart_dagzd
		pid=$DAGZD_PID
		;;
	none) ;;
	*)
		chaos_pick "$seed" "$victim"
		pid=$CHAOS_PID
		[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || pid=
		;;
	esac
	wait "$job" || rc=$?
	[ -n "$pid" ] || [ "$victim" = none ] || victim="$victim missed"
	echo "# run seed $seed: SIGKILL $victim${pid:+ ($pid)} at ${delay}s:" \
	    "exit $rc"
	CHAOS_VICTIM=$victim
	[ -n "$pid" ] || victim=none

	# dagz(1) EXIT STATUS: 1, as a test fails; 3 when the vassal, and
	# the job's machinery with it, died; a killed scheduler is 128 + 9.
	case $victim:$rc in
	none:1 | dagz-worker:1 | dagzd:1 | dagz-vassal:1 | dagz-vassal:3 | \
	    dagz-sched:137) ;;
	*)
		echo "seed $seed: kill of $victim: exit $rc" >&2
		cat "out-$seed.txt" >&2
		return 1
		;;
	esac
	chaos_wait_gone "$seed" || {
		echo "seed $seed: kill of $victim: processes left" >&2
		return 1
	}

	# The next job sends what the killed one left in the spool.
	dagz_run --manifest next.ndjson >"next-$seed.txt" 2>&1 || {
		echo "seed $seed: the next job failed" >&2
		cat "next-$seed.txt" >&2
		return 1
	}
	want=$(chaos_events "$ev")
	got=$(chaos_stored "$ev")
	# A record is spooled before the events file has it: a scheduler
	# killed in between leaves one more in the store, never one less.
	if [ "$want" != "$got" ] && { [ "$victim" != dagz-sched ] ||
	    [ -n "$(comm -23 <(printf '%s\n' "$want" | sed '/^$/d') \
	    <(printf '%s\n' "$got"))" ]; }; then
		echo "seed $seed: kill of $victim: store differs from" \
		    "the events file (- events, + store):" >&2
		diff -u <(printf '%s\n' "$want") <(printf '%s\n' "$got") >&2
		return 1
	fi
	if [ -n "$(printf '%s\n' "$got" | cut -d' ' -f1,2 | uniq -d)" ]; then
		echo "seed $seed: kill of $victim: an attempt stored twice:" >&2
		printf '%s\n' "$got" >&2
		return 1
	fi
}

@test "SIGKILL of a worker, the vassal, dagzd or the scheduler loses no result" {
	local runs seed i t0 trap_debug victim
	local -A kills=() failed=()

	if [ -n "${DAGZ_CHAOS_SEED:-}" ]; then
		seed=$DAGZ_CHAOS_SEED
		runs=${DAGZ_CHAOS_RUNS:-1}
	else
		seed=$((RANDOM * 32768 + RANDOM))
		runs=${DAGZ_CHAOS_RUNS:-20}
	fi
	# bats traces every command of a test, which makes a run of this
	# loop take twice as long: the runs report on their own.
	trap_debug=$(trap -p DEBUG)
	trap - DEBUG

	# How long a job takes here, undisturbed: kills fall within it.
	t0=${EPOCHREALTIME/./}
	run -1 chaos_job
	CHAOS_JOB_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "# a job takes ${CHAOS_JOB_MS} ms" >&3

	for i in $(seq 0 $((runs - 1))); do
		CHAOS_VICTIM=none
		if chaos_run $((seed + i)) >&3; then
			victim=$CHAOS_VICTIM
		else
			victim=$CHAOS_VICTIM
			failed[$victim]=$((${failed[$victim]:-0} + 1))
		fi
		kills[$victim]=$((${kills[$victim]:-0} + 1))
	done
	for victim in "${!kills[@]}"; do
		echo "# SIGKILL $victim: ${kills[$victim]} runs," \
		    "${failed[$victim]:-0} failed" >&3
	done
	eval "$trap_debug"
	[ ${#failed[@]} -eq 0 ]
}
