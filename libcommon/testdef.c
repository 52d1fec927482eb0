/*
 * testdef.c: decoding and encoding of test and fixture definitions. The
 * decoder is strict: an unknown key, a wrong type or an ambiguous
 * command is an error naming the key, so a typo in a manifest never
 * passes silently.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "strv.h"
#include "testdef.h"
#include "utf8.h"
#include "xmalloc.h"

static const char *const testdef_keys[] = {
	"id", "cmd", "sh", "cwd", "env", "timeout", "estimate", "needs",
	"fixtures", "tags", "format", "after", "will_fail", "skip_code",
	"skip_reason", "pass_regex", "fail_regex", "transient_code",
	"transient_file", "source", "coverage", "subset", NULL
};

static const char *const fixturedef_keys[] = {
	"fixture", "setup", "teardown", NULL
};

void
testdef_init(struct test_def *t)
{
	memset(t, 0, sizeof *t);
	t->estimate = -1;
	t->skip_code = -1;
	t->transient_code = -1;
}

void
testdef_clear(struct test_def *t)
{
	free(t->id);
	strv_free(t->argv);
	free(t->sh);
	free(t->cwd);
	strv_free(t->env);
	strv_free(t->needs);
	strv_free(t->fixtures);
	strv_free(t->tags);
	free(t->format);
	strv_free(t->after);
	free(t->skip_reason);
	strv_free(t->pass_regex);
	strv_free(t->fail_regex);
	free(t->transient_file);
	free(t->source);
	free(t->coverage);
	testdef_init(t);
}

int
testdef_check_id(const char *id, char *err, size_t len)
{
	const unsigned char *p;
	size_t n;

	if (*id == '\0' || strlen(id) > TESTDEF_ID_MAX) {
		snprintf(err, len, "\"id\" must be 1 to %d characters",
		    TESTDEF_ID_MAX);
		return (-1);
	}
	for (p = (const unsigned char *)id; *p != '\0'; p += n) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, len, "\"id\" has a control character "
			    "(0x%02x)", *p);
			return (-1);
		}
		if ((n = utf8_next((const char *)p, strlen((const char *)p))) ==
		    0) {
			snprintf(err, len, "\"id\" is not UTF-8 (byte 0x%02x)",
			    *p);
			return (-1);
		}
	}
	return (0);
}

/* Reads "env": an object of string values, into NAME=VALUE pairs. */
static int
testdef_env(json_t *obj, char ***out, char *err, size_t len)
{
	json_t *env, *v;
	const char *k;
	char *pair;

	*out = NULL;
	if ((env = json_object_get(obj, "env")) == NULL || json_is_null(env))
		return (0);
	if (!json_is_object(env)) {
		snprintf(err, len, "\"env\" must be an object of strings");
		return (-1);
	}
	json_object_foreach(env, k, v) {
		if (!json_is_string(v)) {
			snprintf(err, len, "\"env\" value of '%s' must be a "
			    "string", k);
			return (-1);
		}
		if (*k == '\0' || strchr(k, '=') != NULL) {
			snprintf(err, len, "\"env\" name '%s' is not valid", k);
			return (-1);
		}
	}
	json_object_foreach(env, k, v) {
		xasprintf(&pair, "%s=%s", k, json_string_value(v));
		*out = strv_push(*out, pair);
		free(pair);
	}
	return (0);
}

/* "timeout": seconds, above 0; one message for every way it can be wrong. */
static int
testdef_timeout(json_t *obj, double *out, char *err, size_t len)
{
	json_t *v = json_object_get(obj, "timeout");

	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_number(v) || !(json_number_value(v) > 0) ||
	    json_number_value(v) > TESTDEF_SECONDS_MAX) {
		snprintf(err, len, "\"timeout\" must be a number of seconds "
		    "above 0");
		return (-1);
	}
	*out = json_number_value(v);
	return (0);
}

