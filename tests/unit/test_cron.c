#include "tend/common.h"
#include "tend/util/cron.h"
#include "tend/util/tz.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

extern char **environ;

#define LHI "Australia/Lord_Howe"
#define NYC "America/New_York"

/*
 * Cron parsing and occurrences. Expected times were computed with
 * Python's zoneinfo (the same tzdata).
 */

static time_t next(const char *expr, time_t after, const char *tz)
{
	struct cron c;
	time_t t = 0;

	assert_ok(cron_parse(&c, expr));
	assert_ok(cron_next(&t, &c, after, tz));
	return t;
}

static time_t prev(const char *expr, time_t at, const char *tz)
{
	struct cron c;
	time_t t = 0;

	assert_ok(cron_parse(&c, expr));
	assert_ok(cron_prev(&t, &c, at, tz));
	return t;
}

static void bad(const char *expr, const char *msg)
{
	struct cron c;

	assert_int_equal(cron_parse(&c, expr), TEND_EPARSE);
	if (!strstr(tend_error_last(), msg))
		fail_msg("'%s': got '%s', want '%s'", expr, tend_error_last(),
			 msg);
}

static void test_cron__parse(void **state)
{
	struct cron c;

	(void)state;
	assert_ok(cron_parse(&c, "*/15 9-17 * * mon-fri"));
	assert_true(c.minute == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) |
				 (1ULL << 45)));
	assert_int_equal(c.hour, 0x3fe00);
	assert_int_equal(c.wday, 0x3e);
	assert_true(c.mday_star);
	assert_false(c.wday_star);
	assert_ok(cron_parse(&c, "0 0 * * 7"));
	assert_int_equal(c.wday, 1);
	assert_ok(cron_parse(&c, "0 0 1,15 JAN,jul *"));
	assert_int_equal(c.month, (1 << 1) | (1 << 7));
	assert_int_equal(c.mday, (1 << 1) | (1 << 15));
	assert_ok(cron_parse(&c, "5/20 * * * *"));
	assert_true(c.minute == ((1ULL << 5) | (1ULL << 25) | (1ULL << 45)));
	assert_ok(cron_parse(&c, "@weekly"));
	assert_int_equal(c.wday, 1);
	assert_ok(cron_parse(&c, "  0   16 * *\tfri "));
}

static void test_cron__parse_errors(void **state)
{
	(void)state;
	bad("0 25 * * *", "hour 25 out of range 0-23");
	bad("* * *", "expected 5 fields, got 3");
	bad("* * * * * *", "more than 5 fields");
	bad("0 0 * * monday", "unexpected 'day'");
	bad("0 0 * * funday", "unknown day of week name 'fun'");
	bad("0 0 * foo *", "unknown month name 'foo'");
	bad("10-5 * * * *", "backwards");
	bad("*/0 * * * *", "bad step");
	bad("@often", "unknown macro");
	bad("0 0 0 * *", "day of month 0 out of range 1-31");
	bad("", "expected 5 fields, got 0");
}

static void test_cron__next_utc(void **state)
{
	(void)state;
	/* 2024-06-05 12:00 UTC, a Wednesday */
	assert_int_equal(next("0 12 * * *", 1717588800, NULL),
			 1717588800 + 86400);
	assert_int_equal(next("0 12 * * *", 1717588800 - 1, "UTC"),
			 1717588800);
	assert_int_equal(next("* * * * *", 1717588800 + 30, NULL),
			 1717588800 + 60);
	/* Vixie: both day fields restricted matches either */
	assert_int_equal(next("0 0 13 * fri", 1725148800, NULL), 1725580800);
	assert_int_equal(next("0 0 13 * *", 1725148800, NULL), 1726185600);
	assert_int_equal(next("0 0 * * fri", 1725148800, NULL), 1725580800);
}

