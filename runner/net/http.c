#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/net/http.h"

#include <pthread.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_RETRIES 2
#define DEFAULT_BACKOFF_MS 250
#define MAX_RETRY_AFTER_MS 30000

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc;

static void http_global_init(void)
{
	http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * The URL without query string or credentials, for messages; only scheme
 * and host if the whole URL is a secret.
 */
static void url_for_message(struct buf *out, const char *url, bool secret)
{
	const char *q = strpbrk(url, "?#");
	const char *scheme = strstr(url, "://");
	const char *at;

	if (secret) {
		const char *host = scheme ? scheme + 3 : url;

		buf_add(out, url, (size_t)(host - url) + strcspn(host, "/?#"));
		buf_adds(out, "/...");
		return;
	}

	buf_add(out, url, q ? (size_t)(q - url) : strlen(url));
	/* drop user:password@ */
	if (scheme && (at = strchr(out->ptr, '@')) &&
	    at > out->ptr + (scheme - url)) {
		size_t start = (size_t)(scheme - url) + 3;
		size_t skip = (size_t)(at - out->ptr) + 1 - start;

		memmove(out->ptr + start, out->ptr + start + skip,
			out->len - start - skip + 1);
		out->len -= skip;
	}
}

/* The kind of failure, for callers that word it as Python would. */
static enum http_fail fail_kind(CURLcode code, CURL *h, bool deadline)
{
	curl_off_t connect = 0;

	if (deadline)
		return HTTP_FAIL_DEADLINE;
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return HTTP_FAIL_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return HTTP_FAIL_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect);
		return connect ? HTTP_FAIL_TIMEOUT : HTTP_FAIL_CONNECT_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return HTTP_FAIL_TLS;
	default:
		return HTTP_FAIL_OTHER;
	}
}

