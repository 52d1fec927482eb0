/*
 * zb-span-logs.c: "zb span-logs SPAN -o FILE": everything needed to look
 * into one test attempt away from dagz, as a tar.gz: the log, the
 * command, the environment (secrets masked), the test's recent history
 * and the job's summary, with a README saying what each file is.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <event2/buffer.h>

#include "envmask.h"
#include "exitcodes.h"
#include "ndjson.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

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
    "| command.txt | the test's command and working directory |\n"
    "| env.txt | the environment it ran with; the values of names "
    "containing TOKEN, SECRET, PASSWORD or KEY are masked as *** |\n"
    "| history.ndjson | its last 20 results in jobs of the same project, "
    "newest first: job, status, duration in seconds, commit |\n"
    "| summary.json | the job: counts of each status, duration, command "
    "line, CI run |\n"
    "| span.json | the attempt's span: start, end, status, worker, exit "
    "status, signal, reason |\n"
    "\n"
    "Reproduce it by running command.txt from its directory with env.txt "
    "(fill in the masked values).\n"
    "Statuses: OK, OK_FLAKY (passed on a retry), FAILED, TIMEOUT, "
    "CRASHED (killed by a signal), SKIPPED, DEP_FAILED, DESELECTED, "
    "REDUNDANT, DAGZ_ERROR (dagz failed, not the test).\n";

static void
bundle_add(struct archive *a, const char *dir, const char *name,
    const char *data, size_t len)
{
	struct archive_entry *e;
	char *path;

	xasprintf(&path, "%s/%s", dir, name);
	e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_size(e, len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len))
		errx(DAGZ_EXIT_ERROR, "cannot write '%s': %s", path,
		    archive_error_string(a));
	archive_entry_free(e);
	free(path);
}

static void
bundle_add_buf(struct archive *a, const char *dir, const char *name,
    struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);

	bundle_add(a, dir, name, (const char *)evbuffer_pullup(b, -1), n);
	evbuffer_drain(b, n);
}

/* Shell quoting, so that command.txt can be pasted into sh. */
static void
sh_quote(struct evbuffer *b, const char *s)
{
	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") == strlen(s)) {
		evbuffer_add_printf(b, "%s", s);
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

/* NAME=VALUE lines, sorted, secrets masked once more. */
static void
env_text(struct evbuffer *b, json_t *env)
{
	const char **keys, *k;
	size_t n = json_object_size(env), i = 0;
	json_t *v;
	char *val;

	keys = xcalloc(n + 1, sizeof *keys);
	json_object_foreach(env, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (i = 0; i < n; i++) {
		val = envmask(keys[i],
		    json_string_value(json_object_get(env, keys[i])));
		evbuffer_add_printf(b, "%s=%s\n", keys[i], val);
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

int
zb_span_logs(int argc, char **argv)
{
	struct archive *a;
	struct evbuffer *b;
	json_t *ctx, *span, *test, *job, *env, *v, *summary;
	const char *out = NULL, *log, *sid, *tid, *status;
	char *id, *dir, *file = NULL, attempt[32];
	long long att;
	size_t i;
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o')
			zb_usage("span-logs");
		out = optarg;
	}
	if (argc - optind != 1)
		zb_usage("span-logs");
	id = zb_escape(argv[optind]);
	ctx = zb_get(STORE_API "/spans/%s/context", id);
	free(id);
	span = json_object_get(ctx, "span");
	test = json_object_get(ctx, "test");
	job = json_object_get(ctx, "job");
	sid = json_string_value(json_object_get(span, "span"));
	tid = json_string_value(json_object_get(test, "id"));
	status = json_string_value(json_object_get(span, "status"));
	att = json_integer_value(json_object_get(span, "attempt"));
	if (out == NULL) {
		xasprintf(&file, "dagz-%s.tar.gz", sid);
		out = file;
	}
	xasprintf(&dir, "dagz-%s-%s",
	    json_string_value(json_object_get(job, "id")), sid);

	if ((a = archive_write_new()) == NULL ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, out) != ARCHIVE_OK)
		errx(DAGZ_EXIT_ERROR, "cannot write '%s': %s", out,
		    a != NULL ? archive_error_string(a) : "out of memory");
	b = evbuffer_new();

	evbuffer_add_printf(b, readme, tid != NULL ? tid : "?", att,
	    status != NULL ? status : "?",
	    json_string_value(json_object_get(job, "id")),
	    json_string_value(json_object_get(job, "uuid")), sid,
	    json_integer_value(json_object_get(ctx, "log_cut")) > 0 ?
	    "; the middle of a long log is cut, as a line in it says" : "");
	bundle_add_buf(a, dir, "README.md", b);

	log = json_string_value(json_object_get(ctx, "log"));
	bundle_add(a, dir, "log.txt", log != NULL ? log : "",
	    log != NULL ? strlen(log) : 0);

	if ((v = json_object_get(test, "cwd")) != NULL && json_is_string(v))
		evbuffer_add_printf(b, "cd %s\n", json_string_value(v));
	if ((v = json_object_get(test, "sh")) != NULL && json_is_string(v)) {
		evbuffer_add_printf(b, "/bin/sh -c ");
		sh_quote(b, json_string_value(v));
	} else {
		json_array_foreach(json_object_get(test, "cmd"), i, v) {
			if (i > 0)
				evbuffer_add(b, " ", 1);
			sh_quote(b, json_string_value(v));
		}
	}
	evbuffer_add(b, "\n", 1);
	bundle_add_buf(a, dir, "command.txt", b);

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
	bundle_add_buf(a, dir, "env.txt", b);

	json_array_foreach(json_object_get(ctx, "history"), i, v) {
		char *line = ndjson_encode(v);

		evbuffer_add_printf(b, "%s\n", line);
		free(line);
	}
	bundle_add_buf(a, dir, "history.ndjson", b);

	summary = json_pack("{s:O?,s:O?}", "job", job, "summary",
	    json_object_get(ctx, "summary"));
	json_text(b, summary);
	json_decref(summary);
	bundle_add_buf(a, dir, "summary.json", b);

	json_text(b, span);
	bundle_add_buf(a, dir, "span.json", b);

	if (archive_write_close(a) != ARCHIVE_OK)
		errx(DAGZ_EXIT_ERROR, "cannot write '%s': %s", out,
		    archive_error_string(a));
	archive_write_free(a);
	evbuffer_free(b);
	printf("%s\n", out);
	free(dir);
	free(file);
	json_decref(ctx);
	return (DAGZ_EXIT_OK);
}
