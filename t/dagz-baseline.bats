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

@test "select reads every form of test line alike, and refuses bad ones" {
	cat >obs2.ndjson <<'EOF2'
{"test": "plain", "def": "1", "status": "OK", "reads": ["a.txt"]}
{"test": "caf\u00e9 \"q\"", "def": "2", "status": "OK", "reads": ["a.txt"]}
{"test": "tagged", "def": "3", "status": "OK", "reads": ["b.txt"]}
EOF2
	dagz-baseline build -r root -o base <obs2.ndjson
	printf 'B\n' >root/b.txt
	# A flat line, an escaped id, nested values, odd spacing, and an
	# id in UTF-8: the quick reader takes some, jansson the others.
	cat >in.ndjson <<'EOF2'
{"test":"plain","def":"1","n":-1.5e3,"x":null,"y":true}
{"test": "caf\u00e9 \"q\"", "def": "2"}
	 { "test" : "tagged" , "def" : "3" , "tags" : ["slow"] }

{"test":"café \"q\"","def":"2"}
{"test":"new\ttab"}
EOF2
	run -0 dagz-baseline select -r root base <in.ndjson
	diff -u - <(printf '%s\n' "$output") <<'EOF2'
{"test":"plain","selected":false,"reasons":[]}
{"test":"café \"q\"","selected":false,"reasons":[]}
{"test":"tagged","selected":true,"reasons":["changed: b.txt"]}
{"test":"café \"q\"","selected":false,"reasons":[]}
{"test":"new\u0009tab","selected":true,"reasons":["new"]}
EOF2
	printf '%s\n' '{"test":"plain","def":"1"}' \
	    '{"test":"plain","def":"1",}' >bad.ndjson
	run -2 bash -c 'dagz-baseline select -r root base <bad.ndjson 2>err'
	[ "$output" = '{"test":"plain","selected":false,"reasons":[]}' ]
	[[ "$(cat err)" == "dagz-baseline: stdin: line 2: "* ]]
	run -2 dagz-baseline select -r root base <<<'{"test":"plain","def":"xyz"}'
	[ "$output" = 'dagz-baseline: stdin: line 1: "def" must be hexadecimal' ]
}

@test "select over many lines decides them in order, and names a bad line's number" {
	dagz-baseline build -r root -o base <obs.ndjson
	# Some 1.2 MB of lines, enough to be decided in parts at once.
	awk 'BEGIN { for (i = 1; i <= 20000; i++)
		printf "{\"test\": \"t%05d\", \"def\": \"1\", \"pad\": \"%040d\"}\n", i, 0 }' >many.ndjson
	run -0 dagz-baseline select -r root base <many.ndjson
	[ "${#lines[@]}" -eq 20000 ]
	[ "$(jq -r .test <<<"$output" | sort -c && echo sorted)" = sorted ]
	[ "${lines[19999]}" = '{"test":"t20000","selected":true,"reasons":["new"]}' ]
	# A bad line far in: everything before it is written, then the error.
	sed '15001s/.*/{"test": "t15001", "def": "1",}/' many.ndjson >bad.ndjson
	run -2 bash -c 'dagz-baseline select -r root base <bad.ndjson 2>err'
	[ "${#lines[@]}" -eq 15000 ]
	[ "${lines[14999]}" = '{"test":"t15000","selected":true,"reasons":["new"]}' ]
	[[ "$(cat err)" == "dagz-baseline: stdin: line 15001: "* ]]
}

@test "select says when it cannot read its input or write its decisions" {
	dagz-baseline build -r root -o base <obs.ndjson
	run -3 dagz-baseline select -r root base <root
	[ "$output" = "dagz-baseline: cannot read stdin: Is a directory" ]
	run -3 bash -c 'dagz-baseline select -r root base <tests.ndjson >/dev/full'
	[ "$output" = "dagz-baseline: cannot write the decisions: No space left on device" ]
	run -2 dagz-baseline select -r root nothere <tests.ndjson
	[ "$output" = "dagz-baseline: cannot open 'nothere': No such file or directory" ]
}

