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

/* The working directory, read again after every chdir. */
static char	 cwd[PROBE_PATH_MAX];
static size_t	 cwdlen;
static unsigned	 cwd_seen;
static unsigned	 cwd_gen = 1;

/* The set: open addressing over keys in an arena. */
struct slot {
	uint64_t	 hash;
	const char	*key;	/* kind byte, then the path */
	size_t		 len;
};
static struct slot	*slots;
static size_t		 nslots, nused;
static char		*arena;
static size_t		 arena_left;

#define SET_FIRST	4096
#define ARENA_CHUNK	(1024 * 1024)

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

/*
 * The directory a relative path starts from, into out: the working
 * directory (cached when the caller holds the lock) or the directory
 * open as dirfd. Both are physical paths, as the kernel gives them.
 */
static long
base_dir(int dirfd, char *out, size_t cap, int cached)
{
	char link[32] = "/proc/self/fd/";
	long n;
	int i, len;

	if (dirfd == AT_FDCWD && cached) {
		unsigned gen = __atomic_load_n(&cwd_gen, __ATOMIC_ACQUIRE);

		if (cwd_seen != gen) {
			n = syscall(SYS_getcwd, cwd, sizeof cwd);
			cwdlen = n > 1 && cwd[0] == '/' ? (size_t)n - 1 : 0;
			cwd_seen = gen;
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

	if (has_prefix(abs, len, cf->out, strlen(cf->out)))
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
hash(int kind, const char *s, size_t n)
{
	const uint64_t k1 = 0x9e3779b97f4a7c15ULL, k2 = 0xc2b2ae3d27d4eb4fULL;
	uint64_t h = (uint64_t)kind * k2 ^ n * k1, w;

	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h ^= w * k1;
		h = (h << 31 | h >> 33) * k2;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h ^= w * k1;
		h = (h << 31 | h >> 33) * k2;
	}
	h ^= h >> 33;
	h *= k1;
	h ^= h >> 29;
	return (h);
}

static int
set_grow(void)
{
	struct slot *ns;
	size_t cap = nslots == 0 ? SET_FIRST : nslots * 2, i, j;

	ns = mmap(NULL, cap * sizeof *ns, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ns == MAP_FAILED)
		return (-1);
	for (i = 0; i < nslots; i++) {
		if (slots[i].key == NULL)
			continue;
		for (j = slots[i].hash & (cap - 1); ns[j].key != NULL;
		    j = (j + 1) & (cap - 1))
			;
		ns[j] = slots[i];
	}
	if (slots != NULL)
		munmap(slots, nslots * sizeof *slots);
	slots = ns;
	nslots = cap;
	return (0);
}

static char *
arena_alloc(size_t n)
{
	char *p;

	if (n > arena_left) {
		p = mmap(NULL, ARENA_CHUNK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return (NULL);
		arena = p;
		arena_left = ARENA_CHUNK;
	}
	p = arena;
	arena += n;
	arena_left -= n;
	return (p);
}

/*
 * Adds (kind, s) to the set; 1 if it was not there. Without memory for
 * the set it answers 1: a record written twice is harmless, one not
 * written is not. The caller holds the lock.
 */
int
set_add(int kind, const char *s, size_t n)
{
	uint64_t h = hash(kind, s, n);
	size_t i;
	char *key;

	if (n + 1 > ARENA_CHUNK)
		return (1);
	if ((nused + 1) * 2 > nslots && set_grow() == -1)
		return (1);
	for (i = h & (nslots - 1); slots[i].key != NULL;
	    i = (i + 1) & (nslots - 1))
		if (slots[i].hash == h && slots[i].len == n + 1 &&
		    slots[i].key[0] == kind &&
		    memcmp(slots[i].key + 1, s, n) == 0)
			return (0);
	if ((key = arena_alloc(n + 1)) == NULL)
		return (1);
	key[0] = kind;
	memcpy(key + 1, s, n);
	slots[i].hash = h;
	slots[i].key = key;
	slots[i].len = n + 1;
	nused++;
	return (1);
}
