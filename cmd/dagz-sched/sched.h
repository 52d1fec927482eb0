/* sched.h: the scheduler's state: one job, its tests and its workers. */
#ifndef DAGZ_SCHED_H
#define DAGZ_SCHED_H

#include <sys/tree.h>
#include <sys/types.h>

#include <stdio.h>

#include <event2/event.h>

#include "proto.h"
#include "status.h"
#include "testdef.h"

struct ndjson_peer;
struct sched_store;

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct sched_options {
	int		 workers;
	double		 timeout;
	double		 grace;
	double		 slow;
	long long	 mem_budget;
	enum leak_policy leak;
	char		*events;
	char		*junit;
	char		*log_dir;
	enum color_mode	 color;
	int		 verbose;
	char		*manifest;
	char	       **globs;
	char	       **argv;		/* the command line, for reports */
};

enum test_state { TS_PENDING, TS_SENT, TS_RUNNING, TS_DONE };

struct test {
	struct test_def		 def;
	size_t			 index;
	enum test_state		 state;
	enum test_status	 status;	/* final, once TS_DONE */
	double			 estimate;	/* seconds, for the plan */
	int			 worker;	/* while sent or running */
	double			 started;	/* monotonic, while running */
	double			 slow_next;	/* next "still running" */
	struct msg_result	*attempts;
	int			 nattempts;
	RB_ENTRY(test)		 entry;
};
RB_HEAD(test_tree, test);
RB_PROTOTYPE(test_tree, test, entry, test_cmp);

struct sworker {
	int		 index;
	int		 ready;
	int		 inflight;	/* sent, not finished */
	struct test	*current;	/* running now */
	int		 finished;
	int		 deaths;
};

struct sched {
	struct sched_options	 opt;
	struct event_base	*base;
	struct ndjson_peer	*vassal;
	pid_t			 vassal_pid;
	char			 job[40];
	char			 short_id[32];	/* from the store, or "" */
	struct sched_store	*store;		/* NULL: no store */
	char			*log_dir;	/* effective */
	int			 log_dir_temp;	/* ours to remove */
	double			 t0;		/* monotonic start */
	double			 t0_unix;

	struct test		*tests;
	size_t			 ntests;
	struct test_tree	 by_id;
	struct test	       **queue;		/* pending, longest first */
	size_t			 nqueue;
	size_t			 qnext;
	size_t			 npending;	/* TS_PENDING tests */
	size_t			 nrequeued;	/* of those, before qnext */
	size_t			 ndone;
	int			 loaded;
	double			 planned;

	struct sworker		*workers;
	int			 nworkers;

	int			 counts[ST__COUNT];
	double			 cpu;
	int			 batch_ok;
	int			 batch_skipped;
	double			 batch_last;

	FILE			*events;
	int			 exit_code;	/* -1 until decided */
	int			 ending;
	int			 interrupted;
	char			*error;		/* a dagz error, if any */

	struct event		*ev_tick;
	struct event		*ev_chld;
	struct event		*ev_int;
	struct event		*ev_term;
};

/* sched-loop.c */
int	 sched_run(struct sched *);
struct test *sched_find(struct sched *, const char *);

void	 sched_skip_test(struct sched *, struct test *, enum test_status,
	    const char *);

/*
 * sched-store.c: the job's record in dagzd. store_open finds the daemon;
 * store_job_begin (after loading, before planning) creates the job, sets
 * short_id, replaces estimates with recorded durations and may mark
 * tests REDUNDANT with sched_skip_test; store_result streams each
 * finished attempt and must never block; store_job_end sends the summary
 * and waits (bounded) for everything to be stored; store_job_url is the
 * dashboard link for the report, or NULL.
 */
void	 store_open(struct sched *);
void	 store_job_begin(struct sched *);
void	 store_result(struct sched *, struct test *, const struct msg_result *);
void	 store_job_end(struct sched *, double);
void	 store_close(struct sched *);
const char *store_job_url(struct sched *);

/* sched-output.c */
void	 out_init(struct sched *);
void	 out_line(struct sched *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 out_start(struct sched *);
void	 out_result(struct sched *, struct test *, const struct msg_result *);
void	 out_tick(struct sched *, double);
void	 out_flush_batch(struct sched *);
void	 out_summary(struct sched *, double);
void	 out_report(struct sched *, double);

/* sched-report.c */
int	 report_events_open(struct sched *);
void	 report_event_result(struct sched *, const struct msg_result *);
void	 report_event_summary(struct sched *, double);
int	 report_junit(struct sched *, double);

#endif
