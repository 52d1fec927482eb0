/*
 * dagz-baseline: baselines on the command line, NDJSON in and out, for
 * scripts and for looking at what dagz stored: build one from
 * observations, merge observations into one, show one, and select tests
 * against some. See dagz-baseline(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "baseline.h"
#include "elements.h"
#include "exitcodes.h"
#include "ignore.h"
#include "jsonflat.h"
#include "jsonv.h"
#include "slurp.h"
#include "status.h"
#include "strv.h"
#include "testdef.h"
#include "xmalloc.h"

#define LINE_MAX_BYTES	(64 * 1024 * 1024)

struct opts {
	const char	 *root;
	const char	 *out;
	const char	 *cache;	/* stat cache file, or NULL */
	const char	 *python;	/* -p: select cases, with it */
	char		**globals;
	char		**ignores;	/* -i, else ignore_defaults */
	int		  no_defaults;	/* -I */
	int		  trace;
	int		  times;	/* -t: say how long each step took */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: dagz-baseline build [-I] [-c cache] [-g glob] "
	    "[-i pattern] [-o file]\n"
	    "                           [-r root]\n"
	    "       dagz-baseline merge [-I] [-c cache] [-g glob] "
	    "[-i pattern] [-o file]\n"
	    "                           [-r root] old\n"
	    "       dagz-baseline show file\n"
	    "       dagz-baseline select [-I] [-c cache] [-g glob] "
	    "[-i pattern] [-p python]\n"
	    "                            [-r root] [-t] file ...\n");
	exit(DAGZ_EXIT_USAGE);
}

/* The ignore patterns in force: -i's, else (without -I) the defaults. */
static char *const *
ignores(const struct opts *o)
{
	if (o->ignores != NULL || o->no_defaults)
		return (o->ignores);
	return (ignore_defaults);
}

/*
 * Reads the baseline in path; given a root and a cache, its files are
 * fingerprinted meanwhile, for baseline_changes.
 */
static struct baseline *
load_at(const char *path, const char *root, struct baseline_statcache *sc)
{
	struct baseline *b;
	char *buf, errbuf[256];
	size_t len;

	if ((buf = slurp_file(path, &len)) == NULL)
		err(DAGZ_EXIT_USAGE, "cannot open '%s'", path);
	if ((b = baseline_load(buf, len, root, sc, errbuf, sizeof errbuf)) ==
	    NULL)
		errx(DAGZ_EXIT_USAGE, "cannot read baseline '%s': %s", path,
		    errbuf);
	free(buf);
	return (b);
}

static struct baseline *
load(const char *path)
{
	return (load_at(path, NULL, NULL));
}

/* Reads stdin's NDJSON lines, calling fn on each object. */
static void
each_line(void (*fn)(json_t *, size_t, void *), void *arg)
{
	json_error_t je;
	json_t *o;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		if (n > LINE_MAX_BYTES)
			errx(DAGZ_EXIT_USAGE, "stdin: line %zu: too long",
			    lineno);
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		if ((o = json_loadb(line, n, 0, &je)) == NULL ||
		    !json_is_object(o))
			errx(DAGZ_EXIT_USAGE, "stdin: line %zu: %s", lineno,
			    o == NULL ? je.text : "not an object");
		fn(o, lineno, arg);
		json_decref(o);
	}
	free(line);
}

#define DEF_NOT_HEX	"\"def\" must be hexadecimal"

/* A "def" given as hexadecimal; -1 if it is not. */
static int
def_hex(const char *s, uint64_t *h)
{
	char *end;

	*h = strtoull(s, &end, 16);
	return (*s == '\0' || *end != '\0' ? -1 : 0);
}

