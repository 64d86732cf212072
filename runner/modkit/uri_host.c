#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/uri.h"

#include <strings.h>

/*
 * uri on a host, with its curl (else GNU wget): one script per request
 * hop (redirects are followed by tend, hop by hop, with the cookie jar
 * carried over), its input and the parser of what it prints. The
 * credentials, the headers and the body reach the tool through files
 * only its user can read, made in a scratch directory from the
 * script's stdin (or, for a plan's GET, which runs read-only and has no
 * stdin, from the script itself); never a command line.
 */

/* One value in curl's config syntax: "..." with \ and " escaped. */
static void curl_quoted(struct buf *out, const char *key, const char *s)
{
	buf_addf(out, "%s = \"", key);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
	buf_adds(out, "\"\n");
}

/* Whether header line `l` is named one of `names` (any case). */
static bool named(const char *l, const char *const *names)
{
	size_t n = strcspn(l, ":");

	for (size_t i = 0; names && names[i]; i++)
		if (strlen(names[i]) == n && !strncasecmp(l, names[i], n))
			return true;
	return false;
}

static bool has_header(const struct val *hl, const char *name)
{
	const char *one[] = { name, NULL };

	for (size_t i = 0; i < val_len(hl); i++)
		if (named(val_cstr(val_list_at(hl, i)), one))
			return true;
	return false;
}

/*
 * The header lines of a hop (the same rules as net/http.c's): the
 * body's own go only with the body, unredirected ones only first.
 */
static struct val *hop_headers(const struct uri_req *req,
			       const struct uri_hop *hop)
{
	static const char *const body_headers[] = { "content-length",
		"content-type", "transfer-encoding", NULL };
	struct val *out = val_list();

	for (size_t i = 0; i < val_len(req->headers); i++) {
		struct val *l = val_list_at(req->headers, i);

		if (!hop->first && ((!hop->body &&
				     named(val_cstr(l), body_headers)) ||
				    named(val_cstr(l), req->unredirected)))
			continue;
		val_list_push(out, val_ref(l));
	}
	return out;
}

