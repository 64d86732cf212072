#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/template.h"
#include "tend/lang/eval_int.h"
#include "tend/lang/parse_int.h"
#include "tend/lang/ast_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/datetime_int.h"
#include "tend/data/val.h"
#include "tend/data/pyliteral.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <sodium.h>

/*
 * Rendering: templates into text, values for use as data, and the
 * public API of tend/lang/template.h (the functions of that header that
 * are not here are in value.c and eval.c).
 */

/* Lazy templating of variables nests at most this deep. */
#define MAX_RENDER_DEPTH 40

/*
 * Rendering
 */

static int render_nodes(struct buf *out, const struct node *n,
			struct tctx *c);

/*
 * Secret text (template.h): what rendering records of the secrets it
 * outputs, so that the engine can scrub them wherever they come back.
 */

static struct val *secret_sink(const struct scope *s)
{
	for (; s; s = s->parent)
		if (s->secret_text)
			return s->secret_text;
	return NULL;
}

static void record_piece(struct val *sink, const char *s, size_t len)
{
	char *k;

	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len < TEMPLATE_MIN_SECRET_TEXT)
		return;
	k = xstrndup(s, len);
	if (!val_dict_get(sink, k))
		val_dict_set(sink, k, val_null());
	sodium_memzero(k, len);
	free(k);
}

/*
 * Record text: whole, and each line of it (a command that prints it
 * gives it back line by line), split at NUL bytes too (dict keys are C
 * strings).
 */
static void record_text(struct val *sink, const char *s, size_t len)
{
	const char *end = s + len;

	record_piece(sink, s, strnlen(s, len));
	while (s < end) {
		size_t n = strcspn(s, "\n");

		if (n > (size_t)(end - s))
			n = (size_t)(end - s);
		if (n < len)
			record_piece(sink, s, strnlen(s, n));
		s += n;
		while (s < end && (*s == '\n' || !*s))
			s++;
	}
}

/* Record every secret string in v (all of it when `inherited`). */
static void record_value(struct val *sink, const struct val *v,
			 bool inherited)
{
	bool secret = inherited || (v->flags & VAL_F_SECRET);

	if (v->type == VAL_STR && secret)
		record_text(sink, v->u.s.ptr, v->u.s.len);
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		record_value(sink, v->u.list.items[i], secret);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		record_value(sink, v->u.dict.items[i].v, secret);
}

/*
 * A {{ }} printed `v`, which holds a secret, as out[start..]: the
 * template's text is secret now, and what was printed is recorded.
 */
static void output_secret(struct tctx *c, const struct val *v,
			  const struct buf *out, size_t start)
{
	struct val *sink = secret_sink(c->scope);

	if (c->secret)
		*c->secret = true;
	if (!sink)
		return;
	record_text(sink, out->ptr + start, out->len - start);
	if (v->type != VAL_STR)
		record_value(sink, v, false);
}

/* Bind one or several names (unpacking a list) in `locals`. */
static int bind_names(struct val *locals, const struct name_list *names,
		      struct val *v)
{
	size_t count = 0, i = 0;

	if (!names->next) {
		val_dict_set(locals, names->name, val_ref(v));
		return 0;
	}
	for (const struct name_list *n = names; n; n = n->next)
		count++;
	if (template_is_undef(v) || v->type != VAL_LIST ||
	    v->u.list.nr != count)
		return tend_error_set("cannot unpack %s into %zu names",
				      template_type_name(v), count);
	for (const struct name_list *n = names; n; n = n->next)
		val_dict_set(locals, n->name, val_ref(v->u.list.items[i++]));
	return 0;
}

/* The items a for loop walks: a list's items, a dict's keys, a str's chars. */
static int iter_items(struct val **out, struct val *v)
{
	int error;

	if ((error = template_need(v)) < 0)
		return error;
	switch (v->type) {
	case VAL_LIST:
		*out = val_ref(v);
		return 0;
	case VAL_DICT:
		*out = val_list();
		for (size_t i = 0; i < v->u.dict.nr; i++)
			val_list_push(*out, val_str(v->u.dict.items[i].key));
		break;
	case VAL_STR:
		/* its characters (UTF-8), and no datetime's */
		if ((error = template_items_of(out, v, "for")) < 0)
			return error;
		break;
	default:
		return tend_error_set("'%s' object is not iterable",
				      template_type_name(v));
	}
	/*
	 * The characters of a secret string are secret; the keys of a
	 * secret dict are names, not secrets (its values are flagged).
	 */
	if (v->type == VAL_STR && (v->flags & VAL_F_SECRET))
		*out = val_secret(*out);
	return 0;
}

