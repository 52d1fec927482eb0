/*
 * proto.c: encoding and validating decoding of every protocol message.
 * A decoder is one strict json_unpack (types, required keys, unknown
 * keys), then the checks a format cannot express: ranges, names and
 * lengths. Unknown keys are refused so that a newer peer speaking a
 * different dialect fails loudly at the first message instead of
 * half-working.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "strv.h"
#include "utf8.h"
#include "workerenv.h"
#include "xmalloc.h"

static json_t	*proto_strv_json(char *const *);
static int	 proto_paths(json_t *, const char *, char ***, char *, size_t);

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
	[PROTO_JOIN] = "join",
	[PROTO_WELCOME] = "welcome",
	[PROTO_REPORT] = "report",
	[PROTO_ACK] = "ack",
	[PROTO_RECYCLE] = "recycle",
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

/*
 * The range of every numeric key, in whichever message: an integer from
 * min to max, or (number) any finite number of at least min.
 */
static const struct proto_limit {
	const char	*key;
	int		 number;
	long long	 min, max;
} proto_limits[] = {
	{ "apps", 0, 0, INT32_MAX },
	{ "attempt", 0, 1, 1000000 },
	{ "count", 0, 0, 1 << 30 },
	{ "cpu", 1, 0, 0 },
	{ "duration", 1, 0, 0 },
	{ "exit", 0, 0, 255 },
	{ "first_worker", 0, 0, 100000 },
	{ "grace", 1, 0, 0 },
	{ "kept_rss", 0, 1, INT64_MAX },
	{ "leaked", 0, 0, 1 << 30 },
	{ "mem_budget", 0, 0, INT64_MAX },
	{ "node", 0, 0, 100000 },
	{ "pid", 0, 1, 1 << 30 },
	{ "proto", 0, 0, 1000000 },
	{ "received", 0, 0, INT64_MAX },
	{ "resume", 0, 0, INT64_MAX },
	{ "rss", 0, 0, INT64_MAX },
	{ "signal", 0, 0, 128 },
	{ "start", 1, 0, 0 },
	{ "time", 1, 0, 0 },
	{ "timeout", 1, 0, 0 },
	{ "worker", 0, 0, 100000 },
	{ "workers", 0, 1, 100000 },
	{ "worker_mem_budget", 0, 1, INT64_MAX },
	{ NULL, 0, 0, 0 }
};

/* The limit that v, the value of key, is outside of; NULL if none. */
static const struct proto_limit *
proto_outside(const char *key, json_t *v)
{
	const struct proto_limit *l;
	int within;

	for (l = proto_limits; l->key != NULL; l++)
		if (strcmp(l->key, key) == 0)
			break;
	if (l->key == NULL || json_is_null(v))
		return (NULL);
	if (l->number)
		within = json_is_number(v) && isfinite(json_number_value(v)) &&
		    json_number_value(v) >= l->min;
	else
		within = json_is_integer(v) &&
		    json_integer_value(v) >= l->min &&
		    json_integer_value(v) <= l->max;
	return (within ? NULL : l);
}

/* Writes "what: reason" to err and returns -1. */
static int __attribute__((format(printf, 4, 5)))
proto_err(char *err, size_t len, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	utf8_vline(err, len, what, fmt, ap);
	va_end(ap);
	return (-1);
}

/* Puts "what: " before the reason a nested decoder left in err. */
static int
proto_nested(char *err, size_t len, const char *what)
{
	char *reason = xstrdup(err);

	proto_err(err, len, what, "%s", reason);
	free(reason);
	return (-1);
}

/*
 * The key whose value is at offset pos of a flat object format, from the
 * arguments of json_unpack: all pointers, every other one a key.
 */
static const char *
proto_key_at(const char *fmt, size_t pos, va_list ap)
{
	const char *key = NULL;
	size_t i, n = 0;

	for (i = 0; i < pos; i++) {
		if (strchr("{}!*?:, ", fmt[i]) != NULL)
			continue;
		if (n++ % 2 == 0)
			key = va_arg(ap, const char *);
		else
			(void)va_arg(ap, void *);
	}
	return (key);
}

/* jansson's reason why json_unpack failed, as ours: the key, its fault. */
static int
proto_unpack_err(char *err, size_t len, const char *what,
    const json_error_t *e, const char *fmt, va_list ap)
{
	const char *key, *p = strstr(e->text, ": ");
	char t;

	if (json_error_code(e) == json_error_item_not_found && p != NULL)
		return (proto_err(err, len, what, "missing \"%s\"", p + 2));
	if (json_error_code(e) == json_error_end_of_input_expected &&
	    p != NULL)
		return (proto_err(err, len, what, "unknown key \"%.*s\"",
		    (int)strcspn(p + 2, ","), p + 2));
	if (json_error_code(e) != json_error_wrong_type || e->position < 1)
		return (proto_err(err, len, what, "%s", e->text));
	if ((key = proto_key_at(fmt, e->position - 1, ap)) == NULL)
		return (proto_err(err, len, what, "not an object"));
	t = fmt[e->position - 1];
	return (proto_err(err, len, what, "\"%s\" must be %s", key,
	    t == 's' ? "a string" : t == 'b' ? "a boolean" :
	    t == 'F' ? "a number" : "an integer"));
}

/*
 * json_unpack_ex of o with fmt, a flat object format, strict: it lists
 * every key but the "type" of a message of type what. Then the limits of
 * proto_limits, and no NUL in a string. Errors read "what: reason".
 * Steals nothing: strings unpacked belong to o.
 */
