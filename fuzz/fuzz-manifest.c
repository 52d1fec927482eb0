/*
 * fuzz-manifest.c: the manifest reader (suite.c and testdef.c) on any
 * bytes: it loads the suite or refuses it with one line that names the
 * file, and never crashes.
 */
#include <stdint.h>

#include "fuzz.h"
#include "suite.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suite s;
	char err[1024];
	const char *path;

	path = fuzz_file(data, size);
	suite_init(&s);
	if (suite_load_manifest(&s, path, "suite.ndjson", err,
	    sizeof err) == -1)
		fuzz_check_error(err, "suite.ndjson");
	suite_clear(&s);
	return (0);
}
