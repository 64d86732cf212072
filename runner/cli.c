#include "tend/common.h"
#include "tend/buf.h"
#include "tend/cli.h"
#include "tend/config.h"
#include "tend/interrupt.h"
#include "tend/inventory.h"
#include "tend/module.h"
#include "tend/plan.h"
#include "tend/playbook.h"
#include "tend/report.h"
#include "tend/run.h"
#include "tend/source.h"
#include "tend/state.h"
#include "tend/window.h"
#include "tend/yaml.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

/* Exit codes (DESIGN.md), mapped here and nowhere else. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_CHANGES = 2,
	EXIT_HOSTS_FAILED = 3,
	EXIT_STALE = 4,
};

enum {
	CMD_NEEDS_PLAYBOOK = 1 << 0, /* positional args are playbooks */
	CMD_NEEDS_INVENTORY = 1 << 1,
	CMD_TAKES_PLAN = 1 << 2,     /* the argument may be a saved plan */
	CMD_APPLIES = 1 << 3,        /* changes hosts (unless --check) */
};

struct cli_args {
	const char *inventory;
	const char *limit;
	struct val *extra;   /* dict */
	struct val *tags, *skip_tags;
	int forks;
	const char *format;
	bool detailed_exitcode;
	bool diff;
	bool check;
	bool no_color;
	bool stats;
	const char *out_path;  /* plan --out */
	long max_plan_age;     /* seconds; 0: any */
	bool replan;
	struct val *secrets;   /* --secrets: a dict of secret values */
	const struct val *plan; /* apply: the saved plan, or NULL */
	const char *config_path; /* -c */
	bool no_window;
	bool override_cw;        /* --override-change-window */
	const char *reason;
	const char *hosts_arg;   /* window open --hosts */
	const char *duration;    /* window open --duration */
	bool all;                /* window list --all */
	struct val *changed;     /* hosts a saved plan's check found changing */
	struct config *cfg;      /* tend.yml (plan, apply) */
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
	const char **pos;    /* positional arguments */
	size_t pos_nr;
	/* set up by the dispatcher from the flags */
	struct playbook **pbs;
	size_t pbs_nr;
	struct inventory *inv;
};

enum opt_id {
	OPT_INVENTORY, OPT_LIMIT, OPT_EXTRA, OPT_TAGS, OPT_SKIP_TAGS,
	OPT_FORKS, OPT_FORMAT, OPT_DETAILED, OPT_DIFF, OPT_CHECK,
	OPT_NO_COLOR, OPT_STATS, OPT_STATE, OPT_HISTORY_LIMIT, OPT_OUT,
	OPT_MAX_PLAN_AGE, OPT_REPLAN, OPT_SECRETS, OPT_CONFIG, OPT_NO_WINDOW,
	OPT_OVERRIDE_CW, OPT_REASON, OPT_HOSTS, OPT_DURATION, OPT_ALL,
	OPT_REPO, OPT_REF, OPT_KEY, OPT_KNOWN_HOSTS, OPT_TOKEN_ENV,
	OPT_OFFLINE, OPT_VERIFY_SIGS, OPT_ALLOWED_SIGNERS,
	OPT_REQUIRE_ANCESTOR, OPT_FETCH_TIMEOUT, OPT_DIR,
};

struct cli_opt {
	enum opt_id id;
	char short_name;
	const char *long_name;
	const char *arg;     /* name of its value, or NULL for a flag */
	const char *help;
};

/* The git source (source.h): rows shared by pull, plan, apply, validate. */
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

