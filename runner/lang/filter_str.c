#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <ctype.h>

/*
 * Filters of strings: join, case, replace, trim, split, format, quote,
 * indent, escape.
 */

static int f_join(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	const char *sep, *attr;
	struct val *items;
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = targs_str(&sep, a, 0, "d", "", "join")) < 0 ||
	    (error = targs_str(&attr, a, 1, "attribute", "", "join")) < 0 ||
	    (error = template_items_of(&items, in, "join")) < 0)
		return error;
	for (size_t i = 0; i < items->u.list.nr; i++) {
		struct val *v = items->u.list.items[i];

		if (i)
			buf_adds(&b, sep);
		if (*attr) {
			template_get_path(&v, v, attr);
			if ((error = template_need(v)) < 0) {
				val_unref(v);
				break;
			}
			template_to_str(&b, v);
			val_unref(v);
		} else {
			template_to_str(&b, v);
		}
	}
	val_unref(items);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	return 0;
}

static int case_map(struct val **out, struct val *in, int mode)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;
	bool word_start = true;

	if (mode == 'l') { /* Python's lower(): every Unicode letter */
		buf_add_lower(&b, s->u.s.ptr, s->u.s.len);
		val_unref(s);
		*out = template_str_result(&b);
		return 0;
	}

	for (size_t i = 0; i < s->u.s.len; i++) {
		unsigned char ch = (unsigned char)s->u.s.ptr[i];

		switch (mode) {
		case 'l':
			ch = (unsigned char)tolower(ch);
			break;
		case 'u':
			ch = (unsigned char)toupper(ch);
			break;
		case 'c':
			ch = (unsigned char)(i ? tolower(ch) : toupper(ch));
			break;
		default: /* title: words split as Jinja's do_title */
			if (isspace(ch) || strchr("-({[<", ch)) {
				word_start = true;
			} else {
				ch = (unsigned char)(word_start ? toupper(ch) :
								  tolower(ch));
				word_start = false;
			}
		}
		buf_addch(&b, (char)ch);
	}
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

static int f_lower(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 'l');
}

static int f_upper(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 'u');
}

static int f_capitalize(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 'c');
}

static int f_title(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 't');
}

static int f_replace(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	const char *from, *to;
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;
	long long count;
	int error;

	(void)c;
	if ((error = targs_str(&from, a, 0, "old", NULL, "replace")) < 0 ||
	    (error = targs_str(&to, a, 1, "new", NULL, "replace")) < 0 ||
	    (error = targs_int(&count, a, 2, "count", -1, "replace")) < 0) {
		val_unref(s);
		return error;
	}
	template_str_replace(&b, s->u.s.ptr, s->u.s.len, from, to, count);
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

static int f_trim(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	const char *chars;
	struct val *s = template_str_of(in);
	size_t lo = 0, hi = s->u.s.len;
	int error;

	(void)c;
	if ((error = targs_str(&chars, a, 0, "chars", "", "trim")) < 0) {
		val_unref(s);
		return error;
	}
#define TRIMMABLE(ch) (*chars ? (ch) && strchr(chars, (ch)) != NULL : \
		       isspace((unsigned char)(ch)))
	while (lo < hi && TRIMMABLE(s->u.s.ptr[lo]))
		lo++;
	while (hi > lo && TRIMMABLE(s->u.s.ptr[hi - 1]))
		hi--;
#undef TRIMMABLE
	*out = val_strn(s->u.s.ptr + lo, hi - lo);
	val_unref(s);
	return 0;
}

static int f_split(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *sepv = targs_get(a, 0, "sep");
	long long max;
	int error;

	(void)c;
	if ((error = template_need_str(in, "split")) < 0 ||
	    (error = targs_int(&max, a, 1, "maxsplit", -1, "split")) < 0)
		return error;
	if (sepv && sepv->type != VAL_STR && sepv->type != VAL_NULL)
		return tend_error_set("split: separator must be a string");
	if (sepv && sepv->type == VAL_STR && !sepv->u.s.len)
		return tend_error_set("empty separator");
	*out = template_py_split(in->u.s.ptr, in->u.s.len,
				 val_cstr(sepv), max);
	return 0;
}

