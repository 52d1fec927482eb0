/*
 * probe-json.c: JSON written by hand, without malloc or stdio, so that
 * records can be made in signal handlers and vfork children, and so that
 * the probe never links a JSON library that could clash with the
 * program's own. Strings are escaped as RFC 8259 requires; a path that
 * is not valid UTF-8 is written as hex under another key, so that no
 * byte of it is lost.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "probe.h"

/* Bytes a JSON string holds as they are. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

void
jb_init(struct jbuf *jb, char *p, size_t cap)
{
	jb->p = p;
	jb->len = 0;
	jb->cap = cap;
	jb->cut = 0;
}

static void
jb_raw(struct jbuf *jb, const char *s, size_t n)
{
	if (jb->cut || n > jb->cap - jb->len) {
		jb->cut = 1;
		return;
	}
	memcpy(jb->p + jb->len, s, n);
	jb->len += n;
}

void
jb_lit(struct jbuf *jb, const char *s)
{
	jb_raw(jb, s, strlen(s));
}

void
jb_int(struct jbuf *jb, long long v)
{
	char b[24];
	size_t i = sizeof b;
	unsigned long long u;

	u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	do {
		b[--i] = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	if (v < 0)
		b[--i] = '-';
	jb_raw(jb, b + i, sizeof b - i);
}

/* Unix time in seconds to the microsecond, as dagz's events give it. */
void
jb_time(struct jbuf *jb, const struct timespec *ts)
{
	char frac[7];
	long us;
	int i;

	jb_int(jb, ts->tv_sec);
	us = ts->tv_nsec / 1000;
	for (i = 5; i >= 0; i--) {
		frac[1 + i] = '0' + us % 10;
		us /= 10;
	}
	frac[0] = '.';
	jb_raw(jb, frac, sizeof frac);
}

void
jb_now(struct jbuf *jb)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	jb_time(jb, &ts);
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < len || s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	return (len);
}

/*
 * Writes s as a quoted JSON string. Invalid UTF-8 becomes U+FFFD when
 * replace is set; otherwise the buffer is left as it was and -1 returned.
 */
int
jb_str(struct jbuf *jb, const char *s, size_t n, int replace)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t start = jb->len, i = 0, k;
	char esc[6];

	jb_raw(jb, "\"", 1);
	while (i < n && !jb->cut) {
		/* Runs of plain ASCII in one copy. */
		for (k = i; k < n && plain[u[k]]; k++)
			;
		if (k > i) {
			jb_raw(jb, s + i, k - i);
			i = k;
			continue;
		}
		if (u[i] >= 0x80) {
			if ((k = utf8_len(u + i, n - i)) == 0) {
				if (!replace) {
					jb->len = start;
					return (-1);
				}
				jb_raw(jb, "\\ufffd", 6);
				i++;
			} else {
				jb_raw(jb, s + i, k);
				i += k;
			}
			continue;
		}
		switch (u[i]) {
		case '"':
			jb_raw(jb, "\\\"", 2);
			break;
		case '\\':
			jb_raw(jb, "\\\\", 2);
			break;
		case '\n':
			jb_raw(jb, "\\n", 2);
			break;
		case '\t':
			jb_raw(jb, "\\t", 2);
			break;
		default:
			if (u[i] < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[u[i] >> 4];
				esc[5] = hex[u[i] & 15];
				jb_raw(jb, esc, 6);
			} else
				jb_raw(jb, s + i, 1);
		}
		i++;
	}
	jb_raw(jb, "\"", 1);
	return (0);
}

void
jb_hex(struct jbuf *jb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char b[2];
	size_t i;

	jb_raw(jb, "\"", 1);
	for (i = 0; i < n; i++) {
		b[0] = hex[u[i] >> 4];
		b[1] = hex[u[i] & 15];
		jb_raw(jb, b, 2);
	}
	jb_raw(jb, "\"", 1);
}

#define HEAD(kind)	"{\"type\":\"" kind "\",\"path\":\""
const struct jb_head jb_heads[] = {
	[PROBE_READ] = { HEAD("read"), sizeof HEAD("read") - 1 },
	[PROBE_LIST] = { HEAD("list"), sizeof HEAD("list") - 1 },
	[PROBE_MISSING] = { HEAD("missing"), sizeof HEAD("missing") - 1 },
	[PROBE_WRITE] = { HEAD("write"), sizeof HEAD("write") - 1 },
	[PROBE_CREATE] = { HEAD("create"), sizeof HEAD("create") - 1 },
};

/*
 * {"type":"KIND","path":"REL","K":T} and a newline, into dst (cap bytes,
 * at least rl + 80), when REL needs no escaping; its length, or 0.
 */
size_t
jb_path_record(char *dst, size_t cap, enum probe_kind kind, const char *rel,
    size_t rl, char key, long long t)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones << 7;
	const unsigned char *u = (const unsigned char *)rel;
	size_t i;
	uint64_t w;

	if (rl + JB_HEAD_MAX + JB_TAIL_MAX > cap)
		return (0);
	/* Eight bytes at a time: none under 0x20 or over 0x7f, '"' or '\\'. */
	for (i = 0; i + 8 <= rl; i += 8) {
		memcpy(&w, rel + i, 8);
		if (((w - ones * 0x20) | w | ((w ^ ones * '"') - ones) |
		    ((w ^ ones * '\\') - ones)) & high)
			break;
	}
	for (; i < rl; i++)
		if (!plain[u[i]])
			return (0);
	return (jb_path_plain(dst, kind, rel, rl, key, t));
}

/* "path":"..." or, for bytes that are not UTF-8, "path_hex":"...". */
void
jb_path(struct jbuf *jb, const char *path, size_t n)
{
	size_t start = jb->len;

	jb_lit(jb, "\"path\":");
	if (jb_str(jb, path, n, 0) == 0)
		return;
	jb->len = start;
	jb_lit(jb, "\"path_hex\":");
	jb_hex(jb, path, n);
}

/*
 * Writes argv as an array, stopping before the buffer would pass soft;
 * returns 1 if arguments were left out.
 */
int
jb_argv(struct jbuf *jb, char *const *argv, size_t soft)
{
	size_t i, mark;
	int cut = 0;

	if (jb->cut)
		return (1);
	jb_raw(jb, "[", 1);
	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		mark = jb->len;
		if (i > 0)
			jb_raw(jb, ",", 1);
		jb_str(jb, argv[i], strlen(argv[i]), 1);
		if (jb->cut || jb->len > soft) {
			jb->len = mark;
			jb->cut = 0;
			cut = 1;
			break;
		}
	}
	jb_raw(jb, "]", 1);
	return (cut);
}
