#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/taskenv.h"
#include "tend/net/http.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <ctype.h>
#include <strings.h>
#include <time.h>

/*
 * get_url: download a file over HTTP(S) (or whatever the host's curl
 * speaks) to dest, as Ansible's get_url does.
 *
 * The check is one probe: dest's state (and its digest when a checksum
 * is given) and which downloader the host has. The apply downloads on
 * the host with curl (GNU wget else) into a temp file beside dest, or,
 * with neither there, fetches on the controller with libcurl (net/http)
 * and sends the bytes; then one more script puts the file in place only
 * if its content differs (a checksum that does not match: nothing is
 * written). Credentials and headers reach curl and wget through their
 * config read on stdin, never their command line.
 */

static const char *const algos[] = { "md5", "sha1", "sha224", "sha256",
				     "sha384", "sha512", NULL };

static const struct arg_spec get_url_args[] = {
	{ "url", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the URL to download (http, https, ftp, file with the host's "
	  "curl; http and https from the controller)" },
	{ "dest", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "the file to write; a directory gets the name the server gives "
	  "(Content-Disposition) or the URL's last part" },
	{ "checksum", ARG_STR, 0, NULL, NULL, "''",
	  "ALGO:HEX (md5, sha1, sha224, sha256, sha384, sha512): a dest "
	  "that has it is not downloaded again; a download that lacks it "
	  "fails and writes nothing" },
	{ "force", ARG_BOOL, 0, "thirsty", NULL, "no",
	  "download even when dest exists (no: only when the server has a "
	  "newer copy, If-Modified-Since, or the checksum differs)" },
	{ "headers", ARG_DICT, 0, NULL, NULL, NULL,
	  "HTTP request headers (never shown)" },
	{ "timeout", ARG_INT, 0, NULL, NULL, "10",
	  "seconds to wait for the connection and between bytes" },
	{ "url_username", ARG_STR, 0, "username", NULL, NULL,
	  "user for HTTP basic authentication" },
	{ "url_password", ARG_STR, ARG_SECRET, "password", NULL, NULL,
	  "password for HTTP basic authentication (never shown)" },
	{ "force_basic_auth", ARG_BOOL, 0, NULL, NULL, "no",
	  "send Basic credentials with the first request (no: only when "
	  "the server asks)" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "verify the server's TLS certificate" },
	{ "use_proxy", ARG_BOOL, 0, NULL, NULL, "yes",
	  "use the proxy of the environment (no: none)" },
	{ "http_agent", ARG_STR, 0, NULL, NULL, "ansible-httpget",
	  "the User-Agent header" },
	{ "backup", ARG_BOOL, 0, NULL, NULL, "no",
	  "keep the replaced file as DEST.PID.DATE~" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the check found, for apply. */
struct gu_plan {
	char *algo, *sum;      /* the wanted digest, or NULL */
	bool dest_dir;         /* dest is a directory */
	struct file_state st;  /* dest's state (not when a directory) */
	char *digest;          /* dest's digest by algo, or NULL */
	char tool;             /* 'c' curl, 'w' GNU wget, 0: the controller */
};

static void gu_plan_free(void *p)
{
	struct gu_plan *g = p;

	if (!g)
		return;
	free(g->algo);
	free(g->sum);
	free(g->digest);
	file_state_release(&g->st);
	free(g);
}

/* "sha256:AB cd.." → algo "sha256", sum "abcd..", as Ansible reads it. */
static int parse_checksum(struct gu_plan *g, const char *s)
{
	const char *colon = strchr(s, ':');
	struct buf sum = BUF_INIT;
	size_t i;

	if (!colon)
		return tend_error_set("The checksum parameter has to be in "
				      "format <algorithm>:<checksum>");
	for (i = 0; algos[i]; i++)
		if (strlen(algos[i]) == (size_t)(colon - s) &&
		    !strncmp(algos[i], s, (size_t)(colon - s)))
			break;
	if (!algos[i])
		return tend_error_set("checksum: unsupported algorithm '%.*s' "
				      "(md5, sha1, sha224, sha256, sha384, "
				      "sha512)", (int)(colon - s), s);
	if (strstr(colon + 1, "://"))
		return tend_error_set("checksum: a checksum file by URL "
				      "(ALGO:URL) is not supported; give the "
				      "digest itself");
	for (const char *c = colon + 1; *c; c++)
		if (isalnum((unsigned char)*c) || *c == '_')
			buf_addch(&sum, tolower((unsigned char)*c));
	if (!sum.len || strspn(sum.ptr, "0123456789abcdef") != sum.len) {
		buf_release(&sum);
		return tend_error_set("The checksum format is invalid");
	}
	g->algo = xstrndup(s, (size_t)(colon - s));
	g->sum = buf_detach(&sum, NULL);
	return 0;
}

static int get_url_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *dest = arg_str(ctx, "dest");
	const char *checksum = arg_str(ctx, "checksum");
	struct gu_plan *g = xcalloc(1, sizeof(*g));
	struct buf *s = &out->script;

	file_state_init(&g->st);
	out->priv = g;
	out->priv_free = gu_plan_free;
	if (!dest || !arg_str(ctx, "url"))
		return tend_error_set("url and dest are required");
	if (checksum && *checksum && parse_checksum(g, checksum) < 0)
		return -1;
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	buf_adds(s, "p=");
	sh_quote(s, dest);
	buf_adds(s, "\nif [ -d \"$p\" ]; then echo 'dir 1'; else\n"
		 "\ttend_probe \"$p\" L n || exit 1\n");
	if (g->algo)
		buf_addf(s, "\tif [ -f \"$p\" ]; then h=$(%ssum < \"$p\") || "
			 "exit 1; echo \"digest ${h%%%% *}\"; fi\n", g->algo);
	buf_adds(s, "fi\n"
		 "if command -v curl >/dev/null 2>&1; then echo 'tool c'\n"
		 "elif command -v wget >/dev/null 2>&1 && wget --version "
		 "2>/dev/null | grep -q 'GNU Wget'; then echo 'tool w'\n"
		 "else echo 'tool -'; fi\n");
	return 0;
}

/* Parse the probe's reply into g. */
static int read_probe(struct gu_plan *g, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	if (strncmp(out->ptr, "dir 1\n", 6) &&
	    file_state_parse(&g->st, out, &pos) < 0)
		return -1;
	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "dir"))
			g->dest_dir = true;
		else if (rec_is(&r, "digest"))
			g->digest = xstrndup(r.val, r.len);
		else if (rec_is(&r, "tool"))
			g->tool = *r.val == '-' ? 0 : *r.val;
	}
	return n;
}

