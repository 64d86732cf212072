#include "tend/common.h"
#include "tend/data/ansiblecfg.h"
#include "tend/cli/cli_int.h"

/*
 * ansible.cfg and the ANSIBLE_* variables (data/ansiblecfg.h) for plan,
 * apply and validate. Precedence, highest first: the command line, the
 * ANSIBLE_* variables, tend.yml, ansible.cfg, the defaults; inventory and
 * play variables (ansible_user ...) and play keywords (remote_user,
 * become ...) override them per host and play, as in Ansible.
 */

/* Where a setting came from: an ANSIBLE_* variable (over tend.yml)? */
static bool from_env(const struct cli_args *a, enum acfg_setting s)
{
	const char *o = a->acfg ? a->acfg->origin[s] : NULL;

	return o && !strncmp(o, "ANSIBLE_", 8);
}

/* gathering and the fact cache: checked by the table (data/ansiblecfg.c) */
static void fact_cache_of(struct cli_args *a)
{
	const char *g = ansiblecfg_get(a->acfg, ACFG_GATHERING);
	const char *c = ansiblecfg_get(a->acfg, ACFG_FACT_CACHING);
	const char *t = ansiblecfg_get(a->acfg, ACFG_FACT_CACHING_TIMEOUT);

	a->facts.gathering = !g ? GATHER_IMPLICIT :
			     !strcmp(g, "smart") ? GATHER_SMART :
			     !strcmp(g, "explicit") ? GATHER_EXPLICIT :
			     GATHER_IMPLICIT;
	a->facts.dir = c && !strcmp(c, "jsonfile") ?
		       ansiblecfg_get(a->acfg, ACFG_FACT_CACHING_CONNECTION) :
		       NULL;
	a->facts.prefix = ansiblecfg_get(a->acfg, ACFG_FACT_CACHING_PREFIX);
	a->facts.timeout = t ? atol(t) : 86400;
}

int cli_load_ansiblecfg(struct cli_args *a)
{
	struct diags d = DIAGS_INIT;
	char *path = NULL, *warning = NULL;
	const char *v;
	int error;

	ansiblecfg_find(&path, &warning, a->untrusted_flag);
	if (warning)
		fprintf(stderr, "tend: warning: %s\n", warning);
	free(warning);
	error = ansiblecfg_load(&a->acfg, path, &d);
	cli_diags_print(&d);
	diags_release(&d);
	if (error < 0) {
		free(path);
		return EXIT_ERROR;
	}
	if (path)
		fprintf(stderr, "tend: using %s as config file\n", path);
	free(path);
	if (!a->inventory && (v = ansiblecfg_get(a->acfg, ACFG_INVENTORY)))
		a->inventory = v;
	playbook_set_roles_path(ansiblecfg_get(a->acfg, ACFG_ROLES_PATH),
				ansiblecfg_get(a->acfg, ACFG_HOME));
	if ((v = ansiblecfg_get(a->acfg, ACFG_FORCE_HANDLERS)) &&
	    !strcmp(v, "true"))
		a->force_handlers = true;
	fact_cache_of(a);
	return cli_ansiblecfg_ssh_args(a) < 0 ? EXIT_ERROR : 0;
}

/* The vault passwords it names, after the command line's. */
int cli_ansiblecfg_vault(struct cli_args *a)
{
	const char *file = ansiblecfg_get(a->acfg, ACFG_VAULT_PASSWORD_FILE);
	const char *ids = ansiblecfg_get(a->acfg, ACFG_VAULT_IDENTITY_LIST);

	for (const char *s = ids; s && *s;) {
		size_t n = strcspn(s, ",");
		char *id = xstrndup(s, n);
		int error = vault_keys_add_id(&a->vault, id);

		free(id);
		if (error < 0)
			return cli_err("%s: %s", a->acfg->origin[ACFG_VAULT_IDENTITY_LIST],
				       tend_error_last()), -1;
		s += n + (s[n] == ',');
	}
	if (file && vault_keys_add_file(&a->vault, NULL, file) < 0)
		return cli_err("%s: %s", a->acfg->origin[ACFG_VAULT_PASSWORD_FILE],
			       tend_error_last()), -1;
	return 0;
}

/*
 * After tend.yml's ssh: (in a->defaults): the connection defaults, an
 * ANSIBLE_* variable over tend.yml's, ansible.cfg's under it; the forks
 * and the plays' become defaults. `before` is true when called before
 * tend.yml's forks is read (the variable's forks goes first).
 */
void cli_ansiblecfg_settings(struct cli_args *a, bool before)
{
	static const struct {
		enum acfg_setting s;
		const char *var;
	} map[] = {
		{ ACFG_REMOTE_USER, "ansible_user" },
		{ ACFG_REMOTE_PORT, "ansible_port" },
		{ ACFG_PRIVATE_KEY_FILE, "ansible_ssh_private_key_file" },
		{ ACFG_TIMEOUT, "ansible_ssh_timeout" },
	};
	const char *v, *user, *method, *become;

	if (before) {
		if (!a->forks && from_env(a, ACFG_FORKS))
			a->forks = atoi(ansiblecfg_get(a->acfg, ACFG_FORKS));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if ((v = ansiblecfg_get(a->acfg, map[i].s)) &&
		    (from_env(a, map[i].s) ||
		     !val_dict_get(a->defaults, map[i].var)))
			val_dict_set_str(a->defaults, map[i].var, v);
	if (!a->forks && (v = ansiblecfg_get(a->acfg, ACFG_FORKS)))
		a->forks = atoi(v);
	/* the command line's -b, --become-user, --become-method over them */
	become = a->become ? "true" : ansiblecfg_get(a->acfg, ACFG_BECOME);
	user = a->become_user ? a->become_user :
	       ansiblecfg_get(a->acfg, ACFG_BECOME_USER);
	method = a->become_method ? a->become_method :
		 ansiblecfg_get(a->acfg, ACFG_BECOME_METHOD);
	for (size_t i = 0; i < a->pbs_nr; i++)
		playbook_set_become_defaults(a->pbs[i], become ?
					     !strcmp(become, "true") : -1,
					     user, method);
}

/* `tend help ansible.cfg`: the table, one key a line. */
int cli_help_ansiblecfg(void)
{
	const struct acfg_key_doc *k;
	size_t n = ansiblecfg_keys(&k);

	printf("ansible.cfg keys and ANSIBLE_* variables tend reads (any other "
	       "key is refused;\n'only V': accepted with the value V alone; "
	       "docs/ansible-cfg.md):\n\n");
	for (size_t i = 0; i < n; i++) {
		char key[64];

		snprintf(key, sizeof(key), "[%s] %s", k[i].section, k[i].key);
		printf("%-40s %-32s %s%s: %s\n", key, k[i].env ? k[i].env : "-",
		       strcmp(k[i].does, "honoured") &&
		       strcmp(k[i].does, "no effect") &&
		       strcmp(k[i].does, "refused") ? "only " : "", k[i].does,
		       k[i].what);
	}
	return EXIT_OK;
}
