/*
 * Steps: one top-level task on every active host, in parallel up to
 * `forks` (a block, include or role's hosts walk it together:
 * lockstep.c); stats, failures and handlers between steps.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/facts.h"
#include "tend/engine/run_int.h"
#include "tend/transport/ssh.h"
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
	const struct play *p = hc->pc->play;
	struct facts_opts o = { .fact_path = p->fact_path,
				.gather_subset = p->gather_subset };
	struct val *facts = NULL;
	bool go = true;
	int error;

	/* a play imported with when: gathering tests it on each host first */
	if ((error = run_eval_conditions(&go, hc->pc->play->gather_when, sc,
					 NULL)) < 0 || !go) {
		run_add_event(hc, NULL, error < 0 ? EV_FAILED : EV_SKIPPED, NULL,
			      error < 0 ? tend_error_last() : NULL);
		if (error < 0)
			hs->failed = true;
		free(ss);
		return;
	}
	/* as Ansible's setup, with the play's become */
	if ((error = facts_subsets(&o.subsets, p->gather_subset)) < 0 ||
	    (error = run_host_connect(hc, sc)) < 0 ||
	    (error = facts_gather(&facts, hs->conn->t, &o, hc->become ?
				  (hc->become_user ? hc->become_user : "root") :
				  NULL)) < 0) {
		bool ignore = false;

		run_add_event(hc, NULL, error == TEND_EUNREACHABLE ?
			  EV_UNREACHABLE : EV_FAILED, NULL, tend_error_last());
		if (error == TEND_EUNREACHABLE && hc->ignore_unreachable &&
		    run_flag(&ignore, hc, hc->ignore_unreachable, NULL,
			     NULL) < 0)
			tend_error_clear();
		if (ignore)
			run_last_event(hc)->ignored = true;
		else if (error == TEND_EUNREACHABLE)
			hs->unreachable = true;
		else
			hs->failed = true;
		hs->fatal = !ignore && hc->any_errors_fatal;
		free(ss);
		return;
	}
	run_set_facts(hs, facts, true);
	run_cache_store(hc->pc->rs, hs->name, hs->factvars, true);
	val_unref(facts);
	run_add_event(hc, NULL, EV_OK, NULL, NULL);
	free(ss);
}

/*
 * A plan's tasks may check a host without a round trip (a command is
 * unknown without one), so the connection they set up may never have been
 * made: make it now (SSH: the session), or record the host unreachable.
 * A host no task of the host's own wanted (every task delegated, or
 * refused) is left alone, as Ansible leaves it.
 */
static void run_probe(struct hostctx *hc)
{
	struct hoststate *hs = hc->hs;
	int error;

	if (!hs->conn || !hs->conn->t || strcmp(hs->conn->t->name, "ssh"))
		return;
	if ((error = transport_ssh_connect(hs->conn->t)) < 0) {
		bool ignore = false;

		run_add_event(hc, NULL, EV_UNREACHABLE, NULL, tend_error_last());
		if (hc->ignore_unreachable &&
		    run_flag(&ignore, hc, hc->ignore_unreachable, NULL,
			     NULL) < 0)
			tend_error_clear();
		if (ignore)
			run_last_event(hc)->ignored = true;
		else
			hs->unreachable = true;
	}
	tend_error_clear();
}

void run_probe_step(struct playctx *pc)
{
	pc->probing = true;
	run_step(pc, NULL, false, NULL, 0);
	pc->probing = false;
}

