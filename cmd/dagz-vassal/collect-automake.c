/* collect-automake.c: placeholder until the automake adapter lands. */
#include <stdio.h>

#include "collect.h"

int
collect_automake(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	(void)s;
	snprintf(err, len, "%s: the automake adapter is not built yet", a->source);
	return (-1);
}
