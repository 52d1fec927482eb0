/*
 * dagzd-http.c: the HTTP side of dagzd, on GNU libmicrohttpd run inside
 * dagzd's libevent loop: listening, connection and memory limits, the
 * checks of Host, Origin and the token on the headers before any body
 * byte is read, the table of routes, and replies. Every error of the API
 * is a JSON object {"error": "..."} with a 4xx or 5xx status (the
 * dashboard's pages answer theirs as pages); a bad request never takes
 * the daemon down.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <microhttpd.h>

#include "dagzd.h"
#include "log.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define HTTP_CONN_MEMORY	(64 * 1024)	/* headers and buffers */
#define HTTP_CONN_TIMEOUT	60		/* seconds idle */
#define HTTP_FD_RESERVE		32		/* for the database, logs */
#define HTTP_CONN_MAX		1024
#define HTTP_BACKLOG		64
#define HTTP_STREAM_BLOCK	(64 * 1024)
/* The most of a body too large that is read and dropped for its 413. */
#define HTTP_DRAIN_MAX(d)	((d)->max_request * 8 < 16 * 1024 * 1024 ? \
				    16 * 1024 * 1024 : (d)->max_request * 8)

/* A connection, tracked so that idle ones can make room for others. */
struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct MHD_Connection	*conn;
	struct sockaddr_storage	 addr;
	int			 fd;
	int			 busy;		/* inside a request */
	int			 evicted;
};

typedef void	(*route_fn)(struct dagzd *, struct http_req *,
		    struct route_args *);

static void	route_ping(struct dagzd *, struct http_req *,
		    struct route_args *);
static void	route_shutdown(struct dagzd *, struct http_req *,
		    struct route_args *);

/* The API: a '*' in a pattern matches one path segment. */
static const struct route {
	const char		*method;
	const char		*pattern;
	route_fn		 fn;
} routes[] = {
	{ "GET", "/api/v1/ping", route_ping },
	{ "POST", "/api/v1/shutdown", route_shutdown },
	{ "GET", "/api/v1/jobs", route_jobs },
	{ "POST", "/api/v1/jobs", route_job_create },
	{ "GET", "/api/v1/jobs/*", route_job },
	{ "POST", "/api/v1/jobs/*/events", route_events },
	{ "POST", "/api/v1/jobs/*/heartbeat", route_heartbeat },
	{ "GET", "/api/v1/jobs/*/tests", route_tests },
	{ "GET", "/api/v1/jobs/*/cases", route_cases },
	{ "GET", "/api/v1/jobs/*/spans", route_spans },
	{ "GET", "/api/v1/jobs/*/logs", route_logs },
	{ "GET", "/api/v1/jobs/*/plan", route_plan },
	{ "GET", "/api/v1/spans/*/context", route_span_context },
	{ "GET", "/api/v1/flaky", route_flaky },
	{ "GET", "/api/v1/quarantine", route_quarantine },
	{ "POST", "/api/v1/quarantine", route_quarantine_add },
	{ "POST", "/api/v1/quarantine/remove", route_quarantine_remove },
	{ "POST", "/api/v1/quarantine/auto", route_quarantine_auto },
	{ "POST", "/api/v1/baselines", route_baseline_create },
	{ "GET", "/api/v1/baselines", route_baseline_latest },
	{ "GET", "/api/v1/baselines/*", route_baseline },
	{ "POST", "/api/v1/rendezvous", route_rendezvous },
	{ "POST", "/api/v1/rendezvous/publish", route_rendezvous_publish },
	{ "GET", "/api/v1/relay/listen", route_relay_listen },
	{ "GET", "/api/v1/relay/connect", route_relay_connect },
	{ "GET", "/api/v1/relay/accept", route_relay_accept },
	/* The dashboard's pages (dagzd-web.c). */
	{ "GET", "/", route_jobs_page },
	{ "GET", "/jobs", route_jobs_page },
	{ "GET", "/jobs/*", route_job_page },
	{ "GET", "/api/v1/events", route_feed },
	{ "GET", "/api/v1/spans/*/bundle", route_span_bundle },
	{ "GET", "/tests/**", route_test_page },
	{ "GET", "/flaky", route_flaky_page },
	{ "GET", "/static/*", route_static },
	{ "GET", "/static/*/*", route_static },
	{ "GET", "/login", route_login_page },
	{ "POST", "/login", route_login },
	{ "POST", "/logout", route_logout },
};
#define NROUTES	(sizeof routes / sizeof routes[0])

static void	http_schedule(struct dagzd *);
static size_t	http_unescape(void *, struct MHD_Connection *, char *);

/*
 * Logs at most one line a second for each kind of trouble (a flood of
 * connections must not flood the log), saying how many were held back.
 */
static void
http_log_limited(int kind, const char *fmt, ...)
{
	static time_t last[4];
	static unsigned long held[4];
	va_list ap;
	char *msg;
	time_t now = time(NULL);

	if (now == last[kind]) {
		held[kind]++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg != NULL) {
		msg[strcspn(msg, "\n")] = '\0';
		if (held[kind] > 0)
			log_warnx("%s (and %lu more in the last second)", msg,
			    held[kind]);
		else
			log_warnx("%s", msg);
	}
	free(msg);
	last[kind] = now;
	held[kind] = 0;
}