/* "estimate": seconds, 0 or more, no more than a timeout may be. */
static int
testdef_estimate(json_t *obj, double *out, char *err, size_t len)
{
	double d;

	if (jsonv_number(obj, "estimate", 0, 0, &d, err, len) == -1)
		return (-1);
	if (json_object_get(obj, "estimate") == NULL ||
	    json_is_null(json_object_get(obj, "estimate")))
		return (0);
	if (d > TESTDEF_SECONDS_MAX) {
		snprintf(err, len, "\"estimate\" must be a number of seconds, "
		    "0 to %.0f", TESTDEF_SECONDS_MAX);
		return (-1);
	}
	*out = d;
	return (0);
}

/* Checks that each string of v is a non-empty id. */
static int
testdef_idlist(char **v, const char *key, char *err, size_t len)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (*v[i] == '\0') {
			snprintf(err, len, "\"%s\" has an empty name", key);
			return (-1);
		}
	}
	return (0);
}

/* An exit status key: an integer 0 to 255, or absent (-1). */
static int
testdef_code(json_t *obj, const char *key, int *out, char *err, size_t len)
{
	long long v;
	json_t *j = json_object_get(obj, key);

	*out = -1;
	if (j == NULL || json_is_null(j))
		return (0);
	if (jsonv_int(obj, key, 0, 0, 255, &v, err, len) == -1) {
		snprintf(err, len, "\"%s\" must be an exit status, 0 to 255",
		    key);
		return (-1);
	}
	*out = (int)v;
	return (0);
}

/*
 * Checks that each pattern of v compiles as the worker will compile it,
 * so that a bad one is refused with the manifest, not at run time.
 */
static int
testdef_regexes(char **v, const char *key, char *err, size_t len)
{
	regex_t re;
	char why[256];
	size_t i;
	int rc;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if ((rc = regcomp(&re, v[i], TESTDEF_REGEX_FLAGS)) != 0) {
			regerror(rc, &re, why, sizeof why);
			snprintf(err, len, "\"%s\": bad regex '%s': %s", key,
			    v[i], why);
			return (-1);
		}
		regfree(&re);
	}
	return (0);
}

/* The keys that say how a result is read beyond its exit status. */
static int
testdef_result_keys(json_t *obj, struct test_def *t, char *err, size_t len)
{
	json_t *wf;

	if (jsonv_string(obj, "format", 0, &t->format, err, len) == -1)
		return (-1);
	if (t->format != NULL && strcmp(t->format, "tap") != 0) {
		snprintf(err, len, "\"format\" must be \"tap\", not \"%s\"",
		    t->format);
		return (-1);
	}
	if ((wf = json_object_get(obj, "will_fail")) != NULL &&
	    !json_is_null(wf)) {
		if (!json_is_boolean(wf)) {
			snprintf(err, len, "\"will_fail\" must be true or "
			    "false");
			return (-1);
		}
		t->will_fail = json_is_true(wf);
	}
	if ((wf = json_object_get(obj, "subset")) != NULL &&
	    !json_is_null(wf)) {
		if (!json_is_boolean(wf)) {
			snprintf(err, len, "\"subset\" must be true or false");
			return (-1);
		}
		t->subset = json_is_true(wf);
	}
	if (jsonv_strv(obj, "after", 0, &t->after, err, len) == -1 ||
	    testdef_idlist(t->after, "after", err, len) == -1 ||
	    testdef_code(obj, "skip_code", &t->skip_code, err, len) == -1 ||
	    jsonv_string(obj, "skip_reason", 0, &t->skip_reason, err,
	    len) == -1 ||
	    jsonv_strv(obj, "pass_regex", 0, &t->pass_regex, err, len) == -1 ||
	    testdef_regexes(t->pass_regex, "pass_regex", err, len) == -1 ||
	    jsonv_strv(obj, "fail_regex", 0, &t->fail_regex, err, len) == -1 ||
	    testdef_regexes(t->fail_regex, "fail_regex", err, len) == -1 ||
	    testdef_code(obj, "transient_code", &t->transient_code, err,
	    len) == -1 ||
	    jsonv_string(obj, "transient_file", 0, &t->transient_file, err,
	    len) == -1 ||
	    jsonv_string(obj, "source", 0, &t->source, err, len) == -1 ||
	    jsonv_string(obj, "coverage", 0, &t->coverage, err, len) == -1)
		return (-1);
	if (t->coverage != NULL && strcmp(t->coverage, "python") != 0) {
		snprintf(err, len, "\"coverage\" must be \"python\"");
		return (-1);
	}
	if ((t->transient_code == -1) != (t->transient_file == NULL)) {
		snprintf(err, len, "\"transient_code\" and "
		    "\"transient_file\" go together");
		return (-1);
	}
	return (0);
}

