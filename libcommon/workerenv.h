/*
 * workerenv.h: the environment a worker gives each test it runs,
 * --worker-env NAME=TEMPLATE: in TEMPLATE, {suffix} (_jw03), {worker}
 * (3), {node} and {job} are the worker's, so that each worker has, for
 * instance, a database of its own.
 */
#ifndef DAGZ_WORKERENV_H
#define DAGZ_WORKERENV_H

/* Why spec is no NAME=TEMPLATE, or NULL when it is one. */
const char	*workerenv_bad(const char *);

/* spec expanded for worker of node in job: a new "NAME=VALUE". */
char		*workerenv_expand(const char *, int, int, const char *);

#endif
