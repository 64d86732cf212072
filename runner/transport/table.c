#include <ctype.h>
#include <strings.h>
#include <sodium.h>

#include "tend/common.h"
#include "tend/util/error.h"
#include "tend/net/knownhosts.h"
#include "tend/transport/lxd.h"
#include "tend/transport/ssh.h"
#include "tend/transport/ssh_config.h"
#include "tend/transport/table.h"
#include "tend/transport/detail.h"

/* Kinds registered at run time (tests); searched before the built-in ones. */
#define MAX_REGISTERED 8
static const struct transport_kind *registered[MAX_REGISTERED];
static size_t registered_nr;

static int open_local(struct transport **out, const struct transport_vars *v)
{
	int error = transport_local_new(out, v->basedir);

	if (!error)
		(*out)->detail = transport_local_detail(v->inventory_name);
	return error;
}

/*
 * A whole number in [min, max] from a connection variable, or an error
 * naming the variable: atoi would take "22x" as 22 and "-1" or "99999999"
 * as a port or a timeout that overflows when made milliseconds.
 */
static int conn_number(int *out, const char *name, const char *s, long min,
		       long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || !isdigit((unsigned char)*s) || *end || n < min ||
	    n > max)
		return tend_error_set("%s must be a whole number from %ld to "
				      "%ld, got '%s'", name, min, max, s);
	*out = (int)n;
	return 0;
}

/* yes/no (OpenSSH's spelling) from a connection variable */
static int conn_yes_no(int *out, const char *name, const char *s)
{
	if (!strcasecmp(s, "yes"))
		*out = 1;
	else if (!strcasecmp(s, "no"))
		*out = 0;
	else
		return tend_error_set("%s must be yes or no, got '%s'", name, s);
	return 0;
}

/* ProxyJump's hosts, first (reached directly) to last */
#define MAX_JUMPS 8
struct jumps {
	struct ssh_opts o[MAX_JUMPS];
	struct ssh_config_hold h[MAX_JUMPS];
	size_t nr;
	char *spec;
};

static void jumps_release(struct jumps *j)
{
	for (size_t i = 0; i < j->nr; i++)
		ssh_config_hold_release(&j->h[i]);
	free(j->spec);
}

/*
 * One hop, "[user@]host[:port]", with the ssh_config for its name (as
 * ssh reads it for a jump host). What neither sets is the target's:
 * known_hosts, host key checking, keys, connect timeout.
 */
static int jump_hop(struct ssh_opts *o, struct ssh_config_hold *h, char *hop,
		    const char *cfg, const struct ssh_opts *target)
{
	struct ssh_config_set set = { .identities_only = -1 };
	char *at = strrchr(hop, '@'), *colon;
	int error;

	/* NEEDSWORK: ssh://[user@]host[:port] hops are ssh's too */
	if (strchr(hop, '/'))
		return tend_error_set("ProxyJump: '%s' is not "
				      "[user@]host[:port]", hop);
	if (at) {
		*at = '\0';
		o->user = hop;
		hop = at + 1;
	}
	if ((colon = strrchr(hop, ':'))) {
		*colon = '\0';
		if ((error = conn_number(&o->port, "ProxyJump's port",
					 colon + 1, 1, 65535)) < 0)
			return error;
	}
	if (!*hop || (o->user && !*o->user))
		return tend_error_set("ProxyJump: '%s' is not [user@]host[:port]",
				      hop);
	o->host = hop;
	o->host_key_checking = target->host_key_checking;
	if ((error = ssh_config_fill(o, h, cfg, hop, &set)) < 0)
		return error;
	if (h->jump && strcasecmp(h->jump, "none"))
		return tend_error_set("jump host '%s' has a ProxyJump of its "
			"own in ssh_config: give the whole chain in one "
			"ProxyJump (a,b)", hop);
	if (!o->known_hosts)
		o->known_hosts = target->known_hosts;
	if (!o->private_key && !o->more_keys_nr) {
		o->private_key = target->private_key;
		o->more_keys = target->more_keys;
		o->more_keys_nr = target->more_keys_nr;
	}
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = target->connect_timeout_ms;
	return 0;
}

