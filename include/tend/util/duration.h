#ifndef TEND_UTIL_DURATION_H
#define TEND_UTIL_DURATION_H

#include "tend/util/buf.h"

/*
 * "90s", "30m", "2h", "1h30m", "3d", or a plain number of seconds, into
 * seconds. Returns 0 or -1 with the error set.
 */
int duration_parse(long long *out, const char *s);

/* Format seconds as "1h30m", "45s", "2d4h" into out. */
void duration_format(struct buf *out, long long seconds);

#endif
