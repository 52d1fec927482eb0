/*
 * unit-sched-junit.c: the report of dagz run --junit for tests that
 * report cases: a suite a test, a testcase a case, earlier attempts as
 * flaky or rerun failures of their cases, a testcase for the test itself
 * when no case shows its failure or its flaky attempt, and hostile names
 * kept well-formed.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "junit.h"
#include "sched.h"
#include "unit.h"
#include "xmalloc.h"

#define DAY	86400.0

static void
attempt(struct attempt *a, enum test_status st, double start,
    double duration, const char *reason, const char *tail)
{
	memset(a, 0, sizeof *a);
	a->r.status = st;
	a->r.start = start;
	a->r.duration = duration;
	a->r.reason = reason != NULL ? xstrdup(reason) : NULL;
	a->r.tail = tail != NULL ? xstrdup(tail) : NULL;
	cases_init(&a->r.cases);
}

static void
test(struct test *t, const char *id, enum test_status st,
    struct attempt *a, int n)
{
	memset(t, 0, sizeof *t);
	t->def.id = xstrdup(id);
	t->status = st;
	t->attempts = a;
	t->nattempts = n;
}

static const char want[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"dagz\" tests=\"12\" failures=\"3\" errors=\"0\" "
    "skipped=\"1\" time=\"9.000\" timestamp=\"1970-01-02T00:00:00Z\">\n"
    "  <testsuite name=\"suite.ndjson\" tests=\"1\" failures=\"1\" "
    "errors=\"0\" skipped=\"0\" time=\"9.000\" "
    "timestamp=\"1970-01-02T00:00:00Z\">\n"
    "    <properties>\n"
    "      <property name=\"dagz.job\" value=\"uuid-1\"/>\n"
    "    </properties>\n"
    "    <testcase name=\"plain\" classname=\"suite.ndjson\" "
    "time=\"1.500\">\n"
    "      <failure type=\"FAILED\" message=\"exit 1\">boom\n</failure>\n"
    "      <system-out>boom\n</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"suite.t\" tests=\"5\" failures=\"1\" errors=\"0\" "
    "skipped=\"1\" time=\"0.750\" timestamp=\"1970-01-02T00:00:02Z\">\n"
    "    <testcase name=\"a\" classname=\"suite.t\" time=\"0.100\"/>\n"
    "    <testcase name=\"b\" classname=\"suite.t\" time=\"0.200\">\n"
    "      <flakyFailure type=\"FAILED\" message=\"b broke\">got 1"
    "</flakyFailure>\n"
    "    </testcase>\n"
    "    <testcase name=\"c\" classname=\"suite.t\">\n"
    "      <skipped message=\"no net\"/>\n"
    "    </testcase>\n"
    "    <testcase name=\"d\" classname=\"suite.t\">\n"
    "      <properties>\n"
    "        <property name=\"dagz.status\" value=\"TODO_OK\"/>\n"
    "      </properties>\n"
    "      <system-out>TODO_OK: later</system-out>\n"
    "    </testcase>\n"
    "    <testcase name=\"e\" classname=\"suite.t\" time=\"0.300\">\n"
    "      <failure type=\"FAILED\" message=\"e broke\">got &lt;2&gt;"
    "</failure>\n"
    "      <rerunFailure type=\"FAILED\" message=\"e broke again\"/>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"crashy\" tests=\"2\" failures=\"1\" errors=\"0\" "
    "skipped=\"0\" time=\"2.000\" timestamp=\"1970-01-02T00:00:03Z\">\n"
    "    <testcase name=\"x\" classname=\"crashy\"/>\n"
    "    <testcase name=\"crashy\" classname=\"crashy\" time=\"2.000\">\n"
    "      <failure type=\"CRASHED\" message=\"SIGSEGV\">core</failure>\n"
    "      <system-out>core</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"q&quot;&lt;&amp;\xef\xbf\xbd\" tests=\"2\" "
    "failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0.125\" "
    "timestamp=\"1970-01-02T00:00:04Z\">\n"
    "    <testcase name=\"bell\xef\xbf\xbd\" "
    "classname=\"q&quot;&lt;&amp;\xef\xbf\xbd\"/>\n"
    "    <testcase name=\"bad \xef\xbf\xbd&#10;line\" "
    "classname=\"q&quot;&lt;&amp;\xef\xbf\xbd\">\n"
    "      <system-out>\xef\xbf\xbd[0m</system-out>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"slow\" tests=\"2\" failures=\"0\" errors=\"0\" "
    "skipped=\"0\" time=\"3.000\" timestamp=\"1970-01-02T00:00:06Z\">\n"
    "    <testcase name=\"y\" classname=\"slow\"/>\n"
    "    <testcase name=\"slow\" classname=\"slow\" time=\"3.000\">\n"
    "      <flakyFailure type=\"TIMEOUT\" message=\"timed out\">hung"
    "</flakyFailure>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "</testsuites>\n";

int
main(void)
{
	char dir[] = "/tmp/unit-sched-junit.XXXXXX", why[256], *path, *cmd;
	struct attempt plain[1], suite[2], crashy[1], hostile[1], slow[2];
	struct test tests[5];
	struct case_list back;
	struct sched s;
	char *got = NULL;
	size_t len = 0, i;
	int j;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	xasprintf(&path, "%s/junit.xml", dir);
	memset(&s, 0, sizeof s);
	s.opt.junit = path;
	s.opt.suite_name = "/src/t/suite.ndjson";
	strlcpy(s.job, "uuid-1", sizeof s.job);
	s.t0_unix = DAY;

	attempt(&plain[0], ST_FAILED, DAY, 1.5, "exit 1", "boom\n");
	test(&tests[0], "plain", ST_FAILED, plain, 1);

	/* b fails, then passes; e is new in the retry and fails twice. */
	attempt(&suite[0], ST_FAILED, DAY + 1, 0.5, "exit 1", "tail");
	cases_add(&suite[0].r.cases, "a", CASE_OK, 0.1, NULL, NULL);
	cases_add(&suite[0].r.cases, "b", CASE_FAILED, 0.2, "b broke",
	    "got 1");
	cases_add(&suite[0].r.cases, "e", CASE_FAILED, -1, "e broke",
	    "got <2>");
	cases_add(&suite[0].r.cases, "d", CASE_TODO, -1, "later", NULL);
	attempt(&suite[1], ST_FAILED, DAY + 2, 0.25, "exit 1", "tail");
	cases_add(&suite[1].r.cases, "a", CASE_OK, 0.1, NULL, NULL);
	cases_add(&suite[1].r.cases, "b", CASE_OK, 0.2, NULL, NULL);
	cases_add(&suite[1].r.cases, "c", CASE_SKIPPED, -1, "no net", NULL);
	cases_add(&suite[1].r.cases, "d", CASE_TODO_OK, -1, "later", NULL);
	cases_add(&suite[1].r.cases, "e", CASE_FAILED, 0.3, "e broke again",
	    NULL);
	test(&tests[1], "suite.t", ST_FAILED, suite, 2);

	/* Every case passed, yet the test crashed. */
	attempt(&crashy[0], ST_CRASHED, DAY + 3, 2, "SIGSEGV", "core");
	cases_add(&crashy[0].r.cases, "x", CASE_OK, -1, NULL, NULL);
	test(&tests[2], "crashy", ST_CRASHED, crashy, 1);

	attempt(&hostile[0], ST_OK, DAY + 4, 0.125, NULL, NULL);
	cases_add(&hostile[0].r.cases, "bell\a", CASE_OK, -1, NULL, NULL);
	cases_add(&hostile[0].r.cases, "bad \xff\nline", CASE_OK, -1, NULL,
	    "\x1b[0m");
	test(&tests[3], "q\"<&\x01", ST_OK, hostile, 1);

	/* Passed after a timeout no case shows. */
	attempt(&slow[0], ST_TIMEOUT, DAY + 5, 2, "timed out", "hung");
	attempt(&slow[1], ST_OK, DAY + 6, 1, NULL, NULL);
	cases_add(&slow[1].r.cases, "y", CASE_OK, -1, NULL, NULL);
	test(&tests[4], "slow", ST_OK_FLAKY, slow, 2);

	s.tests = tests;
	s.ntests = 5;
	ok(report_junit(&s, 9) == 0, "the report is written");
	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	got = xmalloc(64 * 1024);
	len = fread(got, 1, 64 * 1024 - 1, f);
	got[len] = '\0';
	fclose(f);
	is_str(got, want, "a suite a test with cases, a testcase a case");

	cases_init(&back);
	ok(junit_read(path, &back, why, sizeof why) == 0 && back.n == 12,
	    "it reads back: %zu testcases", back.n);
	ok(cases_count(&back, CASE_FAILED) == 3 &&
	    cases_count(&back, CASE_SKIPPED) == 1, "3 failed, 1 skipped");
	cases_clear(&back);
	xasprintf(&cmd, "xmllint --noout '%s'", path);
	ok(system(cmd) == 0, "xmllint finds it well-formed");
	free(cmd);

	xasprintf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		warnx("cannot remove '%s'", dir);
	free(cmd);
	free(got);
	free(path);
	for (i = 0; i < s.ntests; i++) {
		for (j = 0; j < tests[i].nattempts; j++)
			proto_result_clear(&tests[i].attempts[j].r);
		testdef_clear(&tests[i].def);
	}
	return (tap_done());
}
