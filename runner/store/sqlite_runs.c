#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/backend.h"
#include "tend/store/sqlite_int.h"

#include <unistd.h>

/* Runs and their results (store.h); one statement is one transaction. */

int sqlite_runs_begin(struct store *base, long long *id,
		      const struct run_info *info)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	char now[32], host[256];
	int error;

	backend_now_iso(now, sizeof(now));
	backend_host(host, sizeof(host));
	if ((error = sqlite_db_prepare(&st, s, "INSERT INTO runs (started, "
				       "user, controller, pid, playbook, mode, "
				       "commit_id, run_limit, status, note, "
				       "run_trigger) VALUES (?, ?, ?, ?, ?, ?, "
				       "?, ?, 'running', ?, ?)")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, now);
	sqlite_db_bind_text(st, 2, backend_user());
	sqlite_db_bind_text(st, 3, host);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
	sqlite_db_bind_text(st, 5, info->playbook);
	sqlite_db_bind_text(st, 6, info->mode);
	sqlite_db_bind_text(st, 7, info->commit);
	sqlite_db_bind_text(st, 8, info->limit);
	sqlite_db_bind_text(st, 9, info->note);
	sqlite_db_bind_text(st, 10, info->trigger);
	if ((error = sqlite_db_write(s, st, "record the run")) < 0)
		return error;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int sqlite_runs_event(struct store *base, long long id,
		      const struct run_event *ev)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = s->ins_event;
	struct buf diff = BUF_INIT;
	int error = 0;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, id);
	sqlite_db_bind_text(st, 2, ev->host);
	sqlite_db_bind_text(st, 3, ev->play);
	sqlite_db_bind_text(st, 4, ev->task);
	sqlite_db_bind_text(st, 5, ev->module);
	sqlite_db_bind_text(st, 6, ev->pos.file);
	sqlite3_bind_int(st, 7, (int)ev->pos.line);
	sqlite_db_bind_text(st, 8, ev->label);
	sqlite3_bind_int(st, 9, ev->handler);
	sqlite_db_bind_text(st, 10, event_status_name(ev->status, RUN_APPLY));
	sqlite3_bind_int(st, 11, ev->status == EV_CHANGED);
	sqlite3_bind_int(st, 12, ev->ignored);
	if (ev->diff) {
		backend_diff_summary(&diff, ev->diff);
		sqlite_db_bind_text(st, 13, diff.ptr);
	}
	sqlite3_bind_double(st, 14, ev->seconds);
	sqlite_db_bind_text(st, 15, ev->status == EV_FAILED ||
			    ev->status == EV_UNREACHABLE ? ev->msg : NULL);
	sqlite_db_bind_text(st, 16, ev->status == EV_FAILED ?
			    ev->detail_json : NULL);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = sqlite_db_error(s, "record a result");
	sqlite3_reset(st);
	buf_release(&diff);
	return error;
}