static int
proto_unpack(json_t *o, const char *what, char *err, size_t len,
    const char *fmt, ...)
{
	const struct proto_limit *l;
	const char *t, *k;
	json_error_t e;
	json_t *c, *v;
	va_list ap, keys;
	int rc;

	t = json_string_value(json_object_get(o, "type"));
	if (t != NULL && strcmp(t, what) == 0) {
		c = json_copy(o);
		json_object_del(c, "type");
	} else
		c = json_incref(o);
	va_start(ap, fmt);
	va_copy(keys, ap);
	if ((rc = json_vunpack_ex(c, &e, JSON_STRICT, fmt, ap)) == -1)
		proto_unpack_err(err, len, what, &e, fmt, keys);
	va_end(keys);
	va_end(ap);
	json_object_foreach(c, k, v) {
		if (rc == -1)
			break;
		if (json_is_string(v) &&
		    strlen(json_string_value(v)) != json_string_length(v))
			rc = proto_err(err, len, what,
			    "\"%s\" must not contain NUL", k);
		else if ((l = proto_outside(k, v)) != NULL && l->number)
			rc = proto_err(err, len, what, "\"%s\" must be a "
			    "number of at least %lld", k, l->min);
		else if (l != NULL)
			rc = proto_err(err, len, what, "\"%s\" must be an "
			    "integer from %lld to %lld", k, l->min, l->max);
	}
	json_decref(c);
	return (rc);
}

static char *
proto_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* s into buf, or an error if it does not fit. */
static int
proto_copy(const char *s, char *buf, size_t bufsz, const char *what,
    const char *key, char *err, size_t len)
{
	if (strlcpy(buf, s, bufsz) >= bufsz)
		return (proto_err(err, len, what, "\"%s\" too long", key));
	return (0);
}

int
proto_phase_valid(const char *phase)
{
	return (*phase == '\0' || strcmp(phase, "setup") == 0 ||
	    strcmp(phase, "teardown") == 0);
}

/* The "phase" to send: none for a test. */
static const char *
proto_phase_encode(const char *phase)
{
	return (phase != NULL && *phase != '\0' ? phase : NULL);
}

/* An optional "phase" into buf: "setup" or "teardown". */
static int
proto_phase_decode(const char *phase, char *buf, const char *what, char *err,
    size_t len)
{
	buf[0] = '\0';
	if (phase == NULL)
		return (0);
	if (*phase == '\0' || !proto_phase_valid(phase))
		return (proto_err(err, len, what, "\"phase\" must be \"setup\" "
		    "or \"teardown\""));
	strlcpy(buf, phase, PROTO_PHASE_LEN);
	return (0);
}

json_t *
proto_hello_encode(const struct msg_hello *m)
{
	return (json_pack("{s:s, s:i, s:s, s:i, s:o*, s:o*}", "type", "hello",
	    "proto", m->proto, "role", m->role, "pid", (int)m->pid,
	    "worker", m->worker >= 0 ? json_integer(m->worker) : NULL,
	    "workers", m->workers > 0 ? json_integer(m->workers) : NULL));
}

int
proto_hello_decode(json_t *o, struct msg_hello *m, char *err, size_t len)
{
	const char *role;

	memset(m, 0, sizeof *m);
	m->worker = -1;
	if (proto_unpack(o, "hello", err, len, "{s:i, s:s, s:i, s?i, s?i}",
	    "proto", &m->proto, "role", &role, "pid", &m->pid,
	    "worker", &m->worker, "workers", &m->workers) == -1 ||
	    proto_copy(role, m->role, sizeof m->role, "hello", "role", err,
	    len) == -1)
		return (-1);
	if (m->proto != PROTO_VERSION)
		return (proto_err(err, len, "hello", "protocol version %d, "
		    "expected %d", m->proto, PROTO_VERSION));
	return (0);
}

json_t *
proto_config_encode(const struct msg_config *m)
{
	/* A root that is not UTF-8 is left out, as the probe then is. */
	return (json_pack("{s:s, s:s, s:f, s:f, s:I, s:s, s:s, s:o*, s:o*,"
	    " s:o*, s:o*, s:o*}",
	    "type", "config", "job", m->job, "timeout", m->timeout,
	    "grace", m->grace, "mem_budget", (json_int_t)m->mem_budget,
	    "leak", m->leak == LEAK_FAIL ? "fail" : "kill",
	    "log_dir", m->log_dir, "root", json_string(m->root),
	    "first_worker", m->first_worker > 0 ?
	    json_integer(m->first_worker) : NULL,
	    "node", m->node > 0 ? json_integer(m->node) : NULL,
	    "worker_env", m->worker_env != NULL ?
	    proto_strv_json(m->worker_env) : NULL,
	    "worker_mem_budget", m->worker_mem_budget > 0 ?
	    json_integer(m->worker_mem_budget) : NULL));
}

int
proto_config_decode(json_t *o, struct msg_config *m, char *err, size_t len)
{
	const char *job, *leak, *log_dir, *root = NULL;
	json_t *wenv = NULL, *v;
	size_t i;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "config", err, len,
	    "{s:s, s:F, s:F, s:I, s:s, s:s, s?s, s?i, s?i, s?o, s?I}", "job",
	    &job, "timeout", &m->timeout, "grace", &m->grace,
	    "mem_budget", &m->mem_budget, "leak", &leak, "log_dir", &log_dir,
	    "root", &root, "first_worker", &m->first_worker,
	    "node", &m->node, "worker_env", &wenv,
	    "worker_mem_budget", &m->worker_mem_budget) == -1)
		return (-1);
	/* Every template checked before any is kept. */
	json_array_foreach(wenv, i, v)
		if (!json_is_string(v) ||
		    workerenv_bad(json_string_value(v)) != NULL)
			wenv = NULL;
	if (json_object_get(o, "worker_env") != NULL &&
	    !json_is_array(wenv))
		return (proto_err(err, len, "config", "\"worker_env\" must be "
		    "a list of NAME=TEMPLATE"));
	if (strcmp(leak, "kill") != 0 && strcmp(leak, "fail") != 0)
		return (proto_err(err, len, "config", "\"leak\" must be "
		    "\"kill\" or \"fail\""));
	m->leak = strcmp(leak, "fail") == 0 ? LEAK_FAIL : LEAK_KILL;
	m->job = xstrdup(job);
	m->log_dir = xstrdup(log_dir);
	m->root = proto_dup(root);
	json_array_foreach(wenv, i, v)
		m->worker_env = strv_push(m->worker_env,
		    json_string_value(v));
	return (0);
}

