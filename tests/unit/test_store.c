#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/data/result.h"
#include "tend/data/val.h"
#include "tend/store/store.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"

/*
 * The store: schema migrations from every older version (DBs written here
 * with the SQL the older tends used, never with this tend's migrations),
 * the refusal of a newer schema, locks between handles and processes,
 * resources, and the NULL-op contract of the backend vtable.
 */

static char scratch[] = "/tmp/tend-store-test.XXXXXX";
static int db_nr;

/* A new DB path in the scratch directory (caller frees). */
static char *db_path(void)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/db%d/state.db", scratch, ++db_nr);
	return buf_detach(&b, NULL);
}

/* Run `sql` on the file at `path` with SQLite itself. */
static void raw_exec(const char *path, const char *sql)
{
	struct buf dir = BUF_INIT;
	sqlite3 *h = NULL;
	char *msg = NULL;

	buf_sets(&dir, path);
	*strrchr(dir.ptr, '/') = '\0';
	mkdir(dir.ptr, 0700);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(h);
	buf_release(&dir);
}

/* The first column of the first row of `sql`, as text (caller frees). */
static char *raw_query(const char *path, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static int raw_query_count(const char *path, const char *sql)
{
	char *text = raw_query(path, sql);
	int n = text ? atoi(text) : -1;

	free(text);
	return n;
}

static void assert_query(const char *path, const char *sql, const char *want)
{
	char *got = raw_query(path, sql);

	if (!got || strcmp(got, want))
		fail_msg("%s: got '%s', want '%s'", sql, got ? got : "(none)",
			 want);
	free(got);
}

/* The columns of `table`, comma-separated, in order. */
static void assert_columns(const char *path, const char *table,
			   const char *want)
{
	struct buf sql = BUF_INIT;

	buf_addf(&sql, "SELECT group_concat(name, ',') FROM (SELECT name FROM "
		 "pragma_table_info('%s') ORDER BY cid)", table);
	assert_query(path, sql.ptr, want);
	buf_release(&sql);
}

#define RUNS_V1 \
	"id,started,finished,user,controller,pid,playbook,mode,commit_id," \
	"run_limit,status,hosts,ok,changed,failed,unreachable,skipped,unknown"

#define RESULTS_V1 \
	"run_id,seq,host,play,task,module,file,line,item,handler,status," \
	"changed,ignored,diff,duration,error"

/* What 59cdda9 (the first tend with a state DB) created. */
static const char runs_results_sql[] =
	"CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
	"  finished TEXT, user TEXT, controller TEXT, pid INTEGER,"
	"  playbook TEXT, mode TEXT NOT NULL, commit_id TEXT, run_limit TEXT,"
	"  status TEXT NOT NULL, hosts INTEGER DEFAULT 0, ok INTEGER DEFAULT 0,"
	"  changed INTEGER DEFAULT 0, failed INTEGER DEFAULT 0,"
	"  unreachable INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0,"
	"  unknown INTEGER DEFAULT 0);"
	"CREATE TABLE results (run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  seq INTEGER NOT NULL, host TEXT NOT NULL, play TEXT, task TEXT,"
	"  module TEXT, file TEXT, line INTEGER, item TEXT, handler INTEGER,"
	"  status TEXT NOT NULL, changed INTEGER, ignored INTEGER, diff TEXT,"
	"  duration REAL, error TEXT, PRIMARY KEY (run_id, seq));"
	"CREATE INDEX runs_status ON runs(status);"
	"INSERT INTO runs (started, finished, mode, status, playbook, ok) "
	"  VALUES ('2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', 'apply',"
	"  'ok', 'old.yml', 4);"
	"INSERT INTO results (run_id, seq, host, task, status) "
	"  VALUES (1, 1, 'web1', 'old task', 'ok');";

/* The window tables d80a9a1 added (with runs.note, still stamping 1). */
static const char windows_sql[] =
	"CREATE TABLE windows (id INTEGER PRIMARY KEY, run_id INTEGER,"
	"  created TEXT NOT NULL, starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER NOT NULL, grace INTEGER DEFAULT 0,"
	"  hosts TEXT NOT NULL, playbook TEXT, commit_id TEXT, user TEXT,"
	"  reason TEXT, plan TEXT, pid INTEGER, controller TEXT,"
	"  status TEXT NOT NULL, closed TEXT);"
	"CREATE TABLE window_providers ("
	"  window_id INTEGER NOT NULL REFERENCES windows(id),"
	"  seq INTEGER NOT NULL, type TEXT NOT NULL, config TEXT NOT NULL,"
	"  external_id TEXT, status TEXT NOT NULL, error TEXT,"
	"  PRIMARY KEY (window_id, seq));"
	"INSERT INTO windows (run_id, created, starts_at, ends_at, hosts,"
	"  status, closed) VALUES (1, '2026-01-01T00:00:00Z', 1767225600,"
	"  1767229200, '[\"web1\"]', 'closed', '2026-01-01T00:01:00Z');"
	"INSERT INTO window_providers (window_id, seq, type, config, status)"
	"  VALUES (1, 0, 'alertmanager', '{\"url\":\"http://am\"}', 'closed');";

/*
 * What version 3 (locks, resources) and 4 (runs.run_trigger, drift)
 * added, over runs_results_sql, windows_sql and runs.note.
 */
static const char v3_v4_sql[] =
	"ALTER TABLE runs ADD COLUMN note TEXT;"
	"CREATE TABLE locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL,"
	"  pid INTEGER, controller TEXT, acquired TEXT NOT NULL,"
	"  expires_at INTEGER);"
	"CREATE TABLE resources (kind TEXT NOT NULL, name TEXT NOT NULL,"
	"  attributes TEXT NOT NULL, created TEXT NOT NULL,"
	"  updated TEXT NOT NULL, expires_at INTEGER,"
	"  PRIMARY KEY (kind, name));"
	"CREATE INDEX resources_expires ON resources(expires_at);"
	"ALTER TABLE runs ADD COLUMN run_trigger TEXT;"
	"CREATE TABLE drift (id INTEGER PRIMARY KEY, host TEXT NOT NULL,"
	"  schedule TEXT, run_id INTEGER, detected TEXT NOT NULL,"
	"  tasks TEXT NOT NULL);"
	"CREATE INDEX drift_host ON drift(host, id);";

/*
 * Open the DB at `path` (made by an older tend) and check that it is now
 * at the newest schema with the old run, its result and (if `window`)
 * its window still there.
 */
static void assert_migrated(const char *path, bool window)
{
	struct store *s = NULL;
	struct val *runs = NULL, *run = NULL, *w = NULL;

	assert_ok(store_open(&s, path));
	store_close(s);
	assert_query(path, "PRAGMA user_version", "5");
	assert_columns(path, "runs", RUNS_V1 ",note,run_trigger");
	assert_columns(path, "locks",
		       "name,owner,pid,controller,acquired,expires_at");
	assert_columns(path, "resources",
		       "kind,name,attributes,created,updated,expires_at");
	assert_columns(path, "window_providers",
		       "window_id,seq,type,config,external_id,status,error");
	assert_columns(path, "results", RESULTS_V1 ",detail");
	assert_query(path, "SELECT count(*) FROM sqlite_master WHERE name IN "
		     "('runs_status', 'resources_expires')", "2");
	assert_ok(store_open(&s, path));
	assert_ok(store_history(&runs, s, 10));
	assert_int_equal(val_len(runs), 1);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(runs, 0),
						  "playbook")), "old.yml");
	assert_ok(store_show(&run, s, 1));
	assert_string_equal(val_cstr(val_dict_get(val_list_at(
		val_dict_get(run, "results"), 0), "task")), "old task");
	/* no failure detail was recorded then: null */
	assert_true(val_is(val_dict_get(val_list_at(val_dict_get(run,
		"results"), 0), "stderr"), VAL_NULL));
	if (window) {
		assert_ok(store_window_get(&w, s, 1));
		assert_string_equal(val_cstr(val_dict_path(val_list_at(
			val_dict_get(w, "providers"), 0), "config.url")),
			"http://am");
	}
	val_unref(runs);
	val_unref(run);
	val_unref(w);
	store_close(s);
}

