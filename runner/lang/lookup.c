/*
 * Lookup plugins: the table, their options, and the plugins that compute
 * from data alone. Each follows Ansible 2.14's plugin of that name
 * (ansible/plugins/lookup/NAME.py), errors worded as it words them.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/regex.h"
#include "tend/lang/lookup_int.h"
#include "tend/lang/lookup_files_int.h"
#include "tend/lang/scope_int.h"
#include "tend/lang/value_int.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

#include <ctype.h>
#include <sodium.h>

/* Python's _flatten: the items of x, one level of lists spread. */
static void flatten1(struct val *out, const struct val *x)
{
	if (x->type != VAL_LIST) {
		val_list_push(out, val_ref((struct val *)x));
		return;
	}
	for (size_t i = 0; i < x->u.list.nr; i++) {
		struct val *it = x->u.list.items[i];

		if (it->type == VAL_LIST)
			for (size_t j = 0; j < it->u.list.nr; j++)
				val_list_push(out,
					      val_ref(it->u.list.items[j]));
		else
			val_list_push(out, val_ref(it));
	}
}

/* A term as a list (listify_lookup_plugin_terms): a scalar is [it]. */
static struct val *listify(const struct val *t)
{
	struct val *l;

	if (t->type == VAL_LIST)
		return val_ref((struct val *)t);
	l = val_list();
	val_list_push(l, val_ref((struct val *)t));
	return l;
}

static int need_str_term(const char **out, const struct val *t,
			 const char *plugin)
{
	if (!(*out = val_cstr(t)))
		return tend_error_set("lookup('%s'): Invalid setting identifier, "
				      "a term is a %s, not a string", plugin,
				      template_type_name(t));
	return 0;
}

static int lookup_vars(struct val *out, const struct val *terms,
		       const struct lookup_env *env)
{
	const struct val *def = lookup_opt(env, "default");

	for (size_t i = 0; i < terms->u.list.nr; i++) {
		const char *name;
		struct val *v = NULL;
		int error;

		if ((error = need_str_term(&name, terms->u.list.items[i],
					   "vars")) < 0)
			return error;
		error = env->var(&v, name, env->payload);
		if (!error && template_is_undef(v)) {
			val_unref(v);
			v = NULL;
			error = tend_error_set_code(TEND_EUNDEFINED,
						    "No variable found with "
						    "this name: %s", name);
		}
		if (error == TEND_EUNDEFINED && def) {
			tend_error_clear();
			v = val_ref((struct val *)def);
		} else if (error < 0) {
			return error;
		}
		val_list_push(out, v);
	}
	return 0;
}

/* The names of every variable in scope, outermost first, once each. */
static struct val *all_var_names(const struct scope *s)
{
	const struct scope *chain[64];
	struct val *seen = val_dict(), *names = val_list();
	size_t n = 0;

	for (; s && n < ARRAY_SIZE(chain); s = s->parent)
		chain[n++] = s;
	while (n--) {
		const struct val *d = chain[n]->vars;

		for (size_t i = 0; d && d->type == VAL_DICT && i < d->u.dict.nr;
		     i++) {
			const char *k = d->u.dict.items[i].key;

			if (val_dict_get(seen, k))
				continue;
			val_dict_set(seen, k, val_null());
			val_list_push(names, val_str(k));
		}
	}
	val_unref(seen);
	return names;
}

static int lookup_varnames(struct val *out, const struct val *terms,
			   const struct lookup_env *env)
{
	struct val *names = all_var_names(env->scope);
	struct regex_match m = REGEX_MATCH_INIT;
	int error = 0;

	for (size_t i = 0; !error && i < terms->u.list.nr; i++) {
		struct regex *re;
		const char *pat;

		if ((error = need_str_term(&pat, terms->u.list.items[i],
					   "varnames")) < 0 ||
		    (error = regex_compile(&re, pat, 0)) < 0)
			break;
		for (size_t k = 0; !error && k < names->u.list.nr; k++) {
			struct val *n = names->u.list.items[k];

			error = regex_exec(&m, re, n->u.s.ptr, n->u.s.len, 0,
					   REGEX_SEARCH);
			if (!error && m.matched)
				val_list_push(out, val_ref(n));
		}
		regex_free(re);
	}
	regex_match_release(&m);
	val_unref(names);
	return error;
}

