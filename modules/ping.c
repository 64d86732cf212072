#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

/*
 * ping: the host answers a command, no more. Ansible's `data: crash`
 * makes its module raise; here that is the same failed result.
 */
static const struct arg_spec ping_args[] = {
	{ "data", ARG_ANY, 0, NULL, NULL, "pong",
	  "The text returned as `ping` (another value is made text as "
	  "Python's str() makes it); `crash` makes the task fail, as "
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
	const struct val *data = arg_get(ctx, "data");

	(void)p;
	if (res->status || strcmp(res->out.ptr ? res->out.ptr : "", "pong\n"))
		return tend_error_set("the host did not answer the ping "
				      "(exit %d)", res->status);
	if (val_is(data, VAL_STR) && !strcmp(val_cstr(data), "crash"))
		return tend_error_set("boom (ping's data was 'crash')");
	out->status = CHECK_OK;
	out->result = val_dict();
	if (!data) {
		val_dict_set_str(out->result, "ping", "pong");
	} else if (val_is(data, VAL_STR)) {
		val_dict_set(out->result, "ping", val_ref((struct val *)data));
	} else { /* Ansible's type str: Python's str() of the value */
		struct buf b = BUF_INIT;

		val_to_str(&b, data);
		val_dict_set_str(out->result, "ping", b.ptr ? b.ptr : "");
		buf_release(&b);
	}
	return 0;
}

const struct tend_module mod_ping = {
	.name = "ping",
	.args = ping_args,
	.doc = "Check that the host can be reached and runs a command; "
	       "returns ping: pong (or data).",
	.returns =
		"ping: \"pong\", or the data given\n",
	.example =
		"- ping:\n",
	.probe = ping_probe,
	.judge = ping_judge,
};
