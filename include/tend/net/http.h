#ifndef TEND_HTTP_H
#define TEND_HTTP_H

/*
 * HTTP: the one libcurl wrapper through which tend talks to APIs (window
 * providers, cloud providers) and fetches for modules (get_url, uri).
 *
 * Every request has a timeout, is retried with exponential backoff when
 * the server could not be reached or answered 429 or 5xx (a Retry-After
 * of a 429 is honoured, capped at 30 s), verifies TLS peers and host
 * names, and speaks only http and https (no redirects to file:// or
 * anything else). Header lines may carry secrets (Authorization): the
 * copies made for libcurl are wiped before they are freed, and no
 * message ever quotes a header, a password or a URL's query string.
 *
 * Safe to call from several threads at once: each call has its own
 * handle; libcurl's global set-up runs once.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/net/http_rules.h"

struct http_response;

/*
 * A request's proxy variables, as a task's environment gives them over
 * the process's (modkit/netenv.h builds it): libcurl would read them
 * from the process's environment, which every thread shares and tend
 * never changes. Each is the value of the variable curl reads, or NULL
 * when unset; an empty value means no proxy (or, for `no`, none to
 * bypass). Values may hold credentials: never shown.
 */
struct http_proxy_env {
	const char *http;    /* http_proxy (lower case only, as curl) */
	const char *https;   /* https_proxy, else HTTPS_PROXY */
	const char *all;     /* all_proxy, else ALL_PROXY: for a scheme
				without its own */
	const char *no;      /* no_proxy, else NO_PROXY: host names
				(".domain", "*") that go direct */
};

struct http_opts {
	long timeout_ms;     /* whole request; 0: 10000 */
	int retries;         /* extra attempts; < 0: none; 0: the default, 2 */
	long backoff_ms;     /* first pause between attempts (doubles); 0: 250 */
	const char *ca_file; /* CA bundle to trust instead of the system's */
	bool secret_url;     /* the URL holds a secret (a webhook URL):
				messages show only its scheme and host */
	/* Downloads (get_url, uri): all off/NULL by default. */
	bool follow_redirects; /* libcurl follows up to 20, to http/https
				  only (GET; see `follow` for uri's rules) */
	bool insecure;       /* no TLS peer or host name verification */
	long long if_modified_since; /* send If-Modified-Since (epoch s); 0: no */
	const char *username, *password; /* basic auth; never shown */
	/*
	 * Without a username: the credentials a netrc file gives for the
	 * URL's host (its `default` else), sent as Basic auth at once, as
	 * Python's netrc and Ansible's open_url use them: $NETRC, else
	 * ~/.netrc; none is fine.
	 */
	bool netrc;
	const char *user_agent; /* NULL: tend/VERSION */
	/* uri: all off/NULL by default. */
	enum http_follow follow; /* with follow_redirects off (http_rules.h) */
	/* header names (any case) not sent again after a redirect */
	const char *const *unredirected;
	/*
	 * A socket timeout instead of timeout_ms: the connection must be
	 * made, and some byte must come, within this long (Python's socket
	 * timeout, which Ansible's `timeout` is); 0: unused.
	 */
	long idle_timeout_ms;
	/* credentials only once a 401 asks, with its scheme (Basic, Digest) */
	bool auth_on_challenge;
	const char *unix_socket; /* connect to this socket, not the URL's host */
	const char *client_cert; /* PEM certificate for TLS client auth (may
				    hold the key too) */
	const char *client_key;  /* its PEM private key (a path; the key is
				    never read by tend) */
	bool no_proxy;           /* ignore the environment's proxies */
	/*
	 * The proxy of each hop from these (by its URL's scheme) instead of
	 * the process's environment; NULL: libcurl reads that itself.
	 * no_proxy wins over it.
	 */
	const struct http_proxy_env *proxy_env;
	/*
	 * The whole request, redirects and retries included, ends within
	 * this long whatever the other timeouts say (a task's `timeout:`),
	 * failing with HTTP_FAIL_DEADLINE; 0: unused.
	 */
	long max_ms;
	/*
	 * The request as Python's urllib sends it: HTTP/1.1, no Accept,
	 * Accept-Encoding: identity, no Expect, no Content-Type without a
	 * body, Content-Length: 0 for a POST, PUT or PATCH without one
	 * (the caller's own headers win).
	 */
	bool python_headers;
	bool cookies;            /* keep cookies across hops; the jar is in
				    http_response.cookie_jar */
	bool all_headers;        /* http_response.headers: every header of
				    the last answer */
	/*
	 * Where the body of the last answer goes: NULL, http_response.body
	 * (whole); else each piece goes to sink, with the answer's status
	 * and headers already in `resp`, and is not kept: a large body
	 * never sits in memory. Bodies of followed redirects and of 401s
	 * answered with credentials are dropped. With a sink there are no
	 * retries (the body would come twice). Return < 0 with the error
	 * set to stop the request: http_request then returns that error.
	 */
	int (*sink)(const char *data, size_t len,
		    const struct http_response *resp, void *payload);
	void *sink_payload;
};
#define HTTP_OPTS_INIT { 0 }

