#ifndef TEND_SOURCE_H
#define TEND_SOURCE_H

/*
 * The git source: run exactly what one commit says (DESIGN.md, step 1).
 *
 * source_fetch() clones a repository into a cache directory on first use
 * and fetches it afterwards, resolves a ref to one commit, optionally
 * checks that commit (signature, ancestry), and checks its tree out into a
 * clean directory that the caller reads playbooks and inventories from.
 *
 * The cache. Each URL has its own directory under the cache root,
 * `<root>/<first 32 hex digits of sha256(URL)>/`, holding `repo.git` (a
 * bare repository: every branch as refs/remotes/origin/<name>, every tag
 * as refs/tags/<name>), `trees/<commit id>/` (one checked-out tree per
 * commit, made once, read-only, and verified against the commit before
 * each use: a tree that differs is checked out again, see
 * source_result.repaired), `url` (for humans) and `lock`.
 * Everything that touches the directory holds an exclusive flock() on
 * `lock`, so tend processes sharing a cache neither corrupt it nor see it
 * half-written; a tree, once renamed into place, is complete.
 *
 * The network. The fetch runs in a child process that is killed when the
 * timeout passes, so no server, however stalled, holds a run for ever.
 * Transports: a local path or file://, git://, ssh:// and scp-like
 * `user@host:path` (a deploy key; the host key checked against known_hosts
 * as the SSH transport checks it), and https:// (TLS verified; a token
 * from an environment variable). A refused login is tried once per key,
 * not again and again.
 *
 * Thread-safety: source_fetch may run in several threads at once (the
 * lock serialises work on one URL), but forking the fetch from a process
 * with other threads holding libgit2 locks is not safe.
 * NEEDSWORK: the daemon should call it from its main thread.
 */

#include "tend/net/knownhosts.h"

struct buf;

struct source_opts {
	/*
	 * The repository: a local path, file://, git://, ssh://, scp-like
	 * `[user@]host:path`, or https:// (required).
	 */
	const char *url;
	/*
	 * What to check out (required): a branch, a tag, a full ref name
	 * (refs/heads/..., refs/tags/...), or a full or abbreviated
	 * (>= 4 hex digits) commit id. A name that is both a tag and a
	 * branch means the tag, as in git. An abbreviated id must name a
	 * commit on some branch or tag of the remote.
	 */
	const char *ref;
	/*
	 * The cache root. NULL: $XDG_CACHE_HOME/tend/repos, else
	 * ~/.cache/tend/repos.
	 */
	const char *cache_dir;
	/*
	 * NULL: the tree is the cache's trees/<commit>. Else the commit is
	 * checked out into this directory instead, replacing what tend put
	 * there before (marked by a `.tend-source` file it writes there).
	 * A directory that exists, is not empty and has no such mark is
	 * refused rather than overwritten.
	 */
	const char *worktree;
	/*
	 * ssh: the private key (a deploy key; unencrypted). NULL: the
	 * ssh-agent's keys (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519,
	 * id_ecdsa and id_rsa, each tried once.
	 */
	const char *key;
	/* ssh: OpenSSH known_hosts file. NULL: ~/.ssh/known_hosts. */
	const char *known_hosts;
	enum ssh_host_key_checking host_key_checking;
	/*
	 * https: the name of the environment variable that holds the token
	 * (sent as the password, with the URL's user name or "git"). NULL:
	 * a server that asks for credentials is refused.
	 */
	const char *token_env;
	/*
	 * Do not fetch: use what the cache holds (an error if it holds
	 * nothing for this URL).
	 */
	bool offline;
	/*
	 * Refuse a commit that is not signed by a key in `allowed_signers`
	 * (an OpenSSH allowed_signers file, as for git's
	 * gpg.ssh.allowedSignersFile). Only SSH signatures (git's
	 * `gpg.format ssh`) with ed25519 keys can be checked; OpenPGP and
	 * other key types are refused with that reason.
	 */
	bool verify_signatures;
	const char *allowed_signers;
	/*
	 * If set, the commit must be this branch's tip or one of its
	 * ancestors (for a pinned id: it was merged there).
	 */
	const char *require_ancestor_of;
	/* For the fetch and for waiting on the lock. 0: 60000. */
	int timeout_ms;
};

