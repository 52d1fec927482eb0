/*
 * probe-fs.c: the interposed libc functions through which programs open,
 * look up, list, rename and remove files. Each calls libc's own function
 * first and returns exactly what it returned, with errno as it left it;
 * only then does it record what the call said about its path. Functions
 * that libc calls internally (fopen's open, for instance) do not come
 * through here, which is why fopen has a wrapper of its own.
 */
/* The wrappers define libc's own names: no 64-bit redirects or inlines. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _FORTIFY_SOURCE

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#define OPEN_NEEDS_MODE(f) \
	(((f) & O_CREAT) != 0 || ((f) & O_TMPFILE) == O_TMPFILE)

/* Declared by glibc's headers no more, still called by older programs. */
int	__xstat(int, const char *, struct stat *);
int	__xstat64(int, const char *, struct stat64 *);
int	__lxstat(int, const char *, struct stat *);
int	__lxstat64(int, const char *, struct stat64 *);
int	__fxstatat(int, int, const char *, struct stat *, int);
int	__fxstatat64(int, int, const char *, struct stat64 *, int);
int	__open_2(const char *, int);
int	__open64_2(const char *, int);
int	__openat_2(int, const char *, int);
int	__openat64_2(int, const char *, int);

static int	(*real_open)(const char *, int, ...);
static int	(*real_open64)(const char *, int, ...);
static int	(*real_openat)(int, const char *, int, ...);
static int	(*real_openat64)(int, const char *, int, ...);
static int	(*real___open_2)(const char *, int);
static int	(*real___open64_2)(const char *, int);
static int	(*real___openat_2)(int, const char *, int);
static int	(*real___openat64_2)(int, const char *, int);
static int	(*real_creat)(const char *, mode_t);
static int	(*real_creat64)(const char *, mode_t);
static FILE	*(*real_fopen)(const char *, const char *);
static FILE	*(*real_fopen64)(const char *, const char *);
static FILE	*(*real_freopen)(const char *, const char *, FILE *);
static FILE	*(*real_freopen64)(const char *, const char *, FILE *);
static int	(*real_stat)(const char *, struct stat *);
static int	(*real_stat64)(const char *, struct stat64 *);
static int	(*real_lstat)(const char *, struct stat *);
static int	(*real_lstat64)(const char *, struct stat64 *);
static int	(*real_fstatat)(int, const char *, struct stat *, int);
static int	(*real_fstatat64)(int, const char *, struct stat64 *, int);
static int	(*real_statx)(int, const char *, int, unsigned int,
		    struct statx *);
static int	(*real___xstat)(int, const char *, struct stat *);
static int	(*real___xstat64)(int, const char *, struct stat64 *);
static int	(*real___lxstat)(int, const char *, struct stat *);
static int	(*real___lxstat64)(int, const char *, struct stat64 *);
static int	(*real___fxstatat)(int, int, const char *, struct stat *,
		    int);
static int	(*real___fxstatat64)(int, int, const char *, struct stat64 *,
		    int);
static int	(*real_access)(const char *, int);
static int	(*real_faccessat)(int, const char *, int, int);
static int	(*real_euidaccess)(const char *, int);
static int	(*real_eaccess)(const char *, int);
static ssize_t	(*real_readlink)(const char *, char *, size_t);
static ssize_t	(*real_readlinkat)(int, const char *, char *, size_t);
static char	*(*real_realpath)(const char *, char *);
static DIR	*(*real_opendir)(const char *);
static int	(*real_scandir)(const char *, struct dirent ***,
		    int (*)(const struct dirent *),
		    int (*)(const struct dirent **, const struct dirent **));
static int	(*real_scandir64)(const char *, struct dirent64 ***,
		    int (*)(const struct dirent64 *),
		    int (*)(const struct dirent64 **,
		    const struct dirent64 **));
static int	(*real_rename)(const char *, const char *);
static int	(*real_renameat)(int, const char *, int, const char *);
static int	(*real_renameat2)(int, const char *, int, const char *,
		    unsigned int);
static int	(*real_unlink)(const char *);
static int	(*real_unlinkat)(int, const char *, int);
static int	(*real_remove)(const char *);
static int	(*real_mkdir)(const char *, mode_t);
static int	(*real_mkdirat)(int, const char *, mode_t);
static int	(*real_rmdir)(const char *);
static int	(*real_chdir)(const char *);
static int	(*real_fchdir)(int);

