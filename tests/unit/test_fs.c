#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * fs_open_beneath and fs_read_beneath, through openat2 and through the
 * realpath fallback: the same answers from both.
 */

static char top[] = "/tmp/tend-fs-XXXXXX";
static struct buf root = BUF_INIT;

static void put(const char *rel, const char *text)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/%s", top, rel);
	assert_ok(buf_write_file_atomic(p.ptr, text, strlen(text), 0644));
	buf_release(&p);
}

static void link_at(const char *target, const char *rel)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s/%s", top, rel);
	assert_int_equal(symlink(target, p.ptr), 0);
	buf_release(&p);
}

static int setup(void **state)
{
	struct buf p = BUF_INIT;

	(void)state;
	if (!mkdtemp(top))
		return -1;
	buf_addf(&p, "%s/root", top);
	mkdir(p.ptr, 0755);
	buf_addf(&p, "/sub");
	mkdir(p.ptr, 0755);
	buf_release(&p);
	put("secret", "outside\n");
	put("root/sub/in.txt", "inside\n");
	link_at("sub/in.txt", "root/rel-link");
	link_at("../secret", "root/out-link");
	link_at("/etc/passwd", "root/abs-link");
	link_at("..", "root/sub/up");
	buf_addf(&root, "%s/root", top);
	return 0;
}

static int teardown(void **state)
{
	struct buf cmd = BUF_INIT;

	(void)state;
	buf_addf(&cmd, "rm -rf '%s'", top);
	if (system(cmd.ptr) != 0)
		return -1;
	buf_release(&cmd);
	buf_release(&root);
	return 0;
}

/* Read root/<rel> beneath root: its content, or the error code. */
static int read_rel(struct buf *out, const char *rel)
{
	struct buf p = BUF_INIT;
	int error;

	buf_reset(out);
	if (rel[0] == '/')
		buf_adds(&p, rel);
	else
		buf_addf(&p, "%s/%s", root.ptr, rel);
	error = fs_read_beneath(out, root.ptr, p.ptr);
	buf_release(&p);
	return error;
}

static void check_all(void)
{
	struct buf b = BUF_INIT;

	assert_ok(read_rel(&b, "sub/in.txt"));
	assert_string_equal(b.ptr, "inside\n");
	assert_ok(read_rel(&b, "rel-link"));
	assert_string_equal(b.ptr, "inside\n");
	assert_ok(read_rel(&b, "sub/../sub/in.txt"));
	assert_ok(read_rel(&b, "sub/up/sub/in.txt"));
	assert_int_equal(read_rel(&b, "../secret"), TEND_EREFUSED);
	assert_non_null(strstr(tend_error_last(), "refusing to read '../secret'"));
	assert_int_equal(read_rel(&b, "sub/../../secret"), TEND_EREFUSED);
	assert_int_equal(read_rel(&b, "out-link"), TEND_EREFUSED);
	assert_int_equal(read_rel(&b, "abs-link"), TEND_EREFUSED);
	assert_int_equal(read_rel(&b, "sub/up/../secret"), TEND_EREFUSED);
	assert_int_equal(read_rel(&b, "/etc/passwd"), TEND_EREFUSED);
	assert_non_null(strstr(tend_error_last(), "'/etc/passwd'"));
	assert_int_equal(read_rel(&b, "nosuch"), TEND_ENOTFOUND);
	assert_string_equal(b.ptr, "");
	/* a sibling whose name starts with root's is not beneath it */
	buf_reset(&b);
	buf_addf(&b, "%s-other/x", root.ptr);
	assert_false(fs_path_is_below(root.ptr, b.ptr));
	assert_true(fs_path_is_below(root.ptr, root.ptr));
	assert_int_equal(fs_exists_beneath(root.ptr, b.ptr), TEND_EREFUSED);
	buf_release(&b);
	tend_error_clear();
}

static void test_fs__beneath_openat2(void **state)
{
	(void)state;
	fs_beneath_force_fallback(false);
	check_all();
}

static void test_fs__beneath_fallback(void **state)
{
	(void)state;
	fs_beneath_force_fallback(true);
	check_all();
	fs_beneath_force_fallback(false);
}

static void test_fs__no_root_reads_anywhere(void **state)
{
	struct buf b = BUF_INIT, p = BUF_INIT;

	(void)state;
	buf_addf(&p, "%s/out-link", root.ptr);
	assert_ok(fs_read_beneath(&b, NULL, p.ptr));
	assert_string_equal(b.ptr, "outside\n");
	assert_int_equal(fs_exists_beneath(NULL, p.ptr), 1);
	buf_release(&b);
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs__beneath_openat2),
		cmocka_unit_test(test_fs__beneath_fallback),
		cmocka_unit_test(test_fs__no_root_reads_anywhere),
	};

	return cmocka_run_group_tests_name("fs", tests, setup, teardown);
}
