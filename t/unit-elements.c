/*
 * unit-elements.c: tests of libcommon/elements.c in TAP: reading a
 * fingerprinter's NDJSON, good and bad, and running one, with small
 * shell scripts standing in for the interpreter so that each way a run
 * can fail is met for real, and one started before it is told its files.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elements.h"
#include "slurp.h"
#include "xmalloc.h"

#include "unit.h"

static char dir[PATH_MAX / 2];

/* An executable script in dir called name, of text. */
static char *
script(const char *name, const char *text)
{
	char *path;
	FILE *f;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, 0755);
	return (path);
}

/* What t knows of file, as "state" or "unknown: why". */
static char *
state(const struct elements_now *t, const char *file)
{
	const char *why;
	char *s;

	switch (elements_file(t, file, &why)) {
	case ELEMENTS_KNOWN:
		return (xstrdup("known"));
	case ELEMENTS_MISSING:
		return (xstrdup("missing"));
	case ELEMENTS_UNKNOWN:
		xasprintf(&s, "unknown: %s", why);
		return (s);
	default:
		return (xstrdup("unasked"));
	}
}

static void
is_state(const struct elements_now *t, const char *file, const char *want,
    const char *what)
{
	char *got = state(t, file);

	is_str(got, want, "%s", what);
	free(got);
}

static void
test_parse(void)
{
	struct elements_now *t = elements_new();
	char *files[] = { "pkg/mod.py", "gone.py", "bad.py", "quiet.py",
	    NULL }, err[128];
	const char *out =
	    "{\"file\": \"pkg/mod.py\", \"element\": \"pkg/mod.py#<module>\","
	    " \"fp\": \"0123456789abcdef\"}\n"
	    "{\"file\": \"pkg/mod.py\", \"element\": \"pkg/mod.py#K.m\","
	    " \"fp\": \"ffffffffffffffff\"}\n"
	    "\n"
	    "{\"file\": \"gone.py\", \"missing\": true}\n"
	    "{\"file\": \"bad.py\", \"error\": \"SyntaxError: invalid syntax"
	    " line 3\"}\n";
	const char *name;
	uint64_t fp = 0;
	size_t it = 0;

	ok(elements_parse(t, out, files, err, sizeof err) == 0, "parse: read");
	is_state(t, "pkg/mod.py", "known", "parse: a file with elements");
	is_state(t, "gone.py", "missing", "parse: a missing file");
	is_state(t, "bad.py", "unknown: SyntaxError: invalid syntax line 3",
	    "parse: a file that does not parse, with why");
	is_state(t, "quiet.py",
	    "unknown: not in the fingerprinter's output",
	    "parse: a file asked about and not answered is unknown");
	is_state(t, "other.py", "unasked", "parse: a file not asked about");
	ok(elements_fp(t, "pkg/mod.py#<module>", &fp) &&
	    fp == 0x0123456789abcdefULL, "parse: fingerprint read as hex");
	ok(elements_fp(t, "pkg/mod.py#K.m", &fp) && fp == UINT64_MAX,
	    "parse: all 64 bits");
	ok(!elements_fp(t, "pkg/mod.py#f", &fp), "parse: no such element");
	name = elements_next(t, "pkg/mod.py", &it);
	is_str(name, "pkg/mod.py#<module>", "parse: a file's first element");
	name = elements_next(t, "pkg/mod.py", &it);
	is_str(name, "pkg/mod.py#K.m", "parse: its second");
	ok(elements_next(t, "pkg/mod.py", &it) == NULL, "parse: no third");
	ok(elements_count(t) == 2, "parse: two elements in all");
	elements_free(t);
}

/* The error of parsing one bad line after a good one. */
static void
bad(const char *line, const char *want)
{
	struct elements_now *t = elements_new();
	char *text, err[128] = "";

	xasprintf(&text, "{\"file\": \"a.py\", \"missing\": true}\n%s\n", line);
	ok(elements_parse(t, text, NULL, err, sizeof err) == -1 &&
	    strcmp(err, want) == 0, "bad line: %s", want);
	if (strcmp(err, want) != 0)
		printf("#   got: %s\n", err);
	free(text);
	elements_free(t);
}

