#ifndef TEND_MODKIT_TOOLKIT_H
#define TEND_MODKIT_TOOLKIT_H

/*
 * The module toolkit: what modules share beyond the contract (module.h):
 * reading their args, modes, controller-side files, remote file state and
 * writes (read as a probe and judged), copy/template's common half, and
 * command/shell's. Modules include module.h and this, and nothing of the
 * executor or of a transport's internals.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/transport/transport.h"

struct task_ctx;
struct check_result;
struct apply_result;
struct probe;

/* Accessors for a normalized args dict (ctx->args). */
const struct val *arg_get(const struct task_ctx *ctx, const char *name);
/* The string value, or NULL if absent or null. */
const char *arg_str(const struct task_ctx *ctx, const char *name);
bool arg_bool(const struct task_ctx *ctx, const char *name, bool dflt);
long long arg_int(const struct task_ctx *ctx, const char *name,
		  long long dflt);

/*
 * Parse a mode as Ansible does into *out (permission bits, 07777):
 * an int written in YAML as octal (0644, VAL_F_OCTAL) is taken as is; any
 * other int or a string of octal digits ("0644", "644", 644) is read as
 * octal; a symbolic mode ("u+rwx,g-w,o=r", "a+X") is applied to `current`
 * (X sets execute only if `is_dir` or some execute bit is already set).
 * "preserve" is the caller's business. Returns 0 or -1 with the error set.
 */
int mode_parse(unsigned int *out, const struct val *mode,
	       unsigned int current, bool is_dir);

/* Format permission bits as Ansible shows them: "0644". */
void mode_format(struct buf *out, unsigned int mode);
/*
 * As the file modules' results show them (Ansible's add_path_info):
 * "0644", and "04755" where stat and find say "4755".
 */
void mode_format_info(struct buf *out, unsigned int mode);

/*
 * Find a controller-side file for `src` as Ansible does: an absolute path
 * as is; else, for a role's task, ROLE/<subdir>/src and ROLE/src for each
 * of ctx->role_dirs, then ROLE/tasks/<subdir>/src and ROLE/tasks/src;
 * then basedir/<subdir>/src, basedir/src. With ctx->root set,
 * only beneath it: a path that leads out (absolute, '..', a symlink) is
 * TEND_EREFUSED. *out is set to the path (caller frees). TEND_ENOTFOUND
 * with the error set if none exists.
 */
int task_find_file(char **out, const struct task_ctx *ctx, const char *subdir,
		   const char *src);

/*
 * Read a controller-side file found by task_find_file, whole, into `b`
 * (appending), through fs_read_beneath with ctx->root. Returns 0 or < 0
 * with the error set.
 */
int task_read_file(struct buf *b, const struct task_ctx *ctx,
		   const char *path);

/*
 * Remote files, shared by the file-editing modules (copy, template,
 * lineinfile, blockinfile, file). Reading costs one round trip, writing
 * one more.
 */
enum {
	FILE_READ_CONTENT = 1 << 0, /* also fetch the content of a regular file */
	FILE_FOLLOW = 1 << 1,       /* stat the target of a symlink */
};

/* Files up to this size are fetched for diffs; larger ones by checksum. */
#define FILE_CONTENT_MAX (4u << 20)

struct file_state {
	bool exists;
	char type;            /* 'f' regular, 'd' directory, 'l' symlink,
				 'o' other; 0 when it does not exist */
	unsigned int mode;    /* permission bits (07777) */
	char *owner, *group;  /* names, or numeric ids when unnamed */
	long long size;
	long long mtime;      /* seconds since the epoch */
	char *link_target;    /* for a symlink (not followed), else NULL */
	char sha1[41];        /* hex SHA-1 of a regular file's content */
	bool content_read;    /* content holds the whole file */
	struct buf content;
	long long uid, gid;   /* numeric owner and group */
};

void file_state_init(struct file_state *st);
void file_state_release(struct file_state *st);

/*
 * Read the state of `path` on ctx's host in one round trip. With
 * FILE_READ_CONTENT the content of a regular file up to FILE_CONTENT_MAX
 * comes too. A missing file is not an error (exists = false).
 */
