#ifndef TEND_UTIL_READLOG_H
#define TEND_UTIL_READLOG_H

/*
 * The files a run read as its input: playbooks and the task and vars
 * files they name, lookup('file'), copy and template sources, inventory
 * files. A saved plan binds them (store/plan.h): it records a digest of
 * each, and `tend apply plan.json` refuses the plan if one of them reads
 * differently now.
 *
 * Readers of run input call readlog_read instead of buf_read_file, which
 * also confines them to a git source's checkout (util/fs.h) (or
 * readlog_note after reading a file some other way); the call records the
 * file in the calling thread's log, if one is in use (readlog_use), and is
 * buf_read_file otherwise. Files that are not the run's input (tend.yml,
 * --secrets, known_hosts, the state DB) are read with buf_read_file and
 * never logged: a secrets file's digest must not leave the process.
 *
 * The log in use is per thread. A thread that works for a run (the
 * executor's workers, engine/schedule.c) uses its parent's log, so one
 * run has one log. The log itself is shared by those threads and locks.
 */

#include "tend/util/buf.h"

struct readlog;

/* A new, empty log (readlog_free frees it). */
struct readlog *readlog_new(void);
void readlog_free(struct readlog *log);

/*
 * Record this thread's reads of run input in `log` (NULL: in none) from
 * now on. Returns the log used until now, to restore.
 */
struct readlog *readlog_use(struct readlog *log);

/* The log this thread records in, or NULL. */
struct readlog *readlog_current(void);

/*
 * fs_read_beneath (confined to `root`, NULL: anywhere), and then the
 * file's path and the SHA-256 of what was read recorded in the thread's
 * log. Same returns as fs_read_beneath.
 */
int readlog_read(struct buf *b, const char *root, const char *path);

/*
 * Record that `path` was read and held `len` bytes of `data`. The path is
 * made absolute with symlinks resolved; a file already in the log keeps
 * its first record (what the run saw first). Never fails: a path that
 * cannot be resolved is recorded as given.
 */
void readlog_note(const char *path, const void *data, size_t len);

/* How many files are in `log`. */
size_t readlog_count(struct readlog *log);

/*
 * The i-th file of `log` (in the order first read): its absolute path
 * (borrowed: it lives as long as the log) and the SHA-256 of its content
 * as the run first read it.
 */
const char *readlog_at(struct readlog *log, size_t i,
		       unsigned char sha256[32]);

/*
 * Look `path` (absolute) up: true with its SHA-256 in `sha256` if the run
 * read it.
 */
bool readlog_find(struct readlog *log, const char *path,
		  unsigned char sha256[32]);

#endif
