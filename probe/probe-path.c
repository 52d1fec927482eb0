/*
 * probe-path.c: turning the paths programs pass to libc into paths
 * relative to the project root, and the set of records a process has
 * already written. Paths are resolved lexically against the working
 * directory or the directory of a dirfd; a ".." is taken back only over
 * a component known not to be a symbolic link, so a recorded path always
 * names what the program named. Memory comes from mmap, never malloc.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

/*
 * The working directory, read again after every chdir (which bumps
 * cwd_gen). cwd_seen says which generation cwd holds, 0 while it is
 * being written, so that path_quick can read it without the lock. A
 * vfork child shares this memory but not its parent's directory: what
 * it reads is marked with its pid, and trusted by neither.
 */
static char	 cwd[PROBE_PATH_MAX];
static size_t	 cwdlen;
static long	 cwd_reloff;	/* where its part under the root is */
static pid_t	 cwd_pid;	/* the process that read it */
static unsigned	 cwd_seen;
static unsigned	 cwd_gen = 1;

/*
 * The set: for each record, 64 bits of the hash of its path and kind,
 * in buckets of one cache line picked by 64 other bits. Another record
 * with the same 64 bits in the same bucket would go unwritten: a chance
 * of 2^-61 a lookup, for a well-mixed hash.
 */
#define BUCKET		8	/* slots; 64 bytes */
#define SET_FIRST	16	/* buckets */
#define SET_MAX		8192	/* 512 KiB, then records make room */
#define RECENT		61	/* a prime, for hashes with patterns */

static uint64_t		*slots;
static size_t		 nbuckets, nused;
static uint64_t		 recent[RECENT];

int
sys_open(const char *path, int flags, mode_t mode)
{
	return (syscall(SYS_openat, AT_FDCWD, path, flags, mode));
}

/* Type and mode of path, not following a last symbolic link. */
int
sys_lstatx(const char *path, struct statx *stx)
{
	return (syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
	    STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID, stx));
}

int
sys_statx(const char *path, struct statx *stx)
{
	return (syscall(SYS_statx, AT_FDCWD, path, 0,
	    STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID, stx));
}

void
probe_cwd_changed(void)
{
	__atomic_add_fetch(&cwd_gen, 1, __ATOMIC_RELEASE);
}

static long
cwd_rel(void)
{
	const char *rel;
	size_t rl;

	if (cwdlen == 0 || (rel = path_rel(cwd, cwdlen, &rl)) == NULL)
		return (-1);
	/* The root itself: path_rel says ".", which is not in cwd. */
	if (rel < cwd || rel >= cwd + cwdlen)
		return (cwdlen);
	return (rel - cwd);
}

/*
 * The directory a relative path starts from, into out: the working
 * directory (cached when the caller holds the lock) or the directory
 * open as dirfd. Both are physical paths, as the kernel gives them.
 */
static long
base_dir(int dirfd, char *out, size_t cap, int cached)
{
	char link[32];
	long n;
	int i, len;

	if (dirfd == AT_FDCWD && cached) {
		unsigned gen = __atomic_load_n(&cwd_gen, __ATOMIC_ACQUIRE);

		if (cwd_seen != gen || cwd_pid != probe_owner()) {
			__atomic_store_n(&cwd_seen, 0, __ATOMIC_RELEASE);
			n = syscall(SYS_getcwd, cwd, sizeof cwd);
			cwdlen = n > 1 && cwd[0] == '/' ? (size_t)n - 1 : 0;
			cwd_reloff = cwd_rel();
			cwd_pid = getpid();
			__atomic_store_n(&cwd_seen, gen, __ATOMIC_RELEASE);
		}
		if (cwdlen == 0)
			return (-1);
		if (cwdlen >= cap)
			return (-2);
		memcpy(out, cwd, cwdlen);
		return (cwdlen);
	}
	if (dirfd == AT_FDCWD) {
		n = syscall(SYS_getcwd, out, cap);
		if (n == -1 && errno == ERANGE)
			return (-2);
		if (n <= 1 || out[0] != '/')
			return (-1);
		return (n - 1);
	}
	if (dirfd < 0)
		return (-1);
	/* "/proc/self/fd/" and the number, without snprintf. */
	memcpy(link, "/proc/self/fd/", 14);
	len = 14;
	for (i = dirfd, n = 1; i >= 10; i /= 10)
		n++;
	for (i = dirfd, link[len + n] = '\0'; n > 0; i /= 10)
		link[len + --n] = '0' + i % 10;
	n = syscall(SYS_readlinkat, AT_FDCWD, link, out, cap - 1);
	if (n <= 0 || out[0] != '/')
		return (-1);
	if ((size_t)n >= cap - 1)
		return (-2);
	if (n > 10 && memcmp(out + n - 10, " (deleted)", 10) == 0)
		return (-1);
	return (n);
}

