#include "tend/common.h"
#include "tend/modkit/module.h"

/* Any key is a fact to set: the spec has no fixed args. */
static const struct arg_spec set_fact_args[] = {
	{ "cacheable", ARG_BOOL, 0, NULL, NULL, "no",
	  "Accepted for compatibility (tend keeps no fact cache)." },
	{ "*", ARG_ANY, 0, NULL, NULL, NULL,
	  "Each other key=value sets a host variable for the rest of the "
	  "run, above play and task vars." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int set_fact_check(struct check_result *out, const struct task_ctx *ctx)
{
	struct val *facts = val_copy(ctx->args);

	val_dict_del(facts, "cacheable");
	if (!val_len(facts)) {
		val_unref(facts);
		return tend_error_set("set_fact needs at least one key=value");
	}
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set(out->result, "ansible_facts", facts);
	return 0;
}

const struct tend_module mod_set_fact = {
	.name = "set_fact",
	.args = set_fact_args,
	.flags = MOD_CONTROLLER | MOD_CLEAN_FACTS,
	.doc = "Set host variables for the rest of the run.",
	.check = set_fact_check,
};
