#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/store/state.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

struct state {
	sqlite3 *db;
	sqlite3_stmt *ins_event;
};

#define SCHEMA_VERSION 1

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS runs ("
	"  id INTEGER PRIMARY KEY,"
	"  started TEXT NOT NULL,"
	"  finished TEXT,"
	"  user TEXT, controller TEXT, pid INTEGER,"
	"  playbook TEXT, mode TEXT NOT NULL, commit_id TEXT, run_limit TEXT,"
	"  status TEXT NOT NULL,"
	"  hosts INTEGER DEFAULT 0, ok INTEGER DEFAULT 0,"
	"  changed INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,"
	"  unreachable INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0,"
	"  unknown INTEGER DEFAULT 0, note TEXT);"
	"CREATE TABLE IF NOT EXISTS results ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  seq INTEGER NOT NULL,"
	"  host TEXT NOT NULL, play TEXT, task TEXT, module TEXT,"
	"  file TEXT, line INTEGER, item TEXT, handler INTEGER,"
	"  status TEXT NOT NULL, changed INTEGER, ignored INTEGER,"
	"  diff TEXT, duration REAL, error TEXT,"
	"  PRIMARY KEY (run_id, seq));"
	"CREATE INDEX IF NOT EXISTS runs_status ON runs(status);"
	/* maintenance windows (runner/window.c) */
	"CREATE TABLE IF NOT EXISTS windows ("
	"  id INTEGER PRIMARY KEY, run_id INTEGER, created TEXT NOT NULL,"
	"  starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,"
	"  grace INTEGER DEFAULT 0, hosts TEXT NOT NULL, playbook TEXT,"
	"  commit_id TEXT, user TEXT, reason TEXT, plan TEXT,"
	"  pid INTEGER, controller TEXT, status TEXT NOT NULL, closed TEXT);"
	"CREATE TABLE IF NOT EXISTS window_providers ("
	"  window_id INTEGER NOT NULL REFERENCES windows(id),"
	"  seq INTEGER NOT NULL, type TEXT NOT NULL, config TEXT NOT NULL,"
	"  external_id TEXT, status TEXT NOT NULL, error TEXT,"
	"  PRIMARY KEY (window_id, seq));";

static int error_from_sqlite(sqlite3 *db, const char *what)
{
	return tend_error_set("state DB: %s: %s", what,
			      db ? sqlite3_errmsg(db) : "out of memory");
}

char *state_default_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	struct buf b = BUF_INIT;

	if (xdg && *xdg) {
		buf_addf(&b, "%s/tend/tend.db", xdg);
	} else {
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : "/";
		}
		buf_addf(&b, "%s/.local/state/tend/tend.db", home);
	}
	return buf_detach(&b, NULL);
}

static int mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int error = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			error = tend_error_set("cannot create '%s': %s", p,
					       strerror(errno));
			break;
		}
		*s = '/';
	}
	free(p);
	return error;
}

static int exec_sql(struct state *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int error = tend_error_set("state DB: %s", msg ? msg : "error");

		sqlite3_free(msg);
		return error;
	}
	return 0;
}

static bool has_column(struct state *s, const char *table, const char *col)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	bool found = false;

	buf_addf(&sql, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(s->db, sql.ptr, -1, &st, NULL) == SQLITE_OK)
		while (!found && sqlite3_step(st) == SQLITE_ROW)
			found = !strcmp((const char *)sqlite3_column_text(st, 1),
					col);
	sqlite3_finalize(st);
	buf_release(&sql);
	return found;
}

/*
 * Bring a DB made by an older tend up to this schema (user_version 2):
 * CREATE TABLE IF NOT EXISTS made the new tables; old tables get the
 * columns added since.
 */
static int migrate(struct state *s)
{
	if (!has_column(s, "runs", "note"))
		return exec_sql(s, "ALTER TABLE runs ADD COLUMN note TEXT;");
	return 0;
}

