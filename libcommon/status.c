/* status.c: names of result statuses and which of them count as failures. */
#include <string.h>

#include "status.h"

static const char *const status_names[ST__COUNT] = {
	[ST_OK] = "OK",
	[ST_OK_FLAKY] = "OK_FLAKY",
	[ST_FAILED] = "FAILED",
	[ST_TIMEOUT] = "TIMEOUT",
	[ST_CRASHED] = "CRASHED",
	[ST_SKIPPED] = "SKIPPED",
	[ST_DEP_FAILED] = "DEP_FAILED",
	[ST_DESELECTED] = "DESELECTED",
	[ST_REDUNDANT] = "REDUNDANT",
	[ST_DAGZ_ERROR] = "DAGZ_ERROR",
	[ST_NOT_RUN] = "NOT_RUN",
};

const char *
status_name(enum test_status s)
{
	if ((unsigned)s >= ST__COUNT)
		return ("?");
	return (status_names[s]);
}

int
status_parse(const char *name, enum test_status *s)
{
	int i;

	for (i = 0; i < ST__COUNT; i++) {
		if (strcmp(status_names[i], name) == 0) {
			*s = i;
			return (0);
		}
	}
	return (-1);
}

/* Passed: counts toward a green run (skips included). */
int
status_passed(enum test_status s)
{
	return (s == ST_OK || s == ST_OK_FLAKY || s == ST_SKIPPED ||
	    s == ST_DESELECTED || s == ST_REDUNDANT);
}

/*
 * Failed: makes the run exit 1. DAGZ_ERROR is neither, nor is NOT_RUN
 * (not started because the job stopped early: what stopped it failed).
 */
int
status_failed(enum test_status s)
{
	return (s == ST_FAILED || s == ST_TIMEOUT || s == ST_CRASHED ||
	    s == ST_DEP_FAILED);
}