static int lookup_dict(struct val *out, const struct val *terms,
		       const struct lookup_env *env)
{
	(void)env;
	for (size_t i = 0; i < terms->u.list.nr; i++) {
		const struct val *d = terms->u.list.items[i];

		if (d->type != VAL_DICT)
			return tend_error_set("with_dict expects a dict");
		for (size_t k = 0; k < d->u.dict.nr; k++) {
			struct val *it = val_dict();

			val_dict_set_str(it, "key", d->u.dict.items[k].key);
			val_dict_set(it, "value", val_ref(d->u.dict.items[k].v));
			val_list_push(out, it);
		}
	}
	return 0;
}

static int lookup_items(struct val *out, const struct val *terms,
			const struct lookup_env *env)
{
	(void)env;
	flatten1(out, terms);
	return 0;
}

static int lookup_list(struct val *out, const struct val *terms,
		       const struct lookup_env *env)
{
	(void)env;
	for (size_t i = 0; i < terms->u.list.nr; i++)
		val_list_push(out, val_ref(terms->u.list.items[i]));
	return 0;
}

/* Python's _flatten(x) of a non-list x: a string is its characters. */
static struct val *flatten_any(const struct val *x)
{
	struct val *l = val_list();

	if (x->type == VAL_STR) {
		for (size_t i = 0; i < x->u.s.len;) {
			size_t n = 1;

			/* one code point, not one byte */
			while (i + n < x->u.s.len &&
			       ((unsigned char)x->u.s.ptr[i + n] & 0xc0) == 0x80)
				n++;
			val_list_push(l, val_strn(x->u.s.ptr + i, n));
			i += n;
		}
	} else if (x->type == VAL_DICT) {
		for (size_t i = 0; i < x->u.dict.nr; i++)
			val_list_push(l, val_str(x->u.dict.items[i].key));
	} else {
		flatten1(l, x);
	}
	return l;
}

static int lookup_nested(struct val *out, const struct val *terms,
			 const struct lookup_env *env)
{
	struct val *result;

	(void)env;
	if (!terms->u.list.nr)
		return tend_error_set("with_nested requires at least one "
				      "element in the nested list");
	result = listify(terms->u.list.items[0]);
	for (size_t t = 1; t < terms->u.list.nr; t++) {
		struct val *b = listify(terms->u.list.items[t]);
		struct val *next = val_list();

		for (size_t i = 0; i < result->u.list.nr; i++)
			for (size_t j = 0; j < b->u.list.nr; j++) {
				struct val *pair = val_list(), *c = val_list();

				val_list_push(pair, val_ref(result->u.list.items[i]));
				val_list_push(pair, val_ref(b->u.list.items[j]));
				flatten1(c, pair);
				val_unref(pair);
				val_list_push(next, c);
			}
		val_unref(b);
		val_unref(result);
		result = next;
	}
	for (size_t i = 0; i < result->u.list.nr; i++)
		val_list_push(out, flatten_any(result->u.list.items[i]));
	val_unref(result);
	return 0;
}

static int lookup_together(struct val *out, const struct val *terms,
			   const struct lookup_env *env)
{
	size_t n = 0;

	(void)env;
	if (!terms->u.list.nr)
		return tend_error_set("with_together requires at least one "
				      "element in each list");
	for (size_t t = 0; t < terms->u.list.nr; t++) {
		const struct val *l = terms->u.list.items[t];
		size_t len = l->type == VAL_LIST ? l->u.list.nr : 1;

		n = len > n ? len : n;
	}
	for (size_t i = 0; i < n; i++) {
		struct val *row = val_list(), *flat = val_list();

		for (size_t t = 0; t < terms->u.list.nr; t++) {
			struct val *l = listify(terms->u.list.items[t]);

			val_list_push(row, i < l->u.list.nr ?
				      val_ref(l->u.list.items[i]) : val_null());
			val_unref(l);
		}
		flatten1(flat, row);
		val_unref(row);
		val_list_push(out, flat);
	}
	return 0;
}

static int lookup_indexed_items(struct val *out, const struct val *terms,
				const struct lookup_env *env)
{
	struct val *flat = val_list();

	(void)env;
	flatten1(flat, terms);
	for (size_t i = 0; i < flat->u.list.nr; i++) {
		struct val *pair = val_list();

		val_list_push(pair, val_int((long long)i));
		val_list_push(pair, val_ref(flat->u.list.items[i]));
		pair->flags |= VAL_F_TUPLE;
		val_list_push(out, pair);
	}
	val_unref(flat);
	return 0;
}

