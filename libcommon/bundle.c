/*
 * bundle.c: the agent-context bundle of one test attempt: the log, the
 * command, the environment (secrets masked), the test's recent history
 * and the job's summary, with a README saying what each file is, as
 * files of a tar.gz. zb span-logs and dagzd both write it here, from
 * the context dagzd gives for the span.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <event2/buffer.h>

#include "bundle.h"
#include "envmask.h"
#include "ndjson.h"
#include "xmalloc.h"

static const char readme[] =
    "# dagz test attempt: %s (attempt %lld, %s)\n"
    "\n"
    "This bundle holds what is known about one attempt of a test run by\n"
    "dagz, so that it can be investigated without access to the machine\n"
    "it ran on. Job %s (%s), span %s.\n"
    "\n"
    "| file | what |\n"
    "| --- | --- |\n"
    "| README.md | this file |\n"
    "| log.txt | the test's output, standard output and error in order%s |\n"
    "| command.txt | the test's working directory and command, quoted "
    "for sh |\n"
    "| env.txt | the environment it ran with, one NAME=VALUE a line, the "
    "value quoted for sh ($'...' when it holds a newline or another "
    "control character); secrets are masked as *** |\n"
    "| history.ndjson | its last 20 results in jobs of the same project, "
    "newest first: job, status, duration in seconds, commit |\n"
    "| summary.json | the job: counts of each status, duration, command "
    "line, CI run |\n"
    "| span.json | the attempt's span: start, end, status, worker, exit "
    "status, signal, reason |\n"
    "\n"
    "Reproduce it by filling in the masked values in env.txt, then, in "
    "bash, zsh or ksh: (set -a; . ./env.txt; exec sh ./command.txt)\n"
    "Statuses: OK, OK_FLAKY (passed on a retry), FAILED, TIMEOUT, "
    "CRASHED (killed by a signal), SKIPPED, DEP_FAILED, NOT_RUN (the "
    "job stopped early), DESELECTED, REDUNDANT, DAGZ_ERROR (dagz failed, "
    "not the test).\n";

/*
 * Why the name of a file of the bundle, made of what dagzd said (the
 * job's and the span's IDs), is refused, or NULL: a file named so
 * could land outside the directory the bundle is unpacked in, or in
 * the output's place outside the current directory.
 */
const char *
bundle_bad_name(const char *path)
{
	const char *p, *c;
	size_t n;

	if (*path == '\0')
		return ("is empty");
	if (*path == '/')
		return ("is absolute");
	for (p = path; *p != '\0'; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (n == 2 && strncmp(p, "..", 2) == 0)
			return ("has a '..' component");
	}
	for (c = path; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return ("has a control character");
	return (NULL);
}

static int
bundle_add(struct archive *a, const char *dir, const char *name,
    const char *data, size_t len, char *err, size_t errlen)
{
	struct archive_entry *e;
	char *path;
	int rc = 0;

	xasprintf(&path, "%s/%s", dir, name);
	e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_size(e, len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len)) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    archive_error_string(a));
		rc = -1;
	}
	archive_entry_free(e);
	free(path);
	return (rc);
}

static int
bundle_add_buf(struct archive *a, const char *dir, const char *name,
    struct evbuffer *b, char *err, size_t errlen)
{
	size_t n = evbuffer_get_length(b);
	int rc;

	rc = bundle_add(a, dir, name, (const char *)evbuffer_pullup(b, -1), n,
	    err, errlen);
	evbuffer_drain(b, n);
	return (rc);
}

#define SH_SAFE	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"0123456789_-./:,+@%"

/*
 * A word quoted for the POSIX shell, so that command.txt can be pasted
 * into sh and nothing in it is expanded: in single quotes, a quote as
 * '\''. Words of safe characters only stay as they are; safe adds
 * more characters that need no quotes where the word goes.
 */
