#!/usr/bin/env bats
# Selection through the adapters: with a store, after a first run, a
# change to one .bats file, one data file or one Python module runs only
# the tests that read it.

load helpers

# Debian's python3 has pytest; the first python3 on PATH may not.
PY=/usr/bin/python3

setup() {
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj"
	cd "$proj"
	ev="$BATS_TEST_TMPDIR/ev.ndjson"
	user_bats_path
	export PYTHONDONTWRITEBYTECODE=1
	dagzd_start
}

teardown() {
	dagzd_stop
}

# Runs dagz with the arguments, its events in $ev.
srun() {
	rm -f "$ev"
	dagz_run -j 2 --events "$ev" "$@"
}

@test "bats: a changed .bats file or data file runs only the file that reads it" {
	mkdir test data
	printf 'A\n' >data/a.txt
	printf 'B\n' >data/b.txt
	# (printf: a line starting with the test keyword would count here.)
	for x in a b; do
		printf '%s "%s reads its data" {\n\t[ "$(cat "$BATS_TEST_DIRNAME/../data/%s.txt")" = %s ]\n}\n' \
		    @test "$x" "$x" "$(tr a-z A-Z <<<"$x")" >test/$x.bats
	done
	run -0 srun --bats test
	[ "$(ran)" = "test/a.bats test/b.bats" ]
	run -0 srun --bats test
	[ "$(ran)" = "" ]
	printf '\n# one more line\n' >>test/a.bats
	run -0 srun --bats test
	[ "$(ran)" = "test/a.bats" ]
	printf 'b\n' >data/b.txt
	run -1 srun --bats test --retries 0
	[ "$(ran)" = "test/b.bats" ]
	# The failing case is named in the result.
	[ "$(jq -r 'select(.type=="result" and .test=="test/b.bats") |
	    .cases[] | select(.status=="FAILED") | .name' "$ev")" = \
	    "b reads its data" ]
}

@test "pytest: a changed module runs only the test file that imports it" {
	mkdir pkg tests
	printf '[pytest]\ntestpaths = tests\n' >pytest.ini
	: >pkg/__init__.py
	printf 'def a():\n    return 1\n' >pkg/mod_a.py
	printf 'def b():\n    return 2\n' >pkg/mod_b.py
	printf 'from pkg.mod_a import a\n\ndef test_a():\n    assert a() == 1\n' \
	    >tests/test_a.py
	printf 'from pkg.mod_b import b\n\ndef test_b():\n    assert b() == 2\n' \
	    >tests/test_b.py
	printf 'import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\n' \
	    >tests/conftest.py
	run -0 srun --pytest --python "$PY"
	[ "$(ran)" = "tests/test_a.py tests/test_b.py" ]
	run -0 srun --pytest --python "$PY"
	[ "$(ran)" = "" ]
	printf 'def a():\n    return 3\n' >pkg/mod_a.py
	run -1 srun --pytest --python "$PY" --retries 0
	[ "$(ran)" = "tests/test_a.py" ]
	[ "$(jq -r 'select(.type=="result" and .test=="tests/test_a.py") |
	    .cases[] | select(.status=="FAILED") | .name' "$ev")" = \
	    "tests.test_a.test_a" ]
	printf 'def b():\n    return 2  # same value\n' >pkg/mod_b.py
	run -1 srun --pytest --python "$PY"
	# test_a still fails (not passed in the baseline), test_b read mod_b.
	[ "$(ran)" = "tests/test_a.py tests/test_b.py" ]
}
