/* collect-manifest.c: --manifest FILE, dagz's own NDJSON (suite.c). */
#include <stdio.h>
#include <stdlib.h>

#include "collect.h"
#include "xmalloc.h"

int
collect_manifest(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	char *path;
	int rc;

	if (a->args == NULL || a->args[0] == NULL || a->args[1] != NULL) {
		snprintf(err, len, "%s: a manifest is one file", a->source);
		return (-1);
	}
	if (a->args[0][0] == '/')
		path = xstrdup(a->args[0]);
	else
		xasprintf(&path, "%s/%s", a->dir, a->args[0]);
	rc = suite_load_manifest(s, path, a->args[0], err, len);
	free(path);
	return (rc);
}
