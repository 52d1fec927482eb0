#!/usr/bin/env bats
# The store's side of a job of many nodes: each result keeps the node
# it ran on and why it ran again, a summary lists the nodes, zb shows
# both, and the rendezvous tells a CI retry of a finished job what to
# run again on its slot. Records are posted as a scheduler posts them.

load helpers

setup() {
	dagzd_start
	cd "$BATS_TEST_TMPDIR"
	job=7c4e28ba-2fa1-4d2e-883f-0016d3cca427
	token=0123456789abcdef0123456789abcdef
}

teardown() {
	dagzd_stop
}

# POSTs the NDJSON on stdin as records of job $1 (default $job); prints
# the body, then the status.
events() {
	curl -sS --max-time 10 -w '\n%{http_code}\n' \
	    -H 'Content-Type: application/x-ndjson' --data-binary @- \
	    "$DAGZ_URL/api/v1/jobs/${1:-$job}/events"
}

# POSTs JSON $2 to rendezvous route $1; prints the body, then the status.
rdv() {
	curl -sS --max-time 10 -w '\n%{http_code}\n' \
	    -H 'Content-Type: application/json' --data-binary "$2" \
	    "$DAGZ_URL/api/v1/rendezvous$1"
}

# A result record: TEST STATUS NODE (or -) WORKER, then more members as
# JSON text; "attempt" is 1 and "final" true unless they say otherwise.
result() {
	local more=${5:+, $5}
	[ "$3" = - ] || more=", \"node\": $3$more"
	[[ $more == *'"attempt"'* ]] || more="$more, \"attempt\": 1"
	[[ $more == *'"final"'* ]] || more="$more, \"final\": true"
	printf '{"type": "result", "test": "%s", "status": "%s", "worker": %s%s}\n' \
	    "$1" "$2" "$4" "$more"
}

# Makes $job the published job of rendezvous KEY scheduled by node 0 of
# 3, with the records on stdin.
published_job() {
	run rdv "" "{\"key\": \"$1\", \"node\": 0, \"total\": 3}"
	[ "$(jq -r .role <<<"${lines[0]}")" = scheduler ]
	run rdv /publish "{\"key\": \"$1\", \"node\": 0, \"job\": \"$job\", \"addresses\": [\"127.0.0.1:1\"], \"token\": \"$token\"}"
	[ "${lines[-1]}" = 200 ]
	run events
	echo "$output"
	[ "${lines[-1]}" = 200 ]
}

# The rendezvous's reply to node $2 of key $1, compact.
ask() {
	run rdv "" "{\"key\": \"$1\", \"node\": $2, \"total\": 3}"
	[ "${lines[-1]}" = 200 ]
	jq -c . <<<"${lines[0]}"
}

@test "results keep their node and why they ran again; zb tests shows both" {
	{
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 4}"
		result a OK 0 0
		result b FAILED 1 2 '"reason": "exit 1", "rerun": "node 0 lost"'
		result c OK 1 3 '"rerun": "node 2 lost"'
		# An older scheduler's record: no node, no rerun.
		result d OK - 0
	} | events >out
	[ "$(tail -n 1 out)" = 200 ]
	run -0 zb tests j1 --json
	diff -u - <(jq -c '{test, node} + (if has("rerun") then {rerun} else {} end)' <<<"$output") <<'EOF'
{"test":"a","node":0}
{"test":"b","node":1,"rerun":"node 0 lost"}
{"test":"c","node":1,"rerun":"node 2 lost"}
{"test":"d","node":null}
EOF
	# On a terminal: a NODE column, and the rerun said before the reason.
	run -0 script -qec "zb tests j1" /dev/null
	diff -u - <(tr -d '\r' <<<"$output") <<'EOF'
TEST  STATUS  NODE  ATTEMPTS  DURATION  CASES  SPAN  REASON
a     OK      0     1         -         -      -     -
b     FAILED  1     1         -         -      -     node 0 lost; exit 1
c     OK      1     1         -         -      -     node 2 lost
d     OK      -     1         -         -      -     -
EOF
}

