/*
 * dagzd-web-job.c: a job's page, /jobs/J (short id or UUID), where the
 * links that dagz run prints lead: its header (summary, CI run,
 * baseline, command, result chips) and four tabs, each a link that
 * works without JavaScript: Errors (failed tests, their reasons and
 * failing cases, a test's logs and cases, the agent bundle of each
 * failed attempt), Tests (sorted, searched, 500 a page), Selection
 * (what the selection ran and why, of its cases too, then what it left
 * out and why) and Timeline (an SVG of every attempt on every worker,
 * and under it the plan the job started from).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "dagzd-web.h"
#include "status.h"
#include "xmalloc.h"

#define WEB_TIMELINE_MAX	20000	/* attempts drawn */
#define WEB_TIMELINE_W		1000.0	/* user units of the plot */
#define WEB_ROW_H		18
#define WEB_PLAN_H		8	/* the planned row under a worker's */
#define WEB_LABEL_W		90
#define WEB_CASES_MAX		200	/* cases listed, of each kind */
#define WEB_CASES_LIMIT		100000	/* the most &cases= asks */

/* What the tabs share of the job. */
struct web_job {
	long long	 id;
	const char	*sid;		/* short id */
	const char	*project;
	json_t		*o;		/* jobs_json's */
	long long	 cases_max;	/* cases listed a test (&cases=) */
};

/* The job's tab link: ?tab=NAME plus extra (already escaped). */
static void
web_tab_href(struct evbuffer *b, struct web_job *j, const char *tab)
{
	evbuffer_add_printf(b, "/jobs/");
	web_url(b, j->sid);
	evbuffer_add_printf(b, "?tab=%s", tab);
}

/* "FAILED: 1 FAILED, 3 OK in 2.1s", as the job's report says it. */
static void
web_summary(struct evbuffer *b, json_t *o)
{
	static const char *const order[] = { "FAILED", "TIMEOUT", "CRASHED",
	    "DEP_FAILED", "DAGZ_ERROR", "OK", "OK_FLAKY", "SKIPPED",
	    "DESELECTED", "REDUNDANT", "NOT_RUN" };
	json_t *counts = json_object_get(o, "counts"), *v;
	const char *k;
	size_t i;
	int first = 1;

	evbuffer_add_printf(b, "<p class=\"summary\" id=\"summary\">");
	web_status(b, "span", json_string_value(json_object_get(o,
	    "status")));
	evbuffer_add_printf(b, ": ");
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		if ((v = json_object_get(counts, order[i])) == NULL ||
		    json_integer_value(v) == 0)
			continue;
		evbuffer_add_printf(b, "%s%lld %s", first ? "" : ", ",
		    (long long)json_integer_value(v), order[i]);
		first = 0;
	}
	/* Statuses this page does not know: shown, never dropped. */
	json_object_foreach(counts, k, v) {
		for (i = 0; i < sizeof order / sizeof order[0]; i++)
			if (strcmp(order[i], k) == 0)
				break;
		if (i < sizeof order / sizeof order[0] ||
		    json_integer_value(v) == 0)
			continue;
		evbuffer_add_printf(b, "%s%lld ", first ? "" : ", ",
		    (long long)json_integer_value(v));
		web_html(b, k);
		first = 0;
	}
	if (first)
		evbuffer_add_printf(b, "no results yet");
	if (json_is_number(json_object_get(o, "duration"))) {
		evbuffer_add_printf(b, " in ");
		web_duration(b, json_number_value(json_object_get(o,
		    "duration")));
	}
	evbuffer_add_printf(b, "</p>\n");
}

static const char sql_baseline[] =
    "SELECT id FROM baselines WHERE job = ?1 OR job = ?2 ORDER BY id DESC "
    "LIMIT 1";

/* The job's header: summary, CI run, baseline, command and chips. */
/* A tag after a test that was quarantined when it ran. */
static void
web_quarantined(struct evbuffer *b, int quarantined)
{
	if (quarantined)
		evbuffer_add_printf(b, " <span class=\"tag quarantined\" "
		    "title=\"its failure fails no job\">quarantined</span>");
}

