#ifndef TEND_LANG_AST_INT_H
#define TEND_LANG_AST_INT_H

/*
 * A hand-written lexer and recursive-descent parser turn template text
 * into a small AST (allocated from one arena per template), which is then
 * evaluated against the scope. The grammar and precedence follow Jinja2's
 * parser.py so that expressions group as they do in Ansible.
 *
 * This header is that AST: lex.c, parse_expr.c and parse.c build it,
 * eval.c and render.c walk it. Internal to runner/lang/.
 */

#include "tend/data/val.h"

struct arena_chunk;
struct tfilter;
struct ttest;

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
	int op;      /* E_BIN: enum binop; E_TEST: negated; E_FILTER: named
			with its collection ("ansible.builtin.to_json");
			E_LIST: a tuple, (1, 2) */
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

/*
 * n zeroed bytes (8-aligned) from the arena of t, freed with t. Cannot
 * fail.
 */
void *ast_alloc(struct tpl *t, size_t n);

/* A NUL-terminated copy of s[0..n) in the arena of t. */
char *ast_strndup(struct tpl *t, const char *s, size_t n);

/* Free t, its arena and its literals; NULL is allowed. */
void ast_free(struct tpl *t);

#endif
