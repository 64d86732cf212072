#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/net/http.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

#include <ctype.h>
#include <strings.h>

/*
 * apt_key: an OpenPGP key in apt's keyrings, with the host's own apt-key
 * and gpg, as Ansible's apt_key does.
 *
 * The check is one read-only script: the key's id (the `id` given, or
 * what `gpg --with-colons` reads from data, a file on the host or the
 * download of url) and the keys `apt-key adv --list-public-keys` lists
 * (in `keyring` alone when given). A url is downloaded by the host's curl
 * (GNU wget else); with neither there, the controller fetches it and a
 * second read-only script reads the bytes it sends in the script itself:
 * that is why the check is a check() and not a probe (it needs the
 * answer of the host before it knows what to fetch). The apply is one
 * script: `apt-key add` (or `adv --recv` from a keyserver, or `del`),
 * then the list again to see that it worked, as Ansible verifies.
 */

static const char *const states[] = { "present", "absent", NULL };

static const struct arg_spec apt_key_args[] = {
	{ "id", ARG_STR, 0, NULL, NULL, NULL,
	  "the key's id: 8, 16 or more hex digits (0x allowed); without "
	  "it, the id is read from data, file or url with gpg" },
	{ "data", ARG_STR, 0, NULL, NULL, NULL,
	  "the key itself (ASCII-armored)" },
	{ "file", ARG_PATH, 0, NULL, NULL, NULL,
	  "a key file on the host" },
	{ "url", ARG_STR, 0, NULL, NULL, NULL,
	  "where to download the key: the host's curl or wget, else the "
	  "controller" },
	{ "keyserver", ARG_STR, 0, NULL, NULL, NULL,
	  "a keyserver to receive the key `id` from (apt-key adv --recv)" },
	{ "keyring", ARG_PATH, 0, NULL, NULL, NULL,
	  "the keyring file to add to, remove from and list (default: "
	  "apt's, /etc/apt/trusted.gpg to add, all of them to list)" },
	{ "state", ARG_STR, 0, NULL, states, "present",
	  "present or absent" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "verify the TLS certificate of url" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const char *const apt_key_exclusive[] = {
	"data|file", "data|keyserver", "data|url", "file|keyserver",
	"file|url", "keyserver|url", NULL,
};

/* What a check or an apply script printed. */
struct ak_out {
	char tool;           /* 'c' curl, 'w' wget, '-' none, 0: not asked */
	char *dl_err;        /* a failed download: why */
	struct buf key;      /* the downloaded key's bytes */
	bool have_key;
	struct buf gpg, gpg_err;
	int gpg_rc;
	bool have_gpg;
	struct buf keys, list_err;
	int list_rc;
	bool have_list;      /* false: no list (a keyring that is missing) */
	struct buf run, run_err; /* apt-key add/del/adv's output */
	int run_rc;
	bool have_run;
};

struct ak_plan {
	char *id;            /* the `id` result: as given, or gpg's */
	char *key_id;        /* upper case, no 0x */
	char short_id[9];
	char fp[17];         /* Ansible's "fp": the last 16 digits */
	bool short_format;   /* id of 8 digits: compare short ids */
	struct val *before;  /* the ids listed */
	struct buf key;      /* url without id: the key's bytes */
	bool have_key;
	char tool;
};

static void ak_out_init(struct ak_out *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->key, 0);
	buf_init(&o->gpg, 0);
	buf_init(&o->gpg_err, 0);
	buf_init(&o->keys, 0);
	buf_init(&o->list_err, 0);
	buf_init(&o->run, 0);
	buf_init(&o->run_err, 0);
}

static void ak_out_release(struct ak_out *o)
{
	free(o->dl_err);
	buf_release(&o->key);
	buf_release(&o->gpg);
	buf_release(&o->gpg_err);
	buf_release(&o->keys);
	buf_release(&o->list_err);
	buf_release(&o->run);
	buf_release(&o->run_err);
}

static void ak_plan_free(void *p)
{
	struct ak_plan *a = p;

	if (!a)
		return;
	free(a->id);
	free(a->key_id);
	val_unref(a->before);
	buf_release(&a->key);
	free(a);
}

static bool is_absent(const struct task_ctx *ctx)
{
	const char *st = arg_str(ctx, "state");

	return st && !strcmp(st, "absent");
}

/*
 * Ansible's parse_key_id: hex digits with an optional 0x, 8, 16 or more
 * than 16 of them. Fills key_id (upper case, no 0x), short and fp.
 */
static int parse_key_id(struct ak_plan *a, const char *id)
{
	struct buf k = BUF_INIT;
	size_t n;

	if (!strncasecmp(id, "0x", 2))
		id += 2;
	for (const char *c = id; *c; c++) {
		if (!isxdigit((unsigned char)*c)) {
			buf_release(&k);
			return -1;
		}
		buf_addch(&k, (char)toupper((unsigned char)*c));
	}
	n = k.len;
	if (n != 8 && n != 16 && n <= 16) {
		buf_release(&k);
		return -1;
	}
	memcpy(a->short_id, k.ptr + n - 8, 8);
	a->short_id[8] = '\0';
	memcpy(a->fp, k.ptr + n - (n > 16 ? 16 : n), n > 16 ? 16 : n);
	a->fp[n > 16 ? 16 : n] = '\0';
	a->short_format = n == 8;
	free(a->key_id);
	a->key_id = buf_detach(&k, NULL);
	return 0;
}

/* "KEY:LEN\n" + the bytes of shell variable V + "\n" */
static void rec_var(struct buf *s, const char *key, const char *var)
{
	buf_addf(s, "printf '%s:%%s\\n%%s\\n' \"${#%s}\" \"$%s\"\n", key, var,
		 var);
}

/* An error file of the work directory as a record. */
static void rec_file(struct buf *s, const char *key, const char *file)
{
	buf_addf(s, "x=$(cat -- \"$w/%s\" 2>/dev/null)\n", file);
	rec_var(s, key, "x");
}

/*
 * The start of every script: the binaries Ansible requires (its
 * get_bin_path words), the keyring in $k, `ak` running apt-key with it,
 * and a work directory $w removed at exit.
 */
static void script_head(struct buf *s, const struct task_ctx *ctx)
{
	const char *keyring = arg_str(ctx, "keyring");

	buf_adds(s, "LC_ALL=C; export LC_ALL\n"
		 "p=$PATH\nfor d in /sbin /usr/sbin /usr/local/sbin; do\n"
		 "\tcase :$p: in *:$d:*) ;; *) [ ! -e \"$d\" ] || p=$p:$d ;; "
		 "esac\ndone\n"
		 "PATH=$p; export PATH\n"
		 "for b in apt-key gpg; do\n"
		 "\tcommand -v \"$b\" >/dev/null 2>&1 || { printf 'Failed to "
		 "find required executable \"%s\" in paths: %s\\n' \"$b\" "
		 "\"$p\" >&2; exit 3; }\ndone\nk=");
	sh_quote(s, keyring ? keyring : "");
	buf_adds(s, "\nak() {\n\tif [ -n \"$k\" ]; then apt-key --keyring "
		 "\"$k\" \"$@\"; else apt-key \"$@\"; fi\n}\n"
		 "w=$(mktemp -d \"${TMPDIR:-/tmp}/.tend-apt_key-XXXXXX\") || "
		 "exit 1\ntrap 'rm -rf -- \"$w\"' EXIT\n"
		 "trap 'rm -rf -- \"$w\"; exit 1' HUP INT PIPE TERM\n");
}

/*
 * Download url into $w/key with the host's curl or GNU wget, as
 * Ansible's fetch_url (user agent ansible-httpget, 10 s timeout); an
 * http(s) answer other than 200 fails it. On failure: a "dlerr" record
 * ("HTTP Error 404: Not Found", "Request failed: ...") and exit 0. With
 * neither tool, the sh `none` runs.
 */
static void script_download(struct buf *s, const struct task_ctx *ctx,
			    const char *none)
{
	bool insecure = !arg_bool(ctx, "validate_certs", true);

	buf_adds(s, "u=");
	sh_quote(s, arg_str(ctx, "url"));
	buf_addf(s, "\nx=\nif command -v curl >/dev/null 2>&1; then\n"
		 "\techo 'tool c'\n"
		 "\tcurl -q -sS -L --max-redirs 10 --connect-timeout 10 "
		 "--speed-limit 1 --speed-time 10 -A ansible-httpget%s "
		 "-o \"$w/key\" -D \"$w/h\" --url \"$u\" 2>\"$w/e\" || "
		 "x=\"Request failed: $(cat \"$w/e\")\"\n"
		 "elif command -v wget >/dev/null 2>&1 && wget --version "
		 "2>/dev/null | grep -q 'GNU Wget'; then\n"
		 "\techo 'tool w'\n"
		 "\twget -nv -S --tries=1 --max-redirect=10 --timeout=10 "
		 "-U ansible-httpget%s -O \"$w/key\" -- \"$u\" 2>\"$w/h\"; "
		 "r=$?\n"
		 "\t[ $r = 0 ] || [ $r = 8 ] || x=\"Request failed: $(grep -v "
		 "'^  ' \"$w/h\")\"\n"
		 "else\n\techo 'tool -'\n\t%s\nfi\n", insecure ? " -k" : "",
		 insecure ? " --no-check-certificate" : "", none);
	/* the last response's status: "404 Not Found" */
	buf_adds(s, "h=$(sed -n 's/^ *HTTP\\/[^ ]*  *//p' \"$w/h\" 2>/dev/null "
		 "| tr -d '\\r' | tail -n 1)\n"
		 "c=${h%% *}; m=${h#\"$c\"}; m=${m# }\n"
		 "case $x:$u in\n"
		 ":[Hh][Tt][Tt][Pp]:* | :[Hh][Tt][Tt][Pp][Ss]:*)\n"
		 "\t[ \"$c\" = 200 ] || x=\"HTTP Error $c: $m\" ;;\n"
		 "esac\n"
		 "[ -z \"$x\" ] || { ");
	rec_var(s, "dlerr", "x");
	buf_adds(s, "exit 0; }\n");
}

/* $w/key's bytes as a "key" record. */
static void script_key_rec(struct buf *s)
{
	buf_adds(s, "n=$(wc -c < \"$w/key\") && echo \"key:$((n))\" && "
		 "cat -- \"$w/key\" && echo || exit 1\n");
}

/* `printf` writing `b` as octal escapes (any byte, no % or \ of its own) */
static void script_bytes(struct buf *s, const struct buf *b, const char *to)
{
	struct buf f = BUF_INIT;

	for (size_t i = 0; i < b->len; i++)
		buf_addf(&f, "\\%03o", (unsigned char)b->ptr[i]);
	buf_adds(s, "printf ");
	sh_quote(s, f.ptr);
	buf_addf(s, " > \"$w/%s\" || exit 1\n", to);
	buf_release(&f);
}

/* gpg --with-colons on $1 (a file, or - for stdin), as Ansible does. */
static void script_gpg(struct buf *s, const char *what)
{
	buf_adds(s, "mkdir -m 700 \"$w/g\" || exit 1\n");
	buf_addf(s, "x=$(GNUPGHOME=\"$w/g\" gpg --with-colons %s 2>\"$w/ge\"); "
		 "r=$?\n", what);
	rec_var(s, "gpg", "x");
	/* gpg's words of the scratch home are not the key's */
	buf_adds(s, "x=$(grep -v -e '^gpg: keybox .* created$' -e "
		 "'^gpg: WARNING: no command supplied' \"$w/ge\")\n");
	rec_var(s, "gpgerr", "x");
	buf_adds(s, "echo \"gpgrc $r\"\n");
}

/*
 * The keys apt-key lists. A check does not list a keyring that does not
 * exist (apt-key would make it, empty); an apply does, as Ansible's
 * does, leaving the same empty file where `del` removed the last key.
 */
static void script_list(struct buf *s, bool check)
{
	buf_addf(s, "if %s[ -n \"$k\" ] && [ ! -e \"$k\" ]; then :; else\n",
		 check ? "" : "false && ");
	buf_adds(s, "\tx=$(ak adv --list-public-keys --keyid-format=long "
		 "2>\"$w/le\"); r=$?\n\t");
	rec_var(s, "keys", "x");
	buf_adds(s, "\t");
	rec_file(s, "listerr", "le");
	buf_adds(s, "\techo \"listrc $r\"\nfi\n");
}

/*
 * The check's script. `bytes`: the key the controller fetched (url, on a
 * host with neither curl nor wget), read by gpg from the script itself.
 */
static void check_script(struct buf *s, const struct task_ctx *ctx,
			 const struct buf *bytes)
{
	const char *id = arg_str(ctx, "id"), *data = arg_str(ctx, "data");
	const char *file = arg_str(ctx, "file"), *url = arg_str(ctx, "url");

	script_head(s, ctx);
	if (!id && bytes) {
		script_bytes(s, bytes, "key");
		script_gpg(s, "\"$w/key\"");
	} else if (!id && url) {
		script_download(s, ctx, "exit 0");
		script_key_rec(s);
		script_gpg(s, "\"$w/key\"");
	} else if (!id && file) {
		buf_adds(s, "f=");
		sh_quote(s, file);
		buf_addch(s, '\n');
		script_gpg(s, "-- \"$f\"");
	} else if (!id && data) {
		/* Ansible gives it gpg on stdin, with a newline added */
		buf_adds(s, "d=");
		sh_quote(s, data);
		buf_adds(s, "\nprintf '%s\\n' \"$d\" > \"$w/key\" || exit 1\n");
		script_gpg(s, "\"$w/key\"");
	} else if (url) {
		buf_adds(s, "if command -v curl >/dev/null 2>&1; then "
			 "echo 'tool c'; elif command -v wget >/dev/null 2>&1 "
			 "&& wget --version 2>/dev/null | grep -q 'GNU Wget'; "
			 "then echo 'tool w'; else echo 'tool -'; fi\n");
	}
	script_list(s, true);
}

static void buf_exchange(struct buf *a, struct buf *b)
{
	struct buf t = *a;

	*a = *b;
	*b = t;
}

static void set_str(char **slot, const char *s, size_t len)
{
	free(*slot);
	*slot = xstrndup(s, len);
}

static int read_out(struct ak_out *o, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		struct buf *b = rec_is(&r, "key") ? &o->key :
			rec_is(&r, "gpg") ? &o->gpg :
			rec_is(&r, "gpgerr") ? &o->gpg_err :
			rec_is(&r, "keys") ? &o->keys :
			rec_is(&r, "listerr") ? &o->list_err :
			rec_is(&r, "run") ? &o->run :
			rec_is(&r, "runerr") ? &o->run_err : NULL;
		int rc = atoi(r.val);

		if (b)
			buf_add(b, r.val, r.len);
		if (rec_is(&r, "tool"))
			o->tool = *r.val;
		else if (rec_is(&r, "dlerr"))
			set_str(&o->dl_err, r.val, r.len);
		else if (rec_is(&r, "key"))
			o->have_key = true;
		else if (rec_is(&r, "gpgrc"))
			o->gpg_rc = rc, o->have_gpg = true;
		else if (rec_is(&r, "listrc"))
			o->list_rc = rc, o->have_list = true;
		else if (rec_is(&r, "runrc"))
			o->run_rc = rc, o->have_run = true;
	}
	return n;
}

