/*
 * vassal-loop.c: the vassal's event loop. Messages from the scheduler
 * name tests by id; the vassal, which collected them, hands each worker
 * the whole definition. A worker that dies is reported, its orphaned
 * processes are killed, and it is started again; one the scheduler
 * recycles is shut down and replaced without a word of death.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "collect.h"
#include "ndjson.h"
#include "net.h"
#include "outbox.h"
#include "relay.h"
#include "store.h"
#include "proc.h"
#include "proto.h"
#include "strv.h"
#include "testdef.h"
#include "timeutil.h"
#include "vassal.h"
#include "utf8.h"
#include "xmalloc.h"
#include "zbuf.h"

#define VASSAL_MAX_RESTARTS	100
/* Seconds to try each address of the scheduler. */
#define VASSAL_DIAL_TIMEOUT	3
#define VASSAL_TICK_MS		500

static void	vassal_worker_spawn(struct vassal *, struct vworker *);
static void	vassal_maybe_exit(struct vassal *);
static void	vassal_join(struct vassal *);
static int	vassal_dial(struct vassal *, double);
static void	vassal_connect(struct vassal *, double);

/*
 * A message to the scheduler: over TCP, kept in the outbox until it
 * says it has it, so that a broken connection loses none.
 */
static void
vassal_send(struct vassal *v, json_t *msg)
{
	if (v->connect != NULL)
		outbox_send(v->out, v->sched, msg);
	else
		ndjson_send(v->sched, msg);
}

/* Reports an error; what it quotes of the input may not be UTF-8. */
static void
vassal_error(struct vassal *v, const char *kind, const char *msg)
{
	char *esc;

	esc = utf8_escape(msg);
	vassal_send(v, proto_error_encode(kind, esc));
	free(esc);
}

/* Notes that w was given attempt of test, until its result comes. */
static void
vassal_worker_took(struct vworker *w, char *test, int attempt)
{
	if (test == NULL)
		return;
	w->inflight = xreallocarray(w->inflight, w->ninflight + 1,
	    sizeof *w->inflight);
	w->inflight[w->ninflight].test = test;
	w->inflight[w->ninflight++].attempt = attempt;
}

/* The result of attempt of test came: w has it no more. */
static void
vassal_worker_answered(struct vworker *w, const char *test, int attempt)
{
	size_t i;

	for (i = 0; i < w->ninflight; i++) {
		if (w->inflight[i].attempt != attempt ||
		    strcmp(w->inflight[i].test, test) != 0)
			continue;
		free(w->inflight[i].test);
		memmove(&w->inflight[i], &w->inflight[i + 1],
		    (w->ninflight - i - 1) * sizeof *w->inflight);
		w->ninflight--;
		return;
	}
}

static void
vassal_worker_forget(struct vworker *w)
{
	size_t i;

	for (i = 0; i < w->ninflight; i++)
		free(w->inflight[i].test);
	free(w->inflight);
	w->inflight = NULL;
	w->ninflight = 0;
}

/*
 * Sends msg to w, or keeps it until w is ready; test and attempt name a
 * test's run (test NULL: a fixture's), which w then has until it answers.
 */
static void
vassal_worker_send(struct vworker *w, json_t *msg, const char *test,
    int attempt)
{
	struct pending *p;

	if (w->ready && w->peer != NULL) {
		ndjson_send(w->peer, msg);
		vassal_worker_took(w, test != NULL ? xstrdup(test) : NULL,
		    attempt);
		return;
	}
	p = xcalloc(1, sizeof *p);
	p->msg = msg;
	p->test = test != NULL ? xstrdup(test) : NULL;
	p->attempt = attempt;
	TAILQ_INSERT_TAIL(&w->queue, p, entry);
}

static void
vassal_worker_drain(struct vworker *w)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, p, entry);
		ndjson_send(w->peer, p->msg);
		vassal_worker_took(w, p->test, p->attempt);
		free(p);
	}
}

static void
vassal_worker_flush_queue(struct vworker *w)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, p, entry);
		json_decref(p->msg);
		free(p->test);
		free(p);
	}
}

