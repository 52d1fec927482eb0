/*
 * dagzd-ingest.c: the stream a scheduler sends as its job runs: NDJSON
 * records "job", "plan", "span", "result", "log" and "summary", posted in
 * batches. A batch is stored in one transaction and acknowledged only
 * once committed, and every record is idempotent, so a scheduler can
 * re-send anything it is unsure of (after a dagzd restart) without
 * duplicates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dagzd.h"
#include "jobid.h"
#include "log.h"
#include "status.h"
#include "timeutil.h"
#include "xmalloc.h"
#include "zbuf.h"

#define INGEST_NODE_MAX		99999	/* as the rendezvous's slots */
#define INGEST_RERUN_MAX	128
#define INGEST_HOST_MAX		255
#define INGEST_NODES_MAX	64
#define INGEST_WORKERS_MAX	4096
#define INGEST_SELECTED_MAX	16	/* reasons a result may give */
#define INGEST_PLAN_MAX		10000	/* tests in a "plan" record */

struct ingest {
	struct dagzd	*d;
	const char	*line;		/* the record being stored, as sent */
	long long	 job;		/* 0 until known */
	const char	*uuid;
	char		*project;	/* the job's, for durations */
	int		 nspans;
	int		 nresults;
	int		 nlogs;
};

static const char sql_insert_span[] =
    "INSERT OR IGNORE INTO spans (span, job, parent, type, name, test, "
    "attempt, start, finish, status, attrs) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_insert_result[] =
    "INSERT OR IGNORE INTO results (job, test, attempt, final, status, "
    "span, start, duration, cpu, rss, exit, signal, leaked, worker, reason, "
    "cases, cases_failed, cases_skipped, cases_todo, node, rerun, "
    "quarantined) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?)";
static const char sql_duration[] =
    "INSERT INTO durations (project, test, duration, n) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (project, test) DO UPDATE SET "
    "duration = 0.5 * duration + 0.5 * excluded.duration, n = n + 1";
static const char sql_insert_log[] =
    "INSERT OR IGNORE INTO logs (span, job, size, cut, z) "
    "VALUES (?, ?, ?, ?, ?)";
static const char sql_summary[] =
    "UPDATE jobs SET status = ?, exit = ?, ended = ?, duration = ?, "
    "tests = ?, summary = ?, last_seen = ? WHERE id = ?";
static const char sql_later_final[] =
    "SELECT 1 FROM results WHERE job = ? AND test = ? AND final = 1 AND "
    "attempt > ?";
static const char sql_demote[] =
    "UPDATE results SET final = 0 WHERE job = ? AND test = ? AND final = 1 "
    "AND attempt < ?";
static const char sql_insert_plan[] =
    "INSERT OR IGNORE INTO plan (job, test, worker, node, ord, at, start, "
    "estimate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_project[] = "SELECT project FROM jobs WHERE id = ?";
static const char sql_touch[] =
    "UPDATE jobs SET last_seen = ?, status = CASE status "
    "WHEN 'vanished' THEN 'running' ELSE status END WHERE id = ?";

static int
ingest_need_job(struct ingest *in, char *err, size_t len)
{
	sqlite3_stmt *st;

	if (in->job > 0)
		return (0);
	if (jobs_resolve(in->d, in->uuid, &in->job) == -1) {
		snprintf(err, len, "unknown job '%s': send its \"job\" record "
		    "first", in->uuid);
		return (-1);
	}
	st = db_stmt(in->d, sql_project);
	sqlite3_bind_int64(st, 1, in->job);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		in->project = xstrdup((const char *)sqlite3_column_text(st, 0));
	return (0);
}

/* A string field that must be there. */
static const char *
need_str(json_t *o, const char *key, char *err, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		snprintf(err, len, "\"%s\" must be a string", key);
	return (s);
}

/*
 * Member key of o, when present and not null, must be a number (an
 * integer if integer) of at least min: what is stored is what the
 * dashboard and zb add up and compare.
 */
static int
check_num(json_t *o, const char *key, int integer, double min, char *err,
    size_t len)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return (0);
	if (integer ? json_is_integer(v) : json_is_number(v)) {
		if (json_number_value(v) >= min)
			return (0);
	}
	if (min == 0)
		snprintf(err, len, "\"%s\" must be a non-negative %s", key,
		    integer ? "integer" : "number");
	else
		snprintf(err, len, "\"%s\" must be %s of at least %g", key,
		    integer ? "an integer" : "a number", min);
	return (-1);
}

