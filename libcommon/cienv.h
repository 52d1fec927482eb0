/*
 * cienv.h: where a job runs: the CI system and its run, shard and
 * attempt, read from the environment; the git checkout (branch, commit,
 * origin) read from .git without running git, and the project's
 * identity made from them; and which environment variables hold
 * secrets. JSON returned is a new reference, strings are new.
 */
#ifndef DAGZ_CIENV_H
#define DAGZ_CIENV_H

#include <jansson.h>

json_t	*cienv_detect(void);
json_t	*cienv_git(const char *);
char	*cienv_project_url(const char *);
char	*cienv_project(json_t *);
int	 cienv_secret_name(const char *);
json_t	*cienv_environ(char **);

#endif
