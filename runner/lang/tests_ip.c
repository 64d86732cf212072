#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/ipnet_int.h"
#include "tend/data/val.h"

#include <arpa/inet.h>
#include <ctype.h>

/*
 * The network tests of the ansible.utils collection (`x is
 * ansible.utils.ipv4`, `ip is ansible.utils.in_network net` ...). Unlike
 * its filters (netaddr), they read addresses with Python's ipaddress
 * module, as Debian 12's Python 3.11 has it: dotted quads and IPv6 as
 * libc's inet_pton reads them (an IPv6 zone "%eth0" allowed), a prefix
 * of ASCII digits (an IPv4 one may also be a netmask or a hostmask), a
 * network without host bits set; is_private and is_global from that
 * Python's tables. Every test is false for what is no address, as the
 * collection catches every error. `resolvable` (DNS) and `validate`
 * (jsonschema) are not here.
 */

/* ipaddress.ip_address(s) into *a (its prefix the full width). */
static bool py_address(struct ipnet *a, const char *s)
{
	const char *zone = strchr(s, '%');
	char *addr;
	bool ok;

	if (ipnet_pton(4, s, &a->value)) {
		*a = (struct ipnet){ 4, a->value, 32 };
		return true;
	}
	if (zone && (!zone[1] || strchr(zone + 1, '%')))
		return false;
	addr = zone ? xstrndup(s, (size_t)(zone - s)) : xstrdup(s);
	ok = ipnet_pton(6, addr, &a->value);
	free(addr);
	a->version = 6;
	a->prefixlen = 128;
	return ok;
}

/*
 * _prefix_from_prefix_string: ASCII digits only (leading zeros allowed)
 * read as a number; over `max` is false.
 */
static bool prefix_digits(int *out, const char *s, int max)
{
	long n = 0;

	if (!ipnet_all_digits(s))
		return false;
	for (; *s; s++)
		if ((n = n * 10 + (*s - '0')) > max)
			return false;
	*out = (int)n;
	return true;
}

/*
 * ipaddress.ip_network(s) (strict): address, then /prefix (an IPv4
 * netmask or hostmask too); host bits set is an error.
 */
static bool py_network(struct ipnet *n, const char *s)
{
	const char *slash = strchr(s, '/');
	char *addr = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
	u128 mask;
	bool ok = py_address(n, addr);

	free(addr);
	if (!ok || (slash && strchr(slash + 1, '/')))
		return false;
	if (slash && ipnet_all_digits(slash + 1)) {
		if (!prefix_digits(&n->prefixlen, slash + 1,
				   ipnet_width(n->version)))
			return false;
	} else if (slash) {
		if (n->version != 4 || !ipnet_pton(4, slash + 1, &mask) ||
		    !ipnet_mask_prefix(4, mask, &n->prefixlen))
			return false;
	}
	return (n->value & ipnet_hostmask(n)) == 0;
}

/*
 * ip_address(in) (is_net false) or ip_network(in): read, and of what.
 * Only a string is read: the collection checks its argument against its
 * spec but passes on the value as it was, which ipaddress refuses.
 */
static bool read_in(struct ipnet *a, const struct val *in, bool is_net)
{
	return val_is(in, VAL_STR) && strlen(in->u.s.ptr) == in->u.s.len &&
	       (is_net ? py_network(a, in->u.s.ptr) :
			 py_address(a, in->u.s.ptr));
}

static int t_ip(bool *out, struct val *in, const struct targs *a,
		struct tctx *c)
{
	struct ipnet n;

	(void)a;
	(void)c;
	*out = read_in(&n, in, true);
	return 0;
}

static int t_ipv4(bool *out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	struct ipnet n;

	(void)a;
	(void)c;
	*out = read_in(&n, in, true) && n.version == 4;
	return 0;
}

static int t_ipv6(bool *out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	struct ipnet n;

	(void)a;
	(void)c;
	*out = read_in(&n, in, true) && n.version == 6;
	return 0;
}

static int t_ip_address(bool *out, struct val *in, const struct targs *a,
			struct tctx *c)
{
	struct ipnet n;

	(void)a;
	(void)c;
	*out = read_in(&n, in, false);
	return 0;
}

static int t_ipv4_address(bool *out, struct val *in, const struct targs *a,
			  struct tctx *c)
{
	struct ipnet n;

	(void)a;
	(void)c;
	*out = read_in(&n, in, false) && n.version == 4;
	return 0;
}

static int t_ipv6_address(bool *out, struct val *in, const struct targs *a,
			  struct tctx *c)
{
	struct ipnet n;