void
proto_config_clear(struct msg_config *m)
{
	free(m->job);
	free(m->log_dir);
	free(m->root);
	strv_free(m->worker_env);
	memset(m, 0, sizeof *m);
}

/* The test definition d of a test or exec message. */
static int
proto_def(json_t *d, const char *what, struct test_def *t, char *err,
    size_t len)
{
	if (!json_is_object(d))
		return (proto_err(err, len, what, "\"test\" must be an "
		    "object"));
	if (testdef_from_json(d, t, err, len) == -1)
		return (proto_nested(err, len, what));
	return (0);
}

json_t *
proto_test_encode(const struct test_def *t)
{
	return (json_pack("{s:s, s:o}", "type", "test",
	    "test", testdef_to_json(t)));
}

int
proto_test_decode(json_t *o, struct test_def *t, char *err, size_t len)
{
	json_t *d;

	testdef_init(t);
	if (proto_unpack(o, "test", err, len, "{s:o}", "test", &d) == -1)
		return (-1);
	return (proto_def(d, "test", t, err, len));
}

json_t *
proto_fixture_encode(const struct fixture_def *f)
{
	return (json_pack("{s:s, s:o}", "type", "fixture",
	    "fixture", fixturedef_to_json(f)));
}

int
proto_fixture_decode(json_t *o, struct fixture_def *f, char *err, size_t len)
{
	json_t *d;

	memset(f, 0, sizeof *f);
	if (proto_unpack(o, "fixture", err, len, "{s:o}", "fixture",
	    &d) == -1)
		return (-1);
	if (!json_is_object(d))
		return (proto_err(err, len, "fixture", "\"fixture\" must be an "
		    "object"));
	if (fixturedef_from_json(d, f, err, len) == -1)
		return (proto_nested(err, len, "fixture"));
	return (0);
}

json_t *
proto_loaded_encode(int count)
{
	return (json_pack("{s:s, s:i}", "type", "loaded", "count", count));
}

int
proto_loaded_decode(json_t *o, int *count, char *err, size_t len)
{
	*count = 0;
	return (proto_unpack(o, "loaded", err, len, "{s:i}", "count",
	    count));
}

json_t *
proto_error_encode(const char *kind, const char *message)
{
	/* A message that is not UTF-8 is left out, and the peer says so. */
	return (json_pack("{s:s, s:s, s:o*}", "type", "error", "kind", kind,
	    "message", json_string(message)));
}

int
proto_error_decode(json_t *o, struct msg_error *m, char *err, size_t len)
{
	const char *kind, *message;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "error", err, len, "{s:s, s:s}", "kind", &kind,
	    "message", &message) == -1 ||
	    proto_copy(kind, m->kind, sizeof m->kind, "error", "kind", err,
	    len) == -1)
		return (-1);
	m->message = xstrdup(message);
	return (0);
}

void
proto_error_clear(struct msg_error *m)
{
	free(m->message);
	memset(m, 0, sizeof *m);
}

/* "cases" of run and exec: a list of node ids, or none. */
static json_t *
proto_cases_json(char *const *v)
{
	return (v != NULL ? proto_strv_json(v) : NULL);
}

static int
proto_cases(json_t *v, const char *type, char ***out, char *err, size_t len)
{
	json_t *e;
	size_t i;

	*out = NULL;
	if (v == NULL)
		return (0);
	if (!json_is_array(v) || json_array_size(v) == 0)
		goto bad;
	json_array_foreach(v, i, e)
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    strlen(json_string_value(e)) != json_string_length(e) ||
		    strchr(json_string_value(e), '\n') != NULL)
			goto bad;
	*out = xcalloc(json_array_size(v) + 1, sizeof **out);
	json_array_foreach(v, i, e)
		(*out)[i] = xstrdup(json_string_value(e));
	return (0);
bad:
	return (proto_err(err, len, type, "\"cases\" must be an array of "
	    "case names, one line each"));
}

json_t *
proto_run_encode(const struct msg_run *m)
{
	return (json_pack("{s:s, s:i, s:s, s:i, s:s*, s:o*}", "type", "run",
	    "worker", m->worker, "test", m->test, "attempt", m->attempt,
	    "phase", proto_phase_encode(m->phase),
	    "cases", proto_cases_json(m->cases)));
}

int
proto_run_decode(json_t *o, struct msg_run *m, char *err, size_t len)
{
	const char *test, *phase = NULL;
	json_t *cases = NULL;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "run", err, len, "{s:i, s:s, s:i, s?s, s?o}",
	    "worker", &m->worker, "test", &test, "attempt", &m->attempt,
	    "phase", &phase, "cases", &cases) == -1 ||
	    proto_phase_decode(phase, m->phase, "run", err, len) == -1 ||
	    proto_cases(cases, "run", &m->cases, err, len) == -1)
		return (-1);
	m->test = xstrdup(test);
	return (0);
}

void
proto_run_clear(struct msg_run *m)
{
	free(m->test);
	strv_free(m->cases);
	memset(m, 0, sizeof *m);
}

json_t *
proto_exec_encode(const struct test_def *t, int attempt, double timeout,
    const char *phase, char *const *cases)
{
	return (json_pack("{s:s, s:o, s:i, s:f, s:s*, s:o*}", "type", "exec",
	    "test", testdef_to_json(t), "attempt", attempt,
	    "timeout", timeout, "phase", proto_phase_encode(phase),
	    "cases", proto_cases_json(cases)));
}

int
proto_exec_decode(json_t *o, struct msg_exec *m, char *err, size_t len)
{
	const char *phase = NULL;
	json_t *d, *cases = NULL;

	memset(m, 0, sizeof *m);
	testdef_init(&m->def);
	if (proto_unpack(o, "exec", err, len, "{s:o, s:i, s:F, s?s, s?o}",
	    "test", &d, "attempt", &m->attempt, "timeout", &m->timeout,
	    "phase", &phase, "cases", &cases) == -1 ||
	    proto_phase_decode(phase, m->phase, "exec", err, len) == -1 ||
	    proto_cases(cases, "exec", &m->cases, err, len) == -1)
		return (-1);
	return (proto_def(d, "exec", &m->def, err, len));
}

