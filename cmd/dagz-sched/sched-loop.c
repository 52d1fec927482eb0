/*
 * sched-loop.c: the scheduler's event loop. It starts the vassal, takes
 * the collected tests and fixtures, has them planned (sched-plan.c) and
 * handed out (sched-dispatch.c), and at the end prints and writes the
 * job's records. Everything that happens arrives here as a message from
 * the vassal, a signal or a timer tick.
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
#include "outbox.h"
#include "paths.h"
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

static int
sched_rm_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return (remove(path));
}

/* Records an error of dagz's own; the job will exit 3 unless 1 or 2. */
void
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

/* Sends a run of a test (phase NULL) or of a fixture's setup/teardown. */
void
sched_send_run(struct sched *s, struct sworker *w, const char *id,
    int attempt, const char *phase)
{
	struct msg_run run;
	struct test *t;

	memset(&run, 0, sizeof run);
	run.worker = w->index;
	run.test = (char *)id;
	run.attempt = attempt;
	if (phase != NULL)
		strlcpy(run.phase, phase, sizeof run.phase);
	/* A test that runs a subset of its cases: which. */
	else if ((t = sched_find(s, id)) != NULL)
		run.cases = t->cases;
	node_send(s, s->nodes[w->node], proto_run_encode(&run));
}

/*
 * A node has collected its tests: planning begins once every node
 * expected has, or --wait-nodes has passed; one that comes later
 * gets its share by stealing.
 */
static void
sched_node_loaded(struct sched *s, struct snode *n)
{
	n->state = NODE_LOADED;
	n->loaded_at = time_unix();
	if (s->loaded) {
		node_merge(s, n);
		store_node_load(s, n);
		dispatch(s);
	} else if (!s->ending && node_all_loaded(s))
		sched_on_loaded(s);
}

static void
sched_wait_nodes(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	char missing[512] = "";
	int i, k;

	if (s->loaded || s->ending || s->nodes[0]->state != NODE_LOADED)
		return;
	for (i = 0; i < s->slots; i++) {
		for (k = 0; k < s->nnodes; k++)
			if (s->nodes[k]->index == i &&
			    s->nodes[k]->state == NODE_LOADED)
				break;
		if (k == s->nnodes)
			snprintf(missing + strlen(missing), sizeof missing -
			    strlen(missing), "%s%d", missing[0] != '\0' ?
			    ", " : "", i);
	}
	out_line(s, "waited %.0fs for nodes: starting without node %s",
	    s->opt.wait_nodes, missing);
	sched_on_loaded(s);
}

