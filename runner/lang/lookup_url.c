#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/lookup_files_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/scope_int.h"
#include "tend/net/http.h"
#include "tend/net/http_rules.h"
#include "tend/data/truth.h"
#include "tend/data/val.h"

/*
 * lookup('url'): each term fetched from the controller, as Ansible's url
 * lookup does with open_url, through libcurl (net/http.c) with urllib's
 * manners (python_headers, its redirects): its lines (bytes.splitlines:
 * \n, \r\n, \r) or, with split_lines=false, the whole body. Options:
 * validate_certs, use_proxy, username, password, headers, force, timeout,
 * http_agent, force_basic_auth, follow_redirects, unix_socket, ca_path,
 * unredirected_headers, split_lines, use_netrc (without a username, the
 * credentials of $NETRC or ~/.netrc for the host, as Basic auth at once);
 * use_gssapi and ciphers are refused when set. Given through the
 * call only (Ansible also reads them from ansible_lookup_url_* variables
 * and ANSIBLE_LOOKUP_URL_* settings). An untrusted source may not fetch:
 * the controller's network is not the commit's to probe. What was
 * fetched with a secret (a password, a secret header) is secret.
 */

struct url_opts {
	bool validate_certs, use_proxy, force, force_basic_auth, split_lines;
	bool use_netrc;
	const char *username, *password, *agent, *unix_socket, *ca_path;
	long timeout_ms;
	enum http_follow follow;
	bool secret;
	struct val *headers;       /* "Name: value" strings */
	struct val *unredirected;  /* header names */
};

static bool opt_bool(const struct lookup_env *env, const char *name, bool def)
{
	const struct val *v = lookup_opt(env, name);
	bool b;

	if (!v || val_is(v, VAL_NULL))
		return def;
	if (truth_boolean(&b, v) < 0) {
		tend_error_clear();
		return truth_python(v);
	}
	return b;
}

static const char *opt_str(const struct lookup_env *env, const char *name,
			   const char *def)
{
	const struct val *v = lookup_opt(env, name);

	return v && val_is(v, VAL_STR) ? v->u.s.ptr : def;
}

/* The socket timeout in ms: a number of seconds (10 unless one > 0). */
static long timeout_ms_of(const struct val *t)
{
	double secs = 10;

	if (t && val_is(t, VAL_INT))
		secs = (double)t->u.i;
	else if (t && val_is(t, VAL_FLOAT))
		secs = t->u.f;
	else if (t && val_is(t, VAL_STR))
		secs = strtod(t->u.s.ptr, NULL);
	if (!(secs > 0) || secs > 86400.0 * 365)
		secs = secs > 0 ? 86400.0 * 365 : 10;
	return (long)(secs * 1000);
}

static int read_opts(struct url_opts *o, const struct lookup_env *env)
{
	const struct val *h = lookup_opt(env, "headers");
	const struct val *u = lookup_opt(env, "unredirected_headers");
	const struct val *t = lookup_opt(env, "timeout");

	if (opt_bool(env, "use_gssapi", false))
		return tend_error_set("lookup('url'): use_gssapi is not "
				      "supported");
	if (lookup_opt(env, "ciphers"))
		return tend_error_set("lookup('url'): ciphers is not "
				      "supported");
	o->validate_certs = opt_bool(env, "validate_certs", true);
	o->use_proxy = opt_bool(env, "use_proxy", true);
	o->force = opt_bool(env, "force", false);
	o->force_basic_auth = opt_bool(env, "force_basic_auth", false);
	o->split_lines = opt_bool(env, "split_lines", true);
	o->use_netrc = opt_bool(env, "use_netrc", true);
	o->username = opt_str(env, "username", NULL);
	o->password = opt_str(env, "password", NULL);
	o->agent = opt_str(env, "http_agent", "ansible-httpget");
	o->unix_socket = opt_str(env, "unix_socket", NULL);
	o->ca_path = opt_str(env, "ca_path", NULL);
	o->follow = http_follow_of(opt_str(env, "follow_redirects", NULL),
				   HTTP_FOLLOW_URLLIB);
	o->timeout_ms = timeout_ms_of(t);
	o->secret = val_holds_secret(lookup_opt(env, "password")) ||
		    val_holds_secret(h);
	o->headers = val_list();
	o->unredirected = val_list();
	if (h && !val_is(h, VAL_DICT) && !val_is(h, VAL_NULL))
		return tend_error_set("lookup('url'): headers must be a dict, "
				      "not %s", template_type_name(h));
	for (size_t i = 0; val_is(h, VAL_DICT) && i < h->u.dict.nr; i++) {
		const char *k = h->u.dict.items[i].key;
		struct val *v = template_str_of(h->u.dict.items[i].v);
		bool bad = strpbrk(k, "\r\n:") || strpbrk(v->u.s.ptr, "\r\n") ||
			   strlen(v->u.s.ptr) != v->u.s.len;

		if (!bad)
			val_list_push(o->headers, val_strf("%s: %s", k,
							   v->u.s.ptr));
		val_unref(v);
		/* as Python's http.client, which never sends a line break */
		if (bad)
			return tend_error_set("lookup('url'): invalid header "
					      "'%s'", k);
	}
	if (o->force)
		val_list_push(o->headers, val_str("cache-control: no-cache"));
	for (size_t i = 0; val_is(u, VAL_LIST) && i < val_len(u); i++)
		val_list_push(o->unredirected,
			      template_str_of(val_list_at(u, i)));
	return 0;
}