void
proto_exec_clear(struct msg_exec *m)
{
	testdef_clear(&m->def);
	strv_free(m->cases);
	m->cases = NULL;
}

json_t *
proto_started_encode(const struct msg_started *m)
{
	return (json_pack("{s:s, s:i, s:s, s:i, s:i, s:s*}", "type",
	    "started", "worker", m->worker, "test", m->test,
	    "attempt", m->attempt, "pid", (int)m->pid,
	    "phase", proto_phase_encode(m->phase)));
}

int
proto_started_decode(json_t *o, struct msg_started *m, char *err, size_t len)
{
	const char *test, *phase = NULL;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "started", err, len, "{s:i, s:s, s:i, s:i, s?s}",
	    "worker", &m->worker, "test", &test, "attempt", &m->attempt,
	    "pid", &m->pid, "phase", &phase) == -1 ||
	    proto_phase_decode(phase, m->phase, "started", err, len) == -1)
		return (-1);
	m->test = xstrdup(test);
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
	/* Free text that is not UTF-8 is left out, as JSON cannot hold it. */
	return (json_pack("{s:s, s:i, s:s, s:i, s:s, s:o, s:i, s:f, s:f, s:f,"
	    " s:I, s:o*, s:i, s:o*, s:o*, s:o*, s:s*, s:o*, s:o*, s:o*,"
	    " s:o*}",
	    "type", "result", "worker", m->worker, "test", m->test,
	    "attempt", m->attempt, "status", status_name(m->status),
	    "exit", m->exit_code >= 0 ? json_integer(m->exit_code) :
	    json_null(), "signal", m->signal, "start", m->start,
	    "duration", m->duration, "cpu", m->cpu,
	    "rss", (json_int_t)m->rss, "kept_rss", m->kept_rss > 0 ?
	    json_integer(m->kept_rss) : NULL, "leaked", m->leaked,
	    "reason", json_string(m->reason), "log", json_string(m->log),
	    "tail", json_string(m->tail),
	    "phase", proto_phase_encode(m->phase),
	    "trace", m->trace.present ? proto_trace_encode(&m->trace) : NULL,
	    "cases", m->cases.present ? cases_encode(&m->cases) : NULL,
	    "elements", m->elements.present ?
	    proto_elements_encode(&m->elements) : NULL,
	    "logz", m->logz != NULL ? json_pack("{s:s, s:I, s:I}", "z",
	    m->logz, "size", (json_int_t)m->log_size, "cut",
	    (json_int_t)m->log_cut) : NULL));
}

int
proto_result_decode(json_t *o, struct msg_result *m, char *err, size_t len)
{
	const char *test, *status, *reason = NULL, *log = NULL, *tail = NULL;
	const char *phase = NULL;
	json_t *ex = NULL, *trace = NULL, *cases = NULL, *logz = NULL;
	json_t *elements = NULL;
	const char *z;
	long long size, cut;

	memset(m, 0, sizeof *m);
	m->exit_code = -1;
	if (proto_unpack(o, "result", err, len, "{s:i, s:s, s:i, s:s, s?o,"
	    " s?i, s?F, s:F, s?F, s?I, s?I, s?i, s?s, s?s, s?s, s?s, s?o,"
	    " s?o, s?o, s?o}",
	    "worker", &m->worker, "test", &test, "attempt", &m->attempt,
	    "status", &status, "exit", &ex, "signal", &m->signal,
	    "start", &m->start, "duration", &m->duration, "cpu", &m->cpu,
	    "rss", &m->rss, "kept_rss", &m->kept_rss, "leaked", &m->leaked,
	    "reason", &reason,
	    "log", &log, "tail", &tail, "phase", &phase, "trace", &trace,
	    "cases", &cases, "logz", &logz, "elements", &elements) == -1 ||
	    proto_phase_decode(phase, m->phase, "result", err, len) == -1)
		return (-1);
	if (logz != NULL) {
		if (proto_unpack(logz, "logz", err, len, "{s:s, s:I, s:I}", "z",
		    &z, "size", &size, "cut", &cut) == -1)
			return (proto_nested(err, len, "result"));
		if (size < 0 || cut < 0 || cut > size)
			return (proto_err(err, len, "result", "\"logz\": "
			    "bad size"));
		m->logz = xstrdup(z);
		m->log_size = size;
		m->log_cut = cut;
	}
	if (status_parse(status, &m->status) == -1)
		return (proto_err(err, len, "result", "unknown status \"%s\"",
		    status));
	if (json_is_integer(ex))
		m->exit_code = json_integer_value(ex);
	m->test = xstrdup(test);
	m->reason = proto_dup(reason);
	m->log = proto_dup(log);
	m->tail = proto_dup(tail);
	if ((trace != NULL &&
	    proto_trace_decode(trace, &m->trace, err, len) == -1) ||
	    (cases != NULL && cases_decode(cases, &m->cases, err, len) == -1) ||
	    (elements != NULL && proto_elements_decode(elements,
	    &m->elements, err, len) == -1)) {
		proto_result_clear(m);
		return (proto_nested(err, len, "result"));
	}
	return (0);
}

void
proto_result_clear(struct msg_result *m)
{
	free(m->test);
	free(m->reason);
	free(m->log);
	free(m->tail);
	free(m->logz);
	proto_trace_clear(&m->trace);
	cases_clear(&m->cases);
	proto_elements_clear(&m->elements);
	memset(m, 0, sizeof *m);
	m->exit_code = -1;
}

static void
proto_case_elements_clear(struct msg_case_elements *c)
{
	free(c->name);
	strv_free(c->elems);
	free(c->fps);
	strv_free(c->files);
	memset(c, 0, sizeof *c);
}

