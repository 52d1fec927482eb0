/*
 * zb-flaky.c: "zb flaky": tests by flaky rate over recent jobs (those that
 * passed only on a retry, or whose outcome flips from job to job).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <err.h>

#include "exitcodes.h"
#include "store.h"
#include "zb.h"

static const struct zb_col flaky_cols[] = {
	{ "TEST", "test", ZB_STR, 60 },
	{ "RATE", "rate", ZB_RATE, 0 },
	{ "RUNS", "runs", ZB_INT, 0 },
	{ "FLAKY", "flaky", ZB_INT, 0 },
	{ "FLIPS", "flips", ZB_INT, 0 },
	{ "PASSED", "passed", ZB_INT, 0 },
	{ "FAILED", "failed", ZB_INT, 0 },
	{ NULL, NULL, 0, 0 }
};

int
zb_flaky(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ "jobs", required_argument, NULL, 'j' },
		{ "project", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	const char *errstr;
	char *project = NULL, since[64] = "";
	long long jobs = 50;
	json_t *rows;
	int ch;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (zb_common_opt(&o, ch, optarg))
			continue;
		switch (ch) {
		case 'j':
			jobs = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(DAGZ_EXIT_USAGE, "--jobs: %s: '%s'",
				    errstr, optarg);
			break;
		case 'p':
			free(project);
			project = zb_escape(optarg);
			break;
		default:
			zb_usage("flaky");
		}
	}
	if (optind != argc)
		zb_usage("flaky");
	if (o.since > 0)
		snprintf(since, sizeof since, "&since=%.0f", o.since);
	rows = zb_get_lines(STORE_API "/flaky?jobs=%lld&limit=%lld%s%s%s",
	    jobs, o.limit > 0 ? o.limit : 50, since,
	    project != NULL ? "&project=" : "", project != NULL ? project : "");
	free(project);
	zb_table(&o, flaky_cols, rows);
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
