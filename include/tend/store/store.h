#ifndef TEND_STORE_H
#define TEND_STORE_H

/*
 * The store: what tend remembers between runs, behind one interface.
 *
 *  - runs: a row per run, written when the run starts and finished when
 *    it ends, and a row per host per task (per loop item) written as
 *    results come in, so a killed run keeps what it did. A run whose
 *    process died while `running` is shown as `interrupted` by the next
 *    invocation (store_reap);
 *  - maintenance windows and their providers (windows/window.h), written
 *    before any provider is called so that a crash can be cleaned up;
 *  - locks: "never two applies on one host at once" (engine/hostlock.h),
 *    across processes;
 *  - resources: what provisioning created, with an expiry.
 *
 * Saved plan files are not in the store: they are files (store/plan.h).
 *
 * Never stored: file contents, diffs (only "+N -M lines"), secret values.
 *
 * store_open() picks the backend from the path: a file path is SQLite
 * (runner/store/sqlite*.c); a postgres:// URL is refused as not
 * supported yet. Callers use the store_* functions below and never the
 * ops directly; the ops are for backends.
 */

#include "tend/data/result.h"
#include "tend/data/val.h"

struct store;

/* What a run record starts with. Strings are copied. */
struct run_info {
	const char *playbook;
	const char *mode;      /* "plan" or "apply" */
	const char *commit;    /* source commit, or NULL */
	const char *limit;     /* --limit, or NULL */
	const char *note;      /* e.g. why a change window was overridden */
	const char *trigger;   /* what started it ("schedule NAME"), or NULL */
};

/*
 * A backend. One const table per backend, with designated initializers;
 * a NULL op means the backend cannot do it, and the store_* function
 * then fails with "the NAME store cannot ...". Each op is documented at
 * its store_* function below; `s` is the backend's own instance (it
 * embeds struct store as its first member).
 *
 * What every backend guarantees:
 *  - every write is one transaction: a write op either happened whole or
 *    not at all (store_window_begin writes the window and all its
 *    providers together; a lock is tested and taken together), and a
 *    schema migration step is one transaction;
 *  - readers never block on a writer and never see half a write (SQLite
 *    in WAL mode; PostgreSQL's MVCC), so that `tend history` works while
 *    a run records; writers from several processes wait for each other
 *    for a while (SQLite: a 5 s busy timeout) before failing;
 *  - errors: 0 on success, <0 with tend_error_last() set ("state DB:
 *    what: why"). TEND_ENOTFOUND, where documented, means the row does
 *    not exist (the message says which); nothing else has its own code.
 *    A failed op leaves the store usable;
 *  - the schema is migrated to the backend's newest version when opened,
 *    and a store made by a newer tend (a schema version this tend does
 *    not know) is refused, never written;
 *  - `struct val` results are new references owned by the caller.
 */
struct store_ops {
	const char *name; /* "sqlite" */

	void (*close)(struct store *s);

	int (*reap)(struct store *s);
	int (*run_begin)(struct store *s, long long *id,
			 const struct run_info *info);
	int (*run_event)(struct store *s, long long id,
			 const struct run_event *ev);
	int (*run_finish)(struct store *s, long long id, const char *status,
			  const struct run_result *r);
	int (*history)(struct val **out, struct store *s, int limit);
	int (*show)(struct val **out, struct store *s, long long id);
	int (*run_durations)(struct val **out, struct store *s,
			     const char *playbook, int limit);

	int (*window_begin)(struct store *s, long long *id,
			    const struct val *w);
	int (*window_provider)(struct store *s, long long id, size_t seq,
			       const char *status, const char *external_id,
			       const char *error_msg);
	int (*window_update)(struct store *s, long long id, long long ends_at,
			     const char *status);
	int (*window_get)(struct val **out, struct store *s, long long id);
	int (*window_ids)(struct val **out, struct store *s, bool open_only);
	int (*window_orphans)(struct val **out, struct store *s,
			      long long now);

	int (*lock_acquire)(struct store *s, const char *name,
			    const char *owner, long long ttl_seconds,
			    bool *got, struct val **broken);
	int (*lock_release)(struct store *s, const char *name,
			    const char *owner);
	int (*lock_holder)(struct val **out, struct store *s,
			   const char *name);

