#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <arpa/inet.h>

/*
 * The network filters of the ansible.utils collection (2.10, the one in
 * Debian 12's ansible): ipaddr, ipv4, ipv6, ipwrap, ipmath, nthhost,
 * next_nth_usable, previous_nth_usable, network_in_network and
 * network_in_usable. They stand on Python's netaddr 0.8, whose reading
 * and printing is repeated here with its quirks, since playbooks see
 * them: addresses are read by libc's inet_pton (as Python's socket does
 * for netaddr), a short IPv4 network such as "10/8" is padded with
 * zeros, a prefix may be a netmask or a hostmask and is read by Python's
 * int(); results that are an address come from libc's inet_ntop, which
 * prints as netaddr does. No Debian C library reads addresses the way
 * netaddr does, so this file does, on glibc's two calls.
 *
 * Not repeated: the warning Ansible prints for an empty or true value,
 * and digits outside ASCII. An integer past 2^63 (the size of an IPv6
 * network, the integer of an IPv6 address) is given as its decimal
 * text, which prints as Python's int does.
 */

typedef unsigned __int128 u128;

/* netaddr's IPNetwork: an address, its host bits kept, and a prefix. */
struct ipnet {
	int version; /* 4 or 6 */
	u128 value;
	int prefixlen;
};

static int ip_width(int version)
{
	return version == 4 ? 32 : 128;
}

static u128 ip_max(int version)
{
	return version == 4 ? (u128)0xffffffffu : ~(u128)0;
}

/* The host bits of a network of this prefix (its size less one). */
static u128 ip_hostmask_of(int version, int prefixlen)
{
	int bits = ip_width(version) - prefixlen;

	return bits >= 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
}

static u128 ip_hostmask(const struct ipnet *v)
{
	return ip_hostmask_of(v->version, v->prefixlen);
}

static u128 ip_netmask(const struct ipnet *v)
{
	return ip_max(v->version) ^ ip_hostmask(v);
}

static u128 ip_first(const struct ipnet *v)
{
	return v->value & ip_netmask(v);
}

static u128 ip_last(const struct ipnet *v)
{
	return v->value | ip_hostmask(v);
}

/* netaddr 0.8 gives an IPv4 /31 or /32 no broadcast address. */
static bool ip_has_broadcast(const struct ipnet *v)
{
	return v->version == 6 || v->prefixlen < 31;
}

/* str(IPAddress(n, version)), into text[INET6_ADDRSTRLEN]. */
static const char *ip_text(char *text, int version, u128 n)
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
static struct val *ip_auto_str(u128 n)
{
	char text[INET6_ADDRSTRLEN];

	return val_str(ip_text(text, n <= 0xffffffffu ? 4 : 6, n));
}

static struct val *ip_addr_str(int version, u128 n)
{
	char text[INET6_ADDRSTRLEN];

	return val_str(ip_text(text, version, n));
}

/* "address/prefix", or "address<sep>address" when mask is set. */
static struct val *ip_pair_str(int version, u128 a, const char *sep, u128 b,
			       bool mask)
{
	char t1[INET6_ADDRSTRLEN], t2[INET6_ADDRSTRLEN];

	if (!mask)
		return val_strf("%s%s%llu", ip_text(t1, version, a), sep,
				(unsigned long long)b);
	return val_strf("%s%s%s", ip_text(t1, version, a), sep,
			ip_text(t2, version, b));
}

/* str(IPNetwork): the address with its host bits, then the prefix. */
static struct val *ip_net_str(const struct ipnet *v)
{
	return ip_pair_str(v->version, v->value, "/", (u128)v->prefixlen,
			   false);
}

static bool py_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* A Python integer read from text: its sign and size, or "too big". */
struct pyint {
	bool neg, big;
	u128 mag;
};

/*
 * Python's int(s): whitespace around, a sign, ASCII digits with single
 * underscores between them. Digits past 2^128 set big.
 */
static bool py_int(struct pyint *out, const char *s)
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
		if (out->mag > (~(u128)0 - 9) / 10)
			out->big = true;
		out->mag = out->mag * 10 + (u128)(*p - '0');
		digit = true;
	}
	while (py_space(*p))
		p++;
	return digit && !*p;
}

/* The int in [0, max], else false (negative zero counts as zero). */
static bool py_int_in(const struct pyint *n, u128 max)
{
	return !n->big && (!n->neg || !n->mag) && n->mag <= max;
}

