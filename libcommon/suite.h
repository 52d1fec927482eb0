/*
 * suite.h: a collected test suite, from a manifest or from --exec globs.
 * Loading is all-or-nothing: on any error the suite is left empty and err
 * holds "FILE:LINE: reason".
 */
#ifndef DAGZ_SUITE_H
#define DAGZ_SUITE_H

#include <stddef.h>

#include "testdef.h"

struct suite {
	char			*dir;		/* fixtures run here */
	struct test_def		*tests;
	size_t			 ntests;
	struct fixture_def	*fixtures;
	size_t			 nfixtures;
};

void	 suite_init(struct suite *);
void	 suite_clear(struct suite *);
int	 suite_load_manifest(struct suite *, const char *, char *, size_t);
int	 suite_load_exec(struct suite *, char *const *, char *, size_t);
struct test_def *suite_find(struct suite *, const char *);
struct fixture_def *suite_find_fixture(struct suite *, const char *);

#endif
