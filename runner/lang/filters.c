#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/template_int.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"
#include "tend/util/quote.h"
#include "tend/data/truth.h"
#include "tend/util/regex.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

/*
 * The filters and tests of Jinja2 and Ansible that playbooks use, in two
 * sorted tables at the end of this file. Each follows the Python
 * implementation's behaviour; where that is out of reach the function
 * says so.
 */

/*
 * Arguments
 */

static struct val *arg(const struct targs *a, size_t i, const char *name)
{
	if (i < a->npos)
		return a->pos[i];
	for (size_t k = 0; name && k < a->nkw; k++)
		if (!strcmp(a->kwname[k], name))
			return a->kw[k];
	return NULL;
}

static int arg_str(const char **out, const struct targs *a, size_t i,
		   const char *name, const char *def, const char *who)
{
	struct val *v = arg(a, i, name);

	if (!v) {
		*out = def;
		if (!def)
			return tend_error_set("%s: missing argument '%s'", who,
					      name);
		return 0;
	}
	if (v->type != VAL_STR)
		return tend_error_set("%s: '%s' must be a string, not %s", who,
				      name, template_type_name(v));
	*out = v->u.s.ptr;
	return 0;
}

static int arg_int(long long *out, const struct targs *a, size_t i,
		   const char *name, long long def, const char *who)
{
	struct val *v = arg(a, i, name);

	if (!v || v->type == VAL_NULL) {
		*out = def;
		return 0;
	}
	if (v->type == VAL_INT)
		*out = v->u.i;
	else if (v->type == VAL_BOOL)
		*out = v->u.b;
	else if (v->type == VAL_FLOAT)
		*out = (long long)v->u.f;
	else
		return tend_error_set("%s: '%s' must be an integer, not %s",
				      who, name, template_type_name(v));
	return 0;
}

static bool arg_bool(const struct targs *a, size_t i, const char *name,
		     bool def)
{
	struct val *v = arg(a, i, name);

	return v ? truth_python(v) : def;
}

static struct val *str_result(struct buf *b)
{
	size_t len;
	char *s = buf_detach(b, &len);

	return val_str_take(s, len);
}

/* What iterating `in` yields, as a list (new reference). */
static int items_of(struct val **out, const struct val *in, const char *who)
{
	switch (in->type) {
	case VAL_LIST:
		*out = val_ref((struct val *)in);
		return 0;
	case VAL_DICT:
		*out = val_list();
		for (size_t i = 0; i < in->u.dict.nr; i++)
			val_list_push(*out, val_str(in->u.dict.items[i].key));
		return 0;
	case VAL_STR:
		*out = val_list();
		for (size_t i = 0; i < in->u.s.len; i++)
			val_list_push(*out, val_strn(in->u.s.ptr + i, 1));
		return 0;
	default:
		return tend_error_set("%s: '%s' object is not iterable", who,
				      template_type_name(in));
	}
}

static int need_str(const struct val *in, const char *who)
{
	if (in->type != VAL_STR)
		return tend_error_set("%s: expected a string, got %s", who,
				      template_type_name(in));
	return 0;
}

/* A string of `in` (str() for non-strings). */
static struct val *to_string(const struct val *in)
{
	struct buf b = BUF_INIT;

	if (in->type == VAL_STR)
		return val_ref((struct val *)in);
	template_to_str(&b, in);
	return str_result(&b);
}

/*
 * Jinja's attribute paths ("a.b", "0.name"): each part is a key, or an
 * index when it is a number and the value is a list.
 */
static void get_path(struct val **out, struct val *obj, const char *path)
{
	struct val *cur = val_ref(obj);
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ".");
		char *part = xstrndup(p, n);
		struct val *next;
		char *end;
		long long idx = strtoll(part, &end, 10);

		if (cur->type == VAL_LIST && *part && !*end) {
			if (idx < 0)
				idx += (long long)cur->u.list.nr;
			if (idx >= 0 && idx < (long long)cur->u.list.nr)
				next = val_ref(cur->u.list.items[idx]);
			else
				next = template_undef("list object has no "
						      "element %s", part);
		} else {
			template_getattr(&next, cur, part);
		}
		free(part);
		val_unref(cur);
		cur = next;
		p += n;
		if (*p)
			p++;
	}
	*out = cur;
}

/*
 * Sorting: a stable merge sort whose comparison may fail.
 */

struct sort_opts {
	const char *attribute;
	bool case_sensitive;
	int error;
};

static int cmp_key(const struct val *a, const struct val *b,
		   struct sort_opts *o)
{
	int c = 0;

	if (o->error)
		return 0;
	if (!o->case_sensitive && a->type == VAL_STR && b->type == VAL_STR) {
		c = strcasecmp(a->u.s.ptr, b->u.s.ptr);
		return (c > 0) - (c < 0);
	}
	if (template_is_undef(a) || template_is_undef(b)) {
		o->error = template_need(template_is_undef(a) ? a : b);
		return 0;
	}
	if (a->type == VAL_NULL || b->type == VAL_NULL ||
	    val_compare(&c, a, b) < 0) {
		o->error = tend_error_set("'<' not supported between instances "
					  "of '%s' and '%s'",
					  template_type_name(a),
					  template_type_name(b));
		return 0;
	}
	return c;
}

static int cmp_items(struct val *a, struct val *b, struct sort_opts *o)
{
	struct val *ka, *kb;
	int c;

	if (!o->attribute)
		return cmp_key(a, b, o);
	get_path(&ka, a, o->attribute);
	get_path(&kb, b, o->attribute);
	c = cmp_key(ka, kb, o);
	val_unref(ka);
	val_unref(kb);
	return c;
}

static void merge_sort(struct val **v, struct val **tmp, size_t n,
		       struct sort_opts *o)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	merge_sort(v, tmp, mid, o);
	merge_sort(v + mid, tmp, n - mid, o);
	while (i < mid && j < n)
		tmp[k++] = cmp_items(v[j], v[i], o) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* A sorted copy of the list `in`. */
static int sorted(struct val **out, const struct val *in, struct sort_opts *o,
		  bool reverse)
{
	struct val *l = val_list();
	struct val **tmp;
	size_t n = in->u.list.nr;

	for (size_t i = 0; i < n; i++)
		val_list_push(l, val_ref(in->u.list.items[n - 1 - i]));
	/* sorting reversed input stably, then reversing, keeps ties in order */
	if (!reverse)
		for (size_t i = 0; i < n / 2; i++) {
			struct val *t = l->u.list.items[i];

			l->u.list.items[i] = l->u.list.items[n - 1 - i];
			l->u.list.items[n - 1 - i] = t;
		}
	tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
	merge_sort(l->u.list.items, tmp, n, o);
	free(tmp);
	if (o->error) {
		val_unref(l);
		return o->error;
	}
	if (reverse)
		for (size_t i = 0; i < n / 2; i++) {
			struct val *t = l->u.list.items[i];

			l->u.list.items[i] = l->u.list.items[n - 1 - i];
			l->u.list.items[n - 1 - i] = t;
		}
	*out = l;
	return 0;
}

/*
 * Python %-formatting
 */

int template_percent_format(struct buf *out, const char *fmt,
			    const struct val *args)
{
	size_t next = 0, nargs;
	bool tuple = args->type == VAL_LIST, mapping = args->type == VAL_DICT;

	nargs = tuple ? args->u.list.nr : 1;
	for (const char *p = fmt; *p; p++) {
		const struct val *v;
		char spec[64], tmp[512], conv;
		size_t sl = 0;
		int width = -1, prec = -1;

		if (*p != '%') {
			buf_addch(out, *p);
			continue;
		}
		p++;
		if (*p == '%') {
			buf_addch(out, '%');
			continue;
		}
		if (*p == '(') {
			const char *close = strchr(p, ')');
			char *key;

			if (!close || !mapping)
				return tend_error_set("format requires a mapping");
			key = xstrndup(p + 1, (size_t)(close - p - 1));
			v = val_dict_get(args, key);
			if (!v) {
				tend_error_set("format: key '%s' not found", key);
				free(key);
				return -1;
			}
			free(key);
			p = close + 1;
		} else {
			if (next >= nargs)
				return tend_error_set("not enough arguments for "
						      "format string");
			v = tuple ? args->u.list.items[next] : args;
			next++;
		}
		spec[sl++] = '%';
		while (*p && strchr("-+ #0", *p) && sl < 8)
			spec[sl++] = *p++;
		if (isdigit((unsigned char)*p)) {
			width = (int)strtol(p, (char **)&p, 10);
			if (width > 400)
				return tend_error_set("format: width too large");
		}
		if (*p == '.') {
			p++;
			prec = (int)strtol(p, (char **)&p, 10);
			if (prec > 100)
				return tend_error_set("format: precision too "
						      "large");
		}
		conv = *p;
		if (!conv)
			return tend_error_set("incomplete format");
		if (width >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl,
					       "%d", width);
		if (prec >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl,
					       ".%d", prec);
		switch (conv) {
		case 's':
		case 'r': {
			struct buf s = BUF_INIT;

			if (conv == 's')
				template_to_str(&s, v);
			else
				val_to_repr(&s, v);
			if (prec >= 0 && (size_t)prec < s.len)
				buf_setlen(&s, (size_t)prec);
			if (width > 0 && (size_t)width > s.len &&
			    !strchr(spec, '-'))
				for (size_t k = s.len; k < (size_t)width; k++)
					buf_addch(out, ' ');
			buf_addbuf(out, &s);
			if (width > 0 && (size_t)width > s.len &&
			    strchr(spec, '-'))
				for (size_t k = s.len; k < (size_t)width; k++)
					buf_addch(out, ' ');
			buf_release(&s);
			continue;
		}
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
		case 'o':
		case 'c': {
			long long n;

			if (v->type == VAL_INT)
				n = v->u.i;
			else if (v->type == VAL_BOOL)
				n = v->u.b;
			else if (v->type == VAL_FLOAT && conv != 'c' &&
				 conv != 'x' && conv != 'X' && conv != 'o')
				n = (long long)v->u.f;
			else if (conv == 'c' && v->type == VAL_STR &&
				 v->u.s.len == 1)
				n = (unsigned char)v->u.s.ptr[0];
			else
				return tend_error_set("%%%c format: a number is "
						      "required, not %s", conv,
						      template_type_name(v));
			if (conv == 'c') {
				buf_addch(out, (char)n);
				continue;
			}
			spec[sl++] = 'l';
			spec[sl++] = 'l';
			spec[sl++] = conv == 'u' || conv == 'i' ? 'd' : conv;
			spec[sl] = '\0';
			snprintf(tmp, sizeof(tmp), spec, n);
			buf_adds(out, tmp);
			continue;
		}
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G': {
			double f;

			if (v->type == VAL_INT)
				f = (double)v->u.i;
			else if (v->type == VAL_BOOL)
				f = v->u.b;
			else if (v->type == VAL_FLOAT)
				f = v->u.f;
			else
				return tend_error_set("must be real number, not "
						      "%s", template_type_name(v));
			spec[sl++] = conv;
			spec[sl] = '\0';
			snprintf(tmp, sizeof(tmp), spec, f);
			buf_adds(out, tmp);
			continue;
		}
		default:
			return tend_error_set("unsupported format character "
					      "'%c'", conv);
		}
	}
	if (!mapping && next < nargs)
		return tend_error_set("not all arguments converted during "
				      "string formatting");
	return 0;
}

