/*
 * The lookups that read a table from a file on the controller: ini (an
 * INI or Java properties file, read as Python 3.11's configparser reads
 * it for Ansible 2.14's plugin: `=` or `:` between name and value, `#`
 * and `;` comment lines, indented continuation lines, a DEFAULT section
 * under every other, names lowercased, %(name)s interpolation) and
 * csvfile (a CSV or TSV file, read as Python's csv module reads the
 * excel dialect). The file is found and read as lookup('file') finds and
 * reads it. Written here: no Debian library reads INI files the way
 * configparser does (continuations, interpolation, the DEFAULT section)
 * or CSV the way Python's csv module does, and the results must be the
 * same as Ansible's.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/lang/lookup_files_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <errno.h>

#define INI_DEFAULT "DEFAULT"
#define INI_MAX_DEPTH 10 /* configparser's MAX_INTERPOLATION_DEPTH */

/*
 * The options of one lookup call, as Ansible's paramvals: given as
 * keywords, then changed by a term's inline k=v, which stay for the
 * terms after it (as Ansible's do). Each is a value; NULL: unset.
 */
struct table_opts {
	const char *const *names; /* the option names, in Ansible's order */
	struct val *dict;         /* name -> value */
};

static const char *opt_cstr(const struct table_opts *o, const char *name)
{
	return val_cstr(val_dict_get(o->dict, name));
}

/* Fill o->dict with the defaults and then the call's keyword options. */
static void opts_init(struct table_opts *o, const char *const *names,
		     const char *const *defaults,
		     const struct lookup_env *env)
{
	o->names = names;
	o->dict = val_dict();
	for (size_t i = 0; names[i]; i++)
		if (defaults[i])
			val_dict_set_str(o->dict, names[i], defaults[i]);
	for (size_t i = 0; names[i]; i++) {
		const struct val *v = lookup_opt(env, names[i]);

		if (v)
			val_dict_set(o->dict, names[i],
				     val_ref((struct val *)v));
	}
}

/*
 * A boolean option. One given as a keyword is converted as Ansible's
 * set_options converts type: boolean; one set inline stays a string,
 * true when it is not empty (so "re=False" is true, as in Ansible).
 */
static int opt_bool(bool *out, const struct table_opts *o, const char *name,
		    bool inline_set)
{
	const struct val *v = val_dict_get(o->dict, name);

	*out = false;
	if (!v)
		return 0;
	if (inline_set) {
		*out = truth_python(v);
		return 0;
	}
	if (truth_boolean(out, v) < 0)
		return tend_error_prefix("lookup: option '%s'", name);
	return 0;
}

static bool utf8_valid(const char *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if ((unsigned char)s[i] < 0x80)
			n = 1;
		else if (!(n = utf8_decode(&cp, s + i, len - i)))
			return false;
	return true;
}

static int need_utf8(const struct buf *data, const char *who,
		     const char *file)
{
	if (!utf8_valid(data->ptr, data->len))
		return tend_error_set("lookup('%s'): '%s' is not valid UTF-8 "
				      "(only utf-8 files are supported)", who,
				      file);
	return 0;
}

static int check_encoding(const struct table_opts *o, const char *who)
{
	const char *enc = opt_cstr(o, "encoding");
	char low[16];
	size_t n = 0;

	for (; enc && enc[n] && n < sizeof(low) - 1; n++)
		low[n] = (char)tolower((unsigned char)enc[n] == '_' ? '-' :
				       (unsigned char)enc[n]);
	low[n] = 0;
	if (enc && strcmp(low, "utf-8") && strcmp(low, "utf8"))
		return tend_error_set("lookup('%s'): encoding '%s' is not "
				      "supported yet (only utf-8)", who, enc);
	return 0;
}

/* The file named by option `file`, read as lookup('file') reads it. */
static int read_table(struct buf *data, bool *secret,
		      const struct table_opts *o,
		      const struct lookup_env *env, const char *who)
{
	const char *file = opt_cstr(o, "file");
	int error;

	if (!file)
		return tend_error_set("lookup('%s'): option 'file' is not a "
				      "string", who);
	if ((error = check_encoding(o, who)) < 0 ||
	    (error = lookup_read_file(data, secret, env, "files", file,
				      who)) < 0)
		return error;
	return need_utf8(data, who, file);
}

/* ---- ini ---------------------------------------------------------- */

/*
 * A parsed file, as configparser holds it: section name -> dict of
 * option -> string (a list of lines while its file is read; null for
 * an option without a value); INI_DEFAULT holds the defaults. Files read
 * for later terms add to it, as Ansible's one parser per call does.
 */
