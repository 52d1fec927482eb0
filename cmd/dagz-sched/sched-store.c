/*
 * sched-store.c: the job's record in the store daemon, dagzd. Every
 * record (the job, spans, results, logs, the summary) is first appended
 * to a spool file under $DAGZ_HOME/spool, then posted in batches from
 * the event loop, one request at a time; a batch leaves the spool only
 * once dagzd acknowledged it. So a slow or dead dagzd never stalls a
 * test, a restarted one gets everything re-sent (dagzd ignores what it
 * already has), and a spool left behind by a scheduler that died is sent
 * by the next job.
 */
#include <sys/file.h>
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
#define STORE_END_WAIT		10.0	/* at the end, dagzd answering */
#define STORE_END_WAIT_DOWN	2.0	/* at the end, dagzd away */
#define STORE_LINGER_MS		50	/* gather records for a batch */

/* A spool file: ours (the first), or one a dead scheduler left. */
struct spool {
	char	 uuid[JOBID_UUID_LEN];
	char	*path;
	int	 fd;
	off_t	 end;
	off_t	 acked;
};

struct sched_store {
	char			*url;
	char			*token;
	char			*home;
	struct spool		*spools;
	size_t			 nspools;
	struct store_conn	*conn;
	int			 busy;		/* a batch in flight */
	size_t			 cur;		/* its spool */
	size_t			 inflight;	/* its length */
	int			 down;		/* the last attempt failed */
	int			 warned_down;
	int			 stopped;	/* sending given up */
	double			 backoff;
	struct event		*ev_retry;
	struct event		*ev_linger;
	struct event		*ev_beat;
	struct evbuffer		*out;		/* records not yet spooled */
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
	s->store = st;
}

/*
 * A first run needs no set-up: when dagz run asked for it (and so not
 * for --help, --plan or --list, nor for bad usage, which never get
 * here) and the store is on this machine, "zb daemon up --bg" starts a
 * dagzd unless one answers. A store that cannot be started is a
 * warning; the job goes on, spooled.
 */
static void
store_start(struct sched_store *st)
{
	char *zb;
	pid_t pid;
	int fd, status;

	if (!store_url_is_local(st->url))
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
		    "'zb daemon up')", st->url);
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
 * $DAGZ_HOME cannot hold it, an unnamed temporary file does: the job is
 * still streamed, only not recoverable after a crash.
 */
static int
store_open_spool(struct sched *s)
{
	struct sched_store *st = s->store;
	char *dir, *path;
	const char *tmp;
	int fd;

	xasprintf(&dir, "%s/spool", st->home);
	xasprintf(&path, "%s/%s.ndjson", dir, s->job);
	if (paths_mkdirs(dir, 0700) == 0 && (fd = open(path, O_RDWR | O_CREAT |
	    O_APPEND | O_CLOEXEC, 0600)) != -1) {
		flock(fd, LOCK_EX | LOCK_NB);
		free(dir);
		store_add_spool(st, s->job, path, fd);
		return (0);
	}
	warn("store: cannot create '%s'", path);
	free(dir);
	free(path);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1)
		return (-1);
	store_add_spool(st, s->job, NULL, fd);
	return (0);
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
		sp = store_add_spool(st, uuid, path, fd);
		sp->end = sb.st_size;
	}
	closedir(dp);
	free(dir);
}

/*
 * Writes the records gathered in memory to our spool: once per batch
 * rather than once per record. A scheduler that dies loses them, but
 * also everything it would have recorded after them.
 */
static void
store_spool_flush(struct sched *s)
{
	struct sched_store *st = s->store;
	struct spool *sp;
	ssize_t n;

	if (st == NULL || st->nspools == 0 || st->out == NULL)
		return;
	sp = &st->spools[0];
	while (evbuffer_get_length(st->out) > 0) {
		if ((n = evbuffer_write(st->out, sp->fd)) == -1) {
			if (errno == EINTR)
				continue;
			if (!st->stopped)
				warn("store: cannot write the spool");
			st->stopped = 1;
			evbuffer_drain(st->out, evbuffer_get_length(st->out));
			break;
		}
		sp->end += n;
	}
}

