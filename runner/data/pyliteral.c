#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/pyliteral.h"

#include <ctype.h>

/*
 * Python's ast.literal_eval (data/pyliteral.h): numbers, strings,
 * True/False/None, lists, tuples and dicts; with json_names also true,
 * false and null.
 */
struct lit {
	const char *p;
	int depth;
	bool json_names;
};

static struct val *lit_value(struct lit *l);

static bool is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static void lit_ws(struct lit *l)
{
	for (;;) {
		if (*l->p == ' ' || *l->p == '\t' || *l->p == '\f' ||
		    *l->p == '\r' || *l->p == '\n') {
			l->p++;
		} else if (*l->p == '\\' && l->p[1] == '\n') {
			l->p += 2;
		} else if (*l->p == '#') {
			while (*l->p && *l->p != '\n')
				l->p++;
		} else {
			return;
		}
	}
}

/* Digits of `base` with single underscores between them; false if none. */
static bool lit_digits(struct lit *l, struct buf *out, int base)
{
	const char *p = l->p;
	bool any = false;

	for (;;) {
		int c = (unsigned char)*p;
		bool ok = base == 16 ? isxdigit(c) :
					     (c >= '0' && c < '0' + base);

		if (ok) {
			buf_addch(out, c);
			any = true;
			p++;
		} else if (c == '_' && any && p[1] && p[1] != '_') {
			p++;
		} else {
			break;
		}
	}
	if (!any || p[-1] == '_')
		return false;
	l->p = p;
	return true;
}

static struct val *lit_number(struct lit *l, bool negative)
{
	struct buf b = BUF_INIT;
	struct val *v = NULL;
	const char *start = l->p;
	bool is_float = false;
	int base = 10;
	char *end;

	if (negative)
		buf_addch(&b, '-');
	if (l->p[0] == '0' && strchr("xXoObB", l->p[1]) && l->p[1]) {
		base = strchr("xX", l->p[1]) ? 16 :
		       strchr("oO", l->p[1]) ? 8 : 2;
		l->p += 2;
		if (*l->p == '_')
			l->p++;
		if (!lit_digits(l, &b, base))
			goto out;
	} else {
		if (*l->p != '.' && !lit_digits(l, &b, 10))
			goto out;
		if (*l->p == '.') {
			is_float = true;
			buf_addch(&b, '.');
			l->p++;
			if (isdigit((unsigned char)*l->p) &&
			    !lit_digits(l, &b, 10))
				goto out;
		}
		if (*l->p == 'e' || *l->p == 'E') {
			is_float = true;
			buf_addch(&b, 'e');
			l->p++;
			if (*l->p == '+' || *l->p == '-')
				buf_addch(&b, *l->p++);
			if (!lit_digits(l, &b, 10))
				goto out;
		}
		if (!is_float && start[0] == '0') {
			/* "0644" is a syntax error in Python 3; "00" is 0 */
			for (const char *q = start; q < l->p; q++)
				if (*q != '0' && *q != '_')
					goto out;
		}
	}
	if (is_ident_char((unsigned char)*l->p) || *l->p == '.')
		goto out; /* 1abc, 1j (complex), 1.2.3 */
	errno = 0;
	if (is_float) {
		double f = strtod(b.ptr, &end);

		if (!*end)
			v = val_float(f);
	} else {
		const char *digits = b.ptr + (negative ? 1 : 0);
		unsigned long long u = strtoull(digits, &end, base);
		unsigned long long max = LLONG_MAX;

		max += negative;

		/* beyond 64 bits Python keeps an int; we keep the text */
		if (!errno && !*end && u <= max)
			v = val_int(negative ? (long long)(0 - u) :
					       (long long)u);
	}
out:
	buf_release(&b);
	return v;
}

