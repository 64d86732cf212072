#ifndef TEND_LANG_DATETIME_INT_H
#define TEND_LANG_DATETIME_INT_H

/*
 * Python's naive datetime.datetime and datetime.timedelta, as far as
 * playbooks use them: to_datetime (and now()) make a datetime; two
 * datetimes subtract to a timedelta, a timedelta adds to one; both
 * compare; a datetime has year ... microsecond, weekday(),
 * isoweekday() and isoformat(), a timedelta days, seconds,
 * microseconds and total_seconds(). Everything else Python has is
 * refused with an error that says so.
 *
 * A value is a string flagged TEMPLATE_F_DATETIME or _TIMEDELTA
 * (value_int.h) whose text is its str() ("2024-01-31 10:00:00",
 * "-1 day, 23:00:00.5"); the functions below read it back from that
 * text. Such a value never leaves an evaluation: datetime_settle() turns
 * a template's result into its text, as Ansible's to_text does.
 *
 * Functions return 0 or <0 with the error set; *out is a new reference.
 * Internal to runner/lang/.
 */

#include "tend/lang/targs_int.h"
#include "tend/data/val.h"

/* datetime.strptime(s, fmt) (the directives tend reads: see the .c). */
int datetime_strptime(struct val **out, const char *s, const char *fmt);

/* The binary operator `op` (ast_int.h) with a datetime or a timedelta. */
int datetime_binop(struct val **out, int op, const struct val *a,
		   const struct val *b);

/* obj.name of a datetime or timedelta. */
int datetime_getattr(struct val **out, const struct val *obj,
		     const char *name);

/* obj.name(args) of a datetime or timedelta. */
int datetime_method(struct val **out, const struct val *obj, const char *name,
		    const struct targs *a);

/*
 * The filter `name` applied to a datetime or timedelta `in`: string,
 * default, d and mandatory; any other is refused.
 */
int datetime_filter(struct val **out, const char *name, struct val *in);

/*
 * A template's result as it leaves the evaluator: a datetime or
 * timedelta becomes its plain text (*v replaced); one inside a list or
 * dict is refused (Ansible would print its repr).
 */
int datetime_settle(struct val **v);

#endif