/*
 * Appends a record (stolen) for our spool. Records are sent after a short
 * linger, so that a fast suite makes a few large batches rather than a
 * request per result.
 */
static void
store_emit(struct sched *s, json_t *rec)
{
	struct sched_store *st = s->store;
	struct timeval tv = { 0, STORE_LINGER_MS * 1000 };
	char *line;

	if (st == NULL || st->nspools == 0) {
		json_decref(rec);
		return;
	}
	line = ndjson_encode(rec);
	json_decref(rec);
	evbuffer_add(st->out, line, strlen(line));
	evbuffer_add(st->out, "\n", 1);
	free(line);
	if (evbuffer_get_length(st->out) >= STORE_BATCH / 2)
		store_pump(s);
	else if (st->ev_linger != NULL &&
	    !evtimer_pending(st->ev_linger, NULL))
		evtimer_add(st->ev_linger, &tv);
}

/*
 * Reads the next batch of sp: whole lines from the acknowledged offset,
 * at most STORE_BATCH bytes unless one line is longer.
 */
static char *
store_read_batch(struct spool *sp, size_t *len)
{
	size_t want = STORE_BATCH, got;
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
			return (NULL);	/* a partial last line: not yet */
		want *= 2;
	}
}

static void
store_spool_done(struct spool *sp)
{
	if (sp->path != NULL)
		unlink(sp->path);
	close(sp->fd);
	sp->fd = -1;
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
	struct spool *sp = &st->spools[st->cur];
	char *msg;

	st->busy = 0;
	if (r->status == 200) {
		sp->acked += st->inflight;
		if (st->cur > 0 && sp->acked >= sp->end)
			store_spool_done(sp);
		if (st->down && s->opt.verbose)
			warnx("store: dagzd answers again");
		st->down = 0;
		st->backoff = 0.1;
		store_pump(s);
		return;
	}
	msg = store_reply_error(r);
	if (r->status == 401 || r->status == 403) {
		warnx("store: dagzd at %s refused us: %s", st->url, msg);
		st->stopped = 1;
	} else if (r->status >= 400 && r->status < 500 && r->status != 408 &&
	    r->status != 429) {
		/* Re-sending what dagzd refuses would loop forever. */
		warnx("store: dagzd refused records of job %s: %s", sp->uuid,
		    msg);
		sp->acked += st->inflight;
		if (st->cur > 0 && sp->acked >= sp->end)
			store_spool_done(sp);
		store_pump(s);
	} else {
		if (!st->warned_down)
			warnx("store: cannot reach dagzd at %s: %s; the job's "
			    "records are kept in '%s' and sent when it answers",
			    st->url, msg, st->spools[0].path != NULL ?
			    st->spools[0].path : "a temporary file");
		st->warned_down = 1;
		st->down = 1;
		store_retry_later(s);
	}
	free(msg);
}

