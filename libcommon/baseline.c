/*
 * baseline.c: building, merging, encoding and selecting from baselines
 * (baseline.h), and the stat cache that spares re-reading files whose
 * size, mtime and inode have not changed since they were hashed.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "elements.h"
#include "ignore.h"
#include "slurp.h"
#include "strv.h"
#include "xmalloc.h"
#include "zbuf.h"

#define BASELINE_MAGIC		"DAGZBL2\n"
#define BASELINE_MAGIC1		"DAGZBL1\n"	/* no elements, no cases */
#define BASELINE_MAX		(1024UL * 1024 * 1024)	/* decoded bytes */
/* Decoding: blocks are sized at most so, then grow. */
#define BLOCKS_PRESIZE		(256UL * 1024 * 1024)
#define STATCACHE_MAGIC		"dagz statcache 1\n"
#define STATCACHE_RACY_NS	2000000000LL	/* too recent to trust */

#define P1	0x9e3779b185ebca87ULL
#define P2	0xc2b2ae3d27d4eb4fULL
#define P3	0x165667b19e3779f9ULL

/*
 * An open-addressing map of strings to indices; the keys live elsewhere
 * and a function gives the key of an index. Slots keep the key's hash,
 * so that growing rehashes nothing and most mismatches cost no strcmp.
 * The first indices, sorted by key (a decoded baseline's), are found by
 * bisection instead and take no slots: their map is never built.
 */
struct map_slot {
	uint32_t	 idx;		/* index + 1; 0: empty */
	uint32_t	 h;
};

struct baseline_map {
	struct map_slot	*slots;
	size_t		 cap;		/* a power of two */
	size_t		 n;
	size_t		 sorted;	/* indices 0..sorted-1: bisected */
};

typedef const char *(*map_key_fn)(const void *, uint32_t);

struct statcache_entry {
	char		*path;
	long long	 size;
	long long	 mtime_ns;
	unsigned long long ino;
	uint64_t	 hash;
};

struct baseline_statcache {
	char			*file;
	char			*buf;		/* the file as read */
	size_t			 buflen;
	size_t			 sorted;	/* the first entries, in order */
	size_t			 hint;		/* the last one found */
	pthread_t		 loader;	/* reading the file */
	int			 loading;
	struct statcache_entry	*v;
	size_t			 n;
	struct baseline_map	 map;
	int			 dirty;
};

static struct baseline_map *sc_map(struct baseline_statcache *);
struct baseline_fp;
static uint64_t	*fp_finish(struct baseline_fp *);
static struct baseline_fp *fp_start(const struct baseline *, const char *,
		    struct baseline_statcache *);
static uint64_t	 hash_now(const char *, const char *,
		    struct baseline_statcache *);
static void	 sc_wait(struct baseline_statcache *);
static int	 sc_known(struct baseline_statcache *, const char *,
		    const struct stat *, size_t *, uint64_t *, long *);

struct baseline_changes {
	uint64_t	*now;		/* per path of the baseline */
	char		*global;	/* a global file that changed, or NULL */
	size_t		 nchanged;
	uint8_t		*ignored;	/* per path: changed, but ignored */
	/* Covered files that changed, by baseline_changes_elements. */
	uint8_t		*cov;		/* per path: enum cov_state */
	char		**cov_why;	/* per path: why COV_UNKNOWN */
	uint8_t		*cov_new;	/* per path: elements b never saw */
	uint8_t		*mod;		/* per path: its <module> changed */
	uint8_t		*echg;		/* per element: enum elem_change */
	size_t		 ncov;		/* paths of the arrays above */
};

/* What became of a covered file that changed. */
enum cov_state {
	COV_UNCHANGED,
	COV_KNOWN,		/* its elements now are known */
	COV_MISSING,		/* it is gone: so are its elements */
	COV_UNKNOWN		/* not fingerprinted: when unsure, select */
};

enum elem_change {
	ELEM_SAME,
	ELEM_CHANGED,
	ELEM_VANISHED
};

#define MODULE_SUFFIX	"#<module>"

static uint64_t
rotl(uint64_t x, int r)
{
	return ((x << r) | (x >> (64 - r)));
}

/*
 * A fast 64-bit hash in the manner of xxHash64 with one lane: words
 * multiplied in, then the tail bytes, then an avalanche. Never returns
 * BASELINE_ABSENT.
 */
uint64_t
baseline_hash(const void *buf, size_t len, uint64_t seed)
{
	const unsigned char *p = buf;
	uint64_t h = seed + P3 + len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h ^= rotl(w * P2, 31) * P1;
		h = rotl(h, 27) * P1 + P3;
	}
	for (; i < len; i++) {
		h ^= p[i] * P3;
		h = rotl(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return (h == BASELINE_ABSENT ? 1 : h);
}

static uint64_t
hash_str(const char *s, uint64_t seed)
{
	return (baseline_hash(s, strlen(s) + 1, seed));
}

static uint64_t
hash_strv(char *const *v, uint64_t h)
{
	for (; v != NULL && *v != NULL; v++)
		h = hash_str(*v, h);
	return (hash_str("", h));
}

/* What the test runs, with what environment, where. */
uint64_t
baseline_def_fingerprint(const struct test_def *d)
{
	uint64_t h = 0;

	h = d->argv != NULL ? hash_strv(d->argv, hash_str("cmd", h)) :
	    hash_str(d->sh != NULL ? d->sh : "", hash_str("sh", h));
	h = hash_strv(d->env, hash_str("env", h));
	return (hash_str(d->cwd != NULL ? d->cwd : "", hash_str("cwd", h)));
}

static uint32_t
map_hash(const char *s)
{
	return ((uint32_t)(hash_str(s, 0) >> 32));
}

/* The index of key s (of hash h), or -1. */
static long
map_find(const struct baseline_map *m, const void *ctx, map_key_fn key,
    const char *s, uint32_t h)
{
	const struct map_slot *sl;
	size_t i, lo = 0, hi = m->sorted;
	int c;

	while (lo < hi) {
		i = lo + (hi - lo) / 2;
		if ((c = strcmp(s, key(ctx, (uint32_t)i))) == 0)
			return ((long)i);
		if (c < 0)
			hi = i;
		else
			lo = i + 1;
	}
	if (m->cap == 0)
		return (-1);
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		sl = &m->slots[i];
		if (sl->idx == 0)
			return (-1);
		if (sl->h == h && strcmp(key(ctx, sl->idx - 1), s) == 0)
			return ((long)sl->idx - 1);
	}
}

static void
map_insert(struct baseline_map *m, uint32_t idx, uint32_t h)
{
	size_t i;

	for (i = h & (m->cap - 1); m->slots[i].idx != 0;
	    i = (i + 1) & (m->cap - 1))
		;
	m->slots[i].idx = idx + 1;
	m->slots[i].h = h;
	m->n++;
}

/* Room for n keys in all, at most half full. */
static void
map_reserve(struct baseline_map *m, size_t n)
{
	struct map_slot *old = m->slots;
	size_t i, oldcap = m->cap, cap = m->cap == 0 ? 64 : m->cap;

	while (n * 2 > cap)
		cap *= 2;
	if (cap == m->cap)
		return;
	m->slots = xcalloc(cap, sizeof *m->slots);
	m->cap = cap;
	m->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].idx != 0)
			map_insert(m, old[i].idx - 1, old[i].h);
	free(old);
}

static void
map_add(struct baseline_map *m, uint32_t idx, uint32_t h)
{
	map_reserve(m, m->n + 1);
	map_insert(m, idx, h);
}

static const char *
path_key(const void *ctx, uint32_t i)
{
	return (((const struct baseline *)ctx)->paths[i]);
}

static const char *
test_key(const void *ctx, uint32_t i)
{
	return (((const struct baseline *)ctx)->tests[i].id);
}

static const char *
elem_key(const void *ctx, uint32_t i)
{
	return (((const struct baseline *)ctx)->elems[i]);
}

struct baseline *
baseline_new(void)
{
	struct baseline *b = xcalloc(1, sizeof *b);

	b->pmap = xcalloc(1, sizeof *b->pmap);
	b->tmap = xcalloc(1, sizeof *b->tmap);
	b->emap = xcalloc(1, sizeof *b->emap);
	return (b);
}

/* Whether p lives in one of a decoded baseline's blocks. */
static int
in_block(const void *p, const void *block, size_t len)
{
	uintptr_t a = (uintptr_t)p, s = (uintptr_t)block;

	return (block != NULL && a >= s && a < s + len);
}

/* Frees a string, list or cases of b unless a block holds it. */
static void
b_free(const struct baseline *b, void *p)
{
	if (!in_block(p, b->strings, b->stringslen) &&
	    !in_block(p, b->ids, b->idslen) &&
	    !in_block(p, b->lists, b->listslen * sizeof *b->lists) &&
	    !in_block(p, b->caseblock, b->caseblocklen *
	    sizeof *b->caseblock))
		free(p);
}

/* Forgets the cases, covered files, null case and known elements of t. */
static void
cases_clear(const struct baseline *b, struct baseline_test *t)
{
	size_t i;

	for (i = 0; i < t->ncases; i++) {
		b_free(b, t->cases[i].name);
		b_free(b, t->cases[i].elems);
	}
	b_free(b, t->cases);
	b_free(b, t->covered);
	b_free(b, t->nullcase);
	b_free(b, t->known);
	t->cases = NULL;
	t->covered = t->nullcase = t->known = NULL;
	t->ncases = t->ncovered = t->nnullcase = t->nknown = 0;
}

void
baseline_free(struct baseline *b)
{
	size_t i;

	if (b == NULL)
		return;
	if (b->fp != NULL)
		free(fp_finish(b->fp));
	for (i = 0; i < b->npaths; i++)
		b_free(b, b->paths[i]);
	free(b->paths);
	free(b->hashes);
	free(b->global);
	for (i = 0; i < b->ntests; i++) {
		b_free(b, b->tests[i].id);
		b_free(b, b->tests[i].deps);
		b_free(b, b->tests[i].missing);
		free(b->tests[i].outputs);
		cases_clear(b, &b->tests[i]);
	}
	free(b->tests);
	for (i = 0; i < b->nelems; i++)
		b_free(b, b->elems[i]);
	free(b->elems);
	free(b->elem_path);
	free(b->elem_fp);
	free(b->strings);
	free(b->ids);
	free(b->lists);
	free(b->caseblock);
	free(b->pmap->slots);
	free(b->tmap->slots);
	free(b->emap->slots);
	free(b->pmap);
	free(b->tmap);
	free(b->emap);
	free(b);
}

/*
 * The map of paths, made when first wanted: a decoded baseline's paths
 * are sorted and unique, and selection never looks one up by name.
 */
static struct baseline_map *
paths_map(const struct baseline *b)
{
	size_t i;

	if (b->pmap->n == b->npaths)
		return (b->pmap);
	map_reserve(b->pmap, b->npaths);
	for (i = b->pmap->n; i < b->npaths; i++)
		map_insert(b->pmap, (uint32_t)i, map_hash(b->paths[i]));
	return (b->pmap);
}

/* The room an array of n grown by doubling from 16 has. */
static size_t
grown_cap(size_t n)
{
	size_t cap = 16;

	while (cap < n)
		cap *= 2;
	return (cap);
}

uint32_t
baseline_intern(struct baseline *b, const char *path)
{
	uint32_t h = map_hash(path);
	long i;

	if ((i = map_find(paths_map(b), b, path_key, path, h)) != -1)
		return ((uint32_t)i);
	if ((b->npaths & (b->npaths - 1)) == 0 || b->npaths < 16) {
		b->paths = xreallocarray(b->paths, b->npaths < 16 ? 16 :
		    b->npaths * 2, sizeof *b->paths);
		b->hashes = xreallocarray(b->hashes, b->npaths < 16 ? 16 :
		    b->npaths * 2, sizeof *b->hashes);
		b->global = xreallocarray(b->global, b->npaths < 16 ? 16 :
		    b->npaths * 2, sizeof *b->global);
	}
	b->paths[b->npaths] = xstrdup(path);
	b->hashes[b->npaths] = BASELINE_ABSENT;
	b->global[b->npaths] = 0;
	map_add(b->pmap, (uint32_t)b->npaths, h);
	return ((uint32_t)b->npaths++);
}