static int render_for(struct buf *out, const struct node *n, struct tctx *c)
{
	struct val *seq = NULL, *items = NULL;
	struct frame f = { c->frame, NULL };
	struct tctx sub = *c;
	size_t len;
	int error;

	if ((error = eval_expr(&seq, n->e, c)) < 0 ||
	    (error = iter_items(&items, seq)) < 0)
		goto out;
	/* how many times the body is printed may tell of a secret */
	if (val_holds_secret(seq) && c->secret)
		*c->secret = true;
	sub.frame = &f;
	if (n->filter) {
		struct val *kept = val_list();

		for (size_t i = 0; i < items->u.list.nr; i++) {
			struct val *cond = NULL;
			bool t = false;

			f.locals = val_dict();
			if ((error = bind_names(f.locals, n->names,
						items->u.list.items[i])) < 0 ||
			    (error = eval_expr(&cond, n->filter, &sub)) < 0 ||
			    (error = template_truthy(&t, cond)) < 0) {
				val_unref(cond);
				val_unref(kept);
				goto out;
			}
			val_unref(cond);
			val_unref(f.locals);
			f.locals = NULL;
			if (t)
				val_list_push(kept, val_ref(items->u.list.items[i]));
		}
		val_unref(items);
		items = kept;
	}
	len = items->u.list.nr;
	for (size_t i = 0; i < len; i++) {
		struct val *loop = val_dict();

		val_unref(f.locals);
		f.locals = val_dict();
		if ((error = bind_names(f.locals, n->names,
					items->u.list.items[i])) < 0) {
			val_unref(loop);
			goto out;
		}
		val_dict_set_int(loop, "index", (long long)i + 1);
		val_dict_set_int(loop, "index0", (long long)i);
		val_dict_set_int(loop, "revindex", (long long)(len - i));
		val_dict_set_int(loop, "revindex0", (long long)(len - i - 1));
		val_dict_set_bool(loop, "first", i == 0);
		val_dict_set_bool(loop, "last", i + 1 == len);
		val_dict_set_int(loop, "length", (long long)len);
		val_dict_set(loop, "previtem",
			     i ? val_ref(items->u.list.items[i - 1]) :
				 template_undef("there is no previous item"));
		val_dict_set(loop, "nextitem",
			     i + 1 < len ? val_ref(items->u.list.items[i + 1]) :
					   template_undef("there is no next item"));
		val_dict_set(f.locals, "loop", loop);
		if ((error = render_nodes(out, n->body, &sub)) < 0)
			goto out;
	}
	if (!len)
		error = render_nodes(out, n->orelse, c);
out:
	val_unref(f.locals);
	val_unref(items);
	val_unref(seq);
	return error;
}

/* The dict {% set %} writes to: the innermost frame's. */
static struct val *set_target(struct tctx *c)
{
	return c->frame->locals;
}

static int render_nodes(struct buf *out, const struct node *n, struct tctx *c)
{
	int error = 0;

	for (; n && !error; n = n->next) {
		struct val *v = NULL;
		bool t;

		switch (n->type) {
		case N_TEXT:
			buf_add(out, n->text, n->len);
			break;
		case N_OUT: {
			size_t start = out->len;

			if ((error = eval_expr(&v, n->e, c)) < 0 ||
			    (error = template_need_deep(v)) < 0 ||
			    (error = datetime_settle(&v)) < 0)
				break;
			/* Ansible's finalize: None prints as nothing */
			if (v->type != VAL_NULL)
				template_to_str(out, v);
			if (val_holds_secret(v))
				output_secret(c, v, out, start);
			break;
		}
		case N_IF:
			if ((error = eval_expr(&v, n->e, c)) < 0 ||
			    (error = template_truthy(&t, v)) < 0)
				break;
			/* which branch is printed may tell of a secret */
			if (val_holds_secret(v) && c->secret)
				*c->secret = true;
			error = render_nodes(out, t ? n->body : n->orelse, c);
			break;
		case N_FOR:
			error = render_for(out, n, c);
			break;
		case N_SET:
			if ((error = eval_expr(&v, n->e, c)) < 0)
				break;
			error = bind_names(set_target(c), n->names, v);
			break;
		case N_SETBLOCK: {
			struct buf b = BUF_INIT;

			if ((error = render_nodes(&b, n->body, c)) < 0) {
				buf_release(&b);
				break;
			}
			v = template_str_result(&b);
			error = bind_names(set_target(c), n->names, v);
			break;
		}
		}
		val_unref(v);
	}
	return error;
}

