/*
 * sched-node.c: the nodes of one job. Ours is nodes[0], whose vassal
 * the scheduler starts; in a job of many nodes the others join over TCP
 * with the job's token, each with its own vassal and workers, numbered
 * after those already in the job. Every node collects the suite from its
 * own checkout; a test runs only on nodes that collected it alike (its
 * definition, with the node's project root taken out, hashes the same),
 * and one defined otherwise on some nodes is a dagz error naming them.
 * The scheduler sends ids, never commands.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>

#include "baseline.h"
#include "exitcodes.h"
#include "ndjson.h"
#include "net.h"
#include "outbox.h"
#include "relay.h"
#include "store.h"
#include "proto.h"
#include "sched.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"

/* A connection has this long to join; so many may wait, per source. */
#define NODE_JOIN_TIMEOUT	10
#define NODE_GATES_MAX		64
#define NODE_GATES_PER_SOURCE	4
#define NODE_LISTENERS		4
/* Seconds before asking dagzd's relay again. */
#define NODE_RELAY_RETRY	2
/* Seconds the end waits for the other nodes to take the report. */
#define NODE_END_WAIT		10

/* A connection that has not joined yet: only a join may pass. */
struct gate {
	struct sched_net	*net;
	struct ndjson_peer	*peer;
	struct event		*ev_timeout;
	char			 source[INET6_ADDRSTRLEN];
	TAILQ_ENTRY(gate)	 entry;
};
TAILQ_HEAD(gates, gate);

struct sched_net {
	struct sched		*s;
	/* dagzd's relay: its control stream, and where to ask again. */
	struct ndjson_peer	*relay;
	char			*relay_url;
	char			*relay_token;	/* the store's */
	struct event		*ev_relay;
	int			 fds[NODE_LISTENERS];
	struct event		*ev[NODE_LISTENERS];
	int			 nfds;
	char			 token[65];
	struct gates		 gates;
	int			 ngates;
};

static struct snode *
node_new(struct sched *s, int index, int local)
{
	struct snode *n;

	n = xcalloc(1, sizeof *n);
	n->sched = s;
	n->pos = s->nnodes;
	n->index = index;
	n->local = local;
	n->first = s->nworkers;
	s->nodes = xreallocarray(s->nodes, s->nnodes + 1, sizeof *s->nodes);
	s->nodes[s->nnodes++] = n;
	return (n);
}

/*
 * n more workers for node pos. The queues' heads move with the array:
 * each queue is set aside and put back.
 */
void
node_workers_grow(struct sched *s, int n)
{
	struct test_queue *keep;
	struct sworker *w;
	int k, old = s->nworkers, pos = s->nnodes - 1;

	keep = xcalloc(old + 1, sizeof *keep);
	for (k = 0; k < old; k++) {
		TAILQ_INIT(&keep[k]);
		TAILQ_CONCAT(&keep[k], &s->workers[k].queue, qentry);
	}
	s->workers = xreallocarray(s->workers, old + n, sizeof *s->workers);
	memset(s->workers + old, 0, n * sizeof *s->workers);
	s->nworkers = old + n;
	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		TAILQ_INIT(&w->queue);
		if (k < old) {
			TAILQ_CONCAT(&w->queue, &keep[k], qentry);
			continue;
		}
		w->index = k;
		w->node = pos;
		w->last_finished = time_mono();
		if (s->loaded)
			w->fix = xcalloc(s->nfixtures + 1, sizeof *w->fix);
	}
	free(keep);
	store_workers_grow(s);
}

struct snode *
node_local(struct sched *s)
{
	struct snode *n;

	n = node_new(s, s->slot, 1);
	n->root = s->root != NULL ? xstrdup(s->root) : NULL;
	n->nworkers = s->opt.workers;
	if (gethostname(n->host, sizeof n->host) == -1)
		strlcpy(n->host, "?", sizeof n->host);
	node_workers_grow(s, n->nworkers);
	return (n);
}

/* Whether every node expected is in and has collected, or time is up. */
int
node_all_loaded(struct sched *s)
{
	int i, loaded = 0;

	if (s->nodes[0]->state != NODE_LOADED)
		return (0);
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i]->state == NODE_LOADED)
			loaded++;
	return (loaded >= s->slots ||
	    time_mono() - s->t0 >= s->opt.wait_nodes);
}

int
node_may_run(struct sched *s, struct test *t, struct sworker *w)
{
	return (w->state != WS_FAILED &&
	    (t->nodes & (1ULL << s->nodes[w->node]->index)) != 0);
}

