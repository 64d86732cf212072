#include "tend/common.h"
#include "tend/store/backend.h"
#include "tend/store/sqlite_int.h"

#include <time.h>
#include <unistd.h>

/*
 * Locks (store.h): a row per held lock. The test and the take are one
 * write transaction (BEGIN IMMEDIATE), so two processes can never both
 * see a lock free and both take it.
 */

/* Whether the holder in the current row of `st` still holds the lock. */
static bool lock_held(sqlite3_stmt *st, const char *host, long long now)
{
	const char *ctl = (const char *)sqlite3_column_text(st, 2);

	if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 3) <= now)
		return false;
	return backend_process_alive(sqlite3_column_int64(st, 1), ctl, host);
}

/* Whether that holder is `owner` in this process. */
static bool lock_mine(sqlite3_stmt *st, const char *owner, const char *host)
{
	const char *o = (const char *)sqlite3_column_text(st, 0);
	const char *ctl = (const char *)sqlite3_column_text(st, 2);

	return o && !strcmp(o, owner) && ctl && !strcmp(ctl, host) &&
	       sqlite3_column_int64(st, 1) == (long long)getpid();
}

/* The holder in the current row of `st`, as store_lock_holder says it. */
static struct val *lock_row(sqlite3_stmt *st)
{
	struct val *d = val_dict();

	val_dict_set(d, "owner", sqlite_db_column0(st));
	val_dict_set_int(d, "pid", sqlite3_column_int64(st, 1));
	val_dict_set_str(d, "controller",
			 (const char *)sqlite3_column_text(st, 2));
	val_dict_set_str(d, "acquired",
			 (const char *)sqlite3_column_text(st, 4));
	return d;
}

/*
 * Whether `owner` may take lock `name`: it is free, expired, held by a
 * dead process, or its own already. A holder it takes the lock from (the
 * last two) goes to *broken, with why: a take-over is never silent.
 */
static int lock_takeable(bool *out, struct val **broken,
			 struct sqlite_store *s, const char *name,
			 const char *owner, const char *host, long long now)
{
	sqlite3_stmt *st = NULL;
	int rc, error;

	if ((error = sqlite_db_prepare(&st, s, "SELECT owner, pid, controller,"
				       " expires_at, acquired FROM locks "
				       "WHERE name = ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && lock_mine(st, owner, host)) {
		*out = true;
	} else if (rc == SQLITE_ROW && !lock_held(st, host, now)) {
		bool expired = sqlite3_column_type(st, 3) != SQLITE_NULL &&
			       sqlite3_column_int64(st, 3) <= now;

		*out = true;
		*broken = lock_row(st);
		val_dict_set_str(*broken, "why", expired ? "it expired" :
				 "its process is gone");
	} else if (rc == SQLITE_ROW) {
		*out = false;
	} else if (rc == SQLITE_DONE) {
		*out = true;
	} else {
		error = sqlite_db_error(s, "read a lock");
	}
	sqlite3_finalize(st);
	return error;
}

static int lock_take(struct sqlite_store *s, const char *name,
		     const char *owner, const char *host, long long expires)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int error;

	backend_now_iso(now, sizeof(now));
	if ((error = sqlite_db_prepare(&st, s, "INSERT OR REPLACE INTO locks "
				       "(name, owner, pid, controller, "
				       "acquired, expires_at) VALUES (?, ?, ?,"
				       " ?, ?, ?)")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, name);
	sqlite_db_bind_text(st, 2, owner);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
	sqlite_db_bind_text(st, 4, host);
	sqlite_db_bind_text(st, 5, now);
	sqlite_db_bind_epoch(st, 6, expires);
	return sqlite_db_write(s, st, "take a lock");
}

int sqlite_locks_acquire(struct store *base, const char *name,
			 const char *owner, long long ttl_seconds, bool *got,
			 struct val **broken)
{
	struct sqlite_store *s = sqlite_of(base);
	long long now = (long long)time(NULL);
	struct val *lost = NULL;
	char host[256];
	bool takeable = false;
	int error;

	*got = false;
	*broken = NULL;
	backend_host(host, sizeof(host));
	if ((error = sqlite_db_begin(s)) < 0)
		return error;
	if ((error = lock_takeable(&takeable, &lost, s, name, owner, host,
				   now)) < 0 ||
	    !takeable ||
	    (error = lock_take(s, name, owner, host, ttl_seconds > 0 ?
			       now + ttl_seconds : 0)) < 0) {
		val_unref(lost);
		return sqlite_db_rollback(s, error);
	}
	if ((error = sqlite_db_commit(s)) < 0) {
		val_unref(lost);
		return error;
	}
	*got = true;
	*broken = lost;
	return 0;
}

int sqlite_locks_release(struct store *base, const char *name,
			 const char *owner)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "DELETE FROM locks WHERE name "
				       "= ? AND owner = ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, name);
	sqlite_db_bind_text(st, 2, owner);
	if ((error = sqlite_db_write(s, st, "release a lock")) < 0)
		return error;
	if (!sqlite3_changes(s->db))
		return tend_error_set_code(TEND_ENOTFOUND, "lock '%s' is not "
					   "held by '%s'", name, owner);
	return 0;
}

int sqlite_locks_holder(struct val **out, struct store *base, const char *name)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	char host[256];
	int rc, error;

	*out = NULL;
	backend_host(host, sizeof(host));
	if ((error = sqlite_db_prepare(&st, s, "SELECT owner, pid, controller,"
				       " expires_at, acquired FROM locks "
				       "WHERE name = ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && lock_held(st, host, (long long)time(NULL)))
		*out = lock_row(st);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		error = sqlite_db_error(s, "read a lock");
	sqlite3_finalize(st);
	return error;
}
