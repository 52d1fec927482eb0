/*
 * cases.c: a test's cases, their statuses and their wire form. Names and
 * outputs are kept as reported (any bytes); escaping happens where they
 * are printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "jsonv.h"
#include "xmalloc.h"

static const char *const case_status_names[CASE__COUNT] = {
	"OK", "FAILED", "SKIPPED", "TODO", "TODO_OK", "DESELECTED"
};

const char *
case_status_name(enum case_status st)
{
	if (st < 0 || st >= CASE__COUNT)
		return ("?");
	return (case_status_names[st]);
}

int
case_status_parse(const char *s, enum case_status *st)
{
	int i;

	for (i = 0; i < CASE__COUNT; i++) {
		if (strcmp(s, case_status_names[i]) == 0) {
			*st = i;
			return (0);
		}
	}
	return (-1);
}

void
cases_init(struct case_list *l)
{
	memset(l, 0, sizeof *l);
}

void
cases_clear(struct case_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].reason);
		free(l->v[i].output);
	}
	free(l->v);
	free(l->error);
	free(l->skip_all);
	cases_init(l);
}

/* A copy of s cut to at most max bytes, never inside a UTF-8 sequence. */
static char *
cases_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *c;

	if (n <= max)
		return (xstrdup(s));
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	c = xmalloc(max + 1);
	memcpy(c, s, max);
	c[max] = '\0';
	return (c);
}

struct test_case *
cases_add(struct case_list *l, const char *name, enum case_status st,
    double duration, const char *reason, const char *output)
{
	struct test_case *c;
	size_t room;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	c = &l->v[l->n++];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name != NULL ? name : "");
	c->status = st;
	c->duration = duration;
	if (reason != NULL)
		c->reason = cases_cut(reason, CASES_OUTPUT_MAX);
	if (output != NULL && *output != '\0' &&
	    l->output_bytes < CASES_TOTAL_OUTPUT_MAX) {
		room = CASES_TOTAL_OUTPUT_MAX - l->output_bytes;
		c->output = cases_cut(output, room < CASES_OUTPUT_MAX ? room :
		    CASES_OUTPUT_MAX);
		l->output_bytes += strlen(c->output);
	}
	l->present = 1;
	return (c);
}

void
cases_set_error(struct case_list *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (l->error != NULL)
		return;		/* the first error is the one that matters */
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	l->error = s != NULL ? s : xstrdup("bad report");
	l->present = 1;
}

size_t
cases_count(const struct case_list *l, enum case_status st)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		if (l->v[i].status == st)
			n++;
	return (n);
}

void
cases_move(struct case_list *dst, struct case_list *src)
{
	size_t i;

	if (src->n > 0) {
		dst->v = xreallocarray(dst->v, dst->n + src->n,
		    sizeof *dst->v);
		for (i = 0; i < src->n; i++)
			dst->v[dst->n++] = src->v[i];
	}
	dst->output_bytes += src->output_bytes;
	if (dst->error == NULL)
		dst->error = src->error;
	else
		free(src->error);
	if (dst->skip_all == NULL)
		dst->skip_all = src->skip_all;
	else
		free(src->skip_all);
	dst->present |= src->present;
	free(src->v);
	cases_init(src);
}

void
cases_escape(const char *s, char *buf, size_t len)
{
	const unsigned char *p;
	size_t o = 0;
	char tmp[8];
	const char *add;

	if (len == 0)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '\n':
			add = "\\n";
			break;
		case '\t':
			add = "\\t";
			break;
		case '\r':
			add = "\\r";
			break;
		case '\\':
			add = "\\\\";
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(tmp, sizeof tmp, "\\x%02x", *p);
				add = tmp;
			} else {
				tmp[0] = *p;
				tmp[1] = '\0';
				add = tmp;
			}
		}
		if (o + strlen(add) >= len)
			break;
		memcpy(buf + o, add, strlen(add));
		o += strlen(add);
	}
	buf[o] = '\0';
}

