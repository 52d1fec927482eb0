/*
 * unit-libcommon.c: unit tests of libcommon in TAP. Every manifest and
 * executable it needs is made under a private temporary directory, so
 * the expected messages (which hold paths) are exact.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "jsonflat.h"
#include "jsonv.h"
#include "ndjson.h"
#include "proto.h"
#include "status.h"
#include "strv.h"
#include "suite.h"
#include "testdef.h"
#include "timeutil.h"
#include "xmalloc.h"

#include "unit.h"

static char tmpdir[PATH_MAX];

/* Parses JSON the test itself wrote; a failure is a bug in the test. */
static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *o;

	if ((o = json_loads(text, JSON_ALLOW_NUL, &e)) == NULL) {
		printf("Bail out! bad JSON in test: %s: %s\n", text, e.text);
		exit(1);
	}
	return (o);
}

/* Writes len bytes to a new file under dir (mkstemp); returns its path. */
static char *
write_temp_n(const char *dir, const char *text, size_t len)
{
	char *path;
	int fd;

	xasprintf(&path, "%s/manifest.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, len) != (ssize_t)len || close(fd) == -1) {
		printf("Bail out! cannot write %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	return (path);
}

static char *
write_temp(const char *dir, const char *text)
{
	return (write_temp_n(dir, text, strlen(text)));
}

static void
test_strv(void)
{
	char **v = NULL, **c;
	char *const *empty = NULL;

	ok(strv_len(empty) == 0, "strv: NULL is the empty vector");
	ok(!strv_contains(empty, "a"), "strv: the empty vector contains nothing");
	v = strv_push(v, "a");
	v = strv_push(v, "bb");
	v = strv_push(v, "");
	ok(strv_len(v) == 3, "strv_push: three pushes give length 3");
	ok(streq(v[0], "a") && streq(v[1], "bb") && streq(v[2], "") &&
	    v[3] == NULL, "strv_push: elements in order, NULL-terminated");
	ok(strv_contains(v, "bb"), "strv_contains: finds an element");
	ok(strv_contains(v, ""), "strv_contains: finds the empty string");
	ok(!strv_contains(v, "b"), "strv_contains: no prefix match");
	c = strv_copy(v);
	ok(c != v && strv_len(c) == 3 && c[0] != v[0] &&
	    streq(c[0], "a") && streq(c[1], "bb") && streq(c[2], "") &&
	    c[3] == NULL, "strv_copy: a deep copy with equal strings");
	strv_free(v);
	ok(streq(c[1], "bb"), "strv_copy: the copy outlives the original");
	strv_free(c);
	ok(strv_copy(empty) == NULL, "strv_copy: of the empty vector is NULL");
	strv_free(NULL);
	ok(1, "strv_free: NULL is a no-op");
}

/* jsonflat_parse on s, in a copy: 0 if it took it, and whether s stayed. */
static int
flat(const char *s, struct jflat_field *f, size_t max, size_t *n,
    char *copy, size_t cap)
{
	snprintf(copy, cap, "%s", s);
	return (jsonflat_parse(copy, strlen(copy), f, max, n));
}

static void
test_jsonflat(void)
{
	struct jflat_field f[4];
	const struct jflat_field *v;
	char line[256];
	size_t n;
	static const char *const refused[] = {
		"", "[]", "{", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1}",
		"{\"a\":01}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}",
		"{\"a\":tru}", "{\"a\":[1]}", "{\"a\":{}}",
		"{\"a\":\"x\\\"y\"}", "{\"a\":\"caf\xc3\xa9\"}",
		"{\"a\":\"tab\there\"}", "{\"a\":1} x", "{a:1}",
		"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}",
	};
	size_t i;

	ok(flat("{\"test\": \"t1\", \"def\":\"00ff\",\"n\":-1.5e+3, "
	    "\"ok\":true,\"no\":null}\n", f, 4, &n, line, sizeof line) == -1,
	    "jsonflat: more fields than room refused");
	ok(flat("{\"test\": \"t1\", \"def\":\"00ff\",\"n\":-1.5e+3}\n", f,
	    4, &n, line, sizeof line) == 0 && n == 3, "jsonflat: flat object");
	v = jsonflat_string(f, n, "test");
	ok(v != NULL && v->vlen == 2 && memcmp(v->val, "t1", 2) == 0,
	    "jsonflat: string value");
	v = jsonflat_get(f, n, "n");
	ok(v != NULL && v->type == JFLAT_NUMBER && v->vlen == 7,
	    "jsonflat: number value");
	ok(jsonflat_string(f, n, "n") == NULL, "jsonflat: number not a string");
	ok(jsonflat_get(f, n, "te") == NULL, "jsonflat: no prefix match");
	ok(strcmp(line, "{\"test\": \"t1\", \"def\":\"00ff\",\"n\":-1.5e+3}"
	    "\n") == 0, "jsonflat: reading changes nothing");
	jsonflat_end(f, n);
	ok(strcmp(jsonflat_string(f, n, "def")->val, "00ff") == 0 &&
	    strcmp(f[0].key, "test") == 0, "jsonflat: ended in place");
	ok(flat(" {\"a\":\"1\",\"a\":\"2\"} ", f, 4, &n, line,
	    sizeof line) == 0 && jsonflat_string(f, n, "a")->val[0] == '2',
	    "jsonflat: last of a repeated key");
	ok(flat("{}", f, 4, &n, line, sizeof line) == 0 && n == 0,
	    "jsonflat: empty object");
	ok(flat("{\"t\":false,\"u\":null,\"v\":0}", f, 4, &n, line,
	    sizeof line) == 0 && f[0].type == JFLAT_FALSE &&
	    f[1].type == JFLAT_NULL && f[2].type == JFLAT_NUMBER,
	    "jsonflat: literals");
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ok(flat(refused[i], f, 4, &n, line, sizeof line) == -1 &&
		    strcmp(line, refused[i]) == 0,
		    "jsonflat: refused and unchanged: %s", refused[i]);
}

static void
test_jsonv(void)
{
	static const char *const keys[] = { "a", "b", NULL };
	json_t *o;
	char err[256], *s, **v;
	long long ll;
	double d;
	int rc;

	o = J("{\"a\": 1, \"b\": 2}");
	err[0] = '\0';
	rc = jsonv_keys(o, keys, err, sizeof err);
	ok(rc == 0 && err[0] == '\0', "jsonv_keys: allowed keys pass");
	json_decref(o);
	o = J("{\"a\": 1, \"tmeout\": 2}");
	rc = jsonv_keys(o, keys, err, sizeof err);
	ok(rc == -1, "jsonv_keys: an unknown key is rejected");
	is_str(err, "unknown key \"tmeout\"", "jsonv_keys: names the key");
	json_decref(o);
	o = J("{\"tr\\nsient\": 2}");
	rc = jsonv_keys(o, keys, err, sizeof err);
	is_str(err, "unknown key \"tr\\nsient\"", "jsonv_keys: a key with a "
	    "line break is named on one line");
	json_decref(o);

	o = J("{\"s\": \"x\", \"n\": 5, \"z\": null, \"nul\": \"a\\u0000b\","
	    " \"r\": 1.5, \"neg\": -1, \"big\": 11, \"arr\": [\"p\", \"q\"],"
	    " \"mixed\": [\"p\", 1], \"empty\": [], \"obj\": {}}");
	rc = jsonv_string(o, "s", JSONV_REQUIRED, &s, err, sizeof err);
	ok(rc == 0 && streq(s, "x"), "jsonv_string: reads a string");
	free(s);
	rc = jsonv_string(o, "n", JSONV_OPTIONAL, &s, err, sizeof err);
	ok(rc == -1 && s == NULL, "jsonv_string: rejects a number");
	is_str(err, "\"n\" must be a string", "jsonv_string: wrong type message");
	rc = jsonv_string(o, "nul", JSONV_OPTIONAL, &s, err, sizeof err);
	ok(rc == -1 && s == NULL, "jsonv_string: rejects an embedded NUL");
	is_str(err, "\"nul\" must not contain NUL", "jsonv_string: NUL message");
	rc = jsonv_string(o, "nope", JSONV_OPTIONAL, &s, err, sizeof err);
	ok(rc == 0 && s == NULL, "jsonv_string: optional and absent is NULL");
	rc = jsonv_string(o, "z", JSONV_OPTIONAL, &s, err, sizeof err);
	ok(rc == 0 && s == NULL, "jsonv_string: null counts as absent");
	rc = jsonv_string(o, "nope", JSONV_REQUIRED, &s, err, sizeof err);
	ok(rc == -1, "jsonv_string: required and absent fails");
	is_str(err, "missing \"nope\"", "jsonv_string: missing message");
	rc = jsonv_string(o, "z", JSONV_REQUIRED, &s, err, sizeof err);
	ok(rc == -1, "jsonv_string: required and null fails");
	is_str(err, "missing \"z\"", "jsonv_string: null is missing");

	ll = 42;
	rc = jsonv_int(o, "n", JSONV_REQUIRED, 0, 10, &ll, err, sizeof err);
	ok(rc == 0 && ll == 5, "jsonv_int: reads an integer in range");
	rc = jsonv_int(o, "n", JSONV_REQUIRED, 5, 5, &ll, err, sizeof err);
	ok(rc == 0 && ll == 5, "jsonv_int: bounds are inclusive");
	ll = 42;
	rc = jsonv_int(o, "big", JSONV_REQUIRED, 0, 10, &ll, err, sizeof err);
	ok(rc == -1 && ll == 42, "jsonv_int: above max is rejected");
	is_str(err, "\"big\" must be an integer from 0 to 10",
	    "jsonv_int: range message");
	rc = jsonv_int(o, "neg", JSONV_REQUIRED, 0, 10, &ll, err, sizeof err);
	ok(rc == -1, "jsonv_int: below min is rejected");
	is_str(err, "\"neg\" must be an integer from 0 to 10",
	    "jsonv_int: range message below");
	rc = jsonv_int(o, "r", JSONV_REQUIRED, 0, 10, &ll, err, sizeof err);
	ok(rc == -1, "jsonv_int: a real is rejected");
	is_str(err, "\"r\" must be an integer from 0 to 10",
	    "jsonv_int: wrong type message");
	rc = jsonv_int(o, "s", JSONV_REQUIRED, 0, 10, &ll, err, sizeof err);
	ok(rc == -1, "jsonv_int: a string is rejected");
	ll = 42;
	rc = jsonv_int(o, "nope", JSONV_OPTIONAL, 0, 10, &ll, err, sizeof err);
	ok(rc == 0 && ll == 42, "jsonv_int: optional and absent leaves out alone");

	d = 7;
	rc = jsonv_number(o, "r", JSONV_REQUIRED, 0, &d, err, sizeof err);
	ok(rc == 0 && d == 1.5, "jsonv_number: reads a real");
	rc = jsonv_number(o, "n", JSONV_REQUIRED, 0, &d, err, sizeof err);
	ok(rc == 0 && d == 5, "jsonv_number: reads an integer");
	d = 7;
	rc = jsonv_number(o, "s", JSONV_REQUIRED, 0, &d, err, sizeof err);
	ok(rc == -1 && d == 7, "jsonv_number: rejects a string");
	is_str(err, "\"s\" must be a number", "jsonv_number: wrong type message");
	rc = jsonv_number(o, "neg", JSONV_REQUIRED, 0, &d, err, sizeof err);
	ok(rc == -1 && d == 7, "jsonv_number: rejects below min");
	is_str(err, "\"neg\" must be a number of at least 0",
	    "jsonv_number: range message");
	rc = jsonv_number(o, "r", JSONV_REQUIRED, 2, &d, err, sizeof err);
	ok(rc == -1, "jsonv_number: 1.5 is below min 2");
	is_str(err, "\"r\" must be a number of at least 2",
	    "jsonv_number: range message with min 2");
	rc = jsonv_number(o, "nope", JSONV_OPTIONAL, 0, &d, err, sizeof err);
	ok(rc == 0 && d == 7, "jsonv_number: optional and absent leaves out alone");
	rc = jsonv_number(o, "nope", JSONV_REQUIRED, 0, &d, err, sizeof err);
	ok(rc == -1, "jsonv_number: required and absent fails");
	is_str(err, "missing \"nope\"", "jsonv_number: missing message");

	rc = jsonv_strv(o, "arr", JSONV_REQUIRED, &v, err, sizeof err);
	ok(rc == 0 && strv_len(v) == 2 && streq(v[0], "p") && streq(v[1], "q"),
	    "jsonv_strv: reads an array of strings");
	strv_free(v);
	rc = jsonv_strv(o, "empty", JSONV_REQUIRED, &v, err, sizeof err);
	ok(rc == 0 && v == NULL, "jsonv_strv: the empty array is NULL");
	rc = jsonv_strv(o, "mixed", JSONV_REQUIRED, &v, err, sizeof err);
	ok(rc == -1 && v == NULL, "jsonv_strv: rejects a non-string element");
	is_str(err, "\"mixed\" must be an array of strings",
	    "jsonv_strv: element type message");
	rc = jsonv_strv(o, "s", JSONV_REQUIRED, &v, err, sizeof err);
	ok(rc == -1 && v == NULL, "jsonv_strv: rejects a string");
	is_str(err, "\"s\" must be an array of strings",
	    "jsonv_strv: wrong type message");
	rc = jsonv_strv(o, "nope", JSONV_OPTIONAL, &v, err, sizeof err);
	ok(rc == 0 && v == NULL, "jsonv_strv: optional and absent is NULL");

	rc = jsonv_argv(o, "arr", &v, err, sizeof err);
	ok(rc == 0 && strv_len(v) == 2, "jsonv_argv: reads a command");
	strv_free(v);
	rc = jsonv_argv(o, "empty", &v, err, sizeof err);
	ok(rc == -1 && v == NULL, "jsonv_argv: rejects the empty array");
	is_str(err, "\"empty\" must be a non-empty array of strings",
	    "jsonv_argv: empty message");
	rc = jsonv_argv(o, "obj", &v, err, sizeof err);
	ok(rc == -1 && v == NULL, "jsonv_argv: rejects an object");
	is_str(err, "\"obj\" must be a non-empty array of strings",
	    "jsonv_argv: wrong type message");
	rc = jsonv_argv(o, "nope", &v, err, sizeof err);
	ok(rc == 0 && v == NULL, "jsonv_argv: absent is NULL, not an error");
	json_decref(o);
}

/* Checks that a test definition is refused with exactly want. */
static void
testdef_bad(const char *text, const char *want)
{
	struct test_def t;
	char err[1024] = "";
	json_t *o = J(text);
	int rc;

	rc = testdef_from_json(o, &t, err, sizeof err);
	ok(rc == -1 && t.id == NULL && t.argv == NULL && t.sh == NULL,
	    "testdef_from_json rejects %s and leaves nothing", text);
	is_str(err, want, "testdef_from_json error for %s", text);
	json_decref(o);
}

static void
test_testdef(void)
{
	struct test_def t, t2;
	json_t *o, *back;
	char err[1024], longid[TESTDEF_ID_MAX + 32];
	int rc;

	testdef_bad("[]", "expected a JSON object");
	testdef_bad("{\"cmd\": [\"true\"]}", "missing \"id\"");
	testdef_bad("{\"id\": \"a\", \"cmd\": [\"true\"], \"subset\": 1}",
	    "test 'a': \"subset\" must be true or false");
	testdef_bad("{\"id\": null, \"cmd\": [\"true\"]}", "missing \"id\"");
	testdef_bad("{\"id\": 3, \"cmd\": [\"true\"]}", "\"id\" must be a string");
	testdef_bad("{\"id\": \"\", \"cmd\": [\"true\"]}",
	    "\"id\" must be 1 to 1024 characters");
	memset(longid, 'x', TESTDEF_ID_MAX + 1);
	longid[TESTDEF_ID_MAX + 1] = '\0';
	o = json_pack("{s:s, s:[s]}", "id", longid, "cmd", "true");
	rc = testdef_from_json(o, &t, err, sizeof err);
	ok(rc == -1, "testdef_from_json rejects an id of 1025 characters");
	is_str(err, "\"id\" must be 1 to 1024 characters",
	    "testdef_from_json: long id message");
	json_decref(o);
	longid[TESTDEF_ID_MAX] = '\0';
	o = json_pack("{s:s, s:[s]}", "id", longid, "cmd", "true");
	rc = testdef_from_json(o, &t, err, sizeof err);
	ok(rc == 0 && strlen(t.id) == TESTDEF_ID_MAX,
	    "testdef_from_json accepts an id of 1024 characters");
	testdef_clear(&t);
	json_decref(o);

	testdef_bad("{\"id\": \"x\", \"cmd\": [\"true\"], \"tmeout\": 5}",
	    "test 'x': unknown key \"tmeout\"");
	testdef_bad("{\"id\": \"x\", \"cmd\": []}",
	    "test 'x': \"cmd\" must be a non-empty array of strings");
	testdef_bad("{\"id\": \"x\", \"cmd\": \"true\"}",
	    "test 'x': \"cmd\" must be a non-empty array of strings");
	testdef_bad("{\"id\": \"x\", \"cmd\": [\"echo\", 1]}",
	    "test 'x': \"cmd\" must be a non-empty array of strings");
	testdef_bad("{\"id\": \"x\", \"sh\": [\"true\"]}",
	    "test 'x': \"sh\" must be a string");
	testdef_bad("{\"id\": \"x\", \"sh\": \"a\\u0000b\"}",
	    "test 'x': \"sh\" must not contain NUL");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"cwd\": 1}",
	    "test 'x': \"cwd\" must be a string");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"env\": [\"A=1\"]}",
	    "test 'x': \"env\" must be an object of strings");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"env\": {\"A\": 1}}",
	    "test 'x': \"env\" value of 'A' must be a string");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"env\": {\"\": \"1\"}}",
	    "test 'x': \"env\" name '' is not valid");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"env\": {\"A=B\": \"1\"}}",
	    "test 'x': \"env\" name 'A=B' is not valid");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"timeout\": \"5s\"}",
	    "test 'x': \"timeout\" must be a number of seconds above 0");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"timeout\": -1}",
	    "test 'x': \"timeout\" must be a number of seconds above 0");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"timeout\": 0}",
	    "test 'x': \"timeout\" must be a number of seconds above 0");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"estimate\": true}",
	    "test 'x': \"estimate\" must be a number");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"estimate\": -0.5}",
	    "test 'x': \"estimate\" must be a number of at least 0");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"needs\": \"a\"}",
	    "test 'x': \"needs\" must be an array of strings");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"needs\": [\"a\", 2]}",
	    "test 'x': \"needs\" must be an array of strings");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"needs\": [\"\"]}",
	    "test 'x': \"needs\" has an empty name");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"needs\": [\"x\"]}",
	    "test 'x': needs itself");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"fixtures\": {}}",
	    "test 'x': \"fixtures\" must be an array of strings");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"fixtures\": [\"\"]}",
	    "test 'x': \"fixtures\" has an empty name");
	testdef_bad("{\"id\": \"x\", \"sh\": \"true\", \"tags\": [null]}",
	    "test 'x': \"tags\" must be an array of strings");
	testdef_bad("{\"id\": \"x\", \"cmd\": [\"true\"], \"sh\": \"true\"}",
	    "test 'x': both \"cmd\" and \"sh\" given");
	testdef_bad("{\"id\": \"x\"}",
	    "test 'x': neither \"cmd\" nor \"sh\" given");
	testdef_bad("{\"id\": \"x\", \"cwd\": \"/\"}",
	    "test 'x': neither \"cmd\" nor \"sh\" given");

	/* The smallest test: defaults. */
	o = J("{\"id\": \"min\", \"sh\": \"exit 0\"}");
	rc = testdef_from_json(o, &t, err, sizeof err);
	ok(rc == 0 && streq(t.id, "min") && streq(t.sh, "exit 0") &&
	    t.argv == NULL && t.cwd == NULL && t.env == NULL &&
	    t.timeout == 0 && t.estimate == -1 && t.needs == NULL &&
	    t.fixtures == NULL && t.tags == NULL,
	    "testdef_from_json: a minimal test gets the defaults");
	back = testdef_to_json(&t);
	ok(json_equal(o, back), "testdef_to_json: a minimal test round-trips");
	json_decref(back);
	testdef_clear(&t);
	json_decref(o);

	/* Every field, in cmd form; reals so that json_equal can compare. */
	o = J("{\"id\": \"full\", \"cmd\": [\"./t\", \"--x\", \"a b\"],"
	    " \"cwd\": \"/srv\", \"env\": {\"A\": \"1\", \"B\": \"x=y\","
	    " \"C\": \"\"}, \"timeout\": 2.5, \"estimate\": 0.25,"
	    " \"needs\": [\"p\", \"q\"], \"fixtures\": [\"db\"],"
	    " \"tags\": [\"slow\", \"net\"], \"subset\": true}");
	rc = testdef_from_json(o, &t, err, sizeof err);
	ok(rc == 0, "testdef_from_json: accepts a test with every field");
	ok(t.subset == 1, "testdef_from_json: subset");
	ok(strv_len(t.argv) == 3 && streq(t.argv[2], "a b") && t.sh == NULL,
	    "testdef_from_json: cmd becomes argv");
	ok(strv_len(t.env) == 3 && streq(t.env[0], "A=1") &&
	    streq(t.env[1], "B=x=y") && streq(t.env[2], "C="),
	    "testdef_from_json: env becomes NAME=VALUE in order");
	ok(t.timeout == 2.5 && t.estimate == 0.25 && streq(t.cwd, "/srv"),
	    "testdef_from_json: timeout, estimate and cwd");
	ok(strv_len(t.needs) == 2 && streq(t.needs[1], "q") &&
	    strv_len(t.fixtures) == 1 && strv_len(t.tags) == 2,
	    "testdef_from_json: needs, fixtures, tags");
	ok(testdef_has_tag(&t, "net") && !testdef_has_tag(&t, "ne"),
	    "testdef_has_tag: exact tag match");
	back = testdef_to_json(&t);
	ok(json_equal(o, back), "testdef_to_json: every field round-trips");
	rc = testdef_from_json(back, &t2, err, sizeof err);
	ok(rc == 0 && streq(t2.id, "full") && strv_len(t2.env) == 3 &&
	    streq(t2.env[1], "B=x=y"),
	    "testdef_from_json: decodes its own encoding");
	ok(streq(t.env[1], "B=x=y"),
	    "testdef_to_json: leaves the env strings intact");
	testdef_clear(&t2);
	json_decref(back);
	testdef_clear(&t);
	ok(t.id == NULL && t.argv == NULL && t.estimate == -1,
	    "testdef_clear: leaves an initialised, empty test");
	json_decref(o);
}

