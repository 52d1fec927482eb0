/*
 * dagzd-relay.c: the relay, for vassals that cannot reach their
 * scheduler's TCP listener. Both sides open an HTTP upgrade to dagzd,
 * at the URL they use for the store anyway, so it passes wherever the
 * store does. The scheduler keeps one control stream per job (listen),
 * on which dagzd announces each vassal that comes (connect); it answers
 * each with a stream of its own (accept), and dagzd splices the two.
 * Every buffer is bounded: a side whose peer does not read is not read
 * either, so a flood waits in the sender's socket, not in dagzd.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "dagzd.h"
#include "log.h"
#include "xmalloc.h"

#define RELAY_PROTOCOL		"dagz-relay"
#define RELAY_HIGH		(1024 * 1024)	/* queued, per direction */
#define RELAY_LOW		(RELAY_HIGH / 2)
#define RELAY_ACCEPT_WITHIN	10		/* seconds */
#define RELAY_LINGER		10		/* seconds to flush a side */
#define RELAY_MAX_PENDING	256		/* vassals waiting, per job */
#define RELAY_MAX_STREAMS	4096		/* in all */
#define RELAY_ID_BYTES		16
#define RELAY_JOB_HEADER	"X-Dagz-Job-Token"
#define RELAY_KEEPALIVE		60		/* seconds idle, then probed */

enum relay_kind {
	RELAY_LISTENER,		/* a scheduler's control stream */
	RELAY_VASSAL,		/* a vassal, waiting or spliced */
	RELAY_SCHEDULER		/* a scheduler's side of one vassal */
};

struct relay_job;

struct relay_stream {
	struct relay		*relay;
	enum relay_kind		 kind;
	struct relay_job	*job;		/* a listener's or waiting vassal's */
	char			 jobshort[9];	/* for the log */
	char			 id[2 * RELAY_ID_BYTES + 1];
	struct http_upgraded	*up;
	struct bufferevent	*bev;
	struct relay_stream	*peer;		/* spliced to */
	struct event		*timer;		/* accept deadline, linger */
	size_t			 bytes;		/* read from this side */
	int			 waiting;	/* in job->pending */
	int			 accepting;	/* an accept is on its way */
	int			 lingering;	/* flushing, then closed */
	TAILQ_ENTRY(relay_stream) pending;
	TAILQ_ENTRY(relay_stream) all;
};
TAILQ_HEAD(relay_streams, relay_stream);

struct relay_job {
	RB_ENTRY(relay_job)	 entry;
	char			*job;
	struct relay_stream	*listener;
	struct relay_streams	 pending;
	unsigned int		 npending;
};
RB_HEAD(relay_jobs, relay_job);
RB_PROTOTYPE(relay_jobs, relay_job, entry, relay_job_cmp);

struct relay {
	struct dagzd		*d;
	struct relay_jobs	 jobs;
	struct relay_streams	 streams;
	unsigned int		 nstreams;
	unsigned int		 nopening;	/* 101 on its way */
};

/*
 * A stream between its route and its 101. It may outlive the relay
 * (dagzd stopping): it finds it through d.
 */
struct relay_opening {
	struct dagzd		*d;
	enum relay_kind		 kind;
	char			*job;
	char			*id;
};

static int
relay_job_cmp(struct relay_job *a, struct relay_job *b)
{
	return (strcmp(a->job, b->job));
}
RB_GENERATE(relay_jobs, relay_job, entry, relay_job_cmp);

static void	relay_stream_free(struct relay_stream *);

static struct relay *
relay_get(struct dagzd *d)
{
	struct relay *r;

	if (d->relay != NULL)
		return (d->relay);
	r = xcalloc(1, sizeof *r);
	r->d = d;
	RB_INIT(&r->jobs);
	TAILQ_INIT(&r->streams);
	d->relay = r;
	return (r);
}

/* At most this many streams, so that plain requests keep a quarter. */
static unsigned int
relay_max_streams(struct dagzd *d)
{
	unsigned int n = d->conn_limit - d->conn_limit / 4;

	return (n < RELAY_MAX_STREAMS ? n : RELAY_MAX_STREAMS);
}

static struct relay_job *
relay_job_find(struct relay *r, const char *job)
{
	struct relay_job key;

	key.job = (char *)job;
	return (RB_FIND(relay_jobs, &r->jobs, &key));
}