/* The same for each of keys, integers first, then numbers. */
static int
check_nums(json_t *o, const char *const *ints, const char *const *nums,
    char *err, size_t len)
{
	for (; ints != NULL && *ints != NULL; ints++)
		if (check_num(o, *ints, 1, 0, err, len) == -1)
			return (-1);
	for (; nums != NULL && *nums != NULL; nums++)
		if (check_num(o, *nums, 0, 0, err, len) == -1)
			return (-1);
	return (0);
}

/* Member key of o, when present and not null, must be a string. */
static int
check_str(json_t *o, const char *key, char *err, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v) || json_is_string(v))
		return (0);
	snprintf(err, len, "\"%s\" must be a string", key);
	return (-1);
}

/*
 * Member key of o, when present and not null, must be an integer from 0
 * to max.
 */
static int
check_int_range(json_t *o, const char *key, json_int_t max, char *err,
    size_t len)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v) || (json_is_integer(v) &&
	    json_integer_value(v) >= 0 && json_integer_value(v) <= max))
		return (0);
	snprintf(err, len, "\"%s\" must be an integer from 0 to %lld", key,
	    (long long)max);
	return (-1);
}

/*
 * Member key of o, when present and not null, must be a string of at
 * most max bytes.
 */
static int
check_str_max(json_t *o, const char *key, size_t max, char *err,
    size_t len)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) <= max))
		return (0);
	snprintf(err, len, "\"%s\" must be a string of at most %zu bytes",
	    key, max);
	return (-1);
}

/*
 * A result's "selected", when present and not null: why the selection
 * ran the test, an array of at most INGEST_SELECTED_MAX strings. What
 * is kept is the test span's copy (its attrs), which the Selection tab
 * and GET /api/v1/jobs/J/tests show.
 */
static int
check_selected(json_t *o, char *err, size_t len)
{
	json_t *v = json_object_get(o, "selected"), *e;
	size_t i;

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_array(v) || json_array_size(v) > INGEST_SELECTED_MAX) {
		snprintf(err, len, "\"selected\" must be an array of at most "
		    "%d strings", INGEST_SELECTED_MAX);
		return (-1);
	}
	json_array_foreach(v, i, e)
		if (!json_is_string(e)) {
			snprintf(err, len, "\"selected\" must be an array of "
			    "strings");
			return (-1);
		}
	return (0);
}

