/*
 * unit-baseline.c: tests of libcommon/baseline.c in TAP: fingerprints,
 * the stat cache, encoding round trips, merging a job's observations
 * into the previous baseline, and each reason selection gives, of tests
 * and of their cases by the code elements they ran.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "elements.h"
#include "strv.h"
#include "xmalloc.h"
#include "zbuf.h"

#include "unit.h"

static char root[PATH_MAX / 2];

static void
put(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void
rm(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", root, name);
	if (unlink(path) == -1)
		rmdir(path);
}

/* The reasons of one selection, joined with "; ", or "-" for none. */
static char *
why(const struct baseline *b, char *const *globals, const char *id,
    uint64_t def)
{
	struct baseline_changes *c;
	char **v, *s = NULL, *t;
	size_t i;

	c = baseline_changes(b, root, globals, NULL);
	v = baseline_select(b, c, id, def);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (s == NULL)
			s = xstrdup(v[i]);
		else {
			xasprintf(&t, "%s; %s", s, v[i]);
			free(s);
			s = t;
		}
	}
	strv_free(v);
	baseline_changes_free(c);
	return (s != NULL ? s : xstrdup("-"));
}

static int
check(const struct baseline *b, char *const *globals, const char *id,
    uint64_t def, const char *want)
{
	char *got = why(b, globals, id, def);
	int same = strcmp(got, want) == 0;

	if (!same)
		printf("#   got: %s\n#  want: %s\n", got, want);
	free(got);
	return (same);
}

static struct baseline *
sample(void)
{
	char *r1[] = { "data.txt", "lib.sh", NULL };
	char *r2[] = { "other.txt", NULL };
	char *m2[] = { "maybe.txt", NULL };
	char *l3[] = { "dir", NULL };
	struct baseline_obs o;
	struct baseline *b = baseline_new();

	memset(&o, 0, sizeof o);
	o.id = "reader";
	o.def = 1;
	o.reads = r1;
	o.status = ST_OK;
	baseline_observe(b, &o);
	memset(&o, 0, sizeof o);
	o.id = "looker";
	o.def = 2;
	o.reads = r2;
	o.missing = m2;
	o.status = ST_OK;
	baseline_observe(b, &o);
	memset(&o, 0, sizeof o);
	o.id = "lister";
	o.def = 3;
	o.lists = l3;
	o.status = ST_OK;
	baseline_observe(b, &o);
	memset(&o, 0, sizeof o);
	o.id = "failer";
	o.def = 4;
	o.reads = r2;
	o.status = ST_FAILED;
	baseline_observe(b, &o);
	memset(&o, 0, sizeof o);
	o.id = "partial";
	o.def = 5;
	o.reads = r2;
	o.status = ST_OK;
	o.incomplete = 1;
	baseline_observe(b, &o);
	memset(&o, 0, sizeof o);
	o.id = "blind";
	o.def = 6;
	o.status = ST_OK;
	baseline_observe(b, &o);
	baseline_fingerprint(b, root, NULL);
	return (b);
}

static void
test_hash(void)
{
	struct test_def d;
	char *argv[] = { "t.sh", NULL }, *env[] = { "A=1", NULL };
	uint64_t a, h;

	ok(baseline_hash("abc", 3, 0) == baseline_hash("abc", 3, 0),
	    "hash: stable");
	ok(baseline_hash("abc", 3, 0) != baseline_hash("abd", 3, 0),
	    "hash: one byte changes it");
	ok(baseline_hash("", 0, 0) != BASELINE_ABSENT,
	    "hash: never the absent value");
	memset(&d, 0, sizeof d);
	d.argv = argv;
	a = baseline_def_fingerprint(&d);
	d.env = env;
	h = baseline_def_fingerprint(&d);
	ok(a != h, "definition: env is part of it");
	d.cwd = "/x";
	ok(baseline_def_fingerprint(&d) != h, "definition: cwd is part of it");
}

static void
test_select(void)
{
	struct baseline *b = sample();
	char *globals[] = { "build.mk", NULL };
	char path[PATH_MAX];

	ok(check(b, NULL, "reader", 1, "-"), "no change: deselected");
	ok(check(b, NULL, "lister", 3, "-"), "listing unchanged: deselected");
	ok(check(b, NULL, "new", 9, "new"), "new test");
	ok(check(b, NULL, "reader", 7, "definition changed"),
	    "definition changed");
	ok(check(b, NULL, "failer", 4,
	    "did not pass in the baseline (FAILED)"), "failed there");
	ok(check(b, NULL, "partial", 5, "trace incomplete"),
	    "trace incomplete");
	ok(check(b, NULL, "blind", 6, "no dependencies recorded"),
	    "no dependencies");
	put("data.txt", "changed\n");
	ok(check(b, NULL, "reader", 1, "changed: data.txt"), "dep changed");
	ok(check(b, NULL, "looker", 2, "-"), "other test unaffected");
	rm("lib.sh");
	ok(check(b, NULL, "reader", 1,
	    "changed: data.txt; vanished: lib.sh"), "dep vanished");
	put("maybe.txt", "now\n");
	ok(check(b, NULL, "looker", 2, "appeared: maybe.txt"),
	    "missing path appeared");
	put("dir/new", "x");
	ok(check(b, NULL, "lister", 3, "changed: dir/"), "listing changed");
	put("build.mk", "all:\n");
	ok(check(b, globals, "blind", 6,
	    "global file changed: build.mk; no dependencies recorded"),
	    "new global file selects everything");
	baseline_free(b);
	snprintf(path, sizeof path, "%s/dir/new", root);
	unlink(path);
	rm("maybe.txt");
	rm("build.mk");
	put("data.txt", "hello\n");
	put("lib.sh", "echo lib\n");
}

