/*
 * outbox.h: messages kept until the other side has them, so that a
 * connection that breaks loses none and doubles none. Each side counts
 * the messages it receives, says the count in acks and when it comes
 * back; the sender forgets what was acknowledged and sends the rest
 * again on the new connection.
 */
#ifndef DAGZ_OUTBOX_H
#define DAGZ_OUTBOX_H

#include <stdint.h>

#include <jansson.h>

struct ndjson_peer;
struct outbox;

struct outbox	*outbox_new(void);
void		 outbox_free(struct outbox *);
/* Keeps msg (stolen) and sends it on peer, if there is one. */
void		 outbox_send(struct outbox *, struct ndjson_peer *, json_t *);
/* The other side has the first count messages. */
void		 outbox_ack(struct outbox *, uint64_t);
/* After outbox_ack(count): sends again what came after, on peer. */
void		 outbox_replay(struct outbox *, struct ndjson_peer *);
uint64_t	 outbox_sent(struct outbox *);
size_t		 outbox_pending(struct outbox *);

#endif
