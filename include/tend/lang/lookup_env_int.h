#ifndef TEND_LANG_LOOKUP_ENV_INT_H
#define TEND_LANG_LOOKUP_ENV_INT_H

/*
 * What a lookup plugin is handed (lookup_int.h says what they are).
 * Internal to runner/lang/.
 */

#include "tend/lang/template.h"
#include "tend/lang/targs_int.h"
#include "tend/data/val.h"

struct lookup_env {
	const struct scope *scope;
	const struct targs *a; /* the call's arguments (options: a->kw) */
	bool loop;             /* a with_NAME loop, not a call */
	const char *subdir;    /* first_found: "files", "templates", "vars" */
	/* The value of variable `name`, rendered; undefined if unset. */
	int (*var)(struct val **out, const char *name, void *payload);
	/*
	 * Render `in` (a string or data) as a template in scope s instead
	 * of the caller's; TEND_EUNDEFINED for an undefined variable.
	 */
	int (*render)(struct val **out, const struct val *in,
		      const struct scope *s, void *payload);
	void *payload;
};

/* The option `name` of the call, borrowed, or NULL. */
static inline const struct val *lookup_opt(const struct lookup_env *env,
					   const char *name)
{
	return env->a ? targs_get(env->a, SIZE_MAX, name) : NULL;
}

#endif
