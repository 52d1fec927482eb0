/*
 * sched-plan.c: the plan. Tests are placed longest first on the worker
 * with the least planned time (LPT), which keeps the makespan within 4/3
 * of the best possible. Tests that share a fixture form a group that
 * goes to one worker, so the fixture is set up once, unless the group
 * alone would run longer than a worker's fair share. Tests tagged
 * main-worker go to worker 0. Within each worker's queue a test comes
 * after what it needs and what it runs after (the `after` key), when
 * those are queued there too. The plan is where work starts; stealing
 * corrects it when durations differ from the estimates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ndjson.h"
#include "sched.h"
#include "strv.h"
#include "xmalloc.h"

/* A unit of placement: one test, or a fixture group kept together. */
struct unit {
	size_t	*tests;
	size_t	 ntests;
	double	 estimate;
	int	 main_worker;
	uint64_t nodes;		/* where all of it may run */
	size_t	 first;		/* lowest test index, for stable ties */
};

static size_t *
plan_push(size_t *v, size_t *n, size_t x)
{
	v = xreallocarray(v, *n + 1, sizeof *v);
	v[(*n)++] = x;
	return (v);
}

/*
 * Resolves names into indices (needs, dependents, after, followers,
 * fixtures) and reads the placement tags. Returns -1 if a test names
 * what does not exist.
 */
int
plan_prepare(struct sched *s)
{
	struct test *t, *d;
	size_t i, j, k;

	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		for (j = 0; t->def.needs != NULL && t->def.needs[j] != NULL;
		    j++) {
			if ((d = sched_find(s, t->def.needs[j])) == NULL) {
				sched_fail(s, "test '%s' needs '%s', which is "
				    "not defined", t->def.id, t->def.needs[j]);
				return (-1);
			}
			t->needs = plan_push(t->needs, &t->nneeds, d->index);
			d->dependents = plan_push(d->dependents,
			    &d->ndependents, i);
			if (d->state != TS_DONE || !status_passed(d->status))
				t->unmet++;
		}
		for (j = 0; t->def.after != NULL && t->def.after[j] != NULL;
		    j++) {
			if ((d = sched_find(s, t->def.after[j])) == NULL) {
				sched_fail(s, "test '%s' runs after '%s', which "
				    "is not defined", t->def.id, t->def.after[j]);
				return (-1);
			}
			t->after = plan_push(t->after, &t->nafter, d->index);
			d->followers = plan_push(d->followers,
			    &d->nfollowers, i);
			if (d->state != TS_DONE)
				t->waiting++;
		}
		for (j = 0; t->def.fixtures != NULL &&
		    t->def.fixtures[j] != NULL; j++) {
			for (k = 0; k < s->nfixtures; k++)
				if (strcmp(s->fixtures[k].def.name,
				    t->def.fixtures[j]) == 0)
					break;
			if (k == s->nfixtures) {
				sched_fail(s, "test '%s' uses fixture '%s', "
				    "which is not defined", t->def.id,
				    t->def.fixtures[j]);
				return (-1);
			}
			t->fixtures = plan_push(t->fixtures, &t->nfixtures, k);
		}
		for (j = 0; t->def.tags != NULL && t->def.tags[j] != NULL;
		    j++) {
			if (strcmp(t->def.tags[j], "main-worker") == 0)
				t->main_worker = 1;
			else if (strcmp(t->def.tags[j], "node-mutex") == 0)
				t->node_mutex = 1;
			else if (strncmp(t->def.tags[j], "lock:", 5) == 0 &&
			    t->def.tags[j][5] != '\0')
				t->locks = strv_push(t->locks,
				    t->def.tags[j] + 5);
		}
	}
	return (0);
}

/* Unknown estimates get the median of the known ones, or 1 s. */
static void
plan_estimates(struct sched *s)
{
	double *known, median = 1.0, x;
	size_t n = 0, i, j;

	known = xcalloc(s->ntests, sizeof *known);
	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].def.estimate >= 0)
			known[n++] = s->tests[i].def.estimate;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && known[j - 1] > known[j]; j--) {
			x = known[j];
			known[j] = known[j - 1];
			known[j - 1] = x;
		}
	if (n > 0)
		median = n % 2 ? known[n / 2] :
		    (known[n / 2 - 1] + known[n / 2]) / 2;
	for (i = 0; i < s->ntests; i++)
		s->tests[i].estimate = s->tests[i].def.estimate >= 0 ?
		    s->tests[i].def.estimate : median;
	free(known);
}

