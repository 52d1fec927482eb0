/*
 * collect-ctest.c: --ctest BUILD_DIR, the tests of a CMake build as
 * `ctest --show-only=json-v1` lists them, each ctest test a dagz test of
 * the same name, its properties mapped onto dagz's keys (the table is in
 * dagz(1)). ctest's DEPENDS only orders, whatever the outcome, which is
 * dagz's after; a fixture's setup tests are needed by the tests that
 * require it, and its cleanup tests run after all of those, even when a
 * setup failed. A property dagz does not honour is named in a warning,
 * never dropped in silence.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "collect.h"
#include "log.h"
#include "strv.h"
#include "xmalloc.h"

/* What a test says about fixtures, kept until every test is read. */
struct ctest_fix {
	char	**setup;
	char	**cleanup;
	char	**required;
};

/* A property no test of the suite has honoured: one warning each. */
struct ctest_unhonoured {
	char	*name;
	char	*first;		/* the first test that has it */
	size_t	 more;		/* and how many others */
};

struct ctest {
	const char		*dir;		/* the build directory */
	struct suite		*s;
	struct ctest_fix	*fix;		/* per test of s */
	struct ctest_unhonoured	*un;
	size_t			 nun;
};

/* ctest's truth values: booleans, numbers, and CMake's ON/TRUE words. */
static int
ctest_is_on(json_t *v)
{
	static const char *const on[] = { "1", "ON", "YES", "TRUE", "Y", NULL };
	size_t i;

	if (json_is_boolean(v))
		return (json_is_true(v));
	if (json_is_integer(v))
		return (json_integer_value(v) != 0);
	if (json_is_string(v))
		for (i = 0; on[i] != NULL; i++)
			if (strcasecmp(json_string_value(v), on[i]) == 0)
				return (1);
	return (0);
}

/* A list property: an array of strings, or one string. -1: neither. */
static int
ctest_list(json_t *v, const char *prefix, char ***out)
{
	json_t *e;
	size_t i;
	char *tag;

	if (json_is_string(v))
		v = json_pack("[O]", v);
	else if (json_is_array(v))
		json_incref(v);
	else
		return (-1);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			json_decref(v);
			return (-1);
		}
		xasprintf(&tag, "%s%s", prefix, json_string_value(e));
		if (!strv_contains(*out, tag))
			*out = strv_push(*out, tag);
		free(tag);
	}
	json_decref(v);
	return (0);
}

static void
ctest_unhonoured(struct ctest *c, const char *prop, const char *id)
{
	size_t i;

	for (i = 0; i < c->nun; i++) {
		if (strcmp(c->un[i].name, prop) == 0) {
			c->un[i].more++;
			return;
		}
	}
	c->un = xreallocarray(c->un, c->nun + 1, sizeof *c->un);
	c->un[c->nun].name = xstrdup(prop);
	c->un[c->nun].first = xstrdup(id);
	c->un[c->nun].more = 0;
	c->nun++;
}

/* Maps one property of t; -1 with err when its value makes no sense. */
static int
ctest_property(struct ctest *c, struct test_def *t, struct ctest_fix *f,
    const char *name, json_t *v, char *err, size_t len)
{
	char *cwd;
	int rc = 0;
	size_t i;

	if (strcmp(name, "WORKING_DIRECTORY") == 0) {
		if (!json_is_string(v))
			goto bad;
		free(t->cwd);
		if (json_string_value(v)[0] == '/')
			t->cwd = xstrdup(json_string_value(v));
		else {
			xasprintf(&cwd, "%s/%s", c->dir, json_string_value(v));
			t->cwd = cwd;
		}
	} else if (strcmp(name, "ENVIRONMENT") == 0) {
		rc = ctest_list(v, "", &t->env);
		for (i = 0; rc == 0 && t->env != NULL && t->env[i] != NULL;
		    i++)
			if (t->env[i][0] == '=' || strchr(t->env[i], '=') ==
			    NULL) {
				snprintf(err, len, "test '%s': ENVIRONMENT "
				    "'%s' is not NAME=VALUE", t->id, t->env[i]);
				return (-1);
			}
	} else if (strcmp(name, "TIMEOUT") == 0) {
		if (!json_is_number(v) || json_number_value(v) < 0)
			goto bad;
		t->timeout = json_number_value(v);	/* 0: no limit of its own */
	} else if (strcmp(name, "COST") == 0) {
		if (!json_is_number(v))
			goto bad;
		if (json_number_value(v) >= 0)
			t->estimate = json_number_value(v);
	} else if (strcmp(name, "DEPENDS") == 0)
		rc = ctest_list(v, "", &t->after);
	else if (strcmp(name, "FIXTURES_SETUP") == 0)
		rc = ctest_list(v, "", &f->setup);
	else if (strcmp(name, "FIXTURES_CLEANUP") == 0)
		rc = ctest_list(v, "", &f->cleanup);
	else if (strcmp(name, "FIXTURES_REQUIRED") == 0)
		rc = ctest_list(v, "", &f->required);
	else if (strcmp(name, "RESOURCE_LOCK") == 0)
		rc = ctest_list(v, "lock:", &t->tags);
	else if (strcmp(name, "LABELS") == 0)
		rc = ctest_list(v, "", &t->tags);
	else if (strcmp(name, "RUN_SERIAL") == 0) {
		if (ctest_is_on(v) && !strv_contains(t->tags, "node-mutex"))
			t->tags = strv_push(t->tags, "node-mutex");
	} else if (strcmp(name, "WILL_FAIL") == 0)
		t->will_fail = ctest_is_on(v);
	else if (strcmp(name, "SKIP_RETURN_CODE") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 255)
			goto bad;
		t->skip_code = (int)json_integer_value(v);
	} else if (strcmp(name, "PASS_REGULAR_EXPRESSION") == 0)
		rc = ctest_list(v, "", &t->pass_regex);
	else if (strcmp(name, "FAIL_REGULAR_EXPRESSION") == 0)
		rc = ctest_list(v, "", &t->fail_regex);
	else if (strcmp(name, "DISABLED") == 0)
		;	/* read by ctest_test, before the command */
	else
		ctest_unhonoured(c, name, t->id);
	if (rc == 0)
		return (0);
