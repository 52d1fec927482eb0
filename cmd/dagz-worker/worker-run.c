/*
 * worker-run.c: running one test. The leader is vforked into a process
 * group of its own with its output going straight to the log file (no
 * pipe a grandchild could hold open). A test whose stdout is TAP writes
 * it to a pipe instead, which the worker copies to the log and reads
 * while the test runs; that pipe is never waited on for EOF: once the
 * tree is gone, what is left in it is read and it is closed. A test may
 * also write JUnit XML to $DAGZ_JUNIT; both kinds of cases are read
 * when it ends and decide its status with the exit and the result keys
 * of its definition (will_fail, skip_code, pass_regex, ...).
 *
 * The worker is a child subreaper,
 * so once the leader is reaped, anything still alive in the tree is our
 * child: when waitpid says ECHILD nothing was left behind and /proc is
 * never read, which keeps tiny tests at fork/exec speed. Only when
 * children remain are they listed, counted as leaked and killed.
 *
 * A fixture's setup is different: what it leaves running (a database,
 * a server) is what it is for. Those processes are kept until the
 * fixture's teardown; meanwhile they and their descendants are no one's
 * leak and are spared when a test's tree is killed.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "junit.h"
#include "log.h"
#include "proc.h"
#include "slurp.h"
#include "strv.h"
#include "testdef.h"
#include "timeutil.h"
#include "trace.h"
#include "worker.h"
#include "workerenv.h"
#include "xmalloc.h"

#define RUN_SAMPLE_USEC		100000	/* tree RSS sampling period */
#define RUN_RETRY_SEC		1	/* SIGKILL again if some survive */
#define RUN_TAIL_BYTES		4096
#define RUN_TAIL_LINES		20

#define RUN_SPAWN_TRIES		6	/* retries of a busy command */
#define RUN_SPAWN_BACKOFF_USEC	10000	/* doubled each retry */
#define RUN_STAGE_CHDIR		1
#define RUN_STAGE_EXEC		2

#define RUN_READ_BYTES		65536	/* from a TAP test's stdout */
#define RUN_READS_PER_EVENT	16	/* others get their turn */
#define RUN_DRAIN_READS		256	/* after the end: 16 MiB at most */
#define RUN_REGEX_BYTES		(8 * 1024 * 1024) /* of output matched */

#define RUN_AGAIN_MAX		3	/* runs more on a transient error */
#define RUN_AGAIN_USEC		500000	/* pause before the first; doubled */
#define RUN_PRESENT_TRIES	3	/* stats before a file is missing */
#define RUN_PRESENT_USEC	50000	/* between them; doubled */

extern char **environ;

/* What the child writes on the status pipe when it cannot exec. */
struct run_failure {
	int	 stage;
	int	 err;
};

static void	run_finish(struct worker *);
static void	run_forget(struct worker *);
static void	run_kill(struct worker *);
static void	run_launch(struct worker *);
static void	run_leader_done(struct worker_run *, int,
		    const struct rusage *);

static double
run_timeval(const struct timeval *tv)
{
	return (tv->tv_sec + tv->tv_usec / 1e6);
}

/* Escaped ids longer than this are cut and end in a hash of the id. */
#define RUN_LOG_NAME_MAX	180
#define RUN_LOG_NAME_KEEP	140

/*
 * The log's name: the id with bytes outside [A-Za-z0-9._-] as %XX. Ids
 * go up to TESTDEF_ID_MAX bytes and a file name to NAME_MAX, so a long
 * one keeps a readable prefix (never half of a %XX) and ends in "~" and
 * a 128-bit hash of the whole id, which keeps the names of different
 * ids apart; with the suffixes (".teardown.N.log", ".xml") it fits.
 */
static char *
run_log_path(const char *dir, const char *id, int attempt, const char *phase)
{
	static const char hex[] = "0123456789ABCDEF";
	char *esc, *path, *q;
	const unsigned char *p;
	uint64_t h1, h2;
	size_t keep;

	esc = q = xmalloc(strlen(id) * 3 + 1);
	for (p = (const unsigned char *)id; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-')
			*q++ = *p;
		else {
			*q++ = '%';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		}
	}
	*q = '\0';
	if (q - esc > RUN_LOG_NAME_MAX) {
		keep = RUN_LOG_NAME_KEEP;
		if (esc[keep - 1] == '%')
			keep -= 1;
		else if (esc[keep - 2] == '%')
			keep -= 2;
		h1 = baseline_hash(id, strlen(id), 0);
		h2 = baseline_hash(id, strlen(id), h1);
		snprintf(esc + keep, 2 + 32 + 1, "~%016llx%016llx",
		    (unsigned long long)h1, (unsigned long long)h2);
	}
	/* Fixtures log apart, so no name of theirs meets a test's. */
	if (*phase != '\0') {
		xasprintf(&path, "%s/fixtures", dir);
		if (mkdir(path, 0777) == -1 && errno != EEXIST)
			log_warn("mkdir '%s'", path);
		free(path);
		xasprintf(&path, "%s/fixtures/%s.%s.%d.log", dir, esc, phase,
		    attempt);
	} else
		xasprintf(&path, "%s/%s.%d.log", dir, esc, attempt);
	free(esc);
	return (path);
}

/* Sets NAME=VALUE in env, replacing an earlier NAME. */
static char **
run_setenv(char **env, const char *pair)
{
	size_t i, len = strcspn(pair, "=");

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], pair, len) == 0 && env[i][len] == '=') {
			free(env[i]);
			env[i] = xstrdup(pair);
			return (env);
		}
	}
	return (strv_push(env, pair));
}

/* Removes NAME from env. */
static void
run_unsetenv(char **env, const char *name)
{
	size_t i, j, len = strlen(name);

	for (i = j = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			free(env[i]);
		else
			env[j++] = env[i];
	}
	if (env != NULL)
		env[j] = NULL;
}

static char **
run_setenvf(char **env, const char *fmt, ...)
{
	va_list ap;
	char *pair;

	va_start(ap, fmt);
	if (vasprintf(&pair, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	env = run_setenv(env, pair);
	free(pair);
	return (env);
}

/*
 * The probe library: $DAGZ_PROBE_LIB if set (empty: none), else beside
 * the programs (probe/ of a build tree), else where it was installed.
 * Looked up once; NULL when there is none.
 */
static const char *
run_probe_lib(void)
{
	static char *lib;
	static int looked;
	char self[PATH_MAX], *cand[3] = { NULL, NULL, NULL };
	const char *env;
	ssize_t n;
	int i;

	if (looked)
		return (lib);
	looked = 1;
	if ((env = getenv("DAGZ_PROBE_LIB")) != NULL) {
		if (*env != '\0' && access(env, R_OK) == 0)
			lib = realpath(env, NULL);
		return (lib);
	}
	if ((env = getenv("DAGZ_BINDIR")) != NULL && *env != '\0')
		xasprintf(&cand[0], "%s/probe/libdagzprobe.so", env);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) != -1) {
		self[n] = '\0';
		xasprintf(&cand[1], "%s/probe/libdagzprobe.so", dirname(self));
	}
	cand[2] = xstrdup(PKGLIBDIR "/libdagzprobe.so");
	/* Absolute: a test may chdir before it execs anything. */
	for (i = 0; i < 3; i++) {
		if (lib == NULL && cand[i] != NULL &&
		    access(cand[i], R_OK) == 0)
			lib = realpath(cand[i], NULL);
		free(cand[i]);
	}
	return (lib);
}

