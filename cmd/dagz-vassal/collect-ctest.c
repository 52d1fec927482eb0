/* collect-ctest.c: placeholder until the ctest adapter lands. */
#include <stdio.h>

#include "collect.h"

int
collect_ctest(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	(void)s;
	snprintf(err, len, "%s: the ctest adapter is not built yet", a->source);
	return (-1);
}
