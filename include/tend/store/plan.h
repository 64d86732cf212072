#ifndef TEND_PLAN_H
#define TEND_PLAN_H

/*
 * Saved plans: `tend plan --out plan.json` writes the plan as a file that
 * `tend apply plan.json` executes, refusing hosts whose state moved since.
 * The format is documented in docs/plan-format.md ("kind": "tend-plan").
 *
 * What a plan file binds, each as an Argon2id digest with a salt of its
 * own (util/pwhash.h; the salt and limits in "kdf"):
 *  - the inputs: each playbook with what sits beside it (the templates/,
 *    files/, tasks/, vars/, group_vars/, host_vars/ and YAML files of its
 *    directory), the inventory, the source commit (as it is), and every
 *    file the run read (util/readlog.h: vars files, task files, copy and
 *    template sources, lookups);
 *  - the options: extra vars, limit, tags; secret vars only by digest;
 *  - per host and task: the action, diff, attribute changes, the
 *    fingerprint of what the check observed and the args_fingerprint of
 *    what the task runs (struct run_event).
 * Secret values never enter the file: a var holding a value flagged
 * VAL_F_SECRET is left out of options.extra_vars and named in
 * options.secrets with its digest, and diffs of secret content are not
 * shown.
 */

#include "tend/data/result.h"
#include "tend/data/val.h"

struct pwhash;
struct readlog;

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

/* How a plan binds what it read, at plan and at apply time. */
struct plan_bind {
	struct pwhash *hasher; /* the digests; its salt goes in the plan */
	struct readlog *reads; /* the files the run read */
	/*
	 * The files beneath this directory are named relative to it (so a
	 * checkout elsewhere still matches): the source's checkout, or the
	 * first playbook's directory.
	 */
	const char *root;
};

/*
 * Write the plan file (atomically). `b` gives the hasher (its salt is
 * stored in the plan) and the files the run read. Returns 0 or -1 with
 * the error set.
 */
int plan_write(const char *path, const struct run_result *r,
	       const struct plan_meta *m, const struct plan_bind *b);

/*
 * Read a plan file into *out (a new dict, the caller's) and check the
 * whole document against the schema of what plan_write writes: its kind
 * and format_version first (a plan of another format is refused by
 * name), then every field's type (null only where plan_write may write
 * null), the action names, the digests' and salt's form, the kdf being
 * ours, no var both among the extra vars and the secrets, and that a plan
 * of a --repo source has a ref and a repo_path per playbook. Unknown keys are ignored (fields are only ever added
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

/* A hasher with the plan's salt (pwhash_free it). */
struct pwhash *plan_hasher(const struct val *plan);

/*
 * Check the plan's playbooks and inventory against the files as they are
 * now. On a difference, returns TEND_ESTALE with the error naming what
 * changed.
 */
int plan_check_inputs(const struct val *plan, struct pwhash *h);

/*
 * Check every file the plan's run read against what this run read (or,
 * for a file it did not read, the file as it is now). Returns 0, or
 * TEND_ESTALE with the error naming each file that changed or cannot be
 * read: "'/etc/app/vars.yml' changed since the plan".
 */
int plan_check_files(const struct val *plan, const struct plan_bind *b);

/*
 * The extra vars to apply the plan with: the plan's own, and each of its
 * secrets taken from `secrets` (a dict, or NULL) and checked against its
 * digest. Returns TEND_ESTALE if a secret is missing or differs.
 */
int plan_extra_vars(struct val **out, const struct val *plan,
		    const struct val *secrets, struct pwhash *h);

/*
 * Compare a fresh check of the hosts (`now`, a RUN_PLAN result made with
 * the plan's hasher) with the plan. *stale gets a dict: host → text
 * saying what moved (the first task whose arguments or fingerprint
 * differ, with its new diff). Hosts of the plan
 * missing from `now` are stale too. *out is a new reference.
 */
int plan_compare(struct val **stale, const struct val *plan,
		 const struct run_result *now);

/* The hosts of the plan, as a list of names (new reference). */
struct val *plan_hosts(const struct val *plan);

#endif