/* The result of "file already exists" (a matching checksum). */
static struct val *exists_result(const struct task_ctx *ctx,
				 const struct file_state *st, bool changed)
{
	struct val *res = val_dict();

	val_dict_set(res, "checksum_dest", val_null());
	val_dict_set(res, "checksum_src", val_null());
	val_dict_set_str(res, "dest", arg_str(ctx, "dest"));
	val_dict_set_int(res, "elapsed", 0);
	val_dict_set_str(res, "url", arg_str(ctx, "url"));
	val_dict_set_str(res, "msg", changed ? "file already exists but file "
			 "attributes changed" : "file already exists");
	file_state_info(res, st);
	return res;
}

/* A URL as plans show it: without a user:password@ part. */
static void add_url(struct buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *at, *end;

	if (p) {
		p += 3;
		end = p + strcspn(p, "/?#");
		at = memchr(p, '@', (size_t)(end - p));
		if (at) {
			buf_add(out, url, (size_t)(p - url));
			url = at + 1;
		}
	}
	buf_adds(out, url);
}

static void add_download(struct buf *changes, const char *url,
			 const char *dest)
{
	buf_adds(changes, "download: ");
	add_url(changes, url);
	buf_addf(changes, " -> %s\n", dest);
}

static int get_url_judge(struct check_result *out, const struct task_ctx *ctx,
			 struct probe *p, const struct exec_result *res)
{
	struct gu_plan *g = p->priv;
	const char *url = arg_str(ctx, "url"), *dest = arg_str(ctx, "dest");
	bool force = arg_bool(ctx, "force", false);