static void
fixturedef_bad(const char *text, const char *want)
{
	struct fixture_def f;
	char err[1024] = "";
	json_t *o = J(text);
	int rc;

	rc = fixturedef_from_json(o, &f, err, sizeof err);
	ok(rc == -1 && f.name == NULL,
	    "fixturedef_from_json rejects %s", text);
	is_str(err, want, "fixturedef_from_json error for %s", text);
	json_decref(o);
}

static void
test_fixturedef(void)
{
	struct fixture_def f;
	json_t *o, *back;
	char err[1024];
	int rc;

	fixturedef_bad("{\"setup\": \"true\"}", "missing \"fixture\"");
	fixturedef_bad("{\"fixture\": 1}", "\"fixture\" must be a string");
	fixturedef_bad("{\"fixture\": \"\"}", "\"fixture\" must not be empty");
	fixturedef_bad("{\"fixture\": \"db\", \"setpu\": \"true\"}",
	    "fixture 'db': unknown key \"setpu\"");
	fixturedef_bad("{\"fixture\": \"db\", \"setup\": 1}",
	    "fixture 'db': \"setup\" must be a string or a non-empty array "
	    "of strings");
	fixturedef_bad("{\"fixture\": \"db\", \"teardown\": []}",
	    "fixture 'db': \"teardown\" must be a string or a non-empty array "
	    "of strings");

	o = J("{\"fixture\": \"db\", \"setup\": [\"start-db\", \"-q\"],"
	    " \"teardown\": \"stop-db; rm -f x\"}");
	rc = fixturedef_from_json(o, &f, err, sizeof err);
	ok(rc == 0 && streq(f.name, "db") && strv_len(f.setup_argv) == 2 &&
	    f.setup_sh == NULL && f.teardown_argv == NULL &&
	    streq(f.teardown_sh, "stop-db; rm -f x"),
	    "fixturedef_from_json: argv setup, shell teardown");
	back = fixturedef_to_json(&f);
	ok(json_equal(o, back), "fixturedef_to_json: round-trips");
	json_decref(back);
	fixturedef_clear(&f);
	ok(f.name == NULL && f.setup_argv == NULL,
	    "fixturedef_clear: leaves it empty");
	json_decref(o);

	o = J("{\"fixture\": \"none\"}");
	rc = fixturedef_from_json(o, &f, err, sizeof err);
	ok(rc == 0 && f.setup_argv == NULL && f.setup_sh == NULL &&
	    f.teardown_argv == NULL && f.teardown_sh == NULL,
	    "fixturedef_from_json: setup and teardown are optional");
	back = fixturedef_to_json(&f);
	ok(json_equal(o, back), "fixturedef_to_json: a bare fixture round-trips");
	json_decref(back);
	fixturedef_clear(&f);
	json_decref(o);
}

