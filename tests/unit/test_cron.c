#include "tend/common.h"
#include "tend/util/cron.h"

#include "unit.h"

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
			      "America/New_York"), 1717593300);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cron__parse),
		cmocka_unit_test(test_cron__parse_errors),
		cmocka_unit_test(test_cron__next_utc),
		cmocka_unit_test(test_cron__next_time_zones),
		cmocka_unit_test(test_cron__prev),
		cmocka_unit_test(test_cron__never),
	};

	unsetenv("TZ");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