/* Sends the next batch, ours first, if nothing is in flight. */
static void
store_pump(struct sched *s)
{
	struct sched_store *st = s->store;
	struct spool *sp = NULL;
	char *buf, path[128];
	size_t i, len;

	store_spool_flush(s);
	if (st->busy || st->conn == NULL || st->stopped ||
	    evtimer_pending(st->ev_retry, NULL))
		return;
	for (i = 0; i < st->nspools; i++)
		if (st->spools[i].fd != -1 &&
		    st->spools[i].acked < st->spools[i].end) {
			sp = &st->spools[i];
			break;
		}
	if (sp == NULL || (buf = store_read_batch(sp, &len)) == NULL)
		return;
	snprintf(path, sizeof path, STORE_API "/jobs/%s/events", sp->uuid);
	st->busy = 1;
	st->cur = i;
	st->inflight = len;
	if (store_conn_request(st->conn, "POST", path, "application/x-ndjson",
	    buf, len, store_sent, s) == -1) {
		st->busy = 0;
		store_retry_later(s);
	}
	free(buf);
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
	char dir[PATH_MAX], host[256], *tmp, *project;
	const char *path, *top;
	struct passwd *pw;
	json_t *o, *git, *ci, *argv;
	size_t i;

	strlcpy(dir, s->opt.suite_dir, sizeof dir);
	git = cienv_git(dir);
	o = json_object();
	json_object_set_new(o, "type", json_string("job"));
	json_object_set_new(o, "uuid", json_string(s->job));
	if ((tmp = (char *)store_env("DAGZ_PROJECT")) != NULL)
		project = xstrdup(tmp);
	else if (s->opt.config.project != NULL)
		project = xstrdup(s->opt.config.project);
	else if ((project = cienv_project(git)) != NULL)
		;
	else if ((top = json_string_value(json_object_get(git, "top"))) !=
	    NULL) {
		path = json_string_value(json_object_get(git, "path"));
		xasprintf(&project, "%s%s%s", top, path != NULL &&
		    *path != '\0' ? "/" : "", path != NULL ? path : "");
	} else
		project = xstrdup(dir);
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
	if ((ci = cienv_detect()) != NULL)
		json_object_set_new(o, "ci", ci);
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
	char *body, *msg, err[256];
	double now;

	if (st == NULL)
		return;
	if (s->opt.start_store)
		store_start(st);
	job = store_job_record(s);
	if (store_open_spool(s) == -1) {
		warn("store: cannot spool the job's records");
		json_decref(job);
		store_close(s);
		return;
	}
	st->ev_retry = evtimer_new(s->base, store_retry, s);
	st->ev_linger = evtimer_new(s->base, store_retry, s);
	st->out = evbuffer_new();
	st->ev_beat = event_new(s->base, -1, EV_PERSIST, store_beat, s);
	st->nworkers = s->nworkers;
	st->fix_pending = xcalloc(s->nworkers, sizeof *st->fix_pending);
	st->last_span = xcalloc(s->nworkers, sizeof *st->last_span);
	body = ndjson_encode(job);
	store_emit(s, job);

	if (store_call(st->url, st->token, "POST", STORE_API "/jobs", NULL,
	    body, strlen(body), STORE_CREATE_WAIT, &r) == 0 &&
	    r.status == 201 && (reply = json_loads(r.body, 0, NULL)) != NULL) {
		store_apply_created(s, reply);
		json_decref(reply);
	} else {
		msg = store_reply_error(&r);
		if (r.status == 0) {
			warnx("store: cannot reach dagzd at %s: %s; the job's "
			    "records are kept in '%s' and sent when it answers",
			    st->url, msg, st->spools[0].path != NULL ?
			    st->spools[0].path : "a temporary file");
			st->warned_down = 1;
			st->down = 1;
		} else
			warnx("store: dagzd at %s did not create the job: %s",
			    st->url, msg);
		free(msg);
	}
	store_reply_clear(&r);
	free(body);

	if ((st->conn = store_conn_new(s->base, st->url, st->token,
	    STORE_TIMEOUT, err, sizeof err)) == NULL) {
		warnx("store: %s", err);
		st->stopped = 1;
	}
	now = time_unix();
	jobid_span(st->load_span);
	span = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:{s:I,s:s}}",
	    "type", "span", "span", st->load_span, "span_type", "load",
	    "name", s->opt.suite_name,
	    "start", report_seconds(s->t0_unix), "end", report_seconds(now),
	    "status", "OK", "attrs", "tests", (json_int_t)s->ntests, "node",
	    "0");
	store_emit(s, span);
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
	    "reason", "cases_error", "skip_all" };
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
		    (json_int_t)cases_count(l, CASE_SKIPPED), "todo",
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

	if (r->log == NULL || (text = zbuf_read_log(r->log, ZBUF_LOG_CAP,
	    &len, &size, &cut)) == NULL)
		return (NULL);
	o = store_text_record(span, r->test, r->attempt, text, len, size, cut);
	free(text);
	return (o);
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

/*
 * Sends what is left of the spools, ours first, then those dead
 * schedulers left, waiting at most wait seconds in all; the event loop
 * may have ended before it got to them. The loop has ended, so this
 * waits on a private one.
 */
