#ifndef TEND_MODULE_H
#define TEND_MODULE_H

/*
 * Modules: what a task does on a host.
 *
 * Adding a module
 *  1. modules/<name>.c: `static const struct arg_spec <name>_args[]`,
 *     `static int <name>_probe(...)` and `<name>_judge(...)` (or, for a
 *     module that runs on the controller, `<name>_check(...)`),
 *     `static int <name>_apply(...)`, and one exported `const struct
 *     tend_module mod_<name>`. Everything else in the file is static.
 *     Include tend/modkit/module.h (this contract), tend/modkit/toolkit.h
 *     (args, files, commands) and lower layers only (after tend/common.h).
 *     A module that writes files sets MOD_FILE_ARGS and takes Ansible's
 *     common file arguments (mode, owner, group, the SELinux ones ...)
 *     from fileargs.h instead of listing them in its own table.
 *  2. A row in modules/registry.c.
 *  3. Tests: a unit test if it has logic of its own, and an integration
 *     test tests/integration/t3NNN-<name>-*.sh that applies a playbook and
 *     checks the real state, then re-applies and checks nothing changed.
 *  4. An example task in a playbook under playbooks/.
 *  5. Docs: the `doc` strings of the spec are what `tend doc` prints.
 *
 * Contract
 *  - A check has the probe shape where it can: probe() writes a read-only
 *    POSIX sh fragment (struct probe) that prints what the check needs,
 *    and judge() turns that output into the check result with no I/O at
 *    all. The executor runs the probe (module_check: one round trip, none
 *    for an empty fragment) and calls judge; that is what lets it later
 *    send the probes of several tasks in one round trip and re-probe only
 *    after a change. A module whose check cannot be split so (one that
 *    runs on the controller) sets check() instead.
 *  - check() never changes anything. It runs with a read-only transport
 *    (TRANSPORT_READONLY: put fails, exec with stdin fails) and reports
 *    CHECK_OK, CHECK_CHANGE (with a diff and/or attribute changes) or
 *    CHECK_UNKNOWN (it cannot know without doing it: a command).
 *  - apply() is called only after check() said CHANGE or UNKNOWN, with
 *    that check's result, and does exactly what check reported.
 *  - A module reads the remote state in one script (one round trip) and
 *    changes it in one more; values enter scripts only through sh_quote().
 *  - Return < 0 with the error set for failures (the task fails; an
 *    unreachable host is TEND_EUNREACHABLE). A module-level failure that
 *    still has a result to register (a command's non-zero rc) sets
 *    apply_result.failed and returns 0.
 */

#include "tend/util/buf.h"
#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"
#include "tend/modkit/argspec.h"

enum {
	MOD_FREE_FORM = 1 << 0,   /* "command: ls -l" → _raw_params */
	MOD_CONTROLLER = 1 << 1,  /* runs on the controller, never the host */
	MOD_MAY_BE_UNKNOWN = 1 << 2, /* check may answer CHECK_UNKNOWN */
	/*
	 * Its ansible_facts are the playbook's own values (set_fact), not
	 * host data: they are not marked unsafe. Every other result is.
	 */
	MOD_CLEAN_FACTS = 1 << 3,
	/*
	 * Its ansible_facts are included variables (include_vars): the
	 * engine keeps them in their own scope, above task vars and below
	 * set_fact and registered results, as Ansible's precedence says.
	 */
	MOD_INCLUDE_VARS = 1 << 4,
	/*
	 * It changes the run's inventory (add_host: result "add_host" with
	 * host_name, groups, host_vars; group_by: "add_group" and
	 * "parent_groups"). The engine applies that between steps, in a
	 * plan too (no host changes: the plan reports it ok, an apply
	 * changed, as Ansible does).
	 */
	MOD_INVENTORY = 1 << 5,
	/*
	 * It runs once per task (per loop item), for the first active host
	 * of the batch, not once per host: Ansible's BYPASS_HOST_LOOP.
	 */
	MOD_ONCE = 1 << 6,
	/*
	 * Its ansible_facts are gathered facts (setup), keyed ansible_NAME:
	 * the engine keeps them as gathered facts, ansible_NAME and
	 * ansible_facts.NAME.
	 */
	MOD_FACTS = 1 << 7,
	/*
	 * It takes Ansible's common file arguments (fileargs.h: mode,
	 * owner, group, the SELinux four, attributes, unsafe_writes) after
	 * its own args; module_check fails its check where SELinux contexts
	 * are given and the host enables SELinux.
	 */
	MOD_FILE_ARGS = 1 << 8,
	/*
	 * Ansible refuses `async` on it ("async is not supported for this
	 * task."): its action plugin does not support async (copy,
	 * template, debug ...). Validate refuses it by name.
	 */
	MOD_NO_ASYNC = 1 << 9,
	/*
	 * With `async: N` and `poll: 0` it starts its work on the host as a
	 * background job (task_ctx.async_bg) and returns at once with the
	 * job's id (command, shell: task_command_run does it). Without this
	 * flag, poll: 0 is refused at validate.
	 */
	MOD_ASYNC_BG = 1 << 10,
	/*
	 * The engine does not apply the task's `environment:` to what the
	 * module runs: the module has it in task_ctx.env and does what
	 * Ansible's action does with it (raw leaves it out, with a warning;
	 * script sets it for the script alone, as assignments before its
	 * command, so the command's own text does not see it).
	 */
	MOD_NO_ENV = 1 << 11,
	/*
	 * The engine does not connect to the host before it, and its check
	 * gets no transport (task_ctx.t is NULL): it reaches the host
	 * through engine_ops.reconnect, which opens the connection anew
	 * (wait_for_connection: the host may have rebooted).
	 */
	MOD_RECONNECT = 1 << 12,
};

