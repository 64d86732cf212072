#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/data/val.h"
#include "tend/net/http.h"
#include "tend/net/lxd.h"

#define DEFAULT_TIMEOUT_S 60
/* Status codes of LXD operations (its doc's "Status codes"). */
#define LXD_OP_SUCCESS 200
#define LXD_OP_RUNNING 103

struct lxd {
	char *where;       /* the URL as given */
	char *base;        /* what paths are appended to */
	char *unix_socket; /* or NULL */
	char *client_cert, *client_key, *ca_file;
	bool insecure;
	char *project;     /* NULL: default */
	long timeout_s;
	bool wait_forever;
};

int lxd_open(struct lxd **out, const struct lxd_opts *o)
{
	struct lxd *l;
	const char *url = o->url ? o->url : "";

	if (strncmp(url, "unix:", 5) && strncmp(url, "https://", 8))
		return tend_error_set("LXD url '%s': expected unix:/path/to/"
				      "unix.socket or https://host:port", url);
	if (!strncmp(url, "unix:", 5) && url[5] != '/')
		return tend_error_set("LXD url '%s': expected an absolute "
				      "socket path after unix:", url);
	if (!strncmp(url, "https://", 8) &&
	    (!o->client_cert || !*o->client_cert))
		return tend_error_set("LXD url '%s': https needs client_cert "
				      "(and client_key) that the server "
				      "trusts", url);
	l = xcalloc(1, sizeof(*l));
	l->where = xstrdup(url);
	if (!strncmp(url, "unix:", 5)) {
		l->unix_socket = xstrdup(url + 5);
		/* the host part only names the Host header */
		l->base = xstrdup("http://lxd");
	} else {
		size_t n = strlen(url);

		while (n > 8 && url[n - 1] == '/')
			n--;
		l->base = xstrndup(url, n);
	}
	l->client_cert = o->client_cert ? xstrdup(o->client_cert) : NULL;
	l->client_key = o->client_key && *o->client_key ?
			xstrdup(o->client_key) : NULL;
	l->ca_file = o->ca_file && *o->ca_file ? xstrdup(o->ca_file) : NULL;
	l->insecure = o->insecure;
	l->project = o->project && *o->project ? xstrdup(o->project) : NULL;
	l->timeout_s = o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	l->wait_forever = o->wait_forever;
	*out = l;
	return 0;
}

void lxd_free(struct lxd *l)
{
	if (!l)
		return;
	free(l->where);
	free(l->base);
	free(l->unix_socket);
	free(l->client_cert);
	free(l->client_key);
	free(l->ca_file);
	free(l->project);
	free(l);
}

const char *lxd_where(const struct lxd *l)
{
	return l->where;
}

const char *lxd_project(const struct lxd *l)
{
	return l->project ? l->project : "default";
}

void lxd_instance_path(struct buf *out, const char *name, const char *suffix)
{
	buf_adds(out, "/1.0/instances/");
	http_escape(out, name);
	buf_adds(out, suffix);
}

/* base + path + the project parameter. */
static void call_url(struct buf *out, const struct lxd *l, const char *path)
{
	buf_adds(out, l->base);
	buf_adds(out, path);
	if (l->project) {
		buf_addch(out, strchr(path, '?') ? '&' : '?');
		buf_adds(out, "project=");
		http_escape(out, l->project);
	}
}

/* The path without its query, for messages. */
static void path_for_message(struct buf *out, const char *path)
{
	buf_add(out, path, strcspn(path, "?"));
}

/*
 * LXD's error answer as an error: its "error" text, else the start of
 * the body. 404 is TEND_ENOTFOUND.
 */
static int answer_error(const char *method, const char *path, long status,
			const struct val *env, const struct buf *body)
{
	const char *msg = val_cstr(val_dict_get(env, "error"));
	struct buf p = BUF_INIT, b = BUF_INIT;
	int error;

	path_for_message(&p, path);
	if (!msg || !*msg) {
		buf_add(&b, body->ptr, body->len > 200 ? 200 : body->len);
		buf_trim(&b);
		msg = b.len ? b.ptr : "no message";
	}
	error = tend_error_set_code(status == 404 ? TEND_ENOTFOUND : -1,
				    "LXD: %s %s: %s (HTTP %ld)", method,
				    p.ptr, msg, status);
	buf_release(&p);
	buf_release(&b);
	return error;
}

/* The options of every request to `l`. */
static void request_opts(struct http_opts *o, const struct lxd *l,
			 const char *method, long timeout_s)
{
	*o = (struct http_opts)HTTP_OPTS_INIT;
	o->timeout_ms = timeout_s * 1000;
	/* a POST retried after a lost answer could create twice */
	o->retries = strcmp(method, "GET") ? -1 : 0;
	o->unix_socket = l->unix_socket;
	o->client_cert = l->client_cert;
	o->client_key = l->client_key;
	o->ca_file = l->ca_file;
	o->insecure = l->insecure;
	o->no_proxy = true;
}

