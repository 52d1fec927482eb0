#!/usr/bin/env bats
# t/dagz-run-config.bats: dagz run with no adapter flags collects with
# the adapters of .dagz/config.yaml, found from any directory below it;
# flags override them; a malformed config is one "dagz-run: PATH:LINE:
# reason" line and exit 2, nothing run; global: patterns and project:
# reach selection and the store.

load helpers

setup() {
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj/.dagz" "$proj/bin" "$proj/sub"
	cd "$proj"
	cat >suite.ndjson <<EOF
{"id": "one", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.one"]}
{"id": "two", "cmd": ["touch", "$BATS_TEST_TMPDIR/ran.two"]}
EOF
	printf '#!/bin/sh\ntouch "%s/ran.a"\n' "$BATS_TEST_TMPDIR" >bin/a.test
	chmod +x bin/a.test
	cfg="$proj/.dagz/config.yaml"
}

teardown() {
	dagzd_stop
}

# The tests that ran, by their markers, on one line.
ran() {
	(cd "$BATS_TEST_TMPDIR" && ls -d ran.* 2>/dev/null | tr '\n' ' ') ||:
}

# The ids dagz run --list prints, on one line.
listed() {
	jq -r .id <<<"$output" | tr '\n' ' '
}

@test "no flags: the config's adapters, from a directory below it" {
	cat >"$cfg" <<'EOF'
# the suites
adapters:
  - manifest: suite.ndjson   # two tests
  - exec: ['bin/*.test']
EOF
	cd sub
	run -0 dagz_run
	[ "$(ran)" = "ran.a ran.one ran.two " ]
	grep -q ' 3 tests from suite.ndjson + exec on ' <<<"$output"
}

@test "flow style reads alike; adapter flags override the config's" {
	printf '{adapters: [{manifest: suite.ndjson}, {exec: bin/*.test}],\n global: [x.mk]}\n' \
	    >"$cfg"
	run -0 dagz_run --list
	[ "$(listed)" = "one two bin/a.test " ]
	run -0 dagz_run --list --exec 'bin/*.test'
	[ "$(listed)" = "bin/a.test " ]
	run -0 dagz_run --list --manifest suite.ndjson two
	[ "$(listed)" = "two " ]
}

@test "a malformed config is one line naming file and line; nothing runs" {
	local text want last
	while IFS='|' read -r text want; do
		printf "$text" >"$cfg"
		run -2 --separate-stderr dagz_run
		[ "$stderr" = "dagz-run: $cfg:$want" ] ||
		    { printf '%s\n' "$stderr" >&2; return 1; }
		[ "$output" = "" ]
		last=$want
	done <<'EOF'
adapters:\n  - manifest: suite.ndjson\n   bad: [\n|3: while parsing a block collection did not find expected '-' indicator
adapters: [{manifest: suite.ndjson}]\ntimeout: 3\n|2: unknown key "timeout" (known: adapters, auto_quarantine, coverage, global, ignore, main_branch, new_tests_repeat, python, project, worker_env, worker_mem_budget)
global: 3\n|1: "global" must be a list of patterns, not "3"
adapters:\n  - exec: bin/*.test\n  - nose: tests\n|3: unknown adapter "nose" (known: manifest, exec, tap, bats, ctest, pytest, automake)
adapters:\n  - manifest: suite.ndjson\n    exec: bin/*.test\n|3: "exec" is for tap and bats only, not manifest
adapters:\n  - manifest: suite.ndjson\n    ctest: build\n|3: two adapters in one item: "manifest" and "ctest" (each is an item of its own: "- ctest: ...")
EOF
	# A flag does not make a bad config acceptable.
	run -2 --separate-stderr dagz_run --manifest suite.ndjson
	[ "$stderr" = "dagz-run: $cfg:$last" ]
	rm "$cfg"
	mkdir "$cfg"
	run -2 --separate-stderr dagz_run
	[ "$stderr" = "dagz-run: $cfg: cannot read: Is a directory" ]
	[ "$(ran)" = "" ]
}

@test "a config below the work tree's top: global: and project: are its" {
	git init -q
	mkdir sub/.dagz
	printf 'all:\n' >sub/build.mk
	printf 'data\n' >sub/data.txt
	printf '{"id": "one", "sh": "cat data.txt"}\n{"id": "two", "sh": "cat data.txt"}\n' \
	    >sub/suite.ndjson
	cat >sub/.dagz/config.yaml <<'EOF'
project: example/sub
adapters: [{manifest: suite.ndjson}]
global: [build.mk]
EOF
	dagzd_start
	cd sub
	run -0 dagz_run
	[ "$(zb jobs --json | jq -r .project)" = "example/sub" ]
	run -0 zb select-tests --trace
	[ "${lines[-1]}" = "0 of 2 selected against b1" ]
	printf 'all: x\n' >build.mk
	run -0 zb select-tests --trace
	[ "$(sed -n 2p <<<"$output")" = "       global file changed: sub/build.mk" ]
	[ "${lines[-1]}" = "2 of 2 selected against b1" ]
}
