#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"
#include "tend/util/quote.h"

/*
 * authorized_key: keys in an account's authorized_keys, as the
 * ansible.posix collection's module does. The check is one probe (the
 * account's passwd line and the file's content); the judge parses the
 * file and the keys as Ansible does (keys found by their base64 blob,
 * options and comments compared, lines it cannot parse kept as they
 * are) and makes the new content, shown as a diff. The apply writes it
 * in one script: the .ssh directory 0700 (manage_dir), the file 0600,
 * both owned by the account, the content through stdin into a temp file
 * renamed over the old one. Keys fetched from a URL are refused.
 */

static const char *const ak_states[] = { "present", "absent", NULL };

static const struct arg_spec ak_args[] = {
	{ "user", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the account whose file it is (it must exist)" },
	{ "key", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the public key, or several, one a line" },
	{ "state", ARG_STR, 0, NULL, ak_states, "present",
	  "present or absent" },
	{ "path", ARG_PATH, 0, NULL, NULL, "~USER/.ssh/authorized_keys",
	  "another file" },
	{ "manage_dir", ARG_BOOL, 0, NULL, NULL, "yes",
	  "make the file's directory 0700, owned by the account" },
	{ "exclusive", ARG_BOOL, 0, NULL, NULL, "no",
	  "remove every other key (and line) of the file" },
	{ "key_options", ARG_STR, 0, NULL, NULL, NULL,
	  "options put before the key (they replace the key's own)" },
	{ "comment", ARG_STR, 0, NULL, NULL, NULL,
	  "the key's comment (replacing its own)" },
	{ "follow", ARG_BOOL, 0, NULL, NULL, "no",
	  "write the target of a symlinked file (realpath)" },
	{ "validate_certs", ARG_BOOL, 0, NULL, NULL, "yes",
	  "for keys from a URL, which tend refuses: no effect" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* One entry of the file, as Ansible's parsekey gives it. */
struct akey {
	char *id;        /* the base64 blob; for a kept line, the line */
	char *type;      /* NULL: a line kept as it is */
	struct val *opts; /* list of [name, value-or-null] */
	char *comment;
	long rank;
};

struct ak_plan {
	char *keyfile;     /* the file, resolved */
	long long uid, gid;
	bool user;         /* the account exists */
	struct buf before, after;
	bool write;
};

static void ak_plan_free(void *p)
{
	struct ak_plan *a = p;

	if (!a)
		return;
	free(a->keyfile);
	buf_release(&a->before);
	buf_release(&a->after);
	free(a);
}

static void akey_release(struct akey *k)
{
	free(k->id);
	free(k->type);
	val_unref(k->opts);
	free(k->comment);
}

struct akeys {
	struct akey *v;
	size_t nr, alloc;
};

static void akeys_release(struct akeys *ks)
{
	for (size_t i = 0; i < ks->nr; i++)
		akey_release(&ks->v[i]);
	free(ks->v);
}

static ssize_t akeys_find(const struct akeys *ks, const char *id)
{
	for (size_t i = 0; i < ks->nr; i++)
		if (!strcmp(ks->v[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* A dict's set: a key already there keeps its place, with the new value. */
static void akeys_set(struct akeys *ks, struct akey *k)
{
	ssize_t i = akeys_find(ks, k->id);

	if (i >= 0) {
		akey_release(&ks->v[i]);
		ks->v[i] = *k;
		return;
	}
	ALLOC_GROW(ks->v, ks->nr + 1, ks->alloc);
	ks->v[ks->nr++] = *k;
}

static void akeys_del(struct akeys *ks, size_t i)
{
	akey_release(&ks->v[i]);
	memmove(&ks->v[i], &ks->v[i + 1], (ks->nr - i - 1) * sizeof(*ks->v));
	ks->nr--;
}

static const char *const key_types[] = {
	"sk-ecdsa-sha2-nistp256@openssh.com",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
	"ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "ssh-dss",
	"ssh-rsa", "ssh-xmss@openssh.com", "ssh-xmss-cert-v01@openssh.com",
	"rsa-sha2-256", "rsa-sha2-512", "ssh-rsa-cert-v01@openssh.com",
	"rsa-sha2-256-cert-v01@openssh.com",
	"rsa-sha2-512-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
	NULL,
};

/*
 * Ansible's parseoptions: split on commas outside "..." and '...';
 * "name=value" or a bare name, in order, repeats kept.
 */
static struct val *parse_options(const char *s)
{
	struct val *out = val_list();
	const char *p = s;

	while (p && *p) {
		const char *q = p;
		struct val *pair;
		const char *eq;
		char *part;

		while (*q && *q != ',') {
			char c = *q;
			const char *close = (c == '"' || c == '\'') ?
				strchr(q + 1, c) : NULL;

			q = close ? close + 1 : q + 1;
		}
		part = xstrndup(p, (size_t)(q - p));
		pair = val_list();
		if ((eq = strchr(part, '='))) {
			val_list_push(pair, val_strn(part, (size_t)(eq - part)));
			val_list_push(pair, val_str(eq + 1));
		} else {
			val_list_push(pair, val_str(part));
			val_list_push(pair, val_null());
		}
		if (*part)
			val_list_push(out, pair);
		else
			val_unref(pair);
		free(part);
		p = *q ? q + 1 : NULL;
	}
	return out;
}

static bool is_key_type(const char *s)
{
	for (size_t i = 0; key_types[i]; i++)
		if (!strcmp(key_types[i], s))
			return true;
	return false;
}

/* Words split on whitespace only (Ansible's shlex with no quotes). */
static struct val *words(const char *s, size_t len)
{
	struct val *out = val_list();
	const char *end = s + len;

	while (s < end) {
		const char *w;

		while (s < end && strchr(" \t\r\n", *s))
			s++;
		w = s;
		while (s < end && !strchr(" \t\r\n", *s))
			s++;
		if (s > w)
			val_list_push(out, val_strn(w, (size_t)(s - w)));
	}
	return out;
}

static void join_words(struct buf *out, const struct val *w, size_t from,
		       size_t to)
{
	for (size_t i = from; i < to; i++)
		buf_addf(out, "%s%s", i > from ? " " : "",
			 val_cstr(val_list_at(w, i)));
}

/*
 * Ansible's parsekey of one line: 1 with `k` filled, 0 for a line it
 * cannot parse (no key type), -1 for a "#" line kept as it is.
 */
static int parse_key(struct akey *k, const char *line, size_t len, long rank)
{
	struct buf raw = BUF_INIT, b = BUF_INIT;
	struct val *w;
	size_t t = 0, n;
	int ret = 1;

	memset(k, 0, sizeof(*k));
	k->rank = rank;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\\' && i + 1 < len && line[i + 1] == '#')
			continue;
		buf_addch(&raw, line[i]);
	}
	w = words(raw.ptr, raw.len);
	n = val_len(w);
	if (n && !strcmp(val_cstr(val_list_at(w, 0)), "#")) {
		k->id = buf_detach(&raw, NULL);
		ret = -1;
		goto out;
	}
	while (t < n && !is_key_type(val_cstr(val_list_at(w, t))))
		t++;
	if (t + 1 >= n) {
		ret = 0;
		goto out;
	}
	join_words(&b, w, 0, t);
	k->opts = parse_options(b.ptr);
	k->type = xstrdup(val_cstr(val_list_at(w, t)));
	k->id = xstrdup(val_cstr(val_list_at(w, t + 1)));
	buf_reset(&b);
	join_words(&b, w, t + 2, n);
	k->comment = buf_detach(&b, NULL);
out:
	val_unref(w);
	buf_release(&raw);
	buf_release(&b);
	return ret;
}

/* Ansible's parsekeys: every line of the file, keyed. */
static void parse_file(struct akeys *ks, const struct buf *text)
{
	long rank = 0;

	for (const char *l = text->ptr; *l; rank++) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l + 1) : strlen(l);
		struct akey k;
		int r = parse_key(&k, l, len, rank);

		if (r == 0) {
			akey_release(&k);
			memset(&k, 0, sizeof(k));
			k.id = xstrndup(l, len);
			k.rank = rank;
		}
		akeys_set(ks, &k);
		l += len;
	}
}

/* Options as a dict of lists compares: sorted by name, stably. */
static struct val *opts_canon(const struct val *opts)
{
	struct val *out = val_list();
	size_t n = val_len(opts);

	for (size_t i = 0; i < n; i++) {
		const struct val *p = val_list_at(opts, i);
		const char *name = val_cstr(val_list_at(p, 0));
		bool done = false;

		for (size_t j = 0; j < i; j++)
			if (!strcmp(val_cstr(val_list_at(val_list_at(opts, j),
							  0)), name))
				done = true;
		for (size_t j = i; !done && j < n; j++) {
			const struct val *q = val_list_at(opts, j);

			if (!strcmp(val_cstr(val_list_at(q, 0)), name))
				val_list_push(out, val_ref((struct val *)q));
		}
	}
	return out;
}

static bool same_key(const struct akey *a, const struct akey *b)
{
	struct val *x, *y;
	bool same;

	if (!a->type || !b->type || strcmp(a->type, b->type) ||
	    strcmp(a->comment, b->comment))
		return false;
	x = opts_canon(a->opts);
	y = opts_canon(b->opts);
	same = val_equal(x, y);
	val_unref(x);
	val_unref(y);
	return same;
}

static void serialize_key(struct buf *out, const struct akey *k)
{
	if (!k->type) {
		buf_adds(out, k->id);
		return;
	}
	for (size_t i = 0; i < val_len(k->opts); i++) {
		const struct val *p = val_list_at(k->opts, i);

		buf_addf(out, "%s%s", i ? "," : "", val_cstr(val_list_at(p, 0)));
		if (!val_is(val_list_at(p, 1), VAL_NULL))
			buf_addf(out, "=%s", val_cstr(val_list_at(p, 1)));
	}
	if (val_len(k->opts))
		buf_addch(out, ' ');
	buf_addf(out, "%s %s %s\n", k->type, k->id, k->comment);
}

/* Ansible's serialize: by rank, ties in the dict's order. */
static void serialize(struct buf *out, const struct akeys *ks)
{
	bool *done = xcalloc(ks->nr + 1, sizeof(*done));

	for (size_t n = 0; n < ks->nr; n++) {
		size_t best = SIZE_MAX;

		for (size_t i = 0; i < ks->nr; i++)
			if (!done[i] && (best == SIZE_MAX ||
					 ks->v[i].rank < ks->v[best].rank))
				best = i;
		done[best] = true;
		serialize_key(out, &ks->v[best]);
	}
	free(done);
}

/* $kf: the file; $sd: the directory manage_dir looks after */
static void path_script(struct buf *s, const struct task_ctx *ctx)
{
	const char *path = arg_str(ctx, "path");

	buf_adds(s, "LC_ALL=C; export LC_ALL\nu=");
	sh_quote(s, arg_str(ctx, "user"));
	buf_adds(s, "\np=$(getent passwd -- \"$u\") && [ \"${p%%:*}\" = \"$u\" ] "
		 "|| p=\n");
	if (!path) {
		buf_adds(s, "sd=\"$(printf '%s\\n' \"$p\" | cut -d: -f6)/.ssh\"\n"
			 "kf=\"$sd/authorized_keys\"\n");
		return;
	}
	buf_adds(s, "kf=");
	if (!strncmp(path, "~/", 2)) {
		buf_adds(s, "\"$HOME\"/");
		sh_quote(s, path + 2);
	} else {
		sh_quote(s, path);
	}
	buf_adds(s, "\nsd=$(dirname -- \"$kf\")\n");
}

static int ak_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct buf *s = &out->script;

	path_script(s, ctx);
	if (arg_bool(ctx, "follow", false))
		buf_adds(s, "x=$(readlink -f -- \"$kf\") && kf=$x\n");
	buf_adds(s, "[ -n \"$p\" ] && printf 'pw:%s\\n%s\\n' \"${#p}\" \"$p\"\n"
		 "printf 'kf:%s\\n%s\\n' \"${#kf}\" \"$kf\"\n"
		 "if [ -f \"$kf\" ]; then x=$(cat -- \"$kf\" && echo x) || exit 1\n"
		 "\tx=${x%x}; printf 'cur:%s\\n%s\\n' \"${#x}\" \"$x\"\nfi\n"
		 "exit 0\n");
	return 0;
}

static long long field_num(const char *l, size_t len, int n)
{
	const char *end = l + len;

	for (int i = 0; i < n && l; i++) {
		l = memchr(l, ':', (size_t)(end - l));
		l = l ? l + 1 : NULL;
	}
	return l ? strtoll(l, NULL, 10) : -1;
}

static int read_probe(struct ak_plan *a, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "pw")) {
			a->user = true;
			a->uid = field_num(r.val, r.len, 2);
			a->gid = field_num(r.val, r.len, 3);
		} else if (rec_is(&r, "kf")) {
			free(a->keyfile);
			a->keyfile = xstrndup(r.val, r.len);
		} else if (rec_is(&r, "cur")) {
			buf_add(&a->before, r.val, r.len);
		}
	}
	return n;
}

/* A key for the plan's lines: its type and comment, or its blob's end. */
static void key_label(struct buf *out, const struct akey *k)
{
	size_t n = strlen(k->id);

	if (!k->type) {
		buf_addf(out, "line '%.*s'", (int)strcspn(k->id, "\n"), k->id);
		return;
	}
	buf_addf(out, "%s ...%s", k->type, n > 12 ? k->id + n - 12 : k->id);
	if (*k->comment)
		buf_addf(out, " (%s)", k->comment);
}

static void note(struct buf *chg, const char *what, const struct akey *k,
		 const char *file)
{
	buf_addf(chg, "%s key ", what);
	key_label(chg, k);
	buf_addf(chg, " %s %s\n", strcmp(what, "remove") ? "in" : "from", file);
}

/* One new key against the file: Ansible's enforce_state loop body. */
static void enforce_one(struct akeys *ks, struct akey *nk, bool present,
			long max_rank, struct buf *chg, const char *file)
{
	ssize_t i = akeys_find(ks, nk->id);

	if (present && i >= 0 && !same_key(nk, &ks->v[i])) {
		akeys_del(ks, (size_t)i);
		nk->rank += max_rank;
		note(chg, "update", nk, file);
		akeys_set(ks, nk);
		return;
	}
	if (present && i < 0) {
		nk->rank += max_rank;
		note(chg, "add", nk, file);
		akeys_set(ks, nk);
		return;
	}
	if (!present && i >= 0) {
		note(chg, "remove", &ks->v[i], file);
		akeys_del(ks, (size_t)i);
	}
	akey_release(nk);
}

/* The file's new content from the keys: `chg` says what moved. */
static int enforce(struct ak_plan *a, struct buf *chg,
		   const struct task_ctx *ctx)
{
	const char *st = arg_str(ctx, "state");
	bool present = !st || strcmp(st, "absent");
	const char *opts = arg_str(ctx, "key_options");
	const char *comment = arg_str(ctx, "comment");
	struct akeys ks = { 0 };
	struct val *keep = val_list();
	struct val *lines = words("", 0);
	const char *key = arg_str(ctx, "key");
	long max_rank, rank = 0;
	int error = 0;

	parse_file(&ks, &a->before);
	max_rank = (long)ks.nr;
	for (const char *l = key; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		struct akey k;

		if (len && l[len - 1] == '\r')
			len--;
		if (len && *l != '#') {
			if (parse_key(&k, l, len, rank++) != 1) {
				akey_release(&k);
				error = tend_error_set("invalid key specified: "
						       "%.*s", (int)len, l);
				goto out;
			}
			if (opts) {
				val_unref(k.opts);
				k.opts = parse_options(opts);
			}
			if (comment) {
				free(k.comment);
				k.comment = xstrdup(comment);
			}
			val_list_push(keep, val_str(k.id));
			enforce_one(&ks, &k, present, max_rank, chg, a->keyfile);
		}
		l += len + (nl != NULL) + (len < strlen(l) && l[len] == '\r');
	}
	for (size_t i = ks.nr; present && arg_bool(ctx, "exclusive", false) &&
	     i-- > 0; ) {
		bool wanted = false;

		for (size_t j = 0; j < val_len(keep); j++)
			if (!strcmp(val_cstr(val_list_at(keep, j)), ks.v[i].id))
				wanted = true;
		if (!wanted) {
			note(chg, "remove", &ks.v[i], a->keyfile);
			akeys_del(&ks, i);
		}
	}
	serialize(&a->after, &ks);
	a->write = chg->len > 0;
out:
	akeys_release(&ks);
	val_unref(keep);
	val_unref(lines);
	return error;
}

/* Ansible's result: its params, keyfile (and changed, set by the engine) */
static struct val *ak_result(const struct task_ctx *ctx, const char *keyfile)
{
	static const char *const strs[] = { "user", "key", "path",
					    "key_options", "comment", NULL };
	static const char *const bools[] = { "manage_dir", "exclusive",
					     "validate_certs", "follow", NULL };
	static const bool dflt[] = { true, false, true, false };
	struct val *r = val_dict();

	for (size_t i = 0; strs[i]; i++)
		val_dict_set(r, strs[i], arg_str(ctx, strs[i]) ?
			     val_str(arg_str(ctx, strs[i])) : val_null());
	for (size_t i = 0; bools[i]; i++)
		val_dict_set_bool(r, bools[i], arg_bool(ctx, bools[i], dflt[i]));
	val_dict_set_str(r, "state", arg_str(ctx, "state") ?
			 arg_str(ctx, "state") : "present");
	val_dict_set_str(r, "keyfile", keyfile ? keyfile : "");
	return r;
}

static int ak_judge(struct check_result *out, const struct task_ctx *ctx,
		    struct probe *p, const struct exec_result *res)
{
	struct ak_plan *a = xcalloc(1, sizeof(*a));
	const char *user = arg_str(ctx, "user");
	int error;

	(void)p;
	buf_init(&a->before, 0);
	buf_init(&a->after, 0);
	out->priv = a;
	out->priv_free = ak_plan_free;
	if (res->status)
		return tend_error_set("cannot read the keys of '%s': %s", user,
				      res->err.ptr);
	if ((error = read_probe(a, &res->out)) < 0)
		return error;
	if (!a->user)
		return tend_error_set("Failed to lookup user %s: \"getpwnam(): "
				      "name not found: '%s'\"", user, user);
	if (!strncmp(arg_str(ctx, "key"), "http", 4))
		return tend_error_set("keys from a URL are not supported: give "
				      "the key itself");
	if ((error = enforce(a, &out->changes, ctx)) < 0)
		return error;
	if (a->write)
		diff_unified(&out->diff, a->before.ptr, a->before.len,
			     a->keyfile, a->after.ptr, a->after.len,
			     a->keyfile);
	out->status = a->write ? CHECK_CHANGE : CHECK_OK;
	out->result = a->write ? NULL : ak_result(ctx, a->keyfile);
	return 0;
}

static int ak_apply(struct apply_result *out, const struct task_ctx *ctx,
		    const struct check_result *planned)
{
	const struct ak_plan *a = planned->priv;
	struct buf s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	int error;

	path_script(&s, ctx);
	buf_adds(&s, "k=");
	sh_quote(&s, a->keyfile);
	buf_addf(&s, "\no=%lld:%lld\n", a->uid, a->gid);
	if (arg_bool(ctx, "manage_dir", true))
		buf_adds(&s, "[ -e \"$sd\" ] || mkdir -m 0700 -- \"$sd\" || exit 1\n"
			 "chown -- \"$o\" \"$sd\" && chmod 0700 -- \"$sd\" || exit 1\n");
	buf_adds(&s, "if [ ! -e \"$k\" ]; then mkdir -p -- \"$(dirname -- \"$k\")\" "
		 "&& : >\"$k\" || exit 1; fi\n"
		 "chown -- \"$o\" \"$k\" 2>/dev/null; chmod 0600 -- \"$k\" 2>/dev/null\n"
		 "t=$(mktemp \"$k.XXXXXX\") || exit 1\n"
		 "cat >\"$t\" && chown --reference=\"$k\" -- \"$t\" && "
		 "chmod --reference=\"$k\" -- \"$t\" && mv -f -- \"$t\" \"$k\" "
		 "|| { rm -f -- \"$t\"; exit 1; }\n");
	req.script = s.ptr;
	req.in = a->after.ptr;
	req.inlen = a->after.len;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_addbuf(&out->msg, &res.err);
		buf_trim(&out->msg);
		error = tend_error_set("cannot write '%s': %s", a->keyfile,
				       out->msg.ptr);
		goto out;
	}
	out->changed = true;
	out->result = ak_result(ctx, a->keyfile);
out:
	buf_release(&s);
	exec_result_release(&res);
	return error;
}