/*
 * The map of elements, made when first wanted, as paths_map; a decoded
 * baseline's, sorted, are bisected, and only those added since hashed.
 */
static struct baseline_map *
elems_map(const struct baseline *b)
{
	struct baseline_map *m = b->emap;
	size_t i;

	if (m->sorted + m->n == b->nelems)
		return (m);
	map_reserve(m, b->nelems - m->sorted);
	for (i = m->sorted + m->n; i < b->nelems; i++)
		map_insert(m, (uint32_t)i, map_hash(b->elems[i]));
	return (m);
}

/* The index of element name ("FILE#QUALNAME") in b, or -1. */
long
baseline_element(const struct baseline *b, const char *name)
{
	if (b->nelems == 0)
		return (-1);
	return (map_find(elems_map(b), b, elem_key, name, map_hash(name)));
}

/*
 * The index of element name, added with fingerprint fp if b had none;
 * an element b has takes fp when update is set (what a job observed),
 * not otherwise (what it kept of an earlier baseline). Its file is what
 * precedes the last '#', a path of b.
 */
uint32_t
baseline_intern_element(struct baseline *b, const char *name, uint64_t fp,
    int update)
{
	const char *hash = strrchr(name, '#');
	uint32_t h = map_hash(name), k;
	char *file;
	long i;

	if ((i = map_find(elems_map(b), b, elem_key, name, h)) != -1) {
		if (update)
			b->elem_fp[i] = fp;
		return ((uint32_t)i);
	}
	file = xstrndup(name, hash != NULL ? (size_t)(hash - name) :
	    strlen(name));
	k = baseline_intern(b, file);
	free(file);
	if ((b->nelems & (b->nelems - 1)) == 0 || b->nelems < 16) {
		b->elems = xreallocarray(b->elems, b->nelems < 16 ? 16 :
		    b->nelems * 2, sizeof *b->elems);
		b->elem_path = xreallocarray(b->elem_path, b->nelems < 16 ?
		    16 : b->nelems * 2, sizeof *b->elem_path);
		b->elem_fp = xreallocarray(b->elem_fp, b->nelems < 16 ? 16 :
		    b->nelems * 2, sizeof *b->elem_fp);
	}
	b->elems[b->nelems] = xstrdup(name);
	b->elem_path[b->nelems] = k;
	b->elem_fp[b->nelems] = fp;
	map_add(b->emap, (uint32_t)b->nelems, h);
	return ((uint32_t)b->nelems++);
}

struct baseline_test *
baseline_find(const struct baseline *b, const char *id)
{
	long i;

	if ((i = map_find(b->tmap, b, test_key, id, map_hash(id))) == -1)
		return (NULL);
	return (&b->tests[i]);
}

/* A new entry for test id, known not to be there. */
static struct baseline_test *
test_append(struct baseline *b, const char *id)
{
	struct baseline_test *t;

	if ((b->ntests & (b->ntests - 1)) == 0 || b->ntests < 16)
		b->tests = xreallocarray(b->tests, b->ntests < 16 ? 16 :
		    b->ntests * 2, sizeof *b->tests);
	t = &b->tests[b->ntests];
	memset(t, 0, sizeof *t);
	t->id = xstrdup(id);
	map_add(b->tmap, (uint32_t)b->ntests, map_hash(id));
	b->ntests++;
	return (t);
}

/* The entry of test id, new and empty if there was none. */
static struct baseline_test *
test_entry(struct baseline *b, const char *id)
{
	struct baseline_test *t;

	if ((t = baseline_find(b, id)) == NULL)
		return (test_append(b, id));
	b_free(b, t->deps);
	b_free(b, t->missing);
	free(t->outputs);
	t->deps = t->missing = NULL;
	t->outputs = NULL;
	t->ndeps = t->nmissing = t->noutputs = 0;
	cases_clear(b, t);
	return (t);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

static int
cmp_output(const void *a, const void *b)
{
	uint32_t x = ((const struct baseline_output *)a)->path;
	uint32_t y = ((const struct baseline_output *)b)->path;

	return (x < y ? -1 : x > y);
}

/* Sorts by path, keeping one output of each. */
static size_t
uniq_outputs(struct baseline_output *v, size_t n)
{
	size_t i, j;

	if (n == 0)
		return (0);
	qsort(v, n, sizeof *v, cmp_output);
	for (i = j = 1; i < n; i++)
		if (v[i].path != v[j - 1].path)
			v[j++] = v[i];
	return (j);
}

/*
 * Sorts by path, keeping of each path the output that came first in v:
 * an insertion sort, outputs are few.
 */
static size_t
uniq_outputs_stable(struct baseline_output *v, size_t n)
{
	struct baseline_output x;
	size_t i, j, k;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1].path > x.path; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	for (i = k = 1; i < n; i++)
		if (v[i].path != v[k - 1].path)
			v[k++] = v[i];
	return (n > 0 ? k : 0);
}

/* The output of path index k of test t, or NULL. */
static const struct baseline_output *
output_find(const struct baseline_test *t, uint32_t k)
{
	struct baseline_output key;

	if (t->noutputs == 0)
		return (NULL);
	key.path = k;
	return (bsearch(&key, t->outputs, t->noutputs, sizeof key,
	    cmp_output));
}

/* Sorts and removes duplicates. */
static size_t
uniq_u32(uint32_t *v, size_t n)
{
	size_t i, j;

	if (n == 0)
		return (0);
	qsort(v, n, sizeof *v, cmp_u32);
	for (i = j = 1; i < n; i++)
		if (v[i] != v[j - 1])
			v[j++] = v[i];
	return (j);
}

static void
add_paths(struct baseline *b, uint32_t **v, size_t *n, char *const *paths,
    const char *suffix)
{
	char *p;
	size_t k;

	for (k = 0; paths != NULL && paths[k] != NULL; k++) {
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		if (*suffix != '\0') {
			xasprintf(&p, "%s%s", paths[k], suffix);
			(*v)[(*n)++] = baseline_intern(b, p);
			free(p);
		} else
			(*v)[(*n)++] = baseline_intern(b, paths[k]);
	}
}

static int
cmp_case(const void *a, const void *b)
{
	return (strcmp(((const struct baseline_case *)a)->name,
	    ((const struct baseline_case *)b)->name));
}

/* The case of t called name, or NULL. */
static const struct baseline_case *
case_find(const struct baseline_case *v, size_t n, const char *name)
{
	struct baseline_case key;

	if (n == 0)
		return (NULL);
	key.name = (char *)name;
	return (bsearch(&key, v, n, sizeof key, cmp_case));
}

/* v and n more of w, into a list of its own (*v may be in a block). */
static void
list_union(const struct baseline *b, uint32_t **v, size_t *n,
    const uint32_t *w, size_t nw)
{
	uint32_t *r = xcalloc(*n + nw + 1, sizeof *r);

	if (*n > 0)
		memcpy(r, *v, *n * sizeof *r);
	if (nw > 0)
		memcpy(r + *n, w, nw * sizeof *r);
	b_free(b, *v);
	*v = r;
	*n = uniq_u32(r, *n + nw);
}

/* The worse of two statuses of one case: the one that did not pass. */
static enum test_status
worse(enum test_status a, enum test_status b)
{
	return (status_passed(a) ? b : a);
}

/*
 * Records the cases of o in t: its null case, covered files and known
 * elements join t's; a case of o replaces t's case of that name, and
 * t's others stay (t has none unless o ran a subset of them).
 */
static void
observe_cases(struct baseline *b, struct baseline_test *t,
    const struct baseline_obs *o)
{
	const struct baseline_obs_case *oc;
	struct baseline_case *nv, *v, *c;
	uint32_t *el, *cov = NULL;
	size_t i, j, n = 0, nn, ncov = 0, k;

	if (o->ncases == 0)
		return;
	nv = xcalloc(o->ncases + 1, sizeof *nv);
	for (i = 0; i < o->ncases; i++) {
		oc = &o->cases[i];
		el = xcalloc(oc->nelems + 1, sizeof *el);
		cov = xreallocarray(cov, ncov + oc->nelems + 1, sizeof *cov);
		for (j = 0; j < oc->nelems; j++) {
			el[j] = baseline_intern_element(b, oc->elems[j].name,
			    oc->elems[j].fp, 1);
			cov[ncov++] = b->elem_path[el[j]];
		}
		add_paths(b, &cov, &ncov, oc->files, "");
		if (oc->name == NULL) {
			list_union(b, &t->nullcase, &t->nnullcase, el,
			    oc->nelems);
			free(el);
			continue;
		}
		nv[n].name = xstrdup(oc->name);
		nv[n].status = oc->status;
		nv[n].elems = el;
		nv[n].nelems = uniq_u32(el, oc->nelems);
		n++;
	}
	list_union(b, &t->covered, &t->ncovered, cov, ncov);
	free(cov);
	el = xcalloc(o->nknown + 1, sizeof *el);
	for (j = 0; j < o->nknown; j++)
		el[j] = baseline_intern_element(b, o->known[j].name,
		    o->known[j].fp, 1);
	list_union(b, &t->known, &t->nknown, el, o->nknown);
	free(el);
	/* A name given twice is one case: what both ran, the worse status. */
	qsort(nv, n, sizeof *nv, cmp_case);
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(nv[j - 1].name, nv[i].name) == 0) {
			c = &nv[j - 1];
			list_union(b, &c->elems, &c->nelems, nv[i].elems,
			    nv[i].nelems);
			c->status = worse(c->status, nv[i].status);
			free(nv[i].name);
			free(nv[i].elems);
		} else
			nv[j++] = nv[i];
	}
	n = j;
	/* t's cases that o did not run, then o's, sorted. */
	v = xcalloc(t->ncases + n + 1, sizeof *v);
	for (i = nn = 0; i < t->ncases; i++) {
		if (case_find(nv, n, t->cases[i].name) != NULL) {
			b_free(b, t->cases[i].name);
			b_free(b, t->cases[i].elems);
		} else
			v[nn++] = t->cases[i];
	}
	for (k = 0; k < n; k++)
		v[nn++] = nv[k];
	free(nv);
	b_free(b, t->cases);
	qsort(v, nn, sizeof *v, cmp_case);
	t->cases = v;
	t->ncases = nn;
}

/* *v (n long) as a list of its own, to grow: *v may be in a block. */
static void
list_own(const struct baseline *b, uint32_t **v, size_t n)
{
	uint32_t *r = xcalloc(n + 1, sizeof *r);

	if (n > 0)
		memcpy(r, *v, n * sizeof *r);
	b_free(b, *v);
	*v = r;
}

/*
 * A subset run of test t, which b has with its cases: what it read
 * joins what t read, its cases replace t's of those names. Its duration
 * is not the whole test's: a whole run's is kept.
 */
static void
observe_subset(struct baseline *b, struct baseline_test *t,
    const struct baseline_obs *o)
{
	struct baseline_output *out;
	size_t i, n = 0;

	t->def = o->def;
	t->status = o->status;
	t->incomplete = t->incomplete || o->incomplete;
	if (t->duration <= 0)
		t->duration = o->duration;
	list_own(b, &t->deps, t->ndeps);
	list_own(b, &t->missing, t->nmissing);
	add_paths(b, &t->deps, &t->ndeps, o->reads, "");
	add_paths(b, &t->deps, &t->ndeps, o->lists, "/");
	add_paths(b, &t->missing, &t->nmissing, o->missing, "");
	t->ndeps = uniq_u32(t->deps, t->ndeps);
	t->nmissing = uniq_u32(t->missing, t->nmissing);
	/* This job's outputs first: uniq_outputs keeps the first of each. */
	out = xcalloc(o->noutputs + t->noutputs + 1, sizeof *out);
	for (i = 0; i < o->noutputs; i++) {
		out[n].path = baseline_intern(b, o->outputs[i].path);
		out[n].in = o->outputs[i].in;
		out[n++].out = o->outputs[i].out;
	}
	for (i = 0; i < t->noutputs; i++)
		out[n++] = t->outputs[i];
	free(t->outputs);
	t->outputs = out;
	t->noutputs = n > 0 ? uniq_outputs_stable(out, n) : 0;
	observe_cases(b, t, o);
}

