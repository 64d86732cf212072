/*
 * Walking the tasks of one host: blocks, imports and includes, roles,
 * meta; each module task runs through modtask.c.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/modkit/module.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"
#include "tend/util/interrupt.h"
#include "tend/transport/transport.h"

#include <libgen.h>
#include <pthread.h>
#include <unistd.h>

/* What a task or block sets for the tasks inside it, to restore after. */
struct kwsave {
	int become;
	const char *become_user, *become_method;
	bool no_log, no_diff, any_errors_fatal;
	int check_mode;
	size_t env_nr, mdefs_nr;
	const struct val *delegate_to, *connection, *ignore_errors;
	const struct val *ignore_unreachable, *timeout;
};

static void kw_save(struct kwsave *sv, const struct hostctx *hc)
{
	sv->become = hc->become;
	sv->become_user = hc->become_user;
	sv->no_log = hc->no_log;
	sv->no_diff = hc->no_diff;
	sv->env_nr = hc->env_nr;
	sv->delegate_to = hc->delegate_to;
	sv->connection = hc->connection;
	sv->ignore_errors = hc->ignore_errors;
	sv->become_method = hc->become_method;
	sv->any_errors_fatal = hc->any_errors_fatal;
	sv->mdefs_nr = hc->mdefs_nr;
	sv->ignore_unreachable = hc->ignore_unreachable;
	sv->timeout = hc->timeout;
	sv->check_mode = hc->check_mode;
}

static void kw_restore(struct hostctx *hc, const struct kwsave *sv)
{
	hc->become = sv->become;
	hc->become_user = sv->become_user;
	hc->no_log = sv->no_log;
	hc->no_diff = sv->no_diff;
	hc->env_nr = sv->env_nr;
	hc->delegate_to = sv->delegate_to;
	hc->connection = sv->connection;
	hc->ignore_errors = sv->ignore_errors;
	hc->become_method = sv->become_method;
	hc->any_errors_fatal = sv->any_errors_fatal;
	hc->mdefs_nr = sv->mdefs_nr;
	hc->ignore_unreachable = sv->ignore_unreachable;
	hc->timeout = sv->timeout;
	hc->check_mode = sv->check_mode;
}

/*
 * The keywords of `t` that reach what runs inside it (a block's tasks,
 * a module call): into hc. -1 when become could not be told (its
 * failure recorded).
 */
static int kw_enter(struct hostctx *hc, const struct task *t,
		    struct varstack *vs)
{
	if (t->delegate_to)
		hc->delegate_to = t->delegate_to;
	if (t->connection)
		hc->connection = t->connection;
	if (t->environment) {
		if (hc->env_nr == ARRAY_SIZE(hc->env))
			BUG("environments nested too deep");
		hc->env[hc->env_nr++] = t->environment;
	}
	if (t->become >= 0)
		hc->become = t->become;
	if (t->become_tpl) {
		bool b;

		if (run_flag(&b, hc, t->become_tpl, vs, t->vars) < 0) {
			run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			tend_error_clear();
			return -1;
		}
		hc->become = b;
	}
	if (t->check_mode && run_check_mode(hc, t->check_mode, vs, t) < 0)
		return -1;
	if (t->become_user)
		hc->become_user = t->become_user;
	if (t->become_method)
		hc->become_method = t->become_method;
	if (t->no_log)
		hc->no_log = run_no_log(hc, t->no_log, vs, t->vars);
	if (t->no_diff)
		hc->no_diff = true;
	/* the innermost that sets them: the task's, its blocks', the play's */
	if (t->ignore_errors)
		hc->ignore_errors = t->ignore_errors;
	if (t->ignore_unreachable)
		hc->ignore_unreachable = t->ignore_unreachable;
	if (t->timeout)
		hc->timeout = t->timeout;
	/* a template counts as true, as in Ansible's linear strategy */
	if (t->any_errors_fatal)
		hc->any_errors_fatal = !val_is(t->any_errors_fatal, VAL_BOOL) ||
				       t->any_errors_fatal->u.b;
	if (t->module_defaults) {
		if (hc->mdefs_nr == ARRAY_SIZE(hc->mdefs))
			BUG("module_defaults nested too deep");
		hc->mdefs[hc->mdefs_nr++] = t->module_defaults;
	}
	return 0;
}

