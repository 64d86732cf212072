#ifndef TEND_MODULE_H
#define TEND_MODULE_H

/*
 * Modules: what a task does on a host.
 *
 * Adding a module
 *  1. modules/<name>.c: `static const struct arg_spec <name>_args[]`,
 *     `static int <name>_check(...)`, `static int <name>_apply(...)`, and
 *     one exported `const struct tend_module mod_<name>`. Everything else
 *     in the file is static. Include only tend/module.h, tend/transport.h
 *     and tend/buf.h (after tend/common.h).
 *  2. A row in modules/registry.c.
 *  3. Tests: a unit test if it has logic of its own, and an integration
 *     test tests/integration/t3NNN-<name>-*.sh that applies a playbook and
 *     checks the real state, then re-applies and checks nothing changed.
 *  4. An example task in a playbook under playbooks/.
 *  5. Docs: the `doc` strings of the spec are what `tend doc` prints.
 *
 * Contract
 *  - A check has the probe shape where it can: probe() writes a read-only
 *    POSIX sh fragment (struct probe) that prints what the check needs,
 *    and judge() turns that output into the check result with no I/O at
 *    all. The executor runs the probe (module_check: one round trip, none
 *    for an empty fragment) and calls judge; that is what lets it later
 *    send the probes of several tasks in one round trip and re-probe only
 *    after a change. A module whose check cannot be split so (one that
 *    runs on the controller) sets check() instead.
 *  - check() never changes anything. It runs with a read-only transport
 *    (TRANSPORT_READONLY: put fails, exec with stdin fails) and reports
 *    CHECK_OK, CHECK_CHANGE (with a diff and/or attribute changes) or
 *    CHECK_UNKNOWN (it cannot know without doing it: a command).
 *  - apply() is called only after check() said CHANGE or UNKNOWN, with
 *    that check's result, and does exactly what check reported.
 *  - A module reads the remote state in one script (one round trip) and
 *    changes it in one more; values enter scripts only through sh_quote().
 *  - Return < 0 with the error set for failures (the task fails; an
 *    unreachable host is TEND_EUNREACHABLE). A module-level failure that
 *    still has a result to register (a command's non-zero rc) sets
 *    apply_result.failed and returns 0.
 */

#include "tend/util/buf.h"
#include "tend/transport/transport.h"
#include "tend/data/val.h"
#include "tend/data/truth.h"

enum arg_type {
	ARG_STR,  /* a string; numbers and bools are converted to text */
	ARG_BOOL, /* bool, or yes/no/true/false/on/off/1/0 in any case */
	ARG_INT,  /* an int, or a string of digits */
	ARG_PATH, /* a string; "~/" is left for the remote shell to expand */
	ARG_MODE, /* octal int/string, or symbolic "u+rwx,g-w"; see mode_parse */
	ARG_LIST, /* a list; a string is split on commas */
	ARG_DICT, /* a dict */
	ARG_ANY,  /* anything */
};

enum {
	ARG_REQUIRED = 1 << 0,
	ARG_RAW = 1 << 1, /* not templated before the module runs (assert.that) */
	ARG_SECRET = 1 << 2, /* never shown (content of a secret) */
};

struct arg_spec {
	const char *name;
	enum arg_type type;
	unsigned int flags;
	const char *aliases;         /* comma-separated, or NULL */
	const char *const *choices;  /* NULL-terminated, or NULL */
	const char *dflt;            /* default shown by `tend doc`, or NULL */
	const char *doc;
};

enum {
	MOD_FREE_FORM = 1 << 0,   /* "command: ls -l" → _raw_params */
	MOD_CONTROLLER = 1 << 1,  /* runs on the controller, never the host */
	MOD_MAY_BE_UNKNOWN = 1 << 2, /* check may answer CHECK_UNKNOWN */
	/*
	 * Its ansible_facts are the playbook's own values (set_fact), not
	 * host data: they are not marked unsafe. Every other result is.
	 */
	MOD_CLEAN_FACTS = 1 << 3,
};

enum check_status {
	CHECK_OK,
	CHECK_CHANGE,
	CHECK_UNKNOWN,
};

struct check_result {
	enum check_status status;
	struct buf diff;    /* unified diff of contents; empty if none */
	struct buf changes; /* attribute changes, one per line:
			       "mode: 0644 -> 0600", "state: absent -> file" */
	struct buf msg;     /* optional human message */
	struct val *result; /* dict of values to register (stat: {...}), or NULL */
	void *priv;         /* the module's own data for apply, or NULL */
	void (*priv_free)(void *priv);
};

