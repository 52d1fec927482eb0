/*
 * sched-store.c: the job's record in the store daemon, dagzd. Every
 * record (the job, spans, results, logs, the summary) reaches a spool
 * file under $DAGZ_HOME/spool with one write(2) before the console or
 * the events file shows it, so that a scheduler killed right after it
 * printed a result still leaves the result for the next job to send.
 * From the spool, records are posted in batches from the event loop,
 * one request at a time; a batch leaves the spool only once dagzd
 * acknowledged it, and only a refusal of one record is final. A spool
 * left behind by a scheduler that died is sent by the next job. The job
 * waits on dagzd for at most STORE_BUDGET seconds in all, at its start
 * and at its end: the spool carries the rest.
 */
#include <sys/file.h>
#include <sys/param.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "cienv.h"
#include "envmask.h"
#include "exitcodes.h"
#include "jobid.h"
#include "ndjson.h"
#include "paths.h"
#include "sched.h"
#include "store.h"
#include "strv.h"
#include "timeutil.h"
#include "xmalloc.h"
#include "zbuf.h"

extern char **environ;

#define STORE_BATCH		(1024 * 1024)	/* bytes per request */
#define STORE_CREATE_WAIT	3.0	/* seconds for the job's creation */
#define STORE_TIMEOUT		5.0	/* seconds for a batch */
#define STORE_BEAT		10	/* seconds between heartbeats */
#define STORE_END_WAIT		10.0	/* at most, for the baseline */
#define STORE_BUDGET		2.0	/* seconds a job waits on dagzd */
#define STORE_BUDGET_END	0.5	/* of which the end keeps */
#define STORE_LINGER_MS		50	/* gather records for a batch */
#define STORE_EMPTY_AGE		60	/* seconds: an empty orphan is stale */
#define STORE_PLAN_CHUNK	1000	/* tests per "plan" record */

/* A spool file: ours (the first), or one a dead scheduler left. */
struct spool {
	char	 uuid[JOBID_UUID_LEN];
	char	*path;		/* NULL: an unnamed temporary file */
	int	 fd;		/* -1: done, or (ours) no file at all */
	off_t	 end;
	off_t	 acked;
};

/* What becomes of a batch once dagzd answered, or did not. */
enum store_verdict {
	STORE_NEXT,		/* send the next batch now */
	STORE_LATER,		/* dagzd is away: try again later */
	STORE_STOP		/* this dagzd takes nothing from us */
};

struct sched_store {
	char			*url;
	char			*token;
	char			*home;
	struct spool		*spools;
	size_t			 nspools;
	struct evbuffer		*mem;		/* ours the spool could not keep */
	size_t			 nmem;		/* how many records */
	char			*kept;		/* where ours are, for warnings */
	int			 full;		/* our spool takes no more */
	struct store_conn	*conn;
	int			 busy;		/* a batch in flight */
	size_t			 cur;		/* its spool */
	int			 cur_mem;	/* or from memory */
	char			*inflight;	/* the batch */
	size_t			 inflight_len;
	size_t			 batch_max;	/* halved on 413 */
	size_t			 cap_once;	/* the next batch ends here */
	double			 budget;	/* seconds left to wait on dagzd */
	int			 down;		/* the last attempt failed */
	int			 warned_down;
	int			 stopped;	/* sending given up */
	double			 backoff;
	struct event		*ev_retry;
	struct event		*ev_linger;
	struct event		*ev_beat;
	char			 load_span[JOBID_SPAN_LEN];
	char			*link;
	/*
	 * Fixture spans hang under a test: a setup under the next test its
	 * worker runs, a teardown under the last one it ran.
	 */
	json_t		       **fix_pending;	/* per worker, an array */
	char		       (*last_span)[JOBID_SPAN_LEN];
	int			 nworkers;
};

static void	store_pump(struct sched *);

static int
store_disabled(void)
{
	const char *v = getenv("DAGZ_NO_STORE");

	return (v != NULL && *v != '\0' && strcmp(v, "0") != 0);
}

void
store_open(struct sched *s)
{
	struct sched_store *st;

	s->store = NULL;
	if (s->opt.no_store || store_disabled())
		return;
	st = xcalloc(1, sizeof *st);
	st->url = store_url();
	st->token = store_token();
	st->home = store_home();
	st->backoff = 0.1;
	st->batch_max = STORE_BATCH;
	st->budget = STORE_BUDGET;
	if ((st->mem = evbuffer_new()) == NULL)
		errx(DAGZ_EXIT_ERROR, "evbuffer_new");
	s->store = st;
}

/*
 * How long a synchronous call may wait on dagzd: at most cap, within
 * what is left of the job's budget; at the start, less what the end
 * keeps. 0: no time left, do not call.
 */
static double
store_wait(struct sched_store *st, double cap, int at_end)
{
	double left = st->budget - (at_end ? 0 : STORE_BUDGET_END);

	if (left < 0.01)
		return (0);
	return (left < cap ? left : cap);
}

/* A synchronous request within the budget: store_call's result. */
static int
store_call_budget(struct sched_store *st, const char *method,
    const char *path, const char *ctype, const void *body, size_t len,
    double cap, int at_end, struct store_reply *r)
{
	double wait = store_wait(st, cap, at_end), t0;
	int rc;

	if (wait == 0) {
		memset(r, 0, sizeof *r);
		snprintf(r->err, sizeof r->err, "no time left to wait for it");
		return (-1);
	}
	t0 = time_mono();
	rc = store_call(st->url, st->token, method, path, ctype, body, len,
	    wait, r);
	st->budget -= time_mono() - t0;
	return (rc);
}

/*
 * A synchronous request with body (JSON, or NULL) within the job's
 * budget at its start; -1, with why in r, when dagzd did not answer or
 * is known to be away.
 */
int
store_request(struct sched *s, const char *method, const char *path,
    const char *body, struct store_reply *r)
{
	struct sched_store *st = s->store;

	if (st == NULL || st->down) {
		memset(r, 0, sizeof *r);
		snprintf(r->err, sizeof r->err, "dagzd at %s does not answer",
		    st != NULL ? st->url : "?");
		return (-1);
	}
	return (store_call_budget(st, method, path, body != NULL ?
	    "application/json" : NULL, body, body != NULL ? strlen(body) : 0,
	    STORE_CREATE_WAIT, 0, r));
}

/*
 * A first run needs no set-up: when dagz run asked for it (and so not
 * for --help, --plan or --list, nor for bad usage, which never get
 * here) and nothing listens where the store should be on this machine,
 * "zb daemon up --bg" starts a dagzd. A store that cannot be started is
 * a warning; the job goes on, spooled.
 */
