#include "tend/common.h"
#include "tend/modkit/deb822.h"
#include <ctype.h>

/*
 * The text of a deb822 .sources file as Ansible's deb822_repository
 * writes it (ansible-core 2.15 and later): its params, sorted by name,
 * each turned into one field of one python-debian Deb822 paragraph.
 */

/* The args that become fields, in sorted order (Python's sorted()). */
static const char *const fields[] = {
	"allow_downgrade_to_insecure", "allow_insecure", "allow_weak",
	"architectures", "by_hash", "check_date", "check_valid_until",
	"components", "date_max_future", "enabled", "inrelease_path",
	"languages", "name", "pdiffs", "signed_by", "suites", "targets",
	"trusted", "types", "uris", NULL,
};

/* Python's str.isspace() over ASCII */
static bool py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Python's str.splitlines() boundaries over ASCII */
static bool py_linebreak(unsigned char c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       (c >= 0x1c && c <= 0x1e);
}

void deb822_slug(struct buf *out, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	while (*p) {
		if (*p == '_' || py_space(*p)) {
			while (*p == '_' || py_space(*p))
				p++;
			buf_addch(out, '-');
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-')
			buf_addch(out, (char)*p);
		else if (*p >= 'A' && *p <= 'Z')
			buf_addch(out, (char)(*p - 'A' + 'a'));
		p++;
	}
}

bool deb822_has_scheme(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	bool first = true;

	while (*p && *p <= ' ')
		p++;
	for (; *p; p++) {
		if (*p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (*p == ':')
			return !first;
		if (first && !isalpha(*p))
			return false;
		if (!isalnum(*p) && *p != '+' && *p != '-' && *p != '.')
			return false;
		if (*p >= 0x80)
			return false;
		first = false;
	}
	return false;
}

void deb822_field_name(struct buf *out, const char *arg)
{
	bool up = true;

	if (!strcmp(arg, "name")) {
		buf_adds(out, "X-Repolib-Name");
		return;
	}
	if (!strcmp(arg, "uris")) {
		buf_adds(out, "URIs");
		return;
	}
	/* Python's str.title() after '_' -> '-' */
	for (; *arg; arg++) {
		char c = *arg == '_' ? '-' : *arg;

		if (isalpha((unsigned char)c)) {
			buf_addch(out, (char)(up ? toupper((unsigned char)c) :
					      tolower((unsigned char)c)));
			up = false;
		} else {
			buf_addch(out, c);
			up = true;
		}
	}
}

/* The value as Ansible formats it before Deb822 sees it. */
static void field_value(struct buf *out, const struct val *v)
{
	if (val_is(v, VAL_BOOL)) {
		buf_adds(out, v->u.b ? "yes" : "no");
	} else if (val_is(v, VAL_LIST)) {
		for (size_t i = 0; i < val_len(v); i++) {
			if (i)
				buf_addch(out, ' ');
			val_to_text(out, val_list_at(v, i));
		}
	} else {
		val_to_text(out, v);
	}
}

/*
 * A value with a "\n" in it: Ansible's format_multiline, each line of
 * the stripped value stripped and indented, "." for an empty one.
 */
static void add_multiline(struct buf *out, const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end && py_space((unsigned char)*s))
		s++;
	while (end > s && py_space((unsigned char)end[-1]))
		end--;
	while (s < end) {
		const char *e = s, *a, *b;

		while (e < end && !py_linebreak((unsigned char)*e))
			e++;
		for (a = s; a < e && py_space((unsigned char)*a); a++)
			;
		for (b = e; b > a && py_space((unsigned char)b[-1]); b--)
			;
		buf_adds(out, "\n    ");
		if (a == b)
			buf_addch(out, '.');
		else
			buf_add(out, a, (size_t)(b - a));
		/* "\r\n" is one line break */
		if (e + 1 < end && e[0] == '\r' && e[1] == '\n')
			e++;
		s = e + 1;
	}
}

void deb822_render(struct buf *out, const struct val *args,
		   const char *signed_by)
{
	struct buf v = BUF_INIT;

	for (size_t i = 0; fields[i]; i++) {
		const struct val *a = val_dict_get(args, fields[i]);

		buf_reset(&v);
		if (!strcmp(fields[i], "signed_by")) {
			if (!signed_by)
				continue;
			buf_adds(&v, signed_by);
		} else if ((!a || val_is(a, VAL_NULL)) &&
			   !strcmp(fields[i], "types")) {
			/* the one default of the fields */
			buf_adds(&v, "deb");
		} else if (!a || val_is(a, VAL_NULL)) {
			continue;
		} else {
			field_value(&v, a);
		}
		deb822_field_name(out, fields[i]);
		buf_addch(out, ':');
		if (memchr(v.ptr, '\n', v.len))
			add_multiline(out, v.ptr, v.len);
		else if (v.len)
			buf_addf(out, " %s", v.ptr);
		buf_addch(out, '\n');
	}
	buf_release(&v);
}
