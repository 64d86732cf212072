#ifndef TEND_RUN_INT_H
#define TEND_RUN_INT_H

/*
 * The executor's internals, shared by its files, lowest first (each
 * calls only the ones above it in this list):
 *
 *  vars.c      scopes, conditions, secrets
 *  run.c       the run's state: mode, clock, events (scrubbed of secrets)
 *  args.c      a module call's args, with module_defaults
 *  register.c  what a result leaves on its host: notifications, facts,
 *              the registered variable
 *  conn.c      connections
 *  async.c     a module call's async and poll
 *  task.c      one module call
 *  loop.c      loop items and labels
 *  lockstep.c  what the hosts of a step see of each other; hosts that
 *              walk nested tasks together, task by task (run_once)
 *  walk.c      the tasks of one host: loops, blocks, includes
 *  schedule.c  steps over the hosts, forks, strategies, handlers
 *  play.c      plays and run_playbook
 */

#include "tend/engine/run.h"
#include "tend/lang/template.h"

#include <pthread.h>

struct buf;
struct check_result;
struct pwhash;
struct task_ctx;
struct lockstep;

#define MAX_SCOPES 96
#define NO_STATS ((size_t)-1)
#define OMIT_TOKEN "__omit_place_holder__tend"
/* What a no_log task shows instead of its message (Ansible's words). */
#define NO_LOG_MSG "the output has been hidden due to the fact that " \
	"'no_log: true' was specified for this result"

/* One connection per host for the whole run, shared by its plays. */
struct conn {
	char *host;
	struct transport *t;
	char *error; /* why it could not connect, once tried */
	bool told;   /* its transport's detail shown (-vvvv) */
	unsigned long rt_closed; /* round trips of transports it replaced */
};

/* A host's connection to a host its tasks delegate to (delegate_to). */
struct delegate_conn {
	char *name;
	struct conn conn;
};

struct cached_include {
	char *path;
	const struct role *role; /* the role whose task included it */
	struct tasklist tasks;
};

struct runstate {
	struct conn *conns;
	size_t conns_nr, conns_alloc;
	struct val *conn_index;  /* host name -> index into conns */
	struct val *stats_index; /* host name -> index into res->hosts */
	struct cached_include *incs;
	size_t incs_nr, incs_alloc;
	pthread_mutex_t lock; /* incs, warnings */
	struct val *warnings; /* what the fact cache warns of, said by
				 run_playbook (hooks run on its thread) */
	/* --step: the answers so far, by task (its address), and "all" */
	pthread_mutex_t step_lock;
	struct val *step_said;
	bool step_all;
	struct run_result *res;
	const struct run_opts *opts;
	const struct playbook *pb;
	struct inventory *inv;
	struct val *secrets;  /* secret strings of the extra vars (read-only
				 once the plays run) */
	/*
	 * What a host keeps from one play to the next (Ansible's vars
	 * cache and fact cache): host name -> {facts, incvars, hostfacts},
	 * the dicts of its hoststate at the end of its last play.
	 */
	struct val *carry;
	/*
	 * The hosts that failed or were unreachable in an earlier play:
	 * name -> "failed" or "unreachable". Later plays leave them out
	 * (they keep their place in the play's batches, as in Ansible).
	 */
	struct val *down;
	bool stop; /* no later play runs (a batch failed whole, or
		      any_errors_fatal, max_fail_percentage) */
};