/*
 * Regular expressions: Python's re through tend/regex.h. The subject is
 * Python's str of the value; patterns are str patterns.
 */

/* The re flags of a filter's ignorecase and multiline arguments. */
static unsigned int re_flags(const struct targs *a, size_t ignorecase_pos,
			     size_t multiline_pos)
{
	unsigned int f = 0;

	if (arg_bool(a, ignorecase_pos, "ignorecase", false))
		f |= REGEX_IGNORECASE;
	if (arg_bool(a, multiline_pos, "multiline", false))
		f |= REGEX_MULTILINE;
	return f;
}

/* A group of a match as a value: its text, or None if it took no part. */
static struct val *group_val(const struct regex_match *m, size_t g,
			     struct val *none)
{
	size_t so, eo;

	if (regex_match_group(&so, &eo, m, g))
		return val_strn(m->subject + so, eo - so);
	return none ? val_ref(none) : val_null();
}

/* regex_replace(pattern, replacement, ignorecase, multiline, count) */
static int f_regex_replace(struct val **out, struct val *in,
			   const struct targs *a, struct tctx *c)
{
	const char *pattern, *repl;
	struct val *s = to_string(in);
	struct regex *re = NULL;
	struct buf b = BUF_INIT;
	long long count;
	int error;

	(void)c;
	if ((error = arg_str(&pattern, a, 0, "pattern", "", "regex_replace")) < 0 ||
	    (error = arg_str(&repl, a, 1, "replacement", "", "regex_replace")) < 0 ||
	    (error = arg_int(&count, a, 4, "count", 0, "regex_replace")) < 0 ||
	    (error = regex_compile(&re, pattern, re_flags(a, 2, 3))) < 0)
		goto out;
	/* Python's re.sub makes no replacement for a negative count */
	if (count < 0)
		buf_add(&b, s->u.s.ptr, s->u.s.len);
	else if ((error = regex_sub(&b, NULL, re, repl, s->u.s.ptr,
				    s->u.s.len, (size_t)count)) < 0)
		goto out;
	*out = str_result(&b);
out:
	buf_release(&b);
	regex_free(re);
	val_unref(s);
	return error;
}

/*
 * A group argument of regex_search, read as Ansible does: '\\g<name>' (a
 * name only: '\\g<1>' is no group) or '\\N'. Read before matching; the
 * group is looked up only in a match, so a bad one fails only then.
 */
struct search_ref {
	const char *name; /* '\\g<name>', or NULL for '\\N' */
	size_t len;
	size_t num;
};

static int search_ref_parse(struct search_ref *out, const struct val *arg)
{
	const char *ref = val_cstr(arg);
	size_t n;

	if (!ref || ref[0] != '\\')
		return tend_error_set("regex_search: unknown argument '%s'",
				      ref ? ref : template_type_name(arg));
	out->name = NULL;
	if (ref[1] == 'g') {
		/* re.match(r'\\g<(\S+)>', arg): up to the last '>' */
		n = ref[2] == '<' ? strcspn(ref + 3, " \t\n\r\f\v") : 0;
		while (n && ref[3 + n - 1] != '>')
			n--;
		out->name = ref + 3;
		out->len = n - 1;
	} else if (isdigit((unsigned char)ref[1])) {
		n = 2;
		out->num = strtoul(ref + 1, NULL, 10);
	} else {
		n = 0;
	}
	if (n < 2)
		return tend_error_set("regex_search: bad group argument '%s'",
				      ref);
	return 0;
}

static int search_ref_group(size_t *out, const struct regex *re,
			    const struct search_ref *r)
{
	if (r->name && !regex_group_lookup(out, re, r->name, r->len))
		return tend_error_set("regex_search: no such group '%.*s'",
				      (int)r->len, r->name);
	if (!r->name && (*out = r->num) > regex_groups(re))
		return tend_error_set("regex_search: no such group %zu",
				      r->num);
	return 0;
}

/* regex_search(pattern, '\\1', '\\g<name>', ..., ignorecase=, multiline=) */
static int f_regex_search(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	const char *pattern;
	struct val *s = to_string(in), *list = NULL;
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	struct search_ref *refs = NULL;
	size_t g;
	int error;

	(void)c;
	if ((error = arg_str(&pattern, a, 0, "pattern", NULL,
			     "regex_search")) < 0)
		goto out;
	refs = xcalloc(a->npos, sizeof(*refs));
	for (size_t i = 1; i < a->npos; i++)
		if ((error = search_ref_parse(&refs[i], a->pos[i])) < 0)
			goto out;
	if ((error = regex_compile(&re, pattern,
				   re_flags(a, SIZE_MAX, SIZE_MAX))) < 0 ||
	    (error = regex_exec(&m, re, s->u.s.ptr, s->u.s.len, 0,
				REGEX_SEARCH)) < 0)
		goto out;
	if (!m.matched) {
		*out = val_null();
	} else if (a->npos <= 1) {
		*out = group_val(&m, 0, NULL);
	} else {
		list = val_list();
		for (size_t i = 1; i < a->npos; i++) {
			if ((error = search_ref_group(&g, re, &refs[i])) < 0)
				goto out;
			val_list_push(list, group_val(&m, g, NULL));
		}
		*out = list;
		list = NULL;
	}
out:
	val_unref(list);
	free(refs);
	regex_match_release(&m);
	regex_free(re);
	val_unref(s);
	return error;
}

/* regex_findall(pattern, multiline, ignorecase): Python's re.findall */
static int f_regex_findall(struct val **out, struct val *in,
			   const struct targs *a, struct tctx *c)
{
	const char *pattern;
	struct val *s = to_string(in), *list = val_list(), *empty = val_str("");
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	struct regex_iter it;
	size_t ng;
	int error;

	(void)c;
	if ((error = arg_str(&pattern, a, 0, "pattern", NULL,
			     "regex_findall")) < 0 ||
	    (error = regex_compile(&re, pattern, re_flags(a, 2, 1))) < 0)
		goto out;
	ng = regex_groups(re);
	regex_iter_init(&it, re, s->u.s.ptr, s->u.s.len);
	while ((error = regex_iter_next(&m, &it)) == 0 && m.matched) {
		struct val *item;

		if (ng <= 1) {
			item = group_val(&m, ng, empty);
		} else {
			item = val_list();
			for (size_t g = 1; g <= ng; g++)
				val_list_push(item, group_val(&m, g, empty));
		}
		val_list_push(list, item);
	}
	if (!error) {
		*out = list;
		list = NULL;
	}
out:
	val_unref(list);
	val_unref(empty);
	regex_match_release(&m);
	regex_free(re);
	val_unref(s);
	return error;
}

/* regex_escape(re_type='python'): re.escape, or for a POSIX BRE */
static int f_regex_escape(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	const char *type;
	struct val *s = to_string(in);
	struct regex *re = NULL;
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = arg_str(&type, a, 0, "re_type", "python",
			     "regex_escape")) < 0)
		goto out;
	if (!strcmp(type, "python")) {
		regex_escape(&b, s->u.s.ptr, s->u.s.len);
	} else if (!strcmp(type, "posix_basic")) {
		/* Ansible: regex_replace(string, r'([].[^$*\\])', r'\\\1') */
		if ((error = regex_compile(&re, "([].[^$*\\\\])", 0)) < 0 ||
		    (error = regex_sub(&b, NULL, re, "\\\\\\1", s->u.s.ptr,
				       s->u.s.len, 0)) < 0)
			goto out;
	} else if (!strcmp(type, "posix_extended")) {
		error = tend_error_set("Regex type (%s) not yet implemented",
				       type);
		goto out;
	} else {
		error = tend_error_set("Invalid regex type (%s)", type);
		goto out;
	}
	*out = str_result(&b);
out:
	buf_release(&b);
	regex_free(re);
	val_unref(s);
	return error;
}

/*
 * Filters
 */

static int f_default(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *def = arg(a, 0, "default_value");

	(void)c;
	if (template_is_undef(in) ||
	    (arg_bool(a, 1, "boolean", false) && !truth_python(in)))
		*out = def ? val_ref(def) : val_str("");
	else
		*out = val_ref(in);
	return 0;
}

static int f_mandatory(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	const char *msg;
	int error;

	(void)c;
	if (!template_is_undef(in)) {
		*out = val_ref(in);
		return 0;
	}
	if ((error = arg_str(&msg, a, 0, "msg", "", "mandatory")) < 0)
		return error;
	if (*msg)
		return tend_error_set_code(TEND_EUNDEFINED, "%s", msg);
	{
		const char *m = in->u.s.ptr, *end = strstr(m, "' is undefined");

		if (m[0] == '\'' && end)
			return tend_error_set_code(
				TEND_EUNDEFINED,
				"Mandatory variable '%.*s'  not defined.",
				(int)(end - m - 1), m + 1);
		return tend_error_set_code(TEND_EUNDEFINED,
					   "Mandatory variable not defined.");
	}
}

