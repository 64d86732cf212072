#include "unit.h"
#include "tend/modkit/facts.h"
#include "tend/modkit/facts_local.h"

/* INI as configparser reads it: sections, DEFAULT, case, continuation */
static void test_facts__local_ini(void **state)
{
	struct val *f;

	(void)state;
	f = facts_local_parse("/p.fact", "[DEFAULT]\nOwner = ops\n[Main]\n"
			      "Port = 80\nPath: /srv/%%app\nurl = h:%(port)s\n"
			      "Multi = a\n  b\n; c\n[o]\nk=v  \n");
	assert_true(val_is(f, VAL_DICT));
	assert_string_equal(val_cstr(val_dict_path(f, "Main.port")), "80");
	assert_string_equal(val_cstr(val_dict_path(f, "Main.path")), "/srv/%app");
	assert_string_equal(val_cstr(val_dict_path(f, "Main.url")), "h:80");
	assert_string_equal(val_cstr(val_dict_path(f, "Main.multi")), "a\nb");
	assert_string_equal(val_cstr(val_dict_path(f, "o.owner")), "ops");
	assert_string_equal(val_cstr(val_dict_path(f, "o.k")), "v");
	val_unref(f);
}

static void test_facts__local_json_and_errors(void **state)
{
	struct val *f;

	(void)state;
	f = facts_local_parse("/p.fact", "{\"a\": [1, \"{{ x }}\"]}");
	assert_string_equal(val_cstr(val_list_at(val_dict_get(f, "a"), 1)),
			    "{{ x }}");
	val_unref(f);
	f = facts_local_parse("/p.fact", "");
	assert_true(val_is(f, VAL_DICT) && !val_len(f));
	val_unref(f);
	f = facts_local_parse("/b.fact", "key = outside a section\n");
	assert_string_equal(val_cstr(f), "error loading facts as JSON or ini - "
			    "please check content: /b.fact");
	val_unref(f);
	f = facts_local_parse("/d.fact", "[s]\na=1\na=2\n");
	assert_true(val_is(f, VAL_STR));
	val_unref(f);
	f = facts_local_parse("/e.fact", "[s]\na=50%\n");
	assert_non_null(strstr(val_cstr(f), "Failed to convert (/e.fact)"));
	val_unref(f);
}

/* Ansible's gather_subset rules, its collectors' needs included */
static void test_facts__subsets(void **state)
{
	struct val *l = val_list();
	unsigned int b;

	(void)state;
	assert_int_equal(facts_subsets(&b, NULL), 0);
	assert_int_equal(b, FACTS_ALL);
	val_list_push(l, val_str("!all"));
	assert_int_equal(facts_subsets(&b, l), 0);
	assert_int_equal(b, FACTS_MIN);
	val_list_push(l, val_str("!min"));
	val_list_push(l, val_str("network"));
	assert_int_equal(facts_subsets(&b, l), 0);
	assert_int_equal(b, FACTS_NETWORK | FACTS_PLATFORM | FACTS_DISTRIBUTION);
	val_list_push(l, val_str("!dns"));
	assert_int_equal(facts_subsets(&b, l), 0);
	val_list_push(l, val_str("dns"));
	assert_int_equal(facts_subsets(&b, l), -1);
	assert_non_null(strstr(tend_error_last(), "'dns'"));
	tend_error_clear();
	val_unref(l);
	l = val_str("hardware, !env");
	assert_int_equal(facts_subsets(&b, l), 0);
	assert_true(b & FACTS_HARDWARE);
	assert_false(b & FACTS_ENV);
	val_unref(l);
}

/*
 * A local fact's text cannot end its block early or make up facts: only
 * the run's boundary does, and a line of it is data.
 */
static void test_facts__local_block_is_data(void **state)
{
	struct facts_opts o = { .subsets = FACTS_ALL };
	struct buf out = BUF_INIT;
	struct val *f, *w = val_list();

	(void)state;
	snprintf(o.boundary, sizeof(o.boundary), "%s", "b0b0");
	buf_adds(&out, "nodename=h.x\nb0b0 file /f/a.fact\n"
		 "{\"k\": \"v\"}\nuser_id=evil\nb0b1 end\n\nb0b0 end\n"
		 "b0b0 exec 3 /f/s.fact\nout\n\nb0b0 err\nboom\n\nb0b0 end\n"
		 "user_id=me\n");
	f = facts_parse(out.ptr, &o, w);
	assert_string_equal(val_cstr(val_dict_get(f, "hostname")), "h");
	assert_string_equal(val_cstr(val_dict_get(f, "user_id")), "me");
	assert_string_equal(val_cstr(val_dict_path(f, "ansible_local.a")),
			    "error loading facts as JSON or ini - please "
			    "check content: /f/a.fact");
	assert_string_equal(val_cstr(val_dict_path(f, "ansible_local.s")),
			    "Failure executing fact script (/f/s.fact), rc: 3, "
			    "err: boom\n");
	assert_int_equal(val_len(w), 2);
	val_unref(f);
	val_unref(w);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_facts__local_ini),
		cmocka_unit_test(test_facts__local_json_and_errors),
		cmocka_unit_test(test_facts__subsets),
		cmocka_unit_test(test_facts__local_block_is_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
