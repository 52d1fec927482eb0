/* unit.h: a minimal TAP producer for the C unit tests. */
#ifndef DAGZ_UNIT_H
#define DAGZ_UNIT_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* cond is evaluated once: it may have side effects. */
#define ok(cond, ...) do {						\
	int tap_pass_ = (cond) ? 1 : 0;					\
	tap_n++;							\
	if (!tap_pass_)							\
		tap_failed++;						\
	printf("%s %d - ", tap_pass_ ? "ok" : "not ok", tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!tap_pass_)							\
		printf("# failed at %s:%d: %s\n", __FILE__, __LINE__,	\
		    #cond);						\
} while (0)

static inline int
streq(const char *a, const char *b)
{
	return (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* ok() on two strings, showing both when they differ. */
#define is_str(got, want, ...) do {					\
	const char *is_g = (got), *is_w = (want);			\
	ok(streq(is_g, is_w), __VA_ARGS__);				\
	if (!streq(is_g, is_w))						\
		printf("#   got: %s\n#  want: %s\n",			\
		    is_g ? is_g : "(null)", is_w ? is_w : "(null)");	\
} while (0)

#define tap_done() (printf("1..%d\n", tap_n), tap_failed != 0)

#endif