/*
 * Whether --tags / --skip-tags let `t` run, with the tags around the
 * dynamic includes it is in (hc->tags_up) added to its own.
 */
static bool tags_match(const struct hostctx *hc, const struct task *t)
{
	const struct run_opts *o = hc->pc->rs->opts;
	struct task all = { .kind = t->kind };
	bool yes;

	if (!hc->tags_up_nr)
		return task_matches_tags(t, o->tags, o->skip_tags);
	all.tags = val_list();
	for (size_t i = 0; i < val_len(t->tags); i++)
		val_list_push(all.tags, val_ref(t->tags->u.list.items[i]));
	for (size_t i = 0; i < hc->tags_up_nr; i++)
		for (size_t j = 0; j < val_len(hc->tags_up[i]); j++)
			val_list_push(all.tags,
				      val_ref(hc->tags_up[i]->u.list.items[j]));
	yes = task_matches_tags(&all, o->tags, o->skip_tags);
	val_unref(all.tags);
	return yes;
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
	/* a file's tasks belong to the role that includes it */
	for (size_t i = 0; i < rs->incs_nr; i++)
		if (!strcmp(rs->incs[i].path, path.ptr) &&
		    rs->incs[i].role == t->role)
			found = &rs->incs[i].tasks;
	if (!found) {
		struct tasklist tl = { 0 };

		if (playbook_load_tasks(&tl, path.ptr, rs->pb->dir,
					rs->pb->limits.root, t->role, &d) < 0) {
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
			rs->incs[rs->incs_nr].role = t->role;
			rs->incs[rs->incs_nr].tasks = tl;
			found = &rs->incs[rs->incs_nr++].tasks;
		}
	}
	pthread_mutex_unlock(&rs->lock);
	diags_release(&d);
	buf_release(&path);
	return found;
}

/* Push vars around the tasks to come (param: an include's, see varstack). */
static void vs_push(struct varstack *vs, const struct val *v, bool param)
{
	vs->param[vs->nr] = param;
	vs->items[vs->nr++] = v;
}

/*
 * The tasks `tl` of dynamic include `t` (include_tasks, include_role):
 * with the tags around it, in its apply block when it has one (apply's
 * keywords reach each task as a block's do, its vars under the
 * include's), then with `frame` (the include's vars and loop vars, or
 * NULL) over them. Returns true if the host failed.
 */