void
store_start(const char *url)
{
	char *zb;
	pid_t pid;
	int fd, status;

	if (!store_url_startable(url))
		return;
	zb = paths_program("zb");
	switch (pid = fork()) {
	case -1:
		warn("store: cannot start dagzd: fork");
		free(zb);
		return;
	case 0:
		if ((fd = open("/dev/null", O_RDWR)) != -1)
			dup2(fd, STDOUT_FILENO);
		/* Not our sockets, nor a caller's (bats' 3). */
		closefrom(STDERR_FILENO + 1);
		signal(SIGPIPE, SIG_DFL);
		execl(zb, "zb", "daemon", "up", "--bg", "--quiet",
		    (char *)NULL);
		warn("store: cannot execute '%s'", zb);
		_exit(DAGZ_EXIT_ERROR);
	}
	free(zb);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status != 0)
		warnx("store: cannot start dagzd at %s (see zb(1), "
		    "'zb daemon up')", url);
}

static struct spool *
store_add_spool(struct sched_store *st, const char *uuid, char *path, int fd)
{
	struct spool *sp;

	st->spools = xreallocarray(st->spools, st->nspools + 1,
	    sizeof *st->spools);
	sp = &st->spools[st->nspools++];
	memset(sp, 0, sizeof *sp);
	strlcpy(sp->uuid, uuid, sizeof sp->uuid);
	sp->path = path;
	sp->fd = fd;
	return (sp);
}

/*
 * Our spool, locked so that no other job takes it for an orphan. When
 * $DAGZ_HOME cannot hold it, an unnamed temporary file does, else
 * memory: the job is still sent, but what is not sent when it ends is
 * lost, and the warning says so.
 */
static void
store_open_spool(struct sched *s)
{
	struct sched_store *st = s->store;
	char *dir, *path;
	const char *tmp;
	int fd, e;

	xasprintf(&dir, "%s/spool", st->home);
	xasprintf(&path, "%s/%s.ndjson", dir, s->job);
	if (paths_mkdirs(dir, 0700) == 0 && (fd = open(path, O_RDWR | O_CREAT |
	    O_APPEND | O_CLOEXEC, 0600)) != -1) {
		flock(fd, LOCK_EX | LOCK_NB);
		free(dir);
		xasprintf(&st->kept, "'%s'", path);
		store_add_spool(st, s->job, path, fd);
		return;
	}
	e = errno;
	free(dir);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		st->kept = xstrdup("an unnamed temporary file");
	else {
		st->kept = xstrdup("memory");
		st->full = 1;
	}
	warnx("store: cannot create '%s': %s; the job's records are kept in "
	    "%s until dagzd has them, and those it does not have when the "
	    "job ends are lost", path, strerror(e), st->kept);
	free(path);
	store_add_spool(st, s->job, NULL, fd);
}

/*
 * A spool that ends in a partial record (its scheduler died in a write,
 * or the disk was full) is cut to its last whole line, which is then
 * sent as any other. Returns the spool's size, 0 if nothing is left of
 * it, or -1 if it cannot be read.
 */
static off_t
store_spool_repair(int fd, const char *path, off_t size)
{
	char buf[4096];
	off_t pos = size, keep = 0;
	size_t n, i;

	while (pos > 0 && keep == 0) {
		n = pos < (off_t)sizeof buf ? (size_t)pos : sizeof buf;
		if (pread(fd, buf, n, pos - n) != (ssize_t)n)
			return (-1);
		for (i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				keep = pos - n + i;
				break;
			}
		if (keep == 0)
			pos -= n;
	}
	if (keep == size)
		return (size);
	if (keep > 0 && ftruncate(fd, keep) == -1)
		return (-1);
	warnx("store: '%s' ends in a partial record of %lld bytes: %s", path,
	    (long long)(size - keep), keep > 0 ? "cut to its last whole line" :
	    "dropped");
	return (keep);
}

/* Spools that schedulers which died left behind: ours to send. */
static void
store_find_orphans(struct sched *s)
{
	struct sched_store *st = s->store;
	struct dirent *de;
	struct stat sb;
	struct spool *sp;
	char *dir, *path, uuid[JOBID_UUID_LEN];
	off_t size;
	size_t n;
	DIR *dp;
	int fd;

	xasprintf(&dir, "%s/spool", st->home);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		n = strlen(de->d_name);
		if (n != 36 + 7 || strcmp(de->d_name + 36, ".ndjson") != 0)
			continue;
		memcpy(uuid, de->d_name, 36);
		uuid[36] = '\0';
		if (!jobid_is_uuid(uuid) || strcmp(uuid, s->job) == 0)
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 ||
		    flock(fd, LOCK_EX | LOCK_NB) == -1 ||
		    fstat(fd, &sb) == -1) {
			if (fd != -1)
				close(fd);
			free(path);
			continue;
		}
		/*
		 * Empty: its scheduler died before its first record, or has
		 * just created it and not yet locked it.
		 */
		size = sb.st_size == 0 ? 0 :
		    store_spool_repair(fd, path, sb.st_size);
		if (size <= 0) {
			if (size == 0 && (sb.st_size > 0 ||
			    sb.st_mtime < time(NULL) - STORE_EMPTY_AGE))
				unlink(path);
			close(fd);
			free(path);
			continue;
		}
		sp = store_add_spool(st, uuid, path, fd);
		sp->end = size;
	}
	closedir(dp);
	free(dir);
}

/* Bytes of ours not yet acknowledged. */
static size_t
store_pending(struct sched_store *st)
{
	struct spool *sp = &st->spools[0];

	return ((sp->fd != -1 ? sp->end - sp->acked : 0) +
	    evbuffer_get_length(st->mem));
}

/*
 * Keeps a line (with its newline) of ours: on the spool, with one
 * write(2), or in memory once the spool cannot take it (a full disk).
 */
static void
store_keep(struct sched *s, const char *line, size_t len)
{
	struct sched_store *st = s->store;
	struct spool *sp = &st->spools[0];
	ssize_t n;

	while (!st->full) {
		if ((n = write(sp->fd, line, len)) == (ssize_t)len) {
			sp->end += len;
			return;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n != -1)
			errno = ENOSPC;
		warn("store: cannot write %s; the job's records are kept in "
		    "memory from now on, and those dagzd does not have when "
		    "the job ends are lost", st->kept);
		/* A partial line would end the spool: cut it. */
		if (n > 0)
			(void)ftruncate(sp->fd, sp->end);
		st->full = 1;
	}
	evbuffer_add(st->mem, line, len);
	st->nmem++;
}

/*
 * Keeps a record (stolen) of ours before anything else shows it. Records
 * are sent after a short linger, so that a fast suite makes a few large
 * batches rather than a request per result.
 */
static void
store_emit(struct sched *s, json_t *rec)
{
	struct sched_store *st = s->store;
	struct timeval tv = { 0, STORE_LINGER_MS * 1000 };
	char *line;
	size_t len;

	if (st == NULL || st->nspools == 0) {
		json_decref(rec);
		return;
	}
	line = ndjson_encode(rec);
	json_decref(rec);
	len = strlen(line);
	line = xreallocarray(line, len + 2, 1);
	line[len++] = '\n';
	line[len] = '\0';
	store_keep(s, line, len);
	free(line);
	if (store_pending(st) >= st->batch_max / 2)
		store_pump(s);
	else if (st->ev_linger != NULL &&
	    !evtimer_pending(st->ev_linger, NULL))
		evtimer_add(st->ev_linger, &tv);
}

