#ifndef TEND_CLI_CLI_INT_H
#define TEND_CLI_CLI_INT_H

/*
 * What the files of the command line share: the parsed arguments, the
 * option and command tables' types, and the steps the dispatcher runs
 * before a command. The command line is a thin client of engine/job.h:
 * it parses, sets up what a command's flags ask for, shows and maps to
 * an exit code; the work is done below it.
 *
 *	cli.c       the command table, help, the dispatcher (cli_main)
 *	common.c    messages and small helpers every file uses
 *	args.c      options into struct cli_args, a command's usage
 *	setup.c     git source, playbooks, inventory, tend.yml, saved plans
 *	run.c       plan and apply: a job, shown live, mapped to exit codes
 *	progress.c  the live per-host progress block on a terminal
 *	records.c   history, show and window: the state DB and manual windows
 *	info.c      validate, modules, doc, pull
 *	acfg.c      ansible.cfg and ANSIBLE_* into the arguments and defaults
 *	list.c      --syntax-check, --list-hosts, --list-tasks, --list-tags
 *	sshargs.c   --ssh-common-args: the OpenSSH options tend understands
 *	vault.c     the vault passwords (--vault-password-file, --vault-id)
 *	            and tend vault encrypt|decrypt|view|edit|encrypt_string
 *	manual.c    the manual pages (tend help --man), from the tables
 *	completion.c  tend completion bash|zsh, from the same tables
 */

#include "tend/data/ansiblecfg.h"
#include "tend/data/vault.h"
#include "tend/engine/config.h"
#include "tend/engine/run.h"
#include "tend/inventory/inventory.h"
#include "tend/playbook/playbook.h"
#include "tend/source/source.h"
#include "tend/store/store.h"

#include <pthread.h>

/* Exit codes (DESIGN.md), mapped here and nowhere else. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_CHANGES = 2,
	EXIT_HOSTS_FAILED = 3,
	EXIT_STALE = 4,
	EXIT_LOCKED = 5, /* another run holds a host (--lock-timeout) */
};

enum {
	CMD_NEEDS_PLAYBOOK = 1 << 0, /* positional args are playbooks */
	CMD_NEEDS_INVENTORY = 1 << 1,
	CMD_TAKES_PLAN = 1 << 2,     /* the argument may be a saved plan */
	CMD_APPLIES = 1 << 3,        /* changes hosts (unless --check) */
};