/* Skips a JSON string starting at its opening quote. */
static const char *
raw_skip_string(const char *p)
{
	for (p++; *p != '\0' && *p != '"'; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	return (*p == '"' ? p + 1 : p);
}

/*
 * Finds the text of the top-level member key of the JSON object line (a
 * line jansson already accepted) and sets *len; NULL if absent. Storing
 * "attrs" as sent saves encoding it again, the dearest part of ingest.
 */
static const char *
raw_member(const char *line, const char *key, size_t *len)
{
	const char *p = line, *start, *k;
	size_t klen = strlen(key);
	int depth = 0, want;

	while (*p != '\0') {
		if (*p == '"') {
			k = p;
			p = raw_skip_string(p);
			want = depth == 1 && (size_t)(p - k) == klen + 2 &&
			    strncmp(k + 1, key, klen) == 0;
			while (*p == ' ' || *p == '\t')
				p++;
			if (!want || *p != ':')
				continue;
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
			start = p;
			depth = 0;
			do {
				if (*p == '"') {
					p = raw_skip_string(p);
					continue;
				}
				if (*p == '{' || *p == '[')
					depth++;
				else if (*p == '}' || *p == ']')
					depth--;
				p++;
			} while (*p != '\0' && depth > 0);
			*len = p - start;
			return (start);
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	}
	return (NULL);
}

static int
ingest_span(struct ingest *in, json_t *o, char *err, size_t len)
{
	static const char *const ints[] = { "attempt", NULL };
	static const char *const nums[] = { "start", "end", NULL };
	sqlite3_stmt *st;
	const char *span, *type, *raw;
	json_t *attrs;
	char *text = NULL;
	size_t rawlen;

	if ((span = need_str(o, "span", err, len)) == NULL ||
	    (type = need_str(o, "span_type", err, len)) == NULL)
		return (-1);
	if (!jobid_is_span(span)) {
		snprintf(err, len, "\"span\" must be 16 hex digits");
		return (-1);
	}
	if (check_nums(o, ints, nums, err, len) == -1 ||
	    check_str(o, "parent", err, len) == -1 ||
	    check_str(o, "name", err, len) == -1 ||
	    check_str(o, "test", err, len) == -1 ||
	    check_str(o, "status", err, len) == -1)
		return (-1);
	st = db_stmt(in->d, sql_insert_span);
	db_bind_text(st, 1, span);
	sqlite3_bind_int64(st, 2, in->job);
	db_bind_text(st, 3, json_string_value(json_object_get(o, "parent")));
	db_bind_text(st, 4, type);
	db_bind_text(st, 5, json_string_value(json_object_get(o, "name")));
	db_bind_text(st, 6, json_string_value(json_object_get(o, "test")));
	db_bind_int(st, 7, json_object_get(o, "attempt"));
	db_bind_real(st, 8, json_object_get(o, "start"));
	db_bind_real(st, 9, json_object_get(o, "end"));
	db_bind_text(st, 10, json_string_value(json_object_get(o, "status")));
	if ((attrs = json_object_get(o, "attrs")) != NULL &&
	    json_is_object(attrs)) {
		if ((raw = raw_member(in->line, "attrs", &rawlen)) != NULL &&
		    *raw == '{')
			sqlite3_bind_text(st, 11, raw, rawlen, SQLITE_STATIC);
		else {
			text = json_dumps(attrs, JSON_COMPACT);
			db_bind_text(st, 11, text);
		}
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		free(text);
		snprintf(err, len, "%s", sqlite3_errmsg(in->d->db));
		return (-1);
	}
	free(text);
	in->nspans++;
	return (0);
}

/*
 * A "plan" record: {"start": UNIX, "tests": [{"test", "worker", "node",
 * "order", "start", "estimate"}, ...]}, the tests' "start" in seconds
 * from the record's. A test is planned once in a job: the same test
 * again (a record sent twice) is ignored.
 */
static int
ingest_plan(struct ingest *in, json_t *o, char *err, size_t len)
{
	static const char *const ints[] = { "worker", "order", NULL };
	static const char *const nums[] = { "start", "estimate", NULL };
	sqlite3_stmt *st;
	json_t *tests = json_object_get(o, "tests"), *t;
	const char *test;
	char why[256];
	size_t i;

	if (!json_is_number(json_object_get(o, "start")) ||
	    check_num(o, "start", 0, 0, err, len) == -1) {
		snprintf(err, len, "\"start\" must be a non-negative number");
		return (-1);
	}
	if (!json_is_array(tests) || json_array_size(tests) > INGEST_PLAN_MAX) {
		snprintf(err, len, "\"tests\" must be an array of at most %d "
		    "objects", INGEST_PLAN_MAX);
		return (-1);
	}
	json_array_foreach(tests, i, t) {
		if (!json_is_object(t) ||
		    (test = need_str(t, "test", why, sizeof why)) == NULL ||
		    !json_is_integer(json_object_get(t, "worker")) ||
		    !json_is_integer(json_object_get(t, "order")) ||
		    !json_is_number(json_object_get(t, "start")) ||
		    !json_is_number(json_object_get(t, "estimate"))) {
			snprintf(err, len, "\"tests\"[%zu]: must be an object "
			    "with \"test\", \"worker\", \"order\", \"start\" "
			    "and \"estimate\"", i);
			return (-1);
		}
		if (check_nums(t, ints, nums, why, sizeof why) == -1 ||
		    check_int_range(t, "node", INGEST_NODE_MAX, why,
		    sizeof why) == -1) {
			snprintf(err, len, "\"tests\"[%zu]: %s", i, why);
			return (-1);
		}
		st = db_stmt(in->d, sql_insert_plan);
		sqlite3_bind_int64(st, 1, in->job);
		db_bind_text(st, 2, test);
		db_bind_int(st, 3, json_object_get(t, "worker"));
		db_bind_int(st, 4, json_object_get(t, "node"));
		db_bind_int(st, 5, json_object_get(t, "order"));
		db_bind_real(st, 6, json_object_get(o, "start"));
		db_bind_real(st, 7, json_object_get(t, "start"));
		db_bind_real(st, 8, json_object_get(t, "estimate"));
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(err, len, "%s", sqlite3_errmsg(in->d->db));
			return (-1);
		}
	}
	return (0);
}

/* The counts of the cases in a result, as older schedulers sent them. */
static json_t *
ingest_case_counts(json_t *cases)
{
	const char *st;
	json_t *c;
	size_t i, failed = 0, skipped = 0, todo = 0;

	json_array_foreach(cases, i, c) {
		if ((st = json_string_value(json_object_get(c, "status"))) ==
		    NULL)
			continue;
		failed += strcmp(st, "FAILED") == 0;
		skipped += strcmp(st, "SKIPPED") == 0 ||
		    strcmp(st, "DESELECTED") == 0;
		todo += strncmp(st, "TODO", 4) == 0;
	}
	return (json_pack("{s:I,s:I,s:I,s:I}", "total",
	    (json_int_t)json_array_size(cases), "failed", (json_int_t)failed,
	    "skipped", (json_int_t)skipped, "todo", (json_int_t)todo));
}

/*
 * Whether an attempt of test newer than attempt is already stored as
 * final: then this one, arriving late (re-sent from a spool), is not.
 */
static int
ingest_later_final(struct ingest *in, const char *test, json_int_t attempt)
{
	sqlite3_stmt *st = db_stmt(in->d, sql_later_final);

	sqlite3_bind_int64(st, 1, in->job);
	db_bind_text(st, 2, test);
	sqlite3_bind_int64(st, 3, attempt);
	return (sqlite3_step(st) == SQLITE_ROW);
}

/*
 * Stores an attempt once (the same attempt again is ignored), and keeps
 * one final attempt per test: the latest that says it is final.
 */
static int
ingest_result(struct ingest *in, json_t *o, char *err, size_t len)
{
	static const char *const ints[] = { "rss", "signal", "leaked",
	    NULL };
	static const char *const nums[] = { "start", "duration", "cpu", NULL };
	static const char *const counts[] = { "total", "failed", "skipped",
	    "todo", NULL };
	sqlite3_stmt *st;
	const char *test, *status;
	enum test_status s;
	json_t *attempt, *dur, *cases, *final, *q;
	int isfinal;

	if ((test = need_str(o, "test", err, len)) == NULL ||
	    (status = need_str(o, "status", err, len)) == NULL)
		return (-1);
	if (status_parse(status, &s) == -1) {
		snprintf(err, len, "unknown status '%s'", status);
		return (-1);
	}
	attempt = json_object_get(o, "attempt");
	if (!json_is_integer(attempt) || json_integer_value(attempt) < 0) {
		snprintf(err, len, "\"attempt\" must be an integer");
		return (-1);
	}
	/* The cases themselves, as a scheduler sends them: their counts. */
	if (json_is_array(cases = json_object_get(o, "cases")))
		json_object_set_new(o, "cases",
		    cases = ingest_case_counts(cases));
	if (cases != NULL && !json_is_null(cases) &&
	    (!json_is_object(cases) ||
	    !json_is_integer(json_object_get(cases, "total")))) {
		snprintf(err, len, "\"cases\" must be an array or an object "
		    "with a \"total\"");
		return (-1);
	}
	if (json_is_object(cases) &&
	    check_nums(cases, counts, NULL, err, len) == -1)
		return (-1);
	final = json_object_get(o, "final");
	if (final != NULL && !json_is_null(final) && !json_is_boolean(final)) {
		snprintf(err, len, "\"final\" must be true or false");
		return (-1);
	}
	if (check_nums(o, ints, nums, err, len) == -1 ||
	    check_num(o, "exit", 1, -1, err, len) == -1 ||
	    check_num(o, "worker", 1, -1, err, len) == -1 ||
	    check_str(o, "span", err, len) == -1 ||
	    check_str(o, "reason", err, len) == -1 ||
	    check_int_range(o, "node", INGEST_NODE_MAX, err, len) == -1 ||
	    check_str_max(o, "rerun", INGEST_RERUN_MAX, err, len) == -1 ||
	    check_selected(o, err, len) == -1)
		return (-1);
	if ((q = json_object_get(o, "quarantined")) != NULL &&
	    !json_is_boolean(q)) {
		snprintf(err, len, "\"quarantined\" must be true or false");
		return (-1);
	}
	isfinal = !json_is_false(final) && !ingest_later_final(in, test,
	    json_integer_value(attempt));
	st = db_stmt(in->d, sql_insert_result);
	sqlite3_bind_int64(st, 1, in->job);
	db_bind_text(st, 2, test);
	db_bind_int(st, 3, attempt);
	sqlite3_bind_int(st, 4, isfinal);
	db_bind_text(st, 5, status);
	db_bind_text(st, 6, json_string_value(json_object_get(o, "span")));
	db_bind_real(st, 7, json_object_get(o, "start"));
	db_bind_real(st, 8, dur = json_object_get(o, "duration"));
	db_bind_real(st, 9, json_object_get(o, "cpu"));
	db_bind_int(st, 10, json_object_get(o, "rss"));
	db_bind_int(st, 11, json_object_get(o, "exit"));
	db_bind_int(st, 12, json_object_get(o, "signal"));
	db_bind_int(st, 13, json_object_get(o, "leaked"));
	db_bind_int(st, 14, json_object_get(o, "worker"));
	db_bind_text(st, 15, json_string_value(json_object_get(o, "reason")));
	db_bind_int(st, 16, json_object_get(cases, "total"));
	db_bind_int(st, 17, json_object_get(cases, "failed"));
	db_bind_int(st, 18, json_object_get(cases, "skipped"));
	db_bind_int(st, 19, json_object_get(cases, "todo"));
	db_bind_int(st, 20, json_object_get(o, "node"));
	db_bind_text(st, 21, json_string_value(json_object_get(o, "rerun")));
	/* Kept only when true: NULL is not quarantined. */
	if (json_is_true(json_object_get(o, "quarantined")))
		sqlite3_bind_int(st, 22, 1);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, len, "%s", sqlite3_errmsg(in->d->db));
		return (-1);
	}
	in->nresults++;
	if (sqlite3_changes(in->d->db) != 1)
		return (0);	/* stored already */
	feed_result(in->d, in->job, o, isfinal,
	    json_object_get(o, "retry") != NULL);
	if (isfinal) {
		st = db_stmt(in->d, sql_demote);
		sqlite3_bind_int64(st, 1, in->job);
		db_bind_text(st, 2, test);
		db_bind_int(st, 3, attempt);
		if (sqlite3_step(st) != SQLITE_DONE) {
			snprintf(err, len, "%s", sqlite3_errmsg(in->d->db));
			return (-1);
		}
	}
	/* A new attempt that ran: its time plans the next job. */
	if (in->project != NULL &&
	    json_integer_value(attempt) > 0 && json_is_number(dur) &&
	    s != ST_DAGZ_ERROR && s != ST_SKIPPED) {
		st = db_stmt(in->d, sql_duration);
		db_bind_text(st, 1, in->project);
		db_bind_text(st, 2, test);
		sqlite3_bind_double(st, 3, json_number_value(dur));
		sqlite3_step(st);
	}
	return (0);
}

