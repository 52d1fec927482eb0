/*
 * probe-dump.c: prints the merged trace of a directory that
 * libdagzprobe.so wrote into, as one JSON object (trace_to_json), for
 * the bats tests to query with jq.
 *
 *	probe-dump DIR [PID]
 *
 * With PID, the trace is incomplete unless that process was traced.
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "trace.h"

int
main(int argc, char *argv[])
{
	struct trace t;
	const char *errstr;
	char err[PATH_MAX + 128], *s;
	json_t *o;
	long long pid;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: probe-dump dir [pid]\n");
		return (2);
	}
	trace_init(&t);
	if (trace_read_dir(&t, argv[1], err, sizeof err) == -1)
		errx(1, "%s", err);
	if (argc == 3) {
		pid = strtonum(argv[2], 1, INT_MAX, &errstr);
		if (errstr != NULL)
			errx(2, "pid '%s' is %s", argv[2], errstr);
		trace_check_leader(&t, pid);
	}
	o = trace_to_json(&t);
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		errx(1, "cannot encode the trace");
	puts(s);
	free(s);
	json_decref(o);
	trace_clear(&t);
	return (0);
}