static void
web_job_header(struct dagzd *d, struct evbuffer *b, struct web_job *j)
{
	sqlite3_stmt *st;
	json_t *o = j->o, *argv, *v;
	const char *url, *s;
	size_t i;

	evbuffer_add_printf(b, "<h1>Job <span id=\"job-id\">");
	web_html(b, j->sid);
	evbuffer_add_printf(b, "</span></h1>\n");
	web_summary(b, o);
	evbuffer_add_printf(b, "<dl class=\"meta\">");
	evbuffer_add_printf(b, "<dt>UUID</dt><dd class=\"mono\" id=\"uuid\">");
	web_html(b, json_string_value(json_object_get(o, "uuid")));
	evbuffer_add_printf(b, "</dd>");
	if ((s = json_string_value(json_object_get(o, "project"))) != NULL) {
		evbuffer_add_printf(b, "<dt>Project</dt><dd>");
		web_html(b, s);
		evbuffer_add_printf(b, "</dd>");
	}
	if ((s = json_string_value(json_object_get(o, "branch"))) != NULL) {
		evbuffer_add_printf(b, "<dt>Branch</dt><dd>");
		web_html(b, s);
		evbuffer_add_printf(b, "</dd>");
	}
	if ((s = json_string_value(json_object_get(o, "commit"))) != NULL) {
		evbuffer_add_printf(b, "<dt>Commit</dt><dd class=\"mono\">");
		web_html(b, s);
		evbuffer_add_printf(b, "</dd>");
	}
	evbuffer_add_printf(b, "<dt>Started</dt><dd>");
	web_time_iso(b, json_string_value(json_object_get(o, "created")));
	evbuffer_add_printf(b, "</dd>");
	url = json_string_value(json_object_get(json_object_get(o, "ci"),
	    "url"));
	if (url != NULL && (strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://", 7) == 0)) {
		evbuffer_add_printf(b, "<dt>CI run</dt><dd><a class=\"ci-link\" "
		    "rel=\"noreferrer\" href=\"");
		web_html(b, url);
		evbuffer_add_printf(b, "\">");
		web_html(b, url);
		evbuffer_add_printf(b, "</a></dd>");
	}
	if ((v = json_object_get(o, "stress")) != NULL && json_is_object(v)) {
		/* Its runs feed no baseline and no flaky rate. */
		evbuffer_add_printf(b, "<dt>Stress job</dt><dd id=\"stress\">");
		if (json_integer_value(json_object_get(v, "repeat")) > 0)
			evbuffer_add_printf(b, "--repeat %lld", (long long)
			    json_integer_value(json_object_get(v, "repeat")));
		if (json_is_true(json_object_get(v, "until_fail")))
			evbuffer_add_printf(b, "%s--until-fail",
			    json_integer_value(json_object_get(v, "repeat")) >
			    0 ? " " : "");
		evbuffer_add_printf(b, "</dd>");
	}
	if ((s = json_string_value(json_object_get(o, "rerun_of"))) != NULL) {
		evbuffer_add_printf(b, "<dt>Rerun of</dt><dd><a href=\"/jobs/");
		web_url(b, s);
		evbuffer_add_printf(b, "\">");
		web_html(b, s);
		evbuffer_add_printf(b, "</a></dd>");
	}
	st = db_stmt(d, sql_baseline);
	db_bind_text(st, 1, json_string_value(json_object_get(o, "uuid")));
	db_bind_text(st, 2, j->sid);
	if (sqlite3_step(st) == SQLITE_ROW)
		evbuffer_add_printf(b, "<dt>Baseline</dt><dd class=\"mono\" "
		    "id=\"baseline\">b%lld</dd>", (long long)
		    sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	argv = json_object_get(o, "argv");
	if (json_is_array(argv)) {
		evbuffer_add_printf(b, "<dt>Command</dt><dd><code "
		    "id=\"command\">");
		json_array_foreach(argv, i, v) {
			if (i > 0)
				evbuffer_add_printf(b, " ");
			web_html(b, json_string_value(v));
		}
		evbuffer_add_printf(b, "</code></dd>");
	}
	evbuffer_add_printf(b, "</dl>\n");
	/* Chips while it runs; once it is over, the tabs say it all. */
	if ((s = json_string_value(json_object_get(o, "status"))) != NULL &&
	    strcmp(s, "running") == 0)
		web_chips(d, b, j->id, j->sid, json_integer_value(
		    json_object_get(o, "tests")));
}

static const char sql_failed[] =
    "SELECT test, status, reason, attempt, span, quarantined FROM results "
    "WHERE job = ? "
    "AND final = 1 AND status IN ('FAILED', 'TIMEOUT', 'CRASHED', "
    "'DEP_FAILED', 'DAGZ_ERROR') ORDER BY test";
static const char sql_failed_cases[] =
    "SELECT s.name, s.status, s.attrs FROM spans s WHERE s.parent = ? AND "
    "s.type = 'case' AND s.status = 'FAILED' ORDER BY s.id";
static const char sql_attempts[] =
    "SELECT r.attempt, r.status, r.span, r.duration, r.reason, l.z, "
    "r.cases FROM results r LEFT JOIN logs l ON l.span = r.span WHERE "
    "r.job = ? AND r.test = ? AND r.attempt > 0 ORDER BY r.attempt";
/* Counted from the index spans_status alone. */
static const char sql_deselected_count[] =
    "SELECT count(*) FROM spans WHERE parent = ? AND type = 'case' AND "
    "status = 'DESELECTED'";
static const char sql_deselected_cases[] =
    "SELECT name FROM spans WHERE parent = ?1 AND type = 'case' AND "
    "status = 'DESELECTED' ORDER BY id LIMIT ?2";
static const char sql_ran_cases[] =
    "SELECT name, status FROM spans WHERE parent = ?1 AND type = 'case' "
    "AND status IS NOT 'DESELECTED' ORDER BY id LIMIT ?2";
static const char sql_case_output[] =
    "SELECT s.name, l.z FROM spans s JOIN logs l ON l.span = s.span WHERE "
    "s.parent = ? AND s.type = 'case' AND s.status = 'FAILED' "
    "ORDER BY s.id";

/* How many of the cases of the attempt of test span span were DESELECTED. */
static long long
web_deselected_count(struct dagzd *d, const char *span)
{
	sqlite3_stmt *st = db_stmt(d, sql_deselected_count);
	long long n = 0;

	db_bind_text(st, 1, span);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (n);
}

/*
 * The n DESELECTED cases of the attempt of test span span, collapsed:
 * the first max, then how many more.
 */
static void
web_deselected_cases(struct dagzd *d, struct evbuffer *b, const char *span,
    long long n, long long max)
{
	sqlite3_stmt *st = db_stmt(d, sql_deselected_cases);
	long long i = 0;

	evbuffer_add_printf(b, "<details class=\"deselected-cases\"><summary>"
	    "%lld DESELECTED case%s</summary><ul class=\"cases\">", n,
	    n == 1 ? "" : "s");
	db_bind_text(st, 1, span);
	sqlite3_bind_int64(st, 2, max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		i++;
		evbuffer_add_printf(b, "<li data-case=\"");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "\">");
		web_status(b, "span", "DESELECTED");
		evbuffer_add_printf(b, " <code>");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "</code></li>");
	}
	sqlite3_reset(st);
	if (n > i)
		evbuffer_add_printf(b, "<li class=\"more muted\">and %lld "
		    "more</li>", n - i);
	evbuffer_add_printf(b, "</ul></details>");
}

/*
 * The cases of the attempt of test span span (total of them, as its
 * result counts them): those that ran with their status, then the
 * DESELECTED ones, collapsed; at most max of each.
 */
static void
web_case_list(struct dagzd *d, struct evbuffer *b, int attempt,
    const char *span, long long total, long long max)
{
	sqlite3_stmt *st;
	long long desel = web_deselected_count(d, span), ran, i = 0;

	ran = total > desel ? total - desel : 0;
	evbuffer_add_printf(b, "<div class=\"case-list\" data-attempt=\"%d\">"
	    "<p class=\"cases-count\">Cases: %lld run", attempt, ran);
	if (desel > 0)
		evbuffer_add_printf(b, ", %lld DESELECTED", desel);
	evbuffer_add_printf(b, "</p>");
	st = db_stmt(d, sql_ran_cases);
	db_bind_text(st, 1, span);
	sqlite3_bind_int64(st, 2, max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (i++ == 0)
			evbuffer_add_printf(b, "<ul class=\"cases\">");
		evbuffer_add_printf(b, "<li data-case=\"");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "\">");
		web_status(b, "span", (const char *)sqlite3_column_text(st, 1));
		evbuffer_add_printf(b, " <code>");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "</code></li>");
	}
	sqlite3_reset(st);
	if (i > 0 && ran > i)
		evbuffer_add_printf(b, "<li class=\"more muted\">and %lld "
		    "more</li>", ran - i);
	if (i > 0)
		evbuffer_add_printf(b, "</ul>");
	if (desel > 0)
		web_deselected_cases(d, b, span, desel, max);
	evbuffer_add_printf(b, "</div>\n");
}