struct hoststate {
	struct host *host;
	const char *name;
	struct conn *conn;
	struct val *inv_vars;  /* inventory vars (precedence applied) */
	struct val *factvars;  /* ansible_facts + ansible_* */
	struct val *incvars;   /* include_vars (below hostfacts) */
	struct val *hostfacts; /* registered and set_fact */
	struct val *magic;     /* inventory_hostname, group_names ... */
	/*
	 * Ansible's connection magic for templates, under every other
	 * layer (SCOPE_CONN_MAGIC): ansible_host, ansible_user and
	 * their aliases, ansible_connection ...
	 */
	struct val *conn_magic;
	bool failed, unreachable, ended;
	bool started;          /* --start-at-task: the host reached it */
	bool fatal;            /* failed in this step where any_errors_fatal
				  held (the task's, its blocks', the play's) */
	bool fatal_set;        /* a module call set `fatal` this step */
	bool was_down;         /* failed or unreachable in an earlier play */
	bool dirty;            /* hostfacts changed since hostvars */
	bool facts_gathered;   /* a play gathered its facts (this run, or
				  as its cache file says): smart skips it */
	bool unknown_results;  /* plan: a registered result is unknown */
	/*
	 * plan: which task registered each unknown result (var -> the
	 * task's name), and the name of the last task whose result is
	 * unknown (a string, or NULL)
	 */
	struct val *unknown_from, *unknown_last;
	bool planned_changes;  /* plan: an earlier task would change it */
	struct val *notified;  /* handler names/topics notified */
	struct val *inv_changes; /* add_host/group_by results of this step */
	struct val *once_result; /* a run_once task's result, for the batch */
	/*
	 * The throttled task this host will reach in the current step or
	 * round and has not yet entered (NULL: none): hosts after it in the
	 * play's order wait for it (modtask.c), as Ansible starts them in
	 * that order. Under the playctx's thr_lock.
	 */
	const struct task *thr_pending;
	/* the last failed result and its task: a rescue's
	   ansible_failed_result and ansible_failed_task */
	struct val *failed_result;
	const struct task *failed_task;
	struct val *secret_text; /* what rendering for this host made of
				    secrets (template.h): a set, in dict keys */
	size_t stats;          /* index into res->hosts; NO_STATS until
				  the host's first event (as Ansible, a host
				  that ran nothing has no recap) */
	/*
	 * Its own connections to the hosts its tasks delegate to: used by
	 * this host's worker only, so no two threads share a transport.
	 */
	struct delegate_conn *dels;
	size_t dels_nr, dels_alloc;
	/*
	 * Facts of delegate_facts tasks, for other hosts: a list of
	 * {host, facts, incvars (bool)}, applied when the step ends (the
	 * other host may be running in another worker).
	 */
	struct val *facts_out;
	struct run_event *ev;  /* events of the current step */
	size_t ev_nr, ev_alloc;
};

struct throttled {
	const struct task *t;
	size_t running;
};

struct playctx {
	struct runstate *rs;
	const struct play *play;
	struct val *play_vars;
	/*
	 * The defaults and the vars of every role the play loaded, merged:
	 * Ansible shows them to every task of the play (play.get_roles()).
	 */
	struct val *role_defaults, *role_vars;
	/*
	 * The merged role vars replaced when an include_role with public:
	 * true ran (run_role_public): kept until the play ends, as other
	 * hosts' scopes may still point at them. NULL until one is.
	 */
	struct val *role_vars_old;
	/*
	 * The roles include_role loaded at run time (a templated name):
	 * their owner (roles, handlers), and the TASK_ROLE of each by name
	 * and files (path: that key). Under rs->lock; NULL until one is.
	 */
	struct play *rt_play;
	struct cached_include *rt_roles;
	size_t rt_roles_nr, rt_roles_alloc;
	struct val *common;    /* groups, hostvars, play hosts, omit ... */
	struct val *hostvars;
	struct hoststate *hs;
	size_t nr;
	struct hoststate *hs_all; /* every host of the play, all batches */
	size_t nr_all;
	bool probing;      /* a plan's step that only connects (schedule.c) */
	bool end_play;     /* the current batch stops (end_batch, errors) */
	bool end_batches;  /* meta end_play: no later batch runs either */
	bool break_play;   /* any_errors_fatal or max_fail_percentage hit:
			      no later play runs either */
	bool strategy_free;    /* the play's strategy, rendered */
	bool any_errors_fatal; /* the play's any_errors_fatal, rendered */
	/* throttle: how many hosts run each throttled task right now */
	pthread_mutex_t thr_lock;
	pthread_cond_t thr_cond;
	struct throttled *thr;
	size_t thr_nr, thr_alloc;
	/* a step that walks nested tasks: its hosts meet (lockstep.c) */
	struct lockstep *ls;
};

