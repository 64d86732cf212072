#include "tend/common.h"
#include "tend/store/sqlite_int.h"

/*
 * The SQLite schema, as numbered migrations: migrations[n - 1] takes a DB
 * from version n - 1 to n, and the version is PRAGMA user_version. To
 * change the schema, add a function and a row at the end, bump
 * SQLITE_SCHEMA_VERSION, and give tests/unit/test_store.c a DB of the
 * version before; never edit a migration that has shipped.
 */

/* 1: runs and their results, maintenance windows and their providers. */
static int migrate_1_runs_windows(struct sqlite_store *s)
{
	/*
	 * IF NOT EXISTS: tends before numbered migrations made some of these
	 * tables already (see schema_version()).
	 */
	return sqlite_db_exec(s,
		"CREATE TABLE IF NOT EXISTS runs ("
		"  id INTEGER PRIMARY KEY,"
		"  started TEXT NOT NULL,"
		"  finished TEXT,"
		"  user TEXT, controller TEXT, pid INTEGER,"
		"  playbook TEXT, mode TEXT NOT NULL, commit_id TEXT,"
		"  run_limit TEXT,"
		"  status TEXT NOT NULL,"
		"  hosts INTEGER DEFAULT 0, ok INTEGER DEFAULT 0,"
		"  changed INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,"
		"  unreachable INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0,"
		"  unknown INTEGER DEFAULT 0);"
		"CREATE TABLE IF NOT EXISTS results ("
		"  run_id INTEGER NOT NULL REFERENCES runs(id),"
		"  seq INTEGER NOT NULL,"
		"  host TEXT NOT NULL, play TEXT, task TEXT, module TEXT,"
		"  file TEXT, line INTEGER, item TEXT, handler INTEGER,"
		"  status TEXT NOT NULL, changed INTEGER, ignored INTEGER,"
		"  diff TEXT, duration REAL, error TEXT,"
		"  PRIMARY KEY (run_id, seq));"
		"CREATE INDEX IF NOT EXISTS runs_status ON runs(status);"
		"CREATE TABLE IF NOT EXISTS windows ("
		"  id INTEGER PRIMARY KEY, run_id INTEGER, created TEXT NOT NULL,"
		"  starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,"
		"  grace INTEGER DEFAULT 0, hosts TEXT NOT NULL, playbook TEXT,"
		"  commit_id TEXT, user TEXT, reason TEXT, plan TEXT,"
		"  pid INTEGER, controller TEXT, status TEXT NOT NULL,"
		"  closed TEXT);"
		"CREATE TABLE IF NOT EXISTS window_providers ("
		"  window_id INTEGER NOT NULL REFERENCES windows(id),"
		"  seq INTEGER NOT NULL, type TEXT NOT NULL, config TEXT NOT NULL,"
		"  external_id TEXT, status TEXT NOT NULL, error TEXT,"
		"  PRIMARY KEY (window_id, seq));");
}

/* 2: runs.note (why a change window was overridden). */
static int migrate_2_run_note(struct sqlite_store *s)
{
	/* the tend that added windows made runs with it but stamped 1 */
	if (sqlite_db_has(s, "runs", "note"))
		return 0;
	return sqlite_db_exec(s, "ALTER TABLE runs ADD COLUMN note TEXT;");
}

/*
 * 3: locks and provisioned resources. IF NOT EXISTS, as every migration:
 * a tend from before this one, run on this DB, stamps it back to 2 and
 * leaves the tables; the next run of this tend migrates it again.
 */
static int migrate_3_locks_resources(struct sqlite_store *s)
{
	return sqlite_db_exec(s,
		"CREATE TABLE IF NOT EXISTS locks ("
		"  name TEXT PRIMARY KEY,"
		"  owner TEXT NOT NULL,"
		"  pid INTEGER, controller TEXT,"
		"  acquired TEXT NOT NULL,"
		"  expires_at INTEGER);" /* epoch seconds; NULL: never */
		"CREATE TABLE IF NOT EXISTS resources ("
		"  kind TEXT NOT NULL, name TEXT NOT NULL,"
		"  attributes TEXT NOT NULL," /* JSON */
		"  created TEXT NOT NULL, updated TEXT NOT NULL,"
		"  expires_at INTEGER," /* epoch seconds; NULL: never */
		"  PRIMARY KEY (kind, name));"
		"CREATE INDEX IF NOT EXISTS resources_expires ON resources(expires_at);");
}

/*
 * 4: runs.run_trigger (what started a run: "schedule NAME", "webhook",
 * ...; NULL for a person at the command line) and the drift a scheduled
 * plan found, one row per host and plan.
 */