static int
ingest_log(struct ingest *in, json_t *o, char *err, size_t len)
{
	static const char *const ints[] = { "size", "cut", "attempt", NULL };
	sqlite3_stmt *st;
	const char *span, *z;
	unsigned char *blob;
	size_t blen;

	if ((span = need_str(o, "span", err, len)) == NULL ||
	    (z = need_str(o, "z", err, len)) == NULL ||
	    check_nums(o, ints, NULL, err, len) == -1)
		return (-1);
	if ((blob = zbuf_b64_decode(z, &blen)) == NULL) {
		snprintf(err, len, "\"z\" must be base64");
		return (-1);
	}
	st = db_stmt(in->d, sql_insert_log);
	db_bind_text(st, 1, span);
	sqlite3_bind_int64(st, 2, in->job);
	db_bind_int(st, 3, json_object_get(o, "size"));
	db_bind_int(st, 4, json_object_get(o, "cut"));
	sqlite3_bind_blob(st, 5, blob, blen, free);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, len, "%s", sqlite3_errmsg(in->d->db));
		return (-1);
	}
	in->nlogs++;
	return (0);
}

/*
 * Node i of a summary's "nodes", n: {"node": 0, "host": "ci-a",
 * "workers": [0, 1]}, its node not one of those before it.
 */
