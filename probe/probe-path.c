/*
 * probe-path.c: turning the paths programs pass to libc into paths
 * relative to the project root, and hashing them. Paths are resolved
 * lexically against the working directory or the directory of a dirfd;
 * a ".." is taken back only over a component known not to be a symbolic
 * link, so a recorded path always names what the program named.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

/*
 * The working directory, read again after every chdir (which bumps
 * path_cwd_changes). cwd_seen says which generation cwd holds, 0 while
 * it is being written, so that path_quick can read it without the lock.
 * A vfork child shares this memory but not its parent's directory: what
 * it reads is marked with its pid, and trusted by neither.
 */
static char	 cwd[PROBE_PATH_MAX];
static size_t	 cwdlen;
static long	 cwd_reloff;	/* where its part under the root is */
static int	 cwd_relplain;	/* that part needs no escaping in JSON */
static pid_t	 cwd_pid;	/* the process that read it */
static unsigned	 cwd_seen;
unsigned	 path_cwd_changes = 1;

/*
 * Bytes path_quick passes as they are: printable ASCII but for '"' and
 * '\\', which JSON escapes, and '/', which starts a component that may
 * need resolving.
 */
static const unsigned char quick[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

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
	__atomic_add_fetch(&path_cwd_changes, 1, __ATOMIC_RELEASE);
}

/* Where the part of cwd under the root starts, and whether it is plain. */
static long
cwd_rel(void)
{
	const char *rel;
	size_t rl, i;

	cwd_relplain = 1;
	if (cwdlen == 0 || (rel = path_rel(cwd, cwdlen, &rl)) == NULL)
		return (-1);
	/* The root itself: path_rel says ".", which is not in cwd. */
	if (rel < cwd || rel >= cwd + cwdlen)
		return (cwdlen);
	for (i = 0; i < rl; i++)
		if (!quick[(unsigned char)rel[i]] && rel[i] != '/')
			cwd_relplain = 0;
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
		unsigned gen = path_cwd_gen();

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

/* The first n (at most 8) bytes of s, as a little-endian number. */
static inline uint64_t
load_part(const unsigned char *s, size_t n)
{
	uint32_t lo, hi;
	uint64_t v;

	if (n == 8) {
		memcpy(&v, s, 8);
		return (v);
	}
	if (n >= 4) {
		/* Two loads that overlap, instead of a loop. */
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		return (lo | (uint64_t)hi << (8 * (n - 4)));
	}
	return (s[0] | (uint64_t)s[n / 2] << (8 * (n / 2)) |
	    (uint64_t)s[n - 1] << (8 * (n - 1)));
}

/*
 * MurmurHash3 (x64, 128 bits) of a path relative to the root. h[0]
 * picks the bucket, h[1] (with the kind) is what the set keeps.
 */
static inline __attribute__((always_inline)) void
hash(const char *str, size_t n, uint64_t h[2])
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	const unsigned char *s = (const unsigned char *)str;
	uint64_t h1 = 0, h2 = 0, k1, k2;
	size_t len = n;

	for (; n >= 16; n -= 16, s += 16) {
		memcpy(&k1, s, 8);
		memcpy(&k2, s + 8, 8);
		h1 ^= rotl(k1 * c1, 31) * c2;
		h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
		h2 ^= rotl(k2 * c2, 33) * c1;
		h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	if (n > 8) {
		k2 = load_part(s + 8, n - 8);
		h2 ^= rotl(k2 * c2, 33) * c1;
	}
	if (n > 0) {
		k1 = load_part(s, n < 8 ? n : 8);
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

void
path_hash(const char *s, size_t n, uint64_t h[2])
{
	hash(s, n, h);
}

/*
 * The length of path, which does not start with '.', or -1 when it has
 * a component that is "." or ".." or empty ("//"); *plain says whether
 * JSON escapes none of its bytes.
 */
static inline long
quick_scan(const char *path, int *plain)
{
#ifdef __SSE2__
	/*
	 * Sixteen bytes at a time, each bit of a mask for one byte. The
	 * loads are aligned, so none reaches into a page the path does
	 * not; the bytes around the path are masked off.
	 */
	const __m128i zero = _mm_setzero_si128(), slash = _mm_set1_epi8('/'),
	    dot = _mm_set1_epi8('.'), quote = _mm_set1_epi8('"'),
	    bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(' ');
	uintptr_t a = (uintptr_t)path & ~(uintptr_t)15;
	unsigned keep = 0xffffu << ((uintptr_t)path & 15), after = 0, odd = 0;
	unsigned z, sl, dt, esc;
	__m128i x;

	for (;; a += 16, keep = 0xffff) {
		x = _mm_load_si128((const __m128i *)a);
		z = _mm_movemask_epi8(_mm_cmpeq_epi8(x, zero)) & keep;
		if (z != 0)
			keep &= (z & -z) - 1;	/* up to the NUL */
		sl = _mm_movemask_epi8(_mm_cmpeq_epi8(x, slash)) & keep;
		dt = _mm_movemask_epi8(_mm_cmpeq_epi8(x, dot));
		/* Signed: under ' ' are the control bytes and 0x80 up. */
		esc = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, space),
		    _mm_or_si128(_mm_cmpeq_epi8(x, quote),
		    _mm_cmpeq_epi8(x, bslash))));
		odd |= esc & keep;
		/* The bytes after a slash: none may be a dot or a slash. */
		if ((sl << 1 | after) & (sl | dt))
			return (-1);
		if (z != 0)
			break;
		after = sl >> 15;
	}
	*plain = odd == 0;
	return (a + __builtin_ctz(z) - (uintptr_t)path);
#else
	const unsigned char *u = (const unsigned char *)path;
	size_t n;

	*plain = 1;
	for (n = 0;; n++) {
		if (quick[u[n]])
			continue;
		if (u[n] == '/') {
			if (u[n + 1] == '/' || u[n + 1] == '.')
				return (-1);
		} else if (u[n] == '\0')
			break;
		else
			*plain = 0;
	}
	return (n);
#endif
}

