#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/error.h"
#include "tend/lang/template.h"
#include "tend/lang/eval_int.h"
#include "tend/lang/filter_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/*
 * A template file's Jinja environment, as Ansible's template module
 * sets it: trim_blocks, lstrip_blocks, newline_sequence and the six
 * delimiter strings from the module's arguments, then overridden by a
 * first line "#jinja2: key: value, ..." of the file.
 *
 * Other delimiters are compiled by rewriting the text into the default
 * ones (the parser knows those): tags map one to one, and text that
 * holds a default delimiter gets its '{' as {{ '{' }}, so the line of
 * every tag stays the same and whitespace control is unchanged.
 */

enum { D_VAR_START, D_VAR_END, D_BLOCK_START, D_BLOCK_END, D_COMMENT_START,
       D_COMMENT_END, D_N };

static const char *const delim_names[D_N] = {
	"variable_start_string", "variable_end_string", "block_start_string",
	"block_end_string",	 "comment_start_string", "comment_end_string",
};

static const char *const delim_defaults[D_N] = {
	"{{", "}}", "{%", "%}", "{#", "#}",
};

struct tenv {
	bool trim_blocks, lstrip_blocks, keep_trailing_newline;
	struct buf newline;
	struct buf delims[D_N];
};

static void tenv_init(struct tenv *e)
{
	e->trim_blocks = true;
	e->lstrip_blocks = false;
	e->keep_trailing_newline = false;
	buf_init(&e->newline, 0);
	buf_sets(&e->newline, "\n");
	for (int i = 0; i < D_N; i++) {
		buf_init(&e->delims[i], 0);
		buf_sets(&e->delims[i], delim_defaults[i]);
	}
}

static void tenv_release(struct tenv *e)
{
	buf_release(&e->newline);
	for (int i = 0; i < D_N; i++)
		buf_release(&e->delims[i]);
}

/* One setting by its Ansible name; `v` a string or (for the bools) any. */
static int tenv_set(struct tenv *e, const char *key, const struct val *v,
		    const char *where)
{
	if (!strcmp(key, "trim_blocks") || !strcmp(key, "lstrip_blocks") ||
	    !strcmp(key, "keep_trailing_newline")) {
		bool b;

		if (v->type == VAL_STR ? truth_boolean(&b, v) < 0 :
					 (b = truth_python(v), false))
			return tend_error_set("%s: '%s' must be a boolean",
					      where, key);
		*(key[0] == 't' ? &e->trim_blocks :
		  key[0] == 'l' ? &e->lstrip_blocks :
				  &e->keep_trailing_newline) = b;
		return 0;
	}
	if (strcmp(key, "newline_sequence") && !strstr(key, "_string"))
		return tend_error_set("%s: Jinja setting '%s' is not supported",
				      where, key);
	if (v->type != VAL_STR)
		return tend_error_set("%s: '%s' must be a string", where, key);
	if (!strcmp(key, "newline_sequence")) {
		/* the module also takes them written with a backslash */
		const char *nl = !strcmp(v->u.s.ptr, "\\n") ? "\n" :
				 !strcmp(v->u.s.ptr, "\\r") ? "\r" :
				 !strcmp(v->u.s.ptr, "\\r\\n") ? "\r\n" :
				 v->u.s.ptr;

		if (strcmp(nl, "\n") && strcmp(nl, "\r") &&
		    strcmp(nl, "\r\n"))
			return tend_error_set("%s: newline_sequence needs to "
					      "be one of: \\n, \\r or \\r\\n",
					      where);
		buf_sets(&e->newline, nl);
		return 0;
	}
	for (int i = 0; i < D_N; i++)
		if (!strcmp(key, delim_names[i])) {
			if (!v->u.s.len)
				return tend_error_set("%s: '%s' must not be "
						      "empty", where, key);
			buf_sets(&e->delims[i], v->u.s.ptr);
			return 0;
		}
	return tend_error_set("%s: Jinja setting '%s' is not supported", where,
			      key);
}

/*
 * A Python literal as ast.literal_eval reads the values of a #jinja2:
 * line: True, False, a number, or a quoted string with its escapes.
 */