/* Every test and fixture is known: filter, record, select and plan. */
void
sched_on_loaded(struct sched *s)
{
	size_t i;
	int k;

	for (i = 0; i < s->ntests; i++)
		s->tests[i].nodes = 1ULL << s->nodes[0]->index;
	node_merge_all(s);
	/* A mistyped path must not pass: finding nothing is an error. */
	if (s->ntests == 0 && !s->opt.allow_no_tests) {
		warnx("no tests found in %s", s->opt.suite_name);
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	if (filter_apply(s) == -1) {
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	join_partition(s);
	if (s->opt.list_only) {
		filter_list(s);
		s->exit_code = DAGZ_EXIT_OK;
		sched_end(s);
		return;
	}
	RB_INIT(&s->by_id);
	for (i = 0; i < s->ntests; i++) {
		s->tests[i].index = i;
		s->tests[i].worker = -1;
		s->tests[i].group = -1;
		if (RB_INSERT(test_tree, &s->by_id, &s->tests[i]) != NULL) {
			sched_fail(s, "test '%s' collected twice",
			    s->tests[i].def.id);
			s->exit_code = DAGZ_EXIT_ERROR;
			sched_end(s);
			return;
		}
	}
	for (k = 0; k < s->nworkers; k++)
		s->workers[k].fix = xcalloc(s->nfixtures + 1,
		    sizeof *s->workers[k].fix);
	if (plan_prepare(s) == -1) {
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	if (!s->opt.plan_only && !s->opt.select_only &&
	    report_events_open(s) == -1) {
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	/* Every reference is resolved before the job is recorded. */
	if (select_prepare(s) == -1) {
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	s->loaded = 1;
	if (!s->opt.plan_only && !s->opt.select_only)
		store_job_begin(s);
	/* A slot retried alone: what passed there is not run again. */
	join_retry(s);
	/* Never run with the wrong definition: on no node at all. */
	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].conflict != NULL)
			sched_skip_test(s, &s->tests[i], ST_DAGZ_ERROR,
			    s->tests[i].conflict);
	if (select_begin(s) == -1) {
		s->exit_code = DAGZ_EXIT_USAGE;
		sched_end(s);
		return;
	}
	if (s->opt.select_only) {
		s->exit_code = DAGZ_EXIT_OK;
		sched_end(s);
		return;
	}
	plan_make(s);
	if (s->opt.in_order)
		bisect_order(s);
	if (s->nnodes > 1)
		dispatch_orphans(s);
	if (s->opt.plan_only) {
		plan_print(s);
		s->exit_code = DAGZ_EXIT_OK;
		sched_end(s);
		return;
	}
	s->last_finish = time_mono();
	for (k = 0; k < s->nworkers; k++)
		s->workers[k].last_finished = s->last_finish;
	out_start(s);
	repeat_begin(s);
	dispatch(s);
}

/* The collected definitions of a node not ours, until merged. */
static void
sched_node_def(struct snode *n, struct test_def *def, struct fixture_def *f)
{
	if (def != NULL) {
		n->defs = xreallocarray(n->defs, n->ndefs + 1,
		    sizeof *n->defs);
		n->defs[n->ndefs++] = *def;
	} else {
		n->fixdefs = xreallocarray(n->fixdefs, n->nfixdefs + 1,
		    sizeof *n->fixdefs);
		n->fixdefs[n->nfixdefs++] = *f;
	}
}

/* A worker number from node n: one of its own. */
static int
sched_node_worker(struct snode *n, int worker)
{
	return (worker >= n->first && worker < n->first + n->nworkers);
}

void
sched_node_msg(struct ndjson_peer *peer, json_t *msg, void *arg)
{
	struct snode *n = arg;
	struct sched *s = n->sched;
	struct msg_hello hello;
	struct msg_error e;
	struct msg_worker mw;
	struct msg_started st;
	struct msg_result r;
	struct fixture_def f;
	struct test_def def;
	struct test *t;
	char err[512];
	uint64_t acked;
	int count;

	/* The job has ended: nothing a node says changes it now. */
	if (s->draining)
		return;
	if (!n->local) {
		if (proto_type(msg) == PROTO_ACK) {
			if (proto_ack_decode(msg, &acked, err,
			    sizeof err) == -1)
				goto bad;
			outbox_ack(n->out, acked);
			return;
		}
		n->received++;
	}
	switch (proto_type(msg)) {
	case PROTO_HELLO:
		if (!n->local ||
		    proto_hello_decode(msg, &hello, err, sizeof err) == -1)
			goto bad;
		break;
	case PROTO_FIXTURE:
		if (n->state != NODE_LOADING || (n->local && s->loaded) ||
		    proto_fixture_decode(msg, &f, err, sizeof err) == -1)
			goto bad;
		if (!n->local) {
			sched_node_def(n, NULL, &f);
			break;
		}
		s->fixtures = xreallocarray(s->fixtures, s->nfixtures + 1,
		    sizeof *s->fixtures);
		memset(&s->fixtures[s->nfixtures], 0, sizeof *s->fixtures);
		s->fixtures[s->nfixtures++].def = f;
		break;
	case PROTO_TEST:
		if (n->state != NODE_LOADING || (n->local && s->loaded) ||
		    proto_test_decode(msg, &def, err, sizeof err) == -1)
			goto bad;
		if (!n->local) {
			sched_node_def(n, &def, NULL);
			break;
		}
		s->tests = xreallocarray(s->tests, s->ntests + 1,
		    sizeof *s->tests);
		memset(&s->tests[s->ntests], 0, sizeof *s->tests);
		s->tests[s->ntests++].def = def;
		break;
	case PROTO_LOADED:
		if (n->state != NODE_LOADING || (n->local && s->loaded) ||
		    proto_loaded_decode(msg, &count, err, sizeof err) == -1)
			goto bad;
		if ((size_t)count != (n->local ? s->ntests : n->ndefs)) {
			snprintf(err, sizeof err, "loaded %d tests, received "
			    "%zu", count, n->local ? s->ntests : n->ndefs);
			goto bad;
		}
		sched_node_loaded(s, n);
		break;
	case PROTO_ERROR:
		if (proto_error_decode(msg, &e, err, sizeof err) == -1)
			goto bad;
		if (!n->local) {
			/* The others run what they collected. */
			out_line(s, "node %d: %s", n->index, e.message);
			proto_error_clear(&e);
			dispatch_node_lost(s, n, "it failed");
			break;
		}
		if (strcmp(e.kind, "input") == 0) {
			warnx("%s", e.message);
			if (s->exit_code == -1)
				s->exit_code = DAGZ_EXIT_USAGE;
		} else {
			sched_fail(s, "vassal: %s", e.message);
			if (s->loaded)
				dispatch_abandon(s, e.message);
		}
		proto_error_clear(&e);
		sched_end(s);
		break;
	case PROTO_WORKER:
		if (proto_worker_decode(msg, &mw, err, sizeof err) == -1 ||
		    !sched_node_worker(n, mw.worker)) {
			proto_worker_clear(&mw);
			goto bad;
		}
		if (strcmp(mw.state, "ready") == 0) {
			if (s->workers[mw.worker].state == WS_RECYCLING)
				dispatch_recycled(s, &s->workers[mw.worker]);
			if (s->workers[mw.worker].state == WS_DISCONNECTED)
				s->workers[mw.worker].reconnects++;
			s->workers[mw.worker].state = WS_READY;
			dispatch(s);
		} else if (strcmp(mw.state, "died") == 0) {
			/*
			 * The run it had taken started, whether or not it
			 * said so before it died: the test dies with it (a
			 * test that kills its worker is not run again).
			 */
			t = mw.test != NULL ? sched_find(s, mw.test) : NULL;
			if (t != NULL && t->state == TS_SENT &&
			    t->worker == mw.worker)
				t->state = TS_RUNNING;
			dispatch_worker_died(s, &s->workers[mw.worker],
			    mw.reason != NULL ? mw.reason : "unknown cause");
		}
		proto_worker_clear(&mw);
		break;
	case PROTO_STARTED:
		if (proto_started_decode(msg, &st, err, sizeof err) == -1)
			goto bad;
		if (!sched_node_worker(n, st.worker)) {
			proto_started_clear(&st);
			snprintf(err, sizeof err, "started on no worker of its "
			    "own");
			goto bad;
		}
		dispatch_started(s, &st);
		proto_started_clear(&st);
		break;
	case PROTO_RESULT:
		if (proto_result_decode(msg, &r, err, sizeof err) == -1)
			goto bad;
		if (!sched_node_worker(n, r.worker)) {
			proto_result_clear(&r);
			snprintf(err, sizeof err, "result from no worker of its "
			    "own");
			goto bad;
		}
		dispatch_result(s, &r);
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
	if (!n->local) {
		out_line(s, "node %d: bad message: %s", n->index, err);
		dispatch_node_lost(s, n, "it broke the protocol");
		return;
	}
	sched_fail(s, "bad message from vassal: %s", err);
	sched_end(s);
}

void
sched_node_close(struct ndjson_peer *peer, const char *why, void *arg)
{
	struct snode *n = arg;
	struct sched *s = n->sched;

	if (!n->local) {
		ndjson_peer_free(peer);
		n->peer = NULL;
		if (!s->ending && n->state != NODE_GONE)
			node_away(s, n, why);
		node_closed(s);
		return;
	}
	ndjson_peer_free(peer);
	n->peer = NULL;
	s->vassal = NULL;
	if (!s->ending) {
		sched_fail(s, "vassal: %s", why);
		if (s->loaded)
			dispatch_abandon(s, "vassal died");
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

	/* A stress job that runs until stopped reports what it found. */
	if (!s->interrupted && s->loaded && repeat_interrupt(s))
		return;
	if (s->interrupted++) {
		/* A second interrupt: stop waiting for anyone. */
		if (s->vassal_pid != 0)
			kill(s->vassal_pid, SIGKILL);
		return;
	}
	sched_fail(s, "interrupted by %s", sig == SIGINT ? "SIGINT" :
	    "SIGTERM");
	if (s->loaded)
		dispatch_abandon(s, "interrupted");
	sched_end(s);
}

static void
sched_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;

	double now = time_mono();

	out_tick(s, now);
	node_tick(s);
	if (s->loaded && !s->ending)
		status_tick(s, now);
}

void
sched_maybe_finish(struct sched *s)
{
	if (s->loaded && !s->ending && s->ndone == s->ntests &&
	    dispatch_idle(s))
		sched_end(s);
}

/*
 * Starts the end: our vassal is told to shut down; we wait for it. The
 * other nodes hear the report first (node_end).
 */
void
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

/* What every vassal of ours is told: workers, verbosity, adapters. */
char **
sched_vassal_argv(struct sched *s, char **argv)
{
	char jobs[16], *json;
	json_t *specs;
	int i;

	snprintf(jobs, sizeof jobs, "%d", s->opt.workers);
	argv = strv_push(argv, "-j");
	argv = strv_push(argv, jobs);
	for (i = 0; i < s->opt.verbose; i++)
		argv = strv_push(argv, "-v");
	specs = adapter_list_encode(&s->opt.adapters);
	json = json_dumps(specs, JSON_COMPACT);
	json_decref(specs);
	argv = strv_push(argv, "--adapters");
	argv = strv_push(argv, json);
	free(json);
	/* The node's own commands, from its own command line. */
	if (s->opt.worker_init != NULL) {
		argv = strv_push(argv, "--worker-init");
		argv = strv_push(argv, s->opt.worker_init);
	}
	if (s->opt.worker_cleanup != NULL) {
		argv = strv_push(argv, "--worker-cleanup");
		argv = strv_push(argv, s->opt.worker_cleanup);
	}
	return (argv);
}

static void
sched_spawn_vassal(struct sched *s)
{
	char *path, **argv = NULL;
	struct msg_hello hello;
	int sv[2];
	pid_t pid;

	path = paths_program("dagz-vassal");
	argv = strv_push(argv, "dagz-vassal");
	argv = strv_push(argv, "-f");
	argv = strv_push(argv, "3");
	argv = sched_vassal_argv(s, argv);
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
	    sched_node_msg, sched_node_close, s->nodes[0]);
	s->nodes[0]->peer = s->vassal;
	s->nodes[0]->pid = pid;

	memset(&hello, 0, sizeof hello);
	hello.proto = PROTO_VERSION;
	strlcpy(hello.role, "sched", sizeof hello.role);
	hello.pid = getpid();
	hello.worker = -1;
	ndjson_send(s->vassal, proto_hello_encode(&hello));
	node_send_config(s, s->nodes[0]);
}

/*
 * Checks that the reports can be written where they are asked for
 * before anything runs or is recorded: the directory of --junit and
 * --events exists and is writable, and neither names a directory.
 */
static void
sched_check_output(const char *opt, const char *path)
{
	struct stat st;
	char *copy, *dir;

	if (path == NULL)
		return;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		errx(DAGZ_EXIT_USAGE, "%s '%s': is a directory", opt, path);
	copy = xstrdup(path);
	dir = dirname(copy);
	if (stat(dir, &st) == -1)
		err(DAGZ_EXIT_USAGE, "%s '%s': directory '%s'", opt, path, dir);
	if (!S_ISDIR(st.st_mode))
		errx(DAGZ_EXIT_USAGE, "%s '%s': '%s' is not a directory", opt,
		    path, dir);
	if (access(dir, W_OK | X_OK) == -1)
		err(DAGZ_EXIT_USAGE, "%s '%s': directory '%s'", opt, path, dir);
	free(copy);
}

static void
sched_make_log_dir(struct sched *s)
{
	struct stat st;
	const char *tmp;
	char *p;

	if (s->opt.log_dir != NULL) {
		p = xstrdup(s->opt.log_dir);
		if (paths_mkdirs(p, 0777) == -1)
			err(DAGZ_EXIT_USAGE, "--log-dir '%s'", p);
		if ((s->log_dir = realpath(p, NULL)) == NULL)
			err(DAGZ_EXIT_USAGE, "--log-dir '%s'", p);
		if (stat(s->log_dir, &st) == -1)
			err(DAGZ_EXIT_USAGE, "--log-dir '%s'", p);
		if (!S_ISDIR(st.st_mode))
			errx(DAGZ_EXIT_USAGE, "--log-dir '%s': not a directory",
			    p);
		if (access(s->log_dir, W_OK | X_OK) == -1)
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

/* Frees what the options hold. */
void
sched_options_clear(struct sched_options *o)
{
	free(o->events);
	free(o->junit);
	free(o->log_dir);
	adapter_list_clear(&o->adapters);
	projconf_clear(&o->config);
	free(o->suite_name);
	free(o->suite_dir);
	free(o->filter);
	strv_free(o->test_ids);
	free(o->baseline);
	free(o->baseline_file);
	strv_free(o->globals);
	strv_free(o->argv);
	strv_free(o->advertise);
	strv_free(o->worker_env);
	free(o->worker_init);
	free(o->worker_cleanup);
	free(o->bisect_job);
	free(o->coverage);
}

static void
sched_cleanup(struct sched *s)
{
	size_t i;
	int j;

	select_free(s);
	repeat_free(s);
	store_close(s);
	if (s->log_dir_temp)
		nftw(s->log_dir, sched_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < s->ntests; i++) {
		struct test *t = &s->tests[i];

		testdef_clear(&t->def);
		for (j = 0; j < t->nattempts; j++) {
			proto_result_clear(&t->attempts[j].r);
			json_decref(t->attempts[j].rec);
		}
		free(t->attempts);
		free(t->needs);
		free(t->dependents);
		free(t->after);
		free(t->followers);
		free(t->fixtures);
		free(t->conflict);
		strv_free(t->locks);
		strv_free(t->cases);
	}
	free(s->tests);
	for (i = 0; i < s->nfixtures; i++)
		fixturedef_clear(&s->fixtures[i].def);
	free(s->fixtures);
	pollution_free(s);
	for (j = 0; j < s->nworkers; j++)
		free(s->workers[j].fix);
	free(s->workers);
	strv_free(s->locks_held);
	strv_free(s->mirror);
	free(s->log_dir);
	free(s->error);
	free(s->stopped);
	free(s->stop_why);
	strv_free(s->quarantine_notes);
	if (s->events != NULL)
		fclose(s->events);
	if (s->vassal != NULL)
		ndjson_peer_free(s->vassal);
	node_free_all(s);
	if (s->ev_wait != NULL)
		event_free(s->ev_wait);
	event_free(s->ev_tick);
	event_free(s->ev_chld);
	event_free(s->ev_int);
	event_free(s->ev_term);
	event_base_free(s->base);
	sched_options_clear(&s->opt);
	free(s->run_key);
	free(s->retry_of);
	strv_free(s->retry_tests);
}

static int
sched_exit_code(struct sched *s)
{
	int i, failed = 0;

	if (s->exit_code != -1)
		return (s->exit_code);
	for (i = 0; i < ST__COUNT; i++)
		if (status_failed(i))
			failed += s->counts[i];
	/* A quarantined test's failure fails no job. */
	if (failed > quarantine_failures(s))
		return (DAGZ_EXIT_FAIL);
	if (s->error != NULL || s->counts[ST_DAGZ_ERROR] > 0)
		return (DAGZ_EXIT_ERROR);
	return (DAGZ_EXIT_OK);
}

int
sched_run(struct sched *s)
{
	struct timeval tick = { 0, SCHED_TICK_MS * 1000 }, wait;
	double elapsed;
	int code;

	s->exit_code = -1;
	s->t0 = time_mono();
	s->t0_unix = time_unix();
	RB_INIT(&s->by_id);
	sched_new_job_id(s);
	signal(SIGPIPE, SIG_IGN);
	if (!s->opt.list_only && !s->opt.plan_only && !s->opt.select_only) {
		sched_check_output("--junit", s->opt.junit);
		sched_check_output("--events", s->opt.events);
	}
	out_init(s);
	store_open(s);
	select_root(s);
	s->slots = 1;
	if ((code = join_begin(s)) != -1) {
		sched_cleanup(s);
		return (code);
	}
	sched_make_log_dir(s);
	TAILQ_INIT(&s->deferred);

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
	node_local(s);
	if (s->slots > 1) {
		s->ev_wait = evtimer_new(s->base, sched_wait_nodes, s);
		wait.tv_sec = s->opt.wait_nodes;
		wait.tv_usec = (s->opt.wait_nodes - wait.tv_sec) * 1e6;
		evtimer_add(s->ev_wait, &wait);
	}
	if (join_publish(s) == -1)
		s->exit_code = DAGZ_EXIT_ERROR;
	else
		sched_spawn_vassal(s);
	event_base_dispatch(s->base);

	elapsed = time_mono() - s->t0;
	code = sched_exit_code(s);
	if (s->loaded && code != DAGZ_EXIT_USAGE && !s->opt.plan_only &&
	    !s->opt.select_only) {
		s->exit_code = code;
		out_flush_batch(s);
		select_job_end(s);
		/* The end, as every node prints it. */
		s->mirroring = s->nnodes > 1;
		out_summary(s, elapsed);
		repeat_summary(s);
		report_event_summary(s, elapsed);
		store_job_end(s, elapsed);
		if (s->opt.junit != NULL && report_junit(s, elapsed) == -1 &&
		    code == DAGZ_EXIT_OK)
			code = DAGZ_EXIT_ERROR;
		out_report(s, elapsed);
		s->mirroring = 0;
	}
	node_end(s, code);
	sched_cleanup(s);
	return (code);
}
