/*
 * jsonflat.c: see jsonflat.h. A string here holds printable ASCII only,
 * with no escape: anything else is left to jansson, so that this reader
 * never has to decide what a byte means. Reading changes nothing; a
 * caller that takes the line may then end its keys and strings in place,
 * over their closing quotes. As with jansson, the last of a repeated key
 * is the one found.
 */
#include <string.h>

#include "jsonflat.h"

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	return (p);
}

/* A string at p (its opening quote); the byte after it, or NULL. */
static const char *
scan_string(const char *p, const char *end, char **s, size_t *len)
{
	const char *q;

	for (q = ++p; q < end && *q != '"'; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e ||
		    *q == '\\')
			return (NULL);
	if (q == end)
		return (NULL);
	*s = (char *)p;
	*len = q - p;
	return (q + 1);
}

static int
is_digit(const char *p, const char *end)
{
	return (p < end && *p >= '0' && *p <= '9');
}

/* A number as RFC 8259 spells it; the byte after it, or NULL. */
static const char *
scan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (!is_digit(p, end))
		return (NULL);
	if (*p == '0')
		p++;
	else
		while (is_digit(p, end))
			p++;
	if (p < end && *p == '.') {
		if (!is_digit(++p, end))
			return (NULL);
		while (is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(p, end))
			return (NULL);
		while (is_digit(p, end))
			p++;
	}
	return (p);
}

static const char *
scan_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - p) < n || memcmp(p, w, n) != 0)
		return (NULL);
	return (p + n);
}

/*
 * Reads the object on line (len bytes) into at most max fields; 0 and
 * their number in *n, or -1 when the line is not such an object or has
 * more fields.
 */
int
jsonflat_parse(const char *line, size_t len, struct jflat_field *f,
    size_t max, size_t *n)
{
	const char *end = line + len, *p;
	size_t k = 0;

	p = skip_ws(line, end);
	if (p == end || *p++ != '{')
		return (-1);
	p = skip_ws(p, end);
	if (p < end && *p == '}')
		goto done;
	for (;;) {
		if (k == max || p == end || *p != '"' ||
		    (p = scan_string(p, end, &f[k].key, &f[k].klen)) == NULL)
			return (-1);
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return (-1);
		p = skip_ws(p, end);
		if (p == end)
			return (-1);
		f[k].val = (char *)p;
		switch (*p) {
		case '"':
			f[k].type = JFLAT_STRING;
			p = scan_string(p, end, &f[k].val, &f[k].vlen);
			break;
		case 't':
			f[k].type = JFLAT_TRUE;
			p = scan_word(p, end, "true");
			break;
		case 'f':
			f[k].type = JFLAT_FALSE;
			p = scan_word(p, end, "false");
			break;
		case 'n':
			f[k].type = JFLAT_NULL;
			p = scan_word(p, end, "null");
			break;
		default:
			f[k].type = JFLAT_NUMBER;
			p = scan_number(p, end);
			break;
		}
		if (p == NULL)
			return (-1);
		if (f[k].type != JFLAT_STRING)
			f[k].vlen = p - f[k].val;
		k++;
		p = skip_ws(p, end);
		if (p == end)
			return (-1);
		if (*p == '}')
			break;
		if (*p++ != ',')
			return (-1);
		p = skip_ws(p, end);
	}
done:
	p = skip_ws(p + 1, end);
	if (p != end)
		return (-1);
	*n = k;
	return (0);
}

/* The last field named key, or NULL. */
const struct jflat_field *
jsonflat_get(const struct jflat_field *f, size_t n, const char *key)
{
	size_t kl = strlen(key);

	while (n-- > 0)
		if (f[n].klen == kl && memcmp(f[n].key, key, kl) == 0)
			return (&f[n]);
	return (NULL);
}

/* The field of key if its value is a string, or NULL. */
const struct jflat_field *
jsonflat_string(const struct jflat_field *f, size_t n, const char *key)
{
	const struct jflat_field *v = jsonflat_get(f, n, key);

	return (v != NULL && v->type == JFLAT_STRING ? v : NULL);
}

/* Ends the keys and string values in place, over their closing quotes. */
void
jsonflat_end(struct jflat_field *f, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		f[k].key[f[k].klen] = '\0';
		if (f[k].type == JFLAT_STRING)
			f[k].val[f[k].vlen] = '\0';
	}
}
