/*
 * fuzz-tap.c: the TAP reader (tap.c) on any output a test may print, fed
 * in two pieces split where the first byte says, as a pipe delivers it.
 */
#include <jansson.h>
#include <stdint.h>

#include "cases.h"
#include "fuzz.h"
#include "tap.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct case_list l;
	struct tap *t;
	size_t cut;

	if (size == 0)
		return (0);
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;
	cases_init(&l);
	t = tap_new();
	tap_feed(t, (const char *)data, cut);
	tap_feed(t, (const char *)data + cut, size - cut);
	tap_finish(t, &l);
	tap_free(t);
	json_decref(cases_encode(&l));
	cases_clear(&l);
	return (0);
}
