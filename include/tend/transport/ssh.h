#ifndef TEND_TRANSPORT_SSH_H
#define TEND_TRANSPORT_SSH_H

/*
 * The SSH transport (libssh2): the contract of tend/transport.h, run on a
 * remote host.
 *
 * One SSH session per transport, opened on the first call (or by
 * transport_ssh_connect) and reused by every later call. On that session
 * one long-lived POSIX `sh` reads the requests: each exec is sent as one
 * line of shell and its exit status and output come back framed by a
 * random per-session token, which the commands never see, so no output
 * can forge the frame. That costs one round trip per exec and no channel
 * set-up (loopback: ~0.15-0.3 ms a call, against ~3 ms for an exec
 * channel). Stdin over 64 KiB (put of a big file) and targets where that
 * shell cannot start use one exec channel per call instead.
 *
 * One difference from `sh -c script`: through the shell, a script runs in
 * a subshell of the long-lived sh (fork without exec is most of the
 * speed), so $$ and $PPID are that shell's, the same for every call. A
 * script must not kill $$; use `sh -c` inside the script for a process
 * of its own. Become runs `sudo -n -u USER -- sh -c script` as specified.
 * NEEDSWORK: output written by a background process after the script
 * exits lands in the next call's output, where a local exec would wait
 * for it.
 *
 * What the target needs: POSIX sh, `mktemp` and `cat` (put/get), and
 * `sudo -n` for become (no password prompts: sudo must not ask).
 *
 * Errors: failure to connect, a refused host key, a refused login, a
 * connection that drops or stops answering, and a command that exceeds
 * the command timeout all return TEND_EUNREACHABLE with the message set.
 * The session is then dropped; a later call opens a new one. Everything
 * waits with poll() and the timeouts below: no call blocks for ever.
 *
 * Thread-safety: a transport is used by one thread at a time; different
 * transports may be used from different threads at once.
 */

#include "tend/net/knownhosts.h"
#include "tend/transport/transport.h"


/*
 * Where and how to connect. Strings are copied by transport_ssh_new; the
 * zero value of every field but `host` is a sensible default.
 */
struct ssh_opts {
	const char *host; /* name or address (required) */
	int port;         /* 0: 22 */
	const char *user; /* NULL: the local user's name */
	/*
	 * Private key file (unencrypted). NULL: the keys of ssh-agent
	 * (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa and id_rsa,
	 * the first that logs in. RSA keys need the server to accept
	 * ssh-rsa (SHA-1) signatures: libssh2 1.10 makes no others.
	 */
	const char *private_key;
	/*
	 * More key files (ssh_config's IdentityFile lines), tried in order
	 * after private_key; one that does not exist is skipped, as ssh
	 * does. With any key file given, only key files are tried.
	 */
	const char *const *more_keys;
	size_t more_keys_nr;
	/* ssh_config's IdentitiesOnly: no ssh-agent keys */
	bool identities_only;
	/*
	 * OpenSSH known_hosts file (plain and hashed `|1|` entries; a host
	 * on a port other than 22 is listed as `[host]:port`). NULL:
	 * ~/.ssh/known_hosts.
	 */
	const char *known_hosts;
	enum ssh_host_key_checking host_key_checking;
	int connect_timeout_ms; /* TCP connect to login; 0: 10000 */
	int command_timeout_ms; /* per exec/put/get; 0: no limit */
	/*
	 * Seconds between keepalive messages while waiting for the host;
	 * three unanswered intervals mean the connection is gone.
	 * 0: 15; < 0: no keepalives.
	 */
	int keepalive_interval;
	/*
	 * One exec channel per call instead of the persistent shell: about
	 * ten times slower per call on loopback; for comparisons and for
	 * targets whose shell misbehaves.
	 */
	bool exec_channels;
	/*
	 * ProxyJump: the jump host to reach `host` through (its own options,
	 * and its own `via` for a chain), host and port then being resolved
	 * and connected to by the jump host. Its host key is checked like
	 * any host's. NULL: a TCP connection of its own.
	 */
	const struct ssh_opts *via;
};

/*
 * Make an SSH transport for opts->host. Nothing is connected yet: the
 * session opens on the first call. Returns 0, or -1 if opts are invalid.
 * The caller frees *out with transport_close().
 */
int transport_ssh_new(struct transport **out, const struct ssh_opts *opts);

/*
 * Open the session now, if it is not open (the first exec/put/get does
 * this by itself). `t` must come from transport_ssh_new. Returns 0 or
 * TEND_EUNREACHABLE with the error set.
 */
int transport_ssh_connect(struct transport *t);


#endif
