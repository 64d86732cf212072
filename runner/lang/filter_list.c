#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <strings.h>

/*
 * Filters of lists and dicts: length, first, last, sort, unique, min,
 * max, sum, list, dict2items, items2dict, dictsort, combine, flatten,
 * reverse, the set operations, extract, items (zip, product and their
 * kin are in filter_iter.c).
 */

/*
 * Sorting: a stable merge sort whose comparison may fail.
 */

struct sort_opts {
	const char *attribute;
	bool case_sensitive;
	int error;
};

static int cmp_key(const struct val *a, const struct val *b,
		   struct sort_opts *o)
{
	int c = 0;

	if (o->error)
		return 0;
	if (!o->case_sensitive && a->type == VAL_STR && b->type == VAL_STR) {
		c = strcasecmp(a->u.s.ptr, b->u.s.ptr);
		return (c > 0) - (c < 0);
	}
	if (template_is_undef(a) || template_is_undef(b)) {
		o->error = template_need(template_is_undef(a) ? a : b);
		return 0;
	}
	if (a->type == VAL_NULL || b->type == VAL_NULL ||
	    val_compare(&c, a, b) < 0) {
		o->error = tend_error_set("'<' not supported between instances "
					  "of '%s' and '%s'",
					  template_type_name(a),
					  template_type_name(b));
		return 0;
	}
	return c;
}

static int cmp_items(struct val *a, struct val *b, struct sort_opts *o)
{
	struct val *ka, *kb;
	int c;

	if (!o->attribute)
		return cmp_key(a, b, o);
	template_get_path(&ka, a, o->attribute);
	template_get_path(&kb, b, o->attribute);
	c = cmp_key(ka, kb, o);
	val_unref(ka);
	val_unref(kb);
	return c;
}

static void merge_sort(struct val **v, struct val **tmp, size_t n,
		       struct sort_opts *o)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(v, tmp, mid, o);
	merge_sort(v + mid, tmp, n - mid, o);
	while (i < mid && j < n)
		tmp[k++] = cmp_items(v[j], v[i], o) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* A sorted copy of the list `in`. */
static int sorted(struct val **out, const struct val *in, struct sort_opts *o,
		  bool reverse)
{
	struct val *l = val_list();
	struct val **tmp;
	size_t n = in->u.list.nr;

	for (size_t i = 0; i < n; i++)
		val_list_push(l, val_ref(in->u.list.items[n - 1 - i]));
	/* sorting reversed input stably, then reversing, keeps ties in order */
	if (!reverse)
		for (size_t i = 0; i < n / 2; i++) {
			struct val *t = l->u.list.items[i];

			l->u.list.items[i] = l->u.list.items[n - 1 - i];
			l->u.list.items[n - 1 - i] = t;
		}
	tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	merge_sort(l->u.list.items, tmp, n, o);
	free(tmp);
	if (o->error) {
		val_unref(l);
		return o->error;
	}
	if (reverse)
		for (size_t i = 0; i < n / 2; i++) {
			struct val *t = l->u.list.items[i];

			l->u.list.items[i] = l->u.list.items[n - 1 - i];
			l->u.list.items[n - 1 - i] = t;
		}
	*out = l;
	return 0;
}

static size_t utf8_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int f_length(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	if (in->type == VAL_STR)
		*out = val_int((long long)utf8_len(in->u.s.ptr, in->u.s.len));
	else if (in->type == VAL_LIST || in->type == VAL_DICT)
		*out = val_int((long long)val_len(in));
	else
		return tend_error_set("object of type '%s' has no len()",
				      template_type_name(in));
	return 0;
}

static int first_last(struct val **out, struct val *in, bool first)
{
	struct val *items;
	size_t n;
	int error;

	if ((error = template_items_of(&items, in,
				       first ? "first" : "last")) < 0)
		return error;
	n = items->u.list.nr;
	if (!n)
		*out = template_undef("No %s item, sequence was empty.",
				      first ? "first" : "last");
	else
		*out = val_ref(items->u.list.items[first ? 0 : n - 1]);
	val_unref(items);
	return 0;
}

