#include "tend/common.h"
#include "tend/util/fs.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/net/knownhosts.h"
#include "tend/transport/ssh_int.h"

#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * The SSH session: connecting, checking the host key, logging in,
 * waiting, dropping. libssh2 runs in non-blocking mode: every call that
 * would block returns LIBSSH2_ERROR_EAGAIN, and ssh_wait() then polls the
 * socket in the direction libssh2 is blocked on, bounded by the current
 * deadline, sending keepalives meanwhile. That is what keeps a dead or
 * stopped host from hanging a run.
 */

/* what close() spends on a polite disconnect */
#define DISCONNECT_TIMEOUT_MS 1000

static pthread_once_t ssh_once = PTHREAD_ONCE_INIT;
static int ssh_init_error;

static void ssh_global_init(void)
{
	ssh_init_error = libssh2_init(0);
}

/* ---- connecting ---- */

static int connect_socket(struct ssh *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	char port[16];
	int rc, last_errno = 0, one = 1;

	snprintf(port, sizeof(port), "%d", s->port);
	/* NEEDSWORK: getaddrinfo() blocks and knows no deadline */
	rc = getaddrinfo(s->host, port, &hints, &res);
	if (rc)
		return tend_error_set_code(TEND_EUNREACHABLE,
			"cannot resolve '%s': %s", s->host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p = { .events = POLLOUT };
		int fd, soerr = 0;
		socklen_t len = sizeof(soerr);

		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		p.fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno != EINPROGRESS) {
				last_errno = errno;
				close(fd);
				continue;
			}
			do {
				int64_t left = s->deadline - ssh_now_ms();

				rc = left > 0 ? poll(&p, 1, (int)left) : 0;
			} while (rc < 0 && errno == EINTR);
			if (rc == 0)
				soerr = ETIMEDOUT;
			else if (rc < 0)
				soerr = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
					    &len) < 0)
				soerr = errno;
			if (soerr) {
				last_errno = soerr;
				close(fd);
				if (soerr == ETIMEDOUT)
					break;
				continue;
			}
		}
		/* requests are small and each waits for its answer */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		s->fd = fd;
		break;
	}
	freeaddrinfo(res);
	if (s->fd < 0)
		return tend_error_set_code(TEND_EUNREACHABLE,
			"cannot connect to '%s' port %d: %s", s->host, s->port,
			last_errno == ETIMEDOUT ? "timed out" :
			strerror(last_errno ? last_errno : EHOSTUNREACH));
	return 0;
}

/*
 * Ask first for the host key types that known_hosts already has for this
 * host, as OpenSSH does: otherwise a host known by its ed25519 key that
 * also offers ecdsa (libssh2's first choice) would look unknown.
 */
static int prefer_known_hostkeys(struct ssh *s, LIBSSH2_KNOWNHOSTS *kh)
{
	int mask = knownhosts_types(kh, s->label);
	const char **algs = NULL;
	struct buf pref = BUF_INIT;
	int n, rc = 0;

	if (!mask)
		return 0;
	n = libssh2_session_supported_algs(s->session, LIBSSH2_METHOD_HOSTKEY,
					   &algs);
	if (n <= 0)
		return 0;
	/* the known types first, then the others, each in libssh2's order */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			if (knownhosts_alg_in_mask(algs[i], mask) != (pass == 0))
				continue;
			if (pref.len)
				buf_addch(&pref, ',');
			buf_adds(&pref, algs[i]);
		}
	}
	libssh2_free(s->session, algs);
	if (pref.len)
		rc = libssh2_session_method_pref(s->session,
				LIBSSH2_METHOD_HOSTKEY, pref.ptr);
	buf_release(&pref);
	if (rc)
		return error_from_ssh(s, "cannot set host key preferences for");
	return 0;
}

static int check_host_key(struct ssh *s, LIBSSH2_KNOWNHOSTS *kh)
{
	const char *key;
	size_t len = 0;
	int type = 0;

	key = libssh2_session_hostkey(s->session, &len, &type);
	if (!key)
		return error_from_ssh(s, "no host key from");
	return knownhosts_check(kh, s->known_hosts, s->label, key, len, type,
				s->checking);
}

