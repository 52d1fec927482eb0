#!/usr/bin/env bats
# The dashboard's pages, through curl against a real dagzd holding jobs
# of real dagz runs: content types and security headers, HEAD, 404
# pages, escaping of hostile test names, percent-encoded test ids, the
# jobs list's counts, the Errors, Tests, Selection and Timeline tabs,
# the assets, and the login of a dagzd with a token.

load helpers

# One dagzd and five jobs for the whole file: j1 passes, j2 fails (a
# TAP case of t/t0001-init.sh fails), j3 has a test with markup in its
# name, j5 deselects what j4 ran. The tests only read them.
setup_file() {
	export DAGZ_HOME="$BATS_FILE_TMPDIR/home"
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR dagzd_start
	echo "$DAGZD_PID" >"$BATS_FILE_TMPDIR/pid"
	cd "$BATS_FILE_TMPDIR"
	mkdir -p t
	cat >t/t0001-init.sh <<'EOS'
#!/bin/sh
echo 1..3
echo 'ok 1 - init'
echo 'not ok 2 - init --bare'
echo '# expected 0, got 1: LINE-OF-OUTPUT'
echo 'ok 3 - init again'
exit 1
EOS
	chmod +x t/t0001-init.sh
	printf '{"id": "a", "sh": "sleep 0.2"}\n{"id": "b", "sh": "true"}\n{"id": "c", "sh": "sleep 0.1"}\n' >pass.ndjson
	dagz run --log-dir logs -j 2 --manifest pass.ndjson >/dev/null 3>&-
	printf '{"id": "t/t0001-init.sh", "cmd": ["t/t0001-init.sh"], "format": "tap"}\n{"id": "ok1", "sh": "true"}\n{"id": "skip1", "sh": "exit 77"}\n' >fail.ndjson
	dagz run --log-dir logs -j 2 --manifest fail.ndjson >/dev/null 3>&- || :
	printf '{"id": "<img src=x onerror=alert(1)>", "sh": "echo \\"<script>alert(2)</script>\\"; exit 1"}\n' >xss.ndjson
	dagz run --log-dir logs --manifest xss.ndjson >/dev/null 3>&- || :
	# j4 reads a file; j5, with nothing changed, deselects both tests.
	echo data >data.txt
	printf '{"id": "d", "cmd": ["sh", "-c", "cat data.txt; sleep 0.3"]}\n{"id": "e", "cmd": ["cat", "data.txt"]}\n' >sel.ndjson
	dagz run --log-dir logs --manifest sel.ndjson >/dev/null 3>&-
	dagz run --log-dir logs --manifest sel.ndjson >/dev/null 3>&-
	echo "$DAGZ_URL" >"$BATS_FILE_TMPDIR/url"
}

setup() {
	DAGZ_URL=$(cat "$BATS_FILE_TMPDIR/url")
}

teardown_file() {
	dagzd_file_stop
}

# Fetches a URL with headers into $BATS_TEST_TMPDIR/h and the body into
# $BATS_TEST_TMPDIR/b; prints the status.
get() {
	curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" \
	    -w '%{http_code}' "$@"
}

header() {
	tr -d '\r' <"$BATS_TEST_TMPDIR/h" | sed -n "s/^$1: //Ip" | tail -n 1
}

body() {
	cat "$BATS_TEST_TMPDIR/b"
}

csp="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

@test "every page answers 200 as HTML with the CSP, nosniff and same-origin referrers; HEAD too" {
	for p in / /jobs /jobs/j1 /jobs/j2 '/jobs/j2?tab=tests' \
	    '/jobs/j2?tab=selection' '/jobs/j2?tab=timeline' \
	    '/jobs/j2?tab=errors&test=t%2Ft0001-init.sh' /flaky \
	    /tests/t%2Ft0001-init.sh /login; do
		[ "$(get "$DAGZ_URL$p")" = 200 ] || { echo "$p"; false; }
		[ "$(header content-type)" = "text/html; charset=utf-8" ]
		[ "$(header content-security-policy)" = "$csp" ]
		[ "$(header x-content-type-options)" = nosniff ]
		[ "$(header referrer-policy)" = same-origin ]
		grep -q '^<!DOCTYPE html>' "$BATS_TEST_TMPDIR/b"
		! grep -q '<script>\|style="\| on[a-z]*="' "$BATS_TEST_TMPDIR/b"
		len=$(wc -c <"$BATS_TEST_TMPDIR/b")
		[ "$(get -I "$DAGZ_URL$p")" = 200 ]
		[ "$(header content-type)" = "text/html; charset=utf-8" ]
		[ "$(header content-security-policy)" = "$csp" ]
		[ "$(header content-length)" = "$len" ]
	done
}

