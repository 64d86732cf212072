#ifndef TEND_STORE_SQLITE_INT_H
#define TEND_STORE_SQLITE_INT_H

/*
 * The SQLite store backend's internals, shared by runner/store/sqlite*.c
 * and nothing else:
 *
 *   sqlite.c           open, close, the ops table
 *   sqlite_schema.c    the schema: numbered migrations
 *   sqlite_db.c        talking to SQLite (errors, binding, rows)
 *   sqlite_runs.c      runs and their results
 *   sqlite_windows.c   maintenance windows and their providers
 *   sqlite_locks.c     locks
 *   sqlite_resources.c provisioned resources
 *
 * Every op below is the store_<name> of store.h with `s` a struct
 * sqlite_store; see there for what it does.
 */

#include "tend/store/store.h"

#include <sqlite3.h>

struct sqlite_store {
	struct store base; /* first: a struct store * of ours is one of these */
	sqlite3 *db;
	sqlite3_stmt *ins_event; /* results are many: prepared once */
};

static inline struct sqlite_store *sqlite_of(struct store *s)
{
	return (struct sqlite_store *)s;
}

/*
 * sqlite_db.c. Errors read "state DB: `what`: SQLite's message" and are
 * returned as -1.
 */
int sqlite_db_error(struct sqlite_store *s, const char *what);

/* Run SQL without results (several statements may follow each other). */
int sqlite_db_exec(struct sqlite_store *s, const char *sql);

/* Prepare `sql` into *out (the caller finalizes it). */
int sqlite_db_prepare(sqlite3_stmt **out, struct sqlite_store *s,
		      const char *sql);

/* BEGIN IMMEDIATE (a write transaction, taken now), COMMIT, ROLLBACK. */
int sqlite_db_begin(struct sqlite_store *s);
int sqlite_db_commit(struct sqlite_store *s);
/* Roll back and return `error`, so that `return sqlite_db_rollback(..)`. */
int sqlite_db_rollback(struct sqlite_store *s, int error);

/* Bind text (NULL: SQL NULL), or `v` as JSON text. */
void sqlite_db_bind_text(sqlite3_stmt *st, int i, const char *text);
void sqlite_db_bind_json(sqlite3_stmt *st, int i, const struct val *v);
/* Bind epoch seconds `t`; 0 (never) binds NULL. */
void sqlite_db_bind_epoch(sqlite3_stmt *st, int i, long long t);

/*
 * Step statement `st`, which returns no rows, then finalize it (also on
 * error; `what` names the write in the message).
 */
int sqlite_db_write(struct sqlite_store *s, sqlite3_stmt *st,
		    const char *what);

/* The current row as a dict, keyed by column name (a new reference). */
struct val *sqlite_db_row(sqlite3_stmt *st);

/* The first column of the current row as a val (a new reference). */
struct val *sqlite_db_column0(sqlite3_stmt *st);

/*
 * Step `st` to its end, making a list of row(st) for each row; finalize
 * it (also on error). *out is a new list.
 */
int sqlite_db_rows(struct val **out, struct sqlite_store *s, sqlite3_stmt *st,
		   struct val *(*row)(sqlite3_stmt *st), const char *what);

/*
 * Step `st` for one row, as a dict into *out (NULL when there is no
 * row), and finalize it.
 */
int sqlite_db_row_once(struct val **out, struct sqlite_store *s,
		       sqlite3_stmt *st, const char *what);

/*
 * The same for `sql` with one parameter, bound to `id`: a parent row by
 * its id, and its children's rows.
 */
int sqlite_db_row_by_id(struct val **out, struct sqlite_store *s,
			const char *sql, long long id, const char *what);
int sqlite_db_rows_by_id(struct val **out, struct sqlite_store *s,
			 const char *sql, long long id,
			 struct val *(*row)(sqlite3_stmt *st),
			 const char *what);

/* Replace the JSON text of `key` in dict `d` by its parsed value. */
void sqlite_db_parse_json(struct val *d, const char *key);

/* Whether `table` exists, with `column` if that is not NULL. */
bool sqlite_db_has(struct sqlite_store *s, const char *table,
		   const char *column);

/*
 * sqlite_schema.c. The schema's version is PRAGMA user_version;
 * SQLITE_SCHEMA_VERSION is the newest this tend knows.
 */
#define SQLITE_SCHEMA_VERSION 5

/*
 * Refuse a DB made by a newer tend, before anything is written to it.
 * `path` is for the message.
 */
int sqlite_schema_check(struct sqlite_store *s, const char *path);

/* Bring the DB to SQLITE_SCHEMA_VERSION, one transaction per step. */
int sqlite_schema_migrate(struct sqlite_store *s, const char *path);

/* sqlite_runs.c */
int sqlite_runs_reap(struct store *s);
int sqlite_runs_begin(struct store *s, long long *id,
		      const struct run_info *info);
int sqlite_runs_event(struct store *s, long long id,
		      const struct run_event *ev);
int sqlite_runs_finish(struct store *s, long long id, const char *status,
		       const struct run_result *r);
int sqlite_runs_history(struct val **out, struct store *s, int limit);
int sqlite_runs_show(struct val **out, struct store *s, long long id);
int sqlite_runs_durations(struct val **out, struct store *s,
			  const char *playbook, int limit);

/* sqlite_windows.c */
int sqlite_windows_begin(struct store *s, long long *id, const struct val *w);
int sqlite_windows_provider(struct store *s, long long id, size_t seq,
			    const char *status, const char *external_id,
			    const char *error_msg);
int sqlite_windows_update(struct store *s, long long id, long long ends_at,
			  const char *status);
int sqlite_windows_get(struct val **out, struct store *s, long long id);
int sqlite_windows_ids(struct val **out, struct store *s, bool open_only);
int sqlite_windows_orphans(struct val **out, struct store *s, long long now);

/* sqlite_locks.c */
int sqlite_locks_acquire(struct store *s, const char *name, const char *owner,
			 long long ttl_seconds, bool *got, struct val **broken);
int sqlite_locks_release(struct store *s, const char *name, const char *owner);
int sqlite_locks_holder(struct val **out, struct store *s, const char *name);

/* sqlite_resources.c */
int sqlite_resources_put(struct store *s, const char *kind, const char *name,
			 const struct val *attributes, long long expires_at);
int sqlite_resources_get(struct val **out, struct store *s, const char *kind,
			 const char *name);
int sqlite_resources_list(struct val **out, struct store *s,
			  const char *kind);
int sqlite_resources_delete(struct store *s, const char *kind,
			    const char *name);

/* sqlite_drift.c */
int sqlite_drift_add(struct store *s, const char *host, const char *schedule,
		     long long run_id, const struct val *tasks);
int sqlite_drift_list(struct val **out, struct store *s, int limit);

#endif