/* The ✨ links of a failed test: one per failed attempt. */
static void
web_bundles(struct dagzd *d, struct evbuffer *b, struct web_job *j,
    const char *test)
{
	sqlite3_stmt *st = db_stmt(d, sql_attempts);
	enum test_status s;
	const char *span;

	sqlite3_bind_int64(st, 1, j->id);
	db_bind_text(st, 2, test);
	while (sqlite3_step(st) == SQLITE_ROW) {
		span = (const char *)sqlite3_column_text(st, 2);
		if (span == NULL || status_parse((const char *)
		    sqlite3_column_text(st, 1), &s) == -1 ||
		    !(status_failed(s) || s == ST_DAGZ_ERROR))
			continue;
		evbuffer_add_printf(b, "<a class=\"bundle\" data-attempt=\"%d\" "
		    "href=\"/api/v1/spans/", sqlite3_column_int(st, 0));
		web_url(b, span);
		evbuffer_add_printf(b, "/bundle\" download title=\"download the "
		    "agent-context bundle of attempt %d (as zb span-logs)\">"
		    "\xe2\x9c\xa8 agent bundle, attempt %d</a>",
		    sqlite3_column_int(st, 0), sqlite3_column_int(st, 0));
	}
	sqlite3_reset(st);
}

/* The logs of every attempt of test, and its failed cases' output. */
static void
web_test_logs(struct dagzd *d, struct evbuffer *b, struct web_job *j,
    const char *test)
{
	sqlite3_stmt *st = db_stmt(d, sql_attempts), *cs;
	int n = 0;

	evbuffer_add_printf(b, "<div id=\"logs\" data-test=\"");
	web_html(b, test);
	evbuffer_add_printf(b, "\"><h2>Logs of <code>");
	web_html(b, test);
	evbuffer_add_printf(b, "</code></h2>\n");
	sqlite3_bind_int64(st, 1, j->id);
	db_bind_text(st, 2, test);
	while (sqlite3_step(st) == SQLITE_ROW) {
		n++;
		evbuffer_add_printf(b, "<h3>Attempt %d: ",
		    sqlite3_column_int(st, 0));
		web_status(b, "span", (const char *)sqlite3_column_text(st,
		    1));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			evbuffer_add_printf(b, " in ");
			web_duration(b, sqlite3_column_double(st, 3));
		}
		evbuffer_add_printf(b, "</h3>\n");
		if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 6) > 0)
			web_case_list(d, b, sqlite3_column_int(st, 0),
			    (const char *)sqlite3_column_text(st, 2),
			    sqlite3_column_int64(st, 6), j->cases_max);
		if (sqlite3_column_type(st, 5) == SQLITE_NULL) {
			evbuffer_add_printf(b, "<p class=\"muted\">No log was "
			    "kept.</p>\n");
			continue;
		}
		evbuffer_add_printf(b, "<pre class=\"log\" data-attempt=\"%d\">",
		    sqlite3_column_int(st, 0));
		web_log(b, sqlite3_column_blob(st, 5), sqlite3_column_bytes(st,
		    5));
		evbuffer_add_printf(b, "</pre>\n");
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			continue;
		cs = db_stmt(d, sql_case_output);
		db_bind_text(cs, 1, (const char *)sqlite3_column_text(st, 2));
		while (sqlite3_step(cs) == SQLITE_ROW) {
			evbuffer_add_printf(b, "<h4>Case <code>");
			web_html(b, (const char *)sqlite3_column_text(cs, 0));
			evbuffer_add_printf(b, "</code></h4><pre class=\"log "
			    "case-output\">");
			web_log(b, sqlite3_column_blob(cs, 1),
			    sqlite3_column_bytes(cs, 1));
			evbuffer_add_printf(b, "</pre>\n");
		}
		sqlite3_reset(cs);
	}
	sqlite3_reset(st);
	if (n == 0)
		evbuffer_add_printf(b, "<p class=\"muted\">This test did not "
		    "run in this job.</p>\n");
	evbuffer_add_printf(b, "</div>\n");
}

/* The Errors tab: failed tests, and with ?test= that test's logs. */
static void
web_tab_errors(struct dagzd *d, struct evbuffer *b, struct web_job *j,
    struct route_args *a)
{
	sqlite3_stmt *st, *cs;
	const char *show = http_query(a, "test"), *test;
	json_t *attrs;
	int n = 0, sel;
	size_t i;

	evbuffer_add_printf(b, "<section id=\"errors\">\n<ul>\n");
	st = db_stmt(d, sql_failed);
	sqlite3_bind_int64(st, 1, j->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		test = (const char *)sqlite3_column_text(st, 0);
		n++;
		sel = show != NULL && strcmp(show, test) == 0;
		evbuffer_add_printf(b, "<li%s data-test=\"", sel ?
		    " class=\"selected\"" : "");
		web_html(b, test);
		evbuffer_add_printf(b, "\">");
		web_status(b, "span", (const char *)sqlite3_column_text(st,
		    1));
		web_quarantined(b, sqlite3_column_int(st, 5));
		evbuffer_add_printf(b, " <a class=\"show-logs\" href=\"");
		web_tab_href(b, j, "errors");
		evbuffer_add_printf(b, "&amp;test=");
		web_url(b, test);
		evbuffer_add_printf(b, "#logs\"><code>");
		web_html(b, test);
		evbuffer_add_printf(b, "</code></a> <span class=\"muted\">(");
		web_test_link(b, test, j->project);
		evbuffer_add_printf(b, ")</span>");
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			evbuffer_add_printf(b, "<div class=\"reason\">");
			web_html(b, (const char *)sqlite3_column_text(st, 2));
			evbuffer_add_printf(b, "</div>");
		}
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			cs = db_stmt(d, sql_failed_cases);
			db_bind_text(cs, 1,
			    (const char *)sqlite3_column_text(st, 4));
			i = 0;
			while (sqlite3_step(cs) == SQLITE_ROW) {
				if (i++ == 0)
					evbuffer_add_printf(b, "<ul class=\""
					    "cases\">");
				evbuffer_add_printf(b, "<li data-case=\"");
				web_html(b, (const char *)
				    sqlite3_column_text(cs, 0));
				evbuffer_add_printf(b, "\">");
				web_status(b, "span", "FAILED");
				evbuffer_add_printf(b, " <code>");
				web_html(b, (const char *)
				    sqlite3_column_text(cs, 0));
				evbuffer_add_printf(b, "</code>");
				attrs = db_column_json(cs, 2);
				if (json_string_value(json_object_get(attrs,
				    "reason")) != NULL) {
					evbuffer_add_printf(b, ": ");
					web_html(b, json_string_value(
					    json_object_get(attrs, "reason")));
				}
				json_decref(attrs);
				evbuffer_add_printf(b, "</li>");
			}
			sqlite3_reset(cs);
			if (i > 0)
				evbuffer_add_printf(b, "</ul>");
		}
		web_bundles(d, b, j, test);
		evbuffer_add_printf(b, "</li>\n");
	}
	sqlite3_reset(st);
	evbuffer_add_printf(b, "</ul>\n");
	if (n == 0)
		evbuffer_add_printf(b, "<p class=\"muted\" id=\"no-errors\">No "
		    "test failed.</p>\n");
	if (show != NULL)
		web_test_logs(d, b, j, show);
	evbuffer_add_printf(b, "</section>\n");
}

