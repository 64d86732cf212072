#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/inventory/inventory.h"
#include "tend/data/val.h"
#include "tend/data/yaml.h"
#include "tend/util/fs.h"
#include "tend/util/regex.h"
#include "tend/util/interrupt.h"

#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

/*
 * Ansible keeps a variable in up to three places per host or group, and
 * they do not simply stack per group: every group's inventory-file vars
 * lose to group_vars/all, which loses to every other group_vars file (see
 * inventory_host_vars). So each layer is kept apart, and host->vars and
 * group->vars hold their merge for readers who want "the vars of X".
 */
enum layer {
	LAYER_INLINE,     /* the inventory file itself */
	LAYER_INV_FILES,  /* group_vars/, host_vars/ beside the inventory */
	LAYER_PLAY_FILES, /* group_vars/, host_vars/ beside the playbook */
	LAYER_NR
};

struct host_ext {
	struct host h; /* first, so a struct host * converts back */
	struct val *layer[LAYER_NR];
};

struct group_ext {
	struct group g;
	struct val *layer[LAYER_NR];
	long long priority; /* ansible_group_priority, kept out of vars */
	unsigned int depth; /* longest path from all */
};

/* name -> index, open addressing; names are borrowed from hosts/groups */
struct name_slot {
	const char *name;
	size_t idx;
};

struct name_index {
	struct name_slot *slots;
	size_t nr, cap;
};

/*
 * The hosts of one inventory line (or YAML key), added only once every
 * source is read (add_deferred_hosts): by then all the ranges are
 * counted, and an inventory refused for them has expanded none.
 */
struct deferred_hosts {
	char *host;        /* the name, its ranges unexpanded */
	long port;         /* -1: none */
	size_t group;      /* NO_INDEX: none */
	struct val *vars;  /* the line's host vars, or NULL */
	struct srcpos pos;
};

struct inv_ext {
	struct inventory inv;
	struct name_index host_names, group_names;
	struct host_ext *implicit; /* implicit localhost, or NULL */
	struct deferred_hosts *deferred;
	size_t deferred_nr, deferred_alloc;
	unsigned long long range_hosts; /* names the ranges expand to */
	bool range_refused; /* past a range limit: expand nothing */
};

#define NO_INDEX ((size_t)-1)
#define G_ALL 0
#define G_UNGROUPED 1

static const char *const localhost_names[] = { "localhost", "127.0.0.1",
					       "::1", NULL };

static struct inv_ext *ext_of(const struct inventory *inv)
{
	/* every inventory is allocated as an inv_ext by inventory_load */
	return (struct inv_ext *)inv;
}

static struct host_ext *hext(const struct host *h)
{
	return (struct host_ext *)h;
}

static struct group_ext *gext(const struct inventory *inv, size_t gi)
{
	return (struct group_ext *)inv->groups[gi];
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

static bool is_localhost_name(const char *s)
{
	for (size_t i = 0; localhost_names[i]; i++)
		if (!strcmp(s, localhost_names[i]))
			return true;
	return false;
}

/*
 * Loading stops early once a signal asks (interrupt.h): the parsers leave
 * their loops, and this turns the flag into the error their callers see.
 */
static int check_interrupted(void)
{
	if (!tend_interrupted)
		return 0;
	return tend_error_set_code(TEND_EINTERRUPTED, "interrupted while "
				   "loading the inventory");
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void index_put(struct name_index *ix, const char *name, size_t idx);

static void index_grow(struct name_index *ix)
{
	struct name_index old = *ix;

	ix->cap = old.cap ? old.cap * 2 : 64;
	ix->slots = xcalloc(ix->cap, sizeof(*ix->slots));
	ix->nr = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].name)
			index_put(ix, old.slots[i].name, old.slots[i].idx);
	free(old.slots);
}

static void index_put(struct name_index *ix, const char *name, size_t idx)
{
	size_t i;

	if ((ix->nr + 1) * 2 > ix->cap)
		index_grow(ix);
	i = name_hash(name) & (ix->cap - 1);
	while (ix->slots[i].name && strcmp(ix->slots[i].name, name))
		i = (i + 1) & (ix->cap - 1);
	if (!ix->slots[i].name)
		ix->nr++;
	ix->slots[i].name = name;
	ix->slots[i].idx = idx;
}

static size_t index_get(const struct name_index *ix, const char *name)
{
	size_t i;

	if (!ix->cap)
		return NO_INDEX;
	i = name_hash(name) & (ix->cap - 1);
	while (ix->slots[i].name) {
		if (!strcmp(ix->slots[i].name, name))
			return ix->slots[i].idx;
		i = (i + 1) & (ix->cap - 1);
	}
	return NO_INDEX;
}

static void push_index(size_t **arr, size_t *nr, size_t *alloc, size_t v)
{
	ALLOC_GROW(*arr, *nr + 1, *alloc);
	(*arr)[(*nr)++] = v;
}

static bool has_index(const size_t *arr, size_t nr, size_t v)
{
	for (size_t i = 0; i < nr; i++)
		if (arr[i] == v)
			return true;
	return false;
}

static size_t group_find(const struct inv_ext *x, const char *name)
{
	return index_get(&x->group_names, name);
}

static size_t group_add(struct inv_ext *x, const char *name)
{
	struct inventory *inv = &x->inv;
	struct group_ext *ge;
	size_t gi = group_find(x, name);

	if (gi != NO_INDEX)
		return gi;
	ge = xcalloc(1, sizeof(*ge));
	ge->g.name = xstrdup(name);
	ge->g.vars = val_dict();
	for (int l = 0; l < LAYER_NR; l++)
		ge->layer[l] = val_dict();
	ge->priority = 1;
	ALLOC_GROW(inv->groups, inv->groups_nr + 1, inv->groups_alloc);
	gi = inv->groups_nr++;
	inv->groups[gi] = &ge->g;
	index_put(&x->group_names, ge->g.name, gi);
	return gi;
}

static struct host_ext *host_new(const char *name)
{
	struct host_ext *he = xcalloc(1, sizeof(*he));

	he->h.name = xstrdup(name);
	he->h.vars = val_dict();
	for (int l = 0; l < LAYER_NR; l++)
		he->layer[l] = val_dict();
	return he;
}

static size_t host_add(struct inv_ext *x, const char *name)
{
	struct inventory *inv = &x->inv;
	struct host_ext *he;
	size_t hi = index_get(&x->host_names, name);

	if (hi != NO_INDEX)
		return hi;
	he = host_new(name);
	ALLOC_GROW(inv->hosts, inv->hosts_nr + 1, inv->hosts_alloc);
	hi = inv->hosts_nr++;
	inv->hosts[hi] = &he->h;
	index_put(&x->host_names, he->h.name, hi);
	return hi;
}

static void group_add_host(struct inv_ext *x, size_t gi, size_t hi)
{
	struct group *g = x->inv.groups[gi];
	struct host *h = x->inv.hosts[hi];

	/* a host's direct groups are few: test membership from its side */
	if (has_index(h->groups, h->groups_nr, gi))
		return;
	push_index(&h->groups, &h->groups_nr, &h->groups_alloc, gi);
	push_index(&g->hosts, &g->hosts_nr, &g->hosts_alloc, hi);
}

static bool group_is_ancestor(const struct inventory *inv, size_t anc,
			      size_t gi, unsigned int budget)
{
	const struct group *g = inv->groups[gi];

	if (gi == anc)
		return true;
	if (!budget)
		return true; /* deeper than any acyclic graph: a loop */
	for (size_t i = 0; i < g->parents_nr; i++)
		if (group_is_ancestor(inv, anc, g->parents[i], budget - 1))
			return true;
	return false;
}

/*
 * Make `child` a child of `parent`. Fails (-1, no error set) if that
 * would make a loop.
 */
static int group_add_child(struct inv_ext *x, size_t parent, size_t child)
{
	struct group *p = x->inv.groups[parent];
	struct group *c = x->inv.groups[child];
	unsigned int budget = x->inv.groups_nr > UINT_MAX ?
				      UINT_MAX : (unsigned int)x->inv.groups_nr;

	/* a group's parents are few: test membership from its side */
	if (has_index(c->parents, c->parents_nr, parent))
		return 0;
	if (group_is_ancestor(&x->inv, child, parent, budget))
		return -1;
	push_index(&p->children, &p->children_nr, &p->children_alloc, child);
	push_index(&c->parents, &c->parents_nr, &c->parents_alloc, parent);
	return 0;
}

static void set_pos(struct val *v, const char *file, unsigned int line,
		    unsigned int col)
{
	v->pos.file = file;
	v->pos.line = line;
	v->pos.col = col;
}

/*
 * Set a group variable as Ansible's Group.set_variable does:
 * ansible_group_priority becomes the priority, not a variable.
 */
static void group_set_var(struct inv_ext *x, size_t gi, enum layer l,
			  const char *key, struct val *v, struct diags *d)
{
	struct group_ext *ge = gext(&x->inv, gi);
	const char *s;
	char *end;

	if (l == LAYER_INLINE && !strcmp(key, "ansible_group_priority")) {
		if (val_is(v, VAL_INT)) {
			ge->priority = v->u.i;
		} else if (val_is(v, VAL_FLOAT)) {
			ge->priority = (long long)v->u.f;
		} else if (val_is(v, VAL_BOOL)) {
			ge->priority = v->u.b;
		} else if ((s = val_cstr(v))) {
			errno = 0;
			ge->priority = strtoll(s, &end, 10);
			while (isspace((unsigned char)*end))
				end++;
			if (errno || end == s || *end)
				diags_add(d, &v->pos,
					  "expected an integer for "
					  "ansible_group_priority, got '%s'",
					  s);
		}
		val_unref(v);
		return;
	}
	val_dict_set(ge->layer[l], key, v);
}

