#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/apt.h"

/*
 * The apt engine's parsing: Debian version order (the expectations are
 * what `dpkg --compare-versions` says), package names, and what
 * `apt-cache policy` prints (a real apt 2.6 output).
 */

struct ver_case {
	const char *a, *b;
	int sign;
};

static const struct ver_case ver_cases[] = {
	{ "1.0", "1.0-1", -1 },
	{ "1.0~rc1", "1.0", -1 },
	{ "1:0.9", "2.0", 1 },
	{ "2.0-1", "2.0-1+b1", -1 },
	{ "1.0a", "1.0+", -1 },
	{ "1.10", "1.9", 1 },
	{ "0001.0", "1.0", 0 },
	{ "1.0-1~bpo1", "1.0-1", -1 },
	{ "2.10-3", "2.10-3", 0 },
	{ "5.2.15-2+b13", "5.2.15-2+b8", 1 },
};

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static void test_apt__version_cmp(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ver_cases); i++) {
		const struct ver_case *c = &ver_cases[i];

		assert_int_equal(sign(apt_version_cmp(c->a, c->b)), c->sign);
		assert_int_equal(sign(apt_version_cmp(c->b, c->a)), -c->sign);
	}
}

static void test_apt__name_valid(void **state)
{
	(void)state;
	assert_true(apt_name_valid("hello"));
	assert_true(apt_name_valid("libc6:amd64"));
	assert_true(apt_name_valid("g++"));
	assert_true(apt_name_valid("0ad"));
	assert_false(apt_name_valid("-x"));
	assert_false(apt_name_valid("Hello"));
	assert_false(apt_name_valid("a b"));
	assert_false(apt_name_valid("a'b"));
	assert_false(apt_name_valid("hello:"));
	assert_false(apt_name_valid(""));
}

static void test_apt__policy(void **state)
{
	static const char out[] =
		"bash:\n"
		"  Installed: 5.2.15-2+b8\n"
		"  Candidate: 5.2.15-2+b13\n"
		"  Version table:\n"
		"     5.2.15-2+b13 500\n"
		"        500 http://deb.debian.org/debian bookworm/main amd64 "
		"Packages\n"
		" *** 5.2.15-2+b8 100\n"
		"        100 /var/lib/dpkg/status";
	static const char none[] =
		"mail-transport-agent:\n"
		"  Installed: (none)\n"
		"  Candidate: (none)\n"
		"  Version table:";
	struct apt_policy p;

	(void)state;
	apt_policy_parse(&p, out, strlen(out));
	assert_true(p.known);
	assert_string_equal(p.installed, "5.2.15-2+b8");
	assert_string_equal(p.candidate, "5.2.15-2+b13");
	assert_int_equal(p.nversions, 2);
	assert_string_equal(p.versions.ptr, "5.2.15-2+b13");
	assert_string_equal(p.versions.ptr + strlen("5.2.15-2+b13") + 1,
			    "5.2.15-2+b8");
	apt_policy_release(&p);
	apt_policy_parse(&p, none, strlen(none));
	assert_true(p.known);
	assert_null(p.installed);
	assert_null(p.candidate);
	assert_int_equal(p.nversions, 0);
	apt_policy_release(&p);
	apt_policy_parse(&p, "", 0);
	assert_false(p.known);
	apt_policy_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apt__version_cmp),
		cmocka_unit_test(test_apt__name_valid),
		cmocka_unit_test(test_apt__policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
