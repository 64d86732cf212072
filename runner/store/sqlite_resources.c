#include "tend/common.h"
#include "tend/store/backend.h"
#include "tend/store/sqlite_int.h"

/*
 * Provisioned resources (store.h): a row per kind and name, attributes
 * as JSON text.
 */

#define RESOURCE_COLUMNS "kind, name, attributes, created, updated, expires_at"

int sqlite_resources_put(struct store *base, const char *kind,
			 const char *name, const struct val *attributes,
			 long long expires_at)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	char now[32];
	int error;

	backend_now_iso(now, sizeof(now));
	if ((error = sqlite_db_prepare(&st, s, "INSERT INTO resources ("
				       RESOURCE_COLUMNS ") VALUES (?1, ?2, ?3,"
				       " ?4, ?4, ?5) ON CONFLICT (kind, name) "
				       "DO UPDATE SET attributes = "
				       "excluded.attributes, updated = "
				       "excluded.updated, expires_at = "
				       "excluded.expires_at")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, kind);
	sqlite_db_bind_text(st, 2, name);
	sqlite_db_bind_json(st, 3, attributes);
	sqlite_db_bind_text(st, 4, now);
	sqlite_db_bind_epoch(st, 5, expires_at);
	return sqlite_db_write(s, st, "record a resource");
}

static struct val *resource_row(sqlite3_stmt *st)
{
	struct val *r = sqlite_db_row(st);

	sqlite_db_parse_json(r, "attributes");
	return r;
}

int sqlite_resources_get(struct val **out, struct store *base,
			 const char *kind, const char *name)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	struct val *r = NULL;
	int error;

	*out = NULL;
	if ((error = sqlite_db_prepare(&st, s, "SELECT " RESOURCE_COLUMNS
				       " FROM resources WHERE kind = ? AND "
				       "name = ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, kind);
	sqlite_db_bind_text(st, 2, name);
	if ((error = sqlite_db_row_once(&r, s, st, "read a resource")) < 0)
		return error;
	if (!r)
		return tend_error_set_code(TEND_ENOTFOUND, "no resource %s '%s'",
					   kind, name);
	sqlite_db_parse_json(r, "attributes");
	*out = r;
	return 0;
}

int sqlite_resources_list(struct val **out, struct store *base,
			  const char *kind)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "SELECT " RESOURCE_COLUMNS
				       " FROM resources WHERE ?1 IS NULL OR "
				       "kind = ?1 ORDER BY kind, name")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, kind);
	return sqlite_db_rows(out, s, st, resource_row, "read resources");
}

int sqlite_resources_delete(struct store *base, const char *kind,
			    const char *name)
{
	struct sqlite_store *s = sqlite_of(base);
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "DELETE FROM resources WHERE "
				       "kind = ? AND name = ?")) < 0)
		return error;
	sqlite_db_bind_text(st, 1, kind);
	sqlite_db_bind_text(st, 2, name);
	if ((error = sqlite_db_write(s, st, "forget a resource")) < 0)
		return error;
	if (!sqlite3_changes(s->db))
		return tend_error_set_code(TEND_ENOTFOUND, "no resource %s '%s'",
					   kind, name);
	return 0;
}
