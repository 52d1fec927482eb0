/* zb-jobs.c: "zb jobs": recent jobs, newest first. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "exitcodes.h"
#include "store.h"
#include "strv.h"
#include "xmalloc.h"
#include "zb.h"

static const struct zb_col jobs_cols[] = {
	{ "ID", "id", ZB_STR, 0 },
	{ "STATUS", "status", ZB_STR, 0 },
	{ "TESTS", "tests", ZB_INT, 0 },
	{ "PASSED", "passed", ZB_INT, 0 },
	{ "FAILED", "failed", ZB_INT, 0 },
	{ "FLAKY", "flaky", ZB_INT, 0 },
	{ "DURATION", "duration", ZB_SECS, 0 },
	{ "CREATED", "created", ZB_TIME, 0 },
	{ "BRANCH", "branch", ZB_STR, 24 },
	{ "PROJECT", "project", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

/* The statuses a job has in the store. */
static const char *const jobs_statuses[] = {
	"running", "passed", "failed", "error", "vanished", NULL
};

int
zb_jobs(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ "project", required_argument, NULL, 'p' },
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	struct evbuffer *q;
	char *e, *path;
	const char *project = NULL, *status = NULL;
	json_t *rows, *row;
	size_t i;
	int ch;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (zb_common_opt(&o, ch, optarg))
			continue;
		switch (ch) {
		case 'p':
			project = optarg;
			break;
		case 's':
			status = optarg;
			if (!strv_contains((char **)jobs_statuses, status))
				errx(DAGZ_EXIT_USAGE, "unknown job status '%s': "
				    "expected running, passed, failed, error "
				    "or vanished", status);
			break;
		default:
			zb_usage("jobs");
		}
	}
	if (optind != argc)
		zb_usage("jobs");
	q = evbuffer_new();
	evbuffer_add_printf(q, STORE_API "/jobs?limit=%lld",
	    o.limit > 0 ? o.limit : 20);
	if (o.since > 0)
		evbuffer_add_printf(q, "&since=%.0f", o.since);
	if (project != NULL) {
		e = zb_escape(project);
		evbuffer_add_printf(q, "&project=%s", e);
		free(e);
	}
	if (status != NULL) {
		e = zb_escape(status);
		evbuffer_add_printf(q, "&status=%s", e);
		free(e);
	}
	evbuffer_add(q, "", 1);
	path = xstrdup((char *)evbuffer_pullup(q, -1));
	evbuffer_free(q);
	rows = zb_get_lines("%s", path);
	free(path);
	/* A stress job (dagz run --repeat) says so in the table. */
	json_array_foreach(rows, i, row)
		if (zb_tty(&o) && json_is_object(json_object_get(row,
		    "stress"))) {
			xasprintf(&e, "%s (stress)", json_string_value(
			    json_object_get(row, "status")));
			json_object_set_new(row, "status", json_string(e));
			free(e);
		}
	zb_table(&o, jobs_cols, rows);
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
