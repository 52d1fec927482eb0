/*
 * slurp.c: reading a file, a /proc entry or a pipe to its end, for the
 * readers of stat caches, traces, baselines and test lists.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "slurp.h"
#include "xmalloc.h"

/*
 * Reads fd to its end, with room for hint bytes at first (a file's size;
 * 0 when unknown). NULL, with errno set, if a read fails.
 */
char *
slurp_fd(int fd, size_t hint, size_t *len)
{
	char *buf;
	size_t n = 0, cap = hint > 0 ? hint + 1 : 4096;
	ssize_t k;
	int saved;

	buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		k = read(fd, buf + n, cap - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			saved = errno;
			free(buf);
			errno = saved;
			return (NULL);
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return (buf);
}

/* Reads the file at path; NULL, with errno set, if it cannot. */
char *
slurp_file(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	buf = slurp_fd(fd, fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ?
	    (size_t)sb.st_size : 0, len);
	saved = errno;
	close(fd);
	errno = saved;
	return (buf);
}
