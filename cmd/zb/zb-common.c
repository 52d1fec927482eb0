/*
 * zb-common.c: what every subcommand of zb needs: finding dagzd, asking
 * it, turning its errors into one-line messages and exit statuses, the
 * options of listings, and printing rows as a table or as NDJSON.
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>

#include "exitcodes.h"
#include "jobid.h"
#include "ndjson.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"
#include "zb.h"

#define ZB_TIMEOUT	30.0

const char *zb_url;
static char *zb_token;

/*
 * Refuses a URL that can name no dagzd, saying what is wrong with it
 * (a port out of range is not a dagzd "not on this machine").
 */
static void
zb_check_url(const char *url)
{
	const char *auth, *colon, *errstr;
	char port[16];
	size_t n;

	if (strncmp(url, "http://", 7) == 0)
		auth = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		auth = url + 8;
	else
		errx(DAGZ_EXIT_USAGE, "invalid dagzd URL '%s': expected "
		    "http://HOST:PORT or https://HOST:PORT", url);
	n = strcspn(auth, "/?#");
	colon = memrchr(auth, ':', n);
	if (colon != NULL && memchr(colon, ']', n - (colon - auth)) != NULL)
		colon = NULL;
	if ((colon != NULL ? colon : auth + n) == auth)
		errx(DAGZ_EXIT_USAGE, "invalid dagzd URL '%s': no host", url);
	if (colon == NULL)
		return;
	if ((size_t)(auth + n - colon - 1) >= sizeof port)
		errx(DAGZ_EXIT_USAGE, "invalid dagzd URL '%s': invalid port",
		    url);
	memcpy(port, colon + 1, auth + n - colon - 1);
	port[auth + n - colon - 1] = '\0';
	strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL || port[strspn(port, "0123456789")] != '\0')
		errx(DAGZ_EXIT_USAGE, "invalid dagzd URL '%s': port '%s' is "
		    "not 1 to 65535", url, port);
}

void
zb_connect(void)
{
	if (zb_url != NULL)
		return;
	zb_url = store_url();
	zb_token = store_token();
	zb_check_url(zb_url);
}

char *
zb_job_arg(const char *id)
{
	int mmdd, seq;

	if (!jobid_is_uuid(id) && jobid_parse_short(id, &mmdd, &seq) == -1)
		errx(DAGZ_EXIT_USAGE, "invalid job id '%s': expected jN, "
		    "jMMDD.N or a UUID", id);
	return (zb_escape(id));
}

/*
 * GET path (or POST body there, when not NULL), exiting on any failure:
 * 1 for something unknown (a job, a span, a test), 2 for a request
 * dagzd calls bad, 3 when dagzd cannot be asked. Returns the body; the
 * caller frees it.
 */
static char *
zb_request(const char *body, const char *fmt, va_list ap)
{
	struct store_reply r;
	char *path, *msg;

	zb_connect();
	if (vasprintf(&path, fmt, ap) == -1)
		err(DAGZ_EXIT_ERROR, "vasprintf");
	/* zb daemon up starts no HTTPS dagzd: no hint for one. */
	if (store_call(zb_url, zb_token, body != NULL ? "POST" : "GET", path,
	    body != NULL ? "application/json" : NULL, body, body != NULL ?
	    strlen(body) : 0, ZB_TIMEOUT, &r) == -1 &&
	    strncmp(zb_url, "https:", 6) == 0)
		errx(DAGZ_EXIT_ERROR, "cannot reach dagzd at %s: %s", zb_url,
		    r.err);
	if (r.status == 0)
		errx(DAGZ_EXIT_ERROR, "cannot reach dagzd at %s: %s; start it "
		    "with 'zb daemon up --bg'", zb_url, r.err);
	free(path);
	if (r.status == 200 || (body != NULL && r.status == 201))
		return (r.body);
	msg = store_reply_error(&r);
	if (r.status == 404)
		errx(DAGZ_EXIT_FAIL, "%s", msg);
	if (r.status == 401)
		errx(DAGZ_EXIT_ERROR, "dagzd at %s: %s", zb_url, msg);
	if (r.status >= 400 && r.status < 500)
		errx(DAGZ_EXIT_USAGE, "%s", msg);
	errx(DAGZ_EXIT_ERROR, "dagzd at %s: %s", zb_url, msg);
}

