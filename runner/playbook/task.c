#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/modkit/module.h"
#include "tend/lang/template.h"
#include "tend/data/yaml.h"
#include "tend/playbook/playbook_int.h"

#include <errno.h>
#include <libgen.h>
#include <unistd.h>

/*
 * One task: find the key that says what it does (action.c), then run
 * each other key through its row of task_keywords[] (keywords.c), then
 * the checks that need the whole task. Lists of tasks, and the files
 * include_tasks names, load through here too.
 */

void tasklist_add(struct tasklist *l, struct task *t)
{
	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = t;
}

void task_free(struct task *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->action);
	val_unref(t->args);
	val_unref(t->when);
	val_unref(t->loop);
	free(t->loop_var);
	free(t->index_var);
	val_unref(t->loop_label);
	free(t->loop_with);
	val_unref(t->loop_pause);
	val_unref(t->loop_extended);
	val_unref(t->loop_allitems);
	free(t->register_as);
	val_unref(t->notify);
	val_unref(t->tags);
	val_unref(t->changed_when);
	val_unref(t->failed_when);
	val_unref(t->ignore_errors);
	val_unref(t->ignore_unreachable);
	val_unref(t->check_mode);
	val_unref(t->any_errors_fatal);
	val_unref(t->timeout);
	val_unref(t->async_val);
	val_unref(t->poll);
	val_unref(t->module_defaults);
	val_unref(t->no_log);
	val_unref(t->vars);
	free(t->become_user);
	free(t->become_method);
	val_unref(t->listen);
	val_unref(t->environment);
	val_unref(t->until);
	val_unref(t->retries);
	val_unref(t->delay);
	val_unref(t->delegate_to);
	val_unref(t->throttle);
	val_unref(t->connection);
	val_unref(t->become_tpl);
	task_free(t->apply);
	val_unref(t->up_tags);
	free(t->meta);
	tasklist_release(&t->block);
	tasklist_release(&t->rescue);
	tasklist_release(&t->always);
	tasklist_release(&t->included);
	free(t);
}

void tasklist_release(struct tasklist *l)
{
	for (size_t i = 0; i < l->nr; i++)
		task_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

/*
 * The key of task `v` that names its action, in *key and *val; every
 * key that is neither a keyword nor an action is reported, and so is a
 * second action. Returns 0, or TEND_EPARSE if there is no action.
 */
static int find_action(struct loadctx *lc, const struct val *v,
		       const char **key, const struct val **val)
{
	size_t errors = lc->d->errors;

	*key = NULL;
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;
		const struct keyword *row =
			playbook_keyword_find(task_keywords, k);

		if (row && !(row->flags & KW_ACTION))
			continue;
		if (playbook_is_with_lookup(k))
			continue; /* with_NAME: keywords.c */
		if (!playbook_action_is(k)) {
			playbook_unknown_key(lc, v, k, "task keyword or module",
					     task_keywords, true);
			continue;
		}
		if (*key) {
			diags_add(lc->d, playbook_key_pos(v, k),
				  "conflicting actions in one task: '%s' and '%s'",
				  *key, k);
			continue;
		}
		*key = k;
		*val = v->u.dict.items[i].v;
	}
	if (*key)
		return 0;
	if (errors == lc->d->errors)
		diags_add(lc->d, &v->pos, "no module or action in this task");
	return TEND_EPARSE;
}

/* Nothing at `path` (beneath `root`, if set); not a path leading out. */
static bool missing(const char *path, const char *root)
{
	if (!root)
		return access(path, F_OK) != 0 && errno == ENOENT;
	return fs_exists_beneath(root, path) == 0;
}

/*
 * An include whose file name has no template is loaded now, before the
 * task's keywords are checked, so the file's problems are listed first.
 */
