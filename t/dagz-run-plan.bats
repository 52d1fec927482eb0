#!/usr/bin/env bats
# The plan: longest processing time first over the workers, fixture
# groups kept together, main-worker tests on worker 0. --plan prints it
# and runs nothing.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# "worker test" lines of a --plan output, in each worker's order.
plan_of() {
	jq -r 'select(.type=="plan") | "\(.worker) \(.test)"'
}

@test "--plan gives the LPT assignment and runs nothing" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "touch ran-a", "estimate": 5}
{"id": "b", "sh": "touch ran-b", "estimate": 4}
{"id": "c", "sh": "touch ran-c", "estimate": 3}
{"id": "d", "sh": "touch ran-d", "estimate": 3}
{"id": "e", "sh": "touch ran-e", "estimate": 2}
{"id": "f", "sh": "touch ran-f", "estimate": 2}
{"id": "g", "sh": "touch ran-g", "estimate": 1}
EOF
)
	run -0 dagz_run -j 2 --plan --manifest "$m"
	diff -u - <(plan_of <<<"$output") <<'EOF'
0 a
0 d
0 f
1 b
1 c
1 e
1 g
EOF
	jq -s -e '.[-1] | .type == "plan-summary" and .makespan == 10
	    and .workers == 2 and .tests == 7' <<<"$output"
	jq -s -e '[.[] | select(.test == "c")][0].why ==
	    "longest first: worker #1 had the least planned (4.0s)"' <<<"$output"
	! ls ran-* 2>/dev/null
}

@test "unknown estimates get the median of the known ones" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "true", "estimate": 1}
{"id": "b", "sh": "true", "estimate": 3}
{"id": "c", "sh": "true", "estimate": 8}
{"id": "x", "sh": "true"}
EOF
)
	run -0 dagz_run -j 2 --plan --manifest "$m"
	[ "$(jq -r 'select(.test == "x") | .estimate' <<<"$output")" = 3 ]
}

@test "a fixture group stays on one worker" {
	m=$(manifest <<'EOF'
{"fixture": "db", "setup": "true", "teardown": "true"}
{"id": "p", "sh": "true", "estimate": 3}
{"id": "q", "sh": "true", "estimate": 3}
{"id": "x", "sh": "true", "estimate": 1, "fixtures": ["db"]}
{"id": "y", "sh": "true", "estimate": 1, "fixtures": ["db"]}
{"id": "z", "sh": "true", "estimate": 1, "fixtures": ["db"]}
EOF
)
	run -0 dagz_run -j 2 --plan --manifest "$m"
	diff -u - <(plan_of <<<"$output") <<'EOF'
0 p
0 x
0 y
0 z
1 q
EOF
	jq -s -e '[.[] | select(.test == "y")][0].why ==
	    "fixture '"'db'"' kept with its group (3.0s)"' <<<"$output"
}

@test "a fixture group longer than a worker's share is split" {
	m=$(manifest <<'EOF'
{"fixture": "db", "setup": "true"}
{"id": "x", "sh": "true", "estimate": 4, "fixtures": ["db"]}
{"id": "y", "sh": "true", "estimate": 4, "fixtures": ["db"]}
EOF
)
	run -0 dagz_run -j 2 --plan --manifest "$m"
	diff -u - <(plan_of <<<"$output") <<'EOF'
0 x
1 y
EOF
}

@test "main-worker tests land on worker 0" {
	m=$(manifest <<'EOF'
{"id": "big1", "sh": "true", "estimate": 5}
{"id": "big2", "sh": "true", "estimate": 5}
{"id": "m", "sh": "true", "estimate": 1, "tags": ["main-worker"]}
{"id": "n", "sh": "true", "estimate": 1, "tags": ["main-worker"]}
EOF
)
	run -0 dagz_run -j 3 --plan --manifest "$m"
	diff -u - <(plan_of <<<"$output") <<'EOF'
0 m
0 n
1 big1
2 big2
EOF
	m2=$(manifest run.ndjson <<'EOF'
{"id": "m", "sh": "echo $DAGZ_WORKER_ID >m.worker", "tags": ["main-worker"]}
{"id": "a", "sh": "sleep 0.2"}
{"id": "b", "sh": "sleep 0.2"}
EOF
)
	run -0 dagz_run -j 3 --manifest "$m2"
	[ "$(cat m.worker)" = 0 ]
}
