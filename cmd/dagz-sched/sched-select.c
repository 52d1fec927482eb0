/*
 * sched-select.c: running only the tests a change can affect. The
 * project root is where the probe records paths from; the baselines of
 * the branch and of main say which tests read which files, and a test
 * runs if either says it may be affected. At the end of the job the
 * baseline is rebuilt from the old one and what this job's tests read,
 * less the paths the config's ignore: patterns (or their defaults) name.
 *
 * Where a language hook recorded cases (coverage: python), a test may
 * run only the cases whose code elements changed: the covered files
 * that changed are fingerprinted once a job with the hook's own
 * fingerprinter, each baseline picks nothing, some cases or the whole
 * test, and the two picks are joined (whole if either says so, else
 * the union of cases).
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
#include "elements.h"
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
	char		      ***cases;		/* per test: only these, or NULL */
	size_t			 nselected;
	size_t			 nskipped;
	size_t			 nsubsets;	/* tests that run some cases */
	size_t			 ncases_run;	/* of their cases: picked */
	size_t			 ncases_all;	/* recorded */
	struct elements_proc	*fp;		/* fingerprinter, started early */
};

static int	 select_cmp_str(const void *, const void *);
static const char *select_python(const struct sched *);

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

/*
 * Where a test records cases (coverage: python), starts the hook's
 * fingerprinter now, so that its interpreter starts while the baselines
 * are fetched and read; select_elements tells it the changed files.
 */
static void
select_fingerprinter(struct sched *s)
{
	char *script;
	size_t i;

	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].def.coverage != NULL)
			break;
	if (i == s->ntests)
		return;
	script = elements_hook("python", "dagz_elements.py");
	s->select->fp = elements_start(select_python(s), script, s->root);
	free(script);
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
	select_fingerprinter(s);
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
		for (k = 0; s->opt.select_trace && sel->cases[i] != NULL &&
		    sel->cases[i][k] != NULL; k++)
			printf("       case %s\n", sel->cases[i][k]);
		for (k = 0; s->opt.select_trace && sel->ignored[i] != NULL &&
		    sel->ignored[i][k] != NULL; k++)
			printf("       %s\n", sel->ignored[i][k]);
	}
	printf("%zu of %zu selected%s%s\n", sel->nselected, s->ntests,
	    sel->n > 0 ? " against " : "", ids);
	if (sel->nsubsets > 0)
		printf("%zu of %zu cases of %zu test%s selected\n",
		    sel->ncases_run, sel->ncases_all, sel->nsubsets,
		    sel->nsubsets == 1 ? "" : "s");
	free(ids);
	fflush(stdout);
}

/*
 * The interpreter of the pytest adapter (--python, the config's
 * python:), which fingerprints code elements as the hook did.
 */
static const char *
select_python(const struct sched *s)
{
	size_t i;

	for (i = 0; i < s->opt.adapters.n; i++)
		if (strcmp(s->opt.adapters.v[i].name, "pytest") == 0 &&
		    s->opt.adapters.v[i].python != NULL)
			return (s->opt.adapters.v[i].python);
	return ("python3");
}

/*
 * Fingerprints the code elements of the covered files that changed,
 * those of every baseline at once, in one run of the hook's
 * fingerprinter (started with the selection, or now if it was not); a
 * file it cannot answer for is unknown, and the tests that covered it
 * run whole.
 */
static void
select_elements(struct sched *s)
{
	struct sched_select *sel = s->select;
	struct elements_now *now = elements_new();
	char **files = NULL, **v, *script;
	size_t k;
	int j;

	for (j = 0; j < sel->n; j++) {
		v = baseline_changed_covered(sel->b[j], sel->c[j]);
		for (k = 0; v != NULL && v[k] != NULL; k++)
			if (!strv_contains(files, v[k]))
				files = strv_push(files, v[k]);
		strv_free(v);
	}
	if (files != NULL && sel->fp == NULL) {
		script = elements_hook("python", "dagz_elements.py");
		sel->fp = elements_start(select_python(s), script, s->root);
		free(script);
	}
	elements_finish(sel->fp, now, files);
	sel->fp = NULL;
	for (j = 0; j < sel->n; j++)
		baseline_changes_elements(sel->c[j], sel->b[j], now);
	strv_free(files);
	elements_free(now);
}