/* Run `script` (stdin `in`, or none) and read what it printed. */
static int run_script(struct ak_out *o, const struct task_ctx *ctx,
		      const struct buf *script, const struct buf *in)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	req.script = script->ptr;
	if (in) {
		req.in = in->ptr;
		req.inlen = in->len;
	}
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "apt_key failed");
		goto out;
	}
	error = read_out(o, &res.out);
out:
	exec_result_release(&res);
	return error;
}

/* The id of one "pub"/"sub" line (new string), or NULL to skip it. */
static char *line_key_id(const char *line)
{
	const char *w = line + strcspn(line, " \t");
	size_t wl;
	const char *slash;

	w += strspn(w, " \t");
	wl = strcspn(w, " \t");
	slash = memchr(w, '/', wl);
	/* "TYPE/ID": exactly one slash (Python's two-value unpacking) */
	if (wl && slash && !memchr(slash + 1, '/', wl - (size_t)(slash + 1 - w)))
		return xstrndup(slash + 1, wl - (size_t)(slash + 1 - w));
	for (int i = 0; i < 4; i++) {
		if (!(line = strchr(line, ':')))
			return NULL;
		line++;
	}
	return xstrndup(line, strcspn(line, ":"));
}

/*
 * Ansible's parse_output_for_keys on apt-key's listing (or gpg's colon
 * lines): the id of each "pub" and "sub" line that is not expired
 * ("pub   rsa4096/ID ...": the part after the slash of the second word;
 * else the fifth colon field), the last 8 digits of each when
 * short_format.
 */
