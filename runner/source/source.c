#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/net/knownhosts.h"
#include "tend/source/source.h"
#include "tend/util/fs.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <git2.h>
#include <libssh2.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

/*
 * Layout and locking are described in source.h. The fetch runs in a
 * forked child because libgit2 1.5 has no network timeouts: a server that
 * accepts and then says nothing would block its socket reads for ever.
 * The parent waits on a pipe until the deadline and kills the child; the
 * lock files a killed libgit2 may leave behind are swept under our own
 * lock before the next use of the repository.
 */

#define DEFAULT_TIMEOUT_MS 60000
/* a tree nobody asked for in this long is removed */
#define TREE_MAX_IDLE_S (7 * 24 * 3600)
#define MARKER ".tend-source"
#define TMP_INFIX ".tend-tmp-"
#define OLD_INFIX ".tend-old-"

enum url_kind { URL_UNKNOWN, URL_LOCAL, URL_GIT, URL_SSH, URL_HTTP, URL_HTTPS };

struct url_info {
	enum url_kind kind;
	char *url;   /* as handed to libgit2, and hashed for the cache */
	char *host;  /* ssh */
	int port;    /* ssh */
	char *label; /* ssh: the host's name in known_hosts */
};

static void url_info_release(struct url_info *u)
{
	free(u->url);
	free(u->host);
	free(u->label);
	memset(u, 0, sizeof(*u));
}

/* "[user@]host[:port]" (host may be "[v6]") into u->host and u->port */
static int parse_authority(struct url_info *u, const char *s, size_t len)
{
	const char *at = memrchr(s, '@', len), *end = s + len, *colon;
	char *endp;

	if (at) {
		len -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	u->port = 22;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return -1;
		u->host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(s, ':', len);
		u->host = xstrndup(s, colon ? (size_t)(colon - s) : len);
	}
	if (colon) {
		long port = strtol(colon + 1, &endp, 10);

		if (endp != end || port < 1 || port > 65535)
			return -1;
		u->port = (int)port;
	}
	return u->host[0] ? 0 : -1;
}

/*
 * Which transport a URL asks for, as git decides it: a scheme, else
 * scp-like `host:path` when a colon comes before any slash, else a path.
 */
static int url_parse(struct url_info *u, const char *url)
{
	static const struct {
		const char *scheme;
		enum url_kind kind;
	} schemes[] = {
		{ "file", URL_LOCAL }, { "git", URL_GIT }, { "ssh", URL_SSH },
		{ "git+ssh", URL_SSH }, { "ssh+git", URL_SSH },
		{ "http", URL_HTTP }, { "https", URL_HTTPS },
	};
	const char *sep = strstr(url, "://");
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	memset(u, 0, sizeof(*u));
	if (!*url)
		return tend_error_set("empty repository URL");
	if (sep) {
		size_t n = (size_t)(sep - url);

		for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
			if (strlen(schemes[i].scheme) == n &&
			    !strncasecmp(url, schemes[i].scheme, n))
				u->kind = schemes[i].kind;
		if (!u->kind)
			return tend_error_set("unsupported URL scheme in '%s' "
					      "(file, git, ssh, http, https)",
					      url);
		u->url = xstrdup(url);
		if (u->kind == URL_LOCAL && !strncmp(url + n, ":///", 4)) {
			/* file:///a and /a are one repository: one cache */
			char *real = realpath(url + n + 3, NULL);

			free(u->url);
			u->url = real ? real : xstrdup(url + n + 3);
		}
		if (u->kind == URL_SSH) {
			const char *auth = sep + 3;
			size_t alen = strcspn(auth, "/");

			if (parse_authority(u, auth, alen) < 0)
				goto bad;
		}
	} else if (colon && (!slash || colon < slash) && url[0] != '/') {
		u->kind = URL_SSH;
		u->url = xstrdup(url);
		if (parse_authority(u, url, (size_t)(colon - url)) < 0)
			goto bad;
		/* scp-like syntax cannot name a port */
		u->port = 22;
	} else {
		/* one spelling per repository: one cache directory */
		char *real = realpath(url, NULL);

		u->kind = URL_LOCAL;
		if (real) {
			u->url = real;
		} else {
			struct buf b = BUF_INIT;
			char *cwd = url[0] == '/' ? NULL : getcwd(NULL, 0);

			if (cwd)
				buf_addf(&b, "%s/", cwd);
			buf_adds(&b, url);
			free(cwd);
			u->url = buf_detach(&b, NULL);
		}
	}
	if (u->kind == URL_SSH) {
		struct buf b = BUF_INIT;

		if (u->port == 22)
			buf_adds(&b, u->host);
		else
			buf_addf(&b, "[%s]:%d", u->host, u->port);
		u->label = buf_detach(&b, NULL);
	}
	return 0;
bad:
	return tend_error_set("cannot parse the host of '%s'", url);
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

static char *user_name(void)
{
	struct passwd pw, *pwp = NULL;
	char tmp[4096];
	const char *env = getenv("USER");

	if (!getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &pwp) && pwp)
		return xstrdup(pw.pw_name);
	return xstrdup(env && *env ? env : "root");
}

