#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/facts_net.h"

#include <arpa/inet.h>

/*
 * The network facts, as Ansible's LinuxNetwork makes them: interfaces
 * from /sys/class/net, IPv4 addresses from `ip -o -4 addr show`, the
 * default route from `ip -4 route get 8.8.8.8`. (IPv6 is not gathered.)
 */

static const char *if_type(const char *t, bool bridge, bool bond)
{
	if (bond)
		return "bonding";
	if (bridge)
		return "bridge";
	if (!strcmp(t, "1"))
		return "ether";
	if (!strcmp(t, "32"))
		return "infiniband";
	if (!strcmp(t, "512"))
		return "ppp";
	if (!strcmp(t, "772"))
		return "loopback";
	if (!strcmp(t, "65534"))
		return "tunnel";
	return "unknown";
}

static bool listed(const struct val *l, const char *name)
{
	for (size_t i = 0; i < val_len(l); i++)
		if (!strcmp(val_cstr(val_list_at(l, i)), name))
			return true;
	return false;
}

/* "if=NAME TYPE MTU FLAGS MAC" → the interface's dict */
static struct val *iface(const char *line, const struct val *lists,
			 char *name, size_t namesz)
{
	char type[16] = "", mtu[16] = "", flags[32] = "", mac[64] = "";
	struct val *d;
	unsigned long fl;

	if (sscanf(line, "%63s %15s %15s %31s %63s", name, type, mtu, flags,
		   mac) < 1 || namesz < 64)
		return NULL;
	fl = strtoul(flags, NULL, 0);
	d = val_dict();
	val_dict_set_bool(d, "active", fl & 1);
	val_dict_set_str(d, "device", name);
	if (*mac && strcmp(mac, "00:00:00:00:00:00"))
		val_dict_set_str(d, "macaddress", mac);
	if (*mtu)
		val_dict_set_int(d, "mtu", atoll(mtu));
	val_dict_set_bool(d, "promisc", fl & 0x100);
	val_dict_set_str(d, "type",
			 if_type(type, listed(val_dict_get(lists, "ifbridge"), name),
				 listed(val_dict_get(lists, "ifbond"), name)));
	return d;
}

/*
 * "addr4=DEV A.B.C.D/P [brd X] scope S [secondary] ... LABEL\ ..." →
 * {address, broadcast, netmask, network, prefix}; *label and *secondary
 * from the line too.
 */
static struct val *ipv4(const char *line, char *dev, char *label,
			bool *secondary)
{
	char cidr[64] = "", tok[64], brd[64] = "", mask[INET_ADDRSTRLEN];
	char net[INET_ADDRSTRLEN], *slash;
	const char *p = line;
	struct in_addr a, m, n;
	unsigned long prefix;
	struct val *d;
	int used;

	*secondary = false;
	*label = 0;
	if (sscanf(p, "%63s %63s%n", dev, cidr, &used) != 2)
		return NULL;
	p += used;
	while (sscanf(p, "%63s%n", tok, &used) == 1) {
		p += used;
		if (!strcmp(tok, "brd") && sscanf(p, "%63s%n", brd, &used) == 1)
			p += used;
		else if (!strcmp(tok, "scope") && sscanf(p, "%63s%n", tok, &used) == 1)
			p += used;
		else if (!strcmp(tok, "secondary"))
			*secondary = true;
		else if (tok[strlen(tok) - 1] == '\\') {
			tok[strlen(tok) - 1] = 0;
			snprintf(label, 64, "%s", tok);
			break;
		} else if (strcmp(tok, "dynamic") && strcmp(tok, "noprefixroute"))
			snprintf(label, 64, "%s", tok);
	}
	slash = strchr(cidr, '/');
	prefix = slash ? strtoul(slash + 1, NULL, 10) : 32;
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, cidr, &a) != 1 || prefix > 32)
		return NULL;
	m.s_addr = htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
	n.s_addr = a.s_addr & m.s_addr;
	inet_ntop(AF_INET, &m, mask, sizeof(mask));
	inet_ntop(AF_INET, &n, net, sizeof(net));
	d = val_dict();
	val_dict_set_str(d, "address", cidr);
	val_dict_set_str(d, "broadcast", brd);
	val_dict_set_str(d, "netmask", mask);
	val_dict_set_str(d, "network", net);
	val_dict_set(d, "prefix", val_strf("%lu", prefix));
	return d;
}