enum check_status {
	CHECK_OK,
	CHECK_CHANGE,
	CHECK_UNKNOWN,
};

struct check_result {
	enum check_status status;
	struct buf diff;    /* unified diff of contents; empty if none */
	struct buf changes; /* attribute changes, one per line:
			       "mode: 0644 -> 0600", "state: absent -> file";
			       a provisioning module's lines start "+ create
			       NAME", "~ change NAME" or "- destroy NAME",
			       one per instance: the plan's summary counts
			       them (report.c) */
	struct buf msg;     /* optional human message */
	/*
	 * Dict of values to register (stat: {...}), or NULL. With status
	 * CHECK_OK, "skipped": true reports the task as skipped.
	 */
	struct val *result;
	/*
	 * With status CHECK_OK: the module failed, and `result` (with its
	 * msg, also in `msg`) is what it registers: the task fails as
	 * apply_result.failed makes it, and failed_when may clear it (uri:
	 * a GET answered with a status outside status_code, in a plan).
	 */
	bool failed;
	/*
	 * NULL, or what a provisioning module saw of each thing it judged,
	 * by label: "lxd instance web-02" -> a canonical text of its state
	 * (a string; "null": absent). Never shown nor stored: the task's
	 * fingerprint covers it, and a saved plan keeps one digest per
	 * label (engine/run.c run_fingerprint), so that `tend apply
	 * plan.json` refuses, naming it, a thing that moved since the plan
	 * even where the task's change lines stay the same.
	 */
	struct val *observed;
	void *priv;         /* the module's own data for apply, or NULL */
	void (*priv_free)(void *priv);
};

struct apply_result {
	bool changed;
	bool failed;        /* the module failed but has a result (rc != 0) */
	struct buf msg;
	struct val *result; /* dict of module-specific keys (rc, stdout, dest...) */
};

void check_result_init(struct check_result *r);
void check_result_release(struct check_result *r);
void apply_result_init(struct apply_result *r);
void apply_result_release(struct apply_result *r);

struct task_ctx;

/*
 * What a controller-side module may ask of the engine. `data` is
 * task_ctx.engine_data.
 */
