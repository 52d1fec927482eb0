/*
 * jsonv.h: validated reads of JSON fields. Each function checks one key
 * of an object and writes a reason ("\"timeout\" must be a number") to
 * err on failure. None of them steals a reference; strings returned are
 * copies the caller frees.
 */
#ifndef DAGZ_JSONV_H
#define DAGZ_JSONV_H

#include <jansson.h>
#include <stddef.h>

#define JSONV_OPTIONAL	0
#define JSONV_REQUIRED	1

int	jsonv_keys(json_t *, const char *const *, char *, size_t);
int	jsonv_string(json_t *, const char *, int, char **, char *, size_t);
int	jsonv_int(json_t *, const char *, int, long long, long long,
	    long long *, char *, size_t);
int	jsonv_number(json_t *, const char *, int, double, double *, char *,
	    size_t);
int	jsonv_strv(json_t *, const char *, int, char ***, char *, size_t);
int	jsonv_argv(json_t *, const char *, char ***, char *, size_t);

#endif