static int
ingest_summary_node(json_t *nodes, size_t i, json_t *n, char *err,
    size_t len)
{
	json_t *w, *v;
	size_t j;

	if (!json_is_object(n)) {
		snprintf(err, len, "must be an object");
		return (-1);
	}
	if (!json_is_integer(json_object_get(n, "node")) ||
	    check_int_range(n, "node", INGEST_NODE_MAX, err, len) == -1) {
		snprintf(err, len, "\"node\" must be an integer from 0 to %d",
		    INGEST_NODE_MAX);
		return (-1);
	}
	if (check_str_max(n, "host", INGEST_HOST_MAX, err, len) == -1)
		return (-1);
	w = json_object_get(n, "workers");
	if (!json_is_array(w) || json_array_size(w) > INGEST_WORKERS_MAX)
		goto bad_workers;
	json_array_foreach(w, j, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			goto bad_workers;
	for (j = 0; j < i; j++)
		if (json_equal(json_object_get(n, "node"),
		    json_object_get(json_array_get(nodes, j), "node"))) {
			snprintf(err, len, "node %lld is listed twice",
			    (long long)json_integer_value(json_object_get(n,
			    "node")));
			return (-1);
		}
	return (0);
bad_workers:
	snprintf(err, len, "\"workers\" must be an array of at most %d "
	    "non-negative integers", INGEST_WORKERS_MAX);
	return (-1);
}

/*
 * A summary's "nodes", when present and not null: the nodes of a job of
 * many, each once. A bad one is named by its index.
 */
static int
ingest_summary_nodes(json_t *o, char *err, size_t len)
{
	json_t *nodes = json_object_get(o, "nodes"), *n;
	char why[256];
	size_t i;

	if (nodes == NULL || json_is_null(nodes))
		return (0);
	if (!json_is_array(nodes) ||
	    json_array_size(nodes) > INGEST_NODES_MAX) {
		snprintf(err, len, "\"nodes\" must be an array of at most %d "
		    "objects", INGEST_NODES_MAX);
		return (-1);
	}
	json_array_foreach(nodes, i, n)
		if (ingest_summary_node(nodes, i, n, why, sizeof why) == -1) {
			snprintf(err, len, "\"nodes\"[%zu]: %s", i, why);
			return (-1);
		}
	return (0);
}

static int
ingest_summary(struct ingest *in, json_t *o, char *err, size_t len)
{
	static const char *const ints[] = { "tests", "workers", NULL };
	static const char *const nums[] = { "duration", "planned", "cpu",
	    "end", NULL };
	sqlite3_stmt *st;
	json_t *ex = json_object_get(o, "exit"), *counts, *v;
	const char *status, *k;
	char *text;

	if (!json_is_integer(ex) || json_integer_value(ex) < 0 ||
	    json_integer_value(ex) > 255) {
		snprintf(err, len, "\"exit\" must be an integer from 0 to "
		    "255");
		return (-1);
	}
	if (check_nums(o, ints, nums, err, len) == -1 ||
	    ingest_summary_nodes(o, err, len) == -1)
		return (-1);
	counts = json_object_get(o, "counts");
	if (counts != NULL && !json_is_null(counts)) {
		if (!json_is_object(counts)) {
			snprintf(err, len, "\"counts\" must be an object");
			return (-1);
		}
		json_object_foreach(counts, k, v)
			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				snprintf(err, len, "\"counts\": \"%s\" must "
				    "be a non-negative integer", k);
				return (-1);
			}
	}
	switch (json_integer_value(ex)) {
	case 0:
		status = "passed";
		break;
	case 1:
		status = "failed";
		break;
	default:
		status = "error";
		break;
	}
	st = db_stmt(in->d, sql_summary);
	db_bind_text(st, 1, status);
	db_bind_int(st, 2, ex);
	db_bind_real(st, 3, json_object_get(o, "end"));
	db_bind_real(st, 4, json_object_get(o, "duration"));
	db_bind_int(st, 5, json_object_get(o, "tests"));
	text = json_dumps(o, JSON_COMPACT);
	db_bind_text(st, 6, text);
	free(text);
	sqlite3_bind_double(st, 7, time_unix());
	sqlite3_bind_int64(st, 8, in->job);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, len, "%s", sqlite3_errmsg(in->d->db));
		return (-1);
	}
	feed_job(in->d, in->job, "ended");
	return (0);
}

