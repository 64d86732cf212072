#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/engine/config.h"
#include "tend/util/cron.h"
#include "tend/util/duration.h"
#include "tend/data/settings.h"
#include "tend/windows/registry.h"
#include "tend/windows/window.h"
#include "tend/data/yaml.h"
#include "tend/util/fs.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The keys of each section. Sections other subsystems parse (sources,
 * schedules, ssh, http) are only checked here: add a key to their list
 * when their code learns it.
 */
static const char *const top_keys[] = {
	"sources", "schedules", "maintenance", "change_windows", "ssh",
	"state", "http", "daemon", NULL
};
static const char *const source_keys[] = {
	"name", "url", "ref", "deploy_key_file", "known_hosts", "signature",
	"allowed_signers", "require_ancestor_of", "token_env", "interval",
	"debounce", "fetch_timeout", "webhook_secret_file", NULL
};
static const char *const schedule_keys[] = {
	"name", "playbook", "cron", "every", "mode", "limit", "tags",
	"skip_tags", "source", "inventory", "jitter", "timezone", "on_commit",
	"overlap", "drift", "lock_timeout", "extra_vars", NULL
};
static const char *const ssh_keys[] = {
	"user", "key_file", "known_hosts", "forks", "timeout", "port",
	"host_key_checking", "command_timeout", NULL
};
static const char *const state_keys[] = { "path", NULL };
static const char *const http_keys[] = {
	"listen", "token_file", "tls_cert", "tls_key", NULL
};
static const char *const daemon_keys[] = { "max_concurrent", NULL };
static const char *const maintenance_keys[] = {
	"duration", "grace", "extend", "on_failure", "unknown", "providers",
	NULL
};
static const char *const change_window_keys[] = {
	"name", "allow", "deny", "duration", "timezone", NULL
};
/* Every provider takes these besides its own. */
static const char *const provider_common_keys[] = {
	"type", "timeout", "retries", NULL
};

/*
 * The sections for tend.yml(5) (config.h): the key lists above, each
 * with what it is for, so the manual lists exactly the keys the checker
 * accepts.
 */
static const struct config_section sections[] = {
	{ "ssh", ssh_keys, "defaults for the hosts' SSH connections" },
	{ "state", state_keys, "where the state DB is" },
	{ "maintenance", maintenance_keys,
	  "maintenance windows around applies (docs/windows.md)" },
	{ "providers", provider_common_keys,
	  "maintenance.providers: every provider's keys besides its own" },
	{ "change_windows", change_window_keys,
	  "when applying is allowed or refused (a list; docs/windows.md)" },
	{ "http", http_keys, "the daemon's HTTP API" },
	{ "daemon", daemon_keys, "the daemon's limits" },
	{ "sources", source_keys,
	  "git sources the daemon polls (a list; docs/daemon.md)" },
	{ "schedules", schedule_keys,
	  "what the daemon runs, and when (a list; docs/daemon.md)" },
	{ NULL, NULL, NULL },
};

const struct config_section *config_sections(void)
{
	return sections;
}

/* A duration setting: a string like "30m" or a number of seconds. */
static void get_duration(long long *out, const struct val *dict,
			 const char *key, struct diags *d)
{
	const struct val *v = val_dict_get(dict, key);

	if (!v || v->type == VAL_NULL)
		return;
	if (v->type == VAL_INT && v->u.i >= 0) {
		*out = v->u.i;
		return;
	}
	if (v->type != VAL_STR) {
		diags_add(d, &v->pos, "expected a duration for '%s', got a %s",
			  key, val_type_name(v->type));
		return;
	}
	if (duration_parse(out, v->u.s.ptr) < 0) {
		diags_add(d, &v->pos, "%s", tend_error_last());
		tend_error_clear();
	}
}

static const struct val *get_list(const struct val *dict, const char *key,
				  struct diags *d)
{
	const struct val *v = val_dict_get(dict, key);

	if (!v || v->type == VAL_NULL)
		return NULL;
	if (v->type != VAL_LIST) {
		diags_add(d, &v->pos, "expected a list for '%s', got a %s", key,
			  val_type_name(v->type));
		return NULL;
	}
	return v;
}

static bool expect_dict(const struct val *v, const char *what,
			struct diags *d)
{
	if (val_is(v, VAL_DICT))
		return true;
	diags_add(d, &v->pos, "expected a dict for %s, got a %s", what,
		  val_type_name(v->type));
	return false;
}

