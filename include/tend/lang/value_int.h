#ifndef TEND_LANG_VALUE_INT_H
#define TEND_LANG_VALUE_INT_H

/*
 * Values as templates see them: Python's operations on the data of
 * tend/val.h (str(), truthiness, type names, str.split, %-formatting,
 * iteration) and Jinja's undefined. Every part of runner/lang/ uses
 * them; nothing outside runner/lang/ includes this header.
 *
 * Undefined: while an expression is evaluated, an undefined value is a
 * string value flagged TEMPLATE_F_UNDEF whose text is the message to
 * report if it is ever used ("'foo' is undefined"). Such values never
 * leave the evaluator: the public functions turn them into
 * TEND_EUNDEFINED errors.
 *
 * Unless a comment says otherwise these functions cannot fail, a
 * `struct val *` they return is a new reference, and an int they return
 * is 0 or <0 with the error set.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

#define TEMPLATE_F_UNDEF (1u << 15)

/*
 * Markup: a string Jinja holds as markupsafe's Markup (what safe, escape,
 * forceescape and tojson return). escape passes it through and the
 * `escaped` test is true of it; whatever Markup changes elsewhere (its
 * str methods return Markup, `+` escapes the other side, a list's repr
 * shows "Markup('...')") is refused rather than done differently
 * (template_markup_refuse()).
 */
#define TEMPLATE_F_MARKUP (1u << 16)
/* A list groupby made: a (grouper, list) tuple; .grouper and .list. */
#define TEMPLATE_F_GROUP (1u << 17)
/*
 * Text that stays text: what Ansible's STRING_TYPE_FILTERS (string,
 * to_json, to_nice_json, to_yaml, to_nice_yaml; so named, not with
 * their collection's name) return is NativeJinjaText,
 * which a template's output is not read back from as a literal
 * (render.c), here or wherever the value goes.
 */
#define TEMPLATE_F_TEXT (1u << 20)

static inline bool template_is_markup(const struct val *v)
{
	return v && (v->flags & TEMPLATE_F_MARKUP);
}

/* A new Markup string of the text of `b`, which is left empty. */
struct val *template_markup_result(struct buf *b);

/*
 * 0 unless v is Markup; then an error saying that `what` (a filter,
 * an operator, a list item) of Markup is not supported.
 */
int template_markup_refuse(const struct val *v, const char *what);

/* Append s (len bytes) HTML-escaped as markupsafe's escape() does. */
void template_html_escape(struct buf *out, const char *s, size_t len);

/* The number of characters (code points) of the UTF-8 text s[0..len). */
size_t template_utf8_len(const char *s, size_t len);

/* The byte offset of character n of s (len if s has fewer). */
size_t template_utf8_offset(const char *s, size_t len, size_t n);

/* A new undefined value carrying the message (printf format). */
struct val *template_undef(const char *fmt, ...) TEND_PRINTF(1, 2);

static inline bool template_is_undef(const struct val *v)
{
	return v && (v->flags & TEMPLATE_F_UNDEF);
}

/*
 * A Python datetime.datetime or datetime.timedelta while an expression
 * is evaluated: a string value flagged so, whose text is its str()
 * (datetime_int.h). Like undefined, it never leaves the evaluator.
 */
#define TEMPLATE_F_DATETIME (1u << 18)
#define TEMPLATE_F_TIMEDELTA (1u << 19)

static inline bool template_is_time(const struct val *v)
{
	return v && (v->flags & (TEMPLATE_F_DATETIME | TEMPLATE_F_TIMEDELTA));
}

/*
 * obj.name as Jinja's getattr does on data: a dict key, else undefined
 * with Jinja's message. Undefined `obj` yields itself (Ansible chains
 * undefined through attributes). *out is a new reference.
 */
void template_getattr(struct val **out, struct val *obj, const char *name);

/*
 * Jinja's attribute paths ("a.b", "0.name") as map(attribute=),
 * sort(attribute=) and friends read them: each part is a key, or an
 * index when it is a number and the value is a list. A missing part
 * yields undefined, as template_getattr(). *out is a new reference.
 */
void template_get_path(struct val **out, struct val *obj, const char *path);

/* 0 if v is defined, else TEND_EUNDEFINED with its message. */
int template_need(const struct val *v);

/*
 * As template_need, of v and of every item and value inside it: what a
 * template gives out may hold no undefined (Ansible fails rendering a
 * list with one, `{{ [1, nope] }}`).
 */
int template_need_deep(const struct val *v);

/*
 * Append v as Jinja prints it: strings raw, everything else as Python
 * str(), secrets (inside lists and dicts too) as themselves: this is
 * what templates output, and the evaluator flags what it makes of a
 * secret as secret (eval_int.h).
 */
void template_to_str(struct buf *out, const struct val *v);

/* Python str(in) as a value: `in` itself (a new reference) if a string. */
struct val *template_str_of(const struct val *in);

/* A string value taking the text of `b`, which is left empty. */
struct val *template_str_result(struct buf *b);

/* Python truthiness; TEND_EUNDEFINED for an undefined value. */
int template_truthy(bool *out, const struct val *v);

/* Python-ish type name for messages: "str", "int", "dict", "NoneType". */
const char *template_type_name(const struct val *v);

/*
 * 0 if `in` is a string (a dict, a list), else an error that names
 * `who`, the filter or test that needs it.
 */
int template_need_str(const struct val *in, const char *who);
int template_need_dict(const struct val *in, const char *who);
int template_need_list(const struct val *in, const char *who);

/*
 * What iterating `in` yields, as a list in *out (a new reference): a
 * list's items, a dict's keys, a string's characters. Anything else is
 * an error that names `who`.
 */
int template_items_of(struct val **out, const struct val *in,
		      const char *who);

/* Python's `v in l` for a list l; strings ignore case when icase. */
bool template_list_has(const struct val *l, const struct val *v, bool icase);

/*
 * Python %-formatting of `fmt` with `args` (a list, or one value),
 * for the `format` filter and the `%` operator.
 */
int template_percent_format(struct buf *out, const char *fmt,
			    const struct val *args);

/*
 * The length of the character at s (len bytes left) if Python's
 * str.isspace() says it is whitespace (ASCII's, \x1c-\x1f, U+0085,
 * U+00A0 and Unicode's spaces and line separators), else 0; the
 * _before form looks at the character that ends at s + len.
 */
size_t template_py_space(const char *s, size_t len);
/*
 * The length of the line break Python's str.splitlines() sees at s (len
 * > 0 bytes left): \r\n, \r, \n, \v, \f, \x1c-\x1e, U+0085, U+2028,
 * U+2029; else 0.
 */
size_t template_py_linebreak(const char *s, size_t len);
size_t template_py_space_before(const char *s, size_t len);

/* Python's str.split(sep, maxsplit): sep NULL splits on whitespace runs. */
struct val *template_py_split(const char *s, size_t len, const char *sep,
			      long long max);

/* Python's str.replace(from, to, max): max < 0 replaces every match. */
void template_str_replace(struct buf *out, const char *s, size_t len,
			  const char *from, const char *to, long long max);

/*
 * Python's str.strip(chars) for which == 0, lstrip for which < 0 and
 * rstrip for which > 0, of the string v; chars NULL strips whitespace.
 */
struct val *template_py_strip(const struct val *v, const char *chars,
			      int which);

/*
 * True if v must be rendered before use: a string with jinja (see
 * template_has_jinja()), or a list or dict holding one (dict keys too),
 * and not flagged VAL_F_UNSAFE.
 */
bool template_needs_render(const struct val *v);

#endif
