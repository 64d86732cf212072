#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/transport/ssh_int.h"

#include <libssh2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

/*
 * Waiting on the session's socket and naming its errors: what every part
 * of the SSH transport (session, shell, exec channels) shares. libssh2
 * runs in non-blocking mode: every call that would block returns
 * LIBSSH2_ERROR_EAGAIN, and ssh_wait() then polls the socket in the
 * direction libssh2 is blocked on, bounded by the current deadline,
 * sending keepalives meanwhile.
 */

#define KEEPALIVE_COUNT_MAX 3

int64_t ssh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ssh_set_deadline(struct ssh *s, int ms, const char *doing)
{
	s->deadline = ms > 0 ? ssh_now_ms() + ms : 0;
	s->deadline_ms = ms;
	s->doing = doing;
	s->last_rx = ssh_now_ms();
}

/*
 * The one adapter from libssh2's errors: the session's last message,
 * after `what` (which names the step and the host). Every libssh2 failure
 * leaves the session unusable, so it is always TEND_EUNREACHABLE.
 */
int error_from_ssh(struct ssh *s, const char *what)
{
	char *msg = NULL;

	if (s->session)
		libssh2_session_last_error(s->session, &msg, NULL, 0);
	return tend_error_set_code(TEND_EUNREACHABLE, "%s '%s': %s", what,
				   s->label, msg && *msg ? msg : "unknown error");
}

/*
 * Wait until the socket is ready for what libssh2 (and the caller's
 * `extra` poll events) are blocked on. Returns 0, or TEND_EUNREACHABLE
 * when the deadline passes or keepalives go unanswered.
 */
int ssh_wait(struct ssh *s, short extra)
{
	for (;;) {
		int dirs = libssh2_session_block_directions(s->session);
		struct pollfd p = { .fd = s->fd, .events = extra };
		int64_t now = ssh_now_ms();
		int64_t timeout = -1;
		bool blind = false;
		int rc;

		if (s->quickack) {
			int one = 1;

			setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
				   sizeof(one));
		}
		if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
			p.events |= POLLIN;
		if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			p.events |= POLLOUT;
		if (!p.events) {
			/* blocked on nothing we can see: look again soon */
			p.events = POLLIN;
			timeout = 10;
			blind = true;
		}
		if (s->deadline) {
			if (now >= s->deadline)
				return tend_error_set_code(TEND_EUNREACHABLE,
					"'%s' did not answer within %.1f s (%s)",
					s->label, s->deadline_ms / 1000.0,
					s->doing);
			if (timeout < 0 || s->deadline - now < timeout)
				timeout = s->deadline - now;
		}
		if (s->keepalive_on) {
			int64_t dead = s->last_rx +
				(int64_t)KEEPALIVE_COUNT_MAX * s->keepalive * 1000;
			int next = s->keepalive;

			if (now >= dead)
				return tend_error_set_code(TEND_EUNREACHABLE,
					"'%s' stopped answering (no reply to "
					"keepalives for %d s, %s)", s->label,
					KEEPALIVE_COUNT_MAX * s->keepalive,
					s->doing);
			/*
			 * Only while nothing waits to go out: libssh2 1.10
			 * refuses (BAD_USE) to send a packet while another
			 * is half sent, and a full socket needs no keepalive.
			 * A failed send shows up in the next real call.
			 */
			if (!(dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND))
				libssh2_keepalive_send(s->session, &next);
			if (next < 1)
				next = 1;
			if (timeout < 0 || next * 1000 < timeout)
				timeout = next * 1000;
			if (dead - now < timeout)
				timeout = dead - now;
		}
		rc = poll(&p, 1, (int)timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return tend_error_set_code(TEND_EUNREACHABLE,
				"cannot poll the connection to '%s': %s",
				s->label, strerror(errno));
		}
		if (rc == 0 && !blind)
			continue; /* a keepalive is due, or the deadline */
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			s->last_rx = ssh_now_ms();
		return 0;
	}
}
