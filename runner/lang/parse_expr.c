#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/lang/parse_expr_int.h"
#include "tend/lang/lex_int.h"
#include "tend/lang/ast_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/filters_int.h"
#include "tend/lang/lookup_int.h"
#include "tend/util/error.h"
#include "tend/data/val.h"

/*
 * Expression parser (after Jinja2's parser.py)
 */

static struct expr *parse_unary(struct parser *p, bool with_filter);
static struct expr *parse_primary(struct parser *p);

static struct expr *new_expr(struct parser *p, enum expr_type type,
			     size_t pos)
{
	struct expr *e = ast_alloc(p->t, sizeof(*e));

	e->type = type;
	e->pos = pos;
	return e;
}

static struct expr *new_lit(struct parser *p, struct val *v, size_t pos)
{
	struct expr *e = new_expr(p, E_LIT, pos);

	val_list_push(p->t->lits, v);
	e->lit = v;
	return e;
}

static struct expr *new_bin(struct parser *p, enum expr_type type, int op,
			    struct expr *a, struct expr *b, size_t pos)
{
	struct expr *e;

	if (!a || !b)
		return NULL;
	e = new_expr(p, type, pos);
	e->op = op;
	e->a = a;
	e->b = b;
	return e;
}

/*
 * Parse "(args)" after the current '(' into e->args. Keyword arguments
 * are `name=expr`.
 */
static bool parse_call_args(struct parser *p, struct expr *e)
{
	struct earg **tail = &e->args;

	lex_all(p); /* ( */
	while (!p->failed && !tok_op(p, ')')) {
		struct earg *a = ast_alloc(p->t, sizeof(*a));

		if (e->nargs && !lex_expect(p, ',', "',' or ')'"))
			return false;
		if (tok_op(p, ')'))
			break;
		if (p->ls.tok.type == T_NAME) {
			struct token next = lex_peek(p);

			if (next.type == T_OP && next.op == '=') {
				a->kw = tok_strdup(p);
				lex_all(p);
				lex_all(p);
			}
		}
		if (++e->nargs > TEMPLATE_MAX_ARGS)
			return lex_error(p, p->ls.tok.pos,
					 "too many arguments");
		if (!(a->e = parse_expr(p, true)))
			return false;
		*tail = a;
		tail = &a->next;
	}
	return lex_expect(p, ')', "')'");
}

/*
 * A filter or test name; "ansible.builtin.x" and friends mean "x"
 * (*dotted then set, if dotted is not NULL).
 */
static const char *parse_dotted_name(struct parser *p, size_t *pos,
				     bool *dotted)
{
	const char *name;

	if (p->ls.tok.type != T_NAME)
		return lex_expected(p, "a name");
	*pos = p->ls.tok.pos;
	name = tok_strdup(p);
	lex_all(p);
	if (dotted)
		*dotted = false;
	while (tok_op(p, '.')) {
		if (dotted)
			*dotted = true;
		lex_all(p);
		if (p->ls.tok.type != T_NAME)
			return lex_expected(p, "a name");
		name = tok_strdup(p);
		lex_all(p);
	}
	return name;
}

static void *unknown_name(struct parser *p, size_t pos, const char *name,
			  bool test)
{
	const char *guess = template_name_guess(name, test);
	const char *why = test ? NULL : template_filter_refused(name);

	if (why)
		return lex_error(p, pos, "filter '%s' is not supported yet: %s",
				 name, why);
	if (guess)
		return lex_error(p, pos, "no %s named '%s' (did you mean "
				 "'%s'?)", test ? "test" : "filter", name,
				 guess);
	return lex_error(p, pos, "no %s named '%s'", test ? "test" : "filter",
			 name);
}

static struct expr *parse_filter(struct parser *p, struct expr *in)
{
	struct expr *e;
	size_t pos;
	bool dotted;
	const char *name = parse_dotted_name(p, &pos, &dotted);

	if (!name)
		return NULL;
	e = new_expr(p, E_FILTER, pos);
	e->a = in;
	e->name = name;
	e->op = dotted; /* a collection's name: no STRING_TYPE_FILTERS */
	e->filter = template_filter_find(name);
	if (!e->filter)
		return unknown_name(p, pos, name, false);
	if (tok_op(p, '(') && !parse_call_args(p, e))
		return NULL;
	return e;
}