static void
test_bad(void)
{
	bad("{\"file\": ", "line 2: not JSON");
	bad("[1]", "line 2: not an object");
	bad("{\"element\": \"a.py#f\", \"fp\": \"0000000000000000\"}",
	    "line 2: \"file\" must be a non-empty string");
	bad("{\"file\": \"a.py\", \"missing\": false}",
	    "line 2: \"missing\" must be true");
	bad("{\"file\": \"a.py\", \"error\": 1}",
	    "line 2: \"error\" must be a string");
	bad("{\"file\": \"a.py\", \"fp\": \"0000000000000000\"}",
	    "line 2: \"element\" must be a string");
	bad("{\"file\": \"a.py\", \"element\": \"b.py#f\", "
	    "\"fp\": \"0000000000000000\"}",
	    "line 2: \"element\" must be FILE#NAME of its file");
	bad("{\"file\": \"a.py\", \"element\": \"a.py#\", "
	    "\"fp\": \"0000000000000000\"}",
	    "line 2: \"element\" must be FILE#NAME of its file");
	bad("{\"file\": \"a.py\", \"element\": \"a.py#f\", "
	    "\"fp\": \"000000000000000\"}",
	    "line 2: \"fp\" must be 16 lower-case hex digits");
	bad("{\"file\": \"a.py\", \"element\": \"a.py#f\", "
	    "\"fp\": \"000000000000000A\"}",
	    "line 2: \"fp\" must be 16 lower-case hex digits");
	bad("{\"file\": \"a.py\", \"element\": \"a.py#f\", "
	    "\"fp\": 12}",
	    "line 2: \"fp\" must be 16 lower-case hex digits");
}

/* The fingerprinter python script started, then told files. */
static int
run(struct elements_now *t, const char *python, const char *script,
    char *const *files)
{
	return (elements_finish(elements_start(python, script, "/proj"), t,
	    files));
}

