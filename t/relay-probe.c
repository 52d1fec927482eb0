/*
 * relay-probe: both ends of dagzd's relay, for t/dagzd-relay.bats. As a
 * scheduler it listens for a job and echoes each line of every vassal
 * it accepts; as a vassal it sends numbered lines and checks their
 * echoes; as a flood it sends bytes until dagzd stops taking them. The
 * job token comes from DAGZ_JOB_TOKEN, the store's from DAGZ_TOKEN.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "ndjson.h"
#include "relay.h"
#include "store.h"
#include "xmalloc.h"

#define FLOOD_BLOCK	(1024 * 1024)
#define FLOOD_STILL	5	/* checks, 100 ms apart, without progress */

static struct event_base *base;
static const char *url, *job;
static char *store_tok;
static const char *job_tok;
static int stall, hold;
static long long want, got;
static size_t flood_total, flood_last;
static int flood_still, flood_told;
static struct bufferevent *flood_bev;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: relay-probe scheduler [-s] url job\n"
	    "       relay-probe vassal [-h] url job lines\n"
	    "       relay-probe flood url job bytes\n");
	exit(2);
}

/* Opens relay stream what (listen, connect, accept) and calls cb. */
static void
probe_open(const char *what, const char *id, relay_cb cb, void *arg)
{
	char err[256];

	if (relay_dial(base, url, store_tok, what, job, id, job_tok, cb, arg,
	    err, sizeof err) == -1)
		errx(1, "%s", err);
}

static void
echo_msg(struct ndjson_peer *p, json_t *msg, void *arg)
{
	ndjson_send(p, json_pack("{s:s, s:O}", "type", "echo", "of", msg));
}

static void
echo_close(struct ndjson_peer *p, const char *why, void *arg)
{
	ndjson_peer_free(p);
}

static void
on_accept(struct bufferevent *bev, const char *err, void *arg)
{
	char *id = arg;

	if (bev == NULL) {
		warnx("accept '%s': %s", id, err);
		free(id);
		return;
	}
	printf("accepted %s\n", id);
	fflush(stdout);
	if (stall)
		/* Never read: the vassal's bytes must wait in dagzd. */
		bufferevent_disable(bev, EV_READ);
	else
		ndjson_peer_new_bev(bev, id, echo_msg, echo_close, NULL);
	free(id);
}

static void
on_notice(struct ndjson_peer *p, json_t *msg, void *arg)
{
	const char *type, *id;

	type = json_string_value(json_object_get(msg, "type"));
	id = json_string_value(json_object_get(msg, "id"));
	if (type == NULL || strcmp(type, "relay") != 0 || id == NULL)
		errx(1, "unexpected notice on the listener");
	probe_open("accept", id, on_accept, xstrdup(id));
}

static void
on_listener_close(struct ndjson_peer *p, const char *why, void *arg)
{
	errx(1, "the listener closed: %s", why);
}

static void
on_listen(struct bufferevent *bev, const char *err, void *arg)
{
	if (bev == NULL)
		errx(1, "%s", err);
	ndjson_peer_new_bev(bev, "listener", on_notice, on_listener_close,
	    NULL);
	printf("listening\n");
	fflush(stdout);
}

static void
vassal_msg(struct ndjson_peer *p, json_t *msg, void *arg)
{
	json_t *of = json_object_get(msg, "of");
	char *s;

	if (json_integer_value(json_object_get(of, "n")) != got + 1) {
		s = ndjson_encode(msg);
		errx(1, "echo %lld: unexpected '%s'", got + 1, s);
	}
	if (++got == want) {
		printf("ok %lld\n", want);
		fflush(stdout);
		if (!hold)
			exit(0);
	}
}

static void
vassal_close(struct ndjson_peer *p, const char *why, void *arg)
{
	errx(1, "the relay closed after %lld of %lld echoes: %s", got, want,
	    why);
}

static void
on_connect(struct bufferevent *bev, const char *err, void *arg)
{
	struct ndjson_peer *p;
	long long i;

	if (bev == NULL)
		errx(1, "%s", err);
	p = ndjson_peer_new_bev(bev, "relay", vassal_msg, vassal_close, NULL);
	for (i = 1; i <= want; i++)
		ndjson_send(p, json_pack("{s:s, s:I, s:s}", "type", "line",
		    "n", (json_int_t)i, "pad", "0123456789abcdef"));
	if (want == 0) {
		printf("ok 0\n");
		fflush(stdout);
		if (!hold)
			exit(0);
	}
}

/* Says once how much was sent when the stream stops taking more. */
static void
flood_check(evutil_socket_t fd, short what, void *arg)
{
	size_t left = evbuffer_get_length(bufferevent_get_output(flood_bev));

	if (flood_told)
		return;
	if (left == 0) {
		printf("sent all %zu\n", flood_total);
		fflush(stdout);
		flood_told = 1;
		return;
	}
	if (left != flood_last) {
		flood_last = left;
		flood_still = 0;
		return;
	}
	if (++flood_still == FLOOD_STILL) {
		printf("stalled after %zu\n", flood_total - left);
		fflush(stdout);
		flood_told = 1;
	}
}

static void
flood_event(struct bufferevent *bev, short what, void *arg)
{
	errx(1, "the relay closed");
}

static void
on_flood(struct bufferevent *bev, const char *err, void *arg)
{
	static char block[FLOOD_BLOCK];
	struct evbuffer *out;
	struct event *ev;
	struct timeval tv = { 0, 100000 };
	size_t n;

	if (bev == NULL)
		errx(1, "%s", err);
	flood_bev = bev;
	memset(block, 'x', sizeof block);
	block[sizeof block - 1] = '\n';
	out = bufferevent_get_output(bev);
	for (n = 0; n < flood_total; n += FLOOD_BLOCK)
		evbuffer_add_reference(out, block, flood_total - n < FLOOD_BLOCK ?
		    flood_total - n : FLOOD_BLOCK, NULL, NULL);
	flood_last = evbuffer_get_length(out);
	bufferevent_setcb(bev, NULL, NULL, flood_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	ev = event_new(base, -1, EV_PERSIST, flood_check, NULL);
	event_add(ev, &tv);
}

static long long
number(const char *s)
{
	const char *errstr;
	long long n;

	n = strtonum(s, 0, 1LL << 40, &errstr);
	if (errstr != NULL)
		errx(2, "'%s': %s", s, errstr);
	return (n);
}

int
main(int argc, char **argv)
{
	const char *mode;
	char *p;
	int ch;

	if (argc < 2)
		usage();
	mode = argv[1];
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "hs")) != -1) {
		switch (ch) {
		case 'h':
			hold = 1;
			break;
		case 's':
			stall = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	url = argv[0];
	job = argv[1];
	if ((job_tok = getenv("DAGZ_JOB_TOKEN")) == NULL)
		errx(2, "DAGZ_JOB_TOKEN is not set");
	store_tok = store_token();
	if ((p = relay_host(url)) == NULL)
		errx(2, "invalid dagzd URL '%s'", url);
	free(p);
	if ((base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if (strcmp(mode, "scheduler") == 0 && argc == 2)
		probe_open("listen", NULL, on_listen, NULL);
	else if (strcmp(mode, "vassal") == 0 && argc == 3) {
		want = number(argv[2]);
		probe_open("connect", NULL, on_connect, NULL);
	} else if (strcmp(mode, "flood") == 0 && argc == 3) {
		flood_total = number(argv[2]);
		probe_open("connect", NULL, on_flood, NULL);
	} else
		usage();
	event_base_dispatch(base);
	return (1);
}
