/*
 * sched-join.c: the slots of a parallel CI step joining one job. Each
 * asks dagzd's rendezvous with the run key they share: the first to ask
 * schedules the job, listens for the others and publishes where it
 * listens and the job's token; every other slot becomes a node of that
 * job, its dagz-vassal connected to the scheduler. With no dagzd to
 * meet at, each slot runs a share of the suite of its own, the same
 * share whichever slot computes it, so every test runs on one slot.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "baseline.h"
#include "cienv.h"
#include "exitcodes.h"
#include "paths.h"
#include "sched.h"
#include "slurp.h"
#include "store.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Seconds for one call to the rendezvous; at most so many of waiting. */
#define JOIN_CALL_TIMEOUT	5
#define JOIN_WAIT_MIN		60
#define JOIN_SLOTS_MAX		64

static char *join_key;

/* A call to the rendezvous: its reply's object, or NULL with why. */
static json_t *
join_call(const char *path, json_t *body, int *status, char *err,
    size_t errlen)
{
	struct store_reply r;
	char *url, *token, *text, *msg;
	json_t *o = NULL;

	url = store_url();
	token = store_token();
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	*status = 0;
	if (store_call(url, token, "POST", path, "application/json", text,
	    strlen(text), JOIN_CALL_TIMEOUT, &r) == -1 || r.status == 0)
		snprintf(err, errlen, "%s: %s", url, r.err);
	else if (r.status != 200) {
		msg = store_reply_error(&r);
		snprintf(err, errlen, "%s%s: %s", url, path, msg);
		free(msg);
	} else if ((o = json_loads(r.body, 0, NULL)) == NULL)
		snprintf(err, errlen, "%s%s: the reply is not JSON", url, path);
	*status = r.status;
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	free(url);
	free(text);
	store_reply_clear(&r);
	return (o);
}

/*
 * A node of the job the scheduler of key published: dagz-vassal takes
 * this process's place, connected to it. The token goes on a pipe,
 * never in argv or the environment.
 */
static int
join_as_node(struct sched *s, json_t *rdv)
{
	const char *job = json_string_value(json_object_get(rdv, "job"));
	const char *token = json_string_value(json_object_get(rdv, "token"));
	json_t *addrs = json_object_get(rdv, "addresses"), *v;
	char **argv = NULL, *path, node[16], fdarg[16], grace[32];
	size_t i;
	int p[2];

	if (job == NULL || token == NULL || !json_is_array(addrs) ||
	    json_array_size(addrs) == 0) {
		warnx("rendezvous: the scheduler published no address");
		return (DAGZ_EXIT_ERROR);
	}
	if (pipe(p) == -1)
		err(DAGZ_EXIT_ERROR, "pipe");
	if (write(p[1], token, strlen(token)) != (ssize_t)strlen(token) ||
	    write(p[1], "\n", 1) != 1)
		err(DAGZ_EXIT_ERROR, "pipe");
	close(p[1]);
	path = paths_program("dagz-vassal");
	snprintf(node, sizeof node, "%d", s->slot);
	snprintf(fdarg, sizeof fdarg, "%d", p[0]);
	argv = strv_push(argv, "dagz-vassal");
	json_array_foreach(addrs, i, v) {
		if (!json_is_string(v))
			continue;
		argv = strv_push(argv, "--connect");
		argv = strv_push(argv, json_string_value(v));
	}
	argv = strv_push(argv, "--token-fd");
	argv = strv_push(argv, fdarg);
	argv = strv_push(argv, "--job");
	argv = strv_push(argv, job);
	if (s->opt.relay)
		argv = strv_push(argv, "--relay");
	argv = strv_push(argv, "--node");
	argv = strv_push(argv, node);
	snprintf(grace, sizeof grace, "%.3f", s->opt.reconnect_grace);
	argv = strv_push(argv, "--reconnect-grace");
	argv = strv_push(argv, grace);
	if (s->root != NULL) {
		argv = strv_push(argv, "--root");
		argv = strv_push(argv, s->root);
	}
	argv = sched_vassal_argv(s, argv);
	printf("dagz: node %d of %d joins job %s (scheduler: node %lld)\n",
	    s->slot, s->slots, job, (long long)json_integer_value(
	    json_object_get(rdv, "scheduler")));
	fflush(NULL);
	execv(path, argv);
	err(DAGZ_EXIT_ERROR, "cannot execute '%s'", path);
}

