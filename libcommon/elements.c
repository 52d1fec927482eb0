/*
 * elements.c: the table of code elements as they are now (elements.h),
 * the reader of a fingerprinter's NDJSON, and the run of one: one
 * process for every file asked about, whose failure leaves each of them
 * unknown (when unsure, select). The process is started before the
 * files are known (elements_start), so that the interpreter's start
 * overlaps the caller's reading of its baselines, and told them later
 * (elements_finish).
 */
#include <sys/socket.h>
#include <sys/tree.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elements.h"
#include "slurp.h"
#include "strv.h"
#include "xmalloc.h"

#ifndef DAGZ_HOOKS_DIR
#define DAGZ_HOOKS_DIR	PKGDATADIR
#endif

/* At most this much of a failed fingerprinter's stderr is told. */
#define ELEMENTS_WHY_MAX	200

extern char **environ;

struct efile {
	RB_ENTRY(efile)		 entry;
	char			*name;
	enum elements_state	 state;
	char			*why;		/* ELEMENTS_UNKNOWN */
	char		       **elems;		/* its elements' names */
	size_t			 nelems;
};

struct elem {
	RB_ENTRY(elem)		 entry;
	char			*name;
	uint64_t		 fp;
};

RB_HEAD(elements_files, efile);
RB_HEAD(elements_elems, elem);

struct elements_now {
	struct elements_files	 files;
	struct elements_elems	 elems;
	size_t			 nelems;
};

static int
efile_cmp(const struct efile *a, const struct efile *b)
{
	return (strcmp(a->name, b->name));
}

static int
elem_cmp(const struct elem *a, const struct elem *b)
{
	return (strcmp(a->name, b->name));
}

RB_PROTOTYPE(elements_files, efile, entry, efile_cmp);
RB_PROTOTYPE(elements_elems, elem, entry, elem_cmp);
RB_GENERATE(elements_files, efile, entry, efile_cmp);
RB_GENERATE(elements_elems, elem, entry, elem_cmp);

struct elements_now *
elements_new(void)
{
	struct elements_now *t = xcalloc(1, sizeof *t);

	RB_INIT(&t->files);
	RB_INIT(&t->elems);
	return (t);
}

void
elements_free(struct elements_now *t)
{
	struct efile *f, *fn;
	struct elem *e, *en;

	if (t == NULL)
		return;
	RB_FOREACH_SAFE(f, elements_files, &t->files, fn) {
		RB_REMOVE(elements_files, &t->files, f);
		free(f->name);
		free(f->why);
		strv_free(f->elems);
		free(f);
	}
	RB_FOREACH_SAFE(e, elements_elems, &t->elems, en) {
		RB_REMOVE(elements_elems, &t->elems, e);
		free(e->name);
		free(e);
	}
	free(t);
}

static struct efile *
file_find(const struct elements_now *t, const char *name)
{
	struct efile key;

	key.name = (char *)name;
	return (RB_FIND(elements_files, (struct elements_files *)&t->files, &key));
}

/* The entry of file name, made if there was none. */
static struct efile *
file_get(struct elements_now *t, const char *name)
{
	struct efile *f;

	if ((f = file_find(t, name)) != NULL)
		return (f);
	f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->state = ELEMENTS_UNASKED;
	RB_INSERT(elements_files, &t->files, f);
	return (f);
}

/* Element name of file, of fingerprint fp; the file becomes known. */
void
elements_add(struct elements_now *t, const char *file, const char *name,
    uint64_t fp)
{
	struct efile *f = file_get(t, file);
	struct elem key, *e;

	if (f->state != ELEMENTS_KNOWN) {
		free(f->why);
		f->why = NULL;
		f->state = ELEMENTS_KNOWN;
	}
	key.name = (char *)name;
	if ((e = RB_FIND(elements_elems, &t->elems, &key)) != NULL) {
		e->fp = fp;
		return;
	}
	e = xcalloc(1, sizeof *e);
	e->name = xstrdup(name);
	e->fp = fp;
	RB_INSERT(elements_elems, &t->elems, e);
	t->nelems++;
	f->elems = strv_push(f->elems, name);
	f->nelems++;
}

