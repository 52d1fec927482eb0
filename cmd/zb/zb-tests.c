/*
 * zb-tests.c: "zb tests J": each test of a job and its final status, and
 * in a job of many nodes the node it ran on.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

static const struct zb_col tests_cols[] = {
	{ "TEST", "test", ZB_STR, 60 },
	{ "STATUS", "status_shown", ZB_STR, 0 },
	{ "ATTEMPTS", "attempts", ZB_INT, 0 },
	{ "DURATION", "duration", ZB_SECS, 0 },
	{ "CASES", "cases_shown", ZB_STR, 0 },
	{ "SPAN", "span", ZB_STR, 0 },
	{ "REASON", "reason_shown", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

/* A job of many nodes: where each test ran, too. */
static const struct zb_col tests_node_cols[] = {
	{ "TEST", "test", ZB_STR, 60 },
	{ "STATUS", "status_shown", ZB_STR, 0 },
	{ "NODE", "node", ZB_INT, 0 },
	{ "ATTEMPTS", "attempts", ZB_INT, 0 },
	{ "DURATION", "duration", ZB_SECS, 0 },
	{ "CASES", "cases_shown", ZB_STR, 0 },
	{ "SPAN", "span", ZB_STR, 0 },
	{ "REASON", "reason_shown", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

/* The STATUS cell of a row: "FAILED (quarantined)" in quarantine. */
static void
tests_status_shown(json_t *row)
{
	char *s;

	if (!json_is_true(json_object_get(row, "quarantined"))) {
		json_object_set(row, "status_shown",
		    json_object_get(row, "status"));
		return;
	}
	xasprintf(&s, "%s (quarantined)",
	    json_string_value(json_object_get(row, "status")));
	json_object_set_new(row, "status_shown", json_string(s));
	free(s);
}

/*
 * The REASON cell of a row: why it ran again, when its node was lost,
 * then the reason of its last attempt.
 */
static void
tests_reason_shown(json_t *row)
{
	const char *rerun, *reason;
	char *s;

	rerun = json_string_value(json_object_get(row, "rerun"));
	reason = json_string_value(json_object_get(row, "reason"));
	if (rerun == NULL && reason == NULL)
		return;
	if (rerun != NULL && reason != NULL)
		xasprintf(&s, "%s; %s", rerun, reason);
	else
		s = xstrdup(rerun != NULL ? rerun : reason);
	json_object_set_new(row, "reason_shown", json_string(s));
	free(s);
}

/*
 * The CASES cell of a row: "2/85 failed", "3/85 skipped", "85 passed",
 * "0" for a report without cases ("1..0 # SKIP"), or nothing when the
 * test reported none.
 */
static void
tests_cases_shown(json_t *row)
{
	json_t *c = json_object_get(row, "cases");
	json_int_t total, failed, skipped;
	char buf[64];

	if (!json_is_object(c))
		return;
	total = json_integer_value(json_object_get(c, "total"));
	failed = json_integer_value(json_object_get(c, "failed"));
	skipped = json_integer_value(json_object_get(c, "skipped"));
	if (total == 0)
		snprintf(buf, sizeof buf, "0");
	else if (failed > 0)
		snprintf(buf, sizeof buf, "%lld/%lld failed", (long long)failed,
		    (long long)total);
	else if (skipped > 0)
		snprintf(buf, sizeof buf, "%lld/%lld skipped",
		    (long long)skipped, (long long)total);
	else
		snprintf(buf, sizeof buf, "%lld passed", (long long)total);
	json_object_set_new(row, "cases_shown", json_string(buf));
}

int
zb_tests(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	char *id, *st = NULL;
	json_t *rows, *row;
	size_t i;
	int ch, nodes = 0;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (zb_common_opt(&o, ch, optarg))
			continue;
		if (ch != 's')
			zb_usage("tests");
		free(st);
		st = zb_escape(optarg);
	}
	if (argc - optind != 1)
		zb_usage("tests");
	id = zb_job_arg(argv[optind]);
	if (st != NULL)
		rows = zb_get_lines(STORE_API "/jobs/%s/tests?status=%s", id,
		    st);
	else
		rows = zb_get_lines(STORE_API "/jobs/%s/tests", id);
	free(id);
	free(st);
	if (o.limit > 0)
		while (json_array_size(rows) > (size_t)o.limit)
			json_array_remove(rows, json_array_size(rows) - 1);
	if (zb_tty(&o))
		json_array_foreach(rows, i, row) {
			tests_cases_shown(row);
			tests_reason_shown(row);
			tests_status_shown(row);
			if (json_is_integer(json_object_get(row, "node")))
				nodes = 1;
		}
	zb_table(&o, nodes ? tests_node_cols : tests_cols, rows);
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
