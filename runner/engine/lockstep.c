/*
 * What the hosts of a step see of each other, as Ansible's linear
 * strategy shows it after each task: the add_host and group_by results,
 * the facts a delegate_facts task set for another host, each host's
 * hostvars, and a run_once task's result. schedule.c settles them when a
 * step ends. A step that walks nested tasks (a block, an include, a
 * role) has its hosts walk together: they meet before each module task
 * (a round; the tasks of a round run up to `forks` at a time), the news
 * of the round before is settled then, and a run_once task runs on the
 * first host (in the batch's order) of those that reached it, the
 * others taking its result. Hosts on different paths (one in a rescue)
 * run their own tasks in the same round, where Ansible runs the tasks
 * of one state at a time: what one host sees of another is the same.
 * Everything here that touches another host's state runs while no
 * worker runs (between steps, or when every host of the step waits).
 */

#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/engine/run_int.h"
#include "tend/inventory/inventory.h"
#include "tend/data/truth.h"

#include <pthread.h>

/*
 * A change the inventory refused (a group_by that would make a loop)
 * fails the host's latest event of that module.
 */
static void inventory_change_failed(struct hoststate *hs, const char *mod)
{
	for (size_t j = hs->ev_nr; j-- > 0;) {
		struct run_event *ev = &hs->ev[j];

		if (strstr(ev->module, mod)) {
			ev->status = EV_FAILED;
			free(ev->msg);
			ev->msg = xstrdup(tend_error_last());
			break;
		}
	}
	hs->failed = true;
	tend_error_clear();
}

/*
 * The add_host and group_by results of the batch's hosts, in host order,
 * into the run's inventory, and what the play's templates see of it:
 * groups, hostvars, group_names.
 */
static void inventory_changes(struct playctx *pc)
{
	struct inventory *inv = pc->rs->inv;
	bool any = false;

	for (size_t i = 0; i < pc->nr; i++) {
		struct hoststate *hs = &pc->hs[i];

		for (size_t k = 0; k < val_len(hs->inv_changes); k++) {
			const struct val *c = hs->inv_changes->u.list.items[k];
			const struct val *ah = val_dict_get(c, "add_host");

			any = true;
			if (ah && inventory_add_host(inv,
				    val_cstr(val_dict_get(ah, "host_name")),
				    val_dict_get(ah, "groups"),
				    val_dict_get(ah, "host_vars")) < 0)
				inventory_change_failed(hs, "add_host");
			else if (!ah && inventory_group_by(inv, hs->name,
				    val_cstr(val_dict_get(c, "add_group")),
				    val_dict_get(c, "parent_groups")) < 0)
				inventory_change_failed(hs, "group_by");
		}
		val_unref(hs->inv_changes);
		hs->inv_changes = val_list();
	}
	if (!any)
		return;
	val_dict_set(pc->common, "groups", inventory_groups(inv));
	for (size_t i = 0; i < inv->hosts_nr; i++) {
		struct host *h = inv->hosts[i];
		bool in_play = false;

		for (size_t j = 0; j < pc->nr && !in_play; j++)
			in_play = pc->hs[j].host == h;
		if (!in_play)
			val_dict_set(pc->hostvars, h->name,
				     inventory_host_vars(inv, h));
	}
	for (size_t j = 0; j < pc->nr; j++) {
		val_dict_set(pc->hs[j].magic, "group_names",
			     inventory_group_names(inv, pc->hs[j].host));
		pc->hs[j].dirty = true;
	}
}


/* A host of the play (any batch) by name, or NULL. */
static struct hoststate *play_host(struct playctx *pc, const char *name)
{
	for (size_t i = 0; i < pc->nr_all; i++)
		if (!strcmp(pc->hs_all[i].name, name))
			return &pc->hs_all[i];
	return NULL;
}

/* A host's carried dicts (runstate carry), made empty when it has none. */
static struct val *carried(struct playctx *pc, const char *name)
{
	struct val *c = (struct val *)run_carried(pc->rs, name);

	if (!c) {
		c = val_dict();
		val_dict_set(c, "facts", val_dict());
		val_dict_set(val_dict_get(c, "facts"), "ansible_facts",
			     val_dict());
		val_dict_set(c, "incvars", val_dict());
		val_dict_set(c, "hostfacts", val_dict());
		val_dict_set(pc->rs->carry, name, c);
	}
	return c;
}