static void
test_encode(void)
{
	struct baseline *b = sample(), *d;
	struct baseline_test *t;
	unsigned char *z;
	char err[128];
	size_t len;

	z = baseline_encode(b, &len);
	d = baseline_decode(z, len, err, sizeof err);
	ok(d != NULL, "decode: %s", d == NULL ? err : "ok");
	if (d == NULL)
		return;
	ok(d->ntests == b->ntests && d->npaths == b->npaths,
	    "decode: same counts");
	t = baseline_find(d, "reader");
	ok(t != NULL && t->ndeps == 2 && t->def == 1 && t->status == ST_OK,
	    "decode: test kept");
	ok(check(d, NULL, "reader", 1, "-"), "decode: selects the same");
	ok(check(d, NULL, "partial", 5, "trace incomplete"),
	    "decode: flags kept");
	ok(baseline_decode(z, len / 2, err, sizeof err) == NULL,
	    "decode: cut stream refused");
	free(z);
	baseline_free(d);
	baseline_free(b);
}

static void
test_merge(void)
{
	struct baseline *old = sample(), *b = baseline_new();
	char *r[] = { "other.txt", NULL };
	struct baseline_obs o;

	memset(&o, 0, sizeof o);
	o.id = "reader";
	o.def = 1;
	o.reads = r;
	o.status = ST_OK;
	baseline_observe(b, &o);
	baseline_keep(b, old, "looker");
	baseline_keep(b, old, "gone");
	baseline_fingerprint(b, root, NULL);
	ok(b->ntests == 2, "merge: observed and kept tests");
	ok(baseline_find(b, "reader")->ndeps == 1, "merge: observation wins");
	ok(baseline_find(b, "looker")->nmissing == 1,
	    "merge: kept test keeps its missing paths");
	put("data.txt", "other\n");
	ok(check(b, NULL, "reader", 1, "-"),
	    "merge: old dependency forgotten");
	put("data.txt", "hello\n");
	baseline_free(b);
	baseline_free(old);
}

/*
 * A file a test read and rewrote selects it only when it is neither as
 * the test found it nor as it left it, through an encoded baseline too.
 */
static void
test_outputs(void)
{
	struct baseline *b = baseline_new(), *d;
	char *r[] = { "stamp", NULL }, err[128];
	struct baseline_obs_output out;
	struct baseline_obs o;
	unsigned char *z;
	size_t len;

	put("stamp", "before\n");
	memset(&out, 0, sizeof out);
	out.path = "stamp";
	out.in = baseline_path_hash(root, "stamp", NULL);
	put("stamp", "after 1\n");
	out.out = baseline_path_hash(root, "stamp", NULL);
	memset(&o, 0, sizeof o);
	o.id = "stamper";
	o.def = 1;
	o.reads = r;
	o.outputs = &out;
	o.noutputs = 1;
	o.status = ST_OK;
	baseline_observe(b, &o);
	baseline_fingerprint(b, root, NULL);
	z = baseline_encode(b, &len);
	d = baseline_decode(z, len, err, sizeof err);
	free(z);
	ok(d != NULL && baseline_find(d, "stamper")->noutputs == 1,
	    "outputs: encoded and decoded");
	ok(check(d, NULL, "stamper", 1, "-"), "outputs: as left");
	put("stamp", "before\n");
	ok(check(d, NULL, "stamper", 1, "-"), "outputs: as found (a checkout)");
	ok(check(b, NULL, "stamper", 1, "-"), "outputs: as found, not encoded");
	put("stamp", "someone else\n");
	ok(check(d, NULL, "stamper", 1, "changed: stamp"),
	    "outputs: a change by another selects");
	rm("stamp");
	ok(check(d, NULL, "stamper", 1, "vanished: stamp"),
	    "outputs: removed selects");
	baseline_free(d);
	baseline_free(b);
}

static void
test_statcache(void)
{
	struct baseline_statcache *sc;
	char path[PATH_MAX], file[PATH_MAX];
	uint64_t h1, h2;

	snprintf(file, sizeof file, "%s/statcache", root);
	snprintf(path, sizeof path, "%s/data.txt", root);
	sc = baseline_statcache_open(file);
	ok(baseline_statcache_hash(sc, path, &h1) == 0, "statcache: hashed");
	ok(h1 == baseline_hash("hello\n", 6, 0), "statcache: content hash");
	ok(baseline_statcache_save(sc) == 0, "statcache: saved");
	baseline_statcache_free(sc);
	sc = baseline_statcache_open(file);
	put("data.txt", "HELLO\n");
	ok(baseline_statcache_hash(sc, path, &h2) == 0 && h2 != h1,
	    "statcache: changed file rehashed");
	snprintf(path, sizeof path, "%s/nothere", root);
	ok(baseline_statcache_hash(sc, path, &h2) == -1,
	    "statcache: missing file");
	baseline_statcache_free(sc);
	put("data.txt", "hello\n");
}

/*
 * A cache file written by hand out of order, with a repeated path: read
 * as it is, and written back sorted once something is added.
 */
static void
test_statcache_order(void)
{
	struct baseline_statcache *sc;
	char file[PATH_MAX], path[PATH_MAX], line[PATH_MAX + 128];
	char prev[PATH_MAX + 128] = "", *p;
	struct timespec ago[2];
	struct stat sb;
	uint64_t h;
	FILE *f;
	int sorted = 1, n = 0, k;

	snprintf(file, sizeof file, "%s/statcache-order", root);
	snprintf(path, sizeof path, "%s/other.txt", root);
	if (stat(path, &sb) == -1 || (f = fopen(file, "w")) == NULL)
		exit(1);
	fprintf(f, "dagz statcache 1\n");
	fprintf(f, "%llx %lld %lld %llu %s/zzz\n", 0x1234ULL, 1LL, 1LL, 1ULL,
	    root);
	/* A made-up fingerprint: the cache is trusted, so it is given. */
	fprintf(f, "%llx %lld %lld %llu %s\n", 0xabcdefULL,
	    (long long)sb.st_size, (long long)sb.st_mtim.tv_sec *
	    1000000000LL + sb.st_mtim.tv_nsec, (unsigned long long)sb.st_ino,
	    path);
	fprintf(f, "%llx %lld %lld %llu %s/zzz\n", 0x5678ULL, 1LL, 1LL, 1ULL,
	    root);
	fprintf(f, "garbage line\n");
	fclose(f);
	sc = baseline_statcache_open(file);
	ok(baseline_statcache_hash(sc, path, &h) == 0 && h == 0xabcdef,
	    "statcache: an entry out of order is found");
	/* Old enough to be trusted, so that it is added and saved. */
	snprintf(path, sizeof path, "%s/lib.sh", root);
	ago[0].tv_sec = ago[1].tv_sec = time(NULL) - 3600;
	ago[0].tv_nsec = ago[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, ago, 0);
	ok(baseline_statcache_hash(sc, path, &h) == 0 &&
	    h == baseline_hash("echo lib\n", 9, 0),
	    "statcache: a path it did not know is hashed");
	baseline_statcache_save(sc);
	baseline_statcache_free(sc);
	if ((f = fopen(file, "r")) == NULL)
		exit(1);
	while (fgets(line, sizeof line, f) != NULL) {
		if (n++ == 0)
			continue;
		/* The path follows the fourth space. */
		for (p = line, k = 0; k < 4 && p != NULL; k++)
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		if (p == NULL || strcmp(prev, p) >= 0)
			sorted = 0;
		snprintf(prev, sizeof prev, "%s", p != NULL ? p : "");
	}
	fclose(f);
	ok(sorted && n == 4, "statcache: written back sorted, once each");
}