@test "a job of one node has no NODE column and no nodes" {
	{
		echo "{\"type\": \"job\", \"uuid\": \"$job\"}"
		result a FAILED - 0 '"reason": "exit 1"'
		echo '{"type": "summary", "exit": 1, "tests": 1}'
	} | events >out
	[ "$(tail -n 1 out)" = 200 ]
	run -0 script -qec "zb tests j1" /dev/null
	diff -u - <(tr -d '\r' <<<"$output") <<'EOF'
TEST  STATUS  ATTEMPTS  DURATION  CASES  SPAN  REASON
a     FAILED  1         -         -      -     exit 1
EOF
	[ "$(zb job j1 --json | jq -c .nodes)" = null ]
	run -0 script -qec "zb job j1" /dev/null
	grep -qx $'nodes      -\r' <<<"$output"
}

@test "a bad node or rerun refuses the batch, naming the field" {
	# The batch: a job, a good result, the line on stdin; the error
	# expected, $1, as dagzd sends it.
	check() {
		run events < <(
			echo "{\"type\": \"job\", \"uuid\": \"$job\"}"
			result t OK 0 0
			cat
		)
		echo "$output"
		[ "${lines[-1]}" = 400 ]
		[ "${lines[0]}" = "{\"error\":\"${1//\"/\\\"}\"}" ]
	}
	node='line 3: "node" must be an integer from 0 to 99999'
	result t FAILED -1 0 '"attempt": 2' | check "$node"
	result t FAILED 100000 0 '"attempt": 2' | check "$node"
	result t FAILED '"1"' 0 '"attempt": 2' | check "$node"
	result t FAILED 1.5 0 '"attempt": 2' | check "$node"
	rerun='line 3: "rerun" must be a string of at most 128 bytes'
	result t FAILED 1 0 '"attempt": 2, "rerun": 7' | check "$rerun"
	long=$(printf 'x%.0s' $(seq 129))
	result t FAILED 1 0 "\"attempt\": 2, \"rerun\": \"$long\"" | check "$rerun"
	# The batch was refused whole: not even its job is kept.
	run -1 zb job "$job"
	[ "$output" = "zb: unknown job '$job'" ]
	# A summary's nodes.
	sum() {
		printf '{"type": "summary", "exit": 0, "nodes": %s}\n' "$1" | check "line 3: $2"
	}
	sum '{}' '"nodes" must be an array of at most 64 objects'
	sum "[$(for i in $(seq 0 64); do printf '{"node": %d, "host": "h", "workers": []},' "$i"; done | sed 's/,$//')]" \
	    '"nodes" must be an array of at most 64 objects'
	sum '[7]' '"nodes"[0]: must be an object'
	sum '[{"host": "a", "workers": [0]}]' '"nodes"[0]: "node" must be an integer from 0 to 99999'
	sum '[{"node": 0, "host": "a", "workers": [0]}, {"node": -2, "host": "b", "workers": [1]}]' \
	    '"nodes"[1]: "node" must be an integer from 0 to 99999'
	sum "[{\"node\": 0, \"host\": \"$(printf 'h%.0s' $(seq 256))\", \"workers\": [0]}]" \
	    '"nodes"[0]: "host" must be a string of at most 255 bytes'
	sum '[{"node": 0, "host": 5, "workers": [0]}]' \
	    '"nodes"[0]: "host" must be a string of at most 255 bytes'
	sum '[{"node": 0, "host": "a"}]' \
	    '"nodes"[0]: "workers" must be an array of at most 4096 non-negative integers'
	sum '[{"node": 0, "host": "a", "workers": ["0"]}]' \
	    '"nodes"[0]: "workers" must be an array of at most 4096 non-negative integers'
	sum '[{"node": 0, "host": "a", "workers": [0]}, {"node": 0, "host": "b", "workers": [1]}]' \
	    '"nodes"[1]: node 0 is listed twice'
	# What is right is stored: a rerun of 128 bytes, a null node.
	long=${long%x}
	{
		echo "{\"type\": \"job\", \"uuid\": \"$job\"}"
		result t FAILED 1 0 "\"rerun\": \"$long\""
		result u OK - 0 '"node": null'
	} | events >out
	[ "$(tail -n 1 out)" = 200 ]
	[ "$(zb tests j1 | jq -r 'select(.test == "t") | .rerun')" = "$long" ]
	[ "$(zb tests j1 | jq -c 'select(.test == "u") | .node')" = null ]
}

