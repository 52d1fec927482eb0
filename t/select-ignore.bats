#!/usr/bin/env bats
# ignore: in .dagz/config.yaml, with a dagzd of its own: a tool cache
# that tests read and that changes between runs (pytest's lastfailed
# rewritten by a test or another pytest run, a .pyc) is not a dependency
# by default, ignore: [] makes it one again, a pattern of the
# project's own works, and zb select-tests --trace names an ignored
# change that an older baseline still holds.

load helpers

setup() {
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj/.pytest_cache/v/cache" "$proj/pkg/__pycache__" \
	    "$proj/logs" "$proj/.dagz"
	cd "$proj"
	printf 'hello\n' >data.txt
	printf '{}\n' >.pytest_cache/v/cache/lastfailed
	printf 'bytecode\n' >pkg/__pycache__/mod.cpython-311.pyc
	printf 'start\n' >logs/run.log
	# Each test reads a source and a cache or a log; one rewrites its cache.
	cat >suite.ndjson <<'EOF2'
{"id": "cache", "sh": "cat data.txt .pytest_cache/v/cache/lastfailed >/dev/null && date +%N >.pytest_cache/v/cache/lastfailed"}
{"id": "pyc", "sh": "cat data.txt pkg/__pycache__/mod.cpython-311.pyc >/dev/null"}
{"id": "log", "sh": "cat data.txt logs/run.log >/dev/null"}
EOF2
	ev="$BATS_TEST_TMPDIR/ev.ndjson"
	dagzd_start
}

teardown() {
	dagzd_stop
}

srun() {
	rm -f "$ev"
	dagz_run --manifest suite.ndjson --events "$ev" "$@"
}

# What another pytest run or an import leaves in the caches, and a log.
touch_caches() {
	printf '{"t.py::a": true}\n' >.pytest_cache/v/cache/lastfailed
	printf 'other bytecode\n' >pkg/__pycache__/mod.cpython-311.pyc
}

@test "by default a changed pytest cache or bytecode selects nothing" {
	run -0 srun
	[ "$(ran)" = "cache log pyc" ]
	touch_caches
	run -0 srun
	[ "$(ran)" = "" ]
	printf 'more\n' >>logs/run.log
	run -0 srun
	[ "$(ran)" = "log" ]
	printf 'hello again\n' >data.txt
	run -0 srun
	[ "$(ran)" = "cache log pyc" ]
}

@test "ignore: [] turns the defaults off; a pattern of the project's works" {
	printf 'ignore: []\n' >.dagz/config.yaml
	run -0 srun
	[ "$(ran)" = "cache log pyc" ]
	touch_caches
	run -0 srun
	[ "$(ran)" = "cache pyc" ]
	printf 'ignore:\n  - logs/\n' >.dagz/config.yaml
	printf 'more\n' >>logs/run.log
	printf 'again\n' >pkg/__pycache__/mod.cpython-311.pyc
	run -0 srun
	[ "$(ran)" = "pyc" ]
}

# The lines of the last output for test $1: its own and those below it.
trace_of() {
	awk -v t="$1" '/^(run |skip)/ { on = ($2 == t) }
	    /^[0-9]+ of / { on = 0 } on' <<<"$output"
}

@test "zb select-tests --trace says which ignored path changed" {
	printf 'ignore: []\n' >.dagz/config.yaml
	run -0 srun
	rm .dagz/config.yaml
	touch_caches
	printf 'more\n' >>logs/run.log
	run -0 zb select-tests --trace --manifest suite.ndjson
	[ "$(trace_of cache)" = "skip cache
       ignored: .pytest_cache/v/cache/lastfailed" ]
	[ "$(trace_of pyc)" = "skip pyc
       ignored: pkg/__pycache__/mod.cpython-311.pyc" ]
	[ "$(trace_of log)" = "run  log
       changed: logs/run.log" ]
	[ "${lines[-1]}" = "1 of 3 selected against b1" ]
	# The next baseline no longer holds them: nothing to say.
	run -0 srun
	[ "$(ran)" = "log" ]
	touch_caches
	printf 'again\n' >pkg/__pycache__/mod.cpython-311.pyc
	run -0 zb select-tests --trace --manifest suite.ndjson
	[ "$(grep -c ignored <<<"$output")" = 0 ]
	[ "${lines[-1]}" = "0 of 3 selected against b2" ]
}

@test "a bad ignore: is one line naming the file and line, exit 2" {
	printf 'ignore:\n  - logs/\n  - [x]\n' >.dagz/config.yaml
	run -2 --separate-stderr srun
	[ "$stderr" = "dagz-run: $proj/.dagz/config.yaml:3: \"ignore\" must be a list of patterns, not hold a list" ]
}
