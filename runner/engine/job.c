#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/job.h"
#include "tend/engine/hostlock.h"
#include "tend/engine/winplan.h"
#include "tend/inventory/inventory.h"
#include "tend/util/readlog.h"
#include "tend/util/interrupt.h"
#include "tend/store/store.h"
#include "tend/windows/window.h"

#include <time.h>

/*
 * One job in flight: what the executor's hooks need between calls. The
 * windows follow the executor's batches: one window per `serial` batch,
 * covering the batch's hosts that the apply will change.
 */
struct job {
	const struct job_opts *o;
	struct job_result *res;
	struct store *store;
	int store_error;          /* the first failed record write */
	const struct winplan *wp;  /* the window hosts and tasks, or NULL */
	struct window *w;         /* the open window, or NULL */
	struct host_stats *w_base; /* its hosts' stats when it opened */
	size_t w_base_nr;
	struct hostlock locks;    /* the host locks of the batch (apply) */
	time_t started, w_started;
};

static void say(const struct job *j, int level, const char *fmt, ...)
	TEND_PRINTF(3, 4);
static void say(const struct job *j, int level, const char *fmt, ...)
{
	const struct job_hooks *h = j->o->hooks;
	struct buf b = BUF_INIT;
	va_list ap;

	if (!h || !h->message)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	h->message(level, b.ptr, h->payload);
	buf_release(&b);
}

/* The executor's options for this job, in `mode`. */
static struct run_opts run_opts_of(const struct job_opts *o,
				   enum run_mode mode)
{
	return (struct run_opts){
		.mode = mode, .limit = o->limit, .extra_vars = o->extra_vars,
		.tags = o->tags, .skip_tags = o->skip_tags,
		.forks = o->forks > 0 ? o->forks : 10,
		.verbosity = o->verbosity, .diff = o->diff,
		.force_handlers = o->force_handlers,
		.facts = o->facts,
		.defaults = o->defaults, .hasher = o->bind.hasher,
	};
}

/* Every playbook of the job in `mode`, into *out. */
static int run_all(struct run_result *out, const struct job_opts *o,
		   const struct run_opts *ro)
{
	/*
	 * add_host and group_by change the pass's own copy of the
	 * inventory, shared by its playbooks as Ansible's one run shares
	 * it: a plan pass leaves the apply pass the inventory as loaded.
	 */
	struct inventory *inv = inventory_clone(o->inv);
	struct run_opts later = *ro;
	int error = 0;

	/* an apply's --flush-cache removes the cache files once, first */
	if (ro->mode == RUN_APPLY)
		later.facts.flush = false;
	for (size_t i = 0; i < o->pbs_nr && !error; i++)
		error = run_playbook(out, o->pbs[i], inv, i ? &later : ro);
	/* the codes the job's caller tells apart are kept; the rest is -1 */
	if (error < 0 && error != TEND_ELOCKED && error != TEND_EINTERRUPTED)
		error = -1;
	inventory_free(inv);
	return error;
}

/* ---- change windows ---- */