static void
http_mhd_log(void *arg, const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	http_log_limited(0, "http: %s", msg);
	free(msg);
}

/*
 * Sends reply r, or without a connection (a fuzz target) notes its
 * status; r is freed once sent.
 */
static void
http_send(struct http_req *req, int code, struct MHD_Response *r)
{
	req->status = code;
	if (req->conn != NULL &&
	    MHD_queue_response(req->conn, code, r) == MHD_NO)
		log_debug("http: cannot queue a %d reply", code);
	MHD_destroy_response(r);
}

/*
 * Queues a reply of len bytes at data (freed here), with the headers
 * hdrs (name, value, ..., NULL) when not NULL.
 */
static void
http_queue_headers(struct http_req *req, int code, const char *ctype,
    char *data, size_t len, const char *allow, const char *const *hdrs)
{
	struct MHD_Response *r;

	if (req->replied) {
		free(data);
		return;
	}
	req->replied = 1;
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(data);
		return;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		MHD_add_response_header(r, hdrs[0], hdrs[1]);
	http_send(req, code, r);
}

static void
http_queue(struct http_req *req, int code, const char *ctype, char *data,
    size_t len, const char *allow)
{
	http_queue_headers(req, code, ctype, data, len, allow, NULL);
}

/* o (not stolen) as one line of JSON, or NULL when it cannot be built. */
static char *
http_encode(json_t *o)
{
	if (o == NULL)
		return (NULL);
	return (json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_REAL_PRECISION(15)));
}

static void
http_json_allow(struct http_req *req, int code, json_t *o, const char *allow)
{
	char *s, *line;

	if ((s = http_encode(o)) == NULL) {
		log_warnx("http: cannot build the reply to '%s %s'",
		    req->method, req->path);
		code = 500;
		s = xstrdup("{\"error\":\"cannot build the reply\"}");
	}
	json_decref(o);
	xasprintf(&line, "%s\n", s);
	free(s);
	http_queue(req, code, "application/json", line, strlen(line), allow);
}

/* Replies with o (stolen) as one JSON object; a NULL o is a 500. */
void
http_json(struct http_req *req, int code, json_t *o)
{
	http_json_allow(req, code, o, NULL);
}

static void
http_verror(struct http_req *req, int code, const char *allow,
    const char *fmt, va_list ap)
{
	char *msg, *fixed;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	/* Paths, queries and bodies carry any bytes; JSON wants UTF-8. */
	fixed = utf8_fixs(msg != NULL ? msg : "error");
	http_json_allow(req, code, json_pack("{s:s}", "error", fixed), allow);
	free(fixed);
	free(msg);
}

void
http_error(struct http_req *req, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_verror(req, code, NULL, fmt, ap);
	va_end(ap);
}

static void
http_error_allow(struct http_req *req, int code, const char *allow,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_verror(req, code, allow, fmt, ap);
	va_end(ap);
}

/* Adds o (stolen) as a line of an NDJSON reply. */
void
http_ndjson_add(struct evbuffer *buf, json_t *o)
{
	char *s;

	if ((s = http_encode(o)) == NULL) {
		log_warnx("http: a record of a reply cannot be built; left out");
		json_decref(o);
		return;
	}
	json_decref(o);
	evbuffer_add(buf, s, strlen(s));
	evbuffer_add(buf, "\n", 1);
	free(s);
}

/*
 * Replies with code, ctype and buf (freed here), and the headers hdrs:
 * name, value, ..., NULL.
 */
void
http_reply_headers(struct http_req *req, int code, const char *ctype,
    struct evbuffer *buf, const char *const *hdrs)
{
	size_t len = evbuffer_get_length(buf);
	char *data;

	data = xmalloc(len + 1);
	evbuffer_remove(buf, data, len);
	evbuffer_free(buf);
	http_queue_headers(req, code, ctype, data, len, NULL, hdrs);
}

/* Replies with code, ctype and buf (freed here). */
void
http_reply(struct http_req *req, int code, const char *ctype,
    struct evbuffer *buf)
{
	http_reply_headers(req, code, ctype, buf, NULL);
}

/* Replies 200 with buf (freed here) as NDJSON. */
void
http_ndjson(struct http_req *req, struct evbuffer *buf)
{
	http_reply(req, 200, "application/x-ndjson", buf);
}

struct http_stream {
	http_fill_fn	 fill;
	void		(*done)(void *);
	void		*arg;
};

static ssize_t
http_stream_read(void *arg, uint64_t pos, char *buf, size_t max)
{
	struct http_stream *s = arg;
	ssize_t n;

	n = s->fill(s->arg, buf, max);
	if (n < 0)
		return (MHD_CONTENT_READER_END_WITH_ERROR);
	if (n == 0)
		return (MHD_CONTENT_READER_END_OF_STREAM);
	return (n);
}

