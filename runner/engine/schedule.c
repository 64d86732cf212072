/*
 * Steps: one top-level task on every active host, in parallel up to
 * `forks`; stats, failures and handlers between steps.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/facts.h"
#include "tend/engine/run_int.h"
#include "tend/util/interrupt.h"
#include "tend/util/readlog.h"

#include <pthread.h>

/* ---- steps: one top-level task on every active host ---- */

struct step {
	struct playctx *pc;
	const struct task *t; /* NULL: gather facts (or the list below) */
	const struct tasklist *list; /* strategy free: a whole section */
	bool handler;
	size_t *hosts;
	size_t nr;
	size_t next; /* atomic */
	struct readlog *reads; /* the run's read log, for the workers */
};

void run_gather_facts(struct hostctx *hc)
{
	struct hoststate *hs = hc->hs;
	struct scopes *ss = xmalloc(sizeof(*ss));
	const struct scope *sc = run_build_scope(ss, hc, NULL, NULL, NULL, NULL);
	struct val *facts = NULL;
	int error;

	if ((error = run_host_connect(hc, sc)) < 0 ||
	    (error = facts_gather(&facts, hs->conn->t)) < 0) {
		run_add_event(hc, NULL, error == TEND_EUNREACHABLE ?
			  EV_UNREACHABLE : EV_FAILED, NULL, tend_error_last());
		if (error == TEND_EUNREACHABLE)
			hs->unreachable = true;
		else
			hs->failed = true;
		free(ss);
		return;
	}
	/* facts are host data: never rendered as templates */
	facts = val_unsafe(facts);
	val_unref(hs->factvars);
	hs->factvars = val_dict();
	for (size_t i = 0; i < facts->u.dict.nr; i++) {
		struct buf k = BUF_INIT;

		buf_addf(&k, "ansible_%s", facts->u.dict.items[i].key);
		val_dict_set(hs->factvars, k.ptr,
			     val_ref(facts->u.dict.items[i].v));
		buf_release(&k);
	}
	val_dict_set(hs->factvars, "ansible_facts", facts);
	hs->dirty = true;
	run_add_event(hc, NULL, EV_OK, NULL, NULL);
	free(ss);
}

static void step_host(struct step *s, struct hoststate *hs)
{
	struct hostctx hc = { .pc = s->pc, .hs = hs, .handler = s->handler };
	struct varstack vs = { .nr = 0 };
	const struct play *p = s->pc->play;

	hc.become = p->become > 0;
	hc.become_user = p->become_user;
	hc.no_log = p->no_log && run_no_log(&hc, p->no_log, NULL, NULL);
	if (s->t || s->list)
		run_progress(&hc, s->t);
	if (s->list) {
		for (size_t i = 0; i < s->list->nr; i++)
			if (run_task(&hc, s->list->items[i], &vs) ||
			    hs->unreachable) {
				hs->failed = true;
				break;
			}
	} else if (!s->t) {
		run_gather_facts(&hc);
	} else if (run_task(&hc, s->t, &vs)) {
		hs->failed = true;
	}
	run_progress(&hc, NULL);
}

static void *step_worker(void *arg)
{
	struct step *s = arg;
	struct readlog *prev = readlog_use(s->reads);

	for (;;) {
		size_t i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);

		if (i >= s->nr)
			break;
		step_host(s, &s->pc->hs[s->hosts[i]]);
	}
	tend_error_clear(); /* its thread-local message dies with the thread */
	readlog_use(prev);
	return NULL;
}

static void stats_count(struct host_stats *st, const struct run_event *ev)
{
	if (ev->ignored) {
		/* as Ansible: ignored, and ok or changed besides */
		st->ignored++;
		if (ev->changed)
			st->changed++;
		else
			st->ok++;
		return;
	}
	if (ev->rescued) {
		st->rescued++;
		return;
	}
	switch (ev->status) {
	case EV_OK:
		st->ok++;
		break;
	case EV_CHANGED:
		st->changed++;
		break;
	case EV_UNKNOWN:
		st->unknown++;
		break;
	case EV_SKIPPED:
		st->skipped++;
		break;
	case EV_FAILED:
		st->failed++;
		break;
	case EV_UNREACHABLE:
		st->unreachable++;
		break;
	}
}

static bool same_task(const struct run_event *a, const struct run_event *b)
{
	return a->pos.file == b->pos.file && a->pos.line == b->pos.line &&
	       a->pos.col == b->pos.col && b->label;
}

