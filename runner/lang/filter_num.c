#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <math.h>

/*
 * Filters of numbers and types: the conversions int, float, string and
 * bool, abs, round, type_debug.
 */

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
	if ((error = targs_int(&def, a, 0, "default", 0, "int")) < 0 ||
	    (error = targs_int(&base, a, 1, "base", 10, "int")) < 0)
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
	struct val *defv = targs_get(a, 0, "default");
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
	/* Ansible's string filter gives a plain str of Markup too */
	if (template_is_markup(in))
		*out = val_strn(in->u.s.ptr, in->u.s.len);
	else
		*out = template_str_of(in);
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
	if ((error = targs_int(&prec, a, 0, "precision", 0, "round")) < 0 ||
	    (error = targs_str(&method, a, 1, "method", "common", "round")) < 0)
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

/* Sorted by name (strcmp order): filters.c bisects. */
static const struct tfilter filters[] = {
	{ "abs", f_abs, 0 },
	{ "bool", f_bool, 0 },
	{ "float", f_float, 0 },
	{ "int", f_int, 0 },
	{ "round", f_round, 0 },
	{ "string", f_string, TFILTER_MARKUP_OK },
	{ "type_debug", f_type_debug, 0 },
};

const struct filter_family filter_num_family = {
	.filters = filters,
	.nfilters = ARRAY_SIZE(filters),
};
