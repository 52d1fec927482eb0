/* zb-tests.c: "zb tests J": each test of a job and its final status. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "store.h"
#include "zb.h"

static const struct zb_col tests_cols[] = {
	{ "TEST", "test", ZB_STR, 60 },
	{ "STATUS", "status", ZB_STR, 0 },
	{ "ATTEMPTS", "attempts", ZB_INT, 0 },
	{ "DURATION", "duration", ZB_SECS, 0 },
	{ "SPAN", "span", ZB_STR, 0 },
	{ "REASON", "reason", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

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
	json_t *rows;
	int ch;

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
	id = zb_escape(argv[optind]);
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
	zb_table(&o, tests_cols, rows);
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
