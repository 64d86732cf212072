#include "tend/common.h"
#include <ctype.h>
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/pipreq.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * pip: Python packages on the host, installed with the host's own pip
 * (a virtualenv's, `executable`, or the system python's), as Ansible's
 * pip module does.
 *
 * The check is one probe: whether the virtualenv exists, which pip to
 * run, what it lists (`pip list --format=freeze`), and for the states
 * that install, the same `pip install` with --dry-run (pip resolves
 * exactly what the real run would, and fails as it would: an unknown
 * package, an externally managed python). The judge turns that into
 * "install foo 1.0", "upgrade foo 1.0 -> 2.0", "remove foo", "create
 * virtualenv /opt/venv". The apply is one script running what Ansible
 * runs: the virtualenv command, then pip with the state's words, and
 * changed as Ansible says it (pip's "Successfully installed" or
 * "Successfully uninstalled"; with requirements, freeze before/after).
 */

static const char *const pip_states[] = {
	"present", "absent", "latest", "forcereinstall", NULL,
};

static const struct arg_spec pip_args[] = {
	{ "name", ARG_LIST, 0, NULL, NULL, NULL,
	  "package names or URLs, each may carry a version specifier "
	  "(foo==1.0, foo>=1,<2)" },
	{ "version", ARG_STR, 0, NULL, NULL, NULL,
	  "the version of the one package in name (1.0, or a specifier "
	  "like '>=1')" },
	{ "state", ARG_STR, 0, NULL, pip_states, "present",
	  "present, absent, latest (install -U) or forcereinstall" },
	{ "requirements", ARG_STR, 0, NULL, NULL, NULL,
	  "a requirements file on the host (relative to chdir)" },
	{ "virtualenv", ARG_PATH, 0, NULL, NULL, NULL,
	  "a virtualenv to install into, created when it has no "
	  "bin/activate (relative to chdir)" },
	{ "virtualenv_site_packages", ARG_BOOL, 0, NULL, NULL, "no",
	  "give a new virtualenv the system's site-packages" },
	{ "virtualenv_command", ARG_STR, 0, NULL, NULL, "virtualenv",
	  "the command that creates a virtualenv ('python3 -m venv')" },
	{ "virtualenv_python", ARG_STR, 0, NULL, NULL, NULL,
	  "the python of a new virtualenv (-p; not with venv)" },
	{ "extra_args", ARG_STR, 0, NULL, NULL, NULL,
	  "more arguments for pip (split as a shell would)" },
	{ "editable", ARG_BOOL, 0, NULL, NULL, "no",
	  "pass -e to pip (a local project or VCS URL)" },
	{ "chdir", ARG_PATH, 0, NULL, NULL, NULL,
	  "run pip there (default: the temporary directory)" },
	{ "executable", ARG_PATH, 0, NULL, NULL, NULL,
	  "the pip to run (a path, or a name found on PATH)" },
	{ "umask", ARG_STR, 0, NULL, NULL, NULL,
	  "the umask (octal) pip and the virtualenv command run with" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const char *const pip_exclusive[] = {
	"name|requirements", "executable|virtualenv", NULL,
};

struct pip_plan {
	bool venv_missing;
	struct val *pip;     /* pip's argv (list), or NULL */
	struct pipreq *pkgs;
	size_t nr;
	struct val *cmd;     /* the pip command, without pip itself */
};

static void pip_plan_free(void *v)
{
	struct pip_plan *pp = v;

	if (!pp)
		return;
	val_unref(pp->pip);
	val_unref(pp->cmd);
	pipreq_free(pp->pkgs, pp->nr);
	free(pp);
}

static const char *state_of(const struct task_ctx *ctx)
{
	const char *st = arg_str(ctx, "state");

	return st ? st : "present";
}

/*
 * extra_args as Ansible passes them: with editable, "-e" added unless a
 * space-separated word already is; then split as shlex does.
 */
static int extra_words(struct val **out, const struct task_ctx *ctx)
{
	const char *extra = arg_str(ctx, "extra_args");
	struct buf b = BUF_INIT;
	int error;

	buf_adds(&b, extra ? extra : "");
	if (arg_bool(ctx, "editable", false)) {
		bool have = false;

		for (const char *s = b.ptr; *s; ) {
			const char *sp = strchr(s, ' ');
			size_t len = sp ? (size_t)(sp - s) : strlen(s);

			have |= len == 2 && !strncmp(s, "-e", 2);
			s += len + (sp != NULL);
		}
		if (!have)
			buf_adds(&b, b.len ? " -e" : "-e");
	}
	error = sh_split(out, b.ptr);
	buf_release(&b);
	return error;
}

/* The pip command after pip itself: state words, extra_args, packages. */
static int build_cmd(struct pip_plan *pp, const struct task_ctx *ctx)
{
	const char *st = state_of(ctx);
	struct val *extra = NULL;
	int error;

	pp->cmd = val_list();
	if (!strcmp(st, "absent")) {
		val_list_push(pp->cmd, val_str("uninstall"));
		val_list_push(pp->cmd, val_str("-y"));
	} else {
		val_list_push(pp->cmd, val_str("install"));
		if (strcmp(st, "present"))
			val_list_push(pp->cmd, val_str("-U"));
		if (!strcmp(st, "forcereinstall"))
			val_list_push(pp->cmd, val_str("--force-reinstall"));
	}
	if ((error = extra_words(&extra, ctx)) < 0)
		return error;
	for (size_t i = 0; i < val_len(extra); i++)
		val_list_push(pp->cmd, val_ref(val_list_at(extra, i)));
	val_unref(extra);
	if (arg_get(ctx, "name") && !val_is(arg_get(ctx, "name"), VAL_NULL)) {
		if ((error = pipreq_build(&pp->pkgs, &pp->nr, arg_get(ctx, "name"),
					arg_str(ctx, "version"))) < 0)
			return error;
		for (size_t i = 0; i < pp->nr; i++)
			val_list_push(pp->cmd, val_str(pp->pkgs[i].text));
	} else if (arg_str(ctx, "requirements")) {
		val_list_push(pp->cmd, val_str("-r"));
		val_list_push(pp->cmd, val_str(arg_str(ctx, "requirements")));
	}
	return 0;
}

/* Append the words of a list, quoted, each after a space. */
static void add_words(struct buf *s, const struct val *l, size_t from)
{
	for (size_t i = from; l && i < val_len(l); i++) {
		buf_addch(s, ' ');
		sh_quote(s, val_cstr(val_list_at(l, i)));
	}
}

/* $c (chdir), $e (virtualenv, absolute), $x (executable); fail(). */
static void script_head(struct buf *s, const struct task_ctx *ctx)
{
	const char *chdir = arg_str(ctx, "chdir");
	const char *env = arg_str(ctx, "virtualenv");
	const char *exe = arg_str(ctx, "executable");

	buf_adds(s, "LC_ALL=C; export LC_ALL\n"
		 "fail() { printf 'fail:%s\\n%s\\n' \"${#1}\" \"$1\"; exit 0; }\n"
		 "c=");
	if (chdir)
		sh_quote(s, chdir);
	else
		buf_adds(s, "\"${TMPDIR:-/tmp}\"");
	buf_adds(s, "\ne=");
	/* Ansible's os.path.join(chdir, virtualenv) */
	if (env && env[0] != '/')
		buf_adds(s, chdir ? "\"$c\"/" : "\"$HOME\"/");
	sh_quote(s, env ? env : "");
	buf_adds(s, "\nx=");
	sh_quote(s, exe ? exe : "");
	/* run_command ignores a cwd that is not a directory: Ansible's home */
	buf_adds(s, "\n[ -d \"$c\" ] && cd -- \"$c\" 2>/dev/null || cd\n");
}

/* Ansible's _get_pip: sets "$@" to the pip to run, and prints it. */
static void script_find_pip(struct buf *s)
{
	buf_adds(s,
		 "if [ -n \"$x\" ]; then\n"
		 "\tcase $x in\n"
		 "\t/*) y=$x ;;\n"
		 "\t*) y=$(command -v -- \"$x\") || fail \"Unable to find any "
		 "of $x to use.  pip needs to be installed.\" ;;\n"
		 "\tesac\n"
		 "\tset -- \"$y\"\n"
		 "elif [ -n \"$e\" ]; then\n"
		 "\ty=\n"
		 "\tfor b in pip3 pip; do\n"
		 "\t\t[ -f \"$e/bin/$b\" ] && [ -x \"$e/bin/$b\" ] && "
		 "{ y=$e/bin/$b; break; }\n"
		 "\tdone\n"
		 "\t[ -n \"$y\" ] || fail \"Unable to find pip in the virtualenv, "
		 "$e, under any of these names: pip3, pip. Make sure pip is "
		 "present in the virtualenv.\"\n"
		 "\tset -- \"$y\"\n"
		 "elif y=$(command -v python3) && \"$y\" -c 'import sys, "
		 "importlib.util as u; sys.exit(u.find_spec(\"pip\") is None)' "
		 "2>/dev/null; then\n"
		 "\tset -- \"$y\" -m pip.__main__\n"
		 "else\n"
		 "\ty=$(command -v pip3) || fail \"Unable to find any of pip3 to "
		 "use.  pip needs to be installed.\"\n"
		 "\tset -- \"$y\"\n"
		 "fi\n"
		 "for a in \"$@\"; do printf 'pip:%s\\n%s\\n' \"${#a}\" \"$a\"; "
		 "done\n");
}

/* Ansible's _get_packages, printed as record KEY. */
static void script_freeze(struct buf *s, const char *key)
{
	buf_addf(s, "f=$(\"$@\" list --format=freeze 2>/dev/null) || "
		 "f=$(\"$@\" freeze 2>&1) || fail \"stdout: $f\"\n"
		 "printf '%s:%%s\\n%%s\\n' \"${#f}\" \"$f\"\n", key);
}

static bool has_vcs(const struct task_ctx *ctx)
{
	const struct val *names = arg_get(ctx, "name");
	static const char *const vcs[] = { "svn+", "git+", "hg+", "bzr+", NULL };

	for (size_t i = 0; names && val_is(names, VAL_LIST) &&
	     i < val_len(names); i++)
		for (size_t j = 0; vcs[j]; j++)
			if (strstr(val_cstr(val_list_at(names, i)), vcs[j]))
				return true;
	return false;
}

static int pip_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct pip_plan *pp = xcalloc(1, sizeof(*pp));
	struct buf *s = &out->script;
	const char *req = arg_str(ctx, "requirements");
	struct val *vcmd = NULL;
	bool absent = !strcmp(state_of(ctx), "absent");
	int error;

	out->priv = pp;
	out->priv_free = pip_plan_free;
	if ((error = build_cmd(pp, ctx)) < 0)
		return error;
	script_head(s, ctx);
	if (arg_str(ctx, "virtualenv")) {
		const char *vc = arg_str(ctx, "virtualenv_command");

		if ((error = sh_split(&vcmd, vc ? vc : "virtualenv")) < 0)
			return error;
		buf_adds(s, "if [ ! -e \"$e/bin/activate\" ]; then\n"
			 "\techo 'venv 0'\n\tv=");
		sh_quote(s, val_len(vcmd) ? val_cstr(val_list_at(vcmd, 0)) : "");
		val_unref(vcmd);
		buf_adds(s, "\n\tcase $v in */*) ;; *) command -v -- \"$v\" "
			 ">/dev/null || fail \"Failed to find required "
			 "executable \\\"$v\\\" in paths: $PATH\" ;; esac\n"
			 "\texit 0\nfi\n");
	}
	script_find_pip(s);
	script_freeze(s, "freeze");
	if (absent && !arg_str(ctx, "virtualenv")) {
		/*
		 * pip uninstall refuses an externally managed python (PEP
		 * 668), installed or not: the python is pip's (-m) or its
		 * script's #! line
		 */
		buf_adds(s, "case $2 in -m) py=$1 ;; *) py=$(sed -n "
			 "'1s/^#![[:space:]]*//p' \"$1\" 2>/dev/null | "
			 "cut -d' ' -f1) ;; esac\n"
			 "if [ -n \"$py\" ] && \"$py\" -c 'import os, sys, "
			 "sysconfig; sys.exit(sys.prefix != sys.base_prefix or not "
			 "os.path.isfile(os.path.join(sysconfig.get_path("
			 "\"stdlib\"), \"EXTERNALLY-MANAGED\")))' 2>/dev/null; "
			 "then echo managed; fi\n");
	}
	if (absent && req) {
		buf_adds(s, "r=");
		sh_quote(s, req);
		buf_adds(s, "\nf=$(cat -- \"$r\") || fail \"ERROR: Could not open "
			 "requirements file: $r\"\n"
			 "printf 'req:%s\\n%s\\n' \"${#f}\" \"$f\"\n");
	} else if (!absent) {
		/* what the real run would do, resolved by pip itself */
		buf_adds(s, "o=$(\"$@\" ");
		sh_quote(s, val_cstr(val_list_at(pp->cmd, 0)));
		buf_adds(s, " --dry-run --no-cache-dir");
		add_words(s, pp->cmd, 1);
		buf_adds(s, "; r=$?; echo x; exit $r); r=$?; o=${o%x}\n"
			 "printf 'dry_rc %s\\n' \"$r\"\n"
			 "printf 'dry:%s\\n%s\\n' \"${#o}\" \"$o\"\n");
	}
	return 0;
}

/* Where the virtualenv is, as plans say it. */
static void env_path(struct buf *out, const struct task_ctx *ctx)
{
	const char *env = arg_str(ctx, "virtualenv");
	const char *chdir = arg_str(ctx, "chdir");

	if (env[0] != '/' && chdir)
		buf_addf(out, "%s/", chdir);
	else if (env[0] != '/')
		buf_adds(out, "~/");
	buf_adds(out, env);
}

/* "Would install a-1.0 b-2.0" of a dry run, against what is there. */
static void plan_installs(struct buf *changes, const struct buf *dry,
			  const struct val *have)
{
	const char *l = strstr(dry->ptr, "Would install ");
	const char *end;

	if (!l || (l != dry->ptr && l[-1] != '\n'))
		return;
	l += strlen("Would install ");
	end = strchr(l, '\n');
	end = end ? end : l + strlen(l);
	while (l < end) {
		const char *sp = memchr(l, ' ', (size_t)(end - l));
		const char *we = sp ? sp : end, *dash = NULL;

		for (const char *q = l; q < we; q++)
			if (*q == '-')
				dash = q;
		if (dash) {
			char *name = pipreq_canon(l, (size_t)(dash - l));
			char *ver = xstrndup(dash + 1, (size_t)(we - dash - 1));
			const struct val *old = val_dict_get(have, name);
			int c = old ? pipreq_version_cmp(val_cstr(old), ver) : 0;

			if (!old)
				buf_addf(changes, "install %s %s\n", name, ver);
			else if (!c)
				buf_addf(changes, "reinstall %s %s\n", name, ver);
			else
				buf_addf(changes, "%s %s %s -> %s\n",
					 c < 0 ? "upgrade" : "downgrade", name,
					 val_cstr(old), ver);
			free(name);
			free(ver);
		}
		l = we + 1;
	}
}

/* state=absent: what of name (or the requirements file) is there. */
static void plan_removals(struct buf *changes, const struct pip_plan *pp,
			  const struct buf *req, const struct val *have)
{
	for (size_t i = 0; i < pp->nr; i++) {
		if (!pp->pkgs[i].plain)
			buf_addf(changes, "remove %s\n", pp->pkgs[i].text);
		else if (val_dict_get(have, pp->pkgs[i].name))
			buf_addf(changes, "remove %s\n", pp->pkgs[i].name);
	}
	for (const char *l = req ? req->ptr : ""; *l; ) {
		const char *nl = strchr(l, '\n');
		char *line = xstrndup(l, nl ? (size_t)(nl - l) : strlen(l));
		char *hash = strstr(line, " #");
		const char *w = line + strspn(line, " \t");
		struct pipreq p;

		if (hash)
			*hash = '\0';
		if (*w && *w != '#' && *w != '-') {
			pipreq_parse(&p, line);
			if (p.plain && val_dict_get(have, p.name))
				buf_addf(changes, "remove %s\n", p.name);
			free(p.name);
			free(p.text);
			free(p.pinned);
		}
		free(line);
		l = nl ? nl + 1 : l + strlen(l);
	}
}

/*
 * A pip older than 22.2 has no --dry-run: state=present with package
 * names is judged from the freeze list as Ansible's check mode does
 * (is_present); anything else is known only once pip runs.
 */
static void plan_without_dry_run(struct check_result *out,
				 const struct task_ctx *ctx,
				 const struct pip_plan *pp,
				 const struct val *have)
{
	bool unknown = strcmp(state_of(ctx), "present") ||
		       arg_str(ctx, "requirements");

	for (size_t i = 0; !unknown && i < pp->nr; i++) {
		const struct pipreq *p = &pp->pkgs[i];
		const struct val *v = val_dict_get(have, p->name);

		if (!p->plain)
			unknown = true;
		else if (!v)
			buf_addf(&out->changes, "install %s\n", p->text);
		else if (!pipreq_satisfied(p, val_cstr(v)))
			buf_addf(&out->changes, "install %s (over %s %s)\n",
				 p->text, p->name, val_cstr(v));
	}
	if (unknown) {
		buf_reset(&out->changes);
		buf_adds(&out->msg, "this pip has no --dry-run: what it does is "
			 "known once it runs");
	}
}

/* Ansible's _fail message: "stdout: OUT" and "\n:stderr: ERR". */
static void fail_msg(struct buf *msg, const char *out, size_t olen,
		     const char *err, size_t elen)
{
	if (olen)
		buf_addf(msg, "stdout: %.*s", (int)olen, out);
	if (elen)
		buf_addf(msg, "\n:stderr: %.*s", (int)elen, err);
}

/* The keys Ansible returns, cmd being pip and its words. */
static struct val *pip_result(const struct task_ctx *ctx,
			      const struct pip_plan *pp, const char *env)
{
	struct val *r = val_dict(), *cmd = val_list();
	const struct val *name = arg_get(ctx, "name");

	for (size_t i = 0; pp->pip && i < val_len(pp->pip); i++)
		val_list_push(cmd, val_ref(val_list_at(pp->pip, i)));
	for (size_t i = 0; i < val_len(pp->cmd); i++)
		val_list_push(cmd, val_ref(val_list_at(pp->cmd, i)));
	val_dict_set(r, "cmd", cmd);
	val_dict_set(r, "name", name ? val_copy(name) : val_null());
	val_dict_set(r, "version", arg_str(ctx, "version") ?
		     val_str(arg_str(ctx, "version")) : val_null());
	val_dict_set(r, "requirements", arg_str(ctx, "requirements") ?
		     val_str(arg_str(ctx, "requirements")) : val_null());
	val_dict_set(r, "virtualenv", env ? val_str(env) : val_null());
	val_dict_set_str(r, "state", state_of(ctx));
	return r;
}

struct probe_out {
	struct buf fail, freeze, req, dry;
	bool venv_missing, have_req, managed;
	int dry_rc;
};

static int read_probe(struct probe_out *po, struct pip_plan *pp,
		      const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		if (rec_is(&r, "venv"))
			po->venv_missing = true;
		else if (rec_is(&r, "managed"))
			po->managed = true;
		else if (rec_is(&r, "fail"))
			buf_add(&po->fail, r.val, r.len);
		else if (rec_is(&r, "pip")) {
			if (!pp->pip)
				pp->pip = val_list();
			val_list_push(pp->pip, val_strn(r.val, r.len));
		} else if (rec_is(&r, "freeze"))
			buf_add(&po->freeze, r.val, r.len);
		else if (rec_is(&r, "req")) {
			po->have_req = true;
			buf_add(&po->req, r.val, r.len);
		} else if (rec_is(&r, "dry_rc"))
			po->dry_rc = (int)strtol(r.val, NULL, 10);
		else if (rec_is(&r, "dry"))
			buf_add(&po->dry, r.val, r.len);
	}
	return n;
}

