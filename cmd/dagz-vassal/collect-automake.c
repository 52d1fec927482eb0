/*
 * collect-automake.c: --automake BUILD_DIR, the TESTS of an automake
 * build run as its parallel harness runs them. make itself says what
 * TESTS and the LOG_COMPILERs are (the Makefile is read with a second
 * one that prints them), after "make check TESTS=" has built the check
 * programs, so no stale binary is tested. Neither touches the logs of a
 * make check running in the same tree.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "log.h"
#include "strv.h"
#include "xmalloc.h"

/* What make said of the build, one value per "dagz:KEY VALUE" line. */
struct am_vars {
	char *srcdir;
	char *tests;
	char *xfail;
	char *env;      /* AM_TESTS_ENVIRONMENT TESTS_ENVIRONMENT */
	char *redirect; /* AM_TESTS_FD_REDIRECT */
	char *compile;  /* LOG_COMPILER AM_LOG_FLAGS LOG_FLAGS */
	char *driver;   /* LOG_DRIVER */
	char **exts;    /* TEST_EXTENSIONS, and for each */
	char **ext_compile;
	char **ext_driver;
};

/*
 * The makefile read after the build's: prints the variables as make
 * expands them, with EXT_LOG_COMPILER named as automake names it (.sh:
 * SH_LOG_COMPILER).
 */
static void
am_write_printer(FILE *fp)
{
	const char *lower = "abcdefghijklmnopqrstuvwxyz";
	size_t i;

	fputs("dagz_uc = ", fp);
	for (i = 0; lower[i] != '\0'; i++)
		fprintf(fp, "$(subst %c,%c,", lower[i], lower[i] - 'a' + 'A');
	fputs("$(1)", fp);
	for (i = 0; lower[i] != '\0'; i++)
		fputc(')', fp);
	fputs("\n"
	      "dagz_x = $(call dagz_uc,$(patsubst .%,%,$(1)))\n"
	      ".PHONY: dagz-print-tests\n"
	      "dagz-print-tests:\n"
	      "\t@:$(info dagz:srcdir $(srcdir))"
	      "$(info dagz:tests $(TESTS))"
	      "$(info dagz:xfail $(XFAIL_TESTS))"
	      "$(info dagz:env $(AM_TESTS_ENVIRONMENT) $(TESTS_ENVIRONMENT))"
	      "$(info dagz:redirect $(AM_TESTS_FD_REDIRECT))"
	      "$(info dagz:compile $(LOG_COMPILER) $(AM_LOG_FLAGS) "
	      "$(LOG_FLAGS))"
	      "$(info dagz:driver $(LOG_DRIVER))"
	      "$(foreach e,$(TEST_EXTENSIONS),"
	      "$(info dagz:ext $(e))"
	      "$(info dagz:ext-compile $($(call dagz_x,$(e))_LOG_COMPILER) "
	      "$(AM_$(call dagz_x,$(e))_LOG_FLAGS) "
	      "$($(call dagz_x,$(e))_LOG_FLAGS))"
	      "$(info dagz:ext-driver $($(call dagz_x,$(e))_LOG_DRIVER)))\n",
	    fp);
}

static void
am_vars_clear(struct am_vars *v)
{
	free(v->srcdir);
	free(v->tests);
	free(v->xfail);
	free(v->env);
	free(v->redirect);
	free(v->compile);
	free(v->driver);
	strv_free(v->exts);
	strv_free(v->ext_compile);
	strv_free(v->ext_driver);
	memset(v, 0, sizeof *v);
}

/*
 * Runs make with argv in build, its output into out (stdin from
 * /dev/null, without the MAKEFLAGS of a make we may run under: its
 * variables, TESTS among them, and its jobserver are not ours). Returns
 * the wait status, or -1.
 */
static int
am_make(char *const *argv, const char *out)
{
	pid_t pid;
	int fd, st;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			close(fd);
		}
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		unsetenv("MAKEFLAGS");
		unsetenv("MFLAGS");
		unsetenv("GNUMAKEFLAGS");
		unsetenv("MAKELEVEL");
		execvp(argv[0], argv);
		fprintf(stderr, "cannot execute '%s': %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return (-1);
	return (st);
}