/*
 * Gathered facts (a delegated setup's) for host `name`: its facts and
 * fact cache, as its own gathering's would be.
 */
static void deliver_setup(struct playctx *pc, const char *name,
			  const struct val *e)
{
	bool gathered = val_dict_get(e, "gathered")->u.b;
	struct hoststate *to = play_host(pc, name);
	struct val *c, *cf, *fv, *hv;

	if (to) {
		run_set_facts(to, val_dict_get(e, "facts"), gathered);
		run_cache_store(pc->rs, name, to->factvars,
				to->facts_gathered);
		val_dict_set(pc->hostvars, name, run_host_visible_vars(to));
		return;
	}
	cf = run_facts_cache_form(val_dict_get(e, "facts"), gathered);
	c = carried(pc, name);
	fv = val_dict_get(c, "facts");
	run_facts_merge(fv, cf);
	if (gathered)
		val_dict_set_bool(c, "gathered", true);
	run_cache_store(pc->rs, name, fv,
			truth_python(val_dict_get(c, "gathered")));
	hv = val_dict_get(pc->hostvars, name);
	if (hv) {
		hv = val_copy(hv);
		run_facts_merge(hv, cf);
		val_dict_set(pc->hostvars, name, hv);
	} else if (!strcmp(name, "localhost")) {
		val_dict_set(pc->hostvars, name,
			     run_localhost_vars(pc->rs->inv, c));
	}
	val_unref(cf);
}

/*
 * The facts delegate_facts tasks of hs set for other hosts: a host of
 * the play gets them now; any other keeps them for its later plays
 * (runstate carry), and hostvars shows them at once.
 */
static void deliver_facts(struct playctx *pc, struct hoststate *hs)
{
	for (size_t i = 0; i < val_len(hs->facts_out); i++) {
		const struct val *e = val_list_at(hs->facts_out, i);
		const char *name = val_cstr(val_dict_get(e, "host"));
		bool inc = val_dict_get(e, "incvars")->u.b;
		struct hoststate *to = play_host(pc, name);
		struct val *c, *hv;

		if (val_dict_get(e, "setup")) {
			deliver_setup(pc, name, e);
			continue;
		}
		if (to) {
			val_dict_update(inc ? to->incvars : to->hostfacts,
					val_dict_get(e, "facts"), false);
			val_dict_set(pc->hostvars, to->name,
				     run_host_visible_vars(to));
			continue;
		}
		c = carried(pc, name);
		val_dict_update(val_dict_get(c, inc ? "incvars" : "hostfacts"),
				val_dict_get(e, "facts"), false);
		hv = val_dict_get(pc->hostvars, name);
		if (hv) {
			hv = val_copy(hv);
			val_dict_update(hv, val_dict_get(e, "facts"), false);
			val_dict_set(pc->hostvars, name, hv);
		} else if (!strcmp(name, "localhost")) {
			val_dict_set(pc->hostvars, name,
			     run_localhost_vars(pc->rs->inv, c));
		}
	}
	val_unref(hs->facts_out);
	hs->facts_out = NULL;
}


/* What a run_once task gives the batch's other hosts. */
struct gift {
	struct val *vars;   /* the registered variable and facts, by name */
	bool failed;        /* a failure not ignored fails them all */
	bool unknown;       /* a plan: what hangs on it is unknown */
	struct val *who;    /* then the task, as run_task_ref names it */
	const char *reg;    /* and the variable it registered, or NULL */
	/*
	 * Facts for the fact cache (setup's, a cacheable set_fact's), as
	 * the cache keeps them, or NULL; `gathered`: gather_facts' (its mark)
	 */
	struct val *cached;
	bool gathered;
};

/*
 * What the run_once task t put in its host's fact cache: setup's facts
 * (or gather_facts'), a cacheable set_fact's (those its host has among
 * its cached facts), with the values as the host keeps them.
 */
