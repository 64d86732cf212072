#ifndef TEND_LANG_LEX_INT_H
#define TEND_LANG_LEX_INT_H

/*
 * The lexer of expressions and block tags, and the parser state it
 * shares with the parsers (parse_expr.c, parse.c): struct parser holds
 * the source, the current token, the template being built and the first
 * error. Errors are recorded, not returned: once p->failed is set, lex_all()
 * yields T_EOF and the parsers unwind; lex_error_set() reports it.
 * Internal to runner/lang/.
 */

#include "tend/util/buf.h"
#include "tend/lang/ast_int.h"

/* Expression and block nesting limits: keep the C stack bounded. */
#define MAX_PARSE_DEPTH 200
/* How deep an expression's tree may be, operator chains included (the
 * evaluator recurses once or twice a level). */
#define MAX_EXPR_DEPTH 1000

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
	bool keep_newline;  /* trim_blocks off: keep the newline after %} */
	bool lstrip_blocks; /* strip blanks before a block or comment tag */
	/*
	 * Ansible doubles every backslash in the string literals of a
	 * playbook string's {{ }} before Jinja reads them: there, a
	 * literal's backslashes are plain text and it ends at its next quote.
	 */
	bool raw_var_strings;
	bool in_var; /* lexing the inside of {{ }} */
};

/* Read the next token into p->ls.tok (T_EOF at the end or on error). */
void lex_all(struct parser *p);

/* The token after the current one, without consuming anything. */
struct token lex_peek(struct parser *p);

/* Is the current token the operator `op`, the name `name`? */
bool tok_op(const struct parser *p, int op);
bool tok_name(const struct parser *p, const char *name);

/* The text of the current token (a name, a string) in the arena. */
const char *tok_strdup(struct parser *p);

/*
 * Record an error at offset pos of the source (printf format), unless
 * one is recorded already. Returns NULL, for parsers returning nodes.
 */
void *lex_error(struct parser *p, size_t pos, const char *fmt, ...)
	TEND_PRINTF(3, 4);

/* Record "expected <what>, got <the current token>"; returns NULL. */
void *lex_expected(struct parser *p, const char *what);

/* Consume the operator `op`, or record "expected <what>" (false). */
bool lex_expect(struct parser *p, int op, const char *what);

/*
 * Set the recorded error as TEND_EPARSE, naming the template and the
 * line and column, and return that code.
 */
int lex_error_set(const struct parser *p);

#endif
