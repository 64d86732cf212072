#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/uri.h"

#include <ctype.h>
#include <sodium.h>
#include <strings.h>

/*
 * The uri module's request, built from its args as Ansible 2.14's
 * uri.py and urls.py build theirs (modkit/uri.h).
 */

/*
 * JSON as Python's json.dumps writes it by default: val_to_json_text's
 * separators are already Python's; ensure_ascii writes every non-ASCII
 * character as \uXXXX (a surrogate pair above U+FFFF).
 */
static void json_dumps(struct buf *out, const struct val *v)
{
	struct buf j = BUF_INIT;

	val_to_json_text(&j, v, 0);
	for (size_t i = 0; i < j.len;) {
		unsigned char c = (unsigned char)j.ptr[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80 || !(n = utf8_decode(&cp, j.ptr + i, j.len - i))) {
			buf_addch(out, c);
			i++;
			continue;
		}
		if (cp > 0xffff) {
			cp -= 0x10000;
			buf_addf(out, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
				 0xdc00 + (cp & 0x3ff));
		} else {
			buf_addf(out, "\\u%04x", cp);
		}
		i += n;
	}
	buf_release_secret(&j);
}

/* urllib's quote_plus: [A-Za-z0-9_.~-] as they are, ' ' as '+'. */
static void quote_plus(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || strchr("_.~-", c))
			buf_addch(out, c);
		else if (c == ' ')
			buf_addch(out, '+');
		else {
			buf_addch(out, '%');
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		}
	}
}

/* Python's str() of a value (to_text), secrets as themselves. */
static void py_str(struct buf *out, const struct val *v)
{
	if (val_is(v, VAL_STR))
		buf_add(out, v->u.s.ptr, v->u.s.len);
	else
		val_to_text(out, v);
}

static void form_pair(struct buf *out, const struct val *k,
		      const struct val *v)
{
	struct buf t = BUF_INIT;

	if (out->len)
		buf_addch(out, '&');
	py_str(&t, k);
	quote_plus(out, t.ptr, t.len);
	buf_addch(out, '=');
	buf_reset(&t);
	py_str(&t, v);
	quote_plus(out, t.ptr, t.len);
	buf_release_secret(&t);
}

/* One key's values: a list (or a dict: its keys) each, else itself. */
static void form_values(struct buf *out, const struct val *k,
			const struct val *values)
{
	if (val_is(values, VAL_LIST)) {
		for (size_t i = 0; i < values->u.list.nr; i++)
			if (!val_is(values->u.list.items[i], VAL_NULL))
				form_pair(out, k, values->u.list.items[i]);
	} else if (val_is(values, VAL_DICT)) {
		for (size_t i = 0; i < values->u.dict.nr; i++) {
			struct val *key = val_str(values->u.dict.items[i].key);

			form_pair(out, k, key);
			val_unref(key);
		}
	} else if (!val_is(values, VAL_NULL)) {
		form_pair(out, k, values);
	}
}

/* Ansible's form_urlencoded(): a dict, or a list of [key, value]. */
static int form_urlencode(struct buf *out, const struct val *body)
{
	if (val_is(body, VAL_DICT)) {
		for (size_t i = 0; i < body->u.dict.nr; i++) {
			struct val *k = val_str(body->u.dict.items[i].key);

			form_values(out, k, body->u.dict.items[i].v);
			val_unref(k);
		}
		return 0;
	}
	for (size_t i = 0; i < body->u.list.nr; i++) {
		const struct val *p = body->u.list.items[i];

		if (val_len(p) != 2 || !val_is(p, VAL_LIST))
			return tend_error_set("failed to parse body as "
					      "form_urlencoded: each item of "
					      "a list body must be a [key, "
					      "value] pair");
		form_values(out, p->u.list.items[0], p->u.list.items[1]);
	}
	return 0;
}

int uri_encode_body(struct buf *out, bool *has, const struct val *body,
		    const char *format)
{
	*has = true;
	if (val_is(body, VAL_STR)) {
		buf_add(out, body->u.s.ptr, body->u.s.len);
		return 0;
	}
	if (!strcmp(format, "json")) {
		json_dumps(out, body ? body : &(struct val){ .type = VAL_NULL });
		return 0;
	}
	if (!body || val_is(body, VAL_NULL)) {
		*has = false;
		return 0;
	}
	if (!strcmp(format, "form-urlencoded")) {
		if (val_is(body, VAL_DICT) || val_is(body, VAL_LIST))
			return form_urlencode(out, body);
	}
	py_str(out, body);
	return 0;
}