static void test_store__fresh(void **state)
{
	char *path = db_path();
	struct store *s = NULL;
	struct stat sb;

	(void)state;
	assert_ok(store_open(&s, path));
	store_close(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_query(path, "PRAGMA user_version", "5");
	assert_query(path, "PRAGMA journal_mode", "wal");
	assert_columns(path, "runs", RUNS_V1 ",note,run_trigger");
	/* opening again changes nothing */
	assert_ok(store_open(&s, path));
	store_close(s);
	assert_query(path, "PRAGMA user_version", "5");
	free(path);
}

/* v1 tables, no stamp: tend never wrote this, but a hand-made DB may be. */
static void test_store__migrate_legacy_0(void **state)
{
	char *path = db_path();
	struct buf sql = BUF_INIT;

	(void)state;
	buf_addf(&sql, "%s%s", runs_results_sql, windows_sql);
	raw_exec(path, sql.ptr);
	assert_query(path, "PRAGMA user_version", "0");
	assert_migrated(path, true);
	buf_release(&sql);
	free(path);
}

/* 59cdda9: runs and results, stamped 1, no window tables. */
static void test_store__migrate_v1_first(void **state)
{
	char *path = db_path();
	struct buf sql = BUF_INIT;

	(void)state;
	buf_addf(&sql, "%sPRAGMA user_version=1;", runs_results_sql);
	raw_exec(path, sql.ptr);
	assert_migrated(path, false);
	assert_columns(path, "windows", "id,run_id,created,starts_at,ends_at,"
		       "grace,hosts,playbook,commit_id,user,reason,plan,pid,"
		       "controller,status,closed");
	buf_release(&sql);
	free(path);
}

/* d80a9a1: windows, and runs.note already, still stamped 1. */
static void test_store__migrate_v1_windows(void **state)
{
	char *path = db_path();
	struct buf sql = BUF_INIT;

	(void)state;
	buf_addf(&sql, "%s%sALTER TABLE runs ADD COLUMN note TEXT;"
		 "UPDATE runs SET note = 'kept';PRAGMA user_version=1;",
		 runs_results_sql, windows_sql);
	raw_exec(path, sql.ptr);
	assert_migrated(path, true);
	assert_query(path, "SELECT note FROM runs WHERE id = 1", "kept");
	buf_release(&sql);
	free(path);
}

/* c4e2702 and later: every table but locks and resources, stamped 2. */
static void test_store__migrate_v2(void **state)
{
	char *path = db_path();
	struct buf sql = BUF_INIT;

	(void)state;
	buf_addf(&sql, "%s%sALTER TABLE runs ADD COLUMN note TEXT;"
		 "PRAGMA user_version=2;", runs_results_sql, windows_sql);
	raw_exec(path, sql.ptr);
	assert_migrated(path, true);
	buf_release(&sql);
	free(path);
}

/* b216efd and before: version 4, results without detail. */
static void test_store__migrate_v4(void **state)
{
	char *path = db_path();
	struct buf sql = BUF_INIT;

	(void)state;
	buf_addf(&sql, "%s%s%sPRAGMA user_version=4;", runs_results_sql,
		 windows_sql, v3_v4_sql);
	raw_exec(path, sql.ptr);
	assert_migrated(path, true);
	buf_release(&sql);
	free(path);
}

/*
 * A failure's detail (result_detail_json) goes in and comes out of
 * store_show as the result's rc, stdout and stderr; other results have
 * them null.
 */
static void test_store__result_detail(void **state)
{
	char *path = db_path();
	struct store *s = NULL;
	struct val *run = NULL, *d = val_dict();
	struct run_info info = { .playbook = "pb.yml", .mode = "apply" };
	char host[] = "web1", task[] = "t", module[] = "command";
	struct run_event ev = { .host = host, .task = task, .module = module,
				.status = EV_FAILED };
	const struct val *r;
	long long id;

	(void)state;
	val_dict_set(d, "rc", val_int(3));
	val_dict_set_str(d, "stdout", "-x %s \\ {{ x }}");
	ev.detail_json = result_detail_json(d);
	assert_ok(store_open(&s, path));
	assert_ok(store_run_begin(s, &id, &info));
	assert_ok(store_run_event(s, id, &ev));
	ev.status = EV_OK; /* only a failure's is kept */
	assert_ok(store_run_event(s, id, &ev));
	assert_ok(store_show(&run, s, id));
	r = val_list_at(val_dict_get(run, "results"), 0);
	assert_int_equal(val_dict_get(r, "rc")->u.i, 3);
	assert_string_equal(val_cstr(val_dict_get(r, "stdout")),
			    "-x %s \\ {{ x }}");
	assert_true(val_is(val_dict_get(r, "stderr"), VAL_NULL));
	assert_null(val_dict_get(r, "detail"));
	r = val_list_at(val_dict_get(run, "results"), 1);
	assert_true(val_is(val_dict_get(r, "rc"), VAL_NULL));
	assert_true(val_is(val_dict_get(r, "stdout"), VAL_NULL));
	store_close(s);
	assert_query(path, "SELECT count(*) FROM results WHERE detail IS NULL",
		     "1");
	free(ev.detail_json);
	val_unref(run);
	val_unref(d);
	free(path);
}

/*
 * A tend from before version 3, run on a version-3 DB, stamps it back to
 * 2 and leaves locks and resources in place: this tend migrates it again.
 */
static void test_store__migrate_after_downgrade(void **state)
{
	char *path = db_path();
	struct store *s = NULL;

	(void)state;
	assert_ok(store_open(&s, path));
	store_close(s);
	raw_exec(path, "PRAGMA user_version=2;");
	assert_ok(store_open(&s, path));
	store_close(s);
	assert_query(path, "PRAGMA user_version", "5");
	free(path);
}

/* A DB from a newer tend is refused and left exactly as it was. */
static void test_store__newer_refused(void **state)
{
	char *path = db_path();
	struct store *s = NULL;
	struct buf sql = BUF_INIT;

	(void)state;
	buf_addf(&sql, "%s%sALTER TABLE runs ADD COLUMN note TEXT;"
		 "PRAGMA user_version=6;", runs_results_sql, windows_sql);
	raw_exec(path, sql.ptr);
	assert_int_equal(store_open(&s, path), -1);
	assert_null(s);
	assert_non_null(strstr(tend_error_last(), "schema version 6 is newer "
			       "than this tend knows (5)"));
	assert_non_null(strstr(tend_error_last(), path));
	assert_query(path, "PRAGMA user_version", "6");
	assert_query(path, "PRAGMA journal_mode", "delete");
	assert_query(path, "SELECT count(*) FROM sqlite_master WHERE name = "
		     "'locks'", "0");
	tend_error_clear();
	buf_release(&sql);
	free(path);
}

static void test_store__postgres_refused(void **state)
{
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open(&s, "postgres://tend@db/tend"), -1);
	assert_null(s);
	assert_string_equal(tend_error_last(), "cannot open state store "
			    "'postgres://tend@db/tend': PostgreSQL stores are "
			    "not supported yet");
	tend_error_clear();
}

