#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/val.h"

#include <ctype.h>

static struct val *val_new(enum val_type t)
{
	struct val *v = xcalloc(1, sizeof(*v));

	v->type = t;
	v->refcnt = 1;
	return v;
}

struct val *val_null(void)
{
	return val_new(VAL_NULL);
}

struct val *val_bool(bool b)
{
	struct val *v = val_new(VAL_BOOL);

	v->u.b = b;
	return v;
}

struct val *val_int(long long i)
{
	struct val *v = val_new(VAL_INT);

	v->u.i = i;
	return v;
}

struct val *val_float(double f)
{
	struct val *v = val_new(VAL_FLOAT);

	v->u.f = f;
	return v;
}

struct val *val_str_take(char *s, size_t len)
{
	struct val *v = val_new(VAL_STR);

	v->u.s.ptr = s;
	v->u.s.len = len;
	return v;
}

struct val *val_strn(const char *s, size_t len)
{
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return val_str_take(p, len);
}

struct val *val_str(const char *s)
{
	return val_strn(s, strlen(s));
}

struct val *val_strf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	size_t len;
	char *p;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	p = buf_detach(&b, &len);
	return val_str_take(p, len);
}

struct val *val_list(void)
{
	return val_new(VAL_LIST);
}

struct val *val_dict(void)
{
	return val_new(VAL_DICT);
}

struct val *val_ref(struct val *v)
{
	if (v)
		__atomic_fetch_add(&v->refcnt, 1, __ATOMIC_RELAXED);
	return v;
}

