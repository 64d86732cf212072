#include "unit.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"

#include <math.h>

/*
 * The value tree. Expected text comes from Python 3 (str(), repr(),
 * json.dumps()) and from Ansible's parse_kv, run on the same values.
 */

static void assert_str(const struct val *v, const char *want)
{
	struct buf b = BUF_INIT;

	val_to_str(&b, v);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void assert_repr(const struct val *v, const char *want)
{
	struct buf b = BUF_INIT;

	val_to_repr(&b, v);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void assert_json(const struct val *v, int indent, const char *want)
{
	struct buf b = BUF_INIT;

	val_to_json(&b, v, indent);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

/* A value from JSON text, for building test input briefly. */
static struct val *J(const char *json)
{
	struct val *v = NULL;

	assert_ok(val_from_json(&v, json, strlen(json)));
	return v;
}

/*
 * Bytes that are not UTF-8 go out as \udcXX and come back as the same
 * bytes, beside a real NUL, text that only looks like the escape, a
 * valid character and a surrogate pair (a task's output in a result:
 * tend's JSON output parses what it wrote).
 */
static void test_val__json_surrogateescape_round_trip(void **state)
{
	static const char raw[] = "a\xff\xfe-\0-\\udcff-\xc3\xa9-\x80";
	struct val *v = val_dict(), *l = val_list(), *back = NULL;
	struct buf b = BUF_INIT;
	const struct val *s;

	(void)state;
	val_list_push(l, val_strn(raw, sizeof(raw) - 1));
	val_dict_set(v, "out", l);
	val_dict_set_str(v, "plain", "x");
	val_to_json(&b, v, 0);
	assert_non_null(strstr(b.ptr, "\\udcff\\udcfe"));
	assert_ok(val_from_json(&back, b.ptr, b.len));
	s = val_list_at(val_dict_get(back, "out"), 0);
	assert_int_equal(s->u.s.len, sizeof(raw) - 1);
	assert_memory_equal(s->u.s.ptr, raw, sizeof(raw) - 1);
	assert_string_equal(val_cstr(val_dict_get(back, "plain")), "x");
	val_unref(back);
	/* a pair stays one character; a lone high surrogate is still refused */
	assert_ok(val_from_json(&back, "\"\\ud83d\\ude00\"", 14));
	assert_string_equal(val_cstr(back), "\xf0\x9f\x98\x80");
	val_unref(back);
	assert_int_equal(val_from_json(&back, "\"\\ud83d\"", 8), -1);
	tend_error_clear();
	val_unref(v);
	buf_release(&b);
}

static void test_val__constructors(void **state)
{
	struct val *v;

	(void)state;
	v = val_null();
	assert_int_equal(v->type, VAL_NULL);
	assert_int_equal(v->refcnt, 1);
	assert_null(val_cstr(v));
	val_unref(v);
	v = val_bool(true);
	assert_true(v->u.b);
	val_unref(v);
	v = val_int(-7);
	assert_int_equal(v->u.i, -7);
	assert_int_equal(val_len(v), 0);
	val_unref(v);
	v = val_float(2.5);
	assert_true(v->u.f == 2.5);
	val_unref(v);
	v = val_strn("a\0b", 3);
	assert_int_equal(val_len(v), 3);
	assert_memory_equal(val_cstr(v), "a\0b", 4);
	val_unref(v);
	v = val_strf("%s-%d", "x", 42);
	assert_string_equal(val_cstr(v), "x-42");
	assert_int_equal(val_len(v), 4);
	val_unref(v);
	v = val_str_take(xstrdup("mine"), 4);
	assert_string_equal(val_cstr(v), "mine");
	val_unref(v);
	assert_string_equal(val_type_name(VAL_FLOAT), "float");
	assert_string_equal(val_type_name(VAL_DICT), "dict");
	assert_true(val_is(val_dict_get(NULL, "x"), VAL_NULL) == false);
}

static void test_val__refcount(void **state)
{
	struct val *list = val_list(), *item = val_str("x");

	(void)state;
	assert_ptr_equal(val_ref(item), item);
	assert_int_equal(item->refcnt, 2);
	/* the list takes one reference; ours stays ours */
	val_list_push(list, item);
	assert_int_equal(item->refcnt, 2);
	assert_ptr_equal(val_list_at(list, 0), item);
	val_unref(list);
	assert_int_equal(item->refcnt, 1);
	assert_string_equal(val_cstr(item), "x");
	val_unref(item);
	assert_null(val_ref(NULL));
	val_unref(NULL);
}

static void test_val__copy_is_deep(void **state)
{
	struct val *orig = J("{\"a\": [1, {\"b\": \"c\"}], \"d\": 2.5}");
	struct val *copy;

	(void)state;
	orig->flags |= VAL_F_QUOTED;
	orig->pos.line = 3;
	copy = val_copy(orig);
	assert_true(val_equal(orig, copy));
	assert_int_equal(copy->refcnt, 1);
	assert_int_equal(copy->flags, VAL_F_QUOTED);
	assert_int_equal(copy->pos.line, 3);
	assert_ptr_not_equal(val_dict_get(copy, "a"), val_dict_get(orig, "a"));
	val_dict_set_str(val_list_at(val_dict_get(copy, "a"), 1), "b", "z");
	assert_repr(orig, "{'a': [1, {'b': 'c'}], 'd': 2.5}");
	assert_repr(copy, "{'a': [1, {'b': 'z'}], 'd': 2.5}");
	val_unref(orig);
	val_unref(copy);
}

static void test_val__dict_order_and_replace(void **state)
{
	struct val *d = val_dict();
	struct srcpos pos = { "f.yml", 4, 2 };

	(void)state;
	val_dict_set_int(d, "c", 1);
	val_dict_set_str(d, "a", "x");
	val_dict_set_bool(d, "b", true);
	assert_repr(d, "{'c': 1, 'a': 'x', 'b': True}");
	/* replacing keeps the key where it was, as a Python dict */
	val_dict_set(d, "c", val_null());
	assert_repr(d, "{'c': None, 'a': 'x', 'b': True}");
	assert_int_equal(val_len(d), 3);
	assert_int_equal(val_dict_del(d, "a"), 0);
	assert_int_equal(val_dict_del(d, "a"), TEND_ENOTFOUND);
	assert_repr(d, "{'c': None, 'b': True}");
	assert_null(val_dict_key_pos(d, "b"));
	val_dict_set_pos(d, "e", val_int(5), &pos);
	assert_int_equal(val_dict_key_pos(d, "e")->line, 4);
	assert_int_equal(val_dict_key_pos(d, "e")->col, 2);
	assert_null(val_dict_get(d, "a"));
	val_unref(d);
}

/*
 * Dicts past DICT_INDEX_MIN (16) keys look keys up through a hash index:
 * these cases cross that size both ways and check every key each time.
 */
#define MANY 3000

static void many_key(char *buf, size_t size, int i)
{
	snprintf(buf, size, "host-%d.example.com", i);
}

/* Every key i of [0, n) with step is in d with value i * mul, in order. */
static void assert_many(const struct val *d, int n, int step, int mul)
{
	char k[64];
	size_t at = 0;

	assert_int_equal(val_len(d), (n + step - 1) / step);
	for (int i = 0; i < n; i++) {
		const struct val *v;

		many_key(k, sizeof(k), i);
		v = val_dict_get(d, k);
		if (i % step) {
			assert_null(v);
			continue;
		}
		assert_non_null(v);
		assert_int_equal(v->u.i, (long long)i * mul);
		assert_string_equal(d->u.dict.items[at].key, k);
		at++;
	}
}

static struct val *many_dict(int n)
{
	struct val *d = val_dict();
	char k[64];

	for (int i = 0; i < n; i++) {
		struct srcpos pos = { "many.yml", (unsigned int)i + 1, 3 };

		many_key(k, sizeof(k), i);
		val_dict_set_pos(d, k, val_int(i), &pos);
	}
	return d;
}

static void test_val__dict_many_keys(void **state)
{
	struct val *d = val_dict();
	char k[64];

	(void)state;
	for (int i = 0; i < MANY; i++) {
		many_key(k, sizeof(k), i);
		val_dict_set_int(d, k, i);
		/* every size on the way, the index's first and each growth */
		if (i < 40 || !(i & (i + 1)))
			assert_many(d, i + 1, 1, 1);
	}
	assert_many(d, MANY, 1, 1);
	assert_non_null(d->u.dict.index);
	assert_null(val_dict_get(d, ""));
	assert_null(val_dict_get(d, "host-"));
	many_key(k, sizeof(k), MANY);
	assert_null(val_dict_get(d, k));
	/* a key that is a prefix of others, and the empty key */
	val_dict_set_int(d, "", -1);
	val_dict_set_int(d, "host-1", -2);
	assert_int_equal(val_dict_get(d, "")->u.i, -1);
	assert_int_equal(val_dict_get(d, "host-1")->u.i, -2);
	assert_int_equal(val_dict_get(d, "host-1.example.com")->u.i, 1);
	assert_int_equal(val_len(d), MANY + 2);
	val_unref(d);
}

static void test_val__dict_many_replace(void **state)
{
	struct val *d = many_dict(MANY);
	struct val *old;
	char k[64];

	(void)state;
	many_key(k, sizeof(k), 1234);
	old = val_ref(val_dict_get(d, k));
	assert_int_equal(old->refcnt, 2);
	for (int i = 0; i < MANY; i++) {
		many_key(k, sizeof(k), i);
		val_dict_set_int(d, k, (long long)i * 7);
	}
	/* same keys in the same places; the old values let go */
	assert_many(d, MANY, 1, 7);
	assert_int_equal(old->refcnt, 1);
	val_unref(old);
	val_unref(d);
}

static void test_val__dict_many_delete(void **state)
{
	struct val *d = many_dict(MANY);
	char k[64];

	(void)state;
	for (int i = 0; i < MANY; i++) {
		if (!(i % 3))
			continue;
		many_key(k, sizeof(k), i);
		assert_int_equal(val_dict_del(d, k), 0);
		assert_int_equal(val_dict_del(d, k), TEND_ENOTFOUND);
	}
	assert_many(d, MANY, 3, 1);
	/* down past the index's threshold and back up */
	for (int i = 0; i < MANY - 30; i += 3) {
		many_key(k, sizeof(k), i);
		assert_int_equal(val_dict_del(d, k), 0);
	}
	assert_int_equal(val_len(d), 10);
	assert_null(d->u.dict.index);
	for (int i = MANY - 30; i < MANY; i += 3) {
		many_key(k, sizeof(k), i);
		assert_int_equal(val_dict_get(d, k)->u.i, i);
	}
	for (int i = 0; i < 100; i++) {
		many_key(k, sizeof(k), i);
		val_dict_set_int(d, k, i);
	}
	assert_int_equal(val_len(d), 110);
	assert_non_null(d->u.dict.index);
	/* old keys first, the re-added ones after them */
	many_key(k, sizeof(k), MANY - 30);
	assert_string_equal(d->u.dict.items[0].key, k);
	many_key(k, sizeof(k), 0);
	assert_string_equal(d->u.dict.items[10].key, k);
	for (int i = 0; i < 100; i++) {
		many_key(k, sizeof(k), i);
		assert_int_equal(val_dict_get(d, k)->u.i, i);
	}
	val_unref(d);
}

static void test_val__dict_many_copy(void **state)
{
	struct val *d = many_dict(MANY);
	struct val *c = val_copy(d);
	char k[64];

	(void)state;
	assert_many(c, MANY, 1, 1);
	assert_true(val_equal(c, d));
	/* the copy changes alone */
	for (int i = 0; i < MANY; i += 2) {
		many_key(k, sizeof(k), i);
		assert_int_equal(val_dict_del(c, k), 0);
	}
	val_dict_set_int(c, "new", 1);
	assert_many(d, MANY, 1, 1);
	assert_null(val_dict_get(d, "new"));
	assert_int_equal(val_dict_get(c, "new")->u.i, 1);
	many_key(k, sizeof(k), 0);
	assert_null(val_dict_get(c, k));
	many_key(k, sizeof(k), 1);
	assert_int_equal(val_dict_get(c, k)->u.i, 1);
	assert_int_equal(val_len(c), MANY / 2 + 1);
	val_unref(c);
	val_unref(d);
}

static void test_val__dict_many_positions(void **state)
{
	struct val *d = many_dict(MANY);
	struct val *c;
	char k[64];

	(void)state;
	/* replacing a key records the new place it was written */
	many_key(k, sizeof(k), 7);
	val_dict_set_pos(d, k, val_int(7),
			 &(struct srcpos){ "other.yml", 1, 1 });
	many_key(k, sizeof(k), 5);
	assert_int_equal(val_dict_del(d, k), 0);
	c = val_copy(d);
	for (int i = 0; i < MANY; i++) {
		const struct srcpos *pd, *pc;

		many_key(k, sizeof(k), i);
		pd = val_dict_key_pos(d, k);
		pc = val_dict_key_pos(c, k);
		if (i == 5) {
			assert_null(pd);
			assert_null(pc);
			continue;
		}
		assert_non_null(pd);
		assert_non_null(pc);
		assert_string_equal(pd->file,
				    i == 7 ? "other.yml" : "many.yml");
		assert_int_equal(pd->line, i == 7 ? 1 : (unsigned int)i + 1);
		assert_int_equal(pd->col, i == 7 ? 1 : 3);
		assert_string_equal(pc->file, pd->file);
		assert_int_equal(pc->line, pd->line);
		assert_int_equal(pc->col, pd->col);
	}
	val_unref(c);
	val_unref(d);
}

static void test_val__dict_path(void **state)
{
	struct val *d = J("{\"a\": {\"b\": {\"c\": 7}}, \"x\": 1}");

	(void)state;
	assert_int_equal(val_dict_path(d, "a.b.c")->u.i, 7);
	assert_int_equal(val_dict_path(d, "x")->u.i, 1);
	assert_null(val_dict_path(d, "a.nope.c"));
	assert_null(val_dict_path(d, "x.y"));
	val_unref(d);
}

static void test_val__dict_update_shallow(void **state)
{
	struct val *dst = J("{\"a\": {\"x\": 1, \"y\": 2}, \"b\": 1}");
	struct val *src = J("{\"a\": {\"y\": 3, \"z\": 4}, \"c\": 5}");

	(void)state;
	/* as Ansible's dst | combine(src) */
	val_dict_update(dst, src, false);
	assert_repr(dst, "{'a': {'y': 3, 'z': 4}, 'b': 1, 'c': 5}");
	/* shallow: the value is shared, not copied */
	assert_ptr_equal(val_dict_get(dst, "a"), val_dict_get(src, "a"));
	val_unref(dst);
	val_unref(src);
}

static void test_val__dict_update_deep(void **state)
{
	struct val *dst = J("{\"a\": {\"x\": 1, \"y\": 2}, \"b\": 1}");
	struct val *src = J("{\"a\": {\"y\": 3, \"z\": {\"q\": 1}}, \"c\": 5}");
	struct val *shared = val_ref(val_dict_get(dst, "a"));

	(void)state;
	/* as Ansible's dst | combine(src, recursive=True) */
	val_dict_update(dst, src, true);
	assert_repr(dst, "{'a': {'x': 1, 'y': 3, 'z': {'q': 1}}, 'b': 1, "
			 "'c': 5}");
	/* a nested dict someone else holds is not changed under them */
	assert_repr(shared, "{'x': 1, 'y': 2}");
	assert_repr(src, "{'a': {'y': 3, 'z': {'q': 1}}, 'c': 5}");
	val_unref(shared);
	val_unref(dst);
	val_unref(src);
}

static bool eq(const char *a, const char *b)
{
	struct val *va = J(a), *vb = J(b);
	bool r = val_equal(va, vb);

	assert_true(val_equal(vb, va) == r);
	val_unref(va);
	val_unref(vb);
	return r;
}

static void test_val__equal_as_python(void **state)
{
	(void)state;
	assert_true(eq("1", "1.0"));
	assert_true(eq("true", "1"));
	assert_true(eq("false", "0"));
	assert_true(eq("true", "1.0"));
	assert_true(eq("null", "null"));
	assert_true(eq("[1, 2]", "[1.0, 2]"));
	/* dict equality ignores order, as Python's */
	assert_true(eq("{\"a\": 1, \"b\": [true]}", "{\"b\": [1], \"a\": 1}"));
	assert_false(eq("1", "\"1\""));
	assert_false(eq("null", "false"));
	assert_false(eq("true", "2"));
	assert_false(eq("0.1", "0"));
	assert_false(eq("[1]", "[1, 1]"));
	assert_false(eq("{\"a\": 1}", "{\"a\": 1, \"b\": 1}"));
	assert_false(eq("{\"a\": 1}", "{\"b\": 1}"));
	assert_false(eq("\"a\"", "\"a \""));
}

static int cmp(const char *a, const char *b)
{
	struct val *va = J(a), *vb = J(b);
	int out = 99;

	assert_ok(val_compare(&out, va, vb));
	val_unref(va);
	val_unref(vb);
	return out;
}

static void test_val__compare(void **state)
{
	(void)state;
	assert_int_equal(cmp("1", "2"), -1);
	assert_int_equal(cmp("2", "1.5"), 1);
	assert_int_equal(cmp("1", "1.0"), 0);
	assert_int_equal(cmp("true", "2"), -1);
	assert_int_equal(cmp("\"B\"", "\"a\""), -1);
	assert_int_equal(cmp("\"ab\"", "\"a\""), 1);
	assert_int_equal(cmp("\"\"", "\"\""), 0);
	assert_int_equal(cmp("[1, 2]", "[1, 3]"), -1);
	assert_int_equal(cmp("[1]", "[1, 0]"), -1);
	assert_int_equal(cmp("[2]", "[1, 9]"), 1);
	assert_int_equal(cmp("[]", "[]"), 0);
	assert_int_equal(cmp("9223372036854775807", "9223372036854775806"), 1);
}

static void compare_fails(const char *a, const char *b, const char *msg)
{
	struct val *va = J(a), *vb = J(b);
	int out = 0;

	assert_int_equal(val_compare(&out, va, vb), -1);
	assert_string_equal(tend_error_last(), msg);
	tend_error_clear();
	val_unref(va);
	val_unref(vb);
}

static void test_val__compare_incomparable(void **state)
{
	(void)state;
	/* each is a TypeError in Python */
	compare_fails("\"1\"", "1", "cannot compare str with int");
	compare_fails("1", "\"1\"", "cannot compare int with str");
	compare_fails("null", "null", "cannot compare null with null");
	compare_fails("{}", "{}", "cannot compare dict with dict");
	compare_fails("[]", "1", "cannot compare list with int");
	/* inside lists, the first pair that differs decides */
	compare_fails("[1, \"a\"]", "[1, 2]", "cannot compare str with int");
}

static void test_val__str_and_repr_nested(void **state)
{
	struct val *v = J("[1, \"a\", null, true, 1.0, {\"k\": [0.1, 1e20]}]");
	struct val *s = val_str("it's");

	(void)state;
	/* str(x) and repr(x) of a list are the same in Python */
	assert_str(v, "[1, 'a', None, True, 1.0, {'k': [0.1, 1e+20]}]");
	assert_repr(v, "[1, 'a', None, True, 1.0, {'k': [0.1, 1e+20]}]");
	assert_str(s, "it's");
	assert_repr(s, "\"it's\"");
	val_unref(s);
	val_unref(v);
	v = J("{\"it's\": {}, \"e\": []}");
	assert_str(v, "{\"it's\": {}, 'e': []}");
	val_unref(v);
	v = val_null();
	assert_str(v, "None");
	val_unref(v);
	v = val_bool(false);
	assert_str(v, "False");
	val_unref(v);
}

static void test_val__repr_quotes_and_escapes(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "'plain'" },
		{ "it's", "\"it's\"" },
		{ "say \"hi\"", "'say \"hi\"'" },
		/* both quotes: single, with \' escaped */
		{ "both ' and \"", "'both \\' and \"'" },
		{ "a\nb\t\\", "'a\\nb\\t\\\\'" },
		{ "\r", "'\\r'" },
		{ "\x01\x7f", "'\\x01\\x7f'" },
		{ "", "''" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct val *v = val_str(cases[i].in);

		assert_repr(v, cases[i].want);
		assert_str(v, cases[i].in);
		val_unref(v);
	}
}

static void test_val__float_text_as_python(void **state)
{
	static const struct {
		double f;
		const char *want;
	} cases[] = {
		{ 1.0, "1.0" },
		{ 1e20, "1e+20" },
		{ 0.1, "0.1" },
		{ 1e16, "1e+16" },
		{ 1e15, "1000000000000000.0" },
		{ 1234567890123456.0, "1234567890123456.0" },
		{ 123456789012345678.0, "1.2345678901234568e+17" },
		{ 0.0001, "0.0001" },
		{ 1e-05, "1e-05" },
		{ 1.5e-05, "1.5e-05" },
		{ -0.0, "-0.0" },
		{ 0.0, "0.0" },
		{ -1.5, "-1.5" },
		{ 2.5, "2.5" },
		{ 100.0, "100.0" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 123456789.125, "123456789.125" },
		{ 9007199254740992.0, "9007199254740992.0" },
		{ 1e100, "1e+100" },
		{ -1e-300, "-1e-300" },
		{ 1e23, "1e+23" },
		{ 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	};
	struct val *v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		v = val_float(cases[i].f);
		assert_str(v, cases[i].want);
		assert_json(v, 0, cases[i].want);
		val_unref(v);
	}
	v = val_float(INFINITY);
	assert_str(v, "inf");
	val_unref(v);
	v = val_float(-INFINITY);
	assert_str(v, "-inf");
	val_unref(v);
	v = val_float(NAN);
	assert_str(v, "nan");
	val_unref(v);
}

static void test_val__tuple(void **state)
{
	struct val *t = val_list(), *outer = val_list();

	(void)state;
	t->flags |= VAL_F_TUPLE;
	assert_str(t, "()");
	val_list_push(t, val_int(1));
	assert_str(t, "(1,)");
	val_list_push(outer, val_str("x"));
	val_list_push(outer, val_ref(t));
	val_list_push(t, val_int(2));
	assert_str(t, "(1, 2)");
	assert_str(outer, "['x', (1, 2)]");
	/* JSON has no tuples */
	assert_json(t, 0, "[1, 2]");
	val_unref(t);
	val_unref(outer);
}

static void test_val__secret_never_printed(void **state)
{
	struct val *d = val_dict(), *s = val_str("hunter2");

	(void)state;
	s->flags |= VAL_F_SECRET;
	val_dict_set(d, "password", s);
	assert_str(s, "********");
	assert_str(d, "{'password': '********'}");
	assert_json(d, 0, "{\"password\": \"<secret>\"}");
	val_unref(d);
}

static void test_val__json_compact(void **state)
{
	struct val *v = J("{\"a\": [1, {\"b\": null}], \"c\": {}, \"d\": [], "
			  "\"e\": \"q\\\"\\\\\\n\\u0001\\t\", \"f\": 1.0, "
			  "\"g\": true}");

	(void)state;
	/* json.dumps(v) */
	assert_json(v, 0, "{\"a\": [1, {\"b\": null}], \"c\": {}, \"d\": [], "
			  "\"e\": \"q\\\"\\\\\\n\\u0001\\t\", \"f\": 1.0, "
			  "\"g\": true}");
	val_unref(v);
}

static void test_val__json_indent(void **state)
{
	struct val *v = J("{\"a\": [1, {\"b\": null}], \"c\": {}, \"d\": [], "
			  "\"e\": \"\\u001f\"}");

	(void)state;
	/* json.dumps(v, indent=2) */
	assert_json(v, 2,
		    "{\n"
		    "  \"a\": [\n"
		    "    1,\n"
		    "    {\n"
		    "      \"b\": null\n"
		    "    }\n"
		    "  ],\n"
		    "  \"c\": {},\n"
		    "  \"d\": [],\n"
		    "  \"e\": \"\\u001f\"\n"
		    "}");
	val_unref(v);
}

static void test_val__yaml_round_trip(void **state)
{
	struct val *v = val_dict(), *nested = val_list(), *d = val_dict();
	struct val *back = NULL;
	struct diags diags = DIAGS_INIT;
	struct buf y = BUF_INIT, r1 = BUF_INIT, r2 = BUF_INIT;
	static const char *const tricky[] = {
		"yes", "no", "on", "null", "~", "", "0644", "1.5", "1e3",
		"a: b", "- x", "#x", "x #y", "it's", "say \"hi\"", "two\nlines",
		" lead", "trail ", "{{ jinja }}", "*star", "&amp", "!bang",
		"%pct", "@at", "`tick", "key:", "?", "-", "True", ".inf",
		"-.inf", ".NaN", "1_000", "0b101", "0x1F", "0o644", "08",
		"10.0.0.1", "1.", "=", "<<",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(tricky); i++)
		val_list_push(nested, val_str(tricky[i]));
	val_list_push(nested, val_list());
	val_list_push(nested, val_dict());
	val_dict_set_int(d, "int", -3);
	val_dict_set(d, "float", val_float(0.1));
	val_dict_set_bool(d, "bool", false);
	val_dict_set(d, "none", val_null());
	val_dict_set(d, "deeper", J("[[1, [2]], {\"k\": {\"l\": [3]}}]"));
	val_dict_set(v, "strings", nested);
	val_dict_set(v, "dict", d);
	val_dict_set(v, "yes", val_str("key that needs quoting"));
	val_dict_set(v, "a: b", val_int(1));
	val_dict_set(v, "<<", val_str("not a merge"));
	val_to_yaml(&y, v, 2);
	if (yaml_load_string(&back, y.ptr, y.len, "round.yml", &diags) < 0) {
		diags_print(&diags, stderr);
		fail_msg("val_to_yaml wrote YAML that does not load:\n%s", y.ptr);
	}
	assert_int_equal(diags.nr, 0);
	/* repr tells 'yes' from True and '1' from 1 */
	val_to_repr(&r1, v);
	val_to_repr(&r2, back);
	if (strcmp(r1.ptr, r2.ptr))
		fail_msg("round trip changed the value:\n%s\nwant %s\ngot  %s",
			 y.ptr, r1.ptr, r2.ptr);
	val_unref(back);
	val_unref(v);
	buf_release(&y);
	buf_release(&r1);
	buf_release(&r2);
	diags_release(&diags);
}

static void test_val__yaml_block_style(void **state)
{
	struct val *v = J("{\"name\": \"web\", \"ports\": [80, 443], "
			  "\"opts\": {\"a\": 1}, \"empty\": []}");
	struct buf y = BUF_INIT;

	(void)state;
	val_to_yaml(&y, v, 2);
	assert_string_equal(y.ptr, "name: web\n"
				   "ports:\n"
				   "- 80\n"
				   "- 443\n"
				   "opts:\n"
				   "  a: 1\n"
				   "empty: []\n");
	buf_release(&y);
	val_unref(v);
}

static void test_val__from_json(void **state)
{
	struct val *v = J("{\"z\": 1, \"a\": [2.5, \"x\", null, true, false], "
			  "\"big\": 9007199254740993, \"f\": 1.0}");

	(void)state;
	/* key order is kept, as json.loads keeps it */
	assert_repr(v, "{'z': 1, 'a': [2.5, 'x', None, True, False], "
		       "'big': 9007199254740993, 'f': 1.0}");
	assert_int_equal(val_dict_get(v, "f")->type, VAL_FLOAT);
	val_unref(v);
	v = J("\"a\\u0000b\"");
	assert_int_equal(val_len(v), 3);
	val_unref(v);
	v = J("3");
	assert_int_equal(v->type, VAL_INT);
	val_unref(v);
}

static void test_val__from_json_error(void **state)
{
	struct val *v = NULL;

	(void)state;
	assert_int_equal(val_from_json(&v, "{\"a\": }", 7), -1);
	assert_null(v);
	assert_non_null(strstr(tend_error_last(), "invalid JSON at line 1"));
	tend_error_clear();
}

/* val_parse_kv of `s`, compared by repr. */
static void kv_is(const char *s, const char *const *ff, const char *want)
{
	struct val *v = NULL;

	assert_ok(val_parse_kv(&v, s, ff));
	assert_repr(v, want);
	val_unref(v);
}

static void test_val__parse_kv(void **state)
{
	(void)state;
	/* each as ansible.parsing.splitter.parse_kv */
	kv_is("a=1 b='x y' c=\"q\"", NULL, "{'a': '1', 'b': 'x y', 'c': 'q'}");
	kv_is("a=b=c", NULL, "{'a': 'b=c'}");
	kv_is("a='it\\'s'", NULL, "{'a': \"it's\"}");
	kv_is("a=\"say \\\"hi\\\"\"", NULL, "{'a': 'say \"hi\"'}");
	kv_is("a= b=2", NULL, "{'a': '', 'b': '2'}");
	kv_is("k='a b'c", NULL, "{'k': \"'a b'c\"}");
	kv_is("", NULL, "{}");
	/* a template is one word, whatever spaces and quotes it holds */
	kv_is("msg={{ a | default('x y') }} other=1", NULL,
	      "{'msg': \"{{ a | default('x y') }}\", 'other': '1'}");
	kv_is("msg=\"{{ a }} b\"", NULL, "{'msg': '{{ a }} b'}");
	kv_is("x='{% if a %}1 2{% endif %}' y={% if b %}z{% endif %}", NULL,
	      "{'x': '{% if a %}1 2{% endif %}', 'y': '{% if b %}z{% endif %}'}");
}

/* Ansible's _decode_escapes on each word, then unquote */
static void test_val__parse_kv_escapes(void **state)
{
	struct val *v = NULL;

	(void)state;
	kv_is("a=\"x\\ny\" b=a\\tb\\x41 c=\\101\\u00e9", NULL,
	      "{'a': 'x\\ny', 'b': 'a\\tbA', 'c': '\\\\101\u00e9'}");
	kv_is("d=C:\\\\new e=\\q f=x\\=y", NULL,
	      "{'d': 'C:\\\\new', 'e': '\\\\q', 'f': 'x\\\\=y'}");
	kv_is("h=\\xff", NULL, "{'h': '\u00ff'}");
	/* key and value stripped after decoding, then unquoted */
	kv_is("msg=abc\\t", NULL, "{'msg': 'abc'}");
	kv_is("a=x\\n b=\\t\"q\"", NULL, "{'a': 'x', 'b': 'q'}");
	kv_is(" k\\t=v", NULL, "{'k': 'v'}");
	/* the command keeps its words as written */
	kv_is("echo a\\tb", (const char *const[]){ "creates", NULL },
	      "{'_raw_params': 'echo a\\\\tb'}");
	/* unbalanced quotes or blocks, as Ansible's split_args says */
	assert_int_equal(val_parse_kv(&v, "printf '%s' 'a \\'", NULL), -1);
	assert_string_equal(tend_error_last(), "failed at splitting arguments, "
			    "either an unbalanced jinja2 block or quotes: "
			    "printf '%s' 'a \\'");
	tend_error_clear();
	assert_int_equal(val_parse_kv(&v, "msg={{ a", NULL), -1);
	tend_error_clear();
}

static void test_val__parse_kv_not_kv(void **state)
{
	struct val *v = (struct val *)1;

	(void)state;
	assert_int_equal(val_parse_kv(&v, "a=1 justaword", NULL), -1);
	assert_string_equal(tend_error_last(),
			    "expected key=value, got 'justaword'");
	tend_error_clear();
	assert_int_equal(val_parse_kv(&v, "=x", NULL), -1);
	tend_error_clear();
}

static void test_val__parse_kv_free_form(void **state)
{
	static const char *const keys[] = { "creates", "removes", "chdir",
					    NULL };

	(void)state;
	kv_is("echo 'a b' creates=/x", keys,
	      "{'creates': '/x', '_raw_params': \"echo 'a b'\"}");
	/* words that look like k=v but are no known key stay in the command */
	kv_is("echo foo=bar creates=/x chdir=/tmp", keys,
	      "{'creates': '/x', 'chdir': '/tmp', '_raw_params': "
	      "'echo foo=bar'}");
	kv_is("echo \"{{ x }}\" removes=/y", keys,
	      "{'removes': '/y', '_raw_params': 'echo \"{{ x }}\"'}");
	kv_is("creates=/x", keys, "{'creates': '/x'}");
}

static void test_val__parse_kv_free_form_spacing(void **state)
{
	static const char *const keys[] = { "creates", NULL };

	(void)state;
	/* the command keeps its spacing and newlines, as Ansible's */
	kv_is("ls  -l   /tmp", keys, "{'_raw_params': 'ls  -l   /tmp'}");
	kv_is("if true; then\n  echo hi\nfi\n", keys,
	      "{'_raw_params': 'if true; then\\n  echo hi\\nfi\\n'}");
	kv_is("cat <<EOF\n  x  y\nEOF\n", keys,
	      "{'_raw_params': 'cat <<EOF\\n  x  y\\nEOF\\n'}");
	kv_is("echo a\tb", keys, "{'_raw_params': 'echo a\\tb'}");
	kv_is("echo a creates=/x b", keys,
	      "{'creates': '/x', '_raw_params': 'echo a b'}");
	kv_is("creates=/x echo  hi", keys,
	      "{'creates': '/x', '_raw_params': 'echo  hi'}");
	kv_is("echo hi creates=/x\n", keys,
	      "{'creates': '/x', '_raw_params': 'echo hi'}");
	kv_is("  echo hi", keys, "{'_raw_params': 'echo hi'}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_val__constructors),
		cmocka_unit_test(test_val__refcount),
		cmocka_unit_test(test_val__copy_is_deep),
		cmocka_unit_test(test_val__dict_order_and_replace),
		cmocka_unit_test(test_val__dict_many_keys),
		cmocka_unit_test(test_val__dict_many_replace),
		cmocka_unit_test(test_val__dict_many_delete),
		cmocka_unit_test(test_val__dict_many_copy),
		cmocka_unit_test(test_val__dict_many_positions),
		cmocka_unit_test(test_val__dict_path),
		cmocka_unit_test(test_val__dict_update_shallow),
		cmocka_unit_test(test_val__dict_update_deep),
		cmocka_unit_test(test_val__equal_as_python),
		cmocka_unit_test(test_val__compare),
		cmocka_unit_test(test_val__compare_incomparable),
		cmocka_unit_test(test_val__str_and_repr_nested),
		cmocka_unit_test(test_val__repr_quotes_and_escapes),
		cmocka_unit_test(test_val__float_text_as_python),
		cmocka_unit_test(test_val__tuple),
		cmocka_unit_test(test_val__secret_never_printed),
		cmocka_unit_test(test_val__json_compact),
		cmocka_unit_test(test_val__json_surrogateescape_round_trip),
		cmocka_unit_test(test_val__json_indent),
		cmocka_unit_test(test_val__yaml_round_trip),
		cmocka_unit_test(test_val__yaml_block_style),
		cmocka_unit_test(test_val__from_json),
		cmocka_unit_test(test_val__from_json_error),
		cmocka_unit_test(test_val__parse_kv),
		cmocka_unit_test(test_val__parse_kv_escapes),
		cmocka_unit_test(test_val__parse_kv_not_kv),
		cmocka_unit_test(test_val__parse_kv_free_form),
		cmocka_unit_test(test_val__parse_kv_free_form_spacing),
	};

	return cmocka_run_group_tests_name("val", tests, NULL, NULL);
}