@test "the assets are served versioned, with their types and a long cache lifetime" {
	[ "$(get "$DAGZ_URL/jobs")" = 200 ]
	css=$(grep -o '/static/[0-9a-f]\{16\}/style.css' "$BATS_TEST_TMPDIR/b")
	js=$(grep -o '/static/[0-9a-f]\{16\}/app.js' "$BATS_TEST_TMPDIR/b")
	ico=$(grep -o '/static/[0-9a-f]\{16\}/favicon.svg' "$BATS_TEST_TMPDIR/b")
	[ "$(get "$DAGZ_URL$css")" = 200 ]
	[ "$(header content-type)" = "text/css; charset=utf-8" ]
	[ "$(header cache-control)" = "public, max-age=31536000, immutable" ]
	cmp "$BATS_TEST_TMPDIR/b" "$DAGZ_SRCDIR/cmd/dagzd/web/style.css"
	[ "$(get "$DAGZ_URL$js")" = 200 ]
	[ "$(header content-type)" = "text/javascript; charset=utf-8" ]
	cmp "$BATS_TEST_TMPDIR/b" "$DAGZ_SRCDIR/cmd/dagzd/web/app.js"
	[ "$(get -I "$DAGZ_URL$ico")" = 200 ]
	[ "$(header content-type)" = "image/svg+xml" ]
	[ "$(header x-content-type-options)" = nosniff ]
	# Another version is still served, but not kept.
	[ "$(get "$DAGZ_URL/static/0000000000000000/style.css")" = 200 ]
	[ "$(header cache-control)" = no-cache ]
	[ "$(get "$DAGZ_URL/static/nothing.css")" = 404 ]
}

@test "an unknown job, test or file is a 404 page" {
	[ "$(get "$DAGZ_URL/jobs/j99")" = 404 ]
	[ "$(header content-type)" = "text/html; charset=utf-8" ]
	[ "$(header content-security-policy)" = "$csp" ]
	grep -q '<h1 id="not-found">Unknown job <code>j99</code></h1>' "$BATS_TEST_TMPDIR/b"
	[ "$(get -I "$DAGZ_URL/jobs/j99")" = 404 ]
	[ "$(get "$DAGZ_URL/jobs/%3Cb%3E")" = 404 ]
	grep -q 'Unknown job <code>&lt;b&gt;</code>' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/tests/nope")" = 404 ]
	[ "$(header content-type)" = "text/html; charset=utf-8" ]
}

