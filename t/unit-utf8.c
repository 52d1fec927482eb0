/*
 * unit-utf8.c: unit tests in TAP of utf8.c: which byte strings are
 * UTF-8, and that any bytes become a string jansson accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "utf8.h"

#include "unit.h"

#define valid(s, want) ok(utf8_valid(s, sizeof(s) - 1) == (want), \
	"utf8_valid %s", #s)

/* utf8_fix of the n bytes at s is want, and jansson takes it. */
static void
fix_is(const char *s, size_t n, const char *want, const char *name)
{
	char *got = utf8_fix(s, n);
	json_t *o = json_string(got);

	is_str(got, want, "utf8_fix %s", name);
	ok(o != NULL, "jansson accepts the mended %s", name);
	json_decref(o);
	free(got);
}

int
main(void)
{
	unsigned char all[256];
	char *s;
	int i;

	valid("", 1);
	valid("plain ascii", 1);
	valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 1);
	valid("\xff", 0);
	valid("\xc3", 0);			/* cut short */
	valid("\xc0\xaf", 0);			/* overlong '/' */
	valid("\xe0\x80\xaf", 0);		/* overlong, 3 bytes */
	valid("\xed\xa0\x80", 0);		/* a surrogate */
	valid("\xf4\x90\x80\x80", 0);		/* past U+10FFFF */
	valid("a\0b", 0);			/* NUL */

	fix_is("", 0, "", "empty");
	fix_is("job", 3, "job", "ascii");
	fix_is("caf\xc3\xa9", 5, "caf\xc3\xa9", "valid UTF-8");
	fix_is("\xff", 1, "\xef\xbf\xbd", "\\xff");
	fix_is("a\xc3", 2, "a\xef\xbf\xbd", "a cut sequence");
	fix_is("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", "an overlong form");
	fix_is("\xed\xa0\x80x", 4,
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx", "a surrogate");
	fix_is("a\0b", 3, "a\xef\xbf\xbd" "b", "a NUL");
	fix_is("\\\xe9", 2, "\\\xef\xbf\xbd", "a backslash and Latin-1");

	/* Every byte value: the result is always valid. */
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	s = utf8_fix((char *)all, sizeof all);
	ok(utf8_valid(s, strlen(s)), "every byte value mends to UTF-8");
	free(s);
	ok(utf8_fixs(NULL) == NULL, "utf8_fixs(NULL) is NULL");
	return (tap_done());
}
