/*
 * sched-dispatch.c: handing out work and taking back results. Each
 * worker runs the first test of its queue that may run now: whose needs
 * have passed, whose after have ended (however they ended), whose locks
 * are free, and which is not held back by a node-mutex test. A fixture is set up on a worker before the first test
 * there that needs it, and torn down once none of its queued tests does.
 * A worker with nothing left steals from the worker with the most
 * planned time left. A failed attempt is retried at once on the same
 * worker, then once more at the end on another worker with its fixtures
 * set up anew. A worker that keeps more than --worker-mem-budget between
 * tests is recycled before its next one: its fixtures torn down, itself
 * replaced by a fresh one, which sets them up again as needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "sched.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"

/*
 * A worker gets a second test queued behind the one it runs only while
 * the tests seen so far are this short on average: then the round trip
 * to the scheduler is a fair part of each test's cost. With longer tests
 * it is not, and a test queued behind one that runs long could not be
 * stolen by an idle worker.
 */
#define DISPATCH_PREFETCH_MEAN	0.05

static void	dispatch_synth(struct sched *, struct test *,
		    enum test_status, const char *, const char *);
static void	dispatch_recycle(struct sched *, struct sworker *);

static int
dispatch_locks_free(struct sched *s, struct test *t)
{
	size_t i;

	for (i = 0; t->locks != NULL && t->locks[i] != NULL; i++)
		if (strv_contains(s->locks_held, t->locks[i]))
			return (0);
	return (1);
}

static void
dispatch_locks_release(struct sched *s, struct test *t)
{
	char **held = NULL;
	size_t i;

	if (t->locks == NULL)
		return;
	for (i = 0; s->locks_held != NULL && s->locks_held[i] != NULL; i++)
		if (!strv_contains(t->locks, s->locks_held[i]))
			held = strv_push(held, s->locks_held[i]);
	strv_free(s->locks_held);
	s->locks_held = held;
}

static void
dispatch_dequeue(struct sched *s, struct test *t)
{
	struct sworker *w;

	if (t->queued) {
		w = &s->workers[t->worker];
		TAILQ_REMOVE(&w->queue, t, qentry);
		w->queued_estimate -= t->estimate;
		s->nqueued--;
		t->queued = 0;
	}
	if (t->deferred) {
		TAILQ_REMOVE(&s->deferred, t, qentry);
		t->deferred = 0;
	}
}

static void
dispatch_enqueue(struct sched *s, struct sworker *w, struct test *t,
    int front)
{
	t->worker = w->index;
	t->queued = 1;
	if (front)
		TAILQ_INSERT_HEAD(&w->queue, t, qentry);
	else
		TAILQ_INSERT_TAIL(&w->queue, t, qentry);
	w->queued_estimate += t->estimate;
	s->nqueued++;
}

/* Whether fixture f is --worker-init's, which every test has. */
int
dispatch_is_worker_fixture(struct sched *s, size_t f)
{
	return (s->opt.worker_init != NULL &&
	    strcmp(s->fixtures[f].def.name, TESTDEF_WORKER_FIXTURE) == 0);
}

/*
 * Whether t's final result counts toward --fail-fast and --max-fail: the
 * one place that decides. A test that failed for good (FAILED, TIMEOUT,
 * CRASHED, after its retries) counts; a DEP_FAILED does not, it is a
 * consequence of a failure counted already; nor does a DAGZ_ERROR,
 * which is dagz's own, nor an attempt that will be retried (t is not
 * done then), nor the failure of a quarantined test.
 */
int
dispatch_counts_toward_stop(struct sched *s, struct test *t)
{
	if (t->state != TS_DONE || !quarantine_counts(s, t))
		return (0);
	return (t->status == ST_FAILED || t->status == ST_TIMEOUT ||
	    t->status == ST_CRASHED);
}

/* The node-mutex test that holds w's node, or NULL. */
static struct test *
dispatch_mutex(struct sched *s, struct sworker *w)
{
	return (s->nodes[w->node]->mutex);
}

/* t, ended or gone back to wait, holds its node no longer. */
static void
dispatch_mutex_release(struct sched *s, struct test *t)
{
	int k;

	for (k = 0; k < s->nnodes; k++)
		if (s->nodes[k]->mutex == t)
			s->nodes[k]->mutex = NULL;
}

/* Whether t may start now on w, as far as others are concerned. */
static int
dispatch_may_start(struct sched *s, struct test *t, struct sworker *w)
{
	struct test *m = dispatch_mutex(s, w);

	return (t->state == TS_PENDING && t->unmet == 0 && t->waiting == 0 &&
	    dispatch_locks_free(s, t) && (m == NULL || m == t));
}

/* Whether every worker of w's node is idle. */
static int
dispatch_node_idle(struct sched *s, struct sworker *w)
{
	int k;

	for (k = 0; k < s->nworkers; k++)
		if (s->workers[k].node == w->node &&
		    s->workers[k].inflight > 0)
			return (0);
	return (1);
}

