#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

/* The records module scripts print: plain lines and framed bytes. */

static void test_records__plain_and_framed(void **state)
{
	struct buf out = BUF_INIT;
	struct rec r;
	size_t pos = 0;

	(void)state;
	/* framed bytes may hold newlines and what looks like a record */
	buf_adds(&out, "sha1 abc\npath:12\na\nsha1 evil\n\nflag\n");
	assert_int_equal(rec_next(&r, &out, &pos), 1);
	assert_true(rec_is(&r, "sha1"));
	assert_int_equal(r.len, 3);
	assert_memory_equal(r.val, "abc", 3);
	assert_int_equal(rec_next(&r, &out, &pos), 1);
	assert_true(rec_is(&r, "path"));
	assert_int_equal(r.len, 12);
	assert_memory_equal(r.val, "a\nsha1 evil\n", 12);
	assert_int_equal(rec_next(&r, &out, &pos), 1);
	assert_true(rec_is(&r, "flag"));
	assert_int_equal(r.len, 0);
	assert_int_equal(rec_next(&r, &out, &pos), 0);
	buf_release(&out);
}

static void test_records__malformed(void **state)
{
	static const char *const bad[] = {
		"path:5\nab\n",        /* shorter than it says */
		"path:3\nabcd\n",      /* no newline after the bytes */
		"path:x\nabc\n",       /* no length */
		"path:99999999999999999999\n", /* a length that would wrap */
		"no newline",
		" key\n",              /* no key */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf out = BUF_INIT;
		struct rec r;
		size_t pos = 0;

		buf_adds(&out, bad[i]);
		assert_int_equal(rec_next(&r, &out, &pos), -1);
		buf_release(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records__plain_and_framed),
		cmocka_unit_test(test_records__malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
