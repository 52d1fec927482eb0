/*
 * projconf.h: a project's .dagz/config.yaml, read with libyaml. Zero
 * configuration works: no file is no error, and an empty file is an
 * empty config. A file that is there but malformed or unreadable is
 * "FILE:LINE: reason" (or "FILE: reason" when it cannot be read at all)
 * and nothing is used.
 *
 *	project: git@example.org:group/repo.git	# the project's name
 *	adapters:			# what dagz run collects, with no flags
 *	  - ctest: build
 *	  - pytest: [-x, tests]		# arguments added to pytest's
 *	    python: /usr/bin/python3
 *	  - tap: ['t/t*.sh']
 *	    cwd: t			# tap: run scripts here
 *	    exec: perl			# tap: interpreter; bats: bats itself
 *	  - pytest			# an adapter with no argument
 *	global:				# a change to one selects every test
 *	  - CMakeLists.txt
 *	ignore:				# never dependencies (gitignore-style)
 *	  - .pytest_cache/
 *	  - logs/
 *	python: /usr/bin/python3	# the interpreter for pytest
 *	worker_env:			# each worker's, as --worker-env
 *	  - DATABASE_URL=postgresql:///app{suffix}
 *	new_tests_repeat: 5		# as --new-tests-repeat, 1 to 100
 *	auto_quarantine: 3		# as --auto-quarantine 3
 *	main_branch: trunk		# default: the remote's HEAD, or main
 *	worker_mem_budget: 512M		# as --worker-mem-budget
 *	coverage: python		# code elements per case (pytest)
 *
 * An item of adapters: names exactly one adapter (adapter_names[]), with
 * a string, a list of strings or nothing; cwd: is for tap, exec: for tap
 * and bats, python: for pytest. Flow style is as good as block style;
 * anchors and aliases work as YAML says.
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
	char		       **ignores;	/* patterns, relative to root */
	int			 ignore_given;	/* else ignore_defaults apply */
	char			*python;	/* or NULL */
	char			*project;	/* or NULL */
	char		       **worker_env;	/* NAME=TEMPLATE */
	int			 new_tests_repeat; /* 0: not given */
	int			 auto_quarantine; /* 0: not given */
	char			*main_branch;	/* or NULL */
	long long		 worker_mem_budget; /* bytes; 0: none */
	char			*coverage;	/* "python", or NULL */
};

/* What auto_quarantine: (and --auto-quarantine) may be. */
#define PROJCONF_AUTO_QUARANTINE_MIN	1
#define PROJCONF_AUTO_QUARANTINE_MAX	20

void	 projconf_init(struct projconf *);
void	 projconf_clear(struct projconf *);
/*
 * Finds ROOT/.dagz/config.yaml from dir upwards, stopping at the top of
 * a git work tree (a directory holding .git) or at /: 1 found (path
 * filled in), 0 none.
 */
int	 projconf_find(const char *, char *, size_t);
/* The ignore: patterns in force: the config's, or ignore_defaults. */
char *const *projconf_ignores(const struct projconf *);
/* 0, or -1 with err "PATH:LINE: reason"; the config is then empty. */
int	 projconf_load(const char *, struct projconf *, char *, size_t);

#endif
