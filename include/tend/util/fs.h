#ifndef TEND_UTIL_FS_H
#define TEND_UTIL_FS_H

/* Whole files in and out of a struct buf. */

#include "tend/util/buf.h"

/*
 * Read a whole file into b (appending). Returns 0, or -1 with the error
 * set ("cannot read 'path': reason"); TEND_ENOTFOUND if it does not exist.
 */
int buf_read_file(struct buf *b, const char *path);

/*
 * Write `len` bytes to `path` atomically: a temp file beside it, fsync,
 * rename. Returns 0 or -1 with the error set.
 */
int buf_write_file_atomic(const char *path, const void *data, size_t len,
			  unsigned int mode);

/*
 * Append the user's home directory: $HOME, else the password database's.
 * Returns 0 or -1 with the error set.
 */
int fs_home_dir(struct buf *out);

#endif
