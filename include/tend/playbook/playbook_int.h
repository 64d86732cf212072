#ifndef TEND_PLAYBOOK_INT_H
#define TEND_PLAYBOOK_INT_H

/*
 * Internals shared by the files of runner/playbook/. Nothing outside that
 * folder includes this header; the public API is playbook.h.
 *
 *	playbook.c  playbook_load: files of plays, import_playbook
 *	play.c      one play: the play keyword table, its task lists
 *	task.c      one task: its action, its keywords, the post-checks;
 *	            task lists and include_tasks files; freeing; tags
 *	keywords.c  the task keyword table (and loop_control's)
 *	defaults.c  module_defaults of plays, blocks and tasks
 *	prompt.c    vars_prompt's entries; the answers as play vars
 *	action.c    what a task does: a module, block, meta, include_tasks,
 *	            import_role / include_role or action:, and a module's
 *	            args in Ansible's forms
 *	role.c      roles: the role layout, meta dependencies, roles path
 *	imports.c   what an import passes down: when, tags, vars
 *	base.c      what every file shares: value checks, keyword lookup,
 *	            "unknown ... (did you mean ...)", include paths
 *
 * Errors in the input never stop a load: every function here reports
 * what is wrong to lc->d (as "file:line:col: message") and goes on, so
 * that one run lists every problem. A caller that must know whether a
 * step found a problem compares lc->d->errors before and after it.
 */

#include "tend/data/val.h"
#include "tend/playbook/playbook.h"

/* How deep include_tasks / import_playbook may nest: past it, a loop. */
#define MAX_INCLUDE_DEPTH 32

/* One load: where problems go and where relative paths start. */
struct loadctx {
	struct diags *d;
	const char *basedir;   /* the playbook's directory */
	const char *root;      /* reads stay beneath it; NULL: anywhere */
	int depth;             /* include nesting */
	int nested;            /* >0: loading a block's or a file's tasks */
	/*
	 * Roles (role.c): the play being loaded (NULL for a file that
	 * include_tasks loads at run time), the role whose files load now,
	 * and the keys of the roles the play loaded (role.c role_key).
	 */
	struct play *play;
	const struct role *role;
	struct val *roles_seen;
	/*
	 * role.c's role_load_task, set with `play` by play.c: task.c loads
	 * an import_role / include_role through it (a call, not a symbol,
	 * as role.c loads the role's tasks through task.c)
	 */
	void (*load_role)(struct loadctx *lc, struct task *t);
	/*
	 * The module_defaults of the play and the blocks around the task
	 * loading now, merged (defaults.c); NULL: none. Borrowed.
	 */
	const struct val *mdefaults;
	/*
	 * What the import_playbook lines around the file being loaded pass
	 * to each of its plays (NULL: none): their vars (a dict, an outer
	 * import's over an inner one's), their when (a list, outermost
	 * first) and their tags (a list); `imported` is set inside any
	 * import_playbook.
	 */
	struct val *imp_vars, *imp_when, *imp_tags;
	bool imported;
	/*
	 * The directory of the playbook file whose plays load now (an
	 * imported one's): roles are looked up beside it, as Ansible's
	 * loader does. NULL: basedir.
	 */
	const char *pbdir;
};

/*
 * base.c: keyword tables
 *
 * Plays, tasks and loop_control each have one table of the keywords
 * they take, one row a keyword, ended by a row whose name is NULL. The
 * order of the rows is the order "did you mean" tries them in, so a tie
 * goes to the earlier row.
 */

/* What a keyword's parse function is handed: one key of one dict. */
struct kwarg {
	struct loadctx *lc;
	const struct val *dict;  /* the play, task or loop_control dict */
	const char *key;
	const struct val *v;     /* dict[key] */
	struct task *t;          /* task and loop_control keywords */
	struct play *p;          /* play keywords */
	bool handler;            /* the task is a handler */
};

