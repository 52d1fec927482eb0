/*
 * sched-loop.c: the scheduler's event loop. It starts the vassal, takes
 * the collected tests, orders them longest first, keeps every worker fed
 * (one test running and, while the queue is long, one waiting, so that
 * no worker idles on a round trip), and records each finished attempt.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "ndjson.h"
#include "proto.h"
#include "sched.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"

#define SCHED_TICK_MS	250

static int
test_cmp(struct test *a, struct test *b)
{
	return (strcmp(a->def.id, b->def.id));
}
RB_GENERATE(test_tree, test, entry, test_cmp);

static void	sched_end(struct sched *);
static void	sched_maybe_finish(struct sched *);
static void	sched_dispatch(struct sched *);

struct test *
sched_find(struct sched *s, const char *id)
{
	struct test key;

	key.def.id = (char *)id;
	return (RB_FIND(test_tree, &s->by_id, &key));
}

/* A job ID: a random (version 4) UUID. */
static void
sched_new_job_id(struct sched *s)
{
	unsigned char b[16];

	arc4random_buf(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(s->job, sizeof s->job,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static char *
sched_bindir(void)
{
	char path[PATH_MAX];
	const char *env;
	ssize_t n;

	if ((env = getenv("DAGZ_BINDIR")) != NULL && *env != '\0')
		return (xstrdup(env));
	if ((n = readlink("/proc/self/exe", path, sizeof path - 1)) == -1)
		return (xstrdup(BINDIR));
	path[n] = '\0';
	return (xstrdup(dirname(path)));
}

static int
sched_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return (remove(path));
}

/* Records an error of dagz's own; the job will exit 3 unless 1 or 2. */
static void
sched_fail(struct sched *s, const char *fmt, ...)
{
	va_list ap;

	if (s->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s->error, fmt, ap) == -1)
		s->error = xstrdup("dagz error");
	va_end(ap);
	warnx("%s", s->error);
}

/* Estimates for the plan: unknown ones get the median of the known. */
static void
sched_estimate(struct sched *s)
{
	double *known, median = 1.0, t;
	size_t n = 0, i, j;

	known = xcalloc(s->ntests, sizeof *known);
	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].def.estimate >= 0)
			known[n++] = s->tests[i].def.estimate;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && known[j - 1] > known[j]; j--) {
			t = known[j];
			known[j] = known[j - 1];
			known[j - 1] = t;
		}
	if (n > 0)
		median = n % 2 ? known[n / 2] :
		    (known[n / 2 - 1] + known[n / 2]) / 2;
	for (i = 0; i < s->ntests; i++)
		s->tests[i].estimate = s->tests[i].def.estimate >= 0 ?
		    s->tests[i].def.estimate : median;
	free(known);
}

static int
sched_queue_cmp(const void *a, const void *b)
{
	const struct test *x = *(struct test *const *)a;
	const struct test *y = *(struct test *const *)b;

	if (x->estimate != y->estimate)
		return (x->estimate < y->estimate ? 1 : -1);
	return (x->index < y->index ? -1 : x->index > y->index);
}

/* Orders the queue longest first and computes the planned makespan. */
static void
sched_plan(struct sched *s)
{
	double *load;
	size_t i;
	int k, min;

	sched_estimate(s);
	s->queue = xcalloc(s->ntests, sizeof *s->queue);
	s->nqueue = 0;
	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].state == TS_PENDING)
			s->queue[s->nqueue++] = &s->tests[i];
	s->npending = s->nqueue;
	qsort(s->queue, s->nqueue, sizeof *s->queue, sched_queue_cmp);
	load = xcalloc(s->nworkers, sizeof *load);
	for (i = 0; i < s->nqueue; i++) {
		for (min = 0, k = 1; k < s->nworkers; k++)
			if (load[k] < load[min])
				min = k;
		load[min] += s->queue[i]->estimate;
	}
	s->planned = 0;
	for (k = 0; k < s->nworkers; k++)
		if (load[k] > s->planned)
			s->planned = load[k];
	free(load);
}

