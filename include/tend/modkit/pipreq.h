#ifndef TEND_MODKIT_PIPREQ_H
#define TEND_MODKIT_PIPREQ_H

/*
 * Python requirements as Ansible's pip module reads them: the items of
 * `name` (pkg_resources' Requirement.parse, _recover_package_name,
 * canonical names), what `pip list --format=freeze` prints, and release
 * numbers compared for a plan's words. No I/O.
 */

#include "tend/data/val.h"

/* One item of name, parsed as pkg_resources' Requirement.parse. */
struct pipreq {
	bool plain;     /* a requirement (else a URL or a path) */
	char *name;     /* canonical name (plain), else the item */
	char *text;     /* what goes on pip's command line */
	char *pinned;   /* the version of a lone "==V", or NULL */
	bool has_spec;
};

/* Free `nr` parsed items and the array (NULL-safe). */
void pipreq_free(struct pipreq *p, size_t nr);

/*
 * Package.canonicalize_name of the `len` bytes at `s`: runs of "-_."
 * become one "-", letters lower case. The caller frees.
 */
char *pipreq_canon(const char *s, size_t len);

/*
 * Parse one item into *p (its strings the caller frees, pipreq_free):
 * a requirement (name, [extras], specifiers, "; marker" or "@ URL") is
 * plain and its text normalised as str(Requirement) prints it
 * (specifiers sorted, no spaces); anything else (a path, a URL) is kept
 * as is, not plain.
 */
void pipreq_parse(struct pipreq *p, const char *item);

/*
 * Ansible's _recover_package_name: the items of `names` (a list of
 * strings) split on commas, and a bare specifier ("<2") or what is
 * inside [extras] joined back to the package before it. A new list.
 */
struct val *pipreq_recover(const struct val *names);

/*
 * The packages of `names` (recovered, then parsed) with `version` (or
 * NULL) added to the one package as Ansible does: "==V" when V starts
 * with a digit, else " V". Ansible's errors for a version with several
 * packages or with a specifier already in name. *out (nr items) is the
 * caller's (pipreq_free). Returns 0 or -1 with the error set.
 */
int pipreq_build(struct pipreq **out, size_t *nr, const struct val *names,
		 const char *version);

/*
 * `pip list --format=freeze` output (`len` bytes at `s`) as a new dict:
 * canonical name -> version; lines without "==" are left out.
 */
struct val *pipreq_freeze(const char *s, size_t len);

/*
 * Whether `version` satisfies every specifier of a plain `p` (==, ===,
 * !=, >=, <=, >, <, ~=, and "==1.*"), as Ansible's is_satisfied_by,
 * with pipreq_version_cmp's order; false for one that is not plain.
 */
bool pipreq_satisfied(const struct pipreq *p, const char *version);

/*
 * Compare two versions part by part, runs of digits as numbers: < 0,
 * 0, > 0. Pre- and post-release suffixes compare as text (good enough
 * for "upgrade" or "downgrade" in a plan, never for a decision).
 */
int pipreq_version_cmp(const char *a, const char *b);

#endif
