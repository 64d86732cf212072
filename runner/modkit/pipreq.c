#include "tend/common.h"
#include <ctype.h>
#include "tend/modkit/pipreq.h"
#include "tend/util/buf.h"

void pipreq_free(struct pipreq *p, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(p[i].name);
		free(p[i].text);
		free(p[i].pinned);
	}
	free(p);
}

/* Package.canonicalize_name: runs of - _ . become one -, lower case. */
char *pipreq_canon(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len; i++) {
		if (strchr("-_.", s[i])) {
			if (!b.len || b.ptr[b.len - 1] != '-')
				buf_addch(&b, '-');
		} else {
			buf_addch(&b, tolower((unsigned char)s[i]));
		}
	}
	return buf_detach(&b, NULL);
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The version specifiers at `s` (after the name and extras) onto `out`,
 * sorted as packaging's SpecifierSet prints them; returns what follows
 * (a marker), or NULL if they do not parse.
 */
static const char *parse_specs(struct buf *out, struct pipreq *p, const char *s)
{
	char *specs[32];
	size_t n = 0;
	bool paren;

	s = skip_ws(s);
	if ((paren = *s == '('))
		s = skip_ws(s + 1);
	while (*s && strchr("<>=!~", *s) && n < 32) {
		const char *op = s, *v;
		struct buf b = BUF_INIT;

		while (*s && strchr("<>=!~", *s))
			s++;
		buf_add(&b, op, (size_t)(s - op));
		v = s = skip_ws(s);
		while (*s && !strchr(",;) \t", *s))
			s++;
		buf_add(&b, v, (size_t)(s - v));
		specs[n++] = buf_detach(&b, NULL);
		if (s == v)
			goto bad;
		s = skip_ws(s);
		if (*s != ',')
			break;
		s = skip_ws(s + 1);
	}
	if (paren && *s++ != ')')
		goto bad;
	qsort(specs, n, sizeof(*specs), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *sp = specs[i];

		buf_adds(out, i ? "," : "");
		buf_adds(out, sp);
		/* a lone "==V" is the version a plan can name */
		if (n == 1 && !strncmp(sp, "==", 2) && sp[2] != '=')
			p->pinned = xstrdup(sp + 2);
		free(sp);
	}
	p->has_spec = n > 0;
	return skip_ws(s);
bad:
	while (n)
		free(specs[--n]);
	return NULL;
}


static bool name_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/*
 * "[b, a]" as packaging prints extras: sorted, no spaces. -1 for an
 * extra that is not a name.
 */
static int add_extras(struct buf *t, const char *s, const char *end)
{
	char *ex[32];
	size_t n = 0;
	int error = 0;

	while (s < end && n < 32) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		const char *e = c ? c : end, *w = skip_ws(s);

		while (e > w && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		for (const char *q = w; q < e; q++)
			if (!name_char((unsigned char)*q))
				error = -1;
		if (e > w)
			ex[n++] = xstrndup(w, (size_t)(e - w));
		s = c ? c + 1 : end;
	}
	qsort(ex, n, sizeof(*ex), cmp_str);
	buf_addch(t, '[');
	for (size_t i = 0; i < n; i++) {
		buf_adds(t, i ? "," : "");
		buf_adds(t, ex[i]);
		free(ex[i]);
	}
	buf_addch(t, ']');
	return error;
}

/*
 * Ansible's Package(item): a requirement (name, [extras], specifiers,
 * ; marker, or @ URL) is plain and written back normalised as
 * str(Requirement) does; anything else (a path, a URL) is kept as is.
 */
void pipreq_parse(struct pipreq *p, const char *item)
{
	const char *s = skip_ws(item), *n0 = s, *rest;
	struct buf t = BUF_INIT;
	size_t nlen;

	memset(p, 0, sizeof(*p));
	while (name_char((unsigned char)*s))
		s++;
	nlen = (size_t)(s - n0);
	if (!nlen || !isalnum((unsigned char)n0[0]) ||
	    !isalnum((unsigned char)n0[nlen - 1]))
		goto other;
	buf_add(&t, n0, nlen);
	s = skip_ws(s);
	if (*s == '[') {
		const char *e = strchr(s, ']');

		if (!e || add_extras(&t, s + 1, e) < 0)
			goto other;
		s = skip_ws(e + 1);
	}
	if (*s == '@') {
		buf_adds(&t, " ");
		buf_adds(&t, s);
		p->has_spec = false;
	} else {
		if (!(rest = parse_specs(&t, p, s)))
			goto other;
		if (*rest == ';') {
			buf_adds(&t, "; ");
			buf_adds(&t, skip_ws(rest + 1));
		} else if (*rest) {
			goto other;
		}
	}
	p->plain = true;
	p->name = pipreq_canon(n0, nlen);
	p->text = buf_detach(&t, NULL);
	return;
other:
	buf_release(&t);
	free(p->pinned);
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(item);
	p->text = xstrdup(item);
}

/* _is_package_name: an item that is not a bare version specifier. */
static bool is_package_name(const char *s)
{
	static const char *const ops[] = {
		">=", "<=", ">", "<", "==", "!=", "~=", NULL,
	};

	s = skip_ws(s);
	for (size_t i = 0; ops[i]; i++)
		if (!strncmp(s, ops[i], strlen(ops[i])))
			return false;
	return true;
}

/*
 * Ansible's _recover_package_name: items split on commas, then a bare
 * specifier (or what is inside [extras]) joined back to the package
 * before it. A new list of strings.
 */
struct val *pipreq_recover(const struct val *names)
{
	struct val *out = val_list();
	struct buf cur = BUF_INIT;
	bool in_brackets = false, any = false;

