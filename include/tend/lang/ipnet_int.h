#ifndef TEND_LANG_IPNET_INT_H
#define TEND_LANG_IPNET_INT_H

/*
 * netaddr 0.8's IPNetwork, as the network filters of ansible.utils see
 * it (filter_ip.c, filter_iprange.c): reading an address or network as
 * netaddr reads it, printing it as netaddr prints it, and the ranges of
 * a network. Internal to runner/lang/.
 */

#include "tend/lang/targs_int.h"
#include "tend/data/val.h"

struct buf;

typedef unsigned __int128 u128;

/* An address, its host bits kept, and a prefix: "10.0.0.5/24". */
struct ipnet {
	int version; /* 4 or 6 */
	u128 value;
	int prefixlen;
};

/* Whether ipaddr() read a value as an address or as a network. */
enum ipnet_vtype { VT_ADDRESS, VT_NETWORK };

/* 32 or 128; the largest address. */
int ipnet_width(int version);
u128 ipnet_max(int version);
/* The host bits of a network of this prefix: its size less one. */
u128 ipnet_hostmask_of(int version, int prefixlen);
u128 ipnet_hostmask(const struct ipnet *v);
u128 ipnet_netmask(const struct ipnet *v);
/* The network's first and last address. */
u128 ipnet_first(const struct ipnet *v);
u128 ipnet_last(const struct ipnet *v);
/* netaddr 0.8 gives an IPv4 /31 or /32 no broadcast address. */
bool ipnet_has_broadcast(const struct ipnet *v);
/*
 * ansible.utils' _first_last: a network of two gives both ends, a larger
 * one its ends less one.
 */
void ipnet_usable(const struct ipnet *v, u128 *first, u128 *last);

/* str(IPAddress(n, version)) into text[INET6_ADDRSTRLEN]; returns it. */
const char *ipnet_text(char *text, int version, u128 n);
/* str(IPAddress(n)) without a version: IPv4 up to 2^32 - 1. */
struct val *ipnet_auto_str(u128 n);
struct val *ipnet_addr_str(int version, u128 n);
/* "a<sep>b", b an address if mask, else a number ("10.0.0.1/24"). */
struct val *ipnet_pair_str(int version, u128 a, const char *sep, u128 b,
			   bool mask);
/* str(IPNetwork): the address with its host bits, then the prefix. */
struct val *ipnet_str(const struct ipnet *v);
/* n in decimal. */
void ipnet_dec(struct buf *b, u128 n);
/*
 * A Python int of up to 128 bits: tend's 64-bit integer, or past it its
 * decimal text (what printing it gives; arithmetic on it fails).
 */
struct val *ipnet_int(u128 n);
/* n + by within version's addresses; false past either end. */
bool ipnet_add(u128 *out, int version, u128 n, long long by);
/*
 * netaddr's error for IPAddress(base + by) past the ends of IPv6 (a
 * Python exception, TEND_EPYTHON: util/error.h).
 */
int ipnet_out_of_bounds(u128 base, long long by);

/* A Python integer read from text: its sign and size, or "too big". */
struct ipnet_int {
	bool neg, big;
	u128 mag;
};

/*
 * Python's int(s): whitespace around, a sign, ASCII digits with single
 * underscores between them. Digits past 2^128 set big.
 */
bool ipnet_py_int(struct ipnet_int *out, const char *s);
/* The int is in [0, max] (negative zero counts as zero). */
bool ipnet_int_in(const struct ipnet_int *n, u128 max);
/* str.isdigit() for ASCII: not empty, every byte a digit. */
bool ipnet_all_digits(const char *s);
/* Python's float(s) succeeds (decimal, inf, nan; no hex). */
bool ipnet_float_ok(const char *s);
/* socket.inet_pton of one version. */
bool ipnet_pton(int version, const char *s, u128 *out);
/* The prefix of a netmask or hostmask m (netaddr's two tables). */
bool ipnet_mask_prefix(int version, u128 m, int *out);
/* netaddr.IPNetwork(s): IPv4 first, then IPv6; false if neither. */
bool ipnet_parse(struct ipnet *out, const struct val *s);
/* ipaddr's "numerical CIDR": "167772160/8". */
bool ipnet_parse_numeric(struct ipnet *out, const char *s);
/*
 * What ipaddr() makes of a value that is not a list, into *v: an address
 * (an integer, or text without "/") or a network (*vtype), and *value
 * the value as the queries that give it back give it (a new reference).
 * False if it is neither.
 */
bool ipnet_read(struct ipnet *v, enum ipnet_vtype *vtype, struct val **value,
		const struct val *in, int version);
/* Python's truth of a value ipaddr() reads: not "", 0, None, a bool. */
bool ipnet_worth(const struct val *value);

/* v's address alone is inside net/prefixlen. */
bool ipnet_addr_in(const struct ipnet *v, int version, u128 net,
		   int prefixlen);
/* v's whole range is inside net/prefixlen. */
bool ipnet_net_in(const struct ipnet *v, int version, u128 net,
		  int prefixlen);
/* netaddr's is_loopback, is_multicast, is_private (addr: of the address
 * alone, else of the network), is_netmask or is_hostmask, and
 * ansible.utils' public test of an address. */
bool ipnet_is_loopback(const struct ipnet *v);
bool ipnet_is_multicast(const struct ipnet *v);
bool ipnet_is_private(const struct ipnet *v, bool addr);
bool ipnet_is_mask(const struct ipnet *v);
bool ipnet_is_public(const struct ipnet *a);

/*
 * The query argument (position i, or by name) as the filters read it: a
 * string, a number, a bool or None as Python's str() writes it, absent
 * as "". *out is a new reference.
 */
int ipnet_query_arg(struct val **out, const struct targs *a, size_t i,
		    const char *name, const char *alias);

#endif
