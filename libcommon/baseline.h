/*
 * baseline.h: what a job learned about its tests, for the next job to
 * select from: per test its definition fingerprint, the files it read
 * (its dependencies), the paths it looked up and did not find, its
 * duration and status; per file its content fingerprint. Paths are
 * relative to the project root and held once, in a table that tests
 * refer to by index. A directory whose listing was read is a path ending
 * in "/", fingerprinted by its sorted entry names.
 *
 * Where a language hook ran (coverage.py), a test also has cases: per
 * case its name (pytest's node id), its status as last run and the code
 * elements it executed, "FILE#QUALNAME" (a function or method, or
 * "FILE#<module>", a file's top-level code), each fingerprinted by its
 * own text; and the elements run at import, before any case (the null
 * case), which belong to every case. The files a hook covered are judged
 * by their elements, not their bytes: a change to one selects only the
 * cases that executed a changed element of it, or any element of a file
 * whose top-level code changed. Elements are held once, in a table like
 * the paths', each with its file's path index and its fingerprint. A
 * test also knows every element of its files that hold cases, run or
 * not (its known elements): a change to one no case ran selects
 * nothing, while an element the table lacks is new code (a new test
 * function) and selects the whole test.
 *
 * Encoded baselines are zlib streams of a compact binary form: paths
 * front-coded, index lists sorted and delta-coded as varints, and a
 * test's dependencies that equal the previous test's stored as a mark.
 * Format 2 ("DAGZBL2") adds the element table after the paths (names
 * sorted and front-coded, each with its path number and fingerprint) and
 * to a test, after a flag, its covered paths, its null case's elements
 * and its cases sorted by name, front-coded, each with its status and
 * its elements delta-coded, or a mark when they are the previous case's.
 * A format 1 baseline still decodes: its tests have no cases, and are
 * selected by their files as before. After the tests may come sections,
 * each a tag: 1, the known elements, a count of tests, then per test its
 * number in the sorted order (delta-coded) and its elements. A reader
 * stops at a tag it does not know, and a format 2 reader that knows
 * none never reads past the tests: their elements are in the table all
 * the same, so it selects as a newer one does.
 */
#ifndef DAGZ_BASELINE_H
#define DAGZ_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "testdef.h"

/* The fingerprint of a path that does not exist. */
#define BASELINE_ABSENT	0

/*
 * A file the test found, read and then rewrote (a counter, a stamp):
 * its fingerprint before the test, the input, and as the test left it.
 * A change only the test made selects nothing.
 */
struct baseline_output {
	uint32_t	 path;		/* index, also in deps */
	uint64_t	 in;		/* BASELINE_ABSENT: not known */
	uint64_t	 out;
};

/* One case of a test as last run: the elements it executed. */
struct baseline_case {
	char		*name;
	enum test_status status;
	uint32_t	*elems;		/* element indices, sorted */
	size_t		 nelems;
};

struct baseline_test {
	char		*id;
	uint64_t	 def;		/* definition fingerprint */
	uint32_t	*deps;		/* path indices, sorted */
	size_t		 ndeps;
	uint32_t	*missing;	/* path indices, sorted */
	size_t		 nmissing;
	struct baseline_output *outputs;	/* by path index */
	size_t		 noutputs;
	double		 duration;	/* seconds */
	enum test_status status;
	int		 incomplete;
	uint32_t	*covered;	/* path indices a hook covered, sorted */
	size_t		 ncovered;
	uint32_t	*nullcase;	/* element indices run at import */
	size_t		 nnullcase;
	uint32_t	*known;		/* element indices of its case files */
	size_t		 nknown;
	struct baseline_case *cases;	/* sorted by name; none: by files */
	size_t		 ncases;
};

struct baseline {
	char			**paths;
	uint64_t		 *hashes;	/* per path */
	uint8_t			 *global;	/* per path: matched --global */
	size_t			  npaths;
	struct baseline_test	 *tests;	/* in insertion order */
	size_t			  ntests;
	struct baseline_map	 *pmap;		/* built on first use */
	struct baseline_map	 *tmap;
	char			**elems;	/* "FILE#QUALNAME" */
	uint32_t		 *elem_path;	/* per element: its file */
	uint64_t		 *elem_fp;	/* per element */
	size_t			  nelems;
	struct baseline_map	 *emap;		/* built on first use */
	/* A decoded baseline's paths, ids and index lists, in blocks. */
	char			 *strings;
	size_t			  stringslen;
	char			 *ids;
	size_t			  idslen;
	uint32_t		 *lists;
	size_t			  listslen;
	struct baseline_case	 *caseblock;	/* the tests' cases */
	size_t			  caseblocklen;
	struct baseline_fp	 *fp;		/* fingerprinting begun */
};

/* A rewritten file as one job saw it. */
struct baseline_obs_output {
	const char	 *path;
	uint64_t	  in;
	uint64_t	  out;
};

/* An element a case executed, with its fingerprint then. */
struct baseline_obs_element {
	const char	 *name;		/* "FILE#QUALNAME" */
	uint64_t	  fp;
};

/*
 * One case as a hook saw it; a NULL name is the null case (what ran at
 * import, before any case). files: the files the hook covered in it
 * (NULL-terminated, or NULL); its elements' files are covered too.
 */
struct baseline_obs_case {
	const char	 *name;
	enum test_status  status;
	const struct baseline_obs_element *elems;
	size_t		  nelems;
	char *const	 *files;
};

