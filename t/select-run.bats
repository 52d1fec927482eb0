#!/usr/bin/env bats
# Change-aware selection in dagz run, on a small project made here with
# a dagzd of its own: tests that read a file directly, through a
# subprocess and through a sourced library; what a change selects, what
# --all and --observe do, and what zb select-tests says.

load helpers

setup() {
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj"
	cd "$proj"
	printf 'hello\n' >data.txt
	printf 'other\n' >other.txt
	printf 'hi there\n' >greeting.txt
	printf 'greet() { cat greeting.txt; }\n' >lib.sh
	printf '#!/bin/sh\ncat data.txt >/dev/null\n' >viacat.sh
	chmod +x viacat.sh
	cat >suite.ndjson <<'EOF'
{"id": "direct", "sh": "grep -q hello data.txt"}
{"id": "subproc", "cmd": ["./viacat.sh"]}
{"id": "sourced", "sh": ". ./lib.sh; greet"}
{"id": "other", "sh": "cat other.txt"}
{"id": "looker", "sh": "if [ -e maybe.txt ]; then cat maybe.txt; fi; true"}
EOF
	ev="$BATS_TEST_TMPDIR/ev.ndjson"
	dagzd_start
}

teardown() {
	dagzd_stop
}

# Runs the suite, its events in $ev.
srun() {
	rm -f "$ev"
	dagz_run --manifest suite.ndjson --events "$ev" "$@"
}

@test "run 1 runs all; run 2 with no change deselects all and exits 0" {
	run -0 srun
	[ "$(ran)" = "direct looker other sourced subproc" ]
	grep -q '^[0-9:.]* baseline: b1 ' <<<"$output"
	run srun
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ran)" = "" ]
	[ "$(jq -r 'select(.type=="result") | .reason' "$ev" | sort -u)" = \
	    "unchanged since baseline b1" ]
	grep -q 'selection: 0 of 5 tests selected, 5 deselected against b1' \
	    <<<"$output"
	grep -q '5 DESELECTED' <<<"$output"
}

@test "a changed data file selects its readers, through a subprocess too" {
	run -0 srun
	printf 'hello again\n' >data.txt
	run -0 srun
	[ "$(ran)" = "direct subproc" ]
	printf 'hey\n' >greeting.txt
	run -0 srun
	[ "$(ran)" = "sourced" ]
	printf 'greet() { cat greeting.txt; echo; }\n' >lib.sh
	run -0 srun
	[ "$(ran)" = "sourced" ]
}

@test "a path looked up and created selects; a deleted file selects" {
	run -0 srun
	printf 'now\n' >maybe.txt
	run -0 srun
	[ "$(ran)" = "looker" ]
	rm other.txt
	run -1 srun
	[ "$(ran)" = "other" ]
}

@test "new tests, failed tests and incomplete traces run" {
	run -0 srun
	printf '{"id": "new", "sh": "true"}\n' >>suite.ndjson
	run -0 srun
	[ "$(ran)" = "new" ]
	printf '{"id": "fails", "sh": "exit 1"}\n' >>suite.ndjson
	run -1 srun
	run -1 srun
	[ "$(ran)" = "fails" ]
	[ "$(event_get "$ev" fails .status)" = FAILED ]
	sed -i '/"fails"/d' suite.ndjson
	printf 'int main(void) { return 0; }\n' >static.c
	cc -static -o static static.c 2>/dev/null ||
	    skip "no static C library to link a static program"
	printf '{"id": "static", "cmd": ["./static"]}\n' >>suite.ndjson
	run -0 srun
	run -0 zb select-tests --trace --manifest suite.ndjson
	echo "$output"
	[ "$(sed -n '/^run  static$/{n;p;}' <<<"$output" | tr -d ' ')" = \
	    "traceincomplete" ]
	run -0 srun
	[ "$(ran)" = "static" ]
}

@test "--observe runs everything and reports; --all runs everything" {
	run -0 srun
	printf 'hello again\n' >data.txt
	run -0 srun --observe
	echo "$output"
	[ "$(ran)" = "direct looker other sourced subproc" ]
	grep -q 'observe: 3 of 5 tests would have been deselected against b1; 0 of them failed' <<<"$output"
	run -0 srun --all
	[ "$(ran)" = "direct looker other sourced subproc" ]
	! grep -q 'selection:' <<<"$output"
}

@test "a baseline from a job that ran one test still deselects the rest" {
	run -0 srun
	printf 'changed\n' >other.txt
	run -0 srun
	[ "$(ran)" = "other" ]
	run -0 srun
	[ "$(ran)" = "" ]
	run -0 srun --baseline b1
	[ "$(ran)" = "other" ]
}

