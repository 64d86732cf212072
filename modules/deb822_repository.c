#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/deb822.h"
#include "tend/net/http.h"
#include "tend/util/quote.h"

/*
 * deb822_repository: one APT source as a deb822 .sources file, with
 * ansible-core 2.15+'s semantics (tend follows 2.14, which lacks the
 * module; Debian 13 writes its own sources this way).
 *
 * The file is /etc/apt/sources.list.d/SLUG.sources, SLUG made of `name`
 * (modkit/deb822.h), its text the args as deb822 fields. signed_by is a
 * file on the host (kept as a path), a URL (fetched, written to
 * /etc/apt/keyrings/SLUG.asc for an armored key, .gpg else, and named
 * by its path), or anything else (a key block, fingerprints) written into
 * the field itself. state=absent removes the file and both key files.
 *
 * The check is one round trip: the files' state, and the key fetched by
 * the host's curl or GNU wget into a scratch directory; with neither
 * there, the controller fetches it (http and https). The apply writes the
 * key the check fetched and the file it planned, each atomically.
 *
 * A check() rather than a probe and judge: the controller's fetch comes
 * between the host's answer and the plan, and a judge does no I/O.
 */

static const char *const d822_states[] = { "present", "absent", NULL };

static const struct arg_spec d822_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the repository's name: X-Repolib-Name, and the file names "
	  "(lower case, '_' and spaces as '-', other than [a-z0-9-] "
	  "dropped); a '/' is refused" },
	{ "types", ARG_LIST, 0, NULL, NULL, "deb",
	  "Types: deb and/or deb-src" },
	{ "uris", ARG_LIST, 0, NULL, NULL, NULL,
	  "URIs: the archives' base URIs" },
	{ "suites", ARG_LIST, 0, NULL, NULL, NULL,
	  "Suites: code names, or an exact path ending in '/'" },
	{ "components", ARG_LIST, 0, NULL, NULL, NULL,
	  "Components: main, contrib ..." },
	{ "signed_by", ARG_STR, 0, NULL, NULL, NULL,
	  "Signed-By: a URL (the key is fetched to /etc/apt/keyrings/"
	  "NAME.asc or .gpg), a keyring file's path, fingerprints, or an "
	  "armored key block (written into the field)" },
	{ "architectures", ARG_LIST, 0, NULL, NULL, NULL, "Architectures" },
	{ "languages", ARG_LIST, 0, NULL, NULL, NULL, "Languages" },
	{ "targets", ARG_LIST, 0, NULL, NULL, NULL, "Targets" },
	{ "enabled", ARG_BOOL, 0, NULL, NULL, NULL, "Enabled: yes/no" },
	{ "trusted", ARG_BOOL, 0, NULL, NULL, NULL, "Trusted: yes/no" },
	{ "allow_insecure", ARG_BOOL, 0, NULL, NULL, NULL,
	  "Allow-Insecure: yes/no" },
	{ "allow_weak", ARG_BOOL, 0, NULL, NULL, NULL, "Allow-Weak: yes/no" },
	{ "allow_downgrade_to_insecure", ARG_BOOL, 0, NULL, NULL, NULL,
	  "Allow-Downgrade-To-Insecure: yes/no" },
	{ "by_hash", ARG_BOOL, 0, NULL, NULL, NULL, "By-Hash: yes/no" },
	{ "check_date", ARG_BOOL, 0, NULL, NULL, NULL, "Check-Date: yes/no" },
	{ "check_valid_until", ARG_BOOL, 0, NULL, NULL, NULL,
	  "Check-Valid-Until: yes/no" },
	{ "pdiffs", ARG_BOOL, 0, NULL, NULL, NULL, "Pdiffs: yes/no" },
	{ "date_max_future", ARG_INT, 0, NULL, NULL, NULL,
	  "Date-Max-Future: seconds" },
	{ "inrelease_path", ARG_STR, 0, NULL, NULL, NULL, "Inrelease-Path" },
	{ "mode", ARG_MODE, 0, NULL, NULL, "0644",
	  "the mode of the .sources file" },
	{ "state", ARG_STR, 0, NULL, d822_states, "present",
	  "present or absent (the file and NAME's key files removed)" },
	{ "install_python_debian", ARG_BOOL, 0, NULL, NULL, NULL,
	  "accepted and ignored: tend needs no python3-debian on the host "
	  "(ansible-core 2.20's argument; never written as a field)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* What the check found and planned, for the apply. */
struct d822_plan {
	struct buf slug;
	char *dest;            /* the .sources file */
	struct file_state src; /* its state */
	struct buf repo;       /* its text (present) */
	bool src_change;
	/* the key fetched from signed_by's URL */
	bool have_key;
	char *key_path;        /* where it goes */
	struct buf key;
	struct file_state key_st;
	bool key_write, key_mode;
	bool dir_make, dir_fix; /* /etc/apt/keyrings missing, not 0755 root */
	char *key_filename;    /* the return value, or NULL */
	bool rm[3];            /* absent: sources, .asc, .gpg exist */
	struct val *dflt_mode; /* "0644", Ansible's default mode */
};

static void d822_plan_free(void *p)
{
	struct d822_plan *g = p;

	if (!g)
		return;
	buf_release(&g->slug);
	free(g->dest);
	file_state_release(&g->src);
	buf_release(&g->repo);
	free(g->key_path);
	buf_release(&g->key);
	file_state_release(&g->key_st);
	free(g->key_filename);
	val_unref(g->dflt_mode);
	free(g);
}

static bool d822_absent(const struct task_ctx *ctx)
{
	const char *st = arg_str(ctx, "state");

	return st && !strcmp(st, "absent");
}

static void key_path(struct buf *out, const struct d822_plan *g,
		     const char *ext)
{
	buf_addf(out, DEB822_KEYRINGS_DIR "/%s.%s", g->slug.ptr, ext);
}

/* signed_by is to be fetched: not a line of data, and a URL */
static bool sb_is_url(const char *sb)
{
	return sb && !strchr(sb, '\n') && deb822_has_scheme(sb);
}

/*
 * Fetch the URL into $w/key with curl or GNU wget as Ansible's open_url
 * would (redirects followed, user agent ansible-httpget): records
 * "tool c|w|-", then "dlerr" on failure or "key" with the bytes. The URL
 * reaches them in files only ($w/c, curl's config; $w/u, wget's input
 * list), never on a command line, as it may hold a password.
 */
static void script_fetch(struct buf *s, const char *url)
{
	struct buf c = BUF_INIT;

	buf_adds(&c, "url = \"");
	for (const char *p = url; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_addch(&c, '\\');
		buf_addch(&c, *p);
	}
	buf_adds(&c, "\"\n");
	buf_adds(s, "u=");
	sh_quote(s, url);
	buf_adds(s, "\nk=");
	sh_quote(s, c.ptr);
	buf_release(&c);
	buf_adds(s, "\n(umask 077 && printf '%s' \"$k\" >\"$w/c\" && "
		 "printf '%s\\n' \"$u\" >\"$w/u\") || exit 1\n"
		 "x=\nif command -v curl >/dev/null 2>&1; then\n"
		 "\techo 'tool c'\n"
		 "\tcurl -q -sS -L --max-redirs 10 --connect-timeout 10 "
		 "-A ansible-httpget -o \"$w/key\" -D \"$w/h\" -K \"$w/c\" "
		 "2>\"$w/e\" || x=\"$(cat \"$w/e\")\"\n"
		 "elif command -v wget >/dev/null 2>&1 && wget --version "
		 "2>/dev/null | grep -q 'GNU Wget'; then\n"
		 "\techo 'tool w'\n"
		 "\twget -nv -S --tries=1 --max-redirect=10 --timeout=10 "
		 "-U ansible-httpget -O \"$w/key\" -i \"$w/u\" 2>\"$w/h\"; "
		 "r=$?\n"
		 "\t[ $r = 0 ] || [ $r = 8 ] || x=$(grep -v '^  ' \"$w/h\")\n"
		 "else\n\techo 'tool -'; exit 0\nfi\n"
		 /* the last response's status line: "404 Not Found" */
		 "h=$(sed -n 's/^ *HTTP\\/[^ ]*  *//p' \"$w/h\" 2>/dev/null | "
		 "tr -d '\\r' | tail -n 1)\n"
		 "c=${h%% *}; m=${h#\"$c\"}; m=${m# }\n"
		 "case $x:$u in\n"
		 ":[Hh][Tt][Tt][Pp]:* | :[Hh][Tt][Tt][Pp][Ss]:*)\n"
		 "\t[ \"$c\" = 200 ] || x=\"HTTP Error $c: $m\" ;;\n"
		 "esac\n"
		 "if [ -n \"$x\" ]; then printf 'dlerr:%s\\n%s\\n' \"${#x}\" "
		 "\"$x\"; exit 0; fi\n"
		 "n=$(wc -c < \"$w/key\") && echo \"key:$((n))\" && "
		 "cat -- \"$w/key\" && echo || exit 1\n");
}

/* The check's one script: the files' state, signed_by's file, the key. */
static void check_script(struct buf *s, const struct task_ctx *ctx,
			 const struct d822_plan *g)
{
	const char *sb = arg_str(ctx, "signed_by");
	struct buf p = BUF_INIT;

	buf_adds(s, "LC_ALL=C; export LC_ALL\n");
	file_probe_script(s);
	buf_adds(s, "tend_probe ");
	sh_quote(s, g->dest);
	buf_adds(s, " L C || exit 1\ntend_probe " DEB822_KEYRINGS_DIR
		 " L '' || exit 1\n");
	key_path(&p, g, "asc");
	buf_adds(s, "tend_probe ");
	sh_quote(s, p.ptr);
	buf_adds(s, " L C || exit 1\n");
	buf_reset(&p);
	key_path(&p, g, "gpg");
	buf_adds(s, "tend_probe ");
	sh_quote(s, p.ptr);
	buf_adds(s, " L C || exit 1\n");
	buf_release(&p);
	if (d822_absent(ctx) || !sb || strchr(sb, '\n'))
		return;
	/* Ansible's os.path.isfile(signed_by) comes first */
	buf_adds(s, "v=");
	sh_quote(s, sb);
	buf_adds(s, "\nif [ -f \"$v\" ]; then echo 'isfile 1'; exit 0; fi\n"
		 "echo 'isfile 0'\n");
	if (!sb_is_url(sb))
		return;
	buf_adds(s, "w=$(mktemp -d \"${TMPDIR:-/tmp}/.tend-deb822-XXXXXX\") "
		 "|| exit 1\ntrap 'rm -rf -- \"$w\"' EXIT\n"
		 "trap 'rm -rf -- \"$w\"; exit 1' HUP INT PIPE TERM\n");
	script_fetch(s, sb);
}

/* What the script printed after the four file records. */
struct d822_out {
	bool isfile;
	char tool;
	struct buf key, dlerr;
	bool have_key;
};

static int read_recs(struct d822_out *o, const struct buf *out, size_t pos)
{
	struct rec r;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "isfile"))
			o->isfile = r.len && r.val[0] == '1';
		else if (rec_is(&r, "tool"))
			o->tool = r.len ? r.val[0] : '-';
		else if (rec_is(&r, "dlerr"))
			buf_add(&o->dlerr, r.val, r.len);
		else if (rec_is(&r, "key")) {
			buf_add(&o->key, r.val, r.len);
			o->have_key = true;
		}
	}
	return n;
}

