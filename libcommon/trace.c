/*
 * trace.c: reading what libdagzprobe.so wrote for a test. Every process
 * of the test wrote a file of its own; they are read in name order and
 * merged. Records are kept as read (struct trace_raw) and the lists and
 * apps of struct trace are made from them by trace_finish, so that
 * traces can be merged and finished again at any time.
 *
 * The reader never trusts a trace more than its files allow: a record it
 * cannot parse, a last line without its newline (the writer was killed
 * mid-record), or a directory with no file at all makes it incomplete.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonflat.h"
#include "slurp.h"
#include "strv.h"
#include "trace.h"
#include "xmalloc.h"

#define TRACE_SUFFIX	".trace"
#define PARENT_DEPTH	64	/* fork records followed to a parent */

struct raw_app {
	pid_t	  pid;
	pid_t	  ppid;
	double	  start;
	char	**argv;
	int	  traced;
	size_t	  seq;		/* order read, to break ties */
};

struct raw_fork {
	pid_t	 pid;
	pid_t	 ppid;
	double	 start;
};

/* An exit record (the process's view) or a reap record (its parent's). */
struct raw_end {
	pid_t	 pid;
	double	 time;
	int	 exit_code;
	int	 signal;
	int	 reap;
};

/*
 * A path record's kind and time, by which trace_finish tells the paths
 * a test made from those it found: the path is the one in its list,
 * until trace_finish sorts the lists; len leaves out a trailing slash.
 */
struct raw_event {
	const char	*path;
	size_t		 len;
	long long	 t;	/* microseconds; -1: the record had none */
	size_t		 file;	/* the trace file, by number */
	size_t		 seq;	/* its order there */
	char		 kind;	/* r, l, m, w, c: its type's initial */
};

struct trace_raw {
	struct raw_event *events;
	size_t		 nevents;
	long long	 last_t;	/* the file's last time; -1: none */
	struct raw_app	*apps;
	size_t		 napps;
	struct raw_fork	*forks;
	size_t		 nforks;
	struct raw_end	*ends;
	size_t		 nends;
};

void
trace_init(struct trace *t)
{
	memset(t, 0, sizeof *t);
	t->raw = xcalloc(1, sizeof *t->raw);
	t->raw->last_t = -1;
}

static void
list_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
trace_clear(struct trace *t)
{
	struct trace_raw *r = t->raw;
	size_t i;

	list_free(t->reads, t->nreads);
	list_free(t->lists, t->nlists);
	list_free(t->missing, t->nmissing);
	list_free(t->writes, t->nwrites);
	list_free(t->rewrites, t->nrewrites);
	list_free(t->reasons, t->nreasons);
	free(t->apps);
	if (r != NULL) {
		for (i = 0; i < r->napps; i++)
			strv_free(r->apps[i].argv);
		free(r->apps);
		free(r->events);
		free(r->forks);
		free(r->ends);
		free(r);
	}
	memset(t, 0, sizeof *t);
}

/*
 * Room for one more in an array of n grown by doubling from 16: lists
 * hold a hundred thousand paths, and a realloc of one more each time
 * copies them all again with some allocators.
 */
static void *
grow(void *v, size_t n, size_t size)
{
	if (n < 16 || (n & (n - 1)) == 0)
		v = xreallocarray(v, n < 16 ? 16 : 2 * n, size);
	return (v);
}

