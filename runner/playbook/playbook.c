#include "tend/common.h"
#include "tend/lang/template.h"
#include "tend/data/yaml.h"
#include "tend/modkit/module.h"
#include "tend/playbook/playbook_int.h"

#include <fnmatch.h>

#include <libgen.h>

/*
 * The way in: a playbook file is a list of plays (play.c), some of which
 * import another playbook's plays.
 */

static int load_plays(struct loadctx *lc, struct playbook *pb,
		      const char *path, const struct srcpos *from);

static void add_play(struct playbook *pb, struct play *p)
{
	ALLOC_GROW(pb->plays, pb->nr + 1, pb->alloc);
	pb->plays[pb->nr++] = p;
}

/*
 * What stands beside import_playbook: its name, and the vars, when and
 * tags Ansible passes to each imported play. Into *vars, *when and
 * *tags (new values, or NULL); anything else is reported.
 */
static void import_siblings(struct loadctx *lc, const struct val *pv,
			    struct val **vars, struct val **when,
			    struct val **tags)
{
	*vars = *when = *tags = NULL;
	for (size_t i = 0; i < pv->u.dict.nr; i++) {
		const char *k = pv->u.dict.items[i].key;
		const struct val *v = pv->u.dict.items[i].v;
		const struct srcpos *pos = &pv->u.dict.items[i].pos;

		if (!strcmp(k, "import_playbook") ||
		    !strcmp(k, "ansible.builtin.import_playbook") ||
		    !strcmp(k, "name"))
			continue;
		if (!strcmp(k, "vars") && v->type != VAL_DICT)
			diags_add(lc->d, &v->pos, "vars for import_playbook "
				  "must be a dict, got a %s",
				  val_type_name(v->type));
		else if (!strcmp(k, "vars"))
			*vars = val_copy(v);
		else if (!strcmp(k, "when"))
			*when = playbook_condition_list(lc, v, "when");
		else if (!strcmp(k, "tags"))
			*tags = playbook_string_list(lc, v, "tags", true);
		else
			diags_add(lc->d, pos, "unknown key '%s' beside "
				  "import_playbook (it takes name, vars, when "
				  "and tags)", k);
	}
}

/*
 * import_playbook: FILE, its plays in place of this one, each given the
 * import's vars, when and tags (play.c play_imported) on top of what
 * the imports around this one give.
 */
static void import_playbook(struct loadctx *lc, struct playbook *pb,
			    const struct val *imp, const struct val *pv)
{
	struct val *save_vars = lc->imp_vars, *save_when = lc->imp_when;
	struct val *save_tags = lc->imp_tags;
	bool save_imported = lc->imported;
	const char *save_pbdir = lc->pbdir;
	struct val *vars, *when, *tags;
	char *sub, *copy;

	import_siblings(lc, pv, &vars, &when, &tags);
	if (!val_cstr(imp) || template_has_jinja(val_cstr(imp))) {
		diags_add(lc->d, &imp->pos,
			  "expected a file name for 'import_playbook'");
		goto out;
	}
	/* an outer import's vars win over this one's, as in Ansible */
	if (vars && save_vars)
		val_dict_update(vars, save_vars, false);
	else if (!vars && save_vars)
		vars = val_ref(save_vars);
	lc->imp_vars = vars;
	lc->imp_when = val_list_concat(save_when, when);
	lc->imp_tags = val_list_concat(save_tags, tags);
	lc->imported = true;
	sub = playbook_resolve_path(val_cstr(imp), &imp->pos, lc->basedir,
				    lc->root);
	copy = xstrdup(sub);
	lc->pbdir = dirname(copy);
	load_plays(lc, pb, sub, &imp->pos);
	lc->pbdir = save_pbdir;
	free(copy);
	free(sub);
	val_unref(lc->imp_when);
	val_unref(lc->imp_tags);
	lc->imp_vars = save_vars;
	lc->imp_when = save_when;
	lc->imp_tags = save_tags;
	lc->imported = save_imported;
out:
	val_unref(vars);
	val_unref(when);
	val_unref(tags);
}

