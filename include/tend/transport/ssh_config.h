#ifndef TEND_TRANSPORT_SSH_CONFIG_H
#define TEND_TRANSPORT_SSH_CONFIG_H

/*
 * A host's ssh_config (net/sshconfig.h) applied to its SSH options: what
 * the host's connection variables (and its ansible_ssh_common_args) left
 * unset, ssh_config sets; what neither sets keeps tend's default. This
 * is ansible-playbook's order too: its ssh gets -o options from the
 * variables on the command line, and ssh keeps the first value it sees,
 * the command line's before the file's.
 */

#include "tend/transport/ssh.h"

/* The strings the filled options point into; the caller releases them. */
struct ssh_config_hold {
	char *strs[24];
	size_t nr;
	const char *keys[16];
	const char *jump; /* the file's ProxyJump for the host, or NULL */
};

/* What the variables set, so that ssh_config fills only the rest. */
struct ssh_config_set {
	bool check;          /* host_key_checking was set */
	int identities_only; /* -1: not set, else the value */
};

/*
 * Read the ssh_config `file` (NULL: ~/.ssh/config if it exists; "none":
 * none, as ssh -F none) and apply what it says for `name` (the host as
 * ssh would be given it: ansible_host, else the inventory name) to the
 * fields of `o` still unset. Returns 0, or -1 with the error set: a bad
 * file (file:line), a keyword tend cannot honour that applies to the
 * host, a bad value (file:line).
 */
int ssh_config_fill(struct ssh_opts *o, struct ssh_config_hold *h,
		    const char *file, const char *name,
		    const struct ssh_config_set *set);

/* Free what `h` holds. */
void ssh_config_hold_release(struct ssh_config_hold *h);

#endif
