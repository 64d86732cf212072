#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/apt.h"

/*
 * package: Ansible's generic package module. It runs the module of the
 * host's package manager (ansible_pkg_mgr); tend has apt only, so the
 * probe asks the host which one it has (as the fact is found) and a host
 * with another (dnf, yum, zypper...) fails the task, naming it. The
 * args other than name, state and use are the backend's in Ansible;
 * here they are refused by name.
 */

static const char *const package_states[] = {
	"present", "absent", "latest", NULL,
};

static const struct arg_spec package_args[] = {
	{ "name", ARG_LIST, ARG_REQUIRED, NULL, NULL, NULL,
	  "packages: NAME or NAME=VERSION, a list or a comma-separated "
	  "string" },
	{ "state", ARG_STR, ARG_REQUIRED, NULL, package_states, NULL,
	  "present, absent or latest" },
	{ "use", ARG_STR, 0, NULL, NULL, "auto",
	  "the package manager: auto (the host's: apt only) or apt" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

static int package_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *use = arg_str(ctx, "use");

	return apt_probe(out, ctx, use && !strcmp(use, "apt") ? "apt" :
			 "package");
}

static int package_validate(const struct val *args, const char **arg)
{
	const char *use = val_cstr(val_dict_get(args, "use"));

	*arg = "use";
	if (use && !strstr(use, "{{") && strcmp(use, "auto") &&
	    strcmp(use, "apt"))
		return tend_error_set("use=%s is not supported: tend's "
				      "package module has apt only", use);
	return apt_args_validate(args, arg);
}

const struct tend_module mod_package = {
	.name = "package",
	.args = package_args,
	.doc = "install or remove packages with the host's package manager "
	       "(apt)",
	.probe = package_probe,
	.judge = apt_judge,
	.validate = package_validate,
	.apply = apt_apply,
	.returns =
		"stdout: apt-get's output (when it ran)\n"
		"stderr: apt-get's errors and warnings (when it ran)\n"
		"rc: apt-get's exit code (when it failed)\n",
	.example =
		"- package:\n"
		"    name: hello\n"
		"    state: present\n",
};