static struct expr *parse_test(struct parser *p, struct expr *in)
{
	struct expr *e;
	bool negated = false;
	size_t pos;
	const char *name;

	if (tok_name(p, "not")) {
		negated = true;
		lex_all(p);
	}
	/* "x is none": none is a test name here, not a literal */
	if (!(name = parse_dotted_name(p, &pos, NULL)))
		return NULL;
	e = new_expr(p, E_TEST, pos);
	e->a = in;
	e->op = negated;
	e->name = name;
	e->test = template_test_find(name);
	if (!e->test)
		return unknown_name(p, pos, name, true);
	if (tok_op(p, '(')) {
		if (!parse_call_args(p, e))
			return NULL;
	} else if ((p->ls.tok.type == T_NAME && !tok_name(p, "else") &&
		    !tok_name(p, "or") && !tok_name(p, "and") &&
		    !tok_name(p, "if")) ||
		   p->ls.tok.type == T_STR || p->ls.tok.type == T_INT ||
		   p->ls.tok.type == T_FLOAT || tok_op(p, '[') ||
		   tok_op(p, '{')) {
		/* "x is divisibleby 3": one argument without parentheses */
		struct earg *a = ast_alloc(p->t, sizeof(*a));

		if (!(a->e = parse_primary(p)))
			return NULL;
		e->args = a;
		e->nargs = 1;
	}
	return e;
}

static struct expr *parse_subscript(struct parser *p, struct expr *obj)
{
	size_t pos = p->ls.tok.pos;
	struct expr *e, *parts[3] = { NULL, NULL, NULL };
	int n = 0;

	lex_all(p); /* [ */
	for (;;) {
		if (!tok_op(p, ':') && !tok_op(p, ']') &&
		    !(parts[n] = parse_expr(p, true)))
			return NULL;
		if (!tok_op(p, ':') || n == 2)
			break;
		lex_all(p);
		n++;
	}
	if (!lex_expect(p, ']', "']'"))
		return NULL;
	if (!n) {
		if (!parts[0])
			return lex_error(p, pos, "expected an index");
		return new_bin(p, E_INDEX, 0, obj, parts[0], pos);
	}
	e = new_expr(p, E_SLICE, pos);
	e->name = NULL;
	e->a = obj;
	e->b = parts[0];
	e->c = parts[1];
	/* the step rides in args to keep struct expr small */
	if (parts[2]) {
		e->args = ast_alloc(p->t, sizeof(*e->args));
		e->args->e = parts[2];
	}
	return e;
}

/*
 * lookup('NAME', ...), query() and q() with the plugin named by a
 * literal: a plugin tend lacks, or an option it does not take, is an
 * error as the template parses (so before any host is touched), not
 * when the task runs.
 */
static bool check_lookup_call(struct parser *p, const struct expr *c)
{
	const struct expr *f = c->a;
	const struct tlookup *l;
	const char *name;

	if (f->type != E_NAME || (strcmp(f->name, "lookup") &&
				  strcmp(f->name, "query") &&
				  strcmp(f->name, "q")))
		return true;
	if (!c->args || c->args->kw || c->args->e->type != E_LIT ||
	    !(name = val_cstr(c->args->e->lit)))
		return true;
	if (!(l = lookup_find(name)))
		return !!lex_error(p, c->args->e->pos, "lookup plugin '%s' not "
				 "found", name);
	if (l->why)
		return !!lex_error(p, c->args->e->pos, "lookup plugin '%s' is not "
				 "supported yet (%s)", l->name, l->why);
	for (const struct earg *a = c->args; a; a = a->next)
		if (a->kw && lookup_check_option(l, a->kw) < 0) {
			tend_error_clear();
			return !!lex_error(p, a->e->pos, "lookup('%s'): option "
					 "'%s' is not supported", l->name,
					 a->kw);
		}
	return true;
}

