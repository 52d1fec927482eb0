/*
 * probe.h: what the parts of libdagzprobe.so share. probe.c holds the
 * state of the process (configuration, its trace file, the set of
 * records written) and makes the records; probe-path.c resolves and
 * hashes paths; probe-json.c writes JSON; probe-fs.c and probe-exec.c
 * hold the interposed libc functions. Nothing here may call malloc: the
 * wrappers run inside arbitrary programs, in signal handlers and in
 * vfork children.
 */
#ifndef DAGZ_PROBE_H
#define DAGZ_PROBE_H

#include <sys/types.h>

#include <dlfcn.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Only the interposed functions leave the library. */
#define PROBE_EXPORT	__attribute__((visibility("default")))

/* A resolved path under the root may be longer than PATH_MAX. */
#define PROBE_PATH_MAX	(2 * PATH_MAX)
/* A path record: an escaped path and a few keys. */
#define PROBE_LINE_MAX	(6 * PROBE_PATH_MAX + 128)
/* An app record; longer argv are cut, which makes the trace incomplete. */
#define PROBE_APP_MAX	(256 * 1024)

/*
 * Resolves libc's definition of f into real_f on first use. The
 * constructor resolves them all up front, so that no wrapper calls dlsym
 * later from a signal handler or while the loader's lock is held.
 */