static int try_key_file(struct ssh *s, const char *path)
{
	int rc;

	while ((rc = libssh2_userauth_publickey_fromfile_ex(s->session,
			s->user, (unsigned int)strlen(s->user), NULL, path,
			NULL)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, 0) < 0)
			return TEND_EUNREACHABLE;
	return rc;
}

/* an ssh_config IdentityFile: one that cannot be read is skipped */
static int try_more_key(struct ssh *s, const char *path, struct buf *tried)
{
	if (access(path, R_OK) < 0)
		return 1;
	buf_adds(tried, tried->len ? ", " : "");
	buf_adds(tried, path);
	return try_key_file(s, path);
}

/*
 * Log in with the agent's keys. Returns 0 when logged in, 1 when no key
 * of the agent was accepted, TEND_EUNREACHABLE when the connection failed.
 */
static int try_agent(struct ssh *s, struct buf *tried)
{
	LIBSSH2_AGENT *agent = libssh2_agent_init(s->session);
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc, result = 1;

	if (!agent)
		return 1;
	if (libssh2_agent_connect(agent) || libssh2_agent_list_identities(agent))
		goto out;
	buf_adds(tried, tried->len ? ", ssh-agent" : "ssh-agent");
	while (!libssh2_agent_get_identity(agent, &id, prev)) {
		while ((rc = libssh2_agent_userauth(agent, s->user, id)) ==
		       LIBSSH2_ERROR_EAGAIN) {
			if (ssh_wait(s, 0) < 0) {
				result = TEND_EUNREACHABLE;
				goto out;
			}
		}
		if (!rc) {
			result = 0;
			goto out;
		}
		prev = id;
	}
out:
	libssh2_agent_disconnect(agent);
	libssh2_agent_free(agent);
	return result;
}

static int authenticate(struct ssh *s)
{
	static const char *const default_keys[] = {
		"id_ed25519", "id_ecdsa", "id_rsa",
	};
	struct buf tried = BUF_INIT, path = BUF_INIT;
	char *methods;
	int rc = 1, error = 0;

	/* ask for the methods first: a server may let us in with "none" */
	while (!(methods = libssh2_userauth_list(s->session, s->user,
			(unsigned int)strlen(s->user))) &&
	       libssh2_session_last_errno(s->session) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (libssh2_userauth_authenticated(s->session))
		goto out;
	if (!methods) {
		error = error_from_ssh(s, "cannot start logging in to");
		goto out;
	}
	if (!strstr(methods, "publickey")) {
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"cannot log in to '%s' as '%s': the server takes no "
			"public keys (it offers %s)", s->label, s->user, methods);
		goto out;
	}

	if (s->private_key) {
		if (access(s->private_key, R_OK) < 0) {
			error = tend_error_set_code(TEND_EUNREACHABLE,
				"cannot read private key '%s': %s",
				s->private_key, strerror(errno));
			goto out;
		}
		buf_adds(&tried, s->private_key);
		rc = try_key_file(s, s->private_key);
	}
	if (s->private_key || s->more_keys_nr) {
		for (size_t i = 0; i < s->more_keys_nr && rc &&
				    rc != TEND_EUNREACHABLE; i++)
			rc = try_more_key(s, s->more_keys[i], &tried);
		goto done;
	}
	if (!s->identities_only && getenv("SSH_AUTH_SOCK") &&
	    (rc = try_agent(s, &tried)) <= 0)
		goto done;
	if ((error = fs_home_dir(&path)) < 0)
		goto out;
	buf_adds(&path, "/.ssh/");
	for (size_t i = 0; i < ARRAY_SIZE(default_keys) && rc; i++) {
		size_t dirlen = path.len;

		buf_adds(&path, default_keys[i]);
		if (!access(path.ptr, R_OK)) {
			buf_adds(&tried, tried.len ? ", " : "");
			buf_addbuf(&tried, &path);
			rc = try_key_file(s, path.ptr);
		}
		buf_setlen(&path, dirlen);
	}
done:
	if (rc == TEND_EUNREACHABLE) {
		error = rc;
	} else if (rc) {
		char *msg = NULL;

		libssh2_session_last_error(s->session, &msg, NULL, 0);
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"cannot log in to '%s' as '%s' (tried %s): %s", s->label,
			s->user, tried.len ? tried.ptr : "no key: none found",
			msg && *msg ? msg : "refused");
	}