/*
 * Reads the next batch of sp: whole lines from the acknowledged offset,
 * at most max bytes unless one line is longer.
 */
static char *
store_read_batch(struct spool *sp, size_t max, size_t *len)
{
	size_t want = max, got;
	char *buf, *nl;
	ssize_t n;

	for (;;) {
		if ((off_t)want > sp->end - sp->acked)
			want = sp->end - sp->acked;
		buf = xmalloc(want + 1);
		got = 0;
		while (got < want) {
			n = pread(sp->fd, buf + got, want - got,
			    sp->acked + got);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += n;
		}
		if ((nl = memrchr(buf, '\n', got)) != NULL) {
			*len = nl - buf + 1;
			return (buf);
		}
		free(buf);
		if (got < want || (off_t)want >= sp->end - sp->acked)
			return (NULL);	/* a partial last line */
		want *= 2;
	}
}

/* The same from the records kept in memory. */
static char *
store_read_mem(struct evbuffer *mem, size_t max, size_t *len)
{
	struct evbuffer_ptr p;
	size_t want = evbuffer_get_length(mem);
	unsigned char *b, *nl;
	char *buf;

	if (want > max)
		want = max;
	if ((b = evbuffer_pullup(mem, want)) == NULL)
		return (NULL);
	if ((nl = memrchr(b, '\n', want)) != NULL)
		want = nl - b + 1;
	else {
		p = evbuffer_search(mem, "\n", 1, NULL);
		if (p.pos == -1)
			return (NULL);
		want = p.pos + 1;
		if ((b = evbuffer_pullup(mem, want)) == NULL)
			return (NULL);
	}
	buf = xmalloc(want + 1);
	memcpy(buf, b, want);
	*len = want;
	return (buf);
}

/*
 * The next batch: ours first (its spool, then what memory kept), then
 * the orphans'. Sets which spool (*idx) and whether from memory.
 */
static char *
store_next_batch(struct sched_store *st, size_t *idx, int *mem, size_t *len)
{
	struct spool *sp;
	size_t i, max = st->batch_max;
	char *buf;

	if (st->cap_once > 0 && st->cap_once < max)
		max = st->cap_once;
	for (i = 0; i < st->nspools; i++) {
		sp = &st->spools[i];
		if (sp->fd != -1 && sp->acked < sp->end) {
			if ((buf = store_read_batch(sp, max, len)) == NULL)
				continue;
		} else if (i == 0 && evbuffer_get_length(st->mem) > 0) {
			if ((buf = store_read_mem(st->mem, max, len)) == NULL)
				continue;
		} else
			continue;
		st->cap_once = 0;
		*idx = i;
		*mem = sp->fd == -1 || sp->acked >= sp->end;
		return (buf);
	}
	return (NULL);
}

static void
store_spool_done(struct spool *sp)
{
	if (sp->path != NULL)
		unlink(sp->path);
	close(sp->fd);
	sp->fd = -1;
}

/* A batch of len bytes dagzd has, or refused for good. */
static void
store_ack(struct sched_store *st, size_t idx, int mem, size_t len)
{
	struct spool *sp = &st->spools[idx];

	if (mem) {
		evbuffer_drain(st->mem, len);
		return;
	}
	sp->acked += len;
	if (idx > 0 && sp->acked >= sp->end)
		store_spool_done(sp);
}

/* The offset of the start of line n (from 1) of buf; 0 if none. */
static size_t
store_line_offset(const char *buf, size_t len, long n)
{
	const char *p = buf, *nl;

	while (--n > 0) {
		if ((nl = memchr(p, '\n', len - (p - buf))) == NULL ||
		    nl + 1 >= buf + len)
			return (0);
		p = nl + 1;
	}
	return (p - buf);
}

/*
 * What dagzd's reply r to the batch buf of len bytes (from spool idx, or
 * memory) means. A batch is acknowledged in full (200), or not at all:
 * a refused record (400, "line N: why") is cut out by sending the lines
 * before it, then it alone; only a record refused alone is dropped. A
 * batch too large (413) is split. A wrong URL (404, 405) or a refused
 * token keeps everything for a later job; anything else is a dagzd away.
 */
static enum store_verdict
store_judge(struct sched *s, size_t idx, int mem, const char *buf,
    size_t len, struct store_reply *r)
{
	struct sched_store *st = s->store;
	struct spool *sp = &st->spools[idx];
	enum store_verdict v = STORE_NEXT;
	size_t lines, off;
	const char *p;
	char *msg;
	long n;

	if (r->status == 200) {
		store_ack(st, idx, mem, len);
		if (st->down && s->opt.verbose)
			warnx("store: dagzd answers again");
		st->down = 0;
		st->backoff = 0.1;
		return (STORE_NEXT);
	}
	msg = store_reply_error(r);
	for (lines = 0, p = buf; (p = memchr(p, '\n', len - (p - buf))) !=
	    NULL; p++)
		lines++;
	switch (r->status) {
	case 401:
	case 403:
		warnx("store: dagzd at %s refused us: %s; the records are kept "
		    "in %s", st->url, msg, st->kept);
		st->stopped = 1;
		v = STORE_STOP;
		break;
	case 404:
	case 405:
		warnx("store: %s takes no records (is DAGZ_URL right?): %s; "
		    "the records are kept in %s", st->url, msg, st->kept);
		st->stopped = 1;
		v = STORE_STOP;
		break;
	case 408:
	case 429:
		goto away;
	default:
		if (r->status < 400 || r->status >= 500)
			goto away;
		if (lines <= 1) {
			/* Re-sending what dagzd refuses would loop forever. */
			warnx("store: dagzd refused a record of job %s: %s",
			    sp->uuid, msg);
			store_ack(st, idx, mem, len);
		} else if (r->status == 413)
			st->batch_max = len / 2 > 0 ? len / 2 : 1;
		else {
			n = 0;
			if (strncmp(msg, "line ", 5) == 0)
				n = strtol(msg + 5, NULL, 10);
			if (n < 1 || (size_t)n > lines)
				n = lines / 2 + 1;
			/* The lines before it; line 1 alone. */
			off = store_line_offset(buf, len, n > 1 ? n : 2);
			st->cap_once = off > 0 ? off : 1;
		}
		break;
	}
	free(msg);
	return (v);
away:
	if (!st->warned_down)
		warnx("store: cannot reach dagzd at %s: %s; the job's "
		    "records are kept in %s and sent when it answers",
		    st->url, msg, st->kept);
	st->warned_down = 1;
	st->down = 1;
	free(msg);
	return (STORE_LATER);
}

static void
store_retry_later(struct sched *s)
{
	struct sched_store *st = s->store;
	struct timeval tv;

	st->backoff = st->backoff < 1.0 ? st->backoff * 2 : 2.0;
	tv.tv_sec = (long)st->backoff;
	tv.tv_usec = (long)((st->backoff - tv.tv_sec) * 1e6);
	evtimer_add(st->ev_retry, &tv);
}

