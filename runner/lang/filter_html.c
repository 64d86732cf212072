#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <ctype.h>

/*
 * Jinja's filters for HTML and URLs: safe, forceescape, striptags,
 * xmlattr, urlencode, tojson (urlize is refused). Ansible renders without
 * autoescaping, so they give Jinja's text with autoescape off; what they
 * mark as Markup is flagged (value_int.h).
 */

static int f_safe(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;

	(void)a;
	(void)c;
	buf_add(&b, s->u.s.ptr, s->u.s.len);
	val_unref(s);
	*out = template_markup_result(&b);
	return 0;
}

/* escape() of str(value): Markup is escaped again. */
static int f_forceescape(struct val **out, struct val *in,
			 const struct targs *a, struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;

	(void)a;
	(void)c;
	template_html_escape(&b, s->u.s.ptr, s->u.s.len);
	val_unref(s);
	*out = template_markup_result(&b);
	return 0;
}

/* Append s with "<open...close>" spans removed, as re.sub(r"<.*?>"). */
static void drop_spans(struct buf *out, const char *s, size_t len,
		       const char *open, const char *close)
{
	size_t i = 0, no = strlen(open), nc = strlen(close);

	while (i < len) {
		const char *o = memmem(s + i, len - i, open, no);
		const char *e = o ? memmem(o + no, len - (size_t)(o + no - s),
					   close, nc) : NULL;

		if (!e)
			break;
		buf_add(out, s + i, (size_t)(o - s) - i);
		i = (size_t)(e + nc - s);
	}
	buf_add(out, s + i, len - i);
}

/* The character of a numeric reference that html.unescape keeps as is. */
static bool plain_charref(unsigned long n)
{
	return n == 9 || n == 10 || n == 12 || (n >= 0x20 && n <= 0x7e) ||
	       (n >= 0xa0 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfdcf) ||
	       (n >= 0xfdf0 && n <= 0x10ffff && (n & 0xfffe) != 0xfffe);
}

/*
 * html.unescape of the reference at s ('&' ...): appends what it stands
 * for and returns the bytes it took, or 0 for a '&' that starts none.
 * References tend cannot resolve as Python does are an error.
 */
static int unescape_ref(size_t *used, struct buf *out, const char *s,
			size_t len)
{
	static const struct { const char *name, *text; } names[] = {
		{ "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" },
		{ "quot;", "\"" }, { "apos;", "'" }, { "nbsp;", "\xc2\xa0" },
	};
	size_t i = 1, start;
	unsigned long n = 0;
	bool hex;

	*used = 0;
	if (i < len && s[i] == '#') {
		hex = i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X');
		start = i += 1 + hex;
		for (; i < len && (hex ? isxdigit((unsigned char)s[i]) :
				   isdigit((unsigned char)s[i])); i++)
			if (i - start < 8)
				n = n * (hex ? 16 : 10) +
				    (unsigned long)(isdigit((unsigned char)s[i]) ?
				    s[i] - '0' : tolower((unsigned char)s[i]) -
				    'a' + 10);
		if (i == start)
			return 0;
		if (i - start > 7 || !plain_charref(n))
			return tend_error_set("striptags: character reference "
					      "'%.*s' is not supported",
					      (int)i, s);
		buf_add_utf8(out, n);
		*used = i + (i < len && s[i] == ';');
		return 0;
	}
	if (i >= len || !isalpha((unsigned char)s[i]))
		return 0;
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		size_t nl = strlen(names[k].name);

		if (len - i >= nl && !memcmp(s + i, names[k].name, nl)) {
			buf_adds(out, names[k].text);
			*used = i + nl;
			return 0;
		}
	}
	while (i < len && isalnum((unsigned char)s[i]) && i < 8)
		i++;
	return tend_error_set("striptags: HTML entity '%.*s' is not supported",
			      (int)i, s);
}

/*
 * Markup.striptags(): comments, then tags, removed; whitespace runs
 * made one space; then html.unescape.
 */
static int f_striptags(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct buf t1 = BUF_INIT, t2 = BUF_INIT, b = BUF_INIT;
	int error = 0;

	(void)a;
	(void)c;
	drop_spans(&t1, s->u.s.ptr, s->u.s.len, "<!--", "-->");
	drop_spans(&t2, t1.ptr, t1.len, "<", ">");
	buf_reset(&t1);
	for (size_t i = 0, n; i < t2.len;) {
		if ((n = template_py_space(t2.ptr + i, t2.len - i))) {
			while ((n = template_py_space(t2.ptr + i, t2.len - i)))
				i += n;
			if (t1.len && i < t2.len)
				buf_addch(&t1, ' ');
			continue;
		}
		buf_addch(&t1, t2.ptr[i++]);
	}
	for (size_t i = 0, n; i < t1.len && !error; i += n ? n : 1) {
		n = 0;
		if (t1.ptr[i] == '&')
			error = unescape_ref(&n, &b, t1.ptr + i, t1.len - i);
		if (!n)
			buf_addch(&b, t1.ptr[i]);
	}
	val_unref(s);
	buf_release(&t1);
	buf_release(&t2);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	return 0;
}

