#include "tend/common.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"

/*
 * A Python pattern is parsed with the rules of Python 3.11's
 * re/_parser.py and written out again as a PCRE2 pattern in which nothing
 * is left to interpretation: every literal that is not an ASCII letter or
 * digit becomes \x{...}, group references become \g{N}, named groups
 * become plain groups (the names stay here), and verbose mode is applied
 * here rather than by PCRE2_EXTENDED, whose rules differ. So PCRE2 only
 * ever sees syntax whose meaning both engines share.
 */

struct regex {
	pcre2_code *code;
	char *pattern;
	unsigned int flags;
	size_t ngroups;
	char **names; /* [ngroups + 1]: a group's name or NULL */
};

/* What the last item of the current branch is, for Python's checks. */
enum last { LAST_NONE, LAST_AT, LAST_REPEAT, LAST_ITEM };

/* An open group. */
struct frame {
	size_t start;  /* offset of its '(' */
	size_t group;  /* its number if it captures, else 0 */
	bool verbose;  /* verbose mode around it */
};

struct xlate {
	const char *pat;
	size_t len, pos;
	size_t tok;     /* where the item being translated starts */
	bool bytes;     /* a bytes pattern */
	bool unicode;   /* Python's Unicode classes (str, no (?a)) */
	bool verbose;
	bool started;   /* past where global flags may stand */
	bool global_u;  /* (?u) at the start */
	unsigned int flags;
	enum last last;
	struct buf out;
	size_t *map;    /* out offset -> pattern offset */
	size_t map_alloc;
	struct frame *stack;
	size_t depth, stack_alloc;
	size_t ngroups, groups_alloc;
	char **names;   /* [ngroups + 1] */
	bool *open;     /* [ngroups + 1]: the group is not closed yet */
	size_t condref, condref_at; /* highest (?(N)...) and where */
};

/* One escape sequence, parsed. */
enum esc_kind { ESC_LITERAL, ESC_CLASS, ESC_ANCHOR, ESC_GROUPREF };
struct esc {
	enum esc_kind kind;
	uint32_t value; /* the character, or the group number */
	char letter;    /* ESC_CLASS, ESC_ANCHOR: d D s S w W, A Z b B */
	size_t end;     /* just past the escape */
};

/* Python 3.11's whitespace in verbose mode, and its \s additions. */
#define VERBOSE_SPACE " \t\n\r\v\f"
#define UNI_SPACE "\\s\\x{1c}-\\x{1f}"

static bool is_ascii_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static bool is_ascii_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_octal(int c)
{
	return c >= '0' && c <= '7';
}

/*
 * Python's str.isidentifier(), with any non-ASCII character taken as a
 * letter (group names are not checked against Unicode's tables).
 */
static bool is_identifier(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c >= 0x80 || c == '_' || is_ascii_letter(c) ||
		      (i && is_ascii_alnum(c))))
			return false;
	}
	return n > 0;
}

/*
 * Python's int(s) >= 0 for ASCII: spaces around, a sign, '_' between
 * digits. Python 3.11 takes "\g< 1>" and "\g<+1>" this way (with a
 * deprecation warning). Values are capped, not wrapped.
 */