/*
 * Whether thief w may take t from victim v: t may start, belongs to no
 * worker in particular (main-worker, a deferred retry placed on purpose),
 * is not waiting for a fixture v is setting up for it, and needs no
 * fixture whose setup already failed on w.
 */
static int
dispatch_stealable(struct sched *s, struct sworker *v, struct sworker *w,
    struct test *t)
{
	size_t i, f;

	if (t->main_worker || t->fresh || !dispatch_may_start(s, t, w) ||
	    !node_may_run(s, t, w))
		return (0);
	for (i = 0; i < t->nfixtures; i++) {
		f = t->fixtures[i];
		/* The thief has a worker init of its own. */
		if (dispatch_is_worker_fixture(s, f))
			continue;
		if (v->fix[f] == FIX_SETTING_UP || w->fix[f] == FIX_FAILED)
			return (0);
	}
	return (1);
}

/*
 * Takes a runnable test (and the rest of its fixture group) from the end
 * of the queue of the busy worker with the most planned time left.
 */
static int
dispatch_steal(struct sched *s, struct sworker *w)
{
	struct sworker *v, *victim = NULL;
	struct test *t = NULL, *u, *next;
	int k, took = 0;

	/* Of the victims with a test w may take, the one with the most. */
	for (k = 0; k < s->nworkers; k++) {
		v = &s->workers[k];
		if (v == w || v->inflight == 0 || TAILQ_EMPTY(&v->queue))
			continue;
		if (victim != NULL && v->queued_estimate <=
		    victim->queued_estimate)
			continue;
		TAILQ_FOREACH_REVERSE(u, &v->queue, test_queue, qentry)
			if (dispatch_stealable(s, v, w, u))
				break;
		if (u == NULL)
			continue;
		victim = v;
		t = u;
	}
	if (t == NULL)
		return (0);
	/* A fixture group moves whole, so its fixture is set up once. */
	for (u = TAILQ_FIRST(&victim->queue); u != NULL; u = next) {
		next = TAILQ_NEXT(u, qentry);
		if (u != t && (t->group < 0 || u->group != t->group ||
		    !dispatch_stealable(s, victim, w, u)))
			continue;
		dispatch_dequeue(s, u);
		dispatch_enqueue(s, w, u, 0);
		u->stolen = 1;
		w->stolen++;
		took++;
	}
	if (took > 0)
		w->batch++;
	return (took);
}

/* Moves a deferred retry to w, which has nothing else to do. */
static int
dispatch_take_deferred(struct sched *s, struct sworker *w)
{
	struct test *t;
	int others = 0, k;

	for (k = 0; k < s->nworkers; k++)
		if (k != w->index && s->workers[k].state == WS_READY)
			others++;
	TAILQ_FOREACH(t, &s->deferred, qentry) {
		/* Another worker, when there is one: state may be to blame. */
		if (t->failed_on == w->index && others > 0)
			continue;
		if (t->main_worker && w->index != 0)
			continue;
		if (!dispatch_may_start(s, t, w) || !node_may_run(s, t, w))
			continue;
		dispatch_dequeue(s, t);
		dispatch_enqueue(s, w, t, 1);
		t->fresh = 1;
		if (!w->retry_queue)
			w->batch++;
		w->retry_queue = 1;
		return (1);
	}
	return (0);
}

/* The first test in w's queue that may run now, or NULL. */
static struct test *
dispatch_pick(struct sched *s, struct sworker *w)
{
	struct test *t;

	if (dispatch_mutex(s, w) != NULL &&
	    dispatch_mutex(s, w)->state != TS_PENDING)
		return (NULL);
	for (;;) {
		TAILQ_FOREACH(t, &w->queue, qentry)
			if (dispatch_may_start(s, t, w))
				break;
		if (t != NULL)
			break;
		/* Only an idle worker looks for work elsewhere. */
		if (w->inflight > 0)
			return (NULL);
		if (dispatch_steal(s, w) > 0)
			continue;
		/* Nothing else for w to do: its end of the job has come. */
		if (dispatch_take_deferred(s, w))
			continue;
		return (NULL);
	}
	if (t->node_mutex) {
		/* Alone on the node: hold everyone back until all are idle. */
		s->nodes[w->node]->mutex = t;
		if (!dispatch_node_idle(s, w))
			return (NULL);
	}
	return (t);
}

/* Sends a fixture's setup or teardown to w. */
static void
dispatch_fixture_op(struct sched *s, struct sworker *w, size_t f,
    const char *phase)
{
	struct fixture *fx = &s->fixtures[f];

	w->fix[f] = strcmp(phase, "setup") == 0 ? FIX_SETTING_UP :
	    FIX_TEARING_DOWN;
	w->fix_busy = 1;
	w->inflight++;
	sched_send_run(s, w, fx->def.name, ++fx->runs, phase);
}

