#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/inventory/inventory_int.h"
#include "tend/util/interrupt.h"

#include <ctype.h>

/*
 * Host names and addresses: host ranges ("web[01:50]") counted against
 * their limits and expanded, host patterns with ports, and the hosts
 * deferred until every source is read.
 */

/*
 * Host addresses as Ansible's inv_parse_address(allow_ranges=True) sees them:
 * a hostname or IPv4 address (either may hold [x:y] ranges), an IPv6
 * address, each with an optional :port ([v6]:port for IPv6).
 */
static size_t range_len(const char *p)
{
	const char *q = p + 1;
	int parts = 0;

	if (*p != '[')
		return 0;
	if (isalpha((unsigned char)q[0]) && q[1] == ':' &&
	    isalpha((unsigned char)q[2])) {
		q += 3;
		parts = 2;
	} else {
		while (parts < 2) {
			if (!isdigit((unsigned char)*q))
				return 0;
			while (isdigit((unsigned char)*q))
				q++;
			if (++parts < 2 && *q++ != ':')
				return 0;
		}
	}
	if (*q == ':') {
		q++;
		if (!isdigit((unsigned char)*q))
			return 0;
		while (isdigit((unsigned char)*q))
			q++;
	}
	return *q == ']' ? (size_t)(q + 1 - p) : 0;
}

bool inv_word_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static bool valid_hostname(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t r;
		char last = 0;
		bool first = true;

		while (i < len && s[i] != '.') {
			if ((r = range_len(s + i)) && i + r <= len) {
				i += r;
				last = ']';
			} else if (inv_word_char((unsigned char)s[i]) ||
				   (!first && s[i] == '-')) {
				last = s[i++];
			} else {
				return false;
			}
			first = false;
		}
		if (first || last == '-' || last == '_')
			return false;
		if (i < len && ++i == len)
			return false; /* trailing dot */
	}
	return len > 0;
}

static bool valid_ipv6(const char *s, size_t len)
{
	size_t colons = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colons++;
		else if (!isxdigit((unsigned char)s[i]) && s[i] != '.')
			return false;
	}
	return colons >= 2 && colons <= 7;
}

/* Split "host:port"; *port is -1 when there is none. False if invalid. */
bool inv_parse_address(const char *s, size_t *host_off, size_t *host_len,
		   long *port)
{
	size_t len = strlen(s), off = 0, depth = 0, colon = NO_INDEX;

	*port = -1;
	if (s[0] == '[' && len > 2) {
		const char *close = strstr(s, "]:");

		if (close && close[2] && strspn(close + 2, "0123456789") ==
						 strlen(close + 2)) {
			*port = strtol(close + 2, NULL, 10);
			off = 1;
			len = (size_t)(close - s) - 1;
		}
	}
	if (*port < 0) {
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '[')
				depth++;
			else if (s[i] == ']' && depth)
				depth--;
			else if (s[i] == ':' && !depth)
				colon = colon == NO_INDEX ? i : NO_INDEX - 1;
		}
		if (colon < len && colon + 1 < len &&
		    strspn(s + colon + 1, "0123456789") == len - colon - 1) {
			*port = strtol(s + colon + 1, NULL, 10);
			len = colon;
		}
	}
	*host_off = off;
	*host_len = len;
	if (valid_ipv6(s + off, len))
		return true;
	return valid_hostname(s + off, len);
}

