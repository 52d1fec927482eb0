/*
 * sched-report.c: the machine-readable records of a job: the record of
 * each finished attempt, which the console, the store and the --events
 * NDJSON stream all take (written as it finishes, so a killed run keeps
 * what it had), and the --junit XML that CI systems show, with retries
 * as flakyFailure / rerunFailure elements.
 */
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "jobid.h"
#include "junit.h"
#include "ndjson.h"
#include "sched.h"
#include "xmalloc.h"

/* Seconds to the microsecond: a clock's noise is not information. */
json_t *
report_seconds(double secs)
{
	return (json_real(round(secs * 1e6) / 1e6));
}

int
report_events_open(struct sched *s)
{
	if (s->opt.events == NULL)
		return (0);
	if ((s->events = fopen(s->opt.events, "w")) == NULL) {
		warn("cannot write events file '%s'", s->opt.events);
		return (-1);
	}
	return (0);
}

/* Writes a record (borrowed) to the events file, if there is one. */
void
report_event(struct sched *s, json_t *o)
{
	char *line;

	if (s->events == NULL)
		return;
	line = ndjson_encode(o);
	fprintf(s->events, "%s\n", line);
	fflush(s->events);
	free(line);
}

/*
 * The cases of an attempt: name, status, duration and reason of each,
 * in the order reported. Their output is left to the store's case spans
 * and the test's log, so that the record stays small.
 */
static void
report_record_cases(json_t *o, const struct case_list *l)
{
	const struct test_case *c;
	json_t *a;
	size_t i;

	a = json_array();
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o}", "name",
		    c->name, "status", case_status_name(c->status), "duration",
		    c->duration >= 0 ? report_seconds(c->duration) :
		    json_null(), "reason", c->reason != NULL ?
		    json_string(c->reason) : json_null()));
	}
	json_object_set_new(o, "cases", a);
	if (l->error != NULL)
		json_object_set_new(o, "cases_error", json_string(l->error));
	if (l->skip_all != NULL)
		json_object_set_new(o, "skip_all", json_string(l->skip_all));
}

/* An exit status or a signal, or null when there is none. */
static json_t *
report_number(int n, int min)
{
	return (n >= min ? json_integer(n) : NULL);
}

/*
 * The record of an attempt of t: the one object that the events file
 * prints, the store keeps as it is and the console line is made of. Its
 * "span" names the attempt's span in the store; a test that never
 * started has none. A failure whose worker gave no reason is explained
 * by its failed cases. A new reference.
 */
json_t *
report_record(struct sched *s, struct test *t, const struct msg_result *r,
    const char *retry, const char *no_retry)
{
	char summary[512] = "", span[JOBID_SPAN_LEN] = "";
	const char *why = r->reason;
	json_t *o;

	if (why == NULL) {
		cases_failed_summary(&r->cases, summary, sizeof summary);
		why = summary[0] != '\0' ? summary : NULL;
	}
	if (r->attempt > 0)
		jobid_span(span);
	o = json_pack("{s:s,s:s,s:s,s:i,s:b,s:i,s:o,s:o,s:I,s:o?,s:o?,s:i,"
	    "s:o?,s:o,s:s?}", "type", "result", "test", t->def.id, "status",
	    status_name(r->status), "attempt", r->attempt, "final",
	    t->state == TS_DONE, "worker", r->worker, "duration",
	    report_seconds(r->duration), "cpu", report_seconds(r->cpu), "rss",
	    (json_int_t)r->rss, "exit", report_number(r->exit_code, 0),
	    "signal", report_number(r->signal, 1), "leaked", r->leaked,
	    /* Not "s": a name cut in a summary may end in half a character. */
	    "reason", why != NULL ? json_string(why) : NULL, "start",
	    report_seconds(r->start), "span", span[0] != '\0' ? span : NULL);
	if (retry != NULL)
		json_object_set_new(o, "retry", json_string(retry));
	if (no_retry != NULL)
		json_object_set_new(o, "no_retry", json_string(no_retry));
	/* A job of many nodes: which ran it, and a run its node lost. */
	if (s->slots > 1 && r->worker >= 0 && r->worker < s->nworkers)
		json_object_set_new(o, "node", json_integer(
		    s->nodes[s->workers[r->worker].node]->index));
	if (t->rerun[0] != '\0')
		json_object_set_new(o, "rerun", json_string(t->rerun));
	if (t->quarantined)
		json_object_set_new(o, "quarantined", json_true());
	if (r->log != NULL && !s->log_dir_temp)
		json_object_set_new(o, "log", json_string(r->log));
	if (r->cases.present)
		report_record_cases(o, &r->cases);
	return (o);
}

