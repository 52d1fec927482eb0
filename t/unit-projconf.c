/*
 * unit-projconf.c: unit tests of the .dagz/config.yaml reader in TAP:
 * block and flow style read alike, each kind of bad input is one exact
 * "PATH:LINE: reason", and the search upwards stops at a git work tree.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ignore.h"
#include "projconf.h"
#include "xmalloc.h"

#include "unit.h"

static char tmpdir[PATH_MAX];
static char proj[PATH_MAX + 8];
static char cfg[PATH_MAX + 32];

static void
write_file(const char *path, const char *text)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		printf("Bail out! cannot write '%s'\n", path);
		exit(1);
	}
}

/* Loads text as the config; returns what it read, as compact JSON. */
static char *
load(const char *text, int *rc, char *err, size_t len)
{
	struct projconf c;
	json_t *o, *g;
	char *s;
	size_t i;

	write_file(cfg, text);
	err[0] = '\0';
	*rc = projconf_load(cfg, &c, err, len);
	o = json_object();
	json_object_set_new(o, "adapters", adapter_list_encode(&c.adapters));
	g = json_array();
	for (i = 0; c.globals != NULL && c.globals[i] != NULL; i++)
		json_array_append_new(g, json_string(c.globals[i]));
	json_object_set_new(o, "global", g);
	if (c.python != NULL)
		json_object_set_new(o, "python", json_string(c.python));
	if (c.project != NULL)
		json_object_set_new(o, "project", json_string(c.project));
	if (c.root != NULL)
		json_object_set_new(o, "root", json_string(c.root));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	projconf_clear(&c);
	return (s);
}

/* The JSON load() gives for the example, in either style. */
static char *
example_json(void)
{
	char *s;

	xasprintf(&s, "{\"adapters\":["
	    "{\"adapter\":\"ctest\",\"args\":[\"build\"],\"dir\":\"%s\","
	    "\"source\":\"%s:3\"},"
	    "{\"adapter\":\"pytest\",\"args\":[\"-x\",\"tests\"],\"dir\":\"%s\","
	    "\"python\":\"/usr/bin/python3\",\"source\":\"%s:4\"},"
	    "{\"adapter\":\"tap\",\"args\":[\"t/t*.sh\"],\"cwd\":\"t\","
	    "\"dir\":\"%s\",\"exec\":\"sh\",\"source\":\"%s:6\"},"
	    "{\"adapter\":\"pytest\",\"args\":[],\"dir\":\"%s\","
	    "\"source\":\"%s:9\"}],"
	    "\"global\":[\"CMakeLists.txt\",\"*.cmake\"],"
	    "\"project\":\"git@example.org:g/r.git#sub\","
	    "\"python\":\"python3\",\"root\":\"%s\"}",
	    proj, cfg, proj, cfg, proj, cfg, proj, cfg, proj);
	return (s);
}

static void
test_styles(void)
{
	char err[1024], *got, *want = example_json();
	int rc;

	got = load("# the suites\n"
	    "adapters:\n"
	    "  - ctest: build\n"
	    "  - pytest: [-x, tests]\n"
	    "    python: /usr/bin/python3\n"
	    "  - tap: 't/t*.sh'\n"
	    "    cwd: t\n"
	    "    exec: sh\n"
	    "  - pytest\n"
	    "global:\n"
	    "  - CMakeLists.txt\n"
	    "  - \"*.cmake\"  # a comment\n"
	    "python: python3\n"
	    "project: git@example.org:g/r.git#sub\n", &rc, err, sizeof err);
	ok(rc == 0, "block style reads: %s", err);
	is_str(got, want, "block style: every key as written");
	free(got);
	got = load("{\n"
	    "  adapters: [\n"
	    "    {ctest: build},\n"
	    "    {pytest: [-x, tests], python: /usr/bin/python3},\n"
	    "    {tap: ['t/t*.sh'],\n"
	    "      cwd: t,\n"
	    "      exec: sh},\n"
	    "    {python: null,\n"
	    "     pytest: }],\n"
	    "  global: [CMakeLists.txt, '*.cmake'], python: python3,\n"
	    "  project: 'git@example.org:g/r.git#sub'}\n", &rc, err,
	    sizeof err);
	ok(rc != 0 && strstr(err, ":8: \"python\" must be a string, not "
	    "nothing") != NULL, "flow style: a null python is refused: %s",
	    err);
	free(got);
	got = load("{\n"
	    "  adapters: [\n"
	    "    {ctest: build},\n"
	    "    {pytest: [-x, tests], python: /usr/bin/python3},\n"
	    "\n"
	    "    {tap: ['t/t*.sh'], cwd: t,\n"
	    "      exec: sh},\n"
	    "\n"
	    "    pytest],\n"
	    "  global: [CMakeLists.txt, '*.cmake'], python: python3,\n"
	    "  project: 'git@example.org:g/r.git#sub'}\n", &rc, err,
	    sizeof err);
	ok(rc == 0, "flow style reads: %s", err);
	is_str(got, want, "flow style reads as block style does");
	free(got);
	free(want);
}

