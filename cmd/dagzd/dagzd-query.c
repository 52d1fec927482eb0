/*
 * dagzd-query.c: what zb asks: a job's tests, cases, spans and logs, the
 * context of one span (for an agent's bundle), flaky tests across jobs,
 * and the plan a job started from. Lists are NDJSON, one record a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "jobid.h"
#include "status.h"
#include "utf8.h"
#include "xmalloc.h"
#include "zbuf.h"

#include <zlib.h>

#define LOG_TEXT_MAX	(64 * 1024 * 1024)
#define LOG_BLOCK	(64 * 1024)	/* inflated at a time, streaming */

/* The job named by the route's first segment, or a 404 sent. */
static int
query_job(struct dagzd *d, struct http_req *req, struct route_args *a,
    long long *id)
{
	if (jobs_resolve(d, a->seg[0], id) == -1) {
		http_error(req, 404, "unknown job '%s'", a->seg[0]);
		return (-1);
	}
	return (0);
}

/* Text for JSON: bytes that are not UTF-8 become '?'. */
static json_t *
query_text(const unsigned char *s, size_t len)
{
	char *out;
	size_t i = 0, n = 0, k, need;
	json_t *o;

	out = xmalloc(len + 1);
	while (i < len) {
		unsigned char c = s[i];

		need = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 :
		    (c >> 3) == 30 ? 3 : 4;
		if (need == 4 || i + need >= len + (need == 0)) {
			out[n++] = '?';
			i++;
			continue;
		}
		for (k = 1; k <= need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				break;
		if (k <= need || (need == 0 && c == 0)) {
			out[n++] = '?';
			i++;
			continue;
		}
		memcpy(out + n, s + i, need + 1);
		n += need + 1;
		i += need + 1;
	}
	o = json_stringn(out, n);
	free(out);
	return (o != NULL ? o : json_string("?"));
}

/* The stored log of a span, inflated, as fields of o. */
static void
query_log_fields(json_t *o, sqlite3_stmt *st, int col)
{
	const void *z = sqlite3_column_blob(st, col + 2);
	int zlen = sqlite3_column_bytes(st, col + 2);
	unsigned char *text;
	size_t len;

	if (sqlite3_column_type(st, col + 2) == SQLITE_NULL) {
		json_object_set_new(o, "log", json_null());
		return;
	}
	json_object_set_new(o, "log_size", db_column_int(st, col));
	json_object_set_new(o, "log_cut", db_column_int(st, col + 1));
	if ((text = zbuf_inflate(z, zlen, LOG_TEXT_MAX, &len)) == NULL) {
		json_object_set_new(o, "log", json_string("[dagz: this log "
		    "is corrupt in the store]\n"));
		return;
	}
	json_object_set_new(o, "log", query_text(text, len));
	free(text);
}

static const char sql_tests[] =
    "SELECT r.test, r.status, r.attempt, r.duration, r.reason, r.span, "
    "r.start, r.worker, r.exit, r.signal, r.leaked, r.cpu, r.rss, "
    "(SELECT count(*) FROM results r2 WHERE r2.job = r.job AND "
    "r2.test = r.test AND r2.attempt > 0), "
    "r.cases, r.cases_failed, r.cases_skipped, r.cases_todo, r.node, "
    "r.rerun, (SELECT json_extract(s.attrs, '$.selected') FROM spans s "
    "WHERE s.span = r.span), r.quarantined, (SELECT "
    "json_extract(s.attrs, '$.pollution') FROM spans s WHERE s.span = "
    "r.span) FROM results r WHERE r.job = ?1 AND r.final = 1 AND "
    "(?2 IS NULL OR r.status = ?2 OR (?2 = 'failed' AND r.status IN "
    "('FAILED', 'TIMEOUT', 'CRASHED', 'DEP_FAILED')) OR (?2 = 'passed' "
    "AND r.status IN ('OK', 'OK_FLAKY'))) ORDER BY r.test";

/*
 * The cases of a result as {"total", "failed", "skipped", "todo"} from
 * the columns from col on, or null when the test reported none.
 */
static json_t *
query_case_counts(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return (json_null());
	return (json_pack("{s:I,s:I,s:I,s:I}",
	    "total", (json_int_t)sqlite3_column_int64(st, col),
	    "failed", (json_int_t)sqlite3_column_int64(st, col + 1),
	    "skipped", (json_int_t)sqlite3_column_int64(st, col + 2),
	    "todo", (json_int_t)sqlite3_column_int64(st, col + 3)));
}

/*
 * GET /api/v1/jobs/J/tests?status=S: the final result of each test, with
 * the node it ran on in a job of many (none in a job of one, as in the
 * scheduler's record), why it ran again ("rerun": "node 2 lost")
 * when its node was lost, why the selection ran it ("selected"), and
 * "quarantined": true for a test in quarantine when it ran.
 */
void
route_tests(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct evbuffer *buf;
	sqlite3_stmt *st;
	enum test_status s;
	const char *status;
	long long id;
	json_t *o;

	if (query_job(d, req, a, &id) == -1)
		return;
	status = http_query(a, "status");
	if (status != NULL && status_parse(status, &s) == -1 &&
	    strcmp(status, "failed") != 0 && strcmp(status, "passed") != 0) {
		http_error(req, 400, "unknown status '%s'", status);
		return;
	}
	st = db_stmt(d, sql_tests);
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, status);
	buf = evbuffer_new();
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "test", db_column_text(st, 0));
		json_object_set_new(o, "status", db_column_text(st, 1));
		json_object_set_new(o, "attempts", db_column_int(st, 13));
		json_object_set_new(o, "duration", db_column_real(st, 3));
		json_object_set_new(o, "reason", db_column_text(st, 4));
		json_object_set_new(o, "span", db_column_text(st, 5));
		json_object_set_new(o, "start", db_column_real(st, 6));
		json_object_set_new(o, "worker", db_column_int(st, 7));
		json_object_set_new(o, "exit", db_column_int(st, 8));
		json_object_set_new(o, "signal", db_column_int(st, 9));
		json_object_set_new(o, "leaked", db_column_int(st, 10));
		json_object_set_new(o, "cpu", db_column_real(st, 11));
		json_object_set_new(o, "rss", db_column_int(st, 12));
		json_object_set_new(o, "cases", query_case_counts(st, 14));
		/* The node of a job of many; why it ran again, if it did. */
		if (sqlite3_column_type(st, 18) != SQLITE_NULL)
			json_object_set_new(o, "node", db_column_int(st, 18));
		if (sqlite3_column_type(st, 19) != SQLITE_NULL)
			json_object_set_new(o, "rerun", db_column_text(st, 19));
		/* Why the selection ran it, kept on its test span. */
		if (sqlite3_column_type(st, 20) != SQLITE_NULL)
			json_object_set_new(o, "selected",
			    db_column_json(st, 20));
		/* Quarantined: its failure did not fail the job. */
		if (sqlite3_column_int(st, 21) == 1)
			json_object_set_new(o, "quarantined", json_true());
		/* An order-dependent flaky test's suspects. */
		if (sqlite3_column_type(st, 22) != SQLITE_NULL)
			json_object_set_new(o, "pollution",
			    db_column_json(st, 22));
		http_ndjson_add(buf, o);
	}
	http_ndjson(req, buf);
}

