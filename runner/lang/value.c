#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/template.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <strings.h>

struct val *template_undef(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct val *v;
	va_list ap;
	size_t len;
	char *s;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	s = buf_detach(&b, &len);
	v = val_str_take(s, len);
	v->flags |= TEMPLATE_F_UNDEF;
	return v;
}

int template_need(const struct val *v)
{
	if (!template_is_undef(v))
		return 0;
	return tend_error_set_code(TEND_EUNDEFINED, "%s", v->u.s.ptr);
}

int template_need_deep(const struct val *v)
{
	int error = template_need(v);

	if (error < 0 || !v)
		return error;
	if (v->type == VAL_LIST)
		for (size_t i = 0; i < v->u.list.nr && !error; i++)
			error = template_need_deep(v->u.list.items[i]);
	else if (v->type == VAL_DICT)
		for (size_t i = 0; i < v->u.dict.nr && !error; i++)
			error = template_need_deep(v->u.dict.items[i].v);
	return error;
}

void template_to_str(struct buf *out, const struct val *v)
{
	if (v->type == VAL_STR)
		buf_add(out, v->u.s.ptr, v->u.s.len);
	else
		val_to_text(out, v);
}

int template_truthy(bool *out, const struct val *v)
{
	int error;

	if ((error = template_need(v)) < 0)
		return error;
	/* timedelta(0) is false; a datetime is always true */
	if (v->flags & TEMPLATE_F_TIMEDELTA)
		*out = strcmp(v->u.s.ptr, "0:00:00") != 0;
	else
		*out = truth_python(v);
	return 0;
}

const char *template_type_name(const struct val *v)
{
	if (template_is_undef(v))
		return "AnsibleUndefined";
	if (template_is_time(v))
		return v->flags & TEMPLATE_F_DATETIME ? "datetime.datetime" :
							"datetime.timedelta";
	switch (v->type) {
	case VAL_NULL:
		return "NoneType";
	case VAL_BOOL:
		return "bool";
	case VAL_INT:
		return "int";
	case VAL_FLOAT:
		return "float";
	case VAL_STR:
		return "str";
	case VAL_LIST:
		return "list";
	default:
		return "dict";
	}
}

void template_getattr(struct val **out, struct val *obj, const char *name)
{
	struct val *v;

	if (template_is_undef(obj)) {
		*out = val_ref(obj);
		return;
	}
	if ((obj->flags & TEMPLATE_F_GROUP) && obj->u.list.nr == 2 &&
	    (!strcmp(name, "grouper") || !strcmp(name, "list"))) {
		*out = val_ref(obj->u.list.items[*name == 'l']);
		return;
	}
	if (obj->type == VAL_DICT && (v = val_dict_get(obj, name))) {
		*out = val_ref(v);
		return;
	}
	if (obj->type == VAL_NULL)
		*out = template_undef("'None' has no attribute '%s'", name);
	else
		*out = template_undef("'%s object' has no attribute '%s'",
				      template_type_name(obj), name);
}

bool template_has_jinja(const char *s)
{
	for (const char *p = s; (p = strchr(p, '{')); p++)
		if (p[1] == '{' || p[1] == '%' || p[1] == '#')
			return true;
	return false;
}

bool template_needs_render(const struct val *v)
{
	if (v->flags & VAL_F_UNSAFE)
		return false;
	switch (v->type) {
	case VAL_STR:
		return !(v->flags & VAL_F_UNSAFE) &&
		       template_has_jinja(v->u.s.ptr);
	case VAL_LIST:
		for (size_t i = 0; i < v->u.list.nr; i++)
			if (template_needs_render(v->u.list.items[i]))
				return true;
		return false;
	case VAL_DICT:
		for (size_t i = 0; i < v->u.dict.nr; i++)
			if (template_needs_render(v->u.dict.items[i].v) ||
			    template_has_jinja(v->u.dict.items[i].key))
				return true;
		return false;
	default:
		return false;
	}
}

struct val *template_markup_result(struct buf *b)
{
	struct val *v = template_str_result(b);

	v->flags |= TEMPLATE_F_MARKUP;
	return v;
}

