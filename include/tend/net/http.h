#ifndef TEND_HTTP_H
#define TEND_HTTP_H

/*
 * HTTP: the one libcurl wrapper through which tend talks to APIs (window
 * providers, cloud providers).
 *
 * Every request has a timeout, is retried with exponential backoff when
 * the server could not be reached or answered 429 or 5xx (a Retry-After
 * of a 429 is honoured, capped at 30 s), verifies TLS peers and host
 * names, and speaks only http and https (no redirects to file:// or
 * anything else). Header lines may carry secrets (Authorization): the
 * copies made for libcurl are wiped before they are freed.
 *
 * Safe to call from several threads at once: each call has its own
 * handle; libcurl's global set-up runs once.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"

struct http_opts {
	long timeout_ms;     /* whole request; 0: 10000 */
	int retries;         /* extra attempts; < 0: none; 0: the default, 2 */
	long backoff_ms;     /* first pause between attempts (doubles); 0: 250 */
	const char *ca_file; /* CA bundle to trust instead of the system's */
	bool secret_url;     /* the URL holds a secret (a webhook URL):
				messages show only its scheme and host */
	/* Downloads (get_url): all off/NULL by default. */
	bool follow_redirects; /* follow up to 20, to http/https only */
	bool insecure;       /* no TLS peer or host name verification */
	long long if_modified_since; /* send If-Modified-Since (epoch s); 0: no */
	const char *username, *password; /* basic auth; never shown */
	const char *user_agent; /* NULL: tend/VERSION */
};
#define HTTP_OPTS_INIT { 0, 0, 0, NULL, false, false, false, 0, NULL, NULL, NULL }

struct http_request {
	const char *method;          /* "GET", "POST", "PUT", "DELETE" */
	const char *url;
	const char *const *headers;  /* NULL-terminated "Name: value", or NULL */
	const char *body;            /* NULL: no body */
	size_t body_len;
	const struct http_opts *opts; /* NULL: defaults */
};

struct http_response {
	long status;                 /* HTTP status of the last attempt */
	struct buf body;
	char *retry_after;           /* Retry-After header, or NULL */
	/* Of the last response (after redirects), or NULL: */
	char *reason;                /* the status line's reason phrase */
	char *content_disposition;   /* Content-Disposition */
	char *content_length;        /* Content-Length */
	char *effective_url;         /* the URL that answered */
};
#define HTTP_RESPONSE_INIT { 0, BUF_INIT, NULL, NULL, NULL, NULL, NULL }

/*
 * Send `req`, retrying as described above. Returns 0 when the server
 * answered, whatever the status (check out->status), or -1 with the error
 * set ("cannot reach 'URL': reason") when no attempt got an answer.
 * `out` must be initialised; release it with http_response_release.
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

/* Append `s` percent-encoded for a URL query or path segment. */
void http_escape(struct buf *out, const char *s);

#endif