	out->priv = g;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	if (res->status) {
		struct buf e = BUF_INIT;
		int error;

		buf_addbuf(&e, &res->err);
		buf_trim(&e);
		error = tend_error_set("cannot read '%s': %s", dest,
				       e.len ? e.ptr : "script failed");
		buf_release(&e);
		return error;
	}
	if (read_probe(g, &res->out) < 0)
		return -1;
	if (g->dest_dir) {
		out->status = CHECK_UNKNOWN;
		buf_adds(&out->msg, "download ");
		add_url(&out->msg, url);
		buf_addf(&out->msg, " into %s/ (the name comes from the server)",
			 dest);
		return 0;
	}
	if (!g->st.exists) {
		out->status = CHECK_CHANGE;
		add_download(&out->changes, url, dest);
		buf_adds(&out->changes, "state: absent -> file\n");
		return 0;
	}
	if (g->sum && !force && g->digest && !strcmp(g->sum, g->digest)) {
		struct file_want w = { .path = dest, .mode = arg_get(ctx, "mode"),
				       .owner = arg_str(ctx, "owner"),
				       .group = arg_str(ctx, "group") };

		if (val_is(w.mode, VAL_NULL))
			w.mode = NULL;
		if (file_plan(out, &g->st, &w) < 0)
			return -1;
		out->result = exists_result(ctx, &g->st, false);
		return 0;
	}
	if (g->sum) {
		out->status = CHECK_CHANGE;
		add_download(&out->changes, url, dest);
		buf_addf(&out->changes, "%s: %s -> %s\n", g->algo,
			 g->digest ? g->digest : "(not a regular file)", g->sum);
		return 0;
	}
	out->status = CHECK_UNKNOWN;
	buf_adds(&out->msg, "download ");
	add_url(&out->msg, url);
	if (force)
		buf_addf(&out->msg, " and replace %s if its content differs",
			 dest);
	else
		buf_addf(&out->msg, " if the server's copy is newer than %s "
			 "(If-Modified-Since), and replace it if its content "
			 "differs", dest);
	return 0;
}

/* What a download brought: from the host's script or libcurl. */
struct dl {
	long code;
	char *reason, *cd, *cl, *url; /* status text, Content-Disposition,
					 Content-Length, effective URL */
	char *tmp;                    /* the temp file on the host, or NULL */
	char sha1[41];
	char *digest;                 /* by the checksum's algo, or NULL */
	long long elapsed;
	long long ns;                 /* the host's time of the request, or 0 */
};

static void dl_release(struct dl *d)
{
	free(d->reason);
	free(d->cd);
	free(d->cl);
	free(d->url);
	free(d->tmp);
	free(d->digest);
}

static void set_str(char **slot, const char *s, size_t len)
{
	free(*slot);
	*slot = xstrndup(s, len);
}

/*
 * The response headers as curl -D writes them or wget -S prints them
 * (indented, among wget's own lines): the last response's status line,
 * Content-Disposition and Content-Length.
 */
static void parse_headers(struct dl *d, const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end, *b = s;

		s = nl ? nl + 1 : end;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == '\r' || e[-1] == ' '))
			e--;
		if (e - b > 5 && !strncmp(b, "HTTP/", 5)) {
			const char *sp = memchr(b, ' ', (size_t)(e - b));

			if (!sp)
				continue;
			d->code = strtol(sp + 1, NULL, 10);
			sp = memchr(sp + 1, ' ', (size_t)(e - sp - 1));
			set_str(&d->reason, sp ? sp + 1 : e,
				sp ? (size_t)(e - sp - 1) : 0);
			free(d->cd);
			free(d->cl);
			d->cd = d->cl = NULL;
		} else if (e - b > 20 &&
			   !strncasecmp(b, "content-disposition:", 20)) {
			for (b += 20; b < e && *b == ' '; b++)
				;
			set_str(&d->cd, b, (size_t)(e - b));
		} else if (e - b > 15 && !strncasecmp(b, "content-length:", 15)) {
			for (b += 15; b < e && *b == ' '; b++)
				;
			set_str(&d->cl, b, (size_t)(e - b));
		}
	}
}

/*
 * The download on the host into a temp file in `dir`: it prints the
 * temp file's name, the effective URL, the header dump, the SHA-1 and
 * the digest by algo. The config goes to `conf` (stdin).
 */