	int (*resource_put)(struct store *s, const char *kind,
			    const char *name, const struct val *attributes,
			    long long expires_at);
	int (*resource_get)(struct val **out, struct store *s,
			    const char *kind, const char *name);
	int (*resource_list)(struct val **out, struct store *s,
			     const char *kind);
	int (*resource_delete)(struct store *s, const char *kind,
			       const char *name);

	int (*drift_add)(struct store *s, const char *host,
			 const char *schedule, long long run_id,
			 const struct val *tasks);
	int (*drift_list)(struct val **out, struct store *s, int limit);
};

/* The base of every backend's instance. */
struct store {
	const struct store_ops *ops;
};

/*
 * The default path: $XDG_STATE_HOME/tend/tend.db, else
 * ~/.local/state/tend/tend.db. Caller frees.
 */
char *store_default_path(void);

/*
 * Open the store at `path` (NULL: the default path) and migrate its
 * schema. A file path opens (creating it, 0600, and its directories,
 * 0700, if needed) an SQLite DB; "postgres://" and "postgresql://" URLs
 * fail with "not supported yet". A DB whose schema is newer than this
 * tend knows fails and is left as it was. Returns 0 or -1 with the
 * error set; *out is the caller's, for store_close().
 */
int store_open(struct store **out, const char *path);

/* Close and free. NULL-safe. */
void store_close(struct store *s);

/* Record the start of a run (status running, this pid); *id is its id. */
int store_run_begin(struct store *s, long long *id,
		    const struct run_info *info);

/*
 * Record one result of a run: the event's status, position and error
 * message; of its diff only "+N -M lines"; of a failure its detail_json
 * (rc, stdout and stderr, trimmed and scrubbed: data/result.h).
 */
int store_run_event(struct store *s, long long id, const struct run_event *ev);

/*
 * Finish a run: status ("ok", "failed", "interrupted", "error"), end
 * time and the counts from `r` (NULL: zeros).
 */
int store_run_finish(struct store *s, long long id, const char *status,
		     const struct run_result *r);

/*
 * Mark runs left `running` by a process of this machine that is gone as
 * `interrupted` (runs of other machines are left alone).
 */
int store_reap(struct store *s);

/*
 * The last `limit` runs, newest first, as a list of dicts (id, started,
 * finished, user, playbook, mode, status, hosts, ok, changed, failed,
 * unreachable, skipped, unknown, commit, limit, pid, note, trigger). *out is a
 * new reference.
 */
int store_history(struct val **out, struct store *s, int limit);

/*
 * One run with its results (a dict; "results" a list of dicts with host,
 * play, task, module, file, line, item, handler, status, changed,
 * ignored, diff, duration, error, rc, stdout, stderr; the last three a
 * failure's, as result_detail_json keeps them, else null).
 * TEND_ENOTFOUND if there is no such run.
 */
int store_show(struct val **out, struct store *s, long long id);

/*
 * Durations in seconds (floats), newest first, of the last `limit`
 * successful applies of `playbook`. *out is a new list.
 */
int store_run_durations(struct val **out, struct store *s,
			const char *playbook, int limit);

/*
 * Maintenance windows (used by windows/; see window.h).
 *
 * A window dict has run_id (int, or null for a manual window), starts_at
 * and ends_at (epoch seconds), grace (seconds), hosts (list of strings),
 * playbook, commit, user, reason, plan (strings or null) and providers
 * (a list of dicts: type, config: the provider's settings, which hold no
 * secret values). store_window_begin records it `open`, with every
 * provider `opening`, this process's pid and host, in one transaction.
 */
int store_window_begin(struct store *s, long long *id, const struct val *w);

/*
 * Set provider `seq` of window `id` to `status` ("open", "failed",
 * "closed"); a non-NULL external_id or error_msg is recorded too.
 */
int store_window_provider(struct store *s, long long id, size_t seq,
			  const char *status, const char *external_id,
			  const char *error_msg);

/*
 * Set the end (ends_at > 0) and/or the status (non-NULL: "open",
 * "closed", "expired", "failed"; the last three record when).
 */
int store_window_update(struct store *s, long long id, long long ends_at,
			const char *status);

/*
 * Window `id` as a dict: the keys above plus id, created, pid, controller,
 * status, closed; each provider also has seq, external_id, status, error.
 * TEND_ENOTFOUND if there is none.
 */
