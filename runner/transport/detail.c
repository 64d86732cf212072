#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/transport/detail.h"
#include "tend/net/knownhosts.h"

#include <pwd.h>
#include <unistd.h>

/*
 * What a connection is, for -vvvv: the lines Ansible's connection
 * plugins print there ("<ADDR> ESTABLISH SSH CONNECTION FOR USER: ..."),
 * then tend's own account of the settings it resolved, where Ansible
 * shows its ssh command line. No secret is ever in one (a key is named
 * by its file, a password never).
 */

static const char *local_user(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : "?";
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");

	return h && *h ? h : "~";
}

static const char *checking_name(enum ssh_host_key_checking c)
{
	return c == SSH_HOST_KEY_ACCEPT_NEW ? "accept-new" :
	       c == SSH_HOST_KEY_OFF ? "off" : "strict";
}

static void ssh_keys(struct buf *b, const struct ssh_opts *o)
{
	if (!o->private_key && !o->more_keys_nr) {
		if (!o->identities_only)
			buf_adds(b, "ssh-agent, then ");
		buf_addf(b, "%s/.ssh/id_ed25519, id_ecdsa, id_rsa",
			 home_dir());
		return;
	}
	if (o->private_key)
		buf_adds(b, o->private_key);
	for (size_t i = 0; i < o->more_keys_nr; i++)
		buf_addf(b, "%s%s", i || o->private_key ? ", " : "",
			 o->more_keys[i]);
}

/*
 * The jump hosts, in the order the connection goes through them (one
 * without a user logs in as the local user, as ssh's).
 */
static void ssh_jumps(struct buf *b, const struct ssh_opts *o)
{
	const struct ssh_opts *hops[16];
	size_t n = 0;

	for (const struct ssh_opts *j = o->via; j && n < ARRAY_SIZE(hops);
	     j = j->via)
		hops[n++] = j;
	for (size_t i = n; i-- > 0;)
		buf_addf(b, "%s%s@%s:%d", i == n - 1 ? "; via " : ", ",
			 hops[i]->user ? hops[i]->user : local_user(), hops[i]->host,
			 hops[i]->port ? hops[i]->port : 22);
}

char *transport_ssh_detail(const struct ssh_opts *o)
{
	struct buf b = BUF_INIT;
	const char *user = o->user ? o->user : local_user();

	buf_addf(&b, "<%s> ESTABLISH SSH CONNECTION FOR USER: %s\n", o->host,
		 user);
	buf_addf(&b, "<%s> SSH: port %d, key ", o->host,
		 o->port ? o->port : 22);
	ssh_keys(&b, o);
	if (o->known_hosts)
		buf_addf(&b, "; known_hosts %s", o->known_hosts);
	else
		buf_addf(&b, "; known_hosts %s/.ssh/known_hosts", home_dir());
	buf_addf(&b, "; host key checking %s; connect timeout %d s",
		 checking_name(o->host_key_checking),
		 (o->connect_timeout_ms ? o->connect_timeout_ms : 10000) /
		 1000);
	if (o->command_timeout_ms)
		buf_addf(&b, "; command timeout %d s",
			 o->command_timeout_ms / 1000);
	ssh_jumps(&b, o);
	buf_adds(&b, o->exec_channels ? "; a channel per command" :
		 "; one persistent shell");
	return buf_detach(&b, NULL);
}

char *transport_local_detail(const char *host)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "<%s> ESTABLISH LOCAL CONNECTION FOR USER: %s", host,
		 local_user());
	return buf_detach(&b, NULL);
}

char *transport_lxd_detail(const char *instance, const char *url,
			   const char *project)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "<%s> ESTABLISH LXD CONNECTION FOR USER: root\n",
		 instance);
	buf_addf(&b, "<%s> LXD: %s, project %s", instance, url,
		 project ? project : "default");
	return buf_detach(&b, NULL);
}