static const char ascii_letters[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static bool parse_ll(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !errno && !*end;
}

/* The first [beg:end(:step)] of a host name, parsed. */
struct host_range {
	const char *open, *close; /* its '[' and ']' in the name */
	long long beg, end, step;
	int width;                /* zero-padded to this many digits */
	bool letters;             /* beg and end index ascii_letters */
};

/*
 * Parse the first range of `name` as Ansible's expand_hostname_range
 * does. Returns 1 and fills *r, 0 if the name has no '[', or -1 with the
 * error set.
 */
static int range_parse(struct host_range *r, const char *name)
{
	char *bounds[3] = { NULL, NULL, NULL }, *inner = NULL, *p;
	int nb = 0, error = 1;

	memset(r, 0, sizeof(*r));
	r->step = 1;
	if (!(r->open = strchr(name, '[')))
		return 0;
	if (!(r->close = strchr(name, ']')) || r->close < r->open)
		return tend_error_set("unbalanced brackets in host range '%s'",
				      name);
	inner = xstrndup(r->open + 1, (size_t)(r->close - r->open - 1));
	for (p = inner; nb < 3; nb++) {
		bounds[nb] = p;
		if (!(p = strchr(p, ':'))) {
			nb++;
			break;
		}
		*p++ = '\0';
	}
	if (p || nb < 2) {
		error = tend_error_set("host range must be begin:end or "
				       "begin:end:step, got '%.*s'",
				       (int)(r->close - r->open + 1), r->open);
		goto out;
	}
	if (!*bounds[1]) {
		error = tend_error_set("host range must specify an end value");
		goto out;
	}
	if (nb == 3 && (!parse_ll(bounds[2], &r->step) || r->step <= 0)) {
		error = tend_error_set("host range step must be a positive "
				       "number, got '%s'", bounds[2]);
		goto out;
	}
	if (bounds[0][0] == '0' && bounds[0][1]) {
		r->width = (int)strlen(bounds[0]);
		if ((size_t)r->width != strlen(bounds[1])) {
			error = tend_error_set("host range must specify "
					       "equal-length begin and end "
					       "formats");
			goto out;
		}
	}
	if (strlen(bounds[0]) == 1 && strlen(bounds[1]) == 1 &&
	    isalpha((unsigned char)bounds[0][0]) &&
	    isalpha((unsigned char)bounds[1][0])) {
		r->letters = true;
		r->beg = strchr(ascii_letters, bounds[0][0]) - ascii_letters;
		r->end = strchr(ascii_letters, bounds[1][0]) - ascii_letters;
		if (r->beg > r->end)
			error = tend_error_set("host range must have "
					       "begin <= end");
		goto out;
	}
	if (!*bounds[0])
		r->beg = 0;
	else if (!parse_ll(bounds[0], &r->beg))
		r->beg = LLONG_MIN;
	if (r->beg == LLONG_MIN || !parse_ll(bounds[1], &r->end))
		error = tend_error_set("host range bounds must be numbers or "
				       "single letters, got '%.*s'",
				       (int)(r->close - r->open + 1), r->open);
out:
	free(inner);
	return error;
}

/* How many values a range takes (a numeric one may take none). */
static unsigned long long range_size(const struct host_range *r)
{
	if (r->beg > r->end)
		return 0;
	return ((unsigned long long)r->end - (unsigned long long)r->beg) /
	       (unsigned long long)r->step + 1;
}

/* `name` with its first range replaced by the range's k-th value. */
static void range_name(struct buf *out, const char *name,
		       const struct host_range *r, unsigned long long k)
{
	long long v = (long long)((unsigned long long)r->beg +
				  k * (unsigned long long)r->step);

	buf_reset(out);
	buf_add(out, name, (size_t)(r->open - name));
	if (r->letters)
		buf_addch(out, ascii_letters[v]);
	else
		buf_addf(out, "%0*lld", r->width, v);
	buf_adds(out, r->close + 1);
}

/*
 * How many names `name` expands to, without expanding it: the product of
 * its ranges' sizes (ULLONG_MAX if that overflows). *ranges tells whether
 * it has any. Each range is parsed as the expansion would meet it, so a
 * bad one sets the same error; after an empty range (no name) the rest
 * are not looked at, as the expansion never gets to them.
 */
static int range_count(unsigned long long *out, bool *ranges,
		       const char *name)
{
	struct host_range r;
	struct buf cur = BUF_INIT, next = BUF_INIT;
	unsigned long long n = 1;
	int found;

	*ranges = false;
	buf_sets(&cur, name);
	while ((found = range_parse(&r, cur.ptr)) > 0) {
		unsigned long long k = range_size(&r);

		*ranges = true;
		if (!k) {
			n = 0;
			break;
		}
		if (__builtin_mul_overflow(n, k, &n))
			n = ULLONG_MAX;
		/* go on with the first name, as the expansion does */
		range_name(&next, cur.ptr, &r, 0);
		buf_sets(&cur, next.ptr);
	}
	buf_release(&cur);
	buf_release(&next);
	*out = n;
	return found < 0 ? found : 0;
}

/*
 * Expand the first [beg:end(:step)] of `name` (then the rest,
 * recursively) as Ansible's expand_hostname_range. Appends to `out`.
 * Callers bound the size first (range_count).
 */
static int expand_range(struct val *out, const char *name)
{
	struct host_range r;
	struct buf h = BUF_INIT;
	unsigned long long n;
	int error;

	if ((error = range_parse(&r, name)) <= 0) {
		if (!error)
			val_list_push(out, val_str(name));
		return error;
	}
	n = range_size(&r);
	error = 0;
	for (unsigned long long k = 0; k < n && !error; k++) {
		range_name(&h, name, &r, k);
		error = expand_range(out, h.ptr);
	}
	buf_release(&h);
	return error;
}

/*
 * Split a host pattern of an inventory file ("web[1:3].example.com:2222")
 * into *host (its ranges unexpanded) and *port (-1: none), and count the
 * names its ranges make, adding them to x->range_hosts. Sets the error
 * on a bad range, or on ranges past INVENTORY_MAX_RANGE_HOSTS names or
 * that bring x->range_hosts past INVENTORY_MAX_RANGE_TOTAL; those mark
 * the inventory refused (x->range_refused).
 */
int inv_host_pattern_parse(char **host, long *port, struct inv_ext *x,
		       const char *pattern)
{
	unsigned long long n, total = x->range_hosts;
	bool ranges;
	size_t off, len;
	int error;

	if (inv_parse_address(pattern, &off, &len, port)) {
		*host = xstrndup(pattern + off, len);
	} else {
		*host = xstrdup(pattern);
		*port = -1;
	}
	if (*port < 0 && inv_ends_with(pattern, ":")) {
		error = tend_error_set("invalid host pattern '%s': a final ':' "
				       "must be followed by a port", pattern);
		goto out;
	}
	if ((error = range_count(&n, &ranges, *host)) < 0 || !ranges)
		goto out;
	if (n > INVENTORY_MAX_RANGE_HOSTS) {
		error = n == ULLONG_MAX ?
			tend_error_set("host pattern '%s' expands to too many "
				       "hosts to count, more than the limit of "
				       "%d per pattern", pattern,
				       INVENTORY_MAX_RANGE_HOSTS) :
			tend_error_set("host pattern '%s' expands to %llu "
				       "hosts, more than the limit of %d per "
				       "pattern", pattern, n,
				       INVENTORY_MAX_RANGE_HOSTS);
	} else if (total + n > INVENTORY_MAX_RANGE_TOTAL) {
		error = tend_error_set("host pattern '%s' brings the hosts "
				       "expanded from ranges in this "
				       "inventory to %llu, more than the "
				       "limit of %d per inventory", pattern,
				       total + n, INVENTORY_MAX_RANGE_TOTAL);
	} else {
		x->range_hosts = total + n;
	}
	if (error < 0)
		x->range_refused = true;
out:
	if (error < 0) {
		free(*host);
		*host = NULL;
	}
	return error;
}

/* Add `host` (taken) with its vars (borrowed) when all sources are read. */
void inv_defer_hosts(struct inv_ext *x, char *host, long port, size_t gi,
		 const struct val *vars, const struct srcpos *pos)
{
	struct deferred_hosts *dh;

	ALLOC_GROW(x->deferred, x->deferred_nr + 1, x->deferred_alloc);
	dh = &x->deferred[x->deferred_nr++];
	dh->host = host;
	dh->port = port;
	dh->group = gi;
	dh->vars = val_len(vars) ? val_ref((struct val *)vars) : NULL;
	dh->pos = *pos;
}

static void add_hosts(struct inv_ext *x, const struct val *names, long port,
		      size_t gi, const struct val *vars,
		      const struct srcpos *pos)
{
	for (size_t i = 0; i < val_len(names) && !tend_interrupted; i++) {
		size_t hi = inv_host_add(x, val_cstr(val_list_at(names, i)));
		struct host_ext *he = inv_hext(x->inv.hosts[hi]);
		struct val *own = he->layer[LAYER_INLINE];

		if (gi != NO_INDEX)
			inv_group_add_host(x, gi, hi);
		if (port >= 0) {
			struct val *p = val_int(port);

			p->pos = *pos;
			val_dict_set(own, "ansible_port", p);
		}
		if (vars)
			val_dict_update(own, vars, false);
	}
}

void inv_deferred_release(struct inv_ext *x)
{
	for (size_t i = 0; i < x->deferred_nr; i++) {
		free(x->deferred[i].host);
		val_unref(x->deferred[i].vars);
	}
	free(x->deferred);
	x->deferred = NULL;
	x->deferred_nr = x->deferred_alloc = 0;
}

/*
 * Every source is read: expand and add the hosts, in the order they
 * were written. An inventory refused for its ranges gets none (it fails
 * with those errors), so a few bytes asking for millions of hosts cost
 * nothing but their counting.
 */
void inv_add_deferred_hosts(struct inv_ext *x, struct diags *d)
{
	struct val *names = NULL;

	for (size_t i = 0; i < x->deferred_nr && !x->range_refused &&
			   !tend_interrupted; i++) {
		const struct deferred_hosts *dh = &x->deferred[i];

		names = val_list();
		if (expand_range(names, dh->host) < 0) {
			/* range_count parsed it already: cannot happen */
			diags_add(d, &dh->pos, "%s", tend_error_last());
			tend_error_clear();
		} else {
			x->source = dh->pos.file; /* inventory_file */
			add_hosts(x, names, dh->port, dh->group, dh->vars,
				  &dh->pos);
		}
		val_unref(names);
	}
	x->source = NULL;
	inv_deferred_release(x);
}
