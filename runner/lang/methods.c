#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/lang/methods_int.h"
#include "tend/lang/targs_int.h"
#include "tend/lang/value_int.h"
#include "tend/lang/filters_int.h"
#include "tend/data/val.h"

#include <ctype.h>

/* "{} {0} {name}".format(...), without format specs. */
static int py_format(struct val **out, const char *fmt, const struct targs *a)
{
	struct buf b = BUF_INIT;
	size_t auto_idx = 0;

	for (const char *p = fmt; *p; p++) {
		const char *close;
		struct val *v = NULL;

		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			buf_addch(&b, *p++);
			continue;
		}
		if (*p != '{') {
			buf_addch(&b, *p);
			continue;
		}
		if (!(close = strchr(p, '}'))) {
			buf_release(&b);
			return tend_error_set("single '{' encountered in format "
					      "string");
		}
		{
			size_t n = strcspn(p + 1, ":!}");
			char *field = xstrndup(p + 1, n);

			if (!*field) {
				if (auto_idx < a->npos)
					v = a->pos[auto_idx++];
			} else if (isdigit((unsigned char)field[0])) {
				size_t i = strtoul(field, NULL, 10);

				if (i < a->npos)
					v = a->pos[i];
			} else {
				v = targs_get(a, SIZE_MAX, field);
			}
			if (!v) {
				buf_release(&b);
				tend_error_set("format(): no argument for '{%s}'",
					       field);
				free(field);
				return -1;
			}
			free(field);
		}
		template_to_str(&b, v);
		p = close;
	}
	*out = template_str_result(&b);
	return 0;
}

/* str.startswith and str.endswith; the argument may be a tuple. */
static int str_affix(struct val **out, const char *s, size_t len,
		     const char *name, const struct targs *a)
{
	const struct val *p = a->npos ? a->pos[0] : NULL;
	bool hit = false;
	size_t n = p && p->type == VAL_LIST ? p->u.list.nr : 1;

	for (size_t k = 0; p && k < n && !hit; k++) {
		const struct val *x = p->type == VAL_LIST ?
					      p->u.list.items[k] : p;
		size_t xl = val_len(x);

		if (x->type != VAL_STR)
			return tend_error_set("%s arg must be str",
					      name);
		hit = xl <= len &&
		      !memcmp(name[0] == 's' ? s : s + len - xl,
			      x->u.s.ptr, xl);
	}
	if (!p)
		return tend_error_set("%s() takes an argument", name);
	*out = val_bool(hit);
	return 0;
}

/* str.find and str.count of the string arg0 (NULL: an error). */
static int str_find(struct val **out, const char *s, size_t len,
		    const char *name, const char *arg0)
{
	const char *hit;
	long long n = 0;

	if (!arg0)
		return tend_error_set("%s() takes a string", name);
	if (name[0] == 'f') {
		hit = memmem(s, len, arg0, strlen(arg0));
		*out = val_int(hit ? hit - s : -1);
		return 0;
	}
	for (size_t i = 0; *arg0 && i < len; n++) {
		hit = memmem(s + i, len - i, arg0, strlen(arg0));
		if (!hit)
			break;
		i = (size_t)(hit - s) + strlen(arg0);
	}
	if (!*arg0)
		n = (long long)len + 1;
	*out = val_int(n);
	return 0;
}

