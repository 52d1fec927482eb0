/*
 * sched-output.c: what the scheduler prints. Every line starts with the
 * time since the job started. A result's line is made of its record,
 * as the events file has it. Failures print at once with the tail of
 * their log; passes and skips are counted and printed at most once a
 * second, so a fast suite does not flood a CI log. Text a test reported
 * (reasons, case names) never reaches the terminal with control bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched.h"
#include "strv.h"
#include "testdef.h"
#include "timeutil.h"
#include "utf8.h"
#include "xmalloc.h"

#define OUT_BATCH_INTERVAL	1.0
#define OUT_REPORT_CASES	5	/* failed cases listed per test */
#define OUT_CASE_REASON		100	/* bytes of a case's reason shown */

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

	char *line, *full;

	time_elapsed(time_mono() - s->t0, when, sizeof when);
	if (vasprintf(&line, fmt, ap) == -1)
		return;
	/* --plan's stdout is NDJSON: what happens meanwhile is said apart. */
	fprintf(s->opt.plan_only ? stderr : stdout, "%s %s\n", when, line);
	fflush(s->opt.plan_only ? stderr : stdout);
	if (s->mirroring) {
		xasprintf(&full, "%s %s", when, line);
		s->mirror = strv_push(s->mirror, full);
		free(full);
	}
	free(line);
}

void
out_line(struct sched *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vline(s, fmt, ap);
	va_end(ap);
}

/*
 * A copy of s for one line of a log: control bytes become \n, \t, \xNN,
 * and so do C1 controls and bytes that are not UTF-8 (utf8_escape).
 * Backslashes stay as they are, so that a reason whose case names
 * cases_escape already escaped prints as the worker wrote it.
 */