int sqlite_runs_finish(struct store *base, long long id, const char *status,
		       const struct run_result *r)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	struct host_stats n;
	char now[32];
	int error;

	backend_run_totals(&n, r);
	backend_now_iso(now, sizeof(now));
	if ((error = sqlite_db_prepare(&st, s, "UPDATE runs SET finished = ?, "
				       "status = ?, hosts = ?, ok = ?, "
				       "changed = ?, failed = ?, unreachable "
				       "= ?, skipped = ?, unknown = ? WHERE "
				       "id = ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, now);
	sqlite_db_bind_text(st, 2, status);
	sqlite3_bind_int64(st, 3, r ? (sqlite3_int64)r->hosts_nr : 0);
	sqlite3_bind_int(st, 4, (int)n.ok);
	sqlite3_bind_int(st, 5, (int)n.changed);
	sqlite3_bind_int(st, 6, (int)n.failed);
	sqlite3_bind_int(st, 7, (int)n.unreachable);
	sqlite3_bind_int(st, 8, (int)n.skipped);
	sqlite3_bind_int(st, 9, (int)n.unknown);
	sqlite3_bind_int64(st, 10, id);
	return sqlite_db_write(s, st, "finish the run");
}

/*
 * A run whose process died is interrupted. Its totals were never written
 * (run_finish does that): they are counted from the results it recorded,
 * one per result (a loop's items each count; an ignored failure counts as
 * ok or changed, as in the recap). Its end time stays unknown.
 */
#define REAP_COUNT(cond) "(SELECT COUNT(*) FROM results WHERE run_id = ?1 " \
	"AND " cond ")"
#define REAP_SQL "UPDATE runs SET status = 'interrupted', hosts = (SELECT " \
	"COUNT(DISTINCT host) FROM results WHERE run_id = ?1), ok = " \
	REAP_COUNT("((NOT ignored AND status = 'ok') OR (ignored AND NOT " \
		   "changed))") ", changed = " \
	REAP_COUNT("((NOT ignored AND status = 'changed') OR (ignored AND " \
		   "changed))") ", failed = " \
	REAP_COUNT("NOT ignored AND status = 'failed'") ", unreachable = " \
	REAP_COUNT("NOT ignored AND status = 'unreachable'") ", skipped = " \
	REAP_COUNT("status = 'skipped'") ", unknown = " \
	REAP_COUNT("status = 'unknown'") " WHERE id = ?1"

int sqlite_runs_reap(struct store *base)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL, *up = NULL;
	char host[256];
	int error;

	backend_host(host, sizeof(host));
	if ((error = sqlite_db_prepare(&st, s, "SELECT id, pid, controller "
				       "FROM runs WHERE status = "
				       "'running'")) < 0 ||
	    (error = sqlite_db_prepare(&up, s, REAP_SQL)) < 0)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *ctl = (const char *)sqlite3_column_text(st, 2);

		if (backend_process_alive(sqlite3_column_int64(st, 1), ctl,
					  host))
			continue;
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		if (sqlite3_step(up) != SQLITE_DONE) {
			error = sqlite_db_error(s, "mark interrupted");
			break;
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return error;
}

#define RUN_COLUMNS "id, started, finished, user, playbook, mode, status, " \
	"hosts, ok, changed, failed, unreachable, skipped, unknown, " \
	"commit_id AS 'commit', run_limit AS 'limit', pid, note, " \
	"run_trigger AS 'trigger'"

int sqlite_runs_history(struct val **out, struct store *base, int limit)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "SELECT " RUN_COLUMNS " FROM "
				       "runs ORDER BY id DESC LIMIT ?")) < 0)
		return error;
	sqlite3_bind_int(st, 1, limit);
	return sqlite_db_rows(out, s, st, sqlite_db_row, "read history");
}

/*
 * Each result's detail column (a failure's JSON) as its keys rc, stdout
 * and stderr: null when it has none (or the column is not JSON, as
 * sqlite_db_parse_json reads every JSON column). The integer columns
 * that are flags become JSON booleans, as in the plan and apply JSON
 * (docs/plan-format.md).
 */
static void expand_details(struct val *results)
{
	static const char *const keys[] = { "rc", "stdout", "stderr" };
	static const char *const flags[] = { "handler", "changed", "ignored" };

	for (size_t i = 0; i < val_len(results); i++) {
		struct val *r = val_list_at(results, i);
		struct val *d;

		for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
			const struct val *f = val_dict_get(r, flags[k]);

			val_dict_set_bool(r, flags[k], val_is(f, VAL_INT) &&
					  f->u.i != 0);
		}

		sqlite_db_parse_json(r, "detail");
		d = val_dict_get(r, "detail");
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			struct val *v = val_is(d, VAL_DICT) ?
					val_dict_get(d, keys[k]) : NULL;

			val_dict_set(r, keys[k], v ? val_ref(v) : val_null());
		}
		val_dict_del(r, "detail");
	}
}

int sqlite_runs_show(struct val **out, struct store *base, long long id)
{
	struct sqlite_store *s = sqlite_of(base);
	struct val *run = NULL, *results = NULL;
	int error;

	*out = NULL;
	if ((error = sqlite_db_row_by_id(&run, s, "SELECT " RUN_COLUMNS
					 " FROM runs WHERE id = ?", id,
					 "read a run")) < 0)
		return error;
	if (!run)
		return tend_error_set_code(TEND_ENOTFOUND, "no run %lld", id);
	if ((error = sqlite_db_rows_by_id(&results, s, "SELECT host, play, "
					  "task, module, file, line, item, "
					  "handler, status, changed, ignored, "
					  "diff, duration, error, detail FROM "
					  "results WHERE run_id = ? ORDER BY "
					  "seq", id, sqlite_db_row,
					  "read results")) < 0) {
		val_unref(run);
		return error;
	}
	expand_details(results);
	val_dict_set(run, "results", results);
	*out = run;
	return 0;
}

static struct val *seconds_row(sqlite3_stmt *st)
{
	return val_float(sqlite3_column_double(st, 0));
}

int sqlite_runs_durations(struct val **out, struct store *base,
			  const char *playbook, int limit)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "SELECT (julianday(finished) - "
				       "julianday(started)) * 86400.0 FROM "
				       "runs WHERE playbook = ? AND mode = "
				       "'apply' AND status = 'ok' AND "
				       "finished IS NOT NULL ORDER BY id DESC "
				       "LIMIT ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, playbook);
	sqlite3_bind_int(st, 2, limit);
	return sqlite_db_rows(out, s, st, seconds_row, "read run durations");
}