/*
 * A file of the run's, in the directory sub of the log directory, named
 * like the log (ID.ATTEMPT) with suffix.
 */
static char *
run_log_sibling(struct worker *w, const struct worker_run *r, const char *sub,
    const char *suffix)
{
	const char *base;
	char *path;
	size_t len;

	base = strrchr(r->log, '/');
	base = base != NULL ? base + 1 : r->log;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".log") == 0)
		len -= 4;
	xasprintf(&path, "%s/%s/%.*s%s", w->config.log_dir, sub, (int)len, base,
	    suffix);
	return (path);
}

/*
 * Where the probe writes a test's trace: traces/ID.ATTEMPT in the log
 * directory, named like the log. NULL for fixtures and unprobed runs.
 */
static char *
run_trace_dir(struct worker *w, const struct worker_run *r)
{
	if (r->job->exec.phase[0] != '\0' || r->log == NULL ||
	    w->config.root == NULL || run_probe_lib() == NULL)
		return (NULL);
	return (run_log_sibling(w, r, "traces", ""));
}

/*
 * Where a test may write JUnit XML ($DAGZ_JUNIT): junit/ID.ATTEMPT.xml
 * in the log directory. NULL for fixtures, or when the directory cannot
 * be made.
 */
static char *
run_junit_path(struct worker *w, const struct worker_run *r)
{
	char *dir;

	if (r->job->exec.phase[0] != '\0')
		return (NULL);
	xasprintf(&dir, "%s/junit", w->config.log_dir);
	if (mkdir(dir, 0777) == -1 && errno != EEXIST) {
		log_warn("mkdir '%s'", dir);
		free(dir);
		return (NULL);
	}
	free(dir);
	return (run_log_sibling(w, r, "junit", ".xml"));
}

static void	 run_error(struct worker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/*
 * For a test with "coverage": where its hook writes the code elements
 * of its cases ($DAGZ_CASE_ELEMENTS), elements/ID.ATTEMPT.ndjson in the
 * log directory; for one with "subset" that is to run some of its
 * cases, the file listing them ($DAGZ_CASES), one a line. -1: the
 * directory cannot be made or the list written.
 */
static int
run_elements_paths(struct worker *w, struct worker_run *r)
{
	const struct msg_exec *ex = &r->job->exec;
	char *dir;
	FILE *f;
	size_t i;
	int rc = 0;

	if (ex->phase[0] != '\0' || (ex->def.coverage == NULL &&
	    (!ex->def.subset || ex->cases == NULL)))
		return (0);
	xasprintf(&dir, "%s/elements", w->config.log_dir);
	if (mkdir(dir, 0777) == -1 && errno != EEXIST) {
		run_error(w, "cannot make '%s': %s", dir, strerror(errno));
		free(dir);
		return (-1);
	}
	free(dir);
	if (ex->def.coverage != NULL)
		r->elements = run_log_sibling(w, r, "elements", ".ndjson");
	if (ex->cases == NULL || !ex->def.subset)
		return (0);
	r->casefile = run_log_sibling(w, r, "elements", ".cases");
	if ((f = fopen(r->casefile, "w")) == NULL) {
		run_error(w, "cannot write '%s': %s", r->casefile,
		    strerror(errno));
		return (-1);
	}
	for (i = 0; ex->cases[i] != NULL; i++)
		fprintf(f, "%s\n", ex->cases[i]);
	if (fclose(f) == EOF) {
		run_error(w, "cannot write '%s': %s", r->casefile,
		    strerror(errno));
		rc = -1;
	}
	return (rc);
}

/*
 * What the run's hook wrote to $DAGZ_CASE_ELEMENTS, *len bytes; NULL
 * when there is nothing or more than PROTO_ELEMENTS_FILE_MAX bytes
 * (*big).
 */
static char *
run_elements_text(const struct worker_run *r, size_t *len, int *big)
{
	struct stat sb;

	*len = 0;
	*big = 0;
	if (r->elements == NULL || stat(r->elements, &sb) == -1 ||
	    (*big = sb.st_size > PROTO_ELEMENTS_FILE_MAX))
		return (NULL);
	return (slurp_file(r->elements, len));
}

/*
 * The code elements the run's hook recorded; a file that is not there
 * (the hook never ran) or too large is an error: the test's record is
 * then incomplete.
 */
static void
run_elements_collect(struct worker_run *r, struct msg_elements *m)
{
	char *text;
	size_t len;
	int big;

	memset(m, 0, sizeof *m);
	if (r->elements == NULL)
		return;
	text = run_elements_text(r, &len, &big);
	proto_elements_read(text, len, m);
	if (big) {
		free(m->error);
		xasprintf(&m->error, "more than %d bytes in "
		    "$DAGZ_CASE_ELEMENTS", PROTO_ELEMENTS_FILE_MAX);
	}
	free(text);
}

/* Empties a trace directory a job before this one left (same log dir). */
static void
run_trace_empty(const char *dir)
{
	struct dirent *de;
	char *path;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (unlink(path) == -1)
			log_warn("unlink '%s'", path);
		free(path);
	}
	closedir(d);
}

/* Sets the probe's variables if the test is to run under it. */
static char **
run_probe_env(struct worker *w, char **env)
{
	const char *lib = run_probe_lib(), *old;
	char *dir, *top;
	size_t i;

	if ((dir = run_trace_dir(w, w->run)) == NULL)
		return (env);
	xasprintf(&top, "%s/traces", w->config.log_dir);
	if ((mkdir(top, 0777) == -1 && errno != EEXIST) ||
	    (mkdir(dir, 0777) == -1 && errno != EEXIST)) {
		log_warn("mkdir '%s'", dir);
		free(top);
		free(dir);
		return (env);
	}
	free(top);
	run_trace_empty(dir);
	old = NULL;
	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "LD_PRELOAD=", 11) == 0)
			old = env[i] + 11;
	if (old != NULL && *old != '\0') {
		top = xstrdup(old);
		env = run_setenvf(env, "LD_PRELOAD=%s:%s", lib, top);
		free(top);
	} else
		env = run_setenvf(env, "LD_PRELOAD=%s", lib);
	env = run_setenvf(env, "DAGZ_PROBE_ROOT=%s", w->config.root);
	env = run_setenvf(env, "DAGZ_PROBE_OUT=%s", dir);
	free(dir);
	return (env);
}

/* Copies a sorted path list into a strv, within *budget bytes. */
static char **
run_trace_paths(char *const *v, size_t n, size_t *budget, int *cut)
{
	char **out;
	size_t i, len;

	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++) {
		len = strlen(v[i]) + 8;
		if (len > *budget) {
			*cut = 1;
			break;
		}
		*budget -= len;
		out[i] = xstrdup(v[i]);
	}
	return (out);
}

/*
 * Of the paths a test wrote, those gone when it ended: what it removed
 * (or made and removed again), which the probe records as writes. Looked
 * at now, before the next test can change them.
 */
