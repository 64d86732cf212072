#ifndef TEND_CONFIG_H
#define TEND_CONFIG_H

/*
 * The runner's configuration, tend.yml.
 *
 * Found at `-c PATH`, else `tend.yml` at the playbook repository's root,
 * else beside the playbook, else $XDG_CONFIG_HOME/tend/tend.yml (default
 * ~/.config/tend/tend.yml). No file at all is fine: every setting has a
 * default.
 *
 * Top-level keys: sources, schedules, maintenance, change_windows, ssh,
 * state, http. Unknown keys anywhere are errors reported as
 * "file:line:col: unknown key 'x' (did you mean 'y'?)", every one of them.
 * This file parses `maintenance`, `change_windows` and `state`; the other
 * sections are checked for unknown keys and kept as written in `root` for
 * their subsystems (their key lists are at the top of config.c).
 *
 * Secrets never appear inline: a secret setting X is given as X_file (a
 * path whose content, trimmed, is the secret) or X_env (the name of an
 * environment variable). Writing X itself is an error.
 */

#include "tend/cron.h"
#include "tend/val.h"

struct window_provider;

enum window_policy {
	WINDOW_POLICY_ABORT, /* a provider that fails to open stops the run */
	WINDOW_POLICY_WARN,  /* it is reported and the run goes on */
};

/* One entry of maintenance.providers. */
struct provider_config {
	const struct window_provider *provider; /* its vtable (window.h) */
	struct val *v;        /* its settings as written: a dict, no secrets */
};

struct maintenance_config {
	long long duration;   /* seconds; 0: estimate from past runs */
	long long grace;      /* keep silencing this long after the run */
	long long extend;     /* window_extend: extend by this much when a run
				 nears the end of its window (0: 15m) */
	enum window_policy on_failure;
	struct provider_config *providers;
	size_t providers_nr;
};

/*
 * One change window: from each occurrence of `start` (cron, in time zone
 * `tz`) for `duration` seconds, applying is allowed (`deny` false) or
 * refused (`deny` true). Written as
 *
 *   change_windows:
 *     - name: weekend freeze
 *       deny: "0 16 * * fri"     # or allow: "0 8 * * mon-fri"
 *       duration: 64h
 *       timezone: Europe/Berlin   # default UTC
 */
struct change_window {
	char *name;           /* or NULL */
	char *expr;           /* the cron expression as written */
	struct cron start;
	long long duration;
	char *tz;             /* or NULL: UTC */
	bool deny;
	struct srcpos pos;
};

struct config {
	char *path;           /* the file loaded, or NULL (defaults) */
	struct val *root;     /* the whole document (a dict), never NULL */
	struct maintenance_config maintenance;
	struct change_window *change_windows;
	size_t change_windows_nr;
	char *state_path;     /* state.path, or NULL: the default */
};

/*
 * Find tend.yml as described above: `cli_path` (-c; must exist), else
 * `repo_root`/tend.yml, else `playbook_dir`/tend.yml (either may be NULL),
 * else the XDG one. *out is the path (caller frees), or NULL when there is
 * none. Returns 0, or TEND_ENOTFOUND with the error set when `cli_path`
 * does not exist.
 */
int config_find(char **out, const char *cli_path, const char *repo_root,
		const char *playbook_dir);

/*
 * Load and check `path` (NULL: an empty config, all defaults). Every
 * problem is added to `d`, and then TEND_EPARSE is returned; a missing
 * file is TEND_ENOTFOUND with the error set. *out is freed with
 * config_free.
 */
int config_load(struct config **out, const char *path, struct diags *d);

void config_free(struct config *c);

/*
 * "90s", "30m", "2h", "1h30m", "3d", or a plain number of seconds, into
 * seconds. Returns 0 or -1 with the error set.
 */
int config_parse_duration(long long *out, const char *s);

/* Format seconds as "1h30m", "45s", "2d4h" into out. */
void config_format_duration(struct buf *out, long long seconds);

/*
 * Read secret setting `name` of the dict `section` from name_file or
 * name_env. *out is a new string flagged VAL_F_SECRET (val_unref wipes it)
 * with surrounding whitespace trimmed. Returns 0, TEND_ENOTFOUND (no
 * error set) when neither is given, or -1 with the error set (file
 * unreadable, variable unset or empty).
 */
int config_secret(struct val **out, const struct val *section,
		  const char *name);

/*
 * Check that the keys of dict `v` (at `what`, e.g. "maintenance") are in
 * `keys` (NULL-terminated), adding "unknown key" diagnostics to `d`.
 * Exposed for the providers' and playbooks' sub-settings.
 */
void config_check_keys(struct diags *d, const struct val *v,
		       const char *const *keys);

#endif