static void
list_push(char ***v, size_t *n, char *s)
{
	*v = grow(*v, *n, sizeof **v);
	(*v)[(*n)++] = s;
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static void
list_sort(char **v, size_t *n)
{
	size_t i, j;

	if (*n == 0)
		return;
	qsort(v, *n, sizeof *v, cmp_str);
	for (i = 1, j = 1; i < *n; i++) {
		if (strcmp(v[i], v[j - 1]) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*n = j;
}

/* Whether the sorted list v holds s. */
int
trace_has(char *const *v, size_t n, const char *s)
{
	return (n > 0 && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL);
}

/* Marks the trace incomplete; reasons stay sorted and unique. */
void
trace_incomplete(struct trace *t, const char *why)
{
	size_t lo = 0, hi = t->nreasons, mid;
	int c;

	t->incomplete = 1;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(t->reasons[mid], why)) == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	t->reasons = xreallocarray(t->reasons, t->nreasons + 1,
	    sizeof *t->reasons);
	memmove(t->reasons + lo + 1, t->reasons + lo,
	    (t->nreasons - lo) * sizeof *t->reasons);
	t->reasons[lo] = xstrdup(why);
	t->nreasons++;
}

static void
malformed(struct trace *t, const char *where, size_t lineno, const char *what)
{
	char *s;

	xasprintf(&s, "%s:%zu: %s", where, lineno, what);
	trace_incomplete(t, s);
	free(s);
}

static int
get_int(json_t *o, const char *key, long long *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_integer(x))
		return (-1);
	*v = json_integer_value(x);
	return (0);
}

static int
get_num(json_t *o, const char *key, double *v)
{
	json_t *x = json_object_get(o, key);

	if (!json_is_number(x))
		return (-1);
	*v = json_number_value(x);
	return (0);
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* The record's path, from "path" or, for bytes not UTF-8, "path_hex". */
static char *
get_path(json_t *o)
{
	json_t *x;
	const char *h;
	char *p;
	size_t n, i;
	int hi, lo;

	if ((x = json_object_get(o, "path")) != NULL) {
		if (!json_is_string(x) || json_string_length(x) == 0 ||
		    strlen(json_string_value(x)) != json_string_length(x))
			return (NULL);
		return (xstrdup(json_string_value(x)));
	}
	x = json_object_get(o, "path_hex");
	if (!json_is_string(x) || (n = json_string_length(x)) == 0 ||
	    n % 2 != 0)
		return (NULL);
	h = json_string_value(x);
	p = xmalloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++) {
		hi = unhex(h[2 * i]);
		lo = unhex(h[2 * i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(p);
			return (NULL);
		}
		p[i] = hi << 4 | lo;
	}
	p[i] = '\0';
	return (p);
}

static int
add_app(struct trace *t, json_t *o)
{
	struct trace_raw *r = t->raw;
	struct raw_app a;
	json_t *argv, *x, *tr;
	long long pid, ppid;
	size_t i;

	memset(&a, 0, sizeof a);
	argv = json_object_get(o, "argv");
	tr = json_object_get(o, "traced");
	if (get_int(o, "pid", &pid) == -1 || get_int(o, "ppid", &ppid) == -1 ||
	    get_num(o, "start", &a.start) == -1 || !json_is_array(argv) ||
	    (tr != NULL && !json_is_boolean(tr)))
		return (-1);
	json_array_foreach(argv, i, x) {
		if (!json_is_string(x)) {
			strv_free(a.argv);
			return (-1);
		}
		a.argv = strv_push(a.argv, json_string_value(x));
	}
	if (a.argv == NULL)
		a.argv = xcalloc(1, sizeof *a.argv);
	a.pid = pid;
	a.ppid = ppid;
	a.traced = tr == NULL || json_is_true(tr);
	a.seq = r->napps;
	r->apps = xreallocarray(r->apps, r->napps + 1, sizeof *r->apps);
	r->apps[r->napps++] = a;
	return (0);
}

static int
add_fork(struct trace *t, json_t *o)
{
	struct trace_raw *r = t->raw;
	long long pid, ppid;
	double start;

	if (get_int(o, "pid", &pid) == -1 || get_int(o, "ppid", &ppid) == -1 ||
	    get_num(o, "start", &start) == -1)
		return (-1);
	r->forks = xreallocarray(r->forks, r->nforks + 1, sizeof *r->forks);
	r->forks[r->nforks].pid = pid;
	r->forks[r->nforks].ppid = ppid;
	r->forks[r->nforks].start = start;
	r->nforks++;
	return (0);
}

static int
add_end(struct trace *t, json_t *o, int reap)
{
	struct trace_raw *r = t->raw;
	struct raw_end e;
	long long pid, code = -1, sig = 0;

	if (get_int(o, "pid", &pid) == -1 || get_num(o, "end", &e.time) == -1)
		return (-1);
	if (get_int(o, "exit", &code) == -1 &&
	    (!reap || get_int(o, "signal", &sig) == -1))
		return (-1);
	e.pid = pid;
	e.exit_code = code;
	e.signal = sig;
	e.reap = reap;
	r->ends = xreallocarray(r->ends, r->nends + 1, sizeof *r->ends);
	r->ends[r->nends++] = e;
	return (0);
}

/* Whether a record of this type names a path. */
static int
path_kind(const char *type)
{
	return (strcmp(type, "read") == 0 || strcmp(type, "list") == 0 ||
	    strcmp(type, "missing") == 0 || strcmp(type, "write") == 0 ||
	    strcmp(type, "create") == 0);
}

/*
 * Adds path (taken) to the list of its record's type (path_kind), and
 * the record to the events, with its time t (-1: none). A path created
 * is written.
 */
static void
add_path(struct trace *t, const char *type, char *path, long long stamp)
{
	struct trace_raw *r = t->raw;
	struct raw_event *e;
	size_t n;

	r->events = grow(r->events, r->nevents, sizeof *r->events);
	e = &r->events[r->nevents++];
	e->path = path;
	if ((n = strlen(path)) > 1 && path[n - 1] == '/')
		n--;
	e->len = n;
	e->t = stamp;
	e->file = t->nfiles;
	e->seq = r->nevents;
	e->kind = type[0];
	if (type[0] == 'r')
		list_push(&t->reads, &t->nreads, path);
	else if (type[0] == 'l')
		list_push(&t->lists, &t->nlists, path);
	else if (type[0] == 'm')
		list_push(&t->missing, &t->nmissing, path);
	else
		list_push(&t->writes, &t->nwrites, path);
}

/* A number of at most 18 digits; -1 if it is not one. */
static long long
get_stamp(const char *s, size_t n)
{
	long long v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

/*
 * A record's time from its key, t (microseconds) or d (since the file's
 * record before), and its value v (-1: not a number): -1 when unknown.
 */
static long long
record_time(struct trace *t, int key, long long v)
{
	struct trace_raw *r = t->raw;

	if (key == 't' && v >= 0)
		return (r->last_t = v);
	if (key == 'd' && v >= 0 && r->last_t >= 0)
		return (r->last_t += v);
	r->last_t = -1;
	return (-1);
}

/*
 * A path record as the probe writes most of them, {"type":"read",
 * "path":"src/a.c","t":123} with no escapes, read without jansson: 0,
 * or -1 for any other line, which jansson reads. A trace can hold a
 * record for each of a hundred thousand files.
 */
static int
add_plain_path(struct trace *t, const char *line, size_t len)
{
	struct jflat_field f[4];
	const struct jflat_field *type, *path, *ts;
	long long stamp = -1;
	char kind[8], *p;
	size_t nf;

	if (jsonflat_parse(line, len, f, sizeof f / sizeof f[0], &nf) == -1 ||
	    (type = jsonflat_string(f, nf, "type")) == NULL ||
	    type->vlen >= sizeof kind ||
	    (path = jsonflat_string(f, nf, "path")) == NULL || path->vlen == 0)
		return (-1);
	memcpy(kind, type->val, type->vlen);
	kind[type->vlen] = '\0';
	if (!path_kind(kind))
		return (-1);
	if ((ts = jsonflat_get(f, nf, "t")) != NULL)
		stamp = ts->type == JFLAT_NUMBER ?
		    get_stamp(ts->val, ts->vlen) : -1;
	else if ((ts = jsonflat_get(f, nf, "d")) != NULL)
		stamp = ts->type == JFLAT_NUMBER ?
		    get_stamp(ts->val, ts->vlen) : -1;
	p = xmalloc(path->vlen + 1);
	memcpy(p, path->val, path->vlen);
	p[path->vlen] = '\0';
	add_path(t, kind, p, record_time(t, ts != NULL ? ts->key[0] : 0,
	    stamp));
	return (0);
}

/*
 * Adds one record. where and lineno name it in the reason given when it
 * is malformed; a record of a type this reader does not know is skipped,
 * so that newer probes can add some.
 */
void
trace_add_line(struct trace *t, const char *line, size_t len,
    const char *where, size_t lineno)
{
	json_error_t jerr;
	json_t *o, *x;
	const char *type, *reason;
	char *path;
	int bad = 0, key = 0;

	if (add_plain_path(t, line, len) == 0)
		return;
	if ((o = json_loadb(line, len, 0, &jerr)) == NULL ||
	    !json_is_object(o) ||
	    (type = json_string_value(json_object_get(o, "type"))) == NULL) {
		malformed(t, where, lineno, "malformed record");
		json_decref(o);
		return;
	}
	if (path_kind(type)) {
		if ((x = json_object_get(o, "t")) != NULL)
			key = 't';
		else if ((x = json_object_get(o, "d")) != NULL)
			key = 'd';
		if ((path = get_path(o)) == NULL)
			bad = 1;
		else
			add_path(t, type, path, record_time(t, key,
			    json_is_integer(x) ? json_integer_value(x) : -1));
	} else if (strcmp(type, "app") == 0)
		bad = add_app(t, o) == -1;
	else if (strcmp(type, "fork") == 0)
		bad = add_fork(t, o) == -1;
	else if (strcmp(type, "exit") == 0)
		bad = add_end(t, o, 0) == -1;
	else if (strcmp(type, "reap") == 0)
		bad = add_end(t, o, 1) == -1;
	else if (strcmp(type, "incomplete") == 0) {
		reason = json_string_value(json_object_get(o, "reason"));
		trace_incomplete(t, reason != NULL ? reason :
		    "trace incomplete");
	}
	if (bad)
		malformed(t, where, lineno, "malformed record");
	json_decref(o);
}

/*
 * Reads one file. A file is cut at its first NUL byte: the probe's
 * mapped file of a killed process keeps the zeroes it was grown by.
 */
int
trace_add_file(struct trace *t, const char *path, char *err, size_t errlen)
{
	const char *name, *p, *e, *end;
	size_t len, lineno;
	char *buf;

	if ((buf = slurp_file(path, &len)) == NULL) {
		snprintf(err, errlen, "cannot read trace file '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	if ((e = memchr(buf, '\0', len)) != NULL)
		len = e - buf;
	t->raw->last_t = -1;
	name = (name = strrchr(path, '/')) != NULL ? name + 1 : path;
	end = buf + len;
	for (p = buf, lineno = 1; p < end; p = e + 1, lineno++) {
		if ((e = memchr(p, '\n', end - p)) == NULL) {
			malformed(t, name, lineno, "record cut short");
			break;
		}
		if (e > p)
			trace_add_line(t, p, e - p, name, lineno);
	}
	free(buf);
	t->nfiles++;
	return (0);
}

static int
is_trace(const struct dirent *d)
{
	size_t n = strlen(d->d_name), k = sizeof TRACE_SUFFIX - 1;

	return (n > k && strcmp(d->d_name + n - k, TRACE_SUFFIX) == 0);
}

/* Reads every *.trace file of a directory, in name order. */
int
trace_add_dir(struct trace *t, const char *dir, char *err, size_t errlen)
{
	struct dirent **list;
	char *path;
	int n, i, rc = 0;

	if ((n = scandir(dir, &list, is_trace, alphasort)) == -1) {
		snprintf(err, errlen, "cannot read trace directory '%s': %s",
		    dir, strerror(errno));
		return (-1);
	}
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s", dir, list[i]->d_name);
		if (rc == 0 && trace_add_file(t, path, err, errlen) == -1)
			rc = -1;
		free(path);
		free(list[i]);
	}
	free(list);
	return (rc);
}

static int
cmp_app_start(const void *a, const void *b)
{
	const struct trace_app *x = a, *y = b;

	if (x->start != y->start)
		return (x->start < y->start ? -1 : 1);
	return (x->pid < y->pid ? -1 : x->pid > y->pid);
}

static int
cmp_end(const void *a, const void *b)
{
	const struct raw_end *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid < y->pid ? -1 : 1);
	if (x->time != y->time)
		return (x->time < y->time ? -1 : 1);
	return (x->reap - y->reap);
}

/* Index of the first end of pid at or after time, in ends sorted. */
static size_t
first_end(const struct trace_raw *r, pid_t pid, double time)
{
	size_t lo = 0, hi = r->nends, mid;
	const struct raw_end *e;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		e = &r->ends[mid];
		if (e->pid < pid || (e->pid == pid && e->time < time))
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* The apps by pid, then start: an app's images follow one another. */
struct by_pid {
	pid_t	 pid;
	double	 start;
	size_t	 app;		/* index in the trace's apps */
};

static int
cmp_by_pid(const void *a, const void *b)
{
	const struct by_pid *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid < y->pid ? -1 : 1);
	if (x->start != y->start)
		return (x->start < y->start ? -1 : 1);
	return (x->app < y->app ? -1 : x->app > y->app);
}

static int
cmp_fork(const void *a, const void *b)
{
	const struct raw_fork *x = a, *y = b;

	if (x->pid != y->pid)
		return (x->pid < y->pid ? -1 : 1);
	return (x->start < y->start ? -1 : x->start > y->start);
}

/* The app of pid running at time (the last started by then), or -1. */
static long
app_at(const struct by_pid *bp, size_t n, pid_t pid, double time)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (bp[mid].pid < pid ||
		    (bp[mid].pid == pid && bp[mid].start <= time))
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo > 0 && bp[lo - 1].pid == pid ? (long)bp[lo - 1].app : -1);
}

/* The parent of the forked copy pid at time, or -1 when none is known. */
static pid_t
fork_parent(const struct trace_raw *r, pid_t pid, double time)
{
	size_t lo = 0, hi = r->nforks, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (r->forks[mid].pid < pid || (r->forks[mid].pid == pid &&
		    r->forks[mid].start <= time))
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo > 0 && r->forks[lo - 1].pid == pid ?
	    r->forks[lo - 1].ppid : -1);
}

