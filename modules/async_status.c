#include "tend/common.h"
#include "tend/data/truth.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/async.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"

/*
 * async_status: the state of an async job (a task with `async` and
 * `poll: 0`), and its result once it ended; mode=cleanup removes the
 * job's files. As Ansible's, it does not support check mode: a plan
 * skips it. One script reads (or removes) the job's files
 * (modkit/async.c).
 */

static const char *const async_status_modes[] = { "status", "cleanup", NULL };

static const struct arg_spec async_status_args[] = {
	{ "jid", ARG_STR, ARG_REQUIRED, NULL, NULL, NULL,
	  "the job's id (ansible_job_id of the async task's result)" },
	{ "mode", ARG_STR, 0, NULL, async_status_modes, "status",
	  "status: read the job; cleanup: remove its files" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* A job id names a file of the job directory: no path of its own. */
static int jid_check(const char *jid)
{
	bool ctrl = false;

	/* a control character (a newline from host output) would cut the
	 * status script's lines */
	for (const char *c = jid; c && *c; c++)
		ctrl = ctrl || (unsigned char)*c < 0x20 || *c == 0x7f;
	if (!jid || !*jid || strchr(jid, '/') || !strcmp(jid, ".") ||
	    !strcmp(jid, "..") || ctrl)
		return tend_error_set("invalid job id '%s'", jid ? jid : "");
	return 0;
}

/* In a plan, only where the job's file is (results_file): read-only. */
static int async_status_probe(struct probe *out, const struct task_ctx *ctx)
{
	const char *jid = arg_str(ctx, "jid");

	if (jid_check(jid) < 0)
		return -1;
	if (ctx->plan)
		async_status_script(&out->script, ctx->async_dir, jid,
				    false);
	return 0;
}

static int async_status_judge(struct check_result *out,
			      const struct task_ctx *ctx, struct probe *p,
			      const struct exec_result *res)
{
	const char *jid = arg_str(ctx, "jid");
	const char *mode = arg_str(ctx, "mode");
	const char *nl = memchr(res->out.ptr, '\n', res->out.len);
	bool cleanup = mode && !strcmp(mode, "cleanup");

	(void)p;
	if (!ctx->plan) {
		/* what the job says is known when it is read, at apply */
		out->status = CHECK_UNKNOWN;
		return 0;
	}
	/* Ansible: the module does not support check mode, it skips */
	out->status = CHECK_OK;
	out->result = val_dict();
	val_dict_set_bool(out->result, "skipped", true);
	val_dict_set_str(out->result, "msg", "remote module (ansible.legacy."
			 "async_status) does not support check mode");
	val_dict_set_str(out->result, "ansible_job_id", jid);
	/* as Ansible's action: cleanup names the path as erased */
	val_dict_set_int(out->result, "started", cleanup ? 0 : 1);
	val_dict_set_int(out->result, "finished", 0);
	val_dict_set_str(out->result, "stdout", "");
	val_dict_set_str(out->result, "stderr", "");
	val_dict_set(out->result, "stdout_lines", val_list());
	val_dict_set(out->result, "stderr_lines", val_list());
	if (nl && !res->status)
		val_dict_set(out->result, cleanup ? "erased" : "results_file",
			     val_strn(res->out.ptr,
				      (size_t)(nl - res->out.ptr)));
	return 0;
}

static int async_status_apply(struct apply_result *out,
			      const struct task_ctx *ctx,
			      const struct check_result *planned)
{
	const char *jid = arg_str(ctx, "jid");
	const char *mode = arg_str(ctx, "mode");
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct buf s = BUF_INIT;
	struct val *r = NULL;
	int error;

	(void)planned;
	if ((error = jid_check(jid)) < 0)
		return error;
	async_status_script(&s, ctx->async_dir, jid,
			    mode && !strcmp(mode, "cleanup"));
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	if (res.status) {
		error = exec_error(&res, "cannot read the async job");
		goto out;
	}
	if ((error = async_status_parse(&r, &out->failed, jid,
					mode && !strcmp(mode, "cleanup"),
					res.out.ptr, res.out.len)) < 0)
		goto out;
	out->changed = truth_python(val_dict_get(r, "changed"));
	if (out->failed && val_cstr(val_dict_get(r, "msg")))
		buf_sets(&out->msg, val_cstr(val_dict_get(r, "msg")));
	out->result = r;
	r = NULL;
out:
	val_unref(r);
	exec_result_release(&res);
	buf_release(&s);
	return error;
}

const struct tend_module mod_async_status = {
	.name = "async_status",
	.args = async_status_args,
	.flags = MOD_MAY_BE_UNKNOWN | MOD_NO_ASYNC,
	.doc = "the state of an async job (async with poll: 0), and its "
	       "result once it ended",
	.returns =
		"ansible_job_id: the job's id (jid)\n"
		"started, finished: 1 or 0\n"
		"results_file: the job's file on the host (erased: with "
		"mode=cleanup)\n"
		"and once it finished, the job's own result (a command's rc, "
		"stdout, stderr, their _lines, cmd, start, end, delta, msg)\n",
	.example =
		"- shell: /usr/local/bin/long-backup\n"
		"  async: 600\n"
		"  poll: 0\n"
		"  register: job\n"
		"- async_status:\n"
		"    jid: \"{{ job.ansible_job_id }}\"\n"
		"  register: r\n"
		"  until: r.finished\n"
		"  retries: 60\n"
		"  delay: 10\n",
	.probe = async_status_probe,
	.judge = async_status_judge,
	.apply = async_status_apply,
};