static json_t *
query_span_json(sqlite3_stmt *st)
{
	json_t *o;

	o = json_object();
	json_object_set_new(o, "span", db_column_text(st, 0));
	json_object_set_new(o, "parent", db_column_text(st, 1));
	json_object_set_new(o, "type", db_column_text(st, 2));
	json_object_set_new(o, "name", db_column_text(st, 3));
	json_object_set_new(o, "test", db_column_text(st, 4));
	json_object_set_new(o, "attempt", db_column_int(st, 5));
	json_object_set_new(o, "start", db_column_real(st, 6));
	json_object_set_new(o, "end", db_column_real(st, 7));
	if (sqlite3_column_type(st, 6) != SQLITE_NULL &&
	    sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(o, "duration", json_real(
		    sqlite3_column_double(st, 7) -
		    sqlite3_column_double(st, 6)));
	else
		json_object_set_new(o, "duration", json_null());
	json_object_set_new(o, "status", db_column_text(st, 8));
	json_object_set_new(o, "attrs", db_column_json(st, 9));
	return (o);
}

static const char sql_spans[] =
    "SELECT span, parent, type, name, test, attempt, start, finish, status, "
    "attrs FROM spans WHERE job = ?1 AND (?2 IS NULL OR type = ?2) "
    "ORDER BY start, id";

/* GET /api/v1/jobs/J/spans?type=T. */
void
route_spans(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct evbuffer *buf;
	sqlite3_stmt *st;
	long long id;

	if (query_job(d, req, a, &id) == -1)
		return;
	st = db_stmt(d, sql_spans);
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, http_query(a, "type"));
	buf = evbuffer_new();
	while (sqlite3_step(st) == SQLITE_ROW)
		http_ndjson_add(buf, query_span_json(st));
	http_ndjson(req, buf);
}

