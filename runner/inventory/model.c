#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/util/interrupt.h"

#include <ctype.h>

/*
 * The inventory model: hosts and groups by index, their name indexes,
 * group membership and children, and the layers of group vars.
 */

const char *const inv_localhost_names[] = { "localhost", "127.0.0.1", "::1",
					NULL };

void inv_mark_secret(struct val *v)
{
	if (v->type == VAL_STR)
		v->flags |= VAL_F_SECRET;
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		inv_mark_secret(v->u.list.items[i]);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		inv_mark_secret(v->u.dict.items[i].v);
}

struct inv_ext *inv_ext_of(const struct inventory *inv)
{
	/* every inventory is allocated as an inv_ext by inventory_load */
	return (struct inv_ext *)inv;
}

struct host_ext *inv_hext(const struct host *h)
{
	return (struct host_ext *)h;
}

struct group_ext *inv_gext(const struct inventory *inv, size_t gi)
{
	return (struct group_ext *)inv->groups[gi];
}

bool inv_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

bool inv_is_localhost_name(const char *s)
{
	for (size_t i = 0; inv_localhost_names[i]; i++)
		if (!strcmp(s, inv_localhost_names[i]))
			return true;
	return false;
}

/*
 * Loading stops early once a signal asks (interrupt.h): the parsers leave
 * their loops, and this turns the flag into the error their callers see.
 */
int inv_check_interrupted(void)
{
	if (!tend_interrupted)
		return 0;
	return tend_error_set_code(TEND_EINTERRUPTED, "interrupted while "
				   "loading the inventory");
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void index_put(struct name_index *ix, const char *name, size_t idx);

static void index_grow(struct name_index *ix)
{
	struct name_index old = *ix;

	ix->cap = old.cap ? old.cap * 2 : 64;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	ix->nr = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].name)
			index_put(ix, old.slots[i].name, old.slots[i].idx);
	free(old.slots);
}

static void index_put(struct name_index *ix, const char *name, size_t idx)
{
	size_t i;

	if ((ix->nr + 1) * 2 > ix->cap)
		index_grow(ix);
	i = name_hash(name) & (ix->cap - 1);
	while (ix->slots[i].name && strcmp(ix->slots[i].name, name))
		i = (i + 1) & (ix->cap - 1);
	if (!ix->slots[i].name)
		ix->nr++;
	ix->slots[i].name = name;
	ix->slots[i].idx = idx;
}

size_t inv_index_get(const struct name_index *ix, const char *name)
{
	size_t i;

	if (!ix->cap)
		return NO_INDEX;
	i = name_hash(name) & (ix->cap - 1);
	while (ix->slots[i].name) {
		if (!strcmp(ix->slots[i].name, name))
			return ix->slots[i].idx;
		i = (i + 1) & (ix->cap - 1);
	}
	return NO_INDEX;
}

void inv_push_index(size_t **arr, size_t *nr, size_t *alloc, size_t v)
{
	ALLOC_GROW(*arr, *nr + 1, *alloc);
	(*arr)[(*nr)++] = v;
}

bool inv_has_index(const size_t *arr, size_t nr, size_t v)
{
	for (size_t i = 0; i < nr; i++)
		if (arr[i] == v)
			return true;
	return false;
}

size_t inv_group_find(const struct inv_ext *x, const char *name)
{
	return inv_index_get(&x->group_names, name);
}

size_t inv_group_add(struct inv_ext *x, const char *name)
{
	struct inventory *inv = &x->inv;
	struct group_ext *ge;
	size_t gi = inv_group_find(x, name);

	if (gi != NO_INDEX)
		return gi;
	ge = xcalloc(1, sizeof(*ge));
	ge->g.name = xstrdup(name);
	ge->g.vars = val_dict();
	for (int l = 0; l < LAYER_NR; l++)
		ge->layer[l] = val_dict();
	ge->priority = 1;
	ALLOC_GROW(inv->groups, inv->groups_nr + 1, inv->groups_alloc);
	gi = inv->groups_nr++;
	inv->groups[gi] = &ge->g;
	index_put(&x->group_names, ge->g.name, gi);
	return gi;
}

struct host_ext *inv_host_new(const char *name)
{
	struct host_ext *he = xcalloc(1, sizeof(*he));

	he->h.name = xstrdup(name);
	he->h.vars = val_dict();
	for (int l = 0; l < LAYER_NR; l++)
		he->layer[l] = val_dict();
	return he;
}

