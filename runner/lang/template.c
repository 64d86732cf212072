#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/template.h"
#include "tend/lang/template_int.h"
#include "tend/data/val.h"
#include "tend/util/fs.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <math.h>

/*
 * A hand-written lexer and recursive-descent parser turn template text
 * into a small AST (allocated from one arena per template), which is then
 * evaluated against the scope. The grammar and precedence follow Jinja2's
 * parser.py so that expressions group as they do in Ansible.
 */

/* Lazy templating of variables nests at most this deep. */
#define MAX_RENDER_DEPTH 40
/* Expression and block nesting limits: keep the C stack bounded. */
#define MAX_PARSE_DEPTH 200
/* range() refuses to build more items than this. */
#define MAX_RANGE 1000000

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

enum expr_type {
	E_LIT,
	E_NAME,
	E_ATTR,
	E_INDEX,
	E_SLICE,
	E_LIST,
	E_DICT,
	E_NOT,
	E_NEG,
	E_POS,
	E_AND,
	E_OR,
	E_BIN,
	E_COND,
	E_FILTER,
	E_TEST,
	E_CALL,
};

enum binop {
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_FLOORDIV,
	OP_MOD,
	OP_POW,
	OP_CONCAT,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_GT,
	OP_LE,
	OP_GE,
	OP_IN,
	OP_NOTIN,
};

/* Arguments of calls, filters and tests, and items of list literals. */
struct earg {
	struct earg *next;
	const char *kw; /* keyword name, or NULL for a positional argument */
	struct expr *e;
	struct expr *key; /* dict literals: the key of this item */
};

struct expr {
	enum expr_type type;
	int op;      /* E_BIN: enum binop; E_TEST: negated */
	size_t pos;  /* offset in the source, for messages */
	const char *name;
	struct val *lit;
	struct expr *a, *b, *c;
	struct earg *args;
	size_t nargs;
	const struct tfilter *filter;
	const struct ttest *test;
};

enum node_type {
	N_TEXT,
	N_OUT,
	N_IF,
	N_FOR,
	N_SET,
	N_SETBLOCK,
};

struct name_list {
	struct name_list *next;
	const char *name;
};

struct node {
	enum node_type type;
	struct node *next;
	size_t pos;
	const char *text; /* N_TEXT */
	size_t len;
	struct expr *e;      /* N_OUT, N_IF cond, N_FOR iter, N_SET value */
	struct expr *filter; /* N_FOR `if` */
	struct name_list *names;
	struct node *body, *orelse;
};

/* A compiled template. */
struct tpl {
	struct arena_chunk *chunks;
	struct val *lits; /* literal values the AST points to */
	struct node *body;
	struct expr *expr; /* a bare expression */
};

enum tok_type {
	T_EOF,
	T_NAME,
	T_STR,
	T_INT,
	T_FLOAT,
	T_OP,
	T_VAR_END,
	T_BLOCK_END,
};

enum {
	OP2_EQ = 256,
	OP2_NE,
	OP2_LE,
	OP2_GE,
	OP2_FLOORDIV,
	OP2_POW,
};

struct token {
	enum tok_type type;
	int op;
	size_t pos, len;
	long long i;
	double f;
	const char *s; /* T_STR: unescaped, in the arena */
	size_t slen;
	bool strip; /* "-}}" or "-%}" */
};

struct lexstate {
	size_t pos;
	int braces;
	struct token tok;
};

struct parser {
	struct tpl *t;
	const char *src;
	size_t len;
	struct lexstate ls;
	int depth;
	bool failed;
	size_t errpos;
	struct buf err;
};

struct frame {
	struct frame *up;
	struct val *locals;
};

struct tctx {
	const struct scope *scope;
	struct frame *frame;
	int depth;
	bool *secret; /* set when a secret value is output */
	bool *unsafe; /* set when an unsafe value is read (Ansible's
			 AnsibleContext.unsafe): what the template makes
			 of it is unsafe too, and never rendered again */
};