static int f_xmlattr(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = template_need_dict(in, "xmlattr")) < 0)
		return error;
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		const char *k = in->u.dict.items[i].key;
		struct val *v = in->u.dict.items[i].v, *s;

		if (v->type == VAL_NULL || template_is_undef(v))
			continue;
		if (strpbrk(k, " \t\n\r\f\v/>=")) {
			struct val *kv = val_str(k);

			buf_reset(&b);
			val_to_repr_text(&b, kv);
			val_unref(kv);
			error = tend_error_set("Invalid character in attribute "
					       "name: %s", b.ptr);
			buf_release(&b);
			return error;
		}
		s = template_str_of(v);
		if (b.len || targs_bool(a, 0, "autospace", true))
			buf_addch(&b, ' ');
		template_html_escape(&b, k, strlen(k));
		buf_adds(&b, "=\"");
		template_html_escape(&b, s->u.s.ptr, s->u.s.len);
		buf_addch(&b, '"');
		val_unref(s);
	}
	*out = template_str_result(&b);
	return 0;
}

/* urllib's quote of str(v) in UTF-8: "/" kept unless for a query. */
static void url_quote(struct buf *out, const struct val *v, bool for_qs)
{
	struct buf s = BUF_INIT;

	template_to_str(&s, v);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char ch = (unsigned char)s.ptr[i];

		if (isalnum(ch) || strchr("_.-~", ch) || (ch == '/' && !for_qs))
			buf_addch(out, (char)ch);
		else if (ch == ' ' && for_qs)
			buf_addch(out, '+');
		else
			buf_addf(out, "%%%02X", ch);
	}
	buf_release(&s);
}

/* One key=value of a query string, '&' before all but the first. */
static void query_pair(struct buf *out, const struct val *k,
		       const struct val *v)
{
	if (out->len)
		buf_addch(out, '&');
	url_quote(out, k, true);
	buf_addch(out, '=');
	url_quote(out, v, true);
}

/* A string quoted; a dict or a list of pairs as a query string. */
static int f_urlencode(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;

	(void)a;
	(void)c;
	for (size_t i = 0; in->type == VAL_DICT && i < in->u.dict.nr; i++) {
		struct val *k = val_str(in->u.dict.items[i].key);

		query_pair(&b, k, in->u.dict.items[i].v);
		val_unref(k);
	}
	for (size_t i = 0; in->type == VAL_LIST && i < in->u.list.nr; i++) {
		struct val *p = in->u.list.items[i];

		if (p->type != VAL_LIST || p->u.list.nr != 2) {
			buf_release(&b);
			return tend_error_set("urlencode: each item of a list "
					      "must be a (key, value) pair");
		}
		query_pair(&b, p->u.list.items[0], p->u.list.items[1]);
	}
	if (in->type != VAL_DICT && in->type != VAL_LIST)
		url_quote(&b, in, false);
	*out = template_str_result(&b);
	return 0;
}

/*
 * htmlsafe_json_dumps: json.dumps(sort_keys=True) with ensure_ascii,
 * and < > & ' written as \u003c \u003e \u0026 \u0027.
 */
static int f_tojson(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *iv = targs_get(a, 0, "indent"), *sorted;
	struct buf j = BUF_INIT, b = BUF_INIT;

	(void)c;
	if (iv && iv->type != VAL_NULL &&
	    (iv->type != VAL_INT || iv->u.i < 1 || iv->u.i > 64))
		return tend_error_set("tojson: an indent other than a number "
				      "from 1 to 64 is not supported");
	sorted = template_sort_keys(in);
	val_to_json_text(&j, sorted, iv && iv->type == VAL_INT ?
			 (int)iv->u.i : 0);
	val_unref(sorted);
	for (size_t i = 0; i < j.len;) {
		unsigned char ch = (unsigned char)j.ptr[i];
		uint32_t cp;
		size_t n;

		if (ch < 0x80) {
			if (strchr("<>&'", ch))
				buf_addf(&b, "\\u%04x", ch);
			else
				buf_addch(&b, (char)ch);
			i++;
			continue;
		}
		n = utf8_decode(&cp, j.ptr + i, j.len - i);
		if (!n)
			BUG("val_to_json_text wrote invalid UTF-8");
		if (cp > 0xffff)
			buf_addf(&b, "\\u%04x\\u%04x",
				 0xd800 + ((cp - 0x10000) >> 10),
				 0xdc00 + ((cp - 0x10000) & 0x3ff));
		else
			buf_addf(&b, "\\u%04x", cp);
		i += n;
	}
	buf_release(&j);
	*out = template_markup_result(&b);
	return 0;
}

static int f_urlize(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)out;
	(void)in;
	(void)a;
	(void)c;
	return tend_error_set("filter 'urlize' is not supported yet");
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "forceescape", f_forceescape, TFILTER_MARKUP_OK },
	{ "safe", f_safe, TFILTER_MARKUP_OK },
	{ "striptags", f_striptags, TFILTER_MARKUP_OK },
	{ "tojson", f_tojson, TFILTER_MARKUP_OK | TFILTER_WHOLE },
	{ "urlencode", f_urlencode, TFILTER_MARKUP_OK },
	{ "urlize", f_urlize, 0 },
	{ "xmlattr", f_xmlattr, 0 },
};

const struct filter_family filter_html_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
