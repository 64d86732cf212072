#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/tz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Offsets beyond a day are not zones (RFC 8536 allows -25h..26h). */
#define MAX_OFFSET (26 * 3600)
/* No zoneinfo file is near this; a bigger one is not TZif. */
#define MAX_FILE (1 << 20)

struct tz_type {
	int32_t utoff;
	bool isdst;
};

/* One side of a POSIX TZ rule: when DST starts or ends in a year. */
struct tz_date {
	char kind;       /* 'J': Julian 1-365 without Feb 29; 'D': 0-365; 'M' */
	int n, week, wday; /* J/D: n; M: month n, week 1-5, day 0-6 */
	int32_t secs;    /* local time of day, may be <0 or >24h */
};

/* The POSIX TZ string of a TZif footer. */
struct tz_rule {
	bool set;         /* a footer was there */
	bool has_dst;
	int32_t std_off, dst_off; /* seconds east */
	struct tz_date start, end;
};

struct tz {
	int64_t *times; /* transitions, ascending */
	uint8_t *idx;   /* the type of each transition */
	size_t times_nr;
	struct tz_type *types;
	size_t types_nr;
	struct tz_rule rule;
};

/* ---- the POSIX TZ string ---- */

/* [+-]hh[:mm[:ss]] with hh <= maxh, in seconds; advances *p. */
static int parse_hms(int32_t *out, const char **p, int maxh)
{
	const char *s = *p;
	int sign = 1, part[3] = { 0, 0, 0 };

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (int i = 0; i < 3; i++) {
		int n = 0, digits = 0;

		if (i && *s != ':')
			break;
		if (i)
			s++;
		while (*s >= '0' && *s <= '9' && digits < 3) {
			n = n * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits || (i && n > 59) || (!i && n > maxh))
			return -1;
		part[i] = n;
	}
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*p = s;
	return 0;
}

/* A zone abbreviation: 3+ letters, or <...> with +, -, digits, letters. */
static int skip_name(const char **p)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '<') {
		for (s++; *s && *s != '>'; s++)
			n++;
		if (*s != '>' || n < 3)
			return -1;
		*p = s + 1;
		return 0;
	}
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
		s++;
		n++;
	}
	if (n < 3)
		return -1;
	*p = s;
	return 0;
}

static int parse_num(int *out, const char **p, int lo, int hi)
{
	const char *s = *p;
	int n = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		n = n * 10 + (*s++ - '0');
		digits++;
	}
	if (!digits || n < lo || n > hi)
		return -1;
	*out = n;
	*p = s;
	return 0;
}

static int parse_date(struct tz_date *d, const char **p)
{
	const char *s = *p;

	if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (parse_num(&d->n, &s, 1, 12) < 0 || *s++ != '.' ||
		    parse_num(&d->week, &s, 1, 5) < 0 || *s++ != '.' ||
		    parse_num(&d->wday, &s, 0, 6) < 0)
			return -1;
	} else if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (parse_num(&d->n, &s, 1, 365) < 0)
			return -1;
	} else {
		d->kind = 'D';
		if (parse_num(&d->n, &s, 0, 365) < 0)
			return -1;
	}
	d->secs = 2 * 3600;
	/* RFC 8536 section 3.3.1: hours may be -167 to 167 */
	if (*s == '/' && (s++, parse_hms(&d->secs, &s, 167) < 0))
		return -1;
	*p = s;
	return 0;
}

/*
 * "std offset [dst [offset] [,start[/time],end[/time]]]", offsets west
 * of Greenwich as POSIX has them. A DST zone without rules takes the US
 * rules, as glibc's "posixrules" default does.
 */
static int parse_rule(struct tz_rule *r, const char *s)
{
	int32_t off;

	memset(r, 0, sizeof(*r));
	r->set = true;
	if (skip_name(&s) < 0 || parse_hms(&off, &s, 24) < 0)
		return -1;
	r->std_off = r->dst_off = -off;
	if (!*s)
		return 0;
	if (skip_name(&s) < 0)
		return -1;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (parse_hms(&off, &s, 24) < 0)
			return -1;
		r->dst_off = -off;
	}
	if (!*s)
		s = ",M3.2.0,M11.1.0";
	if (*s++ != ',' || parse_date(&r->start, &s) < 0 || *s++ != ',' ||
	    parse_date(&r->end, &s) < 0 || *s)
		return -1;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1-12). */
