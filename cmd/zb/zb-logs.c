/*
 * zb-logs.c: "zb logs J [TEST]": the output of every attempt of a test,
 * or of every test that failed, as text under a header per attempt; the
 * records as NDJSON with --json.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "store.h"
#include "utf8.h"
#include "zb.h"

int
zb_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
		ZB_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	char *id, *test, *text;
	const char *log;
	json_t *rows, *r;
	size_t i, n;
	int ch, tty;

	memset(&o, 0, sizeof o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (!zb_common_opt(&o, ch, optarg))
			zb_usage("logs");
	if (argc - optind != 1 && argc - optind != 2)
		zb_usage("logs");
	id = zb_job_arg(argv[optind]);
	if (argc - optind == 2) {
		test = zb_escape(argv[optind + 1]);
		rows = zb_get_lines(STORE_API "/jobs/%s/logs?test=%s", id,
		    test);
		free(test);
	} else
		rows = zb_get_lines(STORE_API "/jobs/%s/logs", id);
	free(id);
	if (json_array_size(rows) == 0 && argc - optind == 1)
		warnx("no test failed in job '%s'", argv[optind]);
	tty = zb_tty(&o);
	json_array_foreach(rows, i, r) {
		if (o.json) {
			zb_print_line(r);
			continue;
		}
		if ((log = json_string_value(json_object_get(r, "test"))) ==
		    NULL)
			log = "?";
		text = utf8_escape(log);
		printf("==> %s (attempt %lld: %s) <==\n", text,
		    (long long)json_integer_value(json_object_get(r,
		    "attempt")),
		    json_string_value(json_object_get(r, "status")));
		free(text);
		if ((log = json_string_value(json_object_get(r, "log"))) ==
		    NULL) {
			printf("(no log stored)\n");
			continue;
		}
		n = strlen(log);
		if (tty) {
			/* Escape sequences a test wrote are shown, not run. */
			text = utf8_escapen(log, n, "\t\n");
			fputs(text, stdout);
			free(text);
		} else
			fwrite(log, 1, n, stdout);
		if (n > 0 && log[n - 1] != '\n')
			putchar('\n');
	}
	json_decref(rows);
	return (DAGZ_EXIT_OK);
}