static void
store_drain(struct sched *s, double wait)
{
	struct sched_store *st = s->store;
	struct spool *sp;
	struct store_reply r;
	char path[128], *buf;
	double deadline = time_mono() + wait, left;
	size_t len, i;

	store_spool_flush(s);
	for (i = 0; i < st->nspools && !st->stopped; i++) {
		sp = &st->spools[i];
		if (sp->fd == -1)
			continue;
		snprintf(path, sizeof path, STORE_API "/jobs/%s/events",
		    sp->uuid);
		while (!st->stopped && sp->acked < sp->end &&
		    (left = deadline - time_mono()) > 0) {
			if ((buf = store_read_batch(sp, &len)) == NULL)
				break;
			store_call(st->url, st->token, "POST", path,
			    "application/x-ndjson", buf, len,
			    left < STORE_TIMEOUT ? left : STORE_TIMEOUT, &r);
			free(buf);
			if (r.status == 200 || (r.status >= 400 &&
			    r.status < 500 && r.status != 401 &&
			    r.status != 403 && r.status != 408 &&
			    r.status != 429))
				sp->acked += len;
			else if (r.status == 401 || r.status == 403)
				st->stopped = 1;
			else
				poll(NULL, 0, 200);
			store_reply_clear(&r);
		}
		if (i > 0 && sp->acked >= sp->end)
			store_spool_done(sp);
	}
}

void
store_job_end(struct sched *s, double elapsed)
{
	struct sched_store *st = s->store;
	struct spool *sp;
	json_t *counts;
	int i;

	if (st == NULL || st->nspools == 0)
		return;
	for (i = 0; i < st->nworkers; i++)
		store_fixtures_under(s, i, NULL);
	counts = json_object();
	for (i = 0; i < ST__COUNT; i++)
		json_object_set_new(counts, status_name(i),
		    json_integer(s->counts[i]));
	store_emit(s, json_pack("{s:s,s:I,s:o,s:o,s:o,s:o,s:i,s:i,s:o}",
	    "type", "summary", "tests", (json_int_t)s->ntests, "counts", counts,
	    "duration", report_seconds(elapsed), "planned",
	    report_seconds(s->planned), "cpu", report_seconds(s->cpu),
	    "workers", s->nworkers, "exit", s->exit_code, "end",
	    report_seconds(time_unix())));
	/* A batch in flight is dropped and sent again: dagzd dedups. */
	event_del(st->ev_beat);
	event_del(st->ev_retry);
	event_del(st->ev_linger);
	store_conn_free(st->conn);
	st->conn = NULL;
	st->busy = 0;
	store_drain(s, st->down ? STORE_END_WAIT_DOWN : STORE_END_WAIT);
	sp = &st->spools[0];
	if (sp->acked >= sp->end)
		store_spool_done(sp);
	else if (!st->stopped)
		warnx("store: %lld bytes of the job's records not sent to "
		    "dagzd at %s; kept in '%s' for the next job to send",
		    (long long)(sp->end - sp->acked), st->url,
		    sp->path != NULL ? sp->path : "a temporary file");
}

void
store_close(struct sched *s)
{
	struct sched_store *st = s->store;
	size_t i;

	if (st == NULL)
		return;
	if (st->out != NULL) {
		store_spool_flush(s);
		evbuffer_free(st->out);
		st->out = NULL;
	}
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
	if (st == NULL)
		return;
	path = baselines_path(project, branch, NULL);
	memset(&r, 0, sizeof r);
	if (store_call(st->url, st->token, "GET", path, NULL, NULL, 0,
	    STORE_CREATE_WAIT, &r) == 0)
		baseline_reply_id(&r, 200, id, idlen);
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
	memset(&r, 0, sizeof r);
	if (store_call(st->url, st->token, "GET", path, NULL, NULL, 0,
	    STORE_TIMEOUT, &r) == 0 && r.status == 200) {
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
	path = baselines_path(project, branch, s->job);
	memset(&r, 0, sizeof r);
	if (store_call(st->url, st->token, "POST", path,
	    "application/octet-stream", z, len, STORE_END_WAIT, &r) != 0 ||
	    baseline_reply_id(&r, 201, id, idlen) == -1) {
		why = store_reply_error(&r);
		warnx("store: cannot store the baseline: %s", why);
		free(why);
	}
	store_reply_clear(&r);
	free(path);
}
