#include "unit.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/async.h"

/*
 * Async jobs (modkit/async.c): the job directory as a sh word, what the
 * launcher prints as Ansible's poll: 0 result, and what async_status's
 * script prints as Ansible's async_status result, with the outputs of
 * Ansible's own async_wrapper and async_status as the reference.
 */

#define JID "j123456789012.4242"
#define FILE_ "/root/.ansible_async/" JID

static long long int_of(const struct val *r, const char *key)
{
	const struct val *v = val_dict_get(r, key);

	assert_non_null(v);
	assert_true(val_is(v, VAL_INT));
	return v->u.i;
}

static const char *str_of(const struct val *r, const char *key)
{
	const char *s = val_cstr(val_dict_get(r, key));

	assert_non_null(s);
	return s;
}

static struct val *parse(const char *text, size_t len, bool *failed)
{
	struct val *r = NULL;

	assert_ok(async_status_parse(&r, failed, JID, false, text, len));
	assert_non_null(r);
	return r;
}

static void test_async__dir_word(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	async_dir_word(&b, NULL);
	assert_string_equal(b.ptr, "\"$HOME\"'/.ansible_async'");
	buf_reset(&b);
	async_dir_word(&b, "~");
	assert_string_equal(b.ptr, "\"$HOME\"");
	buf_reset(&b);
	/* ~user is no $HOME: quoted as it is */
	async_dir_word(&b, "~bob/j");
	assert_string_equal(b.ptr, "'~bob/j'");
	buf_reset(&b);
	async_dir_word(&b, "/tmp/it's $x");
	assert_string_equal(b.ptr, "'/tmp/it'\\''s $x'");
	buf_reset(&b);
	/* empty: Ansible's join_path("", jid), a relative JID, never /JID */
	async_dir_word(&b, "");
	assert_string_equal(b.ptr, ".");
	buf_release(&b);
}

static void test_async__launch_result(void **state)
{
	static const char out[] = JID "\n" FILE_ "\n";
	struct val *r = NULL;

	(void)state;
	assert_ok(async_launch_result(&r, out, sizeof(out) - 1));
	assert_string_equal(str_of(r, "ansible_job_id"), JID);
	assert_string_equal(str_of(r, "results_file"), FILE_);
	assert_int_equal(int_of(r, "started"), 1);
	assert_int_equal(int_of(r, "finished"), 0);
	/* async_wrapper's "failed": 0 is an int */
	assert_int_equal(int_of(r, "failed"), 0);
	assert_true(val_dict_get(r, "changed")->u.b);
	val_unref(r);
	assert_true(async_launch_result(&r, "", 0) < 0);
	tend_error_clear();
}

static void test_async__status_none(void **state)
{
	static const char out[] = FILE_ "\nnone\n";
	bool failed;
	struct val *r;

	(void)state;
	r = parse(out, sizeof(out) - 1, &failed);
	assert_true(failed);
	assert_string_equal(str_of(r, "msg"), "could not find job");
	assert_int_equal(int_of(r, "started"), 1);
	assert_int_equal(int_of(r, "finished"), 1);
	assert_string_equal(str_of(r, "results_file"), FILE_);
	assert_string_equal(str_of(r, "stdout"), "");
	assert_int_equal(val_len(val_dict_get(r, "stdout_lines")), 0);
	val_unref(r);
	/* mode=cleanup: Ansible's action names the path as erased */
	assert_ok(async_status_parse(&r, &failed, JID, true, out,
				     sizeof(out) - 1));
	assert_true(failed);
	assert_string_equal(str_of(r, "erased"), FILE_);
	assert_null(val_dict_get(r, "results_file"));
	val_unref(r);
}

static void test_async__status_running(void **state)
{
	static const char out[] = FILE_ "\nstatus\n{\"started\": 1, "
		"\"finished\": 0, \"ansible_job_id\": \"" JID "\"}\n";
	bool failed;
	struct val *r;

	(void)state;
	r = parse(out, sizeof(out) - 1, &failed);
	assert_false(failed);
	assert_int_equal(int_of(r, "started"), 1);
	assert_int_equal(int_of(r, "finished"), 0);
	assert_null(val_dict_get(r, "rc"));
	val_unref(r);
	/* a file not written yet: running too */
	r = parse(FILE_ "\nstatus\n\n", sizeof(FILE_) + 8, &failed);
	assert_false(failed);
	assert_int_equal(int_of(r, "finished"), 0);
	val_unref(r);
}

