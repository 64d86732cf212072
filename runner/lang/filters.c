#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/lang/filters_int.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/datetime_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

/*
 * Filters and tests by name. This file holds the filters of Jinja's own
 * (default, mandatory, ternary, and map, select, reject and friends,
 * which apply other filters and tests by name), the tests `filter` and
 * `test`, and the list of every
 * family (filter_int.h) that template_filter_find() and
 * template_test_find() search.
 */

static int f_default(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *def = targs_get(a, 0, "default_value");

	(void)c;
	if (template_is_undef(in) ||
	    (targs_bool(a, 1, "boolean", false) && !truth_python(in)))
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
	if ((error = targs_str(&msg, a, 0, "msg", "", "mandatory")) < 0)
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

static int f_ternary(struct val **out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *t = targs_get(a, 0, "true_val");
	struct val *f = targs_get(a, 1, "false_val");
	struct val *none = targs_get(a, 2, "none_val");

	(void)c;
	if (none && in->type == VAL_NULL)
		*out = val_ref(none);
	else if (truth_python(in))
		*out = t ? val_ref(t) : val_null();
	else
		*out = f ? val_ref(f) : val_null();
	return 0;
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
	struct val *items, *l, *attr = targs_get(a, SIZE_MAX, "attribute");
	struct val *def = targs_get(a, SIZE_MAX, "default");
	const char *name = NULL;
	struct targs rest;
	int error;

	if (!attr &&
	    (error = targs_str(&name, a, 0, "filter", NULL, "map")) < 0)
		return error;
	if (attr && attr->type != VAL_STR)
		return tend_error_set("map: attribute must be a string");
	if ((error = template_items_of(&items, in, "map")) < 0)
		return error;
	shift_args(&rest, a, 1);
	l = val_list();
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v;

		if (attr) {
			template_get_path(&v, items->u.list.items[i],
					  attr->u.s.ptr);
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

	if (by_attr && (error = targs_str(&attr, a, 0, "attribute", NULL,
					  "selectattr")) < 0)
		return error;
	if (a->npos >= skip &&
	    (error = targs_str(&test, a, skip - 1, NULL, NULL, "select")) < 0)
		return error;
	if ((error = template_items_of(&items, in, "select")) < 0)
		return error;
	shift_args(&rest, a, skip);
	l = val_list();
	for (size_t i = 0; i < items->u.list.nr && !error; i++) {
		struct val *v = items->u.list.items[i], *subject = v;
		bool t = false;

		if (attr)
			template_get_path(&subject, v, attr);
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

/*
 * `name is filter` / `is test`: Ansible finds names in its plugins and
 * collections, and a name it cannot load is an error, never false. tend
 * answers true for its own names and refuses the others.
 */
static int known_name(bool *out, struct val *in, bool test)
{
	const char *kind = test ? "test" : "filter", *name;

	if (in->type != VAL_STR)
		return tend_error_set("%s: the name must be a string, not %s",
				      kind, template_type_name(in));
	name = in->u.s.ptr;
	if (!strncmp(name, "ansible.builtin.", 16))
		name += 16;
	else if (!strncmp(name, "ansible.legacy.", 15))
		name += 15;
	*out = test ? template_test_find(name) != NULL :
		      template_filter_find(name) != NULL;
	if (!*out)
		return tend_error_set("could not load %s '%s': tend has no %s "
				      "of that name", kind, in->u.s.ptr, kind);
	return 0;
}

static int t_filter(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	(void)a;
	(void)c;
	return known_name(out, in, false);
}

static int t_test(bool *out, struct val *in, const struct targs *a,
		  struct tctx *c)
{
	(void)a;
	(void)c;
	return known_name(out, in, true);
}

/* Sorted by name (strcmp order): template_filter_find() bisects. */
static const struct tfilter filters[] = {
	{ "d", f_default, TFILTER_UNDEF_OK | TFILTER_MARKUP_OK },
	{ "default", f_default, TFILTER_UNDEF_OK | TFILTER_MARKUP_OK },
	{ "mandatory", f_mandatory, TFILTER_UNDEF_OK | TFILTER_MARKUP_OK },
	{ "map", f_map, 0 },
	{ "reject", f_reject, 0 },
	{ "rejectattr", f_rejectattr, 0 },
	{ "select", f_select, 0 },
	{ "selectattr", f_selectattr, 0 },
	{ "ternary", f_ternary, 0 },
};

/* The tests of names, here beside the families they search. */
static const struct ttest tests[] = {
	{ "filter", t_filter, 0 },
	{ "test", t_test, 0 },
};

static const struct filter_family filters_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
	.tests = tests,
	.ntests = ARRAY_SIZE(tests),
};

/* Each name is in one family only, so the order here does not matter. */
static const struct filter_family *const families[] = {
	&filters_family,     &filter_str_family,  &filter_num_family,
	&filter_list_family, &filter_iter_family, &filter_data_family,
	&filter_path_family, &filter_url_family,  &filter_regex_family,
	&filter_crypt_family, &filter_os_family,  &filter_html_family,
	&filter_text_family, &filter_seq_family,  &tests_family,
	&tests_path_family,  &filter_ip_family,   &filter_iprange_family,
	&tests_ip_family,
};

static int cmp_filter(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tfilter *)elem)->name);
}