static void
http_stream_free(void *arg)
{
	struct http_stream *s = arg;

	if (s->done != NULL)
		s->done(s->arg);
	free(s);
}

/*
 * Replies with what fill writes as the client reads, in blocks, so that
 * a large reply never sits whole in memory. arg is done's to free.
 */
void
http_stream(struct http_req *req, int code, const char *ctype,
    http_fill_fn fill, void (*done)(void *), void *arg)
{
	struct MHD_Response *r;
	struct http_stream *s;
	static char buf[HTTP_STREAM_BLOCK];
	uint64_t pos;
	ssize_t n;

	s = xcalloc(1, sizeof *s);
	s->fill = fill;
	s->done = done;
	s->arg = arg;
	if (req->replied) {
		http_stream_free(s);
		return;
	}
	req->replied = 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
	    HTTP_STREAM_BLOCK, http_stream_read, s, http_stream_free);
	if (r == NULL) {
		http_stream_free(s);
		return;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (req->conn == NULL) {
		/* Read out as a client would, to the end. */
		for (pos = 0; (n = http_stream_read(s, pos, buf,
		    sizeof buf)) > 0; pos += n)
			;
	}
	http_send(req, code, r);
}

/* A connection handed over after a 101: the library's handle of it. */
struct http_upgraded {
	struct dagzd			*d;
	struct MHD_UpgradeResponseHandle *urh;
};

/* An upgrade on its way: what to call once the 101 is sent. */
struct http_upgrade {
	struct dagzd		*d;
	http_upgrade_fn		 fn;
	void			(*free)(void *);
	void			*arg;
};

static void
http_upgrade_free(struct http_upgrade *up)
{
	if (up == NULL)
		return;
	if (up->free != NULL)
		up->free(up->arg);
	free(up);
}

static void
http_upgraded(void *cls, struct MHD_Connection *conn, void *con_cls,
    const char *extra, size_t len, MHD_socket fd,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct http_upgrade *up = cls;
	struct http_req *req = con_cls;
	struct http_upgraded *u;

	if (req != NULL)
		req->upgrade = NULL;
	u = xcalloc(1, sizeof *u);
	u->d = up->d;
	u->urh = urh;
	up->fn(up->d, u, fd, extra, len, up->arg);
	free(up);
}

/*
 * Replies 101 Switching Protocols to protocol: once it is sent, fn gets
 * the connection (its socket to read and write, never to close, and any
 * bytes read past the request's head) with arg, and answers for it
 * until it calls http_upgrade_close. When the connection goes before
 * that, free gets arg instead.
 */
void
http_upgrade(struct http_req *req, const char *protocol, http_upgrade_fn fn,
    void (*freefn)(void *), void *arg)
{
	struct MHD_Response *r;
	struct http_upgrade *up;

	up = xcalloc(1, sizeof *up);
	up->d = req->d;
	up->fn = fn;
	up->free = freefn;
	up->arg = arg;
	if (req->replied || req->conn == NULL) {
		/* Without a connection (a fuzz target), only the status. */
		if (!req->replied)
			req->status = 101;
		req->replied = 1;
		http_upgrade_free(up);
		return;
	}
	if ((r = MHD_create_response_for_upgrade(http_upgraded, up)) == NULL) {
		http_upgrade_free(up);
		http_error(req, 500, "cannot upgrade the connection");
		return;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, protocol);
	if (MHD_queue_response(req->conn, 101, r) == MHD_NO) {
		MHD_destroy_response(r);
		http_upgrade_free(up);
		http_error(req, 400, "cannot upgrade the connection: HTTP/1.1 "
		    "is required");
		return;
	}
	MHD_destroy_response(r);
	req->status = 101;
	req->replied = 1;
	req->upgrade = up;
}

/*
 * Gives an upgraded connection back to be closed; the library closes
 * it on its next turn, which is made to come at once.
 */
void
http_upgrade_close(struct http_upgraded *u)
{
	if (u == NULL)
		return;
	MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE);
	/* Not the timer: http_schedule would take it back. */
	if (u->d->ev_mhd_kick != NULL)
		event_active(u->d->ev_mhd_kick, EV_TIMEOUT, 0);
	free(u);
}

/* The request's body as a NUL-terminated string (a new allocation). */
char *
http_body(struct dagzd *d, struct http_req *req, size_t *len)
{
	char *body;

	body = xmalloc(req->len + 1);
	if (req->len > 0)
		memcpy(body, req->body, req->len);
	body[req->len] = '\0';
	*len = req->len;
	return (body);
}

/* The body as a JSON object (a new reference), or NULL after a 400. */
json_t *
http_body_object(struct dagzd *d, struct http_req *req)
{
	json_error_t jerr;
	json_t *o;
	char *body;
	size_t len;

	body = http_body(d, req, &len);
	o = json_loadb(body, len, 0, &jerr);
	free(body);
	if (!json_is_object(o)) {
		json_decref(o);
		http_error(req, 400, "the body must be a JSON object");
		return (NULL);
	}
	return (o);
}

/* The value of header name, or NULL. */
const char *
http_header(struct http_req *req, const char *name)
{
	if (req->conn == NULL)
		return (NULL);
	return (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name));
}