@test "the jobs list shows each job, newest first, with its counts" {
	[ "$(get "$DAGZ_URL/jobs")" = 200 ]
	run -0 python3 - "$BATS_TEST_TMPDIR/b" <<'EOP'
import sys, html.parser
class P(html.parser.HTMLParser):
    rows = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-job" in a:
            self.rows.append([a["data-job"], a["data-status"]])
        c = (a.get("class") or "x").split()[0]
        if tag == "td" and self.rows and c in ("passed", "failed", "flaky", "skipped", "nodes"):
            self.cell = c
    def handle_data(self, data):
        if getattr(self, "cell", None):
            self.rows[-1].append("%s=%s" % (self.cell, data))
            self.cell = None
p = P()
p.feed(open(sys.argv[1]).read())
for r in p.rows:
    print(" ".join(r))
EOP
	[ "$output" = "j5 passed passed=0 failed=0 flaky=0 skipped=0 nodes=1
j4 passed passed=2 failed=0 flaky=0 skipped=0 nodes=1
j3 failed passed=0 failed=1 flaky=0 skipped=0 nodes=1
j2 failed passed=1 failed=1 flaky=0 skipped=1 nodes=1
j1 passed passed=3 failed=0 flaky=0 skipped=0 nodes=1" ] || { echo "$output"; false; }
	grep -q '<a class="job-link" href="/jobs/j2">j2</a>' "$BATS_TEST_TMPDIR/b"
	# Compute saved: the recorded durations of j5's deselected tests, of
	# which d slept 0.3s (more on a loaded machine).
	saved=$(sed -n 's|.*<tr data-job="j5" .*<td class="saved num">\([0-9.]*\)s</td>.*|\1|p' \
	    "$BATS_TEST_TMPDIR/b")
	awk -v s="$saved" 'BEGIN { exit !(s >= 0.3 && s < 60) }'
	grep -q '<tr data-job="j4" .*<td class="saved num">0\.0s</td>' "$BATS_TEST_TMPDIR/b"
	grep -q '<td class="status st-failed" data-status="failed">' "$BATS_TEST_TMPDIR/b"
	grep -q '<time datetime="[0-9-]*T[0-9:]*Z">' "$BATS_TEST_TMPDIR/b"
	# Filters.
	[ "$(get "$DAGZ_URL/jobs?status=passed")" = 200 ]
	[ "$(grep -o 'data-job="[^"]*"' "$BATS_TEST_TMPDIR/b" | tr '\n' ' ')" = 'data-job="j5" data-job="j4" data-job="j1" ' ]
	[ "$(get "$DAGZ_URL/jobs?status=failed&page=2")" = 200 ]
	! grep -q 'data-job=' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/jobs?page=x")" = 400 ]
}

@test "a hostile test name is shown escaped, never as markup" {
	for p in /jobs/j3 '/jobs/j3?tab=tests' '/jobs/j3?tab=selection' \
	    '/jobs/j3?tab=timeline' \
	    '/jobs/j3?tab=errors&test=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E'; do
		[ "$(get "$DAGZ_URL$p")" = 200 ]
		grep -q '&lt;img src=x onerror=alert(1)&gt;' "$BATS_TEST_TMPDIR/b"
		! grep -q '<img' "$BATS_TEST_TMPDIR/b"
		! grep -q '<script>alert' "$BATS_TEST_TMPDIR/b"
	done
	grep -q '<pre class="log" data-attempt="1">&lt;script&gt;alert(2)&lt;/script&gt;$' "$BATS_TEST_TMPDIR/b"
	grep -q 'href="/tests/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E' "$BATS_TEST_TMPDIR/b"
}

@test "the Errors tab lists the failed test, its reason and failing case, and its log on request" {
	[ "$(get "$DAGZ_URL/jobs/j2?spanTypes=failures")" = 200 ]
	grep -q '<nav class="tabs"><a data-tab="errors" class="active"' "$BATS_TEST_TMPDIR/b"
	grep -q '<li data-test="t/t0001-init.sh">' "$BATS_TEST_TMPDIR/b"
	grep -q '<div class="reason">1 of 3 cases failed: init --bare</div>' "$BATS_TEST_TMPDIR/b"
	grep -q '<li data-case="init --bare">' "$BATS_TEST_TMPDIR/b"
	! grep -q 'data-case="init again"' "$BATS_TEST_TMPDIR/b"
	! grep -q 'data-test="ok1"' "$BATS_TEST_TMPDIR/b"
	span=$(curl -sS "$DAGZ_URL/api/v1/jobs/j2/tests?status=FAILED" | jq -r .span)
	# A bundle for each failed attempt (two retries followed).
	grep -q "<a class=\"bundle\" data-attempt=\"3\" href=\"/api/v1/spans/$span/bundle\" download" "$BATS_TEST_TMPDIR/b"
	[ "$(grep -o '<a class="bundle"' "$BATS_TEST_TMPDIR/b" | wc -l)" -eq 3 ]
	grep -q 'href="/jobs/j2?tab=errors&amp;test=t%2Ft0001-init.sh#logs"' "$BATS_TEST_TMPDIR/b"
	grep -q 'href="/tests/t%2Ft0001-init.sh' "$BATS_TEST_TMPDIR/b"
	! grep -q 'pre class="log"' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/jobs/j2?tab=errors&test=t%2Ft0001-init.sh")" = 200 ]
	grep -q '^# expected 0, got 1: LINE-OF-OUTPUT$' "$BATS_TEST_TMPDIR/b"
	grep -q '<pre class="log" data-attempt="1">' "$BATS_TEST_TMPDIR/b"
	# A passing job opens on its tests.
	[ "$(get "$DAGZ_URL/jobs/j1")" = 200 ]
	grep -q '<a data-tab="tests" class="active"' "$BATS_TEST_TMPDIR/b"
	# The UUID names the job as well.
	uuid=$(curl -sS "$DAGZ_URL/api/v1/jobs/j2" | jq -r .uuid)
	[ "$(get "$DAGZ_URL/jobs/$uuid")" = 200 ]
	grep -q '<span id="job-id">j2</span>' "$BATS_TEST_TMPDIR/b"
}

@test "the Tests tab sorts, searches and pages" {
	order() {
		get "$DAGZ_URL/jobs/j1?tab=tests$1" >/dev/null
		grep -o '<tr data-test="[^"]*"' "$BATS_TEST_TMPDIR/b" |
		    sed 's/.*="//; s/"//' | tr '\n' ' '
	}
	[ "$(order '')" = "a b c " ]
	[ "$(order '&sort=test&order=desc')" = "c b a " ]
	[ "$(order '&sort=duration&order=desc')" = "a c b " ]
	[ "$(order '&sort=duration&order=asc')" = "b c a " ]
	[ "$(order '&q=B')" = "b " ]
	[ "$(order '&page=2')" = "" ]
	grep -q 'page 2 of 1' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/jobs/j1?tab=tests&page=0")" = 400 ]
	[ "$(get "$DAGZ_URL/jobs/j2?tab=selection")" = 200 ]
	grep -q 'Selected: <b class="selected">3</b>; DESELECTED: <b class="deselected">0</b>' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/jobs/j5?tab=selection")" = 200 ]
	grep -q 'Selected: <b class="selected">0</b>; DESELECTED: <b class="deselected">2</b>' "$BATS_TEST_TMPDIR/b"
	grep -q '<tr data-test="d" data-selected="0">.*<td class="selected">left out</td><td class="status st-DESELECTED" data-status="DESELECTED">.*<td class="reasons">unchanged since baseline b4</td>' "$BATS_TEST_TMPDIR/b"
}