static void test_cron__next_time_zones(void **state)
{
	(void)state;
	/* Friday 16:00 in Berlin (CET, +1) from Wednesday 2024-03-27 */
	assert_int_equal(next("0 16 * * fri", 1711497600, "Europe/Berlin"),
			 1711724400);
	/* 09:15 in New York (EDT) */
	assert_int_equal(next("15 9 * * *", 1717588800 - 7200,
			      NYC), 1717593300);
	/* 02:30 does not exist on 2024-03-31 in Berlin: the next is 04-01 */
	assert_int_equal(next("30 2 * * *", 1711796400, "Europe/Berlin"),
			 1711931400);
	/* 02:30 happens twice on 2024-10-27: both occur */
	assert_int_equal(next("30 2 * * *", 1729989000 - 60,
			      "Europe/Berlin"), 1729989000);
	assert_int_equal(next("30 2 * * *", 1729989000, "Europe/Berlin"),
			 1729992600);
	/* the process's own TZ is left alone */
	assert_null(getenv("TZ"));
}

/*
 * A table of expressions and next starts, for the daemon's schedules:
 * month ends, leap days, macros, ranges with steps, and named zones
 * across their DST changes (values from Python's zoneinfo).
 */
static void test_cron__table(void **state)
{
	static const struct {
		const char *expr;
		time_t after;
		const char *tz;
		time_t want;
	} rows[] = {
		/* 2025-02-01 -> 2025-03-31: February has no 31st */
		{ "0 0 31 * *", 1738368000, "UTC", 1743379200 },
		/* 2025-03-01 -> 2028-02-29: the next leap day */
		{ "0 0 29 2 *", 1740787200, "UTC", 1835395200 },
		{ "0 0 29 2 *", 1709121600, "UTC", 1709164800 },
		{ "@monthly", 1735689540, "UTC", 1735689600 },
		{ "@yearly", 1717200000, "UTC", 1735689600 },
		/* Friday 17:50 -> Monday 09:00 */
		{ "*/15 9-17 * * mon-fri", 1711734600, "UTC", 1711962000 },
		{ "0 12 1,15 jan-mar *", 1710547200, "UTC", 1735732800 },
		/* Berlin: midnight before the spring change, 03:00 after it */
		{ "@daily", 1711837800, "Europe/Berlin", 1711839600 },
		{ "0 3 * * *", 1711843200, "Europe/Berlin", 1711846800 },
		/* the autumn change's day: every 6 hours of local time */
		{ "0 */6 * * sun", 1729981800, "Europe/Berlin", 1730005200 },
		/* New York's repeated 01:30: the first one (EDT) */
		{ "30 1 * * *", 1730606400, "America/New_York", 1730611800 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		time_t got = next(rows[i].expr, rows[i].after, rows[i].tz);

		if (got != rows[i].want)
			fail_msg("'%s' after %lld in %s: %lld, want %lld",
				 rows[i].expr, (long long)rows[i].after,
				 rows[i].tz, (long long)got,
				 (long long)rows[i].want);
	}
}

static void test_cron__prev(void **state)
{
	(void)state;
	assert_int_equal(prev("0 12 * * *", 1717588800, NULL), 1717588800);
	assert_int_equal(prev("0 12 * * *", 1717588800 - 1, NULL),
			 1717588800 - 86400);
	/* the Friday 16:00 before Monday 2024-06-10 08:00 Berlin */
	assert_int_equal(prev("0 16 * * fri", 1717999200, "Europe/Berlin"),
			 1717768800);
	assert_int_equal(prev("30 2 * * *", 1711931400 - 1, "Europe/Berlin"),
			 1711931400 - 2 * 86400 + 3600);
}

static void test_cron__never(void **state)
{
	struct cron c;
	time_t t;

	(void)state;
	assert_ok(cron_parse(&c, "0 0 30 2 *"));
	assert_int_equal(cron_next(&t, &c, 1717588800, NULL), TEND_ENOTFOUND);
	assert_int_equal(cron_prev(&t, &c, 1717588800, NULL), TEND_ENOTFOUND);
	assert_true(cron_next(&t, &c, 0, "Mars/Olympus") < 0);
	assert_non_null(strstr(tend_error_last(), "unknown time zone"));
	assert_false(cron_tz_valid("../etc/passwd"));
	assert_true(cron_tz_valid("Europe/Berlin"));
}

/*
 * Zone offsets read from the zoneinfo files (runner/tz.c). Expected
 * values were printed here by python3's zoneinfo on the same tzdata:
 *   d = datetime.fromtimestamp(t, ZoneInfo(zone))
 *   print(zone, t, d.utcoffset(), bool(d.dst()), d.isoformat())
 * Each DST change is given as its last second before and first after;
 * the comments give the local time.
 * Times after 2037 come from the POSIX TZ footer, not the transitions.
 */
static const struct {
	const char *zone;
	long long t;
	int off, isdst;
} offsets[] = {
	{ "Europe/Berlin", 1711846799, 3600, 0 }, /* 2024-03-31 01:59:59 */
	{ "Europe/Berlin", 1711846800, 7200, 1 }, /* 2024-03-31 03:00:00 */
	{ "Europe/Berlin", 1729990799, 7200, 1 }, /* 2024-10-27 02:59:59 */
	{ "Europe/Berlin", 1729990800, 3600, 0 }, /* 2024-10-27 02:00:00 */
	{ "Europe/Berlin", -2208988800, 3600, 0 }, /* 1900-01-01 01:00:00 */
	{ "Europe/Berlin", -775872000, 10800, 1 }, /* 1945-06-01 03:00:00 */
	{ "Europe/Berlin", 4118083200, 7200, 1 }, /* 2100-07-01 02:00:00 */
	{ "Europe/Berlin", 4131302400, 3600, 0 }, /* 2100-12-01 01:00:00 */
	{ NYC, 1710053999, -18000, 0 }, /* 2024-03-10 01:59:59 */
	{ NYC, 1710054000, -14400, 1 }, /* 2024-03-10 03:00:00 */
	{ NYC, 1730613599, -14400, 1 }, /* 2024-11-03 01:59:59 */
	{ NYC, 1730613600, -18000, 0 }, /* 2024-11-03 01:00:00 */
	{ NYC, 3792985199, -18000, 0 }, /* 2090-03-12 01:59:59 */
	{ NYC, 3792985200, -14400, 1 }, /* 2090-03-12 03:00:00 */
	{ NYC, 3813544799, -14400, 1 }, /* 2090-11-05 01:59:59 */
	{ NYC, 3813544800, -18000, 0 }, /* 2090-11-05 01:00:00 */
	{ NYC, -2717712000, -17762, 0 }, /* 1883-11-17 19:03:58 */
	{ LHI, 1712415599, 39600, 1 }, /* 2024-04-07 01:59:59 */
	{ LHI, 1712415600, 37800, 0 }, /* 2024-04-07 01:30:00 */
	{ LHI, 1728142199, 37800, 0 }, /* 2024-10-06 01:59:59 */
	{ LHI, 1728142200, 39600, 1 }, /* 2024-10-06 02:30:00 */
	{ LHI, 3794741999, 39600, 1 }, /* 2090-04-02 01:59:59 */
	{ LHI, 3794742000, 37800, 0 }, /* 2090-04-02 01:30:00 */
	{ LHI, 3810468599, 37800, 0 }, /* 2090-10-01 01:59:59 */
	{ LHI, 3810468600, 39600, 1 }, /* 2090-10-01 02:30:00 */
	{ "Asia/Kolkata", 1717200000, 19800, 0 }, /* 2024-06-01 05:30:00 */
	{ "Asia/Kolkata", -852076800, 23400, 1 }, /* 1943-01-01 06:30:00 */
	{ "Asia/Kolkata", 3786912000, 19800, 0 }, /* 2090-01-01 05:30:00 */
	{ "UTC", 1717200000, 0, 0 },
	{ "Etc/UTC", 1717200000, 0, 0 },
	{ NULL, 1717200000, 0, 0 },
};

static void test_cron__tz_offsets(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
		struct tz *z = NULL;
		bool dst = !offsets[i].isdst;
		int off;

		assert_ok(tz_load(&z, offsets[i].zone));
		off = tz_offset(z, (time_t)offsets[i].t, &dst);
		if (off != offsets[i].off || dst != offsets[i].isdst)
			fail_msg("%s at %lld: want %d/%d, got %d/%d",
				 offsets[i].zone, offsets[i].t, offsets[i].off,
				 offsets[i].isdst, off, dst);
		tz_free(z);
	}
}

