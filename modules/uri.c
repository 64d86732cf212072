#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/uri.h"
#include "tend/net/http.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <strings.h>
#include <time.h>

/*
 * uri: talk to a web service, as Ansible's uri does (its arguments,
 * result keys, failure messages and changed status: false, unless dest
 * was written).
 *
 * Where it runs: a task whose host is the controller (localhost,
 * connection: local, delegate_to: localhost) sends the request from tend
 * itself through libcurl (net/http.c), its body streamed to dest or
 * dropped when the result does not need it; any other host sends it with
 * its own curl, else GNU wget (modkit/uri_host.c), one script per
 * redirect hop; a host with neither is refused by name.
 *
 * Check: a GET or HEAD without dest is sent in a plan (read-only: the
 * answer is known to the plan, failure included); any other method
 * sends nothing and is unknown until apply; a dest download plans as a
 * change. creates/removes are tested first, in a plan too. At apply the
 * check only says "apply", and apply sends.
 */

static const char *const formats[] = { "form-urlencoded", "json", "raw",
				       "form-multipart", NULL };

static const struct arg_spec uri_args[] = {
	{ "url", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the URL (http or https; user:password@ in it is used as "
	  "credentials and never shown)" },
	{ "method", ARG_STR, 0, NULL, NULL, "GET",
	  "the HTTP method, one word (upper-cased)" },
	{ "body", ARG_ANY, 0, NULL, NULL, NULL,
	  "the request's body: a string as it is, or data encoded by "
	  "body_format" },
	{ "body_format", ARG_STR, 0, NULL, formats, "raw",
	  "json (data as JSON, Content-Type application/json), "
	  "form-urlencoded (a dict or list of pairs), raw; form-multipart "
	  "is not supported yet" },
	{ "headers", ARG_DICT, ARG_HEADERS, NULL, NULL, NULL,
	  "request headers; credential headers' values (Authorization, "
	  "Cookie, X-*-Token ...) are never shown" },
	{ "status_code", ARG_LIST, 0, NULL, NULL, "[200]",
	  "the statuses that mean success (an int or a list); any other "
	  "fails the task" },
	{ "return_content", ARG_BOOL, 0, NULL, NULL, "no",
	  "put the body in the result as `content` (a JSON body is always "
	  "in `json`)" },
	{ "timeout", ARG_INT, 0, NULL, NULL, "30",
	  "seconds to connect, and to wait for each piece of the answer" },
	{ "follow_redirects", ARG_STR, 0, NULL, NULL, "safe",
	  "all (yes), safe (GET and HEAD only), none (no), urllib2 "
	  "(Python's own rules)" },
	{ "url_username", ARG_STR, 0, "user", NULL, NULL,
	  "user for HTTP authentication (Basic or Digest, when the server "
	  "asks)" },
	{ "url_password", ARG_STR, ARG_SECRET, "password", NULL, NULL,
	  "its password (never shown)" },
	{ "force_basic_auth", ARG_BOOL, 0, NULL, NULL, "no",
	  "send Basic credentials with the first request" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "verify the server's TLS certificate" },
	{ "ca_path", ARG_PATH, 0, NULL, NULL, NULL,
	  "a PEM file of CA certificates to verify it with" },
	{ "client_cert", ARG_PATH, 0, NULL, NULL, NULL,
	  "a PEM certificate (chain) for TLS client authentication; may "
	  "hold the key too" },
	{ "client_key", ARG_PATH, 0, NULL, NULL, NULL,
	  "its PEM private key (read by the TLS library only)" },
	{ "unix_socket", ARG_PATH, 0, NULL, NULL, NULL,
	  "connect through this unix socket (the URL's host is then only "
	  "the Host header; curl only on a host)" },
	{ "dest", ARG_PATH, 0, NULL, NULL, NULL,
	  "write the body there (a directory: with the name the server or "
	  "the URL gives); asks If-Modified-Since when it exists" },
	{ "creates", ARG_PATH, 0, NULL, NULL, NULL,
	  "skip the request when this path exists" },
	{ "removes", ARG_PATH, 0, NULL, NULL, NULL,
	  "skip the request when this path does not exist" },
	{ "http_agent", ARG_STR, 0, NULL, NULL, "ansible-httpget",
	  "the User-Agent header" },
	{ "force", ARG_BOOL, 0, NULL, NULL, "no",
	  "send Cache-Control: no-cache" },
	{ "use_proxy", ARG_BOOL, 0, NULL, NULL, "yes",
	  "use the proxy of the environment (no: none)" },
	{ "unredirected_headers", ARG_LIST, 0, NULL, NULL, NULL,
	  "header names not sent again after a redirect" },
	{ "decompress", ARG_BOOL, 0, NULL, NULL, "yes",
	  "accepted for Ansible's sake: tend asks for no compression "
	  "(Accept-Encoding: identity, as Python does)" },
	{ "use_netrc", ARG_BOOL, 0, NULL, NULL, "yes",
	  "accepted; ~/.netrc is not read (give url_username)" },
	{ "use_gssapi", ARG_BOOL, 0, NULL, NULL, "no",
	  "GSSAPI (Kerberos) is not supported: only no" },
	{ "remote_src", ARG_BOOL, 0, NULL, NULL, "no",
	  "accepted with src only, which is not supported" },
	{ "src", ARG_PATH, ARG_REFUSED, NULL, NULL, NULL,
	  "a file as the body is not supported yet: read it into body "
	  "(lookup('file', ...))" },
	{ "ciphers", ARG_LIST, ARG_REFUSED, NULL, NULL, NULL,
	  "choosing TLS ciphers is not supported" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* Whether the task's host is the controller itself. */
static bool on_controller(const struct task_ctx *ctx)
{
	return !ctx->t || !strcmp(ctx->t->name, "local");
}

static bool read_only_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD");
}

/* The creates/removes tests on the host (read-only): skip, or NULL. */
static int host_skip(char **skip, const struct task_ctx *ctx,
		     const struct uri_req *req)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req er = { 0 };
	struct uri_host_out o;
	int error;

	uri_host_out_init(&o);
	uri_host_skip_script(&s, req);
	er.script = s.ptr;
	er.become_user = ctx->become_user;
	er.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &er, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "the creates/removes test failed");
		goto out;
	}
	if ((error = uri_host_parse(&o, &res.out)) < 0)
		goto out;
	*skip = o.skip;
	o.skip = NULL;