static int load_doc(struct loadctx *lc, struct playbook *pb,
		    const struct val *doc, const char *path)
{
	struct srcpos top = { srcfile_intern(path), 1, 1 };

	if (doc->type == VAL_NULL) {
		diags_add(lc->d, &top, "the playbook is empty");
		return TEND_EPARSE;
	}
	if (doc->type != VAL_LIST) {
		diags_add(lc->d, &doc->pos, "expected a list of plays, got a %s",
			  val_type_name(doc->type));
		return TEND_EPARSE;
	}
	for (size_t i = 0; i < doc->u.list.nr; i++) {
		const struct val *pv = doc->u.list.items[i];
		const struct val *imp;
		struct play *p;

		if (pv->type != VAL_DICT) {
			diags_add(lc->d, &pv->pos,
				  "expected a play (a dict), got a %s",
				  val_type_name(pv->type));
			continue;
		}
		imp = val_dict_get(pv, "import_playbook");
		if (!imp)
			imp = val_dict_get(pv, "ansible.builtin.import_playbook");
		if (imp) {
			import_playbook(lc, pb, imp, pv);
			continue;
		}
		p = play_load(lc, pv);
		if (p)
			add_play(pb, p);
	}
	return 0;
}

static int load_plays(struct loadctx *lc, struct playbook *pb,
		      const char *path, const struct srcpos *from)
{
	struct val *doc = NULL;
	int error;

	if (lc->depth >= MAX_INCLUDE_DEPTH) {
		diags_add(lc->d, from, "import_playbook nested too deep");
		return TEND_EPARSE;
	}
	error = yaml_load_input(&doc, lc->root, path, lc->d);
	if (error == TEND_ENOTFOUND && from) {
		diags_add(lc->d, from, "cannot find playbook '%s'", path);
		tend_error_clear();
		return TEND_EPARSE;
	}
	if (error == TEND_EREFUSED && from) {
		diags_add(lc->d, from, "import_playbook: %s", tend_error_last());
		tend_error_clear();
		return TEND_EPARSE;
	}
	if (error < 0)
		return error;
	lc->depth++;
	error = load_doc(lc, pb, doc, path);
	lc->depth--;
	val_unref(doc);
	return error;
}

int playbook_load(struct playbook **out, const char *path,
		  const struct fs_limits *limits, struct diags *d)
{
	struct playbook *pb = xcalloc(1, sizeof(*pb));
	struct loadctx lc = { .d = d };
	size_t errors = d->errors;
	char *copy = xstrdup(path);
	int error;

	*out = NULL;
	pb->path = xstrdup(path);
	pb->dir = xstrdup(dirname(copy));
	free(copy);
	lc.basedir = pb->dir;
	if (limits) {
		pb->limits.untrusted = limits->untrusted;
		if (limits->root)
			pb->limits.root = xstrdup(limits->root);
	}
	lc.root = pb->limits.root;
	error = load_plays(&lc, pb, path, NULL);
	if (error == TEND_ENOTFOUND || error == TEND_EREFUSED) {
		playbook_free(pb);
		return error;
	}
	if (error < 0 || d->errors != errors) {
		playbook_free(pb);
		return TEND_EPARSE;
	}
	*out = pb;
	return 0;
}

int playbook_load_tasks(struct tasklist *out, const char *path,
			const char *basedir, const char *root,
			const struct role *role, struct diags *d)
{
	struct loadctx lc = { .d = d, .basedir = basedir, .root = root,
			      .role = role };
	char *full = playbook_resolve_path(path, NULL, basedir, root);
	struct srcpos none = { 0 };
	int error = task_load_file(&lc, out, full, &none, false);

	/* a block's run_once passes down in a file loaded at run time too */
	if (!error) {
		size_t errors = d->errors;

		playbook_pass_run_once(&lc, out, false);
		if (d->errors != errors)
			error = TEND_EPARSE;
	}
	free(full);
	return error;
}

void playbook_free(struct playbook *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->nr; i++)
		play_free(pb->plays[i]);
	free(pb->plays);
	free(pb->path);
	free(pb->dir);
	free((char *)pb->limits.root); /* owned: see playbook.h */
	free(pb);
}