/* "a,b,...": a reached directly, each next through the one before */
static int jumps_parse(struct jumps *j, struct ssh_opts *target,
		       const char *spec, const char *cfg)
{
	char *p;
	int error;

	j->spec = xstrdup(spec);
	for (p = j->spec; p;) {
		char *hop = p;

		if ((p = strchr(p, ',')))
			*p++ = '\0';
		if (j->nr == MAX_JUMPS)
			return tend_error_set("ProxyJump '%s': more than %d "
					      "hosts", spec, MAX_JUMPS);
		if ((error = jump_hop(&j->o[j->nr], &j->h[j->nr], hop, cfg,
				      target)) < 0) {
			j->nr++;
			return error;
		}
		if (j->nr)
			j->o[j->nr].via = &j->o[j->nr - 1];
		j->nr++;
	}
	target->via = &j->o[j->nr - 1];
	return 0;
}

/*
 * SSH: Ansible's inventory variables, and tend's own for what it adds;
 * then the host's ssh_config for what they leave unset (ssh_config.h).
 */
static int open_ssh(struct transport **out, const struct transport_vars *v)
{
	static const char *const v_host[] = { "ansible_host",
		"ansible_ssh_host", NULL };
	static const char *const v_port[] = { "ansible_port",
		"ansible_ssh_port", NULL };
	static const char *const v_user[] = { "ansible_user",
		"ansible_ssh_user", "remote_user", NULL };
	static const char *const v_key[] = { "ansible_ssh_private_key_file",
		"ansible_private_key_file", NULL };
	static const char *const v_known[] = { "tend_known_hosts",
		"ansible_ssh_known_hosts_file", NULL };
	static const char *const v_check[] = { "host_key_checking",
		"ansible_host_key_checking", "tend_host_key_checking", NULL };
	static const char *const v_ctimeout[] = { "ansible_ssh_timeout",
		"ansible_timeout", NULL };
	static const char *const v_xtimeout[] = { "tend_command_timeout",
		NULL };
	static const char *const v_cfg[] = { "tend_ssh_config", NULL };
	static const char *const v_only[] = { "tend_ssh_identities_only",
		NULL };
	static const char *const v_alive[] = {
		"tend_ssh_server_alive_interval", NULL };
	static const char *const v_jump[] = { "tend_ssh_proxy_jump", NULL };
	char *host = NULL, *port = NULL, *user = NULL, *key = NULL,
	     *known = NULL, *check = NULL, *ctimeout = NULL, *xtimeout = NULL,
	     *cfg = NULL, *only = NULL, *alive = NULL, *jump = NULL;
	struct ssh_opts o = { 0 };
	struct ssh_config_hold hold = { 0 };
	struct ssh_config_set set = { .identities_only = -1 };
	struct jumps jumps = { 0 };
	int error;

	if ((error = v->get(&host, v_host, v->payload)) < 0 ||
	    (error = v->get(&port, v_port, v->payload)) < 0 ||
	    (error = v->get(&user, v_user, v->payload)) < 0 ||
	    (error = v->get(&key, v_key, v->payload)) < 0 ||
	    (error = v->get(&known, v_known, v->payload)) < 0 ||
	    (error = v->get(&check, v_check, v->payload)) < 0 ||
	    (error = v->get(&ctimeout, v_ctimeout, v->payload)) < 0 ||
	    (error = v->get(&xtimeout, v_xtimeout, v->payload)) < 0 ||
	    (error = v->get(&cfg, v_cfg, v->payload)) < 0 ||
	    (error = v->get(&only, v_only, v->payload)) < 0 ||
	    (error = v->get(&alive, v_alive, v->payload)) < 0 ||
	    (error = v->get(&jump, v_jump, v->payload)) < 0)
		goto out;
	o.host = host ? host : v->inventory_name;
	o.user = user;
	o.private_key = key;
	o.known_hosts = known;
	if ((port && (error = conn_number(&o.port, "ansible_port", port, 1,
					  65535)) < 0) ||
	    (ctimeout && (error = conn_number(&o.connect_timeout_ms,
					      "ansible_timeout", ctimeout, 1,
					      86400)) < 0) ||
	    (xtimeout && (error = conn_number(&o.command_timeout_ms,
					      "tend_command_timeout", xtimeout,
					      1, 86400)) < 0))
		goto out;
	o.connect_timeout_ms *= 1000;
	o.command_timeout_ms *= 1000;
	if ((check &&
	     (error = knownhosts_parse_checking(&o.host_key_checking,
						check)) < 0) ||
	    (only && (error = conn_yes_no(&set.identities_only,
					  "tend_ssh_identities_only",
					  only)) < 0) ||
	    (alive && (error = conn_number(&o.keepalive_interval,
					   "tend_ssh_server_alive_interval",
					   alive, 0, 86400)) < 0))
		goto out;
	if (alive && !o.keepalive_interval)
		o.keepalive_interval = -1;
	set.check = check != NULL;
	if ((error = ssh_config_fill(&o, &hold, cfg, o.host, &set)) < 0)
		goto out;
	/* -J/-o ProxyJump win over the file's, as they come first */
	if (!jump && hold.jump)
		jump = xstrdup(hold.jump);
	if (jump && strcasecmp(jump, "none") &&
	    (error = jumps_parse(&jumps, &o, jump, cfg)) < 0)
		goto out;
	if (!(error = transport_ssh_new(out, &o)))
		(*out)->detail = transport_ssh_detail(&o);
out:
	jumps_release(&jumps);
	ssh_config_hold_release(&hold);
	free(cfg);
	free(only);
	free(alive);
	free(jump);
	free(host);
	free(port);
	free(user);
	free(key);
	free(known);
	free(check);
	free(ctimeout);
	free(xtimeout);
	return error;
}