int file_state_read(struct file_state *out, const struct task_ctx *ctx,
		    const char *path, unsigned int flags);
/*
 * The same as a probe: file_state_probe appends the read-only script
 * that reads `path`; file_state_judge parses what it printed (an error
 * when the script failed).
 */
void file_state_probe(struct buf *script, const char *path,
		      unsigned int flags);
int file_state_judge(struct file_state *out, const struct exec_result *res,
		     const char *path);

/* What a module wants a regular file to be. NULL members: leave as is. */
struct file_want {
	const char *path;
	const char *content;  /* new content, or NULL to leave it */
	size_t content_len;
	const struct val *mode;  /* as in args (see mode_parse), or NULL */
	const char *owner;
	const char *group;
	bool backup;          /* keep a copy of the old file: PATH.PID.DATE~ */
	bool content_secret;  /* never show the content in a diff */
	bool follow;          /* a symlink at PATH: write its target instead
				 of replacing the link (lineinfile) */
	bool make_parents;    /* create missing parent directories (0755
				 under the usual umask), as lineinfile and
				 blockinfile do with create=yes */
	const char *validate; /* command run on the temp file before the
				 rename ("%s" is its path), or NULL */
	bool validate_result; /* its rc, stdout and stderr go to the result
				 as "validation" (assemble) */
	bool validate_plain;  /* when it fails, the error is "failed to
				 validate" alone (copy, template), not
				 with its rc and stderr (the others) */
};

/*
 * Compare what is wanted with the observed state and fill `out`: status
 * CHECK_OK or CHECK_CHANGE, a unified diff of the content (labelled
 * "before: PATH" / "after: PATH"), attribute changes ("mode: 0644 ->
 * 0600", "owner: root -> www"), "state: absent -> file" for a new file.
 * Returns < 0 only for a bad mode.
 */
int file_plan(struct check_result *out, const struct file_state *st,
	      const struct file_want *w);

/*
 * Make the file as wanted in one round trip: the content goes through
 * stdin into a temp file beside PATH, mode/owner/group are set on it,
 * then it is renamed into place (never a half-written file). Sets
 * out->changed and the result keys dest, size, mode, owner, group,
 * checksum (sha1) and backup_file when a backup was made.
 */
int file_write(struct apply_result *out, const struct task_ctx *ctx,
	       const struct file_want *w, const struct file_state *st);

/*
 * Append to `script` the sh function `tend_probe PATH [L] [C]` that
 * prints the state of PATH in the framed form file_state_parse reads
 * (L: follow a symlink, C: include the content). For modules that read a
 * file and something else in one round trip. The script must set
 * LC_ALL=C first (lengths are counted in bytes).
 */
void file_probe_script(struct buf *script);

/*
 * What Ansible adds to a result that names a path (add_path_info): the
 * uid, gid, owner, group, mode (mode_format_info), state ("file",
 * "directory", "link") and size of what is there; nothing when nothing is.
 */
void file_state_info(struct val *res, const struct file_state *st);

/*
 * Parse one tend_probe record starting at *pos in `out` (the script's
 * stdout), advancing *pos past it. Returns 0 or -1 with the error set.
 */
int file_state_parse(struct file_state *st, const struct buf *out,
		     size_t *pos);

/* The hex SHA-1 of `len` bytes into hex[41]. */
void sha1_hex(char hex[41], const void *data, size_t len);

/*
 * The shared half of copy and template, once the content is known.
 * file_copy_probe takes the content (moved into probe.priv) and writes the
 * probe of dest; file_copy_judge plans the file from the probe's output
 * (moving the plan into out->priv for apply). They read ctx's args dest,
 * mode, owner, group, backup, force, directory_mode, validate and follow;
 * a dest that is a directory or ends in '/' gets `src_name`'s basename
 * appended (NULL: an error, as for copy's content).
 */
int file_copy_probe(struct probe *out, const struct task_ctx *ctx,
		    const char *src_name, struct buf *content);
