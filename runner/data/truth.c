#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/data/truth.h"
#include "tend/data/val.h"

#include <strings.h>

/*
 * The words of convert_bool.py's BOOLEANS_TRUE/BOOLEANS_FALSE. They are
 * ASCII, and no non-ASCII character lowers to one of their letters, so an
 * ASCII case-insensitive compare is what Python's str.lower() does here.
 */
static const char *const boolean_true[] = { "y", "yes", "on", "1", "true",
					    "t" };
static const char *const boolean_false[] = { "n", "no", "off", "0", "false",
					     "f" };

/* Python's str.isspace() for the bytes that can start or end a word. */
static bool py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool in_words(const char *const *words, size_t nr, const char *s,
		     size_t len)
{
	for (size_t i = 0; i < nr; i++)
		if (strlen(words[i]) == len && !strncasecmp(words[i], s, len))
			return true;
	return false;
}

/* 1 true, 0 false, -1 not a boolean word. */
static int boolean_word(const char *s, size_t len)
{
	while (len && py_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && py_space((unsigned char)s[len - 1]))
		len--;
	if (in_words(boolean_true, ARRAY_SIZE(boolean_true), s, len))
		return 1;
	if (in_words(boolean_false, ARRAY_SIZE(boolean_false), s, len))
		return 0;
	return -1;
}

static int not_boolean(const struct val *v)
{
	struct buf text = BUF_INIT;
	int error;

	if (!v || v->type == VAL_LIST || v->type == VAL_DICT)
		buf_adds(&text, v ? val_type_name(v->type) : "nothing");
	else
		val_to_str(&text, v);
	error = tend_error_set("the value '%s' is not a valid boolean "
			       "(valid: yes/no, true/false, on/off, y/n, "
			       "t/f, 1/0)", text.ptr);
	buf_release(&text);
	return error;
}

int truth_boolean(bool *out, const struct val *v)
{
	int w;

	if (!v)
		return not_boolean(v);
	switch (v->type) {
	case VAL_BOOL:
		*out = v->u.b;
		return 0;
	case VAL_INT:
		if (v->u.i != 0 && v->u.i != 1)
			break;
		*out = v->u.i == 1;
		return 0;
	case VAL_FLOAT:
		if (v->u.f != 0.0 && v->u.f != 1.0)
			break;
		*out = v->u.f == 1.0;
		return 0;
	case VAL_STR:
		/* a NUL inside the string makes it no word */
		if (strlen(v->u.s.ptr) != v->u.s.len)
			break;
		if ((w = boolean_word(v->u.s.ptr, v->u.s.len)) < 0)
			break;
		*out = w;
		return 0;
	default:
		break;
	}
	return not_boolean(v);
}

bool truth_python(const struct val *v)
{
	if (!v)
		return false;
	switch (v->type) {
	case VAL_NULL:
		return false;
	case VAL_BOOL:
		return v->u.b;
	case VAL_INT:
		return v->u.i != 0;
	case VAL_FLOAT:
		return v->u.f != 0.0;
	case VAL_STR:
		return v->u.s.len != 0;
	case VAL_LIST:
		return v->u.list.nr != 0;
	case VAL_DICT:
		return v->u.dict.nr != 0;
	}
	return false;
}

bool truth_to_bool(const struct val *v)
{
	static const char *const yes[] = { "yes", "on", "1", "true" };

	if (!v)
		return false;
	switch (v->type) {
	case VAL_BOOL:
		return v->u.b;
	case VAL_INT:
		return v->u.i == 1;
	case VAL_FLOAT:
		return v->u.f == 1.0;
	case VAL_STR:
		return strlen(v->u.s.ptr) == v->u.s.len &&
		       in_words(yes, ARRAY_SIZE(yes), v->u.s.ptr, v->u.s.len);
	default:
		return false;
	}
}
