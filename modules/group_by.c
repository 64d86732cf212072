#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

/*
 * group_by: put each host in a group named from its variables, for the
 * later plays of this run. As add_host, the engine changes the run's
 * inventory between steps (MOD_INVENTORY); it runs in a plan too.
 */

static const struct arg_spec group_by_args[] = {
	{ "key", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "The group to put the host in (spaces become '-')." },
	{ "parents", ARG_LIST, 0, NULL, NULL, "all",
	  "The groups the group goes under (created if new)." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int group_by_check(struct check_result *out,
			  const struct task_ctx *ctx)
{
	const char *key = arg_str(ctx, "key");
	const struct val *parents = arg_get(ctx, "parents");
	char *group;

	if (!key || !*key)
		return tend_error_set("group_by needs a 'key'");
	group = xstrdup(key);
	for (char *p = group; *p; p++)
		if (*p == ' ')
			*p = '-';
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_str(out->result, "add_group", group);
	if (val_is(parents, VAL_LIST) && val_len(parents)) {
		val_dict_set(out->result, "parent_groups", val_copy(parents));
	} else {
		struct val *all = val_list();

		val_list_push(all, val_str("all"));
		val_dict_set(out->result, "parent_groups", all);
	}
	free(group);
	return 0;
}

const struct tend_module mod_group_by = {
	.name = "group_by",
	.args = group_by_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER | MOD_INVENTORY,
	.doc = "Put the host in a group for the later plays of this run.",
	.returns =
		"add_group: the group the host was put in\n"
		"parent_groups: that group's parents ([\"all\"])\n",
	.example =
		"- group_by:\n"
		"    key: \"os_{{ ansible_facts.distribution | lower }}\"\n",
	.check = group_by_check,
};
