#ifndef TEND_LANG_LOOKUP_FILES_INT_H
#define TEND_LANG_LOOKUP_FILES_INT_H

/*
 * The lookups of the controller's files, commands and network: file,
 * unvault, template, first_found, fileglob, password, pipe, lines, ini,
 * csvfile, url (lookup_int.h says what
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
/* lookup_url.c: URLs fetched from the controller */
int lookup_url(struct val *out, const struct val *terms,
	       const struct lookup_env *env);
/* lookup_ini.c: tables in files */
int lookup_ini(struct val *out, const struct val *terms,
	       const struct lookup_env *env);
int lookup_csvfile(struct val *out, const struct val *terms,
		   const struct lookup_env *env);
/*
 * Their readers, on text (for tests and the fuzz harness): the values of
 * `key` (a regex with is_re) in `section` of INI text, appended to the
 * list `out`; and column `col` (an int or a numeric string) of the CSV
 * row whose first field is `key` in *out (NULL: no such row). Each
 * returns 0, or -1 with the error set as the lookups report it.
 */
int lookup_ini_text(struct val *out, const char *data, size_t len,
		    const char *key, const char *section, bool is_re,
		    bool case_sensitive, bool allow_no_value);
int lookup_csv_text(struct val **out, const char *data, size_t len,
		    const char *key, char delim, const struct val *col);

#endif
