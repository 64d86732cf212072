#ifndef TEND_DATA_ANSIBLECFG_H
#define TEND_DATA_ANSIBLECFG_H

/*
 * ansible.cfg and the ANSIBLE_* variables of the settings tend meets
 * (docs/ansible-cfg.md). One table (ansiblecfg.c) names every key tend
 * knows: the ones it honours, the ones that only change Ansible's display
 * or Python internals (accepted, no effect), and the ones it accepts with
 * one value only (what tend does). Any other key is refused by name with
 * the file and line: a key that changes what runs is never dropped.
 *
 * The file is found as Ansible 2.14 finds it (ansiblecfg_find) and read
 * as Python's configparser reads it for Ansible: sections, `key = value`
 * or `key: value`, keys folded to lower case, `#` and `;` comment lines,
 * `;` inline comments after a space, indented continuation lines, no
 * interpolation (Ansible reads raw values); a duplicate section or key
 * is an error, as configparser's strict mode has it.
 */

#include "tend/common.h"
#include "tend/util/error.h"

/* The settings tend honours (each has one row in the table). */
enum acfg_setting {
	ACFG_INVENTORY,
	ACFG_ROLES_PATH,
	ACFG_HOME,
	ACFG_REMOTE_USER,
	ACFG_REMOTE_PORT,
	ACFG_PRIVATE_KEY_FILE,
	ACFG_FORKS,
	ACFG_TIMEOUT,
	ACFG_VAULT_PASSWORD_FILE,
	ACFG_VAULT_IDENTITY_LIST,
	ACFG_FORCE_HANDLERS,
	ACFG_BECOME,
	ACFG_BECOME_USER,
	ACFG_BECOME_METHOD,
	ACFG_SSH_COMMON_ARGS,
	ACFG_SSH_EXTRA_ARGS,
	ACFG_GATHERING,
	ACFG_FACT_CACHING,
	ACFG_FACT_CACHING_CONNECTION,
	ACFG_FACT_CACHING_TIMEOUT,
	ACFG_FACT_CACHING_PREFIX,
	ACFG__NR
};

struct acfg_entry {
	char *section, *key, *value;
	unsigned int line;
};

struct ansiblecfg {
	char *path;        /* the file read, or NULL: none found */
	struct acfg_entry *items;
	size_t nr, alloc;
	/*
	 * Each honoured setting resolved (env over the file), NULL if
	 * neither sets it; paths made absolute (a file's relative to its
	 * directory, a variable's to the current one), `~` and $VARS
	 * expanded as Ansible does. origin[] names where it came from
	 * ("ANSIBLE_FORKS", "ansible.cfg:4").
	 */
	char *value[ACFG__NR];
	char *origin[ACFG__NR];
};

/*
 * Ansible's lookup: $ANSIBLE_CONFIG (a directory means its ansible.cfg),
 * ./ansible.cfg unless the current directory is world-writable (then
 * *warning says it was skipped), ~/.ansible.cfg, /etc/ansible/ansible.cfg:
 * the first that exists and is readable, in *out (NULL: none). With
 * `skip_cwd` the current directory's file is not read (an untrusted
 * checkout's), and *warning says so when it exists.
 */
void ansiblecfg_find(char **out, char **warning, bool skip_cwd);

/*
 * Parse `text` (the file `path`) and resolve the settings with the
 * environment. Problems go to `d` with file:line; returns TEND_EPARSE
 * when there were any (*out is then NULL). `path` NULL: no file, the
 * environment alone.
 */
int ansiblecfg_parse(struct ansiblecfg **out, const char *path,
		     const char *text, size_t len, struct diags *d);
/* Read `path` (NULL: none) and parse it. */
int ansiblecfg_load(struct ansiblecfg **out, const char *path,
		    struct diags *d);
void ansiblecfg_free(struct ansiblecfg *c);

/* The resolved value of setting `s`, or NULL. */
const char *ansiblecfg_get(const struct ansiblecfg *c, enum acfg_setting s);
/* Ansible's boolean: yes, on, 1, true, t, y (any case) are true. */
bool ansiblecfg_bool(const char *s);

/*
 * The table, row by row (`tend help ansible.cfg`, docs/ansible-cfg.md):
 * what tend does is "honoured", "no effect", "only VALUE" or "refused";
 * `env` may be NULL, `key` "*" (the whole section).
 */
struct acfg_key_doc {
	const char *section, *key, *env, *does, *what;
};
size_t ansiblecfg_keys(const struct acfg_key_doc **out);

#endif