static const char sql_cases[] =
    "SELECT s.test, s.name, s.status, s.start, s.finish, s.attrs, s.span, "
    "s.attempt, CASE WHEN ?4 THEN l.z END FROM results r "
    "JOIN spans s ON s.parent = r.span AND s.type = 'case' "
    "LEFT JOIN logs l ON l.span = s.span WHERE r.job = ?1 AND r.final = 1 AND "
    "(?2 IS NULL OR r.test = ?2) AND (?3 IS NULL OR s.status = ?3) "
    "ORDER BY r.test, s.id";
static const char sql_has_test[] =
    "SELECT 1 FROM results WHERE job = ? AND test = ? LIMIT 1";

/* The test named by the query, if any, is one of job id's; else a 404. */
static int
query_has_test(struct dagzd *d, struct http_req *req,
    struct route_args *a, long long id, const char *test)
{
	sqlite3_stmt *st;

	if (test == NULL)
		return (0);
	st = db_stmt(d, sql_has_test);
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, test);
	if (sqlite3_step(st) != SQLITE_ROW) {
		http_error(req, 404, "unknown test '%s' in job '%s'", test,
		    a->seg[0]);
		return (-1);
	}
	return (0);
}

/*
 * GET /api/v1/jobs/J/cases?test=T&status=S&output=1: the cases that the
 * final attempt of each test (or of T) reported, in the order reported;
 * with output=1, each with its output.
 */
void
route_cases(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	static const char *const statuses[] = { "OK", "FAILED", "SKIPPED",
	    "TODO", "TODO_OK", "DESELECTED", NULL };
	struct evbuffer *buf;
	sqlite3_stmt *st;
	const char *test = http_query(a, "test");
	const char *status = http_query(a, "status");
	long long id, output = 0;
	json_t *o, *attrs;
	unsigned char *text;
	size_t i, len;

	if (query_job(d, req, a, &id) == -1 ||
	    http_query_num(req, a, "output", 0, 1, &output) == -1)
		return;
	for (i = 0; status != NULL && statuses[i] != NULL; i++)
		if (strcmp(status, statuses[i]) == 0)
			break;
	if (status != NULL && statuses[i] == NULL) {
		http_error(req, 400, "unknown case status '%s': expected OK, "
		    "FAILED, SKIPPED, TODO, TODO_OK or DESELECTED", status);
		return;
	}
	if (query_has_test(d, req, a, id, test) == -1)
		return;
	st = db_stmt(d, sql_cases);
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, test);
	db_bind_text(st, 3, status);
	sqlite3_bind_int(st, 4, (int)output);
	buf = evbuffer_new();
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "test", db_column_text(st, 0));
		json_object_set_new(o, "case", db_column_text(st, 1));
		json_object_set_new(o, "status", db_column_text(st, 2));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
		    sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(o, "duration", json_real(
			    sqlite3_column_double(st, 4) -
			    sqlite3_column_double(st, 3)));
		else
			json_object_set_new(o, "duration", json_null());
		attrs = db_column_json(st, 5);
		json_object_set(o, "reason", json_object_get(attrs,
		    "reason") != NULL ? json_object_get(attrs, "reason") :
		    json_null());
		json_decref(attrs);
		json_object_set_new(o, "attempt", db_column_int(st, 7));
		json_object_set_new(o, "span", db_column_text(st, 6));
		if (output && sqlite3_column_type(st, 8) == SQLITE_NULL)
			json_object_set_new(o, "output", json_null());
		else if (output && (text = zbuf_inflate(
		    sqlite3_column_blob(st, 8), sqlite3_column_bytes(st, 8),
		    LOG_TEXT_MAX, &len)) != NULL) {
			json_object_set_new(o, "output", query_text(text, len));
			free(text);
		}
		http_ndjson_add(buf, o);
	}
	http_ndjson(req, buf);
}

