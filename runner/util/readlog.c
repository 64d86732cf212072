#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/fs.h"
#include "tend/util/readlog.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include <sodium.h>

struct readlog_file {
	char *path;
	unsigned char sha256[crypto_hash_sha256_BYTES];
};

struct readlog {
	pthread_mutex_t lock; /* the executor's workers note concurrently */
	struct readlog_file *files;
	size_t nr, alloc;
};

/* Per thread: a daemon may run several jobs, each with its own log. */
static _Thread_local struct readlog *current;

struct readlog *readlog_new(void)
{
	struct readlog *log = xcalloc(1, sizeof(*log));

	pthread_mutex_init(&log->lock, NULL);
	return log;
}

void readlog_free(struct readlog *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->nr; i++)
		free(log->files[i].path);
	free(log->files);
	pthread_mutex_destroy(&log->lock);
	free(log);
}

struct readlog *readlog_use(struct readlog *log)
{
	struct readlog *prev = current;

	current = log;
	return prev;
}

struct readlog *readlog_current(void)
{
	return current;
}

static struct readlog_file *find(struct readlog *log, const char *path)
{
	for (size_t i = 0; i < log->nr; i++)
		if (!strcmp(log->files[i].path, path))
			return &log->files[i];
	return NULL;
}

void readlog_note(const char *path, const void *data, size_t len)
{
	struct readlog *log = current;
	char *abs;

	if (!log)
		return;
	/*
	 * One name per file however it was reached ("pb/../x.yml", a
	 * symlink): the apply compares by this name.
	 */
	if (!(abs = realpath(path, NULL)))
		abs = xstrdup(path);
	pthread_mutex_lock(&log->lock);
	if (!find(log, abs)) {
		struct readlog_file *f;

		ALLOC_GROW(log->files, log->nr + 1, log->alloc);
		f = &log->files[log->nr++];
		f->path = abs;
		abs = NULL;
		crypto_hash_sha256(f->sha256, data, len);
	}
	pthread_mutex_unlock(&log->lock);
	free(abs);
}

int readlog_read(struct buf *b, const char *root, const char *path)
{
	size_t start = b->len;
	int error = fs_read_beneath(b, root, path);

	if (!error)
		readlog_note(path, b->ptr + start, b->len - start);
	return error;
}

size_t readlog_count(struct readlog *log)
{
	size_t nr;

	pthread_mutex_lock(&log->lock);
	nr = log->nr;
	pthread_mutex_unlock(&log->lock);
	return nr;
}

const char *readlog_at(struct readlog *log, size_t i,
		       unsigned char sha256[32])
{
	const char *path;

	pthread_mutex_lock(&log->lock);
	if (i >= log->nr)
		BUG("readlog_at(%zu) of %zu files", i, log->nr);
	memcpy(sha256, log->files[i].sha256, 32);
	path = log->files[i].path;
	pthread_mutex_unlock(&log->lock);
	return path;
}

bool readlog_find(struct readlog *log, const char *path,
		  unsigned char sha256[32])
{
	struct readlog_file *f;

	pthread_mutex_lock(&log->lock);
	if ((f = find(log, path)))
		memcpy(sha256, f->sha256, 32);
	pthread_mutex_unlock(&log->lock);
	return f != NULL;
}
