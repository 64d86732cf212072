#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

/*
 * Filters that make lists of tuples, as Python's itertools does (zip,
 * zip_longest, product, permutations, combinations: Ansible hands back
 * the iterator, which `| list` or printing turns into this list), and
 * Ansible's reshaping of lists of dicts: subelements, rekey_on_member.
 * A tuple is a list flagged VAL_F_TUPLE: it prints as (a, b).
 */

/* Past this many tuples a filter refuses to build them. */
#define MAX_TUPLES 1000000

/*
 * zip and zip_longest: `in` and each positional argument, iterated
 * (template_items_of), into tuples of their k-th items; as long as the
 * shortest, or with `fill` (not NULL) as long as the longest.
 */
static int zip_common(struct val **out, struct val *in, const struct targs *a,
		      struct val *fill, const char *who)
{
	struct val *lists[TEMPLATE_MAX_ARGS + 1];
	size_t n = 0, len = fill ? 0 : SIZE_MAX;
	int error = 0;

	for (size_t i = 0; i <= a->npos && !error; i++) {
		error = template_items_of(&lists[n], i ? a->pos[i - 1] : in,
					  who);
		if (error)
			break;
		if (fill ? lists[n]->u.list.nr > len :
			   lists[n]->u.list.nr < len)
			len = lists[n]->u.list.nr;
		n++;
	}
	if (!error) {
		*out = val_list();
		for (size_t k = 0; k < len; k++) {
			struct val *t = val_list();

			t->flags |= VAL_F_TUPLE;
			for (size_t i = 0; i < n; i++)
				val_list_push(t, val_ref(
					k < lists[i]->u.list.nr ?
						lists[i]->u.list.items[k] :
						fill));
			val_list_push(*out, t);
		}
	}
	for (size_t i = 0; i < n; i++)
		val_unref(lists[i]);
	return error;
}

static int f_zip(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return zip_common(out, in, a, NULL, "zip");
}

/* zip_longest(*iterables, fillvalue=None) */
static int f_zip_longest(struct val **out, struct val *in,
			 const struct targs *a, struct tctx *c)
{
	struct val *fill = targs_get(a, SIZE_MAX, "fillvalue");
	struct targs pos = *a;
	int error;

	(void)c;
	pos.nkw = 0;
	if (!fill)
		fill = val_null();
	else
		val_ref(fill);
	error = zip_common(out, in, &pos, fill, "zip_longest");
	val_unref(fill);
	return error;
}

static void product_rec(struct val *out, struct val **lists, size_t n,
			size_t depth, struct val *cur)
{
	if (depth == n) {
		struct val *t = val_copy(cur);

		t->flags |= VAL_F_TUPLE;
		val_list_push(out, t);
		return;
	}
	for (size_t i = 0; i < lists[depth]->u.list.nr; i++) {
		val_list_push(cur, val_ref(lists[depth]->u.list.items[i]));
		product_rec(out, lists, n, depth + 1, cur);
		cur->u.list.nr--;
		val_unref(lists[depth]->u.list.items[i]);
	}
}

static int f_product(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *lists[TEMPLATE_MAX_ARGS + 1], *cur;
	size_t n = 0, total = 1;
	int error = 0;

	(void)c;
	for (size_t i = 0; i <= a->npos && !error; i++) {
		error = template_items_of(&lists[n], i ? a->pos[i - 1] : in,
					  "product");
		if (!error) {
			total *= lists[n]->u.list.nr ? lists[n]->u.list.nr : 1;
			n++;
		}
		if (total > MAX_TUPLES && !error)
			error = tend_error_set("product: too many combinations");
	}
	if (!error) {
		*out = val_list();
		cur = val_list();
		product_rec(*out, lists, n, 0, cur);
		val_unref(cur);
	}
	for (size_t i = 0; i < n; i++)
		val_unref(lists[i]);
	return error;
}


/*
 * itertools' r: an int (a bool counts), not negative; absent (or None,
 * with def >= 0) gives def, and def < 0 makes it required.
 */
static int iter_r(long long *out, const struct targs *a, long long def,
		  const char *who)
{
	struct val *v = targs_get(a, 0, "r");

	if (!v || (v->type == VAL_NULL && def >= 0)) {
		*out = def;
		if (def < 0)
			return tend_error_set("%s() missing required argument "
					      "'r' (pos 2)", who);
		return 0;
	}
	if (v->type != VAL_INT && v->type != VAL_BOOL)
		return tend_error_set("'%s' object cannot be interpreted as an "
				      "integer", template_type_name(v));
	*out = v->type == VAL_INT ? v->u.i : v->u.b;
	if (*out < 0)
		return tend_error_set("r must be non-negative");
	return 0;
}