/*
 * Vars of enclosing blocks and includes, outermost first, and the role
 * whose tasks run (NULL: none).
 */
/*
 * The vars around a task, outermost first: blocks', imports' and
 * apply's (task vars), and the include params of the dynamic includes
 * around it (param[i]: an include's vars and loop vars, which rank above
 * set_fact and role params, as Ansible's get_include_params).
 */
struct varstack {
	const struct val *items[32];
	bool param[32];
	size_t nr;
	const struct role *role;
};

struct hostctx {
	struct playctx *pc;
	struct hoststate *hs;
	bool handler;
	int become;
	const char *become_user;
	const char *become_method; /* NULL: sudo */
	bool no_log; /* the task's (block's, play's) no_log: hide its output */
	const struct val *delegate_to; /* raw, of the task or a block */
	const struct val *connection;  /* raw, of the task or a block */
	/* environment: of the play, blocks, task; merged in this order */
	const struct val *env[48];
	size_t env_nr;
	bool no_diff; /* the task's (block's) diff: false: keep no diff */
	/*
	 * Keywords a task inherits from its blocks and play, the innermost
	 * that sets them: raw (rendered at the task) or NULL
	 */
	const struct val *ignore_errors, *ignore_unreachable, *timeout;
	bool any_errors_fatal; /* rendered as Ansible's linear strategy */
	/*
	 * check_mode of the task (its blocks', the play's), rendered:
	 * CHECK_MODE_NONE, _ON (only check, even in an apply) or _OFF (run
	 * for real, even in a plan)
	 */
	int check_mode;
	/*
	 * Plan, in a block with a rescue (watch_unknown): after_unknown, the
	 * name of the block's first unknown task (what comes after it runs
	 * only if it succeeds); rescue_of, when planning the rescue as what
	 * runs if the block fails, that task's name. Strings, or NULL.
	 */
	bool watch_unknown;
	struct val *after_unknown, *rescue_of;
	/* module_defaults of the play, blocks, task: outermost first */
	const struct val *mdefs[32];
	size_t mdefs_nr;
	/*
	 * The name of task shown_for as Ansible shows it: rendered when
	 * the task starts, without loop vars, the raw name if that fails;
	 * scrubbed of secrets. NULL: the task's name as written.
	 */
	const struct task *shown_for;
	char *shown;
	/*
	 * delegate_facts: the host the facts of the call that just ran go
	 * to (its delegate), or NULL: this host's own.
	 */
	char *fact_host;
	bool facts_cacheable; /* the call was a set_fact with cacheable */
	/*
	 * The `when` lists of the blocks and import_tasks around the task,
	 * outermost first: each task evaluates them with its own (Ansible
	 * reports each task of a skipped block as skipped). And the
	 * `notify` lists of the import_tasks around it.
	 */
	const struct val *when_up[32];
	size_t when_up_nr;
	const struct val *notify_up[32];
	size_t notify_up_nr;
	/*
	 * The `notify` of the innermost block around the task that has one:
	 * a task without its own notifies that (Ansible's parent attribute).
	 */
	const struct val *block_notify;
	/*
	 * The tags of what is around the dynamic includes (include_tasks,
	 * include_role, their apply) the task runs in, outermost first: it
	 * carries them with its own for --tags / --skip-tags.
	 */
	const struct val *tags_up[32];
	size_t tags_up_nr;
};
/*
 * Scopes, outermost (lowest precedence) first: role defaults (the
 * play's, then the running role's chain), inventory vars, facts, play
 * vars, role vars (the play's, then the chain's), block vars, task vars,
 * include_vars, registered/set_fact, role params, loop vars, extra
 * scratch (the registered result in changed_when), host magic,
 * role_name/role_path, common magic, extra vars (-e). Ansible's
 * precedence, condensed.
 */
