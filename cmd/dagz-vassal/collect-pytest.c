/*
 * collect-pytest.c: --pytest [-- ARGS], each test file pytest collects a
 * dagz test whose id is the file as pytest names it. The file runs as
 * one pytest process that writes JUnit XML to $DAGZ_JUNIT, so its test
 * functions come back as cases. A file pytest cannot collect (an
 * ImportError) is a test too, which fails when it runs, showing why.
 * Collection runs from the adapter's directory with the user's
 * arguments, so the project's own pytest configuration holds. With
 * coverage: python each run loads the hook's plugin (dagz_pytest), which
 * records the code elements each case ran, and can run a subset of its
 * cases: their node ids, listed in $DAGZ_CASES.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "elements.h"
#include "strv.h"
#include "xmalloc.h"

/*
 * Options of pytest (and of common plugins) whose value is the next
 * argument: that value is not a path to collect.
 */
static const char *const pytest_value_opts[] = {
	"-c", "-k", "-m", "-n", "-o", "-p", "-r", "-W", "--basetemp",
	"--capture", "--color", "--confcutdir", "--deselect", "--dist",
	"--durations", "--ignore", "--ignore-glob", "--import-mode",
	"--junitxml", "--junit-xml", "--log-file", "--log-level",
	"--maxfail", "--override-ini", "--rootdir", "--tb", "--timeout",
	NULL
};

/* The user's arguments, split: options for every run, and paths. */
struct pytest_args {
	char	**opts;		/* options and their values */
	char	**nodeids;	/* FILE::NAME given to narrow a file */
};

/*
 * Why pytest failed: its first "ERROR:" line, else the last line it
 * wrote to stderr, else to stdout. Cuts the texts into lines.
 */
static const char *
pytest_reason(char *errout, char *out)
{
	char *text[2] = { errout, out }, *line, *nl, *last = NULL;
	int i;

	for (i = 0; i < 2 && last == NULL; i++) {
		for (line = text[i]; line != NULL && *line != '\0';
		    line = nl) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl++ = '\0';
			if (strncmp(line, "ERROR:", 6) == 0)
				return (line);
			if (line[strspn(line, " \t\r")] != '\0')
				last = line;
		}
	}
	return (last != NULL ? last : "no reason given");
}

/* Whether python can import pytest, run from dir. */
static int
pytest_importable(const char *python, const char *dir)
{
	char *argv[] = { (char *)python, "-c", "import pytest", NULL };
	char *out, *errout;
	int rc;

	rc = collect_run(argv, dir, &out, &errout);
	free(out);
	free(errout);
	return (rc == 0);
}

/*
 * The interpreter: the one given, else the first python3 on PATH that
 * can import pytest (a pyenv or venv python3 often cannot).
 */
static char *
pytest_python(const struct adapter_spec *a, char *err, size_t len)
{
	const char *path;
	char *copy, *p, *dir, *py, *tried = NULL, *t;

	if (a->python != NULL)
		return (xstrdup(a->python));
	if ((path = getenv("PATH")) == NULL)
		path = "/usr/bin:/bin";
	copy = p = xstrdup(path);
	while ((dir = strsep(&p, ":")) != NULL) {
		xasprintf(&py, "%s/python3", *dir == '\0' ? "." : dir);
		if (access(py, X_OK) == -1) {
			free(py);
			continue;
		}
		if (pytest_importable(py, a->dir)) {
			free(tried);
			free(copy);
			return (py);
		}
		if (tried == NULL)
			tried = xstrdup(py);
		else {
			xasprintf(&t, "%s, %s", tried, py);
			free(tried);
			tried = t;
		}
		free(py);
	}
	free(copy);
	if (tried == NULL)
		snprintf(err, len, "%s: no python3 on PATH: give the "
		    "interpreter with --python", a->source);
	else
		snprintf(err, len, "%s: no python3 on PATH can import pytest "
		    "(tried %s): give one that can with --python", a->source,
		    tried);
	free(tried);
	return (NULL);
}

static int
pytest_takes_value(const char *opt)
{
	size_t i;

	for (i = 0; pytest_value_opts[i] != NULL; i++)
		if (strcmp(pytest_value_opts[i], opt) == 0)
			return (1);
	return (0);
}

/*
 * Splits the user's arguments: options (with their values) go to every
 * file's run; paths only narrow the collection, except node ids, which
 * narrow the run of their file.
 */
static void
pytest_split_args(char *const *args, struct pytest_args *pa)
{
	size_t i;

	memset(pa, 0, sizeof *pa);
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (args[i][0] == '-') {
			pa->opts = strv_push(pa->opts, args[i]);
			if (pytest_takes_value(args[i]) && args[i + 1] != NULL)
				pa->opts = strv_push(pa->opts, args[++i]);
		} else if (strstr(args[i], "::") != NULL)
			pa->nodeids = strv_push(pa->nodeids, args[i]);
	}
}

