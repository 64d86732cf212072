/*
 * What a module call's result leaves on its host: the handlers it
 * notifies, the facts it sets (set_fact, include_vars; a delegate_facts
 * task's go to its delegate), the registered variable, the failed result
 * a rescue sees.
 */

#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/engine/run_int.h"
#include "tend/data/truth.h"

static void notify_list(struct hostctx *hc, const struct val *l)
{
	for (size_t i = 0; i < val_len(l); i++) {
		struct val *n = l->u.list.items[i];
		bool seen = false;

		for (size_t j = 0; j < val_len(hc->hs->notified); j++)
			if (val_equal(hc->hs->notified->u.list.items[j], n))
				seen = true;
		if (!seen)
			val_list_push(hc->hs->notified, val_ref(n));
	}
}

/*
 * The task's notify (else its block's), then the import_tasks' around it
 * (as Ansible's).
 */
void run_notify(struct hostctx *hc, const struct task *t)
{
	notify_list(hc, t->notify ? t->notify : hc->block_notify);
	for (size_t i = hc->notify_up_nr; i-- > 0;)
		notify_list(hc, hc->notify_up[i]);
}

/*
 * delegate_facts: the facts go to the delegate host (Ansible's
 * get_delegated_hosts), when the step ends (schedule.c).
 */
static void facts_for(struct hostctx *hc, const struct task *t,
		      struct val *facts)
{
	struct val *e = val_dict();

	val_dict_set_str(e, "host", hc->fact_host);
	val_dict_set(e, "facts", val_ref(facts));
	val_dict_set_bool(e, "incvars", t->module &&
			  (t->module->flags & MOD_INCLUDE_VARS));
	/* gathered facts: setup's (or gather_facts': `gathered`) */
	if (t->module && (t->module->flags & MOD_FACTS)) {
		val_dict_set_bool(e, "setup", true);
		val_dict_set_bool(e, "gathered",
				  !strcmp(t->module->name, "gather_facts"));
	}
	if (!hc->hs->facts_out)
		hc->hs->facts_out = val_list();
	val_list_push(hc->hs->facts_out, e);
}

/*
 * A setup, gather_facts or hostname task's facts: the host's gathered
 * facts (and cache), or its delegate's with delegate_facts.
 */
static void setup_facts(struct hostctx *hc, const struct task *t,
			const struct val *result_facts)
{
	struct hoststate *hs = hc->hs;
	struct val *f = run_setup_result_facts(result_facts, hc->no_log);
	bool gathered = !strcmp(t->module->name, "gather_facts");

	if (hc->fact_host) {
		facts_for(hc, t, f);
	} else {
		run_set_facts(hs, f, gathered);
		run_cache_store(hc->pc->rs, hs->name, hs->factvars,
				hs->facts_gathered);
	}
	val_unref(f);
}

void run_apply_facts(struct hostctx *hc, const struct task *t,
		     const struct val *result)
{
	struct val *facts = val_dict_get(result, "ansible_facts");
	bool takes = val_is(facts, VAL_DICT) &&
		     !truth_python(val_dict_get(result, "failed")) &&
		     strcmp(t->action, "debug");

	/*
	 * What a module sends back is host data: it is never rendered as a
	 * template again (Ansible's wrap_var on registered results and on
	 * facts, except set_fact's own values). A debug that shows
	 * ansible_facts sets nothing (Ansible leaves out C._ACTION_DEBUG).
	 */
	if (takes && t->module && (t->module->flags & MOD_FACTS)) {
		setup_facts(hc, t, facts);
	} else if (takes) {
		facts = val_ref(facts);
		if (!(t->module && (t->module->flags & MOD_CLEAN_FACTS)))
			facts = val_unsafe(facts);
		/* what a no_log task made stays out of later output too */
		if (hc->no_log)
			facts = val_secret(facts);
		if (hc->fact_host) {
			facts_for(hc, t, facts);
		} else if (t->module && !(t->module->flags &
			     (MOD_CLEAN_FACTS | MOD_INCLUDE_VARS))) {
			/*
			 * A facts module's (service_facts): the host's facts,
			 * as Ansible's set_host_facts makes them: in
			 * ansible_facts, and variables of their own names
			 */
			run_cache_facts(hc, facts);
		} else {
			/* Ansible's cacheable: the fact cache too */
			if (hc->facts_cacheable)
				run_cache_facts(hc, facts);
			val_dict_update(t->module &&
					(t->module->flags & MOD_INCLUDE_VARS) ?
					hc->hs->incvars : hc->hs->hostfacts,
					facts, false);
			hc->hs->dirty = true;
		}
		val_unref(facts);
	}
	free(hc->fact_host);
	hc->fact_host = NULL;
}

/* A plan: t's result is known only at apply; remember who made it. */
static void note_unknown(struct hoststate *hs, const struct task *t)
{
	struct buf name = BUF_INIT;

	hs->unknown_results = true;
	run_task_ref(&name, t);
	val_unref(hs->unknown_last);
	hs->unknown_last = val_str(name.ptr);
	if (t->register_as) {
		if (!hs->unknown_from)
			hs->unknown_from = val_dict();
		val_dict_set(hs->unknown_from, t->register_as,
			     val_ref(hs->unknown_last));
	}
	buf_release(&name);
}

void run_register_result(struct hostctx *hc, const struct task *t,
		     struct val *result)
{
	run_apply_facts(hc, t, result);
	if (truth_python(val_dict_get(result, "failed"))) {
		val_unref(hc->hs->failed_result);
		hc->hs->failed_result = val_ref(result);
		/* what a no_log task failed with stays hidden in a rescue */
		if (hc->no_log)
			hc->hs->failed_result = val_secret(hc->hs->failed_result);
		hc->hs->failed_task = t;
	}
	if (val_dict_get(result, "tend_unknown"))
		note_unknown(hc->hs, t);
	if (t->register_as) {
		/*
		 * include_vars runs no module: Ansible templates its result's
		 * variables when used, as it does the variables themselves.
		 */
		struct val *r = t->module &&
			(t->module->flags & MOD_INCLUDE_VARS) ?
			val_ref(result) : val_unsafe(val_ref(result));

		/*
		 * Later tasks use the value; output shows ******** (Ansible
		 * would print it: tend does not show what no_log hid).
		 */
		if (hc->no_log)
			r = val_secret(r);
		val_dict_set(hc->hs->hostfacts, t->register_as, r);
		hc->hs->dirty = true;
	}
}
