/* zb-job.c: "zb job J": one job, every field, and the nodes it ran on. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "store.h"
#include "utf8.h"
#include "zb.h"

/*
 * The nodes of a job of many, one a line: "node 1 on ci-b: workers #2
 * #3, 7 tests".
 */
static void
job_print_nodes(json_t *nodes)
{
	json_t *n, *w, *workers;
	const char *host;
	char *e;
	size_t i, k;

	json_array_foreach(nodes, i, n) {
		printf("%-10s node %lld", i == 0 ? "nodes" : "",
		    (long long)json_integer_value(json_object_get(n, "node")));
		if ((host = json_string_value(json_object_get(n, "host"))) !=
		    NULL) {
			/* Whatever the scheduler sent: one line still. */
			e = utf8_escape(host);
			printf(" on %s", e);
			free(e);
		}
		printf(":");
		workers = json_object_get(n, "workers");
		if (json_array_size(workers) > 0) {
			printf(" workers");
			json_array_foreach(workers, k, w)
				printf(" #%lld",
				    (long long)json_integer_value(w));
			printf(",");
		}
		printf(" %lld tests\n", (long long)json_integer_value(
		    json_object_get(n, "tests")));
	}
}

int
zb_job(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	char *id, *s;
	const char *k;
	json_t *job, *v;
	int ch;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (!zb_common_opt(&o, ch, optarg))
			zb_usage("job");
	if (argc - optind != 1)
		zb_usage("job");
	id = zb_job_arg(argv[optind]);
	job = zb_get(STORE_API "/jobs/%s", id);
	free(id);
	if (!zb_tty(&o)) {
		zb_print_line(job);
		json_decref(job);
		return (DAGZ_EXIT_OK);
	}
	/* One "key: value" a line; objects and arrays as compact JSON. */
	json_object_foreach(job, k, v) {
		if (strcmp(k, "nodes") == 0 && json_array_size(v) > 0)
			job_print_nodes(v);
		else if (json_is_string(v))
			printf("%-10s %s\n", k, json_string_value(v));
		else if (json_is_null(v))
			printf("%-10s -\n", k);
		else {
			s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
			    JSON_REAL_PRECISION(6));
			printf("%-10s %s\n", k, s);
			free(s);
		}
	}
	json_decref(job);
	return (DAGZ_EXIT_OK);
}