/*
 * Enough files for fingerprinting in parts: the parts must find what
 * one pass finds, with the cache cold, warm, and with files changed,
 * removed and added on both sides of the middle.
 */
static void
test_parts(void)
{
	struct baseline_statcache *sc;
	struct baseline_changes *c;
	struct baseline_obs o;
	struct baseline *b, *d;
	char name[64], file[PATH_MAX], *reads[2] = { name, NULL };
	char err[128], **v;
	unsigned char *z;
	size_t len;
	int i, nfiles = 10000, bad = 0;

	snprintf(file, sizeof file, "%s/parts", root);
	mkdir(file, 0777);
	b = baseline_new();
	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof name, "parts/f%05d", i);
		put(name, name);
		memset(&o, 0, sizeof o);
		o.id = name;
		o.def = 1;
		o.reads = reads;
		o.status = ST_OK;
		baseline_observe(b, &o);
	}
	snprintf(file, sizeof file, "%s/statcache-parts", root);
	/* Old enough for the cache to trust. */
	sleep(2);
	sc = baseline_statcache_open(file);
	baseline_fingerprint(b, root, sc);
	baseline_statcache_save(sc);
	baseline_statcache_free(sc);
	put("parts/f00010", "changed");
	put("parts/f09990", "changed");
	rm("parts/f05000");
	/* Selected from as a job would: decoded. */
	z = baseline_encode(b, &len);
	d = baseline_decode(z, len, err, sizeof err);
	free(z);
	baseline_free(b);
	if ((b = d) == NULL)
		exit(1);
	sc = baseline_statcache_open(file);
	c = baseline_changes(b, root, NULL, sc);
	ok(baseline_changed_count(c) == 3, "parts: three changes found (%zu)",
	    baseline_changed_count(c));
	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof name, "parts/f%05d", i);
		v = baseline_select(b, c, name, 1);
		if ((v != NULL) != (i == 10 || i == 9990 || i == 5000))
			bad++;
		strv_free(v);
	}
	ok(bad == 0, "parts: exactly the readers of changed files selected");
	baseline_changes_free(c);
	baseline_statcache_free(sc);
	baseline_free(b);
	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof name, "parts/f%05d", i);
		rm(name);
	}
	rm("parts");
	rm("statcache-parts");
}

/*
 * Cases. A pytest file of seven cases over a small library: what each
 * case ran, fingerprints made up, and tables of the elements now built
 * by hand, as a fingerprinter would answer for the changed files.
 */
#define CASE_T	"tests/test_a.py"

struct el {
	const char	*name;
	uint64_t	 fp;
};

/* The elements of the library and the test file, as they were. */
static const struct el was[] = {
	{ "pkg/lazy.py#<module>", 0x50 },
	{ "pkg/lazy.py#g", 0x51 },
	{ "pkg/mod.py#<module>", 0x11 },
	{ "pkg/mod.py#Klass", 0x13 },
	{ "pkg/mod.py#Klass.m", 0x31 },
	{ "pkg/mod.py#f", 0x30 },
	{ "pkg/more.py#<module>", 0x12 },
	{ "pkg/more.py#windowed", 0x40 },
	{ "tests/test_a.py#<module>", 0x10 },
	{ "tests/test_a.py#TestK.test_m", 0x23 },
	{ "tests/test_a.py#test_four", 0x25 },
	{ "tests/test_a.py#test_one", 0x20 },
	{ "tests/test_a.py#test_p", 0x24 },
	{ "tests/test_a.py#test_three", 0x22 },
	{ "tests/test_a.py#test_two", 0x21 },
	{ NULL, 0 }
};

static uint64_t
was_fp(const char *name)
{
	size_t i;

	for (i = 0; was[i].name != NULL; i++)
		if (strcmp(was[i].name, name) == 0)
			return (was[i].fp);
	exit(1);
}

/* Observed elements of a case, from names. */
static struct baseline_obs_element *
obs_elems(const char *const *names, size_t *n)
{
	struct baseline_obs_element *v;

	for (*n = 0; names[*n] != NULL; (*n)++)
		;
	v = xcalloc(*n + 1, sizeof *v);
	for (*n = 0; names[*n] != NULL; (*n)++) {
		v[*n].name = names[*n];
		v[*n].fp = was_fp(names[*n]);
	}
	return (v);
}

static const char *const c_null[] = { "tests/test_a.py#<module>",
    "pkg/mod.py#<module>", "pkg/mod.py#Klass", "pkg/more.py#<module>",
    NULL };
static const char *const c_one[] = { "tests/test_a.py#test_one",
    "pkg/mod.py#f", NULL };
static const char *const c_two[] = { "tests/test_a.py#test_two",
    "pkg/more.py#windowed", "pkg/mod.py#f", NULL };
static const char *const c_three[] = { "tests/test_a.py#test_three",
    "pkg/lazy.py#<module>", "pkg/lazy.py#g", NULL };
static const char *const c_four[] = { "tests/test_a.py#test_four",
    "pkg/lazy.py#g", NULL };
static const char *const c_m[] = { "tests/test_a.py#TestK.test_m",
    "pkg/mod.py#Klass.m", NULL };
