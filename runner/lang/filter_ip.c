#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/ipnet_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <arpa/inet.h>

/*
 * The network filters of the ansible.utils collection (2.10, the one in
 * Debian 12's ansible): ipaddr with every query, and ipv4, ipv6 and
 * ipwrap, which call it; filter_iprange.c has the others. They stand on
 * Python's netaddr 0.8, whose readings and printing ipnet.c repeats.
 *
 * Not repeated: the warning Ansible prints for an empty or true value,
 * and digits outside ASCII. An integer past 2^63 (the size of an IPv6
 * network, the integer of an IPv6 address) is given as its decimal
 * text, which prints as Python's int does.
 */

/* What ipaddr() knows of its value when it runs a query. */
struct ipq {
	struct ipnet v;
	enum ipnet_vtype vtype;
	struct val *value; /* the value as the query may give it back */
	struct ipnet lookup; /* a query that is a network: cidr_lookup */
	const char *alias;
};

static int ip_not_network(void)
{
	return tend_error_set("Not a network address");
}

static struct val *ip_value(const struct ipq *q)
{
	return val_ref(q->value);
}

static int q_empty(struct val **out, const struct ipq *q)
{
	*out = q->vtype == VT_ADDRESS ? ipnet_addr_str(q->v.version, q->v.value) :
					ipnet_str(&q->v);
	return 0;
}

/* "address", "ip" */
static int q_address(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;
	u128 h = ipnet_hostmask(v);

	if (!h || v->value != ipnet_first(v) || !ipnet_has_broadcast(v) ||
	    v->version == 6)
		*out = ipnet_addr_str(v->version, v->value);
	else
		*out = val_null();
	return 0;
}

/* "address/prefix", "gateway", "gw", "host/prefix", "hostnet", "router" */
static int q_address_prefix(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	if (ipnet_hostmask(v) >= 2 &&
	    (v->value == ipnet_first(v) || v->value == ipnet_last(v)))
		*out = val_bool(false);
	else
		*out = ipnet_str(v);
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
	*out = ipnet_hostmask(&q->v) >= 2 ?
		       ipnet_addr_str(q->v.version, ipnet_last(&q->v)) :
		       val_null();
	return 0;
}

static int q_cidr(struct val **out, const struct ipq *q)
{
	*out = ipnet_str(&q->v);
	return 0;
}

/* IPSet([lookup]) holds v: same version, v inside lookup's network. */
static int q_cidr_lookup(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v, *l = &q->lookup;
	int shift = ipnet_width(l->version) - l->prefixlen;
	bool in = v->version == l->version && v->prefixlen >= l->prefixlen &&
		  (shift >= 128 ||
		   (ipnet_first(v) >> shift) == (l->value >> shift));

	*out = in ? ip_value(q) : val_null();
	return 0;
}

static int q_first_usable(struct val **out, const struct ipq *q)
{
	u128 first, last;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	ipnet_usable(&q->v, &first, &last);
	*out = ipnet_hostmask(&q->v) ? ipnet_auto_str(first) : val_null();
	return 0;
}

static int q_last_usable(struct val **out, const struct ipq *q)
{
	u128 first, last;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	ipnet_usable(&q->v, &first, &last);
	*out = ipnet_hostmask(&q->v) ? ipnet_auto_str(last) : val_null();
	return 0;
}

static int q_range_usable(struct val **out, const struct ipq *q)
{
	char t1[INET6_ADDRSTRLEN], t2[INET6_ADDRSTRLEN];
	u128 first, last;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	if (!ipnet_hostmask(&q->v)) {
		*out = val_null();
		return 0;
	}
	ipnet_usable(&q->v, &first, &last);
	*out = val_strf("%s-%s", ipnet_text(t1, first <= 0xffffffffu ? 4 : 6, first),
			ipnet_text(t2, last <= 0xffffffffu ? 4 : 6, last));
	return 0;
}

