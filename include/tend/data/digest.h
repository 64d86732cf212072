#ifndef TEND_DATA_DIGEST_H
#define TEND_DATA_DIGEST_H

/*
 * The digest for `purpose` of a value (util/pwhash.h: Argon2id, then
 * BLAKE2b of the purpose), for a saved plan to bind a secret without
 * holding it: of the whole value, nested secrets included, with its
 * types (1 and "1" differ). Equal values digest alike under one hasher
 * and purpose; the text hashed never leaves the call (it is wiped).
 */

#include "tend/data/val.h"
#include "tend/util/pwhash.h"

/* Returns 0, or -1 with the error set (Argon2id got no memory). */
int val_digest(char out[PWHASH_HEX], const struct val *v, struct pwhash *h,
	       const char *purpose);

#endif