static int error_from_curl(CURLcode code, const char *errbuf, const char *url,
			   bool secret)
{
	struct buf u = BUF_INIT;
	int error;

	url_for_message(&u, url, secret);
	error = tend_error_set("cannot reach '%s': %s", u.ptr,
			       errbuf && *errbuf ? errbuf :
			       curl_easy_strerror(code));
	buf_release(&u);
	return error;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* What the callbacks of one request share. */
struct xfer {
	struct http_response *out;
	const struct http_opts *o;
	const char *method;          /* of the hop in flight */
	bool in_body;                /* the current answer's body has begun */
	bool drop;                   /* its body is not the caller's */
	bool location;               /* it has a Location header */
	bool challenge;              /* it asks for credentials libcurl has */
	int n401;                    /* 401s in this hop */
	long long last_us;           /* when a byte last came (idle timeout) */
	long long deadline_us;       /* opts->max_ms from the start, or 0 */
	bool deadline_hit;           /* the request stopped at it */
	int sink_error;              /* the sink failed: its code */
};

/*
 * Whether the answer whose headers just ended is passed over: a
 * redirect tend follows, or a 401 libcurl answers with credentials.
 */
static bool passed_over(const struct xfer *x)
{
	const char *next;
	bool keep;
	long s = x->out->status;

	/* libcurl asks again with credentials after the first 401 */
	if (s == 401 && x->o->username && x->o->auth_on_challenge &&
	    x->challenge && x->n401 == 1)
		return true;
	return x->location && x->o->follow != HTTP_FOLLOW_NONE &&
	       x->out->redirects < HTTP_MAX_REDIRECTS &&
	       http_follow_next(x->o->follow, s, x->method, &next, &keep);
}

static size_t write_body(char *data, size_t size, size_t nmemb, void *payload)
{
	struct xfer *x = payload;
	size_t n = size * nmemb;

	x->last_us = now_us();
	if (!x->in_body) {
		x->in_body = true;
		x->drop = passed_over(x);
	}
	if (x->drop)
		return n;
	if (!x->o->sink) {
		buf_add(&x->out->body, data, n);
		return n;
	}
	if ((x->sink_error = x->o->sink(data, n, x->out,
					 x->o->sink_payload)) < 0)
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	return n;
}

/* Set *slot to the trimmed value of header line `data` if it is `name`. */
static bool take_header(char **slot, const char *data, size_t n,
			const char *name)
{
	size_t len = strlen(name);
	struct buf v = BUF_INIT;

	if (n <= len || strncasecmp(data, name, len))
		return false;
	buf_add(&v, data + len, n - len);
	buf_trim(&v);
	free(*slot);
	*slot = buf_detach(&v, NULL);
	return true;
}

static void clear_headers(struct http_response *r)
{
	free(r->retry_after);
	free(r->reason);
	free(r->content_disposition);
	free(r->content_length);
	r->retry_after = r->reason = NULL;
	r->content_disposition = r->content_length = NULL;
	for (size_t i = 0; i < r->header_nr; i++) {
		/* a Set-Cookie's or a token's value */
		sodium_memzero(r->headers[i].value, strlen(r->headers[i].value));
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->header_nr = 0;
}

/* Keep "Name: value" (a continuation line joins the previous value). */
static void keep_header(struct http_response *r, const char *data, size_t n)
{
	const char *colon = memchr(data, ':', n);
	struct buf v = BUF_INIT;
	struct http_header *h;

	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n && (*data == ' ' || *data == '\t') && r->header_nr) {
		h = &r->headers[r->header_nr - 1];
		buf_adds(&v, h->value);
		buf_addch(&v, ' ');
		buf_add(&v, data, n);
		buf_trim(&v);
		free(h->value);
		h->value = buf_detach(&v, NULL);
		return;
	}
	if (!colon || colon == data)
		return;
	ALLOC_GROW(r->headers, r->header_nr + 1, r->header_alloc);
	h = &r->headers[r->header_nr++];
	h->name = xstrndup(data, (size_t)(colon - data));
	buf_add(&v, colon + 1, n - (size_t)(colon + 1 - data));
	buf_trim(&v);
	h->value = buf_detach(&v, NULL);
}

static size_t read_header(char *data, size_t size, size_t nmemb, void *payload)
{
	struct xfer *x = payload;
	struct http_response *r = x->out;
	size_t n = size * nmemb;

	x->last_us = now_us();
	if (n > 5 && !strncmp(data, "HTTP/", 5)) {
		/* a new response (a redirect's, or the last): "HTTP/1.1 200 OK" */
		const char *sp = memchr(data, ' ', n), *sp2;

		clear_headers(r);
		x->in_body = x->drop = x->location = x->challenge = false;
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		x->n401 += r->status == 401;
		if (sp && (sp2 = memchr(sp + 1, ' ', n - (size_t)(sp + 1 - data))))
			take_header(&r->reason, sp2, n - (size_t)(sp2 - data), "");
		else
			r->reason = xstrdup("");
		return n;
	}
	if (n >= 9 && !strncasecmp(data, "location:", 9))
		x->location = true;
	if (n >= 17 && !strncasecmp(data, "www-authenticate:", 17) &&
	    (strcasestr(data, "basic") || strcasestr(data, "digest")))
		x->challenge = true;
	if (x->o->all_headers)
		keep_header(r, data, n);
	if (!take_header(&r->retry_after, data, n, "retry-after:") &&
	    !take_header(&r->content_disposition, data, n,
			 "content-disposition:"))
		take_header(&r->content_length, data, n, "content-length:");
	return n;
}

/* Wipe the header copies (they may hold tokens) and free them. */
static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		sodium_memzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool retryable_status(long status)
{
	return status == 429 || (status >= 500 && status <= 599);
}

/* How long a Retry-After (seconds only) asks to wait, or -1. */
static long retry_after_ms(const char *v)
{
	char *end;
	long s;

	if (!v || !*v)
		return -1;
	s = strtol(v, &end, 10);
	if (*end || s < 0)
		return -1;
	return s * 1000 > MAX_RETRY_AFTER_MS ? MAX_RETRY_AFTER_MS : s * 1000;
}

/* The multi handle's own result for `h`. */
static CURLcode multi_result(CURLM *m)
{
	CURLcode rc = CURLE_OK;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	return rc;
}

/*
 * How long a transfer may still wait (µs): until the idle timeout counted
 * from the last byte, or the deadline, whichever comes first; <= 0: no
 * more (x->deadline_hit says which ran out).
 */
static long long time_left(struct xfer *x)
{
	long long now = now_us(), left = LLONG_MAX;

	if (x->o->idle_timeout_ms > 0)
		left = x->last_us + x->o->idle_timeout_ms * 1000LL - now;
	if (x->deadline_us && x->deadline_us - now < left) {
		left = x->deadline_us - now;
		x->deadline_hit = left <= 0;
	}
	return left;
}

/*
 * One transfer. With an idle timeout or a deadline it runs on a multi
 * handle, and silence is measured here from the last byte (or the
 * connection), and the request gives up once it lasted the whole
 * timeout, never sooner: Python's socket timeout. libcurl's low-speed
 * check counts in whole-second ticks and may give up a second late.
 */
static CURLcode perform(CURL *h, struct xfer *x)
{
	CURLcode rc = CURLE_OK;
	curl_off_t connected = 0;
	bool seen_connect = false;
	int running = 1;
	CURLM *m;

	if (x->o->idle_timeout_ms <= 0 && !x->deadline_us)
		return curl_easy_perform(h);
	if (!(m = curl_multi_init()))
		return CURLE_OUT_OF_MEMORY;
	curl_multi_add_handle(m, h);
	x->last_us = now_us();
	for (;;) {
		long long left;

		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = CURLE_RECV_ERROR;
			break;
		}
		if (!running) {
			rc = multi_result(m);
			break;
		}
		if (!seen_connect &&
		    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected) ==
		    CURLE_OK && connected > 0) {
			seen_connect = true;
			x->last_us = now_us();
		}
		left = time_left(x);
		if (left <= 0) {
			rc = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		/* in whole milliseconds, rounded up */
		left = (left + 999) / 1000;
		curl_multi_poll(m, NULL, 0, left < 100 ? (int)left : 100, NULL);
	}
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return rc;
}