out:
	uri_host_out_release(&o);
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

/* The result of a skipped request (Ansible exits with these keys). */
static struct val *skip_result(const char *msg)
{
	struct val *r = val_dict(), *lines = val_list();

	val_dict_set_str(r, "stdout", msg);
	val_dict_set_bool(r, "changed", false);
	val_list_push(lines, val_str(msg));
	val_dict_set(r, "stdout_lines", lines);
	return r;
}

/* ---- on a host (its curl or wget) ---- */

/* Move src's bytes into dst (dst's released). */
static void take_buf(struct buf *dst, struct buf *src)
{
	buf_release(dst);
	*dst = *src;
	buf_init(src, 0);
}

/* One hop's script run; its output parsed into `o`. */
static int host_hop(struct uri_host_out *o, const struct task_ctx *ctx,
		    const struct uri_req *req, const struct uri_hop *hop)
{
	struct buf s = BUF_INIT, in = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req er = { 0 };
	int error;

	if ((error = uri_host_script(&s, &in, req, hop)) < 0)
		goto out;
	er.script = s.ptr;
	if (hop->stdin_ok) {
		er.in = in.ptr;
		er.inlen = in.len;
	}
	er.become_user = ctx->become_user;
	er.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &er, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "the request's script failed");
		goto out;
	}
	if ((error = uri_host_parse(o, &res.out)) < 0)
		goto out;
	if (!o->tool && !o->skip)
		error = tend_error_set("uri: host '%s' has %s: install curl "
				       "there", ctx->host,
				       req->unix_socket ? "no curl (wget "
				       "cannot reach a unix socket)" :
				       "neither curl nor GNU wget");