static int f_join(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	const char *sep, *attr;
	struct val *items;
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = arg_str(&sep, a, 0, "d", "", "join")) < 0 ||
	    (error = arg_str(&attr, a, 1, "attribute", "", "join")) < 0 ||
	    (error = items_of(&items, in, "join")) < 0)
		return error;
	for (size_t i = 0; i < items->u.list.nr; i++) {
		struct val *v = items->u.list.items[i];

		if (i)
			buf_adds(&b, sep);
		if (*attr) {
			get_path(&v, v, attr);
			if ((error = template_need(v)) < 0) {
				val_unref(v);
				break;
			}
			template_to_str(&b, v);
			val_unref(v);
		} else {
			template_to_str(&b, v);
		}
	}
	val_unref(items);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = str_result(&b);
	return 0;
}

static int case_map(struct val **out, struct val *in, int mode)
{
	struct val *s = to_string(in);
	struct buf b = BUF_INIT;
	bool word_start = true;

	for (size_t i = 0; i < s->u.s.len; i++) {
		unsigned char ch = (unsigned char)s->u.s.ptr[i];

		switch (mode) {
		case 'l':
			ch = (unsigned char)tolower(ch);
			break;
		case 'u':
			ch = (unsigned char)toupper(ch);
			break;
		case 'c':
			ch = (unsigned char)(i ? tolower(ch) : toupper(ch));
			break;
		default: /* title: words split as Jinja's do_title */
			if (isspace(ch) || strchr("-({[<", ch)) {
				word_start = true;
			} else {
				ch = (unsigned char)(word_start ? toupper(ch) :
								  tolower(ch));
				word_start = false;
			}
		}
		buf_addch(&b, (char)ch);
	}
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

static int f_lower(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 'l');
}

static int f_upper(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 'u');
}

static int f_capitalize(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 'c');
}

static int f_title(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return case_map(out, in, 't');
}

static int f_replace(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	const char *from, *to;
	struct val *s = to_string(in);
	struct buf b = BUF_INIT;
	long long count;
	int error;

	(void)c;
	if ((error = arg_str(&from, a, 0, "old", NULL, "replace")) < 0 ||
	    (error = arg_str(&to, a, 1, "new", NULL, "replace")) < 0 ||
	    (error = arg_int(&count, a, 2, "count", -1, "replace")) < 0) {
		val_unref(s);
		return error;
	}
	template_str_replace(&b, s->u.s.ptr, s->u.s.len, from, to, count);
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

static int f_trim(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	const char *chars;
	struct val *s = to_string(in);
	size_t lo = 0, hi = s->u.s.len;
	int error;

	(void)c;
	if ((error = arg_str(&chars, a, 0, "chars", "", "trim")) < 0) {
		val_unref(s);
		return error;
	}
#define TRIMMABLE(ch) (*chars ? (ch) && strchr(chars, (ch)) != NULL : \
		       isspace((unsigned char)(ch)))
	while (lo < hi && TRIMMABLE(s->u.s.ptr[lo]))
		lo++;
	while (hi > lo && TRIMMABLE(s->u.s.ptr[hi - 1]))
		hi--;
#undef TRIMMABLE
	*out = val_strn(s->u.s.ptr + lo, hi - lo);
	val_unref(s);
	return 0;
}

/* Python int(str, base) / float(str), without the exceptions. */
static bool parse_int(const char *s, int base, long long *out)
{
	struct buf b = BUF_INIT;
	char *end;
	bool ok;

	while (isspace((unsigned char)*s))
		s++;
	for (; *s; s++)
		if (*s != '_')
			buf_addch(&b, *s);
	buf_rtrim(&b);
	errno = 0;
	*out = strtoll(b.ptr, &end, base);
	ok = b.len && !*end && errno != ERANGE &&
	     !(base != 16 && strchr(b.ptr, 'x'));
	buf_release(&b);
	return ok;
}

static bool parse_float(const char *s, double *out)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return false;
	*out = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return !*end;
}

static int f_int(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	long long def, base, n;
	double f;
	int error;

	(void)c;
	if ((error = arg_int(&def, a, 0, "default", 0, "int")) < 0 ||
	    (error = arg_int(&base, a, 1, "base", 10, "int")) < 0)
		return error;
	switch (in->type) {
	case VAL_INT:
		*out = val_ref(in);
		return 0;
	case VAL_BOOL:
		*out = val_int(in->u.b);
		return 0;
	case VAL_FLOAT:
		*out = isfinite(in->u.f) ? val_int((long long)in->u.f) :
					   val_int(def);
		return 0;
	case VAL_STR:
		if (base >= 2 && base <= 36 &&
		    parse_int(in->u.s.ptr, (int)base, &n))
			*out = val_int(n);
		else if (parse_float(in->u.s.ptr, &f) && isfinite(f) &&
			 fabs(f) < 9.2e18)
			*out = val_int((long long)f);
		else
			*out = val_int(def);
		return 0;
	default:
		*out = val_int(def);
		return 0;
	}
}

static int f_float(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *defv = arg(a, 0, "default");
	double f, def = 0.0;

	(void)c;
	if (defv && (defv->type == VAL_FLOAT || defv->type == VAL_INT))
		def = defv->type == VAL_FLOAT ? defv->u.f : (double)defv->u.i;
	switch (in->type) {
	case VAL_INT:
		*out = val_float((double)in->u.i);
		return 0;
	case VAL_BOOL:
		*out = val_float(in->u.b);
		return 0;
	case VAL_FLOAT:
		*out = val_ref(in);
		return 0;
	case VAL_STR:
		*out = val_float(parse_float(in->u.s.ptr, &f) ? f : def);
		return 0;
	default:
		*out = val_float(def);
		return 0;
	}
}

static int f_string(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	*out = to_string(in);
	return 0;
}

static int f_bool(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	/* to_bool() hands None back as None */
	*out = in->type == VAL_NULL ? val_ref(in) : val_bool(truth_to_bool(in));
	return 0;
}

static size_t utf8_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int f_length(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	if (in->type == VAL_STR)
		*out = val_int((long long)utf8_len(in->u.s.ptr, in->u.s.len));
	else if (in->type == VAL_LIST || in->type == VAL_DICT)
		*out = val_int((long long)val_len(in));
	else
		return tend_error_set("object of type '%s' has no len()",
				      template_type_name(in));
	return 0;
}

static int first_last(struct val **out, struct val *in, bool first)
{
	struct val *items;
	size_t n;
	int error;

	if ((error = items_of(&items, in, first ? "first" : "last")) < 0)
		return error;
	n = items->u.list.nr;
	if (!n)
		*out = template_undef("No %s item, sequence was empty.",
				      first ? "first" : "last");
	else
		*out = val_ref(items->u.list.items[first ? 0 : n - 1]);
	val_unref(items);
	return 0;
}

static int f_first(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	return first_last(out, in, true);
}

static int f_last(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	return first_last(out, in, false);
}

static int f_sort(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	struct sort_opts o = { NULL, false, 0 };
	struct val *items;
	const char *attr;
	int error;

	(void)c;
	if ((error = arg_str(&attr, a, 2, "attribute", "", "sort")) < 0 ||
	    (error = items_of(&items, in, "sort")) < 0)
		return error;
	o.attribute = *attr ? attr : NULL;
	o.case_sensitive = arg_bool(a, 1, "case_sensitive", false);
	error = sorted(out, items, &o, arg_bool(a, 0, "reverse", false));
	val_unref(items);
	return error;
}

static bool list_has(const struct val *l, const struct val *v, bool icase)
{
	for (size_t i = 0; i < l->u.list.nr; i++) {
		const struct val *x = l->u.list.items[i];

		if (icase && x->type == VAL_STR && v->type == VAL_STR ?
			    !strcasecmp(x->u.s.ptr, v->u.s.ptr) :
			    val_equal(x, v))
			return true;
	}
	return false;
}

static int f_unique(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *items, *l;
	bool icase = !arg_bool(a, 0, "case_sensitive", false);
	int error;

	(void)c;
	if ((error = items_of(&items, in, "unique")) < 0)
		return error;
	l = val_list();
	for (size_t i = 0; i < items->u.list.nr; i++)
		if (!list_has(l, items->u.list.items[i], icase))
			val_list_push(l, val_ref(items->u.list.items[i]));
	val_unref(items);
	*out = l;
	return 0;
}

static int min_max(struct val **out, struct val *in, const struct targs *a,
		   bool want_max)
{
	struct sort_opts o = { NULL, false, 0 };
	struct val *items;
	const char *attr;
	int error;

	if ((error = arg_str(&attr, a, SIZE_MAX, "attribute", "", "min")) < 0 ||
	    (error = items_of(&items, in, want_max ? "max" : "min")) < 0)
		return error;
	o.attribute = *attr ? attr : NULL;
	o.case_sensitive = arg_bool(a, 0, "case_sensitive", false);
	if (!items->u.list.nr) {
		*out = template_undef("No aggregated item, sequence was "
				      "empty.");
	} else {
		struct val *best = items->u.list.items[0];

		for (size_t i = 1; i < items->u.list.nr; i++) {
			int cmp = cmp_items(items->u.list.items[i], best, &o);

			if (want_max ? cmp > 0 : cmp < 0)
				best = items->u.list.items[i];
		}
		*out = o.error ? NULL : val_ref(best);
	}
	val_unref(items);
	return o.error;
}

static int f_min(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return min_max(out, in, a, false);
}

static int f_max(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)c;
	return min_max(out, in, a, true);
}

