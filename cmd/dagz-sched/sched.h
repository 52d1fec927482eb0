/* sched.h: the scheduler's state: one job, its tests and its workers. */
#ifndef DAGZ_SCHED_H
#define DAGZ_SCHED_H

#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>
#include <jansson.h>

#include "adapter.h"
#include "projconf.h"
#include "proto.h"
#include "status.h"
#include "testdef.h"

struct ndjson_peer;
struct sched_store;
struct sched_select;
struct sched_repeat;

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct sched_options {
	int		 workers;
	double		 timeout;
	double		 grace;
	double		 slow;
	long long	 mem_budget;
	long long	 worker_mem_budget; /* --worker-mem-budget, or config */
	enum leak_policy leak;
	char		*events;
	char		*junit;
	char		*log_dir;
	enum color_mode	 color;
	int		 verbose;
	int		 plan_only;	/* --plan */
	int		 retries;	/* extra attempts, at most */
	double		 retry_budget;	/* seconds; 0: derived */
	double		 status_interval;
	double		 stuck_after;
	int		 no_store;
	int		 start_store;	/* --start-store: dagzd if none */
	struct adapter_list adapters;	/* flags, else the config's */
	char		*suite_name;	/* what was collected, for lines */
	char		*suite_dir;	/* absolute: where it was found */
	struct projconf	 config;	/* .dagz/config.yaml, if any */
	char		*filter;	/* --filter REGEX */
	char	       **test_ids;	/* TEST_ID... */
	int		 list_only;	/* --list */
	int		 allow_no_tests; /* --allow-no-tests */
	int		 select_all;	/* --all: selection off */
	int		 select_observe; /* --observe */
	int		 select_only;	/* print the selection, run nothing */
	int		 select_trace;	/* with each test's reasons */
	char		*baseline;	/* --baseline ID */
	char		*baseline_file;	/* --baseline-file FILE */
	char	       **worker_env;	/* --worker-env, else the config's */
	char		*worker_init;	/* --worker-init CMD */
	char		*worker_cleanup; /* --worker-cleanup CMD */
	char	       **globals;	/* --global GLOB */
	char	       **argv;		/* the command line, for reports */
	double		 wait_nodes;	/* --wait-nodes */
	double		 reconnect_grace; /* --reconnect-grace */
	int		 relay;		/* --relay, DAGZ_RELAY=1 */
	char	       **advertise;	/* --advertise ADDR */
	int		 max_fail;	/* --max-fail N; 0: never stop */
	int		 fail_fast;	/* it was --fail-fast, for reasons */
	int		 repeat;	/* --repeat N: runs in all, or 0 */
	int		 until_fail;	/* --until-fail */
	int		 new_tests_repeat; /* extra runs of a new test, or -1 */
	int		 auto_quarantine; /* --auto-quarantine N; 0: config's */
	char		*bisect_job;	/* --bisect-pollution J */
	int		 in_order;	/* --run-in-order: test_ids so */
	char		*coverage;	/* --coverage, else the config's */
};

/*
 * A test waits in a worker's queue (TS_PENDING), is sent to the worker
 * (TS_SENT), runs (TS_RUNNING) and ends (TS_DONE) when its final status
 * is known; a failed attempt that will be retried goes back to
 * TS_PENDING, in its worker's queue or in the deferred list. A test
 * that runs again after its first run (sched-repeat.c) is TS_REPEATING
 * until its last run ends.
 */
enum test_state { TS_PENDING, TS_SENT, TS_RUNNING, TS_DONE, TS_REPEATING };

/*
 * One attempt of a test, as the worker reported it, and its record (see
 * report_record): what every sink (console, events file, store) takes.
 */
struct attempt {
	struct msg_result	 r;
	json_t			*rec;
	int			 subset;	/* ran only t->cases */
};

