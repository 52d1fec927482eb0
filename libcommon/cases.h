/*
 * cases.h: the cases a test reports (TAP on its stdout, or JUnit XML it
 * writes to $DAGZ_JUNIT), as the worker reads them and as they travel
 * in a result. The test stays the unit of scheduling and retry; its
 * cases name what failed inside it.
 */
#ifndef DAGZ_CASES_H
#define DAGZ_CASES_H

#include <jansson.h>
#include <stddef.h>

#include "status.h"

/* What became of one case. TODO cases never make the test fail. */
enum case_status {
	CASE_OK,
	CASE_FAILED,
	CASE_SKIPPED,
	CASE_TODO,	/* "not ok # TODO": an expected failure */
	CASE_TODO_OK,	/* "ok # TODO": passes, though marked to do */
	CASE_DESELECTED, /* not run: a subset of the test's cases ran */
	CASE__COUNT
};

/* At most this many bytes of a case's output travel with it. */
#define CASES_OUTPUT_MAX	(8 * 1024)
/* At most this many bytes of all cases' output in one result. */
#define CASES_TOTAL_OUTPUT_MAX	(1024 * 1024)

struct test_case {
	char			*name;		/* never NULL; any bytes */
	enum case_status	 status;
	double			 duration;	/* seconds; -1: unknown */
	char			*reason;	/* skip/todo reason, failure
						   message; or NULL */
	char			*output;	/* diagnostics, system-out/err,
						   at most CASES_OUTPUT_MAX */
};

/*
 * The cases of one attempt and what the report as a whole said: error
 * is set when the report itself is bad (a plan the cases disagree with,
 * "Bail out!", unreadable XML), which fails the test; skip_all is the
 * reason of "1..0 # SKIP why", which makes the test SKIPPED.
 */
struct case_list {
	struct test_case	*v;
	size_t			 n;
	size_t			 output_bytes;	/* sum, for the budget */
	char			*error;		/* or NULL */
	char			*skip_all;	/* or NULL */
	int			 present;	/* a report was read at all */
};

const char	*case_status_name(enum case_status);
int		 case_status_parse(const char *, enum case_status *);

void	 cases_init(struct case_list *);
void	 cases_clear(struct case_list *);
/* Appends a case; name, reason and output are copied (output cut). */
struct test_case *cases_add(struct case_list *, const char *,
	    enum case_status, double, const char *, const char *);
void	 cases_set_error(struct case_list *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
size_t	 cases_count(const struct case_list *, enum case_status);
/* Moves every case of src to the end of dst; src is left empty. */
void	 cases_move(struct case_list *, struct case_list *);

/*
 * "N of M cases failed: a, b" into buf (names escaped, the list cut to
 * fit); empty when no case failed.
 */
void	 cases_failed_summary(const struct case_list *, char *, size_t);
/* Escapes a case name for one line of text: controls as \n, \t, \xNN. */
void	 cases_escape(const char *, char *, size_t);

/*
 * The status of a test that reported cases, from st, what its exit
 * alone made of it; *reason (allocated, or NULL) is replaced when the
 * cases say more than the exit.
 */
enum test_status cases_verdict(const struct case_list *, enum test_status,
	    char **);

/* {"cases": [...], "error": ..., "skip_all": ...}: a new reference. */
json_t	*cases_encode(const struct case_list *);
int	 cases_decode(json_t *, struct case_list *, char *, size_t);

/* The JUnit name of a pytest node id: FILE less .py, / and :: as dots. */
char	*cases_nodeid_name(const char *);

/*
 * The cases a language hook wrote as they ran, len bytes of text
 * (NULL: none), for a run that left no report of its own (it was killed
 * before its end): {"case": NODEID, "started": true} as one starts,
 * {"case": NODEID, "outcome": "passed" | "failed" | "skipped",
 * "duration": SECONDS} as it ends; other lines are not read. Each case
 * that ended joins l with its outcome, and the one that started and
 * did not end FAILED, with why. Returns that one's name (to free), or
 * NULL if every case that started ended.
 */
char	*cases_read_progress(const char *, size_t, struct case_list *,
	    const char *);

#endif
