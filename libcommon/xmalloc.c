/* xmalloc.c: allocation that dies loudly instead of returning NULL. */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatal("xmalloc %zu bytes", size);
	return (p);
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("xcalloc %zu * %zu bytes", n, size);
	return (p);
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if ((p = reallocarray(old, n == 0 ? 1 : n, size == 0 ? 1 : size)) ==
	    NULL)
		fatal("xreallocarray %zu * %zu bytes", n, size);
	return (p);
}

/*
 * Huge pages, where the system gives them on request: a block this
 * large or larger is aligned to one and asks for them.
 */
#define XMALLOC_HUGE	(2 * 1024 * 1024)

void *
xmalloc_huge(size_t size)
{
	void *p;
	size_t len;

	if (size < XMALLOC_HUGE)
		return (xmalloc(size));
	len = (size + XMALLOC_HUGE - 1) & ~(size_t)(XMALLOC_HUGE - 1);
	if (posix_memalign(&p, XMALLOC_HUGE, len) != 0)
		fatal("xmalloc_huge %zu bytes", size);
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);
#endif
	return (p);
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatal("xstrdup");
	return (p);
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		fatal("xstrndup");
	return (p);
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("xasprintf");
	return (n);
}