int state_open(struct state **out, const char *path)
{
	struct state *s = xcalloc(1, sizeof(*s));
	char *dflt = NULL;
	int error;

	*out = NULL;
	if (!path)
		path = dflt = state_default_path();
	if ((error = mkdirs(path)) < 0)
		goto fail;
	/*
	 * Create the file ourselves, 0600: SQLite would make it 0644, and
	 * its -wal and -shm files take the database file's mode.
	 */
	{
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			error = tend_error_set("cannot open state DB '%s': %s",
					       path, strerror(errno));
			goto fail;
		}
		close(fd);
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		error = tend_error_set("cannot open state DB '%s': %s", path,
				       s->db ? sqlite3_errmsg(s->db) :
				       "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if ((error = exec_sql(s, "PRAGMA journal_mode=WAL;"
			      "PRAGMA synchronous=NORMAL;"
			      "PRAGMA foreign_keys=ON;")) < 0 ||
	    (error = exec_sql(s, "BEGIN IMMEDIATE;")) < 0)
		goto fail;
	if ((error = exec_sql(s, schema)) < 0) {
		exec_sql(s, "ROLLBACK;");
		goto fail;
	}
	if ((error = migrate(s)) < 0) {
		exec_sql(s, "ROLLBACK;");
		goto fail;
	}
	if ((error = exec_sql(s, "PRAGMA user_version=2; COMMIT;")) < 0)
		goto fail;
	if (sqlite3_prepare_v2(s->db,
		"INSERT INTO results (run_id, seq, host, play, task, module, "
		"file, line, item, handler, status, changed, ignored, diff, "
		"duration, error) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 "
		"FROM results WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?13, ?14, ?15)", -1, &s->ins_event,
		NULL) != SQLITE_OK) {
		error = error_from_sqlite(s->db, "prepare");
		goto fail;
	}
	free(dflt);
	*out = s;
	return 0;
fail:
	free(dflt);
	state_close(s);
	return error;
}

void state_close(struct state *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->ins_event);
	sqlite3_close(s->db);
	free(s);
}