static const char sql_tests_count[] =
    "SELECT count(*) FROM results WHERE job = ?1 AND final = 1 AND "
    "(?2 IS NULL OR instr(lower(test), lower(?2)) > 0)";

/* ?4 picks the column of sorts[] below, ?5 the direction. */
static const char sql_tests_page[] =
    "SELECT test, status, attempt, duration, worker, node, quarantined, "
    "CASE ?4 "
    "WHEN 0 THEN test WHEN 1 THEN status WHEN 2 THEN attempt WHEN 3 THEN "
    "duration WHEN 4 THEN worker ELSE node END AS k FROM results "
    "WHERE job = ?1 AND final = 1 AND (?2 IS NULL OR instr(lower(test), "
    "lower(?2)) > 0) ORDER BY k IS NULL, CASE WHEN ?5 = 0 THEN k END ASC, "
    "CASE WHEN ?5 = 1 THEN k END DESC, test LIMIT ?6 OFFSET ?3";

/* The Tests tab: every test, sorted by ?sort=&order=, searched by ?q=. */
static void
web_tab_tests(struct dagzd *d, struct http_req *req, struct evbuffer *b,
    struct web_job *j, struct route_args *a)
{
	static const struct {
		const char	*key;
		const char	*label;
	} sorts[] = {
		{ "test", "Test" },
		{ "status", "Status" },
		{ "attempts", "Attempts" },
		{ "duration", "Duration" },
		{ "worker", "Worker" },
		{ "node", "Node" },
	};
	sqlite3_stmt *st;
	const char *sort = http_query(a, "sort"), *order = http_query(a,
	    "order"), *q = http_query(a, "q");
	long long page = 1, total = 0, pages;
	size_t si = 0, i;
	int desc;

	if (http_query_num(req, a, "page", 1, 1000000, &page) == -1)
		return;
	for (i = 0; sort != NULL && i < sizeof sorts / sizeof sorts[0]; i++)
		if (strcmp(sort, sorts[i].key) == 0)
			si = i;
	sort = sorts[si].key;
	desc = order != NULL ? strcmp(order, "desc") == 0 :
	    strcmp(sort, "duration") == 0;
	if (q != NULL && *q == '\0')
		q = NULL;
	st = db_stmt(d, sql_tests_count);
	sqlite3_bind_int64(st, 1, j->id);
	db_bind_text(st, 2, q);
	if (sqlite3_step(st) == SQLITE_ROW)
		total = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	pages = total == 0 ? 1 : (total + WEB_PAGE_ROWS - 1) / WEB_PAGE_ROWS;

	evbuffer_add_printf(b, "<section id=\"tests-tab\">\n<form "
	    "class=\"filters\" method=\"get\" action=\"/jobs/");
	web_url(b, j->sid);
	evbuffer_add_printf(b, "\"><input type=\"hidden\" name=\"tab\" "
	    "value=\"tests\"><input type=\"hidden\" name=\"sort\" value=\"%s\">"
	    "<input type=\"hidden\" name=\"order\" value=\"%s\"><input "
	    "type=\"search\" name=\"q\" placeholder=\"search tests\" "
	    "aria-label=\"search tests\" value=\"", sort, desc ? "desc" :
	    "asc");
	web_html(b, q);
	evbuffer_add_printf(b, "\"><button type=\"submit\">Search</button>"
	    "<span class=\"muted\" id=\"tests-count\">%lld tests</span></form>\n"
	    "<table id=\"tests\" data-sort=\"%s\" data-order=\"%s\"><thead><tr>",
	    total, sort, desc ? "desc" : "asc");
	for (i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
		evbuffer_add_printf(b, "<th%s><a data-sort=\"%s\" href=\"",
		    i >= 2 ? " class=\"num\"" : "", sorts[i].key);
		web_tab_href(b, j, "tests");
		evbuffer_add_printf(b, "&amp;sort=%s&amp;order=%s",
		    sorts[i].key, i == si && !desc ? "desc" : "asc");
		if (q != NULL) {
			evbuffer_add_printf(b, "&amp;q=");
			web_url(b, q);
		}
		evbuffer_add_printf(b, "\">%s%s</a></th>", sorts[i].label,
		    i != si ? "" : desc ? " \xe2\x96\xbc" : " \xe2\x96\xb2");
	}
	evbuffer_add_printf(b, "</tr></thead>\n<tbody>\n");
	st = db_stmt(d, sql_tests_page);
	sqlite3_bind_int64(st, 1, j->id);
	db_bind_text(st, 2, q);
	sqlite3_bind_int64(st, 3, (page - 1) * WEB_PAGE_ROWS);
	sqlite3_bind_int(st, 4, (int)si);
	sqlite3_bind_int(st, 5, desc);
	sqlite3_bind_int(st, 6, WEB_PAGE_ROWS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		evbuffer_add_printf(b, "<tr data-test=\"");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "\"><td>");
		web_test_link(b, (const char *)sqlite3_column_text(st, 0),
		    j->project);
		web_quarantined(b, sqlite3_column_int(st, 6));
		evbuffer_add_printf(b, "</td>");
		web_status(b, "td", (const char *)sqlite3_column_text(st, 1));
		evbuffer_add_printf(b, "<td class=\"num attempts\">%d</td>"
		    "<td class=\"num duration\">", sqlite3_column_int(st, 2));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			web_duration(b, sqlite3_column_double(st, 3));
		evbuffer_add_printf(b, "</td><td class=\"num worker\">");
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			evbuffer_add_printf(b, "%d", sqlite3_column_int(st, 4));
		evbuffer_add_printf(b, "</td><td class=\"num node\">");
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			evbuffer_add_printf(b, "%d", sqlite3_column_int(st, 5));
		evbuffer_add_printf(b, "</td></tr>\n");
	}
	sqlite3_reset(st);
	evbuffer_add_printf(b, "</tbody></table>\n<nav class=\"pages\">");
	for (i = 0; i < 2; i++) {
		if ((i == 0 && page <= 1) || (i == 1 && page >= pages))
			continue;
		evbuffer_add_printf(b, "<a class=\"%s\" href=\"", i == 0 ?
		    "prev" : "next");
		web_tab_href(b, j, "tests");
		evbuffer_add_printf(b, "&amp;sort=%s&amp;order=%s&amp;page=%lld",
		    sort, desc ? "desc" : "asc", i == 0 ? page - 1 : page + 1);
		if (q != NULL) {
			evbuffer_add_printf(b, "&amp;q=");
			web_url(b, q);
		}
		evbuffer_add_printf(b, "\">%s</a>", i == 0 ? "Previous" :
		    "Next");
	}
	evbuffer_add_printf(b, "<span class=\"muted\">page %lld of %lld</span>"
	    "</nav>\n</section>\n", page, pages);
}