static int download_script(struct buf *s, struct buf *conf,
			   const struct task_ctx *ctx, const struct gu_plan *g,
			   const char *dir, bool conditional)
{
	long long timeout = arg_int(ctx, "timeout", 10);
	bool insecure = !arg_bool(ctx, "validate_certs", true);
	bool noproxy = !arg_bool(ctx, "use_proxy", true);

	buf_adds(s, "LC_ALL=C; export LC_ALL\nd=");
	sh_quote(s, dir);
	buf_adds(s, "\np=");
	sh_quote(s, arg_str(ctx, "dest"));
	buf_adds(s, "\n[ -d \"$d\" ] || { printf 'Destination %s does not "
		 "exist\\n' \"$d\" >&2; exit 1; }\n"
		 "t=$(mktemp \"$d/.tend-get_url-XXXXXX\") || exit 1\n"
		 "h=$(mktemp \"${TMPDIR:-/tmp}/.tend-hdr-XXXXXX\") || "
		 "{ rm -f -- \"$t\"; exit 1; }\n"
		 "trap 'rm -f -- \"$h\"' EXIT\n"
		 "trap 'rm -f -- \"$t\" \"$h\"; exit 1' HUP INT PIPE TERM\n"
		 /* the request's own time, as Ansible's elapsed */
		 "s0=$(date +%s%N)\n");
	if (g->tool == 'c') {
		if (download_config(conf, ctx, 'c') < 0)
			return -1;
		buf_addf(s, "u=$(curl -q -sS -L --proto-redir =http,https,ftp "
			 "--max-redirs 20 --connect-timeout %lld "
			 "--speed-limit 1 --speed-time %lld%s%s -K - -o \"$t\" "
			 "-D \"$h\" -w '%%{url_effective}'%s) || "
			 "{ rm -f -- \"$t\"; exit 2; }\n", timeout, timeout,
			 insecure ? " -k" : "", noproxy ? " --noproxy '*'" : "",
			 conditional ? " -z \"$p\"" : "");
	} else {
		if (download_config(conf, ctx, 'w') < 0)
			return -1;
		/* wget reads no config from a pipe: a file only we can read */
		buf_adds(s, "c=$(umask 077 && mktemp \"${TMPDIR:-/tmp}/.tend-"
			 "wgetrc-XXXXXX\") && trap 'rm -f -- \"$h\" \"$c\"' EXIT "
			 "&& cat > \"$c\" || { rm -f -- \"$t\"; exit 1; }\n");
		buf_addf(s, "set -- --config=\"$c\" -nv -S --tries=1 "
			 "--max-redirect=20 --timeout=%lld%s%s\n", timeout,
			 insecure ? " --no-check-certificate" : "",
			 noproxy ? " --no-proxy" : "");
		if (conditional)
			buf_adds(s, "set -- \"$@\" --header=\"If-Modified-Since: "
				 "$(date -u -r \"$p\" '+%a, %d %b %Y %H:%M:%S "
				 "GMT')\"\n");
		buf_adds(s, "u=");
		sh_quote(s, arg_str(ctx, "url"));
		buf_adds(s, "\nwget \"$@\" -O \"$t\" -- \"$u\" 2>\"$h\"; r=$?\n"
			 "[ $r = 0 ] || [ $r = 8 ] || { cat -- \"$h\" >&2; "
			 "rm -f -- \"$t\"; exit 2; }\n");
	}
	buf_adds(s, "s1=$(date +%s%N)\n"
		 "case $s0$s1 in *N*) ;; *) echo \"ns $((s1 - s0))\" ;; esac\n");
	buf_adds(s, "printf 'tmp:%s\\n%s\\n' \"${#t}\" \"$t\"\n"
		 "printf 'url:%s\\n%s\\n' \"${#u}\" \"$u\"\n"
		 "n=$(wc -c < \"$h\") && echo \"hdr:$((n))\" && cat -- \"$h\" "
		 "&& echo || exit 1\n"
		 "x=$(sha1sum < \"$t\") && echo \"sha1 ${x%% *}\" || exit 1\n");
	if (g->algo)
		buf_addf(s, "x=$(%ssum < \"$t\") && echo \"digest ${x%%%% *}\" "
			 "|| exit 1\n", g->algo);
	return 0;
}

static int host_download(struct dl *d, const struct task_ctx *ctx,
			 const struct gu_plan *g, const char *dir,
			 bool conditional)
{
	struct buf s = BUF_INIT, conf = BUF_INIT, e = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct rec r;
	size_t pos = 0;
	int error, n;

	if ((error = download_script(&s, &conf, ctx, g, dir, conditional)) < 0)
		goto out;
	req.script = s.ptr;
	req.in = conf.ptr;
	req.inlen = conf.len;
	req.become_user = ctx->become_user;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_addbuf(&e, &res.err);
		buf_trim(&e);
		error = tend_error_set("%s%s", res.status == 2 ?
				       "Request failed: " : "",
				       e.len ? e.ptr : "the download failed");
		goto out;
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0) {
		if (rec_is(&r, "tmp"))
			set_str(&d->tmp, r.val, r.len);
		else if (rec_is(&r, "url"))
			set_str(&d->url, r.val, r.len);
		else if (rec_is(&r, "hdr"))
			parse_headers(d, r.val, r.len);
		else if (rec_is(&r, "sha1") && r.len == 40)
			memcpy(d->sha1, r.val, 40);
		else if (rec_is(&r, "digest"))
			set_str(&d->digest, r.val, r.len);
		else if (rec_is(&r, "ns"))
			d->ns = strtoll(r.val, NULL, 10);
	}
	error = n < 0 ? n : 0;
	if (!error && (!d->tmp || !d->sha1[0]))
		error = tend_error_set("cannot parse the reply of the host");
