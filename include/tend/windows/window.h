#ifndef TEND_WINDOW_H
#define TEND_WINDOW_H

/*
 * Maintenance windows: before a run changes anything, silence alerts for
 * and announce the change on exactly the hosts it changes; after the run,
 * close the window and report what is still firing.
 *
 * Apply calls, in this order:
 *
 *	window_reap(store)                  clean up after crashed runs
 *	change_window_check(now, cws, nr, ...)  refuse a run inside a freeze
 *	window_open(&w, &opts)              after the plan, before any change
 *	window_tick(w, now)                 now and then (extends long runs)
 *	window_progress(w, "batch 2/5")     optional, for announcements
 *	window_close(&firing, w, &result)   when the run ends, however it ends
 *	window_free(w)
 *
 * Crash safety: a window is written to the state DB before any provider
 * is called, and each provider's external id right after it answers, so
 * window_reap() in a later process can close what a dead run left open.
 * Every window has an end time, so even unreaped ones expire by
 * themselves.
 */

#include <time.h>

#include "tend/util/cron.h"
#include "tend/data/val.h"


enum window_policy {
	WINDOW_POLICY_ABORT, /* a provider that fails to open stops the run */
	WINDOW_POLICY_WARN,  /* it is reported and the run goes on */
};

/*
 * Does a host whose plan has `unknown` tasks (and no change, failed
 * check or unreachable) get a window? tend.yml's `maintenance.unknown`.
 */
enum window_unknown {
	WINDOW_UNKNOWN_INCLUDE, /* yes: the task will run there (default) */
	WINDOW_UNKNOWN_IGNORE,  /* no: only a planned change counts */
};

/* One entry of maintenance.providers. */
struct provider_config {
	const struct window_provider *provider; /* its vtable (window.h) */
	struct val *v;        /* its settings as written: a dict, no secrets */
};

/* How much window_extend adds when the settings do not say. */
#define WINDOW_DEFAULT_EXTEND (15 * 60)

struct maintenance_config {
	long long duration;   /* seconds; 0: estimate from past runs */
	long long grace;      /* keep silencing this long after the run */
	long long extend;     /* window_extend: extend by this much when a run
				 nears the end of its window (0: 15m) */
	enum window_policy on_failure;
	enum window_unknown unknown;
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

struct store;
struct window;
struct window_announcement; /* windows/announce.h */

enum {
	/*
	 * It posts announcements: left out of a window by a play's
	 * `maintenance: {announce: false}`. Its standalone announcements
	 * (the `announce` op) are turned off by its own `announce: false`.
	 */
	WINDOW_ANNOUNCE = 1 << 0,
};

/*
 * A provider (runner/windows/<name>.c): a const table of operations on
 * the provider's settings `cfg` (the dict from tend.yml, already checked
 * against `keys` and `secrets`) and the window `w`. None keeps state
 * between calls: what it needs later lives in the external id. A NULL op
 * is unsupported; callers test for it.
 */
struct window_provider {
	const char *name;            /* the `type:` in tend.yml */
	const char *const *keys;     /* settings it takes besides type,
					timeout and retries (NULL-terminated) */
	const char *const *secrets;  /* secret settings, given as X_file or
					X_env (NULL-terminated, or NULL) */
	unsigned int flags;          /* WINDOW_ANNOUNCE */

	/* Further checks of cfg (required keys, syntax); add to d. */
	void (*check)(const struct val *cfg, struct diags *d);

	/*
	 * A play's `maintenance:` may carry settings for this provider
	 * (alertmanager's `matchers`). check_play checks them (adding to d);
	 * play_settings returns the settings for one window: cfg with the
	 * play's merged in (a new reference). NULL ops: the play adds
	 * nothing for this provider.
	 */
	void (*check_play)(const struct val *play, struct diags *d);
	struct val *(*play_settings)(const struct val *cfg,
				     const struct val *play);

	/*
	 * Open the window from now until w->ends_at. *out is its external
	 * id (caller frees; NULL if it has none). On failure, whatever it
	 * created is undone before it returns.
	 */
	int (*open)(char **out, const struct val *cfg, const struct window *w);

	/*
	 * Move the end to w->ends_at. *out is the id to keep from now on
	 * (caller frees; may differ from `id`).
	 */
	int (*extend)(char **out, const struct val *cfg,
		      const struct window *w, const char *id);

	/* Tell watchers how the run is going ("batch 2/5"). */
	int (*progress)(const struct val *cfg, const struct window *w,
			const char *id, const char *status);

	/*
	 * End the window after w->grace seconds (0: now) and report
	 * w->result. *firing (if the provider knows) is a new list of the
	 * alerts still firing on w's hosts: dicts of their labels.
	 */
	int (*close)(struct val **firing, const struct val *cfg,
		     const struct window *w, const char *id);

