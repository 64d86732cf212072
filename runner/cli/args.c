#include "tend/common.h"
#include "tend/data/yaml.h"
#include "tend/report/report.h"
#include "tend/util/duration.h"
#include "tend/cli/cli_int.h"

#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

int cli_parse_extra(struct val *into, const char *s)
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
			cli_diags_print(&d);
		else
			cli_err("bad --extra-vars '%s': %s", s, tend_error_last());
		diags_release(&d);
		val_unref(v);
		return -1;
	}
	diags_release(&d);
	if (v->type != VAL_DICT) {
		val_unref(v);
		cli_err("--extra-vars '%s' must be k=v pairs or a dict", s);
		return -1;
	}
	val_dict_update(into, v, false);
	val_unref(v);
	return 0;
}

/* "90", "30s", "15m", "2h", "1d" → seconds. */
static int parse_age(long *out, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);
	long mult = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
		    !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;

	if (end == v || n <= 0 || !mult)
		return cli_err("--max-plan-age expects a duration like 30m, 2h "
			   "or 1d, got '%s'", v), -1;
	*out = n * mult;
	return 0;
}

/* --lock-timeout: "30s", "5m", a number of seconds (util/duration.h). */
static int parse_lock_timeout(long long *out, const char *v)
{
	if (duration_parse(out, v) < 0) {
		cli_err("--lock-timeout: %s", tend_error_last());
		tend_error_clear();
		return -1;
	}
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
			cli_diags_print(&d);
		else
			cli_err("%s", tend_error_last());
		diags_release(&d);
		return -1;
	}
	diags_release(&d);
	if (v->type != VAL_DICT) {
		val_unref(v);
		return cli_err("--secrets '%s' must hold a dict of vars", path), -1;
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

/* The git source's options (SOURCE_OPT_ROWS), shared by several commands. */
static int set_source_opt(struct source_opts *so, const struct cli_opt *o,
			  const char *v)
{
	char *end;

	switch (o->id) {
	case OPT_REPO:
		so->url = v;
		break;
	case OPT_REF:
		so->ref = v;
		break;
	case OPT_KEY:
		so->key = v;
		break;
	case OPT_KNOWN_HOSTS:
		so->known_hosts = v;
		break;
	case OPT_TOKEN_ENV:
		so->token_env = v;
		break;
	case OPT_OFFLINE:
		so->offline = true;
		break;
	case OPT_VERIFY_SIGS:
		so->verify_signatures = true;
		break;
	case OPT_ALLOWED_SIGNERS:
		so->allowed_signers = v;
		break;
	case OPT_REQUIRE_ANCESTOR:
		so->require_ancestor_of = v;
		break;
	case OPT_FETCH_TIMEOUT: {
		long secs = strtol(v, &end, 10);

		if (*end || secs < 1 || secs > 86400)
			return cli_err("--fetch-timeout expects seconds from 1 to "
				   "86400, got '%s'", v), -1;
		so->timeout_ms = (int)secs * 1000;
		break;
	}
	case OPT_DIR:
		so->worktree = v;
		break;
	default:
		BUG("option %d has no setter", (int)o->id);
	}
	return 0;
}

/* tend window's own options. */
static int set_window_opt(struct cli_args *a, const struct cli_opt *o,
			  const char *v)
{
	switch (o->id) {
	case OPT_HOSTS:
		a->hosts_arg = v;
		break;
	case OPT_DURATION:
		a->duration = v;
		break;
	case OPT_ALL:
		a->all = true;
		break;
	default:
		BUG("option %d has no setter", (int)o->id);
	}
	return 0;
}

/*
 * --config PATH, and -c TYPE: tend's -c was once --config, so a file
 * given to it is refused with a message that says so.
 */
static int set_config_opt(struct cli_args *a, const struct cli_opt *o,
			  const char *v)
{
	if (o->id == OPT_CONFIG) {
		a->config_path = v;
		return 0;
	}
	if (strchr(v, '/') || strstr(v, ".yml") || strstr(v, ".yaml"))
		return cli_err("-c is the connection type (local, ssh, lxd), "
			       "as ansible-playbook's; give the config file "
			       "'%s' with --config", v), -1;
	a->connection = v;
	return 0;
}

/* What a run records of who and why, and how the daemon logs. */
static int set_record_opt(struct cli_args *a, const struct cli_opt *o,
			  const char *v)
{
	switch (o->id) {
	case OPT_LOG_FORMAT:
		if (strcmp(v, "text") && strcmp(v, "json"))
			return cli_err("--log-format expects text or json, "
				       "got '%s'", v), -1;
		a->log_json = !strcmp(v, "json");
		break;
	case OPT_TRIGGER:
		a->trigger = v;
		break;
	case OPT_PLAY:
		a->play = v;
		break;
	case OPT_REASON:
		a->reason = v;
		break;
	default:
		BUG("option %d has no setter", (int)o->id);
	}
	return 0;
}

/*
 * ansible-playbook's listings, connection and become options (cli.c's
 * rows say what each means).
 */
static int set_ansible_opt(struct cli_args *a, const struct cli_opt *o,
			   const char *v)
{
	static const unsigned int lists[] = {
		[OPT_SYNTAX_CHECK] = LIST_SYNTAX, [OPT_LIST_HOSTS] = LIST_HOSTS,
		[OPT_LIST_TASKS] = LIST_TASKS, [OPT_LIST_TAGS] = LIST_TAGS,
	};
	char *end;

	switch (o->id) {
	case OPT_SYNTAX_CHECK:
	case OPT_LIST_HOSTS:
	case OPT_LIST_TASKS:
	case OPT_LIST_TAGS:
		a->list |= lists[o->id];
		break;
	case OPT_REMOTE_USER:
		a->remote_user = v;
		break;
	case OPT_PRIVATE_KEY:
		a->private_key = v;
		break;
	case OPT_TIMEOUT:
		if (strtol(v, &end, 10) < 1 || *end)
			return cli_err("--timeout expects a number of seconds "
				       "(1 or more), got '%s'", v), -1;
		a->conn_timeout = v;
		break;
	case OPT_BECOME:
		a->become = true;
		break;
	case OPT_BECOME_USER:
		a->become_user = v;
		break;
	case OPT_BECOME_METHOD:
		if (strcmp(v, "sudo") && strcmp(v, "su"))
			return cli_err("--become-method '%s' is not supported: "
				       "tend becomes with sudo or su", v), -1;
		a->become_method = v;
		break;
	case OPT_ASK_BECOME_PASS:
		a->ask_become_pass = true;
		break;
	case OPT_SSH_COMMON_ARGS:
		return cli_ssh_common_args(a, v);
	case OPT_SSH_CONFIG:
		a->ssh_config = v;
		break;
	case OPT_START_AT_TASK:
		a->start_at_task = v;
		break;
	case OPT_STEP:
		a->step = true;
		break;
	default:
		BUG("option %d has no setter", (int)o->id);
	}
	return 0;
}

/* The run's flags that take no value. */
static int set_flag_opt(struct cli_args *a, const struct cli_opt *o)
{
	switch (o->id) {
	case OPT_DETAILED:
		a->detailed_exitcode = true;
		break;
	case OPT_UNKNOWN_IS_CHANGE:
		a->unknown_is_change = true;
		break;
	case OPT_DIFF:
		a->diff = true;
		break;
	case OPT_FORCE_HANDLERS:
		a->force_handlers = true;
		break;
	case OPT_FLUSH_CACHE:
		a->flush_cache = true;
		break;
	case OPT_CHECK:
		a->check = true;
		break;
	case OPT_VERBOSE:
		if (++a->verbosity > 4)
			a->verbosity = 4;
		break;
	case OPT_NO_COLOR:
		a->no_color = true;
		break;
	case OPT_STATS:
		a->stats = true;
		break;
	default:
		BUG("option %d has no setter", (int)o->id);
	}
	return 0;
}

static int set_opt(struct cli_args *a, const struct cli_opt *o,
		   const char *v)
{
	char *end;

	/* the rows from OPT_SYNTAX_CHECK on are ansible-playbook's */
	if (o->id >= OPT_SYNTAX_CHECK)
		return set_ansible_opt(a, o, v);
	switch (o->id) {
	case OPT_INVENTORY:
		a->inventories = xrealloc(a->inventories,
					  (a->inventories_nr + 1) *
					  sizeof(*a->inventories));
		a->inventories[a->inventories_nr++] = v;
		if (!a->inventory)
			a->inventory = v;
		break;
	case OPT_LIMIT:
		a->limit = v;
		break;
	case OPT_EXTRA:
	case OPT_SECRETS:
		break; /* loaded once the vault passwords are in */
	case OPT_VAULT_PASSWORD_FILE:
	case OPT_VAULT_ID:
		return cli_vault_opt(a, o->id, v);
	case OPT_OUTPUT:
		a->output = v;
		break;
	case OPT_MAN:
		a->man = true;
		break;
	case OPT_MAN_DIR:
		a->man_dir = v;
		break;
	case OPT_NAME:
		a->name = v;
		break;
	case OPT_TAGS:
		a->tags = cli_split_tags(a->tags, v);
		break;
	case OPT_SKIP_TAGS:
		a->skip_tags = cli_split_tags(a->skip_tags, v);
		break;
	case OPT_FORKS:
		a->forks = (int)strtol(v, &end, 10);
		if (*end || a->forks < 1 || a->forks > 1000)
			return cli_err("--forks expects a number from 1 to 1000, "
				   "got '%s'", v), -1;
		break;
	case OPT_FORMAT:
		if (strcmp(v, "text") && strcmp(v, "json") &&
		    strcmp(v, "markdown") && strcmp(v, "junit"))
			return cli_err("--format expects text, json, markdown or "
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
	case OPT_LOCK_TIMEOUT:
		return parse_lock_timeout(&a->lock_timeout, v);
	case OPT_CONFIG:
	case OPT_CONNECTION:
		return set_config_opt(a, o, v);
	case OPT_NO_WINDOW:
		a->no_window = true;
		break;
	case OPT_OVERRIDE_CW:
		a->override_cw = true;
		break;
	case OPT_LOG_FORMAT:
	case OPT_TRIGGER:
	case OPT_PLAY:
	case OPT_REASON:
		return set_record_opt(a, o, v);
	case OPT_HOSTS:
	case OPT_DURATION:
	case OPT_ALL:
		return set_window_opt(a, o, v);
	case OPT_DETAILED:
	case OPT_UNKNOWN_IS_CHANGE:
	case OPT_DIFF:
	case OPT_FORCE_HANDLERS:
	case OPT_FLUSH_CACHE:
	case OPT_CHECK:
	case OPT_VERBOSE:
	case OPT_NO_COLOR:
	case OPT_STATS:
		return set_flag_opt(a, o);
	case OPT_STATE:
		a->state_path = v;
		break;
	case OPT_UNTRUSTED:
		a->untrusted_flag = true;
		break;
	case OPT_TRUST_SOURCE:
		a->trust_source = true;
		break;
	case OPT_EXPIRED:
		a->expired = true;
		break;
	case OPT_HISTORY_LIMIT:
		a->history_limit = (int)strtol(v, &end, 10);
		if (*end || a->history_limit < 1)
			return cli_err("--limit expects a positive number, got "
				   "'%s'", v), -1;
		break;
	default:
		return set_source_opt(&a->src_opts, o, v);
	}
	return 0;
}

static const struct cli_opt verbose_opt = { OPT_VERBOSE, 'v', "verbose",
					    NULL, NULL };

static bool takes_verbose(const struct cli_cmd *c)
{
	for (size_t j = 0; c->opts[j].long_name; j++)
		if (c->opts[j].id == OPT_VERBOSE)
			return true;
	return false;
}

/* The row of command c named `name` (n bytes long), or NULL. */
static const struct cli_opt *find_long(const struct cli_cmd *c,
				       const char *name, size_t n)
{
	for (size_t j = 0; c->opts[j].long_name; j++)
		if (strlen(c->opts[j].long_name) == n &&
		    !strncmp(c->opts[j].long_name, name, n))
			return &c->opts[j];
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_cmd *c, char ch)
{
	for (size_t j = 0; c->opts[j].long_name; j++)
		if (c->opts[j].short_name && c->opts[j].short_name == ch)
			return &c->opts[j];
	return NULL;
}

enum { WORD_SHORT, WORD_BUNDLE };

/*
 * A word of one dash and two or more letters ("-out=p.json", "-var",
 * "-auto-approve"): Terraform's and Go's long options, which a short
 * option would otherwise swallow (-o with the value "ut=p.json"). It is
 * a short option with its value attached ("-lweb", "-efoo=bar") unless
 * its letters name a long option, or a bundle of flags ("-CD", "-bK");
 * anything else is an error that names the two-dash spelling.
 */
static int single_dash_word(const struct cli_cmd *c, const char *s)
{
	size_t n = strcspn(s + 1, "=");
	const struct cli_opt *o;
	size_t k;

	for (k = 1; k <= n && (isalpha((unsigned char)s[k]) ||
			       (k > 1 && s[k] == '-')); k++)
		;
	if (n < 2 || k <= n)
		return WORD_SHORT;
	if ((o = find_long(c, s + 1, n)))
		return cli_err("'%s': long options take two dashes: -%s (see "
			       "'tend help %s')", s, s, c->name), -1;
	/* "-input=false" is Terraform's; only -e takes k=v values */
	o = find_short(c, s[1]);
	if (o && o->arg && (!s[1 + n] || o->id == OPT_EXTRA))
		return WORD_SHORT;
	for (k = 1; k <= n && s[k] != '='; k++) {
		o = find_short(c, s[k]);
		if (!o || o->arg)
			break;
	}
	if (k > n && !s[k])
		return WORD_BUNDLE;
	return cli_err("unknown option '%s' for 'tend %s': long options take "
		       "two dashes, and 'tend %s' has no --%.*s (see 'tend "
		       "help %s')", s, c->name, c->name, (int)n, s + 1,
		       c->name), -1;
}

/* Options and positional args; -e and --secrets go to dopts/dvals. */
static int parse_argv(struct cli_args *a, const struct cli_cmd *c, int argc,
		      char **argv, const struct cli_opt **dopts,
		      const char **dvals, size_t *dnr)
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
			cli_usage_cmd(stdout, c);
			return 1;
		}
		if (s[1] == 'v' && s[strspn(s + 1, "v") + 1] == '\0' &&
		    takes_verbose(c)) {
			/* -vvv: Ansible's count of v's in one word */
			for (size_t k = 1; s[k]; k++)
				set_opt(a, &verbose_opt, NULL);
			continue;
		}
		if (s[1] != '-') {
			int w = single_dash_word(c, s);

			if (w < 0)
				return -1;
			for (size_t k = 1; w == WORD_BUNDLE && s[k]; k++)
				if (set_opt(a, find_short(c, s[k]), NULL) < 0)
					return -1;
			if (w == WORD_BUNDLE)
				continue;
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
		if (!o && !strncmp(s, "-c", 2))
			return cli_err("unknown option '-c' for 'tend %s': the "
				       "config file is --config PATH (or "
				       "$TEND_CONFIG)", c->name), -1;
		if (!o)
			return cli_err("unknown option '%s' for 'tend %s' (see 'tend "
				   "help %s')", s, c->name, c->name), -1;
		if (o->arg && !v) {
			if (i + 1 >= argc)
				return cli_err("option '--%s' needs a value",
					   o->long_name), -1;
			v = argv[++i];
		} else if (!o->arg && v) {
			return cli_err("option '--%s' takes no value",
				   o->long_name), -1;
		}
		if (o->id == OPT_EXTRA || o->id == OPT_SECRETS) {
			dopts[*dnr] = o;
			dvals[(*dnr)++] = v;
		}
		if (set_opt(a, o, v) < 0)
			return -1;
	}
	return 0;
}