/* What "def" says, or else the fingerprint of a manifest line, or 0. */
static int
def_get(json_t *o, uint64_t *h, char *err, size_t errlen)
{
	struct test_def d;
	const char *s;

	*h = 0;
	if ((s = json_string_value(json_object_get(o, "def"))) != NULL) {
		if (def_hex(s, h) == -1) {
			snprintf(err, errlen, DEF_NOT_HEX);
			return (-1);
		}
		return (0);
	}
	if (json_object_get(o, "id") == NULL)
		return (0);
	if (testdef_from_json(o, &d, err, errlen) == -1)
		return (-1);
	*h = baseline_def_fingerprint(&d);
	testdef_clear(&d);
	return (0);
}

static const char *
id_get(json_t *o)
{
	const char *id;

	if ((id = json_string_value(json_object_get(o, "test"))) == NULL)
		id = json_string_value(json_object_get(o, "id"));
	return (id);
}

/* "def": 16 hex digits, else the fingerprint of a manifest line. */
static uint64_t
def_of(json_t *o, size_t lineno)
{
	char errbuf[256];
	uint64_t h;

	if (def_get(o, &h, errbuf, sizeof errbuf) == -1)
		errx(DAGZ_EXIT_USAGE, "stdin: line %zu: %s", lineno, errbuf);
	return (h);
}

static const char *
id_of(json_t *o, size_t lineno)
{
	const char *id;

	if ((id = id_get(o)) == NULL)
		errx(DAGZ_EXIT_USAGE, "stdin: line %zu: no \"test\"", lineno);
	return (id);
}

/*
 * The cases of observation o as a hook recorded them, NULL if it has
 * none: [{"case": NAME or null, "status": S, "elements": [[E, FP], ...],
 * "files": [...]}]. Names point into o; *elems and the cases are freed
 * with cases_free.
 */
static struct baseline_obs_case *
cases_of(json_t *o, size_t lineno, size_t *n,
    struct baseline_obs_element **elems)
{
	struct baseline_obs_case *v;
	struct baseline_obs_element *e;
	json_t *a = json_object_get(o, "cases"), *c, *ev, *x, *name;
	const char *st;
	char errbuf[256];
	size_t i, k, ne = 0;

	*n = 0;
	*elems = NULL;
	if (a == NULL || json_is_null(a))
		return (NULL);
	if (!json_is_array(a))
		errx(DAGZ_EXIT_USAGE, "stdin: line %zu: \"cases\" must be an "
		    "array", lineno);
	json_array_foreach(a, i, c) {
		ev = json_object_get(c, "elements");
		if (!json_is_object(c) || (ev != NULL && !json_is_array(ev)))
			errx(DAGZ_EXIT_USAGE, "stdin: line %zu: case %zu: "
			    "must be an object with an array \"elements\"",
			    lineno, i + 1);
		ne += json_array_size(ev);
	}
	*elems = e = xcalloc(ne + 1, sizeof *e);
	v = xcalloc(json_array_size(a) + 1, sizeof *v);
	json_array_foreach(a, i, c) {
		name = json_object_get(c, "case");
		if (name != NULL && !json_is_null(name) &&
		    !json_is_string(name))
			errx(DAGZ_EXIT_USAGE, "stdin: line %zu: case %zu: "
			    "\"case\" must be a string or null", lineno, i + 1);
		v[i].name = json_string_value(name);
		v[i].status = ST_OK;
		if ((st = json_string_value(json_object_get(c, "status"))) !=
		    NULL && status_parse(st, &v[i].status) == -1)
			errx(DAGZ_EXIT_USAGE, "stdin: line %zu: case %zu: "
			    "unknown status \"%s\"", lineno, i + 1, st);
		v[i].elems = e;
		json_array_foreach(json_object_get(c, "elements"), k, x) {
			if (json_array_size(x) != 2 ||
			    !json_is_string(json_array_get(x, 0)) ||
			    (st = json_string_value(json_array_get(x, 1))) ==
			    NULL || strlen(st) != 16 || def_hex(st, &e->fp) == -1)
				errx(DAGZ_EXIT_USAGE, "stdin: line %zu: case %zu: "
				    "an element must be [\"FILE#QUALNAME\", "
				    "\"16 hexadecimal digits\"]", lineno, i + 1);
			e->name = json_string_value(json_array_get(x, 0));
			e++;
			v[i].nelems++;
		}
		if (jsonv_strv(c, "files", 0, (char ***)&v[i].files, errbuf,
		    sizeof errbuf) == -1)
			errx(DAGZ_EXIT_USAGE, "stdin: line %zu: case %zu: %s",
			    lineno, i + 1, errbuf);
	}
	*n = json_array_size(a);
	return (v);
}