static void
store_sent(struct store_reply *r, void *arg)
{
	struct sched *s = arg;
	struct sched_store *st = s->store;
	enum store_verdict v;

	st->busy = 0;
	v = store_judge(s, st->cur, st->cur_mem, st->inflight,
	    st->inflight_len, r);
	free(st->inflight);
	st->inflight = NULL;
	if (v == STORE_NEXT)
		store_pump(s);
	else if (v == STORE_LATER)
		store_retry_later(s);
}

/* Sends the next batch, ours first, if nothing is in flight. */
static void
store_pump(struct sched *s)
{
	struct sched_store *st = s->store;
	char *buf, path[128];
	size_t len;

	if (st->busy || st->conn == NULL || st->stopped ||
	    evtimer_pending(st->ev_retry, NULL))
		return;
	if ((buf = store_next_batch(st, &st->cur, &st->cur_mem, &len)) ==
	    NULL)
		return;
	snprintf(path, sizeof path, STORE_API "/jobs/%s/events",
	    st->spools[st->cur].uuid);
	st->busy = 1;
	st->inflight = buf;
	st->inflight_len = len;
	if (store_conn_request(st->conn, "POST", path, "application/x-ndjson",
	    buf, len, store_sent, s) == -1) {
		st->busy = 0;
		free(st->inflight);
		st->inflight = NULL;
		store_retry_later(s);
	}
}

static void
store_retry(evutil_socket_t fd, short what, void *arg)
{
	store_pump(arg);
}

static void
store_beat_done(struct store_reply *r, void *arg)
{
}

/* While tests run long and quietly, dagzd still hears from us. */
static void
store_beat(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	struct sched_store *st = s->store;
	char path[128];

	if (st->busy || st->down || st->stopped)
		return;
	snprintf(path, sizeof path, STORE_API "/jobs/%s/heartbeat", s->job);
	store_conn_request(st->conn, "POST", path, NULL, "{}", 2,
	    store_beat_done, s);
}

static const char *
store_env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? v : NULL);
}

/* The first of the variables that is set, else the git fact. */
static void
store_fact(json_t *o, const char *key, json_t *git, const char *const *names)
{
	const char *v;

	for (; *names != NULL; names++)
		if ((v = store_env(*names)) != NULL) {
			json_object_set_new(o, key, json_string(v));
			return;
		}
	if ((v = json_string_value(json_object_get(git, key))) != NULL)
		json_object_set_new(o, key, json_string(v));
}

/*
 * The job's record: what ran, where and why. The project is DAGZ_PROJECT,
 * else the config's project:, else the git origin (the same for every
 * transport, see cienv_project_url) and the suite's path in the
 * checkout, else the suite's directory: recorded durations and
 * reruns are per project.
 */
static json_t *
store_job_record(struct sched *s)
{
	static const char *const branch_vars[] = { "DAGZ_BRANCH",
	    "CI_COMMIT_REF_NAME", "GITHUB_HEAD_REF", "GITHUB_REF_NAME",
	    "BUILDKITE_BRANCH", "CIRCLE_BRANCH", NULL };
	static const char *const commit_vars[] = { "DAGZ_COMMIT",
	    "CI_COMMIT_SHA", "GITHUB_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1",
	    NULL };
	char dir[PATH_MAX], host[256], *project;
	struct passwd *pw;
	json_t *o, *git, *ci, *argv;
	size_t i;

	strlcpy(dir, s->opt.suite_dir, sizeof dir);
	git = cienv_git(dir);
	o = json_object();
	json_object_set_new(o, "type", json_string("job"));
	json_object_set_new(o, "uuid", json_string(s->job));
	project = cienv_project_name(dir, s->opt.config.project);
	json_object_set_new(o, "project", json_string(project));
	free(project);
	store_fact(o, "branch", git, branch_vars);
	store_fact(o, "commit", git, commit_vars);
	argv = json_array();
	for (i = 0; s->opt.argv != NULL && s->opt.argv[i] != NULL; i++)
		json_array_append_new(argv, json_string(s->opt.argv[i]));
	json_object_set_new(o, "argv", argv);
	if (getcwd(dir, sizeof dir) != NULL)
		json_object_set_new(o, "cwd", json_string(dir));
	if (gethostname(host, sizeof host) == 0) {
		host[sizeof host - 1] = '\0';
		json_object_set_new(o, "host", json_string(host));
	}
	if ((pw = getpwuid(getuid())) != NULL)
		json_object_set_new(o, "user", json_string(pw->pw_name));
	json_object_set_new(o, "started", report_seconds(s->t0_unix));
	json_object_set_new(o, "tests", json_integer(s->ntests));
	json_object_set_new(o, "workers", json_integer(s->nworkers));
	if ((ci = cienv_detect()) != NULL) {
		/*
		 * A job of many nodes is the step's, whichever slot
		 * schedules it: its key is the run key the slots share.
		 */
		if (s->slots > 1 && s->run_key != NULL) {
			json_object_set_new(ci, "key", json_string(s->run_key));
			json_object_set_new(ci, "nodes", json_integer(s->slots));
		}
		json_object_set_new(o, "ci", ci);
	}
	if (s->retry_of != NULL)
		json_object_set_new(o, "retry_of", json_pack("{s:s, s:i}",
		    "job", s->retry_of, "node", s->slot));
	/* Marked: it feeds no baseline, no flaky statistics, no rerun. */
	if (repeat_stress(s))
		json_object_set_new(o, "stress", json_pack("{s:o,s:b}",
		    "repeat", s->opt.repeat > 0 ? json_integer(s->opt.repeat) :
		    json_null(), "until_fail", s->opt.until_fail));
	json_object_set_new(o, "env", envmask_environ(environ));
	json_decref(git);
	return (o);
}

/* What dagzd said at creation: short ID, recorded durations, rerun. */
static void
store_apply_created(struct sched *s, json_t *reply)
{
	json_t *durations, *rerun, *tests, *v;
	const char *sid, *of, *mode, *k;
	struct test *t;
	char reason[128], *rerun_it;
	size_t i, n = 0;

	if ((sid = json_string_value(json_object_get(reply, "id"))) != NULL)
		strlcpy(s->short_id, sid, sizeof s->short_id);
	durations = json_object_get(reply, "durations");
	json_object_foreach(durations, k, v)
		if (json_is_number(v) && (t = sched_find(s, k)) != NULL)
			t->def.estimate = json_number_value(v);
	rerun = json_object_get(reply, "rerun");
	if (!json_is_object(rerun) ||
	    (of = json_string_value(json_object_get(rerun, "of"))) == NULL ||
	    (mode = json_string_value(json_object_get(rerun, "mode"))) == NULL)
		return;
	s->rerun = 1;
	if (strcmp(mode, "failed") != 0) {
		out_line(s, "dagz: rerun of job %s, which did not fail: "
		    "running every test", of);
		return;
	}
	tests = json_object_get(rerun, "tests");
	snprintf(reason, sizeof reason, "passed in job %s", of);
	rerun_it = xcalloc(s->ntests, sizeof *rerun_it);
	json_array_foreach(tests, i, v)
		if (json_is_string(v) &&
		    (t = sched_find(s, json_string_value(v))) != NULL &&
		    !rerun_it[t->index]) {
			rerun_it[t->index] = 1;
			n++;
		}
	if (n == 0) {
		/* What failed there is not in this suite: nothing to narrow. */
		free(rerun_it);
		out_line(s, "dagz: rerun of job %s: none of the tests that "
		    "failed there is in this suite: running every test", of);
		return;
	}
	for (i = 0; i < s->ntests; i++)
		if (!rerun_it[i])
			sched_skip_test(s, &s->tests[i], ST_REDUNDANT, reason);
	free(rerun_it);
	out_line(s, "dagz: rerun of job %s: running the %zu test%s that "
	    "failed there", of, n, n == 1 ? "" : "s");
}