static struct expr *parse_postfix(struct parser *p, struct expr *e)
{
	while (e && !p->failed) {
		size_t pos = p->ls.tok.pos;

		if (tok_op(p, '.')) {
			lex_all(p);
			if (p->ls.tok.type == T_NAME) {
				struct expr *a = new_expr(p, E_ATTR, pos);

				a->a = e;
				a->name = tok_strdup(p);
				e = a;
				lex_all(p);
			} else if (p->ls.tok.type == T_INT) {
				struct expr *k = new_lit(
					p, val_int(p->ls.tok.i), pos);

				e = new_bin(p, E_INDEX, 0, e, k, pos);
				lex_all(p);
			} else {
				return lex_expected(p, "a name or number");
			}
		} else if (tok_op(p, '[')) {
			e = parse_subscript(p, e);
		} else if (tok_op(p, '(')) {
			struct expr *c = new_expr(p, E_CALL, pos);

			c->a = e;
			if (!parse_call_args(p, c) || !check_lookup_call(p, c))
				return NULL;
			e = c;
		} else {
			break;
		}
	}
	return e;
}

static struct expr *parse_filter_expr(struct parser *p, struct expr *e)
{
	while (e && !p->failed) {
		if (tok_op(p, '|')) {
			lex_all(p);
			e = parse_filter(p, e);
		} else if (tok_name(p, "is")) {
			lex_all(p);
			e = parse_test(p, e);
		} else if (tok_op(p, '(')) {
			e = parse_postfix(p, e);
		} else {
			break;
		}
	}
	return e;
}

/* Items up to `close`, comma-separated, trailing comma allowed. */
static struct expr *parse_seq(struct parser *p, struct expr *e, int close,
			      bool dict)
{
	struct earg **tail = &e->args;

	while (!p->failed && !tok_op(p, close)) {
		struct earg *a;

		if (e->nargs &&
		    !lex_expect(p, ',', close == ']' ? "',' or ']'" :
					close == '}' ? "',' or '}'" :
						       "',' or ')'"))
			return NULL;
		if (tok_op(p, close))
			break;
		a = ast_alloc(p->t, sizeof(*a));
		if (dict) {
			if (!(a->key = parse_expr(p, true)) ||
			    !lex_expect(p, ':', "':'"))
				return NULL;
		}
		if (!(a->e = parse_expr(p, true)))
			return NULL;
		e->nargs++;
		*tail = a;
		tail = &a->next;
	}
	if (!lex_expect(p, close, close == ']' ? "']'" : close == '}' ? "'}'" :
						       "')'"))
		return NULL;
	return e;
}

static struct expr *parse_primary(struct parser *p)
{
	struct token *t = &p->ls.tok;
	size_t pos = t->pos;
	struct expr *e;

	if (p->failed)
		return NULL;
	if (++p->depth > MAX_PARSE_DEPTH)
		return lex_error(p, pos, "expression nested too deeply");
	switch (t->type) {
	case T_NAME:
		if (tok_name(p, "true") || tok_name(p, "True"))
			e = new_lit(p, val_bool(true), pos);
		else if (tok_name(p, "false") || tok_name(p, "False"))
			e = new_lit(p, val_bool(false), pos);
		else if (tok_name(p, "none") || tok_name(p, "None"))
			e = new_lit(p, val_null(), pos);
		else {
			e = new_expr(p, E_NAME, pos);
			e->name = tok_strdup(p);
		}
		lex_all(p);
		break;
	case T_STR: {
		struct buf b = BUF_INIT;

		/* adjacent literals concatenate, as in Python */
		while (t->type == T_STR) {
			buf_add(&b, t->s, t->slen);
			lex_all(p);
		}
		e = new_lit(p, val_strn(b.ptr, b.len), pos);
		buf_release(&b);
		break;
	}
	case T_INT:
		e = new_lit(p, val_int(t->i), pos);
		lex_all(p);
		break;
	case T_FLOAT:
		e = new_lit(p, val_float(t->f), pos);
		lex_all(p);
		break;
	case T_OP:
		if (t->op == '(') {
			lex_all(p);
			if (tok_op(p, ')')) {
				lex_all(p);
				e = new_expr(p, E_LIST, pos);
				e->op = 1; /* () is a tuple */
				break;
			}
			e = parse_expr(p, true);
			if (e && tok_op(p, ',')) {
				struct expr *tuple = new_expr(p, E_LIST, pos);
				struct earg *first = ast_alloc(p->t,
							       sizeof(*first));

				tuple->op = 1;
				lex_all(p);
				first->e = e;
				tuple->args = first;
				tuple->nargs = 1;
				/* parse_seq wants to see ',' between items */
				e = tuple;
				if (!tok_op(p, ')')) {
					struct expr rest = { .type = E_LIST };

					if (!parse_seq(p, &rest, ')', false))
						return NULL;
					first->next = rest.args;
					tuple->nargs += rest.nargs;
				} else {
					lex_all(p);
				}
			} else if (!lex_expect(p, ')', "')'")) {
				return NULL;
			}
			break;
		}
		if (t->op == '[') {
			lex_all(p);
			e = parse_seq(p, new_expr(p, E_LIST, pos), ']', false);
			break;
		}
		if (t->op == '{') {
			lex_all(p);
			e = parse_seq(p, new_expr(p, E_DICT, pos), '}', true);
			break;
		}
		/* fall through */
	default:
		return lex_expected(p, "an expression");
	}
	p->depth--;
	return e;
}

