/*
 * zb-junit.c: "zb junit J": a stored job as JUnit XML, for CI systems
 * that show test reports, with the logs of failed tests. Each test is a
 * testcase of the job's testsuite; a test that reported cases is also a
 * testsuite of its own, a testcase per case, so that CI names the case
 * that failed.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "junit.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

static const char *
str(json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

/* The last stored log of test, from the logs of the failed tests. */
static const char *
junit_log(json_t *logs, const char *test)
{
	const char *log = NULL;
	json_t *l;
	size_t i;

	json_array_foreach(logs, i, l)
		if (str(l, "test") != NULL && strcmp(str(l, "test"), test) == 0)
			log = str(l, "log");
	return (log);
}

/* How a test's status counts in the report. */
static int
junit_failed(const char *st)
{
	return (strcmp(st, "FAILED") == 0 || strcmp(st, "TIMEOUT") == 0 ||
	    strcmp(st, "CRASHED") == 0 || strcmp(st, "DEP_FAILED") == 0);
}

static int
junit_passed(const char *st)
{
	return (strcmp(st, "OK") == 0 || strcmp(st, "OK_FLAKY") == 0);
}

/*
 * A failure in quarantine, which failed no job: skipped, as CI systems
 * show it without failing, its cases left out.
 */
static int
junit_quarantined(json_t *t)
{
	return (json_is_true(json_object_get(t, "quarantined")) &&
	    junit_failed(str(t, "status")));
}

static void
junit_test(struct junit_writer *w, json_t *t, json_t *logs)
{
	const char *st = str(t, "status"), *reason = str(t, "reason");
	char *msg;

	junit_case_begin(w, str(t, "test"), NULL,
	    json_number_value(json_object_get(t, "duration")));
	if (junit_passed(st)) {
		junit_case_end(w);
		return;
	}
	if (reason == NULL)
		reason = st;
	if (junit_quarantined(t)) {
		xasprintf(&msg, "quarantined: %s: %s", st, reason);
		junit_property(w, "dagz.quarantined", "true");
		junit_outcome(w, JUNIT_SKIPPED, NULL, msg, NULL);
		free(msg);
	} else if (strcmp(st, "DAGZ_ERROR") == 0)
		junit_outcome(w, JUNIT_ERROR, st, reason, NULL);
	else if (junit_failed(st))
		junit_outcome(w, JUNIT_FAILURE, st, reason, NULL);
	else if (strcmp(st, "NOT_RUN") == 0) {
		/* As dagz run --junit says it: the test never ran. */
		xasprintf(&msg, "not run: %s", reason);
		junit_outcome(w, JUNIT_SKIPPED, NULL, msg, NULL);
		free(msg);
	} else
		junit_outcome(w, JUNIT_SKIPPED, NULL, reason, NULL);
	junit_output(w, 0, junit_log(logs, str(t, "test")));
	junit_case_end(w);
}

/* Whether test t reported any case ("1..0 # SKIP" reports none). */
static int
junit_has_cases(json_t *t)
{
	if (junit_quarantined(t))
		return (0);
	return (json_integer_value(json_object_get(json_object_get(t,
	    "cases"), "total")) > 0);
}

/*
 * Counts into suite the cases of test t in cases (ordered by test as
 * tests are) from *next, which is moved past them; returns the first.
 */
static size_t
junit_count_cases(json_t *t, json_t *cases, size_t *next,
    struct junit_suite *suite)
{
	const char *test = str(t, "test"), *st;
	json_t *c;
	size_t i, first;

	while (*next < json_array_size(cases) &&
	    strcmp(str(json_array_get(cases, *next), "test"), test) < 0)
		(*next)++;
	first = *next;
	for (i = first; i < json_array_size(cases); i++) {
		c = json_array_get(cases, i);
		if (strcmp(str(c, "test"), test) != 0)
			break;
		suite->tests++;
		st = str(c, "status");
		if (strcmp(st, "FAILED") == 0)
			suite->failures++;
		else if (strcmp(st, "SKIPPED") == 0 || strcmp(st, "TODO") == 0 ||
		    strcmp(st, "DESELECTED") == 0)
			suite->skipped++;
	}
	*next = i;
	return (first);
}

