/*
 * A task's `async` and `poll` (task.c calls these). tend runs a task
 * with poll > 0 in the foreground, under the timeout view for `async`
 * seconds, and gives it the keys Ansible's async job adds; poll: 0 starts
 * the module's work as a background job on the host (modkit/async.h).
 */

#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/modkit/module.h"
#include "tend/modkit/async.h"
#include "tend/engine/run_int.h"

/* ansible_async_dir, rendered, into *dir (NULL when undefined) */
static int async_dir(char **dir, const struct scope *sc)
{
	const struct val *v = scope_get(sc, "ansible_async_dir");
	struct val *r = NULL;
	struct buf b = BUF_INIT;

	free(*dir);
	*dir = NULL;
	if (!v)
		return 0;
	if (template_render(&r, v, sc) < 0)
		return tend_error_prefix("in 'ansible_async_dir'");
	val_to_text(&b, r);
	val_unref(r);
	*dir = buf_detach(&b, NULL);
	return 0;
}

int run_async_settings(long long *async, long long *poll, char **dir,
		       const struct task *t, const struct scope *sc)
{
	*async = 0;
	*poll = RUN_ASYNC_POLL;
	if (async_dir(dir, sc) < 0)
		return -1;
	if (!t->async_val)
		return 0;
	if (run_int_keyword(async, t->async_val, 0, sc, "async") < 0 ||
	    run_int_keyword(poll, t->poll, RUN_ASYNC_POLL, sc, "poll") < 0)
		return -1;
	return 0;
}

const char *run_async_refused(const struct task *t, long long poll,
			      bool check)
{
	/* in ActionBase.run's order */
	if (t->module->flags & MOD_NO_ASYNC)
		return "async is not supported for this task.";
	if (t->module->flags & MOD_CONTROLLER)
		return "async is not supported yet for a module tend runs "
		       "from the controller";
	if (check)
		return "check mode and async cannot be used on same task.";
	if (poll <= 0 && !(t->module->flags & MOD_ASYNC_BG))
		return "poll: 0 (fire and forget) is supported for command and "
		       "shell only";
	return NULL;
}

/* Set key to v in r unless r has it (v is taken). */
static void set_default(struct val *r, const char *key, struct val *v)
{
	if (val_dict_get(r, key))
		val_unref(v);
	else
		val_dict_set(r, key, v);
}

/*
 * The job's keys: its id and file as the host names them (its $HOME, a
 * process id of its own, as async_wrapper's), and what async_status's
 * action puts in every result it gives.
 */
static int job_keys(struct val *r, struct transport *t,
		    const struct task_ctx *ctx, bool finished)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct buf jid = BUF_INIT, file = BUF_INIT;
	const char *nl;
	int error = 0;

	buf_adds(&file, "printf '%s\\n%s\\n' ");
	async_dir_word(&file, ctx->async_dir);
	buf_adds(&file, " \"$$\"\n");
	req.script = file.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = t->exec(t, &req, &res)) < 0)
		goto out;
	if (res.status || !(nl = memchr(res.out.ptr, '\n', res.out.len))) {
		error = tend_error_set("cannot name the async job's file");
		goto out;
	}
	async_jid_prefix(&jid);
	buf_addch(&jid, '.');
	buf_add(&jid, nl + 1, res.out.len - (size_t)(nl + 1 - res.out.ptr));
	buf_rtrim(&jid);
	buf_reset(&file);
	buf_add(&file, res.out.ptr, (size_t)(nl - res.out.ptr));
	buf_addf(&file, "/%s", jid.ptr);
	val_dict_set_str(r, "ansible_job_id", jid.ptr);
	val_dict_set_str(r, "results_file", file.ptr);
	val_dict_set_int(r, "started", 1);
	val_dict_set_int(r, "finished", finished);
	set_default(r, "stdout", val_str(""));
	set_default(r, "stderr", val_str(""));
	set_default(r, "stdout_lines", val_list());
	set_default(r, "stderr_lines", val_list());
out:
	exec_result_release(&res);
	buf_release(&jid);
	buf_release(&file);
	return error;
}

int run_async_limit(struct transport **tmt, struct task_ctx *ctx,
		    struct transport *t, long long async, long long poll)
{
	*tmt = NULL;
	if (poll <= 0) {
		ctx->async_bg = async;
		return 0;
	}
	if (transport_timeout_new(tmt, t, (double)async) < 0)
		return -1;
	ctx->deadline = run_now_seconds() + (double)async;
	return 0;
}

int run_async_result(struct val **result, struct buf *msg,
		     struct transport *t, const struct task_ctx *ctx,
		     long long async, const struct transport *tmt)
{
	struct val *r;

	if (!transport_timed_out(tmt)) {
		if (job_keys(*result, t, ctx, true) == 0)
			return 0;
		buf_reset(msg);
		buf_adds(msg, tend_error_last());
		return -1;
	}
	/* Ansible's result: these keys, the last status under async_result */
	r = val_dict();
	if (job_keys(r, t, ctx, false) < 0)
		tend_error_clear(); /* the time is what failed */
	val_unref(*result);
	*result = val_dict();
	val_dict_set(*result, "async_result", r);
	buf_reset(msg);
	buf_addf(msg, "async task did not complete within the requested time "
		 "- %llds", async);
	return 1;
}
