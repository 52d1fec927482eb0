#!/usr/bin/env bats
# Many quick tests on two workers: each runs exactly once, the events
# stream is valid NDJSON, and the counts everywhere agree.

load helpers

@test "300 quick tests on -j 2 run exactly once each" {
	cd "$BATS_TEST_TMPDIR"
	# Multiples of 15 fail (20), other multiples of 10 skip (20).
	for i in $(seq 1 300); do
		if [ $((i % 15)) -eq 0 ]; then
			rc=1
		elif [ $((i % 10)) -eq 0 ]; then
			rc=77
		else
			rc=0
		fi
		printf '{"id": "t%03d", "sh": "echo $DAGZ_TEST_ID >>ran; exit %d"}\n' \
		    "$i" "$rc"
	done >many.ndjson
	run -1 dagz_run -j 2 --retries 0 --manifest many.ndjson --events ev.ndjson

	[ "$(wc -l <ran)" -eq 300 ]
	[ -z "$(sort ran | uniq -d)" ]
	[ "$(sort -u ran | wc -l)" -eq 300 ]

	jq -s -e 'length == 301' ev.ndjson
	jq -s -e '[.[] | select(.type=="result")] | length == 300' ev.ndjson
	jq -s -e '[.[] | select(.type=="result") | .test] | unique | length == 300' ev.ndjson
	jq -s -e '.[-1] | .type == "summary" and .tests == 300
	    and .counts.OK == 260 and .counts.SKIPPED == 20
	    and .counts.FAILED == 20' ev.ndjson
	grep -E 'summary: 300 tests in [0-9.]+s \(planned [0-9.]+s\), CPU [0-9.]+s, [0-9]+ stolen: 260 OK, 20 skipped, 20 FAILED$' <<<"$output"
	# The batched progress lines add up to the passes and skips.
	ok=$(grep -oE '\+[0-9]+ OK' <<<"$output" | tr -dc '0-9\n' | awk '{ n += $1 } END { print n }')
	sk=$(grep -oE '\+[0-9]+ skipped' <<<"$output" | tr -dc '0-9\n' | awk '{ n += $1 } END { print n }')
	[ "$ok" -eq 260 ]
	[ "$sk" -eq 20 ]
	[ "$(grep -c ' FAILED t' <<<"$output")" -eq 20 ]
	# Both workers ran tests.
	[ "$(jq -s '[.[] | select(.type=="result") | .worker] | unique | length' ev.ndjson)" -eq 2 ]
}
