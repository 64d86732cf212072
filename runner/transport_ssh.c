#include "tend/common.h"
#include "tend/buf.h"
#include "tend/error.h"
#include "tend/knownhosts.h"
#include "tend/transport.h"
#include "tend/transport_ssh.h"

#include <libssh2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * The SSH transport. libssh2 runs in non-blocking mode: every call that
 * would block returns LIBSSH2_ERROR_EAGAIN, and ssh_wait() then polls the
 * socket in the direction libssh2 is blocked on, bounded by the current
 * deadline, sending keepalives meanwhile. That is what keeps a dead or
 * stopped host from hanging a run.
 *
 * The fast path (see shell_start) is one `sh` per session reading
 * requests from the channel. A request is one line of shell:
 *
 *	{ printf '<stdin, escaped>'; } 2>/dev/null |
 *		(unset -f tend_e; eval '<script>'); tend_e $?
 *
 * (with `</dev/null` instead when there is no stdin, and `sudo -n -u
 * <user> -- sh -c '<script>'` for become). The script's stdout and stderr
 * go straight to the channel's two streams; tend_e then writes "<token>
 * <status>\n" on stdout and "<token>\n" on stderr. The token is 128
 * random bits chosen per session and sent once, inside tend_e's body,
 * which the subshell drops before it runs the script: output cannot fake
 * the end of a frame, and output that merely looks like one is output.
 *
 * Why a subshell and not `sh -c`: fork without exec is what makes a call
 * cost little more than the round trip (measured here: `sh -c` 0.6-1.6 ms
 * a call, a subshell 0.2 ms). The script sees the same environment, no
 * positional parameters, $0 "sh"; only $$ and $PPID are the long-lived
 * shell's, as in any subshell.
 */

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_KEEPALIVE_S 15
#define KEEPALIVE_COUNT_MAX 3
/*
 * stdin above this goes through an exec channel: escaping binary costs up
 * to 4x, which past this size loses to a channel's set-up (measured)
 */
#define SHELL_MAX_INPUT (64 * 1024)
/* escaped stdin is cut into printf calls of about this many bytes */
#define PRINTF_CHUNK 32768
/* what close() spends on a polite disconnect */
#define DISCONNECT_TIMEOUT_MS 1000
/* get's exit status for "no such file"; cat never exits with it */
#define GET_ENOENT_STATUS 44

struct ssh {
	struct transport parent;

