/* dagzd.h: the store daemon's state, shared by its files. */
#ifndef DAGZD_H
#define DAGZD_H

#include <sys/queue.h>

#include <stddef.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <sqlite3.h>

#define DAGZD_MAX_LISTEN	8
#define DAGZD_MAX_REQUEST	(16 * 1024 * 1024)
#define DAGZD_MAX_QUERY		32

struct sockaddr;
struct MHD_Daemon;
struct MHD_Connection;
struct http_conn;
struct http_upgrade;
struct http_upgraded;
struct relay;
struct feed;
TAILQ_HEAD(http_conns, http_conn);

struct dagzd {
	struct event_base	*base;
	struct MHD_Daemon	*mhd[DAGZD_MAX_LISTEN];
	struct event		*ev_mhd[DAGZD_MAX_LISTEN];
	struct event		*ev_mhd_timer;
	struct event		*ev_mhd_kick;	/* runs them at once */
	int			 nmhd;
	struct http_conns	 conns;		/* open connections, oldest first */
	unsigned int		 nconns;
	unsigned int		 conn_limit;	/* in all */
	unsigned int		 conn_limit_ip;	/* from one address */
	size_t			 bodies;	/* bytes of bodies held, in all */
	size_t			 max_bodies;
	char			*public_url;	/* --public-url */
	char			*public_host;	/* its host[:port] */
	sqlite3			*db;
	char			*home;
	char			*dbpath;
	char			*urlfile;	/* local.env/url, ours */
	char			*url;		/* the first we listen on */
	char			*token;		/* NULL: none required */
	char			*tls_cert;	/* --tls-cert's PEM, or NULL */
	char			*tls_key;	/* --tls-key's PEM */
	char			*listen[DAGZD_MAX_LISTEN];
	int			 nlisten;
	double			 stale_after;	/* seconds */
	size_t			 max_request;
	int			 allow_backdate;
	double			 started;
	int			 lockfd;
	struct event		*ev_sweep;
	struct event		*ev_term;
	struct event		*ev_int;
	struct relay		*relay;		/* dagzd-relay.c's */
	struct feed		*feed;		/* dagzd-feed.c's */
};

/* A query parameter, decoded. */
struct http_param {
	char			*key;
	char			*value;
};

/* Arguments of a route: the path's '*' segments and the query. */
struct route_args {
	char			*seg[4];
	int			 nseg;
	struct http_param	 query[DAGZD_MAX_QUERY];
	int			 nquery;
};

/*
 * One request as routes see it: the HTTP library stays in dagzd-http.c.
 * Routes answer with exactly one of the http_* replies below.
 */
struct http_req {
	struct dagzd		*d;
	struct MHD_Connection	*conn;
	struct http_conn	*hc;
	const char		*method;	/* as sent; HEAD runs GET's route */
	char			*path;		/* decoded */
	char			*body;
	size_t			 len;
	size_t			 cap;
	size_t			 held;		/* counted in d->bodies */
	size_t			 drain;		/* too large: bytes to drop */
	int			 too_large;	/* 413 once it is dropped */
	int			 replied;
	struct http_upgrade	*upgrade;	/* a 101 not yet sent */
	/* Without a connection (conn NULL: a fuzz target), these. */
	const char		*query;		/* as sent after the '?' */
	int			 status;	/* of the reply made */
};

/*
 * A reply written as the client reads it: fill writes at most max bytes
 * at buf and returns how many, 0 at the end, or -1 on an error (the
 * connection is closed); done frees arg.
 */
typedef ssize_t	(*http_fill_fn)(void *, char *, size_t);

/*
 * A connection upgraded by http_upgrade: its socket (read and write it,
 * never close it), the bytes already read past the request's head, and
 * the argument given; http_upgrade_close ends it.
 */
typedef void	(*http_upgrade_fn)(struct dagzd *, struct http_upgraded *,
		    int, const char *, size_t, void *);

/* dagzd.c */
int	 dagzd_split_addr(const char *, char *, size_t, int *);
int	 dagzd_addr_is_loopback(const struct sockaddr *);