/* The record of a fixture's setup or teardown on one worker. */
json_t *
report_fixture_record(struct sched *s, const struct msg_result *r)
{
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:o?,s:s?,s:o}", "type",
	    "fixture", "fixture", r->test, "phase", r->phase, "status",
	    status_name(r->status), "worker", r->worker, "duration",
	    report_seconds(r->duration), "exit", report_number(r->exit_code,
	    0), "reason", r->reason, "start", report_seconds(r->start));
	if (r->log != NULL && !s->log_dir_temp)
		json_object_set_new(o, "log", json_string(r->log));
	return (o);
}

static int
report_stolen(struct sched *s)
{
	int k, n = 0;

	for (k = 0; k < s->nworkers; k++)
		n += s->workers[k].stolen;
	return (n);
}

void
report_event_summary(struct sched *s, double elapsed)
{
	json_t *o, *counts;
	int i;

	if (s->events == NULL)
		return;
	o = json_object();
	counts = json_object();
	for (i = 0; i < ST__COUNT; i++)
		json_object_set_new(counts, status_name(i),
		    json_integer(s->counts[i]));
	json_object_set_new(o, "type", json_string("summary"));
	json_object_set_new(o, "job", json_string(s->job));
	json_object_set_new(o, "tests", json_integer(s->ntests));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "duration", report_seconds(elapsed));
	json_object_set_new(o, "planned", report_seconds(s->planned));
	json_object_set_new(o, "cpu", report_seconds(s->cpu));
	json_object_set_new(o, "workers", json_integer(s->nworkers));
	json_object_set_new(o, "stolen", json_integer(report_stolen(s)));
	json_object_set_new(o, "exit", json_integer(s->exit_code));
	if (s->stopped != NULL)
		json_object_set_new(o, "stopped", json_string(s->stopped));
	report_event(s, o);
	json_decref(o);
}

static void
report_timestamp(double unix_time, char *buf, size_t len)
{
	time_t t = (time_t)unix_time;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
report_skipped(enum test_status st)
{
	return (st == ST_SKIPPED || st == ST_DESELECTED || st == ST_REDUNDANT ||
	    st == ST_NOT_RUN);
}

static const struct msg_result *
report_last(const struct test *t)
{
	return (t->nattempts > 0 ? &t->attempts[t->nattempts - 1].r : NULL);
}

/*
 * The final attempt's cases, when it reported any. A quarantined
 * failure is one testcase, skipped, whatever cases it had.
 */
static const struct case_list *
report_cases(const struct test *t)
{
	const struct msg_result *last = report_last(t);

	if (quarantine_excused(t))
		return (NULL);
	return (last != NULL && last->cases.n > 0 ? &last->cases : NULL);
}

/* The case of l named like the i-th of the final attempt, or NULL. */
static const struct test_case *
report_case_find(const struct case_list *l, size_t i, const char *name)
{
	size_t k;

	if (i < l->n && strcmp(l->v[i].name, name) == 0)
		return (&l->v[i]);
	for (k = 0; k < l->n; k++)
		if (strcmp(l->v[k].name, name) == 0)
			return (&l->v[k]);
	return (NULL);
}

/* Whether attempt a of t failed the i-th case of the final attempt. */
static int
report_case_failed_in(const struct test *t, int a, size_t i)
{
	const struct case_list *last = report_cases(t);
	const struct test_case *c;

	c = report_case_find(&t->attempts[a].r.cases, i, last->v[i].name);
	return (c != NULL && c->status == CASE_FAILED);
}

/* Whether an earlier failed attempt is shown on a case that passed. */
static int
report_flaky_on_case(const struct test *t)
{
	const struct case_list *l = report_cases(t);
	size_t i;
	int a;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].status == CASE_FAILED)
			continue;
		for (a = 0; a < t->nattempts - 1; a++)
			if (report_case_failed_in(t, a, i))
				return (1);
	}
	return (0);
}

/*
 * Whether a test with cases needs a testcase of its own beside them: it
 * failed though no case did (a crash, a timeout, a bad plan), or it
 * passed on a retry and no case shows the failure it passed after.
 */
static int
report_self(const struct test *t)
{
	const struct case_list *l = report_cases(t);

	if (t->status == ST_DAGZ_ERROR || status_failed(t->status))
		return (cases_count(l, CASE_FAILED) == 0);
	if (status_passed(t->status) && !report_skipped(t->status))
		return (t->nattempts > 1 && !report_flaky_on_case(t));
	return (0);
}