const char *
http_query(struct route_args *a, const char *key)
{
	int i;

	for (i = 0; i < a->nquery; i++)
		if (strcmp(a->query[i].key, key) == 0)
			return (a->query[i].value);
	return (NULL);
}

/*
 * The query's key as a whole number from min to max, into *v (left as
 * it is when the key is absent): 0, or -1 once it has answered 400.
 */
int
http_query_num(struct http_req *req, struct route_args *a,
    const char *key, long long min, long long max, long long *v)
{
	const char *s, *errstr;
	long long n;

	if ((s = http_query(a, key)) == NULL)
		return (0);
	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		http_error(req, 400, "%s: %s: '%s'", key, errstr, s);
		return (-1);
	}
	*v = n;
	return (0);
}

/*
 * The query's key as seconds since the epoch, into *t: 1, 0 when the
 * key is absent, or -1 once it has answered 400.
 */
int
http_query_time(struct http_req *req, struct route_args *a,
    const char *key, double *t)
{
	const char *s;
	char *end;

	if ((s = http_query(a, key)) == NULL)
		return (0);
	*t = strtod(s, &end);
	if (*s == '\0' || *end != '\0') {
		http_error(req, 400, "%s: expected seconds since the epoch, "
		    "not '%s'", key, s);
		return (-1);
	}
	return (1);
}

static void
route_ping(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	http_json(req, 200, json_pack("{s:s,s:I,s:i,s:s,s:s,s:f}", "dagzd",
	    PACKAGE_VERSION, "pid", (json_int_t)getpid(), "api", 1,
	    "url", d->url != NULL ? d->url : "", "store", d->dbpath,
	    "uptime", time_unix() - d->started));
}

static void
route_shutdown(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	struct timeval tv = { 0, 100000 };

	log_info("shutting down on request");
	http_json(req, 200, json_pack("{s:b}", "ok", 1));
	/* Later, so that the reply goes out first. */
	event_base_loopexit(d->base, &tv);
}

/*
 * Matches path against pattern, capturing the '*' segments; a final
 * "**" captures the rest of the path, slashes and all (a test id).
 */
static int
route_match(const char *pattern, const char *path, struct route_args *a)
{
	const char *p = pattern, *s = path, *end;

	a->nseg = 0;
	while (*p != '\0') {
		if (*p == '*') {
			if (p[1] == '*')
				end = s + strlen(s);
			else
				end = strchrnul(s, '/');
			if (end == s || a->nseg == 4)
				return (0);
			a->seg[a->nseg] = xstrndup(s, end - s);
			a->nseg++;
			s = end;
			p += p[1] == '*' ? 2 : 1;
			continue;
		}
		if (*p++ != *s++)
			return (0);
	}
	return (*s == '\0');
}

static void
route_args_clear(struct route_args *a)
{
	int i;

	for (i = 0; i < a->nseg; i++)
		free(a->seg[i]);
	a->nseg = 0;
}

static void
route_query_clear(struct route_args *a)
{
	int i;

	/* nquery counts on past those kept. */
	for (i = 0; i < a->nquery && i < DAGZD_MAX_QUERY; i++) {
		free(a->query[i].key);
		free(a->query[i].value);
	}
	a->nquery = 0;
}

/* Copies the query's parameters; past DAGZD_MAX_QUERY, counts them. */
static enum MHD_Result
route_query_add(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct route_args *a = arg;

	if (a->nquery == DAGZD_MAX_QUERY) {
		a->nquery++;
		return (MHD_NO);
	}
	a->query[a->nquery].key = xstrdup(key);
	a->query[a->nquery].value = xstrdup(value != NULL ? value : "");
	a->nquery++;
	return (MHD_YES);
}

/* Compares in time that does not depend on where the bytes differ. */
int
http_token_equal(const char *a, const char *b, size_t n)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return (diff == 0);
}

static int
http_authorized(struct dagzd *d, struct http_req *req)
{
	const char *h;
	size_t n;

	if (d->token == NULL)
		return (1);
	h = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return (0);
	h += 7;
	n = strlen(d->token);
	return (strlen(h) == n && http_token_equal(h, d->token, n));
}

/* "host", "host:port", "[v6]" or "[v6]:port" without the port, into buf. */
static int
http_host_name(const char *hostport, char *buf, size_t len)
{
	const char *end;
	size_t n;

	if (hostport[0] == '[') {
		if ((end = strchr(hostport, ']')) == NULL ||
		    (end[1] != '\0' && end[1] != ':'))
			return (-1);
		hostport++;
	} else if ((end = strchr(hostport, ':')) == NULL)
		end = hostport + strlen(hostport);
	n = end - hostport;
	if (n == 0 || n >= len)
		return (-1);
	memcpy(buf, hostport, n);
	buf[n] = '\0';
	if (*end == ']')
		end++;
	if (*end == ':' && strspn(end + 1, "0123456789") != strlen(end + 1))
		return (-1);
	return (0);
}