int store_window_get(struct val **out, struct store *s, long long id);

/* Ids of the windows, newest first: all, or only open ones. */
int store_window_ids(struct val **out, struct store *s, bool open_only);

/*
 * Ids of open windows of runs that are gone (not `running`, or their
 * process is dead); marks open manual windows that ended before `now`
 * `expired` on the way. *out is a new list.
 */
int store_window_orphans(struct val **out, struct store *s, long long now);

/*
 * Locks, by name (e.g. "host:web1"), across processes and machines
 * sharing the store.
 *
 * store_lock_acquire takes lock `name` for `owner` (who holds it, e.g.
 * "run 42" or "daemon"; shown to whoever is refused) for `ttl_seconds`
 * (<= 0: until released). It never waits: *got is true if the lock is
 * now held by this process for `owner`, false if someone else holds it
 * (waiting, if wanted, is the caller's loop). A lock can be taken from
 * its holder when it expired, or when it was taken on this machine by a
 * process that is gone; a lock of a live process of another machine only
 * frees by expiring. Such a take-over is not silent: `broken` (may be
 * NULL) gets the holder that lost the lock, a dict {owner, pid,
 * controller, acquired, why} with `why` "its process is gone" or "it
 * expired" (the caller's), and NULL when the lock was free or already
 * this owner's. Acquiring a lock this process already holds for `owner`
 * renews its expiry. Returns 0 either way, <0 only on an error (then
 * *got is false and *broken NULL).
 */
int store_lock_acquire(struct store *s, const char *name, const char *owner,
		       long long ttl_seconds, bool *got, struct val **broken);

/*
 * Release lock `name` if `owner` holds it. TEND_ENOTFOUND (error set)
 * if it does not (never taken, released, or taken over after expiring).
 */
int store_lock_release(struct store *s, const char *name, const char *owner);

/*
 * Who holds lock `name`, for the message of whoever is refused: *out gets
 * a dict {owner, pid, controller, acquired} (the caller's), or NULL when
 * the lock is free (not taken, expired, or its process gone).
 */
int store_lock_holder(struct val **out, struct store *s, const char *name);

/*
 * Resources that provisioning created, by kind ("instance", "bucket")
 * and name (unique within its kind).
 *
 * store_resource_put records resource `kind`/`name` with `attributes`
 * (a dict of plain values, stored as JSON; must not hold secret values)
 * and `expires_at` (epoch seconds when a later run should destroy it;
 * 0: never), replacing the record if there is one (its `created` is
 * kept).
 */
int store_resource_put(struct store *s, const char *kind, const char *name,
		       const struct val *attributes, long long expires_at);

/*
 * Resource `kind`/`name` as a dict: kind, name, attributes (as put),
 * created, updated (ISO 8601 UTC), expires_at (int, or null for never).
 * TEND_ENOTFOUND if there is none.
 */
int store_resource_get(struct val **out, struct store *s, const char *kind,
		       const char *name);

/*
 * The resources of `kind` (NULL: of every kind), as dicts as above,
 * sorted by kind and name. *out is a new list.
 */
int store_resource_list(struct val **out, struct store *s, const char *kind);

/* Forget resource `kind`/`name`. TEND_ENOTFOUND if there is none. */
int store_resource_delete(struct store *s, const char *kind,
			  const char *name);

/*
 * Drift: what a scheduled plan (tend daemon, mode: plan) found would
 * change. store_drift_add records that `host` drifted, found by the plan
 * run `run_id` of schedule `schedule` (NULL: none), with `tasks` (a list
 * of {task, file, line, item}, as the plan's JSON drift_tasks).
 * store_drift_list gives the newest `limit` records (<= 0: all), newest
 * first, as dicts: id, host, schedule, run_id, detected (ISO 8601 UTC),
 * tasks. *out is a new list.
 */
int store_drift_add(struct store *s, const char *host, const char *schedule,
		    long long run_id, const struct val *tasks);
int store_drift_list(struct val **out, struct store *s, int limit);

/*
 * Backends, for store_open() only (runner/store/<backend>*.c).
 *
 * store_sqlite_open opens the SQLite DB at file `path` as store_open
 * says.
 */
int store_sqlite_open(struct store **out, const char *path);

#endif
