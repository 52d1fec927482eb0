/* tap.h: a minimal TAP producer for the C unit tests. */
#ifndef DAGZ_TAP_H
#define DAGZ_TAP_H

#include <stdio.h>

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

#define tap_done() (printf("1..%d\n", tap_n), tap_failed != 0)

#endif