static const char sql_logs_test[] =
    "SELECT r.test, r.attempt, r.status, r.span, l.size, l.cut, l.z "
    "FROM results r LEFT JOIN logs l ON l.span = r.span "
    "WHERE r.job = ?1 AND r.test = ?2 AND r.attempt > 0 "
    "ORDER BY r.attempt";
static const char sql_logs_failed[] =
    "SELECT r.test, r.attempt, r.status, r.span, l.size, l.cut, l.z "
    "FROM results r LEFT JOIN logs l ON l.span = r.span "
    "WHERE r.job = ?1 AND r.attempt > 0 AND r.test IN (SELECT test FROM "
    "results WHERE job = ?1 AND final = 1 AND status IN ('FAILED', "
    "'TIMEOUT', 'CRASHED', 'DEP_FAILED')) ORDER BY r.test, r.attempt";

/* One record of a log reply: its fields, and its log still compressed. */
struct log_item {
	char		*head;		/* {"test":...,"log": */
	unsigned char	*z;		/* NULL: no log */
	size_t		 zlen;
};

/*
 * A log reply as it streams out: records are written one block of
 * inflated text at a time, so that a log that expands to hundreds of
 * megabytes takes a bounded buffer and other requests go on meanwhile.
 */
struct log_stream {
	struct log_item	*items;
	size_t		 n;
	size_t		 cur;
	int		 state;		/* 0: head, 1: text, 2: tail */
	z_stream	 zs;
	int		 zopen;
	size_t		 text;		/* inflated so far, this record */
	char		 carry[4];	/* a sequence cut by the block's end */
	size_t		 ncarry;
	struct evbuffer	*out;
};

/* Appends len bytes of log text to out as the inside of a JSON string. */
static void
log_escape(struct log_stream *ls, const char *s, size_t len, int last)
{
	size_t i = 0, k;
	unsigned char c;

	while (i < len) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			evbuffer_add(ls->out, s + i, 1);
			i++;
			continue;
		}
		if (c < 0x80) {
			if (c == '\n')
				evbuffer_add(ls->out, "\\n", 2);
			else if (c == '"' || c == '\\')
				evbuffer_add_printf(ls->out, "\\%c", c);
			else
				evbuffer_add_printf(ls->out, "\\u%04x", c);
			i++;
			continue;
		}
		if ((k = utf8_next(s + i, len - i)) > 0) {
			evbuffer_add(ls->out, s + i, k);
			i += k;
		} else if (!last && len - i < 4) {
			memcpy(ls->carry, s + i, len - i);
			ls->ncarry = len - i;
			return;
		} else {
			evbuffer_add(ls->out, "\xef\xbf\xbd", 3);
			i++;
		}
	}
}

