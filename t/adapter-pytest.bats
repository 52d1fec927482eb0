#!/usr/bin/env bats
# --pytest: pytest and dagz run the same suite (t/suites/pytest) and
# agree on each file and on each failing case; the user's pytest
# arguments narrow the collection and go to each file's run; a file
# pytest cannot collect fails, one left with no test is SKIPPED.

load helpers

# Debian's python3 has pytest; the first python3 on PATH may not.
PY=/usr/bin/python3

setup_file() {
	cp -R "$DAGZ_SRCDIR/t/suites/pytest" "$BATS_FILE_TMPDIR/suite"
}

setup() {
	export PYTHONDONTWRITEBYTECODE=1
	cd "$BATS_FILE_TMPDIR/suite"
}

@test "pytest and dagz agree on each file and each failing case" {
	run -1 "$PY" -m pytest -p no:cacheprovider \
	    --junitxml="$BATS_TEST_TMPDIR/native.xml"
	run -1 dagz_run -j 2 --retries 0 --pytest --python "$PY" \
	    --events "$BATS_TEST_TMPDIR/ev.ndjson"
	echo "$output"
	cd "$BATS_TEST_TMPDIR"
	# Each file: FAILED when pytest failed one of its cases.
	xmllint --xpath '//testcase/@classname' native.xml |
	    sed 's/.*="\(.*\)"/\1/' | sort -u | tr . / | sed 's/$/.py/' \
	    >files
	xmllint --xpath '//testcase[failure or error]/@classname' native.xml |
	    sed 's/.*="\(.*\)"/\1/' | sort -u | tr . / | sed 's/$/.py/' \
	    >failed
	while read -r f; do
		if grep -qx "$f" failed; then
			echo "$f FAILED"
		else
			echo "$f OK"
		fi
	done <files >native
	jq -r 'select(.type == "result") | "\(.test) \(.status)"' ev.ndjson |
	    sort >dagz
	diff -u native dagz
	diff -u - dagz <<'EOF'
tests/check_units.py FAILED
tests/test_math.py FAILED
tests/test_strings.py OK
EOF
	# The failing cases, by the names pytest's own JUnit report gives.
	for tc in $(xmllint --xpath '//testcase[failure or error]' native.xml |
	    sed -n 's/.*classname="\([^"]*\)" name="\([^"]*\)".*/\1.\2/p'); do
		echo "$tc"
	done | sort >native-cases
	jq -r 'select(.type == "result") | .cases[]? |
	    select(.status == "FAILED") | .name' ev.ndjson | sort >dagz-cases
	diff -u native-cases dagz-cases
	diff -u - dagz-cases <<'EOF'
tests.check_units.test_feet
tests.test_math.test_sub_wrong
EOF
	# Skipped and expected-to-fail cases keep their meaning.
	diff -u - <(jq -r 'select(.type == "result" and
	    .test == "tests/test_math.py") | .cases[] |
	    "\(.name) \(.status)"' ev.ndjson) <<'EOF'
tests.test_math.test_add OK
tests.test_math.test_sub_wrong FAILED
tests.test_math.test_skipped SKIPPED
tests.test_math.test_float_exact TODO
tests.test_math.test_double[1] OK
tests.test_math.test_double[2] OK
tests.test_math.test_double[3] OK
EOF
	grep -q "FAILED tests/test_math.py .*1 of 6 cases failed: tests.test_math.test_sub_wrong$" <<<"$output"
}

