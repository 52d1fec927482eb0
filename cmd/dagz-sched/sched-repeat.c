/*
 * sched-repeat.c: tests that run again after their first run, to hunt
 * a flake. In a stress job (--repeat N, --until-fail) every test runs N
 * times in all, or until the job's first failure; with --new-tests-repeat
 * N a test no baseline knows as it is now runs N times more once it
 * passed, so that a flaky test is caught before it reaches main. Each
 * run is an attempt of the test, numbered on from its first; the runs
 * of a test go to idle workers as they free up, each to another worker
 * than the test's last run where one is free, so that several runs of
 * one test may run at once and state one worker keeps is not what they
 * all see. No run is retried. A test that failed any run ends FAILED,
 * saying how many of its runs failed.
 */
#include <sys/queue.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "timeutil.h"
#include "xmalloc.h"

/* A run sent to a worker and not yet ended. */
struct rrun {
	int	 attempt;
	int	 worker;
	int	 started;
};

struct rtest {
	struct test		*t;
	int			 want;		/* runs again after its first */
	int			 left;		/* runs to start; -1: no end */
	int			 runs;		/* ended */
	int			 failed;
	int			 last;		/* worker of the latest run */
	int			 next;		/* attempt of the next run */
	struct rrun		*v;		/* in flight */
	int			 nv;
	int			 waiting;	/* in the waiting list */
	TAILQ_ENTRY(rtest)	 entry;
};
TAILQ_HEAD(rtest_list, rtest);

struct sched_repeat {
	struct rtest		*tests;		/* by test index */
	struct rtest_list	 waiting;	/* with runs to start */
	int			 stress;
	int			 extra;		/* runs after the first; -1 */
	int			 stopping;	/* no more runs start */
};

static int
repeat_failed(enum test_status st)
{
	return (st == ST_FAILED || st == ST_TIMEOUT || st == ST_CRASHED);
}

int
repeat_stress(const struct sched *s)
{
	return (s->opt.repeat > 0 || s->opt.until_fail);
}

/*
 * Decides which tests run again: in a stress job, all; with
 * --new-tests-repeat, those no baseline knows as they are now, and none
 * when there is no baseline to tell (on a first job every test is new,
 * and repeating a whole suite is not what was asked for).
 */
void
repeat_begin(struct sched *s)
{
	struct sched_repeat *rep;
	size_t i, n = 0;
	int known;

	if (!repeat_stress(s) && s->opt.new_tests_repeat <= 0)
		return;
	rep = xcalloc(1, sizeof *rep);
	rep->tests = xcalloc(s->ntests + 1, sizeof *rep->tests);
	TAILQ_INIT(&rep->waiting);
	rep->stress = repeat_stress(s);
	rep->extra = rep->stress ? (s->opt.repeat > 0 ? s->opt.repeat - 1 :
	    -1) : s->opt.new_tests_repeat;
	for (i = 0; i < s->ntests; i++) {
		rep->tests[i].t = &s->tests[i];
		rep->tests[i].last = -1;
		rep->tests[i].next = 2;
		if (rep->stress)
			rep->tests[i].want = 1;
		else if ((known = select_known(s, &s->tests[i])) == -1)
			break;
		else if (known == 0 && s->tests[i].state == TS_PENDING) {
			rep->tests[i].want = 1;
			n++;
		}
	}
	if (rep->stress) {
		if (s->opt.repeat > 0)
			out_line(s, "stress: each test runs %s%d times over %d "
			    "worker%s, not retried", s->opt.until_fail ?
			    "until the first failure, at most " : "",
			    s->opt.repeat, s->nworkers, s->nworkers == 1 ? "" :
			    "s");
		else
			out_line(s, "stress: each test runs until the first "
			    "failure over %d worker%s, not retried",
			    s->nworkers, s->nworkers == 1 ? "" : "s");
	} else if (i < s->ntests) {
		out_line(s, "new tests: no baseline to tell them from, so "
		    "none runs again");
		free(rep->tests);
		free(rep);
		return;
	} else
		out_line(s, "new tests: %zu, each runs %d more time%s once it "
		    "passed", n, rep->extra, rep->extra == 1 ? "" : "s");
	s->repeat = rep;
}

/* Records attempt r of t (r is emptied): not its last. */
static void
repeat_emit(struct sched *s, struct test *t, struct msg_result *r)
{
	struct attempt *a;

	a = dispatch_add_attempt(t, r);
	s->cpu += a->r.cpu;
	a->rec = report_record(s, t, &a->r, NULL, NULL);
	select_record(s, t, a->rec);
	store_result(s, t, a);
	report_event(s, a->rec);
	out_result(s, a);
}

