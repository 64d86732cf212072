#ifndef TEND_UTIL_PWHASH_H
#define TEND_UTIL_PWHASH_H

/*
 * Digests that resist a dictionary attack, for what a saved plan must
 * bind without giving it away: secret values, and files that may hold
 * secrets. A datum's key is Argon2id (libsodium crypto_pwhash,
 * ALG_ARGON2ID13, the interactive limits: 2 passes over 64 MiB, about
 * 0.1 s) of its SHA-256, with a random salt per plan; a digest is
 * BLAKE2b keyed with that key of a `purpose` ("var", "file" ...). Testing
 * one guess of a leaked plan's secret costs an Argon2id; a table made
 * for one plan does not fit another; and the digests of one datum for two
 * purposes cannot be told to be of one datum, so a plan may publish one
 * (a secret var's) while another (the same secret inside a command) is
 * only hashed on.
 *
 * Each distinct datum is hashed once per hasher, whatever the purposes
 * (a cache of keys by SHA-256, in memory only, wiped on free), and one
 * hash runs at a time, so the executor's threads never need more than
 * 64 MiB for it at once.
 */

#include <stdbool.h>
#include <stddef.h>

#define PWHASH_SALT_BYTES 16
#define PWHASH_HEX 65 /* 32 bytes in hex, and the NUL */

/* The parameters, as a plan file names them (kdf.name and the limits). */
#define PWHASH_NAME "argon2id13"
unsigned long long pwhash_opslimit(void);
size_t pwhash_memlimit(void);

struct pwhash;

/*
 * A hasher with this salt, or a new random salt if `salt` is NULL.
 * Free it with pwhash_free.
 */
struct pwhash *pwhash_new(const unsigned char *salt);
void pwhash_free(struct pwhash *h);

/* The salt (PWHASH_SALT_BYTES, borrowed). */
const unsigned char *pwhash_salt(const struct pwhash *h);

/*
 * The digest for `purpose` of `len` bytes of `data`, in hex. Thread-safe.
 * Returns 0, or -1 with the error set when Argon2id cannot get its
 * memory.
 */
int pwhash_digest(char out[PWHASH_HEX], struct pwhash *h, const char *purpose,
		  const void *data, size_t len);

/* As pwhash_digest, of data whose SHA-256 is `sha256`. */
int pwhash_digest_sha256(char out[PWHASH_HEX], struct pwhash *h,
			 const char *purpose, const unsigned char sha256[32]);

#endif
