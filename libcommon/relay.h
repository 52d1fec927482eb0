/*
 * relay.h: the client of dagzd's relay, for a scheduler and vassals that
 * cannot reach each other directly. relay_open turns a stream to dagzd
 * (plain or TLS: any bufferevent, connected or connecting) into a relay
 * stream with an HTTP upgrade, asynchronously on the stream's event
 * base. See dagz-protocol(7), THE RELAY.
 */
#ifndef DAGZ_RELAY_H
#define DAGZ_RELAY_H

#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#define RELAY_TIMEOUT		10	/* seconds for dagzd's reply */
#define RELAY_HEADER_TOKEN	"X-Dagz-Job-Token"

/*
 * The outcome of relay_open: the stream, upgraded, with whatever came
 * after dagzd's reply already in its input, and err NULL; or bev NULL
 * (the stream is freed) and err saying why, such as "relay: 503 no
 * scheduler listening for job '...'". The callback owns bev.
 */
typedef void	(*relay_cb)(struct bufferevent *, const char *, void *);

void	 relay_open(struct bufferevent *, const char *, const char *,
	    const char *, const char *, relay_cb, void *);
int	 relay_dial(struct event_base *, const char *, const char *,
	    const char *, const char *, const char *, const char *, relay_cb,
	    void *, char *, size_t);
char	*relay_host(const char *);
char	*relay_path(const char *, const char *, const char *, const char *);

#endif