/*
 * One HTTP request to `l`: the answer's status in *status and its body
 * appended to *out, and with `type` its X-LXD-type header (or NULL).
 * Only when no answer came is it an error (TEND_EUNREACHABLE).
 */
static int request(struct buf *out, long *status, char **type, struct lxd *l,
		   const char *method, const char *path,
		   const char *const *headers, const void *body, size_t len,
		   long timeout_s)
{
	struct http_opts o;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { 0 };
	struct buf url = BUF_INIT;
	int error = 0;

	if (type)
		*type = NULL;
	request_opts(&o, l, method, timeout_s);
	o.all_headers = type != NULL;
	call_url(&url, l, path);
	req.method = method;
	req.url = url.ptr;
	req.headers = headers;
	req.body = body;
	req.body_len = len;
	req.opts = &o;
	if (http_request(&resp, &req) < 0) {
		error = tend_error_set_code(TEND_EUNREACHABLE,
					    "cannot reach LXD at '%s': %s",
					    l->where, tend_error_last());
		goto out;
	}
	*status = resp.status;
	for (size_t i = 0; type && i < resp.header_nr; i++)
		if (!strcasecmp(resp.headers[i].name, "X-LXD-type"))
			*type = xstrdup(resp.headers[i].value);
	buf_addbuf(out, &resp.body);
out:
	buf_release(&url);
	http_response_release(&resp);
	return error;
}

/* One request; *env gets the parsed envelope of a 2xx answer. */
static int send_one(struct val **env, struct lxd *l, const char *method,
		    const char *path, const struct val *body, long timeout_s)
{
	static const char *const with_body[] = {
		"Accept: application/json", "Content-Type: application/json",
		NULL,
	};
	struct buf text = BUF_INIT, answer = BUF_INIT;
	struct val *parsed = NULL;
	const char *type;
	long status = 0;
	int error;

	/* a body is data for LXD: a secret in it goes as itself */
	if (body)
		val_to_json_text(&text, body, 0);
	/* Accept alone without a body */
	if ((error = request(&answer, &status, NULL, l, method, path,
			     body ? with_body : (const char *const[]){
				     with_body[0], NULL },
			     body ? text.ptr : NULL, text.len,
			     timeout_s)) < 0)
		goto out;
	if (answer.len &&
	    val_from_json(&parsed, answer.ptr, answer.len) < 0) {
		tend_error_clear();
		parsed = NULL;
	}
	type = val_cstr(val_dict_get(parsed, "type"));
	if (status < 200 || status > 299 ||
	    !val_is(parsed, VAL_DICT) || (type && !strcmp(type, "error"))) {
		error = answer_error(method, path, status, parsed, &answer);
		goto out;
	}
	*env = parsed;
	parsed = NULL;
out:
	val_unref(parsed);
	buf_release_secret(&text);
	buf_release(&answer);
	return error;
}

int lxd_wait(struct val **out, struct lxd *l, const char *op)
{
	struct buf path = BUF_INIT;
	struct val *env = NULL;
	const struct val *md;
	const char *id = strrchr(op, '/') ? strrchr(op, '/') + 1 : op;
	long long code;
	int error;

	buf_addf(&path, "/1.0/operations/%s/wait?timeout=%ld", id,
		 l->timeout_s);
	/* the answer comes when the operation ends: wait a little longer */
	do {
		val_unref(env);
		env = NULL;
		if ((error = send_one(&env, l, "GET", path.ptr, NULL,
				      l->timeout_s + 10)) < 0)
			goto out;
		md = val_dict_get(env, "metadata");
		code = val_is(val_dict_get(md, "status_code"), VAL_INT) ?
		       val_dict_get(md, "status_code")->u.i : 0;
	} while (code == LXD_OP_RUNNING && l->wait_forever);
	if (code == LXD_OP_RUNNING) {
		error = tend_error_set("LXD: operation %s still running after "
				       "%ld s (the timeout)", id, l->timeout_s);
		goto out;
	}
	if (code != LXD_OP_SUCCESS) {
		const char *err = val_cstr(val_dict_get(md, "err"));
		const char *desc = val_cstr(val_dict_get(md, "description"));

		error = tend_error_set("LXD: %s failed: %s",
				       desc && *desc ? desc : "an operation",
				       err && *err ? err : "no message");
		goto out;
	}
	if (out)
		*out = val_ref((struct val *)md);
out:
	val_unref(env);
	buf_release(&path);
	return error;
}

int lxd_call(struct val **out, struct lxd *l, const char *method,
	     const char *path, const struct val *body)
{
	struct val *env = NULL;
	const char *type, *op;
	int error;

	if ((error = send_one(&env, l, method, path, body, l->timeout_s)) < 0)
		goto out;
	type = val_cstr(val_dict_get(env, "type"));
	op = val_cstr(val_dict_get(env, "operation"));
	if (type && !strcmp(type, "async")) {
		if (!op || !*op) {
			error = tend_error_set("LXD: %s %s: an async answer "
					       "without an operation", method,
					       path);
			goto out;
		}
		if ((error = lxd_wait(out, l, op)) < 0)
			tend_error_prefix("%s %s", method, path);
		goto out;
	}
	if (out)
		*out = val_dict_get(env, "metadata") ?
		       val_ref(val_dict_get(env, "metadata")) : val_null();
out:
	val_unref(env);
	return error;
}