/*
 * Refused by name: "<what> keyword 'KEY' is not supported yet", the
 * row's doc says what it would do. Refusing beats ignoring silently.
 */
#define KW_REFUSED (1u << 0)
/*
 * A task keyword that is also the task's action (block, action): the
 * action search takes it as one.
 */
#define KW_ACTION  (1u << 1)

struct keyword {
	const char *name;
	/*
	 * Check a->v and store it in a->t or a->p; problems go to a->lc->d.
	 * NULL: the keyword is accepted and has no effect here (it is
	 * refused, or it has no effect yet, or another step reads it).
	 */
	void (*parse)(const struct kwarg *a);
	unsigned int flags;      /* KW_REFUSED, KW_ACTION */
	const char *doc;         /* what it does; for refused ones, why */
};

/* The row of `table` named `name`, or NULL. */
const struct keyword *playbook_keyword_find(const struct keyword *table,
					    const char *name);

/*
 * Each key of a->dict, in order, through its row of `table`: a refused
 * keyword is reported as "<what> keyword 'KEY' is not supported yet" at
 * the key's position, any other goes to its parse function (if it has
 * one) with a copy of `a` whose key and v are that key's. A key with no
 * row is reported as "unknown <unknown> 'KEY'" (playbook_unknown_key),
 * or skipped when `unknown` is NULL (the caller reports those).
 */
void playbook_keywords_apply(const struct keyword *table,
			     const struct kwarg *a, const char *what,
			     const char *unknown);

/*
 * Report `key` of `dict` as "unknown <what> 'KEY'", with "(did you mean
 * 'NAME'?)" when a keyword of `table` is close, or else (modules_too) a
 * module name.
 */
void playbook_unknown_key(struct loadctx *lc, const struct val *dict,
			  const char *key, const char *what,
			  const struct keyword *table, bool modules_too);

/* become_method, of plays and tasks: sudo or su. */
void playbook_parse_become_method(const struct kwarg *a);

/*
 * base.c: value checks
 *
 * Each takes `what`, the keyword, for its message. The values returned
 * are new references (or new strings) that the caller owns; NULL means
 * the value was reported as wrong.
 */

/* Where `key` stands in `dict`, else where the dict does. Borrowed. */
const struct srcpos *playbook_key_pos(const struct val *dict,
				      const char *key);

/*
 * A string, or a list of strings, as a new list (numbers are taken as
 * strings); split_commas splits a string at commas ("a, b").
 */
struct val *playbook_string_list(struct loadctx *lc, const struct val *v,
				 const char *what, bool split_commas);

/*
 * when / changed_when / failed_when: a condition or a list of them, as
 * a list.
 */
struct val *playbook_condition_list(struct loadctx *lc, const struct val *v,
				    const char *what);

/*
 * A keyword of Ansible's FieldAttribute(isa='bool'): boolean(value,
 * strict=True), checked at load time. Returns 0 with *out set, or -1
 * when the value was reported as not a bool (a template is not a bool
 * yet either).
 */
int playbook_parse_bool(struct loadctx *lc, const struct val *v,
			const char *what, bool *out);

/*
 * A bool keyword that may be templated (no_log): a bool value, or a
 * string with jinja kept raw for the executor to render; NULL when the
 * value was reported as neither.
 */
struct val *playbook_expect_flag(struct loadctx *lc, const struct val *v,
				 const char *what);

/* Any scalar but null, as a new string. */
char *playbook_expect_str(struct loadctx *lc, const struct val *v,
			  const char *what);

/* A dict, or null as an empty one. */
struct val *playbook_expect_dict(struct loadctx *lc, const struct val *v,
				 const char *what);

/*
 * vars: a dict, null (empty), or a list of dicts merged in order (later
 * keys over earlier ones), as Ansible's _load_vars takes them.
 */
struct val *playbook_expect_vars(struct loadctx *lc, const struct val *v,
				 const char *what);