/*
 * What a definition is, wherever its checkout lies: its JSON with the
 * node's project root taken out, hashed.
 */
static uint64_t
node_digest(const struct test_def *def, const char *root)
{
	json_t *o;
	char *text, *p, *q;
	uint64_t h = 0;
	size_t n = root != NULL ? strlen(root) : 0;

	o = testdef_to_json(def);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		return (0);
	p = text;
	while (n > 1 && (q = strstr(p, root)) != NULL) {
		h = baseline_hash(p, q - p, h);
		h = baseline_hash("\001", 1, h);
		p = q + n;
	}
	h = baseline_hash(p, strlen(p), h);
	free(text);
	return (h);
}

static struct test *
node_find(struct sched *s, const char *id)
{
	return (sched_find(s, id));
}

/* The index of s->tests, anew: the array may have moved. */
static void
node_index(struct sched *s)
{
	size_t i;

	RB_INIT(&s->by_id);
	for (i = 0; i < s->ntests; i++)
		RB_INSERT(test_tree, &s->by_id, &s->tests[i]);
}

static void
node_conflict(struct test *t, struct snode *a, struct snode *b)
{
	char *c;

	if (t->conflict == NULL) {
		xasprintf(&t->conflict, "defined differently on node %d and "
		    "node %d", a->index, b->index);
		return;
	}
	xasprintf(&c, "%s, node %d", t->conflict, b->index);
	free(t->conflict);
	t->conflict = c;
}

/*
 * Node n's tests become the job's: a test it collected alike may run
 * there; one it defines otherwise is a conflict; one the job lacks is
 * added, before planning, or left out with a warning after.
 */
int
node_merge(struct sched *s, struct snode *n)
{
	struct snode *local = s->nodes[0];
	struct test *t;
	char **only = NULL, *list;
	size_t i, j;
	uint64_t bit = 1ULL << n->index;

	if (n->merged)
		return (0);
	n->merged = 1;
	if (!s->loaded)
		node_index(s);
	for (i = 0; i < n->nfixdefs; i++) {
		for (j = 0; j < s->nfixtures; j++)
			if (strcmp(s->fixtures[j].def.name,
			    n->fixdefs[i].name) == 0)
				break;
		if (j < s->nfixtures || s->loaded)
			continue;
		s->fixtures = xreallocarray(s->fixtures, s->nfixtures + 1,
		    sizeof *s->fixtures);
		memset(&s->fixtures[s->nfixtures], 0, sizeof *s->fixtures);
		s->fixtures[s->nfixtures++].def = n->fixdefs[i];
		memset(&n->fixdefs[i], 0, sizeof n->fixdefs[i]);
	}
	for (i = 0; i < n->ndefs; i++) {
		if ((t = node_find(s, n->defs[i].id)) != NULL) {
			if (node_digest(&t->def, local->root) ==
			    node_digest(&n->defs[i], n->root))
				t->nodes |= bit;
			else
				node_conflict(t, local, n);
			continue;
		}
		if (s->loaded) {
			only = strv_push(only, n->defs[i].id);
			continue;
		}
		s->tests = xreallocarray(s->tests, s->ntests + 1,
		    sizeof *s->tests);
		t = &s->tests[s->ntests++];
		memset(t, 0, sizeof *t);
		t->def = n->defs[i];
		t->nodes = bit;
		testdef_init(&n->defs[i]);
		node_index(s);
	}
	if (only != NULL) {
		list = strv_join(only, ", ");
		out_line(s, "warning: node %d joined after planning; what only "
		    "it collected does not run: %s", n->index, list);
		free(list);
		strv_free(only);
	}
	return (0);
}

/* The tests collected by some nodes only, named once, with the others. */
static void
node_warn_partial(struct sched *s)
{
	uint64_t all = 0;
	size_t i, shown = 0, partial = 0;
	int k;
	char missing[256];

	for (k = 0; k < s->nnodes; k++)
		if (s->nodes[k]->merged || k == 0)
			all |= 1ULL << s->nodes[k]->index;
	for (i = 0; i < s->ntests; i++) {
		if ((s->tests[i].nodes & all) == all ||
		    s->tests[i].conflict != NULL)
			continue;
		partial++;
		if (shown++ >= 5)
			continue;
		missing[0] = '\0';
		for (k = 0; k < s->nnodes; k++) {
			if (!(all & (1ULL << s->nodes[k]->index)) ||
			    (s->tests[i].nodes & (1ULL << s->nodes[k]->index)))
				continue;
			snprintf(missing + strlen(missing), sizeof missing -
			    strlen(missing), "%s%d", missing[0] != '\0' ?
			    ", " : "", s->nodes[k]->index);
		}
		out_line(s, "warning: test '%s' was not collected on node %s: "
		    "it runs on the others only", s->tests[i].def.id, missing);
	}
	if (shown > 5)
		out_line(s, "warning: and %zu more tests not collected on "
		    "every node", partial - 5);
}