/*
 * Makes path relative to the root the quick way, as path_resolve and
 * path_rel would but without the lock, for the common case only: no
 * ".", ".." or "//" to resolve, and a working directory under the root
 * (or an absolute path). Counts it, checks it and sees whether JSON
 * would escape any of its bytes in one pass, and hashes it. Leaves
 * q->state QUICK_NONE when the caller must take the long way.
 */
void
path_quick(int dirfd, const char *path, struct probe_pre *q)
{
	const struct probe_config *cf = &probe_conf;
	const char *rel;
	size_t n, base, rl;
	unsigned g;
	long off;
	int plain;

	q->state = QUICK_NONE;
	if (path[0] == '.' || path[0] == '\0' ||
	    (off = quick_scan(path, &plain)) < 0)
		return;
	q->plen = n = off;
	if (path[0] == '/') {
		/* As path_resolve would copy it whole, path_rel decides. */
		if ((rel = path_rel(path, n, &rl)) == NULL) {
			q->state = QUICK_ELSEWHERE;
			return;
		}
		q->rel = rel;
		q->len = rl;
	} else {
		if (dirfd != AT_FDCWD)
			return;
		g = path_cwd_gen();
		if (__atomic_load_n(&cwd_seen, __ATOMIC_ACQUIRE) != g ||
		    cwd_pid != probe_owner() || (off = cwd_reloff) < 0)
			return;
		base = cwdlen - off;
		if (base == 0)
			q->rel = path;
		else {
			if (base + 1 + n > sizeof q->buf)
				return;
			memcpy(q->buf, cwd + off, base);
			q->buf[base++] = '/';
			memcpy(q->buf + base, path, n);
			q->rel = q->buf;
			plain &= cwd_relplain;
		}
		q->len = base + n;
		/* The probe's own output is no dependency. */
		if (cf->outrel != NULL && (cf->outrellen == 0 ||
		    (q->len >= cf->outrellen &&
		    memcmp(q->rel, cf->outrel, cf->outrellen) == 0 &&
		    (q->len == cf->outrellen ||
		    q->rel[cf->outrellen] == '/'))))
			return;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&cwd_seen, __ATOMIC_RELAXED) != g ||
		    __atomic_load_n(&path_cwd_changes, __ATOMIC_RELAXED) != g)
			return;
	}
	q->plain = plain;
	hash(q->rel, q->len, q->h);
	q->state = QUICK_DONE;
}
