#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/uri.h"

#include <ctype.h>
#include <iconv.h>
#include <strings.h>

/*
 * What Ansible's uri registers for an answer (uri.py main() after
 * fetch_url), quirks kept, so that a playbook reading the result reads
 * the same values under tend.
 */

void uri_reply_init(struct uri_reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	r->status = -1;
}

void uri_reply_release(struct uri_reply *r)
{
	free(r->reason);
	val_unref(r->headers);
	buf_release(&r->body);
	free(r->url);
	val_unref(r->cookies);
	free(r->error);
	free(r->path);
	uri_reply_init(r);
}

/* The first value of header `name` (any case), or NULL. */
static const char *header_get(const struct val *headers, const char *name)
{
	for (size_t i = 0; i < val_len(headers); i++) {
		const struct val *h = val_list_at(headers, i);

		if (!strcasecmp(val_cstr(val_list_at(h, 0)), name))
			return val_cstr(val_list_at(h, 1));
	}
	return NULL;
}

/*
 * Python's Message.get_content_type() and Ansible's split(',')[0]: the
 * value before any ';', lower case, trimmed; text/plain unless it has
 * exactly one '/'.
 */
void uri_content_type(struct buf *out, const struct val *headers)
{
	const char *v = header_get(headers, "content-type");
	struct buf t = BUF_INIT;
	const char *slash;

	if (v)
		for (const char *p = v; *p && *p != ';'; p++)
			buf_addch(&t, tolower((unsigned char)*p));
	buf_trim(&t);
	if (!(slash = strchr(t.ptr, '/')) || strchr(slash + 1, '/')) {
		buf_adds(out, "text/plain");
	} else {
		buf_add(out, t.ptr, strcspn(t.ptr, ","));
	}
	buf_release(&t);
}

/* The charset parameter of Content-Type (unquoted), or NULL: new. */
static char *charset_of(const struct val *headers)
{
	const char *v = header_get(headers, "content-type"), *p;
	struct buf c = BUF_INIT;

	for (p = v ? strchr(v, ';') : NULL; p; p = strchr(p + 1, ';')) {
		const char *q = p + 1;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, "charset=", 8))
			continue;
		q += 8;
		if (*q == '"')
			q++;
		buf_add(&c, q, strcspn(q, "\";,"));
		buf_trim(&c);
		return c.len ? buf_detach(&c, NULL) : (buf_release(&c), NULL);
	}
	return NULL;
}

/* Ansible's JSON_CANDIDATES test on "type/subtype[+suffix]". */
static bool json_type(const char *ctype)
{
	const char *sub = strchr(ctype, '/'), *plus;

	if (!sub)
		return false;
	sub++;
	if ((plus = strchr(sub, '+')))
		sub = plus + 1;
	return !strcmp(sub, "json") || !strcmp(sub, "javascript");
}

static bool http_error(long status)
{
	return status != -1 && (status < 200 || status > 299);
}

bool uri_reply_needs_body(const struct uri_req *req, long status,
			  const struct val *headers)
{
	struct buf ct = BUF_INIT;
	bool json;

	/* an HTTP error's body is the result's content or its body */
	if (req->return_content || !uri_req_accepts(req, status) ||
	    http_error(status))
		return true;
	uri_content_type(&ct, headers);
	json = json_type(ct.ptr);
	buf_release(&ct);
	return json;
}

void uri_absolute_location(struct buf *out, const char *url,
			   const char *location)
{
	const char *p, *path, *end, *slash;
	size_t plen;

	if (strstr(location, "://")) {
		buf_adds(out, location);
		return;
	}
	if (*location != '/') {
		/* os.path.dirname(url) + '/' + location */
		slash = strrchr(url, '/');
		plen = slash ? (size_t)(slash - url) + 1 : 0;
		if (plen && strspn(url, "/") < plen)
			while (plen && url[plen - 1] == '/')
				plen--;
		buf_add(out, url, plen);
		buf_addch(out, '/');
		buf_adds(out, location);
		return;
	}
	/* url.replace(urlsplit(url).path, '') + location */
	p = strstr(url, "://");
	path = p ? p + 3 + strcspn(p + 3, "/?#") : url;
	end = path + strcspn(path, "?#");
	plen = (size_t)(end - path);
	if (!plen) {
		/* str.replace('', '') is the string itself */
		buf_adds(out, url);
	} else {
		for (p = url; *p;) {
			if (!strncmp(p, path, plen)) {
				p += plen;
				continue;
			}
			buf_addch(out, *p++);
		}
	}
	buf_adds(out, location);
}