void
store_job_begin(struct sched *s)
{
	struct sched_store *st = s->store;
	struct store_reply r;
	struct timeval beat = { STORE_BEAT, 0 };
	json_t *job, *reply, *span;
	char *body, *msg, err[256], node[16];
	double now;
	int i;

	if (st == NULL)
		return;
	job = store_job_record(s);
	store_open_spool(s);
	st->ev_retry = evtimer_new(s->base, store_retry, s);
	st->ev_linger = evtimer_new(s->base, store_retry, s);
	st->ev_beat = event_new(s->base, -1, EV_PERSIST, store_beat, s);
	st->nworkers = s->nworkers;
	st->fix_pending = xcalloc(s->nworkers, sizeof *st->fix_pending);
	st->last_span = xcalloc(s->nworkers, sizeof *st->last_span);
	body = ndjson_encode(job);
	store_emit(s, job);

	/*
	 * Nothing listening (not a dagzd that does not answer, which a
	 * second one would not help): start one and ask again.
	 */
	if (store_call_budget(st, "POST", STORE_API "/jobs", NULL, body,
	    strlen(body), STORE_CREATE_WAIT, 0, &r) == -1 &&
	    s->opt.start_store && strcmp(r.err, "timed out") != 0 &&
	    store_url_startable(st->url)) {
		store_reply_clear(&r);
		store_start(st->url);
		store_call_budget(st, "POST", STORE_API "/jobs", NULL, body,
		    strlen(body), STORE_CREATE_WAIT, 0, &r);
	}
	if (r.status == 201 && (reply = json_loads(r.body, 0, NULL)) != NULL) {
		store_apply_created(s, reply);
		json_decref(reply);
	} else {
		msg = store_reply_error(&r);
		if (r.status == 0) {
			warnx("store: cannot reach dagzd at %s: %s; the job's "
			    "records are kept in %s and sent when it answers",
			    st->url, msg, st->kept);
			st->warned_down = 1;
			st->down = 1;
		} else
			warnx("store: dagzd at %s did not create the job: %s",
			    st->url, msg);
		free(msg);
	}
	store_reply_clear(&r);
	free(body);
	quarantine_begin(s);

	if ((st->conn = store_conn_new(s->base, st->url, st->token,
	    STORE_TIMEOUT, err, sizeof err)) == NULL) {
		warnx("store: %s", err);
		st->stopped = 1;
	}
	now = time_unix();
	jobid_span(st->load_span);
	snprintf(node, sizeof node, "%d", s->nodes[0]->index);
	span = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:{s:I,s:s,s:s}}",
	    "type", "span", "span", st->load_span, "span_type", "load",
	    "name", s->opt.suite_name,
	    "start", report_seconds(s->t0_unix), "end", report_seconds(now),
	    "status", "OK", "attrs", "tests", (json_int_t)s->ntests, "node",
	    node, "host", s->nodes[0]->host);
	store_emit(s, span);
	for (i = 1; i < s->nnodes; i++)
		if (s->nodes[i]->merged)
			store_node_load(s, s->nodes[i]);
	store_find_orphans(s);
	event_add(st->ev_beat, &beat);
	if (st->down)
		store_retry_later(s);
	store_pump(s);
}

/* A vector of strings as a JSON array. */
static json_t *
store_strv(char **v)
{
	json_t *a = json_array();

	for (; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return (a);
}

/*
 * The test span's attrs: the test's definition, for the bundle of zb
 * span-logs, and what the attempt's record says of how it ran.
 */
static json_t *
store_test_attrs(struct test *t, const struct attempt *at)
{
	static const char *const keys[] = { "worker", "cpu", "rss", "leaked",
	    "reason", "cases_error", "skip_all", "selected", "pollution" };
	const struct case_list *l = &at->r.cases;
	json_t *a, *v;
	size_t i;

	a = json_object();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if ((v = json_object_get(at->rec, keys[i])) != NULL &&
		    !json_is_null(v))
			json_object_set(a, keys[i], v);
	if (t->def.argv != NULL)
		json_object_set_new(a, "cmd", store_strv(t->def.argv));
	if (t->def.sh != NULL)
		json_object_set_new(a, "sh", json_string(t->def.sh));
	if (t->def.cwd != NULL)
		json_object_set_new(a, "cwd", json_string(t->def.cwd));
	if (t->def.env != NULL)
		json_object_set_new(a, "env", envmask_environ(t->def.env));
	if (t->def.tags != NULL)
		json_object_set_new(a, "tags", store_strv(t->def.tags));
	json_object_set_new(a, "estimate", report_seconds(t->estimate));
	if (l->present)
		json_object_set_new(a, "cases", json_pack("{s:I,s:I,s:I,s:I}",
		    "total", (json_int_t)l->n, "failed",
		    (json_int_t)cases_count(l, CASE_FAILED), "skipped",
		    (json_int_t)(cases_count(l, CASE_SKIPPED) +
		    cases_count(l, CASE_DESELECTED)), "todo",
		    (json_int_t)(cases_count(l, CASE_TODO) +
		    cases_count(l, CASE_TODO_OK))));
	return (a);
}

/* A span's log (len bytes of text) compressed as a record; or NULL. */
static json_t *
store_text_record(const char *span, const char *test, int attempt,
    const char *text, size_t len, long long size, long long cut)
{
	unsigned char *z;
	char *b64;
	size_t zlen;
	json_t *o;

	if ((z = zbuf_deflate(text, len, &zlen)) == NULL)
		return (NULL);
	b64 = zbuf_b64_encode(z, zlen);
	free(z);
	o = json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:s}", "type", "log", "span",
	    span, "test", test, "attempt", attempt, "size",
	    (json_int_t)size, "cut", (json_int_t)cut, "z", b64);
	free(b64);
	return (o);
}

