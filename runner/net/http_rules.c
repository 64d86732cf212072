#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/net/http_rules.h"

#include <strings.h>

static bool is_redirect(long code)
{
	return code == 301 || code == 302 || code == 303 || code == 307 ||
	       code == 308;
}

static bool get_or_head(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

enum http_follow http_follow_of(const char *s, enum http_follow def)
{
	if (!s)
		return def;
	if (!strcmp(s, "urllib2"))
		return HTTP_FOLLOW_URLLIB;
	if (!strcmp(s, "all") || !strcmp(s, "yes"))
		return HTTP_FOLLOW_ALL;
	if (!strcmp(s, "safe"))
		return HTTP_FOLLOW_SAFE;
	return HTTP_FOLLOW_NONE;
}

bool http_follow_next(enum http_follow f, long code, const char *method,
		      const char **next_method, bool *keep_body)
{
	if (!is_redirect(code) || f == HTTP_FOLLOW_NONE)
		return false;
	if (f == HTTP_FOLLOW_URLLIB) {
		/* urllib's own redirect_request: a new GET, no body */
		if (!get_or_head(method) &&
		    !(code <= 303 && !strcmp(method, "POST")))
			return false;
		*next_method = "GET";
		*keep_body = false;
		return true;
	}
	if (f == HTTP_FOLLOW_SAFE && !get_or_head(method))
		return false;
	*next_method = method;
	*keep_body = code == 307 || code == 308;
	if (*keep_body)
		return true;
	/* what browsers do, and Ansible's handler after them */
	if ((code == 303 || code == 302) && strcmp(method, "HEAD"))
		*next_method = "GET";
	if (code == 301 && !strcmp(method, "POST"))
		*next_method = "GET";
	return true;
}

static bool part_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(p, word, n);
}

bool http_header_is_secret(const char *name, size_t len)
{
	static const char *const whole[] = { "authorization",
		"proxy-authorization", "cookie", "set-cookie", "cookie2",
		"set-cookie2" };
	static const char *const parts[] = { "token", "secret", "key",
		"password", "passwd", "auth", "apikey", "credentials" };

	for (size_t i = 0; i < ARRAY_SIZE(whole); i++)
		if (part_is(name, len, whole[i]))
			return true;
	for (size_t at = 0; at < len;) {
		size_t n = 0;

		while (at + n < len && name[at + n] != '-' &&
		       name[at + n] != '_')
			n++;
		for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
			if (part_is(name + at, n, parts[i]))
				return true;
		at += n + 1;
	}
	return false;
}

struct val *http_headers_secret(struct val *h)
{
	struct val *out = NULL;

	for (size_t i = 0; val_is(h, VAL_DICT) && i < h->u.dict.nr; i++) {
		const char *k = h->u.dict.items[i].key;

		if (!http_header_is_secret(k, strlen(k)))
			continue;
		if (!out)
			out = val_copy(h);
		val_dict_set(out, k, val_secret(val_ref(out->u.dict.items[i].v)));
	}
	if (!out)
		return h;
	val_unref(h);
	return out;
}

struct cookie {
	const char *domain, *path, *name, *value;
	size_t dlen, plen, nlen, vlen;
};

static int cmp_part(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : al < bl ? -1 : al > bl;
}

static int cookie_order(const void *x, const void *y)
{
	const struct cookie *a = x, *b = y;
	int c;

	if ((c = cmp_part(a->domain, a->dlen, b->domain, b->dlen)) ||
	    (c = cmp_part(a->path, a->plen, b->path, b->plen)))
		return c;
	return cmp_part(a->name, a->nlen, b->name, b->nlen);
}

