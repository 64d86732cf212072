#include "tend/common.h"

#include "tend/util/buf.h"
#include "tend/util/regex.h"
#include "tend/util/regex_int.h"

/*
 * A Python pattern is parsed with the rules of Python 3.11's
 * re/_parser.py and written out again as a PCRE2 pattern in which nothing
 * is left to interpretation: every literal that is not an ASCII letter or
 * digit becomes \x{...}, group references become \g{N}, named groups
 * become plain groups (the names stay here), and verbose mode is applied
 * here rather than by PCRE2_EXTENDED, whose rules differ. So PCRE2 only
 * ever sees syntax whose meaning both engines share.
 *
 * This file holds the loop over the items, repeats, groups and flags;
 * escapes and [...] sets are read by regex_chars.c (regex_int.h has the
 * map).
 */


/* Python 3.11's whitespace in verbose mode. */
#define VERBOSE_SPACE " \t\n\r\v\f"

/* Digits at x->pos into *out (capped); returns how many. */
static size_t xl_number(unsigned long *out, struct xlate *x)
{
	size_t n = 0;

	*out = 0;
	while (x->pos < x->len && x->pat[x->pos] >= '0' &&
	       x->pat[x->pos] <= '9') {
		if (*out < 1000000000UL)
			*out = *out * 10 +
			       (unsigned long)(x->pat[x->pos] - '0');
		x->pos++;
		n++;
	}
	return n;
}

/*
 * {m,n} at x->pos into `quant` (PCRE2's form). Python reads "{", "{}",
 * "{x" and "{1, 2}" as a literal '{' (and so does this, even in verbose
 * mode): *literal says so. "{,n}" is {0,n}.
 */
static int xl_brace(char *quant, size_t size, bool *literal, struct xlate *x)
{
	unsigned long lo = 0, hi = 0;
	size_t nlo, nhi = 0, here = x->pos;
	bool comma = false;

	*literal = true;
	x->pos++;
	if (x->pos < x->len && x->pat[x->pos] == '}')
		return 0;
	nlo = xl_number(&lo, x);
	if (x->pos < x->len && x->pat[x->pos] == ',') {
		comma = true;
		x->pos++;
		nhi = xl_number(&hi, x);
	}
	if (x->pos >= x->len || x->pat[x->pos] != '}') {
		x->pos = here + 1;
		return 0;
	}
	x->pos++;
	*literal = false;
	if ((nlo && lo > 65535) || (nhi && hi > 65535))
		return regex_xl_error(x, here, "a repeat count over 65535 "
				      "(PCRE2's limit) is not supported");
	if (nhi && hi < lo)
		return regex_xl_error(x, here + 1, "min repeat greater than "
				      "max repeat");
	if (!comma)
		snprintf(quant, size, "{%lu}", lo);
	else if (nhi)
		snprintf(quant, size, "{%lu,%lu}", lo, hi);
	else
		snprintf(quant, size, "{%lu,}", lo);
	return 0;
}

/* A quantifier, with Python's checks on what it repeats. */
static int xl_repeat(struct xlate *x)
{
	size_t here = x->pos;
	char quant[64] = { x->pat[x->pos], '\0' };
	bool literal = false;
	int error;

	if (quant[0] == '{') {
		if ((error = xl_brace(quant, sizeof(quant), &literal, x)) < 0)
			return error;
		if (literal) {
			regex_emits(x, "\\{");
			x->last = LAST_ITEM;
			return 0;
		}
	} else {
		x->pos++;
	}
	if (x->last == LAST_NONE || x->last == LAST_AT)
		return regex_xl_error(x, here, "nothing to repeat");
	if (x->last == LAST_REPEAT)
		return regex_xl_error(x, here, "multiple repeat");
	regex_emits(x, quant);
	if (x->pos < x->len && (x->pat[x->pos] == '?' ||
				x->pat[x->pos] == '+'))
		regex_emit(x, x->pat + x->pos++, 1);
	x->last = LAST_REPEAT;
	return 0;
}

static void push_frame(struct xlate *x, size_t start, size_t group)
{
	ALLOC_GROW(x->stack, x->depth + 1, x->stack_alloc);
	x->stack[x->depth].start = start;
	x->stack[x->depth].group = group;
	x->stack[x->depth].verbose = x->verbose;
	x->depth++;
	x->last = LAST_NONE;
}

static void new_group(struct xlate *x, size_t start, char *name)
{
	x->ngroups++;
	ALLOC_GROW(x->names, x->ngroups + 1, x->groups_alloc);
	x->open = xrealloc(x->open, x->groups_alloc * sizeof(*x->open));
	x->names[0] = NULL;
	x->open[0] = false;
	x->names[x->ngroups] = name;
	x->open[x->ngroups] = true;
	regex_emits(x, "(");
	push_frame(x, start, x->ngroups);
}