/*
 * Loads len bytes of text as a manifest and checks it is refused with
 * exactly "PATH:LINE: reason", leaving the suite empty.
 */
static void
manifest_bad_n(const char *desc, const char *text, size_t len, int line,
    const char *reason)
{
	struct suite s;
	char err[2048] = "", want[2048];
	char *path;
	int rc;

	path = write_temp_n(tmpdir, text, len);
	snprintf(want, sizeof want, "%s:%d: %s", path, line, reason);
	rc = suite_load_manifest(&s, path, NULL, err, sizeof err);
	ok(rc == -1 && s.ntests == 0 && s.tests == NULL &&
	    s.nfixtures == 0 && s.fixtures == NULL,
	    "manifest with %s: refused, suite left empty", desc);
	is_str(err, want, "manifest with %s: error message", desc);
	suite_clear(&s);
	unlink(path);
	free(path);
}

static void
manifest_bad(const char *desc, const char *text, int line, const char *reason)
{
	manifest_bad_n(desc, text, strlen(text), line, reason);
}

/* Loads text as a manifest that must be accepted; returns its path. */
static char *
manifest_good(struct suite *s, const char *desc, const char *text)
{
	char err[2048] = "";
	char *path;
	int rc;

	path = write_temp(tmpdir, text);
	rc = suite_load_manifest(s, path, NULL, err, sizeof err);
	ok(rc == 0, "manifest with %s: accepted", desc);
	if (rc != 0)
		printf("#   error: %s\n", err);
	return (path);
}

