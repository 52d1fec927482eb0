/*
 * probe-exec.c: the interposed functions that start, wait for and end
 * programs: the exec family, posix_spawn, system and popen, the wait
 * family, _exit.
 *
 * Before an exec the probe checks what will run. A statically linked
 * program, one for another loader or machine, and a set-ID one (for which
 * the loader ignores LD_PRELOAD) cannot be followed: the parent records
 * it as an untraced app and marks the trace incomplete. A program started
 * with an environment that lost LD_PRELOAD or DAGZ_PROBE_* gets them back.
 *
 * The exec wrappers may run in a vfork child, which shares the parent's
 * memory, and must not touch anything the parent could be using (the
 * lock, the trace mapping, malloc's heap). So when the process is not
 * the one the probe's state belongs to, they build the new environment
 * on the stack and write their records to the side file with plain
 * system calls.
 */
/* The wrappers define libc's own names: no 64-bit redirects or inlines. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _FORTIFY_SOURCE

#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

/* An environment past these is passed as it is, and the trace incomplete. */
#define ENV_MAX		65536	/* entries */
#define PRELOAD_MAX	65536	/* bytes of the new LD_PRELOAD= */
#define SHEBANG_DEPTH	4	/* nested interpreters, as the kernel */
#define PHDR_MAX	64
#define PROBE_NAME	"libdagzprobe.so"

extern char **environ;

enum exec_how {
	EXEC_PATH,	/* execve */
	EXEC_SEARCH,	/* execvpe: through PATH */
	EXEC_FD,	/* fexecve */
	EXEC_AT		/* execveat */
};

typedef int	(*spawn_fn)(pid_t *, const char *,
		    const posix_spawn_file_actions_t *,
		    const posix_spawnattr_t *, char *const[], char *const[]);

static int	(*real_execve)(const char *, char *const[], char *const[]);
static int	(*real_execvpe)(const char *, char *const[], char *const[]);
static int	(*real_fexecve)(int, char *const[], char *const[]);
static int	(*real_execveat)(int, const char *, char *const[],
		    char *const[], int);
static spawn_fn	 real_posix_spawn;
static spawn_fn	 real_posix_spawnp;
static int	(*real_posix_spawn_file_actions_addopen)(
		    posix_spawn_file_actions_t *, int, const char *, int, mode_t);
static int	(*real_system)(const char *);
static FILE	*(*real_popen)(const char *, const char *);
static pid_t	(*real_wait)(int *);
static pid_t	(*real_waitpid)(pid_t, int *, int);
static pid_t	(*real_wait3)(int *, int, struct rusage *);
static pid_t	(*real_wait4)(pid_t, int *, int, struct rusage *);
static int	(*real_waitid)(idtype_t, id_t, siginfo_t *, int);
static void	(*real__exit)(int);
static void	(*real__Exit)(int);

static const char why_machine[] = "program for another machine";
static const char why_loader[] = "program for another loader";

/* What a program needs to be to load this library. */
static unsigned char	 our_class;
static unsigned short	 our_machine;
static char		 our_loader[256];	/* basename, or "" */

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return (s != NULL ? s + 1 : p);
}

/* The loader this process runs under, from its program headers. */
static void
find_loader(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM), i;
	ElfW(Addr) base = 0;
	const char *interp = NULL;

	if (ph == NULL)
		return;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			base = (ElfW(Addr))ph - ph[i].p_vaddr;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_INTERP)
			interp = (const char *)(base + ph[i].p_vaddr);
	if (interp != NULL && strlen(base_name(interp)) < sizeof our_loader)
		strcpy(our_loader, base_name(interp));
}

void
probe_exec_init(void)
{
	const ElfW(Ehdr) *eh;
	Dl_info dli;

	(void)REAL(execve);
	(void)REAL(execvpe);
	(void)REAL(fexecve);
	(void)REAL(execveat);
	(void)REAL(posix_spawn);
	(void)REAL(posix_spawnp);
	(void)REAL(posix_spawn_file_actions_addopen);
	(void)REAL(system);
	(void)REAL(popen);
	(void)REAL(wait);
	(void)REAL(waitpid);
	(void)REAL(wait3);
	(void)REAL(wait4);
	(void)REAL(waitid);
	(void)REAL(_exit);
	(void)REAL(_Exit);
	if (dladdr((void *)probe_exec_init, &dli) != 0 &&
	    dli.dli_fbase != NULL) {
		eh = dli.dli_fbase;
		our_class = eh->e_ident[EI_CLASS];
		our_machine = eh->e_machine;
	}
	find_loader();
}

