#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/inventory/inventory_int.h"
#include "tend/util/interrupt.h"

#include <ctype.h>

/*
 * INI inventories.
 */

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

	if (inv_group_add_child(x, parent, child) < 0)
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
		while (inv_word_char((unsigned char)t[tn]))
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
	existed = inv_group_find(x, name.ptr) != NO_INDEX;
	ip->group = inv_group_add(x, name.ptr);
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

/* A variable's value; secret if the file was encrypted. */
static struct val *ini_value(const struct loader *ld, const char *s,
			     unsigned int line, unsigned int col)
{
	struct val *v = inv_ini_value(s, ld->file, line, col);

	if (ld->secret)
		inv_mark_secret(v);
	return v;
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
	if (inv_host_pattern_parse(&host, &port, ld->x, tok[0].s) < 0) {
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
			     ini_value(ld, eq + 1, pos.line, vcol));
	}
	inv_defer_hosts(ld->x, host, port, ip->group, vars, &pos);
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
	inv_group_set_var(ip->ld->x, ip->group, LAYER_INLINE, key.ptr,
		      ini_value(ip->ld, v, ip->pos.line,
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
	child = inv_group_find(x, name);
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
	inv_push_index(&pend->parents, &pend->parents_nr, &pend->parents_alloc,
		   ip->group);
}

void inv_ini_parse(struct loader *ld, const char *text)
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
