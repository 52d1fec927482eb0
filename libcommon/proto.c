/*
 * proto.c: encoding and validating decoding of every protocol message.
 * Decoders reject unknown keys so that a newer peer speaking a different
 * dialect fails loudly at the first message instead of half-working.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "proto.h"
#include "strv.h"
#include "xmalloc.h"

static const char *const proto_names[] = {
	[PROTO_HELLO] = "hello",
	[PROTO_CONFIG] = "config",
	[PROTO_TEST] = "test",
	[PROTO_FIXTURE] = "fixture",
	[PROTO_LOADED] = "loaded",
	[PROTO_ERROR] = "error",
	[PROTO_RUN] = "run",
	[PROTO_EXEC] = "exec",
	[PROTO_STARTED] = "started",
	[PROTO_RESULT] = "result",
	[PROTO_WORKER] = "worker",
	[PROTO_SHUTDOWN] = "shutdown",
	[PROTO_BYE] = "bye",
	[PROTO_UNKNOWN] = "unknown",
};

enum proto_type
proto_type(json_t *msg)
{
	const char *t = json_string_value(json_object_get(msg, "type"));
	int i;

	if (t == NULL)
		return (PROTO_UNKNOWN);
	for (i = 0; i < PROTO_UNKNOWN; i++)
		if (strcmp(proto_names[i], t) == 0)
			return (i);
	return (PROTO_UNKNOWN);
}

const char *
proto_type_name(enum proto_type t)
{
	if ((unsigned)t > PROTO_UNKNOWN)
		t = PROTO_UNKNOWN;
	return (proto_names[t]);
}

static json_t *
proto_new(enum proto_type t)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(proto_names[t]));
	return (o);
}

static int
proto_int(json_t *o, const char *k, int req, long long min, long long max,
    int *out, char *err, size_t len)
{
	long long v = *out;

	if (jsonv_int(o, k, req, min, max, &v, err, len) == -1)
		return (-1);
	*out = (int)v;
	return (0);
}

static int
proto_copy(json_t *o, const char *k, char *buf, size_t bufsz, char *err,
    size_t len)
{
	char *s;

	if (jsonv_string(o, k, JSONV_REQUIRED, &s, err, len) == -1)
		return (-1);
	if (strlcpy(buf, s, bufsz) >= bufsz) {
		snprintf(err, len, "\"%s\" too long", k);
		free(s);
		return (-1);
	}
	free(s);
	return (0);
}

int
proto_phase_valid(const char *phase)
{
	return (*phase == '\0' || strcmp(phase, "setup") == 0 ||
	    strcmp(phase, "teardown") == 0);
}

static void
proto_phase_encode(json_t *o, const char *phase)
{
	if (*phase != '\0')
		json_object_set_new(o, "phase", json_string(phase));
}

/* An optional "phase": "setup" or "teardown". */
static int
proto_phase_decode(json_t *o, char *phase, char *err, size_t len)
{
	json_t *v = json_object_get(o, "phase");

	phase[0] = '\0';
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v) ||
	    strlcpy(phase, json_string_value(v), PROTO_PHASE_LEN) >=
	    PROTO_PHASE_LEN || *phase == '\0' || !proto_phase_valid(phase)) {
		phase[0] = '\0';
		snprintf(err, len, "\"phase\" must be \"setup\" or "
		    "\"teardown\"");
		return (-1);
	}
	return (0);
}

json_t *
proto_hello_encode(const struct msg_hello *m)
{
	json_t *o = proto_new(PROTO_HELLO);

	json_object_set_new(o, "proto", json_integer(m->proto));
	json_object_set_new(o, "role", json_string(m->role));
	json_object_set_new(o, "pid", json_integer(m->pid));
	if (m->worker >= 0)
		json_object_set_new(o, "worker", json_integer(m->worker));
	if (m->workers > 0)
		json_object_set_new(o, "workers", json_integer(m->workers));
	return (o);
}

