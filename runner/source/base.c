#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source_int.h"

#include <git2.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

/* What every file of runner/source/ shares: libgit2 errors, home, clock. */

int64_t source_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int error_from_git(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = tend_error_set_code(code, "%s: %s", b.ptr,
				 e && e->message ? e->message : "unknown error");
	buf_release(&b);
	return rc;
}
