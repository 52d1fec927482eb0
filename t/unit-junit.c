/*
 * unit-junit.c: the JUnit reader (pytest's XML, names, statuses, output,
 * entities, faults, limits) and the writer (escaping, document shape,
 * and what it writes reads back well-formed).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "junit.h"
#include "unit.h"
#include "xmalloc.h"

static char dir[] = "/tmp/unit-junit.XXXXXX";

static char *
path_of(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", dir, name);
	return (p);
}

static char *
write_file(const char *name, const char *text)
{
	char *p = path_of(name);
	FILE *f;

	if ((f = fopen(p, "w")) == NULL)
		err(1, "%s", p);
	fputs(text, f);
	fclose(f);
	return (p);
}

static const char pytest_xml[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite "
    "name=\"pytest\" errors=\"1\" failures=\"1\" skipped=\"2\" tests=\"6\" "
    "time=\"0.05\"><testcase classname=\"tests.test_a\" name=\"test_ok\" "
    "time=\"0.001\" /><testcase classname=\"tests.test_a\" "
    "name=\"test_fail\" time=\"0.25\"><failure message=\"assert 1 == 2\">"
    "def test_fail():\n&gt;       assert 1 == 2\nE       assert 1 == 2"
    "</failure><system-out>printed &amp; more\n</system-out><system-err>"
    "warned</system-err></testcase><testcase classname=\"tests.test_a\" "
    "name=\"test_err\" time=\"0.003\"><error message=\"failed on setup "
    "with &quot;ValueError&quot;\">trace</error></testcase><testcase "
    "classname=\"tests.test_a\" name=\"test_skip\" time=\"0.000\"><skipped "
    "type=\"pytest.skip\" message=\"no db\">/x.py:3: no db</skipped>"
    "</testcase><testcase classname=\"tests.test_a\" name=\"test_xfail\" "
    "time=\"x\"><skipped type=\"pytest.xfail\" message=\"bug 12\"/>"
    "</testcase><testcase name=\"bare\"/></testsuite></testsuites>\n";

static void
test_read_pytest(void)
{
	struct case_list l;
	char why[256], *p;
	int rc;

	p = write_file("pytest.xml", pytest_xml);
	cases_init(&l);
	rc = junit_read(p, &l, why, sizeof why);
	ok(rc == 0 && l.error == NULL && l.present, "pytest's XML reads");
	ok(l.n == 6, "a case a testcase (%zu)", l.n);
	if (l.n != 6)
		goto out;
	is_str(l.v[0].name, "tests.test_a.test_ok", "classname.name");
	ok(l.v[0].status == CASE_OK && l.v[0].duration == 0.001 &&
	    l.v[0].reason == NULL && l.v[0].output == NULL,
	    "a passing case: its time, no reason, no output");
	ok(l.v[1].status == CASE_FAILED && l.v[1].duration == 0.25,
	    "<failure> fails the case");
	is_str(l.v[1].reason, "assert 1 == 2", "the failure's message");
	is_str(l.v[1].output, "def test_fail():\n>       assert 1 == 2\n"
	    "E       assert 1 == 2\nprinted & more\nwarned",
	    "failure text, system-out, system-err, a line apart");
	ok(l.v[2].status == CASE_FAILED, "<error> fails the case");
	is_str(l.v[2].reason, "error: failed on setup with \"ValueError\"",
	    "an error's reason says so");
	is_str(l.v[2].output, "trace", "the error's text");
	ok(l.v[3].status == CASE_SKIPPED, "<skipped> skips");
	is_str(l.v[3].reason, "no db", "the skip's message");
	ok(l.v[3].output == NULL, "a skip's text is not output");
	ok(l.v[4].status == CASE_TODO && l.v[4].duration == -1,
	    "pytest.xfail is TODO; a time that is no number is unknown");
	is_str(l.v[4].reason, "bug 12", "the xfail's message");
	is_str(l.v[5].name, "bare", "no classname: the name alone");
out:
	cases_clear(&l);
	free(p);
}

static void
test_read_entities(void)
{
	struct case_list l;
	char why[256], *p;

	p = write_file("ent.xml", "<testsuite><testsuites><testsuite>"
	    "<testcase name=\"a&lt;b&#x263A;&#10;c\" classname=\"\">"
	    "<system-out><![CDATA[<raw> & ]]]]><![CDATA[>]]> &#233;"
	    "</system-out><testcase name=\"inner\"/></testcase></testsuite>"
	    "</testsuites><testcase name=\"top\"/></testsuite>");
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == 0, "nested suites read");
	ok(l.n == 2, "testcases at any depth, none inside a testcase");
	if (l.n == 2) {
		is_str(l.v[0].name, "a<b\xe2\x98\xba\nc",
		    "entities and character references in a name");
		is_str(l.v[0].output, "<raw> & ]]> \xc3\xa9",
		    "CDATA and references in output");
		is_str(l.v[1].name, "top", "the case after the nested suite");
	}
	cases_clear(&l);
	free(p);

	p = write_file("latin1.xml", "<?xml version=\"1.0\" encoding="
	    "\"ISO-8859-1\"?><testsuite><testcase name=\"caf\xe9\"/>"
	    "</testsuite>");
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == 0 && l.n == 1,
	    "a Latin-1 file reads");
	if (l.n == 1)
		is_str(l.v[0].name, "caf\xc3\xa9", "and its names are UTF-8");
	cases_clear(&l);
	free(p);
}

/* junit_read fails on the file with text, and says why. */
static void
read_fails(const char *name, const char *text, const char *cause)
{
	struct case_list l;
	char why[256], *p, *want;

	p = text != NULL ? write_file(name, text) : path_of(name);
	xasprintf(&want, "'%s': %s", p, cause);
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == -1, "%s: fails", name);
	is_str(why, want, "%s: the reason", name);
	is_str(l.error, want, "%s: the list's error", name);
	cases_clear(&l);
	free(want);
	free(p);
}

