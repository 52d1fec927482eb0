/*
 * dagzd-web.c: the dashboard's pages, rendered by dagzd from the store
 * and useful without JavaScript: the jobs list (/ and /jobs), a test's
 * history (/tests/ID), flaky tests (/flaky), the assets compiled in from
 * cmd/dagzd/web (/static/HASH/NAME). A job's own page is
 * dagzd-web-job.c's, the login that a dagzd with a token asks of a
 * browser dagzd-web-login.c's.
 *
 * Every string from a test goes through web_html, every one in a URL
 * through web_url. Every page carries a Content-Security-Policy that
 * allows no inline script or style.
 *
 * Ids and classes that scripts and browser tests rely on:
 *   table#jobs tr[data-job="j3"][data-status]   a job in the list
 *   a.job-link                                  its short id, a link
 *   td.status[data-status="FAILED"]             any status cell
 *   td.passed, td.failed, td.flaky, td.skipped, td.saved, td.nodes
 *   a.ci-link                                   the CI run of a job
 *   div.chips[data-job="j3"] span.chip[data-status][data-test]
 *       one a test: .unfinished (blue), .pending (failed, retry pending:
 *       yellow), .passed (green), .failed (red), .notrun (grey:
 *       NOT_RUN, the job stopped early)
 *   nav.tabs a[data-tab="errors|tests|selection|timeline"], a.active
 *   section#errors li[data-test="..."], a.test-link, a.bundle[download]
 *   ul.cases li[data-case], div#logs pre.log[data-attempt]
 *   table#tests tr[data-test], th a[data-sort]
 *   table#selection tr[data-test][data-selected="1|0"] td.reasons
 *       span.reason, p#selection-counts b.selected/.deselected/.redundant
 *   svg#timeline g.worker[data-worker][data-node] rect.attempt
 *       [data-test][data-attempt][data-status] with a <title>;
 *       rect.fixture
 *   table#history tr[data-job], span#flaky-rate, table#flaky tr[data-test]
 *   form.login input[name=token], nav.pages a.next, a.prev
 */
#include <sys/types.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "dagzd-web.h"
#include "jobid.h"
#include "log.h"
#include "status.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"
#include "zbuf.h"

#define WEB_JOBS_PAGE	50
#define WEB_LOG_MAX	(1024 * 1024)	/* of a log shown in a page */

static const char web_csp[] = "default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

static char asset_hash[16][17];		/* of each web_assets[i] */

/* FNV-1a of an asset, as 16 hex digits: its version in URLs. */
static const char *
web_asset_hash(size_t i)
{
	uint64_t h = 14695981039346656037ULL;
	size_t k;

	if (i >= sizeof asset_hash / sizeof asset_hash[0])
		return ("0");
	if (asset_hash[i][0] == '\0') {
		for (k = 0; k < web_assets[i].len; k++) {
			h ^= web_assets[i].data[k];
			h *= 1099511628211ULL;
		}
		snprintf(asset_hash[i], sizeof asset_hash[i], "%016llx",
		    (unsigned long long)h);
	}
	return (asset_hash[i]);
}

/* The versioned URL of asset name into b. */
static void
web_asset_url(struct evbuffer *b, const char *name)
{
	size_t i;

	for (i = 0; i < web_nassets; i++)
		if (strcmp(web_assets[i].name, name) == 0) {
			evbuffer_add_printf(b, "/static/%s/%s",
			    web_asset_hash(i), name);
			return;
		}
	evbuffer_add_printf(b, "/static/%s", name);
}

/*
 * Adds len bytes of s to b as HTML text or a quoted attribute's value:
 * the one escaping of the dashboard. Bytes that are not UTF-8, and
 * control characters but tab and newline, become U+FFFD.
 */
