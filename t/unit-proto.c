/*
 * unit-proto.c: unit tests of the protocol messages in TAP: each type,
 * encoded, sent as a line and decoded, gives back what was sent, and a
 * bad message is refused with one line that names its type, the key and
 * what is wrong with it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cases.h"
#include "ndjson.h"
#include "proto.h"
#include "status.h"
#include "strv.h"
#include "testdef.h"
#include "xmalloc.h"

#include "unit.h"

/* Parses JSON the test wrote, with ' for "; a failure is a bug in it. */
static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *o;
	char *s, *p;

	s = strdup(text);
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	if ((o = json_loads(s, JSON_ALLOW_NUL, &e)) == NULL) {
		printf("Bail out! bad JSON in test: %s: %s\n", s, e.text);
		exit(1);
	}
	free(s);
	return (o);
}

/* Encodes msg to a line and parses it back, as a peer would see it. */
static json_t *
wire(json_t *msg)
{
	json_error_t e;
	json_t *o;
	char *line;

	line = ndjson_encode(msg);
	json_decref(msg);
	ok(strchr(line, '\n') == NULL, "ndjson_encode: one line");
	o = json_loads(line, 0, &e);
	if (o == NULL) {
		printf("Bail out! cannot parse own line %s: %s\n", line,
		    e.text);
		exit(1);
	}
	free(line);
	return (o);
}

/* Decodes o as its type says, then frees what was decoded. */
static int
decode(json_t *o, char *err, size_t len)
{
	union {
		struct msg_hello	h;
		struct msg_config	c;
		struct test_def		t;
		struct fixture_def	f;
		struct msg_error	e;
		struct msg_run		r;
		struct msg_exec		x;
		struct msg_started	s;
		struct msg_result	res;
		struct msg_worker	w;
		int			n;
	} u;
	int rc = -1;

	snprintf(err, len, "not decoded");
	switch (proto_type(o)) {
	case PROTO_HELLO:
		rc = proto_hello_decode(o, &u.h, err, len);
		break;
	case PROTO_CONFIG:
		rc = proto_config_decode(o, &u.c, err, len);
		proto_config_clear(&u.c);
		break;
	case PROTO_TEST:
		rc = proto_test_decode(o, &u.t, err, len);
		testdef_clear(&u.t);
		break;
	case PROTO_FIXTURE:
		rc = proto_fixture_decode(o, &u.f, err, len);
		fixturedef_clear(&u.f);
		break;
	case PROTO_LOADED:
		rc = proto_loaded_decode(o, &u.n, err, len);
		break;
	case PROTO_ERROR:
		rc = proto_error_decode(o, &u.e, err, len);
		proto_error_clear(&u.e);
		break;
	case PROTO_RUN:
		rc = proto_run_decode(o, &u.r, err, len);
		proto_run_clear(&u.r);
		break;
	case PROTO_EXEC:
		rc = proto_exec_decode(o, &u.x, err, len);
		proto_exec_clear(&u.x);
		break;
	case PROTO_STARTED:
		rc = proto_started_decode(o, &u.s, err, len);
		proto_started_clear(&u.s);
		break;
	case PROTO_RESULT:
		rc = proto_result_decode(o, &u.res, err, len);
		proto_result_clear(&u.res);
		break;
	case PROTO_WORKER:
		rc = proto_worker_decode(o, &u.w, err, len);
		proto_worker_clear(&u.w);
		break;
	default:
		break;
	}
	if (rc == 0)
		err[0] = '\0';
	return (rc);
}

/* A well-formed message of each type that has a decoder. */
static const char *const good[] = {
	"{'type': 'hello', 'proto': 1, 'role': 'worker', 'pid': 1}",
	"{'type': 'config', 'job': 'j', 'timeout': 1, 'grace': 1.5,"
	" 'mem_budget': 0, 'leak': 'kill', 'log_dir': '/l'}",
	"{'type': 'test', 'test': {'id': 'a', 'sh': 'true'}}",
	"{'type': 'fixture', 'fixture': {'fixture': 'db'}}",
	"{'type': 'loaded', 'count': 1}",
	"{'type': 'error', 'kind': 'input', 'message': 'm'}",
	"{'type': 'run', 'worker': 0, 'test': 'a', 'attempt': 1}",
	"{'type': 'exec', 'test': {'id': 'a', 'sh': 'true'}, 'attempt': 1,"
	" 'timeout': 1}",
	"{'type': 'started', 'worker': 0, 'test': 'a', 'attempt': 1,"
	" 'pid': 2}",
	"{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
	" 'status': 'OK', 'duration': 0}",
	"{'type': 'worker', 'worker': 0, 'state': 'ready'}",
};

/* Every type refuses a key it does not define, and names it. */
static void
test_unknown_keys(void)
{
	char err[512], want[128];
	json_t *o;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		o = J(good[i]);
		ok(decode(o, err, sizeof err) == 0, "%s: accepted%s%s",
		    proto_type_name(proto_type(o)), *err ? ": " : "", err);
		json_object_set_new(o, "bogus", json_true());
		snprintf(want, sizeof want, "%s: unknown key \"bogus\"",
		    proto_type_name(proto_type(o)));
		ok(decode(o, err, sizeof err) == -1, "%s: an unknown key is "
		    "refused", proto_type_name(proto_type(o)));
		is_str(err, want, "%s: the error names the key",
		    proto_type_name(proto_type(o)));
		json_decref(o);
	}
}