int lxd_raw(struct buf *out, char **type, struct lxd *l, const char *method,
	    const char *path, const char *const *headers, const void *body,
	    size_t len)
{
	struct buf answer = BUF_INIT;
	struct val *parsed = NULL;
	long status = 0;
	int error;

	if ((error = request(&answer, &status, type, l, method, path, headers,
			     body, len, l->timeout_s)) < 0)
		goto out;
	if (status < 200 || status > 299) {
		if (val_from_json(&parsed, answer.ptr, answer.len) < 0)
			tend_error_clear();
		error = answer_error(method, path, status, parsed, &answer);
		if (type) {
			free(*type);
			*type = NULL;
		}
		goto out;
	}
	buf_addbuf(out, &answer);
out:
	val_unref(parsed);
	buf_release(&answer);
	return error;
}

int lxd_instances_read(struct val **out, struct lxd *l)
{
	struct val *list = NULL, *byname;
	int error;

	if ((error = lxd_call(&list, l, "GET", "/1.0/instances?recursion=2",
			      NULL)) < 0)
		return error;
	byname = val_dict();
	for (size_t i = 0; i < val_len(list); i++) {
		struct val *in = val_list_at(list, i);
		const char *name = val_cstr(val_dict_get(in, "name"));

		if (name)
			val_dict_set(byname, name, val_ref(in));
	}
	val_unref(list);
	*out = byname;
	return 0;
}

const char *lxd_instance_config(const struct val *in, const char *key)
{
	return val_cstr(val_dict_get(val_dict_get(in, "config"), key));
}

bool lxd_instance_running(const struct val *in)
{
	const char *st = val_cstr(val_dict_get(in, "status"));

	return st && !strcmp(st, "Running");
}

struct val *lxd_instance_addresses(const struct val *in)
{
	const struct val *net = val_dict_path(in, "state.network");
	struct val *out = val_list();

	for (size_t i = 0; val_is(net, VAL_DICT) && i < net->u.dict.nr; i++) {
		const struct val *as = val_dict_get(net->u.dict.items[i].v,
						    "addresses");

		if (!strcmp(net->u.dict.items[i].key, "lo"))
			continue;
		for (size_t j = 0; j < val_len(as); j++) {
			const struct val *a = val_list_at(as, j);
			const char *scope = val_cstr(val_dict_get(a, "scope"));
			const char *addr = val_cstr(val_dict_get(a, "address"));

			if (addr && (!scope || !strcmp(scope, "global")))
				val_list_push(out, val_str(addr));
		}
	}
	return out;
}

struct val *lxd_image_source(const char *image)
{
	struct val *src = val_dict();
	size_t n = strlen(image);

	val_dict_set_str(src, "type", "image");
	val_dict_set_str(src, n >= 12 && strspn(image, "0123456789abcdef") ==
			 n ? "fingerprint" : "alias", image);
	return src;
}

int lxd_instance_state_put(struct lxd *l, const char *name,
			   const char *action, bool force)
{
	struct buf path = BUF_INIT;
	struct val *body = val_dict();
	int error;

	lxd_instance_path(&path, name, "/state");
	val_dict_set_str(body, "action", action);
	val_dict_set_bool(body, "force", force);
	val_dict_set_int(body, "timeout", 30);
	error = lxd_call(NULL, l, "PUT", path.ptr, body);
	val_unref(body);
	buf_release(&path);
	return error;
}

int lxd_instance_delete(struct lxd *l, const char *name, const struct val *in)
{
	struct buf path = BUF_INIT;
	int error = 0;

	/* LXD refuses to delete a running instance: kill it first */
	if (lxd_instance_running(in))
		error = lxd_instance_state_put(l, name, "stop", true);
	lxd_instance_path(&path, name, "");
	if (!error)
		error = lxd_call(NULL, l, "DELETE", path.ptr, NULL);
	buf_release(&path);
	return error;
}

int lxd_instance_put(struct lxd *l, const struct val *in,
		     const struct val *over)
{
	/* what PUT /1.0/instances/NAME takes; the rest is read-only */
	static const char *const keep[] = { "architecture", "config",
					     "devices", "ephemeral",
					     "profiles", "stateful",
					     "description", NULL };
	const char *name = val_cstr(val_dict_get(in, "name"));
	struct buf path = BUF_INIT;
	struct val *body = val_dict();
	int error;

	if (!name)
		BUG("lxd_instance_put: an instance without a name");
	for (size_t i = 0; keep[i]; i++) {
		const struct val *v = val_dict_get(over, keep[i]);

		if (!v)
			v = val_dict_get(in, keep[i]);
		if (v)
			val_dict_set(body, keep[i], val_ref((struct val *)v));
	}
	lxd_instance_path(&path, name, "");
	error = lxd_call(NULL, l, "PUT", path.ptr, body);
	val_unref(body);
	buf_release(&path);
	return error;
}