static bool py_int(size_t *out, const char *s, size_t n)
{
	size_t i = 0, v = 0;
	bool neg = false, digit = false;

	while (n && s[n - 1] && strchr(" \t\n\v\f\r", s[n - 1]))
		n--;
	while (i < n && s[i] && strchr(" \t\n\v\f\r", s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '_' && digit && i + 1 < n && s[i + 1] != '_') {
			digit = false;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v < 1000000000)
			v = v * 10 + (size_t)(s[i] - '0');
		digit = true;
	}
	if (!digit || (neg && v))
		return false;
	*out = v;
	return true;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the UTF-8 sequence at s (len > 0 bytes left) into *cp; returns
 * its length, or 0 if it is not valid (overlong, surrogate, truncated).
 */
static size_t utf8_decode(uint32_t *cp, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Append code point `cp` as UTF-8, or as one byte for a bytes pattern. */
static void add_char(struct buf *b, uint32_t cp, bool bytes)
{
	if (bytes || cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (int)(0xc0 | (cp >> 6)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(b, (int)(0xe0 | (cp >> 12)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (int)(0xf0 | (cp >> 18)));
		buf_addch(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	}
}

static int xl_error(const struct xlate *x, size_t at, const char *fmt, ...)
	TEND_PRINTF(3, 4);

static int xl_error(const struct xlate *x, size_t at, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	tend_error_set("bad regex '%s': %s at offset %zu", x->pat, msg.ptr, at);
	buf_release(&msg);
	return -1;
}

/* Append to the PCRE2 pattern; any output is an item for Python. */
static void emit(struct xlate *x, const char *s, size_t n)
{
	ALLOC_GROW(x->map, x->out.len + n + 1, x->map_alloc);
	for (size_t i = 0; i < n; i++)
		x->map[x->out.len + i] = x->tok;
	buf_add(&x->out, s, n);
	x->started = true;
}

static void emits(struct xlate *x, const char *s)
{
	emit(x, s, strlen(s));
}

static void emitf(struct xlate *x, const char *fmt, ...) TEND_PRINTF(2, 3);

static void emitf(struct xlate *x, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	emits(x, tmp);
}

/* A literal character, in a form PCRE2 cannot read otherwise. */
static void emit_literal(struct xlate *x, uint32_t cp)
{
	char c = (char)cp;

	if (cp < 0x80 && is_ascii_alnum(c))
		emit(x, &c, 1);
	else
		emitf(x, "\\x{%x}", (unsigned int)cp);
}

/* The character at `at`: one byte of a bytes pattern, else UTF-8. */
static size_t xl_char(uint32_t *cp, const struct xlate *x, size_t at)
{
	if (x->bytes) {
		*cp = (unsigned char)x->pat[at];
		return 1;
	}
	return utf8_decode(cp, x->pat + at, x->len - at);
}

/* `n` hex digits at `p` into *cp; false if there are fewer. */
static bool xl_hex(uint32_t *cp, const struct xlate *x, size_t p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = p + i < x->len ? hex_digit(x->pat[p + i]) : -1;

		if (d < 0)
			return false;
		v = v * 16 + (uint32_t)d;
	}
	*cp = v;
	return true;
}

/* Octal digits at p (the first already known to be one), up to `max`. */
static int xl_octal(struct esc *e, const struct xlate *x, size_t at,
		    size_t p, size_t max)
{
	uint32_t v = 0;
	size_t n = 0;

	while (n < max && p + n < x->len && is_octal(x->pat[p + n]))
		v = v * 8 + (uint32_t)(x->pat[p + n++] - '0');
	if (v > 0377)
		return xl_error(x, at, "octal escape value \\%.*s outside of "
				"range 0-0o377", (int)n, x->pat + p);
	e->kind = ESC_LITERAL;
	e->value = v;
	e->end = p + n;
	return 0;
}

/* \1..\99, or a three-digit octal escape (outside [...] only). */
static int xl_digits(struct esc *e, struct xlate *x, size_t at)
{
	const char *p = x->pat + at + 1;
	size_t n = 1, g;

	if (at + 2 < x->len && p[1] >= '0' && p[1] <= '9') {
		if (is_octal(p[0]) && is_octal(p[1]) && at + 3 < x->len &&
		    is_octal(p[2]))
			return xl_octal(e, x, at, at + 1, 3);
		n = 2;
	}
	g = n == 1 ? (size_t)(p[0] - '0') :
		     (size_t)(p[0] - '0') * 10 + (size_t)(p[1] - '0');
	if (g > x->ngroups)
		return xl_error(x, at + 1, "invalid group reference %zu", g);
	if (x->open[g])
		return xl_error(x, at, "cannot refer to an open group");
	e->kind = ESC_GROUPREF;
	e->value = (uint32_t)g;
	e->end = at + 1 + n;
	return 0;
}

static int xl_escape_letter(struct esc *e, struct xlate *x, size_t at,
			    bool in_class)
{
	char c = x->pat[at + 1];
	size_t n;

	switch (c) {
	case 'x':
	case 'u':
	case 'U':
		n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (c != 'x' && x->bytes)
			break;
		e->kind = ESC_LITERAL;
		e->end = at + 2 + n;
		if (!xl_hex(&e->value, x, at + 2, n)) {
			size_t have = 0;

			while (have < n && at + 2 + have < x->len &&
			       hex_digit(x->pat[at + 2 + have]) >= 0)
				have++;
			return xl_error(x, at, "incomplete escape \\%c%.*s", c,
					(int)have, x->pat + at + 2);
		}
		if (e->value > 0x10ffff)
			return xl_error(x, at, "bad escape \\%.*s", (int)n + 1,
					x->pat + at + 1);
		return 0;
	case 'N':
		if (x->bytes)
			break;
		return xl_error(x, at, "\\N{...} (a character by its Unicode "
				"name) is not supported");
	case 'A':
	case 'Z':
	case 'B':
		if (in_class)
			break;
		e->kind = ESC_ANCHOR;
		e->letter = c;
		return 0;
	case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
		e->kind = ESC_CLASS;
		e->letter = c;
		return 0;
	}
	return xl_error(x, at, "bad escape \\%c", c);
}

/*
 * Parse the escape at `at` (x->pat[at] == '\\') as Python's _escape or,
 * `in_class`, _class_escape.
 */
static int xl_escape(struct esc *e, struct xlate *x, size_t at, bool in_class)
{
	static const char chars[] = "a\af\fn\nr\rt\tv\v\\\\";
	const char *hit;
	char c;
	size_t n;

	if (at + 1 >= x->len)
		return xl_error(x, at, "bad escape (end of pattern)");
	c = x->pat[at + 1];
	e->end = at + 2;
	if (c == 'b') {
		e->kind = in_class ? ESC_LITERAL : ESC_ANCHOR;
		e->value = '\b';
		e->letter = 'b';
		return 0;
	}
	if ((hit = strchr(chars, c)) != NULL && (hit - chars) % 2 == 0) {
		e->kind = ESC_LITERAL;
		e->value = (unsigned char)hit[1];
		return 0;
	}
	if (c == '0' || (in_class && is_octal(c)))
		return xl_octal(e, x, at, at + 1, 3);
	if (c >= '1' && c <= '9')
		return in_class ? xl_error(x, at, "bad escape \\%c", c) :
				  xl_digits(e, x, at);
	if (is_ascii_letter(c))
		return xl_escape_letter(e, x, at, in_class);
	n = xl_char(&e->value, x, at + 1);
	e->kind = ESC_LITERAL;
	e->end = at + 1 + n;
	return 0;
}

/* Add one member to a [...] body; *has_S for Python's Unicode \S. */
static void class_add(struct buf *body, const struct xlate *x,
		      const struct esc *e, bool *has_S)
{
	if (e->kind != ESC_CLASS) {
		buf_addf(body, "\\x{%x}", (unsigned int)e->value);
	} else if (e->letter == 's' && x->unicode) {
		buf_adds(body, UNI_SPACE);
	} else if (e->letter == 'S' && x->unicode) {
		*has_S = true;
	} else {
		buf_addch(body, '\\');
		buf_addch(body, e->letter);
	}
}

/* One member of a [...] set at x->pos: a character or a class escape. */
static int class_member(struct esc *e, struct xlate *x)
{
	int error;

	if (x->pat[x->pos] == '\\') {
		if ((error = xl_escape(e, x, x->pos, true)) < 0)
			return error;
	} else {
		e->kind = ESC_LITERAL;
		e->end = x->pos + xl_char(&e->value, x, x->pos);
	}
	return 0;
}

/*
 * [...], as Python reads it: ']' first is a literal, '[' is always one
 * (never a POSIX class), a '-' before ']' is literal.
 */
static int xl_class(struct xlate *x)
{
	struct buf body = BUF_INIT;
	struct esc e1, e2;
	size_t here = x->pos, items = 0, from;
	bool negate = false, has_S = false;
	int error = 0;

	x->pos++;
	if (x->pos < x->len && x->pat[x->pos] == '^') {
		negate = true;
		x->pos++;
	}
	for (;;) {
		if (x->pos >= x->len) {
			error = xl_error(x, here, "unterminated character set");
			goto out;
		}
		if (x->pat[x->pos] == ']' && items) {
			x->pos++;
			break;
		}
		from = x->pos;
		if ((error = class_member(&e1, x)) < 0)
			goto out;
		x->pos = e1.end;
		items++;
		if (x->pos >= x->len || x->pat[x->pos] != '-') {
			class_add(&body, x, &e1, &has_S);
			continue;
		}
		if (++x->pos >= x->len) {
			error = xl_error(x, here, "unterminated character set");
			goto out;
		}
		if (x->pat[x->pos] == ']') {
			class_add(&body, x, &e1, &has_S);
			buf_adds(&body, "\\-");
			x->pos++;
			break;
		}
		if ((error = class_member(&e2, x)) < 0)
			goto out;
		if (e1.kind != ESC_LITERAL || e2.kind != ESC_LITERAL ||
		    e2.value < e1.value) {
			error = xl_error(x, from, "bad character range %.*s",
					 (int)(e2.end - from), x->pat + from);
			goto out;
		}
		buf_addf(&body, "\\x{%x}-\\x{%x}", (unsigned int)e1.value,
			 (unsigned int)e2.value);
		x->pos = e2.end;
	}
	/*
	 * Python's Unicode \S leaves out \x1c-\x1f, which PCRE2 cannot say
	 * inside one class: [a\S] is a|[^\s...], [^a\S] is (?![a])[\s...].
	 */
	if (!has_S)
		emitf(x, "[%s", negate ? "^" : "");
	else if (!negate)
		emits(x, body.len ? "(?:[" : "(?:[^" UNI_SPACE);
	else
		emits(x, body.len ? "(?:(?![" : "(?:[" UNI_SPACE);
	emit(x, body.ptr, body.len);
	emits(x, "]");
	if (has_S && body.len)
		emits(x, negate ? ")[" UNI_SPACE "])" : "|[^" UNI_SPACE "])");
	else if (has_S)
		emits(x, ")");
	x->last = LAST_ITEM;
out:
	buf_release(&body);
	return error;
}

/* An escape outside [...]. */
static int xl_escape_item(struct xlate *x)
{
	/* Python 3.11's \B never matches in an empty string */
	static const char *const anchors[] = { "A\\A", "Z\\z", "b\\b",
					       "B(?!\\A\\z)\\B" };
	struct esc e;
	int error;

	if ((error = xl_escape(&e, x, x->pos, false)) < 0)
		return error;
	x->pos = e.end;
	x->last = LAST_ITEM;
	switch (e.kind) {
	case ESC_LITERAL:
		emit_literal(x, e.value);
		break;
	case ESC_GROUPREF:
		emitf(x, "\\g{%u}", (unsigned int)e.value);
		break;
	case ESC_CLASS:
		if (e.letter == 's' && x->unicode)
			emits(x, "[" UNI_SPACE "]");
		else if (e.letter == 'S' && x->unicode)
			emits(x, "[^" UNI_SPACE "]");
		else
			emitf(x, "\\%c", e.letter);
		break;
	case ESC_ANCHOR:
		for (size_t i = 0; i < ARRAY_SIZE(anchors); i++)
			if (anchors[i][0] == e.letter)
				emits(x, anchors[i] + 1);
		x->last = LAST_AT;
		break;
	}
	return 0;
}

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
		return xl_error(x, here, "a repeat count over 65535 (PCRE2's "
				"limit) is not supported");
	if (nhi && hi < lo)
		return xl_error(x, here + 1, "min repeat greater than max "
				"repeat");
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
			emits(x, "\\{");
			x->last = LAST_ITEM;
			return 0;
		}
	} else {
		x->pos++;
	}
	if (x->last == LAST_NONE || x->last == LAST_AT)
		return xl_error(x, here, "nothing to repeat");
	if (x->last == LAST_REPEAT)
		return xl_error(x, here, "multiple repeat");
	emits(x, quant);
	if (x->pos < x->len && (x->pat[x->pos] == '?' ||
				x->pat[x->pos] == '+'))
		emit(x, x->pat + x->pos++, 1);
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
	emits(x, "(");
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
		return xl_error(x, x->pos, end || x->pos == x->len ?
				"missing group name" :
				"missing %c, unterminated name", term);
	*at = x->pos;
	*n = (size_t)(end - p);
	x->pos += *n + 1;
	if (!check || is_identifier(p, *n))
		return 0;
	return xl_error(x, *at, "bad character in group name '%.*s'",
			(int)*n, p);
}

/* "unknown extension ?P<tok>", the token at `at` being Python's. */
static int xl_unknown_ext(struct xlate *x, size_t start, size_t at)
{
	uint32_t cp;
	size_t n = x->pat[at] == '\\' && at + 1 < x->len ? 2 :
		   xl_char(&cp, x, at);

	return xl_error(x, start + 1, "unknown extension %.*s",
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
			   xl_error(x, x->pos, "unexpected end of pattern");
	x->pos++;
	if ((error = xl_name(&at, &n, x, c == '<' ? '>' : ')', true)) < 0)
		return error;
	g = find_name(x, at, n);
	if (c == '<') {
		if (g)
			return xl_error(x, at, "redefinition of group name "
					"'%.*s' as group %zu; was group %zu",
					(int)n, x->pat + at, x->ngroups + 1, g);
		new_group(x, start, xstrndup(x->pat + at, n));
		return 0;
	}
	if (!g)
		return xl_error(x, at, "unknown group name '%.*s'", (int)n,
				x->pat + at);
	if (x->open[g])
		return xl_error(x, at, "cannot refer to an open group");
	emitf(x, "\\g{%zu}", g);
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
	if (is_identifier(x->pat + at, n)) {
		if (!(g = find_name(x, at, n)))
			return xl_error(x, at, "unknown group name '%.*s'",
					(int)n, x->pat + at);
	} else if (!py_int(&g, x->pat + at, n)) {
		return xl_error(x, at, "bad character in group name '%.*s'",
				(int)n, x->pat + at);
	} else if (!g) {
		return xl_error(x, at, "bad group number");
	} else if (g > x->condref) {
		x->condref = g;
		x->condref_at = at;
	}
	emitf(x, "(?(%zu)", g);
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
			return xl_error(x, x->pos, "bad inline flags: cannot "
					"use 'L' flag with a str pattern");
		if (f == F_U && x->bytes)
			return xl_error(x, x->pos, "bad inline flags: cannot "
					"use 'u' flag with a bytes pattern");
		*add |= f;
		if ((f & F_TYPE) && (*add & F_TYPE) != f)
			return xl_error(x, x->pos, "bad inline flags: flags "
					"'a', 'u' and 'L' are incompatible");
		if (++x->pos >= x->len)
			return xl_error(x, x->pos, "missing -, : or )");
		c = x->pat[x->pos];
		if (c == ')' || c == ':')
			break;
		if (c != '-' && !flag_bit(c))
			return xl_error(x, x->pos, is_ascii_letter(c) ?
					"unknown flag" : "missing -, : or )");
	}
	if (c == '-') {
		if (++x->pos >= x->len)
			return xl_error(x, x->pos, "missing flag");
		c = x->pat[x->pos];
		if (!flag_bit(c))
			return xl_error(x, x->pos, is_ascii_letter(c) ?
					"unknown flag" : "missing flag");
		while (c != ':') {
			f = flag_bit(c);
			if (f & F_TYPE)
				return xl_error(x, x->pos, "bad inline flags: "
						"cannot turn off flags 'a', "
						"'u' and 'L'");
			*del |= f;
			if (++x->pos >= x->len)
				return xl_error(x, x->pos, "missing :");
			c = x->pat[x->pos];
			if (c != ':' && !flag_bit(c))
				return xl_error(x, x->pos, is_ascii_letter(c) ?
						"unknown flag" : "missing :");
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
		return xl_error(x, start, "global flags not at the start of "
				"the expression");
	if (add & F_T)
		return xl_error(x, start, "(?t) (the TEMPLATE flag) is not "
				"supported");
	if (add & F_L)
		return xl_error(x, start, "(?L) (locale-dependent matching) "
				"is not supported");
	if (add & F_A) {
		x->flags |= REGEX_ASCII;
		x->unicode = false;
	}
	if (add & F_U)
		x->global_u = true;
	if (x->global_u && (x->flags & REGEX_ASCII))
		return xl_error(x, start, "ASCII and UNICODE flags are "
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
		return xl_error(x, start, "bad inline flags: cannot turn %s "
				"global flag", add & F_T ? "on" : "off");
	if (add & del)
		return xl_error(x, start, "bad inline flags: flag turned on "
				"and off");
	if (add & F_L)
		return xl_error(x, start, "(?L:...) (locale-dependent "
				"matching) is not supported");
	if (((add & F_A) && x->unicode) ||
	    ((add & F_U) && !x->unicode && !x->bytes))
		return xl_error(x, start, "(?%c:...) (a class mode for part "
				"of a pattern) is not supported",
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
	emit(x, b.ptr, b.len);
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
		return xl_error(x, x->pos, "unexpected end of pattern");
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
			return xl_error(x, start, "missing ), unterminated "
					"comment");
		x->pos = (size_t)(end - x->pat) + 1;
		return 0;
	}
	case ':': case '=': case '!': case '>':
		emitf(x, "(?%c", c);
		push_frame(x, start, 0);
		return 0;
	case '<':
		c = x->pos < x->len ? x->pat[x->pos++] : '\0';
		if (c != '=' && c != '!')
			return c ? xl_unknown_ext(x, start, x->pos - 1) :
				   xl_error(x, x->pos, "unexpected end of "
					    "pattern");
		emitf(x, "(?<%c", c);
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
		return xl_error(x, x->pos, "unbalanced parenthesis");
	f = &x->stack[--x->depth];
	if (f->group)
		x->open[f->group] = false;
	x->verbose = f->verbose;
	x->pos++;
	emits(x, ")");
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
		return xl_escape_item(x);
	case '[':
		return xl_class(x);
	case '(':
		return xl_group(x);
	case ')':
		return xl_close(x);
	case '*': case '+': case '?': case '{':
		return xl_repeat(x);
	case '|':
		emits(x, "|");
		x->pos++;
		x->last = LAST_NONE;
		return 0;
	case '^': case '$': case '.':
		emit(x, &c, 1);
		x->pos++;
		x->last = c == '.' ? LAST_ITEM : LAST_AT;
		return 0;
	}
	x->pos += xl_char(&cp, x, x->pos);
	emit_literal(x, cp);
	x->last = LAST_ITEM;
	return 0;
}

static int xl_run(struct xlate *x)
{
	int error;

	if (!x->bytes) {
		uint32_t cp;

		for (size_t i = 0, n; i < x->len; i += n)
			if (!(n = utf8_decode(&cp, x->pat + i, x->len - i)))
				return xl_error(x, i, "not valid UTF-8");
	}
	while (x->pos < x->len)
		if ((error = xl_item(x)) < 0)
			return error;
	if (x->depth)
		return xl_error(x, x->stack[x->depth - 1].start,
				"missing ), unterminated subpattern");
	if (x->condref > x->ngroups)
		return xl_error(x, x->condref_at, "invalid group reference %zu",
				x->condref);
	x->tok = x->len;
	ALLOC_GROW(x->map, x->out.len + 1, x->map_alloc);
	x->map[x->out.len] = x->len;
	return 0;
}

static void xl_release(struct xlate *x)
{
	for (size_t g = 1; x->names && g <= x->ngroups; g++)
		free(x->names[g]);
	free(x->names);
	free(x->open);
	free(x->map);
	free(x->stack);
	buf_release(&x->out);
}

/* PCRE2 allocates through xmalloc, so it never runs out of memory. */
static void *pcre_alloc(PCRE2_SIZE size, void *data)
{
	(void)data;
	return xmalloc(size);
}

static void pcre_free(void *p, void *data)
{
	(void)data;
	free(p);
}

static int pcre_compile(pcre2_code **out, const struct xlate *x)
{
	pcre2_general_context *gc;
	pcre2_compile_context *cc;
	uint32_t opts = PCRE2_ALT_CIRCUMFLEX;
	PCRE2_SIZE off;
	int code;

	/* Python's ^ (?m) also matches after a final "\n": ALT_CIRCUMFLEX */
	if (!x->bytes)
		opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
			(x->unicode ? PCRE2_UCP : 0);
	if (x->flags & REGEX_IGNORECASE)
		opts |= PCRE2_CASELESS;
	if (x->flags & REGEX_MULTILINE)
		opts |= PCRE2_MULTILINE;
	if (x->flags & REGEX_DOTALL)
		opts |= PCRE2_DOTALL;
	gc = pcre2_general_context_create(pcre_alloc, pcre_free, NULL);
	cc = pcre2_compile_context_create(gc);
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	*out = pcre2_compile((PCRE2_SPTR)x->out.ptr, x->out.len, opts, &code,
			     &off, cc);
	pcre2_compile_context_free(cc);
	pcre2_general_context_free(gc);
	if (!*out) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		return xl_error(x, off <= x->out.len ? x->map[off] : x->len,
				"%s", (const char *)msg);
	}
	return 0;
}

int regex_compile(struct regex **out, const char *pattern,
		  unsigned int flags)
{
	struct xlate x;
	pcre2_code *code = NULL;
	struct regex *re;
	int error;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	buf_init(&x.out, 0);
	x.pat = pattern;
	x.len = strlen(pattern);
	x.flags = flags;
	x.bytes = flags & REGEX_BYTES;
	x.unicode = !x.bytes && !(flags & REGEX_ASCII);
	x.verbose = flags & REGEX_VERBOSE;
	x.last = LAST_NONE;
	x.names = xcalloc(1, sizeof(*x.names));
	x.open = xcalloc(1, sizeof(*x.open));
	x.groups_alloc = 1;
	if ((error = xl_run(&x)) < 0 || (error = pcre_compile(&code, &x)) < 0)
		goto out;
	re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->pattern = xstrdup(pattern);
	re->flags = x.flags;
	re->ngroups = x.ngroups;
	re->names = x.names;
	x.names = NULL;
	*out = re;
out:
	xl_release(&x);
	return error;
}

void regex_free(struct regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	for (size_t g = 1; g <= re->ngroups; g++)
		free(re->names[g]);
	free(re->names);
	free(re->pattern);
	free(re);
}

const char *regex_pattern(const struct regex *re)
{
	return re->pattern;
}

unsigned int regex_flags(const struct regex *re)
{
	return re->flags;
}

size_t regex_groups(const struct regex *re)
{
	return re->ngroups;
}

bool regex_group_lookup(size_t *out, const struct regex *re,
			const char *name, size_t len)
{
	for (size_t g = 1; g <= re->ngroups; g++) {
		const char *n = re->names[g];

		if (n && strlen(n) == len && !memcmp(n, name, len)) {
			*out = g;
			return true;
		}
	}
	return false;
}

void regex_match_release(struct regex_match *m)
{
	free(m->spans);
	memset(m, 0, sizeof(*m));
}

bool regex_match_group(size_t *so, size_t *eo, const struct regex_match *m,
		       size_t g)
{
	if (!m->matched || g > m->ngroups || m->spans[2 * g] == REGEX_UNSET)
		return false;
	*so = m->spans[2 * g];
	*eo = m->spans[2 * g + 1];
	return true;
}

static int exec_opts(struct regex_match *out, const struct regex *re,
		     const char *s, size_t len, size_t pos, uint32_t opts)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	int rc;

	if (pos > len)
		BUG("regex match from %zu past the end (%zu)", pos, len);
	out->matched = false;
	out->subject = s;
	out->len = len;
	out->ngroups = re->ngroups;
	md = pcre2_match_data_create_from_pattern(re->code, NULL);
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, pos, opts, md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH) {
		pcre2_match_data_free(md);
		return 0;
	}
	if (rc < 0) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		pcre2_match_data_free(md);
		return tend_error_set("regex '%s': %s", re->pattern,
				      (const char *)msg);
	}
	ALLOC_GROW(out->spans, 2 * (re->ngroups + 1), out->alloc);
	ov = pcre2_get_ovector_pointer(md);
	for (size_t i = 0; i < 2 * (re->ngroups + 1); i++) {
		bool unset = (int)(i / 2) >= rc || ov[i] == PCRE2_UNSET;

		out->spans[i] = unset ? REGEX_UNSET : (size_t)ov[i];
	}
	out->matched = true;
	pcre2_match_data_free(md);
	return 0;
}

