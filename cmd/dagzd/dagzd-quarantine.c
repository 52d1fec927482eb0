/*
 * dagzd-quarantine.c: the tests of a project in quarantine. A
 * quarantined test still runs and is recorded, but its failure does not
 * fail its job. People put tests there and take them out (zb
 * quarantine); a job with --auto-quarantine N asks, in one transaction,
 * that every test flaky in N of the last jobs of the main branch be put
 * there, and every test put there that way be released once it has run
 * clean on main long enough.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "log.h"
#include "status.h"
#include "testdef.h"
#include "timeutil.h"
#include "xmalloc.h"

#define QUARANTINE_PROJECT_MAX	1024	/* bytes */
#define QUARANTINE_REASON_MAX	1024
#define QUARANTINE_BY_MAX	256
#define QUARANTINE_BRANCH_MAX	256
#define QUARANTINE_JOBS		20	/* looked at for flakiness */
#define QUARANTINE_CLEAN	20	/* clean runs that release a test */
#define QUARANTINE_THRESHOLD_MAX QUARANTINE_JOBS

static const char sql_list[] =
    "SELECT project, test, reason, added_at, auto, \"by\" FROM quarantine "
    "WHERE ?1 IS NULL OR project = ?1 ORDER BY project, test";
static const char sql_get[] =
    "SELECT project, test, reason, added_at, auto, \"by\" FROM quarantine "
    "WHERE project = ? AND test = ?";
static const char sql_add[] =
    "INSERT INTO quarantine (project, test, reason, added_at, auto, \"by\") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (project, test) DO UPDATE "
    "SET reason = coalesce(excluded.reason, reason), auto = excluded.auto, "
    "\"by\" = coalesce(excluded.\"by\", \"by\")";
static const char sql_remove[] =
    "DELETE FROM quarantine WHERE project = ? AND test = ?";
static const char sql_recent_jobs[] =
    "SELECT count(*) FROM (SELECT id FROM jobs WHERE project = ?1 AND "
    "branch = ?2 AND ended IS NOT NULL ORDER BY id DESC LIMIT ?3)";
static const char sql_flaky_in[] =
    "SELECT r.test, count(*) FROM results r WHERE r.final = 1 AND "
    "r.status = 'OK_FLAKY' AND r.job IN (SELECT id FROM jobs WHERE "
    "project = ?1 AND branch = ?2 AND ended IS NOT NULL ORDER BY id DESC "
    "LIMIT ?3) GROUP BY r.test HAVING count(*) >= ?4 ORDER BY r.test";
static const char sql_auto_held[] =
    "SELECT test, added_at FROM quarantine WHERE project = ? AND auto = 1 "
    "ORDER BY test";
static const char sql_since[] =
    "SELECT r.status, r.attempt FROM results r JOIN jobs j ON j.id = r.job "
    "WHERE j.project = ?1 AND j.branch = ?2 AND j.created > ?3 AND "
    "j.ended IS NOT NULL AND r.test = ?4 AND r.final = 1 "
    "ORDER BY r.job DESC";

static json_t *
quarantine_row(sqlite3_stmt *st)
{
	return (json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "project",
	    db_column_text(st, 0), "test", db_column_text(st, 1), "reason",
	    db_column_text(st, 2), "added_at", db_column_real(st, 3), "auto",
	    sqlite3_column_int(st, 4) != 0, "by", db_column_text(st, 5)));
}

/*
 * The string of key in o, of 1 to max bytes, into *v (NULL when absent
 * and not required): 0, or -1 after a 400.
 */
static int
quarantine_str(struct http_req *req, json_t *o, const char *key, size_t max,
    int required, const char **v)
{
	json_t *s = json_object_get(o, key);

	*v = NULL;
	if (s == NULL || json_is_null(s)) {
		if (!required)
			return (0);
		http_error(req, 400, "\"%s\" is required", key);
		return (-1);
	}
	if (!json_is_string(s) || json_string_length(s) == 0 ||
	    json_string_length(s) > max ||
	    strlen(json_string_value(s)) != json_string_length(s)) {
		http_error(req, 400, "\"%s\" must be a string of 1 to %zu "
		    "bytes", key, max);
		return (-1);
	}
	*v = json_string_value(s);
	return (0);
}