static void iso_now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int state_run_begin(struct state *s, long long *id, const struct run_info *info)
{
	sqlite3_stmt *st = NULL;
	char now[32], host[256] = "";
	struct passwd *pw = getpwuid(geteuid());
	int error = 0;

	iso_now(now, sizeof(now));
	gethostname(host, sizeof(host) - 1);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO runs (started, user, "
			       "controller, pid, playbook, mode, commit_id, "
			       "run_limit, status, note) VALUES (?, ?, ?, ?, ?, "
			       "?, ?, ?, 'running', ?)", -1, &st,
			       NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	bind_text(st, 1, now);
	bind_text(st, 2, pw ? pw->pw_name : NULL);
	bind_text(st, 3, host);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
	bind_text(st, 5, info->playbook);
	bind_text(st, 6, info->mode);
	bind_text(st, 7, info->commit);
	bind_text(st, 8, info->limit);
	bind_text(st, 9, info->note);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = error_from_sqlite(s->db, "record the run");
	else
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return error;
}

/* "+3 -1 lines": what a diff changed, never what it says. */
static void diff_summary(struct buf *out, const char *diff)
{
	unsigned add = 0, del = 0;

	for (const char *p = diff; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (*p == '+' && strncmp(p, "+++", 3))
			add++;
		else if (*p == '-' && strncmp(p, "---", 3))
			del++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	buf_addf(out, "+%u -%u lines", add, del);
}

int state_run_event(struct state *s, long long id, const struct run_event *ev)
{
	sqlite3_stmt *st = s->ins_event;
	struct buf diff = BUF_INIT;
	int error = 0;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, ev->host);
	bind_text(st, 3, ev->play);
	bind_text(st, 4, ev->task);
	bind_text(st, 5, ev->module);
	bind_text(st, 6, ev->pos.file);
	sqlite3_bind_int(st, 7, (int)ev->pos.line);
	bind_text(st, 8, ev->label);
	sqlite3_bind_int(st, 9, ev->handler);
	bind_text(st, 10, event_status_name(ev->status, RUN_APPLY));
	sqlite3_bind_int(st, 11, ev->status == EV_CHANGED);
	sqlite3_bind_int(st, 12, ev->ignored);
	if (ev->diff) {
		diff_summary(&diff, ev->diff);
		bind_text(st, 13, diff.ptr);
	}
	sqlite3_bind_double(st, 14, ev->seconds);
	bind_text(st, 15, ev->status == EV_FAILED ||
		  ev->status == EV_UNREACHABLE ? ev->msg : NULL);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = error_from_sqlite(s->db, "record a result");
	sqlite3_reset(st);
	buf_release(&diff);
	return error;
}

int state_run_finish(struct state *s, long long id, const char *status,
		     const struct run_result *r)
{
	sqlite3_stmt *st = NULL;
	unsigned ok = 0, changed = 0, failed = 0, unreach = 0, skipped = 0,
		 unknown = 0;
	char now[32];
	int error = 0;

	for (size_t i = 0; r && i < r->hosts_nr; i++) {
		ok += r->hosts[i].ok;
		changed += r->hosts[i].changed;
		failed += r->hosts[i].failed;
		unreach += r->hosts[i].unreachable;
		skipped += r->hosts[i].skipped;
		unknown += r->hosts[i].unknown;
	}
	iso_now(now, sizeof(now));
	if (sqlite3_prepare_v2(s->db, "UPDATE runs SET finished = ?, status = ?,"
			       " hosts = ?, ok = ?, changed = ?, failed = ?, "
			       "unreachable = ?, skipped = ?, unknown = ? "
			       "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	bind_text(st, 1, now);
	bind_text(st, 2, status);
	sqlite3_bind_int64(st, 3, r ? (sqlite3_int64)r->hosts_nr : 0);
	sqlite3_bind_int(st, 4, (int)ok);
	sqlite3_bind_int(st, 5, (int)changed);
	sqlite3_bind_int(st, 6, (int)failed);
	sqlite3_bind_int(st, 7, (int)unreach);
	sqlite3_bind_int(st, 8, (int)skipped);
	sqlite3_bind_int(st, 9, (int)unknown);
	sqlite3_bind_int64(st, 10, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = error_from_sqlite(s->db, "finish the run");
	sqlite3_finalize(st);
	return error;
}

int state_reap(struct state *s)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	char host[256] = "";
	int error = 0;

	gethostname(host, sizeof(host) - 1);
	if (sqlite3_prepare_v2(s->db, "SELECT id, pid, controller FROM runs "
			       "WHERE status = 'running'", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE runs SET status = 'interrupted'"
			       " WHERE id = ?", -1, &up, NULL) != SQLITE_OK) {
		error = error_from_sqlite(s->db, "prepare");
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		pid_t pid = (pid_t)sqlite3_column_int64(st, 1);
		const char *ctl = (const char *)sqlite3_column_text(st, 2);

		/* a run of another machine is not ours to judge */
		if (ctl && strcmp(ctl, host))
			continue;
		if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
			continue;
		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, id);
		if (sqlite3_step(up) != SQLITE_DONE) {
			error = error_from_sqlite(s->db, "mark interrupted");
			break;
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
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

static struct val *row_dict(sqlite3_stmt *st)
{
	struct val *d = val_dict();

	for (int i = 0; i < sqlite3_column_count(st); i++)
		val_dict_set(d, sqlite3_column_name(st, i), column_val(st, i));
	return d;
}

#define RUN_COLUMNS "id, started, finished, user, playbook, mode, status, " \
	"hosts, ok, changed, failed, unreachable, skipped, unknown, " \
	"commit_id AS 'commit', run_limit AS 'limit', pid, note"

int state_history(struct val **out, struct state *s, int limit)
{
	sqlite3_stmt *st = NULL;
	struct val *l;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLUMNS " FROM runs "
			       "ORDER BY id DESC LIMIT ?", -1, &st,
			       NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	sqlite3_bind_int(st, 1, limit);
	l = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_list_push(l, row_dict(st));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		val_unref(l);
		return error_from_sqlite(s->db, "read history");
	}
	*out = l;
	return 0;
}

int state_show(struct val **out, struct state *s, long long id)
{
	sqlite3_stmt *st = NULL;
	struct val *run = NULL, *results;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLUMNS " FROM runs "
			       "WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		run = row_dict(st);
	sqlite3_finalize(st);
	if (!run)
		return tend_error_set_code(TEND_ENOTFOUND, "no run %lld", id);
	if (sqlite3_prepare_v2(s->db, "SELECT host, play, task, module, file, "
			       "line, item, handler, status, changed, ignored, "
			       "diff, duration, error FROM results WHERE "
			       "run_id = ? ORDER BY seq", -1, &st,
			       NULL) != SQLITE_OK) {
		val_unref(run);
		return error_from_sqlite(s->db, "prepare");
	}
	sqlite3_bind_int64(st, 1, id);
	results = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_list_push(results, row_dict(st));
	sqlite3_finalize(st);
	val_dict_set(run, "results", results);
	if (rc != SQLITE_DONE) {
		val_unref(run);
		return error_from_sqlite(s->db, "read results");
	}
	*out = run;
	return 0;
}

/*
 * Maintenance windows (runner/window.c): a row per window and a row per
 * provider of it, so that a later process can close what a dead run left
 * open.
 */

static void bind_json(sqlite3_stmt *st, int i, const struct val *v)
{
	struct buf b = BUF_INIT;

	val_to_json(&b, v, 0);
	sqlite3_bind_text(st, i, b.ptr, (int)b.len, SQLITE_TRANSIENT);
	buf_release(&b);
}

static int window_rollback(struct state *s, int error)
{
	exec_sql(s, "ROLLBACK;");
	return error;
}

int state_window_begin(struct state *s, long long *id, const struct val *w)
{
	const struct val *providers = val_dict_get(w, "providers");
	sqlite3_stmt *st = NULL;
	char now[32], host[256] = "";
	int error;

	iso_now(now, sizeof(now));
	gethostname(host, sizeof(host) - 1);
	if ((error = exec_sql(s, "BEGIN IMMEDIATE;")) < 0)
		return error;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO windows (run_id, created, "
			       "starts_at, ends_at, grace, hosts, playbook, "
			       "commit_id, user, reason, plan, pid, controller,"
			       " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			       "?, ?, ?, 'open')", -1, &st, NULL) != SQLITE_OK)
		return window_rollback(s, error_from_sqlite(s->db, "prepare"));
	if (val_is(val_dict_get(w, "run_id"), VAL_INT))
		sqlite3_bind_int64(st, 1, val_dict_get(w, "run_id")->u.i);
	bind_text(st, 2, now);
	sqlite3_bind_int64(st, 3, val_dict_get(w, "starts_at")->u.i);
	sqlite3_bind_int64(st, 4, val_dict_get(w, "ends_at")->u.i);
	sqlite3_bind_int64(st, 5, val_dict_get(w, "grace")->u.i);
	bind_json(st, 6, val_dict_get(w, "hosts"));
	bind_text(st, 7, val_cstr(val_dict_get(w, "playbook")));
	bind_text(st, 8, val_cstr(val_dict_get(w, "commit")));
	bind_text(st, 9, val_cstr(val_dict_get(w, "user")));
	bind_text(st, 10, val_cstr(val_dict_get(w, "reason")));
	bind_text(st, 11, val_cstr(val_dict_get(w, "plan")));
	sqlite3_bind_int64(st, 12, (sqlite3_int64)getpid());
	bind_text(st, 13, host);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return window_rollback(s, error_from_sqlite(s->db,
							    "record a window"));
	}
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(s->db);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO window_providers (window_id,"
			       " seq, type, config, status) VALUES (?, ?, ?, ?,"
			       " 'opening')", -1, &st, NULL) != SQLITE_OK)
		return window_rollback(s, error_from_sqlite(s->db, "prepare"));
	for (size_t i = 0; i < val_len(providers); i++) {
		const struct val *p = val_list_at(providers, i);

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
		bind_text(st, 3, val_cstr(val_dict_get(p, "type")));
		bind_json(st, 4, val_dict_get(p, "config"));
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return window_rollback(s, error_from_sqlite(s->db,
						"record a window provider"));
		}
	}
	sqlite3_finalize(st);
	return exec_sql(s, "COMMIT;");
}

int state_window_provider(struct state *s, long long id, size_t seq,
			  const char *status, const char *external_id,
			  const char *error_msg)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(s->db, "UPDATE window_providers SET status = ?,"
			       " external_id = COALESCE(?, external_id), "
			       "error = COALESCE(?, error) WHERE window_id = ? "
			       "AND seq = ?", -1, &st, NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	bind_text(st, 1, status);
	bind_text(st, 2, external_id);
	bind_text(st, 3, error_msg);
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)seq);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = error_from_sqlite(s->db, "record a window provider");
	sqlite3_finalize(st);
	return error;
}

