/* timeutil.h: clocks and the elapsed-time prefix of console lines. */
#ifndef DAGZ_TIMEUTIL_H
#define DAGZ_TIMEUTIL_H

#include <stddef.h>

#define TIME_ELAPSED_LEN	32

double	time_mono(void);
double	time_unix(void);
void	time_elapsed(double, char *, size_t);
int	time_parse_duration(const char *, double *);
int	time_parse_size(const char *, long long *);

#endif