static void once_cached(struct gift *g, const struct task *t,
			const struct hoststate *from, const struct val *facts)
{
	struct val *c = NULL;

	if (t->module && (t->module->flags & MOD_FACTS)) {
		struct val *f = run_setup_result_facts(facts, false);

		g->gathered = !strcmp(t->module->name, "gather_facts");
		c = run_facts_cache_form(f, g->gathered);
		val_unref(f);
	} else {
		c = val_dict();
		for (size_t k = 0; k < facts->u.dict.nr; k++)
			if (val_dict_get(from->factvars,
					 facts->u.dict.items[k].key))
				val_dict_set(c, facts->u.dict.items[k].key,
					     val_null());
	}
	for (size_t k = 0; k < c->u.dict.nr; k++) {
		const struct val *v = val_dict_get(from->factvars,
						   c->u.dict.items[k].key);

		if (v)
			val_dict_set(c, c->u.dict.items[k].key,
				     val_ref((struct val *)v));
	}
	if (val_len(c))
		g->cached = c;
	else
		val_unref(c);
}

static void copy_var(struct val *to, const struct hoststate *from,
		     const char *name)
{
	struct val *v = val_dict_get(from->hostfacts, name);

	if (v)
		val_dict_set(to, name, val_ref(v));
}

/*
 * The gift of run_once task t, run on host `from` (its once_result,
 * which it drops): the variable it registered and the facts it set.
 */
static struct gift once_gift(const struct task *t, struct hoststate *from,
			     bool failed)
{
	struct val *r = from->once_result;
	const struct val *facts = val_dict_get(r, "ansible_facts");
	struct gift g = { .vars = NULL, .failed = failed };

	if (!r)
		return g;
	g.vars = val_dict();
	if (t->register_as)
		copy_var(g.vars, from, t->register_as);
	/* a result may say "failed": false (Ansible's results always do) */
	for (size_t k = 0; facts && !truth_python(val_dict_get(r, "failed")) &&
	     k < facts->u.dict.nr; k++)
		copy_var(g.vars, from, facts->u.dict.items[k].key);
	if (val_is(facts, VAL_DICT) && !truth_python(val_dict_get(r, "failed")))
		once_cached(&g, t, from, facts);
	g.unknown = val_dict_get(r, "tend_unknown") != NULL;
	if (g.unknown && from->unknown_last) {
		g.who = val_ref(from->unknown_last);
		g.reg = t->register_as;
	}
	from->once_result = NULL;
	val_unref(r);
	return g;
}

/* As Ansible's strategy: every host not unreachable takes it. */
static void gift_take(struct runstate *rs, struct hoststate *to,
		      const struct gift *g)
{
	if (to->unreachable)
		return;
	if (g->vars)
		val_dict_update(to->hostfacts, g->vars, false);
	if (g->cached) {
		run_facts_merge(to->factvars, g->cached);
		to->facts_gathered |= g->gathered;
		run_cache_store(rs, to->name, to->factvars,
				to->facts_gathered);
	}
	if (g->failed)
		to->failed = true;
	if (g->unknown)
		to->unknown_results = true;
	if (g->who) {
		val_unref(to->unknown_last);
		to->unknown_last = val_ref(g->who);
		if (g->reg && !to->unknown_from)
			to->unknown_from = val_dict();
		if (g->reg)
			val_dict_set(to->unknown_from, g->reg, val_ref(g->who));
	}
	to->dirty = true;
}

static void gift_drop(struct gift *g)
{
	val_unref(g->vars);
	val_unref(g->cached);
	val_unref(g->who);
}

/* What changed on the batch's hosts, into hostvars. */
static void publish(struct playctx *pc)
{
	for (size_t i = 0; i < pc->nr; i++) {
		struct hoststate *hs = &pc->hs[i];

		deliver_facts(pc, hs);
		if (hs->dirty) {
			val_dict_set(pc->hostvars, hs->name,
				     run_host_visible_vars(hs));
			hs->dirty = false;
		}
	}
}

void run_settle(struct playctx *pc)
{
	inventory_changes(pc);
	publish(pc);
}

void run_share_once(struct playctx *pc, const struct task *t,
		    struct hoststate *from)
{
	struct gift g;