/* str.isdigit() for ASCII: not empty, every byte a digit. */
static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Python's float(s) succeeds (decimal, inf, nan; no hex). */
static bool py_float_ok(const char *s)
{
	struct pyint n;
	struct buf b = BUF_INIT;
	char *end;
	bool ok;

	if (py_int(&n, s))
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
static bool ip_pton(int version, const char *s, u128 *out)
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
		struct pyint n;
		bool ok = py_int(&n, part) && py_int_in(&n, 255);

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
static bool ip_mask_prefix(int version, u128 m, int *out)
{
	int width = ip_width(version);

	for (int p = 0; p <= width; p++)
		if (m == (ip_max(version) ^ ip_hostmask_of(version, p))) {
			*out = p;
			return true;
		}
	for (int p = 0; p <= width; p++)
		if (m == ip_hostmask_of(version, p)) {
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
	struct pyint n;
	u128 mask;
	bool ok;

	ok = ip_pton(version, addr, &out->value) ||
	     (version == 4 && ip4_partial(addr, &out->value));
	free(addr);
	if (!ok)
		return false;
	out->version = version;
	out->prefixlen = ip_width(version);
	if (!slash)
		return true;
	if (py_int(&n, slash + 1)) {
		if (!py_int_in(&n, (u128)ip_width(version)))
			return false;
		out->prefixlen = (int)n.mag;
		return true;
	}
	return ip_pton(version, slash + 1, &mask) &&
	       ip_mask_prefix(version, mask, &out->prefixlen);
}

/* netaddr.IPNetwork(s): IPv4 first, then IPv6. */
static bool ip_parse(struct ipnet *out, const struct val *s)
{
	if (!val_is(s, VAL_STR) || strlen(s->u.s.ptr) != s->u.s.len)
		return false;
	return ip_parse_as(out, 4, s->u.s.ptr) ||
	       ip_parse_as(out, 6, s->u.s.ptr);
}

/* An IPNetwork made of two integers: IPv4 if both fit, else IPv6. */
static bool ip_from_ints(struct ipnet *out, const struct pyint *addr,
			 const struct pyint *prefix)
{
	if (py_int_in(addr, ip_max(4)) &&
	    py_int_in(prefix, 32)) {
		*out = (struct ipnet){ 4, addr->mag, (int)prefix->mag };
		return true;
	}
	if (py_int_in(addr, ip_max(6)) && py_int_in(prefix, 128)) {
		*out = (struct ipnet){ 6, addr->mag, (int)prefix->mag };
		return true;
	}
	return false;
}

/* ipaddr's "numerical CIDR": "167772160/8". */
static bool ip_parse_numeric(struct ipnet *out, const char *s)
{
	const char *slash = strchr(s, '/');
	struct pyint addr, prefix;
	char *a;
	bool ok;

	if (!slash || strchr(slash + 1, '/'))
		return false;
	a = xstrndup(s, (size_t)(slash - s));
	ok = py_int(&addr, a) && py_int(&prefix, slash + 1) &&
	     ip_from_ints(out, &addr, &prefix);
	free(a);
	return ok;
}

enum ip_vtype { VT_ADDRESS, VT_NETWORK };

/* What ipaddr() knows of its value when it runs a query. */
struct ipq {
	struct ipnet v;
	enum ip_vtype vtype;
	struct val *value; /* the value as the query may give it back */
	struct ipnet lookup; /* a query that is a network: cidr_lookup */
	const char *alias;
};

static int ip_not_network(void)
{
	return tend_error_set("Not a network address");
}

/* netaddr's IPAddress() of an integer past the ends of IPv6. */
static int ip_out_of_bounds(void)
{
	return tend_error_set("value out of bounds for an IPv6 address!");
}

static struct val *ip_value(const struct ipq *q)
{
	return val_ref(q->value);
}

static int q_empty(struct val **out, const struct ipq *q)
{
	*out = q->vtype == VT_ADDRESS ? ip_addr_str(q->v.version, q->v.value) :
					ip_net_str(&q->v);
	return 0;
}

/* "address", "ip" */
static int q_address(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;
	u128 h = ip_hostmask(v);

	if (!h || v->value != ip_first(v) || !ip_has_broadcast(v) ||
	    v->version == 6)
		*out = ip_addr_str(v->version, v->value);
	else
		*out = val_null();
	return 0;
}

/* "address/prefix", "gateway", "gw", "host/prefix", "hostnet", "router" */
static int q_address_prefix(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	if (ip_hostmask(v) >= 2 &&
	    (v->value == ip_first(v) || v->value == ip_last(v)))
		*out = val_bool(false);
	else
		*out = ip_net_str(v);
	return 0;
}

static int q_bool(struct val **out, const struct ipq *q)
{
	(void)q;
	*out = val_bool(true);
	return 0;
}

static int q_broadcast(struct val **out, const struct ipq *q)
{
	*out = ip_hostmask(&q->v) >= 2 ?
		       ip_addr_str(q->v.version, ip_last(&q->v)) :
		       val_null();
	return 0;
}

static int q_cidr(struct val **out, const struct ipq *q)
{
	*out = ip_net_str(&q->v);
	return 0;
}

/* IPSet([lookup]) holds v: same version, v inside lookup's network. */
static int q_cidr_lookup(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v, *l = &q->lookup;
	int shift = ip_width(l->version) - l->prefixlen;
	bool in = v->version == l->version && v->prefixlen >= l->prefixlen &&
		  (shift >= 128 ||
		   (ip_first(v) >> shift) == (l->value >> shift));

	*out = in ? ip_value(q) : val_null();
	return 0;
}

/* _first_last: a /31-like network's two ends, else both ends less one. */
static void ip_usable(const struct ipnet *v, u128 *first, u128 *last)
{
	bool two = ip_hostmask(v) == 1;

	*first = ip_first(v) + (two ? 0 : 1);
	*last = ip_last(v) - (two ? 0 : 1);
}

static int q_first_usable(struct val **out, const struct ipq *q)
{
	u128 first, last;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	ip_usable(&q->v, &first, &last);
	*out = ip_hostmask(&q->v) ? ip_auto_str(first) : val_null();
	return 0;
}

static int q_last_usable(struct val **out, const struct ipq *q)
{
	u128 first, last;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	ip_usable(&q->v, &first, &last);
	*out = ip_hostmask(&q->v) ? ip_auto_str(last) : val_null();
	return 0;
}

static int q_range_usable(struct val **out, const struct ipq *q)
{
	char t1[INET6_ADDRSTRLEN], t2[INET6_ADDRSTRLEN];
	u128 first, last;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	if (!ip_hostmask(&q->v)) {
		*out = val_null();
		return 0;
	}
	ip_usable(&q->v, &first, &last);
	*out = val_strf("%s-%s", ip_text(t1, first <= 0xffffffffu ? 4 : 6, first),
			ip_text(t2, last <= 0xffffffffu ? 4 : 6, last));
	return 0;
}

/* next_usable (step 1) and previous_usable (step -1). */
static int ip_step_usable(struct val **out, const struct ipq *q, int step)
{
	u128 first, last, n = q->v.value + (u128)(long long)step;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	if (ip_hostmask(&q->v) &&
	    ((step < 0 && !q->v.value) || (step > 0 && !n)))
		return ip_out_of_bounds();
	ip_usable(&q->v, &first, &last);
	*out = ip_hostmask(&q->v) && n >= first && n <= last ? ip_auto_str(n) :
								val_null();
	return 0;
}

static int q_next_usable(struct val **out, const struct ipq *q)
{
	return ip_step_usable(out, q, 1);
}

static int q_previous_usable(struct val **out, const struct ipq *q)
{
	return ip_step_usable(out, q, -1);
}

static int q_host(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	if (!ip_hostmask(v) || v->value != ip_first(v) || !ip_has_broadcast(v))
		*out = ip_net_str(v);
	else
		*out = val_null();
	return 0;
}

static int q_hostmask(struct val **out, const struct ipq *q)
{
	*out = ip_addr_str(q->v.version, ip_hostmask(&q->v));
	return 0;
}

static void u128_dec(struct buf *b, u128 n)
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
static struct val *ip_int(u128 n)
{
	struct buf b = BUF_INIT;
	struct val *v;

	if (n <= (u128)INT64_MAX)
		return val_int((long long)n);
	u128_dec(&b, n);
	v = val_strn(b.ptr, b.len);
	buf_release(&b);
	return v;
}

static int q_int(struct val **out, const struct ipq *q)
{
	struct buf b = BUF_INIT;

	if (q->vtype == VT_ADDRESS) {
		*out = ip_int(q->v.value);
		return 0;
	}
	u128_dec(&b, q->v.value);
	buf_addf(&b, "/%d", q->v.prefixlen);
	*out = val_strn(b.ptr, b.len);
	buf_release(&b);
	return 0;
}

/* "ip/prefix" (sep "/") and "ip_netmask" (sep " "). */
static int ip_with_mask(struct val **out, const struct ipq *q, bool mask)
{
	const struct ipnet *v = &q->v;
	u128 h = ip_hostmask(v);

	if (h == 1 || (h > 1 && v->value != ip_first(v)))
		*out = mask ? ip_pair_str(v->version, v->value, " ",
					  ip_netmask(v), true) :
			      ip_net_str(v);
	else
		*out = val_null();
	return 0;
}

static int q_ip_prefix(struct val **out, const struct ipq *q)
{
	return ip_with_mask(out, q, false);
}

static int q_ip_netmask(struct val **out, const struct ipq *q)
{
	return ip_with_mask(out, q, true);
}

/* IPNetwork.ipv4(): "a.b.c.d/(prefix - 96)", read back by IPNetwork. */
static int q_ipv4(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;
	u128 n = v->value;

	if (v->version == 4) {
		*out = ip_value(q);
		return 0;
	}
	if (n > 0xffffffffu && n >= 0xffff00000000u && n <= 0xffffffffffffu)
		n -= 0xffff00000000u;
	if (n > 0xffffffffu || v->prefixlen < 96)
		*out = val_bool(false);
	else
		*out = ip_pair_str(4, n, "/", (u128)(v->prefixlen - 96), false);
	return 0;
}

static int q_ipv6(struct val **out, const struct ipq *q)
{
	struct ipnet m = { 6, 0xffff00000000u + q->v.value,
			   q->v.prefixlen + 96 };

	*out = q->v.version == 6 ? ip_value(q) : ip_net_str(&m);
	return 0;
}

/*
 * "v4" and "v6" call the functions of "ipv4" and "ipv6" without the
 * value they need, so in ansible.utils 2.10 they fail.
 */
static int q_v4(struct val **out, const struct ipq *q)
{
	(void)out;
	(void)q;
	return tend_error_set("_ipv4_query() missing 1 required positional "
			      "argument: 'value'");
}

static int q_v6(struct val **out, const struct ipq *q)
{
	(void)out;
	(void)q;
	return tend_error_set("_ipv6_query() missing 1 required positional "
			      "argument: 'value'");
}

/* The address alone (v.ip) is inside network/prefix. */
static bool ip_addr_in(const struct ipnet *v, int version, u128 net,
		       int prefixlen)
{
	struct ipnet a = { version, v->value, prefixlen };

	return v->version == version && ip_first(&a) == net;
}

static int q_link_local(struct val **out, const struct ipq *q)
{
	bool in = ip_addr_in(&q->v, 4, (u128)0xa9fe0000u, 16) ||
		  ip_addr_in(&q->v, 6, (u128)0xfe80 << 112, 10);

	*out = in ? ip_value(q) : val_null();
	return 0;
}

static bool ip_is_loopback(const struct ipnet *v)
{
	return v->version == 4 ? (v->value >> 24) == 127 : v->value == 1;
}

static int q_loopback(struct val **out, const struct ipq *q)
{
	*out = ip_is_loopback(&q->v) ? ip_value(q) : val_null();
	return 0;
}

/* IPNetwork in IPNetwork: v's whole range inside net/prefixlen. */
static bool ip_net_in(const struct ipnet *v, int version, u128 net,
		      int prefixlen)
{
	struct ipnet n = { version, net, prefixlen };

	return v->version == version && ip_first(v) >= ip_first(&n) &&
	       ip_last(v) <= ip_last(&n);
}

static bool ip_is_multicast(const struct ipnet *v)
{
	return ip_net_in(v, 4, (u128)0xe0000000u, 4) ||
	       ip_net_in(v, 6, (u128)0xff << 120, 8);
}

static int q_multicast(struct val **out, const struct ipq *q)
{
	*out = ip_is_multicast(&q->v) ? ip_value(q) : val_null();
	return 0;
}

static int q_unicast(struct val **out, const struct ipq *q)
{
	*out = !ip_is_multicast(&q->v) ? ip_value(q) : val_null();
	return 0;
}

/*
 * netaddr's is_private() of a network (a /32 address included):
 * IPV4_PRIVATE and IPV6_PRIVATE, then link-local. 239.0.0.0/8 is an
 * IPRange there, whose test of a network wants its end past the start
 * of the next network, which leaves out 239.255.255.254 and .255;
 * IPAddress.is_private() (addr) tests the address alone.
 */
static bool ip_is_private(const struct ipnet *v, bool addr)
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
		if (ip_net_in(v, nets[i].version, nets[i].net,
			      nets[i].prefixlen))
			return true;
	if (addr)
		return v->version == 4 && (v->value >> 24) == 0xef;
	return v->version == 4 && ip_first(v) >= 0xef000000u &&
	       0xefffffffu > ip_last(v) + 1;
}

static int q_private(struct val **out, const struct ipq *q)
{
	*out = ip_is_private(&q->v, false) ? ip_value(q) : val_null();
	return 0;
}

/* IPAddress.is_netmask() / is_hostmask(). */
static bool ip_is_mask(const struct ipnet *v)
{
	int p;

	return ip_mask_prefix(v->version, v->value, &p);
}

/* _public_query of the address alone, as an IPv4 /32 or IPv6 /128. */
static bool ip_is_public(const struct ipnet *a)
{
	return !ip_is_multicast(a) && !ip_is_private(a, true) &&
	       !ip_is_loopback(a) && !ip_is_mask(a);
}

static int q_public(struct val **out, const struct ipq *q)
{
	struct ipnet a = { q->v.version, q->v.value, ip_width(q->v.version) };

	*out = ip_is_public(&a) ? ip_value(q) : val_null();
	return 0;
}

static int q_net(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	*out = ip_hostmask(v) && v->value == ip_first(v) ? ip_net_str(v) :
							    val_null();
	return 0;
}

static int q_netmask(struct val **out, const struct ipq *q)
{
	*out = ip_addr_str(q->v.version, ip_netmask(&q->v));
	return 0;
}

static int q_network(struct val **out, const struct ipq *q)
{
	*out = ip_addr_str(q->v.version, ip_first(&q->v));
	return 0;
}

static int q_network_netmask(struct val **out, const struct ipq *q)
{
	*out = ip_pair_str(q->v.version, ip_first(&q->v), " ",
			   ip_netmask(&q->v), true);
	return 0;
}

static int q_network_wildcard(struct val **out, const struct ipq *q)
{
	*out = ip_pair_str(q->v.version, ip_first(&q->v), " ",
			   ip_hostmask(&q->v), true);
	return 0;
}

static int q_peer(struct val **out, const struct ipq *q)
{
	u128 h = ip_hostmask(&q->v), n = q->v.value;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	if (h == 1) {
		*out = ip_auto_str(n ^ 1);
		return 0;
	}
	if (h != 3)
		return tend_error_set("Not a point-to-point network");
	if (n % 4 == 0)
		return tend_error_set("Network address of /30 has no peer");
	if (n % 4 == 3)
		return tend_error_set("Broadcast address of /30 has no peer");
	*out = ip_auto_str(n ^ 3);
	return 0;
}

static int q_prefix(struct val **out, const struct ipq *q)
{
	*out = val_int(q->v.prefixlen);
	return 0;
}

static int q_revdns(struct val **out, const struct ipq *q)
{
	struct buf b = BUF_INIT;
	u128 n = q->v.value;

	if (q->v.version == 4)
		buf_addf(&b, "%u.%u.%u.%u.in-addr.arpa.", (unsigned)(n & 255),
			 (unsigned)(n >> 8 & 255), (unsigned)(n >> 16 & 255),
			 (unsigned)(n >> 24 & 255));
	else {
		for (int i = 0; i < 32; i++, n >>= 4)
			buf_addf(&b, "%x.", (unsigned)(n & 15));
		buf_adds(&b, "ip6.arpa.");
	}
	*out = val_strn(b.ptr, b.len);
	buf_release(&b);
	return 0;
}

static int q_size(struct val **out, const struct ipq *q)
{
	u128 h = ip_hostmask(&q->v);

	*out = h == ~(u128)0 ? val_str("340282366920938463463374607431768211456") :
			       ip_int(h + 1);
	return 0;
}

static int q_size_usable(struct val **out, const struct ipq *q)
{
	u128 h = ip_hostmask(&q->v);

	*out = h <= 1 ? val_int(h ? 2 : 0) : ip_int(h - 1);
	return 0;
}

static int q_subnet(struct val **out, const struct ipq *q)
{
	struct ipnet n = q->v;

	n.value = ip_first(&q->v);
	*out = ip_net_str(&n);
	return 0;
}

static int q_type(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	*out = val_str(!ip_hostmask(v) || v->value != ip_first(v) ? "address" :
								     "network");
	return 0;
}

static int q_version(struct val **out, const struct ipq *q)
{
	*out = val_int(q->v.version);
	return 0;
}

static int q_wrap(struct val **out, const struct ipq *q)
{
	char text[INET6_ADDRSTRLEN];

	if (q->v.version == 4)
		*out = ip_value(q);
	else if (q->vtype == VT_ADDRESS)
		*out = val_strf("[%s]", ip_text(text, 6, q->v.value));
	else
		*out = val_strf("[%s]/%d", ip_text(text, 6, q->v.value),
				q->v.prefixlen);
	return 0;
}

static int ipaddr_of(struct val **out, const struct val *value,
		     const char *query, int version, const char *alias);

/* 6to4: a public or private IPv4 address as its 2002::/48 network. */
static int q_6to4(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;
	struct ipnet a = { 4, v->value, 32 }, six = { 6, v->value, 128 };
	u128 n = v->value;

	*out = val_bool(false);
	if (v->version == 4) {
		if (ip_hostmask(v) && v->value == ip_first(v))
			return 0;
		if (ip_is_public(&a) || ip_is_private(&a, false)) {
			val_unref(*out);
			*out = val_strf("2002:%02x%02x:%02x%02x::1/48",
					(unsigned)(n >> 24 & 255),
					(unsigned)(n >> 16 & 255),
					(unsigned)(n >> 8 & 255),
					(unsigned)(n & 255));
		}
		return 0;
	}
	if (q->vtype == VT_ADDRESS ?
		    ip_net_in(v, 6, (u128)0x2002 << 112, 16) :
		    (v->value != ip_first(v) &&
		     ip_net_in(&six, 6, (u128)0x2002 << 112, 16))) {
		val_unref(*out);
		*out = ip_value(q);
	}
	return 0;
}

typedef int (*ip_query_fn)(struct val **out, const struct ipq *q);

/* ipaddr's queries, sorted by name (strcmp order). */
static const struct ip_query {
	const char *name;
	ip_query_fn fn;
} ip_queries[] = {
	{ "", q_empty },
	{ "6to4", q_6to4 },
	{ "address", q_address },
	{ "address/prefix", q_address_prefix },
	{ "bool", q_bool },
	{ "broadcast", q_broadcast },
	{ "cidr", q_cidr },
	{ "first_usable", q_first_usable },
	{ "gateway", q_address_prefix },
	{ "gw", q_address_prefix },
	{ "host", q_host },
	{ "host/prefix", q_address_prefix },
	{ "hostmask", q_hostmask },
	{ "hostnet", q_address_prefix },
	{ "int", q_int },
	{ "ip", q_address },
	{ "ip/prefix", q_ip_prefix },
	{ "ip_netmask", q_ip_netmask },
	{ "ipv4", q_ipv4 },
	{ "ipv6", q_ipv6 },
	{ "last_usable", q_last_usable },
	{ "link-local", q_link_local },
	{ "lo", q_loopback },
	{ "loopback", q_loopback },
	{ "multicast", q_multicast },
	{ "net", q_net },
	{ "netmask", q_netmask },
	{ "network", q_network },
	{ "network/prefix", q_subnet },
	{ "network_id", q_network },
	{ "network_netmask", q_network_netmask },
	{ "network_wildcard", q_network_wildcard },
	{ "next_usable", q_next_usable },
	{ "peer", q_peer },
	{ "prefix", q_prefix },
	{ "previous_usable", q_previous_usable },
	{ "private", q_private },
	{ "public", q_public },
	{ "range_usable", q_range_usable },
	{ "revdns", q_revdns },
	{ "router", q_address_prefix },
	{ "size", q_size },
	{ "size_usable", q_size_usable },
	{ "subnet", q_subnet },
	{ "type", q_type },
	{ "unicast", q_unicast },
	{ "v4", q_v4 },
	{ "v6", q_v6 },
	{ "version", q_version },
	{ "wildcard", q_hostmask },
	{ "wrap", q_wrap },
};

static int cmp_query(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ip_query *)elem)->name);
}