/* The next test to hand out: requeued ones first, then the plan. */
static struct test *
sched_next(struct sched *s)
{
	size_t i;

	for (i = 0; s->nrequeued > 0 && i < s->qnext; i++)
		if (s->queue[i]->state == TS_PENDING) {
			s->nrequeued--;
			return (s->queue[i]);
		}
	while (s->qnext < s->nqueue) {
		if (s->queue[s->qnext]->state == TS_PENDING)
			return (s->queue[s->qnext++]);
		s->qnext++;
	}
	return (NULL);
}

static void
sched_send_run(struct sched *s, struct sworker *w, struct test *t)
{
	struct msg_run run;

	run.worker = w->index;
	run.test = t->def.id;
	run.attempt = t->nattempts + 1;
	t->state = TS_SENT;
	t->worker = w->index;
	s->npending--;
	w->inflight++;
	ndjson_send(s->vassal, proto_run_encode(&run));
}

/*
 * Hands out tests round-robin so the longest go to different workers.
 * A worker gets a second test queued behind the first only while there
 * are more tests left than workers: near the end, a queued test could
 * wait behind a long one while another worker idles.
 */
static void
sched_dispatch(struct sched *s)
{
	struct sworker *w;
	struct test *t;
	int k, depth, progress;

	if (!s->loaded || s->ending)
		return;
	do {
		progress = 0;
		depth = s->npending > (size_t)s->nworkers ? 2 : 1;
		for (k = 0; k < s->nworkers; k++) {
			w = &s->workers[k];
			if (!w->ready || w->inflight >= depth)
				continue;
			if ((t = sched_next(s)) == NULL)
				return;
			sched_send_run(s, w, t);
			progress = 1;
		}
	} while (progress);
}

static struct msg_result *
sched_add_attempt(struct test *t, struct msg_result *r)
{
	t->attempts = xreallocarray(t->attempts, t->nattempts + 1,
	    sizeof *t->attempts);
	t->attempts[t->nattempts] = *r;
	memset(r, 0, sizeof *r);
	return (&t->attempts[t->nattempts++]);
}

/* Records a test's final status and everything that reports it. */
static void
sched_finish_test(struct sched *s, struct test *t, struct msg_result *r)
{
	struct msg_result *a;

	a = sched_add_attempt(t, r);
	t->state = TS_DONE;
	t->status = a->status;
	s->ndone++;
	s->counts[t->status]++;
	s->cpu += a->cpu;
	report_event_result(s, a);
	store_result(s, t, a);
	out_result(s, t, a);
}

/* Ends a test that will not run (DEP_FAILED, DESELECTED, REDUNDANT). */
void
sched_skip_test(struct sched *s, struct test *t, enum test_status st,
    const char *reason)
{
	struct msg_result r;

	if (t->state != TS_PENDING)
		return;
	memset(&r, 0, sizeof r);
	r.worker = -1;
	r.test = xstrdup(t->def.id);
	r.attempt = 0;
	r.status = st;
	r.exit_code = -1;
	r.start = time_unix();
	r.reason = xstrdup(reason);
	if (s->queue != NULL)
		s->npending--;
	sched_finish_test(s, t, &r);
}

static void
sched_on_result(struct sched *s, struct msg_result *r)
{
	struct test *t;
	struct sworker *w;

	if ((t = sched_find(s, r->test)) == NULL || t->state == TS_DONE ||
	    r->worker >= s->nworkers || t->worker != r->worker) {
		sched_fail(s, "unexpected result for '%s' from worker #%d",
		    r->test, r->worker);
		return;
	}
	w = &s->workers[r->worker];
	w->inflight--;
	w->finished++;
	if (w->current == t)
		w->current = NULL;
	sched_finish_test(s, t, r);
	sched_dispatch(s);
	sched_maybe_finish(s);
}