/* The plan of a virtualenv still to make: all of name, as asked. */
static void plan_new_env(struct buf *changes, const struct task_ctx *ctx,
			 const struct pip_plan *pp, const char *env)
{
	buf_addf(changes, "create virtualenv %s\n", env);
	if (!strcmp(state_of(ctx), "absent"))
		return;
	for (size_t i = 0; i < pp->nr; i++) {
		if (pp->pkgs[i].plain && pp->pkgs[i].pinned)
			buf_addf(changes, "install %s %s\n", pp->pkgs[i].name,
				 pp->pkgs[i].pinned);
		else
			buf_addf(changes, "install %s\n", pp->pkgs[i].text);
	}
	if (arg_str(ctx, "requirements"))
		buf_addf(changes, "install from requirements %s\n",
			 arg_str(ctx, "requirements"));
}

static int pip_judge(struct check_result *out, const struct task_ctx *ctx,
		     struct probe *p, const struct exec_result *res)
{
	struct pip_plan *pp = p->priv;
	struct probe_out po = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
				false, false, false, 0 };
	struct buf env = BUF_INIT;
	struct val *have = NULL;
	int error;

	out->priv = pp;
	out->priv_free = p->priv_free;
	p->priv = NULL;
	if (arg_str(ctx, "virtualenv"))
		env_path(&env, ctx);
	if (res->status) {
		error = tend_error_set("the probe failed (exit %d): %s",
				       res->status, res->err.ptr);
		goto out;
	}
	if ((error = read_probe(&po, pp, &res->out)) < 0)
		goto out;
	pp->venv_missing = po.venv_missing;
	if (po.fail.len) {
		error = tend_error_set("%s", po.fail.ptr);
		goto out;
	}
	if (po.dry_rc && strstr(res->err.ptr, "no such option: --dry-run")) {
		have = pipreq_freeze(po.freeze.ptr, po.freeze.len);
		plan_without_dry_run(out, ctx, pp, have);
		out->status = out->msg.len ? CHECK_UNKNOWN : out->changes.len ?
			CHECK_CHANGE : CHECK_OK;
		out->result = pip_result(ctx, pp, env.len ? env.ptr : NULL);
		goto out;
	}
	if (po.dry_rc) {
		struct buf msg = BUF_INIT;

		fail_msg(&msg, po.dry.ptr, po.dry.len, res->err.ptr,
			 res->err.len);
		error = tend_error_set("%s", msg.ptr);
		buf_release(&msg);
		goto out;
	}
	if (po.managed && !strstr(arg_str(ctx, "extra_args") ?
				  arg_str(ctx, "extra_args") : "",
				  "--break-system-packages")) {
		/* pip's own refusal, in its words, comes with the apply */
		buf_adds(&out->msg, "the system python is externally managed "
			 "(PEP 668): pip uninstall refuses to run");
		out->status = CHECK_UNKNOWN;
		out->result = pip_result(ctx, pp, NULL);
		goto out;
	}
	if (po.venv_missing) {
		plan_new_env(&out->changes, ctx, pp, env.ptr);
	} else {
		have = pipreq_freeze(po.freeze.ptr, po.freeze.len);
		if (!strcmp(state_of(ctx), "absent"))
			plan_removals(&out->changes, pp,
				      po.have_req ? &po.req : NULL, have);
		else
			plan_installs(&out->changes, &po.dry, have);
	}
	out->status = out->changes.len ? CHECK_CHANGE : CHECK_OK;
	out->result = pip_result(ctx, pp, env.len ? env.ptr : NULL);
	val_dict_set(out->result, "stdout", val_strn(po.dry.ptr, po.dry.len));
	val_dict_set(out->result, "stderr", val_strn(res->err.ptr,
						     res->err.len));