/*
 * Python's ast.literal_eval, for the values of INI inventories: numbers,
 * strings, True/False/None, lists, tuples and dicts. Anything else is not
 * a literal and stays a string (as Ansible's INI plugin does).
 */
struct lit {
	const char *p;
	int depth;
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

static void add_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (int)(0xc0 | (cp >> 6)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(b, (int)(0xe0 | (cp >> 12)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (int)(0xf0 | (cp >> 18)));
		buf_addch(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	}
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
		add_utf8(b, cp);
	} else if (c == 'x' || c == 'u' || c == 'U') {
		int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;

		if (!lit_hex(l->p + 1, n, &cp) || cp > 0x10ffff)
			return false;
		add_utf8(b, cp);
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
		l->p += n;
	}
	l->depth--;
	return v;
}

/*
 * The value of an INI variable: a Python literal if the whole text is one
 * ("1", "True", "[1, 2]", "'x'", "1, 2" a tuple), else the text itself.
 */
static struct val *ini_value(const char *s, const char *file,
			     unsigned int line, unsigned int col)
{
	struct lit l = { s, 0 };
	struct val *v;

	while (*l.p == ' ' || *l.p == '\t')
		l.p++;
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
	if (!v)
		v = val_str(s);
	set_pos(v, file, line, col);
	return v;
}

/*
 * Host addresses as Ansible's parse_address(allow_ranges=True) sees them:
 * a hostname or IPv4 address (either may hold [x:y] ranges), an IPv6
 * address, each with an optional :port ([v6]:port for IPv6).
 */
static size_t range_len(const char *p)
{
	const char *q = p + 1;
	int parts = 0;

	if (*p != '[')
		return 0;
	if (isalpha((unsigned char)q[0]) && q[1] == ':' &&
	    isalpha((unsigned char)q[2])) {
		q += 3;
		parts = 2;
	} else {
		while (parts < 2) {
			if (!isdigit((unsigned char)*q))
				return 0;
			while (isdigit((unsigned char)*q))
				q++;
			if (++parts < 2 && *q++ != ':')
				return 0;
		}
	}
	if (*q == ':') {
		q++;
		if (!isdigit((unsigned char)*q))
			return 0;
		while (isdigit((unsigned char)*q))
			q++;
	}
	return *q == ']' ? (size_t)(q + 1 - p) : 0;
}

static bool word_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static bool valid_hostname(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t r;
		char last = 0;
		bool first = true;

		while (i < len && s[i] != '.') {
			if ((r = range_len(s + i)) && i + r <= len) {
				i += r;
				last = ']';
			} else if (word_char((unsigned char)s[i]) ||
				   (!first && s[i] == '-')) {
				last = s[i++];
			} else {
				return false;
			}
			first = false;
		}
		if (first || last == '-' || last == '_')
			return false;
		if (i < len && ++i == len)
			return false; /* trailing dot */
	}
	return len > 0;
}

static bool valid_ipv6(const char *s, size_t len)
{
	size_t colons = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colons++;
		else if (!isxdigit((unsigned char)s[i]) && s[i] != '.')
			return false;
	}
	return colons >= 2 && colons <= 7;
}

/* Split "host:port"; *port is -1 when there is none. False if invalid. */
static bool parse_address(const char *s, size_t *host_off, size_t *host_len,
			  long *port)
{
	size_t len = strlen(s), off = 0, depth = 0, colon = NO_INDEX;

	*port = -1;
	if (s[0] == '[' && len > 2) {
		const char *close = strstr(s, "]:");

		if (close && close[2] && strspn(close + 2, "0123456789") ==
						 strlen(close + 2)) {
			*port = strtol(close + 2, NULL, 10);
			off = 1;
			len = (size_t)(close - s) - 1;
		}
	}
	if (*port < 0) {
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '[')
				depth++;
			else if (s[i] == ']' && depth)
				depth--;
			else if (s[i] == ':' && !depth)
				colon = colon == NO_INDEX ? i : NO_INDEX - 1;
		}
		if (colon < len && colon + 1 < len &&
		    strspn(s + colon + 1, "0123456789") == len - colon - 1) {
			*port = strtol(s + colon + 1, NULL, 10);
			len = colon;
		}
	}
	*host_off = off;
	*host_len = len;
	if (valid_ipv6(s + off, len))
		return true;
	return valid_hostname(s + off, len);
}

