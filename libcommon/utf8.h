/* utf8.h: checking byte strings for UTF-8 and mending those that are not. */
#ifndef DAGZ_UTF8_H
#define DAGZ_UTF8_H

#include <stdarg.h>
#include <stddef.h>

size_t	 utf8_next(const char *, size_t);
int	 utf8_valid(const char *, size_t);
char	*utf8_fix(const char *, size_t);
char	*utf8_fixs(const char *);
char	*utf8_escapen(const char *, size_t, const char *);
char	*utf8_escape(const char *);
void	 utf8_vline(char *, size_t, const char *, const char *, va_list)
	    __attribute__((format(printf, 4, 0)));

#endif
