#include "unit.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/uri.h"
#include "tend/net/http_rules.h"

/*
 * uri's logic of its own, against what Ansible 2.14's uri.py, urls.py
 * and Python 3.11 give (the expected strings were made by them): the
 * body as json.dumps and urlencode write it, the redirect rules, the
 * credential headers, the cookie jar's order, absolute_location's
 * quirks, the host's header dumps, and the result of an answer.
 */

static struct val *yaml(const char *text)
{
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;

	assert_ok(yaml_load_string(&v, text, strlen(text), "test.yml", &d));
	diags_release(&d);
	return v;
}

static void body_of(struct buf *out, bool *has, const char *text,
		    const char *format)
{
	struct val *doc = text ? yaml(text) : NULL;

	assert_ok(uri_encode_body(out, has, doc ? val_dict_get(doc, "b") :
				  NULL, format));
	val_unref(doc);
}

static void test_uri__json_body_as_python_dumps_it(void **state)
{
	struct buf b = BUF_INIT;
	bool has;

	(void)state;
	body_of(&b, &has, "b: {n: web, u: \"été ✓ 𝄞\", l: [1, 2.5, true, null],"
		" d: {k: v}, q: '\"\\'}\n", "json");
	assert_true(has);
	assert_string_equal(b.ptr, "{\"n\": \"web\", \"u\": \"\\u00e9t\\u00e9 "
			    "\\u2713 \\ud834\\udd1e\", \"l\": [1, 2.5, true, "
			    "null], \"d\": {\"k\": \"v\"}, \"q\": \"\\\"\\\\\"}");
	buf_reset(&b);
	/* a string is sent as it is; no body at all is "null" */
	body_of(&b, &has, "b: '{\"as\": \"text\"}'\n", "json");
	assert_string_equal(b.ptr, "{\"as\": \"text\"}");
	buf_reset(&b);
	body_of(&b, &has, NULL, "json");
	assert_true(has);
	assert_string_equal(b.ptr, "null");
	buf_release(&b);
}

static void test_uri__form_body_as_urlencode_writes_it(void **state)
{
	struct buf b = BUF_INIT;
	bool has;

	(void)state;
	body_of(&b, &has, "b: {user: 'a b&c=d', pct: 100%, multi: [x, y], "
		"none: null, flag: true, uni: é, t: '~_.-*'}\n",
		"form-urlencoded");
	assert_string_equal(b.ptr, "user=a+b%26c%3Dd&pct=100%25&multi=x&"
			    "multi=y&flag=True&uni=%C3%A9&t=~_.-%2A");
	buf_reset(&b);
	body_of(&b, &has, "b: [[a, 1], [b, two words]]\n", "form-urlencoded");
	assert_string_equal(b.ptr, "a=1&b=two+words");
	buf_reset(&b);
	body_of(&b, &has, NULL, "form-urlencoded");
	assert_false(has);
	buf_release(&b);
}

static void test_uri__form_body_refuses_a_list_of_non_pairs(void **state)
{
	struct val *doc = yaml("b: [a, b]\n");
	struct buf b = BUF_INIT;
	bool has;

	(void)state;
	assert_true(uri_encode_body(&b, &has, val_dict_get(doc, "b"),
				    "form-urlencoded") < 0);
	assert_non_null(strstr(tend_error_last(), "form_urlencoded"));
	tend_error_clear();
	buf_release(&b);
	val_unref(doc);
}