static void
test_empty(void)
{
	char err[1024], *got, *want;
	int rc;

	xasprintf(&want, "{\"adapters\":[],\"global\":[],\"root\":\"%s\"}",
	    proj);
	got = load("", &rc, err, sizeof err);
	ok(rc == 0, "an empty file is an empty config");
	is_str(got, want, "an empty file: nothing in it");
	free(got);
	got = load("# nothing yet\n\nadapters:\nglobal: ~\n", &rc, err,
	    sizeof err);
	ok(rc == 0, "comments and empty keys are fine: %s", err);
	is_str(got, want, "empty keys: nothing in them");
	free(got);
	free(want);
	got = load("global: &g ['a.mk', b.mk]\n"
	    "adapters:\n  - exec: *g\n", &rc, err, sizeof err);
	ok(rc == 0 && strstr(got, "{\"adapter\":\"exec\",\"args\":[\"a.mk\","
	    "\"b.mk\"]") != NULL, "an alias stands for its anchor: %s",
	    err);
	free(got);
}

/* worker_mem_budget: a size as --worker-mem-budget takes it. */
static void
test_worker_mem_budget(void)
{
	struct projconf c;
	char err[1024];
	int rc;

	write_file(cfg, "worker_mem_budget: 512M\n");
	rc = projconf_load(cfg, &c, err, sizeof err);
	ok(rc == 0 && c.worker_mem_budget == 512LL << 20,
	    "worker_mem_budget: 512M is 512 MiB: %s", rc == 0 ? "" : err);
	projconf_clear(&c);
	write_file(cfg, "worker_mem_budget: 1048576\n");
	rc = projconf_load(cfg, &c, err, sizeof err);
	ok(rc == 0 && c.worker_mem_budget == 1LL << 20,
	    "worker_mem_budget: a plain number is bytes");
	projconf_clear(&c);
}