/*
 * Whether t's fixtures are up on w (1); if not, sends what brings them
 * closer, a teardown for a fresh start or a setup (0); or ends t when a
 * fixture it needs failed on w (-1).
 */
static int
dispatch_fixtures_ready(struct sched *s, struct sworker *w, struct test *t)
{
	char reason[256];
	size_t i, f;

	if (t->fresh) {
		for (i = 0; i < t->nfixtures; i++) {
			f = t->fixtures[i];
			/* A worker's init is not the test's to redo. */
			if (w->fix[f] == FIX_UP &&
			    !dispatch_is_worker_fixture(s, f)) {
				dispatch_fixture_op(s, w, f, "teardown");
				return (0);
			}
		}
		t->fresh = 0;
	}
	for (i = 0; i < t->nfixtures; i++) {
		f = t->fixtures[i];
		if (w->fix[f] == FIX_FAILED) {
			/* A setup that failed here is not tried again here. */
			snprintf(reason, sizeof reason, "fixture '%s' setup "
			    "failed on worker #%d", s->fixtures[f].def.name,
			    w->index);
			dispatch_synth(s, t, ST_DEP_FAILED, reason, NULL);
			return (-1);
		}
		if (w->fix[f] == FIX_DOWN) {
			dispatch_fixture_op(s, w, f, "setup");
			return (0);
		}
	}
	return (1);
}

/* Tears down, on an idle w, each fixture that nothing queued there needs. */
static int
dispatch_teardown_unneeded(struct sched *s, struct sworker *w)
{
	struct test *t;
	size_t f, i;
	int needed;

	for (f = 0; f < s->nfixtures; f++) {
		if (w->fix[f] != FIX_UP)
			continue;
		needed = 0;
		TAILQ_FOREACH(t, &w->queue, qentry) {
			for (i = 0; i < t->nfixtures && !needed; i++)
				needed = t->fixtures[i] == f;
			if (needed)
				break;
		}
		if (needed)
			continue;
		dispatch_fixture_op(s, w, f, "teardown");
		return (1);
	}
	return (0);
}

static void
dispatch_send_test(struct sched *s, struct sworker *w, struct test *t)
{
	size_t i;

	dispatch_dequeue(s, t);
	t->state = TS_SENT;
	t->worker = w->index;
	w->inflight++;
	for (i = 0; t->locks != NULL && t->locks[i] != NULL; i++)
		s->locks_held = strv_push(s->locks_held, t->locks[i]);
	sched_send_run(s, w, t->def.id, t->nattempts + 1, NULL);
}

/*
 * A test that may wait on the worker behind the one it runs. Its
 * fixtures must be up there already (--worker-init's is, on every test
 * after the first): no setup or teardown may start beside a test.
 */
static int
dispatch_prefetchable(struct sched *s, struct sworker *w, struct test *t)
{
	size_t i;

	/* Stopping early: nothing starts after the failure that stops. */
	if (s->opt.max_fail > 0 ||
	    s->nfinished < (size_t)s->nworkers ||
	    s->sum_duration / s->nfinished > DISPATCH_PREFETCH_MEAN ||
	    s->nqueued <= (size_t)s->nworkers * 2 || t->fresh)
		return (0);
	for (i = 0; i < t->nfixtures; i++)
		if (w->fix[t->fixtures[i]] != FIX_UP)
			return (0);
	return (dispatch_mutex(s, w) == NULL && t->locks == NULL &&
	    !t->node_mutex && t->ndependents == 0 && t->nfollowers == 0);
}

/*
 * Sends run attempt of t, which ran before (sched-repeat.c), to w, which
 * is idle, once what t needs is there: its locks free, its node to
 * itself for a node-mutex test, its fixtures up on w (a setup is sent
 * first). 1: sent; 0: not yet; -1: never on w.
 */
int
dispatch_run_again(struct sched *s, struct sworker *w, struct test *t,
    int attempt)
{
	struct test *m = dispatch_mutex(s, w);
	size_t i, f;

	if ((t->main_worker && w->index != 0) || !node_may_run(s, t, w))
		return (-1);
	for (i = 0; i < t->nfixtures; i++)
		if (w->fix[t->fixtures[i]] == FIX_FAILED)
			return (-1);
	if (!dispatch_locks_free(s, t) || (m != NULL && m != t))
		return (0);
	if (t->node_mutex) {
		s->nodes[w->node]->mutex = t;
		if (!dispatch_node_idle(s, w))
			return (0);
	}
	for (i = 0; i < t->nfixtures; i++) {
		f = t->fixtures[i];
		if (w->fix[f] == FIX_DOWN) {
			dispatch_fixture_op(s, w, f, "setup");
			return (0);
		}
	}
	w->inflight++;
	for (i = 0; t->locks != NULL && t->locks[i] != NULL; i++)
		s->locks_held = strv_push(s->locks_held, t->locks[i]);
	sched_send_run(s, w, t->def.id, attempt, NULL);
	return (1);
}

