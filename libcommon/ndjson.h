/*
 * ndjson.h: a peer that exchanges newline-delimited JSON over a socket,
 * on a libevent bufferevent. Lines longer than NDJSON_MAX_LINE close the
 * peer. ndjson_send() steals the reference to msg; the msg passed to the
 * message callback is borrowed and freed when the callback returns.
 */
#ifndef DAGZ_NDJSON_H
#define DAGZ_NDJSON_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>

#define NDJSON_MAX_LINE		(4 * 1024 * 1024)
#define NDJSON_HIGH_WATER	(64 * 1024 * 1024)

struct ndjson_peer;

typedef void	(*ndjson_msg_cb)(struct ndjson_peer *, json_t *, void *);
typedef void	(*ndjson_close_cb)(struct ndjson_peer *, const char *, void *);

struct ndjson_peer *ndjson_peer_new(struct event_base *, int, const char *,
		    ndjson_msg_cb, ndjson_close_cb, void *);
struct bufferevent;
struct ndjson_peer *ndjson_peer_new_bev(struct bufferevent *, const char *,
		    ndjson_msg_cb, ndjson_close_cb, void *);
void		 ndjson_peer_free(struct ndjson_peer *);
int		 ndjson_send(struct ndjson_peer *, json_t *);
void		 ndjson_flush(struct ndjson_peer *);
void		 ndjson_drain(struct ndjson_peer *);
const char	*ndjson_name(struct ndjson_peer *);
void		 ndjson_set_arg(struct ndjson_peer *, void *);
void		 ndjson_set_callbacks(struct ndjson_peer *, ndjson_msg_cb,
		    ndjson_close_cb, void *);

/* Encodes one message as a line (new allocation, no newline). */
char		*ndjson_encode(json_t *);

#endif
