/*
 * dagzd-db.c: the SQLite database. One writer (this process), WAL so
 * that a SIGKILL loses nothing that was acknowledged, and a schema
 * version in PRAGMA user_version that start-up migrates forward, one
 * step per version. Statements are prepared once and kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dagzd.h"
#include "log.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define DB_STMT_MAX	160

/* Each step takes the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 1: jobs, spans, results, logs, durations. */
	"CREATE TABLE jobs ("
	"  id INTEGER PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  day INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  created REAL NOT NULL,"
	"  started REAL,"
	"  ended REAL,"
	"  last_seen REAL NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'running',"
	"  exit INTEGER,"
	"  project TEXT,"
	"  branch TEXT,"
	"  commit_sha TEXT,"
	"  ci_key TEXT,"
	"  ci_attempt INTEGER,"
	"  rerun_of INTEGER,"
	"  tests INTEGER,"
	"  duration REAL,"
	"  meta TEXT NOT NULL DEFAULT '{}',"
	"  summary TEXT,"
	"  UNIQUE (day, seq));"
	"CREATE INDEX jobs_ci ON jobs (ci_key, id) WHERE ci_key IS NOT NULL;"
	"CREATE INDEX jobs_running ON jobs (last_seen) "
	"  WHERE status = 'running';"
	"CREATE INDEX jobs_project ON jobs (project, id);"
	"CREATE TABLE spans ("
	"  id INTEGER PRIMARY KEY,"
	"  span TEXT NOT NULL UNIQUE,"
	"  job INTEGER NOT NULL,"
	"  parent TEXT,"
	"  type TEXT NOT NULL,"
	"  name TEXT,"
	"  test TEXT,"
	"  attempt INTEGER,"
	"  start REAL,"
	"  finish REAL,"
	"  status TEXT,"
	"  attrs TEXT);"
	"CREATE INDEX spans_job ON spans (job, type);"
	"CREATE TABLE results ("
	"  job INTEGER NOT NULL,"
	"  test TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  final INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  span TEXT,"
	"  start REAL,"
	"  duration REAL,"
	"  cpu REAL,"
	"  rss INTEGER,"
	"  exit INTEGER,"
	"  signal INTEGER,"
	"  leaked INTEGER,"
	"  worker INTEGER,"
	"  reason TEXT,"
	"  PRIMARY KEY (job, test, attempt)) WITHOUT ROWID;"
	"CREATE INDEX results_test ON results (test, job);"
	"CREATE TABLE logs ("
	"  id INTEGER PRIMARY KEY,"
	"  span TEXT NOT NULL UNIQUE,"
	"  job INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  cut INTEGER NOT NULL,"
	"  z BLOB NOT NULL);"
	"CREATE TABLE durations ("
	"  project TEXT NOT NULL,"
	"  test TEXT NOT NULL,"
	"  duration REAL NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (project, test)) WITHOUT ROWID;",
	/* 2: baselines, the latest per project and branch. */
	"CREATE TABLE baselines ("
	"  id INTEGER PRIMARY KEY,"
	"  project TEXT NOT NULL,"
	"  branch TEXT NOT NULL,"
	"  job TEXT,"
	"  created REAL NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  z BLOB NOT NULL);"
	"CREATE INDEX baselines_latest ON baselines (project, branch, id);",
	/*
	 * 3: the cases an attempt reported, counted on its result (NULL:
	 * none reported); each case is a span of type "case" under the
	 * attempt's test span.
	 */
	"ALTER TABLE results ADD COLUMN cases INTEGER;"
	"ALTER TABLE results ADD COLUMN cases_failed INTEGER;"
	"ALTER TABLE results ADD COLUMN cases_skipped INTEGER;"
	"ALTER TABLE results ADD COLUMN cases_todo INTEGER;"
	"CREATE INDEX spans_parent ON spans (parent, type);",
	/*
	 * 4: the slots of a parallel CI step meet by their run key: the
	 * first is the scheduler, which publishes its job, addresses and
	 * the job's token.
	 */
	"CREATE TABLE rendezvous ("
	"  key TEXT PRIMARY KEY,"
	"  total INTEGER NOT NULL,"
	"  scheduler INTEGER NOT NULL,"
	"  job TEXT,"
	"  addresses TEXT,"
	"  token TEXT,"
	"  created REAL NOT NULL,"
	"  published REAL);",
	/*
	 * 5: a job of many nodes: the node (the CI slot) each attempt ran
	 * on, NULL in a job of one node, and why an attempt ran again when
	 * it was not a retry ("node 2 lost").
	 */
	"ALTER TABLE results ADD COLUMN node INTEGER;"
	"ALTER TABLE results ADD COLUMN rerun TEXT;"
	"CREATE INDEX results_node ON results (job, node) "
	"  WHERE node IS NOT NULL;",
	/*
	 * 6: the plan a job started from: each test's planned worker (and
	 * node), its place in that worker's queue, its estimate, and its
	 * planned start, in seconds from "at", when the plan was made.
	 */
	"CREATE TABLE plan ("
	"  job INTEGER NOT NULL,"
	"  test TEXT NOT NULL,"
	"  worker INTEGER NOT NULL,"
	"  node INTEGER,"
	"  ord INTEGER NOT NULL,"
	"  at REAL NOT NULL,"
	"  start REAL NOT NULL,"
	"  estimate REAL NOT NULL,"
	"  PRIMARY KEY (job, test)) WITHOUT ROWID;"
	"CREATE INDEX plan_start ON plan (job, start);",
	/*
	 * 7: the tests of a project in quarantine, put there by hand or
	 * automatically (auto = 1) for being flaky on the main branch, and
	 * whether an attempt's test was quarantined when it ran.
	 */
	"CREATE TABLE quarantine ("
	"  project TEXT NOT NULL,"
	"  test TEXT NOT NULL,"
	"  reason TEXT,"
	"  added_at REAL NOT NULL,"
	"  auto INTEGER NOT NULL DEFAULT 0,"
	"  \"by\" TEXT,"
	"  PRIMARY KEY (project, test)) WITHOUT ROWID;"
	"ALTER TABLE results ADD COLUMN quarantined INTEGER;",
	/*
	 * 8: the DESELECTED cases of an attempt, counted from the index
	 * alone and listed without reading each of its cases (a test may
	 * have thousands, of which a few ran).
	 */
	"CREATE INDEX spans_status ON spans (parent, type, status);",
};