/* The group named by pat[at..at+n), or 0. */
static size_t find_name(const struct xlate *x, size_t at, size_t n)
{
	for (size_t g = 1; g <= x->ngroups; g++) {
		const char *name = x->names[g];

		if (name && strlen(name) == n && !memcmp(name, x->pat + at, n))
			return g;
	}
	return 0;
}

/*
 * A name up to `term` from x->pos, as Python's getuntil, checked as an
 * identifier if `check`. Leaves x->pos past `term`.
 */
static int xl_name(size_t *at, size_t *n, struct xlate *x, char term,
		   bool check)
{
	const char *p = x->pat + x->pos;
	const char *end = memchr(p, term, x->len - x->pos);

	if (!end || end == p)
		return regex_xl_error(x, x->pos, end || x->pos == x->len ?
				      "missing group name" :
				      "missing %c, unterminated name", term);
	*at = x->pos;
	*n = (size_t)(end - p);
	x->pos += *n + 1;
	if (!check || regex_is_identifier(p, *n))
		return 0;
	return regex_xl_error(x, *at, "bad character in group name '%.*s'",
			      (int)*n, p);
}

/* "unknown extension ?P<tok>", the token at `at` being Python's. */
static int xl_unknown_ext(struct xlate *x, size_t start, size_t at)
{
	uint32_t cp;
	size_t n = x->pat[at] == '\\' && at + 1 < x->len ? 2 :
		   regex_xl_char(&cp, x, at);

	return regex_xl_error(x, start + 1, "unknown extension %.*s",
			      (int)(at + n - start - 1), x->pat + start + 1);
}

/* (?P<name>...) and (?P=name); x->pos after the 'P'. */
static int xl_group_p(struct xlate *x, size_t start)
{
	char c = x->pos < x->len ? x->pat[x->pos] : '\0';
	size_t at, n, g;
	int error;

	if (c != '<' && c != '=')
		return c ? xl_unknown_ext(x, start, x->pos) :
			   regex_xl_error(x, x->pos, "unexpected end of "
					  "pattern");
	x->pos++;
	if ((error = xl_name(&at, &n, x, c == '<' ? '>' : ')', true)) < 0)
		return error;
	g = find_name(x, at, n);
	if (c == '<') {
		if (g)
			return regex_xl_error(x, at, "redefinition of group "
					      "name '%.*s' as group %zu; was "
					      "group %zu", (int)n, x->pat + at,
					      x->ngroups + 1, g);
		new_group(x, start, xstrndup(x->pat + at, n));
		return 0;
	}
	if (!g)
		return regex_xl_error(x, at, "unknown group name '%.*s'",
				      (int)n, x->pat + at);
	if (x->open[g])
		return regex_xl_error(x, at, "cannot refer to an open group");
	regex_emitf(x, "\\g{%zu}", g);
	x->last = LAST_ITEM;
	return 0;
}

/* (?(1)yes|no), (?(name)yes|no); x->pos after the second '('. */
static int xl_group_cond(struct xlate *x, size_t start)
{
	size_t at, n, g = 0;
	int error;

	if ((error = xl_name(&at, &n, x, ')', false)) < 0)
		return error;
	if (regex_is_identifier(x->pat + at, n)) {
		if (!(g = find_name(x, at, n)))
			return regex_xl_error(x, at, "unknown group name "
					      "'%.*s'", (int)n, x->pat + at);
	} else if (!regex_py_int
(&g, x->pat + at, n)) {
		return regex_xl_error(x, at, "bad character in group name "
				      "'%.*s'", (int)n, x->pat + at);
	} else if (!g) {
		return regex_xl_error(x, at, "bad group number");
	} else if (g > x->condref) {
		x->condref = g;
		x->condref_at = at;
	}
	regex_emitf(x, "(?(%zu)", g);
	push_frame(x, start, 0);
	return 0;
}

enum { F_A = 1, F_I = 2, F_L = 4, F_M = 8, F_S = 16, F_U = 32, F_X = 64,
       F_T = 128 };
#define F_TYPE (F_A | F_L | F_U)

static unsigned int flag_bit(char c)
{
	static const char letters[] = "aiLmsuxt";
	const char *p = c ? strchr(letters, c) : NULL;

	return p ? 1u << (p - letters) : 0;
}

/* Python's _parse_flags: x->pos at the first flag or '-'. */
static int xl_parse_flags(unsigned int *add, unsigned int *del, char *end,
			  struct xlate *x)
{
	char c = x->pat[x->pos];
	unsigned int f;