static int load_static_include(struct loadctx *lc, struct task *t,
			       bool handler)
{
	const struct val *f;
	char *path;
	int error = 0;

	if (t->kind != TASK_INCLUDE)
		return 0;
	f = val_dict_get(t->args, "file");
	if (template_has_jinja(val_cstr(f)))
		return 0;
	path = playbook_resolve_path(val_cstr(f), &f->pos, lc->basedir,
				     lc->root);
	/*
	 * include_tasks is dynamic: Ansible looks for its file only when it
	 * runs (a missing one, under a false when, is no error): so here
	 */
	if (!strcmp(t->action, "include_tasks") && missing(path, lc->root)) {
		free(path);
		return 0;
	}
	t->include_static = true;
	if (val_cstr(f)[0] != '/' && f->pos.file && missing(path, lc->root)) {
		/* both places Ansible looks, when they are two */
		char *copy = xstrdup(f->pos.file);
		const char *dir = dirname(copy);
		struct buf beside = BUF_INIT;

		buf_addf(&beside, "%s/%s", dir, val_cstr(f));
		if (strcmp(beside.ptr, path)) {
			diags_add(lc->d, &f->pos, "cannot find tasks file '%s' "
				  "in %s nor in the playbook's directory (%s)",
				  val_cstr(f), dir, path);
			error = TEND_EPARSE;
		}
		buf_release(&beside);
		free(copy);
		if (error) {
			free(path);
			return error;
		}
	}
	/* an include_tasks handler runs plain tasks; an import brings handlers */
	error = task_load_file(lc, &t->included, path, &f->pos,
			       handler && strcmp(t->action, "include_tasks"));
	free(path);
	return error;
}


/*
 * A static import among handlers (import_tasks, or the old include of a
 * literal file without a loop): Ansible makes each imported task a
 * handler of its own, notified by its own name.
 */
static bool handler_import(const struct task *t)
{
	return t->kind == TASK_INCLUDE && t->include_static && !t->loop &&
	       (!strcmp(t->action, "import_tasks") ||
		!strcmp(t->action, "include"));
}

/*
 * Put the handlers a handler import `t` (from `v`) brings in `out`, in
 * its place, each with the import's when in front of its own, its tags
 * and its vars (under the handler's own), as Ansible's parent block
 * gives them. Other keys beside the file would have to reach each
 * imported handler too: refused until they do.
 */
static void splice_handler_import(struct loadctx *lc, struct tasklist *out,
				  struct task *t, const struct val *v)
{
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;

		if (strcmp(k, "name") && strcmp(k, "import_tasks") &&
		    strcmp(k, "ansible.builtin.import_tasks") &&
		    strcmp(k, "include") &&
		    strcmp(k, "ansible.builtin.include") &&
		    strcmp(k, "when") && strcmp(k, "tags") &&
		    strcmp(k, "vars"))
			diags_add(lc->d, &v->u.dict.items[i].pos, "'%s' on an "
				  "import among handlers is not supported yet",
				  k);
	}
	imports_push_when(&t->included, t->when);
	imports_push_vars(&t->included, t->vars);
	for (size_t i = 0; i < t->included.nr; i++)
		tasklist_add(out, t->included.items[i]);
	t->included.nr = 0;
	task_free(t);
}

/* A keyword's int as written, when it is no template: true and *out. */
static bool literal_int(const struct val *v, long long *out)
{
	const char *s = val_cstr(v);
	char *end;

	if (val_is(v, VAL_INT)) {
		*out = v->u.i;
		return true;
	}
	if (!s || !*s || template_has_jinja(s))
		return false;
	*out = strtoll(s, &end, 10);
	return !*end;
}

/*
 * async and poll: on a module task only; on a module whose Ansible
 * action refuses async, refused with Ansible's reason; poll: 0 only on
 * a module that can start a background job. Templated values are
 * checked when they are rendered (engine/async.c).
 */
static void check_async(struct loadctx *lc, const struct task *t,
			const struct val *v)
{
	const struct val *kv = t->async_val ? t->async_val : t->poll;
	const struct srcpos *at = val_dict_key_pos(v, "async");
	const struct srcpos *pp = val_dict_key_pos(v, "poll");
	long long n = 0, poll = 1;

	if (!kv)
		return;
	if (t->kind != TASK_MODULE) {
		diags_add(lc->d, t->async_val ? at : pp, "'%s' belongs to a "
			  "module task, not to a '%s'", t->async_val ? "async" :
			  "poll", t->action);
		return;
	}
	if (!t->async_val || !literal_int(t->async_val, &n) || n <= 0)
		return;
	if (t->module->flags & MOD_NO_ASYNC)
		diags_add(lc->d, at, "async is not supported "
			  "for this task ('%s': Ansible's action for it does "
			  "not support async)", t->module->name);
	else if (t->module->flags & MOD_CONTROLLER)
		diags_add(lc->d, at, "async is not supported yet for '%s' "
			  "(tend runs it from the controller, not as a job "
			  "on the host)", t->module->name);
	else if (t->poll && literal_int(t->poll, &poll) && poll <= 0 &&
		 !(t->module->flags & MOD_ASYNC_BG))
		diags_add(lc->d, pp, "'poll: 0' (fire and forget) "
			  "is not supported for '%s' yet: only command and "
			  "shell start background jobs", t->module->name);
}

