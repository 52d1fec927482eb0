#!/usr/bin/env bats
# Selection of cases by code element in dagz run (--coverage python), on
# a copy of the bundled project t/suites/pyselect with a dagzd of its
# own: a first job on main records each case's elements; each test then
# mutates the project on a branch of its own and checks what runs, what
# is DESELECTED (tests and case spans), the reasons, and that an
# --observe run finds no deselected case that failed.

load helpers

# Debian's python3 has pytest and coverage; the first python3 on PATH
# may not.
PY=/usr/bin/python3

setup_file() {
	export DAGZ_HOME="$BATS_FILE_TMPDIR/home" DAGZ_PROJECT=pyselect
	export DAGZ_BRANCH=main PYTHONDONTWRITEBYTECODE=1
	export DAGZ_HOOKS_DIR="$DAGZ_SRCDIR/hooks"
	dagzd_file_start
	# One directory for every test: a test's definition holds it.
	cp -R "$DAGZ_SRCDIR/t/suites/pyselect" "$BATS_FILE_TMPDIR/proj"
	cd "$BATS_FILE_TMPDIR/proj"
	git init -q
	git add -A
	git -c user.name=t -c user.email=t@t commit -qm base
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR crun >"$BATS_FILE_TMPDIR/first"
}

setup() {
	export DAGZ_HOME="$BATS_FILE_TMPDIR/home" DAGZ_PROJECT=pyselect
	export PYTHONDONTWRITEBYTECODE=1 DAGZ_HOOKS_DIR="$DAGZ_SRCDIR/hooks"
	dagzd_file_use
	# A branch a test: its jobs select against main's first job.
	export DAGZ_BRANCH="t$BATS_TEST_NUMBER"
	cd "$BATS_FILE_TMPDIR/proj"
	git reset -q --hard
	git clean -qfd
	ev="$BATS_TEST_TMPDIR/ev.ndjson"
}

teardown_file() {
	dagzd_file_stop
}

# A job of the project with the hook, its events in $ev.
crun() {
	if [ -n "${ev:-}" ]; then
		rm -f "$ev"
	fi
	dagz_run --pytest --python "$PY" --coverage python -j 2 \
	    ${ev:+--events "$ev"} "$@"
}

# The job of the last crun.
job() {
	sed -n 's/.* dagz: job \(j[0-9.]*\):.*/\1/p' <<<"$output" | head -1
}

# "TEST CASE STATUS" of job J's cases, sorted.
cases() {
	zb cases "$1" --json | jq -r '"\(.test) \(.case) \(.status)"' | sort
}

# The cases of job J that ran, as "CASE STATUS".
ran_cases() {
	cases "$1" | awk '$3 != "DESELECTED" { print $2, $3 }'
}

# That the last crun, job J, ran the six cases that ran arith.py#div.
ran_div_cases() {
	grep -q 'selection: 6 of 40 cases of 2 tests run, the others deselected' \
	    <<<"$output"
	diff -u - <(ran_cases "$1") <<'EOF'
tests.test_one.test_div OK
tests.test_one.test_div_by_zero OK
tests.test_one.test_mean OK
tests.test_one.test_mean_of_words OK
tests.test_one.test_mul_div OK
tests.test_two.test_perimeter_mean OK
EOF
}

# Each test's final status in $ev, as "TEST STATUS".
finals() {
	jq -r 'select(.type=="result" and .final) | "\(.test) \(.status)"' \
	    "$ev" | sort
}

# An --observe run of the project as it is: no deselected case failed.
observe_safe() {
	local out
	out=$(ev= crun --observe)
	grep -q 'observe: [0-9]* of [0-9]* tests would have been deselected' \
	    <<<"$out"
	if grep -q ' cases of ' <<<"$out"; then
		grep -q 'would have been deselected; 0 of them failed$' \
		    <<<"$(grep ' cases of ' <<<"$out")"
	fi
}

