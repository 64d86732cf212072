#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/net/knownhosts.h"
#include "tend/net/sshconfig.h"
#include "tend/transport/ssh_config.h"

#include <ctype.h>
#include <pwd.h>
#include <strings.h>
#include <unistd.h>

/* keep `s` in the hold; returns it */
static const char *hold(struct ssh_config_hold *h, char *s)
{
	if (h->nr == ARRAY_SIZE(h->strs))
		BUG("ssh_config_hold is full");
	h->strs[h->nr++] = s;
	return s;
}

void ssh_config_hold_release(struct ssh_config_hold *h)
{
	for (size_t i = 0; i < h->nr; i++)
		free(h->strs[i]);
	h->nr = 0;
}

static int bad_value(const struct sshcfg_value *v, const char *key,
		     const char *want)
{
	return tend_error_set("%s:%d: %s '%s': expected %s", v->file, v->line,
			      key, v->v, want);
}

static int number(int *out, const struct sshcfg_value *v, const char *key,
		  long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v->v, &end, 10);
	if (errno || !isdigit((unsigned char)*v->v) || *end || n < min ||
	    n > max)
		return bad_value(v, key, "a whole number");
	*out = (int)n;
	return 0;
}

/* yes/no as ssh_config spells it; -1 after the error */
static int yes_no(const struct sshcfg_value *v, const char *key)
{
	if (!strcasecmp(v->v, "yes") || !strcasecmp(v->v, "true"))
		return 1;
	if (!strcasecmp(v->v, "no") || !strcasecmp(v->v, "false"))
		return 0;
	return bad_value(v, key, "yes or no");
}

/*
 * StrictHostKeyChecking: "ask" is "yes" for tend, which never asks. The
 * file is the operator's (conn.c refuses tend_ssh_config from an
 * untrusted source), so its "no" is taken: docs/ssh.md says so.
 */
static int strict(enum ssh_host_key_checking *out,
		  const struct sshcfg_value *v)
{
	if (!strcasecmp(v->v, "yes") || !strcasecmp(v->v, "ask"))
		*out = SSH_HOST_KEY_STRICT;
	else if (!strcasecmp(v->v, "accept-new"))
		*out = SSH_HOST_KEY_ACCEPT_NEW;
	else if (!strcasecmp(v->v, "no") || !strcasecmp(v->v, "off"))
		*out = SSH_HOST_KEY_OFF;
	else
		return bad_value(v, "StrictHostKeyChecking",
				 "yes, ask, accept-new or no");
	return 0;
}

/* A path value: ~ and the tokens ssh knows for it. */
static int path_value(struct ssh_config_hold *h, const char **out,
		      const struct sshcfg_value *v, const char *const tok[128])
{
	struct buf b = BUF_INIT;
	struct buf what = BUF_INIT;
	int error;

	buf_addf(&what, "%s:%d", v->file, v->line);
	error = sshconfig_expand(&b, v->v, tok, true, what.ptr);
	buf_release(&what);
	if (error < 0) {
		buf_release(&b);
		return error;
	}
	*out = hold(h, buf_detach(&b, NULL));
	return 0;
}

static int read_config(struct sshconfig *cfg, const char *file)
{
	struct buf def = BUF_INIT;
	int error;

	if (file)
		return sshconfig_read(cfg, file);
	if ((error = fs_home_dir(&def)) >= 0) {
		buf_adds(&def, "/.ssh/config");
		error = sshconfig_read(cfg, def.ptr);
		if (error == TEND_ENOTFOUND)
			error = 0;
	}
	buf_release(&def);
	return error;
}

/* HostName (with %h), Port, User: where the connection goes */
static int fill_where(struct ssh_opts *o, struct ssh_config_hold *h,
		      const struct sshcfg_host *c, const char *name)
{
	const char *tok[128] = { 0 };
	struct buf b = BUF_INIT;
	int error = 0;

	tok['h'] = name;
	if (c->v[SSHCFG_HOSTNAME].v) {
		error = sshconfig_expand(&b, c->v[SSHCFG_HOSTNAME].v, tok,
					 false, "HostName");
		if (error < 0) {
			buf_release(&b);
			return error;
		}
		o->host = hold(h, buf_detach(&b, NULL));
	}
	if (!o->port && c->v[SSHCFG_PORT].v)
		error = number(&o->port, &c->v[SSHCFG_PORT], "Port", 1, 65535);
	if (!o->user && c->v[SSHCFG_USER].v)
		o->user = hold(h, xstrdup(c->v[SSHCFG_USER].v));
	return error;
}