static const char *const c_p[] = { "tests/test_a.py#test_p", NULL };

/* The known elements the next observe_py gives, if any. */
static const struct baseline_obs_element *py_known;
static size_t py_nknown;

/* The cases of CASE_T as one job saw them; status of test_one given. */
static void
observe_py(struct baseline *b, enum test_status one, enum test_status all)
{
	char *reads[] = { "pkg/mod.py", "pkg/more.py", "pkg/lazy.py",
	    CASE_T, "data.txt", NULL };
	const char *const *els[] = { c_null, c_one, c_two, c_three, c_four,
	    c_m, c_p, c_p };
	const char *names[] = { NULL, CASE_T "::test_one",
	    CASE_T "::test_two", CASE_T "::test_three", CASE_T "::test_four",
	    CASE_T "::TestK::test_m", CASE_T "::test_p[1]",
	    CASE_T "::test_p[2]" };
	struct baseline_obs_case oc[8];
	struct baseline_obs o;
	size_t i;

	memset(oc, 0, sizeof oc);
	for (i = 0; i < 8; i++) {
		oc[i].name = names[i];
		oc[i].status = i == 1 ? one : ST_OK;
		oc[i].elems = obs_elems(els[i], &oc[i].nelems);
	}
	memset(&o, 0, sizeof o);
	o.id = CASE_T;
	o.def = 1;
	o.reads = reads;
	o.status = all;
	o.duration = 2.0;
	o.cases = oc;
	o.ncases = 8;
	o.known = py_known;
	o.nknown = py_nknown;
	baseline_observe(b, &o);
	for (i = 0; i < 8; i++)
		free((void *)oc[i].elems);
}

static void
py_files(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/pkg", root);
	mkdir(path, 0777);
	snprintf(path, sizeof path, "%s/tests", root);
	mkdir(path, 0777);
	put("pkg/mod.py", "def f(): pass\n");
	put("pkg/more.py", "def windowed(): pass\n");
	put("pkg/lazy.py", "def g(): pass\n");
	put(CASE_T, "def test_one(): pass\n");
}

/* The table of elements now of the files of was, but for changes. */
static struct elements_now *
table(const struct el *changes)
{
	struct elements_now *now = elements_new();
	const char *h;
	char file[64];
	size_t i, j;
	uint64_t fp;

	for (i = 0; was[i].name != NULL; i++) {
		h = strrchr(was[i].name, '#');
		snprintf(file, sizeof file, "%.*s", (int)(h - was[i].name),
		    was[i].name);
		fp = was[i].fp;
		for (j = 0; changes != NULL && changes[j].name != NULL; j++)
			if (strcmp(changes[j].name, was[i].name) == 0)
				fp = changes[j].fp;
		/* A fingerprint of 0: the element is gone. */
		if (fp != 0)
			elements_add(now, file, was[i].name, fp);
		else
			elements_add(now, file, file, 0);
	}
	return (now);
}

static int
cmp_s(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* v joined with sep, sorted first when asked; "-" for none. */
static char *
joined(char **v, const char *sep, int sorted)
{
	char *s = NULL, *t;
	size_t i;

	if (sorted && v != NULL)
		qsort(v, strv_len(v), sizeof *v, cmp_s);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (s == NULL)
			s = xstrdup(v[i]);
		else {
			xasprintf(&t, "%s%s%s", s, sep, v[i]);
			free(s);
			s = t;
		}
	}
	return (s != NULL ? s : xstrdup("-"));
}

/*
 * What selection picks of test id as a string: "none", "whole: WHY" or
 * "CASE (WHY), ..." with each case's reasons sorted.
 */
static char *
picked(const struct baseline *b, struct elements_now *now, const char *id,
    uint64_t def, char **asked)
{
	struct baseline_changes *c;
	struct baseline_pick p;
	char *s = NULL, *t, *w, **files;
	size_t i;

	c = baseline_changes(b, root, NULL, NULL);
	files = baseline_changed_covered(b, c);
	*asked = joined(files, " ", 0);
	strv_free(files);
	if (now != NULL)
		baseline_changes_elements(c, b, now);
	switch (baseline_select_cases(b, c, id, def, &p)) {
	case BASELINE_PICK_NONE:
		s = xstrdup("none");
		break;
	case BASELINE_PICK_WHOLE:
		w = joined(p.why, "; ", 0);
		xasprintf(&s, "whole: %s", w);
		free(w);
		break;
	case BASELINE_PICK_CASES:
		for (i = 0; i < p.ncases; i++) {
			w = joined(p.case_why[i], "; ", 1);
			xasprintf(&t, "%s%s%s (%s)", s != NULL ? s : "",
			    s != NULL ? ", " : "", p.cases[i] +
			    strlen(CASE_T "::"), w);
			free(s);
			free(w);
			s = t;
		}
		break;
	}
	baseline_pick_clear(&p);
	baseline_changes_free(c);
	return (s);
}

static int
pick_is(const struct baseline *b, const struct el *changes, int with_table,
    const char *id, const char *want, const char *want_asked)
{
	struct elements_now *now = with_table ? table(changes) : NULL;
	char *got, *asked;
	int same;

	got = picked(b, now, id, 1, &asked);
	same = strcmp(got, want) == 0 && (want_asked == NULL ||
	    strcmp(asked, want_asked) == 0);
	if (!same)
		printf("#   got: %s [asked: %s]\n#  want: %s [asked: %s]\n",
		    got, asked, want, want_asked != NULL ? want_asked : "*");
	free(got);
	free(asked);
	elements_free(now);
	return (same);
}

