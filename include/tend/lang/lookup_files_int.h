#ifndef TEND_LANG_LOOKUP_FILES_INT_H
#define TEND_LANG_LOOKUP_FILES_INT_H

/*
 * The lookups of the controller's files and commands: file, unvault,
 * template, first_found, fileglob, password, pipe, lines, ini, csvfile (lookup_int.h says what
 * a lookup is). Each appends its results for `terms` to the list `out`.
 * Internal to runner/lang/.
 */

#include "tend/lang/lookup_env_int.h"
#include "tend/util/buf.h"

/*
 * Find `name` (under SUBDIR of the role or the base directory, as
 * Ansible's find_file_in_search_path) and read it into `data`, decrypted
 * if it is vault data (*secret then true); `who` names the lookup in
 * errors. Returns 0, TEND_ENOTFOUND, or another error, with it set.
 */
int lookup_read_file(struct buf *data, bool *secret,
		     const struct lookup_env *env, const char *subdir,
		     const char *name, const char *who);

int lookup_file(struct val *out, const struct val *terms,
		const struct lookup_env *env);
int lookup_unvault(struct val *out, const struct val *terms,
		   const struct lookup_env *env);
int lookup_template(struct val *out, const struct val *terms,
		    const struct lookup_env *env);
int lookup_first_found(struct val *out, const struct val *terms,
		       const struct lookup_env *env);
int lookup_fileglob(struct val *out, const struct val *terms,
		    const struct lookup_env *env);
int lookup_password(struct val *out, const struct val *terms,
		    const struct lookup_env *env);
int lookup_pipe(struct val *out, const struct val *terms,
		const struct lookup_env *env);
int lookup_lines(struct val *out, const struct val *terms,
		 const struct lookup_env *env);
/* lookup_ini.c: tables in files */
int lookup_ini(struct val *out, const struct val *terms,
	       const struct lookup_env *env);
int lookup_csvfile(struct val *out, const struct val *terms,
		   const struct lookup_env *env);

#endif
