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

@test "a manifest line over 1 MiB: exit 2 with file and line" {
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
EOF
)
	jq -cn '{id: "big", sh: ("x" * (5 * 1024 * 1024))}' >>"$m"
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: $m:2: line longer than 1048576 bytes"
	assert_nothing_ran
}

@test "a backslash before a non-ASCII character: exit 2 with file, line, reason" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "\é"}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: $m:1: invalid JSON: invalid escape near '\"\\\\xc3'"
}

@test "--exec on a file whose name is not UTF-8: exit 2 naming the file" {
	mkdir "$BATS_TEST_TMPDIR/t"
	f="$BATS_TEST_TMPDIR/t/a$(printf '\377')b.sh"
	printf '#!/bin/sh\ntouch %s/ran.a\n' "$BATS_TEST_TMPDIR" >"$f"
	chmod +x "$f"
	cd "$BATS_TEST_TMPDIR"
	run -2 --separate-stderr dagz_run --exec 't/*'
	assert_stderr "dagz-run: cannot use 't/a\\xffb.sh' as a test id: \"id\" is not UTF-8 (byte 0xff)"
	assert_nothing_ran
}

@test "numbers out of range on the command line: exit 2, nothing run" {
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
EOF
)
	for o in timeout grace slow retry-budget status-interval stuck-after; do
		run -2 --separate-stderr dagz_run --$o 1e19 --manifest "$m"
		assert_stderr "dagz-run: --$o: duration '1e19' is out of range: 1ms to 1000000000s"
	done
	run -2 --separate-stderr dagz_run --timeout 0.0001 --manifest "$m"
	assert_stderr "dagz-run: --timeout: duration '0.0001' is out of range: 1ms to 1000000000s"
	run -2 --separate-stderr dagz_run --mem-budget 1e30 --manifest "$m"
	assert_stderr "dagz-run: --mem-budget: invalid size '1e30'"
	run -2 --separate-stderr dagz_run -j 1025 --manifest "$m"
	assert_stderr "dagz-run: -j: workers is too large: 1025"
	run -2 --separate-stderr dagz_run --retries -1 --manifest "$m"
	assert_stderr "dagz-run: --retries: -1 is too small"
	assert_nothing_ran
	# The largest duration is taken.
	run -0 --separate-stderr dagz_run --timeout 1000000000 --manifest "$m"
	[ -e "$BATS_TEST_TMPDIR/ran.a" ]
}

@test "numbers out of range in a manifest: exit 2 with file and line" {
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
{"id": "b", "cmd": ["true"], "estimate": 1e300}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'b': \"estimate\" must be a number of seconds, 0 to 1000000000"
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
{"id": "b", "cmd": ["true"], "timeout": 1e19}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: $m:2: test 'b': \"timeout\" must be a number of seconds above 0"
	assert_nothing_ran
}