static char **
run_trace_removed(const char *root, char *const *writes)
{
	struct stat sb;
	char **out = NULL, *path;
	size_t i;

	for (i = 0; writes != NULL && writes[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", root, writes[i]);
		if (lstat(path, &sb) == -1 && errno == ENOENT)
			out = strv_push(out, writes[i]);
		free(path);
	}
	return (out);
}

/*
 * Reads what the probe wrote for the run into m->trace. A test that was
 * not probed (no library, no root, no directory) has an incomplete one:
 * nothing says what it depends on.
 */
static void
run_trace_collect(struct worker *w, struct msg_trace *m)
{
	struct worker_run *r = w->run;
	struct trace t;
	struct stat sb;
	char err[512], *dir;
	size_t budget = PROTO_TRACE_MAX, i;
	int cut = 0;

	memset(m, 0, sizeof *m);
	m->present = 1;
	m->incomplete = 1;
	if ((dir = run_trace_dir(w, r)) == NULL || stat(dir, &sb) == -1) {
		m->reasons = strv_push(NULL, w->config.root == NULL ?
		    "no project root to probe" : run_probe_lib() == NULL ?
		    "no probe library" : "no trace directory");
		free(dir);
		return;
	}
	trace_init(&t);
	if (trace_read_dir(&t, dir, err, sizeof err) == -1) {
		log_warnx("test '%s': %s", r->job->exec.def.id, err);
		trace_incomplete(&t, "trace unreadable");
	} else if (r->pid > 0 && r->exec_errno == 0)
		trace_check_leader(&t, r->pid);
	free(dir);
	m->reads = run_trace_paths(t.reads, t.nreads, &budget, &cut);
	m->missing = run_trace_paths(t.missing, t.nmissing, &budget, &cut);
	m->lists = run_trace_paths(t.lists, t.nlists, &budget, &cut);
	if (cut)
		trace_incomplete(&t, "trace too large to send");
	/* Only what it wrote may be cut, and say so. */
	m->writes = run_trace_paths(t.writes, t.nwrites, &budget,
	    &m->writes_cut);
	m->removed = run_trace_removed(w->config.root, m->writes);
	/*
	 * Files read, then rewritten, as the test left them; one left out
	 * is a dependency like any other.
	 */
	m->rewrites = xcalloc(t.nrewrites + 1, sizeof *m->rewrites);
	for (i = 0; i < t.nrewrites && strlen(t.rewrites[i]) + 32 <= budget;
	    i++) {
		budget -= strlen(t.rewrites[i]) + 32;
		m->rewrites[i].path = xstrdup(t.rewrites[i]);
		m->rewrites[i].hash = baseline_path_hash(w->config.root,
		    t.rewrites[i], NULL);
	}
	m->nrewrites = i;
	m->incomplete = t.incomplete;
	for (i = 0; i < t.nreasons; i++)
		m->reasons = strv_push(m->reasons, t.reasons[i]);
	m->apps = (int)t.napps;
	trace_clear(&t);
}

/* Inherited, then the test's own, then ours, which a test cannot fake. */
static char **
run_environment(struct worker *w, const struct msg_exec *ex)
{
	char **env, *v;
	size_t i;

	env = strv_copy(environ);
	for (i = 0; ex->def.env != NULL && ex->def.env[i] != NULL; i++)
		env = run_setenv(env, ex->def.env[i]);
	env = run_setenvf(env, "DAGZ_JOB_ID=%s", w->config.job);
	env = run_setenvf(env, "DAGZ_TEST_ID=%s", ex->def.id);
	env = run_setenvf(env, "DAGZ_WORKER_ID=%d", w->index);
	env = run_setenvf(env, "DAGZ_WORKER_SUFFIX=_jw%02d", w->index);
	env = run_setenvf(env, "DAGZ_ATTEMPT=%d", ex->attempt);
	env = run_setenvf(env, "DAGZ_NODE_INDEX=%d", w->config.node);
	/* --worker-env: this worker's own, for the test and all it starts. */
	for (i = 0; w->config.worker_env != NULL &&
	    w->config.worker_env[i] != NULL; i++) {
		v = workerenv_expand(w->config.worker_env[i], w->index,
		    w->config.node, w->config.job);
		env = run_setenv(env, v);
		free(v);
	}
	/* Not a fixture's: it would be read as the test's cases. */
	if (w->run->junit != NULL)
		env = run_setenvf(env, "DAGZ_JUNIT=%s", w->run->junit);
	else
		run_unsetenv(env, "DAGZ_JUNIT");
	/* A language hook's: the elements of each case, and a subset. */
	if (w->run->elements != NULL) {
		env = run_setenvf(env, "DAGZ_CASE_ELEMENTS=%s",
		    w->run->elements);
		if (w->config.root != NULL)
			env = run_setenvf(env, "DAGZ_PROJECT_ROOT=%s",
			    w->config.root);
	} else
		run_unsetenv(env, "DAGZ_CASE_ELEMENTS");
	if (w->run->casefile != NULL)
		env = run_setenvf(env, "DAGZ_CASES=%s", w->run->casefile);
	else
		run_unsetenv(env, "DAGZ_CASES");
	return (run_probe_env(w, env));
}

/* Keeps ids, processes the setup of fixture left running. */
static void
run_kept_add(struct worker *w, const char *fixture, const struct proc_id *ids,
    size_t n)
{
	size_t i;

	if (n == 0)
		return;
	w->kept = xreallocarray(w->kept, w->nkept + n, sizeof *w->kept);
	w->kept_by = xreallocarray(w->kept_by, w->nkept + n,
	    sizeof *w->kept_by);
	for (i = 0; i < n; i++) {
		w->kept[w->nkept] = ids[i];
		w->kept_by[w->nkept] = xstrdup(fixture);
		w->nkept++;
	}
}

/*
 * Forgets the kept processes of fixture, or all of them (NULL), and,
 * with dead set, those no longer alive.
 */
static void
run_kept_drop(struct worker *w, const char *fixture, int dead)
{
	size_t i, j;

	for (i = j = 0; i < w->nkept; i++) {
		if (dead ? !proc_id_alive(&w->kept[i]) : (fixture == NULL ||
		    strcmp(w->kept_by[i], fixture) == 0)) {
			free(w->kept_by[i]);
			continue;
		}
		w->kept[j] = w->kept[i];
		w->kept_by[j] = w->kept_by[i];
		j++;
	}
	w->nkept = j;
	if (w->nkept == 0) {
		free(w->kept);
		free(w->kept_by);
		w->kept = NULL;
		w->kept_by = NULL;
	}
}

/*
 * Brings the kept list up to date before a run: forgets the processes
 * that are gone, whose pids may come back as a test's, and adopts what
 * the others started meanwhile, so that those stay their fixture's even
 * once orphaned to us.
 */
static void
run_kept_refresh(struct worker *w)
{
	struct proc_id *ids;
	size_t i, j, n;

	run_kept_drop(w, NULL, 1);
	/* The list grows behind i: those are adopted already. */
	for (i = 0, j = w->nkept; i < j; i++) {
		n = proc_descendants_except(w->kept[i].pid, w->kept, w->nkept,
		    &ids);
		run_kept_add(w, w->kept_by[i], ids, n);
		free(ids);
	}
}

/*
 * What killing a run's tree must spare: every kept process, but for a
 * fixture's teardown, which takes that fixture's with it.
 */
static void
run_spare(struct worker *w, struct worker_run *r)
{
	const struct msg_exec *ex = &r->job->exec;
	size_t i;

	if (w->nkept == 0)
		return;
	r->spare = xreallocarray(NULL, w->nkept, sizeof *r->spare);
	for (i = 0; i < w->nkept; i++)
		if (strcmp(ex->phase, "teardown") != 0 ||
		    strcmp(w->kept_by[i], ex->def.id) != 0)
			r->spare[r->nspare++] = w->kept[i];
}

/* Whether r is a setup that went well: what it left is to be kept. */
static int
run_keeps(const struct worker_run *r)
{
	return (strcmp(r->job->exec.phase, "setup") == 0 &&
	    r->forced_reason == NULL && r->exec_errno == 0 &&
	    r->exit_code == 0);
}

/*
 * The child between vfork and exec: it borrows the worker's memory, so
 * it makes system calls only (glibc's execvpe allocates nothing), writes
 * to nothing but its own stack, and never returns. Failures go to the
 * parent over the close-on-exec status pipe.
 */
static void __attribute__((noreturn))
run_child(struct worker *w, const struct test_def *def, char **env,
    int logfd, int outfd, int statusfd)
{
	struct run_failure f;
	struct sigaction sa;
	sigset_t none;
	char *shargv[4];
	int sig;

	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&w->sigs_handled, sig) == 1)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (dup2(w->devnull, 0) == -1 ||
	    dup2(outfd != -1 ? outfd : logfd, 1) == -1 || dup2(logfd, 2) == -1)
		_exit(127);