out:
	buf_release_secret(&conf);
	buf_release(&s);
	buf_release(&e);
	exec_result_release(&res);
	return error;
}

/* The digest of `data` by `algo`, computed by the host's tool: NULL. */
static int controller_fetch(struct dl *d, struct buf *body,
			    const struct task_ctx *ctx, const struct gu_plan *g,
			    bool conditional)
{
	struct http_opts o = HTTP_OPTS_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "GET", .opts = &o };
	struct taskenv_proxy proxy = TASKENV_PROXY_INIT;
	struct val *hl = NULL;
	const char **headers = NULL;
	long long timeout = arg_int(ctx, "timeout", 10);
	int error;

	o.timeout_ms = 0x7fffffffL;
	/* `timeout` as a socket timeout; the task's `timeout:` ends it all */
	o.idle_timeout_ms = timeout > 0 ? (long)timeout * 1000 : 0;
	o.max_ms = taskenv_time_left_ms(ctx);
	/* the task's environment decides the proxy, as it would on the host */
	o.no_proxy = !arg_bool(ctx, "use_proxy", true);
	o.proxy_env = taskenv_proxy(&proxy, ctx);
	o.retries = -1;
	o.follow_redirects = true;
	o.insecure = !arg_bool(ctx, "validate_certs", true);
	o.username = arg_str(ctx, "url_username");
	o.password = arg_str(ctx, "url_password");
	o.user_agent = arg_str(ctx, "http_agent") ? arg_str(ctx, "http_agent") :
		"ansible-httpget";
	if (conditional)
		o.if_modified_since = g->st.mtime;
	if ((error = download_headers(&hl, ctx)) < 0)
		goto out;
	headers = xcalloc(val_len(hl) + 1, sizeof(*headers));
	for (size_t i = 0; i < val_len(hl); i++)
		headers[i] = val_cstr(val_list_at(hl, i));
	req.url = arg_str(ctx, "url");
	req.headers = headers;
	if ((error = http_request(&resp, &req)) < 0) {
		error = tend_error_set("Request failed: %s", tend_error_last());
		goto out;
	}
	d->code = resp.status;
	if (resp.reason)
		d->reason = xstrdup(resp.reason);
	if (resp.content_disposition)
		d->cd = xstrdup(resp.content_disposition);
	if (resp.content_length)
		d->cl = xstrdup(resp.content_length);
	d->url = xstrdup(resp.effective_url ? resp.effective_url : req.url);
	sha1_hex(d->sha1, resp.body.ptr, resp.body.len);
	buf_addbuf(body, &resp.body);
out:
	free(headers);
	val_unref(hl);
	taskenv_proxy_release(&proxy);
	http_response_release(&resp);
	return error;
}

/* Ansible's url_filename: the URL path's last part, or index.html. */
static void url_filename(struct buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *end, *slash;

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	end = p + strcspn(p, "?#");
	for (slash = p; (p = memchr(p, '/', (size_t)(end - p))); p++)
		slash = p + 1;
	if (slash < end)
		buf_add(out, slash, (size_t)(end - slash));
	else
		buf_adds(out, "index.html");
}

/* Where a download into the directory dest goes (Ansible's rules). */
static void dir_target(struct buf *out, const char *dest, const struct dl *d)
{
	const char *cd = d->cd, *name = NULL;
	size_t len = 0;

	buf_adds(out, dest);
	if (!out->len || out->ptr[out->len - 1] != '/')
		buf_addch(out, '/');
	if (cd && !strncmp(cd, "attachment;", 11)) {
		cd += 11;
		if (*cd == ' ')
			cd++;
		if (!strncmp(cd, "filename=", 9)) {
			cd += 9;
			if (*cd == '"')
				cd++;
			len = strcspn(cd, "\"");
			for (name = cd; memchr(name, '/', len - (size_t)(name - cd));)
				name = (const char *)memchr(name, '/',
					len - (size_t)(name - cd)) + 1;
			len -= (size_t)(name - cd);
		}
	}
	if (name && len)
		buf_add(out, name, len);
	else
		url_filename(out, d->url);
}