struct scopes {
	struct scope s[MAX_SCOPES];
	size_t nr;
};

/* vars.c */
void run_push_scope(struct scopes *ss, const struct val *vars,
		const char *basedir);
const struct scope *run_build_scope(struct scopes *ss,
				const struct hostctx *hc,
				const struct varstack *vs,
				const struct val *task_vars,
				const struct val *loopvars,
				const struct val *scratch);
int run_eval_conditions(bool *out, const struct val *conds,
		    const struct scope *sc, const char **failed_cond);
/*
 * include_role with public: true ran role `r`: its defaults and vars
 * join the play's role vars (pc->role_defaults, role_vars) for every
 * task from then on, as Ansible appends it to the play's roles. Under
 * rs->lock; the scopes read the new dicts, the old ones live on in
 * role_vars_old.
 */
void run_role_public(struct playctx *pc, const struct role *r);
/* The conditions around the task (hc->when_up), then its own. */
int run_eval_when(bool *out, const struct hostctx *hc, const struct val *when,
		  const struct scope *sc, const char **failed_cond);
void run_collect_secrets(struct val *out, const struct val *v,
		     bool inherited);
void run_keep_secrets(struct val *set, const struct val *v, bool inherited);
void run_scrub(struct buf *b, const struct val *secrets);
void run_hide_short_secrets(struct buf *b, const struct val *args);
void run_taint(struct val *v, const struct val *secrets);
/*
 * Every URL's password in v (strings changed in place: v is the
 * caller's own copy) shown as ********, for -vvv's module_args.
 */
void run_mask_url_passwords(struct val *v);
struct val *run_secrets(const struct hostctx *hc);
struct val *run_secret_list(const struct runstate *rs, const struct val *text);
void run_scrub_error(const struct val *secrets);
/*
 * A bool keyword that may be templated (become, no_log): a bool, or
 * rendered in the task's scope and read as Ansible's boolean(). Returns
 * -1 with the error set when it is no bool.
 */
int run_flag(bool *out, struct hostctx *hc, const struct val *flag,
	     const struct varstack *vs, const struct val *task_vars);
bool run_no_log(struct hostctx *hc, const struct val *flag,
		const struct varstack *vs, const struct val *task_vars);
void run_wipe_secret_text(struct val *set);
struct val *run_host_visible_vars(struct hoststate *hs);
/*
 * hostvars['localhost'] when the inventory has no localhost: Ansible's
 * implicit one (the local connection), with what it carries (`carried`:
 * a runstate carry entry, or NULL). It is there once something was
 * delegated to it with delegate_facts, as Ansible makes it then.
 */
struct val *run_localhost_vars(const struct inventory *inv,
			       const struct val *carried);

/* run.c */
bool run_is_plan(const struct hostctx *hc);
double run_now_seconds(void);
void run_add_event(struct hostctx *hc, const struct task *t,
	       enum event_status st, const char *label,
	       const char *msg);
struct run_event *run_last_event(struct hostctx *hc);
/*
 * On the failure event just added (run_last_event): the rc, stdout and
 * stderr of its result, scrubbed of `secrets` and of short pieces of
 * secrets in `args` as msg is, as ev->detail (the text: in full with
 * -v, else each output's tail) and ev->detail_json (the state DB's).
 * Nothing under no_log, or when the result has none of the three.
 */
void run_failure_detail(struct hostctx *hc, const struct val *result,
			const struct val *secrets, const struct val *args);
void run_fingerprint(struct run_event *ev, enum event_status st,
		 const struct check_result *cr);
/*
 * The fingerprint of what a task runs (run_event.args_fingerprint): a
 * SHA-256 of its rendered `args`, the user it becomes and the host's
 * connection variables in `sc`, each secret in them (flagged, or holding
 * one of the `secrets` strings) as its Argon2id digest by `h`. Returns 0,
 * or -1 with the error set when the digest cannot be computed.
 */
