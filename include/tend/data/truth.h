#ifndef TEND_TRUTH_H
#define TEND_TRUTH_H

/*
 * Is this value true? Ansible answers that question with a different rule
 * in each context, and so does tend, but each rule lives here once:
 *
 *   context                                   rule
 *   ---------------------------------------   ----------------------------
 *   module arguments of type bool,            truth_boolean(): Ansible's
 *   playbook keywords (ignore_errors,         boolean(value, strict=True)
 *   become, no_log, gather_facts,
 *   any_errors_fatal, ...), the boolean
 *   form of host_key_checking, the
 *   `truthy(convert_bool=True)` test
 *
 *   a conditional's final value (when:,       truth_python(): Python's
 *   changed_when:, failed_when:, assert's     bool(), which is also what
 *   that:), `{% if %}`, `ternary`,            Jinja's `if` uses
 *   `default(x, true)`, a result's
 *   `changed`/`failed` flag
 *
 *   the `bool` filter                         truth_to_bool(): Ansible's
 *                                             filter core.py to_bool()
 *
 * The three rules disagree on purpose, as Ansible's do: "off" is false to
 * truth_boolean() and truth_to_bool() but true to truth_python() (a
 * non-empty string); "y" is true only to truth_boolean(); "bogus" is an
 * error to truth_boolean(), false to truth_to_bool() and true to
 * truth_python().
 *
 * A conditional evaluates its expression before truth_python() sees the
 * value; when that expression was a template ("{{ x }}") whose result is
 * a string, the string is evaluated once more as an expression, as
 * Ansible's Conditional does (see expr_eval_bool() in template.h). That
 * is why `when: "{{ x }}"` with x = "False" is false and with x = "yes"
 * is an error ('yes' is undefined), while `when: x` with x = "no" is
 * true.
 *
 * YAML 1.1's yes/no/on/off scalars are a fourth thing, decided by the
 * YAML loader before any of these sees the value (a bool, not a string).
 *
 * This file knows nothing of templates or playbooks: it takes a value and
 * answers. Nothing here allocates or keeps a pointer.
 */

#include "tend/data/val.h"

/*
 * Ansible's boolean(value, strict=True) (module_utils/parsing/
 * convert_bool.py): a bool as is; the strings y, yes, on, 1, true, t are
 * true and n, no, off, 0, false, f are false, case-insensitively and with
 * surrounding whitespace ignored (2.14 strips); the numbers 1 and 1.0 are
 * true and 0 and 0.0 (also -0.0) are false. Anything else (other numbers,
 * "", null, a list or dict) returns -1 with the error set to "the value
 * '...' is not a valid boolean ..."; a caller that reports its own
 * message clears it. *out is only written on success.
 */
int truth_boolean(bool *out, const struct val *v);

/*
 * Python's bool(v), which Jinja's `if`, `not`, `and`, `or` use: null,
 * false, 0, 0.0, "", [] and {} are false, everything else is true (so the
 * strings "no", "false", "0" and "off" are true). NULL is false. Cannot
 * fail; the value is not converted first.
 */
bool truth_python(const struct val *v);

/*
 * Ansible's `bool` filter (plugins/filter/core.py to_bool): a bool as is;
 * a string is true when, lowered (not stripped), it is yes, on, 1 or
 * true; a number is true when it equals 1; everything else, "y", "t",
 * " yes" and "2" included, is false. Ansible returns None for None: the
 * filter does that itself, this returns false for null.
 */
bool truth_to_bool(const struct val *v);

#endif