int template_markup_refuse(const struct val *v, const char *what)
{
	if (!template_is_markup(v))
		return 0;
	return tend_error_set("%s of a Markup string (what safe, escape, "
			      "forceescape and tojson return) is not "
			      "supported", what);
}

void template_html_escape(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': buf_adds(out, "&amp;"); break;
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '"': buf_adds(out, "&#34;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_addch(out, s[i]);
		}
	}
}

size_t template_utf8_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

size_t template_utf8_offset(const char *s, size_t len, size_t n)
{
	size_t i = 0;

	for (; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n-- == 0)
			break;
	return i;
}

struct val *template_str_result(struct buf *b)
{
	size_t len;
	char *s = buf_detach(b, &len);

	return val_str_take(s, len);
}

size_t template_py_space(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if (!len)
		return 0;
	if ((unsigned char)s[0] < 0x80)
		return strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", s[0]) && s[0] ?
		       1 : 0;
	if (!(n = utf8_decode(&cp, s, len)))
		return 0;
	return cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 ?
	       n : 0;
}

size_t template_py_space_before(const char *s, size_t len)
{
	for (size_t n = 1; n <= 3 && n <= len; n++) {
		unsigned char lead = (unsigned char)s[len - n];

		if ((lead & 0xc0) == 0x80)
			continue;
		return template_py_space(s + len - n, n) == n ? n : 0;
	}
	return 0;
}

size_t template_py_linebreak(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[0];

	if (c == '\r')
		return len > 1 && s[1] == '\n' ? 2 : 1;
	if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e))
		return 1;
	if (len > 1 && c == 0xc2 && (unsigned char)s[1] == 0x85)
		return 2;
	if (len > 2 && c == 0xe2 && (unsigned char)s[1] == 0x80 &&
	    ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9))
		return 3;
	return 0;
}

static bool is_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

void template_str_replace(struct buf *out, const char *s, size_t len,
			  const char *from, const char *to, long long max)
{
	size_t fl = strlen(from);

	for (size_t i = 0; i <= len; i++) {
		if (max && (fl ? i + fl <= len && !memcmp(s + i, from, fl) :
				 true)) {
			buf_adds(out, to);
			if (max > 0)
				max--;
			if (fl) {
				i += fl - 1;
				continue;
			}
		}
		if (i < len)
			buf_addch(out, s[i]);
	}
}

struct val *template_py_split(const char *s, size_t len, const char *sep,
			      long long max)
{
	struct val *l = val_list();
	size_t i = 0;

	if (!sep) {
		while (i < len) {
			size_t j;

			while (i < len && is_py_space(s[i]))
				i++;
			if (i >= len)
				break;
			if (max >= 0 && (long long)l->u.list.nr >= max) {
				size_t end = len;

				while (end > i && is_py_space(s[end - 1]))
					end--;
				val_list_push(l, val_strn(s + i, end - i));
				break;
			}
			j = i;
			while (j < len && !is_py_space(s[j]))
				j++;
			val_list_push(l, val_strn(s + i, j - i));
			i = j;
		}
		return l;
	}
	for (;;) {
		size_t seplen = strlen(sep);
		const char *hit = seplen && (max < 0 ||
					     (long long)l->u.list.nr < max) ?
					  memmem(s + i, len - i, sep, seplen) :
					  NULL;

		if (!hit) {
			val_list_push(l, val_strn(s + i, len - i));
			return l;
		}
		val_list_push(l, val_strn(s + i, (size_t)(hit - s) - i));
		i = (size_t)(hit - s) + seplen;
	}
}

struct val *template_py_strip(const struct val *v, const char *chars, int which)
{
	const char *s = v->u.s.ptr;
	size_t lo = 0, hi = v->u.s.len;

#define STRIPPABLE(ch) (chars ? strchr(chars, (ch)) != NULL && (ch) : \
			is_py_space(ch))
	if (which <= 0)
		while (lo < hi && STRIPPABLE(s[lo]))
			lo++;
	if (which >= 0)
		while (hi > lo && STRIPPABLE(s[hi - 1]))
			hi--;
#undef STRIPPABLE
	return val_strn(s + lo, hi - lo);
}