/* Bad messages, each with the one line it is refused with. */
static void
test_refusals(void)
{
	static const struct {
		const char	*msg;
		const char	*err;	/* NULL: accepted */
	} t[] = {
		{ "{'type': 'hello', 'proto': 1, 'role': 3, 'pid': 1}",
		  "hello: \"role\" must be a string" },
		{ "{'type': 'hello', 'proto': 1, 'role': 'worker'}",
		  "hello: missing \"pid\"" },
		{ "{'type': 'hello', 'proto': 1, 'role': 'worker', 'pid': 1,"
		  " 'colour': 'red', 'size': 2}",
		  "hello: unknown key \"colour\"" },
		{ "{'type': 'hello', 'proto': 1, 'role': 'worker', 'pid': 1,"
		  " 'col\\nour': 'red'}",
		  "hello: unknown key \"col\\nour\"" },
		{ "{'type': 'config', 'job': 'j', 'timeout': 'soon',"
		  " 'grace': 1, 'mem_budget': 0, 'leak': 'kill',"
		  " 'log_dir': '/l'}",
		  "config: \"timeout\" must be a number" },
		{ "{'type': 'config', 'job': 'j', 'timeout': 1, 'grace': -1,"
		  " 'mem_budget': 0, 'leak': 'kill', 'log_dir': '/l'}",
		  "config: \"grace\" must be a number of at least 0" },
		{ "{'type': 'config', 'job': 'j', 'timeout': 1, 'grace': 1,"
		  " 'mem_budget': 1.5, 'leak': 'kill', 'log_dir': '/l'}",
		  "config: \"mem_budget\" must be an integer" },
		{ "{'type': 'config', 'job': 'j', 'timeout': 1, 'grace': 1,"
		  " 'mem_budget': 0, 'leak': 'kill', 'log_dir': '/l',"
		  " 'root': 7}",
		  "config: \"root\" must be a string" },
		{ "{'type': 'config', 'job': 'j', 'timeout': 1, 'grace': 1,"
		  " 'mem_budget': 0, 'leak': 'kill', 'log_dir': '/l',"
		  " 'worker_env': ['A={job}', 'B={jbo}']}",
		  "config: \"worker_env\" must be a list of NAME=TEMPLATE" },
		{ "{'type': 'config', 'job': 'j', 'timeout': 1, 'grace': 1,"
		  " 'mem_budget': 0, 'leak': 'kill', 'log_dir': '/l',"
		  " 'worker_env': 'A=b'}",
		  "config: \"worker_env\" must be a list of NAME=TEMPLATE" },
		{ "{'type': 'test', 'test': ['a']}",
		  "test: \"test\" must be an object" },
		{ "{'type': 'exec', 'test': {'id': 'a'}, 'attempt': 1,"
		  " 'timeout': 1}",
		  "exec: test 'a': neither \"cmd\" nor \"sh\" given" },
		{ "{'type': 'fixture', 'fixture': 'db'}",
		  "fixture: \"fixture\" must be an object" },
		{ "{'type': 'loaded', 'count': -1}",
		  "loaded: \"count\" must be an integer from 0 to 1073741824" },
		{ "{'type': 'error', 'message': 'm'}",
		  "error: missing \"kind\"" },
		{ "{'type': 'run', 'worker': 0, 'test': 'a\\u0000b',"
		  " 'attempt': 1}",
		  "run: \"test\" must not contain NUL" },
		{ "{'type': 'run', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'phase': ''}",
		  "run: \"phase\" must be \"setup\" or \"teardown\"" },
		{ "{'type': 'started', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'pid': 4294967297}",
		  "started: \"pid\" must be an integer from 1 to 1073741824" },
		{ "{'type': 'started', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'pid': '2'}",
		  "started: \"pid\" must be an integer" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 'long'}",
		  "result: \"duration\" must be a number" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'exit': null}",
		  NULL },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'exit': '0'}",
		  "result: \"exit\" must be an integer from 0 to 255" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'reason': null}",
		  "result: \"reason\" must be a string" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'trace': []}",
		  "result: trace: not an object" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0,"
		  " 'trace': {'incomplete': 'yes'}}",
		  "result: trace: \"incomplete\" must be a boolean" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0,"
		  " 'trace': {'reads': ['a', 1]}}",
		  "result: trace: \"reads\" must be an array of strings" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'trace': {'apps': 1,"
		  " 'outputs': []}}",
		  "result: trace: unknown key \"outputs\"" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'trace': {'rewrites':"
		  " [{'path': 'a', 'hash': '00000000000000zz'}]}}",
		  "result: trace: \"rewrites\" must be an array of {\"path\", "
		  "\"hash\"}, the hash 16 hexadecimal digits" },
		{ "{'type': 'result', 'worker': 0, 'test': 'a', 'attempt': 1,"
		  " 'status': 'OK', 'duration': 0, 'cases': {'cases': 1}}",
		  "result: \"cases.cases\" must be an array" },
		{ "{'type': 'worker', 'worker': 0,"
		  " 'state': 'a-state-name-too-long'}",
		  "worker: \"state\" too long" },
	};
	char err[512];
	json_t *o;
	size_t i;
	int rc;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		o = J(t[i].msg);
		rc = decode(o, err, sizeof err);
		if (t[i].err == NULL)
			ok(rc == 0 && *err == '\0', "accepted: %s%s%s",
			    t[i].msg, *err ? ": " : "", err);
		else {
			ok(rc == -1, "refused: %s", t[i].msg);
			is_str(err, t[i].err, "error of: %s", t[i].msg);
		}
		json_decref(o);
	}
}