static const struct ip_query *ip_query_find(const char *name)
{
	return bsearch(name, ip_queries, ARRAY_SIZE(ip_queries),
		       sizeof(ip_queries[0]), cmp_query);
}

/*
 * A query that is no name but a number: the address of that index in
 * the network ("-1" the last), with its prefix; false when there is
 * none or the number is not an integer ("1e3").
 */
/* A query that is a network: is the value inside it? */
static const struct ip_query cidr_lookup = { "cidr_lookup", q_cidr_lookup };

static int ip_index(struct val **out, const struct ipq *q, const char *query)
{
	const struct ipnet *v = &q->v;
	u128 h = ip_hostmask(v), at;
	struct pyint n;

	if (!py_float_ok(query))
		return tend_error_set("%s: unknown filter type: %s", q->alias,
				      query);
	if (!h)
		return q_empty(out, q);
	if (!py_int(&n, query) || n.big ||
	    (n.neg && n.mag ? n.mag - 1 > h : n.mag > h)) {
		*out = val_bool(false);
		return 0;
	}
	at = n.neg && n.mag ? ip_last(v) - (n.mag - 1) : ip_first(v) + n.mag;
	*out = ip_pair_str(v->version, at, "/", (u128)v->prefixlen, false);
	return 0;
}

/* What ipaddr() makes of a value that is not a list; false if nothing. */
static bool ip_read(struct ipq *q, const struct val *value, int version)
{
	bool text = val_is(value, VAL_STR);
	struct pyint n = { 0 };

	if ((val_is(value, VAL_INT) && value->u.i > 0) ||
	    (text && all_digits(value->u.s.ptr))) {
		/* an integer: IPv4 unless too big or version 6 asks */
		if (text)
			(void)py_int(&n, value->u.s.ptr);
		else
			n.mag = (u128)value->u.i;
		if (n.big)
			return false;
		q->v = (struct ipnet){ 6, n.mag, 128 };
		if (version != 6 && n.mag <= ip_max(4))
			q->v = (struct ipnet){ 4, n.mag, 32 };
		q->vtype = VT_ADDRESS;
		q->value = ip_net_str(&q->v);
		return true;
	}
	if (!text)
		return false;
	if (ip_parse(&q->v, value)) {
		q->vtype = strchr(value->u.s.ptr, '/') ? VT_NETWORK : VT_ADDRESS;
		q->value = val_ref((struct val *)value);
		return true;
	}
	if (!ip_parse_numeric(&q->v, value->u.s.ptr))
		return false;
	q->vtype = VT_NETWORK;
	q->value = ip_net_str(&q->v);
	return true;
}