/*
 * An http(s) URL fetched by the controller (the host has no fetcher);
 * a failure is the task's, in o->dlerr, as the host's would be.
 */
static void controller_fetch(struct d822_out *o, const char *url)
{
	struct http_opts opt = HTTP_OPTS_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = "GET", .opts = &opt };

	opt.timeout_ms = 10000;
	opt.retries = -1;
	opt.follow_redirects = true;
	opt.user_agent = "ansible-httpget";
	req.url = url;
	if (http_request(&resp, &req) < 0)
		buf_addf(&o->dlerr, "Request failed: %s", tend_error_last());
	else if (resp.status != 200)
		buf_addf(&o->dlerr, "HTTP Error %ld: %s", resp.status,
			 resp.reason ? resp.reason : "");
	else {
		buf_addbuf(&o->key, &resp.body);
		o->have_key = true;
	}
	http_response_release(&resp);
}

/* A URL for plans: its user:password@ left out (as apt_key's). */
static void add_url(struct buf *out, const char *url)
{
	const char *host = strstr(url, "://"), *at, *end;

	if (host) {
		host += 3;
		end = host + strcspn(host, "/?#");
		at = memchr(host, '@', (size_t)(end - host));
		if (at) {
			buf_add(out, url, (size_t)(host - url));
			url = at + 1;
		}
	}
	buf_adds(out, url);
}