static const char ascii_letters[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static bool parse_ll(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !errno && !*end;
}

/* The first [beg:end(:step)] of a host name, parsed. */
struct host_range {
	const char *open, *close; /* its '[' and ']' in the name */
	long long beg, end, step;
	int width;                /* zero-padded to this many digits */
	bool letters;             /* beg and end index ascii_letters */
};

/*
 * Parse the first range of `name` as Ansible's expand_hostname_range
 * does. Returns 1 and fills *r, 0 if the name has no '[', or -1 with the
 * error set.
 */
static int range_parse(struct host_range *r, const char *name)
{
	char *bounds[3] = { NULL, NULL, NULL }, *inner = NULL, *p;
	int nb = 0, error = 1;

	memset(r, 0, sizeof(*r));
	r->step = 1;
	if (!(r->open = strchr(name, '[')))
		return 0;
	if (!(r->close = strchr(name, ']')) || r->close < r->open)
		return tend_error_set("unbalanced brackets in host range '%s'",
				      name);
	inner = xstrndup(r->open + 1, (size_t)(r->close - r->open - 1));
	for (p = inner; nb < 3; nb++) {
		bounds[nb] = p;
		if (!(p = strchr(p, ':'))) {
			nb++;
			break;
		}
		*p++ = '\0';
	}
	if (p || nb < 2) {
		error = tend_error_set("host range must be begin:end or "
				       "begin:end:step, got '%.*s'",
				       (int)(r->close - r->open + 1), r->open);
		goto out;
	}
	if (!*bounds[1]) {
		error = tend_error_set("host range must specify an end value");
		goto out;
	}
	if (nb == 3 && (!parse_ll(bounds[2], &r->step) || r->step <= 0)) {
		error = tend_error_set("host range step must be a positive "
				       "number, got '%s'", bounds[2]);
		goto out;
	}
	if (bounds[0][0] == '0' && bounds[0][1]) {
		r->width = (int)strlen(bounds[0]);
		if ((size_t)r->width != strlen(bounds[1])) {
			error = tend_error_set("host range must specify "
					       "equal-length begin and end "
					       "formats");
			goto out;
		}
	}
	if (strlen(bounds[0]) == 1 && strlen(bounds[1]) == 1 &&
	    isalpha((unsigned char)bounds[0][0]) &&
	    isalpha((unsigned char)bounds[1][0])) {
		r->letters = true;
		r->beg = strchr(ascii_letters, bounds[0][0]) - ascii_letters;
		r->end = strchr(ascii_letters, bounds[1][0]) - ascii_letters;
		if (r->beg > r->end)
			error = tend_error_set("host range must have "
					       "begin <= end");
		goto out;
	}
	if (!*bounds[0])
		r->beg = 0;
	else if (!parse_ll(bounds[0], &r->beg))
		r->beg = LLONG_MIN;
	if (r->beg == LLONG_MIN || !parse_ll(bounds[1], &r->end))
		error = tend_error_set("host range bounds must be numbers or "
				       "single letters, got '%.*s'",
				       (int)(r->close - r->open + 1), r->open);
out:
	free(inner);
	return error;
}

/* How many values a range takes (a numeric one may take none). */
static unsigned long long range_size(const struct host_range *r)
{
	if (r->beg > r->end)
		return 0;
	return ((unsigned long long)r->end - (unsigned long long)r->beg) /
	       (unsigned long long)r->step + 1;
}

/* `name` with its first range replaced by the range's k-th value. */
static void range_name(struct buf *out, const char *name,
		       const struct host_range *r, unsigned long long k)
{
	long long v = (long long)((unsigned long long)r->beg +
				  k * (unsigned long long)r->step);

	buf_reset(out);
	buf_add(out, name, (size_t)(r->open - name));
	if (r->letters)
		buf_addch(out, ascii_letters[v]);
	else
		buf_addf(out, "%0*lld", r->width, v);
	buf_adds(out, r->close + 1);
}

/*
 * How many names `name` expands to, without expanding it: the product of
 * its ranges' sizes (ULLONG_MAX if that overflows). *ranges tells whether
 * it has any. Each range is parsed as the expansion would meet it, so a
 * bad one sets the same error; after an empty range (no name) the rest
 * are not looked at, as the expansion never gets to them.
 */
static int range_count(unsigned long long *out, bool *ranges,
		       const char *name)
{
	struct host_range r;
	struct buf cur = BUF_INIT, next = BUF_INIT;
	unsigned long long n = 1;
	int found;

	*ranges = false;
	buf_sets(&cur, name);
	while ((found = range_parse(&r, cur.ptr)) > 0) {
		unsigned long long k = range_size(&r);

		*ranges = true;
		if (!k) {
			n = 0;
			break;
		}
		if (__builtin_mul_overflow(n, k, &n))
			n = ULLONG_MAX;
		/* go on with the first name, as the expansion does */
		range_name(&next, cur.ptr, &r, 0);
		buf_sets(&cur, next.ptr);
	}
	buf_release(&cur);
	buf_release(&next);
	*out = n;
	return found < 0 ? found : 0;
}

/*
 * Expand the first [beg:end(:step)] of `name` (then the rest,
 * recursively) as Ansible's expand_hostname_range. Appends to `out`.
 * Callers bound the size first (range_count).
 */
static int expand_range(struct val *out, const char *name)
{
	struct host_range r;
	struct buf h = BUF_INIT;
	unsigned long long n;
	int error;

	if ((error = range_parse(&r, name)) <= 0) {
		if (!error)
			val_list_push(out, val_str(name));
		return error;
	}
	n = range_size(&r);
	error = 0;
	for (unsigned long long k = 0; k < n && !error; k++) {
		range_name(&h, name, &r, k);
		error = expand_range(out, h.ptr);
	}
	buf_release(&h);
	return error;
}

/*
 * Split a host pattern of an inventory file ("web[1:3].example.com:2222")
 * into *host (its ranges unexpanded) and *port (-1: none), and count the
 * names its ranges make, adding them to x->range_hosts. Sets the error
 * on a bad range, or on ranges past INVENTORY_MAX_RANGE_HOSTS names or
 * that bring x->range_hosts past INVENTORY_MAX_RANGE_TOTAL; those mark
 * the inventory refused (x->range_refused).
 */
static int host_pattern_parse(char **host, long *port, struct inv_ext *x,
			      const char *pattern)
{
	unsigned long long n, total = x->range_hosts;
	bool ranges;
	size_t off, len;
	int error;

	if (parse_address(pattern, &off, &len, port)) {
		*host = xstrndup(pattern + off, len);
	} else {
		*host = xstrdup(pattern);
		*port = -1;
	}
	if (*port < 0 && ends_with(pattern, ":")) {
		error = tend_error_set("invalid host pattern '%s': a final ':' "
				       "must be followed by a port", pattern);
		goto out;
	}
	if ((error = range_count(&n, &ranges, *host)) < 0 || !ranges)
		goto out;
	if (n > INVENTORY_MAX_RANGE_HOSTS) {
		error = n == ULLONG_MAX ?
			tend_error_set("host pattern '%s' expands to too many "
				       "hosts to count, more than the limit of "
				       "%d per pattern", pattern,
				       INVENTORY_MAX_RANGE_HOSTS) :
			tend_error_set("host pattern '%s' expands to %llu "
				       "hosts, more than the limit of %d per "
				       "pattern", pattern, n,
				       INVENTORY_MAX_RANGE_HOSTS);
	} else if (total + n > INVENTORY_MAX_RANGE_TOTAL) {
		error = tend_error_set("host pattern '%s' brings the hosts "
				       "expanded from ranges in this "
				       "inventory to %llu, more than the "
				       "limit of %d per inventory", pattern,
				       total + n, INVENTORY_MAX_RANGE_TOTAL);
	} else {
		x->range_hosts = total + n;
	}
	if (error < 0)
		x->range_refused = true;
out:
	if (error < 0) {
		free(*host);
		*host = NULL;
	}
	return error;
}

struct loader {
	struct inv_ext *x;
	struct diags *d;
	const char *file; /* interned */
};

/* Add `host` (taken) with its vars (borrowed) when all sources are read. */
static void defer_hosts(struct inv_ext *x, char *host, long port, size_t gi,
			const struct val *vars, const struct srcpos *pos)
{
	struct deferred_hosts *dh;

	ALLOC_GROW(x->deferred, x->deferred_nr + 1, x->deferred_alloc);
	dh = &x->deferred[x->deferred_nr++];
	dh->host = host;
	dh->port = port;
	dh->group = gi;
	dh->vars = val_len(vars) ? val_ref((struct val *)vars) : NULL;
	dh->pos = *pos;
}

static void add_hosts(struct inv_ext *x, const struct val *names, long port,
		      size_t gi, const struct val *vars,
		      const struct srcpos *pos)
{
	for (size_t i = 0; i < val_len(names) && !tend_interrupted; i++) {
		size_t hi = host_add(x, val_cstr(val_list_at(names, i)));
		struct host_ext *he = hext(x->inv.hosts[hi]);
		struct val *own = he->layer[LAYER_INLINE];

		if (gi != NO_INDEX)
			group_add_host(x, gi, hi);
		if (port >= 0) {
			struct val *p = val_int(port);

			p->pos = *pos;
			val_dict_set(own, "ansible_port", p);
		}
		if (vars)
			val_dict_update(own, vars, false);
	}
}

static void deferred_release(struct inv_ext *x)
{
	for (size_t i = 0; i < x->deferred_nr; i++) {
		free(x->deferred[i].host);
		val_unref(x->deferred[i].vars);
	}
	free(x->deferred);
	x->deferred = NULL;
	x->deferred_nr = x->deferred_alloc = 0;
}

/*
 * Every source is read: expand and add the hosts, in the order they
 * were written. An inventory refused for its ranges gets none (it fails
 * with those errors), so a few bytes asking for millions of hosts cost
 * nothing but their counting.
 */
static void add_deferred_hosts(struct inv_ext *x, struct diags *d)
{
	struct val *names = NULL;

	for (size_t i = 0; i < x->deferred_nr && !x->range_refused &&
			   !tend_interrupted; i++) {
		const struct deferred_hosts *dh = &x->deferred[i];

		names = val_list();
		if (expand_range(names, dh->host) < 0) {
			/* range_count parsed it already: cannot happen */
			diags_add(d, &dh->pos, "%s", tend_error_last());
			tend_error_clear();
		} else {
			add_hosts(x, names, dh->port, dh->group, dh->vars,
				  &dh->pos);
		}
		val_unref(names);
	}
	deferred_release(x);
}

/* INI ------------------------------------------------------------------ */

struct ini_token {
	char *s;
	unsigned int col;
};

/*
 * Split a host line as Python's shlex.split(line, comments=True): quotes
 * group, backslash escapes, '#' starts a comment. False on an unclosed
 * quote, with *errcol where it opened.
 */
static bool ini_split(struct ini_token **out, size_t *nr, const char *line,
		      unsigned int col0, unsigned int *errcol)
{
	const char *p = line;
	size_t alloc = 0;
	struct buf tok = BUF_INIT;

	*out = NULL;
	*nr = 0;
	for (;;) {
		bool in_tok = false;
		unsigned int start;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		start = col0 + (unsigned int)(p - line);
		buf_reset(&tok);
		while (*p && !strchr(" \t\r\n#", *p)) {
			in_tok = true;
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				const char *open = p - 1;

				while (*p && *p != q) {
					if (q == '"' && *p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					buf_addch(&tok, *p++);
				}
				if (!*p) {
					*errcol = col0 +
						  (unsigned int)(open - line);
					goto fail;
				}
				p++;
			} else if (*p == '\\') {
				if (!*++p) {
					*errcol = col0 +
						  (unsigned int)(p - line);
					goto fail;
				}
				buf_addch(&tok, *p++);
			} else {
				buf_addch(&tok, *p++);
			}
		}
		if (in_tok) {
			ALLOC_GROW(*out, *nr + 1, alloc);
			(*out)[*nr].s = xstrndup(tok.ptr, tok.len);
			(*out)[(*nr)++].col = start;
		}
		if (*p == '#')
			break;
	}
	buf_release(&tok);
	return true;
fail:
	buf_release(&tok);
	for (size_t i = 0; i < *nr; i++)
		free((*out)[i].s);
	free(*out);
	*out = NULL;
	*nr = 0;
	return false;
}

enum ini_state { INI_HOSTS, INI_VARS, INI_CHILDREN, INI_SKIP };

/* A child or vars section waiting for its group to be declared. */
struct ini_pending {
	char *name;
	enum ini_state state;
	struct srcpos pos;
	size_t *parents;
	size_t parents_nr, parents_alloc;
};

struct ini_parser {
	struct loader *ld;
	struct ini_pending *pending;
	size_t pending_nr, pending_alloc;
	struct val *pending_index; /* name -> index into pending */
	enum ini_state state;
	size_t group;
	struct srcpos pos; /* of the current line */
};

static struct ini_pending *ini_pending_find(struct ini_parser *ip,
					    const char *name)
{
	const struct val *i = val_dict_get(ip->pending_index, name);

	/* a dropped entry keeps its index entry, but not its name */
	if (!i || !ip->pending[i->u.i].name)
		return NULL;
	return &ip->pending[i->u.i];
}

/* A new pending section for group `name` (not pending yet). */
static struct ini_pending *ini_pending_add(struct ini_parser *ip,
					   const char *name,
					   enum ini_state state)
{
	struct ini_pending *p;

	ALLOC_GROW(ip->pending, ip->pending_nr + 1, ip->pending_alloc);
	p = &ip->pending[ip->pending_nr];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->state = state;
	p->pos = ip->pos;
	val_dict_set_int(ip->pending_index, name, (long long)ip->pending_nr);
	ip->pending_nr++;
	return p;
}

static void ini_pending_drop(struct ini_pending *p)
{
	free(p->name);
	free(p->parents);
	memset(p, 0, sizeof(*p));
}

static void ini_error(struct ini_parser *ip, unsigned int col,
		      const char *fmt, ...) TEND_PRINTF(3, 4);

static void ini_error(struct ini_parser *ip, unsigned int col,
		      const char *fmt, ...)
{
	struct srcpos pos = ip->pos;
	struct buf msg = BUF_INIT;
	va_list ap;

	pos.col = col;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diags_add(ip->ld->d, &pos, "%s", msg.ptr);
	buf_release(&msg);
}

static void ini_add_child(struct ini_parser *ip, size_t parent, size_t child,
			  unsigned int col)
{
	struct inv_ext *x = ip->ld->x;

	if (group_add_child(x, parent, child) < 0)
		ini_error(ip, col, "adding group '%s' to [%s:children] makes "
			  "a loop", x->inv.groups[child]->name,
			  x->inv.groups[parent]->name);
}

/*
 * "[name]" or "[name:type]", with an optional comment. Sets the name and
 * type (empty if none) when `name` is not NULL.
 */
static bool ini_section(const char *s, struct buf *name, struct buf *type)
{
	const char *p = s + 1, *t;
	size_t n = strcspn(p, ":] \t\r\n\v\f"), tn = 0;

	if (*s != '[' || !n)
		return false;
	t = p + n;
	if (*t == ':') {
		t++;
		while (word_char((unsigned char)t[tn]))
			tn++;
		if (!tn)
			return false;
		p = t + tn;
	} else {
		p = t;
	}
	if (*p++ != ']')
		return false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p && *p != '#')
		return false;
	if (name) {
		buf_reset(name);
		buf_add(name, s + 1, n);
		buf_reset(type);
		buf_add(type, t, tn);
	}
	return true;
}

