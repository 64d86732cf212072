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
 * or not at all, and the cache's trees pruned.
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

/* rm -rf; what cannot be removed stays, silently */
static void remove_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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