/*
 * LXD (transport/lxd.h): the instance is ansible_lxd_host, ansible_host or
 * the inventory name, up to its first '.' (as Ansible's lxd connection
 * takes an FQDN); ansible_lxd_project as Ansible's. Ansible's plugin
 * drives the `lxc` CLI and its remotes; tend talks to the API itself, at
 * tend_lxd_url (default: $LXD_DIR's socket, else Debian's
 * /var/lib/lxd/unix.socket), with tend_lxd_client_cert/_key/_ca_file
 * for https. An ansible_lxd_remote other than "local" is refused by name.
 */
static int open_lxd(struct transport **out, const struct transport_vars *v)
{
	static const char *const v_host[] = { "ansible_lxd_host",
		"ansible_host", NULL };
	static const char *const v_project[] = { "ansible_lxd_project",
		NULL };
	static const char *const v_remote[] = { "ansible_lxd_remote", NULL };
	static const char *const v_url[] = { "tend_lxd_url", NULL };
	static const char *const v_cert[] = { "tend_lxd_client_cert", NULL };
	static const char *const v_key[] = { "tend_lxd_client_key", NULL };
	static const char *const v_ca[] = { "tend_lxd_ca_file", NULL };
	char *host = NULL, *project = NULL, *remote = NULL, *url = NULL,
	     *cert = NULL, *key = NULL, *ca = NULL, *name = NULL;
	struct buf def = BUF_INIT;
	struct lxd_opts o = { 0 };
	const char *dir = getenv("LXD_DIR");
	int error;

	if ((error = v->get(&host, v_host, v->payload)) < 0 ||
	    (error = v->get(&project, v_project, v->payload)) < 0 ||
	    (error = v->get(&remote, v_remote, v->payload)) < 0 ||
	    (error = v->get(&url, v_url, v->payload)) < 0 ||
	    (error = v->get(&cert, v_cert, v->payload)) < 0 ||
	    (error = v->get(&key, v_key, v->payload)) < 0 ||
	    (error = v->get(&ca, v_ca, v->payload)) < 0)
		goto out;
	if (remote && strcmp(remote, "local")) {
		error = tend_error_set("ansible_lxd_remote '%s': tend reads no "
				       "lxc remotes; give tend_lxd_url "
				       "(https://host:8443) and "
				       "tend_lxd_client_cert/_key", remote);
		goto out;
	}
	if (!url) {
		if (dir && *dir)
			buf_addf(&def, "unix:%s/unix.socket", dir);
		else
			buf_adds(&def, "unix:/var/lib/lxd/unix.socket");
	}
	name = xstrdup(host ? host : v->inventory_name);
	name[strcspn(name, ".")] = '\0';
	o.url = url ? url : def.ptr;
	o.project = project;
	o.client_cert = cert;
	o.client_key = key;
	o.ca_file = ca;
	o.wait_forever = true; /* a long command is no unreachable host */
	if (!(error = transport_lxd_new(out, &o, name)))
		(*out)->detail = transport_lxd_detail(name, o.url, project);
out:
	free(host);
	free(project);
	free(remote);
	free(url);
	free(cert);
	free(key);
	free(ca);
	free(name);
	buf_release(&def);
	return error;
}

