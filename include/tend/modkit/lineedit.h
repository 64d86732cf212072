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
 * Regular expressions are Python's, as Ansible compiles them: bytes
 * patterns (tend/regex.h, REGEX_BYTES) searched in each line, line ending
 * included.
 */

#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"

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
	bool create;        /* the module's create default (ini_file: true):
			       a missing file's directories are made */
	bool msg_as_is;     /* msg says nothing of attributes changed
			       (ini_file's; lineinfile's does) */
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
 * with the error set for a bad regex (or a marker_begin/marker_end that
 * is a bad replacement template: Ansible puts them in with re.sub).
 */
int lineedit_blockinfile(struct lineedit_result *out, const char *in,
			 size_t len, const struct blockinfile_opts *o);

/*
 * The check/apply glue the two modules share. Both take the file args
 * path, mode, owner, group and backup from ctx->args.
 */

/*
 * Read `path` for editing, as a probe: lineedit_probe appends the script
 * (through a symlink, with the content); lineedit_judge_read parses what
 * it printed and fails with Ansible's message for a directory ("Path P
 * is a directory !"), and for what cannot be edited (not a regular file,
 * larger than FILE_CONTENT_MAX).
 */
void lineedit_probe(struct buf *script, const char *path);
int lineedit_judge_read(struct file_state *out, const struct exec_result *res,
			const char *path);

/*
 * Finish a module's check: compare the edit `r` of the file `st` (as read
 * by lineedit_judge_read) and the wanted attributes with what is there, and
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
