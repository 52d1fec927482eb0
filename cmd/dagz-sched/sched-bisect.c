/*
 * sched-bisect.c: "dagz run --bisect-pollution J TEST", which finds the
 * test that made TEST fail in job J by running TEST again after halves
 * of the tests that ran before its first failure on its worker. The
 * history comes from the store: the job's test spans, each attempt's
 * worker and start. Each step is a run of dagz-sched with the same
 * flags (and so the same config) and --run-in-order for each test,
 * which runs exactly those tests in that order on one worker, without
 * retries, selection or a record in the store.
 */
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>
#include <jansson.h>

#include "exitcodes.h"
#include "paths.h"
#include "sched.h"
#include "store.h"
#include "strv.h"
#include "xmalloc.h"

#define BISECT_TIMEOUT	30.0	/* seconds, for each of dagzd's replies */

struct bisect {
	struct sched	 *s;
	const char	 *job;
	const char	 *test;
	char		**base;		/* the steps' command line, less ids */
	char		**tail;		/* "--" and what follows, or NULL */
	char		 *dir;		/* the steps' output and events */
	char		**named;	/* the traces' candidates, if any */
	int		  step;
	int		  worker;	/* where test first failed */
};

/*
 * GET path from the store, as NDJSON lines in an array. A job the store
 * does not know is bad input; a store that cannot answer, a dagz error.
 */
static json_t *
bisect_get(struct bisect *b, const char *path)
{
	struct store_reply r;
	json_error_t jerr;
	json_t *a, *o;
	char *url, *token, *line, *next, *msg;

	url = store_url();
	token = store_token();
	if (store_call(url, token, "GET", path, NULL, NULL, 0, BISECT_TIMEOUT,
	    &r) == -1 || r.status == 0)
		errx(DAGZ_EXIT_ERROR, "--bisect-pollution: cannot reach dagzd "
		    "at %s: %s", url, r.err);
	if (r.status == 404)
		errx(DAGZ_EXIT_USAGE, "--bisect-pollution: unknown job '%s'",
		    b->job);
	if (r.status != 200) {
		msg = store_reply_error(&r);
		errx(r.status >= 400 && r.status < 500 ? DAGZ_EXIT_USAGE :
		    DAGZ_EXIT_ERROR, "--bisect-pollution: dagzd at %s: %s",
		    url, msg);
	}
	a = json_array();
	for (line = r.body; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if ((o = json_loads(line, 0, &jerr)) == NULL)
			errx(DAGZ_EXIT_ERROR, "--bisect-pollution: dagzd at "
			    "%s: invalid reply: %s", url, jerr.text);
		json_array_append_new(a, o);
	}
	store_reply_clear(&r);
	free(url);
	free(token);
	return (a);
}

/* Whether a status (a span's or a result's) is a failure worth it. */
static int
bisect_failed(const char *status)
{
	enum test_status st;

	return (status != NULL && status_parse(status, &st) == 0 &&
	    status_failed(st));
}

static int
bisect_cmp_start(const void *a, const void *b)
{
	double x = json_number_value(json_object_get(*(json_t *const *)a,
	    "start"));
	double y = json_number_value(json_object_get(*(json_t *const *)b,
	    "start"));

	return (x < y ? -1 : x > y);
}

/*
 * The tests that ran on TEST's worker before its first failed attempt,
 * in the order they ran, each once. Sets b->worker.
 */
