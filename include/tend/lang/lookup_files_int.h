#ifndef TEND_LANG_LOOKUP_FILES_INT_H
#define TEND_LANG_LOOKUP_FILES_INT_H

/*
 * The lookups of the controller's files and commands: file, unvault,
 * template,
 * first_found, fileglob, password, pipe, lines (lookup_int.h says what
 * a lookup is). Each appends its results for `terms` to the list `out`.
 * Internal to runner/lang/.
 */

#include "tend/lang/lookup_env_int.h"

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

#endif
