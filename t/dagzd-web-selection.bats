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

# The bundled Python project in a git work tree of its own, a first job
# that records each case's code elements, and a change to one function:
# the second job, $sub, runs 6 of its 40 cases.
pyselect_subset() {
	export DAGZ_PROJECT=pyselect DAGZ_BRANCH=main PYTHONDONTWRITEBYTECODE=1
	export DAGZ_HOOKS_DIR="$DAGZ_SRCDIR/hooks"
	cp -R "$DAGZ_SRCDIR/t/suites/pyselect" "$BATS_TEST_TMPDIR/py"
	cd "$BATS_TEST_TMPDIR/py"
	git init -q -b main .
	git add -A
	git -c user.name=t -c user.email=t@t commit -qm base
	dagz_run --pytest --python /usr/bin/python3 --coverage python -j 2 \
	    >"$BATS_TEST_TMPDIR/first"
	sed -i 's|    return a / b$|    return a / b + 0|' pyselect/arith.py
	dagz_run --pytest --python /usr/bin/python3 --coverage python -j 2 \
	    >"$BATS_TEST_TMPDIR/second"
	grep -q 'selection: 6 of 40 cases of 2 tests run' \
	    "$BATS_TEST_TMPDIR/second"
	sub=$(sed -n 's/.* dagz: job \(j[0-9.]*\):.*/\1/p' \
	    "$BATS_TEST_TMPDIR/second" | head -1)
}

# What the page at URL $1 says of cases, one item a line: a test's row
# of the Selection tab or a test's logs, then the subset line, the
# reasons, the counts, each case with its status, the summary of the
# DESELECTED ones and the "and K more" lines, in the page's order.
case_items() {
	curl -sS "$1" >"$BATS_TEST_TMPDIR/page"
	/usr/bin/python3 - "$BATS_TEST_TMPDIR/page" <<'EOP'
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.li = None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "tr" and "data-test" in a:
            print("test " + a["data-test"])
        elif tag == "div" and a.get("id") == "logs":
            print("logs " + a["data-test"])
        elif tag == "li" and "data-case" in a:
            self.li = a["data-case"]
        elif tag == "span" and "status" in cls and self.li is not None:
            print("  case " + a["data-status"] + " " + self.li)
            self.li = None
        elif tag == "summary" or set(cls) & {"subset", "reason",
                "cases-count", "more"}:
            self.text = [tag if tag == "summary" else cls[0], ""]
    def handle_endtag(self, tag):
        if self.text is not None and tag in ("summary", "div", "span",
                "p", "li"):
            print("  " + self.text[0] + ": " + self.text[1])
            self.text = None
    def handle_data(self, data):
        if self.text is not None:
            self.text[1] += data
P().feed(open(sys.argv[1]).read())
EOP
}

@test "the Selection tab and a test's logs show the cases a subset left out" {
	pyselect_subset
	# The counts line: the cases of the tests that ran a subset.
	curl -sS "$DAGZ_URL/jobs/$sub?tab=selection" >"$BATS_TEST_TMPDIR/sel"
	grep -q '<span id="selection-cases">Cases: <b class="cases-ran">6</b> run, <b class="cases-deselected">34</b> DESELECTED in <b class="cases-tests">2</b> tests\.</span>' \
	    "$BATS_TEST_TMPDIR/sel"
	# Every DESELECTED case by default, collapsed in a details.
	[ "$(grep -o '<li data-case="[^"]*"><span class="status st-DESELECTED"' \
	    "$BATS_TEST_TMPDIR/sel" | wc -l)" = 34 ]
	[ "$(grep -o '<details class="deselected-cases"><summary>' \
	    "$BATS_TEST_TMPDIR/sel" | wc -l)" = 2 ]
	# At most &cases= of them, then how many more.
	run -0 case_items "$DAGZ_URL/jobs/$sub?tab=selection&cases=3"
	diff -u - <(printf '%s\n' "$output") <<'EOF'
test tests/test_one.py
  subset: ran 5 of 20 cases; 15 DESELECTED
  reason: changed: pyselect/arith.py#div
  summary: 15 DESELECTED cases
  case DESELECTED tests.test_one.test_add
  case DESELECTED tests.test_one.test_add_sub
  case DESELECTED tests.test_one.test_hypot
  more: and 12 more
test tests/test_two.py
  subset: ran 1 of 20 cases; 19 DESELECTED
  reason: changed: pyselect/arith.py#div
  summary: 19 DESELECTED cases
  case DESELECTED tests.test_two.test_area_sum
  case DESELECTED tests.test_two.test_biggest
  case DESELECTED tests.test_two.test_child
  more: and 16 more
EOF
	# A test's logs list its cases: those that ran, then the others.
	run -0 case_items "$DAGZ_URL/jobs/$sub?tab=errors&test=tests/test_one.py&cases=3"
	diff -u - <(printf '%s\n' "$output") <<'EOF'
logs tests/test_one.py
  cases-count: Cases: 5 run, 15 DESELECTED
  case OK tests.test_one.test_div
  case OK tests.test_one.test_div_by_zero
  case OK tests.test_one.test_mean
  more: and 2 more
  summary: 15 DESELECTED cases
  case DESELECTED tests.test_one.test_add
  case DESELECTED tests.test_one.test_add_sub
  case DESELECTED tests.test_one.test_hypot
  more: and 12 more
EOF
	# The first job ran every case: no subset, no cases line.
	run -0 case_items "$DAGZ_URL/jobs/j1?tab=selection"
	[ "$output" = "test tests/test_one.py
  reason: no baseline
test tests/test_two.py
  reason: no baseline" ]
	run -0 curl -sS "$DAGZ_URL/jobs/j1?tab=selection"
	[[ "$output" != *selection-cases* ]]
	run -0 case_items "$DAGZ_URL/jobs/j1?tab=errors&test=tests/test_two.py&cases=1"
	[ "$output" = "logs tests/test_two.py
  cases-count: Cases: 20 run
  case OK tests.test_two.test_rect_area
  more: and 19 more" ]
	# A bad bound is refused.
	run -0 curl -sS -o /dev/null -w '%{http_code}' \
	    "$DAGZ_URL/jobs/$sub?tab=selection&cases=0"
	[ "$output" = 400 ]
}
