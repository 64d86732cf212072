#include "tend/common.h"
#include "tend/report/report.h"
#include "tend/engine/job.h"
#include "tend/cli/cli.h"
#include "tend/cli/cli_int.h"
#include "tend/util/interrupt.h"
#include "tend/util/pwhash.h"
#include "tend/util/readlog.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* The git source (source.h): rows shared by pull, plan, apply, validate. */
/* Vault passwords: rows shared by plan, apply, validate and vault. */
#define VAULT_OPT_ROWS                                                       \
	{ OPT_VAULT_PASSWORD_FILE, 0, "vault-password-file", "FILE",         \
	  "the Ansible Vault password (an executable FILE is run for it; "  \
	  "also $ANSIBLE_VAULT_PASSWORD_FILE)" },                         \
	{ OPT_VAULT_ID, 0, "vault-id", "[LABEL@]FILE",                       \
	  "a vault password for vault id LABEL (repeatable)" }

#define SOURCE_OPT_ROWS                                                      \
	{ OPT_REPO, 0, "repo", "URL",                                        \
	  "take playbooks and inventory from this git repository (path, "    \
	  "file://, git://, ssh://, host:path, https://)" },                 \
	{ OPT_REF, 0, "ref", "REF",                                          \
	  "with --repo: the branch, tag or commit id to run" },              \
	{ OPT_KEY, 0, "key", "PATH", "ssh: the deploy key" },                \
	{ OPT_KNOWN_HOSTS, 0, "known-hosts", "PATH",                         \
	  "ssh: known_hosts file (default ~/.ssh/known_hosts)" },            \
	{ OPT_TOKEN_ENV, 0, "token-env", "VAR",                              \
	  "https: the environment variable that holds the token" },          \
	{ OPT_OFFLINE, 0, "offline", NULL,                                   \
	  "do not fetch: use the cached clone" },                            \
	{ OPT_VERIFY_SIGS, 0, "verify-signatures", NULL,                     \
	  "refuse a commit not signed by an allowed signer" },               \
	{ OPT_ALLOWED_SIGNERS, 0, "allowed-signers", "FILE",                 \
	  "the ssh allowed_signers file for --verify-signatures" },          \
	{ OPT_REQUIRE_ANCESTOR, 0, "require-ancestor-of", "BRANCH",          \
	  "refuse a commit that is not on BRANCH" },                         \
	{ OPT_FETCH_TIMEOUT, 0, "fetch-timeout", "SECONDS",                  \
	  "give up fetching after this long (default 60)" }

/* Trust (docs/sources.md): plan, apply, validate. */
#define TRUST_OPT_ROWS                                                       \
	{ OPT_UNTRUSTED, 0, "untrusted", NULL,                               \
	  "the playbooks are untrusted (a pull request): read only beneath " \
	  "the current directory, run nothing on this machine; plan only" }, \
	{ OPT_TRUST_SOURCE, 0, "trust-source", NULL,                         \
	  "--repo without --verify-signatures: trust the commit (needed "    \
	  "to apply it, or to plan tasks on this machine)" }