@test "build drops ignored paths: the default caches, -i patterns, none with -I" {
	mkdir -p root/.pytest_cache/v root/logs
	printf 'x\n' >root/.pytest_cache/v/lastfailed
	printf 'l\n' >root/logs/run.log
	printf '%s\n' '{"test": "tp", "def": "1", "status": "OK", "reads": ["a.txt", ".pytest_cache/v/lastfailed", "logs/run.log"], "missing": ["pkg/__pycache__/m.pyc"]}' >obs2.ndjson
	deps() {
		dagz-baseline show "$1" |
		    jq -c 'select(.test) | [.deps, .missing]'
	}
	dagz-baseline build -r root -o base <obs2.ndjson
	[ "$(deps base)" = '[["a.txt","logs/run.log"],[]]' ]
	dagz-baseline build -r root -o base -i 'logs/' <obs2.ndjson
	[ "$(deps base)" = '[[".pytest_cache/v/lastfailed","a.txt"],["pkg/__pycache__/m.pyc"]]' ]
	dagz-baseline build -r root -o base -I <obs2.ndjson
	[ "$(deps base)" = '[[".pytest_cache/v/lastfailed","a.txt","logs/run.log"],["pkg/__pycache__/m.pyc"]]' ]
	# A baseline that holds a cache: its change selects nothing, and is said.
	printf 'y\n' >root/.pytest_cache/v/lastfailed
	run -0 dagz-baseline select -r root base <<<'{"test": "tp", "def": "1"}'
	[ "$(jq -c '[.selected, .ignored]' <<<"$output")" = '[false,[".pytest_cache/v/lastfailed"]]' ]
}

# A project with a Python hook's record: t.py's three cases, what each
# executed of pkg/m.py and of t.py, and what ran at import.
cases_setup() {
	export DAGZ_HOOKS_DIR="$DAGZ_SRCDIR/hooks"
	mkdir -p root/pkg
	printf '"""m"""\n\n\ndef f(x):\n    return x + 1\n\n\ndef g(x):\n    return x * 2\n' \
	    >root/pkg/m.py
	printf 'def test_a():\n    pass\n' >root/t.py
	# The fingerprints as the hook takes them now.
	fp() {
		/usr/bin/python3 "$DAGZ_HOOKS_DIR/python/dagz_elements.py" \
		    --root root pkg/m.py t.py |
		    jq -r --arg e "$1" 'select(.element == $e) | .fp'
	}
	cat >obs.ndjson <<EOF2
{"test": "t.py", "def": "1", "status": "OK", "reads": ["pkg/m.py", "t.py"], "cases": [{"case": null, "elements": [["pkg/m.py#<module>", "$(fp 'pkg/m.py#<module>')"], ["t.py#<module>", "$(fp 't.py#<module>')"]], "files": ["pkg/m.py", "t.py"]}, {"case": "t.py::test_f", "status": "OK", "elements": [["pkg/m.py#f", "$(fp pkg/m.py#f)"], ["t.py#test_a", "$(fp t.py#test_a)"]]}, {"case": "t.py::test_g", "elements": [["pkg/m.py#g", "$(fp pkg/m.py#g)"]]}, {"case": "t.py::test_h", "status": "FAILED", "elements": [["t.py#test_a", "$(fp t.py#test_a)"]]}]}
EOF2
	dagz-baseline build -r root -o base <obs.ndjson
}