int state_window_update(struct state *s, long long id, long long ends_at,
			const char *status)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int error = 0;

	iso_now(now, sizeof(now));
	if (sqlite3_prepare_v2(s->db, "UPDATE windows SET ends_at = CASE WHEN "
			       "?1 > 0 THEN ?1 ELSE ends_at END, status = "
			       "COALESCE(?2, status), closed = CASE WHEN ?2 IN "
			       "('closed', 'expired', 'failed') THEN ?3 ELSE "
			       "closed END WHERE id = ?4", -1, &st,
			       NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	sqlite3_bind_int64(st, 1, ends_at);
	bind_text(st, 2, status);
	bind_text(st, 3, now);
	sqlite3_bind_int64(st, 4, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = error_from_sqlite(s->db, "update a window");
	sqlite3_finalize(st);
	return error;
}

/* Replace the JSON text of `key` in dict d by its parsed value. */
static void parse_json_column(struct val *d, const char *key)
{
	const char *text = val_cstr(val_dict_get(d, key));
	struct val *v = NULL;

	if (text && val_from_json(&v, text, strlen(text)) == 0)
		val_dict_set(d, key, v);
	else
		tend_error_clear();
}

int state_window_get(struct val **out, struct state *s, long long id)
{
	sqlite3_stmt *st = NULL;
	struct val *w = NULL, *providers;
	int rc;

	*out = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT id, run_id, created, starts_at, "
			       "ends_at, grace, hosts, playbook, commit_id AS "
			       "'commit', user, reason, plan, pid, controller, "
			       "status, closed FROM windows WHERE id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		w = row_dict(st);
	sqlite3_finalize(st);
	if (!w)
		return tend_error_set_code(TEND_ENOTFOUND, "no window %lld", id);
	parse_json_column(w, "hosts");
	if (sqlite3_prepare_v2(s->db, "SELECT seq, type, config, external_id,"
			       " status, error FROM window_providers WHERE "
			       "window_id = ? ORDER BY seq", -1, &st,
			       NULL) != SQLITE_OK) {
		val_unref(w);
		return error_from_sqlite(s->db, "prepare");
	}
	sqlite3_bind_int64(st, 1, id);
	providers = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct val *p = row_dict(st);

		parse_json_column(p, "config");
		val_list_push(providers, p);
	}
	sqlite3_finalize(st);
	val_dict_set(w, "providers", providers);
	if (rc != SQLITE_DONE) {
		val_unref(w);
		return error_from_sqlite(s->db, "read window providers");
	}
	*out = w;
	return 0;
}

static int window_id_list(struct val **out, struct state *s, const char *sql,
			  long long arg)
{
	sqlite3_stmt *st = NULL;
	struct val *l;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	l = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_list_push(l, val_int(sqlite3_column_int64(st, 0)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		val_unref(l);
		return error_from_sqlite(s->db, "read windows");
	}
	*out = l;
	return 0;
}

int state_window_ids(struct val **out, struct state *s, bool open_only)
{
	return window_id_list(out, s, open_only ?
			      "SELECT id FROM windows WHERE status = 'open' "
			      "ORDER BY id DESC" :
			      "SELECT id FROM windows ORDER BY id DESC", 0);
}

/* Whether `pid` of machine `ctl` may still run (another machine's may). */
static bool window_pid_alive(long long pid, const char *ctl, const char *host)
{
	if (ctl && strcmp(ctl, host))
		return true;
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

int state_window_orphans(struct val **out, struct state *s, long long now)
{
	sqlite3_stmt *st = NULL;
	struct val *l = NULL;
	char host[256] = "";
	int rc, error;

	*out = NULL;
	gethostname(host, sizeof(host) - 1);
	/* manual windows end by themselves: only mark them */
	if (sqlite3_prepare_v2(s->db, "UPDATE windows SET status = 'expired', "
			       "closed = strftime('%Y-%m-%dT%H:%M:%SZ', "
			       "ends_at, 'unixepoch') WHERE status = 'open' "
			       "AND run_id IS NULL AND ends_at <= ?", -1, &st,
			       NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return error_from_sqlite(s->db, "expire windows");
	if (sqlite3_prepare_v2(s->db, "SELECT w.id, w.pid, w.controller, "
			       "r.id, r.status, r.pid, r.controller FROM "
			       "windows w LEFT JOIN runs r ON r.id = w.run_id "
			       "WHERE w.status = 'open' AND w.run_id IS NOT "
			       "NULL ORDER BY w.id", -1, &st,
			       NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	l = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *wctl = (const char *)sqlite3_column_text(st, 2);
		const char *rstatus = (const char *)sqlite3_column_text(st, 4);
		const char *rctl = (const char *)sqlite3_column_text(st, 6);
		bool alive;

		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			alive = window_pid_alive(sqlite3_column_int64(st, 1),
						 wctl, host);
		else
			alive = rstatus && !strcmp(rstatus, "running") &&
				window_pid_alive(sqlite3_column_int64(st, 5),
						 rctl, host);
		if (!alive)
			val_list_push(l, val_int(sqlite3_column_int64(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		error = error_from_sqlite(s->db, "read windows");
		val_unref(l);
		return error;
	}
	*out = l;
	return 0;
}

int state_run_durations(struct val **out, struct state *s,
			const char *playbook, int limit)
{
	sqlite3_stmt *st = NULL;
	struct val *l;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT (julianday(finished) - "
			       "julianday(started)) * 86400.0 FROM runs WHERE "
			       "playbook = ? AND mode = 'apply' AND status = "
			       "'ok' AND finished IS NOT NULL ORDER BY id DESC "
			       "LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return error_from_sqlite(s->db, "prepare");
	bind_text(st, 1, playbook);
	sqlite3_bind_int(st, 2, limit);
	l = val_list();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		val_list_push(l, val_float(sqlite3_column_double(st, 0)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		val_unref(l);
		return error_from_sqlite(s->db, "read run durations");
	}
	*out = l;
	return 0;
}