/* "Name: value" with a line break refused (it would end the header). */
static int add_header(struct uri_req *r, const char *name,
		      const struct val *v)
{
	struct buf l = BUF_INIT;
	struct val *s;

	buf_addf(&l, "%s: ", name);
	py_str(&l, v);
	if (strpbrk(name, "\r\n:") || !*name || strpbrk(l.ptr, "\r\n")) {
		buf_release_secret(&l);
		return tend_error_set("header '%s': a header's name or value "
				      "may not hold a line break (or its name "
				      "a ':')", name);
	}
	s = val_strn(l.ptr, l.len);
	if (val_holds_secret(v) || http_header_is_secret(name, strlen(name)))
		s = val_secret(s);
	val_list_push(r->headers, s);
	buf_release_secret(&l);
	return 0;
}

static bool has_header(const struct val *headers, const char *name)
{
	for (size_t i = 0; val_is(headers, VAL_DICT) && i < headers->u.dict.nr;
	     i++)
		if (!strcasecmp(headers->u.dict.items[i].key, name))
			return true;
	return false;
}

/* The Authorization of force_basic_auth (urls.py basic_auth_header). */
static void add_basic(struct uri_req *r)
{
	struct buf up = BUF_INIT, l = BUF_INIT;
	size_t n;
	char *b64;

	buf_addf(&up, "%s:%s", r->user, r->password ? r->password : "");
	n = sodium_base64_ENCODED_LEN(up.len, sodium_base64_VARIANT_ORIGINAL);
	b64 = xmalloc(n);
	sodium_bin2base64(b64, n, (const unsigned char *)up.ptr, up.len,
			  sodium_base64_VARIANT_ORIGINAL);
	buf_addf(&l, "Authorization: Basic %s", b64);
	val_list_push(r->headers, val_secret(val_strn(l.ptr, l.len)));
	sodium_memzero(b64, n);
	free(b64);
	buf_release_secret(&up);
	buf_release_secret(&l);
}

/*
 * The headers: the task's, then Content-Type for a json or form body
 * (unless the task names one), Cache-Control with force, and
 * force_basic_auth's Authorization (which replaces the task's).
 */
static int build_headers(struct uri_req *r, const struct task_ctx *ctx,
			 const char *format)
{
	const struct val *h = arg_get(ctx, "headers");
	bool basic = r->force_basic_auth;

	r->headers = val_list();
	for (size_t i = 0; val_is(h, VAL_DICT) && i < h->u.dict.nr; i++) {
		const char *name = h->u.dict.items[i].key;

		if (basic && !strcasecmp(name, "authorization"))
			continue;
		if (add_header(r, name, h->u.dict.items[i].v) < 0)
			return -1;
	}
	if (!has_header(h, "content-type")) {
		if (!strcmp(format, "json"))
			val_list_push(r->headers,
				      val_str("Content-Type: application/json"));
		else if (!strcmp(format, "form-urlencoded"))
			val_list_push(r->headers, val_str("Content-Type: "
				      "application/x-www-form-urlencoded"));
	}
	if (arg_bool(ctx, "force", false) && !has_header(h, "cache-control"))
		val_list_push(r->headers, val_str("Cache-Control: no-cache"));
	if (basic)
		add_basic(r);
	return 0;
}

static int build_codes(struct uri_req *r, const struct val *sc)
{
	bool list = val_is(sc, VAL_LIST);
	size_t n = list ? sc->u.list.nr : 1;

	if (!sc || val_is(sc, VAL_NULL)) {
		r->codes = xmalloc(sizeof(*r->codes));
		r->codes[0] = 200;
		r->ncodes = 1;
		return 0;
	}
	r->codes = xcalloc(n ? n : 1, sizeof(*r->codes));
	for (size_t i = 0; i < n; i++) {
		const struct val *v = list ? sc->u.list.items[i] : sc;
		const char *s = val_cstr(v);
		char *end = NULL;

		if (val_is(v, VAL_INT)) {
			r->codes[r->ncodes++] = v->u.i;
			continue;
		}
		if (s && *s) {
			long long c = strtoll(s, &end, 10);

			if (!*end) {
				r->codes[r->ncodes++] = c;
				continue;
			}
		}
		return tend_error_set("Elements value for option "
				      "'status_code' is not an int");
	}
	return 0;
}