/* What the script that puts the file in place reports. */
struct fin {
	struct file_state before, after;
	bool moved;
	char *backup, *mismatch; /* the backup's name; the digest found */
};

/* chmod/chown/chgrp of "$p" as the args ask. */
static int add_attrs(struct buf *s, const struct task_ctx *ctx,
		     unsigned int current)
{
	const struct val *mode = arg_get(ctx, "mode");
	unsigned int m;

	if (mode && !val_is(mode, VAL_NULL)) {
		if (mode_parse(&m, mode, current, false) < 0)
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
 * The script that puts the download (the host's temp file d->tmp, or
 * `body` sent on stdin) at `path` when its content differs, after
 * checking its digest, and sets the attributes. NULL d: attributes only.
 */
static int finish_script(struct buf *s, const struct task_ctx *ctx,
			 const struct gu_plan *g, const struct dl *d,
			 const char *path, const struct buf *body)
{
	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	buf_adds(s, "p=");
	sh_quote(s, path);
	buf_addch(s, '\n');
	if (d && body) {
		buf_adds(s, "t=$(mktemp \"$(dirname -- \"$p\")/.tend-get_url-"
			 "XXXXXX\") || exit 1\n"
			 "trap 'rm -f -- \"$t\"' EXIT\n"
			 "trap 'rm -f -- \"$t\"; exit 1' HUP INT PIPE TERM\n"
			 "cat > \"$t\" || exit 1\n");
		buf_addf(s, "n=$(wc -c < \"$t\") && [ \"$((n))\" -eq %zu ] || "
			 "{ echo \"input cut short: $((n)) of %zu bytes "
			 "arrived\" >&2; exit 1; }\n", body->len, body->len);
	} else if (d) {
		buf_adds(s, "t=");
		sh_quote(s, d->tmp);
		buf_adds(s, "\ntrap 'rm -f -- \"$t\"' EXIT\n"
			 "trap 'rm -f -- \"$t\"; exit 1' HUP INT PIPE TERM\n");
	}
	buf_adds(s, "tend_probe \"$p\" '' '' || exit 1\n");
	if (d && g->sum) {
		buf_addf(s, "x=$(%ssum < \"$t\") || exit 1; x=${x%%%% *}\n"
			 "[ \"$x\" = %s ] || { echo \"mismatch $x\"; exit 0; }\n",
			 g->algo, g->sum);
	}
	if (d) {
		buf_addf(s, "if [ -f \"$p\" ] && [ ! -L \"$p\" ] && "
			 "x=$(sha1sum < \"$p\") && [ \"${x%%%% *}\" = %s ]; "
			 "then :\nelse\n", d->sha1);
		if (arg_bool(ctx, "backup", false))
			buf_adds(s, "\tif [ -f \"$p\" ]; then\n"
				 "\t\tb=\"$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"\n"
				 "\t\tcp -p -- \"$p\" \"$b\" || exit 1\n"
				 "\t\tprintf 'backup:%s\\n%s\\n' \"${#b}\" "
				 "\"$b\"\n\tfi\n");
		buf_adds(s, "\tif [ -f \"$p\" ]; then\n"
			 "\t\tchmod \"$(stat -L -c %a -- \"$p\")\" \"$t\" || "
			 "exit 1\n"
			 "\t\tchown \"$(stat -L -c %u:%g -- \"$p\")\" \"$t\" "
			 "2>/dev/null || :\n"
			 "\telse\n"
			 "\t\tchmod \"$(printf %o $((0666 & ~$(umask))))\" "
			 "\"$t\" || exit 1\n\tfi\n"
			 "\tmv -f -- \"$t\" \"$p\" || exit 1\n"
			 "\techo 'moved 1'\nfi\n");
	}
	if (add_attrs(s, ctx, g->st.exists && !g->dest_dir ? g->st.mode :
		      0644) < 0)
		return -1;
	buf_adds(s, "echo 'after 1'\ntend_probe \"$p\" '' ''\n");
	return 0;
}

static int finish(struct fin *f, const struct task_ctx *ctx,
		  const struct gu_plan *g, const struct dl *d,
		  const char *path, const struct buf *body)
{
	struct buf s = BUF_INIT, e = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct rec r;
	size_t pos = 0;
	int error, n = 0;

	if ((error = finish_script(&s, ctx, g, d, path, body)) < 0)
		goto out;
	req.script = s.ptr;
	if (body) {
		req.in = body->ptr;
		req.inlen = body->len;
	}
	req.become_user = ctx->become_user;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_addbuf(&e, &res.err);
		buf_trim(&e);
		error = tend_error_set("cannot write '%s': %s", path,
				       e.len ? e.ptr : "script failed");
		goto out;
	}
	if ((error = file_state_parse(&f->before, &res.out, &pos)) < 0)
		goto out;
	while ((n = rec_next(&r, &res.out, &pos)) > 0 && !rec_is(&r, "after")) {
		if (rec_is(&r, "moved"))
			f->moved = true;
		else if (rec_is(&r, "backup"))
			set_str(&f->backup, r.val, r.len);
		else if (rec_is(&r, "mismatch"))
			set_str(&f->mismatch, r.val, r.len);
	}
	if (n < 0)
		error = n;
	else if (n > 0)
		error = file_state_parse(&f->after, &res.out, &pos);
	else if (!f->mismatch)
		error = tend_error_set("cannot parse the reply of the host");
out:
	buf_release(&s);
	buf_release(&e);
	exec_result_release(&res);
	return error;
}

/* Remove the host's temp file of a download that is not used. */
static void drop_tmp(const struct task_ctx *ctx, const struct dl *d)
{
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };

	if (!d->tmp)
		return;
	buf_adds(&s, "rm -f -- ");
	sh_quote(&s, d->tmp);
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	(void)ctx->t->exec(ctx->t, &req, &res);
	exec_result_release(&res);
	buf_release(&s);
}