void
probe_fs_init(void)
{
	(void)REAL(open);
	(void)REAL(open64);
	(void)REAL(openat);
	(void)REAL(openat64);
	(void)REAL(__open_2);
	(void)REAL(__open64_2);
	(void)REAL(__openat_2);
	(void)REAL(__openat64_2);
	(void)REAL(creat);
	(void)REAL(creat64);
	(void)REAL(fopen);
	(void)REAL(fopen64);
	(void)REAL(freopen);
	(void)REAL(freopen64);
	(void)REAL(stat);
	(void)REAL(stat64);
	(void)REAL(lstat);
	(void)REAL(lstat64);
	(void)REAL(fstatat);
	(void)REAL(fstatat64);
	(void)REAL(statx);
	(void)REAL(__xstat);
	(void)REAL(__xstat64);
	(void)REAL(__lxstat);
	(void)REAL(__lxstat64);
	(void)REAL(__fxstatat);
	(void)REAL(__fxstatat64);
	(void)REAL(access);
	(void)REAL(faccessat);
	(void)REAL(euidaccess);
	(void)REAL(eaccess);
	(void)REAL(readlink);
	(void)REAL(readlinkat);
	(void)REAL(realpath);
	(void)REAL(opendir);
	(void)REAL(scandir);
	(void)REAL(scandir64);
	(void)REAL(rename);
	(void)REAL(renameat);
	(void)REAL(renameat2);
	(void)REAL(unlink);
	(void)REAL(unlinkat);
	(void)REAL(remove);
	(void)REAL(mkdir);
	(void)REAL(mkdirat);
	(void)REAL(rmdir);
	(void)REAL(chdir);
	(void)REAL(fchdir);
}