/*
 * A slot of a step whose job has ended: a CI retry. It waits for no one
 * (the others may not come) and runs, as a job of one node, what failed
 * on its node in that job; every slot retried does the same for its own.
 */
static void
join_lone(struct sched *s, json_t *o)
{
	const char *of = json_string_value(json_object_get(o, "of"));
	const char *mode = json_string_value(json_object_get(o, "mode"));
	json_t *tests = json_object_get(o, "tests"), *v;
	size_t i;

	s->retry_of = xstrdup(of != NULL ? of : "?");
	if (mode == NULL || strcmp(mode, "all") != 0) {
		json_array_foreach(tests, i, v)
			if (json_is_string(v))
				s->retry_tests = strv_push(s->retry_tests,
				    json_string_value(v));
		/* None failed there: nothing runs, and the job says so. */
		if (s->retry_tests == NULL)
			s->retry_tests = xcalloc(1, sizeof *s->retry_tests);
	}
	printf("dagz: node %d of %d retried alone: job %s has ended; %s\n",
	    s->slot, s->slots, s->retry_of, s->retry_tests == NULL ?
	    "it never finished, so every test runs" : "running what failed "
	    "on this node there");
	fflush(stdout);
	s->slots = 1;
}

/* The tests a retried slot does not run: they did not fail on it. */
void
join_retry(struct sched *s)
{
	char reason[128];
	size_t i;

	if (s->retry_of == NULL || s->retry_tests == NULL)
		return;
	snprintf(reason, sizeof reason, "did not fail on node %d in job %s",
	    s->slot, s->retry_of);
	for (i = 0; i < s->ntests; i++)
		if (!strv_contains(s->retry_tests, s->tests[i].def.id))
			sched_skip_test(s, &s->tests[i], ST_REDUNDANT, reason);
}

/* No dagzd to meet at: a share of our own, with no one to wait for. */
static void
join_static(struct sched *s)
{
	s->partition = s->slots;
	s->part = s->slot;
	s->slots = 1;
	s->slot = 0;
}

/*
 * Which part this run plays: -1 to go on as the scheduler (of a job of
 * one node or of many), else the exit status of a run that was a node
 * of another slot's job.
 */
int
join_begin(struct sched *s)
{
	struct cienv_slot sl;
	json_t *o, *role;
	char err[512];
	double until;
	int rc, status, delay_ms = 100;

	s->slot = 0;
	s->slots = 1;
	/* A bisection's step runs here alone, whatever CI says. */
	if (s->opt.list_only || s->opt.select_only || s->opt.in_order)
		return (-1);
	if ((rc = cienv_slot(&sl, err, sizeof err)) == -1)
		errx(DAGZ_EXIT_USAGE, "%s", err);
	if (rc == 0 || sl.total < 2) {
		if (rc == 1)
			cienv_slot_clear(&sl);
		return (-1);
	}
	if (sl.total > JOIN_SLOTS_MAX)
		errx(DAGZ_EXIT_USAGE, "%s: %d parallel slots; one job spans at "
		    "most %d nodes", sl.provider, sl.total, JOIN_SLOTS_MAX);
	s->slot = sl.index;
	s->slots = sl.total;
	if (s->store == NULL) {
		join_static(s);
		cienv_slot_clear(&sl);
		return (-1);
	}
	o = json_pack("{s:s, s:i, s:i}", "key", sl.key, "node", sl.index,
	    "total", sl.total);
	if ((o = join_call(STORE_API "/rendezvous", o, &status, err,
	    sizeof err)) == NULL) {
		if (status == 0) {
			/* No dagzd to meet at: a share of our own. */
			warnx("rendezvous: %s", err);
			join_static(s);
			cienv_slot_clear(&sl);
			return (-1);
		}
		errx(DAGZ_EXIT_ERROR, "rendezvous: %s", err);
	}
	role = json_object_get(o, "role");
	/* The job's CI key: a new attempt of the step is a rerun of it. */
	s->run_key = xstrdup(sl.job_key);
	if (json_is_string(role) &&
	    strcmp(json_string_value(role), "scheduler") == 0) {
		join_key = xstrdup(sl.key);
		json_decref(o);
		cienv_slot_clear(&sl);
		return (-1);
	}
	if (json_is_string(role) &&
	    strcmp(json_string_value(role), "retry") == 0) {
		join_lone(s, o);
		json_decref(o);
		cienv_slot_clear(&sl);
		return (-1);
	}
	/* A node: wait for the scheduler to say where it listens. */
	until = time_mono() + (s->opt.wait_nodes > JOIN_WAIT_MIN ?
	    s->opt.wait_nodes : JOIN_WAIT_MIN);
	while (!json_is_true(json_object_get(o, "ready"))) {
		json_decref(o);
		if (time_mono() > until)
			errx(DAGZ_EXIT_ERROR, "rendezvous: the scheduler of "
			    "'%s' did not say where it listens", sl.key);
		usleep(delay_ms * 1000);
		if (delay_ms < 1000)
			delay_ms *= 2;
		o = json_pack("{s:s, s:i, s:i}", "key", sl.key, "node",
		    sl.index, "total", sl.total);
		if ((o = join_call(STORE_API "/rendezvous", o, &status, err,
		    sizeof err)) == NULL)
			errx(DAGZ_EXIT_ERROR, "rendezvous: %s", err);
	}
	cienv_slot_clear(&sl);
	rc = join_as_node(s, o);
	json_decref(o);
	return (rc);
}