static struct {
	const char	*sql;
	sqlite3_stmt	*stmt;
} stmts[DB_STMT_MAX];
static int nstmts;

int
db_exec(struct dagzd *d, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(d->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("database: %s", msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

int
db_begin(struct dagzd *d)
{
	return (db_exec(d, "BEGIN IMMEDIATE"));
}

/*
 * Statements left on a row would hold a read snapshot through the
 * commit and keep the automatic checkpoint from ever emptying the WAL.
 */
int
db_commit(struct dagzd *d)
{
	db_reset_all(d);
	return (db_exec(d, "COMMIT"));
}

void
db_rollback(struct dagzd *d)
{
	if (!sqlite3_get_autocommit(d->db))
		db_exec(d, "ROLLBACK");
}

static int
db_version(struct dagzd *d)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/* Brings the schema up to date, each step in its own transaction. */
static int
db_migrate(struct dagzd *d)
{
	int v, want = sizeof migrations / sizeof migrations[0];
	char pragma[64];

	if ((v = db_version(d)) == -1)
		return (-1);
	if (v > want) {
		log_warnx("'%s' has schema version %d; this dagzd knows up to "
		    "%d: use a newer dagzd", d->dbpath, v, want);
		return (-1);
	}
	for (; v < want; v++) {
		if (db_begin(d) == -1)
			return (-1);
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
		    v + 1);
		if (db_exec(d, migrations[v]) == -1 ||
		    db_exec(d, pragma) == -1) {
			db_rollback(d);
			return (-1);
		}
		if (db_commit(d) == -1)
			return (-1);
		log_info("database schema migrated to version %d", v + 1);
	}
	return (0);
}

int
db_open(struct dagzd *d)
{
	xasprintf(&d->dbpath, "%s/store.db", d->home);
	if (sqlite3_open_v2(d->dbpath, &d->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("cannot open '%s': %s", d->dbpath,
		    d->db != NULL ? sqlite3_errmsg(d->db) : "out of memory");
		return (-1);
	}
	sqlite3_busy_timeout(d->db, 5000);
	/*
	 * WAL with synchronous=NORMAL: a committed transaction survives the
	 * daemon being killed; only a power loss may take the last ones.
	 * Checkpoints every 16 MiB of WAL rather than 4: ingest writes the
	 * same index pages over and over, and copies each back once.
	 */
	if (db_exec(d, "PRAGMA journal_mode = WAL") == -1 ||
	    db_exec(d, "PRAGMA synchronous = NORMAL") == -1 ||
	    db_exec(d, "PRAGMA foreign_keys = OFF") == -1 ||
	    db_exec(d, "PRAGMA cache_size = -16384") == -1 ||
	    db_exec(d, "PRAGMA wal_autocheckpoint = 4096") == -1)
		return (-1);
	return (db_migrate(d));
}

void
db_close(struct dagzd *d)
{
	int i;

	for (i = 0; i < nstmts; i++)
		sqlite3_finalize(stmts[i].stmt);
	nstmts = 0;
	if (d->db != NULL) {
		db_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)");
		sqlite3_close(d->db);
	}
	d->db = NULL;
}

/*
 * The prepared statement for sql, reset and ready to bind. sql must be a
 * string constant: statements are cached by its address.
 */
sqlite3_stmt *
db_stmt(struct dagzd *d, const char *sql)
{
	sqlite3_stmt *st;
	int i;

	for (i = 0; i < nstmts; i++)
		if (stmts[i].sql == sql) {
			sqlite3_reset(stmts[i].stmt);
			sqlite3_clear_bindings(stmts[i].stmt);
			return (stmts[i].stmt);
		}
	if (sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK)
		fatalx("database: cannot prepare \"%s\": %s", sql,
		    sqlite3_errmsg(d->db));
	if (nstmts == DB_STMT_MAX)
		fatalx("database: too many statements");
	stmts[nstmts].sql = sql;
	stmts[nstmts++].stmt = st;
	return (st);
}

/* Ends every statement's read, so that checkpoints can complete. */
void
db_reset_all(struct dagzd *d)
{
	int i;

	for (i = 0; i < nstmts; i++)
		sqlite3_reset(stmts[i].stmt);
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

void
db_bind_real(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_number(v))
		sqlite3_bind_double(st, i, json_number_value(v));
	else
		sqlite3_bind_null(st, i);
}

void
db_bind_int(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_integer(v))
		sqlite3_bind_int64(st, i, json_integer_value(v));
	else if (json_is_true(v))
		sqlite3_bind_int(st, i, 1);
	else if (json_is_false(v))
		sqlite3_bind_int(st, i, 0);
	else
		sqlite3_bind_null(st, i);
}

/* A column holding JSON text, decoded; null when empty or bad. */
json_t *
db_column_json(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	json_t *o;

	if (s == NULL || (o = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL)
		return (json_null());
	return (o);
}

/* A text column as a JSON string: whatever bytes were stored, mended. */
json_t *
db_column_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	json_t *o;
	char *fixed;

	if (s == NULL)
		return (json_null());
	if ((o = json_string(s)) != NULL)
		return (o);
	fixed = utf8_fix(s, (size_t)sqlite3_column_bytes(st, i));
	o = json_string(fixed);
	free(fixed);
	return (o);
}

json_t *
db_column_real(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return (json_null());
	return (json_real(sqlite3_column_double(st, i)));
}

json_t *
db_column_int(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return (json_null());
	return (json_integer(sqlite3_column_int64(st, i)));
}

static const char sql_sweep[] =
    "UPDATE jobs SET status = 'vanished' "
    "WHERE status = 'running' AND last_seen < ?";

/* A job whose scheduler stopped talking is no longer "running". */
void
db_sweep(struct dagzd *d)
{
	sqlite3_stmt *st = db_stmt(d, sql_sweep);
	int n;

	sqlite3_bind_double(st, 1, time_unix() - d->stale_after);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("database: %s", sqlite3_errmsg(d->db));
		return;
	}
	if ((n = sqlite3_changes(d->db)) > 0)
		log_info("%d job%s marked vanished: no word from the scheduler "
		    "for %.0fs", n, n == 1 ? "" : "s", d->stale_after);
}