/* Python's truth of one item of ipaddr's value: not "", 0, None, true. */
static bool ip_worth(const struct val *value)
{
	return truth_python(value) && !val_is(value, VAL_BOOL);
}

/*
 * ansible.utils' ipaddr(value, query, version): a list gives the list of
 * its items' true results; a value that is not an address or network
 * gives false. *out is a new reference; errors name `alias`.
 */
static int ipaddr_of(struct val **out, const struct val *value,
		     const char *query, int version, const char *alias)
{
	const struct ip_query *fn;
	struct ipq q = { .alias = alias };
	struct val *qv;
	int error;

	if (val_is(value, VAL_LIST)) {
		*out = val_list();
		for (size_t i = 0; i < val_len(value); i++) {
			struct val *r;

			if ((error = ipaddr_of(&r, val_list_at(value, i), query,
					       version, alias)) < 0) {
				val_unref(*out);
				*out = NULL;
				return error;
			}
			if (truth_python(r))
				val_list_push(*out, r);
			else
				val_unref(r);
		}
		return 0;
	}
	*out = val_bool(false);
	if (!ip_worth(value) || !ip_read(&q, value, version))
		return 0;
	fn = ip_query_find(query);
	if (*query && !fn && !all_digits(query)) {
		qv = val_str(query);
		if (ip_parse(&q.lookup, qv))
			fn = &cidr_lookup;
		val_unref(qv);
	}
	if (version && q.v.version != version) {
		val_unref(q.value);
		return 0;
	}
	val_unref(*out);
	error = fn ? fn->fn(out, &q) : ip_index(out, &q, query);
	if (error < 0)
		*out = NULL;
	val_unref(q.value);
	return error;
}

