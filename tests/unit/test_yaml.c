#include "unit.h"
#include "tend/util/buf.h"
#include "tend/data/yaml.h"

#include <math.h>
#include <unistd.h>

/*
 * The YAML loader against PyYAML's safe_load (what Ansible uses): every
 * expected value below is what
 *	/usr/bin/python3 -c 'import yaml; print(repr(yaml.safe_load(...)))'
 * printed for the same text.
 */

/* Load `text` as "t.yml", expecting success and no diagnostics. */
static struct val *load(const char *text)
{
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;
	int rc = yaml_load_string(&v, text, strlen(text), "t.yml", &d);

	if (rc < 0 || d.nr) {
		diags_print(&d, stderr);
		fail_msg("loading failed (%d) with %zu diagnostics", rc, d.nr);
	}
	diags_release(&d);
	assert_non_null(v);
	return v;
}

static void assert_repr(const struct val *v, const char *want)
{
	struct buf b = BUF_INIT;

	val_to_repr(&b, v);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

/* Load "k: <scalar>" and compare the repr of k's value. */
static void scalar_is(const char *scalar, const char *want)
{
	struct buf text = BUF_INIT;
	struct val *v;

	buf_addf(&text, "k: %s\n", scalar);
	v = load(text.ptr);
	assert_repr(val_dict_get(v, "k"), want);
	val_unref(v);
	buf_release(&text);
}

/* The value of "k: <scalar>", as a new reference. */
static struct val *scalar(const char *scalar)
{
	struct buf text = BUF_INIT;
	struct val *v, *k;

	buf_addf(&text, "k: %s\n", scalar);
	v = load(text.ptr);
	k = val_ref(val_dict_get(v, "k"));
	val_unref(v);
	buf_release(&text);
	return k;
}

/*
 * Load `text`, expecting TEND_EPARSE with exactly one diagnostic, `want`.
 */
static void load_fails(const char *text, const char *want)
{
	struct diags d = DIAGS_INIT;
	struct val *v = (struct val *)1;

	assert_int_equal(yaml_load_string(&v, text, strlen(text), "t.yml", &d),
			 TEND_EPARSE);
	assert_null(v);
	assert_int_equal(d.nr, 1);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.items[0], want);
	diags_release(&d);
}

static void test_yaml__bool_yaml11(void **state)
{
	static const char *const yes[] = { "yes", "Yes", "YES", "on", "On",
					   "ON", "true", "True", "TRUE", NULL };
	static const char *const no[] = { "no", "No", "NO", "off", "Off",
					  "OFF", "false", "False", "FALSE", NULL };

	(void)state;
	for (size_t i = 0; yes[i]; i++)
		scalar_is(yes[i], "True");
	for (size_t i = 0; no[i]; i++)
		scalar_is(no[i], "False");
	/* not booleans to PyYAML */
	scalar_is("y", "'y'");
	scalar_is("n", "'n'");
	scalar_is("tRue", "'tRue'");
	scalar_is("yES", "'yES'");
}

static void test_yaml__null(void **state)
{
	struct val *v;

	(void)state;
	scalar_is("~", "None");
	scalar_is("null", "None");
	scalar_is("Null", "None");
	scalar_is("NULL", "None");
	scalar_is("", "None");
	scalar_is("nUll", "'nUll'");
	v = load("- \n- ~\n");
	assert_repr(v, "[None, None]");
	val_unref(v);
}

static void test_yaml__int_forms(void **state)
{
	struct val *v;

	(void)state;
	scalar_is("0x1F", "31");
	scalar_is("-0x1F", "-31");
	scalar_is("1_000", "1000");
	scalar_is("-5", "-5");
	scalar_is("+5", "5");
	scalar_is("0", "0");
	scalar_is("0b101", "5");
	scalar_is("9223372036854775807", "9223372036854775807");
	/* the extremes, with no signed overflow (UBSan checks) */
	scalar_is("-9223372036854775808", "-9223372036854775808");
	scalar_is("-0x8000000000000000", "-9223372036854775808");
	scalar_is("-01000000000000000000000", "-9223372036854775808");
	/* past a long long: not wrapped to a negative number */
	scalar_is("9223372036854775808", "'9223372036854775808'");
	scalar_is("0x8000000000000000", "'0x8000000000000000'");
	scalar_is("-9223372036854775809", "'-9223372036854775809'");
	/* 8 and 9 are no octal digits: a string */
	scalar_is("08", "'08'");
	scalar_is("0b", "'0b'");
	scalar_is("0x", "'0x'");
	scalar_is("_1", "'_1'");
	v = scalar("0x1F");
	assert_int_equal(v->type, VAL_INT);
	assert_false(v->flags & VAL_F_OCTAL);
	val_unref(v);
}