struct source_result {
	/*
	 * The checked-out tree (absolute). It is shared with other tend
	 * processes: read it, never write to it.
	 */
	char *dir;
	char commit[41];   /* the full commit id, hex */
	char *subject;     /* the first line of its message */
	char *author;      /* "Name <email>" */
	long long time;    /* its committer time, seconds since the epoch */
	char *signer;      /* the allowed signer's principals, or NULL */
	/*
	 * The fetch failed and the commit comes from what an earlier fetch
	 * left in the cache; `fetch_error` says why it failed. Callers must
	 * say so to the user.
	 */
	bool stale;
	char *fetch_error;
	/*
	 * The cache's tree of the commit differed from the commit (edited,
	 * a file added): it was checked out again. Says what differed;
	 * callers must say so to the user. NULL when it was intact.
	 */
	char *repaired;
};

/*
 * Fetch `o->url` (unless o->offline), resolve o->ref, verify the commit as
 * `o` asks, check it out, and describe it in *out (which the caller
 * releases with source_result_release, also after an error).
 *
 * A fetch that fails while the cache already holds the ref is not an
 * error: the cached commit is used and out->stale set.
 *
 * Returns 0, or < 0 with the error set: TEND_EUNREACHABLE (the remote
 * cannot be reached, refused its host key, or timed out), TEND_ENOTFOUND
 * (no such ref or commit), or -1 (refused credentials, a commit refused
 * by the signature or ancestry check, a bad option, a local failure).
 */
int source_fetch(struct source_result *out, const struct source_opts *o);

/* Free what `r` holds and zero it. NULL-safe. */
void source_result_release(struct source_result *r);

/*
 * The cache root for `o`, as described above, into `out` (appended).
 * Returns 0, or -1 if neither XDG_CACHE_HOME nor HOME gives one.
 */
int source_cache_root(struct buf *out, const struct source_opts *o);

/*
 * SSH signatures (the "sshsig" format of OpenSSH's PROTOCOL.sshsig, which
 * `ssh-keygen -Y sign` writes and git stores in a commit's gpgsig header).
 * Exposed for the tests.
 */

/* One line of an allowed_signers file. */
struct source_signer {
	char *principals;     /* as written: comma-separated patterns */
	char *namespaces;     /* the namespaces="..." option, or NULL: any */
	unsigned char *key;   /* the public key blob (wire format) */
	size_t key_len;
	char *key_type;       /* "ssh-ed25519", ... */
	bool cert_authority;  /* a CA key: not supported, never matches */
	long long valid_after, valid_before; /* epoch seconds; 0: none */
	unsigned int line;
};

struct source_signers {
	struct source_signer *items;
	size_t nr, alloc;
};
#define SOURCE_SIGNERS_INIT { NULL, 0, 0 }

/*
 * Parse an allowed_signers file: one key a line, `principals [options]
 * keytype base64-key [comment]`, blank lines and # comments skipped.
 * Options: namespaces="...", valid-after=..., valid-before=...
 * (YYYYMMDD[HHMM[SS]][Z], read as UTC), cert-authority. `name` is for
 * messages. Appends to *out. Returns 0, or TEND_EPARSE with the error set
 * to "name:line: what is wrong" for the first bad line.
 */
int source_signers_parse(struct source_signers *out, const char *text,
			 size_t len, const char *name);
/* As source_signers_parse, reading `path`. */
int source_signers_load(struct source_signers *out, const char *path);
void source_signers_release(struct source_signers *s);

/*
 * Verify the armored SSH signature `sig` (`sig_len` bytes, "-----BEGIN
 * SSH SIGNATURE-----" ...) over `msg`: it must be a good signature, in
 * namespace `ns`, by a key that `signers` allow for `ns` at time `when`
 * (epoch seconds; the commit's time). Only ssh-ed25519 keys, with sha512
 * or sha256 as the message hash.
 *
 * On success *principals points at the matching signer's principals
 * (borrowed from `signers`). Returns 0, or -1 with the reason set.
 */
int source_sshsig_verify(const char **principals,
			 const struct source_signers *signers,
			 const char *sig, size_t sig_len, const void *msg,
			 size_t msg_len, const char *ns, long long when);

#endif
