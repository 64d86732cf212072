#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"

/*
 * command: run a program with arguments, no shell. The words are split
 * on the controller and each is quoted into the script, so nothing in
 * them is expanded on the host.
 */

static const struct arg_spec command_args[] = {
	{ "cmd", ARG_STR, 0, NULL, NULL, NULL,
	  "the command line (or give it free-form)" },
	{ "argv", ARG_LIST, 0, NULL, NULL, NULL,
	  "the command as a list of words" },
	{ "creates", ARG_PATH, 0, NULL, NULL, NULL,
	  "do not run if this path (glob) exists" },
	{ "removes", ARG_PATH, 0, NULL, NULL, NULL,
	  "run only if this path (glob) exists" },
	{ "chdir", ARG_PATH, 0, NULL, NULL, NULL, "run in this directory" },
	{ "stdin", ARG_STR, 0, NULL, NULL, NULL, "text fed to the command" },
	{ "stdin_add_newline", ARG_BOOL, 0, NULL, NULL, "yes",
	  "append a newline to stdin" },
	{ "strip_empty_ends", ARG_BOOL, 0, NULL, NULL, "yes",
	  "strip trailing newlines from stdout and stderr" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* The words to run, as a new list. */
static int command_words(struct val **out, const struct task_ctx *ctx)
{
	const struct val *argv = arg_get(ctx, "argv");
	const char *text = arg_str(ctx, "_raw_params");

	if (!text)
		text = arg_str(ctx, "cmd");
	if (val_is(argv, VAL_LIST) && val_len(argv)) {
		struct val *list;

		if (text)
			return tend_error_set("only command or argv can be "
					      "given, not both");
		list = val_list();
		for (size_t i = 0; i < val_len(argv); i++) {
			struct buf w = BUF_INIT;

			val_to_text(&w, val_list_at(argv, i));
			val_list_push(list, val_strn(w.ptr, w.len));
			buf_release(&w);
		}
		*out = list;
		return 0;
	}
	if (!text || !*text)
		return tend_error_set("no command given");
	if (sh_split(out, text) < 0)
		return -1;
	if (!val_len(*out)) {
		val_unref(*out);
		*out = NULL;
		return tend_error_set("no command given");
	}
	return 0;
}

/* The probe: creates/removes, if given; the words are kept for judge. */
static int command_probe(struct probe *out, const struct task_ctx *ctx)
{
	struct val *words = NULL;
	int error;

	if ((error = command_words(&words, ctx)) < 0)
		return error;
	out->priv = words;
	out->priv_free = probe_val_free;
	task_command_probe(&out->script, ctx);
	return 0;
}

static int command_apply(struct apply_result *out, const struct task_ctx *ctx,
			 const struct check_result *planned)
{
	struct val *words = NULL;
	struct buf s = BUF_INIT;
	int error;

	(void)planned;
	if ((error = command_words(&words, ctx)) < 0)
		return error;
	buf_adds(&s, "exec");
	for (size_t i = 0; i < val_len(words); i++) {
		buf_addch(&s, ' ');
		sh_quote(&s, val_cstr(val_list_at(words, i)));
	}
	buf_addch(&s, '\n');
	error = task_command_run(out, ctx, s.ptr, words);
	buf_release(&s);
	val_unref(words);
	return error;
}

const struct tend_module mod_command = {
	.name = "command",
	.args = command_args,
	.flags = MOD_FREE_FORM | MOD_MAY_BE_UNKNOWN,
	.doc = "run a command without a shell",
	.returns =
		"cmd: the command as run (a list of its words)\n"
		"rc: its exit code\n"
		"stdout, stderr: what it printed (a trailing newline removed)\n"
		"stdout_lines, stderr_lines: the same, split into lines\n"
		"start, end: when it started and ended (local time)\n"
		"delta: how long it took (H:MM:SS.ffffff)\n"
		"msg: \"non-zero return code\" on a failure, else empty\n",
	.example =
		"- command: /usr/sbin/nginx -t\n"
		"  register: check\n"
		"  changed_when: false\n"
		"- command:\n"
		"    argv: [useradd, --system, app]\n"
		"    creates: /home/app\n",
	.probe = command_probe,
	.judge = task_command_judge,
	.apply = command_apply,
};
