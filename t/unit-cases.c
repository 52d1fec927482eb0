/*
 * unit-cases.c: cases_verdict, what a test's cases make of the status
 * its exit gave it, and of its reason.
 */
#include <stdlib.h>

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
	return (tap_done());
}