static char **
bisect_history(struct bisect *b, const char *esc)
{
	json_t *tests, *spans, *o, *first = NULL, **v, *cands, *c;
	const char *id;
	char *path, **before = NULL;
	size_t i, k, n = 0;
	int found = 0;

	xasprintf(&path, STORE_API "/jobs/%s/tests", esc);
	tests = bisect_get(b, path);
	free(path);
	json_array_foreach(tests, i, o) {
		if ((id = json_string_value(json_object_get(o, "test"))) ==
		    NULL || strcmp(id, b->test) != 0)
			continue;
		found = 1;
		cands = json_object_get(json_object_get(o, "pollution"),
		    "candidates");
		json_array_foreach(cands, k, c)
			if ((id = json_string_value(json_object_get(c,
			    "test"))) != NULL)
				b->named = strv_push(b->named, id);
	}
	json_decref(tests);
	if (!found)
		errx(DAGZ_EXIT_USAGE, "--bisect-pollution: no test '%s' in "
		    "job %s", b->test, b->job);

	xasprintf(&path, STORE_API "/jobs/%s/spans?type=test", esc);
	spans = bisect_get(b, path);
	free(path);
	v = xcalloc(json_array_size(spans) + 1, sizeof *v);
	json_array_foreach(spans, i, o) {
		if (!json_is_number(json_object_get(o, "start")) ||
		    !json_is_integer(json_object_get(json_object_get(o,
		    "attrs"), "worker")) ||
		    (id = json_string_value(json_object_get(o, "test"))) ==
		    NULL)
			continue;
		v[n++] = o;
		if (strcmp(id, b->test) == 0 && bisect_failed(
		    json_string_value(json_object_get(o, "status"))) &&
		    (first == NULL || bisect_cmp_start(&o, &first) < 0))
			first = o;
	}
	if (first == NULL)
		errx(DAGZ_EXIT_USAGE, "--bisect-pollution: test '%s' did not "
		    "fail in job %s", b->test, b->job);
	b->worker = json_integer_value(json_object_get(json_object_get(first,
	    "attrs"), "worker"));
	if (n > 0)
		qsort(v, n, sizeof *v, bisect_cmp_start);
	for (i = 0; i < n && v[i] != first; i++) {
		id = json_string_value(json_object_get(v[i], "test"));
		if (json_integer_value(json_object_get(json_object_get(v[i],
		    "attrs"), "worker")) != b->worker ||
		    strcmp(id, b->test) == 0 || strv_contains(before, id))
			continue;
		before = strv_push(before, id);
	}
	free(v);
	json_decref(spans);
	return (before);
}

/* The final status of test in a step's events file, or NULL. */
static char *
bisect_status(const char *events, const char *test)
{
	json_error_t jerr;
	json_t *o;
	FILE *fp;
	char *line = NULL, *status = NULL;
	const char *st, *id;
	size_t cap = 0;

	if ((fp = fopen(events, "r")) == NULL)
		return (NULL);
	while (getline(&line, &cap, fp) != -1) {
		if ((o = json_loads(line, 0, &jerr)) == NULL)
			continue;
		if ((id = json_string_value(json_object_get(o, "test"))) !=
		    NULL && strcmp(id, test) == 0 &&
		    json_is_true(json_object_get(o, "final")) &&
		    (st = json_string_value(json_object_get(o, "status"))) !=
		    NULL) {
			free(status);
			status = xstrdup(st);
		}
		json_decref(o);
	}
	free(line);
	fclose(fp);
	return (status);
}

/* Copies the file at path to stderr: a step's own words. */
static void
bisect_show(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(fp);
}

/*
 * Runs the tests of v, in order, then TEST, as one step; returns whether
 * TEST failed. what says the step for people. A step that cannot run
 * ends the bisection with the step's own output and exit status.
 */