static void
dispatch_worker(struct sched *s, struct sworker *w)
{
	struct test *t;
	int ready;

	/* Nothing goes to a node while it is away. */
	if (s->nodes[w->node]->away)
		return;
	while (w->state == WS_READY && !w->fix_busy) {
		if (w->inflight >= 2)
			break;
		if ((t = dispatch_pick(s, w)) == NULL) {
			/*
			 * Nothing runs alongside a node-mutex test; what
			 * runs again may need the fixtures still.
			 */
			if (w->inflight == 0 && dispatch_mutex(s, w) == NULL &&
			    !repeat_waiting(s, w))
				dispatch_teardown_unneeded(s, w);
			break;
		}
		if (w->inflight > 0 && !dispatch_prefetchable(s, w, t))
			break;
		/* Between tests only: nothing running is cut short. */
		if (w->recycle_rss > 0) {
			if (w->inflight == 0)
				dispatch_recycle(s, w);
			break;
		}
		if ((ready = dispatch_fixtures_ready(s, w, t)) == -1)
			continue;
		if (ready == 0)
			break;
		dispatch_send_test(s, w, t);
	}
}

/* Hands out whatever can run now. */
void
dispatch(struct sched *s)
{
	int k;

	if (!s->loaded || s->ending)
		return;
	/* Stopped early: what waits anew (a dead worker's) does not run. */
	stop_pending(s);
	for (k = 0; k < s->nworkers; k++)
		dispatch_worker(s, &s->workers[k]);
	repeat_dispatch(s);
	sched_maybe_finish(s);
}

/* Nothing in flight and no fixture up: the job may end. */
int
dispatch_idle(struct sched *s)
{
	size_t f;
	int k;

	for (k = 0; k < s->nworkers; k++) {
		if (s->workers[k].inflight > 0)
			return (0);
		if (s->workers[k].state == WS_FAILED)
			continue;
		for (f = 0; f < s->nfixtures; f++)
			if (s->workers[k].fix[f] == FIX_UP)
				return (0);
	}
	return (1);
}

/* Keeps r (emptied) as t's next attempt. */
struct attempt *
dispatch_add_attempt(struct test *t, struct msg_result *r)
{
	struct attempt *a;

	t->attempts = xreallocarray(t->attempts, t->nattempts + 1,
	    sizeof *t->attempts);
	a = &t->attempts[t->nattempts++];
	memset(a, 0, sizeof *a);
	a->subset = t->cases != NULL;
	a->r = *r;
	memset(r, 0, sizeof *r);
	r->exit_code = -1;
	return (a);
}

/* Everything that depends on t learns its fate; failure cascades. */
static void
dispatch_cascade(struct sched *s, struct test *t)
{
	struct test *d;
	char reason[TESTDEF_ID_MAX + 64];
	size_t i;

	for (i = 0; i < t->ndependents; i++) {
		d = &s->tests[t->dependents[i]];
		if (d->state == TS_DONE)
			continue;
		/* Stopped early: what needs a test not run is not run. */
		if (t->status == ST_NOT_RUN) {
			sched_skip_test(s, d, ST_NOT_RUN, s->stopped != NULL ?
			    s->stopped : "the job stopped early");
			continue;
		}
		if (status_passed(t->status)) {
			if (d->unmet > 0)
				d->unmet--;
			continue;
		}
		snprintf(reason, sizeof reason, "needs '%s' which %s",
		    t->def.id, status_name(t->status));
		/* Not run for a quarantined failure: no failure of its own. */
		if (!quarantine_counts(s, t))
			d->quarantined = 1;
		sched_skip_test(s, d, ST_DEP_FAILED, reason);
	}
}

/* What runs after t may start once t has ended, whatever its status. */
static void
dispatch_release_followers(struct sched *s, struct test *t)
{
	struct test *d;
	size_t i;

	for (i = 0; i < t->nfollowers; i++) {
		d = &s->tests[t->followers[i]];
		if (d->waiting > 0)
			d->waiting--;
	}
}

/*
 * The attempt's record, built once, to every sink: the store's spool
 * first (so that what the console or the events file shows survives a
 * SIGKILL of the scheduler), then the events file and the console.
 * retry and no_retry say what comes of a failure.
 */
static void
dispatch_emit(struct sched *s, struct test *t, struct attempt *a,
    const char *retry, const char *no_retry)
{
	a->rec = report_record(s, t, &a->r, retry, no_retry);
	select_record(s, t, a->rec);
	pollution_record(s, t, a);
	store_result(s, t, a);
	report_event(s, a->rec);
	out_result(s, a);
}