	(void)a;
	(void)c;
	*out = read_in(&n, in, false) && n.version == 6;
	return 0;
}

/*
 * ipv4_netmask / ipv4_hostmask: "10.0.0.0/<in>" is a network whose
 * netmask (hostmask) prints as `in` itself.
 */
static bool mask_test(const struct val *in, bool host)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;
	char text[INET6_ADDRSTRLEN];
	struct ipnet n;
	bool ok;

	/* "10.0.0.0/{mask}".format(mask=in): any value, as Python's str() */
	buf_addf(&b, "10.0.0.0/%s", s->u.s.ptr);
	ok = strlen(s->u.s.ptr) == s->u.s.len && py_network(&n, b.ptr) &&
	     !strcmp(ipnet_text(text, 4, host ? ipnet_hostmask(&n) :
						ipnet_netmask(&n)),
		     s->u.s.ptr);
	buf_release(&b);
	val_unref(s);
	return ok;
}

static int t_ipv4_netmask(bool *out, struct val *in, const struct targs *a,
			  struct tctx *c)
{
	(void)a;
	(void)c;
	*out = mask_test(in, false);
	return 0;
}

static int t_ipv4_hostmask(bool *out, struct val *in, const struct targs *a,
			   struct tctx *c)
{
	(void)a;
	(void)c;
	*out = mask_test(in, true);
	return 0;
}

/* An IPv6 address whose top bits (past `shift`) are `top`. */
static bool v6_top(const struct val *in, int shift, u128 top)
{
	struct ipnet n;

	return read_in(&n, in, false) && n.version == 6 &&
	       (n.value >> shift) == top;
}

static int t_ipv6_ipv4_mapped(bool *out, struct val *in,
			      const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	*out = v6_top(in, 32, 0xffff);
	return 0;
}

static int t_ipv6_sixtofour(bool *out, struct val *in, const struct targs *a,
			    struct tctx *c)
{
	(void)a;
	(void)c;
	*out = v6_top(in, 112, 0x2002);
	return 0;
}

static int t_ipv6_teredo(bool *out, struct val *in, const struct targs *a,
			 struct tctx *c)
{
	(void)a;
	(void)c;
	*out = v6_top(in, 96, 0x20010000);
	return 0;
}

/* One row of Python's tables: version, network, prefix. */
struct py_net {
	int version, prefixlen;
	u128 net;
};

#define V6(a, b) (((u128)(a) << 112) | ((u128)(b) << 96))

/* Python 3.11 (Debian 12)'s _private_networks and their exceptions. */
static const struct py_net private_nets[] = {
	{ 4, 8, 0x00000000u },	{ 4, 8, 0x0a000000u },	{ 4, 8, 0x7f000000u },
	{ 4, 16, 0xa9fe0000u }, { 4, 12, 0xac100000u }, { 4, 24, 0xc0000000u },
	{ 4, 31, 0xc00000aau }, { 4, 24, 0xc0000200u }, { 4, 16, 0xc0a80000u },
	{ 4, 15, 0xc6120000u }, { 4, 24, 0xc6336400u }, { 4, 24, 0xcb007100u },
	{ 4, 4, 0xf0000000u },	{ 4, 32, 0xffffffffu }, { 6, 128, 1 },
	{ 6, 128, 0 },		{ 6, 96, (u128)0xffff << 32 },
	{ 6, 48, V6(0x64, 0xff9b) | ((u128)1 << 80) },
	{ 6, 64, V6(0x100, 0) }, { 6, 23, V6(0x2001, 0) },
	{ 6, 32, V6(0x2001, 0xdb8) }, { 6, 16, V6(0x2002, 0) },
	{ 6, 7, V6(0xfc00, 0) }, { 6, 10, V6(0xfe80, 0) },
};

static const struct py_net private_exceptions[] = {
	{ 4, 32, 0xc0000009u },
	{ 4, 32, 0xc000000au },
	{ 6, 128, V6(0x2001, 1) | 1 },
	{ 6, 128, V6(0x2001, 1) | 2 },
	{ 6, 32, V6(0x2001, 3) },
	{ 6, 48, V6(0x2001, 4) | ((u128)0x112 << 80) },
	{ 6, 28, V6(0x2001, 0x20) },
	{ 6, 28, V6(0x2001, 0x30) },
};

static bool in_table(const struct ipnet *a, const struct py_net *t,
		     size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ipnet_addr_in(a, t[i].version, t[i].net, t[i].prefixlen))
			return true;
	return false;
}