/*
 * A loop counts once per host in the stats, as Ansible's recap does:
 * failed over changed over ok, skipped only if every item was. Counts
 * the run of items starting at (*j) when *j is its first item.
 */
static void count_loop(struct host_stats *st, const struct run_event *ev,
		       size_t *j, size_t nr)
{
	struct run_event agg;
	size_t k = *j;
	bool all_skipped = true;

	if (k > 0 && same_task(&ev[k - 1], &ev[k]) && ev[k - 1].label)
		return; /* counted with its first item */
	agg = ev[k];
	agg.ignored = false;
	agg.status = EV_OK;
	for (; k < nr && (k == *j || same_task(&ev[*j], &ev[k])); k++) {
		const struct run_event *e = &ev[k];

		if (e->status != EV_SKIPPED)
			all_skipped = false;
		if ((e->status == EV_FAILED && !e->ignored) ||
		    e->status == EV_UNREACHABLE)
			agg.status = e->status;
		else if (e->status == EV_FAILED && e->ignored &&
			 agg.status != EV_FAILED)
			agg.ignored = true;
		else if ((e->status == EV_CHANGED || e->status == EV_UNKNOWN) &&
			 agg.status == EV_OK)
			agg.status = e->status;
	}
	for (k = *j; k < nr && (k == *j || same_task(&ev[*j], &ev[k])); k++) {
		/* a failed item a rescue answered: the loop was rescued */
		if (ev[k].rescued)
			agg.rescued = true;
		/* an ignored failure counts changed if an item changed */
		if (ev[k].status == EV_CHANGED || ev[k].changed)
			agg.changed = true;
	}
	if (all_skipped)
		agg.status = EV_SKIPPED;
	if (agg.status == EV_FAILED || agg.status == EV_UNREACHABLE)
		agg.ignored = false;
	stats_count(st, &agg);
}

static void step_finish(struct step *s)
{
	struct playctx *pc = s->pc;
	struct run_result *res = pc->rs->res;
	const struct run_hooks *hooks = pc->rs->opts->quiet ? NULL :
					pc->rs->opts->hooks;

	for (size_t i = 0; i < s->nr; i++) {
		struct hoststate *hs = &pc->hs[s->hosts[i]];

		for (size_t j = 0; j < hs->ev_nr; j++) {
			struct run_event *ev = &hs->ev[j];

			ev->play = (char *)(pc->play->name ? pc->play->name : "");
			ALLOC_GROW(res->events, res->nr + 1, res->alloc);
			res->events[res->nr++] = *ev;
			if (ev->label)
				count_loop(&res->hosts[hs->stats], hs->ev, &j,
					   hs->ev_nr);
			else
				stats_count(&res->hosts[hs->stats], ev);
			if (hooks && hooks->event)
				hooks->event(ev, hooks->payload);
		}
		hs->ev_nr = 0;
		if (hs->dirty) {
			val_dict_set(pc->hostvars, hs->name,
				     run_host_visible_vars(hs));
			hs->dirty = false;
		}
	}
}

/* any_errors_fatal and max_fail_percentage, checked after each step */
static void check_failures(struct playctx *pc)
{
	size_t failed = 0;

	for (size_t i = 0; i < pc->nr; i++)
		if (pc->hs[i].failed || pc->hs[i].unreachable)
			failed++;
	if (!failed)
		return;
	if (pc->play->any_errors_fatal)
		pc->end_play = true;
	if (pc->play->max_fail_percentage >= 0 &&
	    (double)failed * 100.0 / (double)pc->nr >
	    (double)pc->play->max_fail_percentage)
		pc->end_play = true;
}