/* A worker's state; w given for "died": the test's run it had taken. */
static void
vassal_send_worker_state(struct vassal *v, int index, const char *state,
    const char *reason, struct vworker *w)
{
	struct msg_worker m;

	memset(&m, 0, sizeof m);
	m.worker = index;
	strlcpy(m.state, state, sizeof m.state);
	m.reason = (char *)reason;
	if (w != NULL && w->ninflight > 0) {
		m.test = w->inflight[0].test;
		m.attempt = w->inflight[0].attempt;
	}
	vassal_send(v, proto_worker_encode(&m));
}

/*
 * A result, for a scheduler on another machine: started on its clock,
 * and the log itself, which it cannot read from here.
 */
static void
vassal_remote_result(struct vassal *v, struct msg_result *r)
{
	unsigned char *z;
	char *text;
	size_t len, zlen;

	r->start += v->offset;
	if (r->log == NULL || (text = zbuf_read_log(r->log, ZBUF_LOG_CAP,
	    &len, &r->log_size, &r->log_cut)) == NULL)
		return;
	if ((z = zbuf_deflate(text, len, &zlen)) != NULL) {
		r->logz = zbuf_b64_encode(z, zlen);
		free(z);
	}
	free(text);
}

/* A message from a worker: hello, then started and result to forward. */
static void
vassal_worker_msg(struct ndjson_peer *peer, json_t *msg, void *arg)
{
	struct vworker *w = arg;
	struct vassal *v = w->vassal;
	struct msg_hello hello;
	struct msg_started st;
	struct msg_result res;
	char err[512];

	switch (proto_type(msg)) {
	case PROTO_HELLO:
		if (proto_hello_decode(msg, &hello, err, sizeof err) == -1)
			fatalx("worker #%d: bad message: %s", w->index, err);
		hello.proto = PROTO_VERSION;
		strlcpy(hello.role, "vassal", sizeof hello.role);
		hello.pid = getpid();
		hello.worker = -1;
		hello.workers = 0;
		ndjson_send(peer, proto_hello_encode(&hello));
		ndjson_send(peer, proto_config_encode(&v->config));
		w->ready = 1;
		vassal_worker_drain(w);
		vassal_send_worker_state(v, w->index, "ready", NULL, NULL);
		break;
	case PROTO_STARTED:
		if (proto_started_decode(msg, &st, err, sizeof err) == -1)
			fatalx("worker #%d: bad started: %s", w->index, err);
		st.worker = w->index;
		vassal_send(v, proto_started_encode(&st));
		proto_started_clear(&st);
		break;
	case PROTO_RESULT:
		if (proto_result_decode(msg, &res, err, sizeof err) == -1)
			fatalx("worker #%d: bad message: %s", w->index, err);
		res.worker = w->index;
		if (res.phase[0] == '\0')
			vassal_worker_answered(w, res.test, res.attempt);
		if (v->connect != NULL)
			vassal_remote_result(v, &res);
		vassal_send(v, proto_result_encode(&res));
		proto_result_clear(&res);
		break;
	case PROTO_BYE:
		break;
	default:
		fatalx("worker #%d: unexpected message \"%s\"", w->index,
		    proto_type_name(proto_type(msg)));
	}
}

static void
vassal_worker_close(struct ndjson_peer *peer, const char *why, void *arg)
{
	struct vworker *w = arg;

	log_debug("worker #%d: %s", w->index, why);
	ndjson_peer_free(peer);
	w->peer = NULL;
	w->ready = 0;
}

/* Starts worker w on a fresh socketpair; fd 3 in the child. */
static void
vassal_worker_spawn(struct vassal *v, struct vworker *w)
{
	const char *path;
	char idx[16];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	path = v->worker_path;
	snprintf(idx, sizeof idx, "%d", w->index);
	fflush(NULL);
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(sv[1], 3) == -1)
			_exit(DAGZ_EXIT_ERROR);
		execl(path, "dagz-worker", "-f", "3", "-i", idx,
		    log_getverbose() > 0 ? "-v" : NULL, (char *)NULL);
		fprintf(stderr, "dagz-vassal: cannot execute '%s': %s\n", path,
		    strerror(errno));
		_exit(DAGZ_EXIT_ERROR);
	}
	close(sv[1]);
	w->pid = pid;
	w->ready = 0;
	w->peer = ndjson_peer_new(v->base, sv[0], "worker", vassal_worker_msg,
	    vassal_worker_close, w);
}

/*
 * Kills what a dead worker left behind: its test's processes were
 * reparented to us (we are a subreaper), so every descendant that is not
 * a live worker or under one is an orphan.
 */
