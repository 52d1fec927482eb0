#!/usr/bin/env bats
# dagz-baseline: building a baseline from observations, showing it,
# merging more into it, and selecting against it, all as NDJSON.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir root
	printf 'a\n' >root/a.txt
	printf 'b\n' >root/b.txt
	cat >obs.ndjson <<'EOF'
{"test": "ta", "def": "1", "status": "OK", "duration": 0.5, "reads": ["a.txt"], "missing": ["c.txt"]}
{"test": "tb", "def": "2", "status": "FAILED", "reads": ["b.txt"]}
{"test": "tc", "def": "3", "status": "OK", "reads": ["b.txt"], "incomplete": true}
EOF
	cat >tests.ndjson <<'EOF'
{"test": "ta", "def": "1"}
{"test": "tb", "def": "2"}
{"test": "tc", "def": "3"}
{"test": "td", "def": "4"}
EOF
}

@test "build and show" {
	run -0 dagz-baseline build -r root -o base <obs.ndjson
	run -0 dagz-baseline show base
	diff -u - <(jq -c 'select(.test) | [.test, .def, .status, .deps, .missing, .incomplete]' <<<"$output") <<'EOF'
["ta","0000000000000001","OK",["a.txt"],["c.txt"],false]
["tb","0000000000000002","FAILED",["b.txt"],[],false]
["tc","0000000000000003","OK",["b.txt"],[],true]
EOF
	[ "$(jq -r 'select(.file == "c.txt") | .fingerprint' <<<"$output")" = absent ]
}

@test "select gives each test's reasons" {
	dagz-baseline build -r root -o base <obs.ndjson
	printf 'c\n' >root/c.txt
	run -0 dagz-baseline select -r root base <tests.ndjson
	diff -u - <(printf '%s\n' "$output") <<'EOF'
{"test":"ta","selected":true,"reasons":["appeared: c.txt"]}
{"test":"tb","selected":true,"reasons":["did not pass in the baseline (FAILED)"]}
{"test":"tc","selected":true,"reasons":["trace incomplete"]}
{"test":"td","selected":true,"reasons":["new"]}
EOF
	rm root/c.txt
	run -0 dagz-baseline select -r root base <<<'{"test": "ta", "def": "1"}'
	[ "$output" = '{"test":"ta","selected":false,"reasons":[]}' ]
	run -0 dagz-baseline select -r root base <<<'{"test": "ta", "def": "9"}'
	[ "$output" = '{"test":"ta","selected":true,"reasons":["definition changed"]}' ]
}

@test "merge keeps what was not observed again" {
	dagz-baseline build -r root -o base <obs.ndjson
	printf '{"test": "tb", "def": "2", "status": "OK", "reads": ["a.txt"]}\n' |
	    dagz-baseline merge -r root -o merged base
	run -0 dagz-baseline show merged
	[ "$(jq -c 'select(.test) | [.test, .status, .deps]' <<<"$output" | sort)" = \
	    "$(printf '%s\n' '["ta","OK",["a.txt"]]' '["tb","OK",["a.txt"]]' '["tc","OK",["b.txt"]]')" ]
}

@test "a damaged baseline is an error, not a crash" {
	printf 'garbage' >bad
	run -2 dagz-baseline show bad
	[ "$output" = "dagz-baseline: cannot read baseline 'bad': not a zlib stream" ]
	run -2 dagz-baseline frobnicate
	grep -q '^usage: dagz-baseline build' <<<"$output"
}