/* The body as text in its charset (Python's to_text), UTF-8 here. */
static struct val *body_text(const struct uri_reply *rep)
{
	char *cs = charset_of(rep->headers);
	struct val *v = NULL;

	if (cs && strcasecmp(cs, "utf-8") && strcasecmp(cs, "utf8")) {
		iconv_t cd = iconv_open("UTF-8", cs);

		if (cd != (iconv_t)-1) {
			struct buf o = BUF_INIT;
			char *in = rep->body.ptr, *outp;
			size_t inl = rep->body.len, outl;

			buf_grow(&o, inl * 4 + 16);
			outp = o.ptr;
			outl = inl * 4 + 16;
			if (iconv(cd, &in, &inl, &outp, &outl) != (size_t)-1) {
				buf_setlen(&o, (size_t)(outp - o.ptr));
				v = val_strn(o.ptr, o.len);
			}
			iconv_close(cd);
			buf_release(&o);
		}
	}
	free(cs);
	return v ? v : val_strn(rep->body.ptr, rep->body.len);
}

/* Ansible's key for a header or info key: lower case, '-' as '_'. */
static void result_key(struct buf *k, const char *name)
{
	buf_reset(k);
	for (const char *p = name; *p; p++)
		buf_addch(k, *p == '-' ? '_' : tolower((unsigned char)*p));
}

/*
 * The answer's headers into `info` (keys lower case): on success a
 * header sent twice has its values joined with ", " (Python 3's
 * fetch_url), on an HTTP error the last one wins. Credential headers'
 * values are flagged secret.
 */
static void add_headers(struct val *info, const struct val *headers,
			bool join)
{
	struct val *tmp = val_dict();
	struct buf k = BUF_INIT;

	for (size_t i = 0; i < val_len(headers); i++) {
		const struct val *h = val_list_at(headers, i);
		const char *name = val_cstr(val_list_at(h, 0));
		struct val *v = val_ref(val_list_at(h, 1));
		const struct val *old;

		buf_reset(&k);
		for (const char *p = name; *p; p++)
			buf_addch(&k, tolower((unsigned char)*p));
		if (join && (old = val_dict_get(tmp, k.ptr))) {
			struct val *j = val_strf("%s, %s", val_cstr(old),
						 val_cstr(v));

			val_unref(v);
			v = j;
		}
		val_dict_set(tmp, k.ptr, v);
	}
	for (size_t i = 0; i < tmp->u.dict.nr; i++) {
		const char *key = tmp->u.dict.items[i].key;
		struct val *v = val_ref(tmp->u.dict.items[i].v);

		if (http_header_is_secret(key, strlen(key)))
			v = val_secret(v);
		val_dict_set(info, key, v);
	}
	val_unref(tmp);
	buf_release(&k);
}

/* Python's repr() of the status codes: "[200, 201]". */
static void codes_repr(struct buf *out, const struct uri_req *req)
{
	buf_addch(out, '[');
	for (size_t i = 0; i < req->ncodes; i++)
		buf_addf(out, "%s%lld", i ? ", " : "", req->codes[i]);
	buf_addch(out, ']');
}

static void add_cookies(struct val *info, const struct val *cookies)
{
	struct val *d = val_dict();
	struct buf s = BUF_INIT;

	for (size_t i = 0; i < val_len(cookies); i++) {
		const struct val *c = val_list_at(cookies, i);
		const char *name = val_cstr(val_list_at(c, 0));
		const char *value = val_cstr(val_list_at(c, 1));

		buf_addf(&s, "%s%s=%s", i ? "; " : "", name, value);
		val_dict_set(d, name, val_secret(val_str(value)));
	}
	val_dict_set(info, "cookies_string", s.len ?
		     val_secret(val_strn(s.ptr, s.len)) : val_str(""));
	val_dict_set(info, "cookies", d);
	buf_release_secret(&s);
}

