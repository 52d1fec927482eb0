/*
 * testdef.h: what a test is, as a manifest line declares it and as the
 * vassal hands it to a worker. The JSON form is the manifest's line form.
 */
#ifndef DAGZ_TESTDEF_H
#define DAGZ_TESTDEF_H

#include <jansson.h>
#include <stddef.h>

#define TESTDEF_ID_MAX	1024

struct test_def {
	char	 *id;
	char	**argv;		/* "cmd": run directly; NULL when sh */
	char	 *sh;		/* "sh": run with /bin/sh -c; NULL when cmd */
	char	 *cwd;		/* absolute once loaded; NULL: inherit */
	char	**env;		/* NAME=VALUE added to the test's environment */
	double	  timeout;	/* seconds; 0: the job's default */
	double	  estimate;	/* seconds; -1: unknown */
	char	**needs;
	char	**fixtures;
	char	**tags;
};

struct fixture_def {
	char	 *name;
	char	**setup_argv;	/* setup as argv, or */
	char	 *setup_sh;	/* as shell text; both NULL: none */
	char	**teardown_argv;
	char	 *teardown_sh;
};

void	 testdef_init(struct test_def *);
void	 testdef_clear(struct test_def *);
int	 testdef_from_json(json_t *, struct test_def *, char *, size_t);
json_t	*testdef_to_json(const struct test_def *);
int	 testdef_has_tag(const struct test_def *, const char *);

void	 fixturedef_clear(struct fixture_def *);
int	 fixturedef_from_json(json_t *, struct fixture_def *, char *, size_t);
json_t	*fixturedef_to_json(const struct fixture_def *);

#endif
