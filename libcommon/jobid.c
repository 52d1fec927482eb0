/*
 * jobid.c: job UUIDs, span ids and short job IDs. A short ID names the
 * day and the job's rank in it, so it reads well today ("j3") and stays
 * unambiguous later ("j0517.3").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobid.h"

/* A random (version 4) UUID into buf, of JOBID_UUID_LEN bytes. */
void
jobid_uuid(char *buf)
{
	unsigned char b[16];

	arc4random_buf(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, JOBID_UUID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int
jobid_is_uuid(const char *s)
{
	int i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!isxdigit((unsigned char)s[i]))
			return (0);
	}
	return (s[36] == '\0');
}

/* A span id: 16 random hex digits, as OpenTelemetry's. */
void
jobid_span(char *buf)
{
	unsigned char b[8];
	int i;

	arc4random_buf(b, sizeof b);
	for (i = 0; i < 8; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
}

int
jobid_is_span(const char *s)
{
	int i;

	for (i = 0; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]))
			return (0);
	return (s[16] == '\0');
}

/* The local day of t as YYYYMMDD. */
int
jobid_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return ((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday);
}

/* Job seq of day, seen on day today: "j3" or "j0517.3". */
void
jobid_short(int day, int seq, int today, char *buf, size_t len)
{
	if (day == today)
		snprintf(buf, len, "j%d", seq);
	else
		snprintf(buf, len, "j%04d.%d", day % 10000, seq);
}

static int
jobid_number(const char **p, int digits, long *out)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (isdigit((unsigned char)*s) && n < 9) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || (digits > 0 && n != digits) || isdigit((unsigned char)*s))
		return (-1);
	*p = s;
	*out = v;
	return (0);
}

/*
 * Parses "jN" (*mmdd = 0: today) or "jMMDD.N". Returns -1 if s is not a
 * short ID.
 */
int
jobid_parse_short(const char *s, int *mmdd, int *seq)
{
	long a, b;

	if (*s++ != 'j')
		return (-1);
	if (jobid_number(&s, 0, &a) == -1)
		return (-1);
	if (*s == '\0') {
		if (a < 1 || a > 1000000000)
			return (-1);
		*mmdd = 0;
		*seq = a;
		return (0);
	}
	if (*s++ != '.' || jobid_number(&s, 0, &b) == -1 || *s != '\0')
		return (-1);
	if (a / 100 < 1 || a / 100 > 12 || a % 100 < 1 || a % 100 > 31 ||
	    b < 1 || b > 1000000000)
		return (-1);
	*mmdd = a;
	*seq = b;
	return (0);
}
