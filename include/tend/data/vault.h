#ifndef TEND_DATA_VAULT_H
#define TEND_DATA_VAULT_H

/*
 * Ansible Vault: the "$ANSIBLE_VAULT;1.1;AES256" and
 * "$ANSIBLE_VAULT;1.2;AES256;<vault-id>" formats, read and written
 * byte for byte as ansible-core does, so that files go both ways.
 *
 * The envelope is a header line, then hex wrapped at 80 columns. That
 * hex decodes to three lines, each hex again: the salt (32 random
 * bytes when we write), the HMAC-SHA256 of the ciphertext, and the
 * ciphertext. PBKDF2-HMAC-SHA256 (10,000 iterations) of the password
 * and salt gives 80 bytes: the AES-256 key, the HMAC key, and the
 * initial counter of AES-256-CTR. The plaintext is PKCS#7 padded to
 * 16 bytes first. The HMAC is checked (in constant time) before
 * anything is decrypted. The vault id of 1.2 is not authenticated: it
 * only says which password to try first.
 *
 * Plaintext lands in a struct buf that the caller must free with
 * buf_release_secret(), which wipes it.
 */

#include "tend/util/buf.h"
#include "tend/util/error.h"

/* A vault password and the vault id ("label") it answers to. */
struct vault_key {
	char *label; /* "default" unless given */
	char *pw;    /* not NUL-safe: len bytes */
	size_t len;
};

/* The passwords one run knows; tried in order. */
struct vault_keys {
	struct vault_key *items;
	size_t nr, alloc;
};
#define VAULT_KEYS_INIT { NULL, 0, 0 }

/* Whether text starts with the vault header ("$ANSIBLE_VAULT;"). */
bool vault_is_vault(const char *text, size_t len);

/* Add a copy of the password (len bytes); label NULL means "default". */
void vault_keys_add(struct vault_keys *k, const char *label, const char *pw,
		    size_t len);

/*
 * Add the password in file `path`, as Ansible reads one: if the file is
 * executable it is run (no shell, no arguments; a "NAME-client" script
 * gets "--vault-id LABEL") and its standard output is the password, with
 * line ends stripped; otherwise its contents with surrounding whitespace
 * stripped. An empty password, a script that fails, or an unreadable
 * file is an error naming `path` (returns -1 with the error set).
 */
int vault_keys_add_file(struct vault_keys *k, const char *label,
			const char *path);

/*
 * Add what a --vault-id takes: "LABEL@FILE" or "FILE" (label
 * "default"). Asking on a terminal ("prompt") is refused: runs are
 * unattended.
 */
int vault_keys_add_id(struct vault_keys *k, const char *id);

/* Wipe and free every password; k is empty after. */
void vault_keys_release(struct vault_keys *k);

/*
 * Decrypt the vault text (a whole envelope, header first) into `out`
 * (appended; release it with buf_release_secret). The key whose label
 * matches a 1.2 vault id is tried first, then the others. Returns 0, or
 * -1 with the error set: no password given, an unsupported version or
 * cipher, damaged data (bad hex, truncated, bad padding), or no password
 * whose HMAC matches (a wrong password, or altered data).
 */
int vault_decrypt(struct buf *out, const char *text, size_t len,
		  const struct vault_keys *k);

/*
 * Encrypt `len` bytes with key `key` into a vault envelope appended to
 * `out`: format 1.1, or 1.2 with the key's label unless it is
 * "default". The salt is 32 random bytes. Returns 0, or -1 with the
 * error set (the system's random source failed).
 */
int vault_encrypt(struct buf *out, const void *plain, size_t len,
		  const struct vault_key *key);
/* The same with the salt given (`given_len` bytes; NULL: random). */
int vault_encrypt_salt(struct buf *out, const void *plain, size_t len,
		       const struct vault_key *key, const void *given,
		       size_t given_len);

/*
 * The passwords of this process, which the YAML loader uses for !vault
 * values and whole encrypted files. Set them once at start-up, before
 * anything is loaded, and do not change them while other threads load.
 * vault_set_keys() takes the keys out of `k` (leaving it empty) and
 * wipes the ones it replaces; vault_keys() borrows them.
 */
void vault_set_keys(struct vault_keys *k);
const struct vault_keys *vault_keys(void);

/*
 * If `text` holds a whole vault-encrypted file, replace it with its
 * plaintext using vault_keys() (the ciphertext's buffer is freed).
 * Returns 1 if it was decrypted, 0 if it is no vault data, or
 * TEND_EPARSE after adding "name: <why>" to `d`.
 */
int vault_open_text(struct buf *text, const char *name, struct diags *d);

#endif
