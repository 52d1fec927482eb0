/*
 * ndjson.c: NDJSON framing for dagz's processes. Reading is done with
 * evbuffer_readln so a line is only decoded once it is whole; a peer
 * that sends an overlong or malformed line is closed with a reason
 * rather than trusted further.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "log.h"
#include "ndjson.h"
#include "xmalloc.h"

struct ndjson_peer {
	struct bufferevent	*bev;
	char			*name;
	ndjson_msg_cb		 msg_cb;
	ndjson_close_cb		 close_cb;
	void			*arg;
	int			 closed;
	int			 in_cb;
	int			 free_pending;
};

static void
ndjson_close(struct ndjson_peer *p, const char *why)
{
	if (p->closed)
		return;
	p->closed = 1;
	bufferevent_disable(p->bev, EV_READ);
	if (p->close_cb != NULL)
		p->close_cb(p, why, p->arg);
}

static void	ndjson_destroy(struct ndjson_peer *);

/* Decodes and delivers every complete line in the input buffer. */
static void
ndjson_read_lines(struct ndjson_peer *p)
{
	struct evbuffer *in = bufferevent_get_input(p->bev);
	json_error_t jerr;
	json_t *msg;
	size_t n;
	char *line, why[256];

	while (!p->closed &&
	    (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		if (n == 0) {
			free(line);
			continue;
		}
		msg = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
		free(line);
		if (msg == NULL || !json_is_object(msg) ||
		    !json_is_string(json_object_get(msg, "type"))) {
			if (msg == NULL)
				snprintf(why, sizeof why, "malformed message: "
				    "%s", jerr.text);
			else
				snprintf(why, sizeof why, "malformed message: "
				    "no \"type\"");
			json_decref(msg);
			ndjson_close(p, why);
			break;
		}
		p->msg_cb(p, msg, p->arg);
		json_decref(msg);
	}
	if (!p->closed && evbuffer_get_length(in) > NDJSON_MAX_LINE)
		ndjson_close(p, "message too long");
}

/*
 * Callbacks may free their own peer; the free is deferred until the
 * outermost callback returns.
 */
static void
ndjson_read_cb(struct bufferevent *bev, void *arg)
{
	struct ndjson_peer *p = arg;

	p->in_cb++;
	ndjson_read_lines(p);
	if (--p->in_cb == 0 && p->free_pending)
		ndjson_destroy(p);
}

static void
ndjson_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ndjson_peer *p = arg;
	char why[256];

	p->in_cb++;
	if (what & BEV_EVENT_EOF) {
		/* Deliver whatever complete lines arrived before the EOF. */
		ndjson_read_lines(p);
		ndjson_close(p, "connection closed");
	} else if (what & BEV_EVENT_ERROR) {
		snprintf(why, sizeof why, "connection error: %s",
		    strerror(errno));
		ndjson_close(p, why);
	}
	if (--p->in_cb == 0 && p->free_pending)
		ndjson_destroy(p);
}

/*
 * Delivers at once every line the other side wrote before it went away,
 * without waiting for the event loop: a worker that died may have said
 * "started" just before, and that must not be lost.
 */
void
ndjson_drain(struct ndjson_peer *p)
{
	struct evbuffer *in;
	evutil_socket_t fd;

	if (p == NULL || p->closed)
		return;
	in = bufferevent_get_input(p->bev);
	if ((fd = bufferevent_getfd(p->bev)) >= 0)
		while (evbuffer_get_length(in) <= NDJSON_MAX_LINE &&
		    evbuffer_read(in, fd, -1) > 0)
			;
	p->in_cb++;
	ndjson_read_lines(p);
	if (--p->in_cb == 0 && p->free_pending)
		ndjson_destroy(p);
}

/* Takes ownership of fd. */
struct ndjson_peer *
ndjson_peer_new(struct event_base *base, int fd, const char *name,
    ndjson_msg_cb msg_cb, ndjson_close_cb close_cb, void *arg)
{
	struct bufferevent *bev;

	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("bufferevent_socket_new");
	return (ndjson_peer_new_bev(bev, name, msg_cb, close_cb, arg));
}

/*
 * Takes ownership of bev, a connected stream of any kind (a socket, TLS,
 * a relay); lines already in its input are delivered at once.
 */
struct ndjson_peer *
ndjson_peer_new_bev(struct bufferevent *bev, const char *name,
    ndjson_msg_cb msg_cb, ndjson_close_cb close_cb, void *arg)
{
	struct ndjson_peer *p;

	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(name);
	p->msg_cb = msg_cb;
	p->close_cb = close_cb;
	p->arg = arg;
	p->bev = bev;
	bufferevent_setcb(p->bev, ndjson_read_cb, NULL, ndjson_event_cb, p);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	return (p);
}

static void
ndjson_destroy(struct ndjson_peer *p)
{
	bufferevent_free(p->bev);
	free(p->name);
	free(p);
}

/* Safe to call from within the peer's own callbacks. */
void
ndjson_peer_free(struct ndjson_peer *p)
{
	if (p == NULL)
		return;
	p->closed = 1;
	if (p->in_cb > 0) {
		p->free_pending = 1;
		return;
	}
	ndjson_destroy(p);
}

char *
ndjson_encode(json_t *msg)
{
	char *s;

	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_REAL_PRECISION(15));
	if (s == NULL)
		fatalx("json_dumps");
	return (s);
}

/* Queues one message; steals msg. Returns -1 if the peer is gone. */
int
ndjson_send(struct ndjson_peer *p, json_t *msg)
{
	struct evbuffer *out;
	char *s;

	if (p == NULL || p->free_pending) {
		json_decref(msg);
		return (-1);
	}
	out = bufferevent_get_output(p->bev);
	if (evbuffer_get_length(out) > NDJSON_HIGH_WATER) {
		json_decref(msg);
		ndjson_close(p, "peer not reading");
		return (-1);
	}
	s = ndjson_encode(msg);
	json_decref(msg);
	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
	free(s);
	return (0);
}

/* Writes out everything queued, blocking; used just before exiting. */
void
ndjson_flush(struct ndjson_peer *p)
{
	struct evbuffer *out;
	struct pollfd pfd;
	int fd;

	if (p == NULL || p->free_pending)
		return;
	out = bufferevent_get_output(p->bev);
	fd = bufferevent_getfd(p->bev);
	/* The bufferevent keeps the front frozen for its own writes. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0) {
		if (evbuffer_write(out, fd) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				break;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 1000) <= 0)
				break;
		}
	}
	evbuffer_freeze(out, 1);
}

const char *
ndjson_name(struct ndjson_peer *p)
{
	return (p->name);
}

void
ndjson_set_arg(struct ndjson_peer *p, void *arg)
{
	p->arg = arg;
}

/* Hands the peer to other callbacks, from the next message on. */
void
ndjson_set_callbacks(struct ndjson_peer *p, ndjson_msg_cb msg_cb,
    ndjson_close_cb close_cb, void *arg)
{
	p->msg_cb = msg_cb;
	p->close_cb = close_cb;
	p->arg = arg;
}
