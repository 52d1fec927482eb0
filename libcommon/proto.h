/*
 * proto.h: the messages dagz-sched, dagz-vassal and dagz-worker exchange,
 * documented in dagz-protocol(7). Each type has one encode function
 * (returning a new reference) and one decode function (validating every
 * field into a typed struct; strings in it are owned by the struct and
 * released by its _clear function).
 */
#ifndef DAGZ_PROTO_H
#define DAGZ_PROTO_H

#include <sys/types.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cases.h"
#include "status.h"
#include "testdef.h"

#define PROTO_VERSION	1

enum proto_type {
	PROTO_HELLO,
	PROTO_CONFIG,
	PROTO_TEST,
	PROTO_FIXTURE,
	PROTO_LOADED,
	PROTO_ERROR,
	PROTO_RUN,
	PROTO_EXEC,
	PROTO_STARTED,
	PROTO_RESULT,
	PROTO_WORKER,
	PROTO_SHUTDOWN,
	PROTO_BYE,
	PROTO_JOIN,
	PROTO_WELCOME,
	PROTO_REPORT,
	PROTO_ACK,
	PROTO_RECYCLE,
	PROTO_UNKNOWN
};

enum proto_type	 proto_type(json_t *);
const char	*proto_type_name(enum proto_type);

/* hello: first message each way; proto must match PROTO_VERSION. */
struct msg_hello {
	int	 proto;
	char	 role[16];	/* "sched", "vassal", "worker" */
	pid_t	 pid;
	int	 worker;	/* worker: its index; others -1 */
	int	 workers;	/* vassal: how many workers it runs */
};
json_t	*proto_hello_encode(const struct msg_hello *);
int	 proto_hello_decode(json_t *, struct msg_hello *, char *, size_t);

/* config (sched -> vassal): how the job's tests are to be run. */
enum leak_policy { LEAK_KILL, LEAK_FAIL };
struct msg_config {
	char		*job;
	double		 timeout;	/* default per test, seconds */
	double		 grace;		/* SIGTERM to SIGKILL, seconds */
	long long	 mem_budget;	/* bytes, 0: none */
	enum leak_policy leak;
	char		*log_dir;
	char		*root;		/* project root to probe, or NULL */
	int		 first_worker;	/* the node's first worker's number */
	int		 node;		/* the node's index (its CI slot) */
	char	       **worker_env;	/* NAME=TEMPLATE, or NULL */
	long long	 worker_mem_budget; /* bytes, 0: none; see kept_rss */
};
json_t	*proto_config_encode(const struct msg_config *);
int	 proto_config_decode(json_t *, struct msg_config *, char *, size_t);
void	 proto_config_clear(struct msg_config *);

/* test / fixture (vassal -> sched): one collected definition. */
json_t	*proto_test_encode(const struct test_def *);
int	 proto_test_decode(json_t *, struct test_def *, char *, size_t);
json_t	*proto_fixture_encode(const struct fixture_def *);
int	 proto_fixture_decode(json_t *, struct fixture_def *, char *, size_t);

/* loaded (vassal -> sched): collection finished. */
json_t	*proto_loaded_encode(int);
int	 proto_loaded_decode(json_t *, int *, char *, size_t);

/* error: "input" (bad manifest: exit 2) or "internal" (exit 3). */
struct msg_error {
	char	 kind[16];
	char	*message;
};
json_t	*proto_error_encode(const char *, const char *);
int	 proto_error_decode(json_t *, struct msg_error *, char *, size_t);
void	 proto_error_clear(struct msg_error *);

/*
 * A fixture's setup or teardown travels as a run of the fixture's name
 * with a phase; a test's run has none (phase[0] == '\0').
 */
#define PROTO_PHASE_LEN	16
int	 proto_phase_valid(const char *);

/*
 * run (sched -> vassal): run test ID on a worker; never a command.
 * cases: only these (pytest node ids, bats names), for a test whose
 * definition has "subset"; NULL: all of them.
 */