/* The attempt's log, capped and compressed, as a record; or NULL. */
static json_t *
store_log_record(const char *span, const struct msg_result *r)
{
	char *text;
	size_t len;
	long long size, cut;
	json_t *o;

	/* A node of its own sent the log with the result. */
	if (r->logz != NULL)
		return (json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:s}", "type", "log",
		    "span", span, "test", r->test, "attempt", r->attempt,
		    "size", (json_int_t)r->log_size, "cut",
		    (json_int_t)r->log_cut, "z", r->logz));
	if (r->log == NULL || (text = zbuf_read_log(r->log, ZBUF_LOG_CAP,
	    &len, &size, &cut)) == NULL)
		return (NULL);
	o = store_text_record(span, r->test, r->attempt, text, len, size, cut);
	free(text);
	return (o);
}

/* The load span of a node that joined: its collection, its tests. */
void
store_node_load(struct sched *s, struct snode *n)
{
	struct sched_store *st = s->store;
	char span[JOBID_SPAN_LEN], node[16];

	if (st == NULL || st->nspools == 0)
		return;
	jobid_span(span);
	snprintf(node, sizeof node, "%d", n->index);
	store_emit(s, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,"
	    "s:{s:I,s:s,s:s}}", "type", "span", "span", span, "span_type",
	    "load", "name", s->opt.suite_name, "start",
	    report_seconds(n->joined), "end", report_seconds(n->loaded_at),
	    "status", "OK", "attrs", "tests", (json_int_t)n->ndefs, "node",
	    node, "host", n->host));
}

/*
 * A worker's recycling, whose record is rec (borrowed): a "recycle" span
 * on the job, from the decision to its successor's readiness.
 */
void
store_recycle(struct sched *s, json_t *rec)
{
	struct sched_store *st = s->store;
	char span[JOBID_SPAN_LEN], name[32];
	json_t *w = json_object_get(rec, "worker");

	if (st == NULL || st->nspools == 0)
		return;
	jobid_span(span);
	snprintf(name, sizeof name, "worker #%lld",
	    (long long)json_integer_value(w));
	store_emit(s, json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:s,s:{s:O,s:O,"
	    "s:O}}", "type", "span", "span", span, "span_type", "recycle",
	    "name", name, "start", json_object_get(rec, "start"), "end",
	    json_object_get(rec, "end"), "status", "OK", "attrs", "worker", w,
	    "kept_rss", json_object_get(rec, "kept_rss"), "budget",
	    json_object_get(rec, "budget")));
}

/* Room for the workers of a node that joined the job. */
void
store_workers_grow(struct sched *s)
{
	struct sched_store *st = s->store;
	int k;

	if (st == NULL || st->fix_pending == NULL ||
	    st->nworkers >= s->nworkers)
		return;
	st->fix_pending = xreallocarray(st->fix_pending, s->nworkers,
	    sizeof *st->fix_pending);
	st->last_span = xreallocarray(st->last_span, s->nworkers,
	    sizeof *st->last_span);
	for (k = st->nworkers; k < s->nworkers; k++) {
		st->fix_pending[k] = NULL;
		st->last_span[k][0] = '\0';
	}
	st->nworkers = s->nworkers;
}

/* Emits the fixture spans waiting on worker, under span (or none). */
static void
store_fixtures_under(struct sched *s, int worker, const char *span)
{
	struct sched_store *st = s->store;
	json_t *rec;
	size_t i;

	if (worker < 0 || worker >= st->nworkers)
		return;
	if (span != NULL)
		strlcpy(st->last_span[worker], span,
		    sizeof st->last_span[worker]);
	if (st->fix_pending[worker] == NULL)
		return;
	json_array_foreach(st->fix_pending[worker], i, rec) {
		if (span != NULL)
			json_object_set_new(rec, "parent", json_string(span));
		store_emit(s, json_incref(rec));
	}
	json_decref(st->fix_pending[worker]);
	st->fix_pending[worker] = NULL;
}

/*
 * A span of what record rec (borrowed) describes, an attempt or a
 * fixture's setup or teardown, named name; attrs is stolen.
 */
static json_t *
store_span(json_t *rec, const char *name, const char *span,
    const char *parent, const char *type, json_t *attrs)
{
	double start = json_number_value(json_object_get(rec, "start"));

	return (json_pack("{s:s,s:s,s:s?,s:s,s:s,s:O?,s:O?,s:o,s:o,s:O,s:o}",
	    "type", "span", "span", span, "parent", parent, "span_type", type,
	    "name", name, "test", json_object_get(rec, "test"), "attempt",
	    json_object_get(rec, "attempt"), "start", report_seconds(start),
	    "end", report_seconds(start + json_number_value(
	    json_object_get(rec, "duration"))), "status",
	    json_object_get(rec, "status"), "attrs", attrs));
}

/*
 * A fixture's setup or teardown on a worker, whose record is rec
 * (borrowed): a "fixture" span and its log.
 */
void
store_fixture(struct sched *s, const struct msg_result *r, json_t *rec)
{
	struct sched_store *st = s->store;
	char span[JOBID_SPAN_LEN];
	json_t *sp, *log;

	if (st == NULL || st->nspools == 0 || r->worker < 0 ||
	    r->worker >= st->nworkers)
		return;
	jobid_span(span);
	sp = store_span(rec, r->test, span, NULL, "fixture", json_pack(
	    "{s:O,s:O,s:O,s:O}", "worker", json_object_get(rec, "worker"),
	    "phase", json_object_get(rec, "phase"), "exit",
	    json_object_get(rec, "exit"), "reason",
	    json_object_get(rec, "reason")));
	if (strcmp(r->phase, "teardown") == 0 &&
	    st->last_span[r->worker][0] != '\0') {
		json_object_set_new(sp, "parent",
		    json_string(st->last_span[r->worker]));
		store_emit(s, sp);
	} else {
		if (st->fix_pending[r->worker] == NULL)
			st->fix_pending[r->worker] = json_array();
		json_array_append_new(st->fix_pending[r->worker], sp);
	}
	if ((log = store_log_record(span, r)) != NULL)
		store_emit(s, log);
}

/*
 * Each case of an attempt as a "case" span under its test span, in the
 * order reported, with its output as the span's log. Each is a record of
 * its own, so that a test with thousands of cases spreads over batches
 * like any other records; what a result can carry is bounded already
 * (its line, and CASES_TOTAL_OUTPUT_MAX of output). Cases have no start
 * of their own: where durations are known each starts where the ones
 * before it end, as they ran one after another.
 */