int run_args_fingerprint(char out[65], const struct val *args,
			 const char *become_user, const struct scope *sc,
			 const struct val *secrets, struct pwhash *h);

/*
 * args.c: the task's args over the module_defaults of its module (the
 * innermost of hc->mdefs that has it), rendered in `sc`; a new dict,
 * or NULL with *error set (< 0) and the error message set.
 */
struct val *run_render_args(const struct hostctx *hc, const struct task *t,
			    const struct scope *sc, int *error);

/* conn.c */
int run_host_connect(struct hostctx *hc, const struct scope *sc);
/* Drop the host's connection and open it anew (engine_ops.reconnect). */
int run_host_reconnect(struct transport **out, struct hostctx *hc,
		       const struct scope *sc);
/*
 * -vvvv: what the host's connections opened since the last call are
 * (transport.h's `detail`, the host's own then its delegates'), each
 * told once: a new string, or NULL when there is none.
 */
char *run_conn_untold(struct hoststate *hs);
/*
 * The transport of host `name` for a task of hc->hs delegated to it: the
 * connection vars are the delegate's (its inventory vars, the play's and
 * the extra vars; `localhost` outside the inventory is the local
 * connection, as Ansible's implicit localhost), the connection is this
 * host's own and lasts the play. *out is borrowed. Errors as
 * run_host_connect.
 */
int run_delegate_connect(struct transport **out, struct hostctx *hc,
			 const char *name);
/*
 * The transport for a task whose `connection:` keyword is `type`: as
 * Ansible, an ansible_connection variable set anywhere but by the play's
 * own `connection:` keyword wins (the host's connection); else the host
 * gets a connection of that type of its own, kept for the play. *out is
 * borrowed. Errors as run_host_connect.
 */
int run_task_connect(struct transport **out, struct hostctx *hc,
		     const struct scope *sc, const char *type);
/* Close hs's delegate connections, counting their round trips in *rt. */
void run_delegates_close(struct hoststate *hs, unsigned long *rt);
/*
 * The environment of hc->env (play, blocks, task), rendered in `sc` and
 * merged into *out (a new dict; values keep their secret flags). Fails
 * (error set) when a part is not a dict or a name cannot be exported.
 */
int run_env_render(struct val **out, const struct hostctx *hc,
		   const struct scope *sc);
/* `export NAME='value'` lines of `env`, each value through sh_quote. */
void run_env_prelude(struct buf *out, const struct val *env);

/* run.c */
bool run_plan_unknown(const struct hostctx *hc, int error);
int run_check_mode(struct hostctx *hc, const struct val *raw,
		   struct varstack *vs, const struct task *t);
/*
 * "depends on 'TASK' ..." into msg: the task whose result, known only at
 * apply, `t` reads (the last unknown one when the name is not found).
 */
void run_unknown_why(struct buf *msg, const struct hostctx *hc,
		     const struct task *t);
/* "'NAME' (FILE:LINE)": how a plan's reasons name task t. */
void run_task_ref(struct buf *out, const struct task *t);
/* engine_ops.c: the engine's callbacks for controller modules */
struct engine_data {
	const struct scope *sc; /* the task's scope */
	const struct playbook *pb; /* the run's playbook */
	struct hostctx *hc;     /* the task's host */
	bool own_conn;          /* it runs on the host's own connection (no
				   delegate_to, no connection: keyword) */
};
extern const struct engine_ops run_engine_ops;

/* Whether the run is a plan (a task may still act: check_mode: false). */
bool run_plan_pass(const struct hostctx *hc);
enum { CHECK_MODE_NONE, CHECK_MODE_ON, CHECK_MODE_OFF };

/*
 * run.c, for task.c: whether a failure is ignored (a task's or its
 * blocks' ignore_errors, rendered as Ansible's boolean; an invalid one is
 * added to `msg` and ignores nothing); an integer keyword (retries,
 * delay) rendered, `dflt` when absent; a sleep an interrupt cuts short.
 */
bool run_ignores_errors(struct buf *msg, const struct val *result,
			const struct val *flag, const struct scope *sc);