/* "8.8.8.8 via GW dev IF src ADDR uid 0" → default_ipv4's first keys */
static struct val *route(const char *line)
{
	struct val *d = val_dict();
	char w[8][64];
	int n = line ? sscanf(line, "%63s %63s %63s %63s %63s %63s %63s %63s",
			      w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]) : 0;

	for (int i = 0; i + 1 < n; i++) {
		if (!strcmp(w[i], "dev"))
			val_dict_set_str(d, "interface", w[i + 1]);
		else if (!strcmp(w[i], "src"))
			val_dict_set_str(d, "address", w[i + 1]);
		else if (!strcmp(w[i], "via") && strcmp(w[i + 1], "8.8.8.8"))
			val_dict_set_str(d, "gateway", w[i + 1]);
	}
	return d;
}

/* An interface's fact name: Ansible's, with - and : as _ */
static void if_key(struct buf *b, const char *name)
{
	for (const char *s = name; *s; s++)
		buf_addch(b, *s == '-' || *s == ':' ? '_' : *s);
}

static void default_ipv4(struct val *def, const struct val *ifs,
			 const char *dev, const char *label,
			 const struct val *addr)
{
	const struct val *i = val_dict_get(ifs, dev);
	static const char *const keys[] = { "broadcast", "netmask", "network",
					    "prefix" };

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		val_dict_set(def, keys[k], val_ref(val_dict_get(addr, keys[k])));
	if (val_dict_get(i, "macaddress"))
		val_dict_set(def, "macaddress",
			     val_ref(val_dict_get(i, "macaddress")));
	if (val_dict_get(i, "mtu"))
		val_dict_set(def, "mtu", val_ref(val_dict_get(i, "mtu")));
	val_dict_set_str(def, "type", val_dict_get(i, "type") ?
			 val_cstr(val_dict_get(i, "type")) : "unknown");
	val_dict_set_str(def, "alias", label);
}

/* One "addr4" line, if it is DEV's and primary (pass 0) or secondary */
static void address(const char *line, const char *want, int pass,
		    struct val *ifs, struct val *all, struct val *def)
{
	char dev[64], label[64];
	bool sec;
	struct val *a = ipv4(line, dev, label, &sec);
	struct val *d = val_dict_get(ifs, dev);
	const char *addr;

	if (!a || strcmp(dev, want) || sec != (pass == 1) || !d) {
		val_unref(a);
		return;
	}
	addr = val_cstr(val_dict_get(a, "address"));
	if (strncmp(addr, "127.", 4))
		val_list_push(all, val_str(addr));
	if (val_cstr(val_dict_get(def, "address")) &&
	    !strcmp(val_cstr(val_dict_get(def, "address")), addr))
		default_ipv4(def, ifs, dev, label, a);
	if (!sec && !val_dict_get(d, "ipv4")) {
		val_dict_set(d, "ipv4", a);
	} else {
		struct val *s = val_dict_get(d, "ipv4_secondaries");

		if (!s) {
			s = val_list();
			val_dict_set(d, "ipv4_secondaries", s);
		}
		val_list_push(s, a);
	}
}

void facts_network(struct val *f, const struct val *lists, const char *rline)
{
	const struct val *ifl = val_dict_get(lists, "if");
	const struct val *al = val_dict_get(lists, "addr4");
	struct val *names = val_list(), *ifs = val_dict(), *all = val_list();
	struct val *def = route(rline && *rline ? rline : NULL);
	char name[64];

	for (size_t i = 0; i < val_len(ifl); i++) {
		struct val *d = iface(val_cstr(val_list_at(ifl, i)), lists,
				      name, sizeof(name));

		if (!d)
			continue;
		val_list_push(names, val_str(name));
		val_dict_set(ifs, name, d);
	}
	/* as Ansible: interface by interface, primary addresses first */
	for (size_t n = 0; n < val_len(names); n++)
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < val_len(al); i++)
				address(val_cstr(val_list_at(al, i)),
					val_cstr(val_list_at(names, n)), pass,
					ifs, all, def);
	val_dict_set(f, "interfaces", names);
	val_dict_set(f, "all_ipv4_addresses", all);
	if (!val_dict_get(def, "interface") || !val_dict_get(def, "address")) {
		val_unref(def);
		def = val_dict();
	}
	val_dict_set(f, "default_ipv4", def);
	for (size_t i = 0; i < ifs->u.dict.nr; i++) {
		struct buf k = BUF_INIT;

		if_key(&k, ifs->u.dict.items[i].key);
		val_dict_set(f, k.ptr, val_ref(ifs->u.dict.items[i].v));
		buf_release(&k);
	}
	val_unref(ifs);
}
