#include "tend/common.h"
#include "tend/store/backend.h"
#include "tend/store/sqlite_int.h"

#include <unistd.h>

/*
 * Maintenance windows (windows/window.c): a row per window and a row per
 * provider of it, so that a later process can close what a dead run left
 * open.
 */

static int insert_window(struct sqlite_store *s, long long *id,
			 const struct val *w)
{
	sqlite3_stmt *st = NULL;
	char now[32], host[256];
	int error;

	backend_now_iso(now, sizeof(now));
	backend_host(host, sizeof(host));
	if ((error = sqlite_db_prepare(&st, s, "INSERT INTO windows (run_id, "
				       "created, starts_at, ends_at, grace, "
				       "hosts, playbook, commit_id, user, "
				       "reason, plan, pid, controller, status)"
				       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
				       "?, ?, ?, 'open')")) < 0)
		return error;
	if (val_is(val_dict_get(w, "run_id"), VAL_INT))
		sqlite3_bind_int64(st, 1, val_dict_get(w, "run_id")->u.i);
	sqlite_db_bind_text(st, 2, now);
	sqlite3_bind_int64(st, 3, val_dict_get(w, "starts_at")->u.i);
	sqlite3_bind_int64(st, 4, val_dict_get(w, "ends_at")->u.i);
	sqlite3_bind_int64(st, 5, val_dict_get(w, "grace")->u.i);
	sqlite_db_bind_json(st, 6, val_dict_get(w, "hosts"));
	sqlite_db_bind_text(st, 7, val_cstr(val_dict_get(w, "playbook")));
	sqlite_db_bind_text(st, 8, val_cstr(val_dict_get(w, "commit")));
	sqlite_db_bind_text(st, 9, val_cstr(val_dict_get(w, "user")));
	sqlite_db_bind_text(st, 10, val_cstr(val_dict_get(w, "reason")));
	sqlite_db_bind_text(st, 11, val_cstr(val_dict_get(w, "plan")));
	sqlite3_bind_int64(st, 12, (sqlite3_int64)getpid());
	sqlite_db_bind_text(st, 13, host);
	if ((error = sqlite_db_write(s, st, "record a window")) < 0)
		return error;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int insert_providers(struct sqlite_store *s, long long id,
			    const struct val *providers)
{
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "INSERT INTO window_providers "
				       "(window_id, seq, type, config, status)"
				       " VALUES (?, ?, ?, ?, 'opening')")) < 0)
		return error;
	for (size_t i = 0; i < val_len(providers); i++) {
		const struct val *p = val_list_at(providers, i);

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		sqlite_db_bind_text(st, 3, val_cstr(val_dict_get(p, "type")));
		sqlite_db_bind_json(st, 4, val_dict_get(p, "config"));
		if (sqlite3_step(st) != SQLITE_DONE) {
			error = sqlite_db_error(s, "record a window provider");
			break;
		}
	}
	sqlite3_finalize(st);
	return error;
}

int sqlite_windows_begin(struct store *base, long long *id,
			 const struct val *w)
{
	struct sqlite_store *s = sqlite_of(base);
	int error;

	if ((error = sqlite_db_begin(s)) < 0)
		return error;
	if ((error = insert_window(s, id, w)) < 0 ||
	    (error = insert_providers(s, *id,
				      val_dict_get(w, "providers"))) < 0)
		return sqlite_db_rollback(s, error);
	return sqlite_db_commit(s);
}

int sqlite_windows_provider(struct store *base, long long id, size_t seq,
			    const char *status, const char *external_id,
			    const char *error_msg)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "UPDATE window_providers SET "
				       "status = ?, external_id = COALESCE(?, "
				       "external_id), error = COALESCE(?, "
				       "error) WHERE window_id = ? AND seq = "
				       "?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, status);
	sqlite_db_bind_text(st, 2, external_id);
	sqlite_db_bind_text(st, 3, error_msg);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)seq);
	return sqlite_db_write(s, st, "record a window provider");
}