static bool attrs_differ(const struct file_state *a, const struct file_state *b)
{
	return a->exists != b->exists || a->mode != b->mode ||
	       a->uid != b->uid || a->gid != b->gid;
}

static bool is_http(const char *url)
{
	return !strncasecmp(url, "http://", 7) ||
	       !strncasecmp(url, "https://", 8);
}

/* Checksum matched, attributes differ: set them ("file already exists"). */
static int apply_attrs(struct apply_result *out, const struct task_ctx *ctx,
		       const struct gu_plan *g)
{
	struct fin f = { 0 };
	int error;

	file_state_init(&f.before);
	file_state_init(&f.after);
	if ((error = finish(&f, ctx, g, NULL, arg_str(ctx, "dest"),
			    NULL)) >= 0) {
		out->changed = attrs_differ(&f.before, &f.after);
		out->result = exists_result(ctx, &f.after, out->changed);
	}
	file_state_release(&f.before);
	file_state_release(&f.after);
	return error;
}

static void base_result(struct val *res, const struct task_ctx *ctx,
			const char *dest, const struct dl *d)
{
	val_dict_set_str(res, "url", arg_str(ctx, "url"));
	val_dict_set_str(res, "dest", dest);
	val_dict_set_int(res, "elapsed", d->elapsed);
}

/* The download is in (d); put it in place and say what happened. */
static int place(struct apply_result *out, const struct task_ctx *ctx,
		 const struct gu_plan *g, const struct dl *d,
		 const struct buf *body)
{
	const char *dest = arg_str(ctx, "dest");
	struct buf path = BUF_INIT;
	struct fin f = { 0 };
	int error;

	file_state_init(&f.before);
	file_state_init(&f.after);
	if (g->dest_dir)
		dir_target(&path, dest, d);
	else
		buf_adds(&path, dest);
	out->result = val_dict();
	base_result(out->result, ctx, path.ptr, d);
	if ((error = finish(&f, ctx, g, d, path.ptr, body)) < 0)
		goto out;
	if (f.before.exists && f.before.type == 'f')
		val_dict_set_str(out->result, "checksum_dest", f.before.sha1);
	else
		val_dict_set(out->result, "checksum_dest", val_null());
	val_dict_set_str(out->result, "checksum_src", d->sha1);
	if (f.mismatch) {
		out->failed = out->changed = true;
		buf_addf(&out->msg, "The checksum for %s did not match %s; it "
			 "was %s.", path.ptr, g->sum, f.mismatch);
		goto out;
	}
	out->changed = f.moved || attrs_differ(&f.before, &f.after);
	buf_addf(&out->msg, "OK (%s bytes)", d->cl ? d->cl : "unknown");
	if (is_http(arg_str(ctx, "url")))
		val_dict_set_int(out->result, "status_code", d->code);
	file_state_info(out->result, &f.after);
	if (f.backup)
		val_dict_set_str(out->result, "backup_file", f.backup);
out:
	file_state_release(&f.before);
	file_state_release(&f.after);
	free(f.backup);
	free(f.mismatch);
	buf_release(&path);
	return error;
}

