/* fuzz-common.c: the scratch file and checks the fuzz targets share. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char	fuzz_path[64];
static int	fuzz_fd = -1;

static void
fuzz_cleanup(void)
{
	if (fuzz_fd != -1)
		unlink(fuzz_path);
}

const char *
fuzz_file(const uint8_t *data, size_t size)
{
	const char *tmp;
	ssize_t n;
	size_t off;

	if (fuzz_fd == -1) {
		if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0' ||
		    strlen(tmp) > sizeof fuzz_path - 16)
			tmp = "/tmp";
		snprintf(fuzz_path, sizeof fuzz_path, "%s/fuzz.XXXXXX", tmp);
		if ((fuzz_fd = mkstemp(fuzz_path)) == -1)
			err(1, "cannot create '%s'", fuzz_path);
		atexit(fuzz_cleanup);
	}
	if (ftruncate(fuzz_fd, 0) == -1)
		err(1, "cannot truncate '%s'", fuzz_path);
	for (off = 0; off < size; off += n)
		if ((n = pwrite(fuzz_fd, data + off, size - off, off)) <= 0)
			err(1, "cannot write '%s'", fuzz_path);
	return (fuzz_path);
}

void
fuzz_check_error(const char *msg, const char *prefix)
{
	if (*msg == '\0' || strchr(msg, '\n') != NULL ||
	    strncmp(msg, prefix, strlen(prefix)) != 0) {
		fprintf(stderr, "error message is not one line starting "
		    "with '%s': '%s'\n", prefix, msg);
		abort();
	}
}