static void test_yaml__octal(void **state)
{
	struct val *v;

	(void)state;
	v = scalar("0644");
	assert_int_equal(v->type, VAL_INT);
	assert_int_equal(v->u.i, 420);
	assert_true(v->flags & VAL_F_OCTAL);
	assert_false(v->flags & VAL_F_QUOTED);
	val_unref(v);
	scalar_is("0_644", "420");
	scalar_is("00", "0");
	/* YAML 1.2 octal is a string to PyYAML (and so to Ansible) */
	v = scalar("0o644");
	assert_int_equal(v->type, VAL_STR);
	assert_string_equal(val_cstr(v), "0o644");
	val_unref(v);
}

static void test_yaml__quoted_is_string(void **state)
{
	struct val *v;

	(void)state;
	v = scalar("'0644'");
	assert_int_equal(v->type, VAL_STR);
	assert_string_equal(val_cstr(v), "0644");
	assert_true(v->flags & VAL_F_QUOTED);
	val_unref(v);
	v = scalar("\"yes\"");
	assert_int_equal(v->type, VAL_STR);
	assert_true(v->flags & VAL_F_QUOTED);
	val_unref(v);
	v = scalar("plain");
	assert_false(v->flags & VAL_F_QUOTED);
	val_unref(v);
	scalar_is("''", "''");
}

static void test_yaml__float_forms(void **state)
{
	struct val *v;

	(void)state;
	scalar_is("1.5", "1.5");
	scalar_is("1.0", "1.0");
	scalar_is("1.", "1.0");
	scalar_is(".5", "0.5");
	scalar_is("0.1", "0.1");
	scalar_is("1_000.000_1", "1000.0001");
	scalar_is("-1.5E-3", "-0.0015");
	scalar_is("1.5e+3", "1500.0");
	scalar_is(".inf", "inf");
	scalar_is("-.Inf", "-inf");
	scalar_is("+.INF", "inf");
	v = scalar(".NaN");
	assert_int_equal(v->type, VAL_FLOAT);
	assert_true(isnan(v->u.f));
	val_unref(v);
}

static void test_yaml__float_like_strings(void **state)
{
	(void)state;
	/* PyYAML's float needs a dot and a signed exponent */
	scalar_is("1e3", "'1e3'");
	scalar_is("1e+3", "'1e+3'");
	scalar_is("1.5e3", "'1.5e3'");
	scalar_is("1.5e+", "'1.5e+'");
	scalar_is("-.5", "'-.5'");
	scalar_is("+.5", "'+.5'");
	scalar_is("._5", "'._5'");
	scalar_is(".", "'.'");
	scalar_is("1.2.3", "'1.2.3'");
}

static void test_yaml__block_and_flow(void **state)
{
	struct val *v = load("lit: |\n  a\n  b\nfold: >\n  a\n  b\n"
			     "flow: [1, 'a', {b: c}]\n");

	(void)state;
	assert_repr(v, "{'lit': 'a\\nb\\n', 'fold': 'a b\\n', "
		       "'flow': [1, 'a', {'b': 'c'}]}");
	val_unref(v);
}

static void test_yaml__tags(void **state)
{
	struct val *v = load("s: !!str 123\ni: !!int \"42\"\nf: !!float 1\n"
			     "b: !!bool yes\nn: !!null \"\"\n"
			     "u: !unsafe '{{ lookup(\"pipe\", \"id\") }}'\n");
	struct val *u = val_dict_get(v, "u");

	(void)state;
	assert_repr(v, "{'s': '123', 'i': 42, 'f': 1.0, 'b': True, 'n': None, "
		       "'u': '{{ lookup(\"pipe\", \"id\") }}'}");
	assert_true(u->flags & VAL_F_UNSAFE);
	assert_false(val_dict_get(v, "s")->flags & VAL_F_UNSAFE);
	val_unref(v);
}

static void test_yaml__bad_tags(void **state)
{
	(void)state;
	load_fails("x: !!int abc\n",
		   "t.yml:1:4: 'abc' is not a valid tag:yaml.org,2002:int");
	load_fails("x: !foo bar\n", "t.yml:1:4: unknown YAML tag '!foo'");
	load_fails("x: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n",
		   "t.yml:1:4: cannot decrypt !vault value: damaged vault "
		   "data: truncated (expected salt, HMAC and ciphertext)");
}

