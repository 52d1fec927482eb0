#!/usr/bin/env bats
# --ctest: ctest and dagz run the same CMake build (t/suites/cmake) and
# agree on each test; ctest's properties become dagz's keys (--list
# shows them), its fixture chains run in order across two workers, a
# failing setup makes its tests DEP_FAILED and still runs the cleanup,
# and a property dagz does not honour is named in a warning.

load helpers

# The build, and one run of each runner, shared by the tests below.
setup_file() {
	B=$BATS_FILE_TMPDIR/build
	cmake -S "$DAGZ_SRCDIR/t/suites/cmake" -B "$B" >/dev/null
	cmake --build "$B" >/dev/null
	(cd "$B" && ctest -j 2 >"$BATS_FILE_TMPDIR/ctest.out" 2>&1) || :
	rm -f "$B/net-cleanup.txt"
	cd "$BATS_FILE_TMPDIR"
	dagz run --log-dir logs -j 2 --retries 0 --ctest build \
	    --events ev.ndjson >dagz.out 2>dagz.err 3>&- || echo $? >dagz.rc
}

setup() {
	B=$BATS_FILE_TMPDIR/build
	cd "$BATS_FILE_TMPDIR"
}

# Start and end of TEST's last attempt, in seconds.
start_of() {
	event_get ev.ndjson "$1" .start
}
end_of() {
	event_get ev.ndjson "$1" '.start + .duration'
}

# Fails unless a <= b, two decimal numbers.
not_later() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' ||
	    { echo "$1 is later than $2" >&2; return 1; }
}

@test "ctest and dagz agree on each test" {
	cat dagz.out dagz.err
	[ "$(cat dagz.rc)" = 1 ]
	# ctest's words as pass, fail or skip; "Not Run" counts as failed.
	sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) [.]* *\**\(.*\)/\1 \2/p' \
	    ctest.out | sed 's/ *[0-9.]* sec$//; s/ Passed$/ pass/;
	    s/ Failed$/ fail/; s/ Not Run$/ fail/; s/ Skipped$/ skip/;
	    s/ Not Run (Disabled)$/ skip/' | sort >native
	jq -r 'select(.type == "result") | "\(.test) \(.status)"' ev.ndjson |
	    sort >dagz
	sed 's/ \(OK\)$/ pass/; s/ \(FAILED\|DEP_FAILED\)$/ fail/;
	    s/ SKIPPED$/ skip/' dagz | diff -u native -
	diff -u - dagz <<'EOF'
adds OK
adds_wrong FAILED
after_adds OK
db_cleanup OK
db_count OK
db_read OK
db_setup OK
disabled SKIPPED
expected_failure OK
greets OK
missing_program FAILED
net_cleanup OK
net_setup FAILED
net_use DEP_FAILED
serial OK
skips SKIPPED
EOF
	[ "$(event_get ev.ndjson disabled .reason)" = "disabled in ctest (DISABLED)" ]
	grep -q "^ctest: could not find the executable of test missing_program$" \
	    logs/missing_program.1.log
}

@test "a fixture chain runs setup, tests, cleanup in order on two workers" {
	not_later "$(end_of db_setup)" "$(start_of db_read)"
	not_later "$(end_of db_setup)" "$(start_of db_count)"
	not_later "$(end_of db_read)" "$(start_of db_cleanup)"
	not_later "$(end_of db_count)" "$(start_of db_cleanup)"
	not_later "$(end_of adds)" "$(start_of after_adds)"
	[ "$(jq -s '[.[] | select(.type == "result" and .worker >= 0) |
	    .worker] | unique | length' ev.ndjson)" = 2 ]
}

@test "a failing setup makes its tests DEP_FAILED and still runs the cleanup" {
	[ "$(event_get ev.ndjson net_use .reason)" = "needs 'net_setup' which FAILED" ]
	[ "$(event_status ev.ndjson net_cleanup)" = OK ]
	[ "$(cat "$B/net-cleanup.txt")" = cleaned ]
	not_later "$(end_of net_setup)" "$(start_of net_cleanup)"
}

@test "a property dagz does not honour is named in one warning" {
	[ "$(cat dagz.err)" = "dagz-vassal: ctest: test 'serial': property PROCESSORS is not honoured" ]
}

@test "--list shows what ctest's properties became" {
	run -0 --separate-stderr dagz_run --list --ctest "$B"
	# cmake wrote sh as it found it on PATH.
	sh=$(jq -r 'select(.id == "skips") | .cmd[0]' <<<"$output")
	jq -c 'del(.source)' <<<"$output" | grep -E '"id":"(adds|expected_failure|skips|greets|after_adds|db_read|db_cleanup|serial|disabled)"' |
	    diff -u - <(sed "s|@B@|$B|g; s|@SH@|$sh|g" <<'EOF'
{"id":"adds","cmd":["@B@/check","2","3","5"],"cwd":"@B@","tags":["lock:adder"]}
{"id":"expected_failure","cmd":["@B@/check","1","1","3"],"cwd":"@B@","will_fail":true}
{"id":"skips","cmd":["@SH@","-c","echo no network; exit 4"],"cwd":"@B@","skip_code":4}
{"id":"greets","cmd":["@SH@","-c","echo hello from $GREETER"],"cwd":"@B@","env":{"GREETER":"ctest"},"timeout":30,"estimate":2.5,"tags":["quick","shell"],"pass_regex":["hello from ctest"]}
{"id":"after_adds","cmd":["@B@/check","1","2","3"],"cwd":"@B@","after":["adds"]}
{"id":"db_read","cmd":["@SH@","-c","sleep 0.2; grep rows db.txt"],"cwd":"@B@","needs":["db_setup"]}
{"id":"db_cleanup","cmd":["@SH@","-c","rm db.txt"],"cwd":"@B@","after":["db_read","db_count","db_setup"]}
{"id":"serial","cmd":["@SH@","-c","exit 0"],"cwd":"@B@","tags":["node-mutex"]}
{"id":"disabled","sh":"echo ctest: test disabled is disabled; exit 77","cwd":"@B@","skip_code":77,"skip_reason":"disabled in ctest (DISABLED)"}
EOF
)
	[ "$(jq -r .source <<<"$output" | sort -u)" = --ctest ]
}

@test "a directory that is not a ctest build is bad input, in one line" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run -2 --separate-stderr dagz_run --ctest "$BATS_TEST_TMPDIR/empty"
	[ "$stderr" = "dagz-run: --ctest: '$BATS_TEST_TMPDIR/empty' is not a ctest build directory (no CTestTestfile.cmake: run cmake first)" ]
	run -2 --separate-stderr dagz_run --ctest nowhere
	[ "$stderr" = "dagz-run: --ctest: cannot use 'nowhere' as a build directory: No such file or directory" ]
}

@test "zb init writes a config that dagz run uses with no flags" {
	mkdir "$BATS_TEST_TMPDIR/proj"
	cd "$BATS_TEST_TMPDIR/proj"
	cp "$DAGZ_SRCDIR"/t/suites/cmake/* .
	ln -s "$B" build
	assert_zb_init_collects --ctest build
	grep -qx '  - ctest: build' .dagz/config.yaml
}
