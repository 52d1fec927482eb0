/*
 * relay.c: the client of dagzd's relay. It writes the upgrade request on
 * a stream the caller made (from store_stream_open, plain or TLS),
 * reads dagzd's reply head and hands the stream back upgraded, or
 * frees it and says why. It never reads past the head of a 101: what the
 * other side sent first may come in the same read, and stays in the
 * stream's input for the caller.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include <jansson.h>

#include "relay.h"
#include "store.h"
#include "xmalloc.h"

#define RELAY_HEAD_MAX		(16 * 1024)
#define RELAY_BODY_MAX		(64 * 1024)

/* A relay_open on its way. */
struct relay_req {
	struct bufferevent	*bev;
	struct event		*timer;
	relay_cb		 cb;
	void			*arg;
	int			 status;	/* 0 until the head is in */
	char			 line[128];	/* its status line */
	long long		 body;		/* Content-Length, or -1 */
	char			 err[256];	/* a failure found early */
};

/* Hands the upgraded stream over; req is gone when cb runs. */
static void
relay_done(struct relay_req *req)
{
	struct bufferevent *bev = req->bev;
	relay_cb cb = req->cb;
	void *arg = req->arg;

	event_free(req->timer);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_set_timeouts(bev, NULL, NULL);
	free(req);
	cb(bev, NULL, arg);
}

/* Frees the stream and req, then tells cb why. */
static void
relay_fail(struct relay_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
relay_fail(struct relay_req *req, const char *fmt, ...)
{
	relay_cb cb = req->cb;
	void *arg = req->arg;
	char err[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof err, fmt, ap);
	va_end(ap);
	event_free(req->timer);
	bufferevent_free(req->bev);
	free(req);
	cb(NULL, err, arg);
}

/* The refusal: dagzd's {"error": ...} with the status, else the line. */
static void
relay_refused(struct relay_req *req)
{
	struct evbuffer *in = bufferevent_get_input(req->bev);
	size_t n = evbuffer_get_length(in);
	const char *e;
	json_t *o;
	char *body;

	if (req->body >= 0 && (size_t)req->body < n)
		n = req->body;
	if (n > RELAY_BODY_MAX)
		n = RELAY_BODY_MAX;
	body = xmalloc(n + 1);
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	o = json_loadb(body, n, 0, NULL);
	free(body);
	if ((e = json_string_value(json_object_get(o, "error"))) != NULL)
		relay_fail(req, "relay: %d %.400s", req->status, e);
	else
		relay_fail(req, "relay: unexpected reply '%s'", req->line);
	json_decref(o);
}

/* The value of header name in head (lines after the first), or NULL. */
static const char *
relay_head_get(char *head, const char *name, char *buf, size_t len)
{
	char *p = strstr(head, "\r\n"), *end, *v;
	size_t n = strlen(name);

	while (p != NULL && p[2] != '\0') {
		p += 2;
		if ((end = strstr(p, "\r\n")) == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			v = p + n + 1;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			snprintf(buf, len, "%.*s", (int)(end - v), v);
			return (buf);
		}
		p = strstr(p, "\r\n");
	}
	return (NULL);
}

/* Takes the reply head off the input: 1 when it was whole, -1 bad. */
static int
relay_read_head(struct relay_req *req)
{
	struct evbuffer *in = bufferevent_get_input(req->bev);
	struct evbuffer_ptr at;
	char *head, buf[256], *end;
	const char *v;
	size_t n;

	at = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (at.pos == -1) {
		if (evbuffer_get_length(in) > RELAY_HEAD_MAX) {
			relay_fail(req, "relay: reply head over %d bytes",
			    RELAY_HEAD_MAX);
			return (-1);
		}
		return (0);
	}
	n = at.pos + 2;
	head = xmalloc(n + 1);
	evbuffer_remove(in, head, n);
	evbuffer_drain(in, 2);
	head[n] = '\0';
	snprintf(req->line, sizeof req->line, "%.*s",
	    (int)strcspn(head, "\r\n"), head);
	if (strncmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ' ||
	    !isdigit((unsigned char)head[9]) ||
	    !isdigit((unsigned char)head[10]) ||
	    !isdigit((unsigned char)head[11])) {
		free(head);
		relay_fail(req, "relay: not an HTTP reply: '%s'", req->line);
		return (-1);
	}
	req->status = (head[9] - '0') * 100 + (head[10] - '0') * 10 +
	    (head[11] - '0');
	req->body = -1;
	if ((v = relay_head_get(head, "Content-Length", buf,
	    sizeof buf)) != NULL) {
		req->body = strtoll(v, &end, 10);
		if (*end != '\0' || req->body < 0)
			req->body = -1;
	}
	if (req->status == 101) {
		v = relay_head_get(head, "Upgrade", buf, sizeof buf);
		if (v == NULL || strcasecmp(v, "dagz-relay") != 0) {
			free(head);
			relay_fail(req, "relay: dagzd upgraded to '%s', not "
			    "dagz-relay", v != NULL ? v : "");
			return (-1);
		}
	}
	free(head);
	return (1);
}

static void
relay_on_read(struct bufferevent *bev, void *arg)
{
	struct relay_req *req = arg;
	size_t n;

	if (req->status == 0 && relay_read_head(req) != 1)
		return;
	if (req->status == 101) {
		relay_done(req);
		return;
	}
	/* A refusal: its body, to say why. */
	n = evbuffer_get_length(bufferevent_get_input(bev));
	if ((req->body >= 0 && n >= (size_t)req->body) || n > RELAY_BODY_MAX)
		relay_refused(req);
}

static void
relay_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay_req *req = arg;
	int e = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (req->status != 0 && req->status != 101) {
		relay_refused(req);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		relay_fail(req, "relay: cannot talk to dagzd: %s",
		    e != 0 ? evutil_socket_error_to_string(e) :
		    "connection failed");
	else
		relay_fail(req, "relay: dagzd closed the connection before "
		    "its reply");
}

static void
relay_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct relay_req *req = arg;

	if (req->err[0] != '\0')
		relay_fail(req, "%s", req->err);
	else
		relay_fail(req, "relay: no reply from dagzd within %d s",
		    RELAY_TIMEOUT);
}