#ifdef CLOSE_RANGE_CLOEXEC
	/*
	 * Whatever else we inherited stays out of the test, so that no test
	 * process can hold a descriptor someone waits on for EOF.
	 */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
	f.stage = RUN_STAGE_CHDIR;
	if (def->cwd != NULL && chdir(def->cwd) == -1)
		goto fail;
	f.stage = RUN_STAGE_EXEC;
	if (def->argv != NULL)
		execvpe(def->argv[0], def->argv, env);
	else {
		shargv[0] = "sh";
		shargv[1] = "-c";
		shargv[2] = def->sh;
		shargv[3] = NULL;
		execve("/bin/sh", shargv, env);
	}
fail:
	f.err = errno;
	(void)write(statusfd, &f, sizeof f);
	_exit(127);
}

/* Reports a test that could not be started because of dagz itself. */
static void
run_error(struct worker *w, const char *fmt, ...)
{
	struct worker_run *r = w->run;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&r->forced_reason, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	log_warnx("test '%s': %s", r->job->exec.def.id, r->forced_reason);
	r->forced = ST_DAGZ_ERROR;
	r->leader_done = 1;
	if (r->start_mono == 0) {
		r->start_unix = time_unix();
		r->start_mono = time_mono();
	}
	r->end_mono = time_mono();
	run_finish(w);
}

/*
 * Starts the test's leader with vfork: no copy of our page tables to
 * make, and none of the copy-on-write faults after it, on every test. No
 * handler of ours may run in the child before exec, as it would run in
 * our memory. Its stdout is outfd if not -1, else the log. Consumes pfd;
 * *n tells whether the child reported a failure to chdir or exec
 * (n == sizeof *f). The run's start is that of its first spawn.
 */
static pid_t
run_spawn(struct worker *w, const struct msg_exec *ex, char **env, int outfd,
    int *pfd, struct run_failure *f, ssize_t *n)
{
	struct worker_run *r = w->run;
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (r->start_mono == 0) {
		getrusage(RUSAGE_CHILDREN, &r->ru_before);
		r->start_unix = time_unix();
		r->start_mono = time_mono();
	}
	if ((pid = vfork()) == 0) {
		close(pfd[0]);
		run_child(w, &ex->def, env, r->logfd, outfd, pfd[1]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	*n = 0;
	if (pid != -1)
		while ((*n = read(pfd[0], f, sizeof *f)) == -1 &&
		    errno == EINTR)
			;
	close(pfd[0]);
	return (pid);
}

/*
 * The interpreter that the "#!" line of the script at path names, if
 * there is none such: exec then fails with ENOENT as if the script were
 * missing. Returns it as a new string with control characters shown as
 * ^X (a "\r" left by an editor is the usual one), or NULL.
 */
static char *
run_bad_interpreter(const char *path, const char *cwd)
{
	struct stat sb;
	char buf[256], *interp, *full, *shown, *q;
	unsigned char c;
	ssize_t n;
	size_t i, len;
	int fd, missing;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	while ((n = read(fd, buf, sizeof buf - 1)) == -1 && errno == EINTR)
		;
	close(fd);
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return (NULL);
	buf[n] = '\0';
	interp = buf + 2 + strspn(buf + 2, " \t");
	if ((len = strcspn(interp, " \t\n")) == 0)
		return (NULL);
	interp[len] = '\0';
	/* The kernel looks a relative one up from the test's directory. */
	if (interp[0] != '/' && cwd != NULL)
		xasprintf(&full, "%s/%s", cwd, interp);
	else
		full = xstrdup(interp);
	missing = stat(full, &sb) == -1;
	free(full);
	if (!missing)
		return (NULL);
	shown = q = xmalloc(len * 2 + 1);
	for (i = 0; i < len; i++) {
		c = interp[i];
		if (c < 0x20 || c == 0x7f) {
			*q++ = '^';
			*q++ = c ^ 0x40;
		} else
			*q++ = c;
	}
	*q = '\0';
	return (shown);
}

/*
 * A failure to start that may pass: the command's file is there. One
 * whose interpreter is missing will not, and *interp tells which.
 */
static int
run_transient(const struct test_def *def, const struct run_failure *f,
    char **interp)
{
	struct stat sb;
	char *path;
	int exists;

	if (f->stage != RUN_STAGE_EXEC)
		return (0);
	if (f->err == ETXTBSY)
		return (1);
	if (f->err != ENOENT || def->argv == NULL ||
	    strchr(def->argv[0], '/') == NULL)
		return (0);
	if (def->argv[0][0] == '/' || def->cwd == NULL)
		path = xstrdup(def->argv[0]);
	else
		xasprintf(&path, "%s/%s", def->cwd, def->argv[0]);
	exists = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	if (exists && *interp == NULL &&
	    (*interp = run_bad_interpreter(path, def->cwd)) != NULL)
		exists = 0;
	free(path);
	return (exists);
}

/* Closes our end of the test's stdout, if it has one. */
static void
run_out_close(struct worker_run *r)
{
	if (r->ev_out != NULL) {
		event_free(r->ev_out);
		r->ev_out = NULL;
	}
	if (r->outfd != -1) {
		close(r->outfd);
		r->outfd = -1;
	}
}

/*
 * Reads what the test's stdout has for us, at most reads times and
 * without blocking: each piece goes to the log, where its stderr goes
 * too, and to the TAP reader. Closes it at EOF.
 */
static void
run_out_read(struct worker_run *r, int reads)
{
	static char buf[RUN_READ_BYTES];
	ssize_t n, k;
	size_t off;

	while (r->outfd != -1 && reads > 0) {
		if ((n = read(r->outfd, buf, sizeof buf)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			log_warn("test '%s': cannot read its stdout",
			    r->job->exec.def.id);
			run_out_close(r);
			return;
		}
		if (n == 0) {
			run_out_close(r);
			return;
		}
		reads--;
		tap_feed(r->tap, buf, n);
		for (off = 0; off < (size_t)n; off += k) {
			if ((k = write(r->logfd, buf + off, n - off)) == -1) {
				if (errno == EINTR) {
					k = 0;
					continue;
				}
				log_warn("cannot write log '%s'", r->log);
				break;
			}
		}
	}
}

static void
run_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	if (w->run != NULL)
		run_out_read(w->run, RUN_READS_PER_EVENT);
}

/*
 * Gives a TAP test a pipe for its stdout; returns the end for it, or -1
 * with errno set. Ours is non-blocking: it is never waited on.
 */
static int
run_out_open(struct worker *w)
{
	struct worker_run *r = w->run;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) == -1)
		return (-1);
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1) {
		close(fds[0]);
		close(fds[1]);
		return (-1);
	}
	r->outfd = fds[0];
	r->ev_out =
	    event_new(w->base, r->outfd, EV_READ | EV_PERSIST, run_out_cb, w);
	if (r->ev_out == NULL)
		fatalx("cannot watch a test's stdout");
	r->tap = tap_new();
	return (fds[1]);
}