static bool expects_body(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

static bool sends_body(const struct uri_req *req, const struct uri_hop *hop)
{
	return (hop->body && req->has_body) || expects_body(hop->method);
}

/* curl's config: read with -K from the scratch directory. */
static void curl_config(struct buf *c, const struct uri_req *req,
			const struct uri_hop *hop, const struct val *hl)
{
	const char *m = hop->method;

	curl_quoted(c, "url", hop->url);
	if (!strcmp(m, "HEAD"))
		buf_adds(c, "head\n");
	else if (strcmp(m, "POST") || !sends_body(req, hop))
		curl_quoted(c, "request", m);
	if (sends_body(req, hop) && strcmp(m, "HEAD"))
		buf_adds(c, hop->body && req->has_body ?
			 "data-binary = \"@d\"\n" : "data-binary = \"\"\n");
	curl_quoted(c, "user-agent", req->agent);
	for (size_t i = 0; i < val_len(hl); i++)
		curl_quoted(c, "header", val_cstr(val_list_at(hl, i)));
	/* what Python's urllib sends, unless the task says otherwise */
	if (!has_header(hl, "accept"))
		buf_adds(c, "header = \"Accept:\"\n");
	if (!has_header(hl, "accept-encoding"))
		buf_adds(c, "header = \"Accept-Encoding: identity\"\n");
	if (!has_header(hl, "expect"))
		buf_adds(c, "header = \"Expect:\"\n");
	if (!(hop->body && req->has_body) && !has_header(hl, "content-type"))
		buf_adds(c, "header = \"Content-Type:\"\n");
	if (req->user && !req->force_basic_auth) {
		struct buf up = BUF_INIT;

		buf_addf(&up, "%s:%s", req->user, req->password);
		curl_quoted(c, "user", up.ptr);
		buf_adds(c, "anyauth\n");
		buf_release_secret(&up);
	}
	if (req->unix_socket)
		curl_quoted(c, "unix-socket", req->unix_socket);
	if (req->client_cert)
		curl_quoted(c, "cert", req->client_cert);
	if (req->client_key)
		curl_quoted(c, "key", req->client_key);
	if (req->ca_path)
		curl_quoted(c, "cacert", req->ca_path);
	if (!req->validate_certs)
		buf_adds(c, "insecure\n");
	if (!req->use_proxy)
		buf_adds(c, "noproxy = \"*\"\n");
	buf_addf(c, "connect-timeout = %lld\nspeed-limit = 1\n"
		 "speed-time = %lld\nhttp1.1\nproto = \"=http,https\"\n"
		 "cookie = \"j\"\ncookie-jar = \"j\"\n", req->timeout,
		 req->timeout);
}

/* wget's config (wgetrc: a value is the rest of its line). */
static void wget_config(struct buf *c, const struct uri_req *req,
			const struct uri_hop *hop, const struct val *hl)
{
	buf_addf(c, "method = %s\n", hop->method);
	if (hop->body && req->has_body)
		buf_adds(c, "body_file = d\n");
	buf_addf(c, "user_agent = %s\n", req->agent);
	for (size_t i = 0; i < val_len(hl); i++)
		buf_addf(c, "header = %s\n", val_cstr(val_list_at(hl, i)));
	if (!has_header(hl, "accept-encoding"))
		buf_adds(c, "header = Accept-Encoding: identity\n");
	if (req->user && !req->force_basic_auth)
		buf_addf(c, "http_user = %s\nhttp_password = %s\n", req->user,
			 req->password);
	if (req->client_cert)
		buf_addf(c, "certificate = %s\n", req->client_cert);
	if (req->client_key)
		buf_addf(c, "private_key = %s\n", req->client_key);
	if (req->ca_path)
		buf_addf(c, "ca_certificate = %s\n", req->ca_path);
	if (!req->validate_certs)
		buf_adds(c, "check_certificate = off\n");
	if (!req->use_proxy)
		buf_adds(c, "use_proxy = off\n");
	buf_addf(c, "timeout = %lld\nmax_redirect = 0\ntries = 1\n"
		 "content_on_error = on\nserver_response = on\n"
		 "verbose = off\nload_cookies = j\nsave_cookies = j\n"
		 "keep_session_cookies = on\n", req->timeout);
}

/* A value for wgetrc and curl's config may hold no line break. */
static int check_values(const struct uri_req *req, const struct uri_hop *hop)
{
	const char *v[] = { hop->url, req->agent, req->user, req->password,
			    req->unix_socket, req->client_cert,
			    req->client_key, req->ca_path };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i] && strpbrk(v[i], "\r\n"))
			return tend_error_set("uri: a URL, credential or path "
					      "may not hold a line break");
	return 0;
}

/* `path` for a test: a leading "~/" as $HOME, as Python's expanduser. */
static void add_path_var(struct buf *s, const char *var, const char *path)
{
	buf_addf(s, "%s=", var);
	if (!strncmp(path, "~/", 2)) {
		buf_adds(s, "\"$HOME\"/");
		sh_quote(s, path + 2);
	} else {
		sh_quote(s, path);
	}
	buf_addch(s, '\n');
}

/* creates/removes: Ansible's "skipped, since ..." before any request. */
static void skip_tests(struct buf *s, const struct uri_req *req)
{
	if (req->creates) {
		add_path_var(s, "x", req->creates);
		buf_adds(s, "if [ -e \"$x\" ]; then m=\"skipped, since '$x' "
			 "exists\"; printf 'skip:%s\\n%s\\n' \"${#m}\" \"$m\"; "
			 "exit 0; fi\n");
	}
	if (req->removes) {
		add_path_var(s, "x", req->removes);
		buf_adds(s, "if [ ! -e \"$x\" ]; then m=\"skipped, since '$x' "
			 "does not exist\"; printf 'skip:%s\\n%s\\n' \"${#m}\" "
			 "\"$m\"; exit 0; fi\n");
	}
}

void uri_host_skip_script(struct buf *s, const struct uri_req *req)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	skip_tests(s, req);
}

/*
 * The scratch directory's input files: cc (curl's config), cw (wget's),
 * u (the URL, for wget -i), j (the cookie jar), d (the body). With
 * stdin they come on it, lengths first known here; else from the
 * script itself (printf is a builtin: no command line holds them).
 */
