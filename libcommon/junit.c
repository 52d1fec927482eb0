/*
 * junit.c: JUnit XML read with expat into a case_list (what pytest and
 * other runners write to $DAGZ_JUNIT), and the one streaming writer of
 * the JUnit reports dagz and zb hand to CI systems.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <expat.h>

#include "junit.h"
#include "xmalloc.h"

/* Reading. */

/* Collected text, kept to one byte over what cases_add keeps. */
#define JUNIT_TEXT_MAX	(CASES_OUTPUT_MAX + 1)
#define JUNIT_CHUNK	(64 * 1024)

struct junit_text {
	char	*s;
	size_t	 n;
};

enum junit_collect { COLLECT_NONE, COLLECT_FAILURE, COLLECT_OUT,
    COLLECT_ERR };

struct junit_parse {
	XML_Parser		 p;
	struct case_list	*l;
	const char		*path;
	char			 err[256];	/* a fault expat cannot see */
	int			 depth;		/* of the element, root 1 */
	int			 case_depth;	/* of the open testcase or 0 */
	enum junit_collect	 collect;
	int			 collect_depth;
	char			*name;
	double			 time;
	enum case_status	 status;
	char			*reason;
	struct junit_text	 text[3];	/* failure, out, err */
};

static const char *
junit_attr(const XML_Char **atts, const char *name)
{
	for (; atts[0] != NULL; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return (atts[1]);
	return (NULL);
}

static double
junit_time(const char *s)
{
	char *end;
	double d;

	if (s == NULL || *s == '\0')
		return (-1);
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(d >= 0))
		return (-1);
	return (d);
}

static void
junit_text_add(struct junit_text *t, const char *s, size_t n)
{
	if (t->n >= JUNIT_TEXT_MAX)
		return;
	if (n > JUNIT_TEXT_MAX - t->n)
		n = JUNIT_TEXT_MAX - t->n;
	t->s = xreallocarray(t->s, t->n + n + 1, 1);
	memcpy(t->s + t->n, s, n);
	t->n += n;
	t->s[t->n] = '\0';
}

/* The texts of the case joined a line apart, or NULL when all empty. */
static char *
junit_case_output(struct junit_parse *jp)
{
	struct junit_text all = { NULL, 0 };
	int i;

	for (i = 0; i < 3; i++) {
		if (jp->text[i].n == 0)
			continue;
		if (all.n > 0 && all.s[all.n - 1] != '\n')
			junit_text_add(&all, "\n", 1);
		junit_text_add(&all, jp->text[i].s, jp->text[i].n);
	}
	return (all.s);
}

static void
junit_case_reset(struct junit_parse *jp)
{
	int i;

	free(jp->name);
	free(jp->reason);
	jp->name = jp->reason = NULL;
	for (i = 0; i < 3; i++) {
		free(jp->text[i].s);
		jp->text[i].s = NULL;
		jp->text[i].n = 0;
	}
	jp->case_depth = 0;
	jp->collect = COLLECT_NONE;
}

/* A failure outranks a skip, which outranks passing. */
static void
junit_case_status(struct junit_parse *jp, enum case_status st,
    const char *reason)
{
	if (jp->status == CASE_FAILED ||
	    (st != CASE_FAILED && jp->status != CASE_OK))
		return;
	jp->status = st;
	free(jp->reason);
	jp->reason = reason != NULL ? xstrdup(reason) : NULL;
}

static void
junit_case_start(struct junit_parse *jp, const XML_Char **atts)
{
	const char *name, *classname;

	name = junit_attr(atts, "name");
	classname = junit_attr(atts, "classname");
	if (name == NULL)
		name = "";
	if (classname != NULL && *classname != '\0')
		xasprintf(&jp->name, "%s%s%s", classname, *name != '\0' ?
		    "." : "", name);
	else
		jp->name = xstrdup(name);
	jp->time = junit_time(junit_attr(atts, "time"));
	jp->status = CASE_OK;
	jp->case_depth = jp->depth;
}