/*
 * Why the probe cannot follow a program into path, or NULL; culprit
 * gets the file that is the reason (a script's interpreter, say).
 * Records path itself as read or missing.
 */
static const char *
prog_check(const char *path, int depth, int foreign, char *culprit,
    size_t cap)
{
	union {
		ElfW(Ehdr)	 eh;
		char		 b[256];
	} head;
	ElfW(Phdr) ph[PHDR_MAX];
	struct statx stx;
	struct stat sb;
	char interp[256];
	const char *why = NULL;
	char *p, *q;
	ssize_t n;
	int fd, i, np, found = 0;

	if ((fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			probe_path(AT_FDCWD, path, PROBE_MISSING, foreign);
		else if (errno == EACCES && sys_statx(path, &stx) == 0 &&
		    S_ISREG(stx.stx_mode) && (stx.stx_mode & 0111))
			why = "program that cannot be read";
		goto out;
	}
	probe_path(AT_FDCWD, path, PROBE_READ, foreign);
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		if (((sb.st_mode & S_ISUID) && sb.st_uid != getuid()) ||
		    ((sb.st_mode & S_ISGID) && sb.st_gid != getgid()))
			why = "set-user-ID or set-group-ID program";
		else if (getuid() != 0 &&
		    fgetxattr(fd, "security.capability", NULL, 0) >= 0)
			why = "program with file capabilities";
	}
	n = why == NULL ? pread(fd, &head, sizeof head, 0) : 0;
	if (n >= 2 && head.b[0] == '#' && head.b[1] == '!') {
		close(fd);
		for (p = head.b + 2; p < head.b + n && (*p == ' ' ||
		    *p == '\t'); p++)
			;
		for (q = p; q < head.b + n && *q != ' ' && *q != '\t' &&
		    *q != '\n' && *q != '\0'; q++)
			;
		if (q == p || (size_t)(q - p) >= sizeof interp ||
		    depth >= SHEBANG_DEPTH)
			return (NULL);
		memcpy(interp, p, q - p);
		interp[q - p] = '\0';
		return (prog_check(interp, depth + 1, foreign, culprit, cap));
	}
	if (n >= (ssize_t)sizeof head.eh &&
	    memcmp(head.b, ELFMAG, SELFMAG) == 0) {
		if (head.eh.e_ident[EI_CLASS] != our_class ||
		    head.eh.e_machine != our_machine)
			why = why_machine;
		else if (head.eh.e_phentsize == sizeof ph[0]) {
			np = head.eh.e_phnum < PHDR_MAX ? head.eh.e_phnum :
			    PHDR_MAX;
			n = pread(fd, ph, np * sizeof ph[0], head.eh.e_phoff);
			np = n > 0 ? n / (ssize_t)sizeof ph[0] : 0;
			for (i = 0; i < np && !found; i++) {
				if (ph[i].p_type != PT_INTERP)
					continue;
				found = 1;
				n = ph[i].p_filesz < sizeof interp ?
				    ph[i].p_filesz : sizeof interp - 1;
				n = pread(fd, interp, n, ph[i].p_offset);
				interp[n > 0 ? n : 0] = '\0';
				if (our_loader[0] != '\0' && n > 0 &&
				    strcmp(base_name(interp), our_loader) != 0)
					why = why_loader;
			}
			if (!found)
				why = "statically linked program";
		}
	}
	close(fd);
out:
	if (why != NULL) {
		strncpy(culprit, path, cap - 1);
		culprit[cap - 1] = '\0';
	}
	return (why);
}

/*
 * Where execvp would find file, into out; missing candidates under the
 * root are recorded, since creating one would change what runs.
 */
static int
path_search(const char *file, char *out, size_t cap, int foreign)
{
	const char *path = getenv("PATH"), *p, *e;
	struct statx stx;
	size_t dl, fl = strlen(file);

	if (path == NULL)
		path = "/bin:/usr/bin";
	for (p = path;; p = e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		dl = e - p;
		if (dl == 0) {
			p = ".";
			dl = 1;
		}
		if (dl + 1 + fl + 1 <= cap) {
			memcpy(out, p, dl);
			out[dl] = '/';
			memcpy(out + dl + 1, file, fl + 1);
			if (sys_statx(out, &stx) == 0) {
				if (S_ISREG(stx.stx_mode) &&
				    syscall(SYS_faccessat, AT_FDCWD, out,
				    X_OK) == 0)
					return (0);
			} else if (errno == ENOENT || errno == ENOTDIR)
				probe_path(AT_FDCWD, out, PROBE_MISSING,
				    foreign);
		}
		if (*e == '\0')
			return (-1);
	}
}

