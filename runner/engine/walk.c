/*
 * Walking the tasks of one host: module tasks with their loops, blocks,
 * include_tasks, meta.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"
#include "tend/util/interrupt.h"

#include <libgen.h>
#include <pthread.h>
#include <unistd.h>

/* A module task on one host, with its loop. Returns true if the host
 * failed. */
void run_progress(struct hostctx *hc, const struct task *t)
{
	const struct run_opts *o = hc->pc->rs->opts;
	struct buf name = BUF_INIT;

	if (!o->hooks || !o->hooks->progress || o->quiet)
		return;
	if (t)
		task_display_name(&name, t);
	o->hooks->progress(hc->hs->name, t ? name.ptr : NULL,
			   o->hooks->payload);
	buf_release(&name);
}

/*
 * A loop over no items is one skipped task, as Ansible reports it (and
 * counts it in the recap).
 */
static void empty_loop(struct hostctx *hc, const struct task *t,
		       struct val *result)
{
	struct buf b = BUF_INIT;

	val_dict_set_str(result, "skipped_reason", "No items in the list");
	run_add_event(hc, t, EV_SKIPPED, NULL, NULL);
	val_to_json(&b, result, 0);
	run_last_event(hc)->result = buf_detach(&b, NULL);
}

static bool run_module_task(struct hostctx *hc, const struct task *t,
			    const struct varstack *vs)
{
	struct val *result;
	bool host_failed = false;

	run_progress(hc, t);
	if (!t->loop) {
		result = run_exec_once(hc, t, vs, NULL, NULL, &host_failed);
	} else {
		struct scopes *ss = xmalloc(sizeof(*ss));
		const struct scope *sc = run_build_scope(ss, hc, vs, t->vars, NULL,
						     NULL);
		struct val *items = run_loop_items(t, sc);
		struct val *results;
		bool any_changed = false, any_failed = false, all_skipped = true;
		size_t n;

		if (!items) {
			int error = tend_error_code();

			result = val_dict();
			if (run_plan_unknown(hc, error)) {
				run_add_event(hc, t, EV_UNKNOWN, NULL,
					  tend_error_last());
				val_dict_set_bool(result, "tend_unknown", true);
			} else {
				run_add_event(hc, t, EV_FAILED, NULL,
					  tend_error_last());
				val_dict_set_bool(result, "failed", true);
				host_failed = true;
			}
			free(ss);
			goto done;
		}
		n = items->u.list.nr;
		results = val_list();
		for (size_t i = 0; i < n && !hc->hs->unreachable; i++) {
			struct val *item = items->u.list.items[i];
			struct val *lv = run_make_loopvars(t, item, i, n);
			struct val *r;
			char *label;
			const struct scope *isc;

			isc = run_build_scope(ss, hc, vs, t->vars, lv, NULL);
			label = run_item_label(t, isc, item);
			r = run_exec_once(hc, t, vs, lv, label, &host_failed);
			free(label);
			val_dict_set(r, t->loop_var, val_ref(item));
			val_dict_set_str(r, "ansible_loop_var", t->loop_var);
			/* the next item sees this one's facts (set_fact) */
			run_apply_facts(hc, t, r);
			any_changed |= truth_python(val_dict_get(r, "changed"));
			any_failed |= truth_python(val_dict_get(r, "failed"));
			all_skipped &= truth_python(val_dict_get(r, "skipped"));
			val_list_push(results, r);
			val_unref(lv);
		}
		result = val_dict();
		val_dict_set_bool(result, "changed", any_changed);
		if (any_failed)
			val_dict_set_bool(result, "failed", true);
		/* Ansible's aggregate (TaskExecutor.run) */
		val_dict_set_bool(result, "skipped", all_skipped);
		if (!n)
			empty_loop(hc, t, result);
		else
			val_dict_set_str(result, "msg", any_failed ?
					 "One or more items failed" :
					 all_skipped ? "All items skipped" :
					 "All items completed");
		val_dict_set(result, "results", results);
		for (size_t i = 0; i < results->u.list.nr; i++)
			if (val_dict_get(results->u.list.items[i], "tend_unknown"))
				val_dict_set_bool(result, "tend_unknown", true);
		val_unref(items);
		free(ss);
	}
done:
	if (truth_python(val_dict_get(result, "changed")))
		run_notify(hc, t);
	run_register_result(hc, t, result);
	val_unref(result);
	return host_failed;
}

static bool walk_list(struct hostctx *hc, const struct tasklist *l,
		      struct varstack *vs);