/* A result made by the scheduler for a test that could not report. */
static void
sched_synth_result(struct sched *s, struct test *t, enum test_status st,
    const char *reason)
{
	struct msg_result r;
	double now = time_mono();

	memset(&r, 0, sizeof r);
	r.worker = t->worker >= 0 ? t->worker : 0;
	r.test = xstrdup(t->def.id);
	r.attempt = t->nattempts + 1;
	r.status = st;
	r.exit_code = -1;
	r.start = t->state == TS_RUNNING ?
	    s->t0_unix + (t->started - s->t0) : time_unix();
	r.duration = t->state == TS_RUNNING ? now - t->started : 0;
	r.reason = xstrdup(reason);
	sched_finish_test(s, t, &r);
}

/*
 * A worker died. The test it was running is FAILED with the cause and is
 * not retried (it may be what killed it); tests queued behind it go back
 * to the queue. The vassal restarts the worker.
 */
static void
sched_on_worker_died(struct sched *s, struct sworker *w, const char *why)
{
	char reason[256];
	size_t i;

	w->ready = 0;
	w->inflight = 0;
	w->current = NULL;
	w->deaths++;
	for (i = 0; i < s->ntests; i++) {
		struct test *t = &s->tests[i];

		if (t->worker != w->index)
			continue;
		if (t->state == TS_RUNNING) {
			snprintf(reason, sizeof reason, "worker died: %s", why);
			sched_synth_result(s, t, ST_FAILED, reason);
		} else if (t->state == TS_SENT) {
			t->state = TS_PENDING;
			s->npending++;
			s->nrequeued++;
		}
	}
	sched_maybe_finish(s);
}

static void
sched_on_loaded(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		s->tests[i].index = i;
		s->tests[i].worker = -1;
		if (RB_INSERT(test_tree, &s->by_id, &s->tests[i]) != NULL) {
			sched_fail(s, "test '%s' collected twice",
			    s->tests[i].def.id);
			s->exit_code = DAGZ_EXIT_ERROR;
			sched_end(s);
			return;
		}
	}
	if (report_events_open(s) == -1) {
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	s->loaded = 1;
	store_job_begin(s);
	sched_plan(s);
	out_start(s);
	sched_dispatch(s);
	sched_maybe_finish(s);
}

