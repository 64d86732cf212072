#ifndef TEND_RUN_H
#define TEND_RUN_H

/*
 * The executor: walks the plays of a playbook over the selected hosts, in
 * one of two modes.
 *
 *  RUN_PLAN   every task is *checked* on every host (read-only): the
 *             result is the plan, host → task → ok / change (with diff) /
 *             unknown. Controller-side tasks (set_fact, debug, assert) run
 *             so later tasks see their values.
 *  RUN_APPLY  every task is checked, then applied where the check said
 *             change or unknown.
 *
 * Strategy: Ansible's linear one at the granularity of top-level tasks:
 * a top-level task (a block counts as one) finishes on every host before
 * the next starts; hosts run in parallel up to `forks`. A failed or
 * unreachable host stops alone; the others carry on. Handlers run at the
 * end of each section (pre_tasks, tasks, post_tasks) and at
 * meta: flush_handlers, once per host that notified them, in the order
 * they are defined.
 */

#include "tend/data/result.h"
#include "tend/inventory/inventory.h"
#include "tend/playbook/playbook.h"

struct pwhash;
struct store;

/* Live output hooks, called on the main thread. Any may be NULL. */
struct run_hooks {
	void (*play_start)(const struct play *p, size_t hosts, void *payload);
	/*
	 * Around each batch of a play (a play without `serial` is one
	 * batch): `hosts` are its hosts. A batch_start that returns < 0
	 * (with the error set) stops the run before the batch touches
	 * anything: run_playbook returns that error.
	 */
	int (*batch_start)(const struct play *p, const char *const *hosts,
			   size_t nr, size_t batch_no, void *payload);
	void (*batch_end)(const struct play *p, void *payload);
	/*
	 * A host starts a task (NULL when it is done with the step).
	 * Called from worker threads: it must be thread-safe.
	 */
	void (*progress)(const char *host, const char *task, void *payload);
	void (*task_start)(const char *name, bool handler, void *payload);
	void (*event)(const struct run_event *ev, void *payload);
	/* Something the operator should know (a play that matched nothing). */
	void (*warning)(const char *text, void *payload);
	/*
	 * --step: whether to run the task shown as `name` (RUN_STEP_*),
	 * asked once per task of a playbook, before its first host runs it;
	 * after RUN_STEP_ALL no more. Called from a worker thread, one call
	 * at a time. NULL: every task runs.
	 */
	int (*step)(const char *name, void *payload);
	void *payload;
};

enum { RUN_STEP_NO, RUN_STEP_YES, RUN_STEP_ALL };

/*
 * Ansible's fact gathering policy and fact cache (ansible.cfg's
 * gathering and fact_caching*; docs/facts.md). Zeroed: implicit, memory.
 */
enum gathering { GATHER_IMPLICIT, GATHER_EXPLICIT, GATHER_SMART };

struct fact_cache_opts {
	enum gathering gathering;
	/*
	 * jsonfile: the directory of one JSON file per host (Ansible's
	 * format), read at a host's first play and, in an apply, written
	 * whenever its cached facts change; NULL: memory (the run only)
	 */
	const char *dir;
	const char *prefix;   /* the files' name prefix, or NULL */
	long timeout;         /* seconds a file stays valid; 0: always */
	bool flush;           /* --flush-cache: start without the cache */
};

struct run_opts {
	enum run_mode mode;
	const char *limit;          /* --limit pattern, or NULL */
	/*
	 * Exactly these hosts (a list of inventory names), within the play's
	 * pattern and the limit; NULL: no such filter. Names, not patterns:
	 * a host called '*' or an IPv6 address means only itself.
	 */
	const struct val *only_hosts;
	const struct val *extra_vars; /* -e, a dict, or NULL */
	const struct val *defaults; /* lowest precedence (tend.yml ssh:), or NULL */
	const struct val *tags;     /* --tags, a list, or NULL */
	const struct val *skip_tags;
	int forks;                  /* parallel hosts (>= 1) */
	/*
	 * The -v count (0: none): ansible_verbosity, debug's verbosity
	 * threshold, and how much a failed task shows.
	 */
	int verbosity;
	bool diff;                  /* -D: ansible_diff_mode */
	bool quiet;                 /* no hooks: a verification pass */
	bool force_handlers;        /* --force-handlers: every play's */
	struct fact_cache_opts facts;
	/*
	 * A saved plan's hasher (util/pwhash.h): each event then gets the
	 * args_fingerprint of what its task runs. NULL: it stays empty.
	 */
	struct pwhash *hasher;
	const struct run_hooks *hooks;
	/*
	 * An apply's state DB and run id, for the modules that record what
	 * they provision (task_ctx.store); NULL in a plan.
	 */
	struct store *store;
	long long run_id;
};

/*
 * Run `pb` over `inv`. Per-host failures are recorded as events and in
 * the stats, not returned as errors. Returns < 0 only when the run could
 * not proceed at all (a bad host pattern, a vars_file that fails to load);
 * what ran up to then is in *out all the same.
 *
 * Once tend_interrupted is set (interrupt.h) no further task starts, nor
 * does a play's set-up go on; the tasks in flight finish, the call
 * returns 0 and out->interrupted says so.
 */
int run_playbook(struct run_result *out, const struct playbook *pb,
		 struct inventory *inv, const struct run_opts *opts);
/*
 * (add_host and group_by change `inv` as the run goes: pass a copy,
 * inventory_clone, where it must stay as loaded; job.c does.)
 */


#endif
