/*
 * dagzd-baselines.c: baselines kept for selection. A scheduler posts the
 * baseline it built at the end of its job (a zlib blob, stored as is)
 * and gets its ID; the next job asks for the latest of its project and
 * branch, and for the latest of main, and fetches them by ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define BASELINE_MAGIC_Z	0x78	/* a zlib stream's first byte */
#define BASELINE_KEEP		20	/* per project and branch */

static const char sql_insert[] =
    "INSERT INTO baselines (project, branch, job, created, size, z) "
    "VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_latest[] =
    "SELECT id, project, branch, job, created, size FROM baselines "
    "WHERE project = ? AND branch = ? ORDER BY id DESC LIMIT 1";
static const char sql_meta[] =
    "SELECT id, project, branch, job, created, size FROM baselines "
    "WHERE id = ?";
static const char sql_prune[] =
    "DELETE FROM baselines WHERE project = ? AND branch = ? AND id <= "
    "(SELECT id FROM baselines WHERE project = ? AND branch = ? "
    "ORDER BY id DESC LIMIT 1 OFFSET ?)";
static const char sql_blob[] = "SELECT z FROM baselines WHERE id = ?";

/* "b12" or "12": the row id, or -1. */
static long long
baseline_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL)
		return (-1);
	if (*s == 'b')
		s++;
	if (*s < '0' || *s > '9')
		return (-1);
	v = strtoll(s, &end, 10);
	return (*end == '\0' && v > 0 ? v : -1);
}

static json_t *
baseline_row(sqlite3_stmt *st)
{
	char id[32];

	snprintf(id, sizeof id, "b%lld",
	    (long long)sqlite3_column_int64(st, 0));
	return (json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "id", id,
	    "project", db_column_text(st, 1), "branch", db_column_text(st, 2),
	    "job", db_column_text(st, 3), "created", db_column_real(st, 4),
	    "size", db_column_int(st, 5)));
}

/* POST /api/v1/baselines?project=P&branch=B[&job=J]: the blob. */
void
route_baseline_create(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	const char *project = http_query(a, "project");
	const char *branch = http_query(a, "branch");
	const char *job = http_query(a, "job");
	sqlite3_stmt *st;
	char *body, id[32];
	size_t len;

	if (project == NULL || *project == '\0' || branch == NULL ||
	    *branch == '\0') {
		http_error(req, 400, "\"project\" and \"branch\" are required");
		return;
	}
	body = http_body(d, req, &len);
	if (len < 2 || (unsigned char)body[0] != BASELINE_MAGIC_Z) {
		free(body);
		http_error(req, 400, "a baseline must be a zlib stream");
		return;
	}
	st = db_stmt(d, sql_insert);
	db_bind_text(st, 1, project);
	db_bind_text(st, 2, branch);
	db_bind_text(st, 3, job);
	sqlite3_bind_double(st, 4, time_unix());
	sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
	sqlite3_bind_blob(st, 6, body, (int)len, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("database: %s", sqlite3_errmsg(d->db));
		sqlite3_reset(st);
		free(body);
		http_error(req, 500, "cannot store the baseline");
		return;
	}
	sqlite3_reset(st);
	free(body);
	snprintf(id, sizeof id, "b%lld",
	    (long long)sqlite3_last_insert_rowid(d->db));
	/* Only the latest are ever asked for; older ones are kept a while. */
	st = db_stmt(d, sql_prune);
	db_bind_text(st, 1, project);
	db_bind_text(st, 2, branch);
	db_bind_text(st, 3, project);
	db_bind_text(st, 4, branch);
	sqlite3_bind_int(st, 5, BASELINE_KEEP);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warnx("database: %s", sqlite3_errmsg(d->db));
	sqlite3_reset(st);
	http_json(req, 201, json_pack("{s:s, s:I}", "id", id, "size",
	    (json_int_t)len));
}

/* GET /api/v1/baselines?project=P&branch=B: the latest's record. */
void
route_baseline_latest(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	const char *project = http_query(a, "project");
	const char *branch = http_query(a, "branch");
	sqlite3_stmt *st;

	if (project == NULL || branch == NULL) {
		http_error(req, 400, "\"project\" and \"branch\" are required");
		return;
	}
	st = db_stmt(d, sql_latest);
	db_bind_text(st, 1, project);
	db_bind_text(st, 2, branch);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		http_error(req, 404, "no baseline for '%s' on '%s'", project,
		    branch);
		return;
	}
	http_json(req, 200, baseline_row(st));
	sqlite3_reset(st);
}

/* GET /api/v1/baselines/ID[?meta=1]: the blob, or its record. */
void
route_baseline(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	long long id = baseline_id(a->nseg > 0 ? a->seg[0] : NULL);
	const char *meta = http_query(a, "meta");
	struct evbuffer *buf;
	sqlite3_stmt *st;

	if (id == -1) {
		http_error(req, 400, "a baseline ID is b and a number");
		return;
	}
	st = db_stmt(d, meta != NULL ? sql_meta : sql_blob);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		http_error(req, 404, "no baseline 'b%lld'", id);
		return;
	}
	if (meta != NULL) {
		http_json(req, 200, baseline_row(st));
		sqlite3_reset(st);
		return;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	http_reply(req, 200, "application/octet-stream", buf);
}