out:
	val_unref(have);
	buf_release(&env);
	buf_release(&po.fail);
	buf_release(&po.freeze);
	buf_release(&po.req);
	buf_release(&po.dry);
	return error;
}

/*
 * Ansible's setup_virtualenv: virtualenv_command (its first word found on
 * PATH), --system-site-packages or --no-site-packages when its --help
 * lists it, -p PYTHON unless it is venv or pyvenv, then the path.
 */
static int script_venv(struct buf *s, const struct task_ctx *ctx)
{
	const char *vc = arg_str(ctx, "virtualenv_command");
	const char *py = arg_str(ctx, "virtualenv_python");
	struct val *w = NULL;
	int error;

	vc = vc ? vc : "virtualenv";
	if ((error = sh_split(&w, vc)) < 0)
		return error;
	if (!val_len(w)) {
		val_unref(w);
		return tend_error_set("virtualenv_command is empty");
	}
	buf_adds(s, "set --");
	add_words(s, w, 0);
	val_unref(w);
	buf_adds(s, "\ncase $1 in */*) ;; *) y=$(command -v -- \"$1\") || "
		 "fail \"Failed to find required executable \\\"$1\\\" in "
		 "paths: $PATH\"; shift; set -- \"$y\" \"$@\" ;; esac\n");
	if (arg_bool(ctx, "virtualenv_site_packages", false))
		buf_adds(s, "set -- \"$@\" --system-site-packages\n");
	else
		buf_adds(s, "h=$(\"$1\" --help 2>&1) || fail \"Could not get "
			 "output from $1 --help: $h\"\n"
			 "for a in $h; do [ \"$a\" = --no-site-packages ] && "
			 "{ set -- \"$@\" --no-site-packages; break; }; done\n");
	if (!strstr(vc, "pyvenv") && !strstr(vc, "-m venv")) {
		if (py) {
			buf_adds(s, "set -- \"$@\" ");
			buf_adds(s, "-p");
			sh_quote(s, py);
			buf_adds(s, "\n");
		} else {
			buf_adds(s, "set -- \"$@\" \"-p$(command -v python3)\"\n");
		}
	}
	buf_adds(s, "set -- \"$@\" \"$e\"\n"
		 "for a in \"$@\"; do printf 'vcmd:%s\\n%s\\n' \"${#a}\" \"$a\"; "
		 "done\n"
		 "o=$(\"$@\" 2>\"$t\"; r=$?; echo x; exit $r); r=$?; o=${o%x}\n"
		 "er=$(cat -- \"$t\"; echo x); er=${er%x}\n"
		 "printf 'vout:%s\\n%s\\n' \"${#o}\" \"$o\"\n"
		 "printf 'verr:%s\\n%s\\n' \"${#er}\" \"$er\"\n"
		 "[ $r = 0 ] || { echo \"vrc $r\"; exit 0; }\n");
	return 0;
}

