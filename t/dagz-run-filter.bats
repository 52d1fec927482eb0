#!/usr/bin/env bats
# dagz run --filter REGEX, TEST_ID... and --list: choosing what runs, with
# what it needs, and printing what was collected without running it.

load helpers

mark() {
	printf '"cmd": ["touch", "%s/ran.%s"]' "$BATS_TEST_TMPDIR" "$1"
}

# The markers left by the tests that ran, sorted, on one line.
ran() {
	(cd "$BATS_TEST_TMPDIR" && ls ran.* 2>/dev/null | sed 's/^ran\.//' |
	    sort | tr '\n' ' ' | sed 's/ $//')
}

suite() {
	manifest <<EOF
{"id": "build", $(mark build)}
{"id": "unit-a", $(mark unit-a), "needs": ["build"]}
{"id": "unit-b", $(mark unit-b), "needs": ["build"]}
{"id": "lint", $(mark lint)}
{"id": "deep", $(mark deep), "needs": ["unit-a"]}
EOF
}

@test "a TEST_ID runs that test and what it needs, transitively" {
	m=$(suite)
	run -0 dagz_run -j 2 --manifest "$m" deep
	[ "$(ran)" = "build deep unit-a" ]
	[[ "$output" == *"3 tests from $m"* ]]
}

@test "--filter runs the tests whose id matches, with their needs" {
	m=$(suite)
	run -0 dagz_run -j 2 --manifest "$m" --filter '^unit-'
	[ "$(ran)" = "build unit-a unit-b" ]
	rm -f "$BATS_TEST_TMPDIR"/ran.*
	run -0 dagz_run -j 2 --filter 'lint|deep' --manifest "$m"
	[ "$(ran)" = "build deep lint unit-a" ]
	rm -f "$BATS_TEST_TMPDIR"/ran.*
	# TEST_IDs and --filter add up.
	run -0 dagz_run -j 2 --manifest "$m" --filter lint unit-b
	[ "$(ran)" = "build lint unit-b" ]
}

@test "an unknown TEST_ID, a bad regex or a filter matching nothing is bad usage" {
	m=$(suite)
	run -2 --separate-stderr dagz_run -j 2 --manifest "$m" nosuch
	[ "$stderr" = "dagz-run: no test 'nosuch' was collected from $m" ]
	run -2 --separate-stderr dagz_run -j 2 --manifest "$m" --filter 'a('
	[[ "$stderr" == "dagz-run: --filter 'a(': "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -2 --separate-stderr dagz_run -j 2 --manifest "$m" --filter zzz
	[ "$stderr" = "dagz-run: --filter 'zzz' matches no test collected from $m" ]
	[ -z "$(ran)" ]
}

@test "--list prints the collected tests as NDJSON and runs nothing" {
	m=$(suite)
	run -0 --separate-stderr dagz_run --manifest "$m" --list
	[ -z "$(ran)" ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "build unit-a unit-b lint deep " ]
	[ "$(jq -c 'select(.id == "deep") | [.needs, .source, .cwd]' <<<"$output")" = \
	    "[[\"unit-a\"],\"--manifest\",\"$BATS_TEST_TMPDIR\"]" ]
	# Filtered, and in the manifest's own form: it runs as a manifest.
	run -0 --separate-stderr dagz_run --manifest "$m" --list unit-b
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/listed.ndjson"
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/listed.ndjson" | tr '\n' ' ')" = "build unit-b " ]
	run -0 dagz_run -j 2 --manifest "$BATS_TEST_TMPDIR/listed.ndjson"
	[ "$(ran)" = "build unit-b" ]
}

@test "--exec takes the globs that follow it; later words are TEST_IDs" {
	mkdir -p "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	for t in a/x.t a/y.t b/z.t; do
		printf '#!/bin/sh\ntouch "%s/ran.%s"\n' "$BATS_TEST_TMPDIR" \
		    "$(basename "$t" .t)" >"$BATS_TEST_TMPDIR/$t"
		chmod +x "$BATS_TEST_TMPDIR/$t"
	done
	cd "$BATS_TEST_TMPDIR"
	run -0 dagz_run -j 2 --exec 'a/*.t' 'b/*.t'
	[ "$(ran)" = "x y z" ]
	rm -f ran.*
	run -0 dagz_run --exec 'a/*.t' 'b/*.t' -j 2 a/y.t b/z.t
	[ "$(ran)" = "y z" ]
}

@test "arguments after -- are pytest's: refused without --pytest" {
	m=$(suite)
	run -2 --separate-stderr dagz_run --manifest "$m" -- -x
	[ "$stderr" = "dagz-run: arguments after '--' are pytest's: give --pytest" ]
	[ -z "$(ran)" ]
}