struct msg_run {
	int	 worker;
	char	*test;
	int	 attempt;
	char	 phase[PROTO_PHASE_LEN];
	char   **cases;
};
json_t	*proto_run_encode(const struct msg_run *);
int	 proto_run_decode(json_t *, struct msg_run *, char *, size_t);
void	 proto_run_clear(struct msg_run *);

/* exec (vassal -> worker): the whole definition, with its timeout. */
struct msg_exec {
	struct test_def	 def;
	int		 attempt;
	double		 timeout;
	char		 phase[PROTO_PHASE_LEN];
	char	       **cases;		/* as run's */
};
json_t	*proto_exec_encode(const struct test_def *, int, double,
	    const char *, char *const *);
int	 proto_exec_decode(json_t *, struct msg_exec *, char *, size_t);
void	 proto_exec_clear(struct msg_exec *);

/* started (worker -> vassal -> sched). */
struct msg_started {
	int	 worker;
	char	*test;
	int	 attempt;
	pid_t	 pid;
	char	 phase[PROTO_PHASE_LEN];
};
json_t	*proto_started_encode(const struct msg_started *);
int	 proto_started_decode(json_t *, struct msg_started *, char *, size_t);
void	 proto_started_clear(struct msg_started *);

/* result (worker -> vassal -> sched): one finished attempt. */
/*
 * What the probe saw of one run, as much of it as selection needs: paths
 * are relative to the project root. A trace larger than PROTO_TRACE_MAX
 * bytes of paths loses its lists and is sent incomplete.
 */
#define PROTO_TRACE_MAX	(2 * 1024 * 1024)
/* A file the test read and then rewrote, as the test left it. */
struct msg_rewrite {
	char			*path;
	uint64_t		 hash;		/* baseline_path_hash */
};

struct msg_trace {
	int			 present;
	int			 incomplete;
	char			**reasons;	/* strv, or NULL */
	char			**reads;
	char			**lists;	/* directories listed */
	char			**missing;
	char			**writes;	/* made: top-most only */
	int			 writes_cut;	/* writes: not all */
	char			**removed;	/* of writes: gone at its end */
	struct msg_rewrite	*rewrites;
	size_t			 nrewrites;
	int			 apps;		/* programs that ran */
};
json_t	*proto_trace_encode(const struct msg_trace *);
int	 proto_trace_decode(json_t *, struct msg_trace *, char *, size_t);
void	 proto_trace_clear(struct msg_trace *);

/*
 * The code elements a language hook recorded, per case: what the
 * worker read from $DAGZ_CASE_ELEMENTS, each line one case as the hook
 * wrote it ({"case", "elements": [[NAME, FP]...], "files"}; a null case
 * ran at import; the lines the hook writes as cases start and end,
 * cases_read_progress's, are passed over). known: every element of the
 * files that hold cases, run or not (the null case's line has them as
 * "known": [[NAME, FP]...]), so that a changed element no case ran is
 * told from a new one; its name and files are unused. They travel as
 * tables, each element and file once, the cases holding indices into
 * them ("known": [INDEX...], absent when there are none). error: the
 * hook said it failed, or its file could not be read, held more than
 * PROTO_ELEMENTS_FILE_MAX bytes, or more than PROTO_ELEMENTS_MAX bytes
 * as they would travel, or cases started and the hook never wrote what
 * they ran: what is there is not all (when unsure, select).
 */
#define PROTO_ELEMENTS_MAX	(512 * 1024)
#define PROTO_ELEMENTS_FILE_MAX	(32 * 1024 * 1024)
struct msg_case_elements {
	char			*name;		/* NULL: at import */
	char			**elems;	/* "FILE#QUALNAME" */
	uint64_t		*fps;
	size_t			 nelems;
	char			**files;	/* covered, or NULL */
};

struct msg_elements {
	int			 present;
	char			*error;		/* or NULL */
	struct msg_case_elements *v;
	size_t			 n;
	struct msg_case_elements known;
};
json_t	*proto_elements_encode(const struct msg_elements *);
int	 proto_elements_decode(json_t *, struct msg_elements *, char *,
	    size_t);
