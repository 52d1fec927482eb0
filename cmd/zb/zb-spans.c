/* zb-spans.c: "zb spans J": the spans of a job, in order of start. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "store.h"
#include "zb.h"

static const struct zb_col spans_cols[] = {
	{ "SPAN", "span", ZB_STR, 0 },
	{ "PARENT", "parent", ZB_STR, 0 },
	{ "TYPE", "type", ZB_STR, 0 },
	{ "STATUS", "status", ZB_STR, 0 },
	{ "ATTEMPT", "attempt", ZB_INT, 0 },
	{ "DURATION", "duration", ZB_SECS, 0 },
	{ "NAME", "name", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

int
zb_spans(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	char *id, *type = NULL;
	json_t *rows;
	int ch;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
		if (zb_common_opt(&o, ch, optarg))
			continue;
		if (ch != 't')
			zb_usage("spans");
		free(type);
		type = zb_escape(optarg);
	}
	if (argc - optind != 1)
		zb_usage("spans");
	id = zb_job_arg(argv[optind]);
	if (type != NULL)
		rows = zb_get_lines(STORE_API "/jobs/%s/spans?type=%s", id,
		    type);
	else
		rows = zb_get_lines(STORE_API "/jobs/%s/spans", id);
	free(id);
	free(type);
	if (o.limit > 0)
		while (json_array_size(rows) > (size_t)o.limit)
			json_array_remove(rows, json_array_size(rows) - 1);
	zb_table(&o, spans_cols, rows);
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