/*
 * Every r-tuple of `pool`'s items, in lexicographic order of their
 * positions (itertools' order): ordered ones (permutations) or ascending
 * ones (combinations). `idx` holds the positions chosen so far.
 */
static void choose_rec(struct val *out, const struct val *pool, size_t *idx,
		       size_t depth, size_t r, bool ordered)
{
	size_t n = pool->u.list.nr;

	if (depth == r) {
		struct val *t = val_list();

		t->flags |= VAL_F_TUPLE;
		for (size_t i = 0; i < r; i++)
			val_list_push(t, val_ref(pool->u.list.items[idx[i]]));
		val_list_push(out, t);
		return;
	}
	for (size_t i = ordered || !depth ? 0 : idx[depth - 1] + 1; i < n;
	     i++) {
		bool used = false;

		for (size_t k = 0; ordered && k < depth; k++)
			used |= idx[k] == i;
		if (used)
			continue;
		idx[depth] = i;
		choose_rec(out, pool, idx, depth + 1, r, ordered);
	}
}

static int choose(struct val **out, struct val *in, const struct targs *a,
		  bool ordered)
{
	const char *who = ordered ? "permutations" : "combinations";
	struct val *pool;
	long long r = 0;
	size_t *idx, n, total = 1;
	int error;

	if ((error = template_items_of(&pool, in, who)) < 0)
		return error;
	n = pool->u.list.nr;
	if ((error = iter_r(&r, a, ordered ? (long long)n : -1, who)) < 0) {
		val_unref(pool);
		return error;
	}
	*out = val_list();
	if ((size_t)r > n) {
		val_unref(pool);
		return 0;
	}
	/* n!/(n-r)!, or n choose r: each step's product stays exact */
	for (size_t i = 0; i < (size_t)r && total <= MAX_TUPLES; i++)
		total = ordered ? total * (n - i) : total * (n - i) / (i + 1);
	if (total > MAX_TUPLES) {
		val_unref(pool);
		val_unref(*out);
		return tend_error_set("%s: more than %d tuples", who,
				      MAX_TUPLES);
	}
	idx = xcalloc((size_t)r + 1, sizeof(*idx));
	choose_rec(*out, pool, idx, 0, (size_t)r, ordered);
	free(idx);
	val_unref(pool);
	return 0;
}

/* permutations(iterable, r=None) */
static int f_permutations(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	(void)c;
	return choose(out, in, a, true);
}

/* combinations(iterable, r) */
static int f_combinations(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	(void)c;
	return choose(out, in, a, false);
}

/*
 * What subelements reaches from one element through `keys` (strings):
 * *out borrowed, or NULL when a key is missing and skip_missing allows
 * it. Python's messages, with secrets masked.
 */
static int subelements_of(struct val **out, struct val *elem,
			  const struct val *keys, bool skip_missing)
{
	struct val *v = elem, *key = NULL;
	struct buf kb = BUF_INIT, vb = BUF_INIT;
	int error = 0;

	*out = NULL;
	for (size_t i = 0; i < keys->u.list.nr && !error; i++) {
		struct val *next = NULL;

		key = keys->u.list.items[i];
		if (v->type != VAL_DICT) {
			val_to_str(&vb, v);
			error = tend_error_set("the key %s should point to a "
					       "dictionary, got '%s'",
					       key->u.s.ptr, vb.ptr);
		} else if (!(next = val_dict_get(v, key->u.s.ptr)) &&
			   skip_missing) {
			return 0;
		} else if (!next) {
			val_to_repr(&kb, key);
			val_to_repr(&vb, v);
			error = tend_error_set("could not find %s key in "
					       "iterated item %s", kb.ptr,
					       vb.ptr);
		}
		v = next;
	}
	if (!error && v->type != VAL_LIST) {
		val_to_repr(&kb, key);
		val_to_repr(&vb, v);
		error = tend_error_set("the key %s should point to a list, "
				       "got %s", kb.ptr, vb.ptr);
	}
	if (!error)
		*out = v;
	buf_release(&kb);
	buf_release(&vb);
	return error;
}

