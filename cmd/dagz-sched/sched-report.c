/*
 * sched-report.c: the machine-readable records of a job: the --events
 * NDJSON stream (a line per finished attempt, written as it finishes, so
 * a killed run keeps what it had) and the --junit XML that CI systems
 * show, with retries as flakyFailure / rerunFailure elements.
 */
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ndjson.h"
#include "sched.h"
#include "xmalloc.h"

/* Seconds to the microsecond: a clock's noise is not information. */
static json_t *
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

static void
report_event_write(struct sched *s, json_t *o)
{
	char *line;

	line = ndjson_encode(o);
	json_decref(o);
	fprintf(s->events, "%s\n", line);
	fflush(s->events);
	free(line);
}

/*
 * The cases of an attempt for --events: name, status, duration and
 * reason of each, in the order reported. Their output is left to the
 * store and the test's log, so that the events file stays small.
 */
static void
report_event_cases(json_t *o, const struct case_list *l)
{
	const struct test_case *c;
	json_t *a, *e;
	size_t i;

	a = json_array();
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		e = json_object();
		json_object_set_new(e, "name", json_string(c->name));
		json_object_set_new(e, "status",
		    json_string(case_status_name(c->status)));
		json_object_set_new(e, "duration", c->duration >= 0 ?
		    report_seconds(c->duration) : json_null());
		json_object_set_new(e, "reason", c->reason != NULL ?
		    json_string(c->reason) : json_null());
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "cases", a);
	if (l->error != NULL)
		json_object_set_new(o, "cases_error", json_string(l->error));
	if (l->skip_all != NULL)
		json_object_set_new(o, "skip_all", json_string(l->skip_all));
}

void
report_event_result(struct sched *s, const struct attempt *a)
{
	const struct msg_result *r = &a->r;
	json_t *o;

	if (s->events == NULL)
		return;
	o = json_object();
	json_object_set_new(o, "type", json_string("result"));
	json_object_set_new(o, "test", json_string(r->test));
	json_object_set_new(o, "status", json_string(status_name(r->status)));
	json_object_set_new(o, "attempt", json_integer(r->attempt));
	json_object_set_new(o, "worker", json_integer(r->worker));
	json_object_set_new(o, "duration", report_seconds(r->duration));
	json_object_set_new(o, "cpu", report_seconds(r->cpu));
	json_object_set_new(o, "rss", json_integer(r->rss));
	json_object_set_new(o, "exit", r->exit_code >= 0 ?
	    json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "signal", r->signal > 0 ?
	    json_integer(r->signal) : json_null());
	json_object_set_new(o, "leaked", json_integer(r->leaked));
	json_object_set_new(o, "reason", r->reason != NULL ?
	    json_string(r->reason) : json_null());
	json_object_set_new(o, "start", report_seconds(r->start));
	if (a->retry != NULL)
		json_object_set_new(o, "retry", json_string(a->retry));
	if (a->no_retry != NULL)
		json_object_set_new(o, "no_retry", json_string(a->no_retry));
	if (r->log != NULL && !s->log_dir_temp)
		json_object_set_new(o, "log", json_string(r->log));
	if (r->cases.present)
		report_event_cases(o, &r->cases);
	report_event_write(s, o);
}

/* A fixture's setup or teardown on one worker: a span of its own. */
void
report_event_fixture(struct sched *s, const struct msg_result *r)
{
	json_t *o;

	if (s->events == NULL)
		return;
	o = json_object();
	json_object_set_new(o, "type", json_string("fixture"));
	json_object_set_new(o, "fixture", json_string(r->test));
	json_object_set_new(o, "phase", json_string(r->phase));
	json_object_set_new(o, "status", json_string(status_name(r->status)));
	json_object_set_new(o, "worker", json_integer(r->worker));
	json_object_set_new(o, "duration", report_seconds(r->duration));
	json_object_set_new(o, "exit", r->exit_code >= 0 ?
	    json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "reason", r->reason != NULL ?
	    json_string(r->reason) : json_null());
	json_object_set_new(o, "start", report_seconds(r->start));
	if (r->log != NULL && !s->log_dir_temp)
		json_object_set_new(o, "log", json_string(r->log));
	report_event_write(s, o);
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
	report_event_write(s, o);
}

/* Writes text escaped for XML, dropping characters XML 1.0 forbids. */
static void
report_xml(FILE *fp, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\t':
		case '\n':
		case '\r':
			fputc(*p, fp);
			break;
		default:
			if (*p >= 0x20)
				fputc(*p, fp);
			break;
		}
	}
}

