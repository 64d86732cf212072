#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/net/sshconfig.h"
#include "tend/transport/sshargs.h"

#include <strings.h>

/*
 * OpenSSH's options as connection vars (sshargs.h). Shared by the
 * command line's --ssh-common-args and a host's ansible_ssh_common_args
 * (engine/conn.c), so both refuse the same things the same way.
 */

/* `-o Key=Value` keys (case-insensitive, as ssh_config) and their var. */
static const struct {
	const char *key;
	char flag;       /* the ssh(1) flag with the same meaning, or 0 */
	const char *var;
} ssh_keys[] = {
	{ "User", 'l', "ansible_user" },
	{ "Port", 'p', "ansible_port" },
	{ "IdentityFile", 'i', "ansible_ssh_private_key_file" },
	{ "UserKnownHostsFile", 0, "tend_known_hosts" },
	{ "StrictHostKeyChecking", 0, "host_key_checking" },
	{ "ConnectTimeout", 0, "ansible_ssh_timeout" },
	{ "ProxyJump", 'J', "tend_ssh_proxy_jump" },
	{ "IdentitiesOnly", 0, "tend_ssh_identities_only" },
	{ "ServerAliveInterval", 0, "tend_ssh_server_alive_interval" },
	{ NULL, 'F', "tend_ssh_config" },
};

#define SSH_KEYS_HINT "tend understands -o User, Port, IdentityFile, " \
	"UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout, " \
	"ProxyJump, IdentitiesOnly, ServerAliveInterval and -l, -p, -i, " \
	"-J, -F; docs/ssh.md"

/* Split as Python's shlex.split (Ansible's): quotes and backslashes. */
static int split_words(struct val *out, const char *s, const char *what)
{
	struct buf w = BUF_INIT;
	bool in_word = false;
	char q = 0;

	for (; *s; s++) {
		if (q) {
			if (*s == q)
				q = 0;
			else if (q == '"' && *s == '\\' && s[1] &&
				 strchr("\\\"$`", s[1]))
				buf_addch(&w, *++s);
			else
				buf_addch(&w, *s);
		} else if (*s == '\'' || *s == '"') {
			q = *s;
			in_word = true;
		} else if (*s == '\\' && s[1]) {
			buf_addch(&w, *++s);
			in_word = true;
		} else if (strchr(" \t\n", *s)) {
			if (in_word)
				val_list_push(out, val_str(w.ptr));
			buf_reset(&w);
			in_word = false;
		} else {
			buf_addch(&w, *s);
			in_word = true;
		}
	}
	if (in_word && !q)
		val_list_push(out, val_str(w.ptr));
	buf_release(&w);
	if (q)
		return tend_error_set("%s: no closing quotation", what);
	return 0;
}

/* One setting (row i) = v into the vars, unless set before (ssh's rule). */
static int set_key(struct val *vars, size_t i, const char *v,
		   const char *what)
{
	const char *var = ssh_keys[i].var;

	if (!strcmp(var, "host_key_checking")) {
		if (!strcasecmp(v, "yes"))
			v = "strict";
		else if (!strcasecmp(v, "accept-new"))
			v = "accept-new";
		else
			return tend_error_set("%s: StrictHostKeyChecking '%s' "
				"is not supported: tend checks host keys (yes "
				"or accept-new)", what, v);
	}
	if (!val_dict_get(vars, var))
		val_dict_set_str(vars, var, v);
	return 0;
}

/* -o Key=Value, -oKey=Value, -o "Key Value" */
static int set_option(struct val *vars, const char *kv, const char *what)
{
	size_t n = strcspn(kv, "= \t");
	const char *v = kv + n;
	const struct sshcfg_keyword *k;

	v += strspn(v, " \t");
	if (*v == '=')
		v++;
	v += strspn(v, " \t");
	for (size_t i = 0; i < ARRAY_SIZE(ssh_keys); i++)
		if (ssh_keys[i].key && strlen(ssh_keys[i].key) == n &&
		    !strncasecmp(ssh_keys[i].key, kv, n) && *v)
			return set_key(vars, i, v, what);
	k = sshconfig_keyword(kv, n);
	if (k && k->key == SSHCFG_IGNORED && *v)
		return 0;
	return tend_error_set("%s: '-o %s' is not supported (%s)", what, kv,
			      SSH_KEYS_HINT);
}

/* one word of the list, and its argument if it takes one (*i moves) */
static int one_option(struct val *vars, const struct val *words, size_t *i,
		      const char *what)
{
	const char *w = val_cstr(val_list_at(words, *i));
	const char *arg = NULL;
	size_t k;

	if (w[0] != '-' || !w[1])
		return tend_error_set("%s: '%s' is not an option", what, w);
	for (k = 0; k < ARRAY_SIZE(ssh_keys) && ssh_keys[k].flag != w[1]; k++)
		;
	if (w[1] != 'o' && k == ARRAY_SIZE(ssh_keys))
		return tend_error_set("%s: '%s' is not supported (%s)", what,
				      w, SSH_KEYS_HINT);
	if (w[2])
		arg = w + 2;
	else if (*i + 1 < val_len(words))
		arg = val_cstr(val_list_at(words, ++*i));
	if (!arg)
		return tend_error_set("%s: '%s' needs a value", what, w);
	if (w[1] == 'o')
		return set_option(vars, arg, what);
	return set_key(vars, k, arg, what);
}

int ssh_args_parse(struct val *vars, const char *s, const char *what)
{
	struct val *words = val_list();
	int error = split_words(words, s, what);

	for (size_t i = 0; !error && i < val_len(words); i++)
		error = one_option(vars, words, &i, what);
	val_unref(words);
	return error;
}