static bool is_armored(const struct buf *b)
{
	static const char tag[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

	return b->len >= sizeof(tag) - 1 &&
	       memmem(b->ptr, b->len, tag, sizeof(tag) - 1);
}

/*
 * The fetched key against the key file, and the keyrings directory
 * Ansible makes (0755, root:root) when the key is written.
 */
static void plan_key(struct check_result *out, struct d822_plan *g,
		     const struct file_state *dir, struct file_state *asc,
		     struct file_state *gpg, const char *url)
{
	bool armored = is_armored(&g->key);
	struct file_state *st = armored ? asc : gpg;
	struct buf p = BUF_INIT;

	key_path(&p, g, armored ? "asc" : "gpg");
	g->key_path = buf_detach(&p, NULL);
	g->key_filename = xstrdup(g->key_path);
	g->key_st = *st;
	file_state_init(st);
	if (!(g->key_st.exists && g->key_st.type == 'f' &&
	      g->key_st.content_read && g->key_st.content.len == g->key.len &&
	      !memcmp(g->key_st.content.ptr, g->key.ptr, g->key.len))) {
		g->key_write = true;
		if (!dir->exists) {
			g->dir_make = true;
			buf_adds(&out->changes, "create directory "
				 DEB822_KEYRINGS_DIR " (0755)\n");
		} else if (dir->type != 'd' || dir->mode != 0755 ||
			   dir->uid != 0 || dir->gid != 0) {
			g->dir_fix = true;
			buf_addf(&out->changes, DEB822_KEYRINGS_DIR ": mode %04o "
				 "owner %s -> 0755 root:root\n", dir->mode,
				 dir->owner ? dir->owner : "?");
		}
		buf_addf(&out->changes, "%s key %s (%zu bytes from ",
			 g->key_st.exists ? "replace" : "write", g->key_path,
			 g->key.len);
		add_url(&out->changes, url);
		buf_adds(&out->changes, ")\n");
	} else if (g->key_st.mode != 0644) {
		g->key_mode = true;
		buf_addf(&out->changes, "%s: mode %04o -> 0644\n", g->key_path,
			 g->key_st.mode);
	}
	if (g->key_write || g->key_mode)
		out->status = CHECK_CHANGE;
}

static void plan_absent(struct check_result *out, struct d822_plan *g,
			struct file_state *st[3])
{
	struct buf p = BUF_INIT;

	for (int i = 0; i < 3; i++) {
		if (!st[i]->exists)
			continue;
		g->rm[i] = true;
		out->status = CHECK_CHANGE;
		buf_reset(&p);
		if (i)
			key_path(&p, g, i == 1 ? "asc" : "gpg");
		else
			buf_adds(&p, g->dest);
		buf_addf(&out->changes, "remove %s\n", p.ptr);
	}
	buf_reset(&p);
	key_path(&p, g, "gpg");
	g->key_filename = buf_detach(&p, NULL);
}

/* The .sources text and its plan; signed_by resolved first. */
static int plan_present(struct check_result *out, struct d822_plan *g,
			const struct task_ctx *ctx, struct d822_out *o,
			struct file_state *st[4])
{
	const char *sb = arg_str(ctx, "signed_by"), *field = sb;
	struct check_result fr;
	struct file_want w = { 0 };
	int error;

	if (sb && o->isfile) {
		g->key_filename = xstrdup(sb);
	} else if (sb_is_url(sb)) {
		if (o->dlerr.len)
			return tend_error_set("Could not fetch signed_by key: %s",
					      o->dlerr.ptr);
		if (!o->have_key)
			return tend_error_set("deb822_repository: no answer "
					      "from the key's fetch");
		if (!o->key.len) {
			/* an empty answer: Ansible names the URL itself */
			g->key_filename = xstrdup(sb);
		} else {
			buf_addbuf(&g->key, &o->key);
			g->have_key = true;
			plan_key(out, g, st[1], st[2], st[3], sb);
			field = g->key_path;
		}
	}
	deb822_render(&g->repo, ctx->args, field);
	w.path = g->dest;
	w.content = g->repo.ptr;
	w.content_len = g->repo.len;
	w.mode = arg_get(ctx, "mode") ? arg_get(ctx, "mode") : g->dflt_mode;
	check_result_init(&fr);
	if ((error = file_plan(&fr, st[0], &w)) < 0)
		goto out;
	if (fr.status == CHECK_CHANGE) {
		g->src_change = true;
		out->status = CHECK_CHANGE;
		buf_addbuf(&out->diff, &fr.diff);
		buf_addbuf(&out->changes, &fr.changes);
		buf_addbuf(&out->msg, &fr.msg);
	}
out:
	check_result_release(&fr);
	return error;
}

static struct val *d822_result(const struct d822_plan *g, bool absent)
{
	struct val *r = val_dict();

	if (absent)
		val_dict_set(r, "repo", val_null());
	else
		val_dict_set_str(r, "repo", g->repo.ptr);
	val_dict_set_str(r, "dest", g->dest);
	if (g->key_filename)
		val_dict_set_str(r, "key_filename", g->key_filename);
	else
		val_dict_set(r, "key_filename", val_null());
	return r;
}

static int run_check_script(struct exec_result *res,
			    const struct task_ctx *ctx, const struct buf *s)
{
	struct exec_req req = { 0 };
	int error;

	req.script = s->ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, res)) < 0)
		return error;
	if (res->status)
		return exec_error(res, "deb822_repository: the check failed");
	return 0;
}