static int apply_script(struct buf *s, const struct task_ctx *ctx,
			const struct pip_plan *pp, bool freeze)
{
	const char *umask = arg_str(ctx, "umask");
	int error;

	script_head(s, ctx);
	buf_adds(s, "t=$(mktemp \"${TMPDIR:-/tmp}/.tend-pip-XXXXXX\") || exit 1\n"
		 "trap 'rm -f -- \"$t\"' EXIT\n");
	if (umask) {
		buf_adds(s, "umask ");
		sh_quote(s, umask);
		buf_adds(s, " || exit 1\n");
	}
	if (pp->venv_missing && (error = script_venv(s, ctx)) < 0)
		return error;
	script_find_pip(s);
	if (arg_str(ctx, "virtualenv"))
		buf_adds(s, "PATH=\"$e/bin:$PATH\"; export PATH\n");
	if (freeze)
		script_freeze(s, "before");
	buf_adds(s, "o=$(\"$@\"");
	add_words(s, pp->cmd, 0);
	buf_adds(s, " 2>\"$t\"; r=$?; echo x; exit $r); r=$?; o=${o%x}\n"
		 "er=$(cat -- \"$t\"; echo x); er=${er%x}\n"
		 "echo \"rc $r\"\n"
		 "printf 'out:%s\\n%s\\n' \"${#o}\" \"$o\"\n"
		 "printf 'err:%s\\n%s\\n' \"${#er}\" \"$er\"\n");
	if (freeze)
		script_freeze(s, "after");
	return 0;
}