/* next_usable (step 1) and previous_usable (step -1). */
static int ip_step_usable(struct val **out, const struct ipq *q, int step)
{
	u128 first, last, n = q->v.value + (u128)(long long)step;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	if (ipnet_hostmask(&q->v) &&
	    ((step < 0 && !q->v.value) || (step > 0 && !n)))
		return ipnet_out_of_bounds(q->v.value, step);
	ipnet_usable(&q->v, &first, &last);
	*out = ipnet_hostmask(&q->v) && n >= first && n <= last ? ipnet_auto_str(n) :
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

	if (!ipnet_hostmask(v) || v->value != ipnet_first(v) || !ipnet_has_broadcast(v))
		*out = ipnet_str(v);
	else
		*out = val_null();
	return 0;
}

static int q_hostmask(struct val **out, const struct ipq *q)
{
	*out = ipnet_addr_str(q->v.version, ipnet_hostmask(&q->v));
	return 0;
}

static int q_int(struct val **out, const struct ipq *q)
{
	struct buf b = BUF_INIT;

	if (q->vtype == VT_ADDRESS) {
		*out = ipnet_int(q->v.value);
		return 0;
	}
	ipnet_dec(&b, q->v.value);
	buf_addf(&b, "/%d", q->v.prefixlen);
	*out = val_strn(b.ptr, b.len);
	buf_release(&b);
	return 0;
}

/* "ip/prefix" (sep "/") and "ip_netmask" (sep " "). */
static int ip_with_mask(struct val **out, const struct ipq *q, bool mask)
{
	const struct ipnet *v = &q->v;
	u128 h = ipnet_hostmask(v);

	if (h == 1 || (h > 1 && v->value != ipnet_first(v)))
		*out = mask ? ipnet_pair_str(v->version, v->value, " ",
					  ipnet_netmask(v), true) :
			      ipnet_str(v);
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
		*out = ipnet_pair_str(4, n, "/", (u128)(v->prefixlen - 96), false);
	return 0;
}

