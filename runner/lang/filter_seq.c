#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

/*
 * Jinja's filters that regroup or inspect values: batch, slice, groupby,
 * attr, pprint. Ansible unrolls the generators batch and slice return,
 * so they give lists here.
 */

static int count_arg(long long *out, const struct targs *a, const char *name,
		     const char *who)
{
	struct val *v = targs_get(a, 0, name);

	if (!v)
		return tend_error_set("%s: missing argument '%s'", who, name);
	if (v->type != VAL_INT && v->type != VAL_BOOL)
		return tend_error_set("%s: '%s' must be an integer, not %s",
				      who, name, template_type_name(v));
	return targs_int(out, a, 0, name, 0, who);
}

/* fill_with: None (or absent) fills nothing. */
static struct val *fill_arg(const struct targs *a)
{
	struct val *f = targs_get(a, 1, "fill_with");

	return f && f->type != VAL_NULL ? f : NULL;
}

static int f_batch(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *items, *l, *cur, *fill = fill_arg(a);
	long long n;
	int error;

	(void)c;
	if ((error = count_arg(&n, a, "linecount", "batch")) < 0 ||
	    (error = template_items_of(&items, in, "batch")) < 0)
		return error;
	l = val_list();
	cur = val_list();
	for (size_t i = 0; i < items->u.list.nr; i++) {
		if ((long long)cur->u.list.nr == n) {
			val_list_push(l, cur);
			cur = val_list();
		}
		val_list_push(cur, val_ref(items->u.list.items[i]));
	}
	if (cur->u.list.nr) {
		while (fill && (long long)cur->u.list.nr < n)
			val_list_push(cur, val_ref(fill));
		val_list_push(l, cur);
	} else {
		val_unref(cur);
	}
	val_unref(items);
	*out = l;
	return 0;
}

static int f_slice(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *items, *l, *fill = fill_arg(a);
	long long n, len, per, extra, offset = 0;
	int error;

	(void)c;
	if ((error = count_arg(&n, a, "slices", "slice")) < 0)
		return error;
	if (!n)
		return tend_error_set("integer division or modulo by zero");
	if ((error = template_items_of(&items, in, "slice")) < 0)
		return error;
	len = (long long)items->u.list.nr;
	per = n > 0 ? len / n : 0;
	extra = n > 0 ? len % n : 0;
	l = val_list();
	for (long long k = 0; k < n; k++) {
		long long start = offset + k * per, end;
		struct val *part = val_list();

		if (k < extra)
			offset++;
		end = offset + (k + 1) * per;
		for (long long i = start; i < end && i < len; i++)
			val_list_push(part, val_ref(items->u.list.items[i]));
		if (fill && k >= extra)
			val_list_push(part, val_ref(fill));
		val_list_push(l, part);
	}
	val_unref(items);
	*out = l;
	return 0;
}

static bool has_non_ascii(const struct val *v)
{
	for (size_t i = 0; v->type == VAL_STR && i < v->u.s.len; i++)
		if ((unsigned char)v->u.s.ptr[i] >= 0x80)
			return true;
	return false;
}

/*
 * [key, item] for each item: the attribute at `path`, else `def`; an
 * item without it and no default is an error, as Jinja's sort makes it.
 */
static int group_keys(struct val **out, const struct val *items,
		      const char *path, struct val *def, bool cs)
{
	struct val *l = val_list();
	int error = 0;

	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *k, *pair = val_list();

		template_get_path(&k, items->u.list.items[i], path);
		if (template_is_undef(k) && def) {
			val_unref(k);
			k = val_ref(def);
		}
		if (!(error = template_need(k)) && !cs && has_non_ascii(k))
			error = tend_error_set("groupby: grouping non-ASCII "
					       "text regardless of case is not "
					       "supported (case_sensitive=true "
					       "is)");
		val_list_push(pair, k);
		val_list_push(pair, val_ref(items->u.list.items[i]));
		val_list_push(l, pair);
	}
	if (error < 0) {
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}

static bool same_key(const struct val *a, const struct val *b, bool cs)
{
	if (!cs && a->type == VAL_STR && b->type == VAL_STR)
		return !strcasecmp(a->u.s.ptr, b->u.s.ptr);
	return val_equal(a, b);
}