size_t inv_host_add(struct inv_ext *x, const char *name)
{
	struct inventory *inv = &x->inv;
	struct host_ext *he;
	size_t hi = inv_index_get(&x->host_names, name);

	if (hi != NO_INDEX)
		return hi;
	he = inv_host_new(name);
	he->h.source = x->source;
	he->h.source_is_list = x->source_is_list;
	ALLOC_GROW(inv->hosts, inv->hosts_nr + 1, inv->hosts_alloc);
	hi = inv->hosts_nr++;
	inv->hosts[hi] = &he->h;
	index_put(&x->host_names, he->h.name, hi);
	return hi;
}

void inv_group_add_host(struct inv_ext *x, size_t gi, size_t hi)
{
	struct group *g = x->inv.groups[gi];
	struct host *h = x->inv.hosts[hi];

	/* a host's direct groups are few: test membership from its side */
	if (inv_has_index(h->groups, h->groups_nr, gi))
		return;
	inv_push_index(&h->groups, &h->groups_nr, &h->groups_alloc, gi);
	inv_push_index(&g->hosts, &g->hosts_nr, &g->hosts_alloc, hi);
}

static bool group_is_ancestor(const struct inventory *inv, size_t anc,
			      size_t gi, unsigned int budget)
{
	const struct group *g = inv->groups[gi];

	if (gi == anc)
		return true;
	if (!budget)
		return true; /* deeper than any acyclic graph: a loop */
	for (size_t i = 0; i < g->parents_nr; i++)
		if (group_is_ancestor(inv, anc, g->parents[i], budget - 1))
			return true;
	return false;
}

/*
 * Make `child` a child of `parent`. Fails (-1, no error set) if that
 * would make a loop.
 */
int inv_group_add_child(struct inv_ext *x, size_t parent, size_t child)
{
	struct group *p = x->inv.groups[parent];
	struct group *c = x->inv.groups[child];
	unsigned int budget = x->inv.groups_nr > UINT_MAX ?
				      UINT_MAX : (unsigned int)x->inv.groups_nr;

	/* a group's parents are few: test membership from its side */
	if (inv_has_index(c->parents, c->parents_nr, parent))
		return 0;
	if (group_is_ancestor(&x->inv, child, parent, budget))
		return -1;
	inv_push_index(&p->children, &p->children_nr, &p->children_alloc, child);
	inv_push_index(&c->parents, &c->parents_nr, &c->parents_alloc, parent);
	return 0;
}

void inv_set_pos(struct val *v, const char *file, unsigned int line,
	     unsigned int col)
{
	v->pos.file = file;
	v->pos.line = line;
	v->pos.col = col;
}

/*
 * Set a group variable as Ansible's Group.set_variable does:
 * ansible_group_priority becomes the priority, not a variable.
 */
void inv_group_set_var(struct inv_ext *x, size_t gi, enum layer l,
		   const char *key, struct val *v, struct diags *d)
{
	struct group_ext *ge = inv_gext(&x->inv, gi);
	const char *s;
	char *end;

	if (l == LAYER_INLINE && !strcmp(key, "ansible_group_priority")) {
		if (val_is(v, VAL_INT)) {
			ge->priority = v->u.i;
		} else if (val_is(v, VAL_FLOAT)) {
			ge->priority = (long long)v->u.f;
		} else if (val_is(v, VAL_BOOL)) {
			ge->priority = v->u.b;
		} else if ((s = val_cstr(v))) {
			errno = 0;
			ge->priority = strtoll(s, &end, 10);
			while (isspace((unsigned char)*end))
				end++;
			if (errno || end == s || *end)
				diags_add(d, &v->pos,
					  "expected an integer for "
					  "ansible_group_priority, got '%s'",
					  s);
		}
		val_unref(v);
		return;
	}
	val_dict_set(ge->layer[l], key, v);
}

int inv_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lookups and vars ------------------------------------------------------ */

/* Index of the host a localhost name selects when nothing else does. */
size_t inv_localhost_for(const struct inv_ext *x)
{
	const struct inventory *inv = &x->inv;

	for (size_t i = 0; i < inv->hosts_nr; i++)
		if (inv_is_localhost_name(inv->hosts[i]->name))
			return i;
	return x->implicit ? inv->hosts_nr : NO_INDEX;
}

struct host *inv_host_at(const struct inventory *inv, size_t i)
{
	return i < inv->hosts_nr ? inv->hosts[i] : &inv_ext_of(inv)->implicit->h;
}

struct host *inventory_find_host(const struct inventory *inv, const char *name)
{
	const struct inv_ext *x = inv_ext_of(inv);
	size_t hi = inv_index_get(&x->host_names, name);

	if (hi != NO_INDEX)
		return inv->hosts[hi];
	/*
	 * As Ansible's get_host: a localhost name finds the inventory's
	 * localhost under another name, or else the implicit one.
	 */
	if (inv_is_localhost_name(name) && (hi = inv_localhost_for(x)) != NO_INDEX)
		return inv_host_at(inv, hi);
	return NULL;
}
