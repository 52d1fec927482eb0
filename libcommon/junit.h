/*
 * junit.h: JUnit XML, read with expat (the cases a test writes to
 * $DAGZ_JUNIT) and written (dagz run --junit and zb junit share the one
 * writer).
 */
#ifndef DAGZ_JUNIT_H
#define DAGZ_JUNIT_H

#include <stddef.h>

#include "cases.h"

/*
 * Appends the testcases of the file at path to l. A file that cannot be
 * read or is not well-formed JUnit XML sets l->error and returns -1 with
 * the reason in err.
 */
int	junit_read(const char *, struct case_list *, char *, size_t);

#endif