struct ini {
	struct val *sections;
	bool case_sensitive, allow_no_value;
};

/* configparser's optionxform: str.lower() unless case_sensitive. */
static int ini_optname(struct buf *out, const struct ini *ini,
		       const char *s, size_t len)
{
	buf_reset(out);
	if (ini->case_sensitive)
		buf_add(out, s, len);
	else
		buf_add_lower(out, s, len);
	return 0;
}

/* The length of s[0..len) without its trailing whitespace (rstrip). */
static size_t py_rstrip_len(const char *s, size_t len)
{
	size_t k;

	while (len && (k = template_py_space_before(s, len)))
		len -= k;
	return len;
}

/* s[0..len) with Python's str.strip() of whitespace. */
static void py_strip(const char **s, size_t *len)
{
	size_t k;

	while (*len && (k = template_py_space(*s, *len))) {
		*s += k;
		*len -= k;
	}
	*len = py_rstrip_len(*s, *len);
}

/* The characters (not bytes) before the first non-space of a line. */
static size_t indent_of(const char *s, size_t len)
{
	size_t n = 0, k;

	while (len && (k = template_py_space(s, len))) {
		s += k;
		len -= k;
		n++;
	}
	return n;
}

/* Join each option's lines with "\n", right-stripped. */
static void ini_join(struct val *sections)
{
	for (size_t i = 0; i < sections->u.dict.nr; i++) {
		struct val *sec = sections->u.dict.items[i].v;

		for (size_t j = 0; j < sec->u.dict.nr; j++) {
			struct val *v = sec->u.dict.items[j].v;
			struct buf b = BUF_INIT;

			if (v->type != VAL_LIST)
				continue;
			for (size_t k = 0; k < v->u.list.nr; k++) {
				if (k)
					buf_addch(&b, '\n');
				buf_add(&b, v->u.list.items[k]->u.s.ptr,
					v->u.list.items[k]->u.s.len);
			}
			buf_setlen(&b, py_rstrip_len(b.ptr, b.len));
			sec->u.dict.items[j].v = template_str_result(&b);
			val_unref(v);
		}
	}
}

/* The first `=` or `:` of a (stripped) line, or NULL. */
static const char *ini_delim(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '=' || s[i] == ':')
			return s + i;
	return NULL;
}

struct ini_read {
	struct ini *ini;
	const char *file;
	struct val *cur;       /* the current section's dict, borrowed */
	char *sect;            /* its name */
	char *optname;         /* the current option ("" or NULL: none) */
	struct val *opt;       /* its line list; NULL: it has no value */
	size_t indent;         /* the indent of the last header line */
	struct val *added;     /* "section" and "section\noption" read */
	int lineno;
	struct buf bad;        /* lines configparser could not parse */
};

static void ini_bad(struct ini_read *r, const char *line, size_t len)
{
	buf_addf(&r->bad, "\n\t[line %2d]: '%.*s'", r->lineno, (int)len,
		 line);
}

static int ini_section(struct ini_read *r, const char *name, size_t len)
{
	struct val *sec;
	struct buf key = BUF_INIT;

	buf_add(&key, name, len);
	if (strcmp(key.ptr, INI_DEFAULT) && val_dict_get(r->added, key.ptr)) {
		buf_release(&key);
		return tend_error_set("lookup('ini'): While reading from '%s' "
				      "[line %2d]: section '%.*s' already "
				      "exists", r->file, r->lineno, (int)len,
				      name);
	}
	if (strcmp(key.ptr, INI_DEFAULT))
		val_dict_set(r->added, key.ptr, val_null());
	if (!(sec = val_dict_get(r->ini->sections, key.ptr))) {
		sec = val_dict();
		val_dict_set(r->ini->sections, key.ptr, sec);
	}
	r->cur = sec;
	free(r->sect);
	r->sect = buf_detach(&key, NULL);
	free(r->optname);
	r->optname = NULL;
	r->opt = NULL;
	return 0;
}

