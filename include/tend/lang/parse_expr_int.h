#ifndef TEND_LANG_PARSE_EXPR_INT_H
#define TEND_LANG_PARSE_EXPR_INT_H

/*
 * The expression grammar (after Jinja2's parser.py): literals, names,
 * attributes, subscripts, calls, filters, tests and operators, grouped
 * with Jinja's precedence. Filter and test names are resolved here, so
 * an unknown one is a syntax error. Internal to runner/lang/.
 */

#include "tend/lang/lex_int.h"

/*
 * Parse the expression at the current token; with_cond allows a
 * conditional "a if b else c". Returns it (in the arena), or NULL with
 * the error recorded in p.
 */
struct expr *parse_expr(struct parser *p, bool with_cond);

/* An expression, or an implicit tuple "a, b" (set, for). */
struct expr *parse_tuple(struct parser *p, bool with_cond);

#endif
