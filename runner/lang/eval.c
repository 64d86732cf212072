#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/util/readlog.h"
#include "tend/lang/template.h"
#include "tend/lang/eval_int.h"
#include "tend/lang/ast_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/datetime_int.h"
#include "tend/lang/ops_int.h"
#include "tend/lang/methods_int.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/filters_int.h"
#include "tend/lang/lookup_int.h"
#include "tend/lang/scope_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

/* range() refuses to build more items than this. */
#define MAX_RANGE 1000000

/*
 * Ansible's `vars`: every variable of the scope, each as written (not
 * templated: `vars['x']` of x: "{{ y }}" is that text), without the
 * loop's and the connection's (Ansible adds those after it copies the
 * variables). A new dict, flagged unsafe so that nothing renders it.
 */
static struct val *all_vars(const struct scope *top)
{
	const struct scope *layers[128];
	size_t nr = 0;
	struct val *d = val_dict();

	for (const struct scope *s = top; s && nr < ARRAY_SIZE(layers);
	     s = s->parent)
		if (s->kind == SCOPE_PLAIN && s->vars)
			layers[nr++] = s;
	while (nr--)
		val_dict_update(d, layers[nr]->vars, false);
	d->flags |= VAL_F_UNSAFE;
	return d;
}

/* A variable: template locals first, then the scope (templated lazily). */
static int lookup_name(struct val **out, const char *name, struct tctx *c)
{
	const struct val *v;
	struct tctx sub;

	for (struct frame *f = c->frame; f; f = f->up) {
		struct val *l = val_dict_get(f->locals, name);

		if (l) {
			*out = val_ref(l);
			return 0;
		}
	}
	if (!(v = scope_get(c->scope, name)) && !strcmp(name, "vars")) {
		*out = all_vars(c->scope);
		return 0;
	}
	if (!v) {
		*out = template_undef("'%s' is undefined", name);
		return 0;
	}
	if (!template_needs_render(v)) {
		*out = val_ref((struct val *)v);
		return 0;
	}
	sub = *c;
	sub.frame = NULL;
	sub.depth = c->depth + 1;
	return c->render(out, v, &sub);
}

/*
 * Calls: globals (range, lookup, query); the methods of values are in
 * methods.c
 */

static void args_release(struct targs *a)
{
	for (size_t i = 0; i < a->npos; i++)
		val_unref(a->pos[i]);
	for (size_t i = 0; i < a->nkw; i++)
		val_unref(a->kw[i]);
	a->npos = a->nkw = 0;
}

/*
 * Secrets: what is computed from a secret is secret. Each operation
 * (filter, test, call, method, operator, slice, subscript) whose input
 * holds a secret flags its result with val_secret(), so the flag
 * follows every transformation, and output (which masks flagged values)
 * and the renderer's record of secret text (render.c) see it.
 */

static bool args_hold_secret(const struct targs *a)
{
	for (size_t i = 0; i < a->npos; i++)
		if (val_holds_secret(a->pos[i]))
			return true;
	for (size_t i = 0; i < a->nkw; i++)
		if (val_holds_secret(a->kw[i]))
			return true;
	return false;
}

/*
 * An operation on a secret failed: its message may quote the secret, or
 * what it made of it, so it is replaced (the code kept: undefined stays
 * undefined).
 */
static int hide_error(int error, const char *what, const char *name)
{
	return tend_error_set_code(error, "%s '%s' failed on a secret value "
				   "(the message is hidden: it may quote the "
				   "secret)", what, name);
}

static int eval_args(struct targs *a, const struct expr *e, struct tctx *c)
{
	int error;

	a->npos = a->nkw = 0;
	for (struct earg *arg = e->args; arg; arg = arg->next) {
		struct val *v;

		if ((error = eval_expr(&v, arg->e, c)) < 0)
			return error;
		if ((error = template_need(v)) < 0) {
			val_unref(v);
			return error;
		}
		if (arg->kw) {
			a->kwname[a->nkw] = arg->kw;
			a->kw[a->nkw++] = v;
		} else {
			a->pos[a->npos++] = v;
		}
	}
	return 0;
}