static void inputs(struct buf *s, struct buf *in, const struct buf *cc,
		   const struct buf *cw, const struct buf *u,
		   const struct uri_req *req, const struct uri_hop *hop)
{
	const struct buf *parts[] = { cc, cw, u };
	static const char *const names[] = { "cc", "cw", "u", "j" };
	struct buf jar = BUF_INIT;
	bool body = hop->body && req->has_body;

	buf_add(&jar, hop->jar ? hop->jar : "", hop->jar ? hop->jar_len : 0);
	buf_adds(s, "(umask 077 && cd \"$w\" && {\n");
	for (size_t i = 0; i < 4; i++) {
		const struct buf *b = i < 3 ? parts[i] : &jar;

		if (hop->stdin_ok) {
			buf_addf(s, "\tdd bs=1 count=%zu of=%s 2>/dev/null "
				 "&&\n", b->len, names[i]);
			buf_addbuf(in, b);
		} else {
			buf_adds(s, "\tprintf '%s' ");
			sh_quote_n(s, b->ptr, b->len);
			buf_addf(s, " >%s &&\n", names[i]);
		}
	}
	if (hop->stdin_ok) {
		buf_adds(s, "\tcat >d\n");
		if (body)
			buf_addbuf(in, &req->body);
	} else {
		buf_adds(s, "\tprintf '%s' ");
		sh_quote_n(s, body ? req->body.ptr : "", body ? req->body.len : 0);
		buf_adds(s, " >d\n");
	}
	buf_adds(s, "}) || exit 1\n");
	buf_release_secret(&jar);
}

/*
 * Where the body goes: a temp file beside dest (o), which then gets an
 * If-Modified-Since of dest's time, as Ansible's last_mod_time; else
 * the scratch directory.
 */
static void dest_lines(struct buf *s, const struct uri_req *req)
{
	if (!req->dest) {
		buf_adds(s, "o=$w/b\n");
		return;
	}
	add_path_var(s, "p", req->dest);
	buf_adds(s, "if [ -d \"$p\" ]; then pd=$p; else pd=$(dirname -- \"$p\")"
		 "; fi\n"
		 "[ \"$pd\" = \"$p\" ] && echo 'destdir 1'\n"
		 "o=$(mktemp \"$pd/.tend-uri-XXXXXX\") || exit 1\n"
		 "case $o in /*) ;; *) o=$PWD/$o ;; esac\n"
		 "if [ -f \"$p\" ]; then\n"
		 "\tims=$(date -u -r \"$p\" '+%a, %d %b %Y %H:%M:%S GMT') && "
		 "printf 'header = \"If-Modified-Since: %s\"\\n' \"$ims\" "
		 ">>\"$w/cc\" && printf 'header = If-Modified-Since: %s\\n' "
		 "\"$ims\" >>\"$w/cw\" || exit 1\nfi\n");
}

/*
 * Print the answer: the tool's exit code and time, the header dump,
 * curl's error, the jar, and the body when the result needs it (asked
 * for, a status outside status_code, JSON, an HTTP error: decided from
 * the dump here, exactly again by the caller), and the temp file.
 */
static void answer_lines(struct buf *s, const struct uri_req *req,
			 const struct uri_hop *hop)
{
	buf_adds(s, "s1=$(date +%s%N)\n"
		 "echo \"rc $r\"\n"
		 "case $s0$s1 in *N*) ;; *) echo \"ns $((s1 - s0))\" ;; esac\n"
		 "for f in h e j; do [ -f \"$w/$f\" ] || : >\"$w/$f\"; done\n"
		 "n=$(wc -c <\"$w/h\") && echo \"hdr:$((n))\" && "
		 "cat -- \"$w/h\" && echo || exit 1\n"
		 "if [ $r != 0 ]; then n=$(wc -c <\"$w/e\") && echo \"err:$((n))\""
		 " && cat -- \"$w/e\" && echo || exit 1; fi\n"
		 "[ -s \"$w/tc\" ] && echo \"tc $(cat \"$w/tc\")\"\n"
		 "n=$(wc -c <\"$w/j\") && echo \"jar:$((n))\" && "
		 "cat -- \"$w/j\" && echo || exit 1\n"
		 "code=$(sed -n 's/^ *HTTP\\/[^ ]*  *\\([0-9][0-9]*\\).*/\\1/p' "
		 "\"$w/h\" | tail -n 1)\n");
	buf_addf(s, "need=%d\n", req->return_content);
	buf_adds(s, "case $code in 2[0-9][0-9]) ;; *) need=1 ;; esac\ncase ' ");
	for (size_t i = 0; i < req->ncodes; i++)
		buf_addf(s, "%lld ", req->codes[i]);
	buf_adds(s, "' in *\" $code \"*) ;; *) need=1 ;; esac\n"
		 "grep -qi 'json\\|javascript' \"$w/h\" && need=1\n");
	if (!strcmp(hop->method, "HEAD"))
		buf_adds(s, "need=0; : >\"$o\"\n");
	buf_adds(s, "if [ $need = 1 ] && [ -f \"$o\" ]; then n=$(wc -c <\"$o\")"
		 " && echo \"body:$((n))\" && cat -- \"$o\" && echo || exit 1;"
		 " fi\n");
	if (req->dest)
		buf_adds(s, "printf 'tmp:%s\\n%s\\n' \"${#o}\" \"$o\"\n");
}

