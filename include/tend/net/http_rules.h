#ifndef TEND_HTTP_RULES_H
#define TEND_HTTP_RULES_H

/*
 * What HTTP means beyond moving bytes, shared by the controller's
 * requests (http.c, libcurl) and the requests modules make on a host
 * with its curl or wget: which redirects are followed and how, which
 * headers carry credentials, the cookies of a jar, and URLs as messages
 * may show them. Pure functions: no I/O.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

/*
 * How redirects are followed: as Ansible's uri does (Python's urllib
 * under Ansible's RedirectHandler). Only 301, 302, 303, 307 and 308
 * with a Location are followed, at most HTTP_MAX_REDIRECTS in a row.
 */
enum http_follow {
	HTTP_FOLLOW_NONE,   /* a 3xx is the answer */
	HTTP_FOLLOW_SAFE,   /* for GET and HEAD only */
	HTTP_FOLLOW_ALL,    /* for every method */
	HTTP_FOLLOW_URLLIB, /* urllib's own rules: GET/HEAD, and POST on
			       301/302/303; the next request is a GET */
};

/*
 * Ansible's follow_redirects words: urllib2 (urllib's own rules), all or
 * yes, safe, and none, no or anything else; `def` when s is NULL.
 */
enum http_follow http_follow_of(const char *s, enum http_follow def);

/* urllib's HTTPRedirectHandler.max_redirections */
#define HTTP_MAX_REDIRECTS 10

/*
 * Whether an answer `code` to `method` is followed under `f`. When it
 * is, *next_method is the method of the next request (`method` itself,
 * or "GET") and *keep_body says whether the body and its
 * Content-Length, Content-Type and Transfer-Encoding headers go with it
 * (307 and 308 keep them).
 */
bool http_follow_next(enum http_follow f, long code, const char *method,
		      const char **next_method, bool *keep_body);

/*
 * Whether a header carries credentials: Authorization,
 * Proxy-Authorization, Cookie, Set-Cookie, and any name (any case) with
 * a part "token", "secret", "key", "password" or "auth" between dashes
 * (X-Auth-Token, X-Api-Key, X-Vault-Token, Private-Token). The values
 * of such headers are secret, in requests and in answers. `name` is
 * `len` bytes (no NUL needed).
 */
bool http_header_is_secret(const char *name, size_t len);

/*
 * Take the reference of `headers` (a dict of name: value) and return
 * one whose credential headers' values are flagged VAL_F_SECRET (a
 * copy when any is; anything else is returned as it is).
 */
struct val *http_headers_secret(struct val *headers);

/*
 * The cookies of a Netscape-format jar (libcurl's, curl's -c, wget's
 * --save-cookies) in the order Python's cookiejar iterates them: by
 * domain, then path, then name. A new list of [name, value] lists
 * (strings); lines that are not cookies are skipped.
 */
struct val *http_cookies(const char *jar, size_t len);

/*
 * Append `url` without the password of its user:password@ part
 * ("http://user@host/..."), and with the values of query parameters
 * named as credentials are ("?token=********&page=2"), for plans and
 * messages.
 */
void http_url_display(struct buf *out, const char *url);

/*
 * The user:password@ part of a URL as Ansible's open_url reads it (split
 * at the first ':', not percent-decoded; *user and *password new
 * strings, a missing password ""), and `url` without it appended to
 * `bare`. Returns whether it had one (else `bare` gets `url` whole and
 * *user, *password are NULL).
 */
bool http_url_userinfo(struct buf *bare, char **user, char **password,
		       const char *url);

#endif