struct apply_out {
	struct buf fail, out, err, before, after;
	struct val *vcmd, *pip;
	int rc, vrc;
};

static int read_apply(struct apply_out *ao, const struct buf *out)
{
	struct rec r;
	size_t pos = 0;
	int n;

	while ((n = rec_next(&r, out, &pos)) > 0) {
		struct val **l = rec_is(&r, "vcmd") ? &ao->vcmd :
			rec_is(&r, "pip") ? &ao->pip : NULL;
		struct buf *b = rec_is(&r, "fail") ? &ao->fail :
			rec_is(&r, "out") || rec_is(&r, "vout") ? &ao->out :
			rec_is(&r, "err") || rec_is(&r, "verr") ? &ao->err :
			rec_is(&r, "before") ? &ao->before :
			rec_is(&r, "after") ? &ao->after : NULL;

		if (l) {
			if (!*l)
				*l = val_list();
			val_list_push(*l, val_strn(r.val, r.len));
		} else if (b) {
			buf_add(b, r.val, r.len);
		} else if (rec_is(&r, "rc")) {
			ao->rc = (int)strtol(r.val, NULL, 10);
		} else if (rec_is(&r, "vrc")) {
			ao->vrc = (int)strtol(r.val, NULL, 10);
		}
	}
	return n;
}