static void
vassal_kill_orphans(struct vassal *v)
{
	pid_t *all, *keep = NULL, *sub;
	size_t nall, nkeep = 0, nsub, i, j;
	int k;

	nall = proc_descendants(getpid(), &all);
	for (k = 0; k < v->nworkers; k++) {
		if (v->workers[k].pid == 0)
			continue;
		nsub = proc_descendants(v->workers[k].pid, &sub);
		keep = xreallocarray(keep, nkeep + nsub + 1, sizeof *keep);
		keep[nkeep++] = v->workers[k].pid;
		for (j = 0; j < nsub; j++)
			keep[nkeep++] = sub[j];
		free(sub);
	}
	for (i = 0; i < nall; i++) {
		for (j = 0; j < nkeep && keep[j] != all[i]; j++)
			;
		if (j == nkeep) {
			log_debug("killing orphan %ld", (long)all[i]);
			kill(all[i], SIGKILL);
		}
	}
	free(all);
	free(keep);
}

static void
vassal_describe_status(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s",
		    proc_signame(WTERMSIG(status)));
	else
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
}

static void
vassal_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct vassal *v = arg;
	struct vworker *w;
	char why[128];
	pid_t pid;
	int status, k, died = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (k = 0; k < v->nworkers; k++)
			if (v->workers[k].pid == pid)
				break;
		if (k == v->nworkers)
			continue;	/* an orphan we reaped */
		w = &v->workers[k];
		w->pid = 0;
		if (w->peer != NULL) {
			/* What it said last comes before its death. */
			ndjson_drain(w->peer);
			ndjson_peer_free(w->peer);
			w->peer = NULL;
		}
		w->ready = 0;
		died = 1;
		if (v->shutting_down)
			continue;
		if (w->recycling) {
			/* Its successor says "ready" as a new one does. */
			w->recycling = 0;
			vassal_worker_forget(w);
			log_debug("worker #%d recycled", w->index);
			vassal_worker_spawn(v, w);
			continue;
		}
		vassal_describe_status(status, why, sizeof why);
		log_warnx("worker #%d %s", w->index, why);
		vassal_worker_flush_queue(w);
		vassal_send_worker_state(v, w->index, "died", why, w);
		vassal_worker_forget(w);
		if (++w->restarts > VASSAL_MAX_RESTARTS) {
			vassal_error(v, "internal", "workers keep dying");
			continue;
		}
		vassal_worker_spawn(v, w);
	}
	if (died)
		vassal_kill_orphans(v);
	vassal_maybe_exit(v);
}

/* Once shutting down and every worker is gone: say bye and leave. */
static void
vassal_maybe_exit(struct vassal *v)
{
	int k;

	if (!v->shutting_down)
		return;
	for (k = 0; k < v->nworkers; k++)
		if (v->workers[k].pid != 0)
			return;
	vassal_kill_orphans(v);
	if (v->sched != NULL) {
		vassal_send(v, proto_bye_encode());
		ndjson_flush(v->sched);
	}
	event_base_loopexit(v->base, NULL);
}

static void
vassal_shutdown(struct vassal *v)
{
	int k;

	if (v->shutting_down)
		return;
	v->shutting_down = 1;
	for (k = 0; k < v->nworkers; k++) {
		vassal_worker_flush_queue(&v->workers[k]);
		if (v->workers[k].peer != NULL)
			ndjson_send(v->workers[k].peer,
			    proto_shutdown_encode());
		else if (v->workers[k].pid != 0)
			kill(v->workers[k].pid, SIGTERM);
	}
	vassal_maybe_exit(v);
}

/*
 * --worker-init: a fixture of our own that every test we collected
 * needs, last, so that each worker sets it up before its first test
 * (again when it is restarted) and tears it down after its last.
 */
