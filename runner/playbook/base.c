#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/truth.h"
#include "tend/lang/template.h"
#include "tend/modkit/module.h"
#include "tend/modules/registry.h"
#include "tend/util/fs.h"
#include "tend/playbook/playbook_int.h"

#include <ctype.h>
#include <libgen.h>
#include <unistd.h>

/*
 * What every file of runner/playbook/ shares: keyword lookup, the value
 * checks of keywords, include paths.
 */

const struct keyword *playbook_keyword_find(const struct keyword *table,
					    const char *name)
{
	for (const struct keyword *row = table; row->name; row++)
		if (!strcmp(row->name, name))
			return row;
	return NULL;
}

void playbook_keywords_apply(const struct keyword *table,
			     const struct kwarg *a, const char *what,
			     const char *unknown)
{
	const struct val *dict = a->dict;

	for (size_t i = 0; i < dict->u.dict.nr; i++) {
		struct kwarg ka = *a;
		const struct keyword *row;

		ka.key = dict->u.dict.items[i].key;
		ka.v = dict->u.dict.items[i].v;
		row = playbook_keyword_find(table, ka.key);
		if (!row) {
			if (unknown)
				playbook_unknown_key(a->lc, dict, ka.key,
						     unknown, table, false);
		} else if (row->flags & KW_REFUSED) {
			diags_add(a->lc->d, playbook_key_pos(dict, ka.key),
				  "%s keyword '%s' is not supported yet", what,
				  ka.key);
		} else if (row->parse) {
			row->parse(&ka);
		}
	}
}

/* The row of `table` nearest to `key` (did_you_mean), or NULL. */
static const char *table_guess(const char *key, const struct keyword *table)
{
	const char **names;
	const char *guess;
	size_t n = 0;

	while (table[n].name)
		n++;
	names = xcalloc(n + 1, sizeof(*names));
	/* never an unsupported keyword: it would be refused in turn */
	n = 0;
	for (size_t i = 0; table[i].name; i++)
		if (!(table[i].flags & KW_REFUSED))
			names[n++] = table[i].name;
	guess = did_you_mean(key, names);
	free(names);
	return guess;
}

/* The module nearest to `key` (did_you_mean), or NULL. */
static const char *module_guess(const char *key)
{
	const char **names = NULL;
	const char *guess = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; tend_modules[i]; i++) {
		ALLOC_GROW(names, n + 2, alloc);
		names[n++] = tend_modules[i]->name;
	}
	if (names) {
		names[n] = NULL;
		guess = did_you_mean(key, names);
	}
	free(names);
	return guess;
}

void playbook_unknown_key(struct loadctx *lc, const struct val *dict,
			  const char *key, const char *what,
			  const struct keyword *table, bool modules_too)
{
	const char *guess;

	/* a name Ansible knows is named for what it is, not guessed at */
	if (modules_too &&
	    playbook_ansible_name(lc, playbook_key_pos(dict, key), key))
		return;
	guess = table_guess(key, table);
	if (!guess && modules_too)
		guess = module_guess(key);
	if (guess)
		diags_add(lc->d, playbook_key_pos(dict, key),
			  "unknown %s '%s' (did you mean '%s'?)", what, key, guess);
	else
		diags_add(lc->d, playbook_key_pos(dict, key), "unknown %s '%s'",
			  what, key);
}

const struct srcpos *playbook_key_pos(const struct val *dict, const char *key)
{
	const struct srcpos *p = val_dict_key_pos(dict, key);

	return p ? p : &dict->pos;
}

void playbook_parse_become_method(const struct kwarg *a)
{
	const char *m = val_cstr(a->v);
	char **to = a->t ? &a->t->become_method : &a->p->become_method;

	if (!m || (strcmp(m, "sudo") && strcmp(m, "su"))) {
		diags_add(a->lc->d, &a->v->pos,
			  "only 'sudo' and 'su' are supported as become_method");
		return;
	}
	free(*to);
	*to = xstrdup(m);
}