/* Counts a test as one testcase. */
static void
report_count(struct junit_suite *js, enum test_status st)
{
	js->tests++;
	if (st == ST_DAGZ_ERROR)
		js->errors++;
	else if (report_skipped(st))
		js->skipped++;
	else if (status_failed(st))
		js->failures++;
}

static double
report_time(const struct test *t)
{
	double time = 0;
	int i;

	for (i = 0; i < t->nattempts; i++)
		time += t->attempts[i].r.duration;
	return (time);
}

/* The suite of a test with cases: a testcase a case. */
static void
report_case_suite(const struct test *t, struct junit_suite *js)
{
	const struct case_list *l = report_cases(t);

	memset(js, 0, sizeof *js);
	js->name = t->def.id;
	js->tests = l->n;
	js->failures = cases_count(l, CASE_FAILED);
	js->skipped = cases_count(l, CASE_SKIPPED) +
	    cases_count(l, CASE_DESELECTED);
	js->time = report_time(t);
	if (report_self(t))
		report_count(js, t->status);
}

static void
report_add(struct junit_suite *sum, const struct junit_suite *js)
{
	sum->tests += js->tests;
	sum->failures += js->failures;
	sum->errors += js->errors;
	sum->skipped += js->skipped;
}

/* One failed attempt as <failure>, <rerunFailure> or <flakyFailure>. */
static void
report_junit_attempt(struct junit_writer *w, enum junit_outcome o,
    const struct msg_result *a)
{
	junit_outcome(w, o, status_name(a->status), a->reason != NULL ?
	    a->reason : status_name(a->status), a->tail);
}

/*
 * A failure in quarantine: skipped, which CI systems show without
 * failing the build, with the failure as its message and a property
 * that says why; its log's tail follows as system-out.
 */
static void
report_junit_quarantined(struct junit_writer *w, const struct test *t,
    const struct msg_result *last)
{
	char *msg;

	junit_property(w, "dagz.quarantined", "true");
	xasprintf(&msg, "quarantined: %s%s%s", status_name(t->status),
	    last->reason != NULL ? ": " : "", last->reason != NULL ?
	    last->reason : "");
	junit_outcome(w, JUNIT_SKIPPED, NULL, msg, NULL);
	free(msg);
}

/* A test as one testcase, its attempts as failures or flaky ones. */
static void
report_junit_test(struct junit_writer *w, const char *classname,
    const struct test *t)
{
	const struct msg_result *last = report_last(t);
	char *msg;
	int i, first = 1;

	junit_case_begin(w, t->def.id, classname, report_time(t));
	if (last == NULL)
		;
	else if (quarantine_excused(t))
		report_junit_quarantined(w, t, last);
	else if (t->status == ST_NOT_RUN) {
		/* CI shows the message alone: it says the test never ran. */
		xasprintf(&msg, "not run: %s", last->reason != NULL ?
		    last->reason : "the job stopped early");
		junit_outcome(w, JUNIT_SKIPPED, NULL, msg, NULL);
		free(msg);
	} else if (report_skipped(t->status))
		junit_outcome(w, JUNIT_SKIPPED, NULL, last->reason != NULL ?
		    last->reason : status_name(t->status), NULL);
	else if (status_passed(t->status)) {
		/* Runs again of a test (sched-repeat.c) may have passed. */
		for (i = 0; i < t->nattempts - 1; i++)
			if (!status_passed(t->attempts[i].r.status))
				report_junit_attempt(w, JUNIT_FLAKY_FAILURE,
				    &t->attempts[i].r);
	} else if (t->status == ST_DAGZ_ERROR)
		report_junit_attempt(w, JUNIT_ERROR, last);
	else {
		for (i = 0; i < t->nattempts; i++) {
			if (status_passed(t->attempts[i].r.status))
				continue;
			report_junit_attempt(w, first ? JUNIT_FAILURE :
			    JUNIT_RERUN_FAILURE, &t->attempts[i].r);
			first = 0;
		}
	}
	if (last != NULL)
		junit_output(w, 0, last->tail);
	junit_case_end(w);
}

/*
 * The i-th case of the final attempt. A failed case carries each
 * attempt it failed in (the first as <failure>, later ones as
 * <rerunFailure>); a passed one the attempts it failed in before as
 * <flakyFailure>; a TODO one passes, with its status as a property.
 */