/* "project" and "test" of o: 0, or -1 after a 400. */
static int
quarantine_key(struct http_req *req, json_t *o, const char **project,
    const char **test)
{
	char err[256];

	if (quarantine_str(req, o, "project", QUARANTINE_PROJECT_MAX, 1,
	    project) == -1 ||
	    quarantine_str(req, o, "test", TESTDEF_ID_MAX, 1, test) == -1)
		return (-1);
	if (testdef_check_id(*test, err, sizeof err) == -1) {
		http_error(req, 400, "\"test\": %s", err);
		return (-1);
	}
	return (0);
}

/* The quarantine's record of test in project, or NULL. */
static json_t *
quarantine_get(struct dagzd *d, const char *project, const char *test)
{
	sqlite3_stmt *st = db_stmt(d, sql_get);
	json_t *o = NULL;

	db_bind_text(st, 1, project);
	db_bind_text(st, 2, test);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = quarantine_row(st);
	sqlite3_reset(st);
	return (o);
}

static int
quarantine_put(struct dagzd *d, const char *project, const char *test,
    const char *reason, int isauto, const char *by)
{
	sqlite3_stmt *st = db_stmt(d, sql_add);

	db_bind_text(st, 1, project);
	db_bind_text(st, 2, test);
	db_bind_text(st, 3, reason);
	sqlite3_bind_double(st, 4, time_unix());
	sqlite3_bind_int(st, 5, isauto);
	db_bind_text(st, 6, by);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("database: %s", sqlite3_errmsg(d->db));
		return (-1);
	}
	return (0);
}

/* The quarantine of project (every project's when NULL), as an array. */
static json_t *
quarantine_list(struct dagzd *d, const char *project)
{
	sqlite3_stmt *st = db_stmt(d, sql_list);
	json_t *a = json_array();

	db_bind_text(st, 1, project);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, quarantine_row(st));
	sqlite3_reset(st);
	return (a);
}

/* GET /api/v1/quarantine?project=P: the quarantined tests, by test. */
void
route_quarantine(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct evbuffer *buf;
	const char *project = http_query(a, "project");
	json_t *list, *o;
	size_t i;

	if (project != NULL && (*project == '\0' ||
	    strlen(project) > QUARANTINE_PROJECT_MAX)) {
		http_error(req, 400, "project: must be 1 to %d bytes",
		    QUARANTINE_PROJECT_MAX);
		return;
	}
	list = quarantine_list(d, project);
	buf = evbuffer_new();
	json_array_foreach(list, i, o)
		http_ndjson_add(buf, json_incref(o));
	json_decref(list);
	http_ndjson(req, buf);
}

/*
 * POST /api/v1/quarantine {"project", "test", "reason", "by"}: puts a
 * test in quarantine by hand (201), or, when it is there already, gives
 * it the new reason, if any, and makes it a manual one (200), so that it
 * is not released automatically.
 */
void
route_quarantine_add(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	const char *project, *test, *reason, *by;
	json_t *o, *old, *rec;

	if ((o = http_body_object(d, req)) == NULL)
		return;
	if (quarantine_key(req, o, &project, &test) == -1 ||
	    quarantine_str(req, o, "reason", QUARANTINE_REASON_MAX, 0,
	    &reason) == -1 ||
	    quarantine_str(req, o, "by", QUARANTINE_BY_MAX, 0, &by) == -1) {
		json_decref(o);
		return;
	}
	old = quarantine_get(d, project, test);
	if (quarantine_put(d, project, test, reason, 0, by) == -1 ||
	    (rec = quarantine_get(d, project, test)) == NULL) {
		http_error(req, 500, "cannot store the quarantine");
		json_decref(old);
		json_decref(o);
		return;
	}
	log_info("quarantine of '%s': '%s' %s%s%s", project, test,
	    old != NULL ? "kept" : "added", by != NULL ? " by " : "",
	    by != NULL ? by : "");
	http_json(req, old != NULL ? 200 : 201, rec);
	json_decref(old);
	json_decref(o);
}

