#ifndef TEND_ENGINE_JOB_H
#define TEND_ENGINE_JOB_H

/*
 * A job: one whole run of tend, from loaded playbooks to a closed
 * maintenance window, as one call. `tend plan`, `tend apply`, the daemon
 * and the HTTP API all run their work through here; what they add is
 * only how they present it (the hooks) and how they turn the result into
 * an exit code or a response.
 *
 *	job_run(&res, &opts)
 *	  1. apply: refuse it outside the change windows (unless overridden
 *	     with a reason, which is recorded)
 *	  2. open the state DB, reap windows and runs of dead processes, and
 *	     record the run before any host is touched
 *	  3. apply with providers: a read-only plan pass finds the hosts that
 *	     will change and their tasks (or the saved plan's check says so;
 *	     engine/winplan.h says which hosts count)
 *	  4. run the playbooks; before each `serial` batch of an apply lock
 *	     its hosts (engine/hostlock.h: waiting up to lock_timeout for
 *	     another run's), then open a window for the batch's hosts that
 *	     change, extend it as results come in, close it and release
 *	     the locks after the batch
 *	  5. record every result as it comes, then the run's status; save the
 *	     plan file when asked
 *
 *	job_apply_plan(&res, &opts, plan)
 *	  waits until no other run holds a host of the plan, checks every
 *	  host of it again (read-only), refuses the hosts whose state moved
 *	  since (TEND_ESTALE in res.stale), and runs job_run on the others.
 *
 * Messages for people (a window opened, a warning) go to hooks->message;
 * errors that stop the job are returned with the error set.
 */

#include "tend/engine/config.h"
#include "tend/engine/run.h"
#include "tend/store/plan.h"

/* What a job tells whoever runs it. Every hook may be NULL. */
struct job_hooks {
	/* the executor's live hooks (play_start, progress, task_start, event) */
	void (*play_start)(const struct play *p, size_t hosts, void *payload);
	void (*progress)(const char *host, const char *task, void *payload);
	void (*event)(const struct run_event *ev, void *payload);
	/*
	 * A line for people: JOB_INFO ("maintenance window 3 open on 2
	 * hosts") or JOB_WARNING ("closing maintenance window 3: ...").
	 */
	void (*message)(int level, const char *text, void *payload);
	/* --step: run.h run_hooks.step, in the pass that is shown */
	int (*step)(const char *name, void *payload);
	void *payload;
};

enum { JOB_INFO, JOB_WARNING };

struct job_opts {
	enum run_mode mode;
	struct playbook *const *pbs;
	size_t pbs_nr;
	struct inventory *inv;
	const struct config *cfg;   /* tend.yml (required; defaults if none) */
	const char *state_path;     /* NULL: the default */

	const char *limit;
	const struct val *only_hosts; /* run on exactly these hosts (a list
				       of names, within the limit), or NULL */
	const struct val *extra_vars;
	const struct val *defaults; /* tend.yml ssh: as connection vars */
	const struct val *tags;
	const struct val *skip_tags;
	int forks;                  /* 0: 10 */
	int verbosity;              /* -v count (0-4) */
	bool diff;                  /* -D (ansible_diff_mode) */
	bool force_handlers;        /* --force-handlers */
	struct fact_cache_opts facts; /* gathering and the fact cache */

	const char *commit;         /* source commit, recorded; or NULL */
	bool no_window;             /* --no-window */
	/*
	 * apply: seconds to wait for a host another run holds (0: refuse
	 * at once; --lock-timeout)
	 */
	long long lock_timeout;
	bool override_change_window;
	const char *reason;         /* why (required with the override) */
	const char *trigger;        /* what started the run, or NULL */

	/* plan: write the plan file here (NULL: don't) with this meta */
	const char *save_plan;
	const struct plan_meta *plan_meta;
	/*
	 * Saving or applying a plan: its hasher (plan: a new salt; apply:
	 * plan_hasher), the read log in use since before the playbooks were
	 * loaded (util/readlog.h) and the root for relative file names
	 * (store/plan.h). Without a hasher, tasks get no args_fingerprint.
	 */
	struct plan_bind bind;

	const struct job_hooks *hooks;
};

struct job_result {
	struct run_result run;
	long long run_id;
	const char *status;  /* "ok", "failed", "error", "interrupted" */
	bool hosts_failed;   /* some host failed or was unreachable */
	bool changes;        /* some task changed (or would) */
	bool unknowns;       /* a plan: some task's outcome is unknown */
	struct val *firing;  /* alerts still firing after the windows closed
				(a list of label dicts), or NULL */
	struct val *stale;   /* job_apply_plan: host -> why it was refused
				(a dict), or NULL */
	bool plan_saved;
	/*
	 * The waits for host locks (for metrics): how many started, and
	 * their seconds in all, refused ones too.
	 */
	unsigned long lock_waits;
	double lock_wait_seconds;
};

/*
 * Run the job. *out is filled (release it with job_result_release) even
 * when an error is returned part-way: what ran is in out->run. Returns 0
 * (hosts may still have failed: out->hosts_failed; a signal:
 * out->status "interrupted", also while waiting for a lock), TEND_EREFUSED
 * when a change window refuses the apply, TEND_ELOCKED when another run
 * holds a host of a batch past lock_timeout (the message names it; the
 * run is recorded as "error", and nothing of that batch ran), or -1 with
 * the error set (the run is recorded as "error").
 */
int job_run(struct job_result *out, const struct job_opts *opts);

/*
 * Apply a saved plan (store/plan.h, already loaded and its inputs
 * checked; opts->bind from it): every host is checked again, and then
 * every file the plan's run read must read the same (plan_check_files),
 * else the whole plan is refused (TEND_ESTALE) unless `replan`. With
 * `replan` false a host whose state or arguments moved since the plan is
 * refused (named in out->stale with why) and the others applied; with
 * `replan` true all are applied. A source
 * commit that moved makes the whole plan stale (TEND_ESTALE) unless
 * `replan`. `commit` is the commit fetched now (NULL: no git source).
 * Before the check it waits (lock_timeout) until no other run holds a
 * host of the plan, as a check made while another run changes a host
 * says nothing of it; a lock another run takes after the check refuses
 * that batch at once (TEND_ELOCKED). Returns as job_run; TEND_ESTALE when
 * hosts were refused as stale.
 */
int job_apply_plan(struct job_result *out, const struct job_opts *opts,
		   const struct val *plan, const char *ref, bool replan);

/*
 * Record a job that a signal stopped before it started (while the
 * inventory loaded): a run of `opts` with status "interrupted" and no
 * results. *run_id (may be NULL) gets its id. Returns 0 or -1.
 */
int job_record_interrupted(const struct job_opts *opts, long long *run_id);

void job_result_release(struct job_result *r);

#endif
