#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/diff.h"
#include "tend/util/error.h"

#include <pthread.h>

#include <git2.h>

/*
 * libgit2 computes the diff; the printing is ours because its own
 * printers (git_patch_to_buf) write git's headers ("diff --git", "index",
 * a/ b/ prefixes, a function name after "@@"), and plans print
 * `diff -u`'s.
 */

#define DIFF_CONTEXT 3

/*
 * libgit2 wants git_libgit2_init() before use. Its count is taken once
 * and never given back, so that a diff costs no global set-up and
 * tear-down, and so that source.c's pairs of init/shutdown never tear
 * down what a diff in another thread is using.
 */
static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static int git_init_rc;

static void git_init(void)
{
	git_init_rc = git_libgit2_init();
}

/*
 * NEEDSWORK: source.c has the same adapter; share one when libgit2 gets
 * a util file of its own.
 */
static int error_from_git(const char *what)
{
	const git_error *e = git_error_last();

	return tend_error_set("%s: %s", what,
			      e && e->message ? e->message : "unknown error");
}

/*
 * "@@ -7,7 +7,7 @@". libgit2 parsed these numbers from xdiff's header,
 * so an empty range already starts at the line before, as in diff -u.
 */
static void add_hunk_header(struct buf *out, const git_diff_hunk *h)
{
	buf_addf(out, "@@ -%d", h->old_start);
	if (h->old_lines != 1)
		buf_addf(out, ",%d", h->old_lines);
	buf_addf(out, " +%d", h->new_start);
	if (h->new_lines != 1)
		buf_addf(out, ",%d", h->new_lines);
	buf_adds(out, " @@\n");
}

static void add_line(struct buf *out, const git_diff_line *l)
{
	buf_addch(out, l->origin);
	buf_add(out, l->content, l->content_len);
	if (!l->content_len || l->content[l->content_len - 1] != '\n')
		buf_adds(out, "\n\\ No newline at end of file\n");
}

static int print_patch(struct buf *out, git_patch *patch)
{
	for (size_t h = 0; h < git_patch_num_hunks(patch); h++) {
		const git_diff_hunk *hunk;
		size_t lines;

		if (git_patch_get_hunk(&hunk, &lines, patch, h) < 0)
			return error_from_git("cannot read a diff hunk");
		add_hunk_header(out, hunk);
		for (size_t i = 0; i < lines; i++) {
			const git_diff_line *l;

			if (git_patch_get_line_in_hunk(&l, patch, h, i) < 0)
				return error_from_git("cannot read a line");
			/* the EOFNL markers: add_line writes them */
			if (l->origin == GIT_DIFF_LINE_CONTEXT ||
			    l->origin == GIT_DIFF_LINE_ADDITION ||
			    l->origin == GIT_DIFF_LINE_DELETION)
				add_line(out, l);
		}
	}
	return 0;
}

int diff_unified(struct buf *out, const char *a, size_t alen,
		 const char *a_name, const char *b, size_t blen,
		 const char *b_name)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	size_t start = out->len;
	int error;

	if (alen == blen && (!alen || !memcmp(a, b, alen)))
		return 0;
	/* any NUL, not only in the first 8000 bytes as git looks */
	if (memchr(a, '\0', alen) || memchr(b, '\0', blen)) {
		buf_adds(out, "Binary files differ\n");
		return 0;
	}
	pthread_once(&git_once, git_init);
	if (git_init_rc < 0)
		return error_from_git("cannot initialise libgit2");
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.context_lines = DIFF_CONTEXT;
	opts.interhunk_lines = 0;
	opts.flags = GIT_DIFF_FORCE_TEXT | GIT_DIFF_INDENT_HEURISTIC;
	if (git_patch_from_buffers(&patch, a, alen, NULL, b, blen, NULL,
				   &opts) < 0) {
		error = error_from_git("cannot diff");
		goto out;
	}
	buf_addf(out, "--- %s\n+++ %s\n", a_name, b_name);
	error = print_patch(out, patch);
out:
	if (error < 0)
		buf_setlen(out, start);
	git_patch_free(patch);
	return error;
}