/*
 * Records what a job saw of a test, replacing what was known of it; a
 * subset run updates what b knows of it instead (o->subset).
 */
void
baseline_observe(struct baseline *b, const struct baseline_obs *o)
{
	struct baseline_test *t;
	size_t i;

	if (o->subset && (t = baseline_find(b, o->id)) != NULL &&
	    t->ncases > 0) {
		observe_subset(b, t, o);
		return;
	}
	t = test_entry(b, o->id);
	t->def = o->def;
	t->duration = o->duration;
	t->status = o->status;
	t->incomplete = o->incomplete;
	add_paths(b, &t->deps, &t->ndeps, o->reads, "");
	add_paths(b, &t->deps, &t->ndeps, o->lists, "/");
	add_paths(b, &t->missing, &t->nmissing, o->missing, "");
	t->ndeps = uniq_u32(t->deps, t->ndeps);
	t->nmissing = uniq_u32(t->missing, t->nmissing);
	t->outputs = xcalloc(o->noutputs + 1, sizeof *t->outputs);
	for (i = 0; i < o->noutputs; i++) {
		t->outputs[i].path = baseline_intern(b, o->outputs[i].path);
		t->outputs[i].in = o->outputs[i].in;
		t->outputs[i].out = o->outputs[i].out;
	}
	t->noutputs = uniq_outputs(t->outputs, o->noutputs);
	observe_cases(b, t, o);
	/* The cases it did not run are not known: when unsure, select. */
	if (o->subset)
		t->incomplete = 1;
}

/* Elements v (n) of old as elements of b, sorted; their count in *nout. */
static uint32_t *
keep_elems(struct baseline *b, const struct baseline *old, const uint32_t *v,
    size_t n, size_t *nout)
{
	uint32_t *r = xcalloc(n + 1, sizeof *r);
	size_t i;

	for (i = 0; i < n; i++)
		r[i] = baseline_intern_element(b, old->elems[v[i]],
		    old->elem_fp[v[i]], 0);
	*nout = uniq_u32(r, n);
	return (r);
}

/* Copies test id from old into b, as old knew it; absent: nothing. */
void
baseline_keep(struct baseline *b, const struct baseline *old, const char *id)
{
	const struct baseline_test *o;
	struct baseline_test *t;
	size_t i;

	if ((o = baseline_find(old, id)) == NULL)
		return;
	t = test_entry(b, id);
	t->def = o->def;
	t->duration = o->duration;
	t->status = o->status;
	t->incomplete = o->incomplete;
	t->deps = xcalloc(o->ndeps + 1, sizeof *t->deps);
	for (i = 0; i < o->ndeps; i++)
		t->deps[i] = baseline_intern(b, old->paths[o->deps[i]]);
	t->ndeps = uniq_u32(t->deps, o->ndeps);
	t->missing = xcalloc(o->nmissing + 1, sizeof *t->missing);
	for (i = 0; i < o->nmissing; i++)
		t->missing[i] = baseline_intern(b, old->paths[o->missing[i]]);
	t->nmissing = uniq_u32(t->missing, o->nmissing);
	t->outputs = xcalloc(o->noutputs + 1, sizeof *t->outputs);
	for (i = 0; i < o->noutputs; i++) {
		t->outputs[i] = o->outputs[i];
		t->outputs[i].path = baseline_intern(b,
		    old->paths[o->outputs[i].path]);
	}
	t->noutputs = uniq_outputs(t->outputs, o->noutputs);
	t->covered = xcalloc(o->ncovered + 1, sizeof *t->covered);
	for (i = 0; i < o->ncovered; i++)
		t->covered[i] = baseline_intern(b, old->paths[o->covered[i]]);
	t->ncovered = uniq_u32(t->covered, o->ncovered);
	t->nullcase = keep_elems(b, old, o->nullcase, o->nnullcase,
	    &t->nnullcase);
	t->known = keep_elems(b, old, o->known, o->nknown, &t->nknown);
	t->cases = xcalloc(o->ncases + 1, sizeof *t->cases);
	for (i = 0; i < o->ncases; i++) {
		t->cases[i].name = xstrdup(o->cases[i].name);
		t->cases[i].status = o->cases[i].status;
		t->cases[i].elems = keep_elems(b, old, o->cases[i].elems,
		    o->cases[i].nelems, &t->cases[i].nelems);
	}
	t->ncases = o->ncases;
}

/*
 * Drops from *v (n long) the paths of b that match the patterns, into a
 * list of its own: a decoded baseline's tests may share one.
 */
static size_t
drop_ignored(struct baseline *b, uint32_t **v, size_t n,
    char *const *patterns)
{
	uint32_t *nv;
	size_t i, j;

	for (i = 0; i < n; i++)
		if (ignore_match(patterns, b->paths[(*v)[i]]))
			break;
	if (i == n)
		return (n);
	nv = xcalloc(n + 1, sizeof *nv);
	for (i = j = 0; i < n; i++)
		if (!ignore_match(patterns, b->paths[(*v)[i]]))
			nv[j++] = (*v)[i];
	b_free(b, *v);
	*v = nv;
	return (j);
}

/*
 * Drops every path matching the ignore patterns from the tests'
 * dependencies and missing paths: such a path never selects.
 */
