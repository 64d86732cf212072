/*
 * A command on the controller: fork, /bin/sh -c, its stdout collected.
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/proc.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Only async-signal-safe calls here: the parent may have threads. */
static void child(int out_fd, const char *cmd, const char *cwd)
{
	int in_fd = open("/dev/null", O_RDONLY);

	if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
		_exit(127);
	if (cwd && chdir(cwd) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int proc_sh(struct buf *out, int *status, const char *cmd, const char *cwd)
{
	int fds[2], ws, error = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return tend_error_set("cannot run a command: %s",
				      strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return tend_error_set("cannot run a command: %s",
				      strerror(errno));
	}
	if (!pid)
		child(fds[1], cmd, cwd);
	close(fds[1]);
	for (;;) {
		char tmp[65536];
		ssize_t n = read(fds[0], tmp, sizeof(tmp));

		if (n > 0) {
			buf_add(out, tmp, (size_t)n);
		} else if (n == 0) {
			break;
		} else if (errno != EINTR) {
			error = tend_error_set("cannot read a command's "
					       "output: %s", strerror(errno));
			break;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return tend_error_set("cannot wait for a command: %s",
					      strerror(errno));
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return error;
}