/* The keys of subelements(obj, subelements): a list, or a dotted path. */
static int subelements_keys(struct val **out, const struct val *arg)
{
	if (!arg)
		return tend_error_set("subelements() missing 1 required "
				      "positional argument: 'subelements'");
	if (arg->type == VAL_STR)
		*out = template_py_split(arg->u.s.ptr, arg->u.s.len, ".", -1);
	else if (arg->type == VAL_LIST)
		*out = val_ref((struct val *)arg);
	else
		return tend_error_set("subelements must be a list or a string");
	for (size_t i = 0; i < (*out)->u.list.nr; i++)
		if ((*out)->u.list.items[i]->type != VAL_STR) {
			val_unref(*out);
			return tend_error_set("subelements: a key that is not "
					      "a string is not supported");
		}
	if (!(*out)->u.list.nr) {
		val_unref(*out);
		return tend_error_set("subelements: an empty list of keys is "
				      "not supported");
	}
	return 0;
}

/*
 * subelements(obj, subelements, skip_missing=False): (element, item)
 * for each item of the list each element of obj (a list, or a dict's
 * values) holds at the path `subelements`.
 */
static int f_subelements(struct val **out, struct val *in,
			 const struct targs *a, struct tctx *c)
{
	bool skip = targs_bool(a, 1, "skip_missing", false);
	struct val *elems, *keys = NULL, *l;
	int error = 0;

	(void)c;
	if (in->type != VAL_DICT && in->type != VAL_LIST)
		return tend_error_set("obj must be a list of dicts or a nested "
				      "dict");
	if ((error = subelements_keys(&keys, targs_get(a, 0,
						       "subelements"))) < 0)
		return error;
	elems = val_list();
	for (size_t i = 0; i < val_len(in); i++)
		val_list_push(elems, val_ref(in->type == VAL_LIST ?
						     in->u.list.items[i] :
						     in->u.dict.items[i].v));
	l = val_list();
	for (size_t i = 0; i < elems->u.list.nr && !error; i++) {
		struct val *elem = elems->u.list.items[i], *sub;

		if ((error = subelements_of(&sub, elem, keys, skip)) < 0)
			break;
		for (size_t k = 0; sub && k < sub->u.list.nr; k++) {
			struct val *t = val_list();

			t->flags |= VAL_F_TUPLE;
			val_list_push(t, val_ref(elem));
			val_list_push(t, val_ref(sub->u.list.items[k]));
			val_list_push(l, t);
		}
	}
	val_unref(elems);
	val_unref(keys);
	if (error < 0) {
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}

/*
 * rekey_on_member(data, key, duplicates='error'): a dict of data's
 * dicts (a list's items, or a dict's values) by their member `key`.
 * Python keys may be any hashable value; tend's dict keys are strings,
 * so a member that is not a string is refused.
 */
static int f_rekey_on_member(struct val **out, struct val *in,
			     const struct targs *a, struct tctx *c)
{
	const char *key, *dup;
	struct val *d;
	int error;

	(void)c;
	if ((error = targs_str(&dup, a, 1, "duplicates", "error",
			       "rekey_on_member")) < 0)
		return error;
	if (strcmp(dup, "error") && strcmp(dup, "overwrite"))
		return tend_error_set("duplicates parameter to rekey_on_member "
				      "has unknown value: %s", dup);
	if ((error = targs_str(&key, a, 0, "key", NULL,
			       "rekey_on_member")) < 0)
		return error;
	if (in->type != VAL_DICT && in->type != VAL_LIST)
		return tend_error_set("Type is not a valid list, set, or dict");
	d = val_dict();
	for (size_t i = 0; i < val_len(in) && !error; i++) {
		struct val *item = in->type == VAL_LIST ? in->u.list.items[i] :
							  in->u.dict.items[i].v;
		struct val *k;

		if (item->type != VAL_DICT)
			error = tend_error_set("List item is not a valid dict");
		else if (!(k = val_dict_get(item, key)))
			error = tend_error_set("Key %s was not found", key);
		else if (k->type != VAL_STR)
			error = tend_error_set("rekey_on_member: a member '%s' "
					       "that is not a string (%s) is "
					       "not supported", key,
					       template_type_name(k));
		else if (val_dict_get(d, k->u.s.ptr) && !strcmp(dup, "error"))
			error = tend_error_set("Key %s is not unique, cannot "
					       "correctly turn into dict",
					       k->u.s.ptr);
		else
			val_dict_set(d, k->u.s.ptr, val_ref(item));
	}
	if (error < 0) {
		val_unref(d);
		return error;
	}
	*out = d;
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "combinations", f_combinations, 0 },
	{ "permutations", f_permutations, 0 },
	{ "product", f_product, 0 },
	{ "rekey_on_member", f_rekey_on_member, 0 },
	{ "subelements", f_subelements, 0 },
	{ "zip", f_zip, 0 },
	{ "zip_longest", f_zip_longest, 0 },
};

const struct filter_family filter_iter_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
