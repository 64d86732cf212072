#include "tend/common.h"
#include "tend/inventory/inventory_int.h"
#include "tend/data/vault.h"
#include "tend/data/yaml.h"
#include "tend/util/fs.h"
#include "tend/util/readlog.h"
#include "tend/util/interrupt.h"

#include <sys/stat.h>

/*
 * Loading an inventory: a file, a directory, or a "h1,h2," host list,
 * then group_vars/ and host_vars/ and the implicit groups; and freeing it.
 */

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
	struct loader ld = { x, d, srcfile_intern(path), false };
	const char *ext = inv_file_ext(path);
	struct buf text = BUF_INIT;
	struct val *doc = NULL;
	int error;

	x->source = ld.file;
	if ((error = readlog_read(&text, x->root, path)) < 0)
		goto out;
	/* an inventory encrypted whole with ansible-vault, as Ansible reads */
	if ((error = vault_open_text(&text, path, d)) < 0) {
		error = 0; /* the diagnostics tell */
		goto out;
	}
	ld.secret = error == 1; /* as an encrypted vars file's values */
	/* a binary file is no inventory: refused, not read up to its NUL */
	if (memchr(text.ptr, '\0', text.len)) {
		struct srcpos pos = { ld.file, 1, 1 };

		diags_add(d, &pos, "not an inventory: the file holds binary "
			  "data (a NUL byte)");
		error = 0; /* the diagnostics tell */
		goto out;
	}
	if (!strcmp(ext, ".yml") || !strcmp(ext, ".yaml") ||
	    !strcmp(ext, ".json")) {
		if ((error = yaml_load_string(&doc, text.ptr, text.len, path,
					      d)) < 0) {
			if (error == TEND_EPARSE)
				error = 0; /* the diagnostics tell */
			goto out;
		}
		if (ld.secret)
			inv_mark_secret(doc);
		inv_yaml_parse(&ld, doc);
	} else if (!*ext && looks_like_yaml(&text, path, &doc)) {
		if (ld.secret)
			inv_mark_secret(doc);
		inv_yaml_parse(&ld, doc);
	} else {
		inv_ini_parse(&ld, text.ptr);
	}
	error = inv_check_interrupted();
out:
	x->source = NULL;
	val_unref(doc);
	buf_release_secret(&text);
	return error;
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
		if (inv_ends_with(name, exts[i]))
			return true;
	return false;
}

static int load_source(struct inv_ext *x, const char *path, struct diags *d)
{
	char **names = NULL;
	size_t nr = 0;
	struct buf sub = BUF_INIT;
	int error = 0;

	if (!inv_is_dir(path))
		return load_file(x, path, d);
	if ((error = inv_list_dir(&names, &nr, path)) < 0)
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
	inv_free_names(names, nr);
	return error;
}

/* Reconcile ------------------------------------------------------------- */

/*
 * What Ansible's reconcile_inventory does once every source is read:
 * groups without a parent go under all, and ungrouped holds exactly the
 * hosts in no other group. Then group depths for var precedence.
 */
void inv_reconcile(struct inv_ext *x)
{
	struct inventory *inv = &x->inv;
	struct group *ung = inv->groups[G_UNGROUPED];
	size_t *queue, qh = 0, qt = 0, *pending_parents;
	size_t keep = 0;

	for (size_t i = 1; i < inv->groups_nr; i++)
		if (!inv->groups[i]->parents_nr)
			inv_group_add_child(x, G_ALL, i);

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
			inv_group_add_host(x, G_UNGROUPED, i);
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

		if (inv_has_index(h->groups, h->groups_nr, G_UNGROUPED))
			ung->hosts[keep++] = ung->hosts[i];
	}
	ung->hosts_nr = keep;

	/* depth: longest path from all, in topological order */
	queue = xmalloc((inv->groups_nr + 1) * sizeof(*queue));
	pending_parents = xcalloc(inv->groups_nr, sizeof(*pending_parents));
	for (size_t i = 0; i < inv->groups_nr; i++) {
		pending_parents[i] = inv->groups[i]->parents_nr;
		inv_gext(inv, i)->depth = 0;
	}
	queue[qt++] = G_ALL;
	while (qh < qt) {
		size_t gi = queue[qh++];
		struct group *g = inv->groups[gi];

		for (size_t j = 0; j < g->children_nr; j++) {
			size_t c = g->children[j];

			if (inv_gext(inv, c)->depth < inv_gext(inv, gi)->depth + 1)
				inv_gext(inv, c)->depth = inv_gext(inv, gi)->depth + 1;
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

	inv_group_add(x, "all");
	inv_group_add(x, "ungrouped");
	inv_group_add_child(x, G_ALL, G_UNGROUPED);
	return x;
}

/* Ansible's implicit localhost, unless the inventory has a localhost. */
static void add_implicit_localhost(struct inv_ext *x)
{
	struct val *c;

	for (size_t i = 0; inv_localhost_names[i]; i++)
		if (inv_index_get(&x->host_names, inv_localhost_names[i]) != NO_INDEX)
			return;
	x->implicit = inv_host_new("localhost");
	x->implicit->h.implicit = true;
	c = val_str("local");
	val_dict_set(x->implicit->layer[LAYER_INLINE], "ansible_connection", c);
}

static void load_host_list(struct inv_ext *x, const char *list)
{
	char *copy = xstrdup(list), *p = copy;

	x->source = srcfile_intern(list);
	x->source_is_list = true;

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
		if (inv_parse_address(h.ptr, &off, &len, &port) &&
		    !memchr(h.ptr + off, '[', len)) {
			buf_setlen(&h, off + len);
		} else {
			port = -1;
			off = 0;
		}
		if (inv_index_get(&x->host_names, h.ptr + off) != NO_INDEX) {
			buf_release(&h);
			continue;
		}
		hi = inv_host_add(x, h.ptr + off);
		inv_group_add_host(x, G_UNGROUPED, hi);
		own = inv_hext(x->inv.hosts[hi])->layer[LAYER_INLINE];
		if (port >= 0)
			val_dict_set_int(own, "ansible_port", port);
		buf_release(&h);
	}
	free(copy);
	x->source = NULL;
	x->source_is_list = false;
}

