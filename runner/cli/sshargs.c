#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/data/ansiblecfg.h"
#include "tend/transport/sshargs.h"
#include "tend/cli/cli_int.h"

/*
 * --ssh-common-args: checked now (transport/sshargs.c, the parser a
 * host's ansible_ssh_common_args goes through too), so that a bad option
 * stops the command before anything runs, then kept as the lowest
 * ansible_ssh_common_args, which a host's own replaces, as in Ansible.
 */
int cli_ssh_common_args(struct cli_args *a, const char *s)
{
	struct val *vars = val_dict();
	int error = ssh_args_parse(vars, s, "--ssh-common-args");

	val_unref(vars);
	if (error < 0)
		return cli_err("%s", tend_error_last()), -1;
	if (!a->ssh_args)
		a->ssh_args = val_dict();
	val_dict_set_str(a->ssh_args, "ansible_ssh_common_args", s);
	return 0;
}

/*
 * ansible.cfg's [ssh_connection] ssh_common_args and ssh_extra_args (or
 * their ANSIBLE_SSH_* variables): checked now, named by where they came
 * from (FILE:LINE or the variable), then kept as the lowest
 * ansible_ssh_common_args and _extra_args, under --ssh-common-args and
 * every host's own, as in Ansible.
 */
int cli_ansiblecfg_ssh_args(struct cli_args *a)
{
	static const struct {
		enum acfg_setting s;
		const char *var;
	} map[] = {
		{ ACFG_SSH_COMMON_ARGS, "ansible_ssh_common_args" },
		{ ACFG_SSH_EXTRA_ARGS, "ansible_ssh_extra_args" },
	};

	for (size_t i = 0; a->acfg && i < ARRAY_SIZE(map); i++) {
		const char *v = ansiblecfg_get(a->acfg, map[i].s);
		struct val *vars;
		int error;

		if (!v)
			continue;
		vars = val_dict();
		error = ssh_args_parse(vars, v, a->acfg->origin[map[i].s]);
		val_unref(vars);
		if (error < 0)
			return cli_err("%s", tend_error_last()), -1;
		if (!a->ssh_args)
			a->ssh_args = val_dict();
		if (!val_dict_get(a->ssh_args, map[i].var))
			val_dict_set_str(a->ssh_args, map[i].var, v);
	}
	return 0;
}