static void
store_cases(struct sched *s, struct test *t, const struct msg_result *r,
    const char *tspan)
{
	const struct test_case *c;
	char span[JOBID_SPAN_LEN];
	double start = r->start;
	json_t *rec, *attrs, *log;
	size_t i;

	for (i = 0; i < r->cases.n; i++) {
		c = &r->cases.v[i];
		jobid_span(span);
		attrs = json_object();
		json_object_set_new(attrs, "index", json_integer(i));
		if (c->reason != NULL)
			json_object_set_new(attrs, "reason",
			    json_string(c->reason));
		rec = json_object();
		json_object_set_new(rec, "type", json_string("span"));
		json_object_set_new(rec, "span", json_string(span));
		json_object_set_new(rec, "parent", json_string(tspan));
		json_object_set_new(rec, "span_type", json_string("case"));
		json_object_set_new(rec, "name", json_string(c->name));
		json_object_set_new(rec, "test", json_string(t->def.id));
		json_object_set_new(rec, "attempt", json_integer(r->attempt));
		json_object_set_new(rec, "start", report_seconds(start));
		if (c->duration >= 0) {
			json_object_set_new(rec, "end",
			    report_seconds(start + c->duration));
			start += c->duration;
		}
		json_object_set_new(rec, "status",
		    json_string(case_status_name(c->status)));
		json_object_set_new(rec, "attrs", attrs);
		store_emit(s, rec);
		if (c->output != NULL && (log = store_text_record(span,
		    t->def.id, r->attempt, c->output, strlen(c->output),
		    strlen(c->output), 0)) != NULL)
			store_emit(s, log);
	}
}

/*
 * An attempt: its "test" span (the record's "span", for an attempt
 * that ran), the "test.call" span under it, its log, the fixture spans
 * waiting for it and its cases; then its record, as it is.
 */
void
store_result(struct sched *s, struct test *t, const struct attempt *a)
{
	const char *tspan = json_string_value(json_object_get(a->rec, "span"));
	char cspan[JOBID_SPAN_LEN];
	json_t *log;

	if (s->store == NULL)
		return;
	if (tspan != NULL) {
		jobid_span(cspan);
		store_emit(s, store_span(a->rec, t->def.id, tspan, NULL, "test",
		    store_test_attrs(t, a)));
		store_emit(s, store_span(a->rec, t->def.id, cspan, tspan,
		    "test.call", json_pack("{s:O,s:O}", "exit",
		    json_object_get(a->rec, "exit"), "signal",
		    json_object_get(a->rec, "signal"))));
		if ((log = store_log_record(tspan, &a->r)) != NULL)
			store_emit(s, log);
		store_fixtures_under(s, a->r.worker, tspan);
		store_cases(s, t, &a->r, tspan);
	}
	store_emit(s, json_incref(a->rec));
}

/* A "plan" record of tests (stolen), planned from at (unix time). */
static void
store_plan_emit(struct sched *s, double at, json_t *tests)
{
	store_emit(s, json_pack("{s:s,s:o,s:o}", "type", "plan", "start",
	    report_seconds(at), "tests", tests));
}

/*
 * The plan as it stands when the first test is sent: each queued test's
 * worker (and node), its place in that worker's queue, its estimate and
 * its planned start, the sum of the estimates queued before it on its
 * worker, in seconds from the record's "start", the moment the plan was
 * made. The dashboard draws it under what really ran. A record holds
 * at most STORE_PLAN_CHUNK tests, so that a suite of 100,000 spreads
 * over batches like any other records.
 */
void
store_plan(struct sched *s)
{
	struct sched_store *st = s->store;
	struct test *t;
	json_t *tests = NULL, *o;
	double at = time_unix(), start;
	int k;

	if (st == NULL || st->nspools == 0)
		return;
	for (k = 0; k < s->nworkers; k++) {
		start = 0;
		TAILQ_FOREACH(t, &s->workers[k].queue, qentry) {
			o = json_pack("{s:s,s:i,s:i,s:o,s:o}", "test",
			    t->def.id, "worker", k, "order", t->order,
			    "start", report_seconds(start), "estimate",
			    report_seconds(t->estimate));
			if (s->slots > 1)
				json_object_set_new(o, "node", json_integer(
				    s->nodes[s->workers[k].node]->index));
			if (tests == NULL)
				tests = json_array();
			json_array_append_new(tests, o);
			start += t->estimate;
			if (json_array_size(tests) == STORE_PLAN_CHUNK) {
				store_plan_emit(s, at, tests);
				tests = NULL;
			}
		}
	}
	if (tests != NULL)
		store_plan_emit(s, at, tests);
}

/*
 * Sends what is left of the spools, ours first, then those dead
 * schedulers left, within what is left of the job's budget; the event
 * loop may have ended before it got to them. The loop has ended, so
 * this waits on a private one. What is not sent stays in the spools.
 */
static void
store_drain(struct sched *s)
{
	struct sched_store *st = s->store;
	struct store_reply r;
	enum store_verdict v;
	char path[128], *buf;
	size_t len, idx;
	int mem, rc;

	while (!st->stopped && (buf = store_next_batch(st, &idx, &mem,
	    &len)) != NULL) {
		snprintf(path, sizeof path, STORE_API "/jobs/%s/events",
		    st->spools[idx].uuid);
		rc = store_call_budget(st, "POST", path,
		    "application/x-ndjson", buf, len, STORE_TIMEOUT, 1, &r);
		v = store_judge(s, idx, mem, buf, len, &r);
		free(buf);
		store_reply_clear(&r);
		if (v == STORE_LATER) {
			/* No answer at all: waiting longer will not help. */
			if (rc == -1 || store_wait(st, 0.1, 1) == 0)
				break;
			poll(NULL, 0, 100);
			st->budget -= 0.1;
		}
	}
}

/* How many records buffer b holds. */
static size_t
store_count_lines(struct evbuffer *b)
{
	struct evbuffer_ptr p;
	size_t n = 0;

	p = evbuffer_search(b, "\n", 1, NULL);
	while (p.pos != -1) {
		n++;
		if (evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD) == -1)
			break;
		p = evbuffer_search(b, "\n", 1, &p);
	}
	return (n);
}

void
store_job_end(struct sched *s, double elapsed)
{
	struct sched_store *st = s->store;
	struct spool *sp;
	json_t *counts, *summary, *nodes, *workers;
	size_t lost;
	int i, k;

	if (st == NULL || st->nspools == 0)
		return;
	for (i = 0; i < st->nworkers; i++)
		store_fixtures_under(s, i, NULL);
	counts = json_object();
	for (i = 0; i < ST__COUNT; i++)
		json_object_set_new(counts, status_name(i),
		    json_integer(s->counts[i]));
	summary = json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:i,s:i,s:o}",
	    "type", "summary", "tests", (json_int_t)s->ntests, "counts", counts,
	    "duration", report_seconds(elapsed), "planned",
	    report_seconds(s->planned), "cpu", report_seconds(s->cpu),
	    "workers", s->nworkers, "exit", s->exit_code, "end",
	    report_seconds(time_unix()));
	/* A job of many nodes: each, where it ran, with its workers. */
	if (s->slots > 1) {
		nodes = json_array();
		for (i = 0; i < s->nnodes; i++) {
			workers = json_array();
			for (k = 0; k < s->nodes[i]->nworkers; k++)
				json_array_append_new(workers, json_integer(
				    s->nodes[i]->first + k));
			json_array_append_new(nodes, json_pack("{s:i,s:s,s:o}",
			    "node", s->nodes[i]->index, "host",
			    s->nodes[i]->host, "workers", workers));
		}
		json_object_set_new(summary, "nodes", nodes);
	}
	store_emit(s, summary);
	/* A batch in flight is dropped and sent again: dagzd dedups. */
	event_del(st->ev_beat);
	event_del(st->ev_retry);
	event_del(st->ev_linger);
	store_conn_free(st->conn);
	st->conn = NULL;
	st->busy = 0;
	free(st->inflight);
	st->inflight = NULL;
	store_drain(s);
	if (st->nmem > 0) {
		lost = store_count_lines(st->mem);
		if (lost == 0)
			warnx("store: %zu of the job's records could not be "
			    "kept on disk; dagzd has them all", st->nmem);
		else
			warnx("store: %zu of the job's records could not be "
			    "kept on disk; %zu of them not sent to dagzd at %s "
			    "are lost", st->nmem, lost, st->url);
	}
	sp = &st->spools[0];
	if (sp->fd == -1)
		return;
	if (sp->acked >= sp->end)
		store_spool_done(sp);
	else if (sp->path != NULL)
		warnx("store: %lld bytes of the job's records not sent to "
		    "dagzd at %s; kept in '%s' for the next job to send",
		    (long long)(sp->end - sp->acked), st->url, sp->path);
	else
		warnx("store: %lld bytes of the job's records not sent to "
		    "dagzd at %s are lost: $DAGZ_HOME could not keep them",
		    (long long)(sp->end - sp->acked), st->url);
}