static int f_first(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return first_last(out, in, true);
}

static int f_last(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	return first_last(out, in, false);
}

int template_sorted(struct val **out, const struct val *in,
		    const char *attribute, bool case_sensitive)
{
	struct sort_opts o = { attribute, case_sensitive, 0 };
	struct val *items;
	int error;

	if ((error = template_items_of(&items, in, "sort")) < 0)
		return error;
	error = sorted(out, items, &o, false);
	val_unref(items);
	return error;
}

static int f_sort(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	struct sort_opts o = { NULL, false, 0 };
	struct val *items;
	const char *attr;
	int error;

	(void)c;
	if ((error = targs_str(&attr, a, 2, "attribute", "", "sort")) < 0 ||
	    (error = template_items_of(&items, in, "sort")) < 0)
		return error;
	o.attribute = *attr ? attr : NULL;
	o.case_sensitive = targs_bool(a, 1, "case_sensitive", false);
	error = sorted(out, items, &o, targs_bool(a, 0, "reverse", false));
	val_unref(items);
	return error;
}

/*
 * Ansible's unique: Jinja's (by the item, or by its `attribute`, strings
 * without case unless case_sensitive), which hashes what it compares.
 * A dict or list cannot be hashed: Ansible then falls back to its own,
 * which refuses case_sensitive=False (given, not defaulted) and
 * attribute.
 */
static int f_unique(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *items, *l, *keys;
	const struct val *cs = targs_get(a, 0, "case_sensitive");
	bool icase = !targs_bool(a, 0, "case_sensitive", false);
	bool strict = val_is(cs, VAL_BOOL) && !cs->u.b;
	const char *attr;
	int error;

	(void)c;
	if ((error = targs_str(&attr, a, 1, "attribute", "", "unique")) < 0 ||
	    (error = template_items_of(&items, in, "unique")) < 0)
		return error;
	l = val_list();
	keys = val_list();
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v = items->u.list.items[i];
		struct val *k = *attr ? val_dict_path(v, attr) : v;

		if (!k)
			k = v; /* (Jinja: undefined) */
		if ((strict || *attr) && (k->type == VAL_DICT ||
					  k->type == VAL_LIST)) {
			error = tend_error_set("Jinja2's unique filter failed "
				"and we cannot fall back to Ansible's version "
				"as it does not support the parameters "
				"supplied");
		} else if (!template_list_has(keys, k, icase)) {
			val_list_push(keys, val_ref(k));
			val_list_push(l, val_ref(v));
		}
	}
	val_unref(items);
	val_unref(keys);
	if (error)
		val_unref(l);
	else
		*out = l;
	return error;
}

static int min_max(struct val **out, struct val *in, const struct targs *a,
		   bool want_max)
{
	struct sort_opts o = { NULL, false, 0 };
	struct val *items;
	const char *attr;
	int error;

	if ((error = targs_str(&attr, a, SIZE_MAX, "attribute", "",
			       "min")) < 0 ||
	    (error = template_items_of(&items, in,
				       want_max ? "max" : "min")) < 0)
		return error;
	o.attribute = *attr ? attr : NULL;
	o.case_sensitive = targs_bool(a, 0, "case_sensitive", false);
	if (!items->u.list.nr) {
		*out = template_undef("No aggregated item, sequence was "
				      "empty.");
	} else {
		struct val *best = items->u.list.items[0];

		for (size_t i = 1; i < items->u.list.nr; i++) {
			int cmp = cmp_items(items->u.list.items[i], best, &o);

			if (want_max ? cmp > 0 : cmp < 0)
				best = items->u.list.items[i];
		}
		*out = o.error ? NULL : val_ref(best);
	}
	val_unref(items);
	return o.error;
}