static int call_range(struct val **out, const struct targs *a)
{
	long long start = 0, stop, step = 1, n;

	for (size_t i = 0; i < a->npos; i++)
		if (a->pos[i]->type != VAL_INT)
			return tend_error_set("range() arguments must be "
					      "integers");
	if (a->npos == 1) {
		stop = a->pos[0]->u.i;
	} else if (a->npos == 2 || a->npos == 3) {
		start = a->pos[0]->u.i;
		stop = a->pos[1]->u.i;
		if (a->npos == 3)
			step = a->pos[2]->u.i;
	} else {
		return tend_error_set("range() takes 1 to 3 arguments");
	}
	if (!step)
		return tend_error_set("range() arg 3 must not be zero");
	n = step > 0 ? (stop - start + step - 1) / step :
		       (start - stop - step - 1) / -step;
	if (n > MAX_RANGE)
		return tend_error_set("range() too large (%lld items)", n);
	*out = val_list();
	for (long long i = 0; i < n; i++)
		val_list_push(*out, val_int(start + i * step));
	return 0;
}

/*
 * Lookups (lookup_int.h): the plugins get the evaluator's variables and
 * renderer as hooks.
 */
static int lookup_var_hook(struct val **out, const char *name, void *payload)
{
	return lookup_name(out, name, payload);
}

static int lookup_render_hook(struct val **out, const struct val *in,
			      const struct scope *s, void *payload)
{
	struct tctx sub = *(struct tctx *)payload;

	sub.scope = s;
	sub.frame = NULL;
	sub.depth++;
	return sub.render(out, in, &sub);
}

int eval_lookup(struct val **out, const char *name, const struct val *terms,
		const struct targs *a, const char *subdir, struct tctx *c)
{
	const struct tlookup *l = lookup_find(name);
	struct lookup_env env = { c->scope, a, !a, subdir, lookup_var_hook,
				  lookup_render_hook, c };

	*out = NULL;
	if (!l)
		return tend_error_set("lookup plugin '%s' not found", name);
	return lookup_run(out, l, terms, &env);
}

/*
 * What lookup() makes of the plugin's list, as Ansible's Templar._lookup:
 * strings joined with ',' (one string stays itself), else one item as
 * itself, else the list; nothing is [].
 */
static struct val *lookup_joined(struct val *list)
{
	struct buf b = BUF_INIT;
	struct val *r;
	size_t n = list->u.list.nr;

	for (size_t i = 0; i < n; i++)
		if (list->u.list.items[i]->type != VAL_STR) {
			if (n != 1)
				return list;
			r = val_ref(list->u.list.items[0]);
			val_unref(list);
			return r;
		}
	if (!n)
		return list;
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(&b, ',');
		buf_add(&b, list->u.list.items[i]->u.s.ptr,
			list->u.list.items[i]->u.s.len);
	}
	r = template_str_result(&b);
	if (val_holds_secret(list))
		r = val_secret(r);
	val_unref(list);
	return r;
}

/* errors=: "strict" (0), "warn" (1) or "ignore" (2). */
static int lookup_errors_mode(int *out, const struct targs *a)
{
	static const char *const modes[] = { "strict", "warn", "ignore" };
	struct val *v = targs_get(a, SIZE_MAX, "errors");

	*out = 0;
	if (!v)
		return 0;
	for (int i = 0; i < 3; i++)
		if (val_cstr(v) && !strcmp(val_cstr(v), modes[i])) {
			*out = i;
			return 0;
		}
	return tend_error_set("lookup(): errors must be 'strict', 'warn' or "
			      "'ignore'");
}

static int call_lookup(struct val **out, const struct targs *a, bool as_list,
		       struct tctx *c)
{
	const char *plugin;
	struct val *terms, *wantlist = targs_get(a, SIZE_MAX, "wantlist");
	struct val *unsafe_ok = targs_get(a, SIZE_MAX, "allow_unsafe");
	const struct tlookup *l;
	int error, mode;