static size_t
plan_find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return (i);
}

/* Groups the pending tests that share a fixture (union-find). */
static void
plan_groups(struct sched *s)
{
	size_t *parent, *first, i, j, f;

	parent = xcalloc(s->ntests, sizeof *parent);
	first = xcalloc(s->nfixtures + 1, sizeof *first);
	for (i = 0; i < s->nfixtures; i++)
		first[i] = (size_t)-1;
	for (i = 0; i < s->ntests; i++)
		parent[i] = i;
	for (i = 0; i < s->ntests; i++) {
		if (s->tests[i].state != TS_PENDING)
			continue;
		for (j = 0; j < s->tests[i].nfixtures; j++) {
			f = s->tests[i].fixtures[j];
			/* Every test has the worker's: it groups nothing. */
			if (dispatch_is_worker_fixture(s, f))
				continue;
			if (first[f] == (size_t)-1)
				first[f] = i;
			else
				parent[plan_find(parent, i)] =
				    plan_find(parent, first[f]);
		}
	}
	for (i = 0; i < s->ntests; i++) {
		for (j = 0; j < s->tests[i].nfixtures &&
		    dispatch_is_worker_fixture(s, s->tests[i].fixtures[j]); j++)
			;
		s->tests[i].group = j < s->tests[i].nfixtures ?
		    (int)plan_find(parent, i) : -1;
	}
	free(first);
	free(parent);
}

static int
plan_unit_cmp(const void *a, const void *b)
{
	const struct unit *x = a, *y = b;

	if (x->estimate != y->estimate)
		return (x->estimate < y->estimate ? 1 : -1);
	return (x->first < y->first ? -1 : x->first > y->first);
}

static struct sched *plan_sched;	/* for plan_test_cmp */

static int
plan_test_cmp(const void *a, const void *b)
{
	const struct test *x = &plan_sched->tests[*(const size_t *)a];
	const struct test *y = &plan_sched->tests[*(const size_t *)b];

	if (x->estimate != y->estimate)
		return (x->estimate < y->estimate ? 1 : -1);
	return (x->index < y->index ? -1 : x->index > y->index);
}

static void
plan_add_unit(struct unit **units, size_t *nunits, struct test *t)
{
	struct unit *u;

	*units = xreallocarray(*units, *nunits + 1, sizeof **units);
	u = &(*units)[(*nunits)++];
	memset(u, 0, sizeof *u);
	u->first = t->index;
	u->nodes = ~0ULL;
}

static void
plan_unit_add(struct unit *u, struct test *t)
{
	u->tests = plan_push(u->tests, &u->ntests, t->index);
	u->estimate += t->estimate;
	u->main_worker |= t->main_worker;
	u->nodes &= t->nodes;
}

/* Builds the units: single tests, and fixture groups kept or split. */
static struct unit *
plan_units(struct sched *s, size_t *nunits, double fair)
{
	struct unit *units = NULL;
	struct test *t;
	double *gsum;
	size_t i, *gunit;

	gsum = xcalloc(s->ntests, sizeof *gsum);
	gunit = xcalloc(s->ntests, sizeof *gunit);
	for (i = 0; i < s->ntests; i++)
		if (s->tests[i].state == TS_PENDING &&
		    s->tests[i].group >= 0)
			gsum[s->tests[i].group] += s->tests[i].estimate;
	for (i = 0; i < s->ntests; i++)
		gunit[i] = (size_t)-1;
	*nunits = 0;
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->state != TS_PENDING)
			continue;
		if (t->group >= 0 && gsum[t->group] <= fair) {
			if (gunit[t->group] == (size_t)-1) {
				gunit[t->group] = *nunits;
				plan_add_unit(&units, nunits, t);
			}
			plan_unit_add(&units[gunit[t->group]], t);
			snprintf(t->why, sizeof t->why, "fixture '%s' kept "
			    "with its group (%.1fs)",
			    s->fixtures[t->fixtures[0]].def.name,
			    gsum[t->group]);
			continue;
		}
		plan_add_unit(&units, nunits, t);
		plan_unit_add(&units[*nunits - 1], t);
		if (t->group >= 0)
			snprintf(t->why, sizeof t->why, "fixture '%s' group "
			    "split: %.1fs is more than a worker's share",
			    s->fixtures[t->fixtures[0]].def.name,
			    gsum[t->group]);
	}
	free(gunit);
	free(gsum);
	return (units);
}