static int f_format(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *args = val_list();
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = template_need_str(in, "format")) < 0) {
		val_unref(args);
		return error;
	}
	for (size_t i = 0; i < a->npos; i++)
		val_list_push(args, val_ref(a->pos[i]));
	if (a->nkw) {
		val_unref(args);
		args = val_dict();
		for (size_t i = 0; i < a->nkw; i++)
			val_dict_set(args, a->kwname[i], val_ref(a->kw[i]));
	}
	error = template_percent_format(&b, in->u.s.ptr, args);
	val_unref(args);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	return 0;
}

/* shlex.quote: bare when safe, else single-quoted as Python does. */
static int f_quote(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;
	bool safe = s->u.s.len > 0;

	(void)a;
	(void)c;
	for (size_t i = 0; i < s->u.s.len; i++) {
		unsigned char ch = (unsigned char)s->u.s.ptr[i];

		if (!isalnum(ch) && !strchr("@%+=:,./-_", ch))
			safe = false;
	}
	/*
	 * Python's shlex.quote, to give Ansible's very text: a ' becomes
	 * '"'"' (sh_quote writes '\'', which the shell reads the same)
	 */
	if (safe) {
		buf_add(&b, s->u.s.ptr, s->u.s.len);
	} else {
		buf_addch(&b, '\'');
		for (size_t i = 0; i < s->u.s.len; i++) {
			if (s->u.s.ptr[i] == '\'')
				buf_adds(&b, "'\"'\"'");
			else
				buf_addch(&b, s->u.s.ptr[i]);
		}
		buf_addch(&b, '\'');
	}
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

static int f_indent(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *w = targs_get(a, 0, "width"), *s = template_str_of(in);
	bool first = targs_bool(a, 1, "first", false);
	bool blank = targs_bool(a, 2, "blank", false);
	struct buf ind = BUF_INIT, b = BUF_INIT;
	const char *p, *end;

	(void)c;
	if (w && w->type == VAL_STR)
		buf_add(&ind, w->u.s.ptr, w->u.s.len);
	else
		for (long long i = 0; i < (w && w->type == VAL_INT ? w->u.i : 4) &&
				      i < 1000; i++)
			buf_addch(&ind, ' ');
	p = s->u.s.ptr;
	end = p + s->u.s.len;
	for (bool first_line = true; p < end; first_line = false) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!first_line)
			buf_addch(&b, '\n');
		if ((first_line ? first : (n || blank)))
			buf_addbuf(&b, &ind);
		buf_add(&b, p, n);
		p += n + (nl ? 1 : 0);
	}
	if (!s->u.s.len && first)
		buf_addbuf(&b, &ind);
	buf_release(&ind);
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

/* markupsafe's escape(): Markup passes through, the rest becomes Markup. */
static int f_escape(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *s;
	struct buf b = BUF_INIT;

	(void)a;
	(void)c;
	if (template_is_markup(in)) {
		*out = val_ref(in);
		return 0;
	}
	s = template_str_of(in);
	template_html_escape(&b, s->u.s.ptr, s->u.s.len);
	val_unref(s);
	*out = template_markup_result(&b);
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "capitalize", f_capitalize, 0 },
	{ "e", f_escape, TFILTER_MARKUP_OK },
	{ "escape", f_escape, TFILTER_MARKUP_OK },
	{ "format", f_format, 0 },
	{ "indent", f_indent, 0 },
	{ "join", f_join, TFILTER_WHOLE },
	{ "lower", f_lower, 0 },
	{ "quote", f_quote, 0 },
	{ "replace", f_replace, 0 },
	{ "split", f_split, 0 },
	{ "title", f_title, 0 },
	{ "trim", f_trim, 0 },
	{ "upper", f_upper, 0 },
};

const struct filter_family filter_str_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
