#include "tend/common.h"
#include "tend/store/sqlite_int.h"
#include "tend/util/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The SQLite store: one file, WAL mode (readers never wait for the
 * writer), every write in a transaction, a 5 s busy timeout for writers
 * of other processes.
 */

static void sqlite_close(struct store *base)
{
	struct sqlite_store *s = sqlite_of(base);

	sqlite3_finalize(s->ins_event);
	sqlite3_close(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,

	.reap = sqlite_runs_reap,
	.run_begin = sqlite_runs_begin,
	.run_event = sqlite_runs_event,
	.run_finish = sqlite_runs_finish,
	.history = sqlite_runs_history,
	.show = sqlite_runs_show,
	.run_durations = sqlite_runs_durations,

	.window_begin = sqlite_windows_begin,
	.window_provider = sqlite_windows_provider,
	.window_update = sqlite_windows_update,
	.window_get = sqlite_windows_get,
	.window_ids = sqlite_windows_ids,
	.window_orphans = sqlite_windows_orphans,

	.lock_acquire = sqlite_locks_acquire,
	.lock_release = sqlite_locks_release,
	.lock_holder = sqlite_locks_holder,

	.resource_put = sqlite_resources_put,
	.resource_get = sqlite_resources_get,
	.resource_list = sqlite_resources_list,
	.resource_delete = sqlite_resources_delete,
	.drift_add = sqlite_drift_add,
	.drift_list = sqlite_drift_list,
};

/* The directories above `path`, 0700, as needed. */
static int mkdirs(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int error;

	if (!slash || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	error = fs_mkdirs(dir, 0700);
	free(dir);
	return error;
}

/*
 * Create the file ourselves, 0600: SQLite would make it 0644, and its
 * -wal and -shm files take the database file's mode. Only when it does
 * not exist: closing any descriptor of the file drops every POSIX lock
 * this process holds on it, so opening it again beside a connection
 * still open (the daemon's) would pull that connection's locks away
 * and let another process write under it.
 */
static int create_private(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) == 0)
		return 0;
	if (mkdirs(path) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return tend_error_set("cannot open state DB '%s': %s", path,
				      strerror(errno));
	close(fd);
	return 0;
}

static int open_db(struct sqlite_store *s, const char *path)
{
	int error;

	if ((error = create_private(path)) < 0)
		return error;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK)
		return tend_error_set("cannot open state DB '%s': %s", path,
				      s->db ? sqlite3_errmsg(s->db) :
				      "out of memory");
	sqlite3_busy_timeout(s->db, 5000);
	/* before WAL mode, which writes to the file */
	if ((error = sqlite_schema_check(s, path)) < 0)
		return error;
	if ((error = sqlite_db_exec(s, "PRAGMA journal_mode=WAL;"
				    "PRAGMA synchronous=NORMAL;"
				    "PRAGMA foreign_keys=ON;")) < 0 ||
	    (error = sqlite_schema_migrate(s, path)) < 0)
		return error;
	return sqlite_db_prepare(&s->ins_event, s,
		"INSERT INTO results (run_id, seq, host, play, task, module, "
		"file, line, item, handler, status, changed, ignored, diff, "
		"duration, error, detail) VALUES (?1, (SELECT COALESCE(MAX(seq), "
		"0) + 1 FROM results WHERE run_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
}

int store_sqlite_open(struct store **out, const char *path)
{
	struct sqlite_store *s = xcalloc(1, sizeof(*s));
	int error;

	*out = NULL;
	s->base.ops = &sqlite_ops;
	if ((error = open_db(s, path)) < 0) {
		sqlite_close(&s->base);
		return error;
	}
	*out = &s->base;
	return 0;
}