/* Checks what an exec or spawn will run; see prog_check. */
static const char *
exec_check(enum exec_how how, int dirfd, const char *file, int flags,
    char *culprit, int foreign)
{
	char target[PROBE_PATH_MAX];
	char link[32] = "/proc/self/fd/";
	long n;
	int i, k;

	switch (how) {
	case EXEC_SEARCH:
		if (file == NULL || *file == '\0')
			return (NULL);
		if (strchr(file, '/') == NULL) {
			if (path_search(file, target, sizeof target,
			    foreign) == -1)
				return (NULL);
			break;
		}
		/* FALLTHROUGH */
	case EXEC_PATH:
		if (file == NULL || *file == '\0')
			return (NULL);
		if (path_resolve(AT_FDCWD, file, target, sizeof target,
		    0) < 0)
			return (NULL);
		break;
	case EXEC_FD:
	case EXEC_AT:
		if (how == EXEC_AT && file != NULL && (*file != '\0' ||
		    !(flags & AT_EMPTY_PATH))) {
			if (path_resolve(dirfd, file, target, sizeof target,
			    0) < 0)
				return (NULL);
			break;
		}
		if ((n = path_resolve(dirfd, "", target, sizeof target,
		    0)) < 0) {
			/* A file without a name (a memfd): open the fd. */
			for (i = dirfd, k = 1; i >= 10; i /= 10)
				k++;
			for (i = dirfd, link[14 + k] = '\0'; k > 0; i /= 10)
				link[14 + --k] = '0' + i % 10;
			strcpy(target, link);
		}
		break;
	}
	return (prog_check(target, 0, foreign, culprit, PROBE_PATH_MAX));
}

/* What an environment lacks of the probe's, or has of it too much. */
struct envscan {
	size_t	 n;		/* entries */
	int	 preload;	/* index of LD_PRELOAD=, or -1 */
	int	 has_probe;	/* which names this library */
	int	 has_root;
	int	 has_out;
	int	 has_limit;
	int	 other;		/* a DAGZ_PROBE_ of another value */
	int	 strip;		/* the probe must go, not come */
	int	 fix;		/* a new environment is needed */
	size_t	 prelen;	/* bytes of the new LD_PRELOAD= */
};

/* Whether an LD_PRELOAD entry of len bytes at v names this library. */
static int
is_probe(const char *v, size_t len)
{
	size_t k = sizeof PROBE_NAME - 1;

	return (len >= k && memcmp(v + len - k, PROBE_NAME, k) == 0 &&
	    (len == k || v[len - k - 1] == '/'));
}

/* The length of the LD_PRELOAD entry at v (separated by ':' or blanks). */
static size_t
entry_len(const char *v)
{
	return (strcspn(v, ": \t"));
}

static int
preload_has_probe(const char *v)
{
	size_t n;

	for (; *v != '\0'; v += n + (v[n] != '\0')) {
		n = entry_len(v);
		if (is_probe(v, n))
			return (1);
	}
	return (0);
}

static void
env_var(const char *e, const char *ours, int *has, int *other)
{
	size_t n = strchr(ours, '=') - ours + 1;

	if (strncmp(e, ours, n) != 0)
		return;
	*has = 1;
	if (strcmp(e, ours) != 0)
		*other = 1;
}

static void
env_scan(char *const envp[], int strip, struct envscan *es)
{
	const struct probe_config *cf = &probe_conf;
	size_t i;

	memset(es, 0, sizeof *es);
	es->preload = -1;
	es->strip = strip;
	es->has_limit = cf->env_limit[0] == '\0';
	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) {
			if (es->preload == -1) {
				es->preload = i;
				es->has_probe = preload_has_probe(envp[i] + 11);
			}
			continue;
		}
		if (strncmp(envp[i], "DAGZ_PROBE_", 11) != 0)
			continue;
		env_var(envp[i], cf->env_root, &es->has_root, &es->other);
		env_var(envp[i], cf->env_out, &es->has_out, &es->other);
		if (cf->env_limit[0] != '\0')
			env_var(envp[i], cf->env_limit, &es->has_limit,
			    &es->other);
	}
	es->n = i;
	if (strip)
		es->fix = es->has_probe;
	else
		es->fix = !es->has_probe || !es->has_root || !es->has_out ||
		    !es->has_limit;
	es->prelen = 11 + strlen(cf->self) + 1;
	if (es->preload != -1)
		es->prelen += 1 + strlen(envp[es->preload] + 11);
}