/* The open(2) flags a stdio mode stands for. */
static int
fopen_flags(const char *mode)
{
	int rw;

	if (mode == NULL)
		return (-1);
	rw = strchr(mode, '+') != NULL;
	switch (mode[0]) {
	case 'r':
		return (rw ? O_RDWR : O_RDONLY);
	case 'w':
		return ((rw ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC);
	case 'a':
		return ((rw ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND);
	default:
		return (-1);
	}
}

static void
note_open(int dirfd, const char *path, int flags, int ok, int err,
    const struct probe_pre *pp)
{
	if (flags != -1)
		probe_open_result(dirfd, path, flags, ok, err, pp);
}

/*
 * open and openat in their four spellings: the mode is passed on only
 * when the flags say there is one, as libc does.
 */
#define OPEN_WRAPPER(name)						\
PROBE_EXPORT int							\
name(const char *path, int flags, ...)					\
{									\
	struct probe_pre pp;						\
	va_list ap;							\
	mode_t mode = 0;						\
	int fd, saved;							\
									\
	if (OPEN_NEEDS_MODE(flags)) {					\
		va_start(ap, flags);					\
		mode = va_arg(ap, int);					\
		va_end(ap);						\
	}								\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(AT_FDCWD, path, &pp);					\
	probe_pre_create(AT_FDCWD, path, flags, &pp);			\
	fd = real_##name(path, flags, mode);				\
	saved = errno;							\
	note_open(AT_FDCWD, path, flags, fd >= 0, saved, &pp);		\
	errno = saved;							\
	return (fd);							\
}

#define OPENAT_WRAPPER(name)						\
PROBE_EXPORT int							\
name(int dirfd, const char *path, int flags, ...)			\
{									\
	struct probe_pre pp;						\
	va_list ap;							\
	mode_t mode = 0;						\
	int fd, saved;							\
									\
	if (OPEN_NEEDS_MODE(flags)) {					\
		va_start(ap, flags);					\
		mode = va_arg(ap, int);					\
		va_end(ap);						\
	}								\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(dirfd, path, &pp);					\
	probe_pre_create(dirfd, path, flags, &pp);			\
	fd = real_##name(dirfd, path, flags, mode);			\
	saved = errno;							\
	note_open(dirfd, path, flags, fd >= 0, saved, &pp);		\
	errno = saved;							\
	return (fd);							\
}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* The _FORTIFY_SOURCE forms, called when the compiler saw no mode. */
#define OPEN2_WRAPPER(name)						\
PROBE_EXPORT int							\
name(const char *path, int flags)					\
{									\
	int fd, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	fd = real_##name(path, flags);					\
	saved = errno;							\
	note_open(AT_FDCWD, path, flags, fd >= 0, saved, NULL);		\
	errno = saved;							\
	return (fd);							\
}

#define OPENAT2_WRAPPER(name)						\
PROBE_EXPORT int							\
name(int dirfd, const char *path, int flags)				\
{									\
	int fd, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	fd = real_##name(dirfd, path, flags);				\
	saved = errno;							\
	note_open(dirfd, path, flags, fd >= 0, saved, NULL);		\
	errno = saved;							\
	return (fd);							\
}

OPEN2_WRAPPER(__open_2)
OPEN2_WRAPPER(__open64_2)
OPENAT2_WRAPPER(__openat_2)
OPENAT2_WRAPPER(__openat64_2)

#define CREAT_WRAPPER(name)						\
PROBE_EXPORT int							\
name(const char *path, mode_t mode)					\
{									\
	struct probe_pre pp;						\
	int fd, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(AT_FDCWD, path, &pp);					\
	probe_pre_create(AT_FDCWD, path, O_CREAT, &pp);			\
	fd = real_##name(path, mode);					\
	saved = errno;							\
	note_open(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC,	\
	    fd >= 0, saved, &pp);					\
	errno = saved;							\
	return (fd);							\
}

CREAT_WRAPPER(creat)
CREAT_WRAPPER(creat64)

#define FOPEN_WRAPPER(name)						\
PROBE_EXPORT FILE *							\
name(const char *path, const char *mode)				\
{									\
	struct probe_pre pp;						\
	FILE *fp;							\
	int saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (NULL);						\
	}								\
	probe_pre(AT_FDCWD, path, &pp);					\
	probe_pre_create(AT_FDCWD, path, fopen_flags(mode), &pp);	\
	fp = real_##name(path, mode);					\
	saved = errno;							\
	note_open(AT_FDCWD, path, fopen_flags(mode), fp != NULL, saved, \
	    &pp);							\
	errno = saved;							\
	return (fp);							\
}

#define FREOPEN_WRAPPER(name)						\
PROBE_EXPORT FILE *							\
name(const char *path, const char *mode, FILE *stream)			\
{									\
	FILE *fp;							\
	int saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (NULL);						\
	}								\
	fp = real_##name(path, mode, stream);				\
	saved = errno;							\
	if (path != NULL)						\
		note_open(AT_FDCWD, path, fopen_flags(mode), fp != NULL, \
		    saved, NULL);					\
	errno = saved;							\
	return (fp);							\
}

FOPEN_WRAPPER(fopen)
FOPEN_WRAPPER(fopen64)
FREOPEN_WRAPPER(freopen)
FREOPEN_WRAPPER(freopen64)

/*
 * The stat family: a path that is there is a dependency (its type and
 * existence were used), one that is not is a missing path.
 */
#define STAT_WRAPPER(name, type)					\
PROBE_EXPORT int							\
name(const char *path, type *buf)					\
{									\
	struct probe_pre pp;						\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(AT_FDCWD, path, &pp);					\
	r = real_##name(path, buf);					\
	saved = errno;							\
	probe_result(AT_FDCWD, path, r == 0, saved, &pp);		\
	errno = saved;							\
	return (r);							\
}

#define FSTATAT_WRAPPER(name, type)					\
PROBE_EXPORT int							\
name(int dirfd, const char *path, type *buf, int flags)			\
{									\
	struct probe_pre pp;						\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(dirfd, path, &pp);					\
	r = real_##name(dirfd, path, buf, flags);			\
	saved = errno;							\
	probe_result(dirfd, path, r == 0, saved, &pp);			\
	errno = saved;							\
	return (r);							\
}

#define XSTAT_WRAPPER(name, type)					\
PROBE_EXPORT int							\
name(int ver, const char *path, type *buf)				\
{									\
	struct probe_pre pp;						\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(AT_FDCWD, path, &pp);					\
	r = real_##name(ver, path, buf);				\
	saved = errno;							\
	probe_result(AT_FDCWD, path, r == 0, saved, &pp);		\
	errno = saved;							\
	return (r);							\
}