/*
 * A page of the Selection tab: what ran first, then what was
 * DESELECTED, then what was REDUNDANT, each by test; the reasons the
 * selection ran a test are on its test span, and how many of its cases
 * it left out (the skipped ones alone can be) under it, looked up for
 * the page's rows alone.
 */
static const char sql_selection[] =
    "SELECT p.test, p.status, p.reason, (SELECT json_extract(s.attrs, "
    "'$.selected') FROM spans s WHERE s.span = p.span), p.span, p.cases, "
    "CASE WHEN p.cases_skipped > 0 THEN (SELECT count(*) FROM spans s "
    "WHERE s.parent = p.span AND s.type = 'case' AND s.status = "
    "'DESELECTED') ELSE 0 END FROM (SELECT test, status, reason, span, "
    "cases, cases_skipped, CASE status WHEN 'DESELECTED' THEN 1 WHEN "
    "'REDUNDANT' THEN 2 ELSE 0 END AS g FROM results WHERE job = ?1 AND "
    "final = 1 ORDER BY g, test LIMIT ?3 OFFSET ?2) p ORDER BY p.g, p.test";
static const char sql_selection_counts[] =
    "SELECT sum(status NOT IN ('DESELECTED', 'REDUNDANT')), "
    "sum(status = 'DESELECTED'), sum(status = 'REDUNDANT') FROM results "
    "WHERE job = ? AND final = 1";
/* The tests that ran a subset of their cases, and those cases. */
static const char sql_selection_cases[] =
    "SELECT count(*), sum(n - k), sum(k) FROM (SELECT r.cases AS n, "
    "(SELECT count(*) FROM spans s WHERE s.parent = r.span AND s.type = "
    "'case' AND s.status = 'DESELECTED') AS k FROM results r WHERE "
    "r.job = ? AND r.final = 1 AND r.cases_skipped > 0 AND r.span IS NOT "
    "NULL) WHERE k > 0";

/*
 * The reasons cell of a Selection row: why the selection ran the test,
 * one reason a line (sel, its record's "selected" as JSON text), or
 * why it was left out (the result's reason). A test that ran desel
 * fewer of its total cases (the reasons of those that ran are its
 * own) says so first, and lists the others, collapsed, last.
 */
static void
web_selection_reasons(struct dagzd *d, struct evbuffer *b, struct web_job *j,
    int ran, const char *sel, const char *reason, const char *span,
    long long total, long long desel)
{
	json_t *a, *v;
	size_t i;
	int n = 0;

	evbuffer_add_printf(b, "<td class=\"reasons\">");
	if (ran && desel > 0)
		evbuffer_add_printf(b, "<div class=\"subset\">ran %lld of %lld "
		    "cases; %lld DESELECTED</div>", total - desel, total,
		    desel);
	if (!ran) {
		web_html(b, reason);
		evbuffer_add_printf(b, "</td>");
		return;
	}
	a = sel != NULL ? json_loads(sel, JSON_DECODE_ANY, NULL) : NULL;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			continue;
		evbuffer_add_printf(b, "<span class=\"reason\">");
		web_html(b, json_string_value(v));
		evbuffer_add_printf(b, "</span>");
		n++;
	}
	json_decref(a);
	if (n == 0)
		evbuffer_add_printf(b, "<span class=\"muted\">no reason "
		    "recorded</span>");
	if (desel > 0)
		web_deselected_cases(d, b, span, desel, j->cases_max);
	evbuffer_add_printf(b, "</td>");
}

/* The three counts query sql gives of job id, into *x, *y and *z. */
static void
web_counts(struct dagzd *d, const char *sql, sqlite3_int64 id,
    long long *x, long long *y, long long *z)
{
	sqlite3_stmt *st = db_stmt(d, sql);

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*x = sqlite3_column_int64(st, 0);
		*y = sqlite3_column_int64(st, 1);
		*z = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
}

/*
 * The Selection tab: the tests the selection ran, each with its
 * reasons (as zb select-tests --trace gives them) and the cases it
 * left out of those that ran a subset, then those it left out,
 * DESELECTED and REDUNDANT, with theirs; 500 a page.
 */
static void
web_tab_selection(struct dagzd *d, struct http_req *req,
    struct evbuffer *b, struct web_job *j, struct route_args *a)
{
	sqlite3_stmt *st;
	const char *status;
	long long page = 1, ran = 0, desel = 0, redundant = 0;
	long long subsets = 0, cran = 0, cdesel = 0;
	int isran;

