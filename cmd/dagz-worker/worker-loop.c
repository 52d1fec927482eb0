/*
 * worker-loop.c: dagz-worker's event loop and its side of the protocol
 * with dagz-vassal: hello both ways, config, then exec requests that are
 * queued and run in order until shutdown or EOF. A malformed or
 * unexpected message means the two disagree about the protocol, so the
 * worker stops rather than guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "jsonv.h"
#include "log.h"
#include "proc.h"
#include "worker.h"
#include "xmalloc.h"

/* Queues msg to the vassal; steals msg. */
void
worker_send(struct worker *w, json_t *msg)
{
	if (w->peer == NULL) {
		json_decref(msg);
		return;
	}
	ndjson_send(w->peer, msg);
}

/*
 * Ends the worker: kills the running test's tree, says bye if asked to,
 * and leaves the loop; worker_main() then frees everything. Safe from
 * within the peer's callbacks.
 */
void
worker_stop(struct worker *w, int status, int bye)
{
	run_abort(w);
	if (bye) {
		worker_send(w, proto_bye_encode());
		ndjson_flush(w->peer);
	}
	ndjson_peer_free(w->peer);
	w->peer = NULL;
	w->status = status;
	event_base_loopbreak(w->base);
}

static void
worker_msg(struct ndjson_peer *p, json_t *msg, void *arg)
{
	static const char *const shutdown_keys[] = { "type", NULL };
	struct worker *w = arg;
	struct worker_job *job;
	struct msg_hello hello;
	enum proto_type type;
	char err[512];

	if (w->peer == NULL)
		return;
	switch ((type = proto_type(msg))) {
	case PROTO_HELLO:
		if (w->got_hello)
			goto unexpected;
		if (proto_hello_decode(msg, &hello, err, sizeof err) == -1)
			goto bad;
		if (strcmp(hello.role, "vassal") != 0) {
			snprintf(err, sizeof err, "role \"%s\", expected "
			    "\"vassal\"", hello.role);
			goto bad;
		}
		w->got_hello = 1;
		break;
	case PROTO_CONFIG:
		if (!w->got_hello || w->got_config)
			goto unexpected;
		if (proto_config_decode(msg, &w->config, err, sizeof err) == -1)
			goto bad;
		w->got_config = 1;
		log_debug("config: job %s, log dir '%s'", w->config.job,
		    w->config.log_dir);
		break;
	case PROTO_EXEC:
		if (!w->got_config)
			goto unexpected;
		job = xcalloc(1, sizeof *job);
		if (proto_exec_decode(msg, &job->exec, err, sizeof err) == -1) {
			proto_exec_clear(&job->exec);
			free(job);
			goto bad;
		}
		TAILQ_INSERT_TAIL(&w->jobs, job, entry);
		run_next(w);
		break;
	case PROTO_SHUTDOWN:
		if (jsonv_keys(msg, shutdown_keys, err, sizeof err) == -1)
			goto bad;
		log_debug("shutdown");
		worker_stop(w, DAGZ_EXIT_OK, 1);
		break;
	default:
		goto unexpected;
	}
	return;

bad:
	log_warnx("bad message from vassal: %s", err);
	worker_stop(w, DAGZ_EXIT_ERROR, 0);
	return;
unexpected:
	log_warnx("unexpected %s message from vassal",
	    json_string_value(json_object_get(msg, "type")));
	worker_stop(w, DAGZ_EXIT_ERROR, 0);
}

/* EOF is the vassal going away: a normal end. Garbage is not. */
static void
worker_closed(struct ndjson_peer *p, const char *why, void *arg)
{
	struct worker *w = arg;

	if (w->peer == NULL)
		return;
	if (strcmp(why, "connection closed") == 0 ||
	    strncmp(why, "connection error", 16) == 0) {
		log_debug("vassal: %s", why);
		worker_stop(w, DAGZ_EXIT_OK, 0);
	} else {
		log_warnx("vassal: %s", why);
		worker_stop(w, DAGZ_EXIT_ERROR, 0);
	}
}

static void
worker_sigchld(evutil_socket_t sig, short what, void *arg)
{
	run_reap(arg);
}

static void
worker_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;

	log_debug("%s: stopping", proc_signame(sig));
	worker_stop(w, DAGZ_EXIT_OK, 0);
}

static struct event *
worker_signal(struct worker *w, int sig, event_callback_fn cb)
{
	struct event *ev;

	if ((ev = evsignal_new(w->base, sig, cb, w)) == NULL ||
	    evsignal_add(ev, NULL) == -1)
		fatalx("cannot watch %s", proc_signame(sig));
	return (ev);
}

int
worker_main(int fd, int index)
{
	struct worker w;
	struct worker_job *job;
	struct msg_hello hello;

	memset(&w, 0, sizeof w);
	w.index = index;
	TAILQ_INIT(&w.jobs);
	/* Orphans of a test must come back to us to be found and killed. */
	if (proc_subreaper() == -1)
		fatal("prctl PR_SET_CHILD_SUBREAPER");
	if ((w.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	/* A vassal gone mid-write must be an error return, not a death. */
	signal(SIGPIPE, SIG_IGN);

	if ((w.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	w.ev_chld = worker_signal(&w, SIGCHLD, worker_sigchld);
	w.ev_term = worker_signal(&w, SIGTERM, worker_sigterm);
	w.ev_int = worker_signal(&w, SIGINT, worker_sigterm);
	w.ev_hup = worker_signal(&w, SIGHUP, worker_sigterm);
	run_init(&w);
	w.peer = ndjson_peer_new(w.base, fd, "vassal", worker_msg,
	    worker_closed, &w);

	memset(&hello, 0, sizeof hello);
	hello.proto = PROTO_VERSION;
	strlcpy(hello.role, "worker", sizeof hello.role);
	hello.pid = getpid();
	hello.worker = index;
	worker_send(&w, proto_hello_encode(&hello));

	if (event_base_dispatch(w.base) == -1)
		fatalx("event_base_dispatch");

	while ((job = TAILQ_FIRST(&w.jobs)) != NULL) {
		TAILQ_REMOVE(&w.jobs, job, entry);
		proto_exec_clear(&job->exec);
		free(job);
	}
	event_free(w.ev_chld);
	event_free(w.ev_term);
	event_free(w.ev_int);
	event_free(w.ev_hup);
	run_free(&w);
	ndjson_peer_free(w.peer);
	event_base_free(w.base);
	proto_config_clear(&w.config);
	close(w.devnull);
	return (w.status);
}
