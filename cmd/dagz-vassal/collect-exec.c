/* collect-exec.c: --exec GLOB..., each executable file a test. */
#include "collect.h"

int
collect_exec(const struct adapter_spec *a, struct suite *s, char *err,
    size_t len)
{
	return (suite_load_exec(s, a->args, a->dir, err, len));
}