/* Whether Host names this machine: localhost or a loopback address. */
static int
http_host_is_loopback(const char *hostport)
{
	struct in_addr a4;
	struct in6_addr a6;
	char host[256];

	if (http_host_name(hostport, host, sizeof host) == -1)
		return (0);
	if (strcasecmp(host, "localhost") == 0)
		return (1);
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	if (hostport[0] == '[' && inet_pton(AF_INET6, host, &a6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&a6));
	return (0);
}

/* Whether hostport names --public-url's host (its port optional). */
static int
http_host_is_public(struct dagzd *d, const char *hostport)
{
	char a[256], b[256];

	if (d->public_host == NULL)
		return (0);
	if (strcasecmp(hostport, d->public_host) == 0)
		return (1);
	return (http_host_name(hostport, a, sizeof a) == 0 &&
	    http_host_name(d->public_host, b, sizeof b) == 0 &&
	    strcasecmp(a, b) == 0);
}

static int
http_changes_state(const char *m)
{
	return (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 &&
	    strcmp(m, "OPTIONS") != 0);
}

/*
 * Host, Origin and the token, on the headers alone: 0, or -1 once it
 * has answered. A web page the user opens must not drive a loopback
 * dagzd: through DNS rebinding its requests carry a foreign Host, and
 * its cross-site POSTs a foreign Origin.
 */
static int
http_check_headers(struct dagzd *d, struct http_req *req)
{
	const char *host, *origin, *p;

	host = http_header(req, MHD_HTTP_HEADER_HOST);
	if (host != NULL && (d->token == NULL || d->public_host != NULL) &&
	    !http_host_is_loopback(host) && !http_host_is_public(d, host)) {
		http_error(req, 403, "host '%s' is not this dagzd's: %s", host,
		    d->public_host != NULL ? "see --public-url" :
		    "use a loopback name or address");
		return (-1);
	}
	origin = http_header(req, "Origin");
	if (origin != NULL && http_changes_state(req->method)) {
		p = strstr(origin, "://");
		if (p == NULL || host == NULL || strcasecmp(p + 3, host) != 0) {
			http_error(req, 403, "origin '%s' may not change this "
			    "dagzd", origin);
			return (-1);
		}
	}
	if (!http_authorized(d, req) && !web_admits(d, req)) {
		if (web_is_page(req))
			web_login_form(d, req, 401);
		else
			http_error(req, 401, "missing or wrong token: set "
			    "DAGZ_TOKEN");
		return (-1);
	}
	return (0);
}

/* The Allow header for path: every method a route takes there. */
static char *
http_allow(const char *path)
{
	struct route_args a;
	char *allow = NULL, *tmp;
	int get = 0, post = 0;
	size_t i;

	memset(&a, 0, sizeof a);
	for (i = 0; i < NROUTES; i++) {
		if (route_match(routes[i].pattern, path, &a)) {
			if (strcmp(routes[i].method, "GET") == 0)
				get = 1;
			else
				post = 1;
		}
		route_args_clear(&a);
	}
	if (!get && !post)
		return (NULL);
	xasprintf(&tmp, "%s%sOPTIONS", get ? "GET, HEAD, " : "",
	    post ? "POST, " : "");
	allow = tmp;
	return (allow);
}

/* Runs the route for a request whose headers and body are all in. */
/*
 * The query of a request without a connection (a fuzz target), as the
 * library would hand it over: KEY=VALUE pairs split at '&', each
 * decoded.
 */
static void
http_query_split(const char *query, struct route_args *a)
{
	char *q, *p, *kv, *v;

	if (query == NULL)
		return;
	q = p = xstrdup(query);
	while ((kv = strsep(&p, "&")) != NULL) {
		if (*kv == '\0')
			continue;
		if ((v = strchr(kv, '=')) != NULL)
			*v++ = '\0';
		http_unescape(NULL, NULL, kv);
		if (v != NULL)
			http_unescape(NULL, NULL, v);
		if (route_query_add(a, MHD_GET_ARGUMENT_KIND, kv, v) == MHD_NO)
			break;
	}
	free(q);
}

/*
 * Answers a request whose headers passed: its route, or 404, 405, and
 * OPTIONS. A request without a connection (a fuzz target) takes its
 * query from req->query and leaves its reply's status in req->status.
 */
void
http_handle(struct dagzd *d, struct http_req *req)
{
	struct route_args a;
	const char *m = req->method;
	char *allow;
	size_t i;

	memset(&a, 0, sizeof a);
	if (strcmp(m, "OPTIONS") == 0) {
		if (strcmp(req->path, "*") == 0)
			allow = xstrdup("GET, HEAD, POST, OPTIONS");
		else if ((allow = http_allow(req->path)) == NULL) {
			http_error(req, 404, "unknown route 'OPTIONS %s'",
			    req->path);
			return;
		}
		http_json_allow(req, 200, json_pack("{s:s}", "allow", allow),
		    allow);
		free(allow);
		return;
	}
	if (req->conn != NULL)
		MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
		    route_query_add, &a);
	else
		http_query_split(req->query, &a);
	if (a.nquery > DAGZD_MAX_QUERY) {
		route_query_clear(&a);
		http_error(req, 400, "more than %d query parameters",
		    DAGZD_MAX_QUERY);
		return;
	}
	if (strcmp(m, "HEAD") == 0)
		m = "GET";
	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].method, m) == 0 &&
		    route_match(routes[i].pattern, req->path, &a))
			break;
		route_args_clear(&a);
	}
	if (i < NROUTES) {
		log_debug("%s %s", req->method, req->path);
		routes[i].fn(d, req, &a);
		db_reset_all(d);
		if (!req->replied)
			http_error(req, 500, "no reply");
	} else if ((allow = http_allow(req->path)) != NULL) {
		http_error_allow(req, 405, allow, "method %s not allowed on "
		    "'%s'", req->method, req->path);
		free(allow);
	} else
		http_error(req, 404, "unknown route '%s %s'", req->method,
		    req->path);
	route_args_clear(&a);
	route_query_clear(&a);
}