static char *
out_text(const char *s)
{
	return (s != NULL ? utf8_escape(s) : NULL);
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

/*
 * Prints the tail of a log, each line indented and marked, with what a
 * terminal would act on (escape sequences, carriage returns, bytes that
 * are not UTF-8) escaped: a test's output cannot forge or clear lines.
 */
static void
out_tail(struct sched *s, const char *tail)
{
	const char *p, *nl;
	char *line;

	for (p = tail; p != NULL && *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		line = utf8_escapen(p, nl - p, "\t");
		out_line(s, "    | %s", line);
		free(line);
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

/* A string member of a record, or NULL when absent or null. */
static const char *
out_str(json_t *rec, const char *key)
{
	return (json_string_value(json_object_get(rec, key)));
}

/* An attempt's line, made of its record; failures with their log's tail. */
void
out_result(struct sched *s, const struct attempt *a)
{
	const char *color, *test, *status, *retry, *no_retry;
	char note[160] = "", *reason;
	enum test_status st;
	int attempt, worker, leaked;
	double duration;

	if (json_unpack(a->rec, "{s:s,s:s,s:i,s:i,s:F,s:i}", "test", &test,
	    "status", &status, "attempt", &attempt, "worker", &worker,
	    "duration", &duration, "leaked", &leaked) == -1 ||
	    status_parse(status, &st) == -1)
		return;
	reason = out_text(out_str(a->rec, "reason"));
	retry = out_str(a->rec, "retry");
	no_retry = out_str(a->rec, "no_retry");
	switch (st) {
	case ST_OK:
	case ST_SKIPPED:
	case ST_DESELECTED:
	case ST_REDUNDANT:
	case ST_NOT_RUN:	/* the "stopping early" line said it */
		if (st == ST_SKIPPED)
			s->batch_skipped++;
		else if (st == ST_OK)
			s->batch_ok++;
		if (leaked == 0)
			break;
		/* A pass with something to say is shown in full. */
		out_line(s, "%s %s %.3fs worker #%d: %s", status, test,
		    duration, worker, reason != NULL ? reason : "");
		break;
	case ST_OK_FLAKY:
		/* Counted apart from OK, as the summary does: not batched. */
		out_line(s, "%s%s%s %s %.3fs worker #%d: passed on attempt %d%s%s",
		    out_c(C_YELLOW), status, out_c(C_RESET), test, duration,
		    worker, attempt, reason != NULL ? ", " : "",
		    reason != NULL ? reason : "");
		break;
	default:
		if (retry != NULL)
			snprintf(note, sizeof note, " (attempt %d; %s retry "
			    "follows)", attempt, retry);
		else if (no_retry != NULL)
			snprintf(note, sizeof note, " (not retried: %s)",
			    no_retry);
		else if (attempt > 1)
			snprintf(note, sizeof note, " (attempt %d)", attempt);
		/* Its failure fails no job: said, and not in red. */
		if (json_is_true(json_object_get(a->rec, "quarantined")))
			strlcat(note, " [quarantined]", sizeof note);
		color = retry != NULL || json_is_true(json_object_get(a->rec,
		    "quarantined")) ? C_YELLOW : st == ST_DAGZ_ERROR ?
		    C_BOLD : C_RED;
		if (worker >= 0)
			out_line(s, "%s%s%s %s %.3fs worker #%d%s%s%s",
			    out_c(color), status, out_c(C_RESET), test,
			    duration, worker, reason != NULL ? ": " : "",
			    reason != NULL ? reason : "", note);
		else
			out_line(s, "%s%s%s %s: %s", out_c(color), status,
			    out_c(C_RESET), test, reason != NULL ? reason : "");
		out_tail(s, a->r.tail);
		break;
	}
	free(reason);
	if (time_mono() - s->batch_last >= OUT_BATCH_INTERVAL)
		out_flush_batch(s);
}

/* Fixture setups and teardowns are shown when they fail. */
void
out_fixture(struct sched *s, json_t *rec, const char *tail)
{
	const char *status, *name, *phase;
	char *reason;
	double duration;
	int worker;

	if (json_unpack(rec, "{s:s,s:s,s:s,s:F,s:i}", "status", &status,
	    "fixture", &name, "phase", &phase, "duration", &duration, "worker",
	    &worker) == -1 || strcmp(status, "OK") == 0)
		return;
	reason = out_text(out_str(rec, "reason"));
	out_line(s, "%s%s%s fixture %s %s %.3fs worker #%d%s%s",
	    out_c(C_RED), status, out_c(C_RESET), name, phase, duration,
	    worker, reason != NULL ? ": " : "", reason != NULL ? reason : "");
	out_tail(s, tail);
	free(reason);
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

/*
 * "2 OK, 1 skipped, 1 FAILED": the non-zero counts, passes first; a
 * failure in quarantine is "1 FAILED (quarantined)", or "2 FAILED (1
 * quarantined)".
 */
static void
out_counts(struct sched *s, char *buf, size_t len)
{
	size_t n = 0;
	int i, q;
	const char *name;

	static const enum test_status order[] = { ST_OK, ST_OK_FLAKY,
	    ST_SKIPPED, ST_DESELECTED, ST_REDUNDANT, ST_FAILED, ST_TIMEOUT,
	    ST_CRASHED, ST_DEP_FAILED, ST_NOT_RUN, ST_DAGZ_ERROR };
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
		if ((q = quarantine_count_status(s, i)) == s->counts[i])
			n += snprintf(buf + n, n < len ? len - n : 0,
			    " (quarantined)");
		else if (q > 0)
			n += snprintf(buf + n, n < len ? len - n : 0,
			    " (%d quarantined)", q);
	}
	if (n == 0)
		snprintf(buf, len, "nothing ran");
}

/*
 * After a job that stopped early: "stopped early after 1 failure
 * (--fail-fast): 7 not run", under the summary, and in the report
 * (color not NULL) in place of a line for each test not run.
 */
static void
out_stopped(struct sched *s, const char *color)
{
	char what[64];

	if (s->stopped == NULL)
		return;
	stop_what(s, what, sizeof what);
	if (color == NULL)
		out_line(s, "stopped early after %s: %d not run", what,
		    s->counts[ST_NOT_RUN]);
	else
		out_line(s, "%s  stopped early after %s: %d not run%s",
		    out_c(color), what, s->counts[ST_NOT_RUN], out_c(C_RESET));
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
	out_stopped(s, NULL);
}

/*
 * Under a failed test in the report, its failed cases: the first few,
 * each with the first line of its reason (or of its output, where TAP
 * diagnostics go), then how many more.
 */
static void
out_report_cases(struct sched *s, const char *color,
    const struct case_list *l)
{
	const struct test_case *c;
	const char *text;
	char name[256], line[OUT_CASE_REASON + 1], why[4 * sizeof line + 4];
	char *safe_name, *safe_why;
	size_t i, n, shown = 0, failed;

	failed = cases_count(l, CASE_FAILED);
	for (i = 0; i < l->n && shown < OUT_REPORT_CASES; i++) {
		c = &l->v[i];
		if (c->status != CASE_FAILED)
			continue;
		cases_escape(c->name, name, sizeof name);
		why[0] = '\0';
		text = c->reason != NULL && *c->reason != '\0' ? c->reason :
		    c->output;
		if (text != NULL && *text != '\0') {
			n = strcspn(text, "\n");
			if (n > OUT_CASE_REASON) {
				n = OUT_CASE_REASON;
				while (n > 0 &&
				    ((unsigned char)text[n] & 0xc0) == 0x80)
					n--;
			}
			memcpy(line, text, n);
			line[n] = '\0';
			cases_escape(line, why, sizeof why);
			if (text[n] != '\0')
				strlcat(why, "...", sizeof why);
		}
		/* cases_escape leaves C1 controls and bytes not UTF-8. */
		safe_name = utf8_escape(name);
		safe_why = utf8_escape(why);
		out_line(s, "%s             - %s%s%s%s", out_c(color),
		    safe_name, why[0] != '\0' ? ": " : "", safe_why,
		    out_c(C_RESET));
		free(safe_name);
		free(safe_why);
		shown++;
	}
	if (failed > shown)
		out_line(s, "%s             - and %zu more%s", out_c(color),
		    failed - shown, out_c(C_RESET));
}

/* In the report, each order-dependent flaky test and its suspects. */
static void
out_report_polluted(struct sched *s, const char *color)
{
	struct test *t;
	json_t *rec;
	char *reason;
	size_t i;

	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->state != TS_DONE || t->status != ST_OK_FLAKY ||
		    t->nattempts == 0)
			continue;
		rec = t->attempts[t->nattempts - 1].rec;
		if (json_object_get(rec, "pollution") == NULL)
			continue;
		reason = out_text(out_str(rec, "reason"));
		out_line(s, "%s  %-10s %s (%s)%s", out_c(color),
		    status_name(t->status), t->def.id, reason, out_c(C_RESET));
		free(reason);
	}
}

/*
 * A test that did not pass, in the report: its status, id and reason,
 * "[quarantined]" when its failure fails no job, then its failed cases.
 */
static void
out_report_test(struct sched *s, const char *color, struct test *t)
{
	char *reason;

	reason = t->nattempts > 0 ? out_text(out_str(
	    t->attempts[t->nattempts - 1].rec, "reason")) : NULL;
	out_line(s, "%s  %-10s %s%s%s%s%s%s", out_c(color),
	    status_name(t->status), t->def.id,
	    reason != NULL ? " (" : "", reason != NULL ? reason : "",
	    reason != NULL ? ")" : "", quarantine_excused(t) ?
	    " [quarantined]" : "", out_c(C_RESET));
	free(reason);
	if (t->nattempts > 0)
		out_report_cases(s, color,
		    &t->attempts[t->nattempts - 1].r.cases);
}

/* What the quarantine did at the job's start, as said then. */
static void
out_report_notes(struct sched *s, const char *color)
{
	size_t i;

	for (i = 0; s->quarantine_notes != NULL &&
	    s->quarantine_notes[i] != NULL; i++)
		out_line(s, "%s  %s%s", out_c(color), s->quarantine_notes[i],
		    out_c(C_RESET));
}

/* A size for people: whole MiB, or KiB below one MiB. */
void
out_size(long long bytes, char *buf, size_t len)
{
	if (bytes >= 1024 * 1024)
		snprintf(buf, len, "%lld MiB", bytes >> 20);
	else
		snprintf(buf, len, "%lld KiB", bytes >> 10);
}

/* In the report, each worker that was recycled, and how often. */
static void
out_report_recycles(struct sched *s, const char *color)
{
	struct sworker *w;
	char budget[32];
	int k;

	out_size(s->opt.worker_mem_budget, budget, sizeof budget);
	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		if (w->recycles == 0)
			continue;
		out_line(s, "%s  worker #%d recycled %d time%s: kept processes "
		    "over the %s worker budget%s", out_c(color), w->index,
		    w->recycles, w->recycles == 1 ? "" : "s", budget,
		    out_c(C_RESET));
	}
}