/* Two handles on one DB, as two processes would have. */
static void test_store__lock_contention(void **state)
{
	char *path = db_path();
	struct store *a = NULL, *b = NULL;
	struct val *who = NULL, *broken = NULL;
	bool got;

	(void)state;
	assert_ok(store_open(&a, path));
	assert_ok(store_open(&b, path));
	assert_ok(store_lock_acquire(a, "playbook:site.yml", "run 1", 0, &got,
				     &broken));
	assert_true(got);
	assert_null(broken); /* it was free: nobody lost it */
	assert_ok(store_lock_acquire(b, "playbook:site.yml", "run 2", 0, &got,
				     &broken));
	assert_false(got);
	assert_null(broken);
	/* whoever is refused can say who holds it */
	assert_ok(store_lock_holder(&who, b, "playbook:site.yml"));
	assert_non_null(who);
	assert_string_equal(val_cstr(val_dict_get(who, "owner")), "run 1");
	assert_int_equal(val_dict_get(who, "pid")->u.i, (long long)getpid());
	val_unref(who);
	assert_ok(store_lock_holder(&who, b, "playbook:none.yml"));
	assert_null(who);
	/* another lock is another matter */
	assert_ok(store_lock_acquire(b, "playbook:db.yml", "run 2", 0, &got,
				     NULL));
	assert_true(got);
	/* the holder may renew; nobody else may release */
	assert_ok(store_lock_acquire(a, "playbook:site.yml", "run 1", 60,
				     &got, &broken));
	assert_true(got);
	assert_null(broken); /* a renewal breaks nothing */
	assert_int_equal(store_lock_release(b, "playbook:site.yml", "run 2"),
			 TEND_ENOTFOUND);
	assert_ok(store_lock_release(a, "playbook:site.yml", "run 1"));
	assert_ok(store_lock_acquire(b, "playbook:site.yml", "run 2", 0, &got,
				     NULL));
	assert_true(got);
	assert_int_equal(store_lock_release(a, "playbook:site.yml", "run 1"),
			 TEND_ENOTFOUND);
	tend_error_clear();
	assert_ok(store_lock_release(b, "playbook:site.yml", "run 2"));
	/* released: free */
	assert_ok(store_lock_holder(&who, a, "playbook:site.yml"));
	assert_null(who);
	store_close(a);
	store_close(b);
	free(path);
}

