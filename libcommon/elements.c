/*
 * elements.c: the table of code elements as they are now (elements.h),
 * the reader of a fingerprinter's NDJSON, and the run of one: one
 * process for every file asked about, whose failure leaves each of them
 * unknown (when unsure, select).
 */
#include <sys/tree.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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
 * Runs "python script --root root FILE..." once for files (relative to
 * root) and reads what it prints into t. When the interpreter cannot be
 * run, or the script fails or prints what cannot be read, every file
 * asked about is unknown, with why; returns -1 then, else 0.
 */
int
elements_run(struct elements_now *t, const char *python, const char *script,
    const char *root, char *const *files)
{
	posix_spawn_file_actions_t fa;
	char **argv = NULL, *out = NULL, *errs = NULL, *why = NULL, *first;
	char err[256];
	int pfd[2] = { -1, -1 }, efd = -1, status, rc = -1, e;
	pid_t pid;
	size_t i;

	if (files == NULL || files[0] == NULL)
		return (0);
	argv = strv_push(argv, python);
	argv = strv_push(argv, script);
	argv = strv_push(argv, "--root");
	argv = strv_push(argv, root);
	for (i = 0; files[i] != NULL; i++)
		argv = strv_push(argv, files[i]);
	if ((efd = err_file()) == -1 || pipe2(pfd, O_CLOEXEC) == -1) {
		xasprintf(&why, "cannot run '%s': %s", python,
		    strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	e = posix_spawnp(&pid, python, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	pfd[1] = -1;
	if (e != 0) {
		xasprintf(&why, "cannot run '%s': %s", python, strerror(e));
		goto done;
	}
	out = slurp_fd(pfd[0], 0, NULL);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	lseek(efd, 0, SEEK_SET);
	errs = slurp_fd(efd, 0, NULL);
	first = first_line(errs);
	if (status == -1 || WIFSIGNALED(status))
		xasprintf(&why, "'%s' was killed%s%s", script,
		    *first != '\0' ? ": " : "", first);
	else if (WEXITSTATUS(status) == 127 && *first != '\0')
		xasprintf(&why, "cannot run '%s': %s", python, first);
	else if (WEXITSTATUS(status) != 0)
		xasprintf(&why, "'%s' exited with status %d%s%s", script,
		    WEXITSTATUS(status), *first != '\0' ? ": " : "", first);
	else if (out == NULL)
		xasprintf(&why, "cannot read the output of '%s'", script);
	else if (elements_parse(t, out, files, err, sizeof err) == -1)
		xasprintf(&why, "cannot read the output of '%s': %s", script,
		    err);
	else
		rc = 0;
	free(first);
done:
	if (why != NULL)
		all_unknown(t, files, why);
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	if (efd != -1)
		close(efd);
	free(why);
	free(out);
	free(errs);
	strv_free(argv);
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