@test "the first job records each case's elements in the baseline" {
	grep -q 'baseline: b1 ' "$BATS_FILE_TMPDIR/first"
	curl -sf -o b1 "$DAGZ_URL/api/v1/baselines/b1"
	run -0 dagz-baseline show b1
	[ "$(jq -r 'select(.test) | "\(.test) \(.cases | length)"' \
	    <<<"$output")" = "tests/test_one.py 20
tests/test_two.py 20" ]
	diff -u - <(jq -r 'select(.test == "tests/test_one.py") | .cases[] |
	    select(.case == "tests/test_one.py::test_mean") |
	    .status, (.elements[] | .[0])' <<<"$output") <<'EOF'
OK
pyselect/arith.py#<module>
pyselect/arith.py#div
pyselect/arith.py#mean
tests/test_one.py#<module>
tests/test_one.py#test_mean
EOF
	[ "$(jq -r 'select(.test == "tests/test_two.py") | .covered[]' \
	    <<<"$output" | tr '\n' ' ')" = "conftest.py pyselect/__init__.py \
pyselect/arith.py pyselect/proc.py pyselect/shapes.py pyselect/text.py \
tests/test_two.py " ]
	rm b1
}

@test "a changed function body runs only the cases that ran it" {
	sed -i 's|    return a / b$|    return a / b + 0|' pyselect/arith.py
	run -0 zb select-tests --trace --pytest --python "$PY" \
	    --coverage python
	diff -u - <(printf '%s\n' "$output") <<'EOF'
run  tests/test_one.py
       changed: pyselect/arith.py#div
       case tests/test_one.py::test_div
       case tests/test_one.py::test_div_by_zero
       case tests/test_one.py::test_mean
       case tests/test_one.py::test_mean_of_words
       case tests/test_one.py::test_mul_div
run  tests/test_two.py
       changed: pyselect/arith.py#div
       case tests/test_two.py::test_perimeter_mean
2 of 2 selected against b1
6 of 40 cases of 2 tests selected
EOF
	run -0 crun
	j=$(job)
	ran_div_cases "$j"
	[ "$(cases "$j" | grep -c ' DESELECTED$')" = 34 ]
	[ "$(jq -r 'select(.type=="result") | .selected[]' "$ev" | sort -u)" = \
	    "changed: pyselect/arith.py#div" ]
	[ "$(finals)" = "tests/test_one.py OK
tests/test_two.py OK" ]
	# The subset's baseline knows every element of the test files still,
	# square_of too, as the first job's does.
	b=$(sed -n 's/.* baseline: \(b[0-9]*\) .*/\1/p' <<<"$output")
	curl -sf -o b1 "$DAGZ_URL/api/v1/baselines/b1"
	curl -sf -o bn "$DAGZ_URL/api/v1/baselines/$b"
	known() {
		dagz-baseline show "$1" | jq -r 'select(.test) |
		    .test as $t | .known[][0] | "\($t) \(.)"'
	}
	diff -u <(known b1) <(known bn)
	[ "$(known bn | grep -c '^tests/test_two.py tests/test_two.py#')" = 22 ]
	grep -qx 'tests/test_two.py tests/test_two.py#square_of' <(known bn)
	rm b1 bn
	# JUnit: a deselected case is skipped, and says so.
	run -0 zb junit "$j"
	grep -q '<skipped message="deselected"' <<<"$output"
	observe_safe
}

@test "a function only one file's cases ran leaves the other file DESELECTED" {
	sed -i 's|    return t == t\[::-1\]|    return t[::-1] == t|' \
	    pyselect/text.py
	run -0 crun
	[ "$(finals)" = "tests/test_one.py OK
tests/test_two.py DESELECTED" ]
	diff -u - <(ran_cases "$(job)") <<'EOF'
tests.test_one.test_not_palindrome OK
tests.test_one.test_palindrome OK
EOF
	observe_safe
}

@test "a comment, blank lines or a function moved run nothing" {
	sed -i 's|^def mul(a, b):|# multiplies\n\n\ndef mul(a, b):\n    # the product|' \
	    pyselect/arith.py
	run -0 zb select-tests --pytest --python "$PY" --coverage python
	[ "$output" = "0 of 2 selected against b1" ]
	# hypot moved up, above add.
	"$PY" - <<'EOF'
p = "pyselect/arith.py"
s = open(p).read()
h = s[s.index("def hypot"):]
s = s[:s.index("def hypot")].rstrip() + "\n"
s = s.replace("def add", h + "\n\ndef add")
open(p, "w").write(s)
EOF
	git diff --stat | grep -q arith.py
	run -0 zb select-tests --pytest --python "$PY" --coverage python
	[ "$output" = "0 of 2 selected against b1" ]
	observe_safe
}

@test "changed top-level code runs every case that imported the module" {
	printf 'UNIT = "cm"\n' >>pyselect/shapes.py
	run -0 zb select-tests --trace --pytest --python "$PY" \
	    --coverage python
	grep -q '^       changed: pyselect/shapes.py#<module>$' <<<"$output"
	run -0 crun
	[ "$(finals)" = "tests/test_one.py DESELECTED
tests/test_two.py OK" ]
	[ "$(ran_cases "$(job)" | grep -c '^tests.test_two')" = 20 ]
	[ "$(jq -r 'select(.type=="result" and .test=="tests/test_two.py") |
	    .selected[]' "$ev")" = "changed: pyselect/shapes.py#<module>" ]
	observe_safe
}

@test "a new case runs its whole file, which says so" {
	printf '\n\ndef test_added():\n    assert arith.add(1, 1) == 2\n' \
	    >>tests/test_one.py
	run -0 crun
	[ "$(finals)" = "tests/test_one.py OK
tests/test_two.py DESELECTED" ]
	[ "$(ran_cases "$(job)" | wc -l)" = 21 ]
	jq -r 'select(.type=="result" and .test=="tests/test_one.py") |
	    .selected[]' "$ev" | grep -qx 'new code in tests/test_one.py: whole test'
	observe_safe
}

@test "a test file's helper no case ran changes: nothing runs; a new test function beside it runs the whole file" {
	# The first job knows square_of, though no case ran it.
	curl -sf -o b1 "$DAGZ_URL/api/v1/baselines/b1"
	run -0 dagz-baseline show b1
	rm b1
	[ "$(jq -r 'select(.test == "tests/test_two.py") | .known[][0]' \
	    <<<"$output" | grep -c '^tests/test_two.py#square_of$')" = 1 ]
	[ "$(jq -r 'select(.test == "tests/test_two.py") |
	    .cases[].elements[][0]' <<<"$output" | grep -c '#square_of$')" = 0 ]
	sed -i 's|    return n \* n|    return n ** 2|' tests/test_two.py
	run -0 zb select-tests --trace --pytest --python "$PY" \
	    --coverage python
	diff -u - <(printf '%s\n' "$output") <<'EOF'
skip tests/test_one.py
skip tests/test_two.py
0 of 2 selected against b1
EOF
	printf '\n\ndef test_square_of():\n    assert square_of(3) == 9\n' \
	    >>tests/test_two.py
	run -0 zb select-tests --trace --pytest --python "$PY" \
	    --coverage python
	diff -u - <(printf '%s\n' "$output") <<'EOF'
skip tests/test_one.py
run  tests/test_two.py
       new code in tests/test_two.py: whole test
       changed: tests/test_two.py#<module>
1 of 2 selected against b1
EOF
}

@test "a case that failed last time runs again, alone" {
	sed -i 's|    assert 1 + 1 == 2|    assert 1 + 1 == 3|' tests/test_one.py
	run -1 crun --retries 2
	# The subset (the changed case) failed, then the whole test did, at
	# once: its first retry, the deferred one its second and last.
	diff -u - <(jq -r 'select(.type=="result") |
	    "\(.test) \(.attempt) \(.status) \(.retry // "-")"' "$ev") <<'EOF'
tests/test_two.py 0 DESELECTED -
tests/test_one.py 1 FAILED whole
tests/test_one.py 2 FAILED deferred
tests/test_one.py 3 FAILED -
EOF
	[ "$(ran_cases "$(job)" | grep -v ' OK$')" = \
	    "tests.test_one.test_nothing FAILED" ]
	b=$(sed -n 's/.* baseline: \(b[0-9]*\) .*/\1/p' <<<"$output")
	# Unchanged since: the failed case alone runs, for its failure.
	run -0 zb select-tests --trace --pytest --python "$PY" \
	    --coverage python
	diff -u - <(printf '%s\n' "$output") <<EOF
run  tests/test_one.py
       did not pass (FAILED)
       changed: tests/test_one.py#test_nothing
       case tests/test_one.py::test_nothing
skip tests/test_two.py
1 of 2 selected against $b, b1
1 of 20 cases of 1 test selected
EOF
}

@test "the code a subprocess ran selects the case that started it" {
	sed -i 's|    return 3 \* n|    return n * 3|' pyselect/proc.py
	run -0 crun
	diff -u - <(ran_cases "$(job)") <<'EOF'
tests.test_two.test_child OK
tests.test_two.test_triple OK
EOF
	observe_safe
}

@test "a case that fails only in a subset runs again whole, labelled; --observe counts a deselected case that failed" {
	cat >tests/test_three.py <<'EOF'
import os

from pyselect import arith

seen = []


def test_outside():
    # What no trace sees: the environment.
    assert "PYSELECT_BREAK" not in os.environ


def test_setup():
    seen.append(arith.add(1, 1))


def test_uses():
    assert seen == [2]
    assert arith.sub(3, 1) == 2
EOF
	git add tests/test_three.py
	run -0 crun
	b=$(sed -n 's/.* baseline: \(b[0-9]*\) .*/\1/p' <<<"$output")
	sed -i 's|    return a - b|    return -(b - a)|' pyselect/arith.py
	# Main's baseline has no test_three: the branch's alone.
	run -0 crun --baseline "$b"
	diff -u - <(jq -r 'select(.type=="result" and
	    .test=="tests/test_three.py") |
	    "\(.attempt) \(.status) \(.retry // "-") \(.rerun // "-")"' "$ev") <<'EOF'
1 FAILED whole -
2 OK - a case failed in a subset: whole test
EOF
	[ "$(finals)" = "tests/test_one.py OK
tests/test_three.py OK
tests/test_two.py DESELECTED" ]
	# Against b again, with what test_outside reads changed: everything
	# runs, and test_outside, which would not have, failed.
	export PYSELECT_BREAK=1
	run -1 dagz_run --pytest --python "$PY" --coverage python -j 2 \
	    --retries 0 --observe --baseline "$b"
	unset PYSELECT_BREAK
	grep -q 'observe: 1 of 3 tests would have been deselected against '"$b"'; 0 of them failed$' \
	    <<<"$output"
	grep -q 'observe: 20 of 23 cases of 2 tests would have been deselected; 1 of them failed$' \
	    <<<"$output"
}

@test "a case that hangs is named, the cases before it keep theirs, and --observe counts it" {
	cat >tests/test_hang.py <<'EOF'
import os
import time

from pyselect import arith


def test_before():
    assert arith.add(1, 2) == 3


def test_hangs():
    # What no trace sees: the environment.
    if "PYSELECT_HANG" in os.environ:
        time.sleep(60)


def test_after():
    assert arith.sub(3, 1) == 2
EOF
	git add tests/test_hang.py
	run -0 crun
	b=$(sed -n 's/.* baseline: \(b[0-9]*\) .*/\1/p' <<<"$output")
	sed -i 's|    return a + b|    return b + a|' pyselect/arith.py
	# Against b, test_hang.py would run test_before alone; it hangs in
	# test_hangs instead, which the run names and --observe counts.
	export PYSELECT_HANG=1
	run -1 dagz_run --pytest --python "$PY" --coverage python -j 2 \
	    --retries 0 --observe --baseline "$b" --timeout 3 --grace 1 \
	    --events "$ev"
	unset PYSELECT_HANG
	jq -r 'select(.type=="result" and .test=="tests/test_hang.py") |
	    .status, .reason' "$ev" >"$BATS_TEST_TMPDIR/st"
	grep -qx TIMEOUT "$BATS_TEST_TMPDIR/st"
	grep -q "case 'tests.test_hang.test_hangs' did not finish" \
	    "$BATS_TEST_TMPDIR/st"
	diff -u - <(cases "$(job)" | grep '^tests/test_hang.py ') <<'EOF'
tests/test_hang.py tests.test_hang.test_before OK
tests/test_hang.py tests.test_hang.test_hangs FAILED
EOF
	grep -q 'cases of [0-9]* tests would have been deselected; 1 of them failed$' \
	    <<<"$output"
	# The hook never wrote what the cases ran: the file runs whole
	# against this job's baseline.
	b=$(sed -n 's/.* baseline: \(b[0-9]*\) .*/\1/p' <<<"$output")
	run -0 zb select-tests --trace --pytest --python "$PY" \
	    --coverage python --baseline "$b"
	grep -qx 'run  tests/test_hang.py' <<<"$output"
	grep -qx ' *trace incomplete' <<<"$output"
}

@test "a CI rerun of a job that ran a subset runs the failed test whole" {
	export GITLAB_CI=true CI_PIPELINE_ID=77 CI_JOB_NAME=py
	export CI_PROJECT_PATH=group/pyselect
	sed -i 's|    return t == t\[::-1\]|    return False|' pyselect/text.py
	CI_JOB_ID=701 run -1 crun --retries 0
	j1=$(job)
	diff -u - <(jq -r 'select(.type=="result") |
	    "\(.test) \(.attempt) \(.status) \(.rerun // "-")"' "$ev") <<'EOF'
tests/test_two.py 0 DESELECTED -
tests/test_one.py 1 FAILED -
tests/test_one.py 2 FAILED a case failed in a subset: whole test
EOF
	# Fixed, and the CI job retried: the test that failed runs, every
	# case of it, the other is REDUNDANT.
	git checkout -q pyselect/text.py
	CI_JOB_ID=702 run -0 crun --retries 0
	grep -q "dagz: rerun of job $j1: running the 1 test that failed there" \
	    <<<"$output"
	[ "$(finals)" = "tests/test_one.py OK
tests/test_two.py REDUNDANT" ]
	j2=$(job)
	[ "$(ran_cases "$j2" | grep -c ' OK$')" = 20 ]
	[ "$(cases "$j2" | grep -c ' DESELECTED$')" = 0 ]
}

@test "a subset runs from a directory below pytest's rootdir" {
	# pytest.ini is one level up: node ids name files from there.
	cd tests
	run -0 crun
	b=$(sed -n 's/.* baseline: \(b[0-9]*\) .*/\1/p' <<<"$output")
	sed -i 's|    return a / b$|    return a / b + 0|' ../pyselect/arith.py
	run -0 crun --baseline "$b"
	ran_div_cases "$(job)"
	[ "$(finals)" = "tests/test_one.py OK
tests/test_two.py OK" ]
}

@test "bad --coverage values and a config's coverage: gcov are refused" {
	run -2 dagz_run --pytest --coverage perl
	[ "$output" = "dagz-run: --coverage: unknown hook 'perl' (known: python)" ]
	run -2 dagz_run --pytest --coverage gcov
	[ "$output" = "dagz-run: --coverage: gcov is not in this release (known: python)" ]
	mkdir -p .dagz
	printf 'python: /usr/bin/python3\ncoverage: gcov\n' >.dagz/config.yaml
	run -2 dagz_run --pytest
	[ "$output" = "dagz-run: $PWD/.dagz/config.yaml:2: \"coverage\": gcov is not in this release (known: python)" ]
}
