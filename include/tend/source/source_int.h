#ifndef TEND_SOURCE_INT_H
#define TEND_SOURCE_INT_H

/*
 * Internals shared by the files of runner/source/. Nothing outside that
 * folder includes this header; the public API is source.h.
 *
 *	source.c    source_fetch: the cache (directory, lock, repository)
 *	            and the steps in order
 *	url.c       which transport a URL asks for
 *	auth.c      the fetch's credentials and host-key/TLS checks
 *	fetch.c     the fetch, in a child process bounded by a timeout
 *	commit.c    the commit a ref names; ancestry and signature checks
 *	checkout.c  a commit's tree into a directory; pruning the trees
 *	sshsig.c    SSH signatures (PROTOCOL.sshsig) and the wire format
 *	signers.c   allowed_signers files
 */

#include "tend/util/buf.h"
#include "tend/source/source.h"

#include <git2.h>

/*
 * source.c
 */

/*
 * libgit2's last error, after the message made from `fmt`, as the error
 * with `code`. Returns `code` (tend_error_set_code).
 */
int error_from_git(int code, const char *fmt, ...) TEND_PRINTF(2, 3);

/*
 * The home directory ($HOME, else the password database) appended to
 * `out`. Returns 0, or -1 with the error set.
 */
/* Milliseconds on the monotonic clock, for deadlines. */
int64_t source_now_ms(void);

/*
 * url.c
 */

enum url_kind { URL_UNKNOWN, URL_LOCAL, URL_GIT, URL_SSH, URL_HTTP, URL_HTTPS };

struct url_info {
	enum url_kind kind;
	char *url;   /* as handed to libgit2, and hashed for the cache */
	char *host;  /* ssh */
	int port;    /* ssh */
	char *label; /* ssh: the host's name in known_hosts */
};

/*
 * Parse `url` into *u (which need not be initialised): its kind, its one
 * spelling (a local path made absolute and resolved, so that one
 * repository has one cache), and for ssh the host, port and known_hosts
 * label. The caller releases *u with source_url_info_release, also after
 * an error. Returns 0, or -1 with the error set.
 */
int source_url_parse(struct url_info *u, const char *url);

/* Free what `u` holds and zero it. */
void source_url_info_release(struct url_info *u);

/*
 * auth.c: the state of one fetch's libgit2 callbacks (their payload).
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

/*
 * Set `c` up for one fetch of `u` as `o` says: the local user's name and
 * the keys to offer in turn (o->key alone, else the ssh-agent, then the
 * default keys that exist). Release with source_fetch_ctx_release.
 */
void source_fetch_ctx_init(struct fetch_ctx *c, const struct source_opts *o,
			   const struct url_info *u);
void source_fetch_ctx_release(struct fetch_ctx *c);

/*
 * libgit2's credentials and certificate_check callbacks; `payload` is
 * the struct fetch_ctx. A refusal returns a libgit2 error code and leaves
 * the reason in c->why and its code (TEND_EUNREACHABLE for a host key or
 * certificate, else -1) in c->why_code.
 */
int source_cred_cb(git_credential **out, const char *url,
		   const char *username_from_url, unsigned int allowed,
		   void *payload);
int source_cert_cb(git_cert *cert, int valid, const char *host,
		   void *payload);

/*
 * fetch.c
 */

/*
 * Fetch every branch (as refs/remotes/origin/<name>, pruned) and every
 * tag of `u` into the bare repository at `repo_path`, in a child process
 * that is killed after `timeout_ms`. Returns 0, or < 0 with the error set:
 * TEND_EUNREACHABLE for the network, a refused host key or certificate,
 * or the timeout; -1 for refused credentials or a local failure.
 */
int source_fetch_guarded(const char *repo_path, const struct source_opts *o,
			 const struct url_info *u, int timeout_ms);

/*
 * commit.c
 */

/* Does `repo` hold any ref at all (has a fetch ever brought anything)? */
bool source_has_refs(git_repository *repo);

/*
 * The commit `ref` names in the cache's repository (source_opts.ref says
 * which spellings), into *out. `url` is for messages. Returns 0,
 * TEND_ENOTFOUND with the error set (naming some branches), or -1.
 */
int source_resolve_ref(git_oid *out, git_repository *repo, const char *ref,
		       const char *url);

/*
 * Is `id` the tip of the remote's branch `branch` (a name or refs/heads/
 * name), or one of its ancestors? Returns 0, or -1 with the error set
 * (no such branch, or the commit is not on it).
 */
int source_check_ancestor(git_repository *repo, const git_oid *id,
			  const char *branch, const char *url);

/*
 * Verify the SSH signature of `c` against o->allowed_signers and set
 * out->signer to the signer's principals. out->commit names the commit in
 * messages. Returns 0, or -1 with the reason set.
 */
int source_verify_commit(struct source_result *out, git_repository *repo,
			 git_commit *c, const struct source_opts *o);

/*
 * checkout.c
 */

/*
 * Check the tree of `c` out into `dir`, replacing what is there so that a
 * reader sees the old tree or the new one, never half of either. With a
 * `marker`, a `.tend-source` file holding it is written into the tree; a
 * `dir` that exists, is not empty and has no such file is refused.
 * Without one (a cache tree), every file and directory is made read-only.
 * Returns 0, or -1 with the error set.
 */
int source_checkout_to(git_repository *repo, git_commit *c, const char *dir,
		       const char *marker);

/*
 * Is the directory `dir` exactly the tree of `c`: every file's content
 * (its blob id) and executable bit, every symlink's target, every
 * directory, and nothing more? Returns 0 if so, 1 if not with what
 * differs first appended to `why`, or < 0 with the error set.
 */
int source_tree_verify(git_commit *c, const char *dir, struct buf *why);

/*
 * Move `dir` aside and remove it (read-only trees included). Cannot fail:
 * what cannot be removed stays.
 */
void source_remove_tree(const char *dir);

/*
 * Remove from the directory `trees` what killed checkouts left behind and
 * the trees nobody used for a week, except `keep`. Cannot fail: what
 * cannot be removed stays.
 */
void source_prune_trees(const char *trees, const char *keep);

/*
 * sshsig.c: the SSH wire format, for signatures and for the key blobs of
 * allowed_signers.
 */

/* A cursor over a blob (borrowed). */
struct wire {
	const unsigned char *p;
	size_t left;
};

/*
 * Read a "string" (a big-endian uint32 length, then that many bytes) at
 * the cursor: *s points into the blob. Returns false if it is truncated.
 */
bool source_wire_string(struct wire *w, const unsigned char **s,
			size_t *len);

/* Are the `len` bytes at `s` exactly the C string `want`? */
bool source_bytes_are(const unsigned char *s, size_t len, const char *want);

/*
 * Decode base64 (white space skipped) into a new *out of *out_len bytes,
 * which the caller frees. Returns 0, or -1 (no error set) if malformed.
 */
int source_b64_decode(unsigned char **out, size_t *out_len, const char *s,
		      size_t len);

#endif
