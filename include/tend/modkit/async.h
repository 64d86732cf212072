#ifndef TEND_MODKIT_ASYNC_H
#define TEND_MODKIT_ASYNC_H

/*
 * Async jobs on a host, kept as Ansible's async_wrapper keeps them: one
 * file per job, ~/.ansible_async/JID, holding JSON: {"started": 1,
 * "finished": 0, "ansible_job_id": JID} while it runs, the result once it
 * ended ({"msg": "Timeout exceeded", "failed": true, "child_pid": PID}
 * when its time ran out). A job tend starts (a command or shell with
 * `poll: 0`) keeps its output beside it, in JID.out and JID.err, and its
 * result file holds {"tend_job": {"cmd": ..., "strip": BOOL}, "rc": N,
 * "start": T, "end": T}: async_status (modules/async_status.c) makes the
 * command's result of them. Job ids are Ansible's shape: "j" and up to
 * twelve random digits, a dot, a process id of the host.
 *
 * The scripts are POSIX sh; every value enters them through sh_quote.
 */

#include "tend/util/buf.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"

/* Ansible's random part of a job id: "j" and 0..999999999999. */
void async_jid_prefix(struct buf *out);

/*
 * The job directory `dir` (task_ctx.async_dir; NULL: ~/.ansible_async)
 * as one sh word: a leading ~ as "$HOME", the rest through sh_quote.
 */
void async_dir_word(struct buf *out, const char *dir);

/*
 * The launcher: a script that makes the job's directory (`dir`, as
 * async_dir_word) and its result file (running), starts `script` (POSIX
 * sh) in the background, detached from the session (setsid where the
 * host has it, nohup), under the host's timeout(1) for `limit` seconds,
 * its output to JID.out and JID.err, its stdin from what the launcher
 * reads on its own stdin when `with_stdin` (else /dev/null); then prints
 * the job id and the result file's path, a line each, and exits. `meta`
 * (a dict: cmd, strip) goes to the result file as it is, in JSON.
 */
void async_launch_script(struct buf *out, const char *dir,
			 const char *script, long long limit,
			 const struct val *meta, bool with_stdin);

/*
 * What the launcher printed (its stdout) as Ansible's result of a task
 * with poll: 0 (a new dict): ansible_job_id, results_file, started: 1,
 * finished: 0, failed: 0, changed: true. -1 with the error set when it
 * printed no job id.
 */
int async_launch_result(struct val **out, const char *text, size_t len);

/*
 * The script async_status runs: prints the result file's path, then
 * "none" when there is no such job; else, for `cleanup`, removes the job's
 * files and prints "erased"; else prints "status", the result file, and
 * for a job of tend's that ended, the sizes of its output and its error
 * output (a line each) and their bytes.
 */
void async_status_script(struct buf *out, const char *dir, const char *jid,
			 bool cleanup);

/*
 * What async_status's script printed (`text`, `len` bytes) as Ansible's
 * async_status result (a new dict in *out): ansible_job_id, started,
 * finished, stdout, stderr, their _lines, results_file (or erased), and
 * the job's own result once it ended; for a command of tend's, cmd, rc,
 * start, end, delta, msg, changed. *failed: the job (or the look-up)
 * failed (`cleanup`: mode=cleanup's, whose missing job names its path
 * as erased, as Ansible's action does). Pure: no I/O. Returns 0, or -1 with the error set for output
 * it cannot read.
 */
int async_status_parse(struct val **out, bool *failed, const char *jid,
		       bool cleanup, const char *text, size_t len);

/*
 * A command's script started as a background job (task_ctx.async_bg):
 * what task_command_run does with poll: 0. `script` has its chdir in
 * front already; `in` is the stdin to give it, or NULL.
 */
int async_command_launch(struct apply_result *out, const struct task_ctx *ctx,
			 const char *script, const struct val *cmd,
			 const struct buf *in);

/*
 * A job that ended before it began: its result file written with
 * `result` (a command skipped by creates/removes) as JSON, the way
 * Ansible's files hold a module's result; `out` as async_command_launch.
 */
int async_done_launch(struct apply_result *out, const struct task_ctx *ctx,
		      const struct val *result);

#endif
