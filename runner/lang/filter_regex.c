#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"

#include <ctype.h>

/*
 * Regular expressions: Python's re through tend/regex.h. The subject is
 * Python's str of the value; patterns are str patterns.
 */

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
	struct val *s = template_str_of(in);
	struct regex *re = NULL;
	struct buf b = BUF_INIT;
	long long count;
	int error;

	(void)c;
	if ((error = targs_str(&pattern, a, 0, "pattern", "",
			       "regex_replace")) < 0 ||
	    (error = targs_str(&repl, a, 1, "replacement", "",
			       "regex_replace")) < 0 ||
	    (error = targs_int(&count, a, 4, "count", 0,
			       "regex_replace")) < 0 ||
	    (error = regex_compile(&re, pattern, targs_re_flags(a, 2, 3))) < 0)
		goto out;
	/* Python's re.sub makes no replacement for a negative count */
	if (count < 0)
		buf_add(&b, s->u.s.ptr, s->u.s.len);
	else if ((error = regex_sub(&b, NULL, re, repl, s->u.s.ptr,
				    s->u.s.len, (size_t)count)) < 0)
		goto out;
	*out = template_str_result(&b);
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
	struct val *s = template_str_of(in), *list = NULL;
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	struct search_ref *refs = NULL;
	size_t g;
	int error;

	(void)c;
	if ((error = targs_str(&pattern, a, 0, "pattern", NULL,
			       "regex_search")) < 0)
		goto out;
	refs = xcalloc(a->npos, sizeof(*refs));
	for (size_t i = 1; i < a->npos; i++)
		if ((error = search_ref_parse(&refs[i], a->pos[i])) < 0)
			goto out;
	if ((error = regex_compile(&re, pattern,
				   targs_re_flags(a, SIZE_MAX,
						  SIZE_MAX))) < 0 ||
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
	struct val *s = template_str_of(in), *list = val_list();
	struct val *empty = val_str("");
	struct regex *re = NULL;
	struct regex_match m = REGEX_MATCH_INIT;
	struct regex_iter it;
	size_t ng;
	int error;

	(void)c;
	if ((error = targs_str(&pattern, a, 0, "pattern", NULL,
			       "regex_findall")) < 0 ||
	    (error = regex_compile(&re, pattern, targs_re_flags(a, 2, 1))) < 0)
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
	struct val *s = template_str_of(in);
	struct regex *re = NULL;
	struct buf b = BUF_INIT;
	int error;

	(void)c;
	if ((error = targs_str(&type, a, 0, "re_type", "python",
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
	*out = template_str_result(&b);
out:
	buf_release(&b);
	regex_free(re);
	val_unref(s);
	return error;
}

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "regex_escape", f_regex_escape, 0 },
	{ "regex_findall", f_regex_findall, 0 },
	{ "regex_replace", f_regex_replace, 0 },
	{ "regex_search", f_regex_search, 0 },
};

const struct filter_family filter_regex_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