/*
 * How each app ended. The images a pid went through by exec follow one
 * another; an exit record between one's start and the next's ends it,
 * else the next image does (by exec), else its parent's reap record
 * (which is all there is when it was killed).
 */
static void
link_ends(struct trace *t, const struct by_pid *bp)
{
	struct trace_raw *r = t->raw;
	struct trace_app *a, *next;
	const struct raw_end *e, *reap;
	size_t i, k;

	if (r->nends > 0)
		qsort(r->ends, r->nends, sizeof *r->ends, cmp_end);
	for (i = 0; i < t->napps; i++) {
		a = &t->apps[bp[i].app];
		a->end = -1;
		a->exit_code = -1;
		a->signal = 0;
		a->exec = 0;
		next = i + 1 < t->napps && bp[i + 1].pid == a->pid ?
		    &t->apps[bp[i + 1].app] : NULL;
		reap = NULL;
		for (k = first_end(r, a->pid, a->start); k < r->nends; k++) {
			e = &r->ends[k];
			if (e->pid != a->pid ||
			    (next != NULL && e->time > next->start))
				break;
			if (e->reap) {
				if (reap == NULL)
					reap = e;
				continue;
			}
			a->end = e->time;
			a->exit_code = e->exit_code;
			break;
		}
		if (a->end >= 0)
			continue;
		if (next != NULL) {
			a->end = next->start;
			a->exec = 1;
		} else if (reap != NULL) {
			a->end = reap->time;
			a->exit_code = reap->exit_code;
			a->signal = reap->signal;
		}
	}
}