/* fetch_url's info dict, in its order (later keys win, as update()). */
static struct val *fetch_info(const struct uri_req *req,
			      const struct uri_reply *rep, bool maybe_output)
{
	struct val *info = val_dict();

	val_dict_set_str(info, "url", req->url);
	val_dict_set_int(info, "status", -1);
	if (rep->status == -1) {
		val_dict_set_str(info, "msg", rep->error ? rep->error :
				 "Request failed");
	} else if (http_error(rep->status)) {
		add_headers(info, rep->headers, false);
		if (rep->too_many_redirects)
			val_dict_set(info, "msg", val_strf("HTTP Error %ld: The "
				     "HTTP server returned a redirect error "
				     "that would lead to an infinite loop.\n"
				     "The last 30x error message was:\n%s",
				     rep->status, rep->reason ? rep->reason :
				     ""));
		else
			val_dict_set(info, "msg", val_strf("HTTP Error %ld: %s",
				     rep->status, rep->reason ? rep->reason :
				     ""));
		/* the body stays in the result when it is not the content */
		if (!maybe_output)
			val_dict_set(info, "body", val_strn(rep->body.ptr,
							    rep->body.len));
		val_dict_set_int(info, "status", rep->status);
	} else {
		const char *cl = header_get(rep->headers, "content-length");

		add_headers(info, rep->headers, true);
		add_cookies(info, rep->cookies);
		val_dict_set(info, "msg", val_strf("OK (%s bytes)",
						   cl ? cl : "unknown"));
		val_dict_set_str(info, "url", rep->url ? rep->url :
				 req->bare_url);
		val_dict_set_int(info, "status", rep->status);
	}
	return info;
}

/* Flag every string of v that holds `needle` secret. */
static void taint(struct val *v, const char *needle)
{
	size_t n = strlen(needle);

	if (v->type == VAL_STR && memmem(v->u.s.ptr, v->u.s.len, needle, n))
		v->flags |= VAL_F_SECRET;
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		taint(v->u.list.items[i], needle);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		taint(v->u.dict.items[i].v, needle);
}

/* Python's uresp: every key lower case with '-' as '_'. */
static struct val *result_keys(const struct val *resp)
{
	struct val *out = val_dict();
	struct buf k = BUF_INIT;

	for (size_t i = 0; i < resp->u.dict.nr; i++) {
		result_key(&k, resp->u.dict.items[i].key);
		val_dict_set(out, k.ptr, val_ref(resp->u.dict.items[i].v));
	}
	buf_release(&k);
	return out;
}

void uri_result(struct val **out, bool *failed, const struct uri_req *req,
		const struct uri_reply *rep)
{
	struct buf ct = BUF_INIT;
	bool need;
	struct val *info, *resp = val_dict(), *res, *content = NULL;
	const char *loc;

	if (rep->status == -1)
		buf_adds(&ct, "application/octet-stream");
	else
		uri_content_type(&ct, rep->headers);
	/* Ansible's maybe_output: the body is read for the result */
	need = req->return_content || !uri_req_accepts(req, rep->status) ||
	       json_type(ct.ptr);
	info = fetch_info(req, rep, need);

	val_dict_set_bool(resp, "redirected", strcmp(val_cstr(val_dict_get(
				  info, "url")), req->url) != 0);
	val_dict_update(resp, info, false);
	val_dict_set_int(resp, "elapsed", rep->elapsed);
	val_dict_set_int(resp, "status", rep->status);
	val_dict_set_bool(resp, "changed", false);
	if (rep->status != -1 && req->dest) {
		if (rep->written)
			val_dict_set_bool(resp, "changed", true);
		val_dict_set_str(resp, "path", rep->path ? rep->path :
				 req->dest);
	}
	res = result_keys(resp);
	if ((loc = val_cstr(val_dict_get(res, "location")))) {
		struct buf abs = BUF_INIT;

		uri_absolute_location(&abs, req->url, loc);
		val_dict_set(res, "location", val_strn(abs.ptr, abs.len));
		buf_release(&abs);
	}
	if (need) {
		struct val *js = NULL;

		content = rep->body_known ? body_text(rep) : val_str("");
		if (json_type(ct.ptr) &&
		    !val_from_json(&js, content->u.s.ptr, content->u.s.len))
			val_dict_set(res, "json", js);
		tend_error_clear();
	}
	*failed = !uri_req_accepts(req, rep->status);
	if (*failed) {
		struct buf m = BUF_INIT;

		buf_addf(&m, "Status code was %ld and not ", rep->status);
		codes_repr(&m, req);
		buf_addf(&m, ": %s", val_cstr(val_dict_get(res, "msg")) ?
			 val_cstr(val_dict_get(res, "msg")) : "");
		val_dict_set(res, "msg", val_strn(m.ptr, m.len));
		buf_release(&m);
	}
	if (req->return_content && content)
		val_dict_set(res, "content", val_ref(content));
	/* a password the URL carried is in url, location ... */
	if (req->password && *req->password && strcmp(req->bare_url, req->url))
		taint(res, req->password);
	*out = res;
	val_unref(content);
	val_unref(info);
	val_unref(resp);
	buf_release(&ct);
}