out:
	buf_release_secret(&s);
	buf_release_secret(&in);
	exec_result_release(&res);
	return error;
}

/* Where an answer `status` with `headers` redirects to, or NULL. */
static char *next_hop(const struct uri_req *req, const struct uri_hop *hop,
		      long status, const struct val *headers,
		      const char **method, bool *keep)
{
	struct buf abs = BUF_INIT;
	const char *loc = NULL;

	if (!http_follow_next(req->follow, status, hop->method, method, keep))
		return NULL;
	for (size_t i = 0; i < val_len(headers) && !loc; i++) {
		const struct val *h = val_list_at(headers, i);

		if (!strcasecmp(val_cstr(val_list_at(h, 0)), "location"))
			loc = val_cstr(val_list_at(h, 1));
	}
	if (!loc || http_url_resolve(&abs, hop->url, loc) < 0) {
		tend_error_clear();
		buf_release(&abs);
		return NULL;
	}
	return buf_detach(&abs, NULL);
}

/*
 * The answer of one hop into `rep` (the last hop's stays). Returns the
 * URL to go on to, or NULL when this is the answer.
 */
static char *host_answer(struct uri_reply *rep, struct uri_host_out *o,
			 const struct uri_req *req, struct uri_hop *hop)
{
	char *next = NULL;
	const char *method;
	bool keep;

	free(rep->reason);
	val_unref(rep->headers);
	uri_host_headers(&rep->status, &rep->reason, &rep->headers,
			 o->hdr.ptr, o->hdr.len);
	if (rep->status == -1) {
		rep->error = uri_host_error(o, req->unix_socket != NULL);
		return NULL;
	}
	take_buf(&rep->body, &o->body);
	rep->body_known = o->body_known;
	if ((next = next_hop(req, hop, rep->status, rep->headers, &method,
			     &keep))) {
		if (rep->redirects >= HTTP_MAX_REDIRECTS) {
			rep->too_many_redirects = true;
			free(next);
			return NULL;
		}
		hop->method = method;
		hop->body = hop->body && keep;
		hop->first = false;
		rep->redirects++;
	}
	return next;
}

static bool has_cookies(const struct buf *jar)
{
	struct val *c = http_cookies(jar->ptr, jar->len);
	bool any = val_len(c) > 0;

	val_unref(c);
	return any;
}

/*
 * Send the request from the host, hop by hop. *tmp: the temp file
 * beside dest holding the last answer's body (dest set). *skip: Ansible's
 * skip message when creates/removes said so (nothing was sent). Without
 * stdin (a plan), a redirect whose next hop would carry cookies is not
 * followed: rep->held.
 */
static int host_request(struct uri_reply *rep, char **tmp, char **skip,
			bool *dest_dir, const struct task_ctx *ctx,
			const struct uri_req *req, bool stdin_ok)
{
	struct uri_hop hop = { .method = req->method, .url = req->bare_url,
			       .body = true, .first = true,
			       .stdin_ok = stdin_ok };
	struct buf jar = BUF_INIT;
	char *url = NULL, *old = NULL;
	long long ns = 0;
	int error = 0;

	for (;;) {
		struct uri_host_out o;
		char *next;

		uri_host_out_init(&o);
		hop.jar = jar.ptr;
		hop.jar_len = jar.len;
		hop.old_tmp = old;
		if ((error = host_hop(&o, ctx, req, &hop)) < 0 || o.skip) {
			*skip = o.skip;
			o.skip = NULL;
			uri_host_out_release(&o);
			break;
		}
		ns += o.ns;
		free(old);
		old = o.tmp;
		o.tmp = NULL;
		*dest_dir = o.dest_dir;
		buf_release_secret(&jar);
		take_buf(&jar, &o.jar);
		next = host_answer(rep, &o, req, &hop);
		uri_host_out_release(&o);
		if (next && !stdin_ok && has_cookies(&jar)) {
			/* cookies are secrets: only stdin may carry them */
			rep->held = true;
			free(next);
			next = NULL;
		}
		if (!next)
			break;
		free(url);
		hop.url = url = next;
	}
	if (!error && !*skip) {
		free(rep->url);
		rep->url = xstrdup(hop.url);
		val_unref(rep->cookies);
		rep->cookies = http_cookies(jar.ptr, jar.len);
		/* the host's own time of the requests, when it has %N */
		rep->elapsed = ns / 1000000000LL;
		rep->timed = ns > 0;
	}
	*tmp = old;
	free(url);
	buf_release_secret(&jar);
	return error;
}

