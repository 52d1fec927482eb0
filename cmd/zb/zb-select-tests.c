/*
 * zb-select-tests.c: "zb select-tests": what dagz run would run now for
 * the working tree, and why, without running anything. The scheduler
 * does the work (it loads the suite and the baselines as a job would);
 * this only finds it and asks it to print.
 */
#include <err.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "paths.h"
#include "strv.h"
#include "xmalloc.h"
#include "zb.h"

/* dagz-sched: in DAGZ_BINDIR, beside zb, where it was installed. */
static char *
select_sched_path(void)
{
	return (paths_program("dagz-sched"));
}

int
zb_select_tests(int argc, char **argv)
{
	char **args = NULL, *path;
	int i;

	if (argc < 2)
		zb_usage("select-tests");
	path = select_sched_path();
	args = strv_push(args, "dagz-sched");
	args = strv_push(args, "--select-only");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			zb_usage("select-tests");
		args = strv_push(args, argv[i]);
	}
	execv(path, args);
	err(DAGZ_EXIT_ERROR, "cannot execute '%s'", path);
}
