/*
 * store.c: talking to dagzd over HTTP with libevent's evhttp client, or
 * over HTTPS with an OpenSSL bufferevent under it (tls.c). One
 * connection per client, kept alive; libevent queues requests on it and
 * reconnects when the daemon went away, so a restarted dagzd is picked up
 * by the next request.
 */
#include <sys/queue.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <jansson.h>

#include "store.h"
#include "tls.h"
#include "xmalloc.h"

struct store_req;
TAILQ_HEAD(store_reqs, store_req);

struct store_conn {
	struct event_base	*base;
	struct store_reqs	 reqs;		/* in flight */
	struct evhttp_connection *evcon;
	char			*host;		/* for the Host header */
	char			*prefix;	/* the URL's path */
	char			*token;
	int			 tls;		/* https:// */
};

/* A dagzd URL, taken apart. */
struct store_addr {
	int	 tls;		/* https:// */
	char	*name;		/* the host as the URL names it, no brackets */
	char	*connect;	/* where to connect: localhost is 127.0.0.1 */
	int	 port;
	char	*prefix;	/* the path, without a trailing '/' */
};

/* One request in flight: what its callbacks need. */
struct store_req {
	struct store_conn	*conn;
	store_reply_cb		 cb;
	void			*arg;
	int			 error;	/* an evhttp_request_error, or -1 */
	TAILQ_ENTRY(store_req)	 entry;
};

/* $DAGZ_HOME, else ~/.dagz. */
char *
store_home(void)
{
	const char *h = getenv("DAGZ_HOME");
	struct passwd *pw;
	char *path;

	if (h != NULL && *h != '\0')
		return (xstrdup(h));
	if ((h = getenv("HOME")) == NULL || *h == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			h = "/tmp";
		else
			h = pw->pw_dir;
	}
	xasprintf(&path, "%s/.dagz", h);
	return (path);
}

/* Where dagzd is: DAGZ_URL, the local url file, or the default. */
char *
store_url(void)
{
	const char *u = getenv("DAGZ_URL");
	char *home, *path, line[1024];
	FILE *f;
	size_t n;

	if (u != NULL && *u != '\0') {
		path = xstrdup(u);
		n = strlen(path);
		while (n > 0 && path[n - 1] == '/')
			path[--n] = '\0';
		return (path);
	}
	home = store_home();
	xasprintf(&path, "%s/local.env/url", home);
	free(home);
	f = fopen(path, "re");
	free(path);
	if (f != NULL) {
		if (fgets(line, sizeof line, f) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (strncmp(line, "http://", 7) == 0 ||
			    strncmp(line, "https://", 8) == 0) {
				fclose(f);
				return (xstrdup(line));
			}
		}
		fclose(f);
	}
	return (xstrdup(STORE_DEFAULT_URL));
}

char *
store_token(void)
{
	const char *t = getenv("DAGZ_TOKEN");

	return (t != NULL && *t != '\0' ? xstrdup(t) : NULL);
}

/* True when url names this machine's loopback. */
int
store_url_is_local(const char *url)
{
	struct evhttp_uri *uri;
	const char *host;
	int local = 0;

	if ((uri = evhttp_uri_parse(url)) == NULL)
		return (0);
	if ((host = evhttp_uri_get_host(uri)) != NULL)
		local = strcmp(host, "localhost") == 0 ||
		    strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
		    strcmp(host, "[::1]") == 0;
	evhttp_uri_free(uri);
	return (local);
}

/*
 * True when "zb daemon up" could start the dagzd url names: on this
 * machine, over plain HTTP (one that serves TLS has a certificate to be
 * started with).
 */
int
store_url_startable(const char *url)
{
	return (strncmp(url, "http://", 7) == 0 && store_url_is_local(url));
}

static void
store_addr_clear(struct store_addr *a)
{
	free(a->name);
	free(a->connect);
	free(a->prefix);
}

