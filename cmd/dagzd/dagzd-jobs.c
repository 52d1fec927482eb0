/*
 * dagzd-jobs.c: jobs. A job is created by its scheduler (or by the first
 * record of its stream, when dagzd was away at the start), gets its
 * short ID then, and learns whether it is a rerun of a CI job and how
 * long its tests took before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "jobid.h"
#include "log.h"
#include "status.h"
#include "timeutil.h"
#include "xmalloc.h"

#define JOBS_LIMIT_MAX	100000

static const char sql_by_uuid[] = "SELECT id FROM jobs WHERE uuid = ?";
static const char sql_by_day[] =
    "SELECT id FROM jobs WHERE day = ? AND seq = ?";
static const char sql_by_mmdd[] =
    "SELECT id FROM jobs WHERE day % 10000 = ? AND seq = ? AND day <= ? "
    "ORDER BY day DESC LIMIT 1";

/* Finds a job by UUID or short ID; -1 if there is none. */
int
jobs_resolve(struct dagzd *d, const char *name, long long *id)
{
	sqlite3_stmt *st;
	int mmdd, seq, today = jobid_day(time(NULL));

	if (jobid_is_uuid(name)) {
		st = db_stmt(d, sql_by_uuid);
		db_bind_text(st, 1, name);
	} else if (jobid_parse_short(name, &mmdd, &seq) == 0) {
		if (mmdd == 0) {
			st = db_stmt(d, sql_by_day);
			sqlite3_bind_int(st, 1, today);
			sqlite3_bind_int(st, 2, seq);
		} else {
			st = db_stmt(d, sql_by_mmdd);
			sqlite3_bind_int(st, 1, mmdd);
			sqlite3_bind_int(st, 2, seq);
			sqlite3_bind_int(st, 3, today);
		}
	} else
		return (-1);
	if (sqlite3_step(st) != SQLITE_ROW)
		return (-1);
	*id = sqlite3_column_int64(st, 0);
	return (0);
}

static json_t *
jobs_time(sqlite3_stmt *st, int i)
{
	char buf[32];
	struct tm tm;
	time_t t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return (json_null());
	t = (time_t)sqlite3_column_double(st, i);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return (json_string(buf));
}

static const char sql_short[] = "SELECT day, seq FROM jobs WHERE id = ?";

/* The short ID of job id as of today, into buf. */
static void
jobs_short(struct dagzd *d, long long id, char *buf, size_t len)
{
	sqlite3_stmt *st = db_stmt(d, sql_short);

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(buf, len, "?");
		return;
	}
	jobid_short(sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
	    jobid_day(time(NULL)), buf, len);
}

static const char sql_live_counts[] =
    "SELECT status, count(*) FROM results WHERE job = ? AND final = 1 "
    "GROUP BY status";

/* Counts of final statuses, from the summary or, while running, live. */
static json_t *
jobs_counts(struct dagzd *d, long long id, json_t *summary)
{
	sqlite3_stmt *st;
	json_t *counts, *c, *v;
	const char *k;

	counts = json_object();
	if ((c = json_object_get(summary, "counts")) != NULL &&
	    json_is_object(c)) {
		json_object_foreach(c, k, v)
			if (json_integer_value(v) > 0)
				json_object_set(counts, k, v);
		return (counts);
	}
	st = db_stmt(d, sql_live_counts);
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(counts,
		    (const char *)sqlite3_column_text(st, 0),
		    json_integer(sqlite3_column_int64(st, 1)));
	return (counts);
}

static const char sql_node_workers[] =
    "SELECT node, worker, sum(final) FROM results "
    "WHERE job = ? AND node IS NOT NULL GROUP BY node, worker "
    "ORDER BY node, worker";

/*
 * The nodes of a job of many, [{"node", "host", "workers", "tests"}]: as
 * its summary lists them, else as its results show them so far (without
 * hosts); each with the number of tests whose final attempt ran there.
 * null for a job of one node.
 */
