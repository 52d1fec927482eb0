/*
 * probe.h: what the parts of libdagzprobe.so share. probe.c holds the
 * state of the process (configuration, its trace file) and makes the
 * records; probe-path.c resolves paths and keeps the set of records
 * written; probe-json.c writes JSON; probe-fs.c and probe-exec.c hold
 * the interposed libc functions. Nothing here may call malloc: the
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
	PROBE_WRITE	/* created, written, renamed or removed */
};

/*
 * A path resolved before the call it is given to, so that its place in
 * the set is in the cache when the call returns (probe_pre).
 */
struct probe_pre {
	int		 ok;
	unsigned	 known;	/* kinds this thread last recorded */
	unsigned	 gen;	/* of the working directory; 0: absolute */
	size_t		 len;
	uint64_t	 h[2];
	char		 rel[256];
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
 * probe-path.c: paths and the set of records written; the callers of
 * path_resolve(..., 1) and of set_add hold the lock, path_quick and
 * set_prefetch need none.
 */
struct statx;
int	 sys_open(const char *, int, mode_t);
int	 sys_lstatx(const char *, struct statx *);
int	 sys_statx(const char *, struct statx *);
long	 path_resolve(int, const char *, char *, size_t, int);
int	 path_quick(int, const char *, struct probe_pre *);
unsigned path_cwd_gen(void);
int	 path_maybe_root(const char *);
const char *path_rel(const char *, size_t, size_t *);
void	 path_hash(const char *, size_t, uint64_t [2]);
int	 set_add(int, const uint64_t [2]);
void	 set_prefetch(const uint64_t [2]);

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
size_t	 jb_path_record(char *, size_t, const char *, const char *,
	    size_t);
int	 jb_argv(struct jbuf *, char *const *, size_t);

/* probe-fs.c and probe-exec.c: resolve their libc functions. */
void	 probe_fs_init(void);
void	 probe_exec_init(void);

#endif