/* A scalar as a new string value. */
static struct val *scalar_str(const struct val *v)
{
	struct buf b = BUF_INIT;
	struct val *s;

	val_to_str(&b, v);
	s = val_str(b.ptr);
	buf_release(&b);
	return s;
}

/* "a, b,,c" as the list [a, b, c]. */
static void split_commas_into(struct val *l, const char *p)
{
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct buf w = BUF_INIT;

		buf_add(&w, p, n);
		buf_trim(&w);
		if (w.len)
			val_list_push(l, val_str(w.ptr));
		buf_release(&w);
		p += n + (e ? 1 : 0);
	}
}

struct val *playbook_string_list(struct loadctx *lc, const struct val *v,
				 const char *what, bool split_commas)
{
	struct val *l = val_list();

	if (v->type == VAL_STR) {
		if (split_commas)
			split_commas_into(l, v->u.s.ptr);
		else
			val_list_push(l, val_ref((struct val *)v));
		return l;
	}
	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++) {
			struct val *it = v->u.list.items[i];

			if (it->type == VAL_DICT || it->type == VAL_LIST) {
				diags_add(lc->d, &it->pos,
					  "expected a string in '%s', got a %s",
					  what, val_type_name(it->type));
				continue;
			}
			if (it->type == VAL_STR)
				val_list_push(l, val_ref(it));
			else
				val_list_push(l, scalar_str(it));
		}
		return l;
	}
	if (v->type == VAL_INT || v->type == VAL_FLOAT) {
		val_list_push(l, scalar_str(v));
		return l;
	}
	val_unref(l);
	diags_add(lc->d, &v->pos, "expected a string or a list for '%s', got a %s",
		  what, val_type_name(v->type));
	return NULL;
}

struct val *playbook_condition_list(struct loadctx *lc, const struct val *v,
				    const char *what)
{
	struct val *l;

	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++) {
			enum val_type t = v->u.list.items[i]->type;

			if (t == VAL_DICT || t == VAL_LIST) {
				diags_add(lc->d, &v->u.list.items[i]->pos,
					  "expected a condition in '%s', got a %s",
					  what, val_type_name(t));
				return NULL;
			}
		}
		return val_ref((struct val *)v);
	}
	if (v->type == VAL_DICT) {
		diags_add(lc->d, &v->pos,
			  "expected a condition for '%s', got a dict", what);
		return NULL;
	}
	l = val_list();
	val_list_push(l, val_ref((struct val *)v));
	return l;
}

int playbook_parse_bool(struct loadctx *lc, const struct val *v,
			const char *what, bool *out)
{
	if (!truth_boolean(out, v))
		return 0;
	tend_error_clear();
	diags_add(lc->d, &v->pos, "expected a bool for '%s', got '%s'", what,
		  val_cstr(v) ? val_cstr(v) : val_type_name(v->type));
	return -1;
}

struct val *playbook_expect_flag(struct loadctx *lc, const struct val *v,
				 const char *what)
{
	const char *s = val_cstr(v);
	bool b;

	if (s && template_has_jinja(s))
		return val_ref((struct val *)v);
	if (playbook_parse_bool(lc, v, what, &b) < 0)
		return NULL;
	return val_bool(b);
}

char *playbook_expect_str(struct loadctx *lc, const struct val *v,
			  const char *what)
{
	struct buf b = BUF_INIT;

	if (v->type == VAL_LIST || v->type == VAL_DICT || v->type == VAL_NULL) {
		diags_add(lc->d, &v->pos, "expected a string for '%s', got a %s",
			  what, val_type_name(v->type));
		return NULL;
	}
	val_to_str(&b, v);
	return buf_detach(&b, NULL);
}

struct val *playbook_expect_dict(struct loadctx *lc, const struct val *v,
				 const char *what)
{
	if (v->type == VAL_NULL)
		return val_dict();
	if (v->type != VAL_DICT) {
		diags_add(lc->d, &v->pos, "expected a dict for '%s', got a %s",
			  what, val_type_name(v->type));
		return NULL;
	}
	return val_ref((struct val *)v);
}