int source_cache_root(struct buf *out, const struct source_opts *o)
{
	const char *xdg = getenv("XDG_CACHE_HOME");

	if (o->cache_dir) {
		buf_adds(out, o->cache_dir);
	} else if (xdg && xdg[0] == '/') {
		buf_addf(out, "%s/tend/repos", xdg);
	} else {
		if (home_dir(out) < 0)
			return -1;
		buf_adds(out, "/.cache/tend/repos");
	}
	return 0;
}

/* mkdir -p */
static int mkdirs(const char *path)
{
	struct buf b = BUF_INIT;
	int error = 0;

	buf_adds(&b, path);
	for (char *p = b.ptr + 1; ; p++) {
		char c = *p;

		if (c != '/' && c)
			continue;
		*p = '\0';
		if (mkdir(b.ptr, 0755) < 0 && errno != EEXIST) {
			error = tend_error_set("cannot create '%s': %s", b.ptr,
					       strerror(errno));
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	buf_release(&b);
	return error;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* rm -rf; what cannot be removed stays, silently */
static void remove_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int rm_git_lock(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode) && n > 5 &&
	    !strcmp(path + n - 5, ".lock"))
		unlink(path);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take the per-repository lock, waiting up to timeout_ms. */
static int lock_repo(int *fd_out, const char *path, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return tend_error_set("cannot open '%s': %s", path,
				      strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return tend_error_set("cannot lock '%s': %s", path,
					      strerror(errno));
		}
		if (now_ms() > deadline) {
			close(fd);
			return tend_error_set("another tend still holds '%s' "
					      "after %d s", path,
					      timeout_ms / 1000);
		}
		poll(NULL, 0, 20);
	}
	*fd_out = fd;
	return 0;
}

TEND_PRINTF(2, 3)
static int error_from_git(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = tend_error_set_code(code, "%s: %s", b.ptr,
				 e && e->message ? e->message : "unknown error");
	buf_release(&b);
	return rc;
}

/*
 * The fetch, in the child process.
 */

struct ssh_cred {
	bool agent;
	char *path;
};

struct fetch_ctx {
	const struct source_opts *o;
	const struct url_info *u;
	struct ssh_cred creds[4];
	size_t creds_nr, creds_next;
	int user_tries, token_tries;
	char *user;
	/* why we refused (credentials, host key): better than libgit2's */
	struct buf why;
	int why_code;
};

static void fetch_ctx_init(struct fetch_ctx *c, const struct source_opts *o,
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
	if (home_dir(&b) < 0) {
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

static void fetch_ctx_release(struct fetch_ctx *c)
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
static int cred_cb(git_credential **out, const char *url,
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
		if ((error = home_dir(&path)) < 0)
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

static int cert_cb(git_cert *cert, int valid, const char *host,
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

static int child_fetch(const char *repo_path, const struct source_opts *o,
		       const struct url_info *u)
{
	static char heads[] = "+refs/heads/*:refs/remotes/origin/*";
	static char tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[] = { heads, tags };
	git_strarray refspecs = { specs, 2 };
	git_fetch_options fo;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct fetch_ctx c;
	int error;

	fetch_ctx_init(&c, o, u);
	if (u->kind == URL_LOCAL && access(u->url, F_OK) < 0) {
		/* libgit2 would call it an "unsupported URL protocol" */
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"no repository at '%s': %s", u->url, strerror(errno));
		goto out;
	}
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = cred_cb;
	fo.callbacks.certificate_check = cert_cb;
	fo.callbacks.payload = &c;
	fo.prune = GIT_FETCH_PRUNE;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_repository_open_bare(&repo, repo_path) < 0 ||
	    git_remote_create_anonymous(&remote, repo, u->url) < 0) {
		error = error_from_git(-1, "cannot open '%s'", repo_path);
		goto out;
	}
	if (git_remote_fetch(remote, &refspecs, &fo, "tend fetch") < 0) {
		const git_error *e = git_error_last();

		if (c.why.len)
			error = tend_error_set_code(c.why_code, "%s", c.why.ptr);
		else if (e && (e->klass == GIT_ERROR_NET ||
			       e->klass == GIT_ERROR_SSH ||
			       e->klass == GIT_ERROR_OS ||
			       e->klass == GIT_ERROR_SSL))
			error = error_from_git(TEND_EUNREACHABLE,
					       "cannot reach '%s'", u->url);
		else
			error = error_from_git(TEND_EUNREACHABLE,
					       "cannot fetch '%s'", u->url);
		goto out;
	}
	error = 0;
out:
	git_remote_free(remote);
	git_repository_free(repo);
	fetch_ctx_release(&c);
	return error;
}

static void write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Fetch in a child and wait for it until the deadline. The child reports
 * on the pipe: its error code (4 bytes) and then the message.
 */
static int fetch_guarded(const char *repo_path, const struct source_opts *o,
			 const struct url_info *u, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct buf report = BUF_INIT;
	bool timed_out = false;
	int fds[2], status = 0, error = 0;
	int32_t code;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return tend_error_set("cannot create a pipe: %s",
				      strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return tend_error_set("cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		const char *msg;

		close(fds[0]);
		signal(SIGPIPE, SIG_IGN);
		code = child_fetch(repo_path, o, u);
		msg = code ? tend_error_last() : "";
		write_all(fds[1], &code, sizeof(code));
		write_all(fds[1], msg, strlen(msg));
		close(fds[1]);
		git_libgit2_shutdown();
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		char tmp[4096];
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			break;
		if (!pfd.revents)
			continue;
		n = read(fds[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&report, tmp, (size_t)n);
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		error = tend_error_set_code(TEND_EUNREACHABLE,
			"fetching '%s' timed out after %d ms", u->url,
			timeout_ms);
	} else if (report.len < sizeof(code)) {
		error = tend_error_set("the fetch of '%s' died (%s %d)", u->url,
			WIFSIGNALED(status) ? "signal" : "exit status",
			WIFSIGNALED(status) ? WTERMSIG(status) :
			WEXITSTATUS(status));
	} else {
		memcpy(&code, report.ptr, sizeof(code));
		if (code)
			error = tend_error_set_code(code, "%s",
						    report.ptr + sizeof(code));
	}
	buf_release(&report);
	return error;
}

/*
 * Resolving and checking the commit.
 */

static bool all_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* The commit a ref name points at (peeling tags); ENOTFOUND if none. */
static int peel_ref(git_oid *out, git_repository *repo, const char *name)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	int error;

	if ((error = git_reference_lookup(&ref, repo, name)) < 0)
		return error == GIT_ENOTFOUND ? TEND_ENOTFOUND :
		       error_from_git(-1, "cannot read '%s'", name);
	if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
		error = error_from_git(-1, "'%s' does not point at a commit",
				       name);
	} else {
		git_oid_cpy(out, git_object_id(obj));
		error = 0;
	}
	git_object_free(obj);
	git_reference_free(ref);
	return error;
}

/* Some branch names, to say what there is when a ref is unknown. */
static void list_branches(struct buf *out, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	const char *name;
	size_t n = 0;

	if (git_reference_iterator_glob_new(&it, repo,
					    "refs/remotes/origin/*") < 0)
		return;
	while (git_reference_next_name(&name, it) == 0) {
		if (n++ == 8) {
			buf_adds(out, ", ...");
			break;
		}
		buf_addf(out, "%s%s", n > 1 ? ", " : "",
			 name + strlen("refs/remotes/origin/"));
	}
	git_reference_iterator_free(it);
}

static bool has_refs(git_repository *repo)
{
	git_reference_iterator *it = NULL;
	const char *name;
	bool any = false;

	if (git_reference_iterator_new(&it, repo) < 0)
		return false;
	any = git_reference_next_name(&name, it) == 0;
	git_reference_iterator_free(it);
	return any;
}

static int resolve_ref(git_oid *out, git_repository *repo, const char *ref,
		       const char *url)
{
	struct buf name = BUF_INIT, branches = BUF_INIT;
	const char *const forms[] = { "refs/tags/%s", "refs/remotes/origin/%s" };
	int error = TEND_ENOTFOUND;

	if (all_hex(ref, GIT_OID_HEXSZ, GIT_OID_HEXSZ)) {
		git_commit *c = NULL;

		if (git_oid_fromstr(out, ref) == 0 &&
		    git_commit_lookup(&c, repo, out) == 0) {
			git_commit_free(c);
			return 0;
		}
		goto notfound;
	}
	if (!strncmp(ref, "refs/heads/", 11)) {
		buf_addf(&name, "refs/remotes/origin/%s", ref + 11);
		error = peel_ref(out, repo, name.ptr);
	} else if (!strncmp(ref, "refs/tags/", 10)) {
		error = peel_ref(out, repo, ref);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
			buf_reset(&name);
			buf_addf(&name, forms[i], ref);
			if ((error = peel_ref(out, repo, name.ptr)) !=
			    TEND_ENOTFOUND)
				break;
		}
	}
	if (error != TEND_ENOTFOUND)
		goto out;
	if (all_hex(ref, 4, GIT_OID_HEXSZ - 1)) {
		git_object *obj = NULL;
		git_oid prefix;

		if (git_oid_fromstrn(&prefix, ref, strlen(ref)) == 0) {
			error = git_object_lookup_prefix(&obj, repo, &prefix,
					strlen(ref), GIT_OBJECT_COMMIT);
			if (error == GIT_EAMBIGUOUS) {
				error = tend_error_set("commit id '%s' is "
					"ambiguous in '%s': give more digits",
					ref, url);
				goto out;
			}
			if (error == 0) {
				git_oid_cpy(out, git_object_id(obj));
				git_object_free(obj);
				goto out;
			}
		}
	}
notfound:
	list_branches(&branches, repo);
	error = tend_error_set_code(TEND_ENOTFOUND, "unknown ref '%s' in '%s': "
		"no such branch, tag or commit (branches: %s)", ref, url,
		branches.len ? branches.ptr : "none");
out:
	buf_release(&name);
	buf_release(&branches);
	return error;
}

static int check_ancestor(git_repository *repo, const git_oid *id,
			  const char *branch, const char *url)
{
	struct buf name = BUF_INIT;
	git_oid tip;
	int error;

	if (!strncmp(branch, "refs/heads/", 11))
		branch += 11;
	buf_addf(&name, "refs/remotes/origin/%s", branch);
	error = peel_ref(&tip, repo, name.ptr);
	buf_release(&name);
	if (error == TEND_ENOTFOUND)
		return tend_error_set("no branch '%s' in '%s' "
				      "(--require-ancestor-of)", branch, url);
	if (error < 0)
		return error;
	if (git_oid_equal(&tip, id))
		return 0;
	error = git_graph_descendant_of(repo, &tip, id);
	if (error < 0)
		return error_from_git(-1, "cannot walk '%s'", branch);
	if (!error) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), id);
		return tend_error_set("refusing commit %s: it is not on branch "
				      "'%s' of '%s'", hex, branch, url);
	}
	return 0;
}