/* The hook's NDJSON (len bytes of text, or NULL: unreadable) into m. */
void	 proto_elements_read(const char *, size_t, struct msg_elements *);
void	 proto_elements_clear(struct msg_elements *);

struct msg_result {
	int			 worker;
	char			*test;
	int			 attempt;
	enum test_status	 status;
	int			 exit_code;	/* -1: did not exit */
	int			 signal;	/* 0: none */
	double			 start;		/* unix time, seconds */
	double			 duration;	/* wall, seconds */
	double			 cpu;		/* user + system, seconds */
	long long		 rss;		/* peak of the tree, bytes */
	long long		 kept_rss;	/* worker + fixtures; 0: unsaid */
	int			 leaked;	/* processes left behind */
	char			*reason;	/* why, for humans; or NULL */
	char			*log;		/* path of the log, or NULL */
	char			*tail;		/* end of the log, or NULL */
	char			 phase[PROTO_PHASE_LEN];
	struct msg_trace	 trace;		/* present: a probed test */
	struct case_list	 cases;		/* present: cases were read */
	struct msg_elements	 elements;	/* present: a hook's record */
	/* The log itself, from a node whose files the scheduler can't read. */
	char			*logz;		/* zlib, base64; or NULL */
	long long		 log_size;	/* bytes the test wrote */
	long long		 log_cut;	/* of them, not in logz */
};
json_t	*proto_result_encode(const struct msg_result *);
int	 proto_result_decode(json_t *, struct msg_result *, char *, size_t);
void	 proto_result_clear(struct msg_result *);

/* worker (vassal -> sched): a worker's life. */
struct msg_worker {
	int	 worker;
	char	 state[16];	/* "ready", "died" */
	char	*reason;
	char	*test;		/* died: the test's run it had taken, or NULL */
	int	 attempt;
};
json_t	*proto_worker_encode(const struct msg_worker *);
int	 proto_worker_decode(json_t *, struct msg_worker *, char *, size_t);
void	 proto_worker_clear(struct msg_worker *);

/*
 * join (vassal -> sched over TCP, the first line): a node of a job of
 * many nodes, admitted with the job's token. resume: the last message
 * of the scheduler it received, when it comes back after losing the
 * connection; 0 on its first join.
 */
#define PROTO_TOKEN_MAX	256
struct msg_join {
	int	 proto;
	char	*token;
	int	 node;		/* its CI slot, 0-based */
	int	 workers;
	pid_t	 pid;
	char	*host;
	char	*root;		/* its project root, for definitions */
	long long resume;
};
json_t	*proto_join_encode(const struct msg_join *);
int	 proto_join_decode(json_t *, struct msg_join *, char *, size_t);
void	 proto_join_clear(struct msg_join *);

/*
 * welcome (sched -> vassal): admitted; time is the scheduler's clock
 * (unix seconds), for the vassal's offset; resume the last message of the
 * vassal it received (the vassal sends again what came after).
 */
struct msg_welcome {
	char		*job;
	int		 first_worker;
	double		 time;
	long long	 resume;
};
json_t	*proto_welcome_encode(const struct msg_welcome *);
int	 proto_welcome_decode(json_t *, struct msg_welcome *, char *, size_t);
void	 proto_welcome_clear(struct msg_welcome *);

/* ack (either way, over TCP): how many messages have come so far. */
json_t	*proto_ack_encode(uint64_t);
int	 proto_ack_decode(json_t *, uint64_t *, char *, size_t);

/* report (sched -> vassal): the job's end, to print; its exit status. */
json_t	*proto_report_encode(char **, int);
int	 proto_report_decode(json_t *, char ***, int *, char *, size_t);

/*
 * recycle (sched -> vassal): replace the worker, idle and with its
 * fixtures torn down, by a fresh one, which says "ready" as any new one.
 */
json_t	*proto_recycle_encode(int);
int	 proto_recycle_decode(json_t *, int *, char *, size_t);

/* shutdown (down the tree), bye (up: all is flushed). */
json_t	*proto_shutdown_encode(void);
json_t	*proto_bye_encode(void);

#endif
