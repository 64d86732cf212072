#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <math.h>

/*
 * Jinja's filters that lay text out: center, truncate, wordwrap (Python's
 * textwrap), wordcount, filesizeformat. Lengths count characters (code
 * points), as Python's do.
 */

/* An integer argument, Python-strict: no floats, no strings. */
static int int_arg(long long *out, const struct targs *a, size_t i,
		   const char *name, long long def, const char *who)
{
	struct val *v = targs_get(a, i, name);

	if (v && v->type != VAL_INT && v->type != VAL_BOOL)
		return tend_error_set("%s: '%s' must be an integer, not %s",
				      who, name, template_type_name(v));
	return targs_int(out, a, i, name, def, who);
}

static int f_center(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;
	long long width, len, left, marg;
	int error;

	(void)c;
	if ((error = int_arg(&width, a, 0, "width", 80, "center")) < 0) {
		val_unref(s);
		return error;
	}
	len = (long long)template_utf8_len(s->u.s.ptr, s->u.s.len);
	marg = width > len ? width - len : 0;
	/* str.center: the odd space goes left when the width is odd */
	left = marg / 2 + (marg & width & 1);
	for (long long i = 0; i < left; i++)
		buf_addch(&b, ' ');
	buf_add(&b, s->u.s.ptr, s->u.s.len);
	for (long long i = left; i < marg; i++)
		buf_addch(&b, ' ');
	val_unref(s);
	*out = template_str_result(&b);
	return 0;
}

static int f_truncate(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *s = template_str_of(in);
	const char *end, *p = s->u.s.ptr;
	long long length, leeway, nend;
	size_t len = s->u.s.len, cut;
	bool killwords = targs_bool(a, 1, "killwords", false);
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = int_arg(&length, a, 0, "length", 255, "truncate")) < 0 ||
	    (error = targs_str(&end, a, 2, "end", "...", "truncate")) < 0 ||
	    (error = int_arg(&leeway, a, 3, "leeway", 5, "truncate")) < 0)
		goto out;
	nend = (long long)template_utf8_len(end, strlen(end));
	if (length < nend) {
		error = tend_error_set("expected length >= %lld, got %lld",
				       nend, length);
		goto out;
	}
	if (leeway < 0) {
		error = tend_error_set("expected leeway >= 0, got %lld",
				       leeway);
		goto out;
	}
	if ((long long)template_utf8_len(p, len) <= length + leeway) {
		*out = val_ref(s);
		goto out;
	}
	cut = template_utf8_offset(p, len, (size_t)(length - nend));
	if (!killwords) {
		const char *sp = NULL;

		/* s[:n].rsplit(" ", 1)[0] */
		for (size_t i = cut; i > 0 && !sp; i--)
			if (p[i - 1] == ' ')
				sp = p + i - 1;
		if (sp)
			cut = (size_t)(sp - p);
	}
	buf_add(&b, p, cut);
	buf_adds(&b, end);
	*out = template_str_result(&b);
out:
	val_unref(s);
	return error;
}

static int f_wordcount(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct regex_match m = REGEX_MATCH_INIT;
	struct regex_iter it;
	struct regex *re = NULL;
	long long n = 0;
	int error;

	(void)a;
	(void)c;
	if ((error = regex_compile(&re, "\\w+", 0)) < 0)
		goto out;
	regex_iter_init(&it, re, s->u.s.ptr, s->u.s.len);
	while (!(error = regex_iter_next(&m, &it)) && m.matched)
		n++;
	if (!error)
		*out = val_int(n);
out:
	regex_match_release(&m);
	regex_free(re);
	val_unref(s);
	return error;
}

/*
 * textwrap's chunks of one paragraph: whitespace runs and words, words
 * split after hyphens when break_on_hyphens (textwrap's wordsep_re).
 */
#define WS "[\\t\\n\\x0b\\x0c\\r ]"
#define NWS "[^\\t\\n\\x0b\\x0c\\r ]"
#define LT "[^\\d\\W]"
#define WP "[\\w!\"'&.,?]"
static const char wordsep_hyphens[] =
	"(" WS "+"
	"|(?<=" WP ")-{2,}(?=\\w)"
	"|" NWS "+?(?:-(?:(?<=" LT "{2}-)|(?<=" LT "-" LT "-))(?=" LT "-?" LT ")"
	"|(?=" WS "|\\Z)"
	"|(?<=" WP ")(?=-{2,}\\w)))";
