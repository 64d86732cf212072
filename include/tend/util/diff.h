#ifndef TEND_UTIL_DIFF_H
#define TEND_UTIL_DIFF_H

#include "tend/util/buf.h"

/*
 * A unified diff (3 lines of context) of `a` into `b`, appended to out,
 * with "--- a_name" / "+++ b_name" headers; nothing if equal. Binary
 * content (a NUL byte) gives one line "Binary files differ".
 */
void diff_unified(struct buf *out, const char *a, size_t alen,
		  const char *a_name, const char *b, size_t blen,
		  const char *b_name);

#endif