static int add_num(struct val **acc, struct val *v)
{
	bool fa = (*acc)->type == VAL_FLOAT, fv = v->type == VAL_FLOAT;
	long long r;

	if (v->type != VAL_INT && v->type != VAL_FLOAT && v->type != VAL_BOOL)
		return tend_error_set("unsupported operand type(s) for +: '%s' "
				      "and '%s'", template_type_name(*acc),
				      template_type_name(v));
	if (!fa && !fv) {
		long long x = (*acc)->type == VAL_BOOL ? (*acc)->u.b : (*acc)->u.i;
		long long y = v->type == VAL_BOOL ? v->u.b : v->u.i;

		if (__builtin_add_overflow(x, y, &r))
			return tend_error_set("integer overflow in sum");
		val_unref(*acc);
		*acc = val_int(r);
	} else {
		double x = fa ? (*acc)->u.f : (double)(*acc)->u.i;
		double y = fv ? v->u.f : v->type == VAL_BOOL ? v->u.b :
							     (double)v->u.i;

		val_unref(*acc);
		*acc = val_float(x + y);
	}
	return 0;
}

static int f_sum(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	struct val *items, *start = arg(a, 1, "start"), *acc;
	const char *attr;
	int error;

	(void)c;
	if ((error = arg_str(&attr, a, 0, "attribute", "", "sum")) < 0 ||
	    (error = items_of(&items, in, "sum")) < 0)
		return error;
	acc = start ? val_ref(start) : val_int(0);
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v = items->u.list.items[i];

		if (*attr) {
			get_path(&v, v, attr);
			if ((error = template_need(v)) == 0)
				error = add_num(&acc, v);
			val_unref(v);
		} else if (acc->type == VAL_LIST && v->type == VAL_LIST) {
			struct val *l = val_list();

			for (size_t k = 0; k < acc->u.list.nr; k++)
				val_list_push(l, val_ref(acc->u.list.items[k]));
			for (size_t k = 0; k < v->u.list.nr; k++)
				val_list_push(l, val_ref(v->u.list.items[k]));
			val_unref(acc);
			acc = l;
		} else {
			error = add_num(&acc, v);
		}
	}
	val_unref(items);
	if (error < 0) {
		val_unref(acc);
		return error;
	}
	*out = acc;
	return 0;
}

static int f_list(struct val **out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	return items_of(out, in, "list");
}

/* The arguments after the first `skip` positional ones. */
static void shift_args(struct targs *dst, const struct targs *a, size_t skip)
{
	dst->npos = a->npos > skip ? a->npos - skip : 0;
	for (size_t i = 0; i < dst->npos; i++)
		dst->pos[i] = a->pos[i + skip];
	dst->nkw = a->nkw;
	for (size_t i = 0; i < a->nkw; i++) {
		dst->kwname[i] = a->kwname[i];
		dst->kw[i] = a->kw[i];
	}
}

static int f_map(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	struct val *items, *l, *attr = arg(a, SIZE_MAX, "attribute");
	struct val *def = arg(a, SIZE_MAX, "default");
	const char *name = NULL;
	struct targs rest;
	int error;

	if (!attr && (error = arg_str(&name, a, 0, "filter", NULL, "map")) < 0)
		return error;
	if (attr && attr->type != VAL_STR)
		return tend_error_set("map: attribute must be a string");
	if ((error = items_of(&items, in, "map")) < 0)
		return error;
	shift_args(&rest, a, 1);
	l = val_list();
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v;

		if (attr) {
			get_path(&v, items->u.list.items[i], attr->u.s.ptr);
			if (template_is_undef(v) && def) {
				val_unref(v);
				v = val_ref(def);
			}
			if ((error = template_need(v)) < 0) {
				val_unref(v);
				break;
			}
		} else if ((error = template_filter_apply(
				    &v, name, items->u.list.items[i], &rest,
				    c)) < 0) {
			break;
		}
		val_list_push(l, v);
	}
	val_unref(items);
	if (error < 0) {
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}

/* select, reject, selectattr, rejectattr */
static int select_common(struct val **out, struct val *in,
			 const struct targs *a, struct tctx *c, bool keep,
			 bool by_attr)
{
	struct val *items, *l;
	const char *attr = NULL, *test = NULL;
	struct targs rest;
	size_t skip = by_attr ? 2 : 1;
	int error;

	if (by_attr && (error = arg_str(&attr, a, 0, "attribute", NULL,
					"selectattr")) < 0)
		return error;
	if (a->npos >= skip && (error = arg_str(&test, a, skip - 1, NULL, NULL,
						"select")) < 0)
		return error;
	if ((error = items_of(&items, in, "select")) < 0)
		return error;
	shift_args(&rest, a, skip);
	l = val_list();
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v = items->u.list.items[i], *subject = v;
		bool t = false;

		if (attr)
			get_path(&subject, v, attr);
		if (test)
			error = template_test_apply(&t, test, subject, &rest, c);
		else
			error = template_truthy(&t, subject);
		if (attr)
			val_unref(subject);
		if (!error && t == keep)
			val_list_push(l, val_ref(v));
	}
	val_unref(items);
	if (error < 0) {
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}

static int f_select(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	return select_common(out, in, a, c, true, false);
}

static int f_reject(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	return select_common(out, in, a, c, false, false);
}

static int f_selectattr(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	return select_common(out, in, a, c, true, true);
}

static int f_rejectattr(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	return select_common(out, in, a, c, false, true);
}

static int need_dict(const struct val *in, const char *who)
{
	if (in->type != VAL_DICT)
		return tend_error_set("%s requires a dictionary, got %s", who,
				      template_type_name(in));
	return 0;
}

static int need_list(const struct val *in, const char *who)
{
	if (in->type != VAL_LIST)
		return tend_error_set("%s requires a list, got %s", who,
				      template_type_name(in));
	return 0;
}

static int f_dict2items(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const char *kn, *vn;
	int error;

	(void)c;
	if ((error = need_dict(in, "dict2items")) < 0 ||
	    (error = arg_str(&kn, a, 0, "key_name", "key", "dict2items")) < 0 ||
	    (error = arg_str(&vn, a, 1, "value_name", "value",
			     "dict2items")) < 0)
		return error;
	*out = val_list();
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		struct val *d = val_dict();

		val_dict_set_str(d, kn, in->u.dict.items[i].key);
		val_dict_set(d, vn, val_ref(in->u.dict.items[i].v));
		val_list_push(*out, d);
	}
	return 0;
}

static int f_items2dict(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const char *kn, *vn;
	int error;

	(void)c;
	if ((error = need_list(in, "items2dict")) < 0 ||
	    (error = arg_str(&kn, a, 0, "key_name", "key", "items2dict")) < 0 ||
	    (error = arg_str(&vn, a, 1, "value_name", "value",
			     "items2dict")) < 0)
		return error;
	*out = val_dict();
	for (size_t i = 0; i < in->u.list.nr; i++) {
		struct val *item = in->u.list.items[i];
		struct val *k = val_dict_get(item, kn), *v = val_dict_get(item, vn);
		struct buf ks = BUF_INIT;

		if (!k || !v) {
			val_unref(*out);
			*out = NULL;
			return tend_error_set("items2dict: item has no '%s'",
					      k ? vn : kn);
		}
		template_to_str(&ks, k);
		val_dict_set(*out, ks.ptr, val_ref(v));
		buf_release(&ks);
	}
	return 0;
}

static int f_dictsort(struct val **out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct sort_opts o = { "0", false, 0 };
	struct val *pairs;
	const char *by;
	int error;

	(void)c;
	if ((error = need_dict(in, "dictsort")) < 0 ||
	    (error = arg_str(&by, a, 1, "by", "key", "dictsort")) < 0)
		return error;
	o.case_sensitive = arg_bool(a, 0, "case_sensitive", false);
	if (!strcmp(by, "value"))
		o.attribute = "1";
	pairs = val_list();
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		struct val *t = val_list();

		t->flags |= VAL_F_TUPLE;
		val_list_push(t, val_str(in->u.dict.items[i].key));
		val_list_push(t, val_ref(in->u.dict.items[i].v));
		val_list_push(pairs, t);
	}
	error = sorted(out, pairs, &o, arg_bool(a, 2, "reverse", false));
	val_unref(pairs);
	return error;
}

static int f_combine(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	bool deep = arg_bool(a, SIZE_MAX, "recursive", false);
	struct val *r;
	int error;

	(void)c;
	if ((error = need_dict(in, "combine")) < 0)
		return error;
	r = val_copy(in);
	for (size_t i = 0; i < a->npos; i++) {
		const struct val *d = a->pos[i];
		size_t n = d->type == VAL_LIST ? d->u.list.nr : 1;

		for (size_t k = 0; k < n; k++) {
			const struct val *x = d->type == VAL_LIST ?
						      d->u.list.items[k] : d;

			if ((error = need_dict(x, "combine")) < 0) {
				val_unref(r);
				return error;
			}
			val_dict_update(r, x, deep);
		}
	}
	*out = r;
	return 0;
}

static int f_split(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *sepv = arg(a, 0, "sep");
	long long max;
	int error;

	(void)c;
	if ((error = need_str(in, "split")) < 0 ||
	    (error = arg_int(&max, a, 1, "maxsplit", -1, "split")) < 0)
		return error;
	if (sepv && sepv->type != VAL_STR && sepv->type != VAL_NULL)
		return tend_error_set("split: separator must be a string");
	if (sepv && sepv->type == VAL_STR && !sepv->u.s.len)
		return tend_error_set("empty separator");
	*out = template_py_split(in->u.s.ptr, in->u.s.len,
				 val_cstr(sepv), max);
	return 0;
}

static int f_format(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *args = val_list();
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = need_str(in, "format")) < 0) {
		val_unref(args);
		return error;
	}
	for (size_t i = 0; i < a->npos; i++)
		val_list_push(args, val_ref(a->pos[i]));
	if (a->nkw) {
		val_unref(args);
		args = val_dict();
		for (size_t i = 0; i < a->nkw; i++)
			val_dict_set(args, a->kwname[i], val_ref(a->kw[i]));
	}
	error = template_percent_format(&b, in->u.s.ptr, args);
	val_unref(args);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = str_result(&b);
	return 0;
}

/* A copy of v with every dict's keys sorted (for sort_keys=True). */
static struct val *sort_keys(const struct val *v)
{
	struct val *r;

