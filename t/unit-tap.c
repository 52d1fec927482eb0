/*
 * unit-tap.c: unit tests of the streaming TAP reader. Every stream is
 * read three times (whole, a byte at a time, in uneven pieces) and the
 * three readings must agree; what was read is rendered as text and
 * compared with the text expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "tap.h"
#include "xmalloc.h"

#include "unit.h"

/* Reads n bytes of s, fed in pieces of step bytes (0: all at once). */
static void
read_tap(const char *s, size_t n, size_t step, struct case_list *l)
{
	struct tap *t;
	size_t off, k;

	cases_init(l);
	t = tap_new();
	if (step == 0)
		tap_feed(t, s, n);
	else {
		for (off = 0; off < n; off += k) {
			k = n - off < step ? n - off : step;
			tap_feed(t, s + off, k);
			step = step % 7 + 1;	/* 1..7 in turn */
		}
	}
	tap_finish(t, l);
	tap_free(t);
}

/*
 * The case list as lines: "STATUS name # reason (Ns)", then each line
 * of its output after "  > ", then "error: ...", "skip_all: ...", and
 * "no TAP" when none was seen.
 */
static char *
render(const struct case_list *l)
{
	char *buf = NULL, esc[1024], *line, *copy, *next;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	for (i = 0; i < l->n; i++) {
		cases_escape(l->v[i].name, esc, sizeof esc);
		fprintf(f, "%s %s", case_status_name(l->v[i].status), esc);
		if (l->v[i].reason != NULL)
			fprintf(f, " # %s", l->v[i].reason);
		if (l->v[i].duration >= 0)
			fprintf(f, " (%.3fs)", l->v[i].duration);
		fprintf(f, "\n");
		if (l->v[i].output == NULL)
			continue;
		copy = xstrdup(l->v[i].output);
		for (line = copy; line != NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			fprintf(f, "  > %s\n", line);
		}
		free(copy);
	}
	if (l->error != NULL)
		fprintf(f, "error: %s\n", l->error);
	if (l->skip_all != NULL)
		fprintf(f, "skip_all: %s\n", l->skip_all);
	if (!l->present)
		fprintf(f, "no TAP\n");
	fclose(f);
	return (buf);
}

/* Prints text as TAP comments, so that no line of it is read as TAP. */
static void
diag_text(const char *label, const char *s)
{
	const char *p;

	printf("# %s:\n", label);
	while (*s != '\0') {
		p = strchr(s, '\n');
		if (p == NULL)
			p = s + strlen(s);
		printf("#   |%.*s\n", (int)(p - s), s);
		s = *p == '\n' ? p + 1 : p;
	}
}

/*
 * Reads n bytes of TAP whole, a byte at a time and in pieces, and checks
 * that each reading renders as want.
 */
static void
check_n(const char *what, const char *tap, size_t n, const char *want)
{
	static const size_t steps[] = { 0, 1, 3 };
	static const char *const how[] = { "whole", "byte by byte",
	    "in pieces" };
	struct case_list l;
	char *got;
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		read_tap(tap, n, steps[i], &l);
		got = render(&l);
		ok(strcmp(got, want) == 0, "%s (%s)", what, how[i]);
		if (strcmp(got, want) != 0) {
			diag_text("got", got);
			diag_text("want", want);
		}
		free(got);
		cases_clear(&l);
	}
}

static void
check(const char *what, const char *tap, const char *want)
{
	check_n(what, tap, strlen(tap), want);
}

static void
test_plan(void)
{
	check("plan at the end",
	    "ok 1 - first\n"
	    "not ok 2 - second\n"
	    "ok 3\n"
	    "ok\n"
	    "ok - fifth\n"
	    "1..5\n",
	    "OK first\n"
	    "FAILED second\n"
	    "OK 3\n"
	    "OK 4\n"
	    "OK fifth\n");
	check("plan first, TAP 13",
	    "TAP version 13\n"
	    "1..2\n"
	    "ok 1 one\n"
	    "not ok 2 two\n",
	    "OK one\n"
	    "FAILED two\n");
	check("no plan",
	    "ok 1 - a\n"
	    "ok 2 - b\n",
	    "OK a\n"
	    "OK b\n"
	    "error: no plan\n");
	check("only a version line",
	    "TAP version 13\n",
	    "error: no plan\n");
	check("fewer cases than planned",
	    "1..5\nok 1\nok 2\nok 3\nok 4\n",
	    "OK 1\nOK 2\nOK 3\nOK 4\n"
	    "error: planned 5 cases, ran 4\n");
	check("more cases than planned",
	    "1..1\nok 1\nok 2\n",
	    "OK 1\nOK 2\n"
	    "error: planned 1 case, ran 2\n");
	check("two plans",
	    "1..1\nok 1\n1..1\n",
	    "OK 1\n"
	    "error: more than one plan\n");
	check("a plan in the middle",
	    "ok 1\n1..2\nok 2\n",
	    "OK 1\nOK 2\n"
	    "error: plan 1..2 in the middle of the cases\n");
	check("a number out of sequence",
	    "1..3\nok 1\nok 3\nok 2\n",
	    "OK 1\nOK 3\nOK 2\n"
	    "error: case 3 out of sequence, expected 2\n");
	check("a number twice",
	    "ok 1 - a\nok 1 - b\n1..2\n",
	    "OK a\nOK b\n"
	    "error: case 1 out of sequence, expected 2\n");
	check("numbers implied after a number",
	    "1..3\nok 1\nok\nok 3\n",
	    "OK 1\nOK 2\nOK 3\n");
}