/* The value types the wrappers of ipaddr, ipv4 and ipv6 let through. */
static int ip_check_value(const struct val *in, const char *alias, bool ints)
{
	if (val_is(in, VAL_STR) || val_is(in, VAL_LIST) ||
	    val_is(in, VAL_BOOL) || (ints && val_is(in, VAL_INT)))
		return 0;
	return tend_error_set("Unrecognized type <<class '%s'>> for %s filter "
			      "<value>", template_type_name(in), alias);
}

/*
 * The query argument as the filters read it: a string, a number, a
 * bool or None as Python's str() writes it ("None" is no query, and
 * fails as one), absent as "". *out is a new reference.
 */
static int ip_query_arg(struct val **out, const struct targs *a, size_t i,
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

/* ipaddr, ipv4 and ipv6. */
static int ip_filter(struct val **out, struct val *in, const struct targs *a,
		     int version, const char *alias)
{
	long long v = version;
	struct val *query;
	int error;

	if ((error = ip_check_value(in, alias, true)) < 0 ||
	    (!version &&
	     (error = targs_int(&v, a, 1, "version", 0, alias)) < 0) ||
	    (error = ip_query_arg(&query, a, 0, "query", alias)) < 0)
		return error;
	error = ipaddr_of(out, in, query->u.s.ptr, (int)v, alias);
	val_unref(query);
	return error;
}

static int f_ipaddr(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)c;
	return ip_filter(out, in, a, 0, "ipaddr");
}