struct engine_ops {
	/*
	 * Evaluate an expression in the task's scope as debug's `var` does:
	 * templated as "{{ expr }}" (a new reference).
	 */
	int (*eval)(struct val **out, const char *expr, void *data);
	/* Render template text in the task's scope (appending to out). */
	int (*render)(struct buf *out, const char *text, void *data);
	/* Evaluate a condition as `when:` does. */
	int (*eval_bool)(bool *out, const char *expr, void *data);
	/*
	 * Render the text of the template file at `path` (as
	 * task_find_file found it) in the task's scope plus Ansible's
	 * template variables (template_path, ansible_managed ...), appending
	 * to out, in the Jinja environment that `opts` (the module's args, a
	 * dict: src and dest too) and the text's own "#jinja2:" line set:
	 * template.h's template_render_file and template_file_vars.
	 */
	int (*render_file)(struct buf *out, const char *text, const char *path,
			   const struct val *opts, void *data);
	/*
	 * Render template text in the task's scope with the names of dict
	 * `vars` bound over it (lxd_instance's hostname_pattern with
	 * `index`), appending to out.
	 */
	int (*render_vars)(struct buf *out, const char *text,
			   const struct val *vars, void *data);
	/*
	 * How many tasks of `module` named `task` the plays named `play`
	 * of the run's playbook have (playbook_count_tasks): lxd_instance
	 * leaves an instance to the task that owns it, if it is there.
	 */
	size_t (*count_tasks)(const char *play, const char *task,
			      const char *module, void *data);
	/*
	 * MOD_RECONNECT: the host's connection (`fresh`: dropped and made
	 * anew); *out is its transport (borrowed: valid until the next call;
	 * connecting waits for its first use), or < 0 with the error set.
	 * The task's environment is not applied to it.
	 */
	int (*reconnect)(struct transport **out, bool fresh, void *data);
};

struct store;

struct task_ctx {
	struct transport *t;      /* read-only during check */
	const struct val *args;   /* normalized dict (see args_normalize) */
	const char *host;         /* inventory_hostname */
	const char *basedir;      /* the playbook's directory */
	/*
	 * A role's task: the role's directory, then its parents', searched
	 * before basedir (task_find_file); NULL-terminated, or NULL
	 */
	const char *const *role_dirs;
	/*
	 * Controller files are read only beneath this (a git source's
	 * checkout: fs_read_beneath), or anywhere when NULL.
	 */
	const char *root;
	const char *become_user;  /* NULL unless become is on */
	const char *become_method; /* "su", or NULL/"sudo" (exec_req's) */
	int verbosity;            /* the run's -v count */
	bool plan;                /* a plan: nothing waits or asks (pause) */
	bool check_only;          /* check_mode: true: the check is all that
				     runs, and its result is the task's */
	bool unknown_inputs;      /* a plan, after a result known only at
				     apply: an undefined name may be one */
	const struct engine_ops *engine;
	void *engine_data;
	/*
	 * The task's `environment:` (play's, blocks' and its own, merged
	 * and rendered): a dict of names to values, or NULL. What a module
	 * runs on the host gets it from the transport already; this is for
	 * what a module does in tend's own process (modkit/taskenv.h).
	 * Values may be secrets: never show them.
	 */
	const struct val *env;
	/*
	 * When the task's `timeout:` runs out, in CLOCK_MONOTONIC seconds
	 * (run_now_seconds' clock), or 0: none. The transport stops what
	 * runs on the host by then; work in tend's own process must end by
	 * then too (taskenv_time_left_ms), and the engine fails the task
	 * with Ansible's timeout message.
	 */
	double deadline;
	/*
	 * `async: N` with `poll: 0` on a MOD_ASYNC_BG module: N (seconds),
	 * the time the background job may run; else 0. The module starts
	 * the job and returns its id (modkit/async.h), it does not wait.
	 */
	long long async_bg;
	/*
	 * Where async jobs are kept on the host: the variable
	 * ansible_async_dir (Ansible's sh shell option async_dir), rendered;
	 * NULL: ~/.ansible_async. A leading ~ is the host's $HOME.
	 */
	const char *async_dir;
	/*
	 * For provisioning modules: the state DB their apply records what
	 * it creates in (store/store.h), or NULL when the run keeps no
	 * record (a plan); the run's id there, and who owns what they
	 * create: the playbook's path, the play's and the task's names
	 * (never NULL; "" when unnamed).
	 */
	struct store *store;
	long long run_id;
	const char *playbook, *play, *task;
	/* the same for every call of one task in a run, and only of it */
	const void *task_key;
};

/*
 * A probe: the read-only half of a check, as data. `script` is POSIX sh
 * that changes nothing (it runs on the read-only transport, with no
 * stdin); what it prints is for the module's judge(). Empty: nothing to
 * ask the host. `priv` carries what probe() worked out (rendered content,
 * paths) to judge() and, through check_result.priv, to apply().
 */
struct probe {
	struct buf script;
	void *priv;
	void (*priv_free)(void *priv);
};

