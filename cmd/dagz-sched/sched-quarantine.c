/*
 * sched-quarantine.c: the project's quarantine in a job. At the job's
 * start the store says which tests are quarantined (with
 * --auto-quarantine N, after it has quarantined what was flaky on the
 * main branch and released what runs clean there again); such a test
 * still runs and is retried as any other and keeps its status, but its
 * failure does not fail the job. Without a store there is no quarantine.
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "cienv.h"
#include "exitcodes.h"
#include "sched.h"
#include "store.h"
#include "strv.h"
#include "xmalloc.h"

/* The main branch: main_branch:, else the remote's HEAD, else "main". */
static char *
quarantine_main_branch(struct sched *s)
{
	const char *head;
	json_t *git;
	char *b;

	if (s->opt.config.main_branch != NULL)
		return (xstrdup(s->opt.config.main_branch));
	git = cienv_git(s->opt.suite_dir);
	head = json_string_value(json_object_get(git, "remote_head"));
	b = xstrdup(head != NULL ? head : "main");
	json_decref(git);
	return (b);
}

/* An NDJSON reply as an array, or NULL when a line is not JSON. */
static json_t *
quarantine_lines(char *body)
{
	char *line, *next;
	json_t *a, *o;

	a = json_array();
	for (line = body; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if ((o = json_loads(line, 0, NULL)) == NULL) {
			json_decref(a);
			return (NULL);
		}
		json_array_append_new(a, o);
	}
	return (a);
}

/* Says a line now, and again in the job's report. */
static void
quarantine_note(struct sched *s, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		err(DAGZ_EXIT_ERROR, "vasprintf");
	va_end(ap);
	out_line(s, "dagz: %s", line);
	s->quarantine_notes = strv_push(s->quarantine_notes, line);
	free(line);
}

/* What --auto-quarantine did, from the store's reply o. */
static void
quarantine_auto_notes(struct sched *s, json_t *o)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(o, "added"), i, v)
		quarantine_note(s, "quarantined automatically: %s (flaky in "
		    "%lld of the last %lld jobs on %s)",
		    json_string_value(json_object_get(v, "test")),
		    (long long)json_integer_value(json_object_get(v, "flaky")),
		    (long long)json_integer_value(json_object_get(v, "jobs")),
		    json_string_value(json_object_get(v, "branch")));
	json_array_foreach(json_object_get(o, "released"), i, v)
		quarantine_note(s, "released from quarantine: %s (%lld clean "
		    "runs on %s)", json_string_value(json_object_get(v, "test")),
		    (long long)json_integer_value(json_object_get(v, "clean")),
		    json_string_value(json_object_get(v, "branch")));
}

/*
 * Asks the store for the project's quarantine (--auto-quarantine: has it
 * brought up to date first) and marks the job's tests in it. A store
 * that does not answer costs the job its quarantine, said in one line.
 */
void
quarantine_begin(struct sched *s)
{
	struct store_reply r;
	struct test *t;
	json_t *o = NULL, *list, *v;
	char *project, *branch, *main, *path, *body, *msg, *e;
	size_t i, n = 0;
	int threshold, rc;

	if (s->store == NULL)
		return;
	threshold = s->opt.auto_quarantine > 0 ? s->opt.auto_quarantine :
	    s->opt.config.auto_quarantine;
	store_project_branch(s, &project, &branch);
	free(branch);
	if (threshold > 0) {
		main = quarantine_main_branch(s);
		o = json_pack("{s:s, s:s, s:i}", "project", project, "branch",
		    main, "threshold", threshold);
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		free(main);
		rc = store_request(s, "POST", STORE_API "/quarantine/auto",
		    body, &r);
		free(body);
	} else {
		if ((e = evhttp_encode_uri(project)) == NULL)
			errx(DAGZ_EXIT_ERROR, "evhttp_encode_uri");
		xasprintf(&path, STORE_API "/quarantine?project=%s", e);
		free(e);
		rc = store_request(s, "GET", path, NULL, &r);
		free(path);
	}
	free(project);
	if (rc == 0 && r.status == 200)
		o = threshold > 0 ? json_loads(r.body, 0, NULL) :
		    quarantine_lines(r.body);
	if (o == NULL) {
		msg = rc == 0 && r.status == 200 ? xstrdup("a reply not "
		    "understood") : store_reply_error(&r);
		out_line(s, "dagz: cannot get the quarantine: %s; this job "
		    "runs without it", msg);
		free(msg);
		store_reply_clear(&r);
		return;
	}
	store_reply_clear(&r);
	if (threshold > 0) {
		quarantine_auto_notes(s, o);
		list = json_object_get(o, "quarantine");
	} else
		list = o;
	json_array_foreach(list, i, v)
		if ((t = sched_find(s, json_string_value(json_object_get(v,
		    "test")))) != NULL && !t->quarantined) {
			t->quarantined = 1;
			n++;
		}
	json_decref(o);
	if (n > 0)
		out_line(s, "dagz: %zu test%s quarantined: %s failure%s "
		    "fail%s no job", n, n == 1 ? "" : "s", n == 1 ? "its" :
		    "their", n == 1 ? "" : "s", n == 1 ? "s" : "");
}

/*
 * Whether a failure of t counts against the job (for its exit status,
 * --fail-fast and --max-fail): not when t is quarantined.
 */
int
quarantine_counts(const struct sched *s, const struct test *t)
{
	return (!t->quarantined);
}

/* How many tests ended with status st in quarantine. */
int
quarantine_count_status(const struct sched *s, enum test_status st)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->ntests; i++)
		if (quarantine_excused(&s->tests[i]) &&
		    s->tests[i].status == st)
			n++;
	return (n);
}

/* How many tests failed in quarantine: failures that fail no job. */
int
quarantine_failures(const struct sched *s)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->ntests; i++)
		if (quarantine_excused(&s->tests[i]))
			n++;
	return (n);
}
