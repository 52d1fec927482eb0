/*
 * sched-output.c: what the scheduler prints. Every line starts with the
 * time since the job started. Failures print at once with the tail of
 * their log; passes and skips are counted and printed at most once a
 * second, so a fast suite does not flood a CI log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched.h"
#include "timeutil.h"

#define OUT_BATCH_INTERVAL	1.0

#define C_RED	"\033[31m"
#define C_GREEN	"\033[32m"
#define C_YELLOW "\033[33m"
#define C_BOLD	"\033[1m"
#define C_RESET	"\033[0m"

static int out_color;

void
out_init(struct sched *s)
{
	const char *nc = getenv("NO_COLOR");

	if (nc != NULL && *nc != '\0')
		out_color = 0;
	else if (s->opt.color == COLOR_ALWAYS)
		out_color = 1;
	else if (s->opt.color == COLOR_NEVER)
		out_color = 0;
	else
		out_color = isatty(STDOUT_FILENO);
}

static const char *
out_c(const char *code)
{
	return (out_color ? code : "");
}

static void
out_vline(struct sched *s, const char *fmt, va_list ap)
{
	char when[TIME_ELAPSED_LEN];

	time_elapsed(time_mono() - s->t0, when, sizeof when);
	printf("%s ", when);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void
out_line(struct sched *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vline(s, fmt, ap);
	va_end(ap);
}

/* The job as people name it: its short ID once the store gave one. */
static const char *
out_job(struct sched *s)
{
	return (s->short_id[0] != '\0' ? s->short_id : s->job);
}

void
out_start(struct sched *s)
{
	const char *from;

	from = s->opt.suite_name;
	out_line(s, "dagz: job %s: %zu test%s from %s on %d worker%s", out_job(s),
	    s->ntests, s->ntests == 1 ? "" : "s", from, s->nworkers,
	    s->nworkers == 1 ? "" : "s");
}

/* Prints the tail of a log, each line indented and marked. */
static void
out_tail(struct sched *s, const char *tail)
{
	const char *p, *nl;

	for (p = tail; p != NULL && *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		out_line(s, "    | %.*s", (int)(nl - p), p);
	}
}

static void
out_print_batch(struct sched *s)
{
	char buf[128] = "";
	size_t len = 0;

	if (s->batch_ok > 0)
		len += snprintf(buf + len, sizeof buf - len, "+%d OK",
		    s->batch_ok);
	if (s->batch_skipped > 0)
		snprintf(buf + len, sizeof buf - len, "%s+%d skipped",
		    len > 0 ? ", " : "", s->batch_skipped);
	out_line(s, "%s", buf);
	s->batch_ok = s->batch_skipped = 0;
	s->batch_last = time_mono();
}

void
out_flush_batch(struct sched *s)
{
	if (s->batch_ok > 0 || s->batch_skipped > 0)
		out_print_batch(s);
}

void
out_result(struct sched *s, struct test *t, const struct attempt *a)
{
	const struct msg_result *r = &a->r;
	const char *color;
	char note[160] = "";

	switch (r->status) {
	case ST_OK:
	case ST_SKIPPED:
	case ST_DESELECTED:
	case ST_REDUNDANT:
		if (r->status == ST_SKIPPED)
			s->batch_skipped++;
		else if (r->status == ST_OK)
			s->batch_ok++;
		if (r->leaked == 0)
			break;
		/* A pass with something to say is shown in full. */
		out_line(s, "%s %s %.3fs worker #%d: %s", status_name(r->status),
		    t->def.id, r->duration, r->worker,
		    r->reason != NULL ? r->reason : "");
		break;
	case ST_OK_FLAKY:
		/* Counted apart from OK, as the summary does: not batched. */
		out_line(s, "%s%s%s %s %.3fs worker #%d: passed on attempt %d%s%s",
		    out_c(C_YELLOW), status_name(r->status), out_c(C_RESET),
		    t->def.id, r->duration, r->worker, r->attempt,
		    r->reason != NULL ? ", " : "",
		    r->reason != NULL ? r->reason : "");
		break;
	default:
		if (a->retry != NULL)
			snprintf(note, sizeof note, " (attempt %d; %s retry "
			    "follows)", r->attempt, a->retry);
		else if (a->no_retry != NULL)
			snprintf(note, sizeof note, " (not retried: %s)",
			    a->no_retry);
		else if (r->attempt > 1)
			snprintf(note, sizeof note, " (attempt %d)",
			    r->attempt);
		color = a->retry != NULL ? C_YELLOW :
		    r->status == ST_DAGZ_ERROR ? C_BOLD : C_RED;
		if (r->worker >= 0)
			out_line(s, "%s%s%s %s %.3fs worker #%d%s%s%s",
			    out_c(color), status_name(r->status),
			    out_c(C_RESET), t->def.id, r->duration, r->worker,
			    r->reason != NULL ? ": " : "",
			    r->reason != NULL ? r->reason : "", note);
		else
			out_line(s, "%s%s%s %s: %s", out_c(color),
			    status_name(r->status), out_c(C_RESET), t->def.id,
			    r->reason != NULL ? r->reason : "");
		out_tail(s, r->tail);
		break;
	}
	if (time_mono() - s->batch_last >= OUT_BATCH_INTERVAL)
		out_flush_batch(s);
}