static json_t *
jobs_nodes(struct dagzd *d, long long id, json_t *summary)
{
	sqlite3_stmt *st = db_stmt(d, sql_node_workers);
	json_t *seen, *nodes, *n, *listed, *tests, *host;
	json_int_t node, last = -1;
	char key[32];
	size_t i;

	/* Node (as a key) to {"node", "host", "workers", "tests"}. */
	seen = json_object();
	nodes = json_array();
	n = NULL;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		node = sqlite3_column_int64(st, 0);
		if (n == NULL || node != last) {
			n = json_pack("{s:I,s:n,s:[],s:I}", "node", node,
			    "host", "workers", "tests", (json_int_t)0);
			snprintf(key, sizeof key, "%lld", (long long)node);
			json_object_set_new(seen, key, n);
			json_array_append(nodes, n);
			last = node;
		}
		if (sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 1) >= 0)
			json_array_append_new(json_object_get(n, "workers"),
			    json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(n, "tests", json_integer(
		    json_integer_value(json_object_get(n, "tests")) +
		    sqlite3_column_int64(st, 2)));
	}
	listed = json_object_get(summary, "nodes");
	if (json_is_array(listed)) {
		json_decref(nodes);
		nodes = json_array();
		json_array_foreach(listed, i, n) {
			snprintf(key, sizeof key, "%lld", (long long)
			    json_integer_value(json_object_get(n, "node")));
			tests = json_object_get(json_object_get(seen, key),
			    "tests");
			if ((host = json_object_get(n, "host")) == NULL)
				host = json_null();
			json_array_append_new(nodes, json_pack("{s:O,s:O,s:O,"
			    "s:I}", "node", json_object_get(n, "node"), "host",
			    host, "workers", json_object_get(n, "workers"),
			    "tests", json_integer_value(tests)));
		}
	}
	json_decref(seen);
	if (json_array_size(nodes) == 0 && !json_is_array(listed)) {
		json_decref(nodes);
		return (json_null());
	}
	return (nodes);
}

static const char sql_job[] =
    "SELECT uuid, day, seq, created, started, ended, status, exit, "
    "project, branch, commit_sha, ci_attempt, rerun_of, tests, duration, "
    "meta, summary FROM jobs WHERE id = ?";

