#ifndef TEND_KNOWNHOSTS_H
#define TEND_KNOWNHOSTS_H

/*
 * OpenSSH known_hosts checking, shared by the SSH transport (which has a
 * libssh2 session of its own) and the git source (which gets the host key
 * from libgit2's certificate callback).
 *
 * A host is named as OpenSSH names it in known_hosts: "host" on port 22,
 * "[host]:port" on any other port. Plain and hashed (`|1|`) entries are
 * understood. Every function takes a LIBSSH2_KNOWNHOSTS made by
 * libssh2_knownhost_init(); the caller frees it.
 */

#include <libssh2.h>


enum ssh_host_key_checking {
	/* unknown or changed host key: refuse (OpenSSH's "yes") */
	SSH_HOST_KEY_STRICT = 0,
	/*
	 * unknown key: append it to known_hosts and go on; a changed key
	 * is still refused (OpenSSH's "accept-new")
	 */
	SSH_HOST_KEY_ACCEPT_NEW,
	/* no checking at all (OpenSSH's "no"; only for throw-away hosts) */
	SSH_HOST_KEY_OFF,
};

/*
 * Parse a host_key_checking setting: "strict", "accept-new", "off", or
 * one of Ansible's booleans (truth_boolean(): "yes", "True", "1", ... are
 * strict, "no", "False", "0", ... are off). Returns 0, or -1 with the
 * error set for anything else.
 */
int knownhosts_parse_checking(enum ssh_host_key_checking *out, const char *s);

/* A bit for a LIBSSH2_KNOWNHOST_KEY_* value, in a mask of key types. */
#define KNOWNHOSTS_KEY_BIT(known) (1 << ((known) >> LIBSSH2_KNOWNHOST_KEY_SHIFT))

/*
 * Read the known_hosts file `path` into `kh`, line by line: a line that
 * libssh2 cannot parse (a marker, a key type it does not know) is skipped
 * and the rest kept, as OpenSSH does. A missing file reads as empty.
 * Returns 0, or -1 with the error set if the file cannot be read.
 * NEEDSWORK: @revoked and @cert-authority lines are skipped, not honoured.
 */
int knownhosts_load(LIBSSH2_KNOWNHOSTS *kh, const char *path);

/*
 * The key types `kh` lists for host `label`, as a mask of
 * KNOWNHOSTS_KEY_BIT(LIBSSH2_KNOWNHOST_KEY_*); 0 if the host is unknown.
 */
int knownhosts_types(LIBSSH2_KNOWNHOSTS *kh, const char *label);

/*
 * Does host key algorithm `alg` ("ssh-ed25519", "rsa-sha2-256", ...)
 * prove a key of a type in `mask`?
 */
bool knownhosts_alg_in_mask(const char *alg, int mask);

/*
 * Check the host key of `label`: `key` is the raw key blob (`len` bytes)
 * and `type` its LIBSSH2_HOSTKEY_TYPE_* (libgit2's git_cert_ssh_raw_type_t
 * uses the same numbers). `kh` holds the entries of `path`, which is only
 * named in messages and, with SSH_HOST_KEY_ACCEPT_NEW, appended to when
 * the host is not listed at all. A listed host with another key of that
 * type, or with keys of other types only, is always refused (a changed
 * key, in every mode).
 *
 * Returns 0 when the key may be trusted, else TEND_EUNREACHABLE with a
 * message that gives the key's SHA256 fingerprint and what to do.
 */
int knownhosts_check(LIBSSH2_KNOWNHOSTS *kh, const char *path,
		     const char *label, const char *key, size_t len, int type,
		     enum ssh_host_key_checking checking);

#endif
