/*
 * sched-pollution.c: naming the test that polluted another. Each worker
 * keeps the attempts that ran there, in order. A test that failed on a
 * worker after other tests ran there, and then passed on another worker
 * (its deferred retry, fixtures set up anew), is order-dependent: what
 * those tests left behind made it fail. Its candidates are the tests
 * that ran there before its first failure and whose traced writes (paths
 * made, changed or removed) overlap what that failing attempt read,
 * looked for or listed, as the probe traced them; most overlapping paths
 * first, then the most recent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sched.h"
#include "strv.h"
#include "xmalloc.h"

#define POLLUTION_CANDIDATES	5	/* named, at most */
#define POLLUTION_PATHS		20	/* of a candidate, on the record */
#define POLLUTION_SHOWN		3	/* of a candidate, in the reason */
#define POLLUTION_KEEP		1000	/* of a candidate, to rank it by */

/* An earlier test whose writes the failing attempt read. */
struct candidate {
	size_t		 test;
	size_t		 last;		/* its latest place in the history */
	char	       **paths;		/* what it wrote that was read */
	size_t		 npaths;
	char	       **removed;	/* of them, what it removed */
};

/* Room for one more in an array of n grown by doubling from 16. */
static void *
pollution_grow(void *v, size_t n, size_t size)
{
	if (n < 16 || (n & (n - 1)) == 0)
		v = xreallocarray(v, n < 16 ? 16 : 2 * n, size);
	return (v);
}

/* Called as t's result comes from w, before the attempt is added. */
void
pollution_ran(struct sworker *w, struct test *t)
{
	w->ran = pollution_grow(w->ran, w->nran, sizeof *w->ran);
	w->ran[w->nran].test = t->index;
	w->ran[w->nran].attempt = t->nattempts;
	w->nran++;
}

void
pollution_free(struct sched *s)
{
	int k;

	for (k = 0; k < s->nworkers; k++) {
		free(s->workers[k].ran);
		s->workers[k].ran = NULL;
		s->workers[k].nran = 0;
	}
}

static int
pollution_cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The paths of the lists given, sorted, in one array (borrowed). */
static char **
pollution_sorted(char **a, char **b, size_t *n)
{
	char **v;
	size_t i, na = strv_len(a), nb = strv_len(b);

	v = xcalloc(na + nb + 1, sizeof *v);
	for (i = 0; i < na; i++)
		v[i] = a[i];
	for (i = 0; i < nb; i++)
		v[na + i] = b[i];
	*n = na + nb;
	if (*n > 0)
		qsort(v, *n, sizeof *v, pollution_cmp_str);
	return (v);
}

/* The length of path p without a trailing slash. */
static size_t
pollution_len(const char *p)
{
	size_t n = strlen(p);

	return (n > 1 && p[n - 1] == '/' ? n - 1 : n);
}