static struct val *parse_keys(const struct buf *out, bool short_format)
{
	struct val *found = val_list();
	const char *l = out->ptr;

	while (*l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = xstrndup(l, len), *id = NULL;

		if ((!strncmp(line, "pub", 3) || !strncmp(line, "sub", 3)) &&
		    !strstr(line, "expired"))
			id = line_key_id(line);
		if (id) {
			size_t n = strlen(id);

			val_list_push(found, val_str(short_format && n > 8 ?
						     id + n - 8 : id));
		}
		free(id);
		free(line);
		l += len + (nl != NULL);
	}
	return found;
}

static bool listed(const struct val *keys, const char *id)
{
	for (size_t i = 0; i < val_len(keys); i++)
		if (!strcmp(val_cstr(val_list_at(keys, i)), id))
			return true;
	return false;
}

/* The result Ansible returns: id, short_id, fp, key_id, before. */
static struct val *plan_result(const struct ak_plan *a)
{
	struct val *r = val_dict();

	val_dict_set(r, "id", a->id ? val_str(a->id) : val_null());
	val_dict_set_str(r, "short_id", a->short_id);
	val_dict_set_str(r, "fp", a->fp);
	val_dict_set_str(r, "key_id", a->key_id);
	val_dict_set(r, "before", val_ref(a->before));
	return r;
}

