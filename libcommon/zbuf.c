/*
 * zbuf.c: zlib and base64 helpers. A test's log can be of any size; what
 * the store keeps is capped, with the head (where set-up fails) and the
 * tail (where the test failed) both kept and a line saying how much of
 * the middle was cut.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "xmalloc.h"
#include "zbuf.h"

/*
 * Compresses len bytes; returns the zlib stream and its size in *out.
 * The deflate state (some 256 KiB) is made once and reset for each log:
 * a scheduler compresses one per test.
 */
unsigned char *
zbuf_deflate(const void *buf, size_t len, size_t *out)
{
	static z_stream zs;
	static int ready;
	unsigned char *z;
	size_t zlen;

	if (!ready) {
		if (deflateInit(&zs, 6) != Z_OK)
			return (NULL);
		ready = 1;
	} else if (deflateReset(&zs) != Z_OK)
		return (NULL);
	zlen = deflateBound(&zs, len);
	z = xmalloc(zlen);
	zs.next_in = (unsigned char *)buf;
	zs.avail_in = len;
	zs.next_out = z;
	zs.avail_out = zlen;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		free(z);
		return (NULL);
	}
	*out = zlen - zs.avail_out;
	return (z);
}

/*
 * Inflates a zlib stream whose original size is not trusted beyond max
 * bytes; returns a NUL-terminated buffer or NULL on a corrupt stream.
 */
unsigned char *
zbuf_inflate(const void *z, size_t zlen, size_t max, size_t *out)
{
	z_stream zs;
	unsigned char *buf;
	size_t cap = zlen * 4 + 64, n = 0;
	int rc;

	if (cap > max + 1)
		cap = max + 1;
	buf = xmalloc_huge(cap + 1);
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK) {
		free(buf);
		return (NULL);
	}
	zs.next_in = (unsigned char *)z;
	zs.avail_in = zlen;
	for (;;) {
		zs.next_out = buf + n;
		zs.avail_out = cap - n;
		rc = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
		if (rc == Z_STREAM_END)
			break;
		if ((rc != Z_OK && rc != Z_BUF_ERROR) || n > max ||
		    (rc == Z_BUF_ERROR && zs.avail_in == 0)) {
			inflateEnd(&zs);
			free(buf);
			return (NULL);
		}
		if (zs.avail_out == 0) {
			cap *= 2;
			buf = xreallocarray(buf, 1, cap + 1);
		}
	}
	inflateEnd(&zs);
	buf[n] = '\0';
	*out = n;
	return (buf);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
zbuf_b64_encode(const void *in, size_t len)
{
	const unsigned char *p = in;
	char *out, *o;
	size_t i;
	unsigned v;

	o = out = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (i < len) {
		v = p[i] << 16 | (i + 1 < len ? p[i + 1] << 8 : 0);
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

/* Returns NULL on anything that is not canonical base64. */
unsigned char *
zbuf_b64_decode(const char *in, size_t *outlen)
{
	unsigned char *out;
	const char *c;
	size_t len = strlen(in), i, n = 0;
	unsigned v = 0;
	int k, pad = 0;

	if (len % 4 != 0)
		return (NULL);
	out = xmalloc(len / 4 * 3 + 1);
	for (i = 0; i < len; i++) {
		if (in[i] == '=') {
			if (i < len - 2)
				goto bad;
			pad++;
			k = 0;
		} else if (pad > 0 || (c = strchr(b64, in[i])) == NULL ||
		    in[i] == '\0')
			goto bad;
		else
			k = c - b64;
		v = v << 6 | k;
		if (i % 4 == 3) {
			out[n++] = v >> 16;
			out[n++] = v >> 8 & 0xff;
			out[n++] = v & 0xff;
			v = 0;
		}
	}
	*outlen = n - pad;
	return (out);
bad:
	free(out);
	return (NULL);
}

static int
zbuf_pread(int fd, char *buf, size_t len, off_t off)
{
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		n = pread(fd, buf + done, len - done, off + done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += n;
	}
	return (0);
}

/*
 * Reads the log at path, keeping at most cap bytes: the whole file when
 * it fits, else its head and tail around a line saying what was cut.
 * Sets *len, *size (the file's size) and *cut (bytes left out). Returns
 * NULL if the file cannot be read.
 */
char *
zbuf_read_log(const char *path, size_t cap, size_t *len, long long *size,
    long long *cut)
{
	struct stat st;
	char *buf, note[128];
	size_t half, nlen;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (NULL);
	}
	*size = st.st_size;
	if ((size_t)st.st_size <= cap) {
		buf = xmalloc(st.st_size + 1);
		if (zbuf_pread(fd, buf, st.st_size, 0) == -1) {
			free(buf);
			close(fd);
			return (NULL);
		}
		buf[st.st_size] = '\0';
		*len = st.st_size;
		*cut = 0;
		close(fd);
		return (buf);
	}
	half = cap / 2;
	*cut = st.st_size - 2 * half;
	nlen = snprintf(note, sizeof note, "\n[dagz: %lld bytes cut from the "
	    "middle of this log of %lld bytes]\n", *cut, (long long)st.st_size);
	buf = xmalloc(2 * half + nlen + 1);
	if (zbuf_pread(fd, buf, half, 0) == -1 ||
	    zbuf_pread(fd, buf + half + nlen, half, st.st_size - half) == -1) {
		free(buf);
		close(fd);
		return (NULL);
	}
	memcpy(buf + half, note, nlen);
	*len = 2 * half + nlen;
	buf[*len] = '\0';
	close(fd);
	return (buf);
}
