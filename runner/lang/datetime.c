#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/lang/datetime_int.h"
#include "tend/lang/ast_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <ctype.h>
#include <strings.h>

/*
 * Naive datetimes and timedeltas (datetime_int.h). A datetime is a day
 * (Python's ordinal: 0001-01-01 is 1) and the microseconds into it; a
 * timedelta is a count of microseconds (a datetime's range, 9999 years,
 * fits in 64 bits).
 */

#define US_PER_DAY 86400000000LL
#define MAX_ORDINAL 3652059 /* 9999-12-31 */

struct dt {
	long long day, us;
};

static bool is_leap(long long y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int month_days(long long y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };

	return days[m - 1] + (m == 2 && is_leap(y));
}

static long long ordinal(long long y, int m, int d)
{
	long long n = (y - 1) * 365 + (y - 1) / 4 - (y - 1) / 100 +
		      (y - 1) / 400;

	for (int i = 1; i < m; i++)
		n += month_days(y, i);
	return n + d;
}

/* The year, month and day of ordinal n (1 <= n <= MAX_ORDINAL). */
static void civil(long long n, int *y, int *m, int *d)
{
	long long year = (n - 1) * 400 / 146097 + 1;

	/* the estimate is at most one year off, either way */
	while (ordinal(year, 1, 1) > n)
		year--;
	while (ordinal(year + 1, 1, 1) <= n)
		year++;
	n -= ordinal(year, 1, 1) - 1;
	*m = 1;
	while (n > month_days(year, *m))
		n -= month_days(year, (*m)++);
	*y = (int)year;
	*d = (int)n;
}

static struct val *time_value(struct buf *b, unsigned int flag)
{
	struct val *v = template_str_result(b);

	v->flags |= flag;
	return v;
}

/* str(datetime): "YYYY-MM-DD HH:MM:SS", then ".ffffff" if not zero. */
static struct val *dt_value(struct dt t)
{
	struct buf b = BUF_INIT;
	long long s = t.us / 1000000;
	int y, m, d;

	civil(t.day, &y, &m, &d);
	buf_addf(&b, "%04d-%02d-%02d %02lld:%02lld:%02lld", y, m, d, s / 3600,
		 s / 60 % 60, s % 60);
	if (t.us % 1000000)
		buf_addf(&b, ".%06lld", t.us % 1000000);
	return time_value(&b, TEMPLATE_F_DATETIME);
}

static struct dt dt_of(const struct val *v)
{
	int y = 1, m = 1, d = 1, hh = 0, mm = 0, ss = 0, us = 0;
	struct dt t;

	if (sscanf(v->u.s.ptr, "%d-%d-%d %d:%d:%d.%d", &y, &m, &d, &hh, &mm,
		   &ss, &us) < 6)
		BUG("a datetime's text is not str(datetime): '%s'",
		    v->u.s.ptr);
	t.day = ordinal(y, m, d);
	t.us = ((hh * 60LL + mm) * 60 + ss) * 1000000 + us;
	return t;
}

/* str(timedelta): "[-]D day[s], H:MM:SS[.ffffff]" (days may be < 0). */
static struct val *td_value(long long us)
{
	struct buf b = BUF_INIT;
	long long days = us / US_PER_DAY, rest = us % US_PER_DAY, s;