void
web_htmln(struct evbuffer *b, const char *s, size_t len)
{
	size_t i = 0, run = 0, k;
	unsigned char c;
	const char *ent;

	while (i < len) {
		c = (unsigned char)s[i];
		ent = NULL;
		k = 1;
		if (c == '&')
			ent = "&amp;";
		else if (c == '<')
			ent = "&lt;";
		else if (c == '>')
			ent = "&gt;";
		else if (c == '"')
			ent = "&quot;";
		else if (c == '\'')
			ent = "&#39;";
		else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			ent = "\xef\xbf\xbd";
		else if (c >= 0x80 && (k = utf8_next(s + i, len - i)) == 0) {
			ent = "\xef\xbf\xbd";
			k = 1;
		}
		if (ent == NULL) {
			i += k;
			run += k;
			continue;
		}
		if (run > 0)
			evbuffer_add(b, s + i - run, run);
		run = 0;
		evbuffer_add(b, ent, strlen(ent));
		i += k;
	}
	if (run > 0)
		evbuffer_add(b, s + i - run, run);
}

void
web_html(struct evbuffer *b, const char *s)
{
	if (s != NULL)
		web_htmln(b, s, strlen(s));
}

/* Adds s percent-encoded (all but A-Z a-z 0-9 - . _ ~): a path segment. */
void
web_url(struct evbuffer *b, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			evbuffer_add(b, p, 1);
		else
			evbuffer_add_printf(b, "%%%02X", *p);
	}
}

/* The glyph of a test's or a job's status; NULL for one not known. */
static const char *
web_glyph(const char *status)
{
	static const struct {
		const char	*status;
		const char	*glyph;
	} glyphs[] = {
		{ "OK", "\xe2\x9c\x93" },		/* check mark */
		{ "OK_FLAKY", "\xe2\x89\x88" },		/* almost equal */
		{ "FAILED", "\xe2\x9c\x97" },		/* ballot x */
		{ "TIMEOUT", "\xe2\x8c\x9b" },		/* hourglass */
		{ "CRASHED", "\xe2\x98\xa0" },		/* skull */
		{ "SKIPPED", "\xe2\x86\xb7" },		/* arrow */
		{ "DEP_FAILED", "\xe2\x8a\x98" },	/* circled slash */
		{ "NOT_RUN", "\xe2\x97\x8c" },		/* dotted circle */
		{ "DESELECTED", "\xe2\x88\x85" },	/* empty set */
		{ "REDUNDANT", "\xe2\x89\xa1" },	/* identical */
		{ "DAGZ_ERROR", "\xe2\x9a\xa0" },	/* warning */
		{ "running", "\xe2\x97\x8f" },		/* circle */
		{ "passed", "\xe2\x9c\x93" },
		{ "failed", "\xe2\x9c\x97" },
		{ "error", "\xe2\x9a\xa0" },
		{ "vanished", "\xe2\x97\x8c" },
	};
	size_t i;

	if (status == NULL)
		return (NULL);
	for (i = 0; i < sizeof glyphs / sizeof glyphs[0]; i++)
		if (strcmp(glyphs[i].status, status) == 0)
			return (glyphs[i].glyph);
	return (NULL);
}

/*
 * A status as glyph and word, in a cell of class status (tag "td") or a
 * span; one the page does not know is shown as its text, with "?".
 */
void
web_status(struct evbuffer *b, const char *tag, const char *status)
{
	const char *glyph = web_glyph(status);

	if (status == NULL)
		status = "";
	evbuffer_add_printf(b, "<%s class=\"status st-%s\" data-status=\"",
	    tag, glyph != NULL ? status : "unknown");
	web_html(b, status);
	evbuffer_add_printf(b, "\"><span class=\"icon\" aria-hidden=\"true\">"
	    "%s</span> ", glyph != NULL ? glyph : "?");
	web_html(b, status);
	evbuffer_add_printf(b, "</%s>", tag);
}

