/*
 * fuzz-junit.c: the JUnit XML reader (junit.c) on any file a test may
 * write to $DAGZ_JUNIT: cases are read or the file is refused with one
 * line naming it.
 */
#include <stdint.h>

#include "cases.h"
#include "fuzz.h"
#include "junit.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct case_list l;
	char err[1024];
	const char *path;

	path = fuzz_file(data, size);
	cases_init(&l);
	if (junit_read(path, &l, err, sizeof err) == -1)
		fuzz_check_error(err, "'");
	cases_clear(&l);
	return (0);
}