/* Refuse an apply outside the allowed change windows, before anything. */
static int check_change_windows(const struct job *j)
{
	const struct job_opts *o = j->o;
	const struct config *cfg = o->cfg;
	bool allowed = true;
	time_t next = 0;
	char *reason = NULL;
	int error = 0;

	if (change_window_check(time(NULL), cfg->change_windows,
				cfg->change_windows_nr, &allowed, &next,
				&reason) < 0)
		return -1;
	if (!allowed && o->override_change_window && o->reason) {
		say(j, JOB_INFO, "outside the change windows (%s); overridden: "
		    "%s", reason ? reason : "", o->reason);
	} else if (!allowed) {
		char when[64] = "never";
		struct tm tm;

		if (next) {
			localtime_r(&next, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", &tm);
		}
		error = tend_error_set_code(TEND_EREFUSED, "refused: %s; the "
			"next allowed window opens %s (--override-change-window "
			"--reason TEXT to go ahead)",
			reason ? reason : "outside the change windows", when);
	} else if (o->override_change_window && !o->reason) {
		error = tend_error_set("--override-change-window needs --reason");
	}
	free(reason);
	return error;
}

/* ---- host locks, around each batch ---- */

static void say_lock(bool warning, const char *text, void *payload)
{
	say(payload, warning ? JOB_WARNING : JOB_INFO, "%s", text);
}

/*
 * Two applies must not change one host at once: the batch's hosts are
 * locked before the batch touches them and released after it
 * (hostlock.h; waiting up to --lock-timeout). A plan takes no lock.
 */
static void locks_init(struct job *j)
{
	hostlock_init(&j->locks, j->store, j->res->run_id, j->o->lock_timeout,
		      say_lock, j);
}

/* The waits for locks, into the result (for metrics). */
static void locks_count(struct job *j)
{
	j->res->lock_waits += j->locks.waits;
	j->res->lock_wait_seconds += j->locks.waited;
	j->locks.waits = 0;
	j->locks.waited = 0;
}

/* ---- maintenance windows, around each batch ---- */

/* The stats of `host` so far in this run, or NULL before its first event. */
static const struct host_stats *stats_of(const struct run_result *r,
					 const char *host)
{
	for (size_t i = 0; i < r->hosts_nr; i++)
		if (!strcmp(r->hosts[i].host, host))
			return &r->hosts[i];
	return NULL;
}

/*
 * Remember the stats of a window's hosts as it opens: its close reports
 * what happened on those hosts since, not the whole run's counts.
 */
static void window_baseline(struct job *j, const char *const *hosts,
			    size_t nr)
{
	j->w_base = xcalloc(nr ? nr : 1, sizeof(*j->w_base));
	j->w_base_nr = nr;
	j->w_started = time(NULL);
	for (size_t i = 0; i < nr; i++) {
		const struct host_stats *st = stats_of(&j->res->run, hosts[i]);

		if (st)
			j->w_base[i] = *st;
		j->w_base[i].host = xstrdup(hosts[i]);
	}
}

static bool str_in(const char **l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i], s))
			return true;
	return false;
}

/* Open a window for the hosts of this batch that the apply changes. */
static int hook_batch_start(const struct play *p, const char *const *hosts,
			    size_t nr, size_t batch_no, void *payload)
{
	struct job *j = payload;
	const char **mine;
	size_t n = 0;
	int error = 0;

	(void)batch_no;
	if (j->o->mode == RUN_APPLY &&
	    (error = hostlock_lock(&j->locks, hosts, nr)) < 0)
		return error;
	if (!j->wp)
		return 0;
	mine = xcalloc(nr ? nr : 1, sizeof(*mine));
	for (size_t i = 0; i < nr; i++) {
		const struct val *dels = val_dict_get(j->wp->hosts, hosts[i]);

		if (dels && !str_in(mine, n, hosts[i]))
			mine[n++] = hosts[i];
		/* the hosts its delegated tasks change: in its window too */
		for (size_t k = 0; k < val_len(dels); k++) {
			const char *d = val_cstr(val_list_at(dels, k));

			if (!str_in(mine, n, d)) {
				mine = xrealloc(mine, (n + 1 + nr) *
						sizeof(*mine));
				mine[n++] = d;
			}
		}
	}
	if (n) {
		struct window_opts wo = {
			.settings = &j->o->cfg->maintenance, .store = j->store,
			.run_id = j->res->run_id, .hosts = mine, .hosts_nr = n,
			.playbook = j->o->pbs_nr ? j->o->pbs[0]->path : NULL,
			.commit = j->o->commit, .reason = j->o->reason,
			.plan = j->wp->summary.ptr, .changes = j->wp->changes,
			.maintenance = p->maintenance,
		};
		struct val *fails;

		if ((error = window_open(&j->w, &wo)) < 0)
			goto out;
		if (j->w) {
			window_baseline(j, mine, n);
			say(j, JOB_INFO, "maintenance window %lld open on %zu "
			    "host%s", j->w->id, n, n == 1 ? "" : "s");
			fails = window_failures(j->w);
			for (size_t i = 0; i < val_len(fails); i++)
				say(j, JOB_WARNING, "%s",
				    val_cstr(val_list_at(fails, i)));
			val_unref(fails);
		}
	}
out:
	free(mine);
	return error;
}

