/*
 * unit-relay.c: unit tests in TAP of the relay's client: the Host and
 * request target made from a URL, and relay_open against canned replies
 * on a socket pair: the request it writes, what it leaves after a 101,
 * and the one line it makes of a refusal.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "relay.h"

#include "unit.h"

struct outcome {
	int	 done;
	int	 upgraded;
	char	 err[512];
	char	 rest[256];	/* what the stream held after the head */
};

static void
on_open(struct bufferevent *bev, const char *err, void *arg)
{
	struct outcome *o = arg;
	struct evbuffer *in;
	size_t n;

	o->done = 1;
	if (bev == NULL) {
		snprintf(o->err, sizeof o->err, "%s", err);
		return;
	}
	o->upgraded = 1;
	in = bufferevent_get_input(bev);
	n = evbuffer_get_length(in);
	if (n >= sizeof o->rest)
		n = sizeof o->rest - 1;
	evbuffer_remove(in, o->rest, n);
	o->rest[n] = '\0';
	bufferevent_free(bev);
}

/*
 * Runs relay_open on one end of a socket pair whose other end answers
 * reply (then closes when close_after), into *o; the request it wrote
 * goes to req.
 */
static void
run_open(const char *reply, int close_after, const char *job_token,
    struct outcome *o, char *req, size_t reqlen)
{
	struct event_base *base = event_base_new();
	struct bufferevent *bev;
	int sv[2];
	ssize_t n;

	memset(o, 0, sizeof *o);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	evutil_make_socket_nonblocking(sv[0]);
	bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	relay_open(bev, "store.example:29111", "/api/v1/relay/connect?job=J",
	    "s3cret", job_token, on_open, o);
	event_base_loop(base, EVLOOP_NONBLOCK);
	n = recv(sv[1], req, reqlen - 1, MSG_DONTWAIT);
	req[n > 0 ? n : 0] = '\0';
	/* The reply and what follows it in one write: one read takes both. */
	if (send(sv[1], reply, strlen(reply), MSG_NOSIGNAL) !=
	    (ssize_t)strlen(reply) && !o->done)
		abort();
	if (close_after)
		shutdown(sv[1], SHUT_WR);
	while (!o->done)
		event_base_loop(base, EVLOOP_ONCE);
	close(sv[1]);
	event_base_free(base);
}

static void
test_open(void)
{
	struct outcome o;
	char req[1024];

	run_open("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
	    "upgrade:  dagz-relay \r\n\r\n{\"type\":\"relay\",\"id\":\"a\"}\n",
	    0, "t0k3n", &o, req, sizeof req);
	ok(o.upgraded, "101: upgraded");
	is_str(o.rest, "{\"type\":\"relay\",\"id\":\"a\"}\n",
	    "101: the first line, in the same read, is left in the input");
	is_str(req, "GET /api/v1/relay/connect?job=J HTTP/1.1\r\n"
	    "Host: store.example:29111\r\nConnection: Upgrade\r\n"
	    "Upgrade: dagz-relay\r\nX-Dagz-Job-Token: t0k3n\r\n"
	    "Authorization: Bearer s3cret\r\n\r\n", "the request");

	run_open("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 47\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"error\":\"no scheduler listening for job 'J'\"}\n     ",
	    0, "t0k3n", &o, req, sizeof req);
	is_str(o.err, "relay: 503 no scheduler listening for job 'J'",
	    "503: dagzd's error, with the status");

	run_open("HTTP/1.1 502 Bad Gateway\r\n\r\n<html>", 1, "t0k3n", &o,
	    req, sizeof req);
	is_str(o.err, "relay: unexpected reply 'HTTP/1.1 502 Bad Gateway'",
	    "a proxy's page: its status line");

	run_open("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "\r\n", 0, "t0k3n", &o, req, sizeof req);
	is_str(o.err, "relay: dagzd upgraded to 'websocket', not dagz-relay",
	    "101 to another protocol");

	run_open("HTTP/1.1 10", 1, "t0k3n", &o, req, sizeof req);
	is_str(o.err, "relay: dagzd closed the connection before its reply",
	    "closed mid-head");

	run_open("SSH-2.0-OpenSSH\r\n\r\n", 0, "t0k3n", &o, req, sizeof req);
	is_str(o.err, "relay: not an HTTP reply: 'SSH-2.0-OpenSSH'",
	    "not HTTP");

	run_open("", 0, "t0k\r\nX-Evil: 1", &o, req, sizeof req);
	is_str(o.err, "relay: the job token is not a valid header value",
	    "a line break in a header value");
	is_str(req, "", "nothing was sent");
}

static void
host_is(const char *url, const char *want)
{
	char *got = relay_host(url);

	is_str(got != NULL ? got : "(null)", want, "relay_host '%s'", url);
	free(got);
}

static void
path_is(const char *url, const char *what, const char *job, const char *id,
    const char *want)
{
	char *got = relay_path(url, what, job, id);

	is_str(got, want, "relay_path '%s' %s", url, what);
	free(got);
}

int
main(void)
{
	host_is("http://127.0.0.1:29111", "127.0.0.1:29111");
	host_is("http://[::1]:8080/", "[::1]:8080");
	host_is("https://store.example/dagz", "store.example:443");
	host_is("http://store.example", "store.example:80");
	host_is("ftp://store.example", "(null)");
	host_is("not a url", "(null)");
	path_is("http://127.0.0.1:1", "listen", "6b4e", NULL,
	    "/api/v1/relay/listen?job=6b4e");
	path_is("https://h/dagz/", "accept", "6b4e", "00ff",
	    "/dagz/api/v1/relay/accept?job=6b4e&id=00ff");
	path_is("http://h", "connect", "a&b c", NULL,
	    "/api/v1/relay/connect?job=a%26b%20c");
	test_open();
	return (tap_done());
}
