#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * script: a controller file (looked for in files/ as copy's src), sent
 * to the host and run there, as Ansible's script action does it: the
 * free-form text is shell text whose first word (as shlex.split reads
 * it) names the script; every occurrence of that word in the text
 * becomes the path the script was sent to, and the text runs in /bin/sh
 * (with `executable` before it), in chdir when given. creates/removes
 * test one path (no glob), before anything else; chdir must be absolute.
 * The output is kept as it came; a run is always a change. The script
 * goes to a directory of its own under ~/.ansible/tmp (Ansible's
 * remote_tmp), removed after; it reads no stdin.
 *
 * The send, the run and the clean-up are one round trip: the script's
 * bytes are the exec's stdin.
 */

static const struct arg_spec script_args[] = {
	{ "cmd", ARG_STR, 0, NULL, NULL, NULL,
	  "the script and its arguments (or give them free-form)" },
	{ "creates", ARG_STR, 0, NULL, NULL, NULL,
	  "do not run if this path exists on the host" },
	{ "removes", ARG_STR, 0, NULL, NULL, NULL,
	  "run only if this path exists on the host" },
	{ "chdir", ARG_STR, 0, NULL, NULL, NULL,
	  "run in this directory (an absolute path)" },
	{ "executable", ARG_STR, 0, NULL, NULL, NULL,
	  "the program to run the script with (python3, /bin/bash)" },
	{ "decrypt", ARG_BOOL, 0, NULL, NULL, "yes",
	  "decrypt a vaulted script (tend refuses one: not supported yet)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* The text (stripped of blanks at its ends, as Ansible's), or NULL. */
static int script_text(struct buf *out, const struct task_ctx *ctx)
{
	const char *raw = arg_str(ctx, "_raw_params");
	const char *cmd = arg_str(ctx, "cmd");
	const char *end;

	if (raw && *raw && cmd)
		return tend_error_set("The 'cmd' argument cannot be used when "
				      "other raw parameters are specified. "
				      "Please put everything in one or the "
				      "other place.");
	if (!raw || !*raw)
		raw = cmd;
	while (raw && strchr(" \t\n\r\f\v", *raw) && *raw)
		raw++;
	if (!raw || !*raw)
		return tend_error_set("no script given");
	end = raw + strlen(raw);
	while (end > raw && strchr(" \t\n\r\f\v", end[-1]))
		end--;
	buf_add(out, raw, (size_t)(end - raw));
	return 0;
}

/* The first word of the text: the script's name as written. */
static int script_source(char **out, const char *text)
{
	struct val *words = NULL;

	if (sh_split(&words, text) < 0)
		return -1;
	if (!val_len(words)) {
		val_unref(words);
		return tend_error_set("no script given");
	}
	*out = xstrdup(val_cstr(val_list_at(words, 0)));
	val_unref(words);
	return 0;
}

/* The probe: creates and removes, each one path tested as it is. */
static int script_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *creates = arg_str(ctx, "creates");
	const char *removes = arg_str(ctx, "removes");
	struct buf text = BUF_INIT;
	int error = script_text(&text, ctx);

	buf_release(&text);
	if (error < 0)
		return error;
	if (creates && *creates) {
		buf_adds(&out->script, "[ -e ");
		sh_quote(&out->script, creates);
		buf_adds(&out->script, " ] && echo creates\n");
	}
	if (removes && *removes) {
		buf_adds(&out->script, "[ -e ");
		sh_quote(&out->script, removes);
		buf_adds(&out->script, " ] && echo removes\n");
	}
	if (out->script.len)
		buf_adds(&out->script, "exit 0\n");
	return 0;
}

static void skip_with(struct check_result *out, const char *msg)
{
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_bool(out->result, "skipped", true);
	val_dict_set_bool(out->result, "changed", false);
	val_dict_set_str(out->result, "msg", msg);
	buf_sets(&out->msg, msg);
}

static int script_judge(struct check_result *out, const struct task_ctx *ctx,
			struct probe *p, const struct exec_result *res)
{
	const char *creates = arg_str(ctx, "creates");
	const char *removes = arg_str(ctx, "removes");
	const char *chdir = arg_str(ctx, "chdir");
	bool guarded = (creates && *creates) || (removes && *removes);
	struct buf text = BUF_INIT, msg = BUF_INIT;
	char *source = NULL, *found = NULL;
	int error = 0;

	(void)p;
	if (guarded && res->status)
		return exec_error(res, "could not test creates/removes");
	if (creates && *creates && strstr(res->out.ptr, "creates\n")) {
		buf_addf(&msg, "%s exists, matching creates option", creates);
		skip_with(out, msg.ptr);
		goto out;
	}
	if (removes && *removes && !strstr(res->out.ptr, "removes\n")) {
		buf_addf(&msg, "%s does not exist, matching removes option",
			 removes);
		skip_with(out, msg.ptr);
		goto out;
	}
	if (chdir && *chdir != '/') {
		error = tend_error_set("chdir %s must be an absolute path for "
				       "a Unix-aware remote node", chdir);
		goto out;
	}
	if ((error = script_text(&text, ctx)) < 0 ||
	    (error = script_source(&source, text.ptr)) < 0 ||
	    (error = task_find_file(&found, ctx, "files", source)) < 0)
		goto out;
	if (ctx->check_only) {
		if (guarded) {
			out->status = CHECK_CHANGE;
			out->result = val_dict();
			val_dict_set_bool(out->result, "changed", true);
		} else {
			skip_with(out, "Check mode is not supported for this "
				  "task.");
		}
		goto out;
	}
	out->status = CHECK_UNKNOWN;
	buf_sets(&out->msg, "would run the script");
out:
	free(source);
	free(found);
	buf_release(&text);
	buf_release(&msg);
	return error;
}

/*
 * The shell code that sets _c to the text with each occurrence of
 * `source` made "$_s" (the path the script was sent to), as Ansible's
 * str.replace does, the rest as it is.
 */
static void command_with_path(struct buf *s, const char *text,
			      const char *source)
{
	size_t n = strlen(source);
	const char *p = text, *hit;

	buf_adds(s, "_c=''");
	while ((hit = strstr(p, source))) {
		sh_quote_n(s, p, (size_t)(hit - p));
		buf_adds(s, "\"$_s\"");
		p = hit + n;
	}
	sh_quote(s, p);
	buf_addch(s, '\n');
}

/*
 * The task's environment as assignments before the command (Ansible's
 * env_prefix): the script's process has them, the command's own
 * expansions ($VAR in its arguments) do not. Values may be secrets:
 * they are in the host script only, as every environment is.
 */
static void env_assignments(struct buf *s, const struct val *env)
{
	struct buf pre = BUF_INIT;

	if (!val_len(env))
		return;
	for (size_t i = 0; i < val_len(env); i++) {
		struct buf v = BUF_INIT;

		val_to_text(&v, env->u.dict.items[i].v);
		buf_addf(&pre, "%s=", env->u.dict.items[i].key);
		sh_quote(&pre, v.ptr ? v.ptr : "");
		buf_addch(&pre, ' ');
		buf_release_secret(&v);
	}
	buf_adds(s, "_c=");
	sh_quote(s, pre.ptr);
	buf_adds(s, "$_c\n");
	buf_release_secret(&pre);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int script_apply(struct apply_result *out, const struct task_ctx *ctx,
			const struct check_result *planned)
{
	const char *chdir = arg_str(ctx, "chdir");
	const char *exe = arg_str(ctx, "executable");
	struct buf text = BUF_INIT, body = BUF_INIT, s = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	char *source = NULL, *found = NULL;
	int error;

	(void)planned;
	if ((error = script_text(&text, ctx)) < 0 ||
	    (error = script_source(&source, text.ptr)) < 0 ||
	    (error = task_find_file(&found, ctx, "files", source)) < 0 ||
	    (error = task_read_file(&body, ctx, found)) < 0)
		goto out;
	if (arg_bool(ctx, "decrypt", true) &&
	    !strncmp(body.ptr ? body.ptr : "", "$ANSIBLE_VAULT;", 15)) {
		error = tend_error_set("the script '%s' is vaulted: tend does "
				       "not decrypt scripts yet", source);
		goto out;
	}
	buf_adds(&s, "_u=$(umask)\numask 077\n"
		 "_d=$(mkdir -p \"$HOME/.ansible/tmp\" && mktemp -d "
		 "\"$HOME/.ansible/tmp/tend-script.XXXXXXXX\") || exit 1\n"
		 "_s=$_d/");
	sh_quote(&s, base_name(found));
	buf_adds(&s, "\ncat >\"$_s\" && chmod 700 \"$_s\" || "
		 "{ rm -rf \"$_d\"; exit 1; }\n");
	command_with_path(&s, text.ptr, source);
	if (exe) {
		buf_adds(&s, "_c=");
		sh_quote(&s, exe);
		buf_adds(&s, "\" $_c\"\n");
	}
	env_assignments(&s, ctx->env);
	buf_adds(&s, "umask \"$_u\"\n(");
	if (chdir) {
		buf_adds(&s, "cd ");
		sh_quote(&s, chdir);
		buf_adds(&s, " && ");
	}
	buf_adds(&s, "exec /bin/sh -c \"$_c\" </dev/null)\n"
		 "_rc=$?\nrm -rf \"$_d\"\nexit $_rc\n");
	req.script = s.ptr;
	req.in = body.ptr ? body.ptr : "";
	req.inlen = body.len;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	task_raw_result(out, &res);
out:
	exec_result_release(&res);
	free(source);
	free(found);
	buf_release(&text);
	buf_release(&body);
	buf_release_secret(&s); /* the environment's values */
	return error;
}

const struct tend_module mod_script = {
	.name = "script",
	.args = script_args,
	.flags = MOD_FREE_FORM | MOD_MAY_BE_UNKNOWN | MOD_NO_ASYNC |
		 MOD_NO_ENV,
	.doc = "send a controller script (from files/) to the host and run "
	       "it there with its arguments, as Ansible's script: the "
	       "free-form text is shell text, run by /bin/sh",
	.returns =
		"rc: its exit code\n"
		"stdout, stderr: what it printed, as printed\n"
		"stdout_lines, stderr_lines: the same, split into lines\n"
		"msg: \"non-zero return code\" on a failure; why it was "
		"skipped (creates, removes, check mode)\n",
	.example =
		"- script: setup.sh --prefix /opt/app\n"
		"  args:\n"
		"    creates: /opt/app/.done\n"
		"- script: report.py\n"
		"  args:\n"
		"    executable: python3\n",
	.files_dir = "files",
	.probe = script_probe,
	.judge = script_judge,
	.apply = script_apply,
};
