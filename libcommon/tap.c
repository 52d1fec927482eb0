/*
 * tap.c: the streaming TAP reader. Bytes are cut into lines here; each
 * line is read on its own, as prove reads it: a test line is held back
 * until the next one, so the diagnostics and YAML block that follow it
 * become its output, and indented subtests gather until the test line
 * that sums them up.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cases.h"
#include "tap.h"
#include "xmalloc.h"

/*
 * Output kept per case, a little over what cases_add keeps, so that it
 * can cut on a UTF-8 boundary.
 */
#define TAP_TEXT_MAX	(CASES_OUTPUT_MAX + 4)

/* Lines joined by newlines, at most TAP_TEXT_MAX bytes. */
struct tap_text {
	char	*s;
	size_t	 len;
};

/* What one "ok" or "not ok" line says. */
struct tap_test {
	int			 has_num;
	unsigned long long	 num;
	char			*desc;
	enum case_status	 status;
	char			*reason;	/* or NULL */
};

struct tap {
	char			*line;
	size_t			 len;
	size_t			 cap;
	int			 overlong;	/* dropping to the newline */

	struct case_list	 cases;
	int			 seen;		/* any TAP at all */
	int			 bailed;
	long long		 planned;	/* -1: no plan yet */
	int			 plan_after;	/* the plan came after cases */
	char			*plan_skip;	/* reason of "1..0 # SKIP" */
	unsigned long long	 next;		/* number expected next */

	int			 pending;	/* a test line held back */
	struct tap_test		 ptest;
	double			 pduration;
	struct tap_text		 pout;
	int			 yaml_ok;	/* a YAML block may start */
	int			 yaml;		/* inside a YAML block */

	int			 in_sub;	/* inside indented subtests */
	struct tap_text		 sub;
};

static void
tap_text_add(struct tap_text *x, const char *s)
{
	size_t n = strlen(s), room;

	if (x->s == NULL)
		x->s = xmalloc(TAP_TEXT_MAX + 1);
	else if (x->len < TAP_TEXT_MAX)
		x->s[x->len++] = '\n';
	room = TAP_TEXT_MAX - x->len;
	if (n > room)
		n = room;
	memcpy(x->s + x->len, s, n);
	x->len += n;
	x->s[x->len] = '\0';
}

static void
tap_text_clear(struct tap_text *x)
{
	free(x->s);
	x->s = NULL;
	x->len = 0;
}

static void
tap_test_clear(struct tap_test *tt)
{
	free(tt->desc);
	free(tt->reason);
	memset(tt, 0, sizeof *tt);
}

static void
tap_init(struct tap *t)
{
	memset(t, 0, sizeof *t);
	cases_init(&t->cases);
	t->planned = -1;
	t->next = 1;
}

struct tap *
tap_new(void)
{
	struct tap *t;

	t = xmalloc(sizeof *t);
	tap_init(t);
	return (t);
}

/* Frees what t holds, but not t itself. */
static void
tap_clear(struct tap *t)
{
	free(t->line);
	cases_clear(&t->cases);
	free(t->plan_skip);
	tap_test_clear(&t->ptest);
	tap_text_clear(&t->pout);
	tap_text_clear(&t->sub);
}

void
tap_free(struct tap *t)
{
	if (t == NULL)
		return;
	tap_clear(t);
	free(t);
}

static int
tap_isspace(char c)
{
	return (c == ' ' || c == '\t');
}

static char *
tap_skipspace(char *s)
{
	while (tap_isspace(*s))
		s++;
	return (s);
}

static void
tap_rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && tap_isspace(s[n - 1]))
		s[--n] = '\0';
}

/*
 * The directive after a '#' ("SKIP", "skipped:", "TODO", any case), as
 * prove reads it: its status and reason. Returns -1 if there is none.
 */
static int
tap_directive(char *s, int notok, enum case_status *st, char **reason)
{
	s = tap_skipspace(s);
	if (strncasecmp(s, "skip", 4) == 0)
		*st = CASE_SKIPPED;
	else if (strncasecmp(s, "todo", 4) == 0)
		*st = notok ? CASE_TODO : CASE_TODO_OK;
	else
		return (-1);
	while (*s != '\0' && !tap_isspace(*s))
		s++;
	s = tap_skipspace(s);
	*reason = NULL;
	if (*s != '\0') {
		*reason = xstrdup(s);
		tap_rtrim(*reason);
	}
	return (0);
}

