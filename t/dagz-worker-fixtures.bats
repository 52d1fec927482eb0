#!/usr/bin/env bats
# dagz-worker and fixtures: what a setup leaves running (a database, a
# server) is kept until the fixture's teardown, is no test's leak, and
# survives the tests' kills; then the teardown, or the end of the run,
# takes it away. Also: a script whose "#!" interpreter is missing.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mark="dagz-wfix-$$-$RANDOM"
}

# Prints the fixture events of an events file, one compact line each.
fixture_lines() {
	jq -c 'select(.type == "fixture") | [.fixture, .phase, .status, .reason]' "$1"
}

@test "a setup's background server lives through its tests, gone after teardown" {
	# The server forks all the time: its children are its own, no leak.
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sh -c 'while :; do sleep 0.01; done' & echo $! >srv.pid", "teardown": "true"}
{"id": "t1", "sh": "kill -0 $(cat srv.pid) && sleep 0.2", "fixtures": ["srv"]}
{"id": "t2", "sh": "kill -0 $(cat srv.pid) && sleep 0.2", "fixtures": ["srv"]}
{"id": "t3", "sh": "kill -0 $(cat srv.pid)", "fixtures": ["srv"]}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	echo "$output"
	run -0 jq -c 'select(.type == "result") | [.test, .status, .leaked, .reason]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}" | sort) <<'EOF'
["t1","OK",0,null]
["t2","OK",0,null]
["t3","OK",0,null]
EOF
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","OK",null]
["srv","teardown","OK",null]
EOF
	! kill -0 "$(cat srv.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "a child of the server stays the fixture's once the server is gone" {
	# The server starts a child at 0.3 s and exits at 1.3 s, both while
	# a test runs: the child is the fixture's in t1 (its parent is kept)
	# and in t2 (adopted when t2 started), not leaked.
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sh -c 'sleep 0.3; sleep 300 & echo $! >child.pid; sleep 1' &", "teardown": "true"}
{"id": "t1", "sh": "sleep 0.6", "fixtures": ["srv"], "estimate": 3}
{"id": "t2", "sh": "sleep 1", "fixtures": ["srv"], "estimate": 2}
{"id": "t3", "sh": "kill -0 $(cat child.pid)", "fixtures": ["srv"], "estimate": 1}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	run -0 jq -c 'select(.type == "result") | [.test, .status, .leaked]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}") <<'EOF'
["t1","OK",0]
["t2","OK",0]
["t3","OK",0]
EOF
	! kill -0 "$(cat child.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "a teardown that stops its server itself leaks nothing" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sleep 300 & echo $! >srv.pid", "teardown": "kill $(cat srv.pid)"}
{"id": "t", "sh": "kill -0 $(cat srv.pid)", "fixtures": ["srv"]}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","OK",null]
["srv","teardown","OK",null]
EOF
	[ "$(event_status ev.ndjson t)" = OK ]
	assert_no_process_with_env MARK "$mark"
}

@test "a teardown's own leftovers are leaked, its fixture's server is not" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sleep 300 & echo $! >srv.pid", "teardown": "sleep 300 & echo $! >td.pid"}
{"id": "t", "sh": "kill -0 $(cat srv.pid)", "fixtures": ["srv"]}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","OK",null]
["srv","teardown","OK","leaked 1 process"]
EOF
	! kill -0 "$(cat srv.pid)" 2>/dev/null
	! kill -0 "$(cat td.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "a test's timeout kill spares the fixture's server until teardown" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sleep 300 & echo $! >srv.pid", "teardown": "kill -0 $(cat srv.pid) && echo alive >td.out"}
{"id": "hang", "sh": "sleep 30 & sleep 30", "fixtures": ["srv"], "timeout": 1}
EOF
)
	MARK=$mark run -1 dagz_run -j 1 --retries 0 --grace 1 --manifest "$m" \
	    --events ev.ndjson
	echo "$output"
	[ "$(event_status ev.ndjson hang)" = TIMEOUT ]
	[ "$(event_get ev.ndjson hang .reason)" = "timed out after 1s" ]
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","OK",null]
["srv","teardown","OK",null]
EOF
	[ "$(cat td.out)" = alive ]
	! kill -0 "$(cat srv.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "--leak=fail does not fail a setup for what it keeps running" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sleep 300 &"}
{"id": "t", "sh": "true", "fixtures": ["srv"]}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --leak=fail --manifest "$m" \
	    --events ev.ndjson
	[ "$(event_status ev.ndjson t)" = OK ]
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","OK",null]
["srv","teardown","OK",null]
EOF
	assert_no_process_with_env MARK "$mark"
}

