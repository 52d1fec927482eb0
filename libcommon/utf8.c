/*
 * utf8.c: UTF-8 as JSON wants it. Text from a peer, a URL or the store
 * may hold any bytes; jansson refuses a string that is not UTF-8, and a
 * refused string must never cost a reply. utf8_fix turns any bytes into
 * valid UTF-8, each bad byte becoming U+FFFD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xmalloc.h"

#define UTF8_REPLACEMENT	"\xef\xbf\xbd"

/*
 * The length of the well-formed sequence at s (of n bytes), or 0: no
 * overlong forms, no surrogates, nothing past U+10FFFF, no NUL.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t need, i;
	unsigned int cp;

	if (s[0] == 0)
		return (0);
	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (n < need)
		return (0);
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (need);
}

/* The length of the valid sequence at s (n bytes long), or 0. */
size_t
utf8_next(const char *s, size_t n)
{
	return (n == 0 ? 0 : utf8_seq((const unsigned char *)s, n));
}

/* Whether the len bytes at s are UTF-8 without NUL. */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0)
			return (0);
		i += k;
	}
	return (1);
}

/*
 * The len bytes at s as a NUL-terminated UTF-8 string (a new
 * allocation): each byte that starts no valid sequence, and each NUL,
 * becomes U+FFFD.
 */
char *
utf8_fix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out;
	size_t i = 0, n = 0, k;

	if (len > (((size_t)-1) - 1) / 3)
		abort();
	out = xmalloc(len * 3 + 1);
	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			memcpy(out + n, UTF8_REPLACEMENT, 3);
			n += 3;
			i++;
			continue;
		}
		memcpy(out + n, s + i, k);
		n += k;
		i += k;
	}
	out[n] = '\0';
	return (out);
}

/*
 * The len bytes at s to show on one line (a new allocation): control
 * characters as \n, \r, \t or \xHH, bytes that are not UTF-8 and C1
 * controls as \xHH, the rest as it is; the control characters of keep
 * stay as they are (text for a terminal keeps "\t\n").
 */
char *
utf8_escapen(const char *s, size_t len, const char *keep)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char *out, *q;
	size_t n;

	out = q = xmalloc(len * 4 + 1);
	while (p < end) {
		if (*p != '\0' && strchr(keep, *p) != NULL)
			*q++ = *p++;
		else if (*p == '\n' || *p == '\r' || *p == '\t') {
			*q++ = '\\';
			*q++ = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			p++;
		} else if (*p < 0x20 || *p == 0x7f ||
		    (n = utf8_seq(p, end - p)) == 0 ||
		    (p[0] == 0xc2 && p[1] < 0xa0)) {
			/* C1 controls (U+0080 to U+009F) are escaped too. */
			snprintf(q, 5, "\\x%02x", *p++);
			q += 4;
		} else {
			memcpy(q, p, n);
			q += n;
			p += n;
		}
	}
	*q = '\0';
	return (out);
}

/* utf8_escapen of a NUL-terminated string, keeping nothing. */
char *
utf8_escape(const char *s)
{
	return (utf8_escapen(s, strlen(s), ""));
}

/*
 * "PREFIX: REASON" into buf (len bytes), REASON formatted from fmt and
 * escaped to one line: a value quoted in a message may hold a newline.
 */
void
utf8_vline(char *buf, size_t len, const char *prefix, const char *fmt,
    va_list ap)
{
	char reason[1024], *shown;

	vsnprintf(reason, sizeof reason, fmt, ap);
	shown = utf8_escape(reason);
	snprintf(buf, len, "%s: %s", prefix, shown);
	free(shown);
}

/* utf8_fix of a NUL-terminated string; NULL stays NULL. */
char *
utf8_fixs(const char *s)
{
	if (s == NULL)
		return (NULL);
	return (utf8_fix(s, strlen(s)));
}