/* The last line of file that is not make's own "***" or directory talk. */
static void
am_last_line(const char *file, char *buf, size_t len)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	snprintf(buf, len, "no output");
	if ((fp = fopen(file, "r")) == NULL)
		return;
	while ((n = getline(&line, &cap, fp)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 ||
		    (strncmp(line, "make", 4) == 0 &&
		        (strstr(line, ": ***") != NULL ||
		            strstr(line, "ing directory") != NULL)))
			continue;
		snprintf(buf, len, "%s", line);
	}
	free(line);
	fclose(fp);
}

/* Prints the last lines of file on stderr, for a build that failed. */
static void
am_show_tail(const char *file)
{
	FILE *fp;
	char *lines[20] = { NULL }, *line = NULL;
	size_t cap = 0, n = 0, i;

	if ((fp = fopen(file, "r")) == NULL)
		return;
	while (getline(&line, &cap, fp) != -1) {
		free(lines[n % 20]);
		lines[n++ % 20] = xstrdup(line);
	}
	for (i = n > 20 ? n - 20 : 0; i < n; i++) {
		fprintf(stderr, "| %s", lines[i % 20]);
		free(lines[i % 20]);
	}
	free(line);
	fclose(fp);
}

static int
am_read_vars(const char *file, struct am_vars *v)
{
	FILE *fp;
	char *line = NULL, *val, **slot;
	size_t cap = 0;
	ssize_t n;

	if ((fp = fopen(file, "r")) == NULL)
		return (-1);
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strncmp(line, "dagz:", 5) != 0 ||
		    (val = strchr(line, ' ')) == NULL)
			continue;
		*val++ = '\0';
		slot = NULL;
		if (strcmp(line, "dagz:srcdir") == 0)
			slot = &v->srcdir;
		else if (strcmp(line, "dagz:tests") == 0)
			slot = &v->tests;
		else if (strcmp(line, "dagz:xfail") == 0)
			slot = &v->xfail;
		else if (strcmp(line, "dagz:env") == 0)
			slot = &v->env;
		else if (strcmp(line, "dagz:redirect") == 0)
			slot = &v->redirect;
		else if (strcmp(line, "dagz:compile") == 0)
			slot = &v->compile;
		else if (strcmp(line, "dagz:driver") == 0)
			slot = &v->driver;
		else if (strcmp(line, "dagz:ext") == 0)
			v->exts = strv_push(v->exts, val);
		else if (strcmp(line, "dagz:ext-compile") == 0)
			v->ext_compile = strv_push(v->ext_compile, val);
		else if (strcmp(line, "dagz:ext-driver") == 0)
			v->ext_driver = strv_push(v->ext_driver, val);
		if (slot != NULL) {
			free(*slot);
			*slot = xstrdup(val);
		}
	}
	free(line);
	fclose(fp);
	if (v->srcdir == NULL || v->tests == NULL ||
	    strv_len(v->exts) != strv_len(v->ext_compile) ||
	    strv_len(v->exts) != strv_len(v->ext_driver))
		return (-1);
	return (0);
}

/* Splits a make list at blanks. */
static char **
am_words(const char *s)
{
	char *copy, *p, *w, **v = NULL;

	copy = p = xstrdup(s != NULL ? s : "");
	while ((w = strsep(&p, " \t")) != NULL)
		if (*w != '\0')
			v = strv_push(v, w);
	free(copy);
	return (v);
}

/* Whether s is blank, or ends a shell statement (";" last). */
static int
am_ends_statement(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return (n == 0 || s[n - 1] == ';');
}

/* What a driver is: 1 automake's tap-driver, 0 its test-driver, -1 other. */
static int
am_driver_kind(const char *driver)
{
	char **w = am_words(driver), *base;
	size_t i;
	int kind = -1;

	if (w == NULL)
		kind = 0;
	for (i = 0; w != NULL && w[i] != NULL; i++) {
		base =
		    strrchr(w[i], '/') != NULL ? strrchr(w[i], '/') + 1 : w[i];
		if (strcmp(base, "tap-driver.sh") == 0 ||
		    strcmp(base, "tap-driver.pl") == 0)
			kind = 1;
		else if (strcmp(base, "test-driver") == 0)
			kind = 0;
	}
	strv_free(w);
	return (kind);
}