struct test {
	struct test_def		 def;
	size_t			 index;
	enum test_state		 state;
	enum test_status	 status;	/* final, once TS_DONE */
	double			 estimate;	/* seconds, for the plan */
	int			 worker;	/* queued on, sent to or ran on */
	int			 planned_worker;
	int			 order;		/* in its planned queue */
	char			 why[256];	/* placement, for --plan */
	int			 group;		/* fixture group, or -1 */
	double			 started;	/* monotonic, while running */
	double			 slow_next;	/* next "still running" */
	struct attempt		*attempts;
	int			 nattempts;
	int			 failed_on;	/* worker of a failed attempt */
	int			 queued;	/* in its worker's queue */
	int			 deferred;	/* waits in s->deferred */
	int			 fresh;		/* needs fixtures set up anew */
	int			 stolen;
	uint64_t		 nodes;		/* bit per slot that has it */
	char			*conflict;	/* defined otherwise elsewhere */
	int			 lost;		/* running when its node was */
	char			 rerun[64];	/* why it ran again */
	int			 main_worker;	/* tag main-worker */
	int			 node_mutex;	/* tag node-mutex */
	char		       **locks;		/* tags lock:NAME, the names */
	size_t			*needs;		/* indices of what it needs */
	size_t			 nneeds;
	size_t			*dependents;
	size_t			 ndependents;
	size_t			 unmet;		/* needs not yet passed */
	size_t			*after;		/* indices it runs after */
	size_t			 nafter;
	size_t			*followers;	/* that run after it */
	size_t			 nfollowers;
	size_t			 waiting;	/* after: not yet ended */
	size_t			*fixtures;	/* indices in s->fixtures */
	size_t			 nfixtures;
	int			 quarantined;	/* fails no job: see below */
	/*
	 * A test whose selection picked some of its cases runs only those
	 * (node ids) until one fails: then cases is NULL, and it runs
	 * whole at once, its first retry.
	 */
	char		       **cases;
	RB_ENTRY(test)		 entry;
	TAILQ_ENTRY(test)	 qentry;	/* worker queue or deferred */
};
RB_HEAD(test_tree, test);
RB_PROTOTYPE(test_tree, test, entry, test_cmp);
TAILQ_HEAD(test_queue, test);

/* A fixture's state on one worker. */
enum fix_state { FIX_DOWN, FIX_SETTING_UP, FIX_UP, FIX_FAILED,
    FIX_TEARING_DOWN };

struct fixture {
	struct fixture_def	 def;
	int			 runs;		/* setups and teardowns sent */
};

enum worker_state { WS_NOT_CONNECTED, WS_READY, WS_DISCONNECTED,
    WS_FAILED, WS_RECYCLING };

/* One attempt that ran on a worker: t->attempts[attempt] of test test. */
struct ran {
	size_t		 test;
	int		 attempt;
};

struct sworker {
	int		 index;
	int		 node;		/* in s->nodes */
	enum worker_state state;
	int		 inflight;	/* runs sent, not finished */
	struct test	*current;	/* running now */
	struct test_queue queue;	/* planned or stolen, not sent */
	double		 queued_estimate;
	int		 assigned;	/* tests ever queued here */
	int		 finished;
	double		 actual_delta;	/* sum of (took - estimate) */
	double		 last_finished;	/* monotonic */
	double		 planned;	/* planned load, seconds */
	int		 batch;
	int		 retry_queue;	/* running deferred retries */
	int		 stolen;
	int		 stolen_finished;
	int		 reconnects;
	enum fix_state	*fix;		/* per fixture */
	int		 fix_busy;	/* a setup/teardown in flight */
	struct ran	*ran;		/* what ran here, in order */
	size_t		 nran;
	long long	 recycle_rss;	/* kept, over budget: to recycle */
	double		 recycle_start;	/* unix time, while WS_RECYCLING */
	int		 recycles;
};

/*
 * A node of the job: ours, whose vassal we started (nodes[0]), or one
 * that joined over TCP. index is its CI slot; its workers are numbered
 * first to first + nworkers - 1 across the job.
 */
