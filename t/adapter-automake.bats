#!/usr/bin/env bats
# t/adapter-automake.bats: dagz run --automake runs the tests make check
# runs, as its parallel harness runs them: on the tiny project of
# t/suites/automake (built once, out of its source tree) and on dagz's
# own build tree, which it must read without disturbing the make check
# that runs this file.

load helpers

setup_file() {
	local top=$BATS_FILE_TMPDIR
	cp -R "$DAGZ_SRCDIR/t/suites/automake" "$top/src"
	chmod -R u+w "$top/src"
	# What autoreconf -i does here, without its other tools' checks.
	(cd "$top/src" && mkdir -p build-aux && aclocal &&
	    automake --add-missing --copy && autoconf) \
	    >"$top/autoreconf.out" 2>&1 ||
	    { cat "$top/autoreconf.out" >&2; return 1; }
	mkdir "$top/build"
	(cd "$top/build" && ../src/configure -q >"$top/configure.out" 2>&1) ||
	    { cat "$top/configure.out" >&2; return 1; }
}

setup() {
	cd "$BATS_FILE_TMPDIR"
	top=$(pwd -P)
}

# make, as a user types it: not with the variables and jobserver of the
# make check this file runs under.
user_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"
}

# What make check says of each test of a build (its .trs files), in
# dagz's words: XFAIL passes, XPASS and ERROR fail.
native_status() {
	case $(sed -n 's/^:global-test-result: //p' "$1") in
	PASS | XFAIL) echo OK ;;
	SKIP) echo SKIPPED ;;
	*) echo FAILED ;;
	esac
}

# The names of the failing cases of TEST in events FILE (one attempt).
events_failed() {
	jq -r --arg t "$2" 'select(.type=="result" and .test==$t) |
	    (.cases | if type=="object" then .cases else . end) // [] |
	    .[] | select(.status=="FAILED") | .name' "$1"
}

@test "--automake --list: each test as the parallel harness runs it, after make check TESTS= built it" {
	shell=$(sed -n 's/^SHELL = //p' build/Makefile)
	env="srcdir=../src; export srcdir; GREETING=hello; export GREETING; exec $shell"
	run -0 dagz_run --list --automake build
	diff -u - <(printf '%s\n' "$output") <<-EOF
	{"id":"plain","sh":"$env '../src/plain'","cwd":"$top/build","source":"--automake"}
	{"id":"pass.sh","sh":"$env -e '../src/pass.sh'","cwd":"$top/build","source":"--automake"}
	{"id":"fail.sh","sh":"$env -e '../src/fail.sh'","cwd":"$top/build","source":"--automake"}
	{"id":"skip.sh","sh":"$env -e '../src/skip.sh'","cwd":"$top/build","source":"--automake"}
	{"id":"xfail.sh","sh":"$env -e '../src/xfail.sh'","cwd":"$top/build","will_fail":true,"source":"--automake"}
	{"id":"gen.sh","sh":"$env -e './gen.sh'","cwd":"$top/build","source":"--automake"}
	{"id":"cases.tap","sh":"$env '../src/cases.tap'","cwd":"$top/build","format":"tap","source":"--automake"}
	EOF
	# The generated test was built; no harness log was written.
	[ -f build/gen.sh ]
	run -0 find build -name '*.log' -o -name '*.trs'
	[ "$output" = build/config.log ]
}

@test "dagz --automake and make check agree on each test and failing case" {
	run -1 dagz_run --retries 0 --events events.ndjson --automake build
	run -2 user_make -C build check
	[[ "$output" == *"# TOTAL: 10"* ]]
	printf '%s\n' "$output" >make-check.out
	for t in plain pass.sh fail.sh skip.sh xfail.sh gen.sh cases.tap; do
		want=$(native_status "build/${t%.*}.trs")
		got=$(event_status events.ndjson "$t")
		echo "$t: make check $want, dagz $got"
		[ "$got" = "$want" ]
	done
	diff -u <(sed -n 's/^FAIL: cases\.tap [0-9]* - //p' make-check.out) \
	    <(events_failed events.ndjson cases.tap)
	# Neither is vacuous.
	[ "$(native_status build/fail.trs)" = FAILED ]
	[ "$(native_status build/skip.trs)" = SKIPPED ]
	[ "$(sed -n 's/^FAIL: cases\.tap [0-9]* - //p' make-check.out)" = \
	    second ]
}

