#!/usr/bin/env bats
# Subsets of a .bats file's cases: with a store, a case that failed last
# time runs again alone through bats --filter, whatever characters its
# name holds; the others are DESELECTED case spans. A case that fails in
# the subset, or that the filter cannot match, runs the whole file; a
# changed .bats file runs whole.

load helpers

setup_file() {
	dagzd_file_start
}

setup() {
	dagzd_file_use
	# A branch a test: each has its own baselines.
	export DAGZ_BRANCH="t$BATS_TEST_NUMBER"
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj/test"
	cd "$proj"
	ev="$BATS_TEST_TMPDIR/ev.ndjson"
	user_bats_path
}

teardown_file() {
	dagzd_file_stop
}

# Writes test/NAME.bats: four cases with awkward names, each logging its
# name to $BATS_TEST_TMPDIR/NAME.log; those named in the other arguments
# (as TAP prints them) fail while $BATS_TEST_TMPDIR/NAME.fail exists,
# and all of them while NAME.all does. These files are outside the
# project: the tests do not depend on them.
suite() {
	local file=$1 name f
	shift
	for name in '"say \"hi\" [x]"' "'a.b | c (d)'" \
	    '"cost \$5 * 2? {ok} ^x\\y"' '"sum $((1 + 1))"'; do
		printf '@%s %s {\n' test "$name"
		printf '\techo "$BATS_TEST_DESCRIPTION" >>%s\n' \
		    "$BATS_TEST_TMPDIR/$file.log"
		printf '\t[ ! -e %s ]\n' "$BATS_TEST_TMPDIR/$file.all"
		for f in "$@"; do
			printf '\tif [ "$BATS_TEST_DESCRIPTION" = %q ]; then\n' "$f"
			printf '\t\t[ ! -e %s ]\n\tfi\n' "$BATS_TEST_TMPDIR/$file.fail"
		done
		printf '}\n'
	done >"test/$file.bats"
	touch "$BATS_TEST_TMPDIR/$file.fail"
}

# Runs dagz with the arguments, its events in $ev, from empty logs.
srun() {
	rm -f "$ev" "$BATS_TEST_TMPDIR"/*.log
	dagz_run -j 2 --events "$ev" --bats test "$@"
}

# The job of the last srun.
job() {
	sed -n 's/.* dagz: job \(j[0-9.]*\):.*/\1/p' <<<"$output" | head -1
}

# "CASE STATUS" of job J's cases, sorted.
cases() {
	zb cases "$1" --json | jq -r '"\(.case) \(.status)"' | sort
}

# "ATTEMPT STATUS RETRY RERUN REASON" of each result of TEST in $ev.
attempts() {
	jq -r --arg t "$1" 'select(.type=="result" and .test==$t) |
	    "\(.attempt) \(.status) \(.retry // "-") \(.rerun // "-")" +
	    " \(.reason // "-")"' "$ev"
}

@test "cases that failed last time run alone through bats --filter" {
	suite a 'say "hi" [x]' 'a.b | c (d)'
	run -1 srun --retries 0
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a.log")" -eq 4 ]
	rm "$BATS_TEST_TMPDIR/a.fail"
	run -0 zb select-tests --trace --bats test
	b=$(sed -n 's/.* against \(b[0-9]*\)$/\1/p' <<<"$output")
	diff -u - <(printf '%s\n' "$output") <<EOF
run  test/a.bats
       did not pass (FAILED)
       case a.b | c (d)
       case say "hi" [x]
1 of 1 selected against $b
2 of 4 cases of 1 test selected
EOF
	# Run whole, on a branch of its own, the two others would have been
	# deselected, and they failed.
	touch "$BATS_TEST_TMPDIR/a.all"
	DAGZ_BRANCH=observe run -1 srun --observe --baseline "$b" --retries 0
	grep -q ' observe: 2 of 4 cases of 1 test would have been deselected; 2 of them failed$' <<<"$output"
	rm "$BATS_TEST_TMPDIR/a.all"
	run -0 srun
	# bats ran those two @tests, and the job names the other two.
	diff -u - "$BATS_TEST_TMPDIR/a.log" <<'EOF'
say "hi" [x]
a.b | c (d)
EOF
	diff -u - <(cases "$(job)") <<'EOF'
a.b | c (d) OK
cost $5 * 2? {ok} ^x\y DESELECTED
say "hi" [x] OK
sum 2 DESELECTED
EOF
	# The baseline kept the others' statuses of the full run: all passed.
	run -0 srun
	[ "$(ran)" = "" ]
	[ ! -e "$BATS_TEST_TMPDIR/a.log" ]
}

@test "a subset that still fails or that bats cannot match runs whole, as does a changed file" {
	suite a 'cost $5 * 2? {ok} ^x\y'
	# Its name in TAP is not the text bats matches: "sum $((1 + 1))".
	suite b 'sum 2'
	run -1 srun --retries 0
	rm "$BATS_TEST_TMPDIR/b.fail"
	run -1 srun --retries 0
	diff -u - <(attempts test/a.bats) <<'EOF'
1 FAILED whole - 1 of 1 case failed: cost $5 * 2? {ok} ^x\\y
2 FAILED - a case failed in a subset: whole test 1 of 4 cases failed: cost $5 * 2? {ok} ^x\\y
EOF
	# One case in the subset, then all four.
	diff -u - <(sort "$BATS_TEST_TMPDIR/a.log" | uniq -c) <<'EOF'
      1 a.b | c (d)
      2 cost $5 * 2? {ok} ^x\y
      1 say "hi" [x]
      1 sum 2
EOF
	# bats --filter ran nothing: that did not pass.
	diff -u - <(attempts test/b.bats) <<'EOF'
1 FAILED whole - the subset ran fewer cases than it was given: ran 0 of 1
2 OK - the subset ran fewer cases than it was given: whole test -
EOF
	[ "$(wc -l <"$BATS_TEST_TMPDIR/b.log")" -eq 4 ]
	# A changed file runs whole, for that change alone, its case's
	# failure included.
	printf '# one more line\n' >>test/a.bats
	run -1 srun --retries 0
	[ "$(ran)" = test/a.bats ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a.log")" -eq 4 ]
	[ "$(jq -r 'select(.type=="result") | .selected[]' "$ev")" = \
	    "changed: test/a.bats" ]
}
