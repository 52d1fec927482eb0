/*
 * sched-select.c: running only the tests a change can affect. The
 * project root is where the probe records paths from; the baselines of
 * the branch and of main say which tests read which files, and a test
 * runs if either says it may be affected. At the end of the job the
 * baseline is rebuilt from the old one and what this job's tests read,
 * less the paths the config's ignore: patterns (or their defaults) name.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "baseline.h"
#include "exitcodes.h"
#include "ignore.h"
#include "sched.h"
#include "store.h"
#include "strv.h"
#include "xmalloc.h"

#define SELECT_MAX_BASELINES	2
/* Reasons a test's record carries; the rest are counted. */
#define SELECT_REASONS_MAX	5
/* Seconds to wait for dagzd's answer about an explicit --baseline. */
#define SELECT_FETCH_WAIT	5.0

struct sched_select {
	char			*project;
	char			*branch;
	struct baseline		*b[SELECT_MAX_BASELINES];
	struct baseline_changes	*c[SELECT_MAX_BASELINES];
	char			 id[SELECT_MAX_BASELINES][32];
	int			 n;
	struct baseline_statcache *sc;
	char		       **ignores;	/* relative to the root */
	char		      ***why;		/* per test: reasons, or NULL */
	char		      ***ignored;	/* per test: "ignored: PATH" */
	char			*skip;		/* per test: would be skipped */
	size_t			 nselected;
	size_t			 nskipped;
};

/* A path as a glob pattern that matches it alone. */
static char *
select_glob_escape(const char *path)
{
	char *v = xmalloc(strlen(path) * 2 + 1), *q = v;

	for (; *path != '\0'; path++) {
		if (strchr("*?[]\\", *path) != NULL)
			*q++ = '\\';
		*q++ = *path;
	}
	*q = '\0';
	return (v);
}

/*
 * The project root: the top of the git work tree holding the manifest
 * (or, for --exec, the current directory), else that directory itself.
 */
void
select_root(struct sched *s)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], *p, *prefix;
	const char *cr;
	struct stat sb;
	size_t i, n;

	strlcpy(dir, s->opt.suite_dir, sizeof dir);
	s->root = xstrdup(dir);
	for (;;) {
		snprintf(path, sizeof path, "%s/.git", dir);
		if (stat(path, &sb) == 0) {
			free(s->root);
			s->root = xstrdup(dir);
			break;
		}
		if ((p = strrchr(dir, '/')) == NULL || p == dir)
			break;
		*p = '\0';
	}
	/*
	 * The config's global: patterns are relative to its root. Below
	 * the project root they take the path between as a prefix; above
	 * it (no git work tree) the config's root is the project root.
	 */
	if ((cr = s->opt.config.root) == NULL)
		return;
	n = strlen(s->root);
	if (strncmp(cr, s->root, n) == 0 && (cr[n] == '/' || cr[n] == '\0'))
		prefix = select_glob_escape(cr[n] == '/' ? cr + n + 1 : "");
	else if (strncmp(s->root, cr, strlen(cr)) == 0 &&
	    s->root[strlen(cr)] == '/') {
		free(s->root);
		s->root = xstrdup(cr);
		prefix = xstrdup("");
	} else
		return;
	for (i = 0; s->opt.config.globals != NULL &&
	    s->opt.config.globals[i] != NULL; i++) {
		xasprintf(&p, "%s%s%s", prefix, *prefix != '\0' ? "/" : "",
		    s->opt.config.globals[i]);
		s->opt.globals = strv_push(s->opt.globals, p);
		free(p);
	}
	free(prefix);
}

/*
 * The ignore patterns in force (the config's, else the defaults), made
 * relative to the project root: the config's root may be below it.
 */
static char **
select_ignores(const struct sched *s)
{
	char *const *v = projconf_ignores(&s->opt.config);
	const char *cr = s->opt.config.root, *prefix = "";
	char **out = NULL, *p;
	size_t i, n = strlen(s->root);

	if (cr != NULL && strncmp(cr, s->root, n) == 0 && cr[n] == '/')
		prefix = cr + n + 1;
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		p = ignore_rebase(prefix, v[i]);
		out = strv_push(out, p);
		free(p);
	}
	return (out);
}

