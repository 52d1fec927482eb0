/*
 * dagzd-feed.c: one feed of what dagzd stores, as it is committed (a
 * result, a job created, a job's progress, a job ended), kept in a
 * bounded ring and handed to subscribers as server-sent events by GET
 * /api/v1/events. Ingest adds events while its transaction is open and
 * publishes them once it commits, so that no subscriber sees what a
 * rollback takes back. Every subscriber has a bounded queue: one that
 * falls behind is told to reload and closed, never buffered without end.
 */
#include <sys/queue.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <microhttpd.h>

#include "dagzd.h"
#include "jobid.h"
#include "log.h"
#include "status.h"
#include "xmalloc.h"

#define FEED_SUBS_MAX		256
#define FEED_QUEUE_MAX		(1024 * 1024)	/* bytes behind, per client */
#define FEED_RING_MAX		4096		/* events kept to resume */
#define FEED_RING_BYTES		(4 * 1024 * 1024)
#define FEED_SNAPSHOT_MAX	2000		/* results sent on subscribing */
#define FEED_KEEPALIVE		15		/* seconds */
#define FEED_BLOCK		(16 * 1024)
#define FEED_LATE_TIMEOUT	2		/* seconds, once told to reload */

/* An event as it goes out: its frame is the whole text of it. */
struct feed_event {
	unsigned long long	 seq;
	long long		 job;		/* the job's row */
	int			 result;	/* only to its job's subscribers */
	int			 ended;		/* the job's last */
	char			*frame;
	size_t			 len;
};

/* An event added in a transaction not yet committed. */
struct feed_pending {
	TAILQ_ENTRY(feed_pending) entry;
	long long		 job;
	char			*kind;		/* "result", "created", "ended" */
	json_t			*data;		/* a result's, or NULL */
};
TAILQ_HEAD(feed_pendings, feed_pending);

struct feed_sub {
	TAILQ_ENTRY(feed_sub)	 entry;
	struct feed		*f;
	struct MHD_Connection	*conn;
	long long		 job;		/* 0: every job's job events */
	struct evbuffer		*q;		/* not yet read */
	int			 attached;	/* in f->subs */
	int			 suspended;
	int			 closing;	/* q is the last of it */
};
TAILQ_HEAD(feed_subs, feed_sub);

struct feed {
	struct dagzd		*d;
	struct feed_event	 ring[FEED_RING_MAX];
	unsigned int		 first;		/* the oldest's slot */
	unsigned int		 n;
	size_t			 bytes;
	unsigned long long	 seq;		/* the last given */
	struct feed_pendings	 pending;
	struct feed_subs	 subs;
	unsigned int		 nsubs;		/* live responses, attached or not */
	struct event		*ev_keepalive;
};

static const char sql_job_ended[] =
    "SELECT ended IS NOT NULL OR status NOT IN ('running', 'vanished') "
    "FROM jobs WHERE id = ?";
static const char sql_job_results[] =
    "SELECT test, attempt, final, status, span, duration, worker, node, "
    "reason FROM results WHERE job = ? ORDER BY coalesce(start, 0) + "
    "coalesce(duration, 0), test, attempt LIMIT ?";
static const char sql_retrying[] =
    "SELECT count(DISTINCT test) FROM results r WHERE job = ?1 AND "
    "final = 0 AND NOT EXISTS (SELECT 1 FROM results f WHERE f.job = ?1 "
    "AND f.test = r.test AND f.final = 1)";

static struct feed *
feed_get(struct dagzd *d)
{
	if (d->feed == NULL) {
		d->feed = xcalloc(1, sizeof *d->feed);
		d->feed->d = d;
		TAILQ_INIT(&d->feed->pending);
		TAILQ_INIT(&d->feed->subs);
	}
	return (d->feed);
}

/* The job's short id ("j3"), as its pages and dagz run name it. */
static void
feed_short(struct dagzd *d, long long job, char *buf, size_t len)
{
	json_t *o = jobs_json(d, job);

	snprintf(buf, len, "%s", o != NULL ?
	    json_string_value(json_object_get(o, "id")) : "?");
	json_decref(o);
}

