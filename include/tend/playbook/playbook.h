#ifndef TEND_PLAYBOOK_H
#define TEND_PLAYBOOK_H

/*
 * Playbooks: YAML → plays → tasks, validated as they load.
 *
 * The loader checks the shape of everything it can before any host is
 * touched: unknown keys (with "did you mean"), unknown modules, module
 * args against their spec, types of keywords. Every problem is collected
 * in a struct diags as "file:line:col: message", so one run reports all
 * of them. Values are kept raw (not templated): the executor renders them
 * per host at run time.
 *
 * A loaded playbook owns all its plays and tasks; playbook_free() frees
 * the whole tree.
 */

#include "tend/data/val.h"
#include "tend/util/fs.h"

struct tend_module;

/*
 * One use of a role (runner/playbook/role.c): from a play's `roles:`, a
 * meta dependency, import_role or include_role. Owned by its play
 * (play.roles); every task loaded from the role points at it.
 */
struct role {
	char *name;                /* role_name: the role directory's name */
	char *path;                /* role_path: that directory */
	const struct role *parent; /* the role this one is a dependency of */
	struct val *defaults;      /* defaults/ file: a dict, never NULL */
	struct val *vars;          /* vars/ file, then the use's `vars:` */
	struct val *params;        /* the use's other keys: role params */
	struct val *magic;         /* role_name, role_path */
	/*
	 * Where its tasks' files are looked up: its path, then its parents',
	 * NULL-terminated (the strings are the roles' paths)
	 */
	const char **dirs;
	/*
	 * Loaded with the play (roles:, import_role): its defaults and vars
	 * are seen by every task of the play, as Ansible's play.get_roles()
	 */
	bool play_wide;
};

enum task_kind {
	TASK_MODULE,  /* a module call */
	TASK_BLOCK,   /* block / rescue / always */
	TASK_INCLUDE, /* include_tasks / import_tasks: a file of tasks */
	TASK_META,    /* meta: flush_handlers, noop, end_play, end_host */
	TASK_ROLE,    /* a role's tasks: roles:, import_role, include_role */
};

struct tasklist {
	struct task **items;
	size_t nr, alloc;
};

struct task {
	enum task_kind kind;
	struct srcpos pos;
	char *name;                /* NULL when not named */
	char *action;              /* the module name as written, or "block" */
	const struct tend_module *module;
	struct val *args;          /* raw args dict (TASK_MODULE, TASK_INCLUDE) */
	struct val *when;          /* list of raw conditions, or NULL */
	struct val *loop;          /* raw loop value, or NULL */
	bool loop_flatten;         /* with_items flattens one level */
	char *loop_with;           /* with_NAME: the lookup NAME, or NULL */
	char *loop_var;            /* "item" unless loop_control.loop_var */
	char *index_var;           /* loop_control.index_var, or NULL */
	struct val *loop_label;    /* loop_control.label, or NULL */
	struct val *loop_pause;    /* loop_control.pause (raw), or NULL */
	struct val *loop_extended; /* loop_control.extended (raw), or NULL */
	struct val *loop_allitems; /* loop_control.extended_allitems, NULL */
	char *register_as;         /* register: NAME, or NULL */
	struct val *notify;        /* list of handler names/topics, or NULL */
	struct val *tags;          /* list of tags (own + inherited), or NULL */
	struct val *changed_when;  /* list of raw conditions, or NULL */
	struct val *failed_when;   /* list of raw conditions, or NULL */
	struct val *ignore_errors; /* raw bool (may be templated), or NULL:
				      inherit (block, play) */
	struct val *ignore_unreachable; /* as ignore_errors */
	struct val *check_mode;    /* raw bool (may be templated), or NULL:
				      inherit (block, play) */
	struct val *any_errors_fatal; /* raw bool, or a template (true, as
					 Ansible's linear strategy), or NULL:
					 inherit (block, play) */
	struct val *timeout;       /* raw int seconds (may be templated), or
				      NULL: inherit (block); 0: none */
	struct val *async_val;     /* raw int seconds (may be templated), or
				      NULL: not async; 0: not async */
	struct val *poll;          /* raw int seconds (may be templated), or
				      NULL: Ansible's default (15) */
	struct val *module_defaults; /* dict: module name (the registry's)
					-> raw args dict (or a template of
					one); NULL: none of its own */
	struct val *vars;          /* task (or block) vars, or NULL */
	int become;                /* -1 inherit, 0 no, 1 yes */
	struct val *become_tpl;    /* become as a template, or NULL */
	char *become_user;         /* NULL: inherit */
	char *become_method;       /* "sudo" or "su"; NULL: inherit */
	struct val *no_log;        /* raw bool (may be templated), or NULL:
				      inherit (block, play) */
	bool no_diff;              /* diff: false: no diff of it (or of the
				      block's tasks) is shown or kept */
	struct val *listen;        /* handlers: list of topics, or NULL */
	struct val *environment;   /* raw: dict, template, or list of them */
	struct val *until;         /* list of raw conditions, or NULL */
	struct val *retries;       /* raw int (may be templated), or NULL: 3 */
	struct val *delay;         /* raw int (may be templated), or NULL: 5 */
	struct val *delegate_to;   /* raw host name (may be templated) */
	bool delegate_facts;       /* facts go to the delegate host */
	bool run_once;             /* run on the batch's first host only
				      (a block's, an import's: passed down
				      to the tasks inside at load) */
	bool run_once_said;        /* the task says run_once (true or false):
				      what is around it does not count */
	struct val *throttle;      /* raw int (may be templated), or NULL */
	struct val *connection;    /* raw connection name, or NULL: inherit */
	char *meta;                /* TASK_META: what */
	struct tasklist block, rescue, always; /* TASK_BLOCK */
	struct tasklist included;  /* TASK_INCLUDE with a literal file: loaded;
				      TASK_ROLE: the role's tasks */
	bool include_static;       /* the file name has no jinja: loaded now;
				      TASK_ROLE: false for include_role (its
				      when and tags are its own, not its
				      tasks') */
	/*
	 * include_tasks / include_role: apply's keywords as a block (owned)
	 * around each task it brings, or NULL
	 */
	struct task *apply;
	/*
	 * A dynamic include (include_tasks, include_role): the tags of the
	 * plays, blocks and imports around it, not its own; its tasks take
	 * them, as Ansible's inherit past an include. NULL: none.
	 */
	struct val *up_tags;
	bool public_role;          /* include_role public: true */
	const struct role *role;   /* the role the task belongs to, or NULL */
	const struct role *runs;   /* TASK_ROLE: the role it runs */
};

