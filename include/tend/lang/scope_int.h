#ifndef TEND_LANG_SCOPE_INT_H
#define TEND_LANG_SCOPE_INT_H

/*
 * What the scope chain (template.h, struct scope) says beside its
 * variables: where relative paths start and what the run may read.
 * scope_get, the variables, is declared in template.h. Internal to
 * runner/lang/.
 */

#include "tend/lang/template.h"

/* The first basedir along the chain, or NULL. */
const char *scope_basedir(const struct scope *s);

/* The first limits along the chain, or limits that allow everything. */
const struct fs_limits *scope_limits(const struct scope *s);

#endif
