/*
 * jobid.h: the names of jobs and spans. A job has a UUID and a short ID
 * that people type: "j10" is today's 10th job, "j1201.1" the first job of
 * 1 December. A day is a number YYYYMMDD in local time.
 */
#ifndef DAGZ_JOBID_H
#define DAGZ_JOBID_H

#include <stddef.h>
#include <time.h>

#define JOBID_UUID_LEN	37	/* 36 characters and the NUL */
#define JOBID_SHORT_LEN	32
#define JOBID_SPAN_LEN	17	/* 16 hex digits and the NUL */

void	jobid_uuid(char *);
int	jobid_is_uuid(const char *);
void	jobid_span(char *);
int	jobid_is_span(const char *);
int	jobid_day(time_t);
void	jobid_short(int, int, int, char *, size_t);
int	jobid_parse_short(const char *, int *, int *);

#endif