static void
cases_free(struct baseline_obs_case *v, size_t n,
    struct baseline_obs_element *elems)
{
	size_t i;

	for (i = 0; i < n; i++)
		strv_free((char **)v[i].files);
	free(v);
	free(elems);
}

/* Where observations go, and the baseline merged into (NULL: none). */
struct observe_ctx {
	struct baseline		*seen;
	const struct baseline	*old;
};

static void
observe_line(json_t *o, size_t lineno, void *arg)
{
	struct observe_ctx *ox = arg;
	struct baseline_obs ob;
	struct baseline_obs_case *cases;
	struct baseline_obs_element *elems;
	char errbuf[256], **reads, **lists, **missing;
	const char *st;
	enum test_status status = ST_OK;

	memset(&ob, 0, sizeof ob);
	ob.id = id_of(o, lineno);
	ob.def = def_of(o, lineno);
	if ((st = json_string_value(json_object_get(o, "status"))) != NULL &&
	    status_parse(st, &status) == -1)
		errx(DAGZ_EXIT_USAGE, "stdin: line %zu: unknown status \"%s\"",
		    lineno, st);
	ob.status = status;
	ob.duration = json_number_value(json_object_get(o, "duration"));
	ob.incomplete = json_is_true(json_object_get(o, "incomplete"));
	if (jsonv_strv(o, "reads", 0, &reads, errbuf, sizeof errbuf) == -1 ||
	    jsonv_strv(o, "lists", 0, &lists, errbuf, sizeof errbuf) == -1 ||
	    jsonv_strv(o, "missing", 0, &missing, errbuf, sizeof errbuf) == -1)
		errx(DAGZ_EXIT_USAGE, "stdin: line %zu: %s", lineno, errbuf);
	ob.reads = reads;
	ob.lists = lists;
	ob.missing = missing;
	ob.cases = cases = cases_of(o, lineno, &ob.ncases, &elems);
	ob.subset = json_is_true(json_object_get(o, "subset"));
	/* A subset updates the old record of its test, other cases kept. */
	if (ob.subset && ox->old != NULL &&
	    baseline_find(ox->seen, ob.id) == NULL &&
	    baseline_find(ox->old, ob.id) != NULL)
		baseline_keep(ox->seen, ox->old, ob.id);
	baseline_observe(ox->seen, &ob);
	cases_free(cases, ob.ncases, elems);
	strv_free(reads);
	strv_free(lists);
	strv_free(missing);
}

static void
write_out(struct baseline *b, const struct opts *o)
{
	unsigned char *z;
	size_t len;
	FILE *f = stdout;

	if (o->out == NULL && isatty(STDOUT_FILENO))
		errx(DAGZ_EXIT_USAGE, "a baseline is binary: use -o file");
	z = baseline_encode(b, &len);
	if (o->out != NULL && (f = fopen(o->out, "w")) == NULL)
		err(DAGZ_EXIT_ERROR, "cannot create '%s'", o->out);
	if (fwrite(z, 1, len, f) != len || fflush(f) != 0)
		err(DAGZ_EXIT_ERROR, "cannot write '%s'",
		    o->out != NULL ? o->out : "stdout");
	if (f != stdout)
		fclose(f);
	free(z);
}