/* A failure with what the tool printed after Ansible's message. */
static int fail_with(const char *msg, const struct buf *err,
		     const struct buf *out)
{
	struct buf e = BUF_INIT;
	int error;

	buf_addbuf(&e, err && err->len ? err : out);
	buf_trim(&e);
	error = tend_error_set("%s%s%s", msg, e.len ? ": " : "",
			       e.len ? e.ptr : "");
	buf_release(&e);
	return error;
}

/* The key's id from gpg's colon lines (the first pub or sub key). */
static int id_from_gpg(struct ak_plan *a, const struct task_ctx *ctx,
		       const struct ak_out *o)
{
	const char *file = arg_str(ctx, "file");
	struct val *keys;
	struct buf m = BUF_INIT;
	int error = 0;

	if (!o->have_gpg)
		return tend_error_set("cannot parse the reply of the host");
	if (o->gpg_rc) {
		buf_addf(&m, "Unable to extract key from '%s'",
			 file && !arg_str(ctx, "url") ? file : "inline data");
		error = fail_with(m.ptr, &o->gpg_err, &o->gpg);
		buf_release(&m);
		return error;
	}
	keys = parse_keys(&o->gpg, false);
	if (val_len(keys))
		a->id = xstrdup(val_cstr(val_list_at(keys, 0)));
	val_unref(keys);
	return 0;
}