/* A job as clients see it; NULL if id is not a job. */
json_t *
jobs_json(struct dagzd *d, long long id)
{
	sqlite3_stmt *st = db_stmt(d, sql_job);
	json_t *o, *meta, *summary, *counts, *ci, *v;
	char sid[JOBID_SHORT_LEN], url[64];
	const char *k;
	long long rerun_of = 0, passed = 0, failed = 0, flaky = 0, n;
	enum test_status s;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return (NULL);
	jobid_short(sqlite3_column_int(st, 1), sqlite3_column_int(st, 2),
	    jobid_day(time(NULL)), sid, sizeof sid);
	o = json_object();
	json_object_set_new(o, "id", json_string(sid));
	json_object_set_new(o, "uuid", db_column_text(st, 0));
	json_object_set_new(o, "status", db_column_text(st, 6));
	json_object_set_new(o, "created", jobs_time(st, 3));
	json_object_set_new(o, "started", jobs_time(st, 4));
	json_object_set_new(o, "ended", jobs_time(st, 5));
	json_object_set_new(o, "duration", db_column_real(st, 14));
	json_object_set_new(o, "exit", db_column_int(st, 7));
	json_object_set_new(o, "project", db_column_text(st, 8));
	json_object_set_new(o, "branch", db_column_text(st, 9));
	json_object_set_new(o, "commit", db_column_text(st, 10));
	json_object_set_new(o, "tests", db_column_int(st, 13));
	if (sqlite3_column_type(st, 12) != SQLITE_NULL)
		rerun_of = sqlite3_column_int64(st, 12);
	meta = db_column_json(st, 15);
	summary = db_column_json(st, 16);
	ci = json_object_get(meta, "ci");
	if (json_is_object(ci)) {
		ci = json_deep_copy(ci);
		json_object_set_new(ci, "attempt", db_column_int(st, 11));
		json_object_set_new(o, "ci", ci);
	} else
		json_object_set_new(o, "ci", json_null());
	if ((v = json_object_get(meta, "argv")) != NULL)
		json_object_set(o, "argv", v);
	if ((v = json_object_get(meta, "host")) != NULL)
		json_object_set(o, "host", v);
	/* A stress job: {"repeat": N or null, "until_fail": bool}. */
	v = json_object_get(meta, "stress");
	json_object_set_new(o, "stress", json_is_object(v) ? json_incref(v) :
	    json_null());
	if ((v = json_object_get(summary, "planned")) != NULL)
		json_object_set(o, "planned", v);
	if ((v = json_object_get(summary, "cpu")) != NULL)
		json_object_set(o, "cpu", v);
	/* st is reused by the queries below; everything is read from it. */
	counts = jobs_counts(d, id, summary);
	json_object_foreach(counts, k, v) {
		n = json_integer_value(v);
		if (status_parse(k, &s) == -1)
			continue;
		if (s == ST_OK || s == ST_OK_FLAKY)
			passed += n;
		if (s == ST_OK_FLAKY)
			flaky += n;
		if (status_failed(s))
			failed += n;
	}
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "nodes", jobs_nodes(d, id, summary));
	json_object_set_new(o, "passed", json_integer(passed));
	json_object_set_new(o, "failed", json_integer(failed));
	json_object_set_new(o, "flaky", json_integer(flaky));
	if (rerun_of > 0) {
		jobs_short(d, rerun_of, url, sizeof url);
		json_object_set_new(o, "rerun_of", json_string(url));
	} else
		json_object_set_new(o, "rerun_of", json_null());
	snprintf(url, sizeof url, "/jobs/%s", sid);
	json_object_set_new(o, "url", json_string(url));
	json_decref(meta);
	json_decref(summary);
	return (o);
}

static const char sql_next_seq[] =
    "SELECT coalesce(max(seq), 0) + 1 FROM jobs WHERE day = ?";
static const char sql_prev_ci[] =
    "SELECT id, ci_attempt FROM jobs WHERE ci_key = ? ORDER BY id DESC "
    "LIMIT 1";
static const char sql_insert_job[] =
    "INSERT INTO jobs (uuid, day, seq, created, started, last_seen, "
    "project, branch, commit_sha, ci_key, ci_attempt, rerun_of, tests, meta) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_touch[] =
    "UPDATE jobs SET last_seen = ?, status = CASE status "
    "WHEN 'vanished' THEN 'running' ELSE status END WHERE id = ?";

/* What a job record says that is stored and added up must make sense. */
static int
jobs_check(json_t *meta, char *err, size_t len)
{
	static const char *const ints[] = { "tests", "workers" };
	static const char *const strs[] = { "project", "branch", "commit" };
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
		if ((v = json_object_get(meta, ints[i])) != NULL &&
		    !json_is_null(v) && (!json_is_integer(v) ||
		    json_integer_value(v) < 0)) {
			snprintf(err, len, "\"%s\" must be a non-negative "
			    "integer", ints[i]);
			return (-1);
		}
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if ((v = json_object_get(meta, strs[i])) != NULL &&
		    !json_is_null(v) && !json_is_string(v)) {
			snprintf(err, len, "\"%s\" must be a string",
			    strs[i]);
			return (-1);
		}
	if ((v = json_object_get(meta, "started")) != NULL &&
	    !json_is_null(v) && (!json_is_number(v) ||
	    json_number_value(v) < 0)) {
		snprintf(err, len, "\"started\" must be a time in seconds "
		    "since the epoch");
		return (-1);
	}
	if ((v = json_object_get(meta, "stress")) != NULL &&
	    !json_is_null(v) && (!json_is_object(v) ||
	    (json_object_get(v, "repeat") != NULL &&
	    !json_is_null(json_object_get(v, "repeat")) &&
	    (!json_is_integer(json_object_get(v, "repeat")) ||
	    json_integer_value(json_object_get(v, "repeat")) < 1)) ||
	    !json_is_boolean(json_object_get(v, "until_fail")))) {
		snprintf(err, len, "\"stress\" must be an object with a "
		    "\"repeat\" count and \"until_fail\" true or false");
		return (-1);
	}
	return (0);
}