static void test_cron__tz_missing(void **state)
{
	struct tz *z = (struct tz *)1;
	struct cron c;
	time_t t;

	(void)state;
	assert_int_equal(tz_load(&z, "Mars/Olympus"), TEND_ENOTFOUND);
	assert_null(z);
	assert_string_equal(tend_error_last(),
			    "unknown time zone 'Mars/Olympus'");
	assert_int_equal(tz_load(&z, "../../etc/passwd"), TEND_ENOTFOUND);
	assert_int_equal(tz_load(&z, "/etc/localtime"), TEND_ENOTFOUND);
	/* a file that is there but is no zone */
	assert_int_equal(tz_load(&z, "zone.tab"), TEND_EPARSE);
	assert_non_null(strstr(tend_error_last(), "not a valid zoneinfo"));
	assert_false(cron_tz_valid("zone.tab"));
	assert_false(cron_tz_valid("Mars/Olympus"));
	assert_ok(cron_parse(&c, "0 0 * * *"));
	assert_true(cron_next(&t, &c, 0, "Mars/Olympus") < 0);
	tend_error_clear();
}

/* Write a TZif v2 file with no transitions, only a footer, to dir/name. */
static void write_rule_only(const char *dir, const char *name,
			    const char *footer, bool truncate)
{
	unsigned char hdr[44] = { 'T', 'Z', 'i', 'f', '2' };
	/* one type: +10:30, not DST, abbreviation index 0 */
	static const unsigned char type[6] = { 0, 0, 0x93, 0xa8, 0, 0 };
	char path[512];
	FILE *f;

	hdr[39] = 1; /* typecnt */
	hdr[43] = 4; /* charcnt */
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	for (int i = 0; i < 2; i++) {
		fwrite(hdr, 1, sizeof(hdr), f);
		fwrite(type, 1, sizeof(type), f);
		fwrite("LHT", 1, 4, f);
	}
	fprintf(f, "\n%s%s", footer, truncate ? "" : "\n");
	assert_int_equal(fclose(f), 0);
}