/*
 * What needs the whole task: inherited tags, a block's lists, the
 * module's args against its spec, a handler's name.
 */
static void check_task(struct loadctx *lc, struct task *t,
		       const struct val *v, const struct val *inherited_tags,
		       bool handler)
{
	const struct val *outer_defaults = lc->mdefaults;
	struct val *mdefaults = NULL;

	/* tags inherit down from plays and blocks */
	if (inherited_tags && val_len(inherited_tags)) {
		if (!t->tags)
			t->tags = val_list();
		for (size_t i = 0; i < inherited_tags->u.list.nr; i++)
			val_list_push(t->tags,
				      val_ref(inherited_tags->u.list.items[i]));
	}
	if (t->module_defaults) {
		mdefaults = playbook_defaults_merge(lc->mdefaults,
						    t->module_defaults);
		lc->mdefaults = mdefaults;
	}
	/* an include's tasks take the tags around it, not its own */
	if ((t->kind == TASK_INCLUDE || t->kind == TASK_ROLE) &&
	    !imports_is_static(t) && val_len(inherited_tags))
		t->up_tags = val_copy(inherited_tags);
	/* an import's tasks stand in its place: they take its tags */
	if (t->kind == TASK_INCLUDE && imports_is_static(t))
		imports_push_tags(&t->included, t->tags);
	if (t->kind == TASK_BLOCK) {
		const struct val *r = val_dict_get(v, "rescue");
		const struct val *a = val_dict_get(v, "always");

		lc->nested++;
		task_load_list(lc, &t->block, val_dict_get(v, "block"),
			       "block", t->tags, handler);
		if (r)
			task_load_list(lc, &t->rescue, r, "rescue", t->tags,
				       handler);
		if (a)
			task_load_list(lc, &t->always, a, "always", t->tags,
				       handler);
		lc->nested--;
		if (t->loop)
			diags_add(lc->d, &t->pos,
				  "a block cannot loop (loop over include_tasks)");
	}
	if (t->kind == TASK_MODULE && (t->args || lc->mdefaults)) {
		/* the args as module_defaults complete them (literal ones) */
		struct val *norm = NULL;
		struct val *args = playbook_args_with_defaults(lc->mdefaults,
							       t->module,
							       t->args);

		if (args && args_normalize(&norm, t->module, args, &t->pos,
					   lc->d, false) == 0) {
			const char *arg = NULL;

			args_check_files(t->module, norm, lc->basedir,
					 lc->role ? lc->role->dirs : NULL,
					 lc->root, lc->d);
			if (t->module->validate &&
			    t->module->validate(norm, &arg) < 0) {
				const struct val *av = arg ?
					val_dict_get(t->args, arg) : NULL;

				diags_add(lc->d, av ? &av->pos : &t->pos, "%s",
					  tend_error_last());
				tend_error_clear();
			}
			val_unref(norm);
		}
		val_unref(args);
	}
	lc->mdefaults = outer_defaults;
	val_unref(mdefaults);
	if (t->kind != TASK_MODULE && (t->until || t->retries || t->delay))
		diags_add(lc->d, &t->pos, "'until', 'retries' and 'delay' "
			  "belong to a module task, not to a '%s'", t->action);
	check_async(lc, t, v);
	if (handler && !t->name && !t->listen && !handler_import(t))
		diags_add(lc->d, &t->pos, "a handler needs a name or 'listen'");
}

/*
 * The keys apply may hold (Ansible loads it as a Block): those tend
 * honours there, and those it refuses by name. Any other is no Block
 * keyword.
 */
