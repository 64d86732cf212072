#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

int buf_read_file(struct buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		if (errno == ENOENT)
			return tend_error_set_code(TEND_ENOTFOUND,
				"cannot read '%s': %s", path, strerror(errno));
		return tend_error_set("cannot read '%s': %s", path,
				      strerror(errno));
	}
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
