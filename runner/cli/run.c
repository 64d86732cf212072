#include "tend/common.h"
#include "tend/report/report.h"
#include "tend/engine/job.h"
#include "tend/cli/cli_int.h"
#include "tend/util/pwhash.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* How a job shows itself on a terminal: the live report and progress. */
struct view {
	struct live_report *live; /* NULL: no live output */
	struct progress *progress; /* NULL: not on a terminal */
};

static void view_play(const struct play *p, size_t hosts, void *payload)
{
	struct view *v = payload;

	if (v->progress) {
		pthread_mutex_lock(&v->progress->lock);
		cli_progress_erase(v->progress);
	}
	if (v->live)
		report_live_play(v->live, p->name, hosts);
	if (v->progress)
		pthread_mutex_unlock(&v->progress->lock);
}

static void view_progress(const char *host, const char *task, void *payload)
{
	struct view *v = payload;

	if (v->progress)
		cli_progress_set(v->progress, host, task);
}

static void view_event(const struct run_event *ev, void *payload)
{
	struct view *v = payload;

	if (v->progress) {
		pthread_mutex_lock(&v->progress->lock);
		cli_progress_erase(v->progress);
	}
	if (v->live)
		report_live_event(v->live, ev);
	if (v->progress)
		pthread_mutex_unlock(&v->progress->lock);
}

/* --step: asked with the progress block off the screen. */
static int view_step(const char *name, void *payload)
{
	struct view *v = payload;
	int said;

	if (v->progress) {
		pthread_mutex_lock(&v->progress->lock);
		cli_progress_erase(v->progress);
	}
	fflush(stdout);
	said = cli_step_ask(name);
	if (v->progress)
		pthread_mutex_unlock(&v->progress->lock);
	return said;
}

static void view_message(int level, const char *text, void *payload)
{
	(void)payload;
	if (level == JOB_WARNING)
		cli_err("warning: %s", text);
	else
		fprintf(stderr, "tend: %s\n", text);
}

static void print_report(const struct run_result *res,
			 const struct report_opts *ro, const char *format)
{
	struct buf out = BUF_INIT;

	if (format && !strcmp(format, "json")) {
		report_json(&out, res, ro);
		cli_json_printed();
	} else if (format && !strcmp(format, "markdown"))
		report_markdown(&out, res, ro);
	else if (format && !strcmp(format, "junit"))
		report_junit(&out, res, ro);
	else if (ro->mode == RUN_PLAN)
		report_plan_text(&out, res, ro);
	else
		report_recap(&out, res, ro);
	fputs(out.ptr, stdout);
	buf_release(&out);
}

static void print_stats(const struct run_result *res)
{
	size_t tasks = 0;

	for (size_t i = 0; i < res->nr; i++)
		if (res->events[i].status != EV_SKIPPED)
			tasks++;
	fprintf(stderr, "stats: %lu round trips for %zu task results "
		"(%.2f per task per host)\n", res->round_trips, tasks,
		tasks ? (double)res->round_trips / (double)tasks : 0.0);
}

/* The job's options from the command line. */
static struct job_opts job_opts_of(struct cli_args *a, enum run_mode mode,
				   struct plan_meta *pm)
{
	struct job_opts o = {
		.mode = mode, .pbs = a->pbs, .pbs_nr = a->pbs_nr,
		.inv = a->inv, .cfg = a->cfg, .state_path = a->state_path,
		.limit = a->limit, .extra_vars = a->extra,
		.defaults = a->defaults, .tags = a->tags,
		.skip_tags = a->skip_tags, .forks = a->forks,
		.verbosity = a->verbosity, .diff = a->diff,
		.force_handlers = a->force_handlers,
		.facts = a->facts,
		.commit = a->src.dir ? a->src.commit : NULL,
		.no_window = a->no_window, .lock_timeout = a->lock_timeout,
		.override_change_window = a->override_cw, .reason = a->reason,
		.trigger = a->trigger,
	};

	o.facts.flush = a->flush_cache;
	/* an untrusted source's run reads no cache another run wrote */
	if (a->limits.untrusted)
		o.facts.dir = NULL;
	/* a plan names the files beneath its source (or playbook) by relative path */
	o.bind = (struct plan_bind){
		.hasher = a->hasher, .reads = a->reads,
		.root = a->src.dir ? a->src.dir :
			a->pbs_nr ? a->pbs[0]->dir : NULL,
	};

	if (a->out_path && mode == RUN_PLAN) {
		if (!a->hasher)
			a->hasher = pwhash_new(NULL); /* a new salt per plan */
		o.bind.hasher = a->hasher;
		*pm = (struct plan_meta){
			.playbooks = a->pos, .playbooks_nr = a->pos_nr,
			.inventory = a->inventory, .extra_vars = a->extra,
			.limit = a->limit, .tags = a->tags,
			.skip_tags = a->skip_tags,
		};
		if (a->src.dir) {
			pm->commit = a->src.commit;
			pm->subject = a->src.subject;
			pm->author = a->src.author;
			pm->source_url = a->src_opts.url;
			pm->source_ref = a->src_opts.ref;
			pm->repo_paths = a->repo_pos;
		}
		o.save_plan = a->out_path;
		o.plan_meta = pm;
	}
	return o;
}

