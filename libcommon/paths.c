/*
 * paths.c: how one dagz program finds another, the same way everywhere:
 * $DAGZ_BINDIR (a build tree, the tests), then beside the running
 * program (an installed or relocated tree), then the install directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "xmalloc.h"

/* The path of program name; the install directory's when none is found. */
char *
paths_program(const char *name)
{
	char self[PATH_MAX], *path;
	const char *env;
	ssize_t n;

	if ((env = getenv("DAGZ_BINDIR")) != NULL && *env != '\0') {
		xasprintf(&path, "%s/%s", env, name);
		if (access(path, X_OK) == 0)
			return (path);
		free(path);
	}
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) != -1) {
		self[n] = '\0';
		xasprintf(&path, "%s/%s", dirname(self), name);
		if (access(path, X_OK) == 0)
			return (path);
		free(path);
	}
	xasprintf(&path, "%s/%s", BINDIR, name);
	return (path);
}

/* mkdir -p: makes dir and its missing parents with mode. */
int
paths_mkdirs(const char *dir, mode_t mode)
{
	char *p, *q;
	int rc = 0;

	p = xstrdup(dir);
	for (q = p + 1; *q != '\0'; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST)
			rc = -1;
		*q = '/';
	}
	if (mkdir(p, mode) == -1 && errno != EEXIST)
		rc = -1;
	free(p);
	return (rc);
}