static void
junit_child_start(struct junit_parse *jp, const char *el,
    const XML_Char **atts)
{
	const char *msg, *type;
	char *r;

	msg = junit_attr(atts, "message");
	type = junit_attr(atts, "type");
	if (msg != NULL && *msg == '\0')
		msg = NULL;
	if (strcmp(el, "failure") == 0) {
		junit_case_status(jp, CASE_FAILED, msg != NULL ? msg : type);
		jp->collect = COLLECT_FAILURE;
	} else if (strcmp(el, "error") == 0) {
		xasprintf(&r, "error: %s", msg != NULL ? msg :
		    type != NULL ? type : "error");
		junit_case_status(jp, CASE_FAILED, r);
		free(r);
		jp->collect = COLLECT_FAILURE;
	} else if (strcmp(el, "skipped") == 0) {
		if (type != NULL && strcmp(type, "pytest.xfail") == 0)
			junit_case_status(jp, CASE_TODO, msg);
		else
			junit_case_status(jp, CASE_SKIPPED, msg);
	} else if (strcmp(el, "system-out") == 0)
		jp->collect = COLLECT_OUT;
	else if (strcmp(el, "system-err") == 0)
		jp->collect = COLLECT_ERR;
	if (jp->collect != COLLECT_NONE)
		jp->collect_depth = jp->depth;
}

static void XMLCALL
junit_start(void *arg, const XML_Char *el, const XML_Char **atts)
{
	struct junit_parse *jp = arg;

	jp->depth++;
	if (jp->depth == 1 && strcmp(el, "testsuites") != 0 &&
	    strcmp(el, "testsuite") != 0) {
		snprintf(jp->err, sizeof jp->err, "'%s': line %lu: the root "
		    "element is not testsuites or testsuite", jp->path,
		    (unsigned long)XML_GetCurrentLineNumber(jp->p));
		XML_StopParser(jp->p, XML_FALSE);
		return;
	}
	if (jp->case_depth == 0) {
		if (strcmp(el, "testcase") == 0)
			junit_case_start(jp, atts);
	} else if (jp->depth == jp->case_depth + 1)
		junit_child_start(jp, el, atts);
}

static void XMLCALL
junit_end(void *arg, const XML_Char *el)
{
	struct junit_parse *jp = arg;
	char *out;

	(void)el;
	if (jp->collect != COLLECT_NONE && jp->depth == jp->collect_depth)
		jp->collect = COLLECT_NONE;
	if (jp->case_depth != 0 && jp->depth == jp->case_depth) {
		out = junit_case_output(jp);
		cases_add(jp->l, jp->name, jp->status, jp->time, jp->reason,
		    out);
		free(out);
		junit_case_reset(jp);
	}
	jp->depth--;
}

static void XMLCALL
junit_chars(void *arg, const XML_Char *s, int len)
{
	struct junit_parse *jp = arg;

	if (jp->collect != COLLECT_NONE && len > 0)
		junit_text_add(&jp->text[jp->collect - 1], s, len);
}