	if (rest < 0) {
		days--;
		rest += US_PER_DAY;
	}
	s = rest / 1000000;
	if (days)
		buf_addf(&b, "%lld day%s, ", days,
			 days == 1 || days == -1 ? "" : "s");
	buf_addf(&b, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	if (rest % 1000000)
		buf_addf(&b, ".%06lld", rest % 1000000);
	return time_value(&b, TEMPLATE_F_TIMEDELTA);
}

static long long td_of(const struct val *v)
{
	const char *p = v->u.s.ptr, *comma = strchr(p, ',');
	long long days = 0, hh = 0, mm = 0, ss = 0, us = 0;

	if (comma) {
		days = strtoll(p, NULL, 10);
		p = comma + 2;
	}
	if (sscanf(p, "%lld:%lld:%lld.%lld", &hh, &mm, &ss, &us) < 3)
		BUG("a timedelta's text is not str(timedelta): '%s'",
		    v->u.s.ptr);
	return days * US_PER_DAY + ((hh * 60 + mm) * 60 + ss) * 1000000 + us;
}

static const char *time_type(const struct val *v)
{
	return v->flags & TEMPLATE_F_DATETIME ? "datetime.datetime" :
	       v->flags & TEMPLATE_F_TIMEDELTA ? "datetime.timedelta" :
						 template_type_name(v);
}

/* The English names strptime reads (%b %B %a %A), as C's locale has them. */
static const char *const months[] = {
	"January", "February", "March",	    "April",   "May",	   "June",
	"July",	   "August",   "September", "October", "November", "December",
};
static const char *const weekdays[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday",
	"Friday", "Saturday", "Sunday",
};

/* `n` names, full (or their first three letters) as a Python regex group. */
static void names_re(struct buf *re, char directive, const char *const *names,
		     size_t n, bool full)
{
	buf_addf(re, "(?P<%c>", directive);
	for (size_t i = 0; i < n; i++)
		buf_addf(re, "%s%.*s", i ? "|" : "", full ? 9 : 3, names[i]);
	buf_addch(re, ')');
}

/*
 * The regex of one strptime directive, as Python's _strptime.TimeRE has
 * it; %z, %Z, %c, %x, %X, %j and the week directives are refused.
 */
static int directive_re(struct buf *re, char ch, const char *fmt)
{
	static const struct {
		char ch;
		const char *re;
	} simple[] = {
		{ 'd', "3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9]" },
		{ 'f', "[0-9]{1,6}" },
		{ 'H', "2[0-3]|[0-1]\\d|\\d" },
		{ 'I', "1[0-2]|0[1-9]|[1-9]" },
		{ 'm', "1[0-2]|0[1-9]|[1-9]" },
		{ 'M', "[0-5]\\d|\\d" },
		{ 'S', "6[0-1]|[0-5]\\d|\\d" },
		{ 'w', "[0-6]" },
		{ 'y', "\\d\\d" },
		{ 'Y', "\\d\\d\\d\\d" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(simple); i++)
		if (simple[i].ch == ch) {
			buf_addf(re, "(?P<%c>%s)", ch, simple[i].re);
			return 0;
		}
	if (ch == 'B' || ch == 'b')
		names_re(re, ch, months, ARRAY_SIZE(months), ch == 'B');
	else if (ch == 'A' || ch == 'a')
		names_re(re, ch, weekdays, ARRAY_SIZE(weekdays), ch == 'A');
	else if (ch == 'p')
		buf_adds(re, "(?P<p>am|pm)");
	else if (ch == '%')
		buf_addch(re, '%');
	else if (strchr("zZcxXjUWGVu", ch))
		return tend_error_set("to_datetime: the directive %%%c is not "
				      "supported", ch);
	else
		return tend_error_set("'%c' is a bad directive in format '%s'",
				      ch, fmt);
	return 0;
}

/*
 * The Python regex of a strptime format (_strptime.TimeRE.pattern).
 * Python lets the later of two directives that set one field win; tend
 * refuses a format with two (%y and %Y, %m and %b, %H and %I).
 */
static int format_re(struct buf *re, const char *fmt)
{
	static const char *const fields[] = { "yY", "mbB", "HI" };
	int error;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		int n = 0;

		for (const char *p = fmt; *p; p++)
			if (*p == '%' && p[1] && strchr(fields[i], *++p))
				n++;
		if (n > 1)
			return tend_error_set("to_datetime: a format that sets "
					      "one field twice (%%%s) is not "
					      "supported", fields[i]);
	}
	for (const char *p = fmt; *p; p++) {
		if (isspace((unsigned char)*p)) {
			while (isspace((unsigned char)p[1]))
				p++;
			buf_adds(re, "\\s+");
		} else if (*p != '%') {
			if (strchr("\\.^$*+?(){}[]|", *p))
				buf_addch(re, '\\');
			buf_addch(re, *p);
		} else if (!*++p) {
			return tend_error_set("stray %% in format '%s'", fmt);
		} else if ((error = directive_re(re, *p, fmt)) < 0) {
			return error;
		}
	}
	return 0;
}

/* The group named `name` of m as an int, or -1 if it is not there. */
static long long group_int(const struct regex *re,
			   const struct regex_match *m, char name)
{
	size_t g, so, eo;

	if (!regex_group_lookup(&g, re, &name, 1) ||
	    !regex_match_group(&so, &eo, m, g))
		return -1;
	return strtoll(m->subject + so, NULL, 10);
}

/* The index of the name group `name` of m holds in `names`, or -1. */
static int group_name(const struct regex *re, const struct regex_match *m,
		      char name, const char *const *names, size_t n)
{
	size_t g, so, eo;

	if (!regex_group_lookup(&g, re, &name, 1) ||
	    !regex_match_group(&so, &eo, m, g))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strncasecmp(m->subject + so, names[i], eo - so))
			return (int)i;
	return -1;
}