static void
test_skip_all(void)
{
	check("skip all with a reason",
	    "1..0 # SKIP no database here\n",
	    "skip_all: no database here\n");
	check("skip all without a reason",
	    "1..0 # skip\n",
	    "skip_all: skipped\n");
	check("1..0 alone",
	    "1..0\n",
	    "skip_all: skipped\n");
	check("1..0 with a comment that is no SKIP",
	    "1..0 # nothing to do\n",
	    "skip_all: skipped\n");
	check("1..0 and yet a case",
	    "1..0 # SKIP why\nok 1\n",
	    "OK 1\n"
	    "error: planned 0 cases, ran 1\n");
}

static void
test_bail_out(void)
{
	check("bail out with a reason",
	    "1..3\n"
	    "ok 1 - a\n"
	    "# about to fail\n"
	    "Bail out!  no database \n"
	    "ok 2 - b\n"
	    "ok 3 - c\n",
	    "OK a\n"
	    "  > # about to fail\n"
	    "error: bail out: no database\n");
	check("bail out alone",
	    "Bail out!\n",
	    "error: bail out\n");
}

static void
test_directives(void)
{
	check("TODO and SKIP",
	    "1..8\n"
	    "not ok 1 - later # TODO not written yet\n"
	    "ok 2 - lucky # todo  fixed by chance \n"
	    "ok 3 - later too # TODO\n"
	    "ok 4 - needs root # SKIP not root\n"
	    "ok 5 # skipped: no network\n"
	    "not ok 6 skipped # SKIP not ready\n"
	    "ok 7 - plain # Skip\n"
	    "ok 8 - a comment # that is no directive\n",
	    "TODO later # not written yet\n"
	    "TODO_OK lucky # fixed by chance\n"
	    "TODO_OK later too\n"
	    "SKIPPED needs root # not root\n"
	    "SKIPPED 5 # no network\n"
	    "SKIPPED skipped # not ready\n"
	    "SKIPPED plain\n"
	    "OK a comment # that is no directive\n");
	check("escaped hash",
	    "ok 1 - a \\# SKIP b\n"
	    "ok 2 - issue #12 \\#13\n"
	    "1..2\n",
	    "OK a # SKIP b\n"
	    "OK issue #12 #13\n");
}

static void
test_output(void)
{
	struct case_list l;
	static const char many[] = "# 0123456789abcdef0123456789abcdef\n";
	char *tap, *p;
	size_t i, n = 1000;

	check("comments before the first case are not output",
	    "# starting\n"
	    "1..2\n"
	    "# still starting\n"
	    "ok 1 - a\n"
	    "# after a\n"
	    "#\tindented\n"
	    "not ok 2 - b\n"
	    "# after b\n",
	    "OK a\n"
	    "  > # after a\n"
	    "  > #\tindented\n"
	    "FAILED b\n"
	    "  > # after b\n");

	/* Many diagnostics: the output stops at CASES_OUTPUT_MAX. */
	tap = xmalloc(n * (sizeof many - 1) + 64);
	p = tap + sprintf(tap, "1..1\nnot ok 1 - chatty\n");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s", many);
	read_tap(tap, strlen(tap), 0, &l);
	ok(l.n == 1 && l.error == NULL && l.v[0].output != NULL &&
	    strlen(l.v[0].output) == CASES_OUTPUT_MAX &&
	    strncmp(l.v[0].output, many, sizeof many - 2) == 0,
	    "the output of a case is cut at %d bytes", CASES_OUTPUT_MAX);
	cases_clear(&l);
	free(tap);
}