static void
run_start(struct worker *w, struct worker_job *job)
{
	const struct msg_exec *ex = &job->exec;
	struct worker_run *r;

	r = w->run = xcalloc(1, sizeof *r);
	r->job = job;
	r->exit_code = -1;
	r->logfd = -1;
	r->outfd = -1;
	cases_init(&r->cases);
	if (w->nkept > 0)
		run_kept_refresh(w);
	run_spare(w, r);
	r->log = run_log_path(w->config.log_dir, ex->def.id, ex->attempt,
	    ex->phase);
	if ((r->logfd = open(r->log, O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0644)) == -1) {
		run_error(w, "cannot open log '%s': %s", r->log,
		    strerror(errno));
		return;
	}
	r->junit = run_junit_path(w, r);
	if (run_elements_paths(w, r) == -1)
		return;
	run_launch(w);
}

/*
 * Starts the test's leader: its run, or one more after a transient
 * error, which goes on in the same log.
 */
static void
run_launch(struct worker *w)
{
	struct worker_run *r = w->run;
	const struct msg_exec *ex = &r->job->exec;
	struct msg_started st;
	struct run_failure f;
	struct timeval tv;
	char **env;
	ssize_t n;
	int pfd[2], outfd = -1, tries, last_err = 0;
	pid_t pid;

	r->log_start = lseek(r->logfd, 0, SEEK_END);
	if (r->log_start == -1)
		r->log_start = 0;
	/* What is there would be read as this run's cases. */
	if (r->junit != NULL && unlink(r->junit) == -1 && errno != ENOENT) {
		run_error(w, "cannot remove '%s': %s", r->junit,
		    strerror(errno));
		return;
	}
	/* The hook appends: a run again starts afresh. */
	if (r->elements != NULL && unlink(r->elements) == -1 &&
	    errno != ENOENT) {
		run_error(w, "cannot remove '%s': %s", r->elements,
		    strerror(errno));
		return;
	}
	if (ex->def.format != NULL && ex->phase[0] == '\0' &&
	    (outfd = run_out_open(w)) == -1) {
		run_error(w, "cannot make a pipe: %s", strerror(errno));
		return;
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		if (outfd != -1)
			close(outfd);
		run_error(w, "cannot make a pipe: %s", strerror(errno));
		return;
	}
	env = run_environment(w, ex);
	for (tries = 0;; tries++) {
		pid = run_spawn(w, ex, env, outfd, pfd, &f, &n);
		if (pid == -1 || n != sizeof f || tries == RUN_SPAWN_TRIES ||
		    !run_transient(&ex->def, &f, &r->bad_interp))
			break;
		/*
		 * The command exists but could not start: a binary still
		 * open for writing (ETXTBSY), or a file that a loaded
		 * filesystem briefly failed to find. Wait a little longer
		 * each time, then try again.
		 */
		last_err = f.err;
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		usleep(RUN_SPAWN_BACKOFF_USEC << tries);
		if (pipe2(pfd, O_CLOEXEC) == -1) {
			strv_free(env);
			if (outfd != -1)
				close(outfd);
			run_error(w, "cannot make a pipe: %s", strerror(errno));
			return;
		}
	}
	strv_free(env);
	/* The test's end only: no copy of it may keep the pipe open. */
	if (outfd != -1)
		close(outfd);
	if (pid == -1) {
		run_error(w, "cannot fork: %s", strerror(errno));
		return;
	}
	free(r->spawn_note);
	r->spawn_note = NULL;
	if (tries > 0 && n != sizeof f)
		xasprintf(&r->spawn_note, "started after %d retr%s (%s)",
		    tries, tries == 1 ? "y" : "ies", strerror(last_err));
	/* The child has its own group: vfork waited for its exec. */
	r->pid = pid;
	if (n == sizeof f) {
		r->exec_stage = f.stage;
		r->exec_errno = f.err;
		if (tries > 0)
			xasprintf(&r->spawn_note, "after %d retr%s", tries,
			    tries == 1 ? "y" : "ies");
	}

	if (r->again == 0) {
		memset(&st, 0, sizeof st);
		st.worker = w->index;
		st.test = ex->def.id;
		st.attempt = ex->attempt;
		st.pid = pid;
		strlcpy(st.phase, ex->phase, sizeof st.phase);
		worker_send(w, proto_started_encode(&st));
	}
	log_debug("test '%s' attempt %d: pid %d", ex->def.id, ex->attempt,
	    (int)pid);
	if (r->ev_out != NULL)
		event_add(r->ev_out, NULL);
	if (r->exec_errno != 0)
		return;

	if ((r->timeout = ex->timeout) <= 0 &&
	    (r->timeout = ex->def.timeout) <= 0)
		r->timeout = w->config.timeout;
	if (r->timeout > 0) {
		tv.tv_sec = (time_t)r->timeout;
		tv.tv_usec = (suseconds_t)((r->timeout - tv.tv_sec) * 1e6);
		evtimer_add(w->ev_timeout, &tv);
	}
	/* Periodic, first after 100 ms: quick tests never read /proc. */
	tv.tv_sec = 0;
	tv.tv_usec = RUN_SAMPLE_USEC;
	evtimer_add(w->ev_sample, &tv);
}

/* Starts the next queued test if none is running. */
void
run_next(struct worker *w)
{
	struct worker_job *job;

	if (w->run != NULL || w->peer == NULL ||
	    (job = TAILQ_FIRST(&w->jobs)) == NULL)
		return;
	TAILQ_REMOVE(&w->jobs, job, entry);
	run_start(w, job);
}

static void
run_next_cb(evutil_socket_t fd, short what, void *arg)
{
	run_next(arg);
}

/* Copies s as valid UTF-8 (JSON needs it), bad bytes as U+FFFD. */
static char *
run_utf8(const unsigned char *s, size_t n)
{
	char *out, *q;
	size_t i, k, need;
	unsigned char c, lo, hi;

	q = out = xmalloc(n * 3 + 1);
	for (i = 0; i < n; i += need) {
		c = s[i];
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0x01 && c <= 0x7f)
			need = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			need = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 3;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 4;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			need = 0;
		for (k = 1; need > 0 && k < need; k++) {
			if (i + k >= n || s[i + k] < (k == 1 ? lo : 0x80) ||
			    s[i + k] > (k == 1 ? hi : 0xbf))
				need = 0;
		}
		if (need == 0) {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			need = 1;
		} else {
			memcpy(q, s + i, need);
			q += need;
		}
	}
	*q = '\0';
	return (out);
}