static int
vassal_worker_fixture(struct vassal *v, char *err, size_t len)
{
	struct fixture_def f;
	size_t i;

	if (v->worker_init == NULL)
		return (0);
	if (suite_find_fixture(&v->suite, TESTDEF_WORKER_FIXTURE) != NULL) {
		snprintf(err, len, "fixture '%s': the name is dagz's, for "
		    "--worker-init", TESTDEF_WORKER_FIXTURE);
		return (-1);
	}
	memset(&f, 0, sizeof f);
	f.name = xstrdup(TESTDEF_WORKER_FIXTURE);
	f.setup_sh = xstrdup(v->worker_init);
	f.teardown_sh = v->worker_cleanup != NULL ?
	    xstrdup(v->worker_cleanup) : NULL;
	suite_add_fixture(&v->suite, &f);
	for (i = 0; i < v->suite.ntests; i++)
		v->suite.tests[i].fixtures = strv_push(
		    v->suite.tests[i].fixtures, TESTDEF_WORKER_FIXTURE);
	return (0);
}

/* Loads the suite and sends it up; returns -1 after reporting an error. */
static int
vassal_load(struct vassal *v)
{
	json_t *msg;
	char err[2048], *esc;
	size_t i;

	if (collect_all(&v->adapters, &v->suite, err, sizeof err) == -1) {
		vassal_error(v, "input", err);
		return (-1);
	}
	if (vassal_worker_fixture(v, err, sizeof err) == -1) {
		vassal_error(v, "input", err);
		return (-1);
	}
	for (i = 0; i < v->suite.nfixtures; i++)
		vassal_send(v, proto_fixture_encode(&v->suite.fixtures[i]));
	for (i = 0; i < v->suite.ntests; i++) {
		msg = proto_test_encode(&v->suite.tests[i]);
		/* One the scheduler could not read is bad input, not ours. */
		if (json_dumpb(msg, NULL, 0, JSON_COMPACT | JSON_ENSURE_ASCII |
		    JSON_REAL_PRECISION(15)) >= NDJSON_MAX_LINE) {
			json_decref(msg);
			esc = utf8_escape(v->suite.tests[i].id);
			snprintf(err, sizeof err, "test '%s': definition longer "
			    "than %d bytes", esc, NDJSON_MAX_LINE);
			free(esc);
			vassal_error(v, "input", err);
			return (-1);
		}
		vassal_send(v, msg);
	}
	vassal_send(v, proto_loaded_encode(v->suite.ntests));
	return (0);
}

/*
 * A fixture's setup or teardown runs like a test whose id is the
 * fixture's name, in the suite's directory, under the job's timeout.
 */
static void
vassal_run_fixture(struct vassal *v, struct msg_run *run)
{
	struct fixture_def *f;
	struct test_def def;
	char err[256];

	if ((f = suite_find_fixture(&v->suite, run->test)) == NULL) {
		snprintf(err, sizeof err, "run: no fixture '%s'", run->test);
		vassal_error(v, "internal", err);
		return;
	}
	testdef_init(&def);
	def.id = f->name;
	def.cwd = v->suite.dir;
	if (strcmp(run->phase, "setup") == 0) {
		def.argv = f->setup_argv;
		def.sh = f->setup_sh;
	} else {
		def.argv = f->teardown_argv;
		def.sh = f->teardown_sh;
	}
	if (def.argv == NULL && def.sh == NULL)
		def.sh = "true";
	vassal_worker_send(&v->workers[run->worker],
	    proto_exec_encode(&def, run->attempt, v->config.timeout,
	    run->phase, NULL), NULL, 0);
}

static void
vassal_run(struct vassal *v, struct msg_run *run)
{
	struct test_def *t;
	double timeout;
	char err[256];

	if (run->worker < v->first || run->worker >= v->first + v->nworkers) {
		snprintf(err, sizeof err, "run: no worker #%d", run->worker);
		vassal_error(v, "internal", err);
		return;
	}
	run->worker -= v->first;
	if (run->phase[0] != '\0') {
		vassal_run_fixture(v, run);
		return;
	}
	if ((t = suite_find(&v->suite, run->test)) == NULL) {
		snprintf(err, sizeof err, "run: no test '%s'", run->test);
		vassal_error(v, "internal", err);
		return;
	}
	timeout = t->timeout > 0 ? t->timeout : v->config.timeout;
	vassal_worker_send(&v->workers[run->worker],
	    proto_exec_encode(t, run->attempt, timeout, NULL, run->cases),
	    run->test, run->attempt);
}

/*
 * The scheduler's word that a worker, idle and with its fixtures torn
 * down, is to be replaced: it is told to shut down, and vassal_sigchld
 * starts a fresh one once it is gone.
 */