/* A time in UTC in a <time> that the script shows in local time. */
void
web_time(struct evbuffer *b, double t)
{
	char iso[32], text[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0) {
		evbuffer_add_printf(b, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
	evbuffer_add_printf(b, "<time datetime=\"%s\">%s</time>", iso, text);
}

/* The same, from an ISO time as jobs_json gives it. */
void
web_time_iso(struct evbuffer *b, const char *iso)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (iso == NULL || strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL) {
		evbuffer_add_printf(b, "-");
		return;
	}
	web_time(b, (double)timegm(&tm));
}

void
web_duration(struct evbuffer *b, double s)
{
	if (isnan(s) || s < 0)
		evbuffer_add_printf(b, "-");
	else if (s < 60)
		evbuffer_add_printf(b, "%.1fs", s);
	else if (s < 3600)
		evbuffer_add_printf(b, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		evbuffer_add_printf(b, "%dh%02dm", (int)s / 3600,
		    ((int)s % 3600) / 60);
}

/* A stored (compressed) log, escaped, in a <pre class="log">'s body. */
void
web_log(struct evbuffer *b, const void *z, size_t zlen)
{
	unsigned char *text;
	size_t len;

	if ((text = zbuf_inflate(z, zlen, 64 * 1024 * 1024, &len)) == NULL) {
		evbuffer_add_printf(b, "[dagz: this log is corrupt in the "
		    "store]\n");
		return;
	}
	if (len > WEB_LOG_MAX) {
		evbuffer_add_printf(b, "[dagz: the first %zu KiB of %zu are "
		    "left out here; the API has them all]\n",
		    (len - WEB_LOG_MAX) / 1024, len / 1024);
		web_htmln(b, (char *)text + len - WEB_LOG_MAX, WEB_LOG_MAX);
	} else
		web_htmln(b, (char *)text, len);
	free(text);
}

/* A link to test's page, in project. */
void
web_test_link(struct evbuffer *b, const char *test, const char *project)
{
	evbuffer_add_printf(b, "<a class=\"test-link\" href=\"/tests/");
	web_url(b, test);
	if (project != NULL) {
		evbuffer_add_printf(b, "?project=");
		web_url(b, project);
	}
	evbuffer_add_printf(b, "\">");
	web_html(b, test);
	evbuffer_add_printf(b, "</a>");
}

/* The head of a page and its bar of links. */
void
web_begin(struct dagzd *d, struct evbuffer *b, const char *title)
{
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"><title>");
	web_html(b, title);
	evbuffer_add_printf(b, " - dagz</title><link rel=\"stylesheet\" "
	    "href=\"");
	web_asset_url(b, "style.css");
	evbuffer_add_printf(b, "\"><link rel=\"icon\" type=\"image/svg+xml\" "
	    "href=\"");
	web_asset_url(b, "favicon.svg");
	evbuffer_add_printf(b, "\"><script defer src=\"");
	web_asset_url(b, "app.js");
	evbuffer_add_printf(b, "\"></script></head>\n<body>\n<header "
	    "class=\"top\"><a href=\"/jobs\">dagz</a><a href=\"/jobs\">Jobs"
	    "</a><a href=\"/flaky\">Flaky</a>");
	if (d->token != NULL)
		evbuffer_add_printf(b, "<form method=\"post\" "
		    "action=\"/logout\"><button type=\"submit\">Log out"
		    "</button></form>");
	evbuffer_add_printf(b, "</header>\n<main>\n");
}

void
web_end(struct evbuffer *b)
{
	evbuffer_add_printf(b, "</main>\n</body></html>\n");
}

/* Replies with the page in b (freed), with the headers every page has. */
void
web_send(struct http_req *req, int code, struct evbuffer *b)
{
	static const char *const hdrs[] = {
		"Content-Security-Policy", web_csp,
		"X-Content-Type-Options", "nosniff",
		/*
		 * Not no-referrer: a browser then sends "Origin: null" with
		 * the login form's POST, which the Origin check refuses.
		 * Nothing leaves for another site either way.
		 */
		"Referrer-Policy", "same-origin",
		"X-Frame-Options", "DENY",
		"Cache-Control", "no-cache",
		NULL
	};

	http_reply_headers(req, code, "text/html; charset=utf-8", b, hdrs);
}

/* A 404 as a page: what was not found, named. */
void
web_not_found(struct dagzd *d, struct http_req *req, const char *what,
    const char *name)
{
	struct evbuffer *b = evbuffer_new();

	web_begin(d, b, "not found");
	evbuffer_add_printf(b, "<h1 id=\"not-found\">Unknown %s ", what);
	evbuffer_add_printf(b, "<code>");
	web_html(b, name);
	evbuffer_add_printf(b, "</code></h1>\n<p><a href=\"/jobs\">All jobs"
	    "</a></p>\n");
	web_end(b);
	web_send(req, 404, b);
}

/* GET /static/NAME and /static/HASH/NAME: an asset, cached for long. */
void
route_static(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	const char *name = a->seg[a->nseg - 1];
	const char *hdrs[] = {
		"Cache-Control", "public, max-age=31536000, immutable",
		"X-Content-Type-Options", "nosniff",
		NULL
	};
	struct evbuffer *b;
	size_t i;

	for (i = 0; i < web_nassets; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			break;
	if (i == web_nassets) {
		web_not_found(d, req, "file", name);
		return;
	}
	/* Unversioned, or an older version: served, but not kept. */
	if (a->nseg == 1 || strcmp(a->seg[0], web_asset_hash(i)) != 0)
		hdrs[1] = "no-cache";
	b = evbuffer_new();
	evbuffer_add(b, web_assets[i].data, web_assets[i].len);
	http_reply_headers(req, 200, web_assets[i].ctype, b, hdrs);
}

/*
 * Result chips of job id (short id sid), one a test: green passed, red
 * failed, yellow failed with a retry to come, grey not run (the job
 * stopped early), and blue for each of the tests (total in all) that has
 * no result yet. At most a few thousand are drawn.
 */
void
web_chips(struct dagzd *d, struct evbuffer *b, long long id,
    const char *sid, long long total)
{
	static const char sql[] =
	    "SELECT test, max(final), max(CASE WHEN final = 1 THEN status "
	    "END), max(CASE WHEN final = 0 THEN status END) FROM results "
	    "WHERE job = ? GROUP BY test ORDER BY test";
	sqlite3_stmt *st = db_stmt(d, sql);
	enum test_status s;
	const char *state, *status;
	long long n = 0, shown = 0, max = 5000;

	evbuffer_add_printf(b, "<div class=\"chips\" data-job=\"");
	web_html(b, sid);
	evbuffer_add_printf(b, "\">");
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		n++;
		if (sqlite3_column_int(st, 1) == 1) {
			status = (const char *)sqlite3_column_text(st, 2);
			if (status_parse(status, &s) == -1)
				state = "passed";
			else if (s == ST_NOT_RUN)
				state = "notrun";
			else
				state = status_failed(s) || s == ST_DAGZ_ERROR ?
				    "failed" : "passed";
		} else {
			status = (const char *)sqlite3_column_text(st, 3);
			state = "pending";
		}
		if (shown++ >= max)
			continue;
		evbuffer_add_printf(b, "<span class=\"chip %s\" "
		    "data-status=\"", state);
		web_html(b, status);
		evbuffer_add_printf(b, "\" data-test=\"");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "\"></span>");
	}
	for (; n < total; n++)
		if (shown++ < max)
			evbuffer_add_printf(b, "<span class=\"chip unfinished\" "
			    "data-status=\"\"></span>");
	if (shown > max)
		evbuffer_add_printf(b, "<span class=\"muted\">and %lld more"
		    "</span>", shown - max);
	evbuffer_add_printf(b, "</div>\n");
}