/* Merges stdin's observations into old (NULL: none) and writes it. */
static int
cmd_build(const struct opts *o, struct baseline *old)
{
	struct baseline *b = baseline_new(), *seen = baseline_new();
	struct baseline_statcache *sc = baseline_statcache_open(o->cache);
	struct observe_ctx ox;
	size_t i;

	ox.seen = seen;
	ox.old = old;
	each_line(observe_line, &ox);
	for (i = 0; old != NULL && i < old->ntests; i++)
		if (baseline_find(seen, old->tests[i].id) == NULL)
			baseline_keep(b, old, old->tests[i].id);
	for (i = 0; i < seen->ntests; i++)
		baseline_keep(b, seen, seen->tests[i].id);
	baseline_ignore(b, ignores(o));
	baseline_fingerprint(b, o->root, sc);
	baseline_add_globals(b, o->root, o->globals, sc);
	write_out(b, o);
	baseline_statcache_save(sc);
	baseline_statcache_free(sc);
	baseline_free(seen);
	baseline_free(b);
	baseline_free(old);
	return (DAGZ_EXIT_OK);
}

static char *
hex(uint64_t h)
{
	static char buf[17];

	snprintf(buf, sizeof buf, "%016" PRIx64, h);
	return (buf);
}

static json_t *
paths_json(const struct baseline *b, const uint32_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(b->paths[v[i]]));
	return (a);
}

/* A test's rewritten files: [{"file", "in", "out"}], in null if unknown. */
static json_t *
outputs_json(const struct baseline *b, const struct baseline_test *t)
{
	const struct baseline_output *o;
	json_t *a = json_array(), *in;
	size_t i;

	for (i = 0; i < t->noutputs; i++) {
		o = &t->outputs[i];
		in = o->in == BASELINE_ABSENT ? json_null() :
		    json_string(hex(o->in));
		json_array_append_new(a, json_pack("{s:s, s:o, s:s}", "file",
		    b->paths[o->path], "in", in, "out", hex(o->out)));
	}
	return (a);
}

static void
put_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

/* Files first, then tests, each a line. */
/* Elements v (n) of b as [["FILE#QUALNAME", "FINGERPRINT"], ...]. */
static json_t *
elems_json(const struct baseline *b, const uint32_t *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[s, s]", b->elems[v[i]],
		    hex(b->elem_fp[v[i]])));
	return (a);
}

/*
 * A test's record of a hook: the files it covered, what ran at import
 * ("nullcase"), every element of its files that hold cases ("known") and
 * its cases, each with its status and elements.
 */
static void
show_cases(const struct baseline *b, const struct baseline_test *t,
    json_t *o)
{
	const struct baseline_case *c;
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < t->ncases; i++) {
		c = &t->cases[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "case",
		    c->name, "status", status_name(c->status), "elements",
		    elems_json(b, c->elems, c->nelems)));
	}
	json_object_set_new(o, "covered", paths_json(b, t->covered,
	    t->ncovered));
	json_object_set_new(o, "nullcase", elems_json(b, t->nullcase,
	    t->nnullcase));
	json_object_set_new(o, "known", elems_json(b, t->known, t->nknown));
	json_object_set_new(o, "cases", a);
}

static int
cmd_show(const char *path)
{
	struct baseline *b = load(path);
	const struct baseline_test *t;
	json_t *o;
	size_t i;

	for (i = 0; i < b->npaths; i++)
		put_json(json_pack("{s:s, s:s, s:b}", "file", b->paths[i],
		    "fingerprint", b->hashes[i] == BASELINE_ABSENT ? "absent" :
		    hex(b->hashes[i]), "global", b->global[i]));
	for (i = 0; i < b->ntests; i++) {
		t = &b->tests[i];
		o = json_pack("{s:s, s:s, s:s, s:f, s:b, s:o, s:o}",
		    "test", t->id, "def", hex(t->def), "status",
		    status_name(t->status), "duration", t->duration,
		    "incomplete", t->incomplete, "deps",
		    paths_json(b, t->deps, t->ndeps), "missing",
		    paths_json(b, t->missing, t->nmissing));
		if (t->noutputs > 0)
			json_object_set_new(o, "outputs", outputs_json(b, t));
		if (t->ncases > 0 || t->ncovered > 0)
			show_cases(b, t, o);
		put_json(o);
	}
	baseline_free(b);
	return (DAGZ_EXIT_OK);
}