	char *host;
	int port;
	char *user;
	char *private_key;  /* NULL: agent, then default keys */
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

static pthread_once_t ssh_once = PTHREAD_ONCE_INIT;
static int ssh_init_error;

static void ssh_global_init(void)
{
	ssh_init_error = libssh2_init(0);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_deadline(struct ssh *s, int ms, const char *doing)
{
	s->deadline = ms > 0 ? now_ms() + ms : 0;
	s->deadline_ms = ms;
	s->doing = doing;
	s->last_rx = now_ms();
}

/*
 * The one adapter from libssh2's errors: the session's last message,
 * after `what` (which names the step and the host). Every libssh2 failure
 * leaves the session unusable, so it is always TEND_EUNREACHABLE.
 */
static int error_from_ssh(struct ssh *s, const char *what)
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
static int ssh_wait(struct ssh *s, short extra)
{
	for (;;) {
		int dirs = libssh2_session_block_directions(s->session);
		struct pollfd p = { .fd = s->fd, .events = extra };
		int64_t now = now_ms();
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
			s->last_rx = now_ms();
		return 0;
	}
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
				int64_t left = s->deadline - now_ms();

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

static int home_dir(struct buf *out)
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
		goto done;
	}
	if (getenv("SSH_AUTH_SOCK") && (rc = try_agent(s, &tried)) <= 0)
		goto done;
	if ((error = home_dir(&path)) < 0)
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

/* ---- the persistent shell ---- */

/*
 * One stream of a frame: the bytes of this request's output start at
 * `start` in `b` (the caller's result buffer); `scan` is where the search
 * for the token goes on.
 */
struct frame_stream {
	struct buf *b;
	size_t start;
	size_t scan;
	bool done;
	int status;
};

static void frame_begin(struct frame_stream *f, struct buf *b,
			struct buf *rest)
{
	f->b = b;
	f->start = b->len;
	f->scan = 0;
	f->done = false;
	f->status = 0;
	buf_addbuf(b, rest);
	buf_reset(rest);
}

/*
 * Look for "<token>[ <status>]\n" in what has arrived. When found, cut
 * it off the output and keep what follows it in `rest` (output of the
 * next request, only ever from a background process of this one).
 */
static void frame_find(struct frame_stream *f, const char *token,
		       bool with_status, struct buf *rest)
{
	size_t tlen = strlen(token);
	char *base = f->b->ptr + f->start;
	size_t len = f->b->len - f->start;
	char *hit, *nl, *end = base + len;

	if (f->done || len < tlen || f->scan > len - tlen)
		return;
	hit = memmem(base + f->scan, len - f->scan, token, tlen);
	if (!hit) {
		f->scan = len - tlen + 1;
		return;
	}
	f->scan = (size_t)(hit - base);
	nl = memchr(hit + tlen, '\n', (size_t)(end - (hit + tlen)));
	if (!nl)
		return;
	if (with_status)
		f->status = atoi(hit + tlen);
	buf_add(rest, nl + 1, (size_t)(end - (nl + 1)));
	buf_setlen(f->b, f->start + (size_t)(hit - base));
	f->done = true;
}

/*
 * Read the shell's two streams until both frames are complete. Errors
 * are TEND_EUNREACHABLE (connection) or -1 (the shell itself ended).
 */
static int shell_read_frame(struct ssh *s, struct buf *out, struct buf *err,
			    int *status)
{
	struct frame_stream fo, fe;
	char tmp[32768];

	frame_begin(&fo, out, &s->rest_out);
	frame_begin(&fe, err, &s->rest_err);
	for (;;) {
		ssize_t n1 = LIBSSH2_ERROR_EAGAIN, n2 = LIBSSH2_ERROR_EAGAIN;

		frame_find(&fo, s->token, true, &s->rest_out);
		frame_find(&fe, s->token, false, &s->rest_err);
		if (fo.done && fe.done) {
			*status = fo.status;
			return 0;
		}
		if (!fo.done) {
			n1 = libssh2_channel_read(s->shell, tmp, sizeof(tmp));
			if (n1 > 0)
				buf_add(out, tmp, (size_t)n1);
		}
		if (!fe.done) {
			n2 = libssh2_channel_read_stderr(s->shell, tmp,
							 sizeof(tmp));
			if (n2 > 0)
				buf_add(err, tmp, (size_t)n2);
		}
		if ((n1 < 0 && n1 != LIBSSH2_ERROR_EAGAIN) ||
		    (n2 < 0 && n2 != LIBSSH2_ERROR_EAGAIN))
			return error_from_ssh(s, "lost the connection to");
		if (n1 > 0 || n2 > 0)
			continue;
		/* both drained: data always comes before the EOF */
		if (libssh2_channel_eof(s->shell))
			return tend_error_set("the shell on '%s' exited during "
					      "the command", s->label);
		if (ssh_wait(s, 0) < 0)
			return TEND_EUNREACHABLE;
	}
}

/* Send all of `data` on the shell channel, draining nothing. */
static int shell_write(struct ssh *s, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = libssh2_channel_write(s->shell, data + off,
						  len - off);

		if (n > 0) {
			off += (size_t)n;
		} else if (n == LIBSSH2_ERROR_EAGAIN || n == 0) {
			if (ssh_wait(s, 0) < 0)
				return TEND_EUNREACHABLE;
		} else {
			return error_from_ssh(s, "lost the connection to");
		}
	}
	return 0;
}

/*
 * Start the shell. Returns 0 with s->shell set, 0 with s->shell NULL when
 * the host refused to run it (then exec channels serve), or < 0.
 */
static int shell_start(struct ssh *s)
{
	unsigned char rnd[16];
	struct buf boot = BUF_INIT, junk_out = BUF_INIT, junk_err = BUF_INIT;
	int rc, status = -1, error = 0;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return tend_error_set("cannot get random bytes: %s",
				      strerror(errno));
	memcpy(s->token, "tend", 4);
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->token + 4 + 2 * i, 3, "%02x", rnd[i]);