static void
sh_quote(struct evbuffer *b, const char *s, const char *safe)
{
	size_t n = strlen(s), k = strspn(s, SH_SAFE);

	if (safe != NULL)
		while (k < n && strchr(safe, s[k]) != NULL)
			k += 1 + strspn(s + k + 1, SH_SAFE);
	if (n > 0 && k == n) {
		evbuffer_add(b, s, n);
		return;
	}
	evbuffer_add(b, "'", 1);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			evbuffer_add_printf(b, "'\\''");
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "'", 1);
}

/*
 * A value on one line: as sh_quote gives it, or, when it holds a
 * control character (a newline), in $'...' with backslash escapes, as
 * POSIX.1-2024 sh, bash, zsh and ksh read it.
 */
static void
sh_quote_line(struct evbuffer *b, const char *s, const char *safe)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			break;
	if (*p == '\0') {
		sh_quote(b, s, safe);
		return;
	}
	evbuffer_add(b, "$'", 2);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '\'')
			evbuffer_add_printf(b, "\\%c", *p);
		else if (*p == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (*p == '\t')
			evbuffer_add(b, "\\t", 2);
		else if (*p < 0x20 || *p == 0x7f)
			evbuffer_add_printf(b, "\\x%02x", *p);
		else
			evbuffer_add(b, p, 1);
	}
	evbuffer_add(b, "'", 1);
}

/* Is s a name the shell can assign to? */
static int
sh_name(const char *s)
{
	if (*s == '\0' || isdigit((unsigned char)*s))
		return (0);
	return (strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(s));
}

static void
env_add(json_t *env, json_t *from)
{
	const char *k;
	json_t *v;

	json_object_foreach(from, k, v)
		if (json_is_string(v))
			json_object_set(env, k, v);
}

static int
key_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/*
 * NAME=VALUE lines, sorted, secrets masked once more, each value quoted
 * on one line: no expansion happens in an assignment's value, so '*'
 * and '=' need no quotes there. A name the shell cannot assign to is
 * written as a comment, the whole NAME=VALUE quoted.
 */