/*
 * The output line being made. Decisions are written a line at a time
 * with one fwrite: 100,000 of them at times.
 */
struct obuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void
ob_add(struct obuf *ob, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (ob->len + n > ob->cap) {
		while (ob->len + n > ob->cap)
			ob->cap = ob->cap == 0 ? 4096 : ob->cap * 2;
		ob->p = xreallocarray(ob->p, ob->cap, 1);
	}
	memcpy(ob->p + ob->len, s, n);
	ob->len += n;
}

static void
ob_lit(struct obuf *ob, const char *s)
{
	ob_add(ob, s, strlen(s));
}

/* s as a JSON string; it came from JSON, so it is valid UTF-8. */
static void
ob_string(struct obuf *ob, const char *s)
{
	const char *p;
	char esc[8];

	ob_lit(ob, "\"");
	for (p = s; *p != '\0'; p++) {
		if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			continue;
		ob_add(ob, s, p - s);
		s = p + 1;
		if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof esc, "\\%c", *p);
		else
			snprintf(esc, sizeof esc, "\\u%04x", *p);
		ob_lit(ob, esc);
	}
	ob_add(ob, s, p - s);
	ob_lit(ob, "\"");
}

struct select_ctx {
	struct baseline		**b;
	struct baseline_changes	**c;
	int			  n;
	int			  cases;	/* by case, where recorded */
};

/*
 * A part of the tests, whole lines of stdin, decided on a thread of its
 * own into a buffer; the parts are written in order. A part stops at its
 * first bad line, and nothing after that line is written.
 */
#define SELECT_PARTS_MAX	4
#define SELECT_PART_MIN		(256 * 1024)	/* bytes of input */

struct select_part {
	const struct select_ctx	*sx;
	char			*from, *to;
	size_t			 lineno;	/* of the line before from */
	struct obuf		 out;
	char			 err[512];	/* the bad line's, or "" */
	pthread_t		 thread;
	int			 started;
};

/*
 * By case: the whole test if a baseline says so, with its reasons;
 * else the cases they pick, with theirs (*cases, sorted), unless that
 * is every case recorded: then whole. NULL: nothing to run.
 */
static char **
select_by_case(const struct select_ctx *sx, const char *id, uint64_t def,
    char ***cases)
{
	struct baseline_pick p;
	char **why, **all;

	*cases = NULL;
	switch (baseline_select_cases_all(sx->b, sx->c, sx->n, id, def, &p)) {
	case BASELINE_PICK_CASES:
		all = baseline_recorded_cases(sx->b, sx->n, id);
		if (p.ncases < strv_len(all)) {
			*cases = p.cases;
			p.cases = NULL;
		}
		strv_free(all);
		/* FALLTHROUGH */
	case BASELINE_PICK_WHOLE:
		why = p.why;
		p.why = NULL;
		break;
	default:
		why = NULL;
		break;
	}
	baseline_pick_clear(&p);
	return (why);
}

static void
ob_strings(struct obuf *ob, char *const *v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			ob_lit(ob, ",");
		ob_string(ob, v[i]);
	}
}

