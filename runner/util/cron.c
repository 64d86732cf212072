#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/cron.h"
#include "tend/util/error.h"
#include "tend/util/tz.h"

#include <strings.h>

/* How far cron_next/cron_prev look before giving up. */
#define SEARCH_SPAN ((time_t)8 * 366 * 86400)

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* names for min, min+1, ... or NULL */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const struct field fields[] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

static const struct {
	const char *name, *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int bad(const char *expr, const char *fmt, ...) TEND_PRINTF(2, 3);
static int bad(const char *expr, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int error;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error = tend_error_set_code(TEND_EPARSE, "bad cron expression '%s': %s",
				    expr, msg.ptr);
	buf_release(&msg);
	return error;
}

/* One number or name of field f at *p; advances *p. */
static int parse_value(int *out, const char **p, const struct field *f,
		       const char *expr)
{
	const char *s = *p;
	long v;
	char *end;

	if (f->names && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
		for (int i = 0; f->names[i]; i++) {
			if (!strncasecmp(s, f->names[i], 3)) {
				*out = f->min + i;
				*p = s + 3;
				return 0;
			}
		}
		return bad(expr, "unknown %s name '%.3s'", f->name, s);
	}
	if (*s < '0' || *s > '9')
		return bad(expr, "expected a number in the %s field, got '%s'",
			   f->name, s);
	v = strtol(s, &end, 10);
	if (v < f->min || v > f->max)
		return bad(expr, "%s %ld out of range %d-%d", f->name, v,
			   f->min, f->max);
	*out = (int)v;
	*p = end;
	return 0;
}

/* Parse one field (a NUL-terminated word) into a bit set. */
static int parse_field(uint64_t *out, bool *star, const char *word,
		       const struct field *f, const char *expr)
{
	const char *p = word;
	int error;

	*out = 0;
	*star = *word == '*';
	for (;;) {
		int lo, hi, step = 1;

		if (*p == '*') {
			lo = f->min;
			hi = f->max;
			p++;
		} else {
			if ((error = parse_value(&lo, &p, f, expr)) < 0)
				return error;
			hi = lo;
			if (*p == '-') {
				p++;
				if ((error = parse_value(&hi, &p, f, expr)) < 0)
					return error;
				if (hi < lo)
					return bad(expr, "%s range %d-%d is "
						   "backwards", f->name, lo, hi);
			} else if (*p == '/') {
				hi = f->max;
			}
		}
		if (*p == '/') {
			char *end;
			long s;

			p++;
			s = strtol(p, &end, 10);
			if (end == p || s <= 0 || s > f->max)
				return bad(expr, "bad step in the %s field",
					   f->name);
			step = (int)s;
			p = end;
		}
		for (int i = lo; i <= hi; i += step)
			*out |= (uint64_t)1 << i;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p)
			return bad(expr, "unexpected '%s' in the %s field", p,
				   f->name);
		return 0;
	}
}

int cron_parse(struct cron *out, const char *expr)
{
	char words[5][64];
	const char *p = expr;
	uint64_t bits[5];
	bool star[5];
	int n = 0, error;

	memset(out, 0, sizeof(*out));
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '@') {
		for (size_t i = 0; i < ARRAY_SIZE(macros); i++) {
			if (!strcmp(p, macros[i].name))
				return cron_parse(out, macros[i].expr);
		}
		return bad(expr, "unknown macro");
	}
	while (*p) {
		size_t len = strcspn(p, " \t");

		if (n == 5)
			return bad(expr, "more than 5 fields");
		if (len >= sizeof(words[0]))
			return bad(expr, "field too long");
		memcpy(words[n], p, len);
		words[n++][len] = '\0';
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	if (n != 5)
		return bad(expr, "expected 5 fields, got %d", n);
	for (int i = 0; i < 5; i++) {
		if ((error = parse_field(&bits[i], &star[i], words[i],
					 &fields[i], expr)) < 0)
			return error;
	}
	out->minute = bits[0];
	out->hour = (uint32_t)bits[1];
	out->mday = (uint32_t)bits[2];
	out->month = (uint16_t)bits[3];
	/* 7 is Sunday too */
	out->wday = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f);
	out->mday_star = star[2];
	out->wday_star = star[4];
	return 0;
}

bool cron_tz_valid(const char *tz)
{
	struct tz *z;

	if (tz_load(&z, tz) < 0) {
		tend_error_clear();
		return false;
	}
	tz_free(z);
	return true;
}

static bool day_matches(const struct cron *c, const struct tm *tm)
{
	bool m = c->mday >> tm->tm_mday & 1;
	bool w = c->wday >> tm->tm_wday & 1;

	if (c->mday_star || c->wday_star)
		return m && w;
	return m || w;
}

/* Local midnight of tm's day shifted by `days`, as a time_t. */
static time_t local_midnight(const struct tz *z, const struct tm *tm, int days,
			     bool month_start, int months)
{
	struct tm x = *tm;

	x.tm_sec = 0;
	x.tm_min = 0;
	x.tm_hour = 0;
	if (month_start)
		x.tm_mday = 1;
	x.tm_mday += days;
	x.tm_mon += months;
	return tz_mktime(z, &x);
}

static time_t floor_minute(time_t t)
{
	time_t r = t % 60;

	return t - (r < 0 ? r + 60 : r);
}

int cron_next(time_t *out, const struct cron *c, time_t after, const char *tz)
{
	time_t t = floor_minute(after) + 60, limit = after + SEARCH_SPAN;
	struct tz *z;
	int error = TEND_ENOTFOUND;

	if (tz_load(&z, tz) < 0)
		return -1;
	while (t <= limit) {
		struct tm tm;
		time_t nt;

		tz_localtime(&tm, z, t);
		if (!(c->month >> (tm.tm_mon + 1) & 1))
			nt = local_midnight(z, &tm, 0, true, 1);
		else if (!day_matches(c, &tm))
			nt = local_midnight(z, &tm, 1, false, 0);
		else if (!(c->hour >> tm.tm_hour & 1))
			nt = t + (60 - tm.tm_min) * 60 - tm.tm_sec;
		else if (!(c->minute >> tm.tm_min & 1))
			nt = t + 60;
		else {
			*out = t;
			error = 0;
			break;
		}
		t = nt > t ? nt : t + 60;
	}
	tz_free(z);
	if (error)
		tend_error_set_code(error, "cron expression never occurs");
	return error;
}

int cron_prev(time_t *out, const struct cron *c, time_t at, const char *tz)
{
	time_t t = floor_minute(at), limit = at - SEARCH_SPAN;
	struct tz *z;
	int error = TEND_ENOTFOUND;

	if (tz_load(&z, tz) < 0)
		return -1;
	while (t >= limit) {
		struct tm tm;
		time_t nt;

		tz_localtime(&tm, z, t);
		/* the start of the period that does not match, less a minute */
		if (!(c->month >> (tm.tm_mon + 1) & 1))
			nt = local_midnight(z, &tm, 0, true, 0) - 60;
		else if (!day_matches(c, &tm))
			nt = local_midnight(z, &tm, 0, false, 0) - 60;
		else if (!(c->hour >> tm.tm_hour & 1))
			nt = t - tm.tm_min * 60 - tm.tm_sec - 60;
		else if (!(c->minute >> tm.tm_min & 1))
			nt = t - 60;
		else {
			*out = t;
			error = 0;
			break;
		}
		t = nt < t ? floor_minute(nt) : t - 60;
	}
	tz_free(z);
	if (error)
		tend_error_set_code(error, "cron expression never occurs");
	return error;
}
