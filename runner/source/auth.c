#include "tend/common.h"
#include "tend/util/fs.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/net/knownhosts.h"
#include "tend/source/source.h"
#include "tend/source/source_int.h"

#include <git2.h>
#include <libssh2.h>
#include <pwd.h>
#include <unistd.h>

/*
 * Both ends of the fetch's login, as libgit2 asks for them: the
 * credentials tend offers (a key at a time, a token over https only) and
 * the server identity it accepts (the host key against known_hosts, as
 * the SSH transport checks it; TLS as libgit2 verified it). Each refusal
 * leaves its own reason, which is clearer than libgit2's.
 */

static char *user_name(void)
{
	struct passwd pw, *pwp = NULL;
	char tmp[4096];
	const char *env = getenv("USER");

	if (!getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &pwp) && pwp)
		return xstrdup(pw.pw_name);
	return xstrdup(env && *env ? env : "root");
}

void source_fetch_ctx_init(struct fetch_ctx *c, const struct source_opts *o,
			   const struct url_info *u)
{
	static const char *const defaults[] = { "id_ed25519", "id_ecdsa",
						"id_rsa" };
	struct buf b = BUF_INIT;

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->u = u;
	buf_init(&c->why, 0);
	c->user = user_name();
	if (o->key) {
		c->creds[c->creds_nr++].path = xstrdup(o->key);
		return;
	}
	if (getenv("SSH_AUTH_SOCK"))
		c->creds[c->creds_nr++].agent = true;
	if (fs_home_dir(&b) < 0) {
		tend_error_clear();
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		struct buf p = BUF_INIT;

		buf_addf(&p, "%s/.ssh/%s", b.ptr, defaults[i]);
		if (access(p.ptr, R_OK) == 0)
			c->creds[c->creds_nr++].path = buf_detach(&p, NULL);
		buf_release(&p);
	}
	buf_release(&b);
}

void source_fetch_ctx_release(struct fetch_ctx *c)
{
	for (size_t i = 0; i < c->creds_nr; i++)
		free(c->creds[i].path);
	free(c->user);
	buf_release(&c->why);
}

TEND_PRINTF(3, 4)
static int refuse(struct fetch_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&c->why);
	va_start(ap, fmt);
	buf_vaddf(&c->why, fmt, ap);
	va_end(ap);
	c->why_code = code;
	return code == TEND_EUNREACHABLE ? GIT_ECERTIFICATE : GIT_EAUTH;
}

/*
 * libgit2 calls this again after every refused login: each call offers
 * the next key, and when none is left the fetch fails.
 */
int source_cred_cb(git_credential **out, const char *url,
		   const char *username_from_url, unsigned int allowed,
		   void *payload)
{
	struct fetch_ctx *c = payload;
	const char *user = username_from_url && *username_from_url ?
			   username_from_url : c->user;

	(void)url;
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const struct ssh_cred *cr;

		if (c->creds_next >= c->creds_nr) {
			struct buf tried = BUF_INIT;

			for (size_t i = 0; i < c->creds_nr; i++)
				buf_addf(&tried, "%s%s", i ? ", " : "",
					 c->creds[i].agent ? "the ssh-agent's "
					 "keys" : c->creds[i].path);
			refuse(c, -1, "'%s' refused the login as '%s' (tried: %s)",
			       c->u->label, user,
			       tried.len ? tried.ptr : "no key found; give one "
			       "with --key");
			buf_release(&tried);
			return GIT_EAUTH;
		}
		cr = &c->creds[c->creds_next++];
		if (cr->agent)
			return git_credential_ssh_key_from_agent(out, user);
		if (access(cr->path, R_OK) < 0)
			return refuse(c, -1, "cannot read the key '%s': %s",
				      cr->path, strerror(errno));
		return git_credential_ssh_key_new(out, user, NULL, cr->path,
						  NULL);
	}
	if (allowed & GIT_CREDENTIAL_USERNAME) {
		if (c->user_tries++ >= 2)
			return refuse(c, -1, "'%s' refused the user '%s'",
				      c->u->url, user);
		return git_credential_username_new(out, user);
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		const char *token = c->o->token_env ?
				    getenv(c->o->token_env) : NULL;

		if (c->u->kind != URL_HTTPS)
			return refuse(c, -1, "'%s' asks for credentials: tend "
				      "sends a token over https only",
				      c->u->url);
		if (!c->o->token_env)
			return refuse(c, -1, "'%s' asks for credentials: name "
				      "the environment variable that holds a "
				      "token (--token-env)", c->u->url);
		if (!token || !*token)
			return refuse(c, -1, "'%s' asks for credentials, but "
				      "$%s is not set", c->u->url,
				      c->o->token_env);
		if (c->token_tries++)
			return refuse(c, -1, "'%s' refused the token in $%s",
				      c->u->url, c->o->token_env);
		return git_credential_userpass_plaintext_new(out,
			username_from_url && *username_from_url ?
			username_from_url : "git", token);
	}
	return refuse(c, -1, "'%s' asks for credentials of a kind tend "
		      "cannot give", c->u->url);
}

static int check_ssh_host_key(struct fetch_ctx *c, const git_cert_hostkey *hk)
{
	LIBSSH2_SESSION *session = NULL;
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct buf path = BUF_INIT;
	int error;

	if (c->o->host_key_checking == SSH_HOST_KEY_OFF)
		return 0;
	if (!(hk->type & GIT_CERT_SSH_RAW))
		return tend_error_set_code(TEND_EUNREACHABLE,
			"no host key from '%s' to check", c->u->label);
	if (c->o->known_hosts) {
		buf_adds(&path, c->o->known_hosts);
	} else {
		if ((error = fs_home_dir(&path)) < 0)
			goto out;
		buf_adds(&path, "/.ssh/known_hosts");
	}
	/* a session that never connects: libssh2 wants one for known_hosts */
	session = libssh2_session_init();
	kh = session ? libssh2_knownhost_init(session) : NULL;
	if (!kh) {
		error = tend_error_set("cannot create an SSH session");
		goto out;
	}
	if ((error = knownhosts_load(kh, path.ptr)) < 0)
		goto out;
	error = knownhosts_check(kh, path.ptr, c->u->label, hk->hostkey,
				 hk->hostkey_len, (int)hk->raw_type,
				 c->o->host_key_checking);
out:
	if (kh)
		libssh2_knownhost_free(kh);
	if (session)
		libssh2_session_free(session);
	buf_release(&path);
	return error;
}

int source_cert_cb(git_cert *cert, int valid, const char *host,
		   void *payload)
{
	struct fetch_ctx *c = payload;

	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		if (check_ssh_host_key(c, (const git_cert_hostkey *)cert) < 0)
			return refuse(c, TEND_EUNREACHABLE, "%s",
				      tend_error_last());
		return 0;
	}
	/* TLS: libgit2 checked the chain and the name; we only agree */
	if (!valid)
		return refuse(c, TEND_EUNREACHABLE, "the TLS certificate of "
			      "'%s' does not verify: refusing", host);
	return 0;
}
