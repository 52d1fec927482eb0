/* collect-bats.c: placeholder until the bats adapter lands. */
#include <stdio.h>

#include "collect.h"

int
collect_bats(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	(void)s;
	snprintf(err, len, "%s: the bats adapter is not built yet", a->source);
	return (-1);
}
