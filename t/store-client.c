/*
 * store-client: drives libcommon's store client for t/dagzd-tls.bats.
 *
 *   store-client stream URL	store_stream_open, then a GET of
 *				/api/v1/ping on the stream: prints the reply's
 *				status line, or "error: REASON" (exit 1)
 *   store-client conn URL	one store_conn for every "GET PATH" line read
 *				on stdin, in turn: prints "STATUS BODY" or
 *				"error: REASON" for each
 *
 * A URL that names no dagzd: "error: REASON", exit 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "store.h"

struct client {
	struct event_base	*base;
	struct store_conn	*conn;
	struct evbuffer		*in;
	struct event		*ev_in;
	int			 busy;
	int			 eof;
	int			 rc;
};

static void
stream_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	char *line;

	if ((line = evbuffer_readln(bufferevent_get_input(bev), NULL,
	    EVBUFFER_EOL_CRLF)) == NULL)
		return;
	printf("%s\n", line);
	free(line);
	event_base_loopbreak(c->base);
}

static void
stream_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;
	char err[256];

	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_enable(bev, EV_READ);
		evbuffer_add_printf(bufferevent_get_output(bev),
		    "GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\n"
		    "Connection: close\r\n\r\n");
		return;
	}
	store_stream_error(bev, err, sizeof err);
	printf("error: %s\n", err);
	c->rc = 1;
	event_base_loopbreak(c->base);
}

static int
stream(struct client *c, const char *url)
{
	struct bufferevent *bev;
	char err[256];

	if ((bev = store_stream_open(c->base, url, err, sizeof err)) == NULL) {
		printf("error: %s\n", err);
		return (2);
	}
	bufferevent_setcb(bev, stream_read, NULL, stream_event, c);
	event_base_dispatch(c->base);
	bufferevent_free(bev);
	return (c->rc);
}

static void	conn_next(struct client *);

static void
conn_done(struct store_reply *r, void *arg)
{
	struct client *c = arg;

	if (r->status == 0)
		printf("error: %s\n", r->err);
	else
		printf("%d %.*s\n", r->status, (int)strcspn(r->body, "\n"),
		    r->body);
	fflush(stdout);
	c->busy = 0;
	conn_next(c);
}

/* Sends the next request read, or stops at the end of the input. */
static void
conn_next(struct client *c)
{
	char *line;

	if (c->busy)
		return;
	if ((line = evbuffer_readln(c->in, NULL, EVBUFFER_EOL_LF)) == NULL) {
		if (c->eof)
			event_base_loopbreak(c->base);
		return;
	}
	if (strncmp(line, "GET ", 4) != 0 || store_conn_request(c->conn,
	    "GET", line + 4, NULL, NULL, 0, conn_done, c) == -1) {
		printf("error: cannot request '%s'\n", line);
		fflush(stdout);
	} else
		c->busy = 1;
	free(line);
	conn_next(c);
}

static void
conn_input(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	int n;

	if ((n = evbuffer_read(c->in, fd, 4096)) <= 0) {
		if (n == -1 && errno == EINTR)
			return;
		c->eof = 1;
		event_del(c->ev_in);
	}
	conn_next(c);
}

static int
conn(struct client *c, const char *url)
{
	char err[256];

	if ((c->conn = store_conn_new(c->base, url, NULL, 5.0, err,
	    sizeof err)) == NULL) {
		printf("error: %s\n", err);
		return (2);
	}
	c->in = evbuffer_new();
	c->ev_in = event_new(c->base, STDIN_FILENO, EV_READ | EV_PERSIST,
	    conn_input, c);
	event_add(c->ev_in, NULL);
	event_base_dispatch(c->base);
	event_free(c->ev_in);
	evbuffer_free(c->in);
	store_conn_free(c->conn);
	return (0);
}

int
main(int argc, char **argv)
{
	struct client c;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: store-client stream|conn url\n");
		return (2);
	}
	memset(&c, 0, sizeof c);
	c.base = event_base_new();
	if (strcmp(argv[1], "stream") == 0)
		rc = stream(&c, argv[2]);
	else
		rc = conn(&c, argv[2]);
	event_base_free(c.base);
	return (rc);
}
