/*
 * zb: the query command of dagz. It asks dagzd about jobs, tests, spans
 * and logs, and prints an aligned table on a terminal or NDJSON for jq;
 * zb init writes a project's .dagz/config.yaml.
 * Each subcommand lives in its own file; this one only picks it from the
 * table below. See zb(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "zb.h"

static const struct zb_cmd commands[] = {
	{ "cases", zb_cases, "[--json] [--status status] job [test]",
	    "the cases the tests of a job reported" },
	{ "daemon", zb_daemon, "up [--bg] [--restart] | down | status",
	    "start, stop or ask about the local dagzd" },
	{ "flaky", zb_flaky, "[--json] [--jobs N] [--limit N] [--since when]",
	    "tests by flaky rate over recent jobs" },
	{ "init", zb_init, "[--force] [dir]",
	    "write .dagz/config.yaml from the suites found" },
	{ "job", zb_job, "[--json] job", "one job" },
	{ "jobs", zb_jobs, "[--json] [--limit N] [--project P] [--since when] "
	    "[--status S]", "recent jobs, newest first" },
	{ "junit", zb_junit, "[-o file] job", "a job's results as JUnit XML" },
	{ "logs", zb_logs, "[--json] job [test]",
	    "the logs of a test, or of every failed test" },
	{ "quarantine", zb_quarantine, "add [--project P] [--reason text] "
	    "test | list [--json] [--project P] | remove [--project P] test",
	    "the tests whose failures fail no job" },
	{ "span-logs", zb_span_logs, "[-o file] span",
	    "a bundle (tar.gz) to investigate one test attempt" },
	{ "select-tests", zb_select_tests, "[--trace] [--all] [--baseline id] "
	    "[--global glob] --manifest file | --exec glob ...",
	    "what dagz run would run now, and why" },
	{ "spans", zb_spans, "[--json] [--type type] job", "a job's spans" },
	{ "tests", zb_tests, "[--json] [--status status] job",
	    "a job's tests and their final status" },
};

/* Prints the usage of one subcommand, or of all, and exits 2. */
void
zb_usage(const char *name)
{
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (name != NULL && strcmp(commands[i].name, name) != 0)
			continue;
		fprintf(stderr, "%s zb %s %s\n", first ? "usage:" : "      ",
		    commands[i].name, commands[i].usage);
		first = 0;
	}
	exit(DAGZ_EXIT_USAGE);
}

static void
zb_help(void)
{
	size_t i;

	printf("usage: zb command [options] [arguments]\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].what);
	printf("\nA job is a short ID (j3, j1201.1) or a UUID. See zb(1).\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		zb_usage(NULL);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		zb_help();
		return (DAGZ_EXIT_OK);
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("zb %s\n", PACKAGE_VERSION);
		return (DAGZ_EXIT_OK);
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return (commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "zb: unknown command '%s'\n", argv[1]);
	zb_usage(NULL);
}