@test "the timeline has one row a worker and one bar an attempt" {
	[ "$(get "$DAGZ_URL/jobs/j1?tab=timeline")" = 200 ]
	workers=$(curl -sS "$DAGZ_URL/api/v1/jobs/j1/tests" | jq -r .worker | sort -u | wc -l)
	[ "$workers" -eq 2 ]
	[ "$(grep -c '^<g class="worker" data-worker="[0-9]*">' "$BATS_TEST_TMPDIR/b")" -eq 2 ]
	[ "$(grep -c '^<rect class="attempt st-OK"' "$BATS_TEST_TMPDIR/b")" -eq 3 ]
	grep -q '<title>a, attempt 1: OK in 0\.[2-9]s</title>' "$BATS_TEST_TMPDIR/b"
	grep -q '<svg id="timeline"' "$BATS_TEST_TMPDIR/b"
}

@test "a test's page shows its history and last failure's log, its id percent-encoded in links" {
	[ "$(get "$DAGZ_URL/tests/t%2Ft0001-init.sh")" = 200 ]
	grep -q '<code id="test-id">t/t0001-init.sh</code>' "$BATS_TEST_TMPDIR/b"
	grep -q '<tr data-job="j2"><td><a class="job-link" href="/jobs/j2">j2</a></td><td class="status st-FAILED" data-status="FAILED">' "$BATS_TEST_TMPDIR/b"
	grep -q '^# expected 0, got 1: LINE-OF-OUTPUT$' "$BATS_TEST_TMPDIR/b"
	grep -q '<span id="flaky-rate">0%</span>' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/flaky")" = 200 ]
	grep -q '<table id="flaky">' "$BATS_TEST_TMPDIR/b"
}