/* One jar line's seven tab-separated fields into c; false if not one. */
static bool cookie_line(struct cookie *c, const char *l, size_t len)
{
	const char *f[7];
	size_t fl[7], n = 0;
	const char *p = l, *end = l + len;

	if (len > 10 && !strncmp(l, "#HttpOnly_", 10)) {
		p += 10;
	} else if (!len || *l == '#') {
		return false;
	}
	while (n < 7) {
		const char *tab = n < 6 ? memchr(p, '\t', (size_t)(end - p)) :
			NULL;

		f[n] = p;
		fl[n] = (size_t)((tab ? tab : end) - p);
		n++;
		if (!tab)
			break;
		p = tab + 1;
	}
	if (n != 7)
		return false;
	c->domain = f[0];
	c->dlen = fl[0];
	c->path = f[2];
	c->plen = fl[2];
	c->name = f[5];
	c->nlen = fl[5];
	c->value = f[6];
	c->vlen = fl[6];
	return true;
}

struct val *http_cookies(const char *jar, size_t len)
{
	struct cookie *all = NULL;
	size_t nr = 0, alloc = 0;
	struct val *out = val_list();
	const char *p = jar, *end = jar + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		struct cookie c;

		if (l && p[l - 1] == '\r')
			l--;
		if (cookie_line(&c, p, l)) {
			ALLOC_GROW(all, nr + 1, alloc);
			all[nr++] = c;
		}
		p = nl ? nl + 1 : end;
	}
	if (nr)
		qsort(all, nr, sizeof(*all), cookie_order);
	for (size_t i = 0; i < nr; i++) {
		struct val *pair = val_list();

		val_list_push(pair, val_strn(all[i].name, all[i].nlen));
		val_list_push(pair, val_strn(all[i].value, all[i].vlen));
		val_list_push(out, pair);
	}
	free(all);
	return out;
}

/* Where the authority of `url` starts and ends; false if it has none. */
static bool authority(const char *url, const char **start, const char **end)
{
	const char *p = strstr(url, "://");

	if (!p || strcspn(url, "/?#") < (size_t)(p - url))
		return false;
	*start = p + 3;
	*end = *start + strcspn(*start, "/?#");
	return true;
}

/*
 * Append the query (and fragment) `q`, the value of each parameter
 * whose name reads as a credential (token=, api_key=) as ********.
 */
static void add_query(struct buf *out, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&#"), k = strcspn(q, "=&#");

		buf_add(out, q, k < n ? k + 1 : n);
		if (k < n && q[k] == '=')
			buf_adds(out, http_header_is_secret(q, k) ? "********" :
				 "");
		if (k < n && !http_header_is_secret(q, k))
			buf_add(out, q + k + 1, n - k - 1);
		q += n;
		if (*q == '#') {
			buf_adds(out, q);
			return;
		}
		if (*q)
			buf_addch(out, *q++);
	}
}

void http_url_display(struct buf *out, const char *url)
{
	const char *a, *e, *at, *colon, *q = strchr(url, '?');
	size_t before = q ? (size_t)(q - url) : strlen(url);

	if (!authority(url, &a, &e) ||
	    !(at = memrchr(a, '@', (size_t)(e - a)))) {
		buf_add(out, url, before);
	} else {
		colon = memchr(a, ':', (size_t)(at - a));
		buf_add(out, url, (size_t)((colon ? colon : at) - url));
		buf_add(out, at, before - (size_t)(at - url));
	}
	if (q) {
		buf_addch(out, '?');
		add_query(out, q + 1);
	}
}

bool http_url_userinfo(struct buf *bare, char **user, char **password,
		       const char *url)
{
	const char *a, *e, *at, *colon;

	*user = *password = NULL;
	/* urlparse's netloc.split('@', 1): the first '@' */
	if (!authority(url, &a, &e) ||
	    !(at = memchr(a, '@', (size_t)(e - a)))) {
		buf_adds(bare, url);
		return false;
	}
	colon = memchr(a, ':', (size_t)(at - a));
	*user = xstrndup(a, (size_t)((colon ? colon : at) - a));
	*password = colon ? xstrndup(colon + 1, (size_t)(at - colon - 1)) :
		xstrdup("");
	buf_add(bare, url, (size_t)(a - url));
	buf_adds(bare, at + 1);
	return true;
}