void
cases_failed_summary(const struct case_list *l, char *buf, size_t len)
{
	size_t i, failed, counted = 0;
	char name[256], num[64];
	int first = 1;

	if (len == 0)
		return;
	buf[0] = '\0';
	failed = cases_count(l, CASE_FAILED);
	if (failed == 0)
		return;
	for (i = 0; i < l->n; i++)
		if (l->v[i].status != CASE_TODO &&
		    l->v[i].status != CASE_TODO_OK &&
		    l->v[i].status != CASE_DESELECTED)
			counted++;
	snprintf(buf, len, "%zu of %zu case%s failed: ", failed, counted,
	    counted == 1 ? "" : "s");
	for (i = 0; i < l->n; i++) {
		if (l->v[i].status != CASE_FAILED)
			continue;
		cases_escape(l->v[i].name, name, sizeof name);
		if (strlen(buf) + strlen(name) + 8 >= len) {
			snprintf(num, sizeof num, "%s...", first ? "" : ", ");
			strlcat(buf, num, len);
			return;
		}
		if (!first)
			strlcat(buf, ", ", len);
		strlcat(buf, name, len);
		first = 0;
	}
}

/*
 * A failed case (TODO ones aside) or a bad report fails the test, and
 * says why better than an exit status; "1..0 # SKIP" skips a test that
 * exited as one that passed or skipped. A timeout, a crash or dagz's own
 * error keep their status and reason: the cases only tell how far the
 * test got.
 */
enum test_status
cases_verdict(const struct case_list *l, enum test_status st, char **reason)
{
	char sum[1024], *why;

	if (!l->present || st == ST_TIMEOUT || st == ST_CRASHED ||
	    st == ST_DAGZ_ERROR)
		return (st);
	cases_failed_summary(l, sum, sizeof sum);
	if (l->error != NULL || sum[0] != '\0') {
		if (l->error != NULL && sum[0] != '\0')
			xasprintf(&why, "%s, %s", l->error, sum);
		else
			why = xstrdup(l->error != NULL ? l->error : sum);
		free(*reason);
		*reason = why;
		return (ST_FAILED);
	}
	if (l->skip_all != NULL && (st == ST_OK || st == ST_SKIPPED)) {
		free(*reason);
		*reason = *l->skip_all != '\0' ? xstrdup(l->skip_all) : NULL;
		return (ST_SKIPPED);
	}
	return (st);
}

json_t *
cases_encode(const struct case_list *l)
{
	json_t *o = json_object(), *a = json_array(), *c;
	size_t i;

	for (i = 0; i < l->n; i++) {
		c = json_object();
		json_object_set_new(c, "name", json_string(l->v[i].name));
		json_object_set_new(c, "status",
		    json_string(case_status_name(l->v[i].status)));
		if (l->v[i].duration >= 0)
			json_object_set_new(c, "duration",
			    json_real(l->v[i].duration));
		if (l->v[i].reason != NULL)
			json_object_set_new(c, "reason",
			    json_string(l->v[i].reason));
		if (l->v[i].output != NULL)
			json_object_set_new(c, "output",
			    json_string(l->v[i].output));
		json_array_append_new(a, c);
	}
	json_object_set_new(o, "cases", a);
	if (l->error != NULL)
		json_object_set_new(o, "error", json_string(l->error));
	if (l->skip_all != NULL)
		json_object_set_new(o, "skip_all", json_string(l->skip_all));
	return (o);
}