	if (http_query_num(req, a, "page", 1, 1000000, &page) == -1)
		return;
	web_counts(d, sql_selection_counts, j->id, &ran, &desel, &redundant);
	web_counts(d, sql_selection_cases, j->id, &subsets, &cran, &cdesel);
	evbuffer_add_printf(b, "<section id=\"selection-tab\">\n<p id=\"selection-"
	    "counts\">Selected: <b class=\"selected\">%lld</b>; DESELECTED: "
	    "<b class=\"deselected\">%lld</b>; REDUNDANT: <b "
	    "class=\"redundant\">%lld</b>.", ran, desel, redundant);
	if (subsets > 0)
		evbuffer_add_printf(b, " <span id=\"selection-cases\">Cases: "
		    "<b class=\"cases-ran\">%lld</b> run, <b "
		    "class=\"cases-deselected\">%lld</b> DESELECTED in <b "
		    "class=\"cases-tests\">%lld</b> test%s.</span>", cran,
		    cdesel, subsets, subsets == 1 ? "" : "s");
	evbuffer_add_printf(b, " <span class=\"muted\">The same "
	    "reasons, for the tree as it is now: <code>zb select-tests "
	    "--trace</code>.</span></p>\n<table id=\"selection\"><thead><tr>"
	    "<th>Test</th><th>Selection</th><th>Status</th><th>Reasons</th>"
	    "</tr></thead><tbody>\n");
	st = db_stmt(d, sql_selection);
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int64(st, 2, (page - 1) * WEB_PAGE_ROWS);
	sqlite3_bind_int(st, 3, WEB_PAGE_ROWS);
	while (sqlite3_step(st) == SQLITE_ROW) {
		status = (const char *)sqlite3_column_text(st, 1);
		isran = strcmp(status, "DESELECTED") != 0 &&
		    strcmp(status, "REDUNDANT") != 0;
		evbuffer_add_printf(b, "<tr data-test=\"");
		web_html(b, (const char *)sqlite3_column_text(st, 0));
		evbuffer_add_printf(b, "\" data-selected=\"%d\"><td>", isran);
		web_test_link(b, (const char *)sqlite3_column_text(st, 0),
		    j->project);
		evbuffer_add_printf(b, "</td><td class=\"selected\">%s</td>",
		    isran ? "selected" : "left out");
		web_status(b, "td", status);
		web_selection_reasons(d, b, j, isran,
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 4),
		    sqlite3_column_int64(st, 5), sqlite3_column_int64(st, 6));
		evbuffer_add_printf(b, "</tr>\n");
	}
	sqlite3_reset(st);
	evbuffer_add_printf(b, "</tbody></table>\n<nav class=\"pages\">");
	if (page > 1) {
		evbuffer_add_printf(b, "<a class=\"prev\" href=\"");
		web_tab_href(b, j, "selection");
		evbuffer_add_printf(b, "&amp;page=%lld\">Previous</a>",
		    page - 1);
	}
	if (page * WEB_PAGE_ROWS < ran + desel + redundant) {
		evbuffer_add_printf(b, "<a class=\"next\" href=\"");
		web_tab_href(b, j, "selection");
		evbuffer_add_printf(b, "&amp;page=%lld\">Next</a>", page + 1);
	}
	evbuffer_add_printf(b, "<span class=\"muted\">page %lld of %lld"
	    "</span></nav>\n</section>\n", page, ran + desel + redundant == 0 ?
	    1 : (ran + desel + redundant + WEB_PAGE_ROWS - 1) / WEB_PAGE_ROWS);
}

static const char sql_rows[] =
    "SELECT worker, max(node) FROM results WHERE job = ?1 AND attempt > 0 "
    "AND worker IS NOT NULL AND start IS NOT NULL GROUP BY worker "
    "ORDER BY max(node), worker";
static const char sql_span_range[] =
    "SELECT min(start), max(coalesce(start + duration, start)) FROM "
    "results WHERE job = ?1 AND attempt > 0 AND start IS NOT NULL";
static const char sql_bars[] =
    "SELECT worker, test, attempt, status, start, duration FROM results "
    "WHERE job = ?1 AND attempt > 0 AND worker IS NOT NULL AND start IS "
    "NOT NULL ORDER BY start LIMIT ?2";
static const char sql_plan_range[] =
    "SELECT min(at + start), max(at + start + estimate), count(*) FROM plan "
    "WHERE job = ?1";
static const char sql_plan_bars[] =
    "SELECT p.worker, p.test, p.at, p.start, p.estimate, r.worker FROM plan "
    "p LEFT JOIN results r ON r.job = p.job AND r.test = p.test AND "
    "r.attempt = 1 WHERE p.job = ?1 ORDER BY p.start LIMIT ?2";
static const char sql_fixtures[] =
    "SELECT json_extract(attrs, '$.worker'), name, start, finish, test, "
    "json_extract(attrs, '$.phase') FROM spans WHERE job = ?1 AND type = "
    "'fixture' AND start IS NOT NULL AND finish IS NOT NULL ORDER BY start "
    "LIMIT ?2";

/* The row of worker w, or nw when it has none. */
static size_t
web_row(long long *workers, size_t nw, long long w)
{
	size_t row;

	for (row = 0; row < nw && workers[row] != w; row++)
		;
	return (row);
}

/* A time from the start of the plan: m:ss.s, or h:mm:ss.s. */
static void
web_clock(struct evbuffer *b, double s)
{
	int m = (int)(s / 60);

	if (m >= 60)
		evbuffer_add_printf(b, "%d:%02d:%04.1f", m / 60, m % 60,
		    s - m * 60);
	else
		evbuffer_add_printf(b, "%d:%04.1f", m, s - m * 60);
}

/*
 * Widens [*t0, *t1] to the job's plan, if it has one: the number of
 * tests planned, 0 when there is none (an older or planless job).
 */
static long long
web_plan_range(struct dagzd *d, struct web_job *j, double *t0, double *t1,
    int any)
{
	sqlite3_stmt *st = db_stmt(d, sql_plan_range);
	long long n = 0;

	sqlite3_bind_int64(st, 1, j->id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (n = sqlite3_column_int64(st, 2)) > 0) {
		if (!any || sqlite3_column_double(st, 0) < *t0)
			*t0 = sqlite3_column_double(st, 0);
		if (!any || sqlite3_column_double(st, 1) > *t1)
			*t1 = sqlite3_column_double(st, 1);
	}
	sqlite3_reset(st);
	return (n);
}

/*
 * The plan under each worker's attempts: a thinner hatched bar per test
 * from its planned start, as long as its estimate, in the row of the
 * worker it was planned on; one whose first attempt ran elsewhere (it
 * was stolen) says where. The first WEB_TIMELINE_MAX are drawn, as of
 * the attempts. Returns how many.
 */