/*
 * Resolves path, relative to dirfd, into the absolute path out. "." and
 * empty components go; ".." takes back the last component unless that
 * one is a symbolic link or does not exist, in which case the rest is
 * kept as it was written. A trailing slash is kept, since "file/" does
 * not name what "file" names. Returns the length, -1 when there is no
 * path to give, or -2 when it does not fit.
 */
long
path_resolve(int dirfd, const char *path, char *out, size_t cap, int cached)
{
	struct statx stx;
	const char *p = path, *c;
	size_t len = 0, phys = 0, n;
	long b;
	int verbatim = 0;

	if (*p != '/') {
		if ((b = base_dir(dirfd, out, cap, cached)) < 0)
			return (b);
		len = phys = b == 1 ? 0 : b;
	}
	/* Most paths have no ".", ".." or "//" to resolve: copied whole. */
	if (*p != '.') {
		n = strlen(p);
		for (c = memchr(p, '/', n); c != NULL && c[1] != '/' &&
		    c[1] != '.'; c = memchr(c + 1, '/', p + n - c - 1))
			;
		if (c == NULL) {
			if (len + 1 + n + 1 > cap)
				return (-2);
			if (*p != '/')
				out[len++] = '/';
			memcpy(out + len, p, n + 1);
			len += n;
			if (len == 0) {
				out[len++] = '/';
				out[len] = '\0';
			}
			return (len);
		}
	}
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (c = p; *c != '\0' && *c != '/'; c++)
			;
		n = c - p;
		if (n == 1 && p[0] == '.') {
			p = c;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.' && !verbatim) {
			if (len > phys) {
				out[len] = '\0';
				if (sys_lstatx(out, &stx) == -1 ||
				    S_ISLNK(stx.stx_mode))
					verbatim = 1;
			}
			if (!verbatim) {
				while (len > 0 && out[len - 1] != '/')
					len--;
				if (len > 0)
					len--;
				if (phys > len)
					phys = len;
				p = c;
				continue;
			}
		}
		if (len + 1 + n + 2 > cap)
			return (-2);
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		p = c;
	}
	if (len == 0 || (p > path && p[-1] == '/' && len + 2 <= cap))
		out[len++] = '/';
	out[len] = '\0';
	return (len);
}

static int
has_prefix(const char *p, size_t len, const char *pre, size_t plen)
{
	if (plen == 0)
		return (0);
	if (plen == 1)
		return (1);
	return (len >= plen && memcmp(p, pre, plen) == 0 &&
	    (len == plen || p[plen] == '/'));
}

/*
 * Whether an absolute path may lead under the root: it starts with the
 * root, or needs resolving. Called before any locking, on every call.
 */