static void
select_one(struct select_part *p, const char *id, uint64_t def)
{
	const struct select_ctx *sx = p->sx;
	struct obuf *ob = &p->out;
	char **v, **all = NULL, **ign = NULL, **cases = NULL;
	int k;
	size_t i;

	for (k = 0; k < sx->n; k++) {
		v = baseline_ignored(sx->b[k], sx->c[k], id);
		for (i = 0; v != NULL && v[i] != NULL; i++)
			if (!strv_contains(ign, v[i] + strlen("ignored: ")))
				ign = strv_push(ign, v[i] + strlen("ignored: "));
		strv_free(v);
		if (sx->cases)
			continue;
		if ((v = baseline_select(sx->b[k], sx->c[k], id, def)) == NULL)
			continue;
		all = strv_union(all, v);
		strv_free(v);
	}
	if (sx->cases)
		all = select_by_case(sx, id, def, &cases);
	ob_lit(ob, "{\"test\":");
	ob_string(ob, id);
	if (all == NULL)
		ob_lit(ob, ",\"selected\":false,\"reasons\":[]");
	else {
		ob_lit(ob, ",\"selected\":true,\"reasons\":[");
		ob_strings(ob, all);
		ob_lit(ob, "]");
	}
	/* Only these cases run, when only some do. */
	if (cases != NULL) {
		ob_lit(ob, ",\"cases\":[");
		ob_strings(ob, cases);
		ob_lit(ob, "]");
	}
	/* Changed paths that did not count, when there are some. */
	if (ign != NULL) {
		ob_lit(ob, ",\"ignored\":[");
		ob_strings(ob, ign);
		ob_lit(ob, "]");
	}
	ob_lit(ob, "}\n");
	strv_free(all);
	strv_free(cases);
	strv_free(ign);
}

/*
 * A line that is a flat object with a string "test" and a string "def"
 * (or neither "def" nor "id") is read without jansson: 0 if it was, 1 if
 * it must go to jansson, -1 if it is bad.
 */
static int
select_quick(struct select_part *p, char *line, size_t n, size_t lineno)
{
	struct jflat_field f[16];
	const struct jflat_field *id, *def;
	uint64_t h = 0;
	size_t nf;

	if (jsonflat_parse(line, n, f, sizeof f / sizeof f[0], &nf) == -1 ||
	    (id = jsonflat_string(f, nf, "test")) == NULL)
		return (1);
	def = jsonflat_string(f, nf, "def");
	if (def == NULL && (jsonflat_get(f, nf, "def") != NULL ||
	    jsonflat_get(f, nf, "id") != NULL))
		return (1);
	jsonflat_end(f, nf);
	if (def != NULL && def_hex(def->val, &h) == -1) {
		snprintf(p->err, sizeof p->err, "stdin: line %zu: %s", lineno,
		    DEF_NOT_HEX);
		return (-1);
	}
	select_one(p, id->val, h);
	return (0);
}

/* Decides one line of n bytes; -1 if it is bad. */
static int
select_text(struct select_part *p, char *line, size_t n, size_t lineno)
{
	json_error_t je;
	json_t *o;
	const char *id;
	char errbuf[256];
	uint64_t def;
	size_t i;
	int r;

	if (n > LINE_MAX_BYTES) {
		snprintf(p->err, sizeof p->err, "stdin: line %zu: too long",
		    lineno);
		return (-1);
	}
	for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r' || line[i] == '\n'); i++)
		;
	if (i == n)
		return (0);
	if ((r = select_quick(p, line, n, lineno)) <= 0)
		return (r);
	if ((o = json_loadb(line, n, 0, &je)) == NULL || !json_is_object(o)) {
		snprintf(p->err, sizeof p->err, "stdin: line %zu: %s", lineno,
		    o == NULL ? je.text : "not an object");
		json_decref(o);
		return (-1);
	}
	if ((id = id_get(o)) == NULL)
		snprintf(p->err, sizeof p->err, "stdin: line %zu: no \"test\"",
		    lineno);
	else if (def_get(o, &def, errbuf, sizeof errbuf) == -1)
		snprintf(p->err, sizeof p->err, "stdin: line %zu: %s", lineno,
		    errbuf);
	else
		select_one(p, id, def);
	json_decref(o);
	return (p->err[0] != '\0' ? -1 : 0);
}

static void *
select_part_run(void *arg)
{
	struct select_part *p = arg;
	char *line, *nl;
	size_t n, lineno = p->lineno;

	for (line = p->from; line < p->to; line += n) {
		nl = memchr(line, '\n', p->to - line);
		n = (nl != NULL ? nl + 1 : p->to) - line;
		if (select_text(p, line, n, ++lineno) == -1)
			break;
	}
	return (NULL);
}