/* access(F_OK), beneath root when there is one */
static bool exists(const char *path, const char *root)
{
	int yes;

	if (!root)
		return !access(path, F_OK);
	yes = fs_exists_beneath(root, path);
	tend_error_clear();
	return yes == 1;
}

char *playbook_resolve_path(const char *file, const struct srcpos *pos,
			    const char *basedir, const char *root)
{
	struct buf b = BUF_INIT;

	if (file[0] == '/')
		return xstrdup(file);
	if (pos && pos->file) {
		char *copy = xstrdup(pos->file);

		buf_addf(&b, "%s/%s", dirname(copy), file);
		free(copy);
		if (exists(b.ptr, root))
			return buf_detach(&b, NULL);
		buf_reset(&b);
	}
	buf_addf(&b, "%s/%s", basedir, file);
	return buf_detach(&b, NULL);
}

void playbook_check_beneath(struct loadctx *lc, const char *path,
			    const struct srcpos *pos)
{
	if (lc->root && fs_exists_beneath(lc->root, path) == TEND_EREFUSED) {
		diags_add(lc->d, pos, "%s", tend_error_last());
		tend_error_clear();
	}
}

/* A name the shell can export: [A-Za-z_][A-Za-z0-9_]*. */
static bool env_name_ok(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/* One environment dict, or a template giving one. */
static bool env_part_ok(struct loadctx *lc, const struct val *v,
			const char *what)
{
	if (v->type == VAL_NULL)
		return true;
	if (v->type == VAL_STR && template_has_jinja(v->u.s.ptr))
		return true;
	if (v->type != VAL_DICT) {
		diags_add(lc->d, &v->pos, "expected a dict (or a template "
			  "giving one) for '%s', got a %s", what,
			  val_type_name(v->type));
		return false;
	}
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;

		if (template_has_jinja(k) || env_name_ok(k))
			continue;
		diags_add(lc->d, playbook_key_pos(v, k), "'%s' is not an "
			  "environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
			  k);
		return false;
	}
	return true;
}

struct val *playbook_expect_environment(struct loadctx *lc,
					const struct val *v, const char *what)
{
	if (v->type == VAL_LIST) {
		for (size_t i = 0; i < v->u.list.nr; i++)
			if (!env_part_ok(lc, v->u.list.items[i], what))
				return NULL;
		return val_ref((struct val *)v);
	}
	if (!env_part_ok(lc, v, what))
		return NULL;
	return val_ref((struct val *)v);
}

struct val *playbook_expect_int(struct loadctx *lc, const struct val *v,
				const char *what)
{
	const char *s = val_cstr(v);

	if (v->type == VAL_INT || (s && template_has_jinja(s)))
		return val_ref((struct val *)v);
	if (s && *s) {
		char *end;

		(void)strtoll(s, &end, 10);
		if (!*end)
			return val_ref((struct val *)v);
	}
	diags_add(lc->d, &v->pos, "expected an integer for '%s', got '%s'",
		  what, s ? s : val_type_name(v->type));
	return NULL;
}

struct val *playbook_expect_vars(struct loadctx *lc, const struct val *v,
				 const char *what)
{
	struct val *merged;

	if (v->type != VAL_LIST)
		return playbook_expect_dict(lc, v, what);
	merged = val_dict();
	merged->pos = v->pos;
	for (size_t i = 0; i < v->u.list.nr; i++) {
		const struct val *it = v->u.list.items[i];

		if (it->type == VAL_NULL)
			continue;
		if (it->type != VAL_DICT) {
			diags_add(lc->d, &it->pos, "expected a dict in the list "
				  "of '%s', got a %s", what,
				  val_type_name(it->type));
			val_unref(merged);
			return NULL;
		}
		for (size_t j = 0; j < it->u.dict.nr; j++)
			val_dict_set_pos(merged, it->u.dict.items[j].key,
					 val_ref(it->u.dict.items[j].v),
					 &it->u.dict.items[j].pos);
	}
	return merged;
}
