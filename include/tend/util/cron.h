#ifndef TEND_CRON_H
#define TEND_CRON_H

/*
 * Cron expressions and their occurrences in a named time zone, for change
 * windows and schedules.
 *
 * Syntax is Vixie cron's five fields, "minute hour day-of-month month
 * day-of-week": `*`, numbers, ranges `a-b`, steps `* / n`, `a-b/n` and `a/n`
 * (a to the field's end), lists `a,b-c`, month names jan..dec, day names
 * sun..sat (0 and 7 are both Sunday), and the macros @yearly (@annually),
 * @monthly, @weekly, @daily (@midnight), @hourly. As in Vixie cron, when
 * both day fields are restricted (neither starts with `*`), a day matches
 * if either does.
 *
 * Time zones are IANA names ("Europe/Berlin"); NULL or "" means UTC. A
 * local time that a DST change skips never occurs; one that it repeats
 * occurs twice. Zones are read with tend/tz.h, never by switching the
 * process's $TZ, so these functions are safe to call from any thread.
 */

#include <time.h>

struct cron {
	uint64_t minute;   /* bit i: minute i (0-59) */
	uint32_t hour;     /* 0-23 */
	uint32_t mday;     /* 1-31 */
	uint16_t month;    /* 1-12 */
	uint8_t wday;      /* 0-6, Sunday 0 */
	bool mday_star;    /* the field started with '*' */
	bool wday_star;
};

/*
 * Parse `expr` into *out. Returns 0, or TEND_EPARSE with the error set
 * ("bad cron expression '0 25 * * *': hour 25 out of range 0-23").
 */
int cron_parse(struct cron *out, const char *expr);

/*
 * The first occurrence strictly after `after` (whole minutes), in time
 * zone `tz`. Returns 0, TEND_ENOTFOUND if there is none within eight
 * years (e.g. "0 0 30 2 *"), or -1 for an unknown time zone.
 */
int cron_next(time_t *out, const struct cron *c, time_t after, const char *tz);

/* The last occurrence at or before `at`; as cron_next otherwise. */
int cron_prev(time_t *out, const struct cron *c, time_t at, const char *tz);

/*
 * Whether `tz` names a time zone this machine knows (its zoneinfo file
 * exists and is valid TZif); NULL, "" and "UTC" always do.
 */
bool cron_tz_valid(const char *tz);

#endif
