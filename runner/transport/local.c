#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/transport/transport.h"
#include "tend/util/fs.h"
#include "tend/util/quote.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The local transport: every script runs in a fresh /bin/sh on this
 * machine. Output is drained with poll() while stdin is fed, so a child
 * that writes a lot before reading its input can never deadlock us.
 */

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

struct local {
	struct transport parent;
	char *cwd; /* NULL: tend's own */
};

static void child_exec(const struct exec_req *req, const char *script,
		       const char *cwd, int in_fd, int out_fd, int err_fd)
{
	if (cwd && chdir(cwd) < 0) {
		static const char msg[] = "cannot enter the playbook's "
			"directory\n";

		if (write(err_fd, msg, sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	if (in_fd < 0)
		in_fd = open("/dev/null", O_RDONLY);
	if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	/* with become, script is the sudo or su command line */
	execl("/bin/sh", "sh", "-c", req->become_user ? script : req->script,
	      (char *)NULL);
	_exit(127);
}

/* Read what is available on *fd into b; close it at EOF. */
static int drain(int *fd, struct buf *b)
{
	char tmp[65536];
	ssize_t n = read(*fd, tmp, sizeof(tmp));

	if (n > 0) {
		buf_add(b, tmp, (size_t)n);
		return 0;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return tend_error_set("cannot read command output: %s",
				      strerror(errno));
	close_fd(fd);
	return 0;
}

/*
 * Feed stdin and collect stdout/stderr until both reach EOF. The caller
 * has blocked SIGPIPE, so a child that exits without reading its input
 * shows up as EPIPE here, which only ends the feeding.
 */
static int pump(int *in_fd, int *out_fd, int *err_fd, const char *in,
		size_t inlen, struct exec_result *out)
{
	size_t off = 0;

	if (*in_fd >= 0 && !inlen)
		close_fd(in_fd);
	while (*out_fd >= 0 || *err_fd >= 0 || *in_fd >= 0) {
		struct pollfd p[3];
		nfds_t n = 0;
		int in_i = -1, out_i = -1, err_i = -1;

		if (*in_fd >= 0) {
			p[n] = (struct pollfd){ .fd = *in_fd, .events = POLLOUT };
			in_i = (int)n++;
		}
		if (*out_fd >= 0) {
			p[n] = (struct pollfd){ .fd = *out_fd, .events = POLLIN };
			out_i = (int)n++;
		}
		if (*err_fd >= 0) {
			p[n] = (struct pollfd){ .fd = *err_fd, .events = POLLIN };
			err_i = (int)n++;
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return tend_error_set("cannot poll command pipes: %s",
					      strerror(errno));
		}
		if (in_i >= 0 && p[in_i].revents) {
			ssize_t w = write(*in_fd, in + off, inlen - off);

			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EINTR && errno != EAGAIN)
				close_fd(in_fd);
			if (off == inlen)
				close_fd(in_fd);
		}
		if (out_i >= 0 && p[out_i].revents && drain(out_fd, &out->out) < 0)
			return -1;
		if (err_i >= 0 && p[err_i].revents && drain(err_fd, &out->err) < 0)
			return -1;
	}
	return 0;
}

static int local_exec(struct transport *t, const struct exec_req *req,
		      struct exec_result *out)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	sigset_t pipe_set, old_set;
	bool pipe_was_pending;
	struct buf script = BUF_INIT; /* built before fork: no malloc after */
	struct buf pw_in = BUF_INIT;
	struct exec_req with_pw;
	size_t err_from = out->err.len;
	pid_t pid;
	int status, error = -1;

	t->round_trips++;
	req = transport_become_req(&with_pw, &pw_in, t, req);
	if (req->become_user)
		transport_become_command(&script, req);
	if ((req->in && pipe2(in, O_CLOEXEC) < 0) ||
	    pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		error = tend_error_set("cannot create pipes: %s",
				       strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		error = tend_error_set("cannot fork: %s", strerror(errno));
		goto out;
	}
	if (!pid)
		child_exec(req, script.ptr, ((struct local *)t)->cwd, in[0],
			   outp[1], errp[1]);
	close_fd(&in[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	if (in[1] >= 0)
		fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	{
		sigset_t pending;

		sigpending(&pending);
		pipe_was_pending = sigismember(&pending, SIGPIPE);
	}
	error = pump(&in[1], &outp[0], &errp[0], req->in, req->inlen, out);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&errp[0]);
	if (!pipe_was_pending) {
		sigset_t pending;
		struct timespec zero = { 0, 0 };

		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			error = tend_error_set("cannot wait for child: %s",
					       strerror(errno));
			goto out;
		}
	}
	if (error < 0)
		goto out;
	if (WIFEXITED(status))
		out->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		out->status = 128 + WTERMSIG(status);
	else
		out->status = 255;
	if (req->become_user)
		transport_become_strip(&out->err, err_from);
out:
	buf_release(&script);
	buf_release_secret(&pw_in);
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	return error;
}

/* Without become, files are read and written directly. */
static int local_put(struct transport *t, const char *path, const void *data,
		     size_t len, unsigned int mode, const char *become_user)
{
	if (!become_user) {
		t->round_trips++;
		return buf_write_file_atomic(path, data, len, mode);
	}
	return transport_put_by_exec(t, path, data, len, mode, become_user);
}

static int local_get(struct transport *t, const char *path, struct buf *out,
		     const char *become_user)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf script = BUF_INIT;
	struct exec_req req = { 0 };
	int error;

	if (!become_user) {
		t->round_trips++;
		return buf_read_file(out, path);
	}
	buf_adds(&script, "exec cat -- ");
	sh_quote(&script, path);
	req.script = script.ptr;
	req.become_user = become_user;
	if ((error = local_exec(t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		buf_rtrim(&res.err);
		error = tend_error_set("cannot read '%s': %s", path,
				       res.err.ptr);
		goto out;
	}
	buf_addbuf(out, &res.out);
out:
	exec_result_release(&res);
	buf_release(&script);
	return error;
}

static void local_close(struct transport *t)
{
	free(((struct local *)t)->cwd);
	free(t);
}

int transport_local_new(struct transport **out, const char *cwd)
{
	struct local *l = xcalloc(1, sizeof(*l));
	struct transport *t = &l->parent;

	l->cwd = cwd ? xstrdup(cwd) : NULL;
	t->name = "local";
	t->exec = local_exec;
	t->put = local_put;
	t->get = local_get;
	t->close = local_close;
	*out = t;
	return 0;
}
