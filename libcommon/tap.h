/*
 * tap.h: a streaming reader of TAP (versions 12 and 13), as a test prints
 * it on its stdout. Bytes are fed as they come, in any pieces; at the end
 * the cases and the verdict of the stream as a whole (plan, bail out,
 * skip all) are handed over as a case_list.
 */
#ifndef DAGZ_TAP_H
#define DAGZ_TAP_H

#include <stddef.h>

#include "cases.h"

/* A longer line is read from its first TAP_LINE_MAX bytes. */
#define TAP_LINE_MAX	(64 * 1024)

struct tap;

struct tap	*tap_new(void);
void		 tap_free(struct tap *);
void		 tap_feed(struct tap *, const char *, size_t);
/*
 * Ends the stream and moves what was read into l (appended): the cases,
 * and l->error when the plan is missing or disagrees with the cases, or
 * on "Bail out!"; l->skip_all for "1..0 # SKIP why". l->present is set
 * when any TAP was seen at all.
 */
void		 tap_finish(struct tap *, struct case_list *);

#endif