static void
vassal_recycle(struct vassal *v, int worker)
{
	struct vworker *w;
	char err[256];

	if (worker < v->first || worker >= v->first + v->nworkers) {
		snprintf(err, sizeof err, "recycle: no worker #%d", worker);
		vassal_error(v, "internal", err);
		return;
	}
	w = &v->workers[worker - v->first];
	if (w->pid == 0 || w->recycling)
		return;
	w->recycling = 1;
	if (w->peer != NULL && w->ready)
		ndjson_send(w->peer, proto_shutdown_encode());
	else
		kill(w->pid, SIGTERM);
}

/* Workers are numbered across the job: ours from first. */
static void
vassal_number_workers(struct vassal *v, int first)
{
	int k;

	v->first = first;
	for (k = 0; k < v->nworkers; k++)
		v->workers[k].index = first + k;
}

static int
vassal_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return (remove(path));
}

/*
 * On a node of its own, the scheduler's paths mean nothing: logs go to
 * a directory of ours (their text travels with each result), and the
 * probe watches our checkout.
 */
static void
vassal_own_paths(struct vassal *v)
{
	const char *tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&v->own_log_dir, "%s/dagz-%.8s-node%d-XXXXXX", tmp,
	    v->config.job, v->node);
	if (mkdtemp(v->own_log_dir) == NULL)
		fatal("cannot create '%s'", v->own_log_dir);
	free(v->config.log_dir);
	v->config.log_dir = xstrdup(v->own_log_dir);
	if (v->config.root != NULL) {
		free(v->config.root);
		v->config.root = v->root != NULL ? xstrdup(v->root) : NULL;
	}
}

static void
vassal_sched_msg(struct ndjson_peer *peer, json_t *msg, void *arg)
{
	struct vassal *v = arg;
	struct msg_hello hello;
	struct msg_welcome welcome;
	struct msg_run run;
	char err[512];
	uint64_t acked;
	int k;

	if (v->connect != NULL) {
		if (proto_type(msg) == PROTO_ACK) {
			if (proto_ack_decode(msg, &acked, err, sizeof err) == -1)
				fatalx("scheduler: bad message: %s", err);
			outbox_ack(v->out, acked);
			return;
		}
		if (proto_type(msg) != PROTO_WELCOME)
			v->received++;
	}
	switch (proto_type(msg)) {
	case PROTO_HELLO:
		if (proto_hello_decode(msg, &hello, err, sizeof err) == -1)
			fatalx("scheduler: bad message: %s", err);
		break;
	case PROTO_WELCOME:
		if (v->connect == NULL ||
		    proto_welcome_decode(msg, &welcome, err, sizeof err) == -1)
			fatalx("scheduler: unexpected welcome");
		/* Its clock at the middle of our round trip. */
		if (!v->welcomed)
			v->offset = welcome.time -
			    (v->join_sent + time_unix()) / 2;
		else
			log_info("back in job %s: sending again what it did "
			    "not get", welcome.job);
		v->welcomed = 1;
		log_debug("joined job %s: workers from #%d, clock offset "
		    "%.3fs", welcome.job, welcome.first_worker, v->offset);
		outbox_ack(v->out, welcome.resume);
		outbox_replay(v->out, v->sched);
		v->acked = v->received;
		proto_welcome_clear(&welcome);
		break;
	case PROTO_CONFIG:
		if (v->configured)
			fatalx("scheduler: config sent twice");
		if (proto_config_decode(msg, &v->config, err, sizeof err) == -1)
			fatalx("scheduler: bad message: %s", err);
		v->configured = 1;
		vassal_number_workers(v, v->config.first_worker);
		if (v->connect != NULL)
			vassal_own_paths(v);
		if (vassal_load(v) == -1)
			break;
		for (k = 0; k < v->nworkers; k++)
			vassal_worker_spawn(v, &v->workers[k]);
		break;
	case PROTO_RUN:
		if (proto_run_decode(msg, &run, err, sizeof err) == -1)
			fatalx("scheduler: bad message: %s", err);
		vassal_run(v, &run);
		proto_run_clear(&run);
		break;
	case PROTO_RECYCLE:
		if (proto_recycle_decode(msg, &k, err, sizeof err) == -1)
			fatalx("scheduler: bad message: %s", err);
		vassal_recycle(v, k);
		break;
	case PROTO_SHUTDOWN:
		vassal_shutdown(v);
		break;
	case PROTO_REPORT:
		strv_free(v->report);
		if (proto_report_decode(msg, &v->report, &v->report_exit, err,
		    sizeof err) == -1)
			fatalx("scheduler: bad message: %s", err);
		break;
	default:
		fatalx("scheduler: unexpected message \"%s\"",
		    proto_type_name(proto_type(msg)));
	}
}