int uri_host_script(struct buf *s, struct buf *in, const struct uri_req *req,
		    const struct uri_hop *hop)
{
	struct buf cc = BUF_INIT, cw = BUF_INIT, u = BUF_INIT;
	struct val *hl = NULL;

	if (check_values(req, hop) < 0)
		return -1;
	hl = hop_headers(req, hop);
	curl_config(&cc, req, hop, hl);
	wget_config(&cw, req, hop, hl);
	buf_addf(&u, "%s\n", hop->url);
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	if (hop->old_tmp) {
		buf_adds(s, "rm -f -- ");
		sh_quote(s, hop->old_tmp);
		buf_addch(s, '\n');
	}
	if (hop->first)
		skip_tests(s, req);
	buf_adds(s, "if command -v curl >/dev/null 2>&1; then t=c\n");
	/* wget reaches no unix socket */
	if (!req->unix_socket)
		buf_adds(s, "elif command -v wget >/dev/null 2>&1 && wget "
			 "--version 2>/dev/null | grep -q 'GNU Wget'; then "
			 "t=w\n");
	buf_adds(s, "else echo 'tool -'; exit 0; fi\necho \"tool $t\"\n"
		 "w=$(mktemp -d \"${TMPDIR:-/tmp}/.tend-uri-XXXXXX\") || exit 1\n"
		 "trap 'rm -rf -- \"$w\"' EXIT\n"
		 "trap 'rm -rf -- \"$w\" ${o:+\"$o\"}; exit 1' HUP INT PIPE TERM\n");
	inputs(s, in, &cc, &cw, &u, req, hop);
	dest_lines(s, req);
	buf_adds(s, "s0=$(date +%s%N)\n"
		 "if [ $t = c ]; then\n"
		 "\t(cd \"$w\" && exec curl -q -sS -K cc -D h -o \"$o\" "
		 "-w '%{time_connect}' >tc 2>e); r=$?\n"
		 "else\n"
		 "\t(cd \"$w\" && exec wget --config=cw -i u -O \"$o\" 2>h); "
		 "r=$?\n"
		 "\tgrep -v '^  ' \"$w/h\" >\"$w/e\"\n"
		 "fi\n");
	answer_lines(s, req, hop);
	buf_release_secret(&cc);
	buf_release_secret(&cw);
	buf_release_secret(&u);
	val_unref(hl);
	return 0;
}

void uri_host_out_init(struct uri_host_out *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->err, 0);
	buf_init(&o->hdr, 0);
	buf_init(&o->jar, 0);
	buf_init(&o->body, 0);
}

void uri_host_out_release(struct uri_host_out *o)
{
	free(o->skip);
	buf_release(&o->err);
	buf_release_secret(&o->hdr);
	buf_release_secret(&o->jar);
	buf_release(&o->body);
	free(o->tmp);
	uri_host_out_init(o);
}

static void set_buf(struct buf *b, const struct rec *r)
{
	buf_reset(b);
	buf_add(b, r->val, r->len);
}

