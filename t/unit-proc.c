/*
 * unit-proc.c: tests of libcommon/proc.c on real process trees: members
 * that left the group (setsid) or were orphaned (double fork) must be
 * found and killed, even ones that ignore SIGTERM or keep forking.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "unit.h"
#include "timeutil.h"

static void __attribute__((noreturn))
idle(int fd)
{
	pid_t me = getpid();

	if (write(fd, &me, sizeof me) != sizeof me)
		_exit(1);
	close(fd);
	for (;;)
		pause();
}

/*
 * Forks leader A, which forks B (setsid, ignores SIGTERM) and C, which
 * forks D and exits at once, so that D is orphaned. Fills pids with
 * A, B and D once all three are up.
 */
static void
spawn_tree(pid_t pids[3])
{
	pid_t pid;
	int i, j, p[2];

	if (pipe(p) == -1)
		exit(99);
	if ((pids[0] = fork()) == 0) {
		close(p[0]);
		if (fork() == 0) {
			setsid();
			signal(SIGTERM, SIG_IGN);
			idle(p[1]);
		}
		if (fork() == 0) {
			if (fork() == 0)
				idle(p[1]);
			_exit(0);
		}
		idle(p[1]);
	}
	close(p[1]);
	/* A's pid comes too; keep B and D in pids[1] and pids[2]. */
	for (i = 0, j = 1; i < 3; i++) {
		if (read(p[0], &pid, sizeof pid) != sizeof pid)
			exit(99);
		if (pid != pids[0])
			pids[j++] = pid;
	}
	close(p[0]);
}

static int
has(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == pid)
			return (1);
	return (0);
}

static int
gone(pid_t pid)
{
	return (kill(pid, 0) == -1 && errno == ESRCH);
}

static void
reap_all(void)
{
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

static void
test_tree(int scan)
{
	pid_t tree[3], *pids;
	size_t n;
	double t0;
	int killed;

	proc_force_scan(scan);
	spawn_tree(tree);
	/* C exits on its own; give it time to be reaped by A or be a zombie. */
	usleep(50000);

	n = proc_descendants(getpid(), &pids);
	ok(n == 3 && has(pids, n, tree[0]) && has(pids, n, tree[1]) &&
	    has(pids, n, tree[2]), "%s: leader, setsid and orphan found "
	    "(%zu)", scan ? "scan" : "children", n);
	free(pids);
	ok(proc_signal_descendants(getpid(), 0) == 3,
	    "%s: signal reaches all three", scan ? "scan" : "children");
	ok(proc_tree_rss(getpid()) > proc_descendants_rss(getpid()) &&
	    proc_descendants_rss(getpid()) > 0, "%s: tree rss %lld, "
	    "descendants %lld", scan ? "scan" : "children",
	    proc_tree_rss(getpid()), proc_descendants_rss(getpid()));

	t0 = time_mono();
	killed = proc_kill_descendants(getpid(), 0.2);
	ok(killed == 3, "%s: kill counts 3 (%d)", scan ? "scan" : "children",
	    killed);
	ok(time_mono() - t0 >= 0.19, "%s: SIGTERM-proof member waited the "
	    "grace", scan ? "scan" : "children");
	n = proc_descendants(getpid(), &pids);
	free(pids);
	ok(n == 0, "%s: none left", scan ? "scan" : "children");
	reap_all();
	ok(gone(tree[0]) && gone(tree[1]) && gone(tree[2]),
	    "%s: all three are gone", scan ? "scan" : "children");
	proc_force_scan(0);
}

static int
find_id(const struct proc_id *v, size_t n, pid_t pid, struct proc_id *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid) {
			*id = v[i];
			return (1);
		}
	return (0);
}

/*
 * Subtrees left out, as dagz-worker leaves out a fixture's server: A and
 * its child B are spared, the orphan D is not; an id whose start time
 * does not match is someone else and spares nothing.
 */