/*
 * environment: a dict of variable names to values, a template giving
 * one, or a list of those (merged in order); literal names must be ones
 * a shell can export.
 */
struct val *playbook_expect_environment(struct loadctx *lc,
					const struct val *v, const char *what);

/*
 * An integer keyword that may be templated (retries, delay, throttle):
 * an int, a string of digits, or a string with jinja, kept raw.
 */
struct val *playbook_expect_int(struct loadctx *lc, const struct val *v,
				const char *what);

/*
 * A relative include path resolved as Ansible does: next to the file at
 * `pos` (when pos names a file and the path exists there, beneath `root`
 * if set), else in `basedir`. Returns a new string.
 */
char *playbook_resolve_path(const char *file, const struct srcpos *pos,
			    const char *basedir, const char *root);

/*
 * A file the load must read later (a literal vars_files entry) that
 * leads out of lc->root: reported at `pos`. Nothing without a root.
 */
void playbook_check_beneath(struct loadctx *lc, const char *path,
			    const struct srcpos *pos);

/*
 * defaults.c: module_defaults
 *
 * playbook_module_defaults reads a module_defaults value (a dict, or a
 * list of dicts merged in order) into a new dict keyed by the module's
 * registry name, each value a raw args dict or a template; an unknown
 * module, a `group/` key or a value of another type is reported.
 * playbook_defaults_merge gives a new dict: `outer`'s entries, each
 * replaced whole by `inner`'s for the same module (Ansible's
 * dict.update of the play's, the blocks' and the task's, in order).
 * playbook_args_with_defaults gives a new reference: `args` over the
 * literal defaults `defaults` has for module `m` (args itself, or NULL,
 * when it has none, or only a template).
 */
struct tend_module;
struct val *playbook_module_defaults(struct loadctx *lc, const struct val *v);
struct val *playbook_defaults_merge(const struct val *outer,
				    const struct val *inner);
struct val *playbook_args_with_defaults(const struct val *defaults,
					const struct tend_module *m,
					const struct val *args);

/* prompt.c: a play's vars_prompt, checked (a->p->vars_prompt) */
void playbook_parse_vars_prompt(const struct kwarg *a);

/*
 * keywords.c
 */

/* The keywords of a task (block and action are also actions). */
extern const struct keyword task_keywords[];

/*
 * with_NAME for a lookup NAME that has no row in task_keywords (those
 * are with_items, with_list and with_dict): the loop is that lookup
 * over the value's terms.
 */
bool playbook_is_with_lookup(const char *key);

/* Every with_NAME key of a->dict that playbook_is_with_lookup, loaded. */
void playbook_with_lookups(const struct kwarg *a);

/*
 * action.c
 */

/*
 * True if the task key `key` names an action: a module, block, meta,
 * include_tasks / import_tasks or action.
 */
bool playbook_action_is(const char *key);

/*
 * Make `t` the task that action `key` (action_is) with value `v` asks
 * for: its kind, action, module, args and meta. Returns 0, also when a
 * problem was reported that leaves the task whole enough for its
 * keywords to be checked; TEND_EPARSE when the task cannot go on.
 * An include's file is not loaded here (task.c does that).
 */
int playbook_action_load(struct loadctx *lc, struct task *t, const char *key,
		const struct val *v);

/*
 * task.c
 */

/*
 * Load the task list `v` (a list, or NULL / null: none) into `out`;
 * `what` names it in messages, inherited_tags are added to each task's,
 * handlers says whether they are. Returns 0, or TEND_EPARSE if a
 * problem was reported.
 */
int task_load_list(struct loadctx *lc, struct tasklist *out,
		   const struct val *v, const char *what,
		   const struct val *inherited_tags, bool handlers);

/*
 * Load the file of tasks at `path` into `out`, one include deeper; a
 * missing file is reported at `from`. Returns 0, TEND_EPARSE if a
 * problem was reported, or <0 with the error set if the file could not
 * be read.
 */