static void run_step_list(struct playctx *pc, const struct task *t,
			  const struct tasklist *list, bool handler,
			  const size_t *only, size_t only_nr)
{
	struct step s = { .pc = pc, .t = t, .list = list, .handler = handler,
			  .reads = readlog_current() };
	size_t workers;
	pthread_t *tids;
	const struct run_opts *o = pc->rs->opts;

	if (pc->end_play || tend_interrupted)
		return;
	s.hosts = xmalloc((pc->nr ? pc->nr : 1) * sizeof(size_t));
	for (size_t i = 0; i < (only ? only_nr : pc->nr); i++) {
		size_t h = only ? only[i] : i;
		struct hoststate *hs = &pc->hs[h];

		if (!hs->failed && !hs->unreachable && !hs->ended)
			s.hosts[s.nr++] = h;
	}
	workers = (size_t)(o->forks > 0 ? o->forks : 1);
	if (workers > s.nr)
		workers = s.nr;
	if (workers <= 1) {
		step_worker(&s);
	} else {
		tids = xmalloc(workers * sizeof(*tids));
		for (size_t i = 0; i < workers; i++)
			if (pthread_create(&tids[i], NULL, step_worker, &s))
				BUG("pthread_create failed");
		for (size_t i = 0; i < workers; i++)
			pthread_join(tids[i], NULL);
		free(tids);
	}
	step_finish(&s);
	free(s.hosts);
	check_failures(pc);
}

void run_step(struct playctx *pc, const struct task *t, bool handler,
	      const size_t *only, size_t only_nr)
{
	run_step_list(pc, t, NULL, handler, only, only_nr);
}

static bool handler_listens(const struct task *h, const struct val *name)
{
	if (h->name && val_cstr(name) && !strcmp(h->name, val_cstr(name)))
		return true;
	for (size_t i = 0; i < val_len(h->listen); i++)
		if (val_equal(h->listen->u.list.items[i], name))
			return true;
	return false;
}

/* Which of a host's notifications some handler of this pass answered. */
struct answered {
	bool *v;
	size_t nr, alloc;
};

/*
 * Does handler h answer one of host hs's notifications? Each one it
 * answers is marked, not removed: every handler listening to a topic
 * runs (Ansible), and the pass drops the answered ones at its end.
 */
static bool handler_hit(const struct task *h, const struct hoststate *hs,
			struct answered *a)
{
	bool hit = false;
	size_t n = val_len(hs->notified);

	if (a->nr < n) {
		ALLOC_GROW(a->v, n, a->alloc);
		memset(a->v + a->nr, 0, (n - a->nr) * sizeof(*a->v));
		a->nr = n;
	}
	for (size_t k = 0; k < n; k++)
		if (handler_listens(h, hs->notified->u.list.items[k])) {
			a->v[k] = true;
			hit = true;
		}
	return hit;
}

/* Drop the notifications the pass answered; a->nr is reset. */
static void drop_answered(struct hoststate *hs, struct answered *a)
{
	struct val *keep = val_list();

	for (size_t k = 0; k < val_len(hs->notified); k++)
		if (k >= a->nr || !a->v[k])
			val_list_push(keep, val_ref(hs->notified->u.list.items[k]));
	val_unref(hs->notified);
	hs->notified = keep;
	a->nr = 0;
}

static void flush_handlers(struct playctx *pc)
{
	const struct tasklist *hl = &pc->play->handlers;
	size_t *who = xmalloc((pc->nr ? pc->nr : 1) * sizeof(size_t));
	struct answered *a = xcalloc(pc->nr ? pc->nr : 1, sizeof(*a));

	/* a handler may notify a later one: go round until quiet */
	for (int round = 0; round < 16; round++) {
		bool any = false;

		for (size_t i = 0; i < hl->nr; i++) {
			const struct task *h = hl->items[i];
			size_t n = 0;

			for (size_t j = 0; j < pc->nr; j++)
				if (handler_hit(h, &pc->hs[j], &a[j]))
					who[n++] = j;
			if (n) {
				any = true;
				run_step(pc, h, true, who, n);
			}
		}
		for (size_t j = 0; j < pc->nr; j++)
			drop_answered(&pc->hs[j], &a[j]);
		if (!any)
			break;
	}
	for (size_t j = 0; j < pc->nr; j++)
		free(a[j].v);
	free(a);
	free(who);
}

void run_section(struct playctx *pc, const struct tasklist *l)
{
	if (pc->play->strategy_free) {
		/* every host goes through the section at its own pace */
		if (l->nr)
			run_step_list(pc, NULL, l, false, NULL, 0);
		flush_handlers(pc);
		return;
	}
	for (size_t i = 0; i < l->nr && !pc->end_play && !tend_interrupted;
	     i++) {
		const struct task *t = l->items[i];

		if (t->kind == TASK_META && !strcmp(t->meta, "flush_handlers"))
			flush_handlers(pc);
		else
			run_step(pc, t, false, NULL, 0);
	}
	flush_handlers(pc);
}
