/*
 * The inventory as a run changes it: a private copy (inventory_clone),
 * and what add_host and group_by do to it, as Ansible's strategy does to
 * its in-memory inventory (_add_host, _add_group).
 */

#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/data/val.h"

static void copy_index(size_t **dst, size_t *nr, size_t *alloc,
		       const size_t *src, size_t src_nr)
{
	for (size_t i = 0; i < src_nr; i++)
		inv_push_index(dst, nr, alloc, src[i]);
}

/* A host's vars and layers, shared (every change replaces a dict). */
static void share_host(struct host_ext *dst, const struct host_ext *src)
{
	val_unref(dst->h.vars);
	dst->h.vars = val_ref(src->h.vars);
	for (int l = 0; l < LAYER_NR; l++) {
		val_unref(dst->layer[l]);
		dst->layer[l] = val_ref(src->layer[l]);
	}
	dst->h.implicit = src->h.implicit;
	dst->h.source = src->h.source; /* interned: shared */
	dst->h.source_is_list = src->h.source_is_list;
}

struct inventory *inventory_clone(const struct inventory *src)
{
	const struct inv_ext *sx = inv_ext_of(src);
	struct inv_ext *x = xcalloc(1, sizeof(*x));
	struct inventory *inv = &x->inv;

	for (size_t i = 0; i < src->groups_nr; i++) {
		const struct group_ext *sg = inv_gext(src, i);
		struct group_ext *g = inv_gext(inv, inv_group_add(x, sg->g.name));

		val_unref(g->g.vars);
		g->g.vars = val_ref(sg->g.vars);
		for (int l = 0; l < LAYER_NR; l++) {
			val_unref(g->layer[l]);
			g->layer[l] = val_ref(sg->layer[l]);
		}
		g->priority = sg->priority;
		g->depth = sg->depth;
		copy_index(&g->g.hosts, &g->g.hosts_nr, &g->g.hosts_alloc,
			   sg->g.hosts, sg->g.hosts_nr);
		copy_index(&g->g.children, &g->g.children_nr,
			   &g->g.children_alloc, sg->g.children,
			   sg->g.children_nr);
		copy_index(&g->g.parents, &g->g.parents_nr,
			   &g->g.parents_alloc, sg->g.parents, sg->g.parents_nr);
	}
	for (size_t i = 0; i < src->hosts_nr; i++) {
		const struct host_ext *sh = inv_hext(src->hosts[i]);
		size_t hi = inv_host_add(x, sh->h.name);
		struct host_ext *h = inv_hext(inv->hosts[hi]);

		share_host(h, sh);
		copy_index(&h->h.groups, &h->h.groups_nr, &h->h.groups_alloc,
			   sh->h.groups, sh->h.groups_nr);
	}
	if (sx->implicit) {
		x->implicit = inv_host_new(sx->implicit->h.name);
		share_host(x->implicit, sx->implicit);
	}
	return inv;
}

/* The index of group `name`, made if new (inv_reconcile puts it under all). */
static size_t group_get(struct inv_ext *x, const char *name)
{
	size_t gi = inv_group_find(x, name);

	return gi != NO_INDEX ? gi : inv_group_add(x, name);
}

/* Set `vars` over the host's own (inline) vars: new dicts, never shared. */
static void host_set_vars(struct host_ext *he, const struct val *vars)
{
	struct val *layer = val_copy(he->layer[LAYER_INLINE]);
	struct val *all = val_copy(he->h.vars);

	val_dict_update(layer, vars, false);
	val_dict_update(all, vars, false);
	val_unref(he->layer[LAYER_INLINE]);
	val_unref(he->h.vars);
	he->layer[LAYER_INLINE] = layer;
	he->h.vars = all;
}

int inventory_add_host(struct inventory *inv, const char *name,
		       const struct val *groups, const struct val *vars)
{
	struct inv_ext *x = inv_ext_of(inv);
	struct val *own = val_dict();
	char *host = xstrdup(name);
	size_t off, len, hi;
	long port = -1;
	bool is_new;

	if (inv_parse_address(name, &off, &len, &port) && len) {
		free(host);
		host = xstrndup(name + off, len);
	}
	if (!*host) {
		free(host);
		val_unref(own);
		return tend_error_set("add_host needs a host name");
	}
	is_new = inv_index_get(&x->host_names, host) == NO_INDEX;
	hi = inv_host_add(x, host);
	/* Ansible 2.14's add_host sets the old name of the variable */
	if (port >= 0)
		val_dict_set_int(own, "ansible_ssh_port", port);
	if (vars)
		val_dict_update(own, vars, false);
	if (val_len(own))
		host_set_vars(inv_hext(inv->hosts[hi]), own);
	for (size_t i = 0; i < val_len(groups); i++) {
		const char *g = val_cstr(groups->u.list.items[i]);

		if (g && *g)
			inv_group_add_host(x, group_get(x, g), hi);
	}
	if (is_new && !inv->hosts[hi]->groups_nr)
		inv_group_add_host(x, G_UNGROUPED, hi);
	inv_reconcile(x);
	val_unref(own);
	free(host);
	return 0;
}

int inventory_group_by(struct inventory *inv, const char *host,
		       const char *group, const struct val *parents)
{
	struct inv_ext *x = inv_ext_of(inv);
	size_t hi = inv_index_get(&x->host_names, host), gi;
	int error = 0;

	if (hi == NO_INDEX)
		return tend_error_set("group_by: host '%s' is not in the "
				      "inventory", host);
	gi = group_get(x, group);
	for (size_t i = 0; i < val_len(parents) && !error; i++) {
		const char *p = val_cstr(parents->u.list.items[i]);

		if (p && *p && inv_group_add_child(x, group_get(x, p), gi) < 0)
			error = tend_error_set("group_by: making '%s' a child "
					       "of '%s' would make a loop",
					       group, p);
	}
	inv_group_add_host(x, gi, hi);
	inv_reconcile(x);
	return error;
}
