#ifndef TEND_LANG_EVAL_INT_H
#define TEND_LANG_EVAL_INT_H

/*
 * The evaluator: the value of an expression (ast_int.h) in a context.
 * Names are looked up in the template's locals, then in the scope
 * chain; a variable whose value holds templates is rendered first, in
 * the same scope (lazy templating, as Ansible does). That rendering is
 * the renderer's (render.c), which hands it to the evaluator as the
 * context's `render` hook: the evaluator knows expressions only.
 * Internal to runner/lang/.
 */

#include "tend/lang/template.h"
#include "tend/lang/ast_int.h"
#include "tend/data/val.h"

/* A dict of template locals ({% set %}, loop variables) and its parent. */
struct frame {
	struct frame *up;
	struct val *locals;
};

/*
 * Evaluation state. Copy it (`struct tctx sub = *c;`) to change a field
 * for a nested evaluation.
 */
struct tctx {
	const struct scope *scope;
	struct frame *frame;
	int depth;
	bool *secret; /* set when a secret value is output */
	bool *unsafe; /* set when an unsafe value is read (Ansible's
			 AnsibleContext.unsafe): what the template makes
			 of it is unsafe too, and never rendered again */
	/*
	 * Render in (a value that needs it, template_needs_render()) into
	 * *out as a variable's value, in context c (its depth one deeper):
	 * render.c's render_value.
	 */
	int (*render)(struct val **out, const struct val *in, struct tctx *c);
};

/*
 * Evaluate e in c. *out is a new reference, possibly undefined
 * (value_int.h): whether that is an error is the caller's to say. A
 * value read that is flagged VAL_F_UNSAFE sets *c->unsafe.
 */
int eval_expr(struct val **out, const struct expr *e, struct tctx *c);

struct targs;

/*
 * Run lookup plugin `name` over `terms` (a list) into *out (a new list,
 * as the plugin made it): a call's arguments in `a` (its options), or a
 * with_NAME loop with `a` NULL and `subdir` where first_found looks.
 */
int eval_lookup(struct val **out, const char *name, const struct val *terms,
		const struct targs *a, const char *subdir, struct tctx *c);
/*
 * template_render_str() with Jinja's trim_blocks and lstrip_blocks
 * chosen (env.c: a template file's environment).
 */
int template_render_str_opts(struct buf *out, const char *src,
			     bool trim_blocks, bool lstrip_blocks,
			     const struct scope *s);

#endif
