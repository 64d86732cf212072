#include "tend/common.h"
#include "tend/store/backend.h"
#include "tend/store/sqlite_int.h"

/* Drift a scheduled plan found (store.h): a row per host and plan. */

int sqlite_drift_add(struct store *base, const char *host,
		     const char *schedule, long long run_id,
		     const struct val *tasks)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	char now[32];
	int error;

	backend_now_iso(now, sizeof(now));
	if ((error = sqlite_db_prepare(&st, s, "INSERT INTO drift (host, "
				       "schedule, run_id, detected, tasks) "
				       "VALUES (?, ?, ?, ?, ?)")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, host);
	sqlite_db_bind_text(st, 2, schedule);
	if (run_id > 0)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)run_id);
	sqlite_db_bind_text(st, 4, now);
	sqlite_db_bind_json(st, 5, tasks);
	return sqlite_db_write(s, st, "record drift");
}

static struct val *drift_row(sqlite3_stmt *st)
{
	struct val *r = sqlite_db_row(st);

	sqlite_db_parse_json(r, "tasks");
	return r;
}

int sqlite_drift_list(struct val **out, struct store *base, int limit)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	*out = NULL;
	if ((error = sqlite_db_prepare(&st, s, "SELECT id, host, schedule, "
				       "run_id, detected, tasks FROM drift "
				       "ORDER BY id DESC LIMIT ?")) < 0)
		return error;
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	return sqlite_db_rows(out, s, st, drift_row, "read drift");
}