/*
 * Where the file (or directory, for an error collecting a package)
 * pytest names as rel is, for a test run from dir:
 * rel itself when it is there, else below the nearest ancestor of dir
 * (pytest names files from its rootdir), as an absolute path. NULL:
 * nowhere.
 */
static char *
pytest_locate(const char *dir, const char *rel)
{
	struct stat st;
	char *path, *up, *slash;

	xasprintf(&path, "%s/%s", dir, rel);
	if (stat(path, &st) == 0) {
		free(path);
		return (xstrdup(rel));
	}
	free(path);
	up = xstrdup(dir);
	while ((slash = strrchr(up, '/')) != NULL) {
		*slash = '\0';
		xasprintf(&path, "%s/%s", *up == '\0' ? "" : up, rel);
		if (stat(path, &st) == 0) {
			free(up);
			return (path);
		}
		free(path);
	}
	free(up);
	return (NULL);
}

/* Whether the file of node id n (FILE::NAME, from dir) is path. */
static int
pytest_nodeid_of(const char *dir, const char *n, const char *path)
{
	char *file, *a, *b, ra[PATH_MAX], rb[PATH_MAX];
	int same;

	file = xstrdup(n);
	*strstr(file, "::") = '\0';
	if (file[0] == '/')
		a = xstrdup(file);
	else
		xasprintf(&a, "%s/%s", dir, file);
	if (path[0] == '/')
		b = xstrdup(path);
	else
		xasprintf(&b, "%s/%s", dir, path);
	same = realpath(a, ra) != NULL && realpath(b, rb) != NULL &&
	    strcmp(ra, rb) == 0;
	free(a);
	free(b);
	free(file);
	return (same);
}

/* cmd and one more word, quoted; cmd is freed. */
static char *
pytest_word(char *cmd, const char *word)
{
	char *q, *next;

	q = collect_sh_quote(word);
	xasprintf(&next, "%s %s", cmd, q);
	free(q);
	free(cmd);
	return (next);
}

/*
 * The shell text that runs one file (or its node ids) under pytest.
 * With coverage: python, the hook's directory leads PYTHONPATH and its
 * plugin is loaded; the words to run are then "$@", the file (or node
 * ids) unless the worker gave $DAGZ_CASES, the node ids of a subset,
 * one a line.
 */
static char *
pytest_command(const struct adapter_spec *a, const char *python,
    const char *path, const struct pytest_args *pa)
{
	char *cmd, *q, *p, *next, *hooks;
	size_t i;
	int narrowed = 0, cov = a->coverage != NULL;

	if (cov) {
		hooks = elements_hook("python", "");
		hooks[strlen(hooks) - 1] = '\0';
		q = collect_sh_quote(hooks);
		free(hooks);
		xasprintf(&cmd, "PYTHONPATH=%s${PYTHONPATH:+:$PYTHONPATH}; "
		    "export PYTHONPATH; set --", q);
		free(q);
	} else {
		q = collect_sh_quote(python);
		xasprintf(&cmd, "exec %s -m pytest -p no:cacheprovider", q);
		free(q);
	}
	for (i = 0; pa->nodeids != NULL && pa->nodeids[i] != NULL; i++) {
		if (!pytest_nodeid_of(a->dir, pa->nodeids[i], path))
			continue;
		cmd = pytest_word(cmd, pa->nodeids[i]);
		narrowed = 1;
	}
	if (!narrowed)
		cmd = pytest_word(cmd, path);
	if (cov) {
		/*
		 * A node id names its file from pytest's rootdir, which
		 * need not be the directory pytest runs in: each is given
		 * as the file this run names (path), then what follows its
		 * first "::".
		 */
		q = collect_sh_quote(python);
		p = collect_sh_quote(path);
		xasprintf(&next, "%s; if [ -n \"${DAGZ_CASES:-}\" ]; then "
		    "set --; while IFS= read -r c; do set -- \"$@\" "
		    "%s\"::${c#*::}\"; done < \"$DAGZ_CASES\"; fi; "
		    "exec %s -m pytest -p no:cacheprovider -p dagz_pytest "
		    "\"$@\"", cmd, p, q);
		free(p);
		free(q);
		free(cmd);
		cmd = next;
	}
	/* The worker names a file per attempt; none: no JUnit report. */
	xasprintf(&next, "%s ${DAGZ_JUNIT:+\"--junitxml=$DAGZ_JUNIT\"}", cmd);
	free(cmd);
	cmd = next;
	for (i = 0; pa->opts != NULL && pa->opts[i] != NULL; i++)
		cmd = pytest_word(cmd, pa->opts[i]);
	return (cmd);
}

