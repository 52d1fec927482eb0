/*
 * collect-tap.c: --tap GLOB..., each matching file a test whose stdout is
 * TAP, run from its own directory as prove and git's t/ expect (or from
 * --tap-cwd), by itself or through --tap-exec PROG (perl for .t files).
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "strv.h"
#include "xmalloc.h"

/* The absolute form of a path relative to dir. */
static char *
collect_abs(const char *dir, const char *path)
{
	char *abs;

	if (path[0] == '/')
		abs = xstrdup(path);
	else
		xasprintf(&abs, "%s/%s", dir, path);
	return (abs);
}

int
collect_tap(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	struct test_def t;
	struct stat st;
	char **paths = NULL, **exec = NULL, *cwd = NULL, *abs, *tmp;
	char reason[1024], real[PATH_MAX];
	size_t i;

	suite_init(s);
	if (suite_glob(a->args, a->dir, &paths, reason, sizeof reason) == -1) {
		snprintf(err, len, "%s: %s", a->source, reason);
		return (-1);
	}
	if (a->exec != NULL &&
	    (exec = suite_program(a->exec, a->dir)) == NULL) {
		snprintf(err, len, "%s: cannot find --tap-exec '%s'", a->source,
		    a->exec);
		goto fail;
	}
	if (a->cwd != NULL) {
		tmp = collect_abs(a->dir, a->cwd);
		if (stat(tmp, &st) == -1 || !S_ISDIR(st.st_mode) ||
		    realpath(tmp, real) == NULL) {
			snprintf(err, len, "%s: --tap-cwd '%s': %s", a->source,
			    a->cwd,
			    access(tmp, F_OK) == -1 ? strerror(errno) :
			                              "not a directory");
			free(tmp);
			goto fail;
		}
		free(tmp);
		cwd = xstrdup(real);
	}
	for (i = 0; paths[i] != NULL; i++) {
		abs = collect_abs(a->dir, paths[i]);
		if (exec == NULL && access(abs, X_OK) == -1) {
			snprintf(err, len,
			    "%s: '%s' is not executable: make "
			    "it so, or name its interpreter with --tap-exec",
			    a->source, paths[i]);
			free(abs);
			goto fail;
		}
		testdef_init(&t);
		t.id = xstrdup(paths[i]);
		t.argv = strv_copy(exec);
		if (cwd != NULL) {
			t.cwd = xstrdup(cwd);
			t.argv = strv_push(t.argv, abs);
		} else {
			/* From its own directory, as ./NAME: git's t/. */
			tmp = xstrdup(abs);
			t.cwd = xstrdup(dirname(tmp));
			free(tmp);
			tmp = xstrdup(abs);
			free(abs);
			xasprintf(&abs, "./%s", basename(tmp));
			free(tmp);
			t.argv = strv_push(t.argv, abs);
		}
		free(abs);
		/* What prove tells a script: a harness reads its TAP. */
		t.env = strv_push(NULL, "HARNESS_ACTIVE=1");
		t.format = xstrdup("tap");
		suite_add_test(s, &t);
	}
	s->dir = xstrdup(a->dir);
	strv_free(paths);
	strv_free(exec);
	free(cwd);
	return (0);
fail:
	strv_free(paths);
	strv_free(exec);
	free(cwd);
	suite_clear(s);
	return (-1);
}