@test "--list: each file's run, the user's options in it and their paths not" {
	run -0 --separate-stderr dagz_run --list --pytest --python "$PY" -- \
	    -k 'add or upper' tests
	[ "$stderr" = "" ]
	diff -u - <(jq -c '{id, sh, cwd, skip_code, skip_reason,
	    transient_code, transient_file}' <<<"$output") <<EOF
{"id":"tests/test_math.py","sh":"exec $PY -m pytest -p no:cacheprovider tests/test_math.py \${DAGZ_JUNIT:+\"--junitxml=\$DAGZ_JUNIT\"} -k 'add or upper'","cwd":"$PWD","skip_code":5,"skip_reason":"no tests collected","transient_code":4,"transient_file":"tests/test_math.py"}
{"id":"tests/test_strings.py","sh":"exec $PY -m pytest -p no:cacheprovider tests/test_strings.py \${DAGZ_JUNIT:+\"--junitxml=\$DAGZ_JUNIT\"} -k 'add or upper'","cwd":"$PWD","skip_code":5,"skip_reason":"no tests collected","transient_code":4,"transient_file":"tests/test_strings.py"}
EOF
	# A node id narrows the run of its own file.
	run -0 dagz_run --list --pytest --python "$PY" -- \
	    tests/test_math.py::test_add
	[ "$(jq -r .sh <<<"$output")" = "exec $PY -m pytest -p no:cacheprovider tests/test_math.py::test_add \${DAGZ_JUNIT:+\"--junitxml=\$DAGZ_JUNIT\"}" ]
}

@test "a file pytest cannot collect fails; one that runs no test is SKIPPED" {
	cd "$BATS_TEST_TMPDIR"
	printf 'import no_such_module_dagz\n\n\ndef test_x():\n    pass\n' \
	    >test_broken.py
	printf 'def test_a():\n    pass\n' >test_gone.py
	# Under dagz, the run of test_gone.py deselects what it collects.
	cat >conftest.py <<'EOF'
import os


def pytest_collection_modifyitems(config, items):
    if "DAGZ_TEST_ID" not in os.environ:
        return
    gone = [i for i in items if i.nodeid.startswith("test_gone.py")]
    config.hook.pytest_deselected(items=gone)
    items[:] = [i for i in items if i not in gone]
EOF
	run -1 dagz_run -j 2 --retries 0 --pytest --python "$PY" \
	    --events ev.ndjson
	echo "$output"
	diff -u - <(jq -r 'select(.type == "result") |
	    "\(.test) \(.status)"' ev.ndjson | sort) <<'EOF'
test_broken.py FAILED
test_gone.py SKIPPED
EOF
	[ "$(event_get ev.ndjson test_gone.py .reason)" = "no tests collected" ]
	grep -q "ModuleNotFoundError: No module named 'no_such_module_dagz'" \
	    <<<"$output"
}

@test "without a python3 that can import pytest, one error says what was tried" {
	mkdir bin
	printf '#!/bin/sh\necho "$0: No module named pytest" >&2\nexit 1\n' \
	    >bin/python3
	chmod +x bin/python3
	# What the dagz script itself needs, and no python3 but the fake.
	ln -s "$(command -v basename)" "$(command -v dirname)" bin/
	fake=$PWD/bin
	cd "$BATS_FILE_TMPDIR/suite"
	run -2 --separate-stderr env PATH="$fake:$DAGZ_BUILDDIR/scripts:$DAGZ_BUILDDIR" \
	    "$DAGZ_BUILDDIR/scripts/dagz" run --pytest
	[ "$stderr" = "dagz-run: --pytest: no python3 on PATH can import pytest (tried $fake/python3): give one that can with --python" ]
	run -2 --separate-stderr dagz_run --pytest --python "$fake/python3"
	[ "$stderr" = "dagz-run: --pytest: pytest --collect-only failed in '$PWD' (exit 1): $fake/python3: No module named pytest" ]
}

@test "zb init writes a config that dagz run uses with no flags" {
	cp -R "$BATS_FILE_TMPDIR/suite" "$BATS_TEST_TMPDIR/proj"
	cd "$BATS_TEST_TMPDIR/proj"
	# zb init names the python3 it found on PATH that has pytest.
	PATH=$(dirname "$PY"):$PATH
	assert_zb_init_collects --pytest --python python3
	grep -qx 'python: python3' .dagz/config.yaml
}