/* Adds the test for the file pytest names rel, once. */
static int
pytest_add(const struct adapter_spec *a, struct suite *s, const char *python,
    const struct pytest_args *pa, const char *rel, char *err, size_t len)
{
	struct test_def t;
	char *path;

	if (suite_find(s, rel) != NULL)
		return (0);
	if (strlen(rel) > TESTDEF_ID_MAX) {
		snprintf(err, len, "%s: pytest names a file longer than %d "
		    "characters: '%.64s...'", a->source, TESTDEF_ID_MAX, rel);
		return (-1);
	}
	if ((path = pytest_locate(a->dir, rel)) == NULL) {
		snprintf(err, len, "%s: pytest collects '%s', which is not "
		    "found from '%s'", a->source, rel, a->dir);
		return (-1);
	}
	testdef_init(&t);
	t.id = xstrdup(rel);
	t.sh = pytest_command(a, python, path, pa);
	if (a->coverage != NULL) {
		t.coverage = xstrdup(a->coverage);
		t.subset = 1;
	}
	t.cwd = xstrdup(a->dir);
	/* pytest: 4 when the file is not found, 5 when nothing is left. */
	t.transient_code = 4;
	t.transient_file = path;
	t.skip_code = 5;
	t.skip_reason = xstrdup("no tests collected");
	suite_add_test(s, &t);
	return (0);
}

/*
 * Reads pytest's --collect-only -qq report: a line a file ("FILE: N",
 * or "FILE::NAME" when the project's options make pytest more verbose)
 * up to the first blank line, then "ERROR FILE" for each file pytest
 * could not collect.
 */
static int
pytest_parse(const struct adapter_spec *a, struct suite *s,
    const char *python, const struct pytest_args *pa, char *out,
    char *err, size_t len)
{
	char *line, *nl, *end, *sep;
	int listing = 1;

	for (line = out; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' '))
			*--end = '\0';
		if (*line == '\0' || *line == '=') {
			listing = 0;
			continue;
		}
		if (strncmp(line, "ERROR ", 6) == 0) {
			line += 6;
			if ((sep = strstr(line, " - ")) != NULL)
				*sep = '\0';
			if ((sep = strstr(line, "::")) != NULL)
				*sep = '\0';
		} else if (!listing)
			continue;
		else if ((sep = strstr(line, "::")) != NULL)
			*sep = '\0';
		else if ((sep = strrchr(line, ':')) != NULL && sep[1] == ' ' &&
		    sep[2] != '\0' && strspn(sep + 2, "0123456789") ==
		    strlen(sep + 2))
			*sep = '\0';
		else
			continue;
		if (*line != '\0' && pytest_add(a, s, python, pa, line, err,
		    len) == -1)
			return (-1);
	}
	return (0);
}

int
collect_pytest(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	struct pytest_args pa;
	char **argv = NULL, *python, *out = NULL, *errout = NULL;
	size_t i;
	int rc, ret = -1;

	suite_init(s);
	memset(&pa, 0, sizeof pa);
	if ((python = pytest_python(a, err, len)) == NULL)
		return (-1);
	argv = strv_push(argv, python);
	argv = strv_push(argv, "-m");
	argv = strv_push(argv, "pytest");
	argv = strv_push(argv, "--collect-only");
	argv = strv_push(argv, "-qq");
	argv = strv_push(argv, "-p");
	argv = strv_push(argv, "no:cacheprovider");
	for (i = 0; a->args != NULL && a->args[i] != NULL; i++)
		argv = strv_push(argv, a->args[i]);
	rc = collect_run(argv, a->dir, &out, &errout);
	if (rc != 0 && rc != 2 && rc != 5) {
		snprintf(err, len, "%s: pytest --collect-only failed in '%s' "
		    "(exit %d): %s", a->source, a->dir, rc,
		    pytest_reason(errout, out));
		goto out;
	}
	pytest_split_args(a->args, &pa);
	/* Exit 2: some files could not be collected, the rest were. */
	if (pytest_parse(a, s, python, &pa, out, err, len) == -1)
		goto out;
	if (s->ntests == 0) {
		if (rc == 2)
			snprintf(err, len, "%s: pytest --collect-only failed "
			    "in '%s' (exit 2): %s", a->source, a->dir,
			    pytest_reason(errout, out));
		else
			snprintf(err, len, "%s: pytest collects no test in "
			    "'%s'", a->source, a->dir);
		goto out;
	}
	s->dir = xstrdup(a->dir);
	ret = 0;
out:
	if (ret == -1)
		suite_clear(s);
	strv_free(pa.opts);
	strv_free(pa.nodeids);
	strv_free(argv);
	free(python);
	free(out);
	free(errout);
	return (ret);
}