	if (v->type == VAL_LIST) {
		r = val_list();
		for (size_t i = 0; i < v->u.list.nr; i++)
			val_list_push(r, sort_keys(v->u.list.items[i]));
		r->flags = v->flags;
		return r;
	}
	if (v->type != VAL_DICT)
		return val_ref((struct val *)v);
	{
		size_t n = v->u.dict.nr;
		const struct val_pair **p = xmalloc((n ? n : 1) * sizeof(*p));

		for (size_t i = 0; i < n; i++)
			p[i] = &v->u.dict.items[i];
		/* insertion sort: dicts in playbooks are small */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 &&
			     strcmp(p[j - 1]->key, p[j]->key) > 0; j--) {
				const struct val_pair *t = p[j];

				p[j] = p[j - 1];
				p[j - 1] = t;
			}
		r = val_dict();
		for (size_t i = 0; i < n; i++)
			val_dict_set(r, p[i]->key, sort_keys(p[i]->v));
		free(p);
		r->flags = v->flags;
		return r;
	}
}

static int f_to_json(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct buf b = BUF_INIT;
	long long indent;
	int error;

	(void)c;
	if ((error = arg_int(&indent, a, SIZE_MAX, "indent", 0, "to_json")) < 0)
		return error;
	if (arg_bool(a, SIZE_MAX, "sort_keys", false)) {
		struct val *s = sort_keys(in);

		val_to_json(&b, s, (int)indent);
		val_unref(s);
	} else {
		val_to_json(&b, in, (int)indent);
	}
	*out = str_result(&b);
	return 0;
}

static int f_to_nice_json(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;
	struct val *s = sort_keys(in);
	long long indent;
	int error;

	(void)c;
	if ((error = arg_int(&indent, a, 0, "indent", 4, "to_nice_json")) < 0) {
		val_unref(s);
		return error;
	}
	val_to_json(&b, s, indent > 0 ? (int)indent : 4);
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

static bool is_container(const struct val *v)
{
	return v->type == VAL_LIST || v->type == VAL_DICT;
}

/* A scalar or a collection of scalars in YAML flow style. */
static void yaml_flow(struct buf *out, const struct val *v)
{
	size_t n = val_len(v);

	if (!is_container(v)) {
		size_t start = out->len;

		val_to_yaml(out, v, 2);
		while (out->len > start && out->ptr[out->len - 1] == '\n')
			buf_setlen(out, out->len - 1);
		return;
	}
	buf_addch(out, v->type == VAL_LIST ? '[' : '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(out, ", ");
		if (v->type == VAL_DICT) {
			struct val *k = val_str(v->u.dict.items[i].key);

			yaml_flow(out, k);
			val_unref(k);
			buf_adds(out, ": ");
			yaml_flow(out, v->u.dict.items[i].v);
		} else {
			yaml_flow(out, v->u.list.items[i]);
		}
	}
	buf_addch(out, v->type == VAL_LIST ? ']' : '}');
}

/*
 * PyYAML's dump with default_flow_style=None writes a collection of
 * scalars in flow style. NEEDSWORK: nested data is written all in block
 * style, where PyYAML would still write the innermost collections in
 * flow style.
 */
static int f_to_yaml(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct buf b = BUF_INIT;
	struct val *s = sort_keys(in);
	bool leaf = true;
	long long indent;
	int error;

	(void)c;
	if ((error = arg_int(&indent, a, SIZE_MAX, "indent", 2, "to_yaml")) < 0) {
		val_unref(s);
		return error;
	}
	for (size_t i = 0; i < val_len(s) && is_container(s); i++)
		if (is_container(s->type == VAL_LIST ? s->u.list.items[i] :
				 s->u.dict.items[i].v))
			leaf = false;
	if (leaf && is_container(s)) {
		yaml_flow(&b, s);
		buf_addch(&b, '\n');
	} else {
		val_to_yaml(&b, s, (int)indent);
	}
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

static int f_to_nice_yaml(struct val **out, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	struct buf b = BUF_INIT;
	long long indent;
	int error;

	(void)c;
	if ((error = arg_int(&indent, a, 0, "indent", 4, "to_nice_yaml")) < 0)
		return error;
	in = sort_keys(in);
	val_to_yaml(&b, in, (int)indent);
	val_unref(in);
	*out = str_result(&b);
	return 0;
}

static int f_from_json(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	int error;

	(void)a;
	(void)c;
	if ((error = need_str(in, "from_json")) < 0)
		return error;
	return val_from_json(out, in->u.s.ptr, in->u.s.len);
}

static int f_from_yaml(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct diags d = DIAGS_INIT;
	int error;

	(void)a;
	(void)c;
	if ((error = need_str(in, "from_yaml")) < 0)
		return error;
	error = yaml_load_string(out, in->u.s.ptr, in->u.s.len, "from_yaml",
				 &d);
	if (error < 0) {
		if (d.nr)
			error = tend_error_set("%s", d.items[0]);
		else
			error = tend_error_prefix("from_yaml");
	}
	diags_release(&d);
	return error;
}

static int f_b64encode(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	struct val *s = to_string(in);
	size_t n = sodium_base64_ENCODED_LEN(s->u.s.len,
					     sodium_base64_VARIANT_ORIGINAL);
	char *p = xmalloc(n);

	(void)a;
	(void)c;
	sodium_bin2base64(p, n, (const unsigned char *)s->u.s.ptr, s->u.s.len,
			  sodium_base64_VARIANT_ORIGINAL);
	val_unref(s);
	*out = val_str_take(p, strlen(p));
	return 0;
}

static int f_b64decode(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	size_t n, len;
	unsigned char *p;
	int error;

	(void)a;
	(void)c;
	if ((error = need_str(in, "b64decode")) < 0)
		return error;
	n = in->u.s.len / 4 * 3 + 3;
	p = xmalloc(n + 1);
	if (sodium_base642bin(p, n, in->u.s.ptr, in->u.s.len, " \t\r\n", &len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) < 0) {
		free(p);
		return tend_error_set("b64decode: invalid base64 input");
	}
	p[len] = '\0';
	*out = val_str_take((char *)p, len);
	return 0;
}

static int f_basename(struct val **out, struct val *in,
		      const struct targs *a, struct tctx *c)
{
	const char *slash;
	int error;

	(void)a;
	(void)c;
	if ((error = need_str(in, "basename")) < 0)
		return error;
	slash = strrchr(in->u.s.ptr, '/');
	*out = val_str(slash ? slash + 1 : in->u.s.ptr);
	return 0;
}

static int f_dirname(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	const char *s, *slash;
	size_t n;
	int error;

	(void)a;
	(void)c;
	if ((error = need_str(in, "dirname")) < 0)
		return error;
	s = in->u.s.ptr;
	slash = strrchr(s, '/');
	n = slash ? (size_t)(slash - s) + 1 : 0;
	/* posixpath.dirname: strip trailing slashes unless all slashes */
	if (strspn(s, "/") < n)
		while (n > 0 && s[n - 1] == '/')
			n--;
	*out = val_strn(s, n);
	return 0;
}

/* shlex.quote: bare when safe, else single-quoted by sh_quote. */
static int f_quote(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	struct val *s = to_string(in);
	struct buf b = BUF_INIT;
	bool safe = s->u.s.len > 0;

	(void)a;
	(void)c;
	for (size_t i = 0; i < s->u.s.len; i++) {
		unsigned char ch = (unsigned char)s->u.s.ptr[i];

		if (!isalnum(ch) && !strchr("@%+=:,./-_", ch))
			safe = false;
	}
	if (safe)
		buf_add(&b, s->u.s.ptr, s->u.s.len);
	else
		sh_quote_n(&b, s->u.s.ptr, strlen(s->u.s.ptr));
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

static int f_abs(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	if (in->type == VAL_INT && in->u.i != LLONG_MIN)
		*out = val_int(in->u.i < 0 ? -in->u.i : in->u.i);
	else if (in->type == VAL_BOOL)
		*out = val_int(in->u.b);
	else if (in->type == VAL_FLOAT)
		*out = val_float(fabs(in->u.f));
	else
		return tend_error_set("bad operand type for abs(): '%s'",
				      template_type_name(in));
	return 0;
}

static int f_round(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	const char *method;
	long long prec;
	double f, m;
	int error;

	(void)c;
	if ((error = arg_int(&prec, a, 0, "precision", 0, "round")) < 0 ||
	    (error = arg_str(&method, a, 1, "method", "common", "round")) < 0)
		return error;
	if (in->type == VAL_INT || in->type == VAL_BOOL)
		f = in->type == VAL_INT ? (double)in->u.i : in->u.b;
	else if (in->type == VAL_FLOAT)
		f = in->u.f;
	else
		return tend_error_set("round: expected a number, got %s",
				      template_type_name(in));
	if (prec < -20 || prec > 20)
		return tend_error_set("round: precision out of range");
	m = pow(10, (double)prec);
	if (!strcmp(method, "common"))
		f = nearbyint(f * m) / m; /* half to even, as Python */
	else if (!strcmp(method, "ceil"))
		f = ceil(f * m) / m;
	else if (!strcmp(method, "floor"))
		f = floor(f * m) / m;
	else
		return tend_error_set("round: method must be common, ceil or "
				      "floor");
	*out = val_float(f);
	return 0;
}

static bool is_nullish(const struct val *v)
{
	return v->type == VAL_NULL ||
	       (v->type == VAL_STR && (!strcmp(v->u.s.ptr, "None") ||
				       !strcmp(v->u.s.ptr, "null")));
}

static void flatten_into(struct val *dst, const struct val *l, long long levels,
			 bool skip_nulls)
{
	for (size_t i = 0; i < l->u.list.nr; i++) {
		struct val *v = l->u.list.items[i];

		if (skip_nulls && is_nullish(v))
			continue;
		if (v->type == VAL_LIST && levels != 0)
			flatten_into(dst, v, levels - 1, skip_nulls);
		else
			val_list_push(dst, val_ref(v));
	}
}

static int f_flatten(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	long long levels;
	int error;

	(void)c;
	if ((error = need_list(in, "flatten")) < 0 ||
	    (error = arg_int(&levels, a, 0, "levels", -1, "flatten")) < 0)
		return error;
	if (levels > 1000 || levels < 0)
		levels = 1000;
	*out = val_list();
	flatten_into(*out, in, levels, arg_bool(a, 1, "skip_nulls", true));
	return 0;
}

static int f_zip(struct val **out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	struct val *lists[TEMPLATE_MAX_ARGS + 1];
	size_t n = 0, shortest = SIZE_MAX;
	int error = 0;

	(void)c;
	lists[n++] = val_ref(in);
	for (size_t i = 0; i < a->npos; i++)
		lists[n++] = val_ref(a->pos[i]);
	for (size_t i = 0; i < n; i++) {
		struct val *items;

		if ((error = items_of(&items, lists[i], "zip")) < 0)
			break;
		val_unref(lists[i]);
		lists[i] = items;
		if (items->u.list.nr < shortest)
			shortest = items->u.list.nr;
	}
	if (!error) {
		*out = val_list();
		for (size_t k = 0; k < shortest; k++) {
			struct val *t = val_list();

			t->flags |= VAL_F_TUPLE;
			for (size_t i = 0; i < n; i++)
				val_list_push(t, val_ref(lists[i]->u.list.items[k]));
			val_list_push(*out, t);
		}
	}
	for (size_t i = 0; i < n; i++)
		val_unref(lists[i]);
	return error;
}

static void product_rec(struct val *out, struct val **lists, size_t n,
			size_t depth, struct val *cur)
{
	if (depth == n) {
		struct val *t = val_copy(cur);

		t->flags |= VAL_F_TUPLE;
		val_list_push(out, t);
		return;
	}
	for (size_t i = 0; i < lists[depth]->u.list.nr; i++) {
		val_list_push(cur, val_ref(lists[depth]->u.list.items[i]));
		product_rec(out, lists, n, depth + 1, cur);
		cur->u.list.nr--;
		val_unref(lists[depth]->u.list.items[i]);
	}
}

static int f_product(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *lists[TEMPLATE_MAX_ARGS + 1], *cur;
	size_t n = 0, total = 1;
	int error = 0;

	(void)c;
	for (size_t i = 0; i <= a->npos && !error; i++) {
		error = items_of(&lists[n], i ? a->pos[i - 1] : in, "product");
		if (!error) {
			total *= lists[n]->u.list.nr ? lists[n]->u.list.nr : 1;
			n++;
		}
		if (total > 1000000 && !error)
			error = tend_error_set("product: too many combinations");
	}
	if (!error) {
		*out = val_list();
		cur = val_list();
		product_rec(*out, lists, n, 0, cur);
		val_unref(cur);
	}
	for (size_t i = 0; i < n; i++)
		val_unref(lists[i]);
	return error;
}

static int f_ternary(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *t = arg(a, 0, "true_val"), *f = arg(a, 1, "false_val");
	struct val *none = arg(a, 2, "none_val");

	(void)c;
	if (none && in->type == VAL_NULL)
		*out = val_ref(none);
	else if (truth_python(in))
		*out = t ? val_ref(t) : val_null();
	else
		*out = f ? val_ref(f) : val_null();
	return 0;
}

static int f_reverse(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *items;
	int error;

	(void)a;
	(void)c;
	if (in->type == VAL_STR) {
		struct buf b = BUF_INIT;

		for (size_t i = in->u.s.len; i > 0; i--)
			buf_addch(&b, in->u.s.ptr[i - 1]);
		*out = str_result(&b);
		return 0;
	}
	if ((error = items_of(&items, in, "reverse")) < 0)
		return error;
	*out = val_list();
	for (size_t i = items->u.list.nr; i > 0; i--)
		val_list_push(*out, val_ref(items->u.list.items[i - 1]));
	val_unref(items);
	return 0;
}

/* union, intersect, difference, symmetric_difference (Ansible's). */
static int set_op(struct val **out, struct val *in, const struct targs *a,
		  int op)
{
	struct val *other = arg(a, 0, "b"), *l;
	int error;

	if ((error = need_list(in, "set operation")) < 0)
		return error;
	if (!other || other->type != VAL_LIST)
		return tend_error_set("set operation needs a list argument");
	l = val_list();
	for (size_t i = 0; i < in->u.list.nr; i++) {
		struct val *v = in->u.list.items[i];
		bool in_other = list_has(other, v, false);

		if (list_has(l, v, false))
			continue;
		if (op == 'u' || (op == 'i' && in_other) ||
		    ((op == 'd' || op == 's') && !in_other))
			val_list_push(l, val_ref(v));
	}
	for (size_t i = 0; (op == 'u' || op == 's') && i < other->u.list.nr; i++) {
		struct val *v = other->u.list.items[i];

		if (!list_has(l, v, false) &&
		    (op == 'u' || !list_has(in, v, false)))
			val_list_push(l, val_ref(v));
	}
	*out = l;
	return 0;
}

static int f_union(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 'u');
}

static int f_intersect(struct val **out, struct val *in,
		       const struct targs *a, struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 'i');
}

static int f_difference(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 'd');
}

