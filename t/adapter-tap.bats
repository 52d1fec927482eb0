#!/usr/bin/env bats
# t/adapter-tap.bats: dagz run --tap on the suites of t/suites/tap (git's
# t/ layout, and Test::More .t files) agrees with prove on every script
# and on the cases that failed; --list shows how each script is run.

load helpers

setup() {
	cp -R "$DAGZ_SRCDIR/t/suites/tap" "$BATS_TEST_TMPDIR/tap"
	chmod -R u+w "$BATS_TEST_TMPDIR/tap"
	cd "$BATS_TEST_TMPDIR/tap"
	top=$(pwd -P)
}

# The names of the failing cases of the TAP on stdin: "not ok" lines that
# are not TODO, without number, "-" and directive.
tap_failed() {
	sed -n 's/^not ok [0-9]*//p' | grep -v '# *TODO' |
	    sed -e 's/^ *- *//' -e 's/ *#.*$//' -e 's/^ *//' || :
}

# The names of the failing cases of TEST in events FILE (one attempt).
events_failed() {
	jq -r --arg t "$2" 'select(.type=="result" and .test==$t) |
	    (.cases | if type=="object" then .cases else . end) // [] |
	    .[] | select(.status=="FAILED") | .name' "$1"
}

# Runs prove (with ARGS) on each script of t/ named, and dagz on the same
# scripts with the --tap flags of DAGZ_FLAGS; checks that every script
# passes or fails alike and that the failing cases are the same.
agree() {
	local s want got
	for s in "$@"; do
		if (cd t && prove -v $PROVE_ARGS "$s") >"prove.$s" 2>/dev/null
		then
			want=OK
		else
			want=FAILED
		fi
		got=$(event_status events.ndjson "t/$s")
		echo "t/$s: prove $want, dagz $got"
		[ "$got" = "$want" ]
		diff -u <(tap_failed <"prove.$s") \
		    <(events_failed events.ndjson "t/$s")
	done
}

@test "--tap --list: each script is a TAP test run as ./NAME from its own directory" {
	run -0 dagz_run --list --tap 't/t[0-9]*.sh'
	diff -u - <(printf '%s\n' "$output") <<-EOF
	{"id":"t/t0001-basic.sh","cmd":["./t0001-basic.sh"],"cwd":"$top/t","env":{"HARNESS_ACTIVE":"1"},"format":"tap","source":"--tap"}
	{"id":"t/t0002-fail.sh","cmd":["./t0002-fail.sh"],"cwd":"$top/t","env":{"HARNESS_ACTIVE":"1"},"format":"tap","source":"--tap"}
	EOF
}

@test "--tap-exec and --tap-cwd: the interpreter runs each script by its absolute path there" {
	mkdir work
	run -0 dagz_run --list --tap 't/*.t' --tap-exec 'perl -w' \
	    --tap-cwd work
	diff -u - <(printf '%s\n' "$output") <<-EOF
	{"id":"t/basic.t","cmd":["perl","-w","$top/t/basic.t"],"cwd":"$top/work","env":{"HARNESS_ACTIVE":"1"},"format":"tap","source":"--tap"}
	{"id":"t/fail.t","cmd":["perl","-w","$top/t/fail.t"],"cwd":"$top/work","env":{"HARNESS_ACTIVE":"1"},"format":"tap","source":"--tap"}
	EOF
}

@test "git-style scripts: dagz and prove --exec sh agree on each script and failing case; each case's status" {
	run -1 dagz_run --retries 0 --events events.ndjson \
	    --tap 't/t[0-9]*.sh'
	PROVE_ARGS="--exec sh" agree t0001-basic.sh t0002-fail.sh
	# Neither is vacuous: t0002 fails on exactly one case.
	[ "$(tap_failed <prove.t0002-fail.sh)" = "false is true" ]
	[ "$(event_status events.ndjson t/t0001-basic.sh)" = OK ]
	# The scripts ran from t/ and cleaned up after themselves.
	[ ! -e "t/trash directory.t0001-basic" ]
	# Each case with its status, TODO and skip included.
	cases() {
		jq -c --arg t "$1" 'select(.type=="result" and .test==$t) |
		    [(.cases | if type=="object" then .cases else . end) //
		    [] | .[] | [.name, .status]]' events.ndjson
	}
	diff -u - <(cases t/t0001-basic.sh; cases t/t0002-fail.sh) <<-'EOF'
	[["a file can be written","OK"],["runs from t/, beside test-lib.sh","OK"],["3","SKIPPED"],["reads the future","TODO"]]
	[["true is true","OK"],["false is true","FAILED"],["a prerequisite that is met","OK"]]
	EOF
}

@test "Test::More files: dagz --tap-exec perl and prove agree" {
	run -1 dagz_run --retries 0 --events events.ndjson \
	    --tap 't/*.t' --tap-exec perl
	PROVE_ARGS= agree basic.t fail.t
	[ "$(tap_failed <prove.fail.t)" = "two times two is five" ]
}

@test "--tap: a glob matching nothing is one line and exit 2" {
	run -2 dagz_run --tap 't/t0001-basic.sh' 't/*.none'
	[ "$output" = "dagz-run: --tap: t/*.none: no file matches" ]
}

@test "--tap: a matching file that is not executable, with no --tap-exec, is named" {
	run -2 dagz_run --tap 't/*.sh'
	[ "$output" = "dagz-run: --tap: 't/test-lib.sh' is not executable: make it so, or name its interpreter with --tap-exec" ]
	run -2 dagz_run --tap 't/*.t' --tap-exec no-such-perl
	[ "$output" = "dagz-run: --tap: cannot find --tap-exec 'no-such-perl'" ]
	run -2 dagz_run --tap 't/*.t' --tap-exec perl --tap-cwd nowhere
	[ "$output" = "dagz-run: --tap: --tap-cwd 'nowhere': No such file or directory" ]
}

@test "zb init writes a config that dagz run uses with no flags" {
	zb init >init.out
	dagz_run --list | jq -c 'del(.source)' >from-config
	{
		dagz_run --list --tap 't/t[0-9]*.sh' --tap-cwd t
		dagz_run --list --tap 't/*.t' --tap-exec perl
	} | jq -c 'del(.source)' >from-flags
	[ "$(wc -l <from-flags)" -eq 4 ]
	diff -u from-flags from-config
}