static const char wordsep_simple[] = "(" WS "+)";
#undef WS
#undef NWS
#undef LT
#undef WP

struct wrap {
	size_t width;
	bool break_long, hyphens;
	const char *wrapstring;
	struct buf *out;
	bool first_line;
};

static bool all_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr("\t\n\v\f\r ", s[i]))
			return false;
	return true;
}

static void wrap_emit(struct wrap *w, const char *s, size_t len)
{
	if (!w->first_line)
		buf_adds(w->out, w->wrapstring);
	buf_add(w->out, s, len);
	w->first_line = false;
}

/*
 * textwrap's _wrap_chunks over the chunks [start, end) offsets of p:
 * each line takes whole chunks while they fit; a chunk longer than the
 * width is broken (after its last hyphen that fits, when allowed).
 */
static void wrap_chunks(struct wrap *w, const char *p, size_t *bounds,
			size_t n)
{
	struct buf line = BUF_INIT;
	size_t k = 0, off = 0; /* chunk k starts at bounds[k] + off */
	bool any_line = false;

	while (k < n) {
		size_t cur = 0, last_len = 0, last_start = 0;
		bool have_last = false;

		buf_reset(&line);
		if (any_line && all_space(p + bounds[k] + off,
					  bounds[k + 1] - bounds[k] - off))
			k++, off = 0;
		while (k < n) {
			const char *cs = p + bounds[k] + off;
			size_t cl = bounds[k + 1] - bounds[k] - off;
			size_t chars = template_utf8_len(cs, cl);

			if (cur + chars > w->width)
				break;
			last_start = line.len;
			buf_add(&line, cs, cl);
			last_len = cl;
			have_last = true;
			cur += chars;
			k++, off = 0;
		}
		if (k < n) {
			const char *cs = p + bounds[k] + off;
			size_t cl = bounds[k + 1] - bounds[k] - off;
			size_t chars = template_utf8_len(cs, cl);

			if (chars > w->width && w->break_long) {
				size_t space = w->width - cur;
				size_t endc = space, endb;

				if (w->hyphens && chars > space) {
					size_t lim = template_utf8_offset(cs, cl, space);
					size_t h = lim, nonhyph = 0;

					while (h > 0 && cs[h - 1] != '-')
						h--;
					for (size_t i = 0; h > 1 && i < h - 1; i++)
						nonhyph += cs[i] != '-';
					if (h > 1 && nonhyph)
						endc = template_utf8_len(cs, h);
				}
				endb = template_utf8_offset(cs, cl, endc);
				last_start = line.len;
				buf_add(&line, cs, endb);
				last_len = endb;
				have_last = true;
				off += endb;
			} else if (chars > w->width && !line.len) {
				last_start = line.len;
				buf_add(&line, cs, cl);
				last_len = cl;
				have_last = true;
				k++, off = 0;
			}
		}
		if (have_last && all_space(line.ptr + last_start, last_len))
			buf_setlen(&line, last_start);
		if (line.len) {
			wrap_emit(w, line.ptr, line.len);
			any_line = true;
		}
	}
	buf_release(&line);
}

/* One paragraph: its chunks, then wrapped. */
static int wrap_paragraph(struct wrap *w, const struct regex *re,
			  const char *p, size_t len)
{
	struct regex_match m = REGEX_MATCH_INIT;
	struct regex_iter it;
	size_t *bounds = NULL, n = 0, alloc = 0, prev = 0;
	int error;

	regex_iter_init(&it, re, p, len);
	ALLOC_GROW(bounds, 1, alloc);
	bounds[n++] = 0;
	/* re.split: the text between matches and the matches, non-empty */
	while (!(error = regex_iter_next(&m, &it)) && m.matched) {
		size_t so, eo;

		regex_match_group(&so, &eo, &m, 0);
		ALLOC_GROW(bounds, n + 2, alloc);
		if (so > prev)
			bounds[n++] = so;
		if (eo > so)
			bounds[n++] = eo;
		prev = eo;
	}
	ALLOC_GROW(bounds, n + 1, alloc);
	if (len > prev)
		bounds[n++] = len;
	if (!error)
		wrap_chunks(w, p, bounds, n - 1);
	regex_match_release(&m);
	free(bounds);
	return error;
}

