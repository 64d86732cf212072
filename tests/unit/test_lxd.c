#include "unit.h"
#include "tend/util/buf.h"
#include "tend/util/isotime.h"
#include "tend/net/lxd.h"
#include "tend/net/lxd_diff.h"

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

static struct val *json(const char *text)
{
	struct val *v = NULL;

	assert_ok(val_from_json(&v, text, strlen(text)));
	return v;
}

/* Plain text as it is; the rest quoted and escaped, a secret hidden. */
static void test_lxd__show(void **state)
{
	struct buf b = BUF_INIT;
	struct val *secret = val_secret(val_str("hunter2"));

	(void)state;
	lxd_show_text(&b, "/srv/data-1.0");
	buf_addch(&b, ' ');
	lxd_show_text(&b, "{{ x }} 100% a\\b\nc");
	buf_addch(&b, ' ');
	lxd_show_text(&b, "");
	buf_addch(&b, ' ');
	lxd_show_value(&b, secret);
	assert_string_equal(b.ptr, "/srv/data-1.0 \"{{ x }} 100% a\\\\b\\nc\" "
			    "\"\" ********");
	val_unref(secret);
	buf_release(&b);
}

/* Devices and profiles key by key: added, changed, removed. */
static void test_lxd__shape_diff(void **state)
{
	struct val *in = json("{\"name\": \"web\", \"type\": \"container\", "
			      "\"profiles\": [\"default\"], \"devices\": {"
			      "\"eth0\": {\"type\": \"nic\", \"nictype\": "
			      "\"bridged\", \"parent\": \"br0\"}, "
			      "\"old\": {\"type\": \"disk\", \"path\": \"/o\", "
			      "\"source\": \"/x\"}}}");
	struct val *prof = json("[\"default\", \"web\"]");
	struct val *dev = json("{\"eth0\": {\"type\": \"nic\", \"nictype\": "
			       "\"macvlan\", \"parent\": \"br0\"}, "
			       "\"data\": {\"type\": \"disk\", \"path\": "
			       "\"/srv\", \"source\": \"/x\"}}");
	struct val *put = val_dict();
	struct buf b = BUF_INIT;
	bool restart = false;

	(void)state;
	lxd_shape_diff(&b, put, &restart, prof, dev, in);
	assert_string_equal(b.ptr, "profiles [default] -> [default, web], "
			    "devices.data (none) -> {path=/srv, source=/x, "
			    "type=disk}, devices.eth0.nictype bridged -> "
			    "macvlan, devices.old {path=/o, source=/x, "
			    "type=disk} -> (none)");
	assert_false(restart);
	assert_true(val_dict_get(put, "devices") == dev);
	assert_true(val_dict_get(put, "profiles") == prof);
	/* the same again: nothing shown, nothing to put */
	val_unref(put);
	put = val_dict();
	buf_reset(&b);
	val_dict_set(in, "devices", val_ref(dev));
	val_dict_set(in, "profiles", val_ref(prof));
	lxd_shape_diff(&b, put, &restart, prof, dev, in);
	assert_int_equal(b.len, 0);
	assert_int_equal(val_len(put), 0);
	/* a VM: a restart */
	val_dict_set_str(in, "type", "virtual-machine");
	val_dict_set(in, "devices", val_dict());
	lxd_shape_diff(&b, put, &restart, NULL, dev, in);
	assert_true(restart);
	val_unref(put);
	val_unref(in);
	val_unref(prof);
	val_unref(dev);
	buf_release(&b);
}

/* The same instance read twice, keys in another order: the same text. */
static void test_lxd__canonical(void **state)
{
	struct val *a = json("{\"name\": \"w\", \"status\": \"Running\", "
			     "\"last_used_at\": \"1\", \"config\": {\"b\": "
			     "\"2\", \"a\": \"1\", \"volatile.idmap\": \"x\"}, "
			     "\"devices\": {}, \"profiles\": [\"default\"]}");
	struct val *b = json("{\"profiles\": [\"default\"], \"devices\": {}, "
			     "\"config\": {\"volatile.idmap\": \"y\", \"a\": "
			     "\"1\", \"b\": \"2\"}, \"status\": \"Running\", "
			     "\"last_used_at\": \"2\", \"name\": \"w\"}");
	struct buf x = BUF_INIT, y = BUF_INIT;

	(void)state;
	lxd_instance_canonical(&x, a);
	lxd_instance_canonical(&y, b);
	assert_string_equal(x.ptr, y.ptr);
	assert_null(strstr(x.ptr, "volatile"));
	/* stopped: another text */
	buf_reset(&y);
	val_dict_set_str(b, "status", "Stopped");
	lxd_instance_canonical(&y, b);
	assert_string_not_equal(x.ptr, y.ptr);
	buf_reset(&y);
	lxd_instance_canonical(&y, NULL);
	assert_string_equal(y.ptr, "null");
	val_unref(a);
	val_unref(b);
	buf_release(&x);
	buf_release(&y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lxd__isotime),
		cmocka_unit_test(test_lxd__open),
		cmocka_unit_test(test_lxd__unreachable),
		cmocka_unit_test(test_lxd__show),
		cmocka_unit_test(test_lxd__shape_diff),
		cmocka_unit_test(test_lxd__canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
