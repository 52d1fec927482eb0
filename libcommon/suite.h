/*
 * suite.h: a collected test suite, from a manifest or from --exec globs,
 * and what adapters share to find their files and programs. Loading is
 * all-or-nothing: on any error the suite is left empty and err holds
 * "FILE:LINE: reason".
 */
#ifndef DAGZ_SUITE_H
#define DAGZ_SUITE_H

#include <stddef.h>

#include "testdef.h"

/* The longest manifest line: a test's definition is sent in one message. */
#define SUITE_LINE_MAX	(1024 * 1024)

struct suite {
	char			*dir;		/* fixtures run here */
	struct test_def		*tests;
	size_t			 ntests;
	struct fixture_def	*fixtures;
	size_t			 nfixtures;
};

void	 suite_init(struct suite *);
void	 suite_clear(struct suite *);
/* path to read, the name to say in messages (NULL: path) */
int	 suite_load_manifest(struct suite *, const char *, const char *,
	    char *, size_t);
/* globs relative to dir (NULL: the current directory) */
int	 suite_load_exec(struct suite *, char *const *, const char *, char *,
	    size_t);
/*
 * The regular files globs match below dir, each once, in the order of
 * the globs and sorted within each: paths as matched (relative when the
 * glob is). A glob matching no file is "GLOB: no file matches".
 */
int	 suite_glob(char *const *, const char *, char ***, char *, size_t);
/*
 * A program as a command names it: with a slash, the file itself
 * (relative to dir), else the first executable of that name on PATH.
 * NULL when there is none.
 */
char	*suite_which(const char *, const char *);
/*
 * "PROG ARG..." split at blanks, PROG found as suite_which finds it
 * (absolute when it has a slash, as the test's cwd may differ); NULL
 * when it cannot be found.
 */
char	**suite_program(const char *, const char *);
/* Takes over the definition (the struct is copied, not its strings). */
void	 suite_add_test(struct suite *, struct test_def *);
void	 suite_add_fixture(struct suite *, struct fixture_def *);
/*
 * References between tests: needs and after name tests, fixtures are
 * defined, no cycle; "FILE:LINE: reason", lines[] gives each test's line
 * (NULL: none known, 0 is said).
 */
int	 suite_check(struct suite *, const char *, const int *, char *,
	    size_t);
struct test_def *suite_find(struct suite *, const char *);
struct fixture_def *suite_find_fixture(struct suite *, const char *);

#endif