static int cmp_test(const void *key, const void *elem)
{
	return strcmp(key, ((const struct ttest *)elem)->name);
}

/*
 * A collection's name for a filter or test ("ansible.utils.ipaddr",
 * "community.general.json_query") means tend's of the last part, as the
 * parser reads it in an expression.
 */
static const char *plain_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

const struct tfilter *template_filter_find(const char *name)
{
	const struct tfilter *f = NULL;

	name = plain_name(name);
	for (size_t i = 0; i < ARRAY_SIZE(families) && !f; i++)
		if (families[i]->nfilters)
			f = bsearch(name, families[i]->filters,
				    families[i]->nfilters, sizeof(*f),
				    cmp_filter);
	return f;
}

/*
 * Ansible's filters that tend knows by name and refuses, with why: the
 * parser says so rather than "no filter named".
 */
static const struct refused_filter {
	const char *name;
	const char *why;
} refused_filters[] = {
	{ "fileglob", "Python's glob.glob lists files in the order the "
		      "directory holds them, which tend cannot repeat (the "
		      "fileglob lookup gives them sorted)" },
};

const char *template_filter_refused(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(refused_filters); i++)
		if (!strcmp(name, refused_filters[i].name))
			return refused_filters[i].why;
	return NULL;
}

/*
 * The filter (tests: the test) nearest to `name`, or NULL: "did you
 * mean" offers only a name of the same kind.
 */
const char *template_name_guess(const char *name, bool test)
{
	const char **names = NULL;
	const char *guess = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		size_t k = test ? families[i]->ntests : families[i]->nfilters;

		for (size_t j = 0; j < k; j++) {
			ALLOC_GROW(names, n + 2, alloc);
			names[n++] = test ? families[i]->tests[j].name :
				     families[i]->filters[j].name;
		}
	}
	if (names) {
		names[n] = NULL;
		guess = did_you_mean(name, names);
	}
	free(names);
	return guess;
}

const struct ttest *template_test_find(const char *name)
{
	const struct ttest *t = NULL;

	name = plain_name(name);
	for (size_t i = 0; i < ARRAY_SIZE(families) && !t; i++)
		if (families[i]->ntests)
			t = bsearch(name, families[i]->tests,
				    families[i]->ntests, sizeof(*t), cmp_test);
	return t;
}

int template_filter_takes(const struct tfilter *f, const struct val *in)
{
	int error = 0;

	if (!(f->flags & TFILTER_UNDEF_OK))
		error = template_need(in);
	if (!error && (f->flags & TFILTER_WHOLE))
		error = template_need_deep(in);
	if (!error && !(f->flags & TFILTER_MARKUP_OK))
		error = template_markup_refuse(in, f->name);
	return error;
}

struct val *template_filter_text(const struct tfilter *f, struct val *out)
{
	struct val *t;

	if (!(f->flags & TFILTER_TEXT) || !val_is(out, VAL_STR) ||
	    template_is_undef(out))
		return out;
	/* a new string: the filter may give back its input itself */
	t = val_strn(out->u.s.ptr, out->u.s.len);
	t->flags = out->flags | TEMPLATE_F_TEXT;
	t->pos = out->pos;
	val_unref(out);
	return t;
}

int template_filter_apply(struct val **out, const char *name, struct val *in,
			  const struct targs *a, struct tctx *c)
{
	const struct tfilter *f = template_filter_find(name);
	int error;

	if (!f)
		return tend_error_set("no filter named '%s'", name);
	if ((error = template_filter_takes(f, in)) < 0)
		return error;
	if (template_is_time(in))
		return datetime_filter(out, name, in);
	if ((error = f->fn(out, in, a, c)) < 0)
		return error;
	/* Ansible keeps the text of the names as written, unqualified */
	if (!strchr(name, '.'))
		*out = template_filter_text(f, *out);
	/* map('e') and friends: a list of Markup prints as Markup('...') */
	if ((error = template_markup_refuse(*out, name)) < 0) {
		val_unref(*out);
		*out = NULL;
	}
	return error;
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
	if (template_is_time(in) && !(t->flags & TTEST_UNDEF_OK))
		return tend_error_set("tend does not support the test '%s' on "
				      "a %s", name, template_type_name(in));
	return t->fn(out, in, a, c);
}