/*
 * -e and --secrets, in the order given (a later one wins), once the
 * vault passwords are known: either may name a vault-encrypted file.
 */
static int load_deferred(struct cli_args *a, const struct cli_opt **opts,
			 const char **vals, size_t nr)
{
	int error;

	if (a->takes_vault && cli_vault_ready(a) < 0)
		return -1;
	for (size_t i = 0; i < nr; i++) {
		if (opts[i]->id == OPT_EXTRA)
			error = cli_parse_extra(a->extra, vals[i]);
		else
			error = parse_secrets(a, vals[i]);
		if (error < 0)
			return -1;
	}
	return 0;
}

static bool has_opt(const struct cli_cmd *c, enum opt_id id)
{
	for (size_t j = 0; c->opts[j].long_name; j++)
		if (c->opts[j].id == id)
			return true;
	return false;
}

int cli_parse_args(struct cli_args *a, const struct cli_cmd *c, int argc,
		   char **argv)
{
	const struct cli_opt **dopts = xcalloc((size_t)argc + 1, sizeof(*dopts));
	const char **dvals = xcalloc((size_t)argc + 1, sizeof(*dvals));
	size_t dnr = 0;
	int rc;

	a->takes_vault = has_opt(c, OPT_VAULT_PASSWORD_FILE);
	rc = parse_argv(a, c, argc, argv, dopts, dvals, &dnr);
	if (!rc && (c->flags & CMD_NEEDS_PLAYBOOK))
		rc = cli_load_ansiblecfg(a) ? -1 : 0;
	if (!rc)
		rc = load_deferred(a, dopts, dvals, dnr);
	free(dopts);
	free(dvals);
	return rc;
}

void cli_usage_cmd(FILE *f, const struct cli_cmd *c)
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
	if (c->details)
		fprintf(f, "\n%s", c->details);
}