out:
	buf_release(&tried);
	buf_release(&path);
	return error;
}

/* ---- opening and dropping the session ---- */

/*
 * Wait a little for the socket without touching the error (used while
 * closing, when the caller may be about to report an earlier error).
 */
static bool quiet_wait(struct ssh *s, int64_t deadline)
{
	int dirs = libssh2_session_block_directions(s->session);
	struct pollfd p = { .fd = s->fd, .events = 0 };
	int64_t left = deadline - ssh_now_ms();

	if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
		p.events |= POLLIN;
	if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p.events |= POLLOUT;
	if (left <= 0)
		return false;
	return poll(&p, 1, (int)left) > 0;
}

/*
 * Drop the session: after a polite disconnect if `polite` (bounded by
 * DISCONNECT_TIMEOUT_MS), else at once. The socket is shut down before
 * libssh2 frees the channels and the session, so that whatever they still
 * try to send fails at once instead of blocking. Never sets the error.
 */
void ssh_drop(struct ssh *s, bool polite)
{
	int64_t deadline = ssh_now_ms() + DISCONNECT_TIMEOUT_MS;

	if (s->session && polite) {
		while (libssh2_session_disconnect(s->session, "bye") ==
		       LIBSSH2_ERROR_EAGAIN)
			if (!quiet_wait(s, deadline))
				break;
	}
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	if (s->shell) {
		for (int i = 0; i < 100; i++)
			if (libssh2_channel_free(s->shell) != LIBSSH2_ERROR_EAGAIN)
				break;
		s->shell = NULL;
	}
	if (s->session) {
		for (int i = 0; i < 100; i++)
			if (libssh2_session_free(s->session) != LIBSSH2_ERROR_EAGAIN)
				break;
		s->session = NULL;
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	ssh_jump_drop(s);
	if (s->via && s->via->session)
		ssh_drop(s->via, true);
	s->keepalive_on = false;
	buf_release(&s->rest_out);
	buf_release(&s->rest_err);
}

int ssh_open(struct ssh *s)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	int rc, error;

	pthread_once(&ssh_once, ssh_global_init);
	if (ssh_init_error)
		return tend_error_set("cannot initialise libssh2");
	ssh_set_deadline(s, s->connect_timeout_ms, "connecting");
	if (s->via && !s->via->session && (error = ssh_open(s->via)) < 0)
		goto out;
	if ((error = s->via ? ssh_jump_connect(s) : connect_socket(s)) < 0)
		goto out;
	s->quickack = true;
	s->session = libssh2_session_init();
	if (!s->session) {
		error = tend_error_set("cannot create an SSH session");
		goto out;
	}
	libssh2_session_set_blocking(s->session, 0);
	if (s->checking != SSH_HOST_KEY_OFF) {
		kh = libssh2_knownhost_init(s->session);
		if (!kh) {
			error = tend_error_set("cannot create an SSH session");
			goto out;
		}
		if ((error = knownhosts_load(kh, s->known_hosts)) < 0 ||
		    (error = prefer_known_hostkeys(s, kh)) < 0)
			goto out;
	}
	while ((rc = libssh2_session_handshake(s->session, s->fd)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (rc) {
		error = error_from_ssh(s, "SSH handshake failed with");
		goto out;
	}
	if (kh && (error = check_host_key(s, kh)) < 0)
		goto out;
	s->doing = "logging in";
	if ((error = authenticate(s)) < 0)
		goto out;
	/* not before: libssh2 1.10 then fails the key exchange */
	if (s->keepalive > 0) {
		libssh2_keepalive_config(s->session, 1, (unsigned)s->keepalive);
		s->keepalive_on = true;
	}
	s->doing = "starting the shell";
	if (!s->exec_channels)
		error = ssh_shell_start(s);
out:
	s->quickack = false;
	if (kh)
		libssh2_knownhost_free(kh);
	if (error < 0) {
		ssh_drop(s, false);
		/* a host we cannot use is unreachable, whatever the cause */
		if (error != TEND_EUNREACHABLE) {
			char *msg = xstrdup(tend_error_last());

			error = tend_error_set_code(TEND_EUNREACHABLE,
				"cannot connect to '%s': %s", s->label, msg);
			free(msg);
		}
	}
	return error;
}