static int verify_commit(struct source_result *out, git_repository *repo,
			 git_commit *c, const struct source_opts *o)
{
	git_buf sig = { 0 }, data = { 0 };
	struct source_signers signers = SOURCE_SIGNERS_INIT;
	const char *principals = NULL;
	git_oid id;
	int error;

	git_oid_cpy(&id, git_commit_id(c));
	error = git_commit_extract_signature(&sig, &data, repo, &id, NULL);
	if (error == GIT_ENOTFOUND) {
		error = tend_error_set("refusing commit %s: it is not signed "
				       "(--verify-signatures)", out->commit);
		goto out;
	}
	if (error < 0) {
		error = error_from_git(-1, "cannot read the signature of %s",
				       out->commit);
		goto out;
	}
	if (strstr(sig.ptr, "-----BEGIN PGP SIGNATURE-----")) {
		error = tend_error_set("refusing commit %s: it has an OpenPGP "
			"signature, and tend verifies only SSH signatures "
			"(gpg.format ssh)", out->commit);
		goto out;
	}
	if ((error = source_signers_load(&signers, o->allowed_signers)) < 0)
		goto out;
	error = source_sshsig_verify(&principals, &signers, sig.ptr, sig.size,
				     data.ptr, data.size, "git",
				     (long long)git_commit_time(c));
	if (error < 0) {
		tend_error_prefix("refusing commit %s", out->commit);
		goto out;
	}
	out->signer = xstrdup(principals);
out:
	source_signers_release(&signers);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
}