/*
 * The one output node of a template that is only "{{ expr }}", possibly
 * followed by whitespace (*padded), or NULL. As in Ansible, text before
 * it makes the result a string.
 */
static const struct node *single_output(const struct tpl *t, bool *padded)
{
	const struct node *n = t->body;

	*padded = false;
	if (!n || n->type != N_OUT)
		return NULL;
	for (const struct node *m = n->next; m; m = m->next) {
		if (m->type != N_TEXT)
			return NULL;
		for (size_t i = 0; i < m->len; i++)
			if (!isspace((unsigned char)m->text[i]))
				return NULL;
		*padded = true;
	}
	return n;
}

/* Render a whole template in a fresh frame (for {% set %}). */
static int render_tpl(struct buf *out, const struct tpl *t, struct tctx *c)
{
	struct frame f = { c->frame, val_dict() };
	struct tctx sub = *c;
	int error;

	sub.frame = &f;
	error = render_nodes(out, t->body, &sub);
	val_unref(f.locals);
	return error;
}

/*
 * Render a string: native value for a lone "{{ expr }}", else text.
 */
/* How many '\n' end s (Ansible's _count_newlines_from_end). */
static size_t trailing_newlines(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[len - 1 - n] == '\n')
		n++;
	return n;
}

/*
 * A string rendered as text, as Ansible's do_template does it: Jinja
 * drops the source's final newline (so trim_blocks cannot eat it), then
 * Ansible adds back the newlines the output lacks at its end. *t is the
 * whole source's compiled form; it is replaced when the text is
 * compiled again without that newline.
 */
static int render_text(struct val **out, const struct val *in,
		       struct tpl **t, struct tctx *c)
{
	const char *src = in->u.s.ptr;
	size_t len = in->u.s.len, want = trailing_newlines(src, len);
	struct buf b = BUF_INIT;
	char *cut = NULL; /* the compiled text points into it */
	int error;

	if (want && strlen(src) == len) {
		struct tpl *t2 = NULL;

		cut = xstrndup(src, len - 1);
		if ((error = parse_template_playbook(&t2, cut)) < 0)
			goto out;
		ast_free(*t);
		*t = t2;
	}
	if ((error = render_tpl(&b, *t, c)) < 0)
		goto out;
	for (size_t k = trailing_newlines(b.ptr, b.len); k < want; k++)
		buf_addch(&b, '\n');
	*out = template_str_result(&b);
out:
	/* the tree is freed by the caller after this; its text must not be */
	if (cut) {
		ast_free(*t);
		*t = NULL;
		free(cut);
	}
	buf_release(&b);
	return error;
}

/*
 * Ansible's SINGLE_VAR: the whole string is "{{ NAME }}" (NAME word
 * characters; Python's $ lets one final newline through), NAME a
 * variable whose own value is a number, a bool or None: Templar.template
 * gives that value as it is, without rendering.
 */
static bool single_var_shape(const char *s)
{
	if (strncmp(s, "{{", 2))
		return false;
	for (s += 2; isspace((unsigned char)*s); s++)
		;
	while (isalnum((unsigned char)*s) || *s == '_' || (*s & 0x80))
		s++;
	while (isspace((unsigned char)*s) && strncmp(s, "}}", 2))
		s++;
	return !strncmp(s, "}}", 2) && (!s[2] || !strcmp(s + 2, "\n"));
}

static bool single_var(const char *s, const struct node *only,
		       const struct tctx *c)
{
	const struct val *raw;

	if (!only || only->e->type != E_NAME || !single_var_shape(s) ||
	    !(raw = scope_get(c->scope, only->e->name)))
		return false;
	return raw->type == VAL_INT || raw->type == VAL_FLOAT ||
	       raw->type == VAL_BOOL || raw->type == VAL_NULL;
}

