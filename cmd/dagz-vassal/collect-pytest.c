/* collect-pytest.c: placeholder until the pytest adapter lands. */
#include <stdio.h>

#include "collect.h"

int
collect_pytest(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	(void)s;
	snprintf(err, len, "%s: the pytest adapter is not built yet", a->source);
	return (-1);
}