enum node_state { NODE_LOADING, NODE_LOADED, NODE_GONE };

struct snode {
	struct sched		*sched;
	int			 pos;		/* in s->nodes */
	int			 index;
	int			 local;
	struct ndjson_peer	*peer;
	pid_t			 pid;		/* local: the vassal */
	enum node_state		 state;
	int			 merged;	/* its tests are the job's */
	int			 first;
	int			 nworkers;
	char			 host[64];
	char			*root;
	double			 joined;	/* unix time */
	double			 loaded_at;
	struct test_def		*defs;		/* remote: collected */
	size_t			 ndefs;
	struct fixture_def	*fixdefs;
	size_t			 nfixdefs;
	/* Over TCP: nothing lost when the connection breaks. */
	struct outbox		*out;
	uint64_t		 received;	/* messages from it */
	uint64_t		 acked;		/* the count it last heard */
	int			 away;		/* disconnected, in grace */
	struct test		*mutex;		/* node-mutex wanted/running */
	struct event		*ev_grace;
};

struct sched_net;

struct sched {
	struct sched_options	 opt;
	struct event_base	*base;
	struct ndjson_peer	*vassal;	/* nodes[0]'s */
	pid_t			 vassal_pid;
	struct snode	       **nodes;
	int			 nnodes;
	int			 slot;		/* ours, of slots */
	int			 slots;		/* 1: a job of one node */
	char			*run_key;	/* the slots', from cienv_slot */
	char			*retry_of;	/* a lone slot retried: its job */
	char		       **retry_tests;	/* what failed there; NULL: all */
	int			 partition;	/* no dagzd: of so many slots, */
	int			 part;		/* our share only */
	struct sched_net	*net;		/* the listener, or NULL */
	char		       **mirror;	/* lines for the other nodes */
	int			 mirroring;
	int			 draining;	/* node_end: reports sent */
	char			 job[40];
	char			 short_id[32];	/* from the store, or "" */
	int			 rerun;		/* of a CI job: no selection */
	struct sched_store	*store;		/* NULL: no store */
	char			*log_dir;	/* effective */
	char			*root;		/* project root, probed */
	struct sched_select	*select;	/* NULL: every test runs */
	struct sched_repeat	*repeat;	/* NULL: each test runs once */
	int			 log_dir_temp;	/* ours to remove */
	double			 t0;		/* monotonic start */
	double			 t0_unix;

	struct test		*tests;
	size_t			 ntests;
	struct test_tree	 by_id;
	struct fixture		*fixtures;
	size_t			 nfixtures;
	struct test_queue	 deferred;	/* deferred retries */
	size_t			 ndone;
	size_t			 nqueued;	/* in worker queues */
	int			 loaded;
	double			 planned;
	double			 retry_budget;
	int			 failed_tests;	/* with a failed attempt */
	size_t			 nfinished;	/* attempts, for the mean */
	double			 sum_duration;
	char		       **locks_held;

	struct sworker		*workers;
	int			 nworkers;

	int			 counts[ST__COUNT];
	double			 cpu;
	int			 batch_ok;
	int			 batch_skipped;
	double			 batch_last;
	double			 last_finish;	/* any test, monotonic */
	double			 status_next;
	double			 stuck_next;

	FILE			*events;
	int			 exit_code;	/* -1 until decided */
	int			 ending;
	int			 interrupted;
	char			*error;		/* a dagz error, if any */
	int			 stop_failures;	/* toward --max-fail */
	char			*stopped;	/* why nothing starts, or NULL */
	char			*stop_why;	/* not --max-fail: what stopped */
	char		       **quarantine_notes; /* for the report */

	struct event		*ev_tick;
	struct event		*ev_wait;	/* --wait-nodes */
	struct event		*ev_chld;
	struct event		*ev_int;
	struct event		*ev_term;
};