/* Ansible's outcome of the pip run: failed, or changed as it decides. */
static void judge_run(struct apply_out *ao, struct apply_result *out,
		      const struct task_ctx *ctx, const struct pip_plan *pp,
		      bool freeze)
{
	bool absent = !strcmp(state_of(ctx), "absent");

	if (ao->rc == 1 && absent && (strstr(ao->out.ptr, "not installed") ||
				      strstr(ao->err.ptr, "not installed"))) {
		/* pip's rc for a package that is not there */
	} else if (ao->rc) {
		out->failed = true;
		fail_msg(&out->msg, ao->out.ptr, ao->out.len, ao->err.ptr,
			 ao->err.len);
		return;
	}
	if (absent)
		out->changed = strstr(ao->out.ptr, "Successfully uninstalled");
	else if (freeze)
		out->changed = strcmp(ao->before.ptr, ao->after.ptr);
	else
		out->changed = strstr(ao->out.ptr, "Successfully installed");
	out->changed = out->changed || pp->venv_missing;
}

static int pip_apply(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned)
{
	struct pip_plan *pp = planned->priv;
	struct apply_out ao = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
				BUF_INIT, NULL, NULL, 0, 0 };
	bool freeze = arg_str(ctx, "requirements") || has_vcs(ctx);
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct buf s = BUF_INIT, env = BUF_INIT;
	int error;

	if (arg_str(ctx, "virtualenv"))
		env_path(&env, ctx);
	if ((error = apply_script(&s, ctx, pp, freeze)) < 0)
		goto out;
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = tend_error_set("pip failed on the host: %s", res.err.ptr);
		goto out;
	}
	if ((error = read_apply(&ao, &res.out)) < 0)
		goto out;
	if (ao.fail.len) {
		error = tend_error_set("%s", ao.fail.ptr);
		goto out;
	}
	if (ao.pip) {
		val_unref(pp->pip);
		pp->pip = val_ref(ao.pip);
	}
	out->result = pip_result(ctx, pp, env.len ? env.ptr : NULL);
	if (ao.vrc) {
		out->failed = true;
		val_dict_set(out->result, "cmd", val_ref(ao.vcmd));
		fail_msg(&out->msg, ao.out.ptr, ao.out.len, ao.err.ptr,
			 ao.err.len);
		goto out;
	}
	judge_run(&ao, out, ctx, pp, freeze);
	val_dict_set(out->result, "stdout", val_strn(ao.out.ptr, ao.out.len));
	val_dict_set(out->result, "stderr", val_strn(ao.err.ptr, ao.err.len));
