/*
 * Values as JSON: the writer (Python json.dumps' layout, secrets masked,
 * bytes that are not UTF-8 as \udcXX) and the reader (jansson).
 */
#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include <jansson.h>
#include <math.h>

void val_json_quote(struct buf *out, const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	buf_addch(out, '"');
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
	buf_addch(out, '"');
}

static void json_nl(struct buf *out, int indent, int depth)
{
	buf_addch(out, '\n');
	for (int i = 0; i < indent * depth; i++)
		buf_addch(out, ' ');
}

static void json_add(struct buf *out, const struct val *v, int indent,
		     int depth)
{
	if (v->flags & VAL_F_SECRET) {
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
			val_add_float(out, v->u.f);
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
			json_add(out, v->u.list.items[i], indent, depth + 1);
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
			json_add(out, v->u.dict.items[i].v, indent, depth + 1);
		}
		if (indent && v->u.dict.nr)
			json_nl(out, indent, depth);
		buf_addch(out, '}');
		break;
	}
}

void val_to_json(struct buf *out, const struct val *v, int indent)
{
	json_add(out, v, indent, 0);
}


static struct val *from_jansson(json_t *j)
{
	struct val *v;
	const char *key;
	json_t *item;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v = val_dict();
		json_object_foreach(j, key, item)
			val_dict_set(v, key, from_jansson(item));
		return v;
	case JSON_ARRAY:
		v = val_list();
		json_array_foreach(j, i, item)
			val_list_push(v, from_jansson(item));
		return v;
	case JSON_STRING:
		return val_strn(json_string_value(j), json_string_length(j));
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
	json_error_t err;
	json_t *j = json_loadb(text, len,
			       JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!j)
		return tend_error_set("invalid JSON at line %d column %d: %s",
				      err.line, err.column, err.text);
	*out = from_jansson(j);
	json_decref(j);
	return 0;
}
