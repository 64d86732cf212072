#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/inifile.h"
#include "tend/modkit/lines.h"

/*
 * community.general 6.6's do_ini, step by step: the file between a fake
 * section line at the top (the lines before any section belong to it)
 * and a "[" at the bottom; the section's lines edited; the fakes dropped.
 */

#define FAKE_SECTION "ad01e11446efb704fcdbdb21f2c43757423d91c5"

/* The text Python's io.open(encoding='utf-8-sig') reads, or -1. */
static int read_text(struct buf *out, const char *in, size_t len)
{
	if (len >= 3 && !memcmp(in, "\xef\xbb\xbf", 3)) {
		in += 3;
		len -= 3;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 1 :
			   (c & 0xf0) == 0xe0 ? 2 :
			   (c & 0xf8) == 0xf0 && c <= 0xf4 ? 3 : 9;

		unsigned char c1 = i + 1 < len ? (unsigned char)in[i + 1] : 0;

		if (n == 9 || i + n >= len + (n ? 0 : 1))
			return -1;
		for (size_t k = 1; k <= n; k++)
			if (((unsigned char)in[i + k] & 0xc0) != 0x80)
				return -1;
		/* overlong forms, surrogates, past U+10FFFF: Python's no too */
		if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) ||
		    (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f))
			return -1;
		if (c == '\r') {
			buf_addch(out, '\n');
			i += i + 1 < len && in[i + 1] == '\n';
			continue;
		}
		buf_add(out, in + i, n + 1);
		i += n;
	}
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The option at `i` of ln: '( |\t)*(OPT)( |\t)*(=|$)( |\t)*(.*)' as
 * re.match has it from there; the (.*) in *val, *vlen.
 */
static bool match_at(const struct buf *ln, size_t i, const char *opt,
		     const char **val, size_t *vlen)
{
	const char *s = ln->ptr;
	size_t len = ln->len, n = strlen(opt), sp = i;

	while (sp < len && blank(s[sp]))
		sp++;
	/* the blanks are greedy but give back (an option may start blank) */
	for (size_t j = sp + 1; j-- > i;) {
		size_t q = j + n;

		if (q > len || memcmp(s + j, opt, n))
			continue;
		while (q < len && blank(s[q]))
			q++;
		if (q < len && s[q] == '=')
			q++;
		else if (!(q == len || (q == len - 1 && s[q] == '\n')))
			continue;
		while (q < len && blank(s[q]))
			q++;
		*val = s + q;
		*vlen = (q < len && s[len - 1] == '\n') ? len - 1 - q : len - q;
		return true;
	}
	return false;
}

/* match_opt (commented out too: `commented`) and match_active_opt */
static bool match_opt(const struct buf *ln, const char *opt, bool commented,
		      const char **val, size_t *vlen)
{
	if (commented && ln->len && (ln->ptr[0] == '#' || ln->ptr[0] == ';') &&
	    match_at(ln, 1, opt, val, vlen))
		return true;
	return match_at(ln, 0, opt, val, vlen);
}

/* '^[ \t]*([#;].*)?$': a blank line or a comment */
static bool blank_or_comment(const struct buf *ln)
{
	size_t i = 0;

	while (i < ln->len && blank(ln->ptr[i]))
		i++;
	return i == ln->len || (ln->ptr[i] == '\n' && i == ln->len - 1) ||
	       ln->ptr[i] == '#' || ln->ptr[i] == ';';
}

static bool starts_with(const struct buf *ln, const char *s)
{
	return ln->len >= strlen(s) && !memcmp(ln->ptr, s, strlen(s));
}

/* The remaining values (a list that shrinks) and the lines' edits. */
struct ini {
	const struct inifile_opts *o;
	const char **values;
	size_t nr;
	struct lines sec;     /* the section's lines */
	char *touched;        /* per line of sec: edited (changed_lines) */
	bool changed;
	const char *msg;
};

static void assignment(struct buf *out, const struct ini *x, const char *v,
		       size_t vlen)
{
	buf_adds(out, x->o->option);
	buf_adds(out, x->o->no_extra_spaces ? "=" : " = ");
	buf_add(out, v, vlen);
	buf_addch(out, '\n');
}