@test "a failed setup's leftovers are leaked and killed" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sleep 300 & echo $! >srv.pid; exit 3"}
{"id": "t", "sh": "true", "fixtures": ["srv"]}
EOF
)
	MARK=$mark run -1 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	[ "$(event_status ev.ndjson t)" = DEP_FAILED ]
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","FAILED","exit 3, leaked 1 process"]
EOF
	! kill -0 "$(cat srv.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "a server that ignores SIGTERM is killed after the grace at teardown" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sh -c 'trap \"\" TERM; echo $$ >srv.pid; sleep 300 & wait' &"}
{"id": "t", "sh": "sleep 0.2; kill -0 $(cat srv.pid)", "fixtures": ["srv"]}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --grace 0.5 --manifest "$m" \
	    --events ev.ndjson
	[ "$(event_status ev.ndjson t)" = OK ]
	diff -u - <(fixture_lines ev.ndjson) <<'EOF'
["srv","setup","OK",null]
["srv","teardown","OK",null]
EOF
	assert_no_process_with_env MARK "$mark"
}

@test "the memory budget counts the test's tree, not the fixture's server" {
	# The server grows once the setup is over, so it is kept first.
	m=$(manifest <<'EOF'
{"fixture": "big", "setup": "sh -c 'sleep 0.2; x=$(head -c 100000000 /dev/zero | tr \"\\0\" a); echo ready >big.ready; sleep 300' &"}
{"id": "t", "sh": "while [ ! -e big.ready ]; do sleep 0.05; done; sleep 0.5", "fixtures": ["big"]}
EOF
)
	MARK=$mark run -0 dagz_run -j 1 --retries 0 --mem-budget 64M \
	    --manifest "$m" --events ev.ndjson
	[ "$(event_status ev.ndjson t)" = OK ]
	assert_no_process_with_env MARK "$mark"
}

@test "SIGINT kills a fixture's kept server too" {
	m=$(manifest <<'EOF'
{"fixture": "srv", "setup": "sleep 300 & echo $! >srv.pid", "teardown": "true"}
{"id": "t", "sh": "kill -0 $(cat srv.pid) && touch up; sleep 60", "fixtures": ["srv"]}
EOF
)
	# Started directly, not through a function, so that $! is dagz itself.
	MARK=$mark dagz run -j 1 --manifest "$m" --events ev.ndjson \
	    >out.txt 2>&1 3>&- &
	pid=$!
	for i in $(seq 50); do
		[ -e up ] && break
		sleep 0.1
	done
	[ -e up ]
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat out.txt
	[ "$rc" -eq 3 ]
	! kill -0 "$(cat srv.pid)" 2>/dev/null
	assert_no_process_with_env MARK "$mark"
}

@test "a script whose interpreter is missing fails at once, saying so" {
	printf '#!/no/such/sh\necho hi\n' >x
	printf '#!/bin/sh\r\necho hi\r\n' >crlf
	chmod +x x crlf
	m=$(manifest <<'EOF'
{"id": "x", "cmd": ["./x"]}
{"id": "crlf", "cmd": ["./crlf"]}
EOF
)
	run -1 dagz_run -j 1 --retries 0 --manifest "$m" --events ev.ndjson
	echo "$output"
	run -0 jq -c 'select(.type == "result") | [.test, .status, .exit, .reason]' ev.ndjson
	diff -u - <(printf '%s\n' "${lines[@]}" | sort) <<'EOF'
["crlf","FAILED",127,"bad interpreter '/bin/sh^M' in './crlf'"]
["x","FAILED",127,"bad interpreter '/no/such/sh' in './x'"]
EOF
	# Not tried again: 6 retries alone take 0.63 s.
	jq -e 'select(.type == "summary") | .duration < 0.5' ev.ndjson
}
