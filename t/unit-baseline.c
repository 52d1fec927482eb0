/*
 * unit-baseline.c: tests of libcommon/baseline.c in TAP: fingerprints,
 * the stat cache, encoding round trips, merging a job's observations
 * into the previous baseline, and each reason selection gives.
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
#include "strv.h"
#include "xmalloc.h"

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
