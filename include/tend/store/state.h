#ifndef TEND_STATE_H
#define TEND_STATE_H

/*
 * The state DB (SQLite, WAL): a row per run, written when the run starts
 * and finished when it ends, and a row per host per task (per loop item)
 * written as results come in, so a killed run keeps what it did. A run
 * whose process died while `running` is shown as `interrupted` by the
 * next invocation (state_reap).
 *
 * Never stored: file contents, diffs (only "+N -M lines"), secret values.
 */

#include "tend/data/result.h"
#include "tend/data/val.h"

struct state;

/* What a run record starts with. Strings are copied. */
struct run_info {
	const char *playbook;
	const char *mode;      /* "plan" or "apply" */
	const char *commit;    /* source commit, or NULL */
	const char *limit;     /* --limit, or NULL */
	const char *note;      /* e.g. why a change window was overridden */
};

/*
 * The default path: $XDG_STATE_HOME/tend/tend.db, else
 * ~/.local/state/tend/tend.db. Caller frees.
 */
char *state_default_path(void);

/*
 * Open (creating it and its directory if needed) the DB at `path`
 * (NULL: the default path) and migrate its schema. Returns 0 or -1 with
 * the error set.
 */
int state_open(struct state **out, const char *path);
void state_close(struct state *s);

/* Record the start of a run (status running, this pid); *id is its id. */
int state_run_begin(struct state *s, long long *id, const struct run_info *info);

/* Record one result of a run. */
int state_run_event(struct state *s, long long id, const struct run_event *ev);

/*
 * Finish a run: status ("ok", "failed", "interrupted", "error"), end
 * time and the counts from `r`.
 */
int state_run_finish(struct state *s, long long id, const char *status,
		     const struct run_result *r);

/* Mark runs left `running` by a process that is gone as `interrupted`. */
int state_reap(struct state *s);

/*
 * The last `limit` runs, newest first, as a list of dicts (id, started,
 * finished, user, playbook, mode, status, hosts, ok, changed, failed,
 * unreachable, skipped, unknown, commit). *out is a new reference.
 */
int state_history(struct val **out, struct state *s, int limit);

/*
 * One run with its results (a dict; "results" a list of dicts with host,
 * play, task, module, file, line, item, status, changed, diff, duration,
 * error). TEND_ENOTFOUND if there is no such run.
 */
int state_show(struct val **out, struct state *s, long long id);

/*
 * Maintenance windows (used by runner/window.c; see window.h).
 *
 * A window dict has run_id (int, or null for a manual window), starts_at
 * and ends_at (epoch seconds), grace (seconds), hosts (list of strings),
 * playbook, commit, user, reason, plan (strings or null) and providers
 * (a list of dicts: type, config: the provider's settings, which hold no
 * secret values). state_window_begin records it `open`, with every
 * provider `opening`, this process's pid and host, in one transaction.
 */
int state_window_begin(struct state *s, long long *id, const struct val *w);

/*
 * Set provider `seq` of window `id` to `status` ("open", "failed",
 * "closed"); a non-NULL external_id or error_msg is recorded too.
 */
int state_window_provider(struct state *s, long long id, size_t seq,
			  const char *status, const char *external_id,
			  const char *error_msg);

/*
 * Set the end (ends_at > 0) and/or the status (non-NULL: "open",
 * "closed", "expired", "failed"; the last three record when).
 */
int state_window_update(struct state *s, long long id, long long ends_at,
			const char *status);

/*
 * Window `id` as a dict: the keys above plus id, created, pid, controller,
 * status, closed; each provider also has seq, external_id, status, error.
 * TEND_ENOTFOUND if there is none.
 */
int state_window_get(struct val **out, struct state *s, long long id);

/* Ids of the windows, newest first: all, or only open ones. */
int state_window_ids(struct val **out, struct state *s, bool open_only);

/*
 * Ids of open windows of runs that are gone (not `running`, or their
 * process is dead); marks open manual windows that ended before `now`
 * `expired` on the way. *out is a new list.
 */
int state_window_orphans(struct val **out, struct state *s, long long now);

/*
 * Durations in seconds (floats), newest first, of the last `limit`
 * successful applies of `playbook`.
 */
int state_run_durations(struct val **out, struct state *s,
			const char *playbook, int limit);

#endif