static int validate_name_types(const struct val *args, const char **arg);

static int d822_check(struct check_result *out, const struct task_ctx *ctx)
{
	struct d822_plan *g;
	struct file_state fs[4];
	struct file_state *st[4] = { &fs[0], &fs[1], &fs[2], &fs[3] };
	struct exec_result res = EXEC_RESULT_INIT;
	struct d822_out o = { 0 };
	struct buf s = BUF_INIT, p = BUF_INIT;
	size_t pos = 0;
	const char *bad = NULL;
	int error;

	/* templated names and types are checked once rendered */
	if (validate_name_types(ctx->args, &bad) < 0)
		return -1;
	g = xcalloc(1, sizeof(*g));
	g->dflt_mode = val_str("0644");
	buf_init(&g->slug, 0);
	buf_init(&g->repo, 0);
	buf_init(&g->key, 0);
	buf_init(&o.key, 0);
	buf_init(&o.dlerr, 0);
	file_state_init(&g->src);
	file_state_init(&g->key_st);
	for (int i = 0; i < 4; i++)
		file_state_init(&fs[i]);
	out->priv = g;
	out->priv_free = d822_plan_free;
	deb822_slug(&g->slug, arg_str(ctx, "name"));
	buf_addf(&p, DEB822_SOURCES_DIR "/%s.sources", g->slug.ptr);
	g->dest = buf_detach(&p, NULL);
	check_script(&s, ctx, g);
	if ((error = run_check_script(&res, ctx, &s)) < 0)
		goto out;
	for (int i = 0; i < 4; i++)
		if ((error = file_state_parse(st[i], &res.out, &pos)) < 0)
			goto out;
	if ((error = read_recs(&o, &res.out, pos)) < 0)
		goto out;
	if (o.tool == '-')
		controller_fetch(&o, arg_str(ctx, "signed_by"));
	out->status = CHECK_OK;
	if (d822_absent(ctx)) {
		struct file_state *abs[3] = { st[0], st[2], st[3] };

		plan_absent(out, g, abs);
	} else if ((error = plan_present(out, g, ctx, &o, st)) < 0) {
		goto out;
	}
	g->src = fs[0];
	file_state_init(&fs[0]);
	out->result = d822_result(g, d822_absent(ctx));
out:
	for (int i = 0; i < 4; i++)
		file_state_release(&fs[i]);
	buf_release(&o.key);
	buf_release(&o.dlerr);
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

/* A script of its own: removals, or the keyrings directory. */
static int run_apply_script(const struct task_ctx *ctx, const struct buf *s)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	req.script = s->ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) >= 0 && res.status)
		error = exec_error(&res, "deb822_repository failed");
	exec_result_release(&res);
	return error;
}