#define FXSTATAT_WRAPPER(name, type)					\
PROBE_EXPORT int							\
name(int ver, int dirfd, const char *path, type *buf, int flags)	\
{									\
	struct probe_pre pp;						\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(dirfd, path, &pp);					\
	r = real_##name(ver, dirfd, path, buf, flags);			\
	saved = errno;							\
	probe_result(dirfd, path, r == 0, saved, &pp);			\
	errno = saved;							\
	return (r);							\
}

STAT_WRAPPER(stat, struct stat)
STAT_WRAPPER(stat64, struct stat64)
STAT_WRAPPER(lstat, struct stat)
STAT_WRAPPER(lstat64, struct stat64)
FSTATAT_WRAPPER(fstatat, struct stat)
FSTATAT_WRAPPER(fstatat64, struct stat64)
XSTAT_WRAPPER(__xstat, struct stat)
XSTAT_WRAPPER(__xstat64, struct stat64)
XSTAT_WRAPPER(__lxstat, struct stat)
XSTAT_WRAPPER(__lxstat64, struct stat64)
FXSTATAT_WRAPPER(__fxstatat, struct stat)
FXSTATAT_WRAPPER(__fxstatat64, struct stat64)

PROBE_EXPORT int
statx(int dirfd, const char *path, int flags, unsigned int mask,
    struct statx *buf)
{
	struct probe_pre pp;
	int r, saved;

	if (REAL(statx) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	probe_pre(dirfd, path, &pp);
	r = real_statx(dirfd, path, flags, mask, buf);
	saved = errno;
	probe_result(dirfd, path, r == 0, saved, &pp);
	errno = saved;
	return (r);
}

#define ACCESS_WRAPPER(name)						\
PROBE_EXPORT int							\
name(const char *path, int mode)					\
{									\
	struct probe_pre pp;						\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	probe_pre(AT_FDCWD, path, &pp);					\
	r = real_##name(path, mode);					\
	saved = errno;							\
	probe_result(AT_FDCWD, path, r == 0, saved, &pp);		\
	errno = saved;							\
	return (r);							\
}

ACCESS_WRAPPER(access)
ACCESS_WRAPPER(euidaccess)
ACCESS_WRAPPER(eaccess)

PROBE_EXPORT int
faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct probe_pre pp;
	int r, saved;

