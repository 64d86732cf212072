#ifndef TEND_LANG_LOOKUP_INT_H
#define TEND_LANG_LOOKUP_INT_H

/*
 * Ansible's lookup plugins: lookup(NAME, ...), query(NAME, ...) / q(),
 * and the with_NAME loops. Each plugin takes its terms (a list: the
 * call's positional arguments, or a with_ loop's value) and its options
 * (the call's keyword arguments) and returns a list; lookup() then joins
 * a list of strings with ',' as Ansible does (eval.c).
 *
 *	lookup.c        the table, options, and the plugins that compute
 *	                from data: vars, varnames, dict, items, list,
 *	                nested, together, indexed_items, subelements,
 *	                sequence, env
 *	lookup_files.c  those that read (or write) the controller's files
 *	                or run its commands: file, template, first_found,
 *	                fileglob, password, pipe, lines
 *
 * Every file they read goes through readlog_read (util/readlog.h), so
 * git-source confinement and a saved plan's file digests hold. The
 * evaluator hands them what they need of it as hooks (struct
 * lookup_env), so this unit does not depend on eval.c. Internal to
 * runner/lang/.
 */

#include "tend/lang/lookup_env_int.h"
#include "tend/data/val.h"

struct tlookup {
	const char *name;
	/* Append the results for `terms` (a list) to `out` (a list). */
	int (*run)(struct val *out, const struct val *terms,
		   const struct lookup_env *env);
	/* The options it takes, NULL-terminated; others are refused. */
	const char *const *options;
	const char *why; /* not NULL: refused, and why */
};

/*
 * The plugin `name` ("ansible.builtin." prefix allowed), or NULL. A
 * plugin Ansible has and tend does not is found, with `why` set.
 */
const struct tlookup *lookup_find(const char *name);

/*
 * Check that `opt` is an option of l, or one of the call's own
 * (wantlist, errors, allow_unsafe). Returns 0 or -1 with the error set.
 */
int lookup_check_option(const struct tlookup *l, const char *opt);

/*
 * Run l over `terms` (a list) into *out (a new list). Options are
 * checked first; the values are as the plugin made them (the caller
 * flags them unsafe, as Ansible does).
 */
int lookup_run(struct val **out, const struct tlookup *l,
	       const struct val *terms, const struct lookup_env *env);

#endif