/* Whether list, a header's comma-separated tokens, holds token. */
static int
relay_has_token(const char *list, const char *token)
{
	size_t n = strlen(token), len;
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(p, token, n) == 0)
			return (1);
		p += strcspn(p, ",");
	}
	return (0);
}

/*
 * The checks every relay request passes, on its headers: an upgrade to
 * dagz-relay (400), a job (400) that a rendezvous published (404) and
 * its token (403), and room for one more stream (503). Returns the job,
 * or NULL once it has answered.
 */
static const char *
relay_check(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct relay *r = relay_get(d);
	sqlite3_stmt *st;
	const char *conn, *upgrade, *job, *given, *token;
	size_t n;
	int found = 0, match = 0;

	if (strcmp(req->method, "GET") != 0) {
		http_error(req, 400, "a relay stream is opened with GET");
		return (NULL);
	}
	conn = http_header(req, "Connection");
	upgrade = http_header(req, "Upgrade");
	if (conn == NULL || upgrade == NULL ||
	    !relay_has_token(conn, "upgrade") ||
	    strcasecmp(upgrade, RELAY_PROTOCOL) != 0) {
		http_error(req, 400, "a relay stream needs 'Connection: "
		    "Upgrade' and 'Upgrade: %s'", RELAY_PROTOCOL);
		return (NULL);
	}
	if ((job = http_query(a, "job")) == NULL || *job == '\0') {
		http_error(req, 400, "missing query parameter 'job'");
		return (NULL);
	}
	given = http_header(req, RELAY_JOB_HEADER);
	st = db_stmt(d, "SELECT token FROM rendezvous WHERE job = ? AND "
	    "token IS NOT NULL");
	db_bind_text(st, 1, job);
	while (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		token = (const char *)sqlite3_column_text(st, 0);
		if (given == NULL || token == NULL)
			continue;
		n = strlen(token);
		/* The token's length is no secret: it is at least 32. */
		if (strlen(given) == n && http_token_equal(given, token, n))
			match = 1;
	}
	sqlite3_reset(st);
	if (!found) {
		http_error(req, 404, "no job '%s' published by a rendezvous",
		    job);
		return (NULL);
	}
	if (given == NULL) {
		http_error(req, 403, "missing job token: send %s",
		    RELAY_JOB_HEADER);
		return (NULL);
	}
	if (!match) {
		http_error(req, 403, "wrong job token for job '%s'", job);
		return (NULL);
	}
	if (r->nstreams + r->nopening >= relay_max_streams(d)) {
		log_warnx("relay: %u streams open: refusing more",
		    r->nstreams + r->nopening);
		http_error(req, 503, "too many relay streams: try again");
		return (NULL);
	}
	return (job);
}

static void
relay_opening_free(void *arg)
{
	struct relay_opening *o = arg;
	struct relay *r = o->d->relay;
	struct relay_job *j;
	struct relay_stream *s;

	if (r != NULL)
		r->nopening--;
	/* An accept gone before its 101: its vassal cannot wait on. */
	if (r != NULL && o->kind == RELAY_SCHEDULER &&
	    (j = relay_job_find(r, o->job)) != NULL)
		TAILQ_FOREACH(s, &j->pending, pending)
			if (strcmp(s->id, o->id) == 0) {
				relay_stream_free(s);
				break;
			}
	free(o->job);
	free(o->id);
	free(o);
}

static void
relay_open(struct http_req *req, struct relay *r, enum relay_kind kind,
    const char *job, const char *id, http_upgrade_fn fn)
{
	struct relay_opening *o;

	o = xcalloc(1, sizeof *o);
	o->d = r->d;
	o->kind = kind;
	o->job = xstrdup(job);
	o->id = id != NULL ? xstrdup(id) : NULL;
	r->nopening++;
	http_upgrade(req, RELAY_PROTOCOL, fn, relay_opening_free, o);
}

/* A stream on an upgraded connection; extra, what came with its head. */
static struct relay_stream *
relay_stream_new(struct relay *r, enum relay_kind kind, const char *job,
    struct http_upgraded *up, int fd, const char *extra, size_t len)
{
	struct relay_stream *s;
	int on = 1, idle = RELAY_KEEPALIVE, cnt = 3;