/* Inflates and escapes the next block of the current record's log. */
static void
log_stream_text(struct log_stream *ls)
{
	struct log_item *it = &ls->items[ls->cur];
	char buf[LOG_BLOCK + 4];
	size_t got;
	int rc;

	if (!ls->zopen) {
		memset(&ls->zs, 0, sizeof ls->zs);
		if (inflateInit(&ls->zs) != Z_OK) {
			evbuffer_add_printf(ls->out, "[dagz: cannot read this "
			    "log]\\n");
			ls->state = 2;
			return;
		}
		ls->zs.next_in = it->z;
		ls->zs.avail_in = it->zlen;
		ls->zopen = 1;
		ls->text = 0;
		ls->ncarry = 0;
	}
	memcpy(buf, ls->carry, ls->ncarry);
	ls->zs.next_out = (unsigned char *)buf + ls->ncarry;
	ls->zs.avail_out = LOG_BLOCK;
	rc = inflate(&ls->zs, Z_NO_FLUSH);
	got = LOG_BLOCK - ls->zs.avail_out;
	ls->text += got;
	got += ls->ncarry;
	ls->ncarry = 0;
	if (rc == Z_STREAM_END || (rc == Z_OK && ls->text < LOG_TEXT_MAX &&
	    got > 0)) {
		log_escape(ls, buf, got, rc == Z_STREAM_END);
		if (rc == Z_STREAM_END)
			ls->state = 2;
		return;
	}
	log_escape(ls, buf, got, 1);
	if (ls->text >= LOG_TEXT_MAX)
		evbuffer_add_printf(ls->out, "\\n[dagz: the rest of this log, "
		    "past %d MiB, is left out]\\n", LOG_TEXT_MAX >> 20);
	else
		evbuffer_add_printf(ls->out, "\\n[dagz: this log is corrupt "
		    "in the store]\\n");
	ls->state = 2;
}

static ssize_t
log_stream_fill(void *arg, char *buf, size_t max)
{
	struct log_stream *ls = arg;
	struct log_item *it;

	while (evbuffer_get_length(ls->out) < max && ls->cur < ls->n) {
		it = &ls->items[ls->cur];
		if (ls->state == 0) {
			evbuffer_add(ls->out, it->head, strlen(it->head));
			if (it->z == NULL) {
				evbuffer_add_printf(ls->out, "null}\n");
				ls->cur++;
				continue;
			}
			evbuffer_add(ls->out, "\"", 1);
			ls->state = 1;
		} else if (ls->state == 1)
			log_stream_text(ls);
		else {
			evbuffer_add(ls->out, "\"}\n", 3);
			if (ls->zopen)
				inflateEnd(&ls->zs);
			ls->zopen = 0;
			ls->state = 0;
			ls->cur++;
		}
	}
	return (evbuffer_remove(ls->out, buf, max));
}

static void
log_stream_free(void *arg)
{
	struct log_stream *ls = arg;
	size_t i;

	if (ls->zopen)
		inflateEnd(&ls->zs);
	for (i = 0; i < ls->n; i++) {
		free(ls->items[i].head);
		free(ls->items[i].z);
	}
	free(ls->items);
	evbuffer_free(ls->out);
	free(ls);
}

/*
 * GET /api/v1/jobs/J/logs?test=T: the logs of every attempt of T, or of
 * every test that failed, streamed.
 */
void
route_logs(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct log_stream *ls;
	struct log_item *it;
	sqlite3_stmt *st;
	const char *test = http_query(a, "test");
	long long id;
	json_t *o;
	char *s;

	if (query_job(d, req, a, &id) == -1)
		return;
	if (query_has_test(d, req, a, id, test) == -1)
		return;
	if (test != NULL) {
		st = db_stmt(d, sql_logs_test);
		sqlite3_bind_int64(st, 1, id);
		db_bind_text(st, 2, test);
	} else {
		st = db_stmt(d, sql_logs_failed);
		sqlite3_bind_int64(st, 1, id);
	}
	ls = xcalloc(1, sizeof *ls);
	ls->out = evbuffer_new();
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "test", db_column_text(st, 0));
		json_object_set_new(o, "attempt", db_column_int(st, 1));
		json_object_set_new(o, "status", db_column_text(st, 2));
		json_object_set_new(o, "span", db_column_text(st, 3));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			json_object_set_new(o, "log_size",
			    db_column_int(st, 4));
			json_object_set_new(o, "log_cut", db_column_int(st, 5));
		}
		s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(o);
		if (s == NULL)
			continue;
		ls->items = xreallocarray(ls->items, ls->n + 1,
		    sizeof *ls->items);
		it = &ls->items[ls->n++];
		/* "{...}" becomes "{...,\"log\":" and the log follows. */
		s[strlen(s) - 1] = '\0';
		xasprintf(&it->head, "%s%s\"log\":", s, strlen(s) > 1 ?
		    "," : "");
		free(s);
		it->z = NULL;
		it->zlen = 0;
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			it->zlen = sqlite3_column_bytes(st, 6);
			it->z = xmalloc(it->zlen + 1);
			if (it->zlen > 0)
				memcpy(it->z, sqlite3_column_blob(st, 6),
				    it->zlen);
		}
	}
	http_stream(req, 200, "application/x-ndjson", log_stream_fill,
	    log_stream_free, ls);
}

