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

#include "tend/data/val.h"
#include "tend/windows/window.h"

struct config {
	char *path;           /* the file loaded, or NULL (defaults) */
	struct val *root;     /* the whole document (a dict), never NULL */
	struct maintenance_config maintenance;
	struct change_window *change_windows;
	size_t change_windows_nr;
	char *state_path;     /* state.path, or NULL: the default */
};

/*
 * Find tend.yml: `cli_path` (--config; must exist), else in `start_dir`
 * (the current directory) and its parents up to the root of the git work
 * tree it is in (none above it outside one), else `playbook_dir`/tend.yml
 * (either may be NULL), else the XDG one. *out is the path (caller
 * frees), or NULL when there is none. Returns 0, or TEND_ENOTFOUND with
 * the error set when `cli_path` does not exist.
 */
int config_find(char **out, const char *cli_path, const char *start_dir,
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
 * Layer `over`, the tend.yml of a trusted checkout (loaded), on `base`,
 * the operator's: it adds change windows and maintenance providers, and
 * sets maintenance's duration, grace, extend, on_failure and unknown
 * where the operator's file does not. Anything else it sets (ssh, state,
 * the daemon's sections), a maintenance setting the operator's sets, or
 * an allow window when the operator has some (it would widen them) is
 * an error in d at its line: TEND_EPARSE, and base is unchanged.
 * Afterwards `over` holds no windows or providers; free it as before.
 */
int config_layer(struct config *base, struct config *over, struct diags *d);


/*
 * The sections of tend.yml and the keys each accepts, for its manual
 * page: a table ending in a row whose name is NULL, static, never freed.
 * `keys` is the list the checker uses (NULL-terminated).
 */
struct config_section {
	const char *name;
	const char *const *keys;
	const char *what;
};
const struct config_section *config_sections(void);

#endif
