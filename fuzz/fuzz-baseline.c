/*
 * fuzz-baseline.c: baseline_decode on any bytes: a baseline is decoded
 * and encodes again, or it is refused with a reason; never a crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "baseline.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct baseline *b;
	unsigned char *z;
	char err[512];
	size_t len;

	err[0] = '\0';
	if ((b = baseline_decode(data, size, err, sizeof err)) == NULL) {
		fuzz_check_error(err, "");
		return (0);
	}
	z = baseline_encode(b, &len);
	free(z);
	baseline_free(b);
	return (0);
}