/* t ends with the attempt r, whose record says why it is not retried. */
void
dispatch_finish(struct sched *s, struct test *t, struct msg_result *r,
    const char *no_retry)
{
	struct attempt *a;

	a = dispatch_add_attempt(t, r);
	t->state = TS_DONE;
	t->status = a->r.status;
	dispatch_mutex_release(s, t);
	s->ndone++;
	s->counts[t->status]++;
	s->cpu += a->r.cpu;
	dispatch_emit(s, t, a, NULL, no_retry != NULL && *no_retry != '\0' ?
	    no_retry : NULL);
	dispatch_release_followers(s, t);
	dispatch_cascade(s, t);
	stop_after(s, t);
}

/*
 * Ends a test that will not run (DEP_FAILED, DESELECTED, REDUNDANT,
 * NOT_RUN).
 */
void
sched_skip_test(struct sched *s, struct test *t, enum test_status st,
    const char *reason)
{
	struct msg_result r;

	if (t->state != TS_PENDING)
		return;
	dispatch_dequeue(s, t);
	memset(&r, 0, sizeof r);
	r.worker = -1;
	r.test = xstrdup(t->def.id);
	r.attempt = 0;
	r.status = st;
	r.exit_code = -1;
	r.start = time_unix();
	r.reason = xstrdup(reason);
	dispatch_finish(s, t, &r, NULL);
}

/* A result made by the scheduler for a test that could not report. */
static void
dispatch_synth(struct sched *s, struct test *t, enum test_status st,
    const char *reason, const char *tail)
{
	struct msg_result r;

	memset(&r, 0, sizeof r);
	r.worker = t->worker;
	r.test = xstrdup(t->def.id);
	/* A test that never started has no attempt: 0, as for needs. */
	r.attempt = st == ST_DEP_FAILED ? 0 : t->nattempts + 1;
	r.status = st;
	r.exit_code = -1;
	r.start = t->state == TS_RUNNING ?
	    s->t0_unix + (t->started - s->t0) : time_unix();
	r.duration = t->state == TS_RUNNING ? time_mono() - t->started : 0;
	r.reason = xstrdup(reason);
	r.tail = tail != NULL ? xstrdup(tail) : NULL;
	if (t->state == TS_PENDING)
		dispatch_dequeue(s, t);
	dispatch_finish(s, t, &r, NULL);
}

/*
 * Why a failed attempt is not retried, or NULL if it is. Seed 000: no
 * retry of a test longer than the retry budget (retrying a 20-minute
 * test is rarely worth it), nor once more than 10% of the suite has
 * failed (the failures are probably real), nor of a crash.
 */
static const char *
dispatch_no_retry(struct sched *s, struct test *t, struct msg_result *r)
{
	static char why[128];
	size_t selected;

	if (r->status != ST_FAILED && r->status != ST_TIMEOUT)
		return ("");
	if (r->reason != NULL && strncmp(r->reason, "worker died", 11) == 0)
		return ("");
	/*
	 * t->nattempts: the attempts before this one, the retries so far.
	 * A subset run that failed counts as the first attempt, and the
	 * whole run after it as the first retry: --retries N is N + 1
	 * runs in all (but 2 with --retries 0: the whole run is a must).
	 */
	if (t->nattempts >= s->opt.retries)
		return ("");
	/* A retry would start a test: none does once the job stopped. */
	if (s->stopped != NULL)
		return (s->stopped);
	/* Stopping early is for failing early, not at the end of the job. */
	if (s->opt.max_fail > 0 && t->nattempts >= 1)
		return (s->opt.fail_fast ? "no deferred retry with --fail-fast" :
		    "no deferred retry with --max-fail");
	if (r->duration > s->retry_budget) {
		snprintf(why, sizeof why, "longer than the %.1fs retry budget",
		    s->retry_budget);
		return (why);
	}
	selected = s->ntests - s->counts[ST_DESELECTED] -
	    s->counts[ST_REDUNDANT];
	if (s->failed_tests > 1 && (size_t)s->failed_tests * 10 > selected) {
		snprintf(why, sizeof why, "more than 10%% of the tests failed");
		return (why);
	}
	return (NULL);
}

/* What t holds while it runs: its locks, its node. */
void
dispatch_release(struct sched *s, struct test *t)
{
	dispatch_locks_release(s, t);
	dispatch_mutex_release(s, t);
}

/* What an attempt r of t that ran on w frees and counts. */
void
dispatch_ran(struct sched *s, struct sworker *w, struct test *t,
    struct msg_result *r)
{
	double now = time_mono();

	pollution_ran(w, t);
	w->finished++;
	s->nfinished++;
	s->sum_duration += r->duration;
	w->last_finished = s->last_finish = now;
	w->actual_delta += r->duration - t->estimate;
	if (t->stolen)
		w->stolen_finished++;
	if (w->current == t)
		w->current = NULL;
	dispatch_release(s, t);
}

