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

static size_t write_body(char *data, size_t size, size_t nmemb, void *payload)
{
	buf_add(payload, data, size * nmemb);
	return size * nmemb;
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
}

static size_t read_header(char *data, size_t size, size_t nmemb, void *payload)
{
	struct http_response *r = payload;
	size_t n = size * nmemb;

	if (n > 5 && !strncmp(data, "HTTP/", 5)) {
		/* a new response (a redirect's, or the last): "HTTP/1.1 200 OK" */
		const char *sp = memchr(data, ' ', n), *sp2;

		clear_headers(r);
		if (sp && (sp2 = memchr(sp + 1, ' ', n - (size_t)(sp + 1 - data))))
			take_header(&r->reason, sp2, n - (size_t)(sp2 - data), "");
		return n;
	}
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

static int attempt(struct http_response *out, CURL *h,
		   const struct http_request *req, bool secret, char *errbuf)
{
	CURLcode rc;

	char *url = NULL;

	buf_reset(&out->body);
	clear_headers(out);
	free(out->effective_url);
	out->effective_url = NULL;
	out->status = 0;
	errbuf[0] = '\0';
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		return error_from_curl(rc, errbuf, req->url, secret);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
		out->effective_url = xstrdup(url);
	return 0;
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
	}
}

int http_request(struct http_response *out, const struct http_request *req)
{
	static const struct http_opts dflt = HTTP_OPTS_INIT;
	const struct http_opts *o = req->opts ? req->opts : &dflt;
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	int retries = o->retries < 0 ? 0 : o->retries ? o->retries :
		DEFAULT_RETRIES;
	long backoff = o->backoff_ms > 0 ? o->backoff_ms : DEFAULT_BACKOFF_MS;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURL *h = NULL;
	int error = 0;

	pthread_once(&http_once, http_global_init);
	if (http_global_rc != CURLE_OK)
		return tend_error_set("cannot initialise libcurl: %s",
				      curl_easy_strerror(http_global_rc));
	if (!(h = curl_easy_init()))
		return tend_error_set("cannot initialise libcurl");
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		struct curl_slist *n = curl_slist_append(headers,
							 req->headers[i]);

		if (!n) {
			error = tend_error_set("out of memory in libcurl");
			goto out;
		}
		headers = n;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (!strcmp(req->method, "GET"))
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
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
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(h, CURLOPT_USERAGENT,
			 o->user_agent ? o->user_agent : "tend/" TEND_VERSION);
	set_download_opts(h, o);

	for (int i = 0;; i++) {
		long wait;

		error = attempt(out, h, req, o->secret_url, errbuf);
		if (i >= retries)
			break;
		if (error == 0 && !retryable_status(out->status))
			break;
		wait = backoff << i;
		if (error == 0 && out->status == 429 &&
		    retry_after_ms(out->retry_after) > wait)
			wait = retry_after_ms(out->retry_after);
		sleep_ms(wait);
	}
out:
	curl_easy_cleanup(h);
	free_headers(headers);
	return error;
}

void http_response_release(struct http_response *r)
{
	buf_release(&r->body);
	clear_headers(r);
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
