/*
 * suite.c: collecting tests. A manifest is NDJSON, one test or fixture a
 * line; the whole file is checked (syntax, keys, duplicates, references
 * to fixtures and needs, cycles) before anything is accepted, so a bad
 * manifest runs nothing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "strv.h"
#include "suite.h"
#include "utf8.h"
#include "xmalloc.h"

void
suite_init(struct suite *s)
{
	memset(s, 0, sizeof *s);
}

void
suite_clear(struct suite *s)
{
	size_t i;

	for (i = 0; i < s->ntests; i++)
		testdef_clear(&s->tests[i]);
	free(s->tests);
	for (i = 0; i < s->nfixtures; i++)
		fixturedef_clear(&s->fixtures[i]);
	free(s->fixtures);
	free(s->dir);
	suite_init(s);
}

struct test_def *
suite_find(struct suite *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->ntests; i++)
		if (strcmp(s->tests[i].id, id) == 0)
			return (&s->tests[i]);
	return (NULL);
}

struct fixture_def *
suite_find_fixture(struct suite *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nfixtures; i++)
		if (strcmp(s->fixtures[i].name, name) == 0)
			return (&s->fixtures[i]);
	return (NULL);
}

/* Makes a relative cwd absolute against dir; no cwd becomes dir itself. */
static void
suite_resolve_cwd(struct test_def *t, const char *dir)
{
	char *abs;

	if (t->cwd != NULL && t->cwd[0] == '/')
		return;
	if (t->cwd == NULL || strcmp(t->cwd, ".") == 0)
		abs = xstrdup(dir);
	else
		xasprintf(&abs, "%s/%s", dir, t->cwd);
	free(t->cwd);
	t->cwd = abs;
}

/*
 * Depth-first search for a needs cycle; spells it out in err and sets
 * *first to the test it starts from, whose line the message names.
 */
static int
suite_cycle_visit(struct suite *s, size_t i, char *state, size_t *stack,
    size_t depth, size_t *first, char *err, size_t len)
{
	struct test_def *t = &s->tests[i], *d;
	size_t j, k, off;

	char **edges;
	size_t nneeds = strv_len(t->needs), nedges;

	state[i] = 1;
	stack[depth] = i;
	nedges = nneeds + strv_len(t->after);
	for (j = 0; j < nedges; j++) {
		edges = j < nneeds ? t->needs : t->after;
		d = suite_find(s, edges[j < nneeds ? j : j - nneeds]);
		k = d - s->tests;
		if (state[k] == 1) {
			off = 0;
			for (off = 0; off < depth && stack[off] != k; off++)
				;
			snprintf(err, len, "needs cycle: ");
			for (; off <= depth; off++) {
				strlcat(err, s->tests[stack[off]].id, len);
				strlcat(err, " -> ", len);
			}
			strlcat(err, d->id, len);
			*first = k;
			return (-1);
		}
		if (state[k] == 0 && suite_cycle_visit(s, k, state, stack,
		    depth + 1, first, err, len) == -1)
			return (-1);
	}
	state[i] = 2;
	return (0);
}

/*
 * Checks references between the tests: every need names a test, every
 * fixture is defined, and needs has no cycle. lines[] gives each test's
 * line for messages (NULL for collections without lines).
 */
int
suite_check(struct suite *s, const char *file, const int *lines, char *err,
    size_t len)
{
	struct test_def *t;
	size_t i, j, *stack, first;
	char *state, reason[1024];
	int rc = 0;

	for (i = 0; i < s->ntests; i++) {
		t = &s->tests[i];
		for (j = 0; t->needs != NULL && t->needs[j] != NULL; j++) {
			if (suite_find(s, t->needs[j]) != NULL)
				continue;
			snprintf(err, len, "%s:%d: test '%s' needs '%s', which "
			    "is not defined", file, lines ? lines[i] : 0, t->id,
			    t->needs[j]);
			return (-1);
		}
		for (j = 0; t->after != NULL && t->after[j] != NULL; j++) {
			if (suite_find(s, t->after[j]) != NULL)
				continue;
			snprintf(err, len, "%s:%d: test '%s' runs after '%s', "
			    "which is not defined", file, lines ? lines[i] : 0,
			    t->id, t->after[j]);
			return (-1);
		}
		for (j = 0; t->fixtures != NULL && t->fixtures[j] != NULL;
		    j++) {
			if (suite_find_fixture(s, t->fixtures[j]) != NULL)
				continue;
			snprintf(err, len, "%s:%d: test '%s' uses fixture '%s', "
			    "which is not defined", file, lines ? lines[i] : 0,
			    t->id, t->fixtures[j]);
			return (-1);
		}
	}
	state = xcalloc(s->ntests, 1);
	stack = xcalloc(s->ntests + 1, sizeof *stack);
	for (i = 0; i < s->ntests && rc == 0; i++) {
		if (state[i] != 0)
			continue;
		if (suite_cycle_visit(s, i, state, stack, 0, &first, reason,
		    sizeof reason) == -1) {
			snprintf(err, len, "%s:%d: %s", file,
			    lines ? lines[first] : 0, reason);
			rc = -1;
		}
	}
	free(stack);
	free(state);
	return (rc);
}

