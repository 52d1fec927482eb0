/*
 * proc.h: process trees. A test is a tree rooted at its leader; its
 * members may leave the process group (setsid, double fork), so trees are
 * found by parent links in /proc, with the caller a child subreaper so
 * that orphans come back to it instead of to init.
 */
#ifndef DAGZ_PROC_H
#define DAGZ_PROC_H

#include <sys/types.h>

#include <stddef.h>

/*
 * One process, told apart by its start time from a later one that got
 * its pid once it was gone.
 */
struct proc_id {
	pid_t			 pid;
	unsigned long long	 start;	/* clock ticks after boot */
};

int	 proc_subreaper(void);
size_t	 proc_descendants(pid_t, pid_t **);
int	 proc_signal_descendants(pid_t, int);
int	 proc_kill_descendants(pid_t, double);
long long proc_tree_rss(pid_t);
long long proc_descendants_rss(pid_t);
const char *proc_signame(int);

/*
 * The same, leaving out the subtrees rooted at the processes given: they
 * and their descendants are neither listed, signalled, killed nor
 * counted.
 */
size_t	 proc_descendants_except(pid_t, const struct proc_id *, size_t,
	    struct proc_id **);
int	 proc_signal_descendants_except(pid_t, const struct proc_id *,
	    size_t, int);
int	 proc_kill_descendants_except(pid_t, const struct proc_id *, size_t,
	    double);
long long proc_descendants_rss_except(pid_t, const struct proc_id *,
	    size_t);
int	 proc_id_alive(const struct proc_id *);

/* For tests: find trees by scanning /proc/stat even if children exist. */
void	 proc_force_scan(int);

#endif