int regex_exec(struct regex_match *out, const struct regex *re,
	       const char *s, size_t len, size_t pos, enum regex_how how)
{
	uint32_t opts = 0;

	if (how == REGEX_MATCH)
		opts = PCRE2_ANCHORED;
	else if (how == REGEX_FULLMATCH)
		opts = PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	return exec_opts(out, re, s, len, pos, opts);
}

void regex_iter_init(struct regex_iter *it, const struct regex *re,
		     const char *s, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->re = re;
	it->s = s;
	it->len = len;
}

int regex_iter_next(struct regex_match *out, struct regex_iter *it)
{
	int error;

	out->matched = false;
	if (it->done)
		return 0;
	/*
	 * Python's must_advance: after an empty match the next one must not
	 * be empty where it starts, which is what NOTEMPTY_ATSTART means.
	 */
	if ((error = exec_opts(out, it->re, it->s, it->len, it->pos,
			       it->must_advance ? PCRE2_NOTEMPTY_ATSTART :
						  0)) < 0)
		return error;
	if (!out->matched) {
		it->done = true;
		return 0;
	}
	it->must_advance = out->spans[0] == out->spans[1];
	it->pos = out->spans[1];
	return 0;
}

/*
 * Replacement templates (Python's parse_template): literal text and group
 * references, parsed once before any matching.
 */