/* Adds baseline id, whose blob is z, to the selection; frees z. */
static void
select_add(struct sched *s, const char *id, unsigned char *z, size_t len)
{
	struct sched_select *sel = s->select;
	char err[256];

	sel->b[sel->n] = baseline_load(z, len, s->root, sel->sc, err,
	    sizeof err);
	free(z);
	if (sel->b[sel->n] == NULL) {
		warnx("cannot read baseline '%s': %s", id, err);
		return;
	}
	strlcpy(sel->id[sel->n], id, sizeof sel->id[sel->n]);
	sel->c[sel->n] = baseline_changes(sel->b[sel->n], s->root,
	    s->opt.globals, sel->sc);
	baseline_changes_ignore(sel->c[sel->n], sel->b[sel->n], sel->ignores);
	sel->n++;
}

/* Adds baseline id to the selection, if it can be had. */
static void
select_load(struct sched *s, const char *id)
{
	struct sched_select *sel = s->select;
	unsigned char *z;
	char err[256];
	size_t len;
	int k;

	for (k = 0; k < sel->n; k++)
		if (strcmp(sel->id[k], id) == 0)
			return;
	if ((z = store_baseline_get(s, id, &len, err, sizeof err)) == NULL) {
		warnx("cannot fetch baseline '%s': %s", id, err);
		return;
	}
	select_add(s, id, z, len);
}

/* Makes the selection's state; its baselines are loaded after. */
static struct sched_select *
select_new(struct sched *s)
{
	struct sched_select *sel;
	char *file, *home;

	sel = s->select = xcalloc(1, sizeof *sel);
	home = store_home();
	xasprintf(&file, "%s/statcache", home);
	free(home);
	sel->sc = baseline_statcache_open(file);
	free(file);
	sel->ignores = select_ignores(s);
	store_project_branch(s, &sel->project, &sel->branch);
	return (sel);
}

int
select_prepare(struct sched *s)
{
	struct store_reply r;
	char *url, *token, *e, *path, *why;
	int rc = 0;

	if (s->opt.baseline == NULL || s->root == NULL || s->opt.plan_only)
		return (0);
	if (s->store == NULL && !s->opt.select_only) {
		/* Baselines live in the store: without it, nothing to select. */
		warnx("--baseline needs the store");
		return (-1);
	}
	if (s->store == NULL)
		return (0);
	url = store_url();
	token = store_token();
	if ((e = evhttp_encode_uri(s->opt.baseline)) == NULL)
		errx(DAGZ_EXIT_ERROR, "evhttp_encode_uri");
	xasprintf(&path, STORE_API "/baselines/%s", e);
	free(e);
	memset(&r, 0, sizeof r);
	/*
	 * Nothing listening: a dagzd the job would start is started now,
	 * so that a baseline it does not have is refused before the job is
	 * recorded.
	 */
	if (store_call(url, token, "GET", path, NULL, NULL, 0,
	    SELECT_FETCH_WAIT, &r) == -1 && r.status == 0 &&
	    s->opt.start_store && strcmp(r.err, "timed out") != 0 &&
	    store_url_startable(url)) {
		store_reply_clear(&r);
		store_start(url);
		store_call(url, token, "GET", path, NULL, NULL, 0,
		    SELECT_FETCH_WAIT, &r);
	}
	if (r.status == 200) {
		select_new(s);
		select_add(s, s->opt.baseline, (unsigned char *)r.body, r.len);
		r.body = NULL;
		if (s->select->n == 0)
			rc = -1;
	} else if (r.status != 0) {
		why = store_reply_error(&r);
		warnx("cannot fetch baseline '%s': %s", s->opt.baseline, why);
		free(why);
		rc = -1;
	}
	/* No answer: dagzd may be started with the job, then asked again. */
	store_reply_clear(&r);
	free(path);
	free(url);
	free(token);
	return (rc);
}

static char *
select_ids(const struct sched_select *sel)
{
	char *v = NULL, *t;
	int k;

	for (k = 0; k < sel->n; k++) {
		xasprintf(&t, "%s%s%s", v != NULL ? v : "", v != NULL ?
		    ", " : "", sel->id[k]);
		free(v);
		v = t;
	}
	return (v != NULL ? v : xstrdup(""));
}

