/*
 * zb-quarantine.c: "zb quarantine add|list|remove": the tests of a
 * project whose failures fail no job. The project is --project, else the
 * one dagz run in this directory records its jobs under (DAGZ_PROJECT,
 * the config's project:, the git origin...).
 */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cienv.h"
#include "exitcodes.h"
#include "projconf.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

static const struct zb_col quarantine_cols[] = {
	{ "TEST", "test", ZB_STR, 60 },
	{ "ADDED", "added", ZB_TIME, 0 },
	{ "BY", "by_shown", ZB_STR, 20 },
	{ "REASON", "reason", ZB_STR, 60 },
	{ NULL, NULL, 0, 0 }
};

/* The project of a dagz run here, as its job would record it. */
static char *
quarantine_project(void)
{
	struct projconf c;
	char cwd[PATH_MAX], cfg[PATH_MAX], errbuf[2048], *p;

	if (getcwd(cwd, sizeof cwd) == NULL)
		err(DAGZ_EXIT_ERROR, "getcwd");
	projconf_init(&c);
	if (projconf_find(cwd, cfg, sizeof cfg) == 1 &&
	    projconf_load(cfg, &c, errbuf, sizeof errbuf) == -1)
		errx(DAGZ_EXIT_USAGE, "%s", errbuf);
	p = cienv_project_name(c.root != NULL ? c.root : cwd, c.project);
	projconf_clear(&c);
	return (p);
}

/* Who asks: the user's name, for the record's "by". */
static const char *
quarantine_by(void)
{
	struct passwd *pw;

	if ((pw = getpwuid(getuid())) != NULL)
		return (pw->pw_name);
	return (NULL);
}

/* For a table: when a test was put there and whether it was by hand. */
static void
quarantine_shown(json_t *row)
{
	struct tm tm;
	time_t t;
	char buf[32];
	json_t *at = json_object_get(row, "added_at");

	if (json_is_number(at)) {
		t = (time_t)json_number_value(at);
		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(row, "added", json_string(buf));
	}
	if (json_is_true(json_object_get(row, "auto")))
		json_object_set_new(row, "by_shown", json_string("auto"));
	else if (json_is_string(json_object_get(row, "by")))
		json_object_set(row, "by_shown", json_object_get(row, "by"));
}

/* Prints rows, with what a table shows made first when it is one. */
static void
quarantine_print(const struct zb_opts *o, json_t *rows)
{
	json_t *row;
	size_t i;

	if (zb_tty(o))
		json_array_foreach(rows, i, row)
			quarantine_shown(row);
	zb_table(o, quarantine_cols, rows);
}

int
zb_quarantine(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "project", required_argument, NULL, 'p' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct zb_opts o;
	const char *sub, *reason = NULL;
	char *project = NULL, *e;
	json_t *rows, *rec;
	int ch;

	if (argc < 2)
		zb_usage("quarantine");
	sub = argv[1];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 &&
	    strcmp(sub, "remove") != 0) {
		warnx("quarantine: unknown subcommand '%s'", sub);
		zb_usage("quarantine");
	}
	memset(&o, 0, sizeof o);
	argc--;
	argv++;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'J':
			o.json = 1;
			break;
		case 'p':
			if (*optarg == '\0')
				errx(DAGZ_EXIT_USAGE, "--project: an empty "
				    "name");
			free(project);
			project = xstrdup(optarg);
			break;
		case 'r':
			if (strcmp(sub, "add") != 0)
				zb_usage("quarantine");
			reason = optarg;
			break;
		default:
			zb_usage("quarantine");
		}
	}
	if (argc - optind != (strcmp(sub, "list") == 0 ? 0 : 1))
		zb_usage("quarantine");
	if (project == NULL)
		project = quarantine_project();
	if (strcmp(sub, "list") == 0) {
		e = zb_escape(project);
		rows = zb_get_lines(STORE_API "/quarantine?project=%s", e);
		free(e);
	} else {
		rec = json_pack("{s:s, s:s}", "project", project, "test",
		    argv[optind]);
		if (strcmp(sub, "add") == 0) {
			if (reason != NULL)
				json_object_set_new(rec, "reason",
				    json_string(reason));
			if (quarantine_by() != NULL)
				json_object_set_new(rec, "by",
				    json_string(quarantine_by()));
		}
		rec = zb_post(rec, STORE_API "/quarantine%s",
		    strcmp(sub, "remove") == 0 ? "/remove" : "");
		rows = json_array();
		json_array_append_new(rows, rec);
	}
	quarantine_print(&o, rows);
	json_decref(rows);
	free(project);
	return (DAGZ_EXIT_OK);
}