/* Each rule of case selection, on b (observed, or decoded: as = what). */
static void
cases_rules(const struct baseline *b, const char *as)
{
	struct el windowed[] = { { "pkg/more.py#windowed", 0x99 }, { 0 } };
	struct el lazymod[] = { { "pkg/lazy.py#<module>", 0x99 }, { 0 } };
	struct el modmod[] = { { "pkg/mod.py#<module>", 0x99 }, { 0 } };
	struct el gone[] = { { "pkg/more.py#windowed", 0 }, { 0 } };
	struct el param[] = { { "tests/test_a.py#test_p", 0x99 }, { 0 } };
	struct elements_now *now;
	char *got, *asked;

	ok(pick_is(b, NULL, 1, CASE_T, "none", "-"),
	    "%s: nothing changed, nothing runs", as);
	put("pkg/more.py", "def windowed(): return 1\n");
	ok(pick_is(b, windowed, 1, CASE_T,
	    "test_two (changed: pkg/more.py#windowed)", "pkg/more.py"),
	    "%s: a body changed: only the case that ran it", as);
	ok(pick_is(b, NULL, 1, CASE_T, "none", "pkg/more.py"),
	    "%s: a comment or a move (same fingerprints): nothing", as);
	ok(pick_is(b, gone, 1, CASE_T,
	    "test_two (vanished: pkg/more.py#windowed)", NULL),
	    "%s: an element gone: the case that ran it", as);
	ok(pick_is(b, windowed, 0, CASE_T,
	    "whole: cannot fingerprint pkg/more.py: not fingerprinted", NULL),
	    "%s: a covered file not fingerprinted: whole test", as);
	now = table(NULL);
	elements_unknown(now, "pkg/more.py",
	    "SyntaxError: invalid syntax line 3");
	got = picked(b, now, CASE_T, 1, &asked);
	is_str(got, "whole: cannot fingerprint pkg/more.py: SyntaxError: "
	    "invalid syntax line 3", "%s: a file that does not parse: whole "
	    "test, with why", as);
	free(got);
	free(asked);
	elements_free(now);
	put("pkg/more.py", "def windowed(): pass\n");
	put("pkg/lazy.py", "X = 2\ndef g(): pass\n");
	ok(pick_is(b, lazymod, 1, CASE_T,
	    "test_four (changed: pkg/lazy.py#<module>), "
	    "test_three (changed: pkg/lazy.py#<module>)", "pkg/lazy.py"),
	    "%s: top-level code changed: every case that ran in the file",
	    as);
	rm("pkg/lazy.py");
	ok(pick_is(b, NULL, 1, CASE_T,
	    "test_four (vanished: pkg/lazy.py#<module>; "
	    "vanished: pkg/lazy.py#g), test_three (vanished: "
	    "pkg/lazy.py#<module>; vanished: pkg/lazy.py#g)", "-"),
	    "%s: a covered file removed: its elements vanished", as);
	put("pkg/lazy.py", "def g(): pass\n");
	put("pkg/mod.py", "X = 2\ndef f(): pass\n");
	ok(pick_is(b, modmod, 1, CASE_T,
	    "whole: changed: pkg/mod.py#<module>", NULL),
	    "%s: what ran at import changed: every case", as);
	put("pkg/mod.py", "def f(): pass\n");
	put(CASE_T, "def test_one(): pass\ndef test_new(): pass\n");
	now = table(NULL);
	elements_add(now, CASE_T, CASE_T "#test_new", 0x77);
	got = picked(b, now, CASE_T, 1, &asked);
	is_str(got, "whole: new code in tests/test_a.py: whole test",
	    "%s: a new test function: whole test", as);
	free(got);
	free(asked);
	elements_free(now);
	ok(pick_is(b, param, 1, CASE_T, "whole: changed: "
	    "tests/test_a.py#test_p, parametrized: whole test", NULL),
	    "%s: a parametrized test changed: whole test", as);
	put(CASE_T, "def test_one(): pass\n");
	put("pkg/more.py", "def windowed(): return 1\n");
	put("data.txt", "data changed\n");
	ok(pick_is(b, windowed, 1, CASE_T, "whole: changed: data.txt", NULL),
	    "%s: a file no hook covered: whole test, as before", as);
	put("data.txt", "hello\n");
	put("pkg/more.py", "def windowed(): pass\n");
	ok(pick_is(b, NULL, 1, CASE_T, "none", "-"), "%s: all back", as);
	ok(pick_is(b, NULL, 1, "new.py", "whole: new", NULL),
	    "%s: a new test", as);
	ok(pick_is(b, NULL, 1, "tests/test_b.py", "none", NULL),
	    "%s: a test without cases: by its files", as);
	put("lib.sh", "echo changed\n");
	ok(pick_is(b, NULL, 1, "tests/test_b.py", "whole: changed: lib.sh",
	    NULL), "%s: a test without cases: a changed file", as);
	put("lib.sh", "echo lib\n");
}

/* A failed case runs again; a test that failed otherwise runs whole. */
static void
test_cases_failed(void)
{
	struct baseline *b = baseline_new();

	observe_py(b, ST_FAILED, ST_FAILED);
	baseline_fingerprint(b, root, NULL);
	ok(pick_is(b, NULL, 1, CASE_T, "test_one (did not pass (FAILED))",
	    "-"), "cases: a case that failed runs, alone");
	baseline_free(b);
	b = baseline_new();
	observe_py(b, ST_OK, ST_CRASHED);
	baseline_fingerprint(b, root, NULL);
	ok(pick_is(b, NULL, 1, CASE_T,
	    "whole: did not pass in the baseline (CRASHED)", "-"),
	    "cases: a test that crashed runs whole");
	baseline_free(b);
}

/* A second test, whose cases all ran pkg/mod.py#f, and one without. */
static void
observe_b(struct baseline *b)
{
	char *reads[] = { "pkg/mod.py", "lib.sh", NULL };
	struct baseline_obs_element e = { "pkg/mod.py#f", 0x30 };
	struct baseline_obs_case oc[2];
	struct baseline_obs o;

	memset(oc, 0, sizeof oc);
	oc[0].name = "tests/test_b.py::test_x";
	oc[1].name = "tests/test_b.py::test_y";
	oc[0].elems = oc[1].elems = &e;
	oc[0].nelems = oc[1].nelems = 1;
	memset(&o, 0, sizeof o);
	o.id = "tests/test_c.py";
	o.def = 1;
	o.reads = reads;
	o.status = ST_OK;
	o.cases = oc;
	o.ncases = 2;
	baseline_observe(b, &o);
	o.id = "tests/test_b.py";
	o.cases = NULL;
	o.ncases = 0;
	baseline_observe(b, &o);
}