/* A play's `order`: how its hosts are sorted before it runs. */
enum play_order {
	ORDER_INVENTORY,         /* as the inventory lists them (default) */
	ORDER_REVERSE_INVENTORY,
	ORDER_SORTED,            /* by name */
	ORDER_REVERSE_SORTED,
	ORDER_SHUFFLE,           /* a random order, new every run */
};

struct play {
	struct srcpos pos;
	char *name;
	struct val *hosts;         /* pattern (str), or list of patterns */
	struct val *vars;          /* dict, never NULL */
	struct val *vars_files;    /* raw paths (a list: the first found), or NULL */
	bool run_once;             /* each task's, unless it says (passed
				      down at load) */
	bool gather_facts;
	bool gather_facts_set;     /* the play says (ansible.cfg's gathering:
				      explicit gathers only then) */
	/*
	 * The conditions of the import_playbook lines the play came
	 * through, or NULL: fact gathering is skipped on a host where they
	 * are false (each task took them in its own when)
	 */
	struct val *gather_when;
	struct val *gather_subset; /* raw list or string, or NULL: all */
	char *fact_path;           /* or NULL: /etc/ansible/facts.d */
	int become;                /* -1 unset */
	struct val *become_tpl;    /* become as a template, or NULL */
	char *become_user;
	char *become_method;       /* "sudo" or "su"; NULL: sudo */
	struct val *tags;          /* list, or NULL */
	struct val *serial;        /* raw, or NULL */
	bool strategy_free;        /* strategy: free (no barrier per task) */
	struct val *strategy_tpl;  /* strategy as a template, or NULL */
	bool any_errors_fatal;     /* one failed host ends the play for all */
	struct val *any_errors_fatal_tpl; /* as a template, or NULL */
	int max_fail_percentage;   /* -1: unset */
	struct val *ignore_errors; /* raw bool (may be templated), or NULL */
	struct val *ignore_unreachable; /* as ignore_errors */
	struct val *check_mode;    /* as task.check_mode */
	bool force_handlers;       /* a failed host still runs its handlers */
	enum play_order order;     /* the order hosts run in */
	struct val *module_defaults; /* as task.module_defaults */
	/*
	 * vars_prompt: a list of dicts with a string `name` and only
	 * Ansible's keys (prompt, default, private, confirm, encrypt,
	 * salt_size, salt, unsafe), none of them templated; or NULL
	 */
	struct val *vars_prompt;
	struct val *no_log;        /* raw bool (may be templated), or NULL */
	struct val *environment;   /* raw, as task.environment, or NULL */
	bool connection_kw;        /* vars' ansible_connection is the
				      `connection:` keyword's */
	struct val *maintenance;   /* tend: maintenance window settings, raw */
	/*
	 * tend daemon: the play's own `schedule:` (playbook/timing.h,
	 * checked at load), raw; or NULL
	 */
	struct val *schedule;
	struct tasklist pre_tasks, tasks, post_tasks, handlers;
	/*
	 * --start-at-task, set by playbook_start_at: skip every task of the
	 * play (a play before the one where the run starts), or start each
	 * host at the last task of `start_path`, the blocks, imports and
	 * roles around it first (outermost first; borrowed from the play,
	 * the array owned). Handlers run as notified.
	 */
	bool start_skip_all;
	const struct task **start_path;
	size_t start_path_nr;
	struct role **roles;       /* every role the play loaded, in order */
	size_t roles_nr, roles_alloc;
};