static void
test_read_faults(void)
{
	struct case_list l;
	char why[256], *p;
	FILE *f;

	read_fails("bad.xml", "<testsuite>\n<testcase name=\"a\"/>\n"
	    "<testcase name=\"b\" <\n</testsuite>\n",
	    "line 3: not well-formed (invalid token)");
	read_fails("cut.xml", "<testsuites><testsuite>\n<testcase name=\"a\">"
	    "<failure>", "line 2: no element found");
	read_fails("empty.xml", "", "line 1: no element found");
	read_fails("html.xml", "<?xml version=\"1.0\"?>\n<html><testcase "
	    "name=\"a\"/></html>",
	    "line 2: the root element is not testsuites or testsuite");
	read_fails("ctrl.xml", "<testsuite><testcase name=\"a\x01\"/>"
	    "</testsuite>", "line 1: not well-formed (invalid token)");
	read_fails("missing.xml", NULL, "No such file or directory");

	/* What was read before the fault is kept. */
	p = write_file("half.xml", "<testsuite><testcase name=\"a\"/>"
	    "<testcase name=\"b\">");
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == -1 && l.n == 1 &&
	    streq(l.v[0].name, "a") && l.error != NULL,
	    "the cases before a fault are kept with the error");
	cases_clear(&l);
	free(p);

	p = path_of("huge.xml");
	if ((f = fopen(p, "w")) == NULL ||
	    ftruncate(fileno(f), JUNIT_FILE_MAX + 1) == -1)
		err(1, "%s", p);
	fclose(f);
	free(p);
	read_fails("huge.xml", NULL, "larger than 64 MiB");
}