static const char *const apply_keys[] = {
	"name", "when", "tags", "vars", "become", "become_user",
	"become_method", "environment", "ignore_errors", "no_log",
	"delegate_to", "connection", "diff", "debugger", "collections", NULL,
};
static const char *const apply_refused[] = {
	"block", "rescue", "always", "notify", "run_once", "throttle",
	"any_errors_fatal", "check_mode", "ignore_unreachable",
	"module_defaults", "port", "remote_user", "timeout", "become_exe",
	"become_flags", "delegate_facts", NULL,
};

static bool in_list(const char *const *l, const char *s)
{
	for (size_t i = 0; l[i]; i++)
		if (!strcmp(l[i], s))
			return true;
	return false;
}

struct task *task_load_apply(struct loadctx *lc, const struct val *v,
			     const char *action)
{
	struct val *keep;
	struct task *t;
	struct kwarg a = { .lc = lc };

	if (v->type != VAL_DICT) {
		diags_add(lc->d, &v->pos, "expected a dict for 'apply' of %s, "
			  "got a %s", action, val_type_name(v->type));
		return NULL;
	}
	keep = val_dict();
	for (size_t i = 0; i < v->u.dict.nr; i++) {
		const char *k = v->u.dict.items[i].key;
		const struct srcpos *pos = &v->u.dict.items[i].pos;

		if (in_list(apply_refused, k))
			diags_add(lc->d, pos, "'apply' keyword '%s' of %s is "
				  "not supported yet", k, action);
		else if (!in_list(apply_keys, k))
			diags_add(lc->d, pos, "'%s' is not a keyword 'apply' "
				  "of %s takes (a block's keywords)", k,
				  action);
		else
			val_dict_set_pos(keep, k, val_ref(v->u.dict.items[i].v),
					 pos);
	}
	t = xcalloc(1, sizeof(*t));
	t->kind = TASK_BLOCK;
	t->pos = v->pos;
	t->become = -1;
	t->role = lc->role;
	t->action = xstrdup("block");
	t->loop_var = xstrdup("item");
	a.dict = keep;
	a.t = t;
	playbook_keywords_apply(task_keywords, &a, "apply", NULL);
	val_unref(keep);
	return t;
}