static int f_ipv4(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)c;
	return ip_filter(out, in, a, 4, "ipv4");
}

static int f_ipv6(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)c;
	return ip_filter(out, in, a, 6, "ipv6");
}

/* ipwrap of one item: its query's result wrapped (an IPv6 in []). */
static int ipwrap_one(struct val **out, struct val *in, const char *query,
		      bool list)
{
	struct val *r;
	int error;

	if ((error = ipaddr_of(&r, in, query, 0, "ipwrap")) < 0)
		return error;
	if (!truth_python(r)) {
		val_unref(r);
		*out = val_ref(in);
		return 0;
	}
	error = ipaddr_of(out, list ? in : r, "wrap", 0, "ipwrap");
	val_unref(r);
	return error;
}

/*
 * ipwrap: a list wraps each item its query finds (the item, not the
 * query's result); a single value wraps the query's result. Any error
 * gives the value back unchanged, as the Python catches everything. The
 * query is read by keyword only: the wrapper drops positional ones.
 */
static int f_ipwrap(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *query, *r = NULL;
	int error;

	(void)c;
	if ((error = ip_check_value(in, "ipwrap", false)) < 0 ||
	    (error = ip_query_arg(&query, a, SIZE_MAX, "query", "ipwrap")) < 0)
		return error;
	if (!val_is(in, VAL_LIST))
		error = ipwrap_one(&r, in, query->u.s.ptr, false);
	else
		for (size_t i = 0; i < val_len(in) && error >= 0; i++) {
			struct val *w;

			r = r ? r : val_list();
			error = ipwrap_one(&w, val_list_at(in, i),
					   query->u.s.ptr, true);
			if (error >= 0)
				val_list_push(r, w);
		}
	val_unref(query);
	if (error < 0 || !r) {
		tend_error_clear();
		val_unref(r);
		r = val_ref(in);
	}
	*out = r;
	return 0;
}