static long long
web_timeline_plan(struct dagzd *d, struct web_job *j, struct evbuffer **rows,
    long long *workers, size_t nw, double t0, double span, int rowh)
{
	sqlite3_stmt *st = db_stmt(d, sql_plan_bars);
	const char *test;
	long long n = 0, ran;
	double x, wd, start, est;
	size_t row;

	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int(st, 2, WEB_TIMELINE_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((row = web_row(workers, nw, sqlite3_column_int64(st, 0))) ==
		    nw)
			continue;
		n++;
		test = (const char *)sqlite3_column_text(st, 1);
		start = sqlite3_column_double(st, 3);
		est = sqlite3_column_double(st, 4);
		ran = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 5);
		x = WEB_LABEL_W + (sqlite3_column_double(st, 2) + start - t0) /
		    span * WEB_TIMELINE_W;
		wd = est / span * WEB_TIMELINE_W;
		evbuffer_add_printf(rows[row], "<rect class=\"planned%s\" "
		    "x=\"%.2f\" y=\"%zu\" width=\"%.2f\" height=\"%d\" "
		    "data-test=\"", ran >= 0 && ran != workers[row] ?
		    " moved" : "", x, row * rowh + WEB_ROW_H, wd < 0.5 ? 0.5 :
		    wd, WEB_PLAN_H - 2);
		web_html(rows[row], test);
		evbuffer_add_printf(rows[row], "\" data-start=\"%.3f\" "
		    "data-estimate=\"%.3f\"", start, est);
		if (ran >= 0)
			evbuffer_add_printf(rows[row], " data-ran-on=\"%lld\"",
			    ran);
		evbuffer_add_printf(rows[row], "><title>planned: ");
		web_html(rows[row], test);
		evbuffer_add_printf(rows[row], ", ");
		web_duration(rows[row], est);
		evbuffer_add_printf(rows[row], " at ");
		web_clock(rows[row], start);
		if (ran >= 0 && ran != workers[row])
			evbuffer_add_printf(rows[row], " (ran on #%lld)", ran);
		evbuffer_add_printf(rows[row], "</title></rect>\n");
	}
	sqlite3_reset(st);
	return (n);
}

/* The timeline's legend: a swatch and a word for each kind of bar. */
static void
web_timeline_legend(struct evbuffer *b, long long planned)
{
	evbuffer_add_printf(b, "<p id=\"timeline-legend\" class=\"legend\">"
	    "<span><svg class=\"swatch\" viewBox=\"0 0 20 10\" "
	    "aria-hidden=\"true\"><rect class=\"attempt st-OK\" width=\"20\" "
	    "height=\"10\"/></svg> an attempt, coloured by status</span>"
	    "<span><svg class=\"swatch\" viewBox=\"0 0 20 10\" "
	    "aria-hidden=\"true\"><rect class=\"fixture\" y=\"6\" "
	    "width=\"20\" height=\"3\"/></svg> a fixture</span>");
	if (planned > 0)
		evbuffer_add_printf(b, "<span><svg class=\"swatch\" "
		    "viewBox=\"0 0 20 10\" aria-hidden=\"true\"><rect "
		    "class=\"planned\" y=\"2\" width=\"20\" height=\"6\"/>"
		    "</svg> planned, under its worker</span><span><svg "
		    "class=\"swatch\" viewBox=\"0 0 20 10\" aria-hidden=\"true\">"
		    "<rect class=\"planned moved\" y=\"2\" width=\"20\" "
		    "height=\"6\"/></svg> planned, ran on another worker</span>");
	evbuffer_add_printf(b, "</p>\n");
}

/*
 * The Timeline tab: one row a worker (with its node in a job of many),
 * each attempt a bar from its start to its end coloured by status, the
 * fixtures' setups and teardowns on them; the gaps are idle time. The
 * first WEB_TIMELINE_MAX attempts are drawn. A job that recorded its
 * plan has a thinner row under each worker's: what was planned there.
 */
static void
web_tab_timeline(struct dagzd *d, struct evbuffer *b, struct web_job *j)
{
	struct evbuffer **rows = NULL;
	sqlite3_stmt *st;
	long long *workers = NULL, *nodes = NULL, nbars = 0, nplan;
	size_t nw = 0, row;
	double t0 = 0, t1 = 0, span, x, wd, start, dur;
	const char *status;
	enum test_status s;
	int any = 0, rowh;

	st = db_stmt(d, sql_span_range);
	sqlite3_bind_int64(st, 1, j->id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		t0 = sqlite3_column_double(st, 0);
		t1 = sqlite3_column_double(st, 1);
		any = 1;
	}
	sqlite3_reset(st);
	nplan = web_plan_range(d, j, &t0, &t1, any);
	rowh = nplan > 0 ? WEB_ROW_H + WEB_PLAN_H : WEB_ROW_H;
	st = db_stmt(d, sql_rows);
	sqlite3_bind_int64(st, 1, j->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		workers = xreallocarray(workers, nw + 1, sizeof *workers);
		nodes = xreallocarray(nodes, nw + 1, sizeof *nodes);
		rows = xreallocarray(rows, nw + 1, sizeof *rows);
		workers[nw] = sqlite3_column_int64(st, 0);
		nodes[nw] = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		rows[nw] = evbuffer_new();
		evbuffer_add_printf(rows[nw], "<g class=\"worker\" "
		    "data-worker=\"%lld\"", workers[nw]);
		if (nodes[nw] >= 0)
			evbuffer_add_printf(rows[nw], " data-node=\"%lld\"",
			    nodes[nw]);
		evbuffer_add_printf(rows[nw], "><text x=\"2\" y=\"%zu\">",
		    nw * rowh + 14);
		if (nodes[nw] >= 0)
			evbuffer_add_printf(rows[nw], "node %lld ", nodes[nw]);
		evbuffer_add_printf(rows[nw], "#%lld</text>\n", workers[nw]);
		nw++;
	}
	sqlite3_reset(st);
	evbuffer_add_printf(b, "<section id=\"timeline-tab\">\n");
	if (nw == 0) {
		evbuffer_add_printf(b, "<p class=\"muted\">No attempt has "
		    "started yet.</p>\n</section>\n");
		return;
	}
	span = t1 - t0 > 0.001 ? t1 - t0 : 0.001;
	st = db_stmt(d, sql_bars);
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int(st, 2, WEB_TIMELINE_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if ((row = web_row(workers, nw, sqlite3_column_int64(st, 0))) ==
		    nw)
			continue;
		nbars++;
		status = (const char *)sqlite3_column_text(st, 3);
		start = sqlite3_column_double(st, 4);
		dur = sqlite3_column_type(st, 5) == SQLITE_NULL ? 0 :
		    sqlite3_column_double(st, 5);
		x = WEB_LABEL_W + (start - t0) / span * WEB_TIMELINE_W;
		wd = dur / span * WEB_TIMELINE_W;
		evbuffer_add_printf(rows[row], "<rect class=\"attempt st-%s\" "
		    "x=\"%.2f\" y=\"%zu\" width=\"%.2f\" height=\"%d\" "
		    "data-test=\"", status_parse(status, &s) == 0 ? status :
		    "unknown", x, row * rowh + 2, wd < 0.5 ? 0.5 : wd,
		    WEB_ROW_H - 6);
		web_html(rows[row], (const char *)sqlite3_column_text(st, 1));
		evbuffer_add_printf(rows[row], "\" data-attempt=\"%d\" "
		    "data-status=\"", sqlite3_column_int(st, 2));
		web_html(rows[row], status);
		evbuffer_add_printf(rows[row], "\"><title>");
		web_html(rows[row], (const char *)sqlite3_column_text(st, 1));
		evbuffer_add_printf(rows[row], ", attempt %d: ",
		    sqlite3_column_int(st, 2));
		web_html(rows[row], status);
		evbuffer_add_printf(rows[row], " in ");
		web_duration(rows[row], dur);
		evbuffer_add_printf(rows[row], "</title></rect>\n");
	}
	sqlite3_reset(st);
	st = db_stmt(d, sql_fixtures);
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int(st, 2, WEB_TIMELINE_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL ||
		    (row = web_row(workers, nw, sqlite3_column_int64(st, 0))) ==
		    nw)
			continue;
		start = sqlite3_column_double(st, 2);
		dur = sqlite3_column_double(st, 3) - start;
		x = WEB_LABEL_W + (start - t0) / span * WEB_TIMELINE_W;
		wd = dur / span * WEB_TIMELINE_W;
		evbuffer_add_printf(rows[row], "<rect class=\"fixture\" "
		    "x=\"%.2f\" y=\"%zu\" width=\"%.2f\" height=\"3\">"
		    "<title>fixture ", x, row * rowh + WEB_ROW_H - 4,
		    wd < 0.5 ? 0.5 : wd);
		web_html(rows[row], (const char *)sqlite3_column_text(st, 1));
		evbuffer_add_printf(rows[row], " ");
		web_html(rows[row], (const char *)sqlite3_column_text(st, 5));
		evbuffer_add_printf(rows[row], " in ");
		web_duration(rows[row], dur);
		evbuffer_add_printf(rows[row], "</title></rect>\n");
	}
	sqlite3_reset(st);
	if (nplan > 0)
		nplan = web_timeline_plan(d, j, rows, workers, nw, t0, span,
		    rowh);
	evbuffer_add_printf(b, "<p class=\"legend muted\">%zu workers over ",
	    nw);
	web_duration(b, span);
	evbuffer_add_printf(b, "; each bar an attempt (its title names it), "
	    "the thin light blue bars fixtures, the gaps idle time.");
	if (nplan > 0)
		evbuffer_add_printf(b, " Under each worker's attempts, hatched, "
		    "what the plan put there: where the bars part, the job "
		    "left its plan.");
	if (nbars == WEB_TIMELINE_MAX)
		evbuffer_add_printf(b, " Only the first %d attempts are drawn.",
		    WEB_TIMELINE_MAX);
	if (nplan == WEB_TIMELINE_MAX)
		evbuffer_add_printf(b, " Only the first %d planned tests are "
		    "drawn.", WEB_TIMELINE_MAX);
	evbuffer_add_printf(b, "</p>\n");
	web_timeline_legend(b, nplan);
	evbuffer_add_printf(b, "<svg id=\"timeline\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %zu\" "
	    "role=\"img\" aria-label=\"timeline\">\n",
	    (int)WEB_TIMELINE_W + WEB_LABEL_W, nw * rowh + 4);
	if (nplan > 0)
		evbuffer_add_printf(b, "<defs><pattern id=\"plan-hatch\" "
		    "width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" "
		    "patternTransform=\"rotate(45)\"><rect class=\"hatch\" "
		    "width=\"2\" height=\"4\"/></pattern></defs>\n");
	for (row = 0; row < nw; row++) {
		evbuffer_add_buffer(b, rows[row]);
		evbuffer_add_printf(b, "</g>\n");
		evbuffer_free(rows[row]);
	}
	evbuffer_add_printf(b, "</svg>\n</section>\n");
	free(rows);
	free(workers);
	free(nodes);
}

