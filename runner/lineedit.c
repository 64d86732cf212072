#include "tend/common.h"
#include "tend/buf.h"
#include "tend/error.h"
#include "tend/lineedit.h"
#include "tend/module.h"
#include "tend/val.h"

/*
 * NEEDSWORK: Python regexes are translated, not implemented. Known gaps:
 * lookaround, scoped flags (?i:...), (?x), \D \S \W inside [...], Python
 * classes of non-ASCII characters, lazy quantifiers (taken as greedy, which
 * changes only what a group captures), and patterns meant to match the
 * newline itself: a line is searched without its final "\n" (so `$`
 * behaves as Python's, but "foo\n" or `\Z` do not). blockinfile's (?m)
 * whole-file search for insertafter/insertbefore is not done either: the
 * pattern is searched line by line.
 */

#define RE_SPECIALS ".[]()*+?{}|^$\\"

struct re_trans {
	const char *pat; /* the whole Python pattern, for messages */
	const char *p;   /* where we are in it */
	struct buf out;  /* the POSIX pattern */
	struct lineedit_re *re;
	size_t alloc;
	size_t posix_groups;
	int cflags;
};

static int trans_error(const struct re_trans *t, const char *why)
{
	return tend_error_set("invalid regular expression '%s': %s", t->pat,
			      why);
}

static void add_literal(struct buf *b, int c)
{
	if (strchr(RE_SPECIALS, c))
		buf_addch(b, '\\');
	buf_addch(b, c);
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

/*
 * The character a Python escape \c stands for when it is one of the
 * control-character escapes (t->p just after c for \x), or -1.
 */
static int escape_char(struct re_trans *t, int c)
{
	int hi, lo;

	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'v': return '\v';
	case 'a': return '\a';
	case 'x':
		hi = hexval(t->p[0]);
		lo = hi < 0 ? -1 : hexval(t->p[1]);
		if (lo < 0 || (!hi && !lo))
			return -1;
		t->p += 2;
		return hi * 16 + lo;
	}
	return -1;
}

static void group_add(struct re_trans *t, const char *name, size_t namelen)
{
	struct lineedit_re *re = t->re;
	size_t want = re->ngroups + 2;

	if (want > t->alloc) {
		size_t n = t->alloc < 8 ? 8 : t->alloc * 2;

		while (n < want)
			n *= 2;
		re->group_map = xrealloc(re->group_map,
					 n * sizeof(*re->group_map));
		re->group_names = xrealloc(re->group_names,
					   n * sizeof(*re->group_names));
		t->alloc = n;
	}
	re->ngroups++;
	re->group_map[re->ngroups] = t->posix_groups;
	re->group_names[re->ngroups] = name ? xstrndup(name, namelen) : NULL;
}

/* A backreference to Python group n, as a POSIX \N. */
static int add_backref(struct re_trans *t, size_t n)
{
	if (!n || n > t->re->ngroups)
		return trans_error(t, "backreference to an unknown group");
	if (t->re->group_map[n] > 9)
		return trans_error(t, "backreference beyond POSIX group 9");
	buf_addf(&t->out, "\\%zu", t->re->group_map[n]);
	return 0;
}