static int
http_same_addr(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	return (0);
}

/*
 * Makes room before the limits are reached: when the connections in
 * all, or those from hc's address, pass three quarters of their limit,
 * the oldest that are not inside a request (idle, or still sending
 * their headers) are shut down. A flood of idle connections then costs
 * the flood its oldest, never the daemon its service.
 */
static void
http_make_room(struct dagzd *d, struct http_conn *hc)
{
	struct http_conn *c;
	unsigned int n = 0, from = 0, high, high_ip, drop_all, drop_ip;

	TAILQ_FOREACH(c, &d->conns, entry) {
		if (c->evicted)
			continue;
		n++;
		if (http_same_addr(&c->addr, &hc->addr))
			from++;
	}
	high = d->conn_limit - d->conn_limit / 4;
	high_ip = d->conn_limit_ip - d->conn_limit_ip / 4;
	drop_all = n > high ? n - high : 0;
	drop_ip = from > high_ip ? from - high_ip : 0;
	if (drop_all == 0 && drop_ip == 0)
		return;
	TAILQ_FOREACH(c, &d->conns, entry) {
		if (drop_all == 0 && drop_ip == 0)
			break;
		if (c == hc || c->busy || c->evicted)
			continue;
		if (drop_all == 0 && !http_same_addr(&c->addr, &hc->addr))
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->evicted = 1;
		if (drop_all > 0)
			drop_all--;
		if (drop_ip > 0 && http_same_addr(&c->addr, &hc->addr))
			drop_ip--;
	}
	http_log_limited(1, "http: %u connections open (limit %u, %u from "
	    "one address): closing idle ones", n, d->conn_limit,
	    d->conn_limit_ip);
}

static void
http_notify_connection(void *arg, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct dagzd *d = arg;
	struct http_conn *hc = *socket_context;
	const union MHD_ConnectionInfo *ci;
	socklen_t len;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (hc == NULL)
			return;
		TAILQ_REMOVE(&d->conns, hc, entry);
		d->nconns--;
		free(hc);
		*socket_context = NULL;
		return;
	}
	hc = xcalloc(1, sizeof *hc);
	hc->conn = conn;
	hc->fd = -1;
	if ((ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CONNECTION_FD)) != NULL)
		hc->fd = ci->connect_fd;
	if ((ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS)) != NULL &&
	    ci->client_addr != NULL) {
		len = ci->client_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		memcpy(&hc->addr, ci->client_addr, len);
	}
	TAILQ_INSERT_TAIL(&d->conns, hc, entry);
	d->nconns++;
	*socket_context = hc;
	http_make_room(d, hc);
}

/*
 * The first call for a request, on its headers alone: checks them and
 * the size the body announces, and answers at once when refused, so
 * that not one byte of a refused body is read or held.
 */
static enum MHD_Result
http_begin(struct dagzd *d, struct MHD_Connection *conn, const char *url,
    const char *method, void **con_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct http_req *req;
	const char *cl;
	char *end;
	unsigned long long declared = 0;

	req = xcalloc(1, sizeof *req);
	req->d = d;
	req->conn = conn;
	req->method = method;
	req->path = xstrdup(url);
	*con_cls = req;
	if ((ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT)) != NULL &&
	    (req->hc = ci->socket_context) != NULL)
		req->hc->busy = 1;
	if (http_check_headers(d, req) == -1)
		return (MHD_YES);
	if ((cl = http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH)) != NULL) {
		errno = 0;
		declared = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0')
			declared = ~0ULL;
	}
	if (declared > d->max_request && declared <= HTTP_DRAIN_MAX(d)) {
		/*
		 * A client that is let in, with a body a few times too large
		 * (a batch of records): its body is read and dropped, held
		 * nowhere, so that it gets the 413 and can send less. A client
		 * writing its body reads no reply before it is done.
		 */
		req->drain = declared;
		req->too_large = 1;
		return (MHD_YES);
	}
	if (declared > d->max_request) {
		http_error(req, 413, "request body over %zu bytes",
		    d->max_request);
		return (MHD_YES);
	}
	if (d->bodies + declared > d->max_bodies) {
		http_log_limited(2, "http: %zu bytes of request bodies held "
		    "(limit %zu): refusing more for now", d->bodies,
		    d->max_bodies);
		http_error(req, 503, "too many requests at once: try again");
		return (MHD_YES);
	}
	req->held = declared;
	d->bodies += declared;
	return (MHD_YES);
}