/*
 * Checking out.
 */

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/*
 * Check the tree of `c` out into a new directory beside `dir`, then put
 * it in dir's place, so that a reader sees the old tree or the new one.
 */
static int checkout_to(git_repository *repo, git_commit *c, const char *dir,
		       const char *marker)
{
	git_checkout_options co;
	struct buf tmp = BUF_INIT, old = BUF_INIT, mark = BUF_INIT;
	git_tree *tree = NULL;
	struct stat st;
	int error = 0;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	buf_addf(&tmp, "%s" TMP_INFIX "%d", dir, (int)getpid());
	buf_addf(&old, "%s" OLD_INFIX "%d", dir, (int)getpid());
	remove_tree(tmp.ptr);
	if (lstat(dir, &st) == 0) {
		buf_addf(&mark, "%s/" MARKER, dir);
		if (!S_ISDIR(st.st_mode) ||
		    (access(mark.ptr, F_OK) < 0 && !dir_is_empty(dir))) {
			error = tend_error_set("'%s' exists and was not made by "
				"tend: refusing to replace it", dir);
			goto out;
		}
	}
	if (mkdir(tmp.ptr, 0755) < 0) {
		error = tend_error_set("cannot create '%s': %s", tmp.ptr,
				       strerror(errno));
		goto out;
	}
	co.checkout_strategy = GIT_CHECKOUT_FORCE |
			       GIT_CHECKOUT_DONT_UPDATE_INDEX;
	co.target_directory = tmp.ptr;
	if (git_commit_tree(&tree, c) < 0 ||
	    git_checkout_tree(repo, (const git_object *)tree, &co) < 0) {
		error = error_from_git(-1, "cannot check out into '%s'",
				       tmp.ptr);
		goto out;
	}
	if (marker) {
		buf_reset(&mark);
		buf_addf(&mark, "%s/" MARKER, tmp.ptr);
		if ((error = buf_write_file_atomic(mark.ptr, marker,
						   strlen(marker), 0644)) < 0)
			goto out;
	}
	if (lstat(dir, &st) == 0 && rename(dir, old.ptr) < 0) {
		error = tend_error_set("cannot move '%s' aside: %s", dir,
				       strerror(errno));
		goto out;
	}
	if (rename(tmp.ptr, dir) < 0) {
		error = tend_error_set("cannot rename '%s' to '%s': %s",
				       tmp.ptr, dir, strerror(errno));
		goto out;
	}
	remove_tree(old.ptr);
out:
	if (error < 0)
		remove_tree(tmp.ptr);
	git_tree_free(tree);
	buf_release(&tmp);
	buf_release(&old);
	buf_release(&mark);
	return error;
}

/* Remove leftovers and trees nobody used for a long time. */
static void prune_trees(const char *trees, const char *keep)
{
	DIR *d = opendir(trees);
	struct dirent *e;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct buf p = BUF_INIT;
		struct stat st;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, keep))
			continue;
		buf_addf(&p, "%s/%s", trees, e->d_name);
		if (strstr(e->d_name, TMP_INFIX) || strstr(e->d_name, OLD_INFIX) ||
		    (lstat(p.ptr, &st) == 0 &&
		     now - st.st_mtime > TREE_MAX_IDLE_S))
			remove_tree(p.ptr);
		buf_release(&p);
	}
	closedir(d);
}

