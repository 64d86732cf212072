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

enum task_kind {
	TASK_MODULE,  /* a module call */
	TASK_BLOCK,   /* block / rescue / always */
	TASK_INCLUDE, /* include_tasks / import_tasks: a file of tasks */
	TASK_META,    /* meta: flush_handlers, noop, end_play, end_host */
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
	char *loop_var;            /* "item" unless loop_control.loop_var */
	char *index_var;           /* loop_control.index_var, or NULL */
	struct val *loop_label;    /* loop_control.label, or NULL */
	char *register_as;         /* register: NAME, or NULL */
	struct val *notify;        /* list of handler names/topics, or NULL */
	struct val *tags;          /* list of tags (own + inherited), or NULL */
	struct val *changed_when;  /* list of raw conditions, or NULL */
	struct val *failed_when;   /* list of raw conditions, or NULL */
	struct val *ignore_errors; /* raw bool (may be templated), or NULL */
	struct val *vars;          /* task (or block) vars, or NULL */
	int become;                /* -1 inherit, 0 no, 1 yes */
	char *become_user;         /* NULL: inherit */
	struct val *no_log;        /* raw bool (may be templated), or NULL:
				      inherit (block, play) */
	bool no_diff;              /* diff: false: no diff of it (or of the
				      block's tasks) is shown or kept */
	struct val *listen;        /* handlers: list of topics, or NULL */
	char *meta;                /* TASK_META: what */
	struct tasklist block, rescue, always; /* TASK_BLOCK */
	struct tasklist included;  /* TASK_INCLUDE with a literal file: loaded */
	bool include_static;       /* the file name has no jinja: loaded now */
};

struct play {
	struct srcpos pos;
	char *name;
	struct val *hosts;         /* pattern (str), or list of patterns */
	struct val *vars;          /* dict, never NULL */
	struct val *vars_files;    /* list of raw paths, or NULL */
	bool gather_facts;
	int become;                /* -1 unset */
	char *become_user;
	struct val *tags;          /* list, or NULL */
	struct val *serial;        /* raw, or NULL */
	bool strategy_free;        /* strategy: free (no barrier per task) */
	bool any_errors_fatal;     /* one failed host ends the play for all */
	int max_fail_percentage;   /* -1: unset */
	struct val *no_log;        /* raw bool (may be templated), or NULL */
	struct val *schedule;      /* tend: cron schedule, raw */
	struct val *maintenance;   /* tend: maintenance window settings, raw */
	struct tasklist pre_tasks, tasks, post_tasks, handlers;
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
 * Load a file of tasks (include_tasks) into `out`, relative paths against
 * `basedir`, confined to `root` (NULL: anywhere). Same error rules as
 * playbook_load.
 */
int playbook_load_tasks(struct tasklist *out, const char *path,
			const char *basedir, const char *root,
			struct diags *d);

void playbook_free(struct playbook *pb);
void tasklist_release(struct tasklist *l);

/* A name for output: the task's name, else "module" or "module: arg". */
void task_display_name(struct buf *out, const struct task *t);

/* True if the task carries one of `tags` (or "always"), or tags is empty. */
bool task_matches_tags(const struct task *t, const struct val *only,
		       const struct val *skip);

#endif