/* Adds a query parameter of the list's filters, if set. */
static void
web_filter_param(struct evbuffer *b, const char *key, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	evbuffer_add_printf(b, "&amp;%s=", key);
	web_url(b, v);
}

static const char sql_jobs_page[] =
    "SELECT id FROM jobs WHERE (?1 IS NULL OR status = ?1) AND "
    "(?2 IS NULL OR branch = ?2) AND (?3 IS NULL OR instr(lower("
    "uuid || ' ' || coalesce(project, '') || ' ' || coalesce(branch, '') "
    "|| ' ' || coalesce(commit_sha, '') || ' ' || meta), lower(?3)) > 0) "
    "AND (?4 IS NULL OR id < ?4) ORDER BY id DESC LIMIT ?5 OFFSET ?6";
static const char sql_saved[] =
    "SELECT sum(d.duration) FROM results r JOIN jobs j ON j.id = r.job "
    "JOIN durations d ON d.project = j.project AND d.test = r.test "
    "WHERE r.job = ? AND r.final = 1 AND r.status IN ('DESELECTED', "
    "'REDUNDANT')";

/* Compute saved by selection: the recorded durations of what it left. */
static double
web_saved(struct dagzd *d, long long id)
{
	sqlite3_stmt *st = db_stmt(d, sql_saved);

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_type(st, 0) == SQLITE_NULL)
		return (0);
	return (sqlite3_column_double(st, 0));
}