/* sched-loop.c */
int	 sched_run(struct sched *);
void	 sched_options_clear(struct sched_options *);
void	 sched_node_msg(struct ndjson_peer *, json_t *, void *);
void	 sched_node_close(struct ndjson_peer *, const char *, void *);
void	 sched_end(struct sched *);
void	 sched_on_loaded(struct sched *);
char	**sched_vassal_argv(struct sched *, char **);
struct test *sched_find(struct sched *, const char *);
void	 sched_fail(struct sched *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 sched_send_run(struct sched *, struct sworker *, const char *, int,
	    const char *);
void	 sched_maybe_finish(struct sched *);

/*
 * sched-node.c: the nodes of the job. node_local makes nodes[0], ours;
 * node_listen opens the TCP listener others join through, admitting a
 * join with the job's token; node_msg takes every node's messages;
 * node_all_loaded says whether planning may start, node_merge makes the
 * nodes' tests the job's (a test runs only on nodes that collected it
 * alike); node_may_run whether t may run on w; node_end sends the report
 * to the other nodes and lets them go.
 */
struct snode *node_local(struct sched *);
char	**node_listen(struct sched *, const char **);
int	 node_all_loaded(struct sched *);
int	 node_merge(struct sched *, struct snode *);
void	 node_merge_all(struct sched *);
void	 node_send_config(struct sched *, struct snode *);
int	 node_may_run(struct sched *, struct test *, struct sworker *);
void	 node_end(struct sched *, int);
void	 node_closed(struct sched *);
void	 node_send(struct sched *, struct snode *, json_t *);
void	 node_away(struct sched *, struct snode *, const char *);
void	 node_tick(struct sched *);
void	 node_relay(struct sched *);
void	 node_free_all(struct sched *);
void	 node_workers_grow(struct sched *, int);

/* sched-join.c: joining a job of many nodes through dagzd. */
int	 join_begin(struct sched *);
int	 join_publish(struct sched *);
void	 join_partition(struct sched *);
void	 join_retry(struct sched *);

/* sched-filter.c */
int	 filter_apply(struct sched *);
void	 filter_compact(struct sched *, const char *);
void	 filter_list(struct sched *);

/* sched-plan.c */
int	 plan_prepare(struct sched *);
void	 plan_make(struct sched *);
void	 plan_print(struct sched *);

/* sched-dispatch.c */
int	 dispatch_is_worker_fixture(struct sched *, size_t);
struct attempt *dispatch_add_attempt(struct test *, struct msg_result *);
int	 dispatch_counts_toward_stop(struct sched *, struct test *);
void	 dispatch(struct sched *);
void	 dispatch_result(struct sched *, struct msg_result *);
void	 dispatch_started(struct sched *, struct msg_started *);
void	 dispatch_worker_died(struct sched *, struct sworker *, const char *);
void	 dispatch_recycled(struct sched *, struct sworker *);
void	 dispatch_abandon(struct sched *, const char *);
void	 dispatch_node_lost(struct sched *, struct snode *, const char *);
void	 dispatch_orphans(struct sched *);
int	 dispatch_idle(struct sched *);
void	 dispatch_finish(struct sched *, struct test *, struct msg_result *,
	    const char *);
int	 dispatch_run_again(struct sched *, struct sworker *, struct test *,
	    int);
void	 dispatch_ran(struct sched *, struct sworker *, struct test *,
	    struct msg_result *);
void	 dispatch_release(struct sched *, struct test *);
void	 sched_skip_test(struct sched *, struct test *, enum test_status,
	    const char *);

/*
 * sched-stop.c: stopping early (--fail-fast, --max-fail N). stop_after
 * counts a test's final result and, at the Nth failure, stops the job:
 * s->stopped says why, and stop_pending ends every test not started
 * NOT_RUN (dispatch calls it again for tests that wait anew, such as
 * those of a worker that died). stop_what is "1 failure (--fail-fast)".
 * stop_now stops the job for another cause, said as "after WHAT".
 */
void	 stop_after(struct sched *, struct test *);
void	 stop_pending(struct sched *);
void	 stop_what(struct sched *, char *, size_t);
void	 stop_now(struct sched *, const char *);

/*
 * sched-repeat.c: tests that run again after their first run, on other
 * workers: every test of a stress job (--repeat, --until-fail), and each
 * new test of a job with --new-tests-repeat once it passed. repeat_begin
 * (before the first test is sent) decides which; repeat_first takes a
 * test's first result (1: it runs again, the result is its own);
 * repeat_dispatch gives idle workers the runs that wait; repeat_result
 * and repeat_started take those runs' messages (1: theirs);
 * repeat_worker_lost ends the runs a dead worker had; repeat_interrupt
 * stops an endless stress job (1: it ends as it is); repeat_summary
 * prints each test's failure rate; repeat_stress says whether the job is
 * a stress job, for its record.
 */
void	 repeat_begin(struct sched *);
int	 repeat_first(struct sched *, struct sworker *, struct test *,
	    struct msg_result *);
void	 repeat_dispatch(struct sched *);
int	 repeat_waiting(struct sched *, struct sworker *);
int	 repeat_result(struct sched *, struct sworker *, struct msg_result *);
int	 repeat_started(struct sched *, struct msg_started *);
void	 repeat_worker_lost(struct sched *, struct sworker *, const char *);
int	 repeat_interrupt(struct sched *);
void	 repeat_summary(struct sched *);
int	 repeat_stress(const struct sched *);
void	 repeat_free(struct sched *);

/*
 * sched-pollution.c: pollution_ran notes, as a result comes, the attempt
 * of t that ran on w; pollution_record gives an order-dependent OK_FLAKY
 * attempt its reason and "pollution" record field, naming the earlier
 * tests of that worker whose traced writes it read.
 */
void	 pollution_ran(struct sworker *, struct test *);
void	 pollution_record(struct sched *, struct test *, struct attempt *);
void	 pollution_free(struct sched *);

/*
 * sched-bisect.c: --bisect-pollution J TEST, which reruns TEST after
 * halves of what ran before it on its worker in job J, each step a run
 * of dagz-sched with the same flags (argv less the indices drop marks)
 * and --run-in-order; bisect_order puts --run-in-order's tests in its
 * order on the one worker.
 */
int	 bisect_run(struct sched *, int, char **, const char *, int);
void	 bisect_order(struct sched *);

/* sched-status.c */
void	 status_tick(struct sched *, double);
void	 status_lines(struct sched *, double);

/*
 * sched-store.c: the job's record in dagzd. store_open finds the daemon;
 * store_job_begin (after loading, before planning) creates the job, sets
 * short_id, replaces estimates with recorded durations and may mark
 * tests REDUNDANT with sched_skip_test; store_result streams each
 * finished attempt, its record as it is, and must never block;
 * store_job_end sends the summary and waits (bounded) for everything to
 * be stored; store_job_url is the dashboard link for the report, or
 * NULL; store_fixture records a fixture's setup or teardown (a "fixture"
 * span under a test); store_plan (from plan_make) records the plan, each
 * test's planned worker and start; store_recycle a worker recycled for
 * --worker-mem-budget (a "recycle" span on the job).
 */
void	 store_open(struct sched *);
void	 store_job_begin(struct sched *);
void	 store_start(const char *);
void	 store_result(struct sched *, struct test *,
	    const struct attempt *);
void	 store_job_end(struct sched *, double);
void	 store_close(struct sched *);
const char *store_job_url(struct sched *);
void	 store_fixture(struct sched *, const struct msg_result *, json_t *);
void	 store_workers_grow(struct sched *);
void	 store_node_load(struct sched *, struct snode *);
void	 store_plan(struct sched *);
void	 store_recycle(struct sched *, json_t *);
void	 store_project_branch(struct sched *, char **, char **);
struct store_reply;
/* A request to dagzd within the job's wait budget: 0, or -1. */
int	 store_request(struct sched *, const char *, const char *,
	    const char *, struct store_reply *);
void	 store_baseline_latest(struct sched *, const char *, const char *,
	    char *, size_t);
unsigned char *store_baseline_get(struct sched *, const char *, size_t *,
	    char *, size_t);
void	 store_baseline_put(struct sched *, const char *, const char *,
	    const void *, size_t, char *, size_t);

/*
 * sched-select.c: change-aware selection. select_root finds the project
 * root; select_prepare (before store_job_begin) fetches an explicit
 * --baseline, select_begin (after) loads the others and
 * marks what need not run DESELECTED; select_job_end builds the job's
 * baseline from the old one and what the tests read, and stores it.
 */
/* The latest baseline's copy in DAGZ_HOME. */
#define SELECT_CACHE	"baseline.latest"
void	 select_root(struct sched *);
/* An explicit --baseline, fetched before the job is recorded. */
int	 select_prepare(struct sched *);
int	 select_begin(struct sched *);
/* Why test t runs, as "selected" on its attempt's record. */
void	 select_record(const struct sched *, const struct test *, json_t *);
/*
 * A subset run's result r of t: every recorded case of t that it did
 * not run joins r's cases, DESELECTED; if r passed but reported fewer
 * of t's cases than it was given, it is FAILED (SELECT_SUBSET_SHORT).
 */
void	 select_subset_result(const struct sched *, const struct test *,
	    struct msg_result *);
/*
 * The reason of a subset run that reported fewer of its cases than it
 * was given: it did not pass, and the whole test runs.
 */
#define SELECT_SUBSET_SHORT	"the subset ran fewer cases than it was given"
void	 select_job_end(struct sched *);
/*
 * Whether a baseline has test t as it is now, and passed: 1; 0 if none
 * does (it is new, or its definition changed, or it has not passed
 * since); -1 when no baseline was loaded.
 */
int	 select_known(const struct sched *, const struct test *);
void	 select_free(struct sched *);

/*
 * sched-quarantine.c: the project's quarantine. quarantine_begin (from
 * store_job_begin, once the job is recorded) marks the quarantined
 * tests, after --auto-quarantine had the store update the quarantine;
 * quarantine_counts says whether a failure of a test counts against the
 * job (--fail-fast, --max-fail and the exit status ask it);
 * quarantine_excused whether a test ended failed in quarantine, and
 * quarantine_failures and quarantine_count_status count those.
 */
void	 quarantine_begin(struct sched *);
int	 quarantine_counts(const struct sched *, const struct test *);
/* Here, for the report's code, which the JUnit unit test links alone. */
static inline int
quarantine_excused(const struct test *t)
{
	return (t->quarantined && t->state == TS_DONE &&
	    status_failed(t->status));
}
int	 quarantine_failures(const struct sched *);
int	 quarantine_count_status(const struct sched *, enum test_status);

/* sched-output.c */
void	 out_init(struct sched *);
void	 out_line(struct sched *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 out_start(struct sched *);
void	 out_result(struct sched *, const struct attempt *);
void	 out_fixture(struct sched *, json_t *, const char *);
void	 out_tick(struct sched *, double);
void	 out_flush_batch(struct sched *);
void	 out_summary(struct sched *, double);
void	 out_report(struct sched *, double);
void	 out_size(long long, char *, size_t);

/*
 * sched-report.c: report_record builds an attempt's record (a new
 * reference), given the retry that follows or why none does, and
 * report_fixture_record a fixture's; report_event writes a record
 * (borrowed) to the events file.
 */
int	 report_events_open(struct sched *);
json_t	*report_seconds(double);
json_t	*report_record(struct sched *, struct test *,
	    const struct msg_result *, const char *, const char *);
json_t	*report_fixture_record(struct sched *, const struct msg_result *);
void	 report_event(struct sched *, json_t *);
void	 report_event_summary(struct sched *, double);
int	 report_junit(struct sched *, double);

#endif