/* The task of `v`, or NULL if a problem was reported. */
static struct task *load_task(struct loadctx *lc, const struct val *v,
			      const struct val *inherited_tags, bool handler)
{
	struct task *t;
	struct kwarg a = { .lc = lc, .dict = v, .handler = handler };
	const char *action_key;
	const struct val *action_v;
	size_t errors = lc->d->errors;

	if (v->type != VAL_DICT) {
		diags_add(lc->d, &v->pos, "expected a task (a dict), got a %s",
			  val_type_name(v->type));
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->pos = v->pos;
	t->become = -1;
	t->role = lc->role;
	if (find_action(lc, v, &action_key, &action_v) < 0 ||
	    playbook_action_load(lc, t, action_key, action_v) < 0 ||
	    load_static_include(lc, t, handler) < 0)
		goto fail;
	/* unknown keys were reported by find_action */
	a.t = t;
	playbook_keywords_apply(task_keywords, &a, "task", NULL);
	playbook_with_lookups(&a);
	if (val_dict_get(t->args, "apply") &&
	    (t->kind == TASK_INCLUDE || t->kind == TASK_ROLE))
		t->apply = task_load_apply(lc, val_dict_get(t->args, "apply"),
					   t->action);
	check_task(lc, t, v, inherited_tags, handler);
	if (t->kind == TASK_ROLE && lc->d->errors == errors) {
		if (lc->load_role)
			lc->load_role(lc, t);
		else
			diags_add(lc->d, &t->pos, "%s in a file that "
				  "include_tasks loads at run time is not "
				  "supported yet", t->action);
	}
	playbook_check_templates(lc, v, action_key);
	if (lc->d->errors != errors)
		goto fail;
	if (!t->loop_var)
		t->loop_var = xstrdup("item");
	return t;
fail:
	task_free(t);
	return NULL;
}

int task_load_list(struct loadctx *lc, struct tasklist *out,
		   const struct val *v, const char *what,
		   const struct val *inherited_tags, bool handlers)
{
	size_t errors = lc->d->errors;

	if (!v || v->type == VAL_NULL)
		return 0;
	if (v->type != VAL_LIST) {
		diags_add(lc->d, &v->pos, "expected a list of tasks for '%s', "
			  "got a %s", what, val_type_name(v->type));
		return TEND_EPARSE;
	}
	for (size_t i = 0; i < v->u.list.nr; i++) {
		struct task *t = load_task(lc, v->u.list.items[i],
					   inherited_tags, handlers);

		if (t && handlers && handler_import(t))
			splice_handler_import(lc, out, t, v->u.list.items[i]);
		else if (t)
			tasklist_add(out, t);
	}
	return lc->d->errors == errors ? 0 : TEND_EPARSE;
}

int task_load_file(struct loadctx *lc, struct tasklist *out,
		   const char *path, const struct srcpos *from, bool handlers)
{
	struct val *doc = NULL;
	int error;

	if (lc->depth >= MAX_INCLUDE_DEPTH) {
		diags_add(lc->d, from, "include_tasks nested more than %d deep "
			  "(an include loop?)", MAX_INCLUDE_DEPTH);
		return TEND_EPARSE;
	}
	error = yaml_load_input(&doc, lc->root, path, lc->d);
	if (error == TEND_ENOTFOUND) {
		diags_add(lc->d, from, "cannot find tasks file '%s'", path);
		tend_error_clear();
		return TEND_EPARSE;
	}
	if (error == TEND_EREFUSED) {
		diags_add(lc->d, from, "tasks file: %s", tend_error_last());
		tend_error_clear();
		return TEND_EPARSE;
	}
	if (error < 0)
		return error;
	lc->depth++;
	lc->nested++;
	error = task_load_list(lc, out, doc, path, NULL, handlers);
	lc->nested--;
	lc->depth--;
	val_unref(doc);
	return error;
}

void task_display_name(struct buf *out, const struct task *t)
{
	if (t->kind == TASK_ROLE) {
		/* as Ansible's IncludeRole.get_name: no role prefix */
		if (t->name)
			buf_adds(out, t->name);
		else if (t->runs)
			buf_addf(out, "%s : %s", t->action, t->runs->name);
		else
			buf_addf(out, "%s : %s", t->action,
				 val_cstr(val_dict_get(t->args, "name")) ?
				 val_cstr(val_dict_get(t->args, "name")) :
				 val_cstr(val_dict_get(t->args, "role")));
		return;
	}
	if (t->role)
		buf_addf(out, "%s : ", t->role->name);
	if (t->name) {
		buf_adds(out, t->name);
		return;
	}
	buf_adds(out, t->action);
	if (t->kind == TASK_INCLUDE || t->kind == TASK_META) {
		const char *f = t->meta ? t->meta :
				val_cstr(val_dict_get(t->args, "file"));

		if (f)
			buf_addf(out, ": %s", f);
	}
}

static bool tags_intersect(const struct val *tags, const struct val *want)
{
	for (size_t i = 0; i < val_len(want); i++)
		for (size_t j = 0; j < val_len(tags); j++)
			if (val_equal(want->u.list.items[i],
				      tags->u.list.items[j]))
				return true;
	return false;
}

static bool has_tag(const struct val *tags, const char *tag)
{
	for (size_t j = 0; j < val_len(tags); j++)
		if (!strcmp(val_cstr(tags->u.list.items[j]) ?
			    val_cstr(tags->u.list.items[j]) : "", tag))
			return true;
	return false;
}

bool task_matches_tags(const struct task *t, const struct val *only,
		       const struct val *skip)
{
	if (skip && val_len(skip) && tags_intersect(t->tags, skip))
		return false;
	if (has_tag(t->tags, "never") &&
	    !(only && val_len(only) && tags_intersect(t->tags, only)))
		return false;
	if (!only || !val_len(only) || has_tag(only, "all"))
		return true;
	if (has_tag(t->tags, "always"))
		return true;
	if (has_tag(only, "tagged") && val_len(t->tags))
		return true;
	if (has_tag(only, "untagged") && !val_len(t->tags))
		return true;
	return tags_intersect(t->tags, only);
}