void
elements_missing(struct elements_now *t, const char *file)
{
	struct efile *f = file_get(t, file);

	free(f->why);
	f->why = NULL;
	f->state = ELEMENTS_MISSING;
}

/* File could not be fingerprinted; why says so, for the reasons. */
void
elements_unknown(struct elements_now *t, const char *file, const char *why)
{
	struct efile *f = file_get(t, file);

	free(f->why);
	f->why = xstrdup(why);
	f->state = ELEMENTS_UNKNOWN;
}

/* What is known of file; *why is set for ELEMENTS_UNKNOWN. */
enum elements_state
elements_file(const struct elements_now *t, const char *file,
    const char **why)
{
	const struct efile *f;

	if (why != NULL)
		*why = NULL;
	if (t == NULL || (f = file_find(t, file)) == NULL)
		return (ELEMENTS_UNASKED);
	if (why != NULL)
		*why = f->why;
	return (f->state);
}

/* The fingerprint of element name now: 1 and *fp, or 0 if it has none. */
int
elements_fp(const struct elements_now *t, const char *name, uint64_t *fp)
{
	struct elem key, *e;

	if (t == NULL)
		return (0);
	key.name = (char *)name;
	if ((e = RB_FIND(elements_elems, (struct elements_elems *)&t->elems,
	    &key)) == NULL)
		return (0);
	*fp = e->fp;
	return (1);
}

/* The elements of file one by one, from *iter = 0; NULL after the last. */
const char *
elements_next(const struct elements_now *t, const char *file, size_t *iter)
{
	const struct efile *f;

	if (t == NULL || (f = file_find(t, file)) == NULL ||
	    *iter >= f->nelems)
		return (NULL);
	return (f->elems[(*iter)++]);
}

size_t
elements_count(const struct elements_now *t)
{
	return (t != NULL ? t->nelems : 0);
}

/* 16 lower-case hex digits, as the contract spells a fingerprint. */
static int
parse_fp(const char *s, uint64_t *fp)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = v << 4 | (uint64_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = v << 4 | (uint64_t)(s[i] - 'a' + 10);
		else
			return (-1);
	}
	if (s[16] != '\0')
		return (-1);
	*fp = v;
	return (0);
}