static void
repeat_unwait(struct sched_repeat *rep, struct rtest *rt)
{
	if (rt->waiting) {
		TAILQ_REMOVE(&rep->waiting, rt, entry);
		rt->waiting = 0;
	}
}

/*
 * rt's test ends, FAILED if any of its runs failed, saying how many:
 * with r, its last run, when that carries the verdict (a new test's
 * runs, which feed the flaky statistics as any job's attempts); else
 * (r NULL: a stress job, or runs that could not start) with a verdict
 * of its own, attempt 0 as for a test that did not run itself.
 */
static void
repeat_end(struct sched *s, struct rtest *rt, struct msg_result *r)
{
	struct sched_repeat *rep = s->repeat;
	struct test *t = rt->t;
	struct msg_result v;
	char why[128];

	repeat_unwait(rep, rt);
	rt->left = 0;
	if (r == NULL) {
		memset(&v, 0, sizeof v);
		v.worker = -1;
		v.test = xstrdup(t->def.id);
		v.exit_code = -1;
		v.start = time_unix();
		v.status = t->nattempts > 0 ?
		    t->attempts[t->nattempts - 1].r.status : ST_OK;
		r = &v;
	}
	if (rt->failed > 0) {
		snprintf(why, sizeof why, "%sfailed %d of %d run%s",
		    rep->stress ? "" : "flaky: ", rt->failed, rt->runs,
		    rt->runs == 1 ? "" : "s");
		free(r->reason);
		r->reason = xstrdup(why);
		r->status = ST_FAILED;
	} else if (status_passed(r->status)) {
		r->status = ST_OK;
		if (r == &v) {
			snprintf(why, sizeof why, "passed %d of %d run%s",
			    rt->runs, rt->runs, rt->runs == 1 ? "" : "s");
			r->reason = xstrdup(why);
		}
	}
	dispatch_finish(s, t, r, NULL);
}

/*
 * No run starts any more, nor any test not started yet (NOT_RUN, saying
 * after what); a test with none in flight ends now.
 */
static void
repeat_stop(struct sched *s, const char *what)
{
	struct sched_repeat *rep = s->repeat;
	struct rtest *rt;

	rep->stopping = 1;
	stop_now(s, what);
	while ((rt = TAILQ_FIRST(&rep->waiting)) != NULL) {
		repeat_unwait(rep, rt);
		rt->left = 0;
		if (rt->nv == 0 && rt->t->state == TS_REPEATING)
			repeat_end(s, rt, NULL);
	}
}

/*
 * A run of rt's test ended with r, on worker w: counted, recorded, and
 * the test ends when it was its last.
 */
static void
repeat_ran(struct sched *s, struct rtest *rt, struct msg_result *r)
{
	struct sched_repeat *rep = s->repeat;
	int failed = repeat_failed(r->status);

	rt->runs++;
	if (failed)
		rt->failed++;
	if (rt->left == 0 && rt->nv == 0 && !rep->stress) {
		repeat_end(s, rt, r);
		return;
	}
	repeat_emit(s, rt->t, r);
	/* --until-fail: the first failure is what was looked for. */
	if (failed && s->opt.until_fail && !rep->stopping) {
		out_line(s, "stress: %s failed on run %d: no more runs start",
		    rt->t->def.id, rt->runs);
		repeat_stop(s, "the first failed run (--until-fail)");
	}
	if (rt->left == 0 && rt->nv == 0 && rt->t->state == TS_REPEATING)
		repeat_end(s, rt, NULL);
}

/*
 * The first result of t, from w: if t runs again, it is recorded as
 * one of its runs and the others wait for a worker (1); else t goes on
 * as any test (0). A new test runs again only once it passed: one that
 * failed is retried as usual, and is flaky if it passes then.
 */
int
repeat_first(struct sched *s, struct sworker *w, struct test *t,
    struct msg_result *r)
{
	struct sched_repeat *rep = s->repeat;
	struct rtest *rt;

	if (rep == NULL || t->nattempts > 0 || !rep->tests[t->index].want)
		return (0);
	if (rep->stress ? r->status == ST_SKIPPED ||
	    r->status == ST_DAGZ_ERROR : r->status != ST_OK)
		return (0);
	rt = &rep->tests[t->index];
	t->state = TS_REPEATING;
	rt->last = w->index;
	rt->left = rep->stopping ? 0 : rep->extra;
	if (rt->left != 0) {
		TAILQ_INSERT_TAIL(&rep->waiting, rt, entry);
		rt->waiting = 1;
	}
	repeat_ran(s, rt, r);
	return (1);
}

