#!/usr/bin/env bats
# t/zb-init.bats: zb init on tiny trees made here: what it detects (ctest,
# pytest, bats, TAP scripts, automake, the build files, the project), the
# file it writes, read back by dagz run, and --force.

load helpers

setup() {
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj" "$BATS_TEST_TMPDIR/bin"
	cd "$proj"
	# A python3 that imports pytest, whatever this machine has.
	printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/bin/python3"
	chmod +x "$BATS_TEST_TMPDIR/bin/python3"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH"
}

# The items of adapters: in the config written, one a line.
adapters() {
	sed -n '/^adapters:/,/^$/{/^  /p}' "${1:-.}/.dagz/config.yaml"
}

# A manifest of two tests, to read a config back with dagz run --list.
two_tests() {
	printf '{"id": "one", "sh": "true"}\n{"id": "two", "sh": "true"}\n' \
	    >"$BATS_TEST_TMPDIR/two.ndjson"
}

@test "ctest and pytest: what was found, the file written, read back" {
	mkdir build
	touch CMakeLists.txt build/CTestTestfile.cmake
	printf '[project]\nname = "x"\n\n[tool.pytest.ini_options]\n' \
	    >pyproject.toml
	run -0 zb init
	[ "$output" = "ctest: build (build/CTestTestfile.cmake)
pytest: pyproject.toml has [tool.pytest.ini_options]; python: python3
global: CMakeLists.txt, pyproject.toml
wrote $proj/.dagz/config.yaml" ]
	diff -u - .dagz/config.yaml <<'EOF'
# .dagz/config.yaml: how dagz runs this project's tests. Written by
# zb init, meant to be committed. Flags override it: dagz run given
# an adapter flag (--ctest, --pytest, --tap, ...) collects with those
# flags alone, and --python overrides python:. See dagz(1).

# What dagz run collects with no adapter flags, one suite an item;
# paths are relative to the directory holding .dagz/.
#   ctest: BUILD_DIR        the tests ctest lists there
#   automake: BUILD_DIR     the TESTS of make check there
#   pytest: [ARGS]          test files; ARGS are added to pytest's
#   bats: [PATHS]           bats files, or directories of them
#   tap: [GLOBS]            TAP scripts (cwd: where they run,
#                           exec: their interpreter)
#   manifest: FILE          an NDJSON manifest
#   exec: [GLOBS]           programs: 0 passes, 77 skips
adapters:
  - ctest: build
  - pytest:

# Files whose change selects every test: patterns, relative to the
# directory holding .dagz/.
global:
  - CMakeLists.txt
  - pyproject.toml

# The interpreter that runs pytest (one that imports it).
python: python3
EOF
	# dagz run reads the config even when flags override its adapters.
	two_tests
	run -0 dagz_run --list --manifest "$BATS_TEST_TMPDIR/two.ndjson"
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "one two " ]
}

@test "ctest: a build directory of any name; none is said, not written" {
	mkdir -p out/sub src
	touch CMakeLists.txt out/CTestTestfile.cmake
	run -0 zb init
	[ "${lines[0]}" = "ctest: out (out/CTestTestfile.cmake)" ]
	[ "$(adapters)" = "  - ctest: out" ]
	rm out/CTestTestfile.cmake
	run -0 zb init --force
	[ "${lines[0]}" = "ctest: CMakeLists.txt but no build directory holding CTestTestfile.cmake (build, then zb init --force)" ]
	[ "$(adapters)" = "" ]
	[ "${lines[-1]}" = "no suite detected: wrote an example to edit in $proj/.dagz/config.yaml" ]
}

@test "pytest: each of its configuration files, or test files in tests/" {
	local d
	mkdir a b c d e
	touch a/pytest.ini
	printf '[metadata]\nname = x\n[tool:pytest]\naddopts = -x\n' \
	    >b/setup.cfg
	printf '[tox]\n[pytest]\n' >c/tox.ini
	mkdir -p d/tests/unit && touch d/tests/unit/test_one.py
	printf '[tool:pytest]\n' >e/tox.ini
	for d in a b c d; do
		run -0 zb init "$d"
		[ "$(adapters "$d")" = "  - pytest:" ]
		grep -qx 'python: python3' "$d/.dagz/config.yaml"
	done
	run -0 zb init --force a
	[ "${lines[0]}" = "pytest: pytest.ini; python: python3" ]
	run -0 zb init --force b
	[ "${lines[0]}" = "pytest: setup.cfg has [tool:pytest]; python: python3" ]
	run -0 zb init --force d
	[ "${lines[0]}" = "pytest: test_*.py files under tests; python: python3" ]
	run -0 zb init e
	[ "$(adapters e)" = "" ]
}

