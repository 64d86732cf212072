#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

/*
 * ping: the host answers a command, no more. Ansible's `data: crash`
 * makes its module raise; here that is the same failed result.
 */
static const struct arg_spec ping_args[] = {
	{ "data", ARG_STR, 0, NULL, NULL, "pong",
	  "The value returned as `ping`; `crash` makes the task fail, as "
	  "Ansible's module raises on it." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int ping_probe(struct probe *out, const struct task_ctx *ctx)
{
	(void)ctx;
	buf_adds(&out->script, "echo pong\n");
	return 0;
}

static int ping_judge(struct check_result *out, const struct task_ctx *ctx,
		      struct probe *p, const struct exec_result *res)
{
	const char *data = arg_str(ctx, "data");

	(void)p;
	if (res->status || strcmp(res->out.ptr ? res->out.ptr : "", "pong\n"))
		return tend_error_set("the host did not answer the ping "
				      "(exit %d)", res->status);
	if (data && !strcmp(data, "crash"))
		return tend_error_set("boom (ping's data was 'crash')");
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_str(out->result, "ping", data ? data : "pong");
	return 0;
}

const struct tend_module mod_ping = {
	.name = "ping",
	.args = ping_args,
	.doc = "Check that the host can be reached and runs a command; "
	       "returns ping: pong (or data).",
	.probe = ping_probe,
	.judge = ping_judge,
};