/* Whether w may take a run now. */
static int
repeat_idle(struct sched *s, struct sworker *w)
{
	return (w->state == WS_READY && w->inflight == 0 && !w->fix_busy &&
	    !s->nodes[w->node]->away);
}

/* Whether runs wait that w might take: its fixtures stay up for them. */
int
repeat_waiting(struct sched *s, struct sworker *w)
{
	(void)w;
	return (s->repeat != NULL && !TAILQ_EMPTY(&s->repeat->waiting));
}

/*
 * Gives idle w the next run of a test that waits, on first a test whose
 * last run was elsewhere (other), then any. 1: w is busy now.
 */
static int
repeat_place(struct sched *s, struct sworker *w, int other)
{
	struct sched_repeat *rep = s->repeat;
	struct rtest *rt, *next;
	struct rrun *run;
	int rc;

	for (rt = TAILQ_FIRST(&rep->waiting); rt != NULL; rt = next) {
		next = TAILQ_NEXT(rt, entry);
		if (other && rt->last == w->index)
			continue;
		if ((rc = dispatch_run_again(s, w, rt->t, rt->next)) == -1)
			continue;
		/* A fixture's setup first, or others hold what it needs. */
		if (rc == 0) {
			if (w->fix_busy)
				return (1);
			continue;
		}
		rt->v = xreallocarray(rt->v, rt->nv + 1, sizeof *rt->v);
		run = &rt->v[rt->nv++];
		run->attempt = rt->next++;
		run->worker = w->index;
		run->started = 0;
		rt->last = w->index;
		if (rt->left > 0)
			rt->left--;
		/* Round robin: the runs of all tests go on side by side. */
		repeat_unwait(rep, rt);
		if (rt->left != 0) {
			TAILQ_INSERT_TAIL(&rep->waiting, rt, entry);
			rt->waiting = 1;
		}
		return (1);
	}
	return (0);
}

/* Whether some worker might yet run t: else its runs cannot start. */
static int
repeat_possible(struct sched *s, struct test *t)
{
	struct sworker *w;
	size_t i;
	int k;

	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		if (w->state == WS_FAILED || (t->main_worker && k != 0) ||
		    !node_may_run(s, t, w) ||
		    s->nodes[w->node]->state == NODE_GONE)
			continue;
		for (i = 0; i < t->nfixtures; i++)
			if (w->fix[t->fixtures[i]] == FIX_FAILED)
				break;
		if (i == t->nfixtures)
			return (1);
	}
	return (0);
}

/*
 * Hands the runs that wait to idle workers: each to another worker than
 * its test's last run while one is idle, then to any, so that no worker
 * idles while runs wait. A test no worker can run any more ends.
 */
void
repeat_dispatch(struct sched *s)
{
	struct sched_repeat *rep = s->repeat;
	struct rtest *rt, *next;
	int other, placed, k;

	if (rep == NULL || !s->loaded || s->ending)
		return;
	for (other = 1; other >= 0; other--)
		do {
			placed = 0;
			for (k = 0; k < s->nworkers; k++)
				if (repeat_idle(s, &s->workers[k]) &&
				    repeat_place(s, &s->workers[k], other))
					placed = 1;
		} while (placed);
	for (rt = TAILQ_FIRST(&rep->waiting); rt != NULL; rt = next) {
		next = TAILQ_NEXT(rt, entry);
		if (rt->nv == 0 && !repeat_possible(s, rt->t))
			repeat_end(s, rt, NULL);
	}
}

/* The run in flight of t with r's attempt on r's worker, or NULL. */
static struct rrun *
repeat_find(struct sched *s, const char *test, int attempt, int worker,
    struct rtest **rtp)
{
	struct test *t;
	struct rtest *rt;
	int i;

	if (s->repeat == NULL || (t = sched_find(s, test)) == NULL ||
	    t->state != TS_REPEATING)
		return (NULL);
	rt = &s->repeat->tests[t->index];
	for (i = 0; i < rt->nv; i++)
		if (rt->v[i].attempt == attempt && rt->v[i].worker == worker) {
			*rtp = rt;
			return (&rt->v[i]);
		}
	return (NULL);
}

static void
repeat_forget(struct rtest *rt, struct rrun *run)
{
	*run = rt->v[--rt->nv];
}

int
repeat_result(struct sched *s, struct sworker *w, struct msg_result *r)
{
	struct rtest *rt;
	struct rrun *run;

	if ((run = repeat_find(s, r->test, r->attempt, w->index, &rt)) ==
	    NULL)
		return (0);
	repeat_forget(rt, run);
	w->inflight--;
	dispatch_ran(s, w, rt->t, r);
	repeat_ran(s, rt, r);
	return (1);
}