static int
bisect_step(struct bisect *b, char **v, const char *what)
{
	char *out, *events, *prog, **argv, *status;
	size_t i;
	pid_t pid;
	int fd, wstatus, code, failed;

	xasprintf(&out, "%s/step%d.out", b->dir, ++b->step);
	xasprintf(&events, "%s/step%d.ndjson", b->dir, b->step);
	argv = strv_copy(b->base);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		argv = strv_push(argv, "--run-in-order");
		argv = strv_push(argv, v[i]);
	}
	argv = strv_push(argv, "--run-in-order");
	argv = strv_push(argv, b->test);
	argv = strv_push(argv, "--events");
	argv = strv_push(argv, events);
	for (i = 0; b->tail != NULL && b->tail[i] != NULL; i++)
		argv = strv_push(argv, b->tail[i]);
	prog = paths_program("dagz-sched");
	fflush(stdout);
	if ((pid = fork()) == -1)
		err(DAGZ_EXIT_ERROR, "fork");
	if (pid == 0) {
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
			_exit(DAGZ_EXIT_ERROR);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
		execv(prog, argv);
		dprintf(STDERR_FILENO, "dagz-run: cannot run '%s'\n", prog);
		_exit(DAGZ_EXIT_ERROR);
	}
	while (waitpid(pid, &wstatus, 0) == -1)
		;
	code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : DAGZ_EXIT_ERROR;
	status = bisect_status(events, b->test);
	if ((code != DAGZ_EXIT_OK && code != DAGZ_EXIT_FAIL) || status == NULL) {
		bisect_show(out);
		errx(code == DAGZ_EXIT_USAGE ? DAGZ_EXIT_USAGE :
		    DAGZ_EXIT_ERROR, "--bisect-pollution: step %d (%s) "
		    "ended with exit status %d%s", b->step, what, code,
		    status == NULL ? ", without a result of the test" : "");
	}
	failed = bisect_failed(status);
	printf("step %d: %s: %s\n", b->step, what, failed ? "failed" :
	    "passed");
	fflush(stdout);
	unlink(out);
	unlink(events);
	free(status);
	free(prog);
	free(out);
	free(events);
	strv_free(argv);
	return (failed);
}

/* A step of the tests of v (n of them) then TEST. */
static int
bisect_tests(struct bisect *b, char **v, size_t n)
{
	char *what;
	int failed;

	if (n == 1)
		xasprintf(&what, "%s then %s", v[0], b->test);
	else
		xasprintf(&what, "%zu tests before %s", n, b->test);
	failed = bisect_step(b, v, what);
	free(what);
	return (failed);
}

/* A step of TEST alone. */
static int
bisect_alone(struct bisect *b)
{
	char *what;
	int failed;

	xasprintf(&what, "%s alone", b->test);
	failed = bisect_step(b, NULL, what);
	free(what);
	return (failed);
}

/* The n strings of v from i, as a new strv (borrowed strings copied). */
static char **
bisect_slice(char **v, size_t i, size_t n)
{
	char **out = xcalloc(1, sizeof *out);
	size_t k;

	for (k = 0; k < n; k++)
		out = strv_push(out, v[i + k]);
	return (out);
}

/*
 * Halves the suspects until one is left, each step running the first
 * half before TEST: TEST fails, the culprit is there; else in the rest.
 * Returns the one left and whether a step ran it alone before TEST and
 * TEST failed.
 */
static char *
bisect_halve(struct bisect *b, char **v, int *confirmed)
{
	char **half, **rest, *one;
	size_t n = strv_len(v), k;
	int failed;

	v = strv_copy(v);
	*confirmed = 0;
	while (n > 1) {
		k = n / 2;
		half = bisect_slice(v, 0, k);
		rest = bisect_slice(v, k, n - k);
		failed = bisect_tests(b, half, k);
		strv_free(v);
		if (failed) {
			v = half;
			strv_free(rest);
			n = k;
			*confirmed = n == 1;
		} else {
			v = rest;
			strv_free(half);
			n -= k;
		}
	}
	one = xstrdup(v[0]);
	strv_free(v);
	return (one);
}