static void describe(struct source_result *out, git_commit *c)
{
	const git_signature *a = git_commit_author(c);
	const char *summary = git_commit_summary(c);
	struct buf b = BUF_INIT;

	git_oid_tostr(out->commit, sizeof(out->commit), git_commit_id(c));
	out->subject = xstrdup(summary ? summary : "");
	buf_addf(&b, "%s <%s>", a->name, a->email);
	out->author = buf_detach(&b, NULL);
	out->time = (long long)git_commit_time(c);
}

/* Make the repository if it is not there; sweep what a killed fetch left. */
static int prepare_repo(const char *repo_path, const char *dir,
			const struct url_info *u)
{
	git_repository *repo = NULL;
	struct buf url_file = BUF_INIT;
	struct stat st;
	int error = 0;

	if (stat(repo_path, &st) == 0) {
		nftw(repo_path, rm_git_lock, 16, FTW_PHYS);
		return 0;
	}
	if (git_repository_init(&repo, repo_path, 1) < 0)
		return error_from_git(-1, "cannot create '%s'", repo_path);
	git_repository_free(repo);
	buf_addf(&url_file, "%s/url", dir);
	error = buf_write_file_atomic(url_file.ptr, u->url, strlen(u->url),
				      0644);
	buf_release(&url_file);
	return error;
}

static pthread_once_t git_once = PTHREAD_ONCE_INIT;

static void git_set_cert_locations(void)
{
	/*
	 * libgit2 with mbedTLS knows no default CA bundle: give it the
	 * system's, where there is one.
	 */
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
				 "/etc/ssl/certs/ca-certificates.crt", NULL);
}

int source_fetch(struct source_result *out, const struct source_opts *o)
{
	struct url_info u;
	struct buf dir = BUF_INIT, path = BUF_INIT, tree = BUF_INIT;
	struct buf marker = BUF_INIT;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(hash) + 1];
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_oid id;
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	int lock_fd = -1, error;
	bool inited = false;

	memset(out, 0, sizeof(*out));
	memset(&u, 0, sizeof(u));
	if (!o->url || !o->ref || !*o->ref)
		return tend_error_set("a git source needs a URL and a ref");
	if (o->verify_signatures && !o->allowed_signers)
		return tend_error_set("--verify-signatures needs "
				      "--allowed-signers FILE");
	if ((error = url_parse(&u, o->url)) < 0)
		goto out;
	if (git_libgit2_init() < 0) {
		error = error_from_git(-1, "cannot initialise libgit2");
		goto out;
	}
	inited = true;
	pthread_once(&git_once, git_set_cert_locations);

	crypto_hash_sha256(hash, (const unsigned char *)u.url, strlen(u.url));
	sodium_bin2hex(hex, sizeof(hex), hash, 16);
	if ((error = source_cache_root(&dir, o)) < 0)
		goto out;
	buf_addf(&dir, "/%s", hex);
	if ((error = mkdirs(dir.ptr)) < 0)
		goto out;
	buf_addf(&path, "%s/lock", dir.ptr);
	if ((error = lock_repo(&lock_fd, path.ptr, 2 * timeout)) < 0)
		goto out;
	buf_reset(&path);
	buf_addf(&path, "%s/repo.git", dir.ptr);
	if ((error = prepare_repo(path.ptr, dir.ptr, &u)) < 0)
		goto out;

	if (!o->offline &&
	    (error = fetch_guarded(path.ptr, o, &u, timeout)) < 0) {
		out->fetch_error = xstrdup(tend_error_last());
		out->stale = true;
	}
	if (git_repository_open_bare(&repo, path.ptr) < 0) {
		error = error_from_git(-1, "cannot open '%s'", path.ptr);
		goto out;
	}
	if (!has_refs(repo)) {
		/* nothing to fall back on: the fetch error is the error */
		if (!out->stale)
			error = tend_error_set_code(TEND_ENOTFOUND,
				o->offline ? "no fetched copy of '%s' in the "
				"cache: cannot run it --offline" :
				"'%s' has no branches or tags", u.url);
		goto out;
	}
	tend_error_clear();
	if ((error = resolve_ref(&id, repo, o->ref, u.url)) < 0) {
		if (out->stale)
			tend_error_prefix("%s; and in the cache",
					  out->fetch_error);
		goto out;
	}
	if (git_commit_lookup(&commit, repo, &id) < 0) {
		error = error_from_git(-1, "cannot read commit of '%s'", o->ref);
		goto out;
	}
	describe(out, commit);
	if (o->require_ancestor_of &&
	    (error = check_ancestor(repo, &id, o->require_ancestor_of,
				    u.url)) < 0)
		goto out;
	if (o->verify_signatures &&
	    (error = verify_commit(out, repo, commit, o)) < 0)
		goto out;

	buf_addf(&tree, "%s/trees", dir.ptr);
	if ((error = mkdirs(tree.ptr)) < 0)
		goto out;
	if (o->worktree) {
		buf_addf(&marker, "url: %s\ncommit: %s\n", u.url, out->commit);
		if ((error = checkout_to(repo, commit, o->worktree,
					 marker.ptr)) < 0)
			goto out;
		out->dir = realpath(o->worktree, NULL);
		if (!out->dir) {
			error = tend_error_set("cannot resolve '%s': %s",
					       o->worktree, strerror(errno));
			goto out;
		}
	} else {
		struct stat st;

		buf_addf(&tree, "/%s", out->commit);
		if (stat(tree.ptr, &st) == 0)
			utimensat(AT_FDCWD, tree.ptr, NULL, 0); /* in use */
		else if ((error = checkout_to(repo, commit, tree.ptr,
					      NULL)) < 0)
			goto out;
		out->dir = realpath(tree.ptr, NULL);
		if (!out->dir) {
			error = tend_error_set("cannot resolve '%s': %s",
					       tree.ptr, strerror(errno));
			goto out;
		}
		buf_setlen(&tree, tree.len - strlen(out->commit) - 1);
	}
	prune_trees(tree.ptr, out->commit);
	error = 0;
