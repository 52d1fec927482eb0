/*
 * proc.c: finding, measuring and killing process trees on Linux. A test
 * may leave its process group (setsid) or orphan its children (double
 * fork), so members are found by parent links: the kernel's
 * /proc/PID/task/TID/children lists when it has them, else one scan of
 * every /proc/PID/stat. The caller is meant to be a child subreaper, so
 * orphans of a tree stay its descendants.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "timeutil.h"
#include "xmalloc.h"

/* How long SIGKILL is repeated before giving up on a process (D state). */
#define PROC_KILL_MAX	10.0

struct pidvec {
	pid_t	*v;
	size_t	 n;
	size_t	 cap;
};

static int proc_scan_forced;

static void
pidvec_add(struct pidvec *pv, pid_t pid)
{
	if (pv->n == pv->cap) {
		pv->cap = pv->cap == 0 ? 16 : pv->cap * 2;
		pv->v = xreallocarray(pv->v, pv->cap, sizeof *pv->v);
	}
	pv->v[pv->n++] = pid;
}

static int
pidvec_has(const struct pidvec *pv, pid_t pid)
{
	size_t i;

	for (i = 0; i < pv->n; i++)
		if (pv->v[i] == pid)
			return (1);
	return (0);
}

/* Reads a whole small /proc file into a new NUL-terminated buffer. */
static char *
proc_slurp(const char *path, size_t *lenp)
{
	char *buf;
	size_t cap = 4096, len = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	buf = xmalloc(cap);
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			buf = xreallocarray(buf, cap, 1);
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			close(fd);
			free(buf);
			return (NULL);
		}
		if (r == 0)
			break;
		len += r;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/*
 * Parses /proc/PID/stat: the state letter and the parent. The command
 * name may hold spaces and parentheses, so parsing starts after the
 * last ')'.
 */
static int
proc_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[1024], *p;
	ssize_t r;
	int fd, pp;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return (-1);
	buf[r] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %d", state, &pp) != 2)
		return (-1);
	*ppid = pp;
	return (0);
}

static int
proc_alive(pid_t pid)
{
	char state;
	pid_t ppid;

	if (proc_stat(pid, &state, &ppid) == -1)
		return (0);
	return (state != 'Z' && state != 'X');
}

static int
proc_children_supported(void)
{
	static int supported = -1;
	char path[64];

	if (supported == -1) {
		snprintf(path, sizeof path, "/proc/%d/task/%d/children",
		    (int)getpid(), (int)getpid());
		supported = access(path, R_OK) == 0;
	}
	return (supported && !proc_scan_forced);
}

/* Appends the live children of pid, from the children list of each task. */
static void
proc_children_of(pid_t pid, struct pidvec *out)
{
	char path[PATH_MAX], *buf, *p, *end;
	struct dirent *de;
	DIR *dir;
	long c;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/children",
		    (int)pid, de->d_name);
		if ((buf = proc_slurp(path, NULL)) == NULL)
			continue;
		for (p = buf; *p != '\0'; p = end) {
			c = strtol(p, &end, 10);
			if (end == p)
				break;
			/* A pid already seen moved here while we read. */
			if (c > 0 && !pidvec_has(out, c) && proc_alive(c))
				pidvec_add(out, c);
		}
		free(buf);
	}
	closedir(dir);
}

static void
proc_descendants_children(pid_t root, struct pidvec *out)
{
	size_t i;

	proc_children_of(root, out);
	for (i = 0; i < out->n; i++)
		proc_children_of(out->v[i], out);
}