bad:
	snprintf(err, len, "test '%s': property %s has a value dagz does not "
	    "understand", t->id, name);
	return (-1);
}

/*
 * What runs in place of a test ctest would not run: a disabled test is
 * SKIPPED, saying so; one whose executable ctest did not find fails,
 * saying so.
 */
static void
ctest_stand_in(struct test_def *t, int disabled)
{
	char *q;

	strv_free(t->argv);
	t->argv = NULL;
	free(t->sh);
	/* Nothing of the test's own command is left to judge. */
	t->will_fail = 0;
	t->skip_code = -1;
	strv_free(t->pass_regex);
	strv_free(t->fail_regex);
	t->pass_regex = t->fail_regex = NULL;
	q = collect_sh_quote(t->id);
	if (disabled) {
		xasprintf(&t->sh, "echo ctest: test %s is disabled; exit 77",
		    q);
		t->skip_code = 77;
		free(t->skip_reason);
		t->skip_reason = xstrdup("disabled in ctest (DISABLED)");
	} else
		xasprintf(&t->sh, "echo ctest: could not find the executable "
		    "of test %s >&2; exit 1", q);
	free(q);
}

/* Reads one test of ctest's list into t. */
static int
ctest_test(struct ctest *c, json_t *o, struct test_def *t,
    struct ctest_fix *f, char *err, size_t len)
{
	json_t *cmd, *props, *p, *e, *disabled = NULL;
	const char *name;
	size_t i;

	testdef_init(t);
	memset(f, 0, sizeof *f);
	if (!json_is_object(o) || !json_is_string(json_object_get(o, "name")) ||
	    *json_string_value(json_object_get(o, "name")) == '\0') {
		snprintf(err, len, "ctest lists a test without a name");
		return (-1);
	}
	t->id = xstrdup(json_string_value(json_object_get(o, "name")));
	if (strlen(t->id) > TESTDEF_ID_MAX) {
		snprintf(err, len, "test '%.64s...': the name is longer than "
		    "%d characters", t->id, TESTDEF_ID_MAX);
		return (-1);
	}
	t->cwd = xstrdup(c->dir);
	if ((cmd = json_object_get(o, "command")) != NULL) {
		if (!json_is_array(cmd) || json_array_size(cmd) == 0)
			goto badcmd;
		json_array_foreach(cmd, i, e) {
			if (!json_is_string(e))
				goto badcmd;
			t->argv = strv_push(t->argv, json_string_value(e));
		}
	}
	props = json_object_get(o, "properties");
	if (props != NULL && !json_is_array(props)) {
		snprintf(err, len, "test '%s': \"properties\" is not a list",
		    t->id);
		return (-1);
	}
	json_array_foreach(props, i, p) {
		if (!json_is_object(p) ||
		    !json_is_string(json_object_get(p, "name")) ||
		    json_object_get(p, "value") == NULL) {
			snprintf(err, len, "test '%s': a property without a "
			    "name or a value", t->id);
			return (-1);
		}
		name = json_string_value(json_object_get(p, "name"));
		if (strcmp(name, "DISABLED") == 0)
			disabled = json_object_get(p, "value");
		if (ctest_property(c, t, f, name, json_object_get(p, "value"),
		    err, len) == -1)
			return (-1);
	}
	if (disabled != NULL && ctest_is_on(disabled))
		ctest_stand_in(t, 1);
	else if (t->argv == NULL)
		ctest_stand_in(t, 0);
	return (0);
badcmd:
	snprintf(err, len, "test '%s': \"command\" is not a list of strings",
	    t->id);
	return (-1);
}

