#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/modkit/facts_local.h"

#include <ctype.h>

/*
 * Local facts as Ansible reads them: JSON first, else INI as Python's
 * configparser reads it (sections; `key = value` or `key: value`; keys
 * lowercased; `#` and `;` comment lines; indented continuation lines;
 * DEFAULT's keys in every section; `%%` and `%(key)s` interpolation;
 * duplicates and keys outside a section are errors). A file that is
 * neither becomes Ansible's error string.
 */

struct ini {
	struct val *sections; /* name → dict */
	struct val *defaults;
};

static void strip(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* One line of an INI text; *cur is the section (NULL before the first) */
static int ini_line(struct ini *ini, struct val **cur, char **last,
		    const char *line, size_t n)
{
	const char *s = line;
	size_t len = n, k;
	char *key;

	strip(&s, &len);
	if (!len || *s == '#' || *s == ';')
		return 0;
	if (s != line && *last && *cur) { /* a continuation line */
		struct val *old = val_dict_get(*cur, *last);
		struct buf b = BUF_INIT;

		buf_adds(&b, val_cstr(old));
		buf_addch(&b, '\n');
		buf_add(&b, s, len);
		val_dict_set(*cur, *last, val_strn(b.ptr, b.len));
		buf_release(&b);
		return 0;
	}
	if (*s == '[' && s[len - 1] == ']' && len > 2) {
		char *name = xstrndup(s + 1, len - 2);

		free(*last);
		*last = NULL;
		if (!strcmp(name, "DEFAULT")) {
			*cur = ini->defaults;
		} else if (val_dict_get(ini->sections, name)) {
			free(name);
			return -1;
		} else {
			*cur = val_dict();
			val_dict_set(ini->sections, name, *cur);
		}
		free(name);
		return 0;
	}
	if (!*cur)
		return -1;
	k = strcspn(s, "=:");
	if (k >= len)
		return -1; /* no value: configparser's allow_no_value is off */
	{
		const char *kp = s, *vp = s + k + 1;
		size_t kl = k, vl = len - k - 1;

		strip(&kp, &kl);
		strip(&vp, &vl);
		key = xstrndup(kp, kl);
		for (char *c = key; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (val_dict_get(*cur, key)) {
			free(key);
			return -1;
		}
		val_dict_set(*cur, key, val_strn(vp, vl));
	}
	free(*last);
	*last = key;
	return 0;
}

/* configparser's BasicInterpolation of one value; < 0: an error */
static int interpolate(struct buf *out, const char *v, const struct val *sect,
		       const struct val *defaults, int depth, struct buf *err)
{
	if (depth > 10) {
		buf_addf(err, "Recursion limit exceeded in value substitution");
		return -1;
	}
	for (const char *p = v; *p; p++) {
		if (*p != '%') {
			buf_addch(out, *p);
		} else if (p[1] == '%') {
			buf_addch(out, '%');
			p++;
		} else if (p[1] == '(' && strstr(p, ")s")) {
			const char *e = strstr(p, ")s");
			char *name = xstrndup(p + 2, (size_t)(e - p - 2));
			const struct val *r;

			for (char *c = name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			r = val_dict_get(sect, name);
			if (!r)
				r = val_dict_get(defaults, name);
			if (!r) {
				buf_addf(err, "Bad value substitution: option "
					 "'%s' references missing key '%s'",
					 "?", name);
				free(name);
				return -1;
			}
			free(name);
			if (interpolate(out, val_cstr(r), sect, defaults,
					depth + 1, err) < 0)
				return -1;
			p = e + 1;
		} else {
			buf_addf(err, "'%%' must be followed by '%%' or '(', "
				 "found: '%s'", p);
			return -1;
		}
	}
	return 0;
}

static struct val *ini_facts(struct ini *ini, const char *path)
{
	struct val *fact = val_dict();
	struct buf err = BUF_INIT;

	for (size_t i = 0; i < ini->sections->u.dict.nr; i++) {
		const struct val *sect = ini->sections->u.dict.items[i].v;
		struct val *d = val_dict();
		const struct val *srcs[2] = { sect, ini->defaults };

		val_dict_set(fact, ini->sections->u.dict.items[i].key, d);
		for (int s = 0; s < 2; s++) {
			for (size_t k = 0; k < srcs[s]->u.dict.nr; k++) {
				const char *key = srcs[s]->u.dict.items[k].key;
				struct buf v = BUF_INIT;

				if (val_dict_get(d, key))
					continue;
				if (interpolate(&v, val_cstr(srcs[s]->u.dict.items[k].v),
						sect, ini->defaults, 0, &err) < 0) {
					buf_release(&v);
					val_unref(fact);
					fact = val_strf("Failed to convert (%s) to "
							"JSON: %s", path, err.ptr);
					buf_release(&err);
					return fact;
				}
				val_dict_set(d, key, val_strn(v.ptr ? v.ptr : "",
							      v.len));
				buf_release(&v);
			}
		}
	}
	buf_release(&err);
	return fact;
}

struct val *facts_local_parse(const char *path, const char *text)
{
	struct ini ini = { val_dict(), val_dict() };
	struct val *v = NULL, *cur = NULL;
	char *last = NULL;
	int bad = 0;

	if (!val_from_json(&v, text, strlen(text)))
		goto out;
	tend_error_clear();
	for (const char *p = text; *p && !bad;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		bad = ini_line(&ini, &cur, &last, p, n) < 0;
		p += n + (nl ? 1 : 0);
	}
	free(last);
	if (bad)
		v = val_strf("error loading facts as JSON or ini - please check "
			     "content: %s", path);
	else
		v = ini_facts(&ini, path);
out:
	val_unref(ini.sections);
	val_unref(ini.defaults);
	return v;
}
