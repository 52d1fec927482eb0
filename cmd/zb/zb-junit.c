/*
 * zb-junit.c: "zb junit J": a stored job as JUnit XML, for CI systems
 * that show test reports, with the logs of failed tests.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "store.h"
#include "xmalloc.h"
#include "zb.h"

/* Text for XML: markup escaped, control characters dropped. */
static void
xml_text(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n' ||
			    *s == '\t')
				fputc(*s, f);
		}
	}
}

static const char *
str(json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

/* The last stored log of test, from the logs of the failed tests. */
static const char *
junit_log(json_t *logs, const char *test)
{
	const char *log = NULL;
	json_t *l;
	size_t i;

	json_array_foreach(logs, i, l)
		if (str(l, "test") != NULL && strcmp(str(l, "test"), test) == 0)
			log = str(l, "log");
	return (log);
}

int
zb_junit(int argc, char **argv)
{
	json_t *job, *tests, *logs, *t;
	const char *out = NULL, *st, *log;
	char *id, *tmp = NULL;
	size_t i, nfail = 0, nskip = 0;
	FILE *f = stdout;
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o')
			zb_usage("junit");
		out = optarg;
	}
	if (argc - optind != 1)
		zb_usage("junit");
	id = zb_escape(argv[optind]);
	job = zb_get(STORE_API "/jobs/%s", id);
	tests = zb_get_lines(STORE_API "/jobs/%s/tests", id);
	logs = zb_get_lines(STORE_API "/jobs/%s/logs", id);
	free(id);
	json_array_foreach(tests, i, t) {
		st = str(t, "status");
		if (strcmp(st, "FAILED") == 0 || strcmp(st, "TIMEOUT") == 0 ||
		    strcmp(st, "CRASHED") == 0 || strcmp(st, "DEP_FAILED") == 0)
			nfail++;
		else if (strcmp(st, "OK") != 0 && strcmp(st, "OK_FLAKY") != 0)
			nskip++;
	}
	if (out != NULL) {
		xasprintf(&tmp, "%s.tmp", out);
		if ((f = fopen(tmp, "w")) == NULL)
			err(DAGZ_EXIT_ERROR, "cannot write '%s'", tmp);
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites>\n<testsuite name=\"");
	xml_text(f, str(job, "id"));
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
	    "time=\"%.3f\">\n", json_array_size(tests), nfail, nskip,
	    json_number_value(json_object_get(job, "duration")));
	fprintf(f, "  <properties><property name=\"dagz.job\" value=\"");
	xml_text(f, str(job, "uuid"));
	fprintf(f, "\"/></properties>\n");
	json_array_foreach(tests, i, t) {
		st = str(t, "status");
		fprintf(f, "  <testcase name=\"");
		xml_text(f, str(t, "test"));
		fprintf(f, "\" time=\"%.3f\"",
		    json_number_value(json_object_get(t, "duration")));
		if (strcmp(st, "OK") == 0 || strcmp(st, "OK_FLAKY") == 0) {
			fprintf(f, "/>\n");
			continue;
		}
		fprintf(f, ">\n");
		if (strcmp(st, "DAGZ_ERROR") == 0)
			fprintf(f, "    <error type=\"DAGZ_ERROR\" message=\"");
		else if (nfail > 0 && (strcmp(st, "FAILED") == 0 ||
		    strcmp(st, "TIMEOUT") == 0 || strcmp(st, "CRASHED") == 0 ||
		    strcmp(st, "DEP_FAILED") == 0)) {
			fprintf(f, "    <failure type=\"");
			xml_text(f, st);
			fprintf(f, "\" message=\"");
		} else
			fprintf(f, "    <skipped message=\"");
		xml_text(f, str(t, "reason") != NULL ? str(t, "reason") : st);
		fprintf(f, "\"/>\n");
		if ((log = junit_log(logs, str(t, "test"))) != NULL) {
			fprintf(f, "    <system-out>");
			xml_text(f, log);
			fprintf(f, "</system-out>\n");
		}
		fprintf(f, "  </testcase>\n");
	}
	fprintf(f, "</testsuite>\n</testsuites>\n");
	if (out != NULL) {
		if (fclose(f) != 0 || rename(tmp, out) == -1)
			err(DAGZ_EXIT_ERROR, "cannot write '%s'", out);
		free(tmp);
	}
	json_decref(job);
	json_decref(tests);
	json_decref(logs);
	return (DAGZ_EXIT_OK);
}
