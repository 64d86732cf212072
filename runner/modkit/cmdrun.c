#include "tend/common.h"
#include "tend/util/buf.h"
#include "tend/util/quote.h"
#include "tend/data/val.h"
#include "tend/modkit/module.h"
#include "tend/modkit/toolkit.h"
#include "tend/modkit/async.h"

#include <time.h>

/*
 * The shared half of command and shell (toolkit.h): the probe of creates
 * and removes, its judge, and the run of the command with Ansible's
 * result; with `async` and `poll: 0`, the start of a background job
 * (async.c) instead. And the result of raw and script, which Ansible's
 * actions make without a module.
 */

static void add_chdir(struct buf *s, const char *chdir)
{
	if (!chdir)
		return;
	buf_adds(s, "cd -- ");
	sh_quote(s, chdir);
	buf_adds(s, " || { echo 'unable to change directory before "
		 "execution' >&2; exit 1; }\n");
}

static void skipped_result(struct check_result *out, const struct val *cmd,
			   const char *stdout_text, const char *msg)
{
	out->status = CHECK_OK;
	buf_sets(&out->msg, msg);
	out->result = val_dict();
	if (cmd)
		val_dict_set(out->result, "cmd", val_ref((struct val *)cmd));
	val_dict_set_int(out->result, "rc", 0);
	val_dict_set_str(out->result, "stdout", stdout_text);
	val_dict_set(out->result, "stdout_lines",
		     task_split_lines(stdout_text, strlen(stdout_text)));
	val_dict_set_str(out->result, "stderr", "");
	val_dict_set(out->result, "stderr_lines", val_list());
	val_dict_set_str(out->result, "msg", msg);
}


void task_command_probe(struct buf *s, const struct task_ctx *ctx)
{
	const char *creates = arg_str(ctx, "creates");
	const char *removes = arg_str(ctx, "removes");

	if (!creates && !removes)
		return;
	if (arg_str(ctx, "chdir")) {
		/* chdir may not exist before the apply: then it is unknown */
		buf_adds(s, "cd -- ");
		sh_quote(s, arg_str(ctx, "chdir"));
		buf_adds(s, " 2>/dev/null || { echo nochdir; exit 0; }\n");
	}
	/* Unquoted expansion with IFS empty: globbed, never split. */
	buf_adds(s, "IFS=\n");
	if (creates) {
		buf_adds(s, "c=");
		sh_quote(s, creates);
		buf_adds(s, "\nfor f in $c; do [ -e \"$f\" ] && "
			 "{ echo creates; break; }; done\n");
	}
	if (removes) {
		buf_adds(s, "r=");
		sh_quote(s, removes);
		buf_adds(s, "\nfor f in $r; do [ -e \"$f\" ] && "
			 "{ echo removes; break; }; done\n");
	}
	buf_adds(s, "exit 0\n");
}

/*
 * A command that only checks (check_mode: true) and would run: Ansible's
 * result, skipped, or a change when it has creates/removes.
 */
static int check_only_result(struct check_result *out, const struct val *cmd,
			     bool guarded)
{
	skipped_result(out, cmd, "", "Command would have run if not in check "
		       "mode");
	out->status = guarded ? CHECK_CHANGE : CHECK_UNKNOWN;
	val_dict_set(out->result, "start", val_null());
	val_dict_set(out->result, "end", val_null());
	val_dict_set(out->result, "delta", val_null());
	return 0;
}

int task_command_judge(struct check_result *out, const struct task_ctx *ctx,
		       struct probe *p, const struct exec_result *res)
{
	const struct val *cmd = p->priv;
	const char *creates = arg_str(ctx, "creates");
	const char *removes = arg_str(ctx, "removes");
	struct buf text = BUF_INIT, msg = BUF_INIT;

	out->status = CHECK_UNKNOWN;
	buf_sets(&out->msg, "Command would have run if not in check mode");
	/* a probe that failed or could not cd says nothing: unknown */
	if (res->status || strstr(res->out.ptr, "nochdir\n"))
		return 0;
	if (ctx->check_only && !(creates && strstr(res->out.ptr, "creates\n"))
	    && !(removes && !strstr(res->out.ptr, "removes\n")))
		return check_only_result(out, cmd, creates || removes);
	if (creates && strstr(res->out.ptr, "creates\n")) {
		buf_addf(&text, "skipped, since %s exists", creates);
		buf_addf(&msg, "%s not run command since '%s' exists",
			 ctx->plan ? "Would" : "Did", creates);
		skipped_result(out, cmd, text.ptr, msg.ptr);
	} else if (removes && !strstr(res->out.ptr, "removes\n")) {
		buf_addf(&text, "skipped, since %s does not exist", removes);
		buf_addf(&msg, "%s not run command since '%s' does not exist",
			 ctx->plan ? "Would" : "Did", removes);
		skipped_result(out, cmd, text.ptr, msg.ptr);
	}
	if (out->result && ctx->async_bg > 0) {
		/*
		 * poll: 0: as Ansible's, a job still starts, and its result
		 * is the skip: apply writes it (async_done_launch)
		 */
		val_dict_set_bool(out->result, "changed", false);
		val_dict_set(out->result, "start", val_null());
		val_dict_set(out->result, "end", val_null());
		val_dict_set(out->result, "delta", val_null());
		out->priv = out->result;
		out->priv_free = probe_val_free;
		out->result = NULL;
		out->status = CHECK_CHANGE;
		buf_reset(&out->msg);
	}
	buf_release(&text);
	buf_release(&msg);
	return 0;
}


