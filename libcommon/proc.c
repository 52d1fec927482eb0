/*
 * proc.c: finding, measuring and killing process trees on Linux. A test
 * may leave its process group (setsid) or orphan its children (double
 * fork), so members are found by parent links: the kernel's
 * /proc/PID/task/TID/children lists when it has them, else one scan of
 * every /proc/PID/stat. The caller is meant to be a child subreaper, so
 * orphans of a tree stay its descendants. Subtrees may be left out (a
 * fixture's server that outlives the tests): their roots are named by
 * pid and start time, so that a later process given the same pid is not
 * spared by mistake.
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
#include "slurp.h"
#include "timeutil.h"
#include "xmalloc.h"

/* How long SIGKILL is repeated before giving up on a process (D state). */
#define PROC_KILL_MAX	10.0

/* A growing list of processes, in the order found. */
struct idvec {
	struct proc_id	*v;
	size_t		 n;
	size_t		 cap;
};

/* Processes whose subtrees a listing leaves out. */
struct proc_except {
	const struct proc_id	*v;
	size_t			 n;
};

static int proc_scan_forced;

static void
idvec_add(struct idvec *iv, pid_t pid, unsigned long long start)
{
	if (iv->n == iv->cap) {
		iv->cap = iv->cap == 0 ? 16 : iv->cap * 2;
		iv->v = xreallocarray(iv->v, iv->cap, sizeof *iv->v);
	}
	iv->v[iv->n].pid = pid;
	iv->v[iv->n].start = start;
	iv->n++;
}

static int
idvec_has(const struct idvec *iv, pid_t pid)
{
	size_t i;

	for (i = 0; i < iv->n; i++)
		if (iv->v[i].pid == pid)
			return (1);
	return (0);
}

/* Whether the process pid, started at start, is one of ex's. */
static int
proc_excepted(const struct proc_except *ex, pid_t pid,
    unsigned long long start)
{
	size_t i;

	for (i = 0; i < ex->n; i++)
		if (ex->v[i].pid == pid && ex->v[i].start == start)
			return (1);
	return (0);
}

/*
 * Parses /proc/PID/stat: the state letter, the parent and the start
 * time (field 22). The command name may hold spaces and parentheses, so
 * parsing starts after the last ')'.
 */
static int
proc_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
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
	/* Fields 5 to 21 are skipped as words: some overflow an int. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
	    "%*s %*s %*s %*s %*s %*s %*s %llu", state, &pp, start) != 3)
		return (-1);
	*ppid = pp;
	return (0);
}

/* Whether pid is alive (not a zombie), and if so since when. */
static int
proc_alive(pid_t pid, unsigned long long *start)
{
	char state;
	pid_t ppid;

	if (proc_stat(pid, &state, &ppid, start) == -1)
		return (0);
	return (state != 'Z' && state != 'X');
}

/* Whether the process id names is still alive, and is that process. */
int
proc_id_alive(const struct proc_id *id)
{
	unsigned long long start;

	return (proc_alive(id->pid, &start) && start == id->start);
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

/*
 * Appends the live children of pid but ex's, from the children list of
 * each task.
 */
static void
proc_children_of(pid_t pid, const struct proc_except *ex, struct idvec *out)
{
	char path[PATH_MAX], *buf, *p, *end;
	struct dirent *de;
	unsigned long long start;
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
		if ((buf = slurp_file(path, NULL)) == NULL)
			continue;
		for (p = buf; *p != '\0'; p = end) {
			c = strtol(p, &end, 10);
			if (end == p)
				break;
			/* A pid already seen moved here while we read. */
			if (c > 0 && !idvec_has(out, c) &&
			    proc_alive(c, &start) &&
			    !proc_excepted(ex, c, start))
				idvec_add(out, c, start);
		}
		free(buf);
	}
	closedir(dir);
}

static void
proc_descendants_children(pid_t root, const struct proc_except *ex,
    struct idvec *out)
{
	size_t i;

	proc_children_of(root, ex, out);
	for (i = 0; i < out->n; i++)
		proc_children_of(out->v[i].pid, ex, out);
}

/*
 * Without children lists: one pass over /proc, then a walk by parent
 * that does not enter ex's subtrees.
 */
static void
proc_descendants_scan(pid_t root, const struct proc_except *ex,
    struct idvec *out)
{
	struct idvec all = { 0 };
	struct dirent *de;
	pid_t *parent = NULL;
	size_t i, j, cap = 0;
	unsigned long long start;
	DIR *dir;
	char state;
	pid_t pid, ppid;

