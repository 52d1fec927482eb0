/*
 * store.h: the HTTP client of dagzd. Clients find the daemon through
 * DAGZ_URL, else the url file a local dagzd writes in
 * $DAGZ_HOME/local.env/, else http://localhost:29111, and send DAGZ_TOKEN
 * when it is set. An https:// URL is served over TLS, the certificate
 * verified against the system's CAs and DAGZ_CA_FILE. store_conn is
 * asynchronous, on the caller's event base, for programs that must never
 * wait on the store; store_call waits for one reply on a private base,
 * for command-line tools; store_stream_open is a bare stream to dagzd's
 * address, for protocols other than request and reply.
 */
#ifndef DAGZ_STORE_H
#define DAGZ_STORE_H

#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#define STORE_DEFAULT_PORT	29111
#define STORE_DEFAULT_URL	"http://localhost:29111"
#define STORE_API		"/api/v1"

char	*store_home(void);
char	*store_url(void);
char	*store_token(void);
int	 store_url_is_local(const char *);
int	 store_url_startable(const char *);

/*
 * A reply: status is the HTTP status, or 0 when no reply came, with err
 * saying why. body is NUL-terminated.
 */
struct store_reply {
	int	 status;
	char	*body;
	size_t	 len;
	char	 err[256];
};

typedef void	(*store_reply_cb)(struct store_reply *, void *);

struct store_conn;

struct store_conn *store_conn_new(struct event_base *, const char *,
		    const char *, double, char *, size_t);
int		 store_conn_request(struct store_conn *, const char *,
		    const char *, const char *, const void *, size_t,
		    store_reply_cb, void *);
void		 store_conn_free(struct store_conn *);

struct bufferevent *store_stream_open(struct event_base *, const char *,
		    char *, size_t);
void		 store_stream_error(struct bufferevent *, char *, size_t);

int	 store_call(const char *, const char *, const char *, const char *,
	    const char *, const void *, size_t, double, struct store_reply *);
void	 store_reply_clear(struct store_reply *);
char	*store_reply_error(const struct store_reply *);

#endif