/* Reads "ok"/"not ok", number, description, directive; -1 if not one. */
static int
tap_parse_test(char *s, struct tap_test *tt)
{
	int notok = 0;
	char *d, *p;

	memset(tt, 0, sizeof *tt);
	if (strncmp(s, "not ok", 6) == 0) {
		notok = 1;
		s += 6;
	} else if (strncmp(s, "ok", 2) == 0)
		s += 2;
	else
		return (-1);
	if (isalnum((unsigned char)*s) || *s == '_')
		return (-1);		/* "okay" */
	s = tap_skipspace(s);
	if (isdigit((unsigned char)*s)) {
		for (p = s; isdigit((unsigned char)*p); p++)
			;
		if (*p == '\0' || tap_isspace(*p) || *p == '#') {
			tt->has_num = 1;
			for (; s < p; s++) {
				if (tt->num > (~0ULL - 9) / 10)
					tt->num = ~0ULL;
				else
					tt->num = tt->num * 10 + (*s - '0');
			}
			s = tap_skipspace(s);
		}
	}
	if (*s == '-' && (s[1] == '\0' || tap_isspace(s[1])))
		s = tap_skipspace(s + 1);

	tt->status = notok ? CASE_FAILED : CASE_OK;
	tt->desc = d = xmalloc(strlen(s) + 1);
	for (p = s; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == '#') {
			*d++ = '#';
			p++;
		} else if (*p == '#' && tap_directive(p + 1, notok,
		    &tt->status, &tt->reason) == 0)
			break;
		else
			*d++ = *p;
	}
	*d = '\0';
	tap_rtrim(tt->desc);
	return (0);
}

/*
 * Reads "1..N" with an optional "# comment"; for "1..0 # SKIP why" sets
 * *skip to the reason. Returns -1 if s is not a plan.
 */
static int
tap_parse_plan(char *s, long long *n, char **skip)
{
	enum case_status st;
	char *reason;

	if (strncmp(s, "1..", 3) != 0 || !isdigit((unsigned char)s[3]))
		return (-1);
	*n = 0;
	for (s += 3; isdigit((unsigned char)*s); s++) {
		if (*n > (0x7fffffffffffffffLL - 9) / 10)
			return (-1);
		*n = *n * 10 + (*s - '0');
	}
	s = tap_skipspace(s);
	if (*s != '\0' && *s != '#')
		return (-1);
	*skip = NULL;
	if (*n != 0)
		return (0);
	reason = NULL;
	if (*s == '#' && tap_directive(s + 1, 0, &st, &reason) == 0 &&
	    st == CASE_SKIPPED && reason != NULL)
		*skip = reason;
	else {
		free(reason);
		*skip = xstrdup("skipped");
	}
	return (0);
}

/* "# Subtest: name", as Test::More and node-tap begin a subtest. */
static int
tap_is_subtest(char *s)
{
	if (*s != '#')
		return (0);
	s = tap_skipspace(s + 1);
	return (strncmp(s, "Subtest", 7) == 0 &&
	    (s[7] == '\0' || s[7] == ':' || tap_isspace(s[7])));
}

/* Whether an indented line is TAP, so begins subtests. */
static int
tap_is_nested(char *s)
{
	struct tap_test tt;
	long long n;
	char *skip;

	if (tap_is_subtest(s))
		return (1);
	if (tap_parse_test(s, &tt) == 0) {
		tap_test_clear(&tt);
		return (1);
	}
	if (tap_parse_plan(s, &n, &skip) == 0) {
		free(skip);
		return (1);
	}
	return (0);
}

/* Moves the test line held back into the cases. */
static void
tap_flush(struct tap *t)
{
	char num[32];
	const char *name;

	if (!t->pending)
		return;
	name = t->ptest.desc;
	if (*name == '\0') {
		snprintf(num, sizeof num, "%llu", t->ptest.num);
		name = num;
	}
	cases_add(&t->cases, name, t->ptest.status, t->pduration,
	    t->ptest.reason, t->pout.s);
	tap_test_clear(&t->ptest);
	tap_text_clear(&t->pout);
	t->pending = 0;
	t->yaml = t->yaml_ok = 0;
}

static void
tap_test_line(struct tap *t, struct tap_test *tt)
{
	tap_flush(t);
	if (t->plan_after)
		cases_set_error(&t->cases,
		    "plan 1..%lld in the middle of the cases", t->planned);
	if (!tt->has_num)
		tt->num = t->next;
	else if (tt->num != t->next)
		cases_set_error(&t->cases,
		    "case %llu out of sequence, expected %llu", tt->num,
		    t->next);
	t->next = tt->num + 1;
	t->ptest = *tt;
	t->pduration = -1;
	t->pout = t->sub;		/* the subtests it sums up */
	memset(&t->sub, 0, sizeof t->sub);
	t->in_sub = 0;
	t->pending = 1;
	t->yaml_ok = 1;
}

/* A line of the held-back test's YAML block; "duration_ms:" is read. */
static void
tap_yaml_line(struct tap *t, char *s)
{
	char *p, *end;
	double ms;

	tap_text_add(&t->pout, s);
	p = tap_skipspace(s);
	if (strncmp(p, "duration_ms:", 12) != 0)
		return;
	p = tap_skipspace(p + 12);
	ms = strtod(p, &end);
	if (end != p && *tap_skipspace(end) == '\0' && isfinite(ms) &&
	    ms >= 0)
		t->pduration = ms / 1000;
}