/*
 * Checks t as the scheduler will decode it, so that a value ctest
 * accepts and dagz does not (a regular expression that is not POSIX) is
 * bad input here, naming the test.
 */
static int
ctest_valid(const struct test_def *t, char *err, size_t len)
{
	struct test_def copy;
	json_t *o;
	int rc;

	o = testdef_to_json(t);
	rc = testdef_from_json(o, &copy, err, len);
	json_decref(o);
	if (rc == 0)
		testdef_clear(&copy);
	return (rc);
}

/* Appends to *v each test of c whose fixture list (by field) has fx. */
static void
ctest_fixture_tests(struct ctest *c, size_t field, const char *fx,
    const char *self, char ***v)
{
	struct ctest_fix *f;
	char **names;
	size_t i;

	for (i = 0; i < c->s->ntests; i++) {
		f = &c->fix[i];
		names = field == 0 ? f->setup : field == 1 ? f->required :
		    f->cleanup;
		if (strv_contains(names, fx) &&
		    strcmp(c->s->tests[i].id, self) != 0 &&
		    !strv_contains(*v, c->s->tests[i].id))
			*v = strv_push(*v, c->s->tests[i].id);
	}
}

/*
 * ctest's fixtures as needs and after: what requires F needs F's setup
 * tests; F's cleanup tests run after F's setup tests and everything that
 * requires F. DEPENDS on a test ctest does not list is dropped, as ctest
 * drops it; an after already implied by a need goes.
 */
static void
ctest_relations(struct ctest *c)
{
	struct test_def *t;
	char **after;
	size_t i, j;

	for (i = 0; i < c->s->ntests; i++) {
		t = &c->s->tests[i];
		for (j = 0; c->fix[i].required != NULL &&
		    c->fix[i].required[j] != NULL; j++)
			ctest_fixture_tests(c, 0, c->fix[i].required[j], t->id,
			    &t->needs);
		for (j = 0; c->fix[i].cleanup != NULL &&
		    c->fix[i].cleanup[j] != NULL; j++) {
			ctest_fixture_tests(c, 0, c->fix[i].cleanup[j], t->id,
			    &t->after);
			ctest_fixture_tests(c, 1, c->fix[i].cleanup[j], t->id,
			    &t->after);
		}
	}
	for (i = 0; i < c->s->ntests; i++) {
		t = &c->s->tests[i];
		after = NULL;
		for (j = 0; t->after != NULL && t->after[j] != NULL; j++) {
			if (strcmp(t->after[j], t->id) == 0 ||
			    strv_contains(t->needs, t->after[j]))
				continue;
			if (suite_find(c->s, t->after[j]) == NULL) {
				log_warnx("ctest: test '%s' DEPENDS on '%s', "
				    "which ctest does not list", t->id,
				    t->after[j]);
				continue;
			}
			after = strv_push(after, t->after[j]);
		}
		strv_free(t->after);
		t->after = after;
	}
}