/*
 * The job report: the same block at the end of every run, green when all
 * passed, red with each failed test listed when not. Failures in
 * quarantine are listed either way, labelled, and so are order-dependent
 * flaky tests and the workers that were recycled.
 */
void
out_report(struct sched *s, double elapsed)
{
	struct test *t;
	const char *color, *url;
	char counts[512];
	size_t i, nfailed = 0;

	out_counts(s, counts, sizeof counts);
	url = store_job_url(s);
	if (s->exit_code == 0) {
		out_line(s, "%s== dagz job %s PASSED: %s in %.1fs ==%s",
		    out_c(C_GREEN), out_job(s), counts, elapsed,
		    out_c(C_RESET));
		for (i = 0; i < s->ntests; i++)
			if (quarantine_excused(&s->tests[i]))
				out_report_test(s, C_YELLOW, &s->tests[i]);
		out_report_notes(s, C_GREEN);
		out_report_polluted(s, C_GREEN);
		out_report_recycles(s, C_GREEN);
		if (url != NULL)
			out_line(s, "%s%s%s", out_c(C_GREEN), url,
			    out_c(C_RESET));
		return;
	}
	color = s->exit_code == 1 ? C_RED : C_BOLD;
	out_line(s, "%s== dagz job %s %s ==%s", out_c(color), out_job(s),
	    s->exit_code == 1 ? "FAILED" : "ERROR", out_c(C_RESET));
	out_report_recycles(s, color);
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		/* Not run: one line for all of them, below. */
		if (t->state != TS_DONE || status_passed(t->status) ||
		    t->status == ST_NOT_RUN)
			continue;
		nfailed++;
		out_report_test(s, color, t);
	}
	out_stopped(s, color);
	out_report_notes(s, color);
	out_report_polluted(s, color);
	if (s->error != NULL)
		out_line(s, "%s  dagz error: %s%s", out_c(color), s->error,
		    out_c(C_RESET));
	out_line(s, "%s== %zu of %zu did not pass: %s in %.1fs ==%s",
	    out_c(color), nfailed, s->ntests, counts, elapsed, out_c(C_RESET));
	if (url != NULL)
		out_line(s, "%s%s%s", out_c(color), url, out_c(C_RESET));
}