	s = xcalloc(1, sizeof *s);
	s->relay = r;
	s->kind = kind;
	strlcpy(s->jobshort, job, sizeof s->jobshort);
	s->up = up;
	evutil_make_socket_nonblocking(fd);
	/*
	 * A peer whose machine died sends no FIN: keepalives find it out
	 * in a few minutes, not hours. (Not a TCP socket under TLS.)
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	}
	/* Not ours to close: the HTTP library closes it. */
	if ((s->bev = bufferevent_socket_new(r->d->base, fd, 0)) == NULL)
		fatalx("bufferevent_socket_new");
	if (len > 0)
		evbuffer_add(bufferevent_get_input(s->bev), extra, len);
	TAILQ_INSERT_TAIL(&r->streams, s, all);
	r->nstreams++;
	return (s);
}

static void
relay_stream_free(struct relay_stream *s)
{
	struct relay *r = s->relay;

	if (s->waiting) {
		TAILQ_REMOVE(&s->job->pending, s, pending);
		s->job->npending--;
	}
	if (s->peer != NULL)
		s->peer->peer = NULL;
	if (s->timer != NULL)
		event_free(s->timer);
	bufferevent_free(s->bev);
	http_upgrade_close(s->up);
	TAILQ_REMOVE(&r->streams, s, all);
	r->nstreams--;
	free(s);
}

/* A job without a listener: its waiting vassals go with it. */
static void
relay_job_free(struct relay *r, struct relay_job *j)
{
	struct relay_stream *s;

	while ((s = TAILQ_FIRST(&j->pending)) != NULL)
		relay_stream_free(s);
	RB_REMOVE(relay_jobs, &r->jobs, j);
	free(j->job);
	free(j);
}

static void
relay_announce(struct relay_stream *listener, struct relay_stream *v)
{
	char line[128];
	int n;

	n = snprintf(line, sizeof line, "{\"type\":\"relay\",\"id\":\"%s\"}\n",
	    v->id);
	bufferevent_write(listener->bev, line, n);
}

/* A listener has nothing to say: what it sends is dropped. */
static void
relay_listener_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
relay_listener_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay_stream *s = arg;
	struct relay_job *j = s->job;
	struct relay *r = s->relay;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	log_info("relay %s: the scheduler stopped listening; %u vassals "
	    "waiting closed", s->jobshort, j->npending);
	j->listener = NULL;
	relay_stream_free(s);
	relay_job_free(r, j);
}

/* Moves what src read to dst; stops reading src while dst is full. */
static void
relay_forward(struct relay_stream *src, struct relay_stream *dst)
{
	struct evbuffer *in = bufferevent_get_input(src->bev);
	struct evbuffer *out = bufferevent_get_output(dst->bev);

	src->bytes += evbuffer_get_length(in);
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) >= RELAY_HIGH)
		bufferevent_disable(src->bev, EV_READ);
}

static void
relay_linger_expired(evutil_socket_t fd, short what, void *arg)
{
	relay_stream_free(arg);
}

/* Flushes s, whose peer has gone, then closes it. */
static void
relay_linger(struct relay_stream *s)
{
	struct timeval tv = { RELAY_LINGER, 0 };

	s->lingering = 1;
	bufferevent_disable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		relay_stream_free(s);
		return;
	}
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	if (s->timer != NULL)
		event_free(s->timer);
	s->timer = evtimer_new(s->relay->d->base, relay_linger_expired, s);
	evtimer_add(s->timer, &tv);
}

static void
relay_splice_read(struct bufferevent *bev, void *arg)
{
	struct relay_stream *s = arg;

	if (s->peer != NULL)
		relay_forward(s, s->peer);
}

/* Output drained below the low mark: the peer may be read again. */
static void
relay_splice_write(struct bufferevent *bev, void *arg)
{
	struct relay_stream *s = arg;

	if (s->lingering) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			relay_stream_free(s);
		return;
	}
	if (s->peer != NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) < RELAY_HIGH)
		bufferevent_enable(s->peer->bev, EV_READ);
}

static void
relay_splice_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay_stream *s = arg, *peer = s->peer, *v, *sched;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (s->lingering) {
		relay_stream_free(s);
		return;
	}
	if (peer != NULL) {
		/* What came before the end still goes through. */
		relay_forward(s, peer);
		v = s->kind == RELAY_VASSAL ? s : peer;
		sched = s->kind == RELAY_VASSAL ? peer : s;
		log_info("relay %s %s: closed by the %s%s; %zu bytes to the "
		    "scheduler, %zu to the vassal", s->jobshort, s->id,
		    s->kind == RELAY_VASSAL ? "vassal" : "scheduler",
		    (what & BEV_EVENT_ERROR) ? " (error)" : "", v->bytes,
		    sched->bytes);
	}
	relay_stream_free(s);
	if (peer != NULL)
		relay_linger(peer);
}