int task_load_file(struct loadctx *lc, struct tasklist *out,
		   const char *path, const struct srcpos *from, bool handlers);

/*
 * apply: `v` of include_tasks / include_role (`action` names it in
 * messages): its keywords as a new TASK_BLOCK with no tasks, the block
 * the executor runs the included tasks in. Keys tend cannot honour
 * there are refused by name. NULL if `v` is no dict.
 */
struct task *task_load_apply(struct loadctx *lc, const struct val *v,
			     const char *action);

/* Append `t` to `l`, which owns it from then on. */
void tasklist_add(struct tasklist *l, struct task *t);

/* Free `t` and all it holds. NULL-safe. */
void task_free(struct task *t);

/*
 * role.c
 */

/*
 * The play's `roles:` (lc->play's), each a TASK_ROLE task appended to
 * its tasks, their handlers to its handlers.
 */
void role_load_play(struct loadctx *lc, const struct val *roles);

/*
 * import_role / include_role task `t` (its keywords read): load the role
 * into t->included and t->runs. Problems go to lc->d.
 */
void role_load_task(struct loadctx *lc, struct task *t);

/* Free every role of `p` (p->roles). */
void role_free_all(struct play *p);

/*
 * imports.c: what imports pass down to the tasks they bring
 */

/*
 * Whether `t` stands for its tasks in place (an import): import_tasks,
 * the old include of a literal file without a loop, roles: and
 * import_role. Its tasks take its when and tags one by one.
 */
bool imports_is_static(const struct task *t);

/*
 * Put the conditions `when` (a list; NULL or empty: nothing) in front of
 * the when of each task of `l`; a static role's tasks (which took their
 * role's when at load) each take them instead of the role.
 */
void imports_push_when(struct tasklist *l, const struct val *when);

/*
 * Add `tags` to the tags of each task of `l`, and of every task of its
 * blocks and static imports (imports_is_static), however deep; to a
 * dynamic include's up_tags too (its tasks take them when it runs).
 */
void imports_push_tags(struct tasklist *l, const struct val *tags);

/*
 * Give each task of `l` the vars `vars` (a dict) under its own, as the
 * vars of a block around it.
 */
void imports_push_vars(struct tasklist *l, const struct val *vars);

/*
 * play.c
 */

/*
 * The play of dict `v`, or NULL if a problem was reported. The caller
 * frees it with play_free().
 */
struct play *play_load(struct loadctx *lc, const struct val *v);

/* Free `p` and all it holds. NULL-safe. */
void play_free(struct play *p);

/*
 * ansible-core 2.14's short names of modules that live in collections
 * (routing.c, generated): per collection, its names between spaces, each
 * " NAME " or, where the collection spells it otherwise, " NAME=REAL ".
 * Ends with a row of NULLs.
 */
struct module_route {
	const char *collection;
	const char *names;
};
extern const struct module_route playbook_module_routes[];

/*
 * names.c: if `key` is an Ansible module, collection module or task
 * keyword that tend lacks, say so at pos and return true.
 */
bool playbook_ansible_name(struct loadctx *lc, const struct srcpos *pos,
			   const char *key);

/*
 * names.c: parse every template of a task dict (ACTION its module key,
 * or NULL) or of a play dict (its task lists are left to their loading),
 * reporting each error at its string's place.
 */
void playbook_check_templates(struct loadctx *lc, const struct val *task,
			      const char *action);

/*
 * names.c: each literal notify of the play's tasks and handlers (static
 * includes too) must name a handler of the play or a topic one listens
 * to; an error at the notify's place otherwise.
 */
void playbook_check_notify(struct loadctx *lc, const struct play *p);
/*
 * run_once as Ansible inherits it (play.c): each task of `l` that does
 * not say its own takes `on`, through blocks and imports; a dynamic
 * include under a true one is refused (a diag).
 */
void playbook_pass_run_once(struct loadctx *lc, struct tasklist *l, bool on);

#endif