static void
test_yaml(void)
{
	check("YAML blocks, as bats --formatter tap13 -T prints them",
	    "TAP version 13\n"
	    "1..3\n"
	    "ok 1 passes\n"
	    "  ---\n"
	    "  duration_ms: 30\n"
	    "  ...\n"
	    "not ok 2 fails\n"
	    "  ---\n"
	    "  duration_ms: 18.25\n"
	    "  message: |\n"
	    "    (in test file f.bats, line 6)\n"
	    "\n"
	    "      `false' failed\n"
	    "  ...\n"
	    "# after the block\n"
	    "not ok 3 skipped # SKIP not ready\n",
	    "OK passes (0.030s)\n"
	    "  >   ---\n"
	    "  >   duration_ms: 30\n"
	    "  >   ...\n"
	    "FAILED fails (0.018s)\n"
	    "  >   ---\n"
	    "  >   duration_ms: 18.25\n"
	    "  >   message: |\n"
	    "  >     (in test file f.bats, line 6)\n"
	    "  > \n"
	    "  >       `false' failed\n"
	    "  >   ...\n"
	    "  > # after the block\n"
	    "SKIPPED skipped # not ready\n");
	check("a YAML block that never ends",
	    "1..1\n"
	    "not ok 1 - cut\n"
	    "  ---\n"
	    "  message: gone\n",
	    "FAILED cut\n"
	    "  >   ---\n"
	    "  >   message: gone\n");
	check("a bad duration is left unknown",
	    "ok 1 - a\n"
	    "  ---\n"
	    "  duration_ms: soon\n"
	    "  ...\n"
	    "1..1\n",
	    "OK a\n"
	    "  >   ---\n"
	    "  >   duration_ms: soon\n"
	    "  >   ...\n");
}

static void
test_subtests(void)
{
	check("indented subtests, as Test::More prints them",
	    "TAP version 13\n"
	    "1..2\n"
	    "ok 1 - first\n"
	    "# about first\n"
	    "    # Subtest: inner\n"
	    "    ok 1 - x\n"
	    "    not ok 2 - y\n"
	    "    #   Failed test 'y'\n"
	    "    1..2\n"
	    "    # Looks like you failed 1 test of 2.\n"
	    "not ok 2 - inner\n"
	    "#   Failed test 'inner'\n",
	    "OK first\n"
	    "  > # about first\n"
	    "FAILED inner\n"
	    "  >     # Subtest: inner\n"
	    "  >     ok 1 - x\n"
	    "  >     not ok 2 - y\n"
	    "  >     #   Failed test 'y'\n"
	    "  >     1..2\n"
	    "  >     # Looks like you failed 1 test of 2.\n"
	    "  > #   Failed test 'inner'\n");
	check("subtests as node-tap prints them, nested twice",
	    "TAP version 13\n"
	    "# Subtest: outer\n"
	    "    # Subtest: deep\n"
	    "        ok 1 - d\n"
	    "        1..1\n"
	    "    ok 1 - deep\n"
	    "    1..1\n"
	    "ok 1 - outer # time=3ms\n"
	    "1..1\n",
	    "OK outer # time=3ms\n"
	    "  > # Subtest: outer\n"
	    "  >     # Subtest: deep\n"
	    "  >         ok 1 - d\n"
	    "  >         1..1\n"
	    "  >     ok 1 - deep\n"
	    "  >     1..1\n");
}

static void
test_garbage(void)
{
	static const char nul[] = "ok 1 - a\0b\nok 2\0 - c\n1..2\0junk\n";

	check("lines that are no TAP are left alone",
	    "hello\n"
	    "okay then\n"
	    "not okay\n"
	    "1..x\n"
	    "2..3\n"
	    "1..2 extra\n"
	    "   indented noise\n"
	    "ok 1 - a\n"
	    "   more noise\n"
	    "Bail out? no\n"
	    "TAP version\n"
	    "1..1\n",
	    "OK a\n");
	check("no TAP at all",
	    "make: nothing to be done\n"
	    "# a comment\n",
	    "no TAP\n");
	check("nothing", "", "no TAP\n");
	check("CRLF line ends",
	    "1..2\r\nok 1 - a\r\nnot ok 2 - b # TODO x\r\n",
	    "OK a\nTODO b # x\n");
	check("a last line without a newline",
	    "ok 1 - a\n1..1",
	    "OK a\n");
	check_n("NUL bytes end a line", nul, sizeof nul - 1,
	    "OK a\nOK 2\n");
}

static void
test_names(void)
{
	struct case_list l;
	static const char tap[] =
	    "1..2\n"
	    "ok 1 - caf\xc3\xa9 \x01\tand\\n \xff\n"
	    "ok 2 -  --  - dashes\n";

	read_tap(tap, sizeof tap - 1, 1, &l);
	ok(l.n == 2 && l.error == NULL, "two cases with odd names");
	if (l.n == 2) {
		is_str(l.v[0].name, "caf\xc3\xa9 \x01\tand\\n \xff",
		    "a name is kept byte for byte");
		is_str(l.v[1].name, "--  - dashes",
		    "only the first dash is taken off");
	}
	cases_clear(&l);
}

