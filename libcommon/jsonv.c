/* jsonv.c: field-by-field validation of decoded JSON objects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "strv.h"
#include "utf8.h"
#include "xmalloc.h"

/* Rejects any key not in allowed (NULL-terminated): typos must not pass. */
int
jsonv_keys(json_t *obj, const char *const *allowed, char *err, size_t len)
{
	const char *key;
	char *shown;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL) {
			/* Said on one line, whatever the key holds. */
			shown = utf8_escape(key);
			snprintf(err, len, "unknown key \"%s\"", shown);
			free(shown);
			return (-1);
		}
	}
	return (0);
}

static json_t *
jsonv_get(json_t *obj, const char *key, int required, char *err, size_t len,
    int *missing)
{
	json_t *v = json_object_get(obj, key);

	*missing = 0;
	if (v == NULL || json_is_null(v)) {
		*missing = 1;
		if (required)
			snprintf(err, len, "missing \"%s\"", key);
	}
	return (v);
}

int
jsonv_string(json_t *obj, const char *key, int required, char **out,
    char *err, size_t len)
{
	json_t *v;
	int missing;

	*out = NULL;
	v = jsonv_get(obj, key, required, err, len, &missing);
	if (missing)
		return (required ? -1 : 0);
	if (!json_is_string(v)) {
		snprintf(err, len, "\"%s\" must be a string", key);
		return (-1);
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(err, len, "\"%s\" must not contain NUL", key);
		return (-1);
	}
	*out = xstrdup(json_string_value(v));
	return (0);
}

int
jsonv_int(json_t *obj, const char *key, int required, long long min,
    long long max, long long *out, char *err, size_t len)
{
	json_t *v;
	int missing;

	v = jsonv_get(obj, key, required, err, len, &missing);
	if (missing)
		return (required ? -1 : 0);
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, len, "\"%s\" must be an integer from %lld to %lld",
		    key, min, max);
		return (-1);
	}
	*out = json_integer_value(v);
	return (0);
}

/* A number (integer or real) no less than min; out is left alone if absent. */
int
jsonv_number(json_t *obj, const char *key, int required, double min,
    double *out, char *err, size_t len)
{
	json_t *v;
	int missing;
	double d;

	v = jsonv_get(obj, key, required, err, len, &missing);
	if (missing)
		return (required ? -1 : 0);
	if (!json_is_number(v)) {
		snprintf(err, len, "\"%s\" must be a number", key);
		return (-1);
	}
	d = json_number_value(v);
	if (!isfinite(d) || d < min) {
		snprintf(err, len, "\"%s\" must be a number of at least %g",
		    key, min);
		return (-1);
	}
	*out = d;
	return (0);
}

/* An array of strings; absent gives NULL (the empty vector). */
int
jsonv_strv(json_t *obj, const char *key, int required, char ***out,
    char *err, size_t len)
{
	json_t *v, *e;
	size_t i;
	int missing;

	*out = NULL;
	v = jsonv_get(obj, key, required, err, len, &missing);
	if (missing)
		return (required ? -1 : 0);
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    strlen(json_string_value(e)) != json_string_length(e))
			goto bad;
	}
	json_array_foreach(v, i, e)
		*out = strv_push(*out, json_string_value(e));
	return (0);
bad:
	snprintf(err, len, "\"%s\" must be an array of strings", key);
	return (-1);
}

/* A command: a non-empty array of strings. */
int
jsonv_argv(json_t *obj, const char *key, char ***out, char *err, size_t len)
{
	if (jsonv_strv(obj, key, JSONV_OPTIONAL, out, err, len) == -1 ||
	    (json_object_get(obj, key) != NULL && *out == NULL)) {
		snprintf(err, len, "\"%s\" must be a non-empty array of strings",
		    key);
		return (-1);
	}
	return (0);
}
