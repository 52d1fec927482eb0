/*
 * fuzz-config.c: the .dagz/config.yaml reader (projconf.c) on any bytes:
 * it reads the config or refuses it with one line naming the file.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "projconf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct projconf c;
	char err[1024];
	const char *path;

	path = fuzz_file(data, size);
	projconf_init(&c);
	if (projconf_load(path, &c, err, sizeof err) == -1)
		fuzz_check_error(err, path);
	(void)projconf_ignores(&c);
	projconf_clear(&c);
	return (0);
}