/*
 * What of test i runs, by every baseline: whole if one says so (with
 * its reasons), else the union of the cases they pick, with theirs;
 * nothing only if all say nothing. A test that cannot run a subset of
 * its cases (no hook in its definition) runs whole for them.
 */
static void
select_pick(struct sched *s, size_t i, uint64_t def)
{
	struct sched_select *sel = s->select;
	struct test *t = &s->tests[i];
	struct baseline_pick p;
	char **all;

	switch (baseline_select_cases_all(sel->b, sel->c, sel->n, t->def.id,
	    def, &p)) {
	case BASELINE_PICK_WHOLE:
		sel->why[i] = p.why;
		p.why = NULL;
		break;
	case BASELINE_PICK_CASES:
		sel->why[i] = p.why;
		p.why = NULL;
		all = baseline_recorded_cases(sel->b, sel->n, t->def.id);
		if (!t->def.subset || p.ncases >= strv_len(all)) {
			if (!t->def.subset)
				sel->why[i] = strv_push(sel->why[i], "cannot "
				    "run a subset of its cases: whole test");
			strv_free(all);
			break;
		}
		sel->cases[i] = p.cases;
		p.cases = NULL;
		sel->nsubsets++;
		sel->ncases_run += p.ncases;
		sel->ncases_all += strv_len(all);
		strv_free(all);
		break;
	default:
		break;
	}
	baseline_pick_clear(&p);
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
	sel->cases = xcalloc(s->ntests + 1, sizeof *sel->cases);
	select_elements(s);
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		def = baseline_def_fingerprint(&t->def);
		if (sel->n == 0)
			sel->why[i] = strv_push(NULL, s->opt.select_all ?
			    "--all" : "no baseline");
		else
			select_pick(s, i, def);
		for (j = 0; j < sel->n; j++) {
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
	for (i = 0; i < s->ntests; i++) {
		if (sel->skip[i]) {
			sched_skip_test(s, &s->tests[i], ST_DESELECTED,
			    reason);
			sel->nskipped++;
		} else if (sel->cases[i] != NULL)
			s->tests[i].cases = strv_copy(sel->cases[i]);
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

/*
 * The name under which test t reports its recorded case name: the JUnit
 * name of a node id for the pytest hook's cases, else itself.
 */
static char *
select_case_name(const struct test *t, const char *name)
{
	return (t->def.coverage != NULL ? cases_nodeid_name(name) :
	    xstrdup(name));
}

/* Whether r reports a case of that name that ran. */
static int
select_case_ran(const struct msg_result *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->cases.n; i++)
		if (r->cases.v[i].status != CASE_DESELECTED &&
		    strcmp(r->cases.v[i].name, name) == 0)
			return (1);
	return (0);
}

void
select_subset_result(const struct sched *s, const struct test *t,
    struct msg_result *r)
{
	char **all, *name;
	size_t k, n, ran = 0;

	if (s->select == NULL || t->cases == NULL)
		return;
	/*
	 * A case the filter did not match (bats --filter runs nothing for
	 * a name it cannot match) did not pass: the whole test runs.
	 */
	for (n = 0; t->cases[n] != NULL; n++) {
		name = select_case_name(t, t->cases[n]);
		ran += select_case_ran(r, name);
		free(name);
	}
	if (ran < n && status_passed(r->status)) {
		r->status = ST_FAILED;
		free(r->reason);
		xasprintf(&r->reason, SELECT_SUBSET_SHORT ": ran %zu of %zu",
		    ran, n);
	}
	all = baseline_recorded_cases(s->select->b, s->select->n, t->def.id);
	for (k = 0; all != NULL && all[k] != NULL; k++) {
		if (strv_contains(t->cases, all[k]))
			continue;
		name = select_case_name(t, all[k]);
		cases_add(&r->cases, name, CASE_DESELECTED, -1, NULL, NULL);
		free(name);
	}
	if (all != NULL)
		r->cases.present = 1;
	strv_free(all);
}

/* The last attempt that ran, with a trace, or NULL; *k its index. */
static const struct msg_result *
select_ran(const struct test *t, int *k)
{
	int j;

	for (j = t->nattempts - 1; j >= 0; j--)
		if (t->attempts[j].r.trace.present) {
			if (k != NULL)
				*k = j;
			return (&t->attempts[j].r);
		}
	return (NULL);
}

static int
select_cmp_case(const void *a, const void *b)
{
	return (strcmp(((const struct test_case *)a)->name,
	    ((const struct test_case *)b)->name));
}

/* The status of a case as a test's status, for its baseline. */
static enum test_status
select_case_status(enum case_status st)
{
	switch (st) {
	case CASE_FAILED:
		return (ST_FAILED);
	case CASE_SKIPPED:
		return (ST_SKIPPED);
	default:
		return (ST_OK);
	}
}

/*
 * The cases r reported (TAP), for the baseline of a test that can run a
 * subset of them without a hook: names and statuses, no elements; *n
 * of them. The DESELECTED spans of a subset run are not its cases. A
 * report that was bad (a plan the cases disagree with) may lack some:
 * none, and the test is selected by its files, whole.
 */
static struct baseline_obs_case *
select_tap_cases(const struct msg_result *r, size_t *n)
{
	struct baseline_obs_case *v;
	size_t i;

	*n = 0;
	if (r->cases.n == 0 || r->cases.error != NULL)
		return (NULL);
	v = xcalloc(r->cases.n + 1, sizeof *v);
	for (i = 0; i < r->cases.n; i++) {
		if (r->cases.v[i].status == CASE_DESELECTED)
			continue;
		v[*n].name = r->cases.v[i].name;
		v[(*n)++].status = select_case_status(r->cases.v[i].status);
	}
	return (v);
}

/*
 * The cases of r as a hook recorded them, for its baseline (*n of them,
 * elements in *elems, both to free; the known elements of its files
 * that hold cases at *known, *nknown of them, in *elems too): each
 * case's status from the JUnit case of its name, else (not reported)
 * the test's own if it did not pass. NULL when there is no record, or an
 * incomplete one (*bad).
 */
static struct baseline_obs_case *
select_obs_cases(const struct test *t, const struct msg_result *r,
    size_t *n, struct baseline_obs_element **elems,
    const struct baseline_obs_element **known, size_t *nknown, int *bad)
{
	const struct msg_elements *m = &r->elements;
	struct baseline_obs_case *v;
	struct baseline_obs_element *e;
	struct test_case *sorted = NULL, key, *c;
	size_t i, k, ne = 0, nj = r->cases.n;

	*n = 0;
	*elems = NULL;
	*known = NULL;
	*nknown = 0;
	*bad = 0;
	if (!m->present)
		return (t->def.subset && t->def.coverage == NULL ?
		    select_tap_cases(r, n) : NULL);
	if (m->error != NULL) {
		*bad = 1;
		return (NULL);
	}
	if (nj > 0) {
		sorted = xcalloc(nj, sizeof *sorted);
		memcpy(sorted, r->cases.v, nj * sizeof *sorted);
		qsort(sorted, nj, sizeof *sorted, select_cmp_case);
	}
	for (i = 0; i < m->n; i++)
		ne += m->v[i].nelems;
	*elems = e = xcalloc(ne + m->known.nelems + 1, sizeof *e);
	*known = *elems + ne;
	*nknown = m->known.nelems;
	for (k = 0; k < m->known.nelems; k++) {
		e[ne + k].name = m->known.elems[k];
		e[ne + k].fp = m->known.fps[k];
	}
	v = xcalloc(m->n + 1, sizeof *v);
	for (i = 0; i < m->n; i++) {
		v[i].name = m->v[i].name;
		v[i].elems = e;
		v[i].nelems = m->v[i].nelems;
		v[i].files = m->v[i].files;
		for (k = 0; k < m->v[i].nelems; k++, e++) {
			e->name = m->v[i].elems[k];
			e->fp = m->v[i].fps[k];
		}
		if (v[i].name == NULL)
			continue;
		v[i].status = status_passed(t->status) ? ST_OK : t->status;
		key.name = cases_nodeid_name(v[i].name);
		if (nj > 0 && (c = bsearch(&key, sorted, nj, sizeof *sorted,
		    select_cmp_case)) != NULL)
			v[i].status = select_case_status(c->status);
		free(key.name);
	}
	free(sorted);
	*n = m->n;
	return (v);
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
		    (r = select_ran(&s->tests[i], NULL)) == NULL)
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
 * With --observe, the cases of tests that would have run a subset that
 * would not have run (*would), and of them those that failed in the
 * test's last attempt (*failed).
 */
static void
select_observe_cases(struct sched *s, size_t *would, size_t *failed)
{
	struct sched_select *sel = s->select;
	const struct case_list *l;
	const struct test *t;
	char **all, **picked, *name;
	size_t i, k, c;

	for (i = 0; i < s->ntests; i++) {
		if (sel->cases[i] == NULL)
			continue;
		t = &s->tests[i];
		all = baseline_recorded_cases(sel->b, sel->n, t->def.id);
		picked = NULL;
		for (k = 0; sel->cases[i][k] != NULL; k++) {
			name = select_case_name(t, sel->cases[i][k]);
			picked = strv_push(picked, name);
			free(name);
		}
		*would += strv_len(all) - strv_len(sel->cases[i]);
		l = t->nattempts > 0 ?
		    &t->attempts[t->nattempts - 1].r.cases : NULL;
		for (c = 0; l != NULL && c < l->n; c++)
			if (l->v[c].status == CASE_FAILED &&
			    !strv_contains(picked, l->v[c].name))
				(*failed)++;
		strv_free(picked);
		strv_free(all);
	}
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
	struct baseline_obs_case *oc;
	struct baseline_obs_element *oe;
	const struct msg_result *r;
	struct test *t;
	unsigned char *z;
	char id[32], *ids, **w;
	size_t i, len, nw, failed = 0, would = 0, cfailed = 0, cwould = 0;
	int j, known, k, bad;

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
		if (sel->nsubsets > 0) {
			select_observe_cases(s, &cwould, &cfailed);
			out_line(s, "observe: %zu of %zu cases of %zu test%s "
			    "would have been deselected; %zu of them failed",
			    cwould, sel->ncases_all, sel->nsubsets,
			    sel->nsubsets == 1 ? "" : "s", cfailed);
		}
	} else if (sel->n > 0) {
		out_line(s, "selection: %zu of %zu tests selected, %zu "
		    "deselected against %s", sel->nselected, s->ntests,
		    sel->nskipped, ids);
		if (sel->nsubsets > 0)
			out_line(s, "selection: %zu of %zu cases of %zu test%s "
			    "run, the others deselected", sel->ncases_run,
			    sel->ncases_all, sel->nsubsets,
			    sel->nsubsets == 1 ? "" : "s");
	}
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
		if (t->state != TS_DONE || (r = select_ran(t, &k)) == NULL)
			continue;
		memset(&o, 0, sizeof o);
		/* A subset updates what was known of the test's other cases. */
		if (t->attempts[k].subset) {
			o.subset = 1;
			for (j = 0; j < sel->n; j++)
				if (baseline_find(sel->b[j], t->def.id) !=
				    NULL) {
					baseline_keep(b, sel->b[j], t->def.id);
					break;
				}
		}
		oc = select_obs_cases(t, r, &o.ncases, &oe, &o.known,
		    &o.nknown, &bad);
		o.cases = oc;
		o.id = t->def.id;
		o.def = baseline_def_fingerprint(&t->def);
		o.reads = r->trace.reads;
		o.lists = r->trace.lists;
		o.missing = r->trace.missing;
		o.outputs = outs = select_outputs(s, r, w, nw, known);
		o.noutputs = r->trace.nrewrites;
		o.duration = r->duration;
		o.status = t->status;
		o.incomplete = r->trace.incomplete || bad;
		baseline_observe(b, &o);
		free(outs);
		free(oc);
		free(oe);
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
	/* Not asked (a bad --baseline): ended unasked, and reaped. */
	elements_finish(sel->fp, NULL, NULL);
	for (k = 0; k < sel->n; k++) {
		baseline_free(sel->b[k]);
		baseline_changes_free(sel->c[k]);
	}
	for (i = 0; sel->why != NULL && i < s->ntests; i++) {
		strv_free(sel->why[i]);
		strv_free(sel->ignored[i]);
		strv_free(sel->cases[i]);
	}
	free(sel->cases);
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
