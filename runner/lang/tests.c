#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/lang/eval_int.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <math.h>
#include <math.h>

/*
 * The tests of Jinja2 and Ansible (`x is defined`, `r is failed`,
 * `v is version('2', '>=')` ...), in one family.
 */

static int t_defined(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	*out = !template_is_undef(in);
	return 0;
}

/*
 * callable(): no data value is; Jinja's Undefined is (it has __call__),
 * and so is what tend reads as undefined where Python has a function
 * (range, lookup, a str's method).
 */
static int t_callable(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	(void)a;
	(void)c;
	*out = template_is_undef(in);
	return 0;
}

static int t_escaped(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	*out = template_is_markup(in);
	return 0;
}

static int t_nan(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	*out = in->type == VAL_FLOAT && isnan(in->u.f);
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
	struct val *other = targs_get(a, 0, "other");

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
	struct val *other = targs_get(a, 0, "other");

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
	struct val *dv = targs_get(a, 0, "num");
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
	if (targs_bool(a, 0, "convert_bool", false)) {
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
		*out = template_list_has(seq, v, false);
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
	struct val *seq = targs_get(a, 0, "seq");

	(void)c;
	if (!seq)
		return tend_error_set("test 'in' needs an argument");
	return seq_contains(out, seq, in);
}

static int t_contains(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *v = targs_get(a, 0, "value");

	(void)c;
	if (!v)
		return tend_error_set("test 'contains' needs an argument");
	return seq_contains(out, in, v);
}

static int subset_of(bool *out, const struct val *small, const struct val *big)
{
	struct val *si, *bi;
	int error;

	if ((error = template_items_of(&si, small, "subset")) < 0)
		return error;
	if ((error = template_items_of(&bi, big, "subset")) < 0) {
		val_unref(si);
		return error;
	}
	*out = true;
	for (size_t i = 0; i < si->u.list.nr && *out; i++)
		*out = template_list_has(bi, si->u.list.items[i], false);
	val_unref(si);
	val_unref(bi);
	return 0;
}

static int t_subset(bool *out, struct val *in, const struct targs *a,
		    struct tctx *c)
{
	struct val *b = targs_get(a, 0, "b");

	(void)c;
	if (!b)
		return tend_error_set("test 'subset' needs an argument");
	return subset_of(out, in, b);
}

static int t_superset(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	struct val *b = targs_get(a, 0, "b");

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

	if ((error = targs_str(&pattern, a, 0, "pattern", "", def_type)) < 0 ||
	    (error = targs_str(&type, a, 3, "match_type", def_type,
			       def_type)) < 0)
		return error;
	for (t = 0; t < ARRAY_SIZE(types); t++)
		if (!strcmp(types[t].name, type))
			break;
	if (t == ARRAY_SIZE(types))
		return tend_error_set("regex: match_type '%s' is not supported "
				      "(search, match or fullmatch)", type);
	if ((error = regex_compile(&re, pattern, targs_re_flags(a, 1, 2))) < 0)
		goto out;
	s = template_str_of(in);
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

/*
 * A result without `changed` (some modules give only `results`) is
 * changed if one of its results is.
 */
static int t_changed(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	struct val *rs;
	int error;

	(void)a;
	(void)c;
	if ((error = result_flag(out, in, "changed", "changed")) < 0 ||
	    val_dict_get(in, "changed"))
		return error;
	rs = val_dict_get(in, "results");
	if (!rs || rs->type != VAL_LIST)
		return 0;
	if (!rs->u.list.nr)
		return tend_error_set("the 'changed' test: list index out of "
				      "range (an empty 'results')");
	if (rs->u.list.items[0]->type != VAL_DICT)
		return 0;
	for (size_t i = 0; i < rs->u.list.nr && !*out; i++)
		if (rs->u.list.items[i]->type == VAL_DICT) {
			struct val *ch = val_dict_get(rs->u.list.items[i],
						      "changed");

			*out = ch && truth_python(ch);
		}
	return 0;
}

/*
 * Async results: `started` / `finished` are 0 or 1 there; a result of
 * a task that was not async counts as started and finished (Ansible
 * warns, and says the same).
 */
static int async_flag(bool *out, const struct val *in, const char *key)
{
	struct val *v;

	if (in->type != VAL_DICT)
		return tend_error_set("The '%s' test expects a dictionary", key);
	v = val_dict_get(in, key);
	*out = !v || (v->type == VAL_INT && v->u.i == 1) ||
	       (v->type == VAL_BOOL && v->u.b) ||
	       (v->type == VAL_FLOAT && v->u.f == 1.0);
	return 0;
}

static int t_started(bool *out, struct val *in, const struct targs *a,
		     struct tctx *c)
{
	(void)a;
	(void)c;
	return async_flag(out, in, "started");
}

static int t_finished(bool *out, struct val *in, const struct targs *a,
		      struct tctx *c)
{
	(void)a;
	(void)c;
	return async_flag(out, in, "finished");
}

/* Python's any() / all() over the items: each by its truth. */
static int any_all(bool *out, struct val *in, bool want_all)
{
	struct val *items;
	int error;

	if ((error = template_items_of(&items, in, want_all ? "all" : "any"))
	    < 0)
		return error;
	*out = want_all;
	for (size_t i = 0; i < items->u.list.nr; i++)
		if (truth_python(items->u.list.items[i]) != want_all) {
			*out = !want_all;
			break;
		}
	val_unref(items);
	return 0;
}

static int t_any(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	return any_all(out, in, false);
}

static int t_all(bool *out, struct val *in, const struct targs *a,
		 struct tctx *c)
{
	(void)a;
	(void)c;
	return any_all(out, in, true);
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
 * Loose versions (Ansible's LooseVersion, from distutils): the string
 * splits into runs of digits (numbers), runs of a-z, and whatever lies
 * between them (dots dropped); the lists compare as Python lists do, so
 * a number against a string where they first differ is an error, as it
 * is in Ansible (for == too: LooseVersion orders them).
 */
struct vpart {
	const char *s;
	size_t len;
	bool num;
	unsigned long long n;
};

static const char *next_vpart(struct vpart *p, const char *s)
{
	while (*s) {
		const char *b = s;

		if (isdigit((unsigned char)*s)) {
			while (isdigit((unsigned char)*s))
				s++;
		} else if (*s >= 'a' && *s <= 'z') {
			while (*s >= 'a' && *s <= 'z')
				s++;
		} else if (*s == '.') {
			s++;
			continue;
		} else {
			while (*s && *s != '.' && !isdigit((unsigned char)*s) &&
			       !(*s >= 'a' && *s <= 'z'))
				s++;
		}
		p->s = b;
		p->len = (size_t)(s - b);
		p->num = isdigit((unsigned char)*b);
		p->n = p->num ? strtoull(b, NULL, 10) : 0;
		return s;
	}
	return NULL;
}

static int vpart_cmp(const struct vpart *a, const struct vpart *b)
{
	int r;

	if (a->num)
		return a->n < b->n ? -1 : a->n > b->n;
	r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	if (r)
		return r < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

/*
 * *out: <0, 0, >0. *mixed is set when the first difference is a number
 * against a string: Python cannot order them.
 */
static void version_cmp(int *out, bool *mixed, const char *a, const char *b)
{
	struct vpart pa, pb;

	*mixed = false;
	for (;;) {
		const char *na = next_vpart(&pa, a), *nb = next_vpart(&pb, b);

		if (!na || !nb) {
			*out = na ? 1 : nb ? -1 : 0;
			return;
		}
		if (pa.num != pb.num) {
			*mixed = true;
			*out = 1;
			return;
		}
		if ((*out = vpart_cmp(&pa, &pb)))
			return;
		a = na;
		b = nb;
	}
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
	struct val *v = targs_get(a, 0, "version"), *mine, *theirs;
	bool mixed;
	int error, cmp;

	(void)c;
	if ((error = targs_str(&op, a, 1, "operator", "eq", "version")) < 0)
		return error;
	if (!v)
		return tend_error_set("test 'version' needs a version");
	if (!truth_python(in))
		return tend_error_set("Input version value cannot be empty");
	if (!truth_python(v))
		return tend_error_set("Version parameter to compare against "
				      "cannot be empty");
	mine = template_str_of(in);
	theirs = template_str_of(v);
	version_cmp(&cmp, &mixed, mine->u.s.ptr, theirs->u.s.ptr);
	val_unref(mine);
	val_unref(theirs);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (strcmp(ops[i].name, op))
			continue;
		/* LooseVersion's _cmp orders the lists even for == */
		if (mixed)
			return tend_error_set("Version comparison failed: '<' "
					      "not supported between instances "
					      "of 'str' and 'int'");
		*out = cmp < 0 ? ops[i].lt : cmp > 0 ? ops[i].gt : ops[i].eq;
		return 0;
	}
	return tend_error_set("invalid operator '%s' for version test", op);
}

#define UF TTEST_UNDEF_FALSE

/* Sorted by name (strcmp order): template_test_find() bisects. */
static const struct ttest tests[] = {
	{ "!=", t_ne, 0 },
	{ "<", t_lt, 0 },
	{ "<=", t_le, 0 },
	{ "==", t_eq, 0 },
	{ ">", t_gt, 0 },
	{ ">=", t_ge, 0 },
	{ "all", t_all, 0 },
	{ "any", t_any, 0 },
	{ "boolean", t_boolean, UF },
	{ "callable", t_callable, TTEST_UNDEF_OK },
	{ "change", t_changed, 0 },
	{ "changed", t_changed, 0 },
	{ "contains", t_contains, 0 },
	{ "defined", t_defined, TTEST_UNDEF_OK },
	{ "divisibleby", t_divisibleby, 0 },
	{ "eq", t_eq, 0 },
	{ "equalto", t_eq, 0 },
	{ "escaped", t_escaped, 0 },
	{ "even", t_even, 0 },
	{ "failed", t_failed, 0 },
	{ "failure", t_failed, 0 },
	{ "false", t_false, UF },
	{ "falsy", t_falsy, 0 },
	{ "finished", t_finished, 0 },
	{ "float", t_float, UF },
	{ "ge", t_ge, 0 },
	{ "greaterthan", t_gt, 0 },
	{ "gt", t_gt, 0 },
	{ "in", t_in, 0 },
	{ "integer", t_integer, UF },
	{ "issubset", t_subset, 0 },
	{ "issuperset", t_superset, 0 },
	{ "iterable", t_iterable, 0 },
	{ "le", t_le, 0 },
	{ "lessthan", t_lt, 0 },
	{ "lower", t_lower, UF },
	{ "lt", t_lt, 0 },
	{ "mapping", t_mapping, UF },
	{ "match", t_match, 0 },
	{ "nan", t_nan, 0 },
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
	{ "started", t_started, 0 },
	{ "string", t_string, UF },
	{ "subset", t_subset, 0 },
	{ "succeeded", t_success, 0 },
	{ "success", t_success, 0 },
	{ "successful", t_success, 0 },
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

const struct filter_family tests_family = {
	.tests = tests,
	.ntests = ARRAY_SIZE(tests),
};
