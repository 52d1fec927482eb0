/*
 * ignore.h: gitignore-style patterns for paths that are never a test's
 * dependencies. A pattern holding a slash (other than a trailing one) is
 * anchored to the root; one without matches any component of a path. A
 * trailing slash matches a directory and everything below it, and a
 * component "**" matches any number of directories.
 */
#ifndef DAGZ_IGNORE_H
#define DAGZ_IGNORE_H

/*
 * Tool caches that cannot change a test's outcome: the patterns used
 * when a project's config says nothing of ignore:. NULL-terminated.
 */
extern char *const ignore_defaults[];

/*
 * 1 if path (relative to the patterns' root; a directory's listing ends
 * in "/") matches one of the NULL-terminated patterns, else 0.
 */
int	ignore_match(char *const *, const char *);

/*
 * A pattern relative to the directory prefix (relative to the root, ""
 * for the root itself), as a pattern relative to the root. Allocated.
 */
char	*ignore_rebase(const char *, const char *);

#endif