/* A lock past its expiry can be taken even from a live holder. */
static void test_store__lock_expiry(void **state)
{
	char *path = db_path();
	struct store *a = NULL, *b = NULL;
	struct val *broken = NULL;
	bool got;

	(void)state;
	assert_ok(store_open(&a, path));
	assert_ok(store_open(&b, path));
	/*
	 * Expiry is kept in whole seconds: a lease of 3 s is still held a
	 * moment later however the second ticks (1 s was not, on a loaded
	 * machine), and gone 4 s later.
	 */
	assert_ok(store_lock_acquire(a, "daemon", "a", 3, &got, NULL));
	assert_true(got);
	assert_ok(store_lock_acquire(b, "daemon", "b", 3, &got, NULL));
	assert_false(got);
	sleep(4);
	assert_ok(store_lock_acquire(b, "daemon", "b", 0, &got, &broken));
	assert_true(got);
	/* taken from a live holder: said, with why */
	assert_non_null(broken);
	assert_string_equal(val_cstr(val_dict_get(broken, "owner")), "a");
	assert_int_equal(val_dict_get(broken, "pid")->u.i, (long long)getpid());
	assert_string_equal(val_cstr(val_dict_get(broken, "why")),
			    "it expired");
	val_unref(broken);
	assert_int_equal(store_lock_release(a, "daemon", "a"), TEND_ENOTFOUND);
	tend_error_clear();
	store_close(a);
	store_close(b);
	free(path);
}