static void
sched_vassal_msg(struct ndjson_peer *peer, json_t *msg, void *arg)
{
	struct sched *s = arg;
	struct msg_hello hello;
	struct msg_error e;
	struct msg_worker mw;
	struct msg_started st;
	struct msg_result r;
	struct fixture_def f;
	struct test_def def;
	struct test *t;
	char err[512];
	int count;

	switch (proto_type(msg)) {
	case PROTO_HELLO:
		if (proto_hello_decode(msg, &hello, err, sizeof err) == -1)
			goto bad;
		break;
	case PROTO_FIXTURE:
		if (proto_fixture_decode(msg, &f, err, sizeof err) == -1)
			goto bad;
		fixturedef_clear(&f);
		break;
	case PROTO_TEST:
		if (s->loaded ||
		    proto_test_decode(msg, &def, err, sizeof err) == -1)
			goto bad;
		s->tests = xreallocarray(s->tests, s->ntests + 1,
		    sizeof *s->tests);
		memset(&s->tests[s->ntests], 0, sizeof *s->tests);
		s->tests[s->ntests++].def = def;
		break;
	case PROTO_LOADED:
		if (s->loaded ||
		    proto_loaded_decode(msg, &count, err, sizeof err) == -1)
			goto bad;
		if ((size_t)count != s->ntests) {
			snprintf(err, sizeof err, "loaded %d tests, received "
			    "%zu", count, s->ntests);
			goto bad;
		}
		sched_on_loaded(s);
		break;
	case PROTO_ERROR:
		if (proto_error_decode(msg, &e, err, sizeof err) == -1)
			goto bad;
		if (strcmp(e.kind, "input") == 0) {
			warnx("%s", e.message);
			if (s->exit_code == -1)
				s->exit_code = DAGZ_EXIT_USAGE;
		} else
			sched_fail(s, "vassal: %s", e.message);
		proto_error_clear(&e);
		sched_end(s);
		break;
	case PROTO_WORKER:
		if (proto_worker_decode(msg, &mw, err, sizeof err) == -1 ||
		    mw.worker >= s->nworkers) {
			proto_worker_clear(&mw);
			goto bad;
		}
		if (strcmp(mw.state, "ready") == 0) {
			s->workers[mw.worker].ready = 1;
			sched_dispatch(s);
		} else if (strcmp(mw.state, "died") == 0) {
			sched_on_worker_died(s, &s->workers[mw.worker],
			    mw.reason != NULL ? mw.reason : "unknown cause");
			sched_dispatch(s);
		}
		proto_worker_clear(&mw);
		break;
	case PROTO_STARTED:
		if (proto_started_decode(msg, &st, err, sizeof err) == -1)
			goto bad;
		if ((t = sched_find(s, st.test)) != NULL &&
		    t->state == TS_SENT && st.worker < s->nworkers) {
			t->state = TS_RUNNING;
			t->started = time_mono();
			t->slow_next = s->opt.slow;
			s->workers[st.worker].current = t;
		}
		proto_started_clear(&st);
		break;
	case PROTO_RESULT:
		if (proto_result_decode(msg, &r, err, sizeof err) == -1)
			goto bad;
		sched_on_result(s, &r);
		proto_result_clear(&r);
		break;
	case PROTO_BYE:
		break;
	default:
		snprintf(err, sizeof err, "unexpected message \"%s\"",
		    proto_type_name(proto_type(msg)));
		goto bad;
	}
	return;
bad:
	sched_fail(s, "bad message from vassal: %s", err);
	sched_end(s);
}

/* Marks every test that never finished as a dagz error. */
static void
sched_abandon(struct sched *s, const char *reason)
{
	size_t i;

	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].state != TS_DONE)
			sched_synth_result(s, &s->tests[i], ST_DAGZ_ERROR,
			    reason);
}

static void
sched_vassal_close(struct ndjson_peer *peer, const char *why, void *arg)
{
	struct sched *s = arg;

	ndjson_peer_free(peer);
	s->vassal = NULL;
	if (!s->ending) {
		sched_fail(s, "vassal: %s", why);
		if (s->loaded)
			sched_abandon(s, "vassal died");
		sched_end(s);
	}
	/* The loop ends once the vassal process is reaped too. */
	if (s->vassal_pid == 0)
		event_base_loopexit(s->base, NULL);
}

static void
sched_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct sched *s = arg;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != s->vassal_pid)
			continue;
		s->vassal_pid = 0;
		if (!s->ending || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			if (WIFSIGNALED(status))
				sched_fail(s, "vassal killed by signal %d",
				    WTERMSIG(status));
			else if (!WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)
				sched_fail(s, "vassal exited with status %d",
				    WEXITSTATUS(status));
		}
		if (s->vassal == NULL)
			event_base_loopexit(s->base, NULL);
	}
}

static void
sched_sigint(evutil_socket_t sig, short what, void *arg)
{
	struct sched *s = arg;

	if (s->interrupted++) {
		/* A second interrupt: stop waiting for anyone. */
		if (s->vassal_pid != 0)
			kill(s->vassal_pid, SIGKILL);
		return;
	}
	sched_fail(s, "interrupted by %s", sig == SIGINT ? "SIGINT" :
	    "SIGTERM");
	if (s->loaded)
		sched_abandon(s, "interrupted");
	sched_end(s);
}

static void
sched_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;

	out_tick(s, time_mono());
}