static void
vassal_sched_close(struct ndjson_peer *peer, const char *why, void *arg)
{
	struct vassal *v = arg;

	/*
	 * Over TCP, a connection that breaks before the report is tried
	 * again within the grace; the workers go on meanwhile.
	 */
	if (v->connect != NULL && v->report == NULL && !v->shutting_down &&
	    v->welcomed) {
		log_warnx("lost the connection to the scheduler: %s; trying "
		    "again for %.0fs", why, v->grace);
		ndjson_peer_free(peer);
		v->sched = NULL;
		v->away_since = time_mono();
		return;
	}
	/* End of file is the scheduler gone; a bad line breaks the protocol. */
	if (v->connect != NULL && v->report == NULL) {
		log_warnx("lost the scheduler: %s", why);
		v->exit_code = DAGZ_EXIT_ERROR;
	} else if (strcmp(why, "connection closed") == 0)
		log_debug("scheduler: %s", why);
	else {
		log_warnx("scheduler: %s", why);
		v->exit_code = DAGZ_EXIT_ERROR;
	}
	ndjson_peer_free(peer);
	v->sched = NULL;
	vassal_shutdown(v);
}

static void
vassal_sigterm(evutil_socket_t sig, short what, void *arg)
{
	vassal_shutdown(arg);
}

/*
 * Twice a second over TCP: the scheduler hears how much of it came;
 * away from it, we try to come back, until the grace is over.
 */
static void
vassal_tick(evutil_socket_t fd, short what, void *arg)
{
	struct vassal *v = arg;
	if (v->sched != NULL) {
		if (v->welcomed && v->acked != v->received) {
			v->acked = v->received;
			ndjson_send(v->sched, proto_ack_encode(v->received));
		}
		return;
	}
	if (v->away_since == 0 || v->shutting_down || v->connecting)
		return;
	if (time_mono() - v->away_since > v->grace) {
		if (v->welcomed)
			log_warnx("lost the scheduler: no reconnect within "
			    "%.0fs", v->grace);
		else
			log_warnx("cannot reach the scheduler within %.0fs",
			    v->grace);
		v->exit_code = DAGZ_EXIT_ERROR;
		vassal_shutdown(v);
		return;
	}
	vassal_connect(v, 1);
}

static void
vassal_connected(struct vassal *v, struct ndjson_peer *peer)
{
	v->sched = peer;
	v->away_since = 0;
	vassal_join(v);
}

static void
vassal_relayed(struct bufferevent *bev, const char *err, void *arg)
{
	struct vassal *v = arg;

	v->connecting = 0;
	if (bev == NULL) {
		if (!v->said_relay++)
			log_warnx("%s", err);
		return;
	}
	log_info("connected to the scheduler through dagzd's relay");
	vassal_connected(v, ndjson_peer_new_bev(bev, "scheduler",
	    vassal_sched_msg, vassal_sched_close, v));
}

/*
 * To the scheduler: each address it published, for timeout seconds
 * each, then dagzd's relay (at once with --relay); the tick tries again
 * until the grace is over.
 */
static void
vassal_connect(struct vassal *v, double timeout)
{
	char err[512], *url, *token;
	int fd, rc;

	if (!v->relay_only && (fd = vassal_dial(v, timeout)) != -1) {
		vassal_connected(v, ndjson_peer_new(v->base, fd, "scheduler",
		    vassal_sched_msg, vassal_sched_close, v));
		return;
	}
	if (v->job == NULL)
		return;
	url = store_url();
	token = store_token();
	rc = relay_dial(v->base, url, token, "connect", v->job, NULL,
	    v->token, vassal_relayed, v, err, sizeof err);
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	free(url);
	if (rc == -1) {
		if (!v->said_relay++)
			log_warnx("relay: %s", err);
		return;
	}
	v->connecting = 1;
}

