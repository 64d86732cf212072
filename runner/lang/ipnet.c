#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/ipnet_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <arpa/inet.h>

/*
 * netaddr 0.8's IPNetwork as ansible.utils' filters see it (ipnet_int.h).
 * Addresses are read by libc's inet_pton, as Python's socket reads them
 * for netaddr, and printed by inet_ntop, which prints them as netaddr
 * does; the rest (short IPv4 networks padded with zeros, netmask and
 * hostmask prefixes, Python's int() of a prefix) is netaddr's, repeated
 * here. No Debian C library reads addresses the way netaddr does.
 */

int ipnet_width(int version)
{
	return version == 4 ? 32 : 128;
}

u128 ipnet_max(int version)
{
	return version == 4 ? (u128)0xffffffffu : ~(u128)0;
}

/* The host bits of a network of this prefix (its size less one). */
u128 ipnet_hostmask_of(int version, int prefixlen)
{
	int bits = ipnet_width(version) - prefixlen;

	return bits >= 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
}

u128 ipnet_hostmask(const struct ipnet *v)
{
	return ipnet_hostmask_of(v->version, v->prefixlen);
}

u128 ipnet_netmask(const struct ipnet *v)
{
	return ipnet_max(v->version) ^ ipnet_hostmask(v);
}

u128 ipnet_first(const struct ipnet *v)
{
	return v->value & ipnet_netmask(v);
}

u128 ipnet_last(const struct ipnet *v)
{
	return v->value | ipnet_hostmask(v);
}

/* netaddr 0.8 gives an IPv4 /31 or /32 no broadcast address. */
bool ipnet_has_broadcast(const struct ipnet *v)
{
	return v->version == 6 || v->prefixlen < 31;
}

/* _first_last: a /31-like network's two ends, else both ends less one. */
void ipnet_usable(const struct ipnet *v, u128 *first, u128 *last)
{
	bool two = ipnet_hostmask(v) == 1;

	*first = ipnet_first(v) + (two ? 0 : 1);
	*last = ipnet_last(v) - (two ? 0 : 1);
}

/* str(IPAddress(n, version)), into text[INET6_ADDRSTRLEN]. */
const char *ipnet_text(char *text, int version, u128 n)
{
	unsigned char bin[16];

	if (version == 4) {
		for (int i = 0; i < 4; i++)
			bin[i] = (unsigned char)(n >> (8 * (3 - i)));
		return inet_ntop(AF_INET, bin, text, INET6_ADDRSTRLEN);
	}
	for (int i = 0; i < 16; i++)
		bin[i] = (unsigned char)(n >> (8 * (15 - i)));
	return inet_ntop(AF_INET6, bin, text, INET6_ADDRSTRLEN);
}

/* str(IPAddress(n)) without a version: IPv4 up to 2^32 - 1. */
struct val *ipnet_auto_str(u128 n)
{
	char text[INET6_ADDRSTRLEN];

	return val_str(ipnet_text(text, n <= 0xffffffffu ? 4 : 6, n));
}

struct val *ipnet_addr_str(int version, u128 n)
{
	char text[INET6_ADDRSTRLEN];

	return val_str(ipnet_text(text, version, n));
}

/* "address/prefix", or "address<sep>address" when mask is set. */
struct val *ipnet_pair_str(int version, u128 a, const char *sep, u128 b,
			       bool mask)
{
	char t1[INET6_ADDRSTRLEN], t2[INET6_ADDRSTRLEN];

	if (!mask)
		return val_strf("%s%s%llu", ipnet_text(t1, version, a), sep,
				(unsigned long long)b);
	return val_strf("%s%s%s", ipnet_text(t1, version, a), sep,
			ipnet_text(t2, version, b));
}

/* str(IPNetwork): the address with its host bits, then the prefix. */
struct val *ipnet_str(const struct ipnet *v)
{
	return ipnet_pair_str(v->version, v->value, "/", (u128)v->prefixlen,
			   false);
}

void ipnet_dec(struct buf *b, u128 n)
{
	char digits[40];
	int i = 0;

	do
		digits[i++] = (char)('0' + (int)(n % 10));
	while ((n /= 10));
	while (i)
		buf_addch(b, digits[--i]);
}

/*
 * A Python int of up to 128 bits: tend's 64-bit integer, or past it the
 * decimal text (what printing it gives; arithmetic on it fails).
 */