/*
 * Opens a relay stream on bev, connected or connecting to dagzd: sends
 * GET path (such as relay_path's) with Host host, the job token and,
 * when not NULL, the store's token, and calls cb once dagzd answered, at
 * most RELAY_TIMEOUT seconds later, never before relay_open returns.
 * Takes bev: cb gets it back upgraded, or it is freed.
 */
void
relay_open(struct bufferevent *bev, const char *host, const char *path,
    const char *store_token, const char *job_token, relay_cb cb, void *arg)
{
	struct relay_req *req;
	struct timeval tv = { RELAY_TIMEOUT, 0 };
	struct evbuffer *out = bufferevent_get_output(bev);
	const char *bad = NULL;

	req = xcalloc(1, sizeof *req);
	req->bev = bev;
	req->cb = cb;
	req->arg = arg;
	req->timer = evtimer_new(bufferevent_get_base(bev), relay_on_timeout,
	    req);
	/* A line break in a header would write another header. */
	if (strpbrk(host, "\r\n") != NULL)
		bad = "the host";
	else if (strpbrk(path, "\r\n ") != NULL)
		bad = "the path";
	else if (job_token == NULL || *job_token == '\0' ||
	    strpbrk(job_token, "\r\n") != NULL)
		bad = "the job token";
	else if (store_token != NULL && strpbrk(store_token, "\r\n") != NULL)
		bad = "the store token";
	if (bad != NULL) {
		snprintf(req->err, sizeof req->err, "relay: %s is not a "
		    "valid header value", bad);
		tv.tv_sec = 0;
		evtimer_add(req->timer, &tv);
		return;
	}
	evbuffer_add_printf(out, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: Upgrade\r\nUpgrade: dagz-relay\r\n%s: %s\r\n", path,
	    host, RELAY_HEADER_TOKEN, job_token);
	if (store_token != NULL)
		evbuffer_add_printf(out, "Authorization: Bearer %s\r\n",
		    store_token);
	evbuffer_add(out, "\r\n", 2);
	bufferevent_setcb(bev, relay_on_read, NULL, relay_on_event, req);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	evtimer_add(req->timer, &tv);
}

/*
 * The URL's host and port as a Host header says them, or NULL when url
 * is not http:// or https://. A new string.
 */
char *
relay_host(const char *url)
{
	struct evhttp_uri *uri;
	const char *scheme, *host;
	char *hp = NULL;
	int port;

	if ((uri = evhttp_uri_parse(url)) == NULL)
		return (NULL);
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	if (scheme != NULL && host != NULL && *host != '\0' &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0)) {
		if ((port = evhttp_uri_get_port(uri)) == -1)
			port = strcmp(scheme, "https") == 0 ? 443 : 80;
		if (strchr(host, ':') != NULL && host[0] != '[')
			xasprintf(&hp, "[%s]:%d", host, port);
		else
			xasprintf(&hp, "%s:%d", host, port);
	}
	evhttp_uri_free(uri);
	return (hp);
}

/*
 * The request target of relay stream what ("listen", "connect",
 * "accept") for job (and id, or NULL), under url's path. A new string.
 */
char *
relay_path(const char *url, const char *what, const char *job,
    const char *id)
{
	struct evhttp_uri *uri;
	const char *p = NULL;
	char *prefix, *ejob, *eid = NULL, *path;
	size_t n;

	if ((uri = evhttp_uri_parse(url)) != NULL)
		p = evhttp_uri_get_path(uri);
	prefix = xstrdup(p != NULL ? p : "");
	if (uri != NULL)
		evhttp_uri_free(uri);
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		prefix[--n] = '\0';
	ejob = evhttp_uriencode(job, -1, 0);
	if (id != NULL)
		eid = evhttp_uriencode(id, -1, 0);
	xasprintf(&path, "%s/api/v1/relay/%s?job=%s%s%s", prefix, what,
	    ejob != NULL ? ejob : "", eid != NULL ? "&id=" : "",
	    eid != NULL ? eid : "");
	free(ejob);
	free(eid);
	free(prefix);
	return (path);
}

/*
 * A relay stream to dagzd at url: what is "listen", "connect" or
 * "accept" (of id) for job, admitted by the job's token (and the
 * store's, if any); cb as relay_open's. -1 with err when no stream could
 * even start; else cb is called, later.
 */
int
relay_dial(struct event_base *base, const char *url, const char *store_token,
    const char *what, const char *job, const char *id, const char *job_token,
    relay_cb cb, void *arg, char *err, size_t len)
{
	struct bufferevent *bev;
	char *host, *path;

	if ((bev = store_stream_open(base, url, err, len)) == NULL)
		return (-1);
	host = relay_host(url);
	path = relay_path(url, what, job, id);
	relay_open(bev, host, path, store_token, job_token, cb, arg);
	free(host);
	free(path);
	return (0);
}