int
proto_hello_decode(json_t *o, struct msg_hello *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "proto", "role", "pid",
	    "worker", "workers", NULL };
	int pid = 0;

	memset(m, 0, sizeof *m);
	m->worker = -1;
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "proto", 1, 0, 1000000, &m->proto, err, len) == -1 ||
	    proto_copy(o, "role", m->role, sizeof m->role, err, len) == -1 ||
	    proto_int(o, "pid", 1, 1, 1 << 30, &pid, err, len) == -1 ||
	    proto_int(o, "worker", 0, 0, 100000, &m->worker, err, len) == -1 ||
	    proto_int(o, "workers", 0, 1, 100000, &m->workers, err, len) == -1)
		return (-1);
	m->pid = pid;
	if (m->proto != PROTO_VERSION) {
		snprintf(err, len, "protocol version %d, expected %d",
		    m->proto, PROTO_VERSION);
		return (-1);
	}
	return (0);
}

json_t *
proto_config_encode(const struct msg_config *m)
{
	json_t *o = proto_new(PROTO_CONFIG);

	json_object_set_new(o, "job", json_string(m->job));
	json_object_set_new(o, "timeout", json_real(m->timeout));
	json_object_set_new(o, "grace", json_real(m->grace));
	json_object_set_new(o, "mem_budget", json_integer(m->mem_budget));
	json_object_set_new(o, "leak",
	    json_string(m->leak == LEAK_FAIL ? "fail" : "kill"));
	json_object_set_new(o, "log_dir", json_string(m->log_dir));
	if (m->root != NULL)
		json_object_set_new(o, "root", json_string(m->root));
	return (o);
}

int
proto_config_decode(json_t *o, struct msg_config *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "job", "timeout", "grace",
	    "mem_budget", "leak", "log_dir", "root", NULL };
	char leak[8];

	memset(m, 0, sizeof *m);
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    jsonv_string(o, "job", 1, &m->job, err, len) == -1 ||
	    jsonv_number(o, "timeout", 1, 0, &m->timeout, err, len) == -1 ||
	    jsonv_number(o, "grace", 1, 0, &m->grace, err, len) == -1 ||
	    jsonv_int(o, "mem_budget", 1, 0, INT64_MAX, &m->mem_budget, err,
	    len) == -1 ||
	    proto_copy(o, "leak", leak, sizeof leak, err, len) == -1 ||
	    jsonv_string(o, "log_dir", 1, &m->log_dir, err, len) == -1 ||
	    jsonv_string(o, "root", 0, &m->root, err, len) == -1)
		goto fail;
	if (strcmp(leak, "fail") == 0)
		m->leak = LEAK_FAIL;
	else if (strcmp(leak, "kill") == 0)
		m->leak = LEAK_KILL;
	else {
		snprintf(err, len, "\"leak\" must be \"kill\" or \"fail\"");
		goto fail;
	}
	return (0);
fail:
	proto_config_clear(m);
	return (-1);
}

void
proto_config_clear(struct msg_config *m)
{
	free(m->job);
	free(m->log_dir);
	free(m->root);
	memset(m, 0, sizeof *m);
}

/* Decodes the definition held under key of a message. */
static int
proto_def(json_t *o, const char *key, struct test_def *t, char *err,
    size_t len)
{
	json_t *d = json_object_get(o, key);

	if (!json_is_object(d)) {
		testdef_init(t);
		snprintf(err, len, "\"%s\" must be an object", key);
		return (-1);
	}
	return (testdef_from_json(d, t, err, len));
}

json_t *
proto_test_encode(const struct test_def *t)
{
	json_t *o = proto_new(PROTO_TEST);

	json_object_set_new(o, "test", testdef_to_json(t));
	return (o);
}

int
proto_test_decode(json_t *o, struct test_def *t, char *err, size_t len)
{
	static const char *const keys[] = { "type", "test", NULL };

	if (jsonv_keys(o, keys, err, len) == -1) {
		testdef_init(t);
		return (-1);
	}
	return (proto_def(o, "test", t, err, len));
}

json_t *
proto_fixture_encode(const struct fixture_def *f)
{
	json_t *o = proto_new(PROTO_FIXTURE);

	json_object_set_new(o, "fixture", fixturedef_to_json(f));
	return (o);
}

int
proto_fixture_decode(json_t *o, struct fixture_def *f, char *err, size_t len)
{
	static const char *const keys[] = { "type", "fixture", NULL };
	json_t *d = json_object_get(o, "fixture");

	memset(f, 0, sizeof *f);
	if (jsonv_keys(o, keys, err, len) == -1)
		return (-1);
	if (!json_is_object(d)) {
		snprintf(err, len, "\"fixture\" must be an object");
		return (-1);
	}
	return (fixturedef_from_json(d, f, err, len));
}