/* Runs ctest and parses what it lists; the caller frees the JSON. */
static json_t *
ctest_list_tests(const char *dir, char *err, size_t len)
{
	char *argv[] = { "ctest", "--test-dir", (char *)dir,
	    "--show-only=json-v1", NULL };
	char *out, *errout, *last, *nl, *json;
	json_t *root;
	json_error_t jerr;
	int rc;

	rc = collect_run(argv, dir, &out, &errout);
	if (rc != 0) {
		/* The last line of what ctest said is the reason. */
		last = errout != NULL ? errout : "";
		while ((nl = strrchr(last, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		if ((nl = strrchr(last, '\n')) != NULL)
			last = nl + 1;
		if (rc == -1)
			snprintf(err, len, "%s: cannot run ctest: %s", dir,
			    last);
		else
			snprintf(err, len, "%s: ctest --show-only=json-v1 "
			    "failed (exit %d)%s%s", dir, rc, *last != '\0' ?
			    ": " : "", last);
		free(out);
		free(errout);
		return (NULL);
	}
	free(errout);
	/* ctest may say something before the list, as a bad regex. */
	for (json = out; *json != '\0' && *json != '{'; json = nl + 1) {
		if ((nl = strchr(json, '\n')) == NULL)
			break;
		*nl = '\0';
		log_warnx("ctest: %s", json);
	}
	root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	free(out);
	if (root == NULL) {
		snprintf(err, len, "%s: cannot read what ctest lists: line %d: "
		    "%s", dir, jerr.line, jerr.text);
		return (NULL);
	}
	if (!json_is_object(root) || !json_is_array(json_object_get(root,
	    "tests")) || json_integer_value(json_object_get(json_object_get(
	    root, "version"), "major")) != 1) {
		snprintf(err, len, "%s: ctest's list is not json-v1 as dagz "
		    "knows it", dir);
		json_decref(root);
		return (NULL);
	}
	return (root);
}

/* The build directory, absolute, checked to be one ctest can read. */
static char *
ctest_dir(const struct adapter_spec *a, char *err, size_t len)
{
	struct stat st;
	char *dir, *file;

	if (a->args == NULL || a->args[0] == NULL || a->args[1] != NULL) {
		snprintf(err, len, "%s: give one build directory", a->source);
		return (NULL);
	}
	if (a->args[0][0] == '/')
		dir = xstrdup(a->args[0]);
	else
		xasprintf(&dir, "%s/%s", a->dir, a->args[0]);
	errno = 0;
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		snprintf(err, len, "%s: cannot use '%s' as a build directory: "
		    "%s", a->source, a->args[0], errno != 0 ? strerror(errno) :
		    "not a directory");
		free(dir);
		return (NULL);
	}
	xasprintf(&file, "%s/CTestTestfile.cmake", dir);
	if (access(file, F_OK) == -1) {
		snprintf(err, len, "%s: '%s' is not a ctest build directory "
		    "(no CTestTestfile.cmake: run cmake first)", a->source,
		    a->args[0]);
		free(file);
		free(dir);
		return (NULL);
	}
	free(file);
	return (dir);
}

int
collect_ctest(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	struct ctest c;
	struct test_def t;
	json_t *root, *tests, *o;
	char reason[1024];
	size_t i, n = 0;
	int rc = -1;

	memset(&c, 0, sizeof c);
	suite_init(s);
	c.s = s;
	if ((c.dir = ctest_dir(a, err, len)) == NULL)
		return (-1);
	if ((root = ctest_list_tests(c.dir, err, len)) == NULL)
		goto out;
	tests = json_object_get(root, "tests");
	if (json_array_size(tests) == 0) {
		snprintf(err, len, "%s: ctest lists no test in '%s'", a->source,
		    a->args[0]);
		goto out;
	}
	n = json_array_size(tests);
	c.fix = xcalloc(n, sizeof *c.fix);
	json_array_foreach(tests, i, o) {
		if (ctest_test(&c, o, &t, &c.fix[i], reason,
		    sizeof reason) == -1) {
			snprintf(err, len, "%s: %s", c.dir, reason);
			testdef_clear(&t);
			goto out;
		}
		if (ctest_valid(&t, reason, sizeof reason) == -1) {
			snprintf(err, len, "%s: %s", c.dir, reason);
			testdef_clear(&t);
			goto out;
		}
		if (suite_find(s, t.id) != NULL) {
			snprintf(err, len, "%s: ctest lists test '%s' twice",
			    c.dir, t.id);
			testdef_clear(&t);
			goto out;
		}
		suite_add_test(s, &t);
	}
	ctest_relations(&c);
	/* Its own messages say FILE:LINE; ctest's list has no lines. */
	if (suite_check(s, "", NULL, reason, sizeof reason) == -1) {
		snprintf(err, len, "%s: %s", c.dir, strncmp(reason, ":0: ",
		    4) == 0 ? reason + 4 : reason);
		goto out;
	}
	for (i = 0; i < c.nun; i++) {
		if (c.un[i].more > 0)
			log_warnx("ctest: test '%s' and %zu more: property %s "
			    "is not honoured", c.un[i].first, c.un[i].more,
			    c.un[i].name);
		else
			log_warnx("ctest: test '%s': property %s is not "
			    "honoured", c.un[i].first, c.un[i].name);
	}
	s->dir = xstrdup(c.dir);
	rc = 0;
out:
	for (i = 0; c.fix != NULL && i < n; i++) {
		strv_free(c.fix[i].setup);
		strv_free(c.fix[i].cleanup);
		strv_free(c.fix[i].required);
	}
	free(c.fix);
	for (i = 0; i < c.nun; i++) {
		free(c.un[i].name);
		free(c.un[i].first);
	}
	free(c.un);
	json_decref(root);
	free((char *)c.dir);
	if (rc == -1)
		suite_clear(s);
	return (rc);
}