/* Each bad file: its text, and the error after "PATH:". */
static void
test_errors(void)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "adapters:\n  - ctest: build\nother: 1\n",
		    "3: unknown key \"other\" (known: adapters, "
		    "auto_quarantine, coverage, global, ignore, main_branch, "
		    "new_tests_repeat, python, project, worker_env, "
		    "worker_mem_budget)" },
		{ "new_tests_repeat: 0\n",
		    "1: \"new_tests_repeat\": 0 is too small: 1 to 100" },
		{ "project: p\ncoverage: gcov\n", "2: \"coverage\": gcov is "
		    "not in this release (known: python)" },
		{ "coverage: [python]\n", "1: \"coverage\" must be python, "
		    "not a list" },
		{ "new_tests_repeat: [5]\n",
		    "1: \"new_tests_repeat\" must be a number, not a list" },
		{ "auto_quarantine: 21\n", "1: \"auto_quarantine\" must be "
		    "a number of jobs from 1 to 20, not \"21\"" },
		{ "auto_quarantine: [3]\n", "1: \"auto_quarantine\" must be "
		    "a number of jobs from 1 to 20, not a list" },
		{ "worker_mem_budget: lots\n",
		    "1: \"worker_mem_budget\" must be a size such as 512M, not "
		    "\"lots\"" },
		{ "worker_mem_budget: [1M]\n",
		    "1: \"worker_mem_budget\" must be a size such as 512M, not "
		    "a list" },
		{ "ignore: logs/\n",
		    "1: \"ignore\" must be a list of patterns, not \"logs/\"" },
		{ "ignore:\n  - logs/\n  - {a: b}\n",
		    "3: \"ignore\" must be a list of patterns, not hold a "
		    "mapping" },
		{ "ignore: ['']\n",
		    "1: \"ignore\" must be a list of patterns, not hold \"\"" },
		{ "ignore: ['!keep.log']\n",
		    "1: ignore pattern \"!keep.log\": negation is not supported" },
		{ "ignore: [/]\n",
		    "1: ignore pattern \"/\" would ignore the whole project" },
		{ "ignore: []\nignore: [a]\n", "2: \"ignore\" given twice" },
		{ "adapters:\n  - ctest: build\n  - nose: tests\n",
		    "3: unknown adapter \"nose\" (known: manifest, exec, tap, "
		    "bats, ctest, pytest, automake)" },
		{ "adapters: [nose]\n",
		    "1: unknown adapter \"nose\" (known: manifest, exec, tap, "
		    "bats, ctest, pytest, automake)" },
		{ "adapters:\n  - ctest: build\n    pytest: tests\n",
		    "3: two adapters in one item: \"ctest\" and \"pytest\" "
		    "(each is an item of its own: \"- pytest: ...\")" },
		{ "adapters:\n  - cwd: t\n",
		    "2: no adapter in this item (one of: manifest, exec, tap, "
		    "bats, ctest, pytest, automake)" },
		{ "global: 3\n",
		    "1: \"global\" must be a list of patterns, not \"3\"" },
		{ "global:\n  - a.mk\n  - [b.mk]\n",
		    "3: \"global\" must be a list of patterns, not hold a list" },
		{ "global: ['']\n",
		    "1: \"global\" must be a list of patterns, not hold \"\"" },
		{ "global: [/etc/passwd]\n",
		    "1: global pattern \"/etc/passwd\" must be relative to the "
		    "project's root" },
		{ "adapters: 7\n", "1: \"adapters\" must be a list, not \"7\"" },
		{ "adapters:\n  - [ctest]\n",
		    "2: an adapter must be a mapping such as \"ctest: build\", "
		    "not a list" },
		{ "adapters:\n  - tap:\n      glob: x\n",
		    "3: tap must be a string or a list of strings, not a "
		    "mapping" },
		{ "adapters:\n  - tap: [a, {b: c}]\n",
		    "2: tap must be a list of strings, not hold a mapping" },
		{ "adapters:\n  - exec: bin/*\n    cwd: t\n",
		    "3: \"cwd\" is for tap only, not exec" },
		{ "adapters:\n  - ctest: build\n    exec: sh\n",
		    "3: \"exec\" is for tap and bats only, not ctest" },
		{ "adapters:\n  - ctest: build\n    cwd: t\n",
		    "3: \"cwd\" is for tap only, not ctest" },
		{ "adapters:\n  - tap: x\n    exec: [a, b]\n",
		    "3: \"exec\" must be a string, not a list" },
		{ "python: a\npython: b\n", "2: \"python\" given twice" },
		{ "adapters:\n  - exec: a\n    exec: b\n",
		    "3: \"exec\" given twice" },
		{ "adapters:\n  - tap: a\n    cwd: t\n    cwd: u\n",
		    "4: \"cwd\" given twice" },
		{ "- ctest\n", "1: the file must be a mapping of adapters, "
		    "auto_quarantine, coverage, global, ignore, main_branch, "
		    "new_tests_repeat, python, project, worker_env and "
		    "worker_mem_budget, not a list" },
		{ "a/b\n\nc:d (e\n", "1: the file must be a mapping of "
		    "adapters, auto_quarantine, coverage, global, ignore, main_branch, "
		    "new_tests_repeat, python, project, worker_env and "
		    "worker_mem_budget, not \"a/b\\nc:d (e\"" },
		{ "adapters:\n  - ctest: build\n bad\n",
		    "3: while parsing a block mapping did not find expected "
		    "key" },
		{ "global: [a\n", "2: while parsing a flow sequence did not "
		    "find expected ',' or ']'" },
		{ "global: [a]\n---\npython: x\n",
		    "2: a second document: the file must hold one" },
		{ "global: [a, *nowhere]\n",
		    "1: found undefined alias" },
	};
	char err[1024], want[PATH_MAX * 2], *got;
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = load(cases[i].text, &rc, err, sizeof err);
		snprintf(want, sizeof want, "%s:%s", cfg, cases[i].want);
		ok(rc == -1, "bad config %zu is refused", i);
		is_str(err, want, "bad config %zu: the line and the reason", i);
		if (strstr(got, "\"adapters\":[]") == NULL ||
		    strstr(got, "\"global\":[]") == NULL ||
		    strstr(got, "python") != NULL)
			ok(0, "bad config %zu leaves nothing: %s", i, got);
		free(got);
	}
}