static void
plan_place(struct sched *s, struct unit *u, int k, double load)
{
	struct sworker *w = &s->workers[k];
	struct test *t;
	size_t i;

	plan_sched = s;
	qsort(u->tests, u->ntests, sizeof *u->tests, plan_test_cmp);
	for (i = 0; i < u->ntests; i++) {
		t = &s->tests[u->tests[i]];
		t->worker = t->planned_worker = k;
		t->order = w->assigned;
		if (t->main_worker && k == 0)
			snprintf(t->why, sizeof t->why, "main-worker: "
			    "runs on worker #0");
		else if (t->why[0] == '\0')
			snprintf(t->why, sizeof t->why, "longest first: "
			    "worker #%d had the least planned (%.1fs)", k,
			    load);
		TAILQ_INSERT_TAIL(&w->queue, t, qentry);
		t->queued = 1;
		w->queued_estimate += t->estimate;
		w->assigned++;
		s->nqueued++;
	}
	w->planned += u->estimate;
}

/*
 * The length of the longest chain of needs and after that leads to t:
 * 0 for a test that waits for nothing. Memoised in depth (-1: not yet).
 */
static int
plan_depth(struct sched *s, size_t i, int *depth)
{
	struct test *t = &s->tests[i];
	size_t j;
	int d;

	if (depth[i] >= 0)
		return (depth[i]);
	depth[i] = 0;	/* suite_check rejected cycles: never read early */
	for (j = 0; j < t->nneeds; j++)
		if ((d = plan_depth(s, t->needs[j], depth) + 1) > depth[i])
			depth[i] = d;
	for (j = 0; j < t->nafter; j++)
		if ((d = plan_depth(s, t->after[j], depth) + 1) > depth[i])
			depth[i] = d;
	return (depth[i]);
}

/*
 * Orders each worker's queue by depth, keeping the planned order among
 * tests of equal depth, so that nothing is queued before what it waits
 * for; and says in why what a test runs after.
 */
static void
plan_order(struct sched *s)
{
	struct sworker *w;
	struct test *t, **v;
	char more[64];
	int *depth, k, order;
	size_t i, j, n;

	depth = xcalloc(s->ntests + 1, sizeof *depth);
	for (i = 0; i < s->ntests; i++)
		depth[i] = -1;
	v = xcalloc(s->ntests + 1, sizeof *v);
	for (k = 0; k < s->nworkers; k++) {
		w = &s->workers[k];
		n = 0;
		while ((t = TAILQ_FIRST(&w->queue)) != NULL) {
			TAILQ_REMOVE(&w->queue, t, qentry);
			/* Insertion sort: stable, and queues are short. */
			for (j = n; j > 0 && plan_depth(s, v[j - 1]->index,
			    depth) > plan_depth(s, t->index, depth); j--)
				v[j] = v[j - 1];
			v[j] = t;
			n++;
		}
		for (order = w->assigned - (int)n, j = 0; j < n; j++) {
			v[j]->order = order++;
			TAILQ_INSERT_TAIL(&w->queue, v[j], qentry);
		}
	}
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		if (t->nafter == 0 || t->state != TS_PENDING)
			continue;
		if (t->nafter > 1)
			snprintf(more, sizeof more, " and %zu more end",
			    t->nafter - 1);
		else
			snprintf(more, sizeof more, " ends");
		j = strlen(t->why);
		snprintf(t->why + j, sizeof t->why - j, "; runs after '%s'%s",
		    s->tests[t->after[0]].def.id, more);
	}
	free(v);
	free(depth);
}