/* Prints what would run and why, for zb select-tests. */
static void
select_print(struct sched *s)
{
	struct sched_select *sel = s->select;
	size_t i, k;
	char *ids = select_ids(sel);

	if (sel->n == 0)
		printf("%s: every test runs\n", s->opt.select_all ? "--all" :
		    s->store == NULL ? "no store" : "no baseline");
	for (i = 0; i < s->ntests; i++) {
		if (sel->why[i] == NULL && !s->opt.select_trace)
			continue;
		printf("%s %s\n", sel->why[i] == NULL ? "skip" : "run ",
		    s->tests[i].def.id);
		for (k = 0; s->opt.select_trace && sel->why[i] != NULL &&
		    sel->why[i][k] != NULL; k++)
			printf("       %s\n", sel->why[i][k]);
		for (k = 0; s->opt.select_trace && sel->ignored[i] != NULL &&
		    sel->ignored[i][k] != NULL; k++)
			printf("       %s\n", sel->ignored[i][k]);
	}
	printf("%zu of %zu selected%s%s\n", sel->nselected, s->ntests,
	    sel->n > 0 ? " against " : "", ids);
	free(ids);
	fflush(stdout);
}

/*
 * Loads the baselines (the one asked for, else the latest of the branch
 * and of main) and marks each test whose reasons are none DESELECTED,
 * unless selection is off or only observed. With --all nothing is
 * loaded, but the job's baseline is still built at its end. -1: a bad
 * --baseline, said.
 */
int
select_begin(struct sched *s)
{
	struct sched_select *sel;
	struct test *t;
	char id[32], *ids, reason[256], **v;
	uint64_t def;
	size_t i, k;
	int j;

	if (s->root == NULL || s->opt.plan_only)
		return (0);
	if (s->store == NULL && !s->opt.select_only)
		return (0);
	/* An explicit baseline was fetched before the job began. */
	sel = s->select != NULL ? s->select : select_new(s);
	/* --new-tests-repeat tells new tests by the baselines, even so. */
	if (s->opt.select_all && (s->opt.new_tests_repeat <= 0 ||
	    s->opt.select_only))
		;
	else if (s->opt.baseline != NULL) {
		select_load(s, s->opt.baseline);
		if (sel->n == 0)
			return (-1);
	} else {
		store_baseline_latest(s, sel->project, sel->branch, id,
		    sizeof id);
		if (*id != '\0')
			select_load(s, id);
		if (strcmp(sel->branch, "main") != 0) {
			store_baseline_latest(s, sel->project, "main", id,
			    sizeof id);
			if (*id != '\0')
				select_load(s, id);
		}
	}
	sel->why = xcalloc(s->ntests + 1, sizeof *sel->why);
	sel->ignored = xcalloc(s->ntests + 1, sizeof *sel->ignored);
	sel->skip = xcalloc(s->ntests + 1, 1);
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		def = baseline_def_fingerprint(&t->def);
		if (sel->n == 0)
			sel->why[i] = strv_push(NULL, s->opt.select_all ?
			    "--all" : "no baseline");
		for (j = 0; j < sel->n; j++) {
			v = baseline_select(sel->b[j], sel->c[j], t->def.id,
			    def);
			for (k = 0; v != NULL && v[k] != NULL; k++)
				if (!strv_contains(sel->why[i], v[k]))
					sel->why[i] = strv_push(sel->why[i],
					    v[k]);
			strv_free(v);
			v = baseline_ignored(sel->b[j], sel->c[j], t->def.id);
			for (k = 0; v != NULL && v[k] != NULL; k++)
				if (!strv_contains(sel->ignored[i], v[k]))
					sel->ignored[i] = strv_push(
					    sel->ignored[i], v[k]);
			strv_free(v);
		}
		if (sel->why[i] != NULL)
			sel->nselected++;
		else
			sel->skip[i] = 1;
	}
	baseline_statcache_save(sel->sc);
	if (s->opt.select_only) {
		select_print(s);
		return (0);
	}
	/* A rerun runs what it was asked to: selection only observes. */
	if (s->opt.select_observe || s->rerun || sel->n == 0 ||
	    s->opt.select_all)
		return (0);
	ids = select_ids(sel);
	snprintf(reason, sizeof reason, "unchanged since baseline %s", ids);
	free(ids);
	for (i = 0; i < s->ntests; i++)
		if (sel->skip[i]) {
			sched_skip_test(s, &s->tests[i], ST_DESELECTED,
			    reason);
			sel->nskipped++;
		}
	return (0);
}

/*
 * The reasons test t was selected for, as "selected" on rec, its
 * attempt's record, which carries them to the events file and the
 * store: the first SELECT_REASONS_MAX of what zb select-tests --trace
 * prints, then "and N more". Nothing when no selection was made (no
 * store, --plan) or it left t out (a test that runs anyway with
 * --observe or in a rerun).
 */