static void
test_run(void)
{
	struct elements_now *t;
	char *files[] = { "pkg/mod.py", "pkg/gone.py", NULL };
	char *py, *want, *args, *argsfile, *got;
	uint64_t fp = 0;

	xasprintf(&argsfile, "%s/args", dir);
	/* Prints two elements for each file it is given, one missing. */
	py = script("fake-python",
	    "#!/bin/sh\n"
	    "for a; do printf '%s\\n' \"$a\"; done > \"${0%/*}/args\"\n"
	    "while read -r f; do\n"
	    "  case $f in *gone*) echo \"{\\\"file\\\": \\\"$f\\\", "
	    "\\\"missing\\\": true}\"; continue;; esac\n"
	    "  echo \"{\\\"file\\\": \\\"$f\\\", \\\"element\\\": "
	    "\\\"$f#<module>\\\", \\\"fp\\\": \\\"00000000000000aa\\\"}\"\n"
	    "  echo \"{\\\"file\\\": \\\"$f\\\", \\\"element\\\": "
	    "\\\"$f#f\\\", \\\"fp\\\": \\\"00000000000000bb\\\"}\"\n"
	    "done\n");
	t = elements_new();
	ok(run(t, py, "/hooks/python/dagz_elements.py", files) == 0,
	    "run: the fingerprinter ran");
	args = slurp_file(argsfile, NULL);
	is_str(args, "/hooks/python/dagz_elements.py\n--root\n/proj\n"
	    "--stdin\n", "run: its arguments, the files on its stdin");
	free(args);
	is_state(t, "pkg/mod.py", "known", "run: the file's elements known");
	ok(elements_fp(t, "pkg/mod.py#f", &fp) && fp == 0xbb,
	    "run: an element's fingerprint");
	is_state(t, "pkg/gone.py", "missing", "run: a missing file");
	ok(run(t, py, "x.py", NULL) == 0,
	    "run: nothing to ask, nothing run");
	elements_free(t);
	free(py);

	py = script("failing-python",
	    "#!/bin/sh\n"
	    "echo '{\"file\": \"pkg/mod.py\", \"missing\": true}'\n"
	    "echo 'Traceback (most recent call last):' >&2\n"
	    "echo '  File \"x\", line 1' >&2\n"
	    "exit 1\n");
	t = elements_new();
	ok(run(t, py, "el.py", files) == -1,
	    "run: a failing fingerprinter");
	is_state(t, "pkg/mod.py", "unknown: 'el.py' exited with status 1: "
	    "Traceback (most recent call last):",
	    "run: what it printed before failing is not trusted");
	is_state(t, "pkg/gone.py", "unknown: 'el.py' exited with status 1: "
	    "Traceback (most recent call last):",
	    "run: every file asked about is unknown");
	elements_free(t);
	free(py);

	t = elements_new();
	xasprintf(&py, "%s/no-such-python", dir);
	ok(run(t, py, "el.py", files) == -1,
	    "run: an interpreter that is not there");
	xasprintf(&want, "unknown: cannot run '%s': No such file or "
	    "directory", py);
	is_state(t, "pkg/mod.py", want, "run: cannot run it, with why");
	free(want);
	elements_free(t);
	free(py);

	py = script("garbled-python",
	    "#!/bin/sh\n"
	    "cat >/dev/null\n"
	    "echo '{\"file\": \"pkg/mod.py\", \"missing\": true}'\n"
	    "echo 'Warning: something'\n");
	t = elements_new();
	ok(run(t, py, "el.py", files) == -1,
	    "run: output that cannot be read");
	is_state(t, "pkg/mod.py", "unknown: cannot read the output of "
	    "'el.py': line 2: not JSON", "run: unreadable output, with why");
	elements_free(t);
	free(py);

	py = script("killed-python", "#!/bin/sh\nkill -9 $$\n");
	t = elements_new();
	ok(run(t, py, "el.py", files) == -1,
	    "run: a fingerprinter killed");
	is_state(t, "pkg/gone.py", "unknown: 'el.py' was killed",
	    "run: killed, with why");
	elements_free(t);
	free(py);

	setenv("DAGZ_HOOKS_DIR", "/src/hooks", 1);
	got = elements_hook("python", "dagz_elements.py");
	is_str(got, "/src/hooks/python/dagz_elements.py",
	    "hook: under $DAGZ_HOOKS_DIR");
	free(got);
	unsetenv("DAGZ_HOOKS_DIR");
	got = elements_hook("python", "dagz_elements.py");
	ok(got[0] == '/' && strstr(got, "/python/dagz_elements.py") != NULL &&
	    strncmp(got, "/src/hooks", 10) != 0,
	    "hook: else where dagz installed it (%s)", got);
	free(got);
	unlink(argsfile);
	free(argsfile);
}

/* How many descriptors this process has open. */
static int
nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return (-1);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return (n);
}