struct val *ipnet_int(u128 n)
{
	struct buf b = BUF_INIT;
	struct val *v;

	if (n <= (u128)INT64_MAX)
		return val_int((long long)n);
	ipnet_dec(&b, n);
	v = val_strn(b.ptr, b.len);
	buf_release(&b);
	return v;
}

/* n + by, in the address space of version; false past either end. */
bool ipnet_add(u128 *out, int version, u128 n, long long by)
{
	u128 step = by < 0 ? (u128)0 - (u128)by : (u128)by;

	if (by < 0 ? step > n : step > ipnet_max(version) - n)
		return false;
	*out = by < 0 ? n - step : n + step;
	return true;
}

int ipnet_out_of_bounds(u128 base, long long by)
{
	u128 step = by < 0 ? (u128)0 - (u128)by : (u128)by;
	struct buf b = BUF_INIT;
	int error;

	if (by < 0 && step > base) {
		buf_addch(&b, '-');
		ipnet_dec(&b, step - base);
	} else if (base + step < base) {
		buf_adds(&b, "past 2**128 - 1");
	} else {
		ipnet_dec(&b, base + step);
	}
	error = tend_error_set_code(TEND_EPYTHON, "failed to detect a valid IP "
				    "address from %s", b.ptr);
	buf_release(&b);
	return error;
}

static bool py_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/*
 * Python's int(s): whitespace around, a sign, ASCII digits with single
 * underscores between them. Digits past 2^128 set big.
 */
bool ipnet_py_int(struct ipnet_int *out, const char *s)
{
	const char *p = s;
	bool digit = false;

	memset(out, 0, sizeof(*out));
	while (py_space(*p))
		p++;
	if (*p == '+' || *p == '-')
		out->neg = *p++ == '-';
	for (; *p; p++) {
		if (*p == '_' && digit && p[1] >= '0' && p[1] <= '9')
			continue;
		if (*p < '0' || *p > '9')
			break;
		if (out->mag > (~(u128)0 - (u128)(*p - '0')) / 10)
			out->big = true;
		out->mag = out->mag * 10 + (u128)(*p - '0');
		digit = true;
	}
	while (py_space(*p))
		p++;
	return digit && !*p;
}

/* The int in [0, max], else false (negative zero counts as zero). */
bool ipnet_int_in(const struct ipnet_int *n, u128 max)
{
	return !n->big && (!n->neg || !n->mag) && n->mag <= max;
}

/* str.isdigit() for ASCII: not empty, every byte a digit. */
bool ipnet_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Python's float(s) succeeds (decimal, inf, nan; no hex). */
bool ipnet_float_ok(const char *s)
{
	struct ipnet_int n;
	struct buf b = BUF_INIT;
	char *end;
	bool ok;

	if (ipnet_py_int(&n, s))
		return true;
	for (const char *p = s; *p; p++)
		if (*p != '_')
			buf_addch(&b, *p);
	buf_trim(&b);
	ok = b.len && !strpbrk(b.ptr, "xX");
	if (ok) {
		(void)strtod(b.ptr, &end);
		ok = !*end;
	}
	buf_release(&b);
	return ok;
}

/* socket.inet_pton of one family: strict dotted quads, or IPv6. */
bool ipnet_pton(int version, const char *s, u128 *out)
{
	unsigned char bin[16];
	int n = version == 4 ? 4 : 16;

	if (inet_pton(version == 4 ? AF_INET : AF_INET6, s, bin) != 1)
		return false;
	*out = 0;
	for (int i = 0; i < n; i++)
		*out = *out << 8 | bin[i];
	return true;
}

/*
 * netaddr's expand_partial_address then inet_pton: one to four parts
 * read by int() ("10", "192.168", " 010"), padded with zeros.
 */
static bool ip4_partial(const char *s, u128 *out)
{
	const char *p = s;
	int parts = 0;

	if (strchr(s, ':'))
		return false;
	*out = 0;
	for (;;) {
		size_t len = strcspn(p, ".");
		char *part = xstrndup(p, len);
		struct ipnet_int n;
		bool ok = ipnet_py_int(&n, part) && ipnet_int_in(&n, 255);

		free(part);
		if (!ok || ++parts > 4)
			return false;
		*out = *out << 8 | n.mag;
		if (!p[len])
			break;
		p += len + 1;
	}
	*out <<= 8 * (4 - parts);
	return true;
}

