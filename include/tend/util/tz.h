#ifndef TEND_TZ_H
#define TEND_TZ_H

/*
 * Time zones by IANA name, read from the zoneinfo (TZif) files, without
 * the C library's local time.
 *
 * Why not setenv("TZ") + tzset() + localtime_r(): the C library converts
 * only in the one zone named by the process's $TZ, and changing $TZ while
 * other threads run is a data race (setenv may move `environ` under a
 * getenv() in another thread, and localtime_r in other threads would see
 * the borrowed zone). The daemon runs window checks next to executor and
 * transport threads, so tend reads the zone itself instead:
 *
 * - the file is $TZDIR/<name>, else /usr/share/zoneinfo/<name> (RFC 8536
 *   TZif, versions 1 to 4); the 64-bit data of version 2+ is used;
 * - times before the first transition take the first time type, as RFC
 *   8536 says; times after the last one follow the footer's POSIX TZ
 *   string ("CET-1CEST,M3.5.0,M10.5.0/3"), or keep the last type if it
 *   has none;
 * - leap second records ("right/" zones) are ignored: times are POSIX
 *   times, as everywhere else in tend.
 *
 * A loaded zone is immutable: threads may share one. Nothing here reads
 * or writes the environment except $TZDIR (read only).
 */

#include <time.h>

struct tz;

/*
 * Load zone `name` into *out, which the caller frees with tz_free().
 * NULL, "" and "UTC" are UTC without a file. Returns 0; TEND_ENOTFOUND
 * for a name with no zoneinfo file (or one that is absolute or has a
 * "..": never a path outside the zoneinfo directory); TEND_EPARSE for a
 * file that is not valid TZif; the error is set either way ("unknown
 * time zone 'Mars/Olympus'").
 */
/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12). */
int64_t tz_days_from_civil(int64_t y, int m, int d);

int tz_load(struct tz **out, const char *name);

/* Free a zone from tz_load(). NULL-safe. */
void tz_free(struct tz *z);

/*
 * The offset from UTC, in seconds east (Berlin in summer: 7200), in
 * effect at instant `t`, and whether it is daylight saving time (isdst
 * may be NULL). Cannot fail.
 */
int tz_offset(const struct tz *z, time_t t, bool *isdst);

/*
 * The local time at `t` in zone z, as localtime_r() would give it with
 * TZ set to the zone (tm_gmtoff and tm_isdst set; tm_zone is NULL).
 */
void tz_localtime(struct tm *out, const struct tz *z, time_t t);

/*
 * The instant at which zone z's clocks show `local` (tm_year, tm_mon,
 * tm_mday, tm_hour, tm_min, tm_sec; out-of-range fields normalised as by
 * mktime(), tm_isdst ignored). A time that occurs twice (clocks set back)
 * gives the earlier instant; a time that is skipped (clocks set forward)
 * is read with the offset from before the jump, as glibc's mktime() with
 * tm_isdst -1 does (02:30 on the night Berlin skips from 02:00 to 03:00
 * is 01:30 UTC, which its clocks show as 03:30). Cannot fail for years
 * that time_t holds.
 */
time_t tz_mktime(const struct tz *z, const struct tm *local);

#endif
