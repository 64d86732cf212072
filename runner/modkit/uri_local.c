#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/net/http.h"
#include "tend/modkit/module.h"
#include "tend/modkit/taskenv.h"
#include "tend/modkit/uri.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * uri on the controller: the request sent by tend itself through
 * libcurl (net/http.c), the body streamed into a temp file beside dest
 * and kept in memory only when the result needs it (modkit/uri.h).
 */

/* `path` on the controller, a leading "~/" as $HOME (expanduser). */
static void local_path(struct buf *out, const char *path)
{
	const char *home = getenv("HOME");

	if (!strncmp(path, "~/", 2) && home) {
		buf_adds(out, home);
		buf_adds(out, path + 1);
	} else {
		buf_adds(out, path);
	}
}

/* Where a controller request's body goes (http_opts.sink). */
struct sink {
	const struct uri_req *req;
	struct uri_reply *rep;
	bool decided, keep;
	const char *dir;   /* dest's directory: the body is written there */
	int fd;
	char *tmp;         /* the temp file in it */
};

static struct val *headers_val(const struct http_response *resp)
{
	struct val *l = val_list();

	for (size_t i = 0; i < resp->header_nr; i++) {
		struct val *pair = val_list();

		val_list_push(pair, val_str(resp->headers[i].name));
		val_list_push(pair, val_str(resp->headers[i].value));
		val_list_push(l, pair);
	}
	return l;
}


static int sink_open(struct sink *k)
{
	struct buf t = BUF_INIT;

	buf_addf(&t, "%s/.tend-uri-XXXXXX", k->dir);
	if ((k->fd = mkstemp(t.ptr)) < 0) {
		int error = tend_error_set("cannot write into '%s': %s", k->dir,
					   strerror(errno));

		buf_release(&t);
		return error;
	}
	k->tmp = buf_detach(&t, NULL);
	return 0;
}

