#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/util/buf.h"
#include "tend/util/interrupt.h"

#include <termios.h>
#include <time.h>
#include <unistd.h>

/*
 * pause: wait a while, or until the operator presses enter, as Ansible's
 * pause does: once per task, not per host (MOD_ONCE). A prompt waits
 * only when stdin is a terminal; otherwise it returns at once (Ansible:
 * "Not waiting for response to prompt as stdin is not interactive"). A
 * plan neither waits nor asks. Ctrl+C stops the wait and, as for any
 * task, the run.
 */

static const struct arg_spec pause_args[] = {
	{ "seconds", ARG_INT, 0, NULL, NULL, NULL, "How long to wait." },
	{ "minutes", ARG_INT, 0, NULL, NULL, NULL,
	  "How long to wait, in minutes." },
	{ "prompt", ARG_STR, 0, NULL, NULL, NULL,
	  "Text shown; without a duration, wait for enter (on a terminal "
	  "only) and register what was typed as user_input." },
	{ "echo", ARG_BOOL, 0, NULL, NULL, "yes",
	  "Show what is typed at the prompt." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* One line from the terminal, echoed or not; the newline dropped. */
static void read_answer(struct buf *out, const char *prompt, bool echo)
{
	struct termios old, quiet;
	bool restore = false;
	char line[4096];

	fprintf(stderr, "[pause]\n%s:\n", prompt);
	if (!echo && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		buf_adds(out, line);
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
}

/* Python's str(round(x, 2)): "1.01", "0.0", "2.5". */
static void add_rounded(struct buf *out, double x)
{
	size_t at = out->len;

	buf_addf(out, "%.2f", x);
	while (out->len > at + 1 && out->ptr[out->len - 1] == '0' &&
	       out->ptr[out->len - 2] != '.')
		buf_setlen(out, out->len - 1);
}

static int pause_check(struct check_result *out, const struct task_ctx *ctx)
{
	const struct val *secs = arg_get(ctx, "seconds");
	const struct val *mins = arg_get(ctx, "minutes");
	const char *prompt = arg_str(ctx, "prompt");
	bool echo = arg_bool(ctx, "echo", true);
	struct buf answer = BUF_INIT, said = BUF_INIT;
	long long wait = -1;
	double start = task_now(), took;

	if (secs && mins)
		return tend_error_set("parameters are mutually exclusive: "
				      "minutes|seconds");
	if (secs)
		wait = arg_int(ctx, "seconds", 0);
	else if (mins)
		wait = arg_int(ctx, "minutes", 0) * 60;
	if (wait < -1 || (secs && wait < 0) || (mins && wait < 0))
		return tend_error_set("the pause must not be negative");
	if (ctx->plan) {
		/* a plan neither waits nor asks */
	} else if (wait >= 0) {
		task_nap((double)wait);
	} else if (isatty(STDIN_FILENO)) {
		read_answer(&answer, prompt ? prompt :
			    "Press enter to continue, Ctrl+C to interrupt",
			    echo);
	} else {
		/* a warning beside the prompt, not a result (Ansible's) */
		fprintf(stderr, "[pause]\n%s:\n[WARNING]: Not waiting for "
			"response to prompt as stdin is not interactive\n",
			prompt ? prompt : "Press enter to continue, Ctrl+C "
			"to interrupt");
	}
	took = task_now() - start;
	buf_adds(&said, "Paused for ");
	add_rounded(&said, secs ? took : took / 60.0);
	buf_adds(&said, secs ? " seconds" : " minutes");
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_int(out->result, "delta", (long long)took);
	val_dict_set_bool(out->result, "echo", echo);
	val_dict_set_int(out->result, "rc", 0);
	val_dict_set_str(out->result, "stderr", "");
	val_dict_set_str(out->result, "stdout", said.ptr);
	val_dict_set_str(out->result, "user_input", answer.ptr);
	buf_release(&answer);
	buf_release(&said);
	return 0;
}

const struct tend_module mod_pause = {
	.name = "pause",
	.args = pause_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER | MOD_ONCE,
	.doc = "Wait a while, or for enter at a prompt (on a terminal).",
	.returns =
		"user_input: what was typed at the prompt (empty without one)\n"
		"stdout: \"Paused for 1.5 seconds\" (or minutes), or empty\n"
		"echo: whether the input was echoed\n"
		"rc, stderr: 0 and empty\n"
		"delta: seconds waited\n",
	.example =
		"- pause:\n"
		"    seconds: 30\n"
		"- pause:\n"
		"    prompt: \"Check the canary, then press enter\"\n",
	.check = pause_check,
};
