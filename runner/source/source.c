#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/source/source.h"
#include "tend/source/source_int.h"
#include "tend/util/fs.h"

#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Layout and locking are described in source.h; which file of
 * runner/source/ does what, in source_int.h. This one is the entry point
 * and the cache: its directory, its lock, its repository.
 */

#define DEFAULT_TIMEOUT_MS 60000

int source_cache_root(struct buf *out, const struct source_opts *o)
{
	const char *xdg = getenv("XDG_CACHE_HOME");

	if (o->cache_dir) {
		buf_adds(out, o->cache_dir);
	} else if (xdg && xdg[0] == '/') {
		buf_addf(out, "%s/tend/repos", xdg);
	} else {
		if (fs_home_dir(out) < 0)
			return -1;
		buf_adds(out, "/.cache/tend/repos");
	}
	return 0;
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

/* Take the per-repository lock, waiting up to timeout_ms. */
static int lock_repo(int *fd_out, const char *path, int timeout_ms)
{
	int64_t deadline = source_now_ms() + timeout_ms;
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
		if (source_now_ms() > deadline) {
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

/*
 * The cache directory of `u` into `dir` (appended; made if missing),
 * locked by the caller's process until it closes *lock_fd.
 */
static int lock_cache(struct buf *dir, int *lock_fd,
		      const struct source_opts *o, const struct url_info *u,
		      int timeout)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(hash) + 1];
	struct buf path = BUF_INIT;
	int error;

	crypto_hash_sha256(hash, (const unsigned char *)u->url, strlen(u->url));
	sodium_bin2hex(hex, sizeof(hex), hash, 16);
	if ((error = source_cache_root(dir, o)) < 0)
		goto out;
	buf_addf(dir, "/%s", hex);
	if ((error = fs_mkdirs(dir->ptr, 0755)) < 0)
		goto out;
	buf_addf(&path, "%s/lock", dir->ptr);
	error = lock_repo(lock_fd, path.ptr, 2 * timeout);
out:
	buf_release(&path);
	return error;
}

/*
 * The cache already holds a tree of the commit: use it if it is still
 * exactly the commit's (anyone who can write to the cache could have
 * changed it, and a verified signature must mean what runs), else remove
 * it so that the caller checks it out again.
 */
static int reuse_tree(struct source_result *out, git_commit *commit,
		      const char *tree)
{
	struct buf why = BUF_INIT;
	int error = source_tree_verify(commit, tree, &why);

	if (error == 0)
		utimensat(AT_FDCWD, tree, NULL, 0); /* in use */
	if (error == 1) {
		out->repaired = buf_detach(&why, NULL);
		source_remove_tree(tree);
		error = 0;
	}
	buf_release(&why);
	return error;
}

/*
 * Check `commit` out where `o` asks: into o->worktree, else into the
 * cache directory `dir`'s trees/<commit> (made once, then only marked as
 * in use). Sets out->dir, then prunes the cache's unused trees.
 */
static int place_tree(struct source_result *out, git_repository *repo,
		      git_commit *commit, const char *dir,
		      const struct source_opts *o, const struct url_info *u)
{
	struct buf tree = BUF_INIT, marker = BUF_INIT;
	int error;

	buf_addf(&tree, "%s/trees", dir);
	if ((error = fs_mkdirs(tree.ptr, 0755)) < 0)
		goto out;
	if (o->worktree) {
		buf_addf(&marker, "url: %s\ncommit: %s\n", u->url, out->commit);
		if ((error = source_checkout_to(repo, commit, o->worktree,
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
		if (stat(tree.ptr, &st) == 0 &&
		    (error = reuse_tree(out, commit, tree.ptr)) < 0)
			goto out;
		if (stat(tree.ptr, &st) < 0 &&
		    (error = source_checkout_to(repo, commit, tree.ptr,
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
	source_prune_trees(tree.ptr, out->commit);
	error = 0;
out:
	buf_release(&tree);
	buf_release(&marker);
	return error;
}

int source_fetch(struct source_result *out, const struct source_opts *o)
{
	struct url_info u;
	struct buf dir = BUF_INIT, path = BUF_INIT;
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
	if ((error = source_url_parse(&u, o->url)) < 0)
		goto out;
	if (git_libgit2_init() < 0) {
		error = error_from_git(-1, "cannot initialise libgit2");
		goto out;
	}
	inited = true;
	pthread_once(&git_once, git_set_cert_locations);

	if ((error = lock_cache(&dir, &lock_fd, o, &u, timeout)) < 0)
		goto out;
	buf_addf(&path, "%s/repo.git", dir.ptr);
	if ((error = prepare_repo(path.ptr, dir.ptr, &u)) < 0)
		goto out;

	if (!o->offline &&
	    (error = source_fetch_guarded(path.ptr, o, &u, timeout)) < 0) {
		out->fetch_error = xstrdup(tend_error_last());
		out->stale = true;
	}
	if (git_repository_open_bare(&repo, path.ptr) < 0) {
		error = error_from_git(-1, "cannot open '%s'", path.ptr);
		goto out;
	}
	if (!source_has_refs(repo)) {
		/* nothing to fall back on: the fetch error is the error */
		if (!out->stale)
			error = tend_error_set_code(TEND_ENOTFOUND,
				o->offline ? "no fetched copy of '%s' in the "
				"cache: cannot run it --offline" :
				"'%s' has no branches or tags", u.url);
		goto out;
	}
	tend_error_clear();
	if ((error = source_resolve_ref(&id, repo, o->ref, u.url)) < 0) {
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
	    (error = source_check_ancestor(repo, &id, o->require_ancestor_of,
					   u.url)) < 0)
		goto out;
	if (o->verify_signatures &&
	    (error = source_verify_commit(out, repo, commit, o)) < 0)
		goto out;

	error = place_tree(out, repo, commit, dir.ptr, o, &u);
out:
	git_commit_free(commit);
	git_repository_free(repo);
	if (lock_fd >= 0)
		close(lock_fd);
	if (inited)
		git_libgit2_shutdown();
	source_url_info_release(&u);
	buf_release(&dir);
	buf_release(&path);
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
	free(r->repaired);
	memset(r, 0, sizeof(*r));
}