int run_int_keyword(long long *out, const struct val *v, long long dflt,
		    const struct scope *sc, const char *what);
void run_sleep(long long secs);

/*
 * async.c, for task.c. run_async_settings: a task's `async` and `poll`
 * rendered (0 and RUN_ASYNC_POLL, Ansible's DEFAULT_POLL_INTERVAL, when
 * absent), and in *dir (freed first; the caller frees it) the variable
 * ansible_async_dir rendered, or NULL; -1 with the error set for a value
 * that does not render or is no integer.
 * run_async_refused: NULL, or Ansible's reason the task cannot run async
 * (its action does not support it; check mode, `check`), or tend's (poll:
 * 0 on a module that cannot start a background job); static text.
 * run_async_limit: the limit of a call with async seconds on transport
 * `t`: with poll > 0 a timeout view of it (*tmt, the caller's to close)
 * and ctx->deadline; with poll <= 0 ctx->async_bg (the module starts a
 * background job) and *tmt NULL. run_async_result: a poll > 0 call that
 * ended: the keys Ansible's job adds to its result (ansible_job_id,
 * results_file, started, finished, empty stdout/stderr where it has
 * none), asked of the host through `t` as ctx's become user; 0. When
 * the time of `tmt` ran out, *result replaced by Ansible's failure (the
 * job's status under async_result) with its message in `msg`: 1. -1
 * (message in `msg`) when the host could not be asked.
 */
#define RUN_ASYNC_POLL 15
int run_async_settings(long long *async, long long *poll, char **dir,
		       const struct task *t, const struct scope *sc);
const char *run_async_refused(const struct task *t, long long poll,
			      bool check);
int run_async_limit(struct transport **tmt, struct task_ctx *ctx,
		    struct transport *t, long long async, long long poll);
int run_async_result(struct val **result, struct buf *msg,
		     struct transport *t, const struct task_ctx *ctx,
		     long long async, const struct transport *tmt);

/*
 * task.c. *ends_loop: the call failed on a template (its when, arguments,
 * environment, delegate_to or become_user), which in a loop ends the
 * loop and fails the task as a whole, as Ansible's AnsibleError does.
 */
struct val *run_exec_once(struct hostctx *hc, const struct task *t,
		      const struct varstack *vs,
		      const struct val *loopvars, const char *label,
		      bool *host_failed, bool *ends_loop);
/* register.c */
void run_notify(struct hostctx *hc, const struct task *t);
/*
 * The facts of a result (set_fact, gathered...), each loop item's too;
 * with hc->fact_host set (delegate_facts), queued for that host
 * (hs->facts_out) and hc->fact_host cleared.
 */
void run_apply_facts(struct hostctx *hc, const struct task *t,
		     const struct val *result);
void run_register_result(struct hostctx *hc, const struct task *t,
		     struct val *result);

/* loop.c */
struct val *run_loop_items(const struct task *t, const struct scope *sc);
/* loop_control's settings, rendered for one host */
struct loopctl {
	bool extended, allitems;
	double pause; /* seconds between items; 0: none */
};
int run_loop_control(struct loopctl *out, const struct task *t,
		     const struct scope *sc);
/* Sleep `seconds` (loop_control.pause), cut short by an interrupt. */
void run_loop_pause(double seconds);
/* The loop vars of item i of `items`. */
struct val *run_make_loopvars(const struct task *t, const struct loopctl *ctl,
			      const struct val *items, size_t i);
/* Into an item's result: its loop var, index var, ansible_loop. */
void run_loop_result(struct val *r, const struct task *t,
		     const struct val *lv);
char *run_item_label(const struct task *t, const struct scope *sc,
		 const struct val *item);

/* walk.c */
void run_progress(struct hostctx *hc, const struct task *t);