/* What iterating `in` yields, as a list (new reference). */
int template_items_of(struct val **out, const struct val *in, const char *who)
{
	switch (in->type) {
	case VAL_LIST:
		*out = val_ref((struct val *)in);
		return 0;
	case VAL_DICT:
		*out = val_list();
		for (size_t i = 0; i < in->u.dict.nr; i++)
			val_list_push(*out, val_str(in->u.dict.items[i].key));
		return 0;
	case VAL_STR:
		if (template_is_time(in))
			return tend_error_set("%s: '%s' object is not iterable",
					      who, template_type_name(in));
		/* Python's characters: a UTF-8 sequence is one (a bad byte too) */
		*out = val_list();
		for (size_t i = 0, n; i < in->u.s.len; i += n) {
			uint32_t cp;

			n = utf8_decode(&cp, in->u.s.ptr + i, in->u.s.len - i);
			n = n ? n : 1;
			val_list_push(*out, val_strn(in->u.s.ptr + i, n));
		}
		return 0;
	default:
		return tend_error_set("%s: '%s' object is not iterable", who,
				      template_type_name(in));
	}
}

int template_need_str(const struct val *in, const char *who)
{
	if (in->type != VAL_STR)
		return tend_error_set("%s: expected a string, got %s", who,
				      template_type_name(in));
	return 0;
}

/* A string of `in` (str() for non-strings). */
struct val *template_str_of(const struct val *in)
{
	struct buf b = BUF_INIT;

	if (in->type == VAL_STR)
		return val_ref((struct val *)in);
	template_to_str(&b, in);
	return template_str_result(&b);
}

void template_get_path(struct val **out, struct val *obj, const char *path)
{
	struct val *cur = val_ref(obj);
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ".");
		char *part = xstrndup(p, n);
		struct val *next;
		char *end;
		long long idx = strtoll(part, &end, 10);

		if (cur->type == VAL_LIST && *part && !*end) {
			if (idx < 0)
				idx += (long long)cur->u.list.nr;
			if (idx >= 0 && idx < (long long)cur->u.list.nr)
				next = val_ref(cur->u.list.items[idx]);
			else
				next = template_undef("list object has no "
						      "element %s", part);
		} else {
			template_getattr(&next, cur, part);
		}
		free(part);
		val_unref(cur);
		cur = next;
		p += n;
		if (*p)
			p++;
	}
	*out = cur;
}

bool template_list_has(const struct val *l, const struct val *v, bool icase)
{
	for (size_t i = 0; i < l->u.list.nr; i++) {
		const struct val *x = l->u.list.items[i];

		if (icase && x->type == VAL_STR && v->type == VAL_STR ?
			    !strcasecmp(x->u.s.ptr, v->u.s.ptr) :
			    val_equal(x, v))
			return true;
	}
	return false;
}

int template_need_dict(const struct val *in, const char *who)
{
	if (in->type != VAL_DICT)
		return tend_error_set("%s requires a dictionary, got %s", who,
				      template_type_name(in));
	return 0;
}

int template_need_list(const struct val *in, const char *who)
{
	if (in->type != VAL_LIST)
		return tend_error_set("%s requires a list, got %s", who,
				      template_type_name(in));
	return 0;
}

/*
 * Python %-formatting
 */

/* %s and %r: str() or repr() of v, cut to prec and padded to width. */
static void percent_str(struct buf *out, const struct val *v, char conv,
			const char *spec, int width, int prec)
{
	struct buf s = BUF_INIT;

	if (conv == 's')
		template_to_str(&s, v);
	else
		val_to_repr_text(&s, v);
	if (prec >= 0 && (size_t)prec < s.len)
		buf_setlen(&s, (size_t)prec);
	if (width > 0 && (size_t)width > s.len &&
	    !strchr(spec, '-'))
		for (size_t k = s.len; k < (size_t)width; k++)
			buf_addch(out, ' ');
	buf_addbuf(out, &s);
	if (width > 0 && (size_t)width > s.len &&
	    strchr(spec, '-'))
		for (size_t k = s.len; k < (size_t)width; k++)
			buf_addch(out, ' ');
	buf_release(&s);
}

/*
 * %d %i %u %x %X %o %c: v as an integer, with spec[0..sl) the printf
 * conversion spec so far ("%-5" ...).
 */