/* Each type: a round trip, and the error of a bad field. */
static void
test_proto(void)
{
	struct msg_hello h, h2;
	struct msg_config c, c2;
	struct msg_error me;
	struct msg_run r, r2;
	struct msg_exec ex;
	struct msg_started st, st2;
	struct msg_result res, res2;
	struct msg_worker w, w2;
	struct test_def t, t2;
	struct fixture_def f, f2;
	json_t *o, *def;
	char err[1024];
	int rc, n, i;

	for (i = 0; i <= PROTO_UNKNOWN; i++) {
		o = json_pack("{s:s}", "type", proto_type_name(i));
		n = proto_type(o);
		ok(n == i, "proto_type: \"%s\" maps back", proto_type_name(i));
		json_decref(o);
	}
	o = J("{\"type\": 3}");
	ok(proto_type(o) == PROTO_UNKNOWN,
	    "proto_type: a number type is unknown");
	json_decref(o);
	o = J("{\"type\": \"hullo\"}");
	ok(proto_type(o) == PROTO_UNKNOWN,
	    "proto_type: a misspelt type is unknown");
	json_decref(o);

	/* hello, in each role's form. */
	memset(&h, 0, sizeof h);
	h.proto = PROTO_VERSION;
	strlcpy(h.role, "worker", sizeof h.role);
	h.pid = 4242;
	h.worker = 3;
	o = wire(proto_hello_encode(&h));
	ok(proto_type(o) == PROTO_HELLO, "hello: type");
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == 0 && h2.proto == 1 && streq(h2.role, "worker") &&
	    h2.pid == 4242 && h2.worker == 3 && h2.workers == 0,
	    "hello: worker form round-trips");
	json_decref(o);
	strlcpy(h.role, "vassal", sizeof h.role);
	h.worker = -1;
	h.workers = 8;
	o = wire(proto_hello_encode(&h));
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == 0 && streq(h2.role, "vassal") && h2.worker == -1 &&
	    h2.workers == 8, "hello: vassal form round-trips");
	json_decref(o);
	strlcpy(h.role, "sched", sizeof h.role);
	h.workers = 0;
	o = wire(proto_hello_encode(&h));
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == 0 && streq(h2.role, "sched") && h2.worker == -1 &&
	    h2.workers == 0 && h2.pid == 4242, "hello: sched form round-trips");
	json_decref(o);
	o = J("{\"type\": \"hello\", \"proto\": 2, \"role\": \"worker\","
	    " \"pid\": 1}");
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == -1, "hello: version 2 is rejected");
	is_str(err, "hello: protocol version 2, expected 1",
	    "hello: version message");
	json_decref(o);
	o = J("{\"type\": \"hello\", \"proto\": 1, \"role\": \"worker\","
	    " \"pid\": 1, \"colour\": \"red\"}");
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == -1, "hello: an unknown key is rejected");
	is_str(err, "hello: unknown key \"colour\"",
	    "hello: unknown key message");
	json_decref(o);
	o = J("{\"type\": \"hello\", \"proto\": 1, \"pid\": 1}");
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == -1, "hello: a missing role is rejected");
	is_str(err, "hello: missing \"role\"", "hello: missing role message");
	json_decref(o);
	o = J("{\"type\": \"hello\", \"proto\": 1, \"pid\": 1,"
	    " \"role\": \"a-role-name-that-is-too-long\"}");
	rc = proto_hello_decode(o, &h2, err, sizeof err);
	ok(rc == -1, "hello: an overlong role is rejected");
	is_str(err, "hello: \"role\" too long", "hello: overlong role message");
	json_decref(o);

	/* config */
	memset(&c, 0, sizeof c);
	c.job = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
	c.timeout = 600;
	c.grace = 5;
	c.mem_budget = 512LL * 1024 * 1024;
	c.leak = LEAK_FAIL;
	c.log_dir = "/tmp/logs";
	o = wire(proto_config_encode(&c));
	ok(proto_type(o) == PROTO_CONFIG, "config: type");
	rc = proto_config_decode(o, &c2, err, sizeof err);
	ok(rc == 0 && streq(c2.job, c.job) && c2.timeout == 600 &&
	    c2.grace == 5 && c2.mem_budget == c.mem_budget &&
	    c2.leak == LEAK_FAIL && streq(c2.log_dir, "/tmp/logs"),
	    "config: round-trips");
	proto_config_clear(&c2);
	json_decref(o);
	c.leak = LEAK_KILL;
	c.mem_budget = 0;
	o = wire(proto_config_encode(&c));
	rc = proto_config_decode(o, &c2, err, sizeof err);
	ok(rc == 0 && c2.leak == LEAK_KILL && c2.mem_budget == 0,
	    "config: leak kill and no budget round-trip");
	proto_config_clear(&c2);
	json_decref(o);
	c.worker_env = (char *[]){ "DB=app{suffix}", "W={worker}@{node}",
	    NULL };
	c.node = 2;
	c.first_worker = 4;
	o = wire(proto_config_encode(&c));
	rc = proto_config_decode(o, &c2, err, sizeof err);
	ok(rc == 0 && c2.node == 2 && c2.first_worker == 4 &&
	    c2.worker_env != NULL && streq(c2.worker_env[0], "DB=app{suffix}") &&
	    streq(c2.worker_env[1], "W={worker}@{node}") &&
	    c2.worker_env[2] == NULL, "config: node, first worker and worker "
	    "env round-trip");
	proto_config_clear(&c2);
	c.worker_env = NULL;
	c.node = 0;
	c.first_worker = 0;
	json_object_set_new(o, "leak", json_string("ignore"));
	rc = proto_config_decode(o, &c2, err, sizeof err);
	ok(rc == -1 && c2.job == NULL, "config: a bad leak is rejected");
	is_str(err, "config: \"leak\" must be \"kill\" or \"fail\"",
	    "config: bad leak message");
	json_decref(o);

	/* test */
	def = J("{\"id\": \"t1\", \"cmd\": [\"./t1\"], \"cwd\": \"/w\","
	    " \"timeout\": 1.5, \"needs\": [\"t0\"], \"tags\": [\"x\"]}");
	rc = testdef_from_json(def, &t, err, sizeof err);
	ok(rc == 0, "test: a definition to send");
	o = wire(proto_test_encode(&t));
	ok(proto_type(o) == PROTO_TEST, "test: type");
	rc = proto_test_decode(o, &t2, err, sizeof err);
	ok(rc == 0 && streq(t2.id, "t1") && streq(t2.argv[0], "./t1") &&
	    streq(t2.cwd, "/w") && t2.timeout == 1.5 &&
	    strv_contains(t2.needs, "t0") && testdef_has_tag(&t2, "x"),
	    "test: round-trips");
	testdef_clear(&t2);
	json_object_set_new(o, "extra", json_true());
	rc = proto_test_decode(o, &t2, err, sizeof err);
	ok(rc == -1 && t2.id == NULL, "test: an unknown key is rejected");
	is_str(err, "test: unknown key \"extra\"", "test: unknown key message");
	json_decref(o);

	/* exec: the whole definition, the attempt, the effective timeout */
	o = wire(proto_exec_encode(&t, 2, 7.5, NULL, NULL));
	ok(proto_type(o) == PROTO_EXEC, "exec: type");
	rc = proto_exec_decode(o, &ex, err, sizeof err);
	ok(rc == 0 && ex.attempt == 2 && ex.timeout == 7.5 &&
	    streq(ex.def.id, "t1") && streq(ex.def.cwd, "/w"),
	    "exec: round-trips");
	proto_exec_clear(&ex);
	json_object_set_new(o, "attempt", json_integer(0));
	rc = proto_exec_decode(o, &ex, err, sizeof err);
	ok(rc == -1, "exec: attempt 0 is rejected");
	is_str(err,
	    "exec: \"attempt\" must be an integer from 1 to 1000000",
	    "exec: attempt range message");
	proto_exec_clear(&ex);
	json_decref(o);
	testdef_clear(&t);
	json_decref(def);

	/* fixture */
	def = J("{\"fixture\": \"db\", \"setup\": \"mkdb\"}");
	rc = fixturedef_from_json(def, &f, err, sizeof err);
	o = wire(proto_fixture_encode(&f));
	ok(proto_type(o) == PROTO_FIXTURE, "fixture: type");
	rc = proto_fixture_decode(o, &f2, err, sizeof err);
	ok(rc == 0 && streq(f2.name, "db") && streq(f2.setup_sh, "mkdb") &&
	    f2.teardown_sh == NULL, "fixture: round-trips");
	fixturedef_clear(&f2);
	json_object_set_new(o, "extra", json_true());
	rc = proto_fixture_decode(o, &f2, err, sizeof err);
	ok(rc == -1, "fixture: an unknown key is rejected");
	is_str(err, "fixture: unknown key \"extra\"",
	    "fixture: unknown key message");
	json_decref(o);
	fixturedef_clear(&f);
	json_decref(def);

	/* loaded */
	o = wire(proto_loaded_encode(17));
	ok(proto_type(o) == PROTO_LOADED, "loaded: type");
	rc = proto_loaded_decode(o, &n, err, sizeof err);
	ok(rc == 0 && n == 17, "loaded: round-trips");
	json_object_set_new(o, "count", json_integer(-1));
	rc = proto_loaded_decode(o, &n, err, sizeof err);
	ok(rc == -1, "loaded: a negative count is rejected");
	json_decref(o);

	/* error */
	o = wire(proto_error_encode("input", "m.ndjson:3: missing \"id\""));
	ok(proto_type(o) == PROTO_ERROR, "error: type");
	rc = proto_error_decode(o, &me, err, sizeof err);
	ok(rc == 0 && streq(me.kind, "input") &&
	    streq(me.message, "m.ndjson:3: missing \"id\""),
	    "error: round-trips");
	proto_error_clear(&me);
	json_object_del(o, "message");
	rc = proto_error_decode(o, &me, err, sizeof err);
	ok(rc == -1, "error: a missing message is rejected");
	is_str(err, "error: missing \"message\"",
	    "error: missing message text");
	proto_error_clear(&me);
	json_decref(o);

	/* run */
	memset(&r, 0, sizeof r);
	r.worker = 1;
	r.test = "t1";
	r.attempt = 3;
	o = wire(proto_run_encode(&r));
	ok(proto_type(o) == PROTO_RUN, "run: type");
	rc = proto_run_decode(o, &r2, err, sizeof err);
	ok(rc == 0 && r2.worker == 1 && streq(r2.test, "t1") &&
	    r2.attempt == 3, "run: round-trips");
	proto_run_clear(&r2);
	json_object_set_new(o, "cmd", json_string("rm -rf /"));
	rc = proto_run_decode(o, &r2, err, sizeof err);
	ok(rc == -1 && r2.test == NULL, "run: carries ids only, a cmd is "
	    "rejected");
	is_str(err, "run: unknown key \"cmd\"", "run: unknown key message");
	json_decref(o);

	/* started */
	memset(&st, 0, sizeof st);
	st.worker = 0;
	st.test = "t1";
	st.attempt = 1;
	st.pid = 31337;
	o = wire(proto_started_encode(&st));
	ok(proto_type(o) == PROTO_STARTED, "started: type");
	rc = proto_started_decode(o, &st2, err, sizeof err);
	ok(rc == 0 && st2.worker == 0 && streq(st2.test, "t1") &&
	    st2.attempt == 1 && st2.pid == 31337 && st2.phase[0] == '\0',
	    "started: round-trips");
	json_decref(o);
	proto_started_clear(&st2);
	/* A fixture's setup carries its phase; anything else is refused. */
	strlcpy(st.phase, "setup", sizeof st.phase);
	o = wire(proto_started_encode(&st));
	rc = proto_started_decode(o, &st2, err, sizeof err);
	ok(rc == 0 && streq(st2.phase, "setup"), "started: phase round-trips");
	json_object_set_new(o, "phase", json_string("warmup"));
	proto_started_clear(&st2);
	rc = proto_started_decode(o, &st2, err, sizeof err);
	ok(rc == -1, "started: unknown phase rejected");
	is_str(err, "started: \"phase\" must be \"setup\" or \"teardown\"",
	    "started: phase message");
	st.phase[0] = '\0';
	proto_started_clear(&st2);
	json_object_set_new(o, "pid", json_integer(0));
	rc = proto_started_decode(o, &st2, err, sizeof err);
	ok(rc == -1 && st2.test == NULL, "started: pid 0 is rejected");
	json_decref(o);

	/* result, with every field and then with the optional ones absent */
	memset(&res, 0, sizeof res);
	res.worker = 1;
	res.test = "slow";
	res.attempt = 1;
	res.status = ST_TIMEOUT;
	res.exit_code = -1;
	res.signal = 15;
	res.start = 1700000000.25;
	res.duration = 5.003;
	res.cpu = 0.5;
	res.rss = 123456789;
	res.leaked = 2;
	res.reason = "timed out after 5s";
	res.log = "/tmp/logs/slow.1.log";
	res.tail = "line 1\nline 2\n";
	o = wire(proto_result_encode(&res));
	ok(proto_type(o) == PROTO_RESULT, "result: type");
	ok(json_is_null(json_object_get(o, "exit")),
	    "result: no exit code is encoded as null");
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && res2.worker == 1 && streq(res2.test, "slow") &&
	    res2.attempt == 1 && res2.status == ST_TIMEOUT &&
	    res2.exit_code == -1 && res2.signal == 15 &&
	    res2.start == res.start && res2.duration == res.duration &&
	    res2.cpu == 0.5 && res2.rss == 123456789 && res2.leaked == 2 &&
	    streq(res2.reason, res.reason) && streq(res2.log, res.log) &&
	    streq(res2.tail, res.tail), "result: every field round-trips");
	proto_result_clear(&res2);
	json_decref(o);
	res.status = ST_FAILED;
	res.exit_code = 1;
	res.signal = 0;
	res.leaked = 0;
	res.reason = res.log = res.tail = NULL;
	o = wire(proto_result_encode(&res));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && res2.status == ST_FAILED && res2.exit_code == 1 &&
	    res2.reason == NULL && res2.log == NULL && res2.tail == NULL,
	    "result: exit 1 and no reason, log or tail round-trip");
	proto_result_clear(&res2);
	json_object_set_new(o, "status", json_string("GREAT"));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == -1 && res2.test == NULL, "result: a bad status is rejected");
	is_str(err, "result: unknown status \"GREAT\"",
	    "result: bad status message");
	json_object_set_new(o, "status", json_string("ok"));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == -1, "result: status names are case-sensitive");
	json_object_set_new(o, "status", json_string("OK"));
	json_object_set_new(o, "exit", json_integer(256));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == -1, "result: exit 256 is rejected");
	is_str(err, "result: \"exit\" must be an integer from 0 to 255",
	    "result: exit range message");
	json_decref(o);

	/* worker */
	memset(&w, 0, sizeof w);
	w.worker = 2;
	strlcpy(w.state, "ready", sizeof w.state);
	w.reason = NULL;
	o = wire(proto_worker_encode(&w));
	ok(proto_type(o) == PROTO_WORKER, "worker: type");
	rc = proto_worker_decode(o, &w2, err, sizeof err);
	ok(rc == 0 && w2.worker == 2 && streq(w2.state, "ready") &&
	    w2.reason == NULL, "worker: ready round-trips");
	proto_worker_clear(&w2);
	json_decref(o);
	strlcpy(w.state, "died", sizeof w.state);
	w.reason = "killed by SIGKILL";
	o = wire(proto_worker_encode(&w));
	rc = proto_worker_decode(o, &w2, err, sizeof err);
	ok(rc == 0 && streq(w2.state, "died") &&
	    streq(w2.reason, "killed by SIGKILL"), "worker: died round-trips");
	proto_worker_clear(&w2);
	json_decref(o);
	/* The test's run a dead worker had taken. */
	w.test = "t/one";
	w.attempt = 2;
	o = wire(proto_worker_encode(&w));
	rc = proto_worker_decode(o, &w2, err, sizeof err);
	ok(rc == 0 && streq(w2.test, "t/one") && w2.attempt == 2,
	    "worker: died with its test round-trips");
	proto_worker_clear(&w2);
	json_decref(o);

	/* what a worker keeps, and the budget it is held to */
	res.kept_rss = 0;
	o = wire(proto_result_encode(&res));
	ok(json_object_get(o, "kept_rss") == NULL,
	    "result: no kept_rss unless measured");
	json_object_set_new(o, "kept_rss", json_integer(64LL << 20));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && res2.kept_rss == 64LL << 20,
	    "result: kept_rss decodes");
	proto_result_clear(&res2);
	json_object_set_new(o, "kept_rss", json_integer(0));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	is_str(err, "result: \"kept_rss\" must be an integer from 1 to "
	    "9223372036854775807", "result: kept_rss 0 is rejected");
	json_decref(o);
	memset(&c, 0, sizeof c);
	c.job = "j";
	c.log_dir = "/l";
	o = wire(proto_config_encode(&c));
	ok(json_object_get(o, "worker_mem_budget") == NULL,
	    "config: no worker_mem_budget unless set");
	json_decref(o);
	c.worker_mem_budget = 32LL << 20;
	o = wire(proto_config_encode(&c));
	rc = proto_config_decode(o, &c2, err, sizeof err);
	ok(rc == 0 && c2.worker_mem_budget == 32LL << 20,
	    "config: worker_mem_budget round-trips");
	proto_config_clear(&c2);
	json_decref(o);
	o = wire(proto_recycle_encode(3));
	ok(proto_type(o) == PROTO_RECYCLE, "recycle: type");
	rc = proto_recycle_decode(o, &n, err, sizeof err);
	ok(rc == 0 && n == 3, "recycle: round-trips");
	json_object_set_new(o, "test", json_string("a"));
	rc = proto_recycle_decode(o, &n, err, sizeof err);
	is_str(err, "recycle: unknown key \"test\"",
	    "recycle: an unknown key is rejected");
	json_decref(o);

	/* shutdown and bye: a type and nothing else */
	o = wire(proto_shutdown_encode());
	ok(proto_type(o) == PROTO_SHUTDOWN && json_object_size(o) == 1,
	    "shutdown: type only");
	json_decref(o);
	o = wire(proto_bye_encode());
	ok(proto_type(o) == PROTO_BYE && json_object_size(o) == 1,
	    "bye: type only");
	json_decref(o);
}