int64_t tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local seconds since the epoch at which date d happens in year y. */
static int64_t date_local(const struct tz_date *d, int64_t y)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	int64_t day;

	if (d->kind == 'J') {
		day = tz_days_from_civil(y, 1, 1) + d->n - 1 +
		      (leap_year(y) && d->n >= 60);
	} else if (d->kind == 'D') {
		day = tz_days_from_civil(y, 1, 1) + d->n;
	} else {
		int64_t first = tz_days_from_civil(y, d->n, 1);
		int len = mdays[d->n - 1] + (d->n == 2 && leap_year(y));
		/* 1970-01-01 was a Thursday (4) */
		int wd = (int)(((first + 4) % 7 + 7) % 7);
		int mday = 1 + (d->wday - wd + 7) % 7 + (d->week - 1) * 7;

		if (mday > len)
			mday -= 7;
		day = first + mday - 1;
	}
	return day * 86400 + d->secs;
}

/* The civil year of local seconds `secs`. */
static int64_t year_of(int64_t secs)
{
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	/* civil_from_days, year only */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	return yoe + era * 400 + (mp >= 10);
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t, bool *isdst)
{
	int64_t y, start, end;
	bool dst;

	if (!r->has_dst) {
		*isdst = false;
		return r->std_off;
	}
	/*
	 * The year as standard time counts it. Start is given in standard
	 * time, end in DST; when start comes after end in the year (the
	 * southern hemisphere), DST is what lies outside [end, start).
	 */
	y = year_of(t + r->std_off);
	start = date_local(&r->start, y) - r->std_off;
	end = date_local(&r->end, y) - r->dst_off;
	if (start < end)
		dst = t >= start && t < end;
	else
		dst = !(t >= end && t < start);
	*isdst = dst;
	return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ---- */

struct reader {
	const unsigned char *p;
	size_t left;
};

static int take(struct reader *r, const unsigned char **out, size_t n)
{
	if (n > r->left)
		return -1;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct header {
	char version;
	uint32_t isut, isstd, leap, time, type, chars;
};

static int read_header(struct header *h, struct reader *r)
{
	const unsigned char *p;

	if (take(r, &p, 44) < 0 || memcmp(p, "TZif", 4))
		return -1;
	h->version = (char)p[4];
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->time = be32(p + 32);
	h->type = be32(p + 36);
	h->chars = be32(p + 40);
	/* RFC 8536 3.1: each count is 0 or typecnt, typecnt >= 1 */
	if (!h->type || h->type > 256 || h->chars == 0 ||
	    (h->isut && h->isut != h->type) ||
	    (h->isstd && h->isstd != h->type))
		return -1;
	return 0;
}

static size_t data_size(const struct header *h, size_t tsize)
{
	return (size_t)h->time * tsize + h->time + (size_t)h->type * 6 +
	       h->chars + (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

/* The data block after header h, with times of tsize (4 or 8) bytes. */
static int read_data(struct tz *z, const struct header *h, size_t tsize,
		     struct reader *r)
{
	const unsigned char *times, *idx, *types, *rest;

	/* abbreviations, leap seconds and the std/ut flags are not used */
	if (take(r, &times, (size_t)h->time * tsize) < 0 ||
	    take(r, &idx, h->time) < 0 ||
	    take(r, &types, (size_t)h->type * 6) < 0 ||
	    take(r, &rest, h->chars + (size_t)h->leap * (tsize + 4) +
				   h->isstd + h->isut) < 0)
		return -1;
	z->times_nr = h->time;
	z->times = xcalloc(h->time + 1, sizeof(*z->times));
	z->idx = xcalloc(h->time + 1, 1);
	for (size_t i = 0; i < h->time; i++) {
		z->times[i] = tsize == 8 ? be64(times + 8 * i) :
					   (int32_t)be32(times + 4 * i);
		z->idx[i] = idx[i];
		if (idx[i] >= h->type || (i && z->times[i] <= z->times[i - 1]))
			return -1;
	}
	z->types_nr = h->type;
	z->types = xcalloc(h->type, sizeof(*z->types));
	for (size_t i = 0; i < h->type; i++) {
		int32_t off = (int32_t)be32(types + 6 * i);

		if (off < -MAX_OFFSET || off > MAX_OFFSET ||
		    types[6 * i + 4] > 1)
			return -1;
		z->types[i].utoff = off;
		z->types[i].isdst = types[6 * i + 4];
	}
	return 0;
}

static int parse_tzif(struct tz *z, const unsigned char *buf, size_t len)
{
	struct reader r = { buf, len };
	struct header h;
	const unsigned char *p;

	if (read_header(&h, &r) < 0)
		return -1;
	if (h.version == 0)
		return read_data(z, &h, 4, &r);
	/* version 2+: skip the 32-bit block, read the 64-bit one */
	if (take(&r, &p, data_size(&h, 4)) < 0 || read_header(&h, &r) < 0 ||
	    read_data(z, &h, 8, &r) < 0)
		return -1;
	/* the footer: "\n" TZ string "\n" (empty: no rule) */
	if (take(&r, &p, 1) < 0 || *p != '\n')
		return -1;
	{
		const unsigned char *nl = memchr(r.p, '\n', r.left);
		char *s;
		int error = 0;

		if (!nl)
			return -1;
		if (nl == r.p)
			return 0;
		s = xstrndup((const char *)r.p, (size_t)(nl - r.p));
		if (strlen(s) != (size_t)(nl - r.p) ||
		    parse_rule(&z->rule, s) < 0)
			error = -1;
		free(s);
		return error;
	}
}

static int read_file(struct buf *out, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int error = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= MAX_FILE) {
		buf_grow(out, (size_t)st.st_size);
		error = 0;
		while (out->len < (size_t)st.st_size) {
			ssize_t n = read(fd, out->ptr + out->len,
					 (size_t)st.st_size - out->len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				error = -1;
				break;
			}
			buf_setlen(out, out->len + (size_t)n);
		}
	}
	close(fd);
	return error;
}

int tz_load(struct tz **out, const char *name)
{
	const char *dir = getenv("TZDIR");
	struct buf path = BUF_INIT, data = BUF_INIT;
	struct tz *z = xcalloc(1, sizeof(*z));
	int error = 0;

	*out = NULL;
	if (!name || !*name || !strcmp(name, "UTC")) {
		z->types = xcalloc(1, sizeof(*z->types));
		z->types_nr = 1;
		*out = z;
		return 0;
	}
	if (*name == '/' || strstr(name, "..")) {
		error = tend_error_set_code(TEND_ENOTFOUND,
					    "unknown time zone '%s'", name);
		goto out;
	}
	buf_addf(&path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
		 name);
	if (read_file(&data, path.ptr) < 0) {
		error = tend_error_set_code(TEND_ENOTFOUND,
					    "unknown time zone '%s'", name);
		goto out;
	}
	if (parse_tzif(z, (const unsigned char *)data.ptr, data.len) < 0) {
		error = tend_error_set_code(TEND_EPARSE, "time zone '%s': "
					    "'%s' is not a valid zoneinfo file",
					    name, path.ptr);
		goto out;
	}
	*out = z;
	z = NULL;
out:
	tz_free(z);
	buf_release(&path);
	buf_release(&data);
	return error;
}

void tz_free(struct tz *z)
{
	if (!z)
		return;
	free(z->times);
	free(z->idx);
	free(z->types);
	free(z);
}

int tz_offset(const struct tz *z, time_t t, bool *isdst)
{
	const struct tz_type *ty;
	size_t lo = 0, hi = z->times_nr;
	bool dst;

	if (z->rule.set &&
	    (!z->times_nr || t >= z->times[z->times_nr - 1])) {
		int32_t off = rule_offset(&z->rule, t, &dst);

		if (isdst)
			*isdst = dst;
		return off;
	}
	if (!z->times_nr || t < z->times[0]) {
		ty = &z->types[0];
	} else {
		/* the last transition at or before t */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (z->times[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &z->types[z->idx[lo]];
	}
	if (isdst)
		*isdst = ty->isdst;
	return ty->utoff;
}

void tz_localtime(struct tm *out, const struct tz *z, time_t t)
{
	bool dst;
	int off = tz_offset(z, t, &dst);
	time_t local = t + off;

	gmtime_r(&local, out);
	out->tm_isdst = dst;
	out->tm_gmtoff = off;
	out->tm_zone = NULL;
}

time_t tz_mktime(const struct tz *z, const struct tm *local)
{
	struct tm x = *local;
	time_t l, best = 0, latest = 0;
	int offs[3];
	bool found = false;

	x.tm_isdst = 0;
	l = timegm(&x);
	/*
	 * An instant whose clocks show l is l less an offset of at most a
	 * day, so the offsets in effect a day before, at and a day after l
	 * are the candidates (no zone changes twice within two days).
	 */
	offs[0] = tz_offset(z, l - 86400, NULL);
	offs[1] = tz_offset(z, l, NULL);
	offs[2] = tz_offset(z, l + 86400, NULL);
	for (int i = 0; i < 3; i++) {
		time_t t = l - offs[i];

		if (tz_offset(z, t, NULL) == offs[i] && (!found || t < best)) {
			best = t;
			found = true;
		}
		if (!i || t > latest)
			latest = t;
	}
	/* skipped: read with the smallest offset, the one before the jump */
	return found ? best : latest;
}