static void
test_read_limits(void)
{
	struct case_list l;
	char why[256], *p, *xml;
	size_t i, n = 100000;
	FILE *f;

	/* 3-byte characters, so the limit falls inside one. */
	p = path_of("long.xml");
	if ((f = fopen(p, "w")) == NULL)
		err(1, "%s", p);
	fputs("<testsuite><testcase name=\"long\"><system-out>", f);
	for (i = 0; i < n; i++)
		fputs("\xe2\x82\xac", f);
	fputs("</system-out></testcase><testcase name=\"next\"/>"
	    "</testsuite>", f);
	fclose(f);
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == 0 && l.n == 2,
	    "a long output reads");
	if (l.n == 2) {
		ok(strlen(l.v[0].output) == CASES_OUTPUT_MAX / 3 * 3,
		    "output cut to the limit at a character (%zu)",
		    strlen(l.v[0].output));
		ok(memcmp(l.v[0].output + strlen(l.v[0].output) - 3,
		    "\xe2\x82\xac", 3) == 0, "ending on a whole character");
		is_str(l.v[1].name, "next", "the case after it");
	}
	cases_clear(&l);
	free(p);

	/* Reasons are cut like outputs. */
	xml = xmalloc(n + 100);
	strlcpy(xml, "<testsuite><testcase name=\"r\"><failure message=\"",
	    n + 100);
	i = strlen(xml);
	memset(xml + i, 'x', n);
	xml[i + n] = '\0';
	strlcat(xml, "\"/></testcase></testsuite>", n + 100);
	p = write_file("reason.xml", xml);
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == 0 && l.n == 1 &&
	    strlen(l.v[0].reason) == CASES_OUTPUT_MAX, "a long message is cut");
	cases_clear(&l);
	free(p);
	free(xml);
}

static char *
escaped(const char *s, int attr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		err(1, "open_memstream");
	junit_escape(f, s, attr);
	fclose(f);
	return (buf);
}

#define FFFD	"\xef\xbf\xbd"

static void
test_escape(void)
{
	const char *in = "a<b>&\"c'\t\n\r\x01\x1b[0m\x7f\xff\xc3(\xc3\xa9"
	    "\xef\xbf\xbf\xed\xa0\x80\xf0\x9f\x98\x80\xc0\xaf";
	char *s;

	s = escaped(in, 0);
	is_str(s, "a&lt;b&gt;&amp;&quot;c'\t\n&#13;" FFFD FFFD "[0m\x7f"
	    FFFD FFFD "(\xc3\xa9" FFFD FFFD FFFD FFFD "\xf0\x9f\x98\x80"
	    FFFD FFFD, "text: markup, controls and bad UTF-8 replaced");
	free(s);
	s = escaped(in, 1);
	is_str(s, "a&lt;b&gt;&amp;&quot;c'&#9;&#10;&#13;" FFFD FFFD "[0m\x7f"
	    FFFD FFFD "(\xc3\xa9" FFFD FFFD FFFD FFFD "\xf0\x9f\x98\x80"
	    FFFD FFFD, "attribute: tab and newline as references too");
	free(s);
	s = escaped("", 1);
	is_str(s, "", "nothing from nothing");
	free(s);
}

