/*
 * zbuf.h: compressed and encoded buffers: zlib for logs kept in the
 * store, base64 to carry them in JSON, and the bounded read of a log that
 * keeps its head and tail. Every buffer returned is a new allocation the
 * caller frees.
 */
#ifndef DAGZ_ZBUF_H
#define DAGZ_ZBUF_H

#include <stddef.h>

/* What is kept of a log: its first and last ZBUF_LOG_CAP / 2 bytes. */
#define ZBUF_LOG_CAP	(256 * 1024)

unsigned char	*zbuf_deflate(const void *, size_t, size_t *);
unsigned char	*zbuf_inflate(const void *, size_t, size_t, size_t *);
char		*zbuf_b64_encode(const void *, size_t);
unsigned char	*zbuf_b64_decode(const char *, size_t *);
char		*zbuf_read_log(const char *, size_t, size_t *, long long *,
		    long long *);

#endif
