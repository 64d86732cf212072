#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Expected outputs come from GNU `diff -u` on the same inputs (with the
 * file names in place of its timestamps). The *_same_as_* cases run
 * `git diff --no-index` and `diff -u` here and compare.
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

	assert_ok(diff_unified(&out, a, alen, "a", b, blen, "b"));
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
	assert_ok(diff_unified(&out, "same\n", 5, "a", "same\n", 5, "b"));
	assert_int_equal(out.len, 0);
	assert_ok(diff_unified(&out, "a\0b", 3, "a", "a\0c", 3, "b"));
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
 * Two 100000-line files with nothing in common: all removed, then all
 * added, quickly (xdiff drops lines without a match before it searches).
 */
static void test_diff__huge_input_is_fast(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT;
	size_t minus = 0, plus = 0;
	clock_t t0 = clock();

	(void)state;
	for (int i = 0; i < 100000; i++) {
		buf_addf(&a, "a%d\n", i);
		buf_addf(&b, "b%d\n", i);
	}
	assert_ok(diff_unified(&out, a.ptr, a.len, "a", b.ptr, b.len, "b"));
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

/* Write `len` bytes to path. */
static void put(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * Run `cmd` and keep its output, headers as ours: "--- a", "+++ b", no
 * "diff --git"/"index" lines, nothing after a hunk's closing "@@" (git's
 * function name).
 */
static void tool(struct buf *out, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char line[4096];

	assert_non_null(p);
	buf_reset(out);
	while (fgets(line, sizeof(line), p)) {
		char *end;

		if (!strncmp(line, "diff --git ", 11) ||
		    !strncmp(line, "index ", 6))
			continue;
		if (!strncmp(line, "--- ", 4))
			buf_adds(out, "--- a\n");
		else if (!strncmp(line, "+++ ", 4))
			buf_adds(out, "+++ b\n");
		else if (!strncmp(line, "@@ ", 3) &&
			 (end = strstr(line + 3, " @@")))
			buf_addf(out, "%.*s\n", (int)(end + 3 - line), line);
		else
			buf_adds(out, line);
	}
	/* diff and git diff exit 1 when the files differ */
	assert_true(WEXITSTATUS(pclose(p)) <= 1);
}

struct tools {
	char dir[32];
	char a[64], b[64];
	struct buf cmd_git, cmd_gnu;
};

static void tools_init(struct tools *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/tend-diff.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->a, sizeof(t->a), "%s/a", t->dir);
	snprintf(t->b, sizeof(t->b), "%s/b", t->dir);
	buf_init(&t->cmd_git, 0);
	buf_init(&t->cmd_gnu, 0);
	/* no user or system config: git's defaults (indent heuristic on) */
	buf_addf(&t->cmd_git, "cd %s && GIT_CONFIG_NOSYSTEM=1 "
		 "GIT_CONFIG_GLOBAL=/dev/null git diff --no-index --no-color "
		 "--no-ext-diff -U3 a b", t->dir);
	buf_addf(&t->cmd_gnu, "cd %s && LC_ALL=C diff -u a b", t->dir);
}

static void tools_release(struct tools *t)
{
	unlink(t->a);
	unlink(t->b);
	rmdir(t->dir);
	buf_release(&t->cmd_git);
	buf_release(&t->cmd_gnu);
}

/* Ours for a -> b, and git's and GNU diff's, in the three bufs. */
static void three(struct tools *t, const char *a, const char *b,
		  struct buf *ours, struct buf *git, struct buf *gnu)
{
	put(t->a, a, strlen(a));
	put(t->b, b, strlen(b));
	buf_reset(ours);
	assert_ok(diff_unified(ours, a, strlen(a), "a", b, strlen(b), "b"));
	tool(git, t->cmd_git.ptr);
	tool(gnu, t->cmd_gnu.ptr);
}

