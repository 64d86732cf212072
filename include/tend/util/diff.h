#ifndef TEND_UTIL_DIFF_H
#define TEND_UTIL_DIFF_H

/*
 * Line diffs of two buffers for plan output, computed by libgit2 (its
 * xdiff, the same as `git diff`) and printed like `diff -u`.
 *
 * The format, which plans, saved plans (their fingerprints) and the state
 * DB's history carry:
 *
 *	--- <a_name>
 *	+++ <b_name>
 *	@@ -7,7 +7,7 @@
 *	 context
 *	-removed
 *	+added
 *	\ No newline at end of file
 *
 * Three lines of context; changes closer than that merge into one hunk;
 * a range of one line is written "-7", an empty one "-6,0" (the line it
 * follows), as `diff -u` does. No "diff --git" or "index" lines, no
 * function name after "@@", no a/ b/ prefixes: the names are printed as
 * given ("before: /etc/motd").
 *
 * Which lines pair up where a change is ambiguous (a moved block, a run
 * of blank lines) follows git (Myers with its indent heuristic), which
 * may place a hunk differently from GNU diff; both are valid diffs.
 */

#include "tend/util/buf.h"

/*
 * Append to `out` a unified diff of `a` (alen bytes) into `b`, with the
 * headers "--- a_name" and "+++ b_name"; nothing when they are equal.
 * Content with a NUL byte anywhere gives the single line "Binary files
 * differ". May be called from any thread. Returns 0, or -1 with the
 * error set when libgit2 fails (out of memory, or an input beyond its
 * 1 GiB limit); `out` then holds what it held before.
 */
int diff_unified(struct buf *out, const char *a, size_t alen,
		 const char *a_name, const char *b, size_t blen,
		 const char *b_name);

#endif