/* Credentials: url_username/url_password, else the URL's user:pass@. */
static void build_auth(struct uri_req *r, const struct task_ctx *ctx)
{
	const char *user = arg_str(ctx, "url_username");
	struct buf bare = BUF_INIT;

	if (user && *user) {
		r->user = xstrdup(user);
		r->password = xstrdup(arg_str(ctx, "url_password") ?
				      arg_str(ctx, "url_password") : "");
		r->bare_url = xstrdup(r->url);
		return;
	}
	http_url_userinfo(&bare, &r->user, &r->password, r->url);
	r->bare_url = buf_detach(&bare, NULL);
	if (r->user && !*r->user) {
		free(r->user);
		r->user = NULL;
	}
}

static void build_unredirected(struct uri_req *r, const struct task_ctx *ctx)
{
	const struct val *u = arg_get(ctx, "unredirected_headers");
	size_t n = val_is(u, VAL_LIST) ? u->u.list.nr : 0, k = 0;

	if (!n)
		return;
	r->unredirected_own = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (val_cstr(u->u.list.items[i]))
			r->unredirected_own[k++] =
				val_cstr(u->u.list.items[i]);
	r->unredirected = r->unredirected_own;
}

int uri_req_build(struct uri_req *r, const struct task_ctx *ctx)
{
	const char *format = arg_str(ctx, "body_format");
	const char *method = arg_str(ctx, "method");
	struct buf m = BUF_INIT;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	r->url = arg_str(ctx, "url");
	if (!r->url)
		return tend_error_set("missing required arguments: url");
	for (const char *p = method ? method : "GET"; *p; p++)
		buf_addch(&m, toupper((unsigned char)*p));
	r->method = buf_detach(&m, NULL);
	if (!*r->method || strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
	    strlen(r->method))
		return tend_error_set("Parameter 'method' needs to be a single "
				      "word in uppercase, like GET or POST.");
	format = format ? format : "raw";
	if (!strcmp(format, "form-multipart"))
		return tend_error_set("body_format 'form-multipart' is not "
				      "supported yet (json, form-urlencoded, "
				      "raw)");
	build_auth(r, ctx);
	r->force_basic_auth = r->user && arg_bool(ctx, "force_basic_auth",
						  false);
	if (uri_encode_body(&r->body, &r->has_body, arg_get(ctx, "body"),
			    format) < 0 || build_headers(r, ctx, format) < 0 ||
	    build_codes(r, arg_get(ctx, "status_code")) < 0)
		return -1;
	r->body_secret = val_holds_secret(arg_get(ctx, "body"));
	build_unredirected(r, ctx);
	r->follow = http_follow_of(arg_str(ctx, "follow_redirects"),
				   HTTP_FOLLOW_SAFE);
	r->return_content = arg_bool(ctx, "return_content", false);
	r->timeout = arg_int(ctx, "timeout", 30);
	r->dest = arg_str(ctx, "dest");
	r->unix_socket = arg_str(ctx, "unix_socket");
	r->client_cert = arg_str(ctx, "client_cert");
	r->client_key = arg_str(ctx, "client_key");
	r->ca_path = arg_str(ctx, "ca_path");
	r->creates = arg_str(ctx, "creates");
	r->removes = arg_str(ctx, "removes");
	r->agent = arg_str(ctx, "http_agent") ? arg_str(ctx, "http_agent") :
		"ansible-httpget";
	r->validate_certs = arg_bool(ctx, "validate_certs", true);
	r->use_proxy = arg_bool(ctx, "use_proxy", true);
	return 0;
}

void uri_req_release(struct uri_req *r)
{
	free(r->method);
	free(r->bare_url);
	free(r->user);
	if (r->password) {
		sodium_memzero(r->password, strlen(r->password));
		free(r->password);
	}
	val_unref(r->headers);
	buf_release_secret(&r->body);
	free(r->codes);
	free(r->unredirected_own);
	memset(r, 0, sizeof(*r));
}

bool uri_req_accepts(const struct uri_req *r, long status)
{
	for (size_t i = 0; i < r->ncodes; i++)
		if (r->codes[i] == status)
			return true;
	return false;
}

bool uri_writes_dest(const struct uri_req *r, long status)
{
	return r->dest && uri_req_accepts(r, status) && status != 304;
}

bool uri_req_secret(const struct uri_req *r)
{
	return r->user || (r->has_body && r->body_secret) ||
	       val_holds_secret(r->headers);
}