/* The ignore: patterns in force after loading text, joined by spaces. */
static char *
ignores_of(const char *text)
{
	struct projconf c;
	char err[1024], *s = xstrdup(""), *t;
	char *const *v;
	size_t i;

	write_file(cfg, text);
	if (projconf_load(cfg, &c, err, sizeof err) == -1) {
		free(s);
		return (xstrdup(err));
	}
	v = projconf_ignores(&c);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		xasprintf(&t, "%s%s%s", s, i > 0 ? " " : "", v[i]);
		free(s);
		s = t;
	}
	projconf_clear(&c);
	return (s);
}

static void
test_ignore_key(void)
{
	struct projconf c;
	char *got;

	projconf_init(&c);
	ok(projconf_ignores(&c) == ignore_defaults,
	    "no config: the default ignore patterns");
	got = ignores_of("python: python3\n");
	is_str(got, ".pytest_cache/ __pycache__/ *.pyc",
	    "no ignore: key: the defaults");
	free(got);
	got = ignores_of("ignore:\n");
	is_str(got, ".pytest_cache/ __pycache__/ *.pyc",
	    "ignore: with nothing: the defaults");
	free(got);
	got = ignores_of("ignore: []\n");
	is_str(got, "", "ignore: []: no patterns, not even the defaults");
	free(got);
	got = ignores_of("ignore:\n  - logs/\n  - '*.tmp'\n  - /out\n");
	is_str(got, "logs/ *.tmp /out", "ignore: a list replaces the defaults");
	free(got);
}

