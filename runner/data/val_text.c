/*
 * Values as text: Python's str() and repr(), JSON out (jansson reads it
 * in), each with secrets masked (output, logs, stores) or written as
 * themselves (data for a host, a template's result).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"

#include <math.h>

#include <jansson.h>

/* Python's repr of a float: the shortest text that reads back the same,
 * in fixed notation for exponents -4..15, else as 1e+20 / 1e-05. */
static void add_float(struct buf *out, double f)
{
	char tmp[64], digits[32];
	int prec, exp10, nd = 0;
	char *e;

	if (isnan(f)) {
		buf_adds(out, "nan");
		return;
	}
	if (isinf(f)) {
		buf_adds(out, f < 0 ? "-inf" : "inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	e = strchr(tmp, 'e');
	exp10 = atoi(e + 1);
	if (exp10 < -4 || exp10 >= 16) {
		/* mantissa without trailing zeros, exponent at least 2 digits */
		*e = '\0';
		buf_adds(out, tmp);
		buf_addf(out, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		return;
	}
	for (const char *p = tmp; *p && p < e; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	digits[nd] = '\0';
	if (signbit(f)) /* -0.0 too, as Python */
		buf_addch(out, '-');
	if (exp10 < 0) {
		buf_adds(out, "0.");
		for (int i = -1; i > exp10; i--)
			buf_addch(out, '0');
		buf_adds(out, digits);
		return;
	}
	for (int i = 0; i <= exp10; i++)
		buf_addch(out, i < nd ? digits[i] : '0');
	buf_addch(out, '.');
	if (nd > exp10 + 1)
		buf_adds(out, digits + exp10 + 1);
	else
		buf_addch(out, '0');
}

static void add_repr_str(struct buf *out, const char *s, size_t len)
{
	char q = memchr(s, '\'', len) && !memchr(s, '"', len) ? '"' : '\'';

	buf_addch(out, q);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			buf_adds(out, "\\\\");
		else if (c == (unsigned char)q)
			buf_addf(out, "\\%c", q);
		else if (c == '\n')
			buf_adds(out, "\\n");
		else if (c == '\t')
			buf_adds(out, "\\t");
		else if (c == '\r')
			buf_adds(out, "\\r");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\x%02x", c);
		else
			buf_addch(out, (char)c);
	}
	buf_addch(out, q);
}

static void add_text(struct buf *out, const struct val *v, bool repr,
		     bool reveal)
{
	if ((v->flags & VAL_F_SECRET) && !reveal) {
		buf_adds(out, repr ? "'********'" : "********");
		return;
	}
	switch (v->type) {
	case VAL_NULL:
		buf_adds(out, "None");
		break;
	case VAL_BOOL:
		buf_adds(out, v->u.b ? "True" : "False");
		break;
	case VAL_INT:
		buf_addf(out, "%lld", v->u.i);
		break;
	case VAL_FLOAT:
		add_float(out, v->u.f);
		break;
	case VAL_STR:
		if (repr)
			add_repr_str(out, v->u.s.ptr, v->u.s.len);
		else
			buf_add(out, v->u.s.ptr, v->u.s.len);
		break;
	case VAL_LIST: {
		bool tuple = v->flags & VAL_F_TUPLE;

		buf_addch(out, tuple ? '(' : '[');
		for (size_t i = 0; i < v->u.list.nr; i++) {
			if (i)
				buf_adds(out, ", ");
			add_text(out, v->u.list.items[i], true, reveal);
		}
		if (tuple && v->u.list.nr == 1)
			buf_addch(out, ',');
		buf_addch(out, tuple ? ')' : ']');
		break;
	}
	case VAL_DICT:
		buf_addch(out, '{');
		for (size_t i = 0; i < v->u.dict.nr; i++) {
			const char *k = v->u.dict.items[i].key;

			if (i)
				buf_adds(out, ", ");
			add_repr_str(out, k, strlen(k));
			buf_adds(out, ": ");
			add_text(out, v->u.dict.items[i].v, true, reveal);
		}
		buf_addch(out, '}');
		break;
	}
}

void val_to_str(struct buf *out, const struct val *v)
{
	add_text(out, v, false, false);
}

void val_to_text(struct buf *out, const struct val *v)
{
	add_text(out, v, false, true);
}

void val_to_repr(struct buf *out, const struct val *v)
{
	add_text(out, v, true, false);
}

void val_to_repr_text(struct buf *out, const struct val *v)
{
	add_text(out, v, true, true);
}

void val_json_quote(struct buf *out, const char *s, size_t len)
{
	buf_addch(out, '"');
	val_json_escape(out, s, len);
	buf_addch(out, '"');
}

void val_json_escape(struct buf *out, const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			buf_adds(out, "\\\"");
			break;
		case '\\':
			buf_adds(out, "\\\\");
			break;
		case '\n':
			buf_adds(out, "\\n");
			break;
		case '\r':
			buf_adds(out, "\\r");
			break;
		case '\t':
			buf_adds(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				buf_addf(out, "\\u%04x", c);
			} else if (c < 0x80) {
				buf_addch(out, (char)c);
			} else if ((n = utf8_decode(&cp, s + i, len - i))) {
				buf_add(out, s + i, n);
				i += n - 1;
			} else {
				/* not UTF-8: Python's surrogateescape */
				buf_addf(out, "\\udc%02x", c);
			}
		}
	}
}

static void json_nl(struct buf *out, int indent, int depth)
{
	buf_addch(out, '\n');
	for (int i = 0; i < indent * depth; i++)
		buf_addch(out, ' ');
}

static void json_add(struct buf *out, const struct val *v, int indent,
		     int depth, bool reveal)
{
	if ((v->flags & VAL_F_SECRET) && !reveal) {
		buf_adds(out, "\"<secret>\"");
		return;
	}
	switch (v->type) {
	case VAL_NULL:
		buf_adds(out, "null");
		break;
	case VAL_BOOL:
		buf_adds(out, v->u.b ? "true" : "false");
		break;
	case VAL_INT:
		buf_addf(out, "%lld", v->u.i);
		break;
	case VAL_FLOAT:
		if (isnan(v->u.f) || isinf(v->u.f))
			buf_adds(out, "null");
		else
			add_float(out, v->u.f);
		break;
	case VAL_STR:
		val_json_quote(out, v->u.s.ptr, v->u.s.len);
		break;
	case VAL_LIST:
		buf_addch(out, '[');
		for (size_t i = 0; i < v->u.list.nr; i++) {
			if (i)
				buf_adds(out, indent ? "," : ", ");
			if (indent)
				json_nl(out, indent, depth + 1);
			json_add(out, v->u.list.items[i], indent, depth + 1,
				 reveal);
		}
		if (indent && v->u.list.nr)
			json_nl(out, indent, depth);
		buf_addch(out, ']');
		break;
	case VAL_DICT:
		buf_addch(out, '{');
		for (size_t i = 0; i < v->u.dict.nr; i++) {
			const char *k = v->u.dict.items[i].key;

			if (i)
				buf_adds(out, indent ? "," : ", ");
			if (indent)
				json_nl(out, indent, depth + 1);
			val_json_quote(out, k, strlen(k));
			buf_adds(out, ": ");
			json_add(out, v->u.dict.items[i].v, indent, depth + 1,
				 reveal);
		}
		if (indent && v->u.dict.nr)
			json_nl(out, indent, depth);
		buf_addch(out, '}');
		break;
	}
}

void val_to_json(struct buf *out, const struct val *v, int indent)
{
	json_add(out, v, indent, 0, false);
}

void val_to_json_text(struct buf *out, const struct val *v, int indent)
{
	json_add(out, v, indent, 0, true);
}


/*
 * val_to_json writes a byte that is not UTF-8 as \udcXX (Python's
 * surrogateescape), which jansson refuses as a lone surrogate. Before
 * jansson reads the text, each such escape in a string becomes \u0000
 * and the two hex digits as plain characters, and a real \u0000 becomes
 * \u0000 and "0": a NUL can come from nothing else (JSON_ALLOW_NUL), and
 * the character after it says which it was (from_json_str undoes it).
 * Returns the rewritten text in `out`, or false when there is nothing to
 * rewrite.
 */
static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	       c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Four hex digits at p (all there: the caller checked) into *v. */
static bool hex4(unsigned int *v, const char *p)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return false;
		*v = *v << 4 | (unsigned int)d;
	}
	return true;
}

