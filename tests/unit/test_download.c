#include "unit.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/data/val.h"

/*
 * The config a host's curl reads for get_url: the request's own headers
 * are Ansible's (Python's urllib sends no Accept and Accept-Encoding:
 * identity; with force, Cache-Control: no-cache), unless the task's
 * headers name them.
 */
static void config_of(struct buf *out, struct val *headers, char tool,
		      bool force)
{
	struct val *args = val_dict();
	struct task_ctx ctx = { .args = args, .host = "localhost" };

	val_dict_set_str(args, "url", "http://127.0.0.1/a \"b\".txt");
	if (headers)
		val_dict_set(args, "headers", headers);
	if (force)
		val_dict_set(args, "force", val_bool(true));
	assert_ok(download_config(out, &ctx, tool));
	val_unref(args);
}

static void test_download__curl_default_headers(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	config_of(&b, NULL, 'c', false);
	assert_string_equal(b.ptr,
			    "url = \"http://127.0.0.1/a \\\"b\\\".txt\"\n"
			    "user-agent = \"ansible-httpget\"\n"
			    "anyauth\n"
			    "header = \"Accept:\"\n"
			    "header = \"Accept-Encoding: identity\"\n");
	buf_release(&b);
}

static void test_download__curl_task_headers_win(void **state)
{
	struct val *h = val_dict();
	struct buf b = BUF_INIT;

	(void)state;
	val_dict_set_str(h, "ACCEPT", "*/*");
	val_dict_set_str(h, "Accept-Encoding", "gzip");
	val_dict_set_str(h, "Accept-Language", "fr");
	config_of(&b, h, 'c', false);
	assert_non_null(strstr(b.ptr, "header = \"ACCEPT: */*\"\n"));
	assert_non_null(strstr(b.ptr, "header = \"Accept-Encoding: gzip\"\n"));
	assert_non_null(strstr(b.ptr, "header = \"Accept-Language: fr\"\n"));
	assert_null(strstr(b.ptr, "\"Accept:\""));
	assert_null(strstr(b.ptr, "identity"));
	buf_release(&b);
}

static void test_download__wget_unchanged(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	config_of(&b, NULL, 'w', false);
	assert_string_equal(b.ptr, "user_agent = ansible-httpget\n");
	buf_release(&b);
}

/* force: as Ansible's open_url(force=True), unless a header says */
static void test_download__force_no_cache(void **state)
{
	struct val *h = val_dict();
	struct buf b = BUF_INIT;

	(void)state;
	config_of(&b, NULL, 'c', true);
	assert_non_null(strstr(b.ptr, "header = \"Cache-Control: no-cache\"\n"));
	buf_reset(&b);
	config_of(&b, NULL, 'w', true);
	assert_string_equal(b.ptr, "user_agent = ansible-httpget\n"
			    "header = Cache-Control: no-cache\n");
	buf_reset(&b);
	val_dict_set_str(h, "cache-control", "max-age=0");
	config_of(&b, h, 'c', true);
	assert_null(strstr(b.ptr, "no-cache"));
	assert_non_null(strstr(b.ptr, "header = \"cache-control: max-age=0\"\n"));
	buf_release(&b);
}

/* credentials: when the server asks, unless force_basic_auth */
static void test_download__auth(void **state)
{
	struct val *args = val_dict();
	struct task_ctx ctx = { .args = args, .host = "localhost" };
	struct buf b = BUF_INIT;

	(void)state;
	val_dict_set_str(args, "url", "http://127.0.0.1/a");
	val_dict_set_str(args, "url_username", "u");
	val_dict_set_str(args, "url_password", "p \"w\"");
	assert_ok(download_config(&b, &ctx, 'c'));
	assert_non_null(strstr(b.ptr, "anyauth\nuser = \"u:p \\\"w\\\"\"\n"));
	buf_reset(&b);
	assert_ok(download_config(&b, &ctx, 'w'));
	assert_null(strstr(b.ptr, "auth_no_challenge"));
	buf_reset(&b);
	val_dict_set(args, "force_basic_auth", val_bool(true));
	assert_ok(download_config(&b, &ctx, 'c'));
	assert_null(strstr(b.ptr, "anyauth"));
	buf_reset(&b);
	assert_ok(download_config(&b, &ctx, 'w'));
	assert_non_null(strstr(b.ptr, "http_user = u\nhttp_password = p \"w\"\n"
				   "auth_no_challenge = on\n"));
	buf_release_secret(&b);
	val_unref(args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_download__curl_default_headers),
		cmocka_unit_test(test_download__curl_task_headers_win),
		cmocka_unit_test(test_download__wget_unchanged),
		cmocka_unit_test(test_download__force_no_cache),
		cmocka_unit_test(test_download__auth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