/*
 * One -i source into x: a host list, or a file or directory (its
 * directory for group_vars/ and host_vars/ into *vars_dir, else NULL).
 */
static int load_one(struct inv_ext *x, const struct inventory_source *src,
		    struct buf *vars_dir, struct diags *d)
{
	const char *path = src->path, *slash;
	struct stat st;
	int error;

	x->root = src->root;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT || !strchr(path, ','))
			return tend_error_set_code(errno == ENOENT ?
				TEND_ENOTFOUND : TEND_ERROR, "cannot read "
				"inventory '%s': %s", path, strerror(errno));
		load_host_list(x, path);
		return 0;
	}
	if ((error = load_source(x, path, d)) < 0)
		return error;
	inv_add_deferred_hosts(x, d);
	if (S_ISDIR(st.st_mode)) {
		buf_sets(vars_dir, path);
	} else if ((slash = strrchr(path, '/'))) {
		buf_add(vars_dir, path, (size_t)(slash - path));
		if (!vars_dir->len)
			buf_sets(vars_dir, "/");
	} else {
		buf_sets(vars_dir, ".");
	}
	return 0;
}

int inventory_load_sources(struct inventory **out,
			   const struct inventory_source *srcs, size_t nr,
			   struct diags *d)
{
	struct inv_ext *x = inv_new();
	size_t errors_before = d->errors;
	struct buf *dirs = xcalloc(nr + 1, sizeof(*dirs));
	int error = 0;

	*out = NULL;
	if (!nr) {
		size_t hi = inv_host_add(x, "localhost");

		inv_group_add_host(x, G_UNGROUPED, hi);
		val_dict_set_str(inv_hext(x->inv.hosts[hi])->layer[LAYER_INLINE],
				 "ansible_connection", "local");
	}
	for (size_t i = 0; i < nr; i++)
		buf_init(&dirs[i], 0);
	for (size_t i = 0; i < nr && !error; i++)
		error = load_one(x, &srcs[i], &dirs[i], d);
	if (error < 0 || (error = inv_check_interrupted()) < 0)
		goto out;
	inv_reconcile(x);
	add_implicit_localhost(x);
	inv_refresh_vars(x);
	if ((error = inv_check_interrupted()) < 0)
		goto out;
	/* each source's group_vars/ and host_vars/, a later one over */
	for (size_t i = 0; i < nr && !error; i++)
		if (dirs[i].len)
			error = inv_load_vars_dirs(x, dirs[i].ptr, srcs[i].root,
						   LAYER_INV_FILES, d);
	if (!error && d->errors > errors_before)
		error = TEND_EPARSE;
out:
	for (size_t i = 0; i < nr; i++)
		buf_release(&dirs[i]);
	free(dirs);
	x->root = NULL; /* borrowed for the load only */
	if (error < 0) {
		inventory_free(&x->inv);
		return error;
	}
	*out = &x->inv;
	return 0;
}

int inventory_load(struct inventory **out, const char *path,
		   const char *root, struct diags *d)
{
	struct inventory_source src = { path, root };

	return inventory_load_sources(out, &src, path ? 1 : 0, d);
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
	x = inv_ext_of(inv);
	for (size_t i = 0; i < inv->hosts_nr; i++)
		host_ext_free(inv_hext(inv->hosts[i]));
	host_ext_free(x->implicit);
	for (size_t i = 0; i < inv->groups_nr; i++) {
		struct group_ext *ge = inv_gext(inv, i);

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
	inv_deferred_release(x);
	free(x);
}