/* Every node's tests, when planning starts. */
void
node_merge_all(struct sched *s)
{
	int k;

	for (k = 1; k < s->nnodes; k++)
		if (s->nodes[k]->state == NODE_LOADED)
			node_merge(s, s->nodes[k]);
	if (s->nnodes > 1)
		node_warn_partial(s);
}

static void	node_gate_free(struct gate *);

/*
 * A message to node n: to ours at once; to another through its outbox,
 * kept until it says it has it, sent again if the connection breaks.
 */
void
node_send(struct sched *s, struct snode *n, json_t *msg)
{
	if (n->local) {
		ndjson_send(n->peer, msg);
		return;
	}
	if (n->state == NODE_GONE) {
		json_decref(msg);
		return;
	}
	outbox_send(n->out, n->peer, msg);
}

/* Each tick: every connected node hears how much of it came. */
void
node_tick(struct sched *s)
{
	struct snode *n;
	int k;

	for (k = 1; k < s->nnodes; k++) {
		n = s->nodes[k];
		if (n->peer == NULL || n->acked == n->received)
			continue;
		n->acked = n->received;
		ndjson_send(n->peer, proto_ack_encode(n->received));
	}
}

static void
node_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct snode *n = arg;
	char why[64];

	snprintf(why, sizeof why, "no reconnect within %.0fs",
	    n->sched->opt.reconnect_grace);
	dispatch_node_lost(n->sched, n, why);
}

/*
 * Node n's connection broke: its workers go on, and it has the grace
 * to come back with what they did; nothing more goes to it meanwhile.
 */
void
node_away(struct sched *s, struct snode *n, const char *why)
{
	struct timeval tv;

	n->away = 1;
	tv.tv_sec = s->opt.reconnect_grace;
	tv.tv_usec = (s->opt.reconnect_grace - tv.tv_sec) * 1e6;
	if (n->ev_grace == NULL)
		n->ev_grace = evtimer_new(s->base, node_grace_over, n);
	evtimer_add(n->ev_grace, &tv);
	out_line(s, "node %d disconnected: %s; it has %.0fs to come back",
	    n->index, why, s->opt.reconnect_grace);
}

/* The config a node's vassal runs its tests with. */
void
node_send_config(struct sched *s, struct snode *n)
{
	struct msg_config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.job = s->job;
	cfg.timeout = s->opt.timeout;
	cfg.grace = s->opt.grace;
	cfg.mem_budget = s->opt.mem_budget;
	cfg.leak = s->opt.leak;
	cfg.log_dir = s->log_dir;
	/*
	 * Tests run under the probe only when a store will keep what it
	 * sees: its traces are the next baseline, and without one the
	 * probe's start in every process of every test is cost for nothing.
	 */
	cfg.root = s->store != NULL ? s->root : NULL;
	cfg.first_worker = n->first;
	cfg.node = n->index;
	cfg.worker_env = s->opt.worker_env != NULL ? s->opt.worker_env :
	    s->opt.config.worker_env;
	cfg.worker_mem_budget = s->opt.worker_mem_budget;
	node_send(s, n, proto_config_encode(&cfg));
}

/* Equal tokens, in a time that does not tell how much of them is. */
static int
node_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < lb; i++)
		d |= (unsigned char)a[i % (la + 1)] ^ (unsigned char)b[i];
	return (d == 0);
}

/* Why join j may not take part, or NULL. */
static const char *
node_refuse(struct sched *s, const struct msg_join *j)
{
	int k;

	if (!node_token_equal(j->token, s->net->token))
		return ("wrong job token");
	if (s->ending)
		return ("the job is ending");
	if (j->node < 0 || j->node >= s->slots)
		return ("no such node");
	for (k = 0; k < s->nnodes; k++) {
		if (s->nodes[k]->index != j->node)
			continue;
		if (s->nodes[k]->state == NODE_GONE)
			return ("that node was lost");
		if (!s->nodes[k]->away)
			return ("that node has joined already");
	}
	if (s->nworkers + j->workers > 100000)
		return ("too many workers");
	return (NULL);
}

