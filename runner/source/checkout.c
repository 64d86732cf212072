#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/error.h"
#include "tend/util/fs.h"
#include "tend/source/source_int.h"

#include <dirent.h>
#include <ftw.h>
#include <git2.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * Checking out: a commit's tree into a directory that readers see whole
 * or not at all; the cache's trees made read-only, verified against
 * their commit before each use, and pruned.
 */

/* a tree nobody asked for in this long is removed */
#define TREE_MAX_IDLE_S (7 * 24 * 3600)
#define MARKER ".tend-source"
#define TMP_INFIX ".tend-tmp-"
#define OLD_INFIX ".tend-old-"

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* a read-only directory's entries cannot be removed: open it up first */
static int writable_dir(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

/* rm -rf; what cannot be removed stays, silently */
static void remove_tree(const char *path)
{
	nftw(path, writable_dir, 16, FTW_PHYS);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int readonly_entry(const char *path, const struct stat *st, int flag,
			  struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_F || flag == FTW_D || flag == FTW_DP)
		if (chmod(path, st->st_mode & 07555) < 0)
			return -1;
	return 0;
}

/*
 * chmod a-w every file and directory of a cache tree: tend never writes
 * to one again, and a slip (an editor, a script) fails instead of
 * changing what a later run executes. Not a defence against its owner or
 * root: source_tree_verify is.
 */
static int make_readonly(const char *dir)
{
	if (nftw(dir, readonly_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return tend_error_set("cannot make '%s' read-only: %s", dir,
				      strerror(errno));
	return 0;
}

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
int source_checkout_to(git_repository *repo, git_commit *c, const char *dir,
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
	} else if ((error = make_readonly(tmp.ptr)) < 0) {
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
void source_prune_trees(const char *trees, const char *keep)
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


struct verify {
	const char *dir;
	struct buf path;  /* scratch */
	struct buf *why;
	size_t entries;   /* paths the tree says the directory holds */
};

/* Does the file or link at v->path hold the blob `want` (mode `mode`)? */
static bool same_blob(struct verify *v, const struct stat *st,
		      git_filemode_t mode, const git_oid *want)
{
	git_oid id;

	if (mode == GIT_FILEMODE_LINK) {
		char target[4096];
		ssize_t n;

		if (!S_ISLNK(st->st_mode))
			return false;
		n = readlink(v->path.ptr, target, sizeof(target));
		return n >= 0 && (size_t)n < sizeof(target) &&
		       git_odb_hash(&id, target, (size_t)n,
				    GIT_OBJECT_BLOB) == 0 &&
		       git_oid_equal(&id, want);
	}
	if (!S_ISREG(st->st_mode) ||
	    !!(st->st_mode & 0111) != (mode == GIT_FILEMODE_BLOB_EXECUTABLE))
		return false;
	return git_odb_hashfile(&id, v->path.ptr, GIT_OBJECT_BLOB) == 0 &&
	       git_oid_equal(&id, want);
}

/* git_tree_walk: stop (-1) at the first entry the directory differs on */
static int verify_entry(const char *root, const git_tree_entry *e,
			void *payload)
{
	struct verify *v = payload;
	git_filemode_t mode = git_tree_entry_filemode(e);
	struct stat st;

	buf_reset(&v->path);
	buf_addf(&v->path, "%s/%s%s", v->dir, root, git_tree_entry_name(e));
	if (lstat(v->path.ptr, &st) < 0) {
		if (mode == GIT_FILEMODE_COMMIT)
			return 1; /* a submodule: checkout may leave it out */
		buf_addf(v->why, "'%s%s' is missing", root,
			 git_tree_entry_name(e));
		return -1;
	}
	v->entries++;
	if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
		if (S_ISDIR(st.st_mode))
			return mode == GIT_FILEMODE_COMMIT ? 1 : 0;
	} else if (same_blob(v, &st, mode, git_tree_entry_id(e))) {
		return 0;
	}
	buf_addf(v->why, "'%s%s' differs from the commit", root,
		 git_tree_entry_name(e));
	return -1;
}

/* every path under the tree, for "no extra files"; nftw has no payload */
static _Thread_local size_t counted;

static int count_entry(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		counted++;
	return 0;
}

int source_tree_verify(git_commit *c, const char *dir, struct buf *why)
{
	struct verify v = { .dir = dir, .path = BUF_INIT, .why = why };
	git_tree *tree = NULL;
	int error;

	if (git_commit_tree(&tree, c) < 0)
		return error_from_git(-1, "cannot read the tree of %s", dir);
	error = git_tree_walk(tree, GIT_TREEWALK_PRE, verify_entry, &v);
	git_tree_free(tree);
	buf_release(&v.path);
	if (error < 0 && why->len)
		return 1;
	if (error < 0)
		return error_from_git(-1, "cannot walk the tree of %s", dir);
	counted = 0;
	if (nftw(dir, count_entry, 16, FTW_PHYS) < 0)
		return tend_error_set("cannot read '%s': %s", dir,
				      strerror(errno));
	if (counted != v.entries) {
		buf_addf(why, "it holds %zu path%s the commit does not have",
			 counted - v.entries, counted - v.entries == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

void source_remove_tree(const char *dir)
{
	struct buf old = BUF_INIT;

	buf_addf(&old, "%s" OLD_INFIX "%d", dir, (int)getpid());
	remove_tree(old.ptr);
	if (rename(dir, old.ptr) == 0)
		remove_tree(old.ptr);
	else
		remove_tree(dir);
	buf_release(&old);
}