static void
test_suite_manifest(void)
{
	struct suite s;
	struct test_def *t;
	struct fixture_def *f;
	static const char nul[] = "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "{\"id\": \"b\", \"sh\": \"true\"}\0\n";
	char err[2048], want[2048], sub[PATH_MAX + 8], *path;
	int rc;

	manifest_bad("invalid JSON",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "{\"id\": \"b\" \"sh\": \"true\"}\n", 2,
	    "invalid JSON: '}' expected near '\"sh\"'");
	manifest_bad("a truncated line",
	    "{\"id\": \"b\",\n", 1,
	    "invalid JSON: string or '}' expected near end of file");
	manifest_bad("a duplicate key",
	    "{\"id\": \"a\", \"id\": \"b\", \"sh\": \"true\"}\n", 1,
	    "invalid JSON: duplicate object key near '\"id\"'");
	manifest_bad("two objects on a line",
	    "{\"id\": \"a\", \"sh\": \"true\"} {}\n", 1,
	    "invalid JSON: end of file expected near '{'");
	manifest_bad("an array line",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "[\"b\"]\n", 2, "expected a JSON object");
	manifest_bad("a number: an array line",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "42\n", 2, "expected a JSON object");
	manifest_bad("a line without id",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "\n"
	    "{\"sh\": \"true\"}\n", 3, "missing \"id\"");
	manifest_bad("a duplicate id after a blank line",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "\n"
	    "{\"id\": \"b\", \"sh\": \"true\"}\n"
	    "{\"id\": \"a\", \"cmd\": [\"true\"]}\n", 4,
	    "duplicate id 'a' (first on line 1)");
	manifest_bad("both cmd and sh",
	    "{\"id\": \"x\", \"cmd\": [\"true\"], \"sh\": \"true\"}\n", 1,
	    "test 'x': both \"cmd\" and \"sh\" given");
	manifest_bad("neither cmd nor sh",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "{\"id\": \"x\", \"timeout\": 5}\n", 2,
	    "test 'x': neither \"cmd\" nor \"sh\" given");
	manifest_bad("a misspelt key",
	    "{\"id\": \"x\", \"sh\": \"true\", \"tmeout\": 5}\n", 1,
	    "test 'x': unknown key \"tmeout\"");
	manifest_bad("a string timeout",
	    "{\"id\": \"x\", \"sh\": \"true\", \"timeout\": \"5s\"}\n", 1,
	    "test 'x': \"timeout\" must be a number of seconds above 0");
	manifest_bad("an empty cmd",
	    "{\"id\": \"x\", \"cmd\": []}\n", 1,
	    "test 'x': \"cmd\" must be a non-empty array of strings");
	manifest_bad("a string needs",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "{\"id\": \"x\", \"sh\": \"true\", \"needs\": \"a\"}\n", 2,
	    "test 'x': \"needs\" must be an array of strings");
	manifest_bad("an array env",
	    "{\"id\": \"x\", \"sh\": \"true\", \"env\": [\"A=1\"]}\n", 1,
	    "test 'x': \"env\" must be an object of strings");
	manifest_bad("needs of a missing test",
	    "{\"id\": \"a\", \"sh\": \"true\"}\n"
	    "{\"id\": \"b\", \"sh\": \"true\", \"needs\": [\"a\", \"zz\"]}\n",
	    2, "test 'b' needs 'zz', which is not defined");
	manifest_bad("a fixture that is not defined",
	    "{\"id\": \"a\", \"sh\": \"true\", \"fixtures\": [\"db\"]}\n", 1,
	    "test 'a' uses fixture 'db', which is not defined");
	manifest_bad("a 2-cycle",
	    "{\"id\": \"a\", \"sh\": \"true\", \"needs\": [\"b\"]}\n"
	    "{\"id\": \"b\", \"sh\": \"true\", \"needs\": [\"a\"]}\n", 1,
	    "needs cycle: a -> b -> a");
	manifest_bad("a 3-cycle",
	    "{\"id\": \"a\", \"sh\": \"true\", \"needs\": [\"b\"]}\n"
	    "{\"id\": \"b\", \"sh\": \"true\", \"needs\": [\"c\"]}\n"
	    "{\"id\": \"c\", \"sh\": \"true\", \"needs\": [\"a\"]}\n", 1,
	    "needs cycle: a -> b -> c -> a");
	manifest_bad("a cycle reached from a test outside it",
	    "{\"id\": \"x\", \"sh\": \"true\", \"needs\": [\"a\"]}\n"
	    "{\"id\": \"a\", \"sh\": \"true\", \"needs\": [\"b\"]}\n"
	    "{\"id\": \"b\", \"sh\": \"true\", \"needs\": [\"a\"]}\n", 2,
	    "needs cycle: a -> b -> a");
	manifest_bad("a self-need",
	    "{\"id\": \"a\", \"sh\": \"true\", \"needs\": [\"a\"]}\n", 1,
	    "test 'a': needs itself");
	manifest_bad("a bad fixture line",
	    "{\"fixture\": \"db\", \"setup\": 3}\n", 1,
	    "fixture 'db': \"setup\" must be a string or a non-empty array "
	    "of strings");
	manifest_bad("a duplicate fixture",
	    "{\"fixture\": \"db\"}\n"
	    "{\"fixture\": \"db\"}\n", 2,
	    "duplicate fixture 'db' (first on line 1)");
	manifest_bad_n("a NUL byte", nul, sizeof nul - 1, 2, "NUL byte in line");

	/* A file that does not exist. */
	xasprintf(&path, "%s/nope.ndjson", tmpdir);
	snprintf(want, sizeof want, "%s: cannot open: No such file or "
	    "directory", path);
	rc = suite_load_manifest(&s, path, NULL, err, sizeof err);
	ok(rc == -1 && s.ntests == 0, "manifest that does not exist: refused");
	is_str(err, want, "manifest that does not exist: error message");
	free(path);

	/* The path in messages is the path as given, even relative. */
	path = write_temp(tmpdir, "{\"id\": \"a\"}\n");
	if (chdir(tmpdir) == -1) {
		printf("Bail out! chdir %s: %s\n", tmpdir, strerror(errno));
		exit(1);
	}
	rc = suite_load_manifest(&s, strrchr(path, '/') + 1, NULL, err, sizeof err);
	snprintf(want, sizeof want, "%s:1: test 'a': neither \"cmd\" nor "
	    "\"sh\" given", strrchr(path, '/') + 1);
	ok(rc == -1, "relative manifest path: refused");
	is_str(err, want, "relative manifest path: named as given");
	if (chdir("/") == -1)
		exit(1);
	unlink(path);
	free(path);

	/* A good manifest: every kind of line, blank lines, cwd rules. */
	snprintf(sub, sizeof sub, "%s/sub", tmpdir);
	path = manifest_good(&s, "every kind of line",
	    "\n"
	    "{\"fixture\": \"db\", \"setup\": [\"mkdb\"], \"teardown\": \"rm db\"}\n"
	    "   \n"
	    "{\"id\": \"a\", \"cmd\": [\"true\"], \"fixtures\": [\"db\"],"
	    " \"timeout\": 3}\n"
	    "\t\r\n"
	    "{\"id\": \"b\", \"sh\": \"exit 0\", \"cwd\": \"sub\","
	    " \"needs\": [\"a\"], \"env\": {\"K\": \"V\"}}\n"
	    "{\"id\": \"c\", \"sh\": \"true\", \"cwd\": \"/\", \"needs\": [\"a\"]}\n"
	    "{\"id\": \"d\", \"sh\": \"true\", \"cwd\": \".\","
	    " \"needs\": [\"b\", \"c\"]}\n"
	    "\n");
	ok(s.ntests == 4 && s.nfixtures == 1,
	    "good manifest: 4 tests and 1 fixture, blank lines skipped");
	ok(s.ntests == 4 && streq(s.tests[0].id, "a") &&
	    streq(s.tests[1].id, "b") && streq(s.tests[2].id, "c") &&
	    streq(s.tests[3].id, "d"), "good manifest: tests in file order");
	t = suite_find(&s, "a");
	ok(t != NULL && streq(t->cwd, tmpdir),
	    "good manifest: no cwd means the manifest's directory");
	ok(t != NULL && t->timeout == 3 && strv_len(t->argv) == 1 &&
	    strv_contains(t->fixtures, "db"),
	    "good manifest: test a's fields");
	t = suite_find(&s, "b");
	is_str(t ? t->cwd : NULL, sub,
	    "good manifest: relative cwd resolved against the manifest's "
	    "directory");
	ok(t != NULL && streq(t->sh, "exit 0") && strv_contains(t->env, "K=V"),
	    "good manifest: test b's sh and env");
	t = suite_find(&s, "c");
	is_str(t ? t->cwd : NULL, "/", "good manifest: absolute cwd kept");
	t = suite_find(&s, "d");
	is_str(t ? t->cwd : NULL, tmpdir, "good manifest: cwd \".\" is the "
	    "manifest's directory");
	ok(suite_find(&s, "zz") == NULL, "suite_find: unknown id is NULL");
	f = suite_find_fixture(&s, "db");
	ok(f != NULL && strv_len(f->setup_argv) == 1 &&
	    streq(f->setup_argv[0], "mkdb") && streq(f->teardown_sh, "rm db"),
	    "good manifest: the fixture line");
	ok(suite_find_fixture(&s, "nope") == NULL,
	    "suite_find_fixture: unknown name is NULL");
	suite_clear(&s);
	ok(s.ntests == 0 && s.tests == NULL && s.nfixtures == 0,
	    "suite_clear: leaves an empty suite");
	unlink(path);
	free(path);

	/* A diamond (d needs b and c, both need a) is not a cycle. */
	path = manifest_good(&s, "a diamond",
	    "{\"id\": \"d\", \"sh\": \"true\", \"needs\": [\"b\", \"c\"]}\n"
	    "{\"id\": \"b\", \"sh\": \"true\", \"needs\": [\"a\"]}\n"
	    "{\"id\": \"c\", \"sh\": \"true\", \"needs\": [\"a\"]}\n"
	    "{\"id\": \"a\", \"sh\": \"true\"}\n");
	ok(s.ntests == 4, "a diamond: all 4 tests loaded");
	suite_clear(&s);
	unlink(path);
	free(path);

	path = manifest_good(&s, "only blank lines", "\n\n  \n");
	ok(s.ntests == 0 && s.nfixtures == 0,
	    "only blank lines: an empty suite");
	suite_clear(&s);
	unlink(path);
	free(path);
}

/* Writes an empty file with the given mode. */
static void
make_file(const char *dir, const char *name, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    fchmod(fd, mode) == -1 || close(fd) == -1) {
		printf("Bail out! cannot create %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
}

static void
test_suite_exec(void)
{
	struct suite s;
	char *dir, *g1, *g2, *want_a, *want_b, *want;
	char err[2048] = "", cwd[PATH_MAX];
	char *globs[3];
	int rc;

	xasprintf(&dir, "%s/exec", tmpdir);
	xasprintf(&want, "%s/d.t", dir);
	if (mkdir(dir, 0755) == -1 || mkdir(want, 0755) == -1) {
		printf("Bail out! mkdir %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	make_file(dir, "b.t", 0755);
	make_file(dir, "a.t", 0755);
	make_file(dir, "c.t", 0644);
	make_file(dir, "e.other", 0755);
	free(want);
	xasprintf(&want_a, "%s/a.t", dir);
	xasprintf(&want_b, "%s/b.t", dir);

	xasprintf(&g1, "%s/*.t", dir);
	globs[0] = g1;
	globs[1] = NULL;
	if (getcwd(cwd, sizeof cwd) == NULL)
		exit(1);
	rc = suite_load_exec(&s, globs, NULL, err, sizeof err);
	ok(rc == 0 && s.ntests == 2,
	    "suite_load_exec: 2 executables; non-executable file and "
	    "directory skipped");
	if (rc != 0)
		printf("#   error: %s\n", err);
	if (s.ntests == 2) {
		is_str(s.tests[0].id, want_a,
		    "suite_load_exec: id is the path as matched, sorted");
		is_str(s.tests[1].id, want_b, "suite_load_exec: second id");
		ok(strv_len(s.tests[0].argv) == 1 &&
		    streq(s.tests[0].argv[0], want_a) && s.tests[0].sh == NULL,
		    "suite_load_exec: an absolute path is the command");
		is_str(s.tests[0].cwd, cwd,
		    "suite_load_exec: runs from the current directory");
	} else {
		ok(0, "suite_load_exec: id is the path as matched, sorted");
		ok(0, "suite_load_exec: second id");
		ok(0, "suite_load_exec: an absolute path is the command");
		ok(0, "suite_load_exec: runs from the current directory");
	}
	suite_clear(&s);

	/* Overlapping globs give each file once. */
	globs[0] = want_a;
	globs[1] = g1;
	globs[2] = NULL;
	rc = suite_load_exec(&s, globs, NULL, err, sizeof err);
	ok(rc == 0 && s.ntests == 2 && streq(s.tests[0].id, want_a) &&
	    streq(s.tests[1].id, want_b),
	    "suite_load_exec: overlapping globs give each file once");
	suite_clear(&s);

	/* A relative glob: ids as matched, commands prefixed with "./". */
	if (chdir(dir) == -1)
		exit(1);
	globs[0] = "*.t";
	globs[1] = NULL;
	rc = suite_load_exec(&s, globs, NULL, err, sizeof err);
	ok(rc == 0 && s.ntests == 2 && streq(s.tests[0].id, "a.t") &&
	    strv_len(s.tests[0].argv) == 1 &&
	    streq(s.tests[0].argv[0], "./a.t") && streq(s.tests[0].cwd, dir),
	    "suite_load_exec: relative glob runs ./a.t from the current "
	    "directory");
	suite_clear(&s);
	globs[0] = "./b.*";
	rc = suite_load_exec(&s, globs, NULL, err, sizeof err);
	ok(rc == 0 && s.ntests == 1 && streq(s.tests[0].argv[0], "./b.t"),
	    "suite_load_exec: a ./ path is not prefixed again");
	suite_clear(&s);
	if (chdir("/") == -1)
		exit(1);

	xasprintf(&g2, "%s/*.none", dir);
	globs[0] = g1;
	globs[1] = g2;
	globs[2] = NULL;
	rc = suite_load_exec(&s, globs, NULL, err, sizeof err);
	xasprintf(&want, "%s: no file matches", g2);
	ok(rc == -1 && s.ntests == 0 && s.tests == NULL,
	    "suite_load_exec: a glob matching nothing fails, suite empty");
	is_str(err, want, "suite_load_exec: no match message names the glob");
	free(want);
	free(g2);

	xasprintf(&g2, "%s/c.t", dir);
	globs[0] = g2;
	globs[1] = NULL;
	rc = suite_load_exec(&s, globs, NULL, err, sizeof err);
	ok(rc == -1 && s.ntests == 0,
	    "suite_load_exec: only a non-executable match fails");
	is_str(err, "no executable file matches",
	    "suite_load_exec: no executable message");
	free(g2);
	free(g1);
	free(want_b);
	free(want_a);
	free(dir);
}

static void
test_status(void)
{
	enum test_status s;
	int i, rc, all = 1;

	for (i = 0; i < ST__COUNT; i++) {
		rc = status_parse(status_name(i), &s);
		if (rc != 0 || (int)s != i)
			all = 0;
	}
	ok(all, "status_parse(status_name(s)) == s for every status");
	is_str(status_name(ST_OK), "OK", "status_name: OK");
	is_str(status_name(ST_OK_FLAKY), "OK_FLAKY", "status_name: OK_FLAKY");
	is_str(status_name(ST_FAILED), "FAILED", "status_name: FAILED");
	is_str(status_name(ST_TIMEOUT), "TIMEOUT", "status_name: TIMEOUT");
	is_str(status_name(ST_CRASHED), "CRASHED", "status_name: CRASHED");
	is_str(status_name(ST_SKIPPED), "SKIPPED", "status_name: SKIPPED");
	is_str(status_name(ST_DEP_FAILED), "DEP_FAILED",
	    "status_name: DEP_FAILED");
	is_str(status_name(ST_DAGZ_ERROR), "DAGZ_ERROR",
	    "status_name: DAGZ_ERROR");
	is_str(status_name(ST_NOT_RUN), "NOT_RUN", "status_name: NOT_RUN");
	s = ST_OK;
	rc = status_parse("NOT_RUN", &s);
	ok(rc == 0 && s == ST_NOT_RUN, "status_parse: NOT_RUN");
	/* Baselines store the numbers: a new status comes last. */
	ok(ST_NOT_RUN == ST__COUNT - 1 && ST_DAGZ_ERROR == 9,
	    "status numbers: NOT_RUN last, the others unchanged");
	ok(!status_passed(ST_NOT_RUN) && !status_failed(ST_NOT_RUN),
	    "status: NOT_RUN is neither passed nor failed");
	is_str(status_name(ST__COUNT), "?", "status_name: out of range is ?");
	is_str(status_name((enum test_status)-1), "?",
	    "status_name: negative is ?");
	s = ST_CRASHED;
	rc = status_parse("SKIPPED", &s);
	ok(rc == 0 && s == ST_SKIPPED, "status_parse: SKIPPED");
	s = ST_CRASHED;
	rc = status_parse("ok", &s);
	ok(rc == -1 && s == ST_CRASHED, "status_parse: lower case is unknown");
	rc = status_parse("", &s);
	ok(rc == -1, "status_parse: empty is unknown");
	ok(status_passed(ST_OK) && status_passed(ST_OK_FLAKY) &&
	    status_passed(ST_SKIPPED), "status_passed: OK, OK_FLAKY, SKIPPED");
	ok(!status_passed(ST_FAILED) && !status_passed(ST_TIMEOUT) &&
	    !status_passed(ST_CRASHED) && !status_passed(ST_DAGZ_ERROR),
	    "status_passed: not FAILED, TIMEOUT, CRASHED, DAGZ_ERROR");
	ok(status_failed(ST_FAILED) && status_failed(ST_TIMEOUT) &&
	    status_failed(ST_CRASHED) && status_failed(ST_DEP_FAILED),
	    "status_failed: FAILED, TIMEOUT, CRASHED, DEP_FAILED");
	ok(!status_failed(ST_OK) && !status_failed(ST_SKIPPED) &&
	    !status_failed(ST_OK_FLAKY) && !status_failed(ST_DAGZ_ERROR),
	    "status_failed: not OK, SKIPPED, OK_FLAKY, DAGZ_ERROR");
}

static void
elapsed_is(double secs, const char *want)
{
	char buf[TIME_ELAPSED_LEN];

	time_elapsed(secs, buf, sizeof buf);
	is_str(buf, want, "time_elapsed(%g)", secs);
}

static void
duration_is(const char *s, int want_rc, double want)
{
	double d = -42;
	int rc;

	rc = time_parse_duration(s, &d);
	if (want_rc == 0)
		ok(rc == 0 && d > want - 1e-9 && d < want + 1e-9,
		    "time_parse_duration(\"%s\") = %g", s, want);
	else
		ok(rc == -1 && d == -42,
		    "time_parse_duration(\"%s\") fails", s);
}

static void
size_is(const char *s, int want_rc, long long want)
{
	long long v = -42;
	int rc;

	rc = time_parse_size(s, &v);
	if (want_rc == 0)
		ok(rc == 0 && v == want, "time_parse_size(\"%s\") = %lld", s,
		    want);
	else
		ok(rc == -1 && v == -42, "time_parse_size(\"%s\") fails", s);
}

static void
test_timeutil(void)
{
	double a, b;

	elapsed_is(0, "00:00:00.000");
	elapsed_is(3723.4567, "01:02:03.457");
	elapsed_is(0.004, "00:00:00.004");
	elapsed_is(59.9996, "00:01:00.000");
	elapsed_is(-3, "00:00:00.000");
	elapsed_is(360000, "100:00:00.000");

	duration_is("90", 0, 90);
	duration_is("1.5s", 0, 1.5);
	duration_is("250ms", 0, 0.25);
	duration_is("10m", 0, 600);
	duration_is("2h", 0, 7200);
	duration_is("", -1, 0);
	duration_is("0", -1, 0);
	duration_is("0s", -1, 0);
	duration_is("-5", -1, 0);
	duration_is("abc", -1, 0);
	duration_is("s", -1, 0);
	duration_is("5x", -1, 0);
	duration_is("5 s", -1, 0);
	duration_is(" 5", -1, 0);
	duration_is("5s ", -1, 0);
	duration_is("10mm", -1, 0);
	duration_is("inf", -1, 0);
	duration_is("nan", -1, 0);

	size_is("1048576", 0, 1048576);
	size_is("512K", 0, 512LL * 1024);
	size_is("64M", 0, 64LL * 1024 * 1024);
	size_is("2G", 0, 2LL * 1024 * 1024 * 1024);
	size_is("1.5K", 0, 1536);
	size_is("", -1, 0);
	size_is("0", -1, 0);
	size_is("-1", -1, 0);
	size_is("0.5", -1, 0);
	size_is("lots", -1, 0);
	size_is("12Q", -1, 0);
	size_is("5MX", -1, 0);
	size_is(" 5", -1, 0);
	size_is("1e30", -1, 0);

	a = time_mono();
	b = time_mono();
	ok(b >= a && a > 0, "time_mono: does not go backwards");
	ok(time_unix() > 1.5e9, "time_unix: after 2017");
}

/* What one side of an ndjson test saw. */
struct sink {
	struct event_base	*base;
	json_t			*msgs[8];
	int			 n;
	int			 want;
	int			 closed;
	int			 free_on_close;
	char			 reason[256];
};

static void
sink_msg(struct ndjson_peer *p, json_t *msg, void *arg)
{
	struct sink *s = arg;

	if (s->n < 8)
		s->msgs[s->n] = json_incref(msg);
	s->n++;
	if (s->n >= s->want)
		event_base_loopbreak(s->base);
}

static void
sink_close(struct ndjson_peer *p, const char *why, void *arg)
{
	struct sink *s = arg;

	s->closed++;
	strlcpy(s->reason, why, sizeof s->reason);
	if (s->free_on_close)
		ndjson_peer_free(p);
	event_base_loopbreak(s->base);
}

static void
sink_clear(struct sink *s)
{
	int i;

	for (i = 0; i < s->n && i < 8; i++)
		json_decref(s->msgs[i]);
}

static void
loop_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Runs the loop until a callback breaks it or ms pass. */
static void
run_loop(struct event_base *base, int ms)
{
	struct event *timer;
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	timer = evtimer_new(base, loop_timeout, base);
	evtimer_add(timer, &tv);
	event_base_dispatch(base);
	event_free(timer);
}

static void
write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	if (write(fd, s, len) != (ssize_t)len) {
		printf("Bail out! write: %s\n", strerror(errno));
		exit(1);
	}
}

static void
make_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
}

static void
test_ndjson(void)
{
	struct event_base *base;
	struct ndjson_peer *a, *b;
	struct sink sa, sb;
	struct msg_run r;
	struct msg_hello h;
	json_t *m;
	int sv[2], rc;
	const char *full = "{\"type\": \"loaded\", \"count\": 3}\n";

	if ((base = event_base_new()) == NULL) {
		printf("Bail out! event_base_new\n");
		exit(1);
	}

	/* Three messages one way, read back in order. */
	make_pair(sv);
	memset(&sa, 0, sizeof sa);
	memset(&sb, 0, sizeof sb);
	sa.base = sb.base = base;
	sa.want = sb.want = 3;
	a = ndjson_peer_new(base, sv[0], "a", sink_msg, sink_close, &sa);
	b = ndjson_peer_new(base, sv[1], "b", sink_msg, sink_close, &sb);
	is_str(ndjson_name(b), "b", "ndjson_name: the name given");
	memset(&h, 0, sizeof h);
	h.proto = PROTO_VERSION;
	strlcpy(h.role, "vassal", sizeof h.role);
	h.pid = 99;
	h.worker = -1;
	h.workers = 2;
	r.worker = 1;
	r.test = "x";
	r.attempt = 1;
	rc = ndjson_send(a, proto_hello_encode(&h));
	rc |= ndjson_send(a, proto_run_encode(&r));
	rc |= ndjson_send(a, proto_shutdown_encode());
	ok(rc == 0, "ndjson_send: three messages queued");
	run_loop(base, 2000);
	ok(sb.n == 3, "ndjson: the other side got 3 messages");
	ok(sb.n == 3 && proto_type(sb.msgs[0]) == PROTO_HELLO &&
	    proto_type(sb.msgs[1]) == PROTO_RUN &&
	    proto_type(sb.msgs[2]) == PROTO_SHUTDOWN,
	    "ndjson: in the order sent");
	ok(sb.n == 3 && json_integer_value(json_object_get(sb.msgs[0],
	    "workers")) == 2 && streq(json_string_value(json_object_get(
	    sb.msgs[1], "test")), "x"), "ndjson: with their contents");
	ok(sa.n == 0 && !sa.closed && !sb.closed,
	    "ndjson: nothing came back, neither side closed");
	sink_clear(&sb);
	memset(&sb, 0, sizeof sb);
	sb.base = base;
	sb.want = 1;
	ndjson_peer_free(a);
	run_loop(base, 2000);
	ok(sb.closed == 1 && sb.n == 0, "ndjson: the peer's EOF closes");
	is_str(sb.reason, "connection closed", "ndjson: EOF reason");
	ndjson_peer_free(b);

	/* A message split across two writes arrives once, whole. */
	make_pair(sv);
	memset(&sb, 0, sizeof sb);
	sb.base = base;
	sb.want = 1;
	b = ndjson_peer_new(base, sv[1], "split", sink_msg, sink_close, &sb);
	write_all(sv[0], "{\"type\": \"loa");
	run_loop(base, 100);
	ok(sb.n == 0 && !sb.closed, "ndjson: half a line is not delivered");
	write_all(sv[0], full + strlen("{\"type\": \"loa"));
	run_loop(base, 2000);
	sb.want = 100;
	run_loop(base, 100);
	ok(sb.n == 1 && !sb.closed, "ndjson: the split line is delivered once");
	ok(sb.n >= 1 && proto_type(sb.msgs[0]) == PROTO_LOADED &&
	    json_integer_value(json_object_get(sb.msgs[0], "count")) == 3,
	    "ndjson: the split line is delivered whole");
	sink_clear(&sb);
	ndjson_peer_free(b);
	close(sv[0]);

	/* Several lines in one write; a blank line is skipped. */
	make_pair(sv);
	memset(&sb, 0, sizeof sb);
	sb.base = base;
	sb.want = 3;
	b = ndjson_peer_new(base, sv[1], "batch", sink_msg, sink_close, &sb);
	write_all(sv[0], "{\"type\":\"bye\"}\n\n{\"type\":\"bye\",\"n\":2}\n"
	    "{\"type\":\"bye\",\"n\":3}\n");
	run_loop(base, 2000);
	ok(sb.n == 3 && !sb.closed &&
	    json_integer_value(json_object_get(sb.msgs[2], "n")) == 3,
	    "ndjson: three lines in one write, blank line skipped");
	sink_clear(&sb);
	ndjson_peer_free(b);
	close(sv[0]);

	/*
	 * A line that is not JSON closes the peer: the line before it is
	 * delivered, the one after is not. The close callback frees the
	 * peer, as a daemon would.
	 */
	make_pair(sv);
	memset(&sb, 0, sizeof sb);
	sb.base = base;
	sb.want = 100;
	sb.free_on_close = 1;
	b = ndjson_peer_new(base, sv[1], "bad", sink_msg, sink_close, &sb);
	write_all(sv[0], "{\"type\":\"bye\"}\nnot json\n{\"type\":\"bye\"}\n");
	run_loop(base, 2000);
	ok(sb.closed == 1, "ndjson: a line that is not JSON closes the peer");
	ok(strncmp(sb.reason, "malformed message", 17) == 0,
	    "ndjson: reason starts with \"malformed message\" (%s)",
	    sb.reason);
	ok(sb.n == 1, "ndjson: only the line before the bad one delivered");
	sink_clear(&sb);
	close(sv[0]);

	/* A JSON line without "type" is malformed too. */
	make_pair(sv);
	memset(&sb, 0, sizeof sb);
	sb.base = base;
	sb.want = 100;
	sb.free_on_close = 1;
	b = ndjson_peer_new(base, sv[1], "notype", sink_msg, sink_close, &sb);
	write_all(sv[0], "{\"kind\":\"bye\"}\n");
	run_loop(base, 2000);
	ok(sb.closed == 1 && sb.n == 0, "ndjson: a line without type closes");
	is_str(sb.reason, "malformed message: no \"type\"",
	    "ndjson: no type reason");
	sink_clear(&sb);
	close(sv[0]);

	/* ndjson_send after the peer is gone fails and frees msg. */
	m = proto_bye_encode();
	rc = ndjson_send(NULL, m);
	ok(rc == -1, "ndjson_send: to no peer fails");

	event_base_free(base);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpl, sizeof tmpl, "%s/unit-libcommon.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	/* realpath: manifests resolve cwd against their real directory. */
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpl, strerror(errno));
		return (1);
	}

	test_strv();
	test_jsonflat();
	test_jsonv();
	test_testdef();
	test_fixturedef();
	test_suite_manifest();
	test_suite_exec();
	test_status();
	test_timeutil();
	test_ndjson();

	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return (tap_done());
}