/* The end of the log: its last lines, at most RUN_TAIL_BYTES of them. */
static char *
run_tail(int fd)
{
	unsigned char buf[RUN_TAIL_BYTES];
	struct stat sb;
	ssize_t n;
	off_t off;
	size_t start, end, i;
	int lines = 0;

	if (fstat(fd, &sb) == -1 || sb.st_size == 0)
		return (NULL);
	off = sb.st_size > RUN_TAIL_BYTES ? sb.st_size - RUN_TAIL_BYTES : 0;
	if ((n = pread(fd, buf, sizeof buf, off)) <= 0)
		return (NULL);
	start = 0;
	end = n;
	/* A line cut by the byte limit is dropped, if a whole one follows. */
	if (off > 0) {
		for (i = 0; i + 1 < end; i++)
			if (buf[i] == '\n') {
				start = i + 1;
				break;
			}
	}
	for (i = end; i > start; i--) {
		if (buf[i - 1] == '\n' && i != end &&
		    ++lines == RUN_TAIL_LINES) {
			start = i;
			break;
		}
	}
	if (start == end)
		return (NULL);
	return (run_utf8(buf + start, end - start));
}

static void
run_reason(char **reason, const char *fmt, ...)
{
	va_list ap;
	char *more, *joined;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (*reason == NULL) {
		*reason = more;
		return;
	}
	xasprintf(&joined, "%s, %s", *reason, more);
	free(more);
	free(*reason);
	*reason = joined;
}

/*
 * Reads the cases of the run that ended: what is left of its TAP (the
 * tree is gone; a process that escaped it may hold the pipe, so nothing
 * waits for EOF), then its JUnit file, if it wrote one.
 */
static void
run_cases_collect(struct worker_run *r)
{
	struct stat sb;
	const char *why;
	char err[512], *text;
	size_t plen, len;
	int big;

	if (r->tap != NULL) {
		run_out_read(r, RUN_DRAIN_READS);
		run_out_close(r);
		tap_finish(r->tap, &r->cases);
		tap_free(r->tap);
		r->tap = NULL;
	}
	if (r->junit != NULL && stat(r->junit, &sb) == 0 &&
	    junit_read(r->junit, &r->cases, err, sizeof err) == -1) {
		log_debug("test '%s': %s", r->job->exec.def.id, err);
		/* Said of the variable the test knows, not of our path. */
		plen = strlen(r->junit);
		why = err;
		if (err[0] == '\'' && strncmp(err + 1, r->junit, plen) == 0 &&
		    strncmp(err + 1 + plen, "': ", 3) == 0)
			why = err + plen + 4;
		if (r->cases.error != NULL && strcmp(r->cases.error, err) == 0) {
			free(r->cases.error);
			xasprintf(&r->cases.error, "bad JUnit XML in "
			    "$DAGZ_JUNIT: %s", why);
		}
	}
	/* Ended before its report: the cases its hook saw run, if any. */
	if (!r->cases.present && r->elements != NULL &&
	    (text = run_elements_text(r, &len, &big)) != NULL) {
		r->unfinished = cases_read_progress(text, len, &r->cases,
		    "did not finish: the test ended while it ran");
		free(text);
	}
}

/* transient_file, from the test's directory. */
static char *
run_transient_path(const struct test_def *def)
{
	char *path;

	if (def->transient_file[0] == '/' || def->cwd == NULL)
		return (xstrdup(def->transient_file));
	xasprintf(&path, "%s/%s", def->cwd, def->transient_file);
	return (path);
}

/*
 * Whether path exists, asked a few times with pauses: on a loaded
 * machine one stat may fail for a file that is there (seed 004). When
 * it is not, errno says why.
 */
static int
run_file_present(const char *path)
{
	struct stat sb;
	int i;

	for (i = 0; i < RUN_PRESENT_TRIES; i++) {
		if (i > 0)
			usleep(RUN_PRESENT_USEC << (i - 1));
		if (stat(path, &sb) == 0)
			return (1);
	}
	return (0);
}

/*
 * Whether the run ended on a transient error of the test's tool, its
 * transient_code while its transient_file exists, and is to run again;
 * if so, that is set to happen after a pause that doubles each time.
 * It is not a new attempt: the log goes on, with a line saying why.
 */
static int
run_again(struct worker *w)
{
	struct worker_run *r = w->run;
	const struct test_def *def = &r->job->exec.def;
	struct timeval tv;
	char *path, *line;
	long usec;
	int present;

	if (r->job->exec.phase[0] != '\0' || def->transient_code < 0 ||
	    r->forced_reason != NULL || r->exec_errno != 0 ||
	    r->exit_code != def->transient_code)
		return (0);
	path = run_transient_path(def);
	present = run_file_present(path);
	free(path);
	if (!present) {
		r->missing_errno = errno;
		return (0);
	}
	if (r->again == RUN_AGAIN_MAX || w->peer == NULL)
		return (0);
	usec = RUN_AGAIN_USEC << r->again;
	r->again++;
	xasprintf(&line, "dagz: exit %d while '%s' exists: running again in "
	    "%gs\n", r->exit_code, def->transient_file, usec / 1e6);
	if (write(r->logfd, line, strlen(line)) == -1)
		log_warn("cannot write log '%s'", r->log);
	free(line);
	log_debug("test '%s': transient exit %d, running again", def->id,
	    r->exit_code);
	cases_clear(&r->cases);
	free(r->unfinished);
	r->unfinished = NULL;
	r->phase = RUN_AGAIN;
	tv.tv_sec = usec / 1000000;
	tv.tv_usec = usec % 1000000;
	evtimer_add(w->ev_again, &tv);
	return (1);
}

static void
run_again_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_run *r = w->run;

	if (r == NULL || r->phase != RUN_AGAIN)
		return;
	r->phase = RUN_RUNNING;
	r->pid = 0;
	r->leader_done = 0;
	r->exit_code = -1;
	r->signal = 0;
	r->end_mono = 0;
	r->exec_errno = 0;
	r->exec_stage = 0;
	run_launch(w);
}

/*
 * Whether this run's output, the log from where the run began (its last
 * RUN_REGEX_BYTES), matches one of pats; *which is the one that does.
 */
static int
run_output_matches(const struct worker_run *r, char *const *pats,
    const char **which)
{
	struct stat sb;
	regex_t re;
	off_t from;
	ssize_t n;
	char *buf;
	size_t i;
	int found = 0;

	if (fstat(r->logfd, &sb) == -1)
		return (0);
	from = r->log_start;
	if (sb.st_size - from > RUN_REGEX_BYTES)
		from = sb.st_size - RUN_REGEX_BYTES;
	if (from > sb.st_size)
		from = sb.st_size;
	buf = xmalloc(sb.st_size - from + 1);
	if ((n = pread(r->logfd, buf, sb.st_size - from, from)) < 0)
		n = 0;
	buf[n] = '\0';
	/* A NUL would end the text early. */
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	for (i = 0; !found && pats[i] != NULL; i++) {
		/* Checked as the manifest was read. */
		if (regcomp(&re, pats[i], TESTDEF_REGEX_FLAGS) != 0)
			continue;
		if (regexec(&re, buf, 0, NULL, 0) == 0) {
			found = 1;
			*which = pats[i];
		}
		regfree(&re);
	}
	free(buf);
	return (found);
}

/*
 * The status of a test that exited, from its exit status and output as
 * ctest reads them: skip_code skips (and 77, unless the exit is not
 * what passes); pass_regex, if any, stands for the exit status;
 * fail_regex fails; will_fail turns passing and failing around.
 */