void val_unref(struct val *v)
{
	if (!v)
		return;
	if (__atomic_load_n(&v->refcnt, __ATOMIC_RELAXED) <= 0)
		BUG("val_unref of a freed value");
	if (__atomic_sub_fetch(&v->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	switch (v->type) {
	case VAL_STR:
		if (v->flags & VAL_F_SECRET)
			memset(v->u.s.ptr, 0, v->u.s.len);
		free(v->u.s.ptr);
		break;
	case VAL_LIST:
		for (size_t i = 0; i < v->u.list.nr; i++)
			val_unref(v->u.list.items[i]);
		free(v->u.list.items);
		break;
	case VAL_DICT:
		for (size_t i = 0; i < v->u.dict.nr; i++) {
			free(v->u.dict.items[i].key);
			val_unref(v->u.dict.items[i].v);
		}
		free(v->u.dict.items);
		free(v->u.dict.index);
		break;
	default:
		break;
	}
	free(v);
}

/*
 * The hash index of a dict with more than DICT_INDEX_MIN keys: open
 * addressing with linear probing, at most half full. A slot holds the
 * key's hash and its item's position + 1 (0: empty), so the items keep
 * their insertion order and the index only points into them.
 */
#define DICT_INDEX_MIN 16

struct dict_slot {
	uint64_t hash;
	size_t pos;
};

struct val_dict_index {
	size_t mask; /* slots - 1; the number of slots is a power of two */
	struct dict_slot slots[];
};

static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t index_size(size_t slots)
{
	return sizeof(struct val_dict_index) + slots * sizeof(struct dict_slot);
}

static void index_add(struct val_dict_index *ix, uint64_t hash, size_t pos)
{
	size_t s = (size_t)hash & ix->mask;

	while (ix->slots[s].pos)
		s = (s + 1) & ix->mask;
	ix->slots[s].hash = hash;
	ix->slots[s].pos = pos + 1;
}

/*
 * Build the index of d again from its items (after a delete moved them,
 * or to grow it): a quarter full, so it doubles only after as many
 * inserts again. A dict of DICT_INDEX_MIN keys or fewer has none.
 */
static void dict_reindex(struct val *d)
{
	struct val_dict_index *ix;
	size_t slots = 64;

	free(d->u.dict.index);
	d->u.dict.index = NULL;
	if (d->u.dict.nr <= DICT_INDEX_MIN)
		return;
	while (slots < d->u.dict.nr * 4)
		slots *= 2;
	ix = xcalloc(1, index_size(slots));
	ix->mask = slots - 1;
	for (size_t i = 0; i < d->u.dict.nr; i++)
		index_add(ix, key_hash(d->u.dict.items[i].key), i);
	d->u.dict.index = ix;
}

/* Copy the items of src (a dict) into the empty dict c, index and all. */
static void dict_copy_items(struct val *c, const struct val *src)
{
	const struct val_dict_index *ix = src->u.dict.index;
	size_t nr = src->u.dict.nr;

	if (!nr)
		return;
	c->u.dict.items = xcalloc(nr, sizeof(struct val_pair));
	c->u.dict.alloc = nr;
	for (size_t i = 0; i < nr; i++) {
		struct val_pair *to = &c->u.dict.items[i];
		const struct val_pair *from = &src->u.dict.items[i];

		to->key = xstrdup(from->key);
		to->v = val_copy(from->v);
		to->pos = from->pos;
	}
	c->u.dict.nr = nr;
	/* the items keep their positions, so the same index serves */
	if (ix) {
		c->u.dict.index = xmalloc(index_size(ix->mask + 1));
		memcpy(c->u.dict.index, ix, index_size(ix->mask + 1));
	}
}

struct val *val_copy(const struct val *v)
{
	struct val *c;

	switch (v->type) {
	case VAL_STR:
		c = val_strn(v->u.s.ptr, v->u.s.len);
		break;
	case VAL_LIST:
		c = val_list();
		for (size_t i = 0; i < v->u.list.nr; i++)
			val_list_push(c, val_copy(v->u.list.items[i]));
		break;
	case VAL_DICT:
		c = val_dict();
		dict_copy_items(c, v);
		break;
	default:
		c = val_new(v->type);
		c->u = v->u;
		break;
	}
	c->flags = v->flags;
	c->pos = v->pos;
	return c;
}

struct val *val_unsafe(struct val *v)
{
	if (!v || (v->flags & VAL_F_UNSAFE) ||
	    (v->type != VAL_STR && v->type != VAL_LIST && v->type != VAL_DICT))
		return v;
	if (__atomic_load_n(&v->refcnt, __ATOMIC_ACQUIRE) > 1) {
		/* shared: flag a copy of our own, never the shared value */
		struct val *c = val_copy(v);

		val_unref(v);
		v = c;
	}
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		v->u.list.items[i] = val_unsafe(v->u.list.items[i]);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		v->u.dict.items[i].v = val_unsafe(v->u.dict.items[i].v);
	v->flags |= VAL_F_UNSAFE;
	return v;
}

/* True if v and everything in it is flagged secret already. */
static bool all_secret(const struct val *v)
{
	if (!(v->flags & VAL_F_SECRET))
		return false;
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		if (!all_secret(v->u.list.items[i]))
			return false;
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		if (!all_secret(v->u.dict.items[i].v))
			return false;
	return true;
}

struct val *val_secret(struct val *v)
{
	if (!v || all_secret(v))
		return v;
	if (__atomic_load_n(&v->refcnt, __ATOMIC_ACQUIRE) > 1) {
		/* shared: flag a copy of our own, never the shared value */
		struct val *c = val_copy(v);

		val_unref(v);
		v = c;
	}
	/*
	 * Every item too (a container already flagged may hold items that
	 * are not, as --secrets marks them): whoever takes one out, a loop
	 * or a for, must find it secret.
	 */
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		v->u.list.items[i] = val_secret(v->u.list.items[i]);
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		v->u.dict.items[i].v = val_secret(v->u.dict.items[i].v);
	v->flags |= VAL_F_SECRET;
	return v;
}

bool val_holds_secret(const struct val *v)
{
	if (!v)
		return false;
	if (v->flags & VAL_F_SECRET)
		return true;
	for (size_t i = 0; v->type == VAL_LIST && i < v->u.list.nr; i++)
		if (val_holds_secret(v->u.list.items[i]))
			return true;
	for (size_t i = 0; v->type == VAL_DICT && i < v->u.dict.nr; i++)
		if (val_holds_secret(v->u.dict.items[i].v))
			return true;
	return false;
}

const char *val_type_name(enum val_type t)
{
	static const char *const names[] = {
		[VAL_NULL] = "null", [VAL_BOOL] = "bool", [VAL_INT] = "int",
		[VAL_FLOAT] = "float", [VAL_STR] = "str", [VAL_LIST] = "list",
		[VAL_DICT] = "dict",
	};

	return names[t];
}

const char *val_cstr(const struct val *v)
{
	return val_is(v, VAL_STR) ? v->u.s.ptr : NULL;
}

size_t val_len(const struct val *v)
{
	if (!v)
		return 0;
	switch (v->type) {
	case VAL_STR:
		return v->u.s.len;
	case VAL_LIST:
		return v->u.list.nr;
	case VAL_DICT:
		return v->u.dict.nr;
	default:
		return 0;
	}
}

void val_list_push(struct val *list, struct val *item)
{
	if (list->type != VAL_LIST)
		BUG("val_list_push on a %s", val_type_name(list->type));
	ALLOC_GROW(list->u.list.items, list->u.list.nr + 1, list->u.list.alloc);
	list->u.list.items[list->u.list.nr++] = item;
}

struct val *val_list_concat(const struct val *a, const struct val *b)
{
	struct val *l = val_list();

	for (size_t i = 0; i < val_len(a); i++)
		val_list_push(l, val_ref(a->u.list.items[i]));
	for (size_t i = 0; i < val_len(b); i++)
		val_list_push(l, val_ref(b->u.list.items[i]));
	return l;
}

struct val *val_list_at(const struct val *list, size_t i)
{
	if (list->type != VAL_LIST || i >= list->u.list.nr)
		BUG("val_list_at out of range");
	return list->u.list.items[i];
}

static ssize_t dict_find_hash(const struct val *d, const char *key,
			      uint64_t hash)
{
	const struct val_dict_index *ix = d->u.dict.index;
	size_t s;

	if (!ix) {
		for (size_t i = 0; i < d->u.dict.nr; i++)
			if (!strcmp(d->u.dict.items[i].key, key))
				return (ssize_t)i;
		return -1;
	}
	for (s = (size_t)hash & ix->mask; ix->slots[s].pos;
	     s = (s + 1) & ix->mask) {
		size_t i = ix->slots[s].pos - 1;

		if (ix->slots[s].hash == hash &&
		    !strcmp(d->u.dict.items[i].key, key))
			return (ssize_t)i;
	}
	return -1;
}

/* Position of key in d, or -1. Reads only: safe on a shared dict. */
static ssize_t dict_find(const struct val *d, const char *key)
{
	return dict_find_hash(d, key, d->u.dict.index ? key_hash(key) : 0);
}

/* Set key in d (replacing in place); returns its position. */
static size_t dict_set(struct val *dict, const char *key, struct val *v)
{
	struct val_dict_index *ix;
	uint64_t hash;
	ssize_t found;
	size_t i;

	if (dict->type != VAL_DICT)
		BUG("val_dict_set on a %s", val_type_name(dict->type));
	ix = dict->u.dict.index;
	hash = ix ? key_hash(key) : 0;
	found = dict_find_hash(dict, key, hash);
	if (found >= 0) {
		val_unref(dict->u.dict.items[found].v);
		dict->u.dict.items[found].v = v;
		return (size_t)found;
	}
	ALLOC_GROW(dict->u.dict.items, dict->u.dict.nr + 1, dict->u.dict.alloc);
	i = dict->u.dict.nr++;
	memset(&dict->u.dict.items[i], 0, sizeof(struct val_pair));
	dict->u.dict.items[i].key = xstrdup(key);
	dict->u.dict.items[i].v = v;
	if (ix && dict->u.dict.nr * 2 <= ix->mask + 1)
		index_add(ix, hash, i);
	else if (dict->u.dict.nr > DICT_INDEX_MIN)
		dict_reindex(dict);
	return i;
}

void val_dict_set(struct val *dict, const char *key, struct val *v)
{
	dict_set(dict, key, v);
}

void val_dict_set_pos(struct val *dict, const char *key, struct val *v,
		      const struct srcpos *pos)
{
	size_t i = dict_set(dict, key, v);

	dict->u.dict.items[i].pos = *pos;
}

const struct srcpos *val_dict_key_pos(const struct val *dict, const char *key)
{
	ssize_t i = val_is(dict, VAL_DICT) ? dict_find(dict, key) : -1;

	if (i < 0 || !dict->u.dict.items[i].pos.file)
		return NULL;
	return &dict->u.dict.items[i].pos;
}

void val_dict_set_str(struct val *dict, const char *key, const char *s)
{
	val_dict_set(dict, key, val_str(s));
}

void val_dict_set_int(struct val *dict, const char *key, long long i)
{
	val_dict_set(dict, key, val_int(i));
}

void val_dict_set_bool(struct val *dict, const char *key, bool b)
{
	val_dict_set(dict, key, val_bool(b));
}

struct val *val_dict_get(const struct val *dict, const char *key)
{
	ssize_t i;

	if (!val_is(dict, VAL_DICT))
		return NULL;
	i = dict_find(dict, key);
	return i < 0 ? NULL : dict->u.dict.items[i].v;
}

struct val *val_dict_path(const struct val *dict, const char *path)
{
	const struct val *cur = dict;
	char *copy = xstrdup(path), *p = copy, *dot;

	while (cur && p) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		cur = val_dict_get(cur, p);
		p = dot ? dot + 1 : NULL;
	}
	free(copy);
	return (struct val *)cur;
}

int val_dict_del(struct val *dict, const char *key)
{
	ssize_t i = val_is(dict, VAL_DICT) ? dict_find(dict, key) : -1;

	if (i < 0)
		return TEND_ENOTFOUND;
	free(dict->u.dict.items[i].key);
	val_unref(dict->u.dict.items[i].v);
	memmove(&dict->u.dict.items[i], &dict->u.dict.items[i + 1],
		(dict->u.dict.nr - (size_t)i - 1) * sizeof(struct val_pair));
	dict->u.dict.nr--;
	/* the later items moved down one place */
	if (dict->u.dict.index)
		dict_reindex(dict);
	return 0;
}

void val_dict_update(struct val *dst, const struct val *src, bool deep)
{
	if (!val_is(src, VAL_DICT))
		return;
	for (size_t i = 0; i < src->u.dict.nr; i++) {
		const char *k = src->u.dict.items[i].key;
		struct val *sv = src->u.dict.items[i].v;
		struct val *dv = val_dict_get(dst, k);

		if (deep && val_is(dv, VAL_DICT) && val_is(sv, VAL_DICT)) {
			struct val *merged = val_copy(dv);

			val_dict_update(merged, sv, true);
			val_dict_set(dst, k, merged);
		} else {
			val_dict_set(dst, k, val_ref(sv));
		}
	}
}

static bool is_number(const struct val *v)
{
	return v->type == VAL_INT || v->type == VAL_FLOAT ||
	       v->type == VAL_BOOL;
}

static double as_double(const struct val *v)
{
	if (v->type == VAL_FLOAT)
		return v->u.f;
	if (v->type == VAL_BOOL)
		return v->u.b;
	return (double)v->u.i;
}

bool val_equal(const struct val *a, const struct val *b)
{
	if (is_number(a) && is_number(b)) {
		if (a->type != VAL_FLOAT && b->type != VAL_FLOAT)
			return (a->type == VAL_BOOL ? a->u.b : a->u.i) ==
			       (b->type == VAL_BOOL ? b->u.b : b->u.i);
		return as_double(a) == as_double(b);
	}
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case VAL_NULL:
		return true;
	case VAL_STR:
		return a->u.s.len == b->u.s.len &&
		       !memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len);
	case VAL_LIST:
		if (a->u.list.nr != b->u.list.nr)
			return false;
		for (size_t i = 0; i < a->u.list.nr; i++)
			if (!val_equal(a->u.list.items[i], b->u.list.items[i]))
				return false;
		return true;
	case VAL_DICT:
		if (a->u.dict.nr != b->u.dict.nr)
			return false;
		for (size_t i = 0; i < a->u.dict.nr; i++) {
			struct val *o = val_dict_get(b, a->u.dict.items[i].key);

			if (!o || !val_equal(a->u.dict.items[i].v, o))
				return false;
		}
		return true;
	default:
		return false;
	}
}

