/* status.h: the result statuses of DESIGN.md, spelled as users see them. */
#ifndef DAGZ_STATUS_H
#define DAGZ_STATUS_H

enum test_status {
	ST_OK,
	ST_OK_FLAKY,
	ST_FAILED,
	ST_TIMEOUT,
	ST_CRASHED,
	ST_SKIPPED,
	ST_DEP_FAILED,
	ST_DESELECTED,
	ST_REDUNDANT,
	ST_DAGZ_ERROR,
	ST_NOT_RUN,		/* last: baselines store the numbers */
	ST__COUNT
};

const char	*status_name(enum test_status);
int		 status_parse(const char *, enum test_status *);
int		 status_passed(enum test_status);
int		 status_failed(enum test_status);

#endif