static enum test_status
run_exit_verdict(const struct worker_run *r, char **reason)
{
	const struct test_def *def = &r->job->exec.def;
	const char *pat = NULL;
	int code = r->exit_code, passed;

	if (def->skip_code >= 0 && code == def->skip_code) {
		if (def->skip_reason != NULL)
			*reason = xstrdup(def->skip_reason);
		else
			xasprintf(reason, "exit %d", code);
		return (ST_SKIPPED);
	}
	if (code == 77 && !def->will_fail && def->pass_regex == NULL)
		return (ST_SKIPPED);
	if (def->pass_regex != NULL) {
		if (!(passed = run_output_matches(r, def->pass_regex, &pat)))
			*reason = xstrdup("output matches no pass_regex");
	} else if (!(passed = code == 0))
		xasprintf(reason, "exit %d", code);
	if (def->fail_regex != NULL &&
	    run_output_matches(r, def->fail_regex, &pat)) {
		passed = 0;
		free(*reason);
		xasprintf(reason, "output matches fail_regex '%s'", pat);
	}
	if (def->will_fail) {
		free(*reason);
		*reason = NULL;
		if ((passed = !passed) == 0) {
			if (def->pass_regex != NULL)
				xasprintf(reason, "output matches pass_regex "
				    "'%s', expected to fail", pat);
			else
				*reason = xstrdup("exit 0, expected to fail");
		}
	}
	return (passed ? ST_OK : ST_FAILED);
}

/* Everything of the test is gone: report it and go on with the next. */
static void
run_finish(struct worker *w)
{
	struct worker_run *r = w->run;
	const struct msg_exec *ex = &r->job->exec;
	struct msg_result m;
	struct rusage ru;
	char *reason = NULL, *tail = NULL, name[512];
	const char *cmd;

	evtimer_del(w->ev_timeout);
	evtimer_del(w->ev_sample);
	evtimer_del(w->ev_grace);
	if (r->end_mono == 0)
		r->end_mono = time_mono();
	run_cases_collect(r);
	if (run_again(w))
		return;

	memset(&m, 0, sizeof m);
	m.worker = w->index;
	m.test = ex->def.id;
	m.attempt = ex->attempt;
	strlcpy(m.phase, ex->phase, sizeof m.phase);
	m.exit_code = r->exit_code;
	m.signal = r->signal;
	m.start = r->start_unix;
	m.duration = r->end_mono - r->start_mono;
	if (r->pid > 0) {
		/* Every process of the tree has been reaped by now. */
		getrusage(RUSAGE_CHILDREN, &ru);
		m.cpu = run_timeval(&ru.ru_utime) + run_timeval(&ru.ru_stime) -
		    run_timeval(&r->ru_before.ru_utime) -
		    run_timeval(&r->ru_before.ru_stime);
		if (m.cpu < 0)
			m.cpu = 0;
	}
	m.rss = r->rss_peak > r->leader_maxrss ? r->rss_peak :
	    r->leader_maxrss;
	m.leaked = r->leaked;
	/*
	 * Between tests, all that is left of ours is what we keep: the
	 * scheduler weighs it against --worker-mem-budget.
	 */
	if (ex->phase[0] == '\0' && w->config.worker_mem_budget > 0)
		m.kept_rss = proc_tree_rss(getpid());

	if (r->forced_reason != NULL) {
		m.status = r->forced;
		reason = xstrdup(r->forced_reason);
	} else if (r->exec_errno != 0) {
		m.status = ST_FAILED;
		cmd = ex->def.argv != NULL ? ex->def.argv[0] : "/bin/sh";
		if (r->exec_stage == RUN_STAGE_CHDIR)
			xasprintf(&reason, "cannot chdir to '%s': %s",
			    ex->def.cwd, strerror(r->exec_errno));
		else if (r->bad_interp != NULL)
			xasprintf(&reason, "bad interpreter '%s' in '%s'",
			    r->bad_interp, cmd);
		else if (r->exec_errno == ENOENT)
			xasprintf(&reason, "command not found: '%s'", cmd);
		else
			xasprintf(&reason, "cannot execute '%s': %s", cmd,
			    strerror(r->exec_errno));
	} else if (r->exit_code >= 0) {
		m.status = run_exit_verdict(r, &reason);
		m.status = cases_verdict(&r->cases, m.status, &reason);
	} else {
		m.status = ST_CRASHED;
		reason = xstrdup(proc_signame(r->signal));
	}
	if (r->again > 0)
		run_reason(&reason, "transient error (exit %d while '%s' "
		    "exists), ran again %d time%s", ex->def.transient_code,
		    ex->def.transient_file, r->again, r->again == 1 ? "" : "s");
	if (r->missing_errno != 0)
		run_reason(&reason, "'%s' is missing: %s",
		    ex->def.transient_file, strerror(r->missing_errno));
	if (r->spawn_note != NULL)
		run_reason(&reason, "%s", r->spawn_note);
	if (r->unfinished != NULL) {
		cases_escape(r->unfinished, name, sizeof name);
		run_reason(&reason, "case '%s' did not finish", name);
	}
	if (r->leaked > 0) {
		run_reason(&reason, "leaked %d process%s", r->leaked,
		    r->leaked == 1 ? "" : "es");
		if (w->config.leak == LEAK_FAIL && m.status == ST_OK)
			m.status = ST_FAILED;
	}
	m.reason = reason;
	cases_move(&m.cases, &r->cases);
	if (ex->phase[0] == '\0')
		run_trace_collect(w, &m.trace);
	run_elements_collect(r, &m.elements);
	if (r->logfd != -1) {
		m.log = r->log;
		m.tail = tail = run_tail(r->logfd);
	}
	worker_send(w, proto_result_encode(&m));
	log_debug("test '%s' attempt %d: %s%s%s", ex->def.id, ex->attempt,
	    status_name(m.status), reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
	free(reason);
	free(tail);
	proto_trace_clear(&m.trace);
	cases_clear(&m.cases);
	proto_elements_clear(&m.elements);
	if (strcmp(ex->phase, "teardown") == 0 && r->nspare < w->nkept) {
		/*
		 * The fixture's processes went with the teardown's tree,
		 * unless that never started.
		 */
		if (r->pid <= 0)
			proc_kill_descendants_except(getpid(), r->spare,
			    r->nspare, w->config.grace);
		run_kept_drop(w, ex->def.id, 0);
	}
	run_forget(w);
	/* Not run_next() here: a string of exec failures must not recurse. */
	event_active(w->ev_next, 0, 0);
}

/* Sends sig to the whole tree: the group while it is ours, and below. */
static void
run_signal_tree(struct worker *w, int sig)
{
	struct worker_run *r = w->run;

	/* Once the leader is reaped its pid, the pgid, may be reused. */
	if (!r->leader_done)
		kill(-r->pid, sig);
	proc_signal_descendants_except(getpid(), r->spare, r->nspare, sig);
}

/* SIGTERM to the tree, SIGKILL after the grace period. */
static void
run_stop(struct worker *w)
{
	struct worker_run *r = w->run;
	struct timeval tv;
	double grace = w->config.grace;

	r->phase = RUN_STOPPING;
	evtimer_del(w->ev_timeout);
	evtimer_del(w->ev_sample);
	run_signal_tree(w, SIGTERM);
	/* A stopped process only acts on SIGTERM once continued. */
	run_signal_tree(w, SIGCONT);
	if (grace <= 0) {
		run_kill(w);
		return;
	}
	tv.tv_sec = (time_t)grace;
	tv.tv_usec = (suseconds_t)((grace - tv.tv_sec) * 1e6);
	evtimer_add(w->ev_grace, &tv);
}

/* SIGKILL to the tree until it is gone; then report, or try again. */
static void
run_kill(struct worker *w)
{
	struct worker_run *r = w->run;
	struct rusage ru;
	struct timeval tv;
	int st;

	r->phase = RUN_KILLED;
	evtimer_del(w->ev_timeout);
	evtimer_del(w->ev_sample);
	if (!r->leader_done) {
		kill(-r->pid, SIGKILL);
		/* Its own status if it is already gone, before proc.c reaps. */
		if (wait4(r->pid, &st, WNOHANG, &ru) == r->pid)
			run_leader_done(r, st, &ru);
	}
	proc_kill_descendants_except(getpid(), r->spare, r->nspare, 0);
	if (!r->leader_done && waitpid(r->pid, NULL, WNOHANG) == -1 &&
	    errno == ECHILD) {
		/* proc_kill_descendants_except() reaped it, of our SIGKILL. */
		r->leader_done = 1;
		r->signal = SIGKILL;
		r->end_mono = time_mono();
	}
	run_reap(w);
	if (w->run != NULL) {
		/* Some process survives SIGKILL (D state): keep at it. */
		tv.tv_sec = RUN_RETRY_SEC;
		tv.tv_usec = 0;
		evtimer_add(w->ev_grace, &tv);
	}
}

static void
run_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_run *r = w->run;

	if (r == NULL || r->phase != RUN_RUNNING)
		return;
	r->forced = ST_TIMEOUT;
	xasprintf(&r->forced_reason, "timed out after %gs", r->timeout);
	run_stop(w);
}