/*
 * A subset run (one case of seven) after the baseline was kept: its
 * case is replaced, the others kept as the whole run left them.
 */
static void
test_cases_subset(void)
{
	struct baseline *old = baseline_new(), *b = baseline_new();
	struct baseline_obs_element e[] = {
		{ "tests/test_a.py#test_two", 0x21 },
		{ "pkg/more.py#windowed", 0x99 },
		{ "pkg/more.py#helper", 0x98 }
	};
	struct baseline_obs_case oc;
	struct baseline_obs o;
	struct baseline_test *t;
	char *reads[] = { "pkg/more.py", "extra.txt", NULL };
	long x;

	observe_py(old, ST_OK, ST_OK);
	baseline_keep(b, old, CASE_T);
	t = baseline_find(b, CASE_T);
	ok(t != NULL && t->ncases == 7 && t->nnullcase == 4 &&
	    t->ncovered == 4 && t->ndeps == 5, "keep: cases, null case and "
	    "covered files kept");
	memset(&oc, 0, sizeof oc);
	oc.name = CASE_T "::test_two";
	oc.status = ST_OK;
	oc.elems = e;
	oc.nelems = 3;
	memset(&o, 0, sizeof o);
	o.id = CASE_T;
	o.def = 1;
	o.reads = reads;
	o.status = ST_OK;
	o.duration = 0.25;
	o.cases = &oc;
	o.ncases = 1;
	o.subset = 1;
	baseline_observe(b, &o);
	t = baseline_find(b, CASE_T);
	x = baseline_element(b, "pkg/more.py#helper");
	ok(t->ncases == 7 && t->cases[6].nelems == 3 && x != -1 &&
	    t->cases[6].elems[2] == (uint32_t)x && t->cases[2].nelems == 2,
	    "subset: its case replaced, the others kept");
	is_str(t->ncases == 7 ? t->cases[6].name : NULL, CASE_T "::test_two",
	    "subset: in order");
	ok(t->ndeps == 6 && t->duration == 2.0 && !t->incomplete,
	    "subset: what it read joins, the whole run's duration stays");
	x = baseline_element(b, "pkg/more.py#windowed");
	ok(x != -1 && b->elem_fp[x] == 0x99,
	    "subset: the fingerprint it saw replaces the kept one");
	baseline_keep(b, old, "tests/none");
	x = baseline_element(b, "pkg/mod.py#f");
	ok(x != -1 && b->elem_fp[x] == 0x30, "keep: an element kept");
	o.id = "tests/test_new.py";
	baseline_observe(b, &o);
	ok(baseline_find(b, "tests/test_new.py")->incomplete,
	    "subset: of a test not known: incomplete, to run whole");
	o.id = CASE_T;
	o.subset = 0;
	baseline_observe(b, &o);
	t = baseline_find(b, CASE_T);
	ok(t->ncases == 1 && t->ndeps == 2 && t->duration == 0.25,
	    "observe: a whole run replaces every case");
	/* A case named twice: one case, what both ran, the worse status. */
	{
		struct baseline_obs_case two[2];

		two[0] = two[1] = oc;
		two[1].status = ST_FAILED;
		two[1].elems = e + 2;
		two[1].nelems = 1;
		two[0].nelems = 2;
		o.cases = two;
		o.ncases = 2;
		baseline_observe(b, &o);
		t = baseline_find(b, CASE_T);
		ok(t->ncases == 1 && t->cases[0].nelems == 3 &&
		    t->cases[0].status == ST_FAILED, "observe: a case named "
		    "twice is one");
	}
	baseline_free(b);
	baseline_free(old);
}