static void check_list_of_dicts(const struct val *root, const char *key,
				const char *const *keys, struct diags *d)
{
	const struct val *l = get_list(root, key, d);

	for (size_t i = 0; i < val_len(l); i++) {
		const struct val *item = val_list_at(l, i);

		if (expect_dict(item, key, d))
			settings_check_keys(d, item, keys);
	}
}

static void load_provider(struct config *c, const struct val *v,
			  struct diags *d)
{
	struct maintenance_config *m = &c->maintenance;
	const struct window_provider *p;
	const struct val *tv;
	const char *type, **keys = NULL;
	char **owned = NULL;
	size_t n = 0, alloc = 0, owned_nr = 0, owned_alloc = 0;

	if (!expect_dict(v, "a provider", d))
		return;
	tv = val_dict_get(v, "type");
	if (!(type = val_cstr(tv))) {
		diags_add(d, &v->pos, "provider without a 'type'");
		return;
	}
	if (!(p = window_provider_find(type))) {
		const char *names[16];
		const char *guess;
		size_t i;

		for (i = 0; window_providers[i] && i < 15; i++)
			names[i] = window_providers[i]->name;
		names[i] = NULL;
		if ((guess = did_you_mean(type, names)))
			diags_add(d, &tv->pos, "unknown provider type '%s' "
				  "(did you mean '%s'?)", type, guess);
		else
			diags_add(d, &tv->pos, "unknown provider type '%s'",
				  type);
		return;
	}
	for (size_t i = 0; provider_common_keys[i]; i++) {
		ALLOC_GROW(keys, n + 1, alloc);
		keys[n++] = provider_common_keys[i];
	}
	for (size_t i = 0; p->keys && p->keys[i]; i++) {
		ALLOC_GROW(keys, n + 1, alloc);
		keys[n++] = p->keys[i];
	}
	for (size_t i = 0; p->secrets && p->secrets[i]; i++) {
		const char *s = p->secrets[i];
		struct buf k = BUF_INIT;

		if (val_dict_get(v, s))
			diags_add(d, settings_key_pos(v, s), "'%s' is a secret: give "
				  "'%s_file' or '%s_env' instead of the value",
				  s, s, s);
		ALLOC_GROW(keys, n + 3, alloc);
		ALLOC_GROW(owned, owned_nr + 2, owned_alloc);
		buf_addf(&k, "%s_file", s);
		keys[n++] = owned[owned_nr++] = xstrdup(k.ptr);
		buf_reset(&k);
		buf_addf(&k, "%s_env", s);
		keys[n++] = owned[owned_nr++] = buf_detach(&k, NULL);
		keys[n++] = s; /* reported above, not as unknown */
	}
	ALLOC_GROW(keys, n + 1, alloc);
	keys[n] = NULL;
	settings_check_keys(d, v, keys);
	if (p->check)
		p->check(v, d);
	for (size_t i = 0; i < owned_nr; i++)
		free(owned[i]);
	free(owned);
	free(keys);
	m->providers = xrealloc(m->providers, (m->providers_nr + 1) *
				sizeof(*m->providers));
	m->providers[m->providers_nr].provider = p;
	m->providers[m->providers_nr].v = val_ref((struct val *)v);
	m->providers_nr++;
}

static void load_maintenance(struct config *c, const struct val *v,
			     struct diags *d)
{
	struct maintenance_config *m = &c->maintenance;
	const struct val *pol, *providers;

	if (!v || v->type == VAL_NULL || !expect_dict(v, "'maintenance'", d))
		return;
	settings_check_keys(d, v, maintenance_keys);
	get_duration(&m->duration, v, "duration", d);
	get_duration(&m->grace, v, "grace", d);
	get_duration(&m->extend, v, "extend", d);
	if ((pol = val_dict_get(v, "on_failure"))) {
		const char *s = val_cstr(pol);

		if (s && !strcmp(s, "abort"))
			m->on_failure = WINDOW_POLICY_ABORT;
		else if (s && !strcmp(s, "warn"))
			m->on_failure = WINDOW_POLICY_WARN;
		else
			diags_add(d, &pol->pos, "expected abort or warn for "
				  "'on_failure'");
	}
	if ((pol = val_dict_get(v, "unknown"))) {
		const char *s = val_cstr(pol);

		if (s && !strcmp(s, "include"))
			m->unknown = WINDOW_UNKNOWN_INCLUDE;
		else if (s && !strcmp(s, "ignore"))
			m->unknown = WINDOW_UNKNOWN_IGNORE;
		else
			diags_add(d, &pol->pos, "expected include or ignore for "
				  "'unknown', got '%s'", s ? s :
				  val_type_name(pol->type));
	}
	providers = get_list(v, "providers", d);
	for (size_t i = 0; i < val_len(providers); i++)
		load_provider(c, val_list_at(providers, i), d);
}

