#ifndef TEND_LANG_PARSE_INT_H
#define TEND_LANG_PARSE_INT_H

/*
 * Compiling: template text into a list of nodes (text, {{ }}, if, for,
 * set, raw; comments and whitespace control are applied here), or a
 * bare expression into one expression. Internal to runner/lang/.
 */

#include "tend/lang/ast_int.h"

/*
 * Compile template text into *out ((*out)->body), which the caller
 * frees with ast_free(). On error *out is NULL and the error
 * TEND_EPARSE names the line and column.
 */
int parse_template(struct tpl **out, const char *src);

/*
 * The same with Jinja's trim_blocks (parse_template: on, as Ansible has
 * it) and lstrip_blocks (off) chosen; "{%+" keeps a tag's blanks.
 */
int parse_template_opts(struct tpl **out, const char *src, bool trim_blocks,
			bool lstrip_blocks);

/*
 * parse_template for a string of a playbook (a task argument, a var's
 * value): as Ansible (Templar's escape_backslashes), the backslashes of
 * string literals inside {{ }} are text, not escapes.
 */
int parse_template_playbook(struct tpl **out, const char *src);

/* The same for a whole string that is one expression ((*out)->expr). */
int parse_expression(struct tpl **out, const char *src);

#endif