static int apply_absent(const struct task_ctx *ctx,
			const struct d822_plan *g)
{
	struct buf s = BUF_INIT, p = BUF_INIT;
	int error;

	buf_adds(&s, "rm -f --");
	for (int i = 0; i < 3; i++) {
		if (!g->rm[i])
			continue;
		buf_reset(&p);
		if (i)
			key_path(&p, g, i == 1 ? "asc" : "gpg");
		else
			buf_adds(&p, g->dest);
		buf_addch(&s, ' ');
		sh_quote(&s, p.ptr);
	}
	buf_addch(&s, '\n');
	error = run_apply_script(ctx, &s);
	buf_release(&s);
	buf_release(&p);
	return error;
}

static int apply_key(struct apply_result *out, const struct task_ctx *ctx,
		     const struct d822_plan *g)
{
	struct apply_result kr;
	struct file_want w = { 0 };
	struct val *mode = val_str("0644");
	int error = 0;

	if (g->dir_make || g->dir_fix) {
		struct buf s = BUF_INIT;

		buf_adds(&s, "d=" DEB822_KEYRINGS_DIR "\n"
			 "[ -d \"$d\" ] || mkdir -m 0755 -- \"$d\" || exit 1\n"
			 "chown root:root -- \"$d\" && chmod 0755 -- \"$d\"\n");
		error = run_apply_script(ctx, &s);
		buf_release(&s);
		if (error < 0)
			goto out;
	}
	w.path = g->key_path;
	w.mode = mode;
	if (g->key_write) {
		w.content = g->key.ptr;
		w.content_len = g->key.len;
	}
	apply_result_init(&kr);
	error = file_write(&kr, ctx, &w, &g->key_st);
	apply_result_release(&kr);
	out->changed = true;
out:
	val_unref(mode);
	return error;
}

