#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/duration.h"
#include "tend/util/error.h"

int duration_parse(long long *out, const char *s)
{
	const char *p = s;
	long long total = 0;

	if (!s || !*s)
		return tend_error_set("bad duration '': expected e.g. 30m");
	while (*p) {
		char *end;
		long long n;
		long long unit;

		if (*p < '0' || *p > '9')
			goto bad;
		n = strtoll(p, &end, 10);
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case '\0':
			if (p != s)
				goto bad;
			unit = 1;
			end--;
			break;
		default:
			goto bad;
		}
		if (n > LLONG_MAX / unit / 2)
			goto bad;
		total += n * unit;
		p = end + 1;
	}
	*out = total;
	return 0;
bad:
	return tend_error_set("bad duration '%s': expected e.g. 90s, 30m, "
			      "1h30m or 2d", s);
}

void duration_format(struct buf *out, long long s)
{
	static const struct {
		char c;
		long long n;
	} units[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	bool any = false;

	if (s < 0)
		s = 0;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (s >= units[i].n) {
			buf_addf(out, "%lld%c", s / units[i].n, units[i].c);
			s %= units[i].n;
			any = true;
		}
	}
	if (!any)
		buf_adds(out, "0s");
}