/* The fields of a match, as _strptime makes a datetime of them. */
static int strptime_fields(struct val **out, const struct regex *re,
			   const struct regex_match *m)
{
	long long y = group_int(re, m, 'Y'), mon = group_int(re, m, 'm');
	long long d = group_int(re, m, 'd'), h = group_int(re, m, 'H');
	long long i12 = group_int(re, m, 'I'), f = group_int(re, m, 'f');
	long long mi = group_int(re, m, 'M'), s = group_int(re, m, 'S');
	int b = group_name(re, m, 'B', months, ARRAY_SIZE(months));
	int ab = group_name(re, m, 'b', months, ARRAY_SIZE(months));
	size_t g, so, eo;
	struct dt t;

	if (group_int(re, m, 'y') >= 0)
		y = group_int(re, m, 'y') + (group_int(re, m, 'y') <= 68 ?
						     2000 : 1900);
	if (b >= 0 || ab >= 0)
		mon = (b >= 0 ? b : ab) + 1;
	if (i12 >= 0) {
		bool pm = regex_group_lookup(&g, re, "p", 1) &&
			  regex_match_group(&so, &eo, m, g) &&
			  tolower((unsigned char)m->subject[so]) == 'p';

		h = i12 == 12 ? (pm ? 12 : 0) : i12 + (pm ? 12 : 0);
	}
	if (f >= 0 && regex_group_lookup(&g, re, "f", 1) &&
	    regex_match_group(&so, &eo, m, g))
		for (size_t k = eo - so; k < 6; k++)
			f *= 10;
	mon = mon < 0 ? 1 : mon;
	d = d < 0 ? 1 : d;
	/* Python picks 1904 to check a Feb 29 without a year, then 1900 */
	if (y < 0 && mon == 2 && d == 29)
		return tend_error_set("day is out of range for month");
	y = y < 0 ? 1900 : y;
	if (y < 1 || d > month_days(y, (int)mon))
		return tend_error_set(y < 1 ? "year 0 is out of range" :
					      "day is out of range for month");
	if (s > 59)
		return tend_error_set("second must be in 0..59");
	t.day = ordinal(y, (int)mon, (int)d);
	t.us = (((h < 0 ? 0 : h) * 60 + (mi < 0 ? 0 : mi)) * 60 +
		(s < 0 ? 0 : s)) * 1000000 + (f < 0 ? 0 : f);
	*out = dt_value(t);
	return 0;
}

int datetime_strptime(struct val **out, const char *s, const char *fmt)
{
	struct regex_match m = REGEX_MATCH_INIT;
	struct buf pattern = BUF_INIT, r1 = BUF_INIT, r2 = BUF_INIT;
	struct regex *re = NULL;
	size_t so, eo;
	int error;

	if ((error = format_re(&pattern, fmt)) < 0 ||
	    (error = regex_compile(&re, pattern.ptr, REGEX_IGNORECASE)) < 0 ||
	    (error = regex_exec(&m, re, s, strlen(s), 0, REGEX_MATCH)) < 0)
		goto out;
	if (!m.matched) {
		val_to_repr(&r1, &(struct val){ .type = VAL_STR,
						.u.s = { (char *)s, strlen(s) } });
		val_to_repr(&r2, &(struct val){ .type = VAL_STR,
						.u.s = { (char *)fmt,
							 strlen(fmt) } });
		error = tend_error_set("time data %s does not match format %s",
				       r1.ptr, r2.ptr);
		goto out;
	}
	regex_match_group(&so, &eo, &m, 0);
	for (const char *p = s; p < s + eo && !error; p++)
		if ((unsigned char)*p >= 0x80)
			error = tend_error_set("to_datetime: text that is not "
					       "ASCII is not supported: '%s'", s);
	if (!error && s[eo])
		error = tend_error_set("unconverted data remains: %s", s + eo);
	if (!error)
		error = strptime_fields(out, re, &m);
out:
	regex_match_release(&m);
	regex_free(re);
	buf_release(&pattern);
	buf_release(&r1);
	buf_release(&r2);
	return error;
}