/*
 * The `value` argument of the filters whose spec says str: a string, or
 * a number or bool as Python's str() writes it. *out is a new reference.
 */
static int ip_str_value(struct val **out, const struct val *in,
			const char *alias)
{
	if (val_is(in, VAL_LIST) || val_is(in, VAL_DICT) ||
	    val_is(in, VAL_NULL))
		return tend_error_set("%s: the value must be a string, not %s",
				      alias, template_type_name(in));
	*out = template_str_of(in);
	return 0;
}

/* An integer argument the spec converts: an int, or text int() reads. */
static bool ip_int_arg(long long *out, const struct val *v, bool bools)
{
	struct pyint n;

	if (val_is(v, VAL_INT) || (bools && val_is(v, VAL_BOOL))) {
		*out = val_is(v, VAL_INT) ? v->u.i : v->u.b;
		return true;
	}
	if (!val_is(v, VAL_STR) || !py_int(&n, v->u.s.ptr) || n.big ||
	    n.mag > (u128)INT64_MAX)
		return false;
	*out = n.neg ? -(long long)n.mag : (long long)n.mag;
	return true;
}

/* n + by, in the address space of version; false past either end. */
static bool ip_add(u128 *out, int version, u128 n, long long by)
{
	u128 step = by < 0 ? (u128)0 - (u128)by : (u128)by;

	if (by < 0 ? step > n : step > ip_max(version) - n)
		return false;
	*out = by < 0 ? n - step : n + step;
	return true;
}

/*
 * ipmath(value, amount): the address plus amount. The address is read
 * as netaddr's IPAddress() reads it (libc's inet_aton for IPv4: "10",
 * "0x10.1", trailing words), or as a network's address.
 */
static int f_ipmath(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *s, *amount = targs_get(a, 0, "amount");
	struct ipnet v = { 0 };
	struct in_addr ina;
	long long by;
	u128 n;
	bool ok;
	int error;

	(void)c;
	if ((error = ip_str_value(&s, in, "ipmath")) < 0)
		return error;
	if (strchr(s->u.s.ptr, '/'))
		ok = ip_parse(&v, s);
	else if (strlen(s->u.s.ptr) != s->u.s.len)
		ok = false;
	else if (inet_aton(s->u.s.ptr, &ina)) {
		v = (struct ipnet){ 4, ntohl(ina.s_addr), 32 };
		ok = true;
	} else
		ok = ip_pton(6, s->u.s.ptr, &v.value) && (v.version = 6);
	if (!ok)
		error = tend_error_set("You must pass a valid IP address; %s is "
				       "invalid", s->u.s.ptr);
	else if (!amount || !ip_int_arg(&by, amount, true))
		error = tend_error_set("You must pass an integer for "
				       "arithmetic; %s is not a valid integer",
				       amount ? val_cstr(amount) : "None");
	else if (!ip_add(&n, v.version, v.value, by))
		error = tend_error_set("result outside valid IP address "
				       "boundary!");
	else
		*out = ip_addr_str(v.version, n);
	val_unref(s);
	return error;
}

/*
 * The network a value names, as ipaddr(value, 'cidr' or 'subnet') gives
 * it to nthhost and the *_nth_usable filters; false if none.
 */