/* Takes url apart: 0, or -1 with err set when it names no dagzd. */
static int
store_addr_parse(const char *url, struct store_addr *a, char *err,
    size_t errlen)
{
	struct evhttp_uri *uri;
	const char *host, *path, *scheme;
	size_t n;

	memset(a, 0, sizeof *a);
	if ((uri = evhttp_uri_parse(url)) == NULL ||
	    (scheme = evhttp_uri_get_scheme(uri)) == NULL ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    (host = evhttp_uri_get_host(uri)) == NULL || *host == '\0') {
		snprintf(err, errlen, "invalid dagzd URL '%s': expected "
		    "http://HOST:PORT or https://HOST:PORT", url);
		if (uri != NULL)
			evhttp_uri_free(uri);
		return (-1);
	}
	a->tls = strcmp(scheme, "https") == 0;
	if ((a->port = evhttp_uri_get_port(uri)) == -1)
		a->port = a->tls ? 443 : 80;
	n = strlen(host);
	if (host[0] == '[' && n > 2 && host[n - 1] == ']')
		a->name = xstrndup(host + 1, n - 2);
	else
		a->name = xstrdup(host);
	/* localhost may resolve to ::1 first; dagzd always has 127.0.0.1. */
	a->connect = xstrdup(strcmp(a->name, "localhost") == 0 ? "127.0.0.1" :
	    a->name);
	path = evhttp_uri_get_path(uri);
	a->prefix = xstrdup(path != NULL ? path : "");
	n = strlen(a->prefix);
	while (n > 0 && a->prefix[n - 1] == '/')
		a->prefix[--n] = '\0';
	evhttp_uri_free(uri);
	return (0);
}

/*
 * Connects (lazily: nothing happens before the first request) to the
 * dagzd at url, http:// or https://. timeout bounds each request, in
 * seconds, the TLS handshake included.
 */
struct store_conn *
store_conn_new(struct event_base *base, const char *url, const char *token,
    double timeout, char *err, size_t errlen)
{
	struct store_conn *c;
	struct store_addr a;
	struct bufferevent *bev;
	struct timeval tv;
	const char *host;

	if (store_addr_parse(url, &a, err, errlen) == -1)
		return (NULL);
	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->tls = a.tls;
	TAILQ_INIT(&c->reqs);
	/* Over TLS, the name the certificate is checked against. */
	host = a.tls ? a.name : a.connect;
	if (strchr(host, ':') != NULL)
		xasprintf(&c->host, "[%s]:%d", host, a.port);
	else
		xasprintf(&c->host, "%s:%d", host, a.port);
	c->prefix = a.prefix;
	a.prefix = NULL;
	c->token = token != NULL ? xstrdup(token) : NULL;
	if (a.tls) {
		if ((bev = tls_bufferevent_new(base, a.name,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, err,
		    errlen)) == NULL) {
			store_addr_clear(&a);
			store_conn_free(c);
			return (NULL);
		}
		/* evhttp frees it with the connection. */
		c->evcon = evhttp_connection_base_bufferevent_new(base, NULL,
		    bev, a.connect, a.port);
	} else
		c->evcon = evhttp_connection_base_new(base, NULL, a.connect,
		    a.port);
	store_addr_clear(&a);
	if (c->evcon == NULL) {
		snprintf(err, errlen, "cannot connect to '%s'", url);
		store_conn_free(c);
		return (NULL);
	}
	tv.tv_sec = (long)timeout;
	tv.tv_usec = (long)((timeout - tv.tv_sec) * 1e6);
	evhttp_connection_set_timeout_tv(c->evcon, &tv);
	evhttp_connection_set_retries(c->evcon, 0);
	return (c);
}

/* Requests still in flight are dropped; their callbacks never run. */
void
store_conn_free(struct store_conn *c)
{
	struct store_req *sr;

	if (c == NULL)
		return;
	if (c->evcon != NULL)
		evhttp_connection_free(c->evcon);
	while ((sr = TAILQ_FIRST(&c->reqs)) != NULL) {
		TAILQ_REMOVE(&c->reqs, sr, entry);
		free(sr);
	}
	free(c->host);
	free(c->prefix);
	free(c->token);
	free(c);
}

