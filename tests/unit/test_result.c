#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/result.h"
#include "tend/data/val.h"

#include "unit.h"

/*
 * A failure's detail: the tail of an output (lines, bytes, UTF-8 and
 * the line that says what was left out), the text the reports show and
 * the JSON the state DB keeps.
 */

static void assert_tail(const char *text, const char *hint, const char *want)
{
	struct buf b = BUF_INIT;

	result_output_tail(&b, text, strlen(text), hint);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_result__tail_short_kept_whole(void **state)
{
	(void)state;
	assert_tail("", NULL, "");
	assert_tail("one", NULL, "one");
	assert_tail("1\n2\n3\n4\n5\n6\n7\n8\n9\n10", NULL,
		    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10");
	/* a final newline is no eleventh line */
	assert_tail("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "-v shows all",
		    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
}

static void test_result__tail_lines(void **state)
{
	(void)state;
	assert_tail("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10", NULL,
		    "[1 line (2 bytes) left out]\n"
		    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10");
	assert_tail("a\nb\nc\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "-v shows all",
		    "[3 lines (6 bytes) left out; -v shows all]\n"
		    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
}

static void test_result__tail_bytes(void **state)
{
	struct buf text = BUF_INIT, want = BUF_INIT, got = BUF_INIT;

	(void)state;
	/* one long line: its last RESULT_TAIL_BYTES bytes */
	for (int i = 0; i < 3000; i++)
		buf_addch(&text, 'a' + i % 26);
	buf_addf(&want, "[1 line (%d bytes) left out]\n",
		 3000 - RESULT_TAIL_BYTES);
	buf_add(&want, text.ptr + 3000 - RESULT_TAIL_BYTES, RESULT_TAIL_BYTES);
	result_output_tail(&got, text.ptr, text.len, NULL);
	assert_string_equal(got.ptr, want.ptr);

	/* never in the middle of a UTF-8 character: é is 2 bytes */
	buf_reset(&text);
	buf_reset(&got);
	for (int i = 0; i < 1500; i++)
		buf_adds(&text, "\xc3\xa9");
	result_output_tail(&got, text.ptr, text.len, NULL);
	assert_string_equal(got.ptr + strlen("[1 line (1000 bytes) left out]\n"),
			    text.ptr + 1000);
	assert_memory_equal(got.ptr, "[1 line (1000 bytes) left out]\n", 31);

	/* a cut inside a character moves on to the next one */
	buf_addch(&text, 'z');
	buf_reset(&got);
	result_output_tail(&got, text.ptr, text.len, NULL);
	assert_string_equal(got.ptr + strlen("[1 line (1002 bytes) left out]\n"),
			    text.ptr + 1002);
	assert_memory_equal(got.ptr, "[1 line (1002 bytes) left out]\n", 31);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
}

static struct val *detail(const char *rc_json, const char *out,
			  const char *err)
{
	struct val *d = val_dict(), *rc = NULL;

	if (rc_json) {
		assert_ok(val_from_json(&rc, rc_json, strlen(rc_json)));
		val_dict_set(d, "rc", rc);
	}
	if (out)
		val_dict_set_str(d, "stdout", out);
	if (err)
		val_dict_set_str(d, "stderr", err);
	return d;
}

static void test_result__detail_text(void **state)
{
	struct val *d = detail("3", "out", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10");
	struct buf b = BUF_INIT;

	(void)state;
	result_detail_text(&b, d, false);
	assert_string_equal(b.ptr, "rc: 3\nstdout: out\nstderr: 0\n1\n2\n3\n4\n"
			    "5\n6\n7\n8\n9\n10");
	buf_reset(&b);
	result_detail_text(&b, d, true);
	assert_string_equal(b.ptr, "rc: 3\nstdout: out\nstderr: [1 line (2 "
			    "bytes) left out; -v shows all]\n1\n2\n3\n4\n5\n"
			    "6\n7\n8\n9\n10");
	val_unref(d);

	/* what a result lacks, or has as null, is not shown */
	d = detail("null", NULL, "err");
	buf_reset(&b);
	result_detail_text(&b, d, true);
	assert_string_equal(b.ptr, "stderr: err");
	val_unref(d);

	/* a secret value is masked, never written */
	d = detail(NULL, "hunter22", NULL);
	val_secret(val_dict_get(d, "stdout"));
	buf_reset(&b);
	result_detail_text(&b, d, false);
	assert_string_equal(b.ptr, "stdout: ********");
	val_unref(d);
	buf_release(&b);
}

static void test_result__detail_json(void **state)
{
	struct val *d = detail("3", "-x %s \\ {{ x }} \xff!", NULL), *back = NULL;
	char *json = result_detail_json(d);

	(void)state;
	/* not UTF-8: U+FFFD, so that any JSON reader reads it back */
	assert_string_equal(json, "{\"rc\": 3, \"stdout\": \"-x %s \\\\ {{ x }} "
			    "\xef\xbf\xbd!\", \"stderr\": null}");
	assert_ok(val_from_json(&back, json, strlen(json)));
	assert_int_equal(val_dict_get(back, "rc")->u.i, 3);
	free(json);
	val_unref(back);
	val_unref(d);

	/* each output is its tail, with no hint: the DB has no -v */
	d = detail(NULL, NULL, "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10");
	json = result_detail_json(d);
	assert_string_equal(json, "{\"rc\": null, \"stdout\": null, \"stderr\": "
			    "\"[1 line (2 bytes) left out]\\n1\\n2\\n3\\n4\\n5"
			    "\\n6\\n7\\n8\\n9\\n10\"}");
	free(json);
	val_unref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result__tail_short_kept_whole),
		cmocka_unit_test(test_result__tail_lines),
		cmocka_unit_test(test_result__tail_bytes),
		cmocka_unit_test(test_result__detail_text),
		cmocka_unit_test(test_result__detail_json),
	};

	return cmocka_run_group_tests_name("result", tests, NULL, NULL);
}