	while (!(s->shell = libssh2_channel_open_session(s->session)) &&
	       libssh2_session_last_errno(s->session) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (!s->shell) {
		error = error_from_ssh(s, "cannot open a channel to");
		goto out;
	}
	/*
	 * The login shell runs this; `exec sh` puts a POSIX sh reading
	 * commands from the channel in its place, whatever the login
	 * shell is.
	 */
	while ((rc = libssh2_channel_exec(s->shell, "exec sh")) ==
	       LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (rc) {
		/* NEEDSWORK: tell why; exec channels may still work */
		while (libssh2_channel_free(s->shell) == LIBSSH2_ERROR_EAGAIN)
			if ((error = ssh_wait(s, 0)) < 0)
				goto out;
		s->shell = NULL;
		goto out;
	}
	buf_addf(&boot,
		 "tend_e() { printf '%s %%d\\n' \"$1\"; printf '%s\\n' >&2; }\n"
		 "tend_e 0\n", s->token, s->token);
	if ((error = shell_write(s, boot.ptr, boot.len)) < 0)
		goto out;
	/* start-up files may have printed something: it ends up in junk */
	error = shell_read_frame(s, &junk_out, &junk_err, &status);
	if (error == -1 || (!error && status)) {
		/* say why, e.g. "This account is currently not available." */
		buf_trim(&junk_err);
		buf_trim(&junk_out);
		if (junk_err.len && junk_out.len)
			buf_adds(&junk_err, "; ");
		buf_addbuf(&junk_err, &junk_out);
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"cannot start sh on '%s'%s%s", s->label,
			junk_err.len ? ": " : "", junk_err.ptr);
	}
out:
	buf_release(&boot);
	buf_release(&junk_out);
	buf_release(&junk_err);
	return error;
}

/*
 * Append `len` bytes as printf calls that write them back: the format is
 * single-quoted, so only ', \ and % need escaping; bytes outside
 * printable ASCII become \ooo, which keeps the line text for any sh.
 *
 * A format that begins with '-' is taken for an option: printf then
 * prints nothing and fails, and the pipeline hides it. So the first byte
 * of every printf call is never a plain '-' (it is written \055).
 */
static void add_printf_input(struct buf *req, const unsigned char *in,
			     size_t len)
{
	size_t chunk = 0;

	buf_adds(req, "{ printf '");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (chunk >= PRINTF_CHUNK) {
			buf_adds(req, "'; printf '");
			chunk = 0;
		}
		if (c == '\\') {
			buf_adds(req, "\\\\");
			chunk += 2;
		} else if (c == '%') {
			buf_adds(req, "%%");
			chunk += 2;
		} else if (((c >= 0x20 && c < 0x7f && c != '\'') || c == '\n') &&
			   !(c == '-' && chunk == 0)) {
			buf_addch(req, c);
			chunk++;
		} else {
			buf_addf(req, "\\%03o", c);
			chunk += 4;
		}
	}
	buf_adds(req, "'; } 2>/dev/null | ");
}

static int shell_exec(struct ssh *s, const struct exec_req *req,
		      struct exec_result *out)
{
	struct buf line = BUF_INIT;
	int error;

	if (req->in && req->inlen)
		add_printf_input(&line, req->in, req->inlen);
	if (req->become_user) {
		buf_adds(&line, "sudo -n -u ");
		sh_quote(&line, req->become_user);
		buf_adds(&line, " -- sh -c ");
		sh_quote(&line, req->script);
	} else {
		buf_adds(&line, "(unset -f tend_e; eval ");
		sh_quote(&line, req->script);
		buf_addch(&line, ')');
	}
	if (!req->in || !req->inlen)
		buf_adds(&line, " </dev/null");
	buf_adds(&line, "; tend_e $?\n");
	if ((error = shell_write(s, line.ptr, line.len)) < 0)
		goto out;
	error = shell_read_frame(s, &out->out, &out->err, &out->status);
out:
	buf_release(&line);
	return error;
}

/* ---- exec channels ---- */

