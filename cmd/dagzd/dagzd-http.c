/*
 * dagzd-http.c: the HTTP side of dagzd: listening, the table of routes,
 * the token check, size limits, and replies. Every error is a JSON object
 * {"error": "..."} with a 4xx or 5xx status; a bad request never takes
 * the daemon down.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "dagzd.h"
#include "log.h"
#include "ndjson.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

typedef void	(*route_fn)(struct dagzd *, struct evhttp_request *,
		    struct route_args *);

static void	route_ping(struct dagzd *, struct evhttp_request *,
		    struct route_args *);
static void	route_shutdown(struct dagzd *, struct evhttp_request *,
		    struct route_args *);

/* The API: a '*' in a pattern matches one path segment. */
static const struct route {
	enum evhttp_cmd_type	 method;
	const char		*pattern;
	route_fn		 fn;
} routes[] = {
	{ EVHTTP_REQ_GET, "/api/v1/ping", route_ping },
	{ EVHTTP_REQ_POST, "/api/v1/shutdown", route_shutdown },
	{ EVHTTP_REQ_GET, "/api/v1/jobs", route_jobs },
	{ EVHTTP_REQ_POST, "/api/v1/jobs", route_job_create },
	{ EVHTTP_REQ_GET, "/api/v1/jobs/*", route_job },
	{ EVHTTP_REQ_POST, "/api/v1/jobs/*/events", route_events },
	{ EVHTTP_REQ_POST, "/api/v1/jobs/*/heartbeat", route_heartbeat },
	{ EVHTTP_REQ_GET, "/api/v1/jobs/*/tests", route_tests },
	{ EVHTTP_REQ_GET, "/api/v1/jobs/*/cases", route_cases },
	{ EVHTTP_REQ_GET, "/api/v1/jobs/*/spans", route_spans },
	{ EVHTTP_REQ_GET, "/api/v1/jobs/*/logs", route_logs },
	{ EVHTTP_REQ_GET, "/api/v1/spans/*/context", route_span_context },
	{ EVHTTP_REQ_GET, "/api/v1/flaky", route_flaky },
	{ EVHTTP_REQ_POST, "/api/v1/baselines", route_baseline_create },
	{ EVHTTP_REQ_GET, "/api/v1/baselines", route_baseline_latest },
	{ EVHTTP_REQ_GET, "/api/v1/baselines/*", route_baseline },
	{ EVHTTP_REQ_GET, "/jobs/*", route_job_page },
};

void
http_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	http_json(req, code, json_pack("{s:s}", "error",
	    msg != NULL ? msg : "error"));
	free(msg);
}

static const char *
http_reason(int code)
{
	switch (code) {
	case 200:
		return ("OK");
	case 201:
		return ("Created");
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 413:
		return ("Payload Too Large");
	case 415:
		return ("Unsupported Media Type");
	default:
		return (code >= 500 ? "Internal Server Error" : "Error");
	}
}

/* Replies with o (stolen) as one JSON object. */
void
http_json(struct evhttp_request *req, int code, json_t *o)
{
	struct evbuffer *buf = evbuffer_new();
	char *s;

	s = ndjson_encode(o);
	json_decref(o);
	evbuffer_add(buf, s, strlen(s));
	evbuffer_add(buf, "\n", 1);
	free(s);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, code, http_reason(code), buf);
	evbuffer_free(buf);
}

/* Adds o (stolen) as a line of an NDJSON reply. */
void
http_ndjson_add(struct evbuffer *buf, json_t *o)
{
	char *s;

	s = ndjson_encode(o);
	json_decref(o);
	evbuffer_add(buf, s, strlen(s));
	evbuffer_add(buf, "\n", 1);
	free(s);
}

/* Replies 200 with buf (freed here) as NDJSON. */
void
http_ndjson(struct evhttp_request *req, struct evbuffer *buf)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/x-ndjson");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* The request's body as a NUL-terminated string (a new allocation). */
char *
http_body(struct dagzd *d, struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char *body;
	size_t n = evbuffer_get_length(in);

	body = xmalloc(n + 1);
	evbuffer_remove(in, body, n);
	body[n] = '\0';
	*len = n;
	return (body);
}

const char *
http_query(struct route_args *a, const char *key)
{
	return (evhttp_find_header(&a->query, key));
}

/*
 * The query's key as a whole number from min to max, into *v (left as
 * it is when the key is absent): 0, or -1 once it has answered 400.
 */