static void test_uri__redirects_as_urllib_follows_them(void **state)
{
	const char *m;
	bool keep;

	(void)state;
	assert_true(http_follow_next(HTTP_FOLLOW_SAFE, 302, "GET", &m, &keep));
	assert_string_equal(m, "GET");
	assert_false(keep);
	assert_false(http_follow_next(HTTP_FOLLOW_SAFE, 302, "POST", &m, &keep));
	assert_false(http_follow_next(HTTP_FOLLOW_NONE, 302, "GET", &m, &keep));
	assert_false(http_follow_next(HTTP_FOLLOW_ALL, 304, "GET", &m, &keep));
	assert_false(http_follow_next(HTTP_FOLLOW_ALL, 300, "GET", &m, &keep));
	/* all: 302/303 become GETs (HEAD stays), 301 only for POST */
	assert_true(http_follow_next(HTTP_FOLLOW_ALL, 302, "PUT", &m, &keep));
	assert_string_equal(m, "GET");
	assert_true(http_follow_next(HTTP_FOLLOW_ALL, 303, "HEAD", &m, &keep));
	assert_string_equal(m, "HEAD");
	assert_true(http_follow_next(HTTP_FOLLOW_ALL, 301, "PUT", &m, &keep));
	assert_string_equal(m, "PUT");
	assert_false(keep);
	assert_true(http_follow_next(HTTP_FOLLOW_ALL, 301, "POST", &m, &keep));
	assert_string_equal(m, "GET");
	/* 307 and 308 keep the method and the body */
	assert_true(http_follow_next(HTTP_FOLLOW_ALL, 307, "POST", &m, &keep));
	assert_string_equal(m, "POST");
	assert_true(keep);
	/* urllib2: GET/HEAD, POST on 301-303, always a GET without body */
	assert_true(http_follow_next(HTTP_FOLLOW_URLLIB, 303, "POST", &m,
				     &keep));
	assert_string_equal(m, "GET");
	assert_false(http_follow_next(HTTP_FOLLOW_URLLIB, 307, "POST", &m,
				      &keep));
	assert_false(http_follow_next(HTTP_FOLLOW_URLLIB, 302, "PUT", &m,
				      &keep));
	assert_true(http_follow_next(HTTP_FOLLOW_URLLIB, 307, "HEAD", &m,
				     &keep));
	assert_string_equal(m, "GET");
}

static bool secret(const char *name)
{
	return http_header_is_secret(name, strlen(name));
}

static void test_uri__credential_headers(void **state)
{
	(void)state;
	assert_true(secret("Authorization"));
	assert_true(secret("proxy-authorization"));
	assert_true(secret("Cookie"));
	assert_true(secret("SET-COOKIE"));
	assert_true(secret("X-Auth-Token"));
	assert_true(secret("X-Vault-Token"));
	assert_true(secret("x-api-key"));
	assert_true(secret("Private-Token"));
	assert_true(secret("X-Echo-Auth-Token"));
	assert_false(secret("Content-Type"));
	assert_false(secret("Keep-Alive"));
	assert_false(secret("WWW-Authenticate"));
	assert_false(secret("X-Tokenizer"));
	assert_false(secret("User-Agent"));
}

static void test_uri__secret_headers_in_a_dict(void **state)
{
	struct val *h = yaml("Authorization: Bearer x\nAccept: '*/*'\n");
	struct val *s;

	(void)state;
	s = http_headers_secret(val_ref(h));
	assert_true(s != h);
	assert_true(val_dict_get(s, "Authorization")->flags & VAL_F_SECRET);
	assert_false(val_dict_get(s, "Accept")->flags & VAL_F_SECRET);
	/* the caller's dict is not touched */
	assert_false(val_dict_get(h, "Authorization")->flags & VAL_F_SECRET);
	val_unref(s);
	val_unref(h);
}

static void test_uri__cookie_jar_in_python_order(void **state)
{
	static const char jar[] =
		"# Netscape HTTP Cookie File\n"
		"# junk\n"
		"\n"
		"127.0.0.1\tFALSE\t/\tFALSE\t0\ttheme\tdark\n"
		"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc\r\n"
		"127.0.0.1\tFALSE\t/a\tFALSE\t0\tpath\tdeep\n"
		".example.com\tTRUE\t/\tFALSE\t0\tdom\tain\n"
		"not a cookie line\n";
	struct val *c = http_cookies(jar, sizeof(jar) - 1);
	struct buf b = BUF_INIT;

	(void)state;
	val_to_json(&b, c, 0);
	assert_string_equal(b.ptr, "[[\"dom\", \"ain\"], [\"session\", \"abc\"], "
			    "[\"theme\", \"dark\"], [\"path\", \"deep\"]]");
	buf_release(&b);
	val_unref(c);
	c = http_cookies("", 0);
	assert_int_equal(val_len(c), 0);
	val_unref(c);
}