static const char *const ssh_aliases[] = { "smart", "paramiko", NULL };
static const char *const lxd_aliases[] = { "community.general.lxd", NULL };

static const struct transport_kind builtin[] = {
	{ .name = "local", .aliases = NULL, .open = open_local },
	{ .name = "ssh", .aliases = ssh_aliases, .open = open_ssh },
	{ .name = "lxd", .aliases = lxd_aliases, .open = open_lxd },
};

static bool kind_is(const struct transport_kind *k, const char *name)
{
	if (!strcmp(k->name, name))
		return true;
	for (size_t i = 0; k->aliases && k->aliases[i]; i++)
		if (!strcmp(k->aliases[i], name))
			return true;
	return false;
}

/*
 * Ansible's become password variables (-K gives the first): the
 * password sudo asks for, kept by the transport (transport.h).
 */
static int open_become_password(struct transport *t, const char *kind,
				const struct transport_vars *v)
{
	static const char *const v_pass[] = { "ansible_become_password",
		"ansible_become_pass", "ansible_sudo_pass", NULL };
	char *pw = NULL;
	int error;

	if ((error = v->get(&pw, v_pass, v->payload)) < 0 || !pw)
		return error;
	if (!strcmp(kind, "lxd")) {
		sodium_memzero(pw, strlen(pw));
		free(pw);
		return tend_error_set("a become password (ansible_become_password "
				      "or -K) is not supported over the lxd "
				      "connection yet: LXD's exec runs as "
				      "root, give no become password");
	}
	t->become_password = pw;
	return 0;
}

int transport_open(struct transport **out, const char *name,
		   const struct transport_vars *v)
{
	const struct transport_kind *k = NULL;
	int error;

	*out = NULL;
	if (!name)
		name = "ssh";
	for (size_t i = registered_nr; !k && i-- > 0;)
		if (kind_is(registered[i], name))
			k = registered[i];
	for (size_t i = 0; !k && i < ARRAY_SIZE(builtin); i++)
		if (kind_is(&builtin[i], name))
			k = &builtin[i];
	if (!k)
		return tend_error_set("connection type '%s' is not supported "
				      "(use ssh, local or lxd)", name);
	if ((error = k->open(out, v)) < 0)
		return error;
	if ((error = open_become_password(*out, k->name, v)) < 0) {
		transport_close(*out);
		*out = NULL;
	}
	return error;
}

bool transport_on_controller(const char *name)
{
	return name && kind_is(&builtin[0], name);
}

bool transport_is_ssh(const char *name)
{
	return !name || kind_is(&builtin[1], name);
}

int transport_register(const struct transport_kind *k)
{
	if (registered_nr == MAX_REGISTERED)
		return tend_error_set("cannot register transport '%s': the "
				      "table is full", k->name);
	registered[registered_nr++] = k;
	return 0;
}
