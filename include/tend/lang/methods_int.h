#ifndef TEND_LANG_METHODS_INT_H
#define TEND_LANG_METHODS_INT_H

/*
 * The methods of values that templates call, as Python has them: str's
 * split, strip, lower, startswith, replace, format, join, find, count,
 * isdigit, splitlines ..., dict's keys, values, items, get and copy,
 * list's index and count. Internal to runner/lang/.
 */

#include "tend/lang/targs_int.h"
#include "tend/data/val.h"

/*
 * obj.name(args...) for a defined obj; *out is a new reference. A
 * method that does not exist is an error such as "'str object' has no
 * attribute 'x'".
 */
int methods_call(struct val **out, const struct val *obj, const char *name,
		 const struct targs *a);

#endif