/* A key from a URL (Ansible fetches it) is refused at load. */
static int ak_validate(const struct val *args, const char **arg)
{
	const char *key = val_cstr(val_dict_get(args, "key"));
	const char *st = val_cstr(val_dict_get(args, "state"));
	const struct val *ex = val_dict_get(args, "exclusive");

	if (key && !strncmp(key, "http", 4) && !strstr(key, "{{")) {
		*arg = "key";
		return tend_error_set("keys from a URL are not supported: give "
				      "the key itself");
	}
	if (st && !strcmp(st, "absent") && val_is(ex, VAL_BOOL) && ex->u.b) {
		*arg = "exclusive";
		return tend_error_set("'exclusive' keeps only the keys given: "
				      "it contradicts state=absent");
	}
	return 0;
}

const struct tend_module mod_authorized_key = {
	.name = "authorized_key",
	.args = ak_args,
	.doc = "add or remove ssh keys in an account's authorized_keys "
	       "(ansible.posix.authorized_key)",
	.probe = ak_probe,
	.judge = ak_judge,
	.validate = ak_validate,
	.apply = ak_apply,
	.returns =
		"user, key, path, state, manage_dir, exclusive, key_options, "
		"comment, follow, validate_certs: the arguments\n"
		"keyfile: the file\n",
	.example =
		"- authorized_key:\n"
		"    user: deploy\n"
		"    key: \"ssh-ed25519 AAAAC3Nza... deploy@laptop\"\n"
		"    key_options: 'from=\"10.0.0.0/8\",no-pty'\n"
		"    exclusive: true\n",
};