/* netmask_to_prefix / hostmask_to_prefix: the prefix of mask m. */
bool ipnet_mask_prefix(int version, u128 m, int *out)
{
	int width = ipnet_width(version);

	for (int p = 0; p <= width; p++)
		if (m == (ipnet_max(version) ^ ipnet_hostmask_of(version, p))) {
			*out = p;
			return true;
		}
	for (int p = 0; p <= width; p++)
		if (m == ipnet_hostmask_of(version, p)) {
			*out = p;
			return true;
		}
	return false;
}

/* parse_ip_network for one version: address, then /prefix or /mask. */
static bool ip_parse_as(struct ipnet *out, int version, const char *s)
{
	const char *slash = strchr(s, '/');
	char *addr = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
	struct ipnet_int n;
	u128 mask;
	bool ok;

	ok = ipnet_pton(version, addr, &out->value) ||
	     (version == 4 && ip4_partial(addr, &out->value));
	free(addr);
	if (!ok)
		return false;
	out->version = version;
	out->prefixlen = ipnet_width(version);
	if (!slash)
		return true;
	if (ipnet_py_int(&n, slash + 1)) {
		if (!ipnet_int_in(&n, (u128)ipnet_width(version)))
			return false;
		out->prefixlen = (int)n.mag;
		return true;
	}
	return ipnet_pton(version, slash + 1, &mask) &&
	       ipnet_mask_prefix(version, mask, &out->prefixlen);
}

/* netaddr.IPNetwork(s): IPv4 first, then IPv6. */
bool ipnet_parse(struct ipnet *out, const struct val *s)
{
	if (!val_is(s, VAL_STR) || strlen(s->u.s.ptr) != s->u.s.len)
		return false;
	return ip_parse_as(out, 4, s->u.s.ptr) ||
	       ip_parse_as(out, 6, s->u.s.ptr);
}

/* An IPNetwork made of two integers: IPv4 if both fit, else IPv6. */
static bool ip_from_ints(struct ipnet *out, const struct ipnet_int *addr,
			 const struct ipnet_int *prefix)
{
	if (ipnet_int_in(addr, ipnet_max(4)) &&
	    ipnet_int_in(prefix, 32)) {
		*out = (struct ipnet){ 4, addr->mag, (int)prefix->mag };
		return true;
	}
	if (ipnet_int_in(addr, ipnet_max(6)) && ipnet_int_in(prefix, 128)) {
		*out = (struct ipnet){ 6, addr->mag, (int)prefix->mag };
		return true;
	}
	return false;
}

/* ipaddr's "numerical CIDR": "167772160/8". */
bool ipnet_parse_numeric(struct ipnet *out, const char *s)
{
	const char *slash = strchr(s, '/');
	struct ipnet_int addr, prefix;
	char *a;
	bool ok;

	if (!slash || strchr(slash + 1, '/'))
		return false;
	a = xstrndup(s, (size_t)(slash - s));
	ok = ipnet_py_int(&addr, a) && ipnet_py_int(&prefix, slash + 1) &&
	     ip_from_ints(out, &addr, &prefix);
	free(a);
	return ok;
}

/*
 * What ipaddr() makes of a value that is not a list, into *v: an address
 * (an integer, or text without "/") or a network (*vtype), and *value
 * the value as the queries that give it back give it (a new reference).
 * False if it is neither.
 */
bool ipnet_read(struct ipnet *v, enum ipnet_vtype *vtype, struct val **value,
	     const struct val *in, int version)
{
	bool text = val_is(in, VAL_STR);
	struct ipnet_int n = { 0 };

	if ((val_is(in, VAL_INT) && in->u.i > 0) ||
	    (text && ipnet_all_digits(in->u.s.ptr))) {
		/* an integer: IPv4 unless too big or version 6 asks */
		if (text)
			(void)ipnet_py_int(&n, in->u.s.ptr);
		else
			n.mag = (u128)in->u.i;
		if (n.big)
			return false;
		*v = (struct ipnet){ 6, n.mag, 128 };
		if (version != 6 && n.mag <= ipnet_max(4))
			*v = (struct ipnet){ 4, n.mag, 32 };
		*vtype = VT_ADDRESS;
		*value = ipnet_str(v);
		return true;
	}
	if (!text)
		return false;
	if (ipnet_parse(v, in)) {
		*vtype = strchr(in->u.s.ptr, '/') ? VT_NETWORK : VT_ADDRESS;
		*value = val_ref((struct val *)in);
		return true;
	}
	if (!ipnet_parse_numeric(v, in->u.s.ptr))
		return false;
	*vtype = VT_NETWORK;
	*value = ipnet_str(v);
	return true;
}