static const char *const same_as_both[][2] = {
	{ "a\nb\nc\n", "a\nB\nc\n" },
	{ "", "only\nnew\n" },
	{ "gone\n", "" },
	{ "x\ny\ny\nz\n", "x\ny\nz\n" },
	{ "a\nb", "a\nb\n" },
	{ "a\nb", "a\nc" },
	{ "int f(void)\n{\n\treturn 1;\n}\n\nint g(void)\n{\n\treturn 2;\n}\n",
	  "int f(void)\n{\n\treturn 1;\n}\n\nint h(void)\n{\n\treturn 3;\n}\n"
	  "\nint g(void)\n{\n\treturn 2;\n}\n" },
	{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
	  "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\nfourteen\n15\n16\n" },
	{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
	  "1\n2\nthree\n4\n5\n6\n7\nEIGHT\n9\n" },
};

/* The hunks of `git diff` and of GNU `diff -u`, byte for byte. */
static void test_diff__same_as_git_and_gnu_diff(void **state)
{
	struct buf ours = BUF_INIT, git = BUF_INIT, gnu = BUF_INIT;
	struct tools t;

	(void)state;
	tools_init(&t);
	for (size_t i = 0; i < ARRAY_SIZE(same_as_both); i++) {
		three(&t, same_as_both[i][0], same_as_both[i][1], &ours, &git,
		      &gnu);
		assert_string_equal(ours.ptr, git.ptr);
		assert_string_equal(ours.ptr, gnu.ptr);
	}
	/*
	 * Where a change could go in more than one place, git's indent
	 * heuristic picks the spot after a blank line and GNU diff the
	 * last one: both are right, and ours is git's.
	 */
	three(&t, "f\n\nf\nf\nx\n", "f\n\nf\nx\n", &ours, &git, &gnu);
	assert_string_equal(ours.ptr, git.ptr);
	assert_string_equal(ours.ptr, "--- a\n+++ b\n@@ -1,5 +1,4 @@\n f\n"
			    " \n-f\n f\n x\n");
	assert_string_equal(gnu.ptr, "--- a\n+++ b\n@@ -1,5 +1,4 @@\n f\n"
			    " \n f\n-f\n x\n");
	tools_release(&t);
	buf_release(&ours);
	buf_release(&git);
	buf_release(&gnu);
}

/* Random small edits of files of few distinct lines, against git. */
static void test_diff__same_as_git_diff_random(void **state)
{
	static const char *const syms[] = { "", "}", "{", "\tfoo();",
					    "int f(void)", "x", "y" };
	struct buf a = BUF_INIT, b = BUF_INIT, ours = BUF_INIT;
	struct buf git = BUF_INIT, gnu = BUF_INIT;
	unsigned long seed = 12345;
	struct tools t;

	(void)state;
	tools_init(&t);
#define RND(n) ((seed = seed * 6364136223846793005ul + 1442695040888963407ul), \
		(int)((seed >> 33) % (unsigned long)(n)))
	for (int round = 0; round < 60; round++) {
		int na = RND(20);
		int lines[20];

		buf_reset(&a);
		buf_reset(&b);
		for (int i = 0; i < na; i++) {
			lines[i] = RND(ARRAY_SIZE(syms));
			buf_addf(&a, "%s\n", syms[lines[i]]);
		}
		for (int i = 0; i <= na; i++) {
			/* keep, drop, or insert before, at random */
			int r = RND(10);

			if (r == 0)
				buf_addf(&b, "%s\n",
					 syms[RND(ARRAY_SIZE(syms))]);
			if (i < na && r != 1)
				buf_addf(&b, "%s\n", syms[lines[i]]);
		}
		if (!strcmp(a.ptr, b.ptr))
			continue;
		three(&t, a.ptr, b.ptr, &ours, &git, &gnu);
		if (strcmp(ours.ptr, git.ptr))
			fail_msg("round %d: ours\n%sgit\n%s", round, ours.ptr,
				 git.ptr);
	}
#undef RND
	tools_release(&t);
	buf_release(&a);
	buf_release(&b);
	buf_release(&ours);
	buf_release(&git);
	buf_release(&gnu);
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
		cmocka_unit_test(test_diff__huge_input_is_fast),
		cmocka_unit_test(test_diff__same_as_git_and_gnu_diff),
		cmocka_unit_test(test_diff__same_as_git_diff_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
