#include "tend/common.h"

#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex_int.h"

/*
 * What the reader of Python's syntax is made of (regex_int.h has the
 * contracts): Python's rules for characters, names and numbers, the
 * error, writing the PCRE2 pattern out, and the items that stand for
 * characters: escapes and [...] sets.
 */

/* One escape sequence, parsed. */
enum esc_kind { ESC_LITERAL, ESC_CLASS, ESC_ANCHOR, ESC_GROUPREF };
struct esc {
	enum esc_kind kind;
	uint32_t value; /* the character, or the group number */
	char letter;    /* ESC_CLASS, ESC_ANCHOR: d D s S w W, A Z b B */
	size_t end;     /* just past the escape */
};

/* Python 3.11's \s additions: \s of a str pattern also matches these. */
#define UNI_SPACE "\\s\\x{1c}-\\x{1f}"

static bool is_ascii_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

bool regex_is_ascii_letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool regex_is_octal(int c)
{
	return c >= '0' && c <= '7';
}

/*
 * Python's str.isidentifier(), with any non-ASCII character taken as a
 * letter (group names are not checked against Unicode's tables).
 */
bool regex_is_identifier(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c >= 0x80 || c == '_' || regex_is_ascii_letter(c) ||
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
bool regex_py_int(size_t *out, const char *s, size_t n)
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
int regex_xl_error(const struct xlate *x, size_t at, const char *fmt, ...)
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
void regex_emit(struct xlate *x, const char *s, size_t n)
{
	ALLOC_GROW(x->map, x->out.len + n + 1, x->map_alloc);
	for (size_t i = 0; i < n; i++)
		x->map[x->out.len + i] = x->tok;
	buf_add(&x->out, s, n);
	x->started = true;
}

void regex_emits(struct xlate *x, const char *s)
{
	regex_emit(x, s, strlen(s));
}

void regex_emitf(struct xlate *x, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	regex_emits(x, tmp);
}

/* A literal character, in a form PCRE2 cannot read otherwise. */
void regex_emit_literal(struct xlate *x, uint32_t cp)
{
	char c = (char)cp;

	if (cp < 0x80 && is_ascii_alnum(c))
		regex_emit(x, &c, 1);
	else
		regex_emitf(x, "\\x{%x}", (unsigned int)cp);
}

/* The character at `at`: one byte of a bytes pattern, else UTF-8. */
size_t regex_xl_char(uint32_t *cp, const struct xlate *x, size_t at)
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

	while (n < max && p + n < x->len && regex_is_octal(x->pat[p + n]))
		v = v * 8 + (uint32_t)(x->pat[p + n++] - '0');
	if (v > 0377)
		return regex_xl_error(x, at, "octal escape value \\%.*s "
				      "outside of range 0-0o377", (int)n,
				      x->pat + p);
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
		if (regex_is_octal(p[0]) && regex_is_octal(p[1]) &&
		    at + 3 < x->len && regex_is_octal(p[2]))
			return xl_octal(e, x, at, at + 1, 3);
		n = 2;
	}
	g = n == 1 ? (size_t)(p[0] - '0') :
		     (size_t)(p[0] - '0') * 10 + (size_t)(p[1] - '0');
	if (g > x->ngroups)
		return regex_xl_error(x, at + 1, "invalid group reference %zu",
				      g);
	if (x->open[g])
		return regex_xl_error(x, at, "cannot refer to an open group");
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
			return regex_xl_error(x, at, "incomplete escape "
					      "\\%c%.*s", c, (int)have,
					      x->pat + at + 2);
		}
		if (e->value > 0x10ffff)
			return regex_xl_error(x, at, "bad escape \\%.*s",
					      (int)n + 1, x->pat + at + 1);
		return 0;
	case 'N':
		if (x->bytes)
			break;
		return regex_xl_error(x, at, "\\N{...} (a character by its "
				      "Unicode name) is not supported");
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
	return regex_xl_error(x, at, "bad escape \\%c", c);
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
		return regex_xl_error(x, at, "bad escape (end of pattern)");
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
	if (c == '0' || (in_class && regex_is_octal(c)))
		return xl_octal(e, x, at, at + 1, 3);
	if (c >= '1' && c <= '9')
		return in_class ? regex_xl_error(x, at, "bad escape \\%c", c) :
				  xl_digits(e, x, at);
	if (regex_is_ascii_letter(c))
		return xl_escape_letter(e, x, at, in_class);
	n = regex_xl_char(&e->value, x, at + 1);
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
		e->end = x->pos + regex_xl_char(&e->value, x, x->pos);
	}
	return 0;
}

/*
 * [...], as Python reads it: ']' first is a literal, '[' is always one
 * (never a POSIX class), a '-' before ']' is literal.
 */
int regex_xl_class(struct xlate *x)
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
			error = regex_xl_error(x, here, "unterminated "
					       "character set");
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
			error = regex_xl_error(x, here, "unterminated "
					       "character set");
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
			error = regex_xl_error(x, from, "bad character range "
					       "%.*s", (int)(e2.end - from),
					       x->pat + from);
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
		regex_emitf(x, "[%s", negate ? "^" : "");
	else if (!negate)
		regex_emits(x, body.len ? "(?:[" : "(?:[^" UNI_SPACE);
	else
		regex_emits(x, body.len ? "(?:(?![" : "(?:[" UNI_SPACE);
	regex_emit(x, body.ptr, body.len);
	regex_emits(x, "]");
	if (has_S && body.len)
		regex_emits(x, negate ? ")[" UNI_SPACE "])" :
					"|[^" UNI_SPACE "])");

	else if (has_S)
		regex_emits(x, ")");
	x->last = LAST_ITEM;
out:
	buf_release(&body);
	return error;
}

/* An escape outside [...]. */
int regex_xl_escape_item(struct xlate *x)
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
		regex_emit_literal(x, e.value);
		break;
	case ESC_GROUPREF:
		regex_emitf(x, "\\g{%u}", (unsigned int)e.value);
		break;
	case ESC_CLASS:
		if (e.letter == 's' && x->unicode)
			regex_emits(x, "[" UNI_SPACE "]");
		else if (e.letter == 'S' && x->unicode)
			regex_emits(x, "[^" UNI_SPACE "]");
		else
			regex_emitf(x, "\\%c", e.letter);
		break;
	case ESC_ANCHOR:
		for (size_t i = 0; i < ARRAY_SIZE(anchors); i++)
			if (anchors[i][0] == e.letter)
				regex_emits(x, anchors[i] + 1);
		x->last = LAST_AT;
		break;
	}
	return 0;
}
