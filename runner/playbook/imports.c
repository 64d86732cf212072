#include "tend/common.h"
#include "tend/playbook/playbook_int.h"

/*
 * What an import passes down once its tasks are loaded: conditions and
 * tags that Ansible gives each task of an imported play, of a handler
 * import, of an import_tasks file. A static import or role is walked
 * into (its tasks are in place of it); a dynamic include is not, as
 * Ansible does not pass a parent's tags or keywords through one.
 */

bool imports_is_static(const struct task *t)
{
	if (t->kind == TASK_ROLE)
		return t->include_static;
	return t->kind == TASK_INCLUDE && t->include_static &&
	       (!strcmp(t->action, "import_tasks") ||
		(!strcmp(t->action, "include") && !t->loop));
}

void imports_push_when(struct tasklist *l, const struct val *when)
{
	if (!val_len(when))
		return;
	for (size_t i = 0; i < l->nr; i++) {
		struct task *t = l->items[i];
		struct val *nv;

		/* roles: and import_role took their when at load: per task */
		if (t->kind == TASK_ROLE && t->include_static) {
			imports_push_when(&t->included, when);
			continue;
		}
		nv = val_list_concat(when, t->when);
		val_unref(t->when);
		t->when = nv;
	}
}

void imports_push_tags(struct tasklist *l, const struct val *tags)
{
	if (!val_len(tags))
		return;
	for (size_t i = 0; i < l->nr; i++) {
		struct task *t = l->items[i];
		struct val *nv = val_list_concat(t->tags, tags);

		val_unref(t->tags);
		t->tags = nv;
		if ((t->kind == TASK_INCLUDE || t->kind == TASK_ROLE) &&
		    !imports_is_static(t)) {
			/* around an include: its tasks take them at run time */
			nv = val_list_concat(t->up_tags, tags);
			val_unref(t->up_tags);
			t->up_tags = nv;
		} else if (t->kind == TASK_BLOCK) {
			imports_push_tags(&t->block, tags);
			imports_push_tags(&t->rescue, tags);
			imports_push_tags(&t->always, tags);
		} else if (imports_is_static(t)) {
			imports_push_tags(&t->included, tags);
		}
	}
}

void imports_push_vars(struct tasklist *l, const struct val *vars)
{
	if (!vars || !val_len(vars))
		return;
	for (size_t i = 0; i < l->nr; i++) {
		struct task *t = l->items[i];
		struct val *nv = val_copy(vars);

		/* the task's own vars win */
		if (t->vars)
			val_dict_update(nv, t->vars, false);
		val_unref(t->vars);
		t->vars = nv;
	}
}