/* A frame: "id: N\nevent: TYPE\ndata: JSON\n\n"; o is stolen. */
static char *
feed_frame(unsigned long long seq, const char *type, json_t *o, size_t *len)
{
	char *s, *frame;

	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_REAL_PRECISION(15));
	json_decref(o);
	if (seq > 0)
		*len = xasprintf(&frame, "id: %llu\nevent: %s\ndata: %s\n\n",
		    seq, type, s != NULL ? s : "{}");
	else
		*len = xasprintf(&frame, "event: %s\ndata: %s\n\n", type,
		    s != NULL ? s : "{}");
	free(s);
	return (frame);
}

/* Whether sub wants ev. */
static int
feed_wants(struct feed_sub *sub, struct feed_event *ev)
{
	if (sub->job == 0)
		return (!ev->result);
	return (sub->job == ev->job);
}

/* Lets sub's connection run again: it has something to send. */
static void
feed_wake(struct feed_sub *sub)
{
	if (sub->suspended && sub->conn != NULL) {
		sub->suspended = 0;
		MHD_resume_connection(sub->conn);
	}
}

static void
feed_detach(struct feed_sub *sub)
{
	if (!sub->attached)
		return;
	TAILQ_REMOVE(&sub->f->subs, sub, entry);
	sub->attached = 0;
}

/*
 * Tells sub to reload and ends it: what it has not read is dropped, so
 * a client that never reads holds no more than its queue's bound, and
 * its connection gets a short timeout to go.
 */
static void
feed_overflow(struct feed_sub *sub)
{
	static const char reset[] = "event: reset\ndata: "
	    "{\"reason\":\"behind\"}\n\n";

	evbuffer_drain(sub->q, evbuffer_get_length(sub->q));
	evbuffer_add(sub->q, reset, sizeof reset - 1);
	sub->closing = 1;
	feed_detach(sub);
	if (sub->conn != NULL)
		MHD_set_connection_option(sub->conn,
		    MHD_CONNECTION_OPTION_TIMEOUT,
		    (unsigned int)FEED_LATE_TIMEOUT);
	feed_wake(sub);
}

/* Queues ev for sub; the job's end ends a job's stream. */
static void
feed_send(struct feed_sub *sub, struct feed_event *ev)
{
	static const char end[] = "event: end\ndata: {}\n\n";

	if (sub->closing || !feed_wants(sub, ev))
		return;
	if (evbuffer_get_length(sub->q) + ev->len > FEED_QUEUE_MAX) {
		feed_overflow(sub);
		return;
	}
	evbuffer_add(sub->q, ev->frame, ev->len);
	if (sub->job != 0 && ev->ended) {
		evbuffer_add(sub->q, end, sizeof end - 1);
		sub->closing = 1;
		feed_detach(sub);
	}
	feed_wake(sub);
}

/* Adds an event to the ring, dropping the oldest past its bounds. */
static void
feed_publish_one(struct feed *f, long long job, const char *type,
    json_t *o, int result, int ended)
{
	struct feed_event *ev;
	struct feed_sub *sub, *next;

	while (f->n > 0 && (f->n == FEED_RING_MAX ||
	    f->bytes > FEED_RING_BYTES)) {
		ev = &f->ring[f->first];
		f->bytes -= ev->len;
		free(ev->frame);
		f->first = (f->first + 1) % FEED_RING_MAX;
		f->n--;
	}
	ev = &f->ring[(f->first + f->n) % FEED_RING_MAX];
	f->n++;
	ev->seq = ++f->seq;
	ev->job = job;
	ev->result = result;
	ev->ended = ended;
	ev->frame = feed_frame(ev->seq, type, o, &ev->len);
	f->bytes += ev->len;
	TAILQ_FOREACH_SAFE(sub, &f->subs, entry, next)
		feed_send(sub, ev);
}

/* A job's record as the feed gives it: as the API's, and its phase. */
static json_t *
feed_job_json(struct dagzd *d, long long job, const char *phase)
{
	sqlite3_stmt *st;
	json_t *o;

	if ((o = jobs_json(d, job)) == NULL)
		return (NULL);
	json_object_set_new(o, "event", json_string(phase));
	st = db_stmt(d, sql_retrying);
	sqlite3_bind_int64(st, 1, job);
	json_object_set_new(o, "retrying", json_integer(
	    sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0));
	return (o);
}