/* An element's name and fingerprint as they travel: FILE#QUALNAME, hex. */
static int
proto_element_ok(const char *name, const char *hex)
{
	return (strchr(name, '#') != NULL && strlen(hex) == 16 &&
	    strspn(hex, "0123456789abcdef") == 16);
}

/*
 * The index of key in a table kept as a JSON object (key -> index),
 * added at the end if new; *added says whether it was.
 */
static size_t
proto_table_index(json_t *set, const char *key, int *added)
{
	json_t *v;
	size_t i;

	if ((v = json_object_get(set, key)) != NULL) {
		*added = 0;
		return ((size_t)json_integer_value(v));
	}
	i = json_object_size(set);
	json_object_set_new(set, key, json_integer(i));
	*added = 1;
	return (i);
}

/* The key of an element in its table: the fingerprint's hex, the name. */
static char *
proto_element_key(const char *name, uint64_t fp)
{
	char *key;

	xasprintf(&key, "%016" PRIx64 "%s", fp, name);
	return (key);
}

/* The decimal digits of i and a comma: what a reference to i costs. */
static size_t
proto_index_bytes(size_t i)
{
	size_t n = 2;

	while (i >= 10) {
		i /= 10;
		n++;
	}
	return (n);
}

/* The elements of c as indices into names (eset: its keys). */
static json_t *
proto_element_refs(const struct msg_case_elements *c, json_t *names,
    json_t *eset)
{
	json_t *ce = json_array();
	char *key;
	size_t j, k;
	int added;

	for (j = 0; j < c->nelems; j++) {
		key = proto_element_key(c->elems[j], c->fps[j]);
		k = proto_table_index(eset, key, &added);
		key[16] = '\0';
		if (added)
			json_array_append_new(names, json_pack("[s, s]",
			    c->elems[j], key));
		free(key);
		json_array_append_new(ce, json_integer(k));
	}
	return (ce);
}

/*
 * The elements travel as tables: each element (name and fingerprint) and
 * each file once, the cases referring to them by index, since the cases
 * of one test file share most of theirs.
 */
json_t *
proto_elements_encode(const struct msg_elements *m)
{
	const struct msg_case_elements *c;
	json_t *names, *paths, *cases, *eset, *fset, *ce, *cf, *o;
	size_t i, j, k;
	int added;

	names = json_array();
	paths = json_array();
	cases = json_array();
	eset = json_object();
	fset = json_object();
	for (i = 0; i < m->n; i++) {
		c = &m->v[i];
		ce = proto_element_refs(c, names, eset);
		cf = json_array();
		for (j = 0; c->files != NULL && c->files[j] != NULL; j++) {
			k = proto_table_index(fset, c->files[j], &added);
			if (added)
				json_array_append_new(paths,
				    json_string(c->files[j]));
			json_array_append_new(cf, json_integer(k));
		}
		json_array_append_new(cases, json_pack("{s:o, s:o, s:o}",
		    "case", c->name != NULL ? json_string(c->name) :
		    json_null(), "elements", ce, "files", cf));
	}
	o = json_pack("{s:o, s:o, s:o, s:s*}", "names", names, "paths",
	    paths, "cases", cases, "error", m->error);
	if (m->known.nelems > 0)
		json_object_set_new(o, "known", proto_element_refs(&m->known,
		    names, eset));
	json_decref(eset);
	json_decref(fset);
	return (o);
}

/*
 * Elements as the hook writes them, [[NAME, "16 hex digits"]...], added
 * to those of c. -1: bad (c keeps what was good).
 */
static int
proto_element_pairs(json_t *elems, struct msg_case_elements *c)
{
	json_t *e;
	const char *n, *hex;
	size_t i;

	if (!json_is_array(elems))
		return (-1);
	c->elems = xreallocarray(c->elems, c->nelems +
	    json_array_size(elems) + 1, sizeof *c->elems);
	c->fps = xreallocarray(c->fps, c->nelems + json_array_size(elems) + 1,
	    sizeof *c->fps);
	json_array_foreach(elems, i, e) {
		if (json_unpack(e, "[s, s]", &n, &hex) == -1 ||
		    !proto_element_ok(n, hex)) {
			c->elems[c->nelems] = NULL;
			return (-1);
		}
		c->elems[c->nelems] = xstrdup(n);
		c->fps[c->nelems++] = strtoull(hex, NULL, 16);
	}
	c->elems[c->nelems] = NULL;
	return (0);
}

/*
 * One case as the hook writes it into c: {"case": NAME | null,
 * "elements": [[NAME, "16 hex digits"]...], "files": [PATH...]}. -1: bad.
 */
static int
proto_case_elements(json_t *o, struct msg_case_elements *c)
{
	json_t *name, *elems, *files = NULL;
	char err[128];

	memset(c, 0, sizeof *c);
	if (json_unpack(o, "{s:o, s:o, s?o}", "case", &name, "elements",
	    &elems, "files", &files) == -1 || (!json_is_null(name) &&
	    !json_is_string(name)))
		return (-1);
	if (proto_element_pairs(elems, c) == -1)
		goto bad;
	if (proto_paths(files, "files", &c->files, err, sizeof err) == -1)
		goto bad;
	if (json_is_string(name))
		c->name = xstrdup(json_string_value(name));
	return (0);
bad:
	proto_case_elements_clear(c);
	return (-1);
}

/*
 * What c adds to the elements as they travel, in bytes: the elements
 * and files not yet in the tables eset and fset (which learn them), an
 * index for each reference, its name.
 */
static size_t
proto_case_elements_bytes(const struct msg_case_elements *c, json_t *eset,
    json_t *fset)
{
	size_t bytes = 40, i, k;
	char *key;
	int added;

	if (c->name != NULL)
		bytes += strlen(c->name);
	for (i = 0; i < c->nelems; i++) {
		key = proto_element_key(c->elems[i], c->fps[i]);
		k = proto_table_index(eset, key, &added);
		free(key);
		if (added)
			bytes += strlen(c->elems[i]) + 24;
		bytes += proto_index_bytes(k);
	}
	for (i = 0; c->files != NULL && c->files[i] != NULL; i++) {
		k = proto_table_index(fset, c->files[i], &added);
		if (added)
			bytes += strlen(c->files[i]) + 4;
		bytes += proto_index_bytes(k);
	}
	return (bytes);
}