static struct expr *parse_unary(struct parser *p, bool with_filter)
{
	size_t pos = p->ls.tok.pos;
	struct expr *e;

	if (++p->depth > MAX_PARSE_DEPTH)
		return lex_error(p, pos, "expression nested too deeply");
	if (tok_op(p, '-') || tok_op(p, '+')) {
		bool neg = tok_op(p, '-');

		lex_all(p);
		e = new_expr(p, neg ? E_NEG : E_POS, pos);
		if (!(e->a = parse_unary(p, false)))
			return NULL;
	} else {
		e = parse_primary(p);
	}
	e = parse_postfix(p, e);
	if (with_filter)
		e = parse_filter_expr(p, e);
	p->depth--;
	return e;
}

static struct expr *parse_pow(struct parser *p)
{
	struct expr *e = parse_unary(p, true);

	while (e && tok_op(p, OP2_POW)) {
		size_t pos = p->ls.tok.pos;

		lex_all(p);
		e = new_bin(p, E_BIN, OP_POW, e, parse_unary(p, true), pos);
	}
	return e;
}

static struct expr *parse_math2(struct parser *p)
{
	struct expr *e = parse_pow(p);

	while (e) {
		size_t pos = p->ls.tok.pos;
		int op;

		if (tok_op(p, '*'))
			op = OP_MUL;
		else if (tok_op(p, '/'))
			op = OP_DIV;
		else if (tok_op(p, OP2_FLOORDIV))
			op = OP_FLOORDIV;
		else if (tok_op(p, '%'))
			op = OP_MOD;
		else
			break;
		lex_all(p);
		e = new_bin(p, E_BIN, op, e, parse_pow(p), pos);
	}
	return e;
}

static struct expr *parse_concat(struct parser *p)
{
	struct expr *e = parse_math2(p);

	while (e && tok_op(p, '~')) {
		size_t pos = p->ls.tok.pos;

		lex_all(p);
		e = new_bin(p, E_BIN, OP_CONCAT, e, parse_math2(p), pos);
	}
	return e;
}

static struct expr *parse_math1(struct parser *p)
{
	struct expr *e = parse_concat(p);

	while (e && (tok_op(p, '+') || tok_op(p, '-'))) {
		size_t pos = p->ls.tok.pos;
		int op = tok_op(p, '+') ? OP_ADD : OP_SUB;

		lex_all(p);
		e = new_bin(p, E_BIN, op, e, parse_concat(p), pos);
	}
	return e;
}

static struct expr *parse_compare(struct parser *p)
{
	static const struct {
		int tok;
		int op;
	} cmps[] = {
		{ OP2_EQ, OP_EQ }, { OP2_NE, OP_NE }, { '<', OP_LT },
		{ '>', OP_GT },    { OP2_LE, OP_LE }, { OP2_GE, OP_GE },
	};
	struct expr *e = parse_math1(p);