/*
 * The url as output shows it: a user:password@ part is left out (the
 * password is a secret; Ansible's own messages show it).
 */
static void add_url(struct buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *end, *at;

	if (p) {
		p += 3;
		end = p + strcspn(p, "/?#");
		if ((at = memchr(p, '@', (size_t)(end - p)))) {
			buf_add(out, url, (size_t)(p - url));
			url = at + 1;
		}
	}
	buf_adds(out, url);
}

/* Ansible's "Failed to download key at URL: why". */
static int download_failed(const char *url, const char *why)
{
	struct buf u = BUF_INIT;
	int error;

	add_url(&u, url);
	error = tend_error_set("Failed to download key at %s: %s", u.ptr, why);
	buf_release(&u);
	return error;
}

/* What the key is called in plans: its id, and where it comes from. */
static void add_change(struct buf *c, const struct task_ctx *ctx,
		       const struct ak_plan *a)
{
	const char *keyring = arg_str(ctx, "keyring");

	buf_addf(c, "add key %s", a->key_id);
	if (arg_str(ctx, "keyserver"))
		buf_addf(c, " from keyserver %s", arg_str(ctx, "keyserver"));
	else if (arg_str(ctx, "url")) {
		buf_adds(c, " from ");
		add_url(c, arg_str(ctx, "url"));
	}
	else if (arg_str(ctx, "file"))
		buf_addf(c, " from %s", arg_str(ctx, "file"));
	buf_addf(c, " to %s\n", keyring ? keyring : "/etc/apt/trusted.gpg");
}

/* The judge of what the check script printed. */
static int judge(struct check_result *out, const struct task_ctx *ctx,
		 struct ak_plan *a, struct ak_out *o)
{
	const char *id = arg_str(ctx, "id");
	bool present;
	int error;

