#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/isotime.h"

#include <stdio.h>
#include <time.h>

void isotime_format(struct buf *out, long long t, bool seconds)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), seconds ? "%Y-%m-%dT%H:%M:%SZ" :
		 "%Y-%m-%dT%H:%MZ", &tm);
	buf_adds(out, s);
}

/* "T10:00", " 10:00:30" after the date: hours, minutes, seconds. */
static const char *clock_part(const char *s, int *h, int *mi, int *sec)
{
	int n = 0;

	if (*s != 'T' && *s != ' ')
		return s;
	if (sscanf(s + 1, "%2d:%2d%n", h, mi, &n) != 2)
		return NULL;
	s += 1 + n;
	if (*s == ':') {
		n = 0;
		if (sscanf(s + 1, "%2d%n", sec, &n) != 1)
			return NULL;
		s += 1 + n;
	}
	return s;
}

int isotime_parse(long long *out, const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;

	if (*s && strspn(s, "0123456789") == strlen(s)) {
		*out = strtoll(s, NULL, 10);
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    !(s = clock_part(s + n, &h, &mi, &sec)))
		goto bad;
	if (*s == 'Z')
		s++;
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (long long)timegm(&tm);
	return 0;
bad:
	return tend_error_set("expected a UTC time like 2026-11-20T10:00Z, a "
			      "date or epoch seconds");
}