/* a command of tend's that ended: rc 3, output with hostile bytes */
static void test_async__status_tend_job(void **state)
{
	static const char out[] = FILE_ "\nstatus\n"
		"{\"tend_job\": {\"cmd\": \"x\", \"strip\": true}, \"rc\": 3, "
		"\"start\": \"2024-02-28 23:59:59.900000\", "
		"\"end\": \"2024-02-29 00:00:01.000001\"}\n"
		"13\n5\n-n %d {{ \xff\n\n\nbad\r\n";
	const struct val *lines;
	bool failed;
	struct val *r;

	(void)state;
	r = parse(out, sizeof(out) - 1, &failed);
	assert_true(failed);
	assert_int_equal(int_of(r, "rc"), 3);
	assert_int_equal(int_of(r, "finished"), 1);
	assert_string_equal(str_of(r, "cmd"), "x");
	assert_string_equal(str_of(r, "stdout"), "-n %d {{ \xff");
	assert_string_equal(str_of(r, "stderr"), "bad");
	lines = val_dict_get(r, "stdout_lines");
	assert_int_equal(val_len(lines), 1);
	assert_string_equal(val_cstr(val_list_at(lines, 0)), "-n %d {{ \xff");
	assert_string_equal(str_of(r, "delta"), "0:00:01.100001");
	assert_string_equal(str_of(r, "msg"), "non-zero return code");
	assert_true(val_dict_get(r, "changed")->u.b);
	val_unref(r);
}

/* sizes that do not add up: an error, not a wrong result */
static void test_async__status_short_output(void **state)
{
	static const char out[] = FILE_ "\nstatus\n"
		"{\"tend_job\": {\"cmd\": \"x\", \"strip\": false}, \"rc\": 0, "
		"\"start\": \"x\", \"end\": \"y\"}\n9\n0\nabc";
	struct val *r = NULL;
	bool failed;

	/* sizes a job file on the host may claim: one that wraps around
	 * (SIZE_MAX + 4 is 3), no start or end time, a meta of no dict */
	static const char *const hostile[] = {
		FILE_ "\nstatus\n{\"tend_job\": {}, \"rc\": 0, "
		"\"start\": \"x\", \"end\": \"y\"}\n"
		"18446744073709551615\n4\nabc",
		FILE_ "\nstatus\n{\"tend_job\": {}, \"rc\": 0}\n0\n0\n",
		FILE_ "\nstatus\n{\"tend_job\": 7, \"rc\": 0, "
		"\"start\": 1, \"end\": \"y\"}\n0\n0\n",
	};

	(void)state;
	assert_true(async_status_parse(&r, &failed, JID, false, out,
				       sizeof(out) - 1) < 0);
	assert_null(r);
	tend_error_clear();
	for (size_t i = 0; i < ARRAY_SIZE(hostile); i++) {
		assert_true(async_status_parse(&r, &failed, JID, false,
					       hostile[i],
					       strlen(hostile[i])) < 0);
		assert_null(r);
		tend_error_clear();
	}
}

/* async_wrapper's own files, as Ansible's async_status reads them */
static void test_async__status_ansible_files(void **state)
{
	static const char timeout[] = FILE_ "\nstatus\n{\"msg\": \"Timeout "
		"exceeded\", \"failed\": true, \"child_pid\": 77}\n";
	static const char junk[] = FILE_ "\nstatus\n{not json\n";
	bool failed;
	struct val *r;

	(void)state;
	r = parse(timeout, sizeof(timeout) - 1, &failed);
	assert_true(failed);
	assert_int_equal(int_of(r, "finished"), 1);
	assert_int_equal(int_of(r, "child_pid"), 77);
	assert_string_equal(str_of(r, "ansible_job_id"), JID);
	val_unref(r);
	/* not JSON: running, as Ansible 2.14 says (its json.loads raises
	 * before `data` is set) */
	r = parse(junk, sizeof(junk) - 1, &failed);
	assert_false(failed);
	assert_int_equal(int_of(r, "started"), 1);
	assert_int_equal(int_of(r, "finished"), 0);
	assert_null(val_dict_get(r, "msg"));
	val_unref(r);
}

static void test_async__status_erased(void **state)
{
	static const char out[] = FILE_ "\nerased\n";
	bool failed;
	struct val *r;

	(void)state;
	r = parse(out, sizeof(out) - 1, &failed);
	assert_false(failed);
	assert_string_equal(str_of(r, "erased"), FILE_);
	assert_null(val_dict_get(r, "results_file"));
	assert_int_equal(int_of(r, "started"), 0);
	assert_int_equal(int_of(r, "finished"), 0);
	val_unref(r);
}

/* every value of the launcher goes through sh_quote: the meta's text too */
static void test_async__launch_script_quotes(void **state)
{
	struct val *meta = val_dict();
	struct buf b = BUF_INIT;

	(void)state;
	val_dict_set_str(meta, "cmd", "it's");
	async_launch_script(&b, "/tmp/a'b", "echo 'x'\n", 5, meta, false);
	assert_non_null(strstr(b.ptr, "_d='/tmp/a'\\''b'\n"));
	assert_non_null(strstr(b.ptr, "timeout -k 1 5 sh -c "));
	assert_null(strstr(b.ptr, "<\"$f.in\""));
	assert_non_null(strstr(b.ptr, " </dev/null >\"$f.out\""));
	buf_release(&b);
	val_unref(meta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_async__dir_word),
		cmocka_unit_test(test_async__launch_result),
		cmocka_unit_test(test_async__status_none),
		cmocka_unit_test(test_async__status_running),
		cmocka_unit_test(test_async__status_tend_job),
		cmocka_unit_test(test_async__status_short_output),
		cmocka_unit_test(test_async__status_ansible_files),
		cmocka_unit_test(test_async__status_erased),
		cmocka_unit_test(test_async__launch_script_quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
