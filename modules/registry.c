#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modules/registry.h"

/*
 * Every module tend knows, in the order `tend modules` lists them. Add a
 * row here when adding modules/<name>.c (see module.h): the declaration
 * and the row.
 */

extern const struct tend_module mod_file, mod_copy, mod_template,
	mod_lineinfile, mod_blockinfile, mod_ini_file, mod_stat, mod_find,
	mod_tempfile,
	mod_command,
	mod_shell, mod_raw, mod_script,
	mod_debug, mod_assert, mod_set_fact, mod_fail, mod_include_vars,
	mod_add_host, mod_group_by, mod_pause, mod_ping, mod_slurp, mod_replace,
	mod_fetch, mod_assemble, mod_get_url, mod_unarchive, mod_wait_for, mod_git,
	mod_wait_for_connection, mod_reboot, mod_service_facts,
	mod_setup, mod_gather_facts, mod_service, mod_systemd,
	mod_systemd_service, mod_user,
	mod_group, mod_authorized_key, mod_cron, mod_hostname, mod_sysctl,
	mod_mount, mod_apt, mod_package, mod_apt_repository, mod_apt_key,
	mod_deb822_repository,
	mod_pip, mod_uri, mod_lxd_instance, mod_async_status;

const struct tend_module *const tend_modules[] = {
	/* files */
	&mod_file,
	&mod_copy,
	&mod_template,
	&mod_lineinfile,
	&mod_blockinfile,
	&mod_ini_file,
	&mod_replace,
	&mod_assemble,
	&mod_stat,
	&mod_find,
	&mod_tempfile,
	&mod_slurp,
	&mod_fetch,
	/* downloads */
	&mod_get_url,
	&mod_unarchive,
	&mod_git,
	&mod_uri,
	/* cloud */
	&mod_lxd_instance,
	/* accounts */
	&mod_user,
	&mod_group,
	&mod_authorized_key,
	/* commands */
	&mod_command,
	&mod_shell,
	&mod_raw,
	&mod_script,
	&mod_async_status,
	/* control */
	&mod_debug,
	&mod_assert,
	&mod_set_fact,
	&mod_fail,
	&mod_include_vars,
	&mod_add_host,
	&mod_group_by,
	&mod_pause,
	&mod_ping,
	&mod_wait_for,
	&mod_wait_for_connection,
	&mod_reboot,
	/* packages */
	&mod_apt,
	&mod_package,
	&mod_apt_repository,
	&mod_apt_key,
	&mod_deb822_repository,
	&mod_pip,
	/* services */
	&mod_service,
	&mod_systemd,
	&mod_systemd_service,
	&mod_service_facts,
	/* system configuration */
	&mod_cron,
	&mod_hostname,
	&mod_sysctl,
	&mod_mount,
	/* facts */
	&mod_setup,
	&mod_gather_facts,
	NULL,
};

const struct tend_module *module_find(const char *name)
{
	static const char *const prefixes[] = { "ansible.builtin.",
						"ansible.legacy." };
	/* the modules of other collections tend has */
	static const char *const others[] = {
		"ansible.posix.authorized_key", "ansible.posix.sysctl",
		"ansible.posix.mount", "community.general.ini_file",
	};

	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		if (!strcmp(name, others[i]))
			name = strrchr(others[i], '.') + 1;

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(name, prefixes[i], n)) {
			name += n;
			break;
		}
	}
	for (size_t i = 0; tend_modules[i]; i++)
		if (!strcmp(tend_modules[i]->name, name))
			return tend_modules[i];
	return NULL;
}