static bool surrogates_to_nuls(struct buf *out, const char *text, size_t len)
{
	bool in_str = false, any = false;
	size_t from = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned int v;

		if (text[i] == '"') {
			in_str = !in_str;
			continue;
		}
		if (!in_str || text[i] != '\\')
			continue;
		if (i + 5 < len && text[i + 1] == 'u' &&
		    hex4(&v, text + i + 2) &&
		    (v == 0 || (v >= 0xdc80 && v <= 0xdcff))) {
			buf_add(out, text + from, i - from);
			buf_addf(out, v ? "\\u0000%02x" : "\\u00000", v & 0xff);
			from = i + 6;
			any = true;
		}
		i++; /* the escaped character */
	}
	if (any)
		buf_add(out, text + from, len - from);
	return any;
}

/* A JSON string as a value, the escapes of surrogates_to_nuls undone. */
static struct val *from_json_str(const char *s, size_t len, bool rewritten)
{
	struct buf b = BUF_INIT;
	char *p;

	if (!rewritten || !memchr(s, 0, len))
		return val_strn(s, len);
	for (size_t i = 0; i < len; i++) {
		if (s[i] || i + 1 >= len) {
			buf_addch(&b, s[i]);
		} else if (s[i + 1] == '0') {
			buf_addch(&b, '\0');
			i++;
		} else if (i + 2 < len && hex_digit(s[i + 1]) >= 0 &&
			   hex_digit(s[i + 2]) >= 0) {
			buf_addch(&b, (char)(hex_digit(s[i + 1]) << 4 |
					     hex_digit(s[i + 2])));
			i += 2;
		} else {
			buf_addch(&b, s[i]);
		}
	}
	len = b.len;
	p = buf_detach(&b, NULL);
	return val_str_take(p, len);
}

