#ifndef TEND_LANG_OPS_INT_H
#define TEND_LANG_OPS_INT_H

/*
 * Python's operators on values, with Python's results and messages:
 * arithmetic (an integer overflow is an error, not a big number), `%`
 * formatting, `~`, comparisons, `in`, subscripts and slices. The
 * operands are evaluated already. Internal to runner/lang/.
 */

#include "tend/data/val.h"

/*
 * a <op> b, op an enum binop (ast_int.h) other than `and` and `or`
 * (which the evaluator short-circuits). Undefined operands are errors.
 * *out is a new reference.
 */
int ops_binop(struct val **out, int op, const struct val *a,
	      const struct val *b);

/* The operator as written ("+", "~", "not in"), for messages. */
const char *ops_name(int op);

/*
 * obj[key]: a missing key or index yields undefined, as in Jinja (its
 * message masks a secret key), and an undefined obj yields itself.
 * *out is a new reference.
 */
int ops_getitem(struct val **out, struct val *obj, const struct val *key);

/*
 * obj[start:stop:step] of a string or list; a NULL bound is an omitted
 * one. *out is a new reference.
 */
int ops_slice(struct val **out, const struct val *obj,
	      const struct val *start, const struct val *stop,
	      const struct val *stepv);

#endif
