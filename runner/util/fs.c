#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Read the open file `fd` to its end into b (appending); closes fd. */
static int read_fd(struct buf *b, int fd, const char *path)
{
	ssize_t n;

	for (;;) {
		buf_grow(b, 8192);
		n = read(fd, b->ptr + b->len, b->alloc - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return tend_error_set("cannot read '%s': %s", path,
					      strerror(errno));
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->ptr[b->len] = '\0';
	close(fd);
	return 0;
}

static int open_error(const char *path, int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return tend_error_set_code(TEND_ENOTFOUND, "cannot read '%s': %s",
					   path, strerror(err));
	return tend_error_set("cannot read '%s': %s", path, strerror(err));
}

int buf_read_file(struct buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return open_error(path, errno);
	return read_fd(b, fd, path);
}

static bool force_fallback;

void fs_beneath_force_fallback(bool on)
{
	force_fallback = on;
}

/*
 * The part of the absolute `path` below the directory `root` ("." for
 * root itself), or NULL when `path` does not start with root. Lexical
 * only: the kernel (or realpath) judges the '..' and symlinks in it.
 */
static const char *path_below(const char *root, const char *path)
{
	size_t n = strlen(root);

	while (n && root[n - 1] == '/')
		n--;
	if (strncmp(path, root, n) || (path[n] && path[n] != '/'))
		return NULL;
	path += n;
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int refuse(const char *shown)
{
	return tend_error_set_code(TEND_EREFUSED, "refusing to read '%s': it "
				   "leads outside the source checkout", shown);
}

/*
 * openat2(2) with RESOLVE_BENEATH: the kernel refuses '..', absolute
 * paths and symlinks that leave root (EXDEV), and /proc magic links.
 * Returns the fd, or -1 with errno (ENOSYS: no such syscall here).
 */
static int open_kernel(const char *root, const char *rel, int flags)
{
	struct open_how how;
	int dfd, fd, err;

	if (force_fallback) {
		errno = ENOSYS;
		return -1;
	}
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
	err = errno;
	close(dfd);
	errno = err;
	return fd;
}

/*
 * Without openat2 (Linux < 5.6, or a seccomp filter that hides it):
 * resolve every symlink and '..' with realpath and check the result is
 * still beneath root. Racy against someone changing the tree meanwhile,
 * which is why the kernel's way comes first (and the cache's trees are
 * read-only).
 */
static int open_fallback(const char *root, const char *path,
			 const char *shown, int flags)
{
	char *real = realpath(path, NULL), *rroot = NULL;
	int fd = -1;

	if (!real) {
		fd = open_error(path, errno);
		goto out;
	}
	rroot = realpath(root, NULL);
	if (!rroot) {
		fd = tend_error_set("cannot resolve '%s': %s", root,
				    strerror(errno));
		goto out;
	}
	if (!path_below(rroot, real)) {
		fd = refuse(shown);
		goto out;
	}
	fd = open(real, flags | O_CLOEXEC);
	if (fd < 0)
		fd = open_error(path, errno);
out:
	free(real);
	free(rroot);
	return fd;
}

int fs_open_beneath(const char *root, const char *path, int flags)
{
	struct buf abs = BUF_INIT;
	const char *rel;
	int fd;

	if (!root) {
		fd = open(path, flags | O_CLOEXEC);
		return fd < 0 ? open_error(path, errno) : fd;
	}
	if (path[0] != '/') {
		char cwd[4096];

		if (!getcwd(cwd, sizeof(cwd)))
			return tend_error_set("cannot find the current "
					      "directory: %s", strerror(errno));
		buf_addf(&abs, "%s/", cwd);
	}
	buf_adds(&abs, path);
	if (!(rel = path_below(root, abs.ptr))) {
		fd = refuse(path);
		goto out;
	}
	fd = open_kernel(root, rel, flags);
	if (fd >= 0)
		goto out;
	if (errno == ENOSYS || errno == EPERM)
		fd = open_fallback(root, abs.ptr, rel, flags);
	else if (errno == EXDEV || errno == ELOOP)
		fd = refuse(rel);
	else
		fd = open_error(path, errno);
out:
	buf_release(&abs);
	return fd;
}

bool fs_path_is_below(const char *root, const char *path)
{
	struct buf abs = BUF_INIT;
	char cwd[4096];
	bool yes;

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		buf_addf(&abs, "%s/", cwd);
	buf_adds(&abs, path);
	yes = path_below(root, abs.ptr) != NULL;
	buf_release(&abs);
	return yes;
}

int fs_exists_beneath(const char *root, const char *path)
{
	int fd = fs_open_beneath(root, path, O_PATH);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (fd == TEND_EREFUSED)
		return fd;
	tend_error_clear();
	return 0;
}

int fs_read_beneath(struct buf *b, const char *root, const char *path)
{
	int fd = fs_open_beneath(root, path, O_RDONLY);

	if (fd < 0)
		return fd;
	return read_fd(b, fd, path);
}

int buf_write_file_atomic(const char *path, const void *data, size_t len,
			  unsigned int mode)
{
	struct buf tmp = BUF_INIT;
	const char *p = data;
	int fd, error = -1;

	buf_addf(&tmp, "%s.tend-XXXXXX", path);
	fd = mkstemp(tmp.ptr);
	if (fd < 0) {
		error = tend_error_set("cannot create temp file for '%s': %s",
				       path, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = tend_error_set("cannot write '%s': %s", tmp.ptr,
					       strerror(errno));
			close(fd);
			unlink(tmp.ptr);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		error = tend_error_set("cannot write '%s': %s", tmp.ptr,
				       strerror(errno));
		unlink(tmp.ptr);
		goto out;
	}
	if (rename(tmp.ptr, path) < 0) {
		error = tend_error_set("cannot rename '%s' to '%s': %s",
				       tmp.ptr, path, strerror(errno));
		unlink(tmp.ptr);
		goto out;
	}
	error = 0;
out:
	buf_release(&tmp);
	return error;
}

int fs_mkdirs(const char *dir, unsigned int mode)
{
	struct buf b = BUF_INIT;
	int error = 0;

	buf_adds(&b, dir);
	for (char *p = b.ptr + 1; b.len > 1; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = '\0';
		if (mkdir(b.ptr, (mode_t)mode) < 0 && errno != EEXIST) {
			error = tend_error_set("cannot create '%s': %s", b.ptr,
					       strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	buf_release(&b);
	return error;
}

int fs_home_dir(struct buf *out)
{
	const char *home = getenv("HOME");
	struct passwd pw, *pwp = NULL;
	char tmp[4096];

	if (home && *home) {
		buf_adds(out, home);
		return 0;
	}
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &pwp) || !pwp)
		return tend_error_set("cannot find the home directory");
	buf_adds(out, pw.pw_dir);
	return 0;
}

void fs_normpath(struct buf *p)
{
	struct buf out = BUF_INIT;
	const char *s = p->ptr;

	while (*s) {
		size_t n;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (!n)
			break;
		if (n == 2 && !memcmp(s, "..", 2)) {
			while (out.len && out.ptr[out.len - 1] != '/')
				buf_setlen(&out, out.len - 1);
			if (out.len)
				buf_setlen(&out, out.len - 1);
		} else if (n != 1 || *s != '.') {
			buf_addch(&out, '/');
			buf_add(&out, s, n);
		}
		s += n;
	}
	if (!out.len)
		buf_addch(&out, '/');
	buf_release(p);
	*p = out;
}