/*
 * Node n is back within its grace: the new connection replaces the old,
 * and each side sends again what the other did not get.
 */
static void
node_rejoin(struct sched *s, struct snode *n, struct gate *g,
    struct msg_join *j)
{
	struct msg_welcome wel;
	int k;

	n->peer = g->peer;
	g->peer = NULL;
	n->away = 0;
	evtimer_del(n->ev_grace);
	ndjson_set_callbacks(n->peer, sched_node_msg, sched_node_close, n);
	node_gate_free(g);
	outbox_ack(n->out, j->resume);
	proto_join_clear(j);
	memset(&wel, 0, sizeof wel);
	wel.job = s->job;
	wel.first_worker = n->first;
	wel.time = time_unix();
	wel.resume = n->received;
	ndjson_send(n->peer, proto_welcome_encode(&wel));
	n->acked = n->received;
	outbox_replay(n->out, n->peer);
	for (k = n->first; k < n->first + n->nworkers; k++)
		s->workers[k].reconnects++;
	out_line(s, "node %d reconnected: %zu message%s sent again",
	    n->index, outbox_pending(n->out),
	    outbox_pending(n->out) == 1 ? "" : "s");
	dispatch(s);
}

static void
node_gate_msg(struct ndjson_peer *peer, json_t *msg, void *arg)
{
	struct gate *g = arg;
	struct sched *s = g->net->s;
	struct msg_welcome wel;
	struct msg_join j;
	struct snode *n;
	const char *why;
	char err[256], source[INET6_ADDRSTRLEN];
	int k;

	memset(&j, 0, sizeof j);
	if (proto_type(msg) != PROTO_JOIN) {
		why = "not a join";
		goto refuse;
	}
	if (proto_join_decode(msg, &j, err, sizeof err) == -1) {
		why = "a bad join";
		goto refuse;
	}
	if ((why = node_refuse(s, &j)) != NULL)
		goto refuse;
	for (k = 0; k < s->nnodes; k++)
		if (s->nodes[k]->index == j.node) {
			node_rejoin(s, s->nodes[k], g, &j);
			return;
		}

	n = node_new(s, j.node, 0);
	n->out = outbox_new();
	n->peer = g->peer;
	g->peer = NULL;
	strlcpy(source, g->source, sizeof source);
	n->nworkers = j.workers;
	n->joined = time_unix();
	n->root = j.root != NULL ? xstrdup(j.root) : NULL;
	strlcpy(n->host, j.host, sizeof n->host);
	node_workers_grow(s, n->nworkers);
	ndjson_set_callbacks(n->peer, sched_node_msg, sched_node_close, n);
	node_gate_free(g);
	proto_join_clear(&j);

	memset(&wel, 0, sizeof wel);
	wel.job = s->job;
	wel.first_worker = n->first;
	wel.time = time_unix();
	ndjson_send(n->peer, proto_welcome_encode(&wel));
	node_send_config(s, n);
	out_line(s, "node %d (%s) joined from %s: worker%s #%d%s%.0d",
	    n->index, n->host, source, n->nworkers > 1 ? "s" : "", n->first,
	    n->nworkers > 1 ? "-#" : "", n->nworkers > 1 ?
	    n->first + n->nworkers - 1 : 0);
	return;
refuse:
	/* Said without the token, which must never reach a log. */
	out_line(s, "refused a connection from %s: %s", g->source, why);
	proto_join_clear(&j);
	node_gate_free(g);
}

static void
node_gate_close(struct ndjson_peer *peer, const char *why, void *arg)
{
	struct gate *g = arg;

	out_line(g->net->s, "refused a connection from %s: %s", g->source,
	    strcmp(why, "connection closed") == 0 ? "closed before joining" :
	    why);
	node_gate_free(g);
}

static void
node_gate_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct gate *g = arg;

	out_line(g->net->s, "refused a connection from %s: no join within "
	    "%ds", g->source, NODE_JOIN_TIMEOUT);
	node_gate_free(g);
}

static void
node_gate_free(struct gate *g)
{
	TAILQ_REMOVE(&g->net->gates, g, entry);
	g->net->ngates--;
	if (g->peer != NULL)
		ndjson_peer_free(g->peer);
	event_free(g->ev_timeout);
	free(g);
}