/* str.splitlines(): the lines, without their "\n", "\r\n" or "\r". */
static struct val *str_splitlines(const char *s, size_t len)
{
	struct val *l = val_list();
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != '\n' && s[j] != '\r')
			j++;
		val_list_push(l, val_strn(s + i, j - i));
		if (j < len && s[j] == '\r' && j + 1 < len &&
		    s[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	return l;
}

static int str_method(struct val **out, const struct val *obj,
		      const char *name, const struct targs *a)
{
	const char *s = obj->u.s.ptr;
	size_t len = obj->u.s.len;
	const char *arg0 = a->npos ? val_cstr(a->pos[0]) : NULL;
	struct buf b = BUF_INIT;

	if (!strcmp(name, "split") || !strcmp(name, "rsplit")) {
		struct val *m = targs_get(a, 1, "maxsplit");

		if (!strcmp(name, "rsplit") && m && m->type == VAL_INT &&
		    m->u.i >= 0)
			return tend_error_set("rsplit with maxsplit is not "
					      "supported");
		*out = template_py_split(s, len, arg0, m && m->type == VAL_INT ?
							m->u.i : -1);
		return 0;
	}
	if (!strcmp(name, "strip") || !strcmp(name, "lstrip") ||
	    !strcmp(name, "rstrip")) {
		*out = template_py_strip(obj, arg0, name[0] == 'l' ? -1 :
						    name[0] == 'r' ? 1 : 0);
		return 0;
	}
	if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
		for (size_t i = 0; i < len; i++)
			buf_addch(&b, (char)(name[0] == 'l' ?
					     tolower((unsigned char)s[i]) :
					     toupper((unsigned char)s[i])));
		*out = template_str_result(&b);
		return 0;
	}
	if (!strcmp(name, "startswith") || !strcmp(name, "endswith"))
		return str_affix(out, s, len, name, a);
	if (!strcmp(name, "replace")) {
		const char *to = a->npos > 1 ? val_cstr(a->pos[1]) : NULL;
		long long max = a->npos > 2 && a->pos[2]->type == VAL_INT ?
					a->pos[2]->u.i : -1;

		if (!arg0 || !to)
			return tend_error_set("replace() takes two strings");
		template_str_replace(&b, s, len, arg0, to, max);
		*out = template_str_result(&b);
		return 0;
	}
	if (!strcmp(name, "format"))
		return py_format(out, s, a);
	if (!strcmp(name, "join")) {
		const struct val *l = a->npos ? a->pos[0] : NULL;

		if (!l || l->type != VAL_LIST)
			return tend_error_set("join() takes a list");
		for (size_t i = 0; i < l->u.list.nr; i++) {
			if (i)
				buf_add(&b, s, len);
			template_to_str(&b, l->u.list.items[i]);
		}
		*out = template_str_result(&b);
		return 0;
	}
	if (!strcmp(name, "find") || !strcmp(name, "count"))
		return str_find(out, s, len, name, arg0);
	if (!strcmp(name, "isdigit") || !strcmp(name, "isalpha") ||
	    !strcmp(name, "isspace")) {
		bool ok = len > 0;

		for (size_t i = 0; i < len; i++)
			if (!(name[2] == 'd' ? isdigit((unsigned char)s[i]) :
			      name[2] == 'a' ? isalpha((unsigned char)s[i]) :
					       isspace((unsigned char)s[i])))
				ok = false;
		*out = val_bool(ok);
		return 0;
	}
	if (!strcmp(name, "capitalize") || !strcmp(name, "title"))
		return template_filter_apply(out, name, (struct val *)obj, a,
					     NULL);
	if (!strcmp(name, "splitlines")) {
		*out = str_splitlines(s, len);
		return 0;
	}
	return tend_error_set("'str object' has no attribute '%s'", name);
}

static int dict_method(struct val **out, const struct val *obj,
		       const char *name, const struct targs *a)
{
	if (!strcmp(name, "keys") || !strcmp(name, "values") ||
	    !strcmp(name, "items")) {
		struct val *l = val_list();

		for (size_t i = 0; i < obj->u.dict.nr; i++) {
			const struct val_pair *pr = &obj->u.dict.items[i];

			if (name[0] == 'k') {
				val_list_push(l, val_str(pr->key));
			} else if (name[0] == 'v') {
				val_list_push(l, val_ref(pr->v));
			} else {
				struct val *t = val_list();

				t->flags |= VAL_F_TUPLE;
				val_list_push(t, val_str(pr->key));
				val_list_push(t, val_ref(pr->v));
				val_list_push(l, t);
			}
		}
		*out = l;
		return 0;
	}
	if (!strcmp(name, "get")) {
		struct val *v;
		struct buf k = BUF_INIT;

		if (!a->npos)
			return tend_error_set("get() takes a key");
		template_to_str(&k, a->pos[0]);
		v = val_dict_get(obj, k.ptr);
		buf_release(&k);
		*out = v ? val_ref(v) :
			   a->npos > 1 ? val_ref(a->pos[1]) : val_null();
		return 0;
	}
	if (!strcmp(name, "copy")) {
		*out = val_copy(obj);
		return 0;
	}
	return tend_error_set("'dict object' has no attribute '%s'", name);
}

static int list_method(struct val **out, const struct val *obj,
		       const char *name, const struct targs *a)
{
	if ((!strcmp(name, "index") || !strcmp(name, "count")) && a->npos) {
		long long n = 0;

		for (size_t i = 0; i < obj->u.list.nr; i++) {
			if (!val_equal(obj->u.list.items[i], a->pos[0]))
				continue;
			if (name[0] == 'i') {
				*out = val_int((long long)i);
				return 0;
			}
			n++;
		}
		if (name[0] == 'i') {
			struct buf r = BUF_INIT;

			val_to_repr(&r, a->pos[0]);
			tend_error_set("%s is not in list", r.ptr);
			buf_release(&r);
			return -1;
		}
		*out = val_int(n);
		return 0;
	}
	return tend_error_set("'list object' has no attribute '%s'", name);
}

int methods_call(struct val **out, const struct val *obj, const char *name,
		 const struct targs *a)
{
	switch (obj->type) {
	case VAL_STR:
		return str_method(out, obj, name, a);
	case VAL_DICT:
		return dict_method(out, obj, name, a);
	case VAL_LIST:
		return list_method(out, obj, name, a);
	default:
		return tend_error_set("'%s object' has no attribute '%s'",
				      template_type_name(obj), name);
	}
}