/* Sorted by the attribute, then (grouper, list) for each run of equals. */
static int f_groupby(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *attr = targs_get(a, 0, "attribute");
	struct val *def = targs_get(a, 1, "default");
	bool cs = targs_bool(a, 2, "case_sensitive", false);
	struct val *items = NULL, *pairs = NULL, *sorted = NULL, *l;
	struct buf path = BUF_INIT;
	int error;

	(void)c;
	if (!attr || (attr->type != VAL_STR && attr->type != VAL_INT))
		return tend_error_set("groupby: 'attribute' must be a string "
				      "or an integer");
	template_to_str(&path, attr);
	if (def && def->type == VAL_NULL)
		def = NULL;
	if ((error = template_items_of(&items, in, "groupby")) < 0 ||
	    (error = group_keys(&pairs, items, path.ptr, def, cs)) < 0 ||
	    (error = template_sorted(&sorted, pairs, "0", cs)) < 0)
		goto out;
	l = val_list();
	for (size_t i = 0; i < sorted->u.list.nr; i++) {
		struct val *p = sorted->u.list.items[i], *g = NULL;

		if (l->u.list.nr) {
			g = l->u.list.items[l->u.list.nr - 1];
			if (!same_key(g->u.list.items[0], p->u.list.items[0], cs))
				g = NULL;
		}
		if (!g) {
			g = val_list();
			g->flags |= VAL_F_TUPLE | TEMPLATE_F_GROUP;
			val_list_push(g, val_ref(p->u.list.items[0]));
			val_list_push(g, val_list());
			val_list_push(l, g);
		}
		val_list_push(g->u.list.items[1], val_ref(p->u.list.items[1]));
	}
	*out = l;
out:
	val_unref(items);
	val_unref(pairs);
	val_unref(sorted);
	buf_release(&path);
	return error;
}

/* Python's attributes of str, int, float, list and dict (dir()). */
static const char *const py_attrs[] = {
	"append", "as_integer_ratio", "bit_count", "bit_length",
	"capitalize", "casefold", "center", "clear", "conjugate", "copy",
	"count", "denominator", "encode", "endswith", "expandtabs", "extend",
	"find", "format", "format_map", "from_bytes", "fromhex", "fromkeys",
	"get", "hex", "imag", "index", "insert", "is_integer", "isalnum",
	"isalpha", "isascii", "isdecimal", "isdigit", "isidentifier",
	"islower", "isnumeric", "isprintable", "isspace", "istitle",
	"isupper", "items", "join", "keys", "ljust", "lower", "lstrip",
	"maketrans", "numerator", "partition", "pop", "popitem", "real",
	"remove", "removeprefix", "removesuffix", "replace", "reverse",
	"rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
	"setdefault", "sort", "split", "splitlines", "startswith", "strip",
	"swapcase", "title", "to_bytes", "translate", "update", "upper",
	"values", "zfill",
};

/*
 * obj.name as a Python attribute, never an item: the number attributes
 * that are data, undefined for a name Python's types do not have, and
 * an error for their methods (tend has no method values).
 */
static int f_attr(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	bool num = in->type == VAL_INT || in->type == VAL_BOOL;
	const char *name;
	long long i;
	int error;

	(void)c;
	if ((error = targs_str(&name, a, 0, "name", NULL, "attr")) < 0)
		return error;
	if ((in->flags & TEMPLATE_F_GROUP) &&
	    (!strcmp(name, "grouper") || !strcmp(name, "list"))) {
		template_getattr(out, in, name);
		return 0;
	}
	i = in->type == VAL_BOOL ? in->u.b : in->type == VAL_INT ? in->u.i : 0;
	if ((num || in->type == VAL_FLOAT) && !strcmp(name, "real")) {
		*out = num ? val_int(i) : val_ref(in);
		return 0;
	}
	if ((num || in->type == VAL_FLOAT) && !strcmp(name, "imag")) {
		*out = num ? val_int(0) : val_float(0.0);
		return 0;
	}
	if (num && (!strcmp(name, "numerator") ||
		    !strcmp(name, "denominator"))) {
		*out = val_int(*name == 'n' ? i : 1);
		return 0;
	}
	for (size_t k = 0; k < ARRAY_SIZE(py_attrs); k++)
		if (!strcmp(name, py_attrs[k]))
			return tend_error_set("attr: '%s' is a method or a "
					      "Python attribute, which is not "
					      "supported", name);
	if (*name == '_' || !strncmp(name, "ansible_", 8))
		return tend_error_set("attr: Python's internal attribute '%s' "
				      "is not supported", name);
	if (in->type == VAL_DICT)
		*out = template_undef("'dict object' has no attribute '%s'",
				      name);
	else
		template_getattr(out, in, name);
	return 0;
}

