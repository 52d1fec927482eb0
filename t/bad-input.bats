#!/usr/bin/env bats
# t/bad-input.bats: bad input to dagz run, dagz-vassal and zb gets one
# line naming the file, line and reason and exit 2, with nothing run or
# recorded; whatever the manifest accepts (long ids, any UTF-8) runs, and
# nothing a test names or writes can forge a line on a terminal.

load helpers

# Fails unless stderr is exactly the line given.
assert_stderr() {
	if [ "$stderr" != "$1" ]; then
		printf 'stderr:\n%s\nexpected:\n%s\n' "$stderr" "$1" >&2
		return 1
	fi
}

# Fails if a test of the manifest left its marker ran.ID.
assert_nothing_ran() {
	local left
	left=$(cd "$BATS_TEST_TMPDIR" && ls -d ran.* 2>/dev/null || :)
	[ -z "$left" ] || { echo "ran although refused: $left" >&2; return 1; }
}

@test "ids of 300 ASCII characters and of 90 × é run, each with its own log" {
	local a e
	a=$(printf 'a%.0s' $(seq 300))
	e=$(printf 'é%.0s' $(seq 90))
	m=$(manifest <<EOF
{"id": "$a", "sh": "echo long-a; exit 1"}
{"id": "${a}b", "sh": "echo long-ab; exit 1"}
{"id": "$e", "sh": "echo long-e"}
EOF
)
	run -1 --separate-stderr dagz_run -j 2 --retries 0 \
	    --events "$BATS_TEST_TMPDIR/ev" --manifest "$m"
	ev=$BATS_TEST_TMPDIR/ev
	[ "$(event_status "$ev" "$a")" = FAILED ]
	[ "$(event_status "$ev" "${a}b")" = FAILED ]
	[ "$(event_status "$ev" "$e")" = OK ]
	# Three logs, none longer than NAME_MAX, each with its test's output.
	[ "$(ls "$BATS_TEST_TMPDIR/logs" | grep -c '\.log$')" = 3 ]
	for t in "$a" "${a}b" "$e"; do
		log=$(event_get "$ev" "$t" .log)
		[ "$(basename "$log" | wc -c)" -le 256 ]
		[ -f "$log" ]
	done
	[ "$(cat "$(event_get "$ev" "$a" .log)")" = long-a ]
	[ "$(cat "$(event_get "$ev" "${a}b" .log)")" = long-ab ]
	[ "$(cat "$(event_get "$ev" "$e" .log)")" = long-e ]
}
