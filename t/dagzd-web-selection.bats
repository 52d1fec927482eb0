#!/usr/bin/env bats
# The Selection tab of a job's page and the reasons behind it: real dagz
# runs of a small project in a git work tree, with a dagzd of their own,
# then a change and a second run. Why the selection ran each test goes
# from the scheduler's record (the events file) to the store (GET
# /api/v1/jobs/J/tests, zb tests --json) and the page; what it left out
# shows as DESELECTED with its reason.

load helpers

setup() {
	proj="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$proj"
	cd "$proj"
	git init -q -b main .
	printf 'hello\n' >data.txt
	printf 'other\n' >other.txt
	for i in 1 2 3 4 5 6 7; do printf '%s\n' "$i" >"f$i.txt"; done
	cat >suite.ndjson <<'EOF'
{"id": "reader", "sh": "grep -q hello data.txt"}
{"id": "other", "sh": "cat other.txt"}
{"id": "wide", "sh": "cat f1.txt f2.txt f3.txt f4.txt f5.txt f6.txt f7.txt"}
EOF
	ev="$BATS_TEST_TMPDIR/ev.ndjson"
	dagzd_start
}

teardown() {
	dagzd_stop
}

# Runs the suite, its events in $ev.
srun() {
	rm -f "$ev"
	dagz_run --manifest suite.ndjson --events "$ev" "$@"
}

# The rows of the Selection tab of job $1: test, data-selected, status
# and reasons ("|" between them), one a line, in the page's order.
selection_rows() {
	curl -sS "$DAGZ_URL/jobs/$1?tab=selection" >"$BATS_TEST_TMPDIR/page"
	/usr/bin/python3 - "$BATS_TEST_TMPDIR/page" <<'EOP'
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.td, self.span = [], None, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-test" in a:
            self.rows.append([a["data-test"], a["data-selected"], "", []])
        if tag == "td" and self.rows:
            self.td = a.get("class", "")
            if "status" in self.td.split():
                self.rows[-1][2] = a["data-status"]
        if tag == "span" and self.td == "reasons":
            self.span = a.get("class") == "reason"
    def handle_endtag(self, tag):
        if tag == "td":
            self.td = None
        if tag == "span":
            self.span = False
    def handle_data(self, data):
        if self.td == "reasons" and (self.span or self.rows[-1][1] == "0"):
            self.rows[-1][3].append(data)
p = P()
p.feed(open(sys.argv[1]).read())
for r in p.rows:
    print(" ".join(r[:3]) + " | " + " | ".join(r[3]))
EOP
}

@test "the Selection tab gives the reasons each test ran or was left out" {
	run -0 srun
	# No baseline yet: every test runs, and says why.
	[ "$(jq -c 'select(.type=="result") | [.test, .selected]' "$ev")" = \
	    "$(printf '%s\n' '["other",["no baseline"]]' \
	    '["reader",["no baseline"]]' '["wide",["no baseline"]]' |
	    sort)" ] || jq -c 'select(.type=="result")' "$ev"
	run -0 selection_rows j1
	[ "$output" = "other 1 OK | no baseline
reader 1 OK | no baseline
wide 1 OK | no baseline" ]

	# A change to one file, to all of wide's, and a new test.
	printf 'hello again\n' >data.txt
	for i in 1 2 3 4 5 6 7; do printf 'x%s\n' "$i" >"f$i.txt"; done
	printf '{"id": "fresh", "sh": "true"}\n' >>suite.ndjson
	run -0 srun
	grep -q 'selection: 3 of 4 tests selected, 1 deselected against b1' \
	    <<<"$output"
	run -0 selection_rows j2
	[ "$output" = "fresh 1 OK | new
reader 1 OK | changed: data.txt
wide 1 OK | changed: f1.txt | changed: f2.txt | changed: f3.txt | changed: f4.txt | changed: f5.txt | and 2 more
other 0 DESELECTED | unchanged since baseline b1" ] || { echo "$output"; false; }
	grep -q '<p id="selection-counts">Selected: <b class="selected">3</b>; DESELECTED: <b class="deselected">1</b>; REDUNDANT: <b class="redundant">0</b>\.' \
	    "$BATS_TEST_TMPDIR/page"

	# The same reasons in the events file, the store's API and zb.
	[ "$(event_get "$ev" reader '.selected | join(",")')" = \
	    "changed: data.txt" ]
	[ "$(event_get "$ev" other 'has("selected")')" = false ]
	[ "$(event_get "$ev" wide '.selected | length')" = 6 ]
	run -0 curl -sS "$DAGZ_URL/api/v1/jobs/j2/tests"
	[ "$(jq -c '[.test, .selected]' <<<"$output")" = \
	    '["fresh",["new"]]
["other",null]
["reader",["changed: data.txt"]]
["wide",["changed: f1.txt","changed: f2.txt","changed: f3.txt","changed: f4.txt","changed: f5.txt","and 2 more"]]' ] ||
	    { echo "$output"; false; }
	run -0 zb tests --json j2
	[ "$(jq -c 'select(.test == "fresh") | .selected' <<<"$output")" = \
	    '["new"]' ]
}

@test "dagzd refuses a result whose selected is not an array of strings" {
	uuid=3b4e28ba-2fa1-4d2e-883f-0016d3cca427
	printf '{"type": "job", "uuid": "%s"}\n' "$uuid" >"$BATS_TEST_TMPDIR/b"
	printf '{"type": "result", "test": "t", "status": "OK", "attempt": 1, "selected": [1]}\n' >>"$BATS_TEST_TMPDIR/b"
	run -0 curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
	    -H 'Content-Type: application/x-ndjson' \
	    --data-binary @"$BATS_TEST_TMPDIR/b" \
	    "$DAGZ_URL/api/v1/jobs/$uuid/events"
	[ "$output" = 400 ]
	grep -q '"selected\\" must be an array of strings' "$BATS_TEST_TMPDIR/out" ||
	    { cat "$BATS_TEST_TMPDIR/out"; false; }
}