/*
 * The scheduler of a job of many nodes: listen, and publish where, with
 * the job's token. One that cannot still runs the whole job, alone.
 */
int
join_publish(struct sched *s)
{
	const char *token;
	char **addrs, err[512];
	json_t *o, *a;
	size_t i;
	int status;

	if (s->partition) {
		warnx("store unreachable: running slot %d of %d statically",
		    s->part + 1, s->partition);
		return (0);
	}
	if (join_key == NULL)
		return (0);
	if ((addrs = node_listen(s, &token)) == NULL)
		return (-1);
	a = json_array();
	for (i = 0; addrs[i] != NULL; i++)
		json_array_append_new(a, json_string(addrs[i]));
	strv_free(addrs);
	o = json_pack("{s:s, s:i, s:s, s:o, s:s}", "key", join_key, "node",
	    s->slot, "job", s->job, "addresses", a, "token", token);
	free(join_key);
	join_key = NULL;
	if ((o = join_call(STORE_API "/rendezvous/publish", o, &status, err,
	    sizeof err)) == NULL) {
		warnx("rendezvous: %s; the other nodes cannot join", err);
		return (0);
	}
	json_decref(o);
	node_relay(s);
	return (0);
}

/* The smallest index in i's set, with the path halved on the way. */
static size_t
join_root(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return (i);
}

static void
join_union(size_t *parent, size_t a, size_t b)
{
	a = join_root(parent, a);
	b = join_root(parent, b);
	if (a < b)
		parent[b] = a;
	else
		parent[a] = b;
}

/*
 * Each test's duration for the static share: what the latest baseline
 * it can find recorded (--baseline-file, else the copy in DAGZ_HOME),
 * else its definition's estimate, else -1. Every slot of a step reads
 * the same, or they would not agree on the shares.
 */
static double *
join_durations(struct sched *s)
{
	struct baseline *b = NULL;
	struct baseline_test *bt;
	char *path, *home, *blob, err[256];
	double *d;
	size_t i, len;

	if (s->opt.baseline_file != NULL)
		path = xstrdup(s->opt.baseline_file);
	else {
		home = store_home();
		xasprintf(&path, "%s/%s", home, SELECT_CACHE);
		free(home);
	}
	if ((blob = slurp_file(path, &len)) != NULL &&
	    (b = baseline_decode(blob, len, err, sizeof err)) == NULL)
		warnx("'%s': %s", path, err);
	free(blob);
	free(path);
	d = xcalloc(s->ntests + 1, sizeof *d);
	for (i = 0; i < s->ntests; i++) {
		if (b != NULL && (bt = baseline_find(b, s->tests[i].def.id)) !=
		    NULL && bt->duration >= 0)
			d[i] = bt->duration;
		else
			d[i] = s->tests[i].def.estimate;
	}
	baseline_free(b);
	return (d);
}