	if (!a->npos || !(plugin = val_cstr(a->pos[0])))
		return tend_error_set("lookup() needs a plugin name");
	if (!(l = lookup_find(plugin)))
		return tend_error_set("lookup plugin '%s' not found", plugin);
	for (size_t i = 0; i < a->nkw; i++)
		if ((error = lookup_check_option(l, a->kwname[i])) < 0)
			return error;
	if ((error = lookup_errors_mode(&mode, a)) < 0)
		return error;
	as_list = as_list || (wantlist && truth_python(wantlist));
	terms = val_list();
	for (size_t i = 1; i < a->npos; i++)
		val_list_push(terms, val_ref(a->pos[i]));
	/*
	 * as Ansible (listify_lookup_plugin_terms): the terms are templated
	 * once more, so a term built as "{" + "{ x }}" is x's value
	 */
	{
		struct val *rendered = NULL;

		error = lookup_render_hook(&rendered, terms, c->scope, c);
		val_unref(terms);
		terms = rendered;
	}
	if (!error)
		error = eval_lookup(out, plugin, terms, a, NULL, c);
	val_unref(terms);
	if (error < 0 && error != TEND_EUNDEFINED && error != TEND_EREFUSED &&
	    mode) {
		/* as Ansible: the lookup's own failure, not a policy's */
		if (mode == 1)
			fprintf(stderr, "[WARNING]: Lookup failed but the error "
				"is being ignored: %s\n", args_hold_secret(a) ?
				"(the message is hidden: it may quote a secret)" :
				tend_error_last());
		tend_error_clear();
		*out = as_list ? val_list() : val_null();
		return 0;
	}
	if (error < 0)
		return error;
	if (!as_list)
		*out = lookup_joined(*out);
	if (!(unsafe_ok && truth_python(unsafe_ok))) {
		/* as Ansible: what a lookup returns is never templated */
		*out = val_unsafe(*out);
		if (c->unsafe)
			*c->unsafe = true;
	}
	return 0;
}

static int eval_call(struct val **out, const struct expr *e, struct tctx *c)
{
	const struct expr *callee = e->a;
	struct val *obj = NULL;
	struct targs a;
	int error;

	if (callee->type != E_NAME && callee->type != E_ATTR)
		return tend_error_set("object is not callable");
	if (callee->type == E_ATTR) {
		if ((error = eval_expr(&obj, callee->a, c)) < 0)
			return error;
		if ((error = template_need(obj)) < 0 ||
		    (error = template_markup_refuse(obj, "a method")) < 0) {
			val_unref(obj);
			return error;
		}
	}
	if ((error = eval_args(&a, e, c)) < 0)
		goto out;
	if (!obj) {
		const char *n = callee->name;

		if (!strcmp(n, "range")) {
			error = call_range(out, &a);
		} else if (!strcmp(n, "lookup")) {
			error = call_lookup(out, &a, false, c);
		} else if (!strcmp(n, "query") || !strcmp(n, "q")) {
			error = call_lookup(out, &a, true, c);
		} else if (!strcmp(n, "now")) {
			error = template_now(out, &a);
		} else if (!strcmp(n, "dict")) {
			*out = val_dict();
			for (size_t i = 0; i < a.nkw; i++)
				val_dict_set(*out, a.kwname[i], val_ref(a.kw[i]));
		} else {
			struct val *v;

			if ((error = lookup_name(&v, n, c)) < 0)
				goto out;
			error = template_is_undef(v) ? template_need(v) :
				tend_error_set("'%s' object is not callable",
					       template_type_name(v));
			val_unref(v);
		}
		goto out;
	}
	if (template_is_time(obj))
		error = datetime_method(out, obj, callee->name, &a);
	else
		error = methods_call(out, obj, callee->name, &a);
out:
	if (val_holds_secret(obj) || args_hold_secret(&a)) {
		if (error < 0)
			error = hide_error(error, obj ? "method" : "call",
					   callee->name);
		else
			*out = val_secret(*out);
	}
	args_release(&a);
	val_unref(obj);
	return error;
}

static int eval_filter(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *in;
	struct targs a;
	int error;

	if ((error = eval_expr(&in, e->a, c)) < 0)
		return error;
	if ((error = template_filter_takes(e->filter, in)) < 0)
		goto out;
	if ((error = eval_args(&a, e, c)) < 0)
		goto out_args;
	if (template_is_time(in))
		error = datetime_filter(out, e->filter->name, in);
	else if ((error = e->filter->fn(out, in, &a, c)) >= 0 && !e->op)
		*out = template_filter_text(e->filter, *out);
	if (val_holds_secret(in) || args_hold_secret(&a)) {
		if (error < 0)
			error = hide_error(error, "filter", e->filter->name);
		else
			*out = val_secret(*out);
	}
out_args:
	args_release(&a);
out:
	val_unref(in);
	return error;
}

