#!/usr/bin/env bats
# Naming the polluter: a test that fails after other tests ran on its
# worker, and passes on its deferred retry on another worker, is
# order-dependent; the earlier tests whose traced writes it read are
# named, and dagz run --bisect-pollution confirms one by running the
# test after halves of them.

load helpers

setup() {
	mkdir -p "$BATS_TEST_TMPDIR/proj" "$BATS_TEST_TMPDIR/state"
	cd "$BATS_TEST_TMPDIR/proj"
	dagzd_start
}

teardown() {
	dagzd_stop
}

# Each worker's own var/N, made anew when a worker starts (a job's, or a
# bisection step's): what a test leaves there stays for the later tests
# of that worker only.
INIT='rm -rf var/$DAGZ_WORKER_ID && mkdir -p var/$DAGZ_WORKER_ID'

# The job's short ID, from its first line.
job_of() {
	sed -n 's/^[0-9:.]* dagz: job \(j[0-9.]*\): .*/\1/p' <<<"$1"
}

# Each worker's cleanup leaves a mark: a worker's is done once it has
# nothing left to run.
CLEANUP='touch ../state/cleanup.$DAGZ_WORKER_ID'

# A test that keeps worker #0 busy until worker #1 is done, that is, until
# the test that fails there has failed twice and waits for its deferred
# retry: then that goes to worker #0. On worker #0 by its tag; named $1
# (default busy), a new name for a new job, since a known test is planned
# by how long it took. Worker #1's first test starts once it runs ($WAIT),
# so that both workers are there when the deferred retry is handed out.
busy() {
	printf '{"id": "%s", "sh": "touch ../state/busy; for i in $(seq 500); do [ -e ../state/cleanup.1 ] && exit 0; sleep 0.02; done; exit 1", "estimate": 100, "tags": ["main-worker"]}\n' "${1:-busy}"
}
WAIT='[ $DAGZ_WORKER_ID = 0 ] || for i in $(seq 500); do [ -e ../state/busy ] && break; sleep 0.01; done;'

@test "a test that fails after another wrote what it reads names that one; --bisect-pollution confirms it" {
	# Worker #1 runs u1, u2, db/schema, u3, u4, u5 in that order
	# (longest first), then db/query, which fails when db/schema's file
	# is there. The others write other files, or nothing.
	cat >suite.ndjson <<EOF
$(busy)
{"id": "u1", "sh": "$WAIT mkdir -p out && echo 1 >out/u1.txt", "estimate": 6}
{"id": "u2", "sh": "echo 2 >u2.txt", "estimate": 5}
{"id": "db/schema", "sh": "echo schema >var/\$DAGZ_WORKER_ID/app.db", "estimate": 4}
{"id": "u3", "sh": "true", "estimate": 3}
{"id": "u4", "sh": "echo 4 >var/\$DAGZ_WORKER_ID/cache.txt", "estimate": 2}
{"id": "u5", "sh": "cat suite.ndjson >/dev/null", "estimate": 1.5}
{"id": "db/query", "sh": "[ ! -e var/\$DAGZ_WORKER_ID/app.db ]", "after": ["db/schema"], "estimate": 1}
EOF
	run -0 dagz_run --all -j 2 --events ev.ndjson --worker-init "$INIT" \
	    --worker-cleanup "$CLEANUP" --manifest suite.ndjson
	out=$output
	echo "$out"
	J=$(job_of "$out")
	reason='order-dependent; candidates: db/schema (wrote var/1/app.db)'
	# Failed twice on worker #1 after the others, passed on #0.
	run -0 jq -c 'select(.test == "db/query") | [.attempt, .worker, .status]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}") <<'EOF'
[1,1,"FAILED"]
[2,1,"FAILED"]
[3,0,"OK_FLAKY"]
EOF
	grep -qxF "OK_FLAKY db/query worker #0: passed on attempt 3, $reason" \
	    <(sed -E 's/^[0-9:.]{12} //; s/ [0-9.]+s / /' <<<"$out")
	grep -qxF "$reason" <(jq -r 'select(.test == "db/query" and .final) | .reason' ev.ndjson)
	# The report lists it, though the job passed.
	grep -qxF "  OK_FLAKY   db/query ($reason)" \
	    <(sed -E 's/^[0-9:.]{12} //' <<<"$out")
	expected='{"attempt":1,"candidates":[{"how":"wrote","paths":["var/1/app.db"],"test":"db/schema"}],"worker":1}'
	[ "$(jq -S -c 'select(.test == "db/query" and .final) | .pollution' ev.ndjson)" = "$expected" ]
	# No other test has any.
	[ "$(jq -c 'select(.pollution) | .test' ev.ndjson)" = '"db/query"' ]
	# The store keeps both: zb tests shows the reason and has the field.
	run -0 zb tests "$J" --json
	row=$(jq -c 'select(.test == "db/query")' <<<"$output")
	[ "$(jq -r .status <<<"$row")" = OK_FLAKY ]
	[ "$(jq -r .reason <<<"$row")" = "$reason" ]
	[ "$(jq -S -c .pollution <<<"$row")" = "$expected" ]
	[ "$(jq -c 'select(.pollution) | .test' <<<"$output")" = '"db/query"' ]

	# Six ran before it there: db/schema is found in three halvings, then
	# confirmed. The steps run on one worker, with the same flags.
	run -0 dagz run --bisect-pollution "$J" db/query -j 2 \
	    --log-dir "$BATS_TEST_TMPDIR/logs" --worker-init "$INIT" \
	    --worker-cleanup "$CLEANUP" --manifest suite.ndjson 3>&-
	echo "$output"
	diff -u - <(printf '%s\n' "${lines[@]}") <<EOF
bisect: db/query failed on worker #1 of job $J after 6 tests
the traces name: db/schema
step 1: 6 tests before db/query: failed
step 2: db/query alone: passed
step 3: 3 tests before db/query: failed
step 4: u1 then db/query: passed
step 5: u2 then db/query: passed
step 6: db/schema then db/query: failed
polluter: db/schema (db/query fails after it, passes alone)
EOF
	# The steps are not jobs of the store.
	[ "$(zb jobs --json | jq -s length)" = 1 ]
}