/*
 * Ansible's ansible_eval_concat (Jinja without native types, the default)
 * on what a playbook string rendered to: its text, read back as a Python
 * literal (true, false and null as JSON's) when it starts with '{' or '['
 * or is True or False. So "{{ 5 }}" is the string "5", "{{ none }}" is
 * "", "{{ '[1, 2]' }}" is a list; lists, dicts and bools come back as
 * they were. `keep`: a single variable that Templar.template gives as it
 * is (single_var). The value keeps its secret and unsafe flags.
 */
static void ansible_concat(struct val **out, bool keep)
{
	struct val *v = *out, *lit;
	struct buf b = BUF_INIT;
	unsigned int flags = v->flags & (VAL_F_SECRET | VAL_F_UNSAFE);

	if (template_is_time(v) || template_is_undef(v))
		return;
	switch (v->type) {
	case VAL_LIST:
		/* a tuple's text starts with '(': it stays text */
		if (!(v->flags & VAL_F_TUPLE))
			return;
		/* fall through */
	case VAL_INT:
	case VAL_FLOAT:
	case VAL_NULL:
		if (keep && v->type != VAL_LIST)
			return;
		if (v->type != VAL_NULL)
			template_to_str(&b, v);
		*out = val_strn(b.ptr, b.len);
		break;
	case VAL_STR:
		if ((v->flags & TEMPLATE_F_TEXT) ||
		    (v->u.s.ptr[0] != '{' && v->u.s.ptr[0] != '[' &&
		     strcmp(v->u.s.ptr, "True") && strcmp(v->u.s.ptr, "False")) ||
		    !(lit = pyliteral_parse(v->u.s.ptr, v->u.s.len, true)))
			return;
		*out = lit;
		break;
	default:
		return;
	}
	val_unref(v);
	if (flags & VAL_F_SECRET)
		*out = val_secret(*out);
	if (flags & VAL_F_UNSAFE)
		*out = val_unsafe(*out);
	buf_release(&b);
}

/* What follows the last "}}" of a lone output's source. */
static const char *lone_end(const struct val *in)
{
	const char *end = NULL;

	for (const char *p = in->u.s.ptr; (p = strstr(p, "}}")); p += 2)
		end = p + 2;
	return end ? end : "";
}

/* *out (a string) with a newline after it, its flags kept. */
static void add_newline(struct val **out)
{
	struct buf b = BUF_INIT;
	struct val *v;

	buf_add(&b, (*out)->u.s.ptr, (*out)->u.s.len);
	buf_addch(&b, '\n');
	v = val_strn(b.ptr, b.len);
	buf_release(&b);
	v->flags = (*out)->flags;
	val_unref(*out);
	*out = v;
}

static int render_string(struct val **out, const struct val *in,
			 struct tctx *c)
{
	const struct node *only;
	struct tpl *t = NULL;
	bool padded, secret = false, unsafe = false;
	bool *saved = c->secret, *saved_unsafe = c->unsafe;
	int error;