/* What the old tests left out: root, phases, a trace and cases. */
static void
test_round_trips(void)
{
	char *reasons[] = { "static binary", NULL };
	char *reads[] = { "data.txt", "t/a.sh", NULL };
	char *lists[] = { "t", NULL };
	char *missing[] = { "maybe.txt", NULL };
	struct msg_config c, c2;
	struct msg_run r, r2;
	struct msg_exec ex;
	struct msg_result res, res2;
	struct msg_rewrite rw;
	struct test_def t;
	char err[512];
	json_t *o, *def;
	int rc;

	memset(&c, 0, sizeof c);
	c.job = "j";
	c.log_dir = "/l";
	c.root = "/src";
	o = wire(proto_config_encode(&c));
	rc = proto_config_decode(o, &c2, err, sizeof err);
	ok(rc == 0 && streq(c2.root, "/src"), "config: root round-trips");
	proto_config_clear(&c2);
	json_decref(o);

	memset(&r, 0, sizeof r);
	r.test = "db";
	r.attempt = 2;
	strlcpy(r.phase, "teardown", sizeof r.phase);
	o = wire(proto_run_encode(&r));
	rc = proto_run_decode(o, &r2, err, sizeof err);
	ok(rc == 0 && streq(r2.test, "db") && streq(r2.phase, "teardown"),
	    "run: phase round-trips");
	proto_run_clear(&r2);
	json_decref(o);

	def = J("{'id': 'db', 'cmd': ['./up']}");
	testdef_from_json(def, &t, err, sizeof err);
	o = wire(proto_exec_encode(&t, 1, 3, "setup", NULL));
	rc = proto_exec_decode(o, &ex, err, sizeof err);
	ok(rc == 0 && streq(ex.def.id, "db") && streq(ex.phase, "setup") &&
	    ex.timeout == 3, "exec: phase round-trips");
	proto_exec_clear(&ex);
	json_decref(o);
	o = wire(proto_exec_encode(&t, 1, 3, NULL, NULL));
	ok(json_object_get(o, "phase") == NULL, "exec: a test has no phase");
	json_decref(o);
	testdef_clear(&t);
	json_decref(def);

	memset(&res, 0, sizeof res);
	res.test = "a";
	res.attempt = 1;
	res.status = ST_FAILED;
	res.exit_code = 0;
	res.duration = 1;
	strlcpy(res.phase, "setup", sizeof res.phase);
	res.trace.present = 1;
	res.trace.incomplete = 1;
	res.trace.reasons = reasons;
	res.trace.reads = reads;
	res.trace.lists = lists;
	res.trace.missing = missing;
	res.trace.writes = lists;
	res.trace.writes_cut = 1;
	res.trace.removed = missing;
	rw.path = "stamp";
	rw.hash = 0xfedcba9876543210ULL;
	res.trace.rewrites = &rw;
	res.trace.nrewrites = 1;
	res.trace.apps = 3;
	cases_init(&res.cases);
	cases_add(&res.cases, "c1", CASE_OK, 0.5, NULL, NULL);
	cases_add(&res.cases, "c2", CASE_FAILED, -1, "boom", "# 1 != 2\n");
	cases_set_error(&res.cases, "planned 3 cases, ran 2");
	res.cases.present = 1;
	o = wire(proto_result_encode(&res));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && res2.exit_code == 0 && streq(res2.phase, "setup"),
	    "result: exit 0 and phase round-trip");
	ok(rc == 0 && res2.trace.present && res2.trace.incomplete &&
	    res2.trace.apps == 3 && strv_len(res2.trace.reasons) == 1 &&
	    streq(res2.trace.reasons[0], "static binary") &&
	    strv_len(res2.trace.reads) == 2 &&
	    streq(res2.trace.reads[1], "t/a.sh") &&
	    strv_len(res2.trace.lists) == 1 &&
	    streq(res2.trace.lists[0], "t") &&
	    strv_len(res2.trace.missing) == 1 &&
	    streq(res2.trace.missing[0], "maybe.txt") &&
	    strv_len(res2.trace.writes) == 1 && res2.trace.writes_cut &&
	    strv_len(res2.trace.removed) == 1 &&
	    streq(res2.trace.removed[0], "maybe.txt") &&
	    res2.trace.nrewrites == 1 &&
	    streq(res2.trace.rewrites[0].path, "stamp") &&
	    res2.trace.rewrites[0].hash == 0xfedcba9876543210ULL,
	    "result: the trace round-trips");
	ok(rc == 0 && res2.cases.present && res2.cases.n == 2 &&
	    streq(res2.cases.v[0].name, "c1") &&
	    res2.cases.v[0].status == CASE_OK &&
	    res2.cases.v[0].duration == 0.5 &&
	    streq(res2.cases.v[1].reason, "boom") &&
	    streq(res2.cases.v[1].output, "# 1 != 2\n") &&
	    streq(res2.cases.error, "planned 3 cases, ran 2"),
	    "result: the cases round-trip");
	proto_result_clear(&res2);
	json_decref(o);
	/* A trace with nothing removed says nothing of it, as before. */
	res.trace.removed = NULL;
	o = wire(proto_result_encode(&res));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && json_object_get(json_object_get(o, "trace"),
	    "removed") == NULL && res2.trace.present &&
	    res2.trace.removed == NULL,
	    "result: a trace without removed paths has no \"removed\"");
	proto_result_clear(&res2);
	json_decref(o);
	cases_clear(&res.cases);
	memset(&res.trace, 0, sizeof res.trace);
	o = wire(proto_result_encode(&res));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && !res2.trace.present && !res2.cases.present &&
	    json_object_get(o, "trace") == NULL &&
	    json_object_get(o, "cases") == NULL,
	    "result: no trace and no cases are sent as none");
	proto_result_clear(&res2);
	json_decref(o);
}