/*
 * A case failed in a run of a subset of t's cases: cases may depend on
 * what others set up, so t runs again whole, at once on the same worker,
 * before anything counts; that run is its immediate retry, even with
 * --retries 0. 0: it does not (the failure is not a case's: a crash, a
 * timeout, a dagz error).
 */
static int
dispatch_subset_failed(struct sched *s, struct sworker *w, struct test *t,
    struct msg_result *r)
{
	struct attempt *a;

	if (r->status != ST_FAILED || r->worker < 0)
		return (0);
	a = dispatch_add_attempt(t, r);
	strv_free(t->cases);
	t->cases = NULL;
	s->cpu += a->r.cpu;
	t->state = TS_PENDING;
	t->failed_on = w->index;
	dispatch_enqueue(s, w, t, 1);
	dispatch_emit(s, t, a, "whole", NULL);
	/* The record of the whole run says why it ran. */
	strlcpy(t->rerun, a->r.reason != NULL && strncmp(a->r.reason,
	    SELECT_SUBSET_SHORT, sizeof SELECT_SUBSET_SHORT - 1) == 0 ?
	    SELECT_SUBSET_SHORT ": whole test" :
	    "a case failed in a subset: whole test", sizeof t->rerun);
	return (1);
}

static void
dispatch_test_result(struct sched *s, struct sworker *w, struct test *t,
    struct msg_result *r)
{
	struct attempt *a;
	const char *why;
	int failed_before, k;

	dispatch_ran(s, w, t, r);
	if (t->cases != NULL)
		select_subset_result(s, t, r);
	/* A test that runs again: its runs decide how it ends. */
	if (repeat_first(s, w, t, r))
		return;
	if (t->cases != NULL && !status_passed(r->status) &&
	    r->status != ST_SKIPPED && s->stopped == NULL &&
	    dispatch_subset_failed(s, w, t, r))
		return;
	/* A subset's failure is not the whole test's: it ran whole since. */
	for (failed_before = 0, k = 0; k < t->nattempts; k++)
		if (!status_passed(t->attempts[k].r.status) &&
		    !t->attempts[k].subset)
			failed_before = 1;
	if (status_passed(r->status)) {
		if (failed_before && r->status == ST_OK)
			r->status = ST_OK_FLAKY;
		dispatch_finish(s, t, r, NULL);
		return;
	}
	if (!failed_before && (r->status == ST_FAILED ||
	    r->status == ST_TIMEOUT || r->status == ST_CRASHED))
		s->failed_tests++;
	if ((why = dispatch_no_retry(s, t, r)) != NULL) {
		dispatch_finish(s, t, r, why);
		return;
	}
	a = dispatch_add_attempt(t, r);
	s->cpu += a->r.cpu;
	t->state = TS_PENDING;
	t->failed_on = w->index;
	if (t->nattempts == 1) {
		/* Immediate: same worker, fixtures left up. */
		dispatch_enqueue(s, w, t, 1);
	} else {
		/* Deferred: at the end, on another worker, fixtures anew. */
		t->deferred = 1;
		TAILQ_INSERT_TAIL(&s->deferred, t, qentry);
	}
	dispatch_emit(s, t, a, t->deferred ? "deferred" : "immediate", NULL);
}

/*
 * The worker's init failed on w: w is retired and the others take its
 * queue; only when every worker's init has failed do the tests end,
 * DEP_FAILED with the init's output.
 */
static void
dispatch_worker_init_failed(struct sched *s, struct sworker *w,
    const char *reason, const char *tail)
{
	struct test *t;
	size_t i;
	int k;

	w->state = WS_FAILED;
	out_line(s, "worker #%d retired: %s", w->index, reason);
	for (k = 0; k < s->nworkers; k++)
		if (s->workers[k].state != WS_FAILED)
			break;
	if (k < s->nworkers) {
		dispatch_orphans(s);
		return;
	}
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->state == TS_PENDING)
			dispatch_synth(s, t, ST_DEP_FAILED, reason, tail);
	}
}

/* A fixture's setup failed on w: its tests queued there cannot run. */
static void
dispatch_fixture_failed(struct sched *s, struct sworker *w, size_t f,
    struct msg_result *r)
{
	struct test *t, *next;
	char reason[512];
	size_t i;

	if (dispatch_is_worker_fixture(s, f)) {
		snprintf(reason, sizeof reason, "worker init %s on worker "
		    "#%d%s%s", status_name(r->status), w->index,
		    r->reason != NULL ? ": " : "", r->reason != NULL ?
		    r->reason : "");
		dispatch_worker_init_failed(s, w, reason, r->tail);
		return;
	}

	snprintf(reason, sizeof reason, "fixture '%s' setup %s%s%s",
	    s->fixtures[f].def.name, status_name(r->status),
	    r->reason != NULL ? ": " : "", r->reason != NULL ? r->reason : "");
	for (t = TAILQ_FIRST(&w->queue); t != NULL; t = next) {
		next = TAILQ_NEXT(t, qentry);
		for (i = 0; i < t->nfixtures; i++)
			if (t->fixtures[i] == f)
				break;
		if (i == t->nfixtures)
			continue;
		/* The setup's log is the reason: it goes with the test. */
		dispatch_synth(s, t, ST_DEP_FAILED, reason, r->tail);
	}
}