/*
 * Creates the job described by meta, or finds it if it exists (a
 * scheduler re-sends its job record). Returns its id, or -1 with err.
 * Runs inside the caller's transaction.
 */
long long
jobs_upsert(struct dagzd *d, json_t *meta, char *err, size_t len)
{
	sqlite3_stmt *st;
	json_t *ci, *v;
	const char *uuid, *key = NULL;
	long long id, prev = 0;
	double now = time_unix(), created = now;
	int day, seq, attempt = 0;
	char *text;

	uuid = json_string_value(json_object_get(meta, "uuid"));
	if (uuid == NULL || !jobid_is_uuid(uuid)) {
		snprintf(err, len, "\"uuid\" must be a UUID");
		return (-1);
	}
	if (jobs_check(meta, err, len) == -1)
		return (-1);
	if (jobs_resolve(d, uuid, &id) == 0) {
		st = db_stmt(d, sql_touch);
		sqlite3_bind_double(st, 1, now);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_step(st);
		return (id);
	}
	if ((v = json_object_get(meta, "created")) != NULL) {
		if (!d->allow_backdate) {
			snprintf(err, len, "\"created\" is accepted only by a "
			    "dagzd started with --allow-backdate");
			return (-1);
		}
		if (!json_is_number(v) || json_number_value(v) < 0) {
			snprintf(err, len, "\"created\" must be a time in "
			    "seconds since the epoch");
			return (-1);
		}
		created = json_number_value(v);
	}
	ci = json_object_get(meta, "ci");
	/*
	 * A stress job is no attempt of its CI job, and no later attempt
	 * is a rerun of it: it has no key.
	 */
	if (json_is_object(json_object_get(meta, "stress")))
		ci = NULL;
	if (json_is_object(ci)) {
		key = json_string_value(json_object_get(ci, "key"));
		if ((v = json_object_get(ci, "attempt")) != NULL &&
		    json_is_integer(v))
			attempt = json_integer_value(v);
	}
	if (key != NULL) {
		st = db_stmt(d, sql_prev_ci);
		db_bind_text(st, 1, key);
		if (sqlite3_step(st) == SQLITE_ROW) {
			prev = sqlite3_column_int64(st, 0);
			if (attempt == 0)
				attempt = sqlite3_column_int(st, 1) + 1;
		}
		if (attempt == 0)
			attempt = 1;
	}
	day = jobid_day((time_t)created);
	st = db_stmt(d, sql_next_seq);
	sqlite3_bind_int(st, 1, day);
	seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;

	st = db_stmt(d, sql_insert_job);
	db_bind_text(st, 1, uuid);
	sqlite3_bind_int(st, 2, day);
	sqlite3_bind_int(st, 3, seq);
	sqlite3_bind_double(st, 4, created);
	db_bind_real(st, 5, json_object_get(meta, "started"));
	sqlite3_bind_double(st, 6, now);
	db_bind_text(st, 7, json_string_value(json_object_get(meta,
	    "project")));
	db_bind_text(st, 8, json_string_value(json_object_get(meta, "branch")));
	db_bind_text(st, 9, json_string_value(json_object_get(meta, "commit")));
	db_bind_text(st, 10, key);
	if (key != NULL)
		sqlite3_bind_int(st, 11, attempt);
	if (prev > 0)
		sqlite3_bind_int64(st, 12, prev);
	db_bind_int(st, 13, json_object_get(meta, "tests"));
	text = json_dumps(meta, JSON_COMPACT);
	db_bind_text(st, 14, text);
	free(text);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, len, "cannot store the job: %s",
		    sqlite3_errmsg(d->db));
		return (-1);
	}
	id = sqlite3_last_insert_rowid(d->db);
	log_info("job j%d (day %d) created: %s", seq, day, uuid);
	return (id);
}