/* Two cases' elements, as a worker read them from a hook. */
static void
elements_sample(struct msg_elements *m)
{
	static char *e0[] = { "lib.py#<module>", NULL };
	static uint64_t f0[] = { 0x0123456789abcdefULL };
	static char *e1[] = { "lib.py#<module>", "lib.py#area",
	    "tests/t.py#test_one", NULL };
	static uint64_t f1[] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL,
	    0x1ULL };
	static char *files0[] = { "lib.py", NULL };
	static char *files1[] = { "lib.py", "tests/t.py", NULL };
	static struct msg_case_elements v[2];

	memset(m, 0, sizeof *m);
	memset(v, 0, sizeof v);
	v[0].elems = e0;
	v[0].fps = f0;
	v[0].nelems = 1;
	v[0].files = files0;
	v[1].name = "tests/t.py::test_one";
	v[1].elems = e1;
	v[1].fps = f1;
	v[1].nelems = 3;
	v[1].files = files1;
	m->present = 1;
	m->v = v;
	m->n = 2;
	m->error = "the hook failed: no coverage";
}

/* Case i of m has the elements and files of the sample's case i. */
static int
elements_like_sample(const struct msg_elements *m)
{
	struct msg_elements s;
	size_t i, j;

	elements_sample(&s);
	if (!m->present || m->n != s.n || !streq(m->error, s.error))
		return (0);
	for (i = 0; i < s.n; i++) {
		if ((s.v[i].name == NULL) != (m->v[i].name == NULL) ||
		    (s.v[i].name != NULL && !streq(s.v[i].name,
		    m->v[i].name)) || m->v[i].nelems != s.v[i].nelems ||
		    strv_len(m->v[i].files) != strv_len(s.v[i].files))
			return (0);
		for (j = 0; j < s.v[i].nelems; j++)
			if (!streq(m->v[i].elems[j], s.v[i].elems[j]) ||
			    m->v[i].fps[j] != s.v[i].fps[j])
				return (0);
		for (j = 0; s.v[i].files[j] != NULL; j++)
			if (!streq(m->v[i].files[j], s.v[i].files[j]))
				return (0);
	}
	return (1);
}