int
path_maybe_root(const char *p)
{
	const struct probe_config *cf = &probe_conf;
	const char *s;

	if (strncmp(p, cf->root, cf->rootlen) == 0 &&
	    (cf->rootlen == 1 || p[cf->rootlen] == '/' ||
	    p[cf->rootlen] == '\0'))
		return (1);
	if (strncmp(p, cf->rootreal, cf->rootreallen) == 0 &&
	    (cf->rootreallen == 1 || p[cf->rootreallen] == '/' ||
	    p[cf->rootreallen] == '\0'))
		return (1);
	for (s = p; (s = strchr(s, '/')) != NULL; s++)
		if (s[1] == '/' || s[1] == '.')
			return (1);
	return (0);
}

/*
 * The part of an absolute path below the root ("." for the root itself),
 * or NULL when it is elsewhere or in the probe's own output directory.
 */
const char *
path_rel(const char *abs, size_t len, size_t *rellen)
{
	const struct probe_config *cf = &probe_conf;
	size_t rl;

	if (has_prefix(abs, len, cf->out, cf->outlen))
		return (NULL);
	if (has_prefix(abs, len, cf->root, cf->rootlen))
		rl = cf->rootlen;
	else if (has_prefix(abs, len, cf->rootreal, cf->rootreallen))
		rl = cf->rootreallen;
	else
		return (NULL);
	if (rl > 1)
		rl++;	/* the slash after the root */
	else if (abs[0] == '/')
		rl = 1;
	if (len <= rl) {
		*rellen = 1;
		return (".");
	}
	*rellen = len - rl;
	return (abs + rl);
}

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r | x >> (64 - r));
}

static uint64_t
fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (k);
}

/*
 * MurmurHash3 (x64, 128 bits) of a path relative to the root. h[0]
 * picks the bucket, h[1] (with the kind) is what the set keeps.
 */
void
path_hash(const char *s, size_t n, uint64_t h[2])
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = 0, h2 = 0, k1, k2;
	size_t len = n;
	unsigned char tail[16];

	for (; n >= 16; n -= 16, s += 16) {
		memcpy(&k1, s, 8);
		memcpy(&k2, s + 8, 8);
		h1 ^= rotl(k1 * c1, 31) * c2;
		h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
		h2 ^= rotl(k2 * c2, 33) * c1;
		h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	if (n > 0) {
		memset(tail, 0, sizeof tail);
		memcpy(tail, s, n);
		memcpy(&k1, tail, 8);
		memcpy(&k2, tail + 8, 8);
		h2 ^= rotl(k2 * c2, 33) * c1;
		h1 ^= rotl(k1 * c1, 31) * c2;
	}
	h1 ^= len;
	h2 ^= len;
	h1 += h2;
	h2 += h1;
	h1 = fmix(h1);
	h2 = fmix(h2);
	h1 += h2;
	h2 += h1;
	h[0] = h1;
	h[1] = h2;
}

/* What the set keeps for a record: never 0, which marks a free slot. */
static uint64_t
set_key(int kind, const uint64_t h[2])
{
	uint64_t k = h[1] ^ fmix(kind + 1);

	return (k != 0 ? k : 1);
}

/*
 * Fetches a record's bucket into the cache while the kernel carries
 * out the call, without the lock: a stale table is harmless to a
 * prefetch, which never faults.
 */
void
set_prefetch(const uint64_t h[2])
{
	uint64_t *s = __atomic_load_n(&slots, __ATOMIC_RELAXED);
	size_t nb = __atomic_load_n(&nbuckets, __ATOMIC_RELAXED);

	if (s != NULL)
		__builtin_prefetch(&s[(h[0] & (nb - 1)) * BUCKET], 1);
}

/*
 * A table twice as large, empty: the records of the old one may be
 * written again, once, which costs less than moving them.
 */
static int
set_grow(void)
{
	uint64_t *ns;
	size_t cap = nbuckets == 0 ? SET_FIRST : nbuckets * 2;

	ns = mmap(NULL, cap * BUCKET * sizeof *ns, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ns == MAP_FAILED)
		return (-1);
	if (slots != NULL)
		munmap(slots, nbuckets * BUCKET * sizeof *slots);
	__atomic_store_n(&slots, ns, __ATOMIC_RELAXED);
	__atomic_store_n(&nbuckets, cap, __ATOMIC_RELAXED);
	nused = 0;
	return (0);
}

