#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"
#include "tend/util/regex.h"

struct val *targs_get(const struct targs *a, size_t i, const char *name)
{
	if (i < a->npos)
		return a->pos[i];
	for (size_t k = 0; name && k < a->nkw; k++)
		if (!strcmp(a->kwname[k], name))
			return a->kw[k];
	return NULL;
}

int targs_str(const char **out, const struct targs *a, size_t i,
	      const char *name, const char *def, const char *who)
{
	struct val *v = targs_get(a, i, name);

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

int targs_int(long long *out, const struct targs *a, size_t i, const char *name,
	      long long def, const char *who)
{
	struct val *v = targs_get(a, i, name);

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

bool targs_bool(const struct targs *a, size_t i, const char *name, bool def)
{
	struct val *v = targs_get(a, i, name);

	return v ? truth_python(v) : def;
}

/* The re flags of a filter's ignorecase and multiline arguments. */
unsigned int targs_re_flags(const struct targs *a, size_t ignorecase_pos,
			    size_t multiline_pos)
{
	unsigned int f = 0;

	if (targs_bool(a, ignorecase_pos, "ignorecase", false))
		f |= REGEX_IGNORECASE;
	if (targs_bool(a, multiline_pos, "multiline", false))
		f |= REGEX_MULTILINE;
	return f;
}