static const char sql_rerun_of[] =
    "SELECT rerun_of FROM jobs WHERE id = ?";
static const char sql_prev_status[] =
    "SELECT status FROM jobs WHERE id = ?";
static const char sql_failed_tests[] =
    "SELECT test FROM results WHERE job = ? AND final = 1 AND status IN "
    "('FAILED', 'TIMEOUT', 'CRASHED', 'DEP_FAILED', 'NOT_RUN') "
    "ORDER BY test";
static const char sql_durations[] =
    "SELECT test, duration FROM durations WHERE project = ?";

/*
 * What a rerun of a CI job runs: only the tests that failed in the
 * attempt before (and those it did not run, having stopped early), when
 * it failed; everything when it passed.
 */
static json_t *
jobs_rerun(struct dagzd *d, long long id)
{
	sqlite3_stmt *st;
	json_t *o, *tests;
	long long prev;
	char sid[JOBID_SHORT_LEN];
	const char *status;
	int failed;

	st = db_stmt(d, sql_rerun_of);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_type(st, 0) == SQLITE_NULL)
		return (json_null());
	prev = sqlite3_column_int64(st, 0);
	st = db_stmt(d, sql_prev_status);
	sqlite3_bind_int64(st, 1, prev);
	if (sqlite3_step(st) != SQLITE_ROW)
		return (json_null());
	status = (const char *)sqlite3_column_text(st, 0);
	failed = status != NULL && strcmp(status, "failed") == 0;
	jobs_short(d, prev, sid, sizeof sid);
	o = json_pack("{s:s}", "of", sid);
	tests = json_array();
	if (failed) {
		st = db_stmt(d, sql_failed_tests);
		sqlite3_bind_int64(st, 1, prev);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(tests, json_string(
			    (const char *)sqlite3_column_text(st, 0)));
	}
	if (json_array_size(tests) > 0) {
		json_object_set_new(o, "mode", json_string("failed"));
		json_object_set_new(o, "tests", tests);
	} else {
		json_object_set_new(o, "mode", json_string("all"));
		json_decref(tests);
	}
	return (o);
}

static const char sql_retry_job[] =
    "SELECT id, status, tests, (SELECT count(*) FROM results r "
    "WHERE r.job = jobs.id AND r.final = 1) FROM jobs WHERE uuid = ?";
static const char sql_retry_tests[] =
    "SELECT test FROM results WHERE job = ?1 AND final = 1 AND status IN "
    "('FAILED', 'TIMEOUT', 'CRASHED', 'DEP_FAILED', 'DAGZ_ERROR', "
    "'NOT_RUN') AND "
    "(node = ?2 OR (node IS NULL AND ?3)) ORDER BY test";

/*
 * What a CI retry of one slot of the job uuid of many nodes runs, once
 * that job is over: {"of", "job", "mode": "failed", "tests"}, the tests
 * whose final attempt did not pass on that slot's node (and, for the
 * slot that scheduled, those of no node: never started, or a dagz
 * error), or {"of", "job", "mode": "all"} when it vanished or ended
 * before every test had a result, so that nothing unknown passes
 * unseen. NULL while the job runs, or when there is no such job.
 */
json_t *
jobs_retry(struct dagzd *d, const char *uuid, long long node, int scheduled)
{
	sqlite3_stmt *st = db_stmt(d, sql_retry_job);
	char sid[JOBID_SHORT_LEN];
	const char *status;
	long long id;
	json_t *o, *tests;
	int all;

	db_bind_text(st, 1, uuid);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    (status = (const char *)sqlite3_column_text(st, 1)) == NULL ||
	    strcmp(status, "running") == 0)
		return (NULL);
	id = sqlite3_column_int64(st, 0);
	all = strcmp(status, "vanished") == 0 ||
	    (sqlite3_column_type(st, 2) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 3) < sqlite3_column_int64(st, 2));
	jobs_short(d, id, sid, sizeof sid);
	o = json_pack("{s:s,s:s,s:s}", "of", sid, "job", uuid, "mode",
	    all ? "all" : "failed");
	if (all)
		return (o);
	tests = json_array();
	st = db_stmt(d, sql_retry_tests);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, node);
	sqlite3_bind_int(st, 3, scheduled);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(tests, db_column_text(st, 0));
	json_object_set_new(o, "tests", tests);
	return (o);
}

