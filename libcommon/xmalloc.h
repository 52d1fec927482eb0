/* xmalloc.h: allocation wrappers that never return NULL. */
#ifndef DAGZ_XMALLOC_H
#define DAGZ_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
/*
 * As xmalloc, for a block written once and soon, where a fault a page
 * is much of its cost (a decoded baseline): from 2 MiB on, aligned to
 * and backed by huge pages where the system gives them on request.
 * Freed with free(); realloc may move it off them.
 */
void	*xmalloc_huge(size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