/* Fixture setups and teardowns are shown when they fail. */
void
out_fixture(struct sched *s, const struct msg_result *r)
{
	if (r->status == ST_OK)
		return;
	out_line(s, "%s%s%s fixture %s %s %.3fs worker #%d%s%s",
	    out_c(C_RED), status_name(r->status), out_c(C_RESET), r->test,
	    r->phase, r->duration, r->worker, r->reason != NULL ? ": " : "",
	    r->reason != NULL ? r->reason : "");
	out_tail(s, r->tail);
}

/* Called a few times a second: batched counts and long-running tests. */
void
out_tick(struct sched *s, double now)
{
	struct sworker *w;
	double ran;
	int k;

	if (now - s->batch_last >= OUT_BATCH_INTERVAL)
		out_flush_batch(s);
	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		if (w->current == NULL || w->current->state != TS_RUNNING)
			continue;
		ran = now - w->current->started;
		if (ran < w->current->slow_next)
			continue;
		out_line(s, "still running: %s (%.1fs on worker #%d)",
		    w->current->def.id, ran, k);
		w->current->slow_next += s->opt.slow;
	}
}

/* "2 OK, 1 skipped, 1 FAILED": the non-zero counts, passes first. */
static void
out_counts(struct sched *s, char *buf, size_t len)
{
	size_t n = 0;
	int i;
	const char *name;

	static const enum test_status order[] = { ST_OK, ST_OK_FLAKY,
	    ST_SKIPPED, ST_DESELECTED, ST_REDUNDANT, ST_FAILED, ST_TIMEOUT,
	    ST_CRASHED, ST_DEP_FAILED, ST_DAGZ_ERROR };
	size_t k;

	buf[0] = '\0';
	for (k = 0; k < sizeof order / sizeof order[0]; k++) {
		i = order[k];
		if (s->counts[i] == 0)
			continue;
		if (i == ST_SKIPPED)
			name = "skipped";
		else if (i == ST_OK_FLAKY)
			name = "flaky";
		else
			name = status_name(i);
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%d %s",
		    n > 0 ? ", " : "", s->counts[i], name);
	}
	if (n == 0)
		snprintf(buf, len, "nothing ran");
}

void
out_summary(struct sched *s, double elapsed)
{
	char counts[512];
	int k, stolen = 0;

	for (k = 0; k < s->nworkers; k++)
		stolen += s->workers[k].stolen;
	out_counts(s, counts, sizeof counts);
	out_line(s, "summary: %zu test%s in %.1fs (planned %.1fs), CPU %.1fs, "
	    "%d stolen: %s", s->ntests, s->ntests == 1 ? "" : "s", elapsed,
	    s->planned, s->cpu, stolen, counts);
}

/*
 * The job report: the same block at the end of every run, green when all
 * passed, red with each failed test listed when not.
 */
void
out_report(struct sched *s, double elapsed)
{
	struct test *t;
	const char *color, *url, *reason;
	char counts[512];
	size_t i, nfailed = 0;

	out_counts(s, counts, sizeof counts);
	url = store_job_url(s);
	if (s->exit_code == 0) {
		out_line(s, "%s== dagz job %s PASSED: %s in %.1fs ==%s",
		    out_c(C_GREEN), out_job(s), counts, elapsed,
		    out_c(C_RESET));
		if (url != NULL)
			out_line(s, "%s%s%s", out_c(C_GREEN), url,
			    out_c(C_RESET));
		return;
	}
	color = s->exit_code == 1 ? C_RED : C_BOLD;
	out_line(s, "%s== dagz job %s %s ==%s", out_c(color), out_job(s),
	    s->exit_code == 1 ? "FAILED" : "ERROR", out_c(C_RESET));
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->state != TS_DONE || status_passed(t->status))
			continue;
		nfailed++;
		reason = t->nattempts > 0 ?
		    t->attempts[t->nattempts - 1].r.reason : NULL;
		out_line(s, "%s  %-10s %s%s%s%s%s", out_c(color),
		    status_name(t->status), t->def.id,
		    reason != NULL ? " (" : "", reason != NULL ? reason : "",
		    reason != NULL ? ")" : "", out_c(C_RESET));
	}
	if (s->error != NULL)
		out_line(s, "%s  dagz error: %s%s", out_c(color), s->error,
		    out_c(C_RESET));
	out_line(s, "%s== %zu of %zu did not pass: %s in %.1fs ==%s",
	    out_c(color), nfailed, s->ntests, counts, elapsed, out_c(C_RESET));
	if (url != NULL)
		out_line(s, "%s%s%s", out_c(color), url, out_c(C_RESET));
}