/* Appends n bytes of body; -1 past the limits, then the connection goes. */
static int
http_take_body(struct dagzd *d, struct http_req *req, const char *data,
    size_t n)
{
	size_t want = req->len + n;

	if (want > d->max_request)
		return (-1);
	if (want > req->held) {
		if (d->bodies + (want - req->held) > d->max_bodies)
			return (-1);
		d->bodies += want - req->held;
		req->held = want;
	}
	if (want + 1 > req->cap) {
		req->cap = req->cap == 0 ? 4096 : req->cap;
		while (req->cap < want + 1)
			req->cap *= 2;
		if (req->cap > req->held + 1)
			req->cap = req->held + 1;
		req->body = xreallocarray(req->body, req->cap, 1);
	}
	memcpy(req->body + req->len, data, n);
	req->len = want;
	return (0);
}

static enum MHD_Result
http_access(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct dagzd *d = arg;
	struct http_req *req = *con_cls;

	if (req == NULL)
		return (http_begin(d, conn, url, method, con_cls));
	if (*upload_data_size > 0) {
		if (req->too_large) {
			if (*upload_data_size > req->drain)
				return (MHD_NO);
			req->drain -= *upload_data_size;
			*upload_data_size = 0;
			return (MHD_YES);
		}
		if (req->replied) {
			*upload_data_size = 0;
			return (MHD_YES);
		}
		if (http_take_body(d, req, upload_data, *upload_data_size) ==
		    -1) {
			log_debug("http: body of '%s %s' over the limits; "
			    "connection closed", req->method, req->path);
			return (MHD_NO);
		}
		*upload_data_size = 0;
		return (MHD_YES);
	}
	if (!req->replied && req->too_large)
		http_error(req, 413, "request body over %zu bytes",
		    d->max_request);
	else if (!req->replied)
		http_handle(d, req);
	return (MHD_YES);
}

static void
http_completed(void *arg, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode code)
{
	struct dagzd *d = arg;
	struct http_req *req = *con_cls;

	if (req == NULL)
		return;
	if (req->hc != NULL)
		req->hc->busy = 0;
	d->bodies -= req->held;
	/* Gone before its 101 went out. */
	http_upgrade_free(req->upgrade);
	free(req->body);
	free(req->path);
	free(req);
	*con_cls = NULL;
}

/*
 * Decodes %XX in place, but leaves "%00" as it is: a NUL would cut a
 * path or a value short and make it name something else.
 */
static size_t
http_unescape(void *arg, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s, hex[3];

	while (*r != '\0') {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) &&
		    isxdigit((unsigned char)r[2]) &&
		    !(r[1] == '0' && r[2] == '0')) {
			hex[0] = r[1];
			hex[1] = r[2];
			hex[2] = '\0';
			*w++ = (char)strtoul(hex, NULL, 16);
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (w - s);
}

/* Runs every daemon's due work, then waits for the next. */
static void
http_run(struct dagzd *d)
{
	int i;

	for (i = 0; i < d->nmhd; i++)
		MHD_run(d->mhd[i]);
	http_schedule(d);
}

static void
http_on_event(evutil_socket_t fd, short what, void *arg)
{
	http_run(arg);
}

/* Arms the timer for the earliest of the daemons' timeouts. */
static void
http_schedule(struct dagzd *d)
{
	MHD_UNSIGNED_LONG_LONG ms, min = 0;
	struct timeval tv;
	int i, any = 0;

	for (i = 0; i < d->nmhd; i++) {
		if (MHD_get_timeout(d->mhd[i], &ms) != MHD_YES)
			continue;
		if (!any || ms < min)
			min = ms;
		any = 1;
	}
	if (!any) {
		event_del(d->ev_mhd_timer);
		return;
	}
	tv.tv_sec = min / 1000;
	tv.tv_usec = (min % 1000) * 1000;
	event_add(d->ev_mhd_timer, &tv);
}

/* The URL clients use for a bound socket: https:// when we serve TLS. */
static char *
http_bound_url(struct dagzd *d, int fd)
{
	const char *scheme = d->tls_cert != NULL ? "https" : "http";
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN], *url;
	int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (NULL);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			strlcpy(host, "::1", sizeof host);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
		xasprintf(&url, "%s://[%s]:%d", scheme, host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
			strlcpy(host, "127.0.0.1", sizeof host);
		else
			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
		xasprintf(&url, "%s://%s:%d", scheme, host, port);
	}
	return (url);
}

/* A listening socket on the first address host resolves to, or -1. */
static int
http_listen(const char *host, int port)
{
	struct addrinfo hints, *res;
	char serv[16];
	int fd, on = 1, rc, saved;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	snprintf(serv, sizeof serv, "%d", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		errno = rc == EAI_SYSTEM ? errno : EADDRNOTAVAIL;
		return (-1);
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1) {
		freeaddrinfo(res);
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, HTTP_BACKLOG) == -1) {
		saved = errno;
		close(fd);
		freeaddrinfo(res);
		errno = saved;
		return (-1);
	}
	freeaddrinfo(res);
	return (fd);
}

