#include "tend/common.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/transport/transport.h"
#include "tend/util/buf.h"
#include "tend/util/interrupt.h"

/*
 * wait_for_connection: until the host answers again (after a reboot),
 * as Ansible's action: after `delay` seconds, for at most `timeout`
 * seconds, a new connection and a command that must print "pong" (its
 * ping module), `sleep` seconds between tries. The engine does not
 * connect before it (MOD_RECONNECT): each try drops the host's
 * connection and opens a new one, which the tasks after it use. Ansible
 * uses connect_timeout only for connections that have a transport test
 * (not ssh, not local): it is taken, and the connection's own timeout
 * (ansible_timeout) applies. It changes nothing; a plan and check mode
 * skip it, as Ansible's check mode does.
 */

static const struct arg_spec wfc_args[] = {
	{ "connect_timeout", ARG_INT, 0, NULL, NULL, "5",
	  "seconds for a connection attempt where the connection has a "
	  "transport test (Ansible's; neither ssh nor local has one)" },
	{ "delay", ARG_INT, 0, NULL, NULL, "0",
	  "seconds to wait before the first try" },
	{ "sleep", ARG_INT, 0, NULL, NULL, "1",
	  "seconds between tries" },
	{ "timeout", ARG_INT, 0, NULL, NULL, "600",
	  "seconds to keep trying" },
	{ NULL, 0, 0, NULL, NULL, NULL, NULL },
};

/* Nothing to look at before it runs: a plan and check mode skip it. */
static int wfc_check(struct check_result *out, const struct task_ctx *ctx)
{
	if (ctx->plan || ctx->check_only) {
		out->status = CHECK_OK;
		out->result = val_dict();
		val_dict_set_bool(out->result, "skipped", true);
		return 0;
	}
	out->status = CHECK_UNKNOWN;
	return 0;
}

/* One try: a new connection, and "pong" from it. */
static int try_ping(const struct task_ctx *ctx)
{
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { .script = "echo pong\n" };
	struct transport *t = NULL;
	int error;

	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if ((error = ctx->engine->reconnect(&t, true, ctx->engine_data)) < 0)
		return error;
	if ((error = t->exec(t, &req, &res)) == 0 &&
	    (res.status || !res.out.ptr || strcmp(res.out.ptr, "pong\n")))
		error = tend_error_set("ping test failed");
	exec_result_release(&res);
	return error;
}

static int wfc_apply(struct apply_result *out, const struct task_ctx *ctx,
		     const struct check_result *planned)
{
	double start = task_now(), end;
	long long slp = arg_int(ctx, "sleep", 1);
	struct buf last = BUF_INIT;
	bool up = false;

	(void)planned;
	task_nap((double)arg_int(ctx, "delay", 0));
	end = task_now() + (double)arg_int(ctx, "timeout", 600);
	while (!tend_interrupted && task_now() < end) {
		if (try_ping(ctx) == 0) {
			up = true;
			break;
		}
		buf_sets(&last, tend_error_last());
		tend_error_clear();
		task_nap((double)slp);
	}
	out->result = val_dict();
	if (!up) {
		out->failed = true;
		buf_addf(&out->msg, "timed out waiting for ping module test: "
			 "%s", last.len ? last.ptr : "interrupted");
		val_dict_set_str(out->result, "msg", out->msg.ptr);
	}
	/* Ansible's: the whole seconds of a timedelta */
	val_dict_set_int(out->result, "elapsed",
			 (long long)(task_now() - start));
	buf_release(&last);
	return 0;
}

const struct tend_module mod_wait_for_connection = {
	.name = "wait_for_connection",
	.args = wfc_args,
	.flags = MOD_RECONNECT | MOD_NO_ASYNC | MOD_MAY_BE_UNKNOWN,
	.doc = "wait until the host answers on a new connection (after a "
	       "reboot), as Ansible's: delay, then tries every `sleep` "
	       "seconds for at most `timeout`; skipped by a plan",
	.returns =
		"elapsed: the seconds it waited, whole\n"
		"msg: why it timed out\n",
	.example =
		"- shell: sleep 2 && reboot\n"
		"  async: 1\n"
		"  poll: 0\n"
		"- wait_for_connection:\n"
		"    delay: 10\n"
		"    timeout: 300\n",
	.check = wfc_check,
	.apply = wfc_apply,
};
