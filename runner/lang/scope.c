/*
 * The scope chain: variables, the base directory and the read limits,
 * each the first one found from the innermost scope out.
 */

#include "tend/common.h"
#include "tend/lang/template.h"
#include "tend/lang/scope_int.h"

const struct val *scope_get(const struct scope *s, const char *name)
{
	for (; s; s = s->parent) {
		const struct val *v = val_dict_get(s->vars, name);

		if (v)
			return v;
	}
	return NULL;
}

const char *scope_basedir(const struct scope *s)
{
	for (; s; s = s->parent)
		if (s->basedir)
			return s->basedir;
	return NULL;
}

const struct fs_limits *scope_limits(const struct scope *s)
{
	static const struct fs_limits none = { NULL, false };

	for (; s; s = s->parent)
		if (s->limits)
			return s->limits;
	return &none;
}