/* An option line (stripped: s, n), as OPTCRE (or OPTCRE_NV) reads it. */
static int ini_option(struct ini_read *r, const char *s, size_t n,
		      const char *line, size_t len)
{
	const char *d = ini_delim(s, n), *value;
	size_t nlen = d ? (size_t)(d - s) : n, vlen;
	struct buf opt = BUF_INIT, seen = BUF_INIT;
	int error;

	if (!d && !r->ini->allow_no_value) {
		ini_bad(r, line, len);
		return 0;
	}
	nlen = py_rstrip_len(s, nlen);
	if (!nlen)
		ini_bad(r, line, len);
	if ((error = ini_optname(&opt, r->ini, s, nlen)) < 0)
		goto out;
	buf_addf(&seen, "%s\n%s", r->sect, opt.ptr ? opt.ptr : "");
	if (val_dict_get(r->added, seen.ptr)) {
		error = tend_error_set("lookup('ini'): Duplicate option in "
				       "'%s': While reading from '%s' [line "
				       "%2d]: option '%s' in section '%s' "
				       "already exists", r->file, r->file,
				       r->lineno, opt.ptr ? opt.ptr : "",
				       r->sect);
		goto out;
	}
	val_dict_set(r->added, seen.ptr, val_null());
	free(r->optname);
	r->optname = xstrdup(opt.ptr ? opt.ptr : "");
	r->opt = NULL;
	if (!d) {
		val_dict_set(r->cur, r->optname, val_null());
		goto out;
	}
	value = d + 1;
	vlen = n - (size_t)(value - s);
	py_strip(&value, &vlen);
	r->opt = val_list();
	val_list_push(r->opt, val_strn(value, vlen));
	val_dict_set(r->cur, r->optname, r->opt);
out:
	buf_release(&opt);
	buf_release(&seen);
	return error;
}

/* One line, as configparser's _read takes it. */
static int ini_line(struct ini_read *r, const char *line, size_t len)
{
	const char *s = line;
	size_t n = len, indent;
	bool in_opt = r->cur && r->optname && r->optname[0];

	py_strip(&s, &n);
	if (n && (s[0] == '#' || s[0] == ';'))
		return 0; /* a comment line: not even an empty value line */
	if (!n) {
		if (in_opt && r->opt)
			val_list_push(r->opt, val_str(""));
		return 0;
	}
	indent = indent_of(line, len);
	if (in_opt && indent > r->indent) {
		if (!r->opt)
			return tend_error_set("lookup('ini'): '%s' line %d: "
					      "a continuation line of the "
					      "option '%s', which has no value",
					      r->file, r->lineno, r->optname);
		val_list_push(r->opt, val_strn(s, n));
		return 0;
	}
	r->indent = indent;
	if (s[0] == '[') {
		const char *close = NULL;

		for (size_t i = 2; i < n; i++)
			if (s[i] == ']')
				close = s + i;
		if (close)
			return ini_section(r, s + 1, (size_t)(close - s - 1));
	}
	if (!r->cur)
		return tend_error_set("lookup('ini'): File contains no section "
				      "headers. file: '%s', line: %d '%.*s'",
				      r->file, r->lineno, (int)len, line);
	return ini_option(r, s, n, line, len);
}

/* Read `data` into ini->sections, as ConfigParser.read_file does. */
static int ini_read(struct ini *ini, const char *data, size_t len,
		    const char *file)
{
	struct ini_read r = { .ini = ini, .file = file, .added = val_dict() };
	const char *p = data, *end = data + len;
	int error = 0;

	while (!error && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		r.lineno++;
		error = ini_line(&r, p, n);
		p += n + (nl != NULL);
	}
	ini_join(ini->sections);
	if (!error && r.bad.len)
		error = tend_error_set("lookup('ini'): Source contains parsing "
				       "errors: '%s'%s", file, r.bad.ptr);
	val_unref(r.added);
	buf_release(&r.bad);
	free(r.sect);
	free(r.optname);
	return error;
}

/* An option's raw value in section `sect` (then DEFAULT); NULL if none. */
static const struct val *ini_raw(const struct ini *ini, const char *sect,
				 const char *opt)
{
	const struct val *s = val_dict_get(ini->sections, sect);
	const struct val *v = s ? val_dict_get(s, opt) : NULL;

	if (!v && (s = val_dict_get(ini->sections, INI_DEFAULT)))
		v = val_dict_get(s, opt);
	return v;
}

