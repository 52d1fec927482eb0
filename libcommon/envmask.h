/*
 * envmask.h: masking secrets in an environment before it leaves the
 * machine: whole values of names that say they hold one, credentials
 * inside URLs, and values that look like well-known token formats.
 * Strings returned are new; JSON returned is a new reference.
 */
#ifndef DAGZ_ENVMASK_H
#define DAGZ_ENVMASK_H

#include <jansson.h>

#define ENVMASK_MASK	"***"

int	 envmask_name(const char *);
char	*envmask_value(const char *);
char	*envmask(const char *, const char *);
json_t	*envmask_environ(char **);

#endif
