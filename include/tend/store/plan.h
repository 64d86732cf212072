#ifndef TEND_PLAN_H
#define TEND_PLAN_H

/*
 * Saved plans: `tend plan --out plan.json` writes the plan as a file that
 * `tend apply plan.json` executes, refusing hosts whose state moved since.
 * The format is documented in docs/plan-format.md ("kind": "tend-plan").
 *
 * What a plan file pins:
 *  - the inputs: a SHA-256 of each playbook's inputs (the playbook, and
 *    the templates/, files/, tasks/, vars/, group_vars/, host_vars/ and
 *    YAML files beside it), of the inventory, and the source commit;
 *  - the options: extra vars (secret values only as hashes), limit, tags;
 *  - per host and task: the action, diff, attribute changes and the
 *    fingerprint of what the check observed (struct run_event).
 * Secret values never enter the file: a var flagged VAL_F_SECRET is kept
 * as {"secret_sha256": HEX}, and diffs of secret content are not shown.
 */

#include "tend/data/result.h"
#include "tend/data/val.h"

struct plan_meta {
	const char *const *playbooks; /* paths as given */
	size_t playbooks_nr;
	const char *inventory;        /* -i as given, or NULL */
	const struct val *extra_vars; /* dict, or NULL */
	const char *limit;
	const struct val *tags, *skip_tags; /* lists, or NULL */
	const char *commit;           /* source commit, or NULL */
	const char *subject;          /* its subject line, or NULL */
	const char *author;           /* its author, or NULL */
	const char *source_url;       /* --repo, or NULL */
	const char *source_ref;       /* --ref, or NULL */
	const char *const *repo_paths; /* playbooks as paths in the repo */
};

/* Write the plan file (atomically). Returns 0 or -1 with the error set. */
int plan_write(const char *path, const struct run_result *r,
	       const struct plan_meta *m);

/*
 * Read a plan file into *out (a new dict, the caller's) and check the
 * whole document against the schema of what plan_write writes: its kind
 * and format_version first, then every field's type (null only where
 * plan_write may write null), the action names, the form of redacted
 * secrets, and that a plan of a --repo source has a ref and a repo_path
 * per playbook. Unknown keys are ignored (fields are only ever added
 * within a format version). Returns 0, or -1 with an error of one line
 * per problem (up to 10, then a count), each naming the file and the
 * JSON path: "'plan.json': options.tags: expected a list of strings, got
 * a string".
 *
 * The other plan_* readers below take a plan from plan_load and rely on
 * these types.
 */
int plan_load(struct val **out, const char *path);

/*
 * Is `path`, given as apply's one argument, meant as a plan file? It is
 * when it ends in ".json" and does not hold a JSON list (which would be a
 * playbook written as JSON); plan_load then says what is wrong with it, if
 * anything. Reads at most the file's leading blanks and first byte.
 */
bool plan_is_file(const char *path);

/* SHA-256 (hex) of a playbook's inputs, and of an inventory. */
int plan_hash_playbook(char out[65], const char *playbook);
int plan_hash_inventory(char out[65], const char *inventory);

/*
 * Check the plan's inputs against the files as they are now. On a
 * difference, returns TEND_ESTALE with the error naming what changed.
 */
int plan_check_inputs(const struct val *plan);

/*
 * The extra vars to apply the plan with: the plan's own, with each
 * secret taken from `secrets` (a dict, or NULL) and checked against its
 * hash. Returns TEND_ESTALE if a secret is missing or differs.
 */
int plan_extra_vars(struct val **out, const struct val *plan,
		    const struct val *secrets);

/*
 * Compare a fresh check of the hosts (`now`, a RUN_PLAN result) with the
 * plan. *stale gets a dict: host → text saying what moved (the first
 * task whose fingerprint differs, with its new diff). Hosts of the plan
 * missing from `now` are stale too. *out is a new reference.
 */
int plan_compare(struct val **stale, const struct val *plan,
		 const struct run_result *now);

/* The hosts of the plan, as a list of names (new reference). */
struct val *plan_hosts(const struct val *plan);

#endif