/*
 * The footer alone (Lord Howe's: half-hour DST, southern hemisphere),
 * read from a TZDIR of our own; the expected times are those above.
 */
static void test_cron__tz_posix_footer(void **state)
{
	char dir[] = "/tmp/tend-tz.XXXXXX";
	struct tz *z = NULL;
	bool dst;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_rule_only(dir, "Rule", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
			false);
	write_rule_only(dir, "Cut", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
			true);
	write_rule_only(dir, "Junk", "<+1030>-10:30<+11>-11,M13.1.0,M4.1.0",
			false);
	setenv("TZDIR", dir, 1);
	assert_ok(tz_load(&z, "Rule"));
	assert_int_equal(tz_offset(z, 1712415599, &dst), 39600);
	assert_true(dst);
	assert_int_equal(tz_offset(z, 1712415600, &dst), 37800);
	assert_false(dst);
	assert_int_equal(tz_offset(z, 1728142199, NULL), 37800);
	assert_int_equal(tz_offset(z, 1728142200, NULL), 39600);
	assert_int_equal(tz_offset(z, 3810468600, NULL), 39600);
	tz_free(z);
	assert_int_equal(tz_load(&z, "Cut"), TEND_EPARSE);
	assert_int_equal(tz_load(&z, "Junk"), TEND_EPARSE);
	tend_error_clear();
	unsetenv("TZDIR");
	for (size_t i = 0; i < 3; i++) {
		static const char *const names[] = { "Rule", "Cut", "Junk" };
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_cron__tz_local_time(void **state)
{
	struct tz *z = NULL;
	struct tm tm = { 0 };

	(void)state;
	assert_ok(tz_load(&z, "Europe/Berlin"));
	tz_localtime(&tm, z, 1729990800);
	assert_int_equal(tm.tm_year, 124);
	assert_int_equal(tm.tm_mon, 9);
	assert_int_equal(tm.tm_mday, 27);
	assert_int_equal(tm.tm_hour, 2);
	assert_int_equal(tm.tm_wday, 0);
	assert_int_equal(tm.tm_gmtoff, 3600);
	assert_int_equal(tm.tm_isdst, 0);
	/* 02:30 twice on 2024-10-27: the earlier (00:30 UTC) */
	tm.tm_min = 30;
	assert_int_equal(tz_mktime(z, &tm), 1729989000);
	/* 02:30 skipped on 2024-03-31: read as CET, as glibc's mktime does */
	tm.tm_mon = 2;
	tm.tm_mday = 31;
	assert_int_equal(tz_mktime(z, &tm), 1711848600);
	/* fields out of range are normalised: March 32nd is April 1st */
	tm.tm_mday = 32;
	tm.tm_hour = 0;
	tm.tm_min = 0;
	assert_int_equal(tz_mktime(z, &tm), 1711922400);
	tz_free(z);
}

static volatile bool stop_reading;

static void *read_tz(void *payload)
{
	const char *want = payload;
	long bad = 0;

	while (!stop_reading) {
		const char *tz = getenv("TZ");

		if (!tz || strcmp(tz, want))
			bad++;
	}
	return (void *)bad;
}

/*
 * Time zones are never borrowed through $TZ: while cron_next works in
 * other zones, another thread sees the process's TZ unchanged, and so
 * does the C library's local time.
 */
static void test_cron__tz_env_untouched(void **state)
{
	char **env = environ;
	struct cron c;
	pthread_t th;
	void *bad;
	time_t t;
	struct tm tm;

	(void)state;
	setenv("TZ", NYC, 1);
	tzset();
	env = environ;
	stop_reading = false;
	assert_int_equal(pthread_create(&th, NULL, read_tz,
					(void *)NYC), 0);
	assert_ok(cron_parse(&c, "30 2 * * *"));
	for (int i = 0; i < 200; i++) {
		assert_ok(cron_next(&t, &c, 1711796400 + i * 3600,
				    i % 2 ? "Europe/Berlin" :
					    LHI));
		assert_true(cron_tz_valid("Asia/Kolkata"));
	}
	stop_reading = true;
	assert_int_equal(pthread_join(th, &bad), 0);
	assert_int_equal((long)bad, 0);
	assert_true(environ == env);
	assert_string_equal(getenv("TZ"), NYC);
	localtime_r(&(time_t){ 1717200000 }, &tm);
	assert_int_equal(tm.tm_gmtoff, -14400);
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cron__parse),
		cmocka_unit_test(test_cron__parse_errors),
		cmocka_unit_test(test_cron__next_utc),
		cmocka_unit_test(test_cron__next_time_zones),
		cmocka_unit_test(test_cron__table),
		cmocka_unit_test(test_cron__prev),
		cmocka_unit_test(test_cron__never),
		cmocka_unit_test(test_cron__tz_offsets),
		cmocka_unit_test(test_cron__tz_missing),
		cmocka_unit_test(test_cron__tz_posix_footer),
		cmocka_unit_test(test_cron__tz_local_time),
		cmocka_unit_test(test_cron__tz_env_untouched),
	};

	unsetenv("TZ");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