void playbook_set_become_defaults(struct playbook *pb, int become,
				  const char *user, const char *method)
{
	for (size_t i = 0; i < pb->nr; i++) {
		struct play *p = pb->plays[i];

		if (become >= 0 && p->become < 0 && !p->become_tpl)
			p->become = become;
		if (user && !p->become_user)
			p->become_user = xstrdup(user);
		if (method && !p->become_method)
			p->become_method = xstrdup(method);
	}
}

static size_t list_count_tasks(const struct tasklist *l, const char *task,
			       const char *module)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++) {
		const struct task *t = l->items[i];

		n += t->kind == TASK_MODULE && t->module &&
		     !strcmp(t->module->name, module) &&
		     !strcmp(t->name ? t->name : "", task);
		n += list_count_tasks(&t->block, task, module) +
		     list_count_tasks(&t->rescue, task, module) +
		     list_count_tasks(&t->always, task, module) +
		     list_count_tasks(&t->included, task, module);
	}
	return n;
}

size_t playbook_count_tasks(const struct playbook *pb, const char *play,
			    const char *task, const char *module)
{
	size_t n = 0;

	for (size_t i = 0; pb && i < pb->nr; i++) {
		const struct play *p = pb->plays[i];

		if (strcmp(p->name ? p->name : "", play))
			continue;
		n += list_count_tasks(&p->pre_tasks, task, module) +
		     list_count_tasks(&p->tasks, task, module) +
		     list_count_tasks(&p->post_tasks, task, module) +
		     list_count_tasks(&p->handlers, task, module);
	}
	return n;
}

/* --start-at-task: whether t is the task NAME names (Ansible's test). */
static bool start_matches(const struct task *t, const char *name)
{
	struct buf full = BUF_INIT;
	const char *own = t->name ? t->name : t->action;
	bool yes;

	if (t->role && t->name)
		buf_addf(&full, "%s : %s", t->role->name, t->name);
	else
		buf_adds(&full, own);
	yes = !strcmp(own, name) || !fnmatch(name, own, 0) ||
	      !strcmp(full.ptr, name) || !fnmatch(name, full.ptr, 0);
	buf_release(&full);
	return yes;
}

/*
 * Find NAME among the tasks of `l` (and what they hold statically);
 * path[*nr...] gets the way down to it. True when found.
 */
static bool start_find(const struct task ***path, size_t *nr,
		       const struct tasklist *l, const char *name)
{
	for (size_t i = 0; i < l->nr; i++) {
		const struct task *t = l->items[i];
		const struct tasklist *sub = NULL;
		bool found;

		*path = xrealloc(*path, (*nr + 1) * sizeof(**path));
		(*path)[(*nr)++] = t;
		if (t->kind == TASK_BLOCK)
			sub = &t->block;
		else if ((t->kind == TASK_INCLUDE || t->kind == TASK_ROLE) &&
			 t->include_static && strncmp(t->action, "include_", 8) &&
			 !strstr(t->action, ".include_"))
			sub = &t->included;
		if (sub)
			found = start_find(path, nr, sub, name);
		else
			found = t->kind != TASK_BLOCK && start_matches(t, name);
		if (found)
			return true;
		(*nr)--;
	}
	return false;
}

int playbook_start_at(struct playbook *const *pbs, size_t nr,
		      const char *name)
{
	const struct task **path = NULL;
	size_t path_nr = 0;

	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < pbs[i]->nr; j++) {
			struct play *p = pbs[i]->plays[j];

			if (start_find(&path, &path_nr, &p->pre_tasks, name) ||
			    start_find(&path, &path_nr, &p->tasks, name) ||
			    start_find(&path, &path_nr, &p->post_tasks, name)) {
				p->start_path = path;
				p->start_path_nr = path_nr;
				return 0;
			}
			p->start_skip_all = true;
		}
	}
	free(path);
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < pbs[i]->nr; j++)
			pbs[i]->plays[j]->start_skip_all = false;
	return tend_error_set_code(TEND_ENOTFOUND, "--start-at-task '%s': no "
		"task of the playbooks has that name (it can start only at a "
		"task loaded with them, not at one a dynamic include brings)",
		name);
}