	*add = *del = 0;
	while (c != '-') {
		f = flag_bit(c);
		if (f == F_L && !x->bytes)
			return regex_xl_error(x, x->pos, "bad inline flags: "
					      "cannot use 'L' flag with a str "
					      "pattern");
		if (f == F_U && x->bytes)
			return regex_xl_error(x, x->pos, "bad inline flags: "
					      "cannot use 'u' flag with a "
					      "bytes pattern");
		*add |= f;
		if ((f & F_TYPE) && (*add & F_TYPE) != f)
			return regex_xl_error(x, x->pos, "bad inline flags: "
					      "flags 'a', 'u' and 'L' are "
					      "incompatible");
		if (++x->pos >= x->len)
			return regex_xl_error(x, x->pos, "missing -, : or )");
		c = x->pat[x->pos];
		if (c == ')' || c == ':')
			break;
		if (c != '-' && !flag_bit(c))
			return regex_xl_error(x, x->pos,
					      regex_is_ascii_letter(c) ?
					      "unknown flag" :
					      "missing -, : or )");
	}
	if (c == '-') {
		if (++x->pos >= x->len)
			return regex_xl_error(x, x->pos, "missing flag");
		c = x->pat[x->pos];
		if (!flag_bit(c))
			return regex_xl_error(x, x->pos,
					      regex_is_ascii_letter(c) ?
					      "unknown flag" : "missing flag");
		while (c != ':') {
			f = flag_bit(c);
			if (f & F_TYPE)
				return regex_xl_error(x, x->pos, "bad inline "
						      "flags: cannot turn off "
						      "flags 'a', 'u' and 'L'");
			*del |= f;
			if (++x->pos >= x->len)
				return regex_xl_error(x, x->pos, "missing :");
			c = x->pat[x->pos];
			if (c != ':' && !flag_bit(c))
				return regex_xl_error(x, x->pos,
						      regex_is_ascii_letter(c) ?
						      "unknown flag" :
						      "missing :");
		}
	}
	*end = c;
	x->pos++;
	return 0;
}

/* (?aiLmsux) at the start: flags for the whole pattern. */
static int xl_global_flags(struct xlate *x, size_t start, unsigned int add)
{
	if (x->started || x->depth)
		return regex_xl_error(x, start, "global flags not at the "
				      "start of the expression");
	if (add & F_T)
		return regex_xl_error(x, start, "(?t) (the TEMPLATE flag) is "
				      "not supported");
	if (add & F_L)
		return regex_xl_error(x, start, "(?L) (locale-dependent "
				      "matching) is not supported");
	if (add & F_A) {
		x->flags |= REGEX_ASCII;
		x->unicode = false;
	}
	if (add & F_U)
		x->global_u = true;
	if (x->global_u && (x->flags & REGEX_ASCII))
		return regex_xl_error(x, start, "ASCII and UNICODE flags are "
				      "incompatible");
	if (add & F_I)
		x->flags |= REGEX_IGNORECASE;
	if (add & F_M)
		x->flags |= REGEX_MULTILINE;
	if (add & F_S)
		x->flags |= REGEX_DOTALL;
	if (add & F_X) {
		x->flags |= REGEX_VERBOSE;
		x->verbose = true;
	}
	return 0;
}

/* (?flags-flags:...): i, m and s go to PCRE2, x stays here. */
static int xl_scoped_flags(struct xlate *x, size_t start, unsigned int add,
			   unsigned int del)
{
	static const struct { unsigned int f; char c; } pass[] = {
		{ F_I, 'i' }, { F_M, 'm' }, { F_S, 's' },
	};
	struct buf b = BUF_INIT;

	if ((add | del) & F_T)
		return regex_xl_error(x, start, "bad inline flags: cannot "
				      "turn %s global flag",
				      add & F_T ? "on" : "off");
	if (add & del)
		return regex_xl_error(x, start, "bad inline flags: flag "
				      "turned on and off");
	if (add & F_L)
		return regex_xl_error(x, start, "(?L:...) (locale-dependent "
				      "matching) is not supported");
	if (((add & F_A) && x->unicode) ||
	    ((add & F_U) && !x->unicode && !x->bytes))
		return regex_xl_error(x, start, "(?%c:...) (a class mode for "
				      "part of a pattern) is not supported",
				      add & F_A ? 'a' : 'u');
	buf_adds(&b, "(?");
	for (size_t i = 0; i < ARRAY_SIZE(pass); i++)
		if (add & pass[i].f)
			buf_addch(&b, pass[i].c);
	if (del & (F_I | F_M | F_S)) {
		buf_addch(&b, '-');
		for (size_t i = 0; i < ARRAY_SIZE(pass); i++)
			if (del & pass[i].f)
				buf_addch(&b, pass[i].c);
	}
	buf_addch(&b, ':');
	regex_emit(x, b.ptr, b.len);
	buf_release(&b);
	push_frame(x, start, 0);
	x->verbose = (x->verbose || (add & F_X)) && !(del & F_X);
	return 0;
}

