#include "tend/common.h"
#include "tend/util/error.h"
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