@test "--automake on dagz's own build lists exactly the TESTS of make check" {
	run -0 dagz_run --list --automake "$DAGZ_BUILDDIR"
	jq -r .id <<<"$output" >dagz.ids
	printf 'dagz-test-print-tests:\n\t@printf "%%s\\n" $(TESTS)\n' \
	    >print.mk
	user_make -s --no-print-directory -C "$DAGZ_BUILDDIR" -f Makefile \
	    -f "$top/print.mk" dagz-test-print-tests >make.ids
	diff -u make.ids dagz.ids
	grep -qx t/adapter-automake.bats dagz.ids
	[ "$(jq -r 'select(.id=="t/unit-libcommon") | .format' \
	    <<<"$output")" = tap ]
}

@test "--automake --filter: dagz's own C unit tests pass as under the harness, each case alike" {
	run -0 dagz_run --retries 0 --events events.ndjson \
	    --automake "$DAGZ_BUILDDIR" --filter '^t/unit-'
	jq -r 'select(.type=="result") | .test' events.ndjson | sort >ran
	printf 'dagz-test-print-tests:\n\t@printf "%%s\\n" $(TESTS)\n' \
	    >print.mk
	user_make -s --no-print-directory -C "$DAGZ_BUILDDIR" -f Makefile \
	    -f "$top/print.mk" dagz-test-print-tests | grep '^t/unit-' |
	    sort >want
	diff -u want ran
	[ "$(wc -l <ran)" -ge 8 ]
	# The harness's own driver, with its logs here, not in the tree.
	while read -r t; do
		(cd "$DAGZ_BUILDDIR" && AM_TAP_AWK=awk sh \
		    "$DAGZ_SRCDIR/build-aux/tap-driver.sh" --test-name "$t" \
		    --log-file "$top/${t#t/}.log" \
		    --trs-file "$top/${t#t/}.trs" --color-tests no \
		    --enable-hard-errors yes --expect-failure no -- "./$t") \
		    >/dev/null
		[ "$(native_status "$top/${t#t/}.trs")" = OK ]
		[ "$(event_status events.ndjson "$t")" = OK ]
		want=$(grep -c '^:test-result: PASS' "$top/${t#t/}.trs")
		got=$(jq -r --arg t "$t" 'select(.type=="result" and
		    .test==$t) | [(.cases | if type=="object" then .cases
		    else . end) // [] | .[] | select(.status=="OK")] | length' \
		    events.ndjson)
		echo "$t: $want cases pass under the harness, $got under dagz"
		[ "$got" = "$want" ]
		[ "$got" -gt 0 ]
	done <ran
}

@test "--automake: a tree that is not an automake build, or whose build fails, is one line and exit 2" {
	mkdir plain
	printf 'check:\n\ttrue\n' >plain/Makefile
	run -2 dagz_run --automake plain
	[ "$output" = "dagz-run: --automake: 'plain': not an automake build directory (no Makefile made by automake's configure)" ]
	run -2 dagz_run --automake nowhere
	[ "$output" = "dagz-run: --automake: 'nowhere': not an automake build directory (no Makefile made by automake's configure)" ]
	mkdir broken
	printf '%s\n' '# Makefile.in generated by automake 1.16.5 from Makefile.am.' \
	    'check:' '	@echo "cc: error: x.c: No such file"; exit 3' \
	    >broken/Makefile
	run -2 dagz_run --automake broken
	[ "${lines[-1]}" = "dagz-run: --automake: 'broken': make check TESTS= failed (exit 2): cc: error: x.c: No such file" ]
	[[ "$output" == *"| cc: error: x.c: No such file"* ]]
}

@test "zb init writes a config that dagz run uses with no flags" {
	mkdir proj
	cp src/configure.ac src/Makefile.am proj/
	ln -s ../build proj/build
	cd proj
	assert_zb_init_collects --automake build
}