int uri_host_parse(struct uri_host_out *out, const struct buf *printed)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, printed, &pos)) > 0) {
		if (rec_is(&r, "tool"))
			out->tool = r.len && r.val[0] != '-' ? r.val[0] : 0;
		else if (rec_is(&r, "skip")) {
			free(out->skip);
			out->skip = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "rc"))
			out->rc = atoi(r.val);
		else if (rec_is(&r, "ns"))
			out->ns = strtoll(r.val, NULL, 10);
		else if (rec_is(&r, "tc"))
			out->timed_connect = strtod(r.val, NULL) > 0;
		else if (rec_is(&r, "hdr"))
			set_buf(&out->hdr, &r);
		else if (rec_is(&r, "err"))
			set_buf(&out->err, &r);
		else if (rec_is(&r, "jar"))
			set_buf(&out->jar, &r);
		else if (rec_is(&r, "body")) {
			set_buf(&out->body, &r);
			out->body_known = true;
		} else if (rec_is(&r, "destdir")) {
			out->dest_dir = true;
		} else if (rec_is(&r, "tmp")) {
			free(out->tmp);
			out->tmp = xstrndup(r.val, r.len);
		}
	}
	return n;
}

/* One line of a dump without its indent and line end. */
static void trimmed(const char **b, const char **e)
{
	while (*b < *e && (**b == ' ' || **b == '\t'))
		(*b)++;
	while (*e > *b && ((*e)[-1] == '\r' || (*e)[-1] == ' '))
		(*e)--;
}

void uri_host_headers(long *status, char **reason, struct val **headers,
		      const char *dump, size_t len)
{
	const char *p = dump, *end = dump + len;
	bool wget = false, seen = false;

	*status = -1;
	*reason = NULL;
	*headers = val_list();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *b = p, *e = nl ? nl : end, *colon;
		bool indented = b < e && *b == ' ';

		p = nl ? nl + 1 : end;
		trimmed(&b, &e);
		if (e - b > 5 && !strncmp(b, "HTTP/", 5)) {
			const char *sp = memchr(b, ' ', (size_t)(e - b)), *sp2;

			/* wget's headers are indented among its own lines */
			if (!seen)
				wget = indented;
			seen = true;
			*status = sp ? strtol(sp + 1, NULL, 10) : 0;
			free(*reason);
			sp2 = sp ? memchr(sp + 1, ' ', (size_t)(e - sp - 1)) : NULL;
			*reason = sp2 ? xstrndup(sp2 + 1, (size_t)(e - sp2 - 1)) :
				xstrdup("");
			val_unref(*headers);
			*headers = val_list();
			continue;
		}
		if (!seen || (wget && !indented) ||
		    !(colon = memchr(b, ':', (size_t)(e - b))) || colon == b)
			continue;
		{
			struct val *pair = val_list();
			const char *v = colon + 1;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			val_list_push(pair, val_strn(b, (size_t)(colon - b)));
			val_list_push(pair, val_strn(v, (size_t)(e - v)));
			val_list_push(*headers, pair);
		}
	}
}

/* The first line of the tool's words, trimmed (a new string). */
static char *first_line(const struct buf *err)
{
	const char *b = err->ptr, *e;

	while (*b == '\n' || *b == ' ')
		b++;
	e = b + strcspn(b, "\n");
	while (e > b && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '.'))
		e--;
	if (e - b > 6 && !strncmp(b, "curl: ", 6))
		b += 6;
	/* curl's "(7) " before its words */
	if (*b == '(' && b[1 + strspn(b + 1, "0123456789")] == ')' &&
	    b[2 + strspn(b + 1, "0123456789")] == ' ')
		b += 3 + strspn(b + 1, "0123456789");
	return xstrndup(b, (size_t)(e - b));
}

static void request_failed(char **out, const char *why)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "Request failed: <urlopen error %s>",
		 *why ? why : "the request failed");
	*out = buf_detach(&b, NULL);
}

char *uri_host_error(const struct uri_host_out *o, bool unix_socket)
{
	char *why = first_line(&o->err), *out;
	const char *w = why;

	if (o->tool == 'c') {
		switch (o->rc) {
		case 6:
			w = "[Errno -2] Name or service not known";
			break;
		case 7:
			w = unix_socket ? "[Errno 2] No such file or directory" :
				"[Errno 111] Connection refused";
			break;
		case 28:
			if (o->timed_connect) {
				free(why);
				return xstrdup("Connection failure: timed out");
			}
			w = "timed out";
			break;
		}
	} else if (strcasestr(why, "refused")) {
		w = "[Errno 111] Connection refused";
	} else if (strcasestr(why, "unable to resolve")) {
		w = "[Errno -2] Name or service not known";
	} else if (strcasestr(why, "timed out")) {
		free(why);
		return xstrdup("Connection failure: timed out");
	}
	request_failed(&out, w);
	free(why);
	return out;
}