static void update_line(struct ini *x, size_t i, const struct buf *nl)
{
	if (x->sec.v[i].len != nl->len ||
	    memcmp(x->sec.v[i].ptr, nl->ptr, nl->len)) {
		x->changed = true;
		x->msg = "option changed";
	}
	buf_reset(&x->sec.v[i]);
	buf_addbuf(&x->sec.v[i], nl);
	x->touched[i] = 1;
}

static void remove_line(struct ini *x, size_t i)
{
	lines_remove(&x->sec, i, i + 1);
	memmove(x->touched + i, x->touched + i + 1, x->sec.nr - i);
}

/* values.remove(v): the first equal one goes */
static long value_index(const struct ini *x, const char *v, size_t vlen)
{
	for (size_t k = 0; k < x->nr; k++)
		if (strlen(x->values[k]) == vlen && !memcmp(x->values[k], v, vlen))
			return (long)k;
	return -1;
}

static void value_drop(struct ini *x, size_t k)
{
	memmove(x->values + k, x->values + k + 1,
		(x->nr - k - 1) * sizeof(*x->values));
	x->nr--;
}

/* state=present, option given: the lines that have it, commented too */
static void present_edit(struct ini *x, bool *no_value_present)
{
	const struct inifile_opts *o = x->o;
	struct buf nl = BUF_INIT;

	for (size_t i = 0; i < x->sec.nr; i++) {
		const char *v;
		size_t vlen;
		long k;

		if (!match_opt(&x->sec.v[i], o->option, true, &v, &vlen))
			continue;
		buf_reset(&nl);
		if (x->nr && (k = value_index(x, v, vlen)) >= 0) {
			if (!vlen && o->allow_no_value) {
				buf_addf(&nl, "%s\n", o->option);
				*no_value_present = true;
			} else {
				assignment(&nl, x, v, vlen);
			}
			update_line(x, i, &nl);
			value_drop(x, (size_t)k);
		} else if (!x->nr && o->allow_no_value) {
			buf_addf(&nl, "%s\n", o->option);
			update_line(x, i, &nl);
			*no_value_present = true;
			break;
		}
	}
	buf_release(&nl);
}

/* exclusive: the other lines that have the option take the values left */
static void present_exclusive(struct ini *x)
{
	struct buf nl = BUF_INIT;
	const char *v;
	size_t vlen;

	for (size_t i = 0; x->nr && i < x->sec.nr; i++) {
		if (x->touched[i] ||
		    !match_opt(&x->sec.v[i], x->o->option, true, &v, &vlen))
			continue;
		buf_reset(&nl);
		assignment(&nl, x, x->values[0], strlen(x->values[0]));
		value_drop(x, 0);
		update_line(x, i, &nl);
	}
	for (size_t i = x->sec.nr; i-- > 1;)
		if (!x->touched[i] &&
		    match_opt(&x->sec.v[i], x->o->option, true, &v, &vlen)) {
			remove_line(x, i);
			x->changed = true;
			x->msg = "option changed";
		}
	buf_release(&nl);
}

/* the values left, after the section's last line that is not blank */
static void present_insert(struct ini *x, bool no_value_present)
{
	const struct inifile_opts *o = x->o;

	for (size_t i = x->sec.nr; i > 0; i--) {
		struct buf nl = BUF_INIT;

		if (blank_or_comment(&x->sec.v[i - 1]))
			continue;
		if (o->option && x->nr) {
			for (size_t k = x->nr; k-- > 0;) {
				buf_reset(&nl);
				assignment(&nl, x, x->values[k],
					   strlen(x->values[k]));
				lines_insert(&x->sec, i, nl.ptr, nl.len);
			}
			x->msg = "option added";
			x->changed = true;
		} else if (o->option && !x->nr && o->allow_no_value &&
			   !no_value_present) {
			buf_addf(&nl, "%s\n", o->option);
			lines_insert(&x->sec, i, nl.ptr, nl.len);
			x->msg = "option added";
			x->changed = true;
		}
		buf_release(&nl);
		break;
	}
}

static void absent_edit(struct ini *x)
{
	const struct inifile_opts *o = x->o;
	const char *v;
	size_t vlen;

	if (!o->option) {
		if (x->sec.nr) {
			lines_remove(&x->sec, 0, x->sec.nr);
			x->msg = "section removed";
			x->changed = true;
		}
		return;
	}
	if (!o->exclusive && !x->nr)
		return;
	for (size_t i = x->sec.nr; i-- > 0;)
		if (match_opt(&x->sec.v[i], o->option, false, &v, &vlen) &&
		    (o->exclusive || value_index(x, v, vlen) >= 0)) {
			remove_line(x, i);
			x->changed = true;
			x->msg = "option changed";
		}
}