int file_copy_judge(struct check_result *out, const struct task_ctx *ctx,
		    struct probe *p, const struct exec_result *res);
/*
 * Set the content of a file_copy_probe'd copy once it is known (copy's
 * remote_src: read by the same probe), before file_copy_judge.
 */
void file_copy_set_content(struct probe *p, const void *data, size_t len);
/* Sets the result keys of file_write, and `src` when the args have one. */
int file_copy_apply(struct apply_result *out, const struct task_ctx *ctx,
		    const struct check_result *planned);

/*
 * Split `s` into words as a POSIX shell would (quotes and backslashes; no
 * expansion of any kind) into *out, a new list of strings. Returns 0, or
 * -1 with the error set for an unbalanced quote.
 */
int sh_split(struct val **out, const char *s);

/*
 * The shared half of command and shell. The probe (task_command_probe,
 * appended to `script`) looks for the args creates and removes (after a
 * cd to chdir); nothing when neither is set. task_command_judge (a
 * module's judge; p->priv is the command, a struct val): CHECK_OK
 * with Ansible's "skipped, since X exists" result when the probe says so,
 * else CHECK_UNKNOWN. task_command_run runs `script` (after a cd to
 * chdir) with the args stdin/stdin_add_newline/strip_empty_ends and fills
 * rc, stdout, stderr, *_lines, cmd (a new reference is taken of `cmd`),
 * start, end, delta, msg; rc != 0 sets failed. With task_ctx.async_bg
 * (poll: 0) it starts the script as a background job instead
 * (modkit/async.h); when creates/removes skip it, the judge leaves the
 * skip's result in the check's priv (`planned`), and the job started is
 * one that ended with it, as Ansible's command module reports it.
 */
/*
 * A host script that failed: its stderr (trimmed) is the task's error,
 * or `fallback` when it printed none. Returns the error code set.
 */
int exec_error(const struct exec_result *res, const char *fallback);

void task_command_probe(struct buf *script, const struct task_ctx *ctx);
/*
 * The result of Ansible's actions that run a command themselves (raw,
 * script): a change, rc, stdout, stderr and their _lines as printed (no
 * newline stripped); a non-zero rc fails with "non-zero return code".
 */
void task_raw_result(struct apply_result *out, const struct exec_result *res);
/* CLOCK_MONOTONIC, in seconds. */
double task_now(void);
/* Sleep `secs` seconds, or less when the run is interrupted. */
void task_nap(double secs);
/* Ansible's stdout_lines: Python's splitlines() of s (a new list). */
struct val *task_split_lines(const char *s, size_t len);
int task_command_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res);
int task_command_run(struct apply_result *out, const struct task_ctx *ctx,
		     const char *script, const struct val *cmd,
		     const struct check_result *planned);

/*
 * Downloads on the host (get_url): the args url, http_agent (default
 * ansible-httpget), url_username, url_password and headers as the config
 * curl reads with `-K -` (tool 'c') or GNU wget with --config=FILE
 * ('w'): values with a line break are refused. download_headers gives
 * the headers as "Name: value" strings (a new list).
 */
int download_config(struct buf *out, const struct task_ctx *ctx, char tool);
int download_headers(struct val **out, const struct task_ctx *ctx);

/*
 * Records a module's script prints for its judge or apply, one after
 * another: "KEY VALUE\n" (a value without a newline) or, for bytes that
 * came from the host or the network (a path, a header), "KEY:LEN\n"
 * followed by LEN raw bytes and "\n" (printf 'KEY:%s\n%s\n' "${#v}"
 * "$v", with LC_ALL=C so that lengths are bytes). rec_next reads the one
 * at *pos into `r` (pointers into `out`) and advances; it returns 1 for a
 * record, 0 at the end of `out`, -1 (error set) for a malformed one.
 */
struct rec {
	char key[32];
	const char *val;
	size_t len;
};
int rec_next(struct rec *r, const struct buf *out, size_t *pos);
/* Whether r's key is `key`. */
bool rec_is(const struct rec *r, const char *key);

#endif
