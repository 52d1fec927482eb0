/*
 * sched-stop.c: stopping early, --fail-fast and --max-fail N. Once the
 * Nth test has failed for good (dispatch_counts_toward_stop says which
 * results count), no test starts any more: each one not yet started,
 * queued, waiting for its needs or for a retry, ends NOT_RUN with the
 * reason; the tests already running finish and their results are kept,
 * and fixtures and --worker-cleanup are torn down as at any end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sched.h"
#include "xmalloc.h"

/* "1 failure (--fail-fast)", "2 failures (--max-fail 2)". */
void
stop_what(struct sched *s, char *buf, size_t len)
{
	char flag[32];

	if (s->stop_why != NULL) {
		snprintf(buf, len, "%s", s->stop_why);
		return;
	}
	if (s->opt.fail_fast)
		snprintf(flag, sizeof flag, "--fail-fast");
	else
		snprintf(flag, sizeof flag, "--max-fail %d", s->opt.max_fail);
	snprintf(buf, len, "%d failure%s (%s)", s->opt.max_fail,
	    s->opt.max_fail == 1 ? "" : "s", flag);
}

/* Ends every test that has not started, NOT_RUN, once the job stopped. */
void
stop_pending(struct sched *s)
{
	size_t i;

	if (s->stopped == NULL)
		return;
	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].state == TS_PENDING)
			sched_skip_test(s, &s->tests[i], ST_NOT_RUN,
			    s->stopped);
}

/*
 * Stops the job for another cause than failures counted (a stress job's
 * first failed run, an interrupt of one): what says which, as "after
 * what" reads; the tests not started end NOT_RUN.
 */
void
stop_now(struct sched *s, const char *what)
{
	if (s->stopped != NULL)
		return;
	s->stop_why = xstrdup(what);
	xasprintf(&s->stopped, "the job stopped after %s", what);
	stop_pending(s);
}

/* Counts t's final result; the Nth that counts stops the job. */
void
stop_after(struct sched *s, struct test *t)
{
	char what[64];
	size_t i, running = 0, waiting = 0;

	if (s->opt.max_fail == 0 || s->stopped != NULL ||
	    !dispatch_counts_toward_stop(s, t))
		return;
	if (++s->stop_failures < s->opt.max_fail)
		return;
	stop_what(s, what, sizeof what);
	xasprintf(&s->stopped, "the job stopped after %s", what);
	for (i = 0; i < s->ntests; i++) {
		if (s->tests[i].state == TS_PENDING)
			waiting++;
		else if (s->tests[i].state != TS_DONE)
			running++;
	}
	out_flush_batch(s);
	out_line(s, "stopping early after %s: %zu not started, %zu still "
	    "running", what, waiting, running);
	stop_pending(s);
}
