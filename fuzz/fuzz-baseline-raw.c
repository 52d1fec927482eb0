/*
 * fuzz-baseline-raw.c: the decoder of a baseline's inner format on any
 * bytes, deflated first so that the fuzzer's changes reach it rather
 * than zlib's checks. A baseline is decoded, or refused with a reason;
 * one decoded encodes to bytes that decode again and encode the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "fuzz.h"
#include "zbuf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct baseline *b, *again;
	unsigned char *z, *z1, *z2;
	char err[512];
	size_t zlen, len1, len2;

	z = zbuf_deflate(data, size, &zlen);
	err[0] = '\0';
	b = baseline_decode(z, zlen, err, sizeof err);
	free(z);
	if (b == NULL) {
		fuzz_check_error(err, "");
		return (0);
	}
	z1 = baseline_encode(b, &len1);
	baseline_free(b);
	if ((again = baseline_decode(z1, len1, err, sizeof err)) == NULL)
		abort();
	z2 = baseline_encode(again, &len2);
	baseline_free(again);
	if (len1 != len2 || memcmp(z1, z2, len1) != 0)
		abort();
	free(z1);
	free(z2);
	return (0);
}