int
cases_decode(json_t *o, struct case_list *l, char *err, size_t len)
{
	static const char *const keys[] = { "cases", "error", "skip_all",
	    NULL };
	static const char *const ckeys[] = { "name", "status", "duration",
	    "reason", "output", NULL };
	json_t *a, *c;
	char *name = NULL, *status = NULL, *reason = NULL, *output = NULL;
	enum case_status st;
	double duration;
	size_t i;

	cases_init(l);
	if (!json_is_object(o)) {
		snprintf(err, len, "\"cases\" must be an object");
		return (-1);
	}
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    jsonv_string(o, "error", 0, &l->error, err, len) == -1 ||
	    jsonv_string(o, "skip_all", 0, &l->skip_all, err, len) == -1)
		goto fail;
	if ((a = json_object_get(o, "cases")) == NULL || !json_is_array(a)) {
		snprintf(err, len, "\"cases.cases\" must be an array");
		goto fail;
	}
	json_array_foreach(a, i, c) {
		duration = -1;
		if (!json_is_object(c) ||
		    jsonv_keys(c, ckeys, err, len) == -1 ||
		    jsonv_string(c, "name", 1, &name, err, len) == -1 ||
		    jsonv_string(c, "status", 1, &status, err, len) == -1 ||
		    jsonv_number(c, "duration", 0, 0, &duration, err,
		    len) == -1 ||
		    jsonv_string(c, "reason", 0, &reason, err, len) == -1 ||
		    jsonv_string(c, "output", 0, &output, err, len) == -1) {
			if (!json_is_object(c))
				snprintf(err, len, "a case must be an object");
			goto bad;
		}
		if (case_status_parse(status, &st) == -1) {
			snprintf(err, len, "unknown case status \"%s\"",
			    status);
			goto bad;
		}
		cases_add(l, name, st, duration, reason, output);
		free(name);
		free(status);
		free(reason);
		free(output);
		name = status = reason = output = NULL;
	}
	l->present = 1;
	return (0);
bad:
	free(name);
	free(status);
	free(reason);
	free(output);
fail:
	cases_clear(l);
	return (-1);
}

/*
 * The name JUnit gives a pytest node id: "FILE::CLASS::NAME[PARAMS]" as
 * "FILE.CLASS.NAME[PARAMS]", FILE less its .py, its slashes dots.
 */
char *
cases_nodeid_name(const char *nodeid)
{
	const char *sep = strstr(nodeid, "::"), *end, *p;
	char *v, *q;
	size_t n;

	if (sep == NULL)
		return (xstrdup(nodeid));
	if ((end = strchr(sep, '[')) == NULL)
		end = nodeid + strlen(nodeid);
	v = q = xmalloc(strlen(nodeid) + 1);
	n = (size_t)(sep - nodeid);
	if (n > 3 && strncmp(sep - 3, ".py", 3) == 0)
		n -= 3;
	for (p = nodeid; p < nodeid + n; p++)
		*q++ = *p == '/' ? '.' : *p;
	for (p = sep; p < end; p++) {
		if (p[0] == ':' && p[1] == ':') {
			*q++ = '.';
			p++;
		} else
			*q++ = *p;
	}
	memcpy(q, end, strlen(end) + 1);
	return (v);
}


/* A progress line's outcome as a case's status. */
static int
cases_outcome(const char *s, enum case_status *st)
{
	if (strcmp(s, "passed") == 0)
		*st = CASE_OK;
	else if (strcmp(s, "failed") == 0)
		*st = CASE_FAILED;
	else if (strcmp(s, "skipped") == 0)
		*st = CASE_SKIPPED;
	else
		return (-1);
	return (0);
}

char *
cases_read_progress(const char *text, size_t len, struct case_list *l,
    const char *why)
{
	const char *p, *nl, *id, *outcome;
	enum case_status st;
	json_t *o, *d;
	char *pending = NULL, *name;

	for (p = text; text != NULL && p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', text + len - p)) == NULL)
			nl = text + len;
		if ((o = json_loadb(p, nl - p, 0, NULL)) == NULL)
			continue;
		if ((id = json_string_value(json_object_get(o, "case"))) ==
		    NULL) {
			json_decref(o);
			continue;
		}
		if (json_is_true(json_object_get(o, "started"))) {
			free(pending);
			pending = xstrdup(id);
		} else if ((outcome = json_string_value(json_object_get(o,
		    "outcome"))) != NULL && cases_outcome(outcome, &st) == 0) {
			d = json_object_get(o, "duration");
			name = cases_nodeid_name(id);
			cases_add(l, name, st, json_is_number(d) ?
			    json_number_value(d) : -1, NULL, NULL);
			free(name);
			if (pending != NULL && strcmp(pending, id) == 0) {
				free(pending);
				pending = NULL;
			}
		}
		json_decref(o);
	}
	if (pending == NULL)
		return (NULL);
	name = cases_nodeid_name(pending);
	free(pending);
	cases_add(l, name, CASE_FAILED, -1, why, NULL);
	return (name);
}