static void close_window(struct job *j, const char *status)
{
	struct window_result wr = { .status = status };
	struct val *firing = NULL;

	if (!j->w)
		return;
	for (size_t i = 0; i < j->w_base_nr; i++) {
		const struct host_stats *b = &j->w_base[i];
		const struct host_stats *st = stats_of(&j->res->run, b->host);

		wr.hosts++;
		if (st) {
			wr.ok += st->ok - b->ok;
			wr.changed += st->changed - b->changed;
			wr.failed += st->failed - b->failed;
			wr.unreachable += st->unreachable - b->unreachable;
		}
		free(b->host);
	}
	free(j->w_base);
	j->w_base = NULL;
	j->w_base_nr = 0;
	wr.seconds = difftime(time(NULL), j->w_started);
	if (window_close(&firing, j->w, &wr) < 0) {
		char until[40];
		struct tm tm;

		gmtime_r(&j->w->ends_at, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
		say(j, JOB_WARNING, "closing maintenance window %lld: %s; the "
		    "next tend tries again, and it ends by itself at %s",
		    j->w->id, tend_error_last(), until);
	}
	for (size_t i = 0; i < val_len(firing); i++) {
		if (!j->res->firing)
			j->res->firing = val_list();
		val_list_push(j->res->firing, val_ref(val_list_at(firing, i)));
	}
	val_unref(firing);
	window_free(j->w);
	j->w = NULL;
}

static void hook_batch_end(const struct play *p, void *payload)
{
	(void)p;
	close_window(payload, tend_interrupted ? "interrupted" : "ok");
	hostlock_unlock(&((struct job *)payload)->locks);
}

/*
 * Which hosts will the apply change, and which of their tasks? A
 * read-only plan pass answers it, so the windows cover exactly those
 * hosts and the announcements list those tasks (winplan.h).
 */
static int find_changing_hosts(struct winplan *out, const struct job *j)
{
	struct run_result res = { 0 };
	struct run_opts ro = run_opts_of(j->o, RUN_PLAN);
	int error = 0;

	ro.quiet = true;
	ro.only_hosts = j->o->only_hosts;
	if (run_all(&res, j->o, &ro) < 0)
		error = -1;
	else
		winplan_build(out, &res, j->o->cfg->maintenance.unknown);
	run_result_release(&res);
	return error;
}

/* ---- the run's record and live hooks ---- */

static void hook_play(const struct play *p, size_t hosts, void *payload)
{
	const struct job_hooks *h = ((struct job *)payload)->o->hooks;

	if (h && h->play_start)
		h->play_start(p, hosts, h->payload);
}

static void hook_warning(const char *text, void *payload)
{
	say(payload, JOB_WARNING, "%s", text);
}

static int hook_step(const char *name, void *payload)
{
	const struct job_hooks *h = ((struct job *)payload)->o->hooks;

	return h->step(name, h->payload);
}

static void hook_progress(const char *host, const char *task, void *payload)
{
	const struct job_hooks *h = ((struct job *)payload)->o->hooks;

	if (h && h->progress)
		h->progress(host, task, h->payload);
}

/* A result: shown, then the window extended if due, then recorded. */
static void hook_event(const struct run_event *ev, void *payload)
{
	struct job *j = payload;
	const struct job_hooks *h = j->o->hooks;

	if (h && h->event)
		h->event(ev, h->payload);
	if (j->w && window_tick(j->w, time(NULL)) < 0)
		say(j, JOB_WARNING, "extending the maintenance window: %s",
		    tend_error_last());
	if (!j->store_error &&
	    store_run_event(j->store, j->res->run_id, ev) < 0) {
		j->store_error = -1;
		say(j, JOB_WARNING, "%s", tend_error_last());
	}
}

static int record_begin(struct job *j)
{
	const struct job_opts *o = j->o;
	struct buf names = BUF_INIT;
	struct run_info info = {
		.mode = o->mode == RUN_PLAN ? "plan" : "apply",
		.limit = o->limit,
		.commit = o->commit,
		.note = o->override_change_window ? o->reason : NULL,
		.trigger = o->trigger,
	};
	int error;

	for (size_t i = 0; i < o->pbs_nr; i++)
		buf_addf(&names, "%s%s", i ? " " : "", o->pbs[i]->path);
	info.playbook = names.ptr;
	error = store_run_begin(j->store, &j->res->run_id, &info);
	buf_release(&names);
	return error;
}

/* Open the state DB, clean up after dead processes, record the run. */
static int record_open(struct job *j)
{
	if (store_open(&j->store, j->o->state_path) < 0 ||
	    store_reap(j->store) < 0)
		return -1;
	if (window_reap(j->store, NULL) < 0) {
		say(j, JOB_WARNING, "%s", tend_error_last());
		tend_error_clear();
	}
	return record_begin(j);
}

/* After the run: the plan file, if one was asked for. */
static int save_plan(struct job *j)
{
	const struct job_opts *o = j->o;

	if (!o->save_plan || o->mode != RUN_PLAN)
		return 0;
	if (!o->bind.hasher || !o->bind.reads)
		BUG("saving a plan without its hasher and read log");
	if (plan_write(o->save_plan, &j->res->run, o->plan_meta, &o->bind) < 0)
		return -1;
	j->res->plan_saved = true;
	return 0;
}

static void summarize(struct job_result *r)
{
	for (size_t i = 0; i < r->run.hosts_nr; i++)
		if (r->run.hosts[i].failed || r->run.hosts[i].unreachable)
			r->hosts_failed = true;
	for (size_t i = 0; i < r->run.nr; i++) {
		if (r->run.events[i].status == EV_CHANGED)
			r->changes = true;
		if (r->run.events[i].status == EV_UNKNOWN)
			r->unknowns = true;
	}
}

/*
 * The job, with the hosts its windows cover already known (`changed`, a
 * saved plan's check) or NULL to find them.
 */
static int job_run_changed(struct job_result *out, const struct job_opts *o,
			   const struct winplan *changed)
{
	struct job j = { .o = o, .res = out, .started = time(NULL) };
	struct run_hooks hooks = {
		.play_start = hook_play, .progress = hook_progress,
		.event = hook_event, .batch_start = hook_batch_start,
		.batch_end = hook_batch_end, .warning = hook_warning,
		.step = o->hooks && o->hooks->step ? hook_step : NULL,
		.payload = &j,
	};
	struct run_opts ro = run_opts_of(o, o->mode);
	struct winplan found = { 0 };
	int error;

	memset(out, 0, sizeof(*out));
	out->status = "error";
	ro.hooks = &hooks;
	ro.only_hosts = o->only_hosts;
	/* a saved plan's apply (`changed` given) has checked them already */
	if (o->mode == RUN_APPLY && !changed &&
	    (error = check_change_windows(&j)) < 0)
		return error;
	/* the run is on record before any host is touched */
	if ((error = record_open(&j)) < 0)
		goto out;
	locks_init(&j);
	/* a saved plan's hosts were checked after their locks were free */
	j.locks.checked = changed != NULL;
	if (o->mode == RUN_APPLY) {
		ro.store = j.store;
		ro.run_id = out->run_id;
	}
	if (o->mode == RUN_APPLY && !o->no_window &&
	    o->cfg->maintenance.providers_nr) {
		if (!changed && (error = find_changing_hosts(&found, &j)) < 0)
			goto done;
		j.wp = changed ? changed : &found;
	}
	if ((error = run_all(&out->run, o, &ro)) < 0)
		goto done;
	summarize(out);
	error = save_plan(&j);
done:
	/* a signal while a lock was waited for ends the run as any signal */
	if (error == TEND_EINTERRUPTED && out->run.interrupted) {
		tend_error_clear();
		error = 0;
	}
	out->status = out->run.interrupted ? "interrupted" :
		      error ? "error" : out->hosts_failed ? "failed" : "ok";
	close_window(&j, out->status);
	hostlock_release(&j.locks);
	locks_count(&j);
	if (store_run_finish(j.store, out->run_id, out->status,
			     &out->run) < 0 && !error)
		error = -1;
	if (!error && j.store_error)
		error = tend_error_set("the run's record is incomplete: a "
				       "result could not be written");
out:
	store_close(j.store);
	winplan_release(&found);
	return error;
}

/*
 * A --limit that matches no host of the inventory is an error (as
 * Ansible's "--limit leaves us with no hosts to target"), not a run of
 * nothing that succeeds.
 */
static int check_limit(const struct job_opts *o)
{
	struct host **sel = NULL;
	size_t n = 0;
	int error;

	if (!o->limit || !o->inv)
		return 0;
	if ((error = inventory_select(&sel, &n, o->inv, o->limit)) < 0)
		return error;
	free(sel);
	if (!n)
		return tend_error_set("--limit '%s' matches no host of the "
				      "inventory: nothing to target", o->limit);
	return 0;
}

int job_run(struct job_result *out, const struct job_opts *opts)
{
	int error;

	if ((error = check_limit(opts)) < 0) {
		memset(out, 0, sizeof(*out));
		out->status = "error";
		return error;
	}
	return job_run_changed(out, opts, NULL);
}

/* ---- saved plans ---- */

/* The source commit the plan was made from must be the one fetched now. */
static int check_commit(const struct job *j, const struct val *plan,
			const char *ref, bool replan)
{
	const char *planned = val_cstr(val_dict_path(plan, "source.commit"));
	const char *now = j->o->commit;

	if (!planned || !now || !strcmp(planned, now))
		return 0;
	if (!replan)
		return tend_error_set_code(TEND_ESTALE, "stale plan: '%s' moved "
			"from %.12s to %.12s since the plan (make a new plan, "
			"or --replan)", ref ? ref : "?", planned, now);
	say(j, JOB_INFO, "re-planning: '%s' moved from %.12s to %.12s since "
	    "the plan", ref ? ref : "?", planned, now);
	return 0;
}

/*
 * Every file the plan's run read must read the same now: a vars file or
 * a task file outside the playbook's directory, a lookup, a copy source.
 * They are the whole run's input, so a change refuses the whole plan.
 */
static int check_files(const struct job *j, const struct val *plan,
		       bool replan)
{
	struct buf why = BUF_INIT;
	int error;

	if (!j->o->bind.hasher || !j->o->bind.reads)
		BUG("applying a plan without its hasher and read log");
	if ((error = plan_check_files(plan, &j->o->bind)) != TEND_ESTALE)
		return error;
	buf_adds(&why, tend_error_last());
	if (replan) {
		say(j, JOB_INFO, "re-planning: %s", why.ptr);
		tend_error_clear();
		error = 0;
	} else {
		error = tend_error_set_code(TEND_ESTALE, "stale plan: %s (make "
					    "a new plan, or --replan)", why.ptr);
	}
	buf_release(&why);
	return error;
}

/*
 * Before a saved plan's check: wait until no other run holds one of its
 * `hosts` (a check made while another run changes them says nothing of
 * them); the waits go into j's result.
 */
static int wait_plan_hosts(struct job *j, const struct val *hosts)
{
	const char **names = xcalloc(val_len(hosts) + 1, sizeof(*names));
	struct hostlock hl;
	int error;

	if (store_open(&j->store, j->o->state_path) < 0) {
		free(names);
		return -1;
	}
	for (size_t i = 0; i < val_len(hosts); i++)
		names[i] = val_cstr(val_list_at(hosts, i));
	hostlock_init(&hl, j->store, 0, j->o->lock_timeout, say_lock, j);
	error = hostlock_wait_free(&hl, names, val_len(hosts));
	j->res->lock_waits += hl.waits;
	j->res->lock_wait_seconds += hl.waited;
	hostlock_release(&hl);
	store_close(j->store);
	j->store = NULL;
	free(names);
	return error;
}

int job_apply_plan(struct job_result *out, const struct job_opts *opts,
		   const struct val *plan, const char *ref, bool replan)
{
	struct job j = { .o = opts, .res = out };
	struct run_result now = { 0 };
	struct run_opts ro = run_opts_of(opts, RUN_PLAN);
	struct val *stale = NULL, *hosts = plan_hosts(plan), *fresh = NULL;
	struct winplan changed = { 0 };
	struct job_opts apply = *opts;
	int error;

	memset(out, 0, sizeof(*out));
	out->status = "error";
	ro.quiet = true;
	/* the plan's hosts only: a host it does not name is not checked */
	ro.only_hosts = hosts;
	if ((error = check_change_windows(&j)) < 0 ||
	    (error = check_commit(&j, plan, ref, replan)) < 0 ||
	    ((error = wait_plan_hosts(&j, hosts)) < 0 &&
	     error != TEND_EINTERRUPTED) ||
	    (!error && (error = run_all(&now, opts, &ro)) < 0))
		goto out;
	if (error == TEND_EINTERRUPTED || now.interrupted) {
		/*
		 * stopped waiting or checking: a partial check would call
		 * hosts stale that are not
		 */
		tend_error_clear();
		out->status = "interrupted";
		error = job_record_interrupted(opts, &out->run_id);
		goto out;
	}
	if ((error = check_files(&j, plan, replan)) < 0)
		goto out;
	if (!val_len(hosts))
		say(&j, JOB_WARNING, "the plan names no host: nothing to apply");
	/* what was just compared with the plan is what the apply may read */
	if (readlog_current())
		readlog_strict(readlog_current(), true);
	out->status = "ok";
	plan_compare(&stale, plan, &now);
	for (size_t i = 0; i < val_len(stale); i++)
		say(&j, JOB_INFO, "%s: host '%s' moved since the plan: %s",
		    replan ? "re-planning" : "stale, refused",
		    stale->u.dict.items[i].key,
		    val_cstr(stale->u.dict.items[i].v));
	/* exactly the plan's hosts that did not move, by name */
	fresh = val_list();
	for (size_t i = 0; i < val_len(hosts); i++) {
		const char *h = val_cstr(val_list_at(hosts, i));

		if (replan || !val_dict_get(stale, h))
			val_list_push(fresh, val_str(h));
	}
	/* the check just made says which hosts change: the window's hosts */
	winplan_build(&changed, &now, opts->cfg->maintenance.unknown);
	if (val_len(fresh)) {
		unsigned long waits = out->lock_waits;
		double waited = out->lock_wait_seconds;

		apply.mode = RUN_APPLY;
		apply.only_hosts = fresh;
		error = job_run_changed(out, &apply, &changed);
		out->lock_waits += waits;
		out->lock_wait_seconds += waited;
	}
	if (!error && val_len(stale) && !replan)
		error = tend_error_set_code(TEND_ESTALE, "%zu host%s of the "
			"plan moved since it was made, and %s refused",
			val_len(stale), val_len(stale) == 1 ? "" : "s",
			val_len(stale) == 1 ? "was" : "were");
out:
	out->stale = stale;
	winplan_release(&changed);
	val_unref(fresh);
	val_unref(hosts);
	run_result_release(&now);
	return error;
}

int job_record_interrupted(const struct job_opts *opts, long long *run_id)
{
	struct job_result res = { 0 };
	struct job j = { .o = opts, .res = &res };
	int error;

	res.run.interrupted = true;
	if ((error = record_open(&j)) >= 0)
		error = store_run_finish(j.store, res.run_id, "interrupted",
					 &res.run);
	if (run_id)
		*run_id = res.run_id;
	store_close(j.store);
	return error;
}

void job_result_release(struct job_result *r)
{
	run_result_release(&r->run);
	val_unref(r->firing);
	val_unref(r->stale);
	memset(r, 0, sizeof(*r));
}
