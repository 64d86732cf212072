#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

static const struct arg_spec fail_args[] = {
	{ "msg", ARG_STR, 0, NULL, NULL, "Failed as requested from task",
	  "The failure message." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int fail_check(struct check_result *out, const struct task_ctx *ctx)
{
	const char *msg = arg_str(ctx, "msg");

	out->status = CHECK_OK;
	return tend_error_set("%s", msg ? msg : "Failed as requested from task");
}

const struct tend_module mod_fail = {
	.name = "fail",
	.args = fail_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER,
	.doc = "Fail the host with a message.",
	.returns =
		"msg: the message given (default \"Failed as requested from task\")\n",
	.example =
		"- fail:\n"
		"    msg: \"unsupported distribution {{ ansible_facts.distribution }}\"\n"
		"  when: ansible_facts.os_family != 'Debian'\n",
	.check = fail_check,
};