static bool walk_included(struct hostctx *hc, const struct task *t,
			  const struct tasklist *tl, struct varstack *vs,
			  const struct val *frame)
{
	const struct task *a = t->apply;
	size_t when_nr = hc->when_up_nr, tags_nr = hc->tags_up_nr;
	size_t vs_nr = vs->nr;
	struct kwsave sv;
	bool failed = true;

	if (hc->tags_up_nr + 2 > ARRAY_SIZE(hc->tags_up) ||
	    hc->when_up_nr == ARRAY_SIZE(hc->when_up) ||
	    vs->nr + 2 > ARRAY_SIZE(vs->items))
		BUG("includes nested too deep");
	kw_save(&sv, hc);
	if (t->up_tags)
		hc->tags_up[hc->tags_up_nr++] = t->up_tags;
	if (a) {
		if (kw_enter(hc, a, vs) < 0)
			goto out;
		if (a->tags)
			hc->tags_up[hc->tags_up_nr++] = a->tags;
		if (a->when)
			hc->when_up[hc->when_up_nr++] = a->when;
		if (a->vars)
			vs_push(vs, a->vars, false);
	}
	if (frame)
		vs_push(vs, frame, true);
	failed = walk_list(hc, tl, vs);
out:
	vs->nr = vs_nr;
	hc->when_up_nr = when_nr;
	hc->tags_up_nr = tags_nr;
	kw_restore(hc, &sv);
	return failed;
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
	vs_push(vs, t->vars, false);
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
	struct loopctl ctl;
	bool failed = false, cond;
	size_t n = 1;
	int error;

	/*
	 * (an import of a templated name is walked as an include; the old
	 * `include` is an import when its file is not a template and it does
	 * not loop, as in Ansible 2.14)
	 */
	if (t->include_static && (!strcmp(t->action, "import_tasks") ||
				  (!strcmp(t->action, "include") && !t->loop))) {
		free(ss);
		return run_import(hc, t, vs);
	}
	sc = run_build_scope(ss, hc, vs, t->vars, NULL, NULL);
	if (t->loop) {
		if (run_loop_control(&ctl, t, sc) < 0 ||
		    !(items = run_loop_items(t, sc))) {
			run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			free(ss);
			return true;
		}
		n = items->u.list.nr;
	}
	for (size_t i = 0; i < n && !failed; i++) {
		struct val *lv = items ? run_make_loopvars(t, &ctl, items, i) :
				 NULL;
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
		failed = walk_included(hc, t, tl, vs, frame);
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

/*
 * A plan of a block whose outcome is unknown (hc->after_unknown: a task
 * of it that may fail): its rescue is planned too, as what runs if that
 * task fails. What the rescue would change or fail is unknown (run.c
 * says on what); what it registers or sets is dropped after, so a later
 * task that reads it is unknown, not planned with a value it may lack.
 */
static void plan_rescue(struct hostctx *hc, const struct task *t,
			struct varstack *vs)
{
	struct hoststate *hs = hc->hs;
	struct val *facts = val_copy(hs->hostfacts);
	struct val *outer_rescue = hc->rescue_of;
	bool outer_watch = hc->watch_unknown;

	hc->rescue_of = hc->after_unknown;
	hc->watch_unknown = false;
	walk_list(hc, &t->rescue, vs);
	hc->rescue_of = outer_rescue;
	hc->watch_unknown = outer_watch;
	if (!hs->unreachable)
		hs->failed = false;
	val_unref(hs->hostfacts);
	hs->hostfacts = facts;
	hs->unknown_results = true;
	hs->dirty = true;
}

static bool run_block(struct hostctx *hc, const struct task *t,
		      struct varstack *vs)
{
	const struct val *outer_notify = hc->block_notify;
	bool failed;
	size_t first_ev;

	if (t->notify)
		hc->block_notify = t->notify;
	/* each task evaluates the block's `when` (and reports its skip) */
	if (hc->when_up_nr == ARRAY_SIZE(hc->when_up))
		BUG("blocks nested too deep");
	hc->when_up[hc->when_up_nr++] = t->when;
	if (t->vars) {
		if (vs->nr == ARRAY_SIZE(vs->items))
			BUG("blocks nested too deep");
		vs_push(vs, t->vars, false);
	}
	first_ev = hc->hs->ev_nr;
	if (!t->rescue.nr || !run_plan_pass(hc)) {
		failed = walk_list(hc, &t->block, vs);
	} else {
		struct val *outer_after = hc->after_unknown;
		bool outer_watch = hc->watch_unknown;

		hc->watch_unknown = true;
		hc->after_unknown = NULL;
		failed = walk_list(hc, &t->block, vs);
		if (!failed && hc->after_unknown && !hc->hs->unreachable)
			plan_rescue(hc, t, vs);
		val_unref(hc->after_unknown);
		hc->after_unknown = outer_after;
		hc->watch_unknown = outer_watch;
	}
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
	hc->block_notify = outer_notify;
	return failed;
}

/*
 * Whether a meta task acts for this host: its `when` in the host's scope
 * (Ansible evaluates it per host). An error fails the task (a plan that
 * cannot know yet records it as unknown); either way it does not act.
 */
static bool meta_on(struct hostctx *hc, const struct task *t,
		    struct varstack *vs, bool *failed)
{
	struct scopes *ss;
	bool on = true;
	int error;

	if (!t->when)
		return true;
	ss = xmalloc(sizeof(*ss));
	error = run_eval_conditions(&on, t->when,
				    run_build_scope(ss, hc, vs, t->vars,
						    NULL, NULL), NULL);
	free(ss);
	if (error < 0) {
		struct buf msg = BUF_INIT;

		buf_addf(&msg, "error in 'when': %s", tend_error_last());
		if (run_plan_unknown(hc, error)) {
			run_add_event(hc, t, EV_UNKNOWN, NULL, msg.ptr);
		} else {
			run_add_event(hc, t, EV_FAILED, NULL, msg.ptr);
			*failed = true;
		}
		tend_error_clear();
		buf_release(&msg);
		return false;
	}
	return on;
}

/* meta: what it does to the host, its batch or its play. */
static bool run_meta(struct hostctx *hc, const struct task *t,
		     struct varstack *vs)
{
	bool failed = false;

	/* flush_handlers at the top level is handled by the play */
	if (!meta_on(hc, t, vs, &failed))
		return failed;
	if (!strcmp(t->meta, "end_host")) {
		hc->hs->ended = true;
	} else if (!strcmp(t->meta, "end_play")) {
		hc->pc->end_play = true;
		hc->pc->end_batches = true;
	} else if (!strcmp(t->meta, "end_batch")) {
		hc->pc->end_play = true;
	} else if (!strcmp(t->meta, "clear_facts")) {
		run_cache_clear(hc);
	} else if (!strcmp(t->meta, "reset_connection") && hc->hs->conn->t) {
		/* the next task on this host opens a new connection */
		transport_close(hc->hs->conn->t);
		hc->hs->conn->t = NULL;
	}
	return false;
}

/*
 * The when of an include_role (and of its item): true to go on; false
 * when it is false, or when it could not be told (its event added, and
 * *failed says whether the host failed).
 */
static bool include_role_cond(struct hostctx *hc, const struct task *t,
			      const struct scope *sc, bool *failed)
{
	bool cond;
	int error = run_eval_conditions(&cond, t->when, sc, NULL);

	*failed = false;
	if (error < 0) {
		*failed = !run_plan_unknown(hc, error);
		run_add_event(hc, t, *failed ? EV_FAILED : EV_UNKNOWN, NULL,
			      tend_error_last());
		return false;
	}
	return cond;
}

/*
 * The role of include_role `t` whose name or files are templates, for
 * the scope `sc`: loaded once per play for one name and files (under
 * rs->lock: hosts run in threads). NULL with the error set.
 */
static const struct task *role_at_run(struct hostctx *hc, const struct task *t,
				      const struct scope *sc)
{
	static const char *const keys[] = {
		"tasks_from", "vars_from", "defaults_from", "handlers_from",
	};
	struct runstate *rs = hc->pc->rs;
	struct playctx *pc = hc->pc;
	struct val *r[5] = { NULL };
	const char *from[4] = { NULL };
	const struct val *name = val_dict_get(t->args, "name");
	const struct task *found = NULL;
	struct buf key = BUF_INIT;
	int error = 0;

	if (!name)
		name = val_dict_get(t->args, "role");
	if ((error = template_render(&r[4], name, sc)) < 0 || !val_cstr(r[4]))
		goto out;
	buf_addf(&key, "%p\n%s", (const void *)t, val_cstr(r[4]));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct val *v = val_dict_get(t->args, keys[i]);

		if (v && ((error = template_render(&r[i], v, sc)) < 0 ||
			  !(from[i] = val_cstr(r[i]))))
			goto out;
		buf_addf(&key, "\n%s", from[i] ? from[i] : "");
	}
	pthread_mutex_lock(&rs->lock);
	for (size_t i = 0; i < pc->rt_roles_nr && !found; i++)
		if (!strcmp(pc->rt_roles[i].path, key.ptr))
			found = pc->rt_roles[i].tasks.items[0];
	if (!found) {
		struct diags d = DIAGS_INIT;
		struct task *rt = NULL;

		if (!pc->rt_play)
			pc->rt_play = xcalloc(1, sizeof(*pc->rt_play));
		if (playbook_role_load(&rt, pc->rt_play, t, val_cstr(r[4]), from,
				       rs->pb->dir, rs->pb->limits.root,
				       &d) < 0) {
			struct buf m = BUF_INIT;

			for (size_t i = 0; i < d.nr; i++)
				buf_addf(&m, "%s%s", i ? "\n" : "", d.items[i]);
			tend_error_set("cannot include role '%s': %s",
				       val_cstr(r[4]), m.ptr);
			buf_release(&m);
		} else {
			struct cached_include *c;

			ALLOC_GROW(pc->rt_roles, pc->rt_roles_nr + 1,
				   pc->rt_roles_alloc);
			c = &pc->rt_roles[pc->rt_roles_nr++];
			memset(c, 0, sizeof(*c));
			c->path = xstrdup(key.ptr);
			ALLOC_GROW(c->tasks.items, 1, c->tasks.alloc);
			c->tasks.items[c->tasks.nr++] = rt;
			found = rt;
		}
		diags_release(&d);
	}
	pthread_mutex_unlock(&rs->lock);
out:
	if (error == 0 && !found && !r[4])
		tend_error_set("include_role: the role's name is not a string");
	for (size_t i = 0; i < ARRAY_SIZE(r); i++)
		val_unref(r[i]);
	buf_release(&key);
	return found;
}

/*
 * A role's tasks, with its vars in scope. roles: and import_role passed
 * their when and tags down to each task at load; include_role tests its
 * own here, once per item of its loop (the loop vars reach the role's
 * tasks, as an include's do).
 */
static bool run_role(struct hostctx *hc, const struct task *t,
		     struct varstack *vs)
{
	const struct role *outer = vs->role;
	struct scopes *ss;
	struct val *items = NULL;
	struct loopctl ctl = { 0 };
	bool failed = false;
	size_t n = 1, ran = 0;

	if (t->include_static) {
		vs->role = t->runs;
		failed = walk_list(hc, &t->included, vs);
		vs->role = outer;
		return failed;
	}
	/* as Ansible, an include_role is a task --tags picks or not */
	if (!hc->handler && !tags_match(hc, t))
		return false;
	ss = xmalloc(sizeof(*ss));
	if (t->loop) {
		const struct scope *lsc = run_build_scope(ss, hc, vs, t->vars,
							  NULL, NULL);

		if (run_loop_control(&ctl, t, lsc) < 0 ||
		    !(items = run_loop_items(t, lsc))) {
			run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			free(ss);
			return true;
		}
		n = items->u.list.nr;
	}
	for (size_t i = 0; i < n && !failed; i++) {
		struct val *lv = items ? run_make_loopvars(t, &ctl, items, i) :
				 NULL;
		const struct scope *sc = run_build_scope(ss, hc, vs, t->vars, lv,
							 NULL);
		const struct task *rt = t;
		bool go = include_role_cond(hc, t, sc, &failed);

		if (go && !t->runs && !(rt = role_at_run(hc, t, sc))) {
			run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
			failed = true;
		} else if (go) {
			ran++;
			if (t->public_role)
				run_role_public(hc->pc, rt->runs);
			struct val *frame = val_dict();

			/* its vars are include params, as include_tasks' */
			if (t->vars)
				val_dict_update(frame, t->vars, false);
			if (lv)
				val_dict_update(frame, lv, false);
			vs->role = rt->runs;
			failed = walk_included(hc, t, &rt->included, vs, frame);
			vs->role = outer;
			val_unref(frame);
		}
		val_unref(lv);
	}
	/*
	 * Skipped only when no item ran (an empty loop too), as Ansible's
	 * recap counts it; an item skipped among others that ran is not shown
	 */
	if (!ran && !failed)
		run_add_event(hc, t, EV_SKIPPED, NULL, NULL);
	val_unref(items);
	free(ss);
	return failed;
}

/*
 * The task's name as Ansible shows it (linear.py templates task.name
 * when the task starts): rendered in the host's scope without loop vars;
 * if that fails (an undefined variable, `item`), the name as written.
 * A role's task keeps its "ROLE : " prefix. Scrubbed of the host's
 * secrets. NULL when the name has no template.
 */
static char *shown_name(struct hostctx *hc, const struct task *t,
			const struct varstack *vs)
{
	struct scopes *ss;
	struct buf b = BUF_INIT;
	struct val *secrets;

	if (!t->name || (!strstr(t->name, "{{") && !strstr(t->name, "{%")))
		return NULL;
	ss = xmalloc(sizeof(*ss));
	if (t->role)
		buf_addf(&b, "%s : ", t->role->name);
	if (template_render_str(&b, t->name,
				run_build_scope(ss, hc, vs, t->vars, NULL,
						NULL)) < 0) {
		tend_error_clear();
		buf_release(&b);
		free(ss);
		return NULL;
	}
	free(ss);
	secrets = run_secrets(hc);
	run_scrub(&b, secrets);
	val_unref(secrets);
	return buf_detach(&b, NULL);
}

/*
 * --start-at-task (playbook.h playbook_start_at): whether the host runs
 * t, or skips it as a task before the one the run starts at. Blocks,
 * imports and roles around that task are entered; reaching it starts
 * the host. Handlers run as notified.
 */
static bool start_allows(struct hostctx *hc, const struct task *t)
{
	const struct play *p = hc->pc->play;

	if (hc->handler || hc->hs->started ||
	    (!p->start_skip_all && !p->start_path_nr))
		return true;
	if (p->start_skip_all)
		return false;
	if (t == p->start_path[p->start_path_nr - 1]) {
		hc->hs->started = true;
		return true;
	}
	for (size_t i = 0; i + 1 < p->start_path_nr; i++)
		if (t == p->start_path[i])
			return true;
	return false;
}

/*
 * --step: whether the operator lets module task t run, asked once per
 * task (the first host to reach it asks, the others take the answer).
 */
static bool step_allows(struct hostctx *hc, const struct task *t)
{
	struct runstate *rs = hc->pc->rs;
	const struct run_hooks *h = rs->opts->hooks;
	char key[2 * sizeof(void *) + 3];
	const struct val *said;
	struct buf name = BUF_INIT;
	bool yes = true;

	if (hc->handler || rs->opts->quiet || !h || !h->step)
		return true;
	snprintf(key, sizeof(key), "%p", (const void *)t);
	pthread_mutex_lock(&rs->step_lock);
	if (!rs->step_all) {
		if ((said = val_dict_get(rs->step_said, key))) {
			yes = said->u.b;
		} else {
			if (t->name && t->role)
				buf_addf(&name, "%s : %s", t->role->name,
					 t->name);
			else
				buf_adds(&name, t->name ? t->name : t->action);
			switch (h->step(name.ptr, h->payload)) {
			case RUN_STEP_ALL:
				rs->step_all = true;
				break;
			case RUN_STEP_NO:
				yes = false;
				break;
			}
			val_dict_set(rs->step_said, key, val_bool(yes));
		}
	}
	pthread_mutex_unlock(&rs->step_lock);
	buf_release(&name);
	return yes;
}

static bool task_here(struct hostctx *hc, const struct task *t,
		      struct varstack *vs)
{
	const struct task *shown_for = hc->shown_for;
	char *shown = hc->shown;
	struct kwsave sv;
	bool failed = false;

	if (tend_interrupted || hc->hs->ended || hc->pc->end_play)
		return false;
	kw_save(&sv, hc);
	if (kw_enter(hc, t, vs) < 0) {
		failed = true;
		goto out;
	}
	switch (t->kind) {
	case TASK_BLOCK:
		failed = run_block(hc, t, vs);
		break;
	/*
	 * handlers run when notified, whatever --tags says (Ansible's); an
	 * include_tasks is a task --tags picks or not, an import's tasks are
	 * picked one by one
	 */
	case TASK_INCLUDE:
		if (hc->handler || strcmp(t->action, "include_tasks") ||
		    tags_match(hc, t))
			failed = run_include(hc, t, vs);
		break;
	case TASK_META:
		failed = run_meta(hc, t, vs);
		break;
	case TASK_MODULE:
		if (!hc->handler && !tags_match(hc, t))
			break;
		if (!step_allows(hc, t))
			break;
		hc->shown_for = t;
		hc->shown = shown_name(hc, t, vs);
		failed = run_module_task(hc, t, vs);
		free(hc->shown);
		break;
	case TASK_ROLE:
		failed = run_role(hc, t, vs);
		break;
	}
out:
	kw_restore(hc, &sv);
	hc->shown_for = shown_for;
	hc->shown = shown;
	return failed;
}

/*
 * A task on the host. Where the step's hosts walk nested tasks together
 * (lockstep.c), a module task waits for the others first (those it
 * would skip for --tags do not: Ansible leaves them out).
 */
bool run_task(struct hostctx *hc, const struct task *t,
	      struct varstack *vs)
{
	if (tend_interrupted || hc->hs->ended || hc->pc->end_play ||
	    !start_allows(hc, t))
		return false;
	if (t->kind == TASK_MODULE && t->run_once && hc->pc->strategy_free) {
		run_add_event(hc, t, EV_FAILED, NULL, "'run_once' is not "
			      "supported yet with strategy: free");
		return true;
	}
	if (t->kind != TASK_MODULE || !hc->pc->ls ||
	    (!hc->handler && !tags_match(hc, t)))
		return task_here(hc, t, vs);
	return run_lockstep_task(hc, t, vs, task_here);
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
