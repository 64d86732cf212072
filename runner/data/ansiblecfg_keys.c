#include "tend/common.h"
#include "tend/data/ansiblecfg_int.h"

/*
 * ansible.cfg's keys and ANSIBLE_* variables: what tend does with each
 * (ansiblecfg_int.h); `tend help ansible.cfg` and docs/ansible-cfg.md
 * show this table.
 */

#define H(sec, key, env, s, type, what) \
	{ sec, key, env, HONOUR, s, type, NULL, what }
#define I(sec, key, env, what) { sec, key, env, INERT, 0, T_STR, NULL, what }
#define O(sec, key, env, type, only, what) \
	{ sec, key, env, ONLY, 0, type, only, what }
#define R(sec, key, env, what) { sec, key, env, REFUSE, 0, T_STR, NULL, what }

const struct acfg_row acfg_rows[] = {
	H("defaults", "inventory", "ANSIBLE_INVENTORY", ACFG_INVENTORY,
	  T_PATHLIST, "the inventory when -i is not given (one source)"),
	H("defaults", "roles_path", "ANSIBLE_ROLES_PATH", ACFG_ROLES_PATH,
	  T_PATHSPEC, "where roles are looked for, after roles/ beside "
	  "the playbook"),
	H("defaults", "home", "ANSIBLE_HOME", ACFG_HOME, T_PATH,
	  "the default roles path's first directory is HOME/roles"),
	H("defaults", "remote_user", "ANSIBLE_REMOTE_USER", ACFG_REMOTE_USER,
	  T_STR, "the SSH user when no play or inventory sets one"),
	H("defaults", "remote_port", "ANSIBLE_REMOTE_PORT", ACFG_REMOTE_PORT,
	  T_INT, "the SSH port when the inventory sets none"),
	H("defaults", "private_key_file", "ANSIBLE_PRIVATE_KEY_FILE",
	  ACFG_PRIVATE_KEY_FILE, T_PATH,
	  "the SSH key when the inventory sets none"),
	H("defaults", "forks", "ANSIBLE_FORKS", ACFG_FORKS, T_INT,
	  "hosts in parallel when -f is not given"),
	H("defaults", "timeout", "ANSIBLE_TIMEOUT", ACFG_TIMEOUT, T_INT,
	  "the SSH connect timeout in seconds"),
	H("ssh_connection", "timeout", "ANSIBLE_SSH_TIMEOUT", ACFG_TIMEOUT,
	  T_INT, "the SSH connect timeout in seconds"),
	H("defaults", "vault_password_file", "ANSIBLE_VAULT_PASSWORD_FILE",
	  ACFG_VAULT_PASSWORD_FILE, T_PATH,
	  "a vault password (an executable file is run for it)"),
	H("defaults", "vault_identity_list", "ANSIBLE_VAULT_IDENTITY_LIST",
	  ACFG_VAULT_IDENTITY_LIST, T_LIST,
	  "vault passwords as LABEL@FILE, comma separated (as --vault-id)"),
	H("defaults", "force_handlers", "ANSIBLE_FORCE_HANDLERS",
	  ACFG_FORCE_HANDLERS, T_BOOL, "as --force-handlers when true"),
	H("privilege_escalation", "become", "ANSIBLE_BECOME", ACFG_BECOME,
	  T_BOOL, "plays that do not say 'become' become (true) or not"),
	H("privilege_escalation", "become_user", "ANSIBLE_BECOME_USER",
	  ACFG_BECOME_USER, T_STR, "the user to become when a play, block "
	  "or task sets none"),
	H("privilege_escalation", "become_method", "ANSIBLE_BECOME_METHOD",
	  ACFG_BECOME_METHOD, T_STR, "sudo or su, when a play sets none"),

	O("defaults", "host_key_checking", "ANSIBLE_HOST_KEY_CHECKING", T_BOOL,
	  "true", "tend always checks host keys (strict, against "
	  "known_hosts); it cannot be switched off"),
	O("ssh_connection", "host_key_checking",
	  "ANSIBLE_SSH_HOST_KEY_CHECKING", T_BOOL, "true",
	  "tend always checks host keys (strict, against known_hosts); it "
	  "cannot be switched off"),
	H("defaults", "gathering", "ANSIBLE_GATHERING", ACFG_GATHERING, T_STR,
	  "implicit, explicit or smart: when a play gathers facts"),
	H("defaults", "fact_caching", "ANSIBLE_CACHE_PLUGIN", ACFG_FACT_CACHING,
	  T_STR, "memory (for the run) or jsonfile (a JSON file per host, "
	  "kept between runs); other cache plugins are refused"),
	H("defaults", "fact_caching_connection",
	  "ANSIBLE_CACHE_PLUGIN_CONNECTION", ACFG_FACT_CACHING_CONNECTION,
	  T_PATH, "jsonfile's directory (made when missing)"),
	H("defaults", "fact_caching_timeout", "ANSIBLE_CACHE_PLUGIN_TIMEOUT",
	  ACFG_FACT_CACHING_TIMEOUT, T_SECS, "seconds a host's cached facts "
	  "stay valid (0: always; default 86400)"),
	H("defaults", "fact_caching_prefix", "ANSIBLE_CACHE_PLUGIN_PREFIX",
	  ACFG_FACT_CACHING_PREFIX, T_STR, "jsonfile's file names: PREFIX "
	  "then the host's name"),
	O("defaults", "strategy", "ANSIBLE_STRATEGY", T_STR, "linear",
	  "plays run with the linear strategy unless they say 'free'"),
	O("defaults", "hash_behaviour", "ANSIBLE_HASH_BEHAVIOUR", T_STR,
	  "replace", "a variable defined twice is replaced, not merged"),
	O("defaults", "transport", "ANSIBLE_TRANSPORT", T_STR, "smart",
	  "connections are SSH unless ansible_connection says local"),
	O("defaults", "any_errors_fatal", "ANSIBLE_ANY_ERRORS_FATAL", T_BOOL,
	  "false", "only plays and blocks that say so stop every host"),
	O("defaults", "error_on_undefined_vars",
	  "ANSIBLE_ERROR_ON_UNDEFINED_VARS", T_BOOL, "true",
	  "an undefined variable is an error"),
	O("defaults", "jinja2_native", "ANSIBLE_JINJA2_NATIVE", T_BOOL,
	  "false", "templates render to strings, as Ansible's default"),
	O("defaults", "private_role_vars", "ANSIBLE_PRIVATE_ROLE_VARS", T_BOOL,
	  "false", "role vars are seen by the play after the role"),
	O("defaults", "inject_facts_as_vars", "ANSIBLE_INJECT_FACT_VARS",
	  T_BOOL, "true", "facts are also top-level ansible_* variables"),
	O("defaults", "ask_pass", "ANSIBLE_ASK_PASS", T_BOOL, "false",
	  "tend logs in with keys (agent or key file), never a password"),
	O("defaults", "ask_vault_pass", "ANSIBLE_ASK_VAULT_PASS", T_BOOL,
	  "false", "vault passwords come from files (--vault-password-file)"),
	O("privilege_escalation", "become_ask_pass", "ANSIBLE_BECOME_ASK_PASS",
	  T_BOOL, "false", "no become password prompt"),
	O("defaults", "executable", "ANSIBLE_EXECUTABLE", T_STR, "/bin/sh",
	  "tend's scripts run with the target's /bin/sh"),

	I("defaults", "nocows", "ANSIBLE_NOCOWS", "display (cowsay)"),
	I("defaults", "cow_selection", "ANSIBLE_COW_SELECTION",
	  "display (cowsay)"),
	I("defaults", "cowsay_enabled_stencils", "ANSIBLE_COW_ACCEPTLIST",
	  "display (cowsay)"),
	I("defaults", "cowpath", "ANSIBLE_COW_PATH", "display (cowsay)"),
	I("defaults", "nocolor", "ANSIBLE_NOCOLOR", "display (tend: --no-color)"),
	I("defaults", "force_color", "ANSIBLE_FORCE_COLOR", "display"),
	I("defaults", "stdout_callback", "ANSIBLE_STDOUT_CALLBACK",
	  "display (tend: --format)"),
	I("defaults", "callback_whitelist", "ANSIBLE_CALLBACK_WHITELIST",
	  "display and logging callbacks"),
	I("defaults", "callbacks_enabled", "ANSIBLE_CALLBACKS_ENABLED",
	  "display and logging callbacks"),
	I("defaults", "bin_ansible_callbacks", "ANSIBLE_LOAD_CALLBACK_PLUGINS",
	  "display and logging callbacks"),
	I("defaults", "retry_files_enabled", "ANSIBLE_RETRY_FILES_ENABLED",
	  ".retry files (tend keeps runs in its state DB)"),
	I("defaults", "retry_files_save_path", "ANSIBLE_RETRY_FILES_SAVE_PATH",
	  ".retry files (tend keeps runs in its state DB)"),
	I("defaults", "deprecation_warnings", "ANSIBLE_DEPRECATION_WARNINGS",
	  "display (warnings)"),
	I("defaults", "system_warnings", "ANSIBLE_SYSTEM_WARNINGS",
	  "display (warnings)"),
	I("defaults", "action_warnings", "ANSIBLE_ACTION_WARNINGS",
	  "display (warnings)"),
	I("defaults", "localhost_warning", "ANSIBLE_LOCALHOST_WARNING",
	  "display (warnings)"),
	I("defaults", "devel_warning", "ANSIBLE_DEVEL_WARNING",
	  "display (warnings)"),
	I("defaults", "display_args_to_stdout", "ANSIBLE_DISPLAY_ARGS_TO_STDOUT",
	  "display"),
	I("defaults", "display_skipped_hosts", "ANSIBLE_DISPLAY_SKIPPED_HOSTS",
	  "display"),
	I("defaults", "show_custom_stats", "ANSIBLE_SHOW_CUSTOM_STATS",
	  "display"),
	I("defaults", "verbosity", "ANSIBLE_VERBOSITY", "display (tend: -v)"),
	I("defaults", "log_path", "ANSIBLE_LOG_PATH",
	  "Ansible's log file (tend keeps runs in its state DB)"),
	I("defaults", "no_target_syslog", "ANSIBLE_NO_TARGET_SYSLOG",
	  "Ansible's module logging on targets (tend logs nothing there)"),
	I("defaults", "syslog_facility", "ANSIBLE_SYSLOG_FACILITY",
	  "Ansible's module logging on targets (tend logs nothing there)"),
	I("defaults", "interpreter_python", "ANSIBLE_PYTHON_INTERPRETER",
	  "Python on targets (tend runs none)"),
	I("defaults", "local_tmp", "ANSIBLE_LOCAL_TEMP",
	  "Ansible's controller temp files"),
	I("defaults", "remote_tmp", "ANSIBLE_REMOTE_TEMP",
	  "where Ansible stages its Python modules (tend stages none)"),
	I("defaults", "module_compression", "ANSIBLE_MODULE_COMPRESSION",
	  "how Ansible ships Python modules"),
	I("defaults", "internal_poll_interval", "ANSIBLE_INTERNAL_POLL_INTERVAL",
	  "Ansible's internal polling"),
	I("defaults", "pipelining", "ANSIBLE_PIPELINING",
	  "speed only (tend sends scripts over one SSH session)"),
	I("ssh_connection", "pipelining", "ANSIBLE_SSH_PIPELINING",
	  "speed only (tend sends scripts over one SSH session)"),
	I("connection", "pipelining", NULL,
	  "speed only (tend sends scripts over one SSH session)"),
	I("ssh_connection", "control_path", "ANSIBLE_SSH_CONTROL_PATH",
	  "OpenSSH multiplexing (tend keeps one session per host)"),
	I("ssh_connection", "control_path_dir", "ANSIBLE_SSH_CONTROL_PATH_DIR",
	  "OpenSSH multiplexing (tend keeps one session per host)"),
	I("defaults", "max_diff_size", "ANSIBLE_MAX_DIFF_SIZE", "display"),
	I("diff", "always", "ANSIBLE_DIFF_ALWAYS", "display (tend: -D)"),
	I("diff", "context", "ANSIBLE_DIFF_CONTEXT", "display"),
	I("colors", "*", NULL, "display"),
	I("galaxy", "*", NULL, "ansible-galaxy only"),

	R("defaults", "ansible_managed", "ANSIBLE_MANAGED",
	  "the ansible_managed variable"),
	R("defaults", "library", "ANSIBLE_LIBRARY", "Python modules"),
	R("defaults", "collections_path", "ANSIBLE_COLLECTIONS_PATH",
	  "collections"),
	R("defaults", "collections_paths", "ANSIBLE_COLLECTIONS_PATHS",
	  "collections"),
	R("defaults", "strategy_plugins", "ANSIBLE_STRATEGY_PLUGINS", "plugins"),
	R("defaults", "action_plugins", "ANSIBLE_ACTION_PLUGINS", "plugins"),
	R("defaults", "filter_plugins", "ANSIBLE_FILTER_PLUGINS", "plugins"),
	R("defaults", "lookup_plugins", "ANSIBLE_LOOKUP_PLUGINS", "plugins"),
	R("defaults", "vars_plugins", "ANSIBLE_VARS_PLUGINS", "plugins"),
	R("defaults", "connection_plugins", "ANSIBLE_CONNECTION_PLUGINS",
	  "plugins"),
	R("defaults", "task_timeout", "ANSIBLE_TASK_TIMEOUT", "task timeout"),
	R("defaults", "gather_subset", "ANSIBLE_GATHER_SUBSET", "facts"),
	R("defaults", "gather_timeout", "ANSIBLE_GATHER_TIMEOUT", "facts"),
	R("defaults", "fact_path", "ANSIBLE_FACT_PATH", "facts"),
	R("defaults", "become_password_file", "ANSIBLE_BECOME_PASSWORD_FILE",
	  "become passwords"),
	R("privilege_escalation", "become_flags", "ANSIBLE_BECOME_FLAGS",
	  "become flags"),
	R("privilege_escalation", "become_exe", "ANSIBLE_BECOME_EXE",
	  "become executable"),
	O("ssh_connection", "ssh_args", "ANSIBLE_SSH_ARGS", T_STR, CONTROL_ONLY,
	  "only -o ControlMaster/ControlPersist/ControlPath (connection "
	  "reuse: tend keeps one session per host for the run); other ssh "
	  "options are not supported yet"),
	H("ssh_connection", "ssh_common_args", "ANSIBLE_SSH_COMMON_ARGS",
	  ACFG_SSH_COMMON_ARGS, T_STR, "ssh options for every host, as "
	  "--ssh-common-args (docs/ssh.md: those tend honours; any other is "
	  "refused); a host's ansible_ssh_common_args replaces them"),
	H("ssh_connection", "ssh_extra_args", "ANSIBLE_SSH_EXTRA_ARGS",
	  ACFG_SSH_EXTRA_ARGS, T_STR, "ssh options for every host after "
	  "the common ones; a host's ansible_ssh_extra_args replaces them"),
	R("ssh_connection", "retries", "ANSIBLE_SSH_RETRIES", "ssh retries"),
	R("inventory", "enable_plugins", "ANSIBLE_INVENTORY_ENABLED",
	  "inventory plugins"),
};

