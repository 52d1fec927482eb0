/*
 * workerenv.c: --worker-env templates, checked where they are given and
 * expanded by each worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workerenv.h"
#include "xmalloc.h"

static const char *const workerenv_keys[] = { "suffix", "worker", "node",
    "job", NULL };

/* The placeholder at s ("{name}"): its index and length, or -1. */
static int
workerenv_key(const char *s, size_t *len)
{
	size_t n;
	int i;

	for (i = 0; workerenv_keys[i] != NULL; i++) {
		n = strlen(workerenv_keys[i]);
		if (strncmp(s + 1, workerenv_keys[i], n) == 0 &&
		    s[n + 1] == '}') {
			*len = n + 2;
			return (i);
		}
	}
	return (-1);
}

const char *
workerenv_bad(const char *spec)
{
	const char *eq = strchr(spec, '='), *p;
	size_t len;

	if (eq == NULL)
		return ("expected NAME=TEMPLATE");
	if (eq == spec || strspn(spec, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_") != (size_t)(eq - spec) ||
	    (*spec >= '0' && *spec <= '9'))
		return ("the name must be letters, digits and _, not "
		    "starting with a digit");
	for (p = eq + 1; (p = strchr(p, '{')) != NULL; p += len)
		if (workerenv_key(p, &len) == -1)
			return ("a '{' must start {suffix}, {worker}, {node} "
			    "or {job}");
	return (NULL);
}

char *
workerenv_expand(const char *spec, int worker, int node, const char *job)
{
	char *out = NULL, num[32];
	const char *p, *v;
	size_t len, n = 0, cap = 0, k;
	int key;

	for (p = spec; *p != '\0'; p += len) {
		v = p;
		len = 1;
		if (*p == '{' && (key = workerenv_key(p, &len)) != -1) {
			if (key == 0)
				snprintf(num, sizeof num, "_jw%02d", worker);
			else
				snprintf(num, sizeof num, "%d", key == 1 ?
				    worker : node);
			v = key == 3 ? job : num;
			k = strlen(v);
		} else
			k = 1;
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			out = xreallocarray(out, cap, 1);
		}
		memcpy(out + n, v, k);
		n += k;
	}
	if (out == NULL)
		out = xmalloc(1);
	out[n] = '\0';
	return (out);
}
