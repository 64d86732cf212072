#ifndef TEND_DAEMON_DCONFIG_H
#define TEND_DAEMON_DCONFIG_H

/*
 * The daemon's part of tend.yml: `http`, `daemon`, `sources` and
 * `schedules` (docs/config.md). engine/config.c loads the file and checks
 * every section's keys; this reads the daemon's sections into structs and
 * checks their values, adding every problem to the caller's diags with
 * its file:line:col, so that `tend daemon` refuses a bad file naming all
 * of its errors and a reload keeps the old config.
 */

#include "tend/engine/config.h"
#include "tend/playbook/timing.h"

#include <stdbool.h>

/* A git source the daemon polls: the CLI's --repo options, named. */
struct dsource {
	char *name;
	char *url;
	char *ref;                /* default "main" */
	long long interval;       /* seconds between polls (0: no polling) */
	long long debounce;       /* seconds a new commit settles before runs */
	long long fetch_timeout;  /* seconds (0: the CLI's default) */
	char *deploy_key_file, *known_hosts, *token_env;
	/* trust: "none" (the branch is trusted) or "required" (signed) */
	bool verify_signatures;
	char *allowed_signers;
	char *require_ancestor_of;
	char *webhook_secret_file; /* POST /hooks/git's secret, or NULL */
};

enum dmode { DMODE_PLAN, DMODE_APPLY };
enum doverlap { DOVERLAP_SKIP, DOVERLAP_QUEUE };
/* What a plan schedule does when hosts drifted. */
enum ddrift { DDRIFT_RECORD, DDRIFT_NOTIFY, DDRIFT_APPLY };

struct dschedule {
	char *name;
	const struct dsource *source; /* NULL: local paths */
	char *playbook, *inventory;   /* relative to the checkout, or to
					 tend.yml's directory without a source */
	enum dmode mode;
	struct timing t;              /* cron or every; neither: none */
	bool on_commit;               /* run on each new commit of its source */
	char *limit, *tags, *skip_tags;
	struct val *extra_vars;       /* a dict (as -e), or NULL */
	enum doverlap overlap;
	enum ddrift drift;
	long long lock_timeout;       /* seconds an apply waits for a host */
	/*
	 * A play's own `schedule:` makes a schedule of its own, named
	 * "PARENT.playN", that runs only play N (--play N) with everything
	 * else of its parent, the tend.yml schedule; for the parent, 0.
	 */
	int play;
	char *parent;
	struct srcpos pos;            /* its tend.yml entry (a play's: the
					 play's schedule key) */
	bool plays_unread;            /* its playbook could not be read for
					 its plays' schedules (a warning) */
	bool retimed;                 /* read anew with another timing than
					 the schedule of its name had: the
					 daemon restarts its timer */
};

struct dconfig {
	struct config *cfg;           /* the whole tend.yml (owned) */
	char *config_path;            /* absolute, or NULL */
	char *base_dir;               /* tend.yml's directory */
	char *listen_host;            /* default 127.0.0.1 */
	int listen_port;              /* default 8470; 0: a free port */
	bool listen_loopback;
	char *token_file;             /* bearer token for mutating calls */
	char *tls_cert, *tls_key;
	int max_concurrent;           /* runs at once (default 4) */
	struct dsource *sources;
	size_t sources_nr;
	struct dschedule *schedules;
	size_t schedules_nr;
};

/*
 * Load `path` (tend.yml; NULL: none, an empty daemon) with
 * config_load and read the daemon's sections. Every problem goes to `d`
 * and the result is TEND_EPARSE; *out is freed with dconfig_free.
 */
int dconfig_load(struct dconfig **out, const char *path, struct diags *d);

void dconfig_free(struct dconfig *c);

const struct dschedule *dconfig_schedule(const struct dconfig *c,
					 const char *name);

/*
 * The schedules of the plays' own `schedule:` keys, for the tend.yml
 * schedules that follow source `source` (NULL: those with local paths),
 * read from their playbooks beneath `dir` (NULL: tend.yml's directory):
 * the old ones of those parents are replaced. A playbook that cannot be
 * read keeps its parent's old play schedules; each problem goes to `d`.
 * Returns how many play schedules those parents have now.
 */
size_t dconfig_play_schedules(struct dconfig *c, const char *source,
			      const char *dir, struct diags *d);

#endif