/* BasicInterpolation's _interpolate_some: %% and %(name)s. */
static int ini_interpolate(struct buf *out, const struct ini *ini,
			   const char *sect, const char *opt, const char *s,
			   size_t len, int depth)
{
	struct buf name = BUF_INIT, key = BUF_INIT;
	int error = 0;

	if (depth > INI_MAX_DEPTH)
		return tend_error_set("lookup('ini'): Recursion limit exceeded "
				      "in value substitution: option '%s' in "
				      "section '%s' contains an interpolation "
				      "key which cannot be substituted in 10 "
				      "steps", opt, sect);
	while (!error && len) {
		const char *pct = memchr(s, '%', len), *close;
		const struct val *v;

		if (!pct) {
			buf_add(out, s, len);
			break;
		}
		buf_add(out, s, (size_t)(pct - s));
		len -= (size_t)(pct - s);
		s = pct;
		if (len > 1 && s[1] == '%') {
			buf_addch(out, '%');
			s += 2;
			len -= 2;
			continue;
		}
		if (len < 2 || s[1] != '(')
			return tend_error_set("lookup('ini'): '%%' must be "
					      "followed by '%%' or '(', found: "
					      "'%.*s' (option '%s' in section "
					      "'%s')", (int)len, s, opt, sect);
		close = memchr(s + 2, ')', len - 2);
		if (!close || close == s + 2 ||
		    (size_t)(close - s) + 1 >= len || close[1] != 's')
			return tend_error_set("lookup('ini'): bad interpolation "
					      "variable reference '%.*s' (option "
					      "'%s' in section '%s')", (int)len,
					      s, opt, sect);
		buf_reset(&name);
		buf_add(&name, s + 2, (size_t)(close - s - 2));
		if ((error = ini_optname(&key, ini, name.ptr, name.len)) < 0)
			break;
		len -= (size_t)(close + 2 - s);
		s = close + 2;
		v = ini_raw(ini, sect, key.ptr);
		if (!v || v->type != VAL_STR) {
			error = tend_error_set("lookup('ini'): Bad value "
					       "substitution: option '%s' in "
					       "section '%s' contains an "
					       "interpolation key '%s' which is "
					       "not a valid option name", opt,
					       sect, key.ptr);
			break;
		}
		if (memchr(v->u.s.ptr, '%', v->u.s.len))
			error = ini_interpolate(out, ini, sect, opt,
						v->u.s.ptr, v->u.s.len,
						depth + 1);
		else
			buf_add(out, v->u.s.ptr, v->u.s.len);
	}
	buf_release(&name);
	buf_release(&key);
	return error;
}

static int ini_get(struct val **out, const struct ini *ini, const char *sect,
		   const char *opt, const struct val *raw)
{
	struct buf b = BUF_INIT;
	int error;

	*out = NULL;
	if (raw->type == VAL_NULL) {
		*out = val_null();
		return 0;
	}
	if ((error = ini_interpolate(&b, ini, sect, opt, raw->u.s.ptr,
				     raw->u.s.len, 1)) < 0) {
		buf_release(&b);
		return error;
	}
	*out = template_str_result(&b);
	return 0;
}

/* configparser's items(section), each value interpolated, in its order. */
static int ini_items(struct val **out, const struct ini *ini,
		     const char *sect)
{
	const struct val *def = val_dict_get(ini->sections, INI_DEFAULT);
	const struct val *sec = val_dict_get(ini->sections, sect);
	struct val *d = val_dict();
	int error = 0;

	for (size_t i = 0; def && i < def->u.dict.nr; i++)
		val_dict_set(d, def->u.dict.items[i].key,
			     val_ref(def->u.dict.items[i].v));
	for (size_t i = 0; sec && sec != def && i < sec->u.dict.nr; i++)
		val_dict_set(d, sec->u.dict.items[i].key,
			     val_ref(sec->u.dict.items[i].v));
	*out = val_dict();
	for (size_t i = 0; !error && i < d->u.dict.nr; i++) {
		const struct val *raw = d->u.dict.items[i].v;
		struct val *v = NULL;

		/* a valueless option reads as "" here, as in configparser */
		if (raw->type == VAL_NULL)
			v = val_str("");
		else
			error = ini_get(&v, ini, sect, d->u.dict.items[i].key,
					raw);
		if (v)
			val_dict_set(*out, d->u.dict.items[i].key, v);
	}
	val_unref(d);
	return error;
}