static int f_min(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return min_max(out, in, a, false);
}

static int f_max(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return min_max(out, in, a, true);
}

static int add_num(struct val **acc, struct val *v)
{
	bool fa = (*acc)->type == VAL_FLOAT, fv = v->type == VAL_FLOAT;
	long long r;

	if (v->type != VAL_INT && v->type != VAL_FLOAT && v->type != VAL_BOOL)
		return tend_error_set("unsupported operand type(s) for +: '%s' "
				      "and '%s'", template_type_name(*acc),
				      template_type_name(v));
	if (!fa && !fv) {
		long long x = (*acc)->type == VAL_BOOL ? (*acc)->u.b : (*acc)->u.i;
		long long y = v->type == VAL_BOOL ? v->u.b : v->u.i;

		if (__builtin_add_overflow(x, y, &r))
			return tend_error_set("integer overflow in sum");
		val_unref(*acc);
		*acc = val_int(r);
	} else {
		double x = fa ? (*acc)->u.f : (double)(*acc)->u.i;
		double y = fv ? v->u.f : v->type == VAL_BOOL ? v->u.b :
							     (double)v->u.i;

		val_unref(*acc);
		*acc = val_float(x + y);
	}
	return 0;
}

static int f_sum(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	struct val *items, *start = targs_get(a, 1, "start"), *acc;
	const char *attr;
	int error;

	(void)c;
	if ((error = targs_str(&attr, a, 0, "attribute", "", "sum")) < 0 ||
	    (error = template_items_of(&items, in, "sum")) < 0)
		return error;
	acc = start ? val_ref(start) : val_int(0);
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v = items->u.list.items[i];

		if (*attr) {
			template_get_path(&v, v, attr);
			if ((error = template_need(v)) == 0)
				error = add_num(&acc, v);
			val_unref(v);
		} else if (acc->type == VAL_LIST && v->type == VAL_LIST) {
			struct val *l = val_list();

			for (size_t k = 0; k < acc->u.list.nr; k++)
				val_list_push(l, val_ref(acc->u.list.items[k]));
			for (size_t k = 0; k < v->u.list.nr; k++)
				val_list_push(l, val_ref(v->u.list.items[k]));
			val_unref(acc);
			acc = l;
		} else {
			error = add_num(&acc, v);
		}
	}
	val_unref(items);
	if (error < 0) {
		val_unref(acc);
		return error;
	}
	*out = acc;
	return 0;
}

static int f_list(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	return template_items_of(out, in, "list");
}

static int f_dict2items(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const char *kn, *vn;
	int error;

	(void)c;
	if ((error = template_need_dict(in, "dict2items")) < 0 ||
	    (error = targs_str(&kn, a, 0, "key_name", "key",
			       "dict2items")) < 0 ||
	    (error = targs_str(&vn, a, 1, "value_name", "value",
			       "dict2items")) < 0)
		return error;
	*out = val_list();
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		struct val *d = val_dict();

		val_dict_set_str(d, kn, in->u.dict.items[i].key);
		val_dict_set(d, vn, val_ref(in->u.dict.items[i].v));
		val_list_push(*out, d);
	}
	return 0;
}

static int f_items2dict(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const char *kn, *vn;
	int error;

	(void)c;
	if ((error = template_need_list(in, "items2dict")) < 0 ||
	    (error = targs_str(&kn, a, 0, "key_name", "key",
			       "items2dict")) < 0 ||
	    (error = targs_str(&vn, a, 1, "value_name", "value",
			       "items2dict")) < 0)
		return error;
	*out = val_dict();
	for (size_t i = 0; i < in->u.list.nr; i++) {
		struct val *item = in->u.list.items[i];
		struct val *k = val_dict_get(item, kn), *v = val_dict_get(item, vn);
		struct buf ks = BUF_INIT;

		if (!k || !v) {
			val_unref(*out);
			*out = NULL;
			return tend_error_set("items2dict: item has no '%s'",
					      k ? vn : kn);
		}
		template_to_str(&ks, k);
		val_dict_set(*out, ks.ptr, val_ref(v));
		buf_release(&ks);
	}
	return 0;
}