json_t *
proto_loaded_encode(int count)
{
	json_t *o = proto_new(PROTO_LOADED);

	json_object_set_new(o, "count", json_integer(count));
	return (o);
}

int
proto_loaded_decode(json_t *o, int *count, char *err, size_t len)
{
	static const char *const keys[] = { "type", "count", NULL };

	*count = 0;
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "count", 1, 0, 1 << 30, count, err, len) == -1)
		return (-1);
	return (0);
}

json_t *
proto_error_encode(const char *kind, const char *message)
{
	json_t *o = proto_new(PROTO_ERROR);

	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "message", json_string(message));
	return (o);
}

int
proto_error_decode(json_t *o, struct msg_error *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "kind", "message", NULL };

	memset(m, 0, sizeof *m);
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_copy(o, "kind", m->kind, sizeof m->kind, err, len) == -1 ||
	    jsonv_string(o, "message", 1, &m->message, err, len) == -1)
		return (-1);
	return (0);
}

void
proto_error_clear(struct msg_error *m)
{
	free(m->message);
	memset(m, 0, sizeof *m);
}

json_t *
proto_run_encode(const struct msg_run *m)
{
	json_t *o = proto_new(PROTO_RUN);

	json_object_set_new(o, "worker", json_integer(m->worker));
	json_object_set_new(o, "test", json_string(m->test));
	json_object_set_new(o, "attempt", json_integer(m->attempt));
	proto_phase_encode(o, m->phase);
	return (o);
}

int
proto_run_decode(json_t *o, struct msg_run *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "worker", "test",
	    "attempt", "phase", NULL };

	memset(m, 0, sizeof *m);
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "worker", 1, 0, 100000, &m->worker, err, len) == -1 ||
	    jsonv_string(o, "test", 1, &m->test, err, len) == -1 ||
	    proto_int(o, "attempt", 1, 1, 1000000, &m->attempt, err,
	    len) == -1 ||
	    proto_phase_decode(o, m->phase, err, len) == -1) {
		proto_run_clear(m);
		return (-1);
	}
	return (0);
}

void
proto_run_clear(struct msg_run *m)
{
	free(m->test);
	memset(m, 0, sizeof *m);
}

json_t *
proto_exec_encode(const struct test_def *t, int attempt, double timeout,
    const char *phase)
{
	json_t *o = proto_new(PROTO_EXEC);

	json_object_set_new(o, "test", testdef_to_json(t));
	json_object_set_new(o, "attempt", json_integer(attempt));
	json_object_set_new(o, "timeout", json_real(timeout));
	proto_phase_encode(o, phase != NULL ? phase : "");
	return (o);
}

int
proto_exec_decode(json_t *o, struct msg_exec *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "test", "attempt",
	    "timeout", "phase", NULL };

	memset(m, 0, sizeof *m);
	testdef_init(&m->def);
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "attempt", 1, 1, 1000000, &m->attempt, err,
	    len) == -1 ||
	    jsonv_number(o, "timeout", 1, 0, &m->timeout, err, len) == -1 ||
	    proto_phase_decode(o, m->phase, err, len) == -1)
		return (-1);
	return (proto_def(o, "test", &m->def, err, len));
}

void
proto_exec_clear(struct msg_exec *m)
{
	testdef_clear(&m->def);
}

json_t *
proto_started_encode(const struct msg_started *m)
{
	json_t *o = proto_new(PROTO_STARTED);

	json_object_set_new(o, "worker", json_integer(m->worker));
	json_object_set_new(o, "test", json_string(m->test));
	json_object_set_new(o, "attempt", json_integer(m->attempt));
	json_object_set_new(o, "pid", json_integer(m->pid));
	proto_phase_encode(o, m->phase);
	return (o);
}

int
proto_started_decode(json_t *o, struct msg_started *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "worker", "test",
	    "attempt", "pid", "phase", NULL };
	int pid = 0;

	memset(m, 0, sizeof *m);
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "worker", 1, 0, 100000, &m->worker, err, len) == -1 ||
	    jsonv_string(o, "test", 1, &m->test, err, len) == -1 ||
	    proto_int(o, "attempt", 1, 1, 1000000, &m->attempt, err,
	    len) == -1 ||
	    proto_int(o, "pid", 1, 1, 1 << 30, &pid, err, len) == -1 ||
	    proto_phase_decode(o, m->phase, err, len) == -1) {
		proto_started_clear(m);
		return (-1);
	}
	m->pid = pid;
	return (0);
}