void
suite_add_test(struct suite *s, struct test_def *t)
{
	s->tests = xreallocarray(s->tests, s->ntests + 1, sizeof *s->tests);
	s->tests[s->ntests++] = *t;
}

void
suite_add_fixture(struct suite *s, struct fixture_def *f)
{
	s->fixtures = xreallocarray(s->fixtures, s->nfixtures + 1,
	    sizeof *s->fixtures);
	s->fixtures[s->nfixtures++] = *f;
}

int
suite_load_manifest(struct suite *s, const char *file, const char *path,
    char *err, size_t len)
{
	FILE *fp;
	json_t *obj;
	json_error_t jerr;
	struct test_def t, *dup;
	struct fixture_def f;
	char *line = NULL, *dir, *tmp, reason[1024], real[PATH_MAX];
	size_t cap = 0, i;
	ssize_t n;
	int lineno = 0, *lines = NULL, *flines = NULL;

	suite_init(s);
	if (path == NULL)
		path = file;
	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(err, len, "%s: cannot open: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (realpath(file, real) == NULL) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		fclose(fp);
		return (-1);
	}
	tmp = xstrdup(real);
	dir = xstrdup(dirname(tmp));
	free(tmp);
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, len, "%s:%d: NUL byte in line", path,
			    lineno);
			goto fail;
		}
		if (n > SUITE_LINE_MAX) {
			snprintf(err, len, "%s:%d: line longer than %d bytes",
			    path, lineno, SUITE_LINE_MAX);
			goto fail;
		}
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		obj = json_loadb(line, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		    &jerr);
		if (obj == NULL) {
			/* jansson quotes the bytes it stopped at, UTF-8 or not. */
			tmp = utf8_escape(jerr.text);
			snprintf(err, len, "%s:%d: invalid JSON: %s", path,
			    lineno, tmp);
			free(tmp);
			goto fail;
		}
		if (!json_is_object(obj)) {
			json_decref(obj);
			snprintf(err, len, "%s:%d: expected a JSON object", path,
			    lineno);
			goto fail;
		}
		if (json_object_get(obj, "fixture") != NULL &&
		    json_object_get(obj, "id") == NULL) {
			if (fixturedef_from_json(obj, &f, reason,
			    sizeof reason) == -1) {
				json_decref(obj);
				snprintf(err, len, "%s:%d: %s", path, lineno,
				    reason);
				goto fail;
			}
			json_decref(obj);
			for (i = 0; i < s->nfixtures; i++) {
				if (strcmp(s->fixtures[i].name, f.name) != 0)
					continue;
				snprintf(err, len, "%s:%d: duplicate fixture "
				    "'%s' (first on line %d)", path, lineno,
				    f.name, flines[i]);
				fixturedef_clear(&f);
				goto fail;
			}
			flines = xreallocarray(flines, s->nfixtures + 1,
			    sizeof *flines);
			flines[s->nfixtures] = lineno;
			suite_add_fixture(s, &f);
			continue;
		}
		if (testdef_from_json(obj, &t, reason, sizeof reason) == -1) {
			json_decref(obj);
			snprintf(err, len, "%s:%d: %s", path, lineno, reason);
			goto fail;
		}
		json_decref(obj);
		if ((dup = suite_find(s, t.id)) != NULL) {
			snprintf(err, len, "%s:%d: duplicate id '%s' (first on "
			    "line %d)", path, lineno, t.id,
			    lines[dup - s->tests]);
			testdef_clear(&t);
			goto fail;
		}
		suite_resolve_cwd(&t, dir);
		lines = xreallocarray(lines, s->ntests + 1, sizeof *lines);
		lines[s->ntests] = lineno;
		suite_add_test(s, &t);
	}
	if (ferror(fp)) {
		snprintf(err, len, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	if (suite_check(s, path, lines, err, len) == -1)
		goto fail;
	s->dir = dir;
	free(lines);
	free(flines);
	free(line);
	fclose(fp);
	return (0);
fail:
	free(lines);
	free(flines);
	free(line);
	free(dir);
	fclose(fp);
	suite_clear(s);
	return (-1);
}

int
suite_glob(char *const *globs, const char *dir, char ***out, char *err,
    size_t len)
{
	struct stat st;
	glob_t g;
	char *pattern, **v = NULL;
	size_t i, j, skip, found;
	int rc;

	*out = NULL;
	for (i = 0; globs != NULL && globs[i] != NULL; i++) {
		/* Relative globs match below dir; paths stay relative. */
		if (globs[i][0] == '/') {
			pattern = xstrdup(globs[i]);
			skip = 0;
		} else {
			xasprintf(&pattern, "%s/%s", dir, globs[i]);
			skip = strlen(dir) + 1;
		}
		rc = glob(pattern, 0, NULL, &g);
		free(pattern);
		if (rc != 0 && rc != GLOB_NOMATCH) {
			snprintf(err, len, "%s: glob failed", globs[i]);
			goto fail;
		}
		found = 0;
		for (j = 0; rc == 0 && j < g.gl_pathc; j++) {
			if (stat(g.gl_pathv[j], &st) == -1 ||
			    !S_ISREG(st.st_mode))
				continue;
			found++;
			if (!strv_contains(v, g.gl_pathv[j] + skip))
				v = strv_push(v, g.gl_pathv[j] + skip);
		}
		if (rc == 0)
			globfree(&g);
		if (found == 0) {
			snprintf(err, len, "%s: no file matches", globs[i]);
			goto fail;
		}
	}
	*out = v;
	return (0);
fail:
	strv_free(v);
	return (-1);
}

char *
suite_which(const char *name, const char *dir)
{
	struct stat st;
	const char *path;
	char *copy, *p, *d, *file;

	if (*name == '\0')
		return (NULL);
	if (strchr(name, '/') != NULL) {
		if (name[0] == '/' || dir == NULL)
			file = xstrdup(name);
		else {
			while (strncmp(name, "./", 2) == 0)
				name += 2 + strspn(name + 2, "/");
			xasprintf(&file, "%s/%s", dir, name);
		}
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(file, X_OK) == 0)
			return (file);
		free(file);
		return (NULL);
	}
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/bin:/bin";
	copy = p = xstrdup(path);
	while ((d = strsep(&p, ":")) != NULL) {
		xasprintf(&file, "%s/%s", *d == '\0' ? "." : d, name);
		if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(file, X_OK) == 0) {
			free(copy);
			return (file);
		}
		free(file);
	}
	free(copy);
	return (NULL);
}

