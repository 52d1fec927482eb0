/* strv.c: NULL-terminated string vectors; NULL is the empty vector. */
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "xmalloc.h"

size_t
strv_len(char *const *v)
{
	size_t n = 0;

	if (v != NULL)
		while (v[n] != NULL)
			n++;
	return (n);
}

/* Appends a copy of s; returns the (possibly moved) vector. */
char **
strv_push(char **v, const char *s)
{
	size_t n = strv_len(v);

	v = xreallocarray(v, n + 2, sizeof *v);
	v[n] = xstrdup(s);
	v[n + 1] = NULL;
	return (v);
}

char **
strv_copy(char *const *v)
{
	char **c = NULL;
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		c = strv_push(c, v[i]);
	return (c);
}

int
strv_contains(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return (1);
	return (0);
}

void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