/*
 * `d` without the key at the end of the path keys[0..n): Ansible pops
 * the subelement list out of the element it yields with it.
 */
static struct val *without_path(const struct val *d, struct val *keys,
				size_t k)
{
	const char *key = keys->u.list.items[k]->u.s.ptr;
	struct val *copy = val_dict();

	for (size_t i = 0; i < d->u.dict.nr; i++) {
		const struct val_pair *p = &d->u.dict.items[i];

		if (strcmp(p->key, key))
			val_dict_set(copy, p->key, val_ref(p->v));
		else if (k + 1 < keys->u.list.nr)
			val_dict_set(copy, p->key,
				     without_path(p->v, keys, k + 1));
	}
	return copy;
}

/* The subelement list of `item`; NULL and *skip, or an error. */
static int subelement_list(const struct val **out, bool *skip,
			   const struct val *item, struct val *keys,
			   bool skip_missing)
{
	const struct val *v = item;

	*out = NULL;
	*skip = false;
	for (size_t k = 0; k < keys->u.list.nr; k++) {
		const char *key = keys->u.list.items[k]->u.s.ptr;
		const struct val *next = val_dict_get(v, key);
		bool last = k + 1 == keys->u.list.nr;
		struct buf b = BUF_INIT;
		int error;

		if (next && (last ? next->type == VAL_LIST :
				    next->type == VAL_DICT)) {
			v = next;
			continue;
		}
		if (skip_missing && (!next || !last)) {
			*skip = true;
			return 0;
		}
		template_to_str(&b, next ? next : v);
		if (!next)
			error = tend_error_set("could not find '%s' key in "
					       "iterated item '%s'", key, b.ptr);
		else
			error = tend_error_set("the key %s should point to a "
					       "%s, got '%s'", key,
					       last ? "list" : "dictionary",
					       b.ptr);
		buf_release(&b);
		return error;
	}
	*out = v;
	return 0;
}

static int subelements_flags(bool *skip_missing, const struct val *terms)
{
	const struct val *flags;

	*skip_missing = false;
	if (terms->u.list.nr < 3)
		return 0;
	flags = terms->u.list.items[2];
	if (flags->type != VAL_DICT)
		return tend_error_set("subelements lookup expects a list of two "
				      "or three items, the optional third item "
				      "must be a dict with flags "
				      "('skip_missing',)");
	for (size_t i = 0; i < flags->u.dict.nr; i++) {
		const struct val_pair *p = &flags->u.dict.items[i];

		if (strcmp(p->key, "skip_missing"))
			return tend_error_set("subelements: flag '%s' is not "
					      "supported (only skip_missing)",
					      p->key);
		*skip_missing = truth_python(p->v);
	}
	return 0;
}

static int subelements_one(struct val *out, const struct val *item,
			   struct val *keys, bool skip_missing)
{
	const struct val *skipped, *list;
	struct val *parent;
	bool skip;
	int error;
	struct buf b = BUF_INIT;

	if (item->type != VAL_DICT) {
		template_to_str(&b, item);
		error = tend_error_set("subelements lookup expects a "
				       "dictionary, got '%s'", b.ptr);
		buf_release(&b);
		return error;
	}
	skipped = val_dict_get(item, "skipped");
	if (skipped && !(skipped->type == VAL_BOOL && !skipped->u.b))
		return 0;
	if ((error = subelement_list(&list, &skip, item, keys,
				     skip_missing)) < 0 || skip)
		return error;
	parent = without_path(item, keys, 0);
	for (size_t i = 0; i < list->u.list.nr; i++) {
		struct val *pair = val_list();

		val_list_push(pair, val_ref(parent));
		val_list_push(pair, val_ref(list->u.list.items[i]));
		pair->flags |= VAL_F_TUPLE;
		val_list_push(out, pair);
	}
	val_unref(parent);
	return 0;
}

