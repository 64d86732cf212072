#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <sys/wait.h>
#include <unistd.h>

static void test_buf__addf_grows(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_string_equal(b.ptr, "");
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.ptr));
	assert_true(buf_starts_with(&b, "0,1,2,"));
	assert_true(buf_ends_with(&b, "998,999,"));
	buf_release(&b);
	assert_int_equal(b.len, 0);
}

static void test_buf__trim(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "  \t hello world \n\n");
	buf_trim(&b);
	assert_string_equal(b.ptr, "hello world");
	buf_release(&b);
}

/* Run `sh -c 'printf %s <quoted>'` and compare with the original. */
static void roundtrip(const char *s)
{
	struct buf cmd = BUF_INIT, got = BUF_INIT;
	int fds[2];
	pid_t pid;
	char tmp[4096];
	ssize_t n;
	int status;

	buf_adds(&cmd, "printf %s ");
	sh_quote(&cmd, s);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/bin/sh", "sh", "-c", cmd.ptr, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], tmp, sizeof(tmp))) > 0)
		buf_add(&got, tmp, (size_t)n);
	close(fds[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(got.len, strlen(s));
	assert_memory_equal(got.ptr, s, got.len);
	buf_release(&cmd);
	buf_release(&got);
}

static void test_buf__sh_quote_every_byte(void **state)
{
	char s[4];

	(void)state;
	for (int c = 1; c <= 0xff; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'z';
		s[3] = '\0';
		roundtrip(s);
	}
}

static void test_buf__sh_quote_all_bytes_at_once(void **state)
{
	char s[256];

	(void)state;
	for (int c = 1; c <= 0xff; c++)
		s[c - 1] = (char)c;
	s[255] = '\0';
	roundtrip(s);
	roundtrip("");
	roundtrip("'");
	roundtrip("''\\'");
	roundtrip("$(touch /tmp/tend-pwned) `id` ; rm -rf / #");
}

static void test_buf__sh_quote_shape(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	sh_quote(&b, "it's");
	assert_string_equal(b.ptr, "'it'\\''s'");
	buf_reset(&b);
	sh_quote(&b, "");
	assert_string_equal(b.ptr, "''");
	buf_release(&b);
}

/*
 * A new error may quote the last one: "x: %s" with tend_error_last().
 * The message was reset before it was formatted, so the argument read
 * freed or overwritten memory (a stale saved plan printed "cannot be
 * read any more: <garbage>"; found seeding the plan fuzzer).
 */
static void test_buf__error_quotes_last_error(void **state)
{
	(void)state;
	tend_error_set("cannot read 'x': %s", "No such file or directory");
	assert_int_equal(tend_error_set_code(TEND_ESTALE, "the playbook '%s' "
					     "cannot be read any more: %s",
					     "p.yml", tend_error_last()),
			 TEND_ESTALE);
	assert_string_equal(tend_error_last(), "the playbook 'p.yml' cannot "
			    "be read any more: cannot read 'x': No such file "
			    "or directory");
	assert_int_equal(tend_error_code(), TEND_ESTALE);
	tend_error_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf__addf_grows),
		cmocka_unit_test(test_buf__trim),
		cmocka_unit_test(test_buf__sh_quote_every_byte),
		cmocka_unit_test(test_buf__sh_quote_all_bytes_at_once),
		cmocka_unit_test(test_buf__sh_quote_shape),
		cmocka_unit_test(test_buf__error_quotes_last_error),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