	if (REAL(faccessat) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	probe_pre(dirfd, path, &pp);
	r = real_faccessat(dirfd, path, mode, flags);
	saved = errno;
	probe_result(dirfd, path, r == 0, saved, &pp);
	errno = saved;
	return (r);
}

/* EINVAL from readlink: the path is there, and is not a link. */
PROBE_EXPORT ssize_t
readlink(const char *path, char *buf, size_t size)
{
	ssize_t r;
	int saved;

	if (REAL(readlink) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_readlink(path, buf, size);
	saved = errno;
	probe_result(AT_FDCWD, path, r >= 0 || saved == EINVAL, saved,
	    NULL);
	errno = saved;
	return (r);
}

PROBE_EXPORT ssize_t
readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t r;
	int saved;

	if (REAL(readlinkat) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_readlinkat(dirfd, path, buf, size);
	saved = errno;
	probe_result(dirfd, path, r >= 0 || saved == EINVAL, saved, NULL);
	errno = saved;
	return (r);
}

PROBE_EXPORT char *
realpath(const char *path, char *resolved)
{
	char *r;
	int saved;

	if (REAL(realpath) == NULL) {
		errno = ENOSYS;
		return (NULL);
	}
	r = real_realpath(path, resolved);
	saved = errno;
	probe_result(AT_FDCWD, path, r != NULL, saved, NULL);
	errno = saved;
	return (r);
}

/*
 * A directory's listing is a dependency of its own: a file added to it
 * may matter, where a stat of the directory only needs it to be there.
 */
PROBE_EXPORT DIR *
opendir(const char *path)
{
	DIR *d;
	int saved;

	if (REAL(opendir) == NULL) {
		errno = ENOSYS;
		return (NULL);
	}
	d = real_opendir(path);
	saved = errno;
	probe_path(AT_FDCWD, path, d != NULL ? PROBE_LIST :
	    probe_error_kind(saved), 0);
	errno = saved;
	return (d);
}

/* scandir and scandir64: a listing, as opendir. */
#define SCANDIR_WRAPPER(name, dirent_t)					\
PROBE_EXPORT int							\
name(const char *path, dirent_t ***list,				\
    int (*filter)(const dirent_t *),					\
    int (*compar)(const dirent_t **, const dirent_t **))		\
{									\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	r = real_##name(path, list, filter, compar);			\
	saved = errno;							\
	probe_path(AT_FDCWD, path, r >= 0 ? PROBE_LIST :		\
	    probe_error_kind(saved), 0);				\
	errno = saved;							\
	return (r);							\
}

SCANDIR_WRAPPER(scandir, struct dirent)
SCANDIR_WRAPPER(scandir64, struct dirent64)

/* Outputs: only what was done is recorded, not what was attempted. */
static void
note_write(int dirfd, const char *path, int ok)
{
	if (ok)
		probe_path(dirfd, path, PROBE_WRITE, 0);
}

/* A directory made: nothing was there. */
static void
note_create(int dirfd, const char *path, int ok)
{
	if (ok)
		probe_path(dirfd, path, PROBE_CREATE, 0);
}

/* A rename's target: one that would not replace made its path. */
static void
note_rename_to(int dirfd, const char *path, unsigned int flags, int ok)
{
	if (flags & RENAME_NOREPLACE)
		note_create(dirfd, path, ok);
	else
		note_write(dirfd, path, ok);
}

/*
 * A call that makes, removes or renames paths; notes (note_write on
 * each path, with r the call's result) runs after it.
 */
#define OUTPUT_WRAPPER(name, params, args, notes)			\
PROBE_EXPORT int							\
name params								\
{									\
	int r, saved;							\
									\
	if (REAL(name) == NULL) {					\
		errno = ENOSYS;						\
		return (-1);						\
	}								\
	r = real_##name args;						\
	saved = errno;							\
	notes;								\
	errno = saved;							\
	return (r);							\
}

OUTPUT_WRAPPER(rename, (const char *from, const char *to), (from, to),
    note_write(AT_FDCWD, from, r == 0); note_write(AT_FDCWD, to, r == 0))
OUTPUT_WRAPPER(renameat,
    (int fromfd, const char *from, int tofd, const char *to),
    (fromfd, from, tofd, to),
    note_write(fromfd, from, r == 0); note_write(tofd, to, r == 0))
OUTPUT_WRAPPER(renameat2,
    (int fromfd, const char *from, int tofd, const char *to,
    unsigned int flags), (fromfd, from, tofd, to, flags),
    note_write(fromfd, from, r == 0);
    note_rename_to(tofd, to, flags, r == 0))
OUTPUT_WRAPPER(unlink, (const char *path), (path),
    note_write(AT_FDCWD, path, r == 0))
OUTPUT_WRAPPER(remove, (const char *path), (path),
    note_write(AT_FDCWD, path, r == 0))
OUTPUT_WRAPPER(rmdir, (const char *path), (path),
    note_write(AT_FDCWD, path, r == 0))
OUTPUT_WRAPPER(unlinkat, (int dirfd, const char *path, int flags),
    (dirfd, path, flags), note_write(dirfd, path, r == 0))
OUTPUT_WRAPPER(mkdir, (const char *path, mode_t mode), (path, mode),
    note_create(AT_FDCWD, path, r == 0))
OUTPUT_WRAPPER(mkdirat, (int dirfd, const char *path, mode_t mode),
    (dirfd, path, mode), note_create(dirfd, path, r == 0))

/* Relative paths are resolved against a cached working directory. */
PROBE_EXPORT int
chdir(const char *path)
{
	int r, saved;

	if (REAL(chdir) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_chdir(path);
	saved = errno;
	probe_cwd_changed();
	/* Once there, the path is the new working directory. */
	probe_result(AT_FDCWD, r == 0 ? "." : path, r == 0, saved, NULL);
	errno = saved;
	return (r);
}

PROBE_EXPORT int
fchdir(int fd)
{
	int r, saved;

	if (REAL(fchdir) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_fchdir(fd);
	saved = errno;
	probe_cwd_changed();
	errno = saved;
	return (r);
}