static void
report_timestamp(double unix_time, char *buf, size_t len)
{
	time_t t = (time_t)unix_time;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One failed attempt as <failure>, <rerunFailure> or <flakyFailure>. */
static void
report_junit_attempt(FILE *fp, const char *element,
    const struct msg_result *a)
{
	fprintf(fp, "      <%s type=\"%s\" message=\"", element,
	    status_name(a->status));
	report_xml(fp, a->reason != NULL ? a->reason : status_name(a->status));
	fprintf(fp, "\">");
	report_xml(fp, a->tail);
	fprintf(fp, "</%s>\n", element);
}

static void
report_junit_case(FILE *fp, const char *suite, const struct test *t)
{
	const struct msg_result *last;
	double time = 0;
	int i, first = 1;

	for (i = 0; i < t->nattempts; i++)
		time += t->attempts[i].r.duration;
	fprintf(fp, "    <testcase name=\"");
	report_xml(fp, t->def.id);
	fprintf(fp, "\" classname=\"");
	report_xml(fp, suite);
	fprintf(fp, "\" time=\"%.3f\">\n", time);
	last = t->nattempts > 0 ? &t->attempts[t->nattempts - 1].r : NULL;
	if (last == NULL)
		;
	else if (t->status == ST_SKIPPED || t->status == ST_DESELECTED ||
	    t->status == ST_REDUNDANT) {
		fprintf(fp, "      <skipped message=\"");
		report_xml(fp, last->reason != NULL ? last->reason :
		    status_name(t->status));
		fprintf(fp, "\"/>\n");
	} else if (status_passed(t->status)) {
		for (i = 0; i < t->nattempts - 1; i++)
			report_junit_attempt(fp, "flakyFailure",
			    &t->attempts[i].r);
	} else if (t->status == ST_DAGZ_ERROR) {
		report_junit_attempt(fp, "error", last);
	} else {
		for (i = 0; i < t->nattempts; i++) {
			report_junit_attempt(fp, first ? "failure" :
			    "rerunFailure", &t->attempts[i].r);
			first = 0;
		}
	}
	if (last != NULL && last->tail != NULL && *last->tail != '\0') {
		fprintf(fp, "      <system-out>");
		report_xml(fp, last->tail);
		fprintf(fp, "</system-out>\n");
	}
	fprintf(fp, "    </testcase>\n");
}

/* Written to a temporary name and renamed, so no reader sees half. */
int
report_junit(struct sched *s, double elapsed)
{
	char *tmp, *copy, when[32];
	const char *suite;
	FILE *fp;
	size_t i;
	int failures = 0, errors = 0, skipped = 0;

	for (i = 0; i < s->ntests; i++) {
		enum test_status st = s->tests[i].status;

		if (st == ST_DAGZ_ERROR)
			errors++;
		else if (st == ST_SKIPPED || st == ST_DESELECTED ||
		    st == ST_REDUNDANT)
			skipped++;
		else if (status_failed(st))
			failures++;
	}
	copy = xstrdup(s->opt.suite_name);
	suite = basename(copy);
	report_timestamp(s->t0_unix, when, sizeof when);
	xasprintf(&tmp, "%s.tmp", s->opt.junit);
	if ((fp = fopen(tmp, "w")) == NULL) {
		warn("cannot write JUnit file '%s'", tmp);
		free(tmp);
		free(copy);
		return (-1);
	}
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(fp, "<testsuites name=\"dagz\" tests=\"%zu\" failures=\"%d\" "
	    "errors=\"%d\" skipped=\"%d\" time=\"%.3f\" timestamp=\"%s\">\n",
	    s->ntests, failures, errors, skipped, elapsed, when);
	fprintf(fp, "  <testsuite name=\"");
	report_xml(fp, suite);
	fprintf(fp, "\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" "
	    "skipped=\"%d\" time=\"%.3f\" timestamp=\"%s\">\n", s->ntests,
	    failures, errors, skipped, elapsed, when);
	fprintf(fp, "    <properties>\n      <property name=\"dagz.job\" "
	    "value=\"%s\"/>\n    </properties>\n", s->job);
	for (i = 0; i < s->ntests; i++)
		report_junit_case(fp, suite, &s->tests[i]);
	fprintf(fp, "  </testsuite>\n</testsuites>\n");
	if (fflush(fp) == EOF || ferror(fp) || fclose(fp) == EOF ||
	    rename(tmp, s->opt.junit) == -1) {
		warn("cannot write JUnit file '%s'", s->opt.junit);
		free(tmp);
		free(copy);
		return (-1);
	}
	free(tmp);
	free(copy);
	return (0);
}