static const struct cli_opt pull_opts[] = {
	SOURCE_OPT_ROWS,
	{ OPT_DIR, 0, "dir", "DIR",
	  "check out into DIR (default: a tree in the cache)" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt run_opts[] = {
	{ OPT_INVENTORY, 'i', "inventory", "PATH",
	  "inventory file or directory, or a comma list 'h1,h2,' "
	  "(default: the local host only)" },
	{ OPT_LIMIT, 'l', "limit", "PATTERN", "only hosts matching PATTERN" },
	{ OPT_EXTRA, 'e', "extra-vars", "VARS",
	  "k=v pairs, YAML/JSON, or @file (highest precedence; repeatable)" },
	{ OPT_TAGS, 't', "tags", "TAGS", "only tasks tagged with these" },
	{ OPT_SKIP_TAGS, 0, "skip-tags", "TAGS", "skip tasks with these tags" },
	{ OPT_FORKS, 'f', "forks", "N", "hosts in parallel (default 10)" },
	{ OPT_FORMAT, 0, "format", "FMT",
	  "text (default), json, markdown or junit" },
	{ OPT_OUT, 'o', "out", "PATH",
	  "plan: save the plan for 'tend apply PATH'" },
	{ OPT_MAX_PLAN_AGE, 0, "max-plan-age", "AGE",
	  "apply PLAN: refuse a plan older than AGE (30s, 15m, 2h, 1d)" },
	{ OPT_REPLAN, 0, "replan", NULL,
	  "apply PLAN: apply hosts that moved since the plan anyway" },
	{ OPT_SECRETS, 0, "secrets", "FILE",
	  "YAML dict of secret vars: never printed, stored or planned" },
	{ OPT_DETAILED, 0, "detailed-exitcode", NULL,
	  "exit 2 when the plan has changes, 0 when none" },
	{ OPT_DIFF, 'D', "diff", NULL, "apply: show the diff of each change" },
	{ OPT_CHECK, 'C', "check", NULL, "apply: only plan (as tend plan)" },
	{ OPT_NO_COLOR, 0, "no-color", NULL, "no colour even on a terminal" },
	{ OPT_STATS, 0, "stats", NULL,
	  "print round trips per host per task to stderr" },
	{ OPT_STATE, 0, "state", "PATH",
	  "state DB (default $XDG_STATE_HOME/tend/tend.db)" },
	SOURCE_OPT_ROWS,
	{ OPT_CONFIG, 'c', "config", "PATH",
	  "tend.yml (default: beside the playbook, else $XDG_CONFIG_HOME)" },
	{ OPT_NO_WINDOW, 0, "no-window", NULL,
	  "apply: open no maintenance window" },
	{ OPT_OVERRIDE_CW, 0, "override-change-window", NULL,
	  "apply outside the allowed change windows (needs --reason)" },
	{ OPT_REASON, 0, "reason", "TEXT", "why: recorded with the run" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt window_opts[] = {
	{ OPT_HOSTS, 0, "hosts", "H1,H2", "open: the hosts to cover" },
	{ OPT_DURATION, 0, "duration", "DUR", "open: how long (30m, 2h)" },
	{ OPT_REASON, 0, "reason", "TEXT", "open: why (shown to watchers)" },
	{ OPT_ALL, 0, "all", NULL, "list: closed windows too" },
	{ OPT_CONFIG, 'c', "config", "PATH", "tend.yml with the providers" },
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

static const struct cli_opt show_opts[] = {
	{ OPT_FORMAT, 0, "format", "FMT", "text (default) or json" },
	{ OPT_STATE, 0, "state", "PATH", "state DB" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt validate_opts[] = {
	{ OPT_INVENTORY, 'i', "inventory", "PATH", "inventory to check too" },
	{ OPT_EXTRA, 'e', "extra-vars", "VARS", "extra vars" },
	SOURCE_OPT_ROWS,
	{ 0, 0, NULL, NULL, NULL },
};

static const struct cli_opt no_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

struct cli_cmd {
	const char *name;
	int (*fn)(struct cli_args *a);
	unsigned int flags;
	const struct cli_opt *opts;
	const char *usage;
	const char *summary;
};

static int cmd_plan(struct cli_args *a);
static int cmd_apply(struct cli_args *a);
static int cmd_validate(struct cli_args *a);
static int cmd_modules(struct cli_args *a);
static int cmd_history(struct cli_args *a);
static int cmd_window(struct cli_args *a);
static int cmd_show(struct cli_args *a);
static int cmd_doc(struct cli_args *a);
static int cmd_help(struct cli_args *a);
static int cmd_version(struct cli_args *a);
static int cmd_pull(struct cli_args *a);

static const struct cli_cmd cmds[] = {
	{ "plan", cmd_plan, CMD_NEEDS_PLAYBOOK | CMD_NEEDS_INVENTORY, run_opts,
	  "PLAYBOOK... [options]",
	  "show what would change on every host (a dry run with diffs)" },
	{ "apply", cmd_apply, CMD_NEEDS_PLAYBOOK | CMD_NEEDS_INVENTORY |
	  CMD_TAKES_PLAN | CMD_APPLIES, run_opts,
	  "PLAYBOOK... | PLAN.json [options]",
	  "converge the hosts (or apply a saved plan, host by host)" },
	{ "validate", cmd_validate, CMD_NEEDS_PLAYBOOK, validate_opts,
	  "PLAYBOOK... [-i INVENTORY]",
	  "parse and type-check playbooks and inventory; touch no host" },
	{ "pull", cmd_pull, 0, pull_opts, "--repo URL --ref REF [--dir DIR]",
	  "fetch a git source and check a commit out (exit 1 if the fetch "
	  "failed)" },
	{ "window", cmd_window, 0, window_opts,
	  "open --hosts H1,H2 --duration 30m --reason TEXT | list | close ID",
	  "maintenance windows for work done by hand" },
	{ "history", cmd_history, 0, history_opts, "[-n N]",
	  "the recent runs, newest first" },
	{ "show", cmd_show, 0, show_opts, "RUN_ID",
	  "what one run did, host by host and task by task" },
	{ "modules", cmd_modules, 0, no_opts, "", "list the modules" },
	{ "doc", cmd_doc, 0, no_opts, "MODULE", "the arguments of a module" },
	{ "help", cmd_help, 0, no_opts, "[COMMAND]", "help on a command" },
	{ "version", cmd_version, 0, no_opts, "", "print the version" },
	{ NULL, NULL, 0, NULL, NULL, NULL },
};

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; cmds[i].name; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void usage_cmd(FILE *f, const struct cli_cmd *c)
{
	fprintf(f, "usage: tend %s %s\n\n%s\n", c->name, c->usage, c->summary);
	if (c->opts[0].long_name)
		fputs("\noptions:\n", f);
	for (size_t i = 0; c->opts[i].long_name; i++) {
		const struct cli_opt *o = &c->opts[i];
		struct buf b = BUF_INIT;

		if (o->short_name)
			buf_addf(&b, "-%c, ", o->short_name);
		buf_addf(&b, "--%s", o->long_name);
		if (o->arg)
			buf_addf(&b, " %s", o->arg);
		fprintf(f, "  %-28s %s\n", b.ptr, o->help);
		buf_release(&b);
	}
}

static void usage_all(FILE *f)
{
	fputs("usage: tend <command> [args]\n\ncommands:\n", f);
	for (size_t i = 0; cmds[i].name; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n'tend help <command>' for its options.\n", f);
}

static int err(const char *fmt, ...) TEND_PRINTF(1, 2);
static int err(const char *fmt, ...)
{
	va_list ap;

	fputs("tend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

static int parse_extra(struct val *into, const char *s)
{
	struct val *v = NULL;
	struct diags d = DIAGS_INIT;
	int error = 0;

	if (s[0] == '@') {
		error = yaml_load_file(&v, s + 1, &d);
	} else if (s[0] == '{' || s[0] == '[') {
		error = yaml_load_string(&v, s, strlen(s), "--extra-vars", &d);
	} else {
		error = val_parse_kv(&v, s, NULL);
	}
	if (error < 0) {
		if (d.nr)
			diags_print(&d, stderr);
		else
			err("bad --extra-vars '%s': %s", s, tend_error_last());
		diags_release(&d);
		val_unref(v);
		return -1;
	}
	diags_release(&d);
	if (v->type != VAL_DICT) {
		val_unref(v);
		err("--extra-vars '%s' must be k=v pairs or a dict", s);
		return -1;
	}
	val_dict_update(into, v, false);
	val_unref(v);
	return 0;
}

static struct val *split_tags(struct val *into, const char *s)
{
	if (!into)
		into = val_list();
	while (*s) {
		size_t n = strcspn(s, ",");
		struct buf b = BUF_INIT;

		buf_add(&b, s, n);
		buf_trim(&b);
		if (b.len)
			val_list_push(into, val_str(b.ptr));
		buf_release(&b);
		s += n + (s[n] == ',');
	}
	return into;
}

/* "90", "30s", "15m", "2h", "1d" → seconds. */
static int parse_age(long *out, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);
	long mult = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
		    !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;

	if (end == v || n <= 0 || !mult)
		return err("--max-plan-age expects a duration like 30m, 2h "
			   "or 1d, got '%s'", v), -1;
	*out = n * mult;
	return 0;
}

static void mark_secret(struct val *v)
{
	v->flags |= VAL_F_SECRET;
	for (size_t i = 0; i < val_len(v) && v->type == VAL_LIST; i++)
		mark_secret(v->u.list.items[i]);
	for (size_t i = 0; i < val_len(v) && v->type == VAL_DICT; i++)
		mark_secret(v->u.dict.items[i].v);
}

/* --secrets FILE: a YAML dict whose values are all secret. */
static int parse_secrets(struct cli_args *a, const char *path)
{
	struct diags d = DIAGS_INIT;
	struct val *v = NULL;
	int error = yaml_load_file(&v, path, &d);

	if (error < 0) {
		if (d.nr)
			diags_print(&d, stderr);
		else
			err("%s", tend_error_last());
		diags_release(&d);
		return -1;
	}
	diags_release(&d);
	if (v->type != VAL_DICT) {
		val_unref(v);
		return err("--secrets '%s' must hold a dict of vars", path), -1;
	}
	for (size_t i = 0; i < v->u.dict.nr; i++)
		mark_secret(v->u.dict.items[i].v);
	if (!a->secrets)
		a->secrets = val_dict();
	val_dict_update(a->secrets, v, false);
	val_dict_update(a->extra, v, false);
	val_unref(v);
	return 0;
}

static int set_opt(struct cli_args *a, const struct cli_opt *o,
		   const char *v)
{
	char *end;

	switch (o->id) {
	case OPT_INVENTORY:
		a->inventory = v;
		break;
	case OPT_LIMIT:
		a->limit = v;
		break;
	case OPT_EXTRA:
		return parse_extra(a->extra, v);
	case OPT_TAGS:
		a->tags = split_tags(a->tags, v);
		break;
	case OPT_SKIP_TAGS:
		a->skip_tags = split_tags(a->skip_tags, v);
		break;
	case OPT_FORKS:
		a->forks = (int)strtol(v, &end, 10);
		if (*end || a->forks < 1 || a->forks > 1000)
			return err("--forks expects a number from 1 to 1000, "
				   "got '%s'", v), -1;
		break;
	case OPT_FORMAT:
		if (strcmp(v, "text") && strcmp(v, "json") &&
		    strcmp(v, "markdown") && strcmp(v, "junit"))
			return err("--format expects text, json, markdown or "
				   "junit, got '%s'", v), -1;
		a->format = v;
		break;
	case OPT_OUT:
		a->out_path = v;
		break;
	case OPT_MAX_PLAN_AGE:
		return parse_age(&a->max_plan_age, v);
	case OPT_REPLAN:
		a->replan = true;
		break;
	case OPT_SECRETS:
		return parse_secrets(a, v);
	case OPT_CONFIG:
		a->config_path = v;
		break;
	case OPT_NO_WINDOW:
		a->no_window = true;
		break;
	case OPT_OVERRIDE_CW:
		a->override_cw = true;
		break;
	case OPT_REASON:
		a->reason = v;
		break;
	case OPT_HOSTS:
		a->hosts_arg = v;
		break;
	case OPT_DURATION:
		a->duration = v;
		break;
	case OPT_ALL:
		a->all = true;
		break;
	case OPT_DETAILED:
		a->detailed_exitcode = true;
		break;
	case OPT_DIFF:
		a->diff = true;
		break;
	case OPT_CHECK:
		a->check = true;
		break;
	case OPT_NO_COLOR:
		a->no_color = true;
		break;
	case OPT_STATS:
		a->stats = true;
		break;
	case OPT_STATE:
		a->state_path = v;
		break;
	case OPT_HISTORY_LIMIT:
		a->history_limit = (int)strtol(v, &end, 10);
		if (*end || a->history_limit < 1)
			return err("--limit expects a positive number, got "
				   "'%s'", v), -1;
		break;
	case OPT_REPO:
		a->src_opts.url = v;
		break;
	case OPT_REF:
		a->src_opts.ref = v;
		break;
	case OPT_KEY:
		a->src_opts.key = v;
		break;
	case OPT_KNOWN_HOSTS:
		a->src_opts.known_hosts = v;
		break;
	case OPT_TOKEN_ENV:
		a->src_opts.token_env = v;
		break;
	case OPT_OFFLINE:
		a->src_opts.offline = true;
		break;
	case OPT_VERIFY_SIGS:
		a->src_opts.verify_signatures = true;
		break;
	case OPT_ALLOWED_SIGNERS:
		a->src_opts.allowed_signers = v;
		break;
	case OPT_REQUIRE_ANCESTOR:
		a->src_opts.require_ancestor_of = v;
		break;
	case OPT_FETCH_TIMEOUT: {
		long secs = strtol(v, &end, 10);

		if (*end || secs < 1 || secs > 86400)
			return err("--fetch-timeout expects seconds from 1 to "
				   "86400, got '%s'", v), -1;
		a->src_opts.timeout_ms = (int)secs * 1000;
		break;
	}
	case OPT_DIR:
		a->src_opts.worktree = v;
		break;
	}
	return 0;
}

static int parse_args(struct cli_args *a, const struct cli_cmd *c, int argc,
		      char **argv)
{
	bool only_pos = false;

	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		const struct cli_opt *o = NULL;
		const char *v = NULL;

		if (only_pos || s[0] != '-' || !s[1]) {
			a->pos[a->pos_nr++] = s;
			continue;
		}
		if (!strcmp(s, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage_cmd(stdout, c);
			return 1;
		}
		for (size_t j = 0; c->opts[j].long_name; j++) {
			const struct cli_opt *co = &c->opts[j];
			size_t n = strlen(co->long_name);

			if (s[1] == '-' && !strncmp(s + 2, co->long_name, n) &&
			    (s[2 + n] == '\0' || s[2 + n] == '=')) {
				o = co;
				if (s[2 + n] == '=')
					v = s + 3 + n;
			} else if (s[1] != '-' && co->short_name == s[1]) {
				o = co;
				if (s[2])
					v = s + 2;
			}
			if (o)
				break;
		}
		if (!o)
			return err("unknown option '%s' for 'tend %s' (see 'tend "
				   "help %s')", s, c->name, c->name), -1;
		if (o->arg && !v) {
			if (i + 1 >= argc)
				return err("option '--%s' needs a value",
					   o->long_name), -1;
			v = argv[++i];
		} else if (!o->arg && v) {
			return err("option '--%s' takes no value",
				   o->long_name), -1;
		}
		if (set_opt(a, o, v) < 0)
			return -1;
	}
	return 0;
}

/* Fetch the --repo source and check its commit out (source.h). */
static int setup_source(struct cli_args *a)
{
	if (!a->src_opts.url) {
		if (a->src_opts.ref)
			return err("--ref needs --repo");
		return 0;
	}
	if (!a->src_opts.ref)
		return err("--repo needs --ref (a branch, tag or commit id)");
	if (source_fetch(&a->src, &a->src_opts) < 0)
		return err("%s", tend_error_last());
	if (a->src.stale)
		fprintf(stderr, "tend: warning: %s; using the cached commit %.12s "
			"of '%s'\n", a->src.fetch_error, a->src.commit,
			a->src_opts.ref);
	return 0;
}

/* `path` inside the fetched tree; kept in a->src_paths. */
static const char *src_path(struct cli_args *a, const char *path)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", a->src.dir, path);
	a->src_paths = xrealloc(a->src_paths, (a->src_paths_nr + 1) *
				sizeof(*a->src_paths));
	a->src_paths[a->src_paths_nr++] = buf_detach(&b, NULL);
	return a->src_paths[a->src_paths_nr - 1];
}

/*
 * With --repo, playbooks are paths in the fetched tree, and so is -i
 * when the tree has it (else it stays as given: a host list, or a file
 * outside the repository).
 */
static int setup_source_paths(struct cli_args *a)
{
	int rc;

	if ((rc = setup_source(a)) || !a->src.dir)
		return rc;
	a->repo_pos = xcalloc(a->pos_nr + 1, sizeof(*a->repo_pos));
	for (size_t i = 0; i < a->pos_nr; i++) {
		if (a->pos[i][0] == '/')
			return err("'%s': with --repo, playbooks are paths in "
				   "the repository", a->pos[i]);
		a->repo_pos[i] = a->pos[i];
		a->pos[i] = src_path(a, a->pos[i]);
	}
	if (a->inventory && a->inventory[0] != '/') {
		const char *p = src_path(a, a->inventory);

		if (access(p, F_OK) == 0)
			a->inventory = p;
	}
	return 0;
}

/* Load every playbook, collecting all problems; print them. */
static int setup_playbooks(struct cli_args *a)
{
	struct diags d = DIAGS_INIT;
	int rc = 0;

	if ((rc = setup_source_paths(a)))
		return rc;
	if (!a->pos_nr)
		return err("no playbook given");
	a->pbs = xcalloc(a->pos_nr, sizeof(*a->pbs));
	for (size_t i = 0; i < a->pos_nr; i++) {
		int error = playbook_load(&a->pbs[a->pbs_nr], a->pos[i], &d);

		if (error == 0)
			a->pbs_nr++;
		else if (error == TEND_ENOTFOUND)
			rc = err("%s", tend_error_last());
		else
			rc = EXIT_ERROR;
	}
	diags_print(&d, stderr);
	if (d.errors)
		fprintf(stderr, "tend: %zu error%s\n", d.errors,
			d.errors == 1 ? "" : "s");
	diags_release(&d);
	return rc;
}

static int setup_inventory(struct cli_args *a)
{
	struct diags d = DIAGS_INIT;
	int error = inventory_load(&a->inv, a->inventory, &d);

	if (error == 0 && a->pbs_nr)
		error = inventory_load_vars_dirs(a->inv, a->pbs[0]->dir, &d);
	diags_print(&d, stderr);
	diags_release(&d);
	if (error == TEND_EPARSE)
		return EXIT_ERROR;
	if (error < 0)
		return err("%s", tend_error_last());
	return 0;
}

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

static void progress_erase(struct progress *p)
{
	if (p->drawn)
		fprintf(p->f, "\033[%zuA\033[J", p->drawn);
	p->drawn = 0;
}

static void progress_draw(struct progress *p)
{
	size_t busy = 0;

	progress_erase(p);
	for (size_t i = 0; i < p->nr; i++) {
		if (!p->tasks[i])
			continue;
		if (++busy > PROGRESS_MAX_LINES)
			continue;
		fprintf(p->f, "  %-20s %.56s\n", p->hosts[i], p->tasks[i]);
		p->drawn++;
	}
	if (busy > PROGRESS_MAX_LINES) {
		fprintf(p->f, "  ... and %zu more hosts busy\n",
			busy - PROGRESS_MAX_LINES);
		p->drawn++;
	}
	fflush(p->f);
}

static void *progress_tick(void *arg)
{
	struct progress *p = arg;
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	while (!p->stop) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&p->lock);
		if (!p->stop)
			progress_draw(p);
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

static void progress_set(struct progress *p, const char *host,
			 const char *task)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->hosts[i], host))
			break;
	if (i == p->nr) {
		ALLOC_GROW(p->hosts, p->nr + 1, p->alloc);
		p->tasks = xrealloc(p->tasks, p->alloc * sizeof(*p->tasks));
		p->hosts[i] = xstrdup(host);
		p->tasks[i] = NULL;
		p->nr++;
	}
	free(p->tasks[i]);
	p->tasks[i] = task ? xstrdup(task) : NULL;
	pthread_mutex_unlock(&p->lock);
}

static void progress_start(struct progress *p, FILE *f)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->f = f;
	if (pthread_create(&p->ticker, NULL, progress_tick, p))
		p->stop = 1; /* no ticker: plain lines */
}

static void progress_stop(struct progress *p)
{
	if (!p->f)
		return;
	if (!p->stop) {
		p->stop = 1;
		pthread_join(p->ticker, NULL);
	}
	progress_erase(p);
	fflush(p->f);
	for (size_t i = 0; i < p->nr; i++) {
		free(p->hosts[i]);
		free(p->tasks[i]);
	}
	free(p->hosts);
	free(p->tasks);
	pthread_mutex_destroy(&p->lock);
	p->f = NULL;
}

struct hook_data {
	struct live_report *live; /* NULL: no live output */
	struct progress *progress; /* NULL: not on a terminal */
	struct state *state;
	long long run_id;
	int state_error;
	/* maintenance windows (apply) */
	const struct config *cfg; /* NULL: no windows */
	const struct val *changed; /* hosts the plan changes */
	const char *playbook;
	const char *plan_summary;
	const struct run_result *res;
	struct window *w;        /* the open window, or NULL */
	struct val *firing;      /* alerts still firing after windows closed */
	time_t started;
};

static bool in_list(const struct val *l, const char *s)
{
	for (size_t i = 0; i < val_len(l); i++)
		if (!strcmp(val_cstr(val_list_at(l, i)), s))
			return true;
	return false;
}

/* Open a window for the hosts of this batch that the plan changes. */
static int hook_batch_start(const struct play *p, const char *const *hosts,
			    size_t nr, size_t batch_no, void *payload)
{
	struct hook_data *hd = payload;
	const char **mine;
	size_t n = 0;
	int error = 0;

	(void)batch_no;
	if (!hd->cfg)
		return 0;
	mine = xcalloc(nr ? nr : 1, sizeof(*mine));
	for (size_t i = 0; i < nr; i++)
		if (in_list(hd->changed, hosts[i]))
			mine[n++] = hosts[i];
	if (n) {
		struct window_opts o = {
			.config = hd->cfg, .state = hd->state,
			.run_id = hd->run_id, .hosts = mine, .hosts_nr = n,
			.playbook = hd->playbook, .plan = hd->plan_summary,
			.maintenance = p->maintenance,
		};
		struct val *fails;

		if ((error = window_open(&hd->w, &o)) < 0)
			goto out;
		if (hd->w) {
			fprintf(stderr, "tend: maintenance window %lld open on "
				"%zu host%s\n", hd->w->id, n, n == 1 ? "" : "s");
			fails = window_failures(hd->w);
			for (size_t i = 0; i < val_len(fails); i++)
				err("warning: %s",
				    val_cstr(val_list_at(fails, i)));
			val_unref(fails);
		}
	}
out:
	free(mine);
	return error;
}

static void close_window(struct hook_data *hd, const char *status)
{
	struct window_result wr = { .status = status };
	struct val *firing = NULL;

	if (!hd->w)
		return;
	for (size_t i = 0; hd->res && i < hd->res->hosts_nr; i++) {
		const struct host_stats *st = &hd->res->hosts[i];

		wr.hosts++;
		wr.ok += st->ok;
		wr.changed += st->changed;
		wr.failed += st->failed;
		wr.unreachable += st->unreachable;
	}
	wr.seconds = difftime(time(NULL), hd->started);
	if (window_close(&firing, hd->w, &wr) < 0)
		err("warning: closing maintenance window %lld: %s", hd->w->id,
		    tend_error_last());
	for (size_t i = 0; i < val_len(firing); i++) {
		if (!hd->firing)
			hd->firing = val_list();
		val_list_push(hd->firing, val_ref(val_list_at(firing, i)));
	}
	val_unref(firing);
	window_free(hd->w);
	hd->w = NULL;
}

static void hook_batch_end(const struct play *p, void *payload)
{
	struct hook_data *hd = payload;

	(void)p;
	close_window(hd, tend_interrupted ? "interrupted" : "ok");
}

static void hook_play(const struct play *p, size_t hosts, void *payload)
{
	struct hook_data *hd = payload;

	if (hd->progress) {
		pthread_mutex_lock(&hd->progress->lock);
		progress_erase(hd->progress);
	}
	if (hd->live)
		report_live_play(hd->live, p->name, hosts);
	if (hd->progress)
		pthread_mutex_unlock(&hd->progress->lock);
}

static void hook_progress(const char *host, const char *task, void *payload)
{
	struct hook_data *hd = payload;

	if (hd->progress)
		progress_set(hd->progress, host, task);
}

static void hook_event(const struct run_event *ev, void *payload)
{
	struct hook_data *hd = payload;

	if (hd->progress) {
		pthread_mutex_lock(&hd->progress->lock);
		progress_erase(hd->progress);
	}
	if (hd->live)
		report_live_event(hd->live, ev);
	if (hd->progress)
		pthread_mutex_unlock(&hd->progress->lock);
	if (hd->w && window_tick(hd->w, time(NULL)) < 0)
		err("warning: extending the maintenance window: %s",
		    tend_error_last());
	if (!hd->state_error && state_run_event(hd->state, hd->run_id, ev) < 0) {
		hd->state_error = -1;
		err("%s", tend_error_last());
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (tend_interrupted)
		_exit(130);
	tend_interrupted = 1;
}

/*
 * From here on SIGINT/SIGTERM only ask the work to stop (interrupt.h):
 * loading the inventory, setting plays up and running tasks wind down,
 * and the run goes on record as interrupted.
 */
static void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int open_state(struct state **out, struct cli_args *a)
{
	if (state_open(out, a->state_path) < 0 || state_reap(*out) < 0)
		return err("%s", tend_error_last());
	return 0;
}

static int record_begin(struct hook_data *hd, struct cli_args *a,
			enum run_mode mode)
{
	struct buf names = BUF_INIT;
	struct run_info info = {
		.mode = mode == RUN_PLAN ? "plan" : "apply",
		.limit = a->limit,
		.commit = a->src.dir ? a->src.commit : NULL,
		.note = a->override_cw ? a->reason : NULL,
	};
	int rc = 0;

	for (size_t i = 0; i < a->pbs_nr; i++)
		buf_addf(&names, "%s%s", i ? " " : "", a->pbs[i]->path);
	info.playbook = names.ptr;
	if (state_run_begin(hd->state, &hd->run_id, &info) < 0)
		rc = err("%s", tend_error_last());
	buf_release(&names);
	return rc;
}

/*
 * A signal stopped the work before run() put the run on record (while
 * the inventory loaded, or a saved plan was checked): record it now as
 * interrupted, as run() records a run stopped part-way. Returns the exit
 * code.
 */
static int record_interrupted(struct cli_args *a, enum run_mode mode)
{
	struct hook_data hd = { 0 };
	struct run_result res = { .interrupted = true };
	int rc;

	if ((rc = open_state(&hd.state, a)))
		return rc;
	if (!(rc = record_begin(&hd, a, mode)) &&
	    state_run_finish(hd.state, hd.run_id, "interrupted", &res) < 0)
		rc = err("%s", tend_error_last());
	state_close(hd.state);
	return rc ? rc : EXIT_ERROR;
}

static void print_report(const struct run_result *res,
			 const struct report_opts *ro, const char *format)
{
	struct buf out = BUF_INIT;

	if (format && !strcmp(format, "json"))
		report_json(&out, res, ro);
	else if (format && !strcmp(format, "markdown"))
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

/* tend.yml: -c, else beside the repo or playbook, else XDG; or defaults. */
static int load_config(struct config **out, struct cli_args *a)
{
	struct diags d = DIAGS_INIT;
	char *path = NULL;
	const char *dir = a->pbs_nr ? a->pbs[0]->dir : NULL;
	int error;

	if ((error = config_find(&path, a->config_path, NULL, dir)) < 0)
		return err("%s", tend_error_last());
	error = config_load(out, path, &d);
	diags_print(&d, stderr);
	diags_release(&d);
	free(path);
	if (error == TEND_EPARSE)
		return EXIT_ERROR;
	if (error < 0)
		return err("%s", tend_error_last());
	if (!a->state_path && (*out)->state_path)
		a->state_path = (*out)->state_path;
	return 0;
}

/*
 * tend.yml for plan and apply; its ssh: section becomes connection vars
 * of the lowest precedence (inventory and play vars override them).
 */
static int setup_config(struct cli_args *a)
{
	static const struct { const char *key, *var; } map[] = {
		{ "user", "ansible_user" },
		{ "key_file", "ansible_ssh_private_key_file" },
		{ "known_hosts", "tend_known_hosts" },
		{ "port", "ansible_port" },
		{ "timeout", "ansible_ssh_timeout" },
		{ "host_key_checking", "host_key_checking" },
		{ "command_timeout", "tend_command_timeout" },
	};
	const struct val *ssh, *forks;
	int rc;

	if ((rc = load_config(&a->cfg, a)))
		return rc;
	ssh = val_dict_get(a->cfg->root, "ssh");
	a->defaults = val_dict();
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const struct val *v = val_dict_get(ssh, map[i].key);

		if (v)
			val_dict_set(a->defaults, map[i].var,
				     val_ref((struct val *)v));
	}
	forks = val_dict_get(ssh, "forks");
	if (!a->forks && val_is(forks, VAL_INT) && forks->u.i > 0)
		a->forks = (int)forks->u.i;
	return 0;
}

/* Refuse an apply outside the allowed change windows, before anything. */
static int check_change_windows(struct cli_args *a, const struct config *cfg)
{
	bool allowed = true;
	time_t next = 0;
	char *reason = NULL;
	int rc = 0;

	if (change_window_check(time(NULL), cfg, &allowed, &next, &reason) < 0)
		return err("%s", tend_error_last());
	if (!allowed && a->override_cw && a->reason) {
		fprintf(stderr, "tend: outside the change windows (%s); "
			"overridden: %s\n", reason ? reason : "", a->reason);
	} else if (!allowed) {
		char when[64] = "never";
		struct tm tm;

		if (next) {
			localtime_r(&next, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M %Z", &tm);
		}
		rc = err("refused: %s; the next allowed window opens %s "
			 "(--override-change-window --reason TEXT to go ahead)",
			 reason ? reason : "outside the change windows", when);
	} else if (a->override_cw && !a->reason) {
		rc = err("--override-change-window needs --reason");
	}
	free(reason);
	return rc;
}

/*
 * Which hosts will the apply change? A read-only plan pass (or the saved
 * plan's check) answers it, so the window covers exactly those hosts.
 */
static int windows_setup(struct hook_data *hd, struct cli_args *a,
			 const struct config *cfg, struct buf *summary)
{
	struct run_result res = { 0 };
	struct run_opts o = {
		.mode = RUN_PLAN, .limit = a->limit, .extra_vars = a->extra,
		.tags = a->tags, .skip_tags = a->skip_tags,
		.forks = a->forks ? a->forks : 10, .quiet = true,
		.defaults = a->defaults,
	};
	struct val *changed;
	unsigned nchanges = 0;

	if (a->no_window || !cfg->maintenance.providers_nr)
		return 0;
	changed = a->changed ? val_ref(a->changed) : NULL;
	if (!changed) {
		changed = val_list();
		for (size_t i = 0; i < a->pbs_nr; i++)
			if (run_playbook(&res, a->pbs[i], a->inv, &o) < 0) {
				val_unref(changed);
				run_result_release(&res);
				return err("%s", tend_error_last());
			}
		for (size_t i = 0; i < res.nr; i++) {
			const struct run_event *ev = &res.events[i];

			if (ev->status != EV_CHANGED && ev->status != EV_UNKNOWN)
				continue;
			nchanges++;
			if (!in_list(changed, ev->host))
				val_list_push(changed, val_str(ev->host));
		}
		run_result_release(&res);
	}
	buf_addf(summary, "%u change%s on %zu host%s", nchanges,
		 nchanges == 1 ? "" : "s", val_len(changed),
		 val_len(changed) == 1 ? "" : "s");
	hd->cfg = cfg;
	hd->changed = changed; /* released by the caller */
	hd->plan_summary = summary->ptr;
	hd->playbook = a->pbs_nr ? a->pbs[0]->path : NULL;
	hd->started = time(NULL);
	return 0;
}

static void report_firing(const struct val *firing)
{
	for (size_t i = 0; i < val_len(firing); i++) {
		struct buf b = BUF_INIT;

		val_to_json(&b, val_list_at(firing, i), 0);
		err("warning: still firing after the window closed: %s", b.ptr);
		buf_release(&b);
	}
}

static int run(struct cli_args *a, enum run_mode mode)
{
	const struct config *cfg;
	struct buf summary = BUF_INIT;
	struct run_result res = { 0 };
	struct report_opts ro = { .mode = mode, .diff = a->diff };
	struct live_report lr = { .o = &ro, .f = stdout };
	struct hook_data hd = { 0 };
	struct run_hooks hooks = { .play_start = hook_play,
				   .event = hook_event,
				   .batch_start = hook_batch_start,
				   .batch_end = hook_batch_end,
				   .progress = hook_progress, .payload = &hd };
	struct progress prog = { .f = NULL };
	struct run_opts o = {
		.mode = mode, .limit = a->limit, .extra_vars = a->extra,
		.tags = a->tags, .skip_tags = a->skip_tags,
		.forks = a->forks ? a->forks : 10, .hooks = &hooks,
		.defaults = a->defaults,
	};
	/* json, markdown, junit: for programs, so no live output or colour */
	bool json = a->format && strcmp(a->format, "text");
	bool failed = false, changes = false;
	const char *status;
	int rc;

	ro.color = !a->no_color && !json && isatty(1) && !getenv("NO_COLOR");
	if (a->src.dir) {
		ro.commit = a->src.commit;
		ro.subject = a->src.subject;
		ro.author = a->src.author;
		ro.source = a->src_opts.url;
		ro.ref = a->src_opts.ref;
	}
	if (mode == RUN_APPLY && !json)
		hd.live = &lr;
	if (hd.live && isatty(1) && getenv("TERM") && strcmp(getenv("TERM"), "dumb")) {
		progress_start(&prog, stdout);
		hd.progress = &prog;
	}
	cfg = a->cfg;
	if (mode == RUN_APPLY && (rc = check_change_windows(a, cfg)))
		return rc;
	/* the run is on record before any host is touched */
	if ((rc = open_state(&hd.state, a)))
		return rc;
	window_reap(hd.state, NULL);
	if ((rc = record_begin(&hd, a, mode))) {
		state_close(hd.state);
		return rc;
	}
	hd.res = &res;
	if (mode == RUN_APPLY && (rc = windows_setup(&hd, a, cfg, &summary)))
		goto done;
	for (size_t i = 0; i < a->pbs_nr; i++) {
		ro.playbook = a->pbs[i]->path;
		if (run_playbook(&res, a->pbs[i], a->inv, &o) < 0) {
			err("%s", tend_error_last());
			rc = EXIT_ERROR;
			break;
		}
	}
	progress_stop(&prog); /* before the recap */
	hd.progress = NULL;
	for (size_t i = 0; i < res.hosts_nr; i++)
		if (res.hosts[i].failed || res.hosts[i].unreachable)
			failed = true;
	for (size_t i = 0; i < res.nr; i++)
		if (res.events[i].status == EV_CHANGED ||
		    res.events[i].status == EV_UNKNOWN)
			changes = true;
	print_report(&res, &ro, a->format);
	if (a->out_path && mode == RUN_PLAN && !rc) {
		struct plan_meta pm = {
			.playbooks = a->pos, .playbooks_nr = a->pos_nr,
			.inventory = a->inventory, .extra_vars = a->extra,
			.limit = a->limit, .tags = a->tags,
			.skip_tags = a->skip_tags,
		};

		if (a->src.dir) {
			pm.commit = a->src.commit;
			pm.subject = a->src.subject;
			pm.author = a->src.author;
			pm.source_url = a->src_opts.url;
			pm.source_ref = a->src_opts.ref;
			pm.repo_paths = a->repo_pos;
		}

		if (plan_write(a->out_path, &res, &pm) < 0) {
			err("%s", tend_error_last());
			rc = EXIT_ERROR;
		} else if (!json) {
			fprintf(stderr, "plan saved to %s: apply it with "
				"'tend apply %s'\n", a->out_path, a->out_path);
		}
	}
	if (a->stats)
		print_stats(&res);
	if (res.interrupted) {
		err("interrupted: no further task was started");
		rc = EXIT_ERROR;
	}
done:
	progress_stop(&prog);
	hd.progress = NULL;
	status = res.interrupted ? "interrupted" : rc ? "error" :
		 failed ? "failed" : "ok";
	close_window(&hd, status);
	report_firing(hd.firing);
	val_unref(hd.firing);
	val_unref((struct val *)hd.changed);
	buf_release(&summary);
	if (state_run_finish(hd.state, hd.run_id, status, &res) < 0) {
		err("%s", tend_error_last());
		rc = EXIT_ERROR;
	}
	if (hd.state_error)
		rc = EXIT_ERROR;
	state_close(hd.state);
	run_result_release(&res);
	if (rc)
		return rc;
	if (failed)
		return EXIT_HOSTS_FAILED;
	if (mode == RUN_PLAN && a->detailed_exitcode && changes)
		return EXIT_CHANGES;
	return EXIT_OK;
}

static const char *vstr(const struct val *d, const char *key)
{
	const char *s = val_cstr(val_dict_get(d, key));

	return s ? s : "";
}

static long long vint(const struct val *d, const char *key)
{
	const struct val *v = val_dict_get(d, key);

	return val_is(v, VAL_INT) ? v->u.i : 0;
}

static int window_open_cmd(struct cli_args *a, const struct config *cfg,
			   struct state *st)
{
	struct val *hosts = split_tags(NULL, a->hosts_arg ? a->hosts_arg : "");
	const char **names = xcalloc(val_len(hosts) + 1, sizeof(*names));
	struct window *w = NULL;
	struct window_opts o = { .config = cfg, .state = st, .run_id = 0,
				 .reason = a->reason };
	long long secs = 0;
	int rc = 0;

	if (!val_len(hosts) || !a->reason || !a->duration) {
		rc = err("usage: tend window open --hosts H1,H2 --duration 30m "
			 "--reason TEXT");
		goto out;
	}
	if (config_parse_duration(&secs, a->duration) < 0) {
		rc = err("%s", tend_error_last());
		goto out;
	}
	for (size_t i = 0; i < val_len(hosts); i++)
		names[i] = val_cstr(val_list_at(hosts, i));
	o.hosts = names;
	o.hosts_nr = val_len(hosts);
	o.duration = secs;
	if (window_open(&w, &o) < 0) {
		rc = err("%s", tend_error_last());
		goto out;
	}
	if (!w) {
		rc = err("no maintenance providers are configured in tend.yml");
		goto out;
	}
	printf("window %lld open on %zu host%s until %s", w->id, o.hosts_nr,
	       o.hosts_nr == 1 ? "" : "s", ctime(&w->ends_at));
	window_free(w);
out:
	free(names);
	val_unref(hosts);
	return rc;
}

static int window_list_cmd(struct cli_args *a, struct state *st)
{
	struct val *l = NULL;
	struct buf out = BUF_INIT;

	if (window_list(&l, st, a->all) < 0)
		return err("%s", tend_error_last());
	if (a->format && !strcmp(a->format, "json")) {
		val_to_json(&out, l, 2);
		buf_addch(&out, '\n');
	} else {
		buf_addf(&out, "%-6s %-8s %-7s %-20s %s\n", "ID", "STATUS",
			 "RUN", "ENDS", "HOSTS / REASON");
		for (size_t i = 0; i < val_len(l); i++) {
			const struct val *w = val_list_at(l, i);
			const struct val *hosts = val_dict_get(w, "hosts");
			time_t ends = (time_t)vint(w, "ends_at");
			char when[32];
			struct tm tm;

			gmtime_r(&ends, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			buf_addf(&out, "%-6lld %-8s %-7lld %-20s ", vint(w, "id"),
				 vstr(w, "status"), vint(w, "run_id"), when);
			for (size_t j = 0; j < val_len(hosts); j++)
				buf_addf(&out, "%s%s", j ? "," : "",
					 val_cstr(val_list_at(hosts, j)));
			if (vstr(w, "reason")[0])
				buf_addf(&out, " (%s)", vstr(w, "reason"));
			buf_addch(&out, '\n');
		}
	}
	fputs(out.ptr, stdout);
	buf_release(&out);
	val_unref(l);
	return 0;
}

static int cmd_window(struct cli_args *a)
{
	struct config *cfg = NULL;
	struct state *st = NULL;
	const char *verb = a->pos_nr ? a->pos[0] : "";
	int rc;

	if (strcmp(verb, "open") && strcmp(verb, "list") && strcmp(verb, "close"))
		return err("usage: tend window open|list|close (see 'tend help "
			   "window')");
	if ((rc = load_config(&cfg, a)))
		return rc;
	if ((rc = open_state(&st, a)))
		goto out;
	window_reap(st, NULL);
	if (!strcmp(verb, "open")) {
		rc = window_open_cmd(a, cfg, st);
	} else if (!strcmp(verb, "list")) {
		rc = window_list_cmd(a, st);
	} else {
		struct val *firing = NULL;
		char *end = NULL;
		long long id = a->pos_nr == 2 ? strtoll(a->pos[1], &end, 10) : 0;

		if (id <= 0 || *end) {
			rc = err("usage: tend window close ID");
			goto out;
		}
		if (window_close_id(&firing, st, id) < 0) {
			rc = err("%s", tend_error_last());
			goto out;
		}
		printf("window %lld closed\n", id);
		report_firing(firing);
		val_unref(firing);
	}
out:
	state_close(st);
	config_free(cfg);
	return rc;
}

static int cmd_history(struct cli_args *a)
{
	struct state *st = NULL;
	struct val *runs = NULL;
	struct buf out = BUF_INIT;
	int rc;

	if ((rc = open_state(&st, a)))
		return rc;
	if (state_history(&runs, st, a->history_limit ? a->history_limit :
			  20) < 0) {
		rc = err("%s", tend_error_last());
		goto out;
	}
	if (a->format && !strcmp(a->format, "json")) {
		val_to_json(&out, runs, 2);
		buf_addch(&out, '\n');
	} else {
		buf_addf(&out, "%-6s %-20s %-6s %-11s %5s %4s %7s %6s  %s\n",
			 "ID", "STARTED", "MODE", "STATUS", "HOSTS", "OK",
			 "CHANGED", "FAILED", "PLAYBOOK");
		for (size_t i = 0; i < val_len(runs); i++) {
			const struct val *r = val_list_at(runs, i);

			buf_addf(&out, "%-6lld %-20s %-6s %-11s %5lld %4lld "
				 "%7lld %6lld  %s\n", vint(r, "id"),
				 vstr(r, "started"), vstr(r, "mode"),
				 vstr(r, "status"), vint(r, "hosts"),
				 vint(r, "ok"), vint(r, "changed"),
				 vint(r, "failed") + vint(r, "unreachable"),
				 vstr(r, "playbook"));
		}
	}
	fputs(out.ptr, stdout);
out:
	buf_release(&out);
	val_unref(runs);
	state_close(st);
	return rc;
}

static void show_text(struct buf *out, const struct val *run, long long id)
{
	const struct val *results = val_dict_get(run, "results");
	const char *host = NULL;

	buf_addf(out, "run %lld: %s %s, %s\n", id, vstr(run, "mode"),
		 vstr(run, "playbook"), vstr(run, "status"));
	buf_addf(out, "started %s by %s, finished %s\n", vstr(run, "started"),
		 vstr(run, "user"),
		 vstr(run, "finished")[0] ? vstr(run, "finished") : "-");
	for (size_t i = 0; i < val_len(results); i++) {
		const struct val *r = val_list_at(results, i);

		if (!host || strcmp(host, vstr(r, "host"))) {
			host = vstr(r, "host");
			buf_addf(out, "\n%s\n", host);
		}
		buf_addf(out, "  %-11s %s", vstr(r, "status"), vstr(r, "task"));
		if (vstr(r, "item")[0])
			buf_addf(out, " (item=%s)", vstr(r, "item"));
		if (vstr(r, "diff")[0])
			buf_addf(out, "  [%s]", vstr(r, "diff"));
		buf_addch(out, '\n');
		if (vstr(r, "error")[0])
			buf_addf(out, "              %s\n", vstr(r, "error"));
	}
}

static int cmd_show(struct cli_args *a)
{
	struct state *st = NULL;
	struct val *run = NULL;
	struct buf out = BUF_INIT;
	char *end;
	long long id;
	int rc;

	if (a->pos_nr != 1)
		return err("usage: tend show RUN_ID");
	id = strtoll(a->pos[0], &end, 10);
	if (*end || id <= 0)
		return err("'%s' is not a run id", a->pos[0]);
	if ((rc = open_state(&st, a)))
		return rc;
	if (state_show(&run, st, id) < 0) {
		rc = err("%s", tend_error_last());
		goto out;
	}
	if (a->format && !strcmp(a->format, "json")) {
		val_to_json(&out, run, 2);
		buf_addch(&out, '\n');
	} else {
		show_text(&out, run, id);
	}
	fputs(out.ptr, stdout);
out:
	buf_release(&out);
	val_unref(run);
	state_close(st);
	return rc;
}

static int cmd_plan(struct cli_args *a)
{
	return run(a, RUN_PLAN);
}

/*
 * apply PLAN: check every host of the plan again (read-only); a host whose
 * fingerprints moved is stale and refused (or applied anyway with
 * --replan); the others are applied.
 */
static int apply_plan(struct cli_args *a)
{
	struct run_result now = { 0 };
	struct run_opts o = {
		.mode = RUN_PLAN, .limit = a->limit, .extra_vars = a->extra,
		.tags = a->tags, .skip_tags = a->skip_tags,
		.forks = a->forks ? a->forks : 10, .quiet = true,
		.defaults = a->defaults,
	};
	struct val *stale = NULL, *hosts = plan_hosts(a->plan);
	struct buf fresh = BUF_INIT;
	char *limit_was = NULL;
	const char *planned = val_cstr(val_dict_path(a->plan, "source.commit"));
	int rc = EXIT_OK;

	if (planned && a->src.dir && strcmp(planned, a->src.commit)) {
		if (!a->replan) {
			err("stale plan: '%s' moved from %.12s to %.12s since "
			    "the plan (make a new plan, or --replan)",
			    a->src_opts.ref, planned, a->src.commit);
			rc = EXIT_STALE;
			goto out;
		}
		fprintf(stderr, "tend: re-planning: '%s' moved from %.12s to "
			"%.12s since the plan\n", a->src_opts.ref, planned,
			a->src.commit);
	}
	for (size_t i = 0; i < a->pbs_nr; i++)
		if (run_playbook(&now, a->pbs[i], a->inv, &o) < 0) {
			rc = err("%s", tend_error_last());
			goto out;
		}
	if (now.interrupted) {
		/* a partial check would call hosts stale that are not */
		err("interrupted: no further task was started");
		rc = record_interrupted(a, RUN_APPLY);
		goto out;
	}
	plan_compare(&stale, a->plan, &now);
	for (size_t i = 0; i < val_len(stale); i++)
		fprintf(stderr, "tend: %s: host '%s' moved since the plan: %s\n",
			a->replan ? "re-planning" : "stale, refused",
			stale->u.dict.items[i].key,
			val_cstr(stale->u.dict.items[i].v));
	for (size_t i = 0; i < val_len(hosts); i++) {
		const char *h = val_cstr(val_list_at(hosts, i));

		if (!a->replan && val_dict_get(stale, h))
			continue;
		buf_addf(&fresh, "%s%s", fresh.len ? ":" : "", h);
	}
	/* the check just made says which hosts change: the window's hosts */
	a->changed = val_list();
	for (size_t i = 0; i < now.nr; i++)
		if ((now.events[i].status == EV_CHANGED ||
		     now.events[i].status == EV_UNKNOWN) &&
		    !in_list(a->changed, now.events[i].host))
			val_list_push(a->changed, val_str(now.events[i].host));
	if (fresh.len) {
		limit_was = (char *)a->limit;
		a->limit = fresh.ptr;
		rc = run(a, RUN_APPLY);
		a->limit = limit_was;
	}
	if (val_len(stale) && !a->replan && rc != EXIT_ERROR)
		rc = EXIT_STALE;
out:
	buf_release(&fresh);
	val_unref(stale);
	val_unref(hosts);
	run_result_release(&now);
	return rc;
}

/*
 * The playbooks of a plan as the positional arguments: each playbook's
 * `key` ("path", or "repo_path" for a --repo source). a->pos was sized
 * for argv, and a plan may name more playbooks than that.
 */
static void plan_playbooks(struct cli_args *a, const struct val *plan,
			   const char *key)
{
	const struct val *pbs = val_dict_get(plan, "playbooks");

	free(a->pos);
	a->pos = xcalloc(val_len(pbs) + 1, sizeof(*a->pos));
	a->pos_nr = 0;
	for (size_t i = 0; i < val_len(pbs); i++)
		a->pos[a->pos_nr++] = val_cstr(val_dict_get(val_list_at(pbs, i),
							    key));
}

/*
 * The argument of apply is a saved plan (plan_load checked its schema):
 * take its playbooks, inventory and options, refuse it if too old or if
 * its inputs changed (unless --replan), and get its secrets back from
 * --secrets.
 */
static int load_plan(struct cli_args *a)
{
	struct val *plan = NULL, *extra = NULL;
	const struct val *opts;
	long long created;
	int error;

	if (plan_load(&plan, a->pos[0]) < 0)
		return err("%s", tend_error_last());
	/* created_epoch is any int: compare without computing its age */
	created = val_dict_get(plan, "created_epoch")->u.i;
	if (a->max_plan_age &&
	    created < (long long)time(NULL) - a->max_plan_age) {
		val_unref(plan);
		err("the plan '%s' is older than --max-plan-age", a->pos[0]);
		return EXIT_STALE;
	}
	if (val_cstr(val_dict_path(plan, "source.url"))) {
		/* fetch the ref again: apply_plan compares the commit */
		if (!a->src_opts.url) {
			a->src_opts.url = val_cstr(val_dict_path(plan,
							"source.url"));
			a->src_opts.ref = val_cstr(val_dict_path(plan,
							"source.ref"));
		}
		plan_playbooks(a, plan, "repo_path");
		error = 0;
	} else if ((error = plan_check_inputs(plan)) < 0 && !a->replan) {
		val_unref(plan);
		err("stale plan: %s (make a new plan, or --replan)",
		    tend_error_last());
		return error == TEND_ESTALE ? EXIT_STALE : EXIT_ERROR;
	}
	tend_error_clear();
	if ((error = plan_extra_vars(&extra, plan, a->secrets)) < 0) {
		val_unref(plan);
		err("%s", tend_error_last());
		return error == TEND_ESTALE ? EXIT_STALE : EXIT_ERROR;
	}
	val_unref(a->extra);
	a->extra = extra;
	if (!a->src_opts.url)
		plan_playbooks(a, plan, "path");
	a->inventory = val_cstr(val_dict_path(plan, "inventory.path"));
	opts = val_dict_get(plan, "options");
	a->limit = val_cstr(val_dict_get(opts, "limit"));
	val_unref(a->tags);
	val_unref(a->skip_tags);
	a->tags = val_copy(val_dict_get(opts, "tags"));
	a->skip_tags = val_copy(val_dict_get(opts, "skip_tags"));
	a->plan = plan;
	return 0;
}

static int cmd_apply(struct cli_args *a)
{
	if (a->plan)
		return apply_plan(a);
	return run(a, a->check ? RUN_PLAN : RUN_APPLY);
}

static size_t count_tasks(const struct tasklist *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++) {
		const struct task *t = l->items[i];

		n += t->kind == TASK_BLOCK ? count_tasks(&t->block) +
			count_tasks(&t->rescue) + count_tasks(&t->always) :
			t->kind == TASK_INCLUDE ? count_tasks(&t->included) : 1;
	}
	return n;
}

static int cmd_validate(struct cli_args *a)
{
	size_t plays = 0, tasks = 0;
	int rc;

	if (a->inventory && (rc = setup_inventory(a)))
		return rc;
	for (size_t i = 0; i < a->pbs_nr; i++) {
		const struct playbook *pb = a->pbs[i];

		plays += pb->nr;
		for (size_t j = 0; j < pb->nr; j++) {
			const struct play *p = pb->plays[j];

			tasks += count_tasks(&p->pre_tasks) +
				 count_tasks(&p->tasks) +
				 count_tasks(&p->post_tasks) +
				 count_tasks(&p->handlers);
		}
	}
	printf("ok: %zu playbook%s, %zu play%s, %zu task%s\n", a->pbs_nr,
	       a->pbs_nr == 1 ? "" : "s", plays, plays == 1 ? "" : "s", tasks,
	       tasks == 1 ? "" : "s");
	return EXIT_OK;
}

static int cmd_modules(struct cli_args *a)
{
	(void)a;
	for (size_t i = 0; tend_modules[i]; i++)
		printf("%-14s %s\n", tend_modules[i]->name,
		       tend_modules[i]->doc ? tend_modules[i]->doc : "");
	return EXIT_OK;
}

static const char *arg_type_name(enum arg_type t)
{
	static const char *const names[] = {
		[ARG_STR] = "str", [ARG_BOOL] = "bool", [ARG_INT] = "int",
		[ARG_PATH] = "path", [ARG_MODE] = "mode", [ARG_LIST] = "list",
		[ARG_DICT] = "dict", [ARG_ANY] = "any",
	};

	return names[t];
}

static int cmd_doc(struct cli_args *a)
{
	const struct tend_module *m;

	if (a->pos_nr != 1)
		return err("usage: tend doc MODULE");
	m = module_find(a->pos[0]);
	if (!m)
		return err("no module named '%s' (see 'tend modules')",
			   a->pos[0]);
	printf("%s: %s\n\n", m->name, m->doc ? m->doc : "");
	for (const struct arg_spec *s = m->args; s && s->name; s++) {
		printf("  %s (%s%s)", strcmp(s->name, "*") ? s->name : "KEY",
		       arg_type_name(s->type),
		       s->flags & ARG_REQUIRED ? ", required" : "");
		if (s->aliases)
			printf(" aliases: %s", s->aliases);
		putchar('\n');
		if (s->doc)
			printf("      %s\n", s->doc);
		if (s->choices) {
			printf("      choices:");
			for (size_t i = 0; s->choices[i]; i++)
				printf("%s %s", i ? "," : "", s->choices[i]);
			putchar('\n');
		}
		if (s->dflt)
			printf("      default: %s\n", s->dflt);
	}
	return EXIT_OK;
}

static int cmd_help(struct cli_args *a)
{
	const struct cli_cmd *c;

	if (!a->pos_nr) {
		usage_all(stdout);
		return EXIT_OK;
	}
	c = find_cmd(a->pos[0]);
	if (!c)
		return err("no command '%s'", a->pos[0]);
	usage_cmd(stdout, c);
	return EXIT_OK;
}

static int cmd_pull(struct cli_args *a)
{
	int rc;

	if (a->pos_nr)
		return err("usage: tend pull --repo URL --ref REF [--dir DIR]");
	if (!a->src_opts.url)
		return err("tend pull needs --repo URL");
	if ((rc = setup_source(a)))
		return rc;
	printf("commit  %s\nsubject %s\nauthor  %s\n", a->src.commit,
	       a->src.subject, a->src.author);
	if (a->src.signer)
		printf("signer  %s\n", a->src.signer);
	printf("dir     %s\n", a->src.dir);
	return a->src.stale ? EXIT_ERROR : EXIT_OK;
}

static int cmd_version(struct cli_args *a)
{
	(void)a;
	printf("tend %s\n", TEND_VERSION);
	return EXIT_OK;
}

/* Whether a run of command c with these arguments plans or applies. */
static enum run_mode cmd_mode(const struct cli_cmd *c,
			      const struct cli_args *a)
{
	if ((c->flags & CMD_APPLIES) && (a->plan || !a->check))
		return RUN_APPLY;
	return RUN_PLAN;
}

int cli_main(int argc, char **argv)
{
	const struct cli_cmd *c;
	struct cli_args a = { 0 };
	int rc;

	if (argc < 2) {
		usage_all(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(&a);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(&a);
	c = find_cmd(argv[1]);
	if (!c) {
		err("'%s' is not a tend command", argv[1]);
		usage_all(stderr);
		return EXIT_ERROR;
	}
	a.extra = val_dict();
	a.pos = xcalloc((size_t)argc, sizeof(*a.pos));
	rc = parse_args(&a, c, argc - 2, argv + 2);
	if (rc) {
		rc = rc > 0 ? EXIT_OK : EXIT_ERROR;
		goto out;
	}
	if ((c->flags & CMD_TAKES_PLAN) && a.pos_nr == 1 &&
	    plan_is_file(a.pos[0]) && (rc = load_plan(&a)))
		goto out;
	if ((c->flags & CMD_NEEDS_PLAYBOOK) && (rc = setup_playbooks(&a)))
		goto out;
	if ((c->flags & CMD_NEEDS_INVENTORY) && (rc = setup_config(&a)))
		goto out;
	if (c->flags & CMD_NEEDS_INVENTORY) {
		catch_interrupts();
		rc = setup_inventory(&a);
		if (rc && tend_interrupted)
			rc = record_interrupted(&a, cmd_mode(c, &a));
		if (rc)
			goto out;
	}
	rc = c->fn(&a);
out:
	for (size_t i = 0; i < a.pbs_nr; i++)
		playbook_free(a.pbs[i]);
	free(a.pbs);
	inventory_free(a.inv);
	val_unref(a.extra);
	val_unref(a.tags);
	val_unref(a.skip_tags);
	val_unref(a.secrets);
	val_unref(a.changed);
	val_unref(a.defaults);
	config_free(a.cfg);
	val_unref((struct val *)a.plan);
	source_result_release(&a.src);
	for (size_t i = 0; i < a.src_paths_nr; i++)
		free(a.src_paths[i]);
	free(a.repo_pos);
	free(a.src_paths);
	free(a.pos);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "tend: cannot write to standard output\n");
		return EXIT_ERROR;
	}
	return rc;
}
