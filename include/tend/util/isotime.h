#ifndef TEND_UTIL_ISOTIME_H
#define TEND_UTIL_ISOTIME_H

#include "tend/util/buf.h"

/*
 * Points in time written as ISO 8601 in UTC, as provisioning records
 * them (expiry, creation).
 */

/*
 * Parse "2026-11-20T10:00Z", "2026-11-20T10:00:00Z", "2026-11-20 10:00"
 * (the Z may be left out: always UTC), "2026-11-20", or epoch seconds,
 * into epoch seconds. Returns 0, or -1 with the error set ("expected a
 * UTC time like 2026-11-20T10:00Z, a date or epoch seconds").
 */
int isotime_parse(long long *out, const char *s);

/*
 * Append epoch seconds `t` as "2026-11-20T10:00:00Z", or without the
 * seconds ("2026-11-20T10:00Z") when `seconds` is false.
 */
void isotime_format(struct buf *out, long long t, bool seconds);

#endif
