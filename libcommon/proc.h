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

int	 proc_subreaper(void);
size_t	 proc_descendants(pid_t, pid_t **);
int	 proc_signal_descendants(pid_t, int);
int	 proc_kill_descendants(pid_t, double);
long long proc_tree_rss(pid_t);
long long proc_descendants_rss(pid_t);
const char *proc_signame(int);

/* For tests: find trees by scanning /proc/stat even if children exist. */
void	 proc_force_scan(int);

#endif