@test "what a test removed is named so; with nothing in the traces it says so (a file outside the project is not traced)" {
	# lock/check needs the lock each worker starts with; lock/rm takes it.
	cat >suite.ndjson <<EOF
$(busy)
{"id": "lock/rm", "sh": "$WAIT rm var/\$DAGZ_WORKER_ID/lock", "estimate": 2}
{"id": "lock/check", "sh": "[ -e var/\$DAGZ_WORKER_ID/lock ]", "after": ["lock/rm"], "estimate": 1}
EOF
	run -0 dagz_run --all -j 2 --events ev.ndjson --manifest suite.ndjson \
	    --worker-init "$INIT && touch var/\$DAGZ_WORKER_ID/lock" \
	    --worker-cleanup "$CLEANUP"
	echo "$output"
	[ "$(jq -c 'select(.test == "lock/check" and .final) | [.status, .worker, .reason]' ev.ndjson)" = \
	    '["OK_FLAKY",0,"order-dependent; candidates: lock/rm (removed var/1/lock)"]' ]
	[ "$(jq -S -c 'select(.test == "lock/check" and .final) | .pollution' ev.ndjson)" = \
	    '{"attempt":1,"candidates":[{"how":"removed","paths":["var/1/lock"],"test":"lock/rm"}],"worker":1}' ]

	# The same, with the file left outside the project's root.
	rm -f ../state/*
	cat >suite.ndjson <<EOF
$(busy busy2)
{"id": "hidden/set", "sh": "$WAIT touch ../state/hidden.\$DAGZ_WORKER_ID", "estimate": 2}
{"id": "hidden/get", "sh": "[ ! -e ../state/hidden.\$DAGZ_WORKER_ID ]", "after": ["hidden/set"], "estimate": 1}
EOF
	run -0 dagz_run --all -j 2 --events ev.ndjson --manifest suite.ndjson \
	    --worker-init true --worker-cleanup "$CLEANUP"
	echo "$output"
	[ "$(jq -c 'select(.test == "hidden/get" and .final) | [.status, .worker, .reason]' ev.ndjson)" = \
	    '["OK_FLAKY",0,"order-dependent; no candidate found in the traces"]' ]
	[ "$(jq -S -c 'select(.test == "hidden/get" and .final) | .pollution' ev.ndjson)" = \
	    '{"attempt":1,"candidates":[],"worker":1}' ]
}

@test "a test that failed alone on its worker is plain OK_FLAKY; bisecting it says it fails alone; bad job or test: exit 2" {
	# flip fails its first two attempts wherever it runs; later waits.
	cat >suite.ndjson <<'EOF'
{"id": "flip", "sh": "[ $DAGZ_ATTEMPT -ge 3 ]", "estimate": 2}
{"id": "later", "sh": "true", "after": ["flip"], "estimate": 1}
EOF
	run -0 dagz_run --all -j 2 --events ev.ndjson --manifest suite.ndjson
	out=$output
	echo "$out"
	J=$(job_of "$out")
	[ "$(jq -c 'select(.test == "flip" and .final) | [.status, .attempt, .reason, .pollution]' ev.ndjson)" = \
	    '["OK_FLAKY",3,null,null]' ]
	grep -qE '^[0-9:.]{12} OK_FLAKY flip [0-9.]+s worker #[01]: passed on attempt 3$' <<<"$out"
	w=$(jq -r 'select(.test == "flip" and .attempt == 1) | .worker' ev.ndjson)

	run -1 dagz run --bisect-pollution "$J" flip --manifest suite.ndjson 3>&-
	diff -u - <(printf '%s\n' "${lines[@]}") <<EOF
bisect: flip failed on worker #$w of job $J after 0 tests
step 1: flip alone: failed
no polluter: flip fails alone
EOF

	run -2 dagz run --bisect-pollution j99 flip --manifest suite.ndjson 3>&-
	[ "$output" = "dagz-run: --bisect-pollution: unknown job 'j99'" ]
	run -2 dagz run --bisect-pollution "$J" nothere --manifest suite.ndjson 3>&-
	[ "$output" = "dagz-run: --bisect-pollution: no test 'nothere' in job $J" ]
	run -2 dagz run --bisect-pollution "$J" later --manifest suite.ndjson 3>&-
	[ "$output" = "dagz-run: --bisect-pollution: test 'later' did not fail in job $J" ]
	run -2 dagz run --bisect-pollution "$J" --manifest suite.ndjson 3>&-
	[ "$output" = "dagz-run: --bisect-pollution: give one test: --bisect-pollution JOB TEST" ]
	[ "$(zb jobs --json | jq -s length)" = 1 ]
}