/* Index of the first path in sorted v not below prefix[0..n). */
static size_t
pollution_lower(char *const *v, size_t nv, const char *prefix, size_t n)
{
	size_t lo = 0, hi = nv, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strncmp(v[mid], prefix, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Adds path to c's, once, up to POLLUTION_KEEP of them. */
static void
pollution_add(struct candidate *c, const char *path, int removed)
{
	if (c->npaths == POLLUTION_KEEP || strv_contains(c->paths, path))
		return;
	c->paths = strv_push(c->paths, path);
	c->npaths++;
	if (removed)
		c->removed = strv_push(c->removed, path);
}

/*
 * Adds to c the paths of sorted v that are w or below it: a path made
 * (a directory, the top-most of what a test made) or removed covers all
 * it held. The root itself covers nothing: every test is in it.
 */
static void
pollution_within(struct candidate *c, char *const *v, size_t nv,
    const char *w, int removed)
{
	size_t i, n = pollution_len(w), k;

	if (n == 0 || strcmp(w, ".") == 0)
		return;
	for (i = pollution_lower(v, nv, w, n); i < nv &&
	    strncmp(v[i], w, n) == 0; i++) {
		k = pollution_len(v[i]);
		if (k == n || v[i][n] == '/')
			pollution_add(c, v[i], removed);
	}
}

/* Whether sorted v holds directory d, path[0..n). */
static int
pollution_has(char *const *v, size_t nv, const char *d, size_t n)
{
	size_t i;

	for (i = pollution_lower(v, nv, d, n); i < nv &&
	    strncmp(v[i], d, n) == 0; i++)
		if (pollution_len(v[i]) == n)
			return (1);
	return (0);
}

/*
 * What candidate c, whose trace is cw, wrote that the failing attempt's
 * inputs (sorted: files read and paths looked for; directories listed)
 * show. A path it made and removed again left nothing behind.
 */
static void
pollution_match(struct candidate *c, const struct msg_trace *cw,
    char *const *in, size_t nin, char *const *lists, size_t nlists)
{
	const char *w, *slash;
	size_t i;
	int removed;

	for (i = 0; cw->writes != NULL && cw->writes[i] != NULL; i++) {
		w = cw->writes[i];
		removed = strv_contains(cw->removed, w);
		if (removed && strv_contains(cw->missing, w))
			continue;
		pollution_within(c, in, nin, w, removed);
		pollution_within(c, lists, nlists, w, removed);
		/* A listing sees what is added to or removed from it. */
		slash = strrchr(w, '/');
		if (slash == NULL ? pollution_has(lists, nlists, ".", 1) :
		    pollution_has(lists, nlists, w, slash - w))
			pollution_add(c, w, removed);
	}
}

static int
pollution_cmp(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->npaths != y->npaths)
		return (x->npaths > y->npaths ? -1 : 1);
	return (x->last > y->last ? -1 : x->last < y->last);
}

/* Appends "wrote x, y, z and 2 more": how, then the first few of v. */
static void
pollution_paths_text(char **buf, const char *how, char **v)
{
	char *old;
	size_t i, shown = 0, total = 0;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		total++;
		if (shown == POLLUTION_SHOWN)
			continue;
		old = *buf;
		xasprintf(buf, "%s%s%s%s", old, shown == 0 ? how : ", ",
		    shown == 0 ? " " : "", v[i]);
		free(old);
		shown++;
	}
	if (total > shown) {
		old = *buf;
		xasprintf(buf, "%s and %zu more", old, total - shown);
		free(old);
	}
}

/* The candidates as the reason says them, and as the record has them. */
static char *
pollution_text(struct sched *s, struct candidate *c, size_t n, json_t *a)
{
	char *text, *old, **wrote;
	json_t *o, *paths;
	size_t i, k, nw;

	if (n == 0)
		return (xstrdup("order-dependent; no candidate found in the "
		    "traces"));
	text = xstrdup("order-dependent; candidates: ");
	for (i = 0; i < n; i++) {
		old = text;
		xasprintf(&text, "%s%s%s (", old, i > 0 ? ", " : "",
		    s->tests[c[i].test].def.id);
		free(old);
		wrote = NULL;
		for (k = 0; c[i].paths[k] != NULL; k++)
			if (!strv_contains(c[i].removed, c[i].paths[k]))
				wrote = strv_push(wrote, c[i].paths[k]);
		nw = strv_len(wrote);
		pollution_paths_text(&text, "wrote", wrote);
		if (nw > 0 && c[i].removed != NULL) {
			old = text;
			xasprintf(&text, "%s; ", old);
			free(old);
		}
		pollution_paths_text(&text, "removed", c[i].removed);
		old = text;
		xasprintf(&text, "%s)", old);
		free(old);

		paths = json_array();
		for (k = 0; c[i].paths[k] != NULL && k < POLLUTION_PATHS; k++)
			json_array_append_new(paths,
			    json_string(c[i].paths[k]));
		o = json_pack("{s:s,s:o,s:s}", "test",
		    s->tests[c[i].test].def.id, "paths", paths, "how",
		    nw == 0 ? "removed" : c[i].removed == NULL ? "wrote" :
		    "wrote, removed");
		if (nw > 0 && c[i].removed != NULL) {
			paths = json_array();
			for (k = 0; c[i].removed[k] != NULL &&
			    k < POLLUTION_PATHS; k++)
				json_array_append_new(paths,
				    json_string(c[i].removed[k]));
			json_object_set_new(o, "removed", paths);
		}
		json_array_append_new(a, o);
		strv_free(wrote);
	}
	return (text);
}