	while (e && !p->failed) {
		size_t pos = p->ls.tok.pos;
		int op = -1;

		for (size_t i = 0; i < ARRAY_SIZE(cmps); i++)
			if (tok_op(p, cmps[i].tok))
				op = cmps[i].op;
		if (op < 0 && tok_name(p, "in")) {
			op = OP_IN;
		} else if (op < 0 && tok_name(p, "not")) {
			struct token next = lex_peek(p);

			if (next.type != T_NAME || next.slen != 2 ||
			    memcmp(next.s, "in", 2))
				break;
			lex_all(p);
			op = OP_NOTIN;
		}
		if (op < 0)
			break;
		lex_all(p);
		e = new_bin(p, E_BIN, op, e, parse_math1(p), pos);
	}
	return e;
}

static struct expr *parse_not(struct parser *p)
{
	size_t pos = p->ls.tok.pos;
	struct expr *e;

	if (!tok_name(p, "not"))
		return parse_compare(p);
	if (++p->depth > MAX_PARSE_DEPTH)
		return lex_error(p, pos, "expression nested too deeply");
	lex_all(p);
	e = new_expr(p, E_NOT, pos);
	if (!(e->a = parse_not(p)))
		return NULL;
	p->depth--;
	return e;
}

static struct expr *parse_and(struct parser *p)
{
	struct expr *e = parse_not(p);

	while (e && tok_name(p, "and")) {
		size_t pos = p->ls.tok.pos;

		lex_all(p);
		e = new_bin(p, E_AND, 0, e, parse_not(p), pos);
	}
	return e;
}

static struct expr *parse_or(struct parser *p)
{
	struct expr *e = parse_and(p);

	while (e && tok_name(p, "or")) {
		size_t pos = p->ls.tok.pos;

		lex_all(p);
		e = new_bin(p, E_OR, 0, e, parse_and(p), pos);
	}
	return e;
}

/*
 * The evaluator walks an expression tree recursively. Brackets nest only
 * MAX_PARSE_DEPTH deep (counted as they are parsed), but a chain such as
 * "a + b + c ..." or "x | f | g ..." builds a tree one level deeper per
 * operator, and a long enough one (a template that renders to a
 * condition, say) overflowed the stack. True if the tree under e is
 * deeper than `left` levels; the walk goes no deeper than that.
 */
static bool expr_too_deep(const struct expr *e, int left)
{
	if (!e)
		return false;
	if (left <= 0)
		return true;
	if (expr_too_deep(e->a, left - 1) || expr_too_deep(e->b, left - 1) ||
	    expr_too_deep(e->c, left - 1))
		return true;
	for (const struct earg *a = e->args; a; a = a->next)
		if (expr_too_deep(a->e, left - 1) ||
		    expr_too_deep(a->key, left - 1))
			return true;
	return false;
}

struct expr *parse_expr(struct parser *p, bool with_cond)
{
	size_t start = p->ls.tok.pos;
	struct expr *e;

	if (++p->depth > MAX_PARSE_DEPTH)
		return lex_error(p, p->ls.tok.pos,
				 "expression nested too deeply");
	e = parse_or(p);
	while (with_cond && e && tok_name(p, "if")) {
		struct expr *c = new_expr(p, E_COND, p->ls.tok.pos);

		lex_all(p);
		c->a = e;
		if (!(c->b = parse_or(p)))
			return NULL;
		if (tok_name(p, "else")) {
			lex_all(p);
			if (!(c->c = parse_expr(p, true)))
				return NULL;
		}
		e = c;
	}
	if (e && expr_too_deep(e, MAX_EXPR_DEPTH))
		return lex_error(p, start, "expression nested too deeply");
	p->depth--;
	return e;
}

struct expr *parse_tuple(struct parser *p, bool with_cond)
{
	size_t pos = p->ls.tok.pos;
	struct expr *e = parse_expr(p, with_cond), *tuple;
	struct earg **tail;

	if (!e || !tok_op(p, ','))
		return e;
	tuple = new_expr(p, E_LIST, pos);
	tail = &tuple->args;
	for (;;) {
		struct earg *a = ast_alloc(p->t, sizeof(*a));

		a->e = e;
		*tail = a;
		tail = &a->next;
		tuple->nargs++;
		if (!tok_op(p, ','))
			break;
		lex_all(p);
		if (p->ls.tok.type == T_BLOCK_END || p->ls.tok.type == T_EOF ||
		    tok_name(p, "if"))
			break;
		if (!(e = parse_expr(p, with_cond)))
			return NULL;
	}
	return tuple;
}