void
select_record(const struct sched *s, const struct test *t, json_t *rec)
{
	const struct sched_select *sel = s->select;
	char *const *why;
	char more[64];
	json_t *a;
	size_t i, k, n;

	if (sel == NULL || sel->why == NULL ||
	    (i = (size_t)(t - s->tests)) >= s->ntests ||
	    (why = sel->why[i]) == NULL)
		return;
	n = strv_len(why);
	a = json_array();
	for (k = 0; k < n && k < SELECT_REASONS_MAX; k++)
		json_array_append_new(a, json_string(why[k]));
	if (n > SELECT_REASONS_MAX) {
		snprintf(more, sizeof more, "and %zu more",
		    n - SELECT_REASONS_MAX);
		json_array_append_new(a, json_string(more));
	}
	json_object_set_new(rec, "selected", a);
}

/* The last attempt that ran, with a trace, or NULL. */
static const struct msg_result *
select_ran(const struct test *t)
{
	int j;

	for (j = t->nattempts - 1; j >= 0; j--)
		if (t->attempts[j].r.trace.present)
			return (&t->attempts[j].r);
	return (NULL);
}

static int
select_cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The paths written by the tests that ran, each once per test, sorted:
 * a path in it twice had two writers. NULL (and *known 0) when a trace
 * may lack some (incomplete, or its writes cut), or a fixture, which is
 * not traced, ran: then who wrote what is not known.
 */
static char **
select_writers(struct sched *s, size_t *n, int *known)
{
	const struct msg_result *r;
	char **v = NULL;
	size_t i, k;

	*n = 0;
	*known = s->nfixtures == 0;
	for (i = 0; i < s->ntests && *known; i++) {
		if (s->tests[i].state != TS_DONE ||
		    (r = select_ran(&s->tests[i])) == NULL)
			continue;
		if (r->trace.incomplete || r->trace.writes_cut) {
			*known = 0;
			break;
		}
		for (k = 0; r->trace.writes != NULL &&
		    r->trace.writes[k] != NULL; k++) {
			v = xreallocarray(v, *n + 1, sizeof *v);
			v[(*n)++] = r->trace.writes[k];
		}
	}
	if (!*known) {
		free(v);
		*n = 0;
		return (NULL);
	}
	if (*n > 0)
		qsort(v, *n, sizeof *v, select_cmp_str);
	return (v);
}

/* Whether path has one writer in the sorted list v of n. */
static int
select_one_writer(char *const *v, size_t n, const char *path)
{
	char *const *p;

	if (n == 0 || (p = bsearch(&path, v, n, sizeof *v,
	    select_cmp_str)) == NULL)
		return (0);
	return ((p == v || strcmp(p[-1], path) != 0) &&
	    (p == v + n - 1 || strcmp(p[1], path) != 0));
}

/*
 * The files test t read and rewrote (r's trace), for its baseline: as
 * the test left them, and as they were at the job's start when nobody
 * else can have written them meanwhile (else unknown).
 */
static struct baseline_obs_output *
select_outputs(struct sched *s, const struct msg_result *r, char *const *w,
    size_t nw, int known)
{
	struct sched_select *sel = s->select;
	struct baseline_obs_output *v;
	size_t i;
	int j;

	v = xcalloc(r->trace.nrewrites + 1, sizeof *v);
	for (i = 0; i < r->trace.nrewrites; i++) {
		v[i].path = r->trace.rewrites[i].path;
		v[i].out = r->trace.rewrites[i].hash;
		v[i].in = BASELINE_ABSENT;
		if (!known || !select_one_writer(w, nw, v[i].path))
			continue;
		for (j = 0; j < sel->n; j++)
			if (baseline_changes_now(sel->b[j], sel->c[j],
			    v[i].path, &v[i].in))
				break;
	}
	return (v);
}

/*
 * The latest baseline, kept in DAGZ_HOME too: what the slots of a step
 * share the suite by when no dagzd can be reached (join_partition).
 */
static void
select_cache(const void *z, size_t len)
{
	char *home, *path, *tmp;
	int fd;

	home = store_home();
	xasprintf(&path, "%s/%s", home, SELECT_CACHE);
	xasprintf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) != -1) {
		if (write(fd, z, len) == (ssize_t)len && fsync(fd) == 0 &&
		    close(fd) == 0)
			rename(tmp, path);
		else {
			close(fd);
			unlink(tmp);
		}
	}
	free(tmp);
	free(path);
	free(home);
}

