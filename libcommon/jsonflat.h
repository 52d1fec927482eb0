/*
 * jsonflat.h: a quick reading of the commonest NDJSON line, a flat
 * object of plain strings, numbers, booleans and nulls, for programs
 * that read a line per test and would spend most of their time in a
 * general parser. It answers only when it is sure: any other line gets
 * -1, and the caller hands it to jansson, which reads everything and
 * says what is wrong with it.
 */
#ifndef DAGZ_JSONFLAT_H
#define DAGZ_JSONFLAT_H

#include <stddef.h>

enum jflat_type {
	JFLAT_STRING,
	JFLAT_NUMBER,
	JFLAT_TRUE,
	JFLAT_FALSE,
	JFLAT_NULL
};

/* Where a key and its value lie in the line: strings without quotes. */
struct jflat_field {
	char		*key;
	size_t		 klen;
	char		*val;
	size_t		 vlen;
	enum jflat_type	 type;
};

int	 jsonflat_parse(const char *, size_t, struct jflat_field *, size_t,
	    size_t *);
const struct jflat_field *jsonflat_get(const struct jflat_field *, size_t,
	    const char *);
const struct jflat_field *jsonflat_string(const struct jflat_field *,
	    size_t, const char *);
void	 jsonflat_end(struct jflat_field *, size_t);

#endif