static struct val *from_jansson(json_t *j, bool rewritten)
{
	struct val *v;
	const char *key;
	json_t *item;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v = val_dict();
		json_object_foreach(j, key, item)
			val_dict_set(v, key, from_jansson(item, rewritten));
		return v;
	case JSON_ARRAY:
		v = val_list();
		json_array_foreach(j, i, item)
			val_list_push(v, from_jansson(item, rewritten));
		return v;
	case JSON_STRING:
		return from_json_str(json_string_value(j),
				     json_string_length(j), rewritten);
	case JSON_INTEGER:
		return val_int(json_integer_value(j));
	case JSON_REAL:
		return val_float(json_real_value(j));
	case JSON_TRUE:
		return val_bool(true);
	case JSON_FALSE:
		return val_bool(false);
	default:
		return val_null();
	}
}

int val_from_json(struct val **out, const char *text, size_t len)
{
	struct buf re = BUF_INIT;
	bool rewritten = surrogates_to_nuls(&re, text, len);
	json_error_t err;
	json_t *j = json_loadb(rewritten ? re.ptr : text, rewritten ? re.len :
			       len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	buf_release(&re);
	if (!j)
		return tend_error_set("invalid JSON at line %d column %d: %s",
				      err.line, err.column, err.text);
	*out = from_jansson(j, rewritten);
	json_decref(j);
	return 0;
}
