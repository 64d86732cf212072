#ifndef TEND_MODKIT_LINES_H
#define TEND_MODKIT_LINES_H

/*
 * A file as Python's list of lines, each with its line ending: what the
 * line-editing modules (lineedit.c, inifile.c) work on.
 */

#include "tend/util/buf.h"

struct lines {
	struct buf *v;
	size_t nr, alloc;
};
#define LINES_INIT { NULL, 0, 0 }

void lines_release(struct lines *l);
/* Insert a copy of `len` bytes of `s` before line `at` (at <= nr). */
void lines_insert(struct lines *l, size_t at, const char *s, size_t len);
/* Remove lines [from, to). */
void lines_remove(struct lines *l, size_t from, size_t to);
/*
 * Split as Python's bytes.readlines() (lines end at "\n") or, with
 * `universal`, as bytes.splitlines(True) ("\n", "\r\n" or "\r").
 */
void lines_split(struct lines *l, const char *s, size_t len, bool universal);
void lines_join(struct buf *out, const struct lines *l);

#endif