struct cli_args {
	/*
	 * -i, repeatable: every source in the order given (merged as
	 * ansible-playbook merges them, inventory.h inventory_load_sources);
	 * `inventory` is the first, or ansible.cfg's, or NULL.
	 */
	const char *inventory;
	const char **inventories;
	size_t inventories_nr;
	const char *limit;
	struct val *extra;   /* dict */
	struct val *tags, *skip_tags;
	int forks;
	const char *format;
	bool detailed_exitcode;
	bool unknown_is_change; /* --unknown-is-change */
	bool diff;
	bool force_handlers; /* --force-handlers */
	bool flush_cache;    /* --flush-cache */
	/* ansible.cfg's gathering and fact cache (acfg.c), with flush_cache */
	struct fact_cache_opts facts;
	int verbosity;           /* -v, -vv ...: how many */
	bool check;
	bool no_color;
	bool stats;
	const char *out_path;  /* plan --out */
	long max_plan_age;     /* seconds; 0: any */
	long long lock_timeout; /* apply: seconds to wait for a held host */
	bool replan;
	struct val *secrets;   /* --secrets: a dict of secret values */
	const struct val *plan; /* apply: the saved plan, or NULL */
	/*
	 * Saved plans: the files the run read, from before anything is
	 * loaded; the digests' hasher (apply PLAN: with the plan's salt,
	 * plan --out: a new one), both freed at exit.
	 */
	struct readlog *reads;
	struct pwhash *hasher;
	const char *config_path; /* --config, else $TEND_CONFIG */
	const char *connection;  /* -c TYPE: hosts without their own */
	/*
	 * --syntax-check, --list-hosts, --list-tasks, --list-tags: a mask
	 * of LIST_*; set, plan and apply print (list.c) and touch no host
	 */
	unsigned int list;
	/*
	 * ansible-playbook's connection and become options: -u, --private-key,
	 * --timeout as the lowest layer of the connection vars (over tend.yml,
	 * ansible.cfg and ANSIBLE_*; inventory and play vars win per host);
	 * -b, --become-user, --become-method as the defaults of the plays
	 * (play, block and task keywords win); NULL/false: not given
	 */
	const char *remote_user, *private_key, *conn_timeout;
	bool become;
	const char *become_user, *become_method;
	bool ask_become_pass;      /* -K */
	struct val *ssh_args;      /* --ssh-common-args, as a var */
	const char *ssh_config;    /* -F/--ssh-config FILE */
	const char *start_at_task; /* --start-at-task NAME, or NULL */
	bool step;                 /* --step: ask before each task */
	bool no_window;
	bool override_cw;        /* --override-change-window */
	const char *reason;
	const char *trigger;   /* --trigger: what started the run */
	const char *play;      /* --play N|NAME: only that play, or NULL */
	bool log_json;         /* daemon --log-format json */
	const char *hosts_arg;   /* window open --hosts */
	const char *duration;    /* window open --duration */
	bool all;                /* window list --all */
	bool expired;            /* resources --expired */
	struct config *cfg;      /* tend.yml (plan, apply) */
	struct ansiblecfg *acfg; /* ansible.cfg and ANSIBLE_* (acfg.c) */
	struct val *defaults;    /* its ssh: section as connection vars */
	const char *state_path;
	int history_limit;
	/*
	 * --repo: playbooks and inventory come from this git source; `src`
	 * is the fetched commit (src.dir is NULL until it is fetched), and
	 * `src_paths` the paths made relative to its tree (freed at exit).
	 */
	struct source_opts src_opts;
	struct source_result src;
	char **src_paths;
	size_t src_paths_nr;
	const char **repo_pos; /* the playbooks as given: paths in the repo */
	/*
	 * --vault-password-file and --vault-id, read as they come; handed
	 * to the loaders (data/vault.h vault_set_keys) once every option
	 * is parsed, before -e @FILE and --secrets are loaded.
	 */
	struct vault_keys vault;
	bool takes_vault;        /* the command has the vault options */
	const char *output;      /* vault: --output */
	const char *name;        /* vault encrypt_string: --name */
	/*
	 * The command table (cli.c), ending in a row whose name is NULL:
	 * for the manual pages and the completion scripts.
	 */
	const struct cli_cmd *cmds;
	bool man;                /* help --man: roff, not text */
	const char *man_dir;     /* help --man-dir DIR: every page into DIR */
	/*
	 * Trust (docs/sources.md): --untrusted, --trust-source, and what
	 * follows for the playbooks: the root reads stay beneath (the
	 * checkout; with --untrusted and local playbooks, the current
	 * directory: `cwd_root`, owned) and whether the source is untrusted.
	 */
	bool untrusted_flag, trust_source;
	struct fs_limits limits;
	char *cwd_root;
	const char **pos;    /* positional arguments */
	size_t pos_nr;
	/* set up by the dispatcher from the flags */
	struct playbook **pbs;
	size_t pbs_nr;
	struct inventory *inv;
};

enum opt_id {
	OPT_INVENTORY, OPT_LIMIT, OPT_EXTRA, OPT_TAGS, OPT_SKIP_TAGS,
	OPT_FORKS, OPT_FORCE_HANDLERS, OPT_FLUSH_CACHE, OPT_FORMAT, OPT_DETAILED, OPT_UNKNOWN_IS_CHANGE, OPT_DIFF, OPT_CHECK,
	OPT_NO_COLOR, OPT_STATS, OPT_STATE, OPT_HISTORY_LIMIT, OPT_OUT, OPT_EXPIRED,
	OPT_MAX_PLAN_AGE, OPT_REPLAN, OPT_SECRETS, OPT_CONFIG, OPT_NO_WINDOW,
	OPT_OVERRIDE_CW, OPT_REASON, OPT_TRIGGER, OPT_LOG_FORMAT, OPT_HOSTS, OPT_DURATION, OPT_ALL,
	OPT_REPO, OPT_REF, OPT_KEY, OPT_KNOWN_HOSTS, OPT_TOKEN_ENV,
	OPT_OFFLINE, OPT_VERIFY_SIGS, OPT_ALLOWED_SIGNERS,
	OPT_REQUIRE_ANCESTOR, OPT_FETCH_TIMEOUT, OPT_DIR,
	OPT_VAULT_PASSWORD_FILE, OPT_VAULT_ID, OPT_OUTPUT, OPT_NAME,
	OPT_UNTRUSTED, OPT_TRUST_SOURCE, OPT_VERBOSE, OPT_LOCK_TIMEOUT, OPT_PLAY, OPT_CONNECTION,
	OPT_MAN, OPT_MAN_DIR,
	/* ansible-playbook's (args.c set_ansible_opt): keep them last */
	OPT_SYNTAX_CHECK, OPT_LIST_HOSTS, OPT_LIST_TASKS, OPT_LIST_TAGS,
	OPT_REMOTE_USER, OPT_PRIVATE_KEY, OPT_TIMEOUT, OPT_BECOME,
	OPT_BECOME_USER, OPT_BECOME_METHOD, OPT_ASK_BECOME_PASS,
	OPT_SSH_COMMON_ARGS, OPT_SSH_CONFIG, OPT_START_AT_TASK, OPT_STEP,
};

