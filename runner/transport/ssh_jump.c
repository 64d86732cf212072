#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/transport/ssh_int.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * ProxyJump: a session that runs over a jump host's direct-tcpip channel.
 *
 * The session code (ssh_session.c, ssh_io.c) waits on a file descriptor
 * with poll(), libssh2 reading and writing it itself. So the tunnel is
 * given to it as one: one end of a socketpair, the other end pumped to
 * and from the channel by a thread. A thread, not the transport's own
 * poll loop, because that loop is inside libssh2's calls for the target
 * session and cannot also drive a second session; the thread is the
 * only user of the jump session from the moment it starts to its join,
 * so no libssh2 session is touched by two threads. A chain (a,b) is the
 * same thing twice: b's session runs over a's channel, the target's over
 * b's.
 */

#define PUMP_BUF (32 * 1024)
/* how often the pump looks at pump_stop and sends the jump's keepalives */
#define PUMP_TICK_MS 500

/* send all of buf to the (blocking) socketpair end; false when gone */
static bool send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* wait for the jump socket, the socketpair (if want_sock), or a tick */
static void pump_wait(struct ssh *j, int fd, bool want_sock)
{
	int dirs = libssh2_session_block_directions(j->session);
	struct pollfd p[2] = {
		{ .fd = j->fd, .events = POLLIN },
		{ .fd = fd, .events = want_sock ? POLLIN : 0 },
	};
	int next = 0;

	if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p[0].events |= POLLOUT;
	if (j->keepalive_on && !(dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND))
		libssh2_keepalive_send(j->session, &next);
	poll(p, 2, PUMP_TICK_MS);
}

/*
 * Bytes both ways until either side ends or ssh_jump_drop asks: the
 * channel's to the socketpair, the socketpair's (pending, if the channel
 * took only part) to the channel.
 */
static void *pump_main(void *arg)
{
	struct ssh *s = arg;
	struct ssh *j = s->via;
	char *in = xmalloc(PUMP_BUF), *out = xmalloc(PUMP_BUF);
	size_t out_len = 0, out_off = 0;

	while (!s->pump_stop) {
		ssize_t n = libssh2_channel_read(s->tunnel, in, PUMP_BUF);
		bool busy = false;

		if (n > 0) {
			if (!send_all(s->pump_fd, in, (size_t)n))
				break;
			busy = true;
		} else if (n == 0 && libssh2_channel_eof(s->tunnel)) {
			break;
		} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			break;
		}
		if (out_off == out_len) {
			ssize_t r = recv(s->pump_fd, out, PUMP_BUF, MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN &&
				       errno != EINTR))
				break;
			out_off = 0;
			out_len = r > 0 ? (size_t)r : 0;
		}
		if (out_off < out_len) {
			ssize_t w = libssh2_channel_write(s->tunnel,
				out + out_off, out_len - out_off);

			if (w < 0 && w != LIBSSH2_ERROR_EAGAIN)
				break;
			if (w > 0) {
				out_off += (size_t)w;
				busy = true;
			}
		}
		if (!busy)
			pump_wait(j, s->pump_fd, out_off == out_len);
	}
	/* the target's session sees its connection close */
	shutdown(s->pump_fd, SHUT_RDWR);
	free(in);
	free(out);
	return NULL;
}

static int open_tunnel(struct ssh *s)
{
	struct ssh *j = s->via;
	int error;

	/* the target's deadline bounds the channel's opening too */
	j->deadline = s->deadline;
	j->deadline_ms = s->deadline_ms;
	j->doing = "opening a channel to the next host";
	while (!(s->tunnel = libssh2_channel_direct_tcpip_ex(j->session,
			s->host, s->port, "127.0.0.1", 22)) &&
	       libssh2_session_last_errno(j->session) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(j, 0)) < 0)
			return error;
	if (!s->tunnel) {
		struct buf what = BUF_INIT;

		buf_addf(&what, "cannot reach '%s' port %d through", s->host,
			 s->port);
		error = error_from_ssh(j, what.ptr);
		buf_release(&what);
		return error;
	}
	return 0;
}

int ssh_jump_connect(struct ssh *s)
{
	int sv[2], error;

	if ((error = open_tunnel(s)) < 0)
		return error;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return tend_error_set_code(TEND_EUNREACHABLE, "cannot make a "
			"socket pair for '%s': %s", s->label, strerror(errno));
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	s->fd = sv[0];
	s->pump_fd = sv[1];
	s->pump_stop = 0;
	if (pthread_create(&s->pump, NULL, pump_main, s)) {
		close(sv[1]);
		s->pump_fd = -1;
		return tend_error_set_code(TEND_EUNREACHABLE, "cannot start "
			"the tunnel to '%s'", s->label);
	}
	s->pumping = true;
	return 0;
}

void ssh_jump_drop(struct ssh *s)
{
	if (s->pumping) {
		s->pump_stop = 1;
		pthread_join(s->pump, NULL);
		s->pumping = false;
	}
	if (s->pump_fd >= 0) {
		close(s->pump_fd);
		s->pump_fd = -1;
	}
	if (s->tunnel) {
		for (int i = 0; i < 100; i++)
			if (libssh2_channel_free(s->tunnel) !=
			    LIBSSH2_ERROR_EAGAIN)
				break;
		s->tunnel = NULL;
	}
}