/*
 * POST /api/v1/quarantine/remove {"project", "test"}: takes a test out
 * of quarantine; its record as it was, or 404 when it was not there.
 */
void
route_quarantine_remove(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	const char *project, *test;
	sqlite3_stmt *st;
	json_t *o, *old;

	if ((o = http_body_object(d, req)) == NULL)
		return;
	if (quarantine_key(req, o, &project, &test) == -1) {
		json_decref(o);
		return;
	}
	if ((old = quarantine_get(d, project, test)) == NULL) {
		http_error(req, 404, "test '%s' is not quarantined in project "
		    "'%s'", test, project);
		json_decref(o);
		return;
	}
	st = db_stmt(d, sql_remove);
	db_bind_text(st, 1, project);
	db_bind_text(st, 2, test);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("database: %s", sqlite3_errmsg(d->db));
		http_error(req, 500, "cannot store the quarantine");
		json_decref(old);
		json_decref(o);
		return;
	}
	log_info("quarantine of '%s': '%s' removed", project, test);
	http_json(req, 200, old);
	json_decref(o);
}

/*
 * Whether test, quarantined automatically at added_at, has run clean
 * (OK on its first attempt) in its latest QUARANTINE_CLEAN results on
 * branch since then; results that say nothing of it (skipped, not
 * selected) are passed over.
 */
static int
quarantine_clean(struct dagzd *d, const char *project, const char *branch,
    const char *test, double added_at)
{
	sqlite3_stmt *st = db_stmt(d, sql_since);
	enum test_status s;
	const char *status;
	int clean = 0;

	db_bind_text(st, 1, project);
	db_bind_text(st, 2, branch);
	sqlite3_bind_double(st, 3, added_at);
	db_bind_text(st, 4, test);
	while (clean < QUARANTINE_CLEAN && sqlite3_step(st) == SQLITE_ROW) {
		status = (const char *)sqlite3_column_text(st, 0);
		if (status_parse(status, &s) == -1)
			continue;
		if (s == ST_SKIPPED || s == ST_DESELECTED ||
		    s == ST_REDUNDANT)
			continue;
		if (s != ST_OK || sqlite3_column_int(st, 1) != 1)
			break;
		clean++;
	}
	sqlite3_reset(st);
	return (clean >= QUARANTINE_CLEAN);
}

/* Quarantines what is flaky on branch; its records into added. */
static int
quarantine_auto_add(struct dagzd *d, const char *project,
    const char *branch, json_int_t threshold, const char *by, json_t *added)
{
	sqlite3_stmt *st;
	json_t *found = json_array(), *f, *q = NULL;
	const char *test;
	char *reason;
	int njobs, k;
	size_t i;

	st = db_stmt(d, sql_recent_jobs);
	db_bind_text(st, 1, project);
	db_bind_text(st, 2, branch);
	sqlite3_bind_int(st, 3, QUARANTINE_JOBS);
	njobs = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	st = db_stmt(d, sql_flaky_in);
	db_bind_text(st, 1, project);
	db_bind_text(st, 2, branch);
	sqlite3_bind_int(st, 3, QUARANTINE_JOBS);
	sqlite3_bind_int64(st, 4, threshold);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(found, json_pack("{s:o, s:i}", "test",
		    db_column_text(st, 0), "flaky", sqlite3_column_int(st, 1)));
	sqlite3_reset(st);
	json_array_foreach(found, i, f) {
		test = json_string_value(json_object_get(f, "test"));
		k = json_integer_value(json_object_get(f, "flaky"));
		/* Quarantined already, by hand or not: left as it is. */
		if (test == NULL || (q = quarantine_get(d, project, test)) !=
		    NULL) {
			json_decref(q);
			continue;
		}
		xasprintf(&reason, "auto: flaky in %d of the last %d jobs on %s",
		    k, njobs, branch);
		if (quarantine_put(d, project, test, reason, 1, by) == -1) {
			free(reason);
			json_decref(found);
			return (-1);
		}
		json_array_append_new(added, json_pack("{s:s, s:i, s:i, s:s, "
		    "s:s}", "test", test, "flaky", k, "jobs", njobs, "branch",
		    branch, "reason", reason));
		log_info("quarantine of '%s': '%s' added: %s", project, test,
		    reason);
		free(reason);
	}
	json_decref(found);
	return (0);
}