/* A temporary directory for the steps' output. */
static char *
bisect_dir(void)
{
	const char *tmp;
	char *dir;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	xasprintf(&dir, "%s/dagz-bisect-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		err(DAGZ_EXIT_ERROR, "cannot create '%s'", dir);
	return (dir);
}

/*
 * The bisection. Exit 0 when a test is confirmed (TEST fails after it,
 * passes alone), 1 when none is (TEST fails alone, passes after all
 * that ran before it, or after none of them alone), 2 on bad input.
 */
int
bisect_run(struct sched *s, int argc, char **argv, const char *drop,
    int dashdash)
{
	struct bisect b;
	char **before, **one, *esc, *culprit;
	size_t n;
	int i, confirmed, rc;

	memset(&b, 0, sizeof b);
	b.s = s;
	b.job = s->opt.bisect_job;
	b.test = s->opt.test_ids[0];
	b.base = strv_push(NULL, "dagz-sched");
	for (i = 1; i < argc && (dashdash == -1 || i < dashdash); i++)
		if (!drop[i])
			b.base = strv_push(b.base, argv[i]);
	for (i = dashdash; dashdash != -1 && i < argc; i++)
		b.tail = strv_push(b.tail, argv[i]);

	if ((esc = evhttp_uriencode(b.job, -1, 0)) == NULL)
		errx(DAGZ_EXIT_ERROR, "evhttp_uriencode");
	before = bisect_history(&b, esc);
	free(esc);
	n = strv_len(before);
	printf("bisect: %s failed on worker #%d of job %s after %zu test%s\n",
	    b.test, b.worker, b.job, n, n == 1 ? "" : "s");
	if (b.named != NULL) {
		esc = strv_join(b.named, ", ");
		printf("the traces name: %s\n", esc);
		free(esc);
	}
	b.dir = bisect_dir();

	rc = DAGZ_EXIT_FAIL;
	if (n > 0 && !bisect_tests(&b, before, n))
		printf("no polluter: %s passes after the %zu test%s that ran "
		    "before it on worker #%d\n", b.test, n, n == 1 ? "" : "s",
		    b.worker);
	else if (bisect_alone(&b))
		printf("no polluter: %s fails alone\n", b.test);
	else if (n == 0)
		printf("no polluter: %s passes alone, and no test ran before "
		    "it on worker #%d\n", b.test, b.worker);
	else {
		culprit = bisect_halve(&b, before, &confirmed);
		one = strv_push(NULL, culprit);
		if (confirmed || bisect_tests(&b, one, 1)) {
			printf("polluter: %s (%s fails after it, passes "
			    "alone)\n", culprit, b.test);
			rc = DAGZ_EXIT_OK;
		} else
			printf("no polluter: %s fails after the %zu tests "
			    "before it but after none of them alone\n",
			    b.test, n);
		strv_free(one);
		free(culprit);
	}
	rmdir(b.dir);
	free(b.dir);
	strv_free(before);
	strv_free(b.base);
	strv_free(b.tail);
	strv_free(b.named);
	free((void *)drop);
	return (rc);
}

/*
 * --run-in-order: the one worker's queue in the order of the ids given;
 * a test they need, brought in by the filter, goes first.
 */
void
bisect_order(struct sched *s)
{
	struct sworker *w = &s->workers[0];
	struct test *t, **v;
	size_t n = 0, i, j;
	long *key, k;

	v = xcalloc(s->ntests + 1, sizeof *v);
	key = xcalloc(s->ntests + 1, sizeof *key);
	while ((t = TAILQ_FIRST(&w->queue)) != NULL) {
		TAILQ_REMOVE(&w->queue, t, qentry);
		k = -1;
		for (j = 0; s->opt.test_ids[j] != NULL; j++)
			if (strcmp(s->opt.test_ids[j], t->def.id) == 0)
				k = (long)j;
		/* Insertion sort: stable, and a step's queue is short. */
		for (i = n; i > 0 && key[i - 1] > k; i--) {
			v[i] = v[i - 1];
			key[i] = key[i - 1];
		}
		v[i] = t;
		key[i] = k;
		n++;
	}
	for (i = 0; i < n; i++) {
		v[i]->order = (int)i;
		TAILQ_INSERT_TAIL(&w->queue, v[i], qentry);
	}
	free(key);
	free(v);
}
