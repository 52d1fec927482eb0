/*
 * cienv.h: where a job runs: the CI system and its run, shard and
 * attempt, read from the environment; the git checkout (branch, commit,
 * origin) read from .git without running git, and the project's
 * identity made from them. JSON returned is a new reference, strings
 * are new. Secrets in the environment: envmask.h.
 */
#ifndef DAGZ_CIENV_H
#define DAGZ_CIENV_H

#include <jansson.h>

json_t	*cienv_detect(void);
json_t	*cienv_git(const char *);
char	*cienv_project_url(const char *);
char	*cienv_project(json_t *);

#endif