/* Reads one line, without its newline; s ends at its first NUL. */
static void
tap_line(struct tap *t, char *s)
{
	struct tap_test tt;
	char *body, *skip, *p;
	long long n;

	if (t->bailed)
		return;
	body = tap_skipspace(s);
	if (t->yaml) {
		if (body != s || *body == '\0') {
			p = xstrdup(body);
			tap_rtrim(p);
			if (strcmp(p, "...") == 0)
				t->yaml = t->yaml_ok = 0;
			free(p);
			tap_yaml_line(t, s);
			return;
		}
		t->yaml = t->yaml_ok = 0;	/* unterminated */
	}

	if (body != s) {
		if (!t->in_sub && t->pending && t->yaml_ok &&
		    strncmp(body, "---", 3) == 0 &&
		    (body[3] == '\0' || tap_isspace(body[3]))) {
			t->yaml = 1;
			tap_text_add(&t->pout, s);
		} else if (t->in_sub || tap_is_nested(body)) {
			t->in_sub = 1;
			tap_text_add(&t->sub, s);
		}
		return;
	}

	if (strncmp(s, "TAP version ", 12) == 0) {
		t->seen = 1;
		return;
	}
	if (strncmp(s, "Bail out!", 9) == 0) {
		t->seen = 1;
		tap_flush(t);
		p = tap_skipspace(s + 9);
		tap_rtrim(p);
		if (*p != '\0')
			cases_set_error(&t->cases, "bail out: %s", p);
		else
			cases_set_error(&t->cases, "bail out");
		t->bailed = 1;
		return;
	}
	if (tap_parse_test(s, &tt) == 0) {
		t->seen = 1;
		tap_test_line(t, &tt);
		return;
	}
	if (tap_parse_plan(s, &n, &skip) == 0) {
		t->seen = 1;
		t->yaml_ok = 0;
		if (t->planned >= 0) {
			free(skip);
			cases_set_error(&t->cases, "more than one plan");
			return;
		}
		t->planned = n;
		t->plan_skip = skip;
		t->plan_after = t->cases.n > 0 || t->pending;
		return;
	}
	if (*s == '#') {
		if (tap_is_subtest(s))
			t->in_sub = 1;
		if (t->in_sub)
			tap_text_add(&t->sub, s);
		else if (t->pending)
			tap_text_add(&t->pout, s);
	}
	/* Anything else is not TAP, and left alone. */
}

/* Ends the line gathered so far. */
static void
tap_endline(struct tap *t)
{
	if (t->line == NULL) {
		t->cap = 1;
		t->line = xmalloc(t->cap);
	}
	if (!t->overlong && t->len > 0 && t->line[t->len - 1] == '\r')
		t->len--;
	t->line[t->len] = '\0';
	tap_line(t, t->line);
	t->len = 0;
	t->overlong = 0;
}

/* Adds n bytes without a newline to the line gathered so far. */
static void
tap_append(struct tap *t, const char *s, size_t n)
{
	size_t room, want;

	if (t->overlong || n == 0)
		return;
	room = TAP_LINE_MAX - t->len;
	if (n > room) {
		n = room;
		t->overlong = 1;
	}
	if (t->len + n + 1 > t->cap) {
		want = t->cap > 0 ? t->cap : 256;
		while (want < t->len + n + 1)
			want *= 2;
		if (want > TAP_LINE_MAX + 1)
			want = TAP_LINE_MAX + 1;
		t->line = xreallocarray(t->line, want, 1);
		t->cap = want;
	}
	memcpy(t->line + t->len, s, n);
	t->len += n;
}

void
tap_feed(struct tap *t, const char *buf, size_t n)
{
	const char *nl;

	while (n > 0) {
		if ((nl = memchr(buf, '\n', n)) == NULL) {
			tap_append(t, buf, n);
			return;
		}
		tap_append(t, buf, nl - buf);
		tap_endline(t);
		n -= nl - buf + 1;
		buf = nl + 1;
	}
}

void
tap_finish(struct tap *t, struct case_list *l)
{
	struct case_list *c = &t->cases;

	if (t->len > 0 || t->overlong)
		tap_endline(t);
	tap_flush(t);
	if (t->seen && !t->bailed) {
		if (t->planned < 0)
			cases_set_error(c, "no plan");
		else if ((unsigned long long)t->planned != c->n)
			cases_set_error(c, "planned %lld case%s, ran %zu",
			    t->planned, t->planned == 1 ? "" : "s", c->n);
	}
	if (t->planned == 0 && c->n == 0 && c->error == NULL) {
		c->skip_all = t->plan_skip;
		t->plan_skip = NULL;
	}
	c->present |= t->seen;
	cases_move(l, c);
	tap_clear(t);
	tap_init(t);
}