/* A NULL-terminated array of the strings of `list` (borrowed). */
static const char **str_array(const struct val *list)
{
	const char **a = xcalloc(val_len(list) + 1, sizeof(*a));

	for (size_t i = 0; i < val_len(list); i++)
		a[i] = val_cstr(val_list_at(list, i));
	return a;
}

/* The reason urllib gives a request that got no answer. */
static const char *fail_reason(enum http_fail f)
{
	switch (f) {
	case HTTP_FAIL_RESOLVE:
		return "<urlopen error [Errno -2] Name or service not known>";
	case HTTP_FAIL_CONNECT:
		return "<urlopen error [Errno 111] Connection refused>";
	case HTTP_FAIL_CONNECT_TIMEOUT:
	case HTTP_FAIL_TIMEOUT:
		return "<urlopen error timed out>";
	default:
		return NULL;
	}
}

/* bytes.splitlines() of the body, each line a string, into `out`. */
static void push_lines(struct val *out, const struct buf *body, bool secret)
{
	const char *p = body->ptr, *end = body->ptr + body->len;

	while (p < end) {
		const char *q = p;
		struct val *line;

		while (q < end && *q != '\n' && *q != '\r')
			q++;
		line = val_strn(p, (size_t)(q - p));
		val_list_push(out, secret ? val_secret(line) : line);
		if (q < end && *q == '\r' && q + 1 < end && q[1] == '\n')
			q++;
		p = q + 1;
	}
}

static int fetch(struct val *out, const char *url, const struct url_opts *o)
{
	struct http_opts ho = HTTP_OPTS_INIT;
	struct http_request req = { .method = "GET", .url = url, .opts = &ho };
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char **headers = str_array(o->headers);
	const char **unred = str_array(o->unredirected);
	const char *why;
	int error;

	ho.retries = -1;
	ho.follow = o->follow;
	ho.unredirected = unred;
	ho.idle_timeout_ms = o->timeout_ms;
	ho.secret_url = o->secret;
	ho.insecure = !o->validate_certs;
	ho.ca_file = o->ca_path;
	ho.unix_socket = o->unix_socket;
	ho.no_proxy = !o->use_proxy;
	ho.user_agent = o->agent;
	ho.python_headers = true;
	ho.username = o->username;
	ho.password = o->password ? o->password : "";
	ho.auth_on_challenge = o->username && !o->force_basic_auth;
	if (!o->username)
		ho.password = NULL;
	ho.netrc = !o->username && o->use_netrc;
	req.headers = headers;
	error = http_request(&resp, &req);
	if (error < 0) {
		why = fail_reason(resp.fail);
		if (why || resp.fail != HTTP_FAIL_TLS) {
			tend_error_clear();
			error = tend_error_set("Failed lookup url for %s : %s",
					       url, why ? why : "<urlopen error "
					       "the request failed>");
		} else {
			tend_error_clear();
			error = tend_error_set("Error validating the server's "
					       "certificate for %s: %s", url,
					       resp.why ? resp.why : "");
		}
	} else if (resp.status < 200 || resp.status >= 300) {
		error = tend_error_set("Received HTTP error for %s : HTTP Error "
				       "%ld: %s", url, resp.status,
				       resp.reason ? resp.reason : "");
	} else if (o->split_lines) {
		push_lines(out, &resp.body, o->secret);
	} else {
		struct val *v = val_strn(resp.body.ptr, resp.body.len);

		val_list_push(out, o->secret ? val_secret(v) : v);
	}
	http_response_release(&resp);
	free(headers);
	free(unred);
	return error;
}

int lookup_url(struct val *out, const struct val *terms,
	       const struct lookup_env *env)
{
	struct url_opts o = { 0 };
	int error = 0;

	if (scope_limits(env->scope)->untrusted)
		return tend_error_set_code(TEND_EREFUSED,
			"lookup('url'): refusing to fetch a URL from the "
			"controller for an untrusted source (--trust-source if "
			"you trust the commit)");
	if ((error = read_opts(&o, env)) < 0)
		goto out;
	for (size_t i = 0; i < terms->u.list.nr && error >= 0; i++) {
		const struct val *term = terms->u.list.items[i];

		if (!val_is(term, VAL_STR)) {
			error = tend_error_set("lookup('url'): a URL must be a "
					       "string, not %s",
					       template_type_name(term));
			break;
		}
		/* a secret URL: its answer is secret, its text never shown */
		o.secret |= val_holds_secret(term);
		error = fetch(out, term->u.s.ptr, &o);
	}
out:
	val_unref(o.headers);
	val_unref(o.unredirected);
	return error < 0 ? error : 0;
}