static void test_yaml__anchors_aliases(void **state)
{
	struct val *v = load("base: &b\n  x: 1\nlist: &l [1, 2]\n"
			     "s: &s hello\nuse: *b\nuse_list: *l\nuse_s: *s\n");

	(void)state;
	assert_repr(v, "{'base': {'x': 1}, 'list': [1, 2], 's': 'hello', "
		       "'use': {'x': 1}, 'use_list': [1, 2], 'use_s': 'hello'}");
	/* an alias shares the anchored value */
	assert_ptr_equal(val_dict_get(v, "use"), val_dict_get(v, "base"));
	val_unref(v);
}

static void test_yaml__alias_cycle_refused(void **state)
{
	(void)state;
	/* a self-reference would make a value that contains itself */
	load_fails("a: &x [1, *x]\n", "t.yml:1:11: unknown anchor 'x'");
}

static void test_yaml__merge_keys(void **state)
{
	struct val *v = load("a: &a {x: 1, y: 2}\n"
			     "b: &b {y: 20, w: 30, x: 10}\n"
			     "one: {z: 0, <<: *a, x: 9}\n"
			     "two:\n  <<: [*a, *b]\n  q: 5\n"
			     "three:\n  k: 1\n  <<: *b\n");

	(void)state;
	/* explicit keys win, then earlier merges; order as PyYAML */
	assert_repr(val_dict_get(v, "one"), "{'x': 9, 'y': 2, 'z': 0}");
	assert_repr(val_dict_get(v, "two"), "{'y': 2, 'w': 30, 'x': 1, 'q': 5}");
	assert_repr(val_dict_get(v, "three"),
		    "{'y': 20, 'w': 30, 'x': 10, 'k': 1}");
	/* the anchored dicts themselves are untouched */
	assert_repr(val_dict_get(v, "a"), "{'x': 1, 'y': 2}");
	/* an explicit key keeps the position where it was written */
	assert_int_equal(val_dict_key_pos(val_dict_get(v, "one"), "x")->col,
			 21);
	val_unref(v);
}

static void test_yaml__merge_quoted_key_is_plain(void **state)
{
	struct val *v = load("a: &a {x: 1}\nb: {'<<': *a}\n");

	(void)state;
	/* only a plain << merges */
	assert_repr(val_dict_get(v, "b"), "{'<<': {'x': 1}}");
	val_unref(v);
}

static void test_yaml__merge_non_mapping(void **state)
{
	(void)state;
	load_fails("b:\n  <<: 5\n", "t.yml:2:7: '<<' expects a mapping");
	/* a list item that is no mapping: where that item is written */
	load_fails("a: &a [1]\nb:\n  <<: *a\n",
		   "t.yml:1:8: '<<' expects a mapping");
}

static void test_yaml__positions(void **state)
{
	struct val *v = load("# comment\nplay:\n  name: web\n  tasks:\n"
			     "    - debug: x\n    -   {a: 1}\n");
	struct val *play = val_dict_get(v, "play");
	const struct srcpos *kp;
	struct val *tasks, *name;

	(void)state;
	assert_string_equal(v->pos.file, "t.yml");
	name = val_dict_get(play, "name");
	assert_int_equal(name->pos.line, 3);
	assert_int_equal(name->pos.col, 9);
	kp = val_dict_key_pos(play, "name");
	assert_non_null(kp);
	assert_string_equal(kp->file, "t.yml");
	assert_int_equal(kp->line, 3);
	assert_int_equal(kp->col, 3);
	kp = val_dict_key_pos(v, "play");
	assert_int_equal(kp->line, 2);
	assert_int_equal(kp->col, 1);
	assert_null(val_dict_key_pos(play, "nope"));
	tasks = val_dict_get(play, "tasks");
	assert_int_equal(val_list_at(tasks, 0)->pos.line, 5);
	assert_int_equal(val_list_at(tasks, 0)->pos.col, 7);
	assert_int_equal(val_list_at(tasks, 1)->pos.line, 6);
	assert_int_equal(val_list_at(tasks, 1)->pos.col, 9);
	assert_int_equal(
		val_dict_key_pos(val_list_at(tasks, 1), "a")->col, 10);
	val_unref(v);
}