/* Translate an escape outside [...]; t->p is just past the backslash. */
static int trans_escape(struct re_trans *t)
{
	int c = *t->p++, ch;
	size_t n;

	switch (c) {
	case 0:
		return trans_error(t, "trailing backslash");
	case 'd':
		buf_adds(&t->out, "[0-9]");
		return 0;
	case 'D':
		buf_adds(&t->out, "[^0-9]");
		return 0;
	case 's': case 'S': case 'w': case 'W': case 'b': case 'B':
		buf_addch(&t->out, '\\');
		buf_addch(&t->out, c);
		return 0;
	case 'A':
		buf_addch(&t->out, '^');
		return 0;
	case 'Z':
		buf_addch(&t->out, '$');
		return 0;
	}
	if (c >= '1' && c <= '9') {
		n = (size_t)(c - '0');
		if (*t->p >= '0' && *t->p <= '9')
			n = n * 10 + (size_t)(*t->p++ - '0');
		return add_backref(t, n);
	}
	if ((ch = escape_char(t, c)) >= 0) {
		add_literal(&t->out, ch);
		return 0;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return trans_error(t, "unsupported escape");
	add_literal(&t->out, c);
	return 0;
}

/*
 * Translate a [...] set; t->p is just past the '['. POSIX has no escapes
 * inside brackets and gives ']', '^' and '-' meaning by position, so the
 * members are collected and those three placed where they are literal.
 */
static int trans_class(struct re_trans *t)
{
	struct buf body = BUF_INIT;
	bool neg = false, rbracket = false, caret = false, dash = false;
	bool first = true;
	int error = 0, c, ch;

	if (*t->p == '^') {
		neg = true;
		t->p++;
	}
	for (;; first = false) {
		c = *t->p;
		if (!c) {
			error = trans_error(t, "unterminated character set");
			goto out;
		}
		t->p++;
		if (c == ']' && !first)
			break;
		if (c == ']') {
			rbracket = true;
		} else if (c == '^') {
			caret = true;
		} else if (c == '-' && (first || *t->p == ']')) {
			dash = true;
		} else if (c != '\\') {
			buf_addch(&body, c);
		} else {
			c = *t->p++;
			switch (c) {
			case 0:
				error = trans_error(t, "trailing backslash");
				goto out;
			case 'd': buf_adds(&body, "0-9"); continue;
			case 's': buf_adds(&body, "[:space:]"); continue;
			case 'w': buf_adds(&body, "[:alnum:]_"); continue;
			case 'b': buf_addch(&body, '\b'); continue;
			case ']': rbracket = true; continue;
			case '^': caret = true; continue;
			case '-': dash = true; continue;
			}
			if ((ch = escape_char(t, c)) >= 0) {
				buf_addch(&body, ch);
			} else if ((c >= 'a' && c <= 'z') ||
				   (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9')) {
				error = trans_error(t, "unsupported escape "
						       "in a character set");
				goto out;
			} else {
				buf_addch(&body, c);
			}
		}
	}
	if (!neg && !rbracket && !body.len && caret) {
		buf_adds(&t->out, dash ? "[-^]" : "\\^");
		goto out;
	}
	buf_addch(&t->out, '[');
	if (neg)
		buf_addch(&t->out, '^');
	if (rbracket)
		buf_addch(&t->out, ']');
	buf_addbuf(&t->out, &body);
	if (caret)
		buf_addch(&t->out, '^');
	if (dash)
		buf_addch(&t->out, '-');
	buf_addch(&t->out, ']');
out:
	buf_release(&body);
	return error;
}

/* Translate what follows "(?"; t->p is just past the '?'. */
static int trans_group_ext(struct re_trans *t)
{
	const char *name, *end;

	if (*t->p == ':') {
		t->p++;
		t->posix_groups++;
		buf_addch(&t->out, '(');
		return 0;
	}
	if (!strncmp(t->p, "P<", 2)) {
		name = t->p + 2;
		if (!(end = strchr(name, '>')) || end == name)
			return trans_error(t, "bad group name");
		t->posix_groups++;
		group_add(t, name, (size_t)(end - name));
		buf_addch(&t->out, '(');
		t->p = end + 1;
		return 0;
	}
	if (!strncmp(t->p, "P=", 2)) {
		name = t->p + 2;
		if (!(end = strchr(name, ')')))
			return trans_error(t, "bad group reference");
		t->p = end + 1;
		for (size_t i = 1; i <= t->re->ngroups; i++) {
			const char *n = t->re->group_names[i];

			if (n && strlen(n) == (size_t)(end - name) &&
			    !memcmp(n, name, (size_t)(end - name)))
				return add_backref(t, i);
		}
		return trans_error(t, "unknown group name");
	}
	if (*t->p == '#') {
		if (!(end = strchr(t->p, ')')))
			return trans_error(t, "unterminated comment");
		t->p = end + 1;
		return 0;
	}
	/* Global flags "(?imsx)": only those that mean something per line. */
	for (end = t->p; *end && strchr("aiLmsu", *end); end++)
		;
	if (end == t->p || *end != ')')
		return trans_error(t, "unsupported (?...) group");
	for (; t->p < end; t->p++) {
		if (*t->p == 'i')
			t->cflags |= REG_ICASE;
	}
	t->p++;
	return 0;
}

/*
 * A "{" that starts a Python quantifier {n}, {n,}, {,m}, {n,m}: append it
 * in POSIX form and return true. Otherwise Python takes the brace as a
 * literal character, and so do we (false, nothing consumed).
 */
static bool trans_brace(struct re_trans *t)
{
	const char *p = t->p + 1, *lo = p, *hi = NULL;
	size_t lolen, hilen = 0;
	bool comma = false;

	while (*p >= '0' && *p <= '9')
		p++;
	lolen = (size_t)(p - lo);
	if (*p == ',') {
		comma = true;
		hi = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		hilen = (size_t)(p - hi);
	}
	if (*p != '}' || (!lolen && !comma))
		return false;
	buf_addch(&t->out, '{');
	if (lolen)
		buf_add(&t->out, lo, lolen);
	else
		buf_addch(&t->out, '0');
	if (comma) {
		buf_addch(&t->out, ',');
		buf_add(&t->out, hi, hilen);
	}
	buf_addch(&t->out, '}');
	t->p = p + 1;
	return true;
}

static int re_translate(struct re_trans *t)
{
	int error, c;

	while ((c = *t->p) != 0) {
		t->p++;
		switch (c) {
		case '\\':
			if ((error = trans_escape(t)) < 0)
				return error;
			break;
		case '[':
			if ((error = trans_class(t)) < 0)
				return error;
			break;
		case '(':
			if (*t->p == '?') {
				t->p++;
				if ((error = trans_group_ext(t)) < 0)
					return error;
				break;
			}
			t->posix_groups++;
			group_add(t, NULL, 0);
			buf_addch(&t->out, '(');
			break;
		case '*': case '+': case '?':
			buf_addch(&t->out, c);
			if (*t->p == '?')
				t->p++; /* lazy: taken as greedy */
			break;
		case '{':
			t->p--;
			if (trans_brace(t)) {
				if (*t->p == '?')
					t->p++;
			} else {
				t->p++;
				buf_adds(&t->out, "\\{");
			}
			break;
		case '}':
			buf_adds(&t->out, "\\}");
			break;
		default:
			buf_addch(&t->out, c);
		}
	}
	return 0;
}

int lineedit_re_compile(struct lineedit_re *out, const char *pattern)
{
	struct re_trans t = { pattern, pattern, BUF_INIT, out, 0, 0,
			      REG_EXTENDED };
	char why[256];
	int error, rc;

	memset(out, 0, sizeof(*out));
	if ((error = re_translate(&t)) < 0)
		goto out;
	if ((rc = regcomp(&out->re, t.out.ptr, t.cflags)) != 0) {
		regerror(rc, &out->re, why, sizeof(why));
		regfree(&out->re);
		error = trans_error(&t, why);
		goto out;
	}
	out->compiled = true;
out:
	buf_release(&t.out);
	return error;
}

bool lineedit_re_search(const struct lineedit_re *re, const char *s,
			size_t len, regmatch_t *m, size_t nm)
{
	regmatch_t whole[1];

	if (!nm) {
		m = whole;
		nm = 1;
	}
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	return !regexec(&re->re, s, nm, m, REG_STARTEND);
}

static int expand_group(struct buf *out, const struct lineedit_re *re,
			const char *s, const regmatch_t *m, size_t n)
{
	const regmatch_t *g;

	if (n > re->ngroups)
		return tend_error_set("invalid group reference %zu", n);
	g = &m[n ? re->group_map[n] : 0];
	if (g->rm_so >= 0)
		buf_add(out, s + g->rm_so, (size_t)(g->rm_eo - g->rm_so));
	return 0;
}

/* \g<N> or \g<name>; *pp just past the 'g'. */
static int expand_named(struct buf *out, const struct lineedit_re *re,
			const char *s, const regmatch_t *m, const char **pp)
{
	const char *name = *pp + 1, *end;
	size_t len, n = 0;

	if (**pp != '<' || !(end = strchr(name, '>')) || end == name)
		return tend_error_set("missing group name in '\\g<...>'");
	len = (size_t)(end - name);
	*pp = end + 1;
	if (strspn(name, "0123456789") >= len) {
		for (const char *d = name; d < end; d++)
			n = n * 10 + (size_t)(*d - '0');
		return expand_group(out, re, s, m, n);
	}
	for (size_t i = 1; i <= re->ngroups; i++) {
		const char *gn = re->group_names[i];

		if (gn && strlen(gn) == len && !memcmp(gn, name, len))
			return expand_group(out, re, s, m, i);
	}
	return tend_error_set("unknown group name '%.*s'", (int)len, name);
}

static bool is_octal(int c)
{
	return c >= '0' && c <= '7';
}

int lineedit_re_expand(struct buf *out, const struct lineedit_re *re,
		       const char *s, const regmatch_t *m, const char *tmpl)
{
	const char *p = tmpl, *q;
	int error, c, n;

	while (*p) {
		if (*p != '\\') {
			q = strchrnul(p, '\\');
			buf_add(out, p, (size_t)(q - p));
			p = q;
			continue;
		}
		c = p[1];
		p += 2;
		switch (c) {
		case 0:
			return tend_error_set("bad escape (end of pattern)");
		case 'g':
			if ((error = expand_named(out, re, s, m, &p)) < 0)
				return error;
			continue;
		case 'n': buf_addch(out, '\n'); continue;
		case 't': buf_addch(out, '\t'); continue;
		case 'r': buf_addch(out, '\r'); continue;
		case 'f': buf_addch(out, '\f'); continue;
		case 'v': buf_addch(out, '\v'); continue;
		case 'a': buf_addch(out, '\a'); continue;
		case 'b': buf_addch(out, '\b'); continue;
		case '\\': buf_addch(out, '\\'); continue;
		case '0':
			/* \0, \0o, \0oo: an octal character */
			n = 0;
			for (int i = 0; i < 2 && is_octal(*p); i++)
				n = n * 8 + (*p++ - '0');
			buf_addch(out, n);
			continue;
		}
		if (c >= '1' && c <= '9') {
			if (is_octal(c) && is_octal(p[0]) && is_octal(p[1])) {
				n = (c - '0') * 64 + (p[0] - '0') * 8 +
				    (p[1] - '0');
				if (n > 0377)
					return tend_error_set("octal escape "
							      "value outside "
							      "of range");
				p += 2;
				buf_addch(out, n);
				continue;
			}
			n = c - '0';
			if (*p >= '0' && *p <= '9')
				n = n * 10 + (*p++ - '0');
			if ((error = expand_group(out, re, s, m,
						  (size_t)n)) < 0)
				return error;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return tend_error_set("bad escape \\%c", c);
		buf_addch(out, '\\');
		buf_addch(out, c);
	}
	return 0;
}

void lineedit_re_release(struct lineedit_re *re)
{
	if (re->compiled)
		regfree(&re->re);
	if (re->group_names) {
		for (size_t i = 1; i <= re->ngroups; i++)
			free(re->group_names[i]);
	}
	free(re->group_names);
	free(re->group_map);
	memset(re, 0, sizeof(*re));
}

void lineedit_result_init(struct lineedit_result *r)
{
	r->changed = false;
	buf_init(&r->content, 0);
	buf_init(&r->msg, 0);
	r->found = 0;
}

void lineedit_result_release(struct lineedit_result *r)
{
	buf_release(&r->content);
	buf_release(&r->msg);
	lineedit_result_init(r);
}

/* A file as Python's list of lines, each with its line ending. */
struct lines {
	struct buf *v;
	size_t nr, alloc;
};
#define LINES_INIT { NULL, 0, 0 }

static void lines_release(struct lines *l)
{
	for (size_t i = 0; i < l->nr; i++)
		buf_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->nr = l->alloc = 0;
}

/* Insert a copy of `len` bytes of `s` before line `at` (at <= nr). */
static void lines_insert(struct lines *l, size_t at, const char *s,
			 size_t len)
{
	struct buf b = BUF_INIT;

	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	memmove(l->v + at + 1, l->v + at, (l->nr - at) * sizeof(*l->v));
	buf_add(&b, s, len);
	l->v[at] = b;
	l->nr++;
}

/* Remove lines [from, to). */
static void lines_remove(struct lines *l, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		buf_release(&l->v[i]);
	memmove(l->v + from, l->v + to, (l->nr - to) * sizeof(*l->v));
	l->nr -= to - from;
}

/*
 * Split as Python's bytes.readlines() (lines end at "\n") or, with
 * `universal`, as bytes.splitlines(True) ("\n", "\r\n" or "\r").
 */
static void lines_split(struct lines *l, const char *s, size_t len,
			bool universal)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' && universal) {
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else if (s[i] != '\n') {
			continue;
		}
		lines_insert(l, l->nr, s + start, i + 1 - start);
		start = i + 1;
	}
	if (start < len)
		lines_insert(l, l->nr, s + start, len - start);
}

static void lines_join(struct buf *out, const struct lines *l)
{
	for (size_t i = 0; i < l->nr; i++)
		buf_addbuf(out, &l->v[i]);
}

/*
 * Search one line: Python searches it with its "\n", where `$` matches
 * before that newline too. POSIX `$` does not, so the newline is left out.
 */
static bool line_search(const struct lineedit_re *re, const struct buf *ln,
			regmatch_t *m, size_t nm)
{
	size_t len = ln->len;

	if (len && ln->ptr[len - 1] == '\n')
		len--;
	return lineedit_re_search(re, ln->ptr, len, m, nm);
}

/* Python's `line == cur.rstrip(b'\r\n')`. */
static bool line_equals(const struct buf *ln, const char *line,
			size_t line_len)
{
	size_t len = ln->len;

	while (len && (ln->ptr[len - 1] == '\r' || ln->ptr[len - 1] == '\n'))
		len--;
	return len == line_len && !memcmp(ln->ptr, line, len);
}

/* The length of an option that may hold NUL bytes (0: up to the first). */
static size_t opt_len(const char *s, size_t len)
{
	return len ? len : strlen(s);
}

static bool line_contains(const struct buf *ln, const char *s)
{
	return memmem(ln->ptr, ln->len, s, strlen(s)) != NULL;
}

static bool ends_with_newline(const struct buf *ln)
{
	return ln->len && ln->ptr[ln->len - 1] == '\n';
}

static bool streq(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

static bool truthy(const char *s)
{
	return s && *s;
}

static void insert_line(struct lines *l, size_t at, const char *line,
			size_t len)
{
	lines_insert(l, at, line, len);
	buf_addch(&l->v[at], '\n');
}

static void lineinfile_absent(struct lineedit_result *out, struct lines *l,
			      const struct lineinfile_opts *o,
			      const struct lineedit_re *re)
{
	size_t i = 0;
	bool hit;

	while (i < l->nr) {
		if (o->regexp)
			hit = line_search(re, &l->v[i], NULL, 0);
		else if (o->search_string)
			hit = line_contains(&l->v[i], o->search_string);
		else
			hit = line_equals(&l->v[i], o->line,
					  opt_len(o->line, o->line_len));
		if (!hit) {
			i++;
			continue;
		}
		lines_remove(l, i, i + 1);
		out->found++;
	}
	if (out->found)
		buf_addf(&out->msg, "%zu line(s) removed", out->found);
}

/*
 * Ansible's present(): find the line to replace (the last match of regexp
 * or search_string, the first with firstmatch; else a line equal to
 * `line`), else where to insert.
 */
static int lineinfile_present(struct lineedit_result *out, struct lines *l,
			      const struct lineinfile_opts *o,
			      const struct lineedit_re *re)
{
	const char *ia = o->insertafter, *ib = o->insertbefore;
	const char *line = o->line, *ins_pat = NULL;
	size_t len = opt_len(line, o->line_len);
	struct lineedit_re ins;
	bool have_ins = false, matched = false;
	long idx = -1, at = -1;
	size_t nm = re->compiled ? re->re.re_nsub + 1 : 0;
	regmatch_t *m = NULL, *best = NULL;
	struct buf newline = BUF_INIT;
	int error = 0;

	memset(&ins, 0, sizeof(ins));
	if (!ia && !ib)
		ia = "EOF";
	if (ia && !streq(ia, "BOF") && !streq(ia, "EOF"))
		ins_pat = ia;
	else if (ib && !streq(ib, "BOF"))
		ins_pat = ib;
	if (ins_pat) {
		have_ins = true;
		if ((error = lineedit_re_compile(&ins, ins_pat)) < 0)
			goto out;
	}

	if (nm) {
		m = xcalloc(nm, sizeof(*m));
		best = xcalloc(nm, sizeof(*best));
	}
	for (size_t i = 0; o->regexp && i < l->nr; i++) {
		if (!line_search(re, &l->v[i], m, nm))
			continue;
		idx = (long)i;
		matched = true;
		memcpy(best, m, nm * sizeof(*m));
		if (o->firstmatch)
			break;
	}
	for (size_t i = 0; o->search_string && i < l->nr; i++) {
		if (!line_contains(&l->v[i], o->search_string))
			continue;
		idx = (long)i;
		matched = true;
		if (o->firstmatch)
			break;
	}
	for (size_t i = 0; !matched && i < l->nr; i++) {
		if (line_equals(&l->v[i], line, len)) {
			idx = (long)i;
		} else if (have_ins && line_search(&ins, &l->v[i], NULL, 0)) {
			if (truthy(ia)) {
				at = (long)i + 1;
				if (o->firstmatch)
					break;
			}
			if (truthy(ib)) {
				at = (long)i;
				if (o->firstmatch)
					break;
			}
		}
	}

	if (idx >= 0) {
		struct buf *cur = &l->v[idx];

		if (o->backrefs && matched && o->regexp) {
			if ((error = lineedit_re_expand(&newline, re, cur->ptr,
							best, line)) < 0)
				goto out;
		} else {
			buf_add(&newline, line, len);
		}
		if (!ends_with_newline(&newline))
			buf_addch(&newline, '\n');
		if (cur->len != newline.len ||
		    memcmp(cur->ptr, newline.ptr, newline.len)) {
			buf_reset(cur);
			buf_addbuf(cur, &newline);
			buf_adds(&out->msg, "line replaced");
		}
	} else if (o->backrefs) {
		/* backrefs and no match: leave the file alone */
	} else if (streq(ib, "BOF") || streq(ia, "BOF")) {
		insert_line(l, 0, line, len);
		buf_adds(&out->msg, "line added");
	} else if (streq(ia, "EOF") || at < 0) {
		struct buf *last = l->nr ? &l->v[l->nr - 1] : NULL;

		if (last && last->ptr[last->len - 1] != '\n' &&
		    last->ptr[last->len - 1] != '\r')
			buf_addch(last, '\n');
		insert_line(l, l->nr, line, len);
		buf_adds(&out->msg, "line added");
	} else if (truthy(ia)) {
		/*
		 * Ansible compares with the line after the insertion point
		 * and, at the end, does not fix a last line lacking "\n".
		 */
		if ((size_t)at == l->nr) {
			if (!line_equals(&l->v[at - 1], line, len)) {
				insert_line(l, l->nr, line, len);
				buf_adds(&out->msg, "line added");
			}
		} else if (!line_equals(&l->v[at], line, len)) {
			insert_line(l, (size_t)at, line, len);
			buf_adds(&out->msg, "line added");
		}
	} else {
		insert_line(l, (size_t)at, line, len);
		buf_adds(&out->msg, "line added");
	}
out:
	free(m);
	free(best);
	buf_release(&newline);
	lineedit_re_release(&ins);
	return error;
}

int lineedit_lineinfile(struct lineedit_result *out, const char *in,
			size_t len, const struct lineinfile_opts *o)
{
	struct lines l = LINES_INIT;
	struct lineedit_re re;
	int error = 0;

	memset(&re, 0, sizeof(re));
	if (!o->absent && !o->line)
		BUG("lineinfile: present without a line");
	if (o->absent && !o->regexp && !o->search_string && !o->line)
		BUG("lineinfile: absent without line, regexp, search_string");
	if (in)
		lines_split(&l, in, len, false);
	if (o->regexp && (error = lineedit_re_compile(&re, o->regexp)) < 0)
		goto out;
	if (o->absent)
		lineinfile_absent(out, &l, o, &re);
	else if ((error = lineinfile_present(out, &l, o, &re)) < 0)
		goto out;
	out->changed = out->msg.len > 0;
	buf_reset(&out->content);
	lines_join(&out->content, &l);
out:
	lineedit_re_release(&re);
	lines_release(&l);
	return error;
}

/* marker with every "{mark}" replaced by `mark`, and a newline. */
static void make_marker(struct buf *out, const char *marker, const char *mark)
{
	const char *p = marker, *q;

	while ((q = strstr(p, "{mark}")) != NULL) {
		buf_add(out, p, (size_t)(q - p));
		buf_adds(out, mark);
		p = q + strlen("{mark}");
	}
	buf_adds(out, p);
	buf_addch(out, '\n');
}

static bool line_is(const struct buf *ln, const struct buf *s)
{
	return ln->len == s->len && !memcmp(ln->ptr, s->ptr, s->len);
}

/*
 * Where the block goes when its markers are not both there: after the
 * last line matching insertafter, before the last matching insertbefore,
 * at the end if none matches; at BOF or EOF.
 */
static int block_position(size_t *out, const struct lines *l,
			  const char *ia, const char *ib)
{
	struct lineedit_re re;
	const char *pat = NULL;
	long at = -1;
	int error;

	if (ia && !streq(ia, "EOF"))
		pat = ia;
	else if (ib && !streq(ib, "BOF"))
		pat = ib;
	if (!pat) {
		*out = ib ? 0 : l->nr;
		return 0;
	}
	if ((error = lineedit_re_compile(&re, pat)) < 0) {
		lineedit_re_release(&re);
		return error;
	}
	for (size_t i = 0; i < l->nr; i++) {
		if (line_search(&re, &l->v[i], NULL, 0))
			at = (long)i;
	}
	lineedit_re_release(&re);
	if (at < 0)
		*out = l->nr;
	else
		*out = (size_t)at + (ia ? 1 : 0);
	return 0;
}

int lineedit_blockinfile(struct lineedit_result *out, const char *in,
			 size_t len, const struct blockinfile_opts *o)
{
	const char *marker = o->marker ? o->marker :
			     "# {mark} ANSIBLE MANAGED BLOCK";
	const char *ia = o->insertafter, *ib = o->insertbefore;
	struct buf m0 = BUF_INIT, m1 = BUF_INIT, block = BUF_INIT;
	struct lines l = LINES_INIT, bl = LINES_INIT;
	long n0 = -1, n1 = -1;
	size_t at;
	int error = 0;

	if (in)
		lines_split(&l, in, len, true);
	if (!ia && !ib)
		ia = "EOF";
	make_marker(&m0, marker, o->marker_begin ? o->marker_begin : "BEGIN");
	make_marker(&m1, marker, o->marker_end ? o->marker_end : "END");
	if (!o->absent && o->block && opt_len(o->block, o->block_len)) {
		buf_add(&block, o->block, opt_len(o->block, o->block_len));
		if (!buf_ends_with(&block, "\n"))
			buf_addch(&block, '\n');
		lines_insert(&bl, 0, m0.ptr, m0.len);
		lines_split(&bl, block.ptr, block.len, true);
		lines_insert(&bl, bl.nr, m1.ptr, m1.len);
	}

	for (size_t i = 0; i < l.nr; i++) {
		if (line_is(&l.v[i], &m0))
			n0 = (long)i;
		if (line_is(&l.v[i], &m1))
			n1 = (long)i;
	}
	if (n0 < 0 || n1 < 0) {
		if ((error = block_position(&at, &l, ia, ib)) < 0)
			goto out;
	} else if (n0 < n1) {
		lines_remove(&l, (size_t)n0, (size_t)n1 + 1);
		at = (size_t)n0;
	} else {
		lines_remove(&l, (size_t)n1, (size_t)n0 + 1);
		at = (size_t)n1;
	}
	if (at > 0 && !ends_with_newline(&l.v[at - 1]))
		buf_addch(&l.v[at - 1], '\n');
	for (size_t i = 0; i < bl.nr; i++)
		lines_insert(&l, at + i, bl.v[i].ptr, bl.v[i].len);

	buf_reset(&out->content);
	lines_join(&out->content, &l);
	buf_reset(&out->msg);
	if (!in) {
		out->changed = true;
		buf_adds(&out->msg, "File created");
	} else if (out->content.len == len &&
		   !memcmp(out->content.ptr, in, len)) {
		out->changed = false;
	} else {
		out->changed = true;
		buf_adds(&out->msg, bl.nr ? "Block inserted" : "Block removed");
	}
out:
	buf_release(&m0);
	buf_release(&m1);
	buf_release(&block);
	lines_release(&l);
	lines_release(&bl);
	return error;
}

/* What lineedit_plan hands to lineedit_apply. */
struct edit_plan {
	struct file_state st;
	struct buf content;
	bool write;      /* the content changes */
	struct buf msg;
};

static void edit_plan_free(void *p)
{
	struct edit_plan *pd = p;

	file_state_release(&pd->st);
	buf_release(&pd->content);
	buf_release(&pd->msg);
	free(pd);
}

static void want_from_args(struct file_want *w, const struct task_ctx *ctx,
			   const struct file_state *st,
			   const struct buf *content)
{
	const struct val *mode = arg_get(ctx, "mode");

	memset(w, 0, sizeof(*w));
	w->path = arg_str(ctx, "path");
	w->follow = true;
	w->mode = val_is(mode, VAL_NULL) ? NULL : mode;
	w->owner = arg_str(ctx, "owner");
	w->group = arg_str(ctx, "group");
	if (content) {
		w->content = content->ptr;
		w->content_len = content->len;
		/* Ansible backs up only when the content changes */
		w->backup = arg_bool(ctx, "backup", false) && st->exists;
	}
}

int lineedit_read(struct file_state *out, const struct task_ctx *ctx,
		  const char *path)
{
	int error;

	if ((error = file_state_read(out, ctx, path,
				     FILE_READ_CONTENT | FILE_FOLLOW)) < 0)
		return error;
	if (!out->exists)
		return 0;
	if (out->type == 'd')
		return tend_error_set("Path %s is a directory !", path);
	if (out->type != 'f')
		return tend_error_set("cannot edit '%s': not a regular file",
				      path);
	if (!out->content_read)
		return tend_error_set("cannot edit '%s': larger than %u bytes",
				      path, FILE_CONTENT_MAX);
	return 0;
}

int lineedit_plan(struct check_result *out, const struct task_ctx *ctx,
		  struct file_state *st, struct lineedit_result *r)
{
	struct edit_plan *pd;
	struct file_want w;
	int error;

	buf_reset(&out->msg);
	if (!st->exists && !r->changed) {
		/* nothing to write, so nothing is created */
		out->status = CHECK_OK;
		buf_addbuf(&out->msg, &r->msg);
		return 0;
	}
	want_from_args(&w, ctx, st, r->changed ? &r->content : NULL);
	if ((error = file_plan(out, st, &w)) < 0)
		return error;
	buf_reset(&out->msg);
	buf_addbuf(&out->msg, &r->msg);
	if (st->exists && out->changes.len)
		buf_addf(&out->msg, "%sownership, perms or SE linux context "
			 "changed", out->msg.len ? " and " : "");

	pd = xcalloc(1, sizeof(*pd));
	pd->st = *st;
	file_state_init(st);
	pd->write = r->changed;
	pd->content = r->content;
	buf_init(&r->content, 0);
	buf_init(&pd->msg, 0);
	buf_addbuf(&pd->msg, &out->msg);
	out->priv = pd;
	out->priv_free = edit_plan_free;
	return 0;
}

int lineedit_apply(struct apply_result *out, const struct task_ctx *ctx,
		   const struct check_result *planned, const char *backup_key,
		   bool backup_always)
{
	const struct edit_plan *pd = planned->priv;
	const struct val *made;
	struct file_want w;
	int error;

	if (!pd)
		BUG("lineedit_apply without a plan");
	want_from_args(&w, ctx, &pd->st, pd->write ? &pd->content : NULL);
	if ((error = file_write(out, ctx, &w, &pd->st)) < 0)
		return error;
	buf_addbuf(&out->msg, &pd->msg);
	made = val_dict_get(out->result, "backup_file");
	if (made && strcmp(backup_key, "backup_file")) {
		val_dict_set_str(out->result, backup_key, val_cstr(made));
		val_dict_del(out->result, "backup_file");
	} else if (!made && backup_always) {
		val_dict_set_str(out->result, backup_key, "");
	}
	return 0;
}
