/* projconf.c: placeholder until the libyaml reader lands. */
#include <string.h>

#include "projconf.h"

void
projconf_init(struct projconf *c)
{
	memset(c, 0, sizeof *c);
}

void
projconf_clear(struct projconf *c)
{
	projconf_init(c);
}

int
projconf_find(const char *dir, char *path, size_t len)
{
	(void)dir;
	(void)path;
	(void)len;
	return (0);
}

int
projconf_load(const char *path, struct projconf *c, char *err, size_t len)
{
	(void)path;
	(void)err;
	(void)len;
	projconf_init(c);
	return (0);
}
