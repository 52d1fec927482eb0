/*
 * unit-cases.c: cases_verdict, what a test's cases make of the status
 * its exit gave it, and of its reason; the cases a hook wrote as they
 * ran (cases_read_progress), and a pytest node id's JUnit name.
 */
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "unit.h"
#include "xmalloc.h"

/*
 * Checks that st with reason (or NULL) becomes want with want_reason.
 */
static void
check(const char *what, const struct case_list *l, enum test_status st,
    const char *reason, enum test_status want, const char *want_reason)
{
	enum test_status got;
	char *r = reason != NULL ? xstrdup(reason) : NULL;

	got = cases_verdict(l, st, &r);
	ok(got == want, "%s: %s, want %s", what, status_name(got),
	    status_name(want));
	is_str(r != NULL ? r : "(null)",
	    want_reason != NULL ? want_reason : "(null)", "%s: reason", what);
	free(r);
}

int
main(void)
{
	struct case_list l;
	const char *p;
	char *name;

	cases_init(&l);
	check("no report", &l, ST_FAILED, "exit 3", ST_FAILED, "exit 3");
	check("no report, passed", &l, ST_OK, NULL, ST_OK, NULL);

	cases_add(&l, "init --bare", CASE_OK, 0.1, NULL, NULL);
	cases_add(&l, "later", CASE_TODO, -1, "not yet", NULL);
	cases_add(&l, "fixed", CASE_TODO_OK, -1, NULL, NULL);
	cases_add(&l, "no db", CASE_SKIPPED, -1, "no db", NULL);
	check("all passed", &l, ST_OK, NULL, ST_OK, NULL);
	check("all passed, exit 1", &l, ST_FAILED, "exit 1", ST_FAILED,
	    "exit 1");
	check("all passed, exit 77", &l, ST_SKIPPED, NULL, ST_SKIPPED, NULL);

	cases_add(&l, "in\tsubdir", CASE_FAILED, 0.2, "boom", NULL);
	check("a failed case, exit 0", &l, ST_OK, NULL, ST_FAILED,
	    "1 of 3 cases failed: in\\tsubdir");
	check("a failed case names it over the exit", &l, ST_FAILED, "exit 1",
	    ST_FAILED, "1 of 3 cases failed: in\\tsubdir");
	check("a failed case, exit 77", &l, ST_SKIPPED, NULL, ST_FAILED,
	    "1 of 3 cases failed: in\\tsubdir");
	check("a timeout keeps its status", &l, ST_TIMEOUT,
	    "timed out after 2s", ST_TIMEOUT, "timed out after 2s");
	check("a crash keeps its status", &l, ST_CRASHED, "SIGSEGV", ST_CRASHED,
	    "SIGSEGV");
	check("so does dagz's own error", &l, ST_DAGZ_ERROR, "no pipe",
	    ST_DAGZ_ERROR, "no pipe");

	cases_set_error(&l, "planned 5 cases, ran 4");
	check("a plan error and a failed case", &l, ST_OK, NULL, ST_FAILED,
	    "planned 5 cases, ran 4, 1 of 3 cases failed: in\\tsubdir");
	cases_clear(&l);

	cases_add(&l, "a", CASE_OK, -1, NULL, NULL);
	cases_set_error(&l, "bail out: no database");
	check("bail out, exit 0", &l, ST_OK, NULL, ST_FAILED,
	    "bail out: no database");
	cases_clear(&l);

	l.present = 1;
	l.skip_all = xstrdup("no python");
	check("skip all", &l, ST_OK, NULL, ST_SKIPPED, "no python");
	check("skip all, exit 2", &l, ST_FAILED, "exit 2", ST_FAILED, "exit 2");
	free(l.skip_all);
	l.skip_all = xstrdup("");
	check("skip all without a reason", &l, ST_OK, NULL, ST_SKIPPED, NULL);
	cases_clear(&l);

	l.present = 1;
	check("a report of no cases", &l, ST_OK, NULL, ST_OK, NULL);
	cases_clear(&l);

	name = cases_nodeid_name("tests/sub/test_a.py::TestX::test_y[a::b/c]");
	is_str(name, "tests.sub.test_a.TestX.test_y[a::b/c]", "node id: "
	    "JUnit's name, the parameters kept");
	free(name);

	/* Ended, in order, with their outcomes; the one that hung, why. */
	p = "{\"case\": \"t.py::a\", \"started\": true}\n"
	    "{\"case\": \"t.py::a\", \"outcome\": \"passed\", "
	    "\"duration\": 0.5}\n"
	    "not JSON\n"
	    "{\"case\": \"t.py::b\", \"elements\": []}\n"
	    "{\"case\": \"t.py::b\", \"started\": true}\n"
	    "{\"case\": \"t.py::b\", \"outcome\": \"skipped\"}\n"
	    "{\"case\": \"t.py::c\", \"started\": true}\n"
	    "{\"case\": \"t.py::c\", \"outcome\": \"failed\"}\n"
	    "{\"case\": \"t.py::d\", \"started\": true}";
	name = cases_read_progress(p, strlen(p), &l, "hung");
	is_str(name != NULL ? name : "(null)", "t.d", "progress: the case "
	    "that did not end");
	ok(l.present && l.n == 4, "progress: %zu cases, want 4", l.n);
	ok(l.n == 4 && strcmp(l.v[0].name, "t.a") == 0 &&
	    l.v[0].status == CASE_OK && l.v[0].duration == 0.5 &&
	    l.v[1].status == CASE_SKIPPED && l.v[1].duration == -1 &&
	    l.v[2].status == CASE_FAILED && l.v[2].reason == NULL &&
	    l.v[3].status == CASE_FAILED && strcmp(l.v[3].reason,
	    "hung") == 0, "progress: outcomes, durations, the reason");
	free(name);
	cases_clear(&l);
	p = "{\"case\": \"t.py::a\", \"started\": true}\n"
	    "{\"case\": \"t.py::a\", \"outcome\": \"passed\"}\n";
	ok(cases_read_progress(p, strlen(p), &l, "hung") == NULL && l.n == 1,
	    "progress: every case ended");
	cases_clear(&l);
	ok(cases_read_progress(NULL, 0, &l, "hung") == NULL && !l.present,
	    "progress: no text, no cases");
	return (tap_done());
}