static int xl_group_flags(struct xlate *x, size_t start)
{
	unsigned int add, del;
	char end = ':';
	int error;

	if ((error = xl_parse_flags(&add, &del, &end, x)) < 0)
		return error;
	if (end == ')')
		return xl_global_flags(x, start, add);
	return xl_scoped_flags(x, start, add, del);
}

/* "(": a group, an extension, a comment or flags. */
static int xl_group(struct xlate *x)
{
	size_t start = x->pos;
	char c;

	x->pos++;
	if (x->pos >= x->len || x->pat[x->pos] != '?') {
		new_group(x, start, NULL);
		return 0;
	}
	if (++x->pos >= x->len)
		return regex_xl_error(x, x->pos, "unexpected end of pattern");
	c = x->pat[x->pos++];
	switch (c) {
	case 'P':
		return xl_group_p(x, start);
	case '(':
		return xl_group_cond(x, start);
	case '#': {
		const char *end = memchr(x->pat + x->pos, ')',
					 x->len - x->pos);

		if (!end)
			return regex_xl_error(x, start, "missing ), "
					      "unterminated comment");
		x->pos = (size_t)(end - x->pat) + 1;
		return 0;
	}
	case ':': case '=': case '!': case '>':
		regex_emitf(x, "(?%c", c);
		push_frame(x, start, 0);
		return 0;
	case '<':
		c = x->pos < x->len ? x->pat[x->pos++] : '\0';
		if (c != '=' && c != '!')
			return c ? xl_unknown_ext(x, start, x->pos - 1) :
				   regex_xl_error(x, x->pos, "unexpected "
						  "end of pattern");
		regex_emitf(x, "(?<%c", c);
		push_frame(x, start, 0);
		return 0;
	}
	if (c == '-' || flag_bit(c)) {
		x->pos--;
		return xl_group_flags(x, start);
	}
	return xl_unknown_ext(x, start, x->pos - 1);
}

static int xl_close(struct xlate *x)
{
	struct frame *f;

	if (!x->depth)
		return regex_xl_error(x, x->pos, "unbalanced parenthesis");
	f = &x->stack[--x->depth];
	if (f->group)
		x->open[f->group] = false;
	x->verbose = f->verbose;
	x->pos++;
	regex_emits(x, ")");
	x->last = LAST_ITEM;
	return 0;
}

/* One item at x->pos. */
static int xl_item(struct xlate *x)
{
	char c = x->pat[x->pos];
	uint32_t cp;

	x->tok = x->pos;
	if (x->verbose && strchr(VERBOSE_SPACE, c)) {
		x->pos++;
		return 0;
	}
	if (x->verbose && c == '#') {
		const char *nl = memchr(x->pat + x->pos, '\n', x->len - x->pos);

		x->pos = nl ? (size_t)(nl - x->pat) + 1 : x->len;
		return 0;
	}
	switch (c) {
	case '\\':
		return regex_xl_escape_item(x);
	case '[':
		return regex_xl_class(x);
	case '(':
		return xl_group(x);
	case ')':
		return xl_close(x);
	case '*': case '+': case '?': case '{':
		return xl_repeat(x);
	case '|':
		regex_emits(x, "|");
		x->pos++;
		x->last = LAST_NONE;
		return 0;
	case '^': case '$': case '.':
		regex_emit(x, &c, 1);
		x->pos++;
		x->last = c == '.' ? LAST_ITEM : LAST_AT;
		return 0;
	}
	x->pos += regex_xl_char(&cp, x, x->pos);
	regex_emit_literal(x, cp);
	x->last = LAST_ITEM;
	return 0;
}

int regex_xl_run(struct xlate *x)
{
	int error;

	if (!x->bytes) {
		uint32_t cp;

		for (size_t i = 0, n; i < x->len; i += n)
			if (!(n = utf8_decode(&cp, x->pat + i,
						    x->len - i)))
				return regex_xl_error(x, i, "not valid UTF-8");
	}
	while (x->pos < x->len)
		if ((error = xl_item(x)) < 0)
			return error;
	if (x->depth)
		return regex_xl_error(x, x->stack[x->depth - 1].start,
				      "missing ), unterminated subpattern");
	if (x->condref > x->ngroups)
		return regex_xl_error(x, x->condref_at, "invalid group "
				      "reference %zu", x->condref);

	x->tok = x->len;
	ALLOC_GROW(x->map, x->out.len + 1, x->map_alloc);
	x->map[x->out.len] = x->len;
	return 0;
}

void regex_xl_release(struct xlate *x)
{
	for (size_t g = 1; x->names && g <= x->ngroups; g++)
		free(x->names[g]);
	free(x->names);
	free(x->open);
	free(x->map);
	free(x->stack);
	buf_release(&x->out);
}