	if (c->depth > MAX_RENDER_DEPTH)
		return tend_error_set("recursive loop detected in template "
				      "string: %s", in->u.s.ptr);
	if ((error = parse_template_playbook(&t, in->u.s.ptr)) < 0)
		return error;
	c->secret = &secret;
	c->unsafe = &unsafe;
	only = single_output(t, &padded);
	if (only) {
		struct frame f = { c->frame, val_dict() };
		struct tctx sub = *c;

		sub.frame = &f;
		error = eval_expr(out, only->e, &sub);
		val_unref(f.locals);
		if (!error && ((error = template_need_deep(*out)) < 0 ||
			       (error = datetime_settle(out)) < 0)) {
			val_unref(*out);
			*out = NULL;
		}
		/*
		 * Padded, it is text ("{{ rc }}\n\n" is "0\n\n"), read back
		 * as a literal like any text. But Jinja drops one newline at
		 * the end of the source: "{{ x }}\n" is x alone, then (Ansible's
		 * preserve_trailing_newlines) a newline after it if it is
		 * text ("{{ [1] }}\n" is a list, "{{ 5 }}\n" is "5\n").
		 */
		if (!error && padded && strcmp(lone_end(in), "\n")) {
			val_unref(*out);
			*out = NULL;
			only = NULL;
		} else if (!error) {
			ansible_concat(out, single_var(in->u.s.ptr, only, c));
			if (padded && val_is(*out, VAL_STR) &&
			    !trailing_newlines((*out)->u.s.ptr,
					       (*out)->u.s.len))
				add_newline(out);
		}
		if (!error && only && val_holds_secret(*out)) {
			struct val *sink = secret_sink(c->scope);

			/*
			 * A value that only holds a secret (a dict with a
			 * secret item) stays as it is: its other items are
			 * not secret.
			 */
			secret = (*out)->flags & VAL_F_SECRET;
			if (sink)
				record_value(sink, *out, false);
		}
	}
	if (!only && !(error = render_text(out, in, &t, c)))
		ansible_concat(out, false);
	c->secret = saved;
	c->unsafe = saved_unsafe;
	if (!error && unsafe) {
		if (c->unsafe)
			*c->unsafe = true;
		*out = val_unsafe(*out);
	}
	/*
	 * The flag, not the enclosing template's *c->secret, tells whoever
	 * reads this value (a variable rendered lazily): what it makes of
	 * the value is secret, what it makes of the rest of a dict is not.
	 */
	if (!error && (secret || (in->flags & VAL_F_SECRET)))
		*out = val_secret(*out);
	ast_free(t);
	return error;
}

static int render_value(struct val **out, const struct val *in,
			struct tctx *c)
{
	struct val *r;
	int error;

	if (!template_needs_render(in)) {
		*out = val_ref((struct val *)in);
		return 0;
	}
	switch (in->type) {
	case VAL_STR:
		return render_string(out, in, c);
	case VAL_LIST:
		r = val_list();
		for (size_t i = 0; i < in->u.list.nr; i++) {
			struct val *v;

			if ((error = render_value(&v, in->u.list.items[i], c)) < 0) {
				val_unref(r);
				return error;
			}
			val_list_push(r, v);
		}
		break;
	default:
		r = val_dict();
		for (size_t i = 0; i < in->u.dict.nr; i++) {
			const char *key = in->u.dict.items[i].key;
			struct val *v, *k = NULL;

			if (template_has_jinja(key)) {
				struct val *kin = val_str(key);

				error = render_string(&k, kin, c);
				val_unref(kin);
				if (error < 0) {
					val_unref(r);
					return error;
				}
			}
			if ((error = render_value(&v, in->u.dict.items[i].v, c)) < 0) {
				val_unref(k);
				val_unref(r);
				return error;
			}
			if (k && k->type != VAL_STR) {
				struct buf kb = BUF_INIT;

				template_to_str(&kb, k);
				val_dict_set(r, kb.ptr, v);
				buf_release(&kb);
			} else {
				val_dict_set(r, k ? k->u.s.ptr : key, v);
			}
			val_unref(k);
		}
		break;
	}
	r->flags = in->flags;
	r->pos = in->pos;
	*out = r;
	return 0;
}

/*
 * Public API
 */

int template_render_str(struct buf *out, const char *src,
			const struct scope *s)
{
	return template_render_str_opts(out, src, true, false, s);
}

int template_render_str_opts(struct buf *out, const char *src,
			     bool trim_blocks, bool lstrip_blocks,
			     const struct scope *s)
{
	struct tctx c = { s, NULL, 0, NULL, NULL, render_value };
	struct tpl *t;
	size_t start = out->len;
	int error;

	if ((error = parse_template_opts(&t, src, trim_blocks,
					 lstrip_blocks)) < 0)
		return error;
	if ((error = render_tpl(out, t, &c)) < 0)
		buf_setlen(out, start);
	ast_free(t);
	return error;
}

int template_render(struct val **out, const struct val *in,
		    const struct scope *s)
{
	struct tctx c = { s, NULL, 0, NULL, NULL, render_value };

	*out = NULL;
	return render_value(out, in, &c);
}

/*
 * With `cond`, as Ansible's Conditional: the string that a lone "{{ x }}"
 * renders to is evaluated once more as an expression (x = "False" is
 * false, x = "yes" is the undefined variable yes), as text around {{ }}
 * always is. Without it a lone "{{ x }}" is x's value.
 */
static int eval_expr_text(struct val **out, const char *expr,
			  struct tctx *c, int depth, bool cond)
{
	struct tpl *t;
	int error;