static void
test_long_line(void)
{
	struct case_list l;
	size_t big = 1024 * 1024, i, k;
	char *tap, *p, *want;

	tap = xmalloc(big + 64);
	p = tap + sprintf(tap, "1..2\nok 1 - ");
	memset(p, 'x', big);
	memcpy(p + big - 8, " # SKIP ", 8);
	p += big;
	p += sprintf(p, "\nnot ok 2 - after\n");
	want = xmalloc(TAP_LINE_MAX + 1);
	memset(want, 'x', TAP_LINE_MAX - 7);
	want[TAP_LINE_MAX - 7] = '\0';

	for (k = 0; k < 2; k++) {
		read_tap(tap, p - tap, k == 0 ? 0 : 1, &l);
		ok(l.n == 2 && l.error == NULL, "a 1 MiB line (%s)",
		    k == 0 ? "whole" : "byte by byte");
		ok(l.n == 2 && l.v[0].status == CASE_OK &&
		    streq(l.v[0].name, want),
		    "it is read from its first %d bytes", TAP_LINE_MAX);
		ok(l.n == 2 && l.v[1].status == CASE_FAILED &&
		    streq(l.v[1].name, "after"), "the next line is read");
		cases_clear(&l);
	}

	/* A long line of garbage between cases, fed in large pieces. */
	p = tap + sprintf(tap, "ok 1 - a\n");
	for (i = 0; i < big; i++)
		*p++ = i % 64 == 63 ? ' ' : 'n';
	p += sprintf(p, "\nok 2 - b\n1..2\n");
	read_tap(tap, p - tap, 0, &l);
	ok(l.n == 2 && l.error == NULL && streq(l.v[1].name, "b") &&
	    l.v[0].output == NULL, "a 1 MiB garbage line is skipped");
	cases_clear(&l);
	free(want);
	free(tap);
}

/* The reader appends to the list and can be used again. */
static void
test_append(void)
{
	static const char first[] = "1..1\nnot ok 1 - x\n";
	static const char second[] = "ok 1 - y\n1..1\n";
	struct case_list l;
	struct tap *t;
	char *got;

	cases_init(&l);
	cases_add(&l, "before", CASE_OK, 1.5, NULL, NULL);
	t = tap_new();
	tap_feed(t, first, strlen(first));
	tap_finish(t, &l);
	tap_feed(t, second, strlen(second));
	tap_finish(t, &l);
	tap_free(t);
	got = render(&l);
	is_str(got, "OK before (1.500s)\nFAILED x\nOK y\n",
	    "cases are appended; the reader starts anew after finishing");
	free(got);
	cases_clear(&l);
}

static void
test_real_world(void)
{
	check("bats --tap, one test failing",
	    "1..4\n"
	    "ok 1 passes\n"
	    "not ok 2 fails with #hash\n"
	    "# (in test file f.bats, line 6)\n"
	    "#   `false' failed\n"
	    "# some output\n"
	    "ok 3 skipped # skip not ready\n"
	    "ok 4 skipped no reason # skip\n",
	    "OK passes\n"
	    "FAILED fails with #hash\n"
	    "  > # (in test file f.bats, line 6)\n"
	    "  > #   `false' failed\n"
	    "  > # some output\n"
	    "SKIPPED skipped # not ready\n"
	    "SKIPPED skipped no reason\n");
	check("git's test-lib, one test failing",
	    "ok 1 - setup\n"
	    "not ok 2 - init --bare\n"
	    "#\t\n"
	    "#\t\tgit init --bare bare.git &&\n"
	    "#\t\ttest -d bare.git/objects\n"
	    "#\t\n"
	    "# failed 1 among 2 test(s)\n"
	    "1..2\n",
	    "OK setup\n"
	    "FAILED init --bare\n"
	    "  > #\t\n"
	    "  > #\t\tgit init --bare bare.git &&\n"
	    "  > #\t\ttest -d bare.git/objects\n"
	    "  > #\t\n"
	    "  > # failed 1 among 2 test(s)\n");
	check("git's test-lib, a test skipped",
	    "ok 1 # skip cvs import (missing CVS)\n"
	    "# passed all 1 test(s)\n"
	    "1..1\n",
	    "SKIPPED 1 # cvs import (missing CVS)\n"
	    "  > # passed all 1 test(s)\n");
	check("git's test-lib, skipping all",
	    "1..0 # SKIP skipping cvs tests, cvs not found\n",
	    "skip_all: skipping cvs tests, cvs not found\n");
}

int
main(void)
{
	test_plan();
	test_skip_all();
	test_bail_out();
	test_directives();
	test_output();
	test_yaml();
	test_subtests();
	test_garbage();
	test_names();
	test_long_line();
	test_append();
	test_real_world();
	return (tap_done());
}
