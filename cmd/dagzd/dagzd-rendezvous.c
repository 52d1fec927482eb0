/*
 * dagzd-rendezvous.c: where the slots of one parallel CI step meet.
 * Each slot asks with the run key its slots share (cienv_slot); the
 * first to ask becomes the job's scheduler, decided in one transaction,
 * and later publishes the job, the addresses it listens on and the
 * job's token; the others are vassals, told to ask again until that is
 * published, then given it. A slot that asks once that job is over is a
 * CI retry of the step: it is told what to run again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dagzd.h"
#include "jobid.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define RDV_KEY_MAX	512
#define RDV_NODES_MAX	100000

static const char sql_find[] =
    "SELECT total, scheduler, job, addresses, token FROM rendezvous "
    "WHERE key = ?";
static const char sql_claim[] =
    "INSERT INTO rendezvous (key, total, scheduler, created) "
    "VALUES (?, ?, ?, ?)";
static const char sql_publish[] =
    "UPDATE rendezvous SET job = ?, addresses = ?, token = ?, "
    "published = ? WHERE key = ?";

/* "key", "node" and "total" of o; -1 after a 400. */
static int
rdv_slot(struct http_req *req, json_t *o, const char **key,
    json_int_t *node, json_int_t *total)
{
	json_t *k = json_object_get(o, "key"), *n = json_object_get(o, "node");
	json_t *t = json_object_get(o, "total");

	if (!json_is_string(k) || json_string_length(k) == 0 ||
	    json_string_length(k) > RDV_KEY_MAX) {
		http_error(req, 400, "\"key\" must be a string of 1 to %d "
		    "bytes", RDV_KEY_MAX);
		return (-1);
	}
	*key = json_string_value(k);
	if (!json_is_integer(n) || json_integer_value(n) < 0 ||
	    json_integer_value(n) >= RDV_NODES_MAX) {
		http_error(req, 400, "\"node\" must be an integer from 0 to "
		    "%d", RDV_NODES_MAX - 1);
		return (-1);
	}
	*node = json_integer_value(n);
	if (total == NULL)
		return (0);
	if (!json_is_integer(t) || json_integer_value(t) <= *node ||
	    json_integer_value(t) > RDV_NODES_MAX) {
		http_error(req, 400, "\"total\" must be an integer above "
		    "\"node\", at most %d", RDV_NODES_MAX);
		return (-1);
	}
	*total = json_integer_value(t);
	return (0);
}

/*
 * The reply to slot node of a key whose row st holds: a retry of the
 * job it published once that job is over (a CI retry of the step, of
 * one slot or all), else its role in the job.
 */
static json_t *
rdv_reply(struct dagzd *d, sqlite3_stmt *st, const char *key,
    json_int_t node)
{
	json_t *reply, *retry;
	json_int_t total, sched;

	total = sqlite3_column_int64(st, 0);
	sched = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
		sqlite3_reset(st);
		if (sched == node)
			return (json_pack("{s:s, s:I}", "role", "scheduler",
			    "nodes", total));
		return (json_pack("{s:s, s:I, s:I, s:b}", "role", "vassal",
		    "scheduler", sched, "nodes", total, "ready", 0));
	}
	reply = json_pack("{s:s, s:I, s:I, s:b, s:o, s:o, s:o}", "role",
	    "vassal", "scheduler", sched, "nodes", total, "ready", 1, "job",
	    db_column_text(st, 2), "addresses", db_column_json(st, 3),
	    "token", db_column_text(st, 4));
	sqlite3_reset(st);
	retry = jobs_retry(d, json_string_value(json_object_get(reply, "job")),
	    node, sched == node);
	if (retry != NULL) {
		json_decref(reply);
		log_info("rendezvous '%s': node %lld retries job %s (%s)", key,
		    (long long)node, json_string_value(json_object_get(retry,
		    "of")), json_string_value(json_object_get(retry, "mode")));
		reply = json_pack("{s:s}", "role", "retry");
		json_object_update(reply, retry);
		json_decref(retry);
		return (reply);
	}
	if (sched == node) {
		json_decref(reply);
		return (json_pack("{s:s, s:I}", "role", "scheduler", "nodes",
		    total));
	}
	return (reply);
}