struct reader {
	char		*buf;
	size_t		 len;
	int		 err;
	pthread_t	 thread;
};

static void *
read_stdin(void *arg)
{
	struct reader *rd = arg;

	/* Nothing has been read through stdin's stdio buffer. */
	if ((rd->buf = slurp_fd(STDIN_FILENO, 0, &rd->len)) == NULL)
		rd->err = errno;
	return (NULL);
}

/* Milliseconds since *t0, and *t0 set to now: a step's time. */
static double
step_ms(struct timespec *t0)
{
	struct timespec t;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ms = (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
	*t0 = t;
	return (ms);
}

/*
 * Fingerprints the code elements of the covered files that changed, in
 * every baseline, with the Python hook's fingerprinter fp, started
 * before the baselines were read (and ended here); how many files that
 * was.
 */
static size_t
select_elements(struct elements_proc *fp, struct select_ctx *sx)
{
	struct elements_now *now = elements_new();
	char **files = NULL, **v;
	size_t n;
	int k;

	for (k = 0; k < sx->n; k++) {
		v = baseline_changed_covered(sx->b[k], sx->c[k]);
		files = strv_union(files, v);
		strv_free(v);
	}
	elements_finish(fp, now, files);
	for (k = 0; k < sx->n; k++) {
		baseline_changes_elements(sx->c[k], sx->b[k], now);
		/* Its table of elements is made now, not on the threads. */
		baseline_element(sx->b[k], "");
	}
	n = strv_len(files);
	strv_free(files);
	elements_free(now);
	return (n);
}

/*
 * A test is selected if any baseline gives it a reason. Stdin is read on
 * a thread of its own while the baselines are loaded and their files
 * fingerprinted (on threads too); then the tests are decided in parts at
 * once, and written in order. With -p, a test with cases is decided by
 * them, once the changed covered files' elements are known.
 */
static int
cmd_select(const struct opts *o, int argc, char **argv)
{
	struct baseline_statcache *sc = baseline_statcache_open(o->cache);
	struct select_part part[SELECT_PARTS_MAX];
	struct elements_proc *fp = NULL;
	struct select_ctx sx;
	struct reader rd;
	struct timespec t0;
	sigset_t all, old;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double ms_load = 0, ms_changes = 0, ms_elements = 0;
	char *cut, *nl, *script;
	size_t np, k, lineno, nchanged = 0;
	int reading;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Its interpreter starts while the baselines are read. */
	if (o->python != NULL) {
		script = elements_hook("python", "dagz_elements.py");
		fp = elements_start(o->python, script, o->root);
		free(script);
	}
	memset(&rd, 0, sizeof rd);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	reading = pthread_create(&rd.thread, NULL, read_stdin, &rd) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	memset(&sx, 0, sizeof sx);
	sx.n = argc;
	sx.b = xcalloc(argc, sizeof *sx.b);
	sx.c = xcalloc(argc, sizeof *sx.c);
	sx.cases = o->python != NULL;
	for (k = 0; k < (size_t)argc; k++) {
		sx.b[k] = load_at(argv[k], o->root, sc);
		ms_load += step_ms(&t0);
		sx.c[k] = baseline_changes(sx.b[k], o->root, o->globals, sc);
		baseline_changes_ignore(sx.c[k], sx.b[k], ignores(o));
		ms_changes += step_ms(&t0);
	}
	baseline_statcache_save(sc);
	if (sx.cases) {
		nchanged = select_elements(fp, &sx);
		ms_elements = step_ms(&t0);
	}
	if (reading)
		pthread_join(rd.thread, NULL);
	else
		read_stdin(&rd);
	if (rd.err != 0)
		errc(DAGZ_EXIT_ERROR, rd.err, "cannot read stdin");

	/* Parts of about equal size, cut after a newline. */
	np = ncpu > 1 ? (size_t)ncpu : 1;
	if (np > SELECT_PARTS_MAX)
		np = SELECT_PARTS_MAX;
	if (np > rd.len / SELECT_PART_MIN)
		np = rd.len / SELECT_PART_MIN > 0 ? rd.len / SELECT_PART_MIN : 1;
	memset(part, 0, sizeof part);
	cut = rd.buf;
	lineno = 0;
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (k = 0; k < np; k++) {
		part[k].sx = &sx;
		part[k].from = cut;
		part[k].lineno = lineno;
		cut = k + 1 == np ? rd.buf + rd.len : rd.buf + rd.len *
		    (k + 1) / np;
		if (cut < part[k].from)
			cut = part[k].from;
		if (k + 1 < np && (nl = memchr(cut, '\n', rd.buf + rd.len -
		    cut)) != NULL)
			cut = nl + 1;
		else if (k + 1 < np)
			cut = rd.buf + rd.len;
		part[k].to = cut;
		for (nl = part[k].from; (nl = memchr(nl, '\n', cut - nl)) !=
		    NULL; nl++)
			lineno++;
		part[k].started = k > 0 && pthread_create(&part[k].thread,
		    NULL, select_part_run, &part[k]) == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (k = 0; k < np; k++)
		if (!part[k].started)
			select_part_run(&part[k]);
	for (k = 0; k < np; k++)
		if (part[k].started)
			pthread_join(part[k].thread, NULL);
	for (k = 0; k < np; k++) {
		if (part[k].out.len > 0)
			fwrite(part[k].out.p, 1, part[k].out.len, stdout);
		free(part[k].out.p);
		if (part[k].err[0] != '\0')
			errx(DAGZ_EXIT_USAGE, "%s", part[k].err);
	}
	if (o->times)
		fprintf(stderr, "dagz-baseline: load %.1f ms, changes %.1f ms, "
		    "elements %.1f ms (%zu file%s), select %.1f ms\n", ms_load,
		    ms_changes, ms_elements, nchanged, nchanged == 1 ? "" : "s",
		    step_ms(&t0));
	for (k = 0; k < (size_t)argc; k++) {
		baseline_changes_free(sx.c[k]);
		baseline_free(sx.b[k]);
	}
	free(sx.b);
	free(sx.c);
	free(rd.buf);
	baseline_statcache_free(sc);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(DAGZ_EXIT_ERROR, "cannot write the decisions");
	return (DAGZ_EXIT_OK);
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;
	int ch, rc = 0;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (strcmp(cmd, "-V") == 0) {
		printf("dagz-baseline %s\n", PACKAGE_VERSION);
		return (DAGZ_EXIT_OK);
	}
	memset(&o, 0, sizeof o);
	o.root = ".";
	argc--;
	argv++;
	while ((ch = getopt(argc, argv, "Ic:g:i:o:p:r:t")) != -1) {
		switch (ch) {
		case 'I':
			o.no_defaults = 1;
			break;
		case 'c':
			o.cache = optarg;
			break;
		case 'g':
			o.globals = strv_push(o.globals, optarg);
			break;
		case 'i':
			if (*optarg == '\0')
				errx(DAGZ_EXIT_USAGE, "-i: an empty pattern");
			o.ignores = strv_push(o.ignores, optarg);
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'p':
			if (*optarg == '\0')
				errx(DAGZ_EXIT_USAGE, "-p: an empty interpreter");
			o.python = optarg;
			break;
		case 'r':
			o.root = optarg;
			break;
		case 't':
			o.times = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "build") == 0 && argc == 0)
		rc = cmd_build(&o, NULL);
	else if (strcmp(cmd, "merge") == 0 && argc == 1)
		rc = cmd_build(&o, load(argv[0]));
	else if (strcmp(cmd, "show") == 0 && argc == 1)
		rc = cmd_show(argv[0]);
	else if (strcmp(cmd, "select") == 0 && argc >= 1)
		rc = cmd_select(&o, argc, argv);
	else
		usage();
	strv_free(o.globals);
	strv_free(o.ignores);
	return (rc);
}