static void
w1_var(unsigned char **p, uint64_t v)
{
	while (v >= 0x80) {
		*(*p)++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*(*p)++ = (unsigned char)v;
}

static void
w1_u64(unsigned char **p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

/*
 * A baseline as format 1 wrote it, by hand: two paths, one test that
 * read both. It decodes, with no cases, and selects by its files.
 */
static void
test_format1(void)
{
	unsigned char raw[256], *p = raw, *z;
	struct baseline *b;
	char err[128];
	size_t len;

	memcpy(p, "DAGZBL1\n", 8);
	p += 8;
	w1_var(&p, 2);
	w1_var(&p, 0);
	w1_var(&p, 8);
	memcpy(p, "data.txt", 8);
	p += 8;
	*p++ = 0;
	w1_u64(&p, baseline_hash("hello\n", 6, 0));
	w1_var(&p, 0);
	w1_var(&p, 6);
	memcpy(p, "lib.sh", 6);
	p += 6;
	*p++ = 0;
	w1_u64(&p, baseline_hash("echo lib\n", 9, 0));
	w1_var(&p, 1);		/* tests */
	w1_var(&p, 0);
	w1_var(&p, 2);
	memcpy(p, "t1", 2);
	p += 2;
	w1_u64(&p, 1);		/* def */
	w1_var(&p, ST_OK);
	w1_var(&p, 1500);	/* ms */
	w1_var(&p, 8);		/* flags: 8 meant nothing in format 1 */
	w1_var(&p, 2);		/* deps */
	w1_var(&p, 0);
	w1_var(&p, 1);
	w1_var(&p, 0);		/* missing */
	z = zbuf_deflate(raw, (size_t)(p - raw), &len);
	b = baseline_decode(z, len, err, sizeof err);
	free(z);
	ok(b != NULL, "format 1: decodes: %s", b == NULL ? err : "ok");
	if (b == NULL)
		return;
	ok(b->ntests == 1 && b->nelems == 0 && baseline_find(b, "t1")->ncases ==
	    0 && baseline_find(b, "t1")->duration == 1.5,
	    "format 1: its test, without cases");
	ok(pick_is(b, NULL, 1, "t1", "none", "-"), "format 1: nothing changed");
	put("lib.sh", "echo changed\n");
	ok(pick_is(b, NULL, 1, "t1", "whole: changed: lib.sh", "-"),
	    "format 1: a file changed: the test, as before");
	put("lib.sh", "echo lib\n");
	baseline_free(b);
}

/* What selection picks of CASE_T with its file's helper at fp, and more. */
static char *
picked_helper(const struct baseline *b, uint64_t fp, const char *more)
{
	struct elements_now *now = table(NULL);
	char *got, *asked;

	elements_add(now, CASE_T, CASE_T "#helper", fp);
	if (more != NULL)
		elements_add(now, CASE_T, more, 0x77);
	got = picked(b, now, CASE_T, 1, &asked);
	free(asked);
	elements_free(now);
	return (got);
}

/*
 * Known elements: every element of the test file, the helper no case
 * ran too. A change to the helper selects nothing, a new function the
 * whole test; they survive encoding, a subset run and a format 2
 * reader, which sees the helper in the table all the same.
 */
static void
test_cases_known(void)
{
	struct baseline_obs_element known[] = {
		{ CASE_T "#<module>", 0x10 },
		{ CASE_T "#TestK.test_m", 0x23 },
		{ CASE_T "#helper", 0x26 },
		{ CASE_T "#test_four", 0x25 },
		{ CASE_T "#test_one", 0x20 },
		{ CASE_T "#test_p", 0x24 },
		{ CASE_T "#test_three", 0x22 },
		{ CASE_T "#test_two", 0x21 },
	};
	struct baseline *b = baseline_new(), *d, *k;
	struct baseline_obs_case oc;
	struct baseline_obs o;
	struct baseline_test *t;
	unsigned char *z, *raw, *raw2, *p;
	char err[128], *got;
	size_t len, rawlen, raw2len, n;
	long x;

	py_known = known;
	py_nknown = 8;
	observe_py(b, ST_OK, ST_OK);
	py_known = NULL;
	py_nknown = 0;
	baseline_fingerprint(b, root, NULL);
	t = baseline_find(b, CASE_T);
	x = baseline_element(b, CASE_T "#helper");
	ok(t->nknown == 8 && x != -1 && b->elem_fp[x] == 0x26 &&
	    t->ncases == 7, "known: in the element table, with fingerprints");
	put(CASE_T, "def test_one(): pass\ndef helper(): return 2\n");
	got = picked_helper(b, 0x99, NULL);
	is_str(got, "none", "known: a changed helper no case ran: nothing");
	free(got);
	got = picked_helper(b, 0x99, CASE_T "#test_new");
	is_str(got, "whole: new code in tests/test_a.py: whole test",
	    "known: a new test function: whole test");
	free(got);
	z = baseline_encode(b, &len);
	d = baseline_decode(z, len, err, sizeof err);
	ok(d != NULL && baseline_find(d, CASE_T)->nknown == 8 &&
	    strcmp(d->elems[baseline_find(d, CASE_T)->known[2]],
	    CASE_T "#helper") == 0, "known: decoded");
	got = d != NULL ? picked_helper(d, 0x99, NULL) : xstrdup("-");
	is_str(got, "none", "known: decoded: a changed helper: nothing");
	free(got);
	/* A subset run that says nothing of them keeps them. */
	k = baseline_new();
	baseline_keep(k, d, CASE_T);
	ok(baseline_find(k, CASE_T)->nknown == 8, "known: kept");
	memset(&oc, 0, sizeof oc);
	oc.name = CASE_T "::test_one";
	oc.status = ST_OK;
	oc.elems = known + 4;
	oc.nelems = 1;
	memset(&o, 0, sizeof o);
	o.id = CASE_T;
	o.def = 1;
	o.status = ST_OK;
	o.cases = &oc;
	o.ncases = 1;
	o.subset = 1;
	baseline_observe(k, &o);
	t = baseline_find(k, CASE_T);
	ok(t->nknown == 8 && t->ncases == 7,
	    "known: a subset run keeps the whole run's");
	o.subset = 0;
	baseline_observe(k, &o);
	ok(baseline_find(k, CASE_T)->nknown == 0,
	    "known: a whole run replaces them");
	baseline_free(k);
	baseline_free(d);
	/*
	 * The same baseline without them is the start of it: a format 2
	 * reader stops after the tests, and has the helper in its table.
	 */
	raw = zbuf_inflate(z, len, 1 << 24, &rawlen);
	free(z);
	t = baseline_find(b, CASE_T);
	n = t->nknown;
	t->nknown = 0;
	z = baseline_encode(b, &len);
	t->nknown = n;
	raw2 = zbuf_inflate(z, len, 1 << 24, &raw2len);
	ok(raw != NULL && raw2 != NULL && raw2len < rawlen &&
	    memcmp(raw, raw2, raw2len) == 0 && raw[raw2len] == 1,
	    "known: a section after the tests");
	d = baseline_decode(z, len, err, sizeof err);
	free(z);
	got = d != NULL ? picked_helper(d, 0x99, NULL) : xstrdup("-");
	is_str(got, "none", "known: without the section: the table tells");
	free(got);
	baseline_free(d);
	/* A section this reader does not know ends what it reads. */
	raw = xreallocarray(raw, rawlen + 3, 1);
	p = raw + rawlen;
	*p++ = 9;
	*p++ = 0xff;
	*p++ = 0x01;
	z = zbuf_deflate(raw, rawlen + 3, &len);
	d = baseline_decode(z, len, err, sizeof err);
	ok(d != NULL && baseline_find(d, CASE_T)->nknown == 8,
	    "known: an unknown section after them is not read: %s",
	    d == NULL ? err : "ok");
	baseline_free(d);
	free(z);
	/* Its test number out of range: corrupt. */
	raw[raw2len + 2] = 5;
	z = zbuf_deflate(raw, rawlen, &len);
	d = baseline_decode(z, len, err, sizeof err);
	ok(d == NULL && strcmp(err, "corrupt baseline") == 0,
	    "known: a test out of range: corrupt");
	baseline_free(d);
	free(z);
	free(raw);
	free(raw2);
	put(CASE_T, "def test_one(): pass\n");
	baseline_free(b);
}

/* What n of b pick together, as "KIND: CASE ...: WHY; ...". */
static char *
picked_all(struct baseline **b, int n, const struct el *changes)
{
	struct elements_now *now = table(changes);
	struct baseline_changes *c[3];
	struct baseline_pick p;
	char *s, *cases, *why;
	const char *kind[] = { "none", "cases", "whole" };
	int k;

	for (k = 0; k < n; k++) {
		c[k] = baseline_changes(b[k], root, NULL, NULL);
		baseline_changes_elements(c[k], b[k], now);
	}
	baseline_select_cases_all(b, c, n, CASE_T, 1, &p);
	cases = joined(p.cases, " ", 0);
	why = joined(p.why, "; ", 1);
	xasprintf(&s, "%s: %s: %s", kind[p.kind], cases, why);
	free(cases);
	free(why);
	baseline_pick_clear(&p);
	for (k = 0; k < n; k++)
		baseline_changes_free(c[k]);
	elements_free(now);
	return (s);
}

/* Several baselines as one: the union of their cases, whole first. */
static void
test_cases_all(void)
{
	struct el f[] = { { "pkg/mod.py#f", 0x99 }, { 0 } };
	struct baseline *b[3];
	char *s, **v;
	int k;

	for (k = 0; k < 3; k++)
		b[k] = baseline_new();
	observe_py(b[0], ST_OK, ST_OK);
	observe_py(b[1], ST_FAILED, ST_FAILED);
	observe_py(b[2], ST_OK, ST_CRASHED);
	for (k = 0; k < 3; k++)
		baseline_fingerprint(b[k], root, NULL);
	s = picked_all(b, 1, NULL);
	is_str(s, "none: -: -", "cases, all: one baseline, nothing changed");
	free(s);
	s = picked_all(b, 2, NULL);
	is_str(s, "cases: " CASE_T "::test_one: did not pass (FAILED)",
	    "cases, all: what one picks");
	free(s);
	s = picked_all(b, 3, NULL);
	is_str(s, "whole: -: did not pass in the baseline (CRASHED)",
	    "cases, all: one says whole: whole, for its reasons");
	free(s);
	put("pkg/mod.py", "def f(): return 1\n");
	s = picked_all(b, 2, f);
	is_str(s, "cases: " CASE_T "::test_one " CASE_T "::test_two: "
	    "changed: pkg/mod.py#f; did not pass (FAILED)",
	    "cases, all: the union, sorted, with every reason");
	free(s);
	put("pkg/mod.py", "def f(): pass\n");
	v = baseline_recorded_cases(b, 2, CASE_T);
	ok(strv_len(v) == 7 && baseline_recorded_cases(b, 2, "nothing") ==
	    NULL, "cases, all: the cases recorded, each once (%zu)",
	    strv_len(v));
	strv_free(v);
	for (k = 0; k < 3; k++)
		baseline_free(b[k]);
}

static void
test_cases(void)
{
	struct el f[] = { { "pkg/mod.py#f", 0x99 }, { 0 } };
	struct baseline *b = baseline_new(), *d;
	const struct baseline_test *t, *u;
	unsigned char *z;
	char err[128];
	size_t len, i, same = 0;

	py_files();
	observe_py(b, ST_OK, ST_OK);
	observe_b(b);
	baseline_fingerprint(b, root, NULL);
	cases_rules(b, "observed");
	put("pkg/mod.py", "def f(): return 1\n");
	ok(pick_is(b, f, 1, "tests/test_c.py", "whole: changed: pkg/mod.py#f",
	    NULL), "observed: every case selected: the whole test");
	ok(pick_is(b, f, 1, CASE_T, "test_one (changed: pkg/mod.py#f), "
	    "test_two (changed: pkg/mod.py#f)", NULL),
	    "observed: an element two cases ran");
	put("pkg/mod.py", "def f(): pass\n");
	z = baseline_encode(b, &len);
	d = baseline_decode(z, len, err, sizeof err);
	ok(d != NULL, "cases: decoded: %s", d == NULL ? err : "ok");
	if (d == NULL)
		exit(1);
	t = baseline_find(b, CASE_T);
	u = baseline_find(d, CASE_T);
	ok(d->nelems == b->nelems && d->nelems == 15,
	    "cases: decoded: the element table (%zu)", d->nelems);
	for (i = 0; i < d->nelems; i++)
		if (d->elem_fp[i] == was_fp(d->elems[i]) &&
		    strcmp(d->paths[d->elem_path[i]], d->elems[i]) < 0)
			same++;
	ok(same == d->nelems, "cases: decoded: each element's file and "
	    "fingerprint");
	ok(u->ncases == 7 && u->nnullcase == 4 && u->ncovered == 4 &&
	    t->ncovered == 4, "cases: decoded: cases, null case, covered");
	is_str(u->cases[2].name, CASE_T "::test_one",
	    "cases: decoded: sorted by name");
	ok(u->cases[3].nelems == 1 && u->cases[4].nelems == 1 &&
	    u->cases[3].elems == u->cases[4].elems &&
	    strcmp(d->elems[u->cases[4].elems[0]], CASE_T "#test_p") == 0,
	    "cases: decoded: the same elements as the case before");
	ok(u->cases[2].status == ST_OK && baseline_find(d,
	    "tests/test_b.py")->ncases == 0, "cases: decoded: statuses");
	cases_rules(d, "decoded");
	free(z);
	baseline_free(d);
	baseline_free(b);
	test_cases_failed();
	test_cases_subset();
	test_format1();
	test_cases_known();
	test_cases_all();
	rm("pkg/mod.py");
	rm("pkg/more.py");
	rm("pkg/lazy.py");
	rm(CASE_T);
	rm("pkg");
	rm("tests");
}

int
main(void)
{
	char dir[PATH_MAX];

	snprintf(root, sizeof root, "%s/unit-baseline.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	snprintf(dir, sizeof dir, "%s/dir", root);
	mkdir(dir, 0777);
	put("data.txt", "hello\n");
	put("lib.sh", "echo lib\n");
	put("other.txt", "other\n");
	put("dir/a", "a");
	test_hash();
	test_select();
	test_encode();
	test_merge();
	test_outputs();
	test_statcache();
	test_statcache_order();
	test_parts();
	test_cases();
	rm("statcache-order");
	rm("data.txt");
	rm("lib.sh");
	rm("other.txt");
	rm("dir/a");
	rm("statcache");
	rmdir(dir);
	rmdir(root);
	return (tap_done());
}