static int f_dictsort(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct sort_opts o = { "0", false, 0 };
	struct val *pairs;
	const char *by;
	int error;

	(void)c;
	if ((error = template_need_dict(in, "dictsort")) < 0 ||
	    (error = targs_str(&by, a, 1, "by", "key", "dictsort")) < 0)
		return error;
	o.case_sensitive = targs_bool(a, 0, "case_sensitive", false);
	if (!strcmp(by, "value"))
		o.attribute = "1";
	pairs = val_list();
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		struct val *t = val_list();

		t->flags |= VAL_F_TUPLE;
		val_list_push(t, val_str(in->u.dict.items[i].key));
		val_list_push(t, val_ref(in->u.dict.items[i].v));
		val_list_push(pairs, t);
	}
	error = sorted(out, pairs, &o, targs_bool(a, 2, "reverse", false));
	val_unref(pairs);
	return error;
}

static int f_combine(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	bool deep = targs_bool(a, SIZE_MAX, "recursive", false);
	struct val *r;
	int error;

	(void)c;
	if ((error = template_need_dict(in, "combine")) < 0)
		return error;
	r = val_copy(in);
	for (size_t i = 0; i < a->npos; i++) {
		const struct val *d = a->pos[i];
		size_t n = d->type == VAL_LIST ? d->u.list.nr : 1;

		for (size_t k = 0; k < n; k++) {
			const struct val *x = d->type == VAL_LIST ?
						      d->u.list.items[k] : d;

			if ((error = template_need_dict(x, "combine")) < 0) {
				val_unref(r);
				return error;
			}
			val_dict_update(r, x, deep);
		}
	}
	*out = r;
	return 0;
}

static bool is_nullish(const struct val *v)
{
	return v->type == VAL_NULL ||
	       (v->type == VAL_STR && (!strcmp(v->u.s.ptr, "None") ||
				       !strcmp(v->u.s.ptr, "null")));
}

static void flatten_into(struct val *dst, const struct val *l, long long levels,
			 bool skip_nulls)
{
	for (size_t i = 0; i < l->u.list.nr; i++) {
		struct val *v = l->u.list.items[i];

		if (skip_nulls && is_nullish(v))
			continue;
		if (v->type == VAL_LIST && levels != 0)
			flatten_into(dst, v, levels - 1, skip_nulls);
		else
			val_list_push(dst, val_ref(v));
	}
}

static int f_flatten(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	long long levels;
	int error;

	(void)c;
	if ((error = template_need_list(in, "flatten")) < 0 ||
	    (error = targs_int(&levels, a, 0, "levels", -1, "flatten")) < 0)
		return error;
	if (levels > 1000 || levels < 0)
		levels = 1000;
	*out = val_list();
	flatten_into(*out, in, levels, targs_bool(a, 1, "skip_nulls", true));
	return 0;
}

static int f_reverse(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *items;
	int error;

	(void)a;
	(void)c;
	if (in->type == VAL_STR) {
		struct buf b = BUF_INIT;

		for (size_t i = in->u.s.len; i > 0; i--)
			buf_addch(&b, in->u.s.ptr[i - 1]);
		*out = template_str_result(&b);
		return 0;
	}
	if ((error = template_items_of(&items, in, "reverse")) < 0)
		return error;
	*out = val_list();
	for (size_t i = items->u.list.nr; i > 0; i--)
		val_list_push(*out, val_ref(items->u.list.items[i - 1]));
	val_unref(items);
	return 0;
}

