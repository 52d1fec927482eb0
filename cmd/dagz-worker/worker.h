/*
 * worker.h: dagz-worker's state. The loop (worker-loop.c) speaks the
 * protocol with the vassal and queues exec requests; worker-run.c runs
 * them one at a time, each as a process tree in its own process group.
 */
#ifndef DAGZ_WORKER_H
#define DAGZ_WORKER_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <signal.h>

#include "cases.h"
#include "ndjson.h"
#include "proc.h"
#include "proto.h"
#include "tap.h"

/* Where a running test is in its life. */
enum run_phase {
	RUN_RUNNING,	/* leader alive, nothing sent to it */
	RUN_STOPPING,	/* SIGTERM sent (timeout or leak), grace running */
	RUN_KILLED,	/* SIGKILL sent; waiting for the last ones to go */
	RUN_AGAIN	/* gone on a transient error; to be run again */
};

/* One exec request waiting for its turn. */
struct worker_job {
	TAILQ_ENTRY(worker_job)	 entry;
	struct msg_exec		 exec;
};
TAILQ_HEAD(worker_jobs, worker_job);

/* The test being run. */
struct worker_run {
	struct worker_job	*job;
	enum run_phase		 phase;
	pid_t			 pid;		/* leader; also its pgid */
	int			 leader_done;	/* leader reaped */
	int			 exit_code;	/* leader's; -1: did not exit */
	int			 signal;	/* what killed the leader, or 0 */
	long long		 leader_maxrss;	/* bytes */
	int			 logfd;
	char			*log;
	double			 timeout;	/* seconds; 0: none */
	double			 start_unix;
	double			 start_mono;
	double			 end_mono;	/* leader gone; 0: not yet */
	struct rusage		 ru_before;	/* RUSAGE_CHILDREN at start */
	long long		 rss_peak;	/* sampled, bytes */
	int			 leaked;
	enum test_status	 forced;	/* when forced_reason is set */
	char			*forced_reason;	/* why we killed it, or NULL */
	int			 exec_errno;	/* chdir/exec failure, or 0 */
	int			 exec_stage;	/* RUN_STAGE_* that failed */
	char			*spawn_note;	/* retried start, or NULL */
	char			*bad_interp;	/* missing "#!" one, or NULL */
	struct proc_id		*spare;		/* kept ones its kills leave */
	size_t			 nspare;
	/* The cases it reports: TAP on a pipe, JUnit in a file. */
	int			 outfd;		/* our end of its stdout, or -1 */
	struct event		*ev_out;
	struct tap		*tap;		/* NULL: stdout is not TAP */
	char			*junit;		/* its $DAGZ_JUNIT, or NULL */
	char			*elements;	/* $DAGZ_CASE_ELEMENTS, or NULL */
	char			*casefile;	/* $DAGZ_CASES, or NULL */
	char			*unfinished;	/* the case the hook saw start
						   and not end, or NULL */
	struct case_list	 cases;
	off_t			 log_start;	/* where this run's output is */
	int			 again;		/* runs again on transients */
	int			 missing_errno;	/* transient_file is not there */
};

struct worker {
	struct event_base	*base;
	struct ndjson_peer	*peer;
	int			 index;
	int			 got_hello;
	int			 got_config;
	struct msg_config	 config;
	struct worker_jobs	 jobs;
	struct worker_run	*run;
	int			 devnull;
	sigset_t		 sigs_handled;	/* not at SIG_DFL in the worker */
	int			 status;	/* to exit with */
	struct event		*ev_chld;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_hup;
	struct event		*ev_timeout;
	struct event		*ev_sample;
	struct event		*ev_grace;
	struct event		*ev_next;
	struct event		*ev_again;
	/*
	 * What fixtures' setups left running, kept until the teardown of
	 * the fixture named in kept_by: neither leaked by the tests nor
	 * killed with them; nor are their descendants.
	 */
	struct proc_id		*kept;
	char			**kept_by;
	size_t			 nkept;
};

/* worker-loop.c */
int	 worker_main(int, int);
void	 worker_send(struct worker *, json_t *);
void	 worker_stop(struct worker *, int, int);

/* worker-run.c */
void	 run_init(struct worker *);
void	 run_next(struct worker *);
void	 run_reap(struct worker *);
void	 run_abort(struct worker *);
void	 run_free(struct worker *);

#endif