/*
 * POST /api/v1/rendezvous {"key", "node", "total"}: {"role":
 * "scheduler"} to the first slot of key to ask (and to it again), else
 * {"role": "vassal", "scheduler": N, "ready": false} until the
 * scheduler has published, then with "job", "addresses" and "token";
 * once that job is over, {"role": "retry", ...} (jobs_retry) to any
 * slot, each time it asks.
 */
void
route_rendezvous(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	sqlite3_stmt *st;
	json_t *o, *reply;
	const char *key;
	json_int_t node, total;
	int rc;

	(void)a;
	if ((o = http_body_object(d, req)) == NULL)
		return;
	if (rdv_slot(req, o, &key, &node, &total) == -1) {
		json_decref(o);
		return;
	}
	if (db_begin(d) == -1) {
		json_decref(o);
		http_error(req, 503, "database busy");
		return;
	}
	st = db_stmt(d, sql_find);
	db_bind_text(st, 1, key);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		sqlite3_reset(st);
		st = db_stmt(d, sql_claim);
		db_bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, total);
		sqlite3_bind_int64(st, 3, node);
		sqlite3_bind_double(st, 4, time_unix());
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE || db_commit(d) == -1) {
			db_rollback(d);
			json_decref(o);
			http_error(req, 500, "cannot claim the rendezvous");
			return;
		}
		log_info("rendezvous '%s': node %lld of %lld schedules", key,
		    (long long)node, (long long)total);
		http_json(req, 200, json_pack("{s:s, s:I}", "role",
		    "scheduler", "nodes", total));
		json_decref(o);
		return;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		db_rollback(d);
		json_decref(o);
		http_error(req, 500, "cannot read the rendezvous");
		return;
	}
	reply = rdv_reply(d, st, key, node);
	db_rollback(d);
	json_decref(o);
	http_json(req, 200, reply);
}

/*
 * POST /api/v1/rendezvous/publish {"key", "node", "job", "addresses",
 * "token"}: the scheduler of key says where its vassals find it.
 */
void
route_rendezvous_publish(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	sqlite3_stmt *st;
	json_t *o, *addrs, *v;
	const char *key, *job, *token;
	json_int_t node;
	char *addrtext;
	size_t i;
	int rc;

	(void)a;
	if ((o = http_body_object(d, req)) == NULL)
		return;
	if (rdv_slot(req, o, &key, &node, NULL) == -1)
		goto out;
	job = json_string_value(json_object_get(o, "job"));
	token = json_string_value(json_object_get(o, "token"));
	addrs = json_object_get(o, "addresses");
	if (job == NULL || !jobid_is_uuid(job)) {
		http_error(req, 400, "\"job\" must be a job UUID");
		goto out;
	}
	if (token == NULL || strlen(token) < 32 || strlen(token) > 256) {
		http_error(req, 400, "\"token\" must be a string of 32 to "
		    "256 bytes");
		goto out;
	}
	if (!json_is_array(addrs) || json_array_size(addrs) == 0 ||
	    json_array_size(addrs) > 64) {
		http_error(req, 400, "\"addresses\" must be an array of 1 to "
		    "64 strings");
		goto out;
	}
	json_array_foreach(addrs, i, v)
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 256) {
			http_error(req, 400, "\"addresses\" must be an array "
			    "of 1 to 64 strings");
			goto out;
		}
	st = db_stmt(d, sql_find);
	db_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		http_error(req, 404, "no rendezvous '%s'", key);
		goto out;
	}
	if (sqlite3_column_int64(st, 1) != node) {
		sqlite3_reset(st);
		http_error(req, 409, "node %lld is not the scheduler of '%s'",
		    (long long)node, key);
		goto out;
	}
	sqlite3_reset(st);
	addrtext = json_dumps(addrs, JSON_COMPACT);
	st = db_stmt(d, sql_publish);
	db_bind_text(st, 1, job);
	db_bind_text(st, 2, addrtext);
	db_bind_text(st, 3, token);
	sqlite3_bind_double(st, 4, time_unix());
	db_bind_text(st, 5, key);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(addrtext);
	if (rc != SQLITE_DONE) {
		http_error(req, 500, "cannot publish the rendezvous");
		goto out;
	}
	/* The token is the job's secret: never in the log. */
	log_info("rendezvous '%s': job %s published", key, job);
	http_json(req, 200, json_pack("{s:s}", "job", job));
out:
	json_decref(o);
}