/* The testsuite of test t, from its cases (junit_count_cases). */
static void
junit_test_cases(struct junit_writer *w, json_t *t, json_t *cases,
    size_t *next)
{
	struct junit_suite suite;
	const char *test = str(t, "test"), *st, *reason;
	json_t *c, *dur;
	size_t i, first;

	memset(&suite, 0, sizeof suite);
	suite.name = test;
	suite.time = json_number_value(json_object_get(t, "duration"));
	first = junit_count_cases(t, cases, next, &suite);
	junit_suite_begin(w, &suite);
	for (i = first; i < *next; i++) {
		c = json_array_get(cases, i);
		st = str(c, "status");
		reason = str(c, "reason");
		dur = json_object_get(c, "duration");
		junit_case_begin(w, str(c, "case"), test, json_is_number(dur) ?
		    json_number_value(dur) : -1);
		if (strcmp(st, "FAILED") == 0) {
			junit_outcome(w, JUNIT_FAILURE, st, reason,
			    str(c, "output"));
		} else if (strcmp(st, "SKIPPED") == 0 ||
		    strcmp(st, "TODO") == 0)
			junit_outcome(w, JUNIT_SKIPPED, NULL, reason != NULL ?
			    reason : st, NULL);
		else if (strcmp(st, "DESELECTED") == 0)
			junit_outcome(w, JUNIT_SKIPPED, NULL, "deselected",
			    NULL);
		junit_case_end(w);
	}
	junit_suite_end(w);
}

int
zb_junit(int argc, char **argv)
{
	struct junit_suite suite, all;
	struct junit_writer *w;
	json_t *job, *tests, *logs, *t, *cases = NULL;
	const char *out = NULL, *st;
	char *id, *tmp = NULL;
	size_t i, next = 0, ncases = 0;
	FILE *f = stdout;
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o')
			zb_usage("junit");
		out = optarg;
	}
	if (argc - optind != 1)
		zb_usage("junit");
	id = zb_job_arg(argv[optind]);
	job = zb_get(STORE_API "/jobs/%s", id);
	tests = zb_get_lines(STORE_API "/jobs/%s/tests", id);
	logs = zb_get_lines(STORE_API "/jobs/%s/logs", id);
	json_array_foreach(tests, i, t)
		if (junit_has_cases(t))
			ncases++;
	if (ncases > 0)
		cases = zb_get_lines(STORE_API "/jobs/%s/cases?output=1", id);
	free(id);
	memset(&suite, 0, sizeof suite);
	suite.name = str(job, "id");
	suite.tests = json_array_size(tests);
	suite.time = json_number_value(json_object_get(job, "duration"));
	suite.timestamp = str(job, "started");
	json_array_foreach(tests, i, t) {
		st = str(t, "status");
		if (strcmp(st, "DAGZ_ERROR") == 0)
			suite.errors++;
		else if (junit_quarantined(t))
			suite.skipped++;
		else if (junit_failed(st))
			suite.failures++;
		else if (!junit_passed(st))
			suite.skipped++;
	}
	/*
	 * The document's counts are the job's tests and every case written
	 * (a quarantined test's are not: it is one skipped testcase).
	 */
	memcpy(&all, &suite, sizeof all);
	json_array_foreach(tests, i, t)
		if (junit_has_cases(t))
			junit_count_cases(t, cases, &next, &all);
	next = 0;
	if (out != NULL) {
		xasprintf(&tmp, "%s.tmp", out);
		if ((f = fopen(tmp, "w")) == NULL)
			err(DAGZ_EXIT_ERROR, "cannot write '%s'", tmp);
	}
	w = junit_writer_open(f);
	junit_suites_begin(w, &all);
	junit_suite_begin(w, &suite);
	junit_property(w, "dagz.job", str(job, "uuid"));
	json_array_foreach(tests, i, t)
		junit_test(w, t, logs);
	junit_suite_end(w);
	json_array_foreach(tests, i, t)
		if (junit_has_cases(t))
			junit_test_cases(w, t, cases, &next);
	if (junit_writer_close(w) == -1 ||
	    (out != NULL && (fclose(f) != 0 || rename(tmp, out) == -1)))
		err(DAGZ_EXIT_ERROR, "cannot write '%s'", out != NULL ? out :
		    "standard output");
	free(tmp);
	json_decref(job);
	json_decref(tests);
	json_decref(logs);
	json_decref(cases);
	return (DAGZ_EXIT_OK);
}
