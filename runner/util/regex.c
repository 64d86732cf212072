#include "tend/common.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/util/regex_int.h"

/*
 * A compiled regex: regex_compile has the reader (regex_syntax.c) write
 * the Python pattern as a PCRE2 one and compiles that. PCRE2 sees plain
 * groups; their Python names are kept here.
 */
struct regex {

	pcre2_code *code;
	char *pattern;
	unsigned int flags;
	size_t ngroups;
	char **names; /* [ngroups + 1]: a group's name or NULL */
};

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
		size_t at = off <= x->out.len ? x->map[off] : x->len;

		pcre2_get_error_message(code, msg, sizeof(msg));
		return regex_xl_error(x, at, "%s", (const char *)msg);

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
	if ((error = regex_xl_run(&x)) < 0 ||
	    (error = pcre_compile(&code, &x)) < 0)
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
	regex_xl_release(&x);
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

/* Append code point `cp` as UTF-8, or as one byte for a bytes pattern. */
static void add_char(struct buf *b, uint32_t cp, bool bytes)
{
	if (bytes)
		buf_addch(b, (int)cp);
	else
		buf_add_utf8(b, cp);
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
	if (regex_is_identifier(name, n)) {
		if (!regex_group_lookup(&g, re, name, n))
			return tpl_error(tmpl, (size_t)(name - tmpl), "unknown "
					 "group name '%.*s'", (int)n, name);
	} else if (!regex_py_int(&g, name, n)) {
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
		while (n < 3 && regex_is_octal(p[n]))
			n++;
		for (size_t i = 1; i < n; i++)
			v = v * 8 + (uint32_t)(p[i] - '0');
		*pp = p + n;
		tpl_char(t, v & 0xff, bytes);
		return 0;
	}
	if (p[1] >= '0' && p[1] <= '9') {
		if (regex_is_octal(p[0]) && regex_is_octal(p[1]) &&
		    regex_is_octal(p[2])) {

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
		} else if (regex_is_ascii_letter(p[1])) {
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