/* Each path against the patterns: 1 if ignored. */
static void
test_ignore_match(void)
{
	static char *const pats[] = { ".pytest_cache/", "__pycache__/",
	    "*.pyc", "logs/", "build/*.o", "/top.txt", "doc/**/gen/", NULL };
	static const struct {
		const char	*path;
		int		 want;
	} cases[] = {
		{ ".pytest_cache/v/cache/lastfailed", 1 },
		{ ".pytest_cache/", 1 },
		{ ".pytest_cache", 0 },		/* a file, not a directory */
		{ "sub/.pytest_cache/v/cache/nodeids", 1 },
		{ "pkg/__pycache__/mod.cpython-311.pyc", 1 },
		{ "pkg/mod.py", 0 },
		{ "old/mod.pyc", 1 },
		{ "mod.pyc.txt", 0 },
		{ "logs/run.log", 1 },
		{ "a/b/logs/x/y", 1 },
		{ "logs", 0 },
		{ "logsx/run.log", 0 },
		{ "build/x.o", 1 },
		{ "build/sub/x.o", 0 },		/* * stops at a slash */
		{ "src/build/x.o", 0 },		/* a slash anchors */
		{ "top.txt", 1 },
		{ "sub/top.txt", 0 },
		{ "doc/gen/a.html", 1 },
		{ "doc/x/y/gen/a.html", 1 },
		{ "doc/x/gen", 0 },
		{ "src/main.c", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ok(ignore_match(pats, cases[i].path) == cases[i].want,
		    "ignore_match \"%s\" is %d", cases[i].path, cases[i].want);
	ok(!ignore_match(NULL, "a.pyc"), "no patterns ignore nothing");
}

static void
test_ignore_rebase(void)
{
	static const struct {
		const char	*prefix, *pattern, *want;
	} cases[] = {
		{ "", "logs/", "logs/" },
		{ "", "/top.txt", "/top.txt" },
		{ "py", ".pytest_cache/", "py/**/.pytest_cache/" },
		{ "py", "/top.txt", "py/top.txt" },
		{ "py", "a/b", "py/a/b" },
		{ "we[ir]d", "*.pyc", "we\\[ir\\]d/**/*.pyc" },
	};
	static char *const rebased[] = { "py/**/.pytest_cache/", NULL };
	char *got;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		got = ignore_rebase(cases[i].prefix, cases[i].pattern);
		is_str(got, cases[i].want, "ignore_rebase \"%s\" \"%s\"",
		    cases[i].prefix, cases[i].pattern);
		free(got);
	}
	ok(ignore_match(rebased, "py/.pytest_cache/v/x") &&
	    ignore_match(rebased, "py/t/.pytest_cache/v/x") &&
	    !ignore_match(rebased, ".pytest_cache/v/x"),
	    "a rebased pattern matches below its directory only");
}

static void
test_unreadable(void)
{
	struct projconf c;
	char err[1024], want[PATH_MAX * 2], path[PATH_MAX + 64];

	snprintf(path, sizeof path, "%s/isdir.yaml", tmpdir);
	mkdir(path, 0755);
	ok(projconf_load(path, &c, err, sizeof err) == -1,
	    "a directory is refused");
	snprintf(want, sizeof want, "%s: cannot read: Is a directory", path);
	is_str(err, want, "a directory: the reason");
	ok(c.path == NULL && c.adapters.n == 0, "a directory: nothing kept");
	snprintf(path, sizeof path, "%s/none.yaml", tmpdir);
	ok(projconf_load(path, &c, err, sizeof err) == -1,
	    "a missing file is refused by projconf_load");
	snprintf(want, sizeof want, "%s: cannot read: No such file or "
	    "directory", path);
	is_str(err, want, "a missing file: the reason");
}

static void
test_find(void)
{
	char path[PATH_MAX], dir[PATH_MAX + 64], want[PATH_MAX + 64];

	snprintf(dir, sizeof dir, "%s/a/b/c", proj);
	snprintf(want, sizeof want, "%s/a", proj);
	mkdir(want, 0755);
	snprintf(want, sizeof want, "%s/a/b", proj);
	mkdir(want, 0755);
	mkdir(dir, 0755);
	ok(projconf_find(dir, path, sizeof path) == 1,
	    "found from a directory three levels down");
	is_str(path, cfg, "the config of the nearest directory holding it");
	snprintf(want, sizeof want, "%s/a/b/.git", proj);
	write_file(want, "gitdir: elsewhere\n");
	ok(projconf_find(dir, path, sizeof path) == 0,
	    "not found past the top of a git work tree");
	snprintf(want, sizeof want, "%s/a/b/.dagz", proj);
	mkdir(want, 0755);
	snprintf(want, sizeof want, "%s/a/b/.dagz/config.yaml", proj);
	write_file(want, "");
	ok(projconf_find(dir, path, sizeof path) == 1 &&
	    strcmp(path, want) == 0, "found at the top of the work tree");
}

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return (remove(p));
}

int
main(void)
{
	char *t;
	int failed;

	t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/unit-projconf.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL || realpath(tmpdir, proj) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return (1);
	}
	strlcpy(tmpdir, proj, sizeof tmpdir);
	snprintf(proj, sizeof proj, "%s/p", tmpdir);
	snprintf(cfg, sizeof cfg, "%s/.dagz", proj);
	mkdir(proj, 0755);
	mkdir(cfg, 0755);
	strlcat(cfg, "/config.yaml", sizeof cfg);
	test_styles();
	test_empty();
	test_worker_mem_budget();
	test_errors();
	test_ignore_key();
	test_ignore_match();
	test_ignore_rebase();
	test_unreadable();
	test_find();
	failed = tap_done();
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return (failed);
}