static void test_uri__urls_without_their_password(void **state)
{
	struct buf b = BUF_INIT;
	char *user, *pw;

	(void)state;
	http_url_display(&b, "http://u:p@ss@h:1/x?q=1");
	assert_string_equal(b.ptr, "http://u@h:1/x?q=1");
	buf_reset(&b);
	http_url_display(&b, "http://h/a@b");
	assert_string_equal(b.ptr, "http://h/a@b");
	buf_reset(&b);
	http_url_display(&b, "http://h/b?token=t0k&page=2&api_key=k&x#f=1");
	assert_string_equal(b.ptr, "http://h/b?token=********&page=2&"
			    "api_key=********&x#f=1");
	buf_reset(&b);
	/* urllib: split at the first '@' and ':', nothing decoded */
	assert_true(http_url_userinfo(&b, &user, &pw, "https://u%40:p:w@h/x"));
	assert_string_equal(b.ptr, "https://h/x");
	assert_string_equal(user, "u%40");
	assert_string_equal(pw, "p:w");
	free(user);
	free(pw);
	buf_reset(&b);
	assert_false(http_url_userinfo(&b, &user, &pw, "http://h/x@y"));
	assert_string_equal(b.ptr, "http://h/x@y");
	assert_null(user);
	buf_release(&b);
}

static void loc(const char *url, const char *location, const char *want)
{
	struct buf b = BUF_INIT;

	uri_absolute_location(&b, url, location);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

static void test_uri__absolute_location_with_its_quirks(void **state)
{
	(void)state;
	loc("http://h:1/a/b", "http://o/x", "http://o/x");
	/* url.replace(path, '') + location */
	loc("http://h:1/redirect/302?to=/text", "/text",
	    "http://h:1?to=/text/text");
	loc("http://h:1", "/x", "http://h:1/x");
	/* os.path.dirname(url) + '/' + location */
	loc("http://h:1/a/b", "c", "http://h:1/a/c");
	loc("http://h:1/a/", "c", "http://h:1/a/c");
	loc("http://h", "c", "http:/c");
}

static void test_uri__header_dumps_of_curl_and_wget(void **state)
{
	static const char curl[] =
		"HTTP/1.1 401 Unauthorized\r\n"
		"WWW-Authenticate: Basic realm=\"x\"\r\n"
		"\r\n"
		"HTTP/1.0 200 OK\r\n"
		"Content-Type: application/json\r\n"
		"X-Dup: a\r\n"
		"X-Dup:b\r\n"
		"\r\n";
	static const char wget[] =
		"  HTTP/1.0 302 Found\n"
		"  Location: /x\n"
		"Location: /x [following]\n"
		"  HTTP/1.0 404 Not Found\n"
		"  Content-Length: 11\n"
		"http://h/x:\n"
		"2026-01-01 00:00:00 ERROR 404: Not Found.\n";
	struct val *h = NULL;
	struct buf b = BUF_INIT;
	char *reason = NULL;
	long status;

	(void)state;
	uri_host_headers(&status, &reason, &h, curl, sizeof(curl) - 1);
	assert_int_equal(status, 200);
	assert_string_equal(reason, "OK");
	val_to_json(&b, h, 0);
	assert_string_equal(b.ptr, "[[\"Content-Type\", \"application/json\"], "
			    "[\"X-Dup\", \"a\"], [\"X-Dup\", \"b\"]]");
	free(reason);
	val_unref(h);
	buf_reset(&b);
	uri_host_headers(&status, &reason, &h, wget, sizeof(wget) - 1);
	assert_int_equal(status, 404);
	assert_string_equal(reason, "Not Found");
	val_to_json(&b, h, 0);
	assert_string_equal(b.ptr, "[[\"Content-Length\", \"11\"]]");
	free(reason);
	val_unref(h);
	uri_host_headers(&status, &reason, &h, "", 0);
	assert_int_equal(status, -1);
	assert_null(reason);
	assert_int_equal(val_len(h), 0);
	val_unref(h);
	buf_release(&b);
}

static void test_uri__host_reply_records(void **state)
{
	struct uri_host_out o;
	struct buf out = BUF_INIT;

	(void)state;
	uri_host_out_init(&o);
	buf_adds(&out, "tool c\nrc 0\nns 1500000000\ntc 0.000101\n"
		 "hdr:17\nHTTP/1.0 200 OK\r\n\n"
		 "jar:0\n\nbody:3\n{}\n\ntmp:6\n/t/x y\n");
	assert_ok(uri_host_parse(&o, &out));
	assert_int_equal(o.tool, 'c');
	assert_int_equal(o.ns, 1500000000LL);
	assert_true(o.timed_connect);
	assert_true(o.body_known);
	assert_string_equal(o.body.ptr, "{}\n");
	assert_string_equal(o.tmp, "/t/x y");
	uri_host_out_release(&o);
	/* a length past the end is refused */
	uri_host_out_init(&o);
	buf_sets(&out, "body:99\nshort\n");
	assert_true(uri_host_parse(&o, &out) < 0);
	tend_error_clear();
	uri_host_out_release(&o);
	buf_release(&out);
}

/* A request from YAML args, as the module builds it. */
static void req_of(struct uri_req *r, struct val **args, const char *text)
{
	struct task_ctx ctx = { .host = "h" };

	*args = yaml(text);
	ctx.args = *args;
	assert_ok(uri_req_build(r, &ctx));
}

static void add_header(struct uri_reply *rep, const char *n, const char *v)
{
	struct val *p = val_list();

	if (!rep->headers)
		rep->headers = val_list();
	val_list_push(p, val_str(n));
	val_list_push(p, val_str(v));
	val_list_push(rep->headers, p);
}

static void test_uri__request_from_args(void **state)
{
	struct uri_req r;
	struct val *args;
	struct buf b = BUF_INIT;

	(void)state;
	req_of(&r, &args, "url: 'http://u:pw@h/x'\nmethod: post\n"
	       "body_format: json\nbody: {a: 1}\nstatus_code: [200, '201']\n"
	       "headers: {X-Auth-Token: t0k}\n");
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.bare_url, "http://h/x");
	assert_string_equal(r.user, "u");
	assert_string_equal(r.password, "pw");
	assert_int_equal(r.ncodes, 2);
	assert_int_equal(r.codes[1], 201);
	assert_true(uri_req_accepts(&r, 201));
	val_to_json(&b, r.headers, 0);
	assert_string_equal(b.ptr, "[\"<secret>\", \"Content-Type: "
			    "application/json\"]");
	assert_string_equal(r.body.ptr, "{\"a\": 1}");
	uri_req_release(&r);
	val_unref(args);
	buf_release(&b);
}