struct tpl_item {
	size_t group; /* SIZE_MAX: the literal lit[off, off + len) */
	size_t off, len;
};

struct tpl {
	struct buf lit;
	struct tpl_item *v;
	size_t nr, alloc;
};

static void tpl_literal(struct tpl *t, const char *s, size_t n)
{
	if (!t->nr || t->v[t->nr - 1].group != SIZE_MAX) {
		ALLOC_GROW(t->v, t->nr + 1, t->alloc);
		t->v[t->nr].group = SIZE_MAX;
		t->v[t->nr].off = t->lit.len;
		t->v[t->nr++].len = 0;
	}
	buf_add(&t->lit, s, n);
	t->v[t->nr - 1].len += n;
}

static void tpl_char(struct tpl *t, uint32_t cp, bool bytes)
{
	struct buf b = BUF_INIT;

	add_char(&b, cp, bytes);
	tpl_literal(t, b.ptr, b.len);
	buf_release(&b);
}

static void tpl_release(struct tpl *t)
{
	buf_release(&t->lit);
	free(t->v);
}

static int tpl_error(const char *tmpl, size_t at, const char *fmt, ...)
	TEND_PRINTF(3, 4);

static int tpl_error(const char *tmpl, size_t at, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	tend_error_set("bad template '%s': %s at offset %zu", tmpl, msg.ptr,
		       at);
	buf_release(&msg);
	return -1;
}