	if (template_has_jinja(expr)) {
		/*
		 * "{{ x }}" is the expression x. Anything else with jinja
		 * is rendered first and the result evaluated, as Ansible
		 * does for conditionals such as "{{ a }} == 1".
		 */
		struct val *in = val_str(expr), *r = NULL;
		bool lone, padded;

		if ((error = parse_template(&t, expr)) < 0) {
			val_unref(in);
			return error;
		}
		lone = single_output(t, &padded) != NULL;
		ast_free(t);
		error = render_string(&r, in, c);
		val_unref(in);
		if (error < 0)
			return error;
		/* "" stays "": Ansible returns it before the second pass */
		if (r->type != VAL_STR || depth > 0 || (lone && !cond) ||
		    !r->u.s.len) {
			*out = r;
			return 0;
		}
		if (r->flags & VAL_F_UNSAFE) {
			/* as Ansible: host text is never evaluated as code */
			val_unref(r);
			return tend_error_set("conditional is marked as unsafe "
					      "(it holds data from a host), and "
					      "cannot be evaluated: %s", expr);
		}
		error = eval_expr_text(out, r->u.s.ptr, c, depth + 1, cond);
		/* an expression made of a secret's text yields a secret */
		if (!error && (r->flags & VAL_F_SECRET))
			*out = val_secret(*out);
		val_unref(r);
		return error;
	}
	if ((error = parse_expression(&t, expr)) < 0)
		return error;
	error = eval_expr(out, t->expr, c);
	if (!error && ((error = template_need_deep(*out)) < 0 ||
		       (error = datetime_settle(out)) < 0)) {
		val_unref(*out);
		*out = NULL;
	}
	ast_free(t);
	return error;
}

static int eval_top(struct val **out, const char *expr, const struct scope *s,
		    bool cond)
{
	bool unsafe = false;
	struct tctx c = { s, NULL, 0, NULL, &unsafe, render_value };
	int error;

	*out = NULL;
	error = eval_expr_text(out, expr, &c, 0, cond);
	if (!error && unsafe)
		*out = val_unsafe(*out);
	return error;
}

int expr_eval(struct val **out, const char *expr, const struct scope *s)
{
	return eval_top(out, expr, s, false);
}

int expr_eval_bool(bool *out, const char *expr, const struct scope *s)
{
	struct val *v;
	int error;

	if ((error = eval_top(&v, expr, s, true)) < 0)
		return error;
	*out = truth_python(v);
	val_unref(v);
	return 0;
}

int template_lookup_loop(struct val **out, const char *name,
			 const struct val *raw, const char *subdir,
			 const struct scope *s)
{
	bool unsafe = false;
	struct tctx c = { s, NULL, 0, NULL, &unsafe, render_value };
	struct val *in, *v = NULL, *terms;
	int error;

	*out = NULL;
	if (raw->type == VAL_STR) {
		/* listify_lookup_plugin_terms strips a string first */
		const char *p = raw->u.s.ptr, *e = p + raw->u.s.len;

		while (p < e && isspace((unsigned char)*p))
			p++;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
		in = val_strn(p, (size_t)(e - p));
		in->flags = raw->flags;
		in->pos = raw->pos;
	} else {
		in = val_ref((struct val *)raw);
	}
	error = render_value(&v, in, &c);
	if (error == TEND_EUNDEFINED && !strcmp(name, "first_found")) {
		/* first_found skips what is undefined, term by term */
		tend_error_clear();
		v = val_ref(in);
		error = 0;
	}
	val_unref(in);
	if (error < 0)
		return error;
	if (v->type == VAL_LIST) {
		terms = v;
	} else {
		terms = val_list();
		val_list_push(terms, v);
	}
	error = eval_lookup(out, name, terms, NULL, subdir, &c);
	val_unref(terms);
	if (!error)
		*out = val_unsafe(*out);
	return error;
}

int template_check(const char *src, bool bare)
{
	struct tpl *t = NULL;
	int error;

	/* as they render: a playbook string's {{ }} literals keep their
	 * backslashes (template_render), a condition's do not */
	if (bare && !template_has_jinja(src))
		error = parse_expression(&t, src);
	else if (bare)
		error = parse_template(&t, src);
	else
		error = parse_template_playbook(&t, src);
	ast_free(t);
	return error;
}