/* IdentityFile (each, with ~, %d %u %h %r %p %n), IdentitiesOnly */
static int fill_keys(struct ssh_opts *o, struct ssh_config_hold *h,
		     const struct sshcfg_host *c, const char *name,
		     const struct ssh_config_set *set)
{
	const char *tok[128] = { 0 };
	struct buf home = BUF_INIT, port = BUF_INIT;
	struct passwd pw, *pwp = NULL;
	char tmp[4096];
	int error = 0, only;

	if (fs_home_dir(&home) < 0)
		return -1;
	buf_addf(&port, "%d", o->port ? o->port : 22);
	if (!getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &pwp) && pwp)
		tok['u'] = pw.pw_name;
	tok['d'] = home.ptr;
	tok['h'] = o->host;
	tok['n'] = name;
	tok['p'] = port.ptr;
	tok['r'] = o->user ? o->user : tok['u'];
	for (size_t i = 0; !error && i < c->ids_nr; i++)
		error = path_value(h, &h->keys[i], &c->ids[i], tok);
	if (!error && c->ids_nr) {
		o->more_keys = h->keys;
		o->more_keys_nr = c->ids_nr;
	}
	only = set->identities_only;
	if (!error && only < 0 && c->v[SSHCFG_IDENTITIESONLY].v &&
	    (only = yes_no(&c->v[SSHCFG_IDENTITIESONLY], "IdentitiesOnly")) < 0)
		error = -1;
	o->identities_only = only > 0;
	buf_release(&home);
	buf_release(&port);
	return error;
}

/* UserKnownHostsFile, StrictHostKeyChecking, timeouts */
static int fill_checks(struct ssh_opts *o, struct ssh_config_hold *h,
		       const struct sshcfg_host *c,
		       const struct ssh_config_set *set)
{
	const char *tok[128] = { 0 };
	int error = 0, alive;

	if (!o->known_hosts && c->v[SSHCFG_KNOWNHOSTS].v &&
	    (error = path_value(h, &o->known_hosts, &c->v[SSHCFG_KNOWNHOSTS],
				tok)) >= 0)
		/* ssh reads each file of a list; tend its first */
		h->strs[h->nr - 1][strcspn(o->known_hosts, " \t")] = '\0';
	if (!error && !set->check && c->v[SSHCFG_STRICT].v)
		error = strict(&o->host_key_checking, &c->v[SSHCFG_STRICT]);
	if (!error && !o->connect_timeout_ms && c->v[SSHCFG_CONNECTTIMEOUT].v &&
	    (error = number(&o->connect_timeout_ms,
			    &c->v[SSHCFG_CONNECTTIMEOUT], "ConnectTimeout",
			    1, 86400)) >= 0)
		o->connect_timeout_ms *= 1000;
	if (!error && !o->keepalive_interval && c->v[SSHCFG_ALIVE].v &&
	    (error = number(&alive, &c->v[SSHCFG_ALIVE],
			    "ServerAliveInterval", 0, 86400)) >= 0)
		o->keepalive_interval = alive ? alive : -1;
	return error;
}

int ssh_config_fill(struct ssh_opts *o, struct ssh_config_hold *h,
		    const char *file, const char *name,
		    const struct ssh_config_set *set)
{
	struct sshconfig cfg;
	struct sshcfg_host c;
	int error;

	if (file && !strcmp(file, "none"))
		return 0;
	sshconfig_init(&cfg);
	if ((error = read_config(&cfg, file)) < 0 ||
	    (error = sshconfig_lookup(&c, &cfg, name)) < 0)
		goto out;
	if (c.v[SSHCFG_PROXYJUMP].v)
		h->jump = hold(h, xstrdup(c.v[SSHCFG_PROXYJUMP].v));
	if ((error = fill_where(o, h, &c, name)) < 0 ||
	    (error = fill_keys(o, h, &c, name, set)) < 0 ||
	    (error = fill_checks(o, h, &c, set)) < 0)
		goto out;
out:
	sshconfig_release(&cfg);
	return error;
}
