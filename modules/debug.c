#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

static const struct arg_spec debug_args[] = {
	{ "msg", ARG_ANY, 0, NULL, NULL, "Hello world!",
	  "The message to print (any value; templated)." },
	{ "var", ARG_STR, ARG_RAW, NULL, NULL, NULL,
	  "A variable name or expression whose value is printed." },
	{ "verbosity", ARG_INT, 0, NULL, NULL, "0",
	  "Print only when the run has at least this many -v; else the "
	  "task is skipped." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int debug_check(struct check_result *out, const struct task_ctx *ctx)
{
	const char *var = arg_str(ctx, "var");
	const struct val *msg = arg_get(ctx, "msg");
	int error;

	out->status = CHECK_OK;
	out->result = val_dict();
	if (var && msg)
		return tend_error_set("'msg' and 'var' are mutually exclusive");
	if (arg_int(ctx, "verbosity", 0) > ctx->verbosity) {
		/* the engine reports a module's "skipped" result as skipped */
		val_dict_set_bool(out->result, "skipped", true);
		val_dict_set_str(out->result, "skipped_reason",
				 "Verbosity threshold not met.");
		return 0;
	}
	if (var) {
		struct val *v = NULL;

		if ((error = ctx->engine->eval(&v, var, ctx->engine_data)) < 0) {
			/* in a plan it may be a result known at apply */
			if (error != TEND_EUNDEFINED || ctx->unknown_inputs)
				return error;
			tend_error_clear();
			v = val_str("VARIABLE IS NOT DEFINED!");
		}
		val_dict_set(out->result, var, val_ref(v));
		buf_addf(&out->msg, "%s: ", var);
		/* val_to_str and val_to_json mask secrets */
		if (v->type == VAL_STR)
			val_to_str(&out->msg, v);
		else
			val_to_json(&out->msg, v, 0);
		val_unref(v);
		return 0;
	}
	if (msg) {
		val_dict_set(out->result, "msg", val_ref((struct val *)msg));
		if (msg->type == VAL_STR)
			val_to_str(&out->msg, msg);
		else
			val_to_json(&out->msg, msg, 0);
	} else {
		val_dict_set_str(out->result, "msg", "Hello world!");
		buf_adds(&out->msg, "Hello world!");
	}
	return 0;
}

const struct tend_module mod_debug = {
	.name = "debug",
	.args = debug_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER,
	.doc = "Print a message or the value of a variable.",
	.returns =
		"msg: the message (with msg:)\n"
		"VAR: with var: VAR, its value under its own name\n",
	.example =
		"- debug:\n"
		"    msg: \"{{ inventory_hostname }} runs {{ ansible_facts.distribution }}\"\n"
		"- debug:\n"
		"    var: result.stdout_lines\n"
		"    verbosity: 1\n",
	.check = debug_check,
};