static long long
web_count(json_t *o, const char *status)
{
	return (json_integer_value(json_object_get(json_object_get(o,
	    "counts"), status)));
}

/* One row of the jobs list. */
static void
web_job_row(struct dagzd *d, struct evbuffer *b, long long id, json_t *o)
{
	const char *sid = json_string_value(json_object_get(o, "id"));
	const char *status = json_string_value(json_object_get(o, "status"));
	const char *commit = json_string_value(json_object_get(o, "commit"));
	const char *url;
	json_t *nodes = json_object_get(o, "nodes");

	evbuffer_add_printf(b, "<tr data-job=\"");
	web_html(b, sid);
	evbuffer_add_printf(b, "\" data-status=\"");
	web_html(b, status);
	evbuffer_add_printf(b, "\"><td><a class=\"job-link\" href=\"/jobs/");
	web_url(b, sid);
	evbuffer_add_printf(b, "\">");
	web_html(b, sid);
	evbuffer_add_printf(b, "</a></td>");
	web_status(b, "td", status);
	evbuffer_add_printf(b, "<td class=\"branch\">");
	web_html(b, json_string_value(json_object_get(o, "branch")));
	evbuffer_add_printf(b, "</td><td class=\"commit mono\">");
	if (commit != NULL)
		web_htmln(b, commit, strlen(commit) > 10 ? 10 : strlen(commit));
	evbuffer_add_printf(b, "</td><td class=\"when\">");
	web_time_iso(b, json_string_value(json_object_get(o, "created")));
	evbuffer_add_printf(b, "</td><td class=\"duration num\">");
	if (json_is_number(json_object_get(o, "duration")))
		web_duration(b, json_number_value(json_object_get(o,
		    "duration")));
	evbuffer_add_printf(b, "</td><td class=\"passed num\">%lld</td>"
	    "<td class=\"failed num\">%lld</td><td class=\"flaky num\">%lld"
	    "</td><td class=\"skipped num\">%lld</td><td class=\"saved num\">",
	    (long long)json_integer_value(json_object_get(o, "passed")),
	    (long long)json_integer_value(json_object_get(o, "failed")),
	    (long long)json_integer_value(json_object_get(o, "flaky")),
	    web_count(o, "SKIPPED"));
	web_duration(b, web_saved(d, id));
	evbuffer_add_printf(b, "</td><td class=\"nodes num\">%zu</td><td>",
	    json_is_array(nodes) ? json_array_size(nodes) : (size_t)1);
	url = json_string_value(json_object_get(json_object_get(o, "ci"),
	    "url"));
	if (url != NULL && (strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0)) {
		evbuffer_add_printf(b, "<a class=\"ci-link\" rel=\"noreferrer\" "
		    "href=\"");
		web_html(b, url);
		evbuffer_add_printf(b, "\">CI</a>");
	}
	evbuffer_add_printf(b, "</td></tr>\n");
	if (status != NULL && strcmp(status, "running") == 0) {
		evbuffer_add_printf(b, "<tr class=\"chips-row\"><td></td>"
		    "<td colspan=\"12\">");
		web_chips(d, b, id, sid, json_integer_value(json_object_get(o,
		    "tests")));
		evbuffer_add_printf(b, "</td></tr>\n");
	}
}

/*
 * GET / and /jobs?status=S&branch=B&q=TEXT&page=N&before=J: jobs, newest
 * first, WEB_JOBS_PAGE a page.
 */
