#include "unit.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"
#include "tend/data/val.h"

/*
 * Each context's truth rule against Ansible's own answers. The expected
 * columns were printed here by /usr/bin/python3 with ansible-core 2.14.18
 * (Debian's package):
 *
 *   from ansible.module_utils.parsing.convert_bool import boolean
 *   from ansible.plugins.filter.core import to_bool
 *   print(repr(v), boolean(v, strict=True), to_bool(v), bool(v))
 *
 * and the conditional table by ansible-playbook 2.14.18 running
 * `when: x` and `when: "{{ x }}"` for each string x (tasks skipped, run
 * or failed with "'yes' is undefined").
 */

enum { F = 0, T = 1, ERR = 2 };

struct row {
	const char *json; /* the value, as JSON */
	int boolean;      /* boolean(v, strict=True) */
	int to_bool;      /* the bool filter; ERR here: None stays None */
	int python;       /* bool(v) */
};

static const struct row rows[] = {
	{ "\"y\"", T, F, T },
	{ "\"Y\"", T, F, T },
	{ "\"yes\"", T, T, T },
	{ "\"YES\"", T, T, T },
	{ "\" yes \"", T, F, T },
	{ "\"\\tOn\\n\"", T, F, T },
	{ "\"on\"", T, T, T },
	{ "\"1\"", T, T, T },
	{ "\"true\"", T, T, T },
	{ "\"True\"", T, T, T },
	{ "\"t\"", T, F, T },
	{ "\"T\"", T, F, T },
	{ "\"n\"", F, F, T },
	{ "\"no\"", F, F, T },
	{ "\"NO\"", F, F, T },
	{ "\"off\"", F, F, T },
	{ "\"Off\"", F, F, T },
	{ "\"0\"", F, F, T },
	{ "\"false\"", F, F, T },
	{ "\"False\"", F, F, T },
	{ "\"f\"", F, F, T },
	{ "\"F\"", F, F, T },
	{ "\"\"", ERR, F, F },
	{ "\" \"", ERR, F, T },
	{ "\"bogus\"", ERR, F, T },
	{ "\"2\"", ERR, F, T },
	{ "\"1.0\"", ERR, F, T },
	{ "\"yes please\"", ERR, F, T },
	{ "1", T, T, T },
	{ "0", F, F, F },
	{ "1.0", T, T, T },
	{ "0.0", F, F, F },
	{ "-0.0", F, F, F },
	{ "2", ERR, F, T },
	{ "-1", ERR, F, T },
	{ "0.5", ERR, F, T },
	{ "true", T, T, T },
	{ "false", F, F, F },
	{ "null", ERR, ERR, F },
	{ "[]", ERR, F, F },
	{ "{}", ERR, F, F },
};

static struct val *J(const char *json)
{
	struct val *v = NULL;

	assert_ok(val_from_json(&v, json, strlen(json)));
	return v;
}

static void test_truth__boolean(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct val *v = J(rows[i].json);
		bool b = !rows[i].boolean;
		int error = truth_boolean(&b, v);

		if (rows[i].boolean == ERR) {
			if (error != -1)
				fail_msg("boolean(%s) should fail",
					 rows[i].json);
			assert_non_null(strstr(tend_error_last(),
					       "is not a valid boolean"));
			tend_error_clear();
		} else if (error < 0 || b != rows[i].boolean) {
			fail_msg("boolean(%s): want %d, got %d (%d)",
				 rows[i].json, rows[i].boolean, b, error);
		}
		val_unref(v);
	}
}

static void test_truth__boolean_error_names_value(void **state)
{
	struct val *v = val_str("bogus");
	bool b = true;

	(void)state;
	assert_int_equal(truth_boolean(&b, v), -1);
	assert_true(b); /* untouched on error */
	assert_string_equal(tend_error_last(),
			    "the value 'bogus' is not a valid boolean "
			    "(valid: yes/no, true/false, on/off, y/n, t/f, "
			    "1/0)");
	val_unref(v);
	/* a NUL inside makes no word, even if what precedes it is one */
	v = val_strn("yes\0x", 5);
	assert_int_equal(truth_boolean(&b, v), -1);
	val_unref(v);
	assert_int_equal(truth_boolean(&b, NULL), -1);
	tend_error_clear();
}

