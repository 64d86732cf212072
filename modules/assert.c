#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

static const struct arg_spec assert_args[] = {
	{ "that", ARG_LIST, ARG_REQUIRED | ARG_RAW, NULL, NULL, NULL,
	  "Conditions (as in `when`) that must all be true." },
	{ "fail_msg", ARG_STR, 0, "msg", NULL, NULL,
	  "The message when a condition is false." },
	{ "success_msg", ARG_STR, 0, NULL, NULL, "All assertions passed",
	  "The message when all are true." },
	{ "quiet", ARG_BOOL, 0, NULL, NULL, "no",
	  "Print less on success." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int assert_check(struct check_result *out, const struct task_ctx *ctx)
{
	const struct val *that = arg_get(ctx, "that");
	const char *fail_msg = arg_str(ctx, "fail_msg");
	const char *ok_msg = arg_str(ctx, "success_msg");
	int error;

	out->status = CHECK_OK;
	out->result = val_dict();
	for (size_t i = 0; i < val_len(that); i++) {
		const struct val *c = val_list_at(that, i);
		bool b;

		if (!val_cstr(c)) {
			/* a YAML bool, number, ...: judged as it is, as `when:` */
			b = truth_python(c);
		} else if ((error = ctx->engine->eval_bool(&b, val_cstr(c),
							   ctx->engine_data)) < 0) {
			return error;
		}
		if (!b) {
			val_dict_set_str(out->result, "assertion",
					 val_cstr(c) ? val_cstr(c) : "false");
			val_dict_set_bool(out->result, "evaluated_to", false);
			if (fail_msg)
				return tend_error_set("%s", fail_msg);
			return tend_error_set("Assertion failed: %s",
					      val_cstr(c) ? val_cstr(c) : "false");
		}
	}
	buf_adds(&out->msg, ok_msg ? ok_msg : "All assertions passed");
	return 0;
}

const struct tend_module mod_assert = {
	.name = "assert",
	.args = assert_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER,
	.doc = "Fail unless the given conditions hold.",
	.returns =
		"msg: the success_msg (\"All assertions passed\"), or on a failure\n"
		"    the fail_msg (or \"Assertion failed\")\n"
		"assertion: on a failure, the condition that did not hold\n"
		"evaluated_to: on a failure, what it evaluated to (false)\n",
	.example =
		"- assert:\n"
		"    that:\n"
		"      - app_port | int > 1024\n"
		"      - app_user != 'root'\n"
		"    fail_msg: \"app_port or app_user is wrong\"\n",
	.check = assert_check,
};
