/*
 * zb-cases.c: "zb cases J [TEST]": the cases that tests of a job
 * reported (TAP lines, JUnit testcases) in their final attempt, with
 * their status, duration and reason.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "exitcodes.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

static const struct zb_col cases_cols[] = {
	{ "TEST", "test", ZB_STR, 40 },
	{ "CASE", "case", ZB_STR, 60 },
	{ "STATUS", "status", ZB_STR, 0 },
	{ "DURATION", "duration", ZB_SECS, 0 },
	{ "REASON", "reason", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

/*
 * On a terminal, a case's name and the first line of its reason are
 * shown escaped: they are whatever the test printed.
 */
static void
cases_for_tty(json_t *row)
{
	const char *v;
	char *line, buf[1024];

	if ((v = json_string_value(json_object_get(row, "case"))) != NULL) {
		cases_escape(v, buf, sizeof buf);
		json_object_set_new(row, "case", json_string(buf));
	}
	if ((v = json_string_value(json_object_get(row, "reason"))) != NULL) {
		line = xstrdup(v);
		line[strcspn(line, "\n")] = '\0';
		cases_escape(line, buf, sizeof buf);
		json_object_set_new(row, "reason", json_string(buf));
		free(line);
	}
}

int
zb_cases(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	char *id, *test = NULL, *st = NULL, *query;
	json_t *rows, *row;
	size_t i;
	int ch;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (zb_common_opt(&o, ch, optarg))
			continue;
		if (ch != 's')
			zb_usage("cases");
		free(st);
		st = zb_escape(optarg);
	}
	if (argc - optind != 1 && argc - optind != 2)
		zb_usage("cases");
	id = zb_job_arg(argv[optind]);
	if (argc - optind == 2)
		test = zb_escape(argv[optind + 1]);
	xasprintf(&query, "%s%s%s%s", test != NULL ? "&test=" : "",
	    test != NULL ? test : "", st != NULL ? "&status=" : "",
	    st != NULL ? st : "");
	rows = zb_get_lines(STORE_API "/jobs/%s/cases%s%s", id,
	    *query != '\0' ? "?" : "", *query != '\0' ? query + 1 : "");
	free(query);
	free(id);
	free(test);
	free(st);
	if (o.limit > 0)
		while (json_array_size(rows) > (size_t)o.limit)
			json_array_remove(rows, json_array_size(rows) - 1);
	if (zb_tty(&o))
		json_array_foreach(rows, i, row)
			cases_for_tty(row);
	zb_table(&o, cases_cols, rows);
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