/* The section's lines [*start, *end) of l (both 0: not found). */
static bool find_section(const struct lines *l, const char *section,
			 size_t *start, size_t *end)
{
	struct buf head = BUF_INIT;
	bool within = false;

	buf_addf(&head, "[%s]", section);
	*start = *end = 0;
	for (size_t i = 0; i < l->nr; i++) {
		if (starts_with(&l->v[i], head.ptr)) {
			within = true;
			*start = i;
		} else if (starts_with(&l->v[i], "[") && within) {
			*end = i;
			break;
		}
	}
	buf_release(&head);
	return within;
}

static void edit(struct ini *x, struct lines *l, struct buf *content)
{
	const struct inifile_opts *o = x->o;
	const char *section = o->section && *o->section ? o->section :
			      FAKE_SECTION;
	bool within, no_value_present = false;
	size_t start, end;

	within = find_section(l, section, &start, &end);
	for (size_t i = start; i < end; i++)
		lines_insert(&x->sec, x->sec.nr, l->v[i].ptr, l->v[i].len);
	x->touched = xcalloc(x->sec.nr + x->nr + 2, 1);
	if (!o->absent && o->option)
		present_edit(x, &no_value_present);
	if (!o->absent && o->option && o->exclusive && !o->allow_no_value)
		present_exclusive(x);
	if (!o->absent)
		present_insert(x, no_value_present);
	if (o->absent)
		absent_edit(x);
	/*
	 * before + section + after, less its first and last lines (the
	 * fakes, as a rule: Ansible's del ini_lines[0], whatever it is)
	 */
	lines_remove(l, start, end);
	for (size_t i = 0; i < x->sec.nr; i++)
		lines_insert(l, start + i, x->sec.v[i].ptr, x->sec.v[i].len);
	for (size_t i = 1; i + 1 < l->nr; i++)
		buf_addbuf(content, &l->v[i]);
	if (!within && !o->absent) {
		buf_addf(content, "[%s]\n", section);
		x->msg = "section and option added";
		if (o->option && x->nr) {
			for (size_t k = 0; k < x->nr; k++) {
				struct buf nl = BUF_INIT;

				assignment(&nl, x, x->values[k],
					   strlen(x->values[k]));
				buf_addbuf(content, &nl);
				buf_release(&nl);
			}
		} else if (o->option && o->allow_no_value) {
			buf_addf(content, "%s\n", o->option);
		} else {
			x->msg = "only section added";
		}
		x->changed = true;
	}
}

int inifile_edit(struct lineedit_result *out, const char *in, size_t len,
		 const struct inifile_opts *o)
{
	struct ini x = { .o = o, .msg = "OK" };
	struct lines l = LINES_INIT;
	struct buf text = BUF_INIT;
	struct buf *last;

	if (in && read_text(&text, in, len) < 0) {
		buf_release(&text);
		return tend_error_set("the file is not UTF-8 text (Python "
				      "cannot decode it)");
	}
	/* the values, each once, in their order */
	x.values = xcalloc(o->values_nr + 1, sizeof(*x.values));
	for (size_t i = 0; i < o->values_nr; i++)
		if (o->values[i] && value_index(&x, o->values[i],
						strlen(o->values[i])) < 0)
			x.values[x.nr++] = o->values[i];
	lines_split(&l, text.ptr ? text.ptr : "", text.len, false);
	if (!l.nr)
		lines_insert(&l, 0, "\n", 1);
	last = &l.v[l.nr - 1];
	if (!last->len || last->ptr[last->len - 1] != '\n') {
		buf_addch(last, '\n');
		x.changed = true;
	}
	lines_insert(&l, 0, "[" FAKE_SECTION "]", strlen(FAKE_SECTION) + 2);
	lines_insert(&l, l.nr, "[", 1);
	edit(&x, &l, &out->content);
	out->changed = x.changed;
	buf_adds(&out->msg, x.msg);
	free(x.values);
	free(x.touched);
	lines_release(&x.sec);
	lines_release(&l);
	buf_release(&text);
	return 0;
}
