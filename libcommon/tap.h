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

/*
 * A longer line is read from its first TAP_LINE_MAX bytes and the rest
 * of it dropped. A line ends at "\n" (a "\r" before it is dropped) or
 * at tap_finish; a NUL byte ends it early.
 */
#define TAP_LINE_MAX	(64 * 1024)

struct tap;

struct tap	*tap_new(void);
void		 tap_free(struct tap *);
/*
 * Reads n more bytes. "ok"/"not ok" lines are cases, named by their
 * description (a leading "- " taken off, "\#" read as "#") or, without
 * one, by their number; "# SKIP"/"# TODO" directives, any case and as
 * prefixes ("# skipped: why"), give the status and the reason. The
 * "# ..." lines and the indented YAML block after a case are its
 * output, and "duration_ms:" in that block its duration (else -1);
 * indented subtests are output of the case after them, not cases.
 * Other lines are not TAP and are ignored.
 */
void		 tap_feed(struct tap *, const char *, size_t);
/*
 * Ends the stream and moves what was read into l (appended): the cases,
 * and l->error when the plan is missing, is not at the start or the end,
 * or disagrees with the cases, when a number is out of sequence, or on
 * "Bail out!" (the first error is kept); l->skip_all for "1..0 # SKIP
 * why" (or "skipped" without a reason). l->present is set when any TAP
 * was seen at all (a plan, a case, "TAP version", "Bail out!"): a stream
 * without any has no error, and whether that is one is the caller's to
 * say. The reader is then as new, for another stream.
 */
void		 tap_finish(struct tap *, struct case_list *);

#endif