static void test_yaml__bad_indentation(void **state)
{
	(void)state;
	load_fails("a: 1\n b: 2\n",
		   "t.yml:2:3: invalid YAML: mapping values are not allowed "
		   "in this context");
	load_fails("a:\n  b: 1\n c: 2\n",
		   "t.yml:3:2: invalid YAML: did not find expected key while "
		   "parsing a block mapping");
}

static void test_yaml__unknown_alias(void **state)
{
	(void)state;
	load_fails("a: *x\n", "t.yml:1:4: unknown anchor 'x'");
}

static void test_yaml__duplicate_key_warns(void **state)
{
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;
	const char *text = "a: 1\nb: 2\na: 3\n";

	(void)state;
	assert_ok(yaml_load_string(&v, text, strlen(text), "t.yml", &d));
	/* the last one wins, in the place of the first, as PyYAML */
	assert_repr(v, "{'a': 3, 'b': 2}");
	assert_int_equal(d.nr, 1);
	assert_int_equal(d.errors, 0);
	assert_string_equal(d.items[0], "t.yml:3:1: warning: duplicate key "
					"'a': the last one wins");
	val_unref(v);
	diags_release(&d);
}

static void test_yaml__first_document_only(void **state)
{
	struct val *v = load("a: 1\n---\nb: 2\n");

	(void)state;
	assert_repr(v, "{'a': 1}");
	val_unref(v);
	v = load("---\n- x\n...\n---\n- y\n");
	assert_repr(v, "['x']");
	val_unref(v);
}

static void test_yaml__empty_is_null(void **state)
{
	struct val *v;

	(void)state;
	v = load("");
	assert_int_equal(v->type, VAL_NULL);
	val_unref(v);
	v = load("# only a comment\n\n");
	assert_int_equal(v->type, VAL_NULL);
	val_unref(v);
	v = load("---\n");
	assert_int_equal(v->type, VAL_NULL);
	val_unref(v);
}

static void test_yaml__diags_appended(void **state)
{
	struct diags d = DIAGS_INIT;
	struct srcpos pos = { "x.yml", 1, 1 };
	struct val *v = NULL;

	(void)state;
	diags_add(&d, &pos, "earlier error");
	assert_int_equal(yaml_load_string(&v, "a: *x", 5, "t.yml", &d),
			 TEND_EPARSE);
	assert_int_equal(d.nr, 2);
	assert_int_equal(d.errors, 2);
	assert_string_equal(d.items[0], "x.yml:1:1: earlier error");
	/* a good load after errors still succeeds */
	assert_ok(yaml_load_string(&v, "a: 1", 4, "t.yml", &d));
	assert_int_equal(d.errors, 2);
	val_unref(v);
	diags_release(&d);
}

static void test_yaml__load_file(void **state)
{
	char path[] = "/tmp/tend-test-yaml-XXXXXX";
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x: [1]\n", 7), 7);
	close(fd);
	assert_ok(yaml_load_file(&v, path, &d));
	assert_repr(v, "{'x': [1]}");
	assert_string_equal(v->pos.file, path);
	val_unref(v);
	unlink(path);
	assert_int_equal(yaml_load_file(&v, path, &d), TEND_ENOTFOUND);
	assert_null(v);
	assert_int_equal(d.nr, 0);
	tend_error_clear();
	diags_release(&d);
}

/*
 * to_nice_yaml (val_to_yaml) writes YAML that loads back to the same
 * value. Strings holding characters YAML refuses raw (ESC, DEL, C1
 * controls, U+FFFE) were written in single quotes, and did not load; line
 * breaks other than LF (CR, NEL, U+2028) loaded back folded into spaces;
 * a key starting with U+FEFF lost it (read as a byte order mark).
 * Found by tests/fuzz/fuzz_yaml.c (tests/fuzz/regress/yaml/).
 */
static void test_yaml__emit_control_chars(void **state)
{
	static const char *const docs[] = {
		"s: \"a\\eb\"\n",
		"s: \"del\\x7f.\"\n",
		"s: \"c1 \\x80 \\x9f\"\n",
		"s: \"\\uFFFE and \\uFFFF\"\n",
		"s: \"cr\\r.\"\n",
		"s: \"nel\\N ls\\L ps\\P\"\n",
		"s: \"tab\\tin\"\n",
		"\"k\\e\": [\"x\\ay\", \"\\x1b[31mred\"]\n",
		"s: \"caf\\xe9 \\u2603\"\n",
		/* a byte order mark leading the text is dropped */
		"\"\\uFEFF k\": \"\\uFEFF v\"\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct val *v = load(docs[i]), *again = NULL;
		struct buf out = BUF_INIT;
		struct diags d = DIAGS_INIT;

		val_to_yaml(&out, v, 0);
		if (yaml_load_string(&again, out.ptr, out.len, "again.yml",
				     &d) < 0) {
			diags_print(&d, stderr);
			fail_msg("'%s' was written as '%s', which does not load",
				 docs[i], out.ptr);
		}
		if (!val_equal(v, again))
			fail_msg("'%s' was written as '%s', which loads as "
				 "another value", docs[i], out.ptr);
		val_unref(again);
		val_unref(v);
		buf_release(&out);
		diags_release(&d);
	}
}