/* Whether the "Name: value" lines hold a header `name` (any case). */
static bool has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; headers && headers[i]; i++)
		if (!strncasecmp(headers[i], name, n) && headers[i][n] == ':')
			return true;
	return false;
}

/* The name of header line `l` is one of `names` (any case). */
static bool named(const char *l, const char *const *names)
{
	size_t n = strcspn(l, ":");

	for (size_t i = 0; names && names[i]; i++)
		if (strlen(names[i]) == n && !strncasecmp(l, names[i], n))
			return true;
	return false;
}

static int add_line(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (!n)
		return tend_error_set("out of memory in libcurl");
	*l = n;
	return 0;
}

/* What one hop sends: its method, and whether the body goes with it. */
struct hop {
	const char *method;
	bool body;
	bool first;
};

/*
 * The header lines of a hop: the caller's (less the body's after a
 * redirect that drops it, and the unredirected ones after any), then
 * with python_headers what makes libcurl's request look like urllib's.
 */
static int hop_headers(struct curl_slist **out, const struct http_request *req,
		       const struct http_opts *o, const struct hop *hop)
{
	static const char *const body_headers[] = { "content-length",
		"content-type", "transfer-encoding", NULL };
	int error = 0;

	for (size_t i = 0; req->headers && req->headers[i] && !error; i++) {
		if (!hop->first && ((!hop->body &&
				     named(req->headers[i], body_headers)) ||
				    named(req->headers[i], o->unredirected)))
			continue;
		error = add_line(out, req->headers[i]);
	}
	if (error || !o->python_headers)
		return error;
	if (!has_header(req->headers, "accept"))
		error = add_line(out, "Accept:");
	if (!error && !has_header(req->headers, "accept-encoding"))
		error = add_line(out, "Accept-Encoding: identity");
	if (!error && !has_header(req->headers, "expect"))
		error = add_line(out, "Expect:");
	/* no body: no Content-Type (libcurl adds one to every POST) */
	if (!error && !(hop->body && req->body) &&
	    !has_header(req->headers, "content-type"))
		error = add_line(out, "Content-Type:");
	return error;
}

static bool expects_body(const char *method)
{
	return !strcmp(method, "POST") || !strcmp(method, "PUT") ||
	       !strcmp(method, "PATCH");
}