static void
test_except(int scan)
{
	const char *mode = scan ? "scan" : "children";
	struct proc_id *ids, a, stale;
	pid_t tree[3], *pids, b, d;
	size_t n;
	int killed;

	proc_force_scan(scan);
	spawn_tree(tree);
	usleep(50000);
	/* B and D report in either order: B is the one below A. */
	n = proc_descendants(tree[0], &pids);
	b = n == 1 ? pids[0] : -1;
	d = b == tree[1] ? tree[2] : tree[1];
	free(pids);
	ok(b > 0 && (b == tree[1] || b == tree[2]), "%s: B is below A",
	    mode);

	n = proc_descendants_except(getpid(), NULL, 0, &ids);
	ok(n == 3 && find_id(ids, n, tree[0], &a) && a.start > 0,
	    "%s: ids of all three, with start times", mode);
	free(ids);
	ok(proc_id_alive(&a), "%s: A is alive", mode);
	stale = a;
	stale.start++;
	ok(!proc_id_alive(&stale), "%s: a later start is not A", mode);

	n = proc_descendants_except(getpid(), &a, 1, &ids);
	ok(n == 1 && ids[0].pid == d, "%s: without A's subtree only "
	    "the orphan is left (%zu)", mode, n);
	free(ids);
	n = proc_descendants_except(getpid(), &stale, 1, &ids);
	free(ids);
	ok(n == 3, "%s: a stale id spares nothing (%zu)", mode, n);
	ok(proc_signal_descendants_except(getpid(), &a, 1, 0) == 1,
	    "%s: signal reaches only the orphan", mode);
	ok(proc_descendants_rss_except(getpid(), &a, 1) > 0 &&
	    proc_descendants_rss_except(getpid(), &a, 1) <
	    proc_descendants_rss(getpid()), "%s: rss without A's subtree",
	    mode);

	killed = proc_kill_descendants_except(getpid(), &a, 1, 0.1);
	ok(killed == 1 && gone(d), "%s: kill takes the orphan (%d)",
	    mode, killed);
	ok(proc_id_alive(&a) && b > 0 && kill(b, 0) == 0,
	    "%s: A and its child B are spared", mode);

	killed = proc_kill_descendants(getpid(), 0.1);
	ok(killed == 2, "%s: then both go (%d)", mode, killed);
	reap_all();
	ok(!proc_id_alive(&a) && gone(tree[0]) && gone(b),
	    "%s: A and B are gone", mode);
	proc_force_scan(0);
}

/* A member that forks all the time while being killed. */
static void
test_forker(void)
{
	pid_t pid, *pids;
	size_t n;
	int killed, i;

	if ((pid = fork()) == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;) {
			if (fork() == 0) {
				setsid();
				signal(SIGTERM, SIG_IGN);
				for (;;)
					pause();
			}
			usleep(1000);
		}
	}
	/* However loaded the machine, until it has made a few. */
	for (i = 0; i < 1000; i++) {
		n = proc_descendants(getpid(), &pids);
		free(pids);
		if (n > 10)
			break;
		usleep(10000);
	}
	ok(n > 10, "forker: %zu processes", n);
	killed = proc_kill_descendants(getpid(), 0.1);
	ok(killed >= (int)n, "forker: killed %d", killed);
	n = proc_descendants(getpid(), &pids);
	free(pids);
	ok(n == 0, "forker: none left");
	reap_all();
	ok(gone(pid), "forker: leader gone");
}

int
main(void)
{
	pid_t *pids;

	ok(proc_subreaper() == 0, "subreaper");
	ok(proc_descendants(getpid(), &pids) == 0 && pids == NULL,
	    "no descendants at first");
	ok(proc_kill_descendants(getpid(), 1) == 0, "killing none is 0");
	test_tree(0);
	test_tree(1);
	test_except(0);
	test_except(1);
	test_forker();
	ok(strcmp(proc_signame(SIGSEGV), "SIGSEGV") == 0, "SIGSEGV name");
	ok(strcmp(proc_signame(SIGKILL), "SIGKILL") == 0, "SIGKILL name");
	ok(strcmp(proc_signame(SIGRTMIN + 2), "SIGRTMIN+2") == 0,
	    "realtime name");
	return (tap_done());
}
