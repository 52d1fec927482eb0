/*
 * sched-status.c: what the scheduler says about its workers while a job
 * runs: a line per worker every --status-interval, in the format of seed
 * 002, and a stuck report when no test has finished for --stuck-after,
 * so that a hung job can be diagnosed from its log alone.
 */
#include <stdio.h>

#include "sched.h"

static const char *
status_state(struct sworker *w)
{
	switch (w->state) {
	case WS_NOT_CONNECTED:
		return ("NotConnected");
	case WS_DISCONNECTED:
		return ("Disconnected");
	case WS_FAILED:
		return ("Failed");
	case WS_RECYCLING:
		return ("Recycling");
	case WS_READY:
		break;
	}
	if (w->current != NULL)
		return ("Active");
	if (w->inflight > 0)
		return ("WorkSent");
	return ("Idle");
}

/* Estimated seconds to drain w: its queue, and what is left of the test
 * it runs. */
static double
status_time_left(struct sworker *w, double now)
{
	double left = w->queued_estimate, ran;

	if (w->current != NULL) {
		ran = now - w->current->started;
		if (w->current->estimate > ran)
			left += w->current->estimate - ran;
	}
	return (left < 0 ? 0 : left);
}

static int
status_remaining(struct sched *s, struct sworker *w)
{
	struct test *t;
	int n = w->inflight;

	TAILQ_FOREACH(t, &w->queue, qentry)
		n++;
	(void)s;
	return (n);
}

/* One line per worker, in worker order. */
void
status_lines(struct sched *s, double now)
{
	struct sworker *w;
	int k, left;

	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		left = status_remaining(s, w);
		out_line(s, "Worker #%d [%s] progress=%d+%d/%d "
		    "actual_delta=%+.1fs last_finished=%.1fs q=%s batch #%d "
		    "time_left=%.1fs stolen=%d,%dfinished reconnects=%d%s%s",
		    k, status_state(w), w->finished, left, w->finished + left,
		    w->actual_delta, now - w->last_finished,
		    w->retry_queue ? "Retry" : "Regular", w->batch,
		    status_time_left(w, now), w->stolen, w->stolen_finished,
		    w->reconnects, w->current != NULL ? " " : "",
		    w->current != NULL ? w->current->def.id : "");
	}
}

static void
status_stuck(struct sched *s, double now)
{
	struct sworker *w;
	int k;

	out_line(s, "stuck? no test has finished for %.1fs",
	    now - s->last_finish);
	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		if (w->current != NULL)
			out_line(s, "  worker #%d: running %s for %.1fs, %d "
			    "queued", k, w->current->def.id,
			    now - w->current->started,
			    status_remaining(s, w) - w->inflight);
		else
			out_line(s, "  worker #%d: %s, %d queued", k,
			    status_state(w), status_remaining(s, w) -
			    w->inflight);
	}
}

void
status_tick(struct sched *s, double now)
{
	if (s->status_next == 0)
		s->status_next = now + s->opt.status_interval;
	if (now >= s->status_next) {
		status_lines(s, now);
		s->status_next = now + s->opt.status_interval;
	}
	if (now - s->last_finish >= s->opt.stuck_after &&
	    now >= s->stuck_next) {
		status_stuck(s, now);
		s->stuck_next = now + s->opt.stuck_after;
	}
}