static const char sql_span[] =
    "SELECT span, parent, type, name, test, attempt, start, finish, status, "
    "attrs, job FROM spans WHERE span = ?";
static const char sql_span_log[] =
    "SELECT size, cut, z FROM logs WHERE span = ?";
static const char sql_job_meta[] =
    "SELECT meta, summary, project FROM jobs WHERE id = ?";
static const char sql_history[] =
    "SELECT j.day, j.seq, j.uuid, j.created, j.commit_sha, r.status, "
    "r.duration, r.attempt, r.reason FROM results r JOIN jobs j ON "
    "j.id = r.job WHERE r.test = ?1 AND r.final = 1 AND "
    "j.project IS ?2 ORDER BY r.job DESC LIMIT 20";

/*
 * GET /api/v1/spans/S/context: what a person or a program needs to look
 * into one test attempt: the span, the test's command and environment,
 * its log, its last 20 results across jobs, and the job's summary.
 */
void
route_span_context(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	json_t *o;
	int parentless;

	if ((o = query_span_context(d, a->seg[0], &parentless)) == NULL)
		http_error(req, 404, parentless ? "span '%s' has no parent" :
		    "unknown span '%s'", a->seg[0]);
	else
		http_json(req, 200, o);
}

/*
 * The context of span id, as GET /api/v1/spans/S/context gives it (the
 * bundle is built from it too), or NULL when there is no such span, or
 * when *parentless, a test.call span without its test span.
 */