static void ini_header(struct ini_parser *ip, const char *s, unsigned int col)
{
	struct inv_ext *x = ip->ld->x;
	struct buf name = BUF_INIT, type = BUF_INIT;
	struct ini_pending *pend;
	bool existed;

	if (!ini_section(s, &name, &type)) {
		ini_error(ip, col, "expected a section header such as [group], "
			  "[group:vars] or [group:children], got '%s'", s);
		ip->state = INI_SKIP;
		goto out;
	}
	if (!type.len || !strcmp(type.ptr, "hosts")) {
		ip->state = INI_HOSTS;
	} else if (!strcmp(type.ptr, "vars")) {
		ip->state = INI_VARS;
	} else if (!strcmp(type.ptr, "children")) {
		ip->state = INI_CHILDREN;
	} else {
		ini_error(ip, col + 2 + (unsigned int)name.len,
			  "expected section type vars or children, got '%s'",
			  type.ptr);
		ip->state = INI_SKIP;
		goto out;
	}
	existed = group_find(x, name.ptr) != NO_INDEX;
	ip->group = group_add(x, name.ptr);
	pend = ini_pending_find(ip, name.ptr);
	/* [g:vars] may come first, but g must be declared in the file */
	if (!existed && ip->state == INI_VARS && !pend) {
		pend = ini_pending_add(ip, name.ptr, INI_VARS);
		pend->pos.col = col + 1;
	} else if (pend && ip->state != INI_VARS) {
		for (size_t i = 0; i < pend->parents_nr; i++)
			ini_add_child(ip, pend->parents[i], ip->group, col);
		ini_pending_drop(pend);
	}
out:
	buf_release(&name);
	buf_release(&type);
}

static void ini_host_line(struct ini_parser *ip, const char *s,
			  unsigned int col)
{
	struct loader *ld = ip->ld;
	struct ini_token *tok = NULL;
	size_t nr = 0;
	unsigned int errcol, vcol;
	struct val *vars = NULL;
	struct srcpos pos = ip->pos;
	char *host = NULL;
	long port;

	if (!ini_split(&tok, &nr, s, col, &errcol)) {
		ini_error(ip, errcol, "expected a closing quote in host "
			  "definition '%s'", s);
		return;
	}
	if (!nr)
		return;
	pos.col = tok[0].col;
	if (host_pattern_parse(&host, &port, ld->x, tok[0].s) < 0) {
		ini_error(ip, tok[0].col, "%s", tend_error_last());
		tend_error_clear();
		goto out;
	}
	vars = val_dict();
	for (size_t i = 1; i < nr; i++) {
		char *eq = strchr(tok[i].s, '=');

		if (!eq) {
			ini_error(ip, tok[i].col, "expected key=value host "
				  "variable, got '%s'", tok[i].s);
			goto out;
		}
		*eq = '\0';
		vcol = tok[i].col + (unsigned int)(eq - tok[i].s) + 1;
		val_dict_set(vars, tok[i].s,
			     ini_value(eq + 1, ld->file, pos.line, vcol));
	}
	defer_hosts(ld->x, host, port, ip->group, vars, &pos);
	host = NULL;
out:
	free(host);
	val_unref(vars);
	for (size_t i = 0; i < nr; i++)
		free(tok[i].s);
	free(tok);
}

static void ini_vars_line(struct ini_parser *ip, const char *s,
			  unsigned int col)
{
	const char *eq = strchr(s, '=');
	struct buf key = BUF_INIT;
	const char *v;

	if (!eq) {
		ini_error(ip, col, "expected key=value, got '%s'", s);
		return;
	}
	buf_add(&key, s, (size_t)(eq - s));
	buf_trim(&key);
	for (v = eq + 1; isspace((unsigned char)*v); v++)
		;
	group_set_var(ip->ld->x, ip->group, LAYER_INLINE, key.ptr,
		      ini_value(v, ip->ld->file, ip->pos.line,
				col + (unsigned int)(v - s)),
		      ip->ld->d);
	buf_release(&key);
}

static void ini_children_line(struct ini_parser *ip, const char *s,
			      unsigned int col)
{
	struct inv_ext *x = ip->ld->x;
	size_t n = strcspn(s, ":] \t\r\n\v\f");
	const char *p = s + n;
	struct ini_pending *pend;
	char *name;
	size_t child;

	while (isspace((unsigned char)*p))
		p++;
	if (!n || (*p && *p != '#')) {
		ini_error(ip, col, "expected a group name, got '%s'", s);
		return;
	}
	name = xstrndup(s, n);
	child = group_find(x, name);
	if (child != NO_INDEX) {
		ini_add_child(ip, ip->group, child, col);
		free(name);
		return;
	}
	/* declared later in the file, or an error at its end */
	if (!(pend = ini_pending_find(ip, name))) {
		pend = ini_pending_add(ip, name, INI_CHILDREN);
		pend->pos.col = col;
	}
	free(name);
	push_index(&pend->parents, &pend->parents_nr, &pend->parents_alloc,
		   ip->group);
}

static void ini_parse(struct loader *ld, const char *text)
{
	struct ini_parser ip = { .ld = ld, .state = INI_HOSTS };
	const char *line = text;
	struct buf s = BUF_INIT;

	ip.pending_index = val_dict();
	ip.group = G_UNGROUPED;
	ip.pos.file = ld->file;
	while (*line && !tend_interrupted) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		size_t lead = 0;
		unsigned int col;

		ip.pos.line++;
		buf_reset(&s);
		buf_add(&s, line, len);
		line += len + (eol ? 1 : 0);
		while (lead < s.len && isspace((unsigned char)s.ptr[lead]))
			lead++;
		col = (unsigned int)lead + 1;
		buf_trim(&s);
		if (!s.len || s.ptr[0] == '#' || s.ptr[0] == ';')
			continue;
		if (s.ptr[0] == '[' && (s.ptr[s.len - 1] == ']' ||
					ini_section(s.ptr, NULL, NULL))) {
			ini_header(&ip, s.ptr, col);
			continue;
		}
		switch (ip.state) {
		case INI_HOSTS:
			ini_host_line(&ip, s.ptr, col);
			break;
		case INI_VARS:
			ini_vars_line(&ip, s.ptr, col);
			break;
		case INI_CHILDREN:
			ini_children_line(&ip, s.ptr, col);
			break;
		case INI_SKIP:
			break;
		}
	}
	for (size_t i = 0; i < ip.pending_nr; i++) {
		struct ini_pending *p = &ip.pending[i];

		if (!p->name)
			continue;
		if (tend_interrupted) {
			/* the file was not read to its end: nothing to say */
			ini_pending_drop(p);
			continue;
		}
		if (p->state == INI_VARS)
			diags_add(ld->d, &p->pos, "expected group '%s' to be "
				  "declared for its [%s:vars] section",
				  p->name, p->name);
		else
			diags_add(ld->d, &p->pos, "expected group '%s' of "
				  "[%s:children] to be declared as [%s] or "
				  "[%s:children]", p->name,
				  ld->x->inv.groups[p->parents[0]]->name,
				  p->name, p->name);
		ini_pending_drop(p);
	}
	free(ip.pending);
	val_unref(ip.pending_index);
	buf_release(&s);
}

/* YAML ----------------------------------------------------------------- */

static const struct srcpos *key_pos(const struct val *dict, size_t i)
{
	const struct val_pair *kv = &dict->u.dict.items[i];

	return kv->pos.file ? &kv->pos : &kv->v->pos;
}

static size_t yaml_group(struct loader *ld, const char *name,
			 const struct val *data);

/* A section given as a string means {string: null} (as Ansible). */
static struct val *yaml_section(struct loader *ld, const char *group,
				const char *section, struct val *v)
{
	struct val *d;

	if (val_is(v, VAL_STR)) {
		d = val_dict();
		val_dict_set(d, val_cstr(v), val_null());
		return d;
	}
	if (val_is(v, VAL_NULL))
		return val_dict();
	if (!val_is(v, VAL_DICT)) {
		diags_add(ld->d, &v->pos, "expected a mapping for '%s' of "
			  "group '%s', got %s", section, group,
			  val_type_name(v->type));
		return NULL;
	}
	return val_ref(v);
}

static void yaml_hosts(struct loader *ld, size_t gi, const struct val *hosts)
{
	char *host;
	long port;

	for (size_t i = 0; i < hosts->u.dict.nr && !tend_interrupted; i++) {
		const char *pattern = hosts->u.dict.items[i].key;
		const struct val *vars = hosts->u.dict.items[i].v;

		if (!val_is(vars, VAL_NULL) && !val_is(vars, VAL_DICT)) {
			diags_add(ld->d, &vars->pos, "expected a mapping of "
				  "variables for host '%s', got %s", pattern,
				  val_type_name(vars->type));
			continue;
		}
		if (host_pattern_parse(&host, &port, ld->x, pattern) < 0) {
			diags_add(ld->d, key_pos(hosts, i), "%s",
				  tend_error_last());
			tend_error_clear();
		} else {
			defer_hosts(ld->x, host, port, gi,
				    val_is(vars, VAL_DICT) ? vars : NULL,
				    key_pos(hosts, i));
		}
	}
}