/* Decide at the first piece what to keep; then keep and write it. */
static int sink_piece(const char *data, size_t len,
		      const struct http_response *resp, void *payload)
{
	struct sink *k = payload;

	if (!k->decided) {
		struct val *h = headers_val(resp);

		k->decided = true;
		k->keep = uri_reply_needs_body(k->req, resp->status, h);
		val_unref(h);
		if (k->dir && uri_writes_dest(k->req, resp->status) &&
		    sink_open(k) < 0)
			return -1;
	}
	if (k->keep) {
		buf_add(&k->rep->body, data, len);
		k->rep->body_known = true;
	}
	while (k->tmp && len) {
		ssize_t n = write(k->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tend_error_set("cannot write '%s': %s", k->tmp,
					      strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The words Python's urllib gives a request that got no answer. */
static char *fail_words(enum http_fail f, bool unix_socket)
{
	const char *w;

	switch (f) {
	case HTTP_FAIL_RESOLVE:
		w = "Request failed: <urlopen error [Errno -2] Name or service "
		    "not known>";
		break;
	case HTTP_FAIL_CONNECT:
		w = unix_socket ? "Request failed: <urlopen error [Errno 2] No "
		    "such file or directory>" : "Request failed: <urlopen "
		    "error [Errno 111] Connection refused>";
		break;
	case HTTP_FAIL_CONNECT_TIMEOUT:
		w = "Request failed: <urlopen error timed out>";
		break;
	case HTTP_FAIL_TIMEOUT:
		w = "Connection failure: timed out";
		break;
	case HTTP_FAIL_DEADLINE:
		/* the engine reports the task's timeout in Ansible's words */
		w = "Request failed: the task's timeout ran out";
		break;
	default:
		return NULL;
	}
	return xstrdup(w);
}

/*
 * The request's options from its args, and from the task's keywords
 * (taskenv.h): the proxy of its environment, the end of its timeout.
 */
static void controller_opts(struct http_opts *o, struct taskenv_proxy *proxy,
			    const struct uri_req *req,
			    const struct task_ctx *ctx)
{
	o->retries = -1;
	o->follow = req->follow;
	o->unredirected = req->unredirected;
	o->idle_timeout_ms = req->timeout > 0 ? req->timeout * 1000 : 30000;
	o->insecure = !req->validate_certs;
	o->ca_file = req->ca_path;
	o->client_cert = req->client_cert;
	o->client_key = req->client_key;
	o->unix_socket = req->unix_socket;
	o->no_proxy = !req->use_proxy;
	o->proxy_env = taskenv_proxy(proxy, ctx);
	o->max_ms = taskenv_time_left_ms(ctx);
	o->user_agent = req->agent;
	o->python_headers = true;
	o->cookies = true;
	o->all_headers = true;
	if (req->user && !req->force_basic_auth) {
		o->username = req->user;
		o->password = req->password;
		o->auth_on_challenge = true;
	}
}

/*
 * If-Modified-Since of an existing dest file (Ansible's last_mod_time),
 * as Python's rfc2822_date_string writes it; NULL when none.
 */
static char *if_modified_since(const char *dest)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					     "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct buf p = BUF_INIT, h = BUF_INIT;
	struct stat st;
	struct tm tm;

	local_path(&p, dest);
	if (stat(p.ptr, &st) || !S_ISREG(st.st_mode) ||
	    !gmtime_r(&st.st_mtime, &tm)) {
		buf_release(&p);
		return NULL;
	}
	buf_addf(&h, "If-Modified-Since: %s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	buf_release(&p);
	return buf_detach(&h, NULL);
}

/* The answer's own parts into the reply. */
static void controller_answer(struct uri_reply *rep,
			      const struct http_response *resp)
{
	rep->status = resp->status;
	rep->reason = xstrdup(resp->reason ? resp->reason : "");
	val_unref(rep->headers);
	rep->headers = headers_val(resp);
	rep->redirects = resp->redirects;
	rep->too_many_redirects = resp->too_many_redirects;
	val_unref(rep->cookies);
	rep->cookies = http_cookies(resp->cookie_jar.ptr, resp->cookie_jar.len);
}

int uri_local_request(struct uri_reply *rep, char **tmp,
		      const struct uri_req *req, const char *dir,
		      const struct task_ctx *ctx)
{
	struct http_opts o = HTTP_OPTS_INIT;
	struct taskenv_proxy proxy = TASKENV_PROXY_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request hr = { 0 };
	struct sink k = { .req = req, .rep = rep, .dir = dir, .fd = -1 };
	const char **lines = NULL;
	char *ims = dir ? if_modified_since(req->dest) : NULL;
	size_t n = val_len(req->headers);
	int error = 0;

	controller_opts(&o, &proxy, req, ctx);
	o.sink = sink_piece;
	o.sink_payload = &k;
	lines = xcalloc(n + 2, sizeof(*lines));
	for (size_t i = 0; i < n; i++)
		lines[i] = val_cstr(val_list_at(req->headers, i));
	lines[n] = ims;
	hr.method = req->method;
	hr.url = req->bare_url;
	hr.headers = lines;
	hr.body = req->has_body ? req->body.ptr : NULL;
	hr.body_len = req->body.len;
	hr.opts = &o;
	if (http_request(&resp, &hr) < 0 && resp.fail == HTTP_FAIL_NONE) {
		error = -1; /* the sink's: dest cannot be written */
	} else if (resp.fail != HTTP_FAIL_NONE) {
		if (!(rep->error = fail_words(resp.fail, req->unix_socket))) {
			/* libcurl's words, which quote no credential */
			struct buf m = BUF_INIT;

			buf_addf(&m, "Request failed: <urlopen error %s>",
				 resp.why ? resp.why : "the request failed");
			rep->error = buf_detach(&m, NULL);
		}
		tend_error_clear();
		rep->status = -1;
	} else {
		controller_answer(rep, &resp);
		free(rep->url);
		rep->url = xstrdup(resp.redirects && resp.effective_url ?
				   resp.effective_url : req->bare_url);
		/* an empty body to write still makes the file */
		if (dir && !k.tmp && uri_writes_dest(req, rep->status))
			error = sink_open(&k);
	}
	if (k.fd >= 0 && close(k.fd) < 0 && !error)
		error = tend_error_set("cannot write '%s': %s", k.tmp,
				       strerror(errno));
	*tmp = k.tmp;
	free(lines);
	free(ims);
	taskenv_proxy_release(&proxy);
	http_response_release(&resp);
	return error;
}


char *uri_local_skip(const struct uri_req *req)
{
	struct buf p = BUF_INIT, m = BUF_INIT;
	struct stat st;

	if (req->creates) {
		local_path(&p, req->creates);
		if (!stat(p.ptr, &st))
			buf_addf(&m, "skipped, since '%s' exists", p.ptr);
	}
	if (!m.len && req->removes) {
		buf_reset(&p);
		local_path(&p, req->removes);
		if (stat(p.ptr, &st))
			buf_addf(&m, "skipped, since '%s' does not exist",
				 p.ptr);
	}
	buf_release(&p);
	return m.len ? buf_detach(&m, NULL) : (buf_release(&m), NULL);
}

void uri_local_dest_dir(struct buf *dir, bool *is_dir, const char *dest)
{
	struct stat st;
	char *slash;

	local_path(dir, dest);
	*is_dir = !stat(dir->ptr, &st) && S_ISDIR(st.st_mode);
	if (*is_dir)
		return;
	if (!(slash = strrchr(dir->ptr, '/')))
		buf_sets(dir, ".");
	else
		buf_setlen(dir, slash == dir->ptr ? 1 :
			   (size_t)(slash - dir->ptr));
}