static int lookup_subelements(struct val *out, const struct val *terms,
			      const struct lookup_env *env)
{
	const struct val *elems;
	struct val *keys;
	bool skip_missing;
	int error = 0;

	(void)env;
	if (terms->u.list.nr < 2 || terms->u.list.nr > 3)
		return tend_error_set("subelements lookup expects a list of two "
				      "or three items, ");
	elems = terms->u.list.items[0];
	if ((elems->type != VAL_LIST && elems->type != VAL_DICT) ||
	    !val_cstr(terms->u.list.items[1]))
		return tend_error_set("subelements lookup expects a list of two "
				      "or three items, first a dict or a list, "
				      "second a string pointing to the subkey");
	if ((error = subelements_flags(&skip_missing, terms)) < 0)
		return error;
	if (elems->type == VAL_DICT) {
		const struct val *s = val_dict_get(elems, "skipped");

		if (s && !(s->type == VAL_BOOL && !s->u.b))
			return 0;
	}
	keys = template_py_split(terms->u.list.items[1]->u.s.ptr,
				 terms->u.list.items[1]->u.s.len, ".", -1);
	for (size_t i = 0; !error && i < val_len(elems); i++) {
		const struct val *item = elems->type == VAL_LIST ?
			elems->u.list.items[i] : elems->u.dict.items[i].v;

		error = subelements_one(out, item, keys, skip_missing);
	}
	val_unref(keys);
	return error;
}

/*
 * sequence: Python's int(s, 0): an optional sign, then 0x/0o/0b and
 * digits of that base, or decimal digits without a leading zero.
 */
static int py_int0(long long *out, const char *s, const char *what)
{
	const char *p = s;
	int base = 10;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && strchr("xXoObB", p[1]) && p[1]) {
		base = strchr("xX", p[1]) ? 16 : strchr("oO", p[1]) ? 8 : 2;
		p += 2;
	} else if (p[0] == '0' && p[strspn(p, "0")]) {
		p = "";
	}
	errno = 0;
	if (*p && !isspace((unsigned char)*p) && *p != '+' && *p != '-') {
		long long v = strtoll(p, &end, base);

		if (!*end && !errno) {
			*out = *s == '-' ? -v : v;
			return 0;
		}
	}
	return tend_error_set("can't parse %s=%s as integer", what, s);
}

struct seq {
	long long start, end, count, stride;
	bool has_end, has_count;
	const char *format;
};

/* The shortcut form [start-]end[/stride][:format]; 1 if it matched. */
static int seq_shortcut(struct seq *q, const char *term, struct buf *fmt)
{
	static const char *pattern = "^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)"
				     "(/(0?x?[0-9a-f]+))?(:(.+))?$";
	struct regex *re;
	struct regex_match m = REGEX_MATCH_INIT;
	static const char *names[] = { "start", "end", "stride" };
	static const int groups[] = { 2, 3, 5 };
	long long *slots[] = { &q->start, &q->end, &q->stride };
	int error;
	size_t so, eo;

	if ((error = regex_compile(&re, pattern, REGEX_IGNORECASE)) < 0)
		return error;
	error = regex_exec(&m, re, term, strlen(term), 0, REGEX_SEARCH);
	for (size_t g = 0; !error && m.matched && g < 3; g++) {
		char num[64];

		if (!regex_match_group(&so, &eo, &m, (size_t)groups[g]))
			continue;
		snprintf(num, sizeof(num), "%.*s", (int)(eo - so), term + so);
		error = py_int0(slots[g], num, names[g]);
		q->has_end |= g == 1;
	}
	if (!error && m.matched && regex_match_group(&so, &eo, &m, 7)) {
		buf_add(fmt, term + so, eo - so);
		q->format = fmt->ptr;
	}
	error = error < 0 ? error : m.matched;
	regex_match_release(&m);
	regex_free(re);
	return error;
}

static int seq_kv(struct seq *q, const char *term, struct buf *fmt)
{
	static const char *names[] = { "start", "end", "count", "stride" };
	long long *slots[] = { &q->start, &q->end, &q->count, &q->stride };
	struct val *kv;
	int error = 0;

	if (val_parse_kv(&kv, term, NULL) < 0)
		return tend_error_prefix("unknown error parsing with_sequence "
					 "arguments: '%s'", term);
	for (size_t i = 0; !error && i < kv->u.dict.nr; i++) {
		const struct val_pair *p = &kv->u.dict.items[i];
		size_t k = 0;

		while (k < ARRAY_SIZE(names) && strcmp(p->key, names[k]))
			k++;
		if (k < ARRAY_SIZE(names)) {
			error = py_int0(slots[k], val_cstr(p->v), names[k]);
			q->has_end |= k == 1;
			q->has_count |= k == 2;
		} else if (!strcmp(p->key, "format")) {
			buf_sets(fmt, val_cstr(p->v));
			q->format = fmt->ptr;
		} else {
			error = tend_error_set("unrecognized arguments to "
					       "with_sequence: ['%s']", p->key);
		}
	}
	val_unref(kv);
	return error;
}