/*
 * A character Python's repr() writes as itself: printable ASCII, and
 * the non-ASCII blocks tend knows Python prints raw (Latin, IPA,
 * Greek, Cyrillic, CJK); pprint refuses the rest.
 */
static bool repr_plain(uint32_t cp)
{
	return cp < 0x80 || (cp >= 0xa1 && cp <= 0x377 && cp != 0xad) ||
	       (cp >= 0x391 && cp <= 0x3c9) || (cp >= 0x400 && cp <= 0x52f) ||
	       (cp >= 0x4e00 && cp <= 0x9fff);
}

static int repr_check(const struct val *v)
{
	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++)
			if (repr_check(v->u.list.items[i]) < 0)
				return -1;
	} else if (v->type == VAL_DICT) {
		for (size_t i = 0; i < v->u.dict.nr; i++) {
			struct val *k = val_str(v->u.dict.items[i].key);
			int error = repr_check(k);

			val_unref(k);
			if (error < 0 || repr_check(v->u.dict.items[i].v) < 0)
				return -1;
		}
	} else if (v->type == VAL_STR) {
		for (size_t i = 0, n; i < v->u.s.len; i += n ? n : 1) {
			uint32_t cp;

			n = utf8_decode(&cp, v->u.s.ptr + i, v->u.s.len - i);
			if (!n || !repr_plain(cp))
				return tend_error_set("pprint: a string with "
						      "the character at byte "
						      "%zu is not supported",
						      i);
		}
	}
	return 0;
}

/*
 * pprint's _format: the repr if it fits in what is left of the 80
 * columns, else a dict or list one item a line. A string too long for
 * its line (which pprint splits in pieces) is refused.
 */
static int pp_format(struct buf *out, const struct val *v, long long indent,
		     long long allowance)
{
	struct buf rep = BUF_INIT;
	bool dict = v->type == VAL_DICT, tuple = v->flags & VAL_F_TUPLE;
	size_t n = dict ? v->u.dict.nr : v->type == VAL_LIST ? v->u.list.nr : 0;
	long long end = tuple && n == 1 ? 2 : 1;
	int error = 0;

	val_to_repr_text(&rep, v);
	if ((long long)template_utf8_len(rep.ptr, rep.len) <=
	    80 - indent - allowance || (v->flags & TEMPLATE_F_GROUP) ||
	    (v->type != VAL_LIST && v->type != VAL_DICT &&
	     (v->type != VAL_STR || !strpbrk(v->u.s.ptr, " \t\n\r\v\f")))) {
		buf_addbuf(out, &rep);
		buf_release(&rep);
		return 0;
	}
	buf_release(&rep);
	if (v->type == VAL_STR)
		return tend_error_set("pprint: a string longer than its line "
				      "is not supported");
	buf_addch(out, dict ? '{' : tuple ? '(' : '[');
	for (size_t i = 0; i < n && !error; i++) {
		long long last_allow = i + 1 == n ? allowance + end : 1;

		if (i) {
			buf_adds(out, ",\n");
			for (long long k = 0; k <= indent; k++)
				buf_addch(out, ' ');
		}
		if (dict) {
			struct val *k = val_str(v->u.dict.items[i].key);
			size_t at = out->len;

			val_to_repr_text(out, k);
			val_unref(k);
			buf_adds(out, ": ");
			error = pp_format(out, v->u.dict.items[i].v, indent + 1 +
					  (long long)template_utf8_len(
						  out->ptr + at, out->len - at),
					  last_allow);
		} else {
			error = pp_format(out, v->u.list.items[i], indent + 1,
					  last_allow);
		}
	}
	buf_adds(out, dict ? "}" : !tuple ? "]" : n == 1 ? ",)" : ")");
	return error;
}

static int f_pprint(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *s = template_sort_keys(in);
	struct buf b = BUF_INIT;
	int error;

	(void)a;
	(void)c;
	if ((error = repr_check(s)) < 0 ||
	    (error = pp_format(&b, s, 0, 0)) < 0)
		buf_release(&b);
	else
		*out = template_str_result(&b);
	val_unref(s);
	return error;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "attr", f_attr, 0 },
	{ "batch", f_batch, 0 },
	{ "groupby", f_groupby, 0 },
	{ "pprint", f_pprint, 0 },
	{ "slice", f_slice, 0 },
};

const struct filter_family filter_seq_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