static void
env_text(struct evbuffer *b, json_t *env)
{
	const char **keys, *k;
	size_t n = json_object_size(env), i = 0;
	json_t *v;
	char *val, *pair;

	keys = xcalloc(n + 1, sizeof *keys);
	json_object_foreach(env, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (i = 0; i < n; i++) {
		val = envmask(keys[i],
		    json_string_value(json_object_get(env, keys[i])));
		if (sh_name(keys[i])) {
			evbuffer_add_printf(b, "%s=", keys[i]);
			sh_quote_line(b, val, "*=");
		} else {
			xasprintf(&pair, "%s=%s", keys[i], val);
			evbuffer_add(b, "# ", 2);
			sh_quote_line(b, pair, NULL);
			free(pair);
		}
		evbuffer_add(b, "\n", 1);
		free(val);
	}
	free(keys);
}

static void
json_text(struct evbuffer *b, json_t *o)
{
	char *s;

	s = json_dumps(o, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(10));
	evbuffer_add_printf(b, "%s\n", s != NULL ? s : "null");
	free(s);
}

/*
 * The directory every file of ctx's bundle is in, "dagz-JOB-SPAN" (a
 * new allocation), or NULL when ctx names no job or no span.
 */
char *
bundle_dir(json_t *ctx)
{
	const char *sid, *jid;
	char *dir;

	sid = json_string_value(json_object_get(json_object_get(ctx, "span"),
	    "span"));
	jid = json_string_value(json_object_get(json_object_get(ctx, "job"),
	    "id"));
	if (sid == NULL || jid == NULL)
		return (NULL);
	xasprintf(&dir, "dagz-%s-%s", jid, sid);
	return (dir);
}

/*
 * Writes the files of ctx's bundle, each "DIR/NAME", into a (opened by
 * the caller, closed by the caller): 0, or -1 with err.
 */
int
bundle_write(struct archive *a, json_t *ctx, const char *dir, char *err,
    size_t errlen)
{
	struct evbuffer *b;
	json_t *span, *test, *job, *env, *v, *summary;
	const char *log, *jid, *tid, *status;
	char attempt[32];
	long long att;
	size_t i;
	int rc = -1;

	span = json_object_get(ctx, "span");
	test = json_object_get(ctx, "test");
	job = json_object_get(ctx, "job");
	jid = json_string_value(json_object_get(job, "id"));
	tid = json_string_value(json_object_get(test, "id"));
	status = json_string_value(json_object_get(span, "status"));
	att = json_integer_value(json_object_get(span, "attempt"));
	b = evbuffer_new();

	evbuffer_add_printf(b, readme, tid != NULL ? tid : "?", att,
	    status != NULL ? status : "?",
	    jid != NULL ? jid : "?",
	    json_string_value(json_object_get(job, "uuid")),
	    json_string_value(json_object_get(span, "span")),
	    json_integer_value(json_object_get(ctx, "log_cut")) > 0 ?
	    "; the middle of a long log is cut, as a line in it says" : "");
	if (bundle_add_buf(a, dir, "README.md", b, err, errlen) == -1)
		goto fail;

	log = json_string_value(json_object_get(ctx, "log"));
	if (bundle_add(a, dir, "log.txt", log != NULL ? log : "",
	    log != NULL ? strlen(log) : 0, err, errlen) == -1)
		goto fail;

	if ((v = json_object_get(test, "cwd")) != NULL && json_is_string(v)) {
		/* "cd -x" would take an option. */
		evbuffer_add_printf(b, "cd %s",
		    json_string_value(v)[0] == '-' ? "./" : "");
		sh_quote(b, json_string_value(v), NULL);
		evbuffer_add(b, "\n", 1);
	}
	if ((v = json_object_get(test, "sh")) != NULL && json_is_string(v)) {
		evbuffer_add_printf(b, "/bin/sh -c ");
		sh_quote(b, json_string_value(v), NULL);
	} else {
		json_array_foreach(json_object_get(test, "cmd"), i, v) {
			if (i > 0)
				evbuffer_add(b, " ", 1);
			sh_quote(b, json_is_string(v) ? json_string_value(v) :
			    "", NULL);
		}
	}
	evbuffer_add(b, "\n", 1);
	if (bundle_add_buf(a, dir, "command.txt", b, err, errlen) == -1)
		goto fail;

	/* The job's environment, the test's, then what dagz adds. */
	env = json_object();
	env_add(env, json_object_get(ctx, "env"));
	env_add(env, json_object_get(test, "env"));
	json_object_set_new(env, "DAGZ_JOB_ID",
	    json_string(json_string_value(json_object_get(job, "uuid"))));
	if (tid != NULL)
		json_object_set_new(env, "DAGZ_TEST_ID", json_string(tid));
	snprintf(attempt, sizeof attempt, "%lld", att);
	json_object_set_new(env, "DAGZ_ATTEMPT", json_string(attempt));
	env_text(b, env);
	json_decref(env);
	if (bundle_add_buf(a, dir, "env.txt", b, err, errlen) == -1)
		goto fail;

	json_array_foreach(json_object_get(ctx, "history"), i, v) {
		char *line = ndjson_encode(v);

		evbuffer_add_printf(b, "%s\n", line);
		free(line);
	}
	if (bundle_add_buf(a, dir, "history.ndjson", b, err, errlen) == -1)
		goto fail;

	summary = json_pack("{s:O?,s:O?}", "job", job, "summary",
	    json_object_get(ctx, "summary"));
	json_text(b, summary);
	json_decref(summary);
	if (bundle_add_buf(a, dir, "summary.json", b, err, errlen) == -1)
		goto fail;

	json_text(b, span);
	if (bundle_add_buf(a, dir, "span.json", b, err, errlen) == -1)
		goto fail;

	rc = 0;
fail:
	evbuffer_free(b);
	return (rc);
}