static int seq_check(struct seq *q)
{
	const char *pct;

	if (!q->has_count && !q->has_end)
		return tend_error_set("must specify count or end in "
				      "with_sequence");
	if (q->has_count && q->has_end)
		return tend_error_set("can't specify both count and end in "
				      "with_sequence");
	if (q->has_count) {
		long long span;

		if (!q->count)
			q->start = q->end = q->stride = 0;
		else if (__builtin_mul_overflow(q->count, q->stride, &span) ||
			 __builtin_add_overflow(q->start, span - 1, &q->end))
			return tend_error_set("with_sequence: count=%lld is out "
					      "of range", q->count);
	}
	if (q->stride > 0 && q->end < q->start)
		return tend_error_set("to count backwards make stride negative");
	if (q->stride < 0 && q->end > q->start)
		return tend_error_set("to count forward don't make stride "
				      "negative");
	pct = strchr(q->format, '%');
	if (!pct || strchr(pct + 1, '%'))
		return tend_error_set("bad formatting string: %s", q->format);
	return 0;
}

/* At most this many items from one sequence term. */
#define MAX_SEQUENCE 1000000

static int seq_generate(struct val *out, const struct seq *q)
{
	long long adjust = q->stride >= 0 ? 1 : -1, stop, span;

	if (!q->stride)
		return 0;
	if (__builtin_add_overflow(q->end, adjust, &stop) ||
	    __builtin_sub_overflow(stop, q->start, &span) ||
	    span / q->stride > MAX_SEQUENCE)
		return tend_error_set("with_sequence: more than %d items",
				      MAX_SEQUENCE);
	for (long long k = 0;; k++) {
		struct buf b = BUF_INIT;
		struct val *n;
		long long i;
		int error;

		if (__builtin_mul_overflow(k, q->stride, &i) ||
		    __builtin_add_overflow(q->start, i, &i) ||
		    (q->stride > 0 ? i >= stop : i <= stop))
			break;
		n = val_int(i);
		error = template_percent_format(&b, q->format, n);
		val_unref(n);
		if (error < 0) {
			buf_release(&b);
			return tend_error_set("problem formatting %lld with "
					      "'%s'", i, q->format);
		}
		val_list_push(out, template_str_result(&b));
	}
	return 0;
}

static int lookup_sequence(struct val *out, const struct val *terms,
			   const struct lookup_env *env)
{
	int error = 0;

	(void)env;
	for (size_t i = 0; !error && i < terms->u.list.nr; i++) {
		struct seq q = { 1, 0, 0, 1, false, false, "%d" };
		struct buf fmt = BUF_INIT;
		const char *term;

		if ((error = need_str_term(&term, terms->u.list.items[i],
					   "sequence")) < 0)
			break;
		error = seq_shortcut(&q, term, &fmt);
		if (!error)
			error = seq_kv(&q, term, &fmt);
		if (error >= 0 && (error = seq_check(&q)) == 0)
			error = seq_generate(out, &q);
		buf_release(&fmt);
	}
	return error < 0 ? error : 0;
}

static int lookup_env_var(struct val *out, const struct val *terms,
			  const struct lookup_env *env)
{
	const struct val *def = lookup_opt(env, "default");

	for (size_t i = 0; i < terms->u.list.nr; i++) {
		const char *term, *v;
		struct val *words;
		int error;

		if ((error = need_str_term(&term, terms->u.list.items[i],
					   "env")) < 0)
			return error;
		if (scope_limits(env->scope)->untrusted)
			return tend_error_set_code(TEND_EREFUSED,
				"lookup('env', '%s'): refusing to read the "
				"controller's environment for an untrusted "
				"source (--trust-source if you trust the "
				"commit)", term);
		words = template_py_split(term, strlen(term), NULL, -1);
		v = words->u.list.nr ? getenv(val_cstr(words->u.list.items[0]))
				     : NULL;
		val_unref(words);
		val_list_push(out, v ? val_str(v) :
			      def ? val_ref((struct val *)def) : val_str(""));
	}
	return 0;
}

/* random_choice: one of the terms, chosen at random (none: none). */
static int lookup_random_choice(struct val *out, const struct val *terms,
				const struct lookup_env *env)
{
	(void)env;
	if (terms->u.list.nr)
		val_list_push(out, val_ref(terms->u.list.items[
			randombytes_uniform((uint32_t)terms->u.list.nr)]));
	return 0;
}

