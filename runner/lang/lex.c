#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/lex_int.h"
#include "tend/lang/ast_int.h"

#include <ctype.h>

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

void *lex_error(struct parser *p, size_t pos, const char *fmt, ...)
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

int lex_error_set(const struct parser *p)
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
	bool raw = p->raw_var_strings && p->in_var;

	while (i < p->len && s[i] != q) {
		char c = s[i];

		if (raw || c != '\\' || i + 1 >= p->len) {
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
				lex_error(p, i - 2, "invalid \\%c escape in "
					  "string", c);
				return p->len;
			}
			i += (size_t)n;
			buf_add_utf8(&b, cp);
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
		lex_error(p, tok->pos, "unterminated string");
		return p->len;
	}
	tok->type = T_STR;
	tok->s = ast_strndup(p->t, b.ptr, b.len);
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
			lex_error(p, tok->pos, "integer too large");
	}
	if (!b.len || *end)
		lex_error(p, tok->pos, "invalid number");
	buf_release(&b);
	return i;
}

void lex_all(struct parser *p)
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
				lex_error(p, i, "unexpected character '%c'", c);
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

bool tok_op(const struct parser *p, int op)
{
	return p->ls.tok.type == T_OP && p->ls.tok.op == op;
}

bool tok_name(const struct parser *p, const char *name)
{
	const struct token *t = &p->ls.tok;

	return t->type == T_NAME && t->slen == strlen(name) &&
	       !memcmp(t->s, name, t->slen);
}

struct token lex_peek(struct parser *p)
{
	struct lexstate saved = p->ls;
	bool failed = p->failed;
	struct token t;

	lex_all(p);
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

void *lex_expected(struct parser *p, const char *what)
{
	struct buf got = BUF_INIT;

	describe_tok(&got, p);
	lex_error(p, p->ls.tok.pos, "expected %s, got %s", what, got.ptr);
	buf_release(&got);
	return NULL;
}

bool lex_expect(struct parser *p, int op, const char *what)
{
	if (!tok_op(p, op)) {
		lex_expected(p, what);
		return false;
	}
	lex_all(p);
	return true;
}

const char *tok_strdup(struct parser *p)
{
	return ast_strndup(p->t, p->ls.tok.s, p->ls.tok.slen);
}