#define REAL(f)								\
	(real_##f != NULL ? real_##f :					\
	    (real_##f = (__typeof__(real_##f))probe_dlsym(#f)))

enum probe_kind {
	PROBE_NONE,
	PROBE_READ,	/* the path's content or existence was used */
	PROBE_LIST,	/* a directory's listing was read */
	PROBE_MISSING,	/* looked up and not found */
	PROBE_WRITE,	/* written, renamed or removed */
	PROBE_CREATE	/* made where nothing was: a write too */
};

/*
 * What a wrapper learns of its path before the call (probe_pre), so
 * that the record made after it costs little and the place of the
 * record in the set is fetched into the cache while the kernel works:
 * that this thread has just recorded the path, or the path made
 * relative to the root the quick way, without the lock (path_quick).
 */
enum probe_quick_state {
	QUICK_NONE,	/* it takes the long way */
	QUICK_DONE,	/* rel, len, plain and h hold it */
	QUICK_ELSEWHERE	/* absolute, and not under the root: no record */
};

struct probe_pre {
	unsigned	 gen;	/* of the working directory, before all else */
	int		 checked;	/* against the thread's last path: */
	unsigned	 seq;	/* of the last path then */
	unsigned	 known;	/* the kinds recorded, if it is the same */
	enum probe_quick_state state;
	int		 plain;	/* rel needs no escaping in JSON */
	int		 absent;	/* nothing there: O_CREAT makes it */
	size_t		 plen;	/* of the path as given, when counted */
	const char	*rel;	/* into the path, or buf */
	size_t		 len;
	uint64_t	 h[2];
	char		 buf[256];
};

struct probe_config {
	int	 enabled;	/* DAGZ_PROBE_ROOT and _OUT are set */
	char	 root[PROBE_PATH_MAX];	/* absolute, normalised */
	size_t	 rootlen;
	char	 rootreal[PROBE_PATH_MAX];	/* without symlinks */
	size_t	 rootreallen;
	char	 out[PROBE_PATH_MAX];	/* absolute */
	size_t	 outlen;
	const char *outrel;	/* out under the root, or NULL */
	size_t	 outrellen;
	size_t	 limit;		/* bytes per trace file */
	/* For exec'd programs: "NAME=VALUE" as this process got them. */
	char	 env_root[PROBE_PATH_MAX + 32];
	char	 env_out[PROBE_PATH_MAX + 32];
	char	 env_limit[64];	/* empty when not set */
	char	 self[PROBE_PATH_MAX];	/* this library */
};

extern struct probe_config probe_conf;

void	*probe_dlsym(const char *);
pid_t	 probe_owner(void);
int	 probe_foreign(void);

enum probe_kind probe_error_kind(int);
void	 probe_pre(int, const char *, struct probe_pre *);
void	 probe_pre_create(int, const char *, int, struct probe_pre *);
void	 probe_path(int, const char *, enum probe_kind, int);
void	 probe_result(int, const char *, int, int,
	    const struct probe_pre *);
void	 probe_open_result(int, const char *, int, int, int,
	    const struct probe_pre *);
void	 probe_line(const char *, size_t, int);
void	 probe_incomplete(const char *, const char *, int);
void	 probe_app_untraced(pid_t, pid_t, char *const *, int);
void	 probe_reap(pid_t, int);
void	 probe_exit(int);
void	 probe_detach(void);
void	 probe_cwd_changed(void);

/*
 * probe-path.c: paths relative to the root; the callers of
 * path_resolve(..., 1) hold the lock (or are the only thread),
 * path_quick needs none.
 */
struct statx;
int	 sys_open(const char *, int, mode_t);
int	 sys_lstatx(const char *, struct statx *);
int	 sys_statx(const char *, struct statx *);
long	 path_resolve(int, const char *, char *, size_t, int);
void	 path_quick(int, const char *, struct probe_pre *);
int	 path_maybe_root(const char *);
const char *path_rel(const char *, size_t, size_t *);
void	 path_hash(const char *, size_t, uint64_t [2]);

/* Bumped by every chdir: what is cached of the working directory is old. */
extern unsigned path_cwd_changes;

static inline unsigned
path_cwd_gen(void)
{
	return (__atomic_load_n(&path_cwd_changes, __ATOMIC_ACQUIRE));
}

/* probe-json.c: NDJSON lines built by hand into a caller's buffer. */
struct jbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 cut;	/* something did not fit */
};

void	 jb_init(struct jbuf *, char *, size_t);
void	 jb_lit(struct jbuf *, const char *);
void	 jb_int(struct jbuf *, long long);
struct timespec;
void	 jb_time(struct jbuf *, const struct timespec *);
void	 jb_now(struct jbuf *);
int	 jb_str(struct jbuf *, const char *, size_t, int);
void	 jb_hex(struct jbuf *, const char *, size_t);
void	 jb_path(struct jbuf *, const char *, size_t);
size_t	 jb_path_record(char *, size_t, enum probe_kind, const char *,
	    size_t, char, long long);
int	 jb_argv(struct jbuf *, char *const *, size_t);

/*
 * The start of a path record of each kind, padded so that it is copied
 * in one piece of known size.
 */
#define JB_HEAD_MAX	32
struct jb_head {
	char	 s[JB_HEAD_MAX];
	size_t	 len;
};
extern const struct jb_head jb_heads[];

/* The end of a path record: its time, t, and the newline. */
#define JB_TAIL_MAX	32

/*
 * ,"K":T}\n into dst (JB_TAIL_MAX bytes): the record's time on the
 * monotonic clock in microseconds (key t), or since the file's record
 * before (key d), by which the reader orders the records of all
 * processes of a test. Its length.
 */
static inline size_t
jb_tail(char *dst, char key, long long t)
{
	char b[24];
	size_t n = sizeof b;

	b[--n] = '\n';
	b[--n] = '}';
	do {
		b[--n] = '0' + t % 10;
		t /= 10;
	} while (t > 0 && n > 0);
	memcpy(dst, ",\"t\":", 5);
	dst[2] = key;
	memcpy(dst + 5, b + n, sizeof b - n);
	return (5 + sizeof b - n);
}

/*
 * {"type":"KIND","path":"REL","K":T} and a newline, into dst (at least
 * rl + 80 bytes), for a REL known to need no escaping; its length.
 */
static inline size_t
jb_path_plain(char *dst, enum probe_kind kind, const char *rel, size_t rl,
    char key, long long t)
{
	size_t hl = jb_heads[kind].len;

	memcpy(dst, jb_heads[kind].s, JB_HEAD_MAX);
	memcpy(dst + hl, rel, rl);
	dst[hl + rl] = '"';
	return (hl + rl + 1 + jb_tail(dst + hl + rl + 1, key, t));
}

/* probe-fs.c and probe-exec.c: resolve their libc functions. */
void	 probe_fs_init(void);
void	 probe_exec_init(void);

#endif
