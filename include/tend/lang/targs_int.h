#ifndef TEND_LANG_TARGS_INT_H
#define TEND_LANG_TARGS_INT_H

/*
 * The arguments of a filter, test, call or method, evaluated before the
 * call, and how the callee reads them: by position or by keyword, as
 * Python binds them. Internal to runner/lang/.
 */

#include "tend/data/val.h"

/* Arguments of a filter, test, call or method, all evaluated (borrowed). */
#define TEMPLATE_MAX_ARGS 16
struct targs {
	size_t npos, nkw;
	struct val *pos[TEMPLATE_MAX_ARGS];
	const char *kwname[TEMPLATE_MAX_ARGS];
	struct val *kw[TEMPLATE_MAX_ARGS];
};

/*
 * Positional argument i, else the keyword argument `name` (NULL for
 * none), else NULL; borrowed. SIZE_MAX as i asks for a keyword only.
 */
struct val *targs_get(const struct targs *a, size_t i, const char *name);

/*
 * A string argument, as targs_get() finds it: *out is borrowed from
 * `a`, or `def` when the argument is absent. Absent with def NULL (a
 * required argument), or not a string, is an error that names `who`.
 */
int targs_str(const char **out, const struct targs *a, size_t i,
	      const char *name, const char *def, const char *who);

/*
 * An integer argument: bools count as 0 and 1, floats are truncated,
 * absent or None gives `def`; anything else is an error naming `who`.
 */
int targs_int(long long *out, const struct targs *a, size_t i,
	      const char *name, long long def, const char *who);

/* The truth of an argument (Python's), or `def` when it is absent. */
bool targs_bool(const struct targs *a, size_t i, const char *name, bool def);

/*
 * The REGEX_* flags (tend/regex.h) of Ansible's `ignorecase` and
 * `multiline` arguments, at those positions or by keyword.
 */
unsigned int targs_re_flags(const struct targs *a, size_t ignorecase_pos,
			    size_t multiline_pos);

#endif