static int f_symmetric_difference(struct val **out, struct val *in,
				  const struct targs *a, struct tctx *c)
{
	(void)c;
	return set_op(out, in, a, 's');
}

static int f_indent(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *w = arg(a, 0, "width"), *s = to_string(in);
	bool first = arg_bool(a, 1, "first", false);
	bool blank = arg_bool(a, 2, "blank", false);
	struct buf ind = BUF_INIT, b = BUF_INIT;
	const char *p, *end;

	(void)c;
	if (w && w->type == VAL_STR)
		buf_add(&ind, w->u.s.ptr, w->u.s.len);
	else
		for (long long i = 0; i < (w && w->type == VAL_INT ? w->u.i : 4) &&
				      i < 1000; i++)
			buf_addch(&ind, ' ');
	p = s->u.s.ptr;
	end = p + s->u.s.len;
	for (bool first_line = true; p < end; first_line = false) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!first_line)
			buf_addch(&b, '\n');
		if ((first_line ? first : (n || blank)))
			buf_addbuf(&b, &ind);
		buf_add(&b, p, n);
		p += n + (nl ? 1 : 0);
	}
	if (!s->u.s.len && first)
		buf_addbuf(&b, &ind);
	buf_release(&ind);
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

static int f_extract(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *container = arg(a, 0, "container"), *more = arg(a, 1, "morekeys");
	struct val *v;
	struct buf k = BUF_INIT;

	(void)c;
	if (!container)
		return tend_error_set("extract needs a container");
	if (container->type == VAL_LIST && in->type == VAL_INT) {
		if (in->u.i < 0 || (size_t)in->u.i >= container->u.list.nr)
			return tend_error_set("extract: index %lld out of range",
					      in->u.i);
		v = val_ref(container->u.list.items[in->u.i]);
	} else {
		template_to_str(&k, in);
		template_getattr(&v, container, k.ptr);
		buf_release(&k);
	}
	if (more) {
		size_t n = more->type == VAL_LIST ? more->u.list.nr : 1;

		for (size_t i = 0; i < n; i++) {
			const struct val *key = more->type == VAL_LIST ?
							more->u.list.items[i] : more;
			struct val *next;

			buf_reset(&k);
			template_to_str(&k, key);
			template_getattr(&next, v, k.ptr);
			val_unref(v);
			v = next;
		}
		buf_release(&k);
	}
	*out = v;
	return 0;
}

static int f_type_debug(struct val **out, struct val *in,
			const struct targs *a, struct tctx *c)
{
	static const char *const names[] = {
		[VAL_NULL] = "NoneType", [VAL_BOOL] = "bool",
		[VAL_INT] = "int", [VAL_FLOAT] = "float",
		[VAL_STR] = "AnsibleUnicode", [VAL_LIST] = "list",
		[VAL_DICT] = "dict",
	};

	(void)a;
	(void)c;
	*out = val_str(names[in->type]);
	return 0;
}

static int f_items(struct val **out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	if (in->type != VAL_DICT)
		return tend_error_set("items: can only get item pairs from a "
				      "mapping");
	*out = val_list();
	for (size_t i = 0; i < in->u.dict.nr; i++) {
		struct val *t = val_list();

		t->flags |= VAL_F_TUPLE;
		val_list_push(t, val_str(in->u.dict.items[i].key));
		val_list_push(t, val_ref(in->u.dict.items[i].v));
		val_list_push(*out, t);
	}
	return 0;
}

static int f_escape(struct val **out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *s = to_string(in);
	struct buf b = BUF_INIT;

	(void)a;
	(void)c;
	for (size_t i = 0; i < s->u.s.len; i++) {
		switch (s->u.s.ptr[i]) {
		case '&': buf_adds(&b, "&amp;"); break;
		case '<': buf_adds(&b, "&lt;"); break;
		case '>': buf_adds(&b, "&gt;"); break;
		case '"': buf_adds(&b, "&#34;"); break;
		case '\'': buf_adds(&b, "&#39;"); break;
		default: buf_addch(&b, s->u.s.ptr[i]);
		}
	}
	val_unref(s);
	*out = str_result(&b);
	return 0;
}