static char *
zb_vget(const char *fmt, va_list ap)
{
	return (zb_request(NULL, fmt, ap));
}

/* One JSON object. */
json_t *
zb_get(const char *fmt, ...)
{
	json_error_t jerr;
	va_list ap;
	char *body;
	json_t *o;

	va_start(ap, fmt);
	body = zb_vget(fmt, ap);
	va_end(ap);
	if ((o = json_loads(body, 0, &jerr)) == NULL)
		errx(DAGZ_EXIT_ERROR, "dagzd at %s: invalid reply: %s", zb_url,
		    jerr.text);
	free(body);
	return (o);
}

/* POSTs o (stolen) to path; the reply's JSON object. */
json_t *
zb_post(json_t *o, const char *fmt, ...)
{
	json_error_t jerr;
	va_list ap;
	char *body, *reply;
	json_t *r;

	if ((body = json_dumps(o, JSON_COMPACT)) == NULL)
		errx(DAGZ_EXIT_ERROR, "cannot encode a request");
	json_decref(o);
	va_start(ap, fmt);
	reply = zb_request(body, fmt, ap);
	va_end(ap);
	free(body);
	if ((r = json_loads(reply, 0, &jerr)) == NULL)
		errx(DAGZ_EXIT_ERROR, "dagzd at %s: invalid reply: %s", zb_url,
		    jerr.text);
	free(reply);
	return (r);
}

/* NDJSON, as an array. */
json_t *
zb_get_lines(const char *fmt, ...)
{
	json_error_t jerr;
	va_list ap;
	char *body, *line, *next;
	json_t *a, *o;

	va_start(ap, fmt);
	body = zb_vget(fmt, ap);
	va_end(ap);
	a = json_array();
	for (line = body; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if ((o = json_loads(line, 0, &jerr)) == NULL)
			errx(DAGZ_EXIT_ERROR, "dagzd at %s: invalid reply: %s",
			    zb_url, jerr.text);
		json_array_append_new(a, o);
	}
	free(body);
	return (a);
}

/* s encoded for a URL's path or query. */
char *
zb_escape(const char *s)
{
	char *e;

	if ((e = evhttp_uriencode(s, -1, 0)) == NULL)
		err(DAGZ_EXIT_ERROR, "evhttp_uriencode");
	return (e);
}

/*
 * --since: "7d", "12h", "30m" ago, or a local date "2025-12-01" or time
 * "2025-12-01T14:00". Returns unix time, or -1.
 */
static double
zb_parse_since(const char *s)
{
	struct tm tm;
	const char *end;
	double d;
	char *e;

	memset(&tm, 0, sizeof tm);
	if ((end = strptime(s, "%Y-%m-%dT%H:%M", &tm)) != NULL &&
	    *end == '\0') {
		tm.tm_isdst = -1;
		return ((double)mktime(&tm));
	}
	memset(&tm, 0, sizeof tm);
	if ((end = strptime(s, "%Y-%m-%d", &tm)) != NULL && *end == '\0') {
		tm.tm_isdst = -1;
		return ((double)mktime(&tm));
	}
	d = strtod(s, &e);
	if (e != s && strcmp(e, "d") == 0 && d > 0)
		return (time_unix() - d * 86400);
	if (time_parse_duration(s, &d) == 0)
		return (time_unix() - d);
	return (-1);
}

