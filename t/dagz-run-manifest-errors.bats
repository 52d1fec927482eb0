#!/usr/bin/env bats
# t/dagz-run-manifest-errors.bats: a bad manifest or bad usage makes
# "dagz run" print one "dagz-run: ..." line and exit 2 without running
# anything. Every test in these manifests, valid or not, would touch a
# ran.ID marker in $BATS_TEST_TMPDIR; the first test shows that they do.

load helpers

# The "cmd" member of a test that leaves the marker ran.$1.
mark() {
	printf '"cmd": ["touch", "%s/ran.%s"]' "$BATS_TEST_TMPDIR" "$1"
}

# Fails if any test of the manifest ran.
assert_nothing_ran() {
	local left
	left=$(cd "$BATS_TEST_TMPDIR" && ls -d ran.* 2>/dev/null || :)
	if [ -n "$left" ]; then
		echo "tests ran although the run was refused: $left" >&2
		return 1
	fi
}

# Compares the whole of stderr with the one line expected.
assert_stderr() {
	if [ "$stderr" != "$1" ]; then
		printf 'stderr:\n%s\nexpected:\n%s\n' "$stderr" "$1" >&2
		return 1
	fi
}

# For usage errors, whose wording is not fixed: a "dagz-run: " message.
assert_usage_error() {
	if [ "${stderr#dagz-run: }" = "$stderr" ]; then
		printf 'stderr does not start with "dagz-run: ":\n%s\n' \
		    "$stderr" >&2
		return 1
	fi
}

@test "control: the tests of a valid manifest leave their markers" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}

{"id": "b", "sh": "touch '$BATS_TEST_TMPDIR/ran.b'", "needs": ["a"]}
EOF
)
	run -0 --separate-stderr dagz_run -j 1 --manifest "$m"
	[ -e "$BATS_TEST_TMPDIR/ran.a" ]
	[ -e "$BATS_TEST_TMPDIR/ran.b" ]
}

@test "a line that is not JSON: invalid JSON with jansson's text" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "b" $(mark b)}
{"id": "c", $(mark c)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: invalid JSON: '}' expected near '\"cmd\"'"
	assert_nothing_ran
}

@test "a line that is not an object: expected a JSON object" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
["b"]
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: expected a JSON object"
	assert_nothing_ran
}

@test "a test without id: missing \"id\", blank lines counted" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}

{$(mark b)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:3: missing \"id\""
	assert_nothing_ran
}

@test "a duplicate id names the line of the first" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}

{"id": "b", $(mark b)}
{"id": "a", $(mark a2)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:4: duplicate id 'a' (first on line 1)"
	assert_nothing_ran
}

@test "both \"cmd\" and \"sh\"" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "x", $(mark x), "sh": "touch '$BATS_TEST_TMPDIR/ran.x2'"}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'x': both \"cmd\" and \"sh\" given"
	assert_nothing_ran
}

@test "neither \"cmd\" nor \"sh\"" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "x", "timeout": 5}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'x': neither \"cmd\" nor \"sh\" given"
	assert_nothing_ran
}

@test "a misspelt key is named" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "x", $(mark x), "tmeout": 5}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'x': unknown key \"tmeout\""
	assert_nothing_ran
}

@test "\"timeout\" must be a number of seconds above 0" {
	m=$(manifest <<EOF
{"id": "x", $(mark x), "timeout": "5s"}
{"id": "a", $(mark a)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:1: test 'x': \"timeout\" must be a number of seconds above 0"
	assert_nothing_ran
}

@test "\"cmd\" must be a non-empty array of strings" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "x", "cmd": []}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'x': \"cmd\" must be a non-empty array of strings"
	assert_nothing_ran
}

@test "\"needs\" must be an array of strings" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "x", $(mark x), "needs": "a"}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'x': \"needs\" must be an array of strings"
	assert_nothing_ran
}

@test "\"env\" must be an object of strings" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "x", $(mark x), "env": ["A=1"]}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'x': \"env\" must be an object of strings"
	assert_nothing_ran
}

@test "needs of a test that is not defined" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
{"id": "b", $(mark b), "needs": ["a", "zz"]}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'b' needs 'zz', which is not defined"
	assert_nothing_ran
}

@test "a needs cycle is spelled out" {
	m=$(manifest <<EOF
{"id": "z", $(mark z)}
{"id": "a", $(mark a), "needs": ["b"]}
{"id": "b", $(mark b), "needs": ["a"]}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:2: needs cycle: a -> b -> a"
	assert_nothing_ran
}

@test "a 3-cycle is spelled out" {
	m=$(manifest <<EOF
{"id": "a", $(mark a), "needs": ["b"]}
{"id": "b", $(mark b), "needs": ["c"]}
{"id": "c", $(mark c), "needs": ["a"]}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m:1: needs cycle: a -> b -> c -> a"
	assert_nothing_ran
}

@test "a manifest that does not exist" {
	m=$BATS_TEST_TMPDIR/nope.ndjson
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m"
	assert_stderr "dagz-run: $m: cannot open: No such file or directory"
	assert_nothing_ran
}

@test "usage: an unknown flag is a one-line error" {
	run -2 --separate-stderr dagz run --bogus
	assert_usage_error
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "--manifest and --exec together: one suite; an id both collect is refused" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
EOF
)
	printf '#!/bin/sh\ntouch "%s/ran.exec"\n' "$BATS_TEST_TMPDIR" \
	    >"$BATS_TEST_TMPDIR/t1.test"
	chmod +x "$BATS_TEST_TMPDIR/t1.test"
	run -0 --separate-stderr dagz_run -j 1 --manifest "$m" \
	    --exec "$BATS_TEST_TMPDIR/*.test"
	[ -e "$BATS_TEST_TMPDIR/ran.a" ]
	[ -e "$BATS_TEST_TMPDIR/ran.exec" ]
	rm -f "$BATS_TEST_TMPDIR"/ran.*

	m=$(manifest <<EOF
{"id": "$BATS_TEST_TMPDIR/t1.test", $(mark a)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --manifest "$m" \
	    --exec "$BATS_TEST_TMPDIR/*.test"
	assert_stderr "dagz-run: --exec: test id '$BATS_TEST_TMPDIR/t1.test' is also collected by --manifest"
	assert_nothing_ran
	[ ! -e "$BATS_TEST_TMPDIR/ran.exec" ]
}

@test "usage: neither --manifest nor --exec" {
	run -2 --separate-stderr dagz_run -j 1
	assert_usage_error
}

@test "usage: --manifest without its argument" {
	run -2 --separate-stderr dagz run --manifest
	assert_usage_error
}

@test "usage: -j that is not a number" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
EOF
)
	run -2 --separate-stderr dagz_run -j abc --manifest "$m"
	assert_usage_error
	assert_nothing_ran
}

@test "usage: a --timeout that is not a duration" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --timeout 5x --manifest "$m"
	assert_usage_error
	assert_nothing_ran
}

@test "usage: a --mem-budget that is not a size" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --mem-budget 12Q --manifest "$m"
	assert_usage_error
	assert_nothing_ran
}

@test "usage: --leak other than kill or fail" {
	m=$(manifest <<EOF
{"id": "a", $(mark a)}
EOF
)
	run -2 --separate-stderr dagz_run -j 1 --leak=maybe --manifest "$m"
	assert_usage_error
	assert_nothing_ran
}
