#include "tend/common.h"
#include "tend/util/fs.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/transport/transport.h"
#include "tend/transport/ssh.h"
#include "tend/transport/ssh_int.h"
#include "tend/util/quote.h"

#include <pwd.h>
#include <unistd.h>

/*
 * The SSH transport: its ops and its life. Each request runs in the
 * persistent shell (ssh_shell.c) or on an exec channel (ssh_chan.c), over
 * the session that ssh_session.c opens, waits on and drops; ssh_int.h
 * has the map.
 */

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_KEEPALIVE_S 15
/*
 * stdin above this goes through an exec channel: escaping binary costs up
 * to 4x, which past this size loses to a channel's set-up (measured)
 */
#define SHELL_MAX_INPUT (64 * 1024)

static int ssh_run(struct ssh *s, const struct exec_req *req,
		   struct exec_result *out)
{
	struct exec_req with_pw;
	struct buf in = BUF_INIT;
	int error;

	if (!s->session && (error = ssh_open(s)) < 0)
		return error;
	req = transport_become_req(&with_pw, &in, &s->parent, req);
	ssh_set_deadline(s, s->command_timeout_ms, "running a command");
	if (s->shell && !(req->in && req->inlen > SHELL_MAX_INPUT))
		error = ssh_shell_exec(s, req, out);
	else
		error = ssh_chan_exec(s, req, out);
	/*
	 * After a timeout or a lost connection the shell is out of step
	 * (or gone): start afresh on the next call. If only the shell died,
	 * the session is dropped too; reconnecting is cheap enough.
	 */
	if (error < 0 && (error == TEND_EUNREACHABLE || s->shell))
		ssh_drop(s, error != TEND_EUNREACHABLE);
	buf_release_secret(&in);
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

/* run for transport_get_by_cat: ssh_exec without the count */
static int ssh_run_t(struct transport *t, const struct exec_req *req,
		     struct exec_result *out)
{
	return ssh_run((struct ssh *)t, req, out);
}

static int ssh_get(struct transport *t, const char *path, struct buf *out,
		   const char *become_user)
{
	t->round_trips++;
	return transport_get_by_cat(t, ssh_run_t, path, out, become_user);
}

static void ssh_close(struct transport *t)
{
	struct ssh *s = (struct ssh *)t;

	ssh_drop(s, true);
	free(s->host);
	free(s->user);
	free(s->private_key);
	for (size_t i = 0; i < s->more_keys_nr; i++)
		free(s->more_keys[i]);
	free(s->more_keys);
	free(s->known_hosts);
	free(s->label);
	if (s->via)
		ssh_close(&s->via->parent);
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
	s->pump_fd = -1;
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
	if (opts->more_keys_nr) {
		s->more_keys = xcalloc(opts->more_keys_nr, sizeof(char *));
		for (size_t i = 0; i < opts->more_keys_nr; i++)
			s->more_keys[i] = xstrdup(opts->more_keys[i]);
		s->more_keys_nr = opts->more_keys_nr;
	}
	s->identities_only = opts->identities_only;
	if (opts->known_hosts) {
		s->known_hosts = xstrdup(opts->known_hosts);
	} else {
		if (fs_home_dir(&b) < 0) {
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
	if (opts->via) {
		struct transport *via;

		if (transport_ssh_new(&via, opts->via) < 0) {
			ssh_close(&s->parent);
			return -1;
		}
		s->via = (struct ssh *)via;
		/* a jump host runs no commands: no shell on it */
		s->via->exec_channels = true;
	}
	*out = &s->parent;
	return 0;
}