static void *arena_alloc(struct tpl *t, size_t n)
{
	struct arena_chunk *c = t->chunks;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->used + n > c->size) {
		size_t size = n > 4000 ? n : 4000;

		c = xmalloc(sizeof(*c) + size);
		c->next = t->chunks;
		c->used = 0;
		c->size = size;
		t->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strndup(struct tpl *t, const char *s, size_t n)
{
	char *p = arena_alloc(t, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void tpl_free(struct tpl *t)
{
	struct arena_chunk *c, *next;

	if (!t)
		return;
	for (c = t->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	val_unref(t->lits);
	free(t);
}

/*
 * Errors
 */

static void line_col(const char *src, size_t pos, unsigned int *line,
		     unsigned int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < pos && src[i]; i++) {
		if (src[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void *perr(struct parser *p, size_t pos, const char *fmt, ...)
	TEND_PRINTF(3, 4);
static void *perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	p->errpos = pos;
	va_start(ap, fmt);
	buf_vaddf(&p->err, fmt, ap);
	va_end(ap);
	return NULL;
}

static int parse_error_set(const struct parser *p)
{
	unsigned int line, col;
	int shown = p->len > 100 ? 100 : (int)p->len;

	line_col(p->src, p->errpos, &line, &col);
	return tend_error_set_code(TEND_EPARSE,
				   "template error in '%.*s%s': line %u, "
				   "column %u: %s",
				   shown, p->src, p->len > 100 ? "..." : "",
				   line, col, p->err.ptr);
}

/*
 * Lexer
 */

static bool is_name_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool is_name_char(int c)
{
	return isalnum(c) || c == '_';
}

static void add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addch(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (char)(0xc0 | (cp >> 6)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(b, (char)(0xe0 | (cp >> 12)));
		buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (char)(0xf0 | ((cp >> 18) & 0x07)));
		buf_addch(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Lex a quoted string at s[i] with Python's escapes; returns the end. */
static size_t lex_string(struct parser *p, size_t i, struct token *tok)
{
	const char *s = p->src;
	char q = s[i++];
	struct buf b = BUF_INIT;

	while (i < p->len && s[i] != q) {
		char c = s[i];

		if (c != '\\' || i + 1 >= p->len) {
			buf_addch(&b, c);
			i++;
			continue;
		}
		c = s[++i];
		i++;
		switch (c) {
		case 'n': buf_addch(&b, '\n'); break;
		case 't': buf_addch(&b, '\t'); break;
		case 'r': buf_addch(&b, '\r'); break;
		case 'a': buf_addch(&b, '\a'); break;
		case 'b': buf_addch(&b, '\b'); break;
		case 'f': buf_addch(&b, '\f'); break;
		case 'v': buf_addch(&b, '\v'); break;
		case '0': buf_addch(&b, '\0'); break;
		case '\\': case '\'': case '"': buf_addch(&b, c); break;
		case '\n': break;
		case 'x': case 'u': case 'U': {
			int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			unsigned long cp = 0;
			int k;

			for (k = 0; k < n && i + (size_t)k < p->len &&
				    hexval(s[i + k]) >= 0; k++)
				cp = cp * 16 + (unsigned long)hexval(s[i + k]);
			if (k < n || cp > 0x10ffff) {
				buf_release(&b);
				perr(p, i - 2, "invalid \\%c escape in string", c);
				return p->len;
			}
			i += (size_t)n;
			add_utf8(&b, cp);
			break;
		}
		default:
			/* Python keeps unknown escapes: '\d' is "\\d" */
			buf_addch(&b, '\\');
			buf_addch(&b, c);
		}
	}
	if (i >= p->len) {
		buf_release(&b);
		perr(p, tok->pos, "unterminated string");
		return p->len;
	}
	tok->type = T_STR;
	tok->s = arena_strndup(p->t, b.ptr, b.len);
	tok->slen = b.len;
	buf_release(&b);
	return i + 1;
}

static size_t lex_number(struct parser *p, size_t i, struct token *tok)
{
	const char *s = p->src;
	bool after_dot = i > 0 && s[i - 1] == '.';
	bool is_float = false;
	struct buf b = BUF_INIT;
	char *end;
	int base = 10;

	if (s[i] == '0' && i + 1 < p->len && strchr("xXoObB", s[i + 1]) &&
	    s[i + 1]) {
		base = tolower(s[i + 1]) == 'x' ? 16 :
		       tolower(s[i + 1]) == 'o' ? 8 : 2;
		i += 2;
		while (i < p->len && (isxdigit((unsigned char)s[i]) ||
				      s[i] == '_')) {
			if (s[i] != '_')
				buf_addch(&b, s[i]);
			i++;
		}
	} else {
		while (i < p->len && (isdigit((unsigned char)s[i]) ||
				      s[i] == '_')) {
			if (s[i] != '_')
				buf_addch(&b, s[i]);
			i++;
		}
		if (!after_dot && i + 1 < p->len && s[i] == '.' &&
		    isdigit((unsigned char)s[i + 1])) {
			is_float = true;
			buf_addch(&b, s[i++]);
			while (i < p->len && (isdigit((unsigned char)s[i]) ||
					      s[i] == '_')) {
				if (s[i] != '_')
					buf_addch(&b, s[i]);
				i++;
			}
		}
		if (!after_dot && i < p->len && (s[i] == 'e' || s[i] == 'E')) {
			size_t j = i + 1;

			if (j < p->len && (s[j] == '+' || s[j] == '-'))
				j++;
			if (j < p->len && isdigit((unsigned char)s[j])) {
				is_float = true;
				buf_add(&b, s + i, j - i);
				i = j;
				while (i < p->len &&
				       isdigit((unsigned char)s[i]))
					buf_addch(&b, s[i++]);
			}
		}
	}
	errno = 0;
	if (is_float) {
		tok->type = T_FLOAT;
		tok->f = strtod(b.ptr, &end);
	} else {
		tok->type = T_INT;
		tok->i = strtoll(b.ptr, &end, base);
		if (errno == ERANGE)
			perr(p, tok->pos, "integer too large");
	}
	if (!b.len || *end)
		perr(p, tok->pos, "invalid number");
	buf_release(&b);
	return i;
}

static void lex(struct parser *p)
{
	struct token *tok = &p->ls.tok;
	const char *s = p->src;
	size_t i = p->ls.pos;
	unsigned char c;

	while (i < p->len && isspace((unsigned char)s[i]))
		i++;
	memset(tok, 0, sizeof(*tok));
	tok->pos = i;
	if (i >= p->len || p->failed) {
		tok->type = T_EOF;
		p->ls.pos = p->len;
		return;
	}
	c = (unsigned char)s[i];
	if (c == '-' && i + 2 < p->len && s[i + 2] == '}' &&
	    (s[i + 1] == '%' || (s[i + 1] == '}' && !p->ls.braces))) {
		tok->type = s[i + 1] == '%' ? T_BLOCK_END : T_VAR_END;
		tok->strip = true;
		i += 3;
	} else if (c == '}' && i + 1 < p->len && s[i + 1] == '}' &&
		   !p->ls.braces) {
		tok->type = T_VAR_END;
		i += 2;
	} else if (c == '%' && i + 1 < p->len && s[i + 1] == '}') {
		tok->type = T_BLOCK_END;
		i += 2;
	} else if (is_name_start(c)) {
		while (i < p->len && is_name_char((unsigned char)s[i]))
			i++;
		tok->type = T_NAME;
		tok->s = s + tok->pos;
		tok->slen = i - tok->pos;
	} else if (isdigit(c)) {
		i = lex_number(p, i, tok);
	} else if (c == '\'' || c == '"') {
		i = lex_string(p, i, tok);
	} else {
		static const struct {
			const char *text;
			int op;
		} ops2[] = {
			{ "==", OP2_EQ }, { "!=", OP2_NE }, { "<=", OP2_LE },
			{ ">=", OP2_GE }, { "//", OP2_FLOORDIV },
			{ "**", OP2_POW },
		};

		tok->type = T_OP;
		for (size_t k = 0; k < ARRAY_SIZE(ops2); k++)
			if (i + 1 < p->len && s[i] == ops2[k].text[0] &&
			    s[i + 1] == ops2[k].text[1]) {
				tok->op = ops2[k].op;
				i += 2;
				break;
			}
		if (!tok->op) {
			if (!strchr("+-*/%~<>()[]{}.,:|=", c) || !c) {
				perr(p, i, "unexpected character '%c'", c);
				tok->type = T_EOF;
				p->ls.pos = p->len;
				return;
			}
			tok->op = c;
			i++;
			if (c == '(' || c == '[' || c == '{')
				p->ls.braces++;
			else if ((c == ')' || c == ']' || c == '}') &&
				 p->ls.braces > 0)
				p->ls.braces--;
		}
	}
	tok->len = i - tok->pos;
	p->ls.pos = i;
}

static bool tok_op(const struct parser *p, int op)
{
	return p->ls.tok.type == T_OP && p->ls.tok.op == op;
}

static bool tok_name(const struct parser *p, const char *name)
{
	const struct token *t = &p->ls.tok;

	return t->type == T_NAME && t->slen == strlen(name) &&
	       !memcmp(t->s, name, t->slen);
}

/* The token after the current one, without consuming anything. */
static struct token peek(struct parser *p)
{
	struct lexstate saved = p->ls;
	bool failed = p->failed;
	struct token t;

	lex(p);
	t = p->ls.tok;
	p->ls = saved;
	if (!failed && p->failed) {
		/* the error belongs to whoever lexes that token for real */
		p->failed = false;
		buf_reset(&p->err);
	}
	return t;
}

static void describe_tok(struct buf *b, const struct parser *p)
{
	const struct token *t = &p->ls.tok;

	switch (t->type) {
	case T_EOF:
		buf_adds(b, "end of template");
		break;
	case T_VAR_END:
		buf_adds(b, "'}}'");
		break;
	case T_BLOCK_END:
		buf_adds(b, "'%}'");
		break;
	default:
		buf_addf(b, "'%.*s'", (int)t->len, p->src + t->pos);
	}
}

static void *expected(struct parser *p, const char *what)
{
	struct buf got = BUF_INIT;

	describe_tok(&got, p);
	perr(p, p->ls.tok.pos, "expected %s, got %s", what, got.ptr);
	buf_release(&got);
	return NULL;
}

static bool expect_op(struct parser *p, int op, const char *what)
{
	if (!tok_op(p, op)) {
		expected(p, what);
		return false;
	}
	lex(p);
	return true;
}

/*
 * Expression parser (after Jinja2's parser.py)
 */

static struct expr *parse_expr(struct parser *p, bool with_cond);
static struct expr *parse_unary(struct parser *p, bool with_filter);
static struct expr *parse_primary(struct parser *p);

static struct expr *new_expr(struct parser *p, enum expr_type type,
			     size_t pos)
{
	struct expr *e = arena_alloc(p->t, sizeof(*e));

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

static const char *tok_strdup(struct parser *p)
{
	return arena_strndup(p->t, p->ls.tok.s, p->ls.tok.slen);
}

/*
 * Parse "(args)" after the current '(' into e->args. Keyword arguments
 * are `name=expr`.
 */
static bool parse_call_args(struct parser *p, struct expr *e)
{
	struct earg **tail = &e->args;

	lex(p); /* ( */
	while (!p->failed && !tok_op(p, ')')) {
		struct earg *a = arena_alloc(p->t, sizeof(*a));

		if (e->nargs && !expect_op(p, ',', "',' or ')'"))
			return false;
		if (tok_op(p, ')'))
			break;
		if (p->ls.tok.type == T_NAME) {
			struct token next = peek(p);

			if (next.type == T_OP && next.op == '=') {
				a->kw = tok_strdup(p);
				lex(p);
				lex(p);
			}
		}
		if (++e->nargs > TEMPLATE_MAX_ARGS)
			return perr(p, p->ls.tok.pos, "too many arguments");
		if (!(a->e = parse_expr(p, true)))
			return false;
		*tail = a;
		tail = &a->next;
	}
	return expect_op(p, ')', "')'");
}

/* A filter or test name; "ansible.builtin.x" and friends mean "x". */
static const char *parse_dotted_name(struct parser *p, size_t *pos)
{
	const char *name;

	if (p->ls.tok.type != T_NAME)
		return expected(p, "a name");
	*pos = p->ls.tok.pos;
	name = tok_strdup(p);
	lex(p);
	while (tok_op(p, '.')) {
		lex(p);
		if (p->ls.tok.type != T_NAME)
			return expected(p, "a name");
		name = tok_strdup(p);
		lex(p);
	}
	return name;
}

static struct expr *parse_filter(struct parser *p, struct expr *in)
{
	struct expr *e;
	size_t pos;
	const char *name = parse_dotted_name(p, &pos);

	if (!name)
		return NULL;
	e = new_expr(p, E_FILTER, pos);
	e->a = in;
	e->name = name;
	e->filter = template_filter_find(name);
	if (!e->filter)
		return perr(p, pos, "no filter named '%s'", name);
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
		lex(p);
	}
	/* "x is none": none is a test name here, not a literal */
	if (!(name = parse_dotted_name(p, &pos)))
		return NULL;
	e = new_expr(p, E_TEST, pos);
	e->a = in;
	e->op = negated;
	e->name = name;
	e->test = template_test_find(name);
	if (!e->test)
		return perr(p, pos, "no test named '%s'", name);
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
		struct earg *a = arena_alloc(p->t, sizeof(*a));

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

	lex(p); /* [ */
	for (;;) {
		if (!tok_op(p, ':') && !tok_op(p, ']') &&
		    !(parts[n] = parse_expr(p, true)))
			return NULL;
		if (!tok_op(p, ':') || n == 2)
			break;
		lex(p);
		n++;
	}
	if (!expect_op(p, ']', "']'"))
		return NULL;
	if (!n) {
		if (!parts[0])
			return perr(p, pos, "expected an index");
		return new_bin(p, E_INDEX, 0, obj, parts[0], pos);
	}
	e = new_expr(p, E_SLICE, pos);
	e->name = NULL;
	e->a = obj;
	e->b = parts[0];
	e->c = parts[1];
	/* the step rides in args to keep struct expr small */
	if (parts[2]) {
		e->args = arena_alloc(p->t, sizeof(*e->args));
		e->args->e = parts[2];
	}
	return e;
}

static struct expr *parse_postfix(struct parser *p, struct expr *e)
{
	while (e && !p->failed) {
		size_t pos = p->ls.tok.pos;

		if (tok_op(p, '.')) {
			lex(p);
			if (p->ls.tok.type == T_NAME) {
				struct expr *a = new_expr(p, E_ATTR, pos);

				a->a = e;
				a->name = tok_strdup(p);
				e = a;
				lex(p);
			} else if (p->ls.tok.type == T_INT) {
				struct expr *k = new_lit(
					p, val_int(p->ls.tok.i), pos);

				e = new_bin(p, E_INDEX, 0, e, k, pos);
				lex(p);
			} else {
				return expected(p, "a name or number");
			}
		} else if (tok_op(p, '[')) {
			e = parse_subscript(p, e);
		} else if (tok_op(p, '(')) {
			struct expr *c = new_expr(p, E_CALL, pos);

			c->a = e;
			if (!parse_call_args(p, c))
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
			lex(p);
			e = parse_filter(p, e);
		} else if (tok_name(p, "is")) {
			lex(p);
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

		if (e->nargs && !expect_op(p, ',', close == ']' ? "',' or ']'" :
					   close == '}' ? "',' or '}'" :
					   "',' or ')'"))
			return NULL;
		if (tok_op(p, close))
			break;
		a = arena_alloc(p->t, sizeof(*a));
		if (dict) {
			if (!(a->key = parse_expr(p, true)) ||
			    !expect_op(p, ':', "':'"))
				return NULL;
		}
		if (!(a->e = parse_expr(p, true)))
			return NULL;
		e->nargs++;
		*tail = a;
		tail = &a->next;
	}
	if (!expect_op(p, close, close == ']' ? "']'" : close == '}' ? "'}'" :
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
		return perr(p, pos, "expression nested too deeply");
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
		lex(p);
		break;
	case T_STR: {
		struct buf b = BUF_INIT;

		/* adjacent literals concatenate, as in Python */
		while (t->type == T_STR) {
			buf_add(&b, t->s, t->slen);
			lex(p);
		}
		e = new_lit(p, val_strn(b.ptr, b.len), pos);
		buf_release(&b);
		break;
	}
	case T_INT:
		e = new_lit(p, val_int(t->i), pos);
		lex(p);
		break;
	case T_FLOAT:
		e = new_lit(p, val_float(t->f), pos);
		lex(p);
		break;
	case T_OP:
		if (t->op == '(') {
			lex(p);
			if (tok_op(p, ')')) {
				lex(p);
				e = new_expr(p, E_LIST, pos);
				break;
			}
			e = parse_expr(p, true);
			if (e && tok_op(p, ',')) {
				struct expr *tuple = new_expr(p, E_LIST, pos);
				struct earg *first = arena_alloc(p->t,
								 sizeof(*first));

				lex(p);
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
					lex(p);
				}
			} else if (!expect_op(p, ')', "')'")) {
				return NULL;
			}
			break;
		}
		if (t->op == '[') {
			lex(p);
			e = parse_seq(p, new_expr(p, E_LIST, pos), ']', false);
			break;
		}
		if (t->op == '{') {
			lex(p);
			e = parse_seq(p, new_expr(p, E_DICT, pos), '}', true);
			break;
		}
		/* fall through */
	default:
		return expected(p, "an expression");
	}
	p->depth--;
	return e;
}

static struct expr *parse_unary(struct parser *p, bool with_filter)
{
	size_t pos = p->ls.tok.pos;
	struct expr *e;

	if (++p->depth > MAX_PARSE_DEPTH)
		return perr(p, pos, "expression nested too deeply");
	if (tok_op(p, '-') || tok_op(p, '+')) {
		bool neg = tok_op(p, '-');

		lex(p);
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

		lex(p);
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
		lex(p);
		e = new_bin(p, E_BIN, op, e, parse_pow(p), pos);
	}
	return e;
}

static struct expr *parse_concat(struct parser *p)
{
	struct expr *e = parse_math2(p);

	while (e && tok_op(p, '~')) {
		size_t pos = p->ls.tok.pos;

		lex(p);
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

		lex(p);
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
			struct token next = peek(p);

			if (next.type != T_NAME || next.slen != 2 ||
			    memcmp(next.s, "in", 2))
				break;
			lex(p);
			op = OP_NOTIN;
		}
		if (op < 0)
			break;
		lex(p);
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
		return perr(p, pos, "expression nested too deeply");
	lex(p);
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

		lex(p);
		e = new_bin(p, E_AND, 0, e, parse_not(p), pos);
	}
	return e;
}

static struct expr *parse_or(struct parser *p)
{
	struct expr *e = parse_and(p);

	while (e && tok_name(p, "or")) {
		size_t pos = p->ls.tok.pos;

		lex(p);
		e = new_bin(p, E_OR, 0, e, parse_and(p), pos);
	}
	return e;
}

static struct expr *parse_expr(struct parser *p, bool with_cond)
{
	struct expr *e;

	if (++p->depth > MAX_PARSE_DEPTH)
		return perr(p, p->ls.tok.pos, "expression nested too deeply");
	e = parse_or(p);
	while (with_cond && e && tok_name(p, "if")) {
		struct expr *c = new_expr(p, E_COND, p->ls.tok.pos);

		lex(p);
		c->a = e;
		if (!(c->b = parse_or(p)))
			return NULL;
		if (tok_name(p, "else")) {
			lex(p);
			if (!(c->c = parse_expr(p, true)))
				return NULL;
		}
		e = c;
	}
	p->depth--;
	return e;
}

/* An expression, or an implicit tuple "a, b" (set, for). */
static struct expr *parse_tuple(struct parser *p, bool with_cond)
{
	size_t pos = p->ls.tok.pos;
	struct expr *e = parse_expr(p, with_cond), *tuple;
	struct earg **tail;

	if (!e || !tok_op(p, ','))
		return e;
	tuple = new_expr(p, E_LIST, pos);
	tail = &tuple->args;
	for (;;) {
		struct earg *a = arena_alloc(p->t, sizeof(*a));

		a->e = e;
		*tail = a;
		tail = &a->next;
		tuple->nargs++;
		if (!tok_op(p, ','))
			break;
		lex(p);
		if (p->ls.tok.type == T_BLOCK_END || p->ls.tok.type == T_EOF ||
		    tok_name(p, "if"))
			break;
		if (!(e = parse_expr(p, with_cond)))
			return NULL;
	}
	return tuple;
}

/*
 * Template parser
 */

static struct node *new_node(struct parser *p, enum node_type type,
			     size_t pos)
{
	struct node *n = arena_alloc(p->t, sizeof(*n));

	n->type = type;
	n->pos = pos;
	return n;
}

/* After a block tag's "%}": strip whitespace (-%}) or one newline. */
static bool block_end(struct parser *p)
{
	size_t i;

	if (p->ls.tok.type != T_BLOCK_END) {
		expected(p, "'%}'");
		return false;
	}
	i = p->ls.pos;
	if (p->ls.tok.strip) {
		while (i < p->len && isspace((unsigned char)p->src[i]))
			i++;
	} else if (i < p->len && p->src[i] == '\n') {
		i++;
	}
	p->ls.pos = i;
	p->ls.braces = 0;
	return true;
}

static struct name_list *parse_names(struct parser *p)
{
	struct name_list *head = NULL, **tail = &head;

	for (;;) {
		struct name_list *n;

		if (p->ls.tok.type != T_NAME)
			return expected(p, "a variable name");
		n = arena_alloc(p->t, sizeof(*n));
		n->name = tok_strdup(p);
		*tail = n;
		tail = &n->next;
		lex(p);
		if (!tok_op(p, ','))
			return head;
		lex(p);
	}
}

static struct node *parse_body(struct parser *p, const char *const *ends,
			       const char **which);

static struct node *parse_if(struct parser *p, size_t pos)
{
	static const char *const ends[] = { "elif", "else", "endif", NULL };
	struct node *n = new_node(p, N_IF, pos);
	const char *which = NULL;

	if (!(n->e = parse_expr(p, true)) || !block_end(p) ||
	    (!(n->body = parse_body(p, ends, &which)) && p->failed))
		return NULL;
	if (!strcmp(which, "elif")) {
		size_t at = p->ls.tok.pos;

		/* an elif is an if nested in the else branch */
		if (!(n->orelse = parse_if(p, at)))
			return NULL;
		return n;
	}
	if (!strcmp(which, "else")) {
		static const char *const endif[] = { "endif", NULL };

		if (!block_end(p) ||
		    (!(n->orelse = parse_body(p, endif, &which)) && p->failed))
			return NULL;
	}
	if (!block_end(p))
		return NULL;
	return n;
}

static struct node *parse_for(struct parser *p, size_t pos)
{
	static const char *const ends[] = { "else", "endfor", NULL };
	static const char *const endfor[] = { "endfor", NULL };
	struct node *n = new_node(p, N_FOR, pos);
	const char *which = NULL;

	if (!(n->names = parse_names(p)))
		return NULL;
	if (!tok_name(p, "in"))
		return expected(p, "'in'");
	lex(p);
	if (!(n->e = parse_tuple(p, false)))
		return NULL;
	if (tok_name(p, "if")) {
		lex(p);
		if (!(n->filter = parse_expr(p, false)))
			return NULL;
	}
	if (tok_name(p, "recursive"))
		return perr(p, p->ls.tok.pos, "recursive loops are not "
			    "supported");
	if (!block_end(p) ||
	    (!(n->body = parse_body(p, ends, &which)) && p->failed))
		return NULL;
	if (!strcmp(which, "else") &&
	    (!block_end(p) ||
	     (!(n->orelse = parse_body(p, endfor, &which)) && p->failed)))
		return NULL;
	if (!block_end(p))
		return NULL;
	return n;
}

static struct node *parse_set(struct parser *p, size_t pos)
{
	static const char *const ends[] = { "endset", NULL };
	struct node *n = new_node(p, N_SET, pos);
	const char *which;

	if (!(n->names = parse_names(p)))
		return NULL;
	if (tok_op(p, '=')) {
		lex(p);
		if (!(n->e = parse_tuple(p, true)) || !block_end(p))
			return NULL;
		return n;
	}
	if (n->names->next)
		return expected(p, "'='");
	n->type = N_SETBLOCK;
	if (!block_end(p) ||
	    (!(n->body = parse_body(p, ends, &which)) && p->failed) ||
	    !block_end(p))
		return NULL;
	return n;
}

/*
 * "{% raw %}...{% endraw %}": the lexer stands after "raw". Find the
 * end tag by hand: nothing inside is parsed.
 */
static struct node *parse_raw(struct parser *p, size_t pos)
{
	const char *s = p->src;
	size_t i, start;
	bool strip_after;

	if (p->ls.tok.type != T_BLOCK_END)
		return expected(p, "'%}'");
	i = p->ls.pos;
	if (p->ls.tok.strip)
		while (i < p->len && isspace((unsigned char)s[i]))
			i++;
	start = i;
	for (;; i++) {
		const char *open = memmem(s + i, p->len - i, "{%", 2);
		size_t j, end;
		bool strip_before = false;

		if (!open)
			return perr(p, pos, "missing '{%% endraw %%}'");
		i = end = (size_t)(open - s);
		j = i + 2;
		if (j < p->len && s[j] == '-') {
			strip_before = true;
			j++;
		}
		while (j < p->len && isspace((unsigned char)s[j]))
			j++;
		if (p->len - j < 6 || memcmp(s + j, "endraw", 6))
			continue;
		j += 6;
		while (j < p->len && isspace((unsigned char)s[j]))
			j++;
		strip_after = j < p->len && s[j] == '-';
		if (strip_after)
			j++;
		if (p->len - j < 2 || memcmp(s + j, "%}", 2))
			continue;
		j += 2;
		if (strip_before)
			while (end > start && isspace((unsigned char)s[end - 1]))
				end--;
		if (strip_after)
			while (j < p->len && isspace((unsigned char)s[j]))
				j++;
		else if (j < p->len && s[j] == '\n')
			j++;
		p->ls.pos = j;
		{
			struct node *n = new_node(p, N_TEXT, start);

			n->text = s + start;
			n->len = end - start;
			return n;
		}
	}
}

static bool is_end_kw(const char *const *ends, const struct parser *p,
		      const char **which)
{
	for (size_t i = 0; ends && ends[i]; i++)
		if (tok_name(p, ends[i])) {
			*which = ends[i];
			return true;
		}
	return false;
}

/*
 * Parse template text into a node list, until a block tag whose keyword
 * is in `ends` (its name goes to *which, the lexer stands after it) or
 * the end of the text (only allowed when ends is NULL). Returns the
 * list, NULL when empty or on error (then p->failed).
 */
static struct node *parse_body(struct parser *p, const char *const *ends,
			       const char **which)
{
	struct node *head = NULL, **tail = &head;
	const char *s = p->src;

	if (++p->depth > MAX_PARSE_DEPTH)
		return perr(p, p->ls.pos, "blocks nested too deeply");
	while (!p->failed) {
		size_t start = p->ls.pos, i = start, text_end, open_pos;
		struct node *n = NULL;
		char kind = 0;

		while (i + 1 < p->len) {
			const char *brace = memchr(s + i, '{', p->len - i - 1);

			if (!brace)
				break;
			i = (size_t)(brace - s);
			if (s[i + 1] == '{' || s[i + 1] == '%' ||
			    s[i + 1] == '#') {
				kind = s[i + 1];
				break;
			}
			i++;
		}
		if (!kind) {
			if (p->len > start) {
				n = new_node(p, N_TEXT, start);
				n->text = s + start;
				n->len = p->len - start;
				*tail = n;
			}
			p->ls.pos = p->len;
			if (ends) {
				size_t last = 0;

				while (ends[last + 1])
					last++;
				perr(p, p->len, "unexpected end of template, "
				     "expected '%s'", ends[last]);
				return NULL;
			}
			break;
		}
		open_pos = i;
		text_end = i;
		i += 2;
		if (i < p->len && s[i] == '-') {
			i++;
			while (text_end > start &&
			       isspace((unsigned char)s[text_end - 1]))
				text_end--;
		}
		if (text_end > start) {
			n = new_node(p, N_TEXT, start);
			n->text = s + start;
			n->len = text_end - start;
			*tail = n;
			tail = &n->next;
		}
		p->ls.pos = i;
		p->ls.braces = 0;
		if (kind == '#') {
			const char *close = memmem(s + i, p->len - i, "#}", 2);
			size_t j;

			if (!close)
				return perr(p, open_pos, "missing end of "
					    "comment tag");
			j = (size_t)(close - s) + 2;
			if (close > s + i && close[-1] == '-')
				while (j < p->len &&
				       isspace((unsigned char)s[j]))
					j++;
			else if (j < p->len && s[j] == '\n')
				j++;
			p->ls.pos = j;
			continue;
		}
		lex(p);
		if (kind == '{') {
			n = new_node(p, N_OUT, open_pos);
			if (!(n->e = parse_expr(p, true)))
				return NULL;
			if (p->ls.tok.type != T_VAR_END)
				return expected(p, "'}}'");
			if (p->ls.tok.strip)
				while (p->ls.pos < p->len &&
				       isspace((unsigned char)s[p->ls.pos]))
					p->ls.pos++;
		} else {
			size_t kwpos = p->ls.tok.pos;

			if (p->ls.tok.type != T_NAME)
				return expected(p, "a tag name");
			if (is_end_kw(ends, p, which)) {
				lex(p);
				p->depth--;
				return head;
			}
			if (tok_name(p, "if")) {
				lex(p);
				n = parse_if(p, open_pos);
			} else if (tok_name(p, "for")) {
				lex(p);
				n = parse_for(p, open_pos);
			} else if (tok_name(p, "set")) {
				lex(p);
				n = parse_set(p, open_pos);
			} else if (tok_name(p, "raw")) {
				lex(p);
				n = parse_raw(p, open_pos);
			} else {
				return perr(p, kwpos, "unknown tag '%.*s'",
					    (int)p->ls.tok.slen, p->ls.tok.s);
			}
			if (!n)
				return NULL;
		}
		*tail = n;
		while (n->next)
			n = n->next;
		tail = &n->next;
	}
	p->depth--;
	return p->failed ? NULL : head;
}

static void parser_init(struct parser *p, const char *src)
{
	memset(p, 0, sizeof(*p));
	p->t = xcalloc(1, sizeof(*p->t));
	p->t->lits = val_list();
	p->src = src;
	p->len = strlen(src);
	buf_init(&p->err, 0);
}

static int compile_template(struct tpl **out, const char *src)
{
	struct parser p;
	int error = 0;

	parser_init(&p, src);
	p.t->body = parse_body(&p, NULL, NULL);
	if (p.failed) {
		error = parse_error_set(&p);
		tpl_free(p.t);
		p.t = NULL;
	}
	buf_release(&p.err);
	*out = p.t;
	return error;
}

static int compile_expr(struct tpl **out, const char *src)
{
	struct parser p;
	int error = 0;

	parser_init(&p, src);
	lex(&p);
	p.t->expr = parse_expr(&p, true);
	if (!p.failed && p.ls.tok.type != T_EOF)
		expected(&p, "end of expression");
	if (p.failed) {
		error = parse_error_set(&p);
		tpl_free(p.t);
		p.t = NULL;
	}
	buf_release(&p.err);
	*out = p.t;
	return error;
}

/*
 * Values
 */

struct val *template_undef(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct val *v;
	va_list ap;
	size_t len;
	char *s;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	s = buf_detach(&b, &len);
	v = val_str_take(s, len);
	v->flags |= TEMPLATE_F_UNDEF;
	return v;
}

int template_need(const struct val *v)
{
	if (!template_is_undef(v))
		return 0;
	return tend_error_set_code(TEND_EUNDEFINED, "%s", v->u.s.ptr);
}

void template_to_str(struct buf *out, const struct val *v)
{
	if (v->type == VAL_STR)
		buf_add(out, v->u.s.ptr, v->u.s.len);
	else
		val_to_str(out, v);
}

int template_truthy(bool *out, const struct val *v)
{
	int error;

	if ((error = template_need(v)) < 0)
		return error;
	*out = truth_python(v);
	return 0;
}

const char *template_type_name(const struct val *v)
{
	if (template_is_undef(v))
		return "AnsibleUndefined";
	switch (v->type) {
	case VAL_NULL:
		return "NoneType";
	case VAL_BOOL:
		return "bool";
	case VAL_INT:
		return "int";
	case VAL_FLOAT:
		return "float";
	case VAL_STR:
		return "str";
	case VAL_LIST:
		return "list";
	default:
		return "dict";
	}
}

void template_getattr(struct val **out, struct val *obj, const char *name)
{
	struct val *v;

	if (template_is_undef(obj)) {
		*out = val_ref(obj);
		return;
	}
	if (obj->type == VAL_DICT && (v = val_dict_get(obj, name))) {
		*out = val_ref(v);
		return;
	}
	if (obj->type == VAL_NULL)
		*out = template_undef("'None' has no attribute '%s'", name);
	else
		*out = template_undef("'%s object' has no attribute '%s'",
				      template_type_name(obj), name);
}

bool template_has_jinja(const char *s)
{
	for (const char *p = s; (p = strchr(p, '{')); p++)
		if (p[1] == '{' || p[1] == '%' || p[1] == '#')
			return true;
	return false;
}

static bool needs_render(const struct val *v)
{
	if (v->flags & VAL_F_UNSAFE)
		return false;
	switch (v->type) {
	case VAL_STR:
		return !(v->flags & VAL_F_UNSAFE) &&
		       template_has_jinja(v->u.s.ptr);
	case VAL_LIST:
		for (size_t i = 0; i < v->u.list.nr; i++)
			if (needs_render(v->u.list.items[i]))
				return true;
		return false;
	case VAL_DICT:
		for (size_t i = 0; i < v->u.dict.nr; i++)
			if (needs_render(v->u.dict.items[i].v) ||
			    template_has_jinja(v->u.dict.items[i].key))
				return true;
		return false;
	default:
		return false;
	}
}

static int render_value(struct val **out, const struct val *in,
			struct tctx *c);

const struct val *scope_get(const struct scope *s, const char *name)
{
	for (; s; s = s->parent) {
		const struct val *v = val_dict_get(s->vars, name);

		if (v)
			return v;
	}
	return NULL;
}

static const char *scope_basedir(const struct scope *s)
{
	for (; s; s = s->parent)
		if (s->basedir)
			return s->basedir;
	return NULL;
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
	if (!(v = scope_get(c->scope, name))) {
		*out = template_undef("'%s' is undefined", name);
		return 0;
	}
	if (!needs_render(v)) {
		*out = val_ref((struct val *)v);
		return 0;
	}
	sub.scope = c->scope;
	sub.frame = NULL;
	sub.depth = c->depth + 1;
	sub.secret = c->secret;
	sub.unsafe = c->unsafe;
	return render_value(out, v, &sub);
}

/*
 * Operators
 */

static bool num_of(const struct val *v, bool *is_int, long long *i, double *f)
{
	switch (v->type) {
	case VAL_BOOL:
		*is_int = true;
		*i = v->u.b;
		*f = v->u.b;
		return true;
	case VAL_INT:
		*is_int = true;
		*i = v->u.i;
		*f = (double)v->u.i;
		return true;
	case VAL_FLOAT:
		*is_int = false;
		*f = v->u.f;
		return true;
	default:
		return false;
	}
}

static const char *const op_text[] = {
	[OP_ADD] = "+",	 [OP_SUB] = "-",  [OP_MUL] = "*",
	[OP_DIV] = "/",	 [OP_FLOORDIV] = "//", [OP_MOD] = "%",
	[OP_POW] = "**", [OP_CONCAT] = "~", [OP_EQ] = "==",
	[OP_NE] = "!=",	 [OP_LT] = "<", [OP_GT] = ">",
	[OP_LE] = "<=",	 [OP_GE] = ">=", [OP_IN] = "in",
	[OP_NOTIN] = "not in",
};

static const char *op_name(int op)
{
	return op >= 0 && op < (int)ARRAY_SIZE(op_text) ? op_text[op] : "?";
}

static int type_error(int op, const struct val *a, const struct val *b)
{
	return tend_error_set("unsupported operand type(s) for %s: '%s' and "
			      "'%s'", op_name(op), template_type_name(a),
			      template_type_name(b));
}

static struct val *repeat(const struct val *seq, long long n)
{
	struct val *r;

	if (seq->type == VAL_STR) {
		struct buf b = BUF_INIT;
		size_t len;
		char *s;

		for (long long k = 0; k < n; k++)
			buf_add(&b, seq->u.s.ptr, seq->u.s.len);
		s = buf_detach(&b, &len);
		return val_str_take(s, len);
	}
	r = val_list();
	for (long long k = 0; k < n; k++)
		for (size_t i = 0; i < seq->u.list.nr; i++)
			val_list_push(r, val_ref(seq->u.list.items[i]));
	return r;
}

static int arith(struct val **out, int op, const struct val *a,
		 const struct val *b)
{
	bool ai, bi;
	long long x, y, r;
	double f, g;

	if (!num_of(a, &ai, &x, &f) || !num_of(b, &bi, &y, &g)) {
		const struct val *seq = a, *cnt = b;

		if (op == OP_ADD && a->type == b->type &&
		    (a->type == VAL_STR || a->type == VAL_LIST)) {
			if (a->type == VAL_STR) {
				struct buf s = BUF_INIT;
				size_t len;
				char *p;

				buf_add(&s, a->u.s.ptr, a->u.s.len);
				buf_add(&s, b->u.s.ptr, b->u.s.len);
				p = buf_detach(&s, &len);
				*out = val_str_take(p, len);
			} else {
				struct val *l = val_list();

				for (size_t i = 0; i < a->u.list.nr; i++)
					val_list_push(l, val_ref(a->u.list.items[i]));
				for (size_t i = 0; i < b->u.list.nr; i++)
					val_list_push(l, val_ref(b->u.list.items[i]));
				*out = l;
			}
			return 0;
		}
		if (op == OP_MOD && a->type == VAL_STR) {
			struct buf s = BUF_INIT;
			size_t len;
			char *p;
			int error = template_percent_format(&s, a->u.s.ptr, b);

			if (error < 0) {
				buf_release(&s);
				return error;
			}
			p = buf_detach(&s, &len);
			*out = val_str_take(p, len);
			return 0;
		}
		if (op == OP_MUL && (b->type == VAL_STR || b->type == VAL_LIST)) {
			seq = b;
			cnt = a;
		}
		if (op == OP_MUL && (seq->type == VAL_STR ||
				     seq->type == VAL_LIST) &&
		    (cnt->type == VAL_INT || cnt->type == VAL_BOOL)) {
			long long n = cnt->type == VAL_INT ? cnt->u.i : cnt->u.b;

			if (n > 0 && val_len(seq) && (unsigned long long)n >
			    (64ull << 20) / val_len(seq))
				return tend_error_set("repetition too large");
			*out = repeat(seq, n);
			return 0;
		}
		return type_error(op, a, b);
	}
	if (ai && bi) {
		switch (op) {
		case OP_ADD:
			if (__builtin_add_overflow(x, y, &r))
				goto overflow;
			*out = val_int(r);
			return 0;
		case OP_SUB:
			if (__builtin_sub_overflow(x, y, &r))
				goto overflow;
			*out = val_int(r);
			return 0;
		case OP_MUL:
			if (__builtin_mul_overflow(x, y, &r))
				goto overflow;
			*out = val_int(r);
			return 0;
		case OP_FLOORDIV:
		case OP_MOD:
			if (!y)
				return tend_error_set("integer division or "
						      "modulo by zero");
			if (x == LLONG_MIN && y == -1)
				goto overflow;
			r = x / y;
			if ((x % y) && ((x < 0) != (y < 0)))
				r--;
			*out = val_int(op == OP_FLOORDIV ? r : x - r * y);
			return 0;
		case OP_POW:
			if (y >= 0) {
				long long acc = 1, base = x;

				while (y) {
					if ((y & 1) &&
					    __builtin_mul_overflow(acc, base, &acc))
						goto overflow;
					y >>= 1;
					if (y && __builtin_mul_overflow(base, base,
									&base))
						goto overflow;
				}
				*out = val_int(acc);
				return 0;
			}
			break;
		default:
			break;
		}
	}
	switch (op) {
	case OP_ADD:
		*out = val_float(f + g);
		return 0;
	case OP_SUB:
		*out = val_float(f - g);
		return 0;
	case OP_MUL:
		*out = val_float(f * g);
		return 0;
	case OP_DIV:
		if (g == 0)
			return tend_error_set("division by zero");
		*out = val_float(f / g);
		return 0;
	case OP_FLOORDIV:
		if (g == 0)
			return tend_error_set("float divmod()");
		*out = val_float(floor(f / g));
		return 0;
	case OP_MOD: {
		double m;

		if (g == 0)
			return tend_error_set("float modulo");
		m = fmod(f, g);
		if (m != 0 && ((m < 0) != (g < 0)))
			m += g;
		*out = val_float(m);
		return 0;
	}
	case OP_POW:
		if (f == 0 && g < 0)
			return tend_error_set("0.0 cannot be raised to a "
					      "negative power");
		*out = val_float(pow(f, g));
		return 0;
	default:
		return type_error(op, a, b);
	}
overflow:
	return tend_error_set("integer overflow in '%s'", op_name(op));
}

/* `needle in hay`, as Python's `in`. */
static int contains(bool *out, const struct val *hay, const struct val *needle)
{
	switch (hay->type) {
	case VAL_STR:
		if (needle->type != VAL_STR)
			return tend_error_set("'in <string>' requires string "
					      "as left operand, not %s",
					      template_type_name(needle));
		*out = memmem(hay->u.s.ptr, hay->u.s.len, needle->u.s.ptr,
			      needle->u.s.len) != NULL;
		return 0;
	case VAL_LIST:
		*out = false;
		for (size_t i = 0; i < hay->u.list.nr && !*out; i++)
			*out = val_equal(hay->u.list.items[i], needle);
		return 0;
	case VAL_DICT:
		*out = needle->type == VAL_STR &&
		       val_dict_get(hay, needle->u.s.ptr);
		return 0;
	default:
		return tend_error_set("argument of type '%s' is not iterable",
				      template_type_name(hay));
	}
}

static int binop(struct val **out, int op, const struct val *a,
		 const struct val *b)
{
	int error, cmp;
	bool r = false;

	if ((error = template_need(a)) < 0 || (error = template_need(b)) < 0)
		return error;
	switch (op) {
	case OP_CONCAT: {
		struct buf s = BUF_INIT;
		size_t len;
		char *p;

		template_to_str(&s, a);
		template_to_str(&s, b);
		p = buf_detach(&s, &len);
		*out = val_str_take(p, len);
		return 0;
	}
	case OP_EQ:
	case OP_NE:
		*out = val_bool(val_equal(a, b) == (op == OP_EQ));
		return 0;
	case OP_LT:
	case OP_GT:
	case OP_LE:
	case OP_GE:
		if ((a->type == VAL_NULL || b->type == VAL_NULL) ||
		    val_compare(&cmp, a, b) < 0)
			return tend_error_set("'%s' not supported between "
					      "instances of '%s' and '%s'",
					      op_name(op), template_type_name(a),
					      template_type_name(b));
		*out = val_bool(op == OP_LT ? cmp < 0 : op == OP_GT ? cmp > 0 :
				op == OP_LE ? cmp <= 0 : cmp >= 0);
		return 0;
	case OP_IN:
	case OP_NOTIN:
		if ((error = contains(&r, b, a)) < 0)
			return error;
		*out = val_bool(r == (op == OP_IN));
		return 0;
	default:
		return arith(out, op, a, b);
	}
}

/* Python's slice index arithmetic. */
static void slice_bounds(long long len, const struct val *start,
			 const struct val *stop, long long step, long long *lo,
			 long long *hi)
{
	long long dlo = step > 0 ? 0 : len - 1, dhi = step > 0 ? len : -1;

	*lo = dlo;
	*hi = dhi;
	if (start && start->type == VAL_INT) {
		*lo = start->u.i < 0 ? start->u.i + len : start->u.i;
		if (*lo < 0)
			*lo = step > 0 ? 0 : -1;
		if (*lo >= len)
			*lo = step > 0 ? len : len - 1;
	}
	if (stop && stop->type == VAL_INT) {
		*hi = stop->u.i < 0 ? stop->u.i + len : stop->u.i;
		if (*hi < 0)
			*hi = step > 0 ? 0 : -1;
		if (*hi >= len)
			*hi = step > 0 ? len : len - 1;
	}
}

static int do_slice(struct val **out, const struct val *obj,
		    const struct val *start, const struct val *stop,
		    const struct val *stepv)
{
	long long step = 1, lo, hi, len = (long long)val_len(obj);
	const struct val *bounds[] = { start, stop, stepv };

	for (size_t i = 0; i < ARRAY_SIZE(bounds); i++)
		if (bounds[i] && bounds[i]->type != VAL_INT &&
		    bounds[i]->type != VAL_NULL)
			return tend_error_set("slice indices must be integers "
					      "or None");
	if (stepv && stepv->type == VAL_INT)
		step = stepv->u.i;
	if (!step)
		return tend_error_set("slice step cannot be zero");
	if (obj->type != VAL_STR && obj->type != VAL_LIST)
		return tend_error_set("'%s' object is not subscriptable",
				      template_type_name(obj));
	slice_bounds(len, start, stop, step, &lo, &hi);
	if (obj->type == VAL_STR) {
		struct buf b = BUF_INIT;
		size_t n;
		char *s;

		for (long long i = lo; step > 0 ? i < hi : i > hi; i += step)
			buf_addch(&b, obj->u.s.ptr[i]);
		s = buf_detach(&b, &n);
		*out = val_str_take(s, n);
	} else {
		*out = val_list();
		for (long long i = lo; step > 0 ? i < hi : i > hi; i += step)
			val_list_push(*out, val_ref(obj->u.list.items[i]));
	}
	return 0;
}

static int getitem(struct val **out, struct val *obj, const struct val *key)
{
	int error;

	if (template_is_undef(obj)) {
		*out = val_ref(obj);
		return 0;
	}
	if ((error = template_need(key)) < 0)
		return error;
	if (obj->type == VAL_DICT) {
		struct buf k = BUF_INIT;

		template_to_str(&k, key);
		template_getattr(out, obj, k.ptr);
		buf_release(&k);
		return 0;
	}
	if ((obj->type == VAL_LIST || obj->type == VAL_STR) &&
	    (key->type == VAL_INT || key->type == VAL_BOOL)) {
		long long n = (long long)val_len(obj);
		long long i = key->type == VAL_INT ? key->u.i : key->u.b;

		if (i < 0)
			i += n;
		if (i < 0 || i >= n) {
			*out = template_undef("%s object has no element %lld",
					      template_type_name(obj),
					      key->type == VAL_INT ? key->u.i :
								     key->u.b);
			return 0;
		}
		if (obj->type == VAL_LIST)
			*out = val_ref(obj->u.list.items[i]);
		else
			*out = val_strn(obj->u.s.ptr + i, 1);
		return 0;
	}
	if (key->type == VAL_STR) {
		template_getattr(out, obj, key->u.s.ptr);
		return 0;
	}
	*out = template_undef("'%s object' has no element", template_type_name(obj));
	return 0;
}

/*
 * Calls: globals (range, lookup, query) and methods of values
 */

static void args_release(struct targs *a)
{
	for (size_t i = 0; i < a->npos; i++)
		val_unref(a->pos[i]);
	for (size_t i = 0; i < a->nkw; i++)
		val_unref(a->kw[i]);
	a->npos = a->nkw = 0;
}

static int eval(struct val **out, const struct expr *e, struct tctx *c);

static int eval_args(struct targs *a, const struct expr *e, struct tctx *c)
{
	int error;

	a->npos = a->nkw = 0;
	for (struct earg *arg = e->args; arg; arg = arg->next) {
		struct val *v;

		if ((error = eval(&v, arg->e, c)) < 0)
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

static struct val *kwarg(const struct targs *a, const char *name)
{
	for (size_t i = 0; i < a->nkw; i++)
		if (!strcmp(a->kwname[i], name))
			return a->kw[i];
	return NULL;
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

static int lookup_one(struct val **out, const char *plugin,
		      const struct val *term, struct tctx *c)
{
	const char *name = val_cstr(term);

	if (!name)
		return tend_error_set("lookup('%s'): terms must be strings",
				      plugin);
	if (!strcmp(plugin, "env")) {
		const char *v = getenv(name);

		*out = val_str(v ? v : "");
		return 0;
	}
	if (!strcmp(plugin, "file")) {
		struct buf path = BUF_INIT, data = BUF_INIT;
		const char *base = scope_basedir(c->scope);
		int error;
		size_t len;
		char *s;

		if (name[0] != '/' && base)
			buf_addf(&path, "%s/", base);
		buf_adds(&path, name);
		error = buf_read_file(&data, path.ptr);
		buf_release(&path);
		if (error < 0) {
			buf_release(&data);
			return tend_error_prefix("lookup('file', '%s')", name);
		}
		buf_rtrim(&data);
		s = buf_detach(&data, &len);
		*out = val_str_take(s, len);
		return 0;
	}
	if (!strcmp(plugin, "vars")) {
		int error = lookup_name(out, name, c);

		if (error < 0)
			return error;
		if (template_is_undef(*out)) {
			val_unref(*out);
			*out = NULL;
			return tend_error_set_code(TEND_EUNDEFINED,
						   "No variable found with "
						   "this name: %s", name);
		}
		return 0;
	}
	return tend_error_set("lookup plugin '%s' not found", plugin);
}

static int call_lookup(struct val **out, const struct targs *a, bool as_list,
		       struct tctx *c)
{
	const char *plugin;
	struct val *list, *wantlist = kwarg(a, "wantlist");
	int error;

	if (!a->npos || !(plugin = val_cstr(a->pos[0])))
		return tend_error_set("lookup() needs a plugin name");
	list = val_list();
	for (size_t i = 1; i < a->npos; i++) {
		const struct val *term = a->pos[i];
		struct val *v;

		/* a list of terms is spread, as Ansible does */
		size_t n = term->type == VAL_LIST ? term->u.list.nr : 1;

		for (size_t k = 0; k < n; k++) {
			const struct val *t = term->type == VAL_LIST ?
						      term->u.list.items[k] : term;

			if ((error = lookup_one(&v, plugin, t, c)) < 0) {
				val_unref(list);
				return error;
			}
			val_list_push(list, v);
		}
	}
	if (as_list || (wantlist && truth_python(wantlist))) {
		*out = list;
		return 0;
	}
	if (list->u.list.nr == 1) {
		*out = val_ref(list->u.list.items[0]);
	} else {
		struct buf b = BUF_INIT;
		size_t len;
		char *s;

		for (size_t i = 0; i < list->u.list.nr; i++) {
			if (i)
				buf_addch(&b, ',');
			template_to_str(&b, list->u.list.items[i]);
		}
		s = buf_detach(&b, &len);
		*out = val_str_take(s, len);
	}
	val_unref(list);
	return 0;
}

static struct val *str_result(struct buf *b)
{
	size_t len;
	char *s = buf_detach(b, &len);

	return val_str_take(s, len);
}

static bool is_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

void template_str_replace(struct buf *out, const char *s, size_t len,
			  const char *from, const char *to, long long max)
{
	size_t fl = strlen(from);

	for (size_t i = 0; i <= len; i++) {
		if (max && (fl ? i + fl <= len && !memcmp(s + i, from, fl) :
				 true)) {
			buf_adds(out, to);
			if (max > 0)
				max--;
			if (fl) {
				i += fl - 1;
				continue;
			}
		}
		if (i < len)
			buf_addch(out, s[i]);
	}
}

struct val *template_py_split(const char *s, size_t len, const char *sep,
			      long long max)
{
	struct val *l = val_list();
	size_t i = 0;

	if (!sep) {
		while (i < len) {
			size_t j;

			while (i < len && is_py_space(s[i]))
				i++;
			if (i >= len)
				break;
			if (max >= 0 && (long long)l->u.list.nr >= max) {
				size_t end = len;

				while (end > i && is_py_space(s[end - 1]))
					end--;
				val_list_push(l, val_strn(s + i, end - i));
				break;
			}
			j = i;
			while (j < len && !is_py_space(s[j]))
				j++;
			val_list_push(l, val_strn(s + i, j - i));
			i = j;
		}
		return l;
	}
	for (;;) {
		size_t seplen = strlen(sep);
		const char *hit = seplen && (max < 0 ||
					     (long long)l->u.list.nr < max) ?
					  memmem(s + i, len - i, sep, seplen) :
					  NULL;

		if (!hit) {
			val_list_push(l, val_strn(s + i, len - i));
			return l;
		}
		val_list_push(l, val_strn(s + i, (size_t)(hit - s) - i));
		i = (size_t)(hit - s) + seplen;
	}
}

static struct val *py_strip(const struct val *v, const char *chars, int which)
{
	const char *s = v->u.s.ptr;
	size_t lo = 0, hi = v->u.s.len;

#define STRIPPABLE(ch) (chars ? strchr(chars, (ch)) != NULL && (ch) : \
			is_py_space(ch))
	if (which <= 0)
		while (lo < hi && STRIPPABLE(s[lo]))
			lo++;
	if (which >= 0)
		while (hi > lo && STRIPPABLE(s[hi - 1]))
			hi--;
#undef STRIPPABLE
	return val_strn(s + lo, hi - lo);
}

/* "{} {0} {name}".format(...), without format specs. */
static int py_format(struct val **out, const char *fmt, const struct targs *a)
{
	struct buf b = BUF_INIT;
	size_t auto_idx = 0;

	for (const char *p = fmt; *p; p++) {
		const char *close;
		struct val *v = NULL;

		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			buf_addch(&b, *p++);
			continue;
		}
		if (*p != '{') {
			buf_addch(&b, *p);
			continue;
		}
		if (!(close = strchr(p, '}'))) {
			buf_release(&b);
			return tend_error_set("single '{' encountered in format "
					      "string");
		}
		{
			size_t n = strcspn(p + 1, ":!}");
			char *field = xstrndup(p + 1, n);

			if (!*field) {
				if (auto_idx < a->npos)
					v = a->pos[auto_idx++];
			} else if (isdigit((unsigned char)field[0])) {
				size_t i = strtoul(field, NULL, 10);

				if (i < a->npos)
					v = a->pos[i];
			} else {
				v = kwarg(a, field);
			}
			if (!v) {
				buf_release(&b);
				tend_error_set("format(): no argument for '{%s}'",
					       field);
				free(field);
				return -1;
			}
			free(field);
		}
		template_to_str(&b, v);
		p = close;
	}
	*out = str_result(&b);
	return 0;
}

static int str_method(struct val **out, const struct val *obj,
		      const char *name, const struct targs *a)
{
	const char *s = obj->u.s.ptr;
	size_t len = obj->u.s.len;
	const char *arg0 = a->npos ? val_cstr(a->pos[0]) : NULL;
	struct buf b = BUF_INIT;

	if (!strcmp(name, "split") || !strcmp(name, "rsplit")) {
		struct val *m = a->npos > 1 ? a->pos[1] : kwarg(a, "maxsplit");

		if (!strcmp(name, "rsplit") && m && m->type == VAL_INT &&
		    m->u.i >= 0)
			return tend_error_set("rsplit with maxsplit is not "
					      "supported");
		*out = template_py_split(s, len, arg0, m && m->type == VAL_INT ?
							m->u.i : -1);
		return 0;
	}
	if (!strcmp(name, "strip") || !strcmp(name, "lstrip") ||
	    !strcmp(name, "rstrip")) {
		*out = py_strip(obj, arg0, name[0] == 'l' ? -1 :
					   name[0] == 'r' ? 1 : 0);
		return 0;
	}
	if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
		for (size_t i = 0; i < len; i++)
			buf_addch(&b, (char)(name[0] == 'l' ?
					     tolower((unsigned char)s[i]) :
					     toupper((unsigned char)s[i])));
		*out = str_result(&b);
		return 0;
	}
	if (!strcmp(name, "startswith") || !strcmp(name, "endswith")) {
		const struct val *p = a->npos ? a->pos[0] : NULL;
		bool hit = false;
		size_t n = p && p->type == VAL_LIST ? p->u.list.nr : 1;

		for (size_t k = 0; p && k < n && !hit; k++) {
			const struct val *x = p->type == VAL_LIST ?
						      p->u.list.items[k] : p;
			size_t xl = val_len(x);

			if (x->type != VAL_STR)
				return tend_error_set("%s arg must be str",
						      name);
			hit = xl <= len &&
			      !memcmp(name[0] == 's' ? s : s + len - xl,
				      x->u.s.ptr, xl);
		}
		if (!p)
			return tend_error_set("%s() takes an argument", name);
		*out = val_bool(hit);
		return 0;
	}
	if (!strcmp(name, "replace")) {
		const char *to = a->npos > 1 ? val_cstr(a->pos[1]) : NULL;
		long long max = a->npos > 2 && a->pos[2]->type == VAL_INT ?
					a->pos[2]->u.i : -1;

		if (!arg0 || !to)
			return tend_error_set("replace() takes two strings");
		template_str_replace(&b, s, len, arg0, to, max);
		*out = str_result(&b);
		return 0;
	}
	if (!strcmp(name, "format"))
		return py_format(out, s, a);
	if (!strcmp(name, "join")) {
		const struct val *l = a->npos ? a->pos[0] : NULL;

		if (!l || l->type != VAL_LIST)
			return tend_error_set("join() takes a list");
		for (size_t i = 0; i < l->u.list.nr; i++) {
			if (i)
				buf_add(&b, s, len);
			template_to_str(&b, l->u.list.items[i]);
		}
		*out = str_result(&b);
		return 0;
	}
	if (!strcmp(name, "find") || !strcmp(name, "count")) {
		const char *hit;
		long long n = 0;

		if (!arg0)
			return tend_error_set("%s() takes a string", name);
		if (name[0] == 'f') {
			hit = memmem(s, len, arg0, strlen(arg0));
			*out = val_int(hit ? hit - s : -1);
			return 0;
		}
		for (size_t i = 0; *arg0 && i < len; n++) {
			hit = memmem(s + i, len - i, arg0, strlen(arg0));
			if (!hit)
				break;
			i = (size_t)(hit - s) + strlen(arg0);
		}
		if (!*arg0)
			n = (long long)len + 1;
		*out = val_int(n);
		return 0;
	}
	if (!strcmp(name, "isdigit") || !strcmp(name, "isalpha") ||
	    !strcmp(name, "isspace")) {
		bool ok = len > 0;

		for (size_t i = 0; i < len; i++)
			if (!(name[2] == 'd' ? isdigit((unsigned char)s[i]) :
			      name[2] == 'a' ? isalpha((unsigned char)s[i]) :
					       isspace((unsigned char)s[i])))
				ok = false;
		*out = val_bool(ok);
		return 0;
	}
	if (!strcmp(name, "capitalize") || !strcmp(name, "title"))
		return template_filter_apply(out, name, (struct val *)obj, a,
					     NULL);
	if (!strcmp(name, "splitlines")) {
		struct val *l = val_list();
		size_t i = 0;

		while (i < len) {
			size_t j = i;

			while (j < len && s[j] != '\n' && s[j] != '\r')
				j++;
			val_list_push(l, val_strn(s + i, j - i));
			if (j < len && s[j] == '\r' && j + 1 < len &&
			    s[j + 1] == '\n')
				j++;
			i = j + 1;
		}
		*out = l;
		return 0;
	}
	return tend_error_set("'str object' has no attribute '%s'", name);
}

static int dict_method(struct val **out, const struct val *obj,
		       const char *name, const struct targs *a)
{
	if (!strcmp(name, "keys") || !strcmp(name, "values") ||
	    !strcmp(name, "items")) {
		struct val *l = val_list();

		for (size_t i = 0; i < obj->u.dict.nr; i++) {
			const struct val_pair *pr = &obj->u.dict.items[i];

			if (name[0] == 'k') {
				val_list_push(l, val_str(pr->key));
			} else if (name[0] == 'v') {
				val_list_push(l, val_ref(pr->v));
			} else {
				struct val *t = val_list();

				t->flags |= VAL_F_TUPLE;
				val_list_push(t, val_str(pr->key));
				val_list_push(t, val_ref(pr->v));
				val_list_push(l, t);
			}
		}
		*out = l;
		return 0;
	}
	if (!strcmp(name, "get")) {
		struct val *v;
		struct buf k = BUF_INIT;

		if (!a->npos)
			return tend_error_set("get() takes a key");
		template_to_str(&k, a->pos[0]);
		v = val_dict_get(obj, k.ptr);
		buf_release(&k);
		*out = v ? val_ref(v) :
			   a->npos > 1 ? val_ref(a->pos[1]) : val_null();
		return 0;
	}
	if (!strcmp(name, "copy")) {
		*out = val_copy(obj);
		return 0;
	}
	return tend_error_set("'dict object' has no attribute '%s'", name);
}

static int list_method(struct val **out, const struct val *obj,
		       const char *name, const struct targs *a)
{
	if ((!strcmp(name, "index") || !strcmp(name, "count")) && a->npos) {
		long long n = 0;

		for (size_t i = 0; i < obj->u.list.nr; i++) {
			if (!val_equal(obj->u.list.items[i], a->pos[0]))
				continue;
			if (name[0] == 'i') {
				*out = val_int((long long)i);
				return 0;
			}
			n++;
		}
		if (name[0] == 'i') {
			struct buf r = BUF_INIT;

			val_to_repr(&r, a->pos[0]);
			tend_error_set("%s is not in list", r.ptr);
			buf_release(&r);
			return -1;
		}
		*out = val_int(n);
		return 0;
	}
	return tend_error_set("'list object' has no attribute '%s'", name);
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
		if ((error = eval(&obj, callee->a, c)) < 0)
			return error;
		if ((error = template_need(obj)) < 0) {
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
	switch (obj->type) {
	case VAL_STR:
		error = str_method(out, obj, callee->name, &a);
		break;
	case VAL_DICT:
		error = dict_method(out, obj, callee->name, &a);
		break;
	case VAL_LIST:
		error = list_method(out, obj, callee->name, &a);
		break;
	default:
		error = tend_error_set("'%s object' has no attribute '%s'",
				       template_type_name(obj), callee->name);
	}
out:
	args_release(&a);
	val_unref(obj);
	return error;
}

static int eval_filter(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *in;
	struct targs a;
	int error;

	if ((error = eval(&in, e->a, c)) < 0)
		return error;
	if (!(e->filter->flags & TFILTER_UNDEF_OK) &&
	    (error = template_need(in)) < 0)
		goto out;
	if ((error = eval_args(&a, e, c)) < 0)
		goto out_args;
	error = e->filter->fn(out, in, &a, c);
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
	bool r = false;
	int error;

	if ((error = eval(&in, e->a, c)) < 0)
		return error;
	a.npos = a.nkw = 0;
	if (template_is_undef(in) && !(e->test->flags & TTEST_UNDEF_OK)) {
		if (!(e->test->flags & TTEST_UNDEF_FALSE))
			error = template_need(in);
		goto out;
	}
	if ((error = eval_args(&a, e, c)) < 0)
		goto out;
	error = e->test->fn(&r, in, &a, c);
out:
	if (!error)
		*out = val_bool(r != (e->op != 0));
	args_release(&a);
	val_unref(in);
	return error;
}

static int eval_list(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *l = e->type == E_LIST ? val_list() : val_dict();
	int error = 0;

	for (struct earg *a = e->args; a; a = a->next) {
		struct val *k = NULL, *v = NULL;

		if ((a->key && ((error = eval(&k, a->key, c)) < 0 ||
				(error = template_need(k)) < 0)) ||
		    (error = eval(&v, a->e, c)) < 0 ||
		    (error = template_need(v)) < 0) {
			val_unref(k);
			val_unref(v);
			val_unref(l);
			return error;
		}
		if (k) {
			struct buf ks = BUF_INIT;

			template_to_str(&ks, k);
			val_dict_set(l, ks.ptr, v);
			buf_release(&ks);
			val_unref(k);
		} else {
			val_list_push(l, v);
		}
	}
	*out = l;
	return 0;
}

static int eval_node(struct val **out, const struct expr *e, struct tctx *c);

/*
 * Evaluate e. Every value an expression reads (a name, an attribute, an
 * item, what a filter passed through) comes out of here, so this is where
 * reading host data marks the template's result unsafe.
 */
static int eval(struct val **out, const struct expr *e, struct tctx *c)
{
	int error = eval_node(out, e, c);

	if (!error && *out && ((*out)->flags & VAL_F_UNSAFE) && c->unsafe)
		*c->unsafe = true;
	return error;
}

static int eval_node(struct val **out, const struct expr *e, struct tctx *c)
{
	struct val *a = NULL, *b = NULL, *x = NULL;
	int error = 0;
	bool t;

	*out = NULL;
	switch (e->type) {
	case E_LIT:
		*out = val_ref(e->lit);
		return 0;
	case E_NAME:
		return lookup_name(out, e->name, c);
	case E_ATTR:
		if ((error = eval(&a, e->a, c)) < 0)
			return error;
		template_getattr(out, a, e->name);
		break;
	case E_INDEX:
		if ((error = eval(&a, e->a, c)) < 0 ||
		    (error = eval(&b, e->b, c)) < 0)
			break;
		error = getitem(out, a, b);
		break;
	case E_SLICE:
		if ((error = eval(&a, e->a, c)) < 0 ||
		    (error = template_need(a)) < 0 ||
		    (e->b && ((error = eval(&b, e->b, c)) < 0 ||
			      (error = template_need(b)) < 0)) ||
		    (e->c && ((error = eval(&x, e->c, c)) < 0 ||
			      (error = template_need(x)) < 0)))
			break;
		{
			struct val *step = NULL;

			if (e->args && ((error = eval(&step, e->args->e, c)) < 0 ||
					(error = template_need(step)) < 0)) {
				val_unref(step);
				break;
			}
			error = do_slice(out, a, b, x, step);
			val_unref(step);
		}
		break;
	case E_LIST:
	case E_DICT:
		return eval_list(out, e, c);
	case E_NOT:
		if ((error = eval(&a, e->a, c)) < 0 ||
		    (error = template_truthy(&t, a)) < 0)
			break;
		*out = val_bool(!t);
		break;
	case E_NEG:
	case E_POS:
		if ((error = eval(&a, e->a, c)) < 0 ||
		    (error = template_need(a)) < 0)
			break;
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
		if ((error = eval(&a, e->a, c)) < 0 ||
		    (error = template_truthy(&t, a)) < 0)
			break;
		if (t == (e->type == E_OR)) {
			*out = a;
			return 0;
		}
		val_unref(a);
		return eval(out, e->b, c);
	case E_BIN:
		if ((error = eval(&a, e->a, c)) < 0 ||
		    (error = eval(&b, e->b, c)) < 0)
			break;
		error = binop(out, e->op, a, b);
		break;
	case E_COND:
		if ((error = eval(&a, e->b, c)) < 0 ||
		    (error = template_truthy(&t, a)) < 0)
			break;
		if (t)
			error = eval(out, e->a, c);
		else if (e->c)
			error = eval(out, e->c, c);
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
	}
	return error;
}

/*
 * Rendering
 */

static int render_nodes(struct buf *out, const struct node *n,
			struct tctx *c);

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
		return 0;
	case VAL_STR:
		*out = val_list();
		for (size_t i = 0; i < v->u.s.len; i++)
			val_list_push(*out, val_strn(v->u.s.ptr + i, 1));
		return 0;
	default:
		return tend_error_set("'%s' object is not iterable",
				      template_type_name(v));
	}
}

static int render_for(struct buf *out, const struct node *n, struct tctx *c)
{
	struct val *seq = NULL, *items = NULL;
	struct frame f = { c->frame, NULL };
	struct tctx sub = *c;
	size_t len;
	int error;

	if ((error = eval(&seq, n->e, c)) < 0 ||
	    (error = iter_items(&items, seq)) < 0)
		goto out;
	sub.frame = &f;
	if (n->filter) {
		struct val *kept = val_list();

		for (size_t i = 0; i < items->u.list.nr; i++) {
			struct val *cond = NULL;
			bool t = false;

			f.locals = val_dict();
			if ((error = bind_names(f.locals, n->names,
						items->u.list.items[i])) < 0 ||
			    (error = eval(&cond, n->filter, &sub)) < 0 ||
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
		case N_OUT:
			if ((error = eval(&v, n->e, c)) < 0 ||
			    (error = template_need(v)) < 0)
				break;
			if ((v->flags & VAL_F_SECRET) && c->secret)
				*c->secret = true;
			/* Ansible's finalize: None prints as nothing */
			if (v->type != VAL_NULL)
				template_to_str(out, v);
			break;
		case N_IF:
			if ((error = eval(&v, n->e, c)) < 0 ||
			    (error = template_truthy(&t, v)) < 0)
				break;
			error = render_nodes(out, t ? n->body : n->orelse, c);
			break;
		case N_FOR:
			error = render_for(out, n, c);
			break;
		case N_SET:
			if ((error = eval(&v, n->e, c)) < 0)
				break;
			error = bind_names(set_target(c), n->names, v);
			break;
		case N_SETBLOCK: {
			struct buf b = BUF_INIT;

			if ((error = render_nodes(&b, n->body, c)) < 0) {
				buf_release(&b);
				break;
			}
			v = str_result(&b);
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
	if ((error = compile_template(&t, in->u.s.ptr)) < 0)
		return error;
	c->secret = &secret;
	c->unsafe = &unsafe;
	only = single_output(t, &padded);
	if (only) {
		struct frame f = { c->frame, val_dict() };
		struct tctx sub = *c;

		sub.frame = &f;
		error = eval(out, only->e, &sub);
		val_unref(f.locals);
		if (!error && (error = template_need(*out)) < 0) {
			val_unref(*out);
			*out = NULL;
		}
		if (!error && padded && (*out)->type == VAL_STR) {
			val_unref(*out);
			*out = NULL;
			only = NULL;
		} else if (!error && ((*out)->flags & VAL_F_SECRET)) {
			secret = true;
		}
	}
	if (!only) {
		struct buf b = BUF_INIT;

		if ((error = render_tpl(&b, t, c)) < 0)
			buf_release(&b);
		else
			*out = str_result(&b);
	}
	c->secret = saved;
	c->unsafe = saved_unsafe;
	if (!error && unsafe) {
		if (c->unsafe)
			*c->unsafe = true;
		*out = val_unsafe(*out);
	}
	if (!error && (secret || (in->flags & VAL_F_SECRET))) {
		if (c->secret)
			*c->secret = true;
		if (!((*out)->flags & VAL_F_SECRET)) {
			if ((*out)->refcnt > 1) {
				struct val *copy = val_copy(*out);

				val_unref(*out);
				*out = copy;
			}
			(*out)->flags |= VAL_F_SECRET;
		}
	}
	tpl_free(t);
	return error;
}

static int render_value(struct val **out, const struct val *in,
			struct tctx *c)
{
	struct val *r;
	int error;

	if (!needs_render(in)) {
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
	struct tctx c = { s, NULL, 0, NULL, NULL };
	struct tpl *t;
	size_t start = out->len;
	int error;

	if ((error = compile_template(&t, src)) < 0)
		return error;
	if ((error = render_tpl(out, t, &c)) < 0)
		buf_setlen(out, start);
	tpl_free(t);
	return error;
}

int template_render(struct val **out, const struct val *in,
		    const struct scope *s)
{
	struct tctx c = { s, NULL, 0, NULL, NULL };

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

		if ((error = compile_template(&t, expr)) < 0) {
			val_unref(in);
			return error;
		}
		lone = single_output(t, &padded) != NULL;
		tpl_free(t);
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
		val_unref(r);
		return error;
	}
	if ((error = compile_expr(&t, expr)) < 0)
		return error;
	error = eval(out, t->expr, c);
	if (!error && (error = template_need(*out)) < 0) {
		val_unref(*out);
		*out = NULL;
	}
	tpl_free(t);
	return error;
}

static int eval_top(struct val **out, const char *expr, const struct scope *s,
		    bool cond)
{
	bool unsafe = false;
	struct tctx c = { s, NULL, 0, NULL, &unsafe };
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
