#!/usr/bin/env bats
# t/adapter-bats.bats: dagz run --bats on t/suites/bats agrees with
# bats --tap on every file and on the cases that failed; --list shows
# how each file is run.

load helpers

setup() {
	cp -R "$DAGZ_SRCDIR/t/suites/bats" "$BATS_TEST_TMPDIR/suite"
	chmod -R u+w "$BATS_TEST_TMPDIR/suite"
	cd "$BATS_TEST_TMPDIR"
	top=$(pwd -P)
	# Bats puts its own libexec first on PATH: the bats found there
	# needs the functions its front end exports, which a test of dagz
	# does not inherit. Both runners use the bats a user would.
	user_bats_path
}

# The names of the failing cases of the TAP on stdin.
tap_failed() {
	sed -n 's/^not ok [0-9]* *//p' | grep -v '# *TODO' |
	    sed 's/ *#.*$//' || :
}

# The names of the failing cases of TEST in events FILE (one attempt).
events_failed() {
	jq -r --arg t "$2" 'select(.type=="result" and .test==$t) |
	    (.cases | if type=="object" then .cases else . end) // [] |
	    .[] | select(.status=="FAILED") | .name' "$1"
}

@test "--bats --list: each .bats file below a directory, sorted, run as bats --tap FILE" {
	run -0 dagz_run --list --bats suite
	diff -u - <(jq -c '.run = (.sh | sub(".*; fi; "; "")) | del(.sh)' \
	    <<<"$output") <<-EOF
	{"id":"suite/more/fail.bats","cwd":"$top","format":"tap","source":"--bats","subset":true,"run":"exec bats --tap \"\$@\" suite/more/fail.bats"}
	{"id":"suite/pass.bats","cwd":"$top","format":"tap","source":"--bats","subset":true,"run":"exec bats --tap \"\$@\" suite/pass.bats"}
	EOF
	# A file named twice, by itself and through its directory, is one test.
	run -0 dagz_run --list --bats suite/pass.bats suite/
	[ "${#lines[@]}" = 2 ]
	[ "$(jq -r .id <<<"${lines[1]}")" = suite/more/fail.bats ]
}

@test "--bats-exec: the program and its arguments run each file" {
	mkdir bin
	printf '#!/bin/sh\nexec bats "$@"\n' >bin/my-bats
	chmod +x bin/my-bats
	run -0 dagz_run --list --bats suite/pass.bats \
	    --bats-exec './bin/my-bats -T'
	# Shell text, which gives it --filter when $DAGZ_CASES names cases.
	[ "$(jq -c 'del(.sh)' <<<"$output")" = "{\"id\":\"suite/pass.bats\",\"cwd\":\"$top\",\"format\":\"tap\",\"source\":\"--bats\",\"subset\":true}" ]
	[ "$(jq -r '.sh | sub(".*; fi; "; "")' <<<"$output")" = \
	    "exec $top/bin/my-bats -T --tap \"\$@\" suite/pass.bats" ]
}

@test "dagz --bats and bats --tap agree on each file and failing case; each case's status" {
	run -1 dagz_run --retries 0 --events events.ndjson --bats suite
	for f in suite/pass.bats suite/more/fail.bats; do
		if bats --tap "$f" >"native.tap" 2>/dev/null; then
			want=OK
		else
			want=FAILED
		fi
		got=$(event_status events.ndjson "$f")
		echo "$f: bats $want, dagz $got"
		[ "$got" = "$want" ]
		diff -u <(tap_failed <native.tap) \
		    <(events_failed events.ndjson "$f")
	done
	# Neither is vacuous: fail.bats fails on exactly one case.
	[ "$(tap_failed <native.tap)" = "false is true" ]
	[ "$(event_status events.ndjson suite/pass.bats)" = OK ]
	# Each case with its status, skip included.
	run -0 jq -c --arg t suite/pass.bats 'select(.type=="result" and
	    .test==$t) | [(.cases | if type=="object" then .cases else .
	    end) // [] | .[] | [.name, .status]]' events.ndjson
	[ "$output" = '[["addition","OK"],["finds its own directory","OK"],["needs a network","SKIPPED"]]' ]
}

@test "--bats: a missing path, a directory without .bats files, no bats program: one line, exit 2" {
	run -2 dagz_run --bats suite/none.bats
	[ "$output" = "dagz-run: --bats: 'suite/none.bats': No such file or directory" ]
	mkdir empty
	run -2 dagz_run --bats empty
	[ "$output" = "dagz-run: --bats: 'empty': no .bats file below it" ]
	run -2 dagz_run --bats suite --bats-exec ./nowhere/bats
	[ "$output" = "dagz-run: --bats: cannot find './nowhere/bats' (--bats-exec)" ]
	# A PATH with what the dagz script needs, and no bats.
	mkdir nobats
	for t in basename dirname; do
		ln -s "$(command -v "$t")" nobats/
	done
	PATH=$DAGZ_BUILDDIR/scripts:$DAGZ_BUILDDIR:$PWD/nobats \
	    run -2 dagz_run --bats suite
	[ "$output" = "dagz-run: --bats: cannot find 'bats' on PATH: install bats-core or give --bats-exec" ]
}

@test "zb init writes a config that dagz run uses with no flags" {
	mkdir proj
	cp -R suite proj/test
	cd proj
	assert_zb_init_collects --bats test
	grep -qx '  - bats: \[test\]' .dagz/config.yaml
}