static bool lit_hex(const char *p, int n, unsigned long *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		int c = tolower((unsigned char)p[i]);

		if (!isxdigit(c))
			return false;
		*out = *out * 16 +
		       (unsigned long)(isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	return true;
}

/* One escape after a backslash at l->p (non-raw strings). */
static bool lit_escape(struct lit *l, struct buf *b)
{
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	char c = *l->p;
	unsigned long cp;

	for (size_t i = 0; simple[i]; i += 2) {
		if (simple[i] == c) {
			buf_addch(b, simple[i + 1]);
			l->p++;
			return true;
		}
	}
	if (c == '\n') {
		l->p++;
	} else if (c >= '0' && c <= '7') {
		cp = 0;
		for (int i = 0; i < 3 && *l->p >= '0' && *l->p <= '7'; i++)
			cp = cp * 8 + (unsigned long)(*l->p++ - '0');
		buf_add_utf8(b, cp);
	} else if (c == 'x' || c == 'u' || c == 'U') {
		int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;

		if (!lit_hex(l->p + 1, n, &cp) || cp > 0x10ffff)
			return false;
		buf_add_utf8(b, cp);
		l->p += 1 + n;
	} else if (c == 'N' || !c) {
		return false; /* \N{NAME}: not worth a name table */
	} else {
		buf_addch(b, '\\'); /* unknown escapes stay as written */
	}
	return true;
}

/* A string literal with optional prefix, or NULL. Appends to b. */
static bool lit_string(struct lit *l, struct buf *b)
{
	bool raw = false;
	char q;
	bool triple;

	while (isalpha((unsigned char)*l->p)) {
		char c = (char)tolower((unsigned char)*l->p);

		if (c == 'r')
			raw = true;
		else if (c != 'u' && c != 'b')
			return false; /* f-strings are code, not literals */
		l->p++;
	}
	q = *l->p;
	if (q != '\'' && q != '"')
		return false;
	triple = l->p[1] == q && l->p[2] == q;
	l->p += triple ? 3 : 1;
	for (;;) {
		char c = *l->p;

		if (!c)
			return false;
		if (c == q && (!triple || (l->p[1] == q && l->p[2] == q))) {
			l->p += triple ? 3 : 1;
			return true;
		}
		if (c == '\n' && !triple)
			return false;
		if (c == '\\') {
			l->p++;
			if (raw) {
				if (!*l->p)
					return false;
				buf_addch(b, '\\');
				buf_addch(b, *l->p++);
			} else if (!lit_escape(l, b)) {
				return false;
			}
			continue;
		}
		buf_addch(b, c);
		l->p++;
	}
}

static bool lit_starts_string(const char *p)
{
	while (isalpha((unsigned char)*p))
		p++;
	return *p == '\'' || *p == '"';
}

/* Items up to `close`, comma separated, trailing comma allowed. */
static struct val *lit_seq(struct lit *l, char close, struct val *list)
{
	for (;;) {
		struct val *item;

		lit_ws(l);
		if (*l->p == close) {
			l->p++;
			return list;
		}
		if (!(item = lit_value(l)))
			break;
		val_list_push(list, item);
		lit_ws(l);
		if (*l->p == ',')
			l->p++;
		else if (*l->p != close)
			break;
	}
	val_unref(list);
	return NULL;
}

static struct val *lit_dict(struct lit *l)
{
	struct val *dict = val_dict();
	struct buf key = BUF_INIT;

	for (;;) {
		struct val *k, *v;

		lit_ws(l);
		if (*l->p == '}') {
			l->p++;
			buf_release(&key);
			return dict;
		}
		if (!(k = lit_value(l)))
			break;
		lit_ws(l);
		if (*l->p != ':' || val_is(k, VAL_LIST) ||
		    val_is(k, VAL_DICT)) {
			val_unref(k); /* sets are not data Ansible can use */
			break;
		}
		l->p++;
		lit_ws(l);
		if (!(v = lit_value(l))) {
			val_unref(k);
			break;
		}
		buf_reset(&key);
		val_to_str(&key, k);
		val_unref(k);
		val_dict_set(dict, key.ptr, v);
		lit_ws(l);
		if (*l->p == ',')
			l->p++;
		else if (*l->p != '}')
			break;
	}
	buf_release(&key);
	val_unref(dict);
	return NULL;
}

static struct val *lit_value(struct lit *l)
{
	struct val *v = NULL;
	const char *p;

	if (++l->depth > 64)
		return NULL;
	lit_ws(l);
	p = l->p;
	if (*p == '[') {
		l->p++;
		v = lit_seq(l, ']', val_list());
	} else if (*p == '(') {
		l->p++;
		lit_ws(l);
		if (*l->p == ')') {
			l->p++;
			v = val_list();
		} else if ((v = lit_value(l))) {
			lit_ws(l);
			if (*l->p == ')') {
				l->p++; /* (x) is x itself */
			} else if (*l->p == ',') {
				struct val *t = val_list();

				l->p++;
				val_list_push(t, v);
				v = lit_seq(l, ')', t);
			} else {
				val_unref(v);
				v = NULL;
			}
		}
	} else if (*p == '{') {
		l->p++;
		v = lit_dict(l);
	} else if (lit_starts_string(p)) {
		struct buf b = BUF_INIT;
		bool ok;

		/* adjacent literals concatenate: 'a' 'b' is 'ab' */
		do {
			ok = lit_string(l, &b);
			lit_ws(l);
		} while (ok && lit_starts_string(l->p));
		if (ok)
			v = val_strn(b.ptr, b.len);
		buf_release(&b);
	} else if (*p == '-' || *p == '+') {
		l->p++;
		lit_ws(l);
		if (isdigit((unsigned char)*l->p) ||
		    (*l->p == '.' && isdigit((unsigned char)l->p[1])))
			v = lit_number(l, *p == '-');
	} else if (isdigit((unsigned char)*p) ||
		   (*p == '.' && isdigit((unsigned char)p[1]))) {
		v = lit_number(l, false);
	} else if (is_ident_char((unsigned char)*p)) {
		size_t n = 0;

		while (is_ident_char((unsigned char)p[n]))
			n++;
		if (n == 4 && !strncmp(p, "True", 4))
			v = val_bool(true);
		else if (n == 5 && !strncmp(p, "False", 5))
			v = val_bool(false);
		else if (n == 4 && !strncmp(p, "None", 4))
			v = val_null();
		else if (l->json_names && n == 4 && !strncmp(p, "true", 4))
			v = val_bool(true);
		else if (l->json_names && n == 5 && !strncmp(p, "false", 5))
			v = val_bool(false);
		else if (l->json_names && n == 4 && !strncmp(p, "null", 4))
			v = val_null();
		l->p += n;
	}
	l->depth--;
	return v;
}

struct val *pyliteral_parse(const char *s, size_t len, bool json_names)
{
	struct lit l = { s, 0, json_names };
	struct val *v;

	if (strlen(s) != len)
		return NULL; /* Python refuses source with NUL bytes */
	v = lit_value(&l);
	lit_ws(&l);
	if (v && *l.p == ',') {
		struct val *t = val_list(), *item;

		/* "1, 2" is a tuple */
		val_list_push(t, v);
		v = t;
		while (*l.p == ',') {
			l.p++;
			lit_ws(&l);
			if (!*l.p)
				break;
			if (!(item = lit_value(&l))) {
				val_unref(v);
				v = NULL;
				break;
			}
			val_list_push(v, item);
			lit_ws(&l);
		}
	}
	if (v && *l.p) {
		val_unref(v);
		v = NULL;
	}
	return v;
}