int
repeat_started(struct sched *s, struct msg_started *st)
{
	struct rtest *rt;
	struct rrun *run;

	if ((run = repeat_find(s, st->test, st->attempt, st->worker, &rt)) ==
	    NULL)
		return (0);
	run->started = 1;
	rt->t->started = time_mono();
	rt->t->slow_next = s->opt.slow;
	s->workers[st->worker].current = rt->t;
	return (1);
}

/*
 * Worker w is gone with the runs it had: one that started failed with
 * the worker (why), as a test that was running there does; one that
 * had not, or any when its node was lost (why NULL), waits again.
 */
void
repeat_worker_lost(struct sched *s, struct sworker *w, const char *why)
{
	struct sched_repeat *rep = s->repeat;
	struct msg_result r;
	struct rtest *rt;
	char reason[256];
	size_t i;
	int k;

	if (rep == NULL)
		return;
	for (i = 0; i < s->ntests; i++) {
		rt = &rep->tests[i];
		for (k = rt->nv - 1; k >= 0; k--) {
			if (rt->v[k].worker != w->index)
				continue;
			dispatch_release(s, rt->t);
			if (why == NULL || !rt->v[k].started) {
				repeat_forget(rt, &rt->v[k]);
				if (rep->stopping)
					continue;
				if (rt->left != -1)
					rt->left++;
				if (!rt->waiting) {
					TAILQ_INSERT_HEAD(&rep->waiting, rt,
					    entry);
					rt->waiting = 1;
				}
				continue;
			}
			memset(&r, 0, sizeof r);
			r.worker = w->index;
			r.test = xstrdup(rt->t->def.id);
			r.attempt = rt->v[k].attempt;
			r.status = ST_FAILED;
			r.exit_code = -1;
			r.start = s->t0_unix + (rt->t->started - s->t0);
			r.duration = time_mono() - rt->t->started;
			snprintf(reason, sizeof reason, "worker died: %s", why);
			r.reason = xstrdup(reason);
			repeat_forget(rt, &rt->v[k]);
			repeat_ran(s, rt, &r);
			proto_result_clear(&r);
		}
		if (rt->nv == 0 && rt->left == 0 &&
		    rt->t->state == TS_REPEATING)
			repeat_end(s, rt, NULL);
	}
}

/*
 * An interrupt of a stress job: no run starts any more, those running
 * end, and the job reports what its runs found (1). Only the first
 * interrupt, and only once the job runs.
 */
int
repeat_interrupt(struct sched *s)
{
	struct sched_repeat *rep = s->repeat;
	size_t i;
	int n = 0;

	if (rep == NULL || !rep->stress || rep->stopping || s->ending)
		return (0);
	for (i = 0; i < s->ntests; i++)
		n += rep->tests[i].nv;
	out_line(s, "stress: interrupted: no more runs start; %d still "
	    "running", n);
	repeat_stop(s, "an interrupt");
	dispatch(s);
	return (1);
}

/*
 * Each test's failure rate: a line per test that failed a run, and how
 * many never did.
 */
void
repeat_summary(struct sched *s)
{
	struct sched_repeat *rep = s->repeat;
	struct rtest *rt;
	size_t i, clean = 0, ran = 0;
	int runs = -1, same = 1;
	const char *what;

	if (rep == NULL)
		return;
	what = rep->stress ? "stress" : "new tests";
	for (i = 0; i < s->ntests; i++) {
		rt = &rep->tests[i];
		if (rt->runs == 0)
			continue;
		ran++;
		if (rt->failed > 0) {
			out_line(s, "%s: %s: failed %d of %d run%s (%.0f%%)",
			    what, rt->t->def.id, rt->failed, rt->runs,
			    rt->runs == 1 ? "" : "s",
			    100.0 * rt->failed / rt->runs);
			continue;
		}
		clean++;
		if (runs != -1 && runs != rt->runs)
			same = 0;
		runs = rt->runs;
	}
	if (clean > 0 && same)
		out_line(s, "%s: %zu of %zu test%s never failed in %d run%s",
		    what, clean, ran, ran == 1 ? "" : "s", runs,
		    runs == 1 ? "" : "s");
	else if (clean > 0 || ran == 0)
		out_line(s, "%s: %zu of %zu test%s never failed", what, clean,
		    ran, ran == 1 ? "" : "s");
}

void
repeat_free(struct sched *s)
{
	struct sched_repeat *rep = s->repeat;
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < s->ntests; i++)
		free(rep->tests[i].v);
	free(rep->tests);
	free(rep);
	s->repeat = NULL;
}