/* ---- dest ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
		c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Python's unquote of a URL part: %XX decoded. */
static void unquote(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			buf_addch(out, hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			buf_addch(out, s[i]);
		}
	}
}

/* The Content-Disposition filename parameter of the answer, or NULL. */
static const char *disposition_name(const struct uri_reply *rep, size_t *len)
{
	for (size_t i = 0; i < val_len(rep->headers); i++) {
		const struct val *h = val_list_at(rep->headers, i);
		const char *v = val_cstr(val_list_at(h, 1)), *f;

		if (strcasecmp(val_cstr(val_list_at(h, 0)),
			       "content-disposition") ||
		    !(f = strcasestr(v, "filename=")))
			continue;
		f += 9;
		if (*f == '"')
			f++;
		*len = strcspn(f, "\";");
		return *len ? f : NULL;
	}
	return NULL;
}

/*
 * Where a body goes in a directory dest (urls.py get_response_filename):
 * Content-Disposition's filename, else the last part of the URL's path
 * (percent-decoded), else index.html. Only a name's last part is used:
 * what a server sends never leads out of dest.
 */
static void dir_target(struct buf *out, const char *dest,
		       const struct uri_reply *rep)
{
	struct buf name = BUF_INIT;
	const char *n, *u = rep->url, *p, *end, *slash;
	size_t len = 0;

	if ((n = disposition_name(rep, &len))) {
		buf_add(&name, n, len);
	} else {
		p = strstr(u, "://");
		p = p ? p + 3 + strcspn(p + 3, "/?#") : u;
		end = p + strcspn(p, "?#");
		while (end > p && end[-1] == '/')
			end--;
		slash = memrchr(p, '/', (size_t)(end - p));
		slash = slash ? slash + 1 : p;
		unquote(&name, slash, (size_t)(end - slash));
	}
	n = strrchr(name.ptr, '/') ? strrchr(name.ptr, '/') + 1 : name.ptr;
	buf_adds(out, dest);
	if (!out->len || out->ptr[out->len - 1] != '/')
		buf_addch(out, '/');
	buf_adds(out, *n && strcmp(n, ".") && strcmp(n, "..") ? n :
		 "index.html");
	buf_release(&name);
}

/* chmod/chown/chgrp of "$p" as the task's file args ask. */
static int add_attrs(struct buf *s, const struct task_ctx *ctx)
{
	const struct val *mode = arg_get(ctx, "mode");
	unsigned int m;

	if (mode && !val_is(mode, VAL_NULL)) {
		if (mode_parse(&m, mode, 0644, false) < 0)
			return -1;
		buf_addf(s, "chmod %o \"$p\" || exit 1\n", m);
	}
	if (arg_str(ctx, "owner")) {
		buf_adds(s, "chown -- ");
		sh_quote(s, arg_str(ctx, "owner"));
		buf_adds(s, " \"$p\" || exit 1\n");
	}
	if (arg_str(ctx, "group")) {
		buf_adds(s, "chgrp -- ");
		sh_quote(s, arg_str(ctx, "group"));
		buf_adds(s, " \"$p\" || exit 1\n");
	}
	return 0;
}

