#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

/*
 * add_host: a host for the later plays of this run. The module only says
 * what to add; the engine adds it to the run's own copy of the inventory
 * between steps (MOD_INVENTORY), once per task and not once per host
 * (MOD_ONCE: Ansible's bypass of the host loop). Nothing on any host
 * changes, so a plan runs it too: later plays are planned on the hosts
 * it adds.
 */

static const struct arg_spec add_host_args[] = {
	{ "name", ARG_STR, ARG_REQUIRED, "host,hostname", NULL, NULL,
	  "The host's inventory name; 'name:port' sets ansible_ssh_port." },
	{ "groups", ARG_LIST, 0, "group,groupname", NULL, NULL,
	  "The groups to put it in (created if new)." },
	{ "*", ARG_ANY, 0, NULL, NULL, NULL,
	  "Each other key=value is a variable of the host." },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int add_host_check(struct check_result *out,
			  const struct task_ctx *ctx)
{
	const char *name = arg_str(ctx, "name");
	const struct val *groups = arg_get(ctx, "groups");
	struct val *vars = val_copy(ctx->args), *add = val_dict();

	val_dict_del(vars, "name");
	val_dict_del(vars, "groups");
	if (!name || !*name) {
		val_unref(vars);
		val_unref(add);
		return tend_error_set("add_host needs a host name");
	}
	/* Ansible's order of the keys */
	val_dict_set_str(add, "host_name", name);
	val_dict_set(add, "groups", val_is(groups, VAL_LIST) ?
		     val_copy(groups) : val_list());
	val_dict_set(add, "host_vars", vars);
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set(out->result, "add_host", add);
	return 0;
}

const struct tend_module mod_add_host = {
	.name = "add_host",
	.args = add_host_args,
	.flags = MOD_NO_ASYNC | MOD_CONTROLLER | MOD_INVENTORY |
		 MOD_ONCE,
	.doc = "Add a host (and its groups) to the inventory of the later "
	       "plays of this run.",
	.returns =
		"add_host: host_name, groups and host_vars of the host added\n",
	.example =
		"- add_host:\n"
		"    name: \"{{ new_ip }}\"\n"
		"    groups: [web, fresh]\n"
		"    ansible_user: admin\n",
	.check = add_host_check,
};