enum {
	LIST_SYNTAX = 1 << 0,
	LIST_HOSTS = 1 << 1,
	LIST_TASKS = 1 << 2,
	LIST_TAGS = 1 << 3,
};

struct cli_opt {
	enum opt_id id;
	char short_name;
	const char *long_name;
	const char *arg;     /* name of its value, or NULL for a flag */
	const char *help;
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli_args *a);
	unsigned int flags;
	const struct cli_opt *opts;
	const char *usage;
	const char *summary;
	const char *details;   /* after the options, or NULL */
};
/*
 * The exit codes, highest precedence first (when several apply, the
 * first listed wins), ended by a NULL meaning: `tend help` and tend(1).
 */
struct cli_exit_code {
	int code;
	const char *meaning;
};
extern const struct cli_exit_code cli_exit_codes[];

/*
 * Print "tend: MESSAGE" to stderr; returns EXIT_ERROR. A message that is
 * not a "warning: " is kept for the JSON error document.
 */
int cli_err(const char *fmt, ...) TEND_PRINTF(1, 2);
/* diags_print to stderr, its errors kept as cli_err's are. */
void cli_diags_print(const struct diags *d);
/* {"format_version": 2, "tend_version": ..., KEY: PAYLOAD} (owns it). */
struct val *cli_json_doc(const char *key, struct val *payload);
/* Say that the command printed its JSON document (no error document). */
void cli_json_printed(void);
/* Print a JSON document on stdout (a command's one document). */
void cli_print_json(const struct val *doc);
/*
 * At the command's end: with --format json, a command that ends with
 * EXIT_ERROR before it printed its document prints the errors kept as
 * one: {"format_version", "tend_version", "errors": [{"file", "line",
 * "column", "message"}]} (file, line and column when known).
 */
void cli_json_errors_end(const char *format, int rc);

/* args.c: parse argv (after the command name) for command `c`. */
int cli_parse_args(struct cli_args *a, const struct cli_cmd *c, int argc,
		   char **argv);
/*
 * prompt.c: every play's vars_prompt asked for (a terminal on stdin) or
 * defaulted (none), the answers set as play vars. Returns 0, or an
 * exit code after printing why.
 */
int cli_vars_prompt(struct cli_args *a);
/*
 * prompt.c: -K's become password, asked on /dev/tty without echo, into
 * a->defaults as the secret ansible_become_password. Returns 0, or an
 * exit code after printing why (no terminal).
 */
int cli_ask_become_pass(struct cli_args *a);
/*
 * prompt.c: --step, ansible-playbook's "Perform task: TASK: NAME
 * (N)o/(y)es/(c)ontinue: " on /dev/tty: RUN_STEP_YES, _ALL (continue
 * without asking) or _NO (anything else, or no terminal). And whether
 * there is a terminal to ask on (0, or an exit code after a message
 * naming `opt`).
 */
int cli_step_ask(const char *name);
int cli_need_tty(const char *opt);

/*
 * sshargs.c: --ssh-common-args ARGS, checked (transport/sshargs.h: what
 * tend has no equivalent for is refused by name) and kept in a->ssh_args
 * as the lowest-precedence ansible_ssh_common_args; and
 * cli_ansiblecfg_ssh_args, ansible.cfg's ssh_common_args and
 * ssh_extra_args under it, checked the same way. Return 0, or -1 after a
 * message.
 */
int cli_ssh_common_args(struct cli_args *a, const char *s);
int cli_ansiblecfg_ssh_args(struct cli_args *a);

/*
 * args.c: one -e/--extra-vars value merged into `into` (a dict): "@FILE"
 * (YAML or JSON), an inline YAML/JSON dict, or Ansible's k=v words.
 * Returns 0, or -1 after printing what is wrong.
 */
int cli_parse_extra(struct val *into, const char *s);

/* setup.c: what the command flags ask for; each returns an exit code. */
int cli_setup_source(struct cli_args *a);
/*
 * Refuse before anything is fetched or touched an apply of a source that
 * is not trusted: a git source without --verify-signatures or
 * --trust-source, or --untrusted. `applies`: the command would apply.
 */
int cli_check_trust(struct cli_args *a, bool applies);
int cli_setup_source_paths(struct cli_args *a);
int cli_setup_playbooks(struct cli_args *a);
int cli_setup_inventory(struct cli_args *a);
int cli_setup_config(struct cli_args *a);
int cli_load_config(struct config **out, struct cli_args *a);
int cli_load_plan(struct cli_args *a);