out:
	buf_release(&s);
	buf_release(&env);
	exec_result_release(&res);
	buf_release(&ao.fail);
	buf_release(&ao.out);
	buf_release(&ao.err);
	buf_release(&ao.before);
	buf_release(&ao.after);
	val_unref(ao.vcmd);
	val_unref(ao.pip);
	return error;
}

static bool literal(const struct val *v)
{
	return v && !val_is(v, VAL_NULL) &&
	       !(val_is(v, VAL_STR) && strstr(val_cstr(v), "{{"));
}

static bool literal_is(const struct val *v, const char *s)
{
	return literal(v) && val_is(v, VAL_STR) && !strcmp(val_cstr(v), s);
}

static bool given(const struct val *args, const char *name)
{
	const struct val *v = val_dict_get(args, name);

	return v && !val_is(v, VAL_NULL);
}

/* Ansible's own refusals, and contradictions, at load time. */
static int pip_validate(const struct val *args, const char **arg)
{
	const struct val *st = val_dict_get(args, "state");
	const struct val *names = val_dict_get(args, "name");
	const struct val *um = val_dict_get(args, "umask");
	const struct val *vc = val_dict_get(args, "virtualenv_command");

	if (!given(args, "name") && !given(args, "requirements"))
		return tend_error_set("one of the following is required: "
				      "name, requirements");
	if (given(args, "version") && literal_is(st, "absent")) {
		*arg = "version";
		return tend_error_set("'version' contradicts state=absent: pip "
				      "removes whatever version is installed");
	}
	if (given(args, "version") && literal_is(st, "latest")) {
		*arg = "version";
		return tend_error_set("version is incompatible with "
				      "state=latest");
	}
	if (literal(um) && val_is(um, VAL_STR)) {
		const char *u = val_cstr(um);

		if (!*u || u[strspn(u, "01234567")]) {
			*arg = "umask";
			return tend_error_set("umask must be an octal integer");
		}
	}
	if (given(args, "virtualenv_python") && literal(vc) &&
	    (strstr(val_cstr(vc), "pyvenv") || strstr(val_cstr(vc), "-m venv"))) {
		*arg = "virtualenv_python";
		return tend_error_set("virtualenv_python should not be used when "
				      "using the venv module or pyvenv as "
				      "virtualenv_command");
	}
	if (given(args, "version") && literal(names) &&
	    val_is(names, VAL_LIST)) {
		struct val *v = val_dict_get(args, "version");
		struct pipreq *p = NULL;
		size_t nr = 0;
		int error;

		for (size_t i = 0; i < val_len(names); i++)
			if (!literal(val_list_at(names, i)))
				return 0;
		if (!literal(v))
			return 0;
		if ((error = pipreq_build(&p, &nr, names, val_cstr(v))) < 0) {
			*arg = "version";
			return error;
		}
		pipreq_free(p, nr);
	}
	return 0;
}

const struct tend_module mod_pip = {
	.name = "pip",
	.args = pip_args,
	.doc = "install, upgrade or remove Python packages with the host's "
	       "pip, in a virtualenv or not",
	.flags = MOD_MAY_BE_UNKNOWN,
	.exclusive = pip_exclusive,
	.probe = pip_probe,
	.judge = pip_judge,
	.validate = pip_validate,
	.apply = pip_apply,
	.returns =
		"cmd: the pip command run (a list)\n"
		"name: the packages asked for\n"
		"version: the version asked for\n"
		"requirements: the requirements file\n"
		"virtualenv: the virtualenv's path\n"
		"state: the state asked for\n"
		"stdout: what pip printed (after the virtualenv command's)\n"
		"stderr: pip's error output\n",
	.example =
		"- pip:\n"
		"    name: [requests==2.31.0, 'jinja2>=3']\n"
		"    virtualenv: /opt/app/venv\n"
		"    virtualenv_command: python3 -m venv\n",
};