/* get_value: a key, or every option whose name the regex key matches. */
static int ini_value(struct val *out, const struct ini *ini, const char *key,
		     const char *sect, const struct val *dflt, bool is_re,
		     const char *file)
{
	struct buf opt = BUF_INIT;
	const struct val *raw;
	struct val *v = NULL;
	int error;

	if (strcmp(sect, INI_DEFAULT) && !val_dict_get(ini->sections, sect))
		return tend_error_set("lookup('ini'): No section '%s' in %s",
				      sect, file);
	if (is_re) {
		struct regex *re = NULL;
		struct regex_match m = REGEX_MATCH_INIT;
		struct val *items = NULL;

		if ((error = regex_compile(&re, key, 0)) == 0 &&
		    (error = ini_items(&items, ini, sect)) == 0)
			for (size_t i = 0; !error && i < items->u.dict.nr;
			     i++) {
				const char *k = items->u.dict.items[i].key;

				error = regex_exec(&m, re, k, strlen(k), 0,
						   REGEX_MATCH);
				if (!error && m.matched)
					val_list_push(out, val_ref(items->u.dict
							.items[i].v));
			}
		val_unref(items);
		regex_match_release(&m);
		regex_free(re);
		return error;
	}
	if ((error = ini_optname(&opt, ini, key, strlen(key))) < 0) {
		buf_release(&opt);
		return error;
	}
	raw = ini_raw(ini, sect, opt.ptr ? opt.ptr : "");
	if (!raw)
		v = dflt ? val_ref((struct val *)dflt) : val_null();
	else
		error = ini_get(&v, ini, sect, opt.ptr ? opt.ptr : "", raw);
	buf_release(&opt);
	if (error < 0)
		return error;
	/* a list default is spread, None adds nothing, as Ansible's run() */
	if (v->type == VAL_LIST)
		for (size_t i = 0; i < v->u.list.nr; i++)
			val_list_push(out, val_ref(v->u.list.items[i]));
	else if (v->type != VAL_NULL)
		val_list_push(out, val_ref(v));
	val_unref(v);
	return 0;
}

int lookup_ini_text(struct val *out, const char *data, size_t len,
		    const char *key, const char *section, bool is_re,
		    bool case_sensitive, bool allow_no_value)
{
	struct ini ini = { val_dict(), case_sensitive, allow_no_value };
	int error = ini_read(&ini, data, len, "input");

	if (!error)
		error = ini_value(out, &ini, key, section, NULL, is_re,
				  "input");
	val_unref(ini.sections);
	return error;
}

static const char *const ini_names[] = { "type", "file", "section", "re",
	"encoding", "default", "case_sensitive", "allow_no_value", NULL };
static const char *const ini_defaults[] = { "ini", "ansible.ini", "global",
	NULL, "utf-8", "", NULL, NULL };

/*
 * A term with inline options, as Ansible's _parse_params splits it: words
 * on whitespace; a word holding "NAME=" starts that option (the last
 * option name found in it wins, in the options' order); other words are
 * added to the option before them with a space. The first word without
 * `=` is the key.
 */
static int ini_inline(char **key, struct table_opts *o, const char *term,
		      bool *re_inline)
{
	struct val *words = template_py_split(term, strlen(term), NULL, -1);
	struct val *params = val_dict();
	struct val *order = val_list();
	const char *thiskey = "key";
	int error = 0;

	for (size_t i = 0; i < words->u.list.nr; i++) {
		const char *w = val_cstr(words->u.list.items[i]);
		const struct val *have;

		if (strchr(w, '='))
			for (size_t k = 0; o->names[k]; k++) {
				char probe[64];

				snprintf(probe, sizeof(probe), "%s=",
					 o->names[k]);
				if (strstr(w, probe))
					thiskey = o->names[k];
			}
		have = val_dict_get(params, thiskey);
		if (i == 0 || !have || !val_len(have)) {
			val_dict_set_str(params, thiskey, w);
			val_list_push(order, val_str(thiskey));
		} else {
			struct buf b = BUF_INIT;

			buf_addf(&b, "%s %s", val_cstr(have), w);
			val_dict_set(params, thiskey, template_str_result(&b));
		}
	}
	*key = NULL;
	for (size_t i = 0; !error && i < order->u.list.nr; i++) {
		const char *p = val_cstr(val_dict_get(params,
				val_cstr(order->u.list.items[i])));
		const char *eq = strchr(p, '=');
		bool known = false;

		if (!eq) {
			if (!*key)
				*key = xstrdup(p);
			continue;
		}
		if (strchr(eq + 1, '=')) {
			error = tend_error_set("lookup('ini'): Could not use "
					       "'%s' from the term '%s': too "
					       "many values to unpack", p, term);
			break;
		}
		for (size_t k = 0; o->names[k]; k++)
			known |= strlen(o->names[k]) == (size_t)(eq - p) &&
				 !strncmp(o->names[k], p, (size_t)(eq - p));
		if (!known) {
			error = tend_error_set("lookup('ini'): %.*s is not a "
					       "valid option.", (int)(eq - p), p);
			break;
		}
		{
			struct buf name = BUF_INIT;

			buf_add(&name, p, (size_t)(eq - p));
			val_dict_set_str(o->dict, name.ptr, eq + 1);
			if (!strcmp(name.ptr, "re"))
				*re_inline = true;
			buf_release(&name);
		}
	}
	if (!error && !*key)
		error = tend_error_set("lookup('ini'): No key to lookup was "
				       "provided as first term with in string "
				       "inline options: %s", term);
	val_unref(words);
	val_unref(params);
	val_unref(order);
	return error;
}