static void
feed_pending_add(struct dagzd *d, long long job, const char *kind,
    json_t *data)
{
	struct feed *f = feed_get(d);
	struct feed_pending *p;

	p = xcalloc(1, sizeof *p);
	p->job = job;
	p->kind = xstrdup(kind);
	p->data = data;
	TAILQ_INSERT_TAIL(&f->pending, p, entry);
}

/*
 * A result stored in the open transaction: the record as sent (not
 * stolen), whether it is the test's final attempt, and whether a retry
 * follows.
 */
void
feed_result(struct dagzd *d, long long job, json_t *rec, int final,
    int retry)
{
	static const char *const keys[] = { "span", "duration", "worker",
	    "node", "reason" };
	json_t *o, *v;
	size_t i;

	o = json_pack("{s:O,s:O,s:O,s:b,s:b}", "test",
	    json_object_get(rec, "test"), "attempt",
	    json_object_get(rec, "attempt"), "status",
	    json_object_get(rec, "status"), "final", final, "retry", retry);
	if (o == NULL)
		return;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if ((v = json_object_get(rec, keys[i])) != NULL &&
		    !json_is_null(v))
			json_object_set(o, keys[i], v);
	feed_pending_add(d, job, "result", o);
}

/* A job created, or ended, in the open transaction. */
void
feed_job(struct dagzd *d, long long job, const char *phase)
{
	feed_pending_add(d, job, phase, NULL);
}

/* Forgets what the rolled back transaction added. */
void
feed_discard(struct dagzd *d)
{
	struct feed *f = feed_get(d);
	struct feed_pending *p;

	while ((p = TAILQ_FIRST(&f->pending)) != NULL) {
		TAILQ_REMOVE(&f->pending, p, entry);
		json_decref(p->data);
		free(p->kind);
		free(p);
	}
}

/*
 * Publishes what the committed transaction added, in its order; a job
 * that had results and did not end gets a "progress" event after them,
 * for the counts of the jobs list.
 */
void
feed_publish(struct dagzd *d)
{
	struct feed *f = feed_get(d);
	struct feed_pending *p, *q;
	char sid[JOBID_SHORT_LEN];
	long long job = 0;
	json_t *o;
	int later;

	TAILQ_FOREACH(p, &f->pending, entry) {
		if (p->job != job) {
			feed_short(d, p->job, sid, sizeof sid);
			job = p->job;
		}
		if (p->data != NULL) {
			json_object_set_new(p->data, "job", json_string(sid));
			feed_publish_one(f, p->job, "result", p->data, 1, 0);
			p->data = NULL;
		} else if ((o = feed_job_json(d, p->job, p->kind)) != NULL)
			feed_publish_one(f, p->job, "job", o, 0,
			    strcmp(p->kind, "ended") == 0);
		if (strcmp(p->kind, "result") != 0)
			continue;
		/* The last result of its job in the batch, unless it ends. */
		later = 0;
		for (q = TAILQ_NEXT(p, entry); q != NULL;
		    q = TAILQ_NEXT(q, entry))
			if (q->job == p->job)
				later = 1;
		if (!later && (o = feed_job_json(d, p->job, "progress")) !=
		    NULL)
			feed_publish_one(f, p->job, "job", o, 0, 0);
	}
	feed_discard(d);
}

/* The id of the last event published, for a page to resume from. */
unsigned long long
feed_last_id(struct dagzd *d)
{
	return (feed_get(d)->seq);
}

/*
 * Replays the ring's events after since into sub: 0, or -1 when the
 * ring no longer holds them all (the client must reload).
 */