@test "zb job lists the nodes: from the results as they come, then from the summary" {
	{
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 5}"
		result a OK 0 0
		result b OK 0 1
		result c FAILED 1 2
		result d OK 1 3 '"attempt": 2'
		# An attempt that was not final: its worker, not its test.
		result d FAILED 1 2 '"final": false'
		result e DEP_FAILED - -1
	} | events >out
	[ "$(tail -n 1 out)" = 200 ]
	[ "$(zb job j1 --json | jq -c .nodes)" = \
	    '[{"node":0,"host":null,"workers":[0,1],"tests":2},{"node":1,"host":null,"workers":[2,3],"tests":2}]' ]
	echo '{"type": "summary", "exit": 1, "tests": 5, "nodes": [{"node": 0, "host": "ci-a", "workers": [0, 1]}, {"node": 1, "host": "ci-b", "workers": [2, 3]}, {"node": 2, "host": "ci-c\u001b[31m", "workers": [4, 5]}]}' |
	    events >out
	[ "$(tail -n 1 out)" = 200 ]
	[ "$(zb job j1 --json | jq -c .nodes)" = \
	    '[{"node":0,"host":"ci-a","workers":[0,1],"tests":2},{"node":1,"host":"ci-b","workers":[2,3],"tests":2},{"node":2,"host":"ci-c\u001b[31m","workers":[4,5],"tests":0}]' ]
	# On a terminal, a line a node, and a host's control characters
	# escaped.
	run -0 script -qec "zb job j1" /dev/null
	diff -u - <(tr -d '\r' <<<"$output" | sed -n '/^nodes /,/^passed /p') <<'EOF'
nodes      node 0 on ci-a: workers #0 #1, 2 tests
           node 1 on ci-b: workers #2 #3, 2 tests
           node 2 on ci-c\x1b[31m: workers #4 #5, 0 tests
passed     3
EOF
}

@test "a CI retry of a failed job of many nodes gets the tests that did not pass on its slot" {
	{
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 12}"
		result ok0 OK 0 0
		result fail0 FAILED 0 1
		result crash0 CRASHED 0 0
		result fail1 FAILED 1 2
		result timeout1 TIMEOUT 1 3
		result flaky1 OK_FLAKY 1 2 '"attempt": 2'
		result flaky1 FAILED 1 2 '"final": false'
		result moved OK 2 4 '"attempt": 2'
		result moved FAILED 1 3 '"final": false'
		result lost FAILED 1 3 '"attempt": 2, "rerun": "node 2 lost"'
		result ok2 OK 2 5
		result skip2 SKIPPED 2 4
		# Of no node: never started, or dagz's own error.
		result dep DEP_FAILED - -1 '"attempt": 0'
		result differs DAGZ_ERROR - -1 '"attempt": 0'
	} | published_job gitlab/5/test
	# While the job runs, a slot is a vassal of it, as before.
	[ "$(ask gitlab/5/test 1 | jq -r '"\(.role) \(.ready) \(.job)"')" = "vassal true $job" ]
	[ "$(ask gitlab/5/test 0)" = '{"role":"scheduler","nodes":3}' ]
	echo '{"type": "summary", "exit": 1, "tests": 12}' | events >out
	[ "$(tail -n 1 out)" = 200 ]
	# Once it is over, each slot that asks is a retry of its own part.
	[ "$(ask gitlab/5/test 0)" = \
	    "{\"role\":\"retry\",\"of\":\"j1\",\"job\":\"$job\",\"mode\":\"failed\",\"tests\":[\"crash0\",\"dep\",\"differs\",\"fail0\"]}" ]
	[ "$(ask gitlab/5/test 1)" = \
	    "{\"role\":\"retry\",\"of\":\"j1\",\"job\":\"$job\",\"mode\":\"failed\",\"tests\":[\"fail1\",\"lost\",\"timeout1\"]}" ]
	[ "$(ask gitlab/5/test 2)" = \
	    "{\"role\":\"retry\",\"of\":\"j1\",\"job\":\"$job\",\"mode\":\"failed\",\"tests\":[]}" ]
	# The row is left as it is: the same answer each time.
	[ "$(ask gitlab/5/test 1 | jq -c .tests)" = '["fail1","lost","timeout1"]' ]
}

