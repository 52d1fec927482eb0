/*
 * testdef.h: what a test is, as a manifest line declares it and as the
 * vassal hands it to a worker. The JSON form is the manifest's line form.
 */
#ifndef DAGZ_TESTDEF_H
#define DAGZ_TESTDEF_H

#include <jansson.h>
#include <regex.h>
#include <stddef.h>

#define TESTDEF_ID_MAX	1024
/* The longest "timeout" or "estimate": about 31 years. */
#define TESTDEF_SECONDS_MAX	1e9
/* How pass_regex and fail_regex compile: extended, ^ and $ at lines. */
#define TESTDEF_REGEX_FLAGS	(REG_EXTENDED | REG_NEWLINE | REG_NOSUB)

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
	/* How the result is read, beyond the exit status. */
	char	 *format;	/* "tap": stdout is TAP; NULL: none */
	char	**after;	/* run after these end, whatever came of them */
	int	  will_fail;	/* a non-zero exit passes, zero fails */
	int	  skip_code;	/* this exit is SKIPPED too; -1: none */
	char	 *skip_reason;	/* said of skip_code, or NULL */
	char	**pass_regex;	/* output must match one to pass */
	char	**fail_regex;	/* output matching one fails */
	int	  transient_code; /* this exit while transient_file exists is
				   a transient error; -1: none */
	char	 *transient_file;
	char	 *source;	/* what collected it: "--tap", "ctest", ... */
	/*
	 * "python": the test records the code elements each case ran in
	 * $DAGZ_CASE_ELEMENTS; NULL: none.
	 */
	char	 *coverage;
	/*
	 * The test's command runs only the cases $DAGZ_CASES lists (their
	 * names as the test reports them, one a line) when the worker gives
	 * it: pytest node ids (coverage: python), bats --filter.
	 */
	int	  subset;
};

/*
 * --worker-init and --worker-cleanup: a fixture of this name that the
 * vassal gives every test it collected, set up on each worker before its
 * first test and torn down after its last.
 */
#define TESTDEF_WORKER_FIXTURE	"worker-init"

struct fixture_def {
	char	 *name;
	char	**setup_argv;	/* setup as argv, or */
	char	 *setup_sh;	/* as shell text; both NULL: none */
	char	**teardown_argv;
	char	 *teardown_sh;
};

void	 testdef_init(struct test_def *);
/*
 * Whether a string may be a test id: 1 to TESTDEF_ID_MAX bytes of UTF-8
 * without control characters (ids are keys, file names and lines on a
 * console); -1 with the reason in err if not.
 */
int	 testdef_check_id(const char *, char *, size_t);
void	 testdef_clear(struct test_def *);
int	 testdef_from_json(json_t *, struct test_def *, char *, size_t);
json_t	*testdef_to_json(const struct test_def *);
int	 testdef_has_tag(const struct test_def *, const char *);

void	 fixturedef_clear(struct fixture_def *);
int	 fixturedef_from_json(json_t *, struct fixture_def *, char *, size_t);
json_t	*fixturedef_to_json(const struct fixture_def *);

#endif