static int d822_apply(struct apply_result *out, const struct task_ctx *ctx,
		      const struct check_result *planned)
{
	const struct d822_plan *g = planned->priv;
	struct apply_result fr;
	struct file_want w = { 0 };
	int error = 0;

	if (!g)
		BUG("deb822_repository: apply without a check");
	if (d822_absent(ctx)) {
		if ((error = apply_absent(ctx, g)) < 0)
			return error;
		out->changed = g->rm[0] || g->rm[1] || g->rm[2];
		out->result = d822_result(g, true);
		return 0;
	}
	if ((g->key_write || g->key_mode) &&
	    (error = apply_key(out, ctx, g)) < 0)
		return error;
	if (g->src_change) {
		w.path = g->dest;
		w.content = g->repo.ptr;
		w.content_len = g->repo.len;
		w.mode = arg_get(ctx, "mode") ? arg_get(ctx, "mode") :
			g->dflt_mode;
		apply_result_init(&fr);
		error = file_write(&fr, ctx, &w, &g->src);
		apply_result_release(&fr);
		if (error < 0)
			return error;
		out->changed = true;
	}
	out->result = d822_result(g, false);
	return 0;
}

static bool literal_str(const struct val *v)
{
	return v && val_is(v, VAL_STR) && !strstr(val_cstr(v), "{{") &&
	       !strstr(val_cstr(v), "{%");
}