/*
 * Elements as they travel, indices into names (already checked), into
 * c. -1: bad (c keeps what was good).
 */
static int
proto_element_indices(json_t *elems, json_t *names,
    struct msg_case_elements *c)
{
	json_t *e;
	size_t i;
	json_int_t k;

	if (!json_is_array(elems))
		return (-1);
	c->elems = xcalloc(json_array_size(elems) + 1, sizeof *c->elems);
	c->fps = xcalloc(json_array_size(elems) + 1, sizeof *c->fps);
	json_array_foreach(elems, i, e) {
		if (!json_is_integer(e) || (k = json_integer_value(e)) < 0 ||
		    (size_t)k >= json_array_size(names))
			return (-1);
		e = json_array_get(names, k);
		c->elems[i] = xstrdup(json_string_value(json_array_get(e,
		    0)));
		c->fps[i] = strtoull(json_string_value(json_array_get(e, 1)),
		    NULL, 16);
		c->nelems++;
	}
	return (0);
}

/*
 * One case as it travels into c: its "elements" and "files" indices into
 * names (n of them, already checked) and paths. -1: bad.
 */
static int
proto_case_indices(json_t *o, json_t *names, char **paths, size_t npaths,
    struct msg_case_elements *c)
{
	json_t *name, *elems, *files, *e;
	size_t i;
	json_int_t k;

	memset(c, 0, sizeof *c);
	if (json_unpack(o, "{s:o, s:o, s:o !}", "case", &name, "elements",
	    &elems, "files", &files) == -1 || (!json_is_null(name) &&
	    !json_is_string(name)) || !json_is_array(files))
		return (-1);
	if (proto_element_indices(elems, names, c) == -1)
		goto bad;
	c->files = xcalloc(json_array_size(files) + 1, sizeof *c->files);
	json_array_foreach(files, i, e) {
		if (!json_is_integer(e) || (k = json_integer_value(e)) < 0 ||
		    (size_t)k >= npaths)
			goto bad;
		c->files[i] = xstrdup(paths[k]);
	}
	if (json_is_string(name))
		c->name = xstrdup(json_string_value(name));
	return (0);
bad:
	proto_case_elements_clear(c);
	return (-1);
}

static void
proto_elements_add(struct msg_elements *m, const struct msg_case_elements *c)
{
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	m->v[m->n++] = *c;
}

static void
proto_elements_fail(struct msg_elements *m, const char *fmt, const char *arg)
{
	if (m->error == NULL)
		xasprintf(&m->error, fmt, arg);
}

int
proto_elements_decode(json_t *o, struct msg_elements *m, char *err,
    size_t len)
{
	struct msg_case_elements c;
	const char *error = NULL, *n, *hex;
	json_t *names, *paths, *cases, *known = NULL, *e;
	char **pathv = NULL;
	size_t i;
	int rc = -1;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "elements", err, len, "{s:o, s:o, s:o, s?s, s?o}",
	    "names", &names, "paths", &paths, "cases", &cases, "error",
	    &error, "known", &known) == -1)
		return (-1);
	if (!json_is_array(names))
		goto names;
	json_array_foreach(names, i, e)
		if (json_unpack(e, "[s, s]", &n, &hex) == -1 ||
		    !proto_element_ok(n, hex))
			goto names;
	if (proto_paths(paths, "paths", &pathv, err, len) == -1)
		return (proto_err(err, len, "elements", "\"paths\" must be an "
		    "array of strings"));
	if (!json_is_array(cases)) {
		proto_err(err, len, "elements", "\"cases\" must be an array");
		goto out;
	}
	json_array_foreach(cases, i, e) {
		if (proto_case_indices(e, names, pathv, strv_len(pathv),
		    &c) == -1) {
			proto_elements_clear(m);
			proto_err(err, len, "elements", "case %zu must be "
			    "{\"case\", \"elements\": [INDEX...], \"files\": "
			    "[INDEX...]}, indices into \"names\" and "
			    "\"paths\"", i + 1);
			goto out;
		}
		proto_elements_add(m, &c);
	}
	if (known != NULL && proto_element_indices(known, names,
	    &m->known) == -1) {
		proto_elements_clear(m);
		proto_err(err, len, "elements", "\"known\" must be an array "
		    "of indices into \"names\"");
		goto out;
	}
	m->error = proto_dup(error);
	m->present = 1;
	rc = 0;
out:
	strv_free(pathv);
	return (rc);
names:
	return (proto_err(err, len, "elements", "\"names\" must be an array "
	    "of [NAME, FP], NAME FILE#QUALNAME, FP 16 hexadecimal digits"));
}