static const struct tasklist *include_load(struct hostctx *hc,
					   const struct task *t,
					   const char *file)
{
	struct runstate *rs = hc->pc->rs;
	struct buf path = BUF_INIT;
	const struct tasklist *found = NULL;
	struct diags d = DIAGS_INIT;

	if (file[0] == '/') {
		buf_adds(&path, file);
	} else {
		char *copy = xstrdup(t->pos.file ? t->pos.file : rs->pb->path);

		buf_addf(&path, "%s/%s", dirname(copy), file);
		free(copy);
		if (access(path.ptr, F_OK)) {
			buf_reset(&path);
			buf_addf(&path, "%s/%s", rs->pb->dir, file);
		}
	}
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < rs->incs_nr; i++)
		if (!strcmp(rs->incs[i].path, path.ptr))
			found = &rs->incs[i].tasks;
	if (!found) {
		struct tasklist tl = { 0 };

		if (playbook_load_tasks(&tl, path.ptr, rs->pb->dir,
					rs->pb->limits.root, &d) < 0) {
			struct buf m = BUF_INIT;

			for (size_t i = 0; i < d.nr; i++)
				buf_addf(&m, "%s%s", i ? "\n" : "", d.items[i]);
			if (!d.nr)
				buf_adds(&m, tend_error_last());
			tend_error_set("cannot include '%s': %s", file, m.ptr);
			buf_release(&m);
			tasklist_release(&tl);
		} else {
			ALLOC_GROW(rs->incs, rs->incs_nr + 1, rs->incs_alloc);
			rs->incs[rs->incs_nr].path = xstrdup(path.ptr);
			rs->incs[rs->incs_nr].tasks = tl;
			found = &rs->incs[rs->incs_nr++].tasks;
		}
	}
	pthread_mutex_unlock(&rs->lock);
	diags_release(&d);
	buf_release(&path);
	return found;
}

/*
 * import_tasks: its tasks run in its place, each with the import's
 * `when` and `notify` added to its own (Ansible's static import), and
 * its vars.
 */
static bool run_import(struct hostctx *hc, const struct task *t,
		       struct varstack *vs)
{
	bool failed;

	if (hc->when_up_nr == ARRAY_SIZE(hc->when_up) ||
	    hc->notify_up_nr == ARRAY_SIZE(hc->notify_up) ||
	    vs->nr == ARRAY_SIZE(vs->items))
		BUG("imports nested too deep");
	hc->when_up[hc->when_up_nr++] = t->when;
	hc->notify_up[hc->notify_up_nr++] = t->notify;
	vs->items[vs->nr++] = t->vars;
	failed = walk_list(hc, &t->included, vs);
	vs->nr--;
	hc->notify_up_nr--;
	hc->when_up_nr--;
	return failed;
}

static bool run_include(struct hostctx *hc, const struct task *t,
			struct varstack *vs)
{
	struct scopes *ss = xmalloc(sizeof(*ss));
	const struct scope *sc;
	struct val *items = NULL;
	bool failed = false, cond;
	size_t n = 1;
	int error;

	/* (an import of a templated name is walked as an include) */
	if (t->include_static && !strcmp(t->action, "import_tasks")) {
		free(ss);
		return run_import(hc, t, vs);
	}
	sc = run_build_scope(ss, hc, vs, t->vars, NULL, NULL);
	if (t->loop) {
		if (!(items = run_loop_items(t, sc))) {
			run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			free(ss);
			return true;
		}
		n = items->u.list.nr;
	}
	for (size_t i = 0; i < n && !failed; i++) {
		struct val *lv = items ? run_make_loopvars(t, items->u.list.items[i],
						       i, n) : NULL;
		struct val *file = NULL, *frame = val_dict();
		const struct tasklist *tl = NULL;

		sc = run_build_scope(ss, hc, vs, t->vars, lv, NULL);
		if ((error = run_eval_when(&cond, hc, t->when, sc, NULL)) < 0) {
			run_add_event(hc, t, run_plan_unknown(hc, error) ? EV_UNKNOWN :
				  EV_FAILED, NULL, tend_error_last());
			failed = !run_plan_unknown(hc, error);
			goto next;
		}
		if (!cond) {
			run_add_event(hc, t, EV_SKIPPED, NULL, NULL);
			goto next;
		}
		if (t->include_static) {
			tl = &t->included;
		} else if ((error = template_render(&file,
				val_dict_get(t->args, "file"), sc)) < 0 ||
			   !val_cstr(file)) {
			run_add_event(hc, t, EV_FAILED, NULL, error < 0 ?
				  tend_error_last() : "include file is not a string");
			failed = true;
			goto next;
		} else if (!(tl = include_load(hc, t, val_cstr(file)))) {
			run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			failed = true;
			goto next;
		}
		/* the include's vars and loop var reach its tasks */
		if (t->vars)
			val_dict_update(frame, t->vars, false);
		if (lv)
			val_dict_update(frame, lv, false);
		if (vs->nr == ARRAY_SIZE(vs->items))
			BUG("includes nested too deep");
		vs->items[vs->nr++] = frame;
		failed = walk_list(hc, tl, vs);
		vs->nr--;
next:
		val_unref(frame);
		val_unref(file);
		val_unref(lv);
	}
	val_unref(items);
	free(ss);
	return failed;
}

