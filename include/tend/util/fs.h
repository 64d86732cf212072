#ifndef TEND_UTIL_FS_H
#define TEND_UTIL_FS_H

/*
 * Whole files in and out of a struct buf, and reads confined to a
 * directory: a git source's checkout.
 */

#include "tend/util/buf.h"

/*
 * What a run may read on the controller. A local playbook reads anywhere,
 * as Ansible does (root NULL). A playbook from a git source reads only
 * beneath its checkout (root: the checkout, absolute and resolved), so that
 * a signed commit runs what was signed and a plan of a pull request cannot
 * read the controller's files. `untrusted` (a git source whose signature
 * was not verified, or --untrusted): the run must not run anything on the
 * controller nor read its environment either (docs/sources.md).
 */
struct fs_limits {
	const char *root;
	bool untrusted;
};

/*
 * Read a whole file into b (appending). Returns 0, or -1 with the error
 * set ("cannot read 'path': reason"); TEND_ENOTFOUND if it does not exist.
 */
int buf_read_file(struct buf *b, const char *path);

/*
 * Open `path` (absolute, or relative to the current directory) with
 * `flags` (O_RDONLY, O_PATH ...; O_CLOEXEC is added). With `root` NULL it
 * is plain open(2). Else the path must name something beneath `root`
 * (absolute, resolved) and resolve there: no '..', absolute symlink or
 * symlink that leads out of root, checked by the kernel with openat2(2)
 * RESOLVE_BENEATH, or where that syscall is missing by realpath(3) and a
 * prefix check. Returns the fd, or < 0 with the error set: TEND_EREFUSED
 * ("refusing to read 'PATH': it leads outside the source checkout"),
 * TEND_ENOTFOUND, or -1.
 */
int fs_open_beneath(const char *root, const char *path, int flags);

/*
 * Is `path` (absolute, or relative to the current directory) lexically
 * inside the directory `root` (absolute)? Symlinks and '..' are not
 * resolved: this says where a path points by its spelling, not what it
 * reaches (fs_open_beneath judges that).
 */
bool fs_path_is_below(const char *root, const char *path);

/*
 * Does `path` exist beneath `root` (as fs_open_beneath would find it)?
 * Returns 1 or 0, or TEND_EREFUSED with the error set if it leads out.
 */
int fs_exists_beneath(const char *root, const char *path);

/*
 * THE reader of the files a run reads on the controller: playbooks,
 * imports and includes, vars_files, group_vars/host_vars, the inventory,
 * copy/template sources, lookup('file'). Reads `path` whole into `b`
 * (appending), confined to `root` as fs_open_beneath says (NULL: anywhere).
 * Returns 0, or < 0 with the error set as fs_open_beneath and
 * buf_read_file do. Whoever needs to know every file a run read (a plan's
 * fingerprint) hooks here.
 */
int fs_read_beneath(struct buf *b, const char *root, const char *path);

/*
 * For the tests: force the realpath fallback of fs_open_beneath (as if
 * the kernel had no openat2). Not thread-safe; call before any run.
 */
void fs_beneath_force_fallback(bool on);

/*
 * Write `len` bytes to `path` atomically: a temp file beside it, fsync,
 * rename. Returns 0 or -1 with the error set.
 */
int buf_write_file_atomic(const char *path, const void *data, size_t len,
			  unsigned int mode);

/*
 * Make directory `dir` and those above it that are missing, each with
 * `mode` (less the umask), as os.makedirs(dir, exist_ok=True). Returns 0
 * or -1 with the error set.
 */
int fs_mkdirs(const char *dir, unsigned int mode);

/*
 * Append the user's home directory: $HOME, else the password database's.
 * Returns 0 or -1 with the error set.
 */
int fs_home_dir(struct buf *out);

/*
 * os.path.normpath of an absolute path, in place: no ".", ".." or empty
 * parts ("/.." is "/", a leading "//" is one slash).
 */
void fs_normpath(struct buf *p);

#endif