/* Sorted by name: template_filter_find() bisects. */
static const struct tfilter filters[] = {
	{ "abs", f_abs, 0 },
	{ "b64decode", f_b64decode, 0 },
	{ "b64encode", f_b64encode, 0 },
	{ "basename", f_basename, 0 },
	{ "bool", f_bool, 0 },
	{ "capitalize", f_capitalize, 0 },
	{ "combine", f_combine, 0 },
	{ "count", f_length, 0 },
	{ "d", f_default, TFILTER_UNDEF_OK },
	{ "default", f_default, TFILTER_UNDEF_OK },
	{ "dict2items", f_dict2items, 0 },
	{ "dictsort", f_dictsort, 0 },
	{ "difference", f_difference, 0 },
	{ "dirname", f_dirname, 0 },
	{ "e", f_escape, 0 },
	{ "escape", f_escape, 0 },
	{ "extract", f_extract, 0 },
	{ "first", f_first, 0 },
	{ "flatten", f_flatten, 0 },
	{ "float", f_float, 0 },
	{ "format", f_format, 0 },
	{ "from_json", f_from_json, 0 },
	{ "from_yaml", f_from_yaml, 0 },
	{ "indent", f_indent, 0 },
	{ "int", f_int, 0 },
	{ "intersect", f_intersect, 0 },
	{ "items", f_items, 0 },
	{ "items2dict", f_items2dict, 0 },
	{ "join", f_join, 0 },
	{ "last", f_last, 0 },
	{ "length", f_length, 0 },
	{ "list", f_list, 0 },
	{ "lower", f_lower, 0 },
	{ "mandatory", f_mandatory, TFILTER_UNDEF_OK },
	{ "map", f_map, 0 },
	{ "max", f_max, 0 },
	{ "min", f_min, 0 },
	{ "product", f_product, 0 },
	{ "quote", f_quote, 0 },
	{ "regex_escape", f_regex_escape, 0 },
	{ "regex_findall", f_regex_findall, 0 },
	{ "regex_replace", f_regex_replace, 0 },
	{ "regex_search", f_regex_search, 0 },
	{ "reject", f_reject, 0 },
	{ "rejectattr", f_rejectattr, 0 },
	{ "replace", f_replace, 0 },
	{ "reverse", f_reverse, 0 },
	{ "round", f_round, 0 },
	{ "select", f_select, 0 },
	{ "selectattr", f_selectattr, 0 },
	{ "sort", f_sort, 0 },
	{ "split", f_split, 0 },
	{ "string", f_string, 0 },
	{ "sum", f_sum, 0 },
	{ "symmetric_difference", f_symmetric_difference, 0 },
	{ "ternary", f_ternary, 0 },
	{ "title", f_title, 0 },
	{ "to_json", f_to_json, 0 },
	{ "to_nice_json", f_to_nice_json, 0 },
	{ "to_nice_yaml", f_to_nice_yaml, 0 },
	{ "to_yaml", f_to_yaml, 0 },
	{ "trim", f_trim, 0 },
	{ "type_debug", f_type_debug, 0 },
	{ "union", f_union, 0 },
	{ "unique", f_unique, 0 },
	{ "upper", f_upper, 0 },
	{ "zip", f_zip, 0 },
};

/*
 * Tests
 */

static int t_defined(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	*out = !template_is_undef(in);
	return 0;
}

static int t_undefined(bool *out, struct val *in, const struct targs *a,
		       struct tctx *c)
{
	(void)a;
	(void)c;
	*out = template_is_undef(in);
	return 0;
}

#define TYPE_TEST(fname, expr)                                              \
	static int fname(bool *out, struct val *in, const struct targs *a, \
			 struct tctx *c)                                   \
	{                                                                  \
		(void)a;                                                   \
		(void)c;                                                   \
		*out = (expr);                                             \
		return 0;                                                  \
	}

TYPE_TEST(t_none, in->type == VAL_NULL)
TYPE_TEST(t_string, in->type == VAL_STR)
TYPE_TEST(t_number, in->type == VAL_INT || in->type == VAL_FLOAT ||
			    in->type == VAL_BOOL)
TYPE_TEST(t_integer, in->type == VAL_INT)
TYPE_TEST(t_float, in->type == VAL_FLOAT)
TYPE_TEST(t_mapping, in->type == VAL_DICT)
TYPE_TEST(t_iterable, in->type == VAL_STR || in->type == VAL_LIST ||
			      in->type == VAL_DICT)
TYPE_TEST(t_boolean, in->type == VAL_BOOL)
TYPE_TEST(t_true, in->type == VAL_BOOL && in->u.b)
TYPE_TEST(t_false, in->type == VAL_BOOL && !in->u.b)
TYPE_TEST(t_truthy_plain, truth_python(in))

static int t_lower(bool *out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	*out = in->type == VAL_STR;
	for (size_t i = 0; *out && i < in->u.s.len; i++)
		if (isupper((unsigned char)in->u.s.ptr[i]))
			*out = false;
	return 0;
}

static int t_upper(bool *out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)a;
	(void)c;
	*out = in->type == VAL_STR;
	for (size_t i = 0; *out && i < in->u.s.len; i++)
		if (islower((unsigned char)in->u.s.ptr[i]))
			*out = false;
	return 0;
}

static int compare_arg(int *cmp, struct val *in, const struct targs *a,
		       const char *who)
{
	struct val *other = arg(a, 0, "other");

	if (!other)
		return tend_error_set("test '%s' needs an argument", who);
	if (in->type == VAL_NULL || other->type == VAL_NULL ||
	    val_compare(cmp, in, other) < 0)
		return tend_error_set("'%s' not supported between instances of "
				      "'%s' and '%s'", who,
				      template_type_name(in),
				      template_type_name(other));
	return 0;
}

static int t_eq(bool *out, struct val *in, const struct targs *a,
		struct tctx *c)
{
	struct val *other = arg(a, 0, "other");

	(void)c;
	if (!other)
		return tend_error_set("test 'eq' needs an argument");
	*out = val_equal(in, other);
	return 0;
}

static int t_ne(bool *out, struct val *in, const struct targs *a,
		struct tctx *c)
{
	int error = t_eq(out, in, a, c);

	*out = !*out;
	return error;
}

#define CMP_TEST(fname, op, text)                                          \
	static int fname(bool *out, struct val *in, const struct targs *a, \
			 struct tctx *c)                                   \
	{                                                                  \
		int cmp, error = compare_arg(&cmp, in, a, text);           \
		(void)c;                                                   \
		*out = error ? false : cmp op 0;                           \
		return error;                                              \
	}

CMP_TEST(t_gt, >, ">")
CMP_TEST(t_lt, <, "<")
CMP_TEST(t_ge, >=, ">=")
CMP_TEST(t_le, <=, "<=")

static int int_of(long long *out, const struct val *v, const char *who)
{
	if (v->type == VAL_INT) {
		*out = v->u.i;
		return 0;
	}
	if (v->type == VAL_FLOAT && v->u.f == floor(v->u.f) &&
	    fabs(v->u.f) < 9e18) {
		*out = (long long)v->u.f;
		return 0;
	}
	return tend_error_set("test '%s' needs a number, got %s", who,
			      template_type_name(v));
}

static int t_even(bool *out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	long long n = 0;
	int error = int_of(&n, in, "even");

	(void)a;
	(void)c;
	*out = !error && n % 2 == 0;
	return error;
}

static int t_odd(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	long long n = 0;
	int error = int_of(&n, in, "odd");

	(void)a;
	(void)c;
	*out = !error && n % 2 != 0;
	return error;
}

static int t_divisibleby(bool *out, struct val *in, const struct targs *a,
			 struct tctx *c)
{
	long long n, d;
	struct val *dv = arg(a, 0, "num");
	int error;

	(void)c;
	if (!dv)
		return tend_error_set("test 'divisibleby' needs an argument");
	if ((error = int_of(&n, in, "divisibleby")) < 0 ||
	    (error = int_of(&d, dv, "divisibleby")) < 0)
		return error;
	if (!d)
		return tend_error_set("integer division or modulo by zero");
	*out = d == -1 || n % d == 0;
	return 0;
}

/*
 * Ansible's truthy(value, convert_bool): boolean() first if asked, and
 * Python truthiness for whatever boolean() refuses.
 */
static int t_truthy(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	if (arg_bool(a, 0, "convert_bool", false)) {
		if (!truth_boolean(out, in))
			return 0;
		tend_error_clear();
	}
	return t_truthy_plain(out, in, a, c);
}

static int t_falsy(bool *out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	int error = t_truthy(out, in, a, c);

	*out = !*out;
	return error;
}

static int seq_contains(bool *out, const struct val *seq, const struct val *v)
{
	switch (seq->type) {
	case VAL_LIST:
		*out = list_has(seq, v, false);
		return 0;
	case VAL_DICT:
		*out = v->type == VAL_STR && val_dict_get(seq, v->u.s.ptr);
		return 0;
	case VAL_STR:
		if (v->type != VAL_STR)
			return tend_error_set("'in <string>' requires string as "
					      "left operand");
		*out = memmem(seq->u.s.ptr, seq->u.s.len, v->u.s.ptr,
			      v->u.s.len) != NULL;
		return 0;
	default:
		return tend_error_set("argument of type '%s' is not iterable",
				      template_type_name(seq));
	}
}

static int t_in(bool *out, struct val *in, const struct targs *a,
		struct tctx *c)
{
	struct val *seq = arg(a, 0, "seq");

	(void)c;
	if (!seq)
		return tend_error_set("test 'in' needs an argument");
	return seq_contains(out, seq, in);
}

static int t_contains(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *v = arg(a, 0, "value");

	(void)c;
	if (!v)
		return tend_error_set("test 'contains' needs an argument");
	return seq_contains(out, in, v);
}

static int subset_of(bool *out, const struct val *small, const struct val *big)
{
	struct val *si, *bi;
	int error;

	if ((error = items_of(&si, small, "subset")) < 0)
		return error;
	if ((error = items_of(&bi, big, "subset")) < 0) {
		val_unref(si);
		return error;
	}
	*out = true;
	for (size_t i = 0; i < si->u.list.nr && *out; i++)
		*out = list_has(bi, si->u.list.items[i], false);
	val_unref(si);
	val_unref(bi);
	return 0;
}

static int t_subset(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *b = arg(a, 0, "b");

	(void)c;
	if (!b)
		return tend_error_set("test 'subset' needs an argument");
	return subset_of(out, in, b);
}

static int t_superset(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *b = arg(a, 0, "b");

	(void)c;
	if (!b)
		return tend_error_set("test 'superset' needs an argument");
	return subset_of(out, b, in);
}