static void step_host(struct step *s, struct hoststate *hs)
{
	struct hostctx hc = { .pc = s->pc, .hs = hs, .handler = s->handler };
	struct varstack vs = { .nr = 0 };
	const struct play *p = s->pc->play;
	bool b;

	/* a role's handler runs with its role's vars */
	if (s->t && s->t->role)
		vs.role = s->t->role;
	hc.become = p->become > 0;
	if (p->become_tpl && run_flag(&b, &hc, p->become_tpl, NULL, NULL) < 0) {
		run_add_event(&hc, s->t, EV_FAILED, NULL, tend_error_last());
		tend_error_clear();
		hs->failed = true;
		return;
	} else if (p->become_tpl) {
		hc.become = b;
	}
	hc.become_user = p->become_user;
	hc.ignore_errors = p->ignore_errors;
	hc.ignore_unreachable = p->ignore_unreachable;
	if (p->check_mode &&
	    run_check_mode(&hc, p->check_mode, NULL, s->t) < 0) {
		hs->failed = true;
		return;
	}
	hc.any_errors_fatal = s->pc->any_errors_fatal;
	if (p->module_defaults)
		hc.mdefs[hc.mdefs_nr++] = p->module_defaults;
	hc.become_method = p->become_method;
	hc.no_log = p->no_log && run_no_log(&hc, p->no_log, NULL, NULL);
	if (p->environment)
		hc.env[hc.env_nr++] = p->environment;
	if (s->t || s->list)
		run_progress(&hc, s->t);
	if (s->list) {
		for (size_t i = 0; i < s->list->nr; i++)
			if (run_task(&hc, s->list->items[i], &vs) ||
			    hs->unreachable) {
				hs->failed = true;
				break;
			}
	} else if (!s->t && s->pc->probing) {
		run_probe(&hc);
	} else if (!s->t) {
		run_gather_facts(&hc);
	} else if (run_task(&hc, s->t, &vs)) {
		hs->failed = true;
	}
	/* a failure outside a module call (a keyword's template) */
	if (hs->failed && !hs->fatal_set)
		hs->fatal = hc.any_errors_fatal;
	free(hc.fact_host);
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
		run_throttle_expect(s->pc, &s->pc->hs[s->hosts[i]], NULL);
		if (s->pc->ls)
			run_lockstep_leave(s->pc);
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

size_t run_stats_index(struct runstate *rs, const char *host)
{
	struct run_result *res = rs->res;
	const struct val *at = val_dict_get(rs->stats_index, host);

	if (at)
		return (size_t)at->u.i;
	ALLOC_GROW(res->hosts, res->hosts_nr + 1, res->hosts_alloc);
	memset(&res->hosts[res->hosts_nr], 0, sizeof(struct host_stats));
	res->hosts[res->hosts_nr].host = xstrdup(host);
	val_dict_set_int(rs->stats_index, host, (long long)res->hosts_nr);
	return res->hosts_nr++;
}

/*
 * Every host shows a task under one name, as Ansible's banner: the name
 * the step's first host (in play order) rendered for it.
 */
static void same_names(struct step *s)
{
	struct val *first = val_dict();
	char key[32];

	for (size_t i = 0; i < s->nr; i++) {
		struct hoststate *hs = &s->pc->hs[s->hosts[i]];

		for (size_t j = 0; j < hs->ev_nr; j++) {
			struct run_event *ev = &hs->ev[j];
			const char *name;

			if (!ev->src)
				continue;
			snprintf(key, sizeof(key), "%p", ev->src);
			name = val_cstr(val_dict_get(first, key));
			if (!name) {
				val_dict_set_str(first, key, ev->task);
			} else if (strcmp(name, ev->task)) {
				free(ev->task);
				ev->task = xstrdup(name);
			}
		}
	}
	val_unref(first);
}

static void step_finish(struct step *s)
{
	struct playctx *pc = s->pc;
	struct run_result *res = pc->rs->res;
	const struct run_hooks *hooks = pc->rs->opts->quiet ? NULL :
					pc->rs->opts->hooks;

	run_settle(pc);
	same_names(s);
	for (size_t i = 0; i < s->nr; i++) {
		struct hoststate *hs = &pc->hs[s->hosts[i]];

		if (hs->ev_nr && hs->stats == NO_STATS)
			hs->stats = run_stats_index(pc->rs, hs->name);
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
	}
}

/*
 * any_errors_fatal (of the task that failed: its own, its blocks', the
 * play's) and max_fail_percentage, checked after each step over the
 * hosts `s` ran; either ends the play, and Ansible's playbook with it.
 */
static void check_failures(struct playctx *pc, const struct step *s)
{
	size_t failed = 0;

	/*
	 * A host that failed in an earlier play counts toward
	 * max_fail_percentage (Ansible's _failed_hosts keeps it) but is no
	 * error of this play's for any_errors_fatal.
	 */
	for (size_t i = 0; i < pc->nr; i++)
		if (pc->hs[i].failed || pc->hs[i].unreachable)
			failed++;
	if (!failed)
		return;
	for (size_t i = 0; i < s->nr; i++) {
		const struct hoststate *hs = &pc->hs[s->hosts[i]];

		/* any_errors_fatal where it held for the task that failed */
		if ((hs->failed || hs->unreachable) && hs->fatal &&
		    !hs->was_down)
			pc->end_play = pc->break_play = true;
	}
	/* as Ansible's strategy: the play breaks, and the playbook stops */
	if (pc->play->max_fail_percentage >= 0 &&
	    (double)failed * 100.0 / (double)pc->nr >
	    (double)pc->play->max_fail_percentage)
		pc->end_play = pc->break_play = true;
}

static void run_step_list(struct playctx *pc, const struct task *t,
			  const struct tasklist *list, bool handler,
			  const size_t *only, size_t only_nr, bool failed_too)
{
	struct step s = { .pc = pc, .t = t, .list = list, .handler = handler,
			  .reads = readlog_current() };
	bool lockstep = t && (t->kind == TASK_BLOCK ||
			      t->kind == TASK_INCLUDE || t->kind == TASK_ROLE);
	size_t workers;
	pthread_t *tids;
	const struct run_opts *o = pc->rs->opts;

	if (pc->end_play || tend_interrupted)
		return;
	s.hosts = xmalloc((pc->nr ? pc->nr : 1) * sizeof(size_t));
	for (size_t i = 0; i < (only ? only_nr : pc->nr); i++) {
		size_t h = only ? only[i] : i;
		struct hoststate *hs = &pc->hs[h];

		if ((!hs->failed || failed_too) && !hs->unreachable &&
		    !hs->ended)
			s.hosts[s.nr++] = h;
	}
	for (size_t i = 0; i < s.nr; i++)
		pc->hs[s.hosts[i]].fatal = pc->hs[s.hosts[i]].fatal_set = false;
	/* run_once: the first active host of the batch runs it */
	if (t && t->run_once && s.nr > 1)
		s.nr = 1;
	/* a throttled task: its hosts are admitted in this order */
	for (size_t i = 0; !lockstep && i < s.nr; i++)
		run_throttle_expect(pc, &pc->hs[s.hosts[i]], t);
	workers = (size_t)(o->forks > 0 ? o->forks : 1);
	if (workers > s.nr)
		workers = s.nr;
	/* nested tasks: every host walks, `forks` of them run a task */
	if (lockstep) {
		run_lockstep_start(pc, s.nr, workers);
		workers = s.nr;
	}
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
	if (lockstep)
		run_lockstep_end(pc);
	if (t && t->run_once && s.nr)
		run_share_once(pc, t, &pc->hs[s.hosts[0]]);
	step_finish(&s);
	check_failures(pc, &s);
	free(s.hosts);
}

void run_step(struct playctx *pc, const struct task *t, bool handler,
	      const size_t *only, size_t only_nr)
{
	run_step_list(pc, t, NULL, handler, only, only_nr, false);
}

/* Whether handler h is named `name`: its name, or "ROLE : name". */
static bool handler_named(const struct task *h, const char *name)
{
	struct buf full = BUF_INIT;
	bool same;

	if (!h->name || !name)
		return false;
	if (!strcmp(h->name, name))
		return true;
	if (!h->role)
		return false;
	buf_addf(&full, "%s : %s", h->role->name, h->name);
	same = !strcmp(full.ptr, name);
	buf_release(&full);
	return same;
}

/*
 * The block of Ansible's that handler `t` of hl is in: a use of a role
 * brings its handlers as one block, the play's handlers are one. Blocks
 * are numbered by where they start in hl.
 */
static size_t handler_block(const struct tasklist *hl, const struct task *t)
{
	size_t k = 0;

	while (k < hl->nr && hl->items[k]->role != t->role)
		k++;
	return k;
}

/*
 * Whether handler `i` of hl answers notification `name`. By name, one
 * handler does, as Ansible finds it: the blocks searched last first (a
 * second use of a role over the first, the play's own over the roles'),
 * in a block the first. Or by a listen topic.
 */
static bool handler_listens(const struct tasklist *hl, size_t i,
			    const struct val *name)
{
	const struct task *h = hl->items[i];

	if (handler_named(h, val_cstr(name))) {
		size_t mine = handler_block(hl, h);

		for (size_t j = 0; j < hl->nr; j++) {
			const struct task *o = hl->items[j];

			if (j == i || !handler_named(o, val_cstr(name)))
				continue;
			if (o->role == h->role ? j < i :
			    handler_block(hl, o) > mine)
				return false;
		}
		return true;
	}
	for (size_t k = 0; k < val_len(h->listen); k++)
		if (val_equal(h->listen->u.list.items[k], name))
			return true;
	return false;
}

/*
 * The play's handlers, then those of the roles include_role loaded at
 * run time (pc->rt_play): a new list of borrowed tasks (free its items).
 */
static struct tasklist play_handlers(const struct playctx *pc)
{
	const struct tasklist *a = &pc->play->handlers;
	const struct tasklist *b = pc->rt_play ? &pc->rt_play->handlers : NULL;
	struct tasklist l = { 0 };

	l.alloc = a->nr + (b ? b->nr : 0) + 1;
	l.items = xcalloc(l.alloc, sizeof(*l.items));
	for (size_t i = 0; i < a->nr; i++)
		l.items[l.nr++] = a->items[i];
	for (size_t i = 0; b && i < b->nr; i++)
		l.items[l.nr++] = b->items[i];
	return l;
}

/* Which of a host's notifications some handler of this pass answered. */
struct answered {
	bool *v;
	size_t nr, alloc;
};

/*
 * Does handler i of hl answer one of host hs's notifications? Each one it
 * answers is marked, not removed: every handler listening to a topic
 * runs (Ansible), and the pass drops the answered ones at its end.
 */
static bool handler_hit(const struct tasklist *hl, size_t i,
			const struct hoststate *hs, struct answered *a)
{
	bool hit = false;
	size_t n = val_len(hs->notified);

	if (a->nr < n) {
		ALLOC_GROW(a->v, n, a->alloc);
		memset(a->v + a->nr, 0, (n - a->nr) * sizeof(*a->v));
		a->nr = n;
	}
	for (size_t k = 0; k < n; k++)
		if (handler_listens(hl, i, hs->notified->u.list.items[k])) {
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

/*
 * Run the notified handlers. `force`: on the hosts that failed too (the
 * flush at the end of a section under force_handlers, which Ansible
 * runs as an `always` of the section).
 */
static void flush_handlers(struct playctx *pc, bool force)
{
	struct tasklist all = play_handlers(pc);
	const struct tasklist *hl = &all;
	size_t *who = xmalloc((pc->nr ? pc->nr : 1) * sizeof(size_t));
	struct answered *a = xcalloc(pc->nr ? pc->nr : 1, sizeof(*a));

	/* a handler may notify a later one: go round until quiet */
	for (int round = 0; round < 16; round++) {
		bool any = false;

		for (size_t i = 0; i < hl->nr; i++) {
			const struct task *h = hl->items[i];
			size_t n = 0;

			for (size_t j = 0; j < pc->nr; j++)
				if (handler_hit(hl, i, &pc->hs[j], &a[j]))
					who[n++] = j;
			if (n) {
				any = true;
				run_step_list(pc, h, NULL, true, who, n,
					      force);
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
	free(all.items);
}

void run_section(struct playctx *pc, const struct tasklist *l)
{
	bool force = pc->play->force_handlers ||
		     pc->rs->opts->force_handlers;

	if (pc->strategy_free) {
		/* every host goes through the section at its own pace */
		if (l->nr)
			run_step_list(pc, NULL, l, false, NULL, 0, false);
		flush_handlers(pc, force);
		return;
	}
	for (size_t i = 0; i < l->nr && !pc->end_play && !tend_interrupted;
	     i++) {
		const struct task *t = l->items[i];

		if (t->kind == TASK_META && !strcmp(t->meta, "flush_handlers"))
			flush_handlers(pc, false);
		else
			run_step(pc, t, false, NULL, 0);
	}
	flush_handlers(pc, force);
}
