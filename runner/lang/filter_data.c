#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"

#include <sodium.h>

/*
 * Filters of data formats and encodings: to_json, to_nice_json,
 * to_yaml, to_nice_yaml, from_json, from_yaml, b64encode, b64decode
 * (paths: filter_path.c).
 */

struct val *template_sort_keys(const struct val *v)
{
	struct val *r;

	if (v->type == VAL_LIST) {
		r = val_list();
		for (size_t i = 0; i < v->u.list.nr; i++)
			val_list_push(r, template_sort_keys(v->u.list.items[i]));
		r->flags = v->flags;
		return r;
	}
	if (v->type != VAL_DICT)
		return val_ref((struct val *)v);
	{
		size_t n = v->u.dict.nr;
		const struct val_pair **p = xmalloc((n ? n : 1) * sizeof(*p));

		for (size_t i = 0; i < n; i++)
			p[i] = &v->u.dict.items[i];
		/* insertion sort: dicts in playbooks are small */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 &&
			     strcmp(p[j - 1]->key, p[j]->key) > 0; j--) {
				const struct val_pair *t = p[j];

				p[j] = p[j - 1];
				p[j - 1] = t;
			}
		r = val_dict();
		for (size_t i = 0; i < n; i++)
			val_dict_set(r, p[i]->key, template_sort_keys(p[i]->v));
		free(p);
		r->flags = v->flags;
		return r;
	}
}

static int f_to_json(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct buf b = BUF_INIT;
	long long indent;
	int error;

	(void)c;
	if ((error = targs_int(&indent, a, SIZE_MAX, "indent", 0,
			       "to_json")) < 0)
		return error;
	if (targs_bool(a, SIZE_MAX, "sort_keys", false)) {
		struct val *s = template_sort_keys(in);

		val_to_json_text(&b, s, (int)indent);
		val_unref(s);
	} else {
		val_to_json_text(&b, in, (int)indent);
	}
	*out = template_str_result(&b);
	return 0;
}

static int f_to_nice_json(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;
	struct val *s = template_sort_keys(in);
	long long indent;
	int error;

	(void)c;
	if ((error = targs_int(&indent, a, 0, "indent", 4,
			       "to_nice_json")) < 0) {
		val_unref(s);
		return error;
	}
	val_to_json_text(&b, s, indent > 0 ? (int)indent : 4);
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

static bool is_container(const struct val *v)
{
	return v->type == VAL_LIST || v->type == VAL_DICT;
}

/* A scalar or a collection of scalars in YAML flow style. */
static void yaml_flow(struct buf *out, const struct val *v)
{
	size_t n = val_len(v);

	if (!is_container(v)) {
		size_t start = out->len;

		val_to_yaml_text(out, v, 2);
		while (out->len > start && out->ptr[out->len - 1] == '\n')
			buf_setlen(out, out->len - 1);
		return;
	}
	buf_addch(out, v->type == VAL_LIST ? '[' : '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(out, ", ");
		if (v->type == VAL_DICT) {
			struct val *k = val_str(v->u.dict.items[i].key);

			yaml_flow(out, k);
			val_unref(k);
			buf_adds(out, ": ");
			yaml_flow(out, v->u.dict.items[i].v);
		} else {
			yaml_flow(out, v->u.list.items[i]);
		}
	}
	buf_addch(out, v->type == VAL_LIST ? ']' : '}');
}

/*
 * PyYAML's dump with default_flow_style=None writes a collection of
 * scalars in flow style. NEEDSWORK: nested data is written all in block
 * style, where PyYAML would still write the innermost collections in
 * flow style.
 */
static int f_to_yaml(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct buf b = BUF_INIT;
	struct val *s = template_sort_keys(in);
	bool leaf = true;
	long long indent;
	int error;

	(void)c;
	if ((error = targs_int(&indent, a, SIZE_MAX, "indent", 2,
			       "to_yaml")) < 0) {
		val_unref(s);
		return error;
	}
	for (size_t i = 0; i < val_len(s) && is_container(s); i++)
		if (is_container(s->type == VAL_LIST ? s->u.list.items[i] :
				 s->u.dict.items[i].v))
			leaf = false;
	if (leaf && is_container(s)) {
		yaml_flow(&b, s);
		buf_addch(&b, '\n');
	} else {
		val_to_yaml_text(&b, s, (int)indent);
	}
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

static int f_to_nice_yaml(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;
	long long indent;
	int error;

	(void)c;
	if ((error = targs_int(&indent, a, 0, "indent", 4, "to_nice_yaml")) < 0)
		return error;
	in = template_sort_keys(in);
	val_to_yaml_text(&b, in, (int)indent);
	val_unref(in);
	*out = template_str_result(&b);
	return 0;
}

static int f_from_json(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "from_json")) < 0)
		return error;
	return val_from_json(out, in->u.s.ptr, in->u.s.len);
}

static int from_yaml(struct val **out, struct val *in, bool all)
{
	const char *who = all ? "from_yaml_all" : "from_yaml";
	struct diags d = DIAGS_INIT;
	int error;

	if ((error = template_need_str(in, who)) < 0)
		return error;
	error = (all ? yaml_load_string_all : yaml_load_string)(
		out, in->u.s.ptr, in->u.s.len, who, &d);
	if (error < 0) {
		if (d.nr)
			error = tend_error_set("%s", d.items[0]);
		else
			error = tend_error_prefix("%s", who);
	}
	diags_release(&d);
	return error;
}

static int f_from_yaml(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	return from_yaml(out, in, false);
}

/* Ansible returns a generator; its items, as a list, are what it yields. */
static int f_from_yaml_all(struct val **out, struct val *in,
			   const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	return from_yaml(out, in, true);
}

static int f_b64encode(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct val *s = template_str_of(in);
	size_t n = sodium_base64_ENCODED_LEN(s->u.s.len,
					     sodium_base64_VARIANT_ORIGINAL);
	char *p = xmalloc(n);

	(void)a;
	(void)c;
	sodium_bin2base64(p, n, (const unsigned char *)s->u.s.ptr, s->u.s.len,
			  sodium_base64_VARIANT_ORIGINAL);
	val_unref(s);
	*out = val_str_take(p, strlen(p));
	return 0;
}

static int f_b64decode(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	size_t n, len;
	unsigned char *p;
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "b64decode")) < 0)
		return error;
	n = in->u.s.len / 4 * 3 + 3;
	p = xmalloc(n + 1);
	if (sodium_base642bin(p, n, in->u.s.ptr, in->u.s.len, " \t\r\n", &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) < 0) {
		free(p);
		return tend_error_set("b64decode: invalid base64 input");
	}
	p[len] = '\0';
	*out = val_str_take((char *)p, len);
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "b64decode", f_b64decode, 0 },
	{ "b64encode", f_b64encode, TFILTER_MARKUP_OK },
	{ "from_json", f_from_json, TFILTER_MARKUP_OK },
	{ "from_yaml", f_from_yaml, 0 },
	{ "from_yaml_all", f_from_yaml_all, 0 },
	{ "to_json", f_to_json, TFILTER_MARKUP_OK | TFILTER_WHOLE | TFILTER_TEXT },
	{ "to_nice_json", f_to_nice_json, TFILTER_WHOLE | TFILTER_TEXT },
	{ "to_nice_yaml", f_to_nice_yaml, TFILTER_WHOLE | TFILTER_TEXT },
	{ "to_yaml", f_to_yaml, TFILTER_WHOLE | TFILTER_TEXT },
};

const struct filter_family filter_data_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