struct http_request {
	const char *method;          /* "GET", "POST", "PUT", "DELETE" ... */
	const char *url;
	const char *const *headers;  /* NULL-terminated "Name: value", or NULL */
	const char *body;            /* NULL: no body */
	size_t body_len;
	const struct http_opts *opts; /* NULL: defaults */
};

/* A response header as the server sent it (name's case kept). */
struct http_header {
	char *name;
	char *value;                 /* trimmed */
};

/* Why no answer came (http_response.fail), for messages like Python's. */
enum http_fail {
	HTTP_FAIL_NONE,
	HTTP_FAIL_RESOLVE,           /* the host name is unknown */
	HTTP_FAIL_CONNECT,           /* refused, unreachable, no socket */
	HTTP_FAIL_CONNECT_TIMEOUT,   /* no connection in time */
	HTTP_FAIL_TIMEOUT,           /* connected, then silence too long */
	HTTP_FAIL_TLS,               /* handshake or verification */
	HTTP_FAIL_DEADLINE,          /* opts->max_ms ran out */
	HTTP_FAIL_OTHER,
};

struct http_response {
	long status;                 /* HTTP status of the last attempt */
	struct buf body;             /* (empty with a sink) */
	char *retry_after;           /* Retry-After header, or NULL */
	/* Of the last response (after redirects), or NULL: */
	char *reason;                /* the status line's reason phrase */
	char *content_disposition;   /* Content-Disposition */
	char *content_length;        /* Content-Length */
	char *effective_url;         /* the URL that answered */
	/* With opts->all_headers, the last answer's headers in order: */
	struct http_header *headers;
	size_t header_nr, header_alloc;
	/* With opts->cookies: the jar in Netscape format (libcurl's) */
	struct buf cookie_jar;
	int redirects;               /* redirects followed (opts->follow) */
	bool too_many_redirects;     /* the last 3xx was not followed: the
					limit (10, urllib's) was reached */
	enum http_fail fail;         /* when http_request returned < 0 */
	char *why;                   /* then libcurl's words (no URL in them) */
};
#define HTTP_RESPONSE_INIT { 0, BUF_INIT, NULL, NULL, NULL, NULL, NULL, \
			     NULL, 0, 0, BUF_INIT, 0, false, HTTP_FAIL_NONE, \
			     NULL }

/*
 * Send `req`, retrying as described above. Returns 0 when the server
 * answered, whatever the status (check out->status), or -1 with the error
 * set ("cannot reach 'URL': reason") and out->fail when no attempt got an
 * answer, or the sink's error. `out` must be initialised; release it
 * with http_response_release (its cookie jar is wiped).
 */
int http_request(struct http_response *out, const struct http_request *req);

void http_response_release(struct http_response *r);

/*
 * JSON convenience: send `body` (NULL: none) as JSON with `method` to
 * `url`, with `headers` added to Content-Type and Accept, and parse the
 * answer. A status outside 200-299 is an error: "METHOD URL: HTTP 500:
 * <start of the body>". *out (may be NULL: the answer is dropped) gets a
 * new reference to the parsed answer, or null when it was empty.
 *
 * The URL in messages is shown without its query string, so that tokens
 * in a URL never reach a log.
 */
int http_json(struct val **out, const char *method, const char *url,
	      const struct val *body, const char *const *headers,
	      const struct http_opts *opts);

/*
 * Resolve `location` (a redirect's Location, maybe relative) against
 * `base` as RFC 3986 says, appending the absolute URL to `out`. Returns
 * 0, or -1 with the error set when either cannot be parsed.
 */
int http_url_resolve(struct buf *out, const char *base, const char *location);

/* Append `s` percent-encoded for a URL query or path segment. */
void http_escape(struct buf *out, const char *s);

#endif
