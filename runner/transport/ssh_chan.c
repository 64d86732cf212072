#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/quote.h"
#include "tend/transport/transport.h"
#include "tend/transport/ssh_int.h"

#include <libssh2.h>
#include <poll.h>

/*
 * Exec channels: one channel per call running `sh -c script`, for stdin
 * too big for the shell's one line, targets where that shell cannot
 * start, and ssh_opts.exec_channels.
 */

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

int ssh_chan_exec(struct ssh *s, const struct exec_req *req,
		  struct exec_result *out)
{
	LIBSSH2_CHANNEL *ch = NULL;
	struct buf cmd = BUF_INIT;
	char *sig = NULL;
	size_t siglen = 0, err_from = out->err.len;
	int rc, error = 0;

	if (req->become_user) {
		transport_become_command(&cmd, req);
	} else {
		buf_adds(&cmd, "sh -c ");
		sh_quote(&cmd, req->script);
	}

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
	if (req->become_user)
		transport_become_strip(&out->err, err_from);
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
