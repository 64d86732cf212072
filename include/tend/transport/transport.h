#ifndef TEND_TRANSPORT_H
#define TEND_TRANSPORT_H

/*
 * The transport seam: how tend runs things on a host. One instance per
 * host, opened once and reused by every task of the run (plan and apply).
 *
 * Implementations embed struct transport as their first member and fill
 * the ops with designated initializers. A NULL op means unsupported.
 * Every op returns 0 on success, or < 0 with the error set:
 * TEND_EUNREACHABLE when the host cannot be reached (the executor then
 * fails that host alone), -1 for other failures. A command that ran and
 * exited non-zero is *not* an error: its status is in the result.
 *
 * A transport is used by one thread at a time.
 */

#include "tend/util/buf.h"

struct exec_req {
	const char *script;      /* POSIX sh script, run as `sh -c script` */
	const void *in;          /* bytes for its stdin, or NULL for none */
	size_t inlen;
	const char *become_user; /* run via `sudo -n -u USER`; NULL: no */
	/*
	 * How to become become_user: NULL or "sudo" (`sudo -n`), "su" (`su
	 * -c ... -- USER`, as Ansible's su: no password, so only a root
	 * login becomes another user this way).
	 */
	const char *become_method;
	/*
	 * Set by a transport, not by its callers (transport_become_req):
	 * stdin starts with sudo's password, one line, which the become
	 * command reads before sudo runs.
	 */
	bool become_password_first;
};

struct exec_result {
	int status;     /* exit status; 128 + N if killed by signal N */
	struct buf out; /* stdout */
	struct buf err; /* stderr */
};
#define EXEC_RESULT_INIT { 0, BUF_INIT, BUF_INIT }

void exec_result_release(struct exec_result *r);

enum {
	TRANSPORT_READONLY = 1 << 0, /* writes refused (the check phase) */
};

struct transport {
	const char *name;   /* "local", "ssh" */
	unsigned int flags;
	unsigned long round_trips; /* exec/put/get calls made (--stats) */

	/*
	 * Run req->script on the host, feeding req->in to its stdin, and
	 * collect its exit status and output into *out (initialised by the
	 * caller with EXEC_RESULT_INIT; appended to). The script runs as
	 * `sh -c` would run it, except that a transport may run it in a
	 * subshell of a long-lived shell (SSH's fast path): then $$ and
	 * $PPID are that shell's, so a script must not kill $$.
	 */
	int (*exec)(struct transport *t, const struct exec_req *req,
		    struct exec_result *out);

	/*
	 * Write `len` bytes to `path` atomically (temp file in the same
	 * directory, mode set, renamed into place). May be NULL.
	 */
	int (*put)(struct transport *t, const char *path, const void *data,
		   size_t len, unsigned int mode, const char *become_user);

	/* Read the file at `path` into *out (appended). May be NULL. */
	int (*get)(struct transport *t, const char *path, struct buf *out,
		   const char *become_user);

	/* Close the connection and free the transport. NULL-safe caller. */
	void (*close)(struct transport *t);

	/*
	 * The password sudo asks for when it becomes a user (a secret:
	 * ansible_become_password, or -K's), or NULL for `sudo -n`. Set by
	 * transport_open on the transport it opens (views leave it NULL:
	 * their inner transport uses its own); owned, wiped and freed by
	 * transport_close.
	 */
	char *become_password;
	/*
	 * What the connection is, for -vvvv (transport/detail.h), or NULL.
	 * Set by transport_open; owned and freed by transport_close.
	 */
	char *detail;
};

/*
 * The local connection: scripts run in /bin/sh on this machine, in
 * directory `cwd` (copied; NULL: tend's own working directory).
 */
int transport_local_new(struct transport **out, const char *cwd);

/*
 * A read-only view of `inner` for the check phase: exec passes through
 * only when it carries no stdin, get passes through, put fails. It does
 * not own `inner`; close frees only the view. Round trips are counted on
 * `inner`.
 */
int transport_readonly_new(struct transport **out, struct transport *inner);

/*
 * A view of `inner` that runs `prelude` (POSIX sh, copied; every value
 * in it already sh_quote'd by the caller) before each exec'd script: how
 * a task's environment reaches its commands. put and get pass through.
 * It does not own `inner`; close frees only the view. Fails when `inner`
 * cannot exec.
 */
int transport_prelude_new(struct transport **out, struct transport *inner,
			  const char *prelude);

/*
 * A put done with t->exec: the bytes go through stdin into a temp file
 * beside `path`, which is chmod'ed and renamed into place (one round
 * trip). For transports whose put is no faster than their exec.
 */
int transport_put_by_exec(struct transport *t, const char *path,
			  const void *data, size_t len, unsigned int mode,
			  const char *become_user);

/*
 * A get done with `run` (t's exec without its round-trip count, which
 * the caller makes): `cat` of `path` as `become_user`, TEND_ENOTFOUND
 * when it does not exist ("cannot read 'path': No such file or
 * directory"), else the file's bytes appended to *out.
 */
int transport_get_by_cat(struct transport *t,
			 int (*run)(struct transport *t,
				    const struct exec_req *req,
				    struct exec_result *out),
			 const char *path, struct buf *out,
			 const char *become_user);

/*
 * become through sudo: sudo's own words on stderr ("unable to resolve
 * host ...", a lecture) are not the command's, and Ansible's results do
 * not hold them. The script sudo runs is prefixed with a marker written
 * to stderr (transport_become_script); what comes before the marker is
 * dropped from the result (transport_become_strip: of err's bytes from
 * `from` on, what this call added). Without the marker
 * (sudo refused to run) stderr stays whole: it says why.
 */
/*
 * A view of `inner` (borrowed; it must outlive the view) whose every
 * exec runs under the target's timeout(1) with what is left of
 * `seconds` from now: past it the script and its children are stopped
 * (TERM, then KILL a second later) and the exec ends with status 124.
 * put and get go to `inner` as they are. Free with transport_close.
 */
int transport_timeout_new(struct transport **out, struct transport *inner,
			  double seconds);
/* Whether the time of timeout view `t` (NULL: none) ran out. */
bool transport_timed_out(const struct transport *t);

void transport_become_script(struct buf *out, const char *script);
void transport_become_strip(struct buf *err, size_t from);

/*
 * The sh command line that runs req->script as req->become_user, with
 * the marker above: `sudo -n -u USER -- sh -c SCRIPT`, or for
 * become_method su `su -c '/bin/sh -c SCRIPT' -- USER` (Ansible's su
 * runs `/bin/sh -c` through the user's shell too). Every value through
 * sh_quote.
 */
void transport_become_command(struct buf *out, const struct exec_req *req);

/*
 * sudo with a password, as an exec of `t` must run `req`: when req
 * becomes a user through sudo and t has a become password, *r is req
 * with the password line before its stdin (the bytes in `in`, which the
 * caller wipes with buf_release_secret after the exec) and
 * become_password_first set, and r is returned; else req. The command
 * line then reads the line with the shell's `read` (no process sees it
 * in its arguments) and hands it to sudo through SUDO_ASKPASS (printenv
 * of a variable sudo does not pass on to the command), so the password
 * is never on a command line, in the script, or on the command's stdin.
 */
const struct exec_req *transport_become_req(struct exec_req *r,
					    struct buf *in,
					    const struct transport *t,
					    const struct exec_req *req);

/* Call t->close if t is not NULL. */
void transport_close(struct transport *t);

#endif