@test "bats files, git's TAP scripts and perl's .t files" {
	mkdir t test
	touch t/a.bats t/b.bats test/c.bats t/t0001-basic.sh t/t0002-more.sh \
	    t/lib.sh t/basic.t
	run -0 zb init
	[ "$output" = "bats: t, test (3 files)
tap: t/t[0-9]*.sh, run in t (2 scripts)
tap: t/*.t, run by perl (1 script)
wrote $proj/.dagz/config.yaml" ]
	[ "$(adapters)" = "  - bats: [t, test]
  - tap: ['t/t[0-9]*.sh']
    cwd: t
  - tap: ['t/*.t']
    exec: perl" ]
}

@test "automake: a configured build directory runs the suite it includes" {
	mkdir -p t build/dev
	printf 'include t/local.mk\ninclude $(srcdir)/x.mk\n' >Makefile.am
	printf 'TESTS += t/a.bats\n' >t/local.mk
	touch configure.ac t/a.bats
	run -0 zb init
	[ "$output" = "automake: Makefile.am sets TESTS but no configured build directory holds a Makefile (configure, then zb init --force)
bats: t (1 file)
global: configure.ac, Makefile.am, t/local.mk
wrote $proj/.dagz/config.yaml" ]
	printf 'all: all-am\ncheck: check-am\n' >build/dev/Makefile
	run -0 zb init --force
	[ "$output" = "automake: build/dev (Makefile.am sets TESTS; make check in build/dev)
bats: 1 file in t, left to automake
global: configure.ac, Makefile.am, t/local.mk
wrote $proj/.dagz/config.yaml" ]
	[ "$(adapters)" = "  - automake: build/dev" ]
	[ "$(sed -n '/^global:/,$p' .dagz/config.yaml)" = "global:
  - configure.ac
  - Makefile.am
  - t/local.mk" ]
}

@test "the project: the git origin and the path inside the work tree" {
	mkdir -p repo/sub/tests
	git -C repo init -q
	git -C repo remote add origin 'https://example.org/g/repo.git'
	touch repo/sub/tests/test_a.py
	run -0 zb init repo/sub
	[ "${lines[1]}" = "project: example.org/g/repo#sub" ]
	grep -qx "project: 'example.org/g/repo#sub'" \
	    repo/sub/.dagz/config.yaml
	run -0 zb init repo
	[ "${lines[0]}" = "project: example.org/g/repo" ]
}

@test "an existing config is kept without --force, replaced with it" {
	mkdir .dagz t
	printf 'adapters: [{manifest: mine.ndjson}]\n' >.dagz/config.yaml
	touch t/a.bats
	run -2 --separate-stderr zb init
	[ "$stderr" = "zb: will not overwrite '$proj/.dagz/config.yaml': it exists (zb init --force replaces it)" ]
	[ "$output" = "" ]
	[ "$(cat .dagz/config.yaml)" = "adapters: [{manifest: mine.ndjson}]" ]
	run -0 zb init --force
	[ "$(adapters)" = "  - bats: [t]" ]
	[ "$(ls -A .dagz)" = "config.yaml" ]
	run -2 zb init a b
	run -2 zb init "$proj/nothere"
	[ "$output" = "zb: cannot use '$proj/nothere': No such file or directory" ]
}

@test "nothing detected: an example to edit, which dagz run then uses" {
	run -0 zb init
	[ "$output" = "no suite detected: wrote an example to edit in $proj/.dagz/config.yaml" ]
	run -2 --separate-stderr dagz_run --list
	[ "${stderr#dagz-run: no tests: }" != "$stderr" ]
	two_tests
	sed -i "s|^adapters:\$|adapters:\n  - manifest: $BATS_TEST_TMPDIR/two.ndjson|" \
	    .dagz/config.yaml
	mkdir -p deep/er
	cd deep/er
	run -0 dagz_run --list
	[ "$(jq -r .id <<<"$output" | tr '\n' ' ')" = "one two " ]
}
