#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/cli/cli_int.h"

#include <strings.h>

/*
 * --ssh-common-args: the OpenSSH options tend's SSH connection has an
 * equivalent for, as connection vars of the command line's layer (the
 * inventory's win, as ansible_ssh_common_args would in Ansible); any
 * other option is refused by name, never dropped.
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
};

#define SSH_KEYS_HINT "tend understands -o User, Port, IdentityFile, " \
	"UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout and -l, " \
	"-p, -i"

/* Split as Python's shlex.split (Ansible's): quotes and backslashes. */
static int split_words(struct val *out, const char *s)
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
		return cli_err("--ssh-common-args: no closing quotation"), -1;
	return 0;
}

/* One setting `key` (its row i) = v into the vars; -1 after a message. */
static int set_key(struct val *vars, size_t i, const char *v)
{
	const char *var = ssh_keys[i].var;

	if (!strcmp(var, "host_key_checking")) {
		if (!strcasecmp(v, "yes"))
			v = "strict";
		else if (!strcasecmp(v, "accept-new"))
			v = "accept-new";
		else
			return cli_err("--ssh-common-args: StrictHostKeyChecking "
				       "'%s' is not supported: tend checks host "
				       "keys (yes or accept-new)", v), -1;
	}
	val_dict_set_str(vars, var, v);
	return 0;
}

/* -o Key=Value, -oKey=Value, -o "Key Value" */
static int set_option(struct val *vars, const char *kv)
{
	size_t n = strcspn(kv, "= \t");
	const char *v = kv + n;

	v += strspn(v, " \t");
	if (*v == '=')
		v++;
	v += strspn(v, " \t");
	for (size_t i = 0; i < ARRAY_SIZE(ssh_keys); i++)
		if (strlen(ssh_keys[i].key) == n &&
		    !strncasecmp(ssh_keys[i].key, kv, n) && *v)
			return set_key(vars, i, v);
	return cli_err("--ssh-common-args: '-o %s' is not supported (%s)", kv,
		       SSH_KEYS_HINT), -1;
}

int cli_ssh_common_args(struct cli_args *a, const char *s)
{
	struct val *words = val_list();
	int error = split_words(words, s);

	if (!a->ssh_args)
		a->ssh_args = val_dict();
	for (size_t i = 0; !error && i < val_len(words); i++) {
		const char *w = val_cstr(val_list_at(words, i));
		const char *arg = NULL;
		size_t k;

		if (w[0] != '-' || !w[1]) {
			cli_err("--ssh-common-args: '%s' is not an option", w);
			error = -1;
			break;
		}
		for (k = 0; k < ARRAY_SIZE(ssh_keys) &&
			    ssh_keys[k].flag != w[1]; k++)
			;
		if (w[1] != 'o' && k == ARRAY_SIZE(ssh_keys)) {
			cli_err("--ssh-common-args: '%s' is not supported (%s)",
				w, SSH_KEYS_HINT);
			error = -1;
			break;
		}
		if (w[2])
			arg = w + 2;
		else if (i + 1 < val_len(words))
			arg = val_cstr(val_list_at(words, ++i));
		if (!arg) {
			cli_err("--ssh-common-args: '%s' needs a value", w);
			error = -1;
			break;
		}
		if (w[1] == 'o')
			error = set_option(a->ssh_args, arg);
		else
			error = set_key(a->ssh_args, k, arg);
	}
	val_unref(words);
	return error;
}
