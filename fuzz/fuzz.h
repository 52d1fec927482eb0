/*
 * fuzz.h: what the libFuzzer targets share: the entry point each one
 * defines, and a scratch file for readers that take a path.
 */
#ifndef DAGZ_FUZZ_H
#define DAGZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Writes the input to this process's scratch file (made once, removed at
 * exit) and returns its path.
 */
const char	*fuzz_file(const uint8_t *, size_t);

/* Aborts, naming the target's promise, when an error message is not one
 * line that starts with prefix. */
void		 fuzz_check_error(const char *, const char *);

#endif
