/*
 * trace.h: what libdagzprobe.so recorded for one test, read back from
 * the files its processes wrote (dagz-probe(7)) and merged: the files
 * read under the project root, the directories listed, the paths looked
 * up there and not found,
 * the files written (of those the test read first: rewritten), and the
 * programs that ran, as app spans. A trace
 * that may lack a dependency is incomplete, and says why.
 *
 * Paths are relative to the root, sorted and without duplicates. A
 * malformed or cut record makes the trace incomplete, never an error:
 * errors are for files and directories that cannot be read.
 */
#ifndef DAGZ_TRACE_H
#define DAGZ_TRACE_H

#include <sys/types.h>

#include <jansson.h>
#include <stddef.h>

struct trace_app {
	pid_t	  pid;
	pid_t	  ppid;
	int	  parent;	/* index of the app that started it; -1 */
	char	**argv;
	double	  start;	/* unix time, seconds */
	double	  end;		/* -1: unknown (killed unseen) */
	int	  exit_code;	/* -1: unknown */
	int	  signal;	/* the signal that killed it, or 0 */
	int	  exec;		/* replaced by its pid's next app */
	int	  traced;	/* 0: the probe could not follow it */
};

struct trace_raw;

struct trace {
	char		**reads;
	size_t		  nreads;
	char		**lists;	/* directories listed */
	size_t		  nlists;
	char		**missing;
	size_t		  nmissing;
	char		**writes;
	size_t		  nwrites;
	char		**rewrites;	/* found, read, then written */
	size_t		  nrewrites;
	struct trace_app *apps;		/* by start time */
	size_t		  napps;
	int		  incomplete;
	char		**reasons;	/* why incomplete, sorted */
	size_t		  nreasons;
	size_t		  nfiles;	/* trace files read */
	struct trace_raw *raw;		/* the records as read */
};

void	 trace_init(struct trace *);
void	 trace_clear(struct trace *);
void	 trace_add_line(struct trace *, const char *, size_t, const char *,
	    size_t);
int	 trace_add_file(struct trace *, const char *, char *, size_t);
int	 trace_add_dir(struct trace *, const char *, char *, size_t);
void	 trace_incomplete(struct trace *, const char *);
void	 trace_finish(struct trace *);
int	 trace_read_dir(struct trace *, const char *, char *, size_t);
void	 trace_check_leader(struct trace *, pid_t);
void	 trace_merge(struct trace *, const struct trace *);
int	 trace_has(char *const *, size_t, const char *);
json_t	*trace_to_json(const struct trace *);

#endif
