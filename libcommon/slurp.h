/*
 * slurp.h: whole files into memory. Every buffer returned is a new
 * NUL-terminated allocation the caller frees; the length excludes the NUL.
 */
#ifndef DAGZ_SLURP_H
#define DAGZ_SLURP_H

#include <stddef.h>

char	*slurp_fd(int, size_t, size_t *);
char	*slurp_file(const char *, size_t *);

#endif