@test "zb select-tests --trace names the changed file" {
	run -0 srun
	printf 'hello again\n' >data.txt
	run -0 zb select-tests --trace --manifest suite.ndjson
	echo "$output"
	diff -u - <(printf '%s\n' "$output") <<'EOF'
run  direct
       changed: data.txt
run  subproc
       changed: data.txt
skip sourced
skip other
skip looker
2 of 5 selected against b1
EOF
	# Nothing ran and nothing was recorded.
	[ "$(zb jobs --json | wc -l)" -eq 1 ]
}

@test "a scratch directory a test makes is no input; a leftover of it selects" {
	cat >suite.ndjson <<'EOF'
{"id": "scratch", "sh": "rm -rf tmp.d; mkdir tmp.d; i=0; while [ $i -lt 200 ]; do i=$((i + 1)); echo $i >tmp.d/f$i; read x <tmp.d/f$i; done; ls tmp.d >/dev/null; rm -rf tmp.d"}
EOF
	run -0 srun
	[ "$(ran)" = scratch ]
	# 200 files made, read and removed: one missing path, no file.
	curl -s -o b1 "$DAGZ_URL/api/v1/baselines/b1"
	dagz-baseline show b1 | jq -c 'select(.test) | [.deps, .missing]' |
	    diff -u - <(echo '[["."],["tmp.d"]]')
	run -0 srun
	[ "$(ran)" = "" ]
	# A leftover of a crashed run may change what the test does.
	mkdir tmp.d
	run -0 zb select-tests --trace --manifest suite.ndjson
	grep -q 'appeared: tmp.d' <<<"$output"
	run -0 srun
	[ "$(ran)" = scratch ]
}

@test "a file a test reads and rewrites selects it only when another changed it" {
	printf 'checked in\n' >stamp.txt
	cat >suite.ndjson <<'EOF'
{"id": "stamper", "sh": "cat stamp.txt >/dev/null; date +%s%N >stamp.txt"}
{"id": "reader", "sh": "cat other.txt"}
EOF
	run -0 srun
	[ "$(ran)" = "reader stamper" ]
	# A fresh checkout puts the file back as it was found: the first
	# time, what it was before the test is not known yet.
	printf 'checked in\n' >stamp.txt
	run -0 srun
	[ "$(ran)" = stamper ]
	curl -s -o b2 "$DAGZ_URL/api/v1/baselines/b2"
	dagz-baseline show b2 | jq -e 'select(.test == "stamper") |
	    .outputs | length == 1 and .[0].file == "stamp.txt" and
	    .[0].in != null and .[0].in != .[0].out'
	# As the test left it: nobody else changed it.
	run -0 srun
	[ "$(ran)" = "" ]
	# As the test found it: a fresh checkout.
	printf 'checked in\n' >stamp.txt
	run -0 srun
	[ "$(ran)" = "" ]
	printf 'changed by hand\n' >stamp.txt
	run -0 srun
	[ "$(ran)" = stamper ]
}

@test "the probe keeps errno and what the program does" {
	cat >suite.ndjson <<'EOF'
{"id": "errno", "sh": "cat nothere; echo $?; ls -d . nothere; echo $?; test -r data.txt; echo $?; wc -c data.txt"}
EOF
	run -0 srun --all
	cp "$BATS_TEST_TMPDIR/logs/errno.1.log" probed.log
	DAGZ_PROBE_LIB= run -0 srun --all
	diff -u probed.log "$BATS_TEST_TMPDIR/logs/errno.1.log"
	grep -q 'No such file or directory' probed.log
}

@test "a global file changing selects everything" {
	mkdir .dagz conf
	printf 'all:\n' >build.mk
	printf '# the project\nglobal:\n  - "build.mk"  # the build\n' \
	    >.dagz/config.yaml
	run -0 srun --global 'conf/*.ini'
	run -0 srun --global 'conf/*.ini'
	[ "$(ran)" = "" ]
	printf 'all: x\n' >build.mk
	run -0 srun --global 'conf/*.ini'
	[ "$(ran)" = "direct looker other sourced subproc" ]
	[ "$(event_get "$ev" other '.reason')" = null ]
	run -0 zb select-tests --trace --global 'conf/*.ini' --manifest suite.ndjson
	[ "${lines[-1]}" = "0 of 5 selected against b3" ]
	printf 'x=1\n' >conf/new.ini
	run -0 zb select-tests --trace --global 'conf/*.ini' --manifest suite.ndjson
	[ "$(sed -n 2p <<<"$output")" = "       global file changed: conf/new.ini" ]
}

@test "--all still builds a baseline; a bad --baseline is a usage error" {
	run -0 srun --all
	grep -q '^[0-9:.]* baseline: b1 ' <<<"$output"
	run -0 srun
	[ "$(ran)" = "" ]
	run -2 srun --baseline b99
	grep -q "cannot fetch baseline 'b99'" <<<"$output"
	DAGZ_NO_STORE=1 run -0 zb select-tests --manifest suite.ndjson
	[ "${lines[0]}" = "no store: every test runs" ]
	[ "${lines[-1]}" = "5 of 5 selected" ]
}