json_t *
query_span_context(struct dagzd *d, const char *id, int *parentless)
{
	sqlite3_stmt *st;
	json_t *o, *span, *attrs, *meta, *summary, *hist, *h, *job;
	char sid[JOBID_SHORT_LEN], *test = NULL, *project = NULL, *parent;
	long long jobid;
	int today = jobid_day(time(NULL));

	*parentless = 0;
	if (!jobid_is_span(id))
		return (NULL);
	st = db_stmt(d, sql_span);
	db_bind_text(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return (NULL);
	/* The log and command hang off the test span, not test.call. */
	if (strcmp((const char *)sqlite3_column_text(st, 2), "test.call") ==
	    0 && sqlite3_column_type(st, 1) != SQLITE_NULL) {
		parent = xstrdup((const char *)sqlite3_column_text(st, 1));
		st = db_stmt(d, sql_span);
		db_bind_text(st, 1, parent);
		free(parent);
		if (sqlite3_step(st) != SQLITE_ROW) {
			*parentless = 1;
			return (NULL);
		}
	}
	span = query_span_json(st);
	jobid = sqlite3_column_int64(st, 10);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		test = xstrdup((const char *)sqlite3_column_text(st, 4));
	o = json_object();
	attrs = json_object_get(span, "attrs");
	json_object_set_new(o, "test", json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}",
	    "id", json_object_get(span, "test"), "cmd",
	    json_object_get(attrs, "cmd"), "sh", json_object_get(attrs, "sh"),
	    "cwd", json_object_get(attrs, "cwd"), "env",
	    json_object_get(attrs, "env")));
	json_object_set_new(o, "span", span);

	st = db_stmt(d, sql_span_log);
	db_bind_text(st, 1, json_string_value(json_object_get(span, "span")));
	if (sqlite3_step(st) == SQLITE_ROW)
		query_log_fields(o, st, 0);
	else
		json_object_set_new(o, "log", json_null());

	st = db_stmt(d, sql_job_meta);
	sqlite3_bind_int64(st, 1, jobid);
	meta = summary = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		meta = db_column_json(st, 0);
		summary = db_column_json(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			project = xstrdup(
			    (const char *)sqlite3_column_text(st, 2));
	}
	json_object_set(o, "env", json_object_get(meta, "env") != NULL ?
	    json_object_get(meta, "env") : json_null());
	json_object_set_new(o, "summary", summary != NULL ? summary :
	    json_null());
	job = jobs_json(d, jobid);
	json_object_set_new(o, "job", job != NULL ? job : json_null());
	json_decref(meta);

	hist = json_array();
	if (test != NULL) {
		st = db_stmt(d, sql_history);
		db_bind_text(st, 1, test);
		db_bind_text(st, 2, project);
		while (sqlite3_step(st) == SQLITE_ROW) {
			jobid_short(sqlite3_column_int(st, 0),
			    sqlite3_column_int(st, 1), today, sid, sizeof sid);
			h = json_object();
			json_object_set_new(h, "job", json_string(sid));
			json_object_set_new(h, "uuid", db_column_text(st, 2));
			json_object_set_new(h, "created",
			    db_column_real(st, 3));
			json_object_set_new(h, "commit", db_column_text(st, 4));
			json_object_set_new(h, "status", db_column_text(st, 5));
			json_object_set_new(h, "duration",
			    db_column_real(st, 6));
			json_object_set_new(h, "attempt", db_column_int(st, 7));
			json_object_set_new(h, "reason", db_column_text(st, 8));
			json_array_append_new(hist, h);
		}
	}
	json_object_set_new(o, "history", hist);
	free(test);
	free(project);
	return (o);
}

struct flaky {
	char	*test;
	int	 runs;
	int	 passed;
	int	 failed;
	int	 flaky;
	int	 flips;
	double	 rate;
};

static int
flaky_cmp(const void *a, const void *b)
{
	const struct flaky *x = a, *y = b;

	if (x->rate != y->rate)
		return (x->rate < y->rate ? 1 : -1);
	if (x->runs != y->runs)
		return (x->runs < y->runs ? 1 : -1);
	return (strcmp(x->test, y->test));
}

static const char sql_flaky[] =
    "SELECT r.test, r.status FROM results r WHERE r.final = 1 AND "
    "r.attempt > 0 AND r.job IN (SELECT id FROM jobs WHERE "
    "(?1 IS NULL OR created >= ?1) AND (?2 IS NULL OR project = ?2) "
    "AND json_extract(meta, '$.stress') IS NULL "
    "ORDER BY id DESC LIMIT ?3) ORDER BY r.test, r.job";

/*
 * Tests by flaky rate over the last jobs jobs (since *since when not
 * NULL, of project when not NULL), at most limit, as an array of
 * {"test", "runs", "passed", "failed", "flaky", "flips", "rate"}. A test
 * is flaky in a job when it passed only on a retry (OK_FLAKY), and
 * across jobs each time its outcome flips between pass and fail; the
 * rate is both over its runs. Stress jobs, which hunt a flake on
 * purpose, are not counted.
 */
