/*
 * junit.h: JUnit XML, read with expat (the cases a test writes to
 * $DAGZ_JUNIT) and written (dagz run --junit and zb junit share the one
 * writer).
 */
#ifndef DAGZ_JUNIT_H
#define DAGZ_JUNIT_H

#include <stddef.h>
#include <stdio.h>

#include "cases.h"

/* A larger file is refused rather than read. */
#define JUNIT_FILE_MAX	(64 * 1024 * 1024)

/*
 * Appends the testcases of the file at path to l, wherever they sit
 * under a root <testsuites> or <testsuite>. A case is named
 * "classname.name" when its classname is set, else name; <failure> and
 * <error> make it FAILED (the reason is the message, "error: " before
 * an error's), <skipped> SKIPPED, and pytest's <skipped
 * type="pytest.xfail"> TODO. Its output is the text of the failure or
 * error, then <system-out>, then <system-err>, cut as cases_add cuts.
 * A file that cannot be read, is larger than JUNIT_FILE_MAX, is not
 * well-formed, or whose root is not a testsuite(s) sets l->error and
 * returns -1 with the same text in err ("'PATH': line 3: not
 * well-formed (invalid token)"); the cases before the fault are kept.
 * A missing file is such an error too: callers that allow one look
 * first.
 */
int	junit_read(const char *, struct case_list *, char *, size_t);

/*
 * The writer: elements are opened and closed in document order, each
 * call writing at once, so memory stays flat whatever the size of the
 * report. Text and attributes go through junit_escape.
 */
struct junit_writer;

/* The attributes of a <testsuites> or <testsuite>. */
struct junit_suite {
	const char	*name;		/* or NULL: no attribute */
	size_t		 tests;
	size_t		 failures;
	size_t		 errors;
	size_t		 skipped;
	double		 time;		/* seconds; < 0: no attribute */
	const char	*timestamp;	/* ISO 8601, or NULL */
};

/* What a testcase holds besides passing: the child element written. */
enum junit_outcome {
	JUNIT_FAILURE,		/* <failure>: it failed */
	JUNIT_ERROR,		/* <error>: it could not run */
	JUNIT_SKIPPED,		/* <skipped> */
	JUNIT_FLAKY_FAILURE,	/* <flakyFailure>: failed, then passed */
	JUNIT_RERUN_FAILURE	/* <rerunFailure>: failed again on a retry */
};

/* Writes the XML declaration; the FILE stays the caller's to close. */
struct junit_writer *junit_writer_open(FILE *);
/* Closes what is still open; -1 when a write to the FILE failed. */
int	 junit_writer_close(struct junit_writer *);

void	 junit_suites_begin(struct junit_writer *, const struct junit_suite *);
void	 junit_suites_end(struct junit_writer *);
void	 junit_suite_begin(struct junit_writer *, const struct junit_suite *);
void	 junit_suite_end(struct junit_writer *);
/*
 * A <property> of the suite or testcase just begun; the <properties>
 * around consecutive ones is opened and closed by the writer.
 */
void	 junit_property(struct junit_writer *, const char *, const char *);
/* name, classname (or NULL), time in seconds (< 0: no attribute). */
void	 junit_case_begin(struct junit_writer *, const char *, const char *,
	    double);
void	 junit_case_end(struct junit_writer *);
/*
 * A child of the testcase: type and message are attributes (NULL: none),
 * text its content (NULL or empty: an empty element).
 */
void	 junit_outcome(struct junit_writer *, enum junit_outcome,
	    const char *, const char *, const char *);
/* <system-out> (err 0) or <system-err> (err 1); nothing when empty. */
void	 junit_output(struct junit_writer *, int, const char *);

/*
 * Writes s for XML: markup escaped; in an attribute (attr 1) also tab,
 * newline and carriage return as character references, so parsers keep
 * them; control characters XML 1.0 forbids and bytes that are not UTF-8
 * become U+FFFD.
 */
void	 junit_escape(FILE *, const char *, int);

#endif