/* Whether every child of this process has been reaped. */
static int
no_children(void)
{
	return (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

static void
test_start(void)
{
	struct elements_now *t;
	struct elements_proc *p;
	char *files[] = { "pkg/mod.py", "pkg/gone.py", NULL };
	char *py, *want, *args, *argsfile, *mark;
	uint64_t fp = 0;
	int fds = nfds(), i;

	xasprintf(&argsfile, "%s/args", dir);
	xasprintf(&mark, "%s/started", dir);
	/*
	 * Its arguments, then the files it reads on stdin, to args; it
	 * says it started before it reads them, as the hook imports what
	 * it needs before.
	 */
	py = script("stdin-python",
	    "#!/bin/sh\n"
	    "for a; do printf '%s\\n' \"$a\"; done > \"${0%/*}/args\"\n"
	    ": > \"${0%/*}/started\"\n"
	    "echo -- >> \"${0%/*}/args\"\n"
	    "while read -r f; do\n"
	    "  echo \"$f\" >> \"${0%/*}/args\"\n"
	    "  case $f in *gone*) echo \"{\\\"file\\\": \\\"$f\\\", "
	    "\\\"missing\\\": true}\"; continue;; esac\n"
	    "  echo \"{\\\"file\\\": \\\"$f\\\", \\\"element\\\": "
	    "\\\"$f#f\\\", \\\"fp\\\": \\\"00000000000000cc\\\"}\"\n"
	    "done\n");
	t = elements_new();
	p = elements_start(py, "/hooks/python/dagz_elements.py", "/proj");
	ok(p != NULL, "start: started before its files are known");
	for (i = 0; i < 10000 && access(mark, F_OK) == -1; i++)
		usleep(1000);
	ok(access(mark, F_OK) == 0, "start: it runs before it is told");
	ok(elements_finish(p, t, files) == 0, "start: told its files, it ran");
	args = slurp_file(argsfile, NULL);
	is_str(args, "/hooks/python/dagz_elements.py\n--root\n/proj\n"
	    "--stdin\n--\npkg/mod.py\npkg/gone.py\n",
	    "start: its arguments, then its files on stdin");
	free(args);
	is_state(t, "pkg/mod.py", "known", "start: the file's elements known");
	ok(elements_fp(t, "pkg/mod.py#f", &fp) && fp == 0xcc,
	    "start: an element's fingerprint");
	is_state(t, "pkg/gone.py", "missing", "start: a missing file");
	ok(no_children(), "start: reaped once told");
	ok(nfds() == fds, "start: no descriptor left open (%d, was %d)",
	    nfds(), fds);
	elements_free(t);

	/* Told nothing: ended unasked, whether or not it has started. */
	unlink(mark);
	t = elements_new();
	p = elements_start(py, "el.py", "/proj");
	ok(elements_finish(p, t, NULL) == 0, "start: fed no files, ok");
	ok(elements_count(t) == 0 && elements_file(t, "pkg/mod.py", NULL) ==
	    ELEMENTS_UNASKED, "start: fed no files, nothing known");
	ok(no_children(), "start: fed no files, reaped");
	ok(nfds() == fds, "start: fed no files, no descriptor left open");
	ok(elements_finish(NULL, t, NULL) == 0 &&
	    elements_finish(NULL, t, files) == -1,
	    "start: none started, nothing told is fine, files are not");
	elements_free(t);
	free(py);

	t = elements_new();
	xasprintf(&py, "%s/no-such-python", dir);
	p = elements_start(py, "el.py", "/proj");
	ok(p != NULL, "start: an interpreter that is not there");
	ok(elements_finish(p, t, files) == -1,
	    "start: an interpreter that is not there, told files");
	xasprintf(&want, "unknown: cannot run '%s': No such file or "
	    "directory", py);
	is_state(t, "pkg/mod.py", want, "start: cannot run it, with why");
	is_state(t, "pkg/gone.py", want, "start: every file unknown");
	free(want);
	elements_free(t);
	t = elements_new();
	p = elements_start(py, "el.py", "/proj");
	ok(elements_finish(p, t, NULL) == 0 && elements_count(t) == 0,
	    "start: an interpreter that is not there, told nothing");
	ok(nfds() == fds, "start: not there, no descriptor left open");
	elements_free(t);
	free(py);

	/* It dies before it is told: the files are unknown, with why. */
	py = script("dead-python", "#!/bin/sh\nexit 3\n");
	t = elements_new();
	p = elements_start(py, "el.py", "/proj");
	ok(elements_finish(p, t, files) == -1, "start: dead before told");
	is_state(t, "pkg/mod.py", "unknown: 'el.py' exited with status 3",
	    "start: dead before told, with why");
	ok(no_children(), "start: dead before told, reaped");
	elements_free(t);
	free(py);
	unlink(argsfile);
	unlink(mark);
	free(argsfile);
	free(mark);
}

int
main(void)
{
	char path[PATH_MAX];
	const char *names[] = { "fake-python", "failing-python",
	    "garbled-python", "killed-python", "stdin-python",
	    "dead-python" };
	size_t i;

	snprintf(dir, sizeof dir, "%s/unit-elements.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	test_parse();
	test_bad();
	test_run();
	test_start();
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	return (tap_done());
}