static void test_uri__request_refuses_a_bad_method(void **state)
{
	struct task_ctx ctx = { .host = "h" };
	struct val *args = yaml("url: http://h/\nmethod: 'GET /x'\n");
	struct uri_req r;

	(void)state;
	ctx.args = args;
	assert_true(uri_req_build(&r, &ctx) < 0);
	assert_string_equal(tend_error_last(), "Parameter 'method' needs to "
			    "be a single word in uppercase, like GET or POST.");
	tend_error_clear();
	uri_req_release(&r);
	val_unref(args);
}

static void test_uri__result_of_a_success(void **state)
{
	struct uri_req r;
	struct uri_reply rep;
	struct val *args, *res;
	bool failed;

	(void)state;
	req_of(&r, &args, "url: 'http://h/a'\n");
	uri_reply_init(&rep);
	rep.status = 200;
	rep.url = xstrdup("http://h/b");
	rep.redirects = 1;
	add_header(&rep, "Content-Type", "application/problem+json; x=1");
	add_header(&rep, "X-Dup", "a");
	add_header(&rep, "Set-Cookie", "s=1");
	add_header(&rep, "X-Dup", "b");
	add_header(&rep, "Content-Length", "8");
	buf_adds(&rep.body, "{\"k\": 2}");
	rep.body_known = true;
	rep.cookies = val_list();
	uri_result(&res, &failed, &r, &rep);
	assert_false(failed);
	assert_string_equal(val_cstr(val_dict_get(res, "msg")), "OK (8 bytes)");
	assert_string_equal(val_cstr(val_dict_get(res, "url")), "http://h/b");
	assert_true(val_dict_get(res, "redirected")->u.b);
	assert_string_equal(val_cstr(val_dict_get(res, "x_dup")), "a, b");
	assert_string_equal(val_cstr(val_dict_get(res, "content_type")),
			    "application/problem+json; x=1");
	assert_true(val_dict_get(res, "set_cookie")->flags & VAL_F_SECRET);
	assert_int_equal(val_dict_path(res, "json.k")->u.i, 2);
	assert_null(val_dict_get(res, "content"));
	assert_string_equal(val_cstr(val_dict_get(res, "cookies_string")), "");
	val_unref(res);
	uri_reply_release(&rep);
	uri_req_release(&r);
	val_unref(args);
}