/*
 * Decodes and validates one test; on error fills err with the reason
 * (prefixed with the test's id once it is known) and returns -1.
 */
int
testdef_from_json(json_t *obj, struct test_def *t, char *err, size_t len)
{
	char reason[512];
	size_t rl = sizeof reason;

	testdef_init(t);
	if (!json_is_object(obj)) {
		snprintf(err, len, "expected a JSON object");
		return (-1);
	}
	if (jsonv_string(obj, "id", JSONV_REQUIRED, &t->id, err, len) == -1)
		return (-1);
	if (testdef_check_id(t->id, err, len) == -1)
		goto fail;
	if (jsonv_keys(obj, testdef_keys, reason, rl) == -1 ||
	    jsonv_argv(obj, "cmd", &t->argv, reason, rl) == -1 ||
	    jsonv_string(obj, "sh", 0, &t->sh, reason, rl) == -1 ||
	    jsonv_string(obj, "cwd", 0, &t->cwd, reason, rl) == -1 ||
	    testdef_env(obj, &t->env, reason, rl) == -1 ||
	    testdef_timeout(obj, &t->timeout, reason, rl) == -1 ||
	    testdef_estimate(obj, &t->estimate, reason, rl) == -1 ||
	    jsonv_strv(obj, "needs", 0, &t->needs, reason, rl) == -1 ||
	    testdef_idlist(t->needs, "needs", reason, rl) == -1 ||
	    jsonv_strv(obj, "fixtures", 0, &t->fixtures, reason, rl) == -1 ||
	    testdef_idlist(t->fixtures, "fixtures", reason, rl) == -1 ||
	    jsonv_strv(obj, "tags", 0, &t->tags, reason, rl) == -1 ||
	    testdef_result_keys(obj, t, reason, rl) == -1)
		goto bad;
	if (t->argv != NULL && t->sh != NULL) {
		snprintf(reason, rl, "both \"cmd\" and \"sh\" given");
		goto bad;
	}
	if (t->argv == NULL && t->sh == NULL) {
		snprintf(reason, rl, "neither \"cmd\" nor \"sh\" given");
		goto bad;
	}
	if (strv_contains(t->needs, t->id)) {
		snprintf(reason, rl, "needs itself");
		goto bad;
	}
	return (0);
bad:
	snprintf(err, len, "test '%s': %s", t->id, reason);
fail:
	testdef_clear(t);
	return (-1);
}

static json_t *
strv_to_json(char *const *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, json_string(v[i]));
	return (a);
}