/* A connection that must join first, on stream bev (taken). */
static void
node_gate_new(struct sched_net *net, struct bufferevent *bev,
    const char *source)
{
	struct timeval tv = { NODE_JOIN_TIMEOUT, 0 };
	struct gate *g;

	if (bev == NULL)
		return;
	g = xcalloc(1, sizeof *g);
	g->net = net;
	strlcpy(g->source, source, sizeof g->source);
	g->peer = ndjson_peer_new_bev(bev, "node", node_gate_msg,
	    node_gate_close, g);
	g->ev_timeout = evtimer_new(net->s->base, node_gate_timeout, g);
	evtimer_add(g->ev_timeout, &tv);
	TAILQ_INSERT_TAIL(&net->gates, g, entry);
	net->ngates++;
}

static void	node_relay_listen(struct sched_net *);

/* A node through the relay: it must join as one that came directly. */
static void
node_relay_accepted(struct bufferevent *bev, const char *err, void *arg)
{
	struct sched_net *net = arg;

	if (bev == NULL) {
		out_line(net->s, "%s", err);
		return;
	}
	if (net->ngates >= NODE_GATES_MAX) {
		bufferevent_free(bev);
		return;
	}
	node_gate_new(net, bev, "the relay");
}

/* The relay says a node is waiting there: take it. */
static void
node_relay_msg(struct ndjson_peer *peer, json_t *msg, void *arg)
{
	struct sched_net *net = arg;
	const char *id = json_string_value(json_object_get(msg, "id"));
	char err[256];

	if (id == NULL || strcmp(json_string_value(json_object_get(msg,
	    "type")), "relay") != 0)
		return;
	if (relay_dial(net->s->base, net->relay_url, net->relay_token,
	    "accept", net->s->job, id, net->token, node_relay_accepted, net,
	    err, sizeof err) == -1)
		out_line(net->s, "relay: %s", err);
}

static void
node_relay_retry(evutil_socket_t fd, short what, void *arg)
{
	node_relay_listen(arg);
}

/* The relay's control stream broke (dagzd restarted?): ask again. */
static void
node_relay_lost(struct sched_net *net, const char *why)
{
	struct timeval tv = { NODE_RELAY_RETRY, 0 };

	if (net->s->ending)
		return;
	out_line(net->s, "relay: %s; asking again in %ds", why,
	    NODE_RELAY_RETRY);
	evtimer_add(net->ev_relay, &tv);
}

static void
node_relay_close(struct ndjson_peer *peer, const char *why, void *arg)
{
	struct sched_net *net = arg;

	ndjson_peer_free(peer);
	net->relay = NULL;
	node_relay_lost(net, why);
}

static void
node_relay_listening(struct bufferevent *bev, const char *err, void *arg)
{
	struct sched_net *net = arg;

	if (bev == NULL) {
		node_relay_lost(net, err);
		return;
	}
	net->relay = ndjson_peer_new_bev(bev, "relay", node_relay_msg,
	    node_relay_close, net);
}

/*
 * Listens at dagzd's relay too, for the nodes that cannot reach us:
 * dagzd announces each, and we take it on a stream of its own.
 */
static void
node_relay_listen(struct sched_net *net)
{
	char err[256];

	if (relay_dial(net->s->base, net->relay_url, net->relay_token,
	    "listen", net->s->job, NULL, net->token, node_relay_listening, net,
	    err, sizeof err) == -1)
		node_relay_lost(net, err);
}

void
node_relay(struct sched *s)
{
	struct sched_net *net = s->net;

	if (net == NULL)
		return;
	net->relay_url = store_url();
	net->relay_token = store_token();
	net->ev_relay = evtimer_new(s->base, node_relay_retry, net);
	node_relay_listen(net);
}

static void
node_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct sched_net *net = arg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	struct gate *g;
	char source[INET6_ADDRSTRLEN] = "?";
	int fd, same = 0;

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    source, sizeof source);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    source, sizeof source);
	TAILQ_FOREACH(g, &net->gates, entry)
		if (strcmp(g->source, source) == 0)
			same++;
	if (net->ngates >= NODE_GATES_MAX || same >= NODE_GATES_PER_SOURCE) {
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	node_gate_new(net, bufferevent_socket_new(net->s->base, fd,
	    BEV_OPT_CLOSE_ON_FREE), source);
}

/*
 * Listens for the other nodes on every address, with a fresh token of
 * 256 random bits; the addresses to publish: advertise if given, else
 * this machine's. NULL after a warning if it cannot listen.
 */