/*
 * What one job saw of one test; the lists are NULL-terminated. cases:
 * none where no hook ran or it failed (the test is selected by its
 * files). known: every element of the files that hold its cases, run or
 * not (ignored without cases). subset: only these cases ran (the others
 * were deselected): the record b has of the test (baseline_keep it
 * first) is updated, its other cases and known elements kept.
 */
struct baseline_obs {
	const char	 *id;
	uint64_t	  def;
	char *const	 *reads;
	char *const	 *lists;
	char *const	 *missing;
	const struct baseline_obs_output *outputs;	/* of reads */
	size_t		  noutputs;
	double		  duration;
	enum test_status  status;
	int		  incomplete;
	const struct baseline_obs_case *cases;
	size_t		  ncases;
	const struct baseline_obs_element *known;
	size_t		  nknown;
	int		  subset;
};

struct baseline_statcache;

uint64_t	 baseline_hash(const void *, size_t, uint64_t);
uint64_t	 baseline_def_fingerprint(const struct test_def *);

struct baseline	*baseline_new(void);
void		 baseline_free(struct baseline *);
uint32_t	 baseline_intern(struct baseline *, const char *);
uint32_t	 baseline_intern_element(struct baseline *, const char *,
		    uint64_t, int);
long		 baseline_element(const struct baseline *, const char *);
struct baseline_test *baseline_find(const struct baseline *, const char *);
void		 baseline_observe(struct baseline *,
		    const struct baseline_obs *);
void		 baseline_keep(struct baseline *, const struct baseline *,
		    const char *);
int		 baseline_fingerprint(struct baseline *, const char *,
		    struct baseline_statcache *);
uint64_t	 baseline_path_hash(const char *, const char *,
		    struct baseline_statcache *);
void		 baseline_add_globals(struct baseline *, const char *,
		    char *const *, struct baseline_statcache *);
void		 baseline_ignore(struct baseline *, char *const *);
unsigned char	*baseline_encode(const struct baseline *, size_t *);
struct baseline	*baseline_decode(const void *, size_t, char *, size_t);
struct baseline_statcache;
struct baseline	*baseline_load(const void *, size_t, const char *,
		    struct baseline_statcache *, char *, size_t);

/*
 * Selection against a baseline: baseline_changes fingerprints the
 * baseline's paths as they are now (once per job), baseline_select says
 * why one test must run; a change to a path that baseline_changes_ignore
 * marked ignored does not select, and baseline_ignored names it.
 */
struct baseline_changes;
struct baseline_changes *baseline_changes(const struct baseline *,
		    const char *, char *const *, struct baseline_statcache *);
void		 baseline_changes_ignore(struct baseline_changes *,
		    const struct baseline *, char *const *);
void		 baseline_changes_free(struct baseline_changes *);
size_t		 baseline_changed_count(const struct baseline_changes *);
int		 baseline_changes_now(const struct baseline *,
		    const struct baseline_changes *, const char *, uint64_t *);
char	       **baseline_select(const struct baseline *,
		    const struct baseline_changes *, const char *, uint64_t);
char	       **baseline_ignored(const struct baseline *,
		    const struct baseline_changes *, const char *);

/*
 * Selection of cases, for tests with cases: baseline_changed_covered
 * names the covered files that changed (to fingerprint their elements
 * now, elements_finish), baseline_changes_elements takes what they are
 * now, and baseline_select_cases says whether to run the whole test (why),
 * nothing, or only some cases (each with why).
 */
struct elements_now;

enum baseline_pick_kind {
	BASELINE_PICK_NONE,		/* nothing it depends on changed */
	BASELINE_PICK_CASES,		/* only cases[] */
	BASELINE_PICK_WHOLE		/* the whole test, for why[] */
};

struct baseline_pick {
	enum baseline_pick_kind	  kind;
	char			**why;		/* PICK_WHOLE */
	char			**cases;	/* PICK_CASES, sorted */
	char		       ***case_why;	/* per case: why, a strv */
	size_t			  ncases;
};

char	       **baseline_changed_covered(const struct baseline *,
		    const struct baseline_changes *);
void		 baseline_changes_elements(struct baseline_changes *,
		    const struct baseline *, const struct elements_now *);
enum baseline_pick_kind baseline_select_cases(const struct baseline *,
		    const struct baseline_changes *, const char *, uint64_t,
		    struct baseline_pick *);
void		 baseline_pick_clear(struct baseline_pick *);
/*
 * baseline_select_cases by each of n baselines, as one: the whole test
 * if one says so (p->why, every one's reasons), else the cases any picks
 * (p->cases, sorted, each once; p->why their reasons together, no
 * case_why), else nothing.
 */
enum baseline_pick_kind baseline_select_cases_all(struct baseline *const *,
		    struct baseline_changes *const *, int, const char *,
		    uint64_t, struct baseline_pick *);
/* The cases the n baselines recorded of a test, each once; or NULL. */
char	       **baseline_recorded_cases(struct baseline *const *, int,
		    const char *);

struct baseline_statcache *baseline_statcache_open(const char *);
int		 baseline_statcache_hash(struct baseline_statcache *,
		    const char *, uint64_t *);
int		 baseline_statcache_save(struct baseline_statcache *);
void		 baseline_statcache_free(struct baseline_statcache *);

#endif
