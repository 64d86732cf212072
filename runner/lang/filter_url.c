#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <arpa/inet.h>
#include <ctype.h>

/*
 * URLs as Python's urllib.parse reads them: the urlsplit and urldecode
 * filters, the uri, url and urn tests. libcurl's URL parser is not used:
 * it lowercases and validates what urlsplit keeps as it is (a space, an
 * unknown scheme, a path without a host), and urlsplit's leniency is what
 * playbooks see. A host part that is not ASCII is refused: urlsplit
 * checks it under NFKC normalisation and lowercases it by Unicode's
 * tables, neither of which tend has.
 */

/* The five parts of urllib.parse.urlsplit(url), each a new string. */
struct url_split {
	struct val *scheme, *netloc, *path, *query, *fragment;
};

static void url_split_release(struct url_split *u)
{
	val_unref(u->scheme);
	val_unref(u->netloc);
	val_unref(u->path);
	val_unref(u->query);
	val_unref(u->fragment);
}

/*
 * ipaddress.ip_address(host) is an IPv6 address, a zone ("%eth0") after
 * it allowed; or an IPvFuture ("v1.x"). The rest is what urlsplit refuses
 * between brackets: an IPv4 address, or no address at all.
 */
static int url_check_host(const char *host, size_t len)
{
	char *addr = xstrndup(host, len), *zone = strchr(addr, '%');
	unsigned char bin[16];
	bool ok;

	if (addr[0] == 'v') {
		size_t hex = strspn(addr + 1, "0123456789abcdefABCDEF");

		ok = hex && addr[1 + hex] == '.' && addr[2 + hex];
		free(addr);
		return ok ? 0 : tend_error_set("IPvFuture address is invalid");
	}
	if (zone)
		*zone++ = '\0';
	ok = (!zone || (*zone && !strchr(zone, '%'))) &&
	     inet_pton(AF_INET6, addr, bin) == 1;
	free(addr);
	if (!ok)
		return tend_error_set("'%.*s' does not appear to be an IPv6 "
				      "address", (int)len, host);
	return 0;
}

/* _check_bracketed_netloc: nothing around [host] but user@ and :port. */
static int url_check_brackets(const char *netloc)
{
	const char *at = strrchr(netloc, '@');
	const char *hp = at ? at + 1 : netloc, *br = strchr(hp, '['), *end;

	if (!br)
		return url_check_host(hp, strcspn(hp, ":"));
	end = strchr(br, ']');
	end = end ? end : br + strlen(br);
	if (br != hp || (*end && end[1] && end[1] != ':'))
		return tend_error_set("Invalid IPv6 URL");
	return url_check_host(br + 1, (size_t)(end - br - 1));
}

