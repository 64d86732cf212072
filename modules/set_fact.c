#include "tend/common.h"
#include "tend/modkit/module.h"

/* Any key is a fact to set: the spec has no fixed args. */
static const struct arg_spec set_fact_args[] = {
	{ "cacheable", ARG_BOOL, 0, NULL, NULL, "no",
	  "yes: the facts also join the fact cache (ansible_facts; a jsonfile "
	  "cache's file, docs/facts.md)." },
	{ "*", ARG_ANY, 0, NULL, NULL, NULL,
	  "Each other key=value sets a host variable for the rest of the "
	  "run, above play and task vars." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/*
 * Ansible's set_fact (without jinja2_native) turns a string value that
 * is true, false, yes or no, in any case, into a boolean.
 */
static void booleans(struct val *facts)
{
	static const char *const words[] = { "true", "yes", "false", "no" };

	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		const char *s = val_cstr(facts->u.dict.items[i].v);

		for (size_t w = 0; s && w < ARRAY_SIZE(words); w++)
			if (!strcasecmp(s, words[w])) {
				/* replaced in place: the loop goes on */
				val_dict_set(facts, facts->u.dict.items[i].key,
					     val_bool(w < 2));
				break;
			}
	}
}

static int set_fact_check(struct check_result *out, const struct task_ctx *ctx)
{
	struct val *facts = val_copy(ctx->args);

	val_dict_del(facts, "cacheable");
	booleans(facts);
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
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER | MOD_CLEAN_FACTS,
	.doc = "Set host variables for the rest of the run.",
	.returns =
		"ansible_facts: the variables set, by name\n",
	.example =
		"- set_fact:\n"
		"    release_dir: \"/srv/app/releases/{{ version }}\"\n",
	.check = set_fact_check,
};
