#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * git: a checkout of a repository on the host, made and kept up to date
 * with the host's own git, as Ansible's git module does.
 *
 * The check is one probe: the checkout's HEAD, local modifications, the
 * remote's URL and head branch, and `git ls-remote` of the remote (a
 * read of the remote, no change anywhere); the judge resolves `version`
 * against those refs as Ansible's get_remote_head does. The apply is one
 * script: clone (or fetch, with the URL set and local changes reset when
 * force says so), then check out the version as Ansible's
 * switch_version does. Submodules, refspec, reference, separate_git_dir,
 * archive, signature checks and ssh_opts are not supported: those
 * arguments are refused by name. accept_hostkey, accept_newhostkey and
 * key_file go into the GIT_SSH_COMMAND of the probe and the apply.
 */

static const struct arg_spec git_args[] = {
	{ "repo", ARG_STR, ARG_REQUIRED, "name", NULL, NULL,
	  "the repository: a URL, or a path on the host (file:// is added)" },
	{ "dest", ARG_PATH, ARG_REQUIRED, NULL, NULL, NULL,
	  "where the checkout goes on the host" },
	{ "version", ARG_STR, 0, NULL, NULL, "HEAD",
	  "a branch, a tag, a commit (SHA), or HEAD: the remote's default "
	  "branch" },
	{ "remote", ARG_STR, 0, NULL, NULL, "origin", "the remote's name" },
	{ "force", ARG_BOOL, 0, NULL, NULL, "no",
	  "discard local modifications (no: they fail the task)" },
	{ "depth", ARG_INT, 0, NULL, NULL, NULL,
	  "a shallow clone of this many commits (HEAD, a branch or a tag; "
	  "later fetches are not shallow)" },
	{ "clone", ARG_BOOL, 0, NULL, NULL, "yes",
	  "clone when dest has no repository (no: only report)" },
	{ "update", ARG_BOOL, 0, NULL, NULL, "yes",
	  "fetch and check out version (no: leave an existing checkout)" },
	{ "bare", ARG_BOOL, 0, NULL, NULL, "no", "a bare repository" },
	{ "executable", ARG_PATH, 0, NULL, NULL, NULL,
	  "the git to run (default: git on the host's PATH)" },
	{ "accept_hostkey", ARG_BOOL, 0, NULL, NULL, "no",
	  "ssh repos: accept any host key, known or not "
	  "(StrictHostKeyChecking=no, as Ansible)" },
	{ "accept_newhostkey", ARG_BOOL, 0, NULL, NULL, "no",
	  "ssh repos: accept the key of a host not yet known, never a "
	  "changed one (StrictHostKeyChecking=accept-new)" },
	{ "key_file", ARG_PATH, 0, NULL, NULL, NULL,
	  "ssh repos: the private key on the host to log in with" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const char *const git_exclusive[] = {
	"accept_hostkey|accept_newhostkey", NULL,
};

/*
 * The ssh command git runs for an ssh repo, as one shell word: BatchMode
 * (never a prompt) and the host key and key file options of the task.
 * A GIT_SSH_COMMAND the host's environment sets wins.
 */
static void ssh_command(struct buf *s, const struct task_ctx *ctx)
{
	struct buf cmd = BUF_INIT;
	const char *key = arg_str(ctx, "key_file");

	buf_adds(&cmd, "ssh -o BatchMode=yes");
	if (arg_bool(ctx, "accept_hostkey", false))
		buf_adds(&cmd, " -o StrictHostKeyChecking=no");
	else if (arg_bool(ctx, "accept_newhostkey", false))
		buf_adds(&cmd, " -o StrictHostKeyChecking=accept-new");
	if (key) {
		/* git runs the command through a shell: the path is a word */
		buf_adds(&cmd, " -i ");
		sh_quote(&cmd, key);
		buf_adds(&cmd, " -o IdentitiesOnly=yes");
	}
	sh_quote(s, cmd.ptr);
	buf_release(&cmd);
}

struct git_plan {
	bool have;          /* dest holds a repository */
	char *before;       /* its HEAD, or NULL */
	bool mods;          /* local modifications (not untracked files) */
	char *url;          /* the remote's URL there, or NULL */
	char *head_branch;  /* the remote's (or the checkout's) head branch */
	char *local;        /* version resolved in the checkout, or NULL */
	struct buf refs;    /* git ls-remote output */
	char *after;        /* what version resolves to */
};

static void git_plan_free(void *p)
{
	struct git_plan *g = p;

	if (!g)
		return;
	free(g->before);
	free(g->url);
	free(g->head_branch);
	free(g->local);
	free(g->after);
	buf_release(&g->refs);
	free(g);
}

/* Ansible's repo: a path on the host becomes a file:// URL. */
static void repo_url(struct buf *out, const struct task_ctx *ctx)
{
	const char *repo = arg_str(ctx, "repo");

	if (repo[0] == '/')
		buf_adds(out, "file://");
	buf_adds(out, repo);
}

/* $g (git), $r (repo), $d (dest), $o (remote), $v (version), $c (config) */
static void script_head(struct buf *s, const struct task_ctx *ctx)
{
	struct buf repo = BUF_INIT;
	const char *exe = arg_str(ctx, "executable");
	const char *dest = arg_str(ctx, "dest");

	repo_url(&repo, ctx);
	/* never a prompt: a password or host key question fails instead */
	buf_adds(s, "LC_ALL=C; export LC_ALL\n"
		 "GIT_TERMINAL_PROMPT=0; export GIT_TERMINAL_PROMPT\n"
		 "[ -n \"${GIT_SSH_COMMAND:-}\" ] || { GIT_SSH_COMMAND=");
	ssh_command(s, ctx);
	buf_adds(s, "; export GIT_SSH_COMMAND; }\ng=");
	sh_quote(s, exe ? exe : "git");
	buf_adds(s, "\nr=");
	sh_quote(s, repo.ptr);
	buf_adds(s, "\nd=");
	/* Ansible's os.path.abspath: relative to the home directory */
	if (dest[0] != '/' && dest[0] != '~')
		buf_adds(s, "\"$HOME\"/");
	sh_quote(s, dest);
	buf_adds(s, "\no=");
	sh_quote(s, arg_str(ctx, "remote") ? arg_str(ctx, "remote") : "origin");
	buf_adds(s, "\nv=");
	sh_quote(s, arg_str(ctx, "version") ? arg_str(ctx, "version") : "HEAD");
	buf_addf(s, "\nc=\"$d/%sconfig\"\n"
		 "command -v \"$g\" >/dev/null 2>&1 || { echo \"git is not "
		 "installed on the host ($g)\" >&2; exit 3; }\n",
		 arg_bool(ctx, "bare", false) ? "" : ".git/");
	buf_release(&repo);
}

static int git_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct git_plan *g = xcalloc(1, sizeof(*g));
	struct buf *s = &out->script;

	buf_init(&g->refs, 0);
	out->priv = g;
	out->priv_free = git_plan_free;
	if (!arg_str(ctx, "repo") || !arg_str(ctx, "dest"))
		return tend_error_set("repo and dest are required");
	script_head(s, ctx);
	buf_adds(s, "if [ -e \"$c\" ]; then\n"
		 "\tcd \"$d\" || exit 1\n"
		 "\techo 'have 1'\n"
		 "\tx=$(\"$g\" rev-parse HEAD 2>/dev/null) && echo \"before $x\"\n");
	if (!arg_bool(ctx, "bare", false))
		buf_adds(s, "\t\"$g\" status --porcelain 2>/dev/null | "
			 "grep -qv '^[?][?]' && echo 'mods 1'\n");
	buf_adds(s, "\tx=$(\"$g\" config --get \"remote.$o.url\") && "
		 "printf 'url:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "\tx=$(\"$g\" symbolic-ref -q \"refs/remotes/$o/HEAD\" || "
		 "\"$g\" symbolic-ref -q HEAD) && x=${x##*/} && "
		 "printf 'head:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "\tx=$(\"$g\" rev-parse -q --verify \"$v^{commit}\" 2>/dev/null) "
		 "&& echo \"local $x\"\n"
		 "\tx=$(\"$g\" ls-remote \"$o\") || exit 4\n"
		 "else\n"
		 "\tx=$(\"$g\" ls-remote \"$r\") || exit 4\n"
		 "fi\n"
		 "printf 'refs:%s\\n%s\\n' \"${#x}\" \"$x\"\n");
	return 0;
}

/* The SHA of `ref` in ls-remote output, or NULL. */
static char *find_ref(const struct buf *refs, const char *ref)
{
	size_t n = strlen(ref);

	for (const char *l = refs->ptr; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		const char *tab = memchr(l, '\t', len);

		if (tab && (size_t)(l + len - tab - 1) == n &&
		    !memcmp(tab + 1, ref, n))
			return xstrndup(l, (size_t)(tab - l));
		l += len + (nl != NULL);
	}
	return NULL;
}

/* Ansible's get_remote_head: what version is on the remote. */
static char *remote_head(const struct git_plan *g, const char *version)
{
	struct buf r = BUF_INIT;
	char *sha;

	if (!strcmp(version, "HEAD")) {
		if (g->have && g->head_branch) {
			buf_addf(&r, "refs/heads/%s", g->head_branch);
			sha = find_ref(&g->refs, r.ptr);
		} else {
			sha = find_ref(&g->refs, "HEAD");
		}
		buf_release(&r);
		return sha;
	}
	buf_addf(&r, "refs/heads/%s", version);
	if ((sha = find_ref(&g->refs, r.ptr)))
		goto out;
	buf_reset(&r);
	buf_addf(&r, "refs/tags/%s^{}", version);
	if ((sha = find_ref(&g->refs, r.ptr)))
		goto out;
	buf_setlen(&r, r.len - 3);
	if ((sha = find_ref(&g->refs, r.ptr)))
		goto out;
	sha = xstrdup(g->local ? g->local : version);
out:
	buf_release(&r);
	return sha;
}

static int read_probe(struct git_plan *g, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		char **slot = rec_is(&r, "before") ? &g->before :
			rec_is(&r, "url") ? &g->url :
			rec_is(&r, "head") ? &g->head_branch :
			rec_is(&r, "local") ? &g->local : NULL;

		if (rec_is(&r, "have"))
			g->have = true;
		else if (rec_is(&r, "mods"))
			g->mods = true;
		else if (rec_is(&r, "refs"))
			buf_add(&g->refs, r.val, r.len);
		else if (slot)
			*slot = xstrndup(r.val, r.len);
	}
	return n;
}

/* Ansible's unfrackgitpath: compare URLs without a trailing slash. */
static bool same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && !memcmp(a, b, la);
}

static int git_judge(struct check_result *out, const struct task_ctx *ctx,
		     struct probe *p, const struct exec_result *res)
{
	struct git_plan *g = p->priv;
	const char *version = arg_str(ctx, "version") ? arg_str(ctx, "version") :
		"HEAD";
	const char *dest = arg_str(ctx, "dest");
	struct buf repo = BUF_INIT;
	bool url_changed;
	int error = 0;

	out->priv = g;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	if (res->status)
		return exec_error(res, "git failed");
	if ((error = read_probe(g, &res->out)) < 0)
		return error;
	repo_url(&repo, ctx);
	g->after = remote_head(g, version);
	if (!g->after) {
		error = tend_error_set("Could not determine remote revision for "
				       "%s", version);
		goto out;
	}
	if (!g->have) {
		out->status = CHECK_CHANGE;
		buf_addf(&out->changes, "clone: %s at %s (%.12s) -> %s\n",
			 repo.ptr, version, g->after, dest);
		goto out;
	}
	out->result = val_dict();
	val_dict_set(out->result, "before", g->before ? val_str(g->before) :
		     val_null());
	if (!arg_bool(ctx, "update", true)) {
		out->status = CHECK_OK;
		val_dict_set(out->result, "after", g->before ?
			     val_str(g->before) : val_null());
		goto out;
	}
	if (g->mods && !arg_bool(ctx, "force", false)) {
		error = tend_error_set("Local modifications exist in the "
				       "destination: %s (force=no).", dest);
		goto out;
	}
	url_changed = g->url && !same_url(g->url, repo.ptr);
	val_dict_set_bool(out->result, "remote_url_changed", url_changed);
	val_dict_set_str(out->result, "after", g->after);
	if (url_changed)
		buf_addf(&out->changes, "remote url: %s -> %s\n", g->url,
			 repo.ptr);
	if (g->mods)
		buf_addf(&out->changes, "local modifications: discard in %s\n",
			 dest);
	if (!g->before || strcmp(g->before, g->after))
		buf_addf(&out->changes, "update: %s %.12s -> %.12s (%s)\n",
			 dest, g->before ? g->before : "(none)", g->after,
			 version);
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
out:
	buf_release(&repo);
	return error;
}

/* Ansible's is_remote_branch / is_remote_tag, from the refs read. */
static bool remote_ref(const struct git_plan *g, const char *kind,
		       const char *version)
{
	struct buf r = BUF_INIT;
	char *sha;

	buf_addf(&r, "refs/%s/%s", kind, version);
	sha = find_ref(&g->refs, r.ptr);
	buf_release(&r);
	free(sha);
	return sha != NULL;
}

static void clone_script(struct buf *s, const struct task_ctx *ctx,
			 const struct git_plan *g, const char *version)
{
	long long depth = arg_int(ctx, "depth", 0);
	bool bare = arg_bool(ctx, "bare", false);

	buf_adds(s, "mkdir -p -- \"$(dirname -- \"$d\")\" 2>/dev/null\n"
		 "set -- clone -q\n");
	buf_adds(s, bare ? "set -- \"$@\" --bare\n" :
		 "set -- \"$@\" --origin \"$o\"\n");
	if (depth > 0 && !strcmp(version, "HEAD"))
		buf_addf(s, "set -- \"$@\" --depth %lld\n", depth);
	else if (depth > 0 && (remote_ref(g, "heads", version) ||
			       remote_ref(g, "tags", version)))
		buf_addf(s, "set -- \"$@\" --depth %lld --branch \"$v\"\n",
			 depth);
	buf_adds(s, "\"$g\" \"$@\" -- \"$r\" \"$d\" >&2 || exit 4\n"
		 "cd \"$d\" || exit 1\n");
	if (bare)
		buf_adds(s, "[ \"$o\" = origin ] || \"$g\" remote add \"$o\" "
			 "\"$r\" >&2 || exit 4\n");
}

static void update_script(struct buf *s, const struct task_ctx *ctx,
			  const struct git_plan *g, bool url_changed)
{
	bool force = arg_bool(ctx, "force", false);

	buf_adds(s, "cd \"$d\" || exit 1\n");
	if (g->mods)
		buf_adds(s, "\"$g\" reset -q --hard HEAD -- >&2 || exit 4\n");
	if (url_changed)
		buf_adds(s, "\"$g\" remote set-url \"$o\" \"$r\" >&2 || exit 4\n");
	if (arg_bool(ctx, "bare", false))
		buf_addf(s, "\"$g\" fetch -q%s \"$o\" '+refs/heads/*:refs/heads/*' "
			 "'+refs/tags/*:refs/tags/*' >&2 || exit 4\n",
			 force ? " --force" : "");
	else
		buf_addf(s, "\"$g\" fetch -q --tags%s \"$o\" >&2 || exit 4\n",
			 force ? " --force" : "");
}

/* Ansible's switch_version. */
static void switch_script(struct buf *s)
{
	buf_adds(s, "if [ \"$v\" = HEAD ]; then\n"
		 "\tb=$(\"$g\" symbolic-ref -q \"refs/remotes/$o/HEAD\" || "
		 "\"$g\" symbolic-ref -q HEAD) && b=${b##*/}\n"
		 "\t\"$g\" checkout -q --force \"$b\" -- >&2 || { echo \"Failed "
		 "to checkout branch $b\" >&2; exit 4; }\n"
		 "\t\"$g\" reset -q --hard \"$o/$b\" -- >&2 || { echo \"Failed "
		 "to checkout branch $b\" >&2; exit 4; }\n"
		 "elif \"$g\" show-ref -q --verify \"refs/remotes/$o/$v\"; then\n"
		 "\tif \"$g\" show-ref -q --verify \"refs/heads/$v\"; then\n"
		 "\t\t\"$g\" checkout -q --force \"$v\" -- >&2 && \"$g\" reset -q "
		 "--hard \"$o/$v\" -- >&2\n"
		 "\telse\n"
		 "\t\t\"$g\" checkout -q --track -b \"$v\" \"$o/$v\" >&2\n"
		 "\tfi || { echo \"Failed to checkout $v\" >&2; exit 4; }\n"
		 "else\n"
		 /* what Ansible's failure holds: the command, its output */
		 "\te=$(mktemp \"${TMPDIR:-/tmp}/.tend-git-XXXXXX\") || exit 1\n"
		 "\tx=$(\"$g\" checkout --force \"$v\" 2>\"$e\"; r=$?; echo x; "
		 "exit $r); r=$?; x=${x%x}\n"
		 "\tif [ $r != 0 ]; then\n"
		 "\t\ty=$(cat -- \"$e\"; echo x); y=${y%x}; rm -f -- \"$e\"\n"
		 "\t\tp=$(command -v \"$g\")\n"
		 "\t\tprintf 'co_rc %s\\n' \"$r\"\n"
		 "\t\tprintf 'co_cmd:%s\\n%s\\n' \"${#p}\" \"$p\"\n"
		 "\t\tprintf 'co_out:%s\\n%s\\n' \"${#x}\" \"$x\"\n"
		 "\t\tprintf 'co_err:%s\\n%s\\n' \"${#y}\" \"$y\"\n"
		 "\t\texit 0\n"
		 "\tfi\n"
		 "\trm -f -- \"$e\"\n"
		 "fi\n");
}

/* Ansible's run_command output: KEY, and KEY_lines as splitlines(). */
static void set_output(struct val *res, const char *key, const char *s,
		       size_t len)
{
	struct val *lines = val_list();
	struct buf k = BUF_INIT;
	const char *end = s + len;

	val_dict_set(res, key, val_strn(s, len));
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		val_list_push(lines, val_strn(s, (size_t)((nl ? nl : end) - s)));
		s = nl ? nl + 1 : end;
	}
	buf_addf(&k, "%s_lines", key);
	val_dict_set(res, k.ptr, lines);
	buf_release(&k);
}