	if (o->dl_err)
		return download_failed(arg_str(ctx, "url"), o->dl_err);
	if (!id && (arg_str(ctx, "url") || arg_str(ctx, "file") ||
		    arg_str(ctx, "data"))) {
		if ((error = id_from_gpg(a, ctx, o)) < 0)
			return error;
	} else if (id) {
		a->id = xstrdup(id);
	}
	if (!id && arg_str(ctx, "keyserver"))
		return tend_error_set("Missing key_id, required with keyserver.");
	if (!a->id || parse_key_id(a, a->id) < 0)
		return tend_error_set("Invalid key_id%s%s%s", a->id ? " '" : "",
				      a->id ? a->id : "", a->id ? "'" : "");
	if (o->have_list && o->list_rc)
		return fail_with("Unable to list public keys", &o->list_err,
				 &o->keys);
	a->before = parse_keys(&o->keys, a->short_format);
	if (o->have_key) {
		buf_exchange(&a->key, &o->key);
		a->have_key = true;
	}
	present = listed(a->before, a->short_format ? a->short_id : a->fp);
	out->result = plan_result(a);
	if (!is_absent(ctx) && !present && !arg_str(ctx, "data") &&
	    !arg_str(ctx, "file") && !arg_str(ctx, "url") &&
	    !arg_str(ctx, "keyserver"))
		return tend_error_set("No key to add ... how did i get here?!?!");
	if (!is_absent(ctx) && !present) {
		out->status = CHECK_CHANGE;
		add_change(&out->changes, ctx, a);
	} else if (is_absent(ctx) && present) {
		out->status = CHECK_CHANGE;
		/* without keyring, apt-key del takes it out of every one */
		buf_addf(&out->changes, "remove key %s from %s\n", a->key_id,
			 arg_str(ctx, "keyring") ? arg_str(ctx, "keyring") :
			 "every apt keyring that has it");
	} else {
		out->status = CHECK_OK;
	}
	return 0;
}

/* What an http(s) URL answers, fetched by the controller (fetch_url). */
static int controller_fetch(struct buf *body, const struct task_ctx *ctx)
{
	struct http_opts o = HTTP_OPTS_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "GET", .opts = &o };
	const char *url = arg_str(ctx, "url");
	struct buf why = BUF_INIT;
	int error;

	o.timeout_ms = 10000;
	o.retries = -1;
	o.follow_redirects = true;
	o.insecure = !arg_bool(ctx, "validate_certs", true);
	o.user_agent = "ansible-httpget";
	req.url = url;
	if ((error = http_request(&resp, &req)) < 0) {
		buf_addf(&why, "Request failed: %s", tend_error_last());
		error = download_failed(url, why.ptr);
		goto out;
	}
	if (resp.status != 200) {
		buf_addf(&why, "HTTP Error %ld: %s", resp.status,
			 resp.reason ? resp.reason : "");
		error = download_failed(url, why.ptr);
		goto out;
	}
	buf_addbuf(body, &resp.body);
out:
	buf_release(&why);
	http_response_release(&resp);
	return error;
}

static int apt_key_check(struct check_result *out, const struct task_ctx *ctx)
{
	struct ak_plan *a = xcalloc(1, sizeof(*a));
	struct buf s = BUF_INIT, body = BUF_INIT;
	struct ak_out o;
	int error;

	buf_init(&a->key, 0);
	ak_out_init(&o);
	out->priv = a;
	out->priv_free = ak_plan_free;
	check_script(&s, ctx, NULL);
	if ((error = run_script(&o, ctx, &s, NULL)) < 0)
		goto out;
	a->tool = o.tool;
	if (o.tool == '-' && arg_str(ctx, "url") && !arg_str(ctx, "id")) {
		/* neither curl nor wget there: the controller fetches */
		if ((error = controller_fetch(&body, ctx)) < 0)
			goto out;
		ak_out_release(&o);
		ak_out_init(&o);
		buf_reset(&s);
		check_script(&s, ctx, &body);
		if ((error = run_script(&o, ctx, &s, NULL)) < 0)
			goto out;
		buf_exchange(&o.key, &body);
		o.have_key = true;
	}
	error = judge(out, ctx, a, &o);
out:
	ak_out_release(&o);
	buf_release(&s);
	buf_release(&body);
	return error;
}