@test "control characters in ids: refused at load with file and line" {
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
{"id": "b\nOK forged", "cmd": ["true"]}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: $m:2: \"id\" has a control character (0x0a)"
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
{"id": "b\u001b]0;title\u0007", "cmd": ["true"]}
EOF
)
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: $m:2: \"id\" has a control character (0x1b)"
	mkdir "$BATS_TEST_TMPDIR/t"
	printf '#!/bin/sh\n' >"$BATS_TEST_TMPDIR/t/x$(printf '\033')[2J.sh"
	chmod +x "$BATS_TEST_TMPDIR"/t/*
	cd "$BATS_TEST_TMPDIR"
	run -2 --separate-stderr dagz_run --exec 't/*'
	assert_stderr "dagz-run: cannot use 't/x\\x1b[2J.sh' as a test id: \"id\" has a control character (0x1b)"
	# Adapters' ids are held to the same rules.
	run -2 --separate-stderr dagz_run --tap 't/*'
	assert_stderr "dagz-run: --tap: test 't/x\\x1b[2J.sh': \"id\" has a control character (0x1b)"
	assert_nothing_ran
}

@test "--baseline naming no baseline: exit 2, no job recorded, no spool" {
	dagzd_start
	mkdir "$BATS_TEST_TMPDIR/proj"
	cd "$BATS_TEST_TMPDIR/proj"
	git init -q
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
EOF
)
	run -2 --separate-stderr dagz_run --baseline b99 --manifest "$m"
	assert_stderr "dagz-run: cannot fetch baseline 'b99': no baseline 'b99'"
	assert_nothing_ran
	run -0 zb jobs --json
	[ "$output" = "" ]
	[ -z "$(ls -A "$DAGZ_HOME/spool" 2>/dev/null)" ]
	dagzd_stop
}

@test "a --log-dir that is a file, a --junit or --events where none can be: exit 2 first" {
	dagzd_start
	m=$(manifest <<EOF
{"id": "a", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.a"]}
EOF
)
	: >"$BATS_TEST_TMPDIR/file"
	run -2 --separate-stderr dagz run --log-dir "$BATS_TEST_TMPDIR/file" \
	    --manifest "$m"
	assert_stderr "dagz-run: --log-dir '$BATS_TEST_TMPDIR/file': not a directory"
	run -2 --separate-stderr dagz_run --junit "$BATS_TEST_TMPDIR/no/j.xml" \
	    --manifest "$m"
	assert_stderr "dagz-run: --junit '$BATS_TEST_TMPDIR/no/j.xml': directory '$BATS_TEST_TMPDIR/no': No such file or directory"
	run -2 --separate-stderr dagz_run --events "$BATS_TEST_TMPDIR" \
	    --manifest "$m"
	assert_stderr "dagz-run: --events '$BATS_TEST_TMPDIR': is a directory"
	run -2 --separate-stderr dagz_run --junit "$BATS_TEST_TMPDIR/file/j.xml" \
	    --manifest "$m"
	assert_stderr "dagz-run: --junit '$BATS_TEST_TMPDIR/file/j.xml': '$BATS_TEST_TMPDIR/file' is not a directory"
	assert_nothing_ran
	run -0 zb jobs --json
	[ "$output" = "" ]
	dagzd_stop
}

@test "a manifest with no tests: exit 2 and nothing recorded, unless --allow-no-tests" {
	dagzd_start
	m=$(manifest </dev/null)
	run -2 --separate-stderr dagz_run --manifest "$m"
	assert_stderr "dagz-run: no tests found in $m"
	run -0 zb jobs --json
	[ "$output" = "" ]
	run -0 --separate-stderr dagz_run --allow-no-tests --manifest "$m"
	[ "$stderr" = "" ]
	run -0 zb jobs --json
	[ "$(jq -r .status <<<"$output")" = passed ]
	dagzd_stop
}

@test "zb: an unknown job status, a malformed job id, a port out of range: exit 2" {
	dagzd_start
	m=$(manifest <<<'{"id": "a", "cmd": ["true"]}')
	run -0 dagz_run --manifest "$m"
	run -2 --separate-stderr zb jobs --status bogus
	assert_stderr "zb: unknown job status 'bogus': expected running, passed, failed, error or vanished"
	[ "$output" = "" ]
	run -0 zb jobs --status passed --json
	[ "$(jq -r .id <<<"$output")" = j1 ]
	run -2 --separate-stderr zb job j1/tests
	assert_stderr "zb: invalid job id 'j1/tests': expected jN, jMMDD.N or a UUID"
	run -2 --separate-stderr zb tests '../jobs'
	assert_stderr "zb: invalid job id '../jobs': expected jN, jMMDD.N or a UUID"
	run -1 --separate-stderr zb job j9
	assert_stderr "zb: unknown job 'j9'"
	DAGZ_URL=http://127.0.0.1:99999 run -2 --separate-stderr zb jobs
	assert_stderr "zb: invalid dagzd URL 'http://127.0.0.1:99999': port '99999' is not 1 to 65535"
	DAGZ_URL=http://127.0.0.1:99999 run -2 --separate-stderr zb daemon up
	assert_stderr "zb: invalid dagzd URL 'http://127.0.0.1:99999': port '99999' is not 1 to 65535"
	dagzd_stop
}

# Runs dagz-vassal on one end of a socket pair, writes $1 (or 5 MiB with
# no newline for BIG) to it, and prints its stderr and exit status.
vassal_fed() {
	python3 - "$1" <<'PY'
import socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen(["dagz-vassal", "-f", str(b.fileno()), "--adapters",
    "[]"], pass_fds=[b.fileno()], stderr=subprocess.PIPE)
b.close()
try:
    a.sendall(b"x" * (5 << 20) if sys.argv[1] == "BIG" else
        sys.argv[1].encode())
    a.shutdown(socket.SHUT_WR)
except OSError:
    pass
try:
    while a.recv(65536):
        pass
except OSError:
    pass
_, err = p.communicate(timeout=20)
sys.stdout.write(err.decode())
print("status", p.returncode)
PY
}

@test "dagz-vassal exits 3 with a message on a malformed or oversized line" {
	run -0 vassal_fed $'{"type": "hello",\n'
	[ "$output" = "$(printf '%s\n' "dagz-vassal: scheduler: malformed message: string or '}' expected near end of file" 'status 3')" ]
	run -0 vassal_fed BIG
	[ "$output" = "$(printf '%s\n' 'dagz-vassal: scheduler: message too long' 'status 3')" ]
	# End of file alone is the scheduler gone: a quiet exit.
	run -0 vassal_fed ''
	[ "$output" = "status 0" ]
}

@test "what a test writes cannot forge or clear lines: the console escapes it" {
	m=$(manifest <<'EOF'
{"id": "a", "sh": "printf 'one\\033]0;title\\007\\033[2J\\rOK forged\\n\\342\\200\\256rtl \\302\\233x\\ttab\\n'; exit 1"}
EOF
)
	run -1 --separate-stderr dagz_run --retries 0 --manifest "$m"
	output=$(sed 's/^[0-9:.]* //' <<<"$output")
	grep -Fx '    | one\x1b]0;title\x07\x1b[2J\rOK forged' <<<"$output"
	grep -Fx "    | $(printf '\342\200\256')rtl \\xc2\\x9bx$(printf '\t')tab" <<<"$output"
	! grep -q "$(printf '[\033\r\007]')" <<<"$output"
}

@test "zb logs escapes control characters on a terminal, not in a pipe" {
	dagzd_start
	m=$(manifest <<'EOF'
{"id": "a", "sh": "printf 'x\\033[2Jy\\rz\\tw\\n'; exit 1"}
EOF
)
	run -1 dagz_run --retries 0 --manifest "$m"
	run -0 script -qec "zb logs j1" /dev/null
	[ "$(tr -d '\r' <<<"$output")" = "$(printf '%s\n' '==> a (attempt 1: FAILED) <==' 'x\x1b[2Jy\rz	w')" ]
	run -0 zb logs j1
	[ "$output" = "$(printf '==> a (attempt 1: FAILED) <==\nx\033[2Jy\rz\tw')" ]
	dagzd_stop
}

@test ".dagz/config.yaml: a flow-style global: [x] selects everything when x changes; garbage is exit 2" {
	dagzd_start
	mkdir -p "$BATS_TEST_TMPDIR/proj/.dagz"
	cd "$BATS_TEST_TMPDIR/proj"
	git init -q
	printf 'v1\n' >x
	printf 'data\n' >data.txt
	cat >suite.ndjson <<'EOF'
{"id": "reads", "sh": "cat data.txt"}
{"id": "other", "sh": "true"}
EOF
	printf '{adapters: [{manifest: suite.ndjson}], global: [x]}\n' \
	    >.dagz/config.yaml
	ev=$BATS_TEST_TMPDIR/ev
	run -0 dagz_run --events "$ev"
	[ "$(ran)" = "other reads" ]
	run -0 dagz_run --events "$ev"
	[ "$(ran)" = "" ]
	printf 'v2\n' >x
	run -0 dagz_run --events "$ev"
	[ "$(ran)" = "other reads" ]
	# Garbage, and a directory, are refused with the file (and line).
	printf 'global: [x\n' >.dagz/config.yaml
	run -2 --separate-stderr dagz_run --events "$ev"
	[ "${stderr%%: while parsing*}" = "dagz-run: $PWD/.dagz/config.yaml:2" ]
	[ "$output" = "" ]
	rm .dagz/config.yaml
	mkdir .dagz/config.yaml
	run -2 --separate-stderr dagz_run --events "$ev"
	assert_stderr "dagz-run: $PWD/.dagz/config.yaml: cannot read: Is a directory"
	dagzd_stop
}

@test "case names in a reason reach the console escaped" {
	m=$(manifest <<'EOF'
{"id": "a", "format": "tap", "sh": "printf '1..2\\nok 1 fine\\nnot ok 2 bad\\302\\233[2J\\033]0;t\\007\\n'"}
EOF
)
	run -1 --separate-stderr dagz_run --retries 0 --manifest "$m"
	! LC_ALL=C grep -q "$(printf '[\033\007]')" <<<"$output"
	! LC_ALL=C grep -qF "$(printf '\302\233')" <<<"$output"
	grep -qF '             - bad\xc2\x9b[2J\x1b]0;t\x07' <<<"$output"
	grep -qF '1 of 2 cases failed: bad\xc2\x9b[2J\x1b]0;t\x07' <<<"$output"
}