void
proto_elements_read(const char *text, size_t len, struct msg_elements *m)
{
	struct msg_case_elements c;
	const char *p, *nl, *why;
	json_error_t je;
	struct msg_case_elements kc;
	json_t *o, *eset, *fset, *known;
	size_t bytes = 0, line = 0, k;
	char num[32];
	int progress = 0;

	memset(m, 0, sizeof *m);
	m->present = 1;
	if (text == NULL) {
		proto_elements_fail(m, "%s", "cannot read $DAGZ_CASE_ELEMENTS");
		return;
	}
	eset = json_object();
	fset = json_object();
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', text + len - p)) == NULL)
			nl = text + len;
		line++;
		if (nl == p)
			continue;
		snprintf(num, sizeof num, "%zu", line);
		if ((o = json_loadb(p, nl - p, 0, &je)) == NULL) {
			proto_elements_fail(m, "$DAGZ_CASE_ELEMENTS: line %s: "
			    "not JSON", num);
			continue;
		}
		if (json_is_object(o) && (why = json_string_value(
		    json_object_get(o, "error"))) != NULL)
			proto_elements_fail(m, "the hook failed: %s", why);
		else if (json_is_object(o) && (json_object_get(o,
		    "started") != NULL || json_object_get(o, "outcome") !=
		    NULL))
			progress = 1;	/* as cases ran: cases_read_progress */
		else if (proto_case_elements(o, &c) == -1)
			proto_elements_fail(m, "$DAGZ_CASE_ELEMENTS: line %s: "
			    "not a case's elements", num);
		else {
			bytes += proto_case_elements_bytes(&c, eset, fset);
			proto_elements_add(m, &c);
			/* This line's known elements, counted as sent. */
			memset(&kc, 0, sizeof kc);
			k = m->known.nelems;
			if ((known = json_object_get(o, "known")) != NULL &&
			    proto_element_pairs(known, &m->known) == -1)
				proto_elements_fail(m, "$DAGZ_CASE_ELEMENTS: "
				    "line %s: \"known\" must be [[ELEMENT, FP]"
				    "...]", num);
			if (m->known.nelems > k) {
				kc.elems = m->known.elems + k;
				kc.fps = m->known.fps + k;
				kc.nelems = m->known.nelems - k;
				bytes += proto_case_elements_bytes(&kc, eset,
				    fset);
			}
		}
		json_decref(o);
		if (bytes > PROTO_ELEMENTS_MAX) {
			proto_elements_clear(m);
			m->present = 1;
			snprintf(num, sizeof num, "%d", PROTO_ELEMENTS_MAX);
			proto_elements_fail(m, "more than %s bytes of elements",
			    num);
			break;
		}
	}
	json_decref(eset);
	json_decref(fset);
	/* Cases ran, and the hook never wrote what they ran. */
	if (progress && m->n == 0 && m->error == NULL)
		proto_elements_fail(m, "%s", "the hook did not finish");
}

void
proto_elements_clear(struct msg_elements *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		proto_case_elements_clear(&m->v[i]);
	proto_case_elements_clear(&m->known);
	free(m->v);
	free(m->error);
	memset(m, 0, sizeof *m);
}

static json_t *
proto_strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return (a);
}

/* The rewritten files: [{"path", "hash"}], the hash in hexadecimal. */
static json_t *
proto_rewrites_json(const struct msg_rewrite *v, size_t n)
{
	json_t *a = json_array();
	char hex[17];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(hex, sizeof hex, "%016" PRIx64, v[i].hash);
		json_array_append_new(a, json_pack("{s:s, s:s}", "path",
		    v[i].path, "hash", hex));
	}
	return (a);
}

/* "removed" only when there are some: older readers know no such key. */
json_t *
proto_trace_encode(const struct msg_trace *m)
{
	return (json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:i, "
	    "s:o*}", "incomplete", m->incomplete,
	    "reasons", proto_strv_json(m->reasons),
	    "reads", proto_strv_json(m->reads),
	    "lists", proto_strv_json(m->lists),
	    "missing", proto_strv_json(m->missing),
	    "writes", proto_strv_json(m->writes),
	    "writes_cut", m->writes_cut,
	    "rewrites", proto_rewrites_json(m->rewrites, m->nrewrites),
	    "apps", m->apps,
	    "removed", m->removed != NULL && m->removed[0] != NULL ?
	    proto_strv_json(m->removed) : NULL));
}

/* An array of strings, or NULL, into a strv in one allocation. */
static int
proto_paths(json_t *v, const char *key, char ***out, char *err, size_t len)
{
	json_t *e;
	size_t i;

	*out = NULL;
	if (v == NULL)
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
	return (proto_err(err, len, "trace", "\"%s\" must be an array of "
	    "strings", key));
}

/* "rewrites", or NULL, into m. */
static int
proto_rewrites(json_t *v, struct msg_trace *m, char *err, size_t len)
{
	const char *path, *hex;
	json_t *e;
	size_t i;

	if (v == NULL)
		return (0);
	if (!json_is_array(v))
		goto bad;
	m->rewrites = xcalloc(json_array_size(v) + 1, sizeof *m->rewrites);
	json_array_foreach(v, i, e) {
		if (json_unpack(e, "{s:s, s:s !}", "path", &path, "hash",
		    &hex) == -1 || *path == '\0' || strlen(hex) != 16 ||
		    strspn(hex, "0123456789abcdef") != 16)
			goto bad;
		m->rewrites[i].hash = strtoull(hex, NULL, 16);
		m->rewrites[i].path = xstrdup(path);
		m->nrewrites++;
	}
	return (0);
bad:
	return (proto_err(err, len, "trace", "\"rewrites\" must be an array "
	    "of {\"path\", \"hash\"}, the hash 16 hexadecimal digits"));
}

int
proto_trace_decode(json_t *o, struct msg_trace *m, char *err, size_t len)
{
	json_t *reasons = NULL, *reads = NULL, *lists = NULL, *missing = NULL;
	json_t *writes = NULL, *rewrites = NULL, *removed = NULL;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "trace", err, len,
	    "{s?b, s?o, s?o, s?o, s?o, s?o, s?b, s?o, s?i, s?o}",
	    "incomplete", &m->incomplete, "reasons", &reasons, "reads", &reads,
	    "lists", &lists, "missing", &missing, "writes", &writes,
	    "writes_cut", &m->writes_cut, "rewrites", &rewrites,
	    "apps", &m->apps, "removed", &removed) == -1)
		return (-1);
	if (proto_paths(reasons, "reasons", &m->reasons, err, len) == -1 ||
	    proto_paths(reads, "reads", &m->reads, err, len) == -1 ||
	    proto_paths(lists, "lists", &m->lists, err, len) == -1 ||
	    proto_paths(missing, "missing", &m->missing, err, len) == -1 ||
	    proto_paths(writes, "writes", &m->writes, err, len) == -1 ||
	    proto_paths(removed, "removed", &m->removed, err, len) == -1 ||
	    proto_rewrites(rewrites, m, err, len) == -1) {
		proto_trace_clear(m);
		return (-1);
	}
	m->present = 1;
	return (0);
}