/* A set of tests kept together, for the static share. */
struct join_set {
	size_t	 root;
	double	 estimate;
};

static struct sched *join_sched;

/* Longest first; ties by the id of the set's first test. */
static int
join_set_cmp(const void *a, const void *b)
{
	const struct join_set *x = a, *y = b;

	if (x->estimate != y->estimate)
		return (x->estimate < y->estimate ? 1 : -1);
	return (strcmp(join_sched->tests[x->root].def.id,
	    join_sched->tests[y->root].def.id));
}

/*
 * The share by LPT over the definitions' estimates, when any has one:
 * the sets longest first, each to the slot with the least so far. Every
 * slot computes the same. 0 when no test has an estimate.
 */
static int
join_lpt(struct sched *s, size_t *parent, char *keep)
{
	struct join_set *sets;
	double *load, known = 0, est, *d;
	size_t i, n = 0, *at, nknown = 0;
	int k, min;

	d = join_durations(s);
	for (i = 0; i < s->ntests; i++)
		if (d[i] >= 0) {
			known += d[i];
			nknown++;
		}
	if (nknown == 0) {
		free(d);
		return (0);
	}
	sets = xcalloc(s->ntests + 1, sizeof *sets);
	at = xcalloc(s->ntests + 1, sizeof *at);
	for (i = 0; i < s->ntests; i++) {
		if (join_root(parent, i) == i) {
			at[i] = n;
			sets[n++].root = i;
		}
	}
	for (i = 0; i < s->ntests; i++) {
		/* Unknown: the mean of the known ones. */
		est = d[i] >= 0 ? d[i] : known / nknown;
		sets[at[join_root(parent, i)]].estimate += est;
	}
	join_sched = s;
	qsort(sets, n, sizeof *sets, join_set_cmp);
	load = xcalloc(s->partition, sizeof *load);
	for (i = 0; i < n; i++) {
		for (min = 0, k = 1; k < s->partition; k++)
			if (load[k] < load[min])
				min = k;
		load[min] += sets[i].estimate;
		/* at[] now says whether a root's set is ours. */
		at[sets[i].root] = min == s->part;
	}
	for (i = 0; i < s->ntests; i++)
		keep[i] = at[join_root(parent, i)];
	free(load);
	free(at);
	free(sets);
	free(d);
	return (1);
}

/*
 * With no dagzd, this slot's share: tests linked by needs or after stay
 * together; the sets are shared out by LPT over their estimates, or,
 * with none known, each goes to the slot its first test's id hashes to.
 * Every slot computes the same, so every test runs once.
 */
void
join_partition(struct sched *s)
{
	struct test *t;
	size_t *parent, i, j, n, r;
	char *keep;

	if (!s->partition)
		return;
	parent = xcalloc(s->ntests + 1, sizeof *parent);
	for (i = 0; i < s->ntests; i++)
		parent[i] = i;
	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		for (n = 0; n < 2; n++) {
			char **v = n == 0 ? t->def.needs : t->def.after;

			for (j = 0; v != NULL && v[j] != NULL; j++) {
				for (r = 0; r < s->ntests; r++)
					if (strcmp(s->tests[r].def.id,
					    v[j]) == 0)
						break;
				if (r < s->ntests)
					join_union(parent, i, r);
			}
		}
	}
	/* Decided first: the compaction moves what a root's index names. */
	keep = xcalloc(s->ntests + 1, 1);
	if (join_lpt(s, parent, keep) == 0) {
		for (i = 0; i < s->ntests; i++) {
			r = join_root(parent, i);
			keep[i] = baseline_hash(s->tests[r].def.id,
			    strlen(s->tests[r].def.id), 0) % s->partition ==
			    (uint64_t)s->part;
		}
	}
	filter_compact(s, keep);
	free(keep);
	free(parent);
}
