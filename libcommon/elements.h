/*
 * elements.h: the code elements of source files as they are now, for
 * selecting test cases: per file its elements ("FILE#QUALNAME", a
 * function or method, or "FILE#<module>" for its top-level code) with
 * their fingerprints, or that the file is missing, or why it could not
 * be fingerprinted. Filled from the NDJSON of a language hook's
 * fingerprinter (hooks/python/dagz_elements.py), run once a job on the
 * changed files only, or by hand; elements_start starts it before they
 * are known and elements_finish tells it them.
 */
#ifndef DAGZ_ELEMENTS_H
#define DAGZ_ELEMENTS_H

#include <stddef.h>
#include <stdint.h>

enum elements_state {
	ELEMENTS_UNASKED,	/* not in the table: not fingerprinted */
	ELEMENTS_KNOWN,		/* its elements are known */
	ELEMENTS_MISSING,	/* the file does not exist */
	ELEMENTS_UNKNOWN	/* could not be fingerprinted: why */
};

struct elements_now;
struct elements_proc;

struct elements_now *elements_new(void);
void		 elements_free(struct elements_now *);
void		 elements_add(struct elements_now *, const char *,
		    const char *, uint64_t);
void		 elements_missing(struct elements_now *, const char *);
void		 elements_unknown(struct elements_now *, const char *,
		    const char *);
int		 elements_parse(struct elements_now *, const char *,
		    char *const *, char *, size_t);
char		*elements_hook(const char *, const char *);
struct elements_proc *elements_start(const char *, const char *,
		    const char *);
int		 elements_finish(struct elements_proc *, struct elements_now *,
		    char *const *);

enum elements_state elements_file(const struct elements_now *, const char *,
		    const char **);
int		 elements_fp(const struct elements_now *, const char *,
		    uint64_t *);
const char	*elements_next(const struct elements_now *, const char *,
		    size_t *);
size_t		 elements_count(const struct elements_now *);

#endif
