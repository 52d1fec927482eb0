/*
 * cienv.h: where a job runs: the CI system and its run, shard and
 * attempt, read from the environment; the git checkout (branch, commit,
 * origin, the remote's HEAD) read from .git without running git, and
 * the project's identity made from them. JSON returned is a new reference, strings
 * are new. Secrets in the environment: envmask.h.
 */
#ifndef DAGZ_CIENV_H
#define DAGZ_CIENV_H

#include <jansson.h>

json_t	*cienv_detect(void);

/*
 * The slot of a parallel CI step this run is, for joining one job of
 * many nodes: its index (0-based) of total, and the run key all slots of
 * the step share (a new attempt of the step has a key of its own).
 */
struct cienv_slot {
	int	 index;
	int	 total;
	char	*key;
	char	*job_key;	/* the same for every attempt of the step */
	char	*provider;
};
int	 cienv_slot(struct cienv_slot *, char *, size_t);
void	 cienv_slot_clear(struct cienv_slot *);
json_t	*cienv_git(const char *);
char	*cienv_project_url(const char *);
char	*cienv_project(json_t *);
char	*cienv_project_name(const char *, const char *);

#endif