static int get_url_apply(struct apply_result *out, const struct task_ctx *ctx,
			 const struct check_result *planned)
{
	const struct gu_plan *g = planned->priv;
	const char *dest = arg_str(ctx, "dest");
	bool force = arg_bool(ctx, "force", false);
	bool mismatch = g->sum && (!g->digest || strcmp(g->sum, g->digest));
	bool conditional = !g->dest_dir && g->st.exists && !force && !mismatch;
	struct buf dir = BUF_INIT, body = BUF_INIT;
	struct dl d = { 0 };
	struct timespec t0, t1;
	int error;

	if (g->sum && !force && !mismatch && g->st.exists)
		return apply_attrs(out, ctx, g);
	if (g->dest_dir) {
		buf_adds(&dir, dest);
	} else {
		const char *slash = strrchr(dest, '/');

		if (!slash)
			buf_adds(&dir, ".");
		else
			buf_add(&dir, dest, slash == dest ? 1 :
				(size_t)(slash - dest));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (g->tool)
		error = host_download(&d, ctx, g, dir.ptr, conditional);
	else
		error = controller_fetch(&d, &body, ctx, g, conditional);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* whole seconds, as Python's timedelta.seconds */
	d.elapsed = (long long)(t1.tv_sec - t0.tv_sec) -
		    (t1.tv_nsec < t0.tv_nsec);
	if (d.ns > 0)
		d.elapsed = d.ns / 1000000000LL;
	if (error < 0)
		goto out;
	if (is_http(arg_str(ctx, "url")) && d.code == 304) {
		drop_tmp(ctx, &d);
		out->result = val_dict();
		base_result(out->result, ctx, dest, &d);
		val_dict_set_int(out->result, "status_code", 304);
		buf_addf(&out->msg, "HTTP Error 304: %s",
			 d.reason && *d.reason ? d.reason : "Not Modified");
		file_state_info(out->result, &g->st);
	} else if (is_http(arg_str(ctx, "url")) && d.code != 200) {
		struct buf r = BUF_INIT;

		drop_tmp(ctx, &d);
		out->result = val_dict();
		base_result(out->result, ctx, dest, &d);
		val_dict_set_int(out->result, "status_code", d.code);
		buf_addf(&r, "HTTP Error %ld: %s", d.code,
			 d.reason ? d.reason : "");
		val_dict_set_str(out->result, "response", r.ptr);
		/* Ansible's words; `response` in the result says what */
		error = tend_error_set("Request failed");
		buf_release(&r);
	} else {
		error = place(out, ctx, g, &d, g->tool ? NULL : &body);
	}
out:
	if (error < 0 && g->tool)
		drop_tmp(ctx, &d);
	dl_release(&d);
	buf_release(&dir);
	buf_release(&body);
	return error;
}

const struct tend_module mod_get_url = {
	.name = "get_url",
	.args = get_url_args,
	.flags = MOD_MAY_BE_UNKNOWN | MOD_FILE_ARGS,
	.doc = "download a file from a URL to the host",
	.probe = get_url_probe,
	.judge = get_url_judge,
	.apply = get_url_apply,
	.returns =
		"dest: the file written (a directory dest: with the name)\n"
		"url: the URL asked for\n"
		"checksum_src: SHA-1 of the download (null: none made)\n"
		"checksum_dest: SHA-1 of dest before (null: absent)\n"
		"status_code: the HTTP status (304: not modified)\n"
		"response: the server's answer to a failed request\n"
		"elapsed: whole seconds the download took\n"
		"msg: \"OK (N bytes)\", \"file already exists\", ...\n"
		"backup_file: the copy made with backup\n"
		"mode, owner, group, uid, gid, size, state: of dest\n",
	.example =
		"- get_url:\n"
		"    url: https://example.com/tool-1.2.tar.gz\n"
		"    dest: /opt/tool-1.2.tar.gz\n"
		"    checksum: sha256:9f86d081884c7d659a2feaa0c55ad015"
		"a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
		"    mode: \"0644\"\n",
};