/*
 * Builds the job's baseline: what ran now as observed, what was
 * deselected as its baseline knew it; tests that neither ran nor were
 * deselected are left out, to run next time. Stores it and says so.
 */
void
select_job_end(struct sched *s)
{
	struct sched_select *sel = s->select;
	struct baseline *b;
	struct baseline_obs o;
	struct baseline_obs_output *outs;
	const struct msg_result *r;
	struct test *t;
	unsigned char *z;
	char id[32], *ids, **w;
	size_t i, len, nw, failed = 0, would = 0;
	int j, known;

	/* A stress job hunts a flake: it is no baseline for the next. */
	if (sel == NULL || repeat_stress(s))
		return;
	ids = select_ids(sel);
	if (sel->n > 0 && (s->opt.select_observe || s->rerun)) {
		for (i = 0; i < s->ntests; i++) {
			if (!sel->skip[i])
				continue;
			would++;
			if (s->tests[i].state == TS_DONE &&
			    status_failed(s->tests[i].status))
				failed++;
		}
		out_line(s, "observe: %zu of %zu tests would have been "
		    "deselected against %s; %zu of them failed", would,
		    s->ntests, ids, failed);
	} else if (sel->n > 0)
		out_line(s, "selection: %zu of %zu tests selected, %zu "
		    "deselected against %s", sel->nselected, s->ntests,
		    sel->nskipped, ids);
	free(ids);
	if (s->store == NULL)
		return;
	w = select_writers(s, &nw, &known);
	b = baseline_new();
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->state == TS_DONE && t->status == ST_DESELECTED) {
			for (j = 0; j < sel->n; j++)
				if (baseline_find(sel->b[j], t->def.id) !=
				    NULL) {
					baseline_keep(b, sel->b[j], t->def.id);
					break;
				}
			continue;
		}
		if (t->state != TS_DONE || (r = select_ran(t)) == NULL)
			continue;
		memset(&o, 0, sizeof o);
		o.id = t->def.id;
		o.def = baseline_def_fingerprint(&t->def);
		o.reads = r->trace.reads;
		o.lists = r->trace.lists;
		o.missing = r->trace.missing;
		o.outputs = outs = select_outputs(s, r, w, nw, known);
		o.noutputs = r->trace.nrewrites;
		o.duration = r->duration;
		o.status = t->status;
		o.incomplete = r->trace.incomplete;
		baseline_observe(b, &o);
		free(outs);
	}
	free(w);
	baseline_ignore(b, sel->ignores);
	baseline_fingerprint(b, s->root, sel->sc);
	baseline_add_globals(b, s->root, s->opt.globals, sel->sc);
	baseline_statcache_save(sel->sc);
	z = baseline_encode(b, &len);
	store_baseline_put(s, sel->project, sel->branch, z, len, id,
	    sizeof id);
	select_cache(z, len);
	if (*id != '\0')
		out_line(s, "baseline: %s (%zu tests, %zu files, %zu bytes)",
		    id, b->ntests, b->npaths, len);
	free(z);
	baseline_free(b);
}

int
select_known(const struct sched *s, const struct test *t)
{
	const struct sched_select *sel = s->select;
	const struct baseline_test *b;
	uint64_t def;
	int j;

	if (sel == NULL || sel->n == 0)
		return (-1);
	def = baseline_def_fingerprint(&t->def);
	for (j = 0; j < sel->n; j++)
		if ((b = baseline_find(sel->b[j], t->def.id)) != NULL &&
		    b->def == def && status_passed(b->status))
			return (1);
	return (0);
}

void
select_free(struct sched *s)
{
	struct sched_select *sel = s->select;
	size_t i;
	int k;

	free(s->root);
	s->root = NULL;
	if (sel == NULL)
		return;
	for (k = 0; k < sel->n; k++) {
		baseline_free(sel->b[k]);
		baseline_changes_free(sel->c[k]);
	}
	for (i = 0; sel->why != NULL && i < s->ntests; i++) {
		strv_free(sel->why[i]);
		strv_free(sel->ignored[i]);
	}
	free(sel->why);
	free(sel->ignored);
	strv_free(sel->ignores);
	free(sel->skip);
	baseline_statcache_free(sel->sc);
	free(sel->project);
	free(sel->branch);
	free(sel);
	s->select = NULL;
}