static int q_ipv6(struct val **out, const struct ipq *q)
{
	struct ipnet m = { 6, 0xffff00000000u + q->v.value,
			   q->v.prefixlen + 96 };

	*out = q->v.version == 6 ? ip_value(q) : ipnet_str(&m);
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

static int q_link_local(struct val **out, const struct ipq *q)
{
	bool in = ipnet_addr_in(&q->v, 4, (u128)0xa9fe0000u, 16) ||
		  ipnet_addr_in(&q->v, 6, (u128)0xfe80 << 112, 10);

	*out = in ? ip_value(q) : val_null();
	return 0;
}

static int q_loopback(struct val **out, const struct ipq *q)
{
	*out = ipnet_is_loopback(&q->v) ? ip_value(q) : val_null();
	return 0;
}

static int q_multicast(struct val **out, const struct ipq *q)
{
	*out = ipnet_is_multicast(&q->v) ? ip_value(q) : val_null();
	return 0;
}

static int q_unicast(struct val **out, const struct ipq *q)
{
	*out = !ipnet_is_multicast(&q->v) ? ip_value(q) : val_null();
	return 0;
}

static int q_private(struct val **out, const struct ipq *q)
{
	*out = ipnet_is_private(&q->v, false) ? ip_value(q) : val_null();
	return 0;
}

static int q_public(struct val **out, const struct ipq *q)
{
	struct ipnet a = { q->v.version, q->v.value, ipnet_width(q->v.version) };

	*out = ipnet_is_public(&a) ? ip_value(q) : val_null();
	return 0;
}

static int q_net(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	*out = ipnet_hostmask(v) && v->value == ipnet_first(v) ? ipnet_str(v) :
							    val_null();
	return 0;
}

static int q_netmask(struct val **out, const struct ipq *q)
{
	*out = ipnet_addr_str(q->v.version, ipnet_netmask(&q->v));
	return 0;
}

static int q_network(struct val **out, const struct ipq *q)
{
	*out = ipnet_addr_str(q->v.version, ipnet_first(&q->v));
	return 0;
}

static int q_network_netmask(struct val **out, const struct ipq *q)
{
	*out = ipnet_pair_str(q->v.version, ipnet_first(&q->v), " ",
			   ipnet_netmask(&q->v), true);
	return 0;
}

static int q_network_wildcard(struct val **out, const struct ipq *q)
{
	*out = ipnet_pair_str(q->v.version, ipnet_first(&q->v), " ",
			   ipnet_hostmask(&q->v), true);
	return 0;
}

static int q_peer(struct val **out, const struct ipq *q)
{
	u128 h = ipnet_hostmask(&q->v), n = q->v.value;

	if (q->vtype == VT_ADDRESS)
		return ip_not_network();
	if (h == 1) {
		*out = ipnet_auto_str(n ^ 1);
		return 0;
	}
	if (h != 3)
		return tend_error_set("Not a point-to-point network");
	if (n % 4 == 0)
		return tend_error_set("Network address of /30 has no peer");
	if (n % 4 == 3)
		return tend_error_set("Broadcast address of /30 has no peer");
	*out = ipnet_auto_str(n ^ 3);
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

	if (q->v.version == 4) {
		buf_addf(&b, "%u.%u.%u.%u.in-addr.arpa.", (unsigned)(n & 255),
			 (unsigned)(n >> 8 & 255), (unsigned)(n >> 16 & 255),
			 (unsigned)(n >> 24 & 255));
	} else {
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
	u128 h = ipnet_hostmask(&q->v);

	*out = h == ~(u128)0 ? val_str("340282366920938463463374607431768211456") :
			       ipnet_int(h + 1);
	return 0;
}

static int q_size_usable(struct val **out, const struct ipq *q)
{
	u128 h = ipnet_hostmask(&q->v);

	*out = h <= 1 ? val_int(h ? 2 : 0) : ipnet_int(h - 1);
	return 0;
}

static int q_subnet(struct val **out, const struct ipq *q)
{
	struct ipnet n = q->v;

	n.value = ipnet_first(&q->v);
	*out = ipnet_str(&n);
	return 0;
}

static int q_type(struct val **out, const struct ipq *q)
{
	const struct ipnet *v = &q->v;

	*out = val_str(!ipnet_hostmask(v) || v->value != ipnet_first(v) ? "address" :
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
		*out = val_strf("[%s]", ipnet_text(text, 6, q->v.value));
	else
		*out = val_strf("[%s]/%d", ipnet_text(text, 6, q->v.value),
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
		if (ipnet_hostmask(v) && v->value == ipnet_first(v))
			return 0;
		if (ipnet_is_public(&a) || ipnet_is_private(&a, false)) {
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
		    ipnet_net_in(v, 6, (u128)0x2002 << 112, 16) :
		    (v->value != ipnet_first(v) &&
		     ipnet_net_in(&six, 6, (u128)0x2002 << 112, 16))) {
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

/* A query that is a network: is the value inside it? */
static const struct ip_query cidr_lookup = { "cidr_lookup", q_cidr_lookup };

/*
 * A query that is no name but a number: the address of that index in
 * the network ("-1" the last), with its prefix; false when there is
 * none or the number is not an integer ("1e3").
 */
static int ip_index(struct val **out, const struct ipq *q, const char *query)
{
	const struct ipnet *v = &q->v;
	u128 h = ipnet_hostmask(v), at;
	struct ipnet_int n;

	if (!ipnet_float_ok(query))
		return tend_error_set("%s: unknown filter type: %s", q->alias,
				      query);
	if (!h)
		return q_empty(out, q);
	if (!ipnet_py_int(&n, query) || n.big ||
	    (n.neg && n.mag ? n.mag - 1 > h : n.mag > h)) {
		*out = val_bool(false);
		return 0;
	}
	at = n.neg && n.mag ? ipnet_last(v) - (n.mag - 1) : ipnet_first(v) + n.mag;
	*out = ipnet_pair_str(v->version, at, "/", (u128)v->prefixlen, false);
	return 0;
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
	if (!ipnet_worth(value) || !ipnet_read(&q.v, &q.vtype, &q.value, value, version))
		return 0;
	fn = ip_query_find(query);
	if (*query && !fn && !ipnet_all_digits(query)) {
		qv = val_str(query);
		if (ipnet_parse(&q.lookup, qv))
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
	    (error = ipnet_query_arg(&query, a, 0, "query", alias)) < 0)
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
	    (error = ipnet_query_arg(&query, a, SIZE_MAX, "query", "ipwrap")) < 0)
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

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "ipaddr", f_ipaddr, 0 },
	{ "ipv4", f_ipv4, 0 },
	{ "ipv6", f_ipv6, 0 },
	{ "ipwrap", f_ipwrap, 0 },
};

const struct filter_family filter_ip_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