@test "build takes a hook's cases, and select -p decides by case" {
	cases_setup
	run -0 dagz-baseline show base
	diff -u - <(jq -c '[.covered, .nullcase[][0], (.cases[] | [.case, .status, [.elements[][0]]])]' <<<"${lines[-1]}") <<'EOF2'
[["pkg/m.py","t.py"],"pkg/m.py#<module>","t.py#<module>",["t.py::test_f","OK",["pkg/m.py#f","t.py#test_a"]],["t.py::test_g","OK",["pkg/m.py#g"]],["t.py::test_h","FAILED",["t.py#test_a"]]]
EOF2
	# The failed case runs, alone.
	run -0 dagz-baseline select -p /usr/bin/python3 -r root base <<<'{"test": "t.py", "def": "1"}'
	[ "$output" = '{"test":"t.py","selected":true,"reasons":["did not pass (FAILED)"],"cases":["t.py::test_h"]}' ]
	# A changed body: the case that ran it, and the failed one.
	sed -i 's/x \* 2/x * 3/' root/pkg/m.py
	run -0 --separate-stderr dagz-baseline select -t -p /usr/bin/python3 -r root base <<<'{"test": "t.py", "def": "1"}'
	[ "$output" = '{"test":"t.py","selected":true,"reasons":["changed: pkg/m.py#g","did not pass (FAILED)"],"cases":["t.py::test_g","t.py::test_h"]}' ]
	[[ "$stderr" =~ ^"dagz-baseline: load "[0-9.]+" ms, changes "[0-9.]+" ms, elements "[0-9.]+" ms (1 file), select "[0-9.]+" ms"$ ]]
	# Without -p the covered file is judged by its bytes.
	run -0 dagz-baseline select -r root base <<<'{"test": "t.py", "def": "1"}'
	[ "$output" = '{"test":"t.py","selected":true,"reasons":["changed: pkg/m.py"]}' ]
	# Top-level code: every case, so the whole test.
	printf 'X = 1\n' >>root/pkg/m.py
	run -0 dagz-baseline select -p /usr/bin/python3 -r root base <<<'{"test": "t.py", "def": "1"}'
	[ "$output" = '{"test":"t.py","selected":true,"reasons":["changed: pkg/m.py#<module>"]}' ]
	# An interpreter that cannot run: whole, and why.
	run -0 dagz-baseline select -p "$BATS_TEST_TMPDIR/nopython" -r root base <<<'{"test": "t.py", "def": "1"}'
	[ "$output" = "{\"test\":\"t.py\",\"selected\":true,\"reasons\":[\"cannot fingerprint pkg/m.py: cannot run '$BATS_TEST_TMPDIR/nopython': No such file or directory\"]}" ]
}

@test "merge takes a subset's cases into the old record, keeping the others" {
	cases_setup
	printf '%s\n' '{"test": "t.py", "def": "1", "status": "OK", "subset": true, "reads": ["pkg/m.py", "t.py"], "cases": [{"case": "t.py::test_h", "status": "OK", "elements": [["t.py#test_a", "bb460b5936e2c88f"]]}]}' |
	    dagz-baseline merge -r root -o merged base
	run -0 dagz-baseline show merged
	[ "$(jq -c '[.cases[] | [.case, .status]]' <<<"${lines[-1]}")" = \
	    '[["t.py::test_f","OK"],["t.py::test_g","OK"],["t.py::test_h","OK"]]' ]
}

@test "bad cases and a bad -p are refused with one line" {
	cases_setup
	bad() {
		run -2 dagz-baseline build -r root -o b2 <<<"$1"
		[ "$output" = "dagz-baseline: stdin: line 1: $2" ]
	}
	bad '{"test": "x", "cases": {}}' '"cases" must be an array'
	bad '{"test": "x", "cases": [1]}' 'case 1: must be an object with an array "elements"'
	bad '{"test": "x", "cases": [{"case": 3}]}' 'case 1: "case" must be a string or null'
	bad '{"test": "x", "cases": [{"case": "c", "status": "MEH"}]}' 'case 1: unknown status "MEH"'
	bad '{"test": "x", "cases": [{"case": "c", "elements": [["a#f", "12"]]}]}' 'case 1: an element must be ["FILE#QUALNAME", "16 hexadecimal digits"]'
	bad '{"test": "x", "cases": [{"case": "c", "files": "a"}]}' 'case 1: "files" must be an array of strings'
	run -2 dagz-baseline select -p '' base </dev/null
	[ "$output" = "dagz-baseline: -p: an empty interpreter" ]
}