/* union, intersect, difference, symmetric_difference (Ansible's). */
static int set_op(struct val **out, struct val *in, const struct targs *a,
		  int op)
{
	struct val *other = targs_get(a, 0, "b"), *l;
	int error;

	if ((error = template_need_list(in, "set operation")) < 0)
		return error;
	if (!other || other->type != VAL_LIST)
		return tend_error_set("set operation needs a list argument");
	l = val_list();
	for (size_t i = 0; i < in->u.list.nr; i++) {
		struct val *v = in->u.list.items[i];
		bool in_other = template_list_has(other, v, false);

		if (template_list_has(l, v, false))
			continue;
		if (op == 'u' || (op == 'i' && in_other) ||
		    ((op == 'd' || op == 's') && !in_other))
			val_list_push(l, val_ref(v));
	}
	for (size_t i = 0; (op == 'u' || op == 's') && i < other->u.list.nr; i++) {
		struct val *v = other->u.list.items[i];

		if (!template_list_has(l, v, false) &&
		    (op == 'u' || !template_list_has(in, v, false)))
			val_list_push(l, val_ref(v));
	}
	*out = l;
	return 0;
}

static int f_union(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 'u');
}

static int f_intersect(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 'i');
}

static int f_difference(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 'd');
}

static int f_symmetric_difference(struct val **out, struct val *in,
				  const struct targs *a, struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 's');
}

static int f_extract(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *container = targs_get(a, 0, "container");
	struct val *more = targs_get(a, 1, "morekeys");
	struct val *v;
	struct buf k = BUF_INIT;

	(void)c;
	if (!container)
		return tend_error_set("extract needs a container");
	if (container->type == VAL_LIST && in->type == VAL_INT) {
		if (in->u.i < 0 || (size_t)in->u.i >= container->u.list.nr)
			return tend_error_set("extract: index %lld out of range",
					      in->u.i);
		v = val_ref(container->u.list.items[in->u.i]);
	} else {
		template_to_str(&k, in);
		template_getattr(&v, container, k.ptr);
		buf_release(&k);
	}
	if (more) {
		size_t n = more->type == VAL_LIST ? more->u.list.nr : 1;

		for (size_t i = 0; i < n; i++) {
			const struct val *key = more->type == VAL_LIST ?
							more->u.list.items[i] : more;
			struct val *next;

			buf_reset(&k);
			template_to_str(&k, key);
			template_getattr(&next, v, k.ptr);
			val_unref(v);
			v = next;
		}
		buf_release(&k);
	}
	*out = v;
	return 0;
}

static int f_items(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	if (in->type != VAL_DICT)
		return tend_error_set("items: can only get item pairs from a "
				      "mapping");
	*out = val_list();
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		struct val *t = val_list();

		t->flags |= VAL_F_TUPLE;
		val_list_push(t, val_str(in->u.dict.items[i].key));
		val_list_push(t, val_ref(in->u.dict.items[i].v));
		val_list_push(*out, t);
	}
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "combine", f_combine, 0 },
	{ "count", f_length, TFILTER_MARKUP_OK },
	{ "dict2items", f_dict2items, 0 },
	{ "dictsort", f_dictsort, 0 },
	{ "difference", f_difference, 0 },
	{ "extract", f_extract, 0 },
	{ "first", f_first, 0 },
	{ "flatten", f_flatten, 0 },
	{ "intersect", f_intersect, 0 },
	{ "items", f_items, 0 },
	{ "items2dict", f_items2dict, 0 },
	{ "last", f_last, 0 },
	{ "length", f_length, TFILTER_MARKUP_OK },
	{ "list", f_list, 0 },
	{ "max", f_max, 0 },
	{ "min", f_min, 0 },
	{ "reverse", f_reverse, 0 },
	{ "sort", f_sort, TFILTER_WHOLE },
	{ "sum", f_sum, 0 },
	{ "symmetric_difference", f_symmetric_difference, 0 },
	{ "union", f_union, 0 },
	{ "unique", f_unique, TFILTER_WHOLE },
};

const struct filter_family filter_list_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
