/*
 * collect.h: the adapters, as a table. Each adapter is one
 * collect-NAME.c: it turns its spec into test definitions (and, for a
 * manifest, fixtures) in a suite of its own, all or nothing, with err
 * saying "FILE:LINE: reason" or "reason" when it cannot. collect_all
 * runs each spec's adapter and merges their suites into one.
 */
#ifndef DAGZ_COLLECT_H
#define DAGZ_COLLECT_H

#include <stddef.h>

#include "adapter.h"
#include "suite.h"

typedef int collect_fn(const struct adapter_spec *, struct suite *, char *,
    size_t);

struct collector {
	const char	*name;
	collect_fn	*collect;
};

collect_fn	collect_manifest;
collect_fn	collect_exec;
collect_fn	collect_tap;
collect_fn	collect_bats;
collect_fn	collect_ctest;
collect_fn	collect_pytest;
collect_fn	collect_automake;

int	collect_all(const struct adapter_list *, struct suite *, char *,
	    size_t);

/*
 * For adapters that ask a tool for the tests: runs argv (argv[0] looked
 * up in PATH) in dir with stdin from /dev/null, and returns its exit
 * status (128 + the signal that killed it; 127 with the reason in its
 * stderr when it could not start; -1 when dagz could not run it, the
 * reason in *errout), its stdout in *out and its stderr in *errout
 * (both NUL-terminated, freed by the caller).
 */
int	collect_run(char *const *, const char *, char **, char **);
/* v as one word of POSIX shell, in single quotes where it needs them. */
char	*collect_sh_quote(const char *);

#endif
