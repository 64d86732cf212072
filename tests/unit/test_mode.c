#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/data/val.h"

static unsigned int parse_str(const char *s, unsigned int cur, bool is_dir)
{
	struct val *v = val_str(s);
	unsigned int m = 0;

	assert_ok(mode_parse(&m, v, cur, is_dir));
	val_unref(v);
	return m;
}

static void test_mode__octal(void **state)
{
	struct val *v = val_int(0644);
	unsigned int m = 0;

	(void)state;
	v->flags |= VAL_F_OCTAL;
	assert_ok(mode_parse(&m, v, 0, false));
	assert_int_equal(m, 0644);
	val_unref(v);

	/* a YAML int written without a leading 0 is read as octal digits */
	v = val_int(644);
	assert_ok(mode_parse(&m, v, 0, false));
	assert_int_equal(m, 0644);
	val_unref(v);

	assert_int_equal(parse_str("0644", 0, false), 0644);
	assert_int_equal(parse_str("755", 0, false), 0755);
	assert_int_equal(parse_str("04755", 0, false), 04755);
}

static void test_mode__symbolic(void **state)
{
	(void)state;
	assert_int_equal(parse_str("u+rwx,g-w,o=r", 0664, false), 0744);
	assert_int_equal(parse_str("u=rw,g=r,o=", 0777, false), 0640);
	assert_int_equal(parse_str("a+X", 0644, false), 0644);
	assert_int_equal(parse_str("a+X", 0644, true), 0755);
	assert_int_equal(parse_str("a+X", 0744, false), 0755);
	assert_int_equal(parse_str("g=u", 0740, false), 0770);
	assert_int_equal(parse_str("+x", 0644, false), 0755);
	assert_int_equal(parse_str("u+s,o+t", 0755, false), 05755);
	assert_int_equal(parse_str("u=", 0755, false), 0055);
	assert_int_equal(parse_str("go-rwx", 0777, false), 0700);
	assert_int_equal(parse_str("u+r-x", 0700, false), 0600);
}

static void test_mode__invalid(void **state)
{
	const char *bad[] = { "0999", "u+q", "17777", "x", "u+r,,", "" };
	struct val *v;
	unsigned int m;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = val_str(bad[i]);
		assert_true(mode_parse(&m, v, 0644, false) < 0);
		val_unref(v);
	}
	v = val_int(999);
	assert_true(mode_parse(&m, v, 0, false) < 0);
	val_unref(v);
	v = val_bool(true);
	assert_true(mode_parse(&m, v, 0, false) < 0);
	val_unref(v);
	tend_error_clear();
}

static void test_mode__format(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	mode_format(&b, 0644);
	assert_string_equal(b.ptr, "0644");
	buf_reset(&b);
	mode_format(&b, 04755);
	assert_string_equal(b.ptr, "4755");
	buf_reset(&b);
	mode_format(&b, 0);
	assert_string_equal(b.ptr, "0000");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode__octal),
		cmocka_unit_test(test_mode__symbolic),
		cmocka_unit_test(test_mode__invalid),
		cmocka_unit_test(test_mode__format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