/* Whether the plan may put unit u on worker k: a node that has it all. */
static int
plan_fits(struct sched *s, struct unit *u, int k)
{
	struct sworker *w = &s->workers[k];

	return (w->state != WS_FAILED &&
	    s->nodes[w->node]->state == NODE_LOADED &&
	    (u->nodes & (1ULL << s->nodes[w->node]->index)) != 0);
}

void
plan_make(struct sched *s)
{
	struct unit *units;
	double total = 0, longest = 0, fair;
	size_t nunits, i;
	int k, min, n = 0;

	plan_estimates(s);
	plan_groups(s);
	for (i = 0; i < s->ntests; i++) {
		if (s->tests[i].state != TS_PENDING)
			continue;
		total += s->tests[i].estimate;
		if (s->tests[i].estimate > longest)
			longest = s->tests[i].estimate;
	}
	for (k = 0; k < s->nworkers; k++)
		if (s->nodes[s->workers[k].node]->state == NODE_LOADED)
			n++;
	/* A group longer than this would hold back the whole job. */
	fair = total / (n > 0 ? n : 1);
	if (fair < longest)
		fair = longest;
	units = plan_units(s, &nunits, fair);
	/* Nothing to plan when every test was deselected. */
	if (nunits > 0)
		qsort(units, nunits, sizeof *units, plan_unit_cmp);
	for (i = 0; i < nunits; i++)
		if (units[i].main_worker && plan_fits(s, &units[i], 0))
			plan_place(s, &units[i], 0, s->workers[0].planned);
		else
			units[i].main_worker = 0;
	for (i = 0; i < nunits; i++) {
		if (units[i].main_worker)
			continue;
		for (min = -1, k = 0; k < s->nworkers; k++)
			if (plan_fits(s, &units[i], k) && (min == -1 ||
			    s->workers[k].planned < s->workers[min].planned))
				min = k;
		/* Its nodes are gone: it ends in dispatch, as a dagz error. */
		if (min == -1)
			continue;
		plan_place(s, &units[i], min, s->workers[min].planned);
	}
	plan_order(s);
	s->planned = 0;
	for (k = 0; k < s->nworkers; k++) {
		s->workers[k].batch = 1;
		if (s->workers[k].planned > s->planned)
			s->planned = s->workers[k].planned;
	}
	s->retry_budget = s->opt.retry_budget > 0 ? s->opt.retry_budget :
	    longest / 2 > 10 ? longest / 2 : 10;
	for (i = 0; i < nunits; i++)
		free(units[i].tests);
	free(units);
	store_plan(s);
}

/* --plan: the plan as NDJSON, a line per test in each worker's order. */
void
plan_print(struct sched *s)
{
	struct test *t;
	json_t *o;
	char *line;
	int k;

	for (k = 0; k < s->nworkers; k++) {
		TAILQ_FOREACH(t, &s->workers[k].queue, qentry) {
			o = json_object();
			json_object_set_new(o, "type", json_string("plan"));
			json_object_set_new(o, "worker", json_integer(k));
			if (s->slots > 1)
				json_object_set_new(o, "node", json_integer(
				    s->nodes[s->workers[k].node]->index));
			json_object_set_new(o, "order", json_integer(t->order));
			json_object_set_new(o, "test", json_string(t->def.id));
			json_object_set_new(o, "estimate",
			    json_real(t->estimate));
			json_object_set_new(o, "why", json_string(t->why));
			line = ndjson_encode(o);
			json_decref(o);
			printf("%s\n", line);
			free(line);
		}
	}
	o = json_object();
	json_object_set_new(o, "type", json_string("plan-summary"));
	json_object_set_new(o, "workers", json_integer(s->nworkers));
	json_object_set_new(o, "tests", json_integer(s->nqueued));
	json_object_set_new(o, "makespan", json_real(s->planned));
	line = ndjson_encode(o);
	json_decref(o);
	printf("%s\n", line);
	free(line);
	fflush(stdout);
}