char **
suite_program(const char *words, const char *dir)
{
	char *copy, *p, *w, *found, **argv = NULL;

	copy = p = xstrdup(words);
	while ((w = strsep(&p, " \t")) != NULL)
		if (*w != '\0')
			argv = strv_push(argv, w);
	free(copy);
	if (argv == NULL || (found = suite_which(argv[0], dir)) == NULL) {
		strv_free(argv);
		return (NULL);
	}
	if (strchr(argv[0], '/') != NULL) {
		free(argv[0]);
		argv[0] = found;
	} else
		free(found);
	return (argv);
}

/*
 * Each executable regular file matching a glob is a test whose id is the
 * path as matched and whose command is the file itself, run from the
 * current directory (automake's TESTS convention).
 */
int
suite_load_exec(struct suite *s, char *const *globs, const char *dir,
    char *err, size_t len)
{
	struct test_def t;
	char cwd[PATH_MAX], *abs, **paths, reason[256];
	size_t i;

	suite_init(s);
	if (dir != NULL)
		strlcpy(cwd, dir, sizeof cwd);
	else if (getcwd(cwd, sizeof cwd) == NULL) {
		snprintf(err, len, "getcwd: %s", strerror(errno));
		return (-1);
	}
	if (suite_glob(globs, cwd, &paths, err, len) == -1)
		return (-1);
	for (i = 0; paths != NULL && paths[i] != NULL; i++) {
		/* The path is the id: a name no id may have is refused. */
		if (testdef_check_id(paths[i], reason, sizeof reason) == -1) {
			abs = utf8_escape(paths[i]);
			snprintf(err, len, "cannot use '%s' as a test id: %s",
			    abs, reason);
			free(abs);
			strv_free(paths);
			suite_clear(s);
			return (-1);
		}
		if (paths[i][0] == '/')
			abs = xstrdup(paths[i]);
		else
			xasprintf(&abs, "%s/%s", cwd, paths[i]);
		if (access(abs, X_OK) == -1) {
			free(abs);
			continue;
		}
		free(abs);
		testdef_init(&t);
		t.id = xstrdup(paths[i]);
		if (paths[i][0] == '/' || strncmp(paths[i], "./", 2) == 0)
			t.argv = strv_push(NULL, paths[i]);
		else {
			xasprintf(&abs, "./%s", paths[i]);
			t.argv = strv_push(NULL, abs);
			free(abs);
		}
		t.cwd = xstrdup(cwd);
		suite_add_test(s, &t);
	}
	strv_free(paths);
	if (s->ntests == 0) {
		snprintf(err, len, "no executable file matches");
		suite_clear(s);
		return (-1);
	}
	s->dir = xstrdup(cwd);
	return (0);
}