@test "with a token, pages need the login's cookie; the API still takes the token" {
	printf 'sekrit-token-123\n' >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	DAGZ_HOME=$BATS_TEST_TMPDIR/home2 dagzd_start --token-file "$BATS_TEST_TMPDIR/token"
	jar=$BATS_TEST_TMPDIR/jar
	[ "$(get "$DAGZ_URL/jobs")" = 401 ]
	[ "$(header content-type)" = "text/html; charset=utf-8" ]
	grep -q '<form class="login" id="login" method="post" action="/login">' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/api/v1/jobs")" = 401 ]
	[ "$(header content-type)" = "application/json" ]
	[ "$(get -H 'Authorization: Bearer sekrit-token-123' "$DAGZ_URL/api/v1/jobs")" = 200 ]
	# The assets need no login.
	[ "$(get -I "$DAGZ_URL/static/style.css")" = 200 ]
	# A wrong token, or a foreign origin, gets no cookie.
	[ "$(get -c "$jar" --data-urlencode token=wrong-token-000 "$DAGZ_URL/login")" = 403 ]
	grep -q 'id="wrong-token"' "$BATS_TEST_TMPDIR/b"
	[ -z "$(header set-cookie)" ]
	[ "$(get -c "$jar" -H 'Origin: http://evil.example' --data-urlencode token=sekrit-token-123 "$DAGZ_URL/login")" = 403 ]
	[ -z "$(header set-cookie)" ]
	[ "$(get -b "$jar" "$DAGZ_URL/jobs")" = 401 ]
	# The right one: a session cookie that is not the token.
	[ "$(get -c "$jar" -H "Origin: $DAGZ_URL" --data-urlencode token=sekrit-token-123 \
	    --data-urlencode next=/flaky "$DAGZ_URL/login")" = 303 ]
	[ "$(header location)" = /flaky ]
	cookie=$(header set-cookie)
	[[ "$cookie" =~ ^dagz_session=[0-9a-f]{64}\;\ Path=/\;\ HttpOnly\;\ SameSite=Strict\;\ Max-Age=[0-9]+$ ]]
	! grep -q sekrit "$jar"
	[ "$(get -b "$jar" "$DAGZ_URL/jobs")" = 200 ]
	[ "$(get -b "$jar" "$DAGZ_URL/flaky")" = 200 ]
	[ "$(get -b "$jar" "$DAGZ_URL/api/v1/jobs")" = 200 ]
	# A cookie reads, never writes.
	[ "$(get -b "$jar" -X POST "$DAGZ_URL/api/v1/shutdown")" = 401 ]
	# Logging out ends the session, not just the cookie.
	[ "$(get -b "$jar" -c "$jar" -X POST "$DAGZ_URL/logout")" = 303 ]
	[[ "$(header set-cookie)" == "dagz_session=; "*"Max-Age=0" ]]
	[ "$(get -H "Cookie: ${cookie%%;*}" "$DAGZ_URL/jobs")" = 401 ]
	dagzd_stop
}

@test "a running job shows a chip per test: passed, pending a retry, unfinished" {
	DAGZ_HOME=$BATS_TEST_TMPDIR/home3 dagzd_start
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' '{"id": "fast", "sh": "true"}' \
	    '{"id": "retried", "sh": "if [ -e m ]; then sleep 2; else touch m; exit 1; fi"}' \
	    '{"id": "slow", "sh": "sleep 2"}' >run.ndjson
	dagz run --log-dir logs -j 3 --manifest run.ndjson >run.out 3>&- &
	run_pid=$!
	for i in $(seq 60); do
		curl -sS "$DAGZ_URL/api/v1/jobs/j1/tests" 2>/dev/null | grep -q '"fast"' &&
		    curl -sS "$DAGZ_URL/jobs/j1" | grep -q 'chip pending' && break
		sleep 0.05
	done
	[ "$(get "$DAGZ_URL/jobs/j1")" = 200 ]
	grep -q '<div class="chips" data-job="j1"><span class="chip passed" data-status="OK" data-test="fast"></span><span class="chip pending" data-status="FAILED" data-test="retried"></span><span class="chip unfinished" data-status=""></span></div>' "$BATS_TEST_TMPDIR/b"
	[ "$(get "$DAGZ_URL/jobs")" = 200 ]
	grep -q '<tr class="chips-row">.*<span class="chip passed" data-status="OK" data-test="fast">' "$BATS_TEST_TMPDIR/b"
	wait "$run_pid"
	[ "$(get "$DAGZ_URL/jobs/j1")" = 200 ]
	! grep -q 'class="chip' "$BATS_TEST_TMPDIR/b"
	dagzd_stop
}