static int signal_number(const char *name)
{
	static const struct {
		const char *name;
		int num;
	} sigs[] = {
		{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 },
		{ "TRAP", 5 }, { "ABRT", 6 }, { "BUS", 7 }, { "FPE", 8 },
		{ "KILL", 9 }, { "USR1", 10 }, { "SEGV", 11 }, { "USR2", 12 },
		{ "PIPE", 13 }, { "ALRM", 14 }, { "TERM", 15 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (!strcmp(name, sigs[i].name))
			return sigs[i].num;
	return 127; /* 128 + 127 = 255: "killed, by what we cannot say" */
}

/*
 * Feed stdin, then EOF, while draining both output streams, until the
 * remote end sends EOF.
 *
 * Waking up: libssh2 drains the socket in every read that returns EAGAIN,
 * so after the two reads its state is current. A window adjustment it
 * took in while reading lets the write go on without any more input on
 * the socket: hence the window check before sleeping, which would
 * otherwise wait for the next keepalive. The same holds after a write
 * that took the last of the input: the EOF is still to send, the remote
 * command waits for it, and nothing would arrive to wake us.
 */
static int chan_pump(struct ssh *s, LIBSSH2_CHANNEL *ch,
		     const struct exec_req *req, struct exec_result *out)
{
	const char *in = req->in;
	size_t off = 0, inlen = req->in ? req->inlen : 0;
	bool eof_sent = false;
	char tmp[32768];

	for (;;) {
		ssize_t n1, n2;
		short extra = 0;
		bool wrote = false;

		if (!eof_sent && off < inlen) {
			ssize_t w = libssh2_channel_write(ch, in + off,
							  inlen - off);

			if (w > 0) {
				off += (size_t)w;
				wrote = true;
			} else if (w == LIBSSH2_ERROR_CHANNEL_CLOSED ||
				   w == LIBSSH2_ERROR_CHANNEL_EOF_SENT) {
				eof_sent = true; /* exited without reading */
			} else if (w != LIBSSH2_ERROR_EAGAIN && w != 0) {
				return error_from_ssh(s, "lost the connection to");
			}
		} else if (!eof_sent) {
			int rc = libssh2_channel_send_eof(ch);

			if (!rc)
				eof_sent = true;
			else if (rc != LIBSSH2_ERROR_EAGAIN)
				return error_from_ssh(s, "lost the connection to");
		}
		if (!eof_sent && (libssh2_session_block_directions(s->session) &
				  LIBSSH2_SESSION_BLOCK_OUTBOUND))
			extra = POLLOUT;

		n1 = libssh2_channel_read(ch, tmp, sizeof(tmp));
		if (n1 > 0)
			buf_add(&out->out, tmp, (size_t)n1);
		n2 = libssh2_channel_read_stderr(ch, tmp, sizeof(tmp));
		if (n2 > 0)
			buf_add(&out->err, tmp, (size_t)n2);
		if ((n1 < 0 && n1 != LIBSSH2_ERROR_EAGAIN) ||
		    (n2 < 0 && n2 != LIBSSH2_ERROR_EAGAIN))
			return error_from_ssh(s, "lost the connection to");
		if (n1 > 0 || n2 > 0)
			continue;
		/* both drained, and output always comes before the EOF */
		if (libssh2_channel_eof(ch))
			return 0;
		if (!eof_sent && !extra && (wrote || (off < inlen &&
		    libssh2_channel_window_write(ch) > 0)))
			continue;
		if (ssh_wait(s, extra) < 0)
			return TEND_EUNREACHABLE;
	}
}

static int chan_exec(struct ssh *s, const struct exec_req *req,
		     struct exec_result *out)
{
	LIBSSH2_CHANNEL *ch = NULL;
	struct buf cmd = BUF_INIT;
	char *sig = NULL;
	size_t siglen = 0;
	int rc, error = 0;

	if (req->become_user) {
		buf_adds(&cmd, "sudo -n -u ");
		sh_quote(&cmd, req->become_user);
		buf_adds(&cmd, " -- ");
	}
	buf_adds(&cmd, "sh -c ");
	sh_quote(&cmd, req->script);

	while (!(ch = libssh2_channel_open_session(s->session)) &&
	       libssh2_session_last_errno(s->session) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (!ch) {
		error = error_from_ssh(s, "cannot open a channel to");
		goto out;
	}
	while ((rc = libssh2_channel_exec(ch, cmd.ptr)) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (rc) {
		error = error_from_ssh(s, "cannot run a command on");
		goto out;
	}
	if ((error = chan_pump(s, ch, req, out)) < 0)
		goto out;
	/* the exit status arrives before the channel closes */
	while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	while (!rc && (rc = libssh2_channel_wait_closed(ch)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			goto out;
	if (rc) {
		error = error_from_ssh(s, "lost the connection to");
		goto out;
	}
	out->status = libssh2_channel_get_exit_status(ch);
	if (!libssh2_channel_get_exit_signal(ch, &sig, &siglen, NULL, NULL,
					     NULL, NULL) && sig) {
		out->status = 128 + signal_number(sig);
		libssh2_free(s->session, sig);
	}
out:
	/* after a failure the caller drops the session, channels and all */
	while (ch && !error && libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN)
		if ((error = ssh_wait(s, 0)) < 0)
			break;
	buf_release(&cmd);
	return error;
}

/* ---- the session ---- */

/*
 * Wait a little for the socket without touching the error (used while
 * closing, when the caller may be about to report an earlier error).
 */
static bool quiet_wait(struct ssh *s, int64_t deadline)
{
	int dirs = libssh2_session_block_directions(s->session);
	struct pollfd p = { .fd = s->fd, .events = 0 };
	int64_t left = deadline - now_ms();

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
static void ssh_drop(struct ssh *s, bool polite)
{
	int64_t deadline = now_ms() + DISCONNECT_TIMEOUT_MS;

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
	s->keepalive_on = false;
	buf_release(&s->rest_out);
	buf_release(&s->rest_err);
}

static int ssh_open(struct ssh *s)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	int rc, error;

	pthread_once(&ssh_once, ssh_global_init);
	if (ssh_init_error)
		return tend_error_set("cannot initialise libssh2");
	set_deadline(s, s->connect_timeout_ms, "connecting");
	if ((error = connect_socket(s)) < 0)
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
		error = shell_start(s);
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

static int ssh_run(struct ssh *s, const struct exec_req *req,
		   struct exec_result *out)
{
	int error;

	if (!s->session && (error = ssh_open(s)) < 0)
		return error;
	set_deadline(s, s->command_timeout_ms, "running a command");
	if (s->shell && !(req->in && req->inlen > SHELL_MAX_INPUT))
		error = shell_exec(s, req, out);
	else
		error = chan_exec(s, req, out);
	/*
	 * After a timeout or a lost connection the shell is out of step
	 * (or gone): start afresh on the next call. If only the shell died,
	 * the session is dropped too; reconnecting is cheap enough.
	 */
	if (error < 0 && (error == TEND_EUNREACHABLE || s->shell))
		ssh_drop(s, error != TEND_EUNREACHABLE);
	return error;
}

static int ssh_exec(struct transport *t, const struct exec_req *req,
		    struct exec_result *out)
{
	t->round_trips++;
	return ssh_run((struct ssh *)t, req, out);
}

/* As transport_local's put: a temp file beside it, chmod, rename. */
static int ssh_put(struct transport *t, const char *path, const void *data,
		   size_t len, unsigned int mode, const char *become_user)
{
	return transport_put_by_exec(t, path, data, len, mode, become_user);
}

static int ssh_get(struct transport *t, const char *path, struct buf *out,
		   const char *become_user)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct buf script = BUF_INIT;
	struct exec_req req = { 0 };
	int error;

	t->round_trips++;
	buf_adds(&script, "p=");
	sh_quote(&script, path);
	buf_addf(&script, "\n[ -e \"$p\" ] || exit %d\nexec cat -- \"$p\"\n",
		 GET_ENOENT_STATUS);
	req.script = script.ptr;
	req.become_user = become_user;
	if ((error = ssh_run((struct ssh *)t, &req, &res)) < 0)
		goto out;
	if (res.status == GET_ENOENT_STATUS) {
		error = tend_error_set_code(TEND_ENOTFOUND,
			"cannot read '%s': %s", path, strerror(ENOENT));
	} else if (res.status) {
		buf_rtrim(&res.err);
		error = tend_error_set("cannot read '%s': %s", path,
				       res.err.ptr);
	} else {
		buf_addbuf(out, &res.out);
	}
out:
	exec_result_release(&res);
	buf_release(&script);
	return error;
}

static void ssh_close(struct transport *t)
{
	struct ssh *s = (struct ssh *)t;

	ssh_drop(s, true);
	free(s->host);
	free(s->user);
	free(s->private_key);
	free(s->known_hosts);
	free(s->label);
	free(s);
}

int transport_ssh_connect(struct transport *t)
{
	struct ssh *s = (struct ssh *)t;

	if (t->exec != ssh_exec)
		BUG("transport_ssh_connect on a '%s' transport", t->name);
	return s->session ? 0 : ssh_open(s);
}

int transport_ssh_new(struct transport **out, const struct ssh_opts *opts)
{
	struct ssh *s;
	struct buf b = BUF_INIT;

	if (!opts->host || !*opts->host)
		return tend_error_set("ssh: no host given");
	if (opts->port < 0 || opts->port > 65535)
		return tend_error_set("ssh: bad port %d for '%s'", opts->port,
				      opts->host);
	s = xcalloc(1, sizeof(*s));
	s->parent.name = "ssh";
	s->parent.exec = ssh_exec;
	s->parent.put = ssh_put;
	s->parent.get = ssh_get;
	s->parent.close = ssh_close;
	s->fd = -1;
	s->rest_out = (struct buf)BUF_INIT;
	s->rest_err = (struct buf)BUF_INIT;
	s->host = xstrdup(opts->host);
	s->port = opts->port ? opts->port : 22;
	if (opts->user) {
		s->user = xstrdup(opts->user);
	} else {
		struct passwd pw, *pwp = NULL;
		char tmp[4096];

		if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &pwp) || !pwp) {
			ssh_close(&s->parent);
			return tend_error_set("ssh: cannot find the local "
					      "user's name");
		}
		s->user = xstrdup(pw.pw_name);
	}
	if (opts->private_key)
		s->private_key = xstrdup(opts->private_key);
	if (opts->known_hosts) {
		s->known_hosts = xstrdup(opts->known_hosts);
	} else {
		if (home_dir(&b) < 0) {
			ssh_close(&s->parent);
			return -1;
		}
		buf_adds(&b, "/.ssh/known_hosts");
		s->known_hosts = buf_detach(&b, NULL);
	}
	if (s->port == 22) {
		s->label = xstrdup(s->host);
	} else {
		buf_addf(&b, "[%s]:%d", s->host, s->port);
		s->label = buf_detach(&b, NULL);
	}
	s->checking = opts->host_key_checking;
	s->connect_timeout_ms = opts->connect_timeout_ms > 0 ?
		opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	s->command_timeout_ms = opts->command_timeout_ms > 0 ?
		opts->command_timeout_ms : 0;
	if (opts->keepalive_interval == 0)
		s->keepalive = DEFAULT_KEEPALIVE_S;
	else if (opts->keepalive_interval > 0)
		s->keepalive = opts->keepalive_interval;
	s->exec_channels = opts->exec_channels;
	*out = &s->parent;
	return 0;
}

int transport_ssh_parse_host_key_checking(enum ssh_host_key_checking *out,
					  const char *s)
{
	static const struct {
		const char *name;
		enum ssh_host_key_checking mode;
	} modes[] = {
		{ "strict", SSH_HOST_KEY_STRICT },
		{ "yes", SSH_HOST_KEY_STRICT },
		{ "true", SSH_HOST_KEY_STRICT },
		{ "accept-new", SSH_HOST_KEY_ACCEPT_NEW },
		{ "off", SSH_HOST_KEY_OFF },
		{ "no", SSH_HOST_KEY_OFF },
		{ "false", SSH_HOST_KEY_OFF },
	};

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(s, modes[i].name)) {
			*out = modes[i].mode;
			return 0;
		}
	}
	return tend_error_set("unknown host_key_checking '%s' (expected "
			      "strict, accept-new or off)", s);
}