/* The method and body of a hop on the handle. */
static void set_method(CURL *h, const struct http_request *req,
		       const struct http_opts *o, const struct hop *hop)
{
	const char *m = hop->method;

	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	if (!strcmp(m, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		return;
	}
	if (hop->body && req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
	} else if (o->python_headers && expects_body(m)) {
		/* http.client sends Content-Length: 0 for these */
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	if (strcmp(m, "GET") && strcmp(m, "POST"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	else if (!strcmp(m, "GET") && hop->body && req->body)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "GET");
}

/* Join libcurl's cookie list into the response's jar text. */
static void take_cookies(struct http_response *out, CURL *h)
{
	struct curl_slist *l = NULL;

	if (curl_easy_getinfo(h, CURLINFO_COOKIELIST, &l) != CURLE_OK)
		return;
	buf_release_secret(&out->cookie_jar);
	for (struct curl_slist *p = l; p; p = p->next) {
		buf_adds(&out->cookie_jar, p->data);
		buf_addch(&out->cookie_jar, '\n');
		sodium_memzero(p->data, strlen(p->data));
	}
	curl_slist_free_all(l);
}

static void reset_answer(struct http_response *out)
{
	buf_reset(&out->body);
	clear_headers(out);
	free(out->effective_url);
	out->effective_url = NULL;
	out->status = 0;
	out->redirects = 0;
	out->too_many_redirects = false;
	out->fail = HTTP_FAIL_NONE;
}

/*
 * The proxy of a hop to `url` from opts->proxy_env, as libcurl picks one
 * from the environment: the scheme's variable, else all_proxy's; an empty
 * one or none is no proxy (CURLOPT_PROXY "": libcurl then reads no
 * variable), and no_proxy's list (none: every host through the proxy)
 * replaces NO_PROXY's.
 */
static void set_proxy(CURL *h, const struct http_opts *o, const char *url)
{
	const struct http_proxy_env *e = o->proxy_env;
	const char *p = NULL;

	if (!e || o->no_proxy)
		return;
	if (!strncasecmp(url, "https:", 6))
		p = e->https;
	else if (!strncasecmp(url, "http:", 5))
		p = e->http;
	if (!p)
		p = e->all;
	curl_easy_setopt(h, CURLOPT_PROXY, p ? p : "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, e->no ? e->no : "");
}

/*
 * One attempt: the request, and with opts->follow the redirects it
 * earns, one hop at a time on the same handle (so cookies carry).
 */
static int attempt(struct http_response *out, CURL *h, struct xfer *x,
		   const struct http_request *req, char *errbuf)
{
	const struct http_opts *o = x->o;
	struct hop hop = { req->method, true, true };
	struct curl_slist *headers = NULL;
	char *url = xstrdup(req->url), *next = NULL;
	int error = 0;

	reset_answer(out);
	for (;;) {
		const char *method;
		bool keep;
		CURLcode rc;

		free_headers(headers);
		headers = NULL;
		if ((error = hop_headers(&headers, req, o, &hop)) < 0)
			break;
		curl_easy_setopt(h, CURLOPT_URL, url);
		set_proxy(h, o, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		set_method(h, req, o, &hop);
		x->method = hop.method;
		x->in_body = x->drop = x->location = false;
		x->challenge = false;
		x->n401 = 0;
		errbuf[0] = '\0';
		rc = perform(h, x);
		if (x->sink_error < 0) {
			error = x->sink_error;
			break;
		}
		if (rc != CURLE_OK) {
			out->fail = fail_kind(rc, h, x->deadline_hit);
			free(out->why);
			out->why = xstrdup(*errbuf ? errbuf :
					   curl_easy_strerror(rc));
			error = error_from_curl(rc, errbuf, req->url,
						o->secret_url);
			break;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
		if (o->follow == HTTP_FOLLOW_NONE ||
		    !http_follow_next(o->follow, out->status, hop.method,
				      &method, &keep) ||
		    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &next) !=
		    CURLE_OK || !next)
			break;
		if (out->redirects >= HTTP_MAX_REDIRECTS) {
			out->too_many_redirects = true;
			break;
		}
		free(url);
		url = xstrdup(next);
		hop.method = method;
		hop.body = hop.body && keep;
		hop.first = false;
		out->redirects++;
	}
	if (!error) {
		char *eff = NULL;

		if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) ==
		    CURLE_OK && eff)
			out->effective_url = xstrdup(eff);
		if (o->cookies)
			take_cookies(out, h);
	}
	/* the handle must not keep a list freed here */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	free_headers(headers);
	free(url);
	return error;
}

/* The options only downloads use (see struct http_opts). */
static void set_download_opts(CURL *h, const struct http_opts *o)
{
	if (o->follow_redirects) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 20L);
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	}
	if (o->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->if_modified_since > 0) {
		curl_easy_setopt(h, CURLOPT_TIMECONDITION,
				 (long)CURL_TIMECOND_IFMODSINCE);
		curl_easy_setopt(h, CURLOPT_TIMEVALUE_LARGE,
				 (curl_off_t)o->if_modified_since);
	}
	if (o->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, o->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
				 o->password ? o->password : "");
		/* probe first, then the scheme the 401 names */
		if (o->auth_on_challenge)
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_ANY);
	} else if (o->netrc) {
		const char *file = getenv("NETRC");

		curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (file && *file)
			curl_easy_setopt(h, CURLOPT_NETRC_FILE, file);
	}
}

/* uri's options: sockets, client certificates, timeouts, cookies. */
static void set_uri_opts(CURL *h, const struct http_opts *o)
{
	if (o->unix_socket)
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	if (o->client_cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, o->client_cert);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (o->client_key) {
		curl_easy_setopt(h, CURLOPT_SSLKEY, o->client_key);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (o->idle_timeout_ms > 0) {
		/* perform() times the silence */
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				 o->idle_timeout_ms);
	}
	if (o->no_proxy)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (o->cookies)
		curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
	if (o->python_headers)
		/* urllib speaks HTTP/1.1 only: reason phrases, as it sees */
		curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
				 (long)CURL_HTTP_VERSION_1_1);
}