/* Without children lists: one pass over /proc, then a walk by parent. */
static void
proc_descendants_scan(pid_t root, struct pidvec *out)
{
	struct pidvec all = { 0 }, parent = { 0 };
	struct dirent *de;
	DIR *dir;
	char state;
	pid_t pid, ppid;
	size_t i, j;

	if ((dir = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (proc_stat(pid, &state, &ppid) == -1 || state == 'Z' ||
		    state == 'X')
			continue;
		pidvec_add(&all, pid);
		pidvec_add(&parent, ppid);
	}
	closedir(dir);
	for (j = 0; j < all.n; j++)
		if (parent.v[j] == root)
			pidvec_add(out, all.v[j]);
	for (i = 0; i < out->n; i++)
		for (j = 0; j < all.n; j++)
			if (parent.v[j] == out->v[i] &&
			    !pidvec_has(out, all.v[j]))
				pidvec_add(out, all.v[j]);
	free(all.v);
	free(parent.v);
}

/* Makes orphans of our descendants our children rather than init's. */
int
proc_subreaper(void)
{
	return (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/*
 * Every live (non-zombie) descendant of root, parents before children;
 * *pids is a new array (NULL when there are none) the caller frees.
 */
size_t
proc_descendants(pid_t root, pid_t **pids)
{
	struct pidvec out = { 0 };

	if (proc_children_supported())
		proc_descendants_children(root, &out);
	else
		proc_descendants_scan(root, &out);
	*pids = out.v;
	return (out.n);
}

/* Sends sig to every descendant of root; returns how many got it. */
int
proc_signal_descendants(pid_t root, int sig)
{
	pid_t *pids;
	size_t i, n;
	int sent = 0;

	n = proc_descendants(root, &pids);
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) == 0)
			sent++;
	free(pids);
	return (sent);
}

static void
proc_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Kills every descendant of root: SIGTERM (and SIGCONT, so that stopped
 * ones see it), up to grace seconds for them to go, then SIGKILL until
 * none is left. The tree is listed again on every round, so processes
 * forked meanwhile are caught too; children of the caller are reaped as
 * they die. Returns how many processes there were. Blocks.
 */
int
proc_kill_descendants(pid_t root, double grace)
{
	struct pidvec seen = { 0 };
	pid_t *pids;
	size_t i, n;
	double deadline;
	useconds_t delay = 1000;
	int count;

	deadline = time_mono() + grace;
	while (grace > 0) {
		if ((n = proc_descendants(root, &pids)) == 0)
			goto done;
		for (i = 0; i < n; i++) {
			if (pidvec_has(&seen, pids[i]))
				continue;
			pidvec_add(&seen, pids[i]);
			kill(pids[i], SIGTERM);
			kill(pids[i], SIGCONT);
		}
		free(pids);
		proc_reap();
		if (time_mono() >= deadline)
			break;
		usleep(delay);
		if (delay < 50000)
			delay *= 2;
	}

	delay = 1000;
	deadline = time_mono() + PROC_KILL_MAX;
	while ((n = proc_descendants(root, &pids)) > 0) {
		for (i = 0; i < n; i++) {
			if (!pidvec_has(&seen, pids[i]))
				pidvec_add(&seen, pids[i]);
			kill(pids[i], SIGKILL);
		}
		free(pids);
		proc_reap();
		if (time_mono() >= deadline) {
			log_warnx("%zu processes survive SIGKILL", n);
			break;
		}
		usleep(delay);
		if (delay < 10000)
			delay *= 2;
	}
done:
	proc_reap();
	count = (int)seen.n;
	free(seen.v);
	return (count);
}

/* Resident set of one process in bytes (VmRSS, from statm); 0 if gone. */
static long long
proc_rss(pid_t pid)
{
	char path[64], buf[256];
	long long size, resident;
	ssize_t r;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (0);
	r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return (0);
	buf[r] = '\0';
	if (sscanf(buf, "%lld %lld", &size, &resident) != 2)
		return (0);
	return (resident * sysconf(_SC_PAGESIZE));
}

/* Summed resident sets of root's descendants, in bytes. */
long long
proc_descendants_rss(pid_t root)
{
	pid_t *pids;
	size_t i, n;
	long long sum = 0;

	n = proc_descendants(root, &pids);
	for (i = 0; i < n; i++)
		sum += proc_rss(pids[i]);
	free(pids);
	return (sum);
}

/* Summed resident sets of root and its descendants, in bytes. */
long long
proc_tree_rss(pid_t root)
{
	return (proc_rss(root) + proc_descendants_rss(root));
}

static const struct {
	int		 sig;
	const char	*name;
} proc_signames[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "SIGSTKFLT" },
#endif
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" },
	{ SIGTSTP, "SIGTSTP" }, { SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	{ SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" }, { SIGIO, "SIGIO" },
#ifdef SIGPWR
	{ SIGPWR, "SIGPWR" },
#endif
	{ SIGSYS, "SIGSYS" },
};

/* "SIGSEGV"; unknown ones as "SIG99" in a static buffer. */
const char *
proc_signame(int sig)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < sizeof proc_signames / sizeof proc_signames[0]; i++)
		if (proc_signames[i].sig == sig)
			return (proc_signames[i].name);
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, sizeof buf, "SIG%d", sig);
	return (buf);
}

void
proc_force_scan(int on)
{
	proc_scan_forced = on;
}