static int eval_test(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *in;
	struct targs a;
	bool r = false, secret = false;
	int error;

	if ((error = eval_expr(&in, e->a, c)) < 0)
		return error;
	a.npos = a.nkw = 0;
	if (template_is_undef(in) && !(e->test->flags & TTEST_UNDEF_OK)) {
		if (!(e->test->flags & TTEST_UNDEF_FALSE))
			error = template_need(in);
		goto out;
	}
	if ((error = eval_args(&a, e, c)) < 0)
		goto out;
	if (template_is_time(in) && !(e->test->flags & TTEST_UNDEF_OK))
		error = tend_error_set("tend does not support the test '%s' "
				       "on a %s", e->test->name,
				       template_type_name(in));
	else
		error = e->test->fn(&r, in, &a, c);
	secret = val_holds_secret(in) || args_hold_secret(&a);
	if (error < 0 && secret)
		error = hide_error(error, "test", e->test->name);
out:
	if (!error) {
		*out = val_bool(r != (e->op != 0));
		if (secret)
			*out = val_secret(*out);
	}
	args_release(&a);
	val_unref(in);
	return error;
}

static int eval_list(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *l = e->type == E_LIST ? val_list() : val_dict();
	bool secret_key = false;
	int error = 0;

	for (struct earg *a = e->args; a; a = a->next) {
		struct val *k = NULL, *v = NULL;

		if ((a->key && ((error = eval_expr(&k, a->key, c)) < 0 ||
				(error = template_need(k)) < 0)) ||
		    (error = eval_expr(&v, a->e, c)) < 0 ||
		    (error = template_need(v)) < 0 ||
		    (error = template_markup_refuse(k, "a dict key")) < 0 ||
		    (error = template_markup_refuse(v, "an item")) < 0) {
			val_unref(k);
			val_unref(v);
			val_unref(l);
			return error;
		}
		if (k) {
			struct buf ks = BUF_INIT;

			/* keys cannot be flagged: a secret key hides the dict */
			secret_key |= val_holds_secret(k);
			template_to_str(&ks, k);
			val_dict_set(l, ks.ptr, v);
			buf_release(&ks);
			val_unref(k);
		} else {
			val_list_push(l, v);
		}
	}
	if (e->type == E_LIST && e->op)
		l->flags |= VAL_F_TUPLE;
	*out = secret_key ? val_secret(l) : l;
	return 0;
}

/* obj[start:stop:step]: a slice of a secret (or by one) is secret. */
static int eval_slice(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *a = NULL, *b = NULL, *x = NULL, *step = NULL;
	int error;

	if ((error = eval_expr(&a, e->a, c)) < 0 ||
	    (error = template_need(a)) < 0 ||
	    (e->b && ((error = eval_expr(&b, e->b, c)) < 0 ||
		      (error = template_need(b)) < 0)) ||
	    (e->c && ((error = eval_expr(&x, e->c, c)) < 0 ||
		      (error = template_need(x)) < 0)) ||
	    (e->args && ((error = eval_expr(&step, e->args->e, c)) < 0 ||
			 (error = template_need(step)) < 0)))
		goto out;
	if ((error = ops_slice(out, a, b, x, step)) == 0 &&
	    (val_holds_secret(a) || val_holds_secret(b) ||
	     val_holds_secret(x) || val_holds_secret(step)))
		*out = val_secret(*out);
out:
	val_unref(a);
	val_unref(b);
	val_unref(x);
	val_unref(step);
	return error;
}

static int eval_node(struct val **out, const struct expr *e, struct tctx *c);

/*
 * Evaluate e. Every value an expression reads (a name, an attribute, an
 * item, what a filter passed through) comes out of here, so this is where
 * reading host data marks the template's result unsafe.
 */
int eval_expr(struct val **out, const struct expr *e, struct tctx *c)
{
	int error = eval_node(out, e, c);

	if (!error && *out && ((*out)->flags & VAL_F_UNSAFE) && c->unsafe)
		*c->unsafe = true;
	return error;
}