static const struct cli_opt pull_opts[] = {
	SOURCE_OPT_ROWS,
	{ OPT_DIR, 0, "dir", "DIR",
	  "check out into DIR (default: a tree in the cache)" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt run_opts[] = {
	{ OPT_INVENTORY, 'i', "inventory", "PATH",
	  "inventory file or directory, or a comma list 'h1,h2,' "
	  "(repeatable: merged, a later one's vars win; default: the "
	  "local host only)" },
	{ OPT_LIMIT, 'l', "limit", "PATTERN", "only hosts matching PATTERN" },
	{ OPT_EXTRA, 'e', "extra-vars", "VARS",
	  "k=v pairs, YAML/JSON, or @file (highest precedence; repeatable)" },
	{ OPT_TAGS, 't', "tags", "TAGS", "only tasks tagged with these" },
	{ OPT_SKIP_TAGS, 0, "skip-tags", "TAGS", "skip tasks with these tags" },
	{ OPT_FORKS, 'f', "forks", "N", "hosts in parallel (default 10)" },
	{ OPT_FORCE_HANDLERS, 0, "force-handlers", NULL,
	  "run notified handlers on a host even after it failed" },
	{ OPT_FLUSH_CACHE, 0, "flush-cache", NULL,
	  "start without the cached facts of ansible.cfg's fact_caching "
	  "jsonfile (an apply removes the inventory hosts' files)" },
	{ OPT_FORMAT, 0, "format", "FMT",
	  "text (default), json, markdown or junit" },
	{ OPT_OUT, 'o', "out", "PATH",
	  "plan: save the plan for 'tend apply PATH'" },
	{ OPT_MAX_PLAN_AGE, 0, "max-plan-age", "AGE",
	  "apply PLAN: refuse a plan older than AGE (30s, 15m, 2h, 1d)" },
	{ OPT_REPLAN, 0, "replan", NULL,
	  "apply PLAN: apply hosts that moved since the plan anyway" },
	{ OPT_LOCK_TIMEOUT, 0, "lock-timeout", "DURATION",
	  "apply: wait up to DURATION (30s, 5m) for a host another apply "
	  "holds (default 0: refuse at once, exit 5)" },
	{ OPT_SECRETS, 0, "secrets", "FILE",
	  "YAML dict of secret vars: never printed, stored or planned" },
	VAULT_OPT_ROWS,
	{ OPT_DETAILED, 0, "detailed-exitcode", NULL,
	  "exit 2 when some task will change, 0 when none (unknown is no "
	  "change)" },
	{ OPT_UNKNOWN_IS_CHANGE, 0, "unknown-is-change", NULL,
	  "with --detailed-exitcode: an unknown task counts as a change" },
	{ OPT_DIFF, 'D', "diff", NULL, "apply: show the diff of each change" },
	{ OPT_CHECK, 'C', "check", NULL, "apply: only plan (as tend plan)" },
	{ OPT_VERBOSE, 'v', "verbose", NULL,
	  "more output (-vv ... -vvvv): debug tasks up to that verbosity, "
	  "a failed task's whole rc, stdout and stderr; apply: each task's "
	  "result (-v), its task path (-vv), the module's arguments in it "
	  "(-vvv), each connection's settings when first opened (-vvvv)" },
	{ OPT_NO_COLOR, 0, "no-color", NULL, "no colour even on a terminal" },
	{ OPT_STATS, 0, "stats", NULL,
	  "print round trips per host per task to stderr" },
	{ OPT_STATE, 0, "state", "PATH",
	  "state DB (default $XDG_STATE_HOME/tend/tend.db)" },
	SOURCE_OPT_ROWS,
	{ OPT_CONFIG, 0, "config", "PATH",
	  "tend.yml (default: $TEND_CONFIG, else in the current directory "
	  "up to its git work tree's root, else beside the playbook, else "
	  "$XDG_CONFIG_HOME)" },
	{ OPT_CONNECTION, 'c', "connection", "TYPE",
	  "connection for the hosts that set none (local, ssh, lxd), as "
	  "ansible-playbook's -c" },
	{ OPT_SYNTAX_CHECK, 0, "syntax-check", NULL,
	  "only load the playbooks and inventory (as tend validate) and "
	  "print 'playbook: PATH', as ansible-playbook" },
	{ OPT_LIST_HOSTS, 0, "list-hosts", NULL,
	  "list each play's hosts (with --limit); run nothing" },
	{ OPT_LIST_TASKS, 0, "list-tasks", NULL,
	  "list each play's tasks with their tags (with --tags, "
	  "--skip-tags); run nothing" },
	{ OPT_LIST_TAGS, 0, "list-tags", NULL,
	  "list the tags of each play's tasks; run nothing" },
	{ OPT_REMOTE_USER, 'u', "user", "USER",
	  "log in as USER where the inventory and play set no user "
	  "(ansible_user, remote_user win, as in Ansible)" },
	{ OPT_PRIVATE_KEY, 0, "private-key", "FILE",
	  "the SSH key where the inventory sets none "
	  "(ansible_ssh_private_key_file wins)" },
	{ OPT_TIMEOUT, 'T', "timeout", "SECONDS",
	  "SSH connection timeout where the inventory sets none "
	  "(ansible_ssh_timeout wins)" },
	{ OPT_BECOME, 'b', "become", NULL,
	  "run as another user (sudo) where a play sets no 'become'" },
	{ OPT_BECOME_USER, 0, "become-user", "USER",
	  "the user to become (default root) where a play sets none" },
	{ OPT_BECOME_METHOD, 0, "become-method", "METHOD",
	  "sudo (default) or su, where a play sets none" },
	{ OPT_ASK_BECOME_PASS, 'K', "ask-become-pass", NULL,
	  "ask for the become (sudo) password on the terminal" },
	{ OPT_START_AT_TASK, 0, "start-at-task", "NAME",
	  "start at the first task named NAME (or matching it as a glob): "
	  "the tasks before it are skipped, as ansible-playbook's" },
	{ OPT_STEP, 0, "step", NULL,
	  "apply: ask on the terminal before each task whether to run it "
	  "(y, n, or c to run the rest)" },
	{ OPT_SSH_COMMON_ARGS, 0, "ssh-common-args", "ARGS",
	  "OpenSSH options for every host that sets none: -o User, Port, "
	  "IdentityFile, UserKnownHostsFile, StrictHostKeyChecking, "
	  "ConnectTimeout, ProxyJump, -l, -p, -i, -J, -F (others are "
	  "refused; docs/ssh.md)" },
	{ OPT_SSH_CONFIG, 'F', "ssh-config", "FILE",
	  "the OpenSSH client config to read (default ~/.ssh/config; "
	  "'none': none), as ssh -F" },
	{ OPT_NO_WINDOW, 0, "no-window", NULL,
	  "apply: open no maintenance window" },
	{ OPT_OVERRIDE_CW, 0, "override-change-window", NULL,
	  "apply outside the allowed change windows (needs --reason)" },
	{ OPT_REASON, 0, "reason", "TEXT", "why: recorded with the run" },
	{ OPT_TRIGGER, 0, "trigger", "TEXT",
	  "what started the run, recorded with it (tend daemon sets "
	  "'schedule NAME')" },
	{ OPT_PLAY, 0, "play", "N|NAME",
	  "only play N of the playbooks (1: the first; imported plays "
	  "counted where they are imported), or the play named NAME" },
	TRUST_OPT_ROWS,
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt daemon_opts[] = {
	{ OPT_CONFIG, 0, "config", "PATH",
	  "tend.yml with the sources, schedules and http sections "
	  "(required)" },
	{ OPT_STATE, 0, "state", "PATH",
	  "state DB (default: tend.yml's state.path, else "
	  "$XDG_STATE_HOME/tend/tend.db)" },
	{ OPT_LOG_FORMAT, 0, "log-format", "FMT", "text (default) or json" },
	{ OPT_CHECK, 0, "check", NULL,
	  "check tend.yml (every error, file:line:col) and exit" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt window_opts[] = {
	{ OPT_HOSTS, 0, "hosts", "H1,H2", "open: the hosts to cover" },
	{ OPT_DURATION, 0, "duration", "DUR", "open: how long (30m, 2h)" },
	{ OPT_REASON, 0, "reason", "TEXT", "open: why (shown to watchers)" },
	{ OPT_ALL, 0, "all", NULL, "list: closed windows too" },
	{ OPT_CONFIG, 0, "config", "PATH", "tend.yml with the providers" },
	{ OPT_STATE, 0, "state", "PATH", "state DB" },
	{ OPT_FORMAT, 0, "format", "FMT", "list: text (default) or json" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt history_opts[] = {
	{ OPT_HISTORY_LIMIT, 'n', "limit", "N", "show the last N runs (20)" },
	{ OPT_FORMAT, 0, "format", "FMT", "text (default) or json" },
	{ OPT_STATE, 0, "state", "PATH", "state DB" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt resources_opts[] = {
	{ OPT_EXPIRED, 0, "expired", NULL, "only those whose expiry passed" },
	{ OPT_FORMAT, 0, "format", "FMT", "text (default) or json" },
	{ OPT_STATE, 0, "state", "PATH", "state DB" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt show_opts[] = {
	{ OPT_FORMAT, 0, "format", "FMT", "text (default) or json" },
	{ OPT_STATE, 0, "state", "PATH", "state DB" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt validate_opts[] = {
	{ OPT_INVENTORY, 'i', "inventory", "PATH",
	  "inventory to check too (repeatable)" },
	{ OPT_CONFIG, 0, "config", "PATH",
	  "tend.yml to check too (default: found as plan finds it)" },
	{ OPT_EXTRA, 'e', "extra-vars", "VARS", "extra vars" },
	{ OPT_SSH_CONFIG, 'F', "ssh-config", "FILE",
	  "an OpenSSH client config to check too (its syntax, Match)" },
	VAULT_OPT_ROWS,
	SOURCE_OPT_ROWS,
	TRUST_OPT_ROWS,
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt vault_opts[] = {
	VAULT_OPT_ROWS,
	{ OPT_OUTPUT, 0, "output", "FILE",
	  "encrypt, decrypt: write here ('-' for stdout), not in place" },
	{ OPT_NAME, 0, "name", "VAR", "encrypt_string: print as 'VAR: !vault |'" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt help_opts[] = {
	{ OPT_MAN, 0, "man", NULL,
	  "print the manual page (roff) of COMMAND, of tend with none, or "
	  "tend.yml(5) for 'tend.yml'" },
	{ OPT_MAN_DIR, 0, "man-dir", "DIR",
	  "write every manual page into DIR (what make install installs)" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt no_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};



/* What a plan's words and exit codes mean (docs/plan-format.md too). */
#define PLAN_DETAILS                                                         \
	"each task of a plan is:\n"                                           \
	"  ok         nothing to change\n"                                     \
	"  change     it will change the host (the diff says how)\n"           \
	"  unknown    its outcome is known only by running it: a command\n"    \
	"             (unless changed_when says it changes nothing, or\n"      \
	"             check_mode: false runs it in the plan), what reads its\n" \
	"             result, what runs only if it succeeds or fails (a\n"     \
	"             block with a rescue); it says on which task\n"           \
	"  skipped, failed, unreachable (a plan connects to every host)\n"     \
	"unknown is not a change: --detailed-exitcode exits 2 only when some\n" \
	"task will change (--unknown-is-change counts unknown too), and the\n"  \
	"JSON plan's per-host drift counts changes only. An apply's\n"          \
	"maintenance window covers the hosts with a change, a failed check or\n" \
	"unreachable, and those with unknown unless maintenance.unknown is\n"   \
	"ignore; a plan with nothing to do opens none.\n"                      \
	"exit codes: 0 ok, 1 error (a --limit that matches no host too), 2\n"  \
	"changes (--detailed-exitcode), 3 a host failed or is unreachable,\n"   \
	"4 a saved plan is stale.\n"

/* What an apply's exit codes mean, and its host locks. */
#define APPLY_DETAILS                                                        \
	"two applies never change one host at once: each locks the hosts of\n" \
	"a batch in the state DB before touching them. A host another apply\n" \
	"holds is refused at once, or waited for up to --lock-timeout; a\n"   \
	"plan takes no lock. The lock of an apply whose process is gone is\n" \
	"broken, with a warning that names it.\n"                              \
	"exit codes: 0 ok, 1 error or interrupted, 2 changes (--check\n"     \
	"--detailed-exitcode), 3 a host failed or is unreachable, 4 a saved\n" \
	"plan is stale, 5 another apply holds a host (the message names it:\n" \
	"run, pid, machine, since when, and how long this one waited).\n"

static const struct cli_cmd cmds[] = {
	{ "plan", cmd_plan, CMD_NEEDS_PLAYBOOK | CMD_NEEDS_INVENTORY, run_opts,
	  "PLAYBOOK... [options]",
	  "show what would change on every host (a dry run with diffs)",
	  PLAN_DETAILS },
	{ "apply", cmd_apply, CMD_NEEDS_PLAYBOOK | CMD_NEEDS_INVENTORY |
	  CMD_TAKES_PLAN | CMD_APPLIES, run_opts,
	  "PLAYBOOK... | PLAN.json [options]",
	  "converge the hosts (or apply a saved plan, host by host)",
	  APPLY_DETAILS },
	{ "validate", cmd_validate, CMD_NEEDS_PLAYBOOK, validate_opts,
	  "PLAYBOOK... [-i INVENTORY]",
	  "parse and type-check playbooks, inventory and tend.yml; touch no "
	  "host", NULL },
	{ "pull", cmd_pull, 0, pull_opts, "--repo URL --ref REF [--dir DIR]",
	  "fetch a git source and check a commit out (exit 1 if the fetch "
	  "failed)", NULL },
	{ "daemon", cmd_daemon, 0, daemon_opts, "--config tend.yml",
	  "run playbooks on schedules and on every commit; drift checks; "
	  "an HTTP API and /metrics (docs/daemon.md)", NULL },
	{ "window", cmd_window, 0, window_opts,
	  "open --hosts H1,H2 --duration 30m --reason TEXT | list | close ID",
	  "maintenance windows for work done by hand", NULL },
	{ "history", cmd_history, 0, history_opts, "[-n N]",
	  "the recent runs, newest first", NULL },
	{ "show", cmd_show, 0, show_opts, "RUN_ID",
	  "what one run did, host by host and task by task", NULL },
	{ "resources", cmd_resources, 0, resources_opts,
	  "[--expired] [--format json]",
	  "what provisioning created (from the state DB, checked against "
	  "its API where it answers)", NULL },
	{ "vault", cmd_vault, 0, vault_opts,
	  "encrypt|decrypt|view|edit FILE... | encrypt_string [TEXT]",
	  "Ansible Vault files and !vault values (1.1 and 1.2, AES256)", NULL },
	{ "modules", cmd_modules, 0, no_opts, "", "list the modules", NULL },
	{ "doc", cmd_doc, 0, no_opts, "MODULE", "the arguments of a module", NULL },
	{ "help", cmd_help, 0, help_opts,
	  "[--man] [COMMAND | ansible.cfg | tend.yml | keywords] | "
	  "--man-dir DIR",
	  "help on a command, the ansible.cfg keys tend reads, or the "
	  "playbook keywords; the manual pages", NULL },
	{ "completion", cmd_completion, 0, no_opts, "bash | zsh",
	  "print the shell completion script for bash or zsh", NULL },
	{ "version", cmd_version, 0, no_opts, "", "print the version", NULL },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

const struct cli_cmd *cli_find_cmd(const char *name)
{
	for (size_t i = 0; cmds[i].name; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

void cli_usage_all(FILE *f)
{
	fputs("usage: tend <command> [args]\n\ncommands:\n", f);
	for (size_t i = 0; cmds[i].name; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\nexit codes (when several apply, the first listed wins):\n", f);
	for (size_t i = 0; cli_exit_codes[i].meaning; i++)
		fprintf(f, "  %d  %s\n", cli_exit_codes[i].code,
			cli_exit_codes[i].meaning);
	fputs("\n'tend help <command>' for its options, 'tend help --man "
	      "<command>' for its\nmanual page; 'tend completion bash' (or "
	      "zsh) for shell completion.\n", f);
}

/* Whether a run of command c with these arguments plans or applies. */
static enum run_mode cmd_mode(const struct cli_cmd *c,
			      const struct cli_args *a)
{
	if ((c->flags & CMD_APPLIES) && !a->list && (a->plan || !a->check))
		return RUN_APPLY;
	return RUN_PLAN;
}

int cli_main(int argc, char **argv)
{
	const struct cli_cmd *c;
	struct cli_args a = { 0 };
	struct readlog *prev;
	int rc;

	if (argc < 2) {
		cli_usage_all(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(&a);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(&a);
	c = cli_find_cmd(argv[1]);
	if (!c) {
		cli_err("'%s' is not a tend command", argv[1]);
		cli_usage_all(stderr);
		return EXIT_ERROR;
	}
	a.cmds = cmds;
	a.extra = val_dict();
	a.pos = xcalloc((size_t)argc, sizeof(*a.pos));
	/* every file the run reads, from the playbooks on (a plan binds them) */
	a.reads = readlog_new();
	prev = readlog_use(a.reads);
	rc = cli_parse_args(&a, c, argc - 2, argv + 2);
	if (rc) {
		rc = rc > 0 ? EXIT_OK : EXIT_ERROR;
		goto out;
	}
	if (!a.config_path && getenv("TEND_CONFIG") && *getenv("TEND_CONFIG"))
		a.config_path = getenv("TEND_CONFIG");
	if ((c->flags & CMD_TAKES_PLAN) && a.pos_nr == 1 &&
	    plan_is_file(a.pos[0]) && (rc = cli_load_plan(&a)))
		goto out;
	if ((c->flags & CMD_NEEDS_PLAYBOOK) &&
	    (rc = cli_check_trust(&a, cmd_mode(c, &a) == RUN_APPLY)))
		goto out;
	if ((c->flags & CMD_NEEDS_PLAYBOOK) && (rc = cli_setup_playbooks(&a)))
		goto out;
	if ((c->flags & CMD_NEEDS_INVENTORY) && (rc = cli_setup_config(&a)))
		goto out;
	if (a.ask_become_pass && !a.list && (rc = cli_ask_become_pass(&a)))
		goto out;
	if (a.step && !a.list && (rc = cli_need_tty("--step")))
		goto out;
	if (c->flags & CMD_NEEDS_INVENTORY) {
		cli_catch_interrupts();
		rc = cli_setup_inventory(&a);
		if (rc && tend_interrupted)
			rc = cli_record_interrupted(&a, cmd_mode(c, &a));
		if (rc)
			goto out;
	}
	/* ansible-playbook's listings: print, and touch no host */
	rc = a.list ? cli_list(&a) : c->fn(&a);
out:
	cli_json_errors_end(a.format, rc);
	for (size_t i = 0; i < a.pbs_nr; i++)
		playbook_free(a.pbs[i]);
	free(a.pbs);
	inventory_free(a.inv);
	val_unref(a.extra);
	val_unref(a.tags);
	val_unref(a.skip_tags);
	val_unref(a.secrets);
	val_unref(a.defaults);
	val_unref(a.ssh_args);
	vault_keys_release(&a.vault);
	vault_set_keys(&a.vault); /* wipes the loaders' passwords */
	config_free(a.cfg);
	ansiblecfg_free(a.acfg);
	playbook_set_roles_path(NULL, NULL);
	val_unref((struct val *)a.plan);
	readlog_use(prev);
	readlog_free(a.reads);
	pwhash_free(a.hasher);
	source_result_release(&a.src);
	for (size_t i = 0; i < a.src_paths_nr; i++)
		free(a.src_paths[i]);
	free(a.repo_pos);
	free(a.src_paths);
	free(a.cwd_root);
	free(a.pos);
	free(a.inventories);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "tend: cannot write to standard output\n");
		return EXIT_ERROR;
	}
	return rc;
}

int cmd_help(struct cli_args *a)
{
	const struct cli_cmd *c;

	if (a->man_dir)
		return a->pos_nr || a->man ?
			cli_err("--man-dir DIR takes no COMMAND and no --man") :
			cli_man_dir(cmds, a->man_dir);
	if (a->pos_nr > 1)
		return cli_err("usage: tend help [--man] [COMMAND]");
	if (a->man)
		return cli_man(stdout, cmds, a->pos_nr ? a->pos[0] : NULL);
	if (!a->pos_nr) {
		cli_usage_all(stdout);
		return EXIT_OK;
	}
	if (!strcmp(a->pos[0], "tend.yml"))
		return cli_help_config();
	if (!strcmp(a->pos[0], "ansible.cfg"))
		return cli_help_ansiblecfg();
	if (!strcmp(a->pos[0], "keywords"))
		return cli_help_keywords();
	c = cli_find_cmd(a->pos[0]);
	if (!c)
		return cli_err("no command '%s'", a->pos[0]);
	cli_usage_cmd(stdout, c);
	return EXIT_OK;
}

int cmd_version(struct cli_args *a)
{
	(void)a;
	printf("tend %s\n", TEND_VERSION);
	return EXIT_OK;
}