/*
 * The candidates among the n attempts of worker w's history before its
 * failing attempt f of t: one per earlier test with an overlap, ranked.
 */
static size_t
pollution_candidates(struct sched *s, struct test *t,
    const struct msg_trace *f, const struct ran *ran, size_t n,
    struct candidate **out)
{
	struct candidate *c = NULL, *cur;
	struct test *u;
	char **in, **lists;
	size_t nc = 0, nin, nlists, i, k;

	*out = NULL;
	if (!f->present)
		return (0);
	in = pollution_sorted(f->reads, f->missing, &nin);
	lists = pollution_sorted(f->lists, NULL, &nlists);
	for (i = 0; i < n; i++) {
		u = &s->tests[ran[i].test];
		if (u == t || ran[i].attempt >= u->nattempts ||
		    !u->attempts[ran[i].attempt].r.trace.present)
			continue;
		for (k = 0; k < nc && c[k].test != u->index; k++)
			;
		if (k == nc) {
			c = xreallocarray(c, nc + 1, sizeof *c);
			memset(&c[nc], 0, sizeof *c);
			c[nc++].test = u->index;
		}
		cur = &c[k];
		cur->last = i;
		pollution_match(cur, &u->attempts[ran[i].attempt].r.trace, in,
		    nin, lists, nlists);
	}
	free(in);
	free(lists);
	/* Those with nothing in common go. */
	for (i = k = 0; i < nc; i++) {
		if (c[i].paths == NULL)
			continue;
		c[k++] = c[i];
	}
	nc = k;
	if (nc > 0)
		qsort(c, nc, sizeof *c, pollution_cmp);
	*out = c;
	return (nc);
}

/*
 * Whether t, ending OK_FLAKY with attempt a, is order-dependent: its
 * first failed attempt ran on a worker after other tests, and a passed on
 * another. Then a's reason says so, with the candidates, and its record
 * has "pollution": {"worker", "attempt", "candidates": [{"test",
 * "paths", "how"}]}.
 */
void
pollution_record(struct sched *s, struct test *t, struct attempt *a)
{
	struct sworker *w;
	struct candidate *c;
	const struct msg_result *f = NULL;
	json_t *cands;
	char *text, *reason;
	size_t pos, n, nc, i, others = 0;
	int k;

	if (a->r.status != ST_OK_FLAKY || t->state != TS_DONE)
		return;
	for (k = 0; k < t->nattempts - 1; k++)
		if (!status_passed(t->attempts[k].r.status)) {
			f = &t->attempts[k].r;
			break;
		}
	if (f == NULL || f->worker < 0 || f->worker >= s->nworkers ||
	    f->worker == a->r.worker)
		return;
	w = &s->workers[f->worker];
	for (pos = 0; pos < w->nran; pos++) {
		if (w->ran[pos].test == t->index && w->ran[pos].attempt == k)
			break;
		if (w->ran[pos].test != t->index)
			others++;
	}
	if (pos == w->nran || others == 0)
		return;
	nc = pollution_candidates(s, t, &f->trace, w->ran, pos, &c);
	n = nc > POLLUTION_CANDIDATES ? POLLUTION_CANDIDATES : nc;
	cands = json_array();
	text = pollution_text(s, c, n, cands);
	json_object_set_new(a->rec, "pollution", json_pack("{s:i,s:i,s:o}",
	    "worker", f->worker, "attempt", f->attempt, "candidates", cands));
	if (a->r.reason != NULL) {
		xasprintf(&reason, "%s; %s", text, a->r.reason);
		free(text);
	} else
		reason = text;
	free(a->r.reason);
	a->r.reason = reason;
	json_object_set_new(a->rec, "reason", json_string(reason));
	for (i = 0; i < nc; i++) {
		strv_free(c[i].paths);
		strv_free(c[i].removed);
	}
	free(c);
}