/* The apply's command: $x its output, $r its status. */
static void script_run(struct buf *s, const struct task_ctx *ctx,
		       const struct ak_plan *a, bool from_stdin)
{
	const char *file = arg_str(ctx, "file");
	const char *ks = arg_str(ctx, "keyserver");

	if (is_absent(ctx)) {
		/* the short id: apt-key del <= 1.10 wants 8 digits (Ansible) */
		buf_addf(s, "x=$(ak del %s 2>\"$w/re\"); r=$?\n", a->short_id);
	} else if (ks) {
		/* Ansible's add_http_proxy, then five attempts */
		buf_adds(s, "px=\nfor v in HTTPS_PROXY https_proxy HTTP_PROXY "
			 "http_proxy; do\n\teval \"px=\\${$v:-}\"\n"
			 "\t[ -z \"$px\" ] || break\ndone\n"
			 "set -- adv --no-tty --keyserver ");
		sh_quote(s, ks);
		buf_addf(s, "\n[ -z \"$px\" ] || set -- \"$@\" --keyserver-options "
			 "\"http-proxy=$px\"\nset -- \"$@\" --recv %s\n"
			 "for i in 1 2 3 4 5; do\n"
			 "\tx=$(ak \"$@\" 2>\"$w/re\"); r=$?\n"
			 "\t[ $r != 0 ] || break\ndone\n", a->key_id);
	} else if (file) {
		buf_adds(s, "f=");
		/* a path starting with - would be an option of apt-key */
		if (file[0] == '-')
			buf_adds(s, "./");
		sh_quote(s, file);
		buf_adds(s, "\nx=$(ak add \"$f\" 2>\"$w/re\"); r=$?\n");
	} else if (from_stdin) {
		buf_adds(s, "x=$(ak add - 2>\"$w/re\"); r=$?\n");
	} else {
		buf_adds(s, "x=$(ak add - < \"$w/key\" 2>\"$w/re\"); r=$?\n");
	}
	rec_var(s, "run", "x");
	rec_file(s, "runerr", "re");
	buf_adds(s, "echo \"runrc $r\"\n[ $r = 0 ] || exit 0\n");
}

/* Ansible's message for a command that failed, with its words. */
static void run_failed(struct apply_result *out, const struct task_ctx *ctx,
		       const struct ak_plan *a, const struct ak_out *o)
{
	const char *ks = arg_str(ctx, "keyserver");
	struct buf e = BUF_INIT;

	if (is_absent(ctx))
		buf_addf(&out->msg, "Unable to remove a key with id %s",
			 a->short_id);
	else if (ks && o->run_rc == 2 &&
		 strstr(o->run.ptr, "not found on keyserver"))
		buf_addf(&out->msg, "Key %s not found on keyserver %s",
			 a->key_id, ks);
	else if (ks)
		buf_addf(&out->msg, "Error fetching key %s from keyserver: %s",
			 a->key_id, ks);
	else if (arg_str(ctx, "file"))
		buf_addf(&out->msg, "Unable to add a key from file %s",
			 arg_str(ctx, "file"));
	else
		buf_adds(&out->msg, "Unable to add a key from binary data");
	buf_addbuf(&e, o->run_err.len ? &o->run_err : &o->run);
	buf_trim(&e);
	if (e.len)
		buf_addf(&out->msg, ": %s", e.ptr);
	val_dict_set_int(out->result, "rc", o->run_rc);
	val_dict_set(out->result, "stdout", val_strn(o->run.ptr, o->run.len));
	val_dict_set(out->result, "stderr",
		     val_strn(o->run_err.ptr, o->run_err.len));
	out->failed = true;
	buf_release(&e);
}

/* What the apply script printed: Ansible's verification. */
static int judge_apply(struct apply_result *out, const struct task_ctx *ctx,
		       const struct ak_plan *a, const struct ak_out *o)
{
	struct val *after;
	bool there;

	out->changed = true;
	out->result = plan_result(a);
	if (o->dl_err)
		return download_failed(arg_str(ctx, "url"), o->dl_err);
	if (!o->have_run)
		return tend_error_set("cannot parse the reply of the host");
	if (o->run_rc) {
		/* Ansible's failure there carries no `changed` */
		out->changed = false;
		run_failed(out, ctx, a, o);
		return 0;
	}
	if (o->have_list && o->list_rc)
		return fail_with("Unable to list public keys", &o->list_err,
				 &o->keys);
	after = parse_keys(&o->keys, a->short_format);
	there = listed(after, a->fp);
	val_dict_set(out->result, "after", after);
	if (there == is_absent(ctx)) {
		out->failed = true;
		buf_addf(&out->msg, "apt-key did not return an error, but %s "
			 "(check that the id is correct and *not* a subkey)",
			 there ? "the key was not removed" :
			 "failed to add the key");
	}
	return 0;
}