/* Releases what was quarantined automatically and now runs clean. */
static int
quarantine_auto_release(struct dagzd *d, const char *project,
    const char *branch, json_t *released)
{
	sqlite3_stmt *st;
	json_t *held = json_array(), *h;
	const char *test;
	size_t i;

	st = db_stmt(d, sql_auto_held);
	db_bind_text(st, 1, project);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(held, json_pack("{s:o, s:f}", "test",
		    db_column_text(st, 0), "added_at",
		    sqlite3_column_double(st, 1)));
	sqlite3_reset(st);
	json_array_foreach(held, i, h) {
		test = json_string_value(json_object_get(h, "test"));
		if (test == NULL || !quarantine_clean(d, project, branch, test,
		    json_real_value(json_object_get(h, "added_at"))))
			continue;
		st = db_stmt(d, sql_remove);
		db_bind_text(st, 1, project);
		db_bind_text(st, 2, test);
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_warnx("database: %s", sqlite3_errmsg(d->db));
			json_decref(held);
			return (-1);
		}
		json_array_append_new(released, json_pack("{s:s, s:i, s:s}",
		    "test", test, "clean", QUARANTINE_CLEAN, "branch", branch));
		log_info("quarantine of '%s': '%s' released: %d clean runs on "
		    "%s", project, test, QUARANTINE_CLEAN, branch);
	}
	json_decref(held);
	return (0);
}

/*
 * POST /api/v1/quarantine/auto {"project", "branch", "threshold", "by"}:
 * in one transaction, quarantines (auto) each test that was OK_FLAKY in
 * at least threshold of the last QUARANTINE_JOBS finished jobs of the
 * project on branch (its main branch), and releases each test
 * quarantined automatically that ran clean in its last QUARANTINE_CLEAN
 * results there since; a manual quarantine is never released. Replies
 * {"added": [...], "released": [...], "quarantine": [the list now]}.
 */
void
route_quarantine_auto(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	const char *project, *branch, *by;
	json_t *o, *th, *added, *released;

	if ((o = http_body_object(d, req)) == NULL)
		return;
	th = json_object_get(o, "threshold");
	if (quarantine_str(req, o, "project", QUARANTINE_PROJECT_MAX, 1,
	    &project) == -1 ||
	    quarantine_str(req, o, "branch", QUARANTINE_BRANCH_MAX, 1,
	    &branch) == -1 ||
	    quarantine_str(req, o, "by", QUARANTINE_BY_MAX, 0, &by) == -1) {
		json_decref(o);
		return;
	}
	if (!json_is_integer(th) || json_integer_value(th) < 1 ||
	    json_integer_value(th) > QUARANTINE_THRESHOLD_MAX) {
		http_error(req, 400, "\"threshold\" must be an integer from 1 "
		    "to %d", QUARANTINE_THRESHOLD_MAX);
		json_decref(o);
		return;
	}
	added = json_array();
	released = json_array();
	if (db_begin(d) == -1 ||
	    quarantine_auto_add(d, project, branch, json_integer_value(th),
	    by != NULL ? by : "auto", added) == -1 ||
	    quarantine_auto_release(d, project, branch, released) == -1 ||
	    db_commit(d) == -1) {
		db_rollback(d);
		http_error(req, 500, "cannot store the quarantine");
		json_decref(added);
		json_decref(released);
		json_decref(o);
		return;
	}
	http_json(req, 200, json_pack("{s:o, s:o, s:o}", "added", added,
	    "released", released, "quarantine", quarantine_list(d, project)));
	json_decref(o);
}