/*
 * Live progress on a terminal: under the scrolling log, one line per busy
 * host with the task it runs, redrawn by a ticker thread. Every write to
 * the terminal takes `lock`, erases the block, writes, and lets the
 * ticker draw it again.
 */
struct progress {
	pthread_mutex_t lock;
	FILE *f;
	char **hosts, **tasks;  /* tasks[i]: NULL when hosts[i] is idle */
	size_t nr, alloc;
	size_t drawn;           /* lines of the block on the screen */
	pthread_t ticker;
	volatile int stop;
};

#define PROGRESS_MAX_LINES 12

void cli_progress_start(struct progress *p, FILE *f);
void cli_progress_stop(struct progress *p);
/* Erase the block (with p->lock held) before writing to the terminal. */
void cli_progress_erase(struct progress *p);
/* Host `host` now runs `task` (NULL: idle). Thread-safe. */
void cli_progress_set(struct progress *p, const char *host, const char *task);

/* args.c: add the comma-separated tags of s to the list `into` (or a new one). */
struct val *cli_split_tags(struct val *into, const char *s);

/*
 * From here on SIGINT/SIGTERM only ask the work to stop (util/interrupt.h):
 * loading the inventory, setting plays up and running tasks wind down, and
 * the run goes on record as interrupted. A second signal exits at once.
 */
void cli_catch_interrupts(void);

/*
 * list.c: ansible-playbook's --syntax-check and --list-* output for the
 * loaded playbooks and inventory (a->list says which). Returns the exit
 * code.
 */
int cli_list(struct cli_args *a);

/* run.c: warn about each alert still firing after the windows closed. */
void cli_report_firing(const struct val *firing);

/* records.c */
int cli_open_state(struct store **out, struct cli_args *a);

/* The commands (one file each group), called by cli_main. */
/*
 * run.c: record a run of `a` in `mode` that a signal stopped before it
 * started (while the inventory loaded). Returns the exit code.
 */
int cli_record_interrupted(struct cli_args *a, enum run_mode mode);

int cmd_plan(struct cli_args *a);
int cmd_apply(struct cli_args *a);
int cmd_validate(struct cli_args *a);
int cmd_modules(struct cli_args *a);
int cmd_history(struct cli_args *a);
int cmd_window(struct cli_args *a);
int cmd_daemon(struct cli_args *a);
int cmd_show(struct cli_args *a);
int cmd_resources(struct cli_args *a);
int cmd_doc(struct cli_args *a);
int cmd_help(struct cli_args *a);
int cmd_version(struct cli_args *a);
int cmd_pull(struct cli_args *a);
int cmd_vault(struct cli_args *a);
int cmd_completion(struct cli_args *a);

/*
 * vault.c: add the password of --vault-password-file FILE or --vault-id
 * [LABEL@]FILE to a->vault (-1 after a message); then, once every option
 * is in, add $ANSIBLE_VAULT_PASSWORD_FILE's and hand them all to the
 * loaders (cli_vault_ready, -1 after a message).
 */
int cli_vault_opt(struct cli_args *a, enum opt_id id, const char *v);
int cli_vault_ready(struct cli_args *a);

/*
 * acfg.c: find and read ansible.cfg and the ANSIBLE_* variables (exit
 * code on an error, printed); its vault passwords (-1 on an error); its
 * settings after tend.yml's (`before`: the ones read before tend.yml's).
 */
int cli_load_ansiblecfg(struct cli_args *a);
int cli_ansiblecfg_vault(struct cli_args *a);
void cli_ansiblecfg_settings(struct cli_args *a, bool before);
int cli_help_ansiblecfg(void);
int cli_help_keywords(void);

/* args.c: usage of one command; cli.c: of all, and lookup by name. */
void cli_usage_cmd(FILE *f, const struct cli_cmd *c);
void cli_usage_all(FILE *f);
const struct cli_cmd *cli_find_cmd(const char *name);

/*
 * manual.c: the manual pages, in roff, from the same tables as the help
 * text (the commands and their options above, tend.yml's sections in
 * engine/config.h); `cmds` is the command table. `topic`: NULL for
 * tend(1), a command's name for
 * tend-NAME(1), "tend.yml" for tend.yml(5). cli_man prints one page to
 * `f` (EXIT_ERROR after a message for an unknown topic); cli_man_dir
 * writes every page into `dir` (tend.1, tend-plan.1, ..., tend.yml.5)
 * and prints their names. Both return an exit code.
 */
int cli_man(FILE *f, const struct cli_cmd *cmds, const char *topic);
int cli_man_dir(const struct cli_cmd *cmds, const char *dir);
/* manual.c: `tend help tend.yml`, the same sections and keys as text. */
int cli_help_config(void);

#endif