static const char *
store_error_text(int e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return ("timed out");
	case EVREQ_HTTP_EOF:
		return ("connection closed");
	case EVREQ_HTTP_INVALID_HEADER:
		return ("invalid reply");
	case EVREQ_HTTP_BUFFER_ERROR:
		return ("connection reset");
	case EVREQ_HTTP_REQUEST_CANCEL:
		return ("cancelled");
	case EVREQ_HTTP_DATA_TOO_LONG:
		return ("reply too long");
	default:
		/* libevent reports a refused connect with no error code. */
		return ("connection failed");
	}
}

static void
store_req_error(enum evhttp_request_error e, void *arg)
{
	struct store_req *sr = arg;

	sr->error = e;
}

static void
store_req_done(struct evhttp_request *req, void *arg)
{
	struct store_req *sr = arg;
	struct store_reply r;
	struct evbuffer *in;
	size_t n;

	TAILQ_REMOVE(&sr->conn->reqs, sr, entry);
	memset(&r, 0, sizeof r);
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		if (!sr->conn->tls || tls_failure(
		    evhttp_connection_get_bufferevent(sr->conn->evcon), r.err,
		    sizeof r.err) == 0)
			snprintf(r.err, sizeof r.err, "%s",
			    store_error_text(sr->error));
		r.body = xstrdup("");
	} else {
		r.status = evhttp_request_get_response_code(req);
		in = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(in);
		r.body = xmalloc(n + 1);
		evbuffer_remove(in, r.body, n);
		r.body[n] = '\0';
		r.len = n;
	}
	sr->cb(&r, sr->arg);
	store_reply_clear(&r);
	free(sr);
}

/*
 * Sends a request: method "GET" or "POST", path under the URL's path
 * (such as "/api/v1/jobs"), an optional body. cb gets the reply, or a
 * status 0 when none came. Returns -1 if the request could not be made.
 */