int http_request(struct http_response *out, const struct http_request *req)
{
	static const struct http_opts dflt = HTTP_OPTS_INIT;
	const struct http_opts *o = req->opts ? req->opts : &dflt;
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	int retries = o->retries < 0 || o->sink ? 0 : o->retries ?
		o->retries : DEFAULT_RETRIES;
	long backoff = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	struct xfer x = { .out = out, .o = o };
	long long start = now_us();
	char errbuf[CURL_ERROR_SIZE];
	CURL *h = NULL;
	int error = 0;

	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK)
		return tend_error_set("cannot initialise libcurl: %s",
				      curl_easy_strerror(http_global_rc));
	if (!(h = curl_easy_init()))
		return tend_error_set("cannot initialise libcurl");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout < 5000 ? timeout : 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_USERAGENT,
			 o->user_agent ? o->user_agent : "tend/" TEND_VERSION);
	set_download_opts(h, o);
	set_uri_opts(h, o);
	if (o->max_ms > 0)
		x.deadline_us = start + o->max_ms * 1000LL;

	for (int i = 0;; i++) {
		long wait;

		error = attempt(out, h, &x, req, errbuf);
		if (i >= retries || x.sink_error < 0)
			break;
		if (error == 0 && !retryable_status(out->status))
			break;
		wait = backoff << i;
		if (error == 0 && out->status == 429 &&
		    retry_after_ms(out->retry_after) > wait)
			wait = retry_after_ms(out->retry_after);
		/* no attempt that could only start past the deadline */
		if (x.deadline_us && now_us() + wait * 1000LL >= x.deadline_us)
			break;
		sleep_ms(wait);
	}
	curl_easy_cleanup(h);
	return error;
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	clear_headers(r);
	free(r->headers);
	r->headers = NULL;
	r->header_alloc = 0;
	buf_release_secret(&r->cookie_jar);
	free(r->why);
	r->why = NULL;
	free(r->effective_url);
	r->effective_url = NULL;
	r->status = 0;
}
int http_json(struct val **out, const char *method, const char *url,
	      const struct val *body, const char *const *headers,
	      const struct http_opts *opts)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf text = BUF_INIT, u = BUF_INIT;
	const char **all = NULL;
	size_t n = 0, alloc = 0;
	struct http_request req = { 0 };
	int error;

	ALLOC_GROW(all, 3, alloc);
	all[n++] = "Accept: application/json";
	if (body)
		all[n++] = "Content-Type: application/json";
	for (size_t i = 0; headers && headers[i]; i++) {
		ALLOC_GROW(all, n + 2, alloc);
		all[n++] = headers[i];
	}
	all[n] = NULL;
	if (body)
		val_to_json(&text, body, 0);
	req.method = method;
	req.url = url;
	req.headers = all;
	req.body = body ? text.ptr : NULL;
	req.body_len = text.len;
	req.opts = opts;
	if ((error = http_request(&resp, &req)) < 0)
		goto out;
	url_for_message(&u, url, opts && opts->secret_url);
	if (resp.status < 200 || resp.status > 299) {
		buf_trim(&resp.body);
		if (resp.body.len > 200)
			buf_setlen(&resp.body, 200);
		error = tend_error_set("%s '%s': HTTP %ld%s%s", method, u.ptr,
				       resp.status, resp.body.len ? ": " : "",
				       resp.body.ptr);
		goto out;
	}
	if (!out)
		goto out;
	buf_trim(&resp.body);
	if (!resp.body.len) {
		*out = val_null();
	} else if ((error = val_from_json(out, resp.body.ptr,
					  resp.body.len)) < 0) {
		tend_error_prefix("%s '%s': bad JSON in the answer", method,
				  u.ptr);
	}
out:
	free(all);
	buf_release(&text);
	buf_release(&u);
	http_response_release(&resp);
	return error;
}

int http_url_resolve(struct buf *out, const char *base, const char *location)
{
	CURLU *u = curl_url();
	char *abs = NULL;
	int error = 0;

	if (!u)
		return tend_error_set("out of memory in libcurl");
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location, CURLU_URLENCODE) !=
	    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK)
		error = tend_error_set("cannot follow a redirect to '%s'",
				       location);
	else
		buf_adds(out, abs);
	curl_free(abs);
	curl_url_cleanup(u);
	return error;
}

void http_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addch(out, *p);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[*p >> 4]);
			buf_addch(out, hex[*p & 15]);
		}
	}
}
