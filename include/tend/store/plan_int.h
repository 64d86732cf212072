#ifndef TEND_STORE_PLAN_INT_H
#define TEND_STORE_PLAN_INT_H

/*
 * Between the plan file's writer and reader (plan.c) and what it binds
 * (plan_bind.c). Every digest is Argon2id by the plan's hasher, in hex.
 */

#include "tend/store/plan.h"
#include "tend/util/pwhash.h"

/* The digest of a playbook with what sits beside it, of an inventory. */
int plan_digest_playbook(char out[PWHASH_HEX], const char *playbook,
			 struct pwhash *h);
int plan_digest_inventory(char out[PWHASH_HEX], const char *inventory,
			  struct pwhash *h);

/* *out: the "files" list, a {path, argon2id} per file b->reads holds. */
int plan_bind_files(struct val **out, const struct plan_bind *b);

/*
 * Set opts.extra_vars (the vars with no secret in them, as they are) and
 * opts.secrets (name -> digest of each other var) from `extra_vars`.
 */
int plan_bind_extra_vars(struct val *opts, const struct val *extra_vars,
			 struct pwhash *h);

/* Set doc.kdf: the algorithm, its limits and the hasher's salt. */
void plan_bind_kdf(struct val *doc, struct pwhash *h);

#endif