static int
ingest_record(struct ingest *in, json_t *o, char *err, size_t len)
{
	const char *type, *uuid;

	if (!json_is_object(o) ||
	    (type = json_string_value(json_object_get(o, "type"))) == NULL) {
		snprintf(err, len, "expected an object with a \"type\"");
		return (-1);
	}
	if (strcmp(type, "job") == 0) {
		uuid = json_string_value(json_object_get(o, "uuid"));
		if (uuid == NULL || strcmp(uuid, in->uuid) != 0) {
			snprintf(err, len, "a \"job\" record must have the "
			    "job's \"uuid\"");
			return (-1);
		}
		if ((in->job = jobs_upsert(in->d, o, err, len)) == -1) {
			in->job = 0;
			return (-1);
		}
		in->job = 0;
		return (ingest_need_job(in, err, len));
	}
	if (ingest_need_job(in, err, len) == -1)
		return (-1);
	if (strcmp(type, "plan") == 0)
		return (ingest_plan(in, o, err, len));
	if (strcmp(type, "span") == 0)
		return (ingest_span(in, o, err, len));
	if (strcmp(type, "result") == 0)
		return (ingest_result(in, o, err, len));
	if (strcmp(type, "log") == 0)
		return (ingest_log(in, o, err, len));
	if (strcmp(type, "summary") == 0)
		return (ingest_summary(in, o, err, len));
	if (strcmp(type, "heartbeat") == 0)
		return (0);
	snprintf(err, len, "unknown record type \"%s\"", type);
	return (-1);
}

