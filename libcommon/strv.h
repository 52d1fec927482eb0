/* strv.h: NULL-terminated vectors of owned strings (argv, env, ids). */
#ifndef DAGZ_STRV_H
#define DAGZ_STRV_H

#include <stddef.h>

size_t	  strv_len(char *const *);
char	**strv_push(char **, const char *);
char	**strv_copy(char *const *);
int	  strv_contains(char *const *, const char *);
/* Appends to v each string of w it does not hold yet. */
char	**strv_union(char **, char *const *);
void	  strv_free(char **);
char	 *strv_join(char *const *, const char *);

#endif