/*
 * A string that starts with "..." was written plain: as a key, at the
 * start of a line, it ended the document. Found by tests/fuzz/fuzz_yaml.c;
 * the expected text is yaml.safe_dump's.
 */
static void test_yaml__emit_document_markers(void **state)
{
	static const char doc[] = "all: p2\n'... x': ['...', '--- y', a...]\n";
	struct val *v = load(doc), *again;
	struct buf out = BUF_INIT;

	(void)state;
	val_to_yaml(&out, v, 0);
	assert_string_equal(out.ptr, "all: p2\n'... x':\n- '...'\n"
			    "- '--- y'\n- a...\n");
	again = load(out.ptr);
	assert_true(val_equal(v, again));
	val_unref(again);
	val_unref(v);
	buf_release(&out);
}

/*
 * Floats are written as PyYAML writes them (Ansible's to_nice_yaml), so
 * that they load back as the same floats: infinities and NaN were
 * written as JSON's null, and 1e+16 (no dot) loads as a string. Found by
 * tests/fuzz/fuzz_yaml.c; the expected text is yaml.safe_dump's.
 */
static void test_yaml__emit_floats(void **state)
{
	static const char doc[] =
		"[.inf, -.inf, .nan, 1.0e+16, 1.5e-7, 2.5, 1.0e+300]";
	struct val *v = load(doc), *again;
	struct buf out = BUF_INIT;

	(void)state;
	val_to_yaml(&out, v, 0);
	assert_string_equal(out.ptr, "- .inf\n- -.inf\n- .nan\n- 1.0e+16\n"
			    "- 1.5e-07\n- 2.5\n- 1.0e+300\n");
	again = load(out.ptr);
	assert_int_equal(val_len(again), 7);
	for (size_t i = 0; i < val_len(again); i++)
		assert_int_equal(val_list_at(again, i)->type, VAL_FLOAT);
	assert_true(isinf(val_list_at(again, 1)->u.f) &&
		    val_list_at(again, 1)->u.f < 0);
	assert_true(isnan(val_list_at(again, 2)->u.f));
	assert_true(val_equal(val_list_at(again, 3), val_list_at(v, 3)));
	val_unref(again);
	val_unref(v);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml__bool_yaml11),
		cmocka_unit_test(test_yaml__null),
		cmocka_unit_test(test_yaml__int_forms),
		cmocka_unit_test(test_yaml__octal),
		cmocka_unit_test(test_yaml__quoted_is_string),
		cmocka_unit_test(test_yaml__float_forms),
		cmocka_unit_test(test_yaml__float_like_strings),
		cmocka_unit_test(test_yaml__block_and_flow),
		cmocka_unit_test(test_yaml__tags),
		cmocka_unit_test(test_yaml__bad_tags),
		cmocka_unit_test(test_yaml__anchors_aliases),
		cmocka_unit_test(test_yaml__alias_cycle_refused),
		cmocka_unit_test(test_yaml__merge_keys),
		cmocka_unit_test(test_yaml__merge_quoted_key_is_plain),
		cmocka_unit_test(test_yaml__merge_non_mapping),
		cmocka_unit_test(test_yaml__positions),
		cmocka_unit_test(test_yaml__bad_indentation),
		cmocka_unit_test(test_yaml__unknown_alias),
		cmocka_unit_test(test_yaml__duplicate_key_warns),
		cmocka_unit_test(test_yaml__first_document_only),
		cmocka_unit_test(test_yaml__empty_is_null),
		cmocka_unit_test(test_yaml__diags_appended),
		cmocka_unit_test(test_yaml__load_file),
		cmocka_unit_test(test_yaml__emit_control_chars),
		cmocka_unit_test(test_yaml__emit_floats),
		cmocka_unit_test(test_yaml__emit_document_markers),
	};

	return cmocka_run_group_tests_name("yaml", tests, NULL, NULL);
}
