#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/util/regex.h"

#include <ctype.h>
#include <fnmatch.h>

/*
 * Host patterns (inventory_select) and the groups map.
 */

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
			inv_push_index(&out->v, &out->nr, &out->alloc, g->hosts[i]);
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
	const struct inv_ext *x = inv_ext_of(inv);
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
		size_t gi = inv_group_find(x, expr);

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
					inv_push_index(&out->v, &out->nr,
						   &out->alloc, i);
			}
		} else {
			size_t hi = inv_index_get(&x->host_names, expr);

			if (hi != NO_INDEX)
				inv_push_index(&out->v, &out->nr, &out->alloc, hi);
		}
	}
	if (!out->nr && inv_is_localhost_name(expr)) {
		size_t hi = inv_localhost_for(x);

		if (hi != NO_INDEX)
			inv_push_index(&out->v, &out->nr, &out->alloc, hi);
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
	} else if (inv_parse_address(pattern, &off, &len, &port)) {
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
		size_t hi = inv_index_get(&inv_ext_of(inv)->host_names, t);
		struct subscript sub;
		char *expr;

		that.nr = 0;
		if (hi != NO_INDEX) {
			/* a plain host name is taken as is */
			inv_push_index(&that.v, &that.nr, &that.alloc, hi);
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
				inv_push_index(&res.v, &res.nr, &res.alloc,
					   that.v[j]);
			}
		}
	}
	*out = xmalloc((res.nr ? res.nr : 1) * sizeof(**out));
	for (size_t j = 0; j < res.nr; j++)
		(*out)[j] = inv_host_at(inv, res.v[j]);
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
