/*
 * A module task on one host: its throttle, run_once bypass (MOD_ONCE),
 * loop and the result it registers (walk.c walks the tasks around it).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/run_int.h"
#include "tend/modkit/module.h"
#include "tend/lang/template.h"
#include "tend/data/truth.h"
#include "tend/util/interrupt.h"
#include "tend/transport/transport.h"

#include <pthread.h>
#include <unistd.h>

/* Tell the progress hook the task starts on the host (NULL: it ended). */
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
 * A MOD_ONCE task (add_host) runs for the first host of the batch still
 * in the play, and for no other: Ansible's bypass of the host loop.
 */
static bool once_elsewhere(const struct hostctx *hc, const struct task *t)
{
	const struct playctx *pc = hc->pc;

	if (!(t->module->flags & MOD_ONCE))
		return false;
	for (size_t i = 0; i < pc->nr; i++) {
		const struct hoststate *hs = &pc->hs[i];

		if (!hs->failed && !hs->unreachable && !hs->ended)
			return hs != hc->hs;
	}
	return false;
}

/*
 * throttle: N, rendered in the host's scope, into *out (0: no limit, as
 * 0 or less is in Ansible). Returns -1 with the error set when it is not
 * an integer.
 */
static int throttle_of(long long *out, struct hostctx *hc,
		       const struct task *t, const struct varstack *vs)
{
	struct scopes *ss;
	struct val *r = NULL;
	int error = 0;
	char *end;

	*out = 0;
	if (!t->throttle || t->run_once)
		return 0; /* Ansible ignores throttle beside run_once */
	ss = xmalloc(sizeof(*ss));
	if (template_render(&r, t->throttle, run_build_scope(ss, hc, vs,
				t->vars, NULL, NULL)) < 0)
		error = tend_error_prefix("in 'throttle'");
	else if (val_is(r, VAL_INT))
		*out = r->u.i;
	else if (!val_cstr(r) || !*val_cstr(r) ||
		 (*out = strtoll(val_cstr(r), &end, 10), *end))
		error = tend_error_set("'throttle' must be an integer");
	val_unref(r);
	free(ss);
	if (*out < 0)
		*out = 0;
	return error;
}

/* Whether a host before `me` in the play's order has yet to enter t. */
static bool earlier_pending(const struct playctx *pc, const struct task *t,
			    size_t me)
{
	for (size_t i = 0; i < me; i++)
		if (pc->hs[i].thr_pending == t)
			return true;
	return false;
}

/*
 * Wait for one of the `n` places of task t (n > 0), after the hosts
 * before this one in the play's order that will run t have taken theirs.
 */
static void throttle_enter(struct hostctx *hc, const struct task *t,
			   long long n)
{
	struct playctx *pc = hc->pc;
	size_t me = (size_t)(hc->hs - pc->hs);
	struct throttled *th = NULL;

	pthread_mutex_lock(&pc->thr_lock);
	for (;;) {
		th = NULL;
		for (size_t i = 0; i < pc->thr_nr; i++)
			if (pc->thr[i].t == t)
				th = &pc->thr[i];
		if (!th) {
			ALLOC_GROW(pc->thr, pc->thr_nr + 1, pc->thr_alloc);
			th = &pc->thr[pc->thr_nr++];
			th->t = t;
			th->running = 0;
		}
		if (th->running < (size_t)n && !earlier_pending(pc, t, me))
			break;
		pthread_cond_wait(&pc->thr_cond, &pc->thr_lock);
	}
	th->running++;
	if (hc->hs->thr_pending == t) {
		hc->hs->thr_pending = NULL;
		pthread_cond_broadcast(&pc->thr_cond);
	}
	pthread_mutex_unlock(&pc->thr_lock);
}

void run_throttle_expect(struct playctx *pc, struct hoststate *hs,
			 const struct task *t)
{
	if (!t || t->kind != TASK_MODULE || !t->throttle || t->run_once)
		t = NULL;
	if (!t && !hs->thr_pending)
		return; /* only this host's worker (or a round start) sets it */
	pthread_mutex_lock(&pc->thr_lock);
	if (hs->thr_pending && hs->thr_pending != t)
		pthread_cond_broadcast(&pc->thr_cond);
	hs->thr_pending = t;
	pthread_mutex_unlock(&pc->thr_lock);
}

static void throttle_leave(struct playctx *pc, const struct task *t)
{
	pthread_mutex_lock(&pc->thr_lock);
	/* found again by task: the table may have moved since */
	for (size_t i = 0; i < pc->thr_nr; i++)
		if (pc->thr[i].t == t)
			pc->thr[i].running--;
	pthread_cond_broadcast(&pc->thr_cond);
	pthread_mutex_unlock(&pc->thr_lock);
}