/*
 * The known elements of the files that hold cases, on the null case's
 * line: read, sent by index into the same table as the cases', checked,
 * and counted against the cap.
 */
static void
test_elements_known(void)
{
	struct msg_elements m, m2;
	char err[512], num[64], *text, *enc;
	const char *p;
	size_t i, len;
	json_t *o;
	int rc;

	p = "{\"case\": null, \"elements\": [[\"t.py#<module>\", "
	    "\"0000000000000001\"]], \"files\": [\"t.py\"], \"known\": "
	    "[[\"t.py#<module>\", \"0000000000000001\"], [\"t.py#helper\", "
	    "\"0000000000000002\"], [\"t.py#test_one\", "
	    "\"0000000000000003\"]]}\n"
	    "{\"case\": \"t.py::test_one\", \"elements\": "
	    "[[\"t.py#test_one\", \"0000000000000003\"]], \"files\": "
	    "[\"t.py\"]}\n";
	proto_elements_read(p, strlen(p), &m);
	ok(m.error == NULL && m.n == 2 && m.known.nelems == 3 &&
	    streq(m.known.elems[1], "t.py#helper") && m.known.fps[1] == 2 &&
	    m.v[0].nelems == 1, "known: read from the null case's line");
	o = wire(proto_elements_encode(&m));
	enc = ndjson_encode(o);
	is_str(enc, "{\"names\":[[\"t.py#<module>\",\"0000000000000001\"],"
	    "[\"t.py#test_one\",\"0000000000000003\"],[\"t.py#helper\","
	    "\"0000000000000002\"]],\"paths\":[\"t.py\"],\"cases\":"
	    "[{\"case\":null,\"elements\":[0],\"files\":[0]},{\"case\":"
	    "\"t.py::test_one\",\"elements\":[1],\"files\":[0]}],"
	    "\"known\":[0,2,1]}", "known: sent by index into the same table");
	free(enc);
	rc = proto_elements_decode(o, &m2, err, sizeof err);
	ok(rc == 0 && m2.known.nelems == 3 && streq(m2.known.elems[1],
	    "t.py#helper") && m2.known.fps[1] == 2 && m2.known.fps[2] == 3 &&
	    m2.n == 2, "known: decoded");
	proto_elements_clear(&m2);
	json_object_set_new(o, "known", J("[0, 3]"));
	rc = proto_elements_decode(o, &m2, err, sizeof err);
	ok(rc == -1 && m2.n == 0 && m2.known.nelems == 0,
	    "known: an index out of the table is refused");
	is_str(err, "elements: \"known\" must be an array of indices into "
	    "\"names\"", "known: the reason");
	json_decref(o);
	proto_elements_clear(&m);

	p = "{\"case\": null, \"elements\": [], \"known\": [[\"t.py\", "
	    "\"0000000000000001\"]]}\n";
	proto_elements_read(p, strlen(p), &m);
	is_str(m.error, "$DAGZ_CASE_ELEMENTS: line 1: \"known\" must be "
	    "[[ELEMENT, FP]...]", "known: a bad one makes the record "
	    "incomplete");
	proto_elements_clear(&m);

	/* They count against the cap like the cases' elements. */
	len = 0;
	text = xstrdup("{\"case\": null, \"elements\": [], \"known\": [");
	len = strlen(text);
	for (i = 0; i < 20000; i++) {
		char el[128];
		int n;

		n = snprintf(el, sizeof el, "%s[\"t.py#helper_%06zu\", "
		    "\"0123456789abcdef\"]", i > 0 ? ", " : "", i);
		text = xreallocarray(text, len + n + 4, 1);
		memcpy(text + len, el, n + 1);
		len += n;
	}
	memcpy(text + len, "]}\n", 4);
	len += 3;
	proto_elements_read(text, len, &m);
	snprintf(num, sizeof num, "more than %d bytes of elements",
	    PROTO_ELEMENTS_MAX);
	ok(len < PROTO_ELEMENTS_FILE_MAX && m.n == 0 &&
	    m.known.nelems == 0, "known: past the cap nothing is kept");
	is_str(m.error, num, "known: past the cap is the reason");
	proto_elements_clear(&m);
	free(text);
}

