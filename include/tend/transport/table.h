#ifndef TEND_TRANSPORT_TABLE_H
#define TEND_TRANSPORT_TABLE_H

/*
 * Transports by connection name (Ansible's `ansible_connection`): the one
 * table the executor opens hosts through. "local" and "ssh" (also
 * "smart" and "paramiko", as Ansible) are built in; tests register fakes.
 *
 * A transport reads what it needs from the host's variables through
 * `struct transport_vars`, so the executor knows no transport's settings
 * and no transport knows the executor's scopes.
 */

#include "tend/transport/transport.h"

struct transport_vars {
	const char *inventory_name; /* the host's name in the inventory */
	/*
	 * The playbook's directory: where the local connection runs what it
	 * runs, as Ansible's (NULL: tend's own working directory)
	 */
	const char *basedir;
	/*
	 * The first of `names` (NULL-terminated) that is defined for the
	 * host, rendered to a string: *out is the caller's to free, NULL
	 * when none is defined. Returns 0 or -1 with the error set.
	 */
	int (*get)(char **out, const char *const *names, void *payload);
	void *payload;
};

struct transport_kind {
	const char *name;            /* "local", "ssh" */
	const char *const *aliases;  /* other names for it, or NULL */
	/* Make a transport for one host (connecting may wait for first use). */
	int (*open)(struct transport **out, const struct transport_vars *v);
};

/*
 * Open a transport of the kind called `name` (NULL: "ssh", Ansible's
 * default). Returns 0, or -1 with the error set: "connection type 'x'
 * is not supported (use ssh or local)" for a name no kind has.
 */
int transport_open(struct transport **out, const char *name,
		   const struct transport_vars *v);

/*
 * Does connection `name` (NULL: ssh) run its commands on this machine,
 * the controller ("local")? An untrusted source may not (engine/conn.c).
 */
bool transport_on_controller(const char *name);

/*
 * Is connection `name` (NULL: ssh) the SSH transport, which reads
 * OpenSSH's options (ansible_ssh_common_args) and ssh_config?
 */
bool transport_is_ssh(const char *name);

/*
 * Add a kind to the table (for tests: a fake transport). `k` must live as
 * long as the process; a later kind of the same name wins. Not
 * thread-safe: register before any run starts. Returns 0, or -1 with the
 * error set when the table is full.
 */
int transport_register(const struct transport_kind *k);

#endif