/* POST /api/v1/jobs: create a job; reply with what planning needs. */
void
route_job_create(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	sqlite3_stmt *st;
	json_error_t jerr;
	json_t *meta, *o, *durations;
	char *body, err[256];
	const char *project;
	long long id;
	size_t len;

	body = http_body(d, req, &len);
	meta = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	free(body);
	if (meta == NULL || !json_is_object(meta)) {
		http_error(req, 400, "invalid JSON: %s", meta == NULL ?
		    jerr.text : "expected an object");
		json_decref(meta);
		return;
	}
	if (db_begin(d) == -1) {
		json_decref(meta);
		http_error(req, 503, "database busy");
		return;
	}
	if ((id = jobs_upsert(d, meta, err, sizeof err)) == -1) {
		db_rollback(d);
		json_decref(meta);
		http_error(req, 400, "%s", err);
		return;
	}
	if (db_commit(d) == -1) {
		db_rollback(d);
		json_decref(meta);
		http_error(req, 500, "cannot store the job");
		return;
	}
	feed_job(d, id, "created");
	feed_publish(d);
	o = jobs_json(d, id);
	json_object_set_new(o, "rerun", jobs_rerun(d, id));
	durations = json_object();
	if ((project = json_string_value(json_object_get(meta, "project"))) !=
	    NULL) {
		st = db_stmt(d, sql_durations);
		db_bind_text(st, 1, project);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(durations,
			    (const char *)sqlite3_column_text(st, 0),
			    json_real(sqlite3_column_double(st, 1)));
	}
	json_object_set_new(o, "durations", durations);
	json_decref(meta);
	http_json(req, 201, o);
}

static const char sql_list[] =
    "SELECT id FROM jobs WHERE (?1 IS NULL OR created >= ?1) "
    "AND (?2 IS NULL OR project = ?2) AND (?3 IS NULL OR status = ?3) "
    "ORDER BY id DESC LIMIT ?4";

/* GET /api/v1/jobs?limit=N&since=UNIXTIME&project=P&status=S: NDJSON. */
void
route_jobs(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct evbuffer *buf;
	sqlite3_stmt *st;
	long long *ids = NULL, limit = 20;
	size_t n = 0, i;
	double since;
	int since_set;
	json_t *o;

	if (http_query_num(req, a, "limit", 1, JOBS_LIMIT_MAX, &limit) == -1 ||
	    (since_set = http_query_time(req, a, "since", &since)) == -1)
		return;
	st = db_stmt(d, sql_list);
	if (since_set)
		sqlite3_bind_double(st, 1, since);
	db_bind_text(st, 2, http_query(a, "project"));
	db_bind_text(st, 3, http_query(a, "status"));
	sqlite3_bind_int64(st, 4, limit);
	ids = xcalloc(limit, sizeof *ids);
	while (n < (size_t)limit && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	buf = evbuffer_new();
	for (i = 0; i < n; i++)
		if ((o = jobs_json(d, ids[i])) != NULL)
			http_ndjson_add(buf, o);
	free(ids);
	http_ndjson(req, buf);
}

/* GET /api/v1/jobs/J. */
void
route_job(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	long long id;
	json_t *o;

	if (jobs_resolve(d, a->seg[0], &id) == -1 ||
	    (o = jobs_json(d, id)) == NULL) {
		http_error(req, 404, "unknown job '%s'", a->seg[0]);
		return;
	}
	http_json(req, 200, o);
}