static bool has_space(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		if (template_py_space(s + i, len - i))
			return true;
	return false;
}

int lookup_ini(struct val *out, const struct val *terms,
	       const struct lookup_env *env)
{
	struct table_opts o;
	struct ini ini = { .sections = val_dict() };
	const char *type;
	bool re_inline = false;
	int error = 0;

	opts_init(&o, ini_names, ini_defaults, env);
	type = opt_cstr(&o, "type");
	if (!type || (strcmp(type, "ini") && strcmp(type, "properties")))
		error = tend_error_set("lookup('ini'): Invalid type for "
				       "configuration option 'type': it must "
				       "be one of ini, properties");
	if (!val_dict_get(o.dict, "allow_no_value") &&
	    lookup_opt(env, "allow_none"))
		val_dict_set(o.dict, "allow_no_value",
			     val_ref((struct val *)lookup_opt(env,
							      "allow_none")));
	if (error < 0 ||
	    (error = opt_bool(&ini.case_sensitive, &o, "case_sensitive",
			      false)) < 0 ||
	    (error = opt_bool(&ini.allow_no_value, &o, "allow_no_value",
			      false)) < 0)
		goto out;
	for (size_t i = 0; !error && i < terms->u.list.nr; i++) {
		const char *term = val_cstr(terms->u.list.items[i]), *sect;
		struct buf data = BUF_INIT, body = BUF_INIT;
		char *key = NULL;
		bool secret = false, is_re;
		size_t before = out->u.list.nr;

		if (!term) {
			error = tend_error_set("lookup('ini'): a term is a %s, "
					       "not a string", template_type_name(
					       terms->u.list.items[i]));
			break;
		}
		{
			const char *t = term;
			size_t tl = strlen(term);

			py_strip(&t, &tl);
			if (strchr(term, '=') || has_space(t))
				error = ini_inline(&key, &o, term, &re_inline);
			else
				key = xstrdup(term);
		}
		if (!error)
			error = read_table(&data, &secret, &o, env, "ini");
		if (!error) {
			const char *kind = opt_cstr(&o, "type");

			/* an inline type other than these reads as ini */
			if (kind && !strcmp(kind, "properties")) {
				buf_adds(&body, "[java_properties]\n");
				val_dict_set_str(o.dict, "section",
						 "java_properties");
			}
			buf_add(&body, data.ptr, data.len);
		}
		if (!error)
			error = ini_read(&ini, body.ptr ? body.ptr : "",
					 body.len, opt_cstr(&o, "file"));
		sect = opt_cstr(&o, "section");
		if (!error && !sect)
			error = tend_error_set("lookup('ini'): option 'section' "
					       "is not a string");
		if (!error)
			error = opt_bool(&is_re, &o, "re", re_inline);
		if (!error)
			error = ini_value(out, &ini, key, sect,
					  val_dict_get(o.dict, "default"),
					  is_re, opt_cstr(&o, "file"));
		for (size_t k = before; secret && k < out->u.list.nr; k++)
			out->u.list.items[k] = val_secret(out->u.list.items[k]);
		free(key);
		buf_release_secret(&data);
		buf_release_secret(&body);
	}
out:
	val_unref(o.dict);
	val_unref(ini.sections);
	return error;
}

/* ---- csvfile ------------------------------------------------------ */

enum csv_state { CSV_START_RECORD, CSV_START_FIELD, CSV_IN_FIELD,
		 CSV_IN_QUOTED, CSV_QUOTE_IN_QUOTED, CSV_EAT_CRNL };

struct csv {
	enum csv_state state;
	char delim;
	struct val *row;     /* the fields so far */
	struct buf field;
	bool field_started;  /* Python's field_len != 0, or a quote seen */
};

static void csv_save(struct csv *c)
{
	val_list_push(c->row, val_strn(c->field.ptr ? c->field.ptr : "",
				       c->field.len));
	buf_reset(&c->field);
	c->field_started = false;
}

static void csv_add(struct csv *c, char ch)
{
	buf_addch(&c->field, ch);
	c->field_started = true;
}

