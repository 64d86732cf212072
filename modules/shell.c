#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * shell: run text through a shell on the host. The text is one quoted
 * argument of `sh -c`, so it is the user's shell code and nothing else.
 */

static const struct arg_spec shell_args[] = {
	{ "cmd", ARG_STR, 0, NULL, NULL, NULL,
	  "the shell text (or give it free-form)" },
	{ "creates", ARG_PATH, 0, NULL, NULL, NULL,
	  "do not run if this path (glob) exists" },
	{ "removes", ARG_PATH, 0, NULL, NULL, NULL,
	  "run only if this path (glob) exists" },
	{ "chdir", ARG_PATH, 0, NULL, NULL, NULL, "run in this directory" },
	{ "executable", ARG_PATH, 0, NULL, NULL, "/bin/sh",
	  "the shell to run the text with" },
	{ "stdin", ARG_STR, 0, NULL, NULL, NULL, "text fed to the command" },
	{ "stdin_add_newline", ARG_BOOL, 0, NULL, NULL, "yes",
	  "append a newline to stdin" },
	{ "strip_empty_ends", ARG_BOOL, 0, NULL, NULL, "yes",
	  "strip trailing newlines from stdout and stderr" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static const char *shell_text(const struct task_ctx *ctx)
{
	const char *text = arg_str(ctx, "_raw_params");

	if (!text)
		text = arg_str(ctx, "cmd");
	if (!text || !*text) {
		tend_error_set("no command given");
		return NULL;
	}
	return text;
}

/* The probe: creates/removes, if given; the text is kept for judge. */
static int shell_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *text = shell_text(ctx);

	if (!text)
		return -1;
	out->priv = val_str(text);
	out->priv_free = probe_val_free;
	task_command_probe(&out->script, ctx);
	return 0;
}

static int shell_apply(struct apply_result *out, const struct task_ctx *ctx,
		       const struct check_result *planned)
{
	const char *text = shell_text(ctx);
	const char *exe = arg_str(ctx, "executable");
	struct buf s = BUF_INIT;
	struct val *cmd;
	int error;

	if (!text)
		return -1;
	buf_adds(&s, "exec ");
	sh_quote(&s, exe ? exe : "/bin/sh");
	buf_adds(&s, " -c ");
	sh_quote(&s, text);
	buf_addch(&s, '\n');
	cmd = val_str(text);
	error = task_command_run(out, ctx, s.ptr, cmd, planned);
	val_unref(cmd);
	buf_release(&s);
	return error;
}

const struct tend_module mod_shell = {
	.name = "shell",
	.args = shell_args,
	.flags = MOD_FREE_FORM | MOD_MAY_BE_UNKNOWN | MOD_ASYNC_BG,
	.doc = "run shell text on the host",
	.returns =
		"cmd: the shell text as run\n"
		"rc: its exit code\n"
		"stdout, stderr: what it printed (a trailing newline removed)\n"
		"stdout_lines, stderr_lines: the same, split into lines\n"
		"start, end: when it started and ended (local time)\n"
		"delta: how long it took (H:MM:SS.ffffff)\n"
		"msg: \"non-zero return code\" on a failure, else empty\n",
	.example =
		"- shell: ls /etc/app/conf.d | wc -l\n"
		"  register: confs\n"
		"  changed_when: false\n"
		"- shell: ./configure && make install\n"
		"  args:\n"
		"    chdir: /usr/src/tool\n"
		"    creates: /usr/local/bin/tool\n",
	.probe = shell_probe,
	.judge = task_command_judge,
	.apply = shell_apply,
};