/*
 * A rescue sees what failed: ansible_failed_task (its name and action)
 * and ansible_failed_result, host facts from then on, as in Ansible.
 */
static void set_failed_vars(struct hostctx *hc)
{
	struct hoststate *hs = hc->hs;
	struct val *task = val_dict();
	struct val *r;

	if (!hs->failed_task || !hs->failed_result) {
		val_unref(task);
		return;
	}
	val_dict_set_str(task, "name", hs->failed_task->name ?
			 hs->failed_task->name : "");
	val_dict_set_str(task, "action", hs->failed_task->action);
	val_dict_set(hs->hostfacts, "ansible_failed_task", task);
	/* host data, as the registered value is */
	r = val_unsafe(val_ref(hs->failed_result));
	val_dict_set(hs->hostfacts, "ansible_failed_result", r);
	hs->dirty = true;
}

static bool run_block(struct hostctx *hc, const struct task *t,
		      struct varstack *vs)
{
	bool failed;
	size_t first_ev;

	/* each task evaluates the block's `when` (and reports its skip) */
	if (hc->when_up_nr == ARRAY_SIZE(hc->when_up))
		BUG("blocks nested too deep");
	hc->when_up[hc->when_up_nr++] = t->when;
	if (t->vars) {
		if (vs->nr == ARRAY_SIZE(vs->items))
			BUG("blocks nested too deep");
		vs->items[vs->nr++] = t->vars;
	}
	first_ev = hc->hs->ev_nr;
	failed = walk_list(hc, &t->block, vs);
	if (failed && t->rescue.nr && !hc->hs->unreachable) {
		/* the failure is rescued: mark the block's failed events */
		for (size_t i = first_ev; i < hc->hs->ev_nr; i++)
			if (hc->hs->ev[i].status == EV_FAILED)
				hc->hs->ev[i].rescued = true;
		hc->hs->failed = false;
		set_failed_vars(hc);
		failed = walk_list(hc, &t->rescue, vs);
	}
	if (t->always.nr && !hc->hs->unreachable) {
		bool was = hc->hs->failed;

		hc->hs->failed = false;
		failed |= walk_list(hc, &t->always, vs);
		hc->hs->failed = was;
	}
	if (t->vars)
		vs->nr--;
	hc->when_up_nr--;
	return failed;
}

bool run_task(struct hostctx *hc, const struct task *t,
	      struct varstack *vs)
{
	const struct run_opts *o = hc->pc->rs->opts;
	int become = hc->become;
	const char *become_user = hc->become_user;
	bool no_log = hc->no_log, no_diff = hc->no_diff, failed = false;

	if (tend_interrupted || hc->hs->ended || hc->pc->end_play)
		return false;
	if (t->become >= 0)
		hc->become = t->become;
	if (t->become_user)
		hc->become_user = t->become_user;
	if (t->no_log)
		hc->no_log = run_no_log(hc, t->no_log, vs, t->vars);
	if (t->no_diff)
		hc->no_diff = true;
	switch (t->kind) {
	case TASK_BLOCK:
		failed = run_block(hc, t, vs);
		break;
	case TASK_INCLUDE:
		if (task_matches_tags(t, o->tags, o->skip_tags) ||
		    !val_len(t->tags))
			failed = run_include(hc, t, vs);
		break;
	case TASK_META:
		if (!strcmp(t->meta, "end_host"))
			hc->hs->ended = true;
		else if (!strcmp(t->meta, "end_play"))
			hc->pc->end_play = true;
		else if (!strcmp(t->meta, "clear_facts")) {
			val_unref(hc->hs->factvars);
			hc->hs->factvars = val_dict();
		}
		/* flush_handlers at the top level is handled by the play */
		break;
	case TASK_MODULE:
		if (task_matches_tags(t, o->tags, o->skip_tags))
			failed = run_module_task(hc, t, vs);
		break;
	}
	hc->become = become;
	hc->become_user = become_user;
	hc->no_log = no_log;
	hc->no_diff = no_diff;
	return failed;
}

static bool walk_list(struct hostctx *hc, const struct tasklist *l,
		      struct varstack *vs)
{
	for (size_t i = 0; i < l->nr; i++) {
		if (run_task(hc, l->items[i], vs)) {
			hc->hs->failed = true;
			return true;
		}
		if (hc->hs->unreachable)
			return true;
	}
	return false;
}