/*
 * The connection limits: below the limit on open files, so that accept
 * never fails for want of one, and shared by the listeners.
 */
static void
http_limits(struct dagzd *d)
{
	struct rlimit rl;
	rlim_t n = HTTP_CONN_MAX + HTTP_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n > HTTP_CONN_MAX + HTTP_FD_RESERVE)
		n = HTTP_CONN_MAX + HTTP_FD_RESERVE;
	d->conn_limit = n > 2 * HTTP_FD_RESERVE ? n - HTTP_FD_RESERVE : n / 2;
	if (d->conn_limit < 8)
		d->conn_limit = 8;
	d->conn_limit_ip = d->conn_limit / 2;
	if (d->max_bodies == 0)
		d->max_bodies = 4 * d->max_request;
}

/* Whether libmicrohttpd can serve HTTPS (--tls-cert). */
int
http_tls_supported(void)
{
	return (MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES);
}

/*
 * A daemon on the listening socket fd; with --tls-cert, libmicrohttpd's
 * own TLS (GnuTLS), whose handshakes are as non-blocking as the rest, so
 * that a client stalling in one holds up no other.
 */
static struct MHD_Daemon *
http_daemon(struct dagzd *d, int fd, unsigned int limit)
{
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, d->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, d->tls_key },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ MHD_OPTION_END, 0, NULL }
	};
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_UPGRADE;

	if (d->tls_cert != NULL)
		flags |= MHD_USE_TLS;
	return (MHD_start_daemon(flags, 0, NULL, NULL, http_access, d,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, d,
	    MHD_OPTION_ARRAY, d->tls_cert != NULL ? tls : tls + 3,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, d->conn_limit_ip,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_CONN_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, d,
	    MHD_OPTION_NOTIFY_CONNECTION, http_notify_connection, d,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, d,
	    MHD_OPTION_END));
}

/*
 * Binds every address and prints the readiness line. The default ::1 may
 * be missing on a host without IPv6: that is a warning, not a failure.
 * Each listener is a libmicrohttpd daemon in epoll mode, driven from
 * dagzd's own event loop: its epoll descriptor is one more event.
 */
int
http_start(struct dagzd *d)
{
	const union MHD_DaemonInfo *di;
	char host[256], *url, *line = NULL, *tmp;
	int fds[DAGZD_MAX_LISTEN], i, n = 0, port, fd;
	unsigned int per;

	TAILQ_INIT(&d->conns);
	http_limits(d);
	for (i = 0; i < d->nlisten; i++) {
		dagzd_split_addr(d->listen[i], host, sizeof host, &port);
		if ((fd = http_listen(host, port)) == -1) {
			if (strcmp(host, "::1") == 0 && n > 0 &&
			    (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)) {
				log_warnx("cannot listen on '%s': no IPv6 "
				    "loopback; skipped", d->listen[i]);
				continue;
			}
			log_warn("cannot listen on '%s'", d->listen[i]);
			return (-1);
		}
		fds[n++] = fd;
	}
	per = d->conn_limit / n;
	d->ev_mhd_timer = evtimer_new(d->base, http_on_event, d);
	d->ev_mhd_kick = event_new(d->base, -1, 0, http_on_event, d);
	for (i = 0; i < n; i++) {
		if ((d->mhd[i] = http_daemon(d, fds[i], per)) == NULL) {
			log_warnx("cannot start the HTTP server");
			return (-1);
		}
		d->nmhd++;
		di = MHD_get_daemon_info(d->mhd[i], MHD_DAEMON_INFO_EPOLL_FD);
		d->ev_mhd[i] = event_new(d->base, di->epoll_fd,
		    EV_READ | EV_PERSIST, http_on_event, d);
		event_add(d->ev_mhd[i], NULL);
		if ((url = http_bound_url(d, fds[i])) == NULL)
			continue;
		if (d->url == NULL)
			d->url = xstrdup(url);
		xasprintf(&tmp, "%s%s%s", line != NULL ? line : "",
		    line != NULL ? " " : "", url);
		free(line);
		line = tmp;
		free(url);
	}
	http_schedule(d);
	printf("dagzd: listening on %s (pid %d, store %s)\n",
	    line != NULL ? line : "?", (int)getpid(), d->dbpath);
	fflush(stdout);
	free(line);
	return (0);
}

void
http_stop(struct dagzd *d)
{
	int i;

	relay_stop(d);
	for (i = 0; i < d->nmhd; i++) {
		event_free(d->ev_mhd[i]);
		MHD_stop_daemon(d->mhd[i]);
	}
	d->nmhd = 0;
	if (d->ev_mhd_timer != NULL)
		event_free(d->ev_mhd_timer);
	d->ev_mhd_timer = NULL;
	if (d->ev_mhd_kick != NULL)
		event_free(d->ev_mhd_kick);
	d->ev_mhd_kick = NULL;
}
