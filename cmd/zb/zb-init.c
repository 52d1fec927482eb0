/*
 * zb-init.c: "zb init [--force] [DIR]": writes DIR/.dagz/config.yaml
 * from what the tree shows: its suites (ctest, automake, pytest, bats,
 * TAP scripts), the build files whose change selects every test, and
 * the project's name from its git origin. It says what it found, one
 * line each, and never replaces a config unless told to.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cienv.h"
#include "exitcodes.h"
#include "strv.h"
#include "xmalloc.h"
#include "zb.h"

#define INIT_PATH	".dagz/config.yaml"

/* What was found: the items of adapters: and the rest of the file. */
struct init {
	char	**said;		/* one line each, printed at the end */
	char	**items;	/* YAML text of each item of adapters: */
	char	**globals;
	char	 *python;
	char	 *project;
};

static int
init_exists(const char *path)
{
	struct stat sb;

	return (stat(path, &sb) == 0);
}

static int
init_isdir(const char *path)
{
	struct stat sb;

	return (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
}

/* How many paths match pattern. */
static size_t
init_count(const char *pattern)
{
	glob_t g;
	size_t n = 0;

	memset(&g, 0, sizeof g);
	if (glob(pattern, 0, NULL, &g) == 0)
		n = g.gl_pathc;
	globfree(&g);
	return (n);
}

/*
 * Whether a line of file path, without its leading and trailing blanks,
 * is want; or with prefix set, starts with want.
 */
static int
init_has_line(const char *path, const char *want, int prefix)
{
	char *line = NULL, *p, *e;
	size_t cap = 0, n = strlen(want);
	int found = 0;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (!found && getline(&line, &cap, f) != -1) {
		p = line + strspn(line, " \t");
		e = p + strlen(p);
		while (e > p && strchr(" \t\r\n", e[-1]) != NULL)
			*--e = '\0';
		found = prefix ? strncmp(p, want, n) == 0 : strcmp(p, want) == 0;
	}
	free(line);
	fclose(f);
	return (found);
}

static int
init_subdir_filter(const struct dirent *d)
{
	return (d->d_name[0] != '.' && init_isdir(d->d_name));
}

/* The directories in dir, sorted, hidden ones left out. */
static char **
init_subdirs(const char *dir)
{
	struct dirent **ents;
	char **v = NULL, *p;
	int i, n;

	if (strcmp(dir, ".") != 0) {
		/* scandir's filter sees bare names: look from inside dir. */
		if ((n = open(".", O_RDONLY | O_DIRECTORY)) == -1)
			return (NULL);
		if (chdir(dir) == 0) {
			v = init_subdirs(".");
			if (fchdir(n) == -1)
				err(DAGZ_EXIT_ERROR, "cannot return from '%s'",
				    dir);
		}
		close(n);
		for (i = 0; v != NULL && v[i] != NULL; i++) {
			xasprintf(&p, "%s/%s", dir, v[i]);
			free(v[i]);
			v[i] = p;
		}
		return (v);
	}
	if ((n = scandir(".", &ents, init_subdir_filter, alphasort)) == -1)
		return (NULL);
	for (i = 0; i < n; i++) {
		v = strv_push(v, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return (v);
}

/*
 * The first directory holding file: first the named candidates, then
 * the subdirectories of each of under, in order. NULL if none.
 */
static char *
init_first_with(const char *file, const char *const *named,
    const char *const *under, int (*fits)(const char *))
{
	char **subs, *path, *found = NULL;
	size_t i, j;

	for (i = 0; named[i] != NULL && found == NULL; i++) {
		xasprintf(&path, "%s/%s", named[i], file);
		if (fits(path))
			found = xstrdup(named[i]);
		free(path);
	}
	for (i = 0; under[i] != NULL && found == NULL; i++) {
		if (!init_isdir(under[i]))
			continue;
		subs = init_subdirs(under[i]);
		for (j = 0; subs != NULL && subs[j] != NULL && found == NULL;
		    j++) {
			xasprintf(&path, "%s/%s", subs[j], file);
			if (fits(path))
				found = xstrdup(subs[j]);
			free(path);
		}
		strv_free(subs);
	}
	return (found);
}

/* A string as YAML: bare when that reads back the same, else quoted. */
static char *
init_quote(const char *s)
{
	char *v, *q;
	size_t i;

	if (*s != '\0' && *s != '-' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-") == strlen(s) &&
	    strcmp(s, "null") != 0 && strspn(s, "0123456789.") != strlen(s))
		return (xstrdup(s));
	v = q = xmalloc(strlen(s) * 2 + 3);
	*q++ = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'')
			*q++ = '\'';
		*q++ = s[i];
	}
	*q++ = '\'';
	*q = '\0';
	return (v);
}

static void
init_say(struct init *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
init_say(struct init *in, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		err(DAGZ_EXIT_ERROR, "vasprintf");
	va_end(ap);
	in->said = strv_push(in->said, s);
	free(s);
}

static void
init_item(struct init *in, const char *text)
{
	in->items = strv_push(in->items, text);
}

static int
init_has_ctest(const char *path)
{
	return (init_exists(path));
}

/* A CMake build directory that ctest can list. */
static void
init_ctest(struct init *in)
{
	static const char *const named[] = { "build", "_build", NULL };
	static const char *const under[] = { ".", NULL };
	char *build, *q, *item;

	if (!init_exists("CMakeLists.txt"))
		return;
	if ((build = init_first_with("CTestTestfile.cmake", named, under,
	    init_has_ctest)) == NULL) {
		init_say(in, "ctest: CMakeLists.txt but no build directory "
		    "holding CTestTestfile.cmake (build, then zb init "
		    "--force)");
		return;
	}
	q = init_quote(build);
	xasprintf(&item, "  - ctest: %s", q);
	init_item(in, item);
	init_say(in, "ctest: %s (%s/CTestTestfile.cmake)", build, build);
	free(item);
	free(q);
	free(build);
}

/* A Makefile that automake made, with its check target. */
static int
init_has_check(const char *path)
{
	return (init_has_line(path, "check:", 1));
}

/* Whether Makefile.am, or a file it includes, sets TESTS. */
static int
init_am_tests(struct init *in, const char *path, int depth)
{
	char *line = NULL, *p, *e;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	if (depth > 4 || (f = fopen(path, "re")) == NULL)
		return (0);
	while (getline(&line, &cap, f) != -1) {
		p = line + strspn(line, " \t");
		if (strncmp(p, "TESTS", 5) == 0 &&
		    p[5 + strspn(p + 5, " \t+")] == '=')
			found = 1;
		if (strncmp(p, "include", 7) != 0 ||
		    strchr(" \t", p[7]) == NULL)
			continue;
		p += 7 + strspn(p + 7, " \t");
		e = p + strcspn(p, " \t\r\n");
		*e = '\0';
		/* A literal path: one with make variables is left out. */
		if (*p == '\0' || strchr(p, '$') != NULL ||
		    strchr(p, '%') != NULL || !init_exists(p))
			continue;
		if (!strv_contains(in->globals, p))
			in->globals = strv_push(in->globals, p);
		if (init_am_tests(in, p, depth + 1))
			found = 1;
	}
	free(line);
	fclose(f);
	return (found);
}

/* An automake project with TESTS and a configured build directory. */
static int
init_automake(struct init *in)
{
	static const char *const named[] = { ".", "build", "_build", NULL };
	static const char *const under[] = { "build", "_build", ".", NULL };
	char *build, *q, *item;

	if (!init_exists("Makefile.am"))
		return (0);
	if (!init_am_tests(in, "Makefile.am", 0))
		return (0);
	if ((build = init_first_with("Makefile", named, under,
	    init_has_check)) == NULL) {
		init_say(in, "automake: Makefile.am sets TESTS but no "
		    "configured build directory holds a Makefile (configure, "
		    "then zb init --force)");
		return (0);
	}
	q = init_quote(build);
	xasprintf(&item, "  - automake: %s", q);
	init_item(in, item);
	init_say(in, "automake: %s (Makefile.am sets TESTS; make check in "
	    "%s)", build, build);
	free(item);
	free(q);
	free(build);
	return (1);
}

/* Whether prog runs and imports pytest. */
static int
init_python_ok(const char *prog)
{
	pid_t pid;
	int fd, st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return (0);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp(prog, prog, "-c", "import pytest", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return (0);
	return (WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A pytest suite: pytest's configuration, or test files under tests/. */
static void
init_pytest(struct init *in)
{
	static const char *const py[] = { "python3", "/usr/bin/python3",
	    NULL };
	const char *why = NULL;
	size_t i;

	if (init_exists("pytest.ini"))
		why = "pytest.ini";
	else if (init_has_line("pyproject.toml", "[tool.pytest.ini_options]",
	    0))
		why = "pyproject.toml has [tool.pytest.ini_options]";
	else if (init_has_line("setup.cfg", "[tool:pytest]", 0))
		why = "setup.cfg has [tool:pytest]";
	else if (init_has_line("tox.ini", "[pytest]", 0))
		why = "tox.ini has [pytest]";
	else if (init_count("tests/test_*.py") + init_count(
	    "tests/*/test_*.py") + init_count("tests/*/*/test_*.py") > 0)
		why = "test_*.py files under tests";
	if (why == NULL)
		return;
	init_item(in, "  - pytest:");
	for (i = 0; py[i] != NULL; i++)
		if (init_python_ok(py[i]))
			break;
	if (py[i] != NULL) {
		in->python = xstrdup(py[i]);
		init_say(in, "pytest: %s; python: %s", why, py[i]);
	} else
		init_say(in, "pytest: %s; no python3 here imports pytest "
		    "(set python:)", why);
}

/* bats files, and TAP scripts in git's way or perl's. */
static void
init_scripts(struct init *in, int automake)
{
	static const char *const dirs[] = { "t", "test", "tests", NULL };
	char *pat, *list = NULL, *tmp, *q;
	size_t i, n, total = 0;

	for (i = 0; dirs[i] != NULL; i++) {
		xasprintf(&pat, "%s/*.bats", dirs[i]);
		n = init_count(pat);
		free(pat);
		if (n == 0)
			continue;
		total += n;
		q = init_quote(dirs[i]);
		xasprintf(&tmp, "%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", q);
		free(q);
		free(list);
		list = tmp;
	}
	if (list != NULL && automake)
		init_say(in, "bats: %zu file%s in %s, left to automake", total,
		    total == 1 ? "" : "s", list);
	else if (list != NULL) {
		xasprintf(&tmp, "  - bats: [%s]", list);
		init_item(in, tmp);
		free(tmp);
		init_say(in, "bats: %s (%zu file%s)", list, total,
		    total == 1 ? "" : "s");
	}
	free(list);
	if ((n = init_count("t/t[0-9]*.sh")) > 0 && automake)
		init_say(in, "tap: %zu script%s t/t[0-9]*.sh, left to "
		    "automake", n, n == 1 ? "" : "s");
	else if (n > 0) {
		init_item(in, "  - tap: ['t/t[0-9]*.sh']\n    cwd: t");
		init_say(in, "tap: t/t[0-9]*.sh, run in t (%zu script%s)", n,
		    n == 1 ? "" : "s");
	}
	if ((n = init_count("t/*.t")) > 0 && automake)
		init_say(in, "tap: %zu script%s t/*.t, left to automake", n,
		    n == 1 ? "" : "s");
	else if (n > 0) {
		init_item(in, "  - tap: ['t/*.t']\n    exec: perl");
		init_say(in, "tap: t/*.t, run by perl (%zu script%s)", n,
		    n == 1 ? "" : "s");
	}
}

/* The build's own files, and the project's name. */
static void
init_rest(struct init *in)
{
	static const char *const build[] = { "CMakeLists.txt", "configure.ac",
	    "Makefile.am", "pyproject.toml", "setup.cfg", "setup.py", NULL };
	char **v = NULL, *list = NULL, *tmp;
	json_t *git;
	size_t i;

	/* In order: the build files, then the files Makefile.am includes. */
	for (i = 0; build[i] != NULL; i++)
		if (init_exists(build[i]))
			v = strv_push(v, build[i]);
	for (i = 0; in->globals != NULL && in->globals[i] != NULL; i++)
		v = strv_push(v, in->globals[i]);
	strv_free(in->globals);
	in->globals = v;
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		xasprintf(&tmp, "%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", v[i]);
		free(list);
		list = tmp;
	}
	if (list != NULL)
		init_say(in, "global: %s", list);
	free(list);
	if ((git = cienv_git(".")) == NULL)
		return;
	if ((in->project = cienv_project(git)) != NULL)
		init_say(in, "project: %s", in->project);
	json_decref(git);
}

static const char init_head[] =
    "# .dagz/config.yaml: how dagz runs this project's tests. Written by\n"
    "# zb init, meant to be committed. Flags override it: dagz run given\n"
    "# an adapter flag (--ctest, --pytest, --tap, ...) collects with those\n"
    "# flags alone, and --python overrides python:. See dagz(1).\n";

static const char init_adapters[] =
    "\n"
    "# What dagz run collects with no adapter flags, one suite an item;\n"
    "# paths are relative to the directory holding .dagz/.\n"
    "#   ctest: BUILD_DIR        the tests ctest lists there\n"
    "#   automake: BUILD_DIR     the TESTS of make check there\n"
    "#   pytest: [ARGS]          test files; ARGS are added to pytest's\n"
    "#   bats: [PATHS]           bats files, or directories of them\n"
    "#   tap: [GLOBS]            TAP scripts (cwd: where they run,\n"
    "#                           exec: their interpreter)\n"
    "#   manifest: FILE          an NDJSON manifest\n"
    "#   exec: [GLOBS]           programs: 0 passes, 77 skips\n";

static const char init_example[] =
    "# Nothing was detected: name the suites here, for example:\n"
    "#  - ctest: build\n"
    "#  - pytest: [tests]\n"
    "#  - tap: ['t/*.sh']\n"
    "#    cwd: t\n";

/* The file's text. */
static char *
init_text(const struct init *in)
{
	char *buf = NULL, *q;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		err(DAGZ_EXIT_ERROR, "open_memstream");
	fputs(init_head, f);
	if (in->project != NULL) {
		q = init_quote(in->project);
		fprintf(f, "\n# The project's name in the store: its git "
		    "origin's host and path\n# (alike over ssh and https), "
		    "then the path inside the work tree.\n# DAGZ_PROJECT "
		    "overrides it.\nproject: %s\n", q);
		free(q);
	}
	fputs(init_adapters, f);
	fputs("adapters:\n", f);
	for (i = 0; in->items != NULL && in->items[i] != NULL; i++)
		fprintf(f, "%s\n", in->items[i]);
	if (in->items == NULL)
		fputs(init_example, f);
	fputs("\n# Files whose change selects every test: patterns, relative "
	    "to the\n# directory holding .dagz/.\nglobal:\n", f);
	for (i = 0; in->globals != NULL && in->globals[i] != NULL; i++) {
		q = init_quote(in->globals[i]);
		fprintf(f, "  - %s\n", q);
		free(q);
	}
	if (in->globals == NULL)
		fputs("#  - CMakeLists.txt\n", f);
	if (in->python != NULL) {
		q = init_quote(in->python);
		fprintf(f, "\n# The interpreter that runs pytest (one that "
		    "imports it).\npython: %s\n", q);
		free(q);
	}
	if (fclose(f) == EOF)
		err(DAGZ_EXIT_ERROR, "open_memstream");
	return (buf);
}

/* Writes text to .dagz/config.yaml whole, or not at all. */
static void
init_write(const char *text, const char *shown)
{
	char tmp[] = ".dagz/.config.yaml.XXXXXX";
	size_t len = strlen(text);
	mode_t mask;
	int fd;

	if (mkdir(".dagz", 0777) == -1 && errno != EEXIST)
		err(DAGZ_EXIT_ERROR, "cannot make '%s/.dagz'", shown);
	if ((fd = mkstemp(tmp)) == -1)
		err(DAGZ_EXIT_ERROR, "cannot write '%s'", shown);
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 ||
	    write(fd, text, len) != (ssize_t)len || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, INIT_PATH) == -1) {
		unlink(tmp);
		err(DAGZ_EXIT_ERROR, "cannot write '%s'", shown);
	}
}

int
zb_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct init in;
	char dir[PATH_MAX], *shown, *text;
	int ch, force = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			force = 1;
			break;
		default:
			zb_usage("init");
		}
	}
	if (argc - optind > 1)
		zb_usage("init");
	if (argc - optind == 1 && chdir(argv[optind]) == -1)
		err(DAGZ_EXIT_USAGE, "cannot use '%s'", argv[optind]);
	if (getcwd(dir, sizeof dir) == NULL)
		err(DAGZ_EXIT_ERROR, "getcwd");
	xasprintf(&shown, "%s%s" INIT_PATH, dir, strcmp(dir, "/") == 0 ? "" :
	    "/");
	if (!force && access(INIT_PATH, F_OK) == 0)
		errx(DAGZ_EXIT_USAGE, "will not overwrite '%s': it exists "
		    "(zb init --force replaces it)", shown);
	memset(&in, 0, sizeof in);
	init_ctest(&in);
	init_scripts(&in, init_automake(&in));
	init_pytest(&in);
	init_rest(&in);
	text = init_text(&in);
	init_write(text, shown);
	for (i = 0; in.said != NULL && in.said[i] != NULL; i++)
		printf("%s\n", in.said[i]);
	if (in.items == NULL)
		printf("no suite detected: wrote an example to edit in %s\n",
		    shown);
	else
		printf("wrote %s\n", shown);
	free(text);
	free(shown);
	strv_free(in.said);
	strv_free(in.items);
	strv_free(in.globals);
	free(in.python);
	free(in.project);
	return (DAGZ_EXIT_OK);
}