out:
	git_commit_free(commit);
	git_repository_free(repo);
	if (lock_fd >= 0)
		close(lock_fd);
	if (inited)
		git_libgit2_shutdown();
	url_info_release(&u);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&tree);
	buf_release(&marker);
	return error;
}

void source_result_release(struct source_result *r)
{
	if (!r)
		return;
	free(r->dir);
	free(r->subject);
	free(r->author);
	free(r->signer);
	free(r->fetch_error);
	memset(r, 0, sizeof(*r));
}

/*
 * SSH signatures (OpenSSH PROTOCOL.sshsig). All integers are big-endian
 * uint32; a "string" is a uint32 length and that many bytes.
 */

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SSHSIG_END "-----END SSH SIGNATURE-----"

struct wire {
	const unsigned char *p;
	size_t left;
};

static bool wire_u32(struct wire *w, uint32_t *v)
{
	if (w->left < 4)
		return false;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 |
	     (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	w->left -= 4;
	return true;
}

static bool wire_string(struct wire *w, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (!wire_u32(w, &n) || n > w->left)
		return false;
	*s = w->p;
	*len = n;
	w->p += n;
	w->left -= n;
	return true;
}

static bool bytes_are(const unsigned char *s, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(s, want, len);
}

static void put_string(struct buf *b, const void *s, size_t len)
{
	unsigned char n[4] = { (unsigned char)(len >> 24),
			       (unsigned char)(len >> 16),
			       (unsigned char)(len >> 8), (unsigned char)len };

	buf_add(b, n, 4);
	buf_add(b, s, len);
}

/* OpenSSH's fingerprint of a key blob: "SHA256:base64" */
static void fingerprint(char *out, size_t size, const unsigned char *blob,
			size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, len);
	memcpy(out, "SHA256:", 8);
	sodium_bin2base64(out + 7, size - 7, h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static int b64_decode(unsigned char **out, size_t *out_len, const char *s,
		      size_t len)
{
	size_t max = len / 4 * 3 + 3;
	unsigned char *bin = xmalloc(max ? max : 1);

	if (sodium_base642bin(bin, max, s, len, " \t\r\n", out_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) < 0) {
		free(bin);
		return -1;
	}
	*out = bin;
	return 0;
}

/* Does `ns` match the comma-separated pattern list (OpenSSH style)? */
static bool ns_allowed(const char *list, const char *ns)
{
	bool allowed = false;

	while (*list) {
		size_t n = strcspn(list, ",");
		char *pat = xstrndup(list, n);
		bool neg = pat[0] == '!';

		if (!fnmatch(neg ? pat + 1 : pat, ns, 0)) {
			if (neg) {
				free(pat);
				return false;
			}
			allowed = true;
		}
		free(pat);
		list += n + (list[n] == ',');
	}
	return allowed;
}

int source_sshsig_verify(const char **principals,
			 const struct source_signers *signers,
			 const char *sig, size_t sig_len, const void *msg,
			 size_t msg_len, const char *ns, long long when)
{
	const char *begin, *end;
	unsigned char *blob = NULL;
	size_t blob_len = 0;
	const unsigned char *pk, *sns, *reserved, *halg, *sigblob, *ktype,
		*kbytes, *stype, *sbytes;
	size_t pk_len, sns_len, reserved_len, halg_len, sigblob_len,
		ktype_len, kbytes_len, stype_len, sbytes_len;
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t h_len;
	struct buf data = BUF_INIT, why = BUF_INIT;
	char fp[64];
	uint32_t version;
	struct wire w, k, s;
	int error = -1;

	*principals = NULL;
	begin = memmem(sig, sig_len, SSHSIG_BEGIN, strlen(SSHSIG_BEGIN));
	end = begin ? memmem(begin, sig_len - (size_t)(begin - sig),
			     SSHSIG_END, strlen(SSHSIG_END)) : NULL;
	if (!begin || !end)
		return tend_error_set("not an SSH signature");
	begin += strlen(SSHSIG_BEGIN);
	if (b64_decode(&blob, &blob_len, begin, (size_t)(end - begin)) < 0)
		return tend_error_set("the SSH signature is not valid base64");
	w.p = blob;
	w.left = blob_len;
	if (w.left < 6 || memcmp(w.p, SSHSIG_MAGIC, 6)) {
		tend_error_set("the SSH signature lacks its SSHSIG preamble");
		goto out;
	}
	w.p += 6;
	w.left -= 6;
	if (!wire_u32(&w, &version) || !wire_string(&w, &pk, &pk_len) ||
	    !wire_string(&w, &sns, &sns_len) ||
	    !wire_string(&w, &reserved, &reserved_len) ||
	    !wire_string(&w, &halg, &halg_len) ||
	    !wire_string(&w, &sigblob, &sigblob_len)) {
		tend_error_set("the SSH signature is truncated");
		goto out;
	}
	if (version != 1) {
		tend_error_set("SSH signature version %u is not supported",
			       (unsigned)version);
		goto out;
	}
	fingerprint(fp, sizeof(fp), pk, pk_len);
	if (!bytes_are(sns, sns_len, ns)) {
		tend_error_set("the signature by %s is for namespace '%.*s', "
			       "not '%s'", fp, (int)sns_len, (const char *)sns,
			       ns);
		goto out;
	}
	if (bytes_are(halg, halg_len, "sha512")) {
		crypto_hash_sha512(h, msg, msg_len);
		h_len = crypto_hash_sha512_BYTES;
	} else if (bytes_are(halg, halg_len, "sha256")) {
		crypto_hash_sha256(h, msg, msg_len);
		h_len = crypto_hash_sha256_BYTES;
	} else {
		tend_error_set("unsupported SSH signature hash '%.*s'",
			       (int)halg_len, (const char *)halg);
		goto out;
	}
	k.p = pk;
	k.left = pk_len;
	s.p = sigblob;
	s.left = sigblob_len;
	if (!wire_string(&k, &ktype, &ktype_len)) {
		tend_error_set("the SSH signature has a malformed key");
		goto out;
	}
	if (!bytes_are(ktype, ktype_len, "ssh-ed25519")) {
		tend_error_set("signed by a %.*s key (%s): tend verifies only "
			       "ssh-ed25519 signatures", (int)ktype_len,
			       (const char *)ktype, fp);
		goto out;
	}
	if (!wire_string(&k, &kbytes, &kbytes_len) ||
	    kbytes_len != crypto_sign_PUBLICKEYBYTES ||
	    !wire_string(&s, &stype, &stype_len) ||
	    !bytes_are(stype, stype_len, "ssh-ed25519") ||
	    !wire_string(&s, &sbytes, &sbytes_len) ||
	    sbytes_len != crypto_sign_BYTES) {
		tend_error_set("the SSH signature is malformed");
		goto out;
	}
	buf_adds(&data, SSHSIG_MAGIC);
	put_string(&data, sns, sns_len);
	put_string(&data, reserved, reserved_len);
	put_string(&data, halg, halg_len);
	put_string(&data, h, h_len);
	if (crypto_sign_verify_detached(sbytes, (const unsigned char *)data.ptr,
					data.len, kbytes) != 0) {
		tend_error_set("bad signature by %s: the signed content was "
			       "changed, or the signature is corrupt", fp);
		goto out;
	}
	for (size_t i = 0; i < signers->nr; i++) {
		const struct source_signer *a = &signers->items[i];

		if (a->key_len != pk_len || memcmp(a->key, pk, pk_len) ||
		    a->cert_authority)
			continue;
		buf_reset(&why);
		if (a->namespaces && !ns_allowed(a->namespaces, ns))
			buf_addf(&why, "allowed for namespaces '%s' only, "
				 "not '%s'", a->namespaces, ns);
		else if (a->valid_after && when < a->valid_after)
			buf_adds(&why, "not valid yet at the commit's time");
		else if (a->valid_before && when > a->valid_before)
			buf_adds(&why, "expired at the commit's time");
		if (!why.len) {
			*principals = a->principals;
			error = 0;
			goto out;
		}
	}
	if (why.len)
		tend_error_set("signed by %s: that key is %s", fp, why.ptr);
	else
		tend_error_set("signed by %s, which is not an allowed signer",
			       fp);
out:
	free(blob);
	buf_release(&data);
	buf_release(&why);
	return error;
}

/*
 * allowed_signers
 */

/* The next whitespace-separated token; double quotes group. */
static bool next_token(const char **p, const char *end, struct buf *tok)
{
	const char *s = *p;
	bool quoted = false;

	buf_reset(tok);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return false;
	for (; s < end && (quoted || (*s != ' ' && *s != '\t')); s++) {
		if (*s == '"')
			quoted = !quoted;
		buf_addch(tok, *s);
	}
	*p = s;
	return true;
}

static void unquote(struct buf *b)
{
	if (b->len >= 2 && b->ptr[0] == '"' && b->ptr[b->len - 1] == '"') {
		memmove(b->ptr, b->ptr + 1, b->len - 2);
		buf_setlen(b, b->len - 2);
	}
}

static bool is_key_type(const char *s)
{
	return !strncmp(s, "ssh-", 4) || !strncmp(s, "ecdsa-", 6) ||
	       !strncmp(s, "sk-", 3);
}

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* YYYYMMDD[HHMM[SS]][Z] as UTC seconds; -1 if malformed */
static long long parse_time(const char *s)
{
	size_t n = strlen(s);
	int f[6] = { 0, 1, 1, 0, 0, 0 };
	const int widths[6] = { 4, 2, 2, 2, 2, 2 };

	if (n && s[n - 1] == 'Z')
		n--;
	if (n != 8 && n != 12 && n != 14)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	for (size_t i = 0, off = 0; off < n; off += (size_t)widths[i], i++) {
		f[i] = 0;
		for (int j = 0; j < widths[i]; j++)
			f[i] = f[i] * 10 + (s[off + (size_t)j] - '0');
	}
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return -1;
	return days_from_civil(f[0], (unsigned)f[1], (unsigned)f[2]) * 86400 +
	       f[3] * 3600 + f[4] * 60 + f[5];
}

static int parse_options(struct source_signer *sg, const char *opts,
			 const char *name, unsigned int line)
{
	const char *p = opts;

	while (*p) {
		struct buf opt = BUF_INIT;
		bool quoted = false;
		const char *eq;
		int error = 0;

		for (; *p && (quoted || *p != ','); p++) {
			if (*p == '"')
				quoted = !quoted;
			buf_addch(&opt, *p);
		}
		if (*p == ',')
			p++;
		eq = strchr(opt.ptr, '=');
		if (eq) {
			struct buf v = BUF_INIT;
			size_t klen = (size_t)(eq - opt.ptr);

			buf_adds(&v, eq + 1);
			unquote(&v);
			if (klen == 10 && !strncasecmp(opt.ptr, "namespaces", 10)) {
				free(sg->namespaces);
				sg->namespaces = buf_detach(&v, NULL);
			} else if (klen == 11 &&
				   !strncasecmp(opt.ptr, "valid-after", 11)) {
				if ((sg->valid_after = parse_time(v.ptr)) < 0)
					error = -1;
			} else if (klen == 12 &&
				   !strncasecmp(opt.ptr, "valid-before", 12)) {
				if ((sg->valid_before = parse_time(v.ptr)) < 0)
					error = -1;
			} else {
				error = -2;
			}
			buf_release(&v);
		} else if (!strcasecmp(opt.ptr, "cert-authority")) {
			sg->cert_authority = true;
		} else {
			error = -2;
		}
		if (error == -1)
			error = tend_error_set_code(TEND_EPARSE, "%s:%u: bad "
				"time in '%s' (YYYYMMDD[HHMM[SS]][Z])", name,
				line, opt.ptr);
		else if (error == -2)
			error = tend_error_set_code(TEND_EPARSE, "%s:%u: "
				"unknown option '%s'", name, line, opt.ptr);
		buf_release(&opt);
		if (error < 0)
			return error;
	}
	return 0;
}

static void signer_release(struct source_signer *sg)
{
	free(sg->principals);
	free(sg->namespaces);
	free(sg->key);
	free(sg->key_type);
}

static int parse_signer_line(struct source_signer *sg, const char *p,
			     const char *end, const char *name,
			     unsigned int line)
{
	struct buf tok = BUF_INIT;
	struct wire w;
	const unsigned char *t;
	size_t tlen;
	int error = 0;

	memset(sg, 0, sizeof(*sg));
	sg->line = line;
	next_token(&p, end, &tok);
	unquote(&tok);
	sg->principals = xstrdup(tok.ptr);
	if (!next_token(&p, end, &tok))
		goto truncated;
	if (!is_key_type(tok.ptr)) {
		if ((error = parse_options(sg, tok.ptr, name, line)) < 0)
			goto out;
		if (!next_token(&p, end, &tok))
			goto truncated;
	}
	sg->key_type = xstrdup(tok.ptr);
	if (!next_token(&p, end, &tok))
		goto truncated;
	if (b64_decode(&sg->key, &sg->key_len, tok.ptr, tok.len) < 0) {
		error = tend_error_set_code(TEND_EPARSE, "%s:%u: the key is "
					    "not valid base64", name, line);
		goto out;
	}
	w.p = sg->key;
	w.left = sg->key_len;
	if (!wire_string(&w, &t, &tlen) || !bytes_are(t, tlen, sg->key_type)) {
		error = tend_error_set_code(TEND_EPARSE, "%s:%u: the key is not "
			"a '%s' key", name, line, sg->key_type);
		goto out;
	}
	goto out;
truncated:
	error = tend_error_set_code(TEND_EPARSE, "%s:%u: expected "
		"'principals [options] keytype key'", name, line);
out:
	buf_release(&tok);
	if (error < 0)
		signer_release(sg);
	return error;
}

int source_signers_parse(struct source_signers *out, const char *text,
			 size_t len, const char *name)
{
	const char *p = text, *end = text + len;
	unsigned int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *q = p;
		struct source_signer sg;
		int error;

		line++;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		while (eol > q && (eol[-1] == '\r' || eol[-1] == ' ' ||
				   eol[-1] == '\t'))
			eol--;
		p = nl ? nl + 1 : end;
		if (q == eol || *q == '#')
			continue;
		if ((error = parse_signer_line(&sg, q, eol, name, line)) < 0)
			return error;
		ALLOC_GROW(out->items, out->nr + 1, out->alloc);
		out->items[out->nr++] = sg;
	}
	return 0;
}

int source_signers_load(struct source_signers *out, const char *path)
{
	struct buf b = BUF_INIT;
	int error;

	if ((error = buf_read_file(&b, path)) == 0)
		error = source_signers_parse(out, b.ptr, b.len, path);
	buf_release(&b);
	return error;
}

void source_signers_release(struct source_signers *s)
{
	for (size_t i = 0; i < s->nr; i++)
		signer_release(&s->items[i]);
	free(s->items);
	s->items = NULL;
	s->nr = s->alloc = 0;
}