/*
 * Put the body's temp file at `path` (write_file: only when its content
 * differs; a new file gets 0666 less the umask, a replaced one keeps its
 * mode and owner), then the file args. One round trip.
 */
static int place(const struct task_ctx *ctx, const char *tmp,
		 const char *path)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req er = { 0 };
	int error;

	buf_adds(&s, "t=");
	sh_quote(&s, tmp);
	buf_adds(&s, "\np=");
	if (!strncmp(path, "~/", 2)) {
		buf_adds(&s, "\"$HOME\"/");
		sh_quote(&s, path + 2);
	} else {
		sh_quote(&s, path);
	}
	buf_adds(&s, "\ntrap 'rm -f -- \"$t\"' EXIT\n"
		 "if [ -f \"$p\" ] && [ ! -L \"$p\" ] && cmp -s -- \"$t\" "
		 "\"$p\"; then :\nelse\n"
		 "\tif [ -f \"$p\" ]; then\n"
		 "\t\tchmod \"$(stat -L -c %a -- \"$p\")\" \"$t\" || exit 1\n"
		 "\t\tchown \"$(stat -L -c %u:%g -- \"$p\")\" \"$t\" "
		 "2>/dev/null || :\n"
		 "\telse\n"
		 "\t\tchmod \"$(printf %o $((0666 & ~$(umask))))\" \"$t\" || "
		 "exit 1\n\tfi\n"
		 "\tmv -f -- \"$t\" \"$p\" || exit 1\nfi\n");
	if ((error = add_attrs(&s, ctx)) < 0)
		goto out;
	er.script = s.ptr;
	er.become_user = ctx->become_user;
	er.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &er, &res)) < 0)
		goto out;
	if (res.status)
		error = exec_error(&res, "cannot write dest");
out:
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

/* Remove a temp file that is not used (an answer not to write). */
static void drop_tmp(const struct task_ctx *ctx, const char *tmp)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req er = { 0 };

	if (!tmp)
		return;
	buf_adds(&s, "rm -f -- ");
	sh_quote(&s, tmp);
	er.script = s.ptr;
	er.become_user = ctx->become_user;
	er.become_method = ctx->become_method;
	(void)ctx->t->exec(ctx->t, &er, &res);
	exec_result_release(&res);
	buf_release(&s);
}

/* ---- check and apply ---- */

/* dest once the answer is in: written when Ansible writes it. */
static int finish_dest(struct uri_reply *rep, const struct task_ctx *ctx,
		       const struct uri_req *req, const char *tmp,
		       bool dest_dir)
{
	struct buf path = BUF_INIT;
	int error = 0;

	if (rep->status == -1) {
		drop_tmp(ctx, tmp);
		return 0;
	}
	if (dest_dir)
		dir_target(&path, req->dest, rep);
	else
		buf_adds(&path, req->dest);
	if (tmp && uri_writes_dest(req, rep->status)) {
		if ((error = place(ctx, tmp, path.ptr)) >= 0)
			rep->written = true;
	} else {
		drop_tmp(ctx, tmp);
	}
	rep->path = buf_detach(&path, NULL);
	return error;
}

/*
 * Send the request where the task's host is, into `rep` (*skip instead
 * when creates/removes skip it). `at_apply`: the body may be written to
 * dest and the secrets go through stdin; else (a plan's GET) nothing is
 * written anywhere.
 */
