#!/usr/bin/env bats
# dagz run --junit: whatever a test is named (quotes, markup) and prints
# (terminal escapes, bytes that are not UTF-8), the report stays
# well-formed XML and says it with replacement characters.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "junit stays well-formed whatever tests are named and print" {
	m=$(manifest <<'EOF2'
{"id": "q\"<&>[31m]]>", "sh": "printf 'bad \\377\\001 bytes\\r\\n'; exit 1"}
{"id": "tab here", "sh": "true"}
EOF2
)
	run -1 dagz_run -j 1 --retries 0 --manifest "$m" --junit junit.xml
	xmllint --noout junit.xml
	x() { xmllint --xpath "$1" junit.xml; }
	[ "$(x 'string(//testcase[1]/@name)')" = 'q"<&>[31m]]>' ]
	[ "$(x 'string(//testcase[2]/@name)')" = 'tab here' ]
	[ "$(x 'string(//testcase[1]/failure)')" = $'bad \xef\xbf\xbd\xef\xbf\xbd bytes\r' ]
}