static int tpl_group(struct tpl *t, const struct regex *re, const char *tmpl,
		     size_t at, size_t g)
{
	if (g > re->ngroups)
		return tpl_error(tmpl, at, "invalid group reference %zu", g);
	ALLOC_GROW(t->v, t->nr + 1, t->alloc);
	t->v[t->nr].group = g;
	t->v[t->nr].off = t->v[t->nr].len = 0;
	t->nr++;
	return 0;
}

/* \g<name> or \g<N>; *p at the 'g'. */
static int tpl_named(struct tpl *t, const struct regex *re, const char *tmpl,
		     const char **pp)
{
	const char *p = *pp + 1, *name, *end;
	size_t n, g = 0;

	if (*p != '<')
		return tpl_error(tmpl, (size_t)(p - tmpl), "missing <");
	name = p + 1;
	if (!(end = strchr(name, '>')) || end == name)
		return tpl_error(tmpl, (size_t)(name - tmpl), end || !*name ?
				 "missing group name" :
				 "missing >, unterminated name");
	n = (size_t)(end - name);
	*pp = end + 1;
	if (is_identifier(name, n)) {
		if (!regex_group_lookup(&g, re, name, n))
			return tpl_error(tmpl, (size_t)(name - tmpl), "unknown "
					 "group name '%.*s'", (int)n, name);
	} else if (!py_int(&g, name, n)) {
		return tpl_error(tmpl, (size_t)(name - tmpl), "bad character "
				 "in group name '%.*s'", (int)n, name);
	}
	return tpl_group(t, re, tmpl, (size_t)(name - tmpl), g);
}