	if (!from->once_result)
		return;
	g = once_gift(t, from, from->failed);
	for (size_t i = 0; i < pc->nr; i++)
		if (&pc->hs[i] != from)
			gift_take(pc->rs, &pc->hs[i], &g);
	gift_drop(&g);
	publish(pc);
}

/* ---- hosts that walk nested tasks together ---- */

enum { LS_RUN, LS_RUNNER, LS_FOLLOW };

/* A run_once task of the round: who runs it, and when it is done. */
struct once {
	size_t runner;       /* index into pc->hs */
	bool done;
	struct gift g;
	bool *took;          /* per host: took it already (a follower) */
};

struct lockstep {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a round starts, a run_once is done */
	pthread_cond_t slot_cv;  /* a fork is free */
	size_t active;           /* hosts still walking */
	size_t arrived;          /* hosts waiting for the next round */
	unsigned long round;
	size_t slots;            /* forks free */
	bool *slot_wait;         /* per host: to take a fork, this round */
	const struct task **at;  /* per host: the task it waits at */
	unsigned char *part;     /* per host: LS_*, in this round */
	size_t *once_of;         /* per host: its run_once, in this round */
	struct once *once;
	size_t once_nr, once_alloc;
};

static size_t host_index(const struct hostctx *hc)
{
	return (size_t)(hc->hs - hc->pc->hs);
}

/* The gifts of the last round to the hosts that have not taken them. */
static void give_all(struct playctx *pc, struct lockstep *ls)
{
	for (size_t k = 0; k < ls->once_nr; k++) {
		struct once *o = &ls->once[k];

		for (size_t i = 0; i < pc->nr; i++)
			if (i != o->runner && !o->took[i])
				gift_take(pc->rs, &pc->hs[i], &o->g);
		gift_drop(&o->g);
		free(o->took);
	}
	ls->once_nr = 0;
}

/*
 * Every host of the step waits (or is done): settle what the last round
 * did, give each waiting host its part, start the round.
 */
static void round_start(struct playctx *pc, struct lockstep *ls)
{
	give_all(pc, ls);
	run_settle(pc);
	for (size_t i = 0; i < pc->nr; i++) {
		const struct task *t = ls->at[i];
		size_t j = 0;

		ls->part[i] = LS_RUN;
		ls->slot_wait[i] = t != NULL;
		run_throttle_expect(pc, &pc->hs[i], t);
		if (!t || !t->run_once)
			continue;
		while (j < i && ls->at[j] != t)
			j++;
		if (j < i) {
			ls->part[i] = LS_FOLLOW;
			ls->slot_wait[i] = false;
			ls->once_of[i] = ls->once_of[j];
			continue;
		}
		ALLOC_GROW(ls->once, ls->once_nr + 1, ls->once_alloc);
		memset(&ls->once[ls->once_nr], 0, sizeof(*ls->once));
		ls->once[ls->once_nr].runner = i;
		ls->once[ls->once_nr].took = xcalloc(pc->nr, sizeof(bool));
		ls->once_of[i] = ls->once_nr++;
		ls->part[i] = LS_RUNNER;
	}
	for (size_t i = 0; i < pc->nr; i++)
		ls->at[i] = NULL;
	ls->arrived = 0;
	ls->round++;
	pthread_cond_broadcast(&ls->cv);
}

void run_lockstep_start(struct playctx *pc, size_t hosts, size_t forks)
{
	struct lockstep *ls = xcalloc(1, sizeof(*ls));
	size_t n = pc->nr ? pc->nr : 1;

	pthread_mutex_init(&ls->mu, NULL);
	pthread_cond_init(&ls->cv, NULL);
	pthread_cond_init(&ls->slot_cv, NULL);
	ls->active = hosts;
	ls->slots = forks ? forks : 1;
	ls->at = xcalloc(n, sizeof(*ls->at));
	ls->part = xcalloc(n, sizeof(*ls->part));
	ls->once_of = xcalloc(n, sizeof(*ls->once_of));
	ls->slot_wait = xcalloc(n, sizeof(*ls->slot_wait));
	pc->ls = ls;
}

void run_lockstep_leave(struct playctx *pc)
{
	struct lockstep *ls = pc->ls;

	pthread_mutex_lock(&ls->mu);
	ls->active--;
	if (ls->active && ls->arrived == ls->active)
		round_start(pc, ls);
	pthread_mutex_unlock(&ls->mu);
}

