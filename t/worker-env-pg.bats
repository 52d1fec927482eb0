#!/usr/bin/env bats
# --worker-env against a real PostgreSQL server, one for the file: each
# worker's tests get a database of their own, and so do the processes
# they start; without the rerouting, two tests that hold the same table
# at once collide.

load helpers
load pg-helpers

setup_file() {
	pg_start
	createdb app_shared
}

teardown_file() {
	pg_stop
}

# Two tests that each create table t, wait until the other holds its
# own, read it, and drop it; and say which database a subprocess sees.
suite() {
	local me other
	for me in a b; do
		other=$([ "$me" = a ] && echo b || echo a)
		printf '{"id": "%s", "sh": "psql -q -v ON_ERROR_STOP=1 \\"$DATABASE_URL\\" -c \\"CREATE TABLE t (x int); INSERT INTO t VALUES (1)\\" && touch %s/%s.holds && for i in $(seq 50); do [ -e %s/%s.holds ] && break; sleep 0.1; done && [ -e %s/%s.holds ] && sh -c '"'"'psql -Atc \\"SELECT current_database(), count(*) FROM t\\" \\"$DATABASE_URL\\"'"'"' >%s/%s.saw && psql -q \\"$DATABASE_URL\\" -c \\"DROP TABLE t\\""}\n' \
		    "$me" "$BATS_TEST_TMPDIR" "$me" "$BATS_TEST_TMPDIR" \
		    "$other" "$BATS_TEST_TMPDIR" "$other" "$BATS_TEST_TMPDIR" \
		    "$me"
	done >suite.ndjson
}

@test "two workers, a database each: both tests hold their table at once and pass" {
	cd "$BATS_TEST_TMPDIR"
	suite
	run -0 dagz_run -j 2 --retries 0 --manifest suite.ndjson \
	    --worker-env "DATABASE_URL=postgresql:///app{suffix}?host=$PGHOST" \
	    --worker-init 'createdb "app$DAGZ_WORKER_SUFFIX"' \
	    --worker-cleanup 'dropdb "app$DAGZ_WORKER_SUFFIX"' 
	# Each read its own table, from a subprocess, in its worker's database.
	[ "$(cat a.saw b.saw | sort | tr '\n' ' ')" = "app_jw00|1 app_jw01|1 " ]
	# Each worker made its database and dropped it at its end.
	! psql -Atc "SELECT datname FROM pg_database" | grep -q '^app_jw' 
}

@test "without the rerouting, the same tests collide on one database" {
	cd "$BATS_TEST_TMPDIR"
	suite
	run -1 dagz_run -j 2 --retries 0 --manifest suite.ndjson \
	    --worker-env "DATABASE_URL=postgresql:///app_shared?host=$PGHOST"
	echo "$output"
	# Two CREATE TABLEs at the same instant may also collide on the
	# table's type or on the catalogue's unique index.
	grep -Eq '(relation|type) "t" already exists|duplicate key value violates unique constraint' <<<"$output"
}
