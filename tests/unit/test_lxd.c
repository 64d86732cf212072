#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/isotime.h"
#include "tend/net/lxd.h"

static void test_lxd__isotime(void **state)
{
	struct buf b = BUF_INIT;
	long long t = 0;

	(void)state;
	assert_ok(isotime_parse(&t, "2026-11-20T10:00Z"));
	assert_true(t == 1795168800LL);
	assert_ok(isotime_parse(&t, "2026-11-20T10:00:00Z"));
	assert_true(t == 1795168800LL);
	assert_ok(isotime_parse(&t, "2026-11-20 10:00"));
	assert_true(t == 1795168800LL);
	assert_ok(isotime_parse(&t, "2026-11-20"));
	assert_true(t == 1795132800LL);
	assert_ok(isotime_parse(&t, "1795168800"));
	assert_true(t == 1795168800LL);
	isotime_format(&b, 1795168800LL, false);
	assert_string_equal(b.ptr, "2026-11-20T10:00Z");
	buf_reset(&b);
	isotime_format(&b, 1795168830LL, true);
	assert_string_equal(b.ptr, "2026-11-20T10:00:30Z");
	buf_release(&b);
	assert_true(isotime_parse(&t, "next tuesday") < 0);
	assert_true(isotime_parse(&t, "2026-13-01") < 0);
	assert_true(isotime_parse(&t, "2026-11-20T25:00Z") < 0);
	assert_true(isotime_parse(&t, "2026-11-20Tx") < 0);
	assert_true(isotime_parse(&t, "") < 0);
	tend_error_clear();
}

static void test_lxd__open(void **state)
{
	struct lxd_opts o = { 0 };
	struct lxd *l = NULL;
	struct buf b = BUF_INIT;

	(void)state;
	o.url = "unix:/run/lxd.socket";
	assert_ok(lxd_open(&l, &o));
	assert_string_equal(lxd_where(l), "unix:/run/lxd.socket");
	assert_string_equal(lxd_project(l), "default");
	lxd_free(l);

	o.url = "http://127.0.0.1:8443";
	assert_true(lxd_open(&l, &o) < 0);
	assert_non_null(strstr(tend_error_last(), "expected unix:"));
	o.url = "unix:relative.sock";
	assert_true(lxd_open(&l, &o) < 0);
	/* https needs a client certificate; the key path is never shown */
	o.url = "https://127.0.0.1:8443";
	o.client_key = "/secret/path/client.key";
	assert_true(lxd_open(&l, &o) < 0);
	assert_non_null(strstr(tend_error_last(), "client_cert"));
	assert_null(strstr(tend_error_last(), "/secret/path"));
	o.client_cert = "/c.crt";
	o.project = "web";
	assert_ok(lxd_open(&l, &o));
	assert_string_equal(lxd_project(l), "web");
	lxd_free(l);
	tend_error_clear();

	lxd_instance_path(&b, "web 01/x", "/state");
	assert_string_equal(b.ptr, "/1.0/instances/web%2001%2Fx/state");
	buf_release(&b);
}

/* Nothing listens: TEND_EUNREACHABLE, with the endpoint in the message. */
static void test_lxd__unreachable(void **state)
{
	struct lxd_opts o = { 0 };
	struct lxd *l = NULL;

	(void)state;
	o.url = "unix:/nonexistent/tend-test/unix.socket";
	o.timeout_s = 2;
	assert_ok(lxd_open(&l, &o));
	assert_int_equal(lxd_call(NULL, l, "GET", "/1.0", NULL),
			 TEND_EUNREACHABLE);
	assert_non_null(strstr(tend_error_last(), "cannot reach LXD at "
			       "'unix:/nonexistent/tend-test/unix.socket'"));
	lxd_free(l);
	tend_error_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd__isotime),
		cmocka_unit_test(test_lxd__open),
		cmocka_unit_test(test_lxd__unreachable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