void
route_jobs_page(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	static const char *const statuses[] = { "running", "passed",
	    "failed", "error", "vanished" };
	struct evbuffer *b, *filters;
	sqlite3_stmt *st;
	const char *status = http_query(a, "status");
	const char *branch = http_query(a, "branch");
	const char *q = http_query(a, "q");
	const char *before = http_query(a, "before");
	long long page = 1, ids[WEB_JOBS_PAGE + 1], bid = 0;
	size_t n = 0, i;
	json_t *o;
	char *fs;

	if (http_query_num(req, a, "page", 1, 1000000, &page) == -1)
		return;
	if (status != NULL && *status == '\0')
		status = NULL;
	if (branch != NULL && *branch == '\0')
		branch = NULL;
	if (q != NULL && *q == '\0')
		q = NULL;
	if (before != NULL && *before != '\0' &&
	    jobs_resolve(d, before, &bid) == -1) {
		web_not_found(d, req, "job", before);
		return;
	}
	st = db_stmt(d, sql_jobs_page);
	db_bind_text(st, 1, status);
	db_bind_text(st, 2, branch);
	db_bind_text(st, 3, q);
	if (bid > 0)
		sqlite3_bind_int64(st, 4, bid);
	sqlite3_bind_int(st, 5, WEB_JOBS_PAGE + 1);
	sqlite3_bind_int64(st, 6, bid > 0 ? 0 : (page - 1) * WEB_JOBS_PAGE);
	while (n < WEB_JOBS_PAGE + 1 && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	b = evbuffer_new();
	web_begin(d, b, "jobs");
	evbuffer_add_printf(b, "<h1>Jobs</h1>\n<form class=\"filters\" "
	    "method=\"get\" action=\"/jobs\"><select name=\"status\" "
	    "aria-label=\"status\"><option value=\"\">any status</option>");
	for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		evbuffer_add_printf(b, "<option%s>%s</option>",
		    status != NULL && strcmp(status, statuses[i]) == 0 ?
		    " selected" : "", statuses[i]);
	evbuffer_add_printf(b, "</select><input name=\"branch\" "
	    "placeholder=\"branch\" aria-label=\"branch\" value=\"");
	web_html(b, branch);
	evbuffer_add_printf(b, "\"><input name=\"q\" type=\"search\" "
	    "placeholder=\"search\" aria-label=\"search\" value=\"");
	web_html(b, q);
	evbuffer_add_printf(b, "\"><button type=\"submit\">Filter</button>"
	    "</form>\n<table id=\"jobs\"><thead><tr><th>Job</th><th>Status"
	    "</th><th>Branch</th><th>Commit</th><th>When</th><th class=\"num\">"
	    "Duration</th><th class=\"num\">Passed</th><th class=\"num\">"
	    "Failed</th><th class=\"num\">Flaky</th><th class=\"num\">Skipped"
	    "</th><th class=\"num\" title=\"recorded durations of DESELECTED "
	    "and REDUNDANT tests\">Saved</th><th class=\"num\">Nodes</th>"
	    "<th>CI</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < n && i < WEB_JOBS_PAGE; i++) {
		if ((o = jobs_json(d, ids[i])) == NULL)
			continue;
		web_job_row(d, b, ids[i], o);
		json_decref(o);
	}
	evbuffer_add_printf(b, "</tbody></table>\n");
	if (n == 0)
		evbuffer_add_printf(b, "<p class=\"muted\" id=\"no-jobs\">No "
		    "jobs%s.</p>\n", status != NULL || branch != NULL ||
		    q != NULL ? " match" : " yet: dagz run stores them here");
	filters = evbuffer_new();
	web_filter_param(filters, "status", status);
	web_filter_param(filters, "branch", branch);
	web_filter_param(filters, "q", q);
	evbuffer_add(filters, "", 1);
	fs = (char *)evbuffer_pullup(filters, -1);
	evbuffer_add_printf(b, "<nav class=\"pages\">");
	if (page > 1 && bid == 0)
		evbuffer_add_printf(b, "<a class=\"prev\" href=\"/jobs?page=%lld"
		    "%s\">Newer</a>", page - 1, fs);
	if (n > WEB_JOBS_PAGE) {
		if (bid > 0) {
			o = jobs_json(d, ids[WEB_JOBS_PAGE - 1]);
			evbuffer_add_printf(b, "<a class=\"next\" "
			    "href=\"/jobs?before=");
			web_url(b, json_string_value(json_object_get(o,
			    "uuid")));
			evbuffer_add_printf(b, "%s\">Older</a>", fs);
			json_decref(o);
		} else
			evbuffer_add_printf(b, "<a class=\"next\" "
			    "href=\"/jobs?page=%lld%s\">Older</a>", page + 1,
			    fs);
	}
	evbuffer_add_printf(b, "</nav>\n");
	evbuffer_free(filters);
	web_end(b);
	web_send(req, 200, b);
}

static const char sql_history[] =
    "SELECT j.day, j.seq, j.created, r.status, r.duration, r.attempt, "
    "r.reason, r.span, j.project, json_extract(j.meta, '$.stress') "
    "IS NOT NULL FROM results r JOIN jobs j ON "
    "j.id = r.job WHERE r.test = ?1 AND r.final = 1 AND "
    "(?2 IS NULL OR j.project = ?2) ORDER BY r.job DESC LIMIT 100";
static const char sql_log_of[] =
    "SELECT l.z FROM logs l WHERE l.span = ?";
static const char sql_attempt_span[] =
    "SELECT r.span FROM results r JOIN jobs j ON j.id = r.job WHERE "
    "r.test = ?1 AND r.attempt > 0 AND r.status IN ('FAILED', 'TIMEOUT', "
    "'CRASHED') AND (?2 IS NULL OR j.project = ?2) ORDER BY r.job DESC, "
    "r.attempt DESC LIMIT 1";

/*
 * GET /tests/ID?project=P: a test's recent results across jobs, its
 * flaky rate (as query_flaky counts it) and its last failure's log.
 */
void
route_test_page(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct evbuffer *b, *rows;
	sqlite3_stmt *st;
	enum test_status s;
	const char *test = a->seg[0], *project = http_query(a, "project");
	const char *status;
	char sid[JOBID_SHORT_LEN], *span = NULL;
	int today = jobid_day(time(NULL)), runs = 0, flaky = 0, flips = 0;
	int last = -1, pass, n = 0;

	if (project != NULL && *project == '\0')
		project = NULL;
	rows = evbuffer_new();
	st = db_stmt(d, sql_history);
	db_bind_text(st, 1, test);
	db_bind_text(st, 2, project);
	while (sqlite3_step(st) == SQLITE_ROW) {
		n++;
		jobid_short(sqlite3_column_int(st, 0), sqlite3_column_int(st,
		    1), today, sid, sizeof sid);
		status = (const char *)sqlite3_column_text(st, 3);
		/* A stress job's runs are not the test's flaky rate. */
		if (status_parse(status, &s) == 0 &&
		    !sqlite3_column_int(st, 9) && (status_passed(s) ||
		    status_failed(s)) && s != ST_SKIPPED &&
		    s != ST_DESELECTED && s != ST_REDUNDANT) {
			pass = status_passed(s);
			runs++;
			if (s == ST_OK_FLAKY)
				flaky++;
			if (last != -1 && last != pass)
				flips++;
			last = pass;
		}
		evbuffer_add_printf(rows, "<tr data-job=\"%s\"><td><a "
		    "class=\"job-link\" href=\"/jobs/%s\">%s</a></td>", sid,
		    sid, sid);
		web_status(rows, "td", status);
		evbuffer_add_printf(rows, "<td class=\"num\">");
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			web_duration(rows, sqlite3_column_double(st, 4));
		evbuffer_add_printf(rows, "</td><td class=\"num\">%d</td><td>",
		    sqlite3_column_int(st, 5));
		web_time(rows, sqlite3_column_double(st, 2));
		evbuffer_add_printf(rows, "</td><td>");
		web_html(rows, (const char *)sqlite3_column_text(st, 6));
		evbuffer_add_printf(rows, "</td></tr>\n");
	}
	if (n == 0) {
		evbuffer_free(rows);
		web_not_found(d, req, "test", test);
		return;
	}
	st = db_stmt(d, sql_attempt_span);
	db_bind_text(st, 1, test);
	db_bind_text(st, 2, project);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		span = xstrdup((const char *)sqlite3_column_text(st, 0));

	b = evbuffer_new();
	web_begin(d, b, test);
	evbuffer_add_printf(b, "<h1>Test <code id=\"test-id\">");
	web_html(b, test);
	evbuffer_add_printf(b, "</code></h1>\n");
	if (project != NULL) {
		evbuffer_add_printf(b, "<p class=\"muted\">in project <code>");
		web_html(b, project);
		evbuffer_add_printf(b, "</code></p>\n");
	}
	evbuffer_add_printf(b, "<p>Flaky rate: <span id=\"flaky-rate\">"
	    "%.0f%%</span> <span class=\"muted\">(%d flaky, %d flips over %d "
	    "runs)</span></p>\n<table id=\"history\"><thead><tr><th>Job</th>"
	    "<th>Status</th><th class=\"num\">Duration</th><th class=\"num\">"
	    "Attempts</th><th>When</th><th>Reason</th></tr></thead><tbody>\n",
	    runs > 0 ? 100.0 * (flaky + flips) / runs : 0.0, flaky, flips,
	    runs);
	evbuffer_add_buffer(b, rows);
	evbuffer_free(rows);
	evbuffer_add_printf(b, "</tbody></table>\n");
	if (span != NULL) {
		st = db_stmt(d, sql_log_of);
		db_bind_text(st, 1, span);
		evbuffer_add_printf(b, "<h2>Last failure's log</h2>\n");
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL) {
			evbuffer_add_printf(b, "<pre class=\"log\" "
			    "id=\"last-failure\">");
			web_log(b, sqlite3_column_blob(st, 0),
			    sqlite3_column_bytes(st, 0));
			evbuffer_add_printf(b, "</pre>\n");
		} else
			evbuffer_add_printf(b, "<p class=\"muted\">No log was "
			    "kept.</p>\n");
		free(span);
	}
	web_end(b);
	web_send(req, 200, b);
}

