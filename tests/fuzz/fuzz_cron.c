#include "fuzz.h"
#include "tend/util/cron.h"

/*
 * The cron parser (util/cron.c), then the next and previous occurrence
 * around a fixed instant. A second line, if any, names the time zone
 * (util/tz.c reads it from /usr/share/zoneinfo); else UTC and
 * Europe/Berlin (a zone with DST changes) are both tried.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *expr = fuzz_cstr(data, size), *nl = strchr(expr, '\n');
	const char *zones[2] = { "UTC", "Europe/Berlin" };
	size_t zones_nr = 2;
	struct cron c;
	time_t t;

	if (nl) {
		*nl = '\0';
		zones[0] = nl + 1;
		zones_nr = 1;
	}
	if (cron_parse(&c, expr) == 0) {
		for (size_t i = 0; i < zones_nr; i++) {
			/* 2024-03-31 00:30 UTC: Berlin's DST starts that night */
			cron_next(&t, &c, 1711845000, zones[i]);
			cron_prev(&t, &c, 1711845000, zones[i]);
			tend_error_clear();
		}
	}
	free(expr);
	fuzz_done();
	return 0;
}