/* Handles an option every listing takes; 0 if ch is not one. */
int
zb_common_opt(struct zb_opts *o, int ch, const char *arg)
{
	const char *errstr;

	switch (ch) {
	case 'J':
		o->json = 1;
		return (1);
	case 'n':
		o->limit = strtonum(arg, 1, 100000, &errstr);
		if (errstr != NULL)
			errx(DAGZ_EXIT_USAGE, "--limit: %s: '%s'", errstr, arg);
		return (1);
	case 'S':
		if ((o->since = zb_parse_since(arg)) < 0)
			errx(DAGZ_EXIT_USAGE, "--since: expected 7d, 12h, 30m, "
			    "2025-12-01 or 2025-12-01T14:00, not '%s'", arg);
		return (1);
	}
	return (0);
}

/* A table for people on a terminal; NDJSON otherwise. */
int
zb_tty(const struct zb_opts *o)
{
	return (!o->json && isatty(STDOUT_FILENO));
}

void
zb_print_line(json_t *o)
{
	char *s;

	s = ndjson_encode(o);
	printf("%s\n", s);
	free(s);
}

static void
zb_secs(double s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%.3fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%04.1fs", (int)(s / 60),
		    s - 60 * (int)(s / 60));
	else
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600),
		    (int)(s / 60) % 60);
}

/* The cell of column c in row o. */
void
zb_format(const struct zb_col *c, json_t *o, char *buf, size_t len)
{
	json_t *v = json_object_get(o, c->key);
	struct tm tm;
	const char *s, *end;
	time_t t;

	if (v == NULL || json_is_null(v)) {
		snprintf(buf, len, "-");
		return;
	}
	switch (c->kind) {
	case ZB_STR:
		if ((s = json_string_value(v)) != NULL)
			snprintf(buf, len, "%s", s);
		else
			snprintf(buf, len, "%lld",
			    (long long)json_integer_value(v));
		break;
	case ZB_INT:
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		break;
	case ZB_SECS:
		zb_secs(json_number_value(v), buf, len);
		break;
	case ZB_RATE:
		snprintf(buf, len, "%.1f%%", 100 * json_number_value(v));
		break;
	case ZB_TIME:
		memset(&tm, 0, sizeof tm);
		s = json_string_value(v);
		if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ",
		    &tm)) == NULL || *end != '\0') {
			snprintf(buf, len, "%s", s != NULL ? s : "-");
			break;
		}
		t = timegm(&tm);
		localtime_r(&t, &tm);
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
		break;
	}
	if (c->max > 3 && strlen(buf) > (size_t)c->max && len > (size_t)c->max)
		strlcpy(buf + c->max - 3, "...", 4);
}

/* Prints rows (an array of objects) with the columns cols. */
void
zb_table(const struct zb_opts *o, const struct zb_col *cols, json_t *rows)
{
	char ***cells, buf[4096];
	size_t n = json_array_size(rows), i, k, ncols, *width;

	if (!zb_tty(o)) {
		for (i = 0; i < n; i++)
			zb_print_line(json_array_get(rows, i));
		return;
	}
	for (ncols = 0; cols[ncols].title != NULL; ncols++)
		;
	width = xcalloc(ncols, sizeof *width);
	cells = xcalloc(n, sizeof *cells);
	for (k = 0; k < ncols; k++)
		width[k] = strlen(cols[k].title);
	for (i = 0; i < n; i++) {
		cells[i] = xcalloc(ncols, sizeof **cells);
		for (k = 0; k < ncols; k++) {
			zb_format(&cols[k], json_array_get(rows, i), buf,
			    sizeof buf);
			cells[i][k] = xstrdup(buf);
			if (strlen(buf) > width[k])
				width[k] = strlen(buf);
		}
	}
	for (k = 0; k < ncols; k++)
		printf("%-*s%s", k + 1 < ncols ? (int)width[k] : 0,
		    cols[k].title, k + 1 < ncols ? "  " : "\n");
	for (i = 0; i < n; i++) {
		for (k = 0; k < ncols; k++) {
			printf("%-*s%s", k + 1 < ncols ? (int)width[k] : 0,
			    cells[i][k], k + 1 < ncols ? "  " : "\n");
			free(cells[i][k]);
		}
		free(cells[i]);
	}
	free(cells);
	free(width);
}
