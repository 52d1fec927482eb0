/*
 * cienv.h: where a job runs: the CI system and its run, shard and
 * attempt, read from the environment; the git checkout (branch, commit,
 * origin) read from .git without running git; and which environment
 * variables hold secrets. JSON returned is a new reference.
 */
#ifndef DAGZ_CIENV_H
#define DAGZ_CIENV_H

#include <jansson.h>

json_t	*cienv_detect(void);
json_t	*cienv_git(const char *);
int	 cienv_secret_name(const char *);
json_t	*cienv_environ(char **);

#endif