static void
sched_maybe_finish(struct sched *s)
{
	if (s->loaded && s->ndone == s->ntests)
		sched_end(s);
}

/* Starts the end: the vassal is told to shut down; we wait for it. */
static void
sched_end(struct sched *s)
{
	if (s->ending)
		return;
	s->ending = 1;
	if (s->vassal != NULL) {
		ndjson_send(s->vassal, proto_shutdown_encode());
	} else if (s->vassal_pid == 0)
		event_base_loopexit(s->base, NULL);
}

static void
sched_spawn_vassal(struct sched *s)
{
	char *bindir, *path, jobs[16], **argv = NULL;
	struct msg_hello hello;
	struct msg_config cfg;
	int sv[2], i;
	pid_t pid;

	bindir = sched_bindir();
	xasprintf(&path, "%s/dagz-vassal", bindir);
	free(bindir);
	snprintf(jobs, sizeof jobs, "%d", s->opt.workers);
	argv = strv_push(argv, "dagz-vassal");
	argv = strv_push(argv, "-f");
	argv = strv_push(argv, "3");
	argv = strv_push(argv, "-j");
	argv = strv_push(argv, jobs);
	for (i = 0; i < s->opt.verbose; i++)
		argv = strv_push(argv, "-v");
	if (s->opt.manifest != NULL) {
		argv = strv_push(argv, "--manifest");
		argv = strv_push(argv, s->opt.manifest);
	} else {
		argv = strv_push(argv, "--exec");
		argv = strv_push(argv, "--");
		for (i = 0; s->opt.globs[i] != NULL; i++)
			argv = strv_push(argv, s->opt.globs[i]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(DAGZ_EXIT_ERROR, "socketpair");
	fflush(NULL);
	switch (pid = fork()) {
	case -1:
		err(DAGZ_EXIT_ERROR, "fork");
	case 0:
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		else if (dup2(sv[1], 3) == -1)
			_exit(DAGZ_EXIT_ERROR);
		execv(path, argv);
		fprintf(stderr, "dagz-run: cannot execute '%s': %s\n", path,
		    strerror(errno));
		_exit(DAGZ_EXIT_ERROR);
	}
	close(sv[1]);
	free(path);
	strv_free(argv);
	s->vassal_pid = pid;
	s->vassal = ndjson_peer_new(s->base, sv[0], "vassal",
	    sched_vassal_msg, sched_vassal_close, s);

	memset(&hello, 0, sizeof hello);
	hello.proto = PROTO_VERSION;
	strlcpy(hello.role, "sched", sizeof hello.role);
	hello.pid = getpid();
	hello.worker = -1;
	ndjson_send(s->vassal, proto_hello_encode(&hello));
	memset(&cfg, 0, sizeof cfg);
	cfg.job = s->job;
	cfg.timeout = s->opt.timeout;
	cfg.grace = s->opt.grace;
	cfg.mem_budget = s->opt.mem_budget;
	cfg.leak = s->opt.leak;
	cfg.log_dir = s->log_dir;
	ndjson_send(s->vassal, proto_config_encode(&cfg));
}

static void
sched_make_log_dir(struct sched *s)
{
	const char *tmp;
	char *p, *q;

	if (s->opt.log_dir != NULL) {
		p = xstrdup(s->opt.log_dir);
		for (q = p + 1; *q != '\0'; q++) {
			if (*q != '/')
				continue;
			*q = '\0';
			if (mkdir(p, 0777) == -1 && errno != EEXIST)
				err(DAGZ_EXIT_USAGE, "--log-dir '%s'", p);
			*q = '/';
		}
		if (mkdir(p, 0777) == -1 && errno != EEXIST)
			err(DAGZ_EXIT_USAGE, "--log-dir '%s'", p);
		if ((s->log_dir = realpath(p, NULL)) == NULL)
			err(DAGZ_EXIT_USAGE, "--log-dir '%s'", p);
		free(p);
		return;
	}
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&s->log_dir, "%s/dagz-%.8s-XXXXXX", tmp, s->job);
	if (mkdtemp(s->log_dir) == NULL)
		err(DAGZ_EXIT_ERROR, "cannot create '%s'", s->log_dir);
	s->log_dir_temp = 1;
}

static void
sched_cleanup(struct sched *s)
{
	size_t i;
	int j;

	store_close(s);
	if (s->log_dir_temp)
		nftw(s->log_dir, sched_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < s->ntests; i++) {
		testdef_clear(&s->tests[i].def);
		for (j = 0; j < s->tests[i].nattempts; j++)
			proto_result_clear(&s->tests[i].attempts[j]);
		free(s->tests[i].attempts);
	}
	free(s->tests);
	free(s->queue);
	free(s->workers);
	free(s->log_dir);
	free(s->error);
	if (s->events != NULL)
		fclose(s->events);
	if (s->vassal != NULL)
		ndjson_peer_free(s->vassal);
	event_free(s->ev_tick);
	event_free(s->ev_chld);
	event_free(s->ev_int);
	event_free(s->ev_term);
	event_base_free(s->base);
	free(s->opt.events);
	free(s->opt.junit);
	free(s->opt.log_dir);
	free(s->opt.manifest);
	strv_free(s->opt.globs);
	strv_free(s->opt.argv);
}

static int
sched_exit_code(struct sched *s)
{
	int i;

	if (s->exit_code != -1)
		return (s->exit_code);
	for (i = 0; i < ST__COUNT; i++)
		if (status_failed(i) && s->counts[i] > 0)
			return (DAGZ_EXIT_FAIL);
	if (s->error != NULL || s->counts[ST_DAGZ_ERROR] > 0)
		return (DAGZ_EXIT_ERROR);
	return (DAGZ_EXIT_OK);
}

int
sched_run(struct sched *s)
{
	struct timeval tick = { 0, SCHED_TICK_MS * 1000 };
	double elapsed;
	int k, code;

	s->exit_code = -1;
	s->t0 = time_mono();
	s->t0_unix = time_unix();
	RB_INIT(&s->by_id);
	sched_new_job_id(s);
	signal(SIGPIPE, SIG_IGN);
	sched_make_log_dir(s);
	out_init(s);
	store_open(s);
	s->nworkers = s->opt.workers;
	s->workers = xcalloc(s->nworkers, sizeof *s->workers);
	for (k = 0; k < s->nworkers; k++)
		s->workers[k].index = k;

	if ((s->base = event_base_new()) == NULL)
		errx(DAGZ_EXIT_ERROR, "event_base_new");
	s->ev_chld = evsignal_new(s->base, SIGCHLD, sched_sigchld, s);
	s->ev_int = evsignal_new(s->base, SIGINT, sched_sigint, s);
	s->ev_term = evsignal_new(s->base, SIGTERM, sched_sigint, s);
	s->ev_tick = event_new(s->base, -1, EV_PERSIST, sched_tick, s);
	evsignal_add(s->ev_chld, NULL);
	evsignal_add(s->ev_int, NULL);
	evsignal_add(s->ev_term, NULL);
	event_add(s->ev_tick, &tick);
	sched_spawn_vassal(s);
	event_base_dispatch(s->base);

	elapsed = time_mono() - s->t0;
	code = sched_exit_code(s);
	if (s->loaded && code != DAGZ_EXIT_USAGE) {
		s->exit_code = code;
		out_flush_batch(s);
		out_summary(s, elapsed);
		report_event_summary(s, elapsed);
		store_job_end(s, elapsed);
		if (s->opt.junit != NULL && report_junit(s, elapsed) == -1 &&
		    code == DAGZ_EXIT_OK)
			code = DAGZ_EXIT_ERROR;
		out_report(s, elapsed);
	}
	sched_cleanup(s);
	return (code);
}