static int py_literal(struct val **out, const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	char q;

	if (len == 4 && !memcmp(s, "True", 4)) {
		*out = val_bool(true);
		return 0;
	}
	if (len == 5 && !memcmp(s, "False", 5)) {
		*out = val_bool(false);
		return 0;
	}
	if (len && (isdigit((unsigned char)s[0]) || s[0] == '-')) {
		char *end, *num = xstrndup(s, len);
		long long n = strtoll(num, &end, 10);
		bool ok = !*end;

		free(num);
		if (ok) {
			*out = val_int(n);
			return 0;
		}
	}
	q = len >= 2 ? s[0] : 0;
	if ((q != '\'' && q != '"') || s[len - 1] != q)
		return -1;
	for (size_t i = 1; i + 1 < len; i++) {
		char c = s[i];

		if (c == q)
			goto bad;
		if (c != '\\') {
			buf_addch(&b, c);
			continue;
		}
		if (i + 2 >= len)
			goto bad;
		c = s[++i];
		buf_addch(&b, c == 'n' ? '\n' : c == 'r' ? '\r' :
			      c == 't' ? '\t' : c);
		if (c != 'n' && c != 'r' && c != 't' && c != '\\' &&
		    c != '\'' && c != '"') {
			/* Python keeps an unknown escape as it is */
			buf_setlen(&b, b.len - 1);
			buf_addch(&b, '\\');
			buf_addch(&b, c);
		}
	}
	*out = template_str_result(&b);
	return 0;
bad:
	buf_release(&b);
	return -1;
}

static void trim_span(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/*
 * "#jinja2: trim_blocks: False, newline_sequence: '\r\n'" at the top of
 * `src`: apply it to e, and set *body to the text after that line.
 * Like Ansible, pairs are split at every ',' and each at its first ':'.
 */
static int apply_header(struct tenv *e, const char **body, const char *src)
{
	const char *eol = strchr(src, '\n'), *p;
	size_t hlen;
	int error = 0;

	*body = src;
	if (strncmp(src, "#jinja2:", 8))
		return 0;
	/* Ansible: data[8:eol] with eol -1 drops the last character */
	hlen = eol ? (size_t)(eol - src) : strlen(src) - 1;
	if (eol)
		*body = eol + 1;
	for (p = src + 8; p < src + hlen && !error;) {
		const char *comma = memchr(p, ',', (size_t)(src + hlen - p));
		const char *end = comma ? comma : src + hlen;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *k = p, *v;
		size_t klen, vlen;
		struct val *val = NULL;
		char *key;

		if (!colon) {
			size_t n = (size_t)(end - p);

			trim_span(&k, &n);
			return tend_error_set("failed to parse jinja2 override "
					      "'%.*s'. Did you use something "
					      "different from colon as key-value "
					      "separator?", (int)n, k);
		}
		klen = (size_t)(colon - k);
		v = colon + 1;
		vlen = (size_t)(end - v);
		trim_span(&k, &klen);
		trim_span(&v, &vlen);
		if (py_literal(&val, v, vlen) < 0)
			return tend_error_set("#jinja2: the value of '%.*s' is "
					      "not a Python literal: %.*s",
					      (int)klen, k, (int)vlen, v);
		key = xstrndup(k, klen);
		error = tenv_set(e, key, val, "#jinja2");
		free(key);
		val_unref(val);
		p = end + (comma ? 1 : 0);
	}
	return error;
}

static bool default_delims(const struct tenv *e)
{
	for (int i = 0; i < D_N; i++)
		if (strcmp(e->delims[i].ptr, delim_defaults[i]))
			return false;
	return true;
}

/* Text between tags, with each default delimiter's '{' made literal. */
static void emit_text(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '{' && i + 1 < len &&
		    (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == '#'))
			buf_adds(out, "{{ '{' }}");
		else
			buf_addch(out, s[i]);
	}
}

/*
 * The end of a tag's content at s[i]: the first `end` outside a quoted
 * string (comments have no strings). NULL if there is none.
 */