static int
feed_replay(struct feed *f, struct feed_sub *sub, unsigned long long since)
{
	struct feed_event *ev;
	unsigned int i;

	if (since > f->seq)
		return (-1);
	if (since < f->seq && (f->n == 0 || f->ring[f->first].seq > since + 1))
		return (-1);
	for (i = 0; i < f->n && sub->attached; i++) {
		ev = &f->ring[(f->first + i) % FEED_RING_MAX];
		if (ev->seq > since)
			feed_send(sub, ev);
	}
	return (0);
}

/*
 * The results stored so far of sub's job, as result events, each with
 * the last id published so that a client resuming from one gets what
 * came after.
 */
static void
feed_snapshot(struct feed *f, struct feed_sub *sub, int ended)
{
	static const char end[] = "event: end\ndata: {}\n\n";
	sqlite3_stmt *st;
	char sid[JOBID_SHORT_LEN], *frame;
	size_t len;
	json_t *o;

	feed_short(f->d, sub->job, sid, sizeof sid);
	st = db_stmt(f->d, sql_job_results);
	sqlite3_bind_int64(st, 1, sub->job);
	sqlite3_bind_int(st, 2, FEED_SNAPSHOT_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_pack("{s:s,s:o,s:o,s:b,s:o,s:b}", "job", sid,
		    "test", db_column_text(st, 0), "attempt",
		    db_column_int(st, 1), "final", sqlite3_column_int(st, 2),
		    "status", db_column_text(st, 3), "retry",
		    !sqlite3_column_int(st, 2));
		if (o == NULL)
			continue;
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(o, "span", db_column_text(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(o, "duration",
			    db_column_real(st, 5));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			json_object_set_new(o, "worker", db_column_int(st, 6));
		if (sqlite3_column_type(st, 7) != SQLITE_NULL)
			json_object_set_new(o, "node", db_column_int(st, 7));
		if (sqlite3_column_type(st, 8) != SQLITE_NULL)
			json_object_set_new(o, "reason", db_column_text(st, 8));
		frame = feed_frame(f->seq, "result", o, &len);
		evbuffer_add(sub->q, frame, len);
		free(frame);
	}
	sqlite3_reset(st);
	if (!ended)
		return;
	if ((o = feed_job_json(f->d, sub->job, "ended")) != NULL) {
		frame = feed_frame(f->seq, "job", o, &len);
		evbuffer_add(sub->q, frame, len);
		free(frame);
	}
	evbuffer_add(sub->q, end, sizeof end - 1);
	sub->closing = 1;
	feed_detach(sub);
}

/*
 * What the client reads next: what is queued, else nothing yet (the
 * connection waits, suspended, until an event or a keepalive wakes it),
 * or the end once the last is out.
 */
static ssize_t
feed_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct feed_sub *sub = arg;
	size_t n;

	if ((n = evbuffer_get_length(sub->q)) > 0)
		return (evbuffer_remove(sub->q, buf, n < max ? n : max));
	if (sub->closing || sub->conn == NULL)
		return (MHD_CONTENT_READER_END_OF_STREAM);
	if (!sub->suspended) {
		sub->suspended = 1;
		MHD_suspend_connection(sub->conn);
	}
	return (0);
}

static void
feed_sub_free(void *arg)
{
	struct feed_sub *sub = arg;

	feed_detach(sub);
	sub->f->nsubs--;
	evbuffer_free(sub->q);
	free(sub);
}

/* Every 15 s a comment to every subscriber: proxies keep it open. */
static void
feed_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct feed *f = arg;
	struct feed_sub *sub, *next;

	TAILQ_FOREACH_SAFE(sub, &f->subs, entry, next) {
		if (evbuffer_get_length(sub->q) + 32 > FEED_QUEUE_MAX) {
			feed_overflow(sub);
			continue;
		}
		evbuffer_add_printf(sub->q, ": keepalive\n\n");
		feed_wake(sub);
	}
}

/* The id to resume after: ?since= or Last-Event-ID; 0 when none. */
static int
feed_since(struct http_req *req, struct route_args *a,
    unsigned long long *since, int *given)
{
	const char *s, *errstr;
	long long n = 0;

	*given = 0;
	if ((s = http_query(a, "since")) == NULL)
		s = http_header(req, "Last-Event-ID");
	if (s == NULL)
		return (0);
	n = strtonum(s, 0, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		http_error(req, 400, "since: %s: '%s'", errstr, s);
		return (-1);
	}
	*since = n;
	*given = 1;
	return (0);
}