	if ((dir = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (proc_stat(pid, &state, &ppid, &start) == -1 ||
		    state == 'Z' || state == 'X' ||
		    proc_excepted(ex, pid, start))
			continue;
		idvec_add(&all, pid, start);
		if (all.n > cap) {
			cap = all.cap;
			parent = xreallocarray(parent, cap, sizeof *parent);
		}
		parent[all.n - 1] = ppid;
	}
	closedir(dir);
	for (j = 0; j < all.n; j++)
		if (parent[j] == root)
			idvec_add(out, all.v[j].pid, all.v[j].start);
	for (i = 0; i < out->n; i++)
		for (j = 0; j < all.n; j++)
			if (parent[j] == out->v[i].pid &&
			    !idvec_has(out, all.v[j].pid))
				idvec_add(out, all.v[j].pid, all.v[j].start);
	free(all.v);
	free(parent);
}

static void
proc_list(pid_t root, const struct proc_except *ex, struct idvec *out)
{
	if (proc_children_supported())
		proc_descendants_children(root, ex, out);
	else
		proc_descendants_scan(root, ex, out);
}

/* Makes orphans of our descendants our children rather than init's. */
int
proc_subreaper(void)
{
	return (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/*
 * Every live (non-zombie) descendant of root outside the subtrees of
 * except, parents before children; *ids is a new array (NULL when there
 * are none) the caller frees.
 */
size_t
proc_descendants_except(pid_t root, const struct proc_id *except,
    size_t nexcept, struct proc_id **ids)
{
	struct proc_except ex = { except, nexcept };
	struct idvec out = { 0 };

	proc_list(root, &ex, &out);
	*ids = out.v;
	return (out.n);
}

/* Every live descendant of root, as pids; see proc_descendants_except. */
size_t
proc_descendants(pid_t root, pid_t **pids)
{
	struct proc_id *ids;
	size_t i, n;

	*pids = NULL;
	if ((n = proc_descendants_except(root, NULL, 0, &ids)) == 0)
		return (0);
	*pids = xreallocarray(NULL, n, sizeof **pids);
	for (i = 0; i < n; i++)
		(*pids)[i] = ids[i].pid;
	free(ids);
	return (n);
}

/*
 * Sends sig to every descendant of root outside the subtrees of except;
 * returns how many got it.
 */
int
proc_signal_descendants_except(pid_t root, const struct proc_id *except,
    size_t nexcept, int sig)
{
	struct proc_id *ids;
	size_t i, n;
	int sent = 0;

	n = proc_descendants_except(root, except, nexcept, &ids);
	for (i = 0; i < n; i++)
		if (kill(ids[i].pid, sig) == 0)
			sent++;
	free(ids);
	return (sent);
}

int
proc_signal_descendants(pid_t root, int sig)
{
	return (proc_signal_descendants_except(root, NULL, 0, sig));
}

static void
proc_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Kills every descendant of root outside the subtrees of except:
 * SIGTERM (and SIGCONT, so that stopped ones see it), up to grace
 * seconds for them to go, then SIGKILL until none is left. The tree is
 * listed again on every round, so processes forked meanwhile are caught
 * too; children of the caller are reaped as they die. Returns how many
 * processes there were. Blocks.
 */
int
proc_kill_descendants_except(pid_t root, const struct proc_id *except,
    size_t nexcept, double grace)
{
	struct proc_except ex = { except, nexcept };
	struct idvec seen = { 0 }, cur;
	size_t i;
	double deadline;
	useconds_t delay = 1000;
	int count;

	deadline = time_mono() + grace;
	while (grace > 0) {
		memset(&cur, 0, sizeof cur);
		proc_list(root, &ex, &cur);
		if (cur.n == 0)
			goto done;
		for (i = 0; i < cur.n; i++) {
			if (idvec_has(&seen, cur.v[i].pid))
				continue;
			idvec_add(&seen, cur.v[i].pid, cur.v[i].start);
			kill(cur.v[i].pid, SIGTERM);
			kill(cur.v[i].pid, SIGCONT);
		}
		free(cur.v);
		proc_reap();
		if (time_mono() >= deadline)
			break;
		usleep(delay);
		if (delay < 50000)
			delay *= 2;
	}

	delay = 1000;
	deadline = time_mono() + PROC_KILL_MAX;
	for (;;) {
		memset(&cur, 0, sizeof cur);
		proc_list(root, &ex, &cur);
		if (cur.n == 0)
			break;
		for (i = 0; i < cur.n; i++) {
			if (!idvec_has(&seen, cur.v[i].pid))
				idvec_add(&seen, cur.v[i].pid,
				    cur.v[i].start);
			kill(cur.v[i].pid, SIGKILL);
		}
		free(cur.v);
		proc_reap();
		if (time_mono() >= deadline) {
			log_warnx("%zu processes survive SIGKILL", cur.n);
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

int
proc_kill_descendants(pid_t root, double grace)
{
	return (proc_kill_descendants_except(root, NULL, 0, grace));
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

/*
 * Summed resident sets of root's descendants outside the subtrees of
 * except, in bytes.
 */
long long
proc_descendants_rss_except(pid_t root, const struct proc_id *except,
    size_t nexcept)
{
	struct proc_id *ids;
	size_t i, n;
	long long sum = 0;

	n = proc_descendants_except(root, except, nexcept, &ids);
	for (i = 0; i < n; i++)
		sum += proc_rss(ids[i].pid);
	free(ids);
	return (sum);
}

/* Summed resident sets of root's descendants, in bytes. */
long long
proc_descendants_rss(pid_t root)
{
	return (proc_descendants_rss_except(root, NULL, 0));
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