/*
 * lockstep.c. run_settle: what the step's hosts did that others see
 * (add_host and group_by, delegated facts, hostvars), between steps.
 * run_share_once: a top-level run_once task's result, from the host
 * that ran it to the batch. A step that walks nested tasks is started
 * with run_lockstep_start (`hosts` walk, `forks` run a task at once),
 * each host's walk calls run_lockstep_leave when it ends, and
 * run_lockstep_end settles the last round; in between, each module task
 * runs through run_lockstep_task, which waits for the round and calls
 * `run` (or, for a run_once task another host runs, takes its result;
 * true: the host failed).
 */
typedef bool run_task_fn(struct hostctx *hc, const struct task *t,
			 struct varstack *vs);
void run_settle(struct playctx *pc);
void run_share_once(struct playctx *pc, const struct task *t,
		    struct hoststate *from);
void run_lockstep_start(struct playctx *pc, size_t hosts, size_t forks);
void run_lockstep_leave(struct playctx *pc);
void run_lockstep_end(struct playctx *pc);
bool run_lockstep_task(struct hostctx *hc, const struct task *t,
		       struct varstack *vs, run_task_fn *run);
/* modtask.c: a module task on one host, with its loop and throttle;
 * true if the host failed */
bool run_module_task(struct hostctx *hc, const struct task *t,
		     const struct varstack *vs);
/*
 * The host will reach task t in this step or round (NULL: no throttled
 * task, or it is done with it): hosts after it in the play's order wait
 * for it at t's throttle. Called with NULL when the host's part ends.
 */
void run_throttle_expect(struct playctx *pc, struct hoststate *hs,
			 const struct task *t);
bool run_task(struct hostctx *hc, const struct task *t,
	      struct varstack *vs);

/* schedule.c */
/* The index of host `name` in rs->res->hosts, added when new. */
size_t run_stats_index(struct runstate *rs, const char *name);
void run_gather_facts(struct hostctx *hc);
/*
 * Gathered facts (`facts`: keyed as ansible_facts is, no prefix) become
 * the host's ansible_NAME variables and join ansible_facts: added to what
 * was gathered before in the run (Ansible's fact cache updates).
 */
void run_set_facts(struct hoststate *hs, const struct val *facts,
		   bool gathered);
/*
 * The setup module's ansible_facts (keyed ansible_NAME) keyed as
 * ansible_facts is (for run_set_facts), secret with no_log.
 */
struct val *run_setup_result_facts(const struct val *facts, bool no_log);
/*
 * Facts keyed as ansible_facts is, as the cache keeps them (ansible_NAME;
 * `gathered`: with the mark smart gathering looks for), and such a dict
 * merged into a host's factvars (its variables and ansible_facts).
 */
struct val *run_facts_cache_form(const struct val *facts, bool gathered);
void run_facts_merge(struct val *factvars, const struct val *cached);
/*
 * facts.c: the fact cache (run.h fact_cache_opts). A cacheable set_fact's
 * facts join the host's cached ones; run_cache_store writes the host's
 * cache file (jsonfile, in an apply: whatever holds no secret);
 * run_cache_clear is meta clear_facts. run_carried is rs->carry's entry
 * of a host, read from its cache file when the run has none yet;
 * run_cache_start reads every inventory host's (or, --flush-cache,
 * removes them in an apply): -1 with the error set for a bad file.
 */
void run_cache_facts(struct hostctx *hc, const struct val *facts);
void run_cache_store(struct runstate *rs, const char *name,
		     const struct val *factvars, bool gathered);
void run_cache_clear(struct hostctx *hc);
const struct val *run_carried(struct runstate *rs, const char *name);
int run_cache_start(struct runstate *rs);
/* The fact cache's warnings so far, through the warning hook (main thread). */
void run_say_warnings(struct runstate *rs);
/*
 * A plan connects to each host of the batch even when no task would (a
 * play of commands): a host that does not answer is unreachable.
 */
void run_probe_step(struct playctx *pc);
void run_step(struct playctx *pc, const struct task *t, bool handler,
	      const size_t *only, size_t only_nr);
void run_section(struct playctx *pc, const struct tasklist *l);

#endif