void
store_close(struct sched *s)
{
	struct sched_store *st = s->store;
	size_t i;

	if (st == NULL)
		return;
	evbuffer_free(st->mem);
	free(st->inflight);
	free(st->kept);
	for (i = 0; i < st->nspools; i++) {
		if (st->spools[i].fd != -1)
			close(st->spools[i].fd);
		free(st->spools[i].path);
	}
	free(st->spools);
	for (i = 0; i < (size_t)st->nworkers; i++)
		json_decref(st->fix_pending[i]);
	free(st->fix_pending);
	free(st->last_span);
	store_conn_free(st->conn);
	if (st->ev_retry != NULL)
		event_free(st->ev_retry);
	if (st->ev_linger != NULL)
		event_free(st->ev_linger);
	if (st->ev_beat != NULL)
		event_free(st->ev_beat);
	free(st->url);
	free(st->token);
	free(st->home);
	free(st->link);
	free(st);
	s->store = NULL;
}

/* The dashboard's page of the job, deep-linked to failures if any. */
const char *
store_job_url(struct sched *s)
{
	struct sched_store *st = s->store;

	if (st == NULL)
		return (NULL);
	free(st->link);
	xasprintf(&st->link, "%s/jobs/%s%s", st->url,
	    s->short_id[0] != '\0' ? s->short_id : s->job,
	    s->exit_code != 0 ? "?spanTypes=failures" : "");
	return (st->link);
}

/*
 * The job's project and branch, as its record gives them (new strings);
 * the branch is "main" when neither CI nor git names one.
 */
void
store_project_branch(struct sched *s, char **project, char **branch)
{
	json_t *o = store_job_record(s);
	const char *p, *b;

	p = json_string_value(json_object_get(o, "project"));
	b = json_string_value(json_object_get(o, "branch"));
	*project = xstrdup(p != NULL ? p : ".");
	*branch = xstrdup(b != NULL && *b != '\0' ? b : "main");
	json_decref(o);
}

static char *
store_query_arg(const char *s)
{
	char *e = evhttp_encode_uri(s);

	if (e == NULL)
		errx(DAGZ_EXIT_ERROR, "evhttp_encode_uri");
	return (e);
}

/*
 * The ID of the latest baseline of project on branch into id, or "" if
 * there is none (or no store answered).
 */
/* The path of a project's branch's baselines, and of a job's, if given. */
static char *
baselines_path(const char *project, const char *branch, const char *job)
{
	char *path, *p, *b;

	p = store_query_arg(project);
	b = store_query_arg(branch);
	xasprintf(&path, STORE_API "/baselines?project=%s&branch=%s%s%s", p, b,
	    job != NULL ? "&job=" : "", job != NULL ? job : "");
	free(p);
	free(b);
	return (path);
}

/* A baseline's "id" from a reply of the given status into id: 0, or -1. */
static int
baseline_reply_id(const struct store_reply *r, int status, char *id,
    size_t idlen)
{
	const char *v;
	json_t *o;
	int rc = -1;

	if (r->status != status || (o = json_loads(r->body, 0, NULL)) == NULL)
		return (-1);
	if ((v = json_string_value(json_object_get(o, "id"))) != NULL) {
		strlcpy(id, v, idlen);
		rc = 0;
	}
	json_decref(o);
	return (rc);
}

void
store_baseline_latest(struct sched *s, const char *project,
    const char *branch, char *id, size_t idlen)
{
	struct sched_store *st = s->store;
	struct store_reply r;
	char *path;

	*id = '\0';
	if (st == NULL || st->down)
		return;
	path = baselines_path(project, branch, NULL);
	if (store_call_budget(st, "GET", path, NULL, NULL, 0,
	    STORE_CREATE_WAIT, 0, &r) == 0)
		baseline_reply_id(&r, 200, id, idlen);
	else
		st->down = 1;
	store_reply_clear(&r);
	free(path);
}

/* Baseline id's blob, or NULL with why in err. */
unsigned char *
store_baseline_get(struct sched *s, const char *id, size_t *len, char *err,
    size_t errlen)
{
	struct sched_store *st = s->store;
	struct store_reply r;
	unsigned char *z = NULL;
	char *path, *e, *why;

	if (st == NULL) {
		snprintf(err, errlen, "no store (DAGZ_NO_STORE)");
		return (NULL);
	}
	e = store_query_arg(id);
	xasprintf(&path, STORE_API "/baselines/%s", e);
	free(e);
	if (store_call_budget(st, "GET", path, NULL, NULL, 0, STORE_TIMEOUT,
	    0, &r) == 0 && r.status == 200) {
		z = (unsigned char *)r.body;
		*len = r.len;
		r.body = NULL;
	} else {
		why = store_reply_error(&r);
		snprintf(err, errlen, "%s", why);
		free(why);
	}
	store_reply_clear(&r);
	free(path);
	return (z);
}

/* Stores a baseline; its new ID into id, or "" with a warning. */
void
store_baseline_put(struct sched *s, const char *project, const char *branch,
    const void *z, size_t len, char *id, size_t idlen)
{
	struct sched_store *st = s->store;
	struct store_reply r;
	char *path, *why;

	*id = '\0';
	if (st == NULL)
		return;
	if (st->down) {
		warnx("store: cannot store the baseline: dagzd at %s does not "
		    "answer", st->url);
		return;
	}
	path = baselines_path(project, branch, s->job);
	if (store_call_budget(st, "POST", path, "application/octet-stream", z,
	    len, STORE_END_WAIT, 1, &r) != 0 ||
	    baseline_reply_id(&r, 201, id, idlen) == -1) {
		why = store_reply_error(&r);
		warnx("store: cannot store the baseline: %s", why);
		free(why);
	}
	store_reply_clear(&r);
	free(path);
}
