#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/pipreq.h"

/* Python requirements as Ansible's pip module reads them. */

static void check_parse(const char *item, bool plain, const char *name,
			const char *text, const char *pinned)
{
	struct pipreq p;

	pipreq_parse(&p, item);
	assert_int_equal(p.plain, plain);
	assert_string_equal(p.name, name);
	assert_string_equal(p.text, text);
	if (pinned)
		assert_string_equal(p.pinned, pinned);
	else
		assert_null(p.pinned);
	free(p.name);
	free(p.text);
	free(p.pinned);
}

static void test_pipreq__parse(void **state)
{
	(void)state;
	check_parse("foo==1.0", true, "foo", "foo==1.0", "1.0");
	check_parse(" Foo_Bar.baz >= 1 , < 2 ", true, "foo-bar-baz",
		    "Foo_Bar.baz<2,>=1", NULL);
	check_parse("foo[b, a]>=1; python_version>'3'", true, "foo",
		    "foo[a,b]>=1; python_version>'3'", NULL);
	check_parse("foo (==2.0)", true, "foo", "foo==2.0", "2.0");
	check_parse("foo===2.0", true, "foo", "foo===2.0", NULL);
	check_parse("foo @ https://x/foo.whl", true, "foo",
		    "foo @ https://x/foo.whl", NULL);
	check_parse("git+https://x/foo.git", false, "git+https://x/foo.git",
		    "git+https://x/foo.git", NULL);
	check_parse("./src/foo", false, "./src/foo", "./src/foo", NULL);
	check_parse("foo,<2", false, "foo,<2", "foo,<2", NULL);
}

static void test_pipreq__build(void **state)
{
	struct val *names = val_list();
	struct pipreq *p = NULL;
	size_t nr = 0;

	(void)state;
	/* Ansible's _recover_package_name: specifiers back to their package */
	val_list_push(names, val_str("django>1.11.1"));
	val_list_push(names, val_str("<1.11.3"));
	val_list_push(names, val_str("ipaddress"));
	val_list_push(names, val_str("x[a"));
	val_list_push(names, val_str("b]>1"));
	assert_ok(pipreq_build(&p, &nr, names, NULL));
	assert_int_equal(nr, 3);
	assert_string_equal(p[0].text, "django<1.11.3,>1.11.1");
	assert_string_equal(p[1].text, "ipaddress");
	assert_string_equal(p[2].text, "x[a,b]>1");
	pipreq_free(p, nr);
	/* version: "==V" for a number, else as a specifier */
	val_unref(names);
	names = val_list();
	val_list_push(names, val_str("foo"));
	assert_ok(pipreq_build(&p, &nr, names, "1.0"));
	assert_string_equal(p[0].text, "foo==1.0");
	assert_string_equal(p[0].pinned, "1.0");
	pipreq_free(p, nr);
	assert_ok(pipreq_build(&p, &nr, names, ">=1"));
	assert_string_equal(p[0].text, "foo>=1");
	pipreq_free(p, nr);
	/* Ansible's refusals */
	val_list_push(names, val_str("bar"));
	assert_int_equal(pipreq_build(&p, &nr, names, "1.0"), -1);
	val_unref(names);
	names = val_list();
	val_list_push(names, val_str("foo<2"));
	assert_int_equal(pipreq_build(&p, &nr, names, "1.0"), -1);
	val_unref(names);
}

static void test_pipreq__freeze_and_versions(void **state)
{
	const char *out = "Foo_Bar==1.0\nbaz @ file:///x\n-e git+x#egg=q\n"
			  "tend.dep==0.5";
	struct val *d = pipreq_freeze(out, strlen(out));

	(void)state;
	assert_string_equal(val_cstr(val_dict_get(d, "foo-bar")), "1.0");
	assert_string_equal(val_cstr(val_dict_get(d, "tend-dep")), "0.5");
	assert_null(val_dict_get(d, "baz"));
	val_unref(d);
	assert_true(pipreq_version_cmp("1.0", "2.0") < 0);
	assert_true(pipreq_version_cmp("1.10", "1.9") > 0);
	assert_true(pipreq_version_cmp("1.0", "1.0.1") < 0);
	assert_int_equal(pipreq_version_cmp("2.0", "2.0"), 0);
}

static bool sat(const char *item, const char *version)
{
	struct pipreq p;
	bool ok;

	pipreq_parse(&p, item);
	ok = pipreq_satisfied(&p, version);
	free(p.name);
	free(p.text);
	free(p.pinned);
	return ok;
}

static void test_pipreq__satisfied(void **state)
{
	(void)state;
	assert_true(sat("foo", "1.0"));
	assert_true(sat("foo==1.0", "1.0"));
	assert_false(sat("foo==1.0", "2.0"));
	assert_true(sat("foo>=1,<3", "2.0"));
	assert_false(sat("foo>=1,<2", "2.0"));
	assert_true(sat("foo[x]!=1.5", "1.4"));
	assert_true(sat("foo==1.*", "1.7"));
	assert_false(sat("foo==1.*", "10.0"));
	assert_true(sat("foo~=1.4", "1.9"));
	assert_false(sat("foo~=1.4", "2.0"));
	assert_true(sat("foo>1; python_version>'3'", "1.1"));
	assert_false(sat("./src/foo", "1.0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipreq__parse),
		cmocka_unit_test(test_pipreq__build),
		cmocka_unit_test(test_pipreq__freeze_and_versions),
		cmocka_unit_test(test_pipreq__satisfied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