/*
 * Children race for one lock at once and hold what they got until the
 * parent has seen it: exactly one gets it. Then they are gone, and the
 * lock of a dead process can be taken.
 */
static void test_store__lock_processes(void **state)
{
	char *path = db_path();
	struct store *s = NULL;
	int go[2], hold[2], tried[2], winners = 0;
	pid_t pids[6], winner = 0;
	struct val *broken = NULL;
	bool got;
	char c;

	(void)state;
	assert_ok(store_open(&s, path));
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(hold), 0);
	assert_int_equal(pipe(tried), 0);
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *mine = NULL;
			bool won = false;

			close(go[1]);
			close(hold[1]);
			close(tried[0]);
			if (store_open(&mine, path) < 0 ||
			    read(go[0], &c, 1) != 0 ||
			    store_lock_acquire(mine, "pb", "child", 0,
					       &won, NULL) < 0 ||
			    write(tried[1], "x", 1) != 1)
				_exit(2);
			/* hold it until the parent has looked */
			if (read(hold[0], &c, 1) != 0)
				_exit(2);
			_exit(won ? 1 : 0);
		}
	}
	close(go[0]);
	close(hold[0]);
	close(tried[1]);
	close(go[1]); /* all start at once */
	/* wait until one holds it: the parent is refused meanwhile */
	for (int i = 0; i < 100; i++) {
		if (raw_query_count(path, "SELECT count(*) FROM locks") == 1)
			break;
		usleep(50 * 1000);
	}
	assert_ok(store_lock_acquire(s, "pb", "parent", 0, &got, &broken));
	assert_false(got);
	assert_null(broken);
	/*
	 * Every child has tried before any lets go: a child still trying
	 * when the winner exits would rightly take the dead winner's lock.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++)
		assert_int_equal(read(tried[0], &c, 1), 1);
	close(tried[0]);
	close(hold[1]);
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) < 2);
		winners += WEXITSTATUS(status);
		if (WEXITSTATUS(status))
			winner = pids[i];
	}
	assert_int_equal(winners, 1);
	assert_ok(store_lock_acquire(s, "pb", "parent", 0, &got, &broken));
	assert_true(got);
	/* the dead winner's lock: broken, and the store says whose it was */
	assert_non_null(broken);
	assert_string_equal(val_cstr(val_dict_get(broken, "owner")), "child");
	assert_true(val_dict_get(broken, "pid")->u.i == (long long)winner);
	assert_non_null(val_cstr(val_dict_get(broken, "controller")));
	assert_non_null(val_cstr(val_dict_get(broken, "acquired")));
	assert_string_equal(val_cstr(val_dict_get(broken, "why")),
			    "its process is gone");
	val_unref(broken);
	/* taken again by its holder: nothing broken */
	assert_ok(store_lock_acquire(s, "pb", "parent", 0, &got, &broken));
	assert_true(got);
	assert_null(broken);
	store_close(s);
	free(path);
}