/* One line of a fingerprinter's output; NULL, or what is wrong with it. */
static const char *
parse_line(struct elements_now *t, const char *line)
{
	json_t *o, *v;
	const char *file, *name, *why = NULL;
	size_t flen;
	uint64_t fp;

	if ((o = json_loads(line, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return ("not JSON");
	if (!json_is_object(o))
		why = "not an object";
	else if ((file = json_string_value(json_object_get(o, "file"))) ==
	    NULL || *file == '\0')
		why = "\"file\" must be a non-empty string";
	else if ((v = json_object_get(o, "missing")) != NULL) {
		if (!json_is_true(v))
			why = "\"missing\" must be true";
		else
			elements_missing(t, file);
	} else if ((v = json_object_get(o, "error")) != NULL) {
		if (!json_is_string(v))
			why = "\"error\" must be a string";
		else
			elements_unknown(t, file, json_string_value(v));
	} else if ((name = json_string_value(json_object_get(o,
	    "element"))) == NULL)
		why = "\"element\" must be a string";
	else if (strncmp(name, file, flen = strlen(file)) != 0 ||
	    name[flen] != '#' || name[flen + 1] == '\0')
		why = "\"element\" must be FILE#NAME of its file";
	else if ((v = json_object_get(o, "fp")) == NULL ||
	    !json_is_string(v) || parse_fp(json_string_value(v), &fp) == -1)
		why = "\"fp\" must be 16 lower-case hex digits";
	else
		elements_add(t, file, name, fp);
	json_decref(o);
	return (why);
}

/*
 * Reads a fingerprinter's NDJSON (text, NUL-terminated) into t. A file
 * of files that it does not mention is unknown. -1 and err ("line N:
 * why") on the first bad line: what came before it is kept.
 */
int
elements_parse(struct elements_now *t, const char *text, char *const *files,
    char *err, size_t errlen)
{
	const char *p, *nl, *why;
	char *line;
	size_t n;

	for (p = text, n = 1; *p != '\0'; p = nl + 1, n++) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		line = xstrndup(p, (size_t)(nl - p));
		why = *line == '\0' ? NULL : parse_line(t, line);
		free(line);
		if (why != NULL) {
			snprintf(err, errlen, "line %zu: %s", n, why);
			return (-1);
		}
		if (*nl == '\0')
			break;
	}
	for (n = 0; files != NULL && files[n] != NULL; n++)
		if (elements_file(t, files[n], NULL) == ELEMENTS_UNASKED)
			elements_unknown(t, files[n],
			    "not in the fingerprinter's output");
	return (0);
}

/* Marks every file of files unknown, for why. */
static void
all_unknown(struct elements_now *t, char *const *files, const char *why)
{
	size_t i;

	for (i = 0; files != NULL && files[i] != NULL; i++)
		elements_unknown(t, files[i], why);
}

/* The first line of s, at most ELEMENTS_WHY_MAX bytes, or "". */
static char *
first_line(const char *s)
{
	size_t n = s != NULL ? strcspn(s, "\n") : 0;

	return (xstrndup(s != NULL ? s : "", n < ELEMENTS_WHY_MAX ? n :
	    ELEMENTS_WHY_MAX));
}

/* A file for the child's stderr, already unlinked; -1 on failure. */
static int
err_file(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	xasprintf(&path, "%s/dagz-elements.XXXXXX", dir != NULL &&
	    *dir != '\0' ? dir : "/tmp");
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		unlink(path);
	free(path);
	return (fd);
}

/*
 * Why a fingerprinter that ended with status failed (its stderr errs),
 * or NULL if it did not.
 */
static char *
exit_why(int status, const char *python, const char *script,
    const char *errs)
{
	char *first = first_line(errs), *why = NULL;

	if (status == -1 || WIFSIGNALED(status))
		xasprintf(&why, "'%s' was killed%s%s", script,
		    *first != '\0' ? ": " : "", first);
	else if (WEXITSTATUS(status) == 127 && *first != '\0')
		xasprintf(&why, "cannot run '%s': %s", python, first);
	else if (WEXITSTATUS(status) != 0)
		xasprintf(&why, "'%s' exited with status %d%s%s", script,
		    WEXITSTATUS(status), *first != '\0' ? ": " : "", first);
	free(first);
	return (why);
}

/*
 * A fingerprinter started ahead: "python script --root root --stdin",
 * told its files on a socket (a pipe's writer would be killed by
 * SIGPIPE if it died), its output read once they are told. Failing to
 * start is kept as why, and told when it is finished.
 */
struct elements_proc {
	char	*python;
	char	*script;
	pid_t	 pid;		/* -1: not running */
	int	 in;		/* its stdin, ours to write */
	int	 out;		/* its stdout */
	int	 errfd;		/* its stderr, a file */
	char	*why;		/* it could not be started: why */
};

/*
 * Starts the fingerprinter python script for files under root; they are
 * told to it by elements_finish, which must follow (it reaps it).
 * Never NULL: a start that failed is reported by elements_finish.
 */
struct elements_proc *
elements_start(const char *python, const char *script, const char *root)
{
	posix_spawn_file_actions_t fa;
	struct elements_proc *p = xcalloc(1, sizeof *p);
	char **argv = NULL;
	int sv[2] = { -1, -1 }, ofd[2] = { -1, -1 }, e;

	p->python = xstrdup(python);
	p->script = xstrdup(script);
	p->pid = -1;
	p->in = p->out = -1;
	argv = strv_push(argv, python);
	argv = strv_push(argv, script);
	argv = strv_push(argv, "--root");
	argv = strv_push(argv, root);
	argv = strv_push(argv, "--stdin");
	if ((p->errfd = err_file()) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(ofd, O_CLOEXEC) == -1) {
		xasprintf(&p->why, "cannot run '%s': %s", python,
		    strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p->errfd, 2);
	e = posix_spawnp(&p->pid, python, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		p->pid = -1;
		xasprintf(&p->why, "cannot run '%s': %s", python, strerror(e));
		goto done;
	}
	p->in = sv[0];
	p->out = ofd[0];
	sv[0] = ofd[0] = -1;
done:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	if (ofd[0] != -1)
		close(ofd[0]);
	if (ofd[1] != -1)
		close(ofd[1]);
	strv_free(argv);
	return (p);
}

/* Writes all of buf to fd, a socket; -1 if the peer is gone. */
static int
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Tells p's fingerprinter files (relative to its root), reads what it
 * prints into t, reaps it and frees p. With no files it is ended
 * unasked. When it could not be started, or fails or prints what
 * cannot be read, every file asked about is unknown, with why; returns
 * -1 then, else 0.
 */
int
elements_finish(struct elements_proc *p, struct elements_now *t,
    char *const *files)
{
	char *out = NULL, *errs = NULL, *why = NULL, *buf = NULL;
	char err[256];
	size_t i, len = 0;
	int status = -1, rc = -1, terr = 0;

	if (p == NULL)
		return (files == NULL || files[0] == NULL ? 0 : -1);
	if (p->pid == -1) {
		if (files != NULL && files[0] != NULL)
			why = xstrdup(p->why);
		else
			rc = 0;
		goto done;
	}
	/* Nothing to ask: not worth waiting for its imports to end. */
	if (files == NULL || files[0] == NULL)
		kill(p->pid, SIGKILL);
	for (i = 0; files != NULL && files[i] != NULL; i++) {
		buf = xreallocarray(buf, len + strlen(files[i]) + 2, 1);
		len += (size_t)sprintf(buf + len, "%s\n", files[i]);
	}
	if (len > 0 && send_all(p->in, buf, len) == -1)
		terr = errno;
	close(p->in);
	p->in = -1;
	out = slurp_fd(p->out, 0, NULL);
	while (waitpid(p->pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	p->pid = -1;
	if (files == NULL || files[0] == NULL) {
		rc = 0;
		goto done;
	}
	lseek(p->errfd, 0, SEEK_SET);
	errs = slurp_fd(p->errfd, 0, NULL);
	if ((why = exit_why(status, p->python, p->script, errs)) != NULL)
		;
	else if (terr != 0)
		xasprintf(&why, "cannot tell '%s' its files: %s", p->script,
		    strerror(terr));
	else if (out == NULL)
		xasprintf(&why, "cannot read the output of '%s'", p->script);
	else if (elements_parse(t, out, files, err, sizeof err) == -1)
		xasprintf(&why, "cannot read the output of '%s': %s",
		    p->script, err);
	else
		rc = 0;
done:
	if (why != NULL)
		all_unknown(t, files, why);
	if (p->in != -1)
		close(p->in);
	if (p->out != -1)
		close(p->out);
	if (p->errfd != -1)
		close(p->errfd);
	free(p->python);
	free(p->script);
	free(p->why);
	free(p);
	free(buf);
	free(why);
	free(out);
	free(errs);
	return (rc);
}

/*
 * The path of a language's hook file, as "LANG/FILE" under
 * $DAGZ_HOOKS_DIR (a source tree's hooks/, the tests), else under the
 * directory dagz installed its hooks in.
 */
char *
elements_hook(const char *lang, const char *file)
{
	const char *dir = getenv("DAGZ_HOOKS_DIR");
	char *path;

	xasprintf(&path, "%s/%s/%s", dir != NULL && *dir != '\0' ? dir :
	    DAGZ_HOOKS_DIR, lang, file);
	return (path);
}