void
baseline_ignore(struct baseline *b, char *const *patterns)
{
	struct baseline_test *t;
	size_t i;

	if (patterns == NULL || patterns[0] == NULL)
		return;
	for (i = 0; i < b->ntests; i++) {
		t = &b->tests[i];
		t->ndeps = drop_ignored(b, &t->deps, t->ndeps, patterns);
		t->nmissing = drop_ignored(b, &t->missing, t->nmissing,
		    patterns);
		t->ncovered = drop_ignored(b, &t->covered, t->ncovered,
		    patterns);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* A directory's listing: its sorted entry names. */
static uint64_t
hash_listing(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	uint64_t h;

	if ((d = opendir(dir)) == NULL)
		return (BASELINE_ABSENT);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	h = hash_str("dir", 0);
	for (i = 0; i < n; i++) {
		h = hash_str(names[i], h);
		free(names[i]);
	}
	free(names);
	return (h == BASELINE_ABSENT ? 1 : h);
}

/* The fingerprint of path (relative to root) as it is now. */
static uint64_t
hash_now(const char *root, const char *path, struct baseline_statcache *sc)
{
	char buf[2 * PATH_MAX], *full = buf;
	size_t len = strlen(path), rlen = strlen(root);
	uint64_t h = BASELINE_ABSENT;

	/* Once per path of the baseline: no allocation when it fits. */
	if (rlen + len + 2 > sizeof buf)
		full = xmalloc(rlen + len + 2);
	memcpy(full, root, rlen);
	full[rlen] = '/';
	memcpy(full + rlen + 1, path, len + 1);
	if (len > 0 && path[len - 1] == '/')
		h = hash_listing(full);
	else if (baseline_statcache_hash(sc, full, &h) == -1)
		h = BASELINE_ABSENT;
	if (full != buf)
		free(full);
	return (h);
}

/* The fingerprint of path, relative to root, as it is now. */
uint64_t
baseline_path_hash(const char *root, const char *path,
    struct baseline_statcache *sc)
{
	return (hash_now(root, path, sc));
}

/* Fingerprints every path of b as it is under root now. */
int
baseline_fingerprint(struct baseline *b, const char *root,
    struct baseline_statcache *sc)
{
	size_t i;

	for (i = 0; i < b->npaths; i++)
		b->hashes[i] = hash_now(root, b->paths[i], sc);
	return (0);
}

/* The files under root that match the patterns, relative, as a strv. */
static char **
glob_root(const char *root, char *const *patterns)
{
	glob_t g;
	char *pat, **out = NULL;
	size_t i, k, rl = strlen(root);

	for (k = 0; patterns != NULL && patterns[k] != NULL; k++) {
		xasprintf(&pat, "%s/%s", root, patterns[k]);
		memset(&g, 0, sizeof g);
		if (glob(pat, 0, NULL, &g) == 0)
			for (i = 0; i < g.gl_pathc; i++)
				if (strncmp(g.gl_pathv[i], root, rl) == 0 &&
				    g.gl_pathv[i][rl] == '/')
					out = strv_push(out,
					    g.gl_pathv[i] + rl + 1);
		globfree(&g);
		free(pat);
	}
	return (out);
}

/* Records the files matching the global patterns, fingerprinted. */
void
baseline_add_globals(struct baseline *b, const char *root,
    char *const *patterns, struct baseline_statcache *sc)
{
	char **files = glob_root(root, patterns);
	uint32_t k;
	size_t i;

	for (i = 0; files != NULL && files[i] != NULL; i++) {
		k = baseline_intern(b, files[i]);
		b->global[k] = 1;
		b->hashes[k] = hash_now(root, files[i], sc);
	}
	strv_free(files);
}

/* Encoding. */

struct wbuf {
	unsigned char	*p;
	size_t		 n;
	size_t		 cap;
};

static void
w_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (w->n + n > w->cap) {
		while (w->n + n > w->cap)
			w->cap = w->cap == 0 ? 4096 : w->cap * 2;
		w->p = xreallocarray(w->p, w->cap, 1);
	}
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

/* Seconds as whole milliseconds, those beyond a uint64_t the largest. */
static uint64_t
ms_of(double s)
{
	double ms = s * 1000 + 0.5;

	return (ms >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)ms);
}

static void
w_var(struct wbuf *w, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	while (v >= 0x80) {
		b[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	b[n++] = (unsigned char)v;
	w_bytes(w, b, n);
}

static void
w_u64(struct wbuf *w, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	w_bytes(w, b, 8);
}

/* A string front-coded against the previous one. */
static void
w_front(struct wbuf *w, const char *s, const char **prev)
{
	size_t common = 0, len = strlen(s);

	if (*prev != NULL)
		while ((*prev)[common] != '\0' && (*prev)[common] == s[common])
			common++;
	w_var(w, common);
	w_var(w, len - common);
	w_bytes(w, s + common, len - common);
	*prev = s;
}

static void
w_list(struct wbuf *w, const uint32_t *v, size_t n, const uint32_t *remap)
{
	uint32_t *r = xcalloc(n + 1, sizeof *r), last = 0;
	size_t i;

	for (i = 0; i < n; i++)
		r[i] = remap[v[i]];
	n = uniq_u32(r, n);
	w_var(w, n);
	for (i = 0; i < n; i++) {
		w_var(w, r[i] - last);
		last = r[i];
	}
	free(r);
}

/* Outputs: count, then each path number delta-coded, in and out. */
static void
w_outputs(struct wbuf *w, const struct baseline_output *v, size_t n,
    const uint32_t *remap)
{
	struct baseline_output *r = xcalloc(n + 1, sizeof *r);
	uint32_t last = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		r[i] = v[i];
		r[i].path = remap[v[i].path];
	}
	n = uniq_outputs(r, n);
	w_var(w, n);
	for (i = 0; i < n; i++) {
		w_var(w, r[i].path - last);
		last = r[i].path;
		w_u64(w, r[i].in);
		w_u64(w, r[i].out);
	}
	free(r);
}

static const struct baseline *sort_b;

static int
cmp_path_idx(const void *a, const void *b)
{
	return (strcmp(sort_b->paths[*(const uint32_t *)a],
	    sort_b->paths[*(const uint32_t *)b]));
}

static int
cmp_elem_idx(const void *a, const void *b)
{
	return (strcmp(sort_b->elems[*(const uint32_t *)a],
	    sort_b->elems[*(const uint32_t *)b]));
}

static int
cmp_test_idx(const void *a, const void *b)
{
	return (strcmp(sort_b->tests[*(const uint32_t *)a].id,
	    sort_b->tests[*(const uint32_t *)b].id));
}

/* The same deps list as an earlier test's: that test's list number. */
static int
same_list(const struct baseline_test *a, const struct baseline_test *b)
{
	return (a->ndeps == b->ndeps &&
	    memcmp(a->deps, b->deps, a->ndeps * sizeof *a->deps) == 0);
}

/* Whether two cases ran the same elements. */
static int
same_elems(const struct baseline_case *a, const struct baseline_case *b)
{
	return (a->nelems == b->nelems && memcmp(a->elems, b->elems,
	    a->nelems * sizeof *a->elems) == 0);
}

/*
 * A test's cases: its covered paths, its null case, then its cases by
 * name, each front-coded, with its status and a mark when it ran what
 * the case before it ran, else its elements (the cases of one test tend
 * to run the same helpers).
 */
static void
w_cases(struct wbuf *w, const struct baseline_test *t, const uint32_t *remap,
    const uint32_t *eremap)
{
	const struct baseline_case *c, *prevc = NULL;
	const char *prev = NULL;
	size_t i;
	int same;

	w_list(w, t->covered, t->ncovered, remap);
	w_list(w, t->nullcase, t->nnullcase, eremap);
	w_var(w, t->ncases);
	for (i = 0; i < t->ncases; i++) {
		c = &t->cases[i];
		same = prevc != NULL && c->nelems > 0 && same_elems(c, prevc);
		w_front(w, c->name, &prev);
		w_var(w, (uint64_t)c->status << 1 | (same ? 1 : 0));
		if (!same)
			w_list(w, c->elems, c->nelems, eremap);
		prevc = c;
	}
}

/* The tag of the section of known elements, after the tests. */
#define SECTION_KNOWN	1

/*
 * The known elements of the tests (torder: the tests in the order they
 * were written), as a section after them: its tag, the count of tests
 * with some, then each one's number delta-coded and its list.
 */
static void
w_known(struct wbuf *w, const struct baseline *b, const uint32_t *torder,
    const uint32_t *eremap)
{
	const struct baseline_test *t;
	size_t i, n = 0, last = 0;

	for (i = 0; i < b->ntests; i++)
		if (b->tests[i].nknown > 0)
			n++;
	if (n == 0)
		return;
	w_var(w, SECTION_KNOWN);
	w_var(w, n);
	for (i = 0; i < b->ntests; i++) {
		t = &b->tests[torder[i]];
		if (t->nknown == 0)
			continue;
		w_var(w, i - last);
		last = i;
		w_list(w, t->known, t->nknown, eremap);
	}
}

/*
 * The baseline as a zlib stream: paths sorted and front-coded with their
 * fingerprints, elements likewise, then tests sorted by id, each with
 * its lists of path numbers delta-coded, or a reference to the previous
 * test's list when it is the same (tests of one script read the same
 * files), and its cases.
 */
unsigned char *
baseline_encode(const struct baseline *b, size_t *len)
{
	struct wbuf w = { NULL, 0, 0 };
	const struct baseline_test *t, *prevt = NULL;
	uint32_t *order, *remap, *torder, *eorder, *eremap;
	const char *prev = NULL;
	unsigned char *z;
	size_t i;
	uint64_t d, flags;

	order = xcalloc(b->npaths + 1, sizeof *order);
	remap = xcalloc(b->npaths + 1, sizeof *remap);
	torder = xcalloc(b->ntests + 1, sizeof *torder);
	for (i = 0; i < b->npaths; i++)
		order[i] = (uint32_t)i;
	for (i = 0; i < b->ntests; i++)
		torder[i] = (uint32_t)i;
	sort_b = b;
	qsort(order, b->npaths, sizeof *order, cmp_path_idx);
	qsort(torder, b->ntests, sizeof *torder, cmp_test_idx);
	sort_b = NULL;
	for (i = 0; i < b->npaths; i++)
		remap[order[i]] = (uint32_t)i;
	eorder = xcalloc(b->nelems + 1, sizeof *eorder);
	eremap = xcalloc(b->nelems + 1, sizeof *eremap);
	for (i = 0; i < b->nelems; i++)
		eorder[i] = (uint32_t)i;
	sort_b = b;
	qsort(eorder, b->nelems, sizeof *eorder, cmp_elem_idx);
	sort_b = NULL;
	for (i = 0; i < b->nelems; i++)
		eremap[eorder[i]] = (uint32_t)i;

	w_bytes(&w, BASELINE_MAGIC, strlen(BASELINE_MAGIC));
	w_var(&w, b->npaths);
	for (i = 0; i < b->npaths; i++) {
		w_front(&w, b->paths[order[i]], &prev);
		w_bytes(&w, &b->global[order[i]], 1);
		w_u64(&w, b->hashes[order[i]]);
	}
	w_var(&w, b->nelems);
	prev = NULL;
	for (i = 0; i < b->nelems; i++) {
		w_front(&w, b->elems[eorder[i]], &prev);
		w_var(&w, remap[b->elem_path[eorder[i]]]);
		w_u64(&w, b->elem_fp[eorder[i]]);
	}
	w_var(&w, b->ntests);
	prev = NULL;
	for (i = 0; i < b->ntests; i++) {
		t = &b->tests[torder[i]];
		w_front(&w, t->id, &prev);
		w_u64(&w, t->def);
		w_var(&w, (uint64_t)t->status);
		d = t->duration > 0 ? ms_of(t->duration) : 0;
		w_var(&w, d);
		flags = (t->incomplete ? 1 : 0) | (t->noutputs > 0 ? 4 : 0) |
		    (t->ncases > 0 || t->ncovered > 0 || t->nnullcase > 0 ?
		    8 : 0);
		if (prevt != NULL && t->ndeps > 0 && same_list(t, prevt))
			w_var(&w, 2 | flags);
		else {
			w_var(&w, flags);
			w_list(&w, t->deps, t->ndeps, remap);
		}
		w_list(&w, t->missing, t->nmissing, remap);
		if (t->noutputs > 0)
			w_outputs(&w, t->outputs, t->noutputs, remap);
		if ((flags & 8) != 0)
			w_cases(&w, t, remap, eremap);
		prevt = t;
	}
	w_known(&w, b, torder, eremap);
	free(order);
	free(remap);
	free(torder);
	free(eorder);
	free(eremap);
	z = zbuf_deflate(w.p, w.n, len);
	free(w.p);
	return (z);
}

struct rbuf {
	const unsigned char	*p;
	size_t			 n;
	size_t			 off;
	int			 bad;
};

static uint64_t
r_var(struct rbuf *r)
{
	uint64_t v = 0;
	int shift = 0;

	while (r->off < r->n && shift < 64) {
		v |= (uint64_t)(r->p[r->off] & 0x7f) << shift;
		if ((r->p[r->off++] & 0x80) == 0)
			return (v);
		shift += 7;
	}
	r->bad = 1;
	return (0);
}

static uint64_t
r_u64(struct rbuf *r)
{
	uint64_t v = 0;
	int i;

	if (r->off + 8 > r->n) {
		r->bad = 1;
		return (0);
	}
	for (i = 0; i < 8; i++)
		v |= (uint64_t)r->p[r->off + i] << (8 * i);
	r->off += 8;
	return (v);
}

/* What w_outputs wrote, into a new array; NULL when bad. */
static struct baseline_output *
r_outputs(struct rbuf *r, size_t npaths, size_t *n)
{
	struct baseline_output *v;
	uint64_t k, i, last = 0;

	k = r_var(r);
	if (r->bad || k == 0 || k > npaths || k > r->n - r->off) {
		r->bad = 1;
		return (NULL);
	}
	v = xcalloc(k, sizeof *v);
	for (i = 0; i < k; i++) {
		last += r_var(r);
		v[i].in = r_u64(r);
		v[i].out = r_u64(r);
		if (r->bad || last >= npaths ||
		    (i > 0 && last == v[i - 1].path)) {
			r->bad = 1;
			free(v);
			return (NULL);
		}
		v[i].path = (uint32_t)last;
	}
	*n = k;
	return (v);
}

/*
 * The blocks a baseline is decoded into: strings, and lists of path
 * numbers, each list preceded by nothing and followed by a spare slot
 * so that an empty one still has an address of its own. Places are
 * offsets until decoding ends, for the blocks move as they grow. They
 * are sized once from the decoded length (blocks_size), so that they
 * seldom grow: each slot of a list stands for a byte or more of it (an
 * element; its count for the spare slot).
 */
struct blocks {
	char		*s;
	size_t		 slen, scap;
	uint32_t	*l;
	size_t		 llen, lcap;
	struct baseline_case *c;	/* every test's cases, each ended */
	size_t		 clen, ccap;	/* by a zeroed one */
};

static void
blocks_room(struct blocks *a, size_t strbytes, size_t listslots)
{
	if (a->slen + strbytes > a->scap) {
		while (a->slen + strbytes > a->scap)
			a->scap = a->scap == 0 ? 65536 : a->scap * 2;
		a->s = xreallocarray(a->s, a->scap, 1);
	}
	if (a->llen + listslots > a->lcap) {
		while (a->llen + listslots > a->lcap)
			a->lcap = a->lcap == 0 ? 16384 : a->lcap * 2;
		a->l = xreallocarray(a->l, a->lcap, sizeof *a->l);
	}
}

/*
 * A block of n items of size bytes holding the len of p: huge pages
 * where the system gives them (xmalloc_huge), for a decoded baseline of
 * many cases is tens of megabytes written once, and a fault a 4 KiB
 * page is much of its cost.
 */
static void *
blocks_grow(void *p, size_t len, size_t n, size_t size)
{
	void *q;

	q = xmalloc_huge(n * size);	/* n is BLOCKS_PRESIZE at most */
	if (len > 0)
		memcpy(q, p, len * size);
	free(p);
	return (q);
}

/*
 * Room in a for what rawlen bytes of a baseline decode to: every list
 * (rawlen slots at most), every case (one takes 3 bytes or more, and so
 * does a test's end of them) and strings of about twice rawlen; at most
 * BLOCKS_PRESIZE bytes each, beyond which they grow. Pages not written
 * to are never touched, so the room costs nothing.
 */
static void
blocks_size(struct blocks *a, size_t rawlen)
{
	size_t n;

	n = 2 * rawlen + 1 < BLOCKS_PRESIZE ? 2 * rawlen + 1 : BLOCKS_PRESIZE;
	if (a->scap < a->slen + n) {
		a->scap = a->slen + n;
		a->s = blocks_grow(a->s, a->slen, a->scap, 1);
	}
	n = rawlen + 1 < BLOCKS_PRESIZE / sizeof *a->l ? rawlen + 1 :
	    BLOCKS_PRESIZE / sizeof *a->l;
	if (a->lcap < a->llen + n) {
		a->lcap = a->llen + n;
		a->l = blocks_grow(a->l, a->llen, a->lcap, sizeof *a->l);
	}
	n = rawlen / 3 * 2 + 1 < BLOCKS_PRESIZE / sizeof *a->c ?
	    rawlen / 3 * 2 + 1 : BLOCKS_PRESIZE / sizeof *a->c;
	if (a->ccap < a->clen + n) {
		a->ccap = a->clen + n;
		a->c = blocks_grow(a->c, a->clen, a->ccap, sizeof *a->c);
	}
}

/* Room for n cases, zeroed, appended to the cases; their offset. */
static size_t
blocks_cases(struct blocks *a, size_t n)
{
	size_t off = a->clen;

	if (a->clen + n > a->ccap) {
		while (a->clen + n > a->ccap)
			a->ccap = a->ccap == 0 ? 1024 : a->ccap * 2;
		a->c = xreallocarray(a->c, a->ccap, sizeof *a->c);
	}
	memset(a->c + off, 0, n * sizeof *a->c);
	a->clen += n;
	return (off);
}

/*
 * A string front-coded against the one at prev (of length *prevlen),
 * appended to the strings; its offset, or -1.
 */
static long
r_front(struct rbuf *r, struct blocks *a, size_t prev, size_t *prevlen)
{
	uint64_t common = r_var(r), rest = r_var(r);
	size_t off = a->slen;

	if (r->bad || common > *prevlen || rest > r->n - r->off ||
	    memchr(r->p + r->off, '\0', rest) != NULL) {
		r->bad = 1;
		return (-1);
	}
	blocks_room(a, common + rest + 1, 0);
	memmove(a->s + off, a->s + prev, common);
	memcpy(a->s + off + common, r->p + r->off, rest);
	a->s[off + common + rest] = '\0';
	r->off += rest;
	a->slen += common + rest + 1;
	*prevlen = common + rest;
	return ((long)off);
}

/* A delta-coded list, appended to the lists; its offset. */
static size_t
r_list(struct rbuf *r, struct blocks *a, size_t npaths, size_t *n)
{
	uint64_t k, i, last = 0;
	size_t off = a->llen;

	k = r_var(r);
	if (r->bad || k > npaths || k > r->n - r->off) {
		r->bad = 1;
		k = 0;
	}
	blocks_room(a, 0, k + 1);
	for (i = 0; i < k; i++) {
		last += r_var(r);
		if (r->bad || last >= npaths || (i > 0 && last ==
		    a->l[off + i - 1])) {
			r->bad = 1;
			k = i;
			break;
		}
		a->l[off + i] = (uint32_t)last;
	}
	a->l[off + k] = 0;
	a->llen += k + 1;
	*n = k;
	return (off);
}

/*
 * What w_cases wrote, into t: its cases, strings and lists into the
 * blocks, their offsets where the pointers go (its cases' plus one, so
 * that it has cases; the offsets of its covered paths and null case in
 * *coff, *noff) until decoding ends.
 */
static void
r_cases(struct rbuf *r, struct blocks *a, size_t np, size_t ne,
    struct baseline_test *t, size_t *coff, size_t *noff)
{
	struct baseline_case *c, *cv;
	uint64_t n, i, st;
	size_t prevlen = 0, prev = 0, off;
	long so;

	*coff = r_list(r, a, np, &t->ncovered);
	*noff = r_list(r, a, ne, &t->nnullcase);
	n = r_var(r);
	if (r->bad || n > r->n - r->off) {
		r->bad = 1;
		return;
	}
	/* The lists and strings below grow, but not the cases. */
	cv = a->c + (off = blocks_cases(a, n + 1));
	t->cases = (struct baseline_case *)(uintptr_t)(off + 1);
	for (i = 0; i < n; i++) {
		c = &cv[i];
		if ((so = r_front(r, a, prev, &prevlen)) == -1)
			return;
		if (i > 0 && strcmp(a->s + prev, a->s + so) >= 0) {
			r->bad = 1;
			return;
		}
		c->name = (char *)(uintptr_t)so;
		prev = (size_t)so;
		st = r_var(r);
		c->status = (st >> 1) < ST__COUNT ? (enum test_status)(st >> 1) :
		    ST_FAILED;
		if ((st & 1) != 0) {
			if (i == 0) {
				r->bad = 1;
				return;
			}
			c->elems = c[-1].elems;
			c->nelems = c[-1].nelems;
		} else
			c->elems = (uint32_t *)(uintptr_t)r_list(r, a, ne,
			    &c->nelems);
		if (r->bad)
			return;
		t->ncases = i + 1;
	}
}

/*
 * The sections after the tests (nt of them) that this reader knows, up
 * to the first it does not: the known elements into the blocks, each
 * test's offset plus one in koff (0: none) until decoding ends.
 */
static void
r_sections(struct rbuf *r, struct blocks *a, size_t ne, struct baseline *b,
    uint64_t nt, size_t *koff)
{
	uint64_t n, i, k, d, last = 0;
	size_t off;

	while (!r->bad && r->off < r->n && r_var(r) == SECTION_KNOWN) {
		n = r_var(r);
		if (r->bad || n > nt) {
			r->bad = 1;
			return;
		}
		for (i = 0; i < n; i++) {
			d = r_var(r);
			k = i == 0 ? d : last + d;
			if (r->bad || d >= nt || k >= nt || (i > 0 && d == 0) ||
			    koff[k] != 0) {
				r->bad = 1;
				return;
			}
			off = r_list(r, a, ne, &b->tests[k].nknown);
			koff[k] = off + 1;
			last = k;
		}
	}
}

/*
 * The element table, into b: names into the blocks, their offsets in
 * *eoff until decoding ends. Names are sorted, each of a path of b.
 */
static void
r_elems(struct rbuf *r, struct blocks *a, struct baseline *b, size_t **eoff,
    size_t *nelems)
{
	uint64_t n, i, k;
	size_t prevlen = 0, plen;
	long so;

	n = r_var(r);
	if (r->bad || n > r->n - r->off) {
		r->bad = 1;
		return;
	}
	*eoff = xcalloc(n + 1, sizeof **eoff);
	b->elem_path = xcalloc(grown_cap(n), sizeof *b->elem_path);
	b->elem_fp = xcalloc(grown_cap(n), sizeof *b->elem_fp);
	for (i = 0; i < n; i++) {
		if ((so = r_front(r, a, i > 0 ? (*eoff)[i - 1] : 0,
		    &prevlen)) == -1)
			return;
		(*eoff)[i] = (size_t)so;
		k = r_var(r);
		b->elem_fp[i] = r_u64(r);
		if (r->bad || k >= b->npaths || (i > 0 && strcmp(a->s +
		    (*eoff)[i - 1], a->s + so) >= 0)) {
			r->bad = 1;
			return;
		}
		plen = strlen(b->paths[k]);
		if (strncmp(a->s + so, b->paths[k], plen) != 0 ||
		    a->s[so + plen] != '#' || strchr(a->s + so + plen + 1,
		    '#') != NULL) {
			r->bad = 1;
			return;
		}
		b->elem_path[i] = (uint32_t)k;
		*nelems = i + 1;
	}
}

/*
 * Decodes a baseline. Its strings and lists go into blocks, not an
 * allocation each: a baseline of 100,000 tests is loaded before every
 * job. The map of paths is left for paths_map to make if it is wanted.
 * Given a root and a cache, its files are fingerprinted on other threads
 * from when its paths are read, while its tests are; baseline_changes
 * takes the result.
 */
struct baseline *
baseline_load(const void *z, size_t zlen, const char *root,
    struct baseline_statcache *sc, char *err, size_t errlen)
{
	struct baseline *b;
	struct baseline_test *t;
	struct blocks a;
	struct rbuf r;
	unsigned char *raw;
	size_t rawlen, mlen = strlen(BASELINE_MAGIC), prevlen, *off = NULL;
	size_t *doff = NULL, *moff = NULL, *coff = NULL, *noff = NULL;
	size_t *eoff = NULL, *koff = NULL, ne = 0, j;
	uint64_t np, nt = 0, i, flags, st;
	long so;
	int v1;

	if ((raw = zbuf_inflate(z, zlen, BASELINE_MAX, &rawlen)) == NULL) {
		snprintf(err, errlen, "not a zlib stream");
		return (NULL);
	}
	v1 = rawlen >= mlen && memcmp(raw, BASELINE_MAGIC1, mlen) == 0;
	if (rawlen < mlen || (memcmp(raw, BASELINE_MAGIC, mlen) != 0 &&
	    !v1)) {
		free(raw);
		snprintf(err, errlen, "not a baseline");
		return (NULL);
	}
	memset(&r, 0, sizeof r);
	memset(&a, 0, sizeof a);
	r.p = raw;
	r.n = rawlen;
	r.off = mlen;
	b = baseline_new();
	np = r_var(&r);
	if (np > rawlen)
		np = 0, r.bad = 1;
	b->paths = xcalloc(grown_cap(np), sizeof *b->paths);
	b->hashes = xcalloc(grown_cap(np), sizeof *b->hashes);
	b->global = xcalloc(grown_cap(np), sizeof *b->global);
	off = xcalloc(np + 1, sizeof *off);
	for (i = 0, prevlen = 0; i < np && !r.bad; i++) {
		if ((so = r_front(&r, &a, i > 0 ? off[i - 1] : 0,
		    &prevlen)) == -1 || r.off >= r.n)
			break;
		off[i] = (size_t)so;
		if (i > 0 && strcmp(a.s + off[i - 1], a.s + off[i]) >= 0)
			r.bad = 1;
		b->global[i] = r.p[r.off++] != 0;
		b->hashes[i] = r_u64(&r);
	}
	if (i != np)
		r.bad = 1;
	/* The paths are all read: their block moves no more. */
	b->strings = a.s;
	b->stringslen = a.slen;
	a.s = NULL;
	a.slen = a.scap = 0;
	if (!r.bad) {
		for (i = 0; i < np; i++)
			b->paths[i] = b->strings + off[i];
		b->npaths = np;
		b->fp = fp_start(b, root, sc);
	}
	free(off);
	blocks_size(&a, rawlen - r.off);
	if (!r.bad && !v1)
		r_elems(&r, &a, b, &eoff, &ne);
	if (!r.bad && (nt = r_var(&r)) > rawlen)
		r.bad = 1;
	if (r.bad)
		nt = 0;
	b->tests = xcalloc(grown_cap(nt), sizeof *b->tests);
	doff = xcalloc(nt + 1, sizeof *doff);
	moff = xcalloc(nt + 1, sizeof *moff);
	coff = xcalloc(nt + 1, sizeof *coff);
	noff = xcalloc(nt + 1, sizeof *noff);
	koff = xcalloc(nt + 1, sizeof *koff);
	for (i = 0, prevlen = 0; i < nt && !r.bad; i++) {
		t = &b->tests[i];
		if ((so = r_front(&r, &a, i > 0 ? (size_t)b->tests[i - 1].id :
		    0, &prevlen)) == -1)
			break;
		/* Offsets for now; sorted, so no id comes twice. */
		t->id = (char *)(uintptr_t)so;
		if (i > 0 && strcmp(a.s + (uintptr_t)b->tests[i - 1].id,
		    a.s + so) >= 0) {
			r.bad = 1;
			break;
		}
		t->def = r_u64(&r);
		st = r_var(&r);
		t->status = st < ST__COUNT ? (enum test_status)st : ST_FAILED;
		t->duration = r_var(&r) / 1000.0;
		flags = r_var(&r);
		t->incomplete = flags & 1;
		if ((flags & 2) != 0) {
			/* The previous test's list, shared. */
			if (i == 0) {
				r.bad = 1;
				break;
			}
			doff[i] = doff[i - 1];
			t->ndeps = b->tests[i - 1].ndeps;
		} else
			doff[i] = r_list(&r, &a, np, &t->ndeps);
		moff[i] = r_list(&r, &a, np, &t->nmissing);
		if ((flags & 4) != 0 &&
		    (t->outputs = r_outputs(&r, np, &t->noutputs)) == NULL)
			break;
		if ((flags & 8) != 0 && !v1) {
			r_cases(&r, &a, np, ne, t, &coff[i], &noff[i]);
			if (r.bad)
				break;
		}
	}
	if (i != nt)
		r.bad = 1;
	if (!r.bad && !v1)
		r_sections(&r, &a, ne, b, nt, koff);
	free(raw);
	b->ids = a.s;
	b->idslen = a.slen;
	b->lists = a.l;
	b->listslen = a.llen;
	b->caseblock = a.c;
	b->caseblocklen = a.clen;
	if (r.bad) {
		free(doff);
		free(moff);
		free(coff);
		free(noff);
		free(eoff);
		free(koff);
		/* No test or element points into the blocks yet. */
		for (i = 0; i < nt; i++)
			free(b->tests[i].outputs);
		free(b->tests);
		b->tests = NULL;
		baseline_free(b);
		snprintf(err, errlen, "corrupt baseline");
		return (NULL);
	}
	b->ntests = nt;
	map_reserve(b->tmap, nt);
	for (i = 0; i < nt; i++) {
		t = &b->tests[i];
		t->id = a.s + (uintptr_t)t->id;
		t->deps = a.l + doff[i];
		t->missing = a.l + moff[i];
		map_insert(b->tmap, (uint32_t)i, map_hash(t->id));
		if (koff[i] != 0)
			t->known = a.l + koff[i] - 1;
		if (t->cases == NULL)
			continue;
		t->cases = a.c + ((uintptr_t)t->cases - 1);
		t->covered = a.l + coff[i];
		t->nullcase = a.l + noff[i];
		for (j = 0; j < t->ncases; j++) {
			t->cases[j].name = a.s + (uintptr_t)t->cases[j].name;
			t->cases[j].elems = a.l + (uintptr_t)t->cases[j].elems;
		}
	}
	b->elems = xcalloc(grown_cap(ne), sizeof *b->elems);
	for (j = 0; j < ne; j++)
		b->elems[j] = a.s + eoff[j];
	b->nelems = ne;
	/* Sorted, as r_elems checked: bisected, never hashed. */
	b->emap->sorted = ne;
	free(doff);
	free(moff);
	free(coff);
	free(noff);
	free(eoff);
	free(koff);
	return (b);
}

struct baseline *
baseline_decode(const void *z, size_t zlen, char *err, size_t errlen)
{
	return (baseline_load(z, zlen, NULL, NULL, err, errlen));
}

/* Selection. */

static int
matches_global(const char *path, char *const *patterns)
{
	size_t k;

	for (k = 0; patterns != NULL && patterns[k] != NULL; k++)
		if (fnmatch(patterns[k], path, FNM_PATHNAME) == 0)
			return (1);
	return (0);
}

/*
 * Fingerprinting a baseline's paths on several threads: each takes the
 * next chunk of paths, stats its files and takes what the cache knows,
 * leaving the rest (files to read and add to the cache, listings) for
 * afterwards, on one thread. A warm selection over 50,000 files is mostly
 * these stats. It may begin while the baseline's tests are still being
 * decoded (baseline_load), and ends in baseline_changes.
 */
#define FP_THREADS_MAX	3	/* besides the caller's */
#define FP_CHUNK	512	/* paths a thread takes at a time */
#define FP_MIN		8192	/* paths; fewer are not worth threads */

struct baseline_fp {
	const struct baseline		*b;
	char				*root;
	int				 rootfd;
	struct baseline_statcache	*sc;
	uint64_t			*now;
	uint8_t				*unknown;
	size_t				 npaths;
	size_t				 next;	/* the next chunk, taken atomically */
	pthread_t			 thread[FP_THREADS_MAX];
	size_t				 nthreads;
};

static void
fp_work(struct baseline_fp *f)
{
	char buf[2 * PATH_MAX];
	struct stat sb;
	size_t i, from, to, len, rlen = strlen(f->root), hint = 0;
	const char *path;
	long idx;
	int r;

	memcpy(buf, f->root, rlen);
	buf[rlen] = '/';
	for (;;) {
		from = __atomic_fetch_add(&f->next, FP_CHUNK, __ATOMIC_RELAXED);
		if (from >= f->npaths)
			break;
		to = from + FP_CHUNK < f->npaths ? from + FP_CHUNK : f->npaths;
		for (i = from; i < to; i++) {
			path = f->b->paths[i];
			len = strlen(path);
			if (rlen + len + 2 > sizeof buf || len == 0 ||
			    path[0] == '/' || path[len - 1] == '/') {
				f->unknown[i] = 1;
				continue;
			}
			memcpy(buf + rlen + 1, path, len + 1);
			/* From the root's directory: a shorter walk. */
			r = f->rootfd != -1 ? fstatat(f->rootfd, path, &sb, 0) :
			    stat(buf, &sb);
			if (r == -1)
				f->now[i] = BASELINE_ABSENT;
			else if (!sc_known(f->sc, buf, &sb, &hint, &f->now[i],
			    &idx))
				f->unknown[i] = 1;
		}
	}
}

static void *
fp_thread(void *arg)
{
	fp_work(arg);
	return (NULL);
}

/*
 * Starts fingerprinting b's paths under root on other threads, or NULL
 * when it does not pay (few paths, one CPU) or there is no cache.
 */
static struct baseline_fp *
fp_start(const struct baseline *b, const char *root,
    struct baseline_statcache *sc)
{
	struct baseline_fp *f;
	sigset_t all, old;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = ncpu > 1 ? (size_t)ncpu - 1 : 0;

	if (n > FP_THREADS_MAX)
		n = FP_THREADS_MAX;
	if (sc == NULL || root == NULL || b->npaths < FP_MIN || n == 0)
		return (NULL);
	/* The threads only read the cache: its map, if it needs one, first. */
	sc_wait(sc);
	if (sc->sorted < sc->n)
		(void)sc_map(sc);
	f = xcalloc(1, sizeof *f);
	f->b = b;
	f->root = xstrdup(root);
	f->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	f->sc = sc;
	f->npaths = b->npaths;
	f->now = xcalloc(b->npaths + 1, sizeof *f->now);
	f->unknown = xcalloc(b->npaths + 1, 1);
	/* Signals are for the caller's thread, as before. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; f->nthreads < n; f->nthreads++)
		if (pthread_create(&f->thread[f->nthreads], NULL, fp_thread,
		    f) != 0)
			break;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (f);
}

/*
 * Ends it: this thread takes chunks too, waits for the others, and then
 * does what they left. Returns the fingerprints, which the caller frees.
 */
static uint64_t *
fp_finish(struct baseline_fp *f)
{
	uint64_t *now = f->now;
	size_t i;

	fp_work(f);
	for (i = 0; i < f->nthreads; i++)
		pthread_join(f->thread[i], NULL);
	for (i = 0; i < f->npaths; i++)
		if (f->unknown[i])
			now[i] = hash_now(f->root, f->b->paths[i], f->sc);
	if (f->rootfd != -1)
		close(f->rootfd);
	free(f->unknown);
	free(f->root);
	free(f);
	return (now);
}

/* The fingerprints of every path of b as it is now under root. */
static uint64_t *
fingerprint_all(struct baseline *b, const char *root,
    struct baseline_statcache *sc)
{
	struct baseline_fp *f = b->fp;
	uint64_t *now;
	size_t i;

	b->fp = NULL;
	if (f != NULL && (f->sc != sc || strcmp(f->root, root) != 0)) {
		free(fp_finish(f));
		f = NULL;
	}
	if (f == NULL)
		f = fp_start(b, root, sc);
	if (f != NULL)
		return (fp_finish(f));
	now = xcalloc(b->npaths + 1, sizeof *now);
	for (i = 0; i < b->npaths; i++)
		now[i] = hash_now(root, b->paths[i], sc);
	return (now);
}

/*
 * Fingerprints b's paths as they are now under root. A global file that
 * changed, vanished or appeared (matching a pattern, unknown to b)
 * selects everything.
 */
struct baseline_changes *
baseline_changes(const struct baseline *b, const char *root,
    char *const *globals, struct baseline_statcache *sc)
{
	struct baseline_changes *c = xcalloc(1, sizeof *c);
	char **files;
	size_t i;
	long k;

	/* Only what baseline_load began is changed in b. */
	c->now = fingerprint_all((struct baseline *)b, root, sc);
	for (i = 0; i < b->npaths; i++) {
		if (c->now[i] == b->hashes[i])
			continue;
		c->nchanged++;
		if (c->global == NULL &&
		    (b->global[i] || matches_global(b->paths[i], globals)))
			c->global = xstrdup(b->paths[i]);
	}
	if (c->global == NULL && globals != NULL) {
		files = glob_root(root, globals);
		for (i = 0; files != NULL && files[i] != NULL; i++) {
			k = map_find(paths_map(b), b, path_key, files[i],
			    map_hash(files[i]));
			if (k == -1 || !b->global[k]) {
				c->global = xstrdup(files[i]);
				break;
			}
		}
		strv_free(files);
	}
	return (c);
}

/*
 * Marks the changed paths of b that match the ignore patterns: they no
 * longer select, and baseline_ignored names them. A baseline built
 * before a pattern was added still holds such paths.
 */
void
baseline_changes_ignore(struct baseline_changes *c, const struct baseline *b,
    char *const *patterns)
{
	size_t i;

	if (patterns == NULL || patterns[0] == NULL)
		return;
	if (c->ignored == NULL)
		c->ignored = xcalloc(b->npaths + 1, 1);
	for (i = 0; i < b->npaths; i++)
		if (c->now[i] != b->hashes[i] && !b->global[i] &&
		    ignore_match(patterns, b->paths[i]))
			c->ignored[i] = 1;
}

static int
is_ignored(const struct baseline_changes *c, uint32_t k)
{
	return (c->ignored != NULL && c->ignored[k]);
}

/* Forgets what baseline_changes_elements found. */
static void
cov_clear(struct baseline_changes *c)
{
	size_t i;

	for (i = 0; c->cov_why != NULL && i < c->ncov; i++)
		free(c->cov_why[i]);
	free(c->cov);
	free(c->cov_why);
	free(c->cov_new);
	free(c->mod);
	free(c->echg);
	c->cov = c->cov_new = c->mod = c->echg = NULL;
	c->cov_why = NULL;
	c->ncov = 0;
}

void
baseline_changes_free(struct baseline_changes *c)
{
	if (c == NULL)
		return;
	free(c->ignored);
	cov_clear(c);
	free(c->now);
	free(c->global);
	free(c);
}

size_t
baseline_changed_count(const struct baseline_changes *c)
{
	return (c->nchanged);
}

/*
 * What path was when c was made (the job's start), if it is a path of
 * b: 1 and *h, else 0.
 */
int
baseline_changes_now(const struct baseline *b,
    const struct baseline_changes *c, const char *path, uint64_t *h)
{
	long i;

	if (b->npaths == 0 || (i = map_find(paths_map(b), b, path_key, path,
	    map_hash(path))) == -1)
		return (0);
	*h = c->now[i];
	return (1);
}

static char **
reason(char **v, const char *fmt, const char *arg)
{
	char *s;

	xasprintf(&s, fmt, arg);
	v = strv_push(v, s);
	free(s);
	return (v);
}

/*
 * Why test id, of definition fingerprint def, must run; NULL if nothing
 * it depends on has changed since b.
 */
char **
baseline_select(const struct baseline *b, const struct baseline_changes *c,
    const char *id, uint64_t def)
{
	const struct baseline_test *t;
	const struct baseline_output *o;
	char **v = NULL;
	size_t i;
	uint32_t k;

	if ((t = baseline_find(b, id)) == NULL)
		return (strv_push(NULL, "new"));
	if (c->global != NULL)
		v = reason(v, "global file changed: %s", c->global);
	if (t->def != def)
		v = strv_push(v, "definition changed");
	if (!status_passed(t->status))
		v = reason(v, "did not pass in the baseline (%s)",
		    status_name(t->status));
	if (t->incomplete)
		v = strv_push(v, "trace incomplete");
	if (t->ndeps == 0)
		v = strv_push(v, "no dependencies recorded");
	for (i = 0; i < t->ndeps; i++) {
		k = t->deps[i];
		if (c->now[k] == b->hashes[k] || is_ignored(c, k))
			continue;
		/* As the test found it, or as it left it. */
		if ((o = output_find(t, k)) != NULL && (c->now[k] == o->out ||
		    (o->in != BASELINE_ABSENT && c->now[k] == o->in)))
			continue;
		v = reason(v, c->now[k] == BASELINE_ABSENT ?
		    "vanished: %s" : "changed: %s", b->paths[k]);
	}
	for (i = 0; i < t->nmissing; i++) {
		k = t->missing[i];
		if (c->now[k] != BASELINE_ABSENT && !is_ignored(c, k))
			v = reason(v, "appeared: %s", b->paths[k]);
	}
	return (v);
}

/* Whether sorted list v (n) holds k. */
static int
in_list(const uint32_t *v, size_t n, uint32_t k)
{
	return (n > 0 && bsearch(&k, v, n, sizeof k, cmp_u32) != NULL);
}

/* Whether covered path k changed (not counting an ignored change). */
static int
covered_changed(const struct baseline *b, const struct baseline_changes *c,
    uint32_t k)
{
	return (c->now[k] != b->hashes[k] && !is_ignored(c, k));
}

/* The paths some test of b covers, as a flag per path. */
static uint8_t *
covered_paths(const struct baseline *b)
{
	uint8_t *v = xcalloc(b->npaths + 1, 1);
	size_t i, j;

	for (i = 0; i < b->ntests; i++)
		for (j = 0; j < b->tests[i].ncovered; j++)
			v[b->tests[i].covered[j]] = 1;
	return (v);
}

/*
 * The covered files of b that changed and still exist, sorted: the
 * files whose elements are to be fingerprinted now (elements_finish).
 */
char **
baseline_changed_covered(const struct baseline *b,
    const struct baseline_changes *c)
{
	uint8_t *cov = covered_paths(b);
	char **v = NULL;
	size_t i, n = 0;

	for (i = 0; i < b->npaths; i++)
		if (cov[i] && covered_changed(b, c, (uint32_t)i) &&
		    c->now[i] != BASELINE_ABSENT) {
			v = strv_push(v, b->paths[i]);
			n++;
		}
	free(cov);
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_str);
	return (v);
}

/* Whether element name is the top-level code of its file. */
static int
is_module(const char *name)
{
	size_t n = strlen(name), m = strlen(MODULE_SUFFIX);

	return (n > m && strcmp(name + n - m, MODULE_SUFFIX) == 0);
}

/*
 * Takes what the changed covered files of b are now (now: a table of
 * elements; NULL, or a file it lacks: not fingerprinted), and marks
 * each element of b as the same, changed or vanished, each such file
 * as known, missing or unknown, with elements b never saw or not, and
 * whether its top-level code changed.
 */
void
baseline_changes_elements(struct baseline_changes *c, const struct baseline *b,
    const struct elements_now *now)
{
	uint8_t *cov = covered_paths(b);
	const char *name, *why;
	char *mod;
	size_t i, it;
	uint64_t fp;
	uint32_t k;

	cov_clear(c);
	c->ncov = b->npaths;
	c->cov = xcalloc(b->npaths + 1, 1);
	c->cov_why = xcalloc(b->npaths + 1, sizeof *c->cov_why);
	c->cov_new = xcalloc(b->npaths + 1, 1);
	c->mod = xcalloc(b->npaths + 1, 1);
	c->echg = xcalloc(b->nelems + 1, 1);
	for (i = 0; i < b->npaths; i++) {
		if (!cov[i] || !covered_changed(b, c, (uint32_t)i))
			continue;
		switch (c->now[i] == BASELINE_ABSENT ? ELEMENTS_MISSING :
		    elements_file(now, b->paths[i], &why)) {
		case ELEMENTS_KNOWN:
			c->cov[i] = COV_KNOWN;
			break;
		case ELEMENTS_MISSING:
			c->cov[i] = COV_MISSING;
			break;
		case ELEMENTS_UNKNOWN:
			c->cov[i] = COV_UNKNOWN;
			c->cov_why[i] = xstrdup(why != NULL ? why : "unknown");
			break;
		default:
			c->cov[i] = COV_UNKNOWN;
			c->cov_why[i] = xstrdup("not fingerprinted");
			break;
		}
		if (c->cov[i] != COV_KNOWN)
			continue;
		for (it = 0; (name = elements_next(now, b->paths[i],
		    &it)) != NULL;)
			if (baseline_element(b, name) == -1)
				c->cov_new[i] = 1;
		/* Top-level code b never saw is new top-level code. */
		xasprintf(&mod, "%s%s", b->paths[i], MODULE_SUFFIX);
		if (baseline_element(b, mod) == -1 &&
		    elements_fp(now, mod, &fp))
			c->mod[i] = ELEM_CHANGED;
		free(mod);
	}
	free(cov);
	for (i = 0; i < b->nelems; i++) {
		k = b->elem_path[i];
		if (c->cov[k] == COV_MISSING)
			c->echg[i] = ELEM_VANISHED;
		else if (c->cov[k] != COV_KNOWN)
			continue;
		else if (!elements_fp(now, b->elems[i], &fp))
			c->echg[i] = ELEM_VANISHED;
		else if (fp != b->elem_fp[i])
			c->echg[i] = ELEM_CHANGED;
		if (c->echg[i] != ELEM_SAME && is_module(b->elems[i]))
			c->mod[k] = c->echg[i];
	}
}

/* Whether file holds cases of t: the FILE of a case "FILE::NAME". */
static int
holds_cases(const struct baseline_test *t, const char *file)
{
	size_t i, n = strlen(file);

	for (i = 0; i < t->ncases; i++)
		if (strncmp(t->cases[i].name, file, n) == 0 &&
		    strncmp(t->cases[i].name + n, "::", 2) == 0)
			return (1);
	return (0);
}

/*
 * The element of case name "FILE::CLASS::FUNC[PARAMS]": "FILE#CLASS.FUNC";
 * NULL if name is not a node id.
 */
static char *
case_element(const char *name)
{
	const char *sep = strstr(name, "::"), *p, *end;
	char *e, *q;

	if (sep == NULL)
		return (NULL);
	if ((end = strchr(sep, '[')) == NULL)
		end = name + strlen(name);
	e = q = xmalloc((size_t)(end - name) + 2);
	memcpy(q, name, (size_t)(sep - name));
	q += sep - name;
	*q++ = '#';
	for (p = sep + 2; p < end; p++) {
		if (p[0] == ':' && p[1] == ':' && p + 1 < end) {
			*q++ = '.';
			p++;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return (e);
}

static char **
reason_once(char **v, const char *fmt, const char *arg)
{
	char *s;

	xasprintf(&s, fmt, arg);
	if (!strv_contains(v, s))
		v = strv_push(v, s);
	free(s);
	return (v);
}

static const char *
change_fmt(uint8_t e)
{
	return (e == ELEM_VANISHED ? "vanished: %s" : "changed: %s");
}

/* Why a case of t must run, besides what selects every case; or NULL. */
static char **
case_reasons(const struct baseline *b, const struct baseline_changes *c,
    const struct baseline_case *k, int any)
{
	char **v = NULL, *mod;
	size_t i;
	uint32_t e, f;

	if (!status_passed(k->status))
		v = reason(v, "did not pass (%s)", status_name(k->status));
	if (!any || c->echg == NULL)
		return (v);
	for (i = 0; i < k->nelems; i++) {
		e = k->elems[i];
		if (c->echg[e] != ELEM_SAME)
			v = reason_once(v, change_fmt(c->echg[e]), b->elems[e]);
	}
	/* A file whose top-level code changed: every case that ran in it. */
	for (i = 0; i < k->nelems; i++) {
		f = b->elem_path[k->elems[i]];
		if (c->mod[f] == ELEM_SAME)
			continue;
		xasprintf(&mod, "%s%s", b->paths[f], MODULE_SUFFIX);
		v = reason_once(v, change_fmt(c->mod[f]), mod);
		free(mod);
	}
	return (v);
}

/*
 * What of test id, of definition fingerprint def, must run, into p:
 * nothing, the whole test (p->why) or only some of its cases (p->cases,
 * each with its reasons). A test without cases is selected by its files
 * (baseline_select). With cases, a covered file counts by its elements;
 * any other file as it does without, and whatever cannot be told case
 * by case selects the whole test: when unsure, select.
 */
enum baseline_pick_kind
baseline_select_cases(const struct baseline *b,
    const struct baseline_changes *c, const char *id, uint64_t def,
    struct baseline_pick *p)
{
	const struct baseline_test *t;
	const struct baseline_output *o;
	char **v = NULL, **w, *e;
	size_t i, j;
	uint32_t k;
	long x;
	int any = 0, case_failed = 0;

	memset(p, 0, sizeof *p);
	if ((t = baseline_find(b, id)) == NULL || t->ncases == 0) {
		p->why = baseline_select(b, c, id, def);
		return (p->kind = p->why != NULL ? BASELINE_PICK_WHOLE :
		    BASELINE_PICK_NONE);
	}
	for (i = 0; i < t->ncases; i++)
		if (!status_passed(t->cases[i].status))
			case_failed = 1;
	if (c->global != NULL)
		v = reason(v, "global file changed: %s", c->global);
	if (t->def != def)
		v = strv_push(v, "definition changed");
	/* A test that failed in a case runs that case; otherwise whole. */
	if (!status_passed(t->status) && (t->status != ST_FAILED ||
	    !case_failed))
		v = reason(v, "did not pass in the baseline (%s)",
		    status_name(t->status));
	if (t->incomplete)
		v = strv_push(v, "trace incomplete");
	if (t->ndeps == 0)
		v = strv_push(v, "no dependencies recorded");
	for (i = 0; i < t->ndeps; i++) {
		k = t->deps[i];
		if (c->now[k] == b->hashes[k] || is_ignored(c, k) ||
		    in_list(t->covered, t->ncovered, k))
			continue;
		if ((o = output_find(t, k)) != NULL && (c->now[k] == o->out ||
		    (o->in != BASELINE_ABSENT && c->now[k] == o->in)))
			continue;
		v = reason(v, c->now[k] == BASELINE_ABSENT ?
		    "vanished: %s" : "changed: %s", b->paths[k]);
	}
	for (i = 0; i < t->nmissing; i++) {
		k = t->missing[i];
		if (c->now[k] != BASELINE_ABSENT && !is_ignored(c, k))
			v = reason(v, "appeared: %s", b->paths[k]);
	}
	for (i = 0; i < t->ncovered; i++) {
		k = t->covered[i];
		if (!covered_changed(b, c, k))
			continue;
		if (c->cov == NULL || c->cov[k] == COV_UNKNOWN ||
		    c->cov[k] == COV_UNCHANGED) {
			xasprintf(&e, "cannot fingerprint %s: %s", b->paths[k],
			    c->cov != NULL && c->cov_why[k] != NULL ?
			    c->cov_why[k] : "not fingerprinted");
			v = strv_push(v, e);
			free(e);
			continue;
		}
		any = 1;
		/* New cases cannot be named before they run. */
		if (c->cov_new[k] && holds_cases(t, b->paths[k]))
			v = reason(v, "new code in %s: whole test", b->paths[k]);
	}
	if (any) {
		/* A changed parametrized test may have new parameters. */
		for (i = 0; i < t->ncases; i++) {
			if (strchr(t->cases[i].name, '[') == NULL ||
			    (e = case_element(t->cases[i].name)) == NULL)
				continue;
			if ((x = baseline_element(b, e)) != -1 &&
			    c->echg[x] != ELEM_SAME)
				v = reason_once(v, "changed: %s, parametrized: "
				    "whole test", e);
			free(e);
		}
		/* What ran at import belongs to every case. */
		for (i = 0; i < t->nnullcase; i++)
			if (c->echg[t->nullcase[i]] != ELEM_SAME)
				v = reason(v, change_fmt(c->echg[
				    t->nullcase[i]]), b->elems[t->nullcase[i]]);
	}
	if (v != NULL) {
		p->why = v;
		return (p->kind = BASELINE_PICK_WHOLE);
	}
	if (!any && !case_failed)
		return (p->kind = BASELINE_PICK_NONE);
	p->cases = xcalloc(t->ncases + 1, sizeof *p->cases);
	p->case_why = xcalloc(t->ncases + 1, sizeof *p->case_why);
	for (i = 0; i < t->ncases; i++) {
		if ((w = case_reasons(b, c, &t->cases[i], any)) == NULL)
			continue;
		p->cases[p->ncases] = xstrdup(t->cases[i].name);
		p->case_why[p->ncases++] = w;
	}
	if (p->ncases == 0) {
		baseline_pick_clear(p);
		return (p->kind = BASELINE_PICK_NONE);
	}
	if (p->ncases < t->ncases)
		return (p->kind = BASELINE_PICK_CASES);
	/* Every case: the whole test, for all their reasons. */
	for (i = 0; i < p->ncases; i++)
		for (j = 0; p->case_why[i][j] != NULL; j++)
			if (!strv_contains(v, p->case_why[i][j]))
				v = strv_push(v, p->case_why[i][j]);
	baseline_pick_clear(p);
	p->why = v;
	return (p->kind = BASELINE_PICK_WHOLE);
}

void
baseline_pick_clear(struct baseline_pick *p)
{
	size_t i;

	strv_free(p->why);
	strv_free(p->cases);
	for (i = 0; p->case_why != NULL && i < p->ncases; i++)
		strv_free(p->case_why[i]);
	free(p->case_why);
	memset(p, 0, sizeof *p);
}

char **
baseline_recorded_cases(struct baseline *const *b, int n, const char *id)
{
	const struct baseline_test *t;
	char **v = NULL;
	size_t i;
	int k;

	for (k = 0; k < n; k++) {
		if ((t = baseline_find(b[k], id)) == NULL)
			continue;
		for (i = 0; i < t->ncases; i++)
			if (!strv_contains(v, t->cases[i].name))
				v = strv_push(v, t->cases[i].name);
	}
	return (v);
}

enum baseline_pick_kind
baseline_select_cases_all(struct baseline *const *b,
    struct baseline_changes *const *c, int n, const char *id, uint64_t def,
    struct baseline_pick *p)
{
	struct baseline_pick one;
	char **whole = NULL, **picked = NULL, **why = NULL;
	size_t i;
	int k, any_whole = 0;

	memset(p, 0, sizeof *p);
	for (k = 0; k < n; k++) {
		switch (baseline_select_cases(b[k], c[k], id, def, &one)) {
		case BASELINE_PICK_WHOLE:
			any_whole = 1;
			whole = strv_union(whole, one.why);
			break;
		case BASELINE_PICK_CASES:
			for (i = 0; i < one.ncases; i++) {
				if (!strv_contains(picked, one.cases[i]))
					picked = strv_push(picked,
					    one.cases[i]);
				why = strv_union(why, one.case_why[i]);
			}
			break;
		default:
			break;
		}
		baseline_pick_clear(&one);
	}
	if (any_whole) {
		strv_free(picked);
		strv_free(why);
		p->why = whole;
		return (p->kind = BASELINE_PICK_WHOLE);
	}
	if (picked == NULL)
		return (p->kind = BASELINE_PICK_NONE);
	qsort(picked, strv_len(picked), sizeof *picked, cmp_str);
	p->cases = picked;
	p->ncases = strv_len(picked);
	p->why = why;
	return (p->kind = BASELINE_PICK_CASES);
}

/*
 * The paths test id depends on (or found missing) in b that changed but
 * are ignored, each as "ignored: PATH"; NULL if none.
 */
char **
baseline_ignored(const struct baseline *b, const struct baseline_changes *c,
    const char *id)
{
	const struct baseline_test *t;
	char **v = NULL;
	size_t i;

	if (c->ignored == NULL || (t = baseline_find(b, id)) == NULL)
		return (NULL);
	for (i = 0; i < t->ndeps; i++)
		if (c->ignored[t->deps[i]])
			v = reason(v, "ignored: %s", b->paths[t->deps[i]]);
	for (i = 0; i < t->nmissing; i++)
		if (c->ignored[t->missing[i]])
			v = reason(v, "ignored: %s", b->paths[t->missing[i]]);
	return (v);
}

/* The stat cache. */

static const char *
sc_key(const void *ctx, uint32_t i)
{
	return (((const struct baseline_statcache *)ctx)->v[i].path);
}

/* The map of the cache's paths, brought up to date when first wanted. */
static struct baseline_map *
sc_map(struct baseline_statcache *sc)
{
	size_t i;

	if (sc->map.n < sc->n) {
		map_reserve(&sc->map, sc->n);
		for (i = sc->map.n; i < sc->n; i++)
			map_insert(&sc->map, (uint32_t)i,
			    map_hash(sc->v[i].path));
	}
	return (&sc->map);
}

/*
 * The entry of path, or -1. The file keeps its entries sorted, and a
 * baseline's paths are fingerprinted in order: while the entries are
 * sorted, the one after the last found is tried first, then a binary
 * search; once one is added out of order, a map.
 */
static long
sc_find(struct baseline_statcache *sc, const char *path, size_t *hint)
{
	size_t lo = 0, hi = sc->n, mid;
	int d;

	if (sc->sorted < sc->n)
		return (map_find(sc_map(sc), sc, sc_key, path,
		    map_hash(path)));
	if (*hint + 1 < sc->n && strcmp(sc->v[*hint + 1].path, path) == 0)
		return ((long)++*hint);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = strcmp(sc->v[mid].path, path)) == 0) {
			*hint = mid;
			return ((long)mid);
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (-1);
}

static long
sc_get(struct baseline_statcache *sc, const char *path)
{
	return (sc_find(sc, path, &sc->hint));
}

static struct statcache_entry *
sc_add(struct baseline_statcache *sc, const char *path)
{
	if ((sc->n & (sc->n - 1)) == 0 || sc->n < 16)
		sc->v = xreallocarray(sc->v, sc->n < 16 ? 16 : sc->n * 2,
		    sizeof *sc->v);
	memset(&sc->v[sc->n], 0, sizeof sc->v[sc->n]);
	sc->v[sc->n].path = in_block(path, sc->buf, sc->buflen) ?
	    (char *)path : xstrdup(path);
	if (sc->sorted == sc->n && (sc->n == 0 ||
	    strcmp(sc->v[sc->n - 1].path, path) < 0))
		sc->sorted++;
	/* A map once made is kept up to date; none is made here. */
	if (sc->map.cap > 0 && sc->map.n == sc->n)
		map_add(&sc->map, (uint32_t)sc->n, map_hash(path));
	return (&sc->v[sc->n++]);
}

/*
 * A number in base 10 or 16 and the space after it, from *p; -1 if there
 * is none. What the cache was written with, and nothing else, is read.
 */
static int
sc_num(char **p, int base, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long n = 0;
	int d, neg = 0, k;

	if (*s == '-' && base == 10) {
		neg = 1;
		s++;
	}
	for (k = 0;; k++, s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			break;
		if (k == (base == 16 ? 16 : 19))
			return (-1);
		n = n * base + d;
	}
	if (k == 0 || *s != ' ')
		return (-1);
	*v = neg ? -n : n;
	*p = (char *)s + 1;
	return (0);
}

/* Reads the cache's file; its entries' paths are ended where they lie. */
static void *
sc_load(void *arg)
{
	struct baseline_statcache *sc = arg;
	struct statcache_entry *e;
	unsigned long long h, ino, size, mt;
	char *p, *nl, *end;
	size_t len, mlen = strlen(STATCACHE_MAGIC);

	if ((sc->buf = slurp_file(sc->file, &len)) == NULL)
		return (NULL);
	sc->buflen = len + 1;
	if (len < mlen || memcmp(sc->buf, STATCACHE_MAGIC, mlen) != 0)
		return (NULL);
	for (p = sc->buf + mlen; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		end = p;
		if (sc_num(&end, 16, &h) == -1 || sc_num(&end, 10, &size) ==
		    -1 || sc_num(&end, 10, &mt) == -1 ||
		    sc_num(&end, 10, &ino) == -1 || *end == '\0')
			continue;
		/* After sorted ones, and greater, a path is new. */
		if ((sc->sorted < sc->n || (sc->n > 0 &&
		    strcmp(sc->v[sc->n - 1].path, end) >= 0)) &&
		    sc_get(sc, end) != -1)
			continue;
		e = sc_add(sc, end);
		e->hash = h;
		e->size = (long long)size;
		e->mtime_ns = (long long)mt;
		e->ino = ino;
	}
	return (NULL);
}

/* Waits for the thread reading the cache, if one is. */
static void
sc_wait(struct baseline_statcache *sc)
{
	if (sc != NULL && sc->loading) {
		pthread_join(sc->loader, NULL);
		sc->loading = 0;
	}
}

/*
 * Opens the cache in file (lines of hash, size, mtime in ns, inode and
 * path); a missing or damaged one is an empty cache. NULL file: a cache
 * kept in memory only. The file is read on a thread of its own while the
 * caller goes on (decoding a baseline, say); the first use waits for it.
 */
struct baseline_statcache *
baseline_statcache_open(const char *file)
{
	struct baseline_statcache *sc = xcalloc(1, sizeof *sc);
	sigset_t all, old;

	if (file == NULL)
		return (sc);
	sc->file = xstrdup(file);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sc->loading = pthread_create(&sc->loader, NULL, sc_load, sc) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!sc->loading)
		sc_load(sc);
	return (sc);
}

/*
 * The fingerprint of what stat found at path when the cache knows it (1)
 * or when it is a directory; else 0, and *idx is the entry to update, or
 * -1. Changes nothing but *hint, so threads may ask at once, each with a
 * hint of its own, once sc_map has been made if the cache needs it.
 */
static int
sc_known(struct baseline_statcache *sc, const char *path,
    const struct stat *sb, size_t *hint, uint64_t *hash, long *idx)
{
	const struct statcache_entry *e;
	long long mt;

	*idx = -1;
	if (S_ISDIR(sb->st_mode)) {
		*hash = hash_str("directory", 0);
		return (1);
	}
	if (sc == NULL || (*idx = sc_find(sc, path, hint)) == -1)
		return (0);
	e = &sc->v[*idx];
	mt = (long long)sb->st_mtim.tv_sec * 1000000000LL +
	    sb->st_mtim.tv_nsec;
	if (e->size == (long long)sb->st_size && e->mtime_ns == mt &&
	    e->ino == (unsigned long long)sb->st_ino && e->hash != 0) {
		*hash = e->hash;
		return (1);
	}
	return (0);
}

/*
 * The content fingerprint of the file at path, from the cache when its
 * size, mtime and inode are those it was hashed with. -1: it cannot be
 * read (does not exist). A NULL cache hashes every time.
 */
int
baseline_statcache_hash(struct baseline_statcache *sc, const char *path,
    uint64_t *hash)
{
	struct statcache_entry *e;
	struct timespec now;
	struct stat sb;
	long long mt;
	char *buf;
	size_t n;
	long i;
	int fd;

	sc_wait(sc);
	if (stat(path, &sb) == -1)
		return (-1);
	if (sc_known(sc, path, &sb, sc != NULL ? &sc->hint : NULL, hash, &i))
		return (0);
	e = i != -1 ? &sc->v[i] : NULL;
	mt = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	buf = slurp_fd(fd, (size_t)sb.st_size, &n);
	close(fd);
	if (buf == NULL)
		return (-1);
	*hash = baseline_hash(buf, n, 0);
	free(buf);
	if (sc == NULL)
		return (0);
	/* A file changed within the clock's step may change unseen. */
	clock_gettime(CLOCK_REALTIME, &now);
	if ((long long)now.tv_sec * 1000000000LL + now.tv_nsec - mt <
	    STATCACHE_RACY_NS)
		return (0);
	if (e == NULL)
		e = sc_add(sc, path);
	e->size = (long long)sb.st_size;
	e->mtime_ns = mt;
	e->ino = (unsigned long long)sb.st_ino;
	e->hash = *hash;
	sc->dirty = 1;
	return (0);
}

static int
cmp_entry(const void *a, const void *b)
{
	return (strcmp(((const struct statcache_entry *)a)->path,
	    ((const struct statcache_entry *)b)->path));
}

/* Writes the cache back if it changed, atomically, sorted by path. */
int
baseline_statcache_save(struct baseline_statcache *sc)
{
	char *tmp;
	size_t i;
	FILE *f;
	int fd;

	sc_wait(sc);
	if (sc->file == NULL || !sc->dirty)
		return (0);
	if (sc->sorted < sc->n) {
		qsort(sc->v, sc->n, sizeof *sc->v, cmp_entry);
		sc->sorted = sc->n;
		free(sc->map.slots);
		memset(&sc->map, 0, sizeof sc->map);
	}
	xasprintf(&tmp, "%s.XXXXXX", sc->file);
	if ((fd = mkstemp(tmp)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		free(tmp);
		return (-1);
	}
	fputs(STATCACHE_MAGIC, f);
	for (i = 0; i < sc->n; i++)
		if (strchr(sc->v[i].path, '\n') == NULL)
			fprintf(f, "%llx %lld %lld %llu %s\n",
			    (unsigned long long)sc->v[i].hash, sc->v[i].size,
			    sc->v[i].mtime_ns, sc->v[i].ino, sc->v[i].path);
	if (fclose(f) != 0 || rename(tmp, sc->file) == -1) {
		unlink(tmp);
		free(tmp);
		return (-1);
	}
	free(tmp);
	sc->dirty = 0;
	return (0);
}

void
baseline_statcache_free(struct baseline_statcache *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	sc_wait(sc);
	for (i = 0; i < sc->n; i++)
		if (!in_block(sc->v[i].path, sc->buf, sc->buflen))
			free(sc->v[i].path);
	free(sc->v);
	free(sc->buf);
	free(sc->map.slots);
	free(sc->file);
	free(sc);
}