#undef H
#undef I
#undef O
#undef R

const size_t acfg_rows_nr = ARRAY_SIZE(acfg_rows);

const struct acfg_row *acfg_find_row(const char *section, const char *key)
{
	for (size_t i = 0; i < acfg_rows_nr; i++)
		if (!strcmp(acfg_rows[i].section, section) &&
		    (!strcmp(acfg_rows[i].key, key) || !strcmp(acfg_rows[i].key, "*")))
			return &acfg_rows[i];
	return NULL;
}

size_t ansiblecfg_keys(const struct acfg_key_doc **out)
{
	static const char *const does[] = {
		[HONOUR] = "honoured", [INERT] = "no effect",
		[ONLY] = "only", [REFUSE] = "refused",
	};
	static struct acfg_key_doc docs[ARRAY_SIZE(acfg_rows)];

	for (size_t i = 0; i < acfg_rows_nr; i++) {
		docs[i].section = acfg_rows[i].section;
		docs[i].key = acfg_rows[i].key;
		docs[i].env = acfg_rows[i].env;
		docs[i].does = acfg_rows[i].kind != ONLY ? does[acfg_rows[i].kind] :
			       !strcmp(acfg_rows[i].only, CONTROL_ONLY) ?
			       "connection sharing" : acfg_rows[i].only;
		docs[i].what = acfg_rows[i].what;
	}
	*out = docs;
	return acfg_rows_nr;
}