static int git_apply(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned)
{
	struct git_plan *g = planned->priv;
	const char *version = arg_str(ctx, "version") ? arg_str(ctx, "version") :
		"HEAD";
	struct buf s = BUF_INIT, repo = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	bool url_changed;
	struct rec r;
	size_t pos = 0;
	int error = 0, n;
	char *after = NULL;

	repo_url(&repo, ctx);
	url_changed = g->have && g->url && !same_url(g->url, repo.ptr);
	out->result = val_dict();
	if (!g->have && !arg_bool(ctx, "clone", true)) {
		/* Ansible reports what a clone would bring, and clones nothing */
		out->changed = true;
		val_dict_set(out->result, "before", val_null());
		val_dict_set_str(out->result, "after", g->after);
		goto out;
	}
	script_head(&s, ctx);
	if (!g->have)
		clone_script(&s, ctx, g, version);
	else
		update_script(&s, ctx, g, url_changed);
	if (!arg_bool(ctx, "bare", false))
		switch_script(&s);
	buf_adds(&s, "echo \"after $(\"$g\" rev-parse HEAD)\"\n");
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "git failed");
		goto out;
	}
	while ((n = rec_next(&r, &res.out, &pos)) > 0) {
		if (rec_is(&r, "after"))
			after = xstrndup(r.val, r.len);
		else if (rec_is(&r, "co_rc"))
			val_dict_set_int(out->result, "rc",
					 strtol(r.val, NULL, 10));
		else if (rec_is(&r, "co_cmd"))
			val_dict_set(out->result, "cmd",
				     val_strf("%.*s checkout --force %s",
					      (int)r.len, r.val, version));
		else if (rec_is(&r, "co_out") || rec_is(&r, "co_err"))
			set_output(out->result, rec_is(&r, "co_out") ?
				   "stdout" : "stderr", r.val, r.len);
	}
	if (val_dict_get(out->result, "rc")) {
		/* Ansible's words; git's are in stderr (shown with -v) */
		out->failed = true;
		buf_addf(&out->msg, "Failed to checkout %s", version);
		goto out;
	}
	if (!after) {
		error = tend_error_set("cannot parse the reply of the host");
		goto out;
	}
	val_dict_set(out->result, "before", g->before ? val_str(g->before) :
		     val_null());
	val_dict_set_str(out->result, "after", after);
	if (g->have)
		val_dict_set_bool(out->result, "remote_url_changed", url_changed);
	out->changed = !g->before || strcmp(g->before, after) || g->mods ||
		       url_changed;
	if (g->mods)
		buf_addf(&out->msg, "Local modifications exist in the "
			 "destination: %s", arg_str(ctx, "dest"));
out:
	free(after);
	buf_release(&s);
	buf_release(&repo);
	exec_result_release(&res);
	return error;
}

const struct tend_module mod_git = {
	.name = "git",
	.args = git_args,
	.exclusive = git_exclusive,
	.doc = "check out a git repository on the host with its git",
	.probe = git_probe,
	.judge = git_judge,
	.apply = git_apply,
	.returns =
		"before: the commit checked out before (null: none)\n"
		"after: the commit checked out now\n"
		"remote_url_changed: the remote's URL was set to repo "
		"(an existing checkout)\n",
	.example =
		"- git:\n"
		"    repo: https://example.com/app.git\n"
		"    dest: /srv/app\n"
		"    version: v1.4.2\n",
};
