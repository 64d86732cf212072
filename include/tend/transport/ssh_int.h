#ifndef TEND_TRANSPORT_SSH_INT_H
#define TEND_TRANSPORT_SSH_INT_H

/*
 * Internals of the SSH transport, shared by its files. Nothing outside
 * them includes this header; the public API is ssh.h.
 *
 *	ssh.c          the transport: its ops (exec/put/get/close), new and
 *	               connect; each request goes to the shell or a channel
 *	ssh_session.c  the session: connect, host key, login, waiting with
 *	               deadlines and keepalives, drop
 *	ssh_shell.c    the persistent shell and its framed output (the fast
 *	               path)
 *	ssh_chan.c     one exec channel per call
 *	ssh_jump.c     ProxyJump: the session's socket is a jump host's
 *	               direct-tcpip channel, pumped by a thread
 *
 * Every function here is called by one thread at a time per transport
 * (ssh.h), and every one that talks to the host waits with ssh_wait(), so
 * none blocks past the deadline set by ssh_set_deadline().
 */

#include "tend/util/buf.h"
#include "tend/net/knownhosts.h"
#include "tend/transport/transport.h"

#include <libssh2.h>
#include <pthread.h>

struct ssh {
	struct transport parent;

	char *host;
	int port;
	char *user;
	char *private_key;  /* NULL: agent, then default keys */
	char **more_keys;   /* ssh_config's IdentityFiles (ssh.h) */
	size_t more_keys_nr;
	bool identities_only;
	char *known_hosts;
	enum ssh_host_key_checking checking;
	int connect_timeout_ms;
	int command_timeout_ms;
	int keepalive;      /* seconds; 0: none */
	bool keepalive_on;  /* configured on the session (after login) */
	/*
	 * While connecting: answer each packet at once. sshd sends two
	 * small packets back to back after login, and a delayed ACK of the
	 * first stalls the second for 40 ms (measured by make bench).
	 */
	bool quickack;
	bool exec_channels;

	char *label;        /* "host", or "[host]:port": known_hosts' name */

	int fd;
	/*
	 * ProxyJump: the jump host's transport (its session opened first),
	 * the direct-tcpip channel on it to host:port, and the thread that
	 * pumps that channel to and from the socketpair whose other end is
	 * `fd` (ssh_jump.c). NULL via: a TCP connection of its own.
	 */
	struct ssh *via;
	LIBSSH2_CHANNEL *tunnel;
	int pump_fd;
	bool pumping;
	_Atomic int pump_stop;
	pthread_t pump;
	LIBSSH2_SESSION *session;
	LIBSSH2_CHANNEL *shell; /* the persistent sh; NULL: exec channels */
	char token[40];
	struct buf rest_out;    /* shell bytes past the last frame */
	struct buf rest_err;

	int64_t deadline;   /* of the current operation (ms); 0: none */
	int deadline_ms;    /* its length, for messages */
	const char *doing;  /* what the deadline bounds, for messages */
	int64_t last_rx;    /* when the socket last had input (ms) */
};

/*
 * ssh_session.c
 */

/*
 * Bound what follows by `ms` from now (<= 0: no bound); `doing` names it
 * in the timeout's message (a string that outlives the operation).
 */
/* Milliseconds on the monotonic clock. */
int64_t ssh_now_ms(void);

void ssh_set_deadline(struct ssh *s, int ms, const char *doing);

/*
 * The one adapter from libssh2's errors: the session's last message,
 * after `what` and the host's label. Returns TEND_EUNREACHABLE.
 */
int error_from_ssh(struct ssh *s, const char *what);

/*
 * Wait until the socket is ready for what libssh2 (and the caller's
 * `extra` poll events) are blocked on. Returns 0, or TEND_EUNREACHABLE
 * with the error set when the deadline passes or keepalives go
 * unanswered.
 */
int ssh_wait(struct ssh *s, short extra);

/*
 * Open the session: connect, check the host key, log in, start the
 * persistent shell (unless s->exec_channels). On failure the session is
 * dropped and TEND_EUNREACHABLE returned with the error set.
 */
int ssh_open(struct ssh *s);

/*
 * Drop the session, after a polite disconnect if `polite`. Never sets the
 * error; a later ssh_open starts afresh.
 */
void ssh_drop(struct ssh *s, bool polite);

/*
 * The home directory ($HOME, else the password database) appended to
 * `out`. Returns 0, or -1 with the error set.
 */
/*
 * ssh_jump.c
 */

/*
 * Reach s->host:s->port through s->via (its session open): a
 * direct-tcpip channel on it, and a socketpair whose
 * one end becomes s->fd, the other pumped to and from the channel by a
 * thread of its own. Returns 0, or TEND_EUNREACHABLE with the error set.
 */
int ssh_jump_connect(struct ssh *s);

/*
 * Stop the pump (s->fd already shut down) and free the channel; the
 * caller drops the jump host's session after. Nothing if s has no pump.
 * Never sets the error.
 */
void ssh_jump_drop(struct ssh *s);

/*
 * ssh_shell.c
 */

/*
 * Start the persistent shell on the open session. Returns 0 with
 * s->shell set, 0 with s->shell NULL when the host refused to run it
 * (exec channels then serve), or < 0 with the error set.
 */
int ssh_shell_start(struct ssh *s);

/*
 * Run `req` in the persistent shell (s->shell set) and collect its status
 * and output into *out. Returns 0, TEND_EUNREACHABLE (connection), or -1
 * (the shell itself ended); after an error the shell is out of step and
 * the caller drops the session.
 */
int ssh_shell_exec(struct ssh *s, const struct exec_req *req,
		   struct exec_result *out);

/*
 * ssh_chan.c
 */

/*
 * Run `req` on an exec channel of its own (`sh -c`, or through sudo for
 * become) and collect its status and output into *out; a command killed
 * by signal N has status 128 + N. Returns 0 or TEND_EUNREACHABLE with the
 * error set; after an error the caller drops the session.
 */
int ssh_chan_exec(struct ssh *s, const struct exec_req *req,
		  struct exec_result *out);

#endif