static const char *tag_end(const char *s, const char *end, bool strings)
{
	size_t elen = strlen(end);

	for (const char *p = s; *p; p++) {
		if (strings && (*p == '\'' || *p == '"')) {
			char q = *p;

			for (p++; *p && *p != q; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				return NULL;
			continue;
		}
		if (!strncmp(p, end, elen))
			return p;
	}
	return NULL;
}

/* Is the block tag's content "raw" (with its whitespace marks)? */
static bool is_raw_tag(const char *s, size_t len)
{
	if (len && (*s == '-' || *s == '+')) {
		s++;
		len--;
	}
	if (len && (s[len - 1] == '-' || s[len - 1] == '+'))
		len--;
	trim_span(&s, &len);
	return len == 3 && !memcmp(s, "raw", 3);
}

/*
 * {% raw %} with other delimiters: copy the text up to the tag whose
 * content is "endraw" as it is, between the default raw tags.
 */
static int rewrite_raw(struct buf *out, const char **pos, const struct tenv *e)
{
	const char *bs = e->delims[D_BLOCK_START].ptr;
	const char *be = e->delims[D_BLOCK_END].ptr;
	const char *p = *pos;

	for (const char *t = strstr(p, bs); t; t = strstr(t + 1, bs)) {
		const char *c = t + strlen(bs), *end = strstr(c, be), *k = c;
		size_t n;

		if (!end)
			break;
		if (*k == '-')
			k++;
		n = (size_t)(end - k);
		if (n && (k[n - 1] == '-'))
			n--;
		trim_span(&k, &n);
		if (n != 6 || memcmp(k, "endraw", 6))
			continue;
		buf_add(out, p, (size_t)(t - p));
		buf_adds(out, "{%");
		buf_add(out, c, (size_t)(end - c));
		buf_adds(out, "%}");
		*pos = end + strlen(be);
		return 0;
	}
	return tend_error_set("template: missing the end of a raw block");
}

/* The template text in other delimiters, in the default ones. */
static int rewrite_delims(struct buf *out, const char *src,
			  const struct tenv *e)
{
	static const char *const std_start[] = { "{{", "{%", "{#" };
	static const char *const std_end[] = { "}}", "%}", "#}" };
	const char *p = src;

	for (;;) {
		const char *best = NULL, *c, *end;
		int kind = -1;

		for (int k = 0; k < 3; k++) {
			const char *f = strstr(p, e->delims[2 * k].ptr);

			if (f && (!best || f < best ||
				  (f == best && strlen(e->delims[2 * k].ptr) >
				   strlen(e->delims[2 * kind].ptr)))) {
				best = f;
				kind = k;
			}
		}
		if (!best) {
			emit_text(out, p, strlen(p));
			return 0;
		}
		emit_text(out, p, (size_t)(best - p));
		c = best + strlen(e->delims[2 * kind].ptr);
		end = tag_end(c, e->delims[2 * kind + 1].ptr, kind != 2);
		if (!end)
			return tend_error_set("template: a tag opened with '%s' "
					      "has no '%s'",
					      e->delims[2 * kind].ptr,
					      e->delims[2 * kind + 1].ptr);
		buf_adds(out, std_start[kind]);
		buf_add(out, c, (size_t)(end - c));
		buf_adds(out, std_end[kind]);
		p = end + strlen(e->delims[2 * kind + 1].ptr);
		if (kind == 1 && is_raw_tag(c, (size_t)(end - c))) {
			int error = rewrite_raw(out, &p, e);

			if (error < 0)
				return error;
		}
	}
}

static int tenv_from_opts(struct tenv *e, const struct val *opts)
{
	static const char *const keys[] = {
		"trim_blocks", "lstrip_blocks", "newline_sequence",
	};
	int error = 0;

	if (!opts || opts->type != VAL_DICT)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(keys) && !error; i++) {
		const struct val *v = val_dict_get(opts, keys[i]);

		if (v && v->type != VAL_NULL)
			error = tenv_set(e, keys[i], v, "template");
	}
	for (int i = 0; i < D_N && !error; i++) {
		const struct val *v = val_dict_get(opts, delim_names[i]);

		if (v && v->type != VAL_NULL)
			error = tenv_set(e, delim_names[i], v, "template");
	}
	return error;
}

/* How many '\n' end s (Ansible's _count_newlines_from_end). */
static size_t trailing_nl(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[len - 1 - n] == '\n')
		n++;
	return n;
}