/* Python's parse_process_char; ch < 0 is the end of a line (EOL). */
static int csv_char(struct csv *c, int ch)
{
	bool nl = ch == '\n' || ch == '\r';

	switch (c->state) {
	case CSV_START_RECORD:
		if (ch < 0)
			return 0;
		if (nl) {
			c->state = CSV_EAT_CRNL;
			return 0;
		}
		c->state = CSV_START_FIELD;
		/* fallthrough */
	case CSV_START_FIELD:
		if (nl || ch < 0) {
			csv_save(c);
			c->state = ch < 0 ? CSV_START_RECORD : CSV_EAT_CRNL;
		} else if (ch == '"') {
			c->state = CSV_IN_QUOTED;
		} else if (ch == c->delim) {
			csv_save(c);
		} else {
			csv_add(c, (char)ch);
			c->state = CSV_IN_FIELD;
		}
		return 0;
	case CSV_IN_FIELD:
		if (nl || ch < 0) {
			csv_save(c);
			c->state = ch < 0 ? CSV_START_RECORD : CSV_EAT_CRNL;
		} else if (ch == c->delim) {
			csv_save(c);
			c->state = CSV_START_FIELD;
		} else {
			csv_add(c, (char)ch);
		}
		return 0;
	case CSV_IN_QUOTED:
		if (ch == '"')
			c->state = CSV_QUOTE_IN_QUOTED;
		else if (ch >= 0)
			csv_add(c, (char)ch);
		return 0;
	case CSV_QUOTE_IN_QUOTED:
		if (ch == '"') {
			csv_add(c, '"');
			c->state = CSV_IN_QUOTED;
		} else if (ch == c->delim) {
			csv_save(c);
			c->state = CSV_START_FIELD;
		} else if (nl || ch < 0) {
			csv_save(c);
			c->state = ch < 0 ? CSV_START_RECORD : CSV_EAT_CRNL;
		} else {
			csv_add(c, (char)ch);
			c->state = CSV_IN_FIELD;
		}
		return 0;
	case CSV_EAT_CRNL:
		if (ch < 0)
			c->state = CSV_START_RECORD;
		else if (!nl)
			return tend_error_set("lookup('csvfile'): csvfile: "
					      "new-line character seen in "
					      "unquoted field - do you need to "
					      "open the file in universal-"
					      "newline mode?");
		return 0;
	}
	return 0;
}

/* int(col) as Python parses a string: spaces, a sign, digits. */
static int csv_col(long long *out, const struct val *v)
{
	const char *s;
	char *end;

	if (v && v->type == VAL_INT) {
		*out = v->u.i;
		return 0;
	}
	s = val_cstr(v);
	if (s) {
		while (isspace((unsigned char)*s))
			s++;
		errno = 0;
		*out = strtoll(s, &end, 10);
		while (end != s && isspace((unsigned char)*end))
			end++;
		if (end != s && isdigit((unsigned char)s[s[0] == '-' ||
							 s[0] == '+']) &&
		    !*end && !errno)
			return 0;
	}
	return tend_error_set("lookup('csvfile'): csvfile: invalid literal "
			      "for int() with base 10: '%s'", s ? s : "");
}

/*
 * Column `col` of the first row whose first field is `key` (col is read
 * only then, as Ansible's int(col) is); *out NULL if no row matches.
 */
int lookup_csv_text(struct val **out, const char *data, size_t len,
		    const char *key, char delim, const struct val *colv)
{
	struct csv c = { .state = CSV_START_RECORD, .delim = delim };
	const char *p = data, *end = data + len;
	int error = 0;

	*out = NULL;
	c.row = val_list();
	while (!error && !*out && (p < end || c.state == CSV_IN_QUOTED)) {
		if (p >= end) { /* the data ends inside a quoted field */
			csv_save(&c);
			c.state = CSV_START_RECORD;
		} else {
			size_t lb = 0;

			while (!error && p < end && !lb) { /* one line */
				size_t n;

				lb = template_py_linebreak(p, (size_t)(end - p));
				n = lb ? lb : 1;
				for (size_t i = 0; !error && i < n; i++)
					error = csv_char(&c,
							 (unsigned char)p[i]);
				p += n;
			}
			if (!error)
				error = csv_char(&c, -1);
		}
		if (error || c.state != CSV_START_RECORD)
			continue;
		if (c.row->u.list.nr &&
		    c.row->u.list.items[0]->u.s.len == strlen(key) &&
		    !memcmp(c.row->u.list.items[0]->u.s.ptr, key,
			    strlen(key))) {
			long long n = (long long)c.row->u.list.nr, col = 0;

			if ((error = csv_col(&col, colv)) == 0) {
				if (col < 0)
					col += n;
				if (col < 0 || col >= n)
					error = tend_error_set(
						"lookup('csvfile'): csvfile: "
						"list index out of range");
				else
					*out = val_ref(c.row->u.list.items[col]);
			}
		}
		val_unref(c.row);
		c.row = val_list();
	}
	val_unref(c.row);
	buf_release(&c.field);
	return error;
}