static void
dispatch_fixture_result(struct sched *s, struct sworker *w,
    struct msg_result *r)
{
	json_t *rec;
	size_t f;

	for (f = 0; f < s->nfixtures; f++)
		if (strcmp(s->fixtures[f].def.name, r->test) == 0)
			break;
	if (f == s->nfixtures) {
		sched_fail(s, "result for unknown fixture '%s'", r->test);
		return;
	}
	w->fix_busy = 0;
	rec = report_fixture_record(s, r);
	store_fixture(s, r, rec);
	report_event(s, rec);
	out_fixture(s, rec, r->tail);
	json_decref(rec);
	if (strcmp(r->phase, "setup") == 0) {
		if (r->status == ST_OK) {
			w->fix[f] = FIX_UP;
			return;
		}
		w->fix[f] = FIX_FAILED;
		dispatch_fixture_failed(s, w, f, r);
	} else
		w->fix[f] = FIX_DOWN;
}

void
dispatch_result(struct sched *s, struct msg_result *r)
{
	struct sworker *w;
	struct test *t;

	if (r->worker < 0 || r->worker >= s->nworkers) {
		sched_fail(s, "result from unknown worker #%d", r->worker);
		return;
	}
	w = &s->workers[r->worker];
	if (r->phase[0] != '\0') {
		w->inflight--;
		dispatch_fixture_result(s, w, r);
	} else if (repeat_result(s, w, r)) {
		/* A run again of a test that ran before. */
	} else {
		if ((t = sched_find(s, r->test)) == NULL ||
		    (t->state != TS_SENT && t->state != TS_RUNNING) ||
		    t->worker != r->worker) {
			sched_fail(s, "unexpected result for '%s' from worker "
			    "#%d", r->test, r->worker);
			return;
		}
		w->inflight--;
		/* What it keeps, measured after this test, decides. */
		if (s->opt.worker_mem_budget > 0 &&
		    r->kept_rss > s->opt.worker_mem_budget)
			w->recycle_rss = r->kept_rss;
		dispatch_test_result(s, w, t, r);
	}
	dispatch(s);
}

void
dispatch_started(struct sched *s, struct msg_started *st)
{
	struct test *t;

	if (st->phase[0] != '\0' || st->worker >= s->nworkers)
		return;
	if (repeat_started(s, st))
		return;
	if ((t = sched_find(s, st->test)) == NULL || t->state != TS_SENT)
		return;
	t->state = TS_RUNNING;
	t->started = time_mono();
	t->slow_next = s->opt.slow;
	s->workers[st->worker].current = t;
}

/*
 * A worker died. The test it was running is FAILED with the cause and is
 * not retried (it may be what killed it); tests sent to it but not
 * started go back to the front of its queue. A fixture op in flight is
 * forgotten: the fixture counts as down. The vassal restarts the worker.
 */
void
dispatch_worker_died(struct sched *s, struct sworker *w, const char *why)
{
	char reason[256];
	size_t i, f;

	w->state = WS_DISCONNECTED;
	w->inflight = 0;
	w->current = NULL;
	w->fix_busy = 0;
	/* Its successor is fresh: nothing to recycle. */
	w->recycle_rss = 0;
	/* A new worker runs --worker-init again, as any fixture half done. */
	for (f = 0; f < s->nfixtures; f++)
		if (w->fix[f] == FIX_SETTING_UP ||
		    w->fix[f] == FIX_TEARING_DOWN ||
		    dispatch_is_worker_fixture(s, f))
			w->fix[f] = FIX_DOWN;
	for (i = 0; i < s->ntests; i++) {
		struct test *t = &s->tests[i];

		if (t->worker != w->index)
			continue;
		if (t->state == TS_RUNNING) {
			dispatch_locks_release(s, t);
			dispatch_mutex_release(s, t);
			snprintf(reason, sizeof reason, "worker died: %s", why);
			dispatch_synth(s, t, ST_FAILED, reason, NULL);
		} else if (t->state == TS_SENT) {
			dispatch_locks_release(s, t);
			t->state = TS_PENDING;
			dispatch_enqueue(s, w, t, 1);
		}
	}
	repeat_worker_lost(s, w, why);
	dispatch(s);
}

/*
 * Recycles w, idle and with a test to run next: one fixture up there is
 * torn down at a time (--worker-init's last, as at the end of the job);
 * once none is, its vassal replaces it, and dispatch_recycled takes it
 * back.
 */