int template_render_file(struct buf *out, const char *src,
			 const struct val *opts, const struct scope *s)
{
	struct tenv e;
	struct buf text = BUF_INIT, rendered = BUF_INIT;
	const char *body;
	size_t start;
	int error;

	tenv_init(&e);
	if ((error = tenv_from_opts(&e, opts)) < 0 ||
	    (error = apply_header(&e, &body, src)) < 0)
		goto out;
	if (!default_delims(&e)) {
		if ((error = rewrite_delims(&text, body, &e)) < 0)
			goto out;
		body = text.ptr;
	}
	/* Jinja reads "\r\n" and "\r" in the source as "\n" */
	if (strchr(body, '\r')) {
		struct buf nl = BUF_INIT;

		for (const char *q = body; *q; q++) {
			buf_addch(&nl, *q == '\r' ? '\n' : *q);
			if (*q == '\r' && q[1] == '\n')
				q++;
		}
		buf_release(&text);
		text = nl;
		body = text.ptr;
	} else if (body != text.ptr) {
		buf_sets(&text, body);
		body = text.ptr;
	}
	/* Jinja drops one trailing newline unless keep_trailing_newline */
	if (!e.keep_trailing_newline && text.len &&
	    text.ptr[text.len - 1] == '\n')
		buf_setlen(&text, text.len - 1);
	if ((error = template_render_str_opts(&rendered, body, e.trim_blocks,
					      e.lstrip_blocks, s)) < 0)
		goto out;
	start = out->len;
	/* Jinja writes the template's newlines as newline_sequence */
	for (size_t i = 0; i < rendered.len; i++) {
		if (rendered.ptr[i] == '\n')
			buf_addbuf(out, &e.newline);
		else
			buf_addch(out, rendered.ptr[i]);
	}
	/* then Ansible adds the '\n's the output lacks at its end */
	for (size_t k = trailing_nl(out->ptr + start, out->len - start);
	     k < trailing_nl(src, strlen(src)); k++)
		buf_addbuf(out, &e.newline);
out:
	buf_release(&text);
	buf_release(&rendered);
	tenv_release(&e);
	return error;
}

/* Python's str() of a naive datetime at t (seconds, microseconds). */
static struct val *datetime_str(long long t, long usec)
{
	struct tm tm;
	char s[64];

	template_localtime(&tm, t, false);
	if (usec)
		snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d.%06ld",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
	else
		snprintf(s, sizeof(s), "%04d-%02d-%02d %02d:%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return val_str(s);
}

int template_file_vars(struct val **out, const char *src, const char *path,
		       const char *dest)
{
	struct utsname un;
	struct stat st;
	struct passwd pw, *res = NULL;
	struct timeval now;
	struct buf full = BUF_INIT;
	char pwbuf[4096], cwd[4096];
	struct val *v;
	long usec;

	if (stat(path, &st) < 0)
		return tend_error_set("cannot stat '%s': %s", path,
				      strerror(errno));
	v = val_dict();
	val_dict_set(v, "template_host",
		     val_str(uname(&un) ? "" : un.nodename));
	val_dict_set(v, "template_path", val_str(src ? src : path));
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_addf(&full, "%s/", cwd);
	buf_adds(&full, path);
	fs_normpath(&full);
	val_dict_set(v, "template_fullpath", template_str_result(&full));
	val_dict_set(v, "template_destpath", dest ? val_str(dest) : val_null());
	if (!getpwuid_r(st.st_uid, &pw, pwbuf, sizeof(pwbuf), &res) && res)
		val_dict_set(v, "template_uid", val_str(pw.pw_name));
	else
		val_dict_set(v, "template_uid",
			     val_strf("%lu", (unsigned long)st.st_uid));
	/* datetime.fromtimestamp rounds to the microsecond */
	usec = (st.st_mtim.tv_nsec + 500) / 1000;
	val_dict_set(v, "template_mtime",
		     datetime_str((long long)st.st_mtim.tv_sec +
				  (usec == 1000000), usec % 1000000));
	gettimeofday(&now, NULL);
	val_dict_set(v, "template_run_date",
		     datetime_str(now.tv_sec, (long)now.tv_usec));
	/* DEFAULT_MANAGED_STR, which holds no strftime codes */
	val_dict_set(v, "ansible_managed", val_str("Ansible managed"));
	*out = v;
	return 0;
}