/*
 * The search key: the words of the term that are not k=v, as Ansible's
 * parse_kv leaves them (spacing and quotes kept, "\=" read as "="). A
 * word with an unescaped "=" is an option csvfile lacks: an error, as in
 * Ansible, and so is an unbalanced quote. A term that starts with
 * whitespace is refused: parse_kv drops one leading space, fails on two,
 * and keeps a tab.
 */
static int csv_key(char **out, const char *raw, const char *term)
{
	struct buf b = BUF_INIT;
	const char *word = raw;
	char quote = 0;

	*out = NULL;
	if (isspace((unsigned char)term[0]))
		return tend_error_set("lookup('csvfile'): a term that starts "
				      "with whitespace is not supported yet");
	for (const char *p = raw; *p; p++) {
		bool escaped = p > raw && p[-1] == '\\';

		if (quote) {
			quote = *p == quote && !escaped ? 0 : quote;
		} else if ((*p == '"' || *p == '\'') && !escaped) {
			quote = *p;
		} else if (isspace((unsigned char)*p)) {
			word = p + 1;
		} else if (*p == '=' && (p == raw || p[-1] != '\\')) {
			buf_release(&b);
			return tend_error_set("lookup('csvfile'): %.*s is not a "
					      "valid option", (int)(p - word),
					      word);
		}
		if (*p == '\\' && p[1] == '=')
			continue;
		buf_addch(&b, *p);
	}
	if (quote) {
		buf_release(&b);
		return tend_error_set("lookup('csvfile'): failed at splitting "
				      "arguments, either an unbalanced jinja2 "
				      "block or quotes: %s", term);
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

static const char *const csv_names[] = { "col", "default", "delimiter",
	"file", "encoding", NULL };
static const char *const csv_defaults[] = { "1", NULL, "TAB",
	"ansible.csv", "utf-8", NULL };

int lookup_csvfile(struct val *out, const struct val *terms,
		   const struct lookup_env *env)
{
	struct table_opts o;
	int error = 0;

	opts_init(&o, csv_names, csv_defaults, env);
	for (size_t i = 0; !error && i < terms->u.list.nr; i++) {
		const char *term = val_cstr(terms->u.list.items[i]);
		const char *raw, *delim;
		struct val *kv = NULL, *v = NULL;
		struct buf data = BUF_INIT;
		bool secret = false;
		char *key = NULL;

		if (!term) {
			error = tend_error_set("lookup('csvfile'): a term is a "
					       "%s, not a string",
					       template_type_name(
					       terms->u.list.items[i]));
			break;
		}
		if ((error = val_parse_kv(&kv, term, csv_names)) < 0)
			break;
		for (size_t k = 0; k < kv->u.dict.nr; k++)
			if (strcmp(kv->u.dict.items[k].key, "_raw_params"))
				val_dict_set(o.dict, kv->u.dict.items[k].key,
					     val_ref(kv->u.dict.items[k].v));
		raw = val_cstr(val_dict_get(kv, "_raw_params"));
		if (!raw || !*raw)
			error = tend_error_set("lookup('csvfile'): Search key "
					       "is required but was not found");
		else
			error = csv_key(&key, raw, term);
		delim = opt_cstr(&o, "delimiter");
		if (!error && delim && !strcmp(delim, "TAB"))
			delim = "\t";
		if (!error && delim && (unsigned char)delim[0] >= 0x80)
			error = tend_error_set("lookup('csvfile'): a delimiter "
					       "beyond ASCII is not supported "
					       "yet");
		else if (!error && (!delim || strlen(delim) != 1))
			error = tend_error_set("lookup('csvfile'): csvfile: "
					       "\"delimiter\" must be a "
					       "1-character string");
		if (!error)
			error = read_table(&data, &secret, &o, env, "csvfile");
		if (!error)
			error = lookup_csv_text(&v, data.ptr ? data.ptr : "", data.len,
					 key, delim[0],
					 val_dict_get(o.dict, "col"));
		if (!error && !v && val_dict_get(o.dict, "default"))
			v = val_ref(val_dict_get(o.dict, "default"));
		if (!error && v && v->type == VAL_LIST) {
			for (size_t k = 0; k < v->u.list.nr; k++)
				val_list_push(out, val_ref(v->u.list.items[k]));
		} else if (!error && v && v->type != VAL_NULL) {
			val_list_push(out, secret ? val_secret(val_ref(v)) :
				      val_ref(v));
		}
		val_unref(v);
		val_unref(kv);
		free(key);
		buf_release_secret(&data);
	}
	val_unref(o.dict);
	return error;
}