static size_t yaml_group(struct loader *ld, const char *name,
			 const struct val *data)
{
	static const char *const keys[] = { "hosts", "vars", "children", NULL };
	struct inv_ext *x = ld->x;
	size_t gi;

	if (!val_is(data, VAL_NULL) && !val_is(data, VAL_DICT)) {
		diags_add(ld->d, &data->pos, "expected a mapping for group "
			  "'%s', got %s", name, val_type_name(data->type));
		return NO_INDEX;
	}
	gi = group_add(x, name);
	if (val_is(data, VAL_NULL))
		return gi;
	for (size_t i = 0; i < data->u.dict.nr; i++) {
		const char *key = data->u.dict.items[i].key;
		struct val *sec;

		if (strcmp(key, "hosts") && strcmp(key, "vars") &&
		    strcmp(key, "children")) {
			const char *maybe = did_you_mean(key, keys);

			diags_add(ld->d, key_pos(data, i),
				  "expected hosts, vars or children in group "
				  "'%s', got '%s'%s%s%s", name, key,
				  maybe ? " (did you mean '" : "",
				  maybe ? maybe : "", maybe ? "'?)" : "");
			continue;
		}
		sec = yaml_section(ld, name, key, data->u.dict.items[i].v);
		if (!sec)
			continue;
		if (!strcmp(key, "vars")) {
			for (size_t j = 0; j < sec->u.dict.nr; j++)
				group_set_var(x, gi, LAYER_INLINE,
					      sec->u.dict.items[j].key,
					      val_ref(sec->u.dict.items[j].v),
					      ld->d);
		} else if (!strcmp(key, "children")) {
			for (size_t j = 0; j < sec->u.dict.nr; j++) {
				const char *cname = sec->u.dict.items[j].key;
				size_t ci = yaml_group(ld, cname,
						       sec->u.dict.items[j].v);

				if (ci != NO_INDEX &&
				    group_add_child(x, gi, ci) < 0)
					diags_add(ld->d, key_pos(sec, j),
						  "adding group '%s' as a "
						  "child of '%s' makes a loop",
						  cname, name);
			}
		} else {
			yaml_hosts(ld, gi, sec);
		}
		val_unref(sec);
	}
	return gi;
}

static void yaml_parse(struct loader *ld, const struct val *doc)
{
	if (val_is(doc, VAL_NULL))
		return;
	if (!val_is(doc, VAL_DICT)) {
		diags_add(ld->d, &doc->pos, "expected a mapping of groups, "
			  "got %s", val_type_name(doc->type));
		return;
	}
	if (val_dict_get(doc, "plugin")) {
		diags_add(ld->d, &doc->pos, "inventory plugins are not "
			  "supported, expected a mapping of groups");
		return;
	}
	for (size_t i = 0; i < doc->u.dict.nr; i++)
		yaml_group(ld, doc->u.dict.items[i].key,
			   doc->u.dict.items[i].v);
}

/* Sources -------------------------------------------------------------- */

static const char *file_ext(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	while (*base == '.')
		base++;
	dot = strrchr(base, '.');
	return dot ? dot : "";
}

/* Does this text, loaded as YAML, look like a YAML inventory? */
static bool looks_like_yaml(const struct buf *text, const char *file,
			    struct val **doc)
{
	struct diags scratch = DIAGS_INIT;
	bool yes = false;

	if (yaml_load_string(doc, text->ptr, text->len, file, &scratch) == 0 &&
	    val_is(*doc, VAL_DICT) && (*doc)->u.dict.nr) {
		yes = true;
		for (size_t i = 0; i < (*doc)->u.dict.nr; i++) {
			const struct val *g = (*doc)->u.dict.items[i].v;

			if (!val_is(g, VAL_DICT) && !val_is(g, VAL_NULL))
				yes = false;
		}
	}
	if (!yes) {
		val_unref(*doc);
		*doc = NULL;
	}
	diags_release(&scratch);
	tend_error_clear();
	return yes;
}

