/*
 * collect-bats.c: --bats PATH..., each .bats file a test run as
 * "bats --tap FILE", its @test blocks the cases. A directory stands for
 * every .bats file below it, sorted, as bats -r finds them. A test runs
 * a subset of its cases, named in $DAGZ_CASES, through bats --filter.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "elements.h"
#include "strv.h"
#include "xmalloc.h"

/* Appends the .bats files below dir (shown as name) to *v. */
static int
bats_walk(const char *dir, const char *name, char ***v, char *err, size_t len)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	char *path, *shown;
	size_t n;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, len, "'%s': %s", name, strerror(errno));
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (strcmp(name, ".") == 0)
			shown = xstrdup(de->d_name);
		else
			xasprintf(&shown, "%s/%s", name, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rc = bats_walk(path, shown, v, err, len);
		else if ((n = strlen(de->d_name)) > 5 &&
		    strcmp(de->d_name + n - 5, ".bats") == 0 &&
		    S_ISREG(st.st_mode))
			*v = strv_push(*v, shown);
		free(shown);
		free(path);
	}
	closedir(d);
	return (rc);
}

static int
bats_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The .bats files of one argument, sorted, into *v. */
static int
bats_files(const struct adapter_spec *a, const char *arg, char ***v, char *err,
    size_t len)
{
	struct stat st;
	char *abs, *name, **found = NULL;
	size_t i, n;
	int rc = 0;

	name = xstrdup(arg);
	for (n = strlen(name); n > 1 && name[n - 1] == '/'; n--)
		name[n - 1] = '\0';
	if (name[0] == '/')
		abs = xstrdup(name);
	else
		xasprintf(&abs, "%s/%s", a->dir, name);
	if (stat(abs, &st) == -1) {
		snprintf(err, len, "'%s': %s", arg, strerror(errno));
		rc = -1;
	} else if (!S_ISDIR(st.st_mode)) {
		if (!strv_contains(*v, name))
			*v = strv_push(*v, name);
	} else if ((rc = bats_walk(abs, name, &found, err, len)) == 0) {
		if ((n = strv_len(found)) == 0) {
			snprintf(err, len, "'%s': no .bats file below it", arg);
			rc = -1;
		} else
			qsort(found, n, sizeof *found, bats_cmp);
		for (i = 0; i < n; i++)
			if (!strv_contains(*v, found[i]))
				*v = strv_push(*v, found[i]);
	}
	strv_free(found);
	free(abs);
	free(name);
	return (rc);
}

/*
 * The shell text that runs one .bats file: with $DAGZ_CASES, only the
 * cases it names, through --filter and the bats hook's regular
 * expression of them (a hook that cannot make one fails the run, which
 * then runs whole).
 */
static char *
bats_command(char *const *bats, const char *file)
{
	char *cmd, *q, *next, *awk;
	size_t i;

	awk = elements_hook("bats", "dagz_bats_filter.awk");
	q = collect_sh_quote(awk);
	free(awk);
	xasprintf(&cmd, "if [ -n \"${DAGZ_CASES:-}\" ]; then f=$(awk -f %s "
	    "\"$DAGZ_CASES\") || exit 2; set -- --filter \"$f\"; else set --; "
	    "fi; exec", q);
	free(q);
	for (i = 0; bats[i] != NULL; i++) {
		q = collect_sh_quote(bats[i]);
		xasprintf(&next, "%s %s", cmd, q);
		free(q);
		free(cmd);
		cmd = next;
	}
	q = collect_sh_quote(file);
	xasprintf(&next, "%s --tap \"$@\" %s", cmd, q);
	free(q);
	free(cmd);
	return (next);
}

int
collect_bats(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	struct test_def t;
	char **files = NULL, **bats = NULL, reason[1024];
	const char *prog = a->exec != NULL ? a->exec : "bats";
	size_t i;

	suite_init(s);
	for (i = 0; a->args != NULL && a->args[i] != NULL; i++) {
		if (bats_files(a, a->args[i], &files, reason, sizeof reason) ==
		    -1) {
			snprintf(err, len, "%s: %s", a->source, reason);
			goto fail;
		}
	}
	if ((bats = suite_program(prog, a->dir)) == NULL) {
		snprintf(err, len, "%s: cannot find '%s'%s", a->source, prog,
		    a->exec != NULL ?
		        " (--bats-exec)" :
		        " on PATH: install bats-core or give --bats-exec");
		goto fail;
	}
	for (i = 0; files != NULL && files[i] != NULL; i++) {
		testdef_init(&t);
		t.id = xstrdup(files[i]);
		t.sh = bats_command(bats, files[i]);
		t.subset = 1;
		t.cwd = xstrdup(a->dir);
		t.format = xstrdup("tap");
		suite_add_test(s, &t);
	}
	s->dir = xstrdup(a->dir);
	strv_free(files);
	strv_free(bats);
	return (0);
fail:
	strv_free(files);
	strv_free(bats);
	suite_clear(s);
	return (-1);
}