/*
 * GET /api/v1/events[?job=J][&since=N]: server-sent events, "result"
 * and "job" of job J then "end", or every job's "job" events; "reset"
 * when the client must reload. Open until the job ends.
 */
void
route_feed(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct feed *f = feed_get(d);
	struct MHD_Response *r;
	struct feed_sub *sub;
	sqlite3_stmt *st;
	unsigned long long since = 0;
	const char *j;
	long long job = 0;
	int given, ended = 0;
	static const char reset[] = "event: reset\ndata: "
	    "{\"reason\":\"gone\"}\n\n";

	if ((j = http_query(a, "job")) != NULL &&
	    jobs_resolve(d, j, &job) == -1) {
		http_error(req, 404, "unknown job '%s'", j);
		return;
	}
	if (feed_since(req, a, &since, &given) == -1)
		return;
	if (f->nsubs >= FEED_SUBS_MAX) {
		http_error(req, 503, "%d event streams open: try again later",
		    FEED_SUBS_MAX);
		return;
	}
	if (job != 0) {
		st = db_stmt(d, sql_job_ended);
		sqlite3_bind_int64(st, 1, job);
		ended = sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	sub = xcalloc(1, sizeof *sub);
	sub->f = f;
	sub->conn = req->conn;
	sub->job = job;
	sub->q = evbuffer_new();
	TAILQ_INSERT_TAIL(&f->subs, sub, entry);
	sub->attached = 1;
	f->nsubs++;
	evbuffer_add_printf(sub->q, "retry: 3000\n\n");
	if (given) {
		if (feed_replay(f, sub, since) == -1) {
			evbuffer_add(sub->q, reset, sizeof reset - 1);
			sub->closing = 1;
			feed_detach(sub);
		} else if (sub->attached && ended) {
			/* It ended before since: only the end is left. */
			evbuffer_add_printf(sub->q, "event: end\ndata: {}\n\n");
			sub->closing = 1;
			feed_detach(sub);
		}
	} else if (job != 0)
		feed_snapshot(f, sub, ended);
	if (f->ev_keepalive == NULL) {
		struct timeval tv = { FEED_KEEPALIVE, 0 };

		f->ev_keepalive = event_new(d->base, -1, EV_PERSIST,
		    feed_keepalive, f);
		event_add(f->ev_keepalive, &tv);
	}
	req->replied = 1;
	req->status = 200;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, FEED_BLOCK,
	    feed_read, sub, feed_sub_free);
	if (r == NULL) {
		feed_sub_free(sub);
		return;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* A stream that ends ends its connection: the slot is freed. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (req->conn == NULL) {
		/* A fuzz target: what is queued now, then the end. */
		sub->closing = 1;
		feed_detach(sub);
		MHD_destroy_response(r);
		return;
	}
	if (MHD_queue_response(req->conn, 200, r) == MHD_NO)
		log_debug("http: cannot queue an event stream");
	MHD_destroy_response(r);
}

/*
 * Before the HTTP daemons stop: every stream ends, and none is left
 * suspended (the library refuses to stop with one).
 */
void
feed_stop(struct dagzd *d)
{
	struct feed *f = d->feed;
	struct feed_sub *sub;

	if (f == NULL)
		return;
	while ((sub = TAILQ_FIRST(&f->subs)) != NULL) {
		sub->closing = 1;
		feed_detach(sub);
		feed_wake(sub);
	}
	if (f->ev_keepalive != NULL)
		event_free(f->ev_keepalive);
	f->ev_keepalive = NULL;
	feed_discard(d);
}

/* Once the HTTP daemons are stopped and every stream is freed. */
void
feed_free(struct dagzd *d)
{
	struct feed *f = d->feed;
	unsigned int i;

	if (f == NULL)
		return;
	feed_discard(d);
	for (i = 0; i < f->n; i++)
		free(f->ring[(f->first + i) % FEED_RING_MAX].frame);
	free(f);
	d->feed = NULL;
}