/* Ansible's regex test: re.compile(pattern, flags).<match_type>(value) */
static int regex_test(bool *out, struct val *in, const struct targs *a,
		      const char *def_type)
{
	static const struct { const char *name; enum regex_how how; } types[] = {
		{ "search", REGEX_SEARCH }, { "match", REGEX_MATCH },
		{ "fullmatch", REGEX_FULLMATCH },
	};
	const char *pattern, *type;
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	struct val *s = NULL;
	size_t t;
	int error;

	if ((error = arg_str(&pattern, a, 0, "pattern", "", def_type)) < 0 ||
	    (error = arg_str(&type, a, 3, "match_type", def_type,
			     def_type)) < 0)
		return error;
	for (t = 0; t < ARRAY_SIZE(types); t++)
		if (!strcmp(types[t].name, type))
			break;
	if (t == ARRAY_SIZE(types))
		return tend_error_set("regex: match_type '%s' is not supported "
				      "(search, match or fullmatch)", type);
	if ((error = regex_compile(&re, pattern, re_flags(a, 1, 2))) < 0)
		goto out;
	s = to_string(in);
	if ((error = regex_exec(&m, re, s->u.s.ptr, s->u.s.len, 0,
				types[t].how)) < 0)
		goto out;
	*out = m.matched;
out:
	val_unref(s);
	regex_match_release(&m);
	regex_free(re);
	return error;
}

static int t_match(bool *out, struct val *in, const struct targs *a,
		   struct tctx *c)
{
	(void)c;
	return regex_test(out, in, a, "match");
}

static int t_search(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)c;
	return regex_test(out, in, a, "search");
}

/* Registered results: Ansible's `result is failed` and friends. */
static int result_flag(bool *out, const struct val *in, const char *key,
		       const char *who)
{
	struct val *v;

	if (in->type != VAL_DICT)
		return tend_error_set("the '%s' test expects a dictionary", who);
	v = val_dict_get(in, key);
	*out = v && truth_python(v);
	return 0;
}

static int t_failed(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	return result_flag(out, in, "failed", "failed");
}

static int t_success(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	int error = result_flag(out, in, "failed", "success");

	(void)a;
	(void)c;
	*out = !*out;
	return error;
}

static int t_changed(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	return result_flag(out, in, "changed", "changed");
}

static int t_skipped(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	return result_flag(out, in, "skipped", "skipped");
}

static int t_unreachable(bool *out, struct val *in, const struct targs *a,
			 struct tctx *c)
{
	(void)a;
	(void)c;
	return result_flag(out, in, "unreachable", "unreachable");
}

static int t_reachable(bool *out, struct val *in, const struct targs *a,
		       struct tctx *c)
{
	int error = t_unreachable(out, in, a, c);

	*out = !*out;
	return error;
}

/*
 * Loose version comparison (distutils LooseVersion): numbers compare
 * as numbers, other runs as strings, numbers before strings.
 */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		while (*a && (*a == '.' || *a == '-' || *a == '_' || *a == ' '))
			a++;
		while (*b && (*b == '.' || *b == '-' || *b == '_' || *b == ' '))
			b++;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10);
			unsigned long long y = strtoull(b, &eb, 10);

			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
		} else if (isdigit((unsigned char)*a) ||
			   isdigit((unsigned char)*b)) {
			return isdigit((unsigned char)*a) ? 1 : -1;
		} else {
			size_t na = strcspn(a, "0123456789.-_ ");
			size_t nb = strcspn(b, "0123456789.-_ ");
			int r = strncmp(a, b, na < nb ? na : nb);

			if (r || na != nb)
				return r ? (r > 0 ? 1 : -1) : (na < nb ? -1 : 1);
			a += na;
			b += nb;
		}
	}
	return 0;
}

static int t_version(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	static const struct {
		const char *name;
		int lt, eq, gt;
	} ops[] = {
		{ "<", 1, 0, 0 },  { "lt", 1, 0, 0 }, { "<=", 1, 1, 0 },
		{ "le", 1, 1, 0 }, { ">", 0, 0, 1 },  { "gt", 0, 0, 1 },
		{ ">=", 0, 1, 1 }, { "ge", 0, 1, 1 }, { "==", 0, 1, 0 },
		{ "=", 0, 1, 0 },  { "eq", 0, 1, 0 }, { "!=", 1, 0, 1 },
		{ "<>", 1, 0, 1 }, { "ne", 1, 0, 1 },
	};
	const char *op;
	struct val *v = arg(a, 0, "version"), *mine, *theirs;
	int error, cmp;

	(void)c;
	if ((error = arg_str(&op, a, 1, "operator", "eq", "version")) < 0)
		return error;
	if (!v)
		return tend_error_set("test 'version' needs a version");
	mine = to_string(in);
	theirs = to_string(v);
	cmp = version_cmp(mine->u.s.ptr, theirs->u.s.ptr);
	val_unref(mine);
	val_unref(theirs);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(ops[i].name, op)) {
			*out = cmp < 0 ? ops[i].lt : cmp > 0 ? ops[i].gt :
							       ops[i].eq;
			return 0;
		}
	return tend_error_set("invalid operator '%s' for version test", op);
}

static int path_test(bool *out, struct val *in, int kind)
{
	struct stat st;

	if (in->type != VAL_STR)
		return tend_error_set("path tests need a string");
	if (kind == 'a') {
		*out = in->u.s.ptr[0] == '/';
		return 0;
	}
	if (kind == 'l') {
		*out = !lstat(in->u.s.ptr, &st) && S_ISLNK(st.st_mode);
		return 0;
	}
	*out = !stat(in->u.s.ptr, &st) &&
	       (kind == 'e' || (kind == 'f' ? S_ISREG(st.st_mode) :
					      S_ISDIR(st.st_mode)));
	return 0;
}

#define PATH_TEST(fname, kind)                                             \
	static int fname(bool *out, struct val *in, const struct targs *a, \
			 struct tctx *c)                                   \
	{                                                                  \
		(void)a;                                                   \
		(void)c;                                                   \
		return path_test(out, in, kind);                           \
	}

PATH_TEST(t_abs, 'a')
PATH_TEST(t_exists, 'e')
PATH_TEST(t_file, 'f')
PATH_TEST(t_directory, 'd')
PATH_TEST(t_link, 'l')

#define UF TTEST_UNDEF_FALSE

/* Sorted by name (strcmp order): template_test_find() bisects. */
static const struct ttest tests[] = {
	{ "!=", t_ne, 0 },
	{ "<", t_lt, 0 },
	{ "<=", t_le, 0 },
	{ "==", t_eq, 0 },
	{ ">", t_gt, 0 },
	{ ">=", t_ge, 0 },
	{ "abs", t_abs, 0 },
	{ "boolean", t_boolean, UF },
	{ "change", t_changed, 0 },
	{ "changed", t_changed, 0 },
	{ "contains", t_contains, 0 },
	{ "defined", t_defined, TTEST_UNDEF_OK },
	{ "directory", t_directory, 0 },
	{ "divisibleby", t_divisibleby, 0 },
	{ "eq", t_eq, 0 },
	{ "equalto", t_eq, 0 },
	{ "even", t_even, 0 },
	{ "exists", t_exists, 0 },
	{ "failed", t_failed, 0 },
	{ "failure", t_failed, 0 },
	{ "false", t_false, UF },
	{ "falsy", t_falsy, 0 },
	{ "file", t_file, 0 },
	{ "float", t_float, UF },
	{ "ge", t_ge, 0 },
	{ "greaterthan", t_gt, 0 },
	{ "gt", t_gt, 0 },
	{ "in", t_in, 0 },
	{ "integer", t_integer, UF },
	{ "iterable", t_iterable, 0 },
	{ "le", t_le, 0 },
	{ "lessthan", t_lt, 0 },
	{ "link", t_link, 0 },
	{ "lower", t_lower, UF },
	{ "lt", t_lt, 0 },
	{ "mapping", t_mapping, UF },
	{ "match", t_match, 0 },
	{ "ne", t_ne, 0 },
	{ "none", t_none, UF },
	{ "number", t_number, UF },
	{ "odd", t_odd, 0 },
	{ "reachable", t_reachable, 0 },
	{ "regex", t_search, 0 },
	{ "sameas", t_eq, 0 },
	{ "search", t_search, 0 },
	{ "sequence", t_iterable, 0 },
	{ "skip", t_skipped, 0 },
	{ "skipped", t_skipped, 0 },
	{ "string", t_string, UF },
	{ "subset", t_subset, 0 },
	{ "succeeded", t_success, 0 },
	{ "success", t_success, 0 },
	{ "superset", t_superset, 0 },
	{ "true", t_true, UF },
	{ "truthy", t_truthy, 0 },
	{ "undefined", t_undefined, TTEST_UNDEF_OK },
	{ "unreachable", t_unreachable, 0 },
	{ "upper", t_upper, UF },
	{ "version", t_version, 0 },
	{ "version_compare", t_version, 0 },
};

#undef UF

static int cmp_filter(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tfilter *)elem)->name);
}

static int cmp_test(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ttest *)elem)->name);
}

const struct tfilter *template_filter_find(const char *name)
{
	return bsearch(name, filters, ARRAY_SIZE(filters), sizeof(filters[0]),
		       cmp_filter);
}

const struct ttest *template_test_find(const char *name)
{
	return bsearch(name, tests, ARRAY_SIZE(tests), sizeof(tests[0]),
		       cmp_test);
}

int template_filter_apply(struct val **out, const char *name, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	const struct tfilter *f = template_filter_find(name);
	int error;

	if (!f)
		return tend_error_set("no filter named '%s'", name);
	if (!(f->flags & TFILTER_UNDEF_OK) && (error = template_need(in)) < 0)
		return error;
	return f->fn(out, in, a, c);
}

int template_test_apply(bool *out, const char *name, struct val *in,
			const struct targs *a, struct tctx *c)
{
	const struct ttest *t = template_test_find(name);

	if (!t)
		return tend_error_set("no test named '%s'", name);
	if (template_is_undef(in) && !(t->flags & TTEST_UNDEF_OK)) {
		*out = false;
		return t->flags & TTEST_UNDEF_FALSE ? 0 : template_need(in);
	}
	return t->fn(out, in, a, c);
}