char **
node_listen(struct sched *s, const char **token)
{
	struct sched_net *net;
	unsigned char raw[32];
	char err[256], **addrs = NULL, host[256], port[16], *a;
	int k, p;
	size_t i;

	net = xcalloc(1, sizeof *net);
	net->s = s;
	TAILQ_INIT(&net->gates);
	if ((net->nfds = net_listen(NULL, net->fds, NODE_LISTENERS, &p, err,
	    sizeof err)) == -1) {
		warnx("%s", err);
		free(net);
		return (NULL);
	}
	for (k = 0; k < net->nfds; k++) {
		net->ev[k] = event_new(s->base, net->fds[k],
		    EV_READ | EV_PERSIST, node_accept, net);
		event_add(net->ev[k], NULL);
	}
	arc4random_buf(raw, sizeof raw);
	for (i = 0; i < sizeof raw; i++)
		snprintf(net->token + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	s->net = net;
	*token = net->token;
	if (s->opt.advertise == NULL)
		return (net_local_addresses(p));
	/* An address given without a port takes the listener's. */
	for (i = 0; s->opt.advertise[i] != NULL; i++) {
		if (net_split(s->opt.advertise[i], host, sizeof host, port,
		    sizeof port) == 0)
			a = xstrdup(s->opt.advertise[i]);
		else if (strchr(s->opt.advertise[i], ':') != NULL)
			xasprintf(&a, "[%s]:%d", s->opt.advertise[i], p);
		else
			xasprintf(&a, "%s:%d", s->opt.advertise[i], p);
		addrs = strv_push(addrs, a);
		free(a);
	}
	return (addrs);
}

/* Whether a node other than ours is still connected. */
static int
node_any_remote(struct sched *s)
{
	int k;

	for (k = 1; k < s->nnodes; k++)
		if (s->nodes[k]->peer != NULL)
			return (1);
	return (0);
}

static void
node_end_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;

	event_base_loopexit(s->base, NULL);
}

/*
 * The job's end for the other nodes: the report the scheduler printed,
 * its exit status, then shutdown. Each closes once its workers are
 * gone; we wait for that, a while at most: closing first could reset
 * the connection and lose the report on its way.
 */
void
node_end(struct sched *s, int code)
{
	struct timeval tv = { NODE_END_WAIT, 0 };
	struct event *ev;
	struct snode *n;
	int k;

	s->draining = 1;
	for (k = 1; k < s->nnodes; k++) {
		n = s->nodes[k];
		if (n->peer == NULL)
			continue;
		node_send(s, n, proto_report_encode(s->mirror, code));
		node_send(s, n, proto_shutdown_encode());
	}
	if (!node_any_remote(s))
		return;
	ev = evtimer_new(s->base, node_end_timeout, s);
	evtimer_add(ev, &tv);
	event_base_dispatch(s->base);
	event_free(ev);
}

/* A node closed while the job ends: the last one ends the wait. */
void
node_closed(struct sched *s)
{
	if (s->draining && !node_any_remote(s))
		event_base_loopexit(s->base, NULL);
}

void
node_free_all(struct sched *s)
{
	struct snode *n;
	struct gate *g;
	size_t i;
	int k;

	for (k = 0; k < s->nnodes; k++) {
		n = s->nodes[k];
		/* nodes[0]'s peer is s->vassal, freed with it. */
		if (k > 0 && n->peer != NULL)
			ndjson_peer_free(n->peer);
		for (i = 0; i < n->ndefs; i++)
			testdef_clear(&n->defs[i]);
		free(n->defs);
		for (i = 0; i < n->nfixdefs; i++)
			fixturedef_clear(&n->fixdefs[i]);
		free(n->fixdefs);
		free(n->root);
		outbox_free(n->out);
		if (n->ev_grace != NULL)
			event_free(n->ev_grace);
		free(n);
	}
	free(s->nodes);
	s->nodes = NULL;
	s->nnodes = 0;
	if (s->net == NULL)
		return;
	while ((g = TAILQ_FIRST(&s->net->gates)) != NULL)
		node_gate_free(g);
	if (s->net->relay != NULL)
		ndjson_peer_free(s->net->relay);
	if (s->net->ev_relay != NULL)
		event_free(s->net->ev_relay);
	free(s->net->relay_url);
	if (s->net->relay_token != NULL)
		explicit_bzero(s->net->relay_token,
		    strlen(s->net->relay_token));
	free(s->net->relay_token);
	for (k = 0; k < s->net->nfds; k++) {
		event_free(s->net->ev[k]);
		close(s->net->fds[k]);
	}
	explicit_bzero(s->net->token, sizeof s->net->token);
	free(s->net);
	s->net = NULL;
}