/*
 * The environment with the probe put back, into nenv (es->n + 5 entries)
 * and pre (es->prelen bytes): this library goes first in LD_PRELOAD,
 * ahead of whatever the program asked for. Or, for a program the probe
 * cannot be loaded into (whose loader would complain of it, or fail on
 * it), the same without this library in LD_PRELOAD.
 */
static void
env_build(char *const envp[], const struct envscan *es, char **nenv,
    char *pre)
{
	const struct probe_config *cf = &probe_conf;
	const char *v;
	size_t i, j = 0, n, k;

	for (i = 0; i < es->n; i++)
		if ((int)i != es->preload || (es->has_probe && !es->strip))
			nenv[j++] = envp[i];
	if (es->strip) {
		memcpy(pre, "LD_PRELOAD=", 11);
		for (k = 11, v = envp[es->preload] + 11; *v != '\0';
		    v += n + (v[n] != '\0')) {
			if ((n = entry_len(v)) == 0 || is_probe(v, n))
				continue;
			if (k > 11)
				pre[k++] = ':';
			memcpy(pre + k, v, n);
			k += n;
		}
		pre[k] = '\0';
		if (k > 11)
			nenv[j++] = pre;
		nenv[j] = NULL;
		return;
	}
	if (!es->has_probe) {
		memcpy(pre, "LD_PRELOAD=", 11);
		n = strlen(cf->self);
		memcpy(pre + 11, cf->self, n + 1);
		if (es->preload != -1 && envp[es->preload][11] != '\0') {
			pre[11 + n] = ':';
			strcpy(pre + 12 + n, envp[es->preload] + 11);
		}
		nenv[j++] = pre;
	}
	if (!es->has_root)
		nenv[j++] = (char *)cf->env_root;
	if (!es->has_out)
		nenv[j++] = (char *)cf->env_out;
	if (!es->has_limit)
		nenv[j++] = (char *)cf->env_limit;
	nenv[j] = NULL;
}

/*
 * Calls run(arg, env) with the environment the program must get: envp,
 * or a copy made on this stack frame, which lasts as long as the call.
 */
static int
with_env(char *const envp[], int strip, const char *file, int foreign,
    int (*run)(void *, char *const[]), void *arg)
{
	struct envscan es;

	env_scan(envp, strip, &es);
	if (es.other)
		probe_incomplete("program started with another DAGZ_PROBE_ "
		    "variable", file, foreign);
	if (es.fix && (es.n >= ENV_MAX || es.prelen >= PRELOAD_MAX)) {
		if (!strip)
			probe_incomplete("environment too large to put the "
			    "probe back into", file, foreign);
		es.fix = 0;
	}
	if (es.fix) {
		char *nenv[es.n + 5];
		char pre[es.prelen];

		env_build(envp, &es, nenv, pre);
		return (run(arg, nenv));
	}
	return (run(arg, envp));
}

/* Whether a reason of prog_check means the loader cannot take the probe. */
static int
cannot_load(const char *why)
{
	return (why == why_machine || why == why_loader);
}

struct exec_args {
	enum exec_how	 how;
	int		 fd;
	const char	*file;
	char *const	*argv;
	int		 flags;
	int		 saved;		/* errno to call with */
};

static int
exec_run(void *arg, char *const envp[])
{
	struct exec_args *a = arg;

	errno = a->saved;
	switch (a->how) {
	case EXEC_PATH:
		if (REAL(execve) != NULL)
			return (real_execve(a->file, a->argv, envp));
		break;
	case EXEC_SEARCH:
		if (REAL(execvpe) != NULL)
			return (real_execvpe(a->file, a->argv, envp));
		break;
	case EXEC_FD:
		if (REAL(fexecve) != NULL)
			return (real_fexecve(a->fd, a->argv, envp));
		break;
	case EXEC_AT:
		if (REAL(execveat) != NULL)
			return (real_execveat(a->fd, a->file, a->argv, envp,
			    a->flags));
		break;
	}
	errno = ENOSYS;
	return (-1);
}