/* Returns a new reference: the test in its manifest form. */
json_t *
testdef_to_json(const struct test_def *t)
{
	json_t *o = json_object(), *env;
	size_t i;
	char *eq;

	json_object_set_new(o, "id", json_string(t->id));
	if (t->argv != NULL)
		json_object_set_new(o, "cmd", strv_to_json(t->argv));
	if (t->sh != NULL)
		json_object_set_new(o, "sh", json_string(t->sh));
	if (t->cwd != NULL)
		json_object_set_new(o, "cwd", json_string(t->cwd));
	if (t->env != NULL) {
		env = json_object();
		for (i = 0; t->env[i] != NULL; i++) {
			eq = strchr(t->env[i], '=');
			*eq = '\0';
			json_object_set_new(env, t->env[i], json_string(eq + 1));
			*eq = '=';
		}
		json_object_set_new(o, "env", env);
	}
	if (t->timeout > 0)
		json_object_set_new(o, "timeout", json_real(t->timeout));
	if (t->estimate >= 0)
		json_object_set_new(o, "estimate", json_real(t->estimate));
	if (t->needs != NULL)
		json_object_set_new(o, "needs", strv_to_json(t->needs));
	if (t->fixtures != NULL)
		json_object_set_new(o, "fixtures", strv_to_json(t->fixtures));
	if (t->tags != NULL)
		json_object_set_new(o, "tags", strv_to_json(t->tags));
	if (t->format != NULL)
		json_object_set_new(o, "format", json_string(t->format));
	if (t->after != NULL)
		json_object_set_new(o, "after", strv_to_json(t->after));
	if (t->will_fail)
		json_object_set_new(o, "will_fail", json_true());
	if (t->skip_code >= 0)
		json_object_set_new(o, "skip_code", json_integer(t->skip_code));
	if (t->skip_reason != NULL)
		json_object_set_new(o, "skip_reason",
		    json_string(t->skip_reason));
	if (t->pass_regex != NULL)
		json_object_set_new(o, "pass_regex",
		    strv_to_json(t->pass_regex));
	if (t->fail_regex != NULL)
		json_object_set_new(o, "fail_regex",
		    strv_to_json(t->fail_regex));
	if (t->transient_code >= 0) {
		json_object_set_new(o, "transient_code",
		    json_integer(t->transient_code));
		json_object_set_new(o, "transient_file",
		    json_string(t->transient_file));
	}
	if (t->source != NULL)
		json_object_set_new(o, "source", json_string(t->source));
	if (t->coverage != NULL)
		json_object_set_new(o, "coverage", json_string(t->coverage));
	if (t->subset)
		json_object_set_new(o, "subset", json_true());
	return (o);
}

int
testdef_has_tag(const struct test_def *t, const char *tag)
{
	return (strv_contains(t->tags, tag));
}

void
fixturedef_clear(struct fixture_def *f)
{
	free(f->name);
	strv_free(f->setup_argv);
	free(f->setup_sh);
	strv_free(f->teardown_argv);
	free(f->teardown_sh);
	memset(f, 0, sizeof *f);
}

/* A fixture command is an argv array or shell text. */
static int
fixturedef_cmd(json_t *obj, const char *key, char ***argv, char **sh,
    char *err, size_t len)
{
	json_t *v = json_object_get(obj, key);

	*argv = NULL;
	*sh = NULL;
	if (v == NULL || json_is_null(v))
		return (0);
	if (json_is_string(v))
		return (jsonv_string(obj, key, 0, sh, err, len));
	if (jsonv_argv(obj, key, argv, err, len) == -1) {
		snprintf(err, len, "\"%s\" must be a string or a non-empty "
		    "array of strings", key);
		return (-1);
	}
	return (0);
}

int
fixturedef_from_json(json_t *obj, struct fixture_def *f, char *err,
    size_t len)
{
	char reason[512];

	memset(f, 0, sizeof *f);
	if (jsonv_string(obj, "fixture", JSONV_REQUIRED, &f->name, err,
	    len) == -1)
		return (-1);
	if (*f->name == '\0') {
		snprintf(err, len, "\"fixture\" must not be empty");
		goto fail;
	}
	if (jsonv_keys(obj, fixturedef_keys, reason, sizeof reason) == -1 ||
	    fixturedef_cmd(obj, "setup", &f->setup_argv, &f->setup_sh, reason,
	    sizeof reason) == -1 ||
	    fixturedef_cmd(obj, "teardown", &f->teardown_argv, &f->teardown_sh,
	    reason, sizeof reason) == -1) {
		snprintf(err, len, "fixture '%s': %s", f->name, reason);
		goto fail;
	}
	return (0);
fail:
	fixturedef_clear(f);
	return (-1);
}

json_t *
fixturedef_to_json(const struct fixture_def *f)
{
	json_t *o = json_object();

	json_object_set_new(o, "fixture", json_string(f->name));
	if (f->setup_argv != NULL)
		json_object_set_new(o, "setup", strv_to_json(f->setup_argv));
	else if (f->setup_sh != NULL)
		json_object_set_new(o, "setup", json_string(f->setup_sh));
	if (f->teardown_argv != NULL)
		json_object_set_new(o, "teardown",
		    strv_to_json(f->teardown_argv));
	else if (f->teardown_sh != NULL)
		json_object_set_new(o, "teardown", json_string(f->teardown_sh));
	return (o);
}
