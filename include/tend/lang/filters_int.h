#ifndef TEND_LANG_FILTERS_INT_H
#define TEND_LANG_FILTERS_INT_H

/*
 * Filters and tests by name, over all the families of filter_int.h. The
 * parser resolves `x | name` and `x is name` when it compiles; map,
 * select and friends, and the str methods that are filters, apply them
 * by name when they run. Internal to runner/lang/.
 */

#include "tend/lang/filter_int.h"
#include "tend/data/val.h"

/* The filter / test called `name`, or NULL. */
const struct tfilter *template_filter_find(const char *name);
/*
 * What filter f returned (`out`, whose reference this takes), flagged
 * TEMPLATE_F_TEXT (value_int.h) when f is one of Ansible's
 * STRING_TYPE_FILTERS and it is a string (a copy: never the filter's
 * input itself).
 */
struct val *template_filter_text(const struct tfilter *f, struct val *out);
const struct ttest *template_test_find(const char *name);
const char *template_name_guess(const char *name, bool test);

/*
 * Why tend refuses Ansible's filter `name` (static text), or NULL if it
 * is not one of those it knows and refuses.
 */
const char *template_filter_refused(const char *name);

/*
 * 0 if filter f takes `in` (its flags say what undefined and Markup
 * input it takes), else <0 with the error set.
 */
int template_filter_takes(const struct tfilter *f, const struct val *in);

/*
 * Apply a filter / test by name, with the error set if it is unknown.
 * Undefined input is an error unless the filter or test takes it (its
 * flags). `c` may be NULL for the filters and tests that ignore it.
 */
int template_filter_apply(struct val **out, const char *name, struct val *in,
			  const struct targs *a, struct tctx *c);
int template_test_apply(bool *out, const char *name, struct val *in,
			const struct targs *a, struct tctx *c);

#endif
