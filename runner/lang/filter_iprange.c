#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/ipnet_int.h"
#include "tend/data/val.h"

#include <arpa/inet.h>

/*
 * ansible.utils' filters that count addresses in networks: ipmath,
 * nthhost, next_nth_usable, previous_nth_usable, network_in_network and
 * network_in_usable, on netaddr's readings (ipnet.c); filter_ip.c has
 * ipaddr and its wrappers.
 */

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
	struct ipnet_int n;

	if (val_is(v, VAL_INT) || (bools && val_is(v, VAL_BOOL))) {
		*out = val_is(v, VAL_INT) ? v->u.i : v->u.b;
		return true;
	}
	if (!val_is(v, VAL_STR) || !ipnet_py_int(&n, v->u.s.ptr) || n.big ||
	    n.mag > (u128)INT64_MAX)
		return false;
	*out = n.neg ? -(long long)n.mag : (long long)n.mag;
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
		ok = ipnet_parse(&v, s);
	else if (strlen(s->u.s.ptr) != s->u.s.len)
		ok = false;
	else if (inet_aton(s->u.s.ptr, &ina)) {
		v = (struct ipnet){ 4, ntohl(ina.s_addr), 32 };
		ok = true;
	} else
		ok = ipnet_pton(6, s->u.s.ptr, &v.value) && (v.version = 6);
	if (!ok)
		error = tend_error_set("You must pass a valid IP address; %s is "
				       "invalid", s->u.s.ptr);
	else if (!amount || !ip_int_arg(&by, amount, true)) {
		struct val *t = amount ? template_str_of(amount) :
					 val_str("None");

		error = tend_error_set("You must pass an integer for "
				       "arithmetic; %s is not a valid integer",
				       t->u.s.ptr);
		val_unref(t);
	}
	else if (!ipnet_add(&n, v.version, v.value, by))
		error = tend_error_set_code(TEND_EPYTHON, "result outside "
					    "valid IP address boundary!");
	else
		*out = ipnet_addr_str(v.version, n);
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
	enum ipnet_vtype vtype;
	struct val *s, *value;
	struct ipnet v;
	int error;

	if ((error = ip_str_value(&s, in, alias)) < 0)
		return error;
	*out = (struct ipnet){ 4, 0, 32 };
	*found = ipnet_worth(s) && ipnet_read(&v, &vtype, &value, s, 0);
	if (*found) {
		*out = v;
		val_unref(value);
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
	struct ipnet_int n;
	bool found;
	u128 h;
	int error;

	(void)c;
	if ((error = ip_network_of(&found, &v, in, "nthhost")) < 0 ||
	    (error = ipnet_query_arg(&query, a, 0, "query", "nthhost")) < 0)
		return error;
	found = found && ipnet_py_int(&n, query->u.s.ptr) && !n.big;
	val_unref(query);
	h = found ? ipnet_hostmask(&v) : 0;
	if (found && n.neg && n.mag && n.mag - 1 > h)
		return tend_error_set_code(TEND_EPYTHON, "index out range for "
					   "address range size!");
	if (!found || (!n.neg && n.mag > h)) {
		*out = val_bool(false);
		return 0;
	}
	*out = ipnet_addr_str(v.version, n.neg && n.mag ?
					      ipnet_last(&v) - (n.mag - 1) :
					      ipnet_first(&v) + n.mag);
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
	if (ipnet_hostmask(&v) &&
	    (by == LLONG_MIN || !ipnet_add(&n, 6, v.value, sign * by)))
		return ipnet_out_of_bounds(v.value, by == LLONG_MIN ? by :
					   sign * by);
	ipnet_usable(&v, &first, &last);
	*out = ipnet_hostmask(&v) && n >= first && n <= last ? ipnet_auto_str(n) :
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
	u128 h = found ? ipnet_hostmask(v) : 0;

	*first = *last = 0;
	if (!found)
		return;
	*first = ipnet_first(v);
	*last = h >= 2 ? ipnet_last(v) : *first;
	if (usable && h >= 1)
		ipnet_usable(v, first, last);
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
	{ "ipmath", f_ipmath, 0 },
	{ "network_in_network", f_network_in_network, 0 },
	{ "network_in_usable", f_network_in_usable, 0 },
	{ "next_nth_usable", f_next_nth_usable, 0 },
	{ "nthhost", f_nthhost, 0 },
	{ "previous_nth_usable", f_previous_nth_usable, 0 },
};

const struct filter_family filter_iprange_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