static int apt_key_apply(struct apply_result *out, const struct task_ctx *ctx,
			 const struct check_result *planned)
{
	const struct ak_plan *a = planned->priv;
	struct buf s = BUF_INIT, body = BUF_INIT;
	const struct buf *in = NULL;
	bool absent = is_absent(ctx);
	struct ak_out o;
	int error;

	ak_out_init(&o);
	script_head(&s, ctx);
	if (!absent && a->have_key) {
		in = &a->key;
	} else if (!absent && arg_str(ctx, "data") && !arg_str(ctx, "file")) {
		buf_adds(&body, arg_str(ctx, "data"));
		in = &body;
	} else if (!absent && arg_str(ctx, "url") && a->tool != '-') {
		/* `id` and url: Ansible downloads only now */
		script_download(&s, ctx, "echo 'the host lost its curl and wget' "
				">&2; exit 1");
	} else if (!absent && arg_str(ctx, "url")) {
		if ((error = controller_fetch(&body, ctx)) < 0)
			goto out;
		in = &body;
	}
	script_run(&s, ctx, a, in != NULL);
	script_list(&s, false);
	if ((error = run_script(&o, ctx, &s, in)) < 0)
		goto out;
	error = judge_apply(out, ctx, a, &o);
out:
	ak_out_release(&o);
	buf_release(&s);
	buf_release(&body);
	return error;
}

static bool literal(const struct val *v)
{
	return v && !val_is(v, VAL_NULL) &&
	       !(val_is(v, VAL_STR) && strstr(val_cstr(v), "{{"));
}

static bool given(const struct val *args, const char *name)
{
	const struct val *v = val_dict_get(args, name);

	return v && !val_is(v, VAL_NULL);
}

/* Ansible's own refusals (at run time there), at load time. */
static int apt_key_validate(const struct val *args, const char **arg)
{
	const struct val *id = val_dict_get(args, "id");
	const struct val *st = val_dict_get(args, "state");
	struct ak_plan a = { 0 };

	if (!given(args, "id") && !given(args, "data") &&
	    !given(args, "file") && !given(args, "url") &&
	    !given(args, "keyserver"))
		return tend_error_set("one of the following is required: id, "
				      "data, file, url");
	if (given(args, "keyserver") && !given(args, "id")) {
		*arg = "keyserver";
		return tend_error_set("Missing key_id, required with "
				      "keyserver.");
	}
	if (given(args, "keyserver") && literal(st) && val_is(st, VAL_STR) &&
	    !strcmp(val_cstr(st), "absent")) {
		*arg = "keyserver";
		return tend_error_set("'keyserver' contradicts state=absent: "
				      "a key is removed by its id");
	}
	if (literal(id) && val_is(id, VAL_STR)) {
		int bad = parse_key_id(&a, val_cstr(id));

		free(a.key_id);
		if (bad < 0) {
			*arg = "id";
			return tend_error_set("Invalid key_id '%s': 8, 16 or "
					      "more hex digits", val_cstr(id));
		}
	}
	return 0;
}

const struct tend_module mod_apt_key = {
	.name = "apt_key",
	.args = apt_key_args,
	.doc = "add or remove an apt key (the host's apt-key and gpg)",
	.exclusive = apt_key_exclusive,
	.check = apt_key_check,
	.validate = apt_key_validate,
	.apply = apt_key_apply,
	.returns =
		"id: the id given, or the one gpg read from the key\n"
		"key_id: the id, upper case, without 0x\n"
		"short_id: its last 8 digits\n"
		"fp: its last 16 digits (Ansible's name)\n"
		"before: the ids listed before (8 digits when id has 8)\n"
		"after: the ids listed after a change\n"
		"rc, stdout, stderr: of a failed apt-key\n",
	.example =
		"- apt_key:\n"
		"    url: https://example.com/repo-key.asc\n"
		"    keyring: /etc/apt/trusted.gpg.d/example.gpg\n",
};