static void
dispatch_recycle(struct sched *s, struct sworker *w)
{
	char rss[32], budget[32];
	size_t f;

	for (f = 0; f < s->nfixtures; f++) {
		if (w->fix[f] == FIX_UP) {
			dispatch_fixture_op(s, w, f, "teardown");
			return;
		}
	}
	out_size(w->recycle_rss, rss, sizeof rss);
	out_size(s->opt.worker_mem_budget, budget, sizeof budget);
	out_line(s, "worker #%d recycled: kept processes use %s, over the "
	    "%s worker budget", w->index, rss, budget);
	w->state = WS_RECYCLING;
	w->recycle_start = time_unix();
	w->recycles++;
	node_send(s, s->nodes[w->node], proto_recycle_encode(w->index));
}

/*
 * w's successor is ready: the recycling is recorded, a "recycle" record
 * to the events file and the store, and w takes tests again.
 */
void
dispatch_recycled(struct sched *s, struct sworker *w)
{
	json_t *rec;

	rec = json_pack("{s:s,s:i,s:I,s:I,s:o,s:o}", "type", "recycle",
	    "worker", w->index, "kept_rss", (json_int_t)w->recycle_rss,
	    "budget", (json_int_t)s->opt.worker_mem_budget, "start",
	    report_seconds(w->recycle_start), "end",
	    report_seconds(time_unix()));
	report_event(s, rec);
	store_recycle(s, rec);
	json_decref(rec);
	w->recycle_rss = 0;
}

/*
 * Tests no worker may take: their nodes are gone, or never came. Each
 * ends as a dagz error, with why.
 */
void
dispatch_orphans(struct sched *s)
{
	struct sworker *w;
	struct test *t;
	size_t i;
	int k, best;

	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->state != TS_PENDING)
			continue;
		if (t->queued && s->workers[t->worker].state != WS_FAILED)
			continue;
		for (best = -1, k = 0; k < s->nworkers; k++) {
			w = &s->workers[k];
			if (!node_may_run(s, t, w) ||
			    s->nodes[w->node]->state != NODE_LOADED)
				continue;
			if (best == -1 || w->queued_estimate <
			    s->workers[best].queued_estimate)
				best = k;
		}
		if (best != -1) {
			/* Queued on a lost worker, or nowhere: a live one. */
			if (!t->deferred) {
				dispatch_dequeue(s, t);
				dispatch_enqueue(s, &s->workers[best], t, 0);
			}
			continue;
		}
		dispatch_synth(s, t, ST_DAGZ_ERROR, t->lost > 0 ?
		    "lost with its node, and no other node has it" :
		    "no node that collected it is in the job", NULL);
	}
}

/*
 * A node is gone (its machine died, or it broke the protocol): its
 * workers take nothing more; what was queued there goes elsewhere; a
 * test that was running there runs again once elsewhere, labelled, and
 * one lost with its node twice is a dagz error.
 */
void
dispatch_node_lost(struct sched *s, struct snode *n, const char *why)
{
	struct sworker *w;
	struct test *t;
	uint64_t bit = 1ULL << n->index;
	size_t i, f;
	int k;

	if (n->state == NODE_GONE)
		return;
	n->state = NODE_GONE;
	n->away = 0;
	if (n->ev_grace != NULL)
		evtimer_del(n->ev_grace);
	if (n->peer != NULL) {
		ndjson_peer_free(n->peer);
		n->peer = NULL;
	}
	out_line(s, "node %d lost: %s", n->index, why);
	for (k = n->first; k < n->first + n->nworkers; k++) {
		w = &s->workers[k];
		w->state = WS_FAILED;
		w->inflight = 0;
		w->current = NULL;
		w->fix_busy = 0;
		for (f = 0; w->fix != NULL && f < s->nfixtures; f++)
			w->fix[f] = FIX_DOWN;
		/* A run again that was there runs elsewhere. */
		repeat_worker_lost(s, w, NULL);
	}
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		t->nodes &= ~bit;
		if ((t->state != TS_SENT && t->state != TS_RUNNING) ||
		    t->worker < n->first || t->worker >= n->first + n->nworkers)
			continue;
		dispatch_locks_release(s, t);
		dispatch_mutex_release(s, t);
		if (++t->lost >= 2) {
			dispatch_synth(s, t, ST_DAGZ_ERROR, "lost with its node "
			    "twice", NULL);
			continue;
		}
		snprintf(t->rerun, sizeof t->rerun, "node %d lost", n->index);
		t->state = TS_PENDING;
		t->fresh = t->nfixtures > 0;
		out_line(s, "%s runs again elsewhere: node %d lost", t->def.id,
		    n->index);
	}
	if (s->loaded && !s->ending)
		dispatch_orphans(s);
	dispatch(s);
}

/* Ends every test that has not ended, as a dagz error. */
void
dispatch_abandon(struct sched *s, const char *reason)
{
	size_t i;

	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].state != TS_DONE)
			dispatch_synth(s, &s->tests[i], ST_DAGZ_ERROR, reason,
			    NULL);
}
