#ifndef TEND_UTIL_QUOTE_H
#define TEND_UTIL_QUOTE_H

#include "tend/util/buf.h"

/*
 * sh_quote: append `s` to `b` quoted for a POSIX shell, as one word.
 *
 * This is the one function through which every value reaches a remote
 * shell. The result is single-quoted; each ' becomes '\''. Any byte except
 * NUL survives intact (strings cannot carry NUL). An empty string becomes ''.
 */
void sh_quote(struct buf *b, const char *s);
/* As sh_quote, for `len` bytes (which must not contain NUL). */
void sh_quote_n(struct buf *b, const char *s, size_t len);

#endif