static const char *const no_options[] = { NULL };
static const char *const opt_default[] = { "default", NULL };
static const char *const opt_file[] = { "lstrip", "rstrip", NULL };
static const char *const opt_template[] = { "template_vars", NULL };
static const char *const opt_first_found[] = { "files", "paths", "skip",
					       NULL };
static const char *const opt_password[] = { "length", "chars", NULL };
static const char *const opt_ini[] = { "type", "file", "section", "re",
	"encoding", "default", "case_sensitive", "allow_no_value", "allow_none",
	NULL };
static const char *const opt_url[] = { "validate_certs", "use_proxy",
	"username", "password", "headers", "force", "timeout", "http_agent",
	"force_basic_auth", "follow_redirects", "use_gssapi", "unix_socket",
	"ca_path", "unredirected_headers", "ciphers", "split_lines",
	"use_netrc", NULL };
static const char *const opt_csvfile[] = { "col", "default", "delimiter",
	"file", "encoding", NULL };

/* Sorted by name: lookup_find bisects. */
static const struct tlookup lookups[] = {
	{ "config", NULL, no_options, "reads Ansible's configuration" },
	{ "csvfile", lookup_csvfile, opt_csvfile, NULL },
	{ "dict", lookup_dict, no_options, NULL },
	{ "env", lookup_env_var, opt_default, NULL },
	{ "file", lookup_file, opt_file, NULL },
	{ "fileglob", lookup_fileglob, no_options, NULL },
	{ "first_found", lookup_first_found, opt_first_found, NULL },
	{ "indexed_items", lookup_indexed_items, no_options, NULL },
	{ "ini", lookup_ini, opt_ini, NULL },
	{ "inventory_hostnames", NULL, no_options,
	  "the hosts of an inventory pattern" },
	{ "items", lookup_items, no_options, NULL },
	{ "lines", lookup_lines, no_options, NULL },
	{ "list", lookup_list, no_options, NULL },
	{ "nested", lookup_nested, no_options, NULL },
	{ "password", lookup_password, opt_password, NULL },
	{ "pipe", lookup_pipe, no_options, NULL },
	{ "random_choice", lookup_random_choice, no_options, NULL },
	{ "sequence", lookup_sequence, no_options, NULL },
	{ "subelements", lookup_subelements, no_options, NULL },
	{ "template", lookup_template, opt_template, NULL },
	{ "together", lookup_together, no_options, NULL },
	{ "unvault", lookup_unvault, no_options, NULL },
	{ "url", lookup_url, opt_url, NULL },
	{ "varnames", lookup_varnames, no_options, NULL },
	{ "vars", lookup_vars, opt_default, NULL },
};

static int cmp_lookup(const void *key, const void *row)
{
	return strcmp(key, ((const struct tlookup *)row)->name);
}

const struct tlookup *lookup_find(const char *name)
{
	static const char prefix[] = "ansible.builtin.";

	if (!strncmp(name, prefix, sizeof(prefix) - 1))
		name += sizeof(prefix) - 1;
	return bsearch(name, lookups, ARRAY_SIZE(lookups), sizeof(lookups[0]),
		       cmp_lookup);
}

int lookup_check_option(const struct tlookup *l, const char *opt)
{
	static const char *const own[] = { "wantlist", "errors",
					   "allow_unsafe", NULL };

	for (const char *const *o = own; *o; o++)
		if (!strcmp(*o, opt))
			return 0;
	for (const char *const *o = l->options; *o; o++)
		if (!strcmp(*o, opt))
			return 0;
	return tend_error_set("lookup('%s'): option '%s' is not supported",
			      l->name, opt);
}

int lookup_run(struct val **out, const struct tlookup *l,
	       const struct val *terms, const struct lookup_env *env)
{
	int error;

	*out = NULL;
	if (l->why)
		return tend_error_set("lookup plugin '%s' is not supported yet "
				      "(%s)", l->name, l->why);
	for (size_t i = 0; env->a && i < env->a->nkw; i++)
		if ((error = lookup_check_option(l, env->a->kwname[i])) < 0)
			return error;
	*out = val_list();
	if ((error = l->run(*out, terms, env)) < 0) {
		val_unref(*out);
		*out = NULL;
	}
	return error;
}

int template_lookup_check(const char *name)
{
	const struct tlookup *l = lookup_find(name);

	if (!l)
		return tend_error_set("lookup plugin '%s' not found", name);
	if (l->why)
		return tend_error_set("lookup plugin '%s' is not supported yet "
				      "(%s)", l->name, l->why);
	return 0;
}