/* The fields that say what a present source holds. */
static const char *const content_args[] = {
	"types", "uris", "suites", "components", "signed_by", "architectures",
	"languages", "targets", "enabled", "trusted", "allow_insecure",
	"allow_weak", "allow_downgrade_to_insecure", "by_hash", "check_date",
	"check_valid_until", "pdiffs", "date_max_future", "inrelease_path",
	NULL,
};

static int validate_types(const struct val *t, const char **arg)
{
	if (!t || !val_is(t, VAL_LIST))
		return 0;
	for (size_t i = 0; i < val_len(t); i++) {
		const struct val *e = val_list_at(t, i);

		if (!literal_str(e))
			continue;
		if (strcmp(val_cstr(e), "deb") && strcmp(val_cstr(e), "deb-src")) {
			*arg = "types";
			return tend_error_set("value of types must be one or "
					      "more of: deb, deb-src. Got no "
					      "match for: %s", val_cstr(e));
		}
	}
	return 0;
}

/* The name and types: at load, and once rendered at run time. */
static int validate_name_types(const struct val *args, const char **arg)
{
	const struct val *name = val_dict_get(args, "name");

	if (literal_str(name)) {
		struct buf slug = BUF_INIT;
		bool empty;

		deb822_slug(&slug, val_cstr(name));
		empty = !slug.len;
		buf_release(&slug);
		*arg = "name";
		if (strchr(val_cstr(name), '/'))
			return tend_error_set("name '%s' holds a '/': the file "
					      "name is made of it (Ansible "
					      "would drop the '/' silently)",
					      val_cstr(name));
		if (empty)
			return tend_error_set("name '%s' leaves no file name "
					      "(only [a-z0-9_ -] count)",
					      val_cstr(name));
		*arg = NULL;
	}
	return validate_types(val_dict_get(args, "types"), arg);
}

/*
 * At load: also state=absent with what a present source holds. Not at
 * run time: a templated state that renders absent beside the fields is
 * Ansible's common pattern, and it removes the source.
 */
static int d822_validate(const struct val *args, const char **arg)
{
	const struct val *st = val_dict_get(args, "state");

	if (validate_name_types(args, arg) < 0)
		return -1;
	if (literal_str(st) && !strcmp(val_cstr(st), "absent")) {
		for (size_t i = 0; content_args[i]; i++) {
			const struct val *v = val_dict_get(args,
							   content_args[i]);

			if (!v || val_is(v, VAL_NULL))
				continue;
			*arg = content_args[i];
			return tend_error_set("'%s' contradicts state=absent: "
					      "the source is removed by its "
					      "name", content_args[i]);
		}
		if (val_dict_get(args, "mode") &&
		    !val_is(val_dict_get(args, "mode"), VAL_NULL)) {
			*arg = "mode";
			return tend_error_set("'mode' contradicts state=absent: "
					      "the source is removed by its "
					      "name");
		}
	}
	return 0;
}

const struct tend_module mod_deb822_repository = {
	.name = "deb822_repository",
	.args = d822_args,
	.doc = "add or remove an APT source as a deb822 .sources file "
	       "(ansible-core 2.15+)",
	.check = d822_check,
	.validate = d822_validate,
	.apply = d822_apply,
	.returns =
		"repo: the file's text (null with state=absent)\n"
		"dest: /etc/apt/sources.list.d/NAME.sources\n"
		"key_filename: the key file signed_by names or its URL was "
		"fetched to, else null (absent: /etc/apt/keyrings/NAME.gpg)\n",
	.example =
		"- deb822_repository:\n"
		"    name: example\n"
		"    uris: https://apt.example.com/debian\n"
		"    suites: bookworm\n"
		"    components: main\n"
		"    signed_by: https://apt.example.com/key.asc\n",
};