	for (size_t i = 0; names && i < val_len(names); i++) {
		const char *item = val_cstr(val_list_at(names, i));

		for (const char *s = item; s; ) {
			const char *c = strchr(s, ',');
			size_t len = c ? (size_t)(c - s) : strlen(s);
			char *part = xstrndup(s, len);

			if (is_package_name(part) && !in_brackets && any) {
				val_list_push(out, val_strn(cur.ptr, cur.len));
				buf_reset(&cur);
				any = false;
			}
			if (strchr(part, '['))
				in_brackets = true;
			if (in_brackets && strchr(part, ']'))
				in_brackets = false;
			buf_adds(&cur, any ? "," : "");
			buf_adds(&cur, part);
			any = true;
			free(part);
			s = c ? c + 1 : NULL;
		}
	}
	val_list_push(out, val_strn(cur.ptr, cur.len));
	buf_release(&cur);
	return out;
}

/*
 * The packages of `names` with `version` (Ansible: joined with "==" when
 * it starts with a digit, else with a space). Errors as Ansible's.
 */
int pipreq_build(struct pipreq **out, size_t *nr, const struct val *names,
		      const char *version)
{
	struct val *items = pipreq_recover(names);
	size_t n = val_len(items);
	struct pipreq *p = xcalloc(n ? n : 1, sizeof(*p));
	int error = 0;

	for (size_t i = 0; i < n; i++)
		pipreq_parse(&p[i], val_cstr(val_list_at(items, i)));
	if (version && n > 1) {
		error = tend_error_set("'version' argument is ambiguous when "
				       "installing multiple package distributions. "
				       "Please specify version restrictions next "
				       "to each package in 'name' argument.");
	} else if (version && p[0].has_spec) {
		error = tend_error_set("The 'version' argument conflicts with "
				       "any version specifier provided along with "
				       "a package name. Please keep the version "
				       "specifier, but remove the 'version' "
				       "argument.");
	} else if (version && n == 1) {
		struct buf b = BUF_INIT;
		const char *v = skip_ws(version);

		buf_addf(&b, "%s%s%s", p[0].text,
			 isdigit((unsigned char)v[0]) ? "==" : " ", v);
		free(p[0].name);
		free(p[0].text);
		free(p[0].pinned);
		pipreq_parse(&p[0], b.ptr);
		buf_release(&b);
	}
	val_unref(items);
	if (error < 0) {
		pipreq_free(p, n);
		return error;
	}
	*out = p;
	*nr = n;
	return 0;
}

/* `pip list --format=freeze` into a dict: canonical name -> version. */
struct val *pipreq_freeze(const char *s, size_t len)
{
	struct val *d = val_dict();
	const char *end = s + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		const char *eq = NULL;

		for (const char *q = s; q + 1 < le; q++)
			if (q[0] == '=' && q[1] == '=') {
				eq = q;
				break;
			}
		if (eq) {
			char *name = pipreq_canon(s, (size_t)(eq - s));

			val_dict_set(d, name, val_strn(eq + 2,
						       (size_t)(le - eq - 2)));
			free(name);
		}
		s = nl ? nl + 1 : end;
	}
	return d;
}

/* Release numbers compared part by part (digits as numbers). */
int pipreq_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long long x = strtoull(a, &ea, 10);
			unsigned long long y = strtoull(b, &eb, 10);

			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
		} else if (*a != *b) {
			/* "1.0" < "1.0.1"; "1.0rc1" < "1.0" is left aside */
			return !*a ? -1 : !*b ? 1 : *a < *b ? -1 : 1;
		} else {
			a++;
			b++;
		}
	}
	return 0;
}


/* Whether `v` starts with the release `prefix` (whole parts). */
static bool version_prefix(const char *v, const char *prefix, size_t plen)
{
	return !strncmp(v, prefix, plen) && (!v[plen] || v[plen] == '.');
}

/* One specifier "OPVERSION" against `v`. */
static bool spec_holds(const char *op, size_t oplen, const char *want,
		       size_t wlen, const char *v)
{
	char *w = xstrndup(want, wlen);
	int c = pipreq_version_cmp(v, w);
	bool star = wlen > 2 && !strcmp(w + wlen - 2, ".*");
	bool ok;

	if (oplen == 3)
		ok = !strcmp(v, w);
	else if (oplen == 2 && op[0] == '=')
		ok = star ? version_prefix(v, w, wlen - 2) : !c;
	else if (oplen == 2 && op[0] == '!')
		ok = star ? !version_prefix(v, w, wlen - 2) : c != 0;
	else if (oplen == 2 && op[0] == '~') {
		char *dot = strrchr(w, '.');

		ok = c >= 0 && dot && version_prefix(v, w, (size_t)(dot - w));
	} else if (oplen == 2)
		ok = op[0] == '>' ? c >= 0 : c <= 0;
	else
		ok = op[0] == '>' ? c > 0 : c < 0;
	free(w);
	return ok;
}

bool pipreq_satisfied(const struct pipreq *p, const char *version)
{
	const char *s = p->text;

	if (!p->plain)
		return false;
	while (name_char((unsigned char)*s))
		s++;
	if (*s == '[')
		s = strchr(s, ']') + 1;
	while (*s && *s != ';' && *s != ' ') {
		size_t oplen = strspn(s, "<>=!~"), vlen;

		vlen = strcspn(s + oplen, ",;");
		if (!oplen || !spec_holds(s, oplen, s + oplen, vlen, version))
			return false;
		s += oplen + vlen;
		s += *s == ',';
	}
	return true;
}
