/*
 * adapter.h: how a suite is to be collected, as the user said it (flags
 * of dagz run, or the adapters: list of .dagz/config.yaml). The
 * scheduler builds the list; each vassal collects with it. Each kind is
 * one collect-NAME.c of dagz-vassal behind its table of adapters.
 */
#ifndef DAGZ_ADAPTER_H
#define DAGZ_ADAPTER_H

#include <jansson.h>
#include <stddef.h>

struct adapter_spec {
	char	 *name;		/* "manifest", "exec", "tap", "bats",
				   "ctest", "pytest", "automake" */
	char	**args;		/* globs, paths, a file or a build dir;
				   pytest: arguments added to pytest's */
	char	 *dir;		/* absolute: what relative args are
				   relative to */
	char	 *cwd;		/* tap: run every script here; or NULL */
	char	 *exec;		/* tap: interpreter; bats: the bats
				   program; or NULL */
	char	 *python;	/* pytest: the interpreter; or NULL */
	char	 *coverage;	/* pytest: "python" records code elements
				   per case and can run a subset; or NULL */
	char	 *source;	/* where it was said, for messages:
				   "--tap", ".dagz/config.yaml:7" */
};

struct adapter_list {
	struct adapter_spec	*v;
	size_t			 n;
};

/* The names of the adapters, NULL-terminated, for messages and checks. */
extern const char *const adapter_names[];
int	 adapter_known(const char *);

void	 adapter_spec_init(struct adapter_spec *);
void	 adapter_spec_clear(struct adapter_spec *);
void	 adapter_list_init(struct adapter_list *);
void	 adapter_list_clear(struct adapter_list *);
/* Appends an empty spec named name, with dir and source copied. */
struct adapter_spec *adapter_list_add(struct adapter_list *, const char *,
	    const char *, const char *);

/* A JSON array of objects, one a spec: a new reference. */
json_t	*adapter_list_encode(const struct adapter_list *);
int	 adapter_list_decode(json_t *, struct adapter_list *, char *,
	    size_t);

#endif