/* GET /flaky?jobs=N&project=P: as zb flaky. */
void
route_flaky_page(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct evbuffer *b;
	const char *project = http_query(a, "project");
	long long jobs = 50;
	json_t *list, *o;
	size_t i;

	if (http_query_num(req, a, "jobs", 1, 1000000, &jobs) == -1)
		return;
	if (project != NULL && *project == '\0')
		project = NULL;
	list = query_flaky(d, NULL, project, jobs, 200);
	b = evbuffer_new();
	web_begin(d, b, "flaky tests");
	evbuffer_add_printf(b, "<h1>Flaky tests</h1>\n<p class=\"muted\">Over "
	    "the last %lld jobs: a test is flaky in a job when it passed only "
	    "on a retry, and across jobs each time it flips between pass and "
	    "fail.</p>\n<table id=\"flaky\"><thead><tr><th>Test</th><th "
	    "class=\"num\">Rate</th><th class=\"num\">Runs</th><th "
	    "class=\"num\">Passed</th><th class=\"num\">Failed</th><th "
	    "class=\"num\">Flaky</th><th class=\"num\">Flips</th></tr></thead>"
	    "<tbody>\n", jobs);
	json_array_foreach(list, i, o) {
		evbuffer_add_printf(b, "<tr data-test=\"");
		web_html(b, json_string_value(json_object_get(o, "test")));
		evbuffer_add_printf(b, "\"><td>");
		web_test_link(b, json_string_value(json_object_get(o, "test")),
		    project);
		evbuffer_add_printf(b, "</td><td class=\"num\">%.0f%%</td>"
		    "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
		    "<td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
		    "<td class=\"num\">%lld</td></tr>\n",
		    100 * json_number_value(json_object_get(o, "rate")),
		    (long long)json_integer_value(json_object_get(o, "runs")),
		    (long long)json_integer_value(json_object_get(o,
		    "passed")),
		    (long long)json_integer_value(json_object_get(o,
		    "failed")),
		    (long long)json_integer_value(json_object_get(o, "flaky")),
		    (long long)json_integer_value(json_object_get(o,
		    "flips")));
	}
	evbuffer_add_printf(b, "</tbody></table>\n");
	if (json_array_size(list) == 0)
		evbuffer_add_printf(b, "<p class=\"muted\">No flaky tests."
		    "</p>\n");
	json_decref(list);
	web_end(b);
	web_send(req, 200, b);
}