/*
 * POST /api/v1/jobs/UUID/events: NDJSON records, all stored or none.
 * A bad line refuses the whole batch with its line number.
 */
void
route_events(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct ingest in;
	sqlite3_stmt *st;
	json_error_t jerr;
	json_t *o;
	char *body, *line, *nl, *nul, err[512];
	size_t len;
	int lineno = 0, n = 0;

	if (!jobid_is_uuid(a->seg[0])) {
		http_error(req, 400, "'%s' is not a job UUID", a->seg[0]);
		return;
	}
	memset(&in, 0, sizeof in);
	in.d = d;
	in.uuid = a->seg[0];
	body = http_body(d, req, &len);
	/* A NUL would end the batch there, the rest unread. */
	if ((nul = memchr(body, '\0', len)) != NULL) {
		for (line = body; line < nul; line++)
			lineno += *line == '\n';
		free(body);
		http_error(req, 400, "line %d: a NUL byte", lineno + 1);
		return;
	}
	if (db_begin(d) == -1) {
		free(body);
		http_error(req, 503, "database busy");
		return;
	}
	for (line = body; *line != '\0'; line = nl) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (*line == '\0')
			continue;
		if ((o = json_loads(line, 0, &jerr)) == NULL) {
			snprintf(err, sizeof err, "invalid JSON: %s",
			    jerr.text);
			goto bad;
		}
		in.line = line;
		if (ingest_record(&in, o, err, sizeof err) == -1) {
			json_decref(o);
			goto bad;
		}
		json_decref(o);
		n++;
	}
	if (n > 0 && in.job > 0) {
		st = db_stmt(d, sql_touch);
		sqlite3_bind_double(st, 1, time_unix());
		sqlite3_bind_int64(st, 2, in.job);
		sqlite3_step(st);
	}
	if (db_commit(d) == -1) {
		db_rollback(d);
		feed_discard(d);
		free(body);
		free(in.project);
		http_error(req, 500, "cannot store the records");
		return;
	}
	feed_publish(d);
	free(body);
	free(in.project);
	log_debug("job %s: %d records (%d spans, %d results, %d logs)",
	    a->seg[0], n, in.nspans, in.nresults, in.nlogs);
	http_json(req, 200, json_pack("{s:i}", "stored", n));
	return;
bad:
	db_rollback(d);
	feed_discard(d);
	free(body);
	free(in.project);
	http_error(req, 400, "line %d: %s", lineno, err);
}

/* POST /api/v1/jobs/UUID/heartbeat: the scheduler is still there. */
void
route_heartbeat(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	sqlite3_stmt *st;
	long long id;

	if (jobs_resolve(d, a->seg[0], &id) == -1) {
		http_error(req, 404, "unknown job '%s'", a->seg[0]);
		return;
	}
	st = db_stmt(d, sql_touch);
	sqlite3_bind_double(st, 1, time_unix());
	sqlite3_bind_int64(st, 2, id);
	sqlite3_step(st);
	http_json(req, 200, json_pack("{s:b}", "ok", 1));
}