static int unsupported(const char *what, const struct val *a,
		       const struct val *b)
{
	if (b)
		return tend_error_set("unsupported operand type(s) for %s: "
				      "'%s' and '%s'", what, time_type(a),
				      time_type(b));
	return tend_error_set("tend does not support %s of a %s", what,
			      time_type(a));
}

/* datetime ± timedelta, checked against datetime's range. */
static int dt_shift(struct val **out, const struct val *dv, long long us)
{
	struct dt t = dt_of(dv);
	long long total = t.day * US_PER_DAY + t.us + us;

	t.day = total / US_PER_DAY;
	t.us = total % US_PER_DAY;
	if (t.day < 1 || t.day > MAX_ORDINAL)
		return tend_error_set("date value out of range");
	*out = dt_value(t);
	return 0;
}

/* a and b ordered: datetimes or timedeltas alike, else Python's error. */
static int time_compare(int *out, int op, const struct val *a,
			const struct val *b)
{
	long long x, y;

	if ((a->flags & TEMPLATE_F_DATETIME) &&
	    (b->flags & TEMPLATE_F_DATETIME)) {
		struct dt s = dt_of(a), t = dt_of(b);

		x = s.day * US_PER_DAY + s.us;
		y = t.day * US_PER_DAY + t.us;
	} else if ((a->flags & TEMPLATE_F_TIMEDELTA) &&
		   (b->flags & TEMPLATE_F_TIMEDELTA)) {
		x = td_of(a);
		y = td_of(b);
	} else if (op == OP_EQ || op == OP_NE) {
		*out = 1; /* never equal */
		return 0;
	} else {
		return tend_error_set("'%s' not supported between instances of "
				      "'%s' and '%s'", op == OP_LT ? "<" :
				      op == OP_GT ? ">" : op == OP_LE ? "<=" :
				      ">=", time_type(a), time_type(b));
	}
	*out = x < y ? -1 : x > y;
	return 0;
}

int datetime_binop(struct val **out, int op, const struct val *a,
		   const struct val *b)
{
	bool adt = a->flags & TEMPLATE_F_DATETIME;
	bool atd = a->flags & TEMPLATE_F_TIMEDELTA;
	bool bdt = b->flags & TEMPLATE_F_DATETIME;
	bool btd = b->flags & TEMPLATE_F_TIMEDELTA;
	int error, cmp;

	switch (op) {
	case OP_EQ: case OP_NE: case OP_LT: case OP_GT: case OP_LE: case OP_GE:
		if ((error = time_compare(&cmp, op, a, b)) < 0)
			return error;
		*out = val_bool(op == OP_EQ ? !cmp : op == OP_NE ? cmp != 0 :
				op == OP_LT ? cmp < 0 : op == OP_GT ? cmp > 0 :
				op == OP_LE ? cmp <= 0 : cmp >= 0);
		return 0;
	case OP_SUB:
		if (adt && bdt) {
			struct dt s = dt_of(a), t = dt_of(b);

			*out = td_value((s.day - t.day) * US_PER_DAY + s.us -
					t.us);
			return 0;
		}
		if (adt && btd)
			return dt_shift(out, a, -td_of(b));
		if (atd && btd) {
			*out = td_value(td_of(a) - td_of(b));
			return 0;
		}
		return unsupported("-", a, b);
	case OP_ADD:
		if ((adt && btd) || (atd && bdt))
			return dt_shift(out, adt ? a : b, td_of(adt ? b : a));
		if (atd && btd) {
			*out = td_value(td_of(a) + td_of(b));
			return 0;
		}
		return unsupported("+", a, b);
	case OP_IN: case OP_NOTIN:
		return unsupported("'in'", template_is_time(a) ? a : b, NULL);
	default:
		return unsupported("this operator", template_is_time(a) ? a : b,
				   NULL);
	}
}