static int
exec_common(enum exec_how how, int fd, const char *file, char *const argv[],
    char *const envp[], int flags)
{
	struct exec_args a = { how, fd, file, argv, flags, errno };
	char culprit[PROBE_PATH_MAX];
	const char *why;
	int foreign;

	if (!probe_conf.enabled)
		return (exec_run(&a, envp));
	foreign = probe_foreign();
	why = exec_check(how, fd, file, flags, culprit, foreign);
	if (why != NULL) {
		probe_app_untraced(getpid(), getppid(), argv, foreign);
		probe_incomplete(why, culprit, foreign);
	}
	/* The new image makes a file of its own. */
	if (!foreign)
		probe_detach();
	return (with_env(envp, cannot_load(why), file, foreign, exec_run,
	    &a));
}

PROBE_EXPORT int
execve(const char *path, char *const argv[], char *const envp[])
{
	return (exec_common(EXEC_PATH, AT_FDCWD, path, argv, envp, 0));
}

PROBE_EXPORT int
execv(const char *path, char *const argv[])
{
	return (exec_common(EXEC_PATH, AT_FDCWD, path, argv, environ, 0));
}

PROBE_EXPORT int
execvp(const char *file, char *const argv[])
{
	return (exec_common(EXEC_SEARCH, AT_FDCWD, file, argv, environ, 0));
}

PROBE_EXPORT int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	return (exec_common(EXEC_SEARCH, AT_FDCWD, file, argv, envp, 0));
}

PROBE_EXPORT int
fexecve(int fd, char *const argv[], char *const envp[])
{
	return (exec_common(EXEC_FD, fd, NULL, argv, envp, 0));
}

PROBE_EXPORT int
execveat(int dirfd, const char *path, char *const argv[],
    char *const envp[], int flags)
{
	return (exec_common(EXEC_AT, dirfd, path, argv, envp, flags));
}

/*
 * The list forms: libc implements them with its own execve, which no
 * wrapper sees, so they gather their arguments here. Like libc, they
 * count up to the terminating NULL.
 */
#define EXECL_BODY(how, name, withenv)					\
	va_list ap;							\
	size_t n = 1, i;						\
	char **envp = environ;						\
									\
	va_start(ap, arg);						\
	while (va_arg(ap, char *) != NULL)				\
		n++;							\
	va_end(ap);							\
	{								\
		char *argv[n + 1];					\
									\
		argv[0] = (char *)arg;					\
		va_start(ap, arg);					\
		for (i = 1; i <= n; i++)				\
			argv[i] = va_arg(ap, char *);			\
		if (withenv)						\
			envp = va_arg(ap, char **);			\
		va_end(ap);						\
		return (exec_common(how, AT_FDCWD, name, argv, envp, 0)); \
	}

PROBE_EXPORT int
execl(const char *path, const char *arg, ...)
{
	EXECL_BODY(EXEC_PATH, path, 0)
}

PROBE_EXPORT int
execle(const char *path, const char *arg, ...)
{
	EXECL_BODY(EXEC_PATH, path, 1)
}

PROBE_EXPORT int
execlp(const char *file, const char *arg, ...)
{
	EXECL_BODY(EXEC_SEARCH, file, 0)
}

struct spawn_args {
	spawn_fn			 fn;
	pid_t				*pid;
	const char			*file;
	const posix_spawn_file_actions_t *fa;
	const posix_spawnattr_t		*attr;
	char *const			*argv;
	int				 saved;
};

static int
spawn_run(void *arg, char *const envp[])
{
	struct spawn_args *a = arg;

	errno = a->saved;
	return (a->fn(a->pid, a->file, a->fa, a->attr, a->argv, envp));
}

static int
spawn_common(int search, pid_t *pidp, const char *file,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	struct spawn_args a;
	char culprit[PROBE_PATH_MAX];
	const char *why;
	pid_t child;
	int foreign, r, saved;

	a.fn = search ? REAL(posix_spawnp) : REAL(posix_spawn);
	if (a.fn == NULL)
		return (ENOSYS);
	if (!probe_conf.enabled)
		return (a.fn(pidp, file, fa, attr, argv, envp));
	a.pid = &child;
	a.file = file;
	a.fa = fa;
	a.attr = attr;
	a.argv = argv;
	a.saved = errno;
	foreign = probe_foreign();
	why = exec_check(search ? EXEC_SEARCH : EXEC_PATH, AT_FDCWD, file, 0,
	    culprit, foreign);
	r = with_env(envp, cannot_load(why), file, foreign, spawn_run, &a);
	saved = errno;
	if (r == 0) {
		if (pidp != NULL)
			*pidp = child;
		if (why != NULL) {
			probe_app_untraced(child, getpid(), argv, foreign);
			probe_incomplete(why, culprit, foreign);
		}
	}
	errno = saved;
	return (r);
}