static int load_file(struct inv_ext *x, const char *path, struct diags *d)
{
	struct loader ld = { x, d, srcfile_intern(path) };
	const char *ext = file_ext(path);
	struct buf text = BUF_INIT;
	struct val *doc = NULL;
	int error;

	if ((error = buf_read_file(&text, path)) < 0)
		goto out;
	if (!strcmp(ext, ".yml") || !strcmp(ext, ".yaml") ||
	    !strcmp(ext, ".json")) {
		if ((error = yaml_load_string(&doc, text.ptr, text.len, path,
					      d)) < 0) {
			if (error == TEND_EPARSE)
				error = 0; /* the diagnostics tell */
			goto out;
		}
		yaml_parse(&ld, doc);
	} else if (!*ext && looks_like_yaml(&text, path, &doc)) {
		yaml_parse(&ld, doc);
	} else {
		ini_parse(&ld, text.ptr);
	}
	error = check_interrupted();
out:
	val_unref(doc);
	buf_release(&text);
	return error;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of `dir` (without . and ..); *nr 0 if missing. */
static int list_dir(char ***out, size_t *nr, const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t alloc = 0;

	*out = NULL;
	*nr = 0;
	if (!dh) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return tend_error_set("cannot open directory '%s': %s", dir,
				      strerror(errno));
	}
	while ((de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ALLOC_GROW(*out, *nr + 1, alloc);
		(*out)[(*nr)++] = xstrdup(de->d_name);
	}
	closedir(dh);
	if (*nr)
		qsort(*out, *nr, sizeof(**out), cmp_str);
	return 0;
}

static void free_names(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Names a directory inventory skips (Ansible's INVENTORY_IGNORE_EXTS). */
static bool inventory_ignored(const char *name)
{
	static const char *const exts[] = { ".pyc", ".pyo", ".swp", ".bak", "~",
					    ".rpm", ".md", ".txt", ".rst",
					    ".orig", ".ini", ".cfg", ".retry",
					    NULL };

	if (name[0] == '.' || !strcmp(name, "host_vars") ||
	    !strcmp(name, "group_vars") || !strcmp(name, "vars_plugins"))
		return true;
	for (size_t i = 0; exts[i]; i++)
		if (ends_with(name, exts[i]))
			return true;
	return false;
}

static int load_source(struct inv_ext *x, const char *path, struct diags *d)
{
	char **names = NULL;
	size_t nr = 0;
	struct buf sub = BUF_INIT;
	int error = 0;

	if (!is_dir(path))
		return load_file(x, path, d);
	if ((error = list_dir(&names, &nr, path)) < 0)
		return error;
	for (size_t i = 0; i < nr && !error; i++) {
		if (inventory_ignored(names[i]))
			continue;
		buf_sets(&sub, path);
		buf_addch(&sub, '/');
		buf_adds(&sub, names[i]);
		error = load_source(x, sub.ptr, d);
	}
	buf_release(&sub);
	free_names(names, nr);
	return error;
}

/* Vars directories ------------------------------------------------------ */

static const char *const vars_exts[] = { "", ".yml", ".yaml", ".json", NULL };

static bool vars_ext_ok(const char *name)
{
	const char *ext = file_ext(name);

	for (size_t i = 0; vars_exts[i]; i++)
		if (!strcmp(ext, vars_exts[i]))
			return true;
	return false;
}

/* Files of a NAME/ directory, in name order, recursing as Ansible does. */
static int collect_dir_files(struct val *files, const char *dir)
{
	char **names = NULL;
	size_t nr = 0;
	struct buf p = BUF_INIT;
	int error;

	if ((error = list_dir(&names, &nr, dir)) < 0)
		return error;
	for (size_t i = 0; i < nr && !error; i++) {
		if (names[i][0] == '.' || ends_with(names[i], "~"))
			continue;
		buf_sets(&p, dir);
		buf_addch(&p, '/');
		buf_adds(&p, names[i]);
		if (is_dir(p.ptr)) {
			if (!*file_ext(names[i]))
				error = collect_dir_files(files, p.ptr);
		} else if (vars_ext_ok(names[i])) {
			val_list_push(files, val_str(p.ptr));
		}
	}
	buf_release(&p);
	free_names(names, nr);
	return error;
}

static int load_vars_file(struct val *into, const char *path,
			  struct diags *d)
{
	struct val *doc = NULL;
	int error;

	if ((error = yaml_load_file(&doc, path, d)) < 0)
		return error == TEND_EPARSE ? 0 : error;
	if (val_is(doc, VAL_DICT))
		val_dict_update(into, doc, false);
	else if (!val_is(doc, VAL_NULL))
		diags_add(d, &doc->pos, "expected a mapping of variables, "
			  "got %s", val_type_name(doc->type));
	val_unref(doc);
	return 0;
}

struct vars_dir {
	char *path;
	char **names;
	size_t nr;
};

/*
 * The vars of entity `name` in a group_vars/ or host_vars/ directory: the
 * first of NAME, NAME.yml, NAME.yaml, NAME.json that exists (a directory
 * of files, or a file). Returns a new dict, or NULL if there is none.
 */
static int vars_for(struct val **out, const struct vars_dir *vd,
		    const char *name, struct diags *d)
{
	struct buf cand = BUF_INIT, p = BUF_INIT;
	struct val *files = NULL;
	int error = 0;

	*out = NULL;
	if (!vd->nr || name[0] == '/')
		return 0;
	for (size_t i = 0; vars_exts[i]; i++) {
		buf_sets(&cand, name);
		buf_adds(&cand, vars_exts[i]);
		if (!bsearch(&cand.ptr, vd->names, vd->nr, sizeof(char *),
			     cmp_str))
			continue;
		buf_sets(&p, vd->path);
		buf_addch(&p, '/');
		buf_addbuf(&p, &cand);
		files = val_list();
		if (is_dir(p.ptr))
			error = collect_dir_files(files, p.ptr);
		else
			val_list_push(files, val_str(p.ptr));
		break;
	}
	if (files && !error) {
		*out = val_dict();
		for (size_t i = 0; i < val_len(files) && !error; i++) {
			const char *file = val_cstr(val_list_at(files, i));

			error = load_vars_file(*out, file, d);
		}
	}
	val_unref(files);
	buf_release(&cand);
	buf_release(&p);
	return error;
}

static void refresh_vars(struct inv_ext *x)
{
	struct inventory *inv = &x->inv;

	for (size_t i = 0; i < inv->groups_nr; i++) {
		struct group_ext *ge = gext(inv, i);

		val_unref(ge->g.vars);
		ge->g.vars = val_dict();
		for (int l = 0; l < LAYER_NR; l++)
			val_dict_update(ge->g.vars, ge->layer[l], false);
	}
	for (size_t i = 0; i <= inv->hosts_nr && !tend_interrupted; i++) {
		struct host_ext *he = i < inv->hosts_nr ? hext(inv->hosts[i]) :
							  x->implicit;

		if (!he)
			continue;
		val_unref(he->h.vars);
		he->h.vars = val_dict();
		for (int l = 0; l < LAYER_NR; l++)
			val_dict_update(he->h.vars, he->layer[l], false);
	}
}

static int load_vars_dirs(struct inv_ext *x, const char *dir, enum layer l,
			  struct diags *d)
{
	struct inventory *inv = &x->inv;
	struct vars_dir gv = { NULL, NULL, 0 }, hv = { NULL, NULL, 0 };
	struct buf p = BUF_INIT;
	struct val *vars = NULL;
	int error;

	buf_sets(&p, dir);
	buf_adds(&p, "/group_vars");
	gv.path = buf_detach(&p, NULL);
	buf_sets(&p, dir);
	buf_adds(&p, "/host_vars");
	hv.path = buf_detach(&p, NULL);
	if ((error = list_dir(&gv.names, &gv.nr, gv.path)) < 0 ||
	    (error = list_dir(&hv.names, &hv.nr, hv.path)) < 0)
		goto out;
	for (size_t i = 0; i < inv->groups_nr && !error; i++) {
		if ((error = vars_for(&vars, &gv, inv->groups[i]->name, d)) < 0)
			break;
		for (size_t j = 0; vars && j < vars->u.dict.nr; j++)
			group_set_var(x, i, l, vars->u.dict.items[j].key,
				      val_ref(vars->u.dict.items[j].v), d);
		val_unref(vars);
		vars = NULL;
	}
	for (size_t i = 0; i <= inv->hosts_nr && !error; i++) {
		struct host_ext *he = i < inv->hosts_nr ? hext(inv->hosts[i]) :
							  x->implicit;

		if ((error = check_interrupted()) < 0)
			goto out;
		if (!he)
			continue;
		if ((error = vars_for(&vars, &hv, he->h.name, d)) < 0)
			break;
		if (vars)
			val_dict_update(he->layer[l], vars, false);
		val_unref(vars);
		vars = NULL;
	}
	refresh_vars(x);
	if (!error)
		error = check_interrupted();
out:
	free(gv.path);
	free(hv.path);
	free_names(gv.names, gv.nr);
	free_names(hv.names, hv.nr);
	return error;
}

/* Reconcile ------------------------------------------------------------- */

/*
 * What Ansible's reconcile_inventory does once every source is read:
 * groups without a parent go under all, and ungrouped holds exactly the
 * hosts in no other group. Then group depths for var precedence.
 */
static void reconcile(struct inv_ext *x)
{
	struct inventory *inv = &x->inv;
	struct group *ung = inv->groups[G_UNGROUPED];
	size_t *queue, qh = 0, qt = 0, *pending_parents;
	size_t keep = 0;

	for (size_t i = 1; i < inv->groups_nr; i++)
		if (!inv->groups[i]->parents_nr)
			group_add_child(x, G_ALL, i);

	for (size_t i = 0; i < inv->hosts_nr; i++) {
		struct host *h = inv->hosts[i];
		bool in_ung = false, other = false;

		for (size_t j = 0; j < h->groups_nr; j++) {
			if (h->groups[j] == G_UNGROUPED)
				in_ung = true;
			else if (h->groups[j] != G_ALL)
				other = true;
		}
		if (!in_ung && !other)
			group_add_host(x, G_UNGROUPED, i);
		if (in_ung && other) {
			size_t k = 0;

			for (size_t j = 0; j < h->groups_nr; j++)
				if (h->groups[j] != G_UNGROUPED)
					h->groups[k++] = h->groups[j];
			h->groups_nr = k;
		}
	}
	/* drop from ungrouped's list whoever no longer lists it */
	for (size_t i = 0; i < ung->hosts_nr; i++) {
		struct host *h = inv->hosts[ung->hosts[i]];

		if (has_index(h->groups, h->groups_nr, G_UNGROUPED))
			ung->hosts[keep++] = ung->hosts[i];
	}
	ung->hosts_nr = keep;

	/* depth: longest path from all, in topological order */
	queue = xmalloc((inv->groups_nr + 1) * sizeof(*queue));
	pending_parents = xcalloc(inv->groups_nr, sizeof(*pending_parents));
	for (size_t i = 0; i < inv->groups_nr; i++) {
		pending_parents[i] = inv->groups[i]->parents_nr;
		gext(inv, i)->depth = 0;
	}
	queue[qt++] = G_ALL;
	while (qh < qt) {
		size_t gi = queue[qh++];
		struct group *g = inv->groups[gi];

		for (size_t j = 0; j < g->children_nr; j++) {
			size_t c = g->children[j];

			if (gext(inv, c)->depth < gext(inv, gi)->depth + 1)
				gext(inv, c)->depth = gext(inv, gi)->depth + 1;
			if (!--pending_parents[c])
				queue[qt++] = c;
		}
	}
	free(queue);
	free(pending_parents);
}

static struct inv_ext *inv_new(void)
{
	struct inv_ext *x = xcalloc(1, sizeof(*x));

	group_add(x, "all");
	group_add(x, "ungrouped");
	group_add_child(x, G_ALL, G_UNGROUPED);
	return x;
}

/* Ansible's implicit localhost, unless the inventory has a localhost. */
static void add_implicit_localhost(struct inv_ext *x)
{
	struct val *c;

	for (size_t i = 0; localhost_names[i]; i++)
		if (index_get(&x->host_names, localhost_names[i]) != NO_INDEX)
			return;
	x->implicit = host_new("localhost");
	x->implicit->h.implicit = true;
	c = val_str("local");
	val_dict_set(x->implicit->layer[LAYER_INLINE], "ansible_connection", c);
}

static void load_host_list(struct inv_ext *x, const char *list)
{
	char *copy = xstrdup(list), *p = copy;

	while (p && !tend_interrupted) {
		char *comma = strchr(p, ',');
		struct buf h = BUF_INIT;
		size_t off, len, hi;
		struct val *own;
		long port;

		if (comma)
			*comma = '\0';
		buf_sets(&h, p);
		buf_trim(&h);
		p = comma ? comma + 1 : NULL;
		if (!h.len) {
			buf_release(&h);
			continue;
		}
		/* no ranges here: "a[1:2]" is a host of that name */
		if (parse_address(h.ptr, &off, &len, &port) &&
		    !memchr(h.ptr + off, '[', len)) {
			buf_setlen(&h, off + len);
		} else {
			port = -1;
			off = 0;
		}
		if (index_get(&x->host_names, h.ptr + off) != NO_INDEX) {
			buf_release(&h);
			continue;
		}
		hi = host_add(x, h.ptr + off);
		group_add_host(x, G_UNGROUPED, hi);
		own = hext(x->inv.hosts[hi])->layer[LAYER_INLINE];
		if (port >= 0)
			val_dict_set_int(own, "ansible_port", port);
		buf_release(&h);
	}
	free(copy);
}

int inventory_load(struct inventory **out, const char *path, struct diags *d)
{
	struct inv_ext *x = inv_new();
	size_t errors_before = d->errors;
	struct buf dir = BUF_INIT;
	struct stat st;
	bool is_source = false;
	int error = 0;

	*out = NULL;
	if (!path) {
		size_t hi = host_add(x, "localhost");

		group_add_host(x, G_UNGROUPED, hi);
		val_dict_set_str(hext(x->inv.hosts[hi])->layer[LAYER_INLINE],
				 "ansible_connection", "local");
	} else if (stat(path, &st) < 0) {
		if (errno != ENOENT || !strchr(path, ',')) {
			int code = errno == ENOENT ? TEND_ENOTFOUND :
						     TEND_ERROR;

			error = tend_error_set_code(code, "cannot read "
						    "inventory '%s': %s", path,
						    strerror(errno));
			goto out;
		}
		load_host_list(x, path);
	} else if ((error = load_source(x, path, d)) < 0) {
		goto out;
	} else {
		add_deferred_hosts(x, d);
		is_source = true;
	}
	if ((error = check_interrupted()) < 0)
		goto out;
	reconcile(x);
	add_implicit_localhost(x);
	refresh_vars(x);
	if ((error = check_interrupted()) < 0)
		goto out;
	if (is_source) {
		const char *slash;

		if (S_ISDIR(st.st_mode)) {
			buf_sets(&dir, path);
		} else if ((slash = strrchr(path, '/'))) {
			buf_add(&dir, path, (size_t)(slash - path));
			if (!dir.len)
				buf_sets(&dir, "/");
		} else {
			buf_sets(&dir, ".");
		}
		error = load_vars_dirs(x, dir.ptr, LAYER_INV_FILES, d);
		if (error < 0)
			goto out;
	}
	if (d->errors > errors_before)
		error = TEND_EPARSE;
out:
	buf_release(&dir);
	if (error < 0) {
		inventory_free(&x->inv);
		return error;
	}
	*out = &x->inv;
	return 0;
}

int inventory_load_vars_dirs(struct inventory *inv, const char *dir,
			     struct diags *d)
{
	size_t errors_before = d->errors;
	int error = load_vars_dirs(ext_of(inv), dir, LAYER_PLAY_FILES, d);

	if (!error && d->errors > errors_before)
		error = TEND_EPARSE;
	return error;
}

/* Lookups and vars ------------------------------------------------------ */

/* Index of the host a localhost name selects when nothing else does. */
static size_t localhost_for(const struct inv_ext *x)
{
	const struct inventory *inv = &x->inv;

	for (size_t i = 0; i < inv->hosts_nr; i++)
		if (is_localhost_name(inv->hosts[i]->name))
			return i;
	return x->implicit ? inv->hosts_nr : NO_INDEX;
}

static struct host *host_at(const struct inventory *inv, size_t i)
{
	return i < inv->hosts_nr ? inv->hosts[i] : &ext_of(inv)->implicit->h;
}

struct host *inventory_find_host(const struct inventory *inv, const char *name)
{
	const struct inv_ext *x = ext_of(inv);
	size_t hi = index_get(&x->host_names, name);

	if (hi != NO_INDEX)
		return inv->hosts[hi];
	/*
	 * As Ansible's get_host: a localhost name finds the inventory's
	 * localhost under another name, or else the implicit one.
	 */
	if (is_localhost_name(name) && (hi = localhost_for(x)) != NO_INDEX)
		return host_at(inv, hi);
	return NULL;
}

/*
 * A set of group indexes. A host is in few groups, so a list is searched
 * while it is short; past that a bitmap over inv->groups answers. Either
 * way the cost follows the host's groups, not the inventory's.
 */
#define GROUP_SET_LIST_MAX 32

struct group_set {
	size_t *v;
	size_t nr, alloc;
	unsigned char *bits; /* once nr > GROUP_SET_LIST_MAX */
};

static bool group_set_add(struct group_set *s, const struct inventory *inv,
			  size_t gi)
{
	if (s->bits ? s->bits[gi] : has_index(s->v, s->nr, gi))
		return false;
	push_index(&s->v, &s->nr, &s->alloc, gi);
	if (s->bits) {
		s->bits[gi] = 1;
	} else if (s->nr > GROUP_SET_LIST_MAX) {
		s->bits = xcalloc(inv->groups_nr, 1);
		for (size_t i = 0; i < s->nr; i++)
			s->bits[s->v[i]] = 1;
	}
	return true;
}

/* Every group h is in, at any level, "all" included (not for implicit). */
static void host_all_groups(const struct inventory *inv, const struct host *h,
			    struct group_set *in)
{
	size_t *stack = NULL, nr = 0, alloc = 0;

	for (size_t i = 0; i < h->groups_nr; i++)
		push_index(&stack, &nr, &alloc, h->groups[i]);
	while (nr) {
		size_t gi = stack[--nr];
		const struct group *g = inv->groups[gi];

		if (!group_set_add(in, inv, gi))
			continue;
		for (size_t i = 0; i < g->parents_nr; i++)
			push_index(&stack, &nr, &alloc, g->parents[i]);
	}
	free(stack);
}

/* The host's groups at any level except all, in no particular order. */
static size_t host_groups_but_all(size_t **out, const struct inventory *inv,
				  const struct host *h)
{
	struct group_set in = { NULL, 0, 0, NULL };
	size_t nr = 0;

	if (!h->implicit)
		host_all_groups(inv, h, &in);
	for (size_t i = 0; i < in.nr; i++)
		if (in.v[i] != G_ALL)
			in.v[nr++] = in.v[i];
	free(in.bits);
	*out = in.v; /* NULL when empty */
	return nr;
}

static int cmp_groups(const void *a, const void *b, void *payload)
{
	const struct inventory *inv = payload;
	const struct group_ext *ga = gext(inv, *(const size_t *)a);
	const struct group_ext *gb = gext(inv, *(const size_t *)b);

	if (ga->depth != gb->depth)
		return ga->depth < gb->depth ? -1 : 1;
	if (ga->priority != gb->priority)
		return ga->priority < gb->priority ? -1 : 1;
	return strcmp(ga->g.name, gb->g.name);
}

/* The host's groups except all, sorted as Ansible's sort_groups. */
static size_t sorted_groups(size_t **out, const struct inventory *inv,
			    const struct host *h)
{
	size_t nr = host_groups_but_all(out, inv, h);

	if (nr)
		qsort_r(*out, nr, sizeof(**out), cmp_groups, (void *)inv);
	return nr;
}

struct val *inventory_host_vars(const struct inventory *inv,
				const struct host *h)
{
	const struct group_ext *all = gext(inv, G_ALL);
	const struct host_ext *he = hext(h);
	struct val *v = val_dict();
	size_t *gs, nr = sorted_groups(&gs, inv, h);

	/* Ansible's default VARIABLE_PRECEDENCE, then the host's own */
	val_dict_update(v, all->layer[LAYER_INLINE], false);
	for (size_t i = 0; i < nr; i++)
		val_dict_update(v, gext(inv, gs[i])->layer[LAYER_INLINE],
				false);
	val_dict_update(v, all->layer[LAYER_INV_FILES], false);
	val_dict_update(v, all->layer[LAYER_PLAY_FILES], false);
	for (size_t i = 0; i < nr; i++)
		val_dict_update(v, gext(inv, gs[i])->layer[LAYER_INV_FILES],
				false);
	for (size_t i = 0; i < nr; i++)
		val_dict_update(v, gext(inv, gs[i])->layer[LAYER_PLAY_FILES],
				false);
	for (int l = 0; l < LAYER_NR; l++)
		val_dict_update(v, he->layer[l], false);
	free(gs);
	return v;
}

struct val *inventory_group_names(const struct inventory *inv,
				  const struct host *h)
{
	struct val *list = val_list();
	const char **names;
	size_t *gs, nr = host_groups_but_all(&gs, inv, h);

	if (!nr) {
		free(gs);
		return list;
	}
	names = xmalloc(nr * sizeof(*names));
	for (size_t i = 0; i < nr; i++)
		names[i] = inv->groups[gs[i]]->name;
	qsort(names, nr, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nr; i++)
		val_list_push(list, val_str(names[i]));
	free(names);
	free(gs);
	return list;
}

/* Host lists with a generation-stamped "seen" mark, to stay O(n). */
struct hlist {
	size_t *v;
	size_t nr, alloc;
};

struct matcher {
	const struct inventory *inv;
	unsigned int *seen_h, *seen_g; /* == gen when seen */
	unsigned int gen;
	size_t *queue;
};

static void next_gen(struct matcher *m)
{
	if (!++m->gen) {
		memset(m->seen_h, 0,
		       (m->inv->hosts_nr + 1) * sizeof(*m->seen_h));
		memset(m->seen_g, 0,
		       (m->inv->groups_nr + 1) * sizeof(*m->seen_g));
		m->gen = 1;
	}
}

/*
 * Hosts of group gi and its descendants, each once: the group's own,
 * then its children's level by level (Ansible's Group.get_hosts).
 */
static void group_hosts(struct matcher *m, size_t gi, struct hlist *out)
{
	const struct inventory *inv = m->inv;
	size_t qh = 0, qt = 0;

	next_gen(m);
	m->queue[qt++] = gi;
	m->seen_g[gi] = m->gen;
	while (qh < qt) {
		const struct group *g = inv->groups[m->queue[qh++]];

		for (size_t i = 0; i < g->hosts_nr; i++) {
			if (m->seen_h[g->hosts[i]] == m->gen)
				continue;
			m->seen_h[g->hosts[i]] = m->gen;
			push_index(&out->v, &out->nr, &out->alloc, g->hosts[i]);
		}
		for (size_t i = 0; i < g->children_nr; i++) {
			if (m->seen_g[g->children[i]] == m->gen)
				continue;
			m->seen_g[g->children[i]] = m->gen;
			m->queue[qt++] = g->children[i];
		}
	}
}

/*
 * One pattern word as Ansible's _match_list reads it: "~regex" is
 * re.compile(regex).match(name) (anchored at the start only), a word
 * with * ? [ a glob, anything else the name itself.
 */
struct name_matcher {
	bool is_glob;
	const char *text;
	struct regex *re;
};

static int name_matcher_init(struct name_matcher *nm, const char *pattern)
{
	memset(nm, 0, sizeof(*nm));
	nm->text = pattern;
	if (pattern[0] == '~') {
		if (regex_compile(&nm->re, pattern + 1, 0) < 0)
			return tend_error_prefix("invalid host pattern '%s'",
						 pattern);
	} else {
		nm->is_glob = strpbrk(pattern, "*?[") != NULL;
	}
	return 0;
}

static int name_matches(bool *out, const struct name_matcher *nm,
			const char *name)
{
	struct regex_match m = REGEX_MATCH_INIT;
	int error = 0;

	if (nm->re) {
		error = regex_exec(&m, nm->re, name, strlen(name), 0,
				   REGEX_MATCH);
		*out = m.matched;
		regex_match_release(&m);
	} else if (nm->is_glob) {
		*out = !fnmatch(nm->text, name, FNM_NOESCAPE);
	} else {
		*out = !strcmp(nm->text, name);
	}
	return error;
}

static void name_matcher_release(struct name_matcher *nm)
{
	regex_free(nm->re);
	nm->re = NULL;
}

/* Ansible's _enumerate_matches: groups by name, then hosts by name. */
static int enumerate(struct matcher *m, const char *expr, struct hlist *out)
{
	const struct inventory *inv = m->inv;
	const struct inv_ext *x = ext_of(inv);
	struct name_matcher nm;
	bool any_group = false, hit;
	int error;

	if ((error = name_matcher_init(&nm, expr)) < 0)
		return error;
	if (nm.re || nm.is_glob) {
		for (size_t i = 0; i < inv->groups_nr; i++) {
			if ((error = name_matches(&hit, &nm,
						  inv->groups[i]->name)) < 0)
				goto out;
			if (hit) {
				group_hosts(m, i, out);
				any_group = true;
			}
		}
	} else {
		size_t gi = group_find(x, expr);

		if (gi != NO_INDEX) {
			group_hosts(m, gi, out);
			any_group = true;
		}
	}
	if (!any_group || nm.re || strpbrk(expr, ".?*[")) {
		if (nm.re || nm.is_glob) {
			for (size_t i = 0; i < inv->hosts_nr; i++) {
				const char *name = inv->hosts[i]->name;

				if ((error = name_matches(&hit, &nm,
							  name)) < 0)
					goto out;
				if (hit)
					push_index(&out->v, &out->nr,
						   &out->alloc, i);
			}
		} else {
			size_t hi = index_get(&x->host_names, expr);

			if (hi != NO_INDEX)
				push_index(&out->v, &out->nr, &out->alloc, hi);
		}
	}
	if (!out->nr && is_localhost_name(expr)) {
		size_t hi = localhost_for(x);

		if (hi != NO_INDEX)
			push_index(&out->v, &out->nr, &out->alloc, hi);
	}
out:
	name_matcher_release(&nm);
	return error;
}

struct subscript {
	bool present, single;
	long long start, end;
};

/* Split "expr[1]", "expr[-1]", "expr[1:3]", "expr[2:]" (not for ~regex). */
static char *split_subscript(const char *pattern, struct subscript *sub)
{
	size_t len = strlen(pattern);
	const char *open = strrchr(pattern, '[');
	const char *p;

	memset(sub, 0, sizeof(*sub));
	if (pattern[0] == '~' || !open || open == pattern ||
	    pattern[len - 1] != ']')
		return xstrdup(pattern);
	p = open + 1;
	if (*p == '-' || isdigit((unsigned char)*p)) {
		char *end;

		errno = 0;
		sub->start = strtoll(p, &end, 10);
		if (errno || end == p || (*p == '-' && end == p + 1))
			return xstrdup(pattern);
		if (*end == ']' && end == pattern + len - 1) {
			sub->present = sub->single = true;
		} else if (*p != '-' && (*end == ':' || *end == '-')) {
			const char *q = end + 1;

			if (*q == ']') {
				sub->end = -1;
			} else {
				sub->end = strtoll(q, &end, 10);
				if (errno || end == q || *end != ']' ||
				    !isdigit((unsigned char)*q))
					return xstrdup(pattern);
				if (!sub->end)
					sub->single = true;
			}
			if (q[strspn(q, "0123456789")] != ']' ||
			    q + strspn(q, "0123456789") != pattern + len - 1)
				return xstrdup(pattern);
			sub->present = true;
		}
	}
	if (!sub->present)
		return xstrdup(pattern);
	return xstrndup(pattern, (size_t)(open - pattern));
}

static void apply_subscript(struct hlist *l, const struct subscript *sub)
{
	long long n = (long long)l->nr, s = sub->start, e;

	if (!sub->present || !l->nr)
		return;
	if (sub->single) {
		if (s < 0)
			s += n;
		if (s < 0 || s >= n) {
			l->nr = 0;
		} else {
			l->v[0] = l->v[s];
			l->nr = 1;
		}
		return;
	}
	e = sub->end == -1 ? n - 1 : sub->end;
	/* Python slicing: [s:e+1], clamped */
	if (e + 1 > n)
		e = n - 1;
	if (s >= n || s > e) {
		l->nr = 0;
		return;
	}
	memmove(l->v, l->v + s, (size_t)(e + 1 - s) * sizeof(*l->v));
	l->nr = (size_t)(e + 1 - s);
}

/* Ansible's split_host_pattern. */
static void split_pattern(struct val *out, const char *pattern)
{
	size_t off, len;
	long port;

	if (strchr(pattern, ',')) {
		const char *p = pattern;

		for (;;) {
			const char *c = strchr(p, ',');
			struct buf t = BUF_INIT;

			buf_add(&t, p, c ? (size_t)(c - p) : strlen(p));
			buf_trim(&t);
			if (t.len)
				val_list_push(out, val_strn(t.ptr, t.len));
			buf_release(&t);
			if (!c)
				break;
			p = c + 1;
		}
	} else if (parse_address(pattern, &off, &len, &port)) {
		val_list_push(out, val_str(pattern));
	} else {
		const char *p = pattern;

		/* runs of non-space, non-':' text and whole [...] groups */
		while (*p) {
			struct buf t = BUF_INIT;

			while (*p && (*p == ':' || isspace((unsigned char)*p) ||
				      *p == ']' ||
				      (*p == '[' && !strchr(p, ']'))))
				p++;
			while (*p) {
				if (*p == '[') {
					const char *c = strchr(p, ']');

					if (!c)
						break;
					buf_add(&t, p, (size_t)(c + 1 - p));
					p = c + 1;
				} else if (*p == ':' || *p == ']' ||
					   isspace((unsigned char)*p)) {
					break;
				} else {
					buf_addch(&t, *p++);
				}
			}
			if (t.len)
				val_list_push(out, val_strn(t.ptr, t.len));
			buf_release(&t);
		}
	}
}

int inventory_select(struct host ***out, size_t *nr,
		     const struct inventory *inv, const char *pattern)
{
	struct matcher m = { inv, NULL, NULL, 0, NULL };
	struct val *terms = val_list(), *ordered = val_list();
	struct hlist res = { NULL, 0, 0 }, that = { NULL, 0, 0 };
	unsigned int *in_res;
	int error = 0;

	*out = NULL;
	*nr = 0;
	split_pattern(terms, pattern ? pattern : "all");
	/* unions first, in order, then & intersections, then ! exclusions */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < val_len(terms); i++) {
			const char *t = val_cstr(val_list_at(terms, i));
			int kind = t[0] == '&' ? 1 : t[0] == '!' ? 2 : 0;

			if (kind == pass)
				val_list_push(ordered, val_str(t));
		}
		if (!pass && !val_len(ordered))
			val_list_push(ordered, val_str("all"));
	}
	m.seen_h = xcalloc(inv->hosts_nr + 1, sizeof(*m.seen_h));
	m.seen_g = xcalloc(inv->groups_nr + 1, sizeof(*m.seen_g));
	m.queue = xmalloc((inv->groups_nr + 1) * sizeof(*m.queue));
	in_res = xcalloc(inv->hosts_nr + 1, sizeof(*in_res));

	for (size_t i = 0; i < val_len(ordered); i++) {
		const char *t = val_cstr(val_list_at(ordered, i));
		char kind = (t[0] == '&' || t[0] == '!') ? t[0] : 0;
		size_t hi = index_get(&ext_of(inv)->host_names, t);
		struct subscript sub;
		char *expr;

		that.nr = 0;
		if (hi != NO_INDEX) {
			/* a plain host name is taken as is */
			push_index(&that.v, &that.nr, &that.alloc, hi);
		} else {
			expr = split_subscript(t + (kind ? 1 : 0), &sub);
			error = *expr ? enumerate(&m, expr, &that) : 0;
			free(expr);
			if (error < 0)
				goto out;
			apply_subscript(&that, &sub);
		}
		if (kind) {
			size_t k = 0;

			next_gen(&m);
			for (size_t j = 0; j < that.nr; j++)
				m.seen_h[that.v[j]] = m.gen;
			for (size_t j = 0; j < res.nr; j++) {
				bool hit = m.seen_h[res.v[j]] == m.gen;

				if (hit == (kind == '&'))
					res.v[k++] = res.v[j];
				else
					in_res[res.v[j]] = 0;
			}
			res.nr = k;
		} else {
			for (size_t j = 0; j < that.nr; j++) {
				if (in_res[that.v[j]])
					continue;
				in_res[that.v[j]] = 1;
				push_index(&res.v, &res.nr, &res.alloc,
					   that.v[j]);
			}
		}
	}
	*out = xmalloc((res.nr ? res.nr : 1) * sizeof(**out));
	for (size_t j = 0; j < res.nr; j++)
		(*out)[j] = host_at(inv, res.v[j]);
	*nr = res.nr;
out:
	val_unref(terms);
	val_unref(ordered);
	free(res.v);
	free(that.v);
	free(in_res);
	free(m.seen_h);
	free(m.seen_g);
	free(m.queue);
	return error;
}

struct val *inventory_groups(const struct inventory *inv)
{
	struct matcher m = { inv, NULL, NULL, 0, NULL };
	struct val *dict = val_dict();
	struct hlist l = { NULL, 0, 0 };

	m.seen_h = xcalloc(inv->hosts_nr + 1, sizeof(*m.seen_h));
	m.seen_g = xcalloc(inv->groups_nr + 1, sizeof(*m.seen_g));
	m.queue = xmalloc((inv->groups_nr + 1) * sizeof(*m.queue));
	for (size_t i = 0; i < inv->groups_nr; i++) {
		struct val *names = val_list();

		l.nr = 0;
		group_hosts(&m, i, &l);
		for (size_t j = 0; j < l.nr; j++)
			val_list_push(names, val_str(inv->hosts[l.v[j]]->name));
		val_dict_set(dict, inv->groups[i]->name, names);
	}
	free(l.v);
	free(m.seen_h);
	free(m.seen_g);
	free(m.queue);
	return dict;
}

static void host_ext_free(struct host_ext *he)
{
	if (!he)
		return;
	free(he->h.name);
	val_unref(he->h.vars);
	free(he->h.groups);
	for (int l = 0; l < LAYER_NR; l++)
		val_unref(he->layer[l]);
	free(he);
}

void inventory_free(struct inventory *inv)
{
	struct inv_ext *x;

	if (!inv)
		return;
	x = ext_of(inv);
	for (size_t i = 0; i < inv->hosts_nr; i++)
		host_ext_free(hext(inv->hosts[i]));
	host_ext_free(x->implicit);
	for (size_t i = 0; i < inv->groups_nr; i++) {
		struct group_ext *ge = gext(inv, i);

		free(ge->g.name);
		val_unref(ge->g.vars);
		free(ge->g.hosts);
		free(ge->g.children);
		free(ge->g.parents);
		for (int l = 0; l < LAYER_NR; l++)
			val_unref(ge->layer[l]);
		free(ge);
	}
	free(inv->hosts);
	free(inv->groups);
	free(x->host_names.slots);
	free(x->group_names.slots);
	deferred_release(x);
	free(x);
}