json_t *
query_flaky(struct dagzd *d, const double *since, const char *project,
    long long jobs, long long limit)
{
	struct flaky *f = NULL, *cur = NULL;
	sqlite3_stmt *st;
	enum test_status s;
	const char *test, *status;
	size_t n = 0, i;
	int last = -1, pass;
	json_t *out;

	st = db_stmt(d, sql_flaky);
	if (since != NULL)
		sqlite3_bind_double(st, 1, *since);
	db_bind_text(st, 2, project);
	sqlite3_bind_int64(st, 3, jobs);
	while (sqlite3_step(st) == SQLITE_ROW) {
		test = (const char *)sqlite3_column_text(st, 0);
		status = (const char *)sqlite3_column_text(st, 1);
		if (status_parse(status, &s) == -1 ||
		    (!status_passed(s) && !status_failed(s)) ||
		    s == ST_SKIPPED || s == ST_DESELECTED || s == ST_REDUNDANT)
			continue;
		if (cur == NULL || strcmp(cur->test, test) != 0) {
			f = xreallocarray(f, n + 1, sizeof *f);
			cur = &f[n++];
			memset(cur, 0, sizeof *cur);
			cur->test = xstrdup(test);
			last = -1;
		}
		pass = status_passed(s);
		cur->runs++;
		if (pass)
			cur->passed++;
		else
			cur->failed++;
		if (s == ST_OK_FLAKY)
			cur->flaky++;
		if (last != -1 && last != pass)
			cur->flips++;
		last = pass;
	}
	for (i = 0; i < n; i++)
		f[i].rate = (double)(f[i].flaky + f[i].flips) / f[i].runs;
	if (n > 0)
		qsort(f, n, sizeof *f, flaky_cmp);
	out = json_array();
	for (i = 0; i < n; i++) {
		if (f[i].rate > 0 && json_array_size(out) < (size_t)limit)
			json_array_append_new(out, json_pack("{s:s,s:i,s:i,"
			    "s:i,s:i,s:i,s:f}", "test", f[i].test, "runs",
			    f[i].runs, "passed", f[i].passed, "failed",
			    f[i].failed, "flaky", f[i].flaky, "flips",
			    f[i].flips, "rate", f[i].rate));
		free(f[i].test);
	}
	free(f);
	return (out);
}

/* GET /api/v1/flaky?jobs=N&since=T&project=P&limit=M: query_flaky's. */
void
route_flaky(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct evbuffer *buf;
	long long jobs = 50, limit = 50;
	int since_set;
	double since;
	json_t *list, *o;
	size_t i;

	if (http_query_num(req, a, "jobs", 1, 1000000, &jobs) == -1 ||
	    http_query_num(req, a, "limit", 1, 1000000, &limit) == -1 ||
	    (since_set = http_query_time(req, a, "since", &since)) == -1)
		return;
	list = query_flaky(d, since_set ? &since : NULL,
	    http_query(a, "project"), jobs, limit);
	buf = evbuffer_new();
	json_array_foreach(list, i, o)
		http_ndjson_add(buf, json_incref(o));
	json_decref(list);
	http_ndjson(req, buf);
}

static const char sql_plan[] =
    "SELECT p.test, p.worker, p.node, p.ord, p.start, p.estimate, p.at, "
    "r.worker FROM plan p LEFT JOIN results r ON r.job = p.job AND "
    "r.test = p.test AND r.attempt = 1 WHERE p.job = ?1 "
    "ORDER BY p.worker, p.ord";

/*
 * GET /api/v1/jobs/J/plan: the plan the job started from, a line per
 * test in each worker's order: its planned worker (and node), order,
 * start (seconds from when the plan was made, "at" that time since the
 * epoch), estimate, and the worker its first attempt ran on ("ran_on",
 * null if none did). Nothing for a job that recorded no plan.
 */
void
route_plan(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct evbuffer *buf;
	sqlite3_stmt *st;
	long long id;
	json_t *o;

	if (query_job(d, req, a, &id) == -1)
		return;
	st = db_stmt(d, sql_plan);
	sqlite3_bind_int64(st, 1, id);
	buf = evbuffer_new();
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_object();
		json_object_set_new(o, "test", db_column_text(st, 0));
		json_object_set_new(o, "worker", db_column_int(st, 1));
		json_object_set_new(o, "node", db_column_int(st, 2));
		json_object_set_new(o, "order", db_column_int(st, 3));
		json_object_set_new(o, "start", db_column_real(st, 4));
		json_object_set_new(o, "estimate", db_column_real(st, 5));
		json_object_set_new(o, "at", db_column_real(st, 6));
		json_object_set_new(o, "ran_on", db_column_int(st, 7));
		http_ndjson_add(buf, o);
	}
	sqlite3_reset(st);
	http_ndjson(req, buf);
}