static void
relay_splice(struct relay_stream *sched, struct relay_stream *v)
{
	struct relay_stream *s[2] = { sched, v };
	int i;

	sched->peer = v;
	v->peer = sched;
	strlcpy(sched->id, v->id, sizeof sched->id);
	for (i = 0; i < 2; i++) {
		bufferevent_setwatermark(s[i]->bev, EV_READ, 0, 0);
		bufferevent_setwatermark(s[i]->bev, EV_WRITE, RELAY_LOW, 0);
		bufferevent_setcb(s[i]->bev, relay_splice_read,
		    relay_splice_write, relay_splice_event, s[i]);
		bufferevent_enable(s[i]->bev, EV_READ | EV_WRITE);
	}
	/* What the vassal sent while it waited, and what came with heads. */
	relay_forward(v, sched);
	relay_forward(sched, v);
	log_info("relay %s %s: opened", sched->jobshort, sched->id);
}

static void
relay_pending_expired(evutil_socket_t fd, short what, void *arg)
{
	struct relay_stream *s = arg;

	log_info("relay %s %s: not accepted within %d s; closed",
	    s->jobshort, s->id, RELAY_ACCEPT_WITHIN);
	relay_stream_free(s);
}

/* A waiting vassal that goes before it is accepted. */
static void
relay_pending_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay_stream *s = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	log_info("relay %s %s: the vassal left before it was accepted",
	    s->jobshort, s->id);
	relay_stream_free(s);
}

static void
relay_listen_upgraded(struct dagzd *d, struct http_upgraded *up, int fd,
    const char *extra, size_t len, void *arg)
{
	struct relay_opening *o = arg;
	struct relay *r = d->relay;
	struct relay_job *j;
	struct relay_stream *s, *v;

	s = relay_stream_new(r, RELAY_LISTENER, o->job, up, fd, NULL, 0);
	if ((j = relay_job_find(r, o->job)) == NULL) {
		j = xcalloc(1, sizeof *j);
		j->job = xstrdup(o->job);
		TAILQ_INIT(&j->pending);
		RB_INSERT(relay_jobs, &r->jobs, j);
	}
	if (j->listener != NULL) {
		log_info("relay %s: a new listener replaces the old",
		    s->jobshort);
		relay_stream_free(j->listener);
	} else
		log_info("relay %s: the scheduler listens", s->jobshort);
	j->listener = s;
	s->job = j;
	bufferevent_setcb(s->bev, relay_listener_read, NULL,
	    relay_listener_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	/* Vassals announced to the old listener, again to this one. */
	TAILQ_FOREACH(v, &j->pending, pending)
		if (!v->accepting)
			relay_announce(s, v);
	relay_opening_free(o);
}

static void
relay_connect_upgraded(struct dagzd *d, struct http_upgraded *up, int fd,
    const char *extra, size_t len, void *arg)
{
	struct relay_opening *o = arg;
	struct relay *r = d->relay;
	struct relay_job *j;
	struct relay_stream *s;
	struct timeval tv = { RELAY_ACCEPT_WITHIN, 0 };
	unsigned char b[RELAY_ID_BYTES];
	size_t i;

	s = relay_stream_new(r, RELAY_VASSAL, o->job, up, fd, extra, len);
	arc4random_buf(b, sizeof b);
	for (i = 0; i < sizeof b; i++)
		snprintf(s->id + 2 * i, 3, "%02x", b[i]);
	j = relay_job_find(r, o->job);
	relay_opening_free(o);
	/* The listener may have gone, or others filled the job, since. */
	if (j == NULL || j->listener == NULL ||
	    j->npending >= RELAY_MAX_PENDING) {
		log_info("relay %s %s: no room left to wait; closed",
		    s->jobshort, s->id);
		relay_stream_free(s);
		return;
	}
	s->job = j;
	s->waiting = 1;
	TAILQ_INSERT_TAIL(&j->pending, s, pending);
	j->npending++;
	/* Held while it waits, up to a bound: then not read. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, RELAY_HIGH);
	bufferevent_setcb(s->bev, NULL, NULL, relay_pending_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	s->timer = evtimer_new(d->base, relay_pending_expired, s);
	evtimer_add(s->timer, &tv);
	log_debug("relay %s %s: a vassal waits", s->jobshort, s->id);
	relay_announce(j->listener, s);
}

static void
relay_accept_upgraded(struct dagzd *d, struct http_upgraded *up, int fd,
    const char *extra, size_t len, void *arg)
{
	struct relay_opening *o = arg;
	struct relay *r = d->relay;
	struct relay_job *j;
	struct relay_stream *s, *v = NULL;

	s = relay_stream_new(r, RELAY_SCHEDULER, o->job, up, fd, extra, len);
	if ((j = relay_job_find(r, o->job)) != NULL)
		TAILQ_FOREACH(v, &j->pending, pending)
			if (strcmp(v->id, o->id) == 0)
				break;
	if (v == NULL) {
		/* It left, or waited too long, while the 101 went out. */
		log_info("relay %s %s: the vassal left before it was "
		    "accepted", s->jobshort, o->id);
		relay_opening_free(o);
		relay_stream_free(s);
		return;
	}
	TAILQ_REMOVE(&j->pending, v, pending);
	j->npending--;
	v->waiting = 0;
	v->accepting = 0;
	v->job = NULL;
	event_free(v->timer);
	v->timer = NULL;
	relay_opening_free(o);
	relay_splice(s, v);
}