int
http_query_num(struct evhttp_request *req, struct route_args *a,
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
http_query_time(struct evhttp_request *req, struct route_args *a,
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
route_ping(struct dagzd *d, struct evhttp_request *req, struct route_args *a)
{
	http_json(req, 200, json_pack("{s:s,s:I,s:i,s:s,s:s,s:f}", "dagzd",
	    PACKAGE_VERSION, "pid", (json_int_t)getpid(), "api", 1,
	    "url", d->url != NULL ? d->url : "", "store", d->dbpath,
	    "uptime", time_unix() - d->started));
}

static void
route_shutdown(struct dagzd *d, struct evhttp_request *req,
    struct route_args *a)
{
	struct timeval tv = { 0, 100000 };

	log_info("shutting down on request");
	http_json(req, 200, json_pack("{s:b}", "ok", 1));
	/* Later, so that the reply goes out first. */
	event_base_loopexit(d->base, &tv);
}

/* Matches path against pattern, capturing the '*' segments. */
static int
route_match(const char *pattern, const char *path, struct route_args *a)
{
	const char *p = pattern, *s = path, *end;

	a->nseg = 0;
	while (*p != '\0') {
		if (*p == '*') {
			end = strchrnul(s, '/');
			if (end == s || a->nseg == 4)
				return (0);
			a->seg[a->nseg] = xstrdup(s);
			a->seg[a->nseg][end - s] = '\0';
			a->nseg++;
			s = end;
			p++;
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

/* Compares in time that does not depend on where the bytes differ. */
static int
http_token_equal(const char *a, const char *b, size_t n)
{
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return (diff == 0);
}

static int
http_authorized(struct dagzd *d, struct evhttp_request *req)
{
	const char *h;
	size_t n;

	if (d->token == NULL)
		return (1);
	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return (0);
	h += 7;
	n = strlen(d->token);
	return (strlen(h) == n && http_token_equal(h, d->token, n));
}

static const char *
http_method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return ("GET");
	case EVHTTP_REQ_POST:
		return ("POST");
	case EVHTTP_REQ_HEAD:
		return ("HEAD");
	case EVHTTP_REQ_PUT:
		return ("PUT");
	case EVHTTP_REQ_DELETE:
		return ("DELETE");
	default:
		return ("?");
	}
}

static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct dagzd *d = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct route_args a;
	const char *path, *q;
	char *decoded;
	size_t i, dlen;
	int known = 0;

	memset(&a, 0, sizeof a);
	TAILQ_INIT(&a.query);
	if (!http_authorized(d, req)) {
		http_error(req, 401, "missing or wrong token: set DAGZ_TOKEN");
		return;
	}
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    d->max_request) {
		http_error(req, 413, "request body over %zu bytes",
		    d->max_request);
		return;
	}
	if (uri == NULL || (path = evhttp_uri_get_path(uri)) == NULL) {
		http_error(req, 400, "malformed request URI");
		return;
	}
	decoded = evhttp_uridecode(path, 0, &dlen);
	if (decoded == NULL || strlen(decoded) != dlen) {
		free(decoded);
		http_error(req, 400, "malformed request path");
		return;
	}
	if ((q = evhttp_uri_get_query(uri)) != NULL &&
	    evhttp_parse_query_str(q, &a.query) == -1) {
		free(decoded);
		http_error(req, 400, "malformed query string");
		return;
	}
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (!route_match(routes[i].pattern, decoded, &a)) {
			route_args_clear(&a);
			continue;
		}
		known = 1;
		if (routes[i].method == m)
			break;
		route_args_clear(&a);
	}
	if (i < sizeof routes / sizeof routes[0]) {
		log_debug("%s %s", http_method_name(m), decoded);
		routes[i].fn(d, req, &a);
		db_reset_all(d);
	} else if (known)
		http_error(req, 405, "method %s not allowed on '%s'",
		    http_method_name(m), decoded);
	else
		http_error(req, 404, "unknown route '%s %s'",
		    http_method_name(m), decoded);
	route_args_clear(&a);
	evhttp_clear_headers(&a.query);
	free(decoded);
}

/* The URL clients use for a bound socket. */
static char *
http_bound_url(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN], *url;
	int port;

	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	    &len) == -1)
		return (NULL);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			strlcpy(host, "::1", sizeof host);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
		xasprintf(&url, "http://[%s]:%d", host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
			strlcpy(host, "127.0.0.1", sizeof host);
		else
			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
		xasprintf(&url, "http://%s:%d", host, port);
	}
	return (url);
}

/*
 * Binds every address and prints the readiness line. The default ::1 may
 * be missing on a host without IPv6: that is a warning, not a failure.
 */
int
http_start(struct dagzd *d)
{
	struct evhttp_bound_socket *bs;
	char host[256], *url, *line = NULL, *tmp;
	int i, port, bound = 0;

	if ((d->http = evhttp_new(d->base)) == NULL) {
		log_warnx("evhttp_new failed");
		return (-1);
	}
	/* Past this, libevent itself refuses the body; below, we do. */
	evhttp_set_max_body_size(d->http, (ev_ssize_t)d->max_request * 4);
	evhttp_set_max_headers_size(d->http, 64 * 1024);
	evhttp_set_timeout(d->http, 60);
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(d->http, http_dispatch, d);
	for (i = 0; i < d->nlisten; i++) {
		dagzd_split_addr(d->listen[i], host, sizeof host, &port);
		if ((bs = evhttp_bind_socket_with_handle(d->http, host,
		    port)) == NULL) {
			if (strcmp(host, "::1") == 0 && bound > 0 &&
			    (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)) {
				log_warnx("cannot listen on '%s': no IPv6 "
				    "loopback; skipped", d->listen[i]);
				continue;
			}
			log_warn("cannot listen on '%s'", d->listen[i]);
			return (-1);
		}
		bound++;
		if ((url = http_bound_url(bs)) == NULL)
			continue;
		if (d->url == NULL)
			d->url = xstrdup(url);
		xasprintf(&tmp, "%s%s%s", line != NULL ? line : "",
		    line != NULL ? " " : "", url);
		free(line);
		line = tmp;
		free(url);
	}
	printf("dagzd: listening on %s (pid %d, store %s)\n",
	    line != NULL ? line : "?", (int)getpid(), d->dbpath);
	fflush(stdout);
	free(line);
	return (0);
}

void
http_stop(struct dagzd *d)
{
	if (d->http != NULL)
		evhttp_free(d->http);
	d->http = NULL;
}