static int percent_int(struct buf *out, const struct val *v, char conv,
		       char *spec, size_t sl)
{
	char tmp[512];
	long long n;

	if (v->type == VAL_INT)
		n = v->u.i;
	else if (v->type == VAL_BOOL)
		n = v->u.b;
	else if (v->type == VAL_FLOAT && conv != 'c' &&
		 conv != 'x' && conv != 'X' && conv != 'o')
		n = (long long)v->u.f;
	else if (conv == 'c' && v->type == VAL_STR &&
		 v->u.s.len == 1)
		n = (unsigned char)v->u.s.ptr[0];
	else
		return tend_error_set("%%%c format: a number is "
				      "required, not %s", conv,
				      template_type_name(v));
	if (conv == 'c') {
		buf_addch(out, (char)n);
		return 0;
	}
	spec[sl++] = 'l';
	spec[sl++] = 'l';
	spec[sl++] = conv == 'u' || conv == 'i' ? 'd' : conv;
	spec[sl] = '\0';
	snprintf(tmp, sizeof(tmp), spec, n);
	buf_adds(out, tmp);
	return 0;
}

/* %f %F %e %E %g %G: v as a float, with spec as for percent_int(). */
static int percent_float(struct buf *out, const struct val *v, char conv,
			 char *spec, size_t sl)
{
	char tmp[512];
	double f;

	if (v->type == VAL_INT)
		f = (double)v->u.i;
	else if (v->type == VAL_BOOL)
		f = v->u.b;
	else if (v->type == VAL_FLOAT)
		f = v->u.f;
	else
		return tend_error_set("must be real number, not "
				      "%s", template_type_name(v));
	spec[sl++] = conv;
	spec[sl] = '\0';
	snprintf(tmp, sizeof(tmp), spec, f);
	buf_adds(out, tmp);
	return 0;
}

int template_percent_format(struct buf *out, const char *fmt,
			    const struct val *args)
{
	size_t next = 0, nargs;
	bool tuple = args->type == VAL_LIST, mapping = args->type == VAL_DICT;

	nargs = tuple ? args->u.list.nr : 1;
	for (const char *p = fmt; *p; p++) {
		const struct val *v;
		char spec[64], conv;
		size_t sl = 0;
		int width = -1, prec = -1, error;

		if (*p != '%') {
			buf_addch(out, *p);
			continue;
		}
		p++;
		if (*p == '%') {
			buf_addch(out, '%');
			continue;
		}
		if (*p == '(') {
			const char *close = strchr(p, ')');
			char *key;

			if (!close || !mapping)
				return tend_error_set("format requires a mapping");
			key = xstrndup(p + 1, (size_t)(close - p - 1));
			v = val_dict_get(args, key);
			if (!v) {
				tend_error_set("format: key '%s' not found", key);
				free(key);
				return -1;
			}
			free(key);
			p = close + 1;
		} else {
			if (next >= nargs)
				return tend_error_set("not enough arguments for "
						      "format string");
			v = tuple ? args->u.list.items[next] : args;
			next++;
		}
		spec[sl++] = '%';
		while (*p && strchr("-+ #0", *p) && sl < 8)
			spec[sl++] = *p++;
		if (isdigit((unsigned char)*p)) {
			width = (int)strtol(p, (char **)&p, 10);
			if (width > 400)
				return tend_error_set("format: width too large");
		}
		if (*p == '.') {
			p++;
			prec = (int)strtol(p, (char **)&p, 10);
			if (prec > 100)
				return tend_error_set("format: precision too "
						      "large");
		}
		conv = *p;
		if (!conv)
			return tend_error_set("incomplete format");
		if (width >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl,
					       "%d", width);
		if (prec >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl,
					       ".%d", prec);
		switch (conv) {
		case 's':
		case 'r':
			percent_str(out, v, conv, spec, width, prec);
			continue;
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
		case 'o':
		case 'c':
			if ((error = percent_int(out, v, conv, spec, sl)) < 0)
				return error;
			continue;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
			if ((error = percent_float(out, v, conv, spec, sl)) < 0)
				return error;
			continue;
		default:
			return tend_error_set("unsupported format character "
					      "'%c'", conv);
		}
	}
	if (!mapping && next < nargs)
		return tend_error_set("not all arguments converted during "
				      "string formatting");
	return 0;
}
