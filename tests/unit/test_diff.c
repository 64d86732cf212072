#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"

#include <time.h>

/*
 * Expected outputs come from GNU `diff -u` on the same inputs (with the
 * file names in place of its timestamps).
 */

/* "1\n2\n...n\n", with line `at` replaced by `with` (NULL: deleted). */
static void seq(struct buf *b, int n, const int *at, const char *const *with,
		size_t nr)
{
	for (int i = 1; i <= n; i++) {
		size_t k;

		for (k = 0; k < nr && at[k] != i; k++)
			;
		if (k == nr)
			buf_addf(b, "%d\n", i);
		else if (with[k])
			buf_addf(b, "%s\n", with[k]);
	}
}

static void check(const char *a, size_t alen, const char *b, size_t blen,
		  const char *want)
{
	struct buf out = BUF_INIT;

	diff_unified(&out, a, alen, "a", b, blen, "b");
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

static void test_diff__one_change_in_the_middle(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	const int at[] = { 10 };
	const char *const with[] = { "ten" };

	(void)state;
	seq(&a, 20, NULL, NULL, 0);
	seq(&b, 20, at, with, 1);
	check(a.ptr, a.len, b.ptr, b.len,
	      "--- a\n+++ b\n@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n"
	      " 12\n 13\n");
	buf_release(&a);
	buf_release(&b);
}

static void test_diff__two_hunks(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	const int at[] = { 3, 25, 27 };
	const char *const with[] = { "three", "x", NULL };

	(void)state;
	seq(&a, 30, NULL, NULL, 0);
	seq(&b, 30, at, with, 3);
	check(a.ptr, a.len, b.ptr, b.len,
	      "--- a\n+++ b\n"
	      "@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
	      "@@ -22,9 +22,8 @@\n 22\n 23\n 24\n-25\n+x\n 26\n-27\n 28\n"
	      " 29\n 30\n");
	buf_release(&a);
	buf_release(&b);
}

static void test_diff__close_changes_merge(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	const int at[] = { 5, 12 };
	const char *const with[] = { "five", "twelve" };

	(void)state;
	seq(&a, 20, NULL, NULL, 0);
	seq(&b, 20, at, with, 2);
	check(a.ptr, a.len, b.ptr, b.len,
	      "--- a\n+++ b\n@@ -2,14 +2,14 @@\n 2\n 3\n 4\n-5\n+five\n 6\n"
	      " 7\n 8\n 9\n 10\n 11\n-12\n+twelve\n 13\n 14\n 15\n");
	buf_release(&a);
	buf_release(&b);
}

static void test_diff__from_empty(void **state)
{
	(void)state;
	check("", 0, "a\nb\n", 4, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n");
	check("x\ny\nz\n", 6, "y\n", 2,
	      "--- a\n+++ b\n@@ -1,3 +1 @@\n-x\n y\n-z\n");
}

static void test_diff__no_newline_at_end(void **state)
{
	(void)state;
	check("a\nb", 3, "a\nc", 3,
	      "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n"
	      "\\ No newline at end of file\n+c\n"
	      "\\ No newline at end of file\n");
	check("a\nb\n", 4, "a\nb", 3,
	      "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n"
	      "\\ No newline at end of file\n");
}

static void test_diff__equal_and_binary(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	diff_unified(&out, "same\n", 5, "a", "same\n", 5, "b");
	assert_int_equal(out.len, 0);
	diff_unified(&out, "a\0b", 3, "a", "a\0c", 3, "b");
	assert_string_equal(out.ptr, "Binary files differ\n");
	buf_release(&out);
}

/* A minimal diff where lines move around: LCS, not just prefix/suffix. */
static void test_diff__minimal(void **state)
{
	(void)state;
	check("a\nb\nc\nd\ne\nf\n", 12, "a\nc\nd\nb\ne\nf\n", 12,
	      "--- a\n+++ b\n@@ -1,6 +1,6 @@\n a\n-b\n c\n d\n+b\n e\n f\n");
}

/*
 * Two 100000-line files with nothing in common: the edit distance is
 * beyond the cap, so the middle is shown removed then added, quickly.
 */
static void test_diff__huge_input_is_capped(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT;
	size_t minus = 0, plus = 0;
	clock_t t0 = clock();

	(void)state;
	for (int i = 0; i < 100000; i++) {
		buf_addf(&a, "a%d\n", i);
		buf_addf(&b, "b%d\n", i);
	}
	diff_unified(&out, a.ptr, a.len, "a", b.ptr, b.len, "b");
	for (size_t i = 0; i < out.len; i++) {
		if (i && out.ptr[i - 1] != '\n')
			continue;
		minus += out.ptr[i] == '-';
		plus += out.ptr[i] == '+';
	}
	assert_int_equal(minus, 100001);
	assert_int_equal(plus, 100001);
	assert_true(buf_starts_with(&out, "--- a\n+++ b\n@@ -1,100000 "
				    "+1,100000 @@\n-a0\n"));
	assert_true((clock() - t0) / CLOCKS_PER_SEC < 10);
	buf_release(&a);
	buf_release(&b);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff__one_change_in_the_middle),
		cmocka_unit_test(test_diff__two_hunks),
		cmocka_unit_test(test_diff__close_changes_merge),
		cmocka_unit_test(test_diff__from_empty),
		cmocka_unit_test(test_diff__no_newline_at_end),
		cmocka_unit_test(test_diff__equal_and_binary),
		cmocka_unit_test(test_diff__minimal),
		cmocka_unit_test(test_diff__huge_input_is_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