static void
run_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	if (w->run != NULL)
		run_kill(w);
}

/* Samples the tree's memory, for the peak and against the budget. */
static void
run_sample_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct worker_run *r = w->run;
	struct timeval tv;
	long long rss, budget = w->config.mem_budget;

	if (r == NULL || r->phase != RUN_RUNNING)
		return;
	/* A fixture's kept server is not the test's to pay for. */
	rss = proc_descendants_rss_except(getpid(), w->kept, w->nkept);
	if (rss > r->rss_peak)
		r->rss_peak = rss;
	if (budget > 0 && rss > budget) {
		/* No grace: the tree may still be growing. */
		r->forced = ST_FAILED;
		xasprintf(&r->forced_reason, "memory budget exceeded "
		    "(%lld MiB > %lld MiB)", rss >> 20, budget >> 20);
		run_kill(w);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = RUN_SAMPLE_USEC;
	evtimer_add(w->ev_sample, &tv);
}

static void
run_leader_done(struct worker_run *r, int st, const struct rusage *ru)
{
	r->leader_done = 1;
	r->end_mono = time_mono();
	/* The peak of all its runs: one may have been run again. */
	if (ru->ru_maxrss * 1024LL > r->leader_maxrss)
		r->leader_maxrss = ru->ru_maxrss * 1024LL;
	if (WIFEXITED(st))
		r->exit_code = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		r->signal = WTERMSIG(st);
}

/*
 * On SIGCHLD: reaps every child that is done. When the leader is gone
 * and no child is left but kept ones, the test is over; when children
 * are left after the leader went on its own, they are kept if a setup
 * that went well left them, else leaked and stopped.
 */
void
run_reap(struct worker *w)
{
	struct worker_run *r = w->run;
	struct proc_id *ids, *own;
	struct rusage ru;
	pid_t pid;
	size_t n;
	int st, gone = 0;

	for (;;) {
		pid = wait4(-1, &st, WNOHANG, &ru);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			gone = errno == ECHILD;
		if (pid <= 0)
			break;
		if (r != NULL && pid == r->pid && !r->leader_done)
			run_leader_done(r, st, &ru);
	}
	if (r == NULL || !r->leader_done || r->phase == RUN_AGAIN)
		return;
	if (gone) {
		run_finish(w);
		return;
	}
	/* Without kept processes, the last one's death brings ECHILD. */
	if (r->phase != RUN_RUNNING && w->nkept == 0)
		return;
	n = proc_descendants_except(getpid(), r->spare, r->nspare, &ids);
	if (n == 0) {
		/*
		 * Only a child that has just died can be missing from the
		 * list; with kept ones, ECHILD will not come to say it.
		 */
		if (w->nkept > 0)
			run_finish(w);
		return;
	}
	if (r->phase != RUN_RUNNING) {
		free(ids);
		return;
	}
	if (run_keeps(r)) {
		log_debug("fixture '%s': keeping %zu processes",
		    r->job->exec.def.id, n);
		run_kept_add(w, r->job->exec.def.id, ids, n);
		free(ids);
		run_finish(w);
		return;
	}
	free(ids);
	/* A teardown stops its fixture's processes, but did not leak them. */
	if (r->nspare < w->nkept) {
		n = proc_descendants_except(getpid(), w->kept, w->nkept, &own);
		free(own);
	}
	r->leaked += (int)n;
	if (n > 0)
		log_debug("test '%s': leaked %zu processes",
		    r->job->exec.def.id, n);
	run_stop(w);
}

/* Forgets the running test; its processes must be gone. */
static void
run_forget(struct worker *w)
{
	struct worker_run *r = w->run;

	evtimer_del(w->ev_timeout);
	evtimer_del(w->ev_sample);
	evtimer_del(w->ev_grace);
	evtimer_del(w->ev_again);
	if (r == NULL)
		return;
	run_out_close(r);
	if (r->tap != NULL)
		tap_free(r->tap);
	free(r->junit);
	free(r->unfinished);
	free(r->elements);
	free(r->casefile);
	cases_clear(&r->cases);
	if (r->logfd != -1)
		close(r->logfd);
	free(r->log);
	free(r->forced_reason);
	free(r->spawn_note);
	free(r->bad_interp);
	free(r->spare);
	proto_exec_clear(&r->job->exec);
	free(r->job);
	free(r);
	w->run = NULL;
}

/*
 * Kills the running test's tree and every kept process without reporting
 * it, for shutdown: nothing of the job may outlive the worker. Blocks
 * for up to the grace period.
 */
void
run_abort(struct worker *w)
{
	struct worker_run *r = w->run;

	if (r != NULL && r->pid > 0 && !r->leader_done)
		kill(-r->pid, SIGTERM);
	if ((r != NULL && r->pid > 0) || w->nkept > 0)
		proc_kill_descendants(getpid(), w->config.grace);
	run_kept_drop(w, NULL, 0);
	run_forget(w);
}

void
run_init(struct worker *w)
{
	struct sigaction sa;
	int sig;

	/* Which dispositions a test must not inherit, found once. */
	sigemptyset(&w->sigs_handled);
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL)
			sigaddset(&w->sigs_handled, sig);
	w->ev_timeout = evtimer_new(w->base, run_timeout_cb, w);
	w->ev_sample = evtimer_new(w->base, run_sample_cb, w);
	w->ev_grace = evtimer_new(w->base, run_grace_cb, w);
	w->ev_next = event_new(w->base, -1, 0, run_next_cb, w);
	w->ev_again = evtimer_new(w->base, run_again_cb, w);
	if (w->ev_timeout == NULL || w->ev_sample == NULL ||
	    w->ev_grace == NULL || w->ev_next == NULL || w->ev_again == NULL)
		fatalx("cannot make timers");
}

void
run_free(struct worker *w)
{
	event_free(w->ev_timeout);
	event_free(w->ev_sample);
	event_free(w->ev_grace);
	event_free(w->ev_next);
	event_free(w->ev_again);
}