static int migrate_4_trigger_drift(struct sqlite_store *s)
{
	if (!sqlite_db_has(s, "runs", "run_trigger") &&
	    sqlite_db_exec(s, "ALTER TABLE runs ADD COLUMN run_trigger TEXT;") < 0)
		return -1;
	return sqlite_db_exec(s,
		"CREATE TABLE IF NOT EXISTS drift ("
		"  id INTEGER PRIMARY KEY,"
		"  host TEXT NOT NULL, schedule TEXT,"
		"  run_id INTEGER, detected TEXT NOT NULL,"
		"  tasks TEXT NOT NULL);" /* JSON: [{task, file, line, item}] */
		"CREATE INDEX IF NOT EXISTS drift_host ON drift(host, id);");
}

/*
 * 5: results.detail, a failure's rc, stdout and stderr as JSON
 * (data/result.h result_detail_json); NULL for every other result and
 * for the results recorded before.
 */
static int migrate_5_result_detail(struct sqlite_store *s)
{
	if (sqlite_db_has(s, "results", "detail"))
		return 0;
	return sqlite_db_exec(s, "ALTER TABLE results ADD COLUMN detail TEXT;");
}

static int (*const migrations[])(struct sqlite_store *s) = {
	migrate_1_runs_windows,
	migrate_2_run_note,
	migrate_3_locks_resources,
	migrate_4_trigger_drift,
	migrate_5_result_detail,
};

_Static_assert(ARRAY_SIZE(migrations) == SQLITE_SCHEMA_VERSION,
	       "a migration per schema version");

/*
 * The DB's version. Tends before numbered migrations stamped 1 or, the
 * very first, nothing, and not always over the same tables: a DB stamped
 * 0 or 1 counts as 1 only if it has every table of version 1, else as 0
 * (a new file, or one without the window tables), and migration 1 then
 * creates what is missing.
 */
static int schema_version(int *out, struct sqlite_store *s)
{
	sqlite3_stmt *st = NULL;
	int error;

	if ((error = sqlite_db_prepare(&st, s, "PRAGMA user_version")) < 0)
		return error;
	if (sqlite3_step(st) != SQLITE_ROW) {
		error = sqlite_db_error(s, "read the schema version");
		sqlite3_finalize(st);
		return error;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (*out <= 1)
		*out = sqlite_db_has(s, "runs", NULL) &&
		       sqlite_db_has(s, "results", NULL) &&
		       sqlite_db_has(s, "windows", NULL) &&
		       sqlite_db_has(s, "window_providers", NULL);
	return 0;
}

static int refuse_newer(const char *path, int version)
{
	return tend_error_set("cannot open state DB '%s': its schema version "
			      "%d is newer than this tend knows (%d); use a "
			      "newer tend", path, version,
			      SQLITE_SCHEMA_VERSION);
}

int sqlite_schema_check(struct sqlite_store *s, const char *path)
{
	int version, error;

	if ((error = schema_version(&version, s)) < 0)
		return error;
	return version > SQLITE_SCHEMA_VERSION ?
	       refuse_newer(path, version) : 0;
}

/*
 * One step: under the write lock, read the version again (another tend
 * may have migrated meanwhile) and take it one version up. *done when
 * there was nothing left to do.
 */
static int migrate_step(struct sqlite_store *s, const char *path, bool *done)
{
	char sql[64];
	int version, error;

	*done = false;
	if ((error = sqlite_db_begin(s)) < 0)
		return error;
	if ((error = schema_version(&version, s)) < 0)
		return sqlite_db_rollback(s, error);
	if (version > SQLITE_SCHEMA_VERSION)
		return sqlite_db_rollback(s, refuse_newer(path, version));
	if (version == SQLITE_SCHEMA_VERSION) {
		*done = true;
		return sqlite_db_rollback(s, 0);
	}
	if ((error = migrations[version](s)) < 0)
		return sqlite_db_rollback(s, tend_error_prefix(
			"cannot migrate state DB '%s' to schema version %d",
			path, version + 1));
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;", version + 1);
	if ((error = sqlite_db_exec(s, sql)) < 0)
		return sqlite_db_rollback(s, error);
	return sqlite_db_commit(s);
}

int sqlite_schema_migrate(struct sqlite_store *s, const char *path)
{
	bool done = false;
	int version, error;

	/* up to date: no write lock, so readers never wait for a writer */
	if ((error = schema_version(&version, s)) < 0 ||
	    version == SQLITE_SCHEMA_VERSION)
		return error;
	while (!done && !error)
		error = migrate_step(s, path, &done);
	return error;
}