void
proto_started_clear(struct msg_started *m)
{
	free(m->test);
	memset(m, 0, sizeof *m);
}

json_t *
proto_result_encode(const struct msg_result *m)
{
	json_t *o = proto_new(PROTO_RESULT);

	json_object_set_new(o, "worker", json_integer(m->worker));
	json_object_set_new(o, "test", json_string(m->test));
	json_object_set_new(o, "attempt", json_integer(m->attempt));
	json_object_set_new(o, "status", json_string(status_name(m->status)));
	json_object_set_new(o, "exit", m->exit_code >= 0 ?
	    json_integer(m->exit_code) : json_null());
	json_object_set_new(o, "signal", json_integer(m->signal));
	json_object_set_new(o, "start", json_real(m->start));
	json_object_set_new(o, "duration", json_real(m->duration));
	json_object_set_new(o, "cpu", json_real(m->cpu));
	json_object_set_new(o, "rss", json_integer(m->rss));
	json_object_set_new(o, "leaked", json_integer(m->leaked));
	if (m->reason != NULL)
		json_object_set_new(o, "reason", json_string(m->reason));
	if (m->log != NULL)
		json_object_set_new(o, "log", json_string(m->log));
	if (m->tail != NULL)
		json_object_set_new(o, "tail", json_string(m->tail));
	proto_phase_encode(o, m->phase);
	if (m->trace.present)
		json_object_set_new(o, "trace", proto_trace_encode(&m->trace));
	if (m->cases.present)
		json_object_set_new(o, "cases", cases_encode(&m->cases));
	return (o);
}

int
proto_result_decode(json_t *o, struct msg_result *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "worker", "test",
	    "attempt", "status", "exit", "signal", "start", "duration", "cpu",
	    "rss", "leaked", "reason", "log", "tail", "phase", "trace", "cases",
	    NULL };
	char status[32];
	json_t *tr;

	memset(m, 0, sizeof *m);
	m->exit_code = -1;
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "worker", 1, 0, 100000, &m->worker, err, len) == -1 ||
	    jsonv_string(o, "test", 1, &m->test, err, len) == -1 ||
	    proto_int(o, "attempt", 1, 1, 1000000, &m->attempt, err,
	    len) == -1 ||
	    proto_phase_decode(o, m->phase, err, len) == -1 ||
	    proto_copy(o, "status", status, sizeof status, err, len) == -1 ||
	    proto_int(o, "exit", 0, 0, 255, &m->exit_code, err, len) == -1 ||
	    proto_int(o, "signal", 0, 0, 128, &m->signal, err, len) == -1 ||
	    jsonv_number(o, "start", 0, 0, &m->start, err, len) == -1 ||
	    jsonv_number(o, "duration", 1, 0, &m->duration, err, len) == -1 ||
	    jsonv_number(o, "cpu", 0, 0, &m->cpu, err, len) == -1 ||
	    jsonv_int(o, "rss", 0, 0, INT64_MAX, &m->rss, err, len) == -1 ||
	    proto_int(o, "leaked", 0, 0, 1 << 30, &m->leaked, err, len) == -1 ||
	    jsonv_string(o, "reason", 0, &m->reason, err, len) == -1 ||
	    jsonv_string(o, "log", 0, &m->log, err, len) == -1 ||
	    jsonv_string(o, "tail", 0, &m->tail, err, len) == -1)
		goto fail;
	if ((tr = json_object_get(o, "trace")) != NULL &&
	    proto_trace_decode(tr, &m->trace, err, len) == -1)
		goto fail;
	if ((tr = json_object_get(o, "cases")) != NULL &&
	    cases_decode(tr, &m->cases, err, len) == -1)
		goto fail;
	if (status_parse(status, &m->status) == -1) {
		snprintf(err, len, "unknown status \"%s\"", status);
		goto fail;
	}
	return (0);
fail:
	proto_result_clear(m);
	return (-1);
}