/* Python's truth of one item of ipaddr's value: not "", 0, None, true. */
bool ipnet_worth(const struct val *value)
{
	return truth_python(value) && !val_is(value, VAL_BOOL);
}

/* The address alone (v.ip) is inside network/prefix. */
bool ipnet_addr_in(const struct ipnet *v, int version, u128 net,
		       int prefixlen)
{
	struct ipnet a = { version, v->value, prefixlen };

	return v->version == version && ipnet_first(&a) == net;
}

bool ipnet_is_loopback(const struct ipnet *v)
{
	return v->version == 4 ? (v->value >> 24) == 127 : v->value == 1;
}

/* IPNetwork in IPNetwork: v's whole range inside net/prefixlen. */
bool ipnet_net_in(const struct ipnet *v, int version, u128 net,
		      int prefixlen)
{
	struct ipnet n = { version, net, prefixlen };

	return v->version == version && ipnet_first(v) >= ipnet_first(&n) &&
	       ipnet_last(v) <= ipnet_last(&n);
}

bool ipnet_is_multicast(const struct ipnet *v)
{
	return ipnet_net_in(v, 4, (u128)0xe0000000u, 4) ||
	       ipnet_net_in(v, 6, (u128)0xff << 120, 8);
}

/*
 * netaddr's is_private() of a network (a /32 address included):
 * IPV4_PRIVATE and IPV6_PRIVATE, then link-local. 239.0.0.0/8 is an
 * IPRange there, whose test of a network wants its end past the start
 * of the next network, which leaves out 239.255.255.254 and .255;
 * IPAddress.is_private() (addr) tests the address alone.
 */
bool ipnet_is_private(const struct ipnet *v, bool addr)
{
	static const struct {
		int version, prefixlen;
		u128 net;
	} nets[] = {
		{ 4, 8, 0x0a000000u },	 { 4, 10, 0x64400000u },
		{ 4, 12, 0xac100000u },	 { 4, 24, 0xc0000000u },
		{ 4, 16, 0xc0a80000u },	 { 4, 15, 0xc6120000u },
		{ 4, 16, 0xa9fe0000u },	 { 6, 7, (u128)0xfc00 << 112 },
		{ 6, 10, (u128)0xfec0 << 112 }, { 6, 10, (u128)0xfe80 << 112 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(nets); i++)
		if (ipnet_net_in(v, nets[i].version, nets[i].net,
			      nets[i].prefixlen))
			return true;
	if (addr)
		return v->version == 4 && (v->value >> 24) == 0xef;
	return v->version == 4 && ipnet_first(v) >= 0xef000000u &&
	       0xefffffffu > ipnet_last(v) + 1;
}

/* IPAddress.is_netmask() / is_hostmask(). */
bool ipnet_is_mask(const struct ipnet *v)
{
	int p;

	return ipnet_mask_prefix(v->version, v->value, &p);
}

/* _public_query of the address alone, as an IPv4 /32 or IPv6 /128. */
bool ipnet_is_public(const struct ipnet *a)
{
	return !ipnet_is_multicast(a) && !ipnet_is_private(a, true) &&
	       !ipnet_is_loopback(a) && !ipnet_is_mask(a);
}

/*
 * The query argument as the filters read it: a string, a number, a
 * bool or None as Python's str() writes it ("None" is no query, and
 * fails as one), absent as "". *out is a new reference.
 */
int ipnet_query_arg(struct val **out, const struct targs *a, size_t i,
			const char *name, const char *alias)
{
	struct val *q = targs_get(a, i, name);

	if (!q) {
		*out = val_str("");
		return 0;
	}
	if (val_is(q, VAL_LIST) || val_is(q, VAL_DICT))
		return tend_error_set("%s: the %s must be a string, not %s",
				      alias, name, template_type_name(q));
	*out = template_str_of(q);
	return 0;
}
