/* collect-tap.c: placeholder until the tap adapter lands. */
#include <stdio.h>

#include "collect.h"

int
collect_tap(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	(void)s;
	snprintf(err, len, "%s: the tap adapter is not built yet", a->source);
	return (-1);
}
