#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/data/val.h"

/*
 * A host's vars as Ansible resolves them, and its group names.
 */

/*
 * A set of group indexes. A host is in few groups, so a list is searched
 * while it is short; past that a bitmap over inv->groups answers. Either
 * way the cost follows the host's groups, not the inventory's.
 */
#define GROUP_SET_LIST_MAX 32

struct group_set {
	size_t *v;
	size_t nr, alloc;
	unsigned char *bits; /* once nr > GROUP_SET_LIST_MAX */
};

static bool group_set_add(struct group_set *s, const struct inventory *inv,
			  size_t gi)
{
	if (s->bits ? s->bits[gi] : inv_has_index(s->v, s->nr, gi))
		return false;
	inv_push_index(&s->v, &s->nr, &s->alloc, gi);
	if (s->bits) {
		s->bits[gi] = 1;
	} else if (s->nr > GROUP_SET_LIST_MAX) {
		s->bits = xcalloc(inv->groups_nr, 1);
		for (size_t i = 0; i < s->nr; i++)
			s->bits[s->v[i]] = 1;
	}
	return true;
}

/* Every group h is in, at any level, "all" included (not for implicit). */
static void host_all_groups(const struct inventory *inv, const struct host *h,
			    struct group_set *in)
{
	size_t *stack = NULL, nr = 0, alloc = 0;

	for (size_t i = 0; i < h->groups_nr; i++)
		inv_push_index(&stack, &nr, &alloc, h->groups[i]);
	while (nr) {
		size_t gi = stack[--nr];
		const struct group *g = inv->groups[gi];

		if (!group_set_add(in, inv, gi))
			continue;
		for (size_t i = 0; i < g->parents_nr; i++)
			inv_push_index(&stack, &nr, &alloc, g->parents[i]);
	}
	free(stack);
}

/* The host's groups at any level except all, in no particular order. */
static size_t host_groups_but_all(size_t **out, const struct inventory *inv,
				  const struct host *h)
{
	struct group_set in = { NULL, 0, 0, NULL };
	size_t nr = 0;

	if (!h->implicit)
		host_all_groups(inv, h, &in);
	for (size_t i = 0; i < in.nr; i++)
		if (in.v[i] != G_ALL)
			in.v[nr++] = in.v[i];
	free(in.bits);
	*out = in.v; /* NULL when empty */
	return nr;
}

static int cmp_groups(const void *a, const void *b, void *payload)
{
	const struct inventory *inv = payload;
	const struct group_ext *ga = inv_gext(inv, *(const size_t *)a);
	const struct group_ext *gb = inv_gext(inv, *(const size_t *)b);

	if (ga->depth != gb->depth)
		return ga->depth < gb->depth ? -1 : 1;
	if (ga->priority != gb->priority)
		return ga->priority < gb->priority ? -1 : 1;
	return strcmp(ga->g.name, gb->g.name);
}

/* The host's groups except all, sorted as Ansible's sort_groups. */
static size_t sorted_groups(size_t **out, const struct inventory *inv,
			    const struct host *h)
{
	size_t nr = host_groups_but_all(out, inv, h);

	if (nr)
		qsort_r(*out, nr, sizeof(**out), cmp_groups, (void *)inv);
	return nr;
}

struct val *inventory_host_vars(const struct inventory *inv,
				const struct host *h)
{
	const struct group_ext *all = inv_gext(inv, G_ALL);
	const struct host_ext *he = inv_hext(h);
	struct val *v = val_dict();
	size_t *gs, nr = sorted_groups(&gs, inv, h);

	/* Ansible's default VARIABLE_PRECEDENCE, then the host's own */
	val_dict_update(v, all->layer[LAYER_INLINE], false);
	for (size_t i = 0; i < nr; i++)
		val_dict_update(v, inv_gext(inv, gs[i])->layer[LAYER_INLINE],
				false);
	val_dict_update(v, all->layer[LAYER_INV_FILES], false);
	val_dict_update(v, all->layer[LAYER_PLAY_FILES], false);
	for (size_t i = 0; i < nr; i++)
		val_dict_update(v, inv_gext(inv, gs[i])->layer[LAYER_INV_FILES],
				false);
	for (size_t i = 0; i < nr; i++)
		val_dict_update(v, inv_gext(inv, gs[i])->layer[LAYER_PLAY_FILES],
				false);
	for (int l = 0; l < LAYER_NR; l++)
		val_dict_update(v, he->layer[l], false);
	free(gs);
	return v;
}

struct val *inventory_group_names(const struct inventory *inv,
				  const struct host *h)
{
	struct val *list = val_list();
	const char **names;
	size_t *gs, nr = host_groups_but_all(&gs, inv, h);

	if (!nr) {
		free(gs);
		return list;
	}
	names = xmalloc(nr * sizeof(*names));
	for (size_t i = 0; i < nr; i++)
		names[i] = inv->groups[gs[i]]->name;
	qsort(names, nr, sizeof(*names), inv_cmp_str);
	for (size_t i = 0; i < nr; i++)
		val_list_push(list, val_str(names[i]));
	free(names);
	free(gs);
	return list;
}