/*
 * The exit code of a job that returned `error`, in the precedence of
 * `tend help`'s table: 1 over 5 over 4 over 3 over 2. A stale plan is 4
 * even when hosts of its fresh part failed (the output says both): a CI
 * gate that re-plans on 4 then sees the failure on its next apply.
 */
static int exit_code(const struct job_result *r, int error,
		     const struct cli_args *a, enum run_mode mode)
{
	if (!strcmp(r->status, "interrupted"))
		return EXIT_ERROR;
	if (error == TEND_ELOCKED)
		return EXIT_LOCKED;
	if (error == TEND_ESTALE)
		return EXIT_STALE;
	if (error < 0)
		return EXIT_ERROR;
	if (r->hosts_failed)
		return EXIT_HOSTS_FAILED;
	if (mode == RUN_PLAN && a->detailed_exitcode &&
	    (r->changes || (a->unknown_is_change && r->unknowns)))
		return EXIT_CHANGES;
	return EXIT_OK;
}

/*
 * plan, apply, apply PLAN: the job (engine/job.h) does the work; this
 * shows it and maps its result to an exit code.
 */
static int run(struct cli_args *a, enum run_mode mode)
{
	struct job_result res = { 0 };
	struct report_opts ro = { .mode = mode, .diff = a->diff,
				  .verbosity = a->verbosity };
	struct live_report lr = { .o = &ro, .f = stdout };
	struct view view = { 0 };
	struct job_hooks hooks = {
		.play_start = view_play, .progress = view_progress,
		.event = view_event, .message = view_message,
		.payload = &view,
	};
	struct progress prog = { .f = NULL };
	struct plan_meta pm;
	struct job_opts o = job_opts_of(a, mode, &pm);
	/* json, markdown, junit: for programs, so no live output or colour */
	bool json = a->format && strcmp(a->format, "text");
	int error, rc;

	if ((rc = cli_vars_prompt(a)))
		return rc;
	if (a->step && mode == RUN_APPLY)
		hooks.step = view_step;
	o.hooks = &hooks;
	ro.color = !a->no_color && !json && isatty(1) && !getenv("NO_COLOR");
	ro.playbook = a->pbs_nr ? a->pbs[a->pbs_nr - 1]->path : NULL;
	if (a->src.dir) {
		ro.commit = a->src.commit;
		ro.subject = a->src.subject;
		ro.author = a->src.author;
		ro.source = a->src_opts.url;
		ro.ref = a->src_opts.ref;
		ro.root = a->src.dir;
	}
	if (mode == RUN_APPLY && !json)
		view.live = &lr;
	if (view.live && isatty(1) && getenv("TERM") &&
	    strcmp(getenv("TERM"), "dumb")) {
		cli_progress_start(&prog, stdout);
		view.progress = &prog;
	}
	cli_catch_interrupts();
	if (a->plan)
		error = job_apply_plan(&res, &o, a->plan, a->src_opts.ref,
				       a->replan);
	else
		error = job_run(&res, &o);
	cli_progress_stop(&prog); /* before the recap */
	view.progress = NULL;
	/*
	 * A run that did nothing shows no empty recap when it stopped on an
	 * error or a signal (a refused apply); programs (json...) always get
	 * their document.
	 */
	ro.run_id = res.run_id;
	ro.lock_waits = res.lock_waits;
	ro.lock_wait_seconds = res.lock_wait_seconds;
	if (res.run_id && (res.run.nr || (strcmp(res.status, "interrupted") &&
					  (json || error >= 0))))
		print_report(&res.run, &ro, a->format);
	if (res.plan_saved && !json)
		fprintf(stderr, "plan saved to %s: apply it with 'tend apply "
			"%s'\n", a->out_path, a->out_path);
	if (a->stats && res.run_id)
		print_stats(&res.run);
	if (error < 0)
		cli_err("%s", tend_error_last());
	else if (!strcmp(res.status, "interrupted"))
		cli_err("interrupted: no further task was started");
	cli_report_firing(res.firing);
	rc = exit_code(&res, error, a, mode);
	job_result_release(&res);
	return rc;
}

int cmd_plan(struct cli_args *a)
{
	return run(a, RUN_PLAN);
}

int cmd_apply(struct cli_args *a)
{
	if (a->check && a->plan)
		return cli_err("--check with a saved plan: 'tend plan' shows "
			       "what would change; a saved plan is for applying");
	return run(a, a->check ? RUN_PLAN : RUN_APPLY);
}

int cli_record_interrupted(struct cli_args *a, enum run_mode mode)
{
	struct plan_meta pm;
	struct job_opts o = job_opts_of(a, mode, &pm);

	if (job_record_interrupted(&o, NULL) < 0)
		return cli_err("%s", tend_error_last());
	return EXIT_ERROR;
}