/*
 * GET /api/v1/relay/listen?job=J: the scheduler's control stream, on
 * which dagzd writes {"type":"relay","id":ID} for each vassal that
 * connects. A new one replaces the old.
 */
void
route_relay_listen(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	const char *job;

	if ((job = relay_check(d, req, a)) == NULL)
		return;
	relay_open(req, d->relay, RELAY_LISTENER, job, NULL,
	    relay_listen_upgraded);
}

/*
 * GET /api/v1/relay/connect?job=J: a vassal, held until the scheduler
 * accepts it (at most RELAY_ACCEPT_WITHIN seconds); 503 when no
 * scheduler listens.
 */
void
route_relay_connect(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct relay_job *j;
	const char *job;

	if ((job = relay_check(d, req, a)) == NULL)
		return;
	if ((j = relay_job_find(d->relay, job)) == NULL ||
	    j->listener == NULL) {
		http_error(req, 503, "no scheduler listening for job '%s'",
		    job);
		return;
	}
	if (j->npending >= RELAY_MAX_PENDING) {
		http_error(req, 503, "%d vassals already wait for job '%s': "
		    "try again", RELAY_MAX_PENDING, job);
		return;
	}
	relay_open(req, d->relay, RELAY_VASSAL, job, NULL,
	    relay_connect_upgraded);
}

/*
 * GET /api/v1/relay/accept?job=J&id=ID: the scheduler's stream for
 * vassal ID, spliced to it.
 */
void
route_relay_accept(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct relay_job *j;
	struct relay_stream *v = NULL;
	const char *job, *id;

	if ((job = relay_check(d, req, a)) == NULL)
		return;
	if ((id = http_query(a, "id")) == NULL || *id == '\0') {
		http_error(req, 400, "missing query parameter 'id'");
		return;
	}
	if ((j = relay_job_find(d->relay, job)) != NULL)
		TAILQ_FOREACH(v, &j->pending, pending)
			if (!v->accepting && strcmp(v->id, id) == 0)
				break;
	if (v == NULL) {
		http_error(req, 404, "no vassal '%s' waiting for job '%s'",
		    id, job);
		return;
	}
	v->accepting = 1;
	relay_open(req, d->relay, RELAY_SCHEDULER, job, id,
	    relay_accept_upgraded);
}

/* Closes every stream, before the HTTP library stops. */
void
relay_stop(struct dagzd *d)
{
	struct relay *r = d->relay;
	struct relay_job *j;
	struct relay_stream *s;

	if (r == NULL)
		return;
	while ((j = RB_MIN(relay_jobs, &r->jobs)) != NULL) {
		if (j->listener != NULL)
			relay_stream_free(j->listener);
		relay_job_free(r, j);
	}
	while ((s = TAILQ_FIRST(&r->streams)) != NULL)
		relay_stream_free(s);
	free(r);
	d->relay = NULL;
}
