/* dagzd.h: the store daemon's state, shared by its files. */
#ifndef DAGZD_H
#define DAGZD_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sqlite3.h>

#define DAGZD_MAX_LISTEN	8
#define DAGZD_MAX_REQUEST	(16 * 1024 * 1024)

struct dagzd {
	struct event_base	*base;
	struct evhttp		*http;
	sqlite3			*db;
	char			*home;
	char			*dbpath;
	char			*urlfile;	/* local.env/url, ours */
	char			*url;		/* the first we listen on */
	char			*token;		/* NULL: none required */
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
};

/* Arguments of a route: the path's '*' segments and the query. */
struct route_args {
	char			*seg[4];
	int			 nseg;
	struct evkeyvalq	 query;
};

/* dagzd.c */
int	 dagzd_split_addr(const char *, char *, size_t, int *);

/* dagzd-http.c */
int	 http_start(struct dagzd *);
void	 http_stop(struct dagzd *);
void	 http_error(struct evhttp_request *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 http_json(struct evhttp_request *, int, json_t *);
void	 http_ndjson_add(struct evbuffer *, json_t *);
void	 http_ndjson(struct evhttp_request *, struct evbuffer *);
char	*http_body(struct dagzd *, struct evhttp_request *, size_t *);
const char *http_query(struct route_args *, const char *);
int	 http_query_num(struct evhttp_request *, struct route_args *,
	    const char *, long long, long long, long long *);
int	 http_query_time(struct evhttp_request *, struct route_args *,
	    const char *, double *);

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
void	 route_job_create(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_jobs(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_job(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_job_page(struct dagzd *, struct evhttp_request *,
	    struct route_args *);

/* dagzd-ingest.c: the scheduler's stream of records. */
void	 route_events(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_heartbeat(struct dagzd *, struct evhttp_request *,
	    struct route_args *);

/* dagzd-query.c: tests, cases, spans, logs, history, flakiness. */
void	 route_tests(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_cases(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_spans(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_logs(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_span_context(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_flaky(struct dagzd *, struct evhttp_request *,
	    struct route_args *);

/* dagzd-baselines.c: baselines for selection. */
void	 route_baseline_create(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_baseline_latest(struct dagzd *, struct evhttp_request *,
	    struct route_args *);
void	 route_baseline(struct dagzd *, struct evhttp_request *,
	    struct route_args *);

#endif
