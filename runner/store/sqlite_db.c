#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/sqlite_int.h"

/*
 * The SQLite backend's one adapter to SQLite: its errors, binding values
 * and reading rows as struct val.
 */

int sqlite_db_error(struct sqlite_store *s, const char *what)
{
	return tend_error_set("state DB: %s: %s", what,
			      s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

int sqlite_db_exec(struct sqlite_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int error = tend_error_set("state DB: %s", msg ? msg : "error");

		sqlite3_free(msg);
		return error;
	}
	return 0;
}

int sqlite_db_prepare(sqlite3_stmt **out, struct sqlite_store *s,
		      const char *sql)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK)
		return sqlite_db_error(s, "prepare");
	return 0;
}

int sqlite_db_begin(struct sqlite_store *s)
{
	return sqlite_db_exec(s, "BEGIN IMMEDIATE;");
}

int sqlite_db_commit(struct sqlite_store *s)
{
	int error = sqlite_db_exec(s, "COMMIT;");

	/* a failed COMMIT may leave the transaction open */
	if (error < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
	return error;
}

int sqlite_db_rollback(struct sqlite_store *s, int error)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
	return error;
}

void sqlite_db_bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text)
		sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void sqlite_db_bind_json(sqlite3_stmt *st, int i, const struct val *v)
{
	struct buf b = BUF_INIT;

	val_to_json(&b, v, 0);
	sqlite3_bind_text(st, i, b.ptr, (int)b.len, SQLITE_TRANSIENT);
	buf_release(&b);
}

void sqlite_db_bind_epoch(sqlite3_stmt *st, int i, long long t)
{
	if (t > 0)
		sqlite3_bind_int64(st, i, t);
	else
		sqlite3_bind_null(st, i);
}

int sqlite_db_write(struct sqlite_store *s, sqlite3_stmt *st,
		    const char *what)
{
	int error = 0;

	if (sqlite3_step(st) != SQLITE_DONE)
		error = sqlite_db_error(s, what);
	sqlite3_finalize(st);
	return error;
}

static struct val *column_val(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return val_int(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return val_float(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return val_str((const char *)sqlite3_column_text(st, i));
	default:
		return val_null();
	}
}

struct val *sqlite_db_row(sqlite3_stmt *st)
{
	struct val *d = val_dict();

	for (int i = 0; i < sqlite3_column_count(st); i++)
		val_dict_set(d, sqlite3_column_name(st, i), column_val(st, i));
	return d;
}

struct val *sqlite_db_column0(sqlite3_stmt *st)
{
	return column_val(st, 0);
}

int sqlite_db_rows(struct val **out, struct sqlite_store *s, sqlite3_stmt *st,
		   struct val *(*row)(sqlite3_stmt *st), const char *what)
{
	struct val *l = val_list();
	int rc, error = 0;

	*out = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_list_push(l, row(st));
	if (rc != SQLITE_DONE) {
		error = sqlite_db_error(s, what);
		val_unref(l);
	} else {
		*out = l;
	}
	sqlite3_finalize(st);
	return error;
}

int sqlite_db_row_once(struct val **out, struct sqlite_store *s,
		       sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), error = 0;

	*out = NULL;
	if (rc == SQLITE_ROW)
		*out = sqlite_db_row(st);
	else if (rc != SQLITE_DONE)
		error = sqlite_db_error(s, what);
	sqlite3_finalize(st);
	return error;
}

int sqlite_db_row_by_id(struct val **out, struct sqlite_store *s,
			const char *sql, long long id, const char *what)
{
	sqlite3_stmt *st = NULL;
	int error;

	*out = NULL;
	if ((error = sqlite_db_prepare(&st, s, sql)) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	return sqlite_db_row_once(out, s, st, what);
}

int sqlite_db_rows_by_id(struct val **out, struct sqlite_store *s,
			 const char *sql, long long id,
			 struct val *(*row)(sqlite3_stmt *st),
			 const char *what)
{
	sqlite3_stmt *st = NULL;
	int error;

	*out = NULL;
	if ((error = sqlite_db_prepare(&st, s, sql)) < 0)
		return error;
	sqlite3_bind_int64(st, 1, id);
	return sqlite_db_rows(out, s, st, row, what);
}

void sqlite_db_parse_json(struct val *d, const char *key)
{
	const char *text = val_cstr(val_dict_get(d, key));
	struct val *v = NULL;

	if (text && val_from_json(&v, text, strlen(text)) == 0)
		val_dict_set(d, key, v);
	else
		tend_error_clear();
}

bool sqlite_db_has(struct sqlite_store *s, const char *table,
		   const char *column)
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	/* table_info() of a table that does not exist has no rows */
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info(?)",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (!found && sqlite3_step(st) == SQLITE_ROW)
		found = !column || !strcmp((const char *)
					   sqlite3_column_text(st, 0), column);
	sqlite3_finalize(st);
	return found;
}