/*
 * The elements of a result: a round trip, alone and inside a result;
 * malformed ones refused with the reason; the hook's NDJSON read line by
 * line, a bad line making the record incomplete but keeping the rest,
 * and more than PROTO_ELEMENTS_MAX bytes keeping nothing.
 */
static void
test_elements(void)
{
	static const struct {
		const char	*msg;
		const char	*err;
	} bad[] = {
		{ "{'names': [], 'paths': [], 'cases': {}}",
		  "elements: \"cases\" must be an array" },
		{ "{'names': [], 'paths': [], 'error': 'x'}",
		  "elements: missing \"cases\"" },
		{ "{'names': [], 'paths': [], 'cases': [], 'more': 1}",
		  "elements: unknown key \"more\"" },
		{ "{'names': [['a.py#f', '0123456789abcdeg']], 'paths': [],"
		  " 'cases': []}",
		  "elements: \"names\" must be an array of [NAME, FP], NAME "
		  "FILE#QUALNAME, FP 16 hexadecimal digits" },
		{ "{'names': [['a.py', '0123456789abcdef']], 'paths': [],"
		  " 'cases': []}",
		  "elements: \"names\" must be an array of [NAME, FP], NAME "
		  "FILE#QUALNAME, FP 16 hexadecimal digits" },
		{ "{'names': [], 'paths': ['a.py', 1], 'cases': []}",
		  "elements: \"paths\" must be an array of strings" },
		{ "{'names': [], 'paths': [], 'cases': [{'case': null,"
		  " 'elements': [], 'files': []}, {'case': 1, 'elements': [],"
		  " 'files': []}]}",
		  "elements: case 2 must be {\"case\", \"elements\": [INDEX...], "
		  "\"files\": [INDEX...]}, indices into \"names\" and \"paths\"" },
		{ "{'names': [['a.py#f', '0123456789abcdef']], 'paths': ['a.py'],"
		  " 'cases': [{'case': 'a', 'elements': [1], 'files': [0]}]}",
		  "elements: case 1 must be {\"case\", \"elements\": [INDEX...], "
		  "\"files\": [INDEX...]}, indices into \"names\" and \"paths\"" },
		{ "{'names': [['a.py#f', '0123456789abcdef']], 'paths': ['a.py'],"
		  " 'cases': [{'case': 'a', 'elements': [0], 'files': [-1]}]}",
		  "elements: case 1 must be {\"case\", \"elements\": [INDEX...], "
		  "\"files\": [INDEX...]}, indices into \"names\" and \"paths\"" },
		{ "{'names': [['a.py#f', '0123456789abcdef']], 'paths': ['a.py'],"
		  " 'cases': [{'case': 'a', 'elements': ['0'], 'files': []}]}",
		  "elements: case 1 must be {\"case\", \"elements\": [INDEX...], "
		  "\"files\": [INDEX...]}, indices into \"names\" and \"paths\"" },
		{ "{'names': [], 'paths': [], 'cases': [{'case': 'a',"
		  " 'elements': []}]}",
		  "elements: case 1 must be {\"case\", \"elements\": [INDEX...], "
		  "\"files\": [INDEX...]}, indices into \"names\" and \"paths\"" },
	};
	struct msg_elements m, m2;
	struct msg_result res, res2;
	char err[512], num[64], *text, *enc;
	const char *p;
	size_t i, len, lo, hi, mid, *ends;
	json_t *o;
	int rc;

	elements_sample(&m);
	o = wire(proto_elements_encode(&m));
	rc = proto_elements_decode(o, &m2, err, sizeof err);
	ok(rc == 0 && elements_like_sample(&m2), "elements: round trip%s%s",
	    rc == -1 ? ": " : "", rc == -1 ? err : "");
	proto_elements_clear(&m2);
	/* What the cases share travels once. */
	enc = ndjson_encode(o);
	is_str(enc, "{\"names\":[[\"lib.py#<module>\",\"0123456789abcdef\"],"
	    "[\"lib.py#area\",\"fedcba9876543210\"],[\"tests/t.py#test_one\","
	    "\"0000000000000001\"]],\"paths\":[\"lib.py\",\"tests/t.py\"],"
	    "\"cases\":[{\"case\":null,\"elements\":[0],\"files\":[0]},"
	    "{\"case\":\"tests/t.py::test_one\",\"elements\":[0,1,2],"
	    "\"files\":[0,1]}],\"error\":\"the hook failed: no coverage\"}",
	    "elements: each element and file is sent once, cases by index");
	free(enc);
	json_decref(o);

	memset(&res, 0, sizeof res);
	res.test = "t/a.py";
	res.attempt = 1;
	res.status = ST_OK;
	res.exit_code = 0;
	elements_sample(&res.elements);
	o = wire(proto_result_encode(&res));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == 0 && elements_like_sample(&res2.elements),
	    "elements: round trip in a result");
	proto_result_clear(&res2);
	json_object_set_new(o, "elements", J("{'names': [], 'paths': [],"
	    " 'cases': 3}"));
	rc = proto_result_decode(o, &res2, err, sizeof err);
	ok(rc == -1, "elements: a result with bad elements is refused");
	is_str(err, "result: elements: \"cases\" must be an array",
	    "elements: the result's error names its elements");
	json_decref(o);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		o = J(bad[i].msg);
		rc = proto_elements_decode(o, &m2, err, sizeof err);
		ok(rc == -1 && m2.n == 0 && m2.v == NULL,
		    "elements: refused: %s", bad[i].msg);
		is_str(err, bad[i].err, "elements: error of: %s", bad[i].msg);
		json_decref(o);
	}

	/* The hook's file: blank lines are nothing, a bad line is noted. */
	p = "{\"case\": null, \"elements\": [[\"lib.py#<module>\", "
	    "\"0123456789abcdef\"]], \"files\": [\"lib.py\"]}\n"
	    "\n"
	    "{\"case\": \"tests/t.py::test_one\", \"elements\": "
	    "[[\"lib.py#<module>\", \"0123456789abcdef\"], [\"lib.py#area\", "
	    "\"fedcba9876543210\"], [\"tests/t.py#test_one\", "
	    "\"0000000000000001\"]], \"files\": [\"lib.py\", \"tests/t.py\"]}\n"
	    "{\"case\": null, \"error\": \"no coverage\"}\n";
	proto_elements_read(p, strlen(p), &m2);
	ok(elements_like_sample(&m2), "elements: read from the hook's NDJSON, "
	    "its error kept");
	proto_elements_clear(&m2);
	proto_elements_read(p, strlen(p) - 1, &m2);
	ok(elements_like_sample(&m2), "elements: a last line without a "
	    "newline is read");
	proto_elements_clear(&m2);

	p = "{\"case\": \"a\", \"elements\": []}\n"
	    "{\"case\": \"b\", \"elements\": [\n"
	    "[1, 2]\n"
	    "{\"case\": \"c\", \"elements\": [[\"c.py#f\", \"01\"]]}\n";
	proto_elements_read(p, strlen(p), &m2);
	ok(m2.present && m2.n == 1 && streq(m2.v[0].name, "a") &&
	    m2.v[0].nelems == 0 && m2.v[0].files == NULL,
	    "elements: good lines are kept among bad ones");
	is_str(m2.error, "$DAGZ_CASE_ELEMENTS: line 2: not JSON",
	    "elements: the first bad line is the reason");
	proto_elements_clear(&m2);
	p = "[1, 2]\n";
	proto_elements_read(p, strlen(p), &m2);
	is_str(m2.error, "$DAGZ_CASE_ELEMENTS: line 1: not a case's elements",
	    "elements: JSON that is not a case is refused");
	proto_elements_clear(&m2);

	/* Lines written as cases ran are passed over; alone, not done. */
	p = "{\"case\": \"t.py::a\", \"started\": true}\n"
	    "{\"case\": \"t.py::a\", \"outcome\": \"passed\"}\n"
	    "{\"case\": \"t.py::a\", \"elements\": []}\n";
	proto_elements_read(p, strlen(p), &m2);
	ok(m2.n == 1 && m2.error == NULL, "elements: progress lines are "
	    "passed over");
	proto_elements_clear(&m2);
	p = "{\"case\": \"t.py::a\", \"started\": true}\n";
	proto_elements_read(p, strlen(p), &m2);
	is_str(m2.error, "the hook did not finish", "elements: cases that "
	    "started and no record of them: incomplete");
	proto_elements_clear(&m2);

	proto_elements_read(NULL, 0, &m2);
	ok(m2.present && m2.n == 0, "elements: an unreadable file is a "
	    "record");
	is_str(m2.error, "cannot read $DAGZ_CASE_ELEMENTS",
	    "elements: an unreadable file is the reason");
	proto_elements_clear(&m2);

	/* The cap: the first case past it, found by halving, drops all. */
	len = 0;
	text = NULL;
	ends = NULL;
	for (i = 0; i < 40000; i++) {
		char line[256];
		int n;

		n = snprintf(line, sizeof line, "{\"case\": \"t.py::c%06zu\", "
		    "\"elements\": [[\"lib/module_%06zu.py#function\", "
		    "\"0123456789abcdef\"]]}\n", i, i);
		text = xreallocarray(text, len + n + 1, 1);
		memcpy(text + len, line, n + 1);
		len += n;
		ends = xreallocarray(ends, i + 1, sizeof *ends);
		ends[i] = len;
	}
	lo = 0;
	hi = i - 1;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		proto_elements_read(text, ends[mid], &m2);
		if (m2.error == NULL)
			lo = mid + 1;
		else
			hi = mid;
		proto_elements_clear(&m2);
	}
	proto_elements_read(text, ends[lo], &m2);
	snprintf(num, sizeof num, "more than %d bytes of elements",
	    PROTO_ELEMENTS_MAX);
	ok(m2.present && m2.n == 0 && m2.v == NULL && lo > 1000,
	    "elements: past the cap nothing is kept (case %zu)", lo + 1);
	is_str(m2.error, num, "elements: past the cap is the reason");
	proto_elements_clear(&m2);
	proto_elements_read(text, ends[lo - 1], &m2);
	ok(m2.error == NULL && m2.n == lo, "elements: one case fewer is kept "
	    "whole");
	proto_elements_clear(&m2);
	free(ends);

	/* Counted as sent: many cases of the same elements stay whole. */
	len = 0;
	for (i = 0; i < 5000; i++) {
		char line[1024];
		int n;

		n = snprintf(line, sizeof line, "{\"case\": \"t.py::c%06zu\", "
		    "\"elements\": [[\"lib/shared.py#<module>\", "
		    "\"0123456789abcdef\"], [\"lib/shared.py#one\", "
		    "\"0123456789abcdef\"], [\"lib/shared.py#two\", "
		    "\"0123456789abcdef\"], [\"lib/shared.py#three\", "
		    "\"0123456789abcdef\"], [\"t.py#c%06zu\", "
		    "\"0123456789abcdef\"]], \"files\": [\"lib/shared.py\", "
		    "\"t.py\"]}\n", i, i % 50);
		text = xreallocarray(text, len + n + 1, 1);
		memcpy(text + len, line, n + 1);
		len += n;
	}
	proto_elements_read(text, len, &m2);
	ok(len > 2 * PROTO_ELEMENTS_MAX && m2.error == NULL && m2.n == 5000 &&
	    m2.v[4999].nelems == 5 && streq(m2.v[4999].elems[4],
	    "t.py#c000049"), "elements: %zu bytes of cases sharing elements "
	    "are kept whole", len);
	o = wire(proto_elements_encode(&m2));
	enc = ndjson_encode(o);
	ok(strlen(enc) < PROTO_ELEMENTS_MAX, "elements: they are sent in "
	    "%zu bytes", strlen(enc));
	free(enc);
	json_decref(o);
	proto_elements_clear(&m2);
	free(text);
}

int
main(void)
{
	test_proto();
	test_unknown_keys();
	test_refusals();
	test_round_trips();
	test_elements();
	test_elements_known();
	return (tap_done());
}