@test "a retry of a passed job runs nothing; of one that ended early or vanished, everything" {
	dagzd_stop
	dagzd_start --stale-after 1s
	# A scheduler that stops reporting: its job vanishes (checked last).
	result a FAILED 1 2 | {
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 2}"
		cat
	} | published_job gh/9/vanished
	vanished=$job
	job=8c4e28ba-2fa1-4d2e-883f-0016d3cca427
	echo '{"type": "summary", "exit": 0, "tests": 2}' | {
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 2}"
		result a OK 0 0
		result b OK 1 2
		cat
	} | published_job gh/9/passed
	[ "$(ask gh/9/passed 1)" = \
	    "{\"role\":\"retry\",\"of\":\"j2\",\"job\":\"$job\",\"mode\":\"failed\",\"tests\":[]}" ]
	# A dagz error with a result for every test: what did not pass.
	job=9c4e28ba-2fa1-4d2e-883f-0016d3cca427
	echo '{"type": "summary", "exit": 3, "tests": 2}' | {
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 2}"
		result a OK 0 0
		result b DAGZ_ERROR 1 2
		cat
	} | published_job gh/9/error
	[ "$(ask gh/9/error 1 | jq -c '[.of, .mode, .tests]')" = '["j3","failed",["b"]]' ]
	# Ended (no node left) before tests c and d had a result.
	job=ac4e28ba-2fa1-4d2e-883f-0016d3cca427
	echo '{"type": "summary", "exit": 3, "tests": 4}' | {
		echo "{\"type\": \"job\", \"uuid\": \"$job\", \"tests\": 4}"
		result a OK 0 0
		result b FAILED 1 2
		cat
	} | published_job gh/9/early
	[ "$(ask gh/9/early 1)" = \
	    "{\"role\":\"retry\",\"of\":\"j4\",\"job\":\"$job\",\"mode\":\"all\"}" ]
	for i in $(seq 50); do
		[ "$(zb job j1 --json | jq -r .status)" = vanished ] && break
		sleep 0.1
	done
	for n in 0 1 2; do
		[ "$(ask gh/9/vanished "$n")" = \
		    "{\"role\":\"retry\",\"of\":\"j1\",\"job\":\"$vanished\",\"mode\":\"all\"}" ]
	done
}

@test "a database of schema 4 migrates, keeping its results; a newer one is refused" {
	{
		echo "{\"type\": \"job\", \"uuid\": \"$job\"}"
		result old OK - 0
	} | events >out
	[ "$(tail -n 1 out)" = 200 ]
	dagzd_stop
	# The database as dagzd left it before results had nodes.
	sqlite3 "$DAGZ_HOME/store.db" 'DROP TABLE plan; DROP INDEX results_node;
	    DROP INDEX spans_status;
	    ALTER TABLE results DROP COLUMN node;
	    ALTER TABLE results DROP COLUMN rerun; DROP TABLE quarantine;
	    ALTER TABLE results DROP COLUMN quarantined; PRAGMA user_version = 4'
	dagzd_start -d
	grep -q 'database schema migrated to version 5' dagzd.err
	grep -q 'database schema migrated to version 6' dagzd.err
	grep -q 'database schema migrated to version 7' dagzd.err
	grep -q 'database schema migrated to version 8' dagzd.err
	[ "$(sqlite3 "$DAGZ_HOME/store.db" 'PRAGMA user_version')" = 8 ]
	result new OK 1 2 '"rerun": "node 0 lost"' | events >out
	[ "$(tail -n 1 out)" = 200 ]
	diff -u - <(zb tests j1 | jq -c '[.test, .node, .rerun]') <<'EOF'
["new",1,"node 0 lost"]
["old",null,null]
EOF
	dagzd_stop
	sqlite3 "$DAGZ_HOME/store.db" 'PRAGMA user_version = 9'
	run -3 dagzd -H "$DAGZ_HOME" -l 127.0.0.1:0 3>&-
	[[ "$output" == *"'$DAGZ_HOME/store.db' has schema version 9; this dagzd knows up to 8: use a newer dagzd"* ]]
}
