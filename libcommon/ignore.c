/*
 * ignore.c: matching paths against gitignore-style patterns, one path
 * component at a time with fnmatch(3), so that "**" can stand for any
 * number of them.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ignore.h"
#include "xmalloc.h"

/*
 * pytest's cache is only read with --lf, --ff, --nf or --sw; Python's
 * bytecode is rewritten from the .py, which is the dependency.
 */
char *const ignore_defaults[] = {
	".pytest_cache/",
	"__pycache__/",
	"*.pyc",
	NULL
};

#define IGNORE_DEPTH_MAX	256

/* Splits s (modified) at slashes into at most max components. */
static size_t
ignore_split(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *p;

	while (n < max && (p = strsep(&s, "/")) != NULL)
		if (*p != '\0')
			v[n++] = p;
	return (n);
}

/* Whether pattern components p[0..np) match path components s[0..ns). */
static int
ignore_comps(char **p, size_t np, char **s, size_t ns)
{
	size_t j;

	if (np == 0)
		return (ns == 0);
	if (strcmp(p[0], "**") == 0) {
		for (j = 0; j <= ns; j++)
			if (ignore_comps(p + 1, np - 1, s + j, ns - j))
				return (1);
		return (0);
	}
	return (ns > 0 && fnmatch(p[0], s[0], 0) == 0 &&
	    ignore_comps(p + 1, np - 1, s + 1, ns - 1));
}

static int
ignore_one(const char *pattern, char **s, size_t ns, int isdir)
{
	char buf[4096], *p[IGNORE_DEPTH_MAX + 1];
	size_t len, np = 0, k;
	int dironly = 0, anchored;

	len = strlen(pattern);
	if (len == 0 || len >= sizeof buf)
		return (0);
	memcpy(buf, pattern, len + 1);
	if (buf[len - 1] == '/') {
		dironly = 1;
		buf[--len] = '\0';
	}
	anchored = strchr(buf, '/') != NULL;
	if (!anchored)
		p[np++] = "**";
	np += ignore_split(buf, p + np, IGNORE_DEPTH_MAX);
	if (np == 0)
		return (0);
	/* A match of the first k components is a directory if k < ns. */
	for (k = 1; k <= ns; k++)
		if (ignore_comps(p, np, s, k) &&
		    (k < ns || !dironly || isdir))
			return (1);
	return (0);
}

int
ignore_match(char *const *patterns, const char *path)
{
	char buf[4096], *s[IGNORE_DEPTH_MAX];
	size_t len, ns, i;
	int isdir;

	if (patterns == NULL || patterns[0] == NULL)
		return (0);
	if ((len = strlen(path)) >= sizeof buf)
		return (0);
	memcpy(buf, path, len + 1);
	isdir = len > 0 && buf[len - 1] == '/';
	if ((ns = ignore_split(buf, s, IGNORE_DEPTH_MAX)) == 0)
		return (0);
	for (i = 0; patterns[i] != NULL; i++)
		if (ignore_one(patterns[i], s, ns, isdir))
			return (1);
	return (0);
}

/* fnmatch's special characters in a literal path, escaped. */
static char *
ignore_escape(const char *path)
{
	char *v = xmalloc(strlen(path) * 2 + 1), *q = v;

	for (; *path != '\0'; path++) {
		if (strchr("*?[]\\", *path) != NULL)
			*q++ = '\\';
		*q++ = *path;
	}
	*q = '\0';
	return (v);
}

char *
ignore_rebase(const char *prefix, const char *pattern)
{
	char *esc, *v;
	const char *p = pattern;
	size_t len = strlen(p);
	int anchored;

	anchored = memchr(p, '/', len > 0 && p[len - 1] == '/' ? len - 1 :
	    len) != NULL;
	while (*p == '/')
		p++;
	if (*prefix == '\0')
		return (xstrdup(pattern));
	esc = ignore_escape(prefix);
	xasprintf(&v, "%s/%s%s", esc, anchored ? "" : "**/", p);
	free(esc);
	return (v);
}