void
proto_result_clear(struct msg_result *m)
{
	free(m->test);
	free(m->reason);
	free(m->log);
	free(m->tail);
	proto_trace_clear(&m->trace);
	cases_clear(&m->cases);
	memset(m, 0, sizeof *m);
	m->exit_code = -1;
}

static json_t *
proto_strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return (a);
}

json_t *
proto_trace_encode(const struct msg_trace *m)
{
	return (json_pack("{s:b, s:o, s:o, s:o, s:o, s:i}",
	    "incomplete", m->incomplete,
	    "reasons", proto_strv_json(m->reasons),
	    "reads", proto_strv_json(m->reads),
	    "lists", proto_strv_json(m->lists),
	    "missing", proto_strv_json(m->missing),
	    "apps", m->apps));
}

/* An array of strings into a strv in one allocation of the vector. */
static int
proto_paths(json_t *o, const char *key, char ***out, char *err, size_t len)
{
	json_t *v, *e;
	size_t i;

	*out = NULL;
	if ((v = json_object_get(o, key)) == NULL)
		return (0);
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, i, e)
		if (!json_is_string(e) ||
		    strlen(json_string_value(e)) != json_string_length(e))
			goto bad;
	*out = xcalloc(json_array_size(v) + 1, sizeof **out);
	json_array_foreach(v, i, e)
		(*out)[i] = xstrdup(json_string_value(e));
	return (0);
bad:
	snprintf(err, len, "\"trace.%s\" must be an array of strings", key);
	return (-1);
}

int
proto_trace_decode(json_t *o, struct msg_trace *m, char *err, size_t len)
{
	static const char *const keys[] = { "incomplete", "reasons", "reads",
	    "lists", "missing", "apps", NULL };
	json_t *v;

	memset(m, 0, sizeof *m);
	if (!json_is_object(o)) {
		snprintf(err, len, "\"trace\" must be an object");
		return (-1);
	}
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_paths(o, "reasons", &m->reasons, err, len) == -1 ||
	    proto_paths(o, "reads", &m->reads, err, len) == -1 ||
	    proto_paths(o, "lists", &m->lists, err, len) == -1 ||
	    proto_paths(o, "missing", &m->missing, err, len) == -1 ||
	    proto_int(o, "apps", 0, 0, INT32_MAX, &m->apps, err, len) == -1)
		goto fail;
	v = json_object_get(o, "incomplete");
	if (v != NULL && !json_is_boolean(v)) {
		snprintf(err, len, "\"trace.incomplete\" must be a boolean");
		goto fail;
	}
	m->incomplete = json_is_true(v);
	m->present = 1;
	return (0);
fail:
	proto_trace_clear(m);
	return (-1);
}

void
proto_trace_clear(struct msg_trace *m)
{
	strv_free(m->reasons);
	strv_free(m->reads);
	strv_free(m->lists);
	strv_free(m->missing);
	memset(m, 0, sizeof *m);
}

json_t *
proto_worker_encode(const struct msg_worker *m)
{
	json_t *o = proto_new(PROTO_WORKER);

	json_object_set_new(o, "worker", json_integer(m->worker));
	json_object_set_new(o, "state", json_string(m->state));
	if (m->reason != NULL)
		json_object_set_new(o, "reason", json_string(m->reason));
	return (o);
}

int
proto_worker_decode(json_t *o, struct msg_worker *m, char *err, size_t len)
{
	static const char *const keys[] = { "type", "worker", "state",
	    "reason", NULL };

	memset(m, 0, sizeof *m);
	if (jsonv_keys(o, keys, err, len) == -1 ||
	    proto_int(o, "worker", 1, 0, 100000, &m->worker, err, len) == -1 ||
	    proto_copy(o, "state", m->state, sizeof m->state, err, len) == -1 ||
	    jsonv_string(o, "reason", 0, &m->reason, err, len) == -1) {
		proto_worker_clear(m);
		return (-1);
	}
	return (0);
}

void
proto_worker_clear(struct msg_worker *m)
{
	free(m->reason);
	memset(m, 0, sizeof *m);
}

json_t *
proto_shutdown_encode(void)
{
	return (proto_new(PROTO_SHUTDOWN));
}

json_t *
proto_bye_encode(void)
{
	return (proto_new(PROTO_BYE));
}