static void
report_junit_case(struct junit_writer *w, const struct test *t, size_t i)
{
	const struct case_list *l = report_cases(t);
	const struct test_case *c = &l->v[i], *ac;
	const char *msg;
	char *note = NULL;
	int a, n = 0;

	junit_case_begin(w, c->name, t->def.id, c->duration);
	if (c->status == CASE_TODO || c->status == CASE_TODO_OK)
		junit_property(w, "dagz.status", case_status_name(c->status));
	for (a = 0; a < t->nattempts; a++) {
		if (!report_case_failed_in(t, a, i))
			continue;
		ac = report_case_find(&t->attempts[a].r.cases, i, c->name);
		msg = ac->reason != NULL ? ac->reason : "failed";
		if (c->status != CASE_FAILED)
			junit_outcome(w, JUNIT_FLAKY_FAILURE, "FAILED", msg,
			    ac->output);
		else
			junit_outcome(w, n++ == 0 ? JUNIT_FAILURE :
			    JUNIT_RERUN_FAILURE, "FAILED", msg, ac->output);
	}
	if (c->status == CASE_SKIPPED)
		junit_outcome(w, JUNIT_SKIPPED, NULL, c->reason != NULL ?
		    c->reason : "skipped", NULL);
	if (c->status == CASE_DESELECTED)
		junit_outcome(w, JUNIT_SKIPPED, NULL, "deselected", NULL);
	if (c->status == CASE_TODO || c->status == CASE_TODO_OK) {
		xasprintf(&note, "%s%s%s%s%s", case_status_name(c->status),
		    c->reason != NULL ? ": " : "", c->reason != NULL ?
		    c->reason : "", c->output != NULL ? "\n" : "",
		    c->output != NULL ? c->output : "");
		junit_output(w, 0, note);
		free(note);
	} else if (c->status != CASE_FAILED)
		junit_output(w, 0, c->output);
	junit_case_end(w);
}

static void
report_junit_write(struct junit_writer *w, struct sched *s,
    const char *suite, const char *when, double elapsed)
{
	struct junit_suite sum, main, js;
	const struct msg_result *last;
	char start[32];
	size_t i, k;

	memset(&main, 0, sizeof main);
	memset(&sum, 0, sizeof sum);
	for (i = 0; i < s->ntests; i++) {
		if (report_cases(&s->tests[i]) != NULL) {
			report_case_suite(&s->tests[i], &js);
			report_add(&sum, &js);
		} else
			report_count(&main, quarantine_excused(&s->tests[i]) ?
			    ST_SKIPPED : s->tests[i].status);
	}
	report_add(&sum, &main);
	sum.name = "dagz";
	sum.time = main.time = elapsed;
	sum.timestamp = main.timestamp = when;
	main.name = suite;
	junit_suites_begin(w, &sum);
	junit_suite_begin(w, &main);
	junit_property(w, "dagz.job", s->job);
	for (i = 0; i < s->ntests; i++)
		if (report_cases(&s->tests[i]) == NULL)
			report_junit_test(w, suite, &s->tests[i]);
	junit_suite_end(w);
	for (i = 0; i < s->ntests; i++) {
		if (report_cases(&s->tests[i]) == NULL)
			continue;
		report_case_suite(&s->tests[i], &js);
		last = report_last(&s->tests[i]);
		report_timestamp(last->start, start, sizeof start);
		js.timestamp = start;
		junit_suite_begin(w, &js);
		for (k = 0; k < last->cases.n; k++)
			report_junit_case(w, &s->tests[i], k);
		if (report_self(&s->tests[i]))
			report_junit_test(w, s->tests[i].def.id,
			    &s->tests[i]);
		junit_suite_end(w);
	}
	junit_suites_end(w);
}

/*
 * Tests without cases are testcases of one suite named for the run;
 * a test with cases is a suite of its own, a testcase a case. Written
 * to a temporary name and renamed, so no reader sees half.
 */
int
report_junit(struct sched *s, double elapsed)
{
	struct junit_writer *w;
	char *tmp, *copy, when[32];
	FILE *fp;
	int rc;

	copy = xstrdup(s->opt.suite_name);
	report_timestamp(s->t0_unix, when, sizeof when);
	xasprintf(&tmp, "%s.tmp", s->opt.junit);
	if ((fp = fopen(tmp, "w")) == NULL) {
		warn("cannot write JUnit file '%s'", tmp);
		free(tmp);
		free(copy);
		return (-1);
	}
	w = junit_writer_open(fp);
	report_junit_write(w, s, basename(copy), when, elapsed);
	rc = junit_writer_close(w);
	if (fclose(fp) == EOF || rc == -1 || rename(tmp, s->opt.junit) == -1) {
		warn("cannot write JUnit file '%s'", s->opt.junit);
		unlink(tmp);
		rc = -1;
	}
	free(tmp);
	free(copy);
	return (rc);
}
