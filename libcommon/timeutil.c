/* timeutil.c: clocks, the HH:MM:SS.mmm prefix, and duration/size parsing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

double
time_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

double
time_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Formats seconds as HH:MM:SS.mmm, the prefix of every progress line. */
void
time_elapsed(double secs, char *buf, size_t len)
{
	long long ms;

	if (secs < 0)
		secs = 0;
	ms = llround(secs * 1000);
	snprintf(buf, len, "%02lld:%02lld:%02lld.%03lld", ms / 3600000,
	    ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

/* Parses "90", "1.5s", "10m", "2h", "250ms" into seconds (> 0). */
int
time_parse_duration(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v <= 0 || isspace(*s))
		return (-1);
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		;
	else if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60;
	else if (strcmp(end, "h") == 0)
		v *= 3600;
	else
		return (-1);
	*out = v;
	return (0);
}

/* Parses "1048576", "512K", "64M", "2G" (powers of 1024) into bytes (> 0). */
int
time_parse_size(const char *s, long long *out)
{
	char *end;
	double v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v <= 0 || isspace(*s))
		return (-1);
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1024.0;
		break;
	case 'M':
		mult = 1024.0 * 1024;
		break;
	case 'G':
		mult = 1024.0 * 1024 * 1024;
		break;
	default:
		return (-1);
	}
	if (*end != '\0' && end[1] != '\0' &&
	    !(toupper((unsigned char)end[1]) == 'B' && end[2] == '\0') &&
	    !(toupper((unsigned char)end[1]) == 'I' &&
	    toupper((unsigned char)end[2]) == 'B' && end[3] == '\0'))
		return (-1);
	v *= mult;
	if (v >= 9.2e18 || v < 1)
		return (-1);
	*out = (long long)v;
	return (0);
}