struct apply_result {
	bool changed;
	bool failed;        /* the module failed but has a result (rc != 0) */
	struct buf msg;
	struct val *result; /* dict of module-specific keys (rc, stdout, dest...) */
};

void check_result_init(struct check_result *r);
void check_result_release(struct check_result *r);
void apply_result_init(struct apply_result *r);
void apply_result_release(struct apply_result *r);

struct task_ctx;

/*
 * What a controller-side module may ask of the engine. `data` is
 * task_ctx.engine_data.
 */
struct engine_ops {
	/* Evaluate an expression in the task's scope (new reference). */
	int (*eval)(struct val **out, const char *expr, void *data);
	/* Render template text in the task's scope (appending to out). */
	int (*render)(struct buf *out, const char *text, void *data);
	/* Evaluate a condition as `when:` does. */
	int (*eval_bool)(bool *out, const char *expr, void *data);
};

struct task_ctx {
	struct transport *t;      /* read-only during check */
	const struct val *args;   /* normalized dict (see args_normalize) */
	const char *host;         /* inventory_hostname */
	const char *basedir;      /* the playbook's directory */
	const char *become_user;  /* NULL unless become is on */
	const struct engine_ops *engine;
	void *engine_data;
};

/*
 * A probe: the read-only half of a check, as data. `script` is POSIX sh
 * that changes nothing (it runs on the read-only transport, with no
 * stdin); what it prints is for the module's judge(). Empty: nothing to
 * ask the host. `priv` carries what probe() worked out (rendered content,
 * paths) to judge() and, through check_result.priv, to apply().
 */
struct probe {
	struct buf script;
	void *priv;
	void (*priv_free)(void *priv);
};

void probe_init(struct probe *p);
/* A priv_free for a struct val held in probe.priv. */
void probe_val_free(void *v);
void probe_release(struct probe *p);

struct tend_module {
	const char *name;              /* "copy" */
	const struct arg_spec *args;   /* terminated by a row with name NULL */
	unsigned int flags;            /* MOD_* */
	const char *doc;               /* one-line summary */
	/*
	 * The probe shape (set both, and leave check NULL): probe() fills
	 * `out` (initialised by the caller) from the args alone; judge()
	 * gets the probe and what its script printed (`res`: status, stdout,
	 * stderr; empty when the script was empty) and fills the result. It
	 * may take p->priv into out->priv (setting p->priv to NULL).
	 */
	int (*probe)(struct probe *out, const struct task_ctx *ctx);
	int (*judge)(struct check_result *out, const struct task_ctx *ctx,
		     struct probe *p, const struct exec_result *res);
	/* A check that is not a probe (controller modules). */
	int (*check)(struct check_result *out, const struct task_ctx *ctx);
	/* NULL for modules that never change anything (stat, debug) */
	int (*apply)(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned);
};


/*
 * Validate and normalize args against a module's spec into *out (a new
 * dict): aliases become canonical names, values are coerced to the
 * spec's type, unknown args and bad choices are errors (with "did you
 * mean"), and with `final` missing required args are errors too. Values
 * still holding jinja (before rendering) are skipped for type checks when
 * !final. Problems go to `d` at the positions of the values (`pos` for
 * the args as a whole). Returns 0, or TEND_EPARSE if any error was added.
 */
int args_normalize(struct val **out, const struct tend_module *m,
		   const struct val *args, const struct srcpos *pos,
		   struct diags *d, bool final);

/*
 * Check a task with module `m`: its probe run on ctx->t (read-only) and
 * judged, or its check(). What the executor calls; `out` is initialised
 * by the caller. Returns as the module's functions do.
 */
int module_check(struct check_result *out, const struct tend_module *m,
		 const struct task_ctx *ctx);

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
 * Find a controller-side file for `src` as Ansible does: an absolute path
 * as is; else basedir/<subdir>/src, then basedir/src. *out is set to the
 * path (caller frees). TEND_ENOTFOUND with the error set if none exists.
 */
int task_find_file(char **out, const struct task_ctx *ctx, const char *subdir,
		   const char *src);

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
	const char *validate; /* command run on the temp file before the
				 rename ("%s" is its path), or NULL */
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
 * start, end, delta, msg; rc != 0 sets failed.
 */
void task_command_probe(struct buf *script, const struct task_ctx *ctx);
int task_command_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res);
int task_command_run(struct apply_result *out, const struct task_ctx *ctx,
		     const char *script, const struct val *cmd);

#endif