/*
 * Each line of s wrapped with textwrap.wrap(expand_tabs=False,
 * replace_whitespace=False), the pieces joined with wrapstring.
 */
static int f_wordwrap(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *s = template_str_of(in);
	struct buf b = BUF_INIT;
	struct wrap w = { 0, true, true, "\n", &b, true };
	struct regex *re = NULL;
	long long width;
	int error;

	(void)c;
	w.break_long = targs_bool(a, 1, "break_long_words", true);
	w.hyphens = targs_bool(a, 3, "break_on_hyphens", true);
	if ((error = int_arg(&width, a, 0, "width", 79, "wordwrap")) < 0 ||
	    (targs_get(a, 2, "wrapstring") &&
	     targs_get(a, 2, "wrapstring")->type != VAL_NULL &&
	     (error = targs_str(&w.wrapstring, a, 2, "wrapstring", "\n",
				"wordwrap")) < 0))
		goto out;
	if (width <= 0) {
		error = tend_error_set("invalid width %lld (must be > 0)", width);
		goto out;
	}
	w.width = (size_t)width;
	if ((error = regex_compile(&re, w.hyphens ? wordsep_hyphens :
				   wordsep_simple, 0)) < 0)
		goto out;
	for (size_t i = 0; i < s->u.s.len && !error;) {
		size_t j = i, nl = 0;

		while (j < s->u.s.len &&
		       !(nl = template_py_linebreak(s->u.s.ptr + j,
						    s->u.s.len - j)))
			j++;
		/* paragraphs are joined by wrapstring, even empty ones */
		if (i)
			buf_adds(&b, w.wrapstring);
		w.first_line = true;
		error = wrap_paragraph(&w, re, s->u.s.ptr + i, j - i);
		i = j + nl;
	}
	if (!error)
		*out = template_str_result(&b);
out:
	regex_free(re);
	buf_release(&b);
	val_unref(s);
	return error;
}

/* The decimal (1000) or binary (1024) powers of units 2..9. */
static double unit_of(int i, bool binary)
{
	static const double dec[] = { 1e6, 1e9, 1e12, 1e15, 1e18, 1e21,
				      1e24, 1e27 };

	return binary ? ldexp(1.0, 10 * (i + 2)) : dec[i];
}

static int f_filesizeformat(struct val **out, struct val *in,
			    const struct targs *a, struct tctx *c)
{
	static const char *const pre[2][8] = {
		{ "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" },
		{ "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" },
	};
	bool binary = targs_bool(a, 0, "binary", false);
	double x, base = binary ? 1024 : 1000;
	char *end;
	int i;

	(void)c;
	if (in->type == VAL_INT)
		x = (double)in->u.i;
	else if (in->type == VAL_BOOL)
		x = in->u.b;
	else if (in->type == VAL_FLOAT)
		x = in->u.f;
	else if (in->type == VAL_STR &&
		 !in->u.s.ptr[strspn(in->u.s.ptr, "0123456789.eE+- \t\n")] &&
		 (x = strtod(in->u.s.ptr, &end), end != in->u.s.ptr) &&
		 !end[strspn(end, " \t\n")])
		;
	else
		return tend_error_set("filesizeformat: a number is needed, "
				      "not %s", template_type_name(in));
	if (!isfinite(x))
		return tend_error_set("filesizeformat: '%g' is not supported",
				      x);
	if (x == 1) {
		*out = val_str("1 Byte");
		return 0;
	}
	if (x < base) {
		*out = val_strf("%.0f Bytes", trunc(x) + 0.0);
		return 0;
	}
	for (i = 0; i < 7 && x >= unit_of(i, binary); i++)
		;
	*out = val_strf("%.1f %s", base * x / unit_of(i, binary),
			pre[binary][i]);
	return 0;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "center", f_center, 0 },
	{ "filesizeformat", f_filesizeformat, 0 },
	{ "truncate", f_truncate, 0 },
	{ "wordcount", f_wordcount, TFILTER_MARKUP_OK },
	{ "wordwrap", f_wordwrap, 0 },
};

const struct filter_family filter_text_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