/*
 * Which app started each one: the image of its parent pid running when
 * it started, or, when the parent was a forked copy that ran no program,
 * that copy's own parent, and so on.
 */
static void
link_parents(struct trace *t, const struct by_pid *bp)
{
	struct trace_raw *r = t->raw;
	struct trace_app *a;
	size_t i;
	pid_t ppid;
	long p;
	int depth;

	if (r->nforks > 0)
		qsort(r->forks, r->nforks, sizeof *r->forks, cmp_fork);
	for (i = 0; i < t->napps; i++) {
		a = &t->apps[i];
		a->parent = -1;
		ppid = a->ppid;
		for (depth = 0; depth < PARENT_DEPTH && ppid > 0; depth++) {
			p = app_at(bp, t->napps, ppid, a->start);
			if (p != -1 && (size_t)p != i) {
				a->parent = p;
				break;
			}
			ppid = fork_parent(r, ppid, a->start);
		}
	}
}

static int
cmp_event(const void *a, const void *b)
{
	const struct raw_event *x = a, *y = b;
	int c;

	if ((c = memcmp(x->path, y->path, x->len < y->len ? x->len :
	    y->len)) != 0)
		return (c);
	return (x->len < y->len ? -1 : x->len > y->len);
}

/* Whether path is in the sorted list made, or below one of its paths. */
static int
made_covers(char *const *made, size_t nmade, const char *path)
{
	char *p;
	size_t n;
	int found = 0;

	p = xstrdup(path);
	if ((n = strlen(p)) > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (;;) {
		if (trace_has(made, nmade, p)) {
			found = 1;
			break;
		}
		while (n > 0 && p[n - 1] != '/')
			n--;
		if (n == 0)
			break;
		p[--n] = '\0';
	}
	free(p);
	return (found);
}

/* Drops from the list v what made covers. */
static void
made_drop(char **v, size_t *n, char *const *made, size_t nmade)
{
	size_t i, j;

	for (i = 0, j = 0; i < *n; i++) {
		if (made_covers(made, nmade, v[i]))
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*n = j;
}

/* By path, then by time, then as read: the first record comes first. */
static int
cmp_event_time(const void *a, const void *b)
{
	const struct raw_event *x = a, *y = b;
	int c;

	if ((c = cmp_event(a, b)) != 0)
		return (c);
	if (x->t != y->t)
		return (x->t < y->t ? -1 : 1);
	if (x->file != y->file)
		return (x->file < y->file ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static int
is_absent(int kind)
{
	return (kind == 'm' || kind == 'c');
}

/*
 * Whether the first of a path's n records (sorted by cmp_event_time) is
 * surely first: no record of another process at the same time says
 * otherwise. Within a process, the order of its file decides.
 */
static int
surely_first(const struct raw_event *e, size_t n)
{
	size_t i;

	for (i = 1; i < n && e[i].t == e[0].t; i++)
		if (e[i].file != e[0].file && (e[i].kind != e[0].kind &&
		    (!is_absent(e[i].kind) || !is_absent(e[0].kind))))
			return (0);
	return (1);
}

/*
 * What the test made is no input: a path whose first record, by time
 * over all processes, says it was not there (missing or created), and
 * that the test then wrote, was made by the test; it and all below it
 * leave the lists. What is left of it is one fact, that the top-most
 * such path was absent at the start: a missing path, which selects the
 * test when a leftover is there. A file whose first record is a read,
 * and that the test then wrote (a counter, a stamp), is rewritten: its
 * content before the test is the input, what the test left its output.
 * A path with a record that has no time is taken as found, and not
 * rewritten.
 */
static void
made_paths(struct trace *t)
{
	struct trace_raw *r = t->raw;
	struct raw_event *e;
	char **made = NULL;
	size_t nmade = 0, i, j, k;
	int wrote, untimed, sure;

	if (r->nevents == 0)
		return;
	qsort(r->events, r->nevents, sizeof *r->events, cmp_event_time);
	for (i = 0; i < r->nevents; i = j) {
		wrote = untimed = 0;
		for (j = i; j < r->nevents &&
		    cmp_event(&r->events[j], &r->events[i]) == 0; j++) {
			untimed |= r->events[j].t < 0;
			wrote |= r->events[j].kind == 'w' ||
			    r->events[j].kind == 'c';
		}
		e = &r->events[i];
		sure = !untimed && wrote && surely_first(e, j - i);
		if (sure && is_absent(e->kind))
			list_push(&made, &nmade, xstrndup(e->path, e->len));
		else if (sure && e->kind == 'r')
			list_push(&t->rewrites, &t->nrewrites,
			    xstrndup(e->path, e->len));
	}
	if (nmade == 0)
		return;
	made_drop(t->reads, &t->nreads, made, nmade);
	made_drop(t->lists, &t->nlists, made, nmade);
	made_drop(t->missing, &t->nmissing, made, nmade);
	made_drop(t->writes, &t->nwrites, made, nmade);
	for (k = 0; k < nmade; k++) {
		/* Top-most: its parent is not made too. */
		if (k > 0 && made_covers(made, k, made[k]))
			continue;
		list_push(&t->missing, &t->nmissing, xstrdup(made[k]));
		list_push(&t->writes, &t->nwrites, xstrdup(made[k]));
	}
	list_free(made, nmade);
}

/* Makes the sorted lists and the apps from what was read. */
void
trace_finish(struct trace *t)
{
	struct trace_raw *r = t->raw;
	struct by_pid *bp;
	size_t i;

	/* The events point into the lists: done with before they are sorted. */
	made_paths(t);
	free(r->events);
	r->events = NULL;
	r->nevents = 0;
	list_sort(t->reads, &t->nreads);
	list_sort(t->lists, &t->nlists);
	list_sort(t->missing, &t->nmissing);
	list_sort(t->writes, &t->nwrites);
	list_sort(t->rewrites, &t->nrewrites);
	free(t->apps);
	t->apps = xcalloc(r->napps, sizeof *t->apps);
	t->napps = r->napps;
	for (i = 0; i < r->napps; i++) {
		t->apps[i].pid = r->apps[i].pid;
		t->apps[i].ppid = r->apps[i].ppid;
		t->apps[i].argv = r->apps[i].argv;
		t->apps[i].start = r->apps[i].start;
		t->apps[i].traced = r->apps[i].traced;
	}
	if (t->napps > 0)
		qsort(t->apps, t->napps, sizeof *t->apps, cmp_app_start);
	bp = xcalloc(t->napps, sizeof *bp);
	for (i = 0; i < t->napps; i++) {
		bp[i].pid = t->apps[i].pid;
		bp[i].start = t->apps[i].start;
		bp[i].app = i;
	}
	if (t->napps > 0)
		qsort(bp, t->napps, sizeof *bp, cmp_by_pid);
	link_ends(t, bp);
	link_parents(t, bp);
	free(bp);
}

/*
 * Reads the directory a test's processes wrote to and finishes the
 * trace. A directory with no trace file means no process of the test
 * was traced: nothing says what it read.
 */
int
trace_read_dir(struct trace *t, const char *dir, char *err, size_t errlen)
{
	if (trace_add_dir(t, dir, err, errlen) == -1)
		return (-1);
	if (t->nfiles == 0)
		trace_incomplete(t, "nothing was recorded");
	trace_finish(t);
	return (0);
}

/*
 * The test's own command must have been traced (a statically linked
 * one, run directly by the worker, writes nothing).
 */
void
trace_check_leader(struct trace *t, pid_t pid)
{
	size_t i;

	for (i = 0; i < t->napps; i++)
		if (t->apps[i].pid == pid && t->apps[i].traced)
			return;
	trace_incomplete(t, "the test's command was not traced");
}

static void
list_copy(char ***v, size_t *n, char *const *src, size_t nsrc)
{
	size_t i;

	for (i = 0; i < nsrc; i++)
		list_push(v, n, xstrdup(src[i]));
}

/* Adds what src holds to dst (several runs of one test, say). */
void
trace_merge(struct trace *dst, const struct trace *src)
{
	struct trace_raw *d = dst->raw, *s = src->raw;
	size_t i;

	list_copy(&dst->reads, &dst->nreads, src->reads, src->nreads);
	list_copy(&dst->lists, &dst->nlists, src->lists, src->nlists);
	list_copy(&dst->missing, &dst->nmissing, src->missing,
	    src->nmissing);
	list_copy(&dst->writes, &dst->nwrites, src->writes, src->nwrites);
	list_copy(&dst->rewrites, &dst->nrewrites, src->rewrites,
	    src->nrewrites);
	for (i = 0; i < src->nreasons; i++)
		trace_incomplete(dst, src->reasons[i]);
	dst->incomplete |= src->incomplete;
	dst->nfiles += src->nfiles;
	d->apps = xreallocarray(d->apps, d->napps + s->napps,
	    sizeof *d->apps);
	for (i = 0; i < s->napps; i++) {
		d->apps[d->napps] = s->apps[i];
		d->apps[d->napps].argv = strv_copy(s->apps[i].argv);
		if (d->apps[d->napps].argv == NULL)
			d->apps[d->napps].argv = xcalloc(1, sizeof(char *));
		d->apps[d->napps].seq = d->napps;
		d->napps++;
	}
	d->forks = xreallocarray(d->forks, d->nforks + s->nforks,
	    sizeof *d->forks);
	if (s->nforks > 0)
		memcpy(d->forks + d->nforks, s->forks,
		    s->nforks * sizeof *s->forks);
	d->nforks += s->nforks;
	d->ends = xreallocarray(d->ends, d->nends + s->nends, sizeof *d->ends);
	if (s->nends > 0)
		memcpy(d->ends + d->nends, s->ends, s->nends * sizeof *s->ends);
	d->nends += s->nends;
	trace_finish(dst);
}

/* A JSON string of bytes that may not be UTF-8 (U+FFFD for the rest). */
static json_t *
json_bytes(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	json_t *j;
	char *b;
	size_t i, k, n;

	if ((j = json_string(s)) != NULL)
		return (j);
	n = strlen(s);
	b = xmalloc(3 * n + 1);
	for (i = 0, k = 0; i < n; i++) {
		if (u[i] < 0x80)
			b[k++] = u[i];
		else {
			memcpy(b + k, "\xef\xbf\xbd", 3);
			k += 3;
		}
	}
	b[k] = '\0';
	j = json_string(b);
	free(b);
	return (j);
}

static json_t *
json_list(char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_bytes(v[i]));
	return (a);
}

/*
 * The trace as one object: {"incomplete", "reasons", "reads", "lists",
 * "missing", "writes", "rewrites", "apps"}; unknown ends, exits and
 * parents are null.
 */
json_t *
trace_to_json(const struct trace *t)
{
	const struct trace_app *a;
	json_t *o, *apps, *j;
	size_t i, k;

	apps = json_array();
	for (i = 0; i < t->napps; i++) {
		a = &t->apps[i];
		j = json_pack("{s:I, s:I, s:o, s:f, s:b}", "pid",
		    (json_int_t)a->pid, "ppid", (json_int_t)a->ppid, "argv",
		    json_array(), "start", a->start, "traced", a->traced);
		for (k = 0; a->argv != NULL && a->argv[k] != NULL; k++)
			json_array_append_new(json_object_get(j, "argv"),
			    json_bytes(a->argv[k]));
		json_object_set_new(j, "parent", a->parent >= 0 ?
		    json_integer(a->parent) : json_null());
		json_object_set_new(j, "end", a->end >= 0 ?
		    json_real(a->end) : json_null());
		json_object_set_new(j, "exit", a->exit_code >= 0 ?
		    json_integer(a->exit_code) : json_null());
		json_object_set_new(j, "signal", a->signal > 0 ?
		    json_integer(a->signal) : json_null());
		json_object_set_new(j, "exec", json_boolean(a->exec));
		json_array_append_new(apps, j);
	}
	o = json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "incomplete", t->incomplete,
	    "reasons", json_list(t->reasons, t->nreasons),
	    "reads", json_list(t->reads, t->nreads),
	    "lists", json_list(t->lists, t->nlists),
	    "missing", json_list(t->missing, t->nmissing),
	    "writes", json_list(t->writes, t->nwrites),
	    "rewrites", json_list(t->rewrites, t->nrewrites),
	    "apps", apps);
	return (o);
}
