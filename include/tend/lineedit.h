#ifndef TEND_LINEEDIT_H
#define TEND_LINEEDIT_H

/*
 * Line editing: the text logic of the lineinfile and blockinfile modules,
 * kept apart from the modules so that it can be tested as plain string in,
 * string out, and (at the end) the check/apply glue the two share.
 *
 * The rules are Ansible 2.14's, down to its quirks (a last line without a
 * newline is fixed up before text is appended after it, CRLF lines are
 * rewritten when an identical line is "replaced", and so on): playbooks
 * written for Ansible must leave the same bytes behind.
 *
 * Regular expressions in playbooks are Python `re` patterns. They are
 * translated to POSIX extended regexes (glibc's, which knows \s \S \w \W
 * \b \B); see lineedit_re_compile for what is and is not supported.
 */

#include <regex.h>

#include "tend/buf.h"
#include "tend/module.h"

/*
 * A compiled Python-style regex. Python's group numbers and names are
 * mapped onto the POSIX groups (non-capturing groups become POSIX groups
 * too, so the numbers differ).
 */
struct lineedit_re {
	regex_t re;
	bool compiled;
	size_t ngroups;     /* capturing groups in the Python pattern */
	size_t *group_map;  /* [1..ngroups]: the POSIX group of each */
	char **group_names; /* [1..ngroups]: (?P<name>...) or NULL */
};

/*
 * Compile the Python pattern `pattern` into *out (initialised here). Done:
 * \d \D (also inside [...]), \s \w inside [...], \A \Z, escapes of
 * punctuation and \n \t \r \f \v \xHH, (?:...), (?P<name>...), (?P=name),
 * backreferences \1..\9, a leading (?i) (other leading flags are
 * accepted and ignored), lazy quantifiers (taken as greedy), literal
 * braces that are not a quantifier. Lookaround and other (?...) forms,
 * \D \S \W inside [...] and unknown escapes are errors. Returns 0, or -1
 * with the error set ("invalid regular expression 'P': reason"). Free
 * with lineedit_re_release, also after a failure.
 */
int lineedit_re_compile(struct lineedit_re *out, const char *pattern);

/*
 * Search `s` (`len` bytes, may hold NUL) as Python's re.search would.
 * On a match, m[0..nm-1] receive the POSIX groups (nm may be 0). Returns
 * true if it matched.
 */
bool lineedit_re_search(const struct lineedit_re *re, const char *s,
			size_t len, regmatch_t *m, size_t nm);

/*
 * Expand `tmpl` as Python's Match.expand: \1..\99 and \g<N> / \g<name>
 * become the groups of the match `m` (POSIX groups of `re` found in the
 * subject `s`; an unmatched group is empty), \n \t \\ ... their
 * characters, and other escapes of punctuation stay as written. Appends
 * to out. Returns 0, or -1 with the error set for a bad group reference
 * or an unknown letter escape.
 */
int lineedit_re_expand(struct buf *out, const struct lineedit_re *re,
		       const char *s, const regmatch_t *m, const char *tmpl);

void lineedit_re_release(struct lineedit_re *re);

/* What lineinfile is asked to do (the module's args). */
struct lineinfile_opts {
	const char *line;          /* required with present */
	const char *regexp;        /* Python regex, or NULL */
	const char *search_string; /* fixed string, or NULL */
	const char *insertafter;   /* "EOF", "BOF" or a regex; or NULL */
	const char *insertbefore;  /* "BOF" or a regex; or NULL */
	bool absent;               /* state=absent */
	bool backrefs;
	bool firstmatch;
	size_t line_len;           /* bytes of line, which may hold NUL;
				      0: strlen(line) */
};

/* What blockinfile is asked to do. */
struct blockinfile_opts {
	const char *block;         /* "" or NULL: remove the block */
	const char *marker;        /* with {mark}; NULL: the default */
	const char *marker_begin;  /* NULL: "BEGIN" */
	const char *marker_end;    /* NULL: "END" */
	const char *insertafter;   /* "EOF" or a regex; or NULL */
	const char *insertbefore;  /* "BOF" or a regex; or NULL */
	bool absent;               /* state=absent */
	size_t block_len;          /* bytes of block, which may hold NUL;
				      0: strlen(block) */
};

/* The outcome of an edit. */
struct lineedit_result {
	bool changed;
	struct buf content; /* the new content (whole file) */
	struct buf msg;     /* Ansible's message: "line added", ... or "" */
	size_t found;       /* lineinfile absent: the lines removed */
};

void lineedit_result_init(struct lineedit_result *r);
void lineedit_result_release(struct lineedit_result *r);

/*
 * Apply lineinfile to the file content `in` (`len` bytes; NULL for a file
 * that does not exist yet, which then counts as empty) and fill *out
 * (initialised by the caller). The caller handles what Ansible decides
 * before looking at the content: a missing file without create, absent on
 * a missing file, the mutually exclusive args, line required by present,
 * regexp required by backrefs. Returns 0, or -1 with the error set for a
 * bad regex or backreference.
 */
int lineedit_lineinfile(struct lineedit_result *out, const char *in,
			size_t len, const struct lineinfile_opts *o);

/*
 * Apply blockinfile to `in` (NULL: the file does not exist; with
 * !o->absent the result is a new file, "File created"). Returns 0, or -1
 * with the error set for a bad regex.
 */
int lineedit_blockinfile(struct lineedit_result *out, const char *in,
			 size_t len, const struct blockinfile_opts *o);

/*
 * The check/apply glue the two modules share. Both take the file args
 * path, mode, owner, group and backup from ctx->args.
 */

/*
 * Read `path` for editing in one round trip: through a symlink, with the
 * content. Fails with Ansible's message for a directory ("Path P is a
 * directory !"), and for what cannot be edited (not a regular file,
 * larger than FILE_CONTENT_MAX).
 */
int lineedit_read(struct file_state *out, const struct task_ctx *ctx,
		  const char *path);

/*
 * Finish a module's check: compare the edit `r` of the file `st` (as read
 * by lineedit_read) and the wanted attributes with what is there, and
 * fill `out` (status, diff, attribute changes, Ansible's message).
 * Everything apply needs moves into out->priv: *st and r->content are
 * taken (left empty). Returns 0, or < 0 with the error set (a bad
 * mode, a path that is not a regular file).
 */
int lineedit_plan(struct check_result *out, const struct task_ctx *ctx,
		  struct file_state *st, struct lineedit_result *r);

/*
 * Do what lineedit_plan planned (planned->priv) in one round trip and
 * fill `out`: changed, msg and file_write's result keys. The backup path,
 * if one was made, goes under `backup_key` ("" when none if
 * `backup_always`).
 */
int lineedit_apply(struct apply_result *out, const struct task_ctx *ctx,
		   const struct check_result *planned, const char *backup_key,
		   bool backup_always);

#endif
