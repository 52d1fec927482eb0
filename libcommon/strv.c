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

char **
strv_union(char **v, char *const *w)
{
	for (; w != NULL && *w != NULL; w++)
		if (!strv_contains(v, *w))
			v = strv_push(v, *w);
	return (v);
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

/* The strings of v with sep between them: a new string. */
char *
strv_join(char *const *v, const char *sep)
{
	size_t i, len = 1, n = strlen(sep);
	char *s;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		len += strlen(v[i]) + n;
	s = xmalloc(len);
	s[0] = '\0';
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0)
			strlcat(s, sep, len);
		strlcat(s, v[i], len);
	}
	return (s);
}
