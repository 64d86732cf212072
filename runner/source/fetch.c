#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source.h"
#include "tend/source/source_int.h"

#include <fcntl.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The fetch, in the child process. It runs in a forked child because
 * libgit2 1.5 has no network timeouts: a server that accepts and then
 * says nothing would block its socket reads for ever. The parent waits on
 * a pipe until the deadline and kills the child; the lock files a killed
 * libgit2 may leave behind are swept under our own lock before the next
 * use of the repository (prepare_repo in source.c).
 */

static int child_fetch(const char *repo_path, const struct source_opts *o,
		       const struct url_info *u)
{
	static char heads[] = "+refs/heads/*:refs/remotes/origin/*";
	static char tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[] = { heads, tags };
	git_strarray refspecs = { specs, 2 };
	git_fetch_options fo;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct fetch_ctx c;
	int error;

	source_fetch_ctx_init(&c, o, u);
	if (u->kind == URL_LOCAL && access(u->url, F_OK) < 0) {
		/* libgit2 would call it an "unsupported URL protocol" */
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"no repository at '%s': %s", u->url, strerror(errno));
		goto out;
	}
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = source_cred_cb;
	fo.callbacks.certificate_check = source_cert_cb;
	fo.callbacks.payload = &c;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_repository_open_bare(&repo, repo_path) < 0 ||
	    git_remote_create_anonymous(&remote, repo, u->url) < 0) {
		error = error_from_git(-1, "cannot open '%s'", repo_path);
		goto out;
	}
	if (git_remote_fetch(remote, &refspecs, &fo, "tend fetch") < 0) {
		const git_error *e = git_error_last();

		if (c.why.len)
			error = tend_error_set_code(c.why_code, "%s", c.why.ptr);
		else if (e && (e->klass == GIT_ERROR_NET ||
			       e->klass == GIT_ERROR_SSH ||
			       e->klass == GIT_ERROR_OS ||
			       e->klass == GIT_ERROR_SSL))
			error = error_from_git(TEND_EUNREACHABLE,
					       "cannot reach '%s'", u->url);
		else
			error = error_from_git(TEND_EUNREACHABLE,
					       "cannot fetch '%s'", u->url);
		goto out;
	}
	error = 0;
out:
	git_remote_free(remote);
	git_repository_free(repo);
	source_fetch_ctx_release(&c);
	return error;
}

static void write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Fetch in a child and wait for it until the deadline. The child reports
 * on the pipe: its error code (4 bytes) and then the message.
 */
int source_fetch_guarded(const char *repo_path, const struct source_opts *o,
			 const struct url_info *u, int timeout_ms)
{
	int64_t deadline = source_now_ms() + timeout_ms;
	struct buf report = BUF_INIT;
	bool timed_out = false;
	int fds[2], status = 0, error = 0;
	int32_t code;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return tend_error_set("cannot create a pipe: %s",
				      strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return tend_error_set("cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		const char *msg;

		close(fds[0]);
		signal(SIGPIPE, SIG_IGN);
		code = child_fetch(repo_path, o, u);
		msg = code ? tend_error_last() : "";
		write_all(fds[1], &code, sizeof(code));
		write_all(fds[1], msg, strlen(msg));
		close(fds[1]);
		git_libgit2_shutdown();
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int64_t left = deadline - source_now_ms();
		char tmp[4096];
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!pfd.revents)
			continue;
		n = read(fds[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&report, tmp, (size_t)n);
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"fetching '%s' timed out after %d ms", u->url,
			timeout_ms);
	} else if (report.len < sizeof(code)) {
		error = tend_error_set("the fetch of '%s' died (%s %d)", u->url,
			WIFSIGNALED(status) ? "signal" : "exit status",
			WIFSIGNALED(status) ? WTERMSIG(status) :
			WEXITSTATUS(status));
	} else {
		memcpy(&code, report.ptr, sizeof(code));
		if (code)
			error = tend_error_set_code(code, "%s",
						    report.ptr + sizeof(code));
	}
	buf_release(&report);
	return error;
}
