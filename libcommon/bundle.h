/*
 * bundle.h: the agent-context bundle of one test attempt, a tar.gz
 * built from the context dagzd gives for a span: zb span-logs writes
 * it to a file, dagzd serves it to the dashboard, both with this code.
 */
#ifndef BUNDLE_H
#define BUNDLE_H

#include <jansson.h>

struct archive;

const char	*bundle_bad_name(const char *);
char		*bundle_dir(json_t *);
int		 bundle_write(struct archive *, json_t *, const char *, char *,
		    size_t);

#endif