void probe_init(struct probe *p);
/* A priv_free for a struct val held in probe.priv. */
void probe_val_free(void *v);
void probe_release(struct probe *p);

struct tend_module {
	const char *name;              /* "copy" */
	/*
	 * Terminated by a row with name NULL. Walk them with module_arg(),
	 * which adds the common file arguments for MOD_FILE_ARGS.
	 */
	const struct arg_spec *args;
	unsigned int flags;            /* MOD_* */
	const char *doc;               /* one-line summary */
	/*
	 * For `tend doc`, or NULL: the keys it returns (registered), one
	 * "key: what it is" a line, and an example task (YAML).
	 */
	const char *returns;
	const char *example;
	/* where ARG_LOCAL_FILE args are looked for first ("files"), or NULL */
	const char *files_dir;
	/*
	 * MOD_FREE_FORM: the keys a free-form string may also carry as
	 * key=value ("include_vars: file=a.yml name=x"); NULL: command's
	 * (creates, chdir, ...).
	 */
	const char *const *free_form_keys;
	/*
	 * Pairs of args that may not be given together, each "a|b";
	 * NULL-terminated, or NULL. args_normalize refuses a task giving
	 * both (neither null; a templated one is checked once rendered)
	 * with Ansible's "parameters are mutually exclusive: a|b", at the
	 * second's place, so `tend validate` says it.
	 */
	const char *const *exclusive;
	/*
	 * The probe shape (set both, and leave check NULL): probe() fills
	 * `out` (initialised by the caller) from the args alone; judge()
	 * gets the probe and what its script printed (`res`: status, stdout,
	 * stderr; empty when the script was empty) and fills the result. It
	 * may take p->priv into out->priv (setting p->priv to NULL).
	 */
	int (*probe)(struct probe *out, const struct task_ctx *ctx);
	int (*judge)(struct check_result *out, const struct task_ctx *ctx,
		     struct probe *p, const struct exec_result *res);
	/* A check that is not a probe (controller modules). */
	int (*check)(struct check_result *out, const struct task_ctx *ctx);
	/*
	 * At load time (tend validate), the normalized args, whose values
	 * may still hold templates: < 0 with the error set refuses the task
	 * (at the position of the arg named by *arg, when it sets one).
	 * NULL: nothing more to check.
	 */
	int (*validate)(const struct val *args, const char **arg);
	/* NULL for modules that never change anything (stat, debug) */
	int (*apply)(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned);
};


/*
 * The i-th argument of module `m` (0-based): its own args, then, with
 * MOD_FILE_ARGS, the common file arguments its own table does not name.
 * NULL past the end. The spec rows are static: nothing to free.
 */
const struct arg_spec *module_arg(const struct tend_module *m, size_t i);

/*
 * Validate and normalize args against a module's spec into *out (a new
 * dict): aliases become canonical names, values are coerced to the
 * spec's type, unknown args and bad choices are errors (with "did you
 * mean"), and with `final` missing required args are errors too. Values
 * still holding jinja (before rendering) are skipped for type checks when
 * !final. Problems go to `d` at the positions of the values (`pos` for
 * the args as a whole). Returns 0, or TEND_EPARSE if any error was added.
 */
int args_normalize(struct val **out, const struct tend_module *m,
		   const struct val *args, const struct srcpos *pos,
		   struct diags *d, bool final);

/*
 * At load time, for normalized `args`: each ARG_LOCAL_FILE arg holding a
 * literal path (no jinja) is looked for as task_find_file does, beneath
 * `root`; one that leads out of it is added to `d` at the value's
 * position. A file that is missing is left for the run to report (an
 * earlier task may make it). Nothing happens when `root` is NULL.
 */
void args_check_files(const struct tend_module *m, const struct val *args,
		      const char *basedir, const char *const *role_dirs,
		      const char *root, struct diags *d);

/*
 * Check a task with module `m`: its probe run on ctx->t (read-only) and
 * judged, or its check(). For MOD_FILE_ARGS given an SELinux argument,
 * the probe script first asks whether SELinux is enabled (same round
 * trip; before a check() that is not a probe, a round trip of its own)
 * and the check fails if it is. What the executor calls; `out` is initialised
 * by the caller. Returns as the module's functions do.
 */
int module_check(struct check_result *out, const struct tend_module *m,
		 const struct task_ctx *ctx);

#endif