struct playbook {
	char *path;
	char *dir;                 /* directory of path: relative lookups */
	/*
	 * What the run may read and do on the controller (util/fs.h): for a
	 * git source, every file beneath its checkout. limits.root is owned.
	 */
	struct fs_limits limits;
	struct play **plays;
	size_t nr, alloc;
};

/*
 * Load and validate `path`. Problems go to `d`; returns TEND_EPARSE if any
 * error was found (the partial playbook is freed), TEND_ENOTFOUND with the
 * error set if the file is missing. *out is freed with playbook_free().
 *
 * `limits` (copied into the playbook; NULL: none) confine every file the
 * load and the run read: with limits->root set, the playbook, its imports
 * and includes, and the static vars_files and copy/template `src:` must
 * resolve beneath root, else an error names the file and the path
 * (TEND_EREFUSED with the error set for the playbook itself).
 */
int playbook_load(struct playbook **out, const char *path,
		  const struct fs_limits *limits, struct diags *d);

/*
 * ansible.cfg's roles_path (colon separated, absolute) and home, or NULL
 * for none: set before loading. Without a roles_path, ANSIBLE_ROLES_PATH
 * is read, else Ansible's default (HOME/roles, ~/.ansible/roles without
 * a home, /usr/share/ansible/roles, /etc/ansible/roles).
 */
void playbook_set_roles_path(const char *roles_path, const char *home);
/*
 * ansible.cfg's [privilege_escalation] become (0 or 1; -1: none),
 * become_user and become_method (NULL: none) as the defaults of every
 * play of `pb` that does not set them.
 */
void playbook_set_become_defaults(struct playbook *pb, int become,
				  const char *user, const char *method);

/*
 * Load a file of tasks (include_tasks) into `out`, relative paths against
 * `basedir`, confined to `root` (NULL: anywhere); the tasks belong to
 * `role` (borrowed; NULL: none). Same error rules as playbook_load.
 */
int playbook_load_tasks(struct tasklist *out, const char *path,
			const char *basedir, const char *root,
			const struct role *role, struct diags *d);

void playbook_free(struct playbook *pb);

/*
 * `tend help keywords`: the i-th keyword of plays (play true) or of
 * tasks, blocks and handlers (play false), with what tend does with it
 * (a refused one's says "not supported yet"); false past the last.
 */
bool playbook_keyword_doc(bool play, size_t i, const char **name,
			  const char **doc);

/*
 * ansible-playbook's --start-at-task NAME over the playbooks `pbs`, in
 * the order they run: the first task loaded with them (in blocks, static
 * imports and roles; not in a rescue or always, nor what a dynamic
 * include brings) whose name, or "ROLE : name", or module name when it
 * has none, is NAME or matches it as a glob (fnmatch). The plays before
 * its play skip all their tasks, its play starts each host at it
 * (play.start_*). Returns 0, or TEND_ENOTFOUND with the error set.
 */
int playbook_start_at(struct playbook *const *pbs, size_t nr,
		      const char *name);

/*
 * The first task with run_once among the play's, loaded with it (blocks,
 * imports, roles, handlers), or NULL.
 */
const struct task *playbook_run_once_task(const struct play *p);

/*
 * How many tasks named `task` ("" for unnamed) calling `module` (its tend
 * name) the plays named `play` ("" for unnamed) have, among the tasks
 * loaded with them: blocks, imports, roles, handlers; not what a dynamic
 * include brings at run time. (lxd_instance: is an instance's owner
 * task still there?)
 */
size_t playbook_count_tasks(const struct playbook *pb, const char *play,
			    const char *task, const char *module);

/*
 * An include_role `inc` whose role name (or tasks_from, ...) is a
 * template, at run time: load role `name` with the files `from` (tasks,
 * vars, defaults, handlers; each rendered, or NULL for main) into *out, a
 * new TASK_ROLE task (free it with tasklist_release of a list holding
 * it). The role, its dependencies and its handlers go to `owner` (a
 * zeroed struct play that lives as long as the task; the caller runs
 * owner->handlers too, and frees it with playbook_play_free). Paths as
 * playbook_load_tasks. Returns 0, or TEND_EPARSE with problems in `d`.
 */
int playbook_role_load(struct task **out, struct play *owner,
		       const struct task *inc, const char *name,
		       const char *const from[4], const char *basedir,
		       const char *root, struct diags *d);

/*
 * Set play var `name` of `p` to `v` (taking the reference): a
 * vars_prompt answer, which the CLI asks for before the run.
 */
void playbook_play_set_var(struct play *p, const char *name, struct val *v);

/* Free a play and all it holds (the owner of playbook_role_load). */
void playbook_play_free(struct play *p);
void tasklist_release(struct tasklist *l);

/*
 * A name for output: the task's name, else "module" or "module: arg";
 * a role's task as "ROLE : name", as Ansible shows it.
 */
void task_display_name(struct buf *out, const struct task *t);

/* True if the task carries one of `tags` (or "always"), or tags is empty. */
bool task_matches_tags(const struct task *t, const struct val *only,
		       const struct val *skip);

#endif