void run_lockstep_end(struct playctx *pc)
{
	struct lockstep *ls = pc->ls;

	give_all(pc, ls);
	pthread_mutex_destroy(&ls->mu);
	pthread_cond_destroy(&ls->cv);
	pthread_cond_destroy(&ls->slot_cv);
	free(ls->at);
	free(ls->part);
	free(ls->once_of);
	free(ls->slot_wait);
	free(ls->once);
	free(ls);
	pc->ls = NULL;
}

/* Wait for the round that runs t on this host; this host's part in it. */
static int meet(struct hostctx *hc, const struct task *t)
{
	struct playctx *pc = hc->pc;
	struct lockstep *ls = pc->ls;
	size_t me = host_index(hc);
	unsigned long round;
	int part;

	pthread_mutex_lock(&ls->mu);
	ls->at[me] = t;
	round = ls->round;
	if (++ls->arrived == ls->active)
		round_start(pc, ls);
	while (ls->round == round)
		pthread_cond_wait(&ls->cv, &ls->mu);
	part = ls->part[me];
	pthread_mutex_unlock(&ls->mu);
	return part;
}

/* Whether a host before `me` in the play's order waits for a fork. */
static bool earlier_waits(const struct lockstep *ls, size_t me)
{
	for (size_t i = 0; i < me; i++)
		if (ls->slot_wait[i])
			return true;
	return false;
}

/*
 * Take a fork (after the hosts before this one in the play's order that
 * run a task in this round: Ansible starts them in that order), or give
 * it back.
 */
static void fork_slot(struct lockstep *ls, size_t me, bool take)
{
	pthread_mutex_lock(&ls->mu);
	if (take) {
		while (!ls->slots || earlier_waits(ls, me))
			pthread_cond_wait(&ls->slot_cv, &ls->mu);
		ls->slots--;
		ls->slot_wait[me] = false;
	} else {
		ls->slots++;
	}
	pthread_cond_broadcast(&ls->slot_cv);
	pthread_mutex_unlock(&ls->mu);
}

/*
 * A follower: wait for the runner, take what it gives. A plan where that
 * is unknown: what follows in the block runs only if t succeeds (as
 * run_add_event marks the runner's).
 */
static bool follow(struct hostctx *hc, const struct task *t)
{
	struct lockstep *ls = hc->pc->ls;
	size_t me = host_index(hc);
	struct once *o;
	struct gift g;

	pthread_mutex_lock(&ls->mu);
	o = &ls->once[ls->once_of[me]];
	while (!o->done)
		pthread_cond_wait(&ls->cv, &ls->mu);
	o->took[me] = true;
	g = o->g;
	pthread_mutex_unlock(&ls->mu);
	/* its own state: no other worker touches it */
	gift_take(hc->pc->rs, hc->hs, &g);
	if (g.unknown && hc->watch_unknown && !hc->after_unknown &&
	    !hc->rescue_of) {
		struct buf hung = BUF_INIT;

		run_task_ref(&hung, t);
		hc->after_unknown = val_str(hung.ptr);
		buf_release(&hung);
	}
	return g.failed;
}

bool run_lockstep_task(struct hostctx *hc, const struct task *t,
		       struct varstack *vs, run_task_fn *run)
{
	struct lockstep *ls = hc->pc->ls;
	int part = meet(hc, t);
	struct gift g;
	bool failed;

	if (part == LS_FOLLOW)
		return follow(hc, t);
	fork_slot(ls, host_index(hc), true);
	failed = run(hc, t, vs);
	run_throttle_expect(hc->pc, hc->hs, NULL);
	fork_slot(ls, host_index(hc), false);
	if (part != LS_RUNNER)
		return failed;
	/* made on this host's own state, then handed to the followers */
	g = once_gift(t, hc->hs, failed);
	pthread_mutex_lock(&ls->mu);
	ls->once[ls->once_of[host_index(hc)]].g = g;
	ls->once[ls->once_of[host_index(hc)]].done = true;
	pthread_cond_broadcast(&ls->cv);
	pthread_mutex_unlock(&ls->mu);
	return failed;
}