/*
 * An open the spawned child will make inside libc, where no wrapper sees
 * it: recorded now, by whether the file is there now.
 */
PROBE_EXPORT int
posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd,
    const char *path, int flags, mode_t mode)
{
	struct statx stx;
	int r, saved, there;

	if (REAL(posix_spawn_file_actions_addopen) == NULL)
		return (ENOSYS);
	r = real_posix_spawn_file_actions_addopen(fa, fd, path, flags, mode);
	saved = errno;
	if (r == 0 && probe_conf.enabled) {
		there = sys_statx(path, &stx) == 0;
		probe_open_result(AT_FDCWD, path, flags,
		    there || (flags & O_CREAT), there ? 0 : errno, NULL);
	}
	errno = saved;
	return (r);
}

PROBE_EXPORT int
posix_spawn(pid_t *pid, const char *path,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	return (spawn_common(0, pid, path, fa, attr, argv, envp));
}

PROBE_EXPORT int
posix_spawnp(pid_t *pid, const char *file,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	return (spawn_common(1, pid, file, fa, attr, argv, envp));
}

/*
 * system and popen start /bin/sh with libc's own spawn, through no
 * wrapper: if the program removed the probe from its environment, the
 * shell runs untraced.
 */
static void
check_environ(const char *cmd)
{
	struct envscan es;
	int saved = errno;

	if (!probe_conf.enabled || cmd == NULL)
		return;
	env_scan(environ, 0, &es);
	if (es.fix)
		probe_incomplete("shell started by system or popen without "
		    "the probe in its environment", cmd, 0);
	errno = saved;
}

PROBE_EXPORT int
system(const char *cmd)
{
	check_environ(cmd);
	if (REAL(system) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (real_system(cmd));
}

PROBE_EXPORT FILE *
popen(const char *cmd, const char *mode)
{
	check_environ(cmd);
	if (REAL(popen) == NULL) {
		errno = ENOSYS;
		return (NULL);
	}
	return (real_popen(cmd, mode));
}

/*
 * The wait family: the parent's view of how a child ended, which is all
 * there is when the child was killed. The status goes through a local
 * so that it is known even when the caller passed NULL.
 */
/* What a wait call reaped, passed on to the caller and recorded. */
static pid_t
reaped(pid_t r, int st, int *status)
{
	int saved = errno;

	if (r > 0) {
		if (status != NULL)
			*status = st;
		probe_reap(r, st);
	}
	errno = saved;
	return (r);
}

PROBE_EXPORT pid_t
wait(int *status)
{
	pid_t r;
	int st = 0;

	if (REAL(wait) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_wait(&st);
	return (reaped(r, st, status));
}

PROBE_EXPORT pid_t
waitpid(pid_t pid, int *status, int options)
{
	pid_t r;
	int st = 0;

	if (REAL(waitpid) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_waitpid(pid, &st, options);
	return (reaped(r, st, status));
}

PROBE_EXPORT pid_t
wait3(int *status, int options, struct rusage *ru)
{
	pid_t r;
	int st = 0;

	if (REAL(wait3) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_wait3(&st, options, ru);
	return (reaped(r, st, status));
}

PROBE_EXPORT pid_t
wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	pid_t r;
	int st = 0;

	if (REAL(wait4) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_wait4(pid, &st, options, ru);
	return (reaped(r, st, status));
}

PROBE_EXPORT int
waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	int r, saved, st;

	if (REAL(waitid) == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	r = real_waitid(idtype, id, info, options);
	saved = errno;
	if (r == 0 && info != NULL && info->si_pid != 0 &&
	    !(options & WNOWAIT)) {
		if (info->si_code == CLD_EXITED)
			st = (info->si_status & 0377) << 8;
		else if (info->si_code == CLD_KILLED ||
		    info->si_code == CLD_DUMPED)
			st = info->si_status & 0177;
		else
			st = -1;
		if (st != -1)
			probe_reap(info->si_pid, st);
	}
	errno = saved;
	return (r);
}

/* exit() ends through on_exit; these skip it, so they record the end. */
PROBE_EXPORT void
_exit(int status)
{
	probe_exit(status);
	if (REAL(_exit) != NULL)
		real__exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

PROBE_EXPORT void
_Exit(int status)
{
	probe_exit(status);
	if (REAL(_Exit) != NULL)
		real__Exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}