/* s in single quotes for sh, appended to *buf. */
static void
am_quote(char **buf, const char *s)
{
	char *out, *p;
	size_t n = strlen(*buf);

	out = xmalloc(n + 4 * strlen(s) + 3);
	memcpy(out, *buf, n);
	p = out + n;
	*p++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *s;
	}
	*p++ = '\'';
	*p = '\0';
	free(*buf);
	*buf = out;
}

/* s without the blanks around it: a new string. */
static char *
am_trim(const char *s)
{
	char *t;
	size_t n;

	s += strspn(s, " \t");
	t = xstrdup(s);
	for (n = strlen(t); n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'); n--)
		t[n - 1] = '\0';
	return (t);
}

/* Appends " " and s to *buf, when s is not empty. */
static void
am_append(char **buf, const char *s)
{
	char *tmp;

	if (*s == '\0')
		return;
	tmp = *buf;
	xasprintf(buf, "%s %s", tmp, s);
	free(tmp);
}

/*
 * One test as automake's check rule runs it: the file from the build
 * dir or else from srcdir, through its extension's compiler (or
 * LOG_COMPILER), after srcdir and the TESTS_ENVIRONMENTs. The shell
 * execs the test when the environment is statements (not a command
 * prefix such as "env A=1"), so a signal is seen as such.
 */
static void
am_test(const struct adapter_spec *a, const struct am_vars *v, char **xfail,
    const char *build, const char *name, struct test_def *t,
    int *unknown_driver)
{
	struct stat st;
	const char *compile = v->compile, *driver = v->driver;
	char *path, *file, *dir, *sh, *env, *word;
	size_t i, n = strlen(name), best = 0, el;
	int kind;

	for (i = 0; v->exts != NULL && v->exts[i] != NULL; i++) {
		el = strlen(v->exts[i]);
		if (el > best && el < n &&
		    strcmp(name + n - el, v->exts[i]) == 0) {
			best = el;
			compile = v->ext_compile[i];
			driver = v->ext_driver[i];
		}
	}
	if (name[0] == '/')
		path = xstrdup(name);
	else
		xasprintf(&path, "%s/%s", build, name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		dir = xstrdup(name[0] == '/' ? "" : "./");
	else
		xasprintf(&dir, "%s/", v->srcdir);
	free(path);
	xasprintf(&file, "%s%s", dir, name);

	xasprintf(&sh, "srcdir=%s; export srcdir;", v->srcdir);
	env = am_trim(v->env);
	am_append(&sh, env);
	if (am_ends_statement(env))
		am_append(&sh, "exec");
	free(env);
	word = am_trim(compile);
	am_append(&sh, word);
	free(word);
	word = xstrdup("");
	am_quote(&word, file);
	am_append(&sh, word);
	free(word);
	word = am_trim(v->redirect);
	am_append(&sh, word);
	free(word);

	testdef_init(t);
	t->id = xstrdup(name);
	t->sh = sh;
	t->cwd = xstrdup(build);
	if ((kind = am_driver_kind(driver)) == 1)
		t->format = xstrdup("tap");
	else if (kind == -1 && !*unknown_driver) {
		log_warnx("%s: test driver '%s' of '%s' is neither "
		          "test-driver nor tap-driver.sh: its tests are run "
		          "without it and judged by their exit status",
		    a->source, driver, name);
		*unknown_driver = 1;
	}
	/* As automake matches: the name, or the path it ran. */
	if (strv_contains(xfail, name) || strv_contains(xfail, file))
		t->will_fail = 1;
	free(file);
	free(dir);
}

/* Whether file starts as a Makefile that automake's configure made. */
static int
am_is_automake(const char *file)
{
	FILE *fp;
	char line[256];
	int yes = 0;

	if ((fp = fopen(file, "r")) == NULL)
		return (0);
	if (fgets(line, sizeof line, fp) != NULL &&
	    strstr(line, "generated by automake") != NULL)
		yes = 1;
	fclose(fp);
	return (yes);
}

static void
am_cleanup(const char *tmp)
{
	static const char *const files[] = { "make.out", "test-suite.log",
		"print.mk", "vars.out", NULL };
	char *path;
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		xasprintf(&path, "%s/%s", tmp, files[i]);
		unlink(path);
		free(path);
	}
	rmdir(tmp);
}

int
collect_automake(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	struct am_vars v;
	struct test_def t;
	FILE *fp;
	const char *tmpdir;
	char *build, *makefile, *out, *log, *mk, *vars, *arg;
	char **tests = NULL, **xfail = NULL, tmp[4096], last[512];
	char *check[] = { "make", "-C", NULL, "check", "TESTS=", NULL, NULL };
	char *print[] = { "make", "-s", "--no-print-directory", "-C", NULL,
		"-f", "Makefile", "-f", NULL, "dagz-print-tests", NULL };
	size_t i;
	int st, rc = -1, unknown_driver = 0;

	suite_init(s);
	memset(&v, 0, sizeof v);
	if (strv_len(a->args) != 1) {
		snprintf(err, len, "%s: give one build directory", a->source);
		return (-1);
	}
	if (a->args[0][0] == '/')
		build = xstrdup(a->args[0]);
	else
		xasprintf(&build, "%s/%s", a->dir, a->args[0]);
	xasprintf(&makefile, "%s/Makefile", build);
	if (!am_is_automake(makefile)) {
		snprintf(err, len,
		    "%s: '%s': not an automake build "
		    "directory (no Makefile made by automake's configure)",
		    a->source, a->args[0]);
		free(makefile);
		free(build);
		return (-1);
	}
	free(makefile);

	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	snprintf(tmp, sizeof tmp, "%s/dagz-automake.XXXXXX", tmpdir);
	if (mkdtemp(tmp) == NULL) {
		snprintf(err, len, "%s: cannot make a directory in '%s': %s",
		    a->source, tmpdir, strerror(errno));
		free(build);
		return (-1);
	}
	xasprintf(&out, "%s/make.out", tmp);
	xasprintf(&log, "%s/test-suite.log", tmp);
	xasprintf(&mk, "%s/print.mk", tmp);
	xasprintf(&vars, "%s/vars.out", tmp);

	/* Builds what the tests need; the summary goes to our own log. */
	xasprintf(&arg, "TEST_SUITE_LOG=%s", log);
	check[2] = build;
	check[5] = arg;
	st = am_make(check, out);
	free(arg);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		am_show_tail(out);
		am_last_line(out, last, sizeof last);
		snprintf(err, len,
		    "%s: '%s': make check TESTS= failed (%s "
		    "%d): %s",
		    a->source, a->args[0],
		    st != -1 && WIFSIGNALED(st) ? "signal" : "exit",
		    st == -1            ? -1 :
		        WIFSIGNALED(st) ? WTERMSIG(st) :
		                          WEXITSTATUS(st),
		    last);
		goto out;
	}

	if ((fp = fopen(mk, "w")) == NULL) {
		snprintf(err, len, "%s: cannot write '%s': %s", a->source, mk,
		    strerror(errno));
		goto out;
	}
	am_write_printer(fp);
	if (fclose(fp) == EOF) {
		snprintf(err, len, "%s: cannot write '%s': %s", a->source, mk,
		    strerror(errno));
		goto out;
	}
	print[4] = build;
	print[8] = mk;
	st = am_make(print, vars);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    am_read_vars(vars, &v) == -1) {
		am_last_line(vars, last, sizeof last);
		snprintf(err, len, "%s: '%s': make cannot say its TESTS: %s",
		    a->source, a->args[0], last);
		goto out;
	}

	tests = am_words(v.tests);
	xfail = am_words(v.xfail);
	for (i = 0; tests != NULL && tests[i] != NULL; i++) {
		if (suite_find(s, tests[i]) != NULL)
			continue;
		am_test(a, &v, xfail, build, tests[i], &t, &unknown_driver);
		suite_add_test(s, &t);
	}
	if (s->ntests == 0) {
		snprintf(err, len, "%s: '%s': TESTS is empty", a->source,
		    a->args[0]);
		goto out;
	}
	s->dir = xstrdup(build);
	rc = 0;
out:
	if (rc == -1)
		suite_clear(s);
	am_vars_clear(&v);
	strv_free(tests);
	strv_free(xfail);
	am_cleanup(tmp);
	free(out);
	free(log);
	free(mk);
	free(vars);
	free(build);
	return (rc);
}