int datetime_getattr(struct val **out, const struct val *obj,
		     const char *name)
{
	static const char *const dt_fields[] = {
		"year", "month", "day", "hour", "minute", "second",
		"microsecond",
	};

	if (obj->flags & TEMPLATE_F_DATETIME) {
		struct dt t = dt_of(obj);
		long long s = t.us / 1000000;
		int f[7];

		civil(t.day, &f[0], &f[1], &f[2]);
		f[3] = (int)(s / 3600);
		f[4] = (int)(s / 60 % 60);
		f[5] = (int)(s % 60);
		f[6] = (int)(t.us % 1000000);
		for (size_t i = 0; i < ARRAY_SIZE(dt_fields); i++)
			if (!strcmp(name, dt_fields[i])) {
				*out = val_int(f[i]);
				return 0;
			}
	} else {
		long long us = td_of(obj), days = us / US_PER_DAY;
		long long rest = us % US_PER_DAY;

		if (rest < 0) {
			days--;
			rest += US_PER_DAY;
		}
		if (!strcmp(name, "days") || !strcmp(name, "seconds") ||
		    !strcmp(name, "microseconds")) {
			*out = val_int(name[0] == 'd' ? days :
				       name[0] == 's' ? rest / 1000000 :
							rest % 1000000);
			return 0;
		}
	}
	return tend_error_set("tend does not support the attribute '%s' of a "
			      "%s", name, time_type(obj));
}

int datetime_method(struct val **out, const struct val *obj, const char *name,
		    const struct targs *a)
{
	if (a->npos || a->nkw)
		return tend_error_set("tend does not support %s() with "
				      "arguments", name);
	if ((obj->flags & TEMPLATE_F_TIMEDELTA) &&
	    !strcmp(name, "total_seconds")) {
		long long us = td_of(obj);

		/* Python divides exactly; a double holds only 2^53 exactly */
		if (us > (1LL << 53) || us < -(1LL << 53))
			return tend_error_set("tend does not support "
					      "total_seconds() past 2**53 "
					      "microseconds");
		*out = val_float((double)us / 1e6);
		return 0;
	}
	if ((obj->flags & TEMPLATE_F_DATETIME) &&
	    (!strcmp(name, "weekday") || !strcmp(name, "isoweekday"))) {
		/* ordinal 1, 0001-01-01, was a Monday */
		*out = val_int((dt_of(obj).day + 6) % 7 + (name[0] == 'i'));
		return 0;
	}
	if ((obj->flags & TEMPLATE_F_DATETIME) && !strcmp(name, "isoformat")) {
		char *s = xstrdup(obj->u.s.ptr);

		s[10] = 'T';
		*out = val_str_take(s, strlen(s));
		return 0;
	}
	return tend_error_set("tend does not support the method '%s' of a %s",
			      name, time_type(obj));
}

int datetime_filter(struct val **out, const char *name, struct val *in)
{
	if (!strcmp(name, "string")) {
		*out = val_strn(in->u.s.ptr, in->u.s.len);
		return 0;
	}
	if (!strcmp(name, "default") || !strcmp(name, "d") ||
	    !strcmp(name, "mandatory")) {
		*out = val_ref(in);
		return 0;
	}
	return tend_error_set("tend does not support the filter '%s' on a %s",
			      name, time_type(in));
}

/* True if v holds a datetime or timedelta inside a list or dict. */
static bool holds_time(const struct val *v)
{
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		if (template_is_time(v->u.list.items[i]) ||
		    holds_time(v->u.list.items[i]))
			return true;
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		if (template_is_time(v->u.dict.items[i].v) ||
		    holds_time(v->u.dict.items[i].v))
			return true;
	return false;
}

int datetime_settle(struct val **v)
{
	struct val *plain;

	if (template_is_time(*v)) {
		plain = val_strn((*v)->u.s.ptr, (*v)->u.s.len);
		plain->flags = (*v)->flags & ~(TEMPLATE_F_DATETIME |
					      TEMPLATE_F_TIMEDELTA);
		val_unref(*v);
		*v = plain;
		return 0;
	}
	if (holds_time(*v))
		return tend_error_set("tend does not support a datetime inside "
				      "a list or dict (Ansible prints its "
				      "repr, datetime.datetime(...))");
	return 0;
}