int
store_conn_request(struct store_conn *c, const char *method, const char *path,
    const char *ctype, const void *body, size_t len, store_reply_cb cb,
    void *arg)
{
	struct evhttp_request *req;
	struct evkeyvalq *h;
	struct store_req *sr;
	char *full, *auth;
	enum evhttp_cmd_type cmd;

	cmd = strcmp(method, "POST") == 0 ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
	sr = xcalloc(1, sizeof *sr);
	sr->conn = c;
	sr->cb = cb;
	sr->arg = arg;
	sr->error = -1;
	if ((req = evhttp_request_new(store_req_done, sr)) == NULL) {
		free(sr);
		return (-1);
	}
	evhttp_request_set_error_cb(req, store_req_error);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", c->host);
	evhttp_add_header(h, "Accept", "application/json");
	if (c->token != NULL) {
		xasprintf(&auth, "Bearer %s", c->token);
		evhttp_add_header(h, "Authorization", auth);
		free(auth);
	}
	if (body != NULL) {
		evhttp_add_header(h, "Content-Type",
		    ctype != NULL ? ctype : "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	}
	xasprintf(&full, "%s%s", c->prefix, path);
	TAILQ_INSERT_TAIL(&c->reqs, sr, entry);
	if (evhttp_make_request(c->evcon, req, cmd, full) == -1) {
		/* libevent has freed req; its callback will not run. */
		TAILQ_REMOVE(&c->reqs, sr, entry);
		free(full);
		free(sr);
		return (-1);
	}
	free(full);
	return (0);
}

/*
 * A stream to the host and port of url, for a protocol of the caller's
 * own (the relay): a socket for http://, TLS verified as store_conn's
 * for https://. The connection is under way when this returns; the
 * caller sets its callbacks and gets BEV_EVENT_CONNECTED, or an error
 * that store_stream_error explains. NULL, with err set, for a URL that
 * names no dagzd or a host that does not resolve.
 */
struct bufferevent *
store_stream_open(struct event_base *base, const char *url, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res;
	struct bufferevent *bev;
	struct store_addr a;
	char serv[16];
	int rc;

	if (store_addr_parse(url, &a, err, errlen) == -1)
		return (NULL);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%d", a.port);
	/* Resolved here: libevent reports a failed lookup before any callback. */
	if ((rc = getaddrinfo(a.connect, serv, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: cannot resolve '%s': %s", url,
		    a.connect, gai_strerror(rc));
		store_addr_clear(&a);
		return (NULL);
	}
	if (a.tls)
		bev = tls_bufferevent_new(base, a.name, BEV_OPT_CLOSE_ON_FREE,
		    err, errlen);
	else if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		snprintf(err, errlen, "%s: bufferevent_socket_new failed", url);
	if (bev != NULL && bufferevent_socket_connect(bev, res->ai_addr,
	    (int)res->ai_addrlen) == -1) {
		snprintf(err, errlen, "%s: cannot connect: %s", url,
		    strerror(errno));
		bufferevent_free(bev);
		bev = NULL;
	}
	freeaddrinfo(res);
	store_addr_clear(&a);
	return (bev);
}

/*
 * Why the stream bev of store_stream_open failed, into err: the
 * certificate's verification, the TLS handshake, or the socket's error.
 * Call it from the event callback that reported the error.
 */
void
store_stream_error(struct bufferevent *bev, char *err, size_t errlen)
{
	int e = EVUTIL_SOCKET_ERROR();

	if (tls_failure(bev, err, errlen))
		return;
	if (e != 0)
		snprintf(err, errlen, "%s", evutil_socket_error_to_string(e));
	else
		snprintf(err, errlen, "connection closed");
}

struct store_sync {
	struct store_reply	*reply;
	struct event_base	*base;
};

static void
store_sync_done(struct store_reply *r, void *arg)
{
	struct store_sync *sy = arg;

	*sy->reply = *r;
	sy->reply->body = r->body;
	r->body = NULL;
	event_base_loopbreak(sy->base);
}

/*
 * One request, waited for at most timeout seconds. Returns 0 when a
 * reply came (of any status), -1 with r->err set when none did.
 */
int
store_call(const char *url, const char *token, const char *method,
    const char *path, const char *ctype, const void *body, size_t len,
    double timeout, struct store_reply *r)
{
	struct store_sync sy;
	struct store_conn *c;

	memset(r, 0, sizeof *r);
	if ((sy.base = event_base_new()) == NULL) {
		snprintf(r->err, sizeof r->err, "event_base_new failed");
		return (-1);
	}
	sy.reply = r;
	if ((c = store_conn_new(sy.base, url, token, timeout, r->err,
	    sizeof r->err)) == NULL) {
		event_base_free(sy.base);
		return (-1);
	}
	if (store_conn_request(c, method, path, ctype, body, len,
	    store_sync_done, &sy) == -1) {
		snprintf(r->err, sizeof r->err, "cannot make a request");
		store_conn_free(c);
		event_base_free(sy.base);
		return (-1);
	}
	event_base_dispatch(sy.base);
	store_conn_free(c);
	event_base_free(sy.base);
	if (r->body == NULL)
		r->body = xstrdup("");
	return (r->status == 0 ? -1 : 0);
}

void
store_reply_clear(struct store_reply *r)
{
	free(r->body);
	r->body = NULL;
}

/*
 * The message of an error reply ({"error": "..."}), or the status line
 * when the body says nothing. A new string.
 */
char *
store_reply_error(const struct store_reply *r)
{
	json_t *o;
	const char *e;
	char *msg;

	if (r->status == 0)
		return (xstrdup(r->err));
	o = json_loads(r->body != NULL ? r->body : "", 0, NULL);
	if ((e = json_string_value(json_object_get(o, "error"))) != NULL)
		msg = xstrdup(e);
	else
		xasprintf(&msg, "HTTP status %d", r->status);
	json_decref(o);
	return (msg);
}