/* A binary operator; *secret says whether either operand held one. */
static int eval_bin(struct val **out, const struct expr *e, struct tctx *c,
		    bool *secret)
{
	struct val *a = NULL, *b = NULL;
	int error;

	if ((error = eval_expr(&a, e->a, c)) < 0 ||
	    (error = eval_expr(&b, e->b, c)) < 0)
		goto out;
	*secret = val_holds_secret(a) || val_holds_secret(b);
	/* Markup's + escapes the other side, its % the arguments */
	if ((e->op == OP_ADD || e->op == OP_MOD || e->op == OP_MUL) &&
	    ((error = template_markup_refuse(a, ops_name(e->op))) < 0 ||
	     (error = template_markup_refuse(b, ops_name(e->op))) < 0))
		goto out;
	error = ops_binop(out, e->op, a, b);
	if (error < 0 && *secret)
		error = hide_error(error, "operator", ops_name(e->op));
out:
	val_unref(a);
	val_unref(b);
	return error;
}

static int eval_node(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *a = NULL, *b = NULL, *x = NULL;
	int error = 0;
	bool t, secret = false;

	*out = NULL;
	switch (e->type) {
	case E_LIT:
		*out = val_ref(e->lit);
		return 0;
	case E_NAME:
		return lookup_name(out, e->name, c);
	case E_ATTR:
		if ((error = eval_expr(&a, e->a, c)) < 0)
			return error;
		/* a part of a secret is secret; a plain part of a dict is not */
		secret = a->flags & VAL_F_SECRET;
		if (template_is_time(a))
			error = datetime_getattr(out, a, e->name);
		else
			template_getattr(out, a, e->name);
		break;
	case E_INDEX:
		if ((error = eval_expr(&a, e->a, c)) < 0 ||
		    (error = eval_expr(&b, e->b, c)) < 0)
			break;
		secret = (a->flags & VAL_F_SECRET) || val_holds_secret(b);
		error = ops_getitem(out, a, b);
		break;
	case E_SLICE:
		return eval_slice(out, e, c);
	case E_LIST:
	case E_DICT:
		return eval_list(out, e, c);
	case E_NOT:
		if ((error = eval_expr(&a, e->a, c)) < 0 ||
		    (error = template_truthy(&t, a)) < 0)
			break;
		secret = val_holds_secret(a);
		*out = val_bool(!t);
		break;
	case E_NEG:
	case E_POS:
		if ((error = eval_expr(&a, e->a, c)) < 0 ||
		    (error = template_need(a)) < 0)
			break;
		secret = val_holds_secret(a);
		if (a->type == VAL_FLOAT)
			*out = val_float(e->type == E_NEG ? -a->u.f : a->u.f);
		else if (a->type == VAL_INT && (e->type == E_POS ||
						a->u.i != LLONG_MIN))
			*out = val_int(e->type == E_NEG ? -a->u.i : a->u.i);
		else if (a->type == VAL_BOOL)
			*out = val_int(e->type == E_NEG ? -(int)a->u.b : a->u.b);
		else
			error = tend_error_set("bad operand type for unary %c: "
					       "'%s'", e->type == E_NEG ? '-' : '+',
					       template_type_name(a));
		break;
	case E_AND:
	case E_OR:
		if ((error = eval_expr(&a, e->a, c)) < 0 ||
		    (error = template_truthy(&t, a)) < 0)
			break;
		/* which operand it yields says something of the first */
		secret = val_holds_secret(a);
		if (t == (e->type == E_OR)) {
			*out = secret ? val_secret(a) : a;
			return 0;
		}
		val_unref(a);
		if ((error = eval_expr(out, e->b, c)) < 0 || !secret)
			return error;
		*out = val_secret(*out);
		return 0;
	case E_BIN:
		error = eval_bin(out, e, c, &secret);
		break;
	case E_COND:
		if ((error = eval_expr(&a, e->b, c)) < 0 ||
		    (error = template_truthy(&t, a)) < 0)
			break;
		secret = val_holds_secret(a);
		if (t)
			error = eval_expr(out, e->a, c);
		else if (e->c)
			error = eval_expr(out, e->c, c);
		else
			*out = val_str("");
		break;
	case E_FILTER:
		return eval_filter(out, e, c);
	case E_TEST:
		return eval_test(out, e, c);
	case E_CALL:
		return eval_call(out, e, c);
	}
	val_unref(a);
	val_unref(b);
	val_unref(x);
	if (error < 0) {
		val_unref(*out);
		*out = NULL;
	} else if (secret) {
		*out = val_secret(*out);
	}
	return error;
}