static void test_uri__result_of_an_http_error(void **state)
{
	struct uri_req r;
	struct uri_reply rep;
	struct val *args, *res;
	bool failed;

	(void)state;
	/* accepted, not JSON, no return_content: the body stays as `body` */
	req_of(&r, &args, "url: 'http://h/a'\nstatus_code: [200, 404]\n");
	uri_reply_init(&rep);
	rep.status = 404;
	rep.reason = xstrdup("Not Found");
	add_header(&rep, "X-Dup", "a");
	add_header(&rep, "X-Dup", "b");
	add_header(&rep, "Location", "/else");
	buf_adds(&rep.body, "gone\n");
	rep.body_known = true;
	uri_result(&res, &failed, &r, &rep);
	assert_false(failed);
	assert_string_equal(val_cstr(val_dict_get(res, "msg")),
			    "HTTP Error 404: Not Found");
	assert_string_equal(val_cstr(val_dict_get(res, "body")), "gone\n");
	assert_string_equal(val_cstr(val_dict_get(res, "x_dup")), "b");
	assert_string_equal(val_cstr(val_dict_get(res, "location")),
			    "http://h/else");
	assert_null(val_dict_get(res, "cookies"));
	val_unref(res);
	uri_req_release(&r);
	val_unref(args);
	/* not accepted, with return_content: failed, content, no body */
	req_of(&r, &args, "url: 'http://h/a'\nreturn_content: true\n");
	uri_result(&res, &failed, &r, &rep);
	assert_true(failed);
	assert_string_equal(val_cstr(val_dict_get(res, "msg")), "Status code "
			    "was 404 and not [200]: HTTP Error 404: Not Found");
	assert_string_equal(val_cstr(val_dict_get(res, "content")), "gone\n");
	assert_null(val_dict_get(res, "body"));
	val_unref(res);
	uri_reply_release(&rep);
	uri_req_release(&r);
	val_unref(args);
}

static void test_uri__result_of_no_answer(void **state)
{
	struct uri_req r;
	struct uri_reply rep;
	struct val *args, *res;
	bool failed;

	(void)state;
	req_of(&r, &args, "url: 'http://u:s3cr3t@h/a'\nstatus_code: 200\n");
	uri_reply_init(&rep);
	rep.error = xstrdup("Request failed: <urlopen error timed out>");
	uri_result(&res, &failed, &r, &rep);
	assert_true(failed);
	assert_int_equal(val_dict_get(res, "status")->u.i, -1);
	assert_string_equal(val_cstr(val_dict_get(res, "msg")), "Status code "
			    "was -1 and not [200]: Request failed: <urlopen "
			    "error timed out>");
	/* the URL as given, whose password is hidden wherever it lands */
	assert_true(val_dict_get(res, "url")->flags & VAL_F_SECRET);
	val_unref(res);
	uri_reply_release(&rep);
	uri_req_release(&r);
	val_unref(args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri__json_body_as_python_dumps_it),
		cmocka_unit_test(test_uri__form_body_as_urlencode_writes_it),
		cmocka_unit_test(test_uri__form_body_refuses_a_list_of_non_pairs),
		cmocka_unit_test(test_uri__redirects_as_urllib_follows_them),
		cmocka_unit_test(test_uri__credential_headers),
		cmocka_unit_test(test_uri__secret_headers_in_a_dict),
		cmocka_unit_test(test_uri__cookie_jar_in_python_order),
		cmocka_unit_test(test_uri__urls_without_their_password),
		cmocka_unit_test(test_uri__absolute_location_with_its_quirks),
		cmocka_unit_test(test_uri__header_dumps_of_curl_and_wget),
		cmocka_unit_test(test_uri__host_reply_records),
		cmocka_unit_test(test_uri__request_from_args),
		cmocka_unit_test(test_uri__request_refuses_a_bad_method),
		cmocka_unit_test(test_uri__result_of_a_success),
		cmocka_unit_test(test_uri__result_of_an_http_error),
		cmocka_unit_test(test_uri__result_of_no_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