static void test_store__resources(void **state)
{
	char *path = db_path();
	struct store *s = NULL;
	struct val *attrs = val_dict(), *r = NULL, *l = NULL;
	char *created;

	(void)state;
	assert_ok(store_open(&s, path));
	val_dict_set_str(attrs, "region", "eu-west-1");
	val_dict_set_int(attrs, "size", 2);
	assert_ok(store_resource_put(s, "instance", "web1", attrs, 1900000000));
	assert_ok(store_resource_put(s, "instance", "web2", attrs, 0));
	assert_ok(store_resource_put(s, "bucket", "logs", attrs, 0));
	assert_ok(store_resource_get(&r, s, "instance", "web1"));
	assert_string_equal(val_cstr(val_dict_path(r, "attributes.region")),
			    "eu-west-1");
	assert_int_equal(val_dict_path(r, "attributes.size")->u.i, 2);
	assert_int_equal(val_dict_get(r, "expires_at")->u.i, 1900000000);
	created = xstrdup(val_cstr(val_dict_get(r, "created")));
	val_unref(r);
	/* put again: replaced, created kept, no expiry */
	val_dict_set_int(attrs, "size", 4);
	assert_ok(store_resource_put(s, "instance", "web1", attrs, 0));
	assert_ok(store_resource_get(&r, s, "instance", "web1"));
	assert_int_equal(val_dict_path(r, "attributes.size")->u.i, 4);
	assert_true(val_is(val_dict_get(r, "expires_at"), VAL_NULL));
	assert_string_equal(val_cstr(val_dict_get(r, "created")), created);
	val_unref(r);
	assert_ok(store_resource_list(&l, s, "instance"));
	assert_int_equal(val_len(l), 2);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 1), "name")),
			    "web2");
	val_unref(l);
	assert_ok(store_resource_list(&l, s, NULL));
	assert_int_equal(val_len(l), 3);
	assert_string_equal(val_cstr(val_dict_get(val_list_at(l, 0), "kind")),
			    "bucket");
	val_unref(l);
	assert_ok(store_resource_delete(s, "instance", "web1"));
	assert_int_equal(store_resource_get(&r, s, "instance", "web1"),
			 TEND_ENOTFOUND);
	assert_null(r);
	assert_int_equal(store_resource_delete(s, "instance", "web1"),
			 TEND_ENOTFOUND);
	assert_string_equal(tend_error_last(), "no resource instance 'web1'");
	tend_error_clear();
	free(created);
	val_unref(attrs);
	store_close(s);
	free(path);
}

/* A backend without an op: the store_* function says so, nothing else. */
static int fake_closed;

static void fake_close(struct store *s)
{
	(void)s;
	fake_closed++;
}

static void test_store__missing_op(void **state)
{
	static const struct store_ops fake_ops = {
		.name = "fake",
		.close = fake_close,
	};
	struct store fake = { .ops = &fake_ops };
	struct val *sentinel = val_str("x"), *broken = sentinel;
	bool got = true;

	(void)state;
	assert_int_equal(store_lock_acquire(&fake, "x", "y", 0, &got, &broken),
			 -1);
	assert_false(got);
	assert_null(broken);
	val_unref(sentinel);
	assert_string_equal(tend_error_last(),
			    "the fake store cannot lock_acquire");
	assert_int_equal(store_reap(&fake), -1);
	tend_error_clear();
	store_close(&fake);
	store_close(NULL);
	assert_int_equal(fake_closed, 1);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(scratch) ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct buf cmd = BUF_INIT;

	(void)state;
	buf_addf(&cmd, "rm -rf '%s'", scratch);
	if (system(cmd.ptr) != 0)
		fprintf(stderr, "cannot remove %s\n", scratch);
	buf_release(&cmd);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store__fresh),
		cmocka_unit_test(test_store__migrate_legacy_0),
		cmocka_unit_test(test_store__migrate_v1_first),
		cmocka_unit_test(test_store__migrate_v1_windows),
		cmocka_unit_test(test_store__migrate_v2),
		cmocka_unit_test(test_store__migrate_v4),
		cmocka_unit_test(test_store__result_detail),
		cmocka_unit_test(test_store__migrate_after_downgrade),
		cmocka_unit_test(test_store__newer_refused),
		cmocka_unit_test(test_store__postgres_refused),
		cmocka_unit_test(test_store__lock_contention),
		cmocka_unit_test(test_store__lock_expiry),
		cmocka_unit_test(test_store__lock_processes),
		cmocka_unit_test(test_store__resources),
		cmocka_unit_test(test_store__missing_op),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