/* dagzd-http.c */
int	 http_tls_supported(void);
int	 http_start(struct dagzd *);
void	 http_handle(struct dagzd *, struct http_req *);
void	 http_stop(struct dagzd *);
void	 http_error(struct http_req *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 http_json(struct http_req *, int, json_t *);
void	 http_ndjson_add(struct evbuffer *, json_t *);
void	 http_ndjson(struct http_req *, struct evbuffer *);
void	 http_reply(struct http_req *, int, const char *, struct evbuffer *);
void	 http_stream(struct http_req *, int, const char *, http_fill_fn,
	    void (*)(void *), void *);
void	 http_upgrade(struct http_req *, const char *, http_upgrade_fn,
	    void (*)(void *), void *);
void	 http_upgrade_close(struct http_upgraded *);
int	 http_token_equal(const char *, const char *, size_t);
char	*http_body(struct dagzd *, struct http_req *, size_t *);
json_t	*http_body_object(struct dagzd *, struct http_req *);
const char *http_header(struct http_req *, const char *);
const char *http_query(struct route_args *, const char *);
int	 http_query_num(struct http_req *, struct route_args *,
	    const char *, long long, long long, long long *);
int	 http_query_time(struct http_req *, struct route_args *,
	    const char *, double *);
void	 http_reply_headers(struct http_req *, int, const char *,
	    struct evbuffer *, const char *const *);

/* dagzd-db.c */
int	 db_open(struct dagzd *);
void	 db_close(struct dagzd *);
sqlite3_stmt *db_stmt(struct dagzd *, const char *);
void	 db_reset_all(struct dagzd *);
int	 db_exec(struct dagzd *, const char *);
int	 db_begin(struct dagzd *);
int	 db_commit(struct dagzd *);
void	 db_rollback(struct dagzd *);
void	 db_bind_text(sqlite3_stmt *, int, const char *);
void	 db_bind_real(sqlite3_stmt *, int, json_t *);
void	 db_bind_int(sqlite3_stmt *, int, json_t *);
json_t	*db_column_json(sqlite3_stmt *, int);
json_t	*db_column_text(sqlite3_stmt *, int);
json_t	*db_column_real(sqlite3_stmt *, int);
json_t	*db_column_int(sqlite3_stmt *, int);
void	 db_sweep(struct dagzd *);

/* dagzd-jobs.c: jobs as records and as JSON. */
int	 jobs_resolve(struct dagzd *, const char *, long long *);
json_t	*jobs_json(struct dagzd *, long long);
long long jobs_upsert(struct dagzd *, json_t *, char *, size_t);
json_t	*jobs_retry(struct dagzd *, const char *, long long, int);
void	 route_job_create(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_jobs(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_job(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-ingest.c: the scheduler's stream of records. */
void	 route_events(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_heartbeat(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-query.c: tests, cases, spans, logs, history, flakiness, plans. */
void	 route_tests(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_cases(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_spans(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_logs(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_span_context(struct dagzd *, struct http_req *,
	    struct route_args *);
json_t	*query_span_context(struct dagzd *, const char *, int *);
void	 route_flaky(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_plan(struct dagzd *, struct http_req *, struct route_args *);
json_t	*query_flaky(struct dagzd *, const double *, const char *,
	    long long, long long);

/* dagzd-web*.c: the dashboard's pages and its login. */
int	 web_admits(struct dagzd *, struct http_req *);
int	 web_is_page(struct http_req *);
void	 web_login_form(struct dagzd *, struct http_req *, int);
void	 route_jobs_page(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_job_page(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_test_page(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_flaky_page(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_static(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_login_page(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_login(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_logout(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-rendezvous.c: where the slots of one CI step meet. */
void	 route_rendezvous(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_rendezvous_publish(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-relay.c: streams spliced between a scheduler and its vassals. */
void	 route_relay_listen(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_relay_connect(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_relay_accept(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 relay_stop(struct dagzd *);

/* dagzd-feed.c: what is stored, as server-sent events. */
void	 feed_result(struct dagzd *, long long, json_t *, int, int);
void	 feed_job(struct dagzd *, long long, const char *);
void	 feed_publish(struct dagzd *);
void	 feed_discard(struct dagzd *);
unsigned long long feed_last_id(struct dagzd *);
void	 feed_stop(struct dagzd *);
void	 feed_free(struct dagzd *);
void	 route_feed(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-bundle.c: a span's agent-context bundle, as zb span-logs's. */
void	 route_span_bundle(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-quarantine.c: tests whose failures fail no job. */
void	 route_quarantine(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_quarantine_add(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_quarantine_remove(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_quarantine_auto(struct dagzd *, struct http_req *,
	    struct route_args *);

/* dagzd-baselines.c: baselines for selection. */
void	 route_baseline_create(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_baseline_latest(struct dagzd *, struct http_req *,
	    struct route_args *);
void	 route_baseline(struct dagzd *, struct http_req *,
	    struct route_args *);

#endif