void
proto_trace_clear(struct msg_trace *m)
{
	size_t i;

	strv_free(m->reasons);
	strv_free(m->reads);
	strv_free(m->lists);
	strv_free(m->missing);
	strv_free(m->writes);
	strv_free(m->removed);
	for (i = 0; i < m->nrewrites; i++)
		free(m->rewrites[i].path);
	free(m->rewrites);
	memset(m, 0, sizeof *m);
}

json_t *
proto_worker_encode(const struct msg_worker *m)
{
	json_t *o;

	o = json_pack("{s:s, s:i, s:s, s:o*}", "type", "worker",
	    "worker", m->worker, "state", m->state,
	    "reason", json_string(m->reason));
	if (m->test != NULL) {
		json_object_set_new(o, "test", json_string(m->test));
		json_object_set_new(o, "attempt", json_integer(m->attempt));
	}
	return (o);
}

int
proto_worker_decode(json_t *o, struct msg_worker *m, char *err, size_t len)
{
	const char *state, *reason = NULL, *test = NULL;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "worker", err, len, "{s:i, s:s, s?s, s?s, s?i}",
	    "worker", &m->worker, "state", &state, "reason", &reason,
	    "test", &test, "attempt", &m->attempt) == -1 ||
	    proto_copy(state, m->state, sizeof m->state, "worker", "state",
	    err, len) == -1)
		return (-1);
	m->reason = proto_dup(reason);
	m->test = proto_dup(test);
	return (0);
}

void
proto_worker_clear(struct msg_worker *m)
{
	free(m->reason);
	free(m->test);
	memset(m, 0, sizeof *m);
}

json_t *
proto_recycle_encode(int worker)
{
	return (json_pack("{s:s, s:i}", "type", "recycle", "worker", worker));
}

int
proto_recycle_decode(json_t *o, int *worker, char *err, size_t len)
{
	return (proto_unpack(o, "recycle", err, len, "{s:i}", "worker",
	    worker));
}

json_t *
proto_shutdown_encode(void)
{
	return (json_pack("{s:s}", "type", "shutdown"));
}

json_t *
proto_bye_encode(void)
{
	return (json_pack("{s:s}", "type", "bye"));
}

json_t *
proto_join_encode(const struct msg_join *m)
{
	return (json_pack("{s:s, s:i, s:s, s:i, s:i, s:i, s:s, s:o*, s:I}",
	    "type", "join", "proto", m->proto, "token", m->token,
	    "node", m->node, "workers", m->workers, "pid", (int)m->pid,
	    "host", m->host, "root", json_string(m->root),
	    "resume", (json_int_t)m->resume));
}

int
proto_join_decode(json_t *o, struct msg_join *m, char *err, size_t len)
{
	const char *token, *host, *root = NULL;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "join", err, len,
	    "{s:i, s:s, s:i, s:i, s:i, s:s, s?s, s:I}", "proto", &m->proto,
	    "token", &token, "node", &m->node, "workers", &m->workers,
	    "pid", &m->pid, "host", &host, "root", &root,
	    "resume", &m->resume) == -1)
		return (-1);
	if (m->proto != PROTO_VERSION)
		return (proto_err(err, len, "join", "protocol version %d, "
		    "expected %d", m->proto, PROTO_VERSION));
	if (strlen(token) > PROTO_TOKEN_MAX || strlen(host) > 255)
		return (proto_err(err, len, "join", "\"token\" or \"host\" "
		    "too long"));
	m->token = xstrdup(token);
	m->host = xstrdup(host);
	m->root = proto_dup(root);
	return (0);
}

void
proto_join_clear(struct msg_join *m)
{
	if (m->token != NULL)
		explicit_bzero(m->token, strlen(m->token));
	free(m->token);
	free(m->host);
	free(m->root);
	memset(m, 0, sizeof *m);
}

json_t *
proto_welcome_encode(const struct msg_welcome *m)
{
	return (json_pack("{s:s, s:s, s:i, s:f, s:I}", "type", "welcome",
	    "job", m->job, "first_worker", m->first_worker, "time", m->time,
	    "resume", (json_int_t)m->resume));
}

int
proto_welcome_decode(json_t *o, struct msg_welcome *m, char *err, size_t len)
{
	const char *job;

	memset(m, 0, sizeof *m);
	if (proto_unpack(o, "welcome", err, len, "{s:s, s:i, s:F, s:I}",
	    "job", &job, "first_worker", &m->first_worker, "time", &m->time,
	    "resume", &m->resume) == -1)
		return (-1);
	m->job = xstrdup(job);
	return (0);
}

void
proto_welcome_clear(struct msg_welcome *m)
{
	free(m->job);
	memset(m, 0, sizeof *m);
}

json_t *
proto_report_encode(char **lines, int exit_code)
{
	return (json_pack("{s:s, s:o, s:i}", "type", "report", "lines",
	    proto_strv_json(lines), "exit", exit_code));
}

/* The lines (a new strv) and the exit status of a report. */
int
proto_report_decode(json_t *o, char ***lines, int *exit_code, char *err,
    size_t len)
{
	json_t *a, *v;
	size_t i;

	*lines = NULL;
	if (proto_unpack(o, "report", err, len, "{s:o, s:i}", "lines", &a,
	    "exit", exit_code) == -1)
		return (-1);
	if (!json_is_array(a))
		return (proto_err(err, len, "report", "\"lines\" must be an "
		    "array"));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			strv_free(*lines);
			*lines = NULL;
			return (proto_err(err, len, "report", "\"lines\" must "
			    "be strings"));
		}
		*lines = strv_push(*lines, json_string_value(v));
	}
	return (0);
}

json_t *
proto_ack_encode(uint64_t count)
{
	return (json_pack("{s:s, s:I}", "type", "ack", "received",
	    (json_int_t)count));
}

int
proto_ack_decode(json_t *o, uint64_t *count, char *err, size_t len)
{
	json_int_t n;

	if (proto_unpack(o, "ack", err, len, "{s:I}", "received", &n) == -1)
		return (-1);
	*count = n;
	return (0);
}