static bool run_module_task_unthrottled(struct hostctx *hc,
					const struct task *t,
					const struct varstack *vs);

/*
 * A loop item failed on a template: as Ansible, the loop ends there and
 * the task fails as a whole, with that message and without the items'
 * results (what the earlier items did stays done). Its events since ev0
 * become the one failure, shown without an item. Returns the result to
 * register (a new dict).
 */
static struct val *loop_ended(struct hostctx *hc, size_t ev0,
			      const struct val *r)
{
	struct hoststate *hs = hc->hs;
	struct run_event *last = &hs->ev[hs->ev_nr - 1];
	struct val *result = val_dict(), *shown = val_dict();
	const struct val *msg = val_dict_get(r, "msg");
	struct buf b = BUF_INIT;

	val_dict_set_bool(result, "failed", true);
	if (msg)
		val_dict_set(result, "msg", val_ref((struct val *)msg));
	for (size_t i = ev0; i + 1 < hs->ev_nr; i++)
		run_event_release(&hs->ev[i]);
	if (last != &hs->ev[ev0]) {
		hs->ev[ev0] = *last;
		memset(last, 0, sizeof(*last));
		last = &hs->ev[ev0];
	}
	hs->ev_nr = ev0 + 1;
	free(last->label);
	last->label = NULL;
	free(last->verbose_result);
	last->verbose_result = NULL;
	if (last->result) {
		/* the event's message is the one scrubbed of secrets */
		val_dict_set_bool(shown, "failed", true);
		if (last->msg)
			val_dict_set_str(shown, "msg", last->msg);
		val_to_json(&b, shown, 0);
		free(last->result);
		last->result = buf_detach(&b, NULL);
	}
	val_unref(shown);
	return result;
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

/* A module task on one host, with its loop. Returns true if the host
 * failed. */
bool run_module_task(struct hostctx *hc, const struct task *t,
		     const struct varstack *vs)
{
	long long n;
	bool failed;

	if (throttle_of(&n, hc, t, vs) < 0) {
		struct val *result = val_dict();

		run_throttle_expect(hc->pc, hc->hs, NULL);
		run_progress(hc, t);
		run_add_event(hc, t, EV_FAILED, NULL, tend_error_last());
		val_dict_set_bool(result, "failed", true);
		run_register_result(hc, t, result);
		val_unref(result);
		return true;
	}
	if (n > 0)
		throttle_enter(hc, t, n);
	else /* no throttle here: the hosts after it need not wait */
		run_throttle_expect(hc->pc, hc->hs, NULL);
	failed = run_module_task_unthrottled(hc, t, vs);
	if (n > 0)
		throttle_leave(hc->pc, t);
	return failed;
}

static bool run_module_task_unthrottled(struct hostctx *hc,
					const struct task *t,
					const struct varstack *vs)
{
	struct val *result;
	bool host_failed = false;

	if (once_elsewhere(hc, t))
		return false;

	run_progress(hc, t);
	if (!t->loop) {
		bool ends_loop;

		result = run_exec_once(hc, t, vs, NULL, NULL, &host_failed,
				       &ends_loop);
	} else {
		struct scopes *ss = xmalloc(sizeof(*ss));
		const struct scope *sc = run_build_scope(ss, hc, vs, t->vars, NULL,
						     NULL);
		struct loopctl ctl;
		struct val *items = run_loop_control(&ctl, t, sc) < 0 ? NULL :
				    run_loop_items(t, sc);
		struct val *results;
		bool any_changed = false, any_failed = false, all_skipped = true;
		bool plan = run_is_plan(hc);
		size_t n, ev0;

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
		ev0 = hc->hs->ev_nr;
		for (size_t i = 0; i < n && !hc->hs->unreachable; i++) {
			struct val *item = items->u.list.items[i];
			struct val *lv = run_make_loopvars(t, &ctl, items, i);
			struct val *r;
			char *label;
			const struct scope *isc;
			bool ends_loop;

			/* not in a plan: it changes nothing between items */
			if (i && ctl.pause > 0 && !plan)
				run_loop_pause(ctl.pause);
			isc = run_build_scope(ss, hc, vs, t->vars, lv, NULL);
			label = run_item_label(t, isc, item);
			r = run_exec_once(hc, t, vs, lv, label, &host_failed,
					  &ends_loop);
			free(label);
			if (ends_loop) {
				result = loop_ended(hc, ev0, r);
				val_unref(r);
				val_unref(lv);
				val_unref(results);
				val_unref(items);
				free(ss);
				goto done;
			}
			run_loop_result(r, t, lv);
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
	if (t->run_once) {
		/* schedule.c gives it to the batch's other hosts */
		val_unref(hc->hs->once_result);
		hc->hs->once_result = result;
		return host_failed;
	}
	val_unref(result);
	return host_failed;
}