/*
 * Adds a record, by the hash of its path, to the set; 1 if it was not
 * there. The table grows to SET_MAX buckets, which a cache holds; past
 * that, a new record takes the place of an old one, which may then be
 * written again. The set only saves space and time: a record written
 * twice is harmless, one not written is not, so without memory it
 * answers 1. The last records are looked at first, so that the stat
 * after an open does not reach into the table. The caller holds the
 * lock.
 */
int
set_add(int kind, const uint64_t h[2])
{
	uint64_t key = set_key(kind, h), *r, *b, *free;
	size_t k;

	r = &recent[(h[0] >> 40) % RECENT];
	if (*r == key)
		return (0);
	*r = key;
	if (nbuckets == 0 && set_grow() == -1)
		return (1);
	for (;;) {
		b = &slots[(h[0] & (nbuckets - 1)) * BUCKET];
		for (free = NULL, k = 0; k < BUCKET; k++) {
			if (b[k] == key)
				return (0);
			if (b[k] == 0 && free == NULL)
				free = &b[k];
		}
		if (free != NULL && (nused + 1) * 2 <= nbuckets * BUCKET)
			break;
		if (nbuckets >= SET_MAX || set_grow() == -1) {
			if (free == NULL)
				free = &b[(h[0] >> 32) % BUCKET];
			else
				nused++;
			*free = key;
			return (1);
		}
	}
	*free = key;
	nused++;
	return (1);
}

/*
 * The path relative to the root that path names, resolved without the
 * lock, for the common case only: no ".", ".." or "//" to resolve, and
 * relative to a working directory under the root (or absolute). -1
 * when the caller must take the long way after the call.
 */
int
path_quick(int dirfd, const char *path, struct probe_pre *pp)
{
	const char *c, *rel;
	size_t n, base, rl;
	unsigned g;
	long off;

	if (path[0] == '.' || path[0] == '\0')
		return (-1);
	n = strlen(path);
	for (c = memchr(path, '/', n); c != NULL;
	    c = memchr(c + 1, '/', path + n - c - 1))
		if (c[1] == '/' || c[1] == '.')
			return (-1);
	if (path[0] == '/') {
		if ((rel = path_rel(path, n, &rl)) == NULL ||
		    rl >= sizeof pp->rel)
			return (-1);
		memcpy(pp->rel, rel, rl);
		pp->len = rl;
		pp->gen = 0;
	} else {
		if (dirfd != AT_FDCWD)
			return (-1);
		g = __atomic_load_n(&cwd_gen, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&cwd_seen, __ATOMIC_ACQUIRE) != g ||
		    cwd_pid != probe_owner() || (off = cwd_reloff) < 0)
			return (-1);
		base = cwdlen - off;
		if (base + 1 + n >= sizeof pp->rel)
			return (-1);
		memcpy(pp->rel, cwd + off, base);
		if (base > 0)
			pp->rel[base++] = '/';
		memcpy(pp->rel + base, path, n);
		pp->len = base + n;
		/* The probe's own output is no dependency. */
		if (probe_conf.outrel != NULL &&
		    (probe_conf.outrellen == 0 ||
		    (pp->len >= probe_conf.outrellen &&
		    memcmp(pp->rel, probe_conf.outrel,
		    probe_conf.outrellen) == 0 &&
		    (pp->len == probe_conf.outrellen ||
		    pp->rel[probe_conf.outrellen] == '/'))))
			return (-1);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&cwd_seen, __ATOMIC_RELAXED) != g ||
		    __atomic_load_n(&cwd_gen, __ATOMIC_RELAXED) != g)
			return (-1);
		pp->gen = g;
	}
	path_hash(pp->rel, pp->len, pp->h);
	return (0);
}

unsigned
path_cwd_gen(void)
{
	return (__atomic_load_n(&cwd_gen, __ATOMIC_ACQUIRE));
}