int sqlite_windows_update(struct store *base, long long id, long long ends_at,
			  const char *status)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	char now[32];
	int error;

	backend_now_iso(now, sizeof(now));
	if ((error = sqlite_db_prepare(&st, s, "UPDATE windows SET ends_at = "
				       "CASE WHEN ?1 > 0 THEN ?1 ELSE ends_at "
				       "END, status = COALESCE(?2, status), "
				       "closed = CASE WHEN ?2 IN ('closed', "
				       "'expired', 'failed') THEN ?3 ELSE "
				       "closed END WHERE id = ?4")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, ends_at);
	sqlite_db_bind_text(st, 2, status);
	sqlite_db_bind_text(st, 3, now);
	sqlite3_bind_int64(st, 4, id);
	return sqlite_db_write(s, st, "update a window");
}

static struct val *provider_row(sqlite3_stmt *st)
{
	struct val *p = sqlite_db_row(st);

	sqlite_db_parse_json(p, "config");
	return p;
}

int sqlite_windows_get(struct val **out, struct store *base, long long id)
{
	struct sqlite_store *s = sqlite_of(base);
	struct val *w = NULL, *providers = NULL;
	int error;

	*out = NULL;
	if ((error = sqlite_db_row_by_id(&w, s, "SELECT id, run_id, created, "
					 "starts_at, ends_at, grace, hosts, "
					 "playbook, commit_id AS 'commit', "
					 "user, reason, plan, pid, controller,"
					 " status, closed FROM windows WHERE "
					 "id = ?", id, "read a window")) < 0)
		return error;
	if (!w)
		return tend_error_set_code(TEND_ENOTFOUND, "no window %lld", id);
	sqlite_db_parse_json(w, "hosts");
	if ((error = sqlite_db_rows_by_id(&providers, s, "SELECT seq, type, "
					  "config, external_id, status, error "
					  "FROM window_providers WHERE "
					  "window_id = ? ORDER BY seq", id,
					  provider_row,
					  "read window providers")) < 0) {
		val_unref(w);
		return error;
	}
	val_dict_set(w, "providers", providers);
	*out = w;
	return 0;
}

int sqlite_windows_ids(struct val **out, struct store *base, bool open_only)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, open_only ?
				       "SELECT id FROM windows WHERE status = "
				       "'open' ORDER BY id DESC" :
				       "SELECT id FROM windows ORDER BY id "
				       "DESC")) < 0)
		return error;
	return sqlite_db_rows(out, s, st, sqlite_db_column0, "read windows");
}

/*
 * Windows end by themselves: mark those past their end expired. They are
 * manual windows, and windows of runs whose close failed (a provider was
 * down), which nothing need close any more. A live run extends its
 * window before the end (window_tick); one that could not is over.
 */
static int expire_ended(struct sqlite_store *s, long long now)
{
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "UPDATE windows SET status = "
				       "'expired', closed = strftime("
				       "'%Y-%m-%dT%H:%M:%SZ', ends_at, "
				       "'unixepoch') WHERE status = 'open' "
				       "AND ends_at <= ?")) < 0)
		return error;
	sqlite3_bind_int64(st, 1, now);
	return sqlite_db_write(s, st, "expire windows");
}

int sqlite_windows_orphans(struct val **out, struct store *base,
			   long long now)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	struct val *l;
	char host[256];
	int rc, error;

	*out = NULL;
	backend_host(host, sizeof(host));
	if ((error = expire_ended(s, now)) < 0 ||
	    (error = sqlite_db_prepare(&st, s, "SELECT w.id, w.pid, "
				       "w.controller, r.id, r.status, r.pid, "
				       "r.controller FROM windows w LEFT JOIN "
				       "runs r ON r.id = w.run_id WHERE "
				       "w.status = 'open' AND w.run_id IS NOT "
				       "NULL ORDER BY w.id")) < 0)
		return error;
	l = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *wctl = (const char *)sqlite3_column_text(st, 2);
		const char *rstatus = (const char *)sqlite3_column_text(st, 4);
		const char *rctl = (const char *)sqlite3_column_text(st, 6);
		bool alive;

		/* the run's row is gone: judge by the window's process */
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			alive = backend_process_alive(
				sqlite3_column_int64(st, 1), wctl, host);
		else
			alive = rstatus && !strcmp(rstatus, "running") &&
				backend_process_alive(
					sqlite3_column_int64(st, 5), rctl,
					host);
		if (!alive)
			val_list_push(l, val_int(sqlite3_column_int64(st, 0)));
	}
	if (rc != SQLITE_DONE) {
		error = sqlite_db_error(s, "read windows");
		val_unref(l);
	} else {
		*out = l;
	}
	sqlite3_finalize(st);
	return error;
}
