/*
 * outbox.c: what was sent and not yet acknowledged, in order; the first
 * kept is message number acked + 1.
 */
#include <sys/queue.h>

#include <stdlib.h>

#include "ndjson.h"
#include "outbox.h"
#include "xmalloc.h"

struct kept {
	json_t			*msg;
	TAILQ_ENTRY(kept)	 entry;
};

struct outbox {
	TAILQ_HEAD(, kept)	 kept;
	size_t			 n;
	uint64_t		 sent;
	uint64_t		 acked;
};

struct outbox *
outbox_new(void)
{
	struct outbox *o;

	o = xcalloc(1, sizeof *o);
	TAILQ_INIT(&o->kept);
	return (o);
}

void
outbox_free(struct outbox *o)
{
	if (o == NULL)
		return;
	outbox_ack(o, o->sent);
	free(o);
}

void
outbox_send(struct outbox *o, struct ndjson_peer *peer, json_t *msg)
{
	struct kept *k;

	k = xcalloc(1, sizeof *k);
	k->msg = msg;
	TAILQ_INSERT_TAIL(&o->kept, k, entry);
	o->n++;
	o->sent++;
	if (peer != NULL)
		ndjson_send(peer, json_incref(msg));
}

void
outbox_ack(struct outbox *o, uint64_t count)
{
	struct kept *k;

	if (count > o->sent)
		count = o->sent;
	while (o->acked < count && (k = TAILQ_FIRST(&o->kept)) != NULL) {
		TAILQ_REMOVE(&o->kept, k, entry);
		json_decref(k->msg);
		free(k);
		o->n--;
		o->acked++;
	}
}

void
outbox_replay(struct outbox *o, struct ndjson_peer *peer)
{
	struct kept *k;

	TAILQ_FOREACH(k, &o->kept, entry)
		ndjson_send(peer, json_incref(k->msg));
}

uint64_t
outbox_sent(struct outbox *o)
{
	return (o->sent);
}

size_t
outbox_pending(struct outbox *o)
{
	return (o->n);
}