int val_compare(int *out, const struct val *a, const struct val *b)
{
	if (is_number(a) && is_number(b)) {
		if (a->type == VAL_INT && b->type == VAL_INT)
			*out = (a->u.i > b->u.i) - (a->u.i < b->u.i);
		else
			*out = (as_double(a) > as_double(b)) -
			       (as_double(a) < as_double(b));
		return 0;
	}
	if (a->type == VAL_STR && b->type == VAL_STR) {
		size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
		int c = memcmp(a->u.s.ptr, b->u.s.ptr, n);

		if (!c)
			c = (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
		*out = (c > 0) - (c < 0);
		return 0;
	}
	if (a->type == VAL_LIST && b->type == VAL_LIST) {
		size_t n = a->u.list.nr < b->u.list.nr ? a->u.list.nr
						       : b->u.list.nr;

		for (size_t i = 0; i < n; i++) {
			if (val_compare(out, a->u.list.items[i],
					b->u.list.items[i]) < 0)
				return -1;
			if (*out)
				return 0;
		}
		*out = (a->u.list.nr > b->u.list.nr) -
		       (a->u.list.nr < b->u.list.nr);
		return 0;
	}
	return tend_error_set("cannot compare %s with %s",
			      val_type_name(a->type), val_type_name(b->type));
}

/*
 * Split one word of a k=v string: returns its end. Quotes group (a quote
 * after a backslash neither opens nor closes one, as Ansible's
 * split_args has it); inside {{ }} and {% %} nothing splits.
 */
static const char *kv_word_end(const char *p)
{
	const char *start = p;
	char quote = 0;
	int jinja = 0;

	for (; *p; p++) {
		bool escaped = p > start && p[-1] == '\\';

		if (quote) {
			if (*p == quote && !escaped)
				quote = 0;
			continue;
		}
		if ((p[0] == '{' && (p[1] == '{' || p[1] == '%'))) {
			jinja++;
			p++;
			continue;
		}
		if (jinja && (p[0] == '}' || p[0] == '%') && p[1] == '}') {
			jinja--;
			p++;
			continue;
		}
		if (jinja)
			continue;
		if ((*p == '"' || *p == '\'') && !escaped)
			quote = *p;
		else if (isspace((unsigned char)*p))
			break;
	}
	return p;
}

/* `n` hex digits at s as a number, or -1 */
static long kv_hex(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' :
			      tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return v;
}

/*
 * Ansible's _decode_escapes on a word of a k=v string: \\, \', \", \a,
 * \b, \f, \n, \r, \t, \v, \xNN, \uNNNN, \UNNNNNNNN as Python's
 * unicode-escape reads them (a code point, in UTF-8); any other backslash
 * stays as written (octal too, as Ansible's; \N{name} is not supported).
 */
static void kv_decode(struct buf *out, const char *s, size_t len)
{
	static const char single[] = "\\'\"abfnrtv";
	static const char as[] = "\\'\"\a\b\f\n\r\t\v";

	for (size_t i = 0; i < len; i++) {
		const char *c = i + 1 < len ? strchr(single, s[i + 1]) : NULL;
		size_t n = 0;
		long cp = -1;

		if (s[i] != '\\' || i + 1 >= len) {
			buf_addch(out, s[i]);
			continue;
		}
		if (c && *c) {
			buf_addch(out, as[c - single]);
			i++;
			continue;
		}
		n = s[i + 1] == 'x' ? 2 : s[i + 1] == 'u' ? 4 :
		    s[i + 1] == 'U' ? 8 : 0;
		if (n && i + 2 + n <= len)
			cp = kv_hex(s + i + 2, n);
		if (cp < 0 || cp > 0x10ffff) {
			buf_addch(out, s[i]);
			continue;
		}
		buf_add_utf8(out, (unsigned long)cp);
		i += 1 + n;
	}
}

/* Ansible's unquote: one pair of matching outer quotes, not escaped. */
static void kv_unquote(struct buf *out, const char *s, size_t len)
{
	if (len > 1 && (s[0] == '"' || s[0] == '\'') && s[len - 1] == s[0] &&
	    s[len - 2] != '\\')
		buf_add(out, s + 1, len - 2);
	else
		buf_add(out, s, len);
}

/* What Python's str.strip() strips of ASCII: whitespace, \x1c to \x1f */
static bool kv_space(char c)
{
	return isspace((unsigned char)c) ||
	       ((unsigned char)c >= 0x1c && (unsigned char)c <= 0x1f);
}

static void kv_strip(const char **s, size_t *len)
{
	while (*len && kv_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && kv_space((*s)[*len - 1]))
		(*len)--;
}

/* The '=' of a decoded word: Ansible's, past its first char, unescaped. */
static const char *kv_equals(const char *w, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (w[i] == '=' && w[i - 1] != '\\')
			return w + i;
	return NULL;
}

/* str.count(t) in [s, e) */
static long kv_count(const char *s, const char *e, const char *t)
{
	long n = 0;

	for (const char *p = s; p + 1 < e; p++)
		if (p[0] == t[0] && p[1] == t[1]) {
			n++;
			p++;
		}
	return n;
}

/*
 * Whether s ends inside quotes or a {{ }}, {% %} or {# #} block, as
 * Ansible's split_args counts them, before it splits anything: token by
 * token (split on "\n", then " "), a quote toggled unless a backslash is
 * before it, each kind of block by how many open and close in the token.
 */
static bool kv_unbalanced(const char *s)
{
	static const char *const marks[3][2] = {
		{ "{{", "}}" }, { "{%", "%}" }, { "{#", "#}" },
	};
	long depth[3] = { 0, 0, 0 };
	char quote = 0;

	while (*s) {
		const char *e = s + strcspn(s, " \n");

		if (!(e - s == 1 && *s == '\\' && !quote)) {
			for (const char *p = s; p < e; p++)
				if ((*p == '"' || *p == '\'') &&
				    (p == s || p[-1] != '\\'))
					quote = !quote ? *p :
						*p == quote ? 0 : quote;
			for (int k = 0; k < 3; k++) {
				long d = kv_count(s, e, marks[k][0]) -
					 kv_count(s, e, marks[k][1]);

				depth[k] = depth[k] + d < 0 ? 0 : depth[k] + d;
			}
		}
		s = *e ? e + 1 : e;
	}
	return quote || depth[0] || depth[1] || depth[2];
}

int val_parse_kv(struct val **out, const char *s,
		 const char *const *free_form_keys)
{
	struct val *d = val_dict();
	struct buf raw = BUF_INIT, value = BUF_INIT, dec = BUF_INIT;
	const char *p = s, *after_raw = NULL;
	bool last_raw = false;

	if (kv_unbalanced(s)) {
		val_unref(d);
		return tend_error_set("failed at splitting arguments, either an "
				      "unbalanced jinja2 block or quotes: %s",
				      s);
	}
	while (*p) {
		const char *end, *eq;
		bool taken = false;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		end = kv_word_end(p);
		buf_reset(&dec);
		kv_decode(&dec, p, (size_t)(end - p));
		eq = kv_equals(dec.ptr, dec.len);
		if (eq) {
			const char *k = dec.ptr, *v = eq + 1;
			size_t klen = (size_t)(eq - dec.ptr);
			size_t vlen = (size_t)(dec.ptr + dec.len - v);
			char *key = xstrndup(k, klen);
			bool ok = !strpbrk(key, "'\"{ ");

			if (ok && free_form_keys) {
				ok = false;
				for (size_t i = 0; free_form_keys[i]; i++)
					if (!strcmp(free_form_keys[i], key))
						ok = true;
			}
			if (ok) {
				/* options[k.strip()] = unquote(v.strip()) */
				kv_strip(&k, &klen);
				kv_strip(&v, &vlen);
				buf_reset(&value);
				kv_unquote(&value, v, vlen);
				free(key);
				key = xstrndup(k, klen);
				val_dict_set(d, key,
					     val_strn(value.ptr, value.len));
				taken = true;
			}
			free(key);
		}
		if (!taken) {
			if (!free_form_keys) {
				int n = (int)(end - p);

				buf_release(&raw);
				buf_release(&value);
				buf_release(&dec);
				val_unref(d);
				return tend_error_set(
					"expected key=value, got '%.*s'", n, p);
			}
			/*
			 * Keep the spacing as written, as Ansible does: a
			 * multi-line shell script needs its newlines.
			 */
			if (after_raw)
				while (isspace((unsigned char)*after_raw))
					buf_addch(&raw, *after_raw++);
			buf_add(&raw, p, (size_t)(end - p));
			after_raw = end;
		}
		last_raw = !taken;
		p = end;
	}
	if (last_raw)
		buf_adds(&raw, after_raw);
	if (raw.len)
		val_dict_set(d, "_raw_params", val_strn(raw.ptr, raw.len));
	buf_release(&raw);
	buf_release(&value);
	buf_release(&dec);
	*out = d;
	return 0;
}