/* \0, \1..\99, \ooo after the backslash at *pp. */
static int tpl_digits(struct tpl *t, const struct regex *re, const char *tmpl,
		      const char **pp)
{
	const char *p = *pp + 1;
	bool bytes = re->flags & REGEX_BYTES;
	uint32_t v = 0;
	size_t n = 1;

	if (*p == '0') {
		while (n < 3 && is_octal(p[n]))
			n++;
		for (size_t i = 1; i < n; i++)
			v = v * 8 + (uint32_t)(p[i] - '0');
		*pp = p + n;
		tpl_char(t, v & 0xff, bytes);
		return 0;
	}
	if (p[1] >= '0' && p[1] <= '9') {
		if (is_octal(p[0]) && is_octal(p[1]) && is_octal(p[2])) {
			v = (uint32_t)((p[0] - '0') * 64 + (p[1] - '0') * 8 +
				       (p[2] - '0'));
			if (v > 0377)
				return tpl_error(tmpl, (size_t)(p - 1 - tmpl),
						 "octal escape value \\%.3s "
						 "outside of range 0-0o377", p);
			*pp = p + 3;
			tpl_char(t, v, bytes);
			return 0;
		}
		n = 2;
	}
	*pp = p + n;
	return tpl_group(t, re, tmpl, (size_t)(p - tmpl),
			 n == 1 ? (size_t)(p[0] - '0') :
				  (size_t)((p[0] - '0') * 10 + (p[1] - '0')));
}

