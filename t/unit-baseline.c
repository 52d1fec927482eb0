/*
 * unit-baseline.c: tests of libcommon/baseline.c in TAP: fingerprints,
 * the stat cache, encoding round trips, merging a job's observations
 * into the previous baseline, and each reason selection gives.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "strv.h"
#include "xmalloc.h"

#include "tap.h"

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
	unlink(path);
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
	test_statcache();
	rm("data.txt");
	rm("lib.sh");
	rm("other.txt");
	rm("dir/a");
	rm("statcache");
	rmdir(dir);
	rmdir(root);
	return (tap_done());
}