/* Feeds the file to the parser; the reason of a fault into err. */
static int
junit_parse_fd(struct junit_parse *jp, int fd, char *err, size_t len)
{
	size_t total = 0;
	ssize_t n;
	void *buf;

	for (;;) {
		if ((buf = XML_GetBuffer(jp->p, JUNIT_CHUNK)) == NULL) {
			snprintf(err, len, "'%s': out of memory", jp->path);
			return (-1);
		}
		if ((n = read(fd, buf, JUNIT_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, len, "'%s': %s", jp->path,
			    strerror(errno));
			return (-1);
		}
		total += n;
		if (total > JUNIT_FILE_MAX) {
			snprintf(err, len, "'%s': larger than %d MiB",
			    jp->path, JUNIT_FILE_MAX / (1024 * 1024));
			return (-1);
		}
		if (XML_ParseBuffer(jp->p, n, n == 0) != XML_STATUS_OK) {
			if (jp->err[0] != '\0')
				strlcpy(err, jp->err, len);
			else
				snprintf(err, len, "'%s': line %lu: %s",
				    jp->path, (unsigned long)
				    XML_GetCurrentLineNumber(jp->p),
				    XML_ErrorString(XML_GetErrorCode(jp->p)));
			return (-1);
		}
		if (n == 0)
			return (0);
	}
}

int
junit_read(const char *path, struct case_list *l, char *err, size_t len)
{
	struct junit_parse jp;
	struct stat sb;
	int fd, rc = -1;

	memset(&jp, 0, sizeof jp);
	jp.l = l;
	jp.path = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		snprintf(err, len, "'%s': %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(err, len, "'%s': %s", path, strerror(EISDIR));
		goto out;
	}
	if (sb.st_size > JUNIT_FILE_MAX) {
		snprintf(err, len, "'%s': larger than %d MiB", path,
		    JUNIT_FILE_MAX / (1024 * 1024));
		goto out;
	}
	if ((jp.p = XML_ParserCreate(NULL)) == NULL) {
		snprintf(err, len, "'%s': out of memory", path);
		goto out;
	}
	XML_SetUserData(jp.p, &jp);
	XML_SetElementHandler(jp.p, junit_start, junit_end);
	XML_SetCharacterDataHandler(jp.p, junit_chars);
	rc = junit_parse_fd(&jp, fd, err, len);
	XML_ParserFree(jp.p);
	junit_case_reset(&jp);
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		cases_set_error(l, "%s", err);
	else
		l->present = 1;
	return (rc);
}

/* Writing. */

#define JUNIT_DEPTH_MAX	8

struct junit_writer {
	FILE		*f;
	const char	*open[JUNIT_DEPTH_MAX];	/* elements, outermost first */
	int		 depth;
	int		 tag_open;	/* the last start tag lacks its '>' */
};

static void
junit_indent(struct junit_writer *w)
{
	int i;

	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Ends a pending start tag, so the element can have content. */
static void
junit_tag_close(struct junit_writer *w)
{
	if (w->tag_open) {
		fputs(">\n", w->f);
		w->tag_open = 0;
	}
}

static void
junit_pop(struct junit_writer *w)
{
	if (w->depth == 0)
		return;
	if (w->tag_open) {
		fputs("/>\n", w->f);
		w->tag_open = 0;
		w->depth--;
		return;
	}
	w->depth--;
	junit_indent(w);
	fprintf(w->f, "</%s>\n", w->open[w->depth]);
}

/* Ends the <properties> that junit_property left open, if any. */
static void
junit_props_end(struct junit_writer *w)
{
	if (w->depth > 0 && strcmp(w->open[w->depth - 1], "properties") == 0)
		junit_pop(w);
}

/* Writes the start of an element, its '>' left for junit_tag_close. */
static void
junit_push(struct junit_writer *w, const char *el)
{
	junit_props_end(w);
	junit_tag_close(w);
	junit_indent(w);
	fprintf(w->f, "<%s", el);
	if (w->depth < JUNIT_DEPTH_MAX)
		w->open[w->depth++] = el;
	w->tag_open = 1;
}

static void
junit_attr_str(struct junit_writer *w, const char *name, const char *v)
{
	if (v == NULL)
		return;
	fprintf(w->f, " %s=\"", name);
	junit_escape(w->f, v, 1);
	fputc('"', w->f);
}

/* Ends the innermost element named el and whatever is open inside it. */
static void
junit_end_el(struct junit_writer *w, const char *el)
{
	int i;

	for (i = w->depth - 1; i >= 0; i--)
		if (strcmp(w->open[i], el) == 0)
			break;
	while (i >= 0 && w->depth > i)
		junit_pop(w);
}

static void
junit_suite_attrs(struct junit_writer *w, const struct junit_suite *s)
{
	junit_attr_str(w, "name", s->name);
	fprintf(w->f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "skipped=\"%zu\"", s->tests, s->failures, s->errors, s->skipped);
	if (s->time >= 0)
		fprintf(w->f, " time=\"%.3f\"", s->time);
	junit_attr_str(w, "timestamp", s->timestamp);
}

struct junit_writer *
junit_writer_open(FILE *f)
{
	struct junit_writer *w;

	w = xcalloc(1, sizeof *w);
	w->f = f;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	return (w);
}

int
junit_writer_close(struct junit_writer *w)
{
	int rc;

	while (w->depth > 0)
		junit_pop(w);
	rc = fflush(w->f) == EOF || ferror(w->f) ? -1 : 0;
	free(w);
	return (rc);
}

void
junit_suites_begin(struct junit_writer *w, const struct junit_suite *s)
{
	junit_push(w, "testsuites");
	junit_suite_attrs(w, s);
}

void
junit_suites_end(struct junit_writer *w)
{
	junit_end_el(w, "testsuites");
}

void
junit_suite_begin(struct junit_writer *w, const struct junit_suite *s)
{
	junit_push(w, "testsuite");
	junit_suite_attrs(w, s);
}

void
junit_suite_end(struct junit_writer *w)
{
	junit_end_el(w, "testsuite");
}

void
junit_property(struct junit_writer *w, const char *name, const char *value)
{
	if (w->depth == 0 || strcmp(w->open[w->depth - 1], "properties") != 0)
		junit_push(w, "properties");
	junit_tag_close(w);
	junit_indent(w);
	fputs("<property", w->f);
	junit_attr_str(w, "name", name);
	junit_attr_str(w, "value", value != NULL ? value : "");
	fputs("/>\n", w->f);
}

void
junit_case_begin(struct junit_writer *w, const char *name,
    const char *classname, double time)
{
	junit_push(w, "testcase");
	junit_attr_str(w, "name", name);
	junit_attr_str(w, "classname", classname);
	if (time >= 0)
		fprintf(w->f, " time=\"%.3f\"", time);
}

void
junit_case_end(struct junit_writer *w)
{
	junit_end_el(w, "testcase");
}

/* An element with optional attributes and text, on its own line. */
static void
junit_leaf(struct junit_writer *w, const char *el, const char *type,
    const char *message, const char *text)
{
	junit_props_end(w);
	junit_tag_close(w);
	junit_indent(w);
	fprintf(w->f, "<%s", el);
	junit_attr_str(w, "type", type);
	junit_attr_str(w, "message", message);
	if (text == NULL || *text == '\0') {
		fputs("/>\n", w->f);
		return;
	}
	fputc('>', w->f);
	junit_escape(w->f, text, 0);
	fprintf(w->f, "</%s>\n", el);
}

void
junit_outcome(struct junit_writer *w, enum junit_outcome o,
    const char *type, const char *message, const char *text)
{
	static const char *const els[] = { "failure", "error", "skipped",
	    "flakyFailure", "rerunFailure" };

	junit_leaf(w, els[o], type, message, text);
}

void
junit_output(struct junit_writer *w, int err, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	junit_leaf(w, err ? "system-err" : "system-out", NULL, NULL, text);
}

/* Bytes of the UTF-8 sequence at p that XML allows, or 0 if none. */
static size_t
junit_utf8(const unsigned char *p)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return (0);
	if (p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return (0);
	/* U+FFFE and U+FFFF are not characters in XML. */
	if (p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
		return (0);
	return (n);
}

void
junit_escape(FILE *f, const char *s, int attr)
{
	const unsigned char *p;
	size_t n;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			continue;
		case '<':
			fputs("&lt;", f);
			continue;
		case '>':
			fputs("&gt;", f);
			continue;
		case '"':
			fputs("&quot;", f);
			continue;
		case '\r':
			/* Parsers turn a raw one into a newline. */
			fputs("&#13;", f);
			continue;
		case '\t':
		case '\n':
			if (attr)
				fprintf(f, "&#%d;", *p);
			else
				fputc(*p, f);
			continue;
		}
		if (*p < 0x20) {
			fputs("\xef\xbf\xbd", f);
		} else if (*p < 0x80) {
			fputc(*p, f);
		} else if ((n = junit_utf8(p)) == 0) {
			fputs("\xef\xbf\xbd", f);
		} else {
			fwrite(p, 1, n, f);
			p += n - 1;
		}
	}
}