/* The scheduler of a job of many nodes: each address it published. */
static int
vassal_dial(struct vassal *v, double timeout)
{
	char err[512];
	size_t i;
	int fd;

	for (i = 0; v->connect[i] != NULL; i++) {
		if ((fd = net_dial(v->connect[i], timeout, err,
		    sizeof err)) != -1) {
			log_debug("connected to the scheduler at %s",
			    v->connect[i]);
			return (fd);
		}
		log_debug("scheduler at %s", err);
	}
	/* It tries twice a second: one line says so. */
	if (!v->said_dial++)
		log_warnx("cannot reach the scheduler directly: %s", err);
	return (-1);
}

static void
vassal_join(struct vassal *v)
{
	struct msg_join j;
	char host[256];

	if (gethostname(host, sizeof host) == -1)
		strlcpy(host, "?", sizeof host);
	memset(&j, 0, sizeof j);
	j.proto = PROTO_VERSION;
	j.token = v->token;
	j.node = v->node;
	j.workers = v->nworkers;
	j.pid = getpid();
	j.host = host;
	j.root = v->root;
	j.resume = v->received;
	v->join_sent = time_unix();
	ndjson_send(v->sched, proto_join_encode(&j));
}

int
vassal_start(struct vassal *v, int fd)
{
	struct timeval tick = { 0, VASSAL_TICK_MS * 1000 };
	struct msg_hello hello;
	int k;

	if (proc_subreaper() == -1)
		log_warn("cannot become a subreaper");
	signal(SIGPIPE, SIG_IGN);
	if ((v->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	v->workers = xcalloc(v->nworkers, sizeof *v->workers);
	for (k = 0; k < v->nworkers; k++) {
		v->workers[k].index = k;
		v->workers[k].vassal = v;
		TAILQ_INIT(&v->workers[k].queue);
	}
	v->ev_chld = evsignal_new(v->base, SIGCHLD, vassal_sigchld, v);
	v->ev_term = evsignal_new(v->base, SIGTERM, vassal_sigterm, v);
	v->ev_int = evsignal_new(v->base, SIGINT, vassal_sigterm, v);
	evsignal_add(v->ev_chld, NULL);
	evsignal_add(v->ev_term, NULL);
	evsignal_add(v->ev_int, NULL);
	v->report_exit = -1;
	if (v->connect != NULL) {
		v->out = outbox_new();
		v->ev_tick = event_new(v->base, -1, EV_PERSIST, vassal_tick, v);
		event_add(v->ev_tick, &tick);
		v->away_since = time_mono();
		vassal_connect(v, VASSAL_DIAL_TIMEOUT);
	} else {
		v->sched = ndjson_peer_new(v->base, fd, "scheduler",
		    vassal_sched_msg, vassal_sched_close, v);
		memset(&hello, 0, sizeof hello);
		hello.proto = PROTO_VERSION;
		strlcpy(hello.role, "vassal", sizeof hello.role);
		hello.pid = getpid();
		hello.worker = -1;
		hello.workers = v->nworkers;
		ndjson_send(v->sched, proto_hello_encode(&hello));
	}
	event_base_dispatch(v->base);
	for (k = 0; k < v->nworkers; k++) {
		vassal_worker_flush_queue(&v->workers[k]);
		vassal_worker_forget(&v->workers[k]);
	}
	if (v->sched != NULL)
		ndjson_peer_free(v->sched);
	if (v->ev_tick != NULL)
		event_free(v->ev_tick);
	outbox_free(v->out);
	event_free(v->ev_chld);
	event_free(v->ev_term);
	event_free(v->ev_int);
	event_base_free(v->base);
	suite_clear(&v->suite);
	proto_config_clear(&v->config);
	free(v->workers);
	free(v->worker_path);
	free(v->job);
	free(v->worker_init);
	free(v->worker_cleanup);
	free(v->root);
	strv_free(v->connect);
	if (v->token != NULL)
		explicit_bzero(v->token, strlen(v->token));
	free(v->token);
	adapter_list_clear(&v->adapters);
	if (v->own_log_dir != NULL) {
		nftw(v->own_log_dir, vassal_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(v->own_log_dir);
	}
	/* The job's report, as every node prints it; its exit status. */
	for (k = 0; v->report != NULL && v->report[k] != NULL; k++)
		printf("%s\n", v->report[k]);
	fflush(stdout);
	strv_free(v->report);
	if (v->report_exit != -1 && v->exit_code == 0)
		return (v->report_exit);
	return (v->exit_code);
}