static int tpl_parse(struct tpl *t, const struct regex *re, const char *tmpl)
{
	static const char chars[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	const char *p = tmpl, *q, *hit;
	int error;

	while (*p) {
		if (*p != '\\') {
			q = strchrnul(p, '\\');
			tpl_literal(t, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (!p[1])
			return tpl_error(tmpl, (size_t)(p - tmpl),
					 "bad escape (end of pattern)");
		if (p[1] == 'g') {
			p++;
			if ((error = tpl_named(t, re, tmpl, &p)) < 0)
				return error;
		} else if (p[1] >= '0' && p[1] <= '9') {
			if ((error = tpl_digits(t, re, tmpl, &p)) < 0)
				return error;
		} else if ((hit = strchr(chars, p[1])) != NULL &&
			   (hit - chars) % 2 == 0) {
			tpl_literal(t, hit + 1, 1);
			p += 2;
		} else if (is_ascii_letter(p[1])) {
			return tpl_error(tmpl, (size_t)(p - tmpl),
					 "bad escape \\%c", p[1]);
		} else {
			/* Python keeps the backslash: "\." stays "\." */
			tpl_literal(t, p, 1);
			p++;
		}
	}
	return 0;
}

static void tpl_expand(struct buf *out, const struct tpl *t,
		       const struct regex_match *m)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct tpl_item *it = &t->v[i];
		size_t so, eo;

		if (it->group == SIZE_MAX)
			buf_add(out, t->lit.ptr + it->off, it->len);
		else if (regex_match_group(&so, &eo, m, it->group))
			buf_add(out, m->subject + so, eo - so);
	}
}

int regex_expand(struct buf *out, const struct regex *re,
		 const struct regex_match *m, const char *tmpl)
{
	struct tpl t = { BUF_INIT, NULL, 0, 0 };
	int error;

	if ((error = tpl_parse(&t, re, tmpl)) == 0)
		tpl_expand(out, &t, m);
	tpl_release(&t);
	return error;
}

int regex_sub(struct buf *out, size_t *nsubs, const struct regex *re,
	      const char *repl, const char *s, size_t len, size_t count)
{
	struct tpl t = { BUF_INIT, NULL, 0, 0 };
	struct regex_match m = REGEX_MATCH_INIT;
	struct regex_iter it;
	size_t done = 0, last = 0;
	int error;

	if ((error = tpl_parse(&t, re, repl)) < 0)
		goto out;
	regex_iter_init(&it, re, s, len);
	while (!count || done < count) {
		if ((error = regex_iter_next(&m, &it)) < 0)
			goto out;
		if (!m.matched)
			break;
		buf_add(out, s + last, m.spans[0] - last);
		tpl_expand(out, &t, &m);
		last = m.spans[1];
		done++;
	}
	buf_add(out, s + last, len - last);
out:
	if (nsubs)
		*nsubs = done;
	regex_match_release(&m);
	tpl_release(&t);
	return error;
}

void regex_escape(struct buf *out, const char *s, size_t len)
{
	/* Python 3.7+'s re.escape: only what can be special */
	static const char special[] = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";

	for (size_t i = 0; i < len; i++) {
		if (s[i] && strchr(special, s[i]))
			buf_addch(out, '\\');
		buf_addch(out, s[i]);
	}
}