static int send_request(struct uri_reply *rep, char **skip,
			const struct task_ctx *ctx, const struct uri_req *req,
			bool at_apply)
{
	struct buf dir = BUF_INIT;
	struct timespec t0, t1;
	bool dest_dir = false, dest = req->dest && at_apply;
	char *tmp = NULL;
	int error = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (on_controller(ctx)) {
		if ((*skip = uri_local_skip(req)))
			goto out;
		if (dest)
			uri_local_dest_dir(&dir, &dest_dir, req->dest);
		error = uri_local_request(rep, &tmp, req, dest ? dir.ptr : NULL,
					  ctx);
	} else {
		error = host_request(rep, &tmp, skip, &dest_dir, ctx, req,
				     at_apply);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* whole seconds, as Python's timedelta.seconds */
	if (!rep->timed)
		rep->elapsed = (long long)(t1.tv_sec - t0.tv_sec) -
			       (t1.tv_nsec < t0.tv_nsec);
	if (error < 0 || *skip) {
		drop_tmp(ctx, tmp);
		goto out;
	}
	if (dest)
		error = finish_dest(rep, ctx, req, tmp, dest_dir);
out:
	free(tmp);
	buf_release(&dir);
	return error;
}

/* The registered result of an answer, and the task's message. */
static void answer_result(struct val **out, bool *failed, struct buf *msg,
			  const struct uri_req *req,
			  const struct uri_reply *rep)
{
	uri_result(out, failed, req, rep);
	if (*failed)
		buf_adds(msg, val_cstr(val_dict_get(*out, "msg")));
}

/*
 * What Ansible adds to a result with a path (add_path_info): the file's
 * owner, group, mode, type and size as lstat sees it, or nothing when
 * it does not exist.
 */
static int path_info(struct val *res, const struct task_ctx *ctx,
		     const char *path)
{
	struct file_state st;
	int error;

	file_state_init(&st);
	if ((error = file_state_read(&st, ctx, path, 0)) >= 0)
		file_state_info(res, &st);
	file_state_release(&st);
	return error;
}

/*
 * A plan's words for what it cannot send: a download to dest (a change),
 * a method that may change something, or (`held`) a GET whose secrets
 * the host's tool may get only on stdin, at apply.
 */
static void plan_unknown(struct check_result *out, const struct uri_req *req,
			 const char *held)
{
	struct buf u = BUF_INIT;

	http_url_display(&u, req->bare_url);
	if (held) {
		out->status = CHECK_UNKNOWN;
		buf_addf(&out->msg, "sends %s %s %s: on a host these go only "
			 "through stdin, which a read-only plan has none of; "
			 "its answer is known only at apply", req->method,
			 u.ptr, held);
	} else if (req->dest && read_only_method(req->method)) {
		out->status = CHECK_CHANGE;
		buf_addf(&out->changes, "download: %s %s -> %s\n", req->method,
			 u.ptr, req->dest);
	} else {
		out->status = CHECK_UNKNOWN;
		buf_addf(&out->msg, "sends %s %s%s: its answer is known only "
			 "at apply", req->method, u.ptr, req->dest ?
			 " (written to dest)" : "");
	}
	buf_release(&u);
}

static int uri_check(struct check_result *out, const struct task_ctx *ctx)
{
	struct uri_req req;
	struct uri_reply rep;
	char *skip = NULL;
	bool secret;
	int error;

	uri_reply_init(&rep);
	if ((error = uri_req_build(&req, ctx)) < 0)
		goto out;
	if (!ctx->plan && !ctx->check_only) {
		/* an apply: the request is sent once, by apply */
		out->status = CHECK_UNKNOWN;
		goto out;
	}
	/*
	 * A host's curl reads credentials from stdin, which a read-only
	 * check has none of: the script would carry them, and a script can
	 * reach the host's command line (become, a task's timeout).
	 */
	secret = !on_controller(ctx) && uri_req_secret(&req);
	if (!read_only_method(req.method) || req.dest || secret) {
		if (on_controller(ctx))
			skip = uri_local_skip(&req);
		else if ((req.creates || req.removes) &&
			 (error = host_skip(&skip, ctx, &req)) < 0)
			goto out;
		if (!skip)
			plan_unknown(out, &req, secret ? "with credentials" :
				     NULL);
	} else {
		error = send_request(&rep, &skip, ctx, &req, false);
		if (!error && !skip && rep.held)
			plan_unknown(out, &req, "with the cookies of a redirect");
		else if (!error && !skip)
			answer_result(&out->result, &out->failed, &out->msg,
				      &req, &rep);
	}
	if (skip)
		out->result = skip_result(skip);
out:
	free(skip);
	uri_reply_release(&rep);
	uri_req_release(&req);
	return error;
}

static int uri_apply(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned)
{
	struct uri_req req;
	struct uri_reply rep;
	char *skip = NULL;
	int error;

	(void)planned;
	uri_reply_init(&rep);
	if ((error = uri_req_build(&req, ctx)) < 0 ||
	    (error = send_request(&rep, &skip, ctx, &req, true)) < 0)
		goto out;
	if (skip) {
		out->result = skip_result(skip);
		goto out;
	}
	answer_result(&out->result, &out->failed, &out->msg, &req, &rep);
	out->changed = rep.written;
	if (rep.path)
		error = path_info(out->result, ctx, rep.path);
out:
	free(skip);
	uri_reply_release(&rep);
	uri_req_release(&req);
	return error;
}

/* At load: what a literal value already shows to be refused. */
static int uri_validate(const struct val *args, const char **arg)
{
	static const char *const follows[] = { "all", "no", "none", "safe",
		"urllib2", "yes", "True", "False", "true", "false", NULL };
	const struct val *v;
	const char *s;
	size_t i;

	v = val_dict_get(args, "follow_redirects");
	if ((s = val_cstr(v)) && !strstr(s, "{{") && !strstr(s, "{%")) {
		for (i = 0; follows[i] && strcmp(follows[i], s); i++)
			;
		if (!follows[i]) {
			*arg = "follow_redirects";
			return tend_error_set("value of 'follow_redirects' must "
					      "be one of: all, no, none, safe, "
					      "urllib2, yes, got '%s'", s);
		}
	}
	v = val_dict_get(args, "use_gssapi");
	if (val_is(v, VAL_BOOL) && v->u.b) {
		*arg = "use_gssapi";
		return tend_error_set("use_gssapi: GSSAPI (Kerberos) "
				      "authentication is not supported");
	}
	if ((s = val_cstr(val_dict_get(args, "body_format"))) &&
	    !strcmp(s, "form-multipart")) {
		*arg = "body_format";
		return tend_error_set("body_format 'form-multipart' is not "
				      "supported yet (json, form-urlencoded, "
				      "raw)");
	}
	return 0;
}

const struct tend_module mod_uri = {
	.name = "uri",
	.args = uri_args,
	.flags = MOD_MAY_BE_UNKNOWN | MOD_FILE_ARGS,
	.doc = "interact with a web service (HTTP and HTTPS)",
	.check = uri_check,
	.validate = uri_validate,
	.apply = uri_apply,
	.returns =
		"status: the HTTP status (-1: no answer)\n"
		"url: the URL that answered (after redirects)\n"
		"msg: \"OK (N bytes)\", \"HTTP Error 404: Not Found\" ...\n"
		"redirected: whether a redirect was followed\n"
		"json: a JSON answer, parsed\n"
		"content: the body (return_content, or a failure with it)\n"
		"cookies, cookies_string: the cookies set (never shown)\n"
		"elapsed: whole seconds the request took\n"
		"path: dest, when given\n"
		"content_type, content_length, location, ...: every header of "
		"the answer, lower case, '-' as '_'\n"
		"stdout: \"skipped, since ...\" when creates/removes skip it\n",
	.example =
		"- uri:\n"
		"    url: https://api.example.com/v1/items\n"
		"    method: POST\n"
		"    body_format: json\n"
		"    body: {name: web-01, size: 2}\n"
		"    headers:\n"
		"      Authorization: \"Bearer {{ api_token }}\"\n"
		"    status_code: [200, 201]\n"
		"  register: created\n",
};