static const char doc_want[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"all\" tests=\"4\" failures=\"1\" errors=\"0\" "
    "skipped=\"1\" time=\"2.500\" timestamp=\"2026-01-02T03:04:05Z\">\n"
    "  <testsuite name=\"s &amp; t\" tests=\"4\" failures=\"1\" "
    "errors=\"0\" skipped=\"1\">\n"
    "    <properties>\n"
    "      <property name=\"dagz.job\" value=\"u&quot;1\"/>\n"
    "      <property name=\"empty\" value=\"\"/>\n"
    "    </properties>\n"
    "    <testcase name=\"pass\" classname=\"c\" time=\"0.125\"/>\n"
    "    <testcase name=\"fail\" time=\"1.000\">\n"
    "      <flakyFailure type=\"FAILED\" message=\"exit 1\">"
    "a &lt; b\n</flakyFailure>\n"
    "      <failure type=\"FAILED\" message=\"exit&#10;2\"/>\n"
    "      <rerunFailure type=\"TIMEOUT\" message=\"m\">t</rerunFailure>\n"
    "      <system-out>out</system-out>\n"
    "      <system-err>err</system-err>\n"
    "    </testcase>\n"
    "    <testcase name=\"todo\">\n"
    "      <properties>\n"
    "        <property name=\"dagz.status\" value=\"TODO\"/>\n"
    "      </properties>\n"
    "      <skipped message=\"later\"/>\n"
    "      <error type=\"DAGZ_ERROR\"/>\n"
    "    </testcase>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"empty\" tests=\"0\" failures=\"0\" errors=\"0\" "
    "skipped=\"0\" time=\"0.000\"/>\n"
    "</testsuites>\n";

static void
test_writer(void)
{
	struct junit_suite all = { "all", 4, 1, 0, 1, 2.5,
	    "2026-01-02T03:04:05Z" };
	struct junit_suite one = { "s & t", 4, 1, 0, 1, -1, NULL };
	struct junit_suite none = { "empty", 0, 0, 0, 0, 0, NULL };
	struct junit_writer *w;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		err(1, "open_memstream");
	w = junit_writer_open(f);
	junit_suites_begin(w, &all);
	junit_suite_begin(w, &one);
	junit_property(w, "dagz.job", "u\"1");
	junit_property(w, "empty", NULL);
	junit_case_begin(w, "pass", "c", 0.125);
	junit_output(w, 0, "");
	junit_case_end(w);
	junit_case_begin(w, "fail", NULL, 1);
	junit_outcome(w, JUNIT_FLAKY_FAILURE, "FAILED", "exit 1", "a < b\n");
	junit_outcome(w, JUNIT_FAILURE, "FAILED", "exit\n2", NULL);
	junit_outcome(w, JUNIT_RERUN_FAILURE, "TIMEOUT", "m", "t");
	junit_output(w, 0, "out");
	junit_output(w, 1, "err");
	junit_case_end(w);
	junit_case_begin(w, "todo", NULL, -1);
	junit_property(w, "dagz.status", "TODO");
	junit_outcome(w, JUNIT_SKIPPED, NULL, "later", "");
	junit_outcome(w, JUNIT_ERROR, "DAGZ_ERROR", NULL, NULL);
	junit_case_end(w);
	junit_suite_end(w);
	junit_suite_begin(w, &none);
	/* Closing the writer ends what is open. */
	ok(junit_writer_close(w) == 0, "the writer closes");
	fclose(f);
	is_str(buf, doc_want, "the document, element by element");
	free(buf);
}

/* What the writer makes of hostile names reads back, well-formed. */
static void
test_round_trip(void)
{
	const char *names[] = { "<&\"'>", "tab\there\nnewline\r",
	    "bell\x07 esc\x1b[31m", "bad \xff\xfe utf-8", "]]> done" };
	const char *back[] = { "<&\"'>", "tab\there\nnewline\r",
	    "bell" FFFD " esc" FFFD "[31m", "bad " FFFD FFFD " utf-8",
	    "]]> done" };
	struct junit_suite one = { "s", 5, 5, 0, 0, 1, NULL };
	struct junit_writer *w;
	struct case_list l;
	char why[256], *p, *cmd;
	size_t i, n = sizeof names / sizeof names[0];
	FILE *f;

	p = path_of("hostile.xml");
	if ((f = fopen(p, "w")) == NULL)
		err(1, "%s", p);
	w = junit_writer_open(f);
	junit_suite_begin(w, &one);
	for (i = 0; i < n; i++) {
		junit_case_begin(w, names[i], NULL, 0);
		junit_outcome(w, JUNIT_FAILURE, "FAILED", names[i], names[i]);
		junit_case_end(w);
	}
	junit_writer_close(w);
	fclose(f);
	cases_init(&l);
	ok(junit_read(p, &l, why, sizeof why) == 0 && l.n == n,
	    "hostile names write well-formed XML%s%s", l.error ? ": " : "",
	    l.error ? l.error : "");
	for (i = 0; i < l.n && i < n; i++) {
		is_str(l.v[i].name, back[i], "name %zu reads back", i);
		is_str(l.v[i].reason, back[i], "message %zu reads back", i);
		is_str(l.v[i].output, back[i], "text %zu reads back", i);
	}
	cases_clear(&l);
	xasprintf(&cmd, "xmllint --noout '%s'", p);
	ok(system(cmd) == 0, "xmllint finds it well-formed");
	free(cmd);
	free(p);
}

int
main(void)
{
	char *cmd;

	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	test_read_pytest();
	test_read_entities();
	test_read_faults();
	test_read_limits();
	test_escape();
	test_writer();
	test_round_trip();
	xasprintf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		warnx("cannot remove '%s'", dir);
	free(cmd);
	return (tap_done());
}
