/* paths.h: where dagz's programs are, and making directories. */
#ifndef DAGZ_PATHS_H
#define DAGZ_PATHS_H

#include <sys/types.h>

char	*paths_program(const char *);
int	 paths_mkdirs(const char *, mode_t);

#endif