static void load_change_window(struct config *c, const struct val *v,
			       struct diags *d)
{
	const struct val *allow, *deny, *tz, *name;
	struct change_window cw = { 0 };

	if (!expect_dict(v, "a change window", d))
		return;
	settings_check_keys(d, v, change_window_keys);
	allow = val_dict_get(v, "allow");
	deny = val_dict_get(v, "deny");
	if (!!allow == !!deny) {
		diags_add(d, &v->pos, "a change window needs one of 'allow' "
			  "or 'deny' (a cron expression)");
		return;
	}
	cw.deny = !!deny;
	if (!val_cstr(deny ? deny : allow)) {
		diags_add(d, &(deny ? deny : allow)->pos, "expected a cron "
			  "expression");
		return;
	}
	cw.pos = (deny ? deny : allow)->pos;
	if (cron_parse(&cw.start, val_cstr(deny ? deny : allow)) < 0) {
		diags_add(d, &cw.pos, "%s", tend_error_last());
		tend_error_clear();
		return;
	}
	if (!val_dict_get(v, "duration")) {
		diags_add(d, &v->pos, "a change window needs a 'duration'");
		return;
	}
	get_duration(&cw.duration, v, "duration", d);
	if ((tz = val_dict_get(v, "timezone"))) {
		if (!val_cstr(tz) || !cron_tz_valid(val_cstr(tz))) {
			diags_add(d, &tz->pos, "unknown time zone '%s'",
				  val_cstr(tz) ? val_cstr(tz) : "");
			return;
		}
		cw.tz = xstrdup(val_cstr(tz));
	}
	if ((name = val_dict_get(v, "name")))
		cw.name = val_cstr(name) ? xstrdup(val_cstr(name)) : NULL;
	cw.expr = xstrdup(val_cstr(deny ? deny : allow));
	c->change_windows = xrealloc(c->change_windows,
				     (c->change_windows_nr + 1) *
				     sizeof(cw));
	c->change_windows[c->change_windows_nr++] = cw;
}

static void check_sections(struct config *c, struct diags *d)
{
	const struct val *root = c->root, *v;

	settings_check_keys(d, root, top_keys);
	check_list_of_dicts(root, "sources", source_keys, d);
	check_list_of_dicts(root, "schedules", schedule_keys, d);
	if ((v = val_dict_get(root, "ssh")) && expect_dict(v, "'ssh'", d))
		settings_check_keys(d, v, ssh_keys);
	if ((v = val_dict_get(root, "http")) && expect_dict(v, "'http'", d))
		settings_check_keys(d, v, http_keys);
	if ((v = val_dict_get(root, "daemon")) && expect_dict(v, "'daemon'",
							      d))
		settings_check_keys(d, v, daemon_keys);
	if ((v = val_dict_get(root, "state")) && expect_dict(v, "'state'", d)) {
		settings_check_keys(d, v, state_keys);
		if (val_cstr(val_dict_get(v, "path")))
			c->state_path = xstrdup(val_cstr(val_dict_get(v,
								     "path")));
	}
	load_maintenance(c, val_dict_get(root, "maintenance"), d);
	v = get_list(root, "change_windows", d);
	for (size_t i = 0; i < val_len(v); i++)
		load_change_window(c, val_list_at(v, i), d);
}