static void format_time(struct buf *out, const struct timespec *ts)
{
	struct tm tm;
	char tmp[64];
	time_t sec = ts->tv_sec;

	localtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
	buf_addf(out, "%s.%06ld", tmp, ts->tv_nsec / 1000);
}

static void strip_ends(struct buf *b)
{
	size_t len = b->len;

	while (len && (b->ptr[len - 1] == '\n' || b->ptr[len - 1] == '\r'))
		len--;
	buf_setlen(b, len);
}

int task_command_run(struct apply_result *out, const struct task_ctx *ctx,
		     const char *script, const struct val *cmd,
		     const struct check_result *planned)
{
	/* a string, NUL bytes and all: arg_str() would stop at the first */
	const struct val *in = arg_get(ctx, "stdin");
	struct buf s = BUF_INIT, input = BUF_INIT, t = BUF_INIT;
	struct exec_result res = EXEC_RESULT_INIT;
	struct exec_req req = { 0 };
	struct timespec start, end;
	long long ns;
	int error;

	add_chdir(&s, arg_str(ctx, "chdir"));
	buf_adds(&s, script);
	req.script = s.ptr;
	req.become_user = ctx->become_user;
	req.become_method = ctx->become_method;
	if (val_is(in, VAL_STR)) {
		buf_add(&input, val_cstr(in), val_len(in));
		if (arg_bool(ctx, "stdin_add_newline", true))
			buf_addch(&input, '\n');
		req.in = input.ptr;
		req.inlen = input.len;
	}
	if (ctx->async_bg > 0) {
		error = planned && planned->priv ?
			async_done_launch(out, ctx, planned->priv) :
			async_command_launch(out, ctx, s.ptr, cmd, req.in ?
					     &input : NULL);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &start);
	if ((error = ctx->t->exec(ctx->t, &req, &res)) < 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &end);
	if (arg_bool(ctx, "strip_empty_ends", true)) {
		strip_ends(&res.out);
		strip_ends(&res.err);
	}

	out->changed = true;
	out->failed = res.status != 0;
	if (!out->result)
		out->result = val_dict();
	if (cmd)
		val_dict_set(out->result, "cmd", val_ref((struct val *)cmd));
	val_dict_set_int(out->result, "rc", res.status);
	val_dict_set(out->result, "stdout", val_strn(res.out.ptr, res.out.len));
	val_dict_set(out->result, "stderr", val_strn(res.err.ptr, res.err.len));
	val_dict_set(out->result, "stdout_lines",
		     task_split_lines(res.out.ptr, res.out.len));
	val_dict_set(out->result, "stderr_lines",
		     task_split_lines(res.err.ptr, res.err.len));
	format_time(&t, &start);
	val_dict_set_str(out->result, "start", t.ptr);
	buf_reset(&t);
	format_time(&t, &end);
	val_dict_set_str(out->result, "end", t.ptr);
	buf_reset(&t);
	ns = (long long)(end.tv_sec - start.tv_sec) * 1000000000LL +
	     (end.tv_nsec - start.tv_nsec);
	if (ns < 0)
		ns = 0;
	buf_addf(&t, "%lld:%02lld:%02lld.%06lld", ns / 3600000000000LL,
		 ns / 60000000000LL % 60, ns / 1000000000LL % 60,
		 ns / 1000 % 1000000);
	val_dict_set_str(out->result, "delta", t.ptr);
	val_dict_set_str(out->result, "msg",
			 out->failed ? "non-zero return code" : "");
	if (out->failed)
		buf_sets(&out->msg, "non-zero return code");
out:
	exec_result_release(&res);
	buf_release(&s);
	buf_release(&input);
	buf_release(&t);
	return error;
}

void task_raw_result(struct apply_result *out, const struct exec_result *res)
{
	out->changed = true;
	out->failed = res->status != 0;
	out->result = val_dict();
	val_dict_set_int(out->result, "rc", res->status);
	val_dict_set(out->result, "stdout", val_strn(res->out.ptr, res->out.len));
	val_dict_set(out->result, "stdout_lines",
		     task_split_lines(res->out.ptr, res->out.len));
	val_dict_set(out->result, "stderr", val_strn(res->err.ptr, res->err.len));
	val_dict_set(out->result, "stderr_lines",
		     task_split_lines(res->err.ptr, res->err.len));
	if (out->failed) {
		val_dict_set_str(out->result, "msg", "non-zero return code");
		buf_sets(&out->msg, "non-zero return code");
	}
}