	/*
	 * Post one standalone message, with no window (announce.h: drift
	 * found by a scheduled plan), in the provider's own format, with
	 * cfg's timeout and retries. Called by window_announce() only, at
	 * any time, with or without windows open. NULL: the provider does
	 * not announce (Alertmanager, PagerDuty).
	 */
	int (*announce)(const struct val *cfg,
			const struct window_announcement *a);
};

/* How the run went, for the closing announcements. */
struct window_result {
	const char *status;    /* "ok", "failed", "interrupted", "error" */
	unsigned int hosts, ok, changed, failed, unreachable;
	double seconds;
};

/* One provider of an open window. */
struct window_slot {
	const struct window_provider *provider;
	struct val *cfg;       /* its settings (a reference) */
	char *id;              /* external id, or NULL */
	char *error;           /* why it failed, or NULL */
	bool open;
};

/*
 * A window. Read-only to callers and providers except through the
 * functions below.
 */
struct window {
	long long id;          /* in the state DB */
	long long run_id;      /* 0: a manual window */
	char **hosts;
	size_t hosts_nr;
	time_t starts_at, ends_at;
	long long grace;
	long long extend;      /* window_tick extends by this much */
	char *playbook, *commit, *user, *reason, *plan; /* each may be NULL */
	/*
	 * The plan's tasks on the window's hosts, at most
	 * WINDOW_CHANGES_SHOWN (a list of dicts as in window_opts.changes),
	 * or NULL; changes_more: how many more there were.
	 */
	struct val *changes;
	size_t changes_more;
	const struct window_result *result; /* during close only */
	struct window_slot *slots;
	size_t slots_nr;
	struct store *store;   /* borrowed */
};

/* How many of the plan's tasks an announcement lists ("and N more"). */
#define WINDOW_CHANGES_SHOWN 20

struct window_opts {
	/* providers and settings (required): tend.yml's maintenance: */
	const struct maintenance_config *settings;
	struct store *store;          /* where it is recorded (required) */
	long long run_id;             /* 0: manual */
	const char *const *hosts;     /* the hosts the plan changes */
	size_t hosts_nr;
	const char *playbook, *commit, *user, *reason;
	const char *plan;             /* summary: "5 changes on 2 hosts" */
	/*
	 * The plan's tasks that make the window, host by host, or NULL: a
	 * list of dicts {host, task, status, delegate (only when the task
	 * runs on another host)}, status one of change, unknown, failed (the
	 * check failed) or unreachable. The window keeps those of its own
	 * hosts (the first WINDOW_CHANGES_SHOWN of them) for the
	 * announcements.
	 */
	const struct val *changes;
	long long duration;           /* seconds; 0: as below */
	const struct val *maintenance; /* the play's `maintenance:`, or NULL */
};

/*
 * Open a window for opts->hosts on every configured provider.
 *
 * The duration is opts->duration, else the play's maintenance.duration,
 * else tend.yml's, else window_estimate(), else 30m. The play's
 * `maintenance:` may also set grace, add alertmanager `matchers`, turn
 * off announcements (`announce: false`) or skip the window (`skip: true`:
 * *out is NULL).
 *
 * With no hosts or no providers *out is NULL and nothing is recorded.
 * When a provider fails under on_failure: abort, every provider opened so
 * far is closed again, the window is recorded closed, and -1 returns with
 * "cannot open maintenance window: PROVIDER: why". Under warn, 0 returns
 * and the failed slots carry `error` (window_failures() lists them).
 * A play `maintenance:` with unknown keys is TEND_EPARSE.
 */
int window_open(struct window **out, const struct window_opts *opts);

/*
 * The providers that failed to open, as "PROVIDER: why" lines (a new
 * list, maybe empty).
 */
struct val *window_failures(const struct window *w);

/*
 * Call now and then during a run: when `now` is within a fifth of the
 * window's length (at least 2 minutes) of its end, extend it by
 * w->extend. NULL-safe. Returns 0 or -1 (the window keeps its old end on
 * the providers that failed; the run should go on).
 */
int window_tick(struct window *w, time_t now);

/* Move the end to now + `seconds` on every open provider. */
int window_extend(struct window *w, long long seconds);

/* Tell the announcement providers how the run is going. NULL-safe. */
void window_progress(struct window *w, const char *status);

/*
 * Close every open provider (after the grace period, which the
 * providers apply by ending their windows then rather than now), report
 * `res` (NULL: "interrupted") and mark the window closed. *firing (if not
 * NULL) is a new list of the alerts still firing on the hosts (dicts of
 * labels). Every provider is tried; returns -1 with the first error if
 * any failed, and then the window stays open in the store, so that the
 * next window_reap closes it (or marks it expired once its end passed).
 * NULL-safe.
 */
int window_close(struct val **firing, struct window *w,
		 const struct window_result *res);

void window_free(struct window *w);

/*
 * Close the windows of runs that are no longer alive (a run not
 * `running`, or whose process is gone), using the provider settings
 * recorded with each window; mark windows past their end as expired
 * (manual ones, and those whose close failed: the provider ended them). *reaped (may be NULL) gets how many were closed. Every window
 * is tried; returns -1 with the first error if any failed.
 */
int window_reap(struct store *s, size_t *reaped);

/*
 * The windows in the state DB, newest first: open ones only, or all with
 * `all`. Dicts: id, run_id, status, starts_at, ends_at (epoch seconds),
 * hosts, playbook, commit, user, reason, providers (type, external_id,
 * status, error). *out is a new list.
 */
int window_list(struct val **out, struct store *s, bool all);

/*
 * Close window `id` (`tend window close ID`), as window_close with an
 * "ok" result. TEND_ENOTFOUND if there is no such open window.
 */
int window_close_id(struct val **firing, struct store *s, long long id);

/*
 * Estimate a run's duration from past successful applies of `playbook`
 * (at least 3 in the last 20): p95 x 1.5 + 2m. TEND_ENOTFOUND (no error
 * set) when there are too few.
 */
int window_estimate(long long *out, struct store *s, const char *playbook);

/*
 * Change windows: may a run start at `now`? Applying is allowed when
 * `now` is inside an allow window (or none is configured) and inside no
 * deny window. When it is not, *next_open is the first time it will be
 * (0 if none within 8 years) and *reason (caller frees) says why, e.g.
 * "inside deny window 'weekend freeze' (0 16 * * fri for 64h, Europe/
 * Berlin) until 2024-04-01 08:00 CEST". When allowed, *next_open = now
 * and *reason = NULL. Returns 0 or -1 (a bad time zone).
 */
int change_window_check(time_t now, const struct change_window *cws,
			size_t cws_nr, bool *allowed, time_t *next_open,
			char **reason);

#endif