int config_load(struct config **out, const char *path, struct diags *d)
{
	struct config *c = xcalloc(1, sizeof(*c));
	size_t errors = d->errors;
	int error = 0;

	*out = NULL;
	if (path) {
		c->path = xstrdup(path);
		if ((error = yaml_load_file(&c->root, path, d)) < 0)
			goto fail;
	}
	if (!c->root || c->root->type == VAL_NULL) {
		val_unref(c->root);
		c->root = val_dict();
	}
	if (!expect_dict(c->root, "tend.yml", d)) {
		error = TEND_EPARSE;
		goto fail;
	}
	check_sections(c, d);
	if (d->errors > errors) {
		error = tend_error_set_code(TEND_EPARSE, "'%s' has errors",
					    path ? path : "tend.yml");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	config_free(c);
	return error;
}

/*
 * Whether the checkout's maintenance setting `key` would relax the
 * operator's: a shorter duration, grace or extend (extend 0 is its 15m
 * default; where the operator's duration is estimated from past runs, any
 * is taken, as a play's own `maintenance.duration` would be), `on_failure:
 * warn` over abort, `unknown: ignore` over include.
 */
static bool relaxes(const struct maintenance_config *b,
		    const struct maintenance_config *o, const char *key)
{
	if (!strcmp(key, "duration"))
		return b->duration && o->duration < b->duration;
	if (!strcmp(key, "grace"))
		return o->grace < b->grace;
	if (!strcmp(key, "extend"))
		return (o->extend ? o->extend : WINDOW_DEFAULT_EXTEND) <
		       (b->extend ? b->extend : WINDOW_DEFAULT_EXTEND);
	if (!strcmp(key, "on_failure"))
		return o->on_failure == WINDOW_POLICY_WARN &&
		       b->on_failure == WINDOW_POLICY_ABORT;
	return o->unknown == WINDOW_UNKNOWN_IGNORE &&
	       b->unknown == WINDOW_UNKNOWN_INCLUDE;
}

/* The checkout's settings that break its layering rules, named in d. */
static void check_layer(const struct config *base, const struct config *over,
			struct diags *d)
{
	static const char *const scalars[] = { "duration", "grace", "extend",
		"on_failure", "unknown", NULL };
	const struct val *bm = val_dict_get(base->root, "maintenance");
	const struct val *om = val_dict_get(over->root, "maintenance");
	const char *op = base->path ? base->path : "the defaults";
	bool allows = false;

	for (size_t i = 0; i < over->root->u.dict.nr; i++) {
		const char *k = over->root->u.dict.items[i].key;

		if (strcmp(k, "maintenance") && strcmp(k, "change_windows"))
			diags_add(d, &over->root->u.dict.items[i].pos, "'%s' "
				  "is the operator's to set (%s): a checkout's "
				  "tend.yml may only add change_windows and "
				  "maintenance", k, op);
	}
	for (size_t i = 0; val_is(om, VAL_DICT) && scalars[i]; i++) {
		const struct val *ov = val_dict_get(om, scalars[i]);
		const struct val *bv = val_is(bm, VAL_DICT) ?
			val_dict_get(bm, scalars[i]) : NULL;

		if (ov && relaxes(&base->maintenance, &over->maintenance,
				  scalars[i]))
			diags_add(d, &ov->pos, "maintenance.%s: '%s' would "
				  "relax the operator's %s'%s' (%s): a "
				  "checkout's tend.yml may only make it stricter",
				  scalars[i], val_cstr(ov) ? val_cstr(ov) : "",
				  bv ? "" : "default ",
				  bv && val_cstr(bv) ? val_cstr(bv) :
				  !strcmp(scalars[i], "on_failure") ? "abort" :
				  !strcmp(scalars[i], "unknown") ? "include" :
				  !strcmp(scalars[i], "extend") ? "15m" : "0",
				  op);
	}
	for (size_t i = 0; i < base->change_windows_nr; i++)
		allows |= !base->change_windows[i].deny;
	for (size_t i = 0; allows && i < over->change_windows_nr; i++)
		if (!over->change_windows[i].deny)
			diags_add(d, &over->change_windows[i].pos, "an allow "
				  "window would widen the operator's (%s): a "
				  "checkout's tend.yml may add deny windows",
				  op);
}

int config_layer(struct config *base, struct config *over, struct diags *d)
{
	const struct val *om = val_dict_get(over->root, "maintenance");
	struct maintenance_config *bm = &base->maintenance;
	struct maintenance_config *m = &over->maintenance;
	size_t errors = d->errors, n;

	check_layer(base, over, d);
	if (d->errors > errors)
		return tend_error_set_code(TEND_EPARSE, "'%s' has errors",
					   over->path ? over->path : "tend.yml");
	if (val_dict_get(om, "duration"))
		bm->duration = m->duration;
	if (val_dict_get(om, "grace"))
		bm->grace = m->grace;
	if (val_dict_get(om, "extend"))
		bm->extend = m->extend;
	if (val_dict_get(om, "on_failure"))
		bm->on_failure = m->on_failure;
	if (val_dict_get(om, "unknown"))
		bm->unknown = m->unknown;
	/* the providers and windows move: `over` keeps none */
	n = bm->providers_nr + m->providers_nr;
	bm->providers = xrealloc(bm->providers, (n ? n : 1) *
				 sizeof(*bm->providers));
	if (m->providers_nr)
		memcpy(bm->providers + bm->providers_nr, m->providers,
		       m->providers_nr * sizeof(*m->providers));
	bm->providers_nr = n;
	m->providers_nr = 0;
	n = base->change_windows_nr + over->change_windows_nr;
	base->change_windows = xrealloc(base->change_windows, (n ? n : 1) *
					sizeof(*base->change_windows));
	if (over->change_windows_nr)
		memcpy(base->change_windows + base->change_windows_nr,
		       over->change_windows,
		       over->change_windows_nr * sizeof(*over->change_windows));
	base->change_windows_nr = n;
	over->change_windows_nr = 0;
	return 0;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->maintenance.providers_nr; i++)
		val_unref(c->maintenance.providers[i].v);
	free(c->maintenance.providers);
	for (size_t i = 0; i < c->change_windows_nr; i++) {
		free(c->change_windows[i].name);
		free(c->change_windows[i].expr);
		free(c->change_windows[i].tz);
	}
	free(c->change_windows);
	val_unref(c->root);
	free(c->state_path);
	free(c->path);
	free(c);
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_has(const char *dir, const char *name)
{
	struct buf p = BUF_INIT;
	struct stat st;
	bool r;

	buf_addf(&p, "%s/%s", dir, name);
	r = lstat(p.ptr, &st) == 0;
	buf_release(&p);
	return r;
}

/*
 * `start`/tend.yml, else its parents' up to the root of the git work
 * tree `start` is in (the first with a .git, itself included); none
 * above `start` when it is in no work tree. Into `p` when found.
 */
static bool find_up(struct buf *p, const char *start)
{
	char *dir = realpath(start, NULL), *top = NULL;
	bool found = false;

	if (!dir)
		return false;
	/* the work tree's root, if there is one */
	for (char *d = xstrdup(dir); ; ) {
		char *slash = strrchr(d, '/');

		if (dir_has(*d ? d : "/", ".git")) {
			top = d;
			break;
		}
		if (!slash || !*d) {
			free(d);
			break;
		}
		*slash = '\0';
	}
	for (;;) {
		buf_reset(p);
		buf_addf(p, "%s/tend.yml", dir);
		if (file_exists(p->ptr)) {
			found = true;
			break;
		}
		if (!top || !strcmp(dir, top) || !strrchr(dir, '/'))
			break;
		*strrchr(dir, '/') = '\0';
		if (!*dir)
			break;
	}
	free(dir);
	free(top);
	return found;
}

int config_find(char **out, const char *cli_path, const char *start_dir,
		const char *playbook_dir)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	struct buf p = BUF_INIT;

	*out = NULL;
	if (cli_path) {
		if (!file_exists(cli_path))
			return tend_error_set_code(TEND_ENOTFOUND, "config file "
						   "'%s' does not exist",
						   cli_path);
		*out = xstrdup(cli_path);
		return 0;
	}
	if (start_dir && find_up(&p, start_dir))
		goto found;
	if (playbook_dir) {
		buf_reset(&p);
		buf_addf(&p, "%s/tend.yml", playbook_dir);
		if (file_exists(p.ptr))
			goto found;
	}
	buf_reset(&p);
	if (xdg && *xdg) {
		buf_addf(&p, "%s/tend/tend.yml", xdg);
	} else {
		const char *home = getenv("HOME");

		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : "/";
		}
		buf_addf(&p, "%s/.config/tend/tend.yml", home);
	}
	if (file_exists(p.ptr))
		goto found;
	buf_release(&p);
	return 0;
found:
	*out = buf_detach(&p, NULL);
	return 0;
}