/* urllib.parse.urlsplit(s) into *u (released on error). */
static int url_split(struct url_split *u, const char *s)
{
	struct buf b = BUF_INIT;
	const char *p, *colon, *cut;
	size_t n;
	int error = 0;

	memset(u, 0, sizeof(*u));
	while (*s && (unsigned char)*s <= ' ')
		s++;
	for (; *s; s++)
		if (!strchr("\t\r\n", *s))
			buf_addch(&b, *s);
	p = b.ptr;
	colon = strchr(p, ':');
	if (colon && colon > p && isalpha((unsigned char)p[0]) &&
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789+-.") == (size_t)(colon - p)) {
		char *scheme = xstrndup(p, (size_t)(colon - p));

		for (char *q = scheme; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		u->scheme = val_str_take(scheme, (size_t)(colon - p));
		p = colon + 1;
	} else {
		u->scheme = val_str("");
	}
	if (p[0] == '/' && p[1] == '/') {
		n = strcspn(p + 2, "/?#");
		u->netloc = val_strn(p + 2, n);
		p += 2 + n;
	} else {
		u->netloc = val_str("");
	}
	cut = p + strcspn(p, "#");
	u->fragment = val_str(*cut ? cut + 1 : "");
	n = strcspn(p, "?");
	u->path = val_strn(p, n < (size_t)(cut - p) ? n : (size_t)(cut - p));
	u->query = n < (size_t)(cut - p) ?
			   val_strn(p + n + 1, (size_t)(cut - p) - n - 1) :
			   val_str("");
	buf_release(&b);
	p = u->netloc->u.s.ptr;
	if (!!strchr(p, '[') != !!strchr(p, ']'))
		error = tend_error_set("Invalid IPv6 URL");
	else if (strchr(p, '['))
		error = url_check_brackets(p);
	if (error)
		url_split_release(u);
	return error;
}

/*
 * 0 if u's host part is ASCII, else an error: urlsplit checks such a
 * host under NFKC normalisation, which tend cannot repeat.
 */
static int url_need_ascii(const struct url_split *u)
{
	for (const char *p = u->netloc->u.s.ptr; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return tend_error_set("a URL's host part that is not "
					      "ASCII is not supported: '%s'",
					      u->netloc->u.s.ptr);
	return 0;
}

/*
 * The SplitResult's attributes, as Ansible's urlsplit gives them (every
 * one, in dir() order): its port is checked even when only another part
 * is asked for, as Ansible reads them all.
 */
static int url_dict(struct val **out, const struct url_split *u)
{
	const char *netloc = u->netloc->u.s.ptr, *at = strrchr(netloc, '@');
	const char *hp = at ? at + 1 : netloc, *host = hp, *port, *pw = NULL;
	struct val *d, *user = NULL;
	size_t hlen;

	if (strchr(hp, '['))
		host = strchr(hp, '[') + 1;
	hlen = strcspn(host, host == hp ? ":" : "]");
	port = host[hlen] ? strchr(host + hlen, ':') : NULL;
	port = port && port[1] ? port + 1 : NULL;
	if (port && strspn(port, "0123456789") != strlen(port))
		return tend_error_set("Port could not be cast to integer value "
				      "as '%s'", port);
	if (port && (strspn(port, "0") + 5 < strlen(port) ||
		     strtol(port, NULL, 10) > 65535))
		return tend_error_set("Port out of range 0-65535");
	if (at) {
		pw = memchr(netloc, ':', (size_t)(at - netloc));
		user = val_strn(netloc, (size_t)((pw ? pw : at) - netloc));
	}
	d = val_dict();
	val_dict_set(d, "fragment", val_ref(u->fragment));
	if (hlen) {
		char *h = xstrndup(host, hlen);

		/* a zone ("%eth0") keeps its case */
		for (char *q = h; *q && *q != '%'; q++)
			*q = (char)tolower((unsigned char)*q);
		val_dict_set(d, "hostname", val_str_take(h, hlen));
	} else {
		val_dict_set(d, "hostname", val_null());
	}
	val_dict_set(d, "netloc", val_ref(u->netloc));
	val_dict_set(d, "password", pw ? val_strn(pw + 1, (size_t)(at - pw - 1)) :
					 val_null());
	val_dict_set(d, "path", val_ref(u->path));
	val_dict_set(d, "port", port ? val_int(strtol(port, NULL, 10)) :
				       val_null());
	val_dict_set(d, "query", val_ref(u->query));
	val_dict_set(d, "scheme", val_ref(u->scheme));
	val_dict_set(d, "username", user ? user : val_null());
	*out = d;
	return 0;
}

/* urlsplit(value, query=''): the dict of url_dict(), or its `query` part. */
static int f_urlsplit(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct url_split u;
	struct val *d = NULL;
	const char *query;
	int error;

	(void)c;
	if ((error = template_need_str(in, "urlsplit")) < 0 ||
	    (error = targs_str(&query, a, 0, "query", "", "urlsplit")) < 0 ||
	    (error = url_split(&u, in->u.s.ptr)) < 0)
		return error;
	if ((error = url_need_ascii(&u)) >= 0)
		error = url_dict(&d, &u);
	url_split_release(&u);
	if (error < 0)
		return error;
	if (!*query) {
		*out = d;
		return 0;
	}
	*out = val_ref(val_dict_get(d, query));
	val_unref(d);
	if (!*out)
		return tend_error_set("urlsplit: unknown URL component: %s",
				      query);
	return 0;
}

/*
 * The length of the ill-formed UTF-8 at s (len > 0 bytes) that Python's
 * decoder replaces with one U+FFFD: a bad lead byte, or a lead byte and
 * the continuation bytes that still fit it (the maximal subpart).
 */
static size_t utf8_bad_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3;
	else
		return 1;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need && i < len; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			break;
	return i;
}

/* Append b (raw bytes) decoded as UTF-8 with errors='replace'. */
static void add_utf8_replace(struct buf *out, const struct buf *b)
{
	uint32_t cp;

	for (size_t i = 0, n; i < b->len; i += n) {
		if ((n = utf8_decode(&cp, b->ptr + i, b->len - i))) {
			buf_add(out, b->ptr + i, n);
			continue;
		}
		n = utf8_bad_len((const unsigned char *)b->ptr + i, b->len - i);
		buf_adds(out, "\xef\xbf\xbd");
	}
}

static int hex_val(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0' :
	       isxdigit((unsigned char)ch) ? tolower((unsigned char)ch) - 'a' + 10 :
					     -1;
}

/*
 * urldecode: urllib.parse.unquote_plus. '+' is a space; %XX escapes
 * are bytes, each run of ASCII text decoded as UTF-8 on its own (an
 * escape never joins the text around it), what is not UTF-8 replaced.
 */
static int f_urldecode(struct val **out, struct val *in, const struct targs *a,
		       struct tctx *c)
{
	struct buf res = BUF_INIT, run = BUF_INIT;
	int error;

	(void)a;
	(void)c;
	if ((error = template_need_str(in, "urldecode")) < 0)
		return error;
	for (const char *p = in->u.s.ptr;; p++) {
		if (!*p || (unsigned char)*p >= 0x80) {
			add_utf8_replace(&res, &run);
			buf_reset(&run);
			if (!*p)
				break;
			buf_addch(&res, *p);
		} else if (*p == '%' && hex_val(p[1]) >= 0 && hex_val(p[2]) >= 0) {
			buf_addch(&run, hex_val(p[1]) * 16 + hex_val(p[2]));
			p += 2;
		} else {
			buf_addch(&run, *p == '+' ? ' ' : *p);
		}
	}
	buf_release(&run);
	*out = template_str_result(&res);
	return 0;
}

/*
 * is_uri(value, schemes=None): urlparse takes it, and its scheme is in
 * schemes (a list; a string: a part of it) when given. A URL test that
 * urlsplit cannot read is false, except a host part tend cannot judge.
 */
static int uri_test(bool *out, struct val *in, const struct targs *a,
		    const char *only, bool url)
{
	struct val *schemes = only ? NULL : targs_get(a, 0, "schemes");
	const char *scheme;
	struct url_split u;

	*out = false;
	if (schemes && schemes->type != VAL_NULL &&
	    schemes->type != VAL_LIST && schemes->type != VAL_STR)
		return tend_error_set("uri: schemes must be a list, not %s",
				      template_type_name(schemes));
	if (in->type != VAL_STR)
		return 0;
	if (url_split(&u, in->u.s.ptr) < 0) {
		tend_error_clear();
		return 0;
	}
	if (url_need_ascii(&u) < 0) {
		url_split_release(&u);
		return -1;
	}
	scheme = u.scheme->u.s.ptr;
	if (only)
		*out = !strcmp(scheme, only);
	else if (!schemes || !truth_python(schemes))
		*out = true;
	else if (schemes->type == VAL_STR)
		*out = strstr(schemes->u.s.ptr, scheme) != NULL;
	else
		*out = template_list_has(schemes, u.scheme, false);
	if (url && *out)
		*out = u.netloc->u.s.len || !strcmp(scheme, "file");
	url_split_release(&u);
	return 0;
}

static int t_uri(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return uri_test(out, in, a, NULL, false);
}

static int t_url(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return uri_test(out, in, a, NULL, true);
}

static int t_urn(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return uri_test(out, in, a, "urn", false);
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "urldecode", f_urldecode, 0 },
	{ "urlsplit", f_urlsplit, 0 },
};

static const struct ttest tests[] = {
	{ "uri", t_uri, 0 },
	{ "url", t_url, 0 },
	{ "urn", t_urn, 0 },
};

const struct filter_family filter_url_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
	.tests = tests,
	.ntests = ARRAY_SIZE(tests),
};
