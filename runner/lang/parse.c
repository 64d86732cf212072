#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/lang/parse_int.h"
#include "tend/lang/parse_expr_int.h"
#include "tend/lang/lex_int.h"
#include "tend/lang/ast_int.h"
#include "tend/data/val.h"

#include <ctype.h>

/*
 * Template parser
 */

static struct node *new_node(struct parser *p, enum node_type type,
			     size_t pos)
{
	struct node *n = ast_alloc(p->t, sizeof(*n));

	n->type = type;
	n->pos = pos;
	return n;
}

/* After a block tag's "%}": strip whitespace (-%}) or one newline. */
static bool block_end(struct parser *p)
{
	size_t i;

	if (p->ls.tok.type != T_BLOCK_END) {
		lex_expected(p, "'%}'");
		return false;
	}
	i = p->ls.pos;
	if (p->ls.tok.strip) {
		while (i < p->len && isspace((unsigned char)p->src[i]))
			i++;
	} else if (!p->keep_newline && i < p->len && p->src[i] == '\n') {
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
			return lex_expected(p, "a variable name");
		n = ast_alloc(p->t, sizeof(*n));
		n->name = tok_strdup(p);
		*tail = n;
		tail = &n->next;
		lex_all(p);
		if (!tok_op(p, ','))
			return head;
		lex_all(p);
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
		return lex_expected(p, "'in'");
	lex_all(p);
	if (!(n->e = parse_tuple(p, false)))
		return NULL;
	if (tok_name(p, "if")) {
		lex_all(p);
		if (!(n->filter = parse_expr(p, false)))
			return NULL;
	}
	if (tok_name(p, "recursive"))
		return lex_error(p, p->ls.tok.pos, "recursive loops are not "
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
		lex_all(p);
		if (!(n->e = parse_tuple(p, true)) || !block_end(p))
			return NULL;
		return n;
	}
	if (n->names->next)
		return lex_expected(p, "'='");
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
		return lex_expected(p, "'%}'");
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
			return lex_error(p, pos, "missing '{%% endraw %%}'");
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
		else if (!p->keep_newline && j < p->len && s[j] == '\n')
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
 * The next tag at or after p->src[*i]: its kind ('{', '%' or '#'), with
 * *i at its '{'; 0 when there is none.
 */
static char find_tag(const struct parser *p, size_t *i)
{
	const char *s = p->src;

	while (*i + 1 < p->len) {
		const char *brace = memchr(s + *i, '{', p->len - *i - 1);

		if (!brace)
			break;
		*i = (size_t)(brace - s);
		if (s[*i + 1] == '{' || s[*i + 1] == '%' || s[*i + 1] == '#')
			return s[*i + 1];
		(*i)++;
	}
	return 0;
}

/*
 * Skip a comment whose text starts at p->src[i], and after its "#}"
 * the whitespace that "-#}" strips or one newline. False, with the
 * error recorded, if it has no end.
 */
static bool skip_comment(struct parser *p, size_t i, size_t open_pos)
{
	const char *s = p->src;
	const char *close = memmem(s + i, p->len - i, "#}", 2);
	size_t j;

	if (!close) {
		lex_error(p, open_pos, "missing end of comment tag");
		return false;
	}
	j = (size_t)(close - s) + 2;
	if (close > s + i && close[-1] == '-')
		while (j < p->len && isspace((unsigned char)s[j]))
			j++;
	else if (!p->keep_newline && j < p->len && s[j] == '\n')
		j++;
	p->ls.pos = j;
	return true;
}

/*
 * lstrip_blocks: a block or comment tag with only blanks (not newlines)
 * before it on its line takes those blanks away. The text is s[start,
 * end); returns its new end.
 */
static size_t lstrip_start(const char *s, size_t start, size_t end)
{
	size_t k = end;

	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' ||
			 s[k - 1] == '\f' || s[k - 1] == '\v' ||
			 s[k - 1] == '\r'))
		k--;
	if (k > 0 && s[k - 1] != '\n')
		return end;
	return k < start ? end : k;
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
		return lex_error(p, p->ls.pos, "blocks nested too deeply");
	while (!p->failed) {
		size_t start = p->ls.pos, i = start, text_end, open_pos;
		struct node *n = NULL;
		char kind = find_tag(p, &i);

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
				lex_error(p, p->len, "unexpected end of "
					  "template, expected '%s'",
					  ends[last]);
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
		} else if (kind != '{' && i < p->len && s[i] == '+') {
			i++; /* "{%+": no lstrip_blocks here */
		} else if (kind != '{' && p->lstrip_blocks) {
			text_end = lstrip_start(s, start, text_end);
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
			if (!skip_comment(p, i, open_pos))
				return NULL;
			continue;
		}
		p->in_var = kind == '{';
		lex_all(p);
		if (kind == '{') {
			n = new_node(p, N_OUT, open_pos);
			n->e = parse_expr(p, true);
			p->in_var = false;
			if (!n->e)
				return NULL;
			if (p->ls.tok.type != T_VAR_END)
				return lex_expected(p, "'}}'");
			if (p->ls.tok.strip)
				while (p->ls.pos < p->len &&
				       isspace((unsigned char)s[p->ls.pos]))
					p->ls.pos++;
		} else {
			size_t kwpos = p->ls.tok.pos;

			if (p->ls.tok.type != T_NAME)
				return lex_expected(p, "a tag name");
			if (is_end_kw(ends, p, which)) {
				lex_all(p);
				p->depth--;
				return head;
			}
			if (tok_name(p, "if")) {
				lex_all(p);
				n = parse_if(p, open_pos);
			} else if (tok_name(p, "for")) {
				lex_all(p);
				n = parse_for(p, open_pos);
			} else if (tok_name(p, "set")) {
				lex_all(p);
				n = parse_set(p, open_pos);
			} else if (tok_name(p, "raw")) {
				lex_all(p);
				n = parse_raw(p, open_pos);
			} else {
				return lex_error(p, kwpos, "unknown tag '%.*s'",
						 (int)p->ls.tok.slen,
						 p->ls.tok.s);
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

static int parse_template_all(struct tpl **out, const char *src,
			      bool trim_blocks, bool lstrip_blocks,
			      bool raw_var_strings);

int parse_template(struct tpl **out, const char *src)
{
	return parse_template_opts(out, src, true, false);
}

int parse_template_playbook(struct tpl **out, const char *src)
{
	return parse_template_all(out, src, true, false, true);
}

int parse_template_opts(struct tpl **out, const char *src, bool trim_blocks,
			bool lstrip_blocks)
{
	return parse_template_all(out, src, trim_blocks, lstrip_blocks, false);
}

static int parse_template_all(struct tpl **out, const char *src,
			      bool trim_blocks, bool lstrip_blocks,
			      bool raw_var_strings)
{
	struct parser p;
	int error = 0;

	parser_init(&p, src);
	p.raw_var_strings = raw_var_strings;
	p.keep_newline = !trim_blocks;
	p.lstrip_blocks = lstrip_blocks;
	p.t->body = parse_body(&p, NULL, NULL);
	if (p.failed) {
		error = lex_error_set(&p);
		ast_free(p.t);
		p.t = NULL;
	}
	buf_release(&p.err);
	*out = p.t;
	return error;
}

int parse_expression(struct tpl **out, const char *src)
{
	struct parser p;
	int error = 0;

	parser_init(&p, src);
	lex_all(&p);
	p.t->expr = parse_expr(&p, true);
	if (!p.failed && p.ls.tok.type != T_EOF)
		lex_expected(&p, "end of expression");
	if (p.failed) {
		error = lex_error_set(&p);
		ast_free(p.t);
		p.t = NULL;
	}
	buf_release(&p.err);
	*out = p.t;
	return error;
}