/* IPv4Address / IPv6Address.is_private (a mapped IPv6 by its IPv4). */
static bool py_is_private(const struct ipnet *a)
{
	struct ipnet m = { 4, a->value & 0xffffffffu, 32 };

	if (a->version == 6 && (a->value >> 32) == 0xffff)
		a = &m;
	return in_table(a, private_nets, ARRAY_SIZE(private_nets)) &&
	       !in_table(a, private_exceptions, ARRAY_SIZE(private_exceptions));
}

enum addr_test {
	AT_PRIVATE,
	AT_PUBLIC,
	AT_LOOPBACK,
	AT_MULTICAST,
	AT_RESERVED,
	AT_UNSPECIFIED,
};

/* ipaddress's is_* properties of an address. */
static bool py_is(const struct ipnet *a, enum addr_test what)
{
	static const struct py_net reserved6[] = {
		{ 6, 8, 0 },		    { 6, 8, V6(0x100, 0) },
		{ 6, 7, V6(0x200, 0) },	    { 6, 6, V6(0x400, 0) },
		{ 6, 5, V6(0x800, 0) },	    { 6, 4, V6(0x1000, 0) },
		{ 6, 3, V6(0x4000, 0) },    { 6, 3, V6(0x6000, 0) },
		{ 6, 3, V6(0x8000, 0) },    { 6, 3, V6(0xa000, 0) },
		{ 6, 3, V6(0xc000, 0) },    { 6, 4, V6(0xe000, 0) },
		{ 6, 5, V6(0xf000, 0) },    { 6, 6, V6(0xf800, 0) },
		{ 6, 9, V6(0xfe00, 0) },
	};
	bool v4 = a->version == 4;

	switch (what) {
	case AT_PRIVATE:
		return py_is_private(a);
	case AT_PUBLIC:
		/* IPv4: 100.64.0.0/10 is neither private nor global */
		return !py_is_private(a) &&
		       !(v4 && ipnet_addr_in(a, 4, 0x64400000u, 10));
	case AT_LOOPBACK:
		return v4 ? ipnet_addr_in(a, 4, 0x7f000000u, 8) : a->value == 1;
	case AT_MULTICAST:
		return v4 ? ipnet_addr_in(a, 4, 0xe0000000u, 4) :
			    ipnet_addr_in(a, 6, V6(0xff00, 0), 8);
	case AT_RESERVED:
		return v4 ? ipnet_addr_in(a, 4, 0xf0000000u, 4) :
			    in_table(a, reserved6, ARRAY_SIZE(reserved6));
	case AT_UNSPECIFIED:
		return a->value == 0;
	}
	return false;
}

static int addr_test(bool *out, const struct val *in, enum addr_test what)
{
	struct ipnet n;

	*out = read_in(&n, in, false) && py_is(&n, what);
	return 0;
}

static int t_private(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	return addr_test(out, in, AT_PRIVATE);
}

static int t_public(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	return addr_test(out, in, AT_PUBLIC);
}

static int t_loopback(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	(void)a;
	(void)c;
	return addr_test(out, in, AT_LOOPBACK);
}

static int t_multicast(bool *out, struct val *in, const struct targs *a,
		       struct tctx *c)
{
	(void)a;
	(void)c;
	return addr_test(out, in, AT_MULTICAST);
}

static int t_reserved(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	(void)a;
	(void)c;
	return addr_test(out, in, AT_RESERVED);
}

static int t_unspecified(bool *out, struct val *in, const struct targs *a,
			 struct tctx *c)
{
	(void)a;
	(void)c;
	return addr_test(out, in, AT_UNSPECIFIED);
}

/* _is_subnet_of(ip_network(a), ip_network(b)), false on any error. */
static bool subnet_of(const struct val *a, const struct val *b)
{
	struct ipnet na, nb;

	return read_in(&na, a, true) && read_in(&nb, b, true) &&
	       ipnet_net_in(&na, nb.version, nb.value, nb.prefixlen);
}

static int need_arg(const struct val **out, const struct targs *a,
		    const char *name, const char *who)
{
	*out = targs_get(a, 0, name);
	if (!*out)
		return tend_error_set("%s: missing required arguments: %s", who,
				      name);
	return 0;
}

static int t_in_network(bool *out, struct val *in, const struct targs *a,
			struct tctx *c)
{
	const struct val *net;
	int error;

	(void)c;
	if ((error = need_arg(&net, a, "network", "in_network")) < 0)
		return error;
	*out = subnet_of(in, net);
	return 0;
}

static int t_subnet_of(bool *out, struct val *in, const struct targs *a,
		       struct tctx *c)
{
	const struct val *b;
	int error;

