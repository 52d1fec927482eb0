/*
 * dagzd-web-login.c: the login of a browser to a dagzd with a token. The
 * token, posted once to /login (same origin, compared in constant time),
 * buys a session: a random id kept in memory, sent back in an HttpOnly,
 * SameSite=Strict cookie, never the token itself and never in a URL.
 * A session reads pages and the API; what changes the store still needs
 * the token. Sessions end at /logout, after WEB_SESSION_TTL, or when
 * dagzd restarts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "dagzd.h"
#include "dagzd-web.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define WEB_SESSIONS	64
#define WEB_SESSION_TTL	(12 * 3600)	/* seconds */
#define WEB_LOGIN_MAX	4096		/* bytes of a login form */

/* A browser's login: the cookie's value, and when it ends. */
static struct web_session {
	char	id[65];
	double	expires;
} sessions[WEB_SESSIONS];

/*
 * Whether a request without the token is a browser's for a page, which
 * then gets the login form rather than a JSON error.
 */
int
web_is_page(struct http_req *req)
{
	return ((strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0) &&
	    strncmp(req->path, "/api/", 5) != 0);
}

/* The session named by the request's dagz_session cookie, or NULL. */
static struct web_session *
web_session_find(struct http_req *req)
{
	const char *c = http_header(req, "Cookie"), *p;
	size_t i, n;
	double now = time_unix();

	if (c == NULL)
		return (NULL);
	for (p = c; (p = strstr(p, "dagz_session=")) != NULL; p += 13) {
		if (p != c && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += 13;
		n = strcspn(p, "; ");
		if (n != 64)
			break;
		for (i = 0; i < WEB_SESSIONS; i++)
			if (sessions[i].expires > now &&
			    http_token_equal(sessions[i].id, p, 64))
				return (&sessions[i]);
		break;
	}
	return (NULL);
}

/*
 * Whether a request without the token may go on: the login itself and
 * the assets, and with a session's cookie the pages and API reads (and
 * the logout). A cookie never changes the store: what does sends the
 * token.
 */
int
web_admits(struct dagzd *d, struct http_req *req)
{
	int read = strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0;

	if (strcmp(req->path, "/login") == 0 ||
	    (read && strncmp(req->path, "/static/", 8) == 0))
		return (1);
	if (!read && strcmp(req->path, "/logout") != 0)
		return (0);
	return (web_session_find(req) != NULL);
}

/* The login form, with code (401 when a page was refused). */
void
web_login_form(struct dagzd *d, struct http_req *req, int code)
{
	struct evbuffer *b = evbuffer_new();
	const char *next = req->path;

	if (strcmp(next, "/login") == 0 || next[0] != '/' || next[1] == '/')
		next = "/jobs";
	web_begin(d, b, "log in");
	evbuffer_add_printf(b, "<form class=\"login\" id=\"login\" "
	    "method=\"post\" action=\"/login\"><h1>Log in to dagz</h1>"
	    "<p class=\"muted\">This dagzd asks for its token (the file given "
	    "to --token-file).</p>");
	if (code == 403)
		evbuffer_add_printf(b, "<p class=\"st-failed\" id=\"wrong-token\">"
		    "That is not the token.</p>");
	evbuffer_add_printf(b, "<input type=\"password\" name=\"token\" "
	    "autocomplete=\"current-password\" aria-label=\"token\" required "
	    "autofocus><input type=\"hidden\" name=\"next\" value=\"");
	web_html(b, next);
	evbuffer_add_printf(b, "\"><button type=\"submit\">Log in</button>"
	    "</form>\n");
	web_end(b);
	web_send(req, code, b);
}

/* GET /login. */
void
route_login_page(struct dagzd *d, struct http_req *req,
    struct route_args *a)
{
	web_login_form(d, req, 200);
}

/* The value of key in a form body (a new allocation), or NULL. */
static char *
web_form_value(const char *body, const char *key)
{
	const char *p = body, *end;
	char *v, *w, hex[3];
	size_t klen = strlen(key);

	while (*p != '\0') {
		end = strchrnul(p, '&');
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			v = w = xstrndup(p + klen + 1, end - p - klen - 1);
			for (p = v; *p != '\0'; p++) {
				if (*p == '+')
					*w++ = ' ';
				else if (p[0] == '%' && p[1] != '\0' &&
				    p[2] != '\0') {
					hex[0] = p[1];
					hex[1] = p[2];
					hex[2] = '\0';
					*w++ = (char)strtoul(hex, NULL, 16);
					p += 2;
				} else
					*w++ = *p;
			}
			*w = '\0';
			return (v);
		}
		p = *end == '&' ? end + 1 : end;
	}
	return (NULL);
}

/*
 * POST /login, a form of token and next: with the right token, a new
 * session in a cookie (HttpOnly, SameSite=Strict) and a redirect to
 * next; else the form again, 403.
 */
void
route_login(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct web_session *s = &sessions[0];
	const char *hdrs[] = { "Set-Cookie", NULL, "Location", NULL,
	    "Cache-Control", "no-store", NULL };
	unsigned char rnd[32];
	char *body, *token, *next, *cookie;
	const char *to;
	size_t len, i;
	int ok;

	if (req->len > WEB_LOGIN_MAX) {
		http_error(req, 413, "login form over %d bytes",
		    WEB_LOGIN_MAX);
		return;
	}
	body = http_body(d, req, &len);
	token = web_form_value(body, "token");
	next = web_form_value(body, "next");
	free(body);
	ok = d->token != NULL && token != NULL &&
	    strlen(token) == strlen(d->token) &&
	    http_token_equal(token, d->token, strlen(d->token));
	free(token);
	if (d->token == NULL || !ok) {
		free(next);
		if (d->token != NULL)
			log_info("web: a wrong token at the login form");
		web_login_form(d, req, d->token == NULL ? 200 : 403);
		return;
	}
	/* The oldest (or an expired) slot makes room. */
	for (i = 0; i < WEB_SESSIONS; i++)
		if (sessions[i].expires < s->expires)
			s = &sessions[i];
	arc4random_buf(rnd, sizeof rnd);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
	s->expires = time_unix() + WEB_SESSION_TTL;
	to = next != NULL && next[0] == '/' && next[1] != '/' &&
	    next[1] != '\\' && strpbrk(next, "\r\n") == NULL ? next : "/jobs";
	xasprintf(&cookie, "dagz_session=%s; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=%d%s", s->id, WEB_SESSION_TTL,
	    d->tls_cert != NULL ? "; Secure" : "");
	hdrs[1] = cookie;
	hdrs[3] = to;
	http_reply_headers(req, 303, "text/plain; charset=utf-8",
	    evbuffer_new(), hdrs);
	free(cookie);
	free(next);
}

/* POST /logout: the session ends, its cookie is cleared. */
void
route_logout(struct dagzd *d, struct http_req *req, struct route_args *a)
{
	struct web_session *s;
	const char *hdrs[] = { "Set-Cookie", "dagz_session=; Path=/; "
	    "HttpOnly; SameSite=Strict; Max-Age=0", "Location", "/login",
	    NULL };

	if ((s = web_session_find(req)) != NULL)
		memset(s, 0, sizeof *s);
	http_reply_headers(req, 303, "text/plain; charset=utf-8",
	    evbuffer_new(), hdrs);
}