static void test_truth__to_bool(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct val *v = J(rows[i].json);
		/* to_bool(None) is None: falsy, and the filter keeps it */
		int want = rows[i].to_bool == ERR ? F : rows[i].to_bool;

		if (truth_to_bool(v) != want)
			fail_msg("to_bool(%s): want %d", rows[i].json, want);
		val_unref(v);
	}
	assert_false(truth_to_bool(NULL));
}

static void test_truth__python(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct val *v = J(rows[i].json);

		if (truth_python(v) != rows[i].python)
			fail_msg("bool(%s): want %d", rows[i].json,
				 rows[i].python);
		val_unref(v);
	}
	assert_false(truth_python(NULL));
	{
		struct val *v = J("[[0], {\"a\": 0}, [null]]");

		for (size_t i = 0; i < val_len(v); i++)
			assert_true(truth_python(val_list_at(v, i)));
		val_unref(v);
	}
}

/*
 * when: x and when: "{{ x }}" for a string x, as ansible-playbook 2.14.18
 * ran them. bare: the value's Python truth; lone: the rendered string is
 * evaluated once more as an expression (ERR: "'yes' is undefined").
 */
static const struct {
	const char *x;
	int bare, lone;
} conds[] = {
	{ "yes", T, ERR },   { "no", T, ERR },     { "False", T, F },
	{ "false", T, F },   { "True", T, T },     { "true", T, T },
	{ "0", T, F },       { "1", T, T },        { "", F, F },
	{ "off", T, ERR },   { "on", T, ERR },     { "foo", T, ERR },
	{ " yes", T, ERR },  { "0.0", T, F },      { "none", T, F },
	{ "None", T, F },    { "[]", T, F },       { "{}", T, F },
	{ "y", T, ERR },     { "n", T, ERR },      { "False ", T, F },
	{ " 1", T, T },      { "2", T, T },
};

static void test_truth__conditional(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(conds); i++) {
		struct val *vars = val_dict();
		struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
		bool b = false;
		int error;

		val_dict_set_str(vars, "x", conds[i].x);
		assert_ok(expr_eval_bool(&b, "x", &s));
		if (b != conds[i].bare)
			fail_msg("when: x, x='%s': want %d", conds[i].x,
				 conds[i].bare);
		error = expr_eval_bool(&b, "{{ x }}", &s);
		if (conds[i].lone == ERR) {
			if (error != TEND_EUNDEFINED)
				fail_msg("when: \"{{ x }}\", x='%s': want "
					 "undefined, got %d", conds[i].x, error);
			tend_error_clear();
		} else if (error < 0 || b != conds[i].lone) {
			fail_msg("when: \"{{ x }}\", x='%s': want %d, got %d "
				 "(%d: %s)", conds[i].x, conds[i].lone, b,
				 error, tend_error_last());
		}
		val_unref(vars);
	}
}

/* A string from a host is never evaluated as code, even when lone. */
static void test_truth__conditional_unsafe(void **state)
{
	struct val *vars = val_dict();
	struct scope s = { NULL, vars, NULL, NULL, NULL, SCOPE_PLAIN };
	bool b;

	(void)state;
	val_dict_set(vars, "x", val_unsafe(val_str("1 == 1")));
	assert_int_equal(expr_eval_bool(&b, "{{ x }}", &s), -1);
	assert_non_null(strstr(tend_error_last(), "unsafe"));
	tend_error_clear();
	/* bare, it is only a value: a non-empty string */
	assert_ok(expr_eval_bool(&b, "x", &s));
	assert_true(b);
	/*
	 * "False" is read back as a literal first (Ansible's
	 * ansible_eval_concat), and a bool is no text to evaluate
	 */
	val_dict_set(vars, "x", val_unsafe(val_str("False")));
	assert_ok(expr_eval_bool(&b, "{{ x }}", &s));
	assert_false(b);
	val_unref(vars);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truth__boolean),
		cmocka_unit_test(test_truth__boolean_error_names_value),
		cmocka_unit_test(test_truth__to_bool),
		cmocka_unit_test(test_truth__python),
		cmocka_unit_test(test_truth__conditional),
		cmocka_unit_test(test_truth__conditional_unsafe),
	};

	return cmocka_run_group_tests_name("truth", tests, NULL, NULL);
}