	(void)c;
	if ((error = need_arg(&b, a, "network_b", "subnet_of")) < 0)
		return error;
	*out = subnet_of(in, b);
	return 0;
}

static int t_supernet_of(bool *out, struct val *in, const struct targs *a,
			 struct tctx *c)
{
	const struct val *b;
	int error;

	(void)c;
	if ((error = need_arg(&b, a, "network_b", "supernet_of")) < 0)
		return error;
	*out = subnet_of(b, in);
	return 0;
}

/*
 * How many of `networks` hold `in`: the items of a list; a string is
 * iterated by character, as the collection does, and no character is a
 * network; a dict fails the spec, and a number fails in Python.
 */
static int count_networks(size_t *out, const struct val *in,
			  const struct targs *a, const char *who)
{
	const struct val *nets;
	int error;

	if ((error = need_arg(&nets, a, "networks", who)) < 0)
		return error;
	*out = 0;
	if (val_is(nets, VAL_LIST)) {
		for (size_t i = 0; i < val_len(nets); i++)
			*out += subnet_of(in, val_list_at(nets, i));
	} else if (val_is(nets, VAL_DICT)) {
		return tend_error_set("argspec validation failed for %s test "
				      "plugin: networks is a dict, which "
				      "cannot be converted to a list", who);
	} else if (!val_is(nets, VAL_STR)) {
		return tend_error_set("'%s' object is not iterable",
				      template_type_name(nets));
	}
	return 0;
}

static int t_in_any_network(bool *out, struct val *in, const struct targs *a,
			    struct tctx *c)
{
	size_t n;
	int error;

	(void)c;
	if ((error = count_networks(&n, in, a, "in_any_network")) < 0)
		return error;
	*out = n > 0;
	return 0;
}

static int t_in_one_network(bool *out, struct val *in, const struct targs *a,
			    struct tctx *c)
{
	size_t n;
	int error;

	(void)c;
	if ((error = count_networks(&n, in, a, "in_one_network")) < 0)
		return error;
	*out = n == 1;
	return 0;
}

static bool hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * mac: six pairs of hex digits joined by ':' or '-' (mixed allowed),
 * three groups of four joined by '.', or twelve digits; as the
 * collection's regex with re.match, a final newline is let through.
 */
static bool is_mac(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n')
		len--;
	if (len == 12)
		return hex_run(s, 12);
	if (len == 14)
		return hex_run(s, 4) && s[4] == '.' && hex_run(s + 5, 4) &&
		       s[9] == '.' && hex_run(s + 10, 4);
	if (len != 17)
		return false;
	for (size_t i = 0; i < 17; i += 3)
		if (!hex_run(s + i, 2) ||
		    (i < 15 && s[i + 2] != ':' && s[i + 2] != '-'))
			return false;
	return true;
}

static int t_mac(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	if (!val_is(in, VAL_STR))
		return tend_error_set("expected string or bytes-like object, "
				      "got '%s'", template_type_name(in));
	*out = is_mac(in->u.s.ptr, in->u.s.len);
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct ttest tests[] = {
	{ "in_any_network", t_in_any_network, 0 },
	{ "in_network", t_in_network, 0 },
	{ "in_one_network", t_in_one_network, 0 },
	{ "ip", t_ip, 0 },
	{ "ip_address", t_ip_address, 0 },
	{ "ipv4", t_ipv4, 0 },
	{ "ipv4_address", t_ipv4_address, 0 },
	{ "ipv4_hostmask", t_ipv4_hostmask, 0 },
	{ "ipv4_netmask", t_ipv4_netmask, 0 },
	{ "ipv6", t_ipv6, 0 },
	{ "ipv6_address", t_ipv6_address, 0 },
	{ "ipv6_ipv4_mapped", t_ipv6_ipv4_mapped, 0 },
	{ "ipv6_sixtofour", t_ipv6_sixtofour, 0 },
	{ "ipv6_teredo", t_ipv6_teredo, 0 },
	{ "loopback", t_loopback, 0 },
	{ "mac", t_mac, 0 },
	{ "multicast", t_multicast, 0 },
	{ "private", t_private, 0 },
	{ "public", t_public, 0 },
	{ "reserved", t_reserved, 0 },
	{ "subnet_of", t_subnet_of, 0 },
	{ "supernet_of", t_supernet_of, 0 },
	{ "unspecified", t_unspecified, 0 },
};

const struct filter_family tests_ip_family = {
	.tests = tests,
	.ntests = ARRAY_SIZE(tests),
};