static int ip_network_of(bool *found, struct ipnet *out, struct val *in,
			 const char *alias)
{
	struct ipq q = { .alias = alias };
	struct val *s;
	int error;

	if ((error = ip_str_value(&s, in, alias)) < 0)
		return error;
	*out = (struct ipnet){ 4, 0, 32 };
	*found = ip_worth(s) && ip_read(&q, s, 0);
	if (*found) {
		*out = q.v;
		val_unref(q.value);
	}
	val_unref(s);
	return 0;
}

/* nthhost(value, query): the address at index query of the network. */
static int f_nthhost(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *query;
	struct ipnet v;
	struct pyint n;
	bool found;
	u128 h;
	int error;

	(void)c;
	if ((error = ip_network_of(&found, &v, in, "nthhost")) < 0 ||
	    (error = ip_query_arg(&query, a, 0, "query", "nthhost")) < 0)
		return error;
	found = found && py_int(&n, query->u.s.ptr) && !n.big;
	val_unref(query);
	h = found ? ip_hostmask(&v) : 0;
	if (found && n.neg && n.mag && n.mag - 1 > h)
		return tend_error_set("index out range for address range "
				      "size!");
	if (!found || (!n.neg && n.mag > h)) {
		*out = val_bool(false);
		return 0;
	}
	*out = ip_addr_str(v.version, n.neg && n.mag ?
					      ip_last(&v) - (n.mag - 1) :
					      ip_first(&v) + n.mag);
	return 0;
}

/* next_nth_usable and previous_nth_usable: sign 1 and -1. */
static int ip_nth_usable(struct val **out, struct val *in,
			 const struct targs *a, int sign, const char *alias)
{
	struct val *offset = targs_get(a, 0, "offset");
	struct ipnet v;
	long long by;
	u128 first, last, n;
	bool found;
	int error;

	if ((error = ip_network_of(&found, &v, in, alias)) < 0)
		return error;
	if (!found) {
		*out = val_bool(false);
		return 0;
	}
	if (!offset || !ip_int_arg(&by, offset, false))
		return tend_error_set("Must pass in an integer");
	if (ip_hostmask(&v) &&
	    (by == LLONG_MIN || !ip_add(&n, 6, v.value, sign * by)))
		return ip_out_of_bounds();
	ip_usable(&v, &first, &last);
	*out = ip_hostmask(&v) && n >= first && n <= last ? ip_auto_str(n) :
							    val_null();
	return 0;
}

static int f_next_nth_usable(struct val **out, struct val *in,
			     const struct targs *a, struct tctx *c)
{
	(void)c;
	return ip_nth_usable(out, in, a, 1, "next_nth_usable");
}

static int f_previous_nth_usable(struct val **out, struct val *in,
				 const struct targs *a, struct tctx *c)
{
	(void)c;
	return ip_nth_usable(out, in, a, -1, "previous_nth_usable");
}

/*
 * The integer ends network_in_network (usable false) and
 * network_in_usable (true) compare: each is what the Python's chain of
 * ipaddr() calls gives, 0 (False) for a value that is no network; the
 * last of a network without a broadcast (a /31, any IPv6 /127) is its
 * first, as `broadcast or address` yields.
 */
static void ip_span(u128 *first, u128 *last, const struct ipnet *v,
		    bool found, bool usable)
{
	u128 h = found ? ip_hostmask(v) : 0;

	*first = *last = 0;
	if (!found)
		return;
	*first = ip_first(v);
	*last = h >= 2 ? ip_last(v) : *first;
	if (usable && h >= 1)
		ip_usable(v, first, last);
}

/* network_in_network and network_in_usable. */
static int ip_in_network(struct val **out, struct val *in,
			 const struct targs *a, bool usable, const char *alias)
{
	struct val *test = targs_get(a, 0, "test");
	struct ipnet v, w;
	bool vf, wf;
	u128 v1, v2, w1, w2;
	int error;

	if (!test)
		return tend_error_set("%s: missing required argument: test",
				      alias);
	if ((error = ip_network_of(&vf, &v, in, alias)) < 0 ||
	    (error = ip_network_of(&wf, &w, test, alias)) < 0)
		return error;
	ip_span(&v1, &v2, &v, vf, usable);
	ip_span(&w1, &w2, &w, wf, false);
	*out = val_bool(w1 >= v1 && w1 <= v2 && w2 >= v1 && w2 <= v2);
	return 0;
}

static int f_network_in_network(struct val **out, struct val *in,
				const struct targs *a, struct tctx *c)
{
	(void)c;
	return ip_in_network(out, in, a, false, "network_in_network");
}

static int f_network_in_usable(struct val **out, struct val *in,
			       const struct targs *a, struct tctx *c)
{
	(void)c;
	return ip_in_network(out, in, a, true, "network_in_usable");
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "ipaddr", f_ipaddr, 0 },
	{ "ipmath", f_ipmath, 0 },
	{ "ipv4", f_ipv4, 0 },
	{ "ipv6", f_ipv6, 0 },
	{ "ipwrap", f_ipwrap, 0 },
	{ "network_in_network", f_network_in_network, 0 },
	{ "network_in_usable", f_network_in_usable, 0 },
	{ "next_nth_usable", f_next_nth_usable, 0 },
	{ "nthhost", f_nthhost, 0 },
	{ "previous_nth_usable", f_previous_nth_usable, 0 },
};

const struct filter_family filter_ip_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
