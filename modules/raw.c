#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * raw: text run by a shell on the host, as Ansible's raw action runs it
 * (no module, no Python): with `executable`, that program's -c; else,
 * over SSH without become, the login shell ($SHELL, as sshd's exec
 * request runs it), and /bin/sh otherwise. Its output is kept as it
 * came (no trailing newline removed). It always reports a change, and
 * never runs in check mode. As Ansible's, it leaves the task's
 * `environment:` out (MOD_NO_ENV).
 *
 * Over SSH Ansible runs raw on a terminal (ssh -tt): its stdout has
 * \r\n line ends, with stderr mixed in. tend gives the two streams
 * apart, as Ansible's local connection does.
 */

static const struct arg_spec raw_args[] = {
	{ "executable", ARG_PATH, 0, NULL, NULL, NULL,
	  "the shell to run the text with (its -c)" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const char *raw_text(const struct task_ctx *ctx)
{
	const char *text = arg_str(ctx, "_raw_params");

	if (!text || !*text) {
		tend_error_set("no command given");
		return NULL;
	}
	return text;
}

/* Nothing to look at: what it would do is unknown until it runs. */
static int raw_probe(struct probe *out, const struct task_ctx *ctx)
{
	(void)out;
	return raw_text(ctx) ? 0 : -1;
}

static int raw_judge(struct check_result *out, const struct task_ctx *ctx,
		     struct probe *p, const struct exec_result *res)
{
	(void)p;
	(void)res;
	out->status = CHECK_UNKNOWN;
	/* check_mode: true skips it, with no message (Ansible's result) */
	if (!ctx->check_only)
		buf_sets(&out->msg, "would run the text");
	return 0;
}

static int raw_apply(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned)
{
	const char *text = raw_text(ctx);
	const char *exe = arg_str(ctx, "executable");
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct buf s = BUF_INIT;
	int error;

	(void)planned;
	if (!text)
		return -1;
	buf_adds(&s, "exec ");
	if (exe)
		sh_quote(&s, exe);
	else if (!ctx->become_user && !strcmp(ctx->t->name, "ssh"))
		buf_adds(&s, "\"${SHELL:-/bin/sh}\"");
	else
		buf_adds(&s, "/bin/sh");
	buf_adds(&s, " -c ");
	sh_quote(&s, text);
	buf_addch(&s, '\n');
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	error = ctx->t->exec(ctx->t, &req, &res);
	if (error < 0)
		goto out;
	task_raw_result(out, &res);
	if (val_len(ctx->env)) {
		struct val *w = val_list();

		val_list_push(w, val_str("raw module does not support the "
					 "environment keyword"));
		val_dict_set(out->result, "warnings", w);
	}
out:
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

const struct tend_module mod_raw = {
	.name = "raw",
	.args = raw_args,
	.flags = MOD_FREE_FORM | MOD_MAY_BE_UNKNOWN | MOD_NO_ASYNC |
		 MOD_NO_ENV,
	.doc = "run text through the host's shell as it is (Ansible's raw: "
	       "the login shell over SSH, /bin/sh locally, or executable); "
	       "always a change, skipped in check mode, and the task's "
	       "environment is not applied (as Ansible's)",
	.returns =
		"rc: its exit code\n"
		"stdout, stderr: what it printed, as printed\n"
		"stdout_lines, stderr_lines: the same, split into lines\n"
		"msg: \"non-zero return code\" on a failure\n",
	.example =
		"- raw: test -e /usr/bin/python3 || apt-get install -y "
		"python3\n"
		"- raw: echo $0\n"
		"  args:\n"
		"    executable: /bin/bash\n",
	.probe = raw_probe,
	.judge = raw_judge,
	.apply = raw_apply,
};
