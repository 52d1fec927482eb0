/* vassal.h: the per-node coordinator: collects tests, runs workers. */
#ifndef DAGZ_VASSAL_H
#define DAGZ_VASSAL_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "adapter.h"
#include "proto.h"
#include "suite.h"

struct ndjson_peer;
struct outbox;

/* A message waiting for its worker to say hello. */
struct pending {
	json_t			*msg;
	char			*test;		/* a test's run, or NULL */
	int			 attempt;
	TAILQ_ENTRY(pending)	 entry;
};

/* A test's run the worker was given and has not answered yet. */
struct vrun {
	char			*test;
	int			 attempt;
};
TAILQ_HEAD(pendings, pending);

struct vassal;

struct vworker {
	struct vassal		*vassal;
	int			 index;
	pid_t			 pid;		/* 0: not running */
	struct ndjson_peer	*peer;
	int			 ready;		/* said hello */
	int			 restarts;
	int			 recycling;	/* to be replaced, not restarted */
	struct pendings		 queue;
	struct vrun		*inflight;	/* given to it, oldest first */
	size_t			 ninflight;
};

struct vassal {
	struct event_base	*base;
	struct ndjson_peer	*sched;
	char			*worker_path;
	struct adapter_list	 adapters;	/* --adapters */
	struct suite		 suite;
	struct msg_config	 config;
	int			 configured;
	struct vworker		*workers;
	int			 nworkers;
	int			 shutting_down;
	int			 exit_code;	/* 0, or 3 on a bad line */
	int			 first;		/* number of workers[0] in the job */

	/* A node of its own, joined over TCP (--connect). */
	char		       **connect;	/* the scheduler's addresses */
	char			*token;		/* the job's, from --token-fd */
	int			 node;		/* --node: its CI slot */
	char			*root;		/* --root: its project root */
	char			*own_log_dir;	/* logs here, ours to remove */
	double			 offset;	/* scheduler's clock - ours */
	double			 join_sent;	/* unix time */
	int			 welcomed;
	char		       **report;	/* the job's report, to print */
	struct outbox		*out;		/* sent, until acknowledged */
	uint64_t		 received;	/* messages from the scheduler */
	uint64_t		 acked;		/* the count it last heard */
	double			 grace;		/* --reconnect-grace */
	double			 away_since;	/* monotonic; 0: connected */
	struct event		*ev_tick;
	char			*job;		/* --job: for the relay */
	char			*worker_init;	/* --worker-init CMD */
	char			*worker_cleanup;
	int			 relay_only;	/* --relay */
	int			 connecting;	/* through the relay */
	int			 said_dial;	/* warned once of each */
	int			 said_relay;
	int			 report_exit;	/* -1: none came */
	struct event		*ev_chld;
	struct event		*ev_term;
	struct event		*ev_int;
};

/* Runs until shut down; the exit status. */
int	vassal_start(struct vassal *, int);

#endif
