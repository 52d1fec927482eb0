/*
 * projconf.h: a project's .dagz/config.yaml, read with libyaml. Zero
 * configuration works: no file is no error. A file that is there but
 * malformed or unreadable is "FILE:LINE: reason" and nothing is used.
 *
 *	adapters:			# what dagz run collects, with no flags
 *	  - ctest: build
 *	  - pytest: [-x, tests]		# arguments added to pytest's
 *	    python: /usr/bin/python3
 *	  - tap: ['t/t*.sh']
 *	    cwd: t			# tap: run scripts here
 *	    exec: perl			# tap: interpreter; bats: bats itself
 *	global:				# a change to one selects every test
 *	  - CMakeLists.txt
 *	python: /usr/bin/python3	# the interpreter for pytest
 */
#ifndef DAGZ_PROJCONF_H
#define DAGZ_PROJCONF_H

#include <stddef.h>

#include "adapter.h"

struct projconf {
	char			*path;		/* the file read */
	char			*root;		/* the directory holding .dagz/ */
	struct adapter_list	 adapters;	/* dir is root; source is
						   "PATH:LINE" */
	char		       **globals;	/* patterns, relative to root */
	char			*python;	/* or NULL */
};

void	 projconf_init(struct projconf *);
void	 projconf_clear(struct projconf *);
/*
 * Finds ROOT/.dagz/config.yaml from dir upwards, stopping at the top of
 * a git work tree (a directory holding .git) or at /: 1 found (path
 * filled in), 0 none.
 */
int	 projconf_find(const char *, char *, size_t);
/* 0, or -1 with err "PATH:LINE: reason"; the config is then empty. */
int	 projconf_load(const char *, struct projconf *, char *, size_t);

#endif