/*
 * GET /jobs/J?tab=errors|tests|selection|timeline: the job's page; a
 * failed job, or ?spanTypes=failures, opens on its errors. &cases=N
 * bounds the cases listed a test.
 */
void
route_job_page(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	static const char *const tabs[] = { "errors", "tests", "selection",
	    "timeline" };
	static const char *const labels[] = { "Errors", "Tests", "Selection",
	    "Timeline" };
	struct web_job j;
	struct evbuffer *b;
	const char *tab = http_query(a, "tab"), *types;
	long long failed;
	size_t i;

	memset(&j, 0, sizeof j);
	if (jobs_resolve(d, a->seg[0], &j.id) == -1 ||
	    (j.o = jobs_json(d, j.id)) == NULL) {
		web_not_found(d, req, "job", a->seg[0]);
		return;
	}
	j.cases_max = WEB_CASES_MAX;
	if (http_query_num(req, a, "cases", 1, WEB_CASES_LIMIT,
	    &j.cases_max) == -1) {
		json_decref(j.o);
		return;
	}
	j.sid = json_string_value(json_object_get(j.o, "id"));
	j.project = json_string_value(json_object_get(j.o, "project"));
	failed = json_integer_value(json_object_get(j.o, "failed"));
	types = http_query(a, "spanTypes");
	for (i = 0; tab != NULL && i < sizeof tabs / sizeof tabs[0]; i++)
		if (strcmp(tab, tabs[i]) == 0)
			break;
	if (tab == NULL || i == sizeof tabs / sizeof tabs[0])
		tab = failed > 0 || (types != NULL &&
		    strcmp(types, "failures") == 0) ||
		    http_query(a, "test") != NULL ? "errors" : "tests";

	b = evbuffer_new();
	web_begin(d, b, j.sid);
	web_job_header(d, b, &j);
	evbuffer_add_printf(b, "<nav class=\"tabs\">");
	for (i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
		evbuffer_add_printf(b, "<a data-tab=\"%s\"%s href=\"", tabs[i],
		    strcmp(tab, tabs[i]) == 0 ? " class=\"active\" "
		    "aria-current=\"page\"" : "");
		web_tab_href(b, &j, tabs[i]);
		evbuffer_add_printf(b, "\">%s", labels[i]);
		if (i == 0 && failed > 0)
			evbuffer_add_printf(b, " (%lld)", failed);
		evbuffer_add_printf(b, "</a>");
	}
	evbuffer_add_printf(b, "</nav>\n");
	if (strcmp(tab, "errors") == 0)
		web_tab_errors(d, b, &j, a);
	else if (strcmp(tab, "tests") == 0)
		web_tab_tests(d, req, b, &j, a);
	else if (strcmp(tab, "selection") == 0)
		web_tab_selection(d, req, b, &j, a);
	else
		web_tab_timeline(d, b, &j);
	if (req->replied) {
		/* A bad parameter: answered already. */
		evbuffer_free(b);
		json_decref(j.o);
		return;
	}
	web_end(b);
	json_decref(j.o);
	web_send(req, 200, b);
}
